//! The persistence boundary of the knowledge base.

use crate::model::{Concept, ConceptId, Market, Rendering};

/// Errors of any store backend.
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

/// One saved version of a concept (the KB keeps every edit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptRevision {
    /// Concept id.
    pub concept: ConceptId,
    /// 1-based revision number.
    pub revision: u32,
    /// Who saved it (a user name, `seed`, `import`…).
    pub actor: String,
    /// Unix time in milliseconds.
    pub at_ms: i64,
    /// The concept as saved.
    pub concept_json: String,
}

/// Storage of concepts, renderings and markets. Implementations must be
/// transactional per call: a call that returns an error wrote nothing.
pub trait KbStore: Send + Sync {
    /// All concepts, ordered by id.
    fn list_concepts(&self) -> Result<Vec<Concept>, StoreError>;
    /// Number of concepts.
    fn count_concepts(&self) -> Result<u64, StoreError>;
    /// One concept.
    fn get_concept(&self, id: &str) -> Result<Option<Concept>, StoreError>;
    /// Inserts or replaces the given concepts in one transaction, recording a
    /// revision for each one that changed; `actor` and `at_ms` go into the history.
    fn put_concepts(&self, concepts: &[Concept], actor: &str, at_ms: i64)
        -> Result<(), StoreError>;
    /// Deletes a concept and its renderings; `false` when it did not exist.
    fn delete_concept(&self, id: &str) -> Result<bool, StoreError>;
    /// Concepts whose id or any label contains `query` (case-insensitive for Latin script), at most `limit`.
    fn search_concepts(&self, query: &str, limit: usize) -> Result<Vec<Concept>, StoreError>;
    /// Saved revisions of a concept, newest first.
    fn concept_history(&self, id: &str) -> Result<Vec<ConceptRevision>, StoreError>;
    /// Renderings, all or those of one concept.
    fn list_renderings(&self, concept: Option<&str>) -> Result<Vec<Rendering>, StoreError>;
    /// Inserts or replaces renderings (key: concept, lang, market) in one transaction.
    fn put_renderings(&self, renderings: &[Rendering]) -> Result<(), StoreError>;
    /// All markets, ordered by region.
    fn list_markets(&self) -> Result<Vec<Market>, StoreError>;
    /// Inserts or replaces markets in one transaction.
    fn put_markets(&self, markets: &[Market]) -> Result<(), StoreError>;
}
