//! [`RightsStore`] and [`FingerprintStore`] for both backends. Grant lists
//! and conflicts are stored as JSON text, days as `YYYY-MM-DD` text.

use qiantang_core::StoreError;
use qiantang_rights::{
    check_grant, Conflict, Day, Grant, GrantId, GrantOutcome, NewGrant, OnConflict, RightsStore,
};
use qiantang_works::{ChapterFingerprint, FingerprintStore, WorkId};

use crate::sql::{args, Db, Row, Store};

/// Columns of `grants` in [`GrantRow`] order.
const GRANT_COLS: &str = "id, work, org, licensee, territories, languages, media, exclusive, start_day, end_day, status, notes, flagged, conflicts, created_by, created_ms, revoked_ms, deposit_index";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored grant: invalid {what}: {e}"))
}

/// A `grants` row ([`GRANT_COLS`]) as a [`Grant`].
fn grant_of(r: Row) -> Result<Grant, StoreError> {
    let text = |i: usize| r.get::<String>(i);
    let end_day: Option<String> = r.get(9)?;
    let status: String = r.get(10)?;
    let deposit_index: Option<i64> = r.get(17)?;
    Ok(Grant {
        id: r.get(0)?,
        work_id: r.get(1)?,
        org: r.get(2)?,
        licensee: r.get(3)?,
        territories: serde_json::from_str(&text(4)?).map_err(|e| bad("territories", e))?,
        languages: serde_json::from_str(&text(5)?).map_err(|e| bad("languages", e))?,
        media: serde_json::from_str(&text(6)?).map_err(|e| bad("media", e))?,
        exclusive: r.get(7)?,
        start: Day::parse(&text(8)?).map_err(|e| bad("start", e))?,
        end: end_day
            .as_deref()
            .map(Day::parse)
            .transpose()
            .map_err(|e| bad("end", e))?,
        status: status.parse().map_err(|e| bad("status", e))?,
        notes: r.get(11)?,
        flagged: r.get(12)?,
        conflicts: serde_json::from_str::<Vec<Conflict>>(&text(13)?)
            .map_err(|e| bad("conflicts", e))?,
        created_by: r.get(14)?,
        created_ms: r.get(15)?,
        revoked_ms: r.get(16)?,
        deposit_index: deposit_index
            .map(u64::try_from)
            .transpose()
            .map_err(|e| bad("deposit index", e))?,
    })
}

/// Text columns of a new grant.
struct GrantParams {
    territories: String,
    languages: String,
    media: String,
    start_day: String,
    end_day: Option<String>,
    conflicts: String,
}

fn params_of(g: &NewGrant, conflicts: &[Conflict]) -> Result<GrantParams, StoreError> {
    let j = |v: Result<String, serde_json::Error>| {
        v.map_err(|e| StoreError::Invalid(format!("grant cannot be serialized: {e}")))
    };
    Ok(GrantParams {
        territories: j(serde_json::to_string(&g.territories))?,
        languages: j(serde_json::to_string(&g.languages))?,
        media: j(serde_json::to_string(&g.media))?,
        start_day: g.start.to_string(),
        end_day: g.end.map(|d| d.to_string()),
        conflicts: j(serde_json::to_string(conflicts))?,
    })
}

impl<D: Db> RightsStore for Store<D> {
    fn create_grant(
        &self,
        g: &NewGrant,
        on_conflict: OnConflict,
        at_ms: i64,
    ) -> Result<GrantOutcome, StoreError> {
        let op = "create grant";
        self.db.write(|c| {
            // Locking the work's row serializes grants of one work (SQLite's
            // write transaction already does): a second transaction waits
            // here and then sees the first one's grant.
            let owner = c.opt(
                op,
                &format!("SELECT org FROM works WHERE id = ?1{}", c.dialect().for_update()),
                &args![g.work_id],
            )?;
            let Some(owner) = owner else {
                return Err(StoreError::NotFound(format!("work {}", g.work_id)));
            };
            let owner: i64 = owner.get(0)?;
            if owner != g.org {
                return Err(StoreError::Invalid(format!(
                    "organization {} does not own work {}",
                    g.org, g.work_id
                )));
            }
            let existing = c.map(
                op,
                &format!("SELECT {GRANT_COLS} FROM grants WHERE work = ?1 ORDER BY id"),
                &args![g.work_id],
                grant_of,
            )?;
            let conflicts = check_grant(g, &existing);
            if !conflicts.is_empty() && on_conflict == OnConflict::Refuse {
                return Ok(GrantOutcome::Refused(conflicts));
            }
            let p = params_of(g, &conflicts)?;
            let id: i64 = c
                .one(
                    op,
                    "INSERT INTO grants (work, org, licensee, territories, languages, media, exclusive,
                                         start_day, end_day, status, notes, flagged, conflicts,
                                         created_by, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     RETURNING id",
                    &args![
                        g.work_id,
                        g.org,
                        &g.licensee,
                        &p.territories,
                        &p.languages,
                        &p.media,
                        g.exclusive,
                        &p.start_day,
                        &p.end_day,
                        g.status.as_str(),
                        &g.notes,
                        !conflicts.is_empty(),
                        &p.conflicts,
                        &g.created_by,
                        at_ms
                    ],
                )?
                .get(0)?;
            Ok(GrantOutcome::Created(Box::new(Grant::from_new(
                id, g, conflicts, at_ms,
            ))))
        })
    }

    fn list_grants(&self, work: i64) -> Result<Vec<Grant>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list grants",
                &format!("SELECT {GRANT_COLS} FROM grants WHERE work = ?1 ORDER BY id"),
                &args![work],
                grant_of,
            )
        })
    }

    fn get_grant(&self, id: GrantId) -> Result<Option<Grant>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get grant",
                &format!("SELECT {GRANT_COLS} FROM grants WHERE id = ?1"),
                &args![id],
            )?
            .map(grant_of)
            .transpose()
        })
    }

    fn revoke_grant(&self, id: GrantId, at_ms: i64) -> Result<Option<Grant>, StoreError> {
        self.db.write(|c| {
            c.exec(
                "revoke grant",
                "UPDATE grants SET status = 'revoked', revoked_ms = ?2 WHERE id = ?1 AND status <> 'revoked'",
                &args![id, at_ms],
            )
        })?;
        self.get_grant(id)
    }

    fn set_grant_deposit(&self, id: GrantId, index: u64) -> Result<bool, StoreError> {
        let index = i64::try_from(index)
            .map_err(|_| StoreError::Invalid(format!("deposit index {index} is too large")))?;
        let n = self.db.write(|c| {
            c.exec(
                "set grant deposit",
                "UPDATE grants SET deposit_index = ?2 WHERE id = ?1",
                &args![id, index],
            )
        })?;
        Ok(n > 0)
    }
}

impl<D: Db> FingerprintStore for Store<D> {
    fn put_fingerprints(&self, work: WorkId, fps: &[ChapterFingerprint]) -> Result<(), StoreError> {
        let op = "put fingerprints";
        self.db.write(|c| {
            let exists = c.opt(
                op,
                &format!(
                    "SELECT id FROM works WHERE id = ?1{}",
                    c.dialect().for_update()
                ),
                &args![work],
            )?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("work {work}")));
            }
            c.exec(
                op,
                "DELETE FROM chapter_fingerprints WHERE work = ?1",
                &args![work],
            )?;
            for f in fps {
                if f.work != work {
                    return Err(StoreError::Invalid(format!(
                        "fingerprint of work {} given for work {work}",
                        f.work
                    )));
                }
                c.exec(
                    op,
                    "INSERT INTO chapter_fingerprints (work, chapter, signature, created_ms)
                     VALUES (?1, ?2, ?3, ?4)",
                    &args![work, f.chapter, &f.signature, f.created_ms],
                )?;
            }
            Ok(())
        })
    }

    fn list_fingerprints(&self) -> Result<Vec<ChapterFingerprint>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list fingerprints",
                "SELECT work, chapter, signature, created_ms FROM chapter_fingerprints ORDER BY work, chapter",
                &[],
                |r| {
                    Ok(ChapterFingerprint {
                        work: r.get(0)?,
                        chapter: r.get(1)?,
                        signature: r.get(2)?,
                        created_ms: r.get(3)?,
                    })
                },
            )
        })
    }

    fn works_without_fingerprints(&self) -> Result<Vec<WorkId>, StoreError> {
        self.db.read(|c| {
            c.map(
                "works without fingerprints",
                "SELECT id FROM works w WHERE NOT EXISTS
                   (SELECT 1 FROM chapter_fingerprints f WHERE f.work = w.id) ORDER BY id",
                &[],
                |r| r.get(0),
            )
        })
    }
}
