//! Integration tests of the hub: one test binary (link time matters on 2 cores).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod authz;
mod deposit;
mod import;
mod kb;
mod l10n;
mod l10n_pages;
mod rights;
mod routes;

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use qiantang_app::accounts::Actor;
use qiantang_app::App;
use qiantang_auth::Role;
use tower::ServiceExt;

/// Path of a corpus file under ../shared/corpus.
pub fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel)
}

/// A fresh app in a temporary directory.
pub fn fresh() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    (dir, app)
}

/// Id of the default organization every fresh hub has.
pub fn demo_org(app: &App) -> i64 {
    app.accounts().org_named("demo").unwrap().id
}

/// A token secret of `role` in `org`.
pub fn token(app: &App, org: i64, role: Role) -> String {
    app.accounts()
        .create_token(org, role, "test", None, &Actor::cli())
        .unwrap()
        .1
}

/// Sends a request; returns status and body.
pub async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

/// A GET with an optional bearer token.
pub fn get_as(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

/// Parses JSON or panics with the body.
pub fn json(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(b)))
}

/// A multipart body: (content type, bytes).
pub fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "qiantangBOUNDARY7d93";
    let mut body = Vec::new();
    for (name, file, data) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
