//! Tenant isolation and authorization, for every route in the route tables:
//! no credentials, a token of another organization, and a role too weak are
//! all refused (401/403) without leaking data; revoked tokens stop at once;
//! login brute force is throttled.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use qiantang_app::accounts::Actor;
use qiantang_app::App;
use qiantang_auth::Role;
use qiantang_hub::auth::Policy;
use qiantang_hub::{router, HubConfig};
use qiantang_works::import::ImportOptions;
use qiantang_works::model::WorkScope;

use crate::{call, get_as, json, token};

/// A private title that must never appear in a refusal.
const SECRET_TITLE: &str = "机密样书甲";
const OTHER_SECRET: &str = "机密样书乙";

struct World {
    _dir: tempfile::TempDir,
    router: axum::Router,
    app: std::sync::Arc<App>,
    a: i64,
    b: i64,
    work_a: i64,
    work_b: i64,
    a_owner: String,
    a_editor: String,
    a_viewer: String,
    a_viewer_id: i64,
    b_owner: String,
    project: i64,
    segment: i64,
    job: i64,
    entry: i64,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    // The deposit log, so that the deposit routes answer for real (entry 0 exists).
    app.deposits().attach_log(std::sync::Arc::new(
        qiantang_deposit::DepositService::open(dir.path(), Default::default()).unwrap(),
    ));
    let a = app
        .accounts()
        .create_org("alpha", &Actor::cli())
        .unwrap()
        .id;
    let b = app.accounts().create_org("beta", &Actor::cli()).unwrap().id;
    let text = std::fs::read(crate::corpus(
        "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt",
    ))
    .unwrap();
    let imp = |org, title| {
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
    };
    let work_a = imp(a, SECRET_TITLE);
    let work_b = imp(b, OTHER_SECRET);
    let (t, viewer) = app
        .accounts()
        .create_token(a, Role::Viewer, "v", None, &Actor::cli())
        .unwrap();
    let mut cfg = HubConfig::new(dir.path().to_path_buf());
    cfg.api_per_minute = 100_000;
    let p = app
        .l10n()
        .create_project(work_a, "en", "US", &Actor::cli())
        .unwrap();
    let segment = app.l10n().segments(p.id, Some(1)).unwrap()[0].id;
    let job = app
        .l10n()
        .queue_pretranslate(p.id, Some((1, 1)), None, &Actor::cli())
        .unwrap()
        .id;
    let entry = app
        .l10n()
        .put_glossary_entry(
            &p,
            serde_json::from_value(
                serde_json::json!({"source": "梁山伯", "target": "Liang Shanbo"}),
            )
            .unwrap(),
            &Actor::cli(),
        )
        .unwrap()
        .id;
    World {
        project: p.id,
        segment,
        job,
        entry,
        router: router(app.clone(), cfg),
        a_owner: token(&app, a, Role::Owner),
        a_editor: token(&app, a, Role::Editor),
        a_viewer: viewer,
        a_viewer_id: t.id,
        b_owner: token(&app, b, Role::Owner),
        app,
        _dir: dir,
        a,
        b,
        work_a,
        work_b,
    }
}

fn request(method: &str, uri: &str, bearer: Option<&str>) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match method {
        "PUT" | "POST" if uri.contains("/members") => {
            r#"{"email":"nobody@example.com","role":"viewer"}"#
        }
        "POST" if uri.contains("/tokens") => r#"{"role":"viewer"}"#,
        "POST" if uri.ends_with("/publish") => r#"{"published":true}"#,
        "POST" if uri.ends_with("/orgs") => r#"{"name":"gamma"}"#,
        _ => "",
    };
    if !body.is_empty() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(Body::from(body)).unwrap()
}

fn all_routes() -> Vec<(&'static str, String, Policy)> {
    qiantang_hub::api::all_routes()
        .into_iter()
        .map(|(m, p, pol)| (m, format!("/api/v1{p}"), pol))
        .chain(
            qiantang_hub::web::all_page_routes()
                .into_iter()
                .map(|(m, p, pol)| (m, p.to_string(), pol)),
        )
        .collect()
}

fn fill(path: &str, w: &World) -> String {
    path.replace("{id}", &w.work_a.to_string())
        .replace("{number}", "1")
        .replace("{org}", &w.a.to_string())
        .replace("{token}", &w.a_viewer_id.to_string())
        .replace("{tag}", "en")
        .replace("{proposal}", "1")
        .replace("{user}", "1")
        .replace("{project}", &w.project.to_string())
        .replace("{segment}", &w.segment.to_string())
        .replace("{job}", &w.job.to_string())
        .replace("{entry}", &w.entry.to_string())
        .replace("{licence}", "1")
        .replace("{index}", "0")
        .replace("{*path}", "0/000.p/1")
}

fn refused(status: StatusCode) -> bool {
    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
}

fn assert_no_leak(body: &[u8], what: &str) {
    let text = String::from_utf8_lossy(body);
    assert!(
        !text.contains(SECRET_TITLE),
        "{what}: refusal leaks the private title"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_anonymous_foreign_and_weak_callers() {
    let w = world();
    let mut checked = 0;
    for (method, path, policy) in all_routes() {
        let mut uri = fill(&path, &w);
        // An upload aimed at organization A.
        if policy == Policy::OrgWrite {
            uri.push_str("?org=alpha");
        }
        let what = format!("{method} {path} ({policy:?})");
        // 1. No credentials.
        let (s, b) = call(&w.router, request(method, &uri, None)).await;
        if policy == Policy::Public {
            assert!(!refused(s), "{what}: public route refused anonymous ({s})");
        } else {
            let login_redirect =
                s == StatusCode::SEE_OTHER && method == "GET" && !path.starts_with("/api/");
            assert!(refused(s) || login_redirect, "{what}: anonymous got {s}");
            assert_no_leak(&b, &what);
        }
        // 2. A token of another organization (owner of B).
        let (s, b) = call(&w.router, request(method, &uri, Some(&w.b_owner))).await;
        match policy {
            Policy::WorkRead
            | Policy::WorkWrite
            | Policy::WorkMember
            | Policy::OrgWrite
            | Policy::OrgOwner
            | Policy::KbEdit
            | Policy::KbAdmin
            | Policy::Admin
            | Policy::ProjectRead
            | Policy::ProjectManage
            | Policy::SegmentTranslate => {
                assert!(refused(s), "{what}: B's owner token got {s}");
                assert_no_leak(&b, &what);
            }
            // An owner of any organization may propose KB edits.
            Policy::Public | Policy::Authenticated | Policy::KbPropose => {
                assert!(!refused(s), "{what}: B's token refused ({s})")
            }
        }
        // 3. A role too weak (viewer of A).
        let (s, b) = call(&w.router, request(method, &uri, Some(&w.a_viewer))).await;
        match policy {
            Policy::WorkWrite
            | Policy::OrgWrite
            | Policy::OrgOwner
            | Policy::KbPropose
            | Policy::KbEdit
            | Policy::KbAdmin
            | Policy::Admin
            | Policy::ProjectManage
            | Policy::SegmentTranslate => {
                assert!(refused(s), "{what}: A's viewer token got {s}");
                assert_no_leak(&b, &what);
            }
            Policy::WorkRead
            | Policy::WorkMember
            | Policy::Public
            | Policy::Authenticated
            | Policy::ProjectRead => {
                assert!(!refused(s), "{what}: A's viewer refused ({s})")
            }
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} routes checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strong_enough_roles_are_allowed() {
    let w = world();
    let r = &w.router;
    let (s, b) = call(
        r,
        get_as(&format!("/api/v1/works/{}", w.work_a), Some(&w.a_viewer)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["title"], SECRET_TITLE);
    let (s, _) = call(
        r,
        request(
            "POST",
            &format!("/api/v1/works/{}/tag", w.work_a),
            Some(&w.a_editor),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call(
        r,
        get_as(&format!("/api/v1/orgs/{}/audit", w.a), Some(&w.a_owner)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<String> = json(&b)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        actions.contains(&"work_tagged".to_string())
            && actions.contains(&"token_created".to_string()),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_lets_org_a_see_org_b() {
    let w = world();
    let r = &w.router;
    for t in [&w.a_owner, &w.a_viewer] {
        // Lists show only A's works (B's work is unpublished).
        let (_, b) = call(r, get_as("/api/v1/works", Some(t))).await;
        let titles: Vec<String> = json(&b)
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["title"].as_str().unwrap().to_string())
            .collect();
        assert!(titles.contains(&SECRET_TITLE.to_string()));
        assert!(!titles.iter().any(|x| x == OTHER_SECRET), "{titles:?}");
        // Direct reads of B's work, chapters, profile.
        for suffix in ["", "/chapters", "/chapters/1", "/profile"] {
            let (s, b) = call(
                r,
                get_as(&format!("/api/v1/works/{}{suffix}", w.work_b), Some(t)),
            )
            .await;
            assert!(refused(s), "{suffix}: {s}");
            assert!(!String::from_utf8_lossy(&b).contains(OTHER_SECRET));
        }
        // Pages: catalog, work page, reader.
        let (_, b) = call(r, get_as("/", Some(t))).await;
        assert!(
            !String::from_utf8_lossy(&b).contains(OTHER_SECRET),
            "catalog leaks B"
        );
        let (s, _) = call(
            r,
            get_as(&format!("/works/{}/chapters/1", w.work_b), Some(t)),
        )
        .await;
        assert!(refused(s));
        // B's audit log.
        let (s, b) = call(
            r,
            get_as(&format!("/api/v1/orgs/{}/audit?format=jsonl", w.b), Some(t)),
        )
        .await;
        assert!(refused(s));
        assert!(!String::from_utf8_lossy(&b).contains(OTHER_SECRET));
    }
    // KB "where used" and search never name B's private work to A.
    let concept = {
        let kb = w.app.kb().view();
        let occ = w.app.catalog().chapter_occurrences(w.work_b, 1).unwrap();
        kb.concepts.get(&occ[0].concept).unwrap().id.clone()
    };
    let (_, b) = call(
        r,
        get_as(&format!("/api/v1/kb/concepts/{concept}"), Some(&w.a_owner)),
    )
    .await;
    let used: Vec<i64> = json(&b)["used_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["work"].as_i64().unwrap())
        .collect();
    assert!(
        used.contains(&w.work_a) && !used.contains(&w.work_b),
        "{used:?}"
    );
    let (_, b) = call(
        r,
        get_as(&format!("/kb/concepts/{concept}"), Some(&w.a_owner)),
    )
    .await;
    assert!(
        !String::from_utf8_lossy(&b).contains(OTHER_SECRET),
        "concept page leaks B"
    );
    let (_, b) = call(
        r,
        get_as(
            &format!("/api/v1/kb/concepts?q={}", "%E6%9C%BA%E5%AF%86"),
            Some(&w.a_owner),
        ),
    )
    .await;
    assert!(!String::from_utf8_lossy(&b).contains(OTHER_SECRET));
    let (_, b) = call(r, get_as("/api/v1/kb/export?format=tbx", Some(&w.a_owner))).await;
    assert!(!String::from_utf8_lossy(&b).contains(OTHER_SECRET));
    // Anonymous sees neither private work, but does see a published one.
    let (_, b) = call(r, get_as("/api/v1/works", None)).await;
    assert!(json(&b).as_array().unwrap().is_empty());
    w.app
        .stores_for_tests()
        .works
        .set_published(w.work_b, true)
        .unwrap();
    let (s, b) = call(r, get_as(&format!("/api/v1/works/{}", w.work_b), None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["title"], OTHER_SECRET);
    assert_eq!(
        w.app.catalog().list_works(&WorkScope::All).unwrap().len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_at_once() {
    let w = world();
    let (t, secret) = w
        .app
        .accounts()
        .create_token(w.a, Role::Viewer, "temp", None, &Actor::cli())
        .unwrap();
    let (s, _) = call(&w.router, get_as("/api/v1/works", Some(&secret))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &w.router,
        request(
            "DELETE",
            &format!("/api/v1/orgs/{}/tokens/{}", w.a, t.id),
            Some(&w.a_owner),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = call(&w.router, get_as("/api/v1/works", Some(&secret))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&b).contains("revoked"));
    // Garbage and malformed credentials are refused too.
    let (s, _) = call(&w.router, get_as("/api/v1/works", Some("qt_not-a-token"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let req = Request::get("/api/v1/works")
        .header(header::AUTHORIZATION, "Basic Zm9vOmJhcg==")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&w.router, req).await.0, StatusCode::UNAUTHORIZED);
    // An owner of B cannot revoke A's tokens.
    let (s, _) = call(
        &w.router,
        request(
            "DELETE",
            &format!("/api/v1/orgs/{}/tokens/{}", w.a, w.a_viewer_id),
            Some(&w.b_owner),
        ),
    )
    .await;
    assert!(refused(s));
}

async fn login_form(r: &axum::Router, email: &str, password: &str) -> (StatusCode, Option<String>) {
    // The login page sets the double-submit CSRF cookie; the form echoes it.
    let resp = tower::ServiceExt::oneshot(
        r.clone(),
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let cookie = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("qt_csrf="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = cookie.trim_start_matches("qt_csrf=").to_string();
    let body = format!(
        "email={}&password={}&csrf={csrf}",
        email.replace('@', "%40"),
        password
    );
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(r.clone(), req).await.unwrap();
    let session = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("qt_session="))
        .map(str::to_string);
    (resp.status(), session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_sessions_csrf_and_brute_force_throttling() {
    let w = world();
    let (user, password) = w
        .app
        .accounts()
        .create_user(
            "ed@alpha.test",
            Some((w.a, Role::Editor)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    let (s, session) = login_form(&w.router, &user.email, &password).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let session = session.unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let cookie = session.split(';').next().unwrap().to_string();
    // The session reaches A's private work, not B's.
    let req = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        call(&w.router, req(&format!("/works/{}", w.work_a)))
            .await
            .0,
        StatusCode::OK
    );
    assert!(refused(
        call(&w.router, req(&format!("/works/{}", w.work_b)))
            .await
            .0
    ));
    // A form post without the CSRF token is refused.
    let post = Request::post(format!("/works/{}/tag", w.work_a))
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=wrong"))
        .unwrap();
    assert_eq!(call(&w.router, post).await.0, StatusCode::FORBIDDEN);
    // Wrong passwords: same message for unknown users; throttled after 10 a minute.
    let mut statuses = Vec::new();
    for i in 0..14 {
        let email = if i % 2 == 0 {
            "ed@alpha.test"
        } else {
            "nobody@alpha.test"
        };
        statuses.push(login_form(&w.router, email, "wrong-password").await.0);
    }
    assert!(
        statuses
            .iter()
            .take(9)
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Even the right password is throttled now.
    assert_eq!(
        login_form(&w.router, &user.email, &password).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let audit = w.app.accounts().list_audit(None, None, 1000).unwrap();
    assert!(audit.iter().any(|e| e.action == "login_failed"));
    assert!(audit.iter().any(|e| e.action == "login"));
    assert!(!audit
        .iter()
        .any(|e| e.detail.contains(&password) || e.detail.contains("wrong-password")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_propose_reviewers_decide_and_history_is_kept() {
    let w = world();
    let reviewer = token(&w.app, w.b, Role::Reviewer);
    let mut c = w.app.kb().view().concepts["place.west-lake"].clone();
    c.definition.insert(
        "en".into(),
        "A freshwater lake in Hangzhou (edited).".into(),
    );
    let put = |tok: &str, c: &qiantang_kb::Concept| {
        Request::put(format!("/api/v1/kb/concepts/{}", c.id))
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(c).unwrap()))
            .unwrap()
    };
    // An editor's PUT becomes a pending proposal; the KB is unchanged.
    let (s, b) = call(&w.router, put(&w.a_editor, &c)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&b));
    let pid = json(&b)["proposal"].as_i64().unwrap();
    assert_ne!(
        w.app.kb().view().concepts["place.west-lake"].definition["en"],
        c.definition["en"]
    );
    // A viewer can neither propose nor see proposals; an editor cannot approve.
    assert_eq!(
        call(&w.router, put(&w.a_viewer, &c)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&w.router, get_as("/api/v1/kb/proposals", Some(&w.a_viewer)))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let approve = |tok: &str| {
        request(
            "POST",
            &format!("/api/v1/kb/proposals/{pid}/approve"),
            Some(tok),
        )
    };
    assert_eq!(
        call(&w.router, approve(&w.a_editor)).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, b) = call(
        &w.router,
        get_as("/api/v1/kb/proposals?status=pending", Some(&w.a_editor)),
    )
    .await;
    assert_eq!(json(&b)[0]["id"], pid);
    // A reviewer approves: the change applies, once.
    let (s, b) = call(&w.router, approve(&reviewer)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json(&b)["status"], "approved");
    assert_eq!(
        w.app.kb().view().concepts["place.west-lake"].definition["en"],
        c.definition["en"]
    );
    assert_eq!(
        call(&w.router, approve(&reviewer)).await.0,
        StatusCode::BAD_REQUEST
    );
    let hist = w.app.kb().concept_history("place.west-lake").unwrap();
    assert!(hist[0].actor.contains("approved by"), "{}", hist[0].actor);
    // A rejected proposal changes nothing.
    let mut bad = c.clone();
    bad.definition.insert("en".into(), "Vandalised.".into());
    let (_, b) = call(&w.router, put(&w.a_editor, &bad)).await;
    let pid2 = json(&b)["proposal"].as_i64().unwrap();
    let (s, _) = call(
        &w.router,
        request(
            "POST",
            &format!("/api/v1/kb/proposals/{pid2}/reject"),
            Some(&reviewer),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        w.app.kb().view().concepts["place.west-lake"].definition["en"],
        c.definition["en"]
    );
    // A reviewer's own PUT applies at once.
    c.definition
        .insert("en".into(), "West Lake, Hangzhou.".into());
    let (s, _) = call(&w.router, put(&reviewer, &c)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        w.app.kb().view().concepts["place.west-lake"].definition["en"],
        "West Lake, Hangzhou."
    );
    let actions: Vec<String> = w
        .app
        .accounts()
        .list_audit(None, None, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "concept_proposed",
        "concept_approved",
        "concept_rejected",
        "concept_edited",
    ] {
        assert!(actions.contains(&a.to_string()), "{a} missing: {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_cannot_outlive_or_exceed_their_grant() {
    let w = world();
    let (owner, _) = w
        .app
        .accounts()
        .create_user(
            "own@alpha.test",
            Some((w.a, Role::Owner)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    // An owner's token stops when its creator is demoted.
    let (_, tok) = w
        .app
        .accounts()
        .create_token(w.a, Role::Owner, "mine", Some(owner.id), &Actor::cli())
        .unwrap();
    let members = format!("/api/v1/orgs/{}/members", w.a);
    assert_eq!(
        call(&w.router, get_as(&members, Some(&tok))).await.0,
        StatusCode::OK
    );
    w.app
        .accounts()
        .set_role(w.a, owner.id, Role::Viewer, &Actor::cli())
        .unwrap();
    let (s, b) = call(&w.router, get_as(&members, Some(&tok))).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "{}",
        String::from_utf8_lossy(&b)
    );
    // Owners grant neither the reviewer role nor membership to outsiders.
    let body =
        |email: &str, role: &str| serde_json::json!({"email": email, "role": role}).to_string();
    let put = |tok: &str, b: String| {
        Request::put(&members)
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b))
            .unwrap()
    };
    let (outsider, _) = w
        .app
        .accounts()
        .create_user(
            "x@beta.test",
            Some((w.b, Role::Viewer)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    let (s, b1) = call(&w.router, put(&w.a_owner, body(&outsider.email, "viewer"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b2) = call(
        &w.router,
        put(&w.a_owner, body("nobody@nowhere.test", "viewer")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The two refusals read alike apart from the address (no account enumeration).
    let strip = |b: &[u8], e: &str| String::from_utf8_lossy(b).replace(e, "E");
    assert_eq!(
        strip(&b1, &outsider.email),
        strip(&b2, "nobody@nowhere.test")
    );
    let (editor, _) = w
        .app
        .accounts()
        .create_user(
            "ed2@alpha.test",
            Some((w.a, Role::Editor)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    assert_eq!(
        call(&w.router, put(&w.a_owner, body(&editor.email, "reviewer")))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &w.router,
            put(&w.a_owner, body(&editor.email, "translator"))
        )
        .await
        .0,
        StatusCode::OK
    );
    let tokens = Request::post(format!("/api/v1/orgs/{}/tokens", w.a))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.a_owner))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"role":"reviewer"}"#))
        .unwrap();
    assert_eq!(call(&w.router, tokens).await.0, StatusCode::FORBIDDEN);
    // Removing a member works once.
    let del = |tok: &str| {
        request(
            "DELETE",
            &format!("/api/v1/orgs/{}/members/{}", w.a, editor.id),
            Some(tok),
        )
    };
    assert_eq!(
        call(&w.router, del(&w.a_owner)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&w.router, del(&w.a_owner)).await.0,
        StatusCode::NOT_FOUND
    );
    // Guessing tokens is throttled.
    let mut statuses = Vec::new();
    for i in 0..14 {
        statuses.push(
            call(
                &w.router,
                get_as("/api/v1/works", Some(&format!("qt_guess{i}"))),
            )
            .await
            .0,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_writes_with_a_session_cookie_need_the_csrf_header() {
    let w = world();
    let (user, password) = w
        .app
        .accounts()
        .create_user(
            "ed3@alpha.test",
            Some((w.a, Role::Editor)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    let sess = w
        .app
        .accounts()
        .login(&user.email, &password, 3_600_000, None)
        .unwrap();
    let cookie = format!("qt_session={}", sess.secret);
    let tag = |csrf: Option<&str>| {
        let mut b = Request::post(format!("/api/v1/works/{}/tag", w.work_a))
            .header(header::COOKIE, &cookie);
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        b.body(Body::empty()).unwrap()
    };
    assert_eq!(call(&w.router, tag(None)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        call(&w.router, tag(Some("wrong"))).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&w.router, tag(Some(&sess.csrf))).await.0,
        StatusCode::OK
    );
    // Reads need no header.
    let read = Request::get(format!("/api/v1/works/{}", w.work_a))
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&w.router, read).await.0, StatusCode::OK);
    // The login is in organization A's audit log; the failed one records no typed text.
    let _ = w
        .app
        .accounts()
        .login(&user.email, "my-password-in-the-wrong-field", 1000, None);
    let audit = w.app.accounts().list_audit(Some(w.a), None, 100).unwrap();
    assert!(audit.iter().any(|e| e.action == "login"), "{audit:?}");
    assert!(audit.iter().all(|e| !e.detail.contains("wrong-field")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_change_their_own_password() {
    let w = world();
    let (user, first) = w
        .app
        .accounts()
        .create_user(
            "pw@alpha.test",
            Some((w.a, Role::Viewer)),
            false,
            &Actor::cli(),
        )
        .unwrap();
    let actor = qiantang_app::accounts::Actor::cli();
    assert!(w
        .app
        .accounts()
        .change_own_password(&user, "not-it", "a-new-password", &actor)
        .is_err());
    assert!(
        w.app
            .accounts()
            .change_own_password(&user, &first, "short", &actor)
            .is_err(),
        "too short"
    );
    let sess = w
        .app
        .accounts()
        .login(&user.email, &first, 60_000, None)
        .unwrap();
    w.app
        .accounts()
        .change_own_password(&user, &first, "a-new-password", &actor)
        .unwrap();
    // The old password and the old sessions are gone.
    assert!(w
        .app
        .accounts()
        .login(&user.email, &first, 60_000, None)
        .is_err());
    assert!(w
        .app
        .accounts()
        .login(&user.email, "a-new-password", 60_000, None)
        .is_ok());
    let req = Request::get("/account")
        .header(header::COOKIE, format!("qt_session={}", sess.secret))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        call(&w.router, req).await.0,
        StatusCode::SEE_OTHER,
        "old session should be logged out"
    );
}
