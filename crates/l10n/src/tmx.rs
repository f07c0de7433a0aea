//! TMX 1.4b (LISA/GALA Translation Memory eXchange) import and export.
//!
//! # Reading
//!
//! [`read_tmx`] parses a stream with `quick-xml` events (no tree is built;
//! memory grows with the units kept, not with the file's markup) and is
//! **all or nothing**: any error returns [`TmxError`] with the byte position
//! and line where it was found, and no units.
//!
//! Required, per the TMX 1.4b specification: the root `<tmx version="1.4">`
//! (1.4b documents carry `version="1.4"`; other versions are refused), a
//! `<header>` before `<body>` with the attributes `srclang adminlang
//! datatype segtype o-tmf creationtool creationtoolversion`, and for every
//! `<tu>` a `<tuv>` in the source language — the `<tu srclang>` override if
//! present, else the header's; with `*all*` the first `<tuv>` — and at least
//! one other `<tuv>`. Language tags are compared case-insensitively.
//!
//! Inline markup in `<seg>` (§ "Inline elements"): the content of `<bpt>`,
//! `<ept>`, `<it>`, `<ph>` and `<ut>` is *native code* of the original format
//! (e.g. `&lt;b&gt;`), not text, and is dropped with any `<sub>` inside it;
//! `<hi>` delimits text (highlighting) and its text is kept. So
//! `<seg>Press <bpt i="1">&lt;b&gt;</bpt>OK<ept i="1">&lt;/b&gt;</ept></seg>`
//! reads as `Press OK`.
//!
//! Properties: `<prop type="x-context">` (OmegaT, Okapi) and
//! `<prop type="x-approved">` (`true`/`false`) on the `<tu>` map to
//! [`TranslationUnit::context`] and [`TranslationUnit::approved`]; other
//! `<tu>` props are kept in [`TmxUnit::props`] and written back.
//!
//! # Writing
//!
//! [`write_tmx`] writes UTF-8 TMX 1.4b with the header attributes given,
//! text and attribute values escaped (`& < > " '`), one `<tu>` per unit.

use crate::model::TranslationUnit;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::{BufRead, Read, Write};

/// The `<header>` attributes TMX 1.4b requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmxHeader {
    /// Source language of the document, or `*all*`.
    pub srclang: String,
    /// Language of administrative text (notes, props).
    pub adminlang: String,
    /// Data type of the original (`plaintext`, `html`, `PlainText`…).
    pub datatype: String,
    /// Segmentation: `block`, `paragraph`, `sentence` or `phrase`.
    pub segtype: String,
    /// Format of the original TM (`o-tmf`).
    pub o_tmf: String,
    /// Tool that wrote the file.
    pub creationtool: String,
    /// Its version.
    pub creationtoolversion: String,
}

impl TmxHeader {
    /// The header Qiantang writes: sentence segments of plain text from
    /// `srclang`.
    pub fn qiantang(srclang: &str) -> Self {
        TmxHeader {
            srclang: srclang.to_string(),
            adminlang: "en".into(),
            datatype: "plaintext".into(),
            segtype: "sentence".into(),
            o_tmf: "qiantang".into(),
            creationtool: "Qiantang".into(),
            creationtoolversion: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// One `<tuv>`: a language and its segment text (inline codes removed, see
/// the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuv {
    /// `xml:lang`.
    pub lang: String,
    /// Text of `<seg>`.
    pub text: String,
}

/// One `<tu>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TmxUnit {
    /// `tuid`, if any.
    pub tuid: Option<String>,
    /// TU-level `srclang` override, if any.
    pub srclang: Option<String>,
    /// `<prop type="x-context">`.
    pub context: Option<String>,
    /// `<prop type="x-approved">` (`None` when absent).
    pub approved: Option<bool>,
    /// Other `<prop>`s of the `<tu>` as (type, value).
    pub props: Vec<(String, String)>,
    /// The variants, in file order.
    pub tuvs: Vec<Tuv>,
    /// Index in `tuvs` of the source variant.
    pub source: usize,
}

impl TmxUnit {
    /// The source variant.
    pub fn source_tuv(&self) -> Option<&Tuv> {
        self.tuvs.get(self.source)
    }

    /// The variants other than the source.
    pub fn targets(&self) -> impl Iterator<Item = &Tuv> {
        self.tuvs
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != self.source)
            .map(|(_, t)| t)
    }
}

/// A parsed TMX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmxDocument {
    /// Header.
    pub header: TmxHeader,
    /// Units in file order.
    pub units: Vec<TmxUnit>,
}

impl TmxDocument {
    /// A document of translation units (each becomes a two-variant `<tu>`,
    /// with `x-context` and `x-approved` props).
    pub fn from_units(header: TmxHeader, units: &[TranslationUnit]) -> Self {
        let units = units
            .iter()
            .map(|u| TmxUnit {
                tuid: (u.id > 0).then(|| u.id.to_string()),
                srclang: (!u.source_lang.eq_ignore_ascii_case(&header.srclang))
                    .then(|| u.source_lang.clone()),
                context: u.context.clone(),
                approved: Some(u.approved),
                props: Vec::new(),
                tuvs: vec![
                    Tuv {
                        lang: u.source_lang.clone(),
                        text: u.source.clone(),
                    },
                    Tuv {
                        lang: u.target_lang.clone(),
                        text: u.target.clone(),
                    },
                ],
                source: 0,
            })
            .collect();
        TmxDocument { header, units }
    }

    /// Translation units (id 0) for every (source, other variant) pair.
    /// A unit without `x-approved` counts as approved (an imported TM is
    /// taken as checked unless it says otherwise).
    pub fn to_units(
        &self,
        org: i64,
        origin: &str,
        created_by: &str,
        created_ms: i64,
    ) -> Vec<TranslationUnit> {
        let mut out = Vec::new();
        for u in &self.units {
            let Some(src) = u.source_tuv() else { continue };
            for t in u.targets() {
                out.push(TranslationUnit {
                    id: 0,
                    org,
                    source_lang: src.lang.clone(),
                    target_lang: t.lang.clone(),
                    source: src.text.clone(),
                    target: t.text.clone(),
                    context: u.context.clone(),
                    approved: u.approved.unwrap_or(true),
                    origin: origin.to_string(),
                    created_by: created_by.to_string(),
                    created_ms,
                });
            }
        }
        out
    }
}

/// What went wrong in a TMX file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TmxErrorKind {
    /// Not well-formed XML (quick-xml's message).
    #[error("malformed XML: {0}")]
    Xml(String),
    /// Reading failed.
    #[error("read error: {0}")]
    Io(String),
    /// The root element is not `<tmx>`.
    #[error("not a TMX file: root element is <{0}>")]
    NotTmx(String),
    /// No root element at all.
    #[error("not a TMX file: no <tmx> element")]
    Empty,
    /// `<tmx>` without `version`.
    #[error("<tmx> has no version attribute")]
    MissingVersion,
    /// A version other than 1.4.
    #[error("unsupported TMX version {0:?} (only 1.4 / 1.4b is read)")]
    UnknownVersion(String),
    /// `<body>` (or a `<tu>`) before any `<header>`.
    #[error("missing <header> before <body>")]
    MissingHeader,
    /// No `<body>`.
    #[error("missing <body>")]
    MissingBody,
    /// A required attribute is absent.
    #[error("<{element}> lacks the required attribute {attribute}")]
    MissingAttribute {
        /// Element.
        element: String,
        /// Attribute.
        attribute: String,
    },
    /// A `<tu>` has no variant in the source language.
    #[error("<tu> number {index} has no <tuv> in the source language {srclang}")]
    NoSourceTuv {
        /// 1-based number of the `<tu>` in the file.
        index: usize,
        /// The source language looked for.
        srclang: String,
    },
    /// A `<tu>` has no variant besides the source.
    #[error("<tu> number {index} has no target <tuv>")]
    NoTargetTuv {
        /// 1-based number of the `<tu>`.
        index: usize,
    },
    /// A `<tuv>` without `<seg>`.
    #[error("<tuv xml:lang={lang:?}> has no <seg>")]
    NoSeg {
        /// The variant's language.
        lang: String,
    },
    /// An element where it may not be.
    #[error("unexpected <{element}> inside <{parent}>")]
    Unexpected {
        /// The element.
        element: String,
        /// Its parent.
        parent: String,
    },
    /// An `x-approved` value other than true/false.
    #[error("x-approved must be true or false, not {0:?}")]
    BadApproved(String),
    /// The file ended inside an element.
    #[error("unexpected end of file inside <{0}>")]
    UnexpectedEof(String),
}

/// A TMX error with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TMX error at line {line}, byte {position}: {kind}")]
pub struct TmxError {
    /// Byte offset in the input (the end of the last event read).
    pub position: u64,
    /// 1-based line of that offset.
    pub line: u64,
    /// What went wrong.
    pub kind: TmxErrorKind,
}

/// Counts lines of the bytes consumed by the XML reader.
struct Lines<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amt);
    }
}

fn local(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Reads a whole TMX 1.4b document (see the module docs).
///
/// # Errors
/// [`TmxError`] for malformed XML, a missing or unknown version, a missing
/// header or header attribute, a `<tu>` without source or target variant,
/// a `<tuv>` without `<seg>`, misplaced elements and I/O errors; nothing is
/// returned on error.
pub fn read_tmx<R: BufRead>(input: R) -> Result<TmxDocument, TmxError> {
    let mut reader = Reader::from_reader(Lines {
        inner: input,
        newlines: 0,
    });
    reader.config_mut().trim_text(false);
    reader.config_mut().expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut header: Option<TmxHeader> = None;
    let mut seen_root = false;
    let mut seen_body = false;
    let mut units: Vec<TmxUnit> = Vec::new();
    let mut tu: Option<TmxUnit> = None;
    let mut tu_count = 0usize;
    let mut tuv_lang: Option<String> = None;
    let mut tuv_seg: Option<String> = None;
    let mut seg: Option<String> = None;
    let mut code_depth = 0usize; // inside bpt/ept/it/ph/ut
    let mut prop: Option<(String, String)> = None;

    macro_rules! fail {
        ($kind:expr) => {{
            let position = reader.buffer_position() as u64;
            let line = reader.get_ref().newlines + 1;
            return Err(TmxError {
                position,
                line,
                kind: $kind,
            });
        }};
    }

    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(quick_xml::Error::Io(e)) => fail!(TmxErrorKind::Io(e.to_string())),
            Err(e) => fail!(TmxErrorKind::Xml(e.to_string())),
        };
        match ev {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                let parent = stack.last().map(String::as_str).unwrap_or("");
                match (parent, name.as_str()) {
                    ("", "tmx") => {
                        seen_root = true;
                        match attr(&e, "version") {
                            Err(k) => fail!(k),
                            Ok(None) => fail!(TmxErrorKind::MissingVersion),
                            Ok(Some(v)) if v == "1.4" || v == "1.4b" => {}
                            Ok(Some(v)) => fail!(TmxErrorKind::UnknownVersion(v)),
                        }
                    }
                    ("", other) => fail!(TmxErrorKind::NotTmx(other.to_string())),
                    ("tmx", "header") => match read_header(&e) {
                        Ok(h) => header = Some(h),
                        Err(k) => fail!(k),
                    },
                    ("tmx", "body") => {
                        if header.is_none() {
                            fail!(TmxErrorKind::MissingHeader);
                        }
                        seen_body = true;
                    }
                    ("body", "tu") => {
                        tu_count += 1;
                        let mut u = TmxUnit::default();
                        match (attr(&e, "tuid"), attr(&e, "srclang")) {
                            (Ok(id), Ok(src)) => {
                                u.tuid = id;
                                u.srclang = src;
                            }
                            (Err(k), _) | (_, Err(k)) => fail!(k),
                        }
                        tu = Some(u);
                    }
                    ("tu", "prop") | ("tu", "note") | ("tuv", "prop") | ("tuv", "note") => {
                        if name == "prop" && parent == "tu" {
                            match attr(&e, "type") {
                                Ok(Some(t)) => prop = Some((t, String::new())),
                                Ok(None) => fail!(TmxErrorKind::MissingAttribute {
                                    element: "prop".into(),
                                    attribute: "type".into()
                                }),
                                Err(k) => fail!(k),
                            }
                        }
                    }
                    ("tu", "tuv") => match attr(&e, "xml:lang").and_then(|l| match l {
                        Some(l) => Ok(Some(l)),
                        None => attr(&e, "lang"),
                    }) {
                        Ok(Some(l)) => {
                            tuv_lang = Some(l);
                            tuv_seg = None;
                        }
                        Ok(None) => fail!(TmxErrorKind::MissingAttribute {
                            element: "tuv".into(),
                            attribute: "xml:lang".into()
                        }),
                        Err(k) => fail!(k),
                    },
                    ("tuv", "seg") => seg = Some(String::new()),
                    (p, "bpt" | "ept" | "it" | "ph" | "ut" | "hi" | "sub")
                        if seg.is_some() && !p.is_empty() =>
                    {
                        if matches!(name.as_str(), "bpt" | "ept" | "it" | "ph" | "ut") {
                            code_depth += 1;
                        }
                    }
                    ("header", "prop" | "note" | "ude" | "map") | ("ude", "map") => {}
                    (p, other) => fail!(TmxErrorKind::Unexpected {
                        element: other.to_string(),
                        parent: p.to_string()
                    }),
                }
                stack.push(name);
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                stack.pop();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                match (parent, name.as_str()) {
                    ("tuv", "seg") => tuv_seg = seg.take(),
                    (_, "bpt" | "ept" | "it" | "ph" | "ut") if seg.is_some() => {
                        code_depth = code_depth.saturating_sub(1);
                    }
                    ("tu", "tuv") => {
                        let lang = tuv_lang.take().unwrap_or_default();
                        let Some(text) = tuv_seg.take() else {
                            fail!(TmxErrorKind::NoSeg { lang })
                        };
                        if let Some(u) = tu.as_mut() {
                            u.tuvs.push(Tuv { lang, text });
                        }
                    }
                    ("tu", "prop") => {
                        if let (Some((t, v)), Some(u)) = (prop.take(), tu.as_mut()) {
                            match t.as_str() {
                                "x-context" => u.context = Some(v),
                                "x-approved" => match v.trim() {
                                    "true" | "yes" | "1" => u.approved = Some(true),
                                    "false" | "no" | "0" => u.approved = Some(false),
                                    other => fail!(TmxErrorKind::BadApproved(other.to_string())),
                                },
                                _ => u.props.push((t, v)),
                            }
                        }
                    }
                    ("body", "tu") => {
                        let Some(mut u) = tu.take() else { continue };
                        let Some(h) = header.as_ref() else {
                            fail!(TmxErrorKind::MissingHeader)
                        };
                        let src = u.srclang.clone().unwrap_or_else(|| h.srclang.clone());
                        let pos = if src == "*all*" {
                            (!u.tuvs.is_empty()).then_some(0)
                        } else {
                            u.tuvs
                                .iter()
                                .position(|t| t.lang.eq_ignore_ascii_case(&src))
                        };
                        let Some(pos) = pos else {
                            fail!(TmxErrorKind::NoSourceTuv {
                                index: tu_count,
                                srclang: src
                            })
                        };
                        if u.tuvs.len() < 2 {
                            fail!(TmxErrorKind::NoTargetTuv { index: tu_count });
                        }
                        u.source = pos;
                        units.push(u);
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                let text = match t.unescape() {
                    Ok(s) => s,
                    Err(e) => fail!(TmxErrorKind::Xml(e.to_string())),
                };
                if let Some(s) = seg.as_mut() {
                    if code_depth == 0 {
                        s.push_str(&text);
                    }
                } else if let Some((_, v)) = prop.as_mut() {
                    v.push_str(&text);
                } else if stack.is_empty() && !text.trim().is_empty() {
                    fail!(TmxErrorKind::Xml("text outside the root element".into()));
                }
            }
            Event::CData(c) => {
                let text = String::from_utf8_lossy(&c).into_owned();
                if let Some(s) = seg.as_mut() {
                    if code_depth == 0 {
                        s.push_str(&text);
                    }
                } else if let Some((_, v)) = prop.as_mut() {
                    v.push_str(&text);
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    fail!(TmxErrorKind::UnexpectedEof(open.clone()));
                }
                break;
            }
            Event::Empty(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::Comment(_)
            | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !seen_root {
        fail!(TmxErrorKind::Empty);
    }
    let Some(header) = header else {
        fail!(TmxErrorKind::MissingHeader)
    };
    if !seen_body {
        fail!(TmxErrorKind::MissingBody);
    }
    Ok(TmxDocument { header, units })
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, TmxErrorKind> {
    for a in e.attributes() {
        let a = a.map_err(|err| TmxErrorKind::Xml(err.to_string()))?;
        if a.key.as_ref() == name.as_bytes() {
            let v = a
                .unescape_value()
                .map_err(|err| TmxErrorKind::Xml(err.to_string()))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn read_header(e: &BytesStart<'_>) -> Result<TmxHeader, TmxErrorKind> {
    let get = |n: &str| -> Result<String, TmxErrorKind> {
        attr(e, n)?.ok_or_else(|| TmxErrorKind::MissingAttribute {
            element: "header".into(),
            attribute: n.into(),
        })
    };
    Ok(TmxHeader {
        creationtool: get("creationtool")?,
        creationtoolversion: get("creationtoolversion")?,
        segtype: get("segtype")?,
        o_tmf: get("o-tmf")?,
        adminlang: get("adminlang")?,
        srclang: get("srclang")?,
        datatype: get("datatype")?,
    })
}

/// XML-escapes text and attribute values (`& < > " '`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a TMX 1.4b document.
///
/// # Errors
/// I/O errors of `out`.
pub fn write_tmx<W: Write>(doc: &TmxDocument, out: W) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(out);
    let h = &doc.header;
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, r#"<tmx version="1.4">"#)?;
    writeln!(
        w,
        r#"  <header creationtool="{}" creationtoolversion="{}" segtype="{}" o-tmf="{}" adminlang="{}" srclang="{}" datatype="{}"/>"#,
        escape(&h.creationtool),
        escape(&h.creationtoolversion),
        escape(&h.segtype),
        escape(&h.o_tmf),
        escape(&h.adminlang),
        escape(&h.srclang),
        escape(&h.datatype)
    )?;
    writeln!(w, "  <body>")?;
    for u in &doc.units {
        write!(w, "    <tu")?;
        if let Some(id) = &u.tuid {
            write!(w, r#" tuid="{}""#, escape(id))?;
        }
        if let Some(s) = &u.srclang {
            write!(w, r#" srclang="{}""#, escape(s))?;
        }
        writeln!(w, ">")?;
        if let Some(c) = &u.context {
            writeln!(w, r#"      <prop type="x-context">{}</prop>"#, escape(c))?;
        }
        if let Some(a) = u.approved {
            writeln!(w, r#"      <prop type="x-approved">{a}</prop>"#)?;
        }
        for (t, v) in &u.props {
            writeln!(
                w,
                r#"      <prop type="{}">{}</prop>"#,
                escape(t),
                escape(v)
            )?;
        }
        for t in &u.tuvs {
            writeln!(
                w,
                r#"      <tuv xml:lang="{}"><seg>{}</seg></tuv>"#,
                escape(&t.lang),
                escape(&t.text)
            )?;
        }
        writeln!(w, "    </tu>")?;
    }
    writeln!(w, "  </body>")?;
    writeln!(w, "</tmx>")?;
    w.flush()
}
