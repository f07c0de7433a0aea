//! MinHash signatures over character n-grams.
//!
//! A text is [normalized](crate::normalize), cut into overlapping windows of `ngram`
//! characters (shingles; Chinese has no word spaces, so characters, not words, are the unit), and
//! each shingle is hashed to 64 bits with [`shingle_hash`]. The signature keeps, for each of the
//! `num_perm` hash functions `h_j(x) = ((a_j·x + b_j) mod 2⁶⁴) >> 32` (Dietzfelbinger's
//! multiply-add-shift family, `a_j` odd), the minimum over all shingles. The fraction of equal
//! positions of two signatures is an unbiased estimate of the Jaccard similarity of the two shingle
//! sets, with standard error `sqrt(J(1-J)/num_perm)` (≈ 0.043 at J = 0.5 with 128 functions).
//!
//! Everything is integer arithmetic with fixed constants and a fixed seed expansion
//! ([`splitmix64`]), so signatures are identical across runs, platforms and endianness and can be
//! stored ([`Signature::to_bytes`]) next to each deposited chapter.

use crate::normalize::normalize;
use crate::Error;

/// Default shingle length in characters: 5.
///
/// Measured on the 340 corpus chapters with 256 hash functions (ignored test
/// `calibration_of_ngram`, figures in
/// `bench/README.md`, "Piracy finder"), Jaccard similarity of a lightly edited copy (sentences
/// swapped, punctuation changed, an ad line every 3 paragraphs or 300 characters, 5 % of characters substituted,
/// Traditional script) to its source, and of unrelated chapters of the same two novels:
///
/// | n | edited min | edited p5 | edited p50 | unrelated p99.9 | unrelated max |
/// |---|-----------|-----------|------------|-----------------|---------------|
/// | 3 | 0.566     | 0.602     | 0.672      | 0.039           | 0.066         |
/// | 4 | 0.512     | 0.527     | 0.578      | 0.020           | 0.035         |
/// | 5 | 0.402     | 0.449     | 0.508      | 0.012           | 0.020         |
/// | 6 | 0.371     | 0.398     | 0.457      | 0.008           | 0.020         |
///
/// Shorter shingles keep more of an edited copy but make unrelated chapters (shared names and
/// set phrases such as 济公说 / 行者道) look alike, which among 10⁶ chapters turns into many LSH
/// candidates; longer ones lose too much to substitution (one substituted character destroys `n`
/// shingles, so `0.95ⁿ` survive 5 % substitution: 0.77 for n = 5, 0.51 for ISCC's n = 13).
/// n = 5 keeps a gap of 0.38 between the two populations.
pub const DEFAULT_NGRAM: usize = 5;

/// Default number of hash functions (signature length): 128, as in the brief and datasketch's
/// usual setting; 512 bytes of values per signature, standard error ≤ 0.045.
pub const DEFAULT_NUM_PERM: usize = 128;

/// Default seed of the hash family. Changing it changes every signature: it is part of the
/// stored format and must stay fixed for a deployed index.
pub const DEFAULT_SEED: u64 = 0x5141_4e54_414e_4731; // "QIANTANG1" folded into 64 bits

/// Default minimum number of normalized characters for a text to be fingerprinted: 32.
///
/// Below that there are fewer than ~30 shingles, a single edit changes a large share of them,
/// and a match would not be evidence of anything; such a text gets [`Error::TooShort`].
pub const DEFAULT_MIN_CHARS: usize = 32;

/// Largest accepted `num_perm` (the byte format stores it as `u16`; 1,024 is far beyond use).
pub const MAX_NUM_PERM: usize = 1024;

/// Largest accepted shingle length.
pub const MAX_NGRAM: usize = 32;

/// Magic bytes at the start of a serialized [`Signature`].
pub const SIGNATURE_MAGIC: [u8; 4] = *b"QTMH";

/// Version of the serialized [`Signature`] format.
pub const SIGNATURE_VERSION: u8 = 1;

/// Size of the header of a serialized signature: magic (4), version (1), ngram (1),
/// num_perm (u16 LE, 2), seed (u64 LE, 8).
pub const SIGNATURE_HEADER_LEN: usize = 16;

/// The splitmix64 step (Steele, Lea, Flood 2014): a fixed, well-mixed sequence from a seed. Used
/// to expand the seed into the `a_j`, `b_j` constants.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// MurmurHash3's 64-bit finalizer (`fmix64`): a bijection that mixes every input bit into every
/// output bit.
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// 64-bit hash of one shingle (a slice of characters): each code point is xored in and multiplied
/// by the 64-bit golden-ratio constant, and the result is finalized with [`fmix64`]. Collisions
/// among the few thousand shingles of a chapter are negligible (birthday bound ≈ 10⁻¹²).
pub fn shingle_hash(seed: u64, chars: &[char]) -> u64 {
    let mut h = seed ^ (chars.len() as u64);
    for &c in chars {
        h = (h ^ u64::from(c as u32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h = h.rotate_left(29);
    }
    fmix64(h)
}

/// Parameters of a [`MinHasher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinHashParams {
    /// Shingle length in characters (1..=[`MAX_NGRAM`]); default [`DEFAULT_NGRAM`].
    pub ngram: usize,
    /// Number of hash functions = signature length (1..=[`MAX_NUM_PERM`]); default
    /// [`DEFAULT_NUM_PERM`].
    pub num_perm: usize,
    /// Seed of the hash family; default [`DEFAULT_SEED`].
    pub seed: u64,
    /// Minimum number of normalized characters (at least `ngram` is always required); default
    /// [`DEFAULT_MIN_CHARS`].
    pub min_chars: usize,
}

impl Default for MinHashParams {
    fn default() -> Self {
        Self {
            ngram: DEFAULT_NGRAM,
            num_perm: DEFAULT_NUM_PERM,
            seed: DEFAULT_SEED,
            min_chars: DEFAULT_MIN_CHARS,
        }
    }
}

/// Computes [`Signature`]s. Cheap to clone; build one and reuse it (it holds the `2·num_perm`
/// constants of the hash family).
#[derive(Debug, Clone)]
pub struct MinHasher {
    params: MinHashParams,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl MinHasher {
    /// A hasher with the given parameters; [`Error::InvalidParams`] when `ngram` or `num_perm` is
    /// 0 or above its maximum.
    pub fn new(params: MinHashParams) -> Result<Self, Error> {
        if params.ngram == 0 || params.ngram > MAX_NGRAM {
            return Err(Error::InvalidParams(format!(
                "ngram must be 1..={MAX_NGRAM}, got {}",
                params.ngram
            )));
        }
        if params.num_perm == 0 || params.num_perm > MAX_NUM_PERM {
            return Err(Error::InvalidParams(format!(
                "num_perm must be 1..={MAX_NUM_PERM}, got {}",
                params.num_perm
            )));
        }
        let mut state = params.seed;
        let mut a = Vec::with_capacity(params.num_perm);
        let mut b = Vec::with_capacity(params.num_perm);
        for _ in 0..params.num_perm {
            a.push(splitmix64(&mut state) | 1);
            b.push(splitmix64(&mut state));
        }
        Ok(Self { params, a, b })
    }

    /// The parameters this hasher was built with.
    pub fn params(&self) -> MinHashParams {
        self.params
    }

    /// Signature of `text` (normalized first). Errors: [`Error::EmptyText`] when nothing is left
    /// after normalization, [`Error::TooShort`] when fewer than `max(min_chars, ngram)`
    /// characters are left.
    pub fn signature(&self, text: &str) -> Result<Signature, Error> {
        self.signature_of_normalized(&normalize(text))
    }

    /// Signature of already [normalized](crate::normalize) characters (same errors as
    /// [`MinHasher::signature`]).
    pub fn signature_of_normalized(&self, chars: &[char]) -> Result<Signature, Error> {
        let n = self.params.ngram;
        if chars.is_empty() {
            return Err(Error::EmptyText);
        }
        let min = self.params.min_chars.max(n);
        if chars.len() < min {
            return Err(Error::TooShort {
                chars: chars.len(),
                min,
            });
        }
        let mut values = vec![u32::MAX; self.params.num_perm];
        let seed = self.params.seed;
        for window in chars.windows(n) {
            let x = shingle_hash(seed, window);
            for ((v, &a), &b) in values.iter_mut().zip(&self.a).zip(&self.b) {
                let h = (x.wrapping_mul(a).wrapping_add(b) >> 32) as u32;
                if h < *v {
                    *v = h;
                }
            }
        }
        Ok(Signature {
            ngram: n as u8,
            seed,
            values,
        })
    }
}

/// A MinHash signature: `num_perm` 32-bit minima plus the parameters needed to check that two
/// signatures are comparable. Serialized size: 16 + 4·`num_perm` bytes (528 for 128).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    ngram: u8,
    seed: u64,
    values: Vec<u32>,
}

impl Signature {
    /// The minima, one per hash function.
    pub fn values(&self) -> &[u32] {
        &self.values
    }

    /// Number of hash functions.
    pub fn num_perm(&self) -> usize {
        self.values.len()
    }

    /// Shingle length in characters.
    pub fn ngram(&self) -> usize {
        usize::from(self.ngram)
    }

    /// Seed of the hash family.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// True when `other` was made with the same ngram, seed and num_perm.
    pub fn is_compatible(&self, other: &Signature) -> bool {
        self.ngram == other.ngram
            && self.seed == other.seed
            && self.values.len() == other.values.len()
    }

    /// Estimated Jaccard similarity of the two shingle sets (0.0..=1.0): the share of equal
    /// minima. [`Error::IncompatibleSignatures`] when the parameters differ.
    pub fn jaccard(&self, other: &Signature) -> Result<f64, Error> {
        if !self.is_compatible(other) {
            return Err(Error::IncompatibleSignatures);
        }
        Ok(jaccard_values(&self.values, &other.values))
    }

    /// Serializes to bytes: `b"QTMH"`, version `1`, ngram (u8), num_perm (u16 LE), seed (u64 LE),
    /// then each value as u32 LE. Platform independent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIGNATURE_HEADER_LEN + 4 * self.values.len());
        out.extend_from_slice(&SIGNATURE_MAGIC);
        out.push(SIGNATURE_VERSION);
        out.push(self.ngram);
        // num_perm ≤ MAX_NUM_PERM (1,024) fits in u16 for every constructed signature.
        out.extend_from_slice(&(self.values.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.seed.to_le_bytes());
        for v in &self.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Parses the output of [`Signature::to_bytes`]; [`Error::BadSignatureBytes`] names what is
    /// wrong (magic, version, length, parameters).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::BadSignatureBytes(why.to_owned());
        if bytes.len() < SIGNATURE_HEADER_LEN {
            return Err(bad("shorter than the 16-byte header"));
        }
        if bytes[0..4] != SIGNATURE_MAGIC {
            return Err(bad("wrong magic (expected QTMH)"));
        }
        if bytes[4] != SIGNATURE_VERSION {
            return Err(bad(&format!("unsupported version {}", bytes[4])));
        }
        let ngram = bytes[5];
        let num_perm = usize::from(u16::from_le_bytes([bytes[6], bytes[7]]));
        let mut seed_bytes = [0u8; 8];
        seed_bytes.copy_from_slice(&bytes[8..16]);
        let seed = u64::from_le_bytes(seed_bytes);
        if ngram == 0 || usize::from(ngram) > MAX_NGRAM {
            return Err(bad(&format!("ngram {ngram} out of range")));
        }
        if num_perm == 0 || num_perm > MAX_NUM_PERM {
            return Err(bad(&format!("num_perm {num_perm} out of range")));
        }
        let body = &bytes[SIGNATURE_HEADER_LEN..];
        if body.len() != 4 * num_perm {
            return Err(bad(&format!(
                "expected {} value bytes for num_perm {num_perm}, got {}",
                4 * num_perm,
                body.len()
            )));
        }
        let values = body
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Self {
            ngram,
            seed,
            values,
        })
    }
}

/// Share of equal positions of two equally long value slices (0.0 when empty).
pub(crate) fn jaccard_values(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}
