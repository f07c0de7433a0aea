//! The persistence boundary of localization.

use crate::model::*;
use qiantang_core::StoreError;

/// Storage of projects, segments, translation memories, glossaries, jobs and
/// MT accounting. Every call is one transaction: an error means nothing was
/// written.
pub trait L10nStore: Send + Sync {
    /// Creates a project with all its segments; refuses a second project for
    /// the same work × locale × market ([`StoreError::Conflict`]).
    fn create_project(&self, p: &NewProject, at_ms: i64) -> Result<Project, StoreError>;
    /// One project.
    fn get_project(&self, id: ProjectId) -> Result<Option<Project>, StoreError>;
    /// Projects of the given organizations, newest first.
    fn list_projects(&self, orgs: &[OrgId]) -> Result<Vec<Project>, StoreError>;
    /// Replaces a project's settings.
    fn set_project_settings(
        &self,
        id: ProjectId,
        settings: &ProjectSettings,
    ) -> Result<(), StoreError>;
    /// Deletes a project and everything in it; `false` when absent.
    fn delete_project(&self, id: ProjectId) -> Result<bool, StoreError>;

    /// Segments of a project (one chapter or all) in chapter, ordinal order.
    fn segments(
        &self,
        project: ProjectId,
        chapter: Option<u32>,
    ) -> Result<Vec<Segment>, StoreError>;
    /// One segment.
    fn get_segment(&self, id: SegmentId) -> Result<Option<Segment>, StoreError>;
    /// Applies updates in one transaction and records a revision for each
    /// applied one. Returns the segments after the change, `None` for an
    /// update skipped because of `only_if_new`. A version mismatch is a
    /// [`StoreError::Conflict`] and nothing is written.
    fn update_segments(
        &self,
        updates: &[SegmentUpdate],
    ) -> Result<Vec<Option<Segment>>, StoreError>;
    /// Changes a segment's source text (the work was edited); keeps the
    /// target and sets the state back to `draft` when it was past it.
    fn set_segment_source(
        &self,
        id: SegmentId,
        source: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<Segment, StoreError>;
    /// Every revision of a segment, oldest first.
    fn segment_history(&self, id: SegmentId) -> Result<Vec<SegmentRevision>, StoreError>;
    /// Adds a comment.
    fn add_comment(
        &self,
        segment: SegmentId,
        author: &str,
        body: &str,
        at_ms: i64,
    ) -> Result<Comment, StoreError>;
    /// Comments of a segment, oldest first.
    fn comments(&self, segment: SegmentId) -> Result<Vec<Comment>, StoreError>;
    /// Comments on all segments of a project, keyed by segment.
    fn project_comments(&self, project: ProjectId) -> Result<Vec<Comment>, StoreError>;
    /// Progress of the whole project (first) and of each chapter.
    fn progress(&self, project: ProjectId) -> Result<Vec<Progress>, StoreError>;

    /// Adds translation units to an organization's TM in one transaction;
    /// a unit with the same source, target and languages is not added twice.
    /// Returns how many were new.
    fn add_units(&self, units: &[TranslationUnit]) -> Result<usize, StoreError>;
    /// All units of an organization (for building the fuzzy index and for
    /// export), in id order.
    fn units(&self, org: OrgId) -> Result<Vec<TranslationUnit>, StoreError>;
    /// Number of units of an organization.
    fn unit_count(&self, org: OrgId) -> Result<u64, StoreError>;

    /// Glossary of a work for one locale, by source.
    fn glossary(&self, work: WorkId, locale: &str) -> Result<Vec<GlossaryEntry>, StoreError>;
    /// Inserts (id 0) or replaces an entry; source must be unique per work × locale.
    fn put_glossary_entry(&self, e: &GlossaryEntry) -> Result<GlossaryEntry, StoreError>;
    /// Deletes an entry; `false` when absent.
    fn delete_glossary_entry(&self, id: i64) -> Result<bool, StoreError>;

    /// Queues a job.
    fn create_job(
        &self,
        project: ProjectId,
        kind: &JobKind,
        by: &str,
        at_ms: i64,
    ) -> Result<Job, StoreError>;
    /// One job.
    fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// Jobs of a project, newest first.
    fn project_jobs(&self, project: ProjectId) -> Result<Vec<Job>, StoreError>;
    /// Jobs that are queued or were running (to resume after a restart), oldest first.
    fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError>;
    /// Records progress/state. Refuses to move a job out of a final state
    /// (a cancelled job stays cancelled): returns the job as stored.
    fn update_job(
        &self,
        id: JobId,
        state: JobState,
        done: u32,
        total: u32,
        error: Option<&str>,
        at_ms: i64,
    ) -> Result<Job, StoreError>;

    /// Cached MT output for a request key (SHA-256 hex).
    fn mt_cache_get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores MT output for a request key.
    fn mt_cache_put(&self, key: &str, value: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Adds to a project's MT accounting.
    fn add_mt_usage(&self, project: ProjectId, usage: &MtUsage) -> Result<(), StoreError>;
    /// A project's MT accounting, per backend.
    fn mt_usage(&self, project: ProjectId) -> Result<Vec<MtUsage>, StoreError>;
}
