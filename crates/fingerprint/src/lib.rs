//! Near-duplicate fingerprints of Chinese text for the copyright-deposit piracy finder
//! (issue 5, "Search by content").
//!
//! Pipeline: [`normalize`] (width/case folding, whitespace and punctuation removal, Traditional →
//! Simplified folding) → [`MinHasher::signature`] (MinHash over character n-grams, 128 values) →
//! [`LshIndex`] (banding, 64 bands × 2 rows) → [`LshIndex::query`] (candidates verified by
//! estimated Jaccard similarity, best first).
//!
//! ```
//! use qiantang_fingerprint::{LshIndex, LshParams, MinHashParams, MinHasher, DEFAULT_THRESHOLD};
//!
//! let params = MinHashParams::default();
//! let hasher = MinHasher::new(params)?;
//! let mut index = LshIndex::new(LshParams::default(), params.ngram, params.seed)?;
//! let chapter = "话说南宋自南渡以来，迁都临安，高宗皇帝建炎天于四年，改为绍兴元年。在朝有一位京营节度使，姓李名茂春。";
//! index.insert(7, &hasher.signature(chapter)?)?;
//! let copy = "話說南宋自南渡以來，遷都臨安，高宗皇帝建炎天於四年，改為紹興元年。在朝有一位京營節度使，姓李名茂春！";
//! let hits = index.query(&hasher.signature(copy)?, DEFAULT_THRESHOLD)?;
//! assert_eq!(hits[0].id, 7);
//! # Ok::<(), qiantang_fingerprint::Error>(())
//! ```
//!
//! ## Why these parameters
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
