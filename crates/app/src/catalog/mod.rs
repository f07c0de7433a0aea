//! The catalog domain: works and chapters, import, tagging, cultural profiles.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use qiantang_kb::{EN, ZH_HANS};
use qiantang_works::import::{parse_novel, ImportOptions, ParsedNovel};
use qiantang_works::model::{
    ChapterMeta, ConceptUse, NewChapter, NewWork, StoredOccurrence, Work, WorkId, WorkScope,
};
use qiantang_works::WorkStore;

use crate::accounts::{Accounts, Actor, AuditDetail};
use crate::clock;
use crate::error::AppError;
use crate::kb::Knowledge;

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Id of the new work; `None` for a dry run.
    pub work: Option<WorkId>,
    /// Title used.
    pub title: String,
    /// Detected encoding (or `EPUB`).
    pub encoding: String,
    /// Chapters: (number, title, characters).
    pub chapters: Vec<(u32, String, u64)>,
    /// Occurrences found by the automatic tagging (0 for a dry run).
    pub occurrences: usize,
}

/// One concept line of a cultural profile.
#[derive(Debug, Clone)]
pub struct ProfileEntry {
    /// Concept id.
    pub concept: String,
    /// Display label (zh-Hans).
    pub label: String,
    /// English label, if any.
    pub label_en: Option<String>,
    /// Category key.
    pub category: String,
    /// Occurrences.
    pub count: u64,
    /// Chapters in which it occurs.
    pub chapters: u32,
}

/// A work's cultural profile: counts by concept and by category.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The work.
    pub work: Work,
    /// Per concept, most frequent first.
    pub concepts: Vec<ProfileEntry>,
    /// Per category key: (occurrences, distinct concepts), most frequent first.
    pub categories: Vec<(String, u64, u64)>,
    /// Total occurrences.
    pub total: u64,
}

/// An import as asked for (upload form, API, CLI).
#[derive(Debug, Clone, Copy)]
pub struct ImportRequest<'a> {
    /// Owning organization.
    pub org: i64,
    /// The file's name (its extension and the title fallback).
    pub file_name: &'a str,
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// Title (the file's own title or its stem when absent or blank).
    pub title: Option<&'a str>,
    /// Author (the file's own when absent or blank).
    pub author: Option<&'a str>,
    /// Chapter-heading options.
    pub options: &'a ImportOptions,
    /// Parse and report only.
    pub dry_run: bool,
    /// Publish the work right after the import.
    pub publish: bool,
    /// Who imports (for the audit log).
    pub actor: &'a Actor,
}

/// What an import stored, handed to every [`WorkObserver`] after its transaction.
pub struct Imported<'a> {
    /// Owning organization.
    pub org: i64,
    /// The new work.
    pub work: WorkId,
    /// The uploaded file's name.
    pub file_name: &'a str,
    /// The uploaded bytes.
    pub bytes: &'a [u8],
    /// The work's title.
    pub title: &'a str,
    /// The chapters stored.
    pub chapters: &'a [NewChapter],
}

/// A domain that follows the catalog (the piracy index, automatic deposits):
/// told after an import's transaction and after a deletion. Observers never
/// fail the operation; they log their own failures.
pub trait WorkObserver: Send + Sync {
    /// After an import was stored.
    fn imported(&self, _import: &Imported<'_>) {}
    /// After a work was deleted.
    fn deleted(&self, _work: WorkId) {}
}

/// The catalog service.
pub struct Catalog {
    store: Arc<dyn WorkStore>,
    kb: Arc<Knowledge>,
    accounts: Arc<Accounts>,
    observers: RwLock<Vec<Arc<dyn WorkObserver>>>,
}

impl Catalog {
    /// The service over its store.
    pub fn new(store: Arc<dyn WorkStore>, kb: Arc<Knowledge>, accounts: Arc<Accounts>) -> Self {
        Self {
            store,
            kb,
            accounts,
            observers: RwLock::new(Vec::new()),
        }
    }

    /// Registers a domain to be told about imports and deletions.
    pub fn observe(&self, o: Arc<dyn WorkObserver>) {
        self.observers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(o);
    }

    fn observers(&self) -> Vec<Arc<dyn WorkObserver>> {
        self.observers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A work, `None` when there is none with this id.
    pub fn work(&self, id: WorkId) -> Result<Option<Work>, AppError> {
        Ok(self.store.get_work(id)?)
    }

    /// A work, or [`AppError::NotFound`].
    pub fn require_work(&self, id: WorkId) -> Result<Work, AppError> {
        self.work(id)?
            .ok_or_else(|| AppError::NotFound(format!("work {id}")))
    }

    /// The chapters of a work in reading order (metadata only).
    pub fn chapters(&self, id: WorkId) -> Result<Vec<ChapterMeta>, AppError> {
        Ok(self.store.list_chapters(id)?)
    }

    /// A chapter's metadata and body; `None` when the work has no such chapter.
    pub fn chapter(
        &self,
        id: WorkId,
        number: u32,
    ) -> Result<Option<(ChapterMeta, String)>, AppError> {
        Ok(self.store.get_chapter(id, number)?)
    }

    /// Parses a novel file without writing anything.
    pub fn parse(
        &self,
        file_name: &str,
        bytes: &[u8],
        opts: &ImportOptions,
    ) -> Result<ParsedNovel, AppError> {
        Ok(parse_novel(file_name, bytes, opts)?)
    }

    /// Imports a novel: parse, tag, store the work, its chapters and their
    /// occurrences in one transaction, then tell the observers (fingerprints,
    /// automatic deposits), publish when asked, and audit `work_imported`.
    /// A dry run parses and reports without writing.
    ///
    /// Errors: [`AppError::Import`] names the file and the problem; nothing is written.
    pub fn import_novel(&self, req: &ImportRequest<'_>) -> Result<ImportReport, AppError> {
        let report = self.import_unaudited(req)?;
        if let Some(id) = report.work {
            if req.publish {
                self.store.set_published(id, true)?;
            }
            self.accounts.audit(
                Some(req.org),
                req.actor,
                "work_imported",
                &format!("work:{id}"),
                AuditDetail::new()
                    .with("title", &report.title)
                    .with("chapters", report.chapters.len())
                    .with("file", req.file_name),
            );
        }
        Ok(report)
    }

    fn import_unaudited(&self, req: &ImportRequest<'_>) -> Result<ImportReport, AppError> {
        let ImportRequest {
            org,
            file_name,
            bytes,
            title,
            author,
            options: opts,
            dry_run,
            ..
        } = *req;
        let parsed = self.parse(file_name, bytes, opts)?;
        let title = title
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or_else(|| parsed.title.clone())
            .unwrap_or_else(|| file_stem(file_name));
        if title.chars().count() > 200 {
            return Err(AppError::Invalid(
                "title is longer than 200 characters".into(),
            ));
        }
        let chapters = parsed
            .chapters
            .iter()
            .map(|c| (c.number, c.title.clone(), c.char_count()))
            .collect();
        if dry_run {
            return Ok(ImportReport {
                work: None,
                title,
                encoding: parsed.encoding,
                chapters,
                occurrences: 0,
            });
        }
        let work = NewWork {
            org,
            title: title.clone(),
            author: author
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .or(parsed.author.clone()),
            language: ZH_HANS.to_string(),
            source_name: file_name.to_string(),
            source_encoding: parsed.encoding.clone(),
            occurrences: None,
            chapters: parsed.chapters,
        };
        // Tag in memory first, then store work, chapters and occurrences in
        // one transaction: a crash never leaves an untagged work behind.
        let occ = self.tag_chapters(&work.chapters);
        let occurrences = occ.len();
        let work = NewWork {
            occurrences: Some(occ),
            ..work
        };
        let id = self.store.create_work(&work, clock::now_ms())?;
        // Fingerprints right after the import's transaction; a work left
        // without them (crash, error) is fingerprinted when the index is built.
        // and the copyright deposit of the source file and every chapter body
        // (when automatic deposits are on and the log is attached).
        let imported = Imported {
            org,
            work: id,
            file_name,
            bytes,
            title: &title,
            chapters: &work.chapters,
        };
        for o in self.observers() {
            o.imported(&imported);
        }
        tracing::info!(
            work = id,
            chapters = work.chapters.len(),
            occurrences,
            "imported work"
        );
        Ok(ImportReport {
            work: Some(id),
            title,
            encoding: work.source_encoding,
            chapters,
            occurrences,
        })
    }

    /// Works visible in `scope`.
    pub fn list_works(&self, scope: &WorkScope) -> Result<Vec<Work>, AppError> {
        Ok(self.store.list_works(scope)?)
    }

    /// Occurrences of KB concepts in chapters (not stored).
    pub fn tag_chapters(
        &self,
        chapters: &[qiantang_works::model::NewChapter],
    ) -> Vec<StoredOccurrence> {
        let kb = self.kb.view();
        let mut all = Vec::new();
        for ch in chapters {
            for o in kb.tagger.tag(&ch.text) {
                all.push(StoredOccurrence {
                    chapter: ch.number,
                    start: o.start as u32,
                    len: o.len as u32,
                    concept: o.concept,
                });
            }
        }
        all
    }

    /// Tags every chapter of a work with the current KB, replacing earlier
    /// occurrences; returns the number found.
    pub fn tag_work(&self, id: WorkId) -> Result<usize, AppError> {
        let kb = self.kb.view();
        let chapters = self.store.list_chapters(id)?;
        if self.store.get_work(id)?.is_none() {
            return Err(AppError::NotFound(format!("work {id}")));
        }
        let mut all = Vec::new();
        for ch in &chapters {
            let Some((_, text)) = self.store.get_chapter(id, ch.number)? else {
                continue;
            };
            for o in kb.tagger.tag(&text) {
                all.push(StoredOccurrence {
                    chapter: ch.number,
                    start: o.start as u32,
                    len: o.len as u32,
                    concept: o.concept,
                });
            }
        }
        self.store.replace_occurrences(id, &all, clock::now_ms())?;
        Ok(all.len())
    }

    /// The cultural profile of a work; `None` inside when it was never tagged.
    pub fn profile(&self, id: WorkId) -> Result<Option<Profile>, AppError> {
        let work = self
            .store
            .get_work(id)?
            .ok_or_else(|| AppError::NotFound(format!("work {id}")))?;
        let Some(counts) = self.store.concept_counts(id)? else {
            return Ok(None);
        };
        let kb = self.kb.view();
        let mut cats: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut total = 0;
        let concepts = counts
            .into_iter()
            .map(|c| {
                let concept = kb.concepts.get(&c.concept);
                let category = concept
                    .map(|k| k.category.clone())
                    .unwrap_or_else(|| "unknown".into());
                let e = cats.entry(category.clone()).or_default();
                e.0 += c.count;
                e.1 += 1;
                total += c.count;
                ProfileEntry {
                    label: concept
                        .map(|k| k.display_name().to_string())
                        .unwrap_or_else(|| c.concept.clone()),
                    label_en: concept.and_then(|k| k.pref_label(EN)).map(str::to_string),
                    concept: c.concept,
                    category,
                    count: c.count,
                    chapters: c.chapters,
                }
            })
            .collect();
        let mut categories: Vec<_> = cats.into_iter().map(|(k, (n, d))| (k, n, d)).collect();
        categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Some(Profile {
            work,
            concepts,
            categories,
            total,
        }))
    }
}

fn file_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.split('.').next().unwrap_or(base);
    if stem.is_empty() {
        "untitled".to_string()
    } else {
        stem.to_string()
    }
}

impl Catalog {
    /// Occurrences of KB concepts in one chapter, by start offset (characters).
    pub fn chapter_occurrences(
        &self,
        work: WorkId,
        chapter: u32,
    ) -> Result<Vec<StoredOccurrence>, AppError> {
        Ok(self.store.chapter_occurrences(work, chapter)?)
    }

    /// Where a concept occurs, over the works in `scope`.
    pub fn concept_uses(
        &self,
        concept: &str,
        scope: &WorkScope,
    ) -> Result<Vec<ConceptUse>, AppError> {
        Ok(self.store.concept_uses(concept, scope)?)
    }

    /// Publishes or unpublishes a work (audited as `work_published` /
    /// `work_unpublished`); returns the work as stored.
    pub fn set_published(
        &self,
        work: &Work,
        published: bool,
        actor: &Actor,
    ) -> Result<Work, AppError> {
        if !self.store.set_published(work.id, published)? {
            return Err(AppError::NotFound(format!("work {}", work.id)));
        }
        self.accounts.audit(
            Some(work.org),
            actor,
            if published {
                "work_published"
            } else {
                "work_unpublished"
            },
            &format!("work:{}", work.id),
            AuditDetail::new(),
        );
        self.require_work(work.id)
    }

    /// Deletes a work with its chapters and occurrences (audited as
    /// `work_deleted`; the piracy index forgets it). `false` when it was
    /// already gone.
    pub fn delete_work(&self, work: &Work, actor: &Actor) -> Result<bool, AppError> {
        if !self.store.delete_work(work.id)? {
            return Ok(false);
        }
        self.accounts.audit(
            Some(work.org),
            actor,
            "work_deleted",
            &format!("work:{}", work.id),
            AuditDetail::new().with("title", &work.title),
        );
        for o in self.observers() {
            o.deleted(work.id);
        }
        Ok(true)
    }
}
