//! C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>): tile paths, hash tiles,
//! entry bundles, and a [`HashReader`] over fetched tiles so that a client
//! recomputes roots and proofs from tiles alone. Pure: callers fetch and serve.
//!
//! Spec text read: C2SP/C2SP `tlog-tiles.md@0ad71eb1f1b9`.
//!
//! * `tile/<L>/<N>[.p/<W>]`: level `L` (0–63), index `N` in zero-padded
//!   3-digit path elements, all but the last prefixed with `x`
//!   (1234067 → `x001/x234/067`), width `W` (1–255) for partial tiles. Tile
//!   `n` at level `l` holds `MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])`
//!   for `i` in `0..W`: the complete-subtree hashes at Merkle height `8·l`.
//! * `tile/entries/<N>[.p/<W>]`: entry bundles, each entry a big-endian `u16`
//!   length then the entry bytes.
//! * The partial tile at level `l` of a tree of size `s` has
//!   `floor(s / 256^l) mod 256` hashes; empty tiles do not exist.

use std::fmt;

use thiserror::Error;

use crate::merkle::{root_from_leaf_hashes, Hash, HashReader, HASH_SIZE};

/// Hashes in a full tile (and entries in a full bundle).
pub const TILE_WIDTH: u64 = 256;
/// Tree levels covered by one tile level (log₂ [`TILE_WIDTH`]).
pub const TILE_HEIGHT: u8 = 8;
/// Highest tile level allowed in paths.
pub const MAX_LEVEL: u8 = 63;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// Merkle tree hashes at tile level `0..=63` (`tile/<L>/…`).
    Hashes(u8),
    /// An entry bundle (`tile/entries/…`).
    Entries,
}

/// A tile or entry bundle: kind, index and width (1–256; < 256 is partial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Hash tile (with its level) or entry bundle.
    pub kind: TileKind,
    /// Index of the tile within its level.
    pub index: u64,
    /// Number of hashes (entries), 1 to 256.
    pub width: u16,
}

/// Why a tile path is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TilePathError {
    /// The path does not start with `tile/`.
    #[error("tile path must start with 'tile/'")]
    NotATilePath,
    /// The level is not a decimal 0–63 without leading zeroes.
    #[error("invalid tile level {0:?} (decimal 0-63, no leading zeroes)")]
    InvalidLevel(String),
    /// The index is not in `x###/…/###` form or overflows `u64`.
    #[error("invalid tile index {0:?} (zero-padded 3-digit elements, all but the last prefixed with 'x')")]
    InvalidIndex(String),
    /// The width after `.p/` is not a decimal 1–255 without leading zeroes.
    #[error("invalid partial tile width {0:?} (decimal 1-255, no leading zeroes)")]
    InvalidWidth(String),
}

/// Encodes a tile index as path elements: `1234067` → `x001/x234/067`,
/// `5` → `005`.
pub fn encode_index(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

fn parse_index(elems: &[&str]) -> Option<u64> {
    let (last, init) = elems.split_last()?;
    let mut n: u64 = 0;
    for (i, e) in init
        .iter()
        .map(|e| e.strip_prefix('x'))
        .chain([Some(*last)])
        .enumerate()
    {
        let e = e?;
        if e.len() != 3 || !e.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // A leading `x000` element would give a second encoding of the same index.
        if i == 0 && !init.is_empty() && e == "000" {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(e.parse::<u64>().ok()?)?;
    }
    Some(n)
}

fn canonical_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl TileId {
    /// A full hash tile.
    pub fn hashes(level: u8, index: u64) -> Self {
        Self {
            kind: TileKind::Hashes(level),
            index,
            width: TILE_WIDTH as u16,
        }
    }

    /// Whether the tile is partial (fewer than 256 hashes or entries).
    pub fn is_partial(&self) -> bool {
        u64::from(self.width) < TILE_WIDTH
    }

    /// The path relative to the log prefix, e.g. `tile/0/x001/x234/067.p/8`.
    pub fn path(&self) -> String {
        let kind = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut p = format!("tile/{kind}/{}", encode_index(self.index));
        if self.is_partial() {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// Parses a path made by [`TileId::path`], strictly.
    ///
    /// # Errors
    /// The [`TilePathError`] of the first rule broken.
    pub fn parse(path: &str) -> Result<Self, TilePathError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(TilePathError::NotATilePath)?;
        let (kind, rest) = rest.split_once('/').ok_or(TilePathError::NotATilePath)?;
        let kind = if kind == "entries" {
            TileKind::Entries
        } else {
            match canonical_decimal(kind) {
                Some(l) if l <= u64::from(MAX_LEVEL) => TileKind::Hashes(l as u8),
                _ => return Err(TilePathError::InvalidLevel(kind.to_owned())),
            }
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => match canonical_decimal(w) {
                Some(w) if (1..TILE_WIDTH).contains(&w) => (i, w as u16),
                _ => return Err(TilePathError::InvalidWidth(w.to_owned())),
            },
            None => (rest, TILE_WIDTH as u16),
        };
        let elems: Vec<&str> = index_part.split('/').collect();
        let index = parse_index(&elems)
            .ok_or_else(|| TilePathError::InvalidIndex(index_part.to_owned()))?;
        Ok(Self { kind, index, width })
    }

    /// Whether this tile exists (is servable) for a tree of `size` entries:
    /// a full tile lies entirely inside the tree; a partial tile is the
    /// rightmost one at its level, with exactly the width that size implies.
    pub fn exists_in(&self, size: u64) -> bool {
        let level = match self.kind {
            TileKind::Hashes(l) => l,
            TileKind::Entries => 0,
        };
        let n = nodes_at_level(size, level);
        let full = n / TILE_WIDTH;
        if self.is_partial() {
            self.index == full && n % TILE_WIDTH == u64::from(self.width)
        } else {
            self.index < full
        }
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// Number of complete subtrees at tile level `level` in a tree of `size`:
/// `floor(size / 256^level)`.
fn nodes_at_level(size: u64, level: u8) -> u64 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    if shift >= 64 {
        0
    } else {
        size >> shift
    }
}

/// The width of hash tile `(level, index)` in a tree of `size` entries, the
/// largest it can be (256 when full); `None` if the tile is empty.
pub fn tile_width(level: u8, index: u64, size: u64) -> Option<u16> {
    let n = nodes_at_level(size, level);
    let start = index.checked_mul(TILE_WIDTH)?;
    if start >= n {
        return None;
    }
    Some((n - start).min(TILE_WIDTH) as u16)
}

/// The partial tiles (hash tiles at every level, then the entry bundle) of a
/// tree of `size` entries: what a log must serve for that checkpoint in
/// addition to the full tiles.
pub fn partial_tiles(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    for level in 0..=MAX_LEVEL {
        let n = nodes_at_level(size, level);
        if n == 0 {
            break;
        }
        if n % TILE_WIDTH != 0 {
            out.push(TileId {
                kind: TileKind::Hashes(level),
                index: n / TILE_WIDTH,
                width: (n % TILE_WIDTH) as u16,
            });
        }
    }
    if size % TILE_WIDTH != 0 {
        out.push(TileId {
            kind: TileKind::Entries,
            index: size / TILE_WIDTH,
            width: (size % TILE_WIDTH) as u16,
        });
    }
    out
}

/// The body of hash tile `tile` (its `width` hashes, 32 bytes each) read from
/// `reader`; the caller checks [`TileId::exists_in`] first.
///
/// # Errors
/// Whatever the reader reports; `tile` must be a hash tile.
pub fn hash_tile_body<R: HashReader + ?Sized>(
    reader: &R,
    tile: TileId,
) -> Result<Vec<u8>, R::Error> {
    let level = match tile.kind {
        TileKind::Hashes(l) => l,
        TileKind::Entries => 0,
    };
    let height = level.saturating_mul(TILE_HEIGHT);
    let mut body = Vec::with_capacity(usize::from(tile.width) * HASH_SIZE);
    for i in 0..u64::from(tile.width) {
        body.extend_from_slice(&reader.node_hash(height, tile.index * TILE_WIDTH + i)?);
    }
    Ok(body)
}

/// An entry bundle: each entry as a big-endian `u16` length and its bytes.
///
/// # Errors
/// [`BundleError::EntryTooLarge`] for an entry over 65,535 bytes.
pub fn entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| BundleError::EntryTooLarge { entry: i })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Why an entry bundle is malformed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BundleError {
    /// An entry longer than a `u16` length can say.
    #[error("entry {entry} is longer than 65,535 bytes")]
    EntryTooLarge {
        /// Position in the bundle.
        entry: usize,
    },
    /// The bundle ends inside an entry.
    #[error("entry bundle is truncated inside entry {entry}")]
    Truncated {
        /// Position in the bundle.
        entry: usize,
    },
}

/// Splits an entry bundle into its entries.
///
/// # Errors
/// [`BundleError::Truncated`].
pub fn parse_entry_bundle(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, BundleError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let entry = out.len();
        let (hdr, rest) = bytes
            .split_first_chunk::<2>()
            .ok_or(BundleError::Truncated { entry })?;
        let len = usize::from(u16::from_be_bytes(*hdr));
        if rest.len() < len {
            return Err(BundleError::Truncated { entry });
        }
        out.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Ok(out)
}

/// Why a [`TileReader`] could not give a hash.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TileReadError {
    /// The subtree is not inside the tree of the reader's size.
    #[error("no complete subtree at height {height}, index {index} in a tree of size {size}")]
    OutsideTree {
        /// Merkle height asked for.
        height: u8,
        /// Index at that height.
        index: u64,
        /// The reader's tree size.
        size: u64,
    },
    /// The tile could not be fetched.
    #[error("{0} is unavailable")]
    Unavailable(String),
    /// The tile body has the wrong length.
    #[error("tile {path} has {got} bytes, expected {expected}")]
    WrongLength {
        /// Tile path.
        path: String,
        /// Bytes received.
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
}

/// A [`HashReader`] for a tree of `size` entries over tiles fetched by a
/// closure (by path, e.g. over HTTP): node `(h, j)` comes from tile level
/// `h / 8`, hashed up `h mod 8` levels. With [`crate::merkle::root`] and the
/// proof functions, a client recomputes the checkpoint root and proofs from
/// tiles alone.
pub struct TileReader<F> {
    size: u64,
    fetch: F,
}

impl<F: Fn(&TileId) -> Option<Vec<u8>>> TileReader<F> {
    /// A reader for the tree of `size` entries.
    pub fn new(size: u64, fetch: F) -> Self {
        Self { size, fetch }
    }
}

impl<F> fmt::Debug for TileReader<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TileReader")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&TileId) -> Option<Vec<u8>>> HashReader for TileReader<F> {
    type Error = TileReadError;

    fn node_hash(&self, height: u8, index: u64) -> Result<Hash, TileReadError> {
        let outside = TileReadError::OutsideTree {
            height,
            index,
            size: self.size,
        };
        let level = height / TILE_HEIGHT;
        let up = u32::from(height % TILE_HEIGHT);
        let count = 1u64 << up;
        let first = index.checked_mul(count).ok_or(outside.clone())?;
        let tile_index = first / TILE_WIDTH;
        let width = tile_width(level, tile_index, self.size).ok_or(outside.clone())?;
        let offset = first % TILE_WIDTH;
        if offset + count > u64::from(width) {
            return Err(outside);
        }
        let tile = TileId {
            kind: TileKind::Hashes(level),
            index: tile_index,
            width,
        };
        let body = (self.fetch)(&tile).ok_or_else(|| TileReadError::Unavailable(tile.path()))?;
        let expected = usize::from(width) * HASH_SIZE;
        if body.len() != expected {
            return Err(TileReadError::WrongLength {
                path: tile.path(),
                got: body.len(),
                expected,
            });
        }
        let hashes: Vec<Hash> = body
            [offset as usize * HASH_SIZE..(offset + count) as usize * HASH_SIZE]
            .chunks_exact(HASH_SIZE)
            .map(|c| {
                let mut h = [0u8; HASH_SIZE];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Ok(root_from_leaf_hashes(&hashes))
    }
}
