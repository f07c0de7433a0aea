//! The PostgreSQL backend: the same traits, queries and semantics as
//! [`crate::SqliteStore`] (both are [`Store`]s over the crate's one SQL layer), for hubs
//! that outgrow one file.
//!
//! Chapter text still lives in a [`BlobDir`] on the local disk; PostgreSQL
//! holds metadata, the KB, occurrences and the tenant model. Every trait call
//! that writes is one transaction; reads run in autocommit mode; errors map
//! to the same [`StoreError`] variants as on SQLite. Statements written with
//! `?N` placeholders are rewritten to `$N` and prepared once per connection.
//!
//! # Blocking
//!
//! The store uses the synchronous [`postgres`] client, which drives its own
//! small Tokio runtime internally. **Never call it directly from async code**
//! (a Tokio worker thread): the client would try to start a runtime inside a
//! runtime and panic. Call it from `tokio::task::spawn_blocking` (as the hub
//! does for every store call) or from plain threads. Dropping the store is
//! safe anywhere: idle connections are closed on a separate thread.
//!
//! # Connections
//!
//! A small pool (at most [`MAX_CONNECTIONS`]) of lazily opened connections;
//! a broken connection is discarded and replaced on the next call. TLS is not
//! built in (`NoTls`): reach the database over a private network or a Unix
//! socket (`postgres://user@%2Frun%2Fpostgresql/db`).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls, Statement};

use qiantang_kb::StoreError;

use crate::blob::BlobDir;
use crate::migrations::{MIGRATIONS, MIGRATION_LOCK_KEY};
use crate::redact_url;
use crate::sql::{to_dollar_placeholders, Arg, Conn, Db, DbError, Dialect, Row, Store, Value};

/// Most connections one [`PostgresStore`] opens at a time.
pub const MAX_CONNECTIONS: usize = 8;

/// How long a call waits for a free connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// Most prepared statements one connection keeps (cleared when full).
const STATEMENT_CACHE: usize = 256;

/// PostgreSQL + blob folder store: [`Store`] over [`PgDb`]. Implements every
/// domain store trait. See the [module docs](self) for the threading rules.
pub type PostgresStore = Store<PgDb>;

/// The PostgreSQL database of a [`PostgresStore`]: a small connection pool.
pub struct PgDb {
    pool: Pool,
}

// ---------------------------------------------------------------------------
// Errors and row access

fn db(op: &str, e: postgres::Error) -> StoreError {
    DbError::from(e).store(op)
}

pub(crate) use crate::sql::pg_detail;

// ---------------------------------------------------------------------------
// Connection pool

/// A pooled connection with its prepared statements (keyed by the SQL as
/// written, before placeholder rewriting).
struct PgClient {
    client: Client,
    statements: HashMap<String, Statement>,
}

struct PoolState {
    idle: Vec<PgClient>,
    open: usize,
}

struct Pool {
    config: Config,
    /// The URL with its password replaced, for messages.
    redacted: String,
    /// The password (decoded), scrubbed from connection error messages.
    secret: Option<String>,
    state: Mutex<PoolState>,
    available: Condvar,
}

/// A connection borrowed from the pool; returned to it on drop.
struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<PgClient>,
}

impl Pooled<'_> {
    fn client(&mut self) -> Result<&mut PgClient, StoreError> {
        // Invariant: `client` is `Some` until `drop`.
        self.client
            .as_mut()
            .ok_or_else(|| StoreError::Backend("pooled connection used after release".into()))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let broken = {
            let mut st = self.pool.lock();
            if client.client.is_closed() {
                st.open = st.open.saturating_sub(1);
                Some(client)
            } else {
                st.idle.push(client);
                None
            }
        };
        self.pool.available.notify_one();
        drop(broken);
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A poisoned lock only means another thread panicked while holding
        // it; the idle list itself is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn scrub(&self, msg: String) -> String {
        match &self.secret {
            Some(s) if !s.is_empty() => msg.replace(s.as_str(), "***"),
            _ => msg,
        }
    }

    fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let deadline = Instant::now() + POOL_WAIT;
        let mut st = self.lock();
        loop {
            while let Some(c) = st.idle.pop() {
                if c.client.is_closed() {
                    st.open = st.open.saturating_sub(1);
                    continue;
                }
                return Ok(Pooled {
                    pool: self,
                    client: Some(c),
                });
            }
            if st.open < MAX_CONNECTIONS {
                st.open += 1;
                drop(st);
                return match self.config.connect(NoTls) {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        client: Some(PgClient {
                            client,
                            statements: HashMap::new(),
                        }),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.available.notify_one();
                        Err(StoreError::Backend(self.scrub(format!(
                            "connect to {}: {}",
                            self.redacted,
                            pg_detail(&e)
                        ))))
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Backend(format!(
                    "no free database connection after {}s ({MAX_CONNECTIONS} in use)",
                    POOL_WAIT.as_secs()
                )));
            }
            st = self
                .available
                .wait_timeout(st, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a client blocks on its internal runtime, which panics on a
        // Tokio worker thread; close them on a thread of their own instead.
        let idle = std::mem::take(&mut self.lock().idle);
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

// ---------------------------------------------------------------------------
// Opening and migrations

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`,
    /// or any form [`postgres::Config`] accepts), runs pending migrations and
    /// opens (creating) `data_dir/blobs/` for chapter text.
    ///
    /// Must not be called on a Tokio worker thread (see the module docs).
    ///
    /// Errors: [`StoreError::Invalid`] when the URL cannot be parsed;
    /// [`StoreError::Backend`] when the database cannot be reached, a
    /// migration fails, or the schema was written by a newer Qiantang.
    /// Messages never contain the password.
    pub fn open(url: &str, data_dir: &Path) -> Result<Self, StoreError> {
        let db = PgDb::connect(url)?;
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Backend(format!("create {}: {e}", data_dir.display())))?;
        db.migrate()?;
        Ok(Store {
            db,
            blobs: BlobDir::open(data_dir.join("blobs"))?,
        })
    }

    /// Schema version after migrations (highest row of `schema_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.db.read(|c| {
            c.one(
                "schema version",
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                &[],
            )?
            .get(0)
        })
    }
}

/// Runs the pending migrations of the database at `url` (as
/// [`PostgresStore::open`] does) and returns the schema version reached —
/// for tools that use the store's tables without opening a store, such as
/// the deposit log mirror (`qiantang_deposit::PgLogMirror`), whose tables
/// are part of these migrations.
///
/// Must not be called on a Tokio worker thread (see the module docs).
///
/// Errors: as [`PostgresStore::open`].
pub fn migrate(url: &str) -> Result<u32, StoreError> {
    let db = PgDb::connect(url)?;
    db.migrate()?;
    Ok(MIGRATIONS.len() as u32)
}

impl PgDb {
    /// The pool for `url` (no connection is opened yet).
    fn connect(url: &str) -> Result<Self, StoreError> {
        let redacted = redact_url(url);
        let mut config = Config::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("database URL {redacted}: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("qiantang");
        }
        let secret = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        Ok(PgDb {
            pool: Pool {
                config,
                redacted,
                secret,
                state: Mutex::new(PoolState {
                    idle: Vec::new(),
                    open: 0,
                }),
                available: Condvar::new(),
            },
        })
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut pooled = self.pool.get()?;
        let c = &mut pooled.client()?.client;
        let mut tx = c.transaction().map_err(|e| db("begin migration", e))?;
        // Serializes concurrent starts; released at commit or rollback.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
            .map_err(|e| db("migration lock", e))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 version BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .map_err(|e| db("create schema_version", e))?;
        let row = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .map_err(|e| db("schema version", e))?;
        let current: i64 = row.try_get(0).map_err(|e| db("schema version", e))?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::Backend(format!(
                "database schema version {current} is newer than this Qiantang ({known}); upgrade Qiantang"
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as i64 + 1;
            tx.batch_execute(&m.sql(Dialect::Postgres))
                .map_err(|e| db(&format!("migration {version}"), e))?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&version],
            )
            .map_err(|e| db("record migration", e))?;
            tracing::info!(version, "applied PostgreSQL migration");
        }
        tx.commit().map_err(|e| db("commit migration", e))
    }
}

// ---------------------------------------------------------------------------
// Binding and decoding

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // Each arm checks the server's parameter type through the inner
        // value's own `to_sql_checked`; integers also fit narrower columns.
        match *self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) => match *ty {
                Type::INT2 => i16::try_from(i)?.to_sql_checked(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql_checked(ty, out),
                _ => i.to_sql_checked(ty, out),
            },
            Arg::Bool(b) => b.to_sql_checked(ty, out),
            Arg::Text(s) => s.to_sql_checked(ty, out),
            Arg::Blob(b) => b.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn decode(row: &postgres::Row) -> Result<Row, DbError> {
    let mut vals = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let ty = col.type_();
        let v = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map(Value::Bool)
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob)
        } else if *ty == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i)?.map(Value::Real)
        } else if *ty == Type::TEXT
            || *ty == Type::VARCHAR
            || *ty == Type::BPCHAR
            || *ty == Type::NAME
        {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        } else {
            return Err(DbError::Decode(format!(
                "column {} has type {ty}, which the store does not read (cast it)",
                col.name()
            )));
        };
        vals.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(vals))
}

/// A pooled client or one of its transactions as a [`Conn`], sharing the
/// client's prepared statements.
struct PgConn<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> PgConn<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(&to_dollar_placeholders(sql))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

fn params<'a>(args: &'a [Arg<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl<C: GenericClient> Conn for PgConn<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query_raw(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError> {
        let st = self.statement(sql)?;
        self.client
            .query(&st, &params(args))?
            .iter()
            .map(decode)
            .collect()
    }

    fn execute_raw(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        let st = self.statement(sql)?;
        Ok(self.client.execute(&st, &params(args))?)
    }
}

impl Db for PgDb {
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.pool.get()?;
        let c = pooled.client()?;
        f(&mut PgConn {
            client: &mut c.client,
            statements: &mut c.statements,
        })
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(false, f)
    }

    fn snapshot<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(true, f)
    }
}

impl PgDb {
    /// Runs `f` in a transaction (read-only `REPEATABLE READ` for a
    /// snapshot), committed when it returns `Ok`.
    fn transaction<T>(
        &self,
        snapshot: bool,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.pool.get()?;
        let c = pooled.client()?;
        let mut builder = c.client.build_transaction();
        if snapshot {
            builder = builder
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true);
        }
        let mut tx = builder.start().map_err(|e| db("begin", e))?;
        let v = f(&mut PgConn {
            client: &mut tx,
            statements: &mut c.statements,
        })?;
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(v)
    }
}
