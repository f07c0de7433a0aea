//! The JSON API and pages, driven through the router without a socket.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use qiantang_auth::Role;
use tower::ServiceExt;

use crate::{call, corpus, demo_org, fresh, json, multipart, token};
use qiantang_hub::{router, HubConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_then_browse_through_the_api_and_pages() {
    let (dir, app) = fresh();
    let editor = token(&app, demo_org(&app), Role::Editor);
    let r = router(app, HubConfig::new(dir.path().to_path_buf()));
    let get = |uri: &str| crate::get_as(uri, Some(&editor));

    let (s, b) = call(&r, get("/healthz")).await;
    assert_eq!((s, b.as_slice()), (StatusCode::OK, &b"ok"[..]));

    let novel = std::fs::read(corpus("novels_zh/jigong_quanzhuan.txt")).unwrap();
    let (ct, body) = multipart(&[
        ("file", Some("jigong.txt"), &novel),
        ("title", None, "济公全传".as_bytes()),
    ]);
    let (s, b) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, ct)
            .header(header::AUTHORIZATION, format!("Bearer {editor}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let v = json(&b);
    assert_eq!(v["chapter_count"], 240);
    let id = v["work"].as_i64().unwrap();

    let (s, b) = call(&r, get("/api/v1/works")).await;
    assert_eq!(s, StatusCode::OK);
    let list = json(&b);
    assert_eq!(list[0]["title"], "济公全传");
    assert_eq!(list[0]["chapter_count"], 240);

    let (s, b) = call(&r, get(&format!("/api/v1/works/{id}/profile"))).await;
    assert_eq!(s, StatusCode::OK);
    let p = json(&b);
    assert!(p["total_occurrences"].as_u64().unwrap() > 1000);
    let labels: Vec<&str> = p["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"灵隐寺"), "{labels:?}");

    let (s, b) = call(&r, get(&format!("/api/v1/works/{id}/chapters/1"))).await;
    assert_eq!(s, StatusCode::OK);
    let ch = json(&b);
    let text: Vec<char> = ch["text"].as_str().unwrap().chars().collect();
    let occ = ch["occurrences"].as_array().unwrap();
    assert!(!occ.is_empty());
    // Every occurrence's offsets point at one of the concept's labels.
    let (_, all) = call(&r, get("/api/v1/kb/concepts?limit=1000")).await;
    assert!(json(&all).as_array().unwrap().len() >= 300);
    for o in occ.iter().take(20) {
        let start = o["start"].as_u64().unwrap() as usize;
        let len = o["len"].as_u64().unwrap() as usize;
        let surface: String = text[start..start + len].iter().collect();
        let (_, cb) = call(
            &r,
            get(&format!(
                "/api/v1/kb/concepts/{}",
                o["concept"].as_str().unwrap()
            )),
        )
        .await;
        let c = json(&cb);
        let labels: Vec<&str> = c["concept"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["text"].as_str().unwrap())
            .collect();
        assert!(
            labels.contains(&surface.as_str()),
            "{surface} not a label of {labels:?}"
        );
    }

    // Work page shows the profile chart; reader highlights terms with a gloss.
    let (s, b) = call(&r, get(&format!("/works/{id}?lang=en"))).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(b).unwrap();
    assert!(
        html.contains("Cultural profile") && html.contains("<svg"),
        "work page lacks the profile chart"
    );
    let (s, b) = call(&r, get(&format!("/works/{id}/chapters/1?market=US"))).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(b).unwrap();
    assert!(html.contains("class=\"term\""), "no highlighted term");
    assert!(html.contains("class=\"gloss\""), "no gloss");
    assert!(
        html.contains("data-market=\"US\""),
        "no market rendering in the gloss"
    );

    // Rendering by market: US gets an explicit or glossed rendering; VN a Hán-Việt form.
    let (s, b) = call(&r, get("/api/v1/kb/concepts?q=西湖")).await;
    assert_eq!(s, StatusCode::OK);
    let west_lake = json(&b)[0]["id"].as_str().unwrap().to_string();
    let (s, b) = call(
        &r,
        get(&format!(
            "/api/v1/kb/concepts/{west_lake}/rendering?market=VN"
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["text"], "Tây Hồ");

    // Errors are JSON with stable codes; an unknown work is refused like a
    // foreign one (nothing can be inferred from the status).
    let (s, b) = call(&r, get("/api/v1/works/999999")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(json(&b)["error"]["code"], "forbidden");
    let (s, b) = call(&r, get("/api/v1/kb/concepts/no.such.concept")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(json(&b)["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_with_clear_errors() {
    let (dir, app) = fresh();
    let editor = token(&app, demo_org(&app), Role::Editor);
    let reviewer = token(&app, demo_org(&app), Role::Reviewer);
    let auth = format!("Bearer {editor}");
    let mut cfg = HubConfig::new(dir.path().to_path_buf());
    cfg.max_upload_bytes = 64 * 1024;
    let r = router(app, cfg);

    // Too large → 413 with a JSON error.
    let big = vec![b'a'; 200 * 1024];
    let (ct, body) = multipart(&[("file", Some("big.txt"), &big)]);
    // Streamed without Content-Length …
    let (s, b) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, &ct)
            .header(header::AUTHORIZATION, &auth)
            .body(Body::from(body.clone()))
            .unwrap(),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert_eq!(json(&b)["error"]["code"], "payload_too_large");
    // … and with Content-Length, as browsers send it.
    let (s, _) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, &ct)
            .header(header::AUTHORIZATION, &auth)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

    // No file field → 400.
    let (ct, body) = multipart(&[("title", None, b"x")]);
    let (s, b) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, ct)
            .header(header::AUTHORIZATION, format!("Bearer {editor}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json(&b)["error"]["code"], "invalid");

    // An unclear dry_run is refused rather than taken as a real import.
    let novel = std::fs::read(crate::corpus(
        "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt",
    ))
    .unwrap();
    let (ct, body) = multipart(&[
        ("file", Some("y.txt"), &novel[..2000]),
        ("dry_run", None, b"maybe"),
    ]);
    let (s, b) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, ct)
            .header(header::AUTHORIZATION, &auth)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&b)
    );
    // Empty file → 422 naming the file.
    let (ct, body) = multipart(&[("file", Some("empty.txt"), b"")]);
    let (s, b) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, ct)
            .header(header::AUTHORIZATION, format!("Bearer {editor}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&b)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("empty.txt"));

    // Malformed multipart body → 400, not a panic.
    let (s, _) = call(
        &r,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=zzz")
            .header(header::AUTHORIZATION, &auth)
            .body(Body::from("--zzz\r\ngarbage"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // A concept PUT with a wrong shape → 400 (a reviewer may edit the KB).
    let (s, _) = call(
        &r,
        Request::put("/api/v1/kb/concepts/x")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {reviewer}"))
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // An editor's malformed proposal is refused the same way (nothing recorded).
    let (s, _) = call(
        &r,
        Request::put("/api/v1/kb/concepts/x")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, &auth)
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&r, crate::get_as("/api/v1/works", Some(&editor))).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_language_switches_between_zh_hans_and_en() {
    let get = |uri: &str| crate::get_as(uri, None);
    let (dir, app) = fresh();
    let r = router(app, HubConfig::new(dir.path().to_path_buf()));
    let (_, b) = call(&r, get("/")).await;
    assert!(String::from_utf8(b).unwrap().contains("文化元素知识库"));
    let (_, b) = call(
        &r,
        Request::get("/")
            .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(String::from_utf8(b).unwrap().contains("Knowledge base"));
    let (_, b) = call(
        &r,
        Request::get("/")
            .header(header::COOKIE, "lang=en")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(String::from_utf8(b).unwrap().contains("Knowledge base"));
    let resp = r.clone().oneshot(get("/lang/en?next=/kb")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("lang=en"));
    assert_eq!(resp.headers()[header::LOCATION], "/kb");
    // No open redirect.
    let resp = r
        .clone()
        .oneshot(get("/lang/en?next=//evil.example/"))
        .await
        .unwrap();
    assert_eq!(resp.headers()[header::LOCATION], "/");
}
