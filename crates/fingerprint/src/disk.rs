//! On-disk postings for the containment index, in a [redb](https://www.redb.org) file (pure-Rust
//! embedded B-tree store with ACID transactions; feature `disk`).
//!
//! Tables:
//!
//! * `postings`: key `(hash u32, chapter u32, location u32)`, no value — one B-tree entry per
//!   posting, so a lookup is one range scan and adding or dropping a chapter touches only its
//!   own entries.
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

const POSTINGS: TableDefinition<(u32, u32, u32), ()> = TableDefinition::new("postings");
const CHAPTERS: TableDefinition<u32, (u64, u32, u32, u32)> = TableDefinition::new("chapters");
const REFS: TableDefinition<(u64, u32), u32> = TableDefinition::new("refs");
const REMOVED: TableDefinition<u32, ()> = TableDefinition::new("removed");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Version of the table layout above, stored in `meta`.
pub const DISK_FORMAT: u64 = 1;

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
        let (next, removed, live) = {
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
            let removed_t = txn.open_table(REMOVED).map_err(store)?;
            let mut removed = HashSet::new();
            for e in removed_t.iter().map_err(store)? {
                removed.insert(e.map_err(store)?.0.value());
            }
            let chapters = txn.open_table(CHAPTERS).map_err(store)?;
            let total = chapters.len().map_err(store)? as usize;
            txn.open_table(POSTINGS).map_err(store)?;
            txn.open_table(REFS).map_err(store)?;
            (next, removed, total)
        };
        txn.commit().map_err(store)?;
        Ok(Self {
            db,
            removed,
            next,
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
        {
            let mut refs = txn.open_table(REFS).map_err(store)?;
            let mut chapters = txn.open_table(CHAPTERS).map_err(store)?;
            let mut postings = txn.open_table(POSTINGS).map_err(store)?;
            let mut sorted: Vec<(u32, u32, u32)> = Vec::new();
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
                sorted.extend(ps.iter().map(|&(h, loc)| (h, next, loc)));
                next += 1;
            }
            sorted.sort_unstable();
            for key in sorted {
                postings.insert(key, ()).map_err(store)?;
            }
            let mut meta = txn.open_table(META).map_err(store)?;
            meta.insert("next", u64::from(next)).map_err(store)?;
        }
        txn.commit().map_err(store)?;
        self.live += (next - self.next) as usize;
        self.next = next;
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
        let postings = txn.open_table(POSTINGS).map_err(store)?;
        let mut buf: Vec<Posting> = Vec::new();
        for (i, &h) in hashes.iter().enumerate() {
            buf.clear();
            let mut too_many = false;
            for e in postings
                .range((h, 0u32, 0u32)..=(h, u32::MAX, u32::MAX))
                .map_err(store)?
            {
                let (_, c, loc) = e.map_err(store)?.0.value();
                if buf.len() >= max_df {
                    too_many = true;
                    break;
                }
                buf.push((c, loc));
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
        if !self.removed.is_empty() {
            let removed = &self.removed;
            let mut postings = txn.open_table(POSTINGS).map_err(store)?;
            postings
                .retain(|(_, c, _), ()| !removed.contains(&c))
                .map_err(store)?;
            let mut r = txn.open_table(REMOVED).map_err(store)?;
            r.retain(|_, ()| false).map_err(store)?;
        }
        txn.commit().map_err(store)?;
        self.removed.clear();
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
