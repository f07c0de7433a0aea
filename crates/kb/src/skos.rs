//! SKOS as JSON-LD: export and import of the concept scheme.
//!
//! The document follows the W3C SKOS Reference
//! (<https://www.w3.org/TR/skos-reference/>) serialised as JSON-LD 1.1
//! (<https://www.w3.org/TR/json-ld11/>). [`export`] produces
//!
//! ```json
//! {
//!   "@context": { "skos": "http://www.w3.org/2004/02/skos/core#",
//!                 "dct": "http://purl.org/dc/terms/",
//!                 "qiantang": "urn:qiantang:kb#" },
//!   "@graph": [
//!     { "@id": "<base_iri>", "@type": "skos:ConceptScheme",
//!       "dct:title": [...], "skos:hasTopConcept": [{"@id": "<base_iri>root.x"}] },
//!     { "@id": "<base_iri>person.jigong", "@type": "skos:Concept",
//!       "skos:notation": "person.jigong",
//!       "skos:inScheme": {"@id": "<base_iri>"},
//!       "skos:prefLabel": [{"@value": "济公", "@language": "zh-Hans"}, ...],
//!       "skos:altLabel": [...], "skos:definition": [...],
//!       "skos:broader": [{"@id": "..."}], "skos:narrower": [{"@id": "..."}],
//!       "qiantang:category": "person", ... }
//!   ]
//! }
//! ```
//!
//! ## Mapping of the core SKOS properties (SKOS Reference §§4–8)
//!
//! | model                        | SKOS / JSON-LD                                                    |
//! |------------------------------|-------------------------------------------------------------------|
//! | the scheme                   | node `@id` = `base_iri`, `@type` `skos:ConceptScheme` (§4)          |
//! | [`Concept::id`]              | `@id` = `base_iri` + id, and `skos:notation` = id (§10)            |
//! | `Label` with `LabelKind::Pref` | `skos:prefLabel`, language-tagged value (§5)                     |
//! | `Label` with `LabelKind::Alt`  | `skos:altLabel`, language-tagged value (§5)                      |
//! | [`Concept::definition`]      | `skos:definition`, language-tagged value (§7)                      |
//! | [`Concept::broader`]         | `skos:broader` `{"@id": IRI}`; `skos:narrower` derived (§8)        |
//! | —                            | `skos:inScheme` on every concept, `skos:topConceptOf` / `skos:hasTopConcept` for concepts without broader (§4) |
//! | `Provenance::source`         | `dct:source` (plain string)                                        |
//!
//! ## The `qiantang:` vocabulary (namespace [`QIANTANG_NS`])
//!
//! Fields SKOS has no property for use these terms, all plain JSON values:
//!
//! * `qiantang:category` — [`Concept::category`] (string).
//! * `qiantang:region` — [`Concept::regions`] (array of strings, order kept).
//! * `qiantang:status` — `Provenance::status`, `"draft"` or `"reviewed"`.
//! * `qiantang:heritage` — [`HeritageFact`] as an embedded node of type
//!   `qiantang:HeritageFact` with `qiantang:code`, `qiantang:ichCategory`,
//!   `qiantang:batch` (number), `qiantang:year` (number), `qiantang:entryType`,
//!   `qiantang:region`, `qiantang:protectionUnit`.
//! * `qiantang:rendering` — array of embedded nodes of type `qiantang:Rendering`
//!   with `qiantang:language` (BCP 47), `qiantang:market` (ISO 3166-1, optional),
//!   `qiantang:strategy` ([`Strategy::as_str`]), `qiantang:text`,
//!   `qiantang:gloss` (optional) and `qiantang:status`.
//! * `qiantang:labelOrder` — only present when the concept's label order is not
//!   "all prefLabels, then all altLabels": an array `p` where `p[k]` is the
//!   position in that concatenation of the k-th label of [`Concept::labels`].
//!   It makes the round trip exact; other tools may ignore it.
//!
//! ## Import rules
//!
//! [`import`] accepts what [`export`] writes and is tolerant of other SKOS
//! JSON-LD producers. It does *not* run a full JSON-LD expansion; instead:
//!
//! * the document may be an object with `@graph`, an array of nodes or a single
//!   node; only top-level nodes are read (embedded concepts are not);
//! * the top-level `@context` (object or array of objects; remote contexts are
//!   ignored) supplies prefixes, term definitions (including keyword aliases
//!   such as `"id": "@id"`, `"@type": "@id"` coercion and
//!   `"@container": "@language"` language maps), `@vocab` and a default
//!   `@language`; the prefixes `skos:`, `dct:`/`dcterms:` and `qiantang:` are
//!   understood even when the context does not declare them;
//! * a node is a concept when its `@type` is `skos:Concept`, or when it has no
//!   `@type` but has a `skos:prefLabel`;
//! * every property may hold a single value or an array;
//! * a plain string without language (and no default `@language`) is taken as
//!   English ([`DEFAULT_LANG`]); language tags are normalised to BCP 47 case
//!   (`zh-hans` → `zh-Hans`);
//! * `skos:hiddenLabel` values are imported as alternative labels (the model
//!   has no hidden kind);
//! * the id is `skos:notation` when present (it must then be a valid id, see
//!   [`is_valid_id`]), otherwise the last segment of the `@id` IRI, lowercased
//!   and with characters outside `[a-z0-9.-]` replaced by `-`;
//! * `skos:broader` must point to a concept of the document
//!   ([`ExchangeError::DanglingBroader`]); `skos:narrower` adds the inverse
//!   broader link when the target is in the document and is ignored otherwise;
//! * missing `qiantang:category` → [`DEFAULT_CATEGORY`]; missing `dct:source`
//!   → `"SKOS import"`; missing `qiantang:status` → draft.
//!
//! Concepts are returned in document order, renderings grouped by concept.
//! Renderings whose concept is not among the exported concepts are skipped by
//! [`export`].

use crate::model::{
    Concept, HeritageFact, Label, LabelKind, Provenance, Rendering, Status, Strategy, CATEGORIES,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// SKOS core namespace IRI.
pub const SKOS_NS: &str = "http://www.w3.org/2004/02/skos/core#";
/// Dublin Core terms namespace IRI.
pub const DCT_NS: &str = "http://purl.org/dc/terms/";
/// Namespace of the `qiantang:` vocabulary used for fields SKOS and TBX lack.
pub const QIANTANG_NS: &str = "urn:qiantang:kb#";
/// Category given to imported concepts that carry none (both SKOS and TBX).
pub const DEFAULT_CATEGORY: &str = "literature";
/// Language assumed for plain strings without a language tag.
pub const DEFAULT_LANG: &str = "en";

/// An error reading a SKOS JSON-LD or TBX document. Shared by [`crate::skos`]
/// and [`crate::tbx`].
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The input is not JSON (line and column are in the message).
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The input is not well-formed XML. `line` and `column` are 1-based;
    /// the column counts characters.
    #[error("malformed XML at line {line}, column {column}: {message}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// What the parser found.
        message: String,
    },
    /// Well-formed, but not a document of the expected kind.
    #[error("not a {format} document: {message}")]
    Format {
        /// `"SKOS JSON-LD"` or `"TBX"`.
        format: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A concept id does not match `^[a-z0-9][a-z0-9.-]{0,99}$`.
    #[error(
        "invalid concept id {id:?}: expected 1–100 of [a-z0-9.-], starting with a letter or digit"
    )]
    InvalidId {
        /// The offending id.
        id: String,
    },
    /// Two concepts share an id.
    #[error("duplicate concept id {id:?}")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// A broader link points to a concept that is not in the document.
    #[error("concept {id:?} has broader concept {broader:?}, which is not in the document")]
    DanglingBroader {
        /// The concept holding the link.
        id: String,
        /// The missing broader concept.
        broader: String,
    },
    /// A field of a concept (or one of its renderings) has an invalid value.
    #[error("concept {id:?}: {message}")]
    InvalidConcept {
        /// The concept.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// Whether `id` is a valid concept id: `^[a-z0-9][a-z0-9.-]{0,99}$`.
pub fn is_valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() <= 100
        && b.first()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
}

/// Turns a foreign identifier into a concept id: lowercases ASCII, replaces
/// every character outside `[a-z0-9.-]` by `-`, strips leading `.`/`-` and
/// truncates to 100 characters. Valid ids are returned unchanged; `None` when
/// nothing is left.
pub(crate) fn sanitize_id(raw: &str) -> Option<String> {
    let mapped: String = raw
        .trim()
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out: String = mapped
        .trim_start_matches(['.', '-'])
        .chars()
        .take(100)
        .collect();
    (!out.is_empty()).then_some(out)
}

/// Normalises the case of a BCP 47 tag (RFC 5646 §2.1.1): language lower case,
/// 4-letter script title case, 2-letter region upper case, everything after a
/// singleton (`x-`, `u-`…) lower case; `_` is read as `-`. Empty → [`DEFAULT_LANG`].
pub(crate) fn canonical_lang(tag: &str) -> String {
    let tag = tag.trim();
    if tag.is_empty() {
        return DEFAULT_LANG.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut after_singleton = false;
    for (i, sub) in tag.split(['-', '_']).enumerate() {
        let alpha = sub.chars().all(|c| c.is_ascii_alphabetic());
        let s = if i == 0 || after_singleton {
            sub.to_ascii_lowercase()
        } else if sub.len() == 1 {
            after_singleton = true;
            sub.to_ascii_lowercase()
        } else if sub.len() == 4 && alpha {
            let lower = sub.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => lower,
            }
        } else if sub.len() == 2 && alpha {
            sub.to_ascii_uppercase()
        } else {
            sub.to_ascii_lowercase()
        };
        out.push(s);
    }
    out.join("-")
}

/// Maps a foreign subject field or category name to a known category key
/// (matching key, English or Chinese name, case-insensitively).
pub(crate) fn known_category(name: &str) -> Option<&'static str> {
    let name = name.trim();
    CATEGORIES
        .iter()
        .find(|(key, en, zh)| {
            key.eq_ignore_ascii_case(name) || en.eq_ignore_ascii_case(name) || *zh == name
        })
        .map(|(key, _, _)| *key)
}

/// The `labelOrder` permutation: `p[k]` is the position of `labels[k]` in
/// `doc_order` (a list of indices into `labels`). `None` when it is the identity.
pub(crate) fn label_order(doc_order: &[usize]) -> Option<Vec<usize>> {
    if doc_order.iter().enumerate().all(|(i, k)| i == *k) {
        return None;
    }
    let mut p = vec![0; doc_order.len()];
    for (pos, &k) in doc_order.iter().enumerate() {
        if let Some(slot) = p.get_mut(k) {
            *slot = pos;
        }
    }
    Some(p)
}

/// Applies a `labelOrder` permutation to labels read in document order.
/// An invalid permutation (wrong length, repeats) is ignored.
pub(crate) fn apply_label_order(doc: Vec<Label>, order: Option<&[usize]>) -> Vec<Label> {
    let Some(p) = order else { return doc };
    let mut seen = vec![false; doc.len()];
    let valid = p.len() == doc.len()
        && p.iter().all(|&i| match seen.get_mut(i) {
            Some(s) if !*s => {
                *s = true;
                true
            }
            _ => false,
        });
    if !valid {
        return doc;
    }
    let mut slots: Vec<Option<Label>> = doc.into_iter().map(Some).collect();
    p.iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Parses a status wire name.
pub(crate) fn parse_status(id: &str, s: &str) -> Result<Status, ExchangeError> {
    match s.trim() {
        "draft" => Ok(Status::Draft),
        "reviewed" => Ok(Status::Reviewed),
        other => Err(ExchangeError::InvalidConcept {
            id: id.to_string(),
            message: format!("unknown status {other:?} (expected draft or reviewed)"),
        }),
    }
}

/// Final checks shared by both importers: valid ids, no duplicates, every
/// broader link resolves.
pub(crate) fn validate(concepts: &[Concept]) -> Result<(), ExchangeError> {
    let mut ids = HashSet::new();
    for c in concepts {
        if !is_valid_id(&c.id) {
            return Err(ExchangeError::InvalidId { id: c.id.clone() });
        }
        if !ids.insert(c.id.as_str()) {
            return Err(ExchangeError::DuplicateId { id: c.id.clone() });
        }
    }
    for c in concepts {
        if let Some(b) = c.broader.iter().find(|b| !ids.contains(b.as_str())) {
            return Err(ExchangeError::DanglingBroader {
                id: c.id.clone(),
                broader: b.clone(),
            });
        }
    }
    Ok(())
}

fn lang_value(text: &str, lang: &str) -> Value {
    json!({ "@value": text, "@language": lang })
}

/// Exports concepts and their renderings as a SKOS JSON-LD document.
///
/// `base_iri` is the scheme IRI; concept IRIs are `base_iri` + id, so it
/// should end in `/` or `#` (e.g. `https://example.org/kb/`). Concepts keep
/// their order; renderings are nested under their concept (`qiantang:rendering`)
/// and skipped when their concept is not in `concepts`. See the module docs for
/// the full mapping.
pub fn export(concepts: &[Concept], renderings: &[Rendering], base_iri: &str) -> Value {
    let iri = |id: &str| format!("{base_iri}{id}");
    let exported: HashSet<&str> = concepts.iter().map(|c| c.id.as_str()).collect();
    let mut narrower: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in concepts {
        for b in &c.broader {
            if exported.contains(b.as_str()) {
                narrower.entry(b.as_str()).or_default().push(c.id.as_str());
            }
        }
    }
    let mut by_concept: HashMap<&str, Vec<&Rendering>> = HashMap::new();
    for r in renderings {
        by_concept.entry(r.concept.as_str()).or_default().push(r);
    }
    let scheme = json!({ "@id": base_iri });

    let tops: Vec<Value> = concepts
        .iter()
        .filter(|c| c.broader.is_empty())
        .map(|c| json!({ "@id": iri(&c.id) }))
        .collect();
    let mut graph = vec![json!({
        "@id": base_iri,
        "@type": "skos:ConceptScheme",
        "dct:title": [
            lang_value("Qiantang cultural-element knowledge base", "en"),
            lang_value("钱塘文化元素知识库", "zh-Hans"),
        ],
        "skos:hasTopConcept": tops,
    })];

    for c in concepts {
        let mut node = Map::new();
        node.insert("@id".into(), Value::String(iri(&c.id)));
        node.insert("@type".into(), Value::String("skos:Concept".into()));
        node.insert("skos:notation".into(), Value::String(c.id.clone()));
        node.insert("skos:inScheme".into(), scheme.clone());
        if c.broader.is_empty() {
            node.insert("skos:topConceptOf".into(), scheme.clone());
        }
        let pref: Vec<usize> = (0..c.labels.len())
            .filter(|&i| c.labels.get(i).is_some_and(|l| l.kind == LabelKind::Pref))
            .collect();
        let alt: Vec<usize> = (0..c.labels.len())
            .filter(|&i| c.labels.get(i).is_some_and(|l| l.kind == LabelKind::Alt))
            .collect();
        for (key, idx) in [("skos:prefLabel", &pref), ("skos:altLabel", &alt)] {
            if !idx.is_empty() {
                let vals: Vec<Value> = idx
                    .iter()
                    .filter_map(|&i| c.labels.get(i))
                    .map(|l| lang_value(&l.text, &l.lang))
                    .collect();
                node.insert(key.into(), Value::Array(vals));
            }
        }
        if !c.definition.is_empty() {
            let defs: Vec<Value> = c
                .definition
                .iter()
                .map(|(lang, text)| lang_value(text, lang))
                .collect();
            node.insert("skos:definition".into(), Value::Array(defs));
        }
        if !c.broader.is_empty() {
            let b: Vec<Value> = c.broader.iter().map(|b| json!({ "@id": iri(b) })).collect();
            node.insert("skos:broader".into(), Value::Array(b));
        }
        if let Some(n) = narrower.get(c.id.as_str()) {
            let n: Vec<Value> = n.iter().map(|n| json!({ "@id": iri(n) })).collect();
            node.insert("skos:narrower".into(), Value::Array(n));
        }
        node.insert(
            "qiantang:category".into(),
            Value::String(c.category.clone()),
        );
        if !c.regions.is_empty() {
            node.insert("qiantang:region".into(), json!(c.regions));
        }
        if let Some(h) = &c.heritage {
            node.insert(
                "qiantang:heritage".into(),
                json!({
                    "@type": "qiantang:HeritageFact",
                    "qiantang:code": h.code,
                    "qiantang:ichCategory": h.category,
                    "qiantang:batch": h.batch,
                    "qiantang:year": h.year,
                    "qiantang:entryType": h.entry_type,
                    "qiantang:region": h.region,
                    "qiantang:protectionUnit": h.protection_unit,
                }),
            );
        }
        node.insert(
            "dct:source".into(),
            Value::String(c.provenance.source.clone()),
        );
        node.insert(
            "qiantang:status".into(),
            Value::String(c.provenance.status.as_str().into()),
        );
        let doc_order: Vec<usize> = pref.iter().chain(alt.iter()).copied().collect();
        if let Some(p) = label_order(&doc_order) {
            node.insert("qiantang:labelOrder".into(), json!(p));
        }
        if let Some(rs) = by_concept.get(c.id.as_str()) {
            let rs: Vec<Value> = rs
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    m.insert("@type".into(), Value::String("qiantang:Rendering".into()));
                    m.insert("qiantang:language".into(), Value::String(r.lang.clone()));
                    if let Some(market) = &r.market {
                        m.insert("qiantang:market".into(), Value::String(market.clone()));
                    }
                    m.insert(
                        "qiantang:strategy".into(),
                        Value::String(r.strategy.as_str().into()),
                    );
                    m.insert("qiantang:text".into(), Value::String(r.text.clone()));
                    if let Some(g) = &r.gloss {
                        m.insert("qiantang:gloss".into(), Value::String(g.clone()));
                    }
                    m.insert(
                        "qiantang:status".into(),
                        Value::String(r.status.as_str().into()),
                    );
                    Value::Object(m)
                })
                .collect();
            node.insert("qiantang:rendering".into(), Value::Array(rs));
        }
        graph.push(Value::Object(node));
    }

    json!({
        "@context": {
            "skos": SKOS_NS,
            "dct": DCT_NS,
            "qiantang": QIANTANG_NS,
        },
        "@graph": graph,
    })
}

// ---------------------------------------------------------------------------
// Import: a small, tolerant subset of JSON-LD expansion.

#[derive(Debug, Clone, Default)]
struct TermDef {
    iri: String,
    coerce_id: bool,
    language_map: bool,
    language: Option<Option<String>>,
}

#[derive(Debug, Clone)]
struct Context {
    terms: HashMap<String, TermDef>,
    vocab: Option<String>,
    language: Option<String>,
}

impl Context {
    fn new() -> Self {
        let mut terms = HashMap::new();
        for (p, iri) in [
            ("skos", SKOS_NS),
            ("dct", DCT_NS),
            ("dcterms", DCT_NS),
            ("qiantang", QIANTANG_NS),
        ] {
            terms.insert(
                p.to_string(),
                TermDef {
                    iri: iri.to_string(),
                    ..TermDef::default()
                },
            );
        }
        Context {
            terms,
            vocab: None,
            language: None,
        }
    }

    fn merge(&mut self, ctx: &Value) {
        match ctx {
            Value::Array(items) => items.iter().for_each(|c| self.merge(c)),
            Value::Object(m) => {
                for (k, v) in m {
                    match k.as_str() {
                        "@vocab" => self.vocab = v.as_str().map(str::to_string),
                        "@language" => self.language = v.as_str().map(canonical_lang),
                        _ if k.starts_with('@') => {}
                        _ => match v {
                            Value::String(iri) => {
                                self.terms.insert(
                                    k.clone(),
                                    TermDef {
                                        iri: iri.clone(),
                                        ..TermDef::default()
                                    },
                                );
                            }
                            Value::Object(def) => {
                                let iri = def
                                    .get("@id")
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                                    .unwrap_or_else(|| k.clone());
                                let ty = def.get("@type").and_then(Value::as_str);
                                let container = def.get("@container");
                                let language_map = match container {
                                    Some(Value::String(s)) => s == "@language",
                                    Some(Value::Array(a)) => {
                                        a.iter().any(|c| c.as_str() == Some("@language"))
                                    }
                                    _ => false,
                                };
                                let language =
                                    def.get("@language").map(|l| l.as_str().map(canonical_lang));
                                self.terms.insert(
                                    k.clone(),
                                    TermDef {
                                        iri,
                                        coerce_id: matches!(ty, Some("@id" | "@vocab")),
                                        language_map,
                                        language,
                                    },
                                );
                            }
                            Value::Null => {
                                self.terms.remove(k);
                            }
                            _ => {}
                        },
                    }
                }
            }
            _ => {}
        }
    }

    /// Expands a key or IRI: keywords stay, terms and `prefix:suffix` expand.
    fn expand(&self, s: &str) -> String {
        self.expand_depth(s, 0)
    }

    fn expand_depth(&self, s: &str, depth: u8) -> String {
        if s.starts_with('@') || depth > 4 {
            return s.to_string();
        }
        if let Some(def) = self.terms.get(s) {
            if def.iri == s {
                return s.to_string();
            }
            return self.expand_depth(&def.iri, depth + 1);
        }
        if let Some((prefix, suffix)) = s.split_once(':') {
            if suffix.starts_with("//") {
                return s.to_string();
            }
            if let Some(def) = self.terms.get(prefix) {
                return format!("{}{suffix}", self.expand_depth(&def.iri, depth + 1));
            }
            return s.to_string();
        }
        match &self.vocab {
            Some(v) => format!("{v}{s}"),
            None => s.to_string(),
        }
    }

    fn term(&self, key: &str) -> Option<&TermDef> {
        self.terms.get(key)
    }
}

/// A normalised property value.
#[derive(Debug, Clone)]
enum Val<'a> {
    Lit { value: String, lang: Option<String> },
    Iri(String),
    Node(&'a Map<String, Value>),
}

impl Val<'_> {
    fn text(&self) -> Option<&str> {
        match self {
            Val::Lit { value, .. } | Val::Iri(value) => Some(value),
            Val::Node(_) => None,
        }
    }
}

/// A node with expanded property IRIs.
struct Node<'a> {
    id: Option<String>,
    types: Vec<String>,
    props: HashMap<String, Vec<Val<'a>>>,
}

impl<'a> Node<'a> {
    fn read(map: &'a Map<String, Value>, ctx: &Context) -> Node<'a> {
        let mut node = Node {
            id: None,
            types: Vec::new(),
            props: HashMap::new(),
        };
        for (k, v) in map {
            let key = ctx.expand(k);
            match key.as_str() {
                "@id" => node.id = v.as_str().map(|s| ctx.expand(s)),
                "@type" => {
                    let types: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    node.types.extend(
                        types
                            .iter()
                            .filter_map(|t| t.as_str())
                            .map(|t| ctx.expand(t)),
                    );
                }
                _ if key.starts_with('@') => {}
                _ => {
                    let def = ctx.term(k);
                    let mut out = Vec::new();
                    normalise(v, def, ctx, &mut out);
                    node.props.entry(key).or_default().extend(out);
                }
            }
        }
        node
    }

    fn all(&self, iri: &str) -> &[Val<'a>] {
        self.props.get(iri).map(Vec::as_slice).unwrap_or(&[])
    }

    fn first_text(&self, iri: &str) -> Option<&str> {
        self.all(iri).iter().find_map(Val::text)
    }
}

fn normalise<'a>(v: &'a Value, def: Option<&TermDef>, ctx: &Context, out: &mut Vec<Val<'a>>) {
    let default_lang = || match def.and_then(|d| d.language.clone()) {
        Some(l) => l,
        None => ctx.language.clone(),
    };
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| normalise(i, def, ctx, out)),
        Value::String(s) => {
            if def.is_some_and(|d| d.coerce_id) {
                out.push(Val::Iri(ctx.expand(s)));
            } else {
                out.push(Val::Lit {
                    value: s.clone(),
                    lang: default_lang(),
                });
            }
        }
        Value::Number(n) => out.push(Val::Lit {
            value: n.to_string(),
            lang: None,
        }),
        Value::Bool(b) => out.push(Val::Lit {
            value: b.to_string(),
            lang: None,
        }),
        Value::Object(m) => {
            let get = |kw: &str| m.iter().find(|(k, _)| ctx.expand(k) == kw).map(|(_, v)| v);
            if let Some(value) = get("@value") {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => return,
                    other => other.to_string(),
                };
                let lang = match get("@language") {
                    Some(l) => l.as_str().map(canonical_lang),
                    None if get("@type").is_some() => None,
                    None => default_lang(),
                };
                out.push(Val::Lit { value, lang });
            } else if let Some(list) = get("@list").or_else(|| get("@set")) {
                normalise(list, def, ctx, out);
            } else if def.is_some_and(|d| d.language_map) {
                for (lang, texts) in m {
                    let texts: Vec<&Value> = match texts {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    for t in texts.into_iter().filter_map(Value::as_str) {
                        out.push(Val::Lit {
                            value: t.to_string(),
                            lang: Some(canonical_lang(lang)),
                        });
                    }
                }
            } else if let (Some(Value::String(id)), 1) = (get("@id"), m.len()) {
                out.push(Val::Iri(ctx.expand(id)));
            } else {
                out.push(Val::Node(m));
            }
        }
    }
}

fn iri_of(v: &Val<'_>, ctx: &Context) -> Option<String> {
    match v {
        Val::Iri(s) => Some(s.clone()),
        Val::Lit { value, .. } => Some(ctx.expand(value)),
        Val::Node(m) => m
            .iter()
            .find(|(k, _)| ctx.expand(k) == "@id")
            .and_then(|(_, v)| v.as_str())
            .map(|s| ctx.expand(s)),
    }
}

fn last_segment(iri: &str) -> &str {
    let trimmed = iri.trim_end_matches(['/', '#']);
    trimmed.rsplit(['/', '#', ':']).next().unwrap_or(trimmed)
}

fn skos(local: &str) -> String {
    format!("{SKOS_NS}{local}")
}

fn qt(local: &str) -> String {
    format!("{QIANTANG_NS}{local}")
}

fn invalid(id: &str, message: impl Into<String>) -> ExchangeError {
    ExchangeError::InvalidConcept {
        id: id.to_string(),
        message: message.into(),
    }
}

fn read_heritage(id: &str, v: &Val<'_>, ctx: &Context) -> Result<HeritageFact, ExchangeError> {
    let Val::Node(m) = v else {
        return Err(invalid(id, "qiantang:heritage must be an object"));
    };
    let n = Node::read(m, ctx);
    let text = |k: &str| n.first_text(&qt(k)).unwrap_or_default().to_string();
    let number = |k: &str| -> Result<u32, ExchangeError> {
        let t = n.first_text(&qt(k)).unwrap_or("0");
        t.trim()
            .parse()
            .map_err(|_| invalid(id, format!("qiantang:heritage {k} {t:?} is not a number")))
    };
    Ok(HeritageFact {
        code: text("code"),
        category: text("ichCategory"),
        batch: number("batch")?,
        year: number("year")?,
        entry_type: text("entryType"),
        region: text("region"),
        protection_unit: text("protectionUnit"),
    })
}

fn read_rendering(id: &str, v: &Val<'_>, ctx: &Context) -> Result<Rendering, ExchangeError> {
    let Val::Node(m) = v else {
        return Err(invalid(id, "qiantang:rendering must be an object"));
    };
    let n = Node::read(m, ctx);
    let lang = n
        .first_text(&qt("language"))
        .ok_or_else(|| invalid(id, "rendering without qiantang:language"))?;
    let strategy = n.first_text(&qt("strategy")).unwrap_or_default();
    let strategy = Strategy::parse(strategy)
        .ok_or_else(|| invalid(id, format!("unknown rendering strategy {strategy:?}")))?;
    let text = n
        .first_text(&qt("text"))
        .ok_or_else(|| invalid(id, "rendering without qiantang:text"))?;
    let status = match n.first_text(&qt("status")) {
        Some(s) => parse_status(id, s)?,
        None => Status::Draft,
    };
    Ok(Rendering {
        concept: id.to_string(),
        lang: lang.to_string(),
        market: n.first_text(&qt("market")).map(str::to_string),
        strategy,
        text: text.to_string(),
        gloss: n.first_text(&qt("gloss")).map(str::to_string),
        status,
    })
}

/// Imports a SKOS JSON-LD document (see the module docs for what is accepted).
///
/// Returns the concepts in document order and their renderings.
///
/// # Errors
///
/// * [`ExchangeError::Json`] when the input is not JSON;
/// * [`ExchangeError::Format`] for a concept node with neither `@id` nor
///   `skos:notation`;
/// * [`ExchangeError::InvalidId`] for a `skos:notation` that is not a valid id;
/// * [`ExchangeError::DuplicateId`], [`ExchangeError::DanglingBroader`];
/// * [`ExchangeError::InvalidConcept`] for a bad status, strategy or heritage fact.
pub fn import(json: &str) -> Result<(Vec<Concept>, Vec<Rendering>), ExchangeError> {
    let doc: Value = serde_json::from_str(json)?;
    let mut ctx = Context::new();
    let mut node_values: Vec<&Map<String, Value>> = Vec::new();
    // Gather top-level contexts and nodes.
    let tops: Vec<&Value> = match &doc {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for top in &tops {
        if let Value::Object(m) = top {
            if let Some(c) = m.get("@context") {
                ctx.merge(c);
            }
        }
    }
    for top in tops {
        let Value::Object(m) = top else { continue };
        let graph = m.iter().find(|(k, _)| ctx.expand(k) == "@graph");
        match graph {
            Some((_, Value::Array(items))) => {
                node_values.extend(items.iter().filter_map(Value::as_object));
            }
            Some((_, Value::Object(one))) => node_values.push(one),
            Some(_) => {}
            None => node_values.push(m),
        }
    }

    let concept_type = skos("Concept");
    let pref_iri = skos("prefLabel");
    let mut concepts = Vec::new();
    let mut renderings = Vec::new();
    let mut iri_to_id: HashMap<String, String> = HashMap::new();
    let mut links: Vec<(Vec<String>, Vec<String>)> = Vec::new();

    for m in node_values {
        let node = Node::read(m, &ctx);
        let is_concept = if node.types.is_empty() {
            node.props.contains_key(&pref_iri)
        } else {
            node.types.contains(&concept_type)
        };
        if !is_concept {
            continue;
        }
        let id = match node.first_text(&skos("notation")) {
            Some(n) => {
                let n = n.trim();
                if !is_valid_id(n) {
                    return Err(ExchangeError::InvalidId { id: n.to_string() });
                }
                n.to_string()
            }
            None => match &node.id {
                Some(iri) => {
                    sanitize_id(last_segment(iri)).ok_or_else(|| ExchangeError::InvalidId {
                        id: last_segment(iri).to_string(),
                    })?
                }
                None => {
                    return Err(ExchangeError::Format {
                        format: "SKOS JSON-LD",
                        message: "a skos:Concept node has neither @id nor skos:notation".into(),
                    })
                }
            },
        };
        if let Some(iri) = &node.id {
            iri_to_id.entry(iri.clone()).or_insert_with(|| id.clone());
        }

        let mut labels = Vec::new();
        for (prop, kind) in [
            ("prefLabel", LabelKind::Pref),
            ("altLabel", LabelKind::Alt),
            ("hiddenLabel", LabelKind::Alt),
        ] {
            for v in node.all(&skos(prop)) {
                if let Val::Lit { value, lang } = v {
                    labels.push(Label {
                        lang: lang.clone().unwrap_or_else(|| DEFAULT_LANG.to_string()),
                        text: value.clone(),
                        kind,
                    });
                }
            }
        }
        let order: Option<Vec<usize>> = {
            let vals = node.all(&qt("labelOrder"));
            let parsed: Option<Vec<usize>> = vals
                .iter()
                .map(|v| v.text().and_then(|t| t.parse().ok()))
                .collect();
            parsed.filter(|p| !p.is_empty())
        };
        let labels = apply_label_order(labels, order.as_deref());

        let mut definition = BTreeMap::new();
        for v in node.all(&skos("definition")) {
            if let Val::Lit { value, lang } = v {
                definition
                    .entry(lang.clone().unwrap_or_else(|| DEFAULT_LANG.to_string()))
                    .or_insert_with(|| value.clone());
            }
        }
        let broader: Vec<String> = node
            .all(&skos("broader"))
            .iter()
            .filter_map(|v| iri_of(v, &ctx))
            .collect();
        let narrower: Vec<String> = node
            .all(&skos("narrower"))
            .iter()
            .filter_map(|v| iri_of(v, &ctx))
            .collect();
        let category = node
            .first_text(&qt("category"))
            .map(str::to_string)
            .unwrap_or_else(|| DEFAULT_CATEGORY.to_string());
        let regions = node
            .all(&qt("region"))
            .iter()
            .filter_map(|v| v.text().map(str::to_string))
            .collect();
        let heritage = match node.all(&qt("heritage")).first() {
            Some(v) => Some(read_heritage(&id, v, &ctx)?),
            None => None,
        };
        let source = node
            .all(&format!("{DCT_NS}source"))
            .first()
            .and_then(|v| v.text().map(str::to_string))
            .unwrap_or_else(|| "SKOS import".to_string());
        let status = match node.first_text(&qt("status")) {
            Some(s) => parse_status(&id, s)?,
            None => Status::Draft,
        };
        for v in node.all(&qt("rendering")) {
            renderings.push(read_rendering(&id, v, &ctx)?);
        }
        links.push((broader, narrower));
        concepts.push(Concept {
            id,
            category,
            labels,
            definition,
            broader: Vec::new(),
            regions,
            heritage,
            provenance: Provenance { source, status },
        });
    }

    // Ids first (broader links are still empty here), then links.
    validate(&concepts)?;
    // Resolve links now that every IRI is known.
    let index: HashMap<String, usize> = concepts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    let resolve = |iri: &str| -> String {
        iri_to_id
            .get(iri)
            .cloned()
            .or_else(|| index.contains_key(iri).then(|| iri.to_string()))
            .unwrap_or_else(|| sanitize_id(last_segment(iri)).unwrap_or_else(|| iri.to_string()))
    };
    let mut inverse: Vec<(usize, String)> = Vec::new();
    for (i, (broader, narrower)) in links.iter().enumerate() {
        let Some(c) = concepts.get_mut(i) else {
            continue;
        };
        for b in broader {
            let b = resolve(b);
            if !index.contains_key(&b) {
                return Err(ExchangeError::DanglingBroader {
                    id: c.id.clone(),
                    broader: b,
                });
            }
            if !c.broader.contains(&b) {
                c.broader.push(b);
            }
        }
        for n in narrower {
            if let Some(&j) = index.get(&resolve(n)) {
                inverse.push((j, c.id.clone()));
            }
        }
    }
    for (j, parent) in inverse {
        if let Some(c) = concepts.get_mut(j) {
            if !c.broader.contains(&parent) {
                c.broader.push(parent);
            }
        }
    }
    validate(&concepts)?;
    Ok((concepts, renderings))
}
