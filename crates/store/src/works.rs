//! [`WorkStore`] for both backends (chapter text in the blob folder).

use qiantang_kb::StoreError;
use qiantang_works::model::*;
use qiantang_works::WorkStore;

use crate::sql::{args, in_ids, Arg, Db, Row, Store};

const WORK_COLS: &str = "id, org, published, title, author, language, source_name, source_encoding, chapter_count, char_count, created_ms";

fn work_of(r: Row) -> Result<Work, StoreError> {
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
        char_count: r.get(9)?,
        created_ms: r.get(10)?,
    })
}

fn chapter_of(r: Row) -> Result<ChapterMeta, StoreError> {
    Ok(ChapterMeta {
        work: r.get(0)?,
        number: r.get(1)?,
        title: r.get(2)?,
        char_count: r.get(3)?,
        sha256: r.get(4)?,
    })
}

/// The SQL condition of a scope on the works table aliased `w` (`""` for no
/// alias): everything, or the works of some organizations plus, optionally,
/// the published ones.
fn scope_sql(w: &str, scope: &WorkScope) -> String {
    match scope {
        WorkScope::All => "TRUE".to_string(),
        WorkScope::Visible { orgs, published } => {
            let own = in_ids(&format!("{w}org"), orgs);
            if *published {
                format!("({own} OR {w}published)")
            } else {
                own
            }
        }
    }
}

fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is too large")))
}

/// Inserts the occurrences of `work` (one multi-row statement per batch).
fn insert_occurrences(
    c: &mut dyn crate::sql::Conn,
    work: WorkId,
    occ: &[StoredOccurrence],
) -> Result<(), StoreError> {
    let mut rows: Vec<Arg<'_>> = Vec::with_capacity(occ.len() * 5);
    for o in occ {
        rows.extend(args![work, o.chapter, o.start, o.len, &o.concept]);
    }
    c.insert_rows(
        "insert occurrence",
        "INSERT INTO occurrences (work, chapter, start, len, concept) VALUES",
        "",
        5,
        &rows,
    )?;
    Ok(())
}

/// Inserts the work, its chapters (with their blob hashes) and occurrences.
fn insert_work(
    db: &impl Db,
    work: &NewWork,
    hashes: &[String],
    at_ms: i64,
) -> Result<WorkId, StoreError> {
    let total: u64 = work.chapters.iter().map(|c| c.char_count()).sum();
    let total = to_i64(total, "character count")?;
    let chapter_count = i64::try_from(work.chapters.len()).unwrap_or(i64::MAX);
    let counts = work
        .chapters
        .iter()
        .map(|c| to_i64(c.char_count(), "character count"))
        .collect::<Result<Vec<i64>, _>>()?;
    db.write(|c| {
        let id: i64 = c
            .one_or(
                "insert work",
                "INSERT INTO works (title, author, language, source_name, source_encoding,
                                        chapter_count, char_count, created_ms, org)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                &args![
                    &work.title,
                    &work.author,
                    &work.language,
                    &work.source_name,
                    &work.source_encoding,
                    chapter_count,
                    total,
                    at_ms,
                    work.org
                ],
                || StoreError::Invalid(format!("organization {} does not exist", work.org)),
            )?
            .get(0)?;
        if let Some(occ) = &work.occurrences {
            c.exec(
                "tag work",
                "UPDATE works SET tagged_ms = ?2 WHERE id = ?1",
                &args![id, at_ms],
            )?;
            insert_occurrences(c, id, occ)?;
        }
        let mut rows: Vec<Arg<'_>> = Vec::with_capacity(work.chapters.len() * 5);
        for ((ch, hash), count) in work.chapters.iter().zip(hashes).zip(&counts) {
            rows.extend(args![id, ch.number, &ch.title, *count, hash]);
        }
        c.insert_rows(
            "insert chapter",
            "INSERT INTO chapters (work, number, title, char_count, sha256) VALUES",
            "",
            5,
            &rows,
        )?;
        Ok(id)
    })
}

impl<D: Db> WorkStore for Store<D> {
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
            insert_work(&self.db, work, &hashes, at_ms)
        })();
        if result.is_ok() {
            batch.keep();
        }
        result
    }

    fn list_works(&self, scope: &WorkScope) -> Result<Vec<Work>, StoreError> {
        let sql = format!(
            "SELECT {WORK_COLS} FROM works WHERE {} ORDER BY id DESC",
            scope_sql("", scope)
        );
        self.db.read(|c| c.map("list works", &sql, &[], work_of))
    }

    fn set_published(&self, id: WorkId, published: bool) -> Result<bool, StoreError> {
        let n = self.db.write(|c| {
            c.exec(
                "publish work",
                "UPDATE works SET published = ?2 WHERE id = ?1",
                &args![id, published],
            )
        })?;
        Ok(n > 0)
    }

    fn get_work(&self, id: WorkId) -> Result<Option<Work>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get work",
                &format!("SELECT {WORK_COLS} FROM works WHERE id = ?1"),
                &args![id],
            )?
            .map(work_of)
            .transpose()
        })
    }

    fn delete_work(&self, id: WorkId) -> Result<bool, StoreError> {
        // Blobs stay: they are content-addressed and may be shared with other works.
        let n = self
            .db
            .write(|c| c.exec("delete work", "DELETE FROM works WHERE id = ?1", &args![id]))?;
        Ok(n > 0)
    }

    fn list_chapters(&self, work: WorkId) -> Result<Vec<ChapterMeta>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list chapters",
                "SELECT work, number, title, char_count, sha256 FROM chapters WHERE work = ?1 ORDER BY number",
                &args![work],
                chapter_of,
            )
        })
    }

    fn get_chapter(
        &self,
        work: WorkId,
        number: u32,
    ) -> Result<Option<(ChapterMeta, String)>, StoreError> {
        let meta = self.db.read(|c| {
            c.opt(
                "get chapter",
                "SELECT work, number, title, char_count, sha256 FROM chapters WHERE work = ?1 AND number = ?2",
                &args![work, number],
            )?
            .map(chapter_of)
            .transpose()
        })?;
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
        self.db.write(|c| {
            let n = c.exec(
                "tag work",
                "UPDATE works SET tagged_ms = ?2 WHERE id = ?1",
                &args![work, at_ms],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("work {work}")));
            }
            c.exec(
                "clear occurrences",
                "DELETE FROM occurrences WHERE work = ?1",
                &args![work],
            )?;
            insert_occurrences(c, work, occ)
        })
    }

    fn chapter_occurrences(
        &self,
        work: WorkId,
        chapter: u32,
    ) -> Result<Vec<StoredOccurrence>, StoreError> {
        self.db.read(|c| {
            c.map(
                "chapter occurrences",
                "SELECT chapter, start, len, concept FROM occurrences WHERE work = ?1 AND chapter = ?2 ORDER BY start",
                &args![work, chapter],
                |r| {
                    Ok(StoredOccurrence {
                        chapter: r.get(0)?,
                        start: r.get(1)?,
                        len: r.get(2)?,
                        concept: r.get(3)?,
                    })
                },
            )
        })
    }

    fn concept_counts(&self, work: WorkId) -> Result<Option<Vec<ConceptCount>>, StoreError> {
        let op = "concept counts";
        // Both reads in one snapshot, so they see the same tagging run.
        self.db.snapshot(|c| {
            let tagged = c.opt(
                op,
                "SELECT tagged_ms FROM works WHERE id = ?1",
                &args![work],
            )?;
            let tagged: Option<i64> = match tagged {
                Some(r) => r.get(0)?,
                None => None,
            };
            if tagged.is_none() {
                return Ok(None);
            }
            c.map(
                op,
                "SELECT concept, COUNT(*), COUNT(DISTINCT chapter) FROM occurrences WHERE work = ?1
                 GROUP BY concept ORDER BY COUNT(*) DESC, concept",
                &args![work],
                |r| {
                    Ok(ConceptCount {
                        concept: r.get(0)?,
                        count: r.get(1)?,
                        chapters: r.get(2)?,
                    })
                },
            )
            .map(Some)
        })
    }

    fn concept_uses(
        &self,
        concept: &str,
        scope: &WorkScope,
    ) -> Result<Vec<ConceptUse>, StoreError> {
        let sql = format!(
            "SELECT o.work, w.title, COUNT(*), MIN(o.chapter) FROM occurrences o JOIN works w ON w.id = o.work
             WHERE o.concept = ?1 AND {}
             GROUP BY o.work, w.title ORDER BY COUNT(*) DESC, o.work",
            scope_sql("w.", scope)
        );
        self.db.read(|c| {
            c.map("concept uses", &sql, &args![concept], |r| {
                Ok(ConceptUse {
                    work: r.get(0)?,
                    title: r.get(1)?,
                    count: r.get(2)?,
                    first_chapter: r.get(3)?,
                })
            })
        })
    }
}
