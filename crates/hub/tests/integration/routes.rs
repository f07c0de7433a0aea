//! Every route in the router source is listed in the route tables, every API
//! route is in the OpenAPI document, and every listed route answers (no 404).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tower::ServiceExt;

use crate::fresh;
use qiantang_hub::api::{all_routes, OPENAPI_JSON};
use qiantang_hub::web::all_page_routes;
use qiantang_hub::{router, HubConfig};

fn routes_in_source(src: &str) -> Vec<(String, String)> {
    // `.route("/path", get(h).post(h2))` → (METHOD, /path) pairs.
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + 7..];
        let Some(q1) = rest.find('"') else { break };
        let Some(q2) = rest[q1 + 1..].find('"') else {
            break;
        };
        let path = rest[q1 + 1..q1 + 1 + q2].to_string();
        // Up to the matching close paren of .route(
        let mut depth = 1;
        let mut end = 0;
        for (j, ch) in rest.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &rest[..end];
        for m in ["get", "post", "put", "delete", "patch"] {
            if body.contains(&format!("{m}("))
                && (body.contains(&format!(" {m}("))
                    || body.contains(&format!(".{m}("))
                    || body.contains(&format!("\n{m}("))
                    || body.contains(&format!("({m}(")))
            {
                out.push((m.to_uppercase(), path.clone()));
            }
        }
        rest = &rest[end..];
    }
    out.sort();
    out.dedup();
    out
}

/// Every `.rs` file under `src/<dir>` (recursively): (path relative to `src`, text).
/// Reading the folders, not a fixed list, means a new `api/<domain>.rs` or
/// `web/<domain>.rs` cannot escape the checks.
fn sources_under(dir: &str) -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&root).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

#[test]
fn route_tables_match_the_router_source() {
    let mut api: Vec<(String, String)> = sources_under("api")
        .iter()
        .flat_map(|(_, src)| routes_in_source(src))
        .collect();
    let mut listed: Vec<(String, String)> = all_routes()
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    api.sort();
    listed.sort();
    assert_eq!(api, listed, "routes under src/api vs api::ROUTES");
    let mut pages: Vec<(String, String)> = sources_under("web")
        .iter()
        .flat_map(|(_, src)| routes_in_source(src))
        .collect();
    let mut listed: Vec<(String, String)> = all_page_routes()
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    pages.sort();
    listed.sort();
    assert_eq!(
        pages, listed,
        "routes under src/web vs web::all_page_routes()"
    );
}

#[test]
fn every_api_route_is_documented_in_openapi() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (m, p, _) in all_routes() {
        let op = &doc["paths"][format!("/api/v1{p}")][m.to_lowercase()];
        assert!(op.is_object(), "{m} /api/v1{p} missing from openapi.json");
        assert!(op["summary"].is_string(), "{m} {p} lacks a summary");
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        all_routes().len(),
        "openapi.json documents routes the API does not have"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_route_exists() {
    let (dir, app) = fresh();
    let r = router(app, HubConfig::new(dir.path().to_path_buf()));
    let all = all_routes()
        .into_iter()
        .map(|(m, p, _)| (m, format!("/api/v1{p}")))
        .chain(
            all_page_routes()
                .into_iter()
                .map(|(m, p, _)| (m, p.to_string())),
        );
    for (m, p) in all {
        let uri = p
            .replace("{id}", "1")
            .replace("{number}", "1")
            .replace("{tag}", "en");
        let req = Request::builder()
            .method(Method::from_bytes(m.as_bytes()).unwrap())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let resp = r.clone().oneshot(req).await.unwrap();
        assert_ne!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{m} {uri}");
        // A 404 may come from a handler (unknown placeholder id), never from the fallback.
        let status = resp.status();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert!(
            !(status == StatusCode::NOT_FOUND
                && String::from_utf8_lossy(&body).contains(qiantang_hub::NO_ROUTE)),
            "{m} {uri} has no route"
        );
    }
}

#[test]
fn every_ui_message_exists_in_both_locales() {
    use qiantang_hub::i18n::{message_ids, Locale};
    let mut en = message_ids(Locale::En);
    let mut zh = message_ids(Locale::ZhHans);
    en.sort();
    zh.sort();
    assert_eq!(en, zh, "en.ftl and zh-Hans.ftl define different messages");
    // Every id the pages use is defined.
    let mut used = 0;
    for (name, src) in sources_under("web") {
        let (name, src) = (name.as_str(), src.as_str());
        for pat in [
            "tr(c.loc, \"",
            "tr_args(c.loc, \"",
            "tr(loc, \"",
            "tr_args(loc, \"",
        ] {
            let mut rest = src;
            while let Some(i) = rest.find(pat) {
                let after = &rest[i + pat.len()..];
                let end = after.find('"').unwrap();
                let id = &after[..end];
                assert!(
                    en.iter().any(|m| m == id),
                    "message {id:?} used in {name} is not defined"
                );
                used += 1;
                rest = &after[end..];
            }
        }
    }
    assert!(
        used > 100,
        "only {used} messages found; is the scan broken?"
    );
    // Messages the localization pages build from names, and the script's.
    let families: &[(&str, &[&str])] = &[
        (
            "seg-state-",
            &["new", "draft", "translated", "reviewed", "approved"],
        ),
        (
            "job-state-",
            &["queued", "running", "done", "failed", "cancelled"],
        ),
        (
            "gl-kind-",
            &["character", "place", "sect", "realm", "term", "concept"],
        ),
        (
            "cat-filter-",
            &["all", "untranslated", "qa", "fuzzy", "approved"],
        ),
        (
            "strategy-",
            &[
                "keep",
                "transliterate",
                "translate",
                "transliterate_gloss",
                "substitute",
            ],
        ),
    ];
    let dynamic = families
        .iter()
        .flat_map(|(pre, names)| names.iter().map(move |n| format!("{pre}{n}")));
    for id in dynamic.chain(
        qiantang_hub::web::l10n::JS_MESSAGES
            .iter()
            .map(|s| s.to_string()),
    ) {
        assert!(en.contains(&id), "message {id:?} is not defined");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_the_documented_shape() {
    let (dir, app) = fresh();
    let mut cfg = HubConfig::new(dir.path().to_path_buf());
    cfg.max_upload_bytes = 2048;
    let r = router(app, cfg);
    let cases = [
        ("GET", "/api/v1/works/not-a-number", StatusCode::BAD_REQUEST),
        (
            "GET",
            "/api/v1/works/99999999999999999999999",
            StatusCode::BAD_REQUEST,
        ),
        ("GET", "/api/v1/no/such/route", StatusCode::NOT_FOUND),
        ("PATCH", "/api/v1/works", StatusCode::METHOD_NOT_ALLOWED),
        (
            "GET",
            "/api/v1/kb/concepts?limit=lots",
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/v1/kb/import?format=tbx",
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (m, uri, want) in cases {
        let req = Request::builder()
            .method(Method::from_bytes(m.as_bytes()).unwrap())
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let resp = r.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), want, "{m} {uri}");
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("{m} {uri}: not JSON: {}", String::from_utf8_lossy(&body)));
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{m} {uri}: {v}"
        );
    }
    // An oversized body with Content-Length is refused before any handler runs.
    let req = Request::post("/api/v1/kb/import")
        .header("content-length", "100000")
        .body(Body::from(vec![b'x'; 100_000]))
        .unwrap();
    let resp = r.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "payload_too_large");
    // Every response carries the security headers.
    let resp = r
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    // Pages get HTML.
    let resp = r
        .clone()
        .oneshot(Request::get("/no/such/page").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}
