//! The knowledge-base data model: concepts (SKOS-like), markets and rendering rules.
//!
//! Language keys are BCP 47 tags (RFC 5646). Pinyin labels use the registered
//! variant tag `zh-Latn-pinyin`. Regions are ISO 3166-1 alpha-2 (markets) or
//! ISO 3166-2 subdivision codes such as `CN-ZJ` (concept regions).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// BCP 47 tag for Simplified Chinese labels.
pub const ZH_HANS: &str = "zh-Hans";
/// BCP 47 tag for Traditional Chinese labels.
pub const ZH_HANT: &str = "zh-Hant";
/// BCP 47 tag for Hanyu Pinyin romanization (IANA variant `pinyin`).
pub const PINYIN: &str = "zh-Latn-pinyin";
/// BCP 47 tag for English.
pub const EN: &str = "en";

pub use qiantang_core::ConceptId;

/// Whether a label is the preferred one for its language (SKOS `prefLabel`)
/// or an alternative (SKOS `altLabel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum LabelKind {
    /// `skos:prefLabel` — at most one per language.
    Pref,
    /// `skos:altLabel` — any number per language.
    Alt,
}

/// One label of a concept in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// BCP 47 language tag (`zh-Hans`, `zh-Hant`, `zh-Latn-pinyin`, `en`, …).
    pub lang: String,
    /// The label text.
    pub text: String,
    /// Preferred or alternative.
    pub kind: LabelKind,
}

/// Editorial status of a concept or rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Generated or proposed, not yet checked by a reviewer.
    #[default]
    Draft,
    /// Checked by a reviewer.
    Reviewed,
}

impl Status {
    /// The lowercase wire name (`draft` / `reviewed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Reviewed => "reviewed",
        }
    }
}

/// Where a concept came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Free-text source (a list, a dictionary, "Qiantang seed"…).
    pub source: String,
    /// Editorial status.
    #[serde(default)]
    pub status: Status,
}

/// Facts from China's national list of representative intangible cultural heritage (ICH).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeritageFact {
    /// Project code as published, e.g. `VIII-9`.
    pub code: String,
    /// The list's category, in Chinese as published (e.g. `传统技艺`).
    pub category: String,
    /// Batch number (1–5).
    pub batch: u32,
    /// Year the batch was published.
    pub year: u32,
    /// `new` (新增) or `extension` (扩展).
    pub entry_type: String,
    /// Region as published (e.g. `浙江省杭州市`).
    pub region: String,
    /// Protection unit as published.
    #[serde(default)]
    pub protection_unit: String,
}

/// A cultural element: a SKOS-style concept with multilingual labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    /// Stable identifier, see [`ConceptId`].
    pub id: ConceptId,
    /// Category key, e.g. `place`, `person`, `wuxia`, `craft`, `heritage` (see [`CATEGORIES`]).
    pub category: String,
    /// Labels in any number of languages.
    pub labels: Vec<Label>,
    /// One-sentence definitions keyed by BCP 47 tag (at least `en` and `zh-Hans`).
    #[serde(default)]
    pub definition: BTreeMap<String, String>,
    /// Ids of broader concepts (`skos:broader`). Narrower links are derived.
    #[serde(default)]
    pub broader: Vec<ConceptId>,
    /// Related regions, ISO 3166-2 codes (`CN-ZJ`) or city names as published.
    #[serde(default)]
    pub regions: Vec<String>,
    /// ICH facts when the concept is an entry of the national list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heritage: Option<HeritageFact>,
    /// Source and status.
    #[serde(default)]
    pub provenance: Provenance,
}

/// Known category keys with their English and Chinese names.
pub const CATEGORIES: &[(&str, &str, &str)] = &[
    ("root", "Top concepts", "顶层概念"),
    ("place", "Places", "地点"),
    ("person", "People and figures", "人物"),
    ("legend", "Legends and stories", "传说故事"),
    ("religion", "Buddhism and Daoism", "佛道"),
    ("wuxia", "Wuxia and xianxia", "武侠仙侠"),
    ("mythology", "Mythology", "神话"),
    ("history", "History and institutions", "历史制度"),
    ("address", "Forms of address", "称谓"),
    ("tea", "Tea", "茶"),
    ("silk", "Silk", "丝绸"),
    ("craft", "Crafts", "工艺"),
    ("performing", "Opera and performing arts", "戏曲表演"),
    ("cuisine", "Cuisine", "饮食"),
    ("festival", "Festivals and customs", "节庆习俗"),
    ("literature", "Literature", "文学"),
    ("heritage", "Intangible cultural heritage", "非物质文化遗产"),
];

impl Concept {
    /// The preferred label in `lang`, if any.
    pub fn pref_label(&self, lang: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.lang == lang && l.kind == LabelKind::Pref)
            .map(|l| l.text.as_str())
    }

    /// All labels (pref and alt) in `lang`.
    pub fn labels_in<'a>(&'a self, lang: &'a str) -> impl Iterator<Item = &'a Label> + 'a {
        self.labels.iter().filter(move |l| l.lang == lang)
    }

    /// A display name: the first of zh-Hans, en, or the id.
    pub fn display_name(&self) -> &str {
        self.pref_label(ZH_HANS)
            .or_else(|| self.pref_label(EN))
            .unwrap_or(&self.id)
    }
}

/// How a concept is carried into a target market (the rendering strategy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Keep the Chinese form as is (close, Han-character markets such as JP or TW).
    Keep,
    /// Transliterate (pinyin or a Sino-Xenic reading, e.g. vi *giang hồ*, ko 강호).
    Transliterate,
    /// Translate the meaning ("Leifeng Pagoda").
    Translate,
    /// Transliterate and add a gloss on first occurrence ("jianghu (the martial world)").
    TransliterateGloss,
    /// Substitute a target-culture equivalent.
    Substitute,
}

impl Strategy {
    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Keep => "keep",
            Strategy::Transliterate => "transliterate",
            Strategy::Translate => "translate",
            Strategy::TransliterateGloss => "transliterate_gloss",
            Strategy::Substitute => "substitute",
        }
    }

    /// Parses a wire name; `None` when unknown.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "keep" => Strategy::Keep,
            "transliterate" => Strategy::Transliterate,
            "translate" => Strategy::Translate,
            "transliterate_gloss" | "gloss" => Strategy::TransliterateGloss,
            "substitute" => Strategy::Substitute,
            _ => return None,
        })
    }
}

/// A rendering rule: how one concept is rendered for a language, optionally narrowed to one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rendering {
    /// The concept rendered.
    pub concept: ConceptId,
    /// Target language, BCP 47 (`en`, `vi`, `pt`, `ja` …).
    pub lang: String,
    /// ISO 3166-1 alpha-2 market this rule is narrowed to; `None` = every market of `lang`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    /// The strategy.
    pub strategy: Strategy,
    /// Target-language text used in running prose.
    pub text: String,
    /// Explanation added on first occurrence when the strategy glosses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gloss: Option<String>,
    /// Draft (generated) or reviewed.
    #[serde(default)]
    pub status: Status,
}

/// Context class after E. T. Hall's high-/low-context cultures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextClass {
    /// Meaning carried by shared context; implicit forms can stay.
    High,
    /// Meaning carried by explicit text; unfamiliar terms need explanation.
    Low,
}

/// Cultural proximity of a market to China.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proximity {
    /// Sinosphere or large Chinese diaspora (VN, KR, JP, SG, MY, TW, HK…).
    Close,
    /// Some shared reference (TH, ID, PH…).
    Medium,
    /// Little shared reference (US, GB, DE, BR…).
    Distant,
}

/// A target market keyed by ISO 3166-1 alpha-2 region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// ISO 3166-1 alpha-2 code, upper case (`US`, `VN`).
    pub region: String,
    /// English name.
    pub name: String,
    /// Languages served, BCP 47, primary first (`en-US`, `es-US`).
    pub languages: Vec<String>,
    /// High or low context.
    pub context: ContextClass,
    /// Proximity to Chinese culture.
    pub proximity: Proximity,
    /// Why the market was classed so (source or reasoning).
    #[serde(default)]
    pub note: String,
}

impl Market {
    /// Primary language subtag of the first language (`en-US` → `en`).
    pub fn primary_language(&self) -> &str {
        self.languages
            .first()
            .map(|l| l.split('-').next().unwrap_or(l))
            .unwrap_or("en")
    }

    /// The strategy used when no explicit rendering exists (see
    /// [`crate::render::resolve`]): Chinese-reading and Japanese markets keep
    /// the Han form (the implicit form for close, high-context readers);
    /// Vietnamese and Korean transliterate with their Sino-Xenic reading;
    /// all others transliterate and gloss on first occurrence (explanation for
    /// low-context or distant readers) — the gloss is dropped, leaving
    /// `transliterate`, when the concept has no short label in the market's
    /// language.
    pub fn default_strategy(&self) -> Strategy {
        let first = self.languages.first().map(String::as_str).unwrap_or("en");
        if first.starts_with("zh") || first.starts_with("ja") {
            Strategy::Keep
        } else if first.starts_with("vi") || first.starts_with("ko") {
            Strategy::Transliterate
        } else {
            Strategy::TransliterateGloss
        }
    }
}

/// Context rules that keep the tagger from tagging a concept's labels where
/// they carry another sense (issue 14, "Senses"). Shipped in
/// `data/kb/senses.json`; applied by [`crate::Tagger`] to every label of
/// the concept. Strings are compared literally on the text around a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SenseGuard {
    /// The concept guarded.
    pub concept: ConceptId,
    /// The label is not this concept when one of these strings immediately
    /// follows it (天竺 + 寺: a Hangzhou temple, not India).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_before: Vec<String>,
    /// The label is not this concept when one of these strings immediately
    /// precedes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_after: Vec<String>,
    /// When not empty, the label is this concept only if one of these strings
    /// occurs within [`SENSE_NEAR`] characters before or after it (小生 the
    /// opera role needs an opera word nearby; otherwise it is the humble "I").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_near: Vec<String>,
    /// Why the rule exists (the other sense, an example).
    #[serde(default)]
    pub note: String,
}

/// How far (in characters, each side) [`SenseGuard::requires_near`] looks
/// around a match — about a clause of classical prose (project choice).
pub const SENSE_NEAR: usize = 12;
