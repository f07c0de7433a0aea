//! XLIFF 2.1 (OASIS Standard, 2018) export and import of a project, for
//! round trips through external CAT tools.
//!
//! Shape written (XLIFF 2.1 §4.2 core elements):
//!
//! ```xml
//! <xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="zh-Hans" trgLang="en">
//!   <file id="c1"><notes><note category="title">第一回 …</note></notes>
//!     <unit id="c1s0">
//!       <notes><note category="comment">…</note></notes>
//!       <segment id="c1s0" state="translated" subState="qiantang:translated">
//!         <source xml:space="preserve">…</source><target xml:space="preserve">…</target>
//!       </segment>
//!     </unit>
//!   </file>
//! </xliff>
//! ```
//!
//! One `<file>` per chapter (`c{chapter}`), one `<unit>` per segment with the
//! stable key `c{chapter}s{ordinal}` ([`crate::model::segment_key`]). The
//! four XLIFF states (§4.3.1.28) lose the draft/new distinction, so the exact
//! Qiantang state travels in `subState` (§4.3.1.29, `prefix:value`). On
//! import, inline codes (§4.1.2: `<ph/>`, `<pc>`, `<sc/>`, `<ec/>`, `<mrk>`)
//! contribute only their text content; notes in a unit become comments.

use std::io::Cursor;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use crate::model::SegmentState;

/// XLIFF 2.0/2.1 core namespace.
pub const XLIFF_NS: &str = "urn:oasis:names:tc:xliff:document:2.0";
/// Prefix of the `subState` values Qiantang writes.
pub const SUBSTATE_PREFIX: &str = "qiantang";

/// A translation unit (one segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XliffUnit {
    /// Segment key (`c3s17`).
    pub key: String,
    /// Source text.
    pub source: String,
    /// Target text, if any.
    pub target: Option<String>,
    /// State: from `subState` when it is ours, else from `state`
    /// (`initial` → draft when a target exists, new otherwise; `translated`,
    /// `reviewed`, `final` → translated, reviewed, approved).
    pub state: SegmentState,
    /// Notes (comments).
    pub notes: Vec<String>,
}

/// A `<file>` (one chapter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XliffFile {
    /// File id (`c1`).
    pub id: String,
    /// Chapter title, kept as a note of category `title`.
    pub title: Option<String>,
    /// Units in order.
    pub units: Vec<XliffUnit>,
}

/// A whole XLIFF document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XliffDoc {
    /// `srcLang` (BCP 47).
    pub src_lang: String,
    /// `trgLang` (BCP 47).
    pub trg_lang: String,
    /// Files.
    pub files: Vec<XliffFile>,
}

/// Errors reading or writing XLIFF; positions are byte offsets in the input.
#[derive(Debug, thiserror::Error)]
pub enum XliffError {
    /// Not well-formed XML.
    #[error("malformed XML at byte {pos}: {message}")]
    Xml {
        /// Byte offset.
        pos: u64,
        /// Parser message.
        message: String,
    },
    /// Well-formed, but not the XLIFF this importer reads.
    #[error("not valid XLIFF 2.x at byte {pos}: {message}")]
    Invalid {
        /// Byte offset.
        pos: u64,
        /// What is wrong.
        message: String,
    },
    /// Writing failed.
    #[error("cannot write XLIFF: {0}")]
    Write(String),
}

fn state_from(state: Option<&str>, sub: Option<&str>, has_target: bool) -> Option<SegmentState> {
    if let Some(v) = sub.and_then(|s| s.strip_prefix(SUBSTATE_PREFIX)?.strip_prefix(':')) {
        if let Some(st) = SegmentState::parse(v) {
            return Some(st);
        }
    }
    Some(match state.unwrap_or("initial") {
        "initial" if has_target => SegmentState::Draft,
        "initial" => SegmentState::New,
        "translated" => SegmentState::Translated,
        "reviewed" => SegmentState::Reviewed,
        "final" => SegmentState::Approved,
        _ => return None,
    })
}

fn w<E: std::fmt::Display>(e: E) -> XliffError {
    XliffError::Write(e.to_string())
}

/// Serializes a document as XLIFF 2.1 (UTF-8, indented).
///
/// Errors: [`XliffError::Write`] only if the XML writer fails (it writes to memory).
pub fn write_xliff(doc: &XliffDoc) -> Result<Vec<u8>, XliffError> {
    let mut wr = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 1);
    wr.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(w)?;
    let mut root = BytesStart::new("xliff");
    root.push_attribute(("xmlns", XLIFF_NS));
    root.push_attribute(("version", "2.1"));
    root.push_attribute(("srcLang", doc.src_lang.as_str()));
    root.push_attribute(("trgLang", doc.trg_lang.as_str()));
    wr.write_event(Event::Start(root)).map_err(w)?;
    for f in &doc.files {
        let mut file = BytesStart::new("file");
        file.push_attribute(("id", f.id.as_str()));
        wr.write_event(Event::Start(file)).map_err(w)?;
        if let Some(t) = &f.title {
            write_notes(&mut wr, std::slice::from_ref(t), "title")?;
        }
        for u in &f.units {
            let mut unit = BytesStart::new("unit");
            unit.push_attribute(("id", u.key.as_str()));
            wr.write_event(Event::Start(unit)).map_err(w)?;
            if !u.notes.is_empty() {
                write_notes(&mut wr, &u.notes, "comment")?;
            }
            let mut seg = BytesStart::new("segment");
            seg.push_attribute(("id", u.key.as_str()));
            seg.push_attribute(("state", u.state.xliff_state()));
            let sub = format!("{SUBSTATE_PREFIX}:{}", u.state.as_str());
            seg.push_attribute(("subState", sub.as_str()));
            wr.write_event(Event::Start(seg)).map_err(w)?;
            text_element(&mut wr, "source", &u.source)?;
            if let Some(t) = &u.target {
                text_element(&mut wr, "target", t)?;
            }
            wr.write_event(Event::End(BytesEnd::new("segment")))
                .map_err(w)?;
            wr.write_event(Event::End(BytesEnd::new("unit")))
                .map_err(w)?;
        }
        wr.write_event(Event::End(BytesEnd::new("file")))
            .map_err(w)?;
    }
    wr.write_event(Event::End(BytesEnd::new("xliff")))
        .map_err(w)?;
    let mut out = wr.into_inner().into_inner();
    out.push(b'\n');
    Ok(out)
}

fn write_notes(
    wr: &mut Writer<Cursor<Vec<u8>>>,
    notes: &[String],
    category: &str,
) -> Result<(), XliffError> {
    wr.write_event(Event::Start(BytesStart::new("notes")))
        .map_err(w)?;
    for n in notes {
        let mut note = BytesStart::new("note");
        note.push_attribute(("category", category));
        wr.write_event(Event::Start(note)).map_err(w)?;
        wr.write_event(Event::Text(BytesText::new(n))).map_err(w)?;
        wr.write_event(Event::End(BytesEnd::new("note")))
            .map_err(w)?;
    }
    wr.write_event(Event::End(BytesEnd::new("notes")))
        .map_err(w)?;
    Ok(())
}

fn text_element(
    wr: &mut Writer<Cursor<Vec<u8>>>,
    name: &str,
    text: &str,
) -> Result<(), XliffError> {
    let mut el = BytesStart::new(name);
    el.push_attribute(("xml:space", "preserve"));
    wr.write_event(Event::Start(el)).map_err(w)?;
    wr.write_event(Event::Text(BytesText::new(text)))
        .map_err(w)?;
    wr.write_event(Event::End(BytesEnd::new(name))).map_err(w)?;
    Ok(())
}

#[derive(Default)]
struct UnitAcc {
    key: String,
    source: Option<String>,
    target: Option<String>,
    state: Option<String>,
    sub: Option<String>,
    notes: Vec<String>,
    segments: usize,
}

/// Which text is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collect {
    None,
    Source,
    Target,
    Note,
}

/// Parses an XLIFF 2.0 or 2.1 document (the subset this module writes, plus
/// inline codes, whose text content is kept). All or nothing: any error
/// returns no units.
///
/// Errors: [`XliffError::Xml`] for malformed XML; [`XliffError::Invalid`] for
/// a wrong root, version or namespace, a missing `srcLang`, a unit without
/// id or source, a unit with several segments (Qiantang segments are
/// sentences: merge or split them in Qiantang), an unknown state, or
/// duplicate unit ids.
pub fn read_xliff(bytes: &[u8]) -> Result<XliffDoc, XliffError> {
    let mut r = Reader::from_reader(bytes);
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut doc: Option<XliffDoc> = None;
    let mut file: Option<XliffFile> = None;
    let mut unit: Option<UnitAcc> = None;
    let mut collect = Collect::None;
    let mut depth_in_collect = 0usize;
    let mut text = String::new();
    let mut note_category: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let pos = r.buffer_position();
        let ev = r.read_event_into(&mut buf).map_err(|e| XliffError::Xml {
            pos: r.error_position(),
            message: e.to_string(),
        })?;
        let invalid = |m: String| XliffError::Invalid { pos, message: m };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(ev, Event::Empty(_));
                let name = e.local_name();
                let name = std::str::from_utf8(name.as_ref()).unwrap_or("").to_string();
                let attr = |k: &str| -> Result<Option<String>, XliffError> {
                    for a in e.attributes() {
                        let a = a.map_err(|er| XliffError::Xml {
                            pos,
                            message: er.to_string(),
                        })?;
                        if a.key.as_ref() == k.as_bytes() {
                            let v = a.unescape_value().map_err(|er| XliffError::Xml {
                                pos,
                                message: er.to_string(),
                            })?;
                            return Ok(Some(v.into_owned()));
                        }
                    }
                    Ok(None)
                };
                if collect != Collect::None {
                    // Inline codes inside source/target/note: keep only their text.
                    if !is_empty {
                        depth_in_collect += 1;
                    }
                    continue;
                }
                match name.as_str() {
                    "xliff" => {
                        let version = attr("version")?.unwrap_or_default();
                        if version != "2.0" && version != "2.1" {
                            return Err(invalid(format!(
                                "version {version:?}: this importer reads XLIFF 2.0 and 2.1 (export from your CAT tool as XLIFF 2)"
                            )));
                        }
                        if attr("xmlns")?.as_deref() != Some(XLIFF_NS) {
                            return Err(invalid(format!(
                                "the root must be in namespace {XLIFF_NS}"
                            )));
                        }
                        let src = attr("srcLang")?
                            .ok_or_else(|| invalid("<xliff> lacks srcLang".into()))?;
                        doc = Some(XliffDoc {
                            src_lang: src,
                            trg_lang: attr("trgLang")?.unwrap_or_default(),
                            files: Vec::new(),
                        });
                    }
                    _ if doc.is_none() => {
                        return Err(invalid(format!("expected <xliff>, found <{name}>")))
                    }
                    "file" => {
                        file = Some(XliffFile {
                            id: attr("id")?.ok_or_else(|| invalid("<file> lacks id".into()))?,
                            title: None,
                            units: Vec::new(),
                        });
                    }
                    "unit" => {
                        let key = attr("id")?.ok_or_else(|| invalid("<unit> lacks id".into()))?;
                        if file.is_none() {
                            return Err(invalid(format!("unit {key} is outside a <file>")));
                        }
                        if !seen.insert(key.clone()) {
                            return Err(invalid(format!("unit id {key} appears twice")));
                        }
                        unit = Some(UnitAcc {
                            key,
                            ..UnitAcc::default()
                        });
                    }
                    "segment" => {
                        let u = unit
                            .as_mut()
                            .ok_or_else(|| invalid("<segment> outside a <unit>".into()))?;
                        u.segments += 1;
                        if u.segments > 1 {
                            return Err(invalid(format!(
                                "unit {} has several segments; Qiantang keeps one sentence per unit",
                                u.key
                            )));
                        }
                        u.state = attr("state")?;
                        u.sub = attr("subState")?;
                    }
                    "source" | "target" if unit.is_some() => {
                        collect = if name == "source" {
                            Collect::Source
                        } else {
                            Collect::Target
                        };
                        text.clear();
                        depth_in_collect = 0;
                        if is_empty {
                            finish_text(collect, &mut unit, &mut file, &note_category, &text);
                            collect = Collect::None;
                        }
                    }
                    "note" => {
                        collect = Collect::Note;
                        note_category = attr("category")?;
                        text.clear();
                        depth_in_collect = 0;
                        if is_empty {
                            collect = Collect::None;
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if collect != Collect::None => {
                let s = t.unescape().map_err(|e| XliffError::Xml {
                    pos,
                    message: e.to_string(),
                })?;
                text.push_str(&s);
            }
            Event::CData(t) if collect != Collect::None => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::End(e) => {
                if collect != Collect::None {
                    if depth_in_collect > 0 {
                        depth_in_collect -= 1;
                        continue;
                    }
                    finish_text(collect, &mut unit, &mut file, &note_category, &text);
                    collect = Collect::None;
                    continue;
                }
                match e.local_name().as_ref() {
                    b"unit" => {
                        if let Some(u) = unit.take() {
                            let source = u.source.ok_or_else(|| {
                                invalid(format!("unit {} has no <source>", u.key))
                            })?;
                            let has_target = u.target.as_deref().is_some_and(|t| !t.is_empty());
                            let state =
                                state_from(u.state.as_deref(), u.sub.as_deref(), has_target)
                                    .ok_or_else(|| {
                                        invalid(format!(
                                            "unit {}: unknown state {:?}",
                                            u.key,
                                            u.state.unwrap_or_default()
                                        ))
                                    })?;
                            if let Some(f) = file.as_mut() {
                                f.units.push(XliffUnit {
                                    key: u.key,
                                    source,
                                    target: u.target,
                                    state,
                                    notes: u.notes,
                                });
                            }
                        }
                    }
                    b"file" => {
                        if let (Some(d), Some(f)) = (doc.as_mut(), file.take()) {
                            d.files.push(f);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    doc.ok_or(XliffError::Invalid {
        pos: 0,
        message: "no <xliff> element".into(),
    })
}

fn finish_text(
    collect: Collect,
    unit: &mut Option<UnitAcc>,
    file: &mut Option<XliffFile>,
    category: &Option<String>,
    text: &str,
) {
    match (collect, unit.as_mut()) {
        (Collect::Source, Some(u)) => u.source = Some(text.to_string()),
        (Collect::Target, Some(u)) => u.target = Some(text.to_string()),
        (Collect::Note, Some(u)) => u.notes.push(text.to_string()),
        (Collect::Note, None) => {
            if let Some(f) = file.as_mut() {
                if category.as_deref() == Some("title") {
                    f.title = Some(text.to_string());
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn doc() -> XliffDoc {
        XliffDoc {
            src_lang: "zh-Hans".into(),
            trg_lang: "en".into(),
            files: vec![XliffFile {
                id: "c1".into(),
                title: Some("第一回 <济公> & 灵隐寺".into()),
                units: vec![
                    XliffUnit {
                        key: "c1s0".into(),
                        source: "他说：“走吧。”".into(),
                        target: Some("He said: \"Let's go.\" <b>&amp;</b>".into()),
                        state: SegmentState::Translated,
                        notes: vec!["check the quote".into()],
                    },
                    XliffUnit {
                        key: "c1s1".into(),
                        source: "  西湖。".into(),
                        target: Some("West Lake.".into()),
                        state: SegmentState::Draft,
                        notes: vec![],
                    },
                    XliffUnit {
                        key: "c1s2".into(),
                        source: "灵隐寺".into(),
                        target: None,
                        state: SegmentState::New,
                        notes: vec![],
                    },
                    XliffUnit {
                        key: "c1s3".into(),
                        source: "济公".into(),
                        target: Some("Jigong".into()),
                        state: SegmentState::Approved,
                        notes: vec!["a".into(), "b".into()],
                    },
                ],
            }],
        }
    }

    #[test]
    fn round_trip_keeps_ids_states_notes_and_whitespace() {
        let d = doc();
        let bytes = write_xliff(&d).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(r#"state="final" subState="qiantang:approved""#),
            "{text}"
        );
        assert_eq!(read_xliff(&bytes).unwrap(), d);
    }

    #[test]
    fn plain_xliff_states_and_inline_codes_from_other_tools() {
        let x = r#"<?xml version="1.0"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="zh-CN" trgLang="vi">
 <file id="f1">
  <unit id="c2s0"><segment state="reviewed"><source>济公<ph id="1"/>来了</source>
   <target>Tế Công <pc id="2">đã</pc> đến</target></segment></unit>
  <unit id="c2s1"><segment><source>西湖</source><target>Tây Hồ</target></segment></unit>
  <unit id="c2s2"><segment><source>西湖</source></segment></unit>
 </file>
</xliff>"#;
        let d = read_xliff(x.as_bytes()).unwrap();
        let u = &d.files[0].units;
        assert_eq!(u[0].source, "济公来了");
        assert_eq!(u[0].target.as_deref(), Some("Tế Công đã đến"));
        assert_eq!(u[0].state, SegmentState::Reviewed);
        assert_eq!(u[1].state, SegmentState::Draft, "initial with a target");
        assert_eq!(u[2].state, SegmentState::New);
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            ("<xliff", "malformed"),
            (
                r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"/>"#,
                "2.0 and 2.1",
            ),
            (r#"<xliff version="2.1" srcLang="zh"/>"#, "namespace"),
            (
                r#"<xliff version="2.1" xmlns="urn:oasis:names:tc:xliff:document:2.0"/>"#,
                "srcLang",
            ),
            (
                r#"<xliff version="2.1" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="zh"><file id="a"><unit id="u"><segment><target>x</target></segment></unit></file></xliff>"#,
                "no <source>",
            ),
            (
                r#"<xliff version="2.1" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="zh"><file id="a"><unit id="u"><segment><source>a</source></segment><segment><source>b</source></segment></unit></file></xliff>"#,
                "several segments",
            ),
            (
                r#"<xliff version="2.1" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="zh"><file id="a"><unit id="u"><segment><source>a</source></segment></unit><unit id="u"><segment><source>b</source></segment></unit></file></xliff>"#,
                "twice",
            ),
            (
                r#"<xliff version="2.1" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="zh"><file id="a"><unit id="u"><segment state="done"><source>a</source></segment></unit></file></xliff>"#,
                "unknown state",
            ),
            ("<html/>", "expected <xliff>"),
            ("", "no <xliff>"),
        ];
        for (x, want) in cases {
            let e = read_xliff(x.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(want), "{x}: {e}");
        }
    }
}
