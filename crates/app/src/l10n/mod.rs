//! Localization application services (issue 4): projects, the segment
//! workflow, translation memory, glossary, pre-translation jobs, QA and
//! exchange formats. The HTTP API, the web CAT editor and the CLI all call
//! these; authorization of the route is done by the caller, the workflow
//! rules (who may move a segment to which state) here, through [`Perms`].

use crate::accounts::AuditDetail;
use std::collections::{BTreeMap, HashMap};
use std::sync::{mpsc, Arc, Mutex, RwLock};

use qiantang_kb::Market;
use qiantang_l10n::model::*;
use qiantang_mt::{BackendConfig, MtBackend, MtCache};

use qiantang_l10n::L10nStore;

pub mod dto;
pub use dto::*;

use crate::accounts::{Accounts, Actor};
use crate::catalog::Catalog;
use crate::clock;
use crate::deposits::Deposits;
use crate::error::AppError;
use crate::kb::{KbView, Knowledge};

/// What the caller may do with segments of one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perms {
    /// May set `draft` / `translated` and comment.
    pub translate: bool,
    /// May set `reviewed` / `approved` and change approved segments.
    pub review: bool,
}

impl Perms {
    /// Everything (the local operator on the command line).
    pub const ALL: Perms = Perms {
        translate: true,
        review: true,
    };
}

/// The localization service: projects, the segment workflow, TM, glossary,
/// jobs, QA and exchange formats. Its state: configured MT backends, the TM
/// fuzzy indexes (one per organization, built on first use) and the job queue.
pub struct Localization {
    store: Arc<dyn L10nStore>,
    kb: Arc<Knowledge>,
    catalog: Arc<Catalog>,
    accounts: Arc<Accounts>,
    deposits: Arc<Deposits>,
    backends: RwLock<BTreeMap<String, Arc<dyn MtBackend>>>,
    /// Backend name → organizations allowed to use it (absent = all).
    access: RwLock<BTreeMap<String, Vec<String>>>,
    tm: Mutex<HashMap<OrgId, Arc<RwLock<qiantang_l10n::tm::TmIndex>>>>,
    queue: Mutex<Option<mpsc::Sender<JobId>>>,
    /// Set at shutdown: running jobs stop after their current batch.
    stopping: std::sync::atomic::AtomicBool,
}

/// Source language of every project (works are Chinese; the importer refuses others).
pub const SOURCE_LANG: &str = "zh-Hans";

/// Segments per MT request batch during pre-translation.
const MT_BATCH: usize = 20;
/// Already translated segments sent as context with each batch.
const MT_CONTEXT: usize = 3;
/// Consecutive batches without a single translation after which a job stops.
const MAX_FAILED_BATCHES: u32 = 3;

/// The store-backed MT cache: the same request never costs a second call,
/// across restarts.
struct StoreCache(Arc<dyn qiantang_l10n::L10nStore>);

impl MtCache for StoreCache {
    fn get(&self, key: &str) -> Option<Vec<(u32, String)>> {
        let v = self.0.mt_cache_get(key).ok()??;
        serde_json::from_str(&v).ok()
    }
    fn put(&self, key: &str, translations: &[(u32, String)]) {
        if let Ok(v) = serde_json::to_string(translations) {
            if let Err(e) = self.0.mt_cache_put(key, &v, clock::now_ms()) {
                tracing::warn!(error = %e, "could not store an MT cache entry");
            }
        }
    }
}

/// One segment as the CAT editor shows it.
#[derive(Debug, Clone)]
pub struct SegmentView {
    /// The segment.
    pub segment: Segment,
    /// Terms found in the source with their required renderings.
    pub hints: Vec<qiantang_l10n::adapt::TermHint>,
    /// Best TM matches (score ≥ the project threshold).
    pub matches: Vec<TmMatchView>,
    /// QA findings on the current target.
    pub findings: Vec<qiantang_l10n::qa::Finding>,
    /// Comments.
    pub comments: Vec<Comment>,
}

/// A TM match with its unit.
#[derive(Debug, Clone)]
pub struct TmMatchView {
    /// Score 0–101.
    pub score: u8,
    /// The unit.
    pub unit: TranslationUnit,
    /// Differences between the query and the unit's source, for highlighting.
    pub diff: Vec<qiantang_l10n::tm::DiffOp>,
}

/// Outcome of a pre-translation run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PretranslateReport {
    /// Segments filled from the TM.
    pub from_tm: u32,
    /// Segments filled by MT.
    pub from_mt: u32,
    /// Segments MT could not translate (left `new`).
    pub failed: u32,
    /// Segments skipped because they were no longer `new`.
    pub skipped: u32,
}

/// A QA finding located in a project.
#[derive(Debug, Clone)]
pub struct ProjectFinding {
    /// Segment id.
    pub segment: SegmentId,
    /// Segment key (`c1s3`).
    pub key: String,
    /// The finding.
    pub finding: qiantang_l10n::qa::Finding,
}

impl Localization {
    /// The service over its store.
    pub fn new(
        store: Arc<dyn L10nStore>,
        kb: Arc<Knowledge>,
        catalog: Arc<Catalog>,
        accounts: Arc<Accounts>,
        deposits: Arc<Deposits>,
    ) -> Self {
        Self {
            store,
            kb,
            catalog,
            accounts,
            deposits,
            backends: Default::default(),
            access: Default::default(),
            tm: Default::default(),
            queue: Default::default(),
            stopping: Default::default(),
        }
    }

    /// Registers the MT backends configured for the hub (name → config).
    /// `opencc` is always available for `zh-Hant-*` targets.
    ///
    /// Errors: a backend that cannot be built (bad URL, missing key variable).
    pub fn configure_mt(&self, configs: &BTreeMap<String, BackendConfig>) -> Result<(), AppError> {
        let mut map: BTreeMap<String, Arc<dyn MtBackend>> = BTreeMap::new();
        let cache: Arc<dyn MtCache> = Arc::new(StoreCache(self.store.clone()));
        let opencc: Box<dyn MtBackend> = Box::new(qiantang_mt::OpenCcBackend::new());
        map.insert(
            "opencc".into(),
            Arc::new(qiantang_mt::CachedBackend::new(opencc, cache.clone())),
        );
        for (name, cfg) in configs {
            let b = qiantang_mt::build_backend(cfg)
                .map_err(|e| AppError::Invalid(format!("MT backend {name}: {e}")))?;
            map.insert(
                name.clone(),
                Arc::new(qiantang_mt::CachedBackend::new(b, cache.clone())),
            );
        }
        *self.backends.write().unwrap_or_else(|p| p.into_inner()) = map;
        Ok(())
    }

    /// Restricts backends to organizations (backend name → organization
    /// names); a backend not listed is open to every organization. This is
    /// how an operator gives each organization its own MT account.
    ///
    /// Errors: a name that is not a configured backend.
    pub fn configure_mt_access(
        &self,
        access: &BTreeMap<String, Vec<String>>,
    ) -> Result<(), AppError> {
        let known = self.mt_backends();
        if let Some(bad) = access.keys().find(|k| !known.contains(k)) {
            return Err(AppError::Invalid(format!(
                "mt_orgs names {bad:?}, which is not a configured MT backend ({})",
                known.join(", ")
            )));
        }
        *self.access.write().unwrap_or_else(|p| p.into_inner()) = access.clone();
        Ok(())
    }

    /// Names of the MT backends an organization may use.
    pub fn mt_backends_for(&self, org: OrgId) -> Vec<String> {
        self.mt_backends()
            .into_iter()
            .filter(|b| self.backend_allowed(b, org))
            .collect()
    }

    fn backend_allowed(&self, name: &str, org: OrgId) -> bool {
        let access = self.access.read().unwrap_or_else(|p| p.into_inner());
        match access.get(name) {
            None => true,
            Some(orgs) => self
                .accounts
                .org(org)
                .ok()
                .flatten()
                .is_some_and(|o| orgs.contains(&o.name)),
        }
    }

    /// Names of the configured MT backends (`opencc` is always there).
    pub fn mt_backends(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .backends
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        if !names.iter().any(|n| n == "opencc") {
            names.push("opencc".into());
            names.sort();
        }
        names
    }

    fn backend(&self, name: &str, org: OrgId) -> Result<Arc<dyn MtBackend>, AppError> {
        if !self.backend_allowed(name, org) {
            return Err(AppError::Forbidden(format!(
                "the MT backend {name:?} is not enabled for this organization"
            )));
        }
        if let Some(b) = self
            .backends
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(b.clone());
        }
        if name == "opencc" {
            return Ok(Arc::new(qiantang_mt::OpenCcBackend::new()));
        }
        Err(AppError::Invalid(format!(
            "no MT backend named {name:?} is configured (known: {}); add [mt.{name}] to the configuration",
            self.mt_backends().join(", ")
        )))
    }

    // ------------------------------------------------------------------
    // Projects

    /// Creates a project for `work` into `locale` for `market`, splitting
    /// every chapter into segments. `zh-Hant-*` projects default to the
    /// `opencc` backend.
    ///
    /// Errors: unknown work or market, a malformed locale, a project that
    /// already exists for the same work × locale × market.
    pub fn create_project(
        &self,
        work: i64,
        locale: &str,
        market: &str,
        actor: &Actor,
    ) -> Result<Project, AppError> {
        let locale = check_locale(locale)?;
        let market = market.trim().to_ascii_uppercase();
        let kb = self.kb.view();
        if !kb.markets.contains_key(&market) {
            return Err(AppError::Invalid(format!(
                "unknown market {market:?}: use an ISO 3166-1 alpha-2 region the knowledge base has markets for ({})",
                kb.markets.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        let w = self
            .catalog
            .work(work)?
            .ok_or_else(|| AppError::NotFound(format!("work {work}")))?;
        let mut segments = Vec::new();
        for ch in self.catalog.chapters(work)? {
            let (_, body) = self
                .catalog
                .chapter(work, ch.number)?
                .ok_or_else(|| AppError::NotFound(format!("chapter {}", ch.number)))?;
            segments.extend(qiantang_l10n::segment::segment_chapter(
                ch.number,
                &body,
                Default::default(),
            ));
        }
        let settings = ProjectSettings {
            mt_backend: locale.starts_with("zh-Hant").then(|| "opencc".to_string()),
            ..ProjectSettings::default()
        };
        let p = self.store.create_project(
            &NewProject {
                org: w.org,
                work,
                locale: locale.clone(),
                market: market.clone(),
                settings,
                created_by: actor.name.clone(),
                segments,
            },
            clock::now_ms(),
        )?;
        self.accounts.audit(
            Some(w.org),
            actor,
            "l10n.project.create",
            &format!("project:{}", p.id),
            AuditDetail::new()
                .with("work", work)
                .with("locale", locale)
                .with("market", market),
        );
        Ok(p)
    }

    /// Changes a project's settings: default MT backend (`None` = TM only),
    /// TM threshold (50–100) and gloss style.
    ///
    /// Errors: unknown or not-allowed backend, threshold out of range.
    pub fn update_project_settings(
        &self,
        id: ProjectId,
        settings: ProjectSettings,
        actor: &Actor,
    ) -> Result<Project, AppError> {
        let p = self.project(id)?;
        if let Some(b) = &settings.mt_backend {
            self.backend(b, p.org)?;
        }
        if !(50..=100).contains(&settings.tm_threshold) {
            return Err(AppError::Invalid(format!(
                "a TM threshold of {} is out of range: use 50–100 (75 is the industry default)",
                settings.tm_threshold
            )));
        }
        self.store.set_project_settings(id, &settings)?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.project.settings",
            &format!("project:{id}"),
            AuditDetail::new()
                .with("mt_backend", &settings.mt_backend)
                .with("tm_threshold", settings.tm_threshold),
        );
        self.project(id)
    }

    /// One project; `NotFound` when absent.
    pub fn project(&self, id: ProjectId) -> Result<Project, AppError> {
        self.store
            .get_project(id)?
            .ok_or_else(|| AppError::NotFound(format!("project {id}")))
    }

    /// The market record of a project.
    pub fn project_market(&self, p: &Project) -> Result<Market, AppError> {
        self.kb
            .view()
            .markets
            .get(&p.market)
            .cloned()
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "market {} is no longer in the knowledge base",
                    p.market
                ))
            })
    }

    // ------------------------------------------------------------------
    // Segments

    /// Saves a segment: a new target and/or state, checked against
    /// `expected_version` (a conflict when someone saved in between) and the
    /// workflow rules: translators may set `draft`/`translated`; `reviewed`,
    /// `approved` and any change to an approved segment need review rights.
    /// Translated and better targets go into the organization's TM
    /// (approved when reviewed or approved). Returns the segment and the QA
    /// findings on the saved text.
    #[allow(clippy::too_many_arguments)]
    pub fn save_segment(
        &self,
        id: SegmentId,
        expected_version: u32,
        target: Option<&str>,
        state: SegmentState,
        perms: Perms,
        actor: &Actor,
    ) -> Result<(Segment, Vec<qiantang_l10n::qa::Finding>), AppError> {
        let cur = self
            .store
            .get_segment(id)?
            .ok_or_else(|| AppError::NotFound(format!("segment {id}")))?;
        let p = self.project(cur.project)?;
        if cur.state == SegmentState::Approved && !perms.review {
            return Err(AppError::Forbidden(
                "this segment is approved and locked; a reviewer must unlock it".into(),
            ));
        }
        match state {
            SegmentState::Reviewed | SegmentState::Approved if !perms.review => {
                return Err(AppError::Forbidden(format!(
                    "setting a segment to {} needs the reviewer role",
                    state.as_str()
                )))
            }
            _ if !perms.translate => {
                return Err(AppError::Forbidden(
                    "translating needs the translator role".into(),
                ))
            }
            _ => {}
        }
        let target = target.map(|t| t.trim_end_matches(['\r', '\n']).to_string());
        if let Some(t) = &target {
            if t.chars().count() > 20_000 {
                return Err(AppError::Invalid(
                    "a target longer than 20,000 characters".into(),
                ));
            }
        }
        let new_target = target.clone().or_else(|| cur.target.clone());
        if state > SegmentState::Draft && new_target.as_deref().is_none_or(|t| t.trim().is_empty())
        {
            return Err(AppError::Invalid(format!(
                "a segment with an empty target cannot be {}",
                state.as_str()
            )));
        }
        let origin = match (&target, &cur.target) {
            (Some(t), Some(old)) if t == old => cur.origin.clone(),
            (Some(_), _) => Some(Origin::Human),
            (None, _) => cur.origin.clone(),
        };
        let saved = self
            .store
            .update_segments(&[SegmentUpdate {
                id,
                expected_version: Some(expected_version),
                only_if_new: false,
                target,
                state,
                origin,
                by: actor.name.clone(),
                at_ms: clock::now_ms(),
            }])?
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| AppError::Invalid("the segment was not saved".into()))?;
        if saved.state >= SegmentState::Translated {
            if let Some(t) = &saved.target {
                let context = self.previous_source(&saved)?;
                self.add_tm_units(
                    p.org,
                    vec![TranslationUnit {
                        id: 0,
                        org: p.org,
                        source_lang: SOURCE_LANG.into(),
                        target_lang: p.locale.clone(),
                        source: saved.source.clone(),
                        target: t.clone(),
                        context,
                        approved: saved.state >= SegmentState::Reviewed,
                        origin: format!("project:{}", p.id),
                        created_by: actor.name.clone(),
                        created_ms: clock::now_ms(),
                    }],
                )?;
            }
        }
        let findings = self.segment_findings(&p, &saved)?;
        Ok((saved, findings))
    }

    fn previous_source(&self, s: &Segment) -> Result<Option<String>, AppError> {
        if s.ordinal == 0 {
            return Ok(None);
        }
        Ok(self
            .store
            .segments(s.project, Some(s.chapter))?
            .into_iter()
            .find(|x| x.ordinal + 1 == s.ordinal)
            .map(|x| x.source))
    }

    /// Corrects the source text of a segment (the author revised the
    /// chapter). The target is kept and the segment goes back to `draft`
    /// when it was past it; the revision history keeps the old source, so
    /// MT on the segment revises the approved translation.
    ///
    /// Errors: empty or over-long source, unknown segment.
    pub fn edit_segment_source(
        &self,
        id: SegmentId,
        source: &str,
        actor: &Actor,
    ) -> Result<Segment, AppError> {
        let source = source.trim();
        if source.is_empty() || source.chars().count() > 20_000 {
            return Err(AppError::Invalid(
                "a source segment needs 1–20,000 characters".into(),
            ));
        }
        let cur = self
            .store
            .get_segment(id)?
            .ok_or_else(|| AppError::NotFound(format!("segment {id}")))?;
        let p = self.project(cur.project)?;
        let seg = self
            .store
            .set_segment_source(id, source, &actor.name, clock::now_ms())?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.segment.source",
            &format!("segment:{id}"),
            AuditDetail::new()
                .with("old", &cur.source)
                .with("new", source),
        );
        Ok(seg)
    }

    /// Adds a comment to a segment.
    pub fn comment_segment(
        &self,
        id: SegmentId,
        body: &str,
        actor: &Actor,
    ) -> Result<Comment, AppError> {
        let body = body.trim();
        if body.is_empty() || body.chars().count() > 4000 {
            return Err(AppError::Invalid(
                "a comment needs 1–4000 characters".into(),
            ));
        }
        Ok(self
            .store
            .add_comment(id, &actor.name, body, clock::now_ms())?)
    }

    // ------------------------------------------------------------------
    // Translation memory

    /// Adds units to an organization's TM and to its in-memory index.
    /// Returns how many were new.
    pub fn add_tm_units(&self, org: OrgId, units: Vec<TranslationUnit>) -> Result<usize, AppError> {
        let n = self.store.add_units(&units)?;
        if n == 0 {
            // Nothing new, but an approval may have upgraded a stored unit.
            if units.iter().any(|u| u.approved) {
                self.tm
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&org);
            }
            return Ok(0);
        }
        let mut cache = self.tm.lock().unwrap_or_else(|p| p.into_inner());
        match (units.len(), cache.get(&org)) {
            // A segment save adds one new unit: extend the built index in place
            // (amortised O(tokens)) instead of rebuilding a large TM on the
            // next lookup. Its store id is not needed for matching.
            (1, Some(idx)) => {
                let idx = idx.clone();
                drop(cache);
                if let Some(u) = units.into_iter().next() {
                    idx.write().unwrap_or_else(|p| p.into_inner()).add(u);
                }
            }
            // Batches (TMX imports) may mix new units and duplicates: the index
            // is rebuilt from the store on next use.
            _ => {
                cache.remove(&org);
            }
        }
        Ok(n)
    }

    /// The fuzzy index of an organization's TM, built on first use.
    pub fn tm_index(
        &self,
        org: OrgId,
    ) -> Result<Arc<RwLock<qiantang_l10n::tm::TmIndex>>, AppError> {
        if let Some(i) = self.tm.lock().unwrap_or_else(|p| p.into_inner()).get(&org) {
            return Ok(i.clone());
        }
        let units = self.store.units(org)?;
        let idx = Arc::new(RwLock::new(qiantang_l10n::tm::TmIndex::build(units)));
        self.tm
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(org, idx.clone());
        Ok(idx)
    }

    /// Best TM matches for a source segment in a project.
    pub fn tm_matches(
        &self,
        p: &Project,
        source: &str,
        context: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TmMatchView>, AppError> {
        let idx = self.tm_index(p.org)?;
        let idx = idx.read().unwrap_or_else(|e| e.into_inner());
        Ok(idx
            .lookup(
                source,
                context,
                SOURCE_LANG,
                &p.locale,
                p.settings.tm_threshold,
                limit,
            )
            .into_iter()
            .filter_map(|m| {
                idx.unit(m.index).map(|u| TmMatchView {
                    score: m.score,
                    unit: u.clone(),
                    diff: m.diff,
                })
            })
            .collect())
    }

    /// Imports a TMX 1.4b file into an organization's TM, all or nothing.
    /// Returns (units in the file, units new to the TM).
    pub fn import_tmx(
        &self,
        org: OrgId,
        name: &str,
        bytes: &[u8],
        actor: &Actor,
    ) -> Result<(usize, usize), AppError> {
        let at = clock::now_ms();
        let units: Vec<TranslationUnit> = if name.to_ascii_lowercase().ends_with(".tsv") {
            // Tatoeba's export: English TAB Chinese TAB attribution.
            let text = std::str::from_utf8(bytes)
                .map_err(|_| AppError::Invalid(format!("{name}: not UTF-8 text")))?;
            qiantang_l10n::tatoeba::read_tatoeba(text, org, at)
                .map_err(|e| AppError::Invalid(format!("{name}: {e}")))?
        } else {
            qiantang_l10n::tmx::read_tmx(bytes)
                .map_err(|e| AppError::Invalid(format!("{name}: {e}")))?
                .to_units(org, &format!("tmx:{name}"), &actor.name, at)
        };
        let total = units.len();
        let added = self.add_tm_units(org, units)?;
        self.accounts.audit(
            Some(org),
            actor,
            "tm.import",
            name,
            AuditDetail::new().with("units", total).with("added", added),
        );
        Ok((total, added))
    }

    /// Writes an organization's TM as TMX 1.4b.
    pub fn export_tmx(&self, org: OrgId) -> Result<Vec<u8>, AppError> {
        tmx_bytes(&self.store.units(org)?)
    }

    // ------------------------------------------------------------------
    // Terms, QA

    fn glossary_for(&self, p: &Project) -> Result<Vec<GlossaryEntry>, AppError> {
        Ok(self.store.glossary(p.work, &p.locale)?)
    }

    /// Term hints for every segment of a project in reading order, with the
    /// first-occurrence rule applied across the whole work.
    pub fn project_hints(
        &self,
        p: &Project,
        segments: &[Segment],
    ) -> Result<Vec<Vec<qiantang_l10n::adapt::TermHint>>, AppError> {
        let kb = self.kb.view();
        let market = self.project_market(p)?;
        let glossary = self.glossary_for(p)?;
        let mut adapter = adapter_for(&kb, &market, &glossary, p.settings.gloss_style);
        Ok(segments
            .iter()
            .map(|s| adapter.next_segment(&s.source))
            .collect())
    }

    fn segment_findings(
        &self,
        p: &Project,
        s: &Segment,
    ) -> Result<Vec<qiantang_l10n::qa::Finding>, AppError> {
        let all = self.store.segments(p.id, None)?;
        let hints = self.project_hints(p, &all)?;
        let i = all.iter().position(|x| x.id == s.id).unwrap_or(0);
        Ok(qa_segment(
            p,
            s,
            hints.get(i).map(Vec::as_slice).unwrap_or(&[]),
        ))
    }

    /// QA over the whole project: every segment's checks plus the
    /// project-wide ones (inconsistent translations).
    pub fn project_qa(&self, id: ProjectId) -> Result<Vec<ProjectFinding>, AppError> {
        let p = self.project(id)?;
        let segs = self.store.segments(id, None)?;
        let hints = self.project_hints(&p, &segs)?;
        let mut out = Vec::new();
        for (s, h) in segs.iter().zip(&hints) {
            if s.target.as_deref().is_none_or(|t| t.trim().is_empty()) {
                // Whole-project QA lists what is still untranslated (the editor
                // has its own "untranslated" filter instead).
                out.push(ProjectFinding {
                    segment: s.id,
                    key: s.key(),
                    finding: qiantang_l10n::qa::Finding {
                        check: qiantang_l10n::qa::CheckId::Empty,
                        severity: qiantang_l10n::qa::Severity::Warning,
                        message: "not translated yet".into(),
                        span: None,
                        fix: None,
                    },
                });
                continue;
            }
            for f in qa_segment(&p, s, h) {
                out.push(ProjectFinding {
                    segment: s.id,
                    key: s.key(),
                    finding: f,
                });
            }
        }
        let pairs: Vec<(SegmentId, &str, Option<&str>)> = segs
            .iter()
            .map(|s| (s.id, s.source.as_str(), s.target.as_deref()))
            .collect();
        for (sid, f) in qiantang_l10n::qa::project_checks(&pairs) {
            if let Some(s) = segs.iter().find(|s| s.id == sid) {
                out.push(ProjectFinding {
                    segment: sid,
                    key: s.key(),
                    finding: f,
                });
            }
        }
        Ok(out)
    }

    /// The CAT editor's view of one chapter.
    pub fn chapter_view(&self, id: ProjectId, chapter: u32) -> Result<Vec<SegmentView>, AppError> {
        let p = self.project(id)?;
        let all = self.store.segments(id, None)?;
        let hints = self.project_hints(&p, &all)?;
        let mut comments: HashMap<SegmentId, Vec<Comment>> = HashMap::new();
        for c in self.store.project_comments(id)? {
            comments.entry(c.segment).or_default().push(c);
        }
        let mut out = Vec::new();
        let mut prev: Option<&Segment> = None;
        for (s, h) in all.iter().zip(hints) {
            if s.chapter == chapter {
                let ctx = prev
                    .filter(|x| x.chapter == s.chapter)
                    .map(|x| x.source.as_str());
                let matches = self.tm_matches(&p, &s.source, ctx, 3)?;
                out.push(SegmentView {
                    findings: qa_segment(&p, s, &h),
                    segment: s.clone(),
                    hints: h,
                    matches,
                    comments: comments.remove(&s.id).unwrap_or_default(),
                });
            }
            prev = Some(s);
        }
        Ok(out)
    }

    // ------------------------------------------------------------------
    // Jobs

    /// Queues a pre-translation job and hands it to the background worker
    /// (when one runs: `serve`). Returns the job.
    pub fn queue_pretranslate(
        &self,
        project: ProjectId,
        chapters: Option<(u32, u32)>,
        backend: Option<String>,
        actor: &Actor,
    ) -> Result<Job, AppError> {
        let p = self.project(project)?;
        if let Some(b) = &backend {
            self.backend(b, p.org)?;
        }
        if let Some((a, b)) = chapters {
            if a == 0 || b < a {
                return Err(AppError::Invalid(format!("bad chapter range {a}-{b}")));
            }
        }
        let job = self.store.create_job(
            project,
            &JobKind::Pretranslate { chapters, backend },
            &actor.name,
            clock::now_ms(),
        )?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.pretranslate",
            &format!("project:{project}"),
            AuditDetail::new().with("job", job.id),
        );
        if let Some(tx) = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = tx.send(job.id);
        }
        Ok(job)
    }

    /// Asks background jobs to stop after their current batch (hub
    /// shutdown); they stay `running` and resume at the next start.
    pub fn stop_jobs(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Cancels a job; a running job stops after its current batch.
    pub fn cancel_job(&self, id: JobId, actor: &Actor) -> Result<Job, AppError> {
        let j = self
            .store
            .get_job(id)?
            .ok_or_else(|| AppError::NotFound(format!("job {id}")))?;
        let j = self.store.update_job(
            id,
            JobState::Cancelled,
            j.done,
            j.total,
            None,
            clock::now_ms(),
        )?;
        let p = self.project(j.project)?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.job.cancel",
            &format!("job:{id}"),
            AuditDetail::new(),
        );
        Ok(j)
    }

    /// Starts the background job worker: resumes jobs left queued or running
    /// by a previous process, then runs jobs as they are queued, one at a time.
    pub fn start_job_worker(self: &Arc<Self>) -> Result<(), AppError> {
        let (tx, rx) = mpsc::channel::<JobId>();
        for j in self.store.unfinished_jobs()? {
            let _ = tx.send(j.id);
        }
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        let app = self.clone();
        std::thread::Builder::new()
            .name("l10n-jobs".into())
            .spawn(move || {
                while let Ok(id) = rx.recv() {
                    if let Err(e) = app.run_job(id, &mut |_| {}) {
                        tracing::warn!(job = id, error = %e, "localization job failed");
                    }
                }
            })
            .map_err(|e| AppError::Invalid(format!("cannot start the job worker: {e}")))?;
        Ok(())
    }

    /// Runs one job to its end in this thread, calling `progress` after each
    /// batch. A job already final is left alone. Resumable: only segments
    /// still `new` are filled, so a rerun continues where it stopped.
    pub fn run_job(&self, id: JobId, progress: &mut dyn FnMut(&Job)) -> Result<Job, AppError> {
        let job = self
            .store
            .get_job(id)?
            .ok_or_else(|| AppError::NotFound(format!("job {id}")))?;
        if job.state.is_final() {
            return Ok(job);
        }
        match self.pretranslate(&job, progress) {
            Ok(j) => Ok(j),
            Err(e) => {
                let cur = self.store.get_job(id)?.unwrap_or(job);
                self.store.update_job(
                    id,
                    JobState::Failed,
                    cur.done,
                    cur.total,
                    Some(&e.to_string()),
                    clock::now_ms(),
                )?;
                Err(e)
            }
        }
    }

    fn pretranslate(&self, job: &Job, progress: &mut dyn FnMut(&Job)) -> Result<Job, AppError> {
        let JobKind::Pretranslate { chapters, backend } = &job.kind;
        let p = self.project(job.project)?;
        let backend = match backend {
            Some(b) => Some(self.backend(b, p.org)?),
            None => None,
        };
        let all = self.store.segments(p.id, None)?;
        let hints = self.project_hints(&p, &all)?;
        let in_range = |s: &Segment| chapters.is_none_or(|(a, b)| s.chapter >= a && s.chapter <= b);
        let todo: Vec<usize> = (0..all.len())
            .filter(|&i| in_range(&all[i]) && all[i].state == SegmentState::New)
            .collect();
        // Progress counts this run's segments: a resumed job starts over on
        // what is still `new` (finished segments are no longer new).
        if job.done > 0 || job.state == JobState::Running {
            tracing::info!(
                job = job.id,
                remaining = todo.len(),
                "resuming a pre-translation job"
            );
        }
        let total = todo.len() as u32;
        let mut done = 0u32;
        let mut failed_batches = 0u32;
        let mut report = PretranslateReport::default();
        let mut j = self.store.update_job(
            job.id,
            JobState::Running,
            done,
            total,
            None,
            clock::now_ms(),
        )?;
        progress(&j);
        let job_name = format!("job:{}", job.id);
        // Translations decided so far (for MT context).
        let mut translated: HashMap<usize, String> = all
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.target
                    .clone()
                    .filter(|_| s.state >= SegmentState::Translated)
                    .map(|t| (i, t))
            })
            .collect();
        let mut usage = MtUsage {
            backend: backend
                .as_ref()
                .map(|b| b.name().to_string())
                .unwrap_or_default(),
            ..MtUsage::default()
        };
        for batch in todo.chunks(MT_BATCH) {
            if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                tracing::info!(
                    job = job.id,
                    done,
                    total,
                    "job paused for shutdown; it resumes at the next start"
                );
                return Ok(j);
            }
            // Cancelled in the meantime?
            if let Some(cur) = self.store.get_job(job.id)? {
                if cur.state.is_final() {
                    return Ok(cur);
                }
            }
            let mut updates = Vec::new();
            let mut for_mt = Vec::new();
            for &i in batch {
                let s = &all[i];
                let ctx = i
                    .checked_sub(1)
                    .map(|k| &all[k])
                    .filter(|x| x.chapter == s.chapter)
                    .map(|x| x.source.as_str());
                let best = self.tm_matches(&p, &s.source, ctx, 1)?.into_iter().next();
                match best {
                    Some(m) if m.score >= p.settings.tm_threshold => {
                        report.from_tm += 1;
                        translated.insert(i, m.unit.target.clone());
                        updates.push(SegmentUpdate {
                            id: s.id,
                            expected_version: None,
                            only_if_new: true,
                            target: Some(m.unit.target.clone()),
                            state: SegmentState::Draft,
                            origin: Some(Origin::Tm { score: m.score }),
                            by: job_name.clone(),
                            at_ms: clock::now_ms(),
                        });
                    }
                    _ => for_mt.push(i),
                }
            }
            if let (Some(b), false) = (&backend, for_mt.is_empty()) {
                let req = self.mt_request(&p, &all, &hints, &for_mt, &translated);
                let resp = b
                    .translate(&req)
                    .map_err(|e| AppError::Invalid(format!("MT backend {}: {e}", b.name())))?;
                // A backend that answers no segment of several batches in a row
                // is broken (wrong model, wrong format): stop instead of paying
                // for thousands of retries.
                if resp.translations.is_empty() {
                    failed_batches += 1;
                    if failed_batches >= MAX_FAILED_BATCHES {
                        let why = resp
                            .failures
                            .first()
                            .map(|f| f.reason.clone())
                            .unwrap_or_default();
                        return Err(AppError::Invalid(format!(
                            "MT backend {} translated no segment of {failed_batches} batches in a row (last: {why}); the job stopped — check the backend's model and reply format",
                            b.name()
                        )));
                    }
                } else {
                    failed_batches = 0;
                }
                usage.requests += resp.usage.requests;
                usage.prompt_tokens += resp.usage.prompt_tokens;
                usage.completion_tokens += resp.usage.completion_tokens;
                usage.characters += resp.usage.characters_billed;
                if resp.cached {
                    usage.cached_segments += for_mt.len() as u64;
                }
                for (n, &i) in for_mt.iter().enumerate() {
                    let s = &all[i];
                    match resp.get(n as u32) {
                        Some(text) => {
                            let h = hints.get(i).map(Vec::as_slice).unwrap_or(&[]);
                            let (text, _applied) =
                                qiantang_l10n::adapt::apply_required_terms(text, h);
                            report.from_mt += 1;
                            translated.insert(i, text.clone());
                            updates.push(SegmentUpdate {
                                id: s.id,
                                expected_version: None,
                                only_if_new: true,
                                target: Some(text),
                                state: SegmentState::Draft,
                                origin: Some(Origin::Mt {
                                    backend: b.name().to_string(),
                                    model: b.model().map(str::to_string),
                                }),
                                by: job_name.clone(),
                                at_ms: clock::now_ms(),
                            });
                        }
                        None => report.failed += 1,
                    }
                }
            }
            let out = self.store.update_segments(&updates)?;
            report.skipped += out.iter().filter(|o| o.is_none()).count() as u32;
            done += batch.len() as u32;
            j = self.store.update_job(
                job.id,
                JobState::Running,
                done,
                total,
                None,
                clock::now_ms(),
            )?;
            progress(&j);
        }
        if usage.requests > 0 || usage.cached_segments > 0 {
            self.store.add_mt_usage(p.id, &usage)?;
        }
        let err = (report.failed > 0).then(|| {
            format!(
                "{} segments could not be machine-translated and stay new",
                report.failed
            )
        });
        j = self.store.update_job(
            job.id,
            JobState::Done,
            done,
            total,
            err.as_deref(),
            clock::now_ms(),
        )?;
        progress(&j);
        tracing::info!(
            job = job.id,
            from_tm = report.from_tm,
            from_mt = report.from_mt,
            failed = report.failed,
            "pre-translation done"
        );
        Ok(j)
    }

    fn mt_request(
        &self,
        p: &Project,
        all: &[Segment],
        hints: &[Vec<qiantang_l10n::adapt::TermHint>],
        idx: &[usize],
        translated: &HashMap<usize, String>,
    ) -> qiantang_mt::MtRequest {
        let first = idx.first().copied().unwrap_or(0);
        let context = (first.saturating_sub(MT_CONTEXT)..first)
            .filter_map(|k| {
                translated.get(&k).map(|t| qiantang_mt::ContextPair {
                    source: all[k].source.clone(),
                    target: t.clone(),
                })
            })
            .collect();
        let mut terms: Vec<qiantang_mt::MtTerm> = Vec::new();
        for &i in idx {
            for h in hints.get(i).into_iter().flatten() {
                if terms.iter().any(|t| t.source == h.source_text) {
                    continue;
                }
                terms.push(qiantang_mt::MtTerm {
                    source: h.source_text.clone(),
                    target: h.text.clone(),
                    definition: h.definition.clone(),
                    note: Some(h.rule.clone()),
                });
            }
        }
        qiantang_mt::MtRequest {
            source_lang: SOURCE_LANG.into(),
            target_lang: p.locale.clone(),
            segments: idx
                .iter()
                .enumerate()
                .map(|(n, &i)| qiantang_mt::MtSegment {
                    id: n as u32,
                    text: all[i].source.clone(),
                })
                .collect(),
            context,
            synopsis: None,
            terms,
            mode: qiantang_mt::MtMode::Translate,
        }
    }
}

fn adapter_for<'a>(
    kb: &'a KbView,
    market: &'a Market,
    glossary: &'a [GlossaryEntry],
    style: GlossStyle,
) -> qiantang_l10n::adapt::Adapter<'a> {
    qiantang_l10n::adapt::Adapter::new(
        &kb.tagger,
        &kb.concepts,
        &kb.renderings,
        market,
        glossary,
        style,
    )
}

fn qa_segment(
    p: &Project,
    s: &Segment,
    hints: &[qiantang_l10n::adapt::TermHint],
) -> Vec<qiantang_l10n::qa::Finding> {
    let Some(t) = s.target.as_deref() else {
        return Vec::new();
    };
    let reqs = qiantang_l10n::adapt::requirements(hints);
    qiantang_l10n::qa::check_segment(&s.source, t, &p.locale, &reqs)
}

/// Checks a BCP 47 tag's shape (RFC 5646 §2.1: language, optional script,
/// region or numeric region, variants) and returns it in canonical case.
pub fn check_locale(tag: &str) -> Result<String, AppError> {
    let tag = tag.trim();
    if tag.len() > 35 {
        return Err(AppError::Invalid(
            "a BCP 47 language tag is at most 35 characters here (e.g. en, es-419, zh-Hant-TW)"
                .into(),
        ));
    }
    // Registered subtags only (IANA Language Subtag Registry, RFC 5646 §3):
    // `xx` or a region given as a language (`US`) are refused.
    let valid = language_tags::LanguageTag::parse(tag)
        .ok()
        .filter(|t| t.validate().is_ok() && t.primary_language().len() <= 3);
    if valid.is_none() {
        return Err(AppError::Invalid(format!(
            "{tag:?} is not a registered BCP 47 language tag (e.g. en, es-419, pt-BR, zh-Hant-TW)"
        )));
    }
    let bad = || {
        AppError::Invalid(format!(
            "{tag:?} is not a BCP 47 language tag (e.g. en, es-419, pt-BR, zh-Hant-TW)"
        ))
    };
    let mut out = Vec::new();
    for (i, part) in tag.split('-').enumerate() {
        let ok = part.chars().all(|c| c.is_ascii_alphanumeric()) && !part.is_empty();
        if !ok {
            return Err(bad());
        }
        let p = match (i, part.len()) {
            (0, 2..=3) if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                part.to_ascii_lowercase()
            }
            (0, _) => return Err(bad()),
            (_, 4) if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                let mut c = part.to_ascii_lowercase();
                c[..1].make_ascii_uppercase();
                c
            }
            (_, 2) if part.chars().all(|c| c.is_ascii_alphabetic()) => part.to_ascii_uppercase(),
            (_, 3) if part.chars().all(|c| c.is_ascii_digit()) => part.to_string(),
            (_, 5..=8) => part.to_ascii_lowercase(),
            _ => return Err(bad()),
        };
        out.push(p);
    }
    Ok(out.join("-"))
}

/// Formats a project exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// EPUB 3 of the translated work.
    Epub,
    /// XLIFF 2.1 (OASIS) for other CAT tools.
    Xliff,
    /// TMX 1.4b of the project's translated segments.
    Tmx,
}

impl ExportFormat {
    /// Parses `epub`, `xliff` (or `xlf`), `tmx`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "epub" => Some(Self::Epub),
            "xliff" | "xlf" => Some(Self::Xliff),
            "tmx" => Some(Self::Tmx),
            _ => None,
        }
    }

    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Epub => "epub",
            Self::Xliff => "xlf",
            Self::Tmx => "tmx",
        }
    }

    /// Media type (EPUB 3.3 §3.3; XLIFF 2.1 §D; TMX has no registered type).
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Epub => "application/epub+zip",
            Self::Xliff => "application/xliff+xml",
            Self::Tmx => "application/x-tmx+xml",
        }
    }
}

/// Outcome of an XLIFF import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XliffImportReport {
    /// Segments whose target or state changed.
    pub updated: usize,
    /// Segments left as they were.
    pub unchanged: usize,
    /// Notes added as comments.
    pub comments: usize,
}

/// A glossary entry as sent by clients.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlossaryInput {
    /// Id to replace (absent = new).
    #[serde(default)]
    pub id: Option<i64>,
    /// Chinese source term.
    pub source: String,
    /// Other source forms.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Required target rendering.
    pub target: String,
    /// character, place, sect, realm, term, concept.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// KB concept overridden (kind `concept`).
    #[serde(default)]
    pub concept: Option<String>,
    /// Must appear exactly.
    #[serde(default)]
    pub locked: bool,
    /// Renderings not to use.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// Translator's note.
    #[serde(default)]
    pub note: String,
}

fn default_kind() -> String {
    "term".into()
}

/// Parses a chapter range `3` or `1-10`.
pub fn parse_chapter_range(s: &str) -> Result<(u32, u32), AppError> {
    let bad = || AppError::Invalid(format!("bad chapter range {s:?}: write 1-10 or 3"));
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let a: u32 = a.parse().map_err(|_| bad())?;
    let b: u32 = b.parse().map_err(|_| bad())?;
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok((a, b))
}

impl Localization {
    /// Deletes a project and everything in it.
    pub fn delete_project(&self, id: ProjectId, actor: &Actor) -> Result<(), AppError> {
        let p = self.project(id)?;
        self.store.delete_project(id)?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.project.delete",
            &format!("project:{id}"),
            AuditDetail::new()
                .with("work", p.work)
                .with("locale", &p.locale)
                .with("market", &p.market),
        );
        Ok(())
    }

    /// Adds or replaces a glossary entry of the project's work and locale.
    pub fn put_glossary_entry(
        &self,
        p: &Project,
        input: GlossaryInput,
        actor: &Actor,
    ) -> Result<GlossaryEntry, AppError> {
        let source = input.source.trim().to_string();
        let target = input.target.trim().to_string();
        if source.is_empty() || target.is_empty() {
            return Err(AppError::Invalid(
                "a glossary entry needs a source and a target".into(),
            ));
        }
        if source.chars().count() > 100 || target.chars().count() > 200 {
            return Err(AppError::Invalid(
                "glossary terms are at most 100 (source) and 200 (target) characters".into(),
            ));
        }
        let kind = GlossaryKind::parse(&input.kind).ok_or_else(|| {
            AppError::Invalid(format!(
                "unknown glossary kind {:?}: use character, place, sect, realm, term or concept",
                input.kind
            ))
        })?;
        if let Some(c) = &input.concept {
            if !self.kb.view().concepts.contains_key(c) {
                return Err(AppError::Invalid(format!("unknown concept {c:?}")));
            }
        }
        let clean = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        if let Some(id) = input.id {
            if !self.glossary_for(p)?.iter().any(|e| e.id == id) {
                return Err(AppError::NotFound(format!("glossary entry {id}")));
            }
        }
        let e = self.store.put_glossary_entry(&GlossaryEntry {
            id: input.id.unwrap_or(0),
            work: p.work,
            locale: p.locale.clone(),
            source,
            aliases: clean(input.aliases),
            target,
            kind,
            concept: input.concept,
            locked: input.locked,
            forbidden: clean(input.forbidden),
            note: input.note.trim().to_string(),
        })?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.glossary.put",
            &format!("project:{}", p.id),
            AuditDetail::new()
                .with("source", &e.source)
                .with("target", &e.target),
        );
        Ok(e)
    }

    /// Deletes a glossary entry of the project's work and locale.
    pub fn delete_glossary_entry(
        &self,
        p: &Project,
        id: i64,
        actor: &Actor,
    ) -> Result<(), AppError> {
        if !self.glossary_for(p)?.iter().any(|e| e.id == id) {
            return Err(AppError::NotFound(format!("glossary entry {id}")));
        }
        self.store.delete_glossary_entry(id)?;
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.glossary.delete",
            &format!("project:{}", p.id),
            AuditDetail::new().with("entry", id),
        );
        Ok(())
    }

    /// Machine-translates one segment on demand (not stored: the editor
    /// shows it for the translator to accept). When the segment was approved
    /// before its source changed, the model is asked to revise the approved
    /// translation instead of translating from scratch. Returns the text and
    /// the term rules applied to it.
    pub fn machine_translate_segment(
        &self,
        id: SegmentId,
        backend: &str,
        actor: &Actor,
    ) -> Result<(String, Vec<String>), AppError> {
        let s = self
            .store
            .get_segment(id)?
            .ok_or_else(|| AppError::NotFound(format!("segment {id}")))?;
        let p = self.project(s.project)?;
        let b = self.backend(backend, p.org)?;
        let all = self.store.segments(p.id, None)?;
        let hints = self.project_hints(&p, &all)?;
        let i = all.iter().position(|x| x.id == id).unwrap_or(0);
        let translated: HashMap<usize, String> = all
            .iter()
            .enumerate()
            .filter_map(|(k, x)| {
                x.target
                    .clone()
                    .filter(|_| x.state >= SegmentState::Translated)
                    .map(|t| (k, t))
            })
            .collect();
        let mut req = self.mt_request(&p, &all, &hints, &[i], &translated);
        let approved = self
            .store
            .segment_history(id)?
            .into_iter()
            .rev()
            .find(|r| r.state == SegmentState::Approved);
        if let Some(r) = approved {
            if let Some(t) = r.target.filter(|_| r.source != s.source) {
                req.mode = qiantang_mt::MtMode::Revise(vec![qiantang_mt::Revision {
                    id: 0,
                    old_source: r.source,
                    approved_target: t,
                }]);
            }
        }
        let resp = b
            .translate(&req)
            .map_err(|e| AppError::Invalid(format!("MT backend {backend}: {e}")))?;
        let text = resp.get(0).ok_or_else(|| {
            AppError::Invalid(format!(
                "MT backend {backend} gave no usable translation for this segment: {}",
                resp.failures
                    .first()
                    .map(|f| f.reason.clone())
                    .unwrap_or_default()
            ))
        })?;
        let h = hints.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let (text, applied) = qiantang_l10n::adapt::apply_required_terms(text, h);
        self.store.add_mt_usage(
            p.id,
            &MtUsage {
                backend: b.name().to_string(),
                requests: resp.usage.requests,
                prompt_tokens: resp.usage.prompt_tokens,
                completion_tokens: resp.usage.completion_tokens,
                characters: resp.usage.characters_billed,
                cached_segments: u64::from(resp.cached),
            },
        )?;
        tracing::debug!(segment = id, backend, actor = %actor.name, "segment machine-translated");
        Ok((
            text,
            applied
                .iter()
                .map(|a| format!("{} → {} ({})", a.from, a.to, a.rule))
                .collect(),
        ))
    }
}

impl Localization {
    /// Exports a project as EPUB 3, XLIFF 2.1 or TMX 1.4b. The EPUB uses the
    /// current target of every segment (the source where there is none yet,
    /// so gaps stay visible; QA lists them) and keeps the source's paragraph
    /// breaks.
    pub fn export_project(&self, id: ProjectId, format: ExportFormat) -> Result<Vec<u8>, AppError> {
        let p = self.project(id)?;
        let segs = self.store.segments(id, None)?;
        let chapters = self.catalog.chapters(p.work)?;
        match format {
            ExportFormat::Xliff => {
                let mut notes: HashMap<SegmentId, Vec<String>> = HashMap::new();
                for c in self.store.project_comments(id)? {
                    notes.entry(c.segment).or_default().push(c.body);
                }
                let files = chapters
                    .iter()
                    .map(|ch| qiantang_l10n::xliff::XliffFile {
                        id: format!("c{}", ch.number),
                        title: Some(ch.title.clone()),
                        units: segs
                            .iter()
                            .filter(|s| s.chapter == ch.number)
                            .map(|s| qiantang_l10n::xliff::XliffUnit {
                                key: s.key(),
                                source: s.source.clone(),
                                target: s.target.clone(),
                                state: s.state,
                                notes: notes.remove(&s.id).unwrap_or_default(),
                            })
                            .collect(),
                    })
                    .filter(|f| !f.units.is_empty())
                    .collect();
                Ok(
                    qiantang_l10n::xliff::write_xliff(&qiantang_l10n::xliff::XliffDoc {
                        src_lang: SOURCE_LANG.into(),
                        trg_lang: p.locale.clone(),
                        files,
                    })
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
                )
            }
            ExportFormat::Tmx => {
                let mut prev: Option<&Segment> = None;
                let mut units = Vec::new();
                for s in &segs {
                    if let (Some(t), true) = (&s.target, s.state >= SegmentState::Translated) {
                        units.push(TranslationUnit {
                            id: 0,
                            org: p.org,
                            source_lang: SOURCE_LANG.into(),
                            target_lang: p.locale.clone(),
                            source: s.source.clone(),
                            target: t.clone(),
                            context: prev
                                .filter(|x| x.chapter == s.chapter)
                                .map(|x| x.source.clone()),
                            approved: s.state >= SegmentState::Reviewed,
                            origin: format!("project:{}", p.id),
                            created_by: s.updated_by.clone().unwrap_or_default(),
                            created_ms: s.updated_ms,
                        });
                    }
                    prev = Some(s);
                }
                tmx_bytes(&units)
            }
            ExportFormat::Epub => self.export_epub(&p, &segs, &chapters),
        }
    }

    fn export_epub(
        &self,
        p: &Project,
        segs: &[Segment],
        chapters: &[qiantang_works::model::ChapterMeta],
    ) -> Result<Vec<u8>, AppError> {
        let work = self
            .catalog
            .work(p.work)?
            .ok_or_else(|| AppError::NotFound(format!("work {}", p.work)))?;
        let hints = self.project_hints(p, segs)?;
        let sep = if joins_without_space(&p.locale) {
            ""
        } else {
            " "
        };
        let mut out_chapters = Vec::new();
        for ch in chapters {
            let (_, body) = self
                .catalog
                .chapter(p.work, ch.number)?
                .ok_or_else(|| AppError::NotFound(format!("chapter {}", ch.number)))?;
            let body: Vec<char> = body.chars().collect();
            let mut paragraphs: Vec<String> = Vec::new();
            let mut footnotes = Vec::new();
            for para in paragraphs_of(segs, ch.number, &body) {
                let mut cur = String::new();
                for i in para {
                    let s = &segs[i];
                    let text = s.target.clone().unwrap_or_else(|| s.source.clone());
                    if !cur.is_empty() {
                        cur.push_str(sep);
                    }
                    cur.push_str(text.trim());
                    for h in hints.get(i).into_iter().flatten() {
                        if let Some(note) = &h.footnote {
                            let fid = format!("fn-{}-{}", ch.number, footnotes.len() + 1);
                            if text.contains(&h.plain) {
                                cur.push_str(&format!("[^{fid}]"));
                                footnotes.push((fid, note.clone()));
                            }
                        }
                    }
                }
                if !cur.is_empty() {
                    paragraphs.push(cur);
                }
            }
            out_chapters.push(qiantang_l10n::epub::EpubChapter {
                title: chapter_heading(&p.locale, ch.number),
                paragraphs,
                footnotes,
            });
        }
        let meta = qiantang_l10n::epub::EpubMeta {
            title: work.title.clone(),
            language: p.locale.clone(),
            creator: work.author.clone(),
            identifier: format!("urn:qiantang:project:{}:{}", p.id, p.locale),
            modified: clock::rfc3339(clock::now_ms() / 1000 * 1000),
            source_title: Some(work.title.clone()),
        };
        let mut cursor = std::io::Cursor::new(Vec::new());
        qiantang_l10n::epub::write_epub(&meta, &out_chapters, &mut cursor)
            .map_err(|e| AppError::Invalid(format!("EPUB export: {e}")))?;
        Ok(cursor.into_inner())
    }

    /// Imports an XLIFF 2.x file into a project, all or nothing: every unit
    /// must name a segment of the project and carry its exact source, the
    /// target language must be the project's, approved segments cannot be
    /// changed (a reviewer unlocks them first). States above `translated`
    /// need review rights (`perms`); without them they are recorded as
    /// `translated`. Notes become comments (once).
    pub fn import_xliff(
        &self,
        id: ProjectId,
        name: &str,
        bytes: &[u8],
        actor: &Actor,
    ) -> Result<XliffImportReport, AppError> {
        self.import_xliff_as(id, name, bytes, Perms::ALL, actor)
    }

    /// [`App::import_xliff`] with explicit workflow rights.
    pub fn import_xliff_as(
        &self,
        id: ProjectId,
        name: &str,
        bytes: &[u8],
        perms: Perms,
        actor: &Actor,
    ) -> Result<XliffImportReport, AppError> {
        let p = self.project(id)?;
        let doc = qiantang_l10n::xliff::read_xliff(bytes)
            .map_err(|e| AppError::Invalid(format!("{name}: {e}")))?;
        if !doc.trg_lang.eq_ignore_ascii_case(&p.locale) {
            return Err(AppError::Invalid(format!(
                "{name}: the file translates into {:?}, the project into {:?}",
                doc.trg_lang, p.locale
            )));
        }
        if !doc.src_lang.to_ascii_lowercase().starts_with("zh") {
            return Err(AppError::Invalid(format!(
                "{name}: the source language is {:?}; projects translate from Chinese",
                doc.src_lang
            )));
        }
        let segs = self.store.segments(id, None)?;
        let by_key: HashMap<String, &Segment> = segs.iter().map(|s| (s.key(), s)).collect();
        let existing: std::collections::HashSet<(SegmentId, String)> = self
            .store
            .project_comments(id)?
            .into_iter()
            .map(|c| (c.segment, c.body))
            .collect();
        let mut problems = Vec::new();
        let mut updates = Vec::new();
        let mut notes = Vec::new();
        let mut report = XliffImportReport::default();
        let at = clock::now_ms();
        for u in doc.files.iter().flat_map(|f| &f.units) {
            let Some(s) = by_key.get(&u.key) else {
                problems.push(format!("unit {} is not a segment of project {id}", u.key));
                continue;
            };
            if u.source != s.source {
                problems.push(format!(
                    "unit {}: the source differs from the project's ({:?} vs {:?}); the work changed or the file belongs elsewhere",
                    u.key, u.source, s.source
                ));
                continue;
            }
            let mut state = u.state;
            if state > SegmentState::Translated && !perms.review {
                state = SegmentState::Translated;
            }
            let has_target = u.target.as_deref().is_some_and(|t| !t.trim().is_empty());
            if !has_target && state > SegmentState::New {
                state = SegmentState::New;
            }
            // A target that arrives with state `new` is someone's work: keep it
            // as a draft, so pre-translation (which fills only `new`) never
            // overwrites it.
            if has_target && state == SegmentState::New {
                state = SegmentState::Draft;
            }
            let changed = u.target != s.target || state != s.state;
            for n in &u.notes {
                if !n.trim().is_empty() && !existing.contains(&(s.id, n.clone())) {
                    notes.push((s.id, n.clone()));
                }
            }
            if !changed {
                report.unchanged += 1;
                continue;
            }
            if s.state == SegmentState::Approved && !perms.review {
                problems.push(format!(
                    "unit {}: the segment is approved and locked; a reviewer must import or unlock it",
                    u.key
                ));
                continue;
            }
            updates.push(SegmentUpdate {
                id: s.id,
                expected_version: Some(s.version),
                only_if_new: false,
                target: u.target.clone(),
                state,
                origin: Some(Origin::Import {
                    source: name.to_string(),
                }),
                by: actor.name.clone(),
                at_ms: at,
            });
        }
        if !problems.is_empty() {
            let n = problems.len();
            problems.truncate(20);
            return Err(AppError::Invalid(format!(
                "{name}: nothing imported, {n} problem(s): {}",
                problems.join("; ")
            )));
        }
        report.updated = updates.len();
        self.store.update_segments(&updates)?;
        for (sid, body) in notes {
            self.store.add_comment(sid, &actor.name, &body, at)?;
            report.comments += 1;
        }
        self.accounts.audit(
            Some(p.org),
            actor,
            "l10n.xliff.import",
            &format!("project:{id}"),
            AuditDetail::new()
                .with("file", name)
                .with("updated", report.updated)
                .with("comments", report.comments),
        );
        Ok(report)
    }
}

/// A run of localized text in the reader: plain, or a term with what the
/// tooltip shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderRun {
    /// The text as it appears in the target.
    pub text: String,
    /// The term behind it, when the text is a term's rendering.
    pub term: Option<ReaderTerm>,
}

/// What a term's tooltip shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderTerm {
    /// The Chinese source form.
    pub source: String,
    /// KB concept id, if any.
    pub concept: Option<String>,
    /// The gloss (explanation) of the rendering, if any.
    pub gloss: Option<String>,
    /// Definition (KB) or the glossary note.
    pub definition: Option<String>,
    /// Which rule produced the rendering.
    pub rule: String,
}

/// Groups a chapter's segments into the source's paragraphs: for each
/// paragraph, the indexes (into `segs`) of its segments.
fn paragraphs_of(segs: &[Segment], chapter: u32, body: &[char]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut last_end = 0usize;
    for (i, s) in segs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.chapter == chapter)
    {
        let start = (s.offset as usize).min(body.len());
        if body[last_end.min(start)..start].contains(&'\n') && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        last_end = start + s.source.chars().count();
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits `text` into runs, marking the first place each hint's rendering
/// appears (the glossed form first, then the plain form).
fn runs_of(text: &str, hints: &[qiantang_l10n::adapt::TermHint]) -> Vec<ReaderRun> {
    let mut marks: Vec<(usize, usize, &qiantang_l10n::adapt::TermHint)> = Vec::new();
    for h in hints {
        let forms = [h.text.as_str(), h.plain.as_str()];
        let found = forms
            .iter()
            .filter(|f| !f.is_empty())
            .find_map(|f| text.find(f).map(|i| (i, i + f.len())));
        if let Some((a, b)) = found {
            if !marks.iter().any(|(x, y, _)| a < *y && *x < b) {
                marks.push((a, b, h));
            }
        }
    }
    marks.sort_by_key(|m| m.0);
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b, h) in marks {
        if a > at {
            out.push(ReaderRun {
                text: text[at..a].to_string(),
                term: None,
            });
        }
        out.push(ReaderRun {
            text: text[a..b].to_string(),
            term: Some(ReaderTerm {
                source: h.source_text.clone(),
                concept: h.concept.clone(),
                gloss: h.gloss.clone(),
                definition: h.definition.clone(),
                rule: h.rule.clone(),
            }),
        });
        at = b;
    }
    if at < text.len() {
        out.push(ReaderRun {
            text: text[at..].to_string(),
            term: None,
        });
    }
    out
}

impl Localization {
    /// A chapter of a project as the localized reader shows it: paragraphs
    /// (as in the source) of runs, with the terms' renderings marked for
    /// tooltips. Segments without a target yet show their source.
    pub fn localized_chapter(
        &self,
        id: ProjectId,
        chapter: u32,
    ) -> Result<Vec<Vec<ReaderRun>>, AppError> {
        let p = self.project(id)?;
        let segs = self.store.segments(id, None)?;
        let (_, body) = self
            .catalog
            .chapter(p.work, chapter)?
            .ok_or_else(|| AppError::NotFound(format!("chapter {chapter} of project {id}")))?;
        let hints = self.project_hints(&p, &segs)?;
        let body: Vec<char> = body.chars().collect();
        let sep = if joins_without_space(&p.locale) {
            ""
        } else {
            " "
        };
        Ok(paragraphs_of(&segs, chapter, &body)
            .into_iter()
            .map(|para| {
                let mut runs = Vec::new();
                for (n, i) in para.into_iter().enumerate() {
                    let s = &segs[i];
                    if n > 0 && !sep.is_empty() {
                        runs.push(ReaderRun {
                            text: sep.into(),
                            term: None,
                        });
                    }
                    match &s.target {
                        Some(t) => runs.extend(runs_of(
                            t.trim(),
                            hints.get(i).map(Vec::as_slice).unwrap_or(&[]),
                        )),
                        None => runs.push(ReaderRun {
                            text: s.source.clone(),
                            term: None,
                        }),
                    }
                }
                runs
            })
            .collect())
    }
}

/// Translation units as a TMX 1.4b document (UTF-8 bytes).
fn tmx_bytes(units: &[TranslationUnit]) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    qiantang_l10n::tmx::write_tmx(
        &qiantang_l10n::tmx::TmxDocument::from_units(
            qiantang_l10n::tmx::TmxHeader::qiantang(SOURCE_LANG),
            units,
        ),
        &mut out,
    )
    .map_err(|e| AppError::Invalid(format!("TMX export: {e}")))?;
    Ok(out)
}

impl Localization {
    /// Projects of the given organizations, newest first.
    pub fn list_projects(&self, orgs: &[OrgId]) -> Result<Vec<Project>, AppError> {
        Ok(self.store.list_projects(orgs)?)
    }

    /// Progress of a project: the whole project first, then per chapter.
    pub fn progress(&self, project: ProjectId) -> Result<Vec<Progress>, AppError> {
        Ok(self.store.progress(project)?)
    }

    /// The whole project's progress.
    pub fn total_progress(&self, project: ProjectId) -> Result<Progress, AppError> {
        Ok(self.progress(project)?.first().copied().unwrap_or_default())
    }

    /// Glossary of a work for one locale, by source.
    pub fn glossary(&self, work: WorkId, locale: &str) -> Result<Vec<GlossaryEntry>, AppError> {
        Ok(self.store.glossary(work, locale)?)
    }

    /// The work a project localizes, `None` if it was deleted.
    pub fn work_of(&self, p: &Project) -> Result<Option<qiantang_works::model::Work>, AppError> {
        self.catalog.work(p.work)
    }

    /// One job.
    pub fn job(&self, id: JobId) -> Result<Option<Job>, AppError> {
        Ok(self.store.get_job(id)?)
    }

    /// Jobs of a project, newest first.
    pub fn project_jobs(&self, project: ProjectId) -> Result<Vec<Job>, AppError> {
        Ok(self.store.project_jobs(project)?)
    }

    /// One segment.
    pub fn segment(&self, id: SegmentId) -> Result<Option<Segment>, AppError> {
        Ok(self.store.get_segment(id)?)
    }

    /// Segments of a project (of one chapter when given), in reading order.
    pub fn segments(
        &self,
        project: ProjectId,
        chapter: Option<u32>,
    ) -> Result<Vec<Segment>, AppError> {
        Ok(self.store.segments(project, chapter)?)
    }

    /// Revisions of a segment, newest first.
    pub fn segment_history(&self, id: SegmentId) -> Result<Vec<SegmentRevision>, AppError> {
        Ok(self.store.segment_history(id)?)
    }

    /// Translation units in an organization's TM.
    pub fn unit_count(&self, org: OrgId) -> Result<u64, AppError> {
        Ok(self.store.unit_count(org)?)
    }

    /// MT usage of a project per backend.
    pub fn mt_usage(&self, project: ProjectId) -> Result<Vec<MtUsage>, AppError> {
        Ok(self.store.mt_usage(project)?)
    }

    /// Exports a project and, for an EPUB exported by a manager
    /// (`deposit`), deposits it as a translation of the work (kind
    /// `translation`) when the hub holds the log and automatic deposits are on.
    pub fn export_and_deposit(
        &self,
        id: ProjectId,
        format: ExportFormat,
        deposit: bool,
        actor: &Actor,
    ) -> Result<Vec<u8>, AppError> {
        let bytes = self.export_project(id, format)?;
        if deposit && format == ExportFormat::Epub {
            let project = self.project(id)?;
            self.deposits.deposit_translation(&project, &bytes, actor);
        }
        Ok(bytes)
    }
}

/// The heading of chapter `n` in a target locale (EPUB export); the
/// Chinese title follows it.
fn chapter_heading(locale: &str, n: u32) -> String {
    let lang = locale.split('-').next().unwrap_or(locale);
    match lang {
        "vi" => format!("Chương {n}"),
        "es" | "pt" => format!("Capítulo {n}"),
        "fr" => format!("Chapitre {n}"),
        "de" => format!("Kapitel {n}"),
        "id" | "ms" => format!("Bab {n}"),
        "th" => format!("บทที่ {n}"),
        "ja" => format!("第{n}章"),
        "ko" => format!("제{n}장"),
        "zh" => format!("第{n}回"),
        "ru" => format!("Глава {n}"),
        _ => format!("Chapter {n}"),
    }
}

/// Whether sentences of `locale` are joined without spaces.
fn joins_without_space(locale: &str) -> bool {
    matches!(locale.split('-').next(), Some("zh" | "ja" | "th"))
}
