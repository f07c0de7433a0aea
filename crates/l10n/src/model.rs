//! The localization data model.
//!
//! A **project** localizes one work into one target locale for one market.
//! Its source chapters are split into **segments** (sentences; later also
//! subtitle cues and game strings). Each segment moves through
//! [`SegmentState`] and every change is kept as a [`SegmentRevision`].

use serde::{Deserialize, Serialize};

pub use qiantang_core::JobId;
pub use qiantang_core::OrgId;
pub use qiantang_core::ProjectId;
pub use qiantang_core::SegmentId;
pub use qiantang_core::WorkId;

/// Where a segment sits in its state machine:
/// `new → draft (MT or TM) → translated → reviewed → approved`.
///
/// The states follow the industry's usual ladder (XLIFF 2.1 §4.3.1.28 has
/// `initial / translated / reviewed / final`; Pontoon and Weblate add a
/// machine-draft state). `approved` text is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentState {
    /// No target yet.
    New,
    /// A machine or TM proposal not yet confirmed by a person.
    Draft,
    /// Confirmed by a translator.
    Translated,
    /// Checked by a reviewer.
    Reviewed,
    /// Final; the target is locked until someone with review rights unlocks it.
    Approved,
}

impl SegmentState {
    /// All states in order.
    pub const ALL: [SegmentState; 5] = [
        SegmentState::New,
        SegmentState::Draft,
        SegmentState::Translated,
        SegmentState::Reviewed,
        SegmentState::Approved,
    ];

    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentState::New => "new",
            SegmentState::Draft => "draft",
            SegmentState::Translated => "translated",
            SegmentState::Reviewed => "reviewed",
            SegmentState::Approved => "approved",
        }
    }

    /// Parses a wire name; `None` when unknown.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The XLIFF 2.1 `state` attribute for this state (§4.3.1.28:
    /// `initial`, `translated`, `reviewed`, `final`).
    pub fn xliff_state(self) -> &'static str {
        match self {
            SegmentState::New | SegmentState::Draft => "initial",
            SegmentState::Translated => "translated",
            SegmentState::Reviewed => "reviewed",
            SegmentState::Approved => "final",
        }
    }
}

/// Where a segment's current target came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Typed or edited by a person.
    Human,
    /// Taken from the translation memory.
    Tm {
        /// Match score 0–100 (100 = exact, 101 = exact with same context).
        score: u8,
    },
    /// Produced by a machine-translation backend.
    Mt {
        /// Backend name (`openai`, `deepl`, `libretranslate`, `opencc`).
        backend: String,
        /// Model, when the backend has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Imported from an exchange file (XLIFF).
    Import {
        /// File name or format.
        source: String,
    },
}

impl Origin {
    /// A short label for lists (`human`, `tm 87`, `mt openai/qwen-plus`).
    pub fn label(&self) -> String {
        match self {
            Origin::Human => "human".into(),
            Origin::Tm { score } => format!("tm {score}"),
            Origin::Mt { backend, model } => match model {
                Some(m) => format!("mt {backend}/{m}"),
                None => format!("mt {backend}"),
            },
            Origin::Import { source } => format!("import {source}"),
        }
    }
}

/// How cultural glosses are written for markets whose rule glosses on first
/// occurrence (issue 4 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlossStyle {
    /// `jianghu (the martial world)` in the running text.
    #[default]
    Inline,
    /// A numbered footnote at the end of the chapter.
    Footnote,
}

/// Per-project settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSettings {
    /// How glosses are written.
    #[serde(default)]
    pub gloss_style: GlossStyle,
    /// Default MT backend name for pre-translation (`None` = TM only).
    #[serde(default)]
    pub mt_backend: Option<String>,
    /// Minimum TM score (0–100) used for pre-translation; 75 by default
    /// (the industry default: Weblate, translate-toolkit `pretranslate`).
    #[serde(default = "default_threshold")]
    pub tm_threshold: u8,
}

fn default_threshold() -> u8 {
    75
}

impl Default for ProjectSettings {
    /// Inline glosses, no MT backend, TM threshold 75.
    fn default() -> Self {
        Self {
            gloss_style: GlossStyle::default(),
            mt_backend: None,
            tm_threshold: default_threshold(),
        }
    }
}

/// A new project and its segments, created in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    /// Owning organization (the work's organization).
    pub org: OrgId,
    /// The source work.
    pub work: WorkId,
    /// Target locale, a BCP 47 tag (`en`, `es-419`, `zh-Hant-TW`).
    pub locale: String,
    /// Target market, ISO 3166-1 alpha-2 (`US`, `VN`).
    pub market: String,
    /// Settings.
    pub settings: ProjectSettings,
    /// Who created it.
    pub created_by: String,
    /// The source segments, in chapter then ordinal order.
    pub segments: Vec<NewSegment>,
}

/// A localization project.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Id.
    pub id: ProjectId,
    /// Owning organization.
    pub org: OrgId,
    /// Source work.
    pub work: WorkId,
    /// Target locale (BCP 47).
    pub locale: String,
    /// Target market (ISO 3166-1 alpha-2).
    pub market: String,
    /// Settings.
    pub settings: ProjectSettings,
    /// Creator.
    pub created_by: String,
    /// Unix ms.
    pub created_ms: i64,
}

/// A source segment to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSegment {
    /// Chapter number (1-based, as in the work).
    pub chapter: u32,
    /// Position in the chapter (0-based).
    pub ordinal: u32,
    /// Source text.
    pub source: String,
    /// Character offset of the segment in the stored chapter body.
    pub offset: u32,
}

/// One segment of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Id.
    pub id: SegmentId,
    /// Project.
    pub project: ProjectId,
    /// Chapter number.
    pub chapter: u32,
    /// Position in the chapter.
    pub ordinal: u32,
    /// Character offset in the chapter body.
    pub offset: u32,
    /// Source text.
    pub source: String,
    /// Current target text (`None` while new).
    pub target: Option<String>,
    /// State.
    pub state: SegmentState,
    /// Where the target came from.
    pub origin: Option<Origin>,
    /// Optimistic-concurrency version, incremented by every change.
    pub version: u32,
    /// Last editor.
    pub updated_by: Option<String>,
    /// Unix ms of the last change.
    pub updated_ms: i64,
}

impl Segment {
    /// The stable key used in exchange files: `c{chapter}s{ordinal}`.
    pub fn key(&self) -> String {
        segment_key(self.chapter, self.ordinal)
    }
}

/// The stable exchange key of a segment: `c{chapter}s{ordinal}` (e.g. `c3s17`).
pub fn segment_key(chapter: u32, ordinal: u32) -> String {
    format!("c{chapter}s{ordinal}")
}

/// Parses a key made by [`segment_key`].
pub fn parse_segment_key(key: &str) -> Option<(u32, u32)> {
    let rest = key.strip_prefix('c')?;
    let (c, s) = rest.split_once('s')?;
    Some((c.parse().ok()?, s.parse().ok()?))
}

/// A change to a segment's target or state.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentUpdate {
    /// The segment.
    pub id: SegmentId,
    /// The version the change was made against; a mismatch is a conflict
    /// (someone else saved in between). `None` skips the check (jobs that
    /// only fill `new` segments use [`SegmentUpdate::only_if_new`]).
    pub expected_version: Option<u32>,
    /// Apply only when the segment is still `new` (pre-translation never
    /// overwrites work).
    pub only_if_new: bool,
    /// New target (`None` = keep).
    pub target: Option<String>,
    /// New state.
    pub state: SegmentState,
    /// Origin of the new target.
    pub origin: Option<Origin>,
    /// Who.
    pub by: String,
    /// Unix ms.
    pub at_ms: i64,
}

/// One saved version of a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRevision {
    /// Segment.
    pub segment: SegmentId,
    /// Version number this revision created.
    pub version: u32,
    /// Source text at this version (sources change when the work is edited).
    pub source: String,
    /// Target after the change.
    pub target: Option<String>,
    /// State after the change.
    pub state: SegmentState,
    /// Origin.
    pub origin: Option<Origin>,
    /// Who.
    pub by: String,
    /// Unix ms.
    pub at_ms: i64,
}

/// A comment on a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Id.
    pub id: i64,
    /// Segment.
    pub segment: SegmentId,
    /// Author.
    pub author: String,
    /// Text.
    pub body: String,
    /// Unix ms.
    pub at_ms: i64,
}

/// Counts of segments by state, for a project or one chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Chapter (`None` = whole project).
    pub chapter: Option<u32>,
    /// Segments per state, indexed like [`SegmentState::ALL`].
    pub by_state: [u32; 5],
    /// Source characters in all segments.
    pub source_chars: u64,
}

impl Progress {
    /// All segments.
    pub fn total(&self) -> u32 {
        self.by_state.iter().sum()
    }

    /// Segments in `state`.
    pub fn count(&self, state: SegmentState) -> u32 {
        self.by_state[state as usize]
    }

    /// Segments at or past `translated`, 0–100 (rounded down).
    pub fn percent_translated(&self) -> u32 {
        let done = self.count(SegmentState::Translated)
            + self.count(SegmentState::Reviewed)
            + self.count(SegmentState::Approved);
        (done as u64 * 100)
            .checked_div(self.total() as u64)
            .unwrap_or(0) as u32
    }
}

/// A translation unit (TU) of a translation memory.
#[derive(Debug, Clone, PartialEq)]
pub struct TranslationUnit {
    /// Id (0 before storing).
    pub id: i64,
    /// Owning organization.
    pub org: OrgId,
    /// Source language (BCP 47).
    pub source_lang: String,
    /// Target language (BCP 47).
    pub target_lang: String,
    /// Source text.
    pub source: String,
    /// Target text.
    pub target: String,
    /// Context: the previous source segment, if known (context penalty).
    pub context: Option<String>,
    /// Approved (reviewed) entry; unapproved entries are penalised.
    pub approved: bool,
    /// Where it came from (`project:12`, `tmx:file.tmx`).
    pub origin: String,
    /// Creator.
    pub created_by: String,
    /// Unix ms.
    pub created_ms: i64,
}

/// Kind of a per-work glossary entry (names web-novel translators keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlossaryKind {
    /// A character's name.
    Character,
    /// A place.
    Place,
    /// A sect, clan, school.
    Sect,
    /// A cultivation realm or rank.
    Realm,
    /// A technique, treasure, title…
    Term,
    /// An override of a knowledge-base concept's rendering for this work.
    Concept,
}

impl GlossaryKind {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GlossaryKind::Character => "character",
            GlossaryKind::Place => "place",
            GlossaryKind::Sect => "sect",
            GlossaryKind::Realm => "realm",
            GlossaryKind::Term => "term",
            GlossaryKind::Concept => "concept",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            GlossaryKind::Character,
            GlossaryKind::Place,
            GlossaryKind::Sect,
            GlossaryKind::Realm,
            GlossaryKind::Term,
            GlossaryKind::Concept,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A per-work glossary entry for one target locale.
#[derive(Debug, Clone, PartialEq)]
pub struct GlossaryEntry {
    /// Id (0 before storing).
    pub id: i64,
    /// Work.
    pub work: WorkId,
    /// Target locale (BCP 47).
    pub locale: String,
    /// Source term (Chinese).
    pub source: String,
    /// Other source forms (aliases, nicknames).
    pub aliases: Vec<String>,
    /// Required target rendering.
    pub target: String,
    /// Kind.
    pub kind: GlossaryKind,
    /// The KB concept this entry overrides, for kind `concept`.
    pub concept: Option<String>,
    /// Locked: the target must appear exactly (QA error otherwise).
    pub locked: bool,
    /// Renderings that must not be used.
    pub forbidden: Vec<String>,
    /// Translator's note / definition.
    pub note: String,
}

/// Kind of a background job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    /// Pre-translate segments that are still `new`.
    Pretranslate {
        /// First and last chapter, inclusive (`None` = all).
        #[serde(default)]
        chapters: Option<(u32, u32)>,
        /// MT backend name; `None` = TM only.
        #[serde(default)]
        backend: Option<String>,
    },
}

/// Lifecycle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker is on it.
    Running,
    /// Finished.
    Done,
    /// Stopped by an error (see `error`).
    Failed,
    /// Cancelled by a user.
    Cancelled,
}

impl JobState {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Done, failed or cancelled.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

/// A background job (e.g. pre-translating a 240-chapter novel). Progress is
/// persisted so a restarted hub resumes where it stopped: segments already
/// filled are no longer `new` and are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Project.
    pub project: ProjectId,
    /// What to do.
    pub kind: JobKind,
    /// State.
    pub state: JobState,
    /// Units done.
    pub done: u32,
    /// Units in all.
    pub total: u32,
    /// Error message when failed.
    pub error: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms of the last progress.
    pub updated_ms: i64,
}

/// MT cost accounting for one project and backend.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MtUsage {
    /// Backend name.
    pub backend: String,
    /// HTTP requests made.
    pub requests: u64,
    /// Prompt tokens (LLM backends).
    pub prompt_tokens: u64,
    /// Completion tokens (LLM backends).
    pub completion_tokens: u64,
    /// Characters billed (DeepL, LibreTranslate).
    pub characters: u64,
    /// Segments answered from the cache (no call).
    pub cached_segments: u64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Regression: a derived `Default` made the TM threshold 0, so
    /// pre-translation took 10 % matches.
    #[test]
    fn default_settings_use_the_industry_threshold() {
        assert_eq!(ProjectSettings::default().tm_threshold, 75);
        let parsed: ProjectSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, ProjectSettings::default());
    }

    #[test]
    fn segment_keys_round_trip() {
        assert_eq!(parse_segment_key(&segment_key(12, 0)), Some((12, 0)));
        assert_eq!(parse_segment_key("x1s2"), None);
    }
}
