//! The persistence boundary of licences.

use qiantang_core::StoreError;

use crate::model::{Conflict, Grant, GrantId, NewGrant};

/// What to do with a grant that conflicts with existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Refuse it (the default): nothing is written.
    #[default]
    Refuse,
    /// Record it with `flagged = true` and the conflicts, for a person to resolve.
    Flag,
}

/// The result of [`RightsStore::create_grant`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOutcome {
    /// Stored (flagged when it conflicts and [`OnConflict::Flag`] was asked).
    Created(Box<Grant>),
    /// Refused because of these conflicts; nothing was written.
    Refused(Vec<Conflict>),
}

/// Storage of grants. Every call is one transaction.
pub trait RightsStore: Send + Sync {
    /// Stores a normalized grant after checking it against the work's
    /// current grants **inside the same transaction** (serialized per work),
    /// so two concurrent conflicting grants never both succeed.
    ///
    /// Errors: [`StoreError::NotFound`] for an unknown work,
    /// [`StoreError::Invalid`] when `grant.org` does not own the work.
    fn create_grant(
        &self,
        grant: &NewGrant,
        on_conflict: OnConflict,
        at_ms: i64,
    ) -> Result<GrantOutcome, StoreError>;
    /// Grants of a work, oldest first (all statuses).
    fn list_grants(&self, work: i64) -> Result<Vec<Grant>, StoreError>;
    /// One grant.
    fn get_grant(&self, id: GrantId) -> Result<Option<Grant>, StoreError>;
    /// Marks a grant revoked; `None` when absent. Revoking a revoked grant
    /// changes nothing and returns it.
    fn revoke_grant(&self, id: GrantId, at_ms: i64) -> Result<Option<Grant>, StoreError>;
    /// Records the deposit log index of a grant's entry; `false` when absent.
    fn set_grant_deposit(&self, id: GrantId, index: u64) -> Result<bool, StoreError>;
}
