//! The request and response shapes every backend speaks.

use serde::{Deserialize, Serialize};

/// One batch of segments to translate (or revise), with everything a translator needs to keep
/// names and terms consistent.
///
/// Shapes: `segments` are translated in order and answered in the same order; ids must be
/// unique within a request (checked by every backend, [`crate::MtError::Request`] otherwise).
/// Language tags are BCP 47 (RFC 5646), e.g. `zh-Hans`, `en`, `vi`, `zh-Hant-TW`; each backend
/// maps them to its own codes and answers [`crate::MtError::UnsupportedPair`] for pairs it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtRequest {
    /// BCP 47 tag of the source text, e.g. `zh-Hans`.
    pub source_lang: String,
    /// BCP 47 tag of the wanted translation, e.g. `en`, `vi`, `zh-Hant-TW`.
    pub target_lang: String,
    /// The segments to translate, in reading order.
    pub segments: Vec<MtSegment>,
    /// Already translated segments that come just before `segments` (oldest first); context
    /// only, never translated again.
    #[serde(default)]
    pub context: Vec<ContextPair>,
    /// A short synopsis of the work (names, setting, tone), sent as context where the backend
    /// takes any.
    #[serde(default)]
    pub synopsis: Option<String>,
    /// Locked terms (from the KB / termbase). Backends send only the terms whose `source`
    /// occurs in the batch.
    #[serde(default)]
    pub terms: Vec<MtTerm>,
    /// Translate from scratch, or revise approved translations after a source edit.
    #[serde(default)]
    pub mode: MtMode,
}

/// One segment of source text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtSegment {
    /// The number shown to the model and used to match the answer; unique within a request.
    pub id: u32,
    /// Source text (UTF-8, may contain newlines).
    pub text: String,
}

/// A previous source segment with its approved translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextPair {
    /// Source text.
    pub source: String,
    /// Its translation.
    pub target: String,
}

/// A term whose rendering is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtTerm {
    /// The term as it appears in the source text (exact substring match).
    pub source: String,
    /// The required rendering in the target language.
    pub target: String,
    /// What the term means (helps an LLM; ignored by DeepL/LibreTranslate/OpenCC).
    #[serde(default)]
    pub definition: Option<String>,
    /// An instruction, e.g. "gloss on first occurrence".
    #[serde(default)]
    pub note: Option<String>,
}

/// What the backend is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "revisions", rename_all = "snake_case")]
pub enum MtMode {
    /// Translate every segment from scratch.
    #[default]
    Translate,
    /// The source of these segments changed after their translation was approved: produce a
    /// minimally edited revision of the approved translation. One [`Revision`] per segment id
    /// that has an approved translation; segments without one are translated from scratch.
    /// Backends without an LLM (DeepL, LibreTranslate, OpenCC) translate the new source.
    Revise(Vec<Revision>),
}

/// The approved state of one segment before its source changed (issue: Weblate #13398).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The segment id (as in [`MtSegment::id`]).
    pub id: u32,
    /// The source text the approved translation was made from.
    pub old_source: String,
    /// The approved translation of `old_source`.
    pub approved_target: String,
}

/// The answer to an [`MtRequest`].
///
/// Invariant: every requested id appears exactly once, either in `translations` or in
/// `failures`, and each list keeps the request order. A translation is only ever stored under
/// the id whose source it translates: a batch whose alignment cannot be proven is retried and
/// split, down to single segments (see the crate docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtResponse {
    /// `(segment id, translated text)`, in request order.
    pub translations: Vec<(u32, String)>,
    /// Segments that still failed on their own after retries and splitting.
    pub failures: Vec<SegmentFailure>,
    /// What the call cost.
    pub usage: Usage,
    /// Backend name, e.g. `openai`, `deepl`, `libretranslate`, `opencc`.
    pub backend: String,
    /// Model name where the backend has one.
    pub model: Option<String>,
    /// True when the answer came from an [`crate::MtCache`] without any backend call.
    pub cached: bool,
}

impl MtResponse {
    /// True when every requested segment has a translation.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }

    /// The translation for `id`, if any.
    pub fn get(&self, id: u32) -> Option<&str> {
        self.translations
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, t)| t.as_str())
    }
}

/// A segment that could not be translated; the rest of the batch is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFailure {
    /// The segment id.
    pub id: u32,
    /// Why (the `Display` of the last [`crate::MtError`] for this segment alone).
    pub reason: String,
}

/// Cost accounting of one `translate` call (summed over retries and split batches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens as reported by an LLM API (`usage.prompt_tokens`), 0 elsewhere.
    pub prompt_tokens: u64,
    /// Completion tokens as reported by an LLM API (`usage.completion_tokens`), 0 elsewhere.
    pub completion_tokens: u64,
    /// Characters billed (Unicode scalar values): DeepL's `billed_characters` where reported,
    /// otherwise the characters of source text sent to a per-character API.
    pub characters_billed: u64,
    /// HTTP requests sent (including retried and failed ones).
    pub requests: u64,
}

impl Usage {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.characters_billed += other.characters_billed;
        self.requests += other.requests;
    }
}
