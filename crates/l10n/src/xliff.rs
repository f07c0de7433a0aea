//! XLIFF 2.1 (OASIS Standard, 2018) export and import of a project.
//!
//! # Shape written
//!
//! ```xml
//! <xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="zh-Hans" trgLang="en">
//!   <file id="ch1">
//!     <unit id="c1s0">
//!       <notes><note>comment</note></notes>
//!       <segment state="initial" subState="qiantang:draft">
//!         <source xml:space="preserve">话说…</source>
//!         <target xml:space="preserve">It is said…</target>
//!       </segment>
//!     </unit>
//!   </file>
//! </xliff>
//! ```
//!
//! One `<file id="ch{chapter}">` per chapter, one `<unit>` per segment with
//! the stable key of [`segment_key`], `state` from
//! [`SegmentState::xliff_state`] (§4.3.1.28 allows only four values) and the
//! exact state in `subState` (§4.3.1.29: a `prefix:value` string; we use the
//! prefix `qiantang`). Notes come before the segment as §4.2.2.9 requires.
//!
//! # Import
//!
//! [`read_xliff`] checks the languages against the project, that every unit
//! id is a segment of the project and that the `<source>` still equals the
//! project's source; a unit whose source differs is **not** accepted and is
//! listed in [`XliffImport::rejected`] (the translator worked on old text).
//! The state is read from `subState` when it has our prefix, else mapped from
//! `state` (`initial` → draft with a target, new without). Text in inline
//! elements (`<pc>`, `<mrk>`) is kept; `<ph>`, `<sc>`, `<ec>` (codes) are
//! dropped.

use crate::model::{parse_segment_key, segment_key, SegmentState};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{BufRead, Write};

/// The XLIFF 2.x core namespace.
pub const XLIFF_NS: &str = "urn:oasis:names:tc:xliff:document:2.0";
/// Prefix of our `subState` values.
pub const SUBSTATE_PREFIX: &str = "qiantang";

/// One segment to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XliffUnit {
    /// Chapter number.
    pub chapter: u32,
    /// Position in the chapter.
    pub ordinal: u32,
    /// Source text.
    pub source: String,
    /// Target text, if any.
    pub target: Option<String>,
    /// State.
    pub state: SegmentState,
    /// Comments, oldest first.
    pub notes: Vec<String>,
}

impl XliffUnit {
    /// `c{chapter}s{ordinal}`.
    pub fn key(&self) -> String {
        segment_key(self.chapter, self.ordinal)
    }
}

/// Writes a project as XLIFF 2.1. Units are grouped into `<file>`s by
/// chapter in the order given (give them in chapter, ordinal order).
///
/// # Errors
/// I/O errors of `out`.
pub fn write_xliff<W: Write>(
    src_lang: &str,
    trg_lang: &str,
    units: &[XliffUnit],
    out: W,
) -> std::io::Result<()> {
    use crate::tmx::escape;
    let mut w = std::io::BufWriter::new(out);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<xliff xmlns="{XLIFF_NS}" version="2.1" srcLang="{}" trgLang="{}">"#,
        escape(src_lang),
        escape(trg_lang)
    )?;
    let mut open: Option<u32> = None;
    for u in units {
        if open != Some(u.chapter) {
            if open.is_some() {
                writeln!(w, "  </file>")?;
            }
            writeln!(w, r#"  <file id="ch{}">"#, u.chapter)?;
            open = Some(u.chapter);
        }
        writeln!(w, r#"    <unit id="{}">"#, u.key())?;
        if !u.notes.is_empty() {
            writeln!(w, "      <notes>")?;
            for n in &u.notes {
                writeln!(w, "        <note>{}</note>", escape(n))?;
            }
            writeln!(w, "      </notes>")?;
        }
        writeln!(
            w,
            r#"      <segment state="{}" subState="{SUBSTATE_PREFIX}:{}">"#,
            u.state.xliff_state(),
            u.state.as_str()
        )?;
        writeln!(
            w,
            r#"        <source xml:space="preserve">{}</source>"#,
            escape(&u.source)
        )?;
        if let Some(t) = &u.target {
            writeln!(
                w,
                r#"        <target xml:space="preserve">{}</target>"#,
                escape(t)
            )?;
        }
        writeln!(w, "      </segment>")?;
        writeln!(w, "    </unit>")?;
    }
    if open.is_some() {
        writeln!(w, "  </file>")?;
    }
    writeln!(w, "</xliff>")?;
    w.flush()
}

/// One imported unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedUnit {
    /// Segment key (`c3s17`).
    pub key: String,
    /// Chapter and ordinal parsed from the key.
    pub chapter: u32,
    /// Ordinal.
    pub ordinal: u32,
    /// Target (`None` when the unit has none).
    pub target: Option<String>,
    /// State (see the module docs).
    pub state: SegmentState,
    /// Notes in file order.
    pub notes: Vec<String>,
}

/// A unit not accepted because its source differs from the project's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Segment key.
    pub key: String,
    /// The project's source.
    pub expected: String,
    /// The file's source.
    pub found: String,
}

/// Result of [`read_xliff`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XliffImport {
    /// Accepted units in file order.
    pub units: Vec<ImportedUnit>,
    /// Units whose source text changed (not accepted).
    pub rejected: Vec<Rejected>,
}

/// What went wrong in an XLIFF file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XliffErrorKind {
    /// Not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// Root is not `<xliff>` in the XLIFF 2 namespace, or the version is not 2.x.
    #[error("not an XLIFF 2.1 document: {0}")]
    NotXliff(String),
    /// `srcLang`/`trgLang` differ from the project's.
    #[error("language mismatch: file has {attr}={found:?}, project has {expected:?}")]
    Language {
        /// `srcLang` or `trgLang`.
        attr: String,
        /// In the file.
        found: String,
        /// In the project.
        expected: String,
    },
    /// A unit id that is no segment key of the project.
    #[error("unknown unit id {0:?}: not a segment of this project")]
    UnknownUnit(String),
    /// The same unit twice.
    #[error("unit {0:?} appears twice")]
    Duplicate(String),
    /// A required attribute is missing.
    #[error("<{element}> lacks the required attribute {attribute}")]
    MissingAttribute {
        /// Element.
        element: String,
        /// Attribute.
        attribute: String,
    },
    /// A `state` or `subState` value we do not know.
    #[error("unknown state {0:?}")]
    State(String),
    /// A segment without `<source>`.
    #[error("unit {0:?} has no <source>")]
    NoSource(String),
    /// The file ended inside an element.
    #[error("unexpected end of file inside <{0}>")]
    UnexpectedEof(String),
}

/// An XLIFF error with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XLIFF error at byte {position}: {kind}")]
pub struct XliffError {
    /// Byte offset after the last event read.
    pub position: u64,
    /// What went wrong.
    pub kind: XliffErrorKind,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, XliffErrorKind> {
    for a in e.attributes() {
        let a = a.map_err(|err| XliffErrorKind::Xml(err.to_string()))?;
        if a.key.as_ref() == name.as_bytes() {
            let v = a
                .unescape_value()
                .map_err(|err| XliffErrorKind::Xml(err.to_string()))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn parse_state(
    state: Option<&str>,
    sub: Option<&str>,
    has_target: bool,
) -> Result<SegmentState, XliffErrorKind> {
    if let Some(v) = sub
        .and_then(|s| s.strip_prefix(SUBSTATE_PREFIX))
        .and_then(|s| s.strip_prefix(':'))
    {
        return SegmentState::parse(v)
            .ok_or_else(|| XliffErrorKind::State(format!("{SUBSTATE_PREFIX}:{v}")));
    }
    Ok(match state.unwrap_or("initial") {
        "initial" if has_target => SegmentState::Draft,
        "initial" => SegmentState::New,
        "translated" => SegmentState::Translated,
        "reviewed" => SegmentState::Reviewed,
        "final" => SegmentState::Approved,
        other => return Err(XliffErrorKind::State(other.to_string())),
    })
}

/// Reads an XLIFF 2.1 file for a project with languages `src_lang` →
/// `trg_lang` (compared case-insensitively) whose segments are `sources`
/// (key → source text). All or nothing on errors; see the module docs.
///
/// # Errors
/// [`XliffError`] for malformed XML, a non-XLIFF-2 root, wrong languages,
/// unknown or duplicate unit ids, missing attributes, unknown states and a
/// segment without source.
pub fn read_xliff<R: BufRead>(
    input: R,
    src_lang: &str,
    trg_lang: &str,
    sources: &HashMap<String, String>,
) -> Result<XliffImport, XliffError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    reader.config_mut().expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut out = XliffImport::default();
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut unit: Option<String> = None;
    let mut notes: Vec<String> = Vec::new();
    let mut note: Option<String> = None;
    let mut state: (Option<String>, Option<String>) = (None, None);
    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut text: Option<String> = None; // collecting source/target
    let mut code_depth = 0usize;
    let mut root_ok = false;

    macro_rules! fail {
        ($kind:expr) => {{
            return Err(XliffError {
                position: reader.buffer_position() as u64,
                kind: $kind,
            });
        }};
    }
    macro_rules! need {
        ($e:expr, $el:expr, $at:expr) => {
            match attr($e, $at) {
                Ok(Some(v)) => v,
                Ok(None) => fail!(XliffErrorKind::MissingAttribute {
                    element: $el.into(),
                    attribute: $at.into()
                }),
                Err(k) => fail!(k),
            }
        };
    }

    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => fail!(XliffErrorKind::Xml(e.to_string())),
        };
        match ev {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.is_empty() {
                    if name != "xliff" {
                        fail!(XliffErrorKind::NotXliff(format!(
                            "root element is <{name}>"
                        )));
                    }
                    let ns = match attr(&e, "xmlns") {
                        Ok(v) => v,
                        Err(k) => fail!(k),
                    };
                    if ns.as_deref() != Some(XLIFF_NS) {
                        fail!(XliffErrorKind::NotXliff(format!("namespace {ns:?}")));
                    }
                    let version = need!(&e, "xliff", "version");
                    if !version.starts_with("2.") {
                        fail!(XliffErrorKind::NotXliff(format!("version {version}")));
                    }
                    for (a, expected) in [("srcLang", src_lang), ("trgLang", trg_lang)] {
                        let found = need!(&e, "xliff", a);
                        if !found.eq_ignore_ascii_case(expected) {
                            fail!(XliffErrorKind::Language {
                                attr: a.into(),
                                found,
                                expected: expected.into()
                            });
                        }
                    }
                    root_ok = true;
                }
                match name.as_str() {
                    "unit" => {
                        let id = need!(&e, "unit", "id");
                        if !sources.contains_key(&id) || parse_segment_key(&id).is_none() {
                            fail!(XliffErrorKind::UnknownUnit(id));
                        }
                        if !seen.insert(id.clone()) {
                            fail!(XliffErrorKind::Duplicate(id));
                        }
                        unit = Some(id);
                        notes.clear();
                        source = None;
                        target = None;
                        state = (None, None);
                    }
                    "note" if unit.is_some() => note = Some(String::new()),
                    "segment" => match (attr(&e, "state"), attr(&e, "subState")) {
                        (Ok(a), Ok(b)) => state = (a, b),
                        (Err(k), _) | (_, Err(k)) => fail!(k),
                    },
                    "source" | "target" if unit.is_some() => text = Some(String::new()),
                    "ph" | "sc" | "ec" if text.is_some() => code_depth += 1,
                    _ => {}
                }
                stack.push(name);
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.pop();
                match name.as_str() {
                    "note" => {
                        if let Some(n) = note.take() {
                            notes.push(n);
                        }
                    }
                    "source" => source = text.take(),
                    "target" => target = text.take(),
                    "ph" | "sc" | "ec" if text.is_some() => {
                        code_depth = code_depth.saturating_sub(1)
                    }
                    "unit" => {
                        let Some(key) = unit.take() else { continue };
                        let Some(found) = source.take() else {
                            fail!(XliffErrorKind::NoSource(key))
                        };
                        let expected = sources.get(&key).cloned().unwrap_or_default();
                        if found != expected {
                            out.rejected.push(Rejected {
                                key,
                                expected,
                                found,
                            });
                            continue;
                        }
                        let st = match parse_state(
                            state.0.as_deref(),
                            state.1.as_deref(),
                            target.is_some(),
                        ) {
                            Ok(s) => s,
                            Err(k) => fail!(k),
                        };
                        let (chapter, ordinal) = parse_segment_key(&key).unwrap_or((0, 0));
                        out.units.push(ImportedUnit {
                            key,
                            chapter,
                            ordinal,
                            target: target.take(),
                            state: st,
                            notes: std::mem::take(&mut notes),
                        });
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                let s = match t.unescape() {
                    Ok(s) => s,
                    Err(e) => fail!(XliffErrorKind::Xml(e.to_string())),
                };
                if let Some(x) = text.as_mut() {
                    if code_depth == 0 {
                        x.push_str(&s);
                    }
                } else if let Some(n) = note.as_mut() {
                    n.push_str(&s);
                }
            }
            Event::CData(c) => {
                let s = String::from_utf8_lossy(&c).into_owned();
                if let Some(x) = text.as_mut() {
                    x.push_str(&s);
                } else if let Some(n) = note.as_mut() {
                    n.push_str(&s);
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    fail!(XliffErrorKind::UnexpectedEof(open.clone()));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    if !root_ok {
        fail!(XliffErrorKind::NotXliff("no <xliff> element".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::io::Cursor;

    fn project() -> Vec<XliffUnit> {
        let mut units = Vec::new();
        for (i, st) in SegmentState::ALL.into_iter().enumerate() {
            units.push(XliffUnit {
                chapter: 1 + (i as u32 / 3),
                ordinal: i as u32 % 3,
                source: format!("第{i}句 <b> & “引号”。"),
                target: (st != SegmentState::New).then(|| format!("Sentence {i} <b> & \"quote\".")),
                state: st,
                notes: if i % 2 == 0 {
                    vec![format!("note {i} & <more>"), "second".into()]
                } else {
                    vec![]
                },
            });
        }
        units
    }

    fn sources(units: &[XliffUnit]) -> HashMap<String, String> {
        units.iter().map(|u| (u.key(), u.source.clone())).collect()
    }

    #[test]
    fn round_trip_keeps_ids_states_and_notes() {
        let units = project();
        let mut buf = Vec::new();
        write_xliff("zh-Hans", "en", &units, &mut buf).unwrap();
        let xml = String::from_utf8(buf.clone()).unwrap();
        assert!(xml.contains(r#"<file id="ch1">"#) && xml.contains(r#"<file id="ch2">"#));
        assert!(xml.contains(r#"state="initial" subState="qiantang:draft""#));
        let back = read_xliff(Cursor::new(&buf), "zh-hans", "EN", &sources(&units)).unwrap();
        assert!(back.rejected.is_empty());
        assert_eq!(back.units.len(), units.len());
        for (a, b) in back.units.iter().zip(&units) {
            assert_eq!(a.key, b.key());
            assert_eq!(a.state, b.state);
            assert_eq!(a.target, b.target);
            assert_eq!(a.notes, b.notes);
        }
    }

    #[test]
    fn errors_and_rejections() {
        let units = project();
        let mut buf = Vec::new();
        write_xliff("zh-Hans", "en", &units, &mut buf).unwrap();
        let xml = String::from_utf8(buf).unwrap();
        let src = sources(&units);
        let err = |x: &str, s: &str, t: &str, m: &HashMap<String, String>| {
            read_xliff(Cursor::new(x.as_bytes()), s, t, m)
                .unwrap_err()
                .kind
        };
        assert!(
            matches!(err(&xml, "zh-Hans", "vi", &src), XliffErrorKind::Language { attr, .. } if attr == "trgLang")
        );
        let mut fewer = src.clone();
        fewer.remove("c1s1");
        assert_eq!(
            err(&xml, "zh-Hans", "en", &fewer),
            XliffErrorKind::UnknownUnit("c1s1".into())
        );
        assert!(matches!(
            err(&xml[..xml.len() - 20], "zh-Hans", "en", &src),
            XliffErrorKind::UnexpectedEof(_) | XliffErrorKind::Xml(_)
        ));
        assert!(matches!(
            err("<xliff version=\"2.1\"/>", "zh-Hans", "en", &src),
            XliffErrorKind::NotXliff(_)
        ));
        assert!(matches!(
            err(
                &xml.replace("</source>", "</target>"),
                "zh-Hans",
                "en",
                &src
            ),
            XliffErrorKind::Xml(_)
        ));
        assert!(matches!(
            err(
                &xml.replace("qiantang:draft", "qiantang:bogus"),
                "zh-Hans",
                "en",
                &src
            ),
            XliffErrorKind::State(_)
        ));
        // The project's source changed: the unit is reported, not accepted.
        let mut changed = src.clone();
        changed.insert("c1s2".into(), "新的原文。".into());
        let r = read_xliff(Cursor::new(xml.as_bytes()), "zh-Hans", "en", &changed).unwrap();
        assert_eq!(r.units.len(), units.len() - 1);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].key, "c1s2");
        assert_eq!(r.rejected[0].expected, "新的原文。");
        // Foreign tools: plain states map to ours.
        let foreign = xml
            .replace(" subState=\"qiantang:translated\"", "")
            .replace(" subState=\"qiantang:draft\"", "");
        let r = read_xliff(Cursor::new(foreign.as_bytes()), "zh-Hans", "en", &src).unwrap();
        assert_eq!(r.units[1].state, SegmentState::Draft);
        assert_eq!(r.units[2].state, SegmentState::Translated);
    }
}
