//! The localization workflow over the JSON API: roles decide who may
//! translate, review and approve; stale saves get 409; approved segments are
//! locked; saves feed the TM and return QA findings; jobs resume after a
//! restart and stop when cancelled.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use qiantang_app::accounts::Actor;
use qiantang_app::App;
use qiantang_auth::Role;
use qiantang_hub::{router, HubConfig};
use qiantang_l10n::model::{JobKind, JobState, SegmentState};
use qiantang_works::import::ImportOptions;

use crate::{call, demo_org, fresh, get_as, json, token};

fn send(method: &str, uri: &str, bearer: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn import_sample(app: &App, org: i64) -> i64 {
    let text = std::fs::read(crate::corpus(
        "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt",
    ))
    .unwrap();
    app.catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "liangzhu.txt",
            bytes: &text,
            title: Some("梁祝"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_versions_locks_tm_and_qa_over_the_api() {
    let (dir, app) = fresh();
    let org = demo_org(&app);
    let work = import_sample(&app, org);
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let editor = token(&app, org, Role::Editor);
    let translator = token(&app, org, Role::Translator);
    let reviewer = token(&app, org, Role::Reviewer);
    let viewer = token(&app, org, Role::Viewer);

    // Only owners/editors create projects; the locale and market are checked.
    let (s, b) = call(
        &r,
        send(
            "POST",
            &format!("/api/v1/works/{work}/l10n"),
            &translator,
            serde_json::json!({"locale": "en", "market": "US"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&b));
    let (s, b) = call(
        &r,
        send(
            "POST",
            &format!("/api/v1/works/{work}/l10n"),
            &editor,
            serde_json::json!({"locale": "en_US!", "market": "US"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&b).contains("BCP 47"));
    // Registered subtags only: no made-up language, no region as a language.
    for bad in ["xx", "US", "zh-Hant-XQ-"] {
        let (s, _) = call(
            &r,
            send(
                "POST",
                &format!("/api/v1/works/{work}/l10n"),
                &editor,
                serde_json::json!({"locale": bad, "market": "US"}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (s, b) = call(
        &r,
        send(
            "POST",
            &format!("/api/v1/works/{work}/l10n"),
            &editor,
            serde_json::json!({"locale": "en", "market": "US"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let p = json(&b);
    let pid = p["id"].as_i64().unwrap();
    assert!(p["progress"]["segments"].as_u64().unwrap() > 20);
    let (s, _) = call(
        &r,
        send(
            "POST",
            &format!("/api/v1/works/{work}/l10n"),
            &editor,
            serde_json::json!({"locale": "en", "market": "US"}),
        ),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "one project per work × locale × market"
    );

    // The editor's view of chapter 1, readable by a viewer.
    let (s, b) = call(
        &r,
        get_as(
            &format!("/api/v1/l10n/projects/{pid}/chapters/1"),
            Some(&viewer),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let view = json(&b);
    let segs = view["segments"].as_array().unwrap();
    let s0 = &segs[0];
    let id0 = s0["id"].as_i64().unwrap();
    let src0 = s0["source"].as_str().unwrap().to_string();
    let seg_uri = format!("/api/v1/l10n/segments/{id0}");

    // A viewer may not translate; a translator may not approve.
    let save =
        |v: i64, t: &str, st: &str| serde_json::json!({"version": v, "target": t, "state": st});
    let (s, _) = call(
        &r,
        send("PUT", &seg_uri, &viewer, save(0, "x", "translated")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &r,
        send(
            "PUT",
            &seg_uri,
            &translator,
            save(0, "Liang Shanbo.", "approved"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Leftover Chinese is saved but reported.
    let (s, b) = call(
        &r,
        send(
            "PUT",
            &seg_uri,
            &translator,
            save(0, "Liang 山伯 came.", "translated"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let v = json(&b);
    assert_eq!(v["segment"]["version"], 1);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "leftover_han"),
        "{v}"
    );
    // A save against the old version is a conflict, nothing changes.
    let (s, b) = call(
        &r,
        send("PUT", &seg_uri, &reviewer, save(0, "Other.", "reviewed")),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&b));
    // The reviewer approves version 1 with a corrected text.
    let (s, b) = call(
        &r,
        send(
            "PUT",
            &seg_uri,
            &reviewer,
            save(1, "Liang Shanbo came.", "approved"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    // Approved text is locked for translators.
    let (s, _) = call(
        &r,
        send(
            "PUT",
            &seg_uri,
            &translator,
            save(2, "Changed.", "translated"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // History keeps who did what.
    let (s, b) = call(&r, get_as(&format!("{seg_uri}/history"), Some(&viewer))).await;
    assert_eq!(s, StatusCode::OK);
    let h = json(&b);
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["state"], "approved");

    // The approved text is now an exact TM match (approved unit) for the same source.
    let p = app.l10n().project(pid).unwrap();
    let m = app.l10n().tm_matches(&p, &src0, None, 3).unwrap();
    assert_eq!(
        m.first().map(|m| m.unit.target.as_str()),
        Some("Liang Shanbo came.")
    );
    assert!(m[0].score >= 95 && m[0].unit.approved, "{:?}", m[0].score);

    // A source correction keeps the approved target as a draft; only managers may make it.
    let (s, _) = call(
        &r,
        send(
            "PUT",
            &format!("{seg_uri}/source"),
            &translator,
            serde_json::json!({"source": "梁山伯来了。"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = call(
        &r,
        send(
            "PUT",
            &format!("{seg_uri}/source"),
            &editor,
            serde_json::json!({"source": format!("{src0}！")}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let v = json(&b);
    assert_eq!(
        (v["state"].as_str(), v["target"].as_str()),
        (Some("draft"), Some("Liang Shanbo came."))
    );
    let hist = app.l10n().segment_history(id0).unwrap();
    assert!(hist
        .iter()
        .any(|h| h.state == SegmentState::Approved && h.source == src0));

    // The localized reader shows the translation (and the source where none exists yet).
    let (s, b) = call(&r, get_as(&format!("/l10n/{pid}/read/1"), Some(&viewer))).await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8_lossy(&b);
    assert!(
        page.contains("Liang Shanbo came."),
        "reader shows the approved text"
    );
    assert!(page.contains("lang=\"en\""));

    // Comments, and another organization sees nothing of the project.
    let (s, _) = call(
        &r,
        send(
            "POST",
            &format!("{seg_uri}/comments"),
            &translator,
            serde_json::json!({"body": "name order?"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let other = app
        .accounts()
        .create_org("other", &Actor::cli())
        .unwrap()
        .id;
    let stranger = token(&app, other, Role::Owner);
    let (s, b) = call(
        &r,
        get_as(&format!("/api/v1/l10n/projects/{pid}"), Some(&stranger)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!String::from_utf8_lossy(&b).contains("梁祝"));
    let (s, b) = call(&r, get_as("/api/v1/l10n/projects", Some(&stranger))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(json(&b).as_array().unwrap().is_empty());

    // Project QA lists the approved segment nowhere as untranslated, but the rest as empty targets are not errors.
    let (s, b) = call(
        &r,
        get_as(&format!("/api/v1/l10n/projects/{pid}/qa"), Some(&viewer)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(json(&b).is_array());
}

#[test]
fn jobs_resume_after_a_restart_and_stop_when_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (pid, job) = {
        let app = App::open(dir.path()).unwrap();
        let org = demo_org(&app);
        let work = import_sample(&app, org);
        let p = app
            .l10n()
            .create_project(work, "zh-Hant-TW", "TW", &Actor::cli())
            .unwrap();
        assert_eq!(p.settings.mt_backend.as_deref(), Some("opencc"));
        // A job queued (as if the hub stopped before running it).
        let job = app
            .l10n()
            .queue_pretranslate(p.id, None, Some("opencc".into()), &Actor::cli())
            .unwrap();
        assert_eq!(job.state, JobState::Queued);
        (p.id, job.id)
    };
    // A new process finds the unfinished job and runs it to the end.
    let app = App::open(dir.path()).unwrap();
    let pending = app.stores_for_tests().l10n.unfinished_jobs().unwrap();
    assert_eq!(pending.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job]);
    let mut seen = Vec::new();
    let done = app.l10n().run_job(job, &mut |j| seen.push(j.done)).unwrap();
    assert_eq!(done.state, JobState::Done);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows");
    let segs = app.l10n().segments(pid, None).unwrap();
    assert!(segs.iter().all(|s| s.state == SegmentState::Draft));
    let paras = app.l10n().localized_chapter(pid, 1).unwrap();
    assert!(paras.len() > 3, "paragraphs as in the source");
    let text: String = paras.iter().flatten().map(|r| r.text.as_str()).collect();
    assert!(
        !text.contains('说') && text.contains('說'),
        "Traditional in the reader"
    );
    assert!(segs.iter().any(|s| s
        .target
        .as_deref()
        .is_some_and(|t| t.contains('來') || t.contains('說'))));

    // A cancelled job is not run, and a final job stays final.
    let j2 = app
        .stores_for_tests()
        .l10n
        .create_job(
            pid,
            &JobKind::Pretranslate {
                chapters: None,
                backend: None,
            },
            "t",
            1,
        )
        .unwrap();
    app.l10n().cancel_job(j2.id, &Actor::cli()).unwrap();
    let after = app.l10n().run_job(j2.id, &mut |_| {}).unwrap();
    assert_eq!(after.state, JobState::Cancelled);
    assert!(app
        .stores_for_tests()
        .l10n
        .unfinished_jobs()
        .unwrap()
        .is_empty());

    // MT backends can be reserved for organizations.
    app.accounts()
        .create_org("hangzhou", &Actor::cli())
        .unwrap();
    let mut access = std::collections::BTreeMap::new();
    access.insert("opencc".to_string(), vec!["hangzhou".to_string()]);
    app.l10n().configure_mt_access(&access).unwrap();
    let e = app
        .l10n()
        .queue_pretranslate(pid, None, Some("opencc".into()), &Actor::cli())
        .unwrap_err();
    assert!(e.to_string().contains("not enabled"), "{e}");
    assert!(app.l10n().mt_backends_for(demo_org(&app)).is_empty());
    access.insert("nonexistent".to_string(), vec![]);
    assert!(app.l10n().configure_mt_access(&access).is_err());
}
