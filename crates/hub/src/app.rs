//! Application services shared by the HTTP hub and the CLI: seeding the KB,
//! importing and tagging works, cultural profiles, KB edits. Handlers and CLI
//! commands call these; neither talks to the stores directly.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

use qiantang_kb::{
    render, seed, Concept, KbStore, Market, Rendering, StoreError, Tagger, CATEGORIES, EN, ZH_HANS,
};
use qiantang_store::Stores;
use qiantang_works::import::{parse_novel, ImportError, ImportOptions, ParsedNovel};
use qiantang_works::model::{NewWork, StoredOccurrence, Work, WorkId, WorkScope};

use crate::clock;

/// Errors of application services. The hub maps them to HTTP statuses; the
/// CLI prints them.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The object does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request was invalid; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this (message says why).
    #[error("{0}")]
    Forbidden(String),
    /// Authentication failed (wrong credentials).
    #[error("{0}")]
    Unauthorized(String),
    /// The uploaded file could not be imported; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// In-memory view of the knowledge base: concepts, hierarchy, renderings,
/// markets and the tagger built from the labels. Rebuilt after every KB edit.
pub struct KbView {
    /// Concepts by id.
    pub concepts: BTreeMap<String, Concept>,
    /// Narrower concept ids by broader id (derived from `broader`).
    pub narrower: HashMap<String, Vec<String>>,
    /// Renderings by concept id.
    pub renderings: HashMap<String, Vec<Rendering>>,
    /// Markets by region.
    pub markets: BTreeMap<String, Market>,
    /// The tagger over all zh labels.
    pub tagger: Tagger,
}

impl KbView {
    fn build(kb: &dyn KbStore) -> Result<Self, StoreError> {
        let list = kb.list_concepts()?;
        let tagger = Tagger::new(&list);
        let mut narrower: HashMap<String, Vec<String>> = HashMap::new();
        for c in &list {
            for b in &c.broader {
                narrower.entry(b.clone()).or_default().push(c.id.clone());
            }
        }
        let mut renderings: HashMap<String, Vec<Rendering>> = HashMap::new();
        for r in kb.list_renderings(None)? {
            renderings.entry(r.concept.clone()).or_default().push(r);
        }
        let markets = kb
            .list_markets()?
            .into_iter()
            .map(|m| (m.region.clone(), m))
            .collect();
        Ok(Self {
            concepts: list.into_iter().map(|c| (c.id.clone(), c)).collect(),
            narrower,
            renderings,
            markets,
            tagger,
        })
    }

    /// Concepts without a broader concept (the roots of the tree).
    pub fn top_concepts(&self) -> Vec<&Concept> {
        self.concepts
            .values()
            .filter(|c| c.broader.iter().all(|b| !self.concepts.contains_key(b)))
            .collect()
    }

    /// The rendering of a concept for a market (see [`qiantang_kb::render::resolve`]).
    pub fn rendering_for(&self, concept: &Concept, market: &Market) -> render::Resolved {
        let rs = self
            .renderings
            .get(&concept.id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        render::resolve(concept, market, rs)
    }
}

/// The application: stores plus the cached KB view.
pub struct App {
    stores: Stores,
    kb: RwLock<Arc<KbView>>,
    pub(crate) l10n_state: crate::l10n::L10nState,
    /// The piracy check's LSH index, built on first use and dropped when works change.
    pub(crate) piracy: RwLock<Option<Arc<crate::app_piracy::PiracyIndex>>>,
    /// The deposit log handle and settings ([`crate::app_deposit`]).
    pub(crate) deposit: crate::app_deposit::DepositState,
}

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

impl App {
    /// Opens the embedded stores in `data_dir`, seeds an empty KB with the
    /// built-in seed and builds the KB view.
    pub fn open(data_dir: &Path) -> Result<Arc<Self>, AppError> {
        Self::open_with(data_dir, None)
    }

    /// Opens the store chosen by `database_url` (`None` or `sqlite:` → the
    /// embedded SQLite in `data_dir`; `postgres://…` → PostgreSQL, blobs still
    /// in `data_dir`). Must not run on an async worker thread (PostgreSQL's
    /// client blocks); call it from `spawn_blocking` or plain threads.
    pub fn open_with(data_dir: &Path, database_url: Option<&str>) -> Result<Arc<Self>, AppError> {
        let stores = qiantang_store::open(data_dir, database_url)?;
        Self::with_stores(stores)
    }

    /// Builds the app over existing stores (seeding an empty KB).
    pub fn with_stores(stores: Stores) -> Result<Arc<Self>, AppError> {
        if stores.kb.count_concepts()? == 0 {
            Self::load_seed(&stores)?;
        }
        if stores.auth.list_orgs()?.is_empty() {
            stores
                .auth
                .create_org(crate::app_auth::DEFAULT_ORG, clock::now_ms())?;
            tracing::info!(
                org = crate::app_auth::DEFAULT_ORG,
                "created the default organization"
            );
        }
        let view = KbView::build(stores.kb.as_ref())?;
        Ok(Arc::new(Self {
            stores,
            kb: RwLock::new(Arc::new(view)),
            l10n_state: Default::default(),
            piracy: RwLock::new(None),
            deposit: Default::default(),
        }))
    }

    fn load_seed(stores: &Stores) -> Result<(), AppError> {
        let seed = seed::load().map_err(|e| AppError::Invalid(e.to_string()))?;
        stores.kb.put_markets(&seed.markets)?;
        stores
            .kb
            .put_concepts(&seed.concepts, "seed", clock::now_ms())?;
        stores.kb.put_renderings(&seed.renderings)?;
        tracing::info!(
            concepts = seed.concepts.len(),
            renderings = seed.renderings.len(),
            markets = seed.markets.len(),
            "seeded knowledge base"
        );
        Ok(())
    }

    /// The stores.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// The current KB view.
    pub fn kb(&self) -> Arc<KbView> {
        self.kb.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rebuilds the KB view after an edit.
    pub fn refresh_kb(&self) -> Result<(), AppError> {
        let view = Arc::new(KbView::build(self.stores.kb.as_ref())?);
        *self.kb.write().unwrap_or_else(|p| p.into_inner()) = view;
        Ok(())
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

    /// Imports a novel: parse, store all chapters in one transaction, then tag.
    /// `dry_run` parses and reports without writing.
    ///
    /// Errors: [`AppError::Import`] names the file and the problem; nothing is written.
    // The arguments are the upload form's fields, one each; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub fn import_novel(
        &self,
        org: i64,
        file_name: &str,
        bytes: &[u8],
        title: Option<&str>,
        author: Option<&str>,
        opts: &ImportOptions,
        dry_run: bool,
    ) -> Result<ImportReport, AppError> {
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
        let id = self.stores.works.create_work(&work, clock::now_ms())?;
        // Fingerprints right after the import's transaction; a work left
        // without them (crash, error) is fingerprinted when the index is built.
        self.fingerprint_chapters(id, &work.chapters);
        // The copyright deposit of the source file and every chapter body
        // (when automatic deposits are on and the log is attached).
        self.deposit_import(org, id, file_name, bytes, &title, &work.chapters);
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
        Ok(self.stores.works.list_works(scope)?)
    }

    /// Occurrences of KB concepts in chapters (not stored).
    pub fn tag_chapters(
        &self,
        chapters: &[qiantang_works::model::NewChapter],
    ) -> Vec<StoredOccurrence> {
        let kb = self.kb();
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
        let kb = self.kb();
        let chapters = self.stores.works.list_chapters(id)?;
        if self.stores.works.get_work(id)?.is_none() {
            return Err(AppError::NotFound(format!("work {id}")));
        }
        let mut all = Vec::new();
        for ch in &chapters {
            let Some((_, text)) = self.stores.works.get_chapter(id, ch.number)? else {
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
        self.stores
            .works
            .replace_occurrences(id, &all, clock::now_ms())?;
        Ok(all.len())
    }

    /// The cultural profile of a work; `None` inside when it was never tagged.
    pub fn profile(&self, id: WorkId) -> Result<Option<Profile>, AppError> {
        let work = self
            .stores
            .works
            .get_work(id)?
            .ok_or_else(|| AppError::NotFound(format!("work {id}")))?;
        let Some(counts) = self.stores.works.concept_counts(id)? else {
            return Ok(None);
        };
        let kb = self.kb();
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

    /// Saves a concept edit (validated) and refreshes the KB view.
    pub fn save_concept(&self, concept: Concept, actor: &str) -> Result<(), AppError> {
        self.validate(&concept)?;
        self.stores
            .kb
            .put_concepts(&[concept], actor, clock::now_ms())?;
        self.refresh_kb()
    }

    /// Checks a concept edit against the current KB (id, category, labels, broader links, cycles).
    pub fn validate(&self, concept: &Concept) -> Result<(), AppError> {
        validate_concept(concept, &self.kb())
    }

    /// Replaces the KB's concepts and renderings with imported ones (one
    /// transaction per kind) and refreshes the view. Returns (concepts, renderings).
    pub fn import_kb(
        &self,
        concepts: &[Concept],
        renderings: &[Rendering],
        actor: &str,
    ) -> Result<(usize, usize), AppError> {
        if concepts.is_empty() && renderings.is_empty() {
            return Err(AppError::Invalid(
                "the file holds no concepts and no renderings".into(),
            ));
        }
        // The same rules as an edit, for every imported concept, checked on
        // the merged graph before anything is written.
        let mut ids = std::collections::HashSet::new();
        for c in concepts {
            check_fields(c)?;
            if !ids.insert(c.id.as_str()) {
                return Err(AppError::Invalid(format!("concept {} appears twice", c.id)));
            }
        }
        let mut graph = graph_of(&self.kb());
        for c in concepts {
            graph.insert(c.id.clone(), c.broader.clone());
        }
        check_graph(
            &graph,
            &concepts.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        )?;
        for r in renderings {
            if !graph.contains_key(&r.concept) {
                return Err(AppError::Invalid(format!(
                    "rendering for unknown concept {}",
                    r.concept
                )));
            }
        }
        self.stores
            .kb
            .put_concepts(concepts, actor, clock::now_ms())?;
        self.stores.kb.put_renderings(renderings)?;
        self.refresh_kb()?;
        Ok((concepts.len(), renderings.len()))
    }
}

/// Checks a concept id against `^[a-z0-9][a-z0-9.-]{0,99}$`.
pub fn check_id(id: &str) -> Result<(), AppError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "invalid concept id {id:?}: use 1–100 of a-z 0-9 . - starting with a letter or digit"
        )))
    }
}

/// Field rules of a concept: id syntax, a known category, exactly one
/// preferred zh-Hans label, at most one preferred label per language, labels
/// of 1–200 characters.
fn check_fields(c: &Concept) -> Result<(), AppError> {
    check_id(&c.id)?;
    let bad = |m: String| Err(AppError::Invalid(format!("concept {}: {m}", c.id)));
    if !CATEGORIES.iter().any(|(k, _, _)| *k == c.category) {
        return bad(format!("unknown category {:?}", c.category));
    }
    if c.pref_label(ZH_HANS).is_none() {
        return bad("a concept needs a preferred zh-Hans label".into());
    }
    let mut prefs = std::collections::HashSet::new();
    for l in &c.labels {
        if l.text.trim().is_empty() || l.text.chars().count() > 200 {
            return bad(format!("label in {} must have 1–200 characters", l.lang));
        }
        if l.kind == qiantang_kb::LabelKind::Pref && !prefs.insert(l.lang.as_str()) {
            return bad(format!("two preferred labels in {}", l.lang));
        }
    }
    Ok(())
}

/// Graph rules: every broader id exists in `graph` (id → broader ids) and no
/// concept in `check` reaches itself by broader links.
fn check_graph(graph: &HashMap<String, Vec<String>>, check: &[&str]) -> Result<(), AppError> {
    for id in check {
        for b in graph.get(*id).map(Vec::as_slice).unwrap_or(&[]) {
            if !graph.contains_key(b) {
                return Err(AppError::Invalid(format!(
                    "concept {id} has unknown broader concept {b}"
                )));
            }
        }
        let mut stack: Vec<&str> = graph
            .get(*id)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        while let Some(x) = stack.pop() {
            if x == *id {
                return Err(AppError::Invalid(format!(
                    "broader links of {id} would create a cycle"
                )));
            }
            if seen.insert(x) {
                if let Some(up) = graph.get(x) {
                    stack.extend(up.iter().map(String::as_str));
                }
            }
        }
    }
    Ok(())
}

fn graph_of(kb: &KbView) -> HashMap<String, Vec<String>> {
    kb.concepts
        .values()
        .map(|c| (c.id.clone(), c.broader.clone()))
        .collect()
}

fn validate_concept(c: &Concept, kb: &KbView) -> Result<(), AppError> {
    check_fields(c)?;
    if c.broader.iter().any(|b| b == &c.id) {
        return Err(AppError::Invalid(
            "a concept cannot be broader than itself".into(),
        ));
    }
    let mut graph = graph_of(kb);
    graph.insert(c.id.clone(), c.broader.clone());
    check_graph(&graph, &[c.id.as_str()])
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
