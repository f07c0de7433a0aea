//! The embedded SQLite backend (WAL journal, foreign keys on).
//!
//! Chapter text lives in the [`BlobDir`]; SQLite holds metadata, the KB and
//! occurrences. One writer connection and a few reader connections; every
//! trait call that writes runs in one `IMMEDIATE` transaction.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use qiantang_kb::{
    Concept, ConceptProposal, ConceptRevision, KbStore, Market, ProposalStatus, Rendering, Status,
    StoreError, Strategy,
};
use qiantang_works::model::*;
use qiantang_works::WorkStore;

use crate::blob::BlobDir;
use crate::migrations::MIGRATIONS;

/// SQLite + blob folder store.
pub struct SqliteStore {
    pub(crate) writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    blobs: BlobDir,
}

pub(crate) fn db(op: &str, e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::DiskFull {
            return StoreError::Backend(format!("{op}: disk full"));
        }
    }
    StoreError::Backend(format!("{op}: {e}"))
}

fn json_err(op: &str, e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("{op}: stored JSON is invalid: {e}"))
}

pub(crate) fn lock<'a>(m: &'a Mutex<Connection>) -> MutexGuard<'a, Connection> {
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
        for _ in 0..4 {
            let c = Connection::open(&path).map_err(|e| db("open database", e))?;
            configure(&c)?;
            readers.push(Mutex::new(c));
        }
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            blobs: BlobDir::open(dir.join("blobs"))?,
        })
    }

    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(g) = r.try_lock() {
                return g;
            }
        }
        let i = (std::thread::current().id().as_u64_hash()) % self.readers.len().max(1);
        match self.readers.get(i) {
            Some(r) => lock(r),
            None => lock(&self.writer),
        }
    }

    /// Runs a read query and collects its rows; `op` names the operation in errors.
    pub(crate) fn all<T, P: rusqlite::Params>(
        &self,
        op: &str,
        sql: &str,
        params: P,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let c = self.reader();
        let mut st = c.prepare_cached(sql).map_err(|e| db(op, e))?;
        let rows = st.query_map(params, map).map_err(|e| db(op, e))?;
        rows.map(|r| r.map_err(|e| db(op, e))).collect()
    }

    /// The blob folder.
    pub fn blobs(&self) -> &BlobDir {
        &self.blobs
    }

    /// Schema version after migrations (SQLite `user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        lock(&self.writer)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db("user_version", e))
    }
}

trait ThreadIdHash {
    fn as_u64_hash(&self) -> usize;
}
impl ThreadIdHash for std::thread::ThreadId {
    fn as_u64_hash(&self) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut h);
        h.finish() as usize
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
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin migration", e))?;
        tx.execute_batch(sql)
            .map_err(|e| db(&format!("migration {}", i + 1), e))?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)
            .map_err(|e| db("set user_version", e))?;
        tx.commit().map_err(|e| db("commit migration", e))?;
        tracing::info!(version = i + 1, "applied SQLite migration");
    }
    Ok(())
}

fn row_to_concept(json: String) -> Result<Concept, StoreError> {
    serde_json::from_str(&json).map_err(|e| json_err("concept", e))
}

fn rendering_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Rendering, String, String)> {
    let market: String = r.get(2)?;
    Ok((
        Rendering {
            concept: r.get(0)?,
            lang: r.get(1)?,
            market: if market.is_empty() {
                None
            } else {
                Some(market)
            },
            strategy: Strategy::Keep,
            text: r.get(4)?,
            gloss: r.get(5)?,
            status: Status::Draft,
        },
        r.get::<_, String>(3)?,
        r.get::<_, String>(6)?,
    ))
}

impl KbStore for SqliteStore {
    fn list_concepts(&self) -> Result<Vec<Concept>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached("SELECT json FROM concepts ORDER BY id")
            .map_err(|e| db("list concepts", e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| db("list concepts", e))?;
        rows.map(|r| {
            r.map_err(|e| db("list concepts", e))
                .and_then(row_to_concept)
        })
        .collect()
    }

    fn count_concepts(&self) -> Result<u64, StoreError> {
        self.reader()
            .query_row("SELECT COUNT(*) FROM concepts", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| db("count concepts", e))
    }

    fn get_concept(&self, id: &str) -> Result<Option<Concept>, StoreError> {
        let json: Option<String> = self
            .reader()
            .query_row("SELECT json FROM concepts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| db("get concept", e))?;
        json.map(row_to_concept).transpose()
    }

    fn put_concepts(
        &self,
        concepts: &[Concept],
        actor: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        {
            let mut get = tx
                .prepare_cached("SELECT json FROM concepts WHERE id = ?1")
                .map_err(|e| db("put concepts", e))?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO concepts (id, category, json, updated_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(id) DO UPDATE SET category = excluded.category, json = excluded.json,
                     updated_ms = excluded.updated_ms",
                )
                .map_err(|e| db("put concepts", e))?;
            let mut del_labels = tx
                .prepare_cached("DELETE FROM concept_labels WHERE concept = ?1")
                .map_err(|e| db("put concepts", e))?;
            let mut ins_label = tx
                .prepare_cached(
                    "INSERT INTO concept_labels (concept, lang, kind, text, text_lower) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| db("put concepts", e))?;
            let mut rev = tx
                .prepare_cached(
                    "INSERT INTO concept_revisions (concept, revision, actor, at_ms, json)
                     VALUES (?1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM concept_revisions WHERE concept = ?1), ?2, ?3, ?4)",
                )
                .map_err(|e| db("put concepts", e))?;
            for concept in concepts {
                let json = serde_json::to_string(concept).map_err(|e| json_err("concept", e))?;
                let old: Option<String> = get
                    .query_row([&concept.id], |r| r.get(0))
                    .optional()
                    .map_err(|e| db("put concepts", e))?;
                if old.as_deref() == Some(json.as_str()) {
                    continue;
                }
                upsert
                    .execute(params![concept.id, concept.category, json, at_ms])
                    .map_err(|e| db("put concepts", e))?;
                del_labels
                    .execute([&concept.id])
                    .map_err(|e| db("put concepts", e))?;
                for l in &concept.labels {
                    let kind = match l.kind {
                        qiantang_kb::LabelKind::Pref => "pref",
                        qiantang_kb::LabelKind::Alt => "alt",
                    };
                    ins_label
                        .execute(params![
                            concept.id,
                            l.lang,
                            kind,
                            l.text,
                            l.text.to_lowercase()
                        ])
                        .map_err(|e| db("put concepts", e))?;
                }
                rev.execute(params![concept.id, actor, at_ms, json])
                    .map_err(|e| db("put concepts", e))?;
            }
        }
        tx.commit().map_err(|e| db("commit", e))
    }

    fn delete_concept(&self, id: &str) -> Result<bool, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let n = tx
            .execute("DELETE FROM concepts WHERE id = ?1", [id])
            .map_err(|e| db("delete concept", e))?;
        tx.execute("DELETE FROM occurrences WHERE concept = ?1", [id])
            .map_err(|e| db("delete concept occurrences", e))?;
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(n > 0)
    }

    fn search_concepts(&self, query: &str, limit: usize) -> Result<Vec<Concept>, StoreError> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let c = self.reader();
        let mut st = c
            .prepare_cached(
                "SELECT c.json FROM concepts c WHERE c.id IN (
                   SELECT concept FROM concept_labels WHERE text_lower LIKE ?1 ESCAPE '\\'
                   UNION SELECT id FROM concepts WHERE id LIKE ?1 ESCAPE '\\')
                 ORDER BY (SELECT MIN(CASE WHEN l.text_lower = ?2 THEN 0 WHEN l.text_lower LIKE ?3 ESCAPE '\\' THEN 1 ELSE 2 END)
                           FROM concept_labels l WHERE l.concept = c.id), c.id
                 LIMIT ?4",
            )
            .map_err(|e| db("search concepts", e))?;
        let rows = st
            .query_map(
                params![pattern, q, format!("{escaped}%"), limit as i64],
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| db("search concepts", e))?;
        rows.map(|r| {
            r.map_err(|e| db("search concepts", e))
                .and_then(row_to_concept)
        })
        .collect()
    }

    fn concept_history(&self, id: &str) -> Result<Vec<ConceptRevision>, StoreError> {
        self.all("concept history", "SELECT concept, revision, actor, at_ms, json FROM concept_revisions WHERE concept = ?1 ORDER BY revision DESC", [id], |r| {
                Ok(ConceptRevision {
                    concept: r.get(0)?,
                    revision: r.get(1)?,
                    actor: r.get(2)?,
                    at_ms: r.get(3)?,
                    concept_json: r.get(4)?,
                })
            })
    }

    fn list_renderings(&self, concept: Option<&str>) -> Result<Vec<Rendering>, StoreError> {
        let c = self.reader();
        let sql = "SELECT concept, lang, market, strategy, text, gloss, status FROM renderings
                   WHERE ?1 IS NULL OR concept = ?1 ORDER BY concept, lang, market";
        let mut st = c
            .prepare_cached(sql)
            .map_err(|e| db("list renderings", e))?;
        let rows = st
            .query_map([concept], rendering_from_row)
            .map_err(|e| db("list renderings", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (mut r, strategy, status) = row.map_err(|e| db("list renderings", e))?;
            r.strategy = Strategy::parse(&strategy).ok_or_else(|| {
                StoreError::Backend(format!("unknown strategy {strategy:?} in store"))
            })?;
            r.status = if status == "reviewed" {
                Status::Reviewed
            } else {
                Status::Draft
            };
            out.push(r);
        }
        Ok(out)
    }

    fn put_renderings(&self, renderings: &[Rendering]) -> Result<(), StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO renderings (concept, lang, market, strategy, text, gloss, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(concept, lang, market) DO UPDATE SET strategy = excluded.strategy,
                     text = excluded.text, gloss = excluded.gloss, status = excluded.status",
                )
                .map_err(|e| db("put renderings", e))?;
            for r in renderings {
                st.execute(params![
                    r.concept,
                    r.lang,
                    r.market.as_deref().unwrap_or(""),
                    r.strategy.as_str(),
                    r.text,
                    r.gloss,
                    r.status.as_str()
                ])
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        StoreError::Invalid(format!(
                            "rendering for unknown concept {:?}",
                            r.concept
                        ))
                    }
                    e => db("put renderings", e),
                })?;
            }
        }
        tx.commit().map_err(|e| db("commit", e))
    }

    fn create_proposal(
        &self,
        concept: &Concept,
        proposer: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        let json = serde_json::to_string(concept).map_err(|e| json_err("proposal", e))?;
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO concept_proposals (concept, json, proposer, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![concept.id, json, proposer, at_ms],
        )
        .map_err(|e| db("create proposal", e))?;
        Ok(c.last_insert_rowid())
    }

    fn get_proposal(&self, id: i64) -> Result<Option<ConceptProposal>, StoreError> {
        self.reader()
            .query_row(
                &format!("SELECT {PROPOSAL_COLS} FROM concept_proposals WHERE id = ?1"),
                [id],
                proposal_row,
            )
            .optional()
            .map_err(|e| db("get proposal", e))
    }

    fn list_proposals(
        &self,
        status: Option<ProposalStatus>,
        limit: usize,
    ) -> Result<Vec<ConceptProposal>, StoreError> {
        self.all("list proposals", &format!(
                "SELECT {PROPOSAL_COLS} FROM concept_proposals WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2"
            ), params![status.map(|s| s.as_str()), limit as i64],
                proposal_row)
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
        let n = lock(&self.writer)
            .execute(
                "UPDATE concept_proposals SET status = ?2, reviewer = ?3, decided_ms = ?4 WHERE id = ?1 AND status = 'pending'",
                params![id, status.as_str(), reviewer, at_ms],
            )
            .map_err(|e| db("decide proposal", e))?;
        Ok(n > 0)
    }

    fn list_markets(&self) -> Result<Vec<Market>, StoreError> {
        let c = self.reader();
        let mut st = c
            .prepare_cached("SELECT json FROM markets ORDER BY region")
            .map_err(|e| db("list markets", e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| db("list markets", e))?;
        rows.map(|r| {
            r.map_err(|e| db("list markets", e))
                .and_then(|j| serde_json::from_str(&j).map_err(|e| json_err("market", e)))
        })
        .collect()
    }

    fn put_markets(&self, markets: &[Market]) -> Result<(), StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO markets (region, json) VALUES (?1, ?2)
                     ON CONFLICT(region) DO UPDATE SET json = excluded.json",
                )
                .map_err(|e| db("put markets", e))?;
            for m in markets {
                let json = serde_json::to_string(m).map_err(|e| json_err("market", e))?;
                st.execute(params![m.region, json])
                    .map_err(|e| db("put markets", e))?;
            }
        }
        tx.commit().map_err(|e| db("commit", e))
    }
}

const PROPOSAL_COLS: &str = "id, concept, json, proposer, created_ms, status, reviewer, decided_ms";

fn proposal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConceptProposal> {
    let status: String = r.get(5)?;
    Ok(ConceptProposal {
        id: r.get(0)?,
        concept: r.get(1)?,
        concept_json: r.get(2)?,
        proposer: r.get(3)?,
        created_ms: r.get(4)?,
        status: ProposalStatus::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                5,
                rusqlite::types::Type::Text,
                format!("unknown status {status:?}").into(),
            )
        })?,
        reviewer: r.get(6)?,
        decided_ms: r.get(7)?,
    })
}

const WORK_COLS: &str = "id, org, published, title, author, language, source_name, source_encoding, chapter_count, char_count, created_ms";

fn work_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Work> {
    Ok(Work {
        id: r.get(0)?,
        org: r.get(1)?,
        published: r.get(2)?,
        title: r.get(3)?,
        author: r.get(4)?,
        language: r.get(5)?,
        source_name: r.get(6)?,
        source_encoding: r.get(7)?,
        chapter_count: r.get(8)?,
        char_count: r.get::<_, i64>(9)? as u64,
        created_ms: r.get(10)?,
    })
}

fn chapter_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChapterMeta> {
    Ok(ChapterMeta {
        work: r.get(0)?,
        number: r.get(1)?,
        title: r.get(2)?,
        char_count: r.get::<_, i64>(3)? as u64,
        sha256: r.get(4)?,
    })
}

/// (all, JSON array of org ids, include published) for scope filters.
fn scope_params(scope: &WorkScope) -> (bool, String, bool) {
    match scope {
        WorkScope::All => (true, "[]".into(), true),
        WorkScope::Visible { orgs, published } => (
            false,
            format!(
                "[{}]",
                orgs.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            *published,
        ),
    }
}

impl WorkStore for SqliteStore {
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
            let mut c = lock(&self.writer);
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| db("begin", e))?;
            let total: u64 = work.chapters.iter().map(|c| c.char_count()).sum();
            tx.execute(
                "INSERT INTO works (title, author, language, source_name, source_encoding, chapter_count, char_count, created_ms, org)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    work.title,
                    work.author,
                    work.language,
                    work.source_name,
                    work.source_encoding,
                    work.chapters.len() as i64,
                    total as i64,
                    at_ms,
                    work.org
                ],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Invalid(format!("organization {} does not exist", work.org))
                }
                e => db("insert work", e),
            })?;
            let id = tx.last_insert_rowid();
            if let Some(occ) = &work.occurrences {
                tx.execute(
                    "UPDATE works SET tagged_ms = ?2 WHERE id = ?1",
                    params![id, at_ms],
                )
                .map_err(|e| db("tag work", e))?;
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO occurrences (work, chapter, start, len, concept) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(|e| db("insert occurrence", e))?;
                for o in occ {
                    st.execute(params![id, o.chapter, o.start, o.len, o.concept])
                        .map_err(|e| db("insert occurrence", e))?;
                }
            }
            {
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO chapters (work, number, title, char_count, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(|e| db("insert chapter", e))?;
                for (ch, hash) in work.chapters.iter().zip(&hashes) {
                    st.execute(params![
                        id,
                        ch.number,
                        ch.title,
                        ch.char_count() as i64,
                        hash
                    ])
                    .map_err(|e| db("insert chapter", e))?;
                }
            }
            tx.commit().map_err(|e| db("commit", e))?;
            Ok(id)
        })();
        if result.is_ok() {
            batch.keep();
        }
        result
    }

    fn list_works(&self, scope: &WorkScope) -> Result<Vec<Work>, StoreError> {
        let c = self.reader();
        let (all, orgs, published) = scope_params(scope);
        let mut st = c
            .prepare_cached(&format!(
                "SELECT {WORK_COLS} FROM works WHERE ?1 OR org IN (SELECT value FROM json_each(?2)) OR (?3 AND published)
                 ORDER BY id DESC"
            ))
            .map_err(|e| db("list works", e))?;
        let rows = st
            .query_map(params![all, orgs, published], work_from_row)
            .map_err(|e| db("list works", e))?;
        rows.map(|r| r.map_err(|e| db("list works", e))).collect()
    }

    fn set_published(&self, id: WorkId, published: bool) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute(
                "UPDATE works SET published = ?2 WHERE id = ?1",
                params![id, published],
            )
            .map_err(|e| db("publish work", e))?;
        Ok(n > 0)
    }

    fn get_work(&self, id: WorkId) -> Result<Option<Work>, StoreError> {
        self.reader()
            .query_row(
                &format!("SELECT {WORK_COLS} FROM works WHERE id = ?1"),
                [id],
                work_from_row,
            )
            .optional()
            .map_err(|e| db("get work", e))
    }

    fn delete_work(&self, id: WorkId) -> Result<bool, StoreError> {
        // Blobs stay: they are content-addressed and may be shared with other works.
        let n = lock(&self.writer)
            .execute("DELETE FROM works WHERE id = ?1", [id])
            .map_err(|e| db("delete work", e))?;
        Ok(n > 0)
    }

    fn list_chapters(&self, work: WorkId) -> Result<Vec<ChapterMeta>, StoreError> {
        self.all("list chapters", "SELECT work, number, title, char_count, sha256 FROM chapters WHERE work = ?1 ORDER BY number", [work], chapter_from_row)
    }

    fn get_chapter(
        &self,
        work: WorkId,
        number: u32,
    ) -> Result<Option<(ChapterMeta, String)>, StoreError> {
        let meta = self
            .reader()
            .query_row(
                "SELECT work, number, title, char_count, sha256 FROM chapters WHERE work = ?1 AND number = ?2",
                params![work, number],
                chapter_from_row,
            )
            .optional()
            .map_err(|e| db("get chapter", e))?;
        let Some(meta) = meta else { return Ok(None) };
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
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let n = tx
            .execute(
                "UPDATE works SET tagged_ms = ?2 WHERE id = ?1",
                params![work, at_ms],
            )
            .map_err(|e| db("tag work", e))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("work {work}")));
        }
        tx.execute("DELETE FROM occurrences WHERE work = ?1", [work])
            .map_err(|e| db("clear occurrences", e))?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO occurrences (work, chapter, start, len, concept) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| db("insert occurrence", e))?;
            for o in occ {
                st.execute(params![work, o.chapter, o.start, o.len, o.concept])
                    .map_err(|e| db("insert occurrence", e))?;
            }
        }
        tx.commit().map_err(|e| db("commit", e))
    }

    fn chapter_occurrences(
        &self,
        work: WorkId,
        chapter: u32,
    ) -> Result<Vec<StoredOccurrence>, StoreError> {
        self.all("chapter occurrences", "SELECT chapter, start, len, concept FROM occurrences WHERE work = ?1 AND chapter = ?2 ORDER BY start", params![work, chapter], |r| {
                Ok(StoredOccurrence {
                    chapter: r.get(0)?,
                    start: r.get(1)?,
                    len: r.get(2)?,
                    concept: r.get(3)?,
                })
            })
    }

    fn concept_counts(&self, work: WorkId) -> Result<Option<Vec<ConceptCount>>, StoreError> {
        let c = self.reader();
        let tagged: Option<Option<i64>> = c
            .query_row("SELECT tagged_ms FROM works WHERE id = ?1", [work], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| db("concept counts", e))?;
        if !matches!(tagged, Some(Some(_))) {
            return Ok(None);
        }
        let mut st = c
            .prepare_cached(
                "SELECT concept, COUNT(*), COUNT(DISTINCT chapter) FROM occurrences WHERE work = ?1
                 GROUP BY concept ORDER BY COUNT(*) DESC, concept",
            )
            .map_err(|e| db("concept counts", e))?;
        let rows = st
            .query_map([work], |r| {
                Ok(ConceptCount {
                    concept: r.get(0)?,
                    count: r.get::<_, i64>(1)? as u64,
                    chapters: r.get(2)?,
                })
            })
            .map_err(|e| db("concept counts", e))?;
        rows.map(|r| r.map_err(|e| db("concept counts", e)))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn concept_uses(
        &self,
        concept: &str,
        scope: &WorkScope,
    ) -> Result<Vec<ConceptUse>, StoreError> {
        let c = self.reader();
        let (all, orgs, published) = scope_params(scope);
        let mut st = c
            .prepare_cached(
                "SELECT o.work, w.title, COUNT(*), MIN(o.chapter) FROM occurrences o JOIN works w ON w.id = o.work
                 WHERE o.concept = ?1 AND (?2 OR w.org IN (SELECT value FROM json_each(?3)) OR (?4 AND w.published))
                 GROUP BY o.work ORDER BY COUNT(*) DESC, o.work",
            )
            .map_err(|e| db("concept uses", e))?;
        let rows = st
            .query_map(params![concept, all, orgs, published], |r| {
                Ok(ConceptUse {
                    work: r.get(0)?,
                    title: r.get(1)?,
                    count: r.get::<_, i64>(2)? as u64,
                    first_chapter: r.get(3)?,
                })
            })
            .map_err(|e| db("concept uses", e))?;
        rows.map(|r| r.map_err(|e| db("concept uses", e))).collect()
    }
}
