//! Integration tests of the hub: one test binary (link time matters on 2 cores).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod import;
mod kb;
mod routes;

use std::path::PathBuf;
use std::sync::Arc;

use qiantang_hub::app::App;

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
