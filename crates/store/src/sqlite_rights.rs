//! [`RightsStore`] and [`FingerprintStore`] on SQLite.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use qiantang_core::StoreError;
use qiantang_rights::{
    check_grant, Grant, GrantId, GrantOutcome, NewGrant, OnConflict, RightsStore,
};
use qiantang_works::{ChapterFingerprint, FingerprintStore, WorkId};

use crate::rights_rows::{grant_from_parts, GrantRow, GRANT_COLS};
use crate::sqlite::{db, lock, SqliteStore};

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GrantRow> {
    Ok(GrantRow {
        id: r.get(0)?,
        work: r.get(1)?,
        org: r.get(2)?,
        licensee: r.get(3)?,
        territories: r.get(4)?,
        languages: r.get(5)?,
        media: r.get(6)?,
        exclusive: r.get(7)?,
        start_day: r.get(8)?,
        end_day: r.get(9)?,
        status: r.get(10)?,
        notes: r.get(11)?,
        flagged: r.get(12)?,
        conflicts: r.get(13)?,
        created_by: r.get(14)?,
        created_ms: r.get(15)?,
        revoked_ms: r.get(16)?,
        deposit_index: r.get(17)?,
    })
}

fn grants_of(c: &rusqlite::Connection, op: &str, work: i64) -> Result<Vec<Grant>, StoreError> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {GRANT_COLS} FROM grants WHERE work = ?1 ORDER BY id"
        ))
        .map_err(|e| db(op, e))?;
    let rows = st.query_map([work], grant_row).map_err(|e| db(op, e))?;
    rows.map(|r| r.map_err(|e| db(op, e)).and_then(grant_from_parts))
        .collect()
}

impl RightsStore for SqliteStore {
    fn create_grant(
        &self,
        g: &NewGrant,
        on_conflict: OnConflict,
        at_ms: i64,
    ) -> Result<GrantOutcome, StoreError> {
        let op = "create grant";
        let mut c = lock(&self.writer);
        // IMMEDIATE takes the write lock first: the check below and the
        // insert see the same grants, whatever other processes do.
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let owner: Option<i64> = tx
            .query_row("SELECT org FROM works WHERE id = ?1", [g.work_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| db(op, e))?;
        match owner {
            None => return Err(StoreError::NotFound(format!("work {}", g.work_id))),
            Some(o) if o != g.org => {
                return Err(StoreError::Invalid(format!(
                    "organization {} does not own work {}",
                    g.org, g.work_id
                )))
            }
            Some(_) => {}
        }
        let existing = grants_of(&tx, op, g.work_id)?;
        let conflicts = check_grant(g, &existing);
        if !conflicts.is_empty() && on_conflict == OnConflict::Refuse {
            return Ok(GrantOutcome::Refused(conflicts));
        }
        let p = crate::rights_rows::params_of(g, &conflicts)?;
        tx.execute(
            "INSERT INTO grants (work, org, licensee, territories, languages, media, exclusive, start_day, end_day,
                                 status, notes, flagged, conflicts, created_by, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                g.work_id,
                g.org,
                g.licensee,
                p.territories,
                p.languages,
                p.media,
                g.exclusive,
                p.start_day,
                p.end_day,
                g.status.as_str(),
                g.notes,
                !conflicts.is_empty(),
                p.conflicts,
                g.created_by,
                at_ms
            ],
        )
        .map_err(|e| db(op, e))?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(GrantOutcome::Created(Box::new(Grant::from_new(
            id, g, conflicts, at_ms,
        ))))
    }

    fn list_grants(&self, work: i64) -> Result<Vec<Grant>, StoreError> {
        grants_of(&self.reader(), "list grants", work)
    }

    fn get_grant(&self, id: GrantId) -> Result<Option<Grant>, StoreError> {
        let op = "get grant";
        self.reader()
            .query_row(
                &format!("SELECT {GRANT_COLS} FROM grants WHERE id = ?1"),
                [id],
                grant_row,
            )
            .optional()
            .map_err(|e| db(op, e))?
            .map(grant_from_parts)
            .transpose()
    }

    fn revoke_grant(&self, id: GrantId, at_ms: i64) -> Result<Option<Grant>, StoreError> {
        {
            let c = lock(&self.writer);
            c.execute(
                "UPDATE grants SET status = 'revoked', revoked_ms = ?2 WHERE id = ?1 AND status <> 'revoked'",
                params![id, at_ms],
            )
            .map_err(|e| db("revoke grant", e))?;
        }
        self.get_grant(id)
    }

    fn set_grant_deposit(&self, id: GrantId, index: u64) -> Result<bool, StoreError> {
        let index = i64::try_from(index)
            .map_err(|_| StoreError::Invalid(format!("deposit index {index} is too large")))?;
        let n = lock(&self.writer)
            .execute(
                "UPDATE grants SET deposit_index = ?2 WHERE id = ?1",
                params![id, index],
            )
            .map_err(|e| db("set grant deposit", e))?;
        Ok(n > 0)
    }
}

impl FingerprintStore for SqliteStore {
    fn put_fingerprints(&self, work: WorkId, fps: &[ChapterFingerprint]) -> Result<(), StoreError> {
        let op = "put fingerprints";
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM works WHERE id = ?1", [work], |r| r.get(0))
            .optional()
            .map_err(|e| db(op, e))?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("work {work}")));
        }
        tx.execute("DELETE FROM chapter_fingerprints WHERE work = ?1", [work])
            .map_err(|e| db(op, e))?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO chapter_fingerprints (work, chapter, signature, created_ms) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| db(op, e))?;
            for f in fps {
                if f.work != work {
                    return Err(StoreError::Invalid(format!(
                        "fingerprint of work {} given for work {work}",
                        f.work
                    )));
                }
                st.execute(params![work, f.chapter, f.signature, f.created_ms])
                    .map_err(|e| db(op, e))?;
            }
        }
        tx.commit().map_err(|e| db("commit", e))
    }

    fn list_fingerprints(&self) -> Result<Vec<ChapterFingerprint>, StoreError> {
        self.all(
            "list fingerprints",
            "SELECT work, chapter, signature, created_ms FROM chapter_fingerprints ORDER BY work, chapter",
            [],
            |r| {
                Ok(ChapterFingerprint {
                    work: r.get(0)?,
                    chapter: r.get(1)?,
                    signature: r.get(2)?,
                    created_ms: r.get(3)?,
                })
            },
        )
    }

    fn works_without_fingerprints(&self) -> Result<Vec<WorkId>, StoreError> {
        self.all(
            "works without fingerprints",
            "SELECT id FROM works w WHERE NOT EXISTS (SELECT 1 FROM chapter_fingerprints f WHERE f.work = w.id) ORDER BY id",
            [],
            |r| r.get(0),
        )
    }
}
