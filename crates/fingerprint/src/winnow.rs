//! Local fingerprints by winnowing (Schleimer, Wilkerson, Aiken, "Winnowing: local algorithms for
//! document fingerprinting", SIGMOD 2003 — the algorithm behind MOSS).
//!
//! The [normalized](crate::normalize) text is cut into overlapping *k*-grams of characters, each
//! hashed to 32 bits ([`kgram_hash`]). In every window of `w` consecutive k-gram hashes the
//! minimum is selected (*robust winnowing*: on a tie the hash already selected for the previous
//! window is kept, otherwise the rightmost minimum is taken), and each selected position is
//! recorded once. Two properties follow (paper, §3):
//!
//! * **Guarantee**: any run of at least `w + k − 1` normalized characters shared by two texts
//!   produces at least one identical fingerprint in both (the window lying inside the run selects
//!   the same k-gram in both texts).
//! * **Noise**: runs shorter than `k` characters are never matched.
//!
//! The expected density is `2 / (w + 1)` fingerprints per character for random text.
//!
//! Each fingerprint keeps where it came from: its position in the normalized text and the span of
//! the *original* text (in characters) that its k-gram covers, via the offset map of
//! [`crate::normalize::normalize_with_offsets`].

use crate::minhash::shingle_hash;
use crate::Error;

/// Default k-gram length: 5 characters, the same shingle as [`crate::DEFAULT_NGRAM`] (the
/// measured gap between edited copies and unrelated chapters is documented there).
pub const DEFAULT_K: usize = 5;

/// Default winnowing window: 16 k-grams, so any shared run of `16 + 5 − 1 = 20` normalized
/// characters is guaranteed to be found. Chosen by measurement (`calibration_of_window` in
/// `tests/containment.rs`, table in the crate README): at 5 % substituted characters the mean
/// clean run is 20 characters, and `w = 16` keeps recall ≥ 0.99 for 500-character excerpts at a
/// density of `2/17 ≈ 0.12` fingerprints per character (≈ 300 postings for a 2,500-character
/// chapter).
pub const DEFAULT_WINDOW: usize = 16;

/// Seed of the k-gram hash (part of the index format: changing it changes every fingerprint).
pub const WINNOW_SEED: u64 = 0x5754_4e4e_4f57_3031; // "WTNNOW01"

/// Largest accepted `k` and `w`.
pub const MAX_K_OR_W: usize = 64;

/// Winnowing parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WinnowParams {
    /// k-gram length in normalized characters (1..=[`MAX_K_OR_W`]); default [`DEFAULT_K`].
    pub k: usize,
    /// Window length in k-grams (1..=[`MAX_K_OR_W`]); default [`DEFAULT_WINDOW`].
    pub w: usize,
}

impl Default for WinnowParams {
    fn default() -> Self {
        Self {
            k: DEFAULT_K,
            w: DEFAULT_WINDOW,
        }
    }
}

impl WinnowParams {
    /// [`Error::InvalidParams`] unless `1 ≤ k, w ≤ MAX_K_OR_W`.
    pub fn check(&self) -> Result<(), Error> {
        if self.k == 0 || self.w == 0 || self.k > MAX_K_OR_W || self.w > MAX_K_OR_W {
            return Err(Error::InvalidParams(format!(
                "winnowing k = {} and w = {} must be within 1..={MAX_K_OR_W}",
                self.k, self.w
            )));
        }
        Ok(())
    }

    /// Length of the shortest shared run that is guaranteed to be found: `w + k − 1`.
    pub fn guarantee(&self) -> usize {
        self.w + self.k - 1
    }
}

/// One selected k-gram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// 32-bit hash of the k-gram ([`kgram_hash`]).
    pub hash: u32,
    /// Position of the k-gram's first character in the normalized text.
    pub pos: u32,
    /// Position of the k-gram's first character in the original text (characters).
    pub start: u32,
    /// One past the position of the k-gram's last character in the original text (characters);
    /// `end − start ≥ k`, larger when ignorable characters (punctuation, spaces) lie inside.
    pub end: u32,
}

/// 32-bit hash of one k-gram: the upper half of [`shingle_hash`] with [`WINNOW_SEED`].
pub fn kgram_hash(chars: &[char]) -> u32 {
    (shingle_hash(WINNOW_SEED, chars) >> 32) as u32
}

/// Winnows normalized characters `chars` whose original positions are `offsets` (same length;
/// from [`crate::normalize::normalize_with_offsets`]). Returns the fingerprints in text order.
/// Texts shorter than `k` give none; texts with fewer than `w` k-grams give their single
/// minimum. Work is `O(len)` expected (`O(len · w)` worst case), memory `O(len)`.
pub fn winnow(chars: &[char], offsets: &[u32], params: WinnowParams) -> Vec<Fingerprint> {
    let (k, w) = (params.k.max(1), params.w.max(1));
    let n = chars.len().min(offsets.len());
    if n < k {
        return Vec::new();
    }
    let hashes: Vec<u32> = chars[..n].windows(k).map(kgram_hash).collect();
    let make = |i: usize| Fingerprint {
        hash: hashes[i],
        pos: i as u32,
        start: offsets[i],
        end: offsets[i + k - 1].saturating_add(1),
    };
    let mut out = Vec::with_capacity(2 * hashes.len() / (w + 1) + 2);
    if hashes.len() <= w {
        let mut m = 0;
        for (i, &h) in hashes.iter().enumerate() {
            if h <= hashes[m] {
                m = i;
            }
        }
        out.push(make(m));
        return out;
    }
    let mut min_i = usize::MAX;
    for end in (w - 1)..hashes.len() {
        let start = end + 1 - w;
        if min_i == usize::MAX || min_i < start {
            // The previous minimum left the window: rescan, rightmost minimum.
            let mut m = start;
            for i in start..=end {
                if hashes[i] <= hashes[m] {
                    m = i;
                }
            }
            min_i = m;
            out.push(make(m));
        } else if hashes[end] < hashes[min_i] {
            min_i = end;
            out.push(make(end));
        }
    }
    out
}
