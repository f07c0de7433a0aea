//! # qiantang-store — storage backends
//!
//! Implements the domain store traits ([`qiantang_kb::KbStore`],
//! [`qiantang_works::WorkStore`]) on the embedded default: SQLite in WAL mode
//! plus a content-addressed blob folder for chapter text. A PostgreSQL
//! backend will implement the same traits; domain crates never see SQL types.
//!
//! *Invariant*: every trait call that writes is one transaction; an error
//! means nothing was written (blobs created by a failed call are removed).

pub mod blob;
mod migrations;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use qiantang_kb::{KbStore, StoreError};
use qiantang_works::WorkStore;

pub use blob::BlobDir;
pub use sqlite::SqliteStore;

/// Handles to every store, shared by the hub and the CLI.
#[derive(Clone)]
pub struct Stores {
    /// Knowledge base.
    pub kb: Arc<dyn KbStore>,
    /// Works and chapters.
    pub works: Arc<dyn WorkStore>,
}

/// Opens the embedded default store in `data_dir` (created if missing).
pub fn open_embedded(data_dir: &Path) -> Result<Stores, StoreError> {
    let s = Arc::new(SqliteStore::open(data_dir)?);
    Ok(Stores {
        kb: s.clone(),
        works: s,
    })
}
