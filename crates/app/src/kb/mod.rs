//! The knowledge-base domain: the cached view (concepts, hierarchy,
//! renderings, markets, tagger), validated edits, proposals and exchange
//! imports.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use qiantang_core::StoreError;
use qiantang_kb::{render, seed, Concept, KbStore, Market, Rendering, Tagger, CATEGORIES, ZH_HANS};
use qiantang_kb::{ConceptProposal, ConceptRevision, ProposalStatus};

use crate::accounts::{Accounts, Actor, AuditDetail};
use crate::clock;
use crate::error::AppError;

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

/// Base IRI of exported concepts.
pub const SKOS_BASE: &str = "https://qiantang.invalid/kb/concept/";

/// The knowledge-base service.
pub struct Knowledge {
    store: Arc<dyn KbStore>,
    view: RwLock<Arc<KbView>>,
    accounts: Arc<Accounts>,
}

impl Knowledge {
    /// Opens the service over its store, seeding an empty KB with the built-in seed.
    pub fn open(store: Arc<dyn KbStore>, accounts: Arc<Accounts>) -> Result<Self, AppError> {
        if store.count_concepts()? == 0 {
            load_seed(store.as_ref())?;
        }
        let view = KbView::build(store.as_ref())?;
        Ok(Self {
            store,
            view: RwLock::new(Arc::new(view)),
            accounts,
        })
    }

    /// The current KB view.
    pub fn view(&self) -> Arc<KbView> {
        self.view.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rebuilds the KB view after an edit.
    pub fn refresh(&self) -> Result<(), AppError> {
        let view = Arc::new(KbView::build(self.store.as_ref())?);
        *self.view.write().unwrap_or_else(|p| p.into_inner()) = view;
        Ok(())
    }

    /// Saves a concept edit (validated) and refreshes the KB view.
    pub fn save_concept(&self, concept: Concept, actor: &str) -> Result<(), AppError> {
        self.validate(&concept)?;
        self.store
            .put_concepts(&[concept], actor, clock::now_ms())?;
        self.refresh()
    }

    /// Checks a concept edit against the current KB (id, category, labels, broader links, cycles).
    pub fn validate(&self, concept: &Concept) -> Result<(), AppError> {
        validate_concept(concept, &self.view())
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
        let mut graph = graph_of(&self.view());
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
        self.store.put_concepts(concepts, actor, clock::now_ms())?;
        self.store.put_renderings(renderings)?;
        self.refresh()?;
        Ok((concepts.len(), renderings.len()))
    }
}

fn load_seed(store: &dyn KbStore) -> Result<(), AppError> {
    let seed = seed::load().map_err(|e| AppError::Invalid(e.to_string()))?;
    store.put_markets(&seed.markets)?;
    store.put_concepts(&seed.concepts, "seed", clock::now_ms())?;
    store.put_renderings(&seed.renderings)?;
    tracing::info!(
        concepts = seed.concepts.len(),
        renderings = seed.renderings.len(),
        markets = seed.markets.len(),
        "seeded knowledge base"
    );
    Ok(())
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

impl Knowledge {
    /// Records an editor's proposed concept (validated like a direct edit);
    /// returns the proposal id.
    pub fn propose_concept(&self, concept: Concept, actor: &Actor) -> Result<i64, AppError> {
        self.validate(&concept)?;
        let id = self
            .store
            .create_proposal(&concept, &actor.name, clock::now_ms())?;
        self.accounts.audit(
            None,
            actor,
            "concept_proposed",
            &format!("concept:{}", concept.id),
            AuditDetail::new().with("proposal", id),
        );
        Ok(id)
    }

    /// Approves (applies) or rejects a pending proposal. A proposal is decided
    /// once: a second decision is refused.
    pub fn decide_proposal(
        &self,
        id: i64,
        approve: bool,
        actor: &Actor,
    ) -> Result<ConceptProposal, AppError> {
        let p = self
            .store
            .get_proposal(id)?
            .ok_or_else(|| AppError::NotFound(format!("proposal {id}")))?;
        if p.status != ProposalStatus::Pending {
            return Err(AppError::Invalid(format!(
                "proposal {id} was already {}",
                p.status.as_str()
            )));
        }
        let concept: Concept = serde_json::from_str(&p.concept_json)
            .map_err(|e| AppError::Invalid(format!("proposal {id} holds no valid concept: {e}")))?;
        if approve {
            // Re-validate against today's KB: a broader concept may have gone since.
            self.validate(&concept)?;
            // Refuse to overwrite an edit made after the proposal (lost update).
            let newer = self
                .store
                .concept_history(&concept.id)?
                .first()
                .is_some_and(|r| r.at_ms > p.created_ms);
            if newer {
                return Err(AppError::Invalid(format!(
                    "concept {} changed after proposal {id} was made; reject it and propose again from the current version",
                    concept.id
                )));
            }
        }
        let status = if approve {
            ProposalStatus::Approved
        } else {
            ProposalStatus::Rejected
        };
        if !self
            .store
            .decide_proposal(id, status, &actor.name, clock::now_ms())?
        {
            return Err(AppError::Invalid(format!(
                "proposal {id} was decided meanwhile"
            )));
        }
        if approve {
            self.store.put_concepts(
                std::slice::from_ref(&concept),
                &format!("{} (approved by {})", p.proposer, actor.name),
                clock::now_ms(),
            )?;
            self.refresh()?;
        }
        self.accounts.audit(
            None,
            actor,
            if approve {
                "concept_approved"
            } else {
                "concept_rejected"
            },
            &format!("concept:{}", concept.id),
            AuditDetail::new()
                .with("proposal", id)
                .with("proposer", &p.proposer),
        );
        self.store
            .get_proposal(id)?
            .ok_or_else(|| AppError::NotFound(format!("proposal {id}")))
    }
}

impl Knowledge {
    /// Concepts whose id or a label contains `query`, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Concept>, AppError> {
        Ok(self.store.search_concepts(query, limit)?)
    }

    /// Proposals, all or of one status, newest first, at most `limit`.
    pub fn list_proposals(
        &self,
        status: Option<ProposalStatus>,
        limit: usize,
    ) -> Result<Vec<ConceptProposal>, AppError> {
        Ok(self.store.list_proposals(status, limit)?)
    }

    /// Saved revisions of a concept, newest first.
    pub fn concept_history(&self, id: &str) -> Result<Vec<ConceptRevision>, AppError> {
        Ok(self.store.concept_history(id)?)
    }

    /// Deletes a concept (audited as `concept_deleted`) and refreshes the view;
    /// `false` when there was none.
    /// A concept with narrower concepts is refused ([`AppError::Invalid`]).
    pub fn delete_concept(&self, id: &str, actor: &Actor) -> Result<bool, AppError> {
        if let Some(children) = self.view().narrower.get(id).filter(|c| !c.is_empty()) {
            return Err(AppError::Invalid(format!(
                "concept {id} has narrower concepts ({}); move or delete them first",
                children.join(", ")
            )));
        }
        if !self.store.delete_concept(id)? {
            return Ok(false);
        }
        self.refresh()?;
        self.accounts.audit(
            None,
            actor,
            "concept_deleted",
            &format!("concept:{id}"),
            AuditDetail::new(),
        );
        Ok(true)
    }
}

impl Knowledge {
    /// Serializes the whole KB in `format` (`skos` JSON-LD or `tbx`): (content type, body).
    pub fn export(&self, format: &str) -> Result<(&'static str, String), AppError> {
        let kb = self.view();
        let concepts: Vec<Concept> = kb.concepts.values().cloned().collect();
        let renderings: Vec<_> = kb.renderings.values().flatten().cloned().collect();
        match format {
            "skos" | "jsonld" | "json-ld" => {
                let v = qiantang_kb::skos::export(&concepts, &renderings, SKOS_BASE);
                Ok((
                    "application/ld+json",
                    serde_json::to_string_pretty(&v)
                        .map_err(|e| AppError::Invalid(e.to_string()))?,
                ))
            }
            "tbx" => Ok((
                "application/x-tbx+xml",
                qiantang_kb::tbx::export(&concepts, &renderings),
            )),
            other => Err(AppError::Invalid(format!(
                "unknown export format {other:?}; use skos or tbx"
            ))),
        }
    }

    /// Parses an exported KB file (`skos` or `tbx`) and merges it into the KB; returns (concepts, renderings).
    pub fn import_file(
        &self,
        format: &str,
        body: &[u8],
        actor: &str,
    ) -> Result<(usize, usize), AppError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| AppError::Invalid("the KB file is not UTF-8".into()))?;
        let (concepts, renderings) = match format {
            "skos" | "jsonld" | "json-ld" => qiantang_kb::skos::import(text),
            "tbx" => qiantang_kb::tbx::import(text),
            other => {
                return Err(AppError::Invalid(format!(
                    "unknown import format {other:?}; use skos or tbx"
                )))
            }
        }
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        self.import_kb(&concepts, &renderings, actor)
    }
}
