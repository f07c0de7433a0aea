//! [`RightsStore`] and [`FingerprintStore`] on PostgreSQL.

use postgres::Row;

use qiantang_core::StoreError;
use qiantang_rights::{
    check_grant, Grant, GrantId, GrantOutcome, NewGrant, OnConflict, RightsStore,
};
use qiantang_works::{ChapterFingerprint, FingerprintStore, WorkId};

use crate::postgres::{db, get, PostgresStore};
use crate::rights_rows::{grant_from_parts, params_of, GrantRow, GRANT_COLS};

fn grant_of(r: &Row, op: &str) -> Result<Grant, StoreError> {
    grant_from_parts(GrantRow {
        id: get(r, 0, op)?,
        work: get(r, 1, op)?,
        org: get(r, 2, op)?,
        licensee: get(r, 3, op)?,
        territories: get(r, 4, op)?,
        languages: get(r, 5, op)?,
        media: get(r, 6, op)?,
        exclusive: get(r, 7, op)?,
        start_day: get(r, 8, op)?,
        end_day: get(r, 9, op)?,
        status: get(r, 10, op)?,
        notes: get(r, 11, op)?,
        flagged: get(r, 12, op)?,
        conflicts: get(r, 13, op)?,
        created_by: get(r, 14, op)?,
        created_ms: get(r, 15, op)?,
        revoked_ms: get(r, 16, op)?,
        deposit_index: get(r, 17, op)?,
    })
}

impl RightsStore for PostgresStore {
    fn create_grant(
        &self,
        g: &NewGrant,
        on_conflict: OnConflict,
        at_ms: i64,
    ) -> Result<GrantOutcome, StoreError> {
        let op = "create grant";
        self.write(|tx| {
            // Locking the work's row serializes grants of one work: a second
            // transaction waits here and then sees the first one's grant.
            let owner = tx
                .query_opt("SELECT org FROM works WHERE id = $1 FOR UPDATE", &[&g.work_id])
                .map_err(|e| db(op, e))?;
            let Some(owner) = owner else {
                return Err(StoreError::NotFound(format!("work {}", g.work_id)));
            };
            let owner: i64 = get(&owner, 0, op)?;
            if owner != g.org {
                return Err(StoreError::Invalid(format!(
                    "organization {} does not own work {}",
                    g.org, g.work_id
                )));
            }
            let existing = tx
                .query(
                    &format!("SELECT {GRANT_COLS} FROM grants WHERE work = $1 ORDER BY id"),
                    &[&g.work_id],
                )
                .map_err(|e| db(op, e))?
                .iter()
                .map(|r| grant_of(r, op))
                .collect::<Result<Vec<_>, _>>()?;
            let conflicts = check_grant(g, &existing);
            if !conflicts.is_empty() && on_conflict == OnConflict::Refuse {
                return Ok(GrantOutcome::Refused(conflicts));
            }
            let p = params_of(g, &conflicts)?;
            let flagged = !conflicts.is_empty();
            let row = tx
                .query_one(
                    "INSERT INTO grants (work, org, licensee, territories, languages, media, exclusive, start_day, end_day,
                                         status, notes, flagged, conflicts, created_by, created_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                    &[
                        &g.work_id,
                        &g.org,
                        &g.licensee,
                        &p.territories,
                        &p.languages,
                        &p.media,
                        &g.exclusive,
                        &p.start_day,
                        &p.end_day,
                        &g.status.as_str(),
                        &g.notes,
                        &flagged,
                        &p.conflicts,
                        &g.created_by,
                        &at_ms,
                    ],
                )
                .map_err(|e| db(op, e))?;
            let id: i64 = get(&row, 0, op)?;
            Ok(GrantOutcome::Created(Box::new(Grant::from_new(
            id, g, conflicts, at_ms,
        ))))
        })
    }

    fn list_grants(&self, work: i64) -> Result<Vec<Grant>, StoreError> {
        let op = "list grants";
        self.query(
            op,
            &format!("SELECT {GRANT_COLS} FROM grants WHERE work = $1 ORDER BY id"),
            &[&work],
        )?
        .iter()
        .map(|r| grant_of(r, op))
        .collect()
    }

    fn get_grant(&self, id: GrantId) -> Result<Option<Grant>, StoreError> {
        let op = "get grant";
        self.query_opt(
            op,
            &format!("SELECT {GRANT_COLS} FROM grants WHERE id = $1"),
            &[&id],
        )?
        .map(|r| grant_of(&r, op))
        .transpose()
    }

    fn revoke_grant(&self, id: GrantId, at_ms: i64) -> Result<Option<Grant>, StoreError> {
        self.execute(
            "revoke grant",
            "UPDATE grants SET status = 'revoked', revoked_ms = $2 WHERE id = $1 AND status <> 'revoked'",
            &[&id, &at_ms],
        )?;
        self.get_grant(id)
    }

    fn set_grant_deposit(&self, id: GrantId, index: u64) -> Result<bool, StoreError> {
        let index = i64::try_from(index)
            .map_err(|_| StoreError::Invalid(format!("deposit index {index} is too large")))?;
        let n = self.execute(
            "set grant deposit",
            "UPDATE grants SET deposit_index = $2 WHERE id = $1",
            &[&id, &index],
        )?;
        Ok(n > 0)
    }
}

impl FingerprintStore for PostgresStore {
    fn put_fingerprints(&self, work: WorkId, fps: &[ChapterFingerprint]) -> Result<(), StoreError> {
        let op = "put fingerprints";
        self.write(|tx| {
            let exists = tx
                .query_opt("SELECT id FROM works WHERE id = $1 FOR UPDATE", &[&work])
                .map_err(|e| db(op, e))?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("work {work}")));
            }
            tx.execute("DELETE FROM chapter_fingerprints WHERE work = $1", &[&work])
                .map_err(|e| db(op, e))?;
            let st = tx
                .prepare(
                    "INSERT INTO chapter_fingerprints (work, chapter, signature, created_ms) VALUES ($1, $2, $3, $4)",
                )
                .map_err(|e| db(op, e))?;
            for f in fps {
                if f.work != work {
                    return Err(StoreError::Invalid(format!(
                        "fingerprint of work {} given for work {work}",
                        f.work
                    )));
                }
                tx.execute(&st, &[&work, &i64::from(f.chapter), &f.signature, &f.created_ms])
                    .map_err(|e| db(op, e))?;
            }
            Ok(())
        })
    }

    fn list_fingerprints(&self) -> Result<Vec<ChapterFingerprint>, StoreError> {
        let op = "list fingerprints";
        self.query(
            op,
            "SELECT work, chapter, signature, created_ms FROM chapter_fingerprints ORDER BY work, chapter",
            &[],
        )?
        .iter()
        .map(|r| {
            let chapter: i64 = get(r, 1, op)?;
            Ok(ChapterFingerprint {
                work: get(r, 0, op)?,
                chapter: u32::try_from(chapter)
                    .map_err(|_| StoreError::Backend(format!("{op}: chapter {chapter} out of range")))?,
                signature: get(r, 2, op)?,
                created_ms: get(r, 3, op)?,
            })
        })
        .collect()
    }

    fn works_without_fingerprints(&self) -> Result<Vec<WorkId>, StoreError> {
        let op = "works without fingerprints";
        self.query(
            op,
            "SELECT id FROM works w WHERE NOT EXISTS (SELECT 1 FROM chapter_fingerprints f WHERE f.work = w.id) ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| get(r, 0, op))
        .collect()
    }
}
