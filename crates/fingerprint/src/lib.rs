//! Fingerprints of Chinese text for the copyright-deposit piracy finder (issues 5 and 16).
//!
//! Two finders share one [normalization](normalize) (width/case folding, whitespace and
//! punctuation removal, Traditional → Simplified folding):
//!
//! * **Whole-chapter resemblance** (issue 5): [`MinHasher::signature`] (MinHash over character
//!   5-grams, 128 values) → [`LshIndex`] (64 bands × 2 rows) → [`LshIndex::query`] (candidates
//!   verified by estimated Jaccard similarity). Finds re-uploaded chapters; Jaccard falls with the
//!   suspect's length, so excerpts, half chapters and pages are missed (measured on a real
//!   5,800-character chapter: whole copy 0.98, half 0.477, 2,000-character excerpt 0.344, a
//!   quarter or 500 characters not found). Kept unchanged: the hub uses it.
//! * **Containment with spans** (issue 16): [`containment`] — local fingerprints by
//!   [winnowing](winnow) (Schleimer, Wilkerson, Aiken, SIGMOD 2003) in a [`ContainmentIndex`]
//!   over an in-memory ([`MemoryBackend`]) or on-disk (`RedbBackend`, feature `disk`, default on)
//!   posting store. [`ContainmentIndex::find`] reports, per deposited chapter, how much of the
//!   suspect it contains, how much of the chapter the suspect covers and the matched
//!   [`Span`]s in character offsets of both *original* texts; [`ContainmentIndex::find_book`]
//!   does the same for a whole suspect book given as labelled pieces and groups the result by
//!   work and chapter ([`BookReport`]).
//!
//! ```
//! use qiantang_fingerprint::{ChapterRef, MemoryIndex, QueryParams};
//!
//! let mut index = MemoryIndex::in_memory();
//! let chapter = "话说南宋自南渡以来，迁都临安，高宗皇帝建炎天于四年，改为绍兴元年。\
//!                在朝有一位京营节度使，姓李名茂春，乃是浙江台州府天台县人氏，夫人王氏，\
//!                夫妻二人，乐善好施，家中广有田产，只是膝下无儿，心中常常忧闷。\
//!                这一日员外对夫人说道：我们年过半百，并无一男半女，不如到国清寺中烧香许愿，\
//!                求佛祖赐一个儿子，也好接续香烟。夫人听了，甚是欢喜，便吩咐家人备办香烛。";
//! index.add(ChapterRef { work: 7, chapter: 1 }, chapter)?;
//! // A Traditional-script excerpt with other punctuation and an inserted ad line.
//! let suspect = "在朝有一位京營節度使、姓李名茂春！乃是浙江台州府天台縣人氏；夫人王氏，\
//!                夫妻二人，樂善好施，家中廣有田產，只是膝下無兒，心中常常憂悶。\n\
//!                【本站首發 www.xxx.com】\n\
//!                這一日員外對夫人說道：我們年過半百，並無一男半女，不如到國清寺中燒香許願";
//! let report = index.find(suspect, &QueryParams::default())?;
//! let m = &report.matches[0];
//! assert_eq!(m.chapter, ChapterRef { work: 7, chapter: 1 });
//! assert!(m.containment > 0.7, "{}", m.containment);
//! // Offsets are characters of the original texts; the two sides of a span hold the same
//! // text up to script and punctuation. Span ends are those of the first and last matched
//! // fingerprint, so a span may start up to w + k − 2 = 19 characters after the true start.
//! let first = m.spans[0];
//! let part = |text: &str, start: u32, len: u32| -> String {
//!     let s: String = text.chars().skip(start as usize).take(len as usize).collect();
//!     qiantang_fingerprint::normalize_to_string(&s)
//! };
//! let (a, b) = (
//!     part(chapter, first.chapter_start, first.chapter_len),
//!     part(suspect, first.suspect_start, first.suspect_len),
//! );
//! assert_eq!(a[..15], b[..15]);
//! assert!(first.chapter_start <= 33 + 19);
//! # Ok::<(), qiantang_fingerprint::Error>(())
//! ```
//!
//! ## Why these parameters (containment)
//!
//! * **k = 5** ([`DEFAULT_K`]): the shingle of the MinHash finder, whose measured separation of
//!   edited copies from unrelated chapters is tabled at [`DEFAULT_NGRAM`].
//! * **w = 16** ([`DEFAULT_WINDOW`]): any shared run of ≥ 20 normalized characters is found
//!   (winnowing guarantee `w + k − 1`); measured on the 240 chapters of 济公全传 with the
//!   brief's combined edits, w = 16 keeps recall ≥ 0.99 at 300–1,000 characters while w = 32
//!   falls to 0.92 at 300, and it costs ≈ 283 postings (3.4 KB in memory) per 3,000-character
//!   chapter against 537 for w = 8. Table in the crate README.
//! * **Winnowing, not LSH Ensemble**: on the same shingles and data, datasketch's
//!   `MinHashLSHEnsemble` (threshold 0.5, 16 partitions, 128 permutations) found 0.80–0.89 of
//!   the edited excerpts of 300–2,000 characters against 1.00 here, cannot give spans, and was
//!   ~50× slower per query (figures in `bench/README.md`).
//! * Span and report thresholds ([`containment::QueryParams`]): a span needs ≥ 4 matched
//!   fingerprints at a density of ≥ 1 per 40 normalized characters, a chapter ≥ 60 matched
//!   normalized characters; measured: no false positive among 1,000 chapters of shuffled 西游记
//!   sentences against 济公全传, nor among 1,000 CC-CEDICT word-salad chapters against 2·10⁴.
//!
//! ## Why these parameters (MinHash)
//!
//! * **n = 5 characters** ([`DEFAULT_NGRAM`]) — see its docs for the measured table: unrelated
//!   chapters of one novel stay ≤ 0.02 while edited copies stay ≥ 0.40.
//! * **128 hash functions** ([`DEFAULT_NUM_PERM`]) — standard error ≤ 0.045 of the Jaccard estimate
//!   at 512 bytes per stored signature.
//! * **64 bands × 2 rows, threshold 0.3** ([`DEFAULT_BANDS`], [`DEFAULT_ROWS`],
//!   [`DEFAULT_THRESHOLD`]) — chosen from the measured similarity of edited copies; the S-curve
//!   table is in [`DEFAULT_ROWS`] and the measurements in `bench/README.md`.
//!
//! Everything is deterministic (fixed seed, integer hashing), so a signature stored at deposit time
//! stays comparable forever as long as the parameters are kept.

pub mod book;
pub mod containment;
#[cfg(feature = "disk")]
pub mod disk;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod winnow;

pub use book::{
    BookReport, BookSpan, ChapterCoverage, Piece, PieceOutcome, PieceRun, WorkCoverage,
};
pub use containment::{
    AddOutcome, ChapterRef, ChapterStats, ContainmentIndex, ContainmentMatch, MemoryBackend,
    MemoryIndex, PostingBackend, QueryParams, Span, SuspectReport,
};
#[cfg(feature = "disk")]
pub use disk::{DiskIndex, RedbBackend};
pub use winnow::{WinnowParams, DEFAULT_K, DEFAULT_WINDOW};

pub use lsh::{LshIndex, LshParams, Match, DEFAULT_BANDS, DEFAULT_ROWS, DEFAULT_THRESHOLD};
pub use minhash::{
    MinHashParams, MinHasher, Signature, DEFAULT_MIN_CHARS, DEFAULT_NGRAM, DEFAULT_NUM_PERM,
    DEFAULT_SEED,
};
pub use normalize::{normalize, normalize_to_string, normalize_with_offsets};

/// Errors of fingerprinting and indexing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// Nothing is left of the text after normalization (empty, or only whitespace/punctuation).
    #[error("the text is empty after normalization (no letters, digits or Han characters)")]
    EmptyText,
    /// Too few characters are left after normalization for a meaningful fingerprint.
    #[error("the text is too short to fingerprint: {chars} characters after normalization, at least {min} needed")]
    TooShort {
        /// Normalized characters found.
        chars: usize,
        /// Minimum required.
        min: usize,
    },
    /// A parameter is out of range.
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// Two signatures (or a signature and an index) were made with different ngram, seed or
    /// number of hash functions.
    #[error("signatures made with different parameters cannot be compared")]
    IncompatibleSignatures,
    /// Bytes that are not a serialized signature.
    #[error("not a valid signature: {0}")]
    BadSignatureBytes(String),
    /// The id is already in the index.
    #[error("chapter id {0} is already indexed")]
    DuplicateId(u64),
    /// The index holds 2³² chapters already.
    #[error("the index is full (2^32 chapters)")]
    IndexFull,
    /// The chapter is already in the containment index (remove it first to replace it).
    #[error("chapter {chapter} of work {work} is already indexed")]
    DuplicateChapter {
        /// Work id.
        work: u64,
        /// Chapter number.
        chapter: u32,
    },
    /// The on-disk store failed (I/O, corruption, or a store made with other parameters); the
    /// message is the store's.
    #[error("posting store: {0}")]
    Store(String),
}
