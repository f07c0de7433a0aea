//! [`L10nStore`] for both backends (the update rules are in `l10n_common`).

use qiantang_core::StoreError;
use qiantang_l10n::model::*;
use qiantang_l10n::L10nStore;

use crate::l10n_common::{
    apply_source_change, apply_update, bad_state, enc_origin, fold_progress, job_kind_json,
    list_json, parse_job_kind, parse_list, parse_origin, parse_settings, settings_json, unit_key,
    usage_params,
};
use crate::sql::{args, in_ids, Arg, Conn, Db, Row, Store};

const PROJECT_COLS: &str = "id, org, work, locale, market, settings, created_by, created_ms";
const SEGMENT_COLS: &str =
    "id, project, chapter, ordinal, char_offset, source, target, state, origin, version, updated_by, updated_ms";
const JOB_COLS: &str =
    "id, project, kind, state, done, total, error, created_by, created_ms, updated_ms";
const UNIT_COLS: &str = "id, org, source_lang, target_lang, source, target, context, approved, origin, created_by, created_ms";
const GLOSSARY_COLS: &str =
    "id, work, locale, source, aliases, target, kind, concept, locked, forbidden, note";

fn project_of(r: &Row) -> Result<Project, StoreError> {
    Ok(Project {
        id: r.get(0)?,
        org: r.get(1)?,
        work: r.get(2)?,
        locale: r.get(3)?,
        market: r.get(4)?,
        settings: parse_settings(&r.get::<String>(5)?)?,
        created_by: r.get(6)?,
        created_ms: r.get(7)?,
    })
}

fn segment_of(r: &Row) -> Result<Segment, StoreError> {
    let state: String = r.get(7)?;
    let origin: Option<String> = r.get(8)?;
    Ok(Segment {
        id: r.get(0)?,
        project: r.get(1)?,
        chapter: r.get(2)?,
        ordinal: r.get(3)?,
        offset: r.get(4)?,
        source: r.get(5)?,
        target: r.get(6)?,
        state: SegmentState::parse(&state).ok_or_else(|| bad_state("segment state", &state))?,
        origin: parse_origin(origin.as_deref())?,
        version: r.get(9)?,
        updated_by: r.get(10)?,
        updated_ms: r.get(11)?,
    })
}

fn job_of(r: &Row) -> Result<Job, StoreError> {
    let state: String = r.get(3)?;
    Ok(Job {
        id: r.get(0)?,
        project: r.get(1)?,
        kind: parse_job_kind(&r.get::<String>(2)?)?,
        state: JobState::parse(&state).ok_or_else(|| bad_state("job state", &state))?,
        done: r.get(4)?,
        total: r.get(5)?,
        error: r.get(6)?,
        created_by: r.get(7)?,
        created_ms: r.get(8)?,
        updated_ms: r.get(9)?,
    })
}

fn unit_of(r: &Row) -> Result<TranslationUnit, StoreError> {
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

fn glossary_of(r: &Row) -> Result<GlossaryEntry, StoreError> {
    let kind: String = r.get(6)?;
    Ok(GlossaryEntry {
        id: r.get(0)?,
        work: r.get(1)?,
        locale: r.get(2)?,
        source: r.get(3)?,
        aliases: parse_list("glossary aliases", &r.get::<String>(4)?)?,
        target: r.get(5)?,
        kind: GlossaryKind::parse(&kind).ok_or_else(|| bad_state("glossary kind", &kind))?,
        concept: r.get(7)?,
        locked: r.get(8)?,
        forbidden: parse_list("glossary forbidden", &r.get::<String>(9)?)?,
        note: r.get(10)?,
    })
}

fn comment_of(r: &Row) -> Result<Comment, StoreError> {
    Ok(Comment {
        id: r.get(0)?,
        segment: r.get(1)?,
        author: r.get(2)?,
        body: r.get(3)?,
        at_ms: r.get(4)?,
    })
}

fn save_segment(c: &mut dyn Conn, s: &Segment) -> Result<(), StoreError> {
    let origin = enc_origin(s.origin.as_ref())?;
    c.exec(
        "update segment",
        "UPDATE l10n_segments SET source = ?2, target = ?3, state = ?4, origin = ?5, version = ?6,
         updated_by = ?7, updated_ms = ?8 WHERE id = ?1",
        &args![
            s.id,
            &s.source,
            &s.target,
            s.state.as_str(),
            &origin,
            s.version,
            &s.updated_by,
            s.updated_ms
        ],
    )?;
    c.exec(
        "insert revision",
        "INSERT INTO l10n_revisions (segment, version, source, target, state, origin, by_user, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &args![
            s.id,
            s.version,
            &s.source,
            &s.target,
            s.state.as_str(),
            &origin,
            s.updated_by.as_deref().unwrap_or(""),
            s.updated_ms
        ],
    )?;
    Ok(())
}

fn segment_for_update(c: &mut dyn Conn, id: SegmentId) -> Result<Segment, StoreError> {
    let sql = format!(
        "SELECT {SEGMENT_COLS} FROM l10n_segments WHERE id = ?1{}",
        c.dialect().for_update()
    );
    let row = c
        .opt("get segment", &sql, &args![id])?
        .ok_or_else(|| StoreError::NotFound(format!("segment {id}")))?;
    segment_of(&row)
}

impl<D: Db> L10nStore for Store<D> {
    fn create_project(&self, p: &NewProject, at_ms: i64) -> Result<Project, StoreError> {
        let settings = settings_json(&p.settings)?;
        let id = self.db.write(|c| {
            let id: i64 = c
                .one_or(
                    "insert project",
                    "INSERT INTO l10n_projects (org, work, locale, market, settings, created_by, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                    &args![p.org, p.work, &p.locale, &p.market, &settings, &p.created_by, at_ms],
                    || {
                        StoreError::Conflict(format!(
                            "work {} already has a project for {} / {} (or the work or organization does not exist)",
                            p.work, p.locale, p.market
                        ))
                    },
                )?
                .get(0)?;
            let mut rows: Vec<Arg<'_>> = Vec::with_capacity(p.segments.len() * 8);
            for s in &p.segments {
                rows.extend(args![id, s.chapter, s.ordinal, s.offset, &s.source, "new", 0_i64, at_ms]);
            }
            c.insert_rows(
                "insert segments",
                "INSERT INTO l10n_segments (project, chapter, ordinal, char_offset, source, state, version, updated_ms) VALUES",
                "",
                8,
                &rows,
            )?;
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
        self.db.read(|c| {
            c.opt(
                "get project",
                &format!("SELECT {PROJECT_COLS} FROM l10n_projects WHERE id = ?1"),
                &args![id],
            )?
            .map(|r| project_of(&r))
            .transpose()
        })
    }

    fn list_projects(&self, orgs: &[OrgId]) -> Result<Vec<Project>, StoreError> {
        let sql = format!(
            "SELECT {PROJECT_COLS} FROM l10n_projects WHERE {} ORDER BY id DESC",
            in_ids("org", orgs)
        );
        self.db
            .read(|c| c.map("list projects", &sql, &[], |r| project_of(&r)))
    }

    fn set_project_settings(
        &self,
        id: ProjectId,
        settings: &ProjectSettings,
    ) -> Result<(), StoreError> {
        let json = settings_json(settings)?;
        let n = self.db.write(|c| {
            c.exec(
                "set project settings",
                "UPDATE l10n_projects SET settings = ?2 WHERE id = ?1",
                &args![id, &json],
            )
        })?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("project {id}")));
        }
        Ok(())
    }

    fn delete_project(&self, id: ProjectId) -> Result<bool, StoreError> {
        let n = self.db.write(|c| {
            c.exec(
                "delete project",
                "DELETE FROM l10n_projects WHERE id = ?1",
                &args![id],
            )
        })?;
        Ok(n > 0)
    }

    fn segments(
        &self,
        project: ProjectId,
        chapter: Option<u32>,
    ) -> Result<Vec<Segment>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list segments",
                &format!(
                    "SELECT {SEGMENT_COLS} FROM l10n_segments
                     WHERE project = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR chapter = ?2)
                     ORDER BY chapter, ordinal"
                ),
                &args![project, chapter],
                |r| segment_of(&r),
            )
        })
    }

    fn get_segment(&self, id: SegmentId) -> Result<Option<Segment>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get segment",
                &format!("SELECT {SEGMENT_COLS} FROM l10n_segments WHERE id = ?1"),
                &args![id],
            )?
            .map(|r| segment_of(&r))
            .transpose()
        })
    }

    fn update_segments(
        &self,
        updates: &[SegmentUpdate],
    ) -> Result<Vec<Option<Segment>>, StoreError> {
        self.db.write(|c| {
            let mut out = Vec::with_capacity(updates.len());
            for u in updates {
                let cur = segment_for_update(c, u.id)?;
                match apply_update(cur, u)? {
                    Some(next) => {
                        save_segment(c, &next)?;
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
        self.db.write(|c| {
            let cur = segment_for_update(c, id)?;
            let next = apply_source_change(cur, source, by, at_ms);
            save_segment(c, &next)?;
            Ok(next)
        })
    }

    fn segment_history(&self, id: SegmentId) -> Result<Vec<SegmentRevision>, StoreError> {
        self.db.read(|c| {
            c.map(
                "segment history",
                "SELECT segment, version, target, state, origin, by_user, at_ms, source FROM l10n_revisions
                 WHERE segment = ?1 ORDER BY version",
                &args![id],
                |r| {
                    let state: String = r.get(3)?;
                    let origin: Option<String> = r.get(4)?;
                    Ok(SegmentRevision {
                        segment: r.get(0)?,
                        version: r.get(1)?,
                        source: r.get(7)?,
                        target: r.get(2)?,
                        state: SegmentState::parse(&state)
                            .ok_or_else(|| bad_state("segment state", &state))?,
                        origin: parse_origin(origin.as_deref())?,
                        by: r.get(5)?,
                        at_ms: r.get(6)?,
                    })
                },
            )
        })
    }

    fn add_comment(
        &self,
        segment: SegmentId,
        author: &str,
        body: &str,
        at_ms: i64,
    ) -> Result<Comment, StoreError> {
        let row = self.db.write(|c| {
            c.one_or(
                "add comment",
                "INSERT INTO l10n_comments (segment, author, body, at_ms) VALUES (?1, ?2, ?3, ?4)
                 RETURNING id, segment, author, body, at_ms",
                &args![segment, author, body, at_ms],
                || StoreError::NotFound(format!("segment {segment}")),
            )
        })?;
        comment_of(&row)
    }

    fn comments(&self, segment: SegmentId) -> Result<Vec<Comment>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list comments",
                "SELECT id, segment, author, body, at_ms FROM l10n_comments WHERE segment = ?1 ORDER BY id",
                &args![segment],
                |r| comment_of(&r),
            )
        })
    }

    fn project_comments(&self, project: ProjectId) -> Result<Vec<Comment>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list comments",
                "SELECT c.id, c.segment, c.author, c.body, c.at_ms FROM l10n_comments c
                 JOIN l10n_segments s ON s.id = c.segment WHERE s.project = ?1 ORDER BY c.id",
                &args![project],
                |r| comment_of(&r),
            )
        })
    }

    fn progress(&self, project: ProjectId) -> Result<Vec<Progress>, StoreError> {
        let rows = self.db.read(|c| {
            c.map(
                "progress",
                "SELECT chapter, state, COUNT(*), CAST(SUM(length(source)) AS BIGINT) FROM l10n_segments
                 WHERE project = ?1 GROUP BY chapter, state ORDER BY chapter",
                &args![project],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        })?;
        fold_progress(rows)
    }

    fn add_units(&self, units: &[TranslationUnit]) -> Result<usize, StoreError> {
        let keys: Vec<String> = units.iter().map(unit_key).collect();
        let added = self.db.write(|c| {
            let mut added = 0u64;
            for (chunk, keys) in units
                .chunks(crate::sql::MAX_BATCH_ROWS)
                .zip(keys.chunks(crate::sql::MAX_BATCH_ROWS))
            {
                let mut rows: Vec<Arg<'_>> = Vec::with_capacity(chunk.len() * 11);
                for (u, key) in chunk.iter().zip(keys) {
                    rows.extend(args![
                        u.org,
                        key,
                        &u.source_lang,
                        &u.target_lang,
                        &u.source,
                        &u.target,
                        &u.context,
                        u.approved,
                        &u.origin,
                        &u.created_by,
                        u.created_ms
                    ]);
                }
                // A unit already stored (or twice in the batch) is skipped...
                let sql = crate::sql::values_sql(
                    "INSERT INTO tm_units (org, unit_key, source_lang, target_lang, source, target,
                                           context, approved, origin, created_by, created_ms) VALUES",
                    "ON CONFLICT (org, unit_key) DO NOTHING",
                    11,
                    chunk.len(),
                );
                added += c.exec_or("add units", &sql, &rows, || {
                    StoreError::Invalid("an organization of these units does not exist".into())
                })?;
                // ...but an approved copy approves it.
                let mut approved: Vec<Arg<'_>> = Vec::new();
                for (u, key) in chunk.iter().zip(keys).filter(|(u, _)| u.approved) {
                    approved.extend(args![u.org, key]);
                }
                if !approved.is_empty() {
                    // Typed, so that PostgreSQL does not read the pairs as text.
                    let pairs: Vec<String> = (0..approved.len() / 2)
                        .map(|i| {
                            format!("(CAST(?{} AS BIGINT), CAST(?{} AS TEXT))", 2 * i + 1, 2 * i + 2)
                        })
                        .collect();
                    let pairs = pairs.join(", ");
                    c.exec(
                        "add units",
                        &format!(
                            "UPDATE tm_units SET approved = TRUE
                             WHERE NOT approved AND (org, unit_key) IN (VALUES {pairs})"
                        ),
                        &approved,
                    )?;
                }
            }
            Ok(added)
        })?;
        Ok(usize::try_from(added).unwrap_or(usize::MAX))
    }

    fn units(&self, org: OrgId) -> Result<Vec<TranslationUnit>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list units",
                &format!("SELECT {UNIT_COLS} FROM tm_units WHERE org = ?1 ORDER BY id"),
                &args![org],
                |r| unit_of(&r),
            )
        })
    }

    fn unit_count(&self, org: OrgId) -> Result<u64, StoreError> {
        self.db.read(|c| {
            c.one(
                "count units",
                "SELECT COUNT(*) FROM tm_units WHERE org = ?1",
                &args![org],
            )?
            .get(0)
        })
    }

    fn glossary(&self, work: WorkId, locale: &str) -> Result<Vec<GlossaryEntry>, StoreError> {
        self.db.read(|c| {
            c.map(
                "glossary",
                &format!(
                    "SELECT {GLOSSARY_COLS} FROM l10n_glossary WHERE work = ?1 AND locale = ?2 ORDER BY source"
                ),
                &args![work, locale],
                |r| glossary_of(&r),
            )
        })
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
        let id = self.db.write(|c| {
            if e.id == 0 {
                c.one_or(
                    "put glossary entry",
                    "INSERT INTO l10n_glossary (work, locale, source, aliases, target, kind, concept, locked, forbidden, note)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                    &args![
                        e.work,
                        &e.locale,
                        &e.source,
                        &aliases,
                        &e.target,
                        e.kind.as_str(),
                        &e.concept,
                        e.locked,
                        &forbidden,
                        &e.note
                    ],
                    conflict,
                )?
                .get(0)
            } else {
                let n = c.exec_or(
                    "put glossary entry",
                    "UPDATE l10n_glossary SET source = ?3, aliases = ?4, target = ?5, kind = ?6, concept = ?7,
                     locked = ?8, forbidden = ?9, note = ?10 WHERE id = ?1 AND work = ?2",
                    &args![
                        e.id,
                        e.work,
                        &e.source,
                        &aliases,
                        &e.target,
                        e.kind.as_str(),
                        &e.concept,
                        e.locked,
                        &forbidden,
                        &e.note
                    ],
                    conflict,
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("glossary entry {}", e.id)));
                }
                Ok(e.id)
            }
        })?;
        Ok(GlossaryEntry { id, ..e.clone() })
    }

    fn delete_glossary_entry(&self, id: i64) -> Result<bool, StoreError> {
        let n = self.db.write(|c| {
            c.exec(
                "delete glossary entry",
                "DELETE FROM l10n_glossary WHERE id = ?1",
                &args![id],
            )
        })?;
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
        let row = self.db.write(|c| {
            c.one_or(
                "create job",
                &format!(
                    "INSERT INTO l10n_jobs (project, kind, state, done, total, created_by, created_ms, updated_ms)
                     VALUES (?1, ?2, 'queued', 0, 0, ?3, ?4, ?4) RETURNING {JOB_COLS}"
                ),
                &args![project, &kind_json, by, at_ms],
                || StoreError::NotFound(format!("project {project}")),
            )
        })?;
        job_of(&row)
    }

    fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get job",
                &format!("SELECT {JOB_COLS} FROM l10n_jobs WHERE id = ?1"),
                &args![id],
            )?
            .map(|r| job_of(&r))
            .transpose()
        })
    }

    fn project_jobs(&self, project: ProjectId) -> Result<Vec<Job>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list jobs",
                &format!("SELECT {JOB_COLS} FROM l10n_jobs WHERE project = ?1 ORDER BY id DESC"),
                &args![project],
                |r| job_of(&r),
            )
        })
    }

    fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        self.db.read(|c| {
            c.map(
                "unfinished jobs",
                &format!(
                    "SELECT {JOB_COLS} FROM l10n_jobs WHERE state IN ('queued', 'running') ORDER BY id"
                ),
                &[],
                |r| job_of(&r),
            )
        })
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
        self.db.write(|c| {
            c.exec(
                "update job",
                "UPDATE l10n_jobs SET state = ?2, done = ?3, total = ?4, error = ?5, updated_ms = ?6
                 WHERE id = ?1 AND state NOT IN ('done', 'failed', 'cancelled')",
                &args![id, state.as_str(), done, total, error, at_ms],
            )
        })?;
        self.get_job(id)?
            .ok_or_else(|| StoreError::NotFound(format!("job {id}")))
    }

    fn mt_cache_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "mt cache",
                "SELECT value FROM mt_cache WHERE cache_key = ?1",
                &args![key],
            )?
            .map(|r| r.get(0))
            .transpose()
        })
    }

    fn mt_cache_put(&self, key: &str, value: &str, at_ms: i64) -> Result<(), StoreError> {
        self.db.write(|c| {
            c.exec(
                "mt cache",
                "INSERT INTO mt_cache (cache_key, value, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, created_ms = excluded.created_ms",
                &args![key, value, at_ms],
            )
        })?;
        Ok(())
    }

    fn add_mt_usage(&self, project: ProjectId, u: &MtUsage) -> Result<(), StoreError> {
        let v = usage_params(u)?;
        self.db.write(|c| {
            c.exec(
                "mt usage",
                "INSERT INTO mt_usage AS m (project, backend, requests, prompt_tokens, completion_tokens, characters, cached_segments)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (project, backend) DO UPDATE SET
                   requests = m.requests + excluded.requests,
                   prompt_tokens = m.prompt_tokens + excluded.prompt_tokens,
                   completion_tokens = m.completion_tokens + excluded.completion_tokens,
                   characters = m.characters + excluded.characters,
                   cached_segments = m.cached_segments + excluded.cached_segments",
                &args![project, &u.backend, v[0], v[1], v[2], v[3], v[4]],
            )
        })?;
        Ok(())
    }

    fn mt_usage(&self, project: ProjectId) -> Result<Vec<MtUsage>, StoreError> {
        self.db.read(|c| {
            c.map(
                "mt usage",
                "SELECT backend, requests, prompt_tokens, completion_tokens, characters, cached_segments
                 FROM mt_usage WHERE project = ?1 ORDER BY backend",
                &args![project],
                |r| {
                    Ok(MtUsage {
                        backend: r.get(0)?,
                        requests: r.get(1)?,
                        prompt_tokens: r.get(2)?,
                        completion_tokens: r.get(3)?,
                        characters: r.get(4)?,
                        cached_segments: r.get(5)?,
                    })
                },
            )
        })
    }
}
