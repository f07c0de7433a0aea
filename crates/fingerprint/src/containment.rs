//! Containment search: which deposited chapters contain (parts of) a suspect text, and where.
//!
//! Whole-chapter MinHash ([`crate::LshIndex`]) estimates *resemblance* (Jaccard), which falls with
//! the suspect's length whatever the overlap: a 500-character excerpt of a 5,800-character chapter
//! has Jaccard ≤ 0.09 even when copied verbatim. This module answers the other question: how much
//! of the suspect is found in a chapter (**containment**, `|S∩C| / |S|`) and how much of the
//! chapter the suspect covers (**coverage**), with the matched **spans** in character offsets of
//! the two *original* texts.
//!
//! Pipeline per text: [`normalize_with_offsets`] → [`winnow`] (k = 5, w = 16 by default: any
//! shared run of ≥ 20 normalized characters is guaranteed to be found) → postings
//! `hash → (chapter, original offset)` in a [`PostingBackend`] ([`MemoryBackend`], or the
//! on-disk `RedbBackend` with the `disk` feature). A query winnows the suspect, looks up each
//! distinct hash, votes for chapters, and for the best-voted chapters chains the matched
//! fingerprint pairs into spans (pairs whose suspect and chapter offsets advance together within
//! [`QueryParams::max_gap`] characters). A chapter is reported when its spans hold at least
//! [`QueryParams::min_matched_chars`] normalized suspect characters.
//!
//! ## Bounds (no input makes the work unbounded)
//!
//! * Only the first [`MAX_TEXT_CHARS`] characters of a suspect or chapter are read
//!   ([`SuspectReport::truncated`], [`AddOutcome::truncated`] say so).
//! * Hashes with more than [`QueryParams::max_df`] postings (stop fingerprints: set phrases,
//!   boilerplate, or one character repeated) are skipped and counted
//!   ([`SuspectReport::skipped_common`]).
//! * At most [`QueryParams::max_candidates`] chapters are aligned, at most [`MAX_PAIRS`] matched
//!   pairs per chapter and [`QueryParams::max_spans`] spans per match are kept.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::normalize::normalize_with_offsets;
use crate::winnow::{winnow, Fingerprint, WinnowParams};
use crate::Error;

/// Characters of a text (suspect or chapter) that are read; the rest is ignored and the result
/// says `truncated`. 2,000,000 characters is ~200 times a long web-novel chapter and keeps one
/// query under ~0.5 s of normalization and winnowing.
pub const MAX_TEXT_CHARS: usize = 2_000_000;

/// Largest original offset a posting can store (26 bits, 67 M characters); larger than
/// [`MAX_TEXT_CHARS`], so never reached.
pub const MAX_POSTING_OFFSET: u32 = (1 << 26) - 1;

/// Matched (suspect fingerprint, chapter posting) pairs aligned per candidate chapter at most.
pub const MAX_PAIRS: usize = 200_000;

/// Postings read per query at most (all hashes together); beyond this the remaining hashes are
/// not looked up and counted in [`SuspectReport::skipped_common`].
pub const MAX_POSTINGS_PER_QUERY: usize = 4_000_000;

/// Chains kept open at once while aligning one chapter (extra ones close the oldest).
pub const MAX_OPEN_CHAINS: usize = 64;

/// Default [`QueryParams::max_df`]: 2,000 postings.
pub const DEFAULT_MAX_DF: usize = 2_000;
/// Default [`QueryParams::max_candidates`]: 50 chapters.
pub const DEFAULT_MAX_CANDIDATES: usize = 50;
/// Default [`QueryParams::max_gap`]: 100 original characters.
pub const DEFAULT_MAX_GAP: u32 = 100;
/// Default [`QueryParams::min_span_fingerprints`]: 4.
pub const DEFAULT_MIN_SPAN_FINGERPRINTS: usize = 4;
/// Default [`QueryParams::min_span_density_permille`]: 25 (one fingerprint per 40 normalized
/// characters; measured on CC-CEDICT word-salad chapters, where chance chains of 3 fingerprints
/// over ~150 characters otherwise made 2 of 500 unrelated chapters match).
pub const DEFAULT_MIN_SPAN_DENSITY_PERMILLE: u32 = 25;
/// Default [`QueryParams::min_matched_chars`]: 60 normalized characters.
pub const DEFAULT_MIN_MATCHED_CHARS: usize = 60;
/// Default [`QueryParams::min_suspect_chars`]: 32 normalized characters (as
/// [`crate::DEFAULT_MIN_CHARS`]).
pub const DEFAULT_MIN_SUSPECT_CHARS: usize = 32;
/// Default [`QueryParams::max_spans`]: 256 spans per match.
pub const DEFAULT_MAX_SPANS: usize = 256;

/// A deposited chapter: the work it belongs to and its number in the work (the caller's ids; the
/// hub uses `(WorkId, chapter number)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChapterRef {
    /// Work id.
    pub work: u64,
    /// Chapter number (or any per-work key); chapters of a work are reported in this order.
    pub chapter: u32,
}

/// Sizes of an indexed chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChapterStats {
    /// Original characters indexed (≤ [`MAX_TEXT_CHARS`]).
    pub chars: u32,
    /// Normalized characters indexed.
    pub normalized: u32,
}

/// One posting as a backend stores it: internal chapter number and packed location
/// (`original start << 6 | min(extent − k, 63)`).
pub type Posting = (u32, u32);

/// One chapter of a batch given to [`PostingBackend::add_batch`]: the chapter, its sizes and its
/// `(hash, packed location)` postings.
pub type ChapterPostings = (ChapterRef, ChapterStats, Vec<(u32, u32)>);

/// Where postings live. Implemented by [`MemoryBackend`] and, with the `disk` feature,
/// `RedbBackend`. Internal chapter numbers are dense `u32`s assigned by the backend.
pub trait PostingBackend {
    /// Adds chapters with their `(hash, packed location)` postings. [`Error::DuplicateChapter`]
    /// if one is already indexed (nothing of the batch is added then), [`Error::IndexFull`] at
    /// 2³² chapters, [`Error::Store`] for storage failures.
    fn add_batch(&mut self, batch: &[ChapterPostings]) -> Result<(), Error>;
    /// Removes a chapter (its postings are hidden at once and dropped by
    /// [`PostingBackend::compact`]). Returns whether it was indexed.
    fn remove(&mut self, chapter: ChapterRef) -> Result<bool, Error>;
    /// For each hash, calls `f(i, posting)` for every posting of live chapters, unless the hash
    /// has more than `max_df` postings (then nothing is called for it and `skipped[i]` is set).
    fn lookup_many(
        &self,
        hashes: &[u32],
        max_df: usize,
        skipped: &mut [bool],
        f: &mut dyn FnMut(usize, Posting),
    ) -> Result<(), Error>;
    /// The chapter behind an internal number (None when unknown or removed).
    fn chapter(&self, internal: u32) -> Result<Option<(ChapterRef, ChapterStats)>, Error>;
    /// All live chapters of a work, ordered by chapter number.
    fn chapters_of_work(&self, work: u64) -> Result<Vec<(ChapterRef, ChapterStats)>, Error>;
    /// Whether a chapter is indexed.
    fn contains(&self, chapter: ChapterRef) -> Result<bool, Error>;
    /// Number of live chapters.
    fn len(&self) -> usize;
    /// True when no chapter is indexed.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drops postings of removed chapters and merges pending writes (call after bulk loads and
    /// after many removals).
    fn compact(&mut self) -> Result<(), Error>;
    /// Bytes held in memory by the backend (approximate; the disk backend counts its in-memory
    /// state only, not redb's page cache).
    fn memory_bytes(&self) -> usize;
}

/// Packs an original start offset and a k-gram's original extent into a posting location.
pub fn pack_location(start: u32, end: u32, k: usize) -> u32 {
    let extra = (end.saturating_sub(start) as usize)
        .saturating_sub(k)
        .min(63) as u32;
    (start.min(MAX_POSTING_OFFSET) << 6) | extra
}

/// Inverse of [`pack_location`]: `(start, end)` (the end is exact up to 63 ignorable characters
/// inside one k-gram, capped beyond).
pub fn unpack_location(loc: u32, k: usize) -> (u32, u32) {
    let start = loc >> 6;
    (start, start + k as u32 + (loc & 63))
}

/// Query parameters (defaults measured, see the crate README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParams {
    /// Hashes with more postings than this are skipped as stop fingerprints.
    pub max_df: usize,
    /// Chapters aligned per query (those sharing the most distinct fingerprints).
    pub max_candidates: usize,
    /// Largest gap, in original characters, between two consecutive matched fingerprints of one
    /// span, and largest drift between the suspect and chapter advance (sentence swaps, inserted
    /// ad lines and substituted characters fit within it).
    pub max_gap: u32,
    /// Fingerprints a chain needs to become a span.
    pub min_span_fingerprints: usize,
    /// Least density of a span, in matched fingerprints per 1,000 normalized suspect characters
    /// of its extent: a real copy, even with 5 % of its characters replaced, keeps about one
    /// fingerprint per 11 characters (density 2/17 × survival 0.95⁵ ≈ 0.09), while a few
    /// chance matches of frequent phrases strung together over `max_gap` spans are far sparser.
    pub min_span_density_permille: u32,
    /// Normalized suspect characters the spans of a chapter must cover for it to be reported.
    pub min_matched_chars: usize,
    /// Suspects with fewer normalized characters get [`Error::TooShort`].
    pub min_suspect_chars: usize,
    /// Spans kept per match (the longest ones).
    pub max_spans: usize,
}

impl Default for QueryParams {
    fn default() -> Self {
        Self {
            max_df: DEFAULT_MAX_DF,
            max_candidates: DEFAULT_MAX_CANDIDATES,
            max_gap: DEFAULT_MAX_GAP,
            min_span_fingerprints: DEFAULT_MIN_SPAN_FINGERPRINTS,
            min_span_density_permille: DEFAULT_MIN_SPAN_DENSITY_PERMILLE,
            min_matched_chars: DEFAULT_MIN_MATCHED_CHARS,
            min_suspect_chars: DEFAULT_MIN_SUSPECT_CHARS,
            max_spans: DEFAULT_MAX_SPANS,
        }
    }
}

/// A matched region: `suspect_len` characters of the suspect from `suspect_start` correspond to
/// `chapter_len` characters of the chapter from `chapter_start`. All four are in characters
/// (Unicode scalar values) of the **original** texts as given; the two lengths differ when
/// punctuation, spacing, ads or substituted characters differ.
///
/// Precision: a span runs from the first character of its first matched fingerprint to the last
/// character of its last one, so the shared text may extend up to `w + k − 2` (19 by default)
/// normalized characters beyond either end; a verbatim copy maps offsets exactly
/// (`chapter_start − suspect_start` is the copy's offset, tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start in the suspect text (characters).
    pub suspect_start: u32,
    /// Length in the suspect text (characters).
    pub suspect_len: u32,
    /// Start in the chapter text (characters).
    pub chapter_start: u32,
    /// Length in the chapter text (characters).
    pub chapter_len: u32,
    /// Matched fingerprints in the span.
    pub fingerprints: u32,
}

/// One chapter found in the suspect.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainmentMatch {
    /// The chapter.
    pub chapter: ChapterRef,
    /// Share of the suspect found in the chapter: normalized suspect characters inside spans ÷
    /// normalized suspect characters (0.0..=1.0).
    pub containment: f64,
    /// Share of the chapter the suspect covers: original chapter characters inside spans ÷
    /// indexed original chapter characters (0.0..=1.0).
    pub coverage: f64,
    /// Normalized suspect characters inside spans.
    pub matched_chars: u32,
    /// Original chapter characters inside spans (union).
    pub covered_chapter_chars: u32,
    /// Original characters of the chapter indexed.
    pub chapter_chars: u32,
    /// Distinct suspect fingerprints found in the chapter.
    pub shared_fingerprints: u32,
    /// The spans, in suspect order (at most [`QueryParams::max_spans`], longest kept).
    pub spans: Vec<Span>,
}

/// Result of [`ContainmentIndex::find`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SuspectReport {
    /// Original characters of the suspect read (≤ [`MAX_TEXT_CHARS`]).
    pub chars: u32,
    /// Normalized characters.
    pub normalized_chars: u32,
    /// True when the suspect was longer than [`MAX_TEXT_CHARS`] characters.
    pub truncated: bool,
    /// Fingerprints of the suspect (distinct hashes).
    pub fingerprints: u32,
    /// Distinct hashes skipped as too common (more than `max_df` postings) or over the per-query
    /// posting budget.
    pub skipped_common: u32,
    /// Chapters sharing at least one fingerprint (before alignment).
    pub candidates: u32,
    /// Reported chapters, highest containment first (ties: chapter order).
    pub matches: Vec<ContainmentMatch>,
}

/// What [`ContainmentIndex::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddOutcome {
    /// Fingerprints (postings) stored.
    pub postings: u32,
    /// True when the chapter was longer than [`MAX_TEXT_CHARS`] and only its start was indexed.
    pub truncated: bool,
}

/// Returns the prefix of `text` of at most `max` characters and whether it was cut.
pub fn char_prefix(text: &str, max: usize) -> (&str, bool) {
    match text.char_indices().nth(max) {
        Some((byte, _)) => (&text[..byte], true),
        None => (text, false),
    }
}

/// The containment index over a [`PostingBackend`].
#[derive(Debug)]
pub struct ContainmentIndex<B> {
    backend: B,
    winnow: WinnowParams,
}

/// Fingerprints of one text (prefix of [`MAX_TEXT_CHARS`]).
struct Prepared {
    fps: Vec<Fingerprint>,
    chars: u32,
    normalized: u32,
    truncated: bool,
}

fn prepare(text: &str, params: WinnowParams) -> Prepared {
    let (text, truncated) = char_prefix(text, MAX_TEXT_CHARS);
    let (chars, offsets) = normalize_with_offsets(text);
    let fps = winnow(&chars, &offsets, params);
    Prepared {
        fps,
        chars: text.chars().count() as u32,
        normalized: chars.len() as u32,
        truncated,
    }
}

impl<B: PostingBackend> ContainmentIndex<B> {
    /// An index over `backend` with winnowing `params` (they must be the ones the backend's
    /// postings were made with; the disk backend stores and checks them).
    /// [`Error::InvalidParams`] for out-of-range parameters.
    pub fn new(backend: B, params: WinnowParams) -> Result<Self, Error> {
        params.check()?;
        Ok(Self {
            backend,
            winnow: params,
        })
    }

    /// The winnowing parameters.
    pub fn winnow_params(&self) -> WinnowParams {
        self.winnow
    }

    /// The backend (e.g. for [`PostingBackend::memory_bytes`]).
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Number of indexed chapters.
    pub fn len(&self) -> usize {
        self.backend.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.backend.is_empty()
    }

    fn postings_of(&self, text: &str) -> (ChapterStats, Vec<(u32, u32)>, bool) {
        let p = prepare(text, self.winnow);
        let k = self.winnow.k;
        let postings = p
            .fps
            .iter()
            .map(|f| (f.hash, pack_location(f.start, f.end, k)))
            .collect();
        (
            ChapterStats {
                chars: p.chars,
                normalized: p.normalized,
            },
            postings,
            p.truncated,
        )
    }

    /// Indexes one chapter. A chapter with fewer than `k` normalized characters is indexed with
    /// no postings (it can never match). Errors: [`Error::DuplicateChapter`] (remove it first to
    /// replace it), [`Error::IndexFull`], [`Error::Store`].
    pub fn add(&mut self, chapter: ChapterRef, text: &str) -> Result<AddOutcome, Error> {
        let (stats, postings, truncated) = self.postings_of(text);
        let n = postings.len() as u32;
        self.backend.add_batch(&[(chapter, stats, postings)])?;
        Ok(AddOutcome {
            postings: n,
            truncated,
        })
    }

    /// Indexes many chapters at once (one transaction on disk; faster than repeated
    /// [`ContainmentIndex::add`]). Same errors; on error nothing of the batch is added.
    pub fn add_many<'a, I>(&mut self, chapters: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = (ChapterRef, &'a str)>,
    {
        let batch: Vec<_> = chapters
            .into_iter()
            .map(|(c, text)| {
                let (stats, postings, _) = self.postings_of(text);
                (c, stats, postings)
            })
            .collect();
        self.backend.add_batch(&batch)
    }

    /// Removes a chapter; returns whether it was indexed.
    pub fn remove(&mut self, chapter: ChapterRef) -> Result<bool, Error> {
        self.backend.remove(chapter)
    }

    /// Whether a chapter is indexed.
    pub fn contains(&self, chapter: ChapterRef) -> Result<bool, Error> {
        self.backend.contains(chapter)
    }

    /// Live chapters of a work in chapter order, with their sizes.
    pub fn chapters_of_work(&self, work: u64) -> Result<Vec<(ChapterRef, ChapterStats)>, Error> {
        self.backend.chapters_of_work(work)
    }

    /// Drops removed chapters' postings and merges pending writes.
    pub fn compact(&mut self) -> Result<(), Error> {
        self.backend.compact()
    }

    /// Finds the chapters that contain parts of `suspect`, with containment, coverage and spans.
    /// Errors: [`Error::EmptyText`] (nothing left after normalization), [`Error::TooShort`]
    /// (fewer than `min_suspect_chars` normalized characters), [`Error::Store`].
    pub fn find(&self, suspect: &str, params: &QueryParams) -> Result<SuspectReport, Error> {
        let p = prepare(suspect, self.winnow);
        if p.normalized == 0 {
            return Err(Error::EmptyText);
        }
        let min = params.min_suspect_chars.max(self.winnow.k);
        if (p.normalized as usize) < min {
            return Err(Error::TooShort {
                chars: p.normalized as usize,
                min,
            });
        }
        let mut report = SuspectReport {
            chars: p.chars,
            normalized_chars: p.normalized,
            truncated: p.truncated,
            ..Default::default()
        };
        // Distinct hashes, each with the suspect fingerprints that carry it.
        let mut by_hash: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, f) in p.fps.iter().enumerate() {
            by_hash.entry(f.hash).or_default().push(i as u32);
        }
        let mut hashes: Vec<u32> = by_hash.keys().copied().collect();
        hashes.sort_unstable();
        report.fingerprints = hashes.len() as u32;
        let mut skipped = vec![false; hashes.len()];
        let mut hits: Vec<(u32, u32, u32)> = Vec::new(); // (chapter, hash index, loc)
        let mut over_budget = false;
        self.backend
            .lookup_many(&hashes, params.max_df, &mut skipped, &mut |i,
                                                                     (
                chapter,
                loc,
            )| {
                if hits.len() < MAX_POSTINGS_PER_QUERY {
                    hits.push((chapter, i as u32, loc));
                } else {
                    over_budget = true;
                }
            })?;
        report.skipped_common = skipped.iter().filter(|&&s| s).count() as u32;
        if over_budget {
            report.skipped_common += 1;
        }
        // Votes: distinct suspect hashes per chapter.
        hits.sort_unstable();
        let mut votes: Vec<(u32, u32)> = Vec::new(); // (votes, chapter)
        let mut i = 0;
        while i < hits.len() {
            let c = hits[i].0;
            let mut j = i;
            let mut distinct = 0;
            let mut last = u32::MAX;
            while j < hits.len() && hits[j].0 == c {
                if hits[j].1 != last {
                    distinct += 1;
                    last = hits[j].1;
                }
                j += 1;
            }
            votes.push((distinct, c));
            i = j;
        }
        report.candidates = votes.len() as u32;
        let min_votes = params.min_span_fingerprints.max(1) as u32;
        votes.retain(|v| v.0 >= min_votes);
        votes.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        votes.truncate(params.max_candidates);
        let k = self.winnow.k;
        for &(shared, chapter) in &votes {
            let Some((cref, stats)) = self.backend.chapter(chapter)? else {
                continue;
            };
            let lo = hits.partition_point(|h| h.0 < chapter);
            let hi = hits.partition_point(|h| h.0 <= chapter);
            let mut pairs: Vec<Pair> = Vec::new();
            'outer: for &(_, hi_idx, loc) in &hits[lo..hi] {
                let (cs, ce) = unpack_location(loc, k);
                if let Some(list) = by_hash.get(&hashes[hi_idx as usize]) {
                    for &qi in list {
                        if pairs.len() >= MAX_PAIRS {
                            break 'outer;
                        }
                        let f = p.fps[qi as usize];
                        pairs.push(Pair {
                            q_pos: f.pos,
                            q_start: f.start,
                            q_end: f.end,
                            c_start: cs,
                            c_end: ce,
                        });
                    }
                }
            }
            if let Some(m) = align(cref, stats, shared, pairs, k, p.normalized, params) {
                report.matches.push(m);
            }
        }
        report.matches.sort_by(|a, b| {
            b.containment
                .total_cmp(&a.containment)
                .then_with(|| a.chapter.cmp(&b.chapter))
        });
        Ok(report)
    }
}

#[derive(Debug, Clone, Copy)]
struct Pair {
    q_pos: u32,
    q_start: u32,
    q_end: u32,
    c_start: u32,
    c_end: u32,
}

#[derive(Debug, Clone, Copy)]
struct Chain {
    q_pos_min: u32,
    q_pos_max: u32,
    q_start: u32,
    q_end: u32,
    c_start: u32,
    c_end: u32,
    last_q: u32,
    last_c: u32,
    n: u32,
}

/// Length of the union of half-open intervals.
pub fn union_len(mut iv: Vec<(u32, u32)>) -> u32 {
    iv.sort_unstable();
    let mut total: u64 = 0;
    let mut cur: Option<(u32, u32)> = None;
    for (s, e) in iv {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += u64::from(ce - cs);
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        total += u64::from(ce - cs);
    }
    total.min(u64::from(u32::MAX)) as u32
}

fn align(
    chapter: ChapterRef,
    stats: ChapterStats,
    shared: u32,
    mut pairs: Vec<Pair>,
    k: usize,
    suspect_normalized: u32,
    params: &QueryParams,
) -> Option<ContainmentMatch> {
    pairs.sort_unstable_by_key(|p| (p.q_start, p.c_start));
    let gap = i64::from(params.max_gap);
    let mut open: Vec<Chain> = Vec::new();
    let mut done: Vec<Chain> = Vec::new();
    for p in pairs {
        // Close chains that fell behind.
        let mut idx = 0;
        while idx < open.len() {
            if i64::from(p.q_start) - i64::from(open[idx].last_q) > gap {
                done.push(open.swap_remove(idx));
            } else {
                idx += 1;
            }
        }
        let mut best: Option<(i64, usize)> = None;
        for (ci, c) in open.iter().enumerate() {
            let dq = i64::from(p.q_start) - i64::from(c.last_q);
            let dc = i64::from(p.c_start) - i64::from(c.last_c);
            let drift = (dc - dq).abs();
            if drift <= gap && dc >= -gap && best.is_none_or(|(d, _)| drift < d) {
                best = Some((drift, ci));
            }
        }
        match best {
            Some((_, ci)) => {
                let c = &mut open[ci];
                // Only pairs that advance on both sides count as evidence (a phrase repeated in
                // one text and matched to one place of the other does not lengthen a span).
                if p.q_start != c.last_q && p.c_start != c.last_c {
                    c.n += 1;
                }
                c.q_pos_min = c.q_pos_min.min(p.q_pos);
                c.q_pos_max = c.q_pos_max.max(p.q_pos);
                c.q_start = c.q_start.min(p.q_start);
                c.q_end = c.q_end.max(p.q_end);
                c.c_start = c.c_start.min(p.c_start);
                c.c_end = c.c_end.max(p.c_end);
                c.last_q = p.q_start;
                c.last_c = p.c_start;
            }
            None => {
                if open.len() >= MAX_OPEN_CHAINS {
                    done.push(open.remove(0));
                }
                open.push(Chain {
                    q_pos_min: p.q_pos,
                    q_pos_max: p.q_pos,
                    q_start: p.q_start,
                    q_end: p.q_end,
                    c_start: p.c_start,
                    c_end: p.c_end,
                    last_q: p.q_start,
                    last_c: p.c_start,
                    n: 1,
                });
            }
        }
    }
    done.extend(open);
    done.retain(|c| {
        let extent = u64::from(c.q_pos_max - c.q_pos_min) + k as u64;
        c.n as usize >= params.min_span_fingerprints.max(1)
            && u64::from(c.n) * 1000 >= u64::from(params.min_span_density_permille) * extent
    });
    // Drop dominated chains: one whose suspect range lies mostly (≥ 50 %) inside a kept chain
    // with more than twice its fingerprints is a repeated set phrase matched elsewhere in the
    // chapter, not a second copy (a genuinely repeated passage has as many fingerprints).
    done.sort_unstable_by_key(|c| std::cmp::Reverse(c.n));
    // Bounds the quadratic check below (spans beyond it would be cut by `max_spans` anyway).
    done.truncate(params.max_spans.saturating_mul(4).max(64));
    let mut kept: Vec<Chain> = Vec::with_capacity(done.len());
    for c in done {
        let len = u64::from(c.q_end - c.q_start).max(1);
        let dominated = kept.iter().any(|b| {
            let overlap = u64::from(
                c.q_end
                    .min(b.q_end)
                    .saturating_sub(c.q_start.max(b.q_start)),
            );
            2 * overlap >= len && b.n > 2 * c.n
        });
        if !dominated {
            kept.push(c);
        }
    }
    let done = kept;
    if done.is_empty() {
        return None;
    }
    let matched = union_len(
        done.iter()
            .map(|c| (c.q_pos_min, c.q_pos_max + k as u32))
            .collect(),
    )
    .min(suspect_normalized);
    if (matched as usize) < params.min_matched_chars {
        return None;
    }
    let covered = union_len(done.iter().map(|c| (c.c_start, c.c_end)).collect()).min(stats.chars);
    let mut spans: Vec<Span> = done
        .iter()
        .map(|c| Span {
            suspect_start: c.q_start,
            suspect_len: c.q_end - c.q_start,
            chapter_start: c.c_start,
            chapter_len: c.c_end - c.c_start,
            fingerprints: c.n,
        })
        .collect();
    if spans.len() > params.max_spans {
        spans.sort_unstable_by_key(|s| std::cmp::Reverse(s.suspect_len));
        spans.truncate(params.max_spans);
    }
    spans.sort_unstable_by_key(|s| (s.suspect_start, s.chapter_start));
    Some(ContainmentMatch {
        chapter,
        containment: f64::from(matched) / f64::from(suspect_normalized.max(1)),
        coverage: f64::from(covered) / f64::from(stats.chars.max(1)),
        matched_chars: matched,
        covered_chapter_chars: covered,
        chapter_chars: stats.chars,
        shared_fingerprints: shared,
        spans,
    })
}

/// Number of pending (unsorted) postings the memory backend buffers before sorting them into a
/// run.
pub const MEMORY_DELTA: usize = 16_384;

/// In-memory postings: 12 bytes per posting (hash, chapter, packed location) in sorted runs that
/// merge like a binary counter (amortized `O(log n)` per insert, at most ~log₂(n / 16,384) runs
/// to search, one after [`PostingBackend::compact`]), each with a bucket directory on the top
/// hash bits (½ byte per posting), plus a small unsorted buffer. Removals are tombstones until
/// [`PostingBackend::compact`].
#[derive(Debug, Default, Clone)]
pub struct MemoryBackend {
    runs: Vec<Run>,
    delta: Vec<[u32; 3]>,
    chapters: Vec<Option<(ChapterRef, ChapterStats)>>,
    by_ref: BTreeMap<ChapterRef, u32>,
    removed: HashSet<u32>,
    live: usize,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// Postings held (including those of removed chapters not yet compacted).
    pub fn postings(&self) -> usize {
        self.runs.iter().map(|r| r.entries.len()).sum::<usize>() + self.delta.len()
    }

    fn flush_delta(&mut self) {
        if self.delta.is_empty() {
            return;
        }
        let mut run = std::mem::take(&mut self.delta);
        run.sort_unstable();
        self.runs.push(Run::new(run));
        while self.runs.len() >= 2 {
            let n = self.runs.len();
            if self.runs[n - 2].entries.len() > 2 * self.runs[n - 1].entries.len() {
                break;
            }
            let b = self.runs.pop().map(|r| r.entries).unwrap_or_default();
            let a = self.runs.pop().map(|r| r.entries).unwrap_or_default();
            self.runs.push(Run::new(merge_runs(a, b, &HashSet::new())));
        }
    }
}

/// A sorted run of postings with a directory on the top bits of the hash: `dir[b]` is the first
/// entry whose hash has top bits `b`, so a lookup reads one directory slot and scans a bucket of
/// about 8 entries instead of binary-searching the whole run (which costs ~2 × log₂ n cache
/// misses on a run of 10⁸ entries). The directory adds ½ byte per posting.
#[derive(Debug, Default, Clone)]
struct Run {
    entries: Vec<[u32; 3]>,
    shift: u32,
    dir: Vec<u32>,
}

impl Run {
    fn new(entries: Vec<[u32; 3]>) -> Self {
        // 2^bits buckets, about 8 entries each; entries.len() < 2^32 (u32 offsets) is ensured
        // by the 2^32-chapter limit only loosely, so very large runs fall back to binary search.
        if entries.len() < 4_096 || entries.len() >= u32::MAX as usize {
            return Self {
                entries,
                shift: 32,
                dir: Vec::new(),
            };
        }
        let bits = (usize::BITS - (entries.len() / 8).leading_zeros()).clamp(8, 28);
        let shift = 32 - bits;
        let mut dir = vec![0u32; (1usize << bits) + 1];
        let mut i = 0usize;
        for (b, slot) in dir.iter_mut().enumerate() {
            while i < entries.len() && ((entries[i][0] >> shift) as usize) < b {
                i += 1;
            }
            *slot = i as u32;
        }
        Self {
            entries,
            shift,
            dir,
        }
    }

    fn range(&self, h: u32) -> &[[u32; 3]] {
        let (lo, hi) = if self.dir.is_empty() {
            (0, self.entries.len())
        } else {
            let b = (h >> self.shift) as usize;
            match (self.dir.get(b), self.dir.get(b + 1)) {
                (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
                _ => (0, self.entries.len()),
            }
        };
        let bucket = &self.entries[lo..hi];
        let a = bucket.partition_point(|e| e[0] < h);
        let b = a + bucket[a..].partition_point(|e| e[0] <= h);
        &bucket[a..b]
    }
}

fn merge_runs(a: Vec<[u32; 3]>, b: Vec<[u32; 3]>, drop: &HashSet<u32>) -> Vec<[u32; 3]> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let e = if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        if !drop.contains(&e[1]) {
            out.push(e);
        }
    }
    out
}

impl PostingBackend for MemoryBackend {
    fn add_batch(&mut self, batch: &[ChapterPostings]) -> Result<(), Error> {
        let mut seen = HashSet::new();
        for (c, _, _) in batch {
            if self.by_ref.contains_key(c) || !seen.insert(*c) {
                return Err(Error::DuplicateChapter {
                    work: c.work,
                    chapter: c.chapter,
                });
            }
        }
        if self.chapters.len() + batch.len() > u32::MAX as usize {
            return Err(Error::IndexFull);
        }
        for (c, stats, postings) in batch {
            let internal = self.chapters.len() as u32;
            self.chapters.push(Some((*c, *stats)));
            self.by_ref.insert(*c, internal);
            self.live += 1;
            for &(h, loc) in postings {
                self.delta.push([h, internal, loc]);
                if self.delta.len() >= MEMORY_DELTA {
                    self.flush_delta();
                }
            }
        }
        Ok(())
    }

    fn remove(&mut self, chapter: ChapterRef) -> Result<bool, Error> {
        let Some(internal) = self.by_ref.remove(&chapter) else {
            return Ok(false);
        };
        if let Some(slot) = self.chapters.get_mut(internal as usize) {
            *slot = None;
        }
        self.removed.insert(internal);
        self.live -= 1;
        Ok(true)
    }

    fn lookup_many(
        &self,
        hashes: &[u32],
        max_df: usize,
        skipped: &mut [bool],
        f: &mut dyn FnMut(usize, Posting),
    ) -> Result<(), Error> {
        for (i, &h) in hashes.iter().enumerate() {
            let mut ranges = Vec::with_capacity(self.runs.len());
            let mut total = 0usize;
            for run in &self.runs {
                let r = run.range(h);
                total += r.len();
                ranges.push(r);
            }
            let delta: Vec<&[u32; 3]> = self.delta.iter().filter(|e| e[0] == h).collect();
            total += delta.len();
            if total > max_df {
                if let Some(s) = skipped.get_mut(i) {
                    *s = true;
                }
                continue;
            }
            for e in ranges.into_iter().flatten().chain(delta) {
                if !self.removed.contains(&e[1]) {
                    f(i, (e[1], e[2]));
                }
            }
        }
        Ok(())
    }

    fn chapter(&self, internal: u32) -> Result<Option<(ChapterRef, ChapterStats)>, Error> {
        Ok(self.chapters.get(internal as usize).copied().flatten())
    }

    fn chapters_of_work(&self, work: u64) -> Result<Vec<(ChapterRef, ChapterStats)>, Error> {
        let lo = ChapterRef { work, chapter: 0 };
        let hi = ChapterRef {
            work,
            chapter: u32::MAX,
        };
        Ok(self
            .by_ref
            .range(lo..=hi)
            .filter_map(|(_, &i)| self.chapters.get(i as usize).copied().flatten())
            .collect())
    }

    fn contains(&self, chapter: ChapterRef) -> Result<bool, Error> {
        Ok(self.by_ref.contains_key(&chapter))
    }

    fn len(&self) -> usize {
        self.live
    }

    fn compact(&mut self) -> Result<(), Error> {
        let mut run = std::mem::take(&mut self.delta);
        run.sort_unstable();
        let removed = std::mem::take(&mut self.removed);
        let mut all = merge_runs(Vec::new(), run, &removed);
        for r in std::mem::take(&mut self.runs) {
            all = merge_runs(all, r.entries, &removed);
        }
        all.shrink_to_fit();
        if !all.is_empty() {
            self.runs.push(Run::new(all));
        }
        self.delta.shrink_to_fit();
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        12 * (self
            .runs
            .iter()
            .map(|r| r.entries.capacity())
            .sum::<usize>()
            + self.delta.capacity())
            + 4 * self.runs.iter().map(|r| r.dir.capacity()).sum::<usize>()
            + 32 * self.chapters.capacity()
            + 48 * self.by_ref.len()
            + 8 * self.removed.capacity()
    }
}

/// The in-memory containment index.
pub type MemoryIndex = ContainmentIndex<MemoryBackend>;

impl MemoryIndex {
    /// An empty in-memory index with the default winnowing parameters.
    pub fn in_memory() -> Self {
        Self {
            backend: MemoryBackend::new(),
            winnow: WinnowParams::default(),
        }
    }
}
