//! [`L10nStore`] on SQLite.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use qiantang_core::StoreError;
use qiantang_l10n::model::*;
use qiantang_l10n::L10nStore;

use crate::l10n_common::{
    bad_state, enc_origin, job_kind_json, parse_job_kind, parse_origin, parse_settings,
    settings_json, unit_key,
};
use crate::sqlite::{db, lock, SqliteStore};

const PROJECT_COLS: &str = "id, org, work, locale, market, settings, created_by, created_ms";
const SEGMENT_COLS: &str =
    "id, project, chapter, ordinal, char_offset, source, target, state, origin, version, updated_by, updated_ms";
const JOB_COLS: &str =
    "id, project, kind, state, done, total, error, created_by, created_ms, updated_ms";
const UNIT_COLS: &str = "id, org, source_lang, target_lang, source, target, context, approved, origin, created_by, created_ms";
const GLOSSARY_COLS: &str =
    "id, work, locale, source, aliases, target, kind, concept, locked, forbidden, note";

/// Raw project row; settings parsed after the query.
type RawProject = (Project, String);

fn project_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawProject> {
    Ok((
        Project {
            id: r.get(0)?,
            org: r.get(1)?,
            work: r.get(2)?,
            locale: r.get(3)?,
            market: r.get(4)?,
            settings: ProjectSettings::default(),
            created_by: r.get(6)?,
            created_ms: r.get(7)?,
        },
        r.get(5)?,
    ))
}

fn finish_project((mut p, settings): RawProject) -> Result<Project, StoreError> {
    p.settings = parse_settings(&settings)?;
    Ok(p)
}

type RawSegment = (Segment, String, Option<String>);

fn segment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawSegment> {
    Ok((
        Segment {
            id: r.get(0)?,
            project: r.get(1)?,
            chapter: r.get(2)?,
            ordinal: r.get(3)?,
            offset: r.get(4)?,
            source: r.get(5)?,
            target: r.get(6)?,
            state: SegmentState::New,
            origin: None,
            version: r.get(9)?,
            updated_by: r.get(10)?,
            updated_ms: r.get(11)?,
        },
        r.get(7)?,
        r.get(8)?,
    ))
}

fn finish_segment((mut s, state, origin): RawSegment) -> Result<Segment, StoreError> {
    s.state = SegmentState::parse(&state).ok_or_else(|| bad_state("segment state", &state))?;
    s.origin = parse_origin(origin.as_deref())?;
    Ok(s)
}

type RawJob = (Job, String, String);

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawJob> {
    Ok((
        Job {
            id: r.get(0)?,
            project: r.get(1)?,
            kind: JobKind::Pretranslate {
                chapters: None,
                backend: None,
            },
            state: JobState::Queued,
            done: r.get(4)?,
            total: r.get(5)?,
            error: r.get(6)?,
            created_by: r.get(7)?,
            created_ms: r.get(8)?,
            updated_ms: r.get(9)?,
        },
        r.get(2)?,
        r.get(3)?,
    ))
}

fn finish_job((mut j, kind, state): RawJob) -> Result<Job, StoreError> {
    j.kind = parse_job_kind(&kind)?;
    j.state = JobState::parse(&state).ok_or_else(|| bad_state("job state", &state))?;
    Ok(j)
}

fn unit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TranslationUnit> {
    Ok(TranslationUnit {
        id: r.get(0)?,
        org: r.get(1)?,
        source_lang: r.get(2)?,
        target_lang: r.get(3)?,
        source: r.get(4)?,
        target: r.get(5)?,
        context: r.get(6)?,
        approved: r.get(7)?,
        origin: r.get(8)?,
        created_by: r.get(9)?,
        created_ms: r.get(10)?,
    })
}

type RawGlossary = (GlossaryEntry, String, String, String);

fn glossary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawGlossary> {
    Ok((
        GlossaryEntry {
            id: r.get(0)?,
            work: r.get(1)?,
            locale: r.get(2)?,
            source: r.get(3)?,
            aliases: Vec::new(),
            target: r.get(5)?,
            kind: GlossaryKind::Term,
            concept: r.get(7)?,
            locked: r.get(8)?,
            forbidden: Vec::new(),
            note: r.get(10)?,
        },
        r.get(4)?,
        r.get(6)?,
        r.get(9)?,
    ))
}

fn finish_glossary(
    (mut g, aliases, kind, forbidden): RawGlossary,
) -> Result<GlossaryEntry, StoreError> {
    g.aliases = crate::l10n_common::parse_list("glossary aliases", &aliases)?;
    g.forbidden = crate::l10n_common::parse_list("glossary forbidden", &forbidden)?;
    g.kind = GlossaryKind::parse(&kind).ok_or_else(|| bad_state("glossary kind", &kind))?;
    Ok(g)
}

fn get_segment_tx(
    tx: &rusqlite::Transaction<'_>,
    id: SegmentId,
) -> Result<Option<Segment>, StoreError> {
    tx.query_row(
        &format!("SELECT {SEGMENT_COLS} FROM l10n_segments WHERE id = ?1"),
        [id],
        segment_row,
    )
    .optional()
    .map_err(|e| db("get segment", e))?
    .map(finish_segment)
    .transpose()
}

fn insert_revision(tx: &rusqlite::Transaction<'_>, s: &Segment) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO l10n_revisions (segment, version, source, target, state, origin, by_user, at_ms)
         VALUES (?1, ?2, ?8, ?3, ?4, ?5, ?6, ?7)",
        params![
            s.id,
            s.version,
            s.target,
            s.state.as_str(),
            enc_origin(s.origin.as_ref())?,
            s.updated_by.as_deref().unwrap_or(""),
            s.updated_ms,
            s.source
        ],
    )
    .map_err(|e| db("insert revision", e))?;
    Ok(())
}

fn save_segment(tx: &rusqlite::Transaction<'_>, s: &Segment) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE l10n_segments SET source = ?2, target = ?3, state = ?4, origin = ?5, version = ?6,
         updated_by = ?7, updated_ms = ?8 WHERE id = ?1",
        params![
            s.id,
            s.source,
            s.target,
            s.state.as_str(),
            enc_origin(s.origin.as_ref())?,
            s.version,
            s.updated_by,
            s.updated_ms
        ],
    )
    .map_err(|e| db("update segment", e))?;
    insert_revision(tx, s)
}

impl L10nStore for SqliteStore {
    fn create_project(&self, p: &NewProject, at_ms: i64) -> Result<Project, StoreError> {
        let settings = settings_json(&p.settings)?;
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        tx.execute(
            "INSERT INTO l10n_projects (org, work, locale, market, settings, created_by, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![p.org, p.work, p.locale, p.market, settings, p.created_by, at_ms],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(format!(
                    "work {} already has a project for {} / {} (or the work or organization does not exist)",
                    p.work, p.locale, p.market
                ))
            }
            e => db("insert project", e),
        })?;
        let id = tx.last_insert_rowid();
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO l10n_segments (project, chapter, ordinal, char_offset, source, state, version, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'new', 0, ?6)",
                )
                .map_err(|e| db("insert segment", e))?;
            for s in &p.segments {
                st.execute(params![id, s.chapter, s.ordinal, s.offset, s.source, at_ms])
                    .map_err(|e| db("insert segment", e))?;
            }
        }
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(Project {
            id,
            org: p.org,
            work: p.work,
            locale: p.locale.clone(),
            market: p.market.clone(),
            settings: p.settings.clone(),
            created_by: p.created_by.clone(),
            created_ms: at_ms,
        })
    }

    fn get_project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        self.all(
            "get project",
            &format!("SELECT {PROJECT_COLS} FROM l10n_projects WHERE id = ?1"),
            [id],
            project_row,
        )?
        .into_iter()
        .next()
        .map(finish_project)
        .transpose()
    }

    fn list_projects(&self, orgs: &[OrgId]) -> Result<Vec<Project>, StoreError> {
        let orgs = serde_json::to_string(orgs)
            .map_err(|e| StoreError::Backend(format!("list projects: {e}")))?;
        self.all(
            "list projects",
            &format!(
                "SELECT {PROJECT_COLS} FROM l10n_projects WHERE org IN (SELECT value FROM json_each(?1)) ORDER BY id DESC"
            ),
            [orgs],
            project_row,
        )?
        .into_iter()
        .map(finish_project)
        .collect()
    }

    fn set_project_settings(
        &self,
        id: ProjectId,
        settings: &ProjectSettings,
    ) -> Result<(), StoreError> {
        let json = settings_json(settings)?;
        let n = lock(&self.writer)
            .execute(
                "UPDATE l10n_projects SET settings = ?2 WHERE id = ?1",
                params![id, json],
            )
            .map_err(|e| db("set project settings", e))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("project {id}")));
        }
        Ok(())
    }

    fn delete_project(&self, id: ProjectId) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute("DELETE FROM l10n_projects WHERE id = ?1", [id])
            .map_err(|e| db("delete project", e))?;
        Ok(n > 0)
    }

    fn segments(
        &self,
        project: ProjectId,
        chapter: Option<u32>,
    ) -> Result<Vec<Segment>, StoreError> {
        self.all(
            "list segments",
            &format!(
                "SELECT {SEGMENT_COLS} FROM l10n_segments WHERE project = ?1 AND (?2 IS NULL OR chapter = ?2)
                 ORDER BY chapter, ordinal"
            ),
            params![project, chapter],
            segment_row,
        )?
        .into_iter()
        .map(finish_segment)
        .collect()
    }

    fn get_segment(&self, id: SegmentId) -> Result<Option<Segment>, StoreError> {
        self.all(
            "get segment",
            &format!("SELECT {SEGMENT_COLS} FROM l10n_segments WHERE id = ?1"),
            [id],
            segment_row,
        )?
        .into_iter()
        .next()
        .map(finish_segment)
        .transpose()
    }

    fn update_segments(
        &self,
        updates: &[SegmentUpdate],
    ) -> Result<Vec<Option<Segment>>, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let mut out = Vec::with_capacity(updates.len());
        for u in updates {
            let cur = get_segment_tx(&tx, u.id)?
                .ok_or_else(|| StoreError::NotFound(format!("segment {}", u.id)))?;
            match crate::l10n_common::apply_update(cur, u)? {
                Some(next) => {
                    save_segment(&tx, &next)?;
                    out.push(Some(next));
                }
                None => out.push(None),
            }
        }
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(out)
    }

    fn set_segment_source(
        &self,
        id: SegmentId,
        source: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<Segment, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let cur = get_segment_tx(&tx, id)?
            .ok_or_else(|| StoreError::NotFound(format!("segment {id}")))?;
        let next = crate::l10n_common::apply_source_change(cur, source, by, at_ms);
        save_segment(&tx, &next)?;
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(next)
    }

    fn segment_history(&self, id: SegmentId) -> Result<Vec<SegmentRevision>, StoreError> {
        self.all(
            "segment history",
            "SELECT segment, version, target, state, origin, by_user, at_ms, source FROM l10n_revisions
             WHERE segment = ?1 ORDER BY version",
            [id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )?
        .into_iter()
        .map(|(segment, version, target, state, origin, by, at_ms, source)| {
            Ok(SegmentRevision {
                segment,
                version,
                source,
                target,
                state: SegmentState::parse(&state)
                    .ok_or_else(|| bad_state("segment state", &state))?,
                origin: parse_origin(origin.as_deref())?,
                by,
                at_ms,
            })
        })
        .collect()
    }

    fn add_comment(
        &self,
        segment: SegmentId,
        author: &str,
        body: &str,
        at_ms: i64,
    ) -> Result<Comment, StoreError> {
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO l10n_comments (segment, author, body, at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![segment, author, body, at_ms],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::NotFound(format!("segment {segment}"))
            }
            e => db("add comment", e),
        })?;
        Ok(Comment {
            id: c.last_insert_rowid(),
            segment,
            author: author.into(),
            body: body.into(),
            at_ms,
        })
    }

    fn comments(&self, segment: SegmentId) -> Result<Vec<Comment>, StoreError> {
        self.all(
            "list comments",
            "SELECT id, segment, author, body, at_ms FROM l10n_comments WHERE segment = ?1 ORDER BY id",
            [segment],
            comment_row,
        )
    }

    fn project_comments(&self, project: ProjectId) -> Result<Vec<Comment>, StoreError> {
        self.all(
            "list comments",
            "SELECT c.id, c.segment, c.author, c.body, c.at_ms FROM l10n_comments c
             JOIN l10n_segments s ON s.id = c.segment WHERE s.project = ?1 ORDER BY c.id",
            [project],
            comment_row,
        )
    }

    fn progress(&self, project: ProjectId) -> Result<Vec<Progress>, StoreError> {
        let rows = self.all(
            "progress",
            "SELECT chapter, state, COUNT(*), SUM(length(source)) FROM l10n_segments
             WHERE project = ?1 GROUP BY chapter, state ORDER BY chapter",
            [project],
            |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )?;
        crate::l10n_common::fold_progress(rows)
    }

    fn add_units(&self, units: &[TranslationUnit]) -> Result<usize, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let mut added = 0;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO tm_units (org, unit_key, source_lang, target_lang, source, target, context, approved, origin, created_by, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(|e| db("add units", e))?;
            let mut approve = tx
                .prepare_cached(
                    "UPDATE tm_units SET approved = 1 WHERE org = ?1 AND unit_key = ?2 AND approved = 0",
                )
                .map_err(|e| db("add units", e))?;
            for u in units {
                let key = unit_key(u);
                let n = ins
                    .execute(params![
                        u.org,
                        key,
                        u.source_lang,
                        u.target_lang,
                        u.source,
                        u.target,
                        u.context,
                        u.approved,
                        u.origin,
                        u.created_by,
                        u.created_ms
                    ])
                    .map_err(|e| match e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            StoreError::Invalid(format!("organization {} does not exist", u.org))
                        }
                        e => db("add units", e),
                    })?;
                added += n;
                if n == 0 && u.approved {
                    approve
                        .execute(params![u.org, key])
                        .map_err(|e| db("add units", e))?;
                }
            }
        }
        tx.commit().map_err(|e| db("commit", e))?;
        Ok(added)
    }

    fn units(&self, org: OrgId) -> Result<Vec<TranslationUnit>, StoreError> {
        self.all(
            "list units",
            &format!("SELECT {UNIT_COLS} FROM tm_units WHERE org = ?1 ORDER BY id"),
            [org],
            unit_row,
        )
    }

    fn unit_count(&self, org: OrgId) -> Result<u64, StoreError> {
        self.reader()
            .query_row("SELECT COUNT(*) FROM tm_units WHERE org = ?1", [org], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| db("count units", e))
    }

    fn glossary(&self, work: WorkId, locale: &str) -> Result<Vec<GlossaryEntry>, StoreError> {
        self.all(
            "glossary",
            &format!(
                "SELECT {GLOSSARY_COLS} FROM l10n_glossary WHERE work = ?1 AND locale = ?2 ORDER BY source"
            ),
            params![work, locale],
            glossary_row,
        )?
        .into_iter()
        .map(finish_glossary)
        .collect()
    }

    fn put_glossary_entry(&self, e: &GlossaryEntry) -> Result<GlossaryEntry, StoreError> {
        let aliases = crate::l10n_common::list_json(&e.aliases)?;
        let forbidden = crate::l10n_common::list_json(&e.forbidden)?;
        let c = lock(&self.writer);
        let conflict = |err: rusqlite::Error| match err {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(format!(
                    "the glossary of work {} ({}) already has {} (or the work does not exist)",
                    e.work, e.locale, e.source
                ))
            }
            err => db("put glossary entry", err),
        };
        let id = if e.id == 0 {
            c.execute(
                "INSERT INTO l10n_glossary (work, locale, source, aliases, target, kind, concept, locked, forbidden, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![e.work, e.locale, e.source, aliases, e.target, e.kind.as_str(), e.concept, e.locked, forbidden, e.note],
            )
            .map_err(conflict)?;
            c.last_insert_rowid()
        } else {
            let n = c
                .execute(
                    "UPDATE l10n_glossary SET source = ?3, aliases = ?4, target = ?5, kind = ?6, concept = ?7,
                     locked = ?8, forbidden = ?9, note = ?10 WHERE id = ?1 AND work = ?2",
                    params![e.id, e.work, e.source, aliases, e.target, e.kind.as_str(), e.concept, e.locked, forbidden, e.note],
                )
                .map_err(conflict)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("glossary entry {}", e.id)));
            }
            e.id
        };
        Ok(GlossaryEntry { id, ..e.clone() })
    }

    fn delete_glossary_entry(&self, id: i64) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute("DELETE FROM l10n_glossary WHERE id = ?1", [id])
            .map_err(|e| db("delete glossary entry", e))?;
        Ok(n > 0)
    }

    fn create_job(
        &self,
        project: ProjectId,
        kind: &JobKind,
        by: &str,
        at_ms: i64,
    ) -> Result<Job, StoreError> {
        let kind_json = job_kind_json(kind)?;
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO l10n_jobs (project, kind, state, done, total, created_by, created_ms, updated_ms)
             VALUES (?1, ?2, 'queued', 0, 0, ?3, ?4, ?4)",
            params![project, kind_json, by, at_ms],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::NotFound(format!("project {project}"))
            }
            e => db("create job", e),
        })?;
        Ok(Job {
            id: c.last_insert_rowid(),
            project,
            kind: kind.clone(),
            state: JobState::Queued,
            done: 0,
            total: 0,
            error: None,
            created_by: by.into(),
            created_ms: at_ms,
            updated_ms: at_ms,
        })
    }

    fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.all(
            "get job",
            &format!("SELECT {JOB_COLS} FROM l10n_jobs WHERE id = ?1"),
            [id],
            job_row,
        )?
        .into_iter()
        .next()
        .map(finish_job)
        .transpose()
    }

    fn project_jobs(&self, project: ProjectId) -> Result<Vec<Job>, StoreError> {
        self.all(
            "list jobs",
            &format!("SELECT {JOB_COLS} FROM l10n_jobs WHERE project = ?1 ORDER BY id DESC"),
            [project],
            job_row,
        )?
        .into_iter()
        .map(finish_job)
        .collect()
    }

    fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        self.all(
            "unfinished jobs",
            &format!(
                "SELECT {JOB_COLS} FROM l10n_jobs WHERE state IN ('queued', 'running') ORDER BY id"
            ),
            [],
            job_row,
        )?
        .into_iter()
        .map(finish_job)
        .collect()
    }

    fn update_job(
        &self,
        id: JobId,
        state: JobState,
        done: u32,
        total: u32,
        error: Option<&str>,
        at_ms: i64,
    ) -> Result<Job, StoreError> {
        {
            let mut c = lock(&self.writer);
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| db("begin", e))?;
            tx.execute(
                "UPDATE l10n_jobs SET state = ?2, done = ?3, total = ?4, error = ?5, updated_ms = ?6
                 WHERE id = ?1 AND state NOT IN ('done', 'failed', 'cancelled')",
                params![id, state.as_str(), done, total, error, at_ms],
            )
            .map_err(|e| db("update job", e))?;
            tx.commit().map_err(|e| db("commit", e))?;
        }
        self.get_job(id)?
            .ok_or_else(|| StoreError::NotFound(format!("job {id}")))
    }

    fn mt_cache_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.reader()
            .query_row(
                "SELECT value FROM mt_cache WHERE cache_key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db("mt cache", e))
    }

    fn mt_cache_put(&self, key: &str, value: &str, at_ms: i64) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute(
                "INSERT INTO mt_cache (cache_key, value, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, created_ms = excluded.created_ms",
                params![key, value, at_ms],
            )
            .map_err(|e| db("mt cache", e))?;
        Ok(())
    }

    fn add_mt_usage(&self, project: ProjectId, u: &MtUsage) -> Result<(), StoreError> {
        let v = crate::l10n_common::usage_params(u)?;
        lock(&self.writer)
            .execute(
                "INSERT INTO mt_usage (project, backend, requests, prompt_tokens, completion_tokens, characters, cached_segments)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (project, backend) DO UPDATE SET
                   requests = requests + excluded.requests,
                   prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                   completion_tokens = completion_tokens + excluded.completion_tokens,
                   characters = characters + excluded.characters,
                   cached_segments = cached_segments + excluded.cached_segments",
                params![project, u.backend, v[0], v[1], v[2], v[3], v[4]],
            )
            .map_err(|e| db("mt usage", e))?;
        Ok(())
    }

    fn mt_usage(&self, project: ProjectId) -> Result<Vec<MtUsage>, StoreError> {
        self.all(
            "mt usage",
            "SELECT backend, requests, prompt_tokens, completion_tokens, characters, cached_segments
             FROM mt_usage WHERE project = ?1 ORDER BY backend",
            [project],
            |r| {
                Ok(MtUsage {
                    backend: r.get(0)?,
                    requests: r.get::<_, i64>(1)?.max(0) as u64,
                    prompt_tokens: r.get::<_, i64>(2)?.max(0) as u64,
                    completion_tokens: r.get::<_, i64>(3)?.max(0) as u64,
                    characters: r.get::<_, i64>(4)?.max(0) as u64,
                    cached_segments: r.get::<_, i64>(5)?.max(0) as u64,
                })
            },
        )
    }
}

fn comment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: r.get(0)?,
        segment: r.get(1)?,
        author: r.get(2)?,
        body: r.get(3)?,
        at_ms: r.get(4)?,
    })
}
