//! TBX-Basic export and import (ISO 30042:2019, TBX v3, dialect TBX-Basic,
//! DCA style).
//!
//! [`export`] writes
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
//!   <tbxHeader><fileDesc>
//!     <titleStmt><title>…</title></titleStmt>
//!     <sourceDesc><p>…</p></sourceDesc>
//!   </fileDesc></tbxHeader>
//!   <text><body>
//!     <conceptEntry id="person.jigong">
//!       <descrip type="subjectField">person</descrip>
//!       <ref type="crossReference" target="religion.buddhism">religion.buddhism</ref>
//!       <note>qiantang:broader=religion.buddhism</note>
//!       <note>qiantang:region=CN-ZJ</note>
//!       <note>qiantang:source=Qiantang seed</note>
//!       <note>qiantang:status=reviewed</note>
//!       <langSec xml:lang="zh-Hans">
//!         <descrip type="definition">…</descrip>
//!         <termSec>
//!           <term>济公</term>
//!           <termNote type="partOfSpeech">noun</termNote>
//!           <termNote type="termType">fullForm</termNote>
//!           <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote>
//!         </termSec>
//!       </langSec>
//!       <langSec xml:lang="pt-BR">
//!         <termSec>
//!           <term>Jigong</term>
//!           <termNote type="partOfSpeech">noun</termNote>
//!           <termNote type="administrativeStatus">admittedTerm-admn-sts</termNote>
//!           <note>qiantang:rendering={"lang":"pt","market":"BR","strategy":"transliterate_gloss","gloss":"…","status":"draft"}</note>
//!         </termSec>
//!       </langSec>
//!     </conceptEntry>
//!   </body></text>
//! </tbx>
//! ```
//!
//! ## Mapping
//!
//! * One `conceptEntry` per concept, `id` = concept id.
//! * `descrip type="subjectField"` (conceptEntry level) = [`Concept::category`].
//! * One `langSec` per label language, in order of first appearance; each label
//!   is a `termSec` with `partOfSpeech` `noun`, `termType` `fullForm` (pref) /
//!   `variant` (alt) and `administrativeStatus` `preferredTerm-admn-sts` (pref)
//!   / `admittedTerm-admn-sts` (alt).
//! * Definitions: `descrip type="definition"` inside the `langSec` of the same
//!   tag; a definition in a language without terms goes on the conceptEntry
//!   with its own `xml:lang` (TBX requires at least one termSec per langSec).
//! * Renderings: a `termSec` in the `langSec` of their target language — for a
//!   rendering narrowed to a market, the tag gets the market as region subtag
//!   (`pt` + `BR` → `pt-BR`) unless the language already has a region. Its
//!   `administrativeStatus` is preferred when reviewed, admitted when draft,
//!   and it carries a `<note>` `qiantang:rendering=` + JSON object with
//!   `lang`, `market` (optional), `strategy`, `gloss` (optional) and `status`;
//!   that note is what tells a rendering from a label on import. The term
//!   text is the rendering text.
//! * Broader links: TBX-Basic has no hierarchy data category, so each one is
//!   written twice: a `ref type="crossReference"` (the TBX-Basic data category
//!   for links between entries, so CAT tools can navigate) and the
//!   authoritative note `qiantang:broader=<id>`.
//! * Other fields TBX-Basic lacks are conceptEntry-level `<note>`s with a
//!   `qiantang:<key>=` prefix: `region` (one note per region, order kept),
//!   `heritage` (JSON of [`HeritageFact`]), `source`, `status` (always written)
//!   and `labelOrder` (JSON array, only when grouping labels by language
//!   changed their order; see [`crate::skos`]).
//!
//! All text goes through quick-xml's escaping (`partial_escape` for text
//! content: `<`, `>`, `&`; full escaping for attribute values). Text content is trimmed on
//! import, so leading/trailing whitespace of labels does not survive.
//! Ids starting with a digit are not valid XML `ID`s; strict validators may
//! flag them, the importer does not care.
//!
//! ## Import of foreign TBX
//!
//! [`import`] reads TBX v3 (`tbx`/`conceptEntry`/`langSec`/`termSec`) and
//! also TBX v2 (`martif`/`termEntry`/`langSet`/`tig`/`ntig`), ignoring
//! namespaces and unknown elements (`transacGrp`, `xref`, `admin`…). An entry
//! without a `qiantang:status=` note is foreign:
//!
//! * id = its `id` attribute lowercased with characters outside `[a-z0-9.-]`
//!   replaced by `-` (`iate_3515206` → `iate-3515206`), or `tbx-<n>` (1-based
//!   entry number) when missing;
//! * category = the subject field when it names a known category (key, English
//!   or Chinese name), otherwise [`DEFAULT_CATEGORY`] (`literature`);
//! * every term is a label in its langSec's language (tag case normalised);
//!   `preferredTerm-admn-sts` → pref, any other status (admitted, deprecated,
//!   superseded) → alt, no status → pref for the first term of a language and
//!   alt after that; `crossReference` links are not read as broader links;
//! * definitions come from `langSec` level (or conceptEntry level with
//!   `xml:lang`, else the root `xml:lang`), whitespace runs collapsed;
//! * provenance source = the first `sourceDesc/p` of the header, or
//!   `"TBX import"`; status draft.

use crate::model::{
    Concept, HeritageFact, Label, LabelKind, Provenance, Rendering, Status, Strategy,
};
pub use crate::skos::ExchangeError;
use crate::skos::{
    apply_label_order, canonical_lang, known_category, label_order, parse_status, sanitize_id,
    validate, DEFAULT_CATEGORY,
};
use quick_xml::escape;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io;

/// The TBX v3 namespace of ISO 30042:2019 (written on export; any namespace is
/// accepted on import).
pub const TBX_NS: &str = "urn:iso:std:iso:30042:ed-2";
/// Prefix of the machine-readable notes carrying fields TBX-Basic lacks.
pub const NOTE_PREFIX: &str = "qiantang:";

/// The JSON carried in a rendering's `qiantang:rendering=` note.
#[derive(Debug, Serialize, Deserialize)]
struct RenderingMeta {
    lang: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    market: Option<String>,
    strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gloss: Option<String>,
    #[serde(default)]
    status: Status,
}

/// The langSec tag of a rendering: its language, plus the market as region
/// subtag when narrowed and the language has no region yet.
fn rendering_tag(r: &Rendering) -> String {
    match &r.market {
        Some(m) if !m.is_empty() => {
            let has_region = r.lang.split('-').skip(1).any(|s| {
                (s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()))
                    || (s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()))
            });
            if has_region {
                r.lang.clone()
            } else {
                format!("{}-{}", r.lang, m)
            }
        }
        _ => r.lang.clone(),
    }
}

type W = Writer<Vec<u8>>;

fn text_el(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs.iter().copied())
        .write_text_content(BytesText::from_escaped(escape::partial_escape(text)))?;
    Ok(())
}

fn note(w: &mut W, key: &str, value: &str) -> io::Result<()> {
    text_el(w, "note", &[], &format!("{NOTE_PREFIX}{key}={value}"))
}

struct Group<'a> {
    tag: String,
    labels: Vec<usize>,
    renderings: Vec<&'a Rendering>,
}

fn write_entry(w: &mut W, c: &Concept, renderings: &[&Rendering]) -> io::Result<()> {
    // Group labels, then renderings, by langSec tag in order of first appearance.
    let mut groups: Vec<Group<'_>> = Vec::new();
    fn group<'g, 'a>(groups: &'g mut Vec<Group<'a>>, tag: &str) -> Option<&'g mut Group<'a>> {
        if !groups.iter().any(|g| g.tag == tag) {
            groups.push(Group {
                tag: tag.to_string(),
                labels: Vec::new(),
                renderings: Vec::new(),
            });
        }
        groups.iter_mut().find(|g| g.tag == tag)
    }
    for (i, l) in c.labels.iter().enumerate() {
        if let Some(g) = group(&mut groups, &l.lang) {
            g.labels.push(i);
        }
    }
    for r in renderings {
        if let Some(g) = group(&mut groups, &rendering_tag(r)) {
            g.renderings.push(r);
        }
    }

    w.create_element("conceptEntry")
        .with_attribute(("id", c.id.as_str()))
        .write_inner_content(|w| {
            text_el(w, "descrip", &[("type", "subjectField")], &c.category)?;
            for (lang, def) in &c.definition {
                if !groups.iter().any(|g| &g.tag == lang) {
                    text_el(
                        w,
                        "descrip",
                        &[("type", "definition"), ("xml:lang", lang)],
                        def,
                    )?;
                }
            }
            for b in &c.broader {
                text_el(w, "ref", &[("type", "crossReference"), ("target", b)], b)?;
            }
            for b in &c.broader {
                note(w, "broader", b)?;
            }
            for r in &c.regions {
                note(w, "region", r)?;
            }
            if let Some(h) = &c.heritage {
                let json = serde_json::to_string(h).map_err(io::Error::other)?;
                note(w, "heritage", &json)?;
            }
            note(w, "source", &c.provenance.source)?;
            note(w, "status", c.provenance.status.as_str())?;
            let doc_order: Vec<usize> = groups.iter().flat_map(|g| g.labels.clone()).collect();
            if let Some(p) = label_order(&doc_order) {
                let json = serde_json::to_string(&p).map_err(io::Error::other)?;
                note(w, "labelOrder", &json)?;
            }
            for g in &groups {
                w.create_element("langSec")
                    .with_attribute(("xml:lang", g.tag.as_str()))
                    .write_inner_content(|w| {
                        if let Some(def) = c.definition.get(&g.tag) {
                            text_el(w, "descrip", &[("type", "definition")], def)?;
                        }
                        for l in g.labels.iter().filter_map(|&i| c.labels.get(i)) {
                            let (term_type, status) = match l.kind {
                                LabelKind::Pref => ("fullForm", "preferredTerm-admn-sts"),
                                LabelKind::Alt => ("variant", "admittedTerm-admn-sts"),
                            };
                            w.create_element("termSec").write_inner_content(|w| {
                                text_el(w, "term", &[], &l.text)?;
                                text_el(w, "termNote", &[("type", "partOfSpeech")], "noun")?;
                                text_el(w, "termNote", &[("type", "termType")], term_type)?;
                                text_el(
                                    w,
                                    "termNote",
                                    &[("type", "administrativeStatus")],
                                    status,
                                )?;
                                Ok(())
                            })?;
                        }
                        for r in &g.renderings {
                            let status = match r.status {
                                Status::Reviewed => "preferredTerm-admn-sts",
                                Status::Draft => "admittedTerm-admn-sts",
                            };
                            let meta = RenderingMeta {
                                lang: r.lang.clone(),
                                market: r.market.clone(),
                                strategy: r.strategy,
                                gloss: r.gloss.clone(),
                                status: r.status,
                            };
                            let json = serde_json::to_string(&meta).map_err(io::Error::other)?;
                            w.create_element("termSec").write_inner_content(|w| {
                                text_el(w, "term", &[], &r.text)?;
                                text_el(w, "termNote", &[("type", "partOfSpeech")], "noun")?;
                                text_el(
                                    w,
                                    "termNote",
                                    &[("type", "administrativeStatus")],
                                    status,
                                )?;
                                note(w, "rendering", &json)
                            })?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_doc(concepts: &[Concept], renderings: &[Rendering]) -> io::Result<Vec<u8>> {
    let mut by_concept: HashMap<&str, Vec<&Rendering>> = HashMap::new();
    for r in renderings {
        by_concept.entry(r.concept.as_str()).or_default().push(r);
    }
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("tbx")
        .with_attributes([
            ("type", "TBX-Basic"),
            ("style", "dca"),
            ("xml:lang", "en"),
            ("xmlns", TBX_NS),
        ])
        .write_inner_content(|w| {
            w.create_element("tbxHeader").write_inner_content(|w| {
                w.create_element("fileDesc").write_inner_content(|w| {
                    w.create_element("titleStmt").write_inner_content(|w| {
                        text_el(w, "title", &[], "Qiantang cultural-element knowledge base")
                    })?;
                    w.create_element("sourceDesc").write_inner_content(|w| {
                        text_el(
                            w,
                            "p",
                            &[],
                            "Exported by Qiantang (qiantang-kb). Notes starting with \
                             \"qiantang:\" carry fields TBX-Basic lacks.",
                        )
                    })?;
                    Ok(())
                })?;
                Ok(())
            })?;
            w.create_element("text").write_inner_content(|w| {
                w.create_element("body").write_inner_content(|w| {
                    for c in concepts {
                        let rs = by_concept.get(c.id.as_str()).map(Vec::as_slice);
                        write_entry(w, c, rs.unwrap_or(&[]))?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

/// Exports concepts and their renderings as a TBX-Basic (ISO 30042:2019) document.
///
/// Concepts keep their order; renderings whose concept is not in `concepts`
/// are skipped. See the module docs for the mapping.
pub fn export(concepts: &[Concept], renderings: &[Rendering]) -> String {
    // Writing into a Vec cannot fail and quick-xml writes UTF-8 for &str input.
    match write_doc(concepts, renderings) {
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(_) => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Import

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    HeaderP,
    Term,
    TermNote(NoteType),
    Descrip(DescripType),
    Note,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum NoteType {
    AdminStatus,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DescripType {
    Definition,
    SubjectField,
    Other,
}

struct Capture {
    kind: Kind,
    depth: usize,
    lang: Option<String>,
    buf: String,
}

#[derive(Default)]
struct TermRec {
    lang: String,
    text: String,
    admin: Option<String>,
    notes: Vec<String>,
}

#[derive(Default)]
struct Entry {
    raw_id: Option<String>,
    subject: Option<String>,
    defs: Vec<(Option<String>, String)>,
    notes: Vec<String>,
    terms: Vec<TermRec>,
}

#[derive(Default)]
struct Parser {
    stack: Vec<String>,
    root_seen: bool,
    root_lang: Option<String>,
    header_source: Option<String>,
    capture: Option<Capture>,
    entry: Option<Entry>,
    lang: Option<String>,
    term: Option<TermRec>,
    entries: Vec<Entry>,
}

fn attr(e: &BytesStart<'_>, names: &[&[u8]]) -> Result<Option<String>, quick_xml::Error> {
    for a in e.attributes() {
        let a = a?;
        if names.contains(&a.key.as_ref()) {
            // Only XML's five predefined entities: TBX is XML, not HTML (and
            // quick-xml's `escape-html` feature, enabled elsewhere in the
            // workspace, must not change what this parser accepts).
            return Ok(Some(
                a.unescape_value_with(quick_xml::escape::resolve_xml_entity)?
                    .into_owned(),
            ));
        }
    }
    Ok(None)
}

const LANG_ATTRS: &[&[u8]] = &[b"xml:lang", b"lang"];

impl Parser {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), StartError> {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let depth = self.stack.len();
        if !self.root_seen {
            if name != "tbx" && name != "martif" {
                return Err(StartError::Format(format!(
                    "root element is <{name}>, expected <tbx> (TBX v3) or <martif> (TBX v2)"
                )));
            }
            self.root_seen = true;
            self.root_lang = attr(e, LANG_ATTRS)?.map(|l| canonical_lang(&l));
        }
        if self.capture.is_none() {
            let kind = match name.as_str() {
                "conceptEntry" | "termEntry" if self.entry.is_none() => {
                    self.entry = Some(Entry {
                        raw_id: attr(e, &[b"id"])?,
                        ..Entry::default()
                    });
                    None
                }
                "langSec" | "langSet" if self.entry.is_some() => {
                    let lang = attr(e, LANG_ATTRS)?.map(|l| canonical_lang(&l));
                    self.lang = Some(
                        lang.or_else(|| self.root_lang.clone())
                            .unwrap_or_else(|| crate::skos::DEFAULT_LANG.to_string()),
                    );
                    None
                }
                "termSec" | "tig" | "ntig" if self.lang.is_some() && self.term.is_none() => {
                    self.term = Some(TermRec {
                        lang: self.lang.clone().unwrap_or_default(),
                        ..TermRec::default()
                    });
                    None
                }
                "term" if self.term.is_some() => Some(Kind::Term),
                "termNote" if self.term.is_some() => {
                    let ty = attr(e, &[b"type"])?;
                    Some(Kind::TermNote(match ty.as_deref() {
                        Some("administrativeStatus" | "normativeAuthorization") => {
                            NoteType::AdminStatus
                        }
                        _ => NoteType::Other,
                    }))
                }
                "descrip" if self.entry.is_some() => {
                    let ty = attr(e, &[b"type"])?;
                    Some(Kind::Descrip(match ty.as_deref() {
                        Some("definition") => DescripType::Definition,
                        Some("subjectField") => DescripType::SubjectField,
                        _ => DescripType::Other,
                    }))
                }
                "note" if self.entry.is_some() => Some(Kind::Note),
                "p" if self.header_source.is_none()
                    && self.entry.is_none()
                    && self.stack.iter().any(|s| s == "sourceDesc") =>
                {
                    Some(Kind::HeaderP)
                }
                _ => None,
            };
            if let Some(kind) = kind {
                let lang = match kind {
                    Kind::Descrip(_) => attr(e, LANG_ATTRS)?,
                    _ => None,
                };
                self.capture = Some(Capture {
                    kind,
                    depth,
                    lang,
                    buf: String::new(),
                });
            }
        }
        self.stack.push(name);
        Ok(())
    }

    fn text(&mut self, s: &str) {
        if let Some(c) = &mut self.capture {
            c.buf.push_str(s);
        }
    }

    fn end(&mut self) {
        let Some(name) = self.stack.pop() else { return };
        let depth = self.stack.len();
        if self.capture.as_ref().is_some_and(|c| c.depth == depth) {
            if let Some(c) = self.capture.take() {
                self.finish_capture(c);
            }
            return;
        }
        match name.as_str() {
            "termSec" | "tig" | "ntig" => {
                if let (Some(t), Some(e)) = (self.term.take(), self.entry.as_mut()) {
                    if !t.text.trim().is_empty() {
                        e.terms.push(t);
                    }
                }
            }
            "langSec" | "langSet" => self.lang = None,
            "conceptEntry" | "termEntry" => {
                self.term = None;
                self.lang = None;
                if let Some(e) = self.entry.take() {
                    self.entries.push(e);
                }
            }
            _ => {}
        }
    }

    fn finish_capture(&mut self, c: Capture) {
        match c.kind {
            Kind::HeaderP => self.header_source = Some(c.buf),
            Kind::Term => {
                if let Some(t) = &mut self.term {
                    t.text = c.buf;
                }
            }
            Kind::TermNote(NoteType::AdminStatus) => {
                if let Some(t) = &mut self.term {
                    t.admin = Some(c.buf.trim().to_string());
                }
            }
            Kind::TermNote(NoteType::Other) | Kind::Descrip(DescripType::Other) => {}
            Kind::Descrip(DescripType::Definition) => {
                if let Some(e) = &mut self.entry {
                    let lang = self
                        .lang
                        .clone()
                        .or_else(|| c.lang.map(|l| canonical_lang(&l)));
                    e.defs.push((lang, c.buf));
                }
            }
            Kind::Descrip(DescripType::SubjectField) => {
                if let Some(e) = &mut self.entry {
                    if e.subject.is_none() {
                        e.subject = Some(c.buf);
                    }
                }
            }
            Kind::Note => {
                if let Some(t) = &mut self.term {
                    t.notes.push(c.buf);
                } else if self.lang.is_none() {
                    if let Some(e) = &mut self.entry {
                        e.notes.push(c.buf);
                    }
                }
            }
        }
    }
}

enum StartError {
    Xml(quick_xml::Error),
    Format(String),
}

impl From<quick_xml::Error> for StartError {
    fn from(e: quick_xml::Error) -> Self {
        StartError::Xml(e)
    }
}

fn xml_error(xml: &str, pos: u64, message: String) -> ExchangeError {
    let bytes = xml.as_bytes();
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(bytes.len());
    let before = bytes.get(..pos).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .unwrap_or(&[])
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    ExchangeError::Xml {
        line,
        column,
        message,
    }
}

fn format_error(message: String) -> ExchangeError {
    ExchangeError::Format {
        format: "TBX",
        message,
    }
}

/// Imports a TBX document (TBX-Basic v3 as written by [`export`], or TBX from
/// other tools; see the module docs for defaults).
///
/// Returns the concepts in document order and their renderings.
///
/// # Errors
///
/// * [`ExchangeError::Xml`] with 1-based line and column when the XML is not
///   well-formed (including unclosed elements at the end);
/// * [`ExchangeError::Format`] when the root is not `tbx`/`martif`;
/// * [`ExchangeError::DuplicateId`] (also after id sanitisation),
///   [`ExchangeError::DanglingBroader`];
/// * [`ExchangeError::InvalidConcept`] for a bad `qiantang:` note (status,
///   heritage JSON, rendering JSON).
pub fn import(xml: &str) -> Result<(Vec<Concept>, Vec<Rendering>), ExchangeError> {
    let mut reader = Reader::from_str(xml);
    let mut p = Parser::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| xml_error(xml, reader.error_position(), e.to_string()))?;
        let pos = reader.buffer_position();
        let start_err = |e: StartError| match e {
            StartError::Xml(e) => xml_error(xml, pos, e.to_string()),
            StartError::Format(m) => format_error(m),
        };
        match event {
            Event::Start(e) => p.start(&e).map_err(start_err)?,
            Event::Empty(e) => {
                p.start(&e).map_err(start_err)?;
                p.end();
            }
            Event::End(_) => p.end(),
            Event::Text(t) => {
                let s = t
                    .unescape_with(quick_xml::escape::resolve_xml_entity)
                    .map_err(|e| xml_error(xml, pos, e.to_string()))?;
                p.text(&s);
            }
            Event::CData(c) => {
                let s = c.decode().map_err(|e| xml_error(xml, pos, e.to_string()))?;
                p.text(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = p.stack.last() {
        return Err(xml_error(
            xml,
            xml.len() as u64,
            format!("unexpected end of document: <{open}> is not closed"),
        ));
    }
    if !p.root_seen {
        return Err(format_error("no root element".into()));
    }
    let root_lang = p
        .root_lang
        .clone()
        .unwrap_or_else(|| crate::skos::DEFAULT_LANG.to_string());
    let header_source = p
        .header_source
        .as_deref()
        .map(collapse)
        .filter(|s| !s.is_empty());

    let mut concepts = Vec::new();
    let mut renderings = Vec::new();
    for (n, e) in p.entries.into_iter().enumerate() {
        let ours = e
            .notes
            .iter()
            .any(|n| n.trim().starts_with("qiantang:status="));
        let clean = |s: &str| -> String {
            if ours {
                s.trim().to_string()
            } else {
                collapse(s)
            }
        };
        let id = e
            .raw_id
            .as_deref()
            .and_then(sanitize_id)
            .unwrap_or_else(|| format!("tbx-{}", n + 1));
        let category = match e.subject.as_deref().map(clean) {
            Some(s) if ours && !s.is_empty() => s,
            Some(s) => known_category(&s).unwrap_or(DEFAULT_CATEGORY).to_string(),
            None => DEFAULT_CATEGORY.to_string(),
        };
        let mut definition = BTreeMap::new();
        for (lang, text) in &e.defs {
            let lang = lang.clone().unwrap_or_else(|| root_lang.clone());
            definition.entry(lang).or_insert_with(|| clean(text));
        }

        let mut broader = Vec::new();
        let mut regions = Vec::new();
        let mut heritage = None;
        let mut source = None;
        let mut status = Status::Draft;
        let mut order: Option<Vec<usize>> = None;
        for note in &e.notes {
            let Some((key, value)) = note
                .trim()
                .strip_prefix(NOTE_PREFIX)
                .and_then(|rest| rest.split_once('='))
            else {
                continue;
            };
            match key {
                "broader" => broader.push(value.trim().to_string()),
                "region" => regions.push(value.to_string()),
                "heritage" => {
                    let h: HeritageFact = serde_json::from_str(value).map_err(|err| {
                        ExchangeError::InvalidConcept {
                            id: id.clone(),
                            message: format!("qiantang:heritage note: {err}"),
                        }
                    })?;
                    heritage = Some(h);
                }
                "source" => source = Some(value.to_string()),
                "status" => status = parse_status(&id, value)?,
                "labelOrder" => order = serde_json::from_str(value).ok(),
                _ => {}
            }
        }

        let mut labels: Vec<Label> = Vec::new();
        for t in &e.terms {
            let text = clean(&t.text);
            let meta = t.notes.iter().find_map(|n| {
                n.trim()
                    .strip_prefix(NOTE_PREFIX)
                    .and_then(|r| r.strip_prefix("rendering="))
            });
            if let Some(meta) = meta {
                let m: RenderingMeta =
                    serde_json::from_str(meta).map_err(|err| ExchangeError::InvalidConcept {
                        id: id.clone(),
                        message: format!("qiantang:rendering note: {err}"),
                    })?;
                renderings.push(Rendering {
                    concept: id.clone(),
                    lang: m.lang,
                    market: m.market,
                    strategy: m.strategy,
                    text,
                    gloss: m.gloss,
                    status: m.status,
                });
                continue;
            }
            let kind = match t.admin.as_deref() {
                Some(s) if s.contains("preferred") => LabelKind::Pref,
                Some(_) => LabelKind::Alt,
                None if labels
                    .iter()
                    .any(|l| l.lang == t.lang && l.kind == LabelKind::Pref) =>
                {
                    LabelKind::Alt
                }
                None => LabelKind::Pref,
            };
            labels.push(Label {
                lang: t.lang.clone(),
                text,
                kind,
            });
        }
        let labels = apply_label_order(labels, order.as_deref());

        let source = source
            .or_else(|| (!ours).then(|| header_source.clone()).flatten())
            .unwrap_or_else(|| "TBX import".to_string());
        concepts.push(Concept {
            id,
            category,
            labels,
            definition,
            broader,
            regions,
            heritage,
            provenance: Provenance { source, status },
        });
    }
    validate(&concepts)?;
    Ok((concepts, renderings))
}

/// Trims and collapses whitespace runs to one space (foreign TBX is often
/// pretty-printed inside text content).
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
