//! On-disk postings for the containment index, in a [redb](https://www.redb.org) file (pure-Rust
//! embedded B-tree store with ACID transactions; feature `disk`).
//!
//! Tables:
//!
//! * `postings_a` / `postings_b` (one of them active, named in `meta`): key `(bucket u32,
//!   segment u32)`, value a blob of 12-byte records `(hash, chapter, location)` (u32 LE each)
//!   sorted by hash, where `bucket` is the top [`BUCKET_BITS`] bits of the hash. Each
//!   [`PostingBackend::add_batch`] writes one new segment (one blob per bucket it touches); a
//!   lookup reads the blobs of one bucket (one per segment) and binary-searches them.
//!   [`PostingBackend::compact`] rewrites every bucket as one blob in the other table (dropping
//!   removed chapters) and deletes the old one. Measured: the first layout, one B-tree entry
//!   per posting, took ≈ 72 bytes per posting on disk (2 GB for 10⁵ chapters); a compacted blob
//!   costs 12 bytes per posting plus one B-tree entry per bucket.
//! * `chapters`: internal number → `(work, chapter, chars, normalized)`.
//! * `refs`: `(work, chapter)` → internal number (ordered: the chapters of a work are a range).
//! * `removed`: internal numbers of removed chapters whose postings are not yet dropped
//!   (tombstones; kept in memory too and filtered at lookup).
//! * `meta`: format version, `k`, `w`, next internal number.
//!
//! Memory: the tombstone set plus redb's page cache, whose size the caller sets
//! ([`RedbBackend::open`]); everything else is on disk. Rebuild path: create a new file, add all
//! chapters with [`crate::ContainmentIndex::add_many`] in batches, then swap files.

use std::collections::HashSet;
use std::path::Path;

use redb::{Database, Durability, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::containment::{
    ChapterPostings, ChapterRef, ChapterStats, ContainmentIndex, Posting, PostingBackend,
};
use crate::winnow::WinnowParams;
use crate::Error;

const POSTINGS_A: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("postings_a");
const POSTINGS_B: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("postings_b");
const CHAPTERS: TableDefinition<u32, (u64, u32, u32, u32)> = TableDefinition::new("chapters");
const REFS: TableDefinition<(u64, u32), u32> = TableDefinition::new("refs");
const REMOVED: TableDefinition<u32, ()> = TableDefinition::new("removed");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Version of the table layout above, stored in `meta`.
pub const DISK_FORMAT: u64 = 2;

/// Hash bits that select a bucket: 2²⁰ buckets. At 10⁶ chapters of ~3,000 characters
/// (≈ 3·10⁸ postings) a compacted bucket holds ≈ 280 postings (3.4 KB); at 10⁷ ≈ 2,800 (33 KB).
pub const BUCKET_BITS: u32 = 20;

fn bucket(hash: u32) -> u32 {
    hash >> (32 - BUCKET_BITS)
}

fn postings_table(active: u64) -> TableDefinition<'static, (u32, u32), &'static [u8]> {
    if active == 0 {
        POSTINGS_A
    } else {
        POSTINGS_B
    }
}

fn encode(records: &[[u32; 3]], out: &mut Vec<u8>) {
    out.clear();
    for r in records {
        for v in r {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn record(blob: &[u8], i: usize) -> [u32; 3] {
    let at = |j: usize| -> u32 {
        let b = blob
            .get(i * 12 + j * 4..i * 12 + j * 4 + 4)
            .unwrap_or(&[0, 0, 0, 0]);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    };
    [at(0), at(1), at(2)]
}

/// Records of `blob` (sorted by hash) whose hash is `h`: a binary search, then a scan.
fn blob_range(blob: &[u8], h: u32) -> std::ops::Range<usize> {
    let n = blob.len() / 12;
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if record(blob, mid)[0] < h {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut end = lo;
    while end < n && record(blob, end)[0] == h {
        end += 1;
    }
    lo..end
}

/// Default redb page cache: 256 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 256 << 20;

fn store<E: std::fmt::Display>(e: E) -> Error {
    Error::Store(e.to_string())
}

/// Postings in a redb file.
pub struct RedbBackend {
    db: Database,
    removed: HashSet<u32>,
    next: u32,
    active: u64,
    next_segment: u32,
    live: usize,
    durable: bool,
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBackend")
            .field("live", &self.live)
            .field("next", &self.next)
            .field("removed", &self.removed.len())
            .finish()
    }
}

impl RedbBackend {
    /// Opens (or creates) the store at `path` with a page cache of `cache_bytes`. A new file
    /// records `params`; an existing one must have been made with the same `k` and `w`
    /// ([`Error::Store`] otherwise, also for I/O errors and corrupt files).
    pub fn open(path: &Path, params: WinnowParams, cache_bytes: usize) -> Result<Self, Error> {
        params.check()?;
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(store)?;
        let txn = db.begin_write().map_err(store)?;
        let (next, removed, live, active, next_segment) = {
            let mut meta = txn.open_table(META).map_err(store)?;
            let get = |m: &redb::Table<&str, u64>, k: &str| -> Result<Option<u64>, Error> {
                Ok(m.get(k).map_err(store)?.map(|v| v.value()))
            };
            match (get(&meta, "format")?, get(&meta, "k")?, get(&meta, "w")?) {
                (None, _, _) => {
                    meta.insert("format", DISK_FORMAT).map_err(store)?;
                    meta.insert("k", params.k as u64).map_err(store)?;
                    meta.insert("w", params.w as u64).map_err(store)?;
                    meta.insert("next", 0).map_err(store)?;
                    meta.insert("active", 0).map_err(store)?;
                    meta.insert("next_segment", 0).map_err(store)?;
                }
                (Some(f), k, w) => {
                    if f != DISK_FORMAT {
                        return Err(Error::Store(format!("unsupported format {f}")));
                    }
                    if k != Some(params.k as u64) || w != Some(params.w as u64) {
                        return Err(Error::Store(format!(
                            "store made with k = {k:?}, w = {w:?}; asked for k = {}, w = {}",
                            params.k, params.w
                        )));
                    }
                }
            }
            let next = get(&meta, "next")?.unwrap_or(0) as u32;
            let active = get(&meta, "active")?.unwrap_or(0);
            let next_segment = get(&meta, "next_segment")?.unwrap_or(0) as u32;
            let removed_t = txn.open_table(REMOVED).map_err(store)?;
            let mut removed = HashSet::new();
            for e in removed_t.iter().map_err(store)? {
                removed.insert(e.map_err(store)?.0.value());
            }
            let chapters = txn.open_table(CHAPTERS).map_err(store)?;
            let total = chapters.len().map_err(store)? as usize;
            txn.open_table(postings_table(active)).map_err(store)?;
            txn.open_table(REFS).map_err(store)?;
            (next, removed, total, active, next_segment)
        };
        txn.commit().map_err(store)?;
        Ok(Self {
            db,
            removed,
            next,
            active,
            next_segment,
            live,
            durable: true,
        })
    }

    /// Whether each write transaction is flushed to disk before returning (default true). With
    /// `false` a crash can lose the latest batches (never corrupt the file), but redb frees the
    /// pages replaced by non-durable commits only at the next durable one, so the file grows
    /// quickly (measured: 8.6 GB before 10⁵ chapters were loaded); keep it for short bursts and
    /// end them with [`PostingBackend::compact`], which commits durably.
    pub fn set_durable(&mut self, durable: bool) {
        self.durable = durable;
    }
}

impl PostingBackend for RedbBackend {
    fn add_batch(&mut self, batch: &[ChapterPostings]) -> Result<(), Error> {
        if self.next as usize + batch.len() > u32::MAX as usize {
            return Err(Error::IndexFull);
        }
        let mut txn = self.db.begin_write().map_err(store)?;
        if !self.durable {
            txn.set_durability(Durability::None);
        }
        let mut next = self.next;
        let segment = self.next_segment;
        if segment == u32::MAX {
            return Err(Error::Store(
                "2^32 segments written: run compact() first".to_owned(),
            ));
        }
        {
            let mut refs = txn.open_table(REFS).map_err(store)?;
            let mut chapters = txn.open_table(CHAPTERS).map_err(store)?;
            let mut postings = txn.open_table(postings_table(self.active)).map_err(store)?;
            let mut sorted: Vec<[u32; 3]> = Vec::new();
            for (c, stats, ps) in batch {
                if refs.get((c.work, c.chapter)).map_err(store)?.is_some() {
                    drop((refs, chapters, postings));
                    txn.abort().map_err(store)?;
                    return Err(Error::DuplicateChapter {
                        work: c.work,
                        chapter: c.chapter,
                    });
                }
                refs.insert((c.work, c.chapter), next).map_err(store)?;
                chapters
                    .insert(next, (c.work, c.chapter, stats.chars, stats.normalized))
                    .map_err(store)?;
                sorted.extend(ps.iter().map(|&(h, loc)| [h, next, loc]));
                next += 1;
            }
            sorted.sort_unstable();
            let mut blob = Vec::new();
            let mut i = 0;
            while i < sorted.len() {
                let b = bucket(sorted[i][0]);
                let mut j = i;
                while j < sorted.len() && bucket(sorted[j][0]) == b {
                    j += 1;
                }
                encode(&sorted[i..j], &mut blob);
                postings
                    .insert((b, segment), blob.as_slice())
                    .map_err(store)?;
                i = j;
            }
            let mut meta = txn.open_table(META).map_err(store)?;
            meta.insert("next", u64::from(next)).map_err(store)?;
            meta.insert("next_segment", u64::from(segment) + 1)
                .map_err(store)?;
        }
        txn.commit().map_err(store)?;
        self.live += (next - self.next) as usize;
        self.next = next;
        self.next_segment = segment + 1;
        Ok(())
    }

    fn remove(&mut self, chapter: ChapterRef) -> Result<bool, Error> {
        let txn = self.db.begin_write().map_err(store)?;
        let internal = {
            let mut refs = txn.open_table(REFS).map_err(store)?;
            let internal = refs
                .remove((chapter.work, chapter.chapter))
                .map_err(store)?
                .map(|v| v.value());
            if let Some(i) = internal {
                txn.open_table(CHAPTERS)
                    .map_err(store)?
                    .remove(i)
                    .map_err(store)?;
                txn.open_table(REMOVED)
                    .map_err(store)?
                    .insert(i, ())
                    .map_err(store)?;
            }
            internal
        };
        txn.commit().map_err(store)?;
        if let Some(i) = internal {
            self.removed.insert(i);
            self.live = self.live.saturating_sub(1);
        }
        Ok(internal.is_some())
    }

    fn lookup_many(
        &self,
        hashes: &[u32],
        max_df: usize,
        skipped: &mut [bool],
        f: &mut dyn FnMut(usize, Posting),
    ) -> Result<(), Error> {
        let txn = self.db.begin_read().map_err(store)?;
        let postings = txn.open_table(postings_table(self.active)).map_err(store)?;
        let mut buf: Vec<Posting> = Vec::new();
        for (i, &h) in hashes.iter().enumerate() {
            buf.clear();
            let mut too_many = false;
            let b = bucket(h);
            for e in postings.range((b, 0u32)..=(b, u32::MAX)).map_err(store)? {
                let (_, v) = e.map_err(store)?;
                let blob = v.value();
                let r = blob_range(blob, h);
                if buf.len() + r.len() > max_df {
                    too_many = true;
                    break;
                }
                buf.extend(r.map(|k| {
                    let rec = record(blob, k);
                    (rec[1], rec[2])
                }));
            }
            if too_many {
                if let Some(s) = skipped.get_mut(i) {
                    *s = true;
                }
                continue;
            }
            for &p in &buf {
                if !self.removed.contains(&p.0) {
                    f(i, p);
                }
            }
        }
        Ok(())
    }

    fn chapter(&self, internal: u32) -> Result<Option<(ChapterRef, ChapterStats)>, Error> {
        let txn = self.db.begin_read().map_err(store)?;
        let t = txn.open_table(CHAPTERS).map_err(store)?;
        Ok(t.get(internal).map_err(store)?.map(|v| {
            let (work, chapter, chars, normalized) = v.value();
            (
                ChapterRef { work, chapter },
                ChapterStats { chars, normalized },
            )
        }))
    }

    fn chapters_of_work(&self, work: u64) -> Result<Vec<(ChapterRef, ChapterStats)>, Error> {
        let txn = self.db.begin_read().map_err(store)?;
        let refs = txn.open_table(REFS).map_err(store)?;
        let chapters = txn.open_table(CHAPTERS).map_err(store)?;
        let mut out = Vec::new();
        for e in refs.range((work, 0u32)..=(work, u32::MAX)).map_err(store)? {
            let internal = e.map_err(store)?.1.value();
            if let Some(v) = chapters.get(internal).map_err(store)? {
                let (work, chapter, chars, normalized) = v.value();
                out.push((
                    ChapterRef { work, chapter },
                    ChapterStats { chars, normalized },
                ));
            }
        }
        Ok(out)
    }

    fn contains(&self, chapter: ChapterRef) -> Result<bool, Error> {
        let txn = self.db.begin_read().map_err(store)?;
        let refs = txn.open_table(REFS).map_err(store)?;
        Ok(refs
            .get((chapter.work, chapter.chapter))
            .map_err(store)?
            .is_some())
    }

    fn len(&self) -> usize {
        self.live
    }

    fn compact(&mut self) -> Result<(), Error> {
        let txn = self.db.begin_write().map_err(store)?;
        let target = 1 - self.active;
        {
            let src = txn.open_table(postings_table(self.active)).map_err(store)?;
            let mut dst = txn.open_table(postings_table(target)).map_err(store)?;
            let removed = &self.removed;
            let mut current: Option<u32> = None;
            let mut records: Vec<[u32; 3]> = Vec::new();
            let mut blob = Vec::new();
            let mut flush = |b: Option<u32>,
                             records: &mut Vec<[u32; 3]>,
                             dst: &mut redb::Table<(u32, u32), &[u8]>|
             -> Result<(), Error> {
                if let Some(b) = b {
                    if !records.is_empty() {
                        records.sort_unstable();
                        encode(records, &mut blob);
                        dst.insert((b, 0), blob.as_slice()).map_err(store)?;
                    }
                }
                records.clear();
                Ok(())
            };
            for e in src.iter().map_err(store)? {
                let (k, v) = e.map_err(store)?;
                let (b, _) = k.value();
                if current != Some(b) {
                    flush(current, &mut records, &mut dst)?;
                    current = Some(b);
                }
                let blob = v.value();
                for i in 0..blob.len() / 12 {
                    let rec = record(blob, i);
                    if !removed.contains(&rec[1]) {
                        records.push(rec);
                    }
                }
            }
            flush(current, &mut records, &mut dst)?;
            let mut r = txn.open_table(REMOVED).map_err(store)?;
            r.retain(|_, ()| false).map_err(store)?;
            let mut meta = txn.open_table(META).map_err(store)?;
            meta.insert("active", target).map_err(store)?;
            meta.insert("next_segment", 1).map_err(store)?;
        }
        txn.delete_table(postings_table(self.active))
            .map_err(store)?;
        txn.commit().map_err(store)?;
        self.active = target;
        self.next_segment = 1;
        self.removed.clear();
        // Give the pages of the old table back to the file system (redb keeps freed pages for
        // reuse otherwise, and the file never shrinks).
        // The old table's pages are only "pending free" until later commits release them:
        // two empty commits make them free, then redb compacts in passes, each returning
        // whether it moved anything (bounded at 16).
        for _ in 0..2 {
            self.db
                .begin_write()
                .map_err(store)?
                .commit()
                .map_err(store)?;
        }
        for _ in 0..16 {
            if !self.db.compact().map_err(store)? {
                break;
            }
        }
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        16 * self.removed.capacity() + std::mem::size_of::<Self>()
    }
}

/// The containment index with on-disk postings.
pub type DiskIndex = ContainmentIndex<RedbBackend>;

impl DiskIndex {
    /// Opens or creates an on-disk index at `path` with the default winnowing parameters and a
    /// page cache of `cache_bytes` (see [`RedbBackend::open`] for the errors).
    pub fn open_disk(path: &Path, cache_bytes: usize) -> Result<Self, Error> {
        let params = WinnowParams::default();
        ContainmentIndex::new(RedbBackend::open(path, params, cache_bytes)?, params)
    }
}
