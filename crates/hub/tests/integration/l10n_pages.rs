//! The localization pages: the create form (CSRF, foreign works refused),
//! the dashboard's forms (glossary, pre-translation, XLIFF import), the QA
//! list, and the CAT editor's markup (languages, the caller's permissions,
//! the CSRF token scripts send).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use qiantang_app::accounts::Actor;
use qiantang_app::App;
use qiantang_auth::Role;
use qiantang_hub::{router, HubConfig};
use qiantang_works::import::ImportOptions;

use crate::{call, get_as, multipart, token};

fn import(app: &App, org: i64, title: &str) -> i64 {
    let text = std::fs::read(crate::corpus(
        "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt",
    ))
    .unwrap();
    app.catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "x.txt",
            bytes: &text,
            title: Some(title),
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap()
        .work
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn location(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    let loc = resp
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status(), loc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localization_pages_and_forms() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    let a = app
        .accounts()
        .create_org("alpha", &Actor::cli())
        .unwrap()
        .id;
    let b = app.accounts().create_org("beta", &Actor::cli()).unwrap().id;
    let work = import(&app, a, "梁祝甲");
    let foreign = import(&app, b, "梁祝乙");
    let (user, password) = app
        .accounts()
        .create_user(
            "own@alpha.test",
            Some((a, Role::Owner)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    let sess = app
        .accounts()
        .login(&user.email, &password, 3_600_000, None)
        .unwrap();
    let cookie = format!("qt_session={}", sess.secret);
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let get = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };

    // The list offers the caller's writable works only; the work page links to it.
    let (s, body) = call(&r, get("/l10n?lang=en&work=1")).await;
    assert_eq!(s, StatusCode::OK);
    let page = text(&body);
    assert!(
        page.contains("梁祝甲") && !page.contains("梁祝乙"),
        "{page}"
    );
    assert!(page.contains(r#"name="csrf-token""#));
    let (_, body) = call(&r, get(&format!("/works/{work}?lang=en"))).await;
    assert!(text(&body).contains(&format!("/l10n?work={work}")));

    // Creating: a wrong CSRF token, a foreign work and a bad locale are refused.
    let csrf = &sess.csrf;
    let (s, _) = location(
        &r,
        form(
            "/l10n",
            &cookie,
            &format!("csrf=wrong&work={work}&locale=en&market=US"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = call(
        &r,
        form(
            "/l10n",
            &cookie,
            &format!("csrf={csrf}&work={foreign}&locale=en&market=US"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!text(&body).contains("梁祝乙"));
    let (s, body) = call(
        &r,
        form(
            "/l10n",
            &cookie,
            &format!("csrf={csrf}&work={work}&locale=e_n&market=US"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(text(&body).contains("BCP 47"));
    assert!(app.l10n().list_projects(&[a, b]).unwrap().is_empty());
    let (s, loc) = location(
        &r,
        form(
            "/l10n",
            &cookie,
            &format!("csrf={csrf}&work={work}&locale=en&market=US"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let pid: i64 = loc.trim_start_matches("/l10n/").parse().unwrap();

    // The dashboard.
    let (s, body) = call(&r, get(&format!("/l10n/{pid}?lang=en"))).await;
    assert_eq!(s, StatusCode::OK);
    let page = text(&body);
    for needle in [
        "/chapters/1",
        "format=epub",
        "format=xliff",
        "format=tmx",
        "form class=\"pretranslate\"",
        "form class=\"xliff-import\"",
        "form class=\"gl-add\"",
        "svg class=\"statebar\"",
    ] {
        assert!(page.contains(needle), "{needle} missing");
    }

    // Glossary add and delete.
    let (s, _) = location(
        &r,
        form(
            &format!("/l10n/{pid}/glossary"),
            &cookie,
            &format!("csrf={csrf}&source=%E6%A2%81%E5%B1%B1%E4%BC%AF&target=Liang+Shanbo&kind=character&aliases=%E6%A2%81%E5%85%84&locked=1"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let entries = app.l10n().glossary(work, "en").unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].locked && entries[0].aliases == ["梁兄"]);
    let (s, _) = location(
        &r,
        form(
            &format!("/l10n/{pid}/glossary/{}/delete", entries[0].id),
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(app.l10n().glossary(work, "en").unwrap().is_empty());

    // A TM-only pre-translation job is queued; a bad range is shown on the page.
    let (s, loc) = location(
        &r,
        form(
            &format!("/l10n/{pid}/pretranslate"),
            &cookie,
            &format!("csrf={csrf}&chapters=1&tm_only=1"),
        ),
    )
    .await;
    assert_eq!(
        (s, loc.as_str()),
        (StatusCode::SEE_OTHER, &*format!("/l10n/{pid}#jobs"))
    );
    let jobs = app.l10n().project_jobs(pid).unwrap();
    assert_eq!(jobs.len(), 1);
    let (s, body) = call(
        &r,
        form(
            &format!("/l10n/{pid}/pretranslate"),
            &cookie,
            &format!("csrf={csrf}&chapters=5-2"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(text(&body).contains("bad chapter range"));
    let (s, _) = location(
        &r,
        form(
            &format!("/l10n/{pid}/jobs/{}/cancel", jobs[0].id),
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.l10n().job(jobs[0].id).unwrap().unwrap().state.as_str(),
        "cancelled"
    );

    // The editor: side by side with language tags, the caller's rights, the CSRF token.
    let (s, body) = call(&r, get(&format!("/l10n/{pid}/chapters/1?lang=en"))).await;
    assert_eq!(s, StatusCode::OK);
    let page = text(&body);
    assert!(page.contains(r#"class="src" lang="zh-Hans""#), "{page}");
    assert!(page.contains(r#"class="tgt" lang="en""#));
    assert!(page.contains(r#"data-can-translate="true" data-can-review="true""#));
    assert!(page.contains(&format!(r#"<meta name="csrf-token" content="{csrf}">"#)));
    assert!(page.contains(r#"id="cat-data""#) && page.contains("/static/cat.js"));
    let seg = app.l10n().segments(pid, Some(1)).unwrap()[0].clone();
    assert!(page.contains(&format!(r#"id="seg-{}""#, seg.key())));
    for (role, translate, review) in [
        (Role::Translator, true, false),
        (Role::Viewer, false, false),
        (Role::Reviewer, true, true),
    ] {
        let t = token(&app, a, role);
        let (s, body) = call(&r, get_as(&format!("/l10n/{pid}/chapters/1"), Some(&t))).await;
        assert_eq!(s, StatusCode::OK, "{role:?}");
        assert!(
            text(&body).contains(&format!(
                r#"data-can-translate="{translate}" data-can-review="{review}""#
            )),
            "{role:?}"
        );
    }
    let (s, _) = call(&r, get(&format!("/l10n/{pid}/chapters/999"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // XLIFF round trip through the upload form; the QA list renders.
    let xliff = app
        .l10n()
        .export_project(pid, qiantang_app::l10n::ExportFormat::Xliff)
        .unwrap();
    let (ct, mp) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("file", Some("p.xlf"), &xliff),
    ]);
    let req = Request::post(format!("/l10n/{pid}/import?lang=en"))
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(mp))
        .unwrap();
    let (s, body) = call(&r, req).await;
    assert_eq!(s, StatusCode::OK, "{}", text(&body));
    assert!(text(&body).contains("p.xlf"));
    let (s, _) = call(&r, get(&format!("/l10n/{pid}/qa"))).await;
    assert_eq!(s, StatusCode::OK);

    // Static assets.
    for (path, ct) in [
        ("/static/cat.js", "text/javascript"),
        ("/static/cat.css", "text/css"),
    ] {
        let resp = tower::ServiceExt::oneshot(r.clone(), get_as(path, None))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(ct));
    }
}
