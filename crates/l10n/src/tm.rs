//! Translation-memory fuzzy matching.
//!
//! # Score
//!
//! A query and a unit's source are compared as sequences of **scoring
//! tokens**:
//!
//! * Chinese and Japanese sources (primary language subtag `zh`, `ja`, and
//!   `yue`, `lzh`, `wuu`): every character that is neither whitespace nor
//!   punctuation/symbol, lower-cased;
//! * all other languages: words — maximal runs of alphanumeric characters,
//!   lower-cased (a Han character inside such text is a word of its own).
//!
//! Whitespace and punctuation are not scoring tokens. With `d` the Levenshtein
//! distance on tokens and `m` the longer token count:
//!
//! ```text
//! base = 100                         texts identical
//!      = 99                          same tokens, texts differ (whitespace,
//!                                    punctuation or case only)
//!      = floor(100 × (1 − d / m))    otherwise (≤ 99 since d ≥ 1)
//! ```
//!
//! A base of 100 becomes **101** when the query has a context and the unit's
//! context equals it (the "context match" of OmegaT and Trados, the 101 %
//! match). Penalties, multiplied and then rounded down (Weblate's numbers,
//! `shared/notes/field.md` "Localization"):
//!
//! * **different context** ×0.95 — the query has a context and the unit's
//!   differs or is missing (no penalty when the query has none);
//! * **unapproved unit** ×0.7.
//!
//! So an unapproved exact match in another context scores ⌊100·0.95·0.7⌋ = 66.
//! A text without scoring tokens (only punctuation) matches identical texts
//! only (base 0 otherwise).
//!
//! # Index
//!
//! Units are partitioned by language pair ([`lang_key`]: primary subtag,
//! plus the script for Chinese). Inside a partition the units get internal
//! ids **sorted by token count**, so every posting list of the token-bigram
//! inverted index is sorted by length too and a length range is a slice found
//! by binary search. A lookup for minimum score `s` (≥ 50):
//!
//! 1. **length filter**: a unit of `n` tokens can reach `s` against a query
//!    of `q` tokens only if `⌈q·s/100⌉ ≤ n ≤ ⌊100·q/s⌋` (since `d ≥ |q−n|`);
//! 2. **count filter** (q-gram lemma, Ukkonen 1992, Jokinen & Ukkonen 1991):
//!    with sequences padded by a start and an end marker, strings within
//!    edit distance `d` share at least `m + 1 − 2d` bigrams (multiset), and
//!    `s` allows at most `dmax(m) = ⌊m·(100−s)/100⌋`;
//! 3. **prefix filter**: a unit sharing ≥ T of the query's `|Q|` bigrams
//!    contains at least one of any `|Q| − T + 1` of them, so candidates are
//!    generated only from the rarest bigrams' lists; the other lists are
//!    probed per candidate by binary search;
//! 4. **verification**: the exact bounded Levenshtein distance
//!    (`rapidfuzz::distance::levenshtein`, Hyyrö's bit-parallel algorithm,
//!    with cut-off `dmax(m)`).
//!
//! Every step is a necessary condition, so the result equals a brute-force
//! scan (tested against one on random data). Below `s = 50` the count bound
//! can be zero and the lookup scans the length range instead.
//!
//! [`TmIndex::add`] appends units to the posting lists with ids after the
//! sorted ones (a short unsorted tail that is length-checked one by one); the
//! index rebuilds itself when the tail outgrows the sorted part.

use crate::model::TranslationUnit;
use rapidfuzz::distance::levenshtein;
use std::collections::HashMap;

/// Default minimum score of the industry (Weblate, translate-toolkit
/// `pretranslate`; issue 4).
pub const DEFAULT_MIN_SCORE: u8 = 75;
/// Multiplier (percent) for a unit whose context differs from the query's.
pub const CONTEXT_PENALTY_PCT: u32 = 95;
/// Multiplier (percent) for an unapproved unit.
pub const UNAPPROVED_PENALTY_PCT: u32 = 70;
/// Below this minimum score the bigram filters cannot prune and the lookup
/// scans the length range.
pub const MIN_FILTERED_SCORE: u8 = 50;

const BOS: u32 = u32::MAX;
const EOS: u32 = u32::MAX - 1;
const FIRST_WORD_ID: u32 = 0x0011_0000;
/// Diffs are computed only when `query chars × source chars` is below this
/// (16 M cells); larger pairs get one delete and one insert.
const MAX_DIFF_CELLS: usize = 16_000_000;

/// One step of the difference between a query and a unit's source, going
/// from the query to the source (characters, for highlighting in the editor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffOp {
    /// Text in both.
    Equal(String),
    /// Text only in the query (absent from the unit's source).
    Delete(String),
    /// Text only in the unit's source.
    Insert(String),
}

/// A fuzzy match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmMatch {
    /// Position of the unit in [`TmIndex::units`].
    pub index: usize,
    /// The unit's id ([`TranslationUnit::id`]).
    pub id: i64,
    /// Score 0–101, see the module docs.
    pub score: u8,
    /// Score before penalties (0–101).
    pub base: u8,
    /// Query → unit source difference.
    pub diff: Vec<DiffOp>,
}

/// A concordance hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcordanceHit {
    /// Position of the unit in [`TmIndex::units`].
    pub index: usize,
    /// The unit's id.
    pub id: i64,
    /// The query occurs in the source.
    pub in_source: bool,
    /// The query occurs in the target.
    pub in_target: bool,
}

/// The key a language tag is grouped by: lower-case primary subtag; for
/// Chinese also the script (`zh-hant` for `Hant`, `TW`, `HK`, `MO`, else
/// `zh-hans`). `en-US` and `en-GB` share a key; `zh-Hans` and `zh-CN` too.
pub fn lang_key(tag: &str) -> String {
    let lower = tag.to_ascii_lowercase().replace('_', "-");
    let primary = lower.split('-').next().unwrap_or("").to_string();
    if primary == "zh" {
        let trad = lower
            .split('-')
            .skip(1)
            .any(|s| matches!(s, "hant" | "tw" | "hk" | "mo"));
        return if trad {
            "zh-hant".into()
        } else {
            "zh-hans".into()
        };
    }
    primary
}

/// Whether a language is scored on characters (Chinese, Japanese).
pub fn scores_on_chars(lang: &str) -> bool {
    let l = lang_key(lang);
    l.starts_with("zh") || matches!(l.as_str(), "ja" | "yue" | "lzh" | "wuu")
}

/// The scoring tokens of a text as strings (see the module docs).
pub fn scoring_tokens(text: &str, lang: &str) -> Vec<String> {
    let by_char = scores_on_chars(lang);
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            continue;
        }
        if by_char || crate::segment::is_han(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_lowercase().collect());
        } else {
            word.extend(c.to_lowercase());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The base score (0–100, no context or approval) of `a` against `b` in
/// language `lang`, by the formula of the module docs. Brute force; the
/// index gives the same numbers.
pub fn base_score(a: &str, b: &str, lang: &str) -> u8 {
    if a == b {
        return 100;
    }
    let ta = scoring_tokens(a, lang);
    let tb = scoring_tokens(b, lang);
    let m = ta.len().max(tb.len());
    if m == 0 {
        return 0; // no scoring tokens: identical texts only
    }
    let mut vocab: HashMap<&str, u32> = HashMap::new();
    let mut ia = Vec::with_capacity(ta.len());
    let mut ib = Vec::with_capacity(tb.len());
    for (ts, out) in [(&ta, &mut ia), (&tb, &mut ib)] {
        for t in ts {
            let n = vocab.len() as u32;
            out.push(*vocab.entry(t.as_str()).or_insert(n));
        }
    }
    let d = levenshtein::distance(ia, ib);
    if d == 0 {
        return 99;
    }
    pct(m - d, m)
}

fn pct(num: usize, den: usize) -> u8 {
    u8::try_from(100 * num / den).unwrap_or(100)
}

/// Applies the context and approval rules to a base score (see module docs).
pub fn final_score(base: u8, query_context: Option<&str>, unit: &TranslationUnit) -> u8 {
    let mut base = u32::from(base);
    let mut factor = 100 * 100;
    if let Some(ctx) = query_context {
        if unit.context.as_deref() == Some(ctx) {
            if base == 100 {
                base = 101;
            }
        } else {
            factor = factor * CONTEXT_PENALTY_PCT / 100;
        }
    }
    if !unit.approved {
        factor = factor * UNAPPROVED_PENALTY_PCT / 100;
    }
    u8::try_from(base * factor / 10_000).unwrap_or(101)
}

/// Largest token distance that keeps the base score ≥ `min` for a longer
/// length `m`.
fn dmax(m: usize, min: u8) -> usize {
    m * (100 - usize::from(min.min(100))) / 100
}

/// Bigram count bound of the q-gram lemma for longer length `m`.
fn count_bound(m: usize, min: u8) -> i64 {
    (m as i64) + 1 - 2 * (dmax(m, min) as i64)
}

fn bigram(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

#[derive(Debug, Default)]
struct Part {
    /// Internal id → position in `units`.
    ext: Vec<u32>,
    /// Internal id → start of its tokens in `toks` (one extra at the end).
    tok_start: Vec<usize>,
    toks: Vec<u32>,
    /// Internal ids below `sorted` are ordered by token count.
    sorted: u32,
    /// `len_start[n]` = first sorted id with at least `n` tokens.
    len_start: Vec<u32>,
    postings: HashMap<u64, Vec<u32>>,
}

impl Part {
    fn len_of(&self, id: u32) -> usize {
        let i = id as usize;
        self.tok_start[i + 1] - self.tok_start[i]
    }

    fn toks_of(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.toks[self.tok_start[i]..self.tok_start[i + 1]]
    }

    fn push(&mut self, ext: u32, toks: &[u32]) -> u32 {
        let id = u32::try_from(self.ext.len()).unwrap_or(u32::MAX);
        self.ext.push(ext);
        if self.tok_start.is_empty() {
            self.tok_start.push(0);
        }
        self.toks.extend_from_slice(toks);
        self.tok_start.push(self.toks.len());
        let mut prev = BOS;
        for &t in toks.iter().chain(std::iter::once(&EOS)) {
            self.postings.entry(bigram(prev, t)).or_default().push(id);
            prev = t;
        }
        id
    }

    /// Sorted ids with token count in `lo..=hi`.
    fn sorted_range(&self, lo: usize, hi: usize) -> (u32, u32) {
        let top = self.len_start.len().saturating_sub(1);
        let at = |n: usize| {
            if n > top {
                self.sorted
            } else {
                self.len_start[n]
            }
        };
        (at(lo), at(hi.saturating_add(1)))
    }
}

/// A fuzzy index over translation units (see the module docs).
#[derive(Debug, Default)]
pub struct TmIndex {
    units: Vec<TranslationUnit>,
    parts: HashMap<(String, String), Part>,
    words: HashMap<String, u32>,
}

impl TmIndex {
    /// Builds the index. Time and memory are linear in the total token
    /// count (10⁶ Chinese sentences: see bench/README.md).
    pub fn build(units: Vec<TranslationUnit>) -> Self {
        let mut idx = TmIndex {
            units: Vec::new(),
            parts: HashMap::new(),
            words: HashMap::new(),
        };
        idx.units = units;
        idx.reindex();
        idx
    }

    fn reindex(&mut self) {
        type Tokens = Vec<(u32, Vec<u32>)>;
        let mut groups: HashMap<(String, String), Tokens> = HashMap::new();
        for i in 0..self.units.len() {
            let u = &self.units[i];
            let key = (lang_key(&u.source_lang), lang_key(&u.target_lang));
            let src = u.source.clone();
            let lang = u.source_lang.clone();
            let toks = self.intern(&src, &lang);
            groups
                .entry(key)
                .or_default()
                .push((u32::try_from(i).unwrap_or(u32::MAX), toks));
        }
        self.parts.clear();
        for (key, mut list) in groups {
            list.sort_by_key(|(i, t)| (t.len(), *i));
            let mut part = Part::default();
            let maxlen = list.last().map_or(0, |(_, t)| t.len());
            part.len_start = vec![0; maxlen + 2];
            let mut next_len = 0;
            for (n, (ext, toks)) in list.iter().enumerate() {
                while next_len <= toks.len() {
                    part.len_start[next_len] = n as u32;
                    next_len += 1;
                }
                part.push(*ext, toks);
            }
            let total = list.len() as u32;
            while next_len < part.len_start.len() {
                part.len_start[next_len] = total;
                next_len += 1;
            }
            part.sorted = total;
            self.parts.insert(key, part);
        }
    }

    /// Token ids of a text, adding unknown words to the vocabulary.
    fn intern(&mut self, text: &str, lang: &str) -> Vec<u32> {
        let by_char = scores_on_chars(lang);
        scoring_tokens(text, lang)
            .into_iter()
            .map(|t| {
                let mut cs = t.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) if by_char || crate::segment::is_han(c) || t.len() == 1 => {
                        c as u32
                    }
                    _ => {
                        let next = FIRST_WORD_ID + self.words.len() as u32;
                        *self.words.entry(t).or_insert(next)
                    }
                }
            })
            .collect()
    }

    /// Token ids of a query; unknown words get ids no unit has.
    fn query_tokens(&self, text: &str, lang: &str) -> Vec<u32> {
        let by_char = scores_on_chars(lang);
        let mut unknown = EOS - 1;
        scoring_tokens(text, lang)
            .into_iter()
            .map(|t| {
                let mut cs = t.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) if by_char || crate::segment::is_han(c) || t.len() == 1 => {
                        c as u32
                    }
                    _ => self.words.get(&t).copied().unwrap_or_else(|| {
                        unknown -= 1;
                        unknown
                    }),
                }
            })
            .collect()
    }

    /// Adds one unit; returns its position in [`TmIndex::units`]. Amortised
    /// O(tokens): the index rebuilds itself when the unsorted tail of a
    /// partition outgrows its sorted part.
    pub fn add(&mut self, unit: TranslationUnit) -> usize {
        let pos = self.units.len();
        let key = (lang_key(&unit.source_lang), lang_key(&unit.target_lang));
        let toks = self.intern(&unit.source, &unit.source_lang);
        self.units.push(unit);
        let part = self.parts.entry(key).or_default();
        part.push(u32::try_from(pos).unwrap_or(u32::MAX), &toks);
        let tail = part.ext.len() - part.sorted as usize;
        if tail > 1024 && tail > part.sorted as usize {
            self.reindex();
        }
        pos
    }

    /// All units, in the order given to [`TmIndex::build`] then [`TmIndex::add`].
    pub fn units(&self) -> &[TranslationUnit] {
        &self.units
    }

    /// The unit at a position, if any.
    pub fn unit(&self, index: usize) -> Option<&TranslationUnit> {
        self.units.get(index)
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// No units.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Fuzzy matches of `source` among units of the same language pair
    /// ([`lang_key`]) with final score ≥ `min_score` (0 counts as 1: a
    /// score of 0 is no match), best first (then by
    /// position), at most `limit`. `context` is the previous source segment,
    /// if known. Scores and penalties: see the module docs.
    pub fn lookup(
        &self,
        source: &str,
        context: Option<&str>,
        source_lang: &str,
        target_lang: &str,
        min_score: u8,
        limit: usize,
    ) -> Vec<TmMatch> {
        let key = (lang_key(source_lang), lang_key(target_lang));
        let Some(part) = self.parts.get(&key) else {
            return Vec::new();
        };
        let q = self.query_tokens(source, source_lang);
        let min_score = min_score.max(1);
        let min = min_score.min(100);
        let mut found: Vec<(u8, u8, usize)> = Vec::new(); // (final, base, ext)
        let mut consider = |id: u32, d: usize| {
            let ext = part.ext[id as usize] as usize;
            let unit = &self.units[ext];
            let m = q.len().max(part.len_of(id));
            let base = if unit.source == source {
                100
            } else if d == 0 {
                99
            } else {
                pct(m - d, m)
            };
            if base < min {
                return;
            }
            let fin = final_score(base, context, unit);
            if fin >= min_score {
                found.push((fin, base, ext));
            }
        };
        let verify = |id: u32| -> Option<usize> {
            let m = q.len().max(part.len_of(id));
            levenshtein::distance_with_args(
                q.iter().copied(),
                part.toks_of(id).iter().copied(),
                &levenshtein::Args::default().score_cutoff(dmax(m, min)),
            )
        };
        if q.is_empty() {
            // Only identical texts (empty-token units, ids at the start).
            let (a, b) = part.sorted_range(0, 0);
            let tail = part.sorted..part.ext.len() as u32;
            for id in (a..b).chain(tail.filter(|&id| part.len_of(id) == 0)) {
                if self.units[part.ext[id as usize] as usize].source == source {
                    consider(id, 0);
                }
            }
        } else if min < MIN_FILTERED_SCORE {
            let lo = (q.len() * usize::from(min)).div_ceil(100);
            let (a, _) = part.sorted_range(lo, usize::MAX);
            let tail = part.sorted..part.ext.len() as u32;
            for id in (a..part.sorted).chain(tail.filter(|&id| part.len_of(id) >= lo)) {
                if let Some(d) = verify(id) {
                    consider(id, d);
                }
            }
        } else {
            let cands = self.candidates(part, &q, min);
            let comparator = levenshtein::BatchComparator::new(q.iter().copied());
            for id in cands {
                let m = q.len().max(part.len_of(id));
                if let Some(d) = comparator.distance_with_args(
                    part.toks_of(id).iter().copied(),
                    &levenshtein::Args::default().score_cutoff(dmax(m, min)),
                ) {
                    consider(id, d);
                }
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)));
        found.truncate(limit);
        found
            .into_iter()
            .map(|(score, base, ext)| TmMatch {
                index: ext,
                id: self.units[ext].id,
                score,
                base,
                diff: diff(source, &self.units[ext].source),
            })
            .collect()
    }

    /// Units passing the length, count and prefix filters (min ≥ 50).
    fn candidates(&self, part: &Part, q: &[u32], min: u8) -> Vec<u32> {
        let lq = q.len();
        let lo = (lq * usize::from(min)).div_ceil(100);
        let hi = lq * 100 / usize::from(min);
        let (a, b) = part.sorted_range(lo, hi);
        // Query bigrams with multiplicity.
        let mut grams: Vec<u64> = Vec::with_capacity(lq + 1);
        let mut prev = BOS;
        for &t in q.iter().chain(std::iter::once(&EOS)) {
            grams.push(bigram(prev, t));
            prev = t;
        }
        grams.sort_unstable();
        let mut uniq: Vec<(u64, u32, &[u32], &[u32])> = Vec::new(); // gram, mult, sorted slice, tail
        for g in grams {
            if let Some(last) = uniq.last_mut() {
                if last.0 == g {
                    last.1 += 1;
                    continue;
                }
            }
            let list = part.postings.get(&g).map_or(&[][..], Vec::as_slice);
            let split = list.partition_point(|&x| x < part.sorted);
            let (sorted, tail) = list.split_at(split);
            let from = sorted.partition_point(|&x| x < a);
            let to = sorted.partition_point(|&x| x < b);
            uniq.push((g, 1, &sorted[from..to], tail));
        }
        let total = lq as i64 + 1;
        let t_min = (lo..=hi)
            .map(|m| count_bound(m.max(lq), min))
            .min()
            .unwrap_or(1);
        // Rarest first; the prefix must cover total − t_min + 1 occurrences.
        uniq.sort_by_key(|u| u.2.len() + u.3.len());
        let need = (total - t_min + 1).max(1);
        let mut covered = 0i64;
        let mut split = uniq.len();
        for (i, u) in uniq.iter().enumerate() {
            covered += i64::from(u.1);
            if covered >= need {
                split = i + 1;
                break;
            }
        }
        let (prefix, suffix) = uniq.split_at(split);
        // Phase 1: counts from the prefix lists.
        let span = (b - a) as usize;
        let mut dense = vec![0u16; span];
        let mut touched: Vec<u32> = Vec::new();
        let mut tail_counts: HashMap<u32, u32> = HashMap::new();
        let len_ok = |id: u32| (lo..=hi).contains(&part.len_of(id));
        for &(_, mult, sorted, tail) in prefix {
            for run in sorted.chunk_by(|x, y| x == y) {
                let k = (run.len() as u32).min(mult) as u16;
                let slot = &mut dense[(run[0] - a) as usize];
                if *slot == 0 {
                    touched.push(run[0]);
                }
                *slot = slot.saturating_add(k);
            }
            for run in tail.chunk_by(|x, y| x == y) {
                if len_ok(run[0]) {
                    *tail_counts.entry(run[0]).or_default() += (run.len() as u32).min(mult);
                }
            }
        }
        let mut cands: Vec<(u32, u32)> = touched
            .iter()
            .map(|&id| (id, u32::from(dense[(id - a) as usize])))
            .chain(tail_counts)
            .collect();
        cands.sort_unstable();
        // Phase 2: the frequent bigrams, probed per candidate.
        for &(_, mult, sorted, tail) in suffix {
            let probe = |list: &[u32], id: u32| -> u32 {
                let s = list.partition_point(|&x| x < id);
                let e = list[s..].partition_point(|&x| x == id);
                (e as u32).min(mult)
            };
            if cands.len() * 16 < sorted.len() {
                for c in cands.iter_mut() {
                    c.1 += probe(sorted, c.0) + probe(tail, c.0);
                }
            } else {
                // Merge: both sorted by id (the tail ids are all larger).
                let mut j = 0;
                for run in sorted
                    .chunk_by(|x, y| x == y)
                    .chain(tail.chunk_by(|x, y| x == y))
                {
                    while j < cands.len() && cands[j].0 < run[0] {
                        j += 1;
                    }
                    if j < cands.len() && cands[j].0 == run[0] {
                        cands[j].1 += (run.len() as u32).min(mult);
                    }
                }
            }
        }
        cands
            .into_iter()
            .filter(|&(id, count)| {
                let m = lq.max(part.len_of(id));
                i64::from(count) >= count_bound(m, min)
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// Units whose source or target contains `query` (case-insensitive for
    /// cased scripts), in position order, at most `limit`. A linear scan
    /// (≈0.1 s at 10⁶ units): concordance is an explicit user search, not a
    /// per-segment lookup.
    pub fn concordance(&self, query: &str, limit: usize) -> Vec<ConcordanceHit> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let has = |text: &str| {
            if text.is_ascii() == q.is_ascii() && !text.chars().any(char::is_uppercase) {
                text.contains(&q)
            } else {
                text.to_lowercase().contains(&q)
            }
        };
        let mut out = Vec::new();
        for (index, u) in self.units.iter().enumerate() {
            let in_source = has(&u.source);
            let in_target = has(&u.target);
            if in_source || in_target {
                out.push(ConcordanceHit {
                    index,
                    id: u.id,
                    in_source,
                    in_target,
                });
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }
}

/// Character difference from `query` to `source` (minimal edit script,
/// substitutions shown as a deletion then an insertion).
pub fn diff(query: &str, source: &str) -> Vec<DiffOp> {
    let a: Vec<char> = query.chars().collect();
    let b: Vec<char> = source.chars().collect();
    // Common prefix and suffix first (cheap and usual).
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut ops: Vec<(u8, char)> = Vec::new(); // 0 equal, 1 delete, 2 insert
    ops.extend(a[..pre].iter().map(|&c| (0, c)));
    if am.len().saturating_mul(bm.len()) > MAX_DIFF_CELLS {
        ops.extend(am.iter().map(|&c| (1, c)));
        ops.extend(bm.iter().map(|&c| (2, c)));
    } else {
        let (n, m) = (am.len(), bm.len());
        let w = m + 1;
        let mut dp = vec![0u32; (n + 1) * w];
        for i in 0..=n {
            dp[i * w] = i as u32;
        }
        for (j, cell) in dp.iter_mut().enumerate().take(m + 1) {
            *cell = j as u32;
        }
        for i in 1..=n {
            for j in 1..=m {
                let sub = dp[(i - 1) * w + j - 1] + u32::from(am[i - 1] != bm[j - 1]) * 2;
                let del = dp[(i - 1) * w + j] + 1;
                let ins = dp[i * w + j - 1] + 1;
                dp[i * w + j] = sub.min(del).min(ins);
            }
        }
        let (mut i, mut j) = (n, m);
        let mut rev = Vec::new();
        while i > 0 || j > 0 {
            if i > 0 && j > 0 && am[i - 1] == bm[j - 1] && dp[i * w + j] == dp[(i - 1) * w + j - 1]
            {
                rev.push((0, am[i - 1]));
                i -= 1;
                j -= 1;
            } else if j > 0 && (i == 0 || dp[i * w + j] == dp[i * w + j - 1] + 1) {
                rev.push((2, bm[j - 1]));
                j -= 1;
            } else {
                rev.push((1, am[i - 1]));
                i -= 1;
            }
        }
        rev.reverse();
        // Within a changed run, show deletions before insertions.
        let mut k = 0;
        while k < rev.len() {
            if rev[k].0 == 0 {
                ops.push(rev[k]);
                k += 1;
                continue;
            }
            let start = k;
            while k < rev.len() && rev[k].0 != 0 {
                k += 1;
            }
            ops.extend(rev[start..k].iter().filter(|o| o.0 == 1));
            ops.extend(rev[start..k].iter().filter(|o| o.0 == 2));
        }
    }
    ops.extend(a[a.len() - suf..].iter().map(|&c| (0, c)));
    let mut out: Vec<DiffOp> = Vec::new();
    for (kind, c) in ops {
        let same = matches!(
            (out.last(), kind),
            (Some(DiffOp::Equal(_)), 0)
                | (Some(DiffOp::Delete(_)), 1)
                | (Some(DiffOp::Insert(_)), 2)
        );
        if same {
            if let Some(DiffOp::Equal(s) | DiffOp::Delete(s) | DiffOp::Insert(s)) = out.last_mut() {
                s.push(c);
            }
        } else {
            let s = c.to_string();
            out.push(match kind {
                0 => DiffOp::Equal(s),
                1 => DiffOp::Delete(s),
                _ => DiffOp::Insert(s),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    pub(crate) fn tu(id: i64, src: &str, tgt: &str) -> TranslationUnit {
        TranslationUnit {
            id,
            org: 1,
            source_lang: "zh-Hans".into(),
            target_lang: "en".into(),
            source: src.into(),
            target: tgt.into(),
            context: None,
            approved: true,
            origin: "test".into(),
            created_by: "t".into(),
            created_ms: 0,
        }
    }

    #[test]
    fn scores_and_penalties() {
        let mut units = vec![
            tu(1, "我不干了。", "I quit."),
            tu(2, "我不干了！", "I quit!"),
            tu(3, "我不想干了。", "I don't want to do it."),
            tu(4, "我不干了。", "I quit (unapproved)."),
        ];
        units[0].context = Some("他说：".into());
        units[3].approved = false;
        let idx = TmIndex::build(units);
        let m = idx.lookup("我不干了。", None, "zh-Hans", "en", 50, 10);
        let got: Vec<(i64, u8)> = m.iter().map(|m| (m.id, m.score)).collect();
        assert_eq!(got, vec![(1, 100), (2, 99), (3, 80), (4, 70)]);
        let m = idx.lookup("我不干了。", Some("他说："), "zh-Hans", "en", 50, 10);
        let got: Vec<(i64, u8)> = m.iter().map(|m| (m.id, m.score)).collect();
        // 101 context match; others ×0.95.
        assert_eq!(got, vec![(1, 101), (2, 94), (3, 76), (4, 66)]);
        assert_eq!(
            idx.lookup("我不干了。", None, "zh-CN", "en-US", 50, 10)
                .len(),
            4
        );
        assert!(idx
            .lookup("我不干了。", None, "ja", "en", 50, 10)
            .is_empty());
        assert_eq!(
            m[2].diff,
            vec![
                DiffOp::Equal("我不".into()),
                DiffOp::Insert("想".into()),
                DiffOp::Equal("干了。".into())
            ]
        );
    }

    #[test]
    fn words_for_english_sources() {
        let mut a = tu(1, "The cat sat on the mat.", "猫坐在垫子上。");
        a.source_lang = "en".into();
        a.target_lang = "zh-Hans".into();
        let idx = TmIndex::build(vec![a]);
        let m = idx.lookup("the cat  sat on the mat", None, "en", "zh", 50, 5);
        assert_eq!(m[0].score, 99);
        let m = idx.lookup("The dog sat on the mat.", None, "en", "zh", 50, 5);
        assert_eq!(m[0].score, 83); // 1 of 6 words
        assert_eq!(
            base_score("The dog sat on the mat.", "The cat sat on the mat.", "en"),
            83
        );
    }

    #[test]
    fn add_and_concordance() {
        let mut idx = TmIndex::build(vec![tu(1, "你好。", "Hello.")]);
        for i in 0..3000 {
            idx.add(tu(
                2 + i,
                &format!("第{i}句话。"),
                &format!("Sentence {i}."),
            ));
        }
        assert_eq!(idx.lookup("第42句话。", None, "zh", "en", 100, 1)[0].id, 44);
        let hits = idx.concordance("hello", 10);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].in_target && !hits[0].in_source);
        assert_eq!(idx.concordance("句话", 5).len(), 5);
    }

    #[test]
    fn diff_ops() {
        assert_eq!(
            diff("abcd", "axcd"),
            vec![
                DiffOp::Equal("a".into()),
                DiffOp::Delete("b".into()),
                DiffOp::Insert("x".into()),
                DiffOp::Equal("cd".into())
            ]
        );
        assert_eq!(diff("", "ab"), vec![DiffOp::Insert("ab".into())]);
    }

    /// splitmix64.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn index_equals_brute_force_on_random_data() {
        let alphabet: Vec<char> = "天地玄黄宇宙洪荒日月。，".chars().collect();
        let mut rng = Rng(7);
        let word = |rng: &mut Rng, n: usize| -> String {
            (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        };
        let base: Vec<String> = (0..60)
            .map(|_| {
                let n = 1 + rng.below(14);
                word(&mut rng, n)
            })
            .collect();
        let mut units = Vec::new();
        for i in 0..1500 {
            let mut s: Vec<char> = base[rng.below(base.len())].chars().collect();
            for _ in 0..rng.below(4) {
                let p = rng.below(s.len() + 1);
                match rng.below(3) {
                    0 if p < s.len() => {
                        s.remove(p);
                    }
                    1 if p < s.len() => s[p] = alphabet[rng.below(alphabet.len())],
                    _ => s.insert(p, alphabet[rng.below(alphabet.len())]),
                }
            }
            let mut u = tu(i, &s.into_iter().collect::<String>(), "x");
            u.approved = rng.below(4) != 0;
            u.context = (rng.below(2) == 0).then(|| "ctx".to_string());
            units.push(u);
        }
        let (first, rest) = units.split_at(1000);
        let mut idx = TmIndex::build(first.to_vec());
        for u in rest {
            idx.add(u.clone()); // an unsorted tail too
        }
        let mut checked = 0;
        for qn in 0..150 {
            let q = if qn % 3 == 0 {
                let n = 1 + rng.below(16);
                word(&mut rng, n)
            } else {
                idx.units()[rng.below(idx.len())].source.clone()
            };
            let ctx = (qn % 2 == 0).then_some("ctx");
            let mut all: Vec<(usize, u8)> = idx
                .units()
                .iter()
                .enumerate()
                .map(|(i, u)| (i, final_score(base_score(&q, &u.source, "zh"), ctx, u)))
                .collect();
            all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            for min in [0u8, 30, 50, 60, 75, 90, 100, 101] {
                let got: Vec<(usize, u8)> = idx
                    .lookup(&q, ctx, "zh", "en", min, usize::MAX)
                    .into_iter()
                    .map(|m| (m.index, m.score))
                    .collect();
                let want: Vec<(usize, u8)> = all
                    .iter()
                    .copied()
                    .filter(|&(_, s)| s >= min.max(1))
                    .collect();
                if got != want {
                    let first = got.iter().zip(&want).position(|(a, b)| a != b);
                    panic!(
                        "query {q:?} min {min}: {} vs {} matches, first difference at {first:?}",
                        got.len(),
                        want.len()
                    );
                }
                checked += want.len();
            }
        }
        assert!(checked > 1000);
    }
}
