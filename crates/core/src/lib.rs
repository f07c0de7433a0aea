//! # qiantang-core — what the domains share
//!
//! The smallest crate of the workspace: the error every store backend returns
//! ([`StoreError`]) and the ids that cross domain boundaries (a work id is used
//! by the catalog, localization, rights and piracy alike). Domain crates depend
//! on this one instead of on each other for these types.
//!
//! *Invariant*: this crate depends on nothing of Qiantang and on no I/O crate.

/// Id of an organization (tenant), as stored (`orgs.id`).
pub type OrgId = i64;
/// Id of a user account (`users.id`).
pub type UserId = i64;
/// Id of a work (`works.id`).
pub type WorkId = i64;
/// Id of a localization project (`l10n_projects.id`).
pub type ProjectId = i64;
/// Id of a segment of a localization project (`l10n_segments.id`).
pub type SegmentId = i64;
/// Id of a background job (`l10n_jobs.id`).
pub type JobId = i64;
/// Id of a licence grant (`grants.id`).
pub type GrantId = i64;
/// Id of a knowledge-base concept (dotted, e.g. `wuxia.jianghu`).
pub type ConceptId = String;

/// Errors of any store backend (SQLite, PostgreSQL, the blob directory).
///
/// The application maps each variant to one entry of its error table
/// (`qiantang_app::error`): `NotFound` → 404, `Conflict` → 409, `Invalid` → 400,
/// `Backend` → 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness or integrity rule was violated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input was rejected by the store (bad id, dangling link…).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The backend failed (I/O, SQL, disk full). The message names the operation.
    #[error("storage backend error: {0}")]
    Backend(String),
}
