//! RFC 6962 / RFC 9162 Merkle tree hashing, inclusion proofs and consistency
//! proofs.
//!
//! * Leaf hash: `SHA-256(0x00 ‖ data)`, node hash: `SHA-256(0x01 ‖ left ‖ right)`
//!   (RFC 9162 §2.1.1). Every hash is 32 bytes ([`Hash`]).
//! * The Merkle Tree Hash (MTH) of `n` leaves is defined for every `n ≥ 0`,
//!   not only powers of two: for `n > 1` the tree splits at `k`, the largest
//!   power of two strictly below `n` (RFC 6962 §2.1). The empty tree hashes to
//!   `SHA-256("")`.
//! * Proofs are generated from a [`HashReader`]: a source of the hashes of
//!   *complete* (perfect) subtrees, addressed by `(level, index)`. Two readers
//!   are provided:
//!   - [`SliceReader`] over a slice of leaf hashes: simple, but reading a node
//!     at level `l` hashes `2^l` leaves, so one proof costs `O(n)` hashing.
//!   - [`MemoryTree`], the "tiled" variant: it stores every complete subtree
//!     hash (what a C2SP tlog-tiles store holds: tiles of 256 hashes at levels
//!     0, 8, 16, … plus the levels in between recomputable inside a tile), so
//!     one proof costs `O(log n)` reads and `O(log n)` hashing.
//! * Verification follows the algorithms of RFC 9162 §2.1.3.2 (inclusion) and
//!   §2.1.4.2 (consistency) and reports the exact check that failed.

use std::convert::Infallible;

use sha2::{Digest, Sha256};
use thiserror::Error;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root (32 bytes).
pub type Hash = [u8; 32];

/// Size of a [`Hash`] in bytes (32).
pub const HASH_SIZE: usize = 32;

/// The root of the empty tree, `SHA-256("")` (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Leaf hash `SHA-256(0x00 ‖ data)` of one log entry (RFC 9162 §2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// Interior node hash `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Merkle Tree Hash of a list of leaf hashes (RFC 6962 §2.1 MTH), for any
/// number of leaves; `O(n)` hashing, `O(log n)` memory.
///
/// Returns [`empty_root`] for an empty slice and the leaf hash itself for one leaf.
pub fn root_from_leaf_hashes(leaves: &[Hash]) -> Hash {
    // A stack of complete subtrees (a compact range), merged as they pair up.
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(64);
    for leaf in leaves {
        let mut cur = (0u32, *leaf);
        while let Some(&(level, left)) = stack.last() {
            if level != cur.0 {
                break;
            }
            stack.pop();
            cur = (level + 1, node_hash(&left, &cur.1));
        }
        stack.push(cur);
    }
    // Fold the decreasing complete subtrees from the right: this is exactly
    // MTH's split at the largest power of two below n, applied recursively.
    let mut iter = stack.into_iter().rev();
    match iter.next() {
        None => empty_root(),
        Some((_, mut acc)) => {
            for (_, left) in iter {
                acc = node_hash(&left, &acc);
            }
            acc
        }
    }
}

/// A source of complete-subtree hashes, the only thing proof generation needs.
///
/// `node_hash(level, index)` returns the hash of the perfect subtree of
/// `2^level` leaves covering leaf indices `[index · 2^level, (index + 1) · 2^level)`;
/// level 0 are the leaf hashes. Generation only asks for subtrees that lie
/// entirely inside the tree size it was given.
pub trait HashReader {
    /// Error returned when a stored hash cannot be read (missing, IO, …).
    type Error: std::error::Error + 'static;

    /// Hash of the complete subtree at `(level, index)`; `level ≤ 63`.
    ///
    /// # Errors
    /// Whatever the backing store reports, e.g. a subtree it does not hold.
    fn node_hash(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// A [`HashReader`] over a slice of leaf hashes: each node read hashes its
/// `2^level` leaves, so a proof costs `O(n)` hashing. Good for tests, small
/// trees and as the reference for the stored-hash variant ([`MemoryTree`]).
#[derive(Debug, Clone, Copy)]
pub struct SliceReader<'a>(pub &'a [Hash]);

impl HashReader for SliceReader<'_> {
    type Error = Infallible;

    fn node_hash(&self, level: u8, index: u64) -> Result<Hash, Infallible> {
        let width = 1u64 << level;
        let start = index.saturating_mul(width);
        let len = self.0.len() as u64;
        let lo = start.min(len) as usize;
        let hi = start.saturating_add(width).min(len) as usize;
        Ok(root_from_leaf_hashes(&self.0[lo..hi]))
    }
}

/// Error of [`MemoryTree`] when asked for a subtree it does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("no complete subtree stored at level {level}, index {index}")]
pub struct MissingNode {
    /// Level asked for (0 = leaves).
    pub level: u8,
    /// Index at that level.
    pub index: u64,
}

/// An append-only in-memory tree that stores the hash of every complete
/// subtree, level by level (level 0 = leaf hashes). This is the "tiled"
/// variant: proofs read `O(log n)` stored hashes, as they would from C2SP
/// tlog-tiles (where level `8·L` hashes are tile `L` entries). Appending a
/// leaf costs amortised `O(1)` hashing; memory is about `2n` hashes.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends one leaf hash (already `leaf_hash(data)`), returning its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.size();
        let mut level = 0usize;
        let mut cur = leaf;
        loop {
            self.levels[level].push(cur);
            let n = self.levels[level].len();
            if n % 2 == 1 {
                break;
            }
            cur = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
        }
        index
    }

    /// Appends an entry's data (hashed with [`leaf_hash`]), returning its index.
    pub fn push(&mut self, data: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(data))
    }

    /// Root hash of the first `size` leaves (`size ≤ self.size()`).
    ///
    /// # Errors
    /// [`ProofGenError::SizeTooLarge`] if `size` exceeds the tree.
    pub fn root(&self, size: u64) -> Result<Hash, ProofGenError<MissingNode>> {
        if size > self.size() {
            return Err(ProofGenError::SizeTooLarge {
                size,
                available: self.size(),
            });
        }
        root(self, size)
    }
}

impl HashReader for MemoryTree {
    type Error = MissingNode;

    fn node_hash(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        self.levels
            .get(usize::from(level))
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

/// Why a proof could not be generated.
#[derive(Debug, Error)]
pub enum ProofGenError<E: std::error::Error + 'static> {
    /// Inclusion proof asked for `index ≥ size`.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// Leaf index asked for.
        index: u64,
        /// Tree size asked for.
        size: u64,
    },
    /// Consistency proof asked from a larger to a smaller tree.
    #[error("old tree size {old_size} exceeds new tree size {new_size}")]
    OldSizeExceedsNewSize {
        /// Older (first) tree size.
        old_size: u64,
        /// Newer (second) tree size.
        new_size: u64,
    },
    /// The tree holds fewer leaves than the size asked for.
    #[error("tree size {size} exceeds the {available} leaves available")]
    SizeTooLarge {
        /// Size asked for.
        size: u64,
        /// Leaves available.
        available: u64,
    },
    /// The [`HashReader`] failed.
    #[error("reading a stored hash: {0}")]
    Read(#[source] E),
}

/// Largest power of two strictly below `n` (`n ≥ 2`).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH of leaves `[start, end)`, reading complete subtrees. In every range the
/// RFC 6962 recursion produces, `start` is a multiple of a power of two
/// `≥ end - start`, so the range decomposes into aligned complete subtrees.
fn range_hash<R: HashReader + ?Sized>(r: &R, start: u64, end: u64) -> Result<Hash, R::Error> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start % n == 0 {
        let level = n.trailing_zeros() as u8;
        return r.node_hash(level, start >> level);
    }
    let k = if n.is_power_of_two() {
        n / 2
    } else {
        split_point(n)
    };
    let left = range_hash(r, start, start + k)?;
    let right = range_hash(r, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// Root hash (RFC 6962 §2.1 MTH) of the first `size` leaves of `reader`.
///
/// # Errors
/// [`ProofGenError::Read`] if the reader fails.
pub fn root<R: HashReader + ?Sized>(
    reader: &R,
    size: u64,
) -> Result<Hash, ProofGenError<R::Error>> {
    range_hash(reader, 0, size).map_err(ProofGenError::Read)
}

/// Inclusion proof (audit path) for leaf `index` in the tree of the first
/// `size` leaves of `reader` (RFC 9162 §2.1.3.1 `PATH(m, D[n])`): sibling
/// hashes ordered from the leaf's sibling up to the root's child.
///
/// # Errors
/// [`ProofGenError::IndexOutOfRange`] if `index ≥ size`; [`ProofGenError::Read`].
pub fn inclusion_proof<R: HashReader + ?Sized>(
    reader: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofGenError<R::Error>> {
    if index >= size {
        return Err(ProofGenError::IndexOutOfRange { index, size });
    }
    // Walk down from the root, recording siblings, then reverse (leaf first).
    let mut path = Vec::with_capacity(64);
    let (mut lo, mut hi, mut m) = (0u64, size, index);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < k {
            path.push(range_hash(reader, lo + k, hi).map_err(ProofGenError::Read)?);
            hi = lo + k;
        } else {
            path.push(range_hash(reader, lo, lo + k).map_err(ProofGenError::Read)?);
            lo += k;
            m -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// Consistency proof between the tree of the first `old_size` leaves and the
/// tree of the first `new_size` leaves (RFC 9162 §2.1.4.1 `PROOF(m, D[n])`).
/// Empty when `old_size` is 0 or equals `new_size`.
///
/// # Errors
/// [`ProofGenError::OldSizeExceedsNewSize`]; [`ProofGenError::Read`].
pub fn consistency_proof<R: HashReader + ?Sized>(
    reader: &R,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofGenError<R::Error>> {
    if old_size > new_size {
        return Err(ProofGenError::OldSizeExceedsNewSize { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[lo:hi], b), unrolled; the recursion appends after the
    // recursive call, so collect top-down and reverse.
    let mut proof = Vec::with_capacity(64);
    let (mut lo, mut hi, mut m, mut complete) = (0u64, new_size, old_size, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                proof.push(range_hash(reader, lo, hi).map_err(ProofGenError::Read)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push(range_hash(reader, lo + k, hi).map_err(ProofGenError::Read)?);
            hi = lo + k;
        } else {
            proof.push(range_hash(reader, lo, lo + k).map_err(ProofGenError::Read)?);
            lo += k;
            m -= k;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Why an inclusion proof was rejected (RFC 9162 §2.1.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InclusionError {
    /// `index ≥ size`: no such leaf in the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// Leaf index claimed.
        index: u64,
        /// Tree size claimed.
        size: u64,
    },
    /// The proof does not have the number of hashes that `(index, size)` implies.
    #[error("inclusion proof has {got} hashes, expected {expected} for this index and size")]
    WrongProofLength {
        /// Hashes expected.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The root computed from the leaf hash and the proof differs from the given root.
    #[error("root computed from the inclusion proof does not match the tree root")]
    RootMismatch {
        /// Root computed from the proof.
        computed: Hash,
        /// Root that was expected.
        expected: Hash,
    },
}

/// Number of hashes in a valid inclusion proof for `index` in a tree of `size`
/// (`index < size`).
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = decomp_inclusion(index, size);
    inner + border
}

fn decomp_inclusion(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = if inner >= 64 {
        0
    } else {
        (index >> inner).count_ones() as usize
    };
    (inner, border)
}

/// Computes the root implied by an inclusion proof for `leaf` at `index` in a
/// tree of `size` (RFC 9162 §2.1.3.2 steps 1–4).
///
/// # Errors
/// [`InclusionError::IndexOutOfRange`], [`InclusionError::WrongProofLength`].
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, InclusionError> {
    if index >= size {
        return Err(InclusionError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(InclusionError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    let wrong_len = InclusionError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    for p in proof {
        // Defensive: the length check above already rules this out.
        if sn == 0 {
            return Err(wrong_len);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_len);
    }
    Ok(r)
}

/// Verifies that `leaf` (a leaf *hash*) is at `index` in the tree of `size`
/// leaves with root `root` (RFC 9162 §2.1.3.2).
///
/// # Errors
/// One [`InclusionError`] variant per failed check.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), InclusionError> {
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    if &computed != root {
        return Err(InclusionError::RootMismatch {
            computed,
            expected: *root,
        });
    }
    Ok(())
}

/// Why a consistency proof was rejected (RFC 9162 §2.1.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConsistencyError {
    /// The old tree is larger than the new one.
    #[error("old tree size {old_size} exceeds new tree size {new_size}")]
    OldSizeExceedsNewSize {
        /// Older (first) tree size.
        old_size: u64,
        /// Newer (second) tree size.
        new_size: u64,
    },
    /// Equal sizes (or an empty old tree) need an empty proof, but one was given.
    #[error(
        "a consistency proof from size {old_size} to {new_size} must be empty, got {got} hashes"
    )]
    ProofNotEmpty {
        /// Older tree size.
        old_size: u64,
        /// Newer tree size.
        new_size: u64,
        /// Hashes given.
        got: usize,
    },
    /// Equal sizes but different roots: the log forked.
    #[error("trees of equal size {size} have different roots")]
    EqualSizeRootsDiffer {
        /// The common size.
        size: u64,
    },
    /// The proof does not have the number of hashes the two sizes imply.
    #[error("consistency proof has {got} hashes, expected {expected} for these sizes")]
    WrongProofLength {
        /// Hashes expected.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The proof does not reproduce the old root.
    #[error("consistency proof does not reproduce the old root")]
    OldRootMismatch {
        /// Root computed from the proof.
        computed: Hash,
        /// Old root given.
        expected: Hash,
    },
    /// The proof reproduces the old root but not the new one.
    #[error("consistency proof does not reproduce the new root")]
    NewRootMismatch {
        /// Root computed from the proof.
        computed: Hash,
        /// New root given.
        expected: Hash,
    },
}

/// Number of hashes in a valid consistency proof from `old_size` to
/// `new_size` (`0 < old_size < new_size`).
pub fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    let (inner, border) = decomp_inclusion(old_size - 1, new_size);
    let shift = old_size.trailing_zeros() as usize;
    let start = usize::from(!old_size.is_power_of_two());
    start + inner - shift + border
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a
/// prefix of the tree of `new_size` leaves with root `new_root`
/// (RFC 9162 §2.1.4.2). Sizes `0 → n` are always consistent (empty proof).
///
/// # Errors
/// One [`ConsistencyError`] variant per failed check.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ConsistencyError> {
    if old_size > new_size {
        return Err(ConsistencyError::OldSizeExceedsNewSize { old_size, new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(ConsistencyError::ProofNotEmpty {
                old_size,
                new_size,
                got: proof.len(),
            });
        }
        if old_size == new_size && old_root != new_root {
            return Err(ConsistencyError::EqualSizeRootsDiffer { size: old_size });
        }
        return Ok(());
    }
    let expected = consistency_proof_len(old_size, new_size);
    if proof.len() != expected {
        return Err(ConsistencyError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    // Step 2: if old_size is a power of two, the old root is the first node.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof.iter());
    // Steps 3–4.
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5 (path is non-empty: the length check guarantees ≥ 1 element).
    let (mut fr, mut sr) = (*path[0], *path[0]);
    // Step 6.
    let wrong_len = ConsistencyError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    for c in &path[1..] {
        // Defensive: the length check above already rules this out.
        if sn == 0 {
            return Err(wrong_len);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_len);
    }
    if &fr != old_root {
        return Err(ConsistencyError::OldRootMismatch {
            computed: fr,
            expected: *old_root,
        });
    }
    if &sr != new_root {
        return Err(ConsistencyError::NewRootMismatch {
            computed: sr,
            expected: *new_root,
        });
    }
    Ok(())
}
