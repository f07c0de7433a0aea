//! The persistence boundary of the catalog.

use crate::model::*;
use qiantang_core::StoreError;

/// Storage of works, chapters and tagging results. Every call is one
/// transaction: an error means nothing was written.
pub trait WorkStore: Send + Sync {
    /// Stores a work with all its chapters (and its occurrences, when given)
    /// atomically; returns its id. Ids are never reused after a deletion.
    fn create_work(&self, work: &NewWork, at_ms: i64) -> Result<WorkId, StoreError>;
    /// Works in `scope`, newest first.
    fn list_works(&self, scope: &WorkScope) -> Result<Vec<Work>, StoreError>;
    /// Publishes or unpublishes a work; `false` when absent.
    fn set_published(&self, id: WorkId, published: bool) -> Result<bool, StoreError>;
    /// One work.
    fn get_work(&self, id: WorkId) -> Result<Option<Work>, StoreError>;
    /// Deletes a work, its chapters and occurrences; `false` when absent.
    fn delete_work(&self, id: WorkId) -> Result<bool, StoreError>;
    /// Chapter metadata in reading order.
    fn list_chapters(&self, work: WorkId) -> Result<Vec<ChapterMeta>, StoreError>;
    /// One chapter's metadata and body text.
    fn get_chapter(
        &self,
        work: WorkId,
        number: u32,
    ) -> Result<Option<(ChapterMeta, String)>, StoreError>;
    /// Replaces all occurrences of a work (one transaction) and records the tagging time.
    fn replace_occurrences(
        &self,
        work: WorkId,
        occ: &[StoredOccurrence],
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// Occurrences in one chapter, ordered by start.
    fn chapter_occurrences(
        &self,
        work: WorkId,
        chapter: u32,
    ) -> Result<Vec<StoredOccurrence>, StoreError>;
    /// Per-concept counts for a work, most frequent first; `None` when the work was never tagged.
    fn concept_counts(&self, work: WorkId) -> Result<Option<Vec<ConceptCount>>, StoreError>;
    /// Works in `scope` in which a concept occurs, most occurrences first.
    fn concept_uses(&self, concept: &str, scope: &WorkScope)
        -> Result<Vec<ConceptUse>, StoreError>;
}

/// A chapter's near-duplicate fingerprint (a serialized MinHash signature of
/// `qiantang-fingerprint`; empty when the chapter is too short to fingerprint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterFingerprint {
    /// Work id.
    pub work: WorkId,
    /// Chapter number.
    pub chapter: u32,
    /// Signature bytes (opaque to the store).
    pub signature: Vec<u8>,
    /// When it was computed, Unix milliseconds.
    pub created_ms: i64,
}

/// Storage of chapter fingerprints for the piracy check. Fingerprints are
/// removed with their work.
pub trait FingerprintStore: Send + Sync {
    /// Replaces the fingerprints of a work (one transaction).
    /// Errors: [`StoreError::NotFound`] for an unknown work.
    fn put_fingerprints(&self, work: WorkId, fps: &[ChapterFingerprint]) -> Result<(), StoreError>;
    /// Every stored fingerprint, by work and chapter.
    fn list_fingerprints(&self) -> Result<Vec<ChapterFingerprint>, StoreError>;
    /// Works that have no fingerprint yet (imported before fingerprinting, or
    /// interrupted between import and fingerprinting), oldest first.
    fn works_without_fingerprints(&self) -> Result<Vec<WorkId>, StoreError>;
}
