//! The persistence boundary of the knowledge base.

use crate::model::{Concept, ConceptId, Market, Rendering};

pub use qiantang_core::StoreError;

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

/// Review state of a proposed concept change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Waiting for a reviewer.
    Pending,
    /// Applied to the KB.
    Approved,
    /// Declined.
    Rejected,
}

impl ProposalStatus {
    /// Lowercase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Approved => "approved",
            ProposalStatus::Rejected => "rejected",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ProposalStatus::Pending),
            "approved" => Some(ProposalStatus::Approved),
            "rejected" => Some(ProposalStatus::Rejected),
            _ => None,
        }
    }
}

/// A proposed new version of a concept (editors propose, reviewers decide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptProposal {
    /// Sequence number.
    pub id: i64,
    /// Concept id (new or existing).
    pub concept: ConceptId,
    /// The proposed concept as JSON (the seed/API concept shape).
    pub concept_json: String,
    /// Who proposed it (audit actor form).
    pub proposer: String,
    /// When, Unix ms.
    pub created_ms: i64,
    /// Review state.
    pub status: ProposalStatus,
    /// Who decided, if decided.
    pub reviewer: Option<String>,
    /// When decided, Unix ms.
    pub decided_ms: Option<i64>,
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
    /// Deletes a concept, its renderings and its occurrences in works (one
    /// transaction); `false` when it did not exist.
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
    /// Records a pending proposal; returns its id.
    fn create_proposal(
        &self,
        concept: &Concept,
        proposer: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError>;
    /// One proposal.
    fn get_proposal(&self, id: i64) -> Result<Option<ConceptProposal>, StoreError>;
    /// Proposals, newest first, optionally of one status, at most `limit`.
    fn list_proposals(
        &self,
        status: Option<ProposalStatus>,
        limit: usize,
    ) -> Result<Vec<ConceptProposal>, StoreError>;
    /// Moves a pending proposal to `status` (approved or rejected); `false`
    /// when it does not exist or was already decided (so two reviewers cannot both decide it).
    fn decide_proposal(
        &self,
        id: i64,
        status: ProposalStatus,
        reviewer: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError>;
}
