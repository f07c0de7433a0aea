//! The catalog model.

use sha2::{Digest, Sha256};

pub use qiantang_core::WorkId;

/// A chapter ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChapter {
    /// 1-based position in reading order.
    pub number: u32,
    /// Heading as found (e.g. `第一回 李节度拜佛求子 真罗汉降世投胎`), trimmed.
    pub title: String,
    /// Body text, paragraphs separated by `\n`, no heading line.
    pub text: String,
}

impl NewChapter {
    /// Number of Unicode scalar values in the body.
    pub fn char_count(&self) -> u64 {
        self.text.chars().count() as u64
    }

    /// Lower-case hex SHA-256 of the body's UTF-8 bytes.
    pub fn sha256(&self) -> String {
        sha256_hex(self.text.as_bytes())
    }
}

/// Lower-case hex SHA-256 (FIPS 180-4) of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Which works a listing may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkScope {
    /// Every work (platform admins).
    All,
    /// Works owned by these organizations, plus published works when `published`.
    Visible {
        /// Organization ids.
        orgs: Vec<i64>,
        /// Include published works of other organizations.
        published: bool,
    },
}

impl WorkScope {
    /// Whether a work of `org` with `published` falls in the scope.
    pub fn admits(&self, org: i64, published: bool) -> bool {
        match self {
            WorkScope::All => true,
            WorkScope::Visible { orgs, published: p } => orgs.contains(&org) || (*p && published),
        }
    }
}

/// A work ready to be stored with all its chapters (one transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWork {
    /// Owning organization.
    pub org: i64,
    /// Title.
    pub title: String,
    /// Author, if known.
    pub author: Option<String>,
    /// Source language, BCP 47 (`zh-Hans` for the bundled novels).
    pub language: String,
    /// Name of the imported file (for provenance).
    pub source_name: String,
    /// Encoding detected in the source file (WHATWG name, e.g. `GB18030`), or `EPUB`.
    pub source_encoding: String,
    /// Chapters in reading order, numbered 1..=n.
    pub chapters: Vec<NewChapter>,
    /// Concept occurrences found by tagging before storing; `Some` stores
    /// them in the same transaction and marks the work tagged, so a crash
    /// never leaves an imported but untagged work.
    pub occurrences: Option<Vec<StoredOccurrence>>,
}

/// A stored work (without chapter text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// Id.
    pub id: WorkId,
    /// Owning organization.
    pub org: i64,
    /// Visible to audiences (published) or only to the organization.
    pub published: bool,
    /// Title.
    pub title: String,
    /// Author.
    pub author: Option<String>,
    /// Source language, BCP 47.
    pub language: String,
    /// Imported file name.
    pub source_name: String,
    /// Detected source encoding.
    pub source_encoding: String,
    /// Number of chapters.
    pub chapter_count: u32,
    /// Sum of chapter character counts.
    pub char_count: u64,
    /// Import time, Unix milliseconds.
    pub created_ms: i64,
}

/// A stored chapter's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterMeta {
    /// Work id.
    pub work: WorkId,
    /// 1-based number.
    pub number: u32,
    /// Heading.
    pub title: String,
    /// Characters in the body.
    pub char_count: u64,
    /// Hex SHA-256 of the body.
    pub sha256: String,
}

/// A stored occurrence of a concept in a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOccurrence {
    /// Chapter number.
    pub chapter: u32,
    /// Offset in characters (Unicode scalar values) from the start of the chapter body.
    pub start: u32,
    /// Length in characters.
    pub len: u32,
    /// Concept id.
    pub concept: String,
}

/// Occurrence count of one concept in a work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptCount {
    /// Concept id.
    pub concept: String,
    /// Number of occurrences.
    pub count: u64,
    /// Number of chapters with at least one occurrence.
    pub chapters: u32,
}

/// Where a concept is used: one row per work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptUse {
    /// Work id.
    pub work: WorkId,
    /// Work title.
    pub title: String,
    /// Occurrences in that work.
    pub count: u64,
    /// First chapter it occurs in.
    pub first_chapter: u32,
}
