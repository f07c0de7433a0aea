//! The embedded SQLite backend (WAL journal, foreign keys on).
//!
//! Chapter text lives in the [`BlobDir`]; SQLite holds metadata, the KB and
//! occurrences. One writer connection and a few reader connections; every
//! trait call that writes runs in one `IMMEDIATE` transaction. The queries
//! themselves are shared with PostgreSQL (one SQL layer, module `sql`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use qiantang_kb::StoreError;

use crate::blob::BlobDir;
use crate::migrations::{Migration, MIGRATIONS};
use crate::sql::{Arg, Conn, Db, DbError, Dialect, Row, Store, Value};

/// Number of reader connections next to the writer.
const READERS: usize = 4;

/// SQLite + blob folder store: [`Store`] over [`SqliteDb`]. Implements every
/// domain store trait.
pub type SqliteStore = Store<SqliteDb>;

/// The SQLite database of a [`SqliteStore`]: one writer connection and
/// [`READERS`] reader connections in WAL mode.
pub struct SqliteDb {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
}

fn db(op: &str, e: rusqlite::Error) -> StoreError {
    DbError::from(e).store(op)
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A poisoned lock only means another thread panicked mid-call; the
    // connection itself is still usable (SQLite rolled the transaction back).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| db("busy_timeout", e))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    )
    .map_err(|e| db("pragma", e))
}

impl SqliteStore {
    /// Opens (creating) `dir/qiantang.sqlite3` and `dir/blobs/`, running
    /// pending migrations.
    ///
    /// Errors: [`StoreError::Backend`] when the folder or database cannot be
    /// opened, or the database was written by a newer Qiantang.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Backend(format!("create {}: {e}", dir.display())))?;
        let path = dir.join("qiantang.sqlite3");
        let mut writer = Connection::open(&path).map_err(|e| db("open database", e))?;
        configure(&writer)?;
        migrate(&mut writer)?;
        let mut readers = Vec::new();
        for _ in 0..READERS {
            let c = Connection::open(&path).map_err(|e| db("open database", e))?;
            configure(&c)?;
            readers.push(Mutex::new(c));
        }
        Ok(Store {
            db: SqliteDb {
                writer: Mutex::new(writer),
                readers,
            },
            blobs: BlobDir::open(dir.join("blobs"))?,
        })
    }

    /// Schema version after migrations (SQLite `user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        lock(&self.db.writer)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db("user_version", e))
    }
}

impl SqliteDb {
    fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(g) = r.try_lock() {
                return g;
            }
        }
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::thread::current().id().hash(&mut h);
        let i = (h.finish() as usize) % self.readers.len().max(1);
        match self.readers.get(i) {
            Some(r) => lock(r),
            None => lock(&self.writer),
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| db("user_version", e))?;
    if current as usize > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this Qiantang ({}); upgrade Qiantang",
            MIGRATIONS.len()
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i + 1;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin migration", e))?;
        tx.execute_batch(&Migration::sql(m, Dialect::Sqlite))
            .map_err(|e| db(&format!("migration {version}"), e))?;
        tx.pragma_update(None, "user_version", version as u32)
            .map_err(|e| db("set user_version", e))?;
        tx.commit().map_err(|e| db("commit migration", e))?;
        tracing::info!(version, "applied SQLite migration");
    }
    Ok(())
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Null => ValueRef::Null,
            Arg::Int(i) => ValueRef::Integer(i),
            Arg::Bool(b) => ValueRef::Integer(i64::from(b)),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
            Arg::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A SQLite connection (or transaction, through `Deref`) as a [`Conn`].
struct SqliteConn<'a>(&'a Connection);

impl Conn for SqliteConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query_raw(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError> {
        let mut st = self.0.prepare_cached(sql)?;
        let width = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(width);
            for i in 0..width {
                vals.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(
                        std::str::from_utf8(t)
                            .map_err(|e| DbError::Decode(format!("column {i}: {e}")))?
                            .to_string(),
                    ),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn execute_raw(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(args))? as u64)
    }
}

impl Db for SqliteDb {
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let c = self.reader();
        f(&mut SqliteConn(&c))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate);
        in_transaction(tx, f)
    }

    fn snapshot<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let c = self.reader();
        // A deferred transaction that only reads keeps one WAL snapshot.
        in_transaction(c.unchecked_transaction(), f)
    }
}

/// Runs `f` in the transaction just begun (`tx`), committing when it returns
/// `Ok`; dropping the transaction on an error rolls it back.
fn in_transaction<T>(
    tx: rusqlite::Result<rusqlite::Transaction<'_>>,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = tx.map_err(|e| db("begin", e))?;
    let v = f(&mut SqliteConn(&tx))?;
    tx.commit().map_err(|e| db("commit", e))?;
    Ok(v)
}
