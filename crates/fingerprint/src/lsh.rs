//! In-memory LSH (banding) index over [`Signature`]s.
//!
//! A signature of `num_perm = bands × rows` values is cut into `bands` bands of `rows` values.
//! Two signatures become *candidates* when at least one band is identical; for Jaccard
//! similarity `s` that happens with probability `1 − (1 − s^rows)^bands` (the S-curve,
//! [`LshParams::candidate_probability`]). Candidates are then *verified* with the estimated
//! Jaccard similarity of the full signatures and kept when it reaches the query threshold.
//!
//! ## Layout and memory
//!
//! Chapters get dense internal numbers `0..len` (`u32`). Per chapter the index keeps its external
//! id (`u64`, 8 bytes) and its signature values (`4·num_perm` bytes, 512 for 128). Each band is a
//! sorted `Vec<u64>` of `band_key << 32 | internal` entries (8 bytes per chapter and band) plus an
//! unsorted *delta* of at most [`DELTA_CAPACITY`] recent entries, merged into the sorted part
//! when full (so inserts are amortized `O(log)`, and a lookup is a binary search plus a short
//! scan of the delta). With the default 64 bands × 2 rows that is 512 + 512 + 8 (+ the id set)
//! ≈ 1.05 KB per chapter, ≈ 1.1 GB for 10⁶ chapters (measured figures in `bench/README.md`).
//!
//! The band key is a 32-bit hash of the band's values and index; two different bands colliding
//! on it only adds a candidate that verification then drops.

use std::collections::HashSet;

use crate::minhash::{fmix64, jaccard_values, Signature};
use crate::Error;

/// Default number of bands: 64.
pub const DEFAULT_BANDS: usize = 64;

/// Default rows per band: 2 (64 × 2 = 128 = [`crate::DEFAULT_NUM_PERM`]).
///
/// S-curve `1 − (1 − s²)⁶⁴`, the probability that a pair of similarity `s` becomes a candidate:
///
/// | s | 0.02  | 0.05  | 0.10  | 0.15  | 0.20  | 0.25  | 0.30   | 0.40     | 0.50    |
/// |---|-------|-------|-------|-------|-------|-------|--------|----------|---------|
/// | P | 0.025 | 0.148 | 0.474 | 0.767 | 0.927 | 0.984 | 0.9976 | 0.999986 | >0.9999999 |
///
/// Lightly edited copies measure s ≥ 0.40 (see [`crate::DEFAULT_NGRAM`]), where P ≥ 0.99998, and
/// P is still 0.998 at the threshold 0.3. The alternatives with 128 values miss edited copies:
/// 32 × 4 gives P(0.3) = 0.229, P(0.4) = 0.564; 42 × 3 gives P(0.3) = 0.683, P(0.4) = 0.938. The
/// price of 64 × 2 is more low-similarity candidates (P(0.05) = 0.15), which verification drops
/// cheaply (128 comparisons each), and 8 bytes per chapter and band.
pub const DEFAULT_ROWS: usize = 2;

/// Default verification threshold on the estimated Jaccard similarity: 0.3.
///
/// Midway between unrelated chapters (≤ 0.02 measured) and lightly edited copies (≥ 0.40
/// measured); with 128 functions the estimate's standard error at s = 0.40 is 0.043, so the weakest
/// measured copy falls under 0.3 with probability ≈ 1 % and the median one (0.51) with < 10⁻⁶.
pub const DEFAULT_THRESHOLD: f64 = 0.3;

/// Number of unsorted entries a band buffers before merging them into its sorted part.
pub const DELTA_CAPACITY: usize = 8_192;

/// Banding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LshParams {
    /// Number of bands `b`; default [`DEFAULT_BANDS`].
    pub bands: usize,
    /// Rows (signature values) per band `r`; default [`DEFAULT_ROWS`]. `bands × rows` must equal
    /// the signatures' `num_perm`.
    pub rows: usize,
}

impl Default for LshParams {
    fn default() -> Self {
        Self {
            bands: DEFAULT_BANDS,
            rows: DEFAULT_ROWS,
        }
    }
}

impl LshParams {
    /// Probability that two signatures of Jaccard similarity `s` share at least one band:
    /// `1 − (1 − s^rows)^bands`.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        let s = s.clamp(0.0, 1.0);
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }
}

/// One verified match of a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// The id given to [`LshIndex::insert`].
    pub id: u64,
    /// Estimated Jaccard similarity to the query (0.0..=1.0), in steps of `1/num_perm`.
    pub similarity: f64,
}

#[derive(Debug, Default, Clone)]
struct Band {
    sorted: Vec<u64>,
    delta: Vec<u64>,
}

impl Band {
    fn push(&mut self, entry: u64) {
        self.delta.push(entry);
        if self.delta.len() >= DELTA_CAPACITY {
            self.merge();
        }
    }

    fn merge(&mut self) {
        if self.delta.is_empty() {
            return;
        }
        self.delta.sort_unstable();
        let old = std::mem::take(&mut self.sorted);
        let mut merged = Vec::with_capacity(old.len() + self.delta.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < self.delta.len() {
            if old[i] <= self.delta[j] {
                merged.push(old[i]);
                i += 1;
            } else {
                merged.push(self.delta[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&old[i..]);
        merged.extend_from_slice(&self.delta[j..]);
        self.sorted = merged;
        self.delta.clear();
    }

    fn lookup(&self, key: u32, out: &mut Vec<u32>) {
        let lo = u64::from(key) << 32;
        let start = self.sorted.partition_point(|&e| e < lo);
        for &e in &self.sorted[start..] {
            if (e >> 32) as u32 != key {
                break;
            }
            out.push(e as u32);
        }
        for &e in &self.delta {
            if (e >> 32) as u32 == key {
                out.push(e as u32);
            }
        }
    }

    fn bytes(&self) -> usize {
        8 * (self.sorted.capacity() + self.delta.capacity())
    }
}

/// In-memory LSH index from signatures to chapter ids. Not thread-safe for writes; wrap it in a
/// lock (queries take `&self`).
#[derive(Debug, Clone)]
pub struct LshIndex {
    params: LshParams,
    ngram: u8,
    seed: u64,
    ids: Vec<u64>,
    values: Vec<u32>,
    bands: Vec<Band>,
    known: HashSet<u64>,
}

impl LshIndex {
    /// An empty index for signatures of `bands × rows` values made by hashers with the given
    /// `ngram` and `seed` (take them from [`crate::MinHashParams`]). [`Error::InvalidParams`] when
    /// `bands` or `rows` is 0.
    pub fn new(params: LshParams, ngram: usize, seed: u64) -> Result<Self, Error> {
        if params.bands == 0 || params.rows == 0 {
            return Err(Error::InvalidParams(
                "bands and rows must both be at least 1".to_owned(),
            ));
        }
        let ngram = u8::try_from(ngram)
            .map_err(|_| Error::InvalidParams(format!("ngram {ngram} out of range")))?;
        Ok(Self {
            params,
            ngram,
            seed,
            ids: Vec::new(),
            values: Vec::new(),
            bands: vec![Band::default(); params.bands],
            known: HashSet::new(),
        })
    }

    /// The banding parameters.
    pub fn params(&self) -> LshParams {
        self.params
    }

    /// Number of indexed chapters.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Reserves room for `additional` more chapters (avoids reallocation peaks when the number is
    /// known, e.g. when loading stored signatures at start).
    pub fn reserve(&mut self, additional: usize) {
        self.ids.reserve_exact(additional);
        self.values
            .reserve_exact(additional * self.params.bands * self.params.rows);
        self.known.reserve(additional);
        for band in &mut self.bands {
            band.sorted.reserve_exact(additional);
        }
    }

    fn check(&self, sig: &Signature) -> Result<(), Error> {
        if sig.ngram() != usize::from(self.ngram)
            || sig.seed() != self.seed
            || sig.num_perm() != self.params.bands * self.params.rows
        {
            return Err(Error::IncompatibleSignatures);
        }
        Ok(())
    }

    fn band_key(&self, band: usize, values: &[u32]) -> u32 {
        let mut h = (band as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.seed;
        for &v in values {
            h = fmix64(h ^ u64::from(v));
        }
        (h >> 32) as u32
    }

    /// Adds a chapter. Errors: [`Error::IncompatibleSignatures`] (other parameters),
    /// [`Error::DuplicateId`] (id already indexed), [`Error::IndexFull`] (2³² chapters).
    pub fn insert(&mut self, id: u64, sig: &Signature) -> Result<(), Error> {
        self.check(sig)?;
        let internal = u32::try_from(self.ids.len()).map_err(|_| Error::IndexFull)?;
        if !self.known.insert(id) {
            return Err(Error::DuplicateId(id));
        }
        self.ids.push(id);
        self.values.extend_from_slice(sig.values());
        let rows = self.params.rows;
        for b in 0..self.params.bands {
            let key = self.band_key(b, &sig.values()[b * rows..(b + 1) * rows]);
            self.bands[b].push(u64::from(key) << 32 | u64::from(internal));
        }
        Ok(())
    }

    /// Merges every band's pending entries into its sorted part (optional: call after a bulk
    /// load so that queries need not scan the deltas, and to release spare capacity).
    pub fn compact(&mut self) {
        for band in &mut self.bands {
            band.merge();
            band.sorted.shrink_to_fit();
        }
        self.ids.shrink_to_fit();
        self.values.shrink_to_fit();
    }

    /// Candidates of `sig` (chapters sharing at least one band), verified by estimated Jaccard
    /// similarity ≥ `threshold`, sorted by similarity (highest first, then id). An empty index
    /// gives an empty result; [`Error::IncompatibleSignatures`] for a signature made with other
    /// parameters.
    pub fn query(&self, sig: &Signature, threshold: f64) -> Result<Vec<Match>, Error> {
        self.check(sig)?;
        let rows = self.params.rows;
        let mut candidates = Vec::new();
        for b in 0..self.params.bands {
            let key = self.band_key(b, &sig.values()[b * rows..(b + 1) * rows]);
            self.bands[b].lookup(key, &mut candidates);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let k = self.params.bands * rows;
        let mut out: Vec<Match> = candidates
            .into_iter()
            .filter_map(|c| {
                let i = c as usize;
                let stored = self.values.get(i * k..(i + 1) * k)?;
                let similarity = jaccard_values(sig.values(), stored);
                (similarity >= threshold).then(|| Match {
                    id: self.ids[i],
                    similarity,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// Heap bytes held by the index (capacities of its vectors plus an estimate of the id set at
    /// 16 bytes per slot); the measured process RSS is in the benchmark.
    pub fn memory_bytes(&self) -> usize {
        8 * self.ids.capacity()
            + 4 * self.values.capacity()
            + self.bands.iter().map(Band::bytes).sum::<usize>()
            + 16 * self.known.capacity()
    }
}
