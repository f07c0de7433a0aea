//! [`L10nStore`] on PostgreSQL (same semantics as `sqlite_l10n`).

use postgres::{Row, Transaction};

use qiantang_core::StoreError;
use qiantang_l10n::model::*;
use qiantang_l10n::L10nStore;

use crate::l10n_common::{
    apply_source_change, apply_update, bad_state, enc_origin, fold_progress, job_kind_json,
    list_json, parse_job_kind, parse_list, parse_origin, parse_settings, settings_json, unit_key,
    usage_params,
};
use crate::postgres::{constraint_or, db, get, get_u32, get_u64, PostgresStore};

const PROJECT_COLS: &str = "id, org, work, locale, market, settings, created_by, created_ms";
const SEGMENT_COLS: &str =
    "id, project, chapter, ordinal, char_offset, source, target, state, origin, version, updated_by, updated_ms";
const JOB_COLS: &str =
    "id, project, kind, state, done, total, error, created_by, created_ms, updated_ms";
const UNIT_COLS: &str = "id, org, source_lang, target_lang, source, target, context, approved, origin, created_by, created_ms";
const GLOSSARY_COLS: &str =
    "id, work, locale, source, aliases, target, kind, concept, locked, forbidden, note";

fn project_of(r: &Row) -> Result<Project, StoreError> {
    let op = "project";
    Ok(Project {
        id: get(r, 0, op)?,
        org: get(r, 1, op)?,
        work: get(r, 2, op)?,
        locale: get(r, 3, op)?,
        market: get(r, 4, op)?,
        settings: parse_settings(&get::<String>(r, 5, op)?)?,
        created_by: get(r, 6, op)?,
        created_ms: get(r, 7, op)?,
    })
}

fn segment_of(r: &Row) -> Result<Segment, StoreError> {
    let op = "segment";
    let state: String = get(r, 7, op)?;
    let origin: Option<String> = get(r, 8, op)?;
    Ok(Segment {
        id: get(r, 0, op)?,
        project: get(r, 1, op)?,
        chapter: get_u32(r, 2, op)?,
        ordinal: get_u32(r, 3, op)?,
        offset: get_u32(r, 4, op)?,
        source: get(r, 5, op)?,
        target: get(r, 6, op)?,
        state: SegmentState::parse(&state).ok_or_else(|| bad_state("segment state", &state))?,
        origin: parse_origin(origin.as_deref())?,
        version: get_u32(r, 9, op)?,
        updated_by: get(r, 10, op)?,
        updated_ms: get(r, 11, op)?,
    })
}

fn job_of(r: &Row) -> Result<Job, StoreError> {
    let op = "job";
    let state: String = get(r, 3, op)?;
    Ok(Job {
        id: get(r, 0, op)?,
        project: get(r, 1, op)?,
        kind: parse_job_kind(&get::<String>(r, 2, op)?)?,
        state: JobState::parse(&state).ok_or_else(|| bad_state("job state", &state))?,
        done: get_u32(r, 4, op)?,
        total: get_u32(r, 5, op)?,
        error: get(r, 6, op)?,
        created_by: get(r, 7, op)?,
        created_ms: get(r, 8, op)?,
        updated_ms: get(r, 9, op)?,
    })
}

fn unit_of(r: &Row) -> Result<TranslationUnit, StoreError> {
    let op = "translation unit";
    Ok(TranslationUnit {
        id: get(r, 0, op)?,
        org: get(r, 1, op)?,
        source_lang: get(r, 2, op)?,
        target_lang: get(r, 3, op)?,
        source: get(r, 4, op)?,
        target: get(r, 5, op)?,
        context: get(r, 6, op)?,
        approved: get(r, 7, op)?,
        origin: get(r, 8, op)?,
        created_by: get(r, 9, op)?,
        created_ms: get(r, 10, op)?,
    })
}

fn glossary_of(r: &Row) -> Result<GlossaryEntry, StoreError> {
    let op = "glossary entry";
    let kind: String = get(r, 6, op)?;
    Ok(GlossaryEntry {
        id: get(r, 0, op)?,
        work: get(r, 1, op)?,
        locale: get(r, 2, op)?,
        source: get(r, 3, op)?,
        aliases: parse_list("glossary aliases", &get::<String>(r, 4, op)?)?,
        target: get(r, 5, op)?,
        kind: GlossaryKind::parse(&kind).ok_or_else(|| bad_state("glossary kind", &kind))?,
        concept: get(r, 7, op)?,
        locked: get(r, 8, op)?,
        forbidden: parse_list("glossary forbidden", &get::<String>(r, 9, op)?)?,
        note: get(r, 10, op)?,
    })
}

fn comment_of(r: &Row) -> Result<Comment, StoreError> {
    let op = "comment";
    Ok(Comment {
        id: get(r, 0, op)?,
        segment: get(r, 1, op)?,
        author: get(r, 2, op)?,
        body: get(r, 3, op)?,
        at_ms: get(r, 4, op)?,
    })
}

fn save_segment(tx: &mut Transaction<'_>, s: &Segment) -> Result<(), StoreError> {
    let origin = enc_origin(s.origin.as_ref())?;
    let version = i64::from(s.version);
    tx.execute(
        "UPDATE l10n_segments SET source = $2, target = $3, state = $4, origin = $5, version = $6,
         updated_by = $7, updated_ms = $8 WHERE id = $1",
        &[
            &s.id,
            &s.source,
            &s.target,
            &s.state.as_str(),
            &origin,
            &version,
            &s.updated_by,
            &s.updated_ms,
        ],
    )
    .map_err(|e| db("update segment", e))?;
    tx.execute(
        "INSERT INTO l10n_revisions (segment, version, target, state, origin, by_user, at_ms, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &s.id,
            &version,
            &s.target,
            &s.state.as_str(),
            &origin,
            &s.updated_by.as_deref().unwrap_or(""),
            &s.updated_ms,
            &s.source,
        ],
    )
    .map_err(|e| db("insert revision", e))?;
    Ok(())
}

fn segment_for_update(tx: &mut Transaction<'_>, id: SegmentId) -> Result<Segment, StoreError> {
    let row = tx
        .query_opt(
            &format!("SELECT {SEGMENT_COLS} FROM l10n_segments WHERE id = $1 FOR UPDATE"),
            &[&id],
        )
        .map_err(|e| db("get segment", e))?
        .ok_or_else(|| StoreError::NotFound(format!("segment {id}")))?;
    segment_of(&row)
}

impl L10nStore for PostgresStore {
    fn create_project(&self, p: &NewProject, at_ms: i64) -> Result<Project, StoreError> {
        let settings = settings_json(&p.settings)?;
        let chapters: Vec<i64> = p.segments.iter().map(|s| i64::from(s.chapter)).collect();
        let ordinals: Vec<i64> = p.segments.iter().map(|s| i64::from(s.ordinal)).collect();
        let offsets: Vec<i64> = p.segments.iter().map(|s| i64::from(s.offset)).collect();
        let sources: Vec<&str> = p.segments.iter().map(|s| s.source.as_str()).collect();
        let id = self.write(|tx| {
            let row = tx
                .query_one(
                    "INSERT INTO l10n_projects (org, work, locale, market, settings, created_by, created_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[&p.org, &p.work, &p.locale, &p.market, &settings, &p.created_by, &at_ms],
                )
                .map_err(constraint_or("insert project", || {
                    StoreError::Conflict(format!(
                        "work {} already has a project for {} / {} (or the work or organization does not exist)",
                        p.work, p.locale, p.market
                    ))
                }))?;
            let id: i64 = get(&row, 0, "insert project")?;
            tx.execute(
                "INSERT INTO l10n_segments (project, chapter, ordinal, char_offset, source, state, version, updated_ms)
                 SELECT $1, c, o, f, s, 'new', 0, $6
                 FROM UNNEST($2::BIGINT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[]) AS t(c, o, f, s)",
                &[&id, &chapters, &ordinals, &offsets, &sources, &at_ms],
            )
            .map_err(|e| db("insert segments", e))?;
            Ok(id)
        })?;
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
        self.query_opt(
            "get project",
            &format!("SELECT {PROJECT_COLS} FROM l10n_projects WHERE id = $1"),
            &[&id],
        )?
        .map(|r| project_of(&r))
        .transpose()
    }

    fn list_projects(&self, orgs: &[OrgId]) -> Result<Vec<Project>, StoreError> {
        let orgs = orgs.to_vec();
        self.query(
            "list projects",
            &format!(
                "SELECT {PROJECT_COLS} FROM l10n_projects WHERE org = ANY($1) ORDER BY id DESC"
            ),
            &[&orgs],
        )?
        .iter()
        .map(project_of)
        .collect()
    }

    fn set_project_settings(
        &self,
        id: ProjectId,
        settings: &ProjectSettings,
    ) -> Result<(), StoreError> {
        let json = settings_json(settings)?;
        let n = self.execute(
            "set project settings",
            "UPDATE l10n_projects SET settings = $2 WHERE id = $1",
            &[&id, &json],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("project {id}")));
        }
        Ok(())
    }

    fn delete_project(&self, id: ProjectId) -> Result<bool, StoreError> {
        Ok(self.execute(
            "delete project",
            "DELETE FROM l10n_projects WHERE id = $1",
            &[&id],
        )? > 0)
    }

    fn segments(
        &self,
        project: ProjectId,
        chapter: Option<u32>,
    ) -> Result<Vec<Segment>, StoreError> {
        let chapter = chapter.map(i64::from);
        self.query(
            "list segments",
            &format!(
                "SELECT {SEGMENT_COLS} FROM l10n_segments WHERE project = $1 AND ($2::BIGINT IS NULL OR chapter = $2)
                 ORDER BY chapter, ordinal"
            ),
            &[&project, &chapter],
        )?
        .iter()
        .map(segment_of)
        .collect()
    }

    fn get_segment(&self, id: SegmentId) -> Result<Option<Segment>, StoreError> {
        self.query_opt(
            "get segment",
            &format!("SELECT {SEGMENT_COLS} FROM l10n_segments WHERE id = $1"),
            &[&id],
        )?
        .map(|r| segment_of(&r))
        .transpose()
    }

    fn update_segments(
        &self,
        updates: &[SegmentUpdate],
    ) -> Result<Vec<Option<Segment>>, StoreError> {
        self.write(|tx| {
            let mut out = Vec::with_capacity(updates.len());
            for u in updates {
                let cur = segment_for_update(tx, u.id)?;
                match apply_update(cur, u)? {
                    Some(next) => {
                        save_segment(tx, &next)?;
                        out.push(Some(next));
                    }
                    None => out.push(None),
                }
            }
            Ok(out)
        })
    }

    fn set_segment_source(
        &self,
        id: SegmentId,
        source: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<Segment, StoreError> {
        self.write(|tx| {
            let cur = segment_for_update(tx, id)?;
            let next = apply_source_change(cur, source, by, at_ms);
            save_segment(tx, &next)?;
            Ok(next)
        })
    }

    fn segment_history(&self, id: SegmentId) -> Result<Vec<SegmentRevision>, StoreError> {
        self.query(
            "segment history",
            "SELECT segment, version, target, state, origin, by_user, at_ms, source FROM l10n_revisions
             WHERE segment = $1 ORDER BY version",
            &[&id],
        )?
        .iter()
        .map(|r| {
            let op = "segment history";
            let state: String = get(r, 3, op)?;
            let origin: Option<String> = get(r, 4, op)?;
            Ok(SegmentRevision {
                segment: get(r, 0, op)?,
                version: get_u32(r, 1, op)?,
                source: get(r, 7, op)?,
                target: get(r, 2, op)?,
                state: SegmentState::parse(&state)
                    .ok_or_else(|| bad_state("segment state", &state))?,
                origin: parse_origin(origin.as_deref())?,
                by: get(r, 5, op)?,
                at_ms: get(r, 6, op)?,
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
        let rows = self.write(|tx| {
            tx.query(
                "INSERT INTO l10n_comments (segment, author, body, at_ms) VALUES ($1, $2, $3, $4)
                 RETURNING id, segment, author, body, at_ms",
                &[&segment, &author, &body, &at_ms],
            )
            .map_err(constraint_or("add comment", || {
                StoreError::NotFound(format!("segment {segment}"))
            }))
        })?;
        rows.first()
            .map(comment_of)
            .unwrap_or_else(|| Err(StoreError::Backend("add comment: no row returned".into())))
    }

    fn comments(&self, segment: SegmentId) -> Result<Vec<Comment>, StoreError> {
        self.query(
            "list comments",
            "SELECT id, segment, author, body, at_ms FROM l10n_comments WHERE segment = $1 ORDER BY id",
            &[&segment],
        )?
        .iter()
        .map(comment_of)
        .collect()
    }

    fn project_comments(&self, project: ProjectId) -> Result<Vec<Comment>, StoreError> {
        self.query(
            "list comments",
            "SELECT c.id, c.segment, c.author, c.body, c.at_ms FROM l10n_comments c
             JOIN l10n_segments s ON s.id = c.segment WHERE s.project = $1 ORDER BY c.id",
            &[&project],
        )?
        .iter()
        .map(comment_of)
        .collect()
    }

    fn progress(&self, project: ProjectId) -> Result<Vec<Progress>, StoreError> {
        let rows = self.query(
            "progress",
            "SELECT chapter, state, COUNT(*), SUM(length(source))::BIGINT FROM l10n_segments
             WHERE project = $1 GROUP BY chapter, state ORDER BY chapter",
            &[&project],
        )?;
        let op = "progress";
        let rows = rows
            .iter()
            .map(|r| {
                Ok((
                    get_u32(r, 0, op)?,
                    get::<String>(r, 1, op)?,
                    get_u32(r, 2, op)?,
                    get::<i64>(r, 3, op)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        fold_progress(rows)
    }

    fn add_units(&self, units: &[TranslationUnit]) -> Result<usize, StoreError> {
        let mut added = 0usize;
        // One transaction; rows go in chunks of UNNEST arrays.
        self.write(|tx| {
            for chunk in units.chunks(5_000) {
                let orgs: Vec<i64> = chunk.iter().map(|u| u.org).collect();
                let keys: Vec<String> = chunk.iter().map(unit_key).collect();
                let sl: Vec<&str> = chunk.iter().map(|u| u.source_lang.as_str()).collect();
                let tl: Vec<&str> = chunk.iter().map(|u| u.target_lang.as_str()).collect();
                let src: Vec<&str> = chunk.iter().map(|u| u.source.as_str()).collect();
                let tgt: Vec<&str> = chunk.iter().map(|u| u.target.as_str()).collect();
                let ctx: Vec<Option<&str>> = chunk.iter().map(|u| u.context.as_deref()).collect();
                let appr: Vec<bool> = chunk.iter().map(|u| u.approved).collect();
                let origin: Vec<&str> = chunk.iter().map(|u| u.origin.as_str()).collect();
                let by: Vec<&str> = chunk.iter().map(|u| u.created_by.as_str()).collect();
                let at: Vec<i64> = chunk.iter().map(|u| u.created_ms).collect();
                let n = tx
                    .execute(
                        "INSERT INTO tm_units (org, unit_key, source_lang, target_lang, source, target, context, approved, origin, created_by, created_ms)
                         SELECT DISTINCT ON (o, k) * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::BOOLEAN[], $9::TEXT[], $10::TEXT[], $11::BIGINT[])
                           AS t(o, k, sl, tl, s, t, c, a, orig, b, at)
                         ON CONFLICT (org, unit_key) DO NOTHING",
                        &[&orgs, &keys, &sl, &tl, &src, &tgt, &ctx, &appr, &origin, &by, &at],
                    )
                    .map_err(constraint_or("add units", || {
                        StoreError::Invalid("an organization of these units does not exist".into())
                    }))?;
                added += usize::try_from(n).unwrap_or(usize::MAX);
                let approved_keys: Vec<&String> = chunk
                    .iter()
                    .zip(&keys)
                    .filter(|(u, _)| u.approved)
                    .map(|(_, k)| k)
                    .collect();
                let approved_orgs: Vec<i64> =
                    chunk.iter().filter(|u| u.approved).map(|u| u.org).collect();
                if !approved_keys.is_empty() {
                    tx.execute(
                        "UPDATE tm_units SET approved = TRUE FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS t(o, k)
                         WHERE org = t.o AND unit_key = t.k AND NOT approved",
                        &[&approved_orgs, &approved_keys],
                    )
                    .map_err(|e| db("add units", e))?;
                }
            }
            Ok(())
        })?;
        Ok(added)
    }

    fn units(&self, org: OrgId) -> Result<Vec<TranslationUnit>, StoreError> {
        self.query(
            "list units",
            &format!("SELECT {UNIT_COLS} FROM tm_units WHERE org = $1 ORDER BY id"),
            &[&org],
        )?
        .iter()
        .map(unit_of)
        .collect()
    }

    fn unit_count(&self, org: OrgId) -> Result<u64, StoreError> {
        let rows = self.query(
            "count units",
            "SELECT COUNT(*) FROM tm_units WHERE org = $1",
            &[&org],
        )?;
        match rows.first() {
            Some(r) => get_u64(r, 0, "count units"),
            None => Ok(0),
        }
    }

    fn glossary(&self, work: WorkId, locale: &str) -> Result<Vec<GlossaryEntry>, StoreError> {
        self.query(
            "glossary",
            &format!(
                "SELECT {GLOSSARY_COLS} FROM l10n_glossary WHERE work = $1 AND locale = $2 ORDER BY source"
            ),
            &[&work, &locale],
        )?
        .iter()
        .map(glossary_of)
        .collect()
    }

    fn put_glossary_entry(&self, e: &GlossaryEntry) -> Result<GlossaryEntry, StoreError> {
        let aliases = list_json(&e.aliases)?;
        let forbidden = list_json(&e.forbidden)?;
        let conflict = || {
            StoreError::Conflict(format!(
                "the glossary of work {} ({}) already has {} (or the work does not exist)",
                e.work, e.locale, e.source
            ))
        };
        let id = self.write(|tx| {
            if e.id == 0 {
                let row = tx
                    .query_one(
                        "INSERT INTO l10n_glossary (work, locale, source, aliases, target, kind, concept, locked, forbidden, note)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                        &[&e.work, &e.locale, &e.source, &aliases, &e.target, &e.kind.as_str(), &e.concept, &e.locked, &forbidden, &e.note],
                    )
                    .map_err(constraint_or("put glossary entry", conflict))?;
                get::<i64>(&row, 0, "put glossary entry")
            } else {
                let n = tx
                    .execute(
                        "UPDATE l10n_glossary SET source = $3, aliases = $4, target = $5, kind = $6, concept = $7,
                         locked = $8, forbidden = $9, note = $10 WHERE id = $1 AND work = $2",
                        &[&e.id, &e.work, &e.source, &aliases, &e.target, &e.kind.as_str(), &e.concept, &e.locked, &forbidden, &e.note],
                    )
                    .map_err(constraint_or("put glossary entry", conflict))?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("glossary entry {}", e.id)));
                }
                Ok(e.id)
            }
        })?;
        Ok(GlossaryEntry { id, ..e.clone() })
    }

    fn delete_glossary_entry(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.execute(
            "delete glossary entry",
            "DELETE FROM l10n_glossary WHERE id = $1",
            &[&id],
        )? > 0)
    }

    fn create_job(
        &self,
        project: ProjectId,
        kind: &JobKind,
        by: &str,
        at_ms: i64,
    ) -> Result<Job, StoreError> {
        let kind_json = job_kind_json(kind)?;
        let rows = self.write(|tx| {
            tx.query(
                &format!(
                    "INSERT INTO l10n_jobs (project, kind, state, done, total, created_by, created_ms, updated_ms)
                     VALUES ($1, $2, 'queued', 0, 0, $3, $4, $4) RETURNING {JOB_COLS}"
                ),
                &[&project, &kind_json, &by, &at_ms],
            )
            .map_err(constraint_or("create job", || {
                StoreError::NotFound(format!("project {project}"))
            }))
        })?;
        rows.first()
            .map(job_of)
            .unwrap_or_else(|| Err(StoreError::Backend("create job: no row returned".into())))
    }

    fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.query_opt(
            "get job",
            &format!("SELECT {JOB_COLS} FROM l10n_jobs WHERE id = $1"),
            &[&id],
        )?
        .map(|r| job_of(&r))
        .transpose()
    }

    fn project_jobs(&self, project: ProjectId) -> Result<Vec<Job>, StoreError> {
        self.query(
            "list jobs",
            &format!("SELECT {JOB_COLS} FROM l10n_jobs WHERE project = $1 ORDER BY id DESC"),
            &[&project],
        )?
        .iter()
        .map(job_of)
        .collect()
    }

    fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        self.query(
            "unfinished jobs",
            &format!(
                "SELECT {JOB_COLS} FROM l10n_jobs WHERE state IN ('queued', 'running') ORDER BY id"
            ),
            &[],
        )?
        .iter()
        .map(job_of)
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
        let (done, total) = (i64::from(done), i64::from(total));
        self.execute(
            "update job",
            "UPDATE l10n_jobs SET state = $2, done = $3, total = $4, error = $5, updated_ms = $6
             WHERE id = $1 AND state NOT IN ('done', 'failed', 'cancelled')",
            &[&id, &state.as_str(), &done, &total, &error, &at_ms],
        )?;
        self.get_job(id)?
            .ok_or_else(|| StoreError::NotFound(format!("job {id}")))
    }

    fn mt_cache_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.query_opt(
            "mt cache",
            "SELECT value FROM mt_cache WHERE cache_key = $1",
            &[&key],
        )?
        .map(|r| get(&r, 0, "mt cache"))
        .transpose()
    }

    fn mt_cache_put(&self, key: &str, value: &str, at_ms: i64) -> Result<(), StoreError> {
        self.execute(
            "mt cache",
            "INSERT INTO mt_cache (cache_key, value, created_ms) VALUES ($1, $2, $3)
             ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, created_ms = EXCLUDED.created_ms",
            &[&key, &value, &at_ms],
        )?;
        Ok(())
    }

    fn add_mt_usage(&self, project: ProjectId, u: &MtUsage) -> Result<(), StoreError> {
        let v = usage_params(u)?;
        self.execute(
            "mt usage",
            "INSERT INTO mt_usage AS m (project, backend, requests, prompt_tokens, completion_tokens, characters, cached_segments)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (project, backend) DO UPDATE SET
               requests = m.requests + EXCLUDED.requests,
               prompt_tokens = m.prompt_tokens + EXCLUDED.prompt_tokens,
               completion_tokens = m.completion_tokens + EXCLUDED.completion_tokens,
               characters = m.characters + EXCLUDED.characters,
               cached_segments = m.cached_segments + EXCLUDED.cached_segments",
            &[&project, &u.backend, &v[0], &v[1], &v[2], &v[3], &v[4]],
        )?;
        Ok(())
    }

    fn mt_usage(&self, project: ProjectId) -> Result<Vec<MtUsage>, StoreError> {
        self.query(
            "mt usage",
            "SELECT backend, requests, prompt_tokens, completion_tokens, characters, cached_segments
             FROM mt_usage WHERE project = $1 ORDER BY backend",
            &[&project],
        )?
        .iter()
        .map(|r| {
            let op = "mt usage";
            Ok(MtUsage {
                backend: get(r, 0, op)?,
                requests: get_u64(r, 1, op)?,
                prompt_tokens: get_u64(r, 2, op)?,
                completion_tokens: get_u64(r, 3, op)?,
                characters: get_u64(r, 4, op)?,
                cached_segments: get_u64(r, 5, op)?,
            })
        })
        .collect()
    }
}
