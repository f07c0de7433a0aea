//! The PostgreSQL backend: the same traits and semantics as
//! [`crate::SqliteStore`], for hubs that outgrow one file.
//!
//! Chapter text still lives in a [`BlobDir`] on the local disk; PostgreSQL
//! holds metadata, the KB, occurrences and the tenant model. Every trait call
//! is one transaction (single statements run in autocommit mode, which is a
//! transaction of its own); errors map to the same [`StoreError`] variants as
//! on SQLite.
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

use std::path::Path;
use std::str::FromStr;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::{FromSql, ToSql};
use postgres::{Client, Config, NoTls, Row, Transaction};

use qiantang_auth::{ApiToken, AuditEntry, AuthStore, Org, OrgId, Role, Session, User, UserId};
use qiantang_kb::{
    Concept, ConceptProposal, ConceptRevision, KbStore, LabelKind, Market, ProposalStatus,
    Rendering, Status, StoreError, Strategy,
};
use qiantang_works::model::*;
use qiantang_works::WorkStore;

use crate::blob::BlobDir;
use crate::pg_migrations::{MIGRATIONS, MIGRATION_LOCK_KEY};
use crate::redact_url;

/// Most connections one [`PostgresStore`] opens at a time.
pub const MAX_CONNECTIONS: usize = 8;

/// How long a call waits for a free connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// PostgreSQL + blob folder store. See the [module docs](self) for the
/// threading rules.
pub struct PostgresStore {
    pool: Pool,
    blobs: BlobDir,
}

// ---------------------------------------------------------------------------
// Errors and row access

pub(crate) fn db(op: &str, e: postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::DISK_FULL) {
        return StoreError::Backend(format!("{op}: disk full"));
    }
    StoreError::Backend(format!("{op}: {}", pg_detail(&e)))
}

/// The server's own message (e.g. "password authentication failed for user
/// …", "permission denied for schema public") or the connection error's
/// cause, instead of the bare "db error". Never contains the URL.
fn pg_detail(e: &postgres::Error) -> String {
    if let Some(d) = e.as_db_error() {
        return format!("{} ({}: {})", e, d.code().code(), d.message());
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Whether `e` violates an integrity constraint (SQLSTATE class 23: unique,
/// foreign key, not null, check) — what SQLite reports as `SQLITE_CONSTRAINT`.
fn is_constraint(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("23"))
}

/// Maps a constraint violation to `on_constraint`, anything else to `Backend`.
fn constraint_or(
    op: &'static str,
    on_constraint: impl FnOnce() -> StoreError,
) -> impl FnOnce(postgres::Error) -> StoreError {
    move |e| {
        if is_constraint(&e) {
            on_constraint()
        } else {
            db(op, e)
        }
    }
}

fn json_err(op: &str, e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("{op}: stored JSON is invalid: {e}"))
}

pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize, op: &str) -> Result<T, StoreError> {
    row.try_get(idx).map_err(|e| db(op, e))
}

fn get_u32(row: &Row, idx: usize, op: &str) -> Result<u32, StoreError> {
    let v: i64 = get(row, idx, op)?;
    u32::try_from(v).map_err(|_| StoreError::Backend(format!("{op}: value {v} out of range")))
}

fn get_u64(row: &Row, idx: usize, op: &str) -> Result<u64, StoreError> {
    let v: i64 = get(row, idx, op)?;
    u64::try_from(v).map_err(|_| StoreError::Backend(format!("{op}: value {v} out of range")))
}

fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is too large")))
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------
// Connection pool

struct PoolState {
    idle: Vec<Client>,
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
struct Conn<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Invariant: `client` is `Some` until `drop`.
        match &self.client {
            Some(c) => c,
            None => unreachable!("pooled connection used after release"),
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        match &mut self.client {
            Some(c) => c,
            None => unreachable!("pooled connection used after release"),
        }
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let broken = {
            let mut st = self.pool.lock();
            if client.is_closed() {
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

    fn get(&self) -> Result<Conn<'_>, StoreError> {
        let deadline = Instant::now() + POOL_WAIT;
        let mut st = self.lock();
        loop {
            while let Some(c) = st.idle.pop() {
                if c.is_closed() {
                    st.open = st.open.saturating_sub(1);
                    continue;
                }
                return Ok(Conn {
                    pool: self,
                    client: Some(c),
                });
            }
            if st.open < MAX_CONNECTIONS {
                st.open += 1;
                drop(st);
                return match self.config.connect(NoTls) {
                    Ok(c) => Ok(Conn {
                        pool: self,
                        client: Some(c),
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
        let pool = Pool {
            config,
            redacted,
            secret,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            available: Condvar::new(),
        };
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Backend(format!("create {}: {e}", data_dir.display())))?;
        let store = Self {
            pool,
            blobs: BlobDir::open(data_dir.join("blobs"))?,
        };
        store.migrate()?;
        Ok(store)
    }

    /// The blob folder.
    pub fn blobs(&self) -> &BlobDir {
        &self.blobs
    }

    /// Schema version after migrations (highest row of `schema_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let row = self
            .pool
            .get()?
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .map_err(|e| db("schema version", e))?;
        get_u32(&row, 0, "schema version")
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut c = self.pool.get()?;
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
        let current: i64 = get(&row, 0, "schema version")?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::Backend(format!(
                "database schema version {current} is newer than this Qiantang ({known}); upgrade Qiantang"
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as i64 + 1;
            tx.batch_execute(sql)
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

    /// Runs `f` in one transaction, committing when it returns `Ok`.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction().map_err(|e| db("begin", e))?;
        let v = f(&mut tx)?;
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(v)
    }

    pub(crate) fn query(
        &self,
        op: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.pool.get()?.query(sql, params).map_err(|e| db(op, e))
    }

    pub(crate) fn query_opt(
        &self,
        op: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        self.pool
            .get()?
            .query_opt(sql, params)
            .map_err(|e| db(op, e))
    }

    pub(crate) fn execute(
        &self,
        op: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        self.pool.get()?.execute(sql, params).map_err(|e| db(op, e))
    }
}

// ---------------------------------------------------------------------------
// KbStore

fn concept_of(row: &Row, op: &str) -> Result<Concept, StoreError> {
    let json: String = get(row, 0, op)?;
    serde_json::from_str(&json).map_err(|e| json_err("concept", e))
}

impl KbStore for PostgresStore {
    fn list_concepts(&self) -> Result<Vec<Concept>, StoreError> {
        let op = "list concepts";
        self.query(op, "SELECT json FROM concepts ORDER BY id", &[])?
            .iter()
            .map(|r| concept_of(r, op))
            .collect()
    }

    fn count_concepts(&self) -> Result<u64, StoreError> {
        let op = "count concepts";
        let rows = self.query(op, "SELECT COUNT(*) FROM concepts", &[])?;
        match rows.first() {
            Some(r) => get_u64(r, 0, op),
            None => Ok(0),
        }
    }

    fn get_concept(&self, id: &str) -> Result<Option<Concept>, StoreError> {
        let op = "get concept";
        self.query_opt(op, "SELECT json FROM concepts WHERE id = $1", &[&id])?
            .map(|r| concept_of(&r, op))
            .transpose()
    }

    fn put_concepts(
        &self,
        concepts: &[Concept],
        actor: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let op = "put concepts";
        self.write(|tx| {
            let get_old = tx
                .prepare("SELECT json FROM concepts WHERE id = $1 FOR UPDATE")
                .map_err(|e| db(op, e))?;
            let upsert = tx
                .prepare(
                    "INSERT INTO concepts (id, category, json, updated_ms) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, json = EXCLUDED.json,
                     updated_ms = EXCLUDED.updated_ms",
                )
                .map_err(|e| db(op, e))?;
            let del_labels = tx
                .prepare("DELETE FROM concept_labels WHERE concept = $1")
                .map_err(|e| db(op, e))?;
            let ins_labels = tx
                .prepare(
                    "INSERT INTO concept_labels (concept, lang, kind, text, text_lower)
                     SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[])",
                )
                .map_err(|e| db(op, e))?;
            let rev = tx
                .prepare(
                    "INSERT INTO concept_revisions (concept, revision, actor, at_ms, json)
                     VALUES ($1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM concept_revisions WHERE concept = $1), $2, $3, $4)",
                )
                .map_err(|e| db(op, e))?;
            for concept in concepts {
                let json = serde_json::to_string(concept).map_err(|e| json_err("concept", e))?;
                let old = tx.query_opt(&get_old, &[&concept.id]).map_err(|e| db(op, e))?;
                if let Some(old) = old {
                    let old: String = get(&old, 0, op)?;
                    if old == json {
                        continue;
                    }
                }
                tx.execute(&upsert, &[&concept.id, &concept.category, &json, &at_ms])
                    .map_err(|e| db(op, e))?;
                tx.execute(&del_labels, &[&concept.id]).map_err(|e| db(op, e))?;
                let langs: Vec<&str> = concept.labels.iter().map(|l| l.lang.as_str()).collect();
                let kinds: Vec<&str> = concept
                    .labels
                    .iter()
                    .map(|l| match l.kind {
                        LabelKind::Pref => "pref",
                        LabelKind::Alt => "alt",
                    })
                    .collect();
                let texts: Vec<&str> = concept.labels.iter().map(|l| l.text.as_str()).collect();
                let lower: Vec<String> = concept.labels.iter().map(|l| l.text.to_lowercase()).collect();
                tx.execute(&ins_labels, &[&concept.id, &langs, &kinds, &texts, &lower])
                    .map_err(|e| db(op, e))?;
                tx.execute(&rev, &[&concept.id, &actor, &at_ms, &json])
                    .map_err(|e| db(op, e))?;
            }
            Ok(())
        })
    }

    fn delete_concept(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx
                .execute("DELETE FROM concepts WHERE id = $1", &[&id])
                .map_err(|e| db("delete concept", e))?;
            tx.execute("DELETE FROM occurrences WHERE concept = $1", &[&id])
                .map_err(|e| db("delete concept occurrences", e))?;
            Ok(n > 0)
        })
    }

    fn search_concepts(&self, query: &str, limit: usize) -> Result<Vec<Concept>, StoreError> {
        let op = "search concepts";
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let prefix = format!("{escaped}%");
        // `NULLS FIRST` keeps SQLite's order for a concept without labels.
        self.query(
            op,
            r"SELECT c.json FROM concepts c WHERE c.id IN (
                   SELECT concept FROM concept_labels WHERE text_lower LIKE $1 ESCAPE E'\\'
                   UNION SELECT id FROM concepts WHERE lower(id) LIKE $1 ESCAPE E'\\')
                 ORDER BY (SELECT MIN(CASE WHEN l.text_lower = $2 THEN 0
                                           WHEN l.text_lower LIKE $3 ESCAPE E'\\' THEN 1 ELSE 2 END)
                           FROM concept_labels l WHERE l.concept = c.id) NULLS FIRST, c.id
                 LIMIT $4",
            &[&pattern, &q, &prefix, &limit_of(limit)],
        )?
        .iter()
        .map(|r| concept_of(r, op))
        .collect()
    }

    fn concept_history(&self, id: &str) -> Result<Vec<ConceptRevision>, StoreError> {
        let op = "concept history";
        self.query(
            op,
            "SELECT concept, revision, actor, at_ms, json FROM concept_revisions
             WHERE concept = $1 ORDER BY revision DESC",
            &[&id],
        )?
        .iter()
        .map(|r| {
            Ok(ConceptRevision {
                concept: get(r, 0, op)?,
                revision: get_u32(r, 1, op)?,
                actor: get(r, 2, op)?,
                at_ms: get(r, 3, op)?,
                concept_json: get(r, 4, op)?,
            })
        })
        .collect()
    }

    fn list_renderings(&self, concept: Option<&str>) -> Result<Vec<Rendering>, StoreError> {
        let op = "list renderings";
        self.query(
            op,
            "SELECT concept, lang, market, strategy, text, gloss, status FROM renderings
             WHERE $1::TEXT IS NULL OR concept = $1 ORDER BY concept, lang, market",
            &[&concept],
        )?
        .iter()
        .map(|r| {
            let market: String = get(r, 2, op)?;
            let strategy: String = get(r, 3, op)?;
            let status: String = get(r, 6, op)?;
            Ok(Rendering {
                concept: get(r, 0, op)?,
                lang: get(r, 1, op)?,
                market: if market.is_empty() {
                    None
                } else {
                    Some(market)
                },
                strategy: Strategy::parse(&strategy).ok_or_else(|| {
                    StoreError::Backend(format!("unknown strategy {strategy:?} in store"))
                })?,
                text: get(r, 4, op)?,
                gloss: get(r, 5, op)?,
                status: if status == "reviewed" {
                    Status::Reviewed
                } else {
                    Status::Draft
                },
            })
        })
        .collect()
    }

    fn put_renderings(&self, renderings: &[Rendering]) -> Result<(), StoreError> {
        let op = "put renderings";
        self.write(|tx| {
            let st = tx
                .prepare(
                    "INSERT INTO renderings (concept, lang, market, strategy, text, gloss, status)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (concept, lang, market) DO UPDATE SET strategy = EXCLUDED.strategy,
                     text = EXCLUDED.text, gloss = EXCLUDED.gloss, status = EXCLUDED.status",
                )
                .map_err(|e| db(op, e))?;
            for r in renderings {
                tx.execute(
                    &st,
                    &[
                        &r.concept,
                        &r.lang,
                        &r.market.as_deref().unwrap_or(""),
                        &r.strategy.as_str(),
                        &r.text,
                        &r.gloss,
                        &r.status.as_str(),
                    ],
                )
                .map_err(constraint_or(op, || {
                    StoreError::Invalid(format!("rendering for unknown concept {:?}", r.concept))
                }))?;
            }
            Ok(())
        })
    }

    fn create_proposal(
        &self,
        concept: &Concept,
        proposer: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        let op = "create proposal";
        let json = serde_json::to_string(concept).map_err(|e| json_err("proposal", e))?;
        let row = self
            .query_opt(
                op,
                "INSERT INTO concept_proposals (concept, json, proposer, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&concept.id, &json, &proposer, &at_ms],
            )?
            .ok_or_else(|| StoreError::Backend(format!("{op}: no id returned")))?;
        get(&row, 0, op)
    }

    fn get_proposal(&self, id: i64) -> Result<Option<ConceptProposal>, StoreError> {
        let op = "get proposal";
        self.query_opt(
            op,
            &format!("SELECT {PROPOSAL_COLS} FROM concept_proposals WHERE id = $1"),
            &[&id],
        )?
        .map(|r| proposal_of(&r, op))
        .transpose()
    }

    fn list_proposals(
        &self,
        status: Option<ProposalStatus>,
        limit: usize,
    ) -> Result<Vec<ConceptProposal>, StoreError> {
        let op = "list proposals";
        let status = status.map(|s| s.as_str().to_string());
        let limit = limit as i64;
        self.query(
            op,
            &format!(
                "SELECT {PROPOSAL_COLS} FROM concept_proposals WHERE $1::TEXT IS NULL OR status = $1 ORDER BY id DESC LIMIT $2"
            ),
            &[&status, &limit],
        )?
        .iter()
        .map(|r| proposal_of(r, op))
        .collect()
    }

    fn decide_proposal(
        &self,
        id: i64,
        status: ProposalStatus,
        reviewer: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        if status == ProposalStatus::Pending {
            return Err(StoreError::Invalid(
                "a decision is approved or rejected".into(),
            ));
        }
        let n = self.execute(
            "decide proposal",
            "UPDATE concept_proposals SET status = $2, reviewer = $3, decided_ms = $4 WHERE id = $1 AND status = 'pending'",
            &[&id, &status.as_str(), &reviewer, &at_ms],
        )?;
        Ok(n > 0)
    }

    fn list_markets(&self) -> Result<Vec<Market>, StoreError> {
        let op = "list markets";
        self.query(op, "SELECT json FROM markets ORDER BY region", &[])?
            .iter()
            .map(|r| {
                let json: String = get(r, 0, op)?;
                serde_json::from_str(&json).map_err(|e| json_err("market", e))
            })
            .collect()
    }

    fn put_markets(&self, markets: &[Market]) -> Result<(), StoreError> {
        let op = "put markets";
        self.write(|tx| {
            let st = tx
                .prepare(
                    "INSERT INTO markets (region, json) VALUES ($1, $2)
                     ON CONFLICT (region) DO UPDATE SET json = EXCLUDED.json",
                )
                .map_err(|e| db(op, e))?;
            for m in markets {
                let json = serde_json::to_string(m).map_err(|e| json_err("market", e))?;
                tx.execute(&st, &[&m.region, &json])
                    .map_err(|e| db(op, e))?;
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------
// WorkStore

const PROPOSAL_COLS: &str = "id, concept, json, proposer, created_ms, status, reviewer, decided_ms";

fn proposal_of(r: &Row, op: &str) -> Result<ConceptProposal, StoreError> {
    let status: String = get(r, 5, op)?;
    Ok(ConceptProposal {
        id: get(r, 0, op)?,
        concept: get(r, 1, op)?,
        concept_json: get(r, 2, op)?,
        proposer: get(r, 3, op)?,
        created_ms: get(r, 4, op)?,
        status: ProposalStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("{op}: unknown status {status:?}")))?,
        reviewer: get(r, 6, op)?,
        decided_ms: get(r, 7, op)?,
    })
}

const WORK_COLS: &str = "id, org, published, title, author, language, source_name, source_encoding, chapter_count, char_count, created_ms";

fn work_of(r: &Row, op: &str) -> Result<Work, StoreError> {
    Ok(Work {
        id: get(r, 0, op)?,
        org: get(r, 1, op)?,
        published: get(r, 2, op)?,
        title: get(r, 3, op)?,
        author: get(r, 4, op)?,
        language: get(r, 5, op)?,
        source_name: get(r, 6, op)?,
        source_encoding: get(r, 7, op)?,
        chapter_count: get_u32(r, 8, op)?,
        char_count: get_u64(r, 9, op)?,
        created_ms: get(r, 10, op)?,
    })
}

fn chapter_of(r: &Row, op: &str) -> Result<ChapterMeta, StoreError> {
    Ok(ChapterMeta {
        work: get(r, 0, op)?,
        number: get_u32(r, 1, op)?,
        title: get(r, 2, op)?,
        char_count: get_u64(r, 3, op)?,
        sha256: get(r, 4, op)?,
    })
}

/// (all, org ids, include published) for scope filters.
fn scope_params(scope: &WorkScope) -> (bool, Vec<i64>, bool) {
    match scope {
        WorkScope::All => (true, Vec::new(), true),
        WorkScope::Visible { orgs, published } => (false, orgs.clone(), *published),
    }
}

impl PostgresStore {
    fn insert_work(
        &self,
        work: &NewWork,
        hashes: &[String],
        at_ms: i64,
    ) -> Result<WorkId, StoreError> {
        let total: u64 = work.chapters.iter().map(|c| c.char_count()).sum();
        let chapter_count = work.chapters.len() as i64;
        let total = to_i64(total, "character count")?;
        let numbers: Vec<i64> = work.chapters.iter().map(|c| i64::from(c.number)).collect();
        let titles: Vec<&str> = work.chapters.iter().map(|c| c.title.as_str()).collect();
        let counts = work
            .chapters
            .iter()
            .map(|c| to_i64(c.char_count(), "character count"))
            .collect::<Result<Vec<i64>, _>>()?;
        self.write(|tx| {
            let row = tx
                .query_one(
                    "INSERT INTO works (title, author, language, source_name, source_encoding, chapter_count, char_count, created_ms, org)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    &[
                        &work.title,
                        &work.author,
                        &work.language,
                        &work.source_name,
                        &work.source_encoding,
                        &chapter_count,
                        &total,
                        &at_ms,
                        &work.org,
                    ],
                )
                .map_err(constraint_or("insert work", || {
                    StoreError::Invalid(format!("organization {} does not exist", work.org))
                }))?;
            let id: i64 = get(&row, 0, "insert work")?;
            tx.execute(
                "INSERT INTO chapters (work, number, title, char_count, sha256)
                 SELECT $1, * FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[])",
                &[&id, &numbers, &titles, &counts, &hashes],
            )
            .map_err(|e| db("insert chapter", e))?;
            if let Some(occ) = &work.occurrences {
                tx.execute("UPDATE works SET tagged_ms = $2 WHERE id = $1", &[&id, &at_ms])
                    .map_err(|e| db("tag work", e))?;
                let chapters: Vec<i64> = occ.iter().map(|o| i64::from(o.chapter)).collect();
                let starts: Vec<i64> = occ.iter().map(|o| i64::from(o.start)).collect();
                let lens: Vec<i64> = occ.iter().map(|o| i64::from(o.len)).collect();
                let concepts: Vec<&str> = occ.iter().map(|o| o.concept.as_str()).collect();
                tx.execute(
                    "INSERT INTO occurrences (work, chapter, start, len, concept)
                     SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[])",
                    &[&id, &chapters, &starts, &lens, &concepts],
                )
                .map_err(|e| db("insert occurrence", e))?;
            }
            Ok(id)
        })
    }
}

impl WorkStore for PostgresStore {
    fn create_work(&self, work: &NewWork, at_ms: i64) -> Result<WorkId, StoreError> {
        if work.chapters.is_empty() {
            return Err(StoreError::Invalid(
                "a work needs at least one chapter".into(),
            ));
        }
        // Blobs first (content-addressed, idempotent); the batch removes the
        // ones this call created if the transaction fails, so nothing is left behind.
        let mut batch = self.blobs.batch();
        let result = (|| {
            let mut hashes = Vec::with_capacity(work.chapters.len());
            for ch in &work.chapters {
                hashes.push(batch.put(ch.text.as_bytes())?);
            }
            self.insert_work(work, &hashes, at_ms)
        })();
        if result.is_ok() {
            batch.keep();
        }
        result
    }

    fn list_works(&self, scope: &WorkScope) -> Result<Vec<Work>, StoreError> {
        let op = "list works";
        let (all, orgs, published) = scope_params(scope);
        self.query(
            op,
            &format!(
                "SELECT {WORK_COLS} FROM works WHERE $1 OR org = ANY($2) OR ($3 AND published)
                 ORDER BY id DESC"
            ),
            &[&all, &orgs, &published],
        )?
        .iter()
        .map(|r| work_of(r, op))
        .collect()
    }

    fn set_published(&self, id: WorkId, published: bool) -> Result<bool, StoreError> {
        let n = self.execute(
            "publish work",
            "UPDATE works SET published = $2 WHERE id = $1",
            &[&id, &published],
        )?;
        Ok(n > 0)
    }

    fn get_work(&self, id: WorkId) -> Result<Option<Work>, StoreError> {
        let op = "get work";
        self.query_opt(
            op,
            &format!("SELECT {WORK_COLS} FROM works WHERE id = $1"),
            &[&id],
        )?
        .map(|r| work_of(&r, op))
        .transpose()
    }

    fn delete_work(&self, id: WorkId) -> Result<bool, StoreError> {
        // Blobs stay: they are content-addressed and may be shared with other works.
        let n = self.execute("delete work", "DELETE FROM works WHERE id = $1", &[&id])?;
        Ok(n > 0)
    }

    fn list_chapters(&self, work: WorkId) -> Result<Vec<ChapterMeta>, StoreError> {
        let op = "list chapters";
        self.query(
            op,
            "SELECT work, number, title, char_count, sha256 FROM chapters WHERE work = $1 ORDER BY number",
            &[&work],
        )?
        .iter()
        .map(|r| chapter_of(r, op))
        .collect()
    }

    fn get_chapter(
        &self,
        work: WorkId,
        number: u32,
    ) -> Result<Option<(ChapterMeta, String)>, StoreError> {
        let op = "get chapter";
        let row = self.query_opt(
            op,
            "SELECT work, number, title, char_count, sha256 FROM chapters WHERE work = $1 AND number = $2",
            &[&work, &i64::from(number)],
        )?;
        let Some(row) = row else { return Ok(None) };
        let meta = chapter_of(&row, op)?;
        let bytes = self.blobs.get(&meta.sha256)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            StoreError::Backend(format!("chapter blob {} is not UTF-8", meta.sha256))
        })?;
        Ok(Some((meta, text)))
    }

    fn replace_occurrences(
        &self,
        work: WorkId,
        occ: &[StoredOccurrence],
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let chapters: Vec<i64> = occ.iter().map(|o| i64::from(o.chapter)).collect();
        let starts: Vec<i64> = occ.iter().map(|o| i64::from(o.start)).collect();
        let lens: Vec<i64> = occ.iter().map(|o| i64::from(o.len)).collect();
        let concepts: Vec<&str> = occ.iter().map(|o| o.concept.as_str()).collect();
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE works SET tagged_ms = $2 WHERE id = $1",
                    &[&work, &at_ms],
                )
                .map_err(|e| db("tag work", e))?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("work {work}")));
            }
            tx.execute("DELETE FROM occurrences WHERE work = $1", &[&work])
                .map_err(|e| db("clear occurrences", e))?;
            tx.execute(
                "INSERT INTO occurrences (work, chapter, start, len, concept)
                 SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[])",
                &[&work, &chapters, &starts, &lens, &concepts],
            )
            .map_err(|e| db("insert occurrence", e))?;
            Ok(())
        })
    }

    fn chapter_occurrences(
        &self,
        work: WorkId,
        chapter: u32,
    ) -> Result<Vec<StoredOccurrence>, StoreError> {
        let op = "chapter occurrences";
        self.query(
            op,
            "SELECT chapter, start, len, concept FROM occurrences WHERE work = $1 AND chapter = $2 ORDER BY start",
            &[&work, &i64::from(chapter)],
        )?
        .iter()
        .map(|r| {
            Ok(StoredOccurrence {
                chapter: get_u32(r, 0, op)?,
                start: get_u32(r, 1, op)?,
                len: get_u32(r, 2, op)?,
                concept: get(r, 3, op)?,
            })
        })
        .collect()
    }

    fn concept_counts(&self, work: WorkId) -> Result<Option<Vec<ConceptCount>>, StoreError> {
        let op = "concept counts";
        // Both reads in one transaction, so they see the same tagging run.
        self.write(|tx| {
            let tagged = tx
                .query_opt("SELECT tagged_ms FROM works WHERE id = $1", &[&work])
                .map_err(|e| db(op, e))?;
            let tagged: Option<i64> = match tagged {
                Some(r) => get(&r, 0, op)?,
                None => None,
            };
            if tagged.is_none() {
                return Ok(None);
            }
            tx.query(
                "SELECT concept, COUNT(*), COUNT(DISTINCT chapter) FROM occurrences WHERE work = $1
                 GROUP BY concept ORDER BY COUNT(*) DESC, concept",
                &[&work],
            )
            .map_err(|e| db(op, e))?
            .iter()
            .map(|r| {
                Ok(ConceptCount {
                    concept: get(r, 0, op)?,
                    count: get_u64(r, 1, op)?,
                    chapters: get_u32(r, 2, op)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
        })
    }

    fn concept_uses(
        &self,
        concept: &str,
        scope: &WorkScope,
    ) -> Result<Vec<ConceptUse>, StoreError> {
        let op = "concept uses";
        let (all, orgs, published) = scope_params(scope);
        self.query(
            op,
            "SELECT o.work, w.title, COUNT(*), MIN(o.chapter) FROM occurrences o JOIN works w ON w.id = o.work
             WHERE o.concept = $1 AND ($2 OR w.org = ANY($3) OR ($4 AND w.published))
             GROUP BY o.work, w.title ORDER BY COUNT(*) DESC, o.work",
            &[&concept, &all, &orgs, &published],
        )?
        .iter()
        .map(|r| {
            Ok(ConceptUse {
                work: get(r, 0, op)?,
                title: get(r, 1, op)?,
                count: get_u64(r, 2, op)?,
                first_chapter: get_u32(r, 3, op)?,
            })
        })
        .collect()
    }
}

// ---------------------------------------------------------------------------
// AuthStore

fn role_of(r: &Row, idx: usize, op: &str) -> Result<Role, StoreError> {
    let s: String = get(r, idx, op)?;
    Role::parse(&s).ok_or_else(|| StoreError::Backend(format!("{op}: unknown role {s:?} in store")))
}

fn org_of(r: &Row, op: &str) -> Result<Org, StoreError> {
    Ok(Org {
        id: get(r, 0, op)?,
        name: get(r, 1, op)?,
        created_ms: get(r, 2, op)?,
    })
}

fn user_of(r: &Row, op: &str) -> Result<User, StoreError> {
    Ok(User {
        id: get(r, 0, op)?,
        email: get(r, 1, op)?,
        is_admin: get(r, 2, op)?,
        created_ms: get(r, 3, op)?,
    })
}

const TOKEN_COLS: &str = "id, org, role, name, created_by, created_ms, last_used_ms, revoked_ms";

fn token_of(r: &Row, op: &str) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: get(r, 0, op)?,
        org: get(r, 1, op)?,
        role: role_of(r, 2, op)?,
        name: get(r, 3, op)?,
        created_by: get(r, 4, op)?,
        created_ms: get(r, 5, op)?,
        last_used_ms: get(r, 6, op)?,
        revoked_ms: get(r, 7, op)?,
    })
}

fn audit_of(r: &Row, op: &str) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: get(r, 0, op)?,
        at_ms: get(r, 1, op)?,
        org: get(r, 2, op)?,
        actor: get(r, 3, op)?,
        action: get(r, 4, op)?,
        object: get(r, 5, op)?,
        detail: get(r, 6, op)?,
        ip: get(r, 7, op)?,
    })
}

impl AuthStore for PostgresStore {
    fn create_org(&self, name: &str, at_ms: i64) -> Result<Org, StoreError> {
        let op = "create org";
        let row = self
            .pool
            .get()?
            .query_one(
                "INSERT INTO orgs (name, created_ms) VALUES ($1, $2) RETURNING id",
                &[&name, &at_ms],
            )
            .map_err(constraint_or(op, || {
                StoreError::Conflict(format!("organization {name:?} already exists"))
            }))?;
        Ok(Org {
            id: get(&row, 0, op)?,
            name: name.to_string(),
            created_ms: at_ms,
        })
    }

    fn get_org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        let op = "get org";
        self.query_opt(
            op,
            "SELECT id, name, created_ms FROM orgs WHERE id = $1",
            &[&id],
        )?
        .map(|r| org_of(&r, op))
        .transpose()
    }

    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        let op = "get org";
        self.query_opt(
            op,
            "SELECT id, name, created_ms FROM orgs WHERE name = $1",
            &[&name],
        )?
        .map(|r| org_of(&r, op))
        .transpose()
    }

    fn list_orgs(&self) -> Result<Vec<Org>, StoreError> {
        let op = "list orgs";
        self.query(
            op,
            "SELECT id, name, created_ms FROM orgs ORDER BY name",
            &[],
        )?
        .iter()
        .map(|r| org_of(r, op))
        .collect()
    }

    fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        at_ms: i64,
    ) -> Result<User, StoreError> {
        let op = "create user";
        let email = email.trim().to_lowercase();
        let row = self
            .pool
            .get()?
            .query_one(
                "INSERT INTO users (email, password_hash, is_admin, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&email, &password_hash, &is_admin, &at_ms],
            )
            .map_err(constraint_or(op, || {
                StoreError::Conflict(format!("user {email:?} already exists"))
            }))?;
        Ok(User {
            id: get(&row, 0, op)?,
            email,
            is_admin,
            created_ms: at_ms,
        })
    }

    fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let op = "get user";
        self.query_opt(
            op,
            "SELECT id, email, is_admin, created_ms FROM users WHERE id = $1",
            &[&id],
        )?
        .map(|r| user_of(&r, op))
        .transpose()
    }

    fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let op = "get user";
        self.query_opt(
            op,
            "SELECT id, email, is_admin, created_ms, password_hash FROM users WHERE email = $1",
            &[&email.trim().to_lowercase()],
        )?
        .map(|r| Ok((user_of(&r, op)?, get(&r, 4, op)?)))
        .transpose()
    }

    fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = $2 WHERE id = $1",
                    &[&user, &password_hash],
                )
                .map_err(|e| db("set password", e))?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {user}")));
            }
            tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user])
                .map_err(|e| db("set password", e))?;
            Ok(())
        })
    }

    fn count_users(&self) -> Result<u64, StoreError> {
        let op = "count users";
        let rows = self.query(op, "SELECT COUNT(*) FROM users", &[])?;
        match rows.first() {
            Some(r) => get_u64(r, 0, op),
            None => Ok(0),
        }
    }

    fn set_membership(&self, org: OrgId, user: UserId, role: Role) -> Result<(), StoreError> {
        self.pool
            .get()?
            .execute(
                "INSERT INTO memberships (org, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (org, user_id) DO UPDATE SET role = EXCLUDED.role",
                &[&org, &user, &role.as_str()],
            )
            .map_err(constraint_or("set membership", || {
                StoreError::Conflict(format!("organization {org} or user {user} does not exist"))
            }))?;
        Ok(())
    }

    fn remove_membership(&self, org: OrgId, user: UserId) -> Result<bool, StoreError> {
        let n = self.execute(
            "remove membership",
            "DELETE FROM memberships WHERE org = $1 AND user_id = $2",
            &[&org, &user],
        )?;
        Ok(n > 0)
    }

    fn memberships(&self, user: UserId) -> Result<Vec<(Org, Role)>, StoreError> {
        let op = "memberships";
        self.query(
            op,
            "SELECT o.id, o.name, o.created_ms, m.role FROM memberships m JOIN orgs o ON o.id = m.org
             WHERE m.user_id = $1 ORDER BY o.name",
            &[&user],
        )?
        .iter()
        .map(|r| Ok((org_of(r, op)?, role_of(r, 3, op)?)))
        .collect()
    }

    fn members(&self, org: OrgId) -> Result<Vec<(User, Role)>, StoreError> {
        let op = "members";
        self.query(
            op,
            "SELECT u.id, u.email, u.is_admin, u.created_ms, m.role FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org = $1 ORDER BY u.email",
            &[&org],
        )?
        .iter()
        .map(|r| Ok((user_of(r, op)?, role_of(r, 4, op)?)))
        .collect()
    }

    fn create_token(
        &self,
        org: OrgId,
        role: Role,
        name: &str,
        secret_hash: &str,
        created_by: Option<UserId>,
        at_ms: i64,
    ) -> Result<ApiToken, StoreError> {
        let op = "create token";
        let row = self
            .pool
            .get()?
            .query_one(
                "INSERT INTO api_tokens (org, role, name, secret_hash, created_by, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &org,
                    &role.as_str(),
                    &name,
                    &secret_hash,
                    &created_by,
                    &at_ms,
                ],
            )
            .map_err(constraint_or(op, || {
                StoreError::Conflict(format!(
                    "organization {org} does not exist or the token collides"
                ))
            }))?;
        Ok(ApiToken {
            id: get(&row, 0, op)?,
            org,
            role,
            name: name.to_string(),
            created_by,
            created_ms: at_ms,
            last_used_ms: None,
            revoked_ms: None,
        })
    }

    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let op = "get token";
        self.query_opt(
            op,
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_hash = $1"),
            &[&secret_hash],
        )?
        .map(|r| token_of(&r, op))
        .transpose()
    }

    fn get_token(&self, id: i64) -> Result<Option<ApiToken>, StoreError> {
        let op = "get token";
        self.query_opt(
            op,
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"),
            &[&id],
        )?
        .map(|r| token_of(&r, op))
        .transpose()
    }

    fn touch_token(&self, id: i64, at_ms: i64) -> Result<(), StoreError> {
        self.execute(
            "touch token",
            "UPDATE api_tokens SET last_used_ms = $2 WHERE id = $1",
            &[&id, &at_ms],
        )?;
        Ok(())
    }

    fn revoke_token(&self, id: i64, at_ms: i64) -> Result<bool, StoreError> {
        let n = self.execute(
            "revoke token",
            "UPDATE api_tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &at_ms],
        )?;
        Ok(n > 0)
    }

    fn list_tokens(&self, org: OrgId) -> Result<Vec<ApiToken>, StoreError> {
        let op = "list tokens";
        self.query(
            op,
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE org = $1 ORDER BY id DESC"),
            &[&org],
        )?
        .iter()
        .map(|r| token_of(r, op))
        .collect()
    }

    fn create_session(&self, secret_hash: &str, s: &Session) -> Result<(), StoreError> {
        self.write(|tx| {
            // Expired sessions are pruned as new ones are made.
            tx.execute(
                "DELETE FROM sessions WHERE expires_ms <= $1",
                &[&s.created_ms],
            )
            .map_err(|e| db("prune sessions", e))?;
            tx.execute(
                "INSERT INTO sessions (secret_hash, user_id, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5)",
                &[&secret_hash, &s.user, &s.csrf, &s.created_ms, &s.expires_ms],
            )
            .map_err(constraint_or("create session", || {
                StoreError::Conflict("session collision".into())
            }))?;
            Ok(())
        })
    }

    fn session_by_hash(
        &self,
        secret_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Session>, StoreError> {
        let op = "get session";
        self.query_opt(
            op,
            "SELECT user_id, csrf, created_ms, expires_ms FROM sessions WHERE secret_hash = $1 AND expires_ms > $2",
            &[&secret_hash, &now_ms],
        )?
        .map(|r| {
            Ok(Session {
                user: get(&r, 0, op)?,
                csrf: get(&r, 1, op)?,
                created_ms: get(&r, 2, op)?,
                expires_ms: get(&r, 3, op)?,
            })
        })
        .transpose()
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        self.execute(
            "delete session",
            "DELETE FROM sessions WHERE secret_hash = $1",
            &[&secret_hash],
        )?;
        Ok(())
    }

    fn append_audit(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        let op = "append audit";
        let row = self
            .pool
            .get()?
            .query_one(
                "INSERT INTO audit (at_ms, org, actor, action, object, detail, ip)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    &e.at_ms, &e.org, &e.actor, &e.action, &e.object, &e.detail, &e.ip,
                ],
            )
            .map_err(|err| db(op, err))?;
        get(&row, 0, op)
    }

    fn list_audit(
        &self,
        org: Option<OrgId>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let op = "list audit";
        self.query(
            op,
            "SELECT id, at_ms, org, actor, action, object, detail, ip FROM audit
             WHERE ($1::BIGINT IS NULL OR org = $1) AND ($2::BIGINT IS NULL OR id < $2)
             ORDER BY id DESC LIMIT $3",
            &[&org, &before, &limit_of(limit)],
        )?
        .iter()
        .map(|r| audit_of(r, op))
        .collect()
    }
}
