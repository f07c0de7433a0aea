//! The tagger: finds knowledge-base concept occurrences in Chinese text.
//!
//! # Engine
//!
//! Every `zh-Hans` and `zh-Hant` label (preferred and alternative) of every
//! concept goes into one Aho–Corasick automaton (DFA, leftmost-longest
//! semantics), so the text is scanned once, left to right, whatever the number
//! of labels. Matches are non-overlapping; at a given start the longest label
//! wins (`灵隐寺` beats `灵隐`).
//!
//! # Word-boundary rule
//!
//! Short labels would fire inside unrelated words (`道` "the Way" inside
//! `知道` "to know", `人参` "ginseng" across `女人|参加`, `道济` across
//! `知道|济公`). Matches of labels of **one or two characters** are checked
//! against a jieba segmentation; labels of **three or more characters** are
//! accepted anywhere, also inside compounds (`灵隐寺` in `灵隐寺内`).
//!
//! The rule, on the jieba tokens of a small window around the match:
//!
//! * a **one-character** label must be a token of its own: `道` is rejected
//!   in `知道`, `说道`, `道童`;
//! * a **two-character** label must not be cut by a token that *partially*
//!   overlaps it; a token that contains the whole label is fine, so a
//!   two-character label matches inside a compound word: `西湖` in `西湖边`,
//!   `员外` in `赵员外`, `天师` in `天师府`, `临安` in `临安府`; but `人参` is
//!   rejected in `女人|参加`.
//!
//! The window extends up to [`WINDOW`] characters to each side and stops at
//! the first character that is not a Han ideograph (punctuation, Latin,
//! digits, line breaks). The segmenter is jieba's default dictionary
//! (max-probability route, no HMM) with every KB label of two or more
//! characters added as a word with a boosted frequency, so that a KB label
//! beats a competing dictionary word that overlaps it (`济公|道` "Jigong said"
//! rather than `济|公道` "fair").
//!
//! Segmenting is the costly part, so it runs only when needed: a checked
//! match is accepted without segmenting when no dictionary word of at most
//! [`MAX_WORD`] characters inside the window could conflict with it as above
//! — without HMM, jieba's tokens are dictionary words or single characters,
//! so no conflicting word means no conflicting token.
//!
//! # Senses
//!
//! Two kinds of data keep labels from firing where they carry another sense,
//! both cheap (no per-match segmentation):
//!
//! * **Idioms** (`data/kb/idioms.txt`, [`crate::seed::idioms`]): idioms and
//!   set phrases inside which a one- or two-character label is not its
//!   concept (`粉青` "celadon" in `红粉青娥`, `小可` in `非同小可`, `无常` in
//!   `反复无常`). Each idiom that contains a checked label goes into the
//!   automaton as a *blocker*: leftmost-longest matching lets it swallow the
//!   labels inside it, and it emits nothing. (A label of three or more
//!   characters that starts inside a blocker is lost too; the list holds
//!   only idioms, where that does not happen in practice.)
//! * **Sense guards** ([`SenseGuard`], `data/kb/senses.json`), per concept:
//!   strings that must not follow (`not_before`: `天竺` + `寺`/`山`/`街` is a
//!   Hangzhou temple, hill or street, not India) or precede (`not_after`) a
//!   label, or of which one must occur within [`SENSE_NEAR`] characters
//!   (`requires_near`: `小生` is the opera role only near `戏`/`唱`/`扮`…,
//!   otherwise a scholar's humble "I"). A guarded match that fails is
//!   rejected like a boundary failure (the search resumes one character on).
//!
//! A longer, more specific label wins by leftmost-longest matching (`上天竺`
//! over `天竺`). Still not told apart: the verb `道` "to say" after a name,
//! `绍兴` as a reign title with a numbered year (`绍兴十二年`).
//!
//! When a checked match is rejected, the search resumes one character after
//! its start, so a label starting inside the rejected span can still match.
//!
//! # Units
//!
//! Offsets and lengths are in Unicode scalar values (Rust `char`s), counted
//! from the start of the text passed to [`Tagger::tag`].

use crate::model::{Concept, ConceptId, SenseGuard, SENSE_NEAR, ZH_HANS, ZH_HANT};
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use jieba_rs::Jieba;
use std::collections::HashMap;
use std::sync::OnceLock;

/// How far (in characters) the segmentation window extends on each side of a
/// checked match.
pub const WINDOW: usize = 4;

/// The longest dictionary word (in characters) considered by the cheap
/// "does any word straddle the boundary" pre-check.
pub const MAX_WORD: usize = 4;

/// Frequency multiplier applied to KB labels added to the jieba dictionary
/// (relative to jieba's own suggested frequency for the label).
const LABEL_BOOST: usize = 20;

/// One occurrence of a concept label in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The concept found.
    pub concept: ConceptId,
    /// Offset of the first character, in Unicode scalar values from the start of the text.
    pub start: usize,
    /// Length in Unicode scalar values.
    pub len: usize,
}

/// Counters from one [`Tagger::tag_with_stats`] run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TagStats {
    /// Raw automaton matches (before boundary checks).
    pub candidates: usize,
    /// Matches whose label needed a boundary check.
    pub checked: usize,
    /// Checked matches that needed a window segmentation (the pre-check could not decide).
    pub segmented: usize,
    /// Checked matches rejected because a token crossed the match boundary.
    pub rejected: usize,
    /// Idiom (blocker) matches that swallowed the labels inside them.
    pub blocked: usize,
    /// Matches rejected by a concept's sense guard.
    pub sense_rejected: usize,
    /// Occurrences returned.
    pub accepted: usize,
}

/// Per-pattern data, indexed by automaton pattern id.
#[derive(Debug, Clone)]
struct PatternInfo {
    /// Index into `Tagger::concepts`; `None` for an idiom (blocker).
    concept: Option<usize>,
    /// Index into `Tagger::guards` when the concept has a sense guard.
    guard: Option<usize>,
    /// Label length in chars.
    chars: usize,
    /// Whether matches need the word-boundary check.
    check: bool,
}

/// Finds concept occurrences in Chinese text.
///
/// Build once with [`Tagger::new`] (≈ the cost of cloning jieba's default
/// dictionary plus building the automaton; jieba's dictionary itself is
/// parsed once per process) and share: `Tagger` is `Send + Sync` and
/// [`Tagger::tag`] takes `&self`.
pub struct Tagger {
    ac: Option<AhoCorasick>,
    patterns: Vec<PatternInfo>,
    /// Number of label patterns (the first `labels` of `patterns`).
    labels: usize,
    guards: Vec<SenseGuard>,
    concepts: Vec<ConceptId>,
    /// Segmenter with the KB labels added; `None` when no label needs a check.
    jieba: Option<Jieba>,
}

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tagger")
            .field("labels", &self.labels)
            .field("idioms", &(self.patterns.len() - self.labels))
            .field("guards", &self.guards.len())
            .field("concepts", &self.concepts.len())
            .field("segmenter", &self.jieba.is_some())
            .finish()
    }
}

/// jieba's default dictionary, parsed once per process (≈ 0.3 s).
fn base_jieba() -> &'static Jieba {
    static BASE: OnceLock<Jieba> = OnceLock::new();
    BASE.get_or_init(Jieba::new)
}

/// Whether `c` is a Han ideograph (CJK Unified Ideographs, extensions A–F,
/// compatibility ideographs) — the characters jieba segments with its dictionary.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{3134F}')
}

impl Tagger {
    /// Builds a tagger from the `zh-Hans` and `zh-Hant` labels (pref and alt)
    /// of `concepts`, with the built-in sense guards
    /// ([`crate::seed::senses`], applied to the concepts with those ids) and
    /// idiom list ([`crate::seed::idioms`]); see [`Tagger::with_senses`].
    ///
    /// Never fails: with no usable label the tagger finds nothing; a defect
    /// in the built-in guards (caught by tests) is logged and they are skipped.
    pub fn new(concepts: &[Concept]) -> Self {
        let guards = crate::seed::senses().unwrap_or_else(|e| {
            tracing::error!("tagger: {e}; sense guards skipped");
            Vec::new()
        });
        let idioms: Vec<&str> = crate::seed::idioms().collect();
        Self::with_senses(concepts, &guards, &idioms)
    }

    /// Builds a tagger from the `zh-Hans` and `zh-Hant` labels (pref and alt)
    /// of `concepts`, applying `guards` to the labels of the concepts they
    /// name (guards for other ids are ignored; several guards for one
    /// concept: the first wins) and blocking matches inside `idioms` (only
    /// idioms that contain a label of one or two characters, and are not
    /// labels themselves, are used).
    ///
    /// Empty labels are ignored. When several concepts share a label text,
    /// the concept for which it is a preferred label wins, then the earlier
    /// concept in `concepts`.
    pub fn with_senses(concepts: &[Concept], guards: &[SenseGuard], idioms: &[&str]) -> Self {
        // label text -> (is_alt, concept index); first best wins.
        let mut chosen: HashMap<&str, (bool, usize)> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (ci, c) in concepts.iter().enumerate() {
            for l in c.labels.iter() {
                if l.lang != ZH_HANS && l.lang != ZH_HANT {
                    continue;
                }
                let text = l.text.trim();
                if text.is_empty() {
                    continue;
                }
                let is_alt = l.kind != crate::model::LabelKind::Pref;
                match chosen.get_mut(text) {
                    None => {
                        chosen.insert(text, (is_alt, ci));
                        order.push(text);
                    }
                    Some(slot) => {
                        if slot.0 && !is_alt {
                            *slot = (is_alt, ci);
                        }
                    }
                }
            }
        }

        let mut kept_guards: Vec<SenseGuard> = Vec::new();
        let mut guard_of: HashMap<usize, usize> = HashMap::new();
        for g in guards {
            if let Some(ci) = concepts.iter().position(|c| c.id == g.concept) {
                guard_of.entry(ci).or_insert_with(|| {
                    kept_guards.push(g.clone());
                    kept_guards.len() - 1
                });
            }
        }

        let mut patterns = Vec::with_capacity(order.len());
        let mut needs_segmenter = false;
        for text in &order {
            let Some(&(_, ci)) = chosen.get(text) else {
                continue;
            };
            let chars = text.chars().count();
            let check = chars <= 2;
            needs_segmenter |= check;
            patterns.push(PatternInfo {
                concept: Some(ci),
                guard: guard_of.get(&ci).copied(),
                chars,
                check,
            });
        }
        let labels = patterns.len();
        let short: Vec<&str> = order
            .iter()
            .copied()
            .filter(|t| t.chars().count() <= 2)
            .collect();
        let mut blockers: Vec<&str> = Vec::new();
        for idiom in idioms {
            let idiom = idiom.trim();
            if idiom.is_empty() || chosen.contains_key(idiom) || blockers.contains(&idiom) {
                continue;
            }
            if short.iter().any(|l| idiom.contains(l)) {
                blockers.push(idiom);
                patterns.push(PatternInfo {
                    concept: None,
                    guard: None,
                    chars: idiom.chars().count(),
                    check: false,
                });
            }
        }
        let jieba_words: Vec<&str> = order.clone();
        order.extend(blockers);

        let ac = if order.is_empty() {
            None
        } else {
            let build = |kind: Option<AhoCorasickKind>| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(kind)
                    .build(&order)
            };
            // The DFA is the fastest; fall back to the automatic choice if it
            // would exceed aho-corasick's size limits.
            match build(Some(AhoCorasickKind::DFA)) {
                Ok(ac) => Some(ac),
                Err(e) => {
                    tracing::warn!("tagger: DFA build failed ({e}); using default automaton");
                    match build(None) {
                        Ok(ac) => Some(ac),
                        Err(e) => {
                            tracing::error!("tagger: automaton build failed: {e}");
                            None
                        }
                    }
                }
            }
        };

        let jieba = needs_segmenter.then(|| {
            let mut j = base_jieba().clone();
            for text in &jieba_words {
                if text.chars().count() >= 2 {
                    let freq = j.suggest_freq(text).saturating_mul(LABEL_BOOST);
                    j.add_word(text, Some(freq), None);
                }
            }
            j
        });

        Tagger {
            ac,
            patterns,
            labels,
            guards: kept_guards,
            concepts: concepts.iter().map(|c| c.id.clone()).collect(),
            jieba,
        }
    }

    /// Number of distinct label strings in the automaton (idioms not counted).
    pub fn label_count(&self) -> usize {
        self.labels
    }

    /// Number of idioms in the automaton (blockers, see the module docs).
    pub fn idiom_count(&self) -> usize {
        self.patterns.len() - self.labels
    }

    /// All occurrences in `text`, in order of `start`, non-overlapping
    /// (leftmost-longest, then the word-boundary rule of the module docs).
    pub fn tag(&self, text: &str) -> Vec<Occurrence> {
        self.tag_with_stats(text).0
    }

    /// Like [`Tagger::tag`], also returning counters about the boundary checks.
    pub fn tag_with_stats(&self, text: &str) -> (Vec<Occurrence>, TagStats) {
        let mut out = Vec::new();
        let mut stats = TagStats::default();
        let Some(ac) = &self.ac else {
            return (out, stats);
        };
        let bytes_len = text.len();
        let mut pos = 0usize; // byte position where the next search starts
        let mut counted_byte = 0usize; // chars counted up to this byte
        let mut counted_chars = 0usize;
        while pos < bytes_len {
            let Some(m) = ac.find(Input::new(text).span(pos..bytes_len)) else {
                break;
            };
            stats.candidates += 1;
            let Some(info) = self.patterns.get(m.pattern().as_usize()) else {
                break;
            };
            let Some(concept) = info.concept else {
                // An idiom: swallow it, tag nothing inside.
                stats.blocked += 1;
                pos = m.end().max(pos + 1);
                continue;
            };
            let sense_ok = info
                .guard
                .and_then(|g| self.guards.get(g))
                .is_none_or(|g| sense_allows(g, text, m.start(), m.end()));
            if !sense_ok {
                stats.sense_rejected += 1;
                let step = text[m.start()..].chars().next().map_or(1, char::len_utf8);
                pos = m.start() + step;
                continue;
            }
            if info.check {
                stats.checked += 1;
                if !self.on_boundaries(text, m.start(), m.end(), info.chars >= 2, &mut stats) {
                    stats.rejected += 1;
                    // Resume one character after the rejected match's start.
                    let step = text[m.start()..].chars().next().map_or(1, char::len_utf8);
                    pos = m.start() + step;
                    continue;
                }
            }
            counted_chars += text[counted_byte..m.start()].chars().count();
            counted_byte = m.end();
            if let Some(id) = self.concepts.get(concept) {
                out.push(Occurrence {
                    concept: id.clone(),
                    start: counted_chars,
                    len: info.chars,
                });
            }
            counted_chars += info.chars;
            // Empty patterns are never inserted, so m.end() > pos.
            pos = m.end().max(pos + 1);
        }
        stats.accepted = out.len();
        (out, stats)
    }

    /// The word-boundary check for the match `text[start..end]` (bytes);
    /// `contain_ok` is true for two-character labels (a token containing the
    /// whole match is fine), false for one-character labels.
    fn on_boundaries(
        &self,
        text: &str,
        start: usize,
        end: usize,
        contain_ok: bool,
        stats: &mut TagStats,
    ) -> bool {
        let Some(jieba) = &self.jieba else {
            return true;
        };
        // Window: up to WINDOW Han chars each side, stopping at non-Han.
        let mut wstart = start;
        for (i, c) in text[..start].char_indices().rev().take(WINDOW) {
            if !is_han(c) {
                break;
            }
            wstart = i;
        }
        let mut wend = end;
        for c in text[end..].chars().take(WINDOW) {
            if !is_han(c) {
                break;
            }
            wend += c.len_utf8();
        }
        if wstart == start && wend == end {
            return true;
        }
        let window = &text[wstart..wend];
        let (ms, me) = (start - wstart, end - wstart);

        if !conflicting_word(jieba, window, ms, me, contain_ok) {
            return true;
        }
        stats.segmented += 1;
        let mut at = 0usize;
        for tok in jieba.cut(window, false) {
            let (ts, te) = (at, at + tok.len());
            at = te;
            if te <= ms {
                continue;
            }
            if ts >= me {
                break;
            }
            if conflicts(ts, te, ms, me, contain_ok) {
                return false;
            }
        }
        true
    }
}

/// Whether the sense guard `g` allows the match `text[start..end]` (bytes).
fn sense_allows(g: &SenseGuard, text: &str, start: usize, end: usize) -> bool {
    let after = &text[end..];
    let before = &text[..start];
    if g.not_before
        .iter()
        .any(|s| !s.is_empty() && after.starts_with(s.as_str()))
    {
        return false;
    }
    if g.not_after
        .iter()
        .any(|s| !s.is_empty() && before.ends_with(s.as_str()))
    {
        return false;
    }
    if g.requires_near.is_empty() {
        return true;
    }
    let from = before
        .char_indices()
        .rev()
        .take(SENSE_NEAR)
        .last()
        .map_or(start, |(i, _)| i);
    let to = after
        .char_indices()
        .nth(SENSE_NEAR)
        .map_or(text.len(), |(i, _)| end + i);
    let near = |s: &str| text[from..start].contains(s) || text[end..to].contains(s);
    g.requires_near.iter().any(|s| !s.is_empty() && near(s))
}

/// Whether token `[ts, te)` conflicts with match `[ms, me)`: they overlap, the
/// token is not inside the match, and (unless `contain_ok`) the token does not
/// contain the match either.
#[inline]
fn conflicts(ts: usize, te: usize, ms: usize, me: usize, contain_ok: bool) -> bool {
    let overlaps = ts < me && te > ms;
    let inside = ts >= ms && te <= me;
    let contains = ts <= ms && te >= me;
    overlaps && !inside && !(contain_ok && contains)
}

/// Whether some dictionary word of at most [`MAX_WORD`] chars inside `window`
/// would conflict (see [`conflicts`]) with the match `[ms, me)` (byte offsets
/// in `window`). Without HMM, jieba's tokens are dictionary words or single
/// characters, so when this is false no segmentation can reject the match.
fn conflicting_word(jieba: &Jieba, window: &str, ms: usize, me: usize, contain_ok: bool) -> bool {
    // Char boundaries of the window as byte offsets (window ≤ 2*WINDOW + 2 chars).
    let mut offs = [0usize; 2 * WINDOW + 4];
    let mut n = 0usize;
    for (i, _) in window.char_indices() {
        if let Some(slot) = offs.get_mut(n) {
            *slot = i;
            n += 1;
        } else {
            return true; // unexpectedly long window: let the segmenter decide
        }
    }
    let Some(last) = offs.get_mut(n) else {
        return true;
    };
    *last = window.len();
    let bounds = &offs[..=n];
    for p in 0..n {
        let qmax = (p + MAX_WORD).min(n);
        for q in (p + 2)..=qmax {
            let (ts, te) = (bounds[p], bounds[q]);
            if te <= ms || ts >= me || !conflicts(ts, te, ms, me, contain_ok) {
                continue;
            }
            if jieba.has_word(&window[ts..te]) {
                return true;
            }
        }
    }
    false
}
