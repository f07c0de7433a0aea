//! Plain text from an (X)HTML content document.
//!
//! Rules: only `<body>` content is read; `script`, `style`, `head`,
//! `template`, `svg`, `math`, ruby annotations (`rt`, `rp`) and the
//! non-fallback branches of `epub:switch` (`case`) are skipped; block
//! elements (`p`, `div`, `h1`–`h6`, `li`, `br`, `tr`, …) end a paragraph;
//! runs of XML whitespace collapse to one space, and a collapsed line break
//! between two CJK characters is dropped (it is only source formatting).
//! Character references and the HTML5 named entities are decoded.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Text extracted from one content document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Paragraphs in document order, trimmed, none empty.
    pub paragraphs: Vec<String>,
    /// Text of the first `h1`/`h2` in the body, if any.
    pub first_heading: Option<String>,
    /// Text of `head/title`, if any.
    pub head_title: Option<String>,
}

const SKIP: &[&[u8]] = &[
    b"script",
    b"style",
    b"head",
    b"template",
    b"svg",
    b"math",
    b"rt",
    b"rp",
    b"case",
    b"noscript",
];

const BLOCK: &[&[u8]] = &[
    b"p",
    b"div",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"li",
    b"br",
    b"tr",
    b"td",
    b"th",
    b"blockquote",
    b"section",
    b"article",
    b"aside",
    b"header",
    b"footer",
    b"nav",
    b"main",
    b"figure",
    b"figcaption",
    b"pre",
    b"hr",
    b"ul",
    b"ol",
    b"dl",
    b"dt",
    b"dd",
    b"table",
    b"address",
    b"body",
    b"caption",
    b"hgroup",
    b"details",
    b"summary",
];

/// Whether `c` is a CJK character for the line-break rule.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{303F}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{2FFFF}')
}

/// Resolve a named entity: the XML five plus HTML5's.
pub fn resolve_entity(name: &str) -> Option<&'static str> {
    quick_xml::escape::resolve_html5_entity(name)
}

struct Builder {
    paragraphs: Vec<String>,
    cur: String,
    /// Pending collapsed whitespace; `true` when it contained a line break.
    pending: Option<bool>,
}

impl Builder {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                let nl = matches!(c, '\n' | '\r');
                self.pending = Some(self.pending.unwrap_or(false) || nl);
                continue;
            }
            if let Some(nl) = self.pending.take() {
                let prev_cjk = self.cur.chars().next_back().is_some_and(is_cjk);
                if !(self.cur.is_empty() || (nl && prev_cjk && is_cjk(c))) {
                    self.cur.push(' ');
                }
            }
            self.cur.push(c);
        }
    }

    fn brk(&mut self) {
        self.pending = None;
        let t = self.cur.trim();
        if !t.is_empty() {
            self.paragraphs.push(t.to_owned());
        }
        self.cur.clear();
    }
}

fn local(name: &[u8]) -> Vec<u8> {
    let l = match name.iter().rposition(|&b| b == b':') {
        Some(i) => name.get(i + 1..).unwrap_or_default(),
        None => name,
    };
    l.to_ascii_lowercase()
}

/// Extract text from `doc`. Errors carry quick-xml's message and byte position.
pub fn extract(doc: &str) -> Result<Extracted, String> {
    let mut reader = Reader::from_str(doc);
    reader.config_mut().check_end_names = false;
    let mut b = Builder {
        paragraphs: Vec::new(),
        cur: String::new(),
        pending: None,
    };
    let mut in_body = false;
    let mut skip_depth = 0usize;
    // Capture of the first h1/h2 and head title.
    let mut heading: Option<(Vec<u8>, String)> = None;
    let mut first_heading: Option<String> = None;
    let mut in_title = false;
    let mut head_title = String::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match ev {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if name == b"body" {
                    in_body = true;
                }
                if name == b"title" && !in_body {
                    in_title = true;
                }
                if skip_depth > 0 || SKIP.contains(&name.as_slice()) {
                    skip_depth += 1;
                    continue;
                }
                if in_body && BLOCK.contains(&name.as_slice()) {
                    b.brk();
                }
                if first_heading.is_none()
                    && heading.is_none()
                    && in_body
                    && (name == b"h1" || name == b"h2")
                {
                    heading = Some((name, String::new()));
                }
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                if skip_depth == 0 && in_body && BLOCK.contains(&name.as_slice()) {
                    b.brk();
                }
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                if name == b"title" {
                    in_title = false;
                }
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                if in_body && BLOCK.contains(&name.as_slice()) {
                    b.brk();
                }
                if heading.as_ref().is_some_and(|(n, _)| *n == name) {
                    if let Some((_, t)) = heading.take() {
                        let t = collapse(&t);
                        if !t.is_empty() {
                            first_heading = Some(t);
                        }
                    }
                }
                if name == b"body" {
                    in_body = false;
                }
            }
            Event::Text(t) => {
                let s = match t.unescape_with(resolve_entity) {
                    Ok(s) => s.into_owned(),
                    Err(_) => String::from_utf8_lossy(&t).into_owned(),
                };
                if in_title {
                    head_title.push_str(&s);
                }
                if skip_depth > 0 || !in_body {
                    continue;
                }
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&s);
                }
                b.text(&s);
            }
            Event::CData(t) if skip_depth == 0 && in_body => {
                let s = String::from_utf8_lossy(&t).into_owned();
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&s);
                }
                b.text(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    b.brk();
    let head_title = collapse(&head_title);
    Ok(Extracted {
        paragraphs: b.paragraphs,
        first_heading,
        head_title: (!head_title.is_empty()).then_some(head_title),
    })
}

/// Collapse whitespace runs to single spaces and trim.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn blocks_entities_and_cjk_breaks() {
        let doc = r#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title><style>p{}</style></head>
<body><h2>第一章 <em>开始</em></h2><p>　　他说：&ldquo;你好&rdquo;，
然后走了&#12290;</p><p>a&nbsp;b <b>c</b>
d</p><script>var x;</script><p><ruby>汉<rt>hàn</rt></ruby>字</p><p>line<br/>two</p></body></html>"#;
        let e = extract(doc).unwrap();
        assert_eq!(e.first_heading.as_deref(), Some("第一章 开始"));
        assert_eq!(e.head_title.as_deref(), Some("T"));
        assert_eq!(
            e.paragraphs,
            vec![
                "第一章 开始",
                "他说：“你好”，然后走了。",
                "a\u{a0}b c d",
                "汉字",
                "line",
                "two"
            ]
        );
    }
}
