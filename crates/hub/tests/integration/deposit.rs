//! The copyright deposit log inside the hub (issue 5): API deposits with the
//! pending → final stages, receipts verified offline, deduplication, tenant
//! isolation, tiles, and the automatic deposits of imports, licence grants
//! and piracy evidence.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine;
use qiantang_app::accounts::Actor;
use qiantang_app::App;
use qiantang_auth::Role;
use qiantang_deposit::{DepositService, ServiceConfig, VerifyOptions};
use qiantang_hub::{router, HubConfig};
use qiantang_ledger::checkpoint::Checkpoint;
use qiantang_ledger::entry::Kind;
use qiantang_ledger::merkle;
use qiantang_ledger::tiles::{TileId, TileReader};
use qiantang_ledger::SignedNote;
use qiantang_works::import::ImportOptions;
use qiantang_works::model::WorkScope;
use tower::ServiceExt;

use crate::{call, fresh, get_as, json, multipart, token};

const LIANG_ZHU: &str = "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt";

fn with_log(app: &App, dir: &std::path::Path) -> Arc<DepositService> {
    let svc = Arc::new(DepositService::open(dir, ServiceConfig::default()).unwrap());
    app.deposits().attach_log(svc.clone());
    svc
}

fn deposit_req(org: Option<&str>, t: &str, bytes: &[u8], title: &str) -> Request<Body> {
    let mut fields: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("file", Some("script.txt"), bytes),
        ("title", None, title.as_bytes()),
        ("kind", None, b"adaptation"),
    ];
    if let Some(o) = org {
        fields.push(("org", None, o.as_bytes()));
    }
    let (ct, body) = multipart(&fields);
    Request::post("/api/v1/deposits")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_is_pending_then_final_and_the_receipt_verifies_offline() {
    let (dir, app) = fresh();
    let a = app
        .accounts()
        .create_org("alpha", &Actor::cli())
        .unwrap()
        .id;
    let b = app.accounts().create_org("beta", &Actor::cli()).unwrap().id;
    let svc = with_log(&app, dir.path());
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let editor = token(&app, a, Role::Editor);
    let viewer = token(&app, a, Role::Viewer);
    let foreign = token(&app, b, Role::Owner);
    let bytes = "《梁祝》微短剧剧本 第一集".as_bytes();
    // Upload → 202 pending.
    let (s, body) = call(&r, deposit_req(Some("alpha"), &editor, bytes, "梁祝 剧本")).await;
    assert_eq!(
        s,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let v = json(&body);
    assert_eq!(v["status"], "pending");
    assert_eq!(v["duplicate"], false);
    assert_eq!(v["entry"]["org"], "alpha");
    assert_eq!(v["entry"]["kind"], "adaptation");
    let index = v["index"].as_u64().unwrap();
    let sha = v["entry"]["sha256"].as_str().unwrap().to_string();
    assert!(!v["entry"]["deposited_by"].as_str().unwrap().contains('@'));
    // Before the checkpoint: metadata visible as pending, receipt 202 with Retry-After.
    let (s, body) = call(&r, get_as(&format!("/api/v1/deposits/{index}"), None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["status"], "pending");
    let resp = r
        .clone()
        .oneshot(get_as(&format!("/api/v1/deposits/{index}/receipt"), None))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    let (s, _) = call(
        &r,
        get_as(&format!("/api/v1/deposits/{index}/certificate"), None),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // The same bytes again: the same entry.
    let (s, body) = call(&r, deposit_req(None, &editor, bytes, "another title")).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let again = json(&body);
    assert_eq!(
        (again["index"].as_u64(), again["duplicate"].as_bool()),
        (Some(index), Some(true))
    );
    assert_eq!(again["entry"]["title"], "梁祝 剧本");
    // A foreign organization's token cannot deposit into alpha; a viewer cannot deposit.
    let (s, body) = call(&r, deposit_req(Some("alpha"), &foreign, b"x", "x")).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let mut req = deposit_req(None, &foreign, b"y", "y");
    *req.uri_mut() = "/api/v1/deposits?org=alpha".parse().unwrap();
    let (s, _) = call(&r, req).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&r, deposit_req(Some("alpha"), &viewer, b"z", "z")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The checkpoint: final (no witnesses required here).
    svc.integrate().unwrap();
    let (s, body) = call(&r, get_as(&format!("/api/v1/deposits/{index}"), None)).await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["status"], "final");
    assert_eq!(v["checkpoint"]["size"], svc.size());
    let (s, receipt) = call(
        &r,
        get_as(&format!("/api/v1/deposits/{index}/receipt"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let rpath = dir.path().join("r.tlog-proof");
    let fpath = dir.path().join("script.txt");
    std::fs::write(&rpath, &receipt).unwrap();
    std::fs::write(&fpath, bytes).unwrap();
    // The log key as published by the API.
    let (_, kb) = call(&r, get_as("/api/v1/log/key", None)).await;
    let log_key =
        qiantang_ledger::VerifierKey::parse(json(&kb)["log_key"].as_str().unwrap()).unwrap();
    let opts = VerifyOptions {
        log_key,
        witness_keys: vec![],
        threshold: 0,
        tsa_cert: None,
        tsa_token: None,
    };
    let rep = qiantang_deposit::receipt::verify(&rpath, Some(&fpath), &opts).unwrap();
    assert!(rep.ok, "{:?}", rep.checks);
    // A different file does not verify.
    std::fs::write(&fpath, b"tampered").unwrap();
    assert!(
        !qiantang_deposit::receipt::verify(&rpath, Some(&fpath), &opts)
            .unwrap()
            .ok
    );
    // Certificate with the verification URL; search by hash; verify page.
    let (s, cert) = call(
        &r,
        get_as(&format!("/api/v1/deposits/{index}/certificate"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let cert = String::from_utf8_lossy(&cert);
    assert!(
        cert.contains(&format!("/verify/{index}?h={sha}")),
        "certificate lacks the URL"
    );
    let (s, body) = call(&r, get_as(&format!("/api/v1/deposits?sha256={sha}"), None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)[0]["index"].as_u64(), Some(index));
    let (s, body) = call(&r, get_as(&format!("/verify/{index}?h={sha}"), None)).await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("hash-match"),
        "verify page does not confirm the hash"
    );
    let (_, body) = call(
        &r,
        get_as(&format!("/verify/{index}?h={}", "0".repeat(64)), None),
    )
    .await;
    assert!(String::from_utf8_lossy(&body).contains("hash-mismatch"));
    // Proofs over the API check against the checkpoint root.
    let (s, body) = call(
        &r,
        get_as(&format!("/api/v1/log/proof/inclusion?index={index}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let p = json(&body);
    let b64 = base64::engine::general_purpose::STANDARD;
    let dec = |v: &serde_json::Value| -> [u8; 32] {
        b64.decode(v.as_str().unwrap()).unwrap().try_into().unwrap()
    };
    let hashes: Vec<[u8; 32]> = p["hashes"].as_array().unwrap().iter().map(dec).collect();
    merkle::verify_inclusion(
        index,
        p["size"].as_u64().unwrap(),
        &dec(&p["leaf_hash"]),
        &hashes,
        &dec(&p["root"]),
    )
    .unwrap();
    let (s, body) = call(&r, get_as("/api/v1/log/proof/consistency?old=0", None)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (s, _) = call(&r, get_as("/api/v1/log/proof/inclusion?index=999", None)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_rebuild_the_checkpoint_root() {
    let (dir, app) = fresh();
    let svc = with_log(&app, dir.path());
    let org = crate::demo_org(&app);
    for i in 0..300 {
        app.deposits()
            .deposit_file(
                org,
                "f.txt",
                format!("file {i}").as_bytes(),
                None,
                None,
                None,
                &Actor::cli(),
            )
            .unwrap();
    }
    svc.integrate().unwrap();
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let resp = r
        .clone()
        .oneshot(get_as("/api/v1/log/checkpoint", None))
        .await
        .unwrap();
    assert_eq!(resp.headers()[header::CACHE_CONTROL], "public, max-age=5");
    let (_, body) = call(&r, get_as("/api/v1/log/checkpoint", None)).await;
    let note = SignedNote::parse(&body).unwrap();
    note.verify(std::slice::from_ref(svc.verifier_key()))
        .unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(cp.size, 300);
    // Fetch every tile the client needs over the router (from a plain thread: the reader is sync).
    let rt = tokio::runtime::Handle::current();
    let r2 = r.clone();
    let root = std::thread::spawn(move || {
        let reader = TileReader::new(cp.size, |t: &TileId| {
            let resp = rt
                .block_on(
                    r2.clone()
                        .oneshot(get_as(&format!("/api/v1/log/{}", t.path()), None)),
                )
                .unwrap();
            let cc = resp.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .to_string();
            if t.is_partial() {
                assert_eq!(cc, "public, max-age=5");
            } else {
                assert!(cc.contains("immutable"), "{cc}");
            }
            let (s, b) = rt.block_on(call(
                &r2,
                get_as(&format!("/api/v1/log/{}", t.path()), None),
            ));
            (s == StatusCode::OK).then_some(b)
        });
        merkle::root(&reader, cp.size).unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(root, cp.root);
    let (s, _) = call(&r, get_as("/api/v1/log/tile/0/005", None)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_grants_and_piracy_evidence_use_the_log() {
    let (dir, app) = fresh();
    let svc = with_log(&app, dir.path());
    let org = crate::demo_org(&app);
    let text = std::fs::read(crate::corpus(LIANG_ZHU)).unwrap();
    let w = app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "lz.txt",
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
        .unwrap();
    let chapters = app.catalog().chapters(w).unwrap();
    // The work's entry (source file) and one chapter entry each, parented to it.
    let work_sha = qiantang_works::model::sha256_hex(&text);
    let found = svc.entries_by_hash(&work_sha).unwrap();
    assert_eq!(found.len(), 1);
    let (work_index, _, we) = &found[0];
    assert_eq!(
        (we.kind, we.org.as_str(), we.title.as_str()),
        (Kind::Work, "demo", "梁祝")
    );
    for c in &chapters {
        let e = svc.entries_by_hash(&c.sha256).unwrap();
        assert_eq!(e.len(), 1, "chapter {}", c.number);
        assert_eq!(e[0].2.kind, Kind::Chapter);
        assert_eq!(e[0].2.parent.as_ref().unwrap().index, *work_index);
    }
    assert_eq!(app.deposits().work_deposit(w), Some(*work_index));
    svc.integrate().unwrap();
    // An EPUB exported by a manager is deposited as a translation of the work.
    let r0 = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let editor = token(&app, org, Role::Editor);
    let p = app
        .l10n()
        .create_project(w, "en", "US", &qiantang_app::accounts::Actor::cli())
        .unwrap();
    let (s, epub) = call(
        &r0,
        get_as(
            &format!("/api/v1/l10n/projects/{}/export?format=epub", p.id),
            Some(&editor),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let t = svc
        .entries_by_hash(&qiantang_works::model::sha256_hex(&epub))
        .unwrap();
    assert_eq!(t.len(), 1, "the EPUB is deposited");
    assert_eq!(t[0].2.kind, Kind::Translation);
    assert_eq!(t[0].2.parent.as_ref().unwrap().index, *work_index);
    // A licence grant gets a deposit index (a licence entry parented to the work's).
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let owner = token(&app, org, Role::Owner);
    let body = serde_json::json!({"licensee": "Tor", "territories": ["US"], "languages": ["en"],
        "media": ["text"], "exclusive": true, "start": "2027-01-01"});
    let (s, b) = call(
        &r,
        Request::post(format!("/api/v1/works/{w}/licences"))
            .header(header::AUTHORIZATION, format!("Bearer {owner}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let g = json(&b);
    let gi = g["deposit_index"]
        .as_u64()
        .expect("grant has a deposit index");
    let (st, ge) = svc.entry_with_status(gi).unwrap();
    assert_eq!(st, qiantang_deposit::EntryStatus::Pending);
    assert_eq!(ge.kind, Kind::Licence);
    assert_eq!(ge.parent.unwrap().index, *work_index);
    let stored = app
        .rights()
        .grant(g["id"].as_i64().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.deposit_index, Some(gi));
    // The piracy check names the deposit of the matched chapter.
    let (_, ch) = app.catalog().chapter(w, 1).unwrap().unwrap();
    let rep = app
        .piracy()
        .piracy_check("x.txt", ch.as_bytes(), None, &WorkScope::All)
        .unwrap();
    let m = &rep.segments[0].matches[0];
    let want = svc.entries_by_hash(&chapters[0].sha256).unwrap()[0].0;
    assert_eq!(m.evidence.deposit_index, Some(want));
    // The same import again deposits nothing new (same bytes, same org).
    let size = svc.size();
    svc.integrate().unwrap();
    let before = svc.size();
    assert!(before > size);
    app.catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "lz.txt",
            bytes: &text,
            title: Some("梁祝 二"),
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap();
    svc.integrate().unwrap();
    assert_eq!(svc.size(), before);
    // With automatic deposits off, imports do not deposit.
    app.deposits().set_auto_deposit(false);
    let other = "第一回 新书\n这是一段从未存证的新文字，足够长，用来测试自动存证的开关。".repeat(3);
    app.catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "new.txt",
            bytes: other.as_bytes(),
            title: Some("新书"),
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap();
    svc.integrate().unwrap();
    assert_eq!(svc.size(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_log_the_deposit_routes_answer_503() {
    let (dir, app) = fresh();
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let (s, body) = call(&r, get_as("/api/v1/log/checkpoint", None)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(&body)["error"]["code"], "unavailable");
}
