//! # qiantang-works — works, chapters and novel import
//!
//! Owns the catalog model (a work and its ordered chapters), the novel
//! importer ([`import`]) and the [`WorkStore`] boundary. Chapter text is
//! addressed by SHA-256 so a blob store can keep it content-addressed.
//!
//! *API boundary*: no HTTP, no SQL here.

pub mod import;
pub mod model;
pub mod store;

pub use model::*;
pub use store::{ChapterFingerprint, FingerprintStore, WorkStore};
