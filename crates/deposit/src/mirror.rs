//! A second durable copy of the deposit log: [`LogMirror`], and its
//! PostgreSQL implementation [`PgLogMirror`].
//!
//! The mirror holds every integrated entry (index, RFC 6962 leaf hash,
//! canonical entry bytes) and every checkpoint note, with the witness
//! cosignatures as they are collected. [`crate::DepositService`] writes a
//! batch to the mirror inside [`qiantang_ledger::log::Log::integrate_with`]:
//! after the files' fsync and before the checkpoint file is written, so an
//! acknowledged deposit is in both places. At open the service reconciles
//! the two copies (see [`crate::service`]): it backfills a mirror that is
//! behind, restores the files from a mirror that is ahead (after checking the
//! tree root against the mirror's checkpoint signature), and refuses to start
//! when they differ at some index.

use std::sync::{Mutex, PoisonError};

use postgres::{Client, NoTls};
use thiserror::Error;

use qiantang_ledger::merkle::Hash;

/// A mirror operation failed (the message never contains the database URL).
#[derive(Debug, Clone, Error)]
#[error("{0}")]
pub struct MirrorError(pub String);

/// One mirrored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredEntry {
    /// Entry index.
    pub index: u64,
    /// The leaf hash stored with it.
    pub leaf_hash: Hash,
    /// The canonical entry bytes.
    pub bytes: Vec<u8>,
}

/// A durable copy of the log's entries and checkpoints.
pub trait LogMirror: Send + Sync {
    /// Stores `entries` (bytes, leaf hash) at indices `first_index..`, and
    /// `checkpoint_note` (when given) as the note for its size, atomically.
    /// An index already present is an error (the mirror is append-only).
    ///
    /// # Errors
    /// Backend errors, an index already present.
    fn append(
        &self,
        first_index: u64,
        entries: &[(Vec<u8>, Hash)],
        checkpoint_note: Option<&str>,
    ) -> Result<(), MirrorError>;

    /// Stores `note` as the note of its checkpoint size, replacing the one
    /// stored for that size (the same checkpoint with more cosignatures).
    ///
    /// # Errors
    /// Backend errors, a note that is not a checkpoint.
    fn save_checkpoint(&self, note: &str) -> Result<(), MirrorError>;

    /// One past the highest mirrored index (0 when empty).
    ///
    /// # Errors
    /// Backend errors.
    fn size(&self) -> Result<u64, MirrorError>;

    /// The mirrored entries with `from ≤ index < to`, in index order (an
    /// index missing from the result is missing from the mirror).
    ///
    /// # Errors
    /// Backend errors.
    fn entries(&self, from: u64, to: u64) -> Result<Vec<MirroredEntry>, MirrorError>;

    /// Entry `index`, if mirrored.
    ///
    /// # Errors
    /// Backend errors.
    fn entry(&self, index: u64) -> Result<Option<MirroredEntry>, MirrorError> {
        Ok(self.entries(index, index.saturating_add(1))?.pop())
    }

    /// The note of the largest mirrored checkpoint.
    ///
    /// # Errors
    /// Backend errors.
    fn checkpoint(&self) -> Result<Option<String>, MirrorError>;
}

/// Names of the mirror's tables.
pub const PG_ENTRIES_TABLE: &str = "deposit_log_entries";
/// See [`PG_ENTRIES_TABLE`].
pub const PG_CHECKPOINTS_TABLE: &str = "deposit_log_checkpoints";

/// The server's message (or the connection error's causes), never the URL.
fn pg_detail(op: &str, e: &postgres::Error) -> MirrorError {
    if let Some(d) = e.as_db_error() {
        return MirrorError(format!(
            "PostgreSQL mirror: {op}: {} ({})",
            d.message(),
            d.code().code()
        ));
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    MirrorError(format!("PostgreSQL mirror: {op}: {msg}"))
}

fn to_i64(v: u64) -> Result<i64, MirrorError> {
    i64::try_from(v).map_err(|_| MirrorError(format!("index {v} out of range")))
}

/// The log mirror in PostgreSQL: tables `deposit_log_entries` (idx,
/// leaf_hash, entry) and `deposit_log_checkpoints` (size, note) in the
/// connection's `search_path`. The tables belong to the store's schema
/// migrations (`qiantang_store::postgres::migrate`, also run by opening the
/// store); the mirror only checks at connect that they exist. One
/// connection, reconnected when it breaks; the service serialises its
/// writes anyway.
pub struct PgLogMirror {
    config: postgres::Config,
    client: Mutex<Option<Client>>,
}

impl std::fmt::Debug for PgLogMirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLogMirror")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

impl PgLogMirror {
    /// Connects to `url` (`postgres://…`, without TLS like the store) and
    /// checks that the mirror tables exist.
    ///
    /// # Errors
    /// An invalid URL, connection and SQL errors; missing tables (the
    /// store's migrations have not run on this database yet).
    pub fn connect(url: &str) -> Result<Self, MirrorError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| pg_detail("parsing the database URL", &e))?;
        let m = Self {
            config,
            client: Mutex::new(None),
        };
        m.with(|c| {
            let row = c
                .query_one(
                    "SELECT to_regclass($1)::TEXT IS NOT NULL, to_regclass($2)::TEXT IS NOT NULL",
                    &[&PG_ENTRIES_TABLE, &PG_CHECKPOINTS_TABLE],
                )
                .map_err(|e| pg_detail("looking for the mirror tables", &e))?;
            let found: (bool, bool) = (row.get(0), row.get(1));
            if found != (true, true) {
                return Err(MirrorError(format!(
                    "PostgreSQL mirror: tables {PG_ENTRIES_TABLE} and {PG_CHECKPOINTS_TABLE} are \
                     missing: they are created by the store's migrations (open the store, or \
                     qiantang_store::postgres::migrate, on this database first)"
                )));
            }
            Ok(())
        })?;
        Ok(m)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, MirrorError>,
    ) -> Result<T, MirrorError> {
        let mut guard = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.as_ref().is_none_or(Client::is_closed) {
            *guard = Some(
                self.config
                    .connect(NoTls)
                    .map_err(|e| pg_detail("connecting", &e))?,
            );
        }
        let client = guard
            .as_mut()
            .ok_or_else(|| MirrorError("no connection".into()))?;
        f(client)
    }
}

fn checkpoint_size(note: &str) -> Result<i64, MirrorError> {
    let n = qiantang_ledger::SignedNote::parse(note.as_bytes())
        .map_err(|e| MirrorError(format!("not a signed note: {e}")))?;
    let cp = qiantang_ledger::checkpoint::Checkpoint::parse(&n.text)
        .map_err(|e| MirrorError(format!("not a checkpoint: {e}")))?;
    to_i64(cp.size)
}

const UPSERT_CHECKPOINT: &str = "INSERT INTO deposit_log_checkpoints (size, note) VALUES ($1, $2) \
     ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note, updated_at = now()";

impl LogMirror for PgLogMirror {
    fn append(
        &self,
        first_index: u64,
        entries: &[(Vec<u8>, Hash)],
        checkpoint_note: Option<&str>,
    ) -> Result<(), MirrorError> {
        let size = checkpoint_note.map(checkpoint_size).transpose()?;
        let first = to_i64(first_index)?;
        let idx: Vec<i64> = (0..entries.len() as i64).map(|i| first + i).collect();
        let hashes: Vec<&[u8]> = entries.iter().map(|(_, h)| &h[..]).collect();
        let bytes: Vec<&[u8]> = entries.iter().map(|(e, _)| e.as_slice()).collect();
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| pg_detail("begin", &e))?;
            if !entries.is_empty() {
                tx.execute(
                    "INSERT INTO deposit_log_entries (idx, leaf_hash, entry) \
                     SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[])",
                    &[&idx, &hashes, &bytes],
                )
                .map_err(|e| pg_detail("inserting entries", &e))?;
            }
            if let (Some(size), Some(note)) = (size, checkpoint_note) {
                tx.execute(UPSERT_CHECKPOINT, &[&size, &note])
                    .map_err(|e| pg_detail("storing the checkpoint", &e))?;
            }
            tx.commit().map_err(|e| pg_detail("commit", &e))
        })
    }

    fn save_checkpoint(&self, note: &str) -> Result<(), MirrorError> {
        let size = checkpoint_size(note)?;
        self.with(|c| {
            c.execute(UPSERT_CHECKPOINT, &[&size, &note])
                .map_err(|e| pg_detail("storing the checkpoint", &e))
                .map(|_| ())
        })
    }

    fn size(&self) -> Result<u64, MirrorError> {
        self.with(|c| {
            let row = c
                .query_one(
                    "SELECT COALESCE(MAX(idx) + 1, 0) FROM deposit_log_entries",
                    &[],
                )
                .map_err(|e| pg_detail("counting entries", &e))?;
            let n: i64 = row.get(0);
            Ok(n.max(0) as u64)
        })
    }

    fn entries(&self, from: u64, to: u64) -> Result<Vec<MirroredEntry>, MirrorError> {
        let (from, to) = (to_i64(from)?, to_i64(to.min(i64::MAX as u64))?);
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT idx, leaf_hash, entry FROM deposit_log_entries \
                     WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                    &[&from, &to],
                )
                .map_err(|e| pg_detail("reading entries", &e))?;
            rows.iter()
                .map(|r| {
                    let index: i64 = r.get(0);
                    let h: &[u8] = r.get(1);
                    let leaf_hash: Hash = h.try_into().map_err(|_| {
                        MirrorError(format!("entry {index}: leaf hash is not 32 bytes"))
                    })?;
                    Ok(MirroredEntry {
                        index: index as u64,
                        leaf_hash,
                        bytes: r.get(2),
                    })
                })
                .collect()
        })
    }

    fn checkpoint(&self) -> Result<Option<String>, MirrorError> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT note FROM deposit_log_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .map_err(|e| pg_detail("reading the checkpoint", &e))?
            .map(|r| r.get(0)))
        })
    }
}
