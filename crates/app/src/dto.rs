//! Wire shapes of the JSON API and of the CLI's `--json` output. Domain types
//! are converted here, at the edge; they never derive the wire format.

use serde::Serialize;

use crate::catalog::{ImportReport, Profile};
use crate::clock::rfc3339;
use qiantang_kb::{Concept, Market, Rendering};
use qiantang_works::model::{ChapterMeta, ConceptUse, StoredOccurrence, Work};

/// A work in lists and detail.
#[derive(Debug, Serialize)]
pub struct WorkDto {
    /// Work id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Author or null.
    pub author: Option<String>,
    /// Source language, BCP 47.
    pub language: String,
    /// Number of chapters.
    pub chapter_count: u32,
    /// Total characters (Unicode scalar values) of all chapter bodies.
    pub char_count: u64,
    /// Detected source encoding or `EPUB`.
    pub source_encoding: String,
    /// Imported file name.
    pub source_name: String,
    /// Import time, RFC 3339 UTC.
    pub created: String,
}

impl From<&Work> for WorkDto {
    fn from(w: &Work) -> Self {
        Self {
            id: w.id,
            title: w.title.clone(),
            author: w.author.clone(),
            language: w.language.clone(),
            chapter_count: w.chapter_count,
            char_count: w.char_count,
            source_encoding: w.source_encoding.clone(),
            source_name: w.source_name.clone(),
            created: rfc3339(w.created_ms),
        }
    }
}

/// A chapter's metadata.
#[derive(Debug, Serialize)]
pub struct ChapterDto {
    /// 1-based number in reading order.
    pub number: u32,
    /// Heading.
    pub title: String,
    /// Characters in the body.
    pub char_count: u64,
    /// Hex SHA-256 of the body's UTF-8 bytes.
    pub sha256: String,
}

impl From<&ChapterMeta> for ChapterDto {
    fn from(c: &ChapterMeta) -> Self {
        Self {
            number: c.number,
            title: c.title.clone(),
            char_count: c.char_count,
            sha256: c.sha256.clone(),
        }
    }
}

/// An occurrence of a concept; offsets in characters from the start of the chapter body.
#[derive(Debug, Serialize)]
pub struct OccurrenceDto {
    /// Concept id.
    pub concept: String,
    /// Start offset (characters).
    pub start: u32,
    /// Length (characters).
    pub len: u32,
}

impl From<&StoredOccurrence> for OccurrenceDto {
    fn from(o: &StoredOccurrence) -> Self {
        Self {
            concept: o.concept.clone(),
            start: o.start,
            len: o.len,
        }
    }
}

/// Result of an import or dry run.
#[derive(Debug, Serialize)]
pub struct ImportDto {
    /// New work id, null for a dry run.
    pub work: Option<i64>,
    /// Title.
    pub title: String,
    /// Detected encoding.
    pub encoding: String,
    /// Number of chapters.
    pub chapter_count: usize,
    /// Chapters (number, title, characters).
    pub chapters: Vec<ImportChapterDto>,
    /// Occurrences found by automatic tagging.
    pub occurrences: usize,
    /// Whether nothing was written.
    pub dry_run: bool,
}

/// One chapter of an import report.
#[derive(Debug, Serialize)]
pub struct ImportChapterDto {
    /// Number.
    pub number: u32,
    /// Heading.
    pub title: String,
    /// Characters.
    pub char_count: u64,
}

impl From<&ImportReport> for ImportDto {
    fn from(r: &ImportReport) -> Self {
        Self {
            work: r.work,
            title: r.title.clone(),
            encoding: r.encoding.clone(),
            chapter_count: r.chapters.len(),
            chapters: r
                .chapters
                .iter()
                .map(|(n, t, c)| ImportChapterDto {
                    number: *n,
                    title: t.clone(),
                    char_count: *c,
                })
                .collect(),
            occurrences: r.occurrences,
            dry_run: r.work.is_none(),
        }
    }
}

/// A work's cultural profile.
#[derive(Debug, Serialize)]
pub struct ProfileDto {
    /// The work.
    pub work: WorkDto,
    /// Total occurrences.
    pub total_occurrences: u64,
    /// Distinct concepts found.
    pub distinct_concepts: usize,
    /// By category: key, occurrences, distinct concepts.
    pub categories: Vec<CategoryCountDto>,
    /// By concept, most frequent first.
    pub concepts: Vec<ConceptCountDto>,
}

/// Count for one category.
#[derive(Debug, Serialize)]
pub struct CategoryCountDto {
    /// Category key.
    pub category: String,
    /// Occurrences.
    pub count: u64,
    /// Distinct concepts.
    pub concepts: u64,
}

/// Count for one concept.
#[derive(Debug, Serialize)]
pub struct ConceptCountDto {
    /// Concept id.
    pub concept: String,
    /// zh-Hans label.
    pub label: String,
    /// English label.
    pub label_en: Option<String>,
    /// Category key.
    pub category: String,
    /// Occurrences.
    pub count: u64,
    /// Chapters with at least one occurrence.
    pub chapters: u32,
}

impl From<&Profile> for ProfileDto {
    fn from(p: &Profile) -> Self {
        Self {
            work: WorkDto::from(&p.work),
            total_occurrences: p.total,
            distinct_concepts: p.concepts.len(),
            categories: p
                .categories
                .iter()
                .map(|(c, n, d)| CategoryCountDto {
                    category: c.clone(),
                    count: *n,
                    concepts: *d,
                })
                .collect(),
            concepts: p
                .concepts
                .iter()
                .map(|c| ConceptCountDto {
                    concept: c.concept.clone(),
                    label: c.label.clone(),
                    label_en: c.label_en.clone(),
                    category: c.category.clone(),
                    count: c.count,
                    chapters: c.chapters,
                })
                .collect(),
        }
    }
}

/// A concept in lists (id, category, main labels, definition).
#[derive(Debug, Serialize)]
pub struct ConceptSummaryDto {
    /// Id.
    pub id: String,
    /// Category key.
    pub category: String,
    /// Preferred zh-Hans label.
    pub zh_hans: Option<String>,
    /// Preferred zh-Hant label.
    pub zh_hant: Option<String>,
    /// Preferred pinyin label.
    pub pinyin: Option<String>,
    /// Preferred English label.
    pub en: Option<String>,
    /// English definition.
    pub definition_en: Option<String>,
    /// Editorial status.
    pub status: String,
}

impl From<&Concept> for ConceptSummaryDto {
    fn from(c: &Concept) -> Self {
        Self {
            id: c.id.clone(),
            category: c.category.clone(),
            zh_hans: c.pref_label(qiantang_kb::ZH_HANS).map(str::to_string),
            zh_hant: c.pref_label(qiantang_kb::ZH_HANT).map(str::to_string),
            pinyin: c.pref_label(qiantang_kb::PINYIN).map(str::to_string),
            en: c.pref_label(qiantang_kb::EN).map(str::to_string),
            definition_en: c.definition.get("en").cloned(),
            status: c.provenance.status.as_str().to_string(),
        }
    }
}

/// A concept in full (the edit shape is the same minus derived fields).
#[derive(Debug, Serialize)]
pub struct ConceptDto {
    /// The concept as stored (same JSON as the seed format and `PUT` body).
    pub concept: serde_json::Value,
    /// Narrower concept ids (derived).
    pub narrower: Vec<String>,
    /// Rendering rules.
    pub renderings: Vec<RenderingDto>,
    /// Works in which it occurs.
    pub used_in: Vec<ConceptUseDto>,
}

/// A rendering rule.
#[derive(Debug, Serialize)]
pub struct RenderingDto {
    /// Concept id.
    pub concept: String,
    /// Target language, BCP 47.
    pub lang: String,
    /// ISO 3166-1 market or null for all markets of the language.
    pub market: Option<String>,
    /// keep / transliterate / translate / transliterate_gloss / substitute.
    pub strategy: String,
    /// Text in running prose.
    pub text: String,
    /// Gloss for first occurrence.
    pub gloss: Option<String>,
    /// draft / reviewed.
    pub status: String,
    /// True when built from the market's default strategy (no explicit rule).
    pub fallback: bool,
    /// What a reader sees on first occurrence.
    pub display_first: String,
}

impl RenderingDto {
    /// Converts a rule.
    pub fn new(r: &Rendering, fallback: bool) -> Self {
        Self {
            concept: r.concept.clone(),
            lang: r.lang.clone(),
            market: r.market.clone(),
            strategy: r.strategy.as_str().to_string(),
            text: r.text.clone(),
            gloss: r.gloss.clone(),
            status: r.status.as_str().to_string(),
            fallback,
            display_first: qiantang_kb::render::display(r, true),
        }
    }
}

/// A work in which a concept occurs.
#[derive(Debug, Serialize)]
pub struct ConceptUseDto {
    /// Work id.
    pub work: i64,
    /// Title.
    pub title: String,
    /// Occurrences.
    pub count: u64,
    /// First chapter with an occurrence.
    pub first_chapter: u32,
}

impl From<&ConceptUse> for ConceptUseDto {
    fn from(u: &ConceptUse) -> Self {
        Self {
            work: u.work,
            title: u.title.clone(),
            count: u.count,
            first_chapter: u.first_chapter,
        }
    }
}

/// A market.
#[derive(Debug, Serialize)]
pub struct MarketDto {
    /// ISO 3166-1 alpha-2.
    pub region: String,
    /// English name.
    pub name: String,
    /// BCP 47 languages.
    pub languages: Vec<String>,
    /// high / low.
    pub context: String,
    /// close / medium / distant.
    pub proximity: String,
    /// Strategy used when a concept has no explicit rule.
    pub default_strategy: String,
}

impl From<&Market> for MarketDto {
    fn from(m: &Market) -> Self {
        Self {
            region: m.region.clone(),
            name: m.name.clone(),
            languages: m.languages.clone(),
            context: format!("{:?}", m.context).to_lowercase(),
            proximity: format!("{:?}", m.proximity).to_lowercase(),
            default_strategy: m.default_strategy().as_str().to_string(),
        }
    }
}

/// An error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Serialize)]
pub struct ErrorDto {
    /// The error.
    pub error: ErrorBody,
}

/// Error code and message.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// Stable code from the error table ([`crate::ErrorCode`]).
    pub code: crate::ErrorCode,
    /// Human-readable message (never internals).
    pub message: String,
}
