//! EPUB 3 output of a localized work (issue 4 §8).
//!
//! [`write_epub`] writes a minimal, valid EPUB 3 (checked with `epubcheck`
//! in the tests) following the W3C EPUB 3.3 specification:
//!
//! * `mimetype` first, stored uncompressed, no extra field (OCF §4.2.2);
//! * `META-INF/container.xml` pointing at `EPUB/package.opf`;
//! * `EPUB/package.opf`: `dc:identifier` (the unique identifier),
//!   `dc:title`, `dc:language`, optional `dc:creator` and `dc:source` (the
//!   original title), `dcterms:modified`; manifest and spine in chapter order;
//! * `EPUB/nav.xhtml`: the navigation document (`epub:type="toc"`);
//! * `EPUB/style.css`: a small style sheet;
//! * `EPUB/ch001.xhtml` …: one XHTML5 content document per chapter, an `h1`
//!   title and one `p` per paragraph, footnotes as `aside
//!   epub:type="footnote"` at the end.
//!
//! # Footnote markers
//!
//! A paragraph may contain `[^id]` (the convention [`crate::adapt`] writes
//! for glosses in footnotes, after Markdown's footnote syntax), where `id`
//! matches `[A-Za-z_][A-Za-z0-9_.-]*` and names one of the chapter's
//! [`EpubChapter::footnotes`]. The writer turns it into
//! `<sup><a epub:type="noteref" href="#id">n</a></sup>`, `n` counting the
//! chapter's footnotes from 1 in order of first reference. Any other `[^…`
//! is ordinary text. A marker naming no footnote of its chapter is an error.
//!
//! All text is escaped; characters not allowed in XML 1.0 (C0 controls but
//! tab and newline, U+FFFE, U+FFFF) are dropped.

use std::collections::HashMap;
use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Package metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpubMeta {
    /// Title in the target language (non-empty).
    pub title: String,
    /// Language of the content, BCP 47 (`en`, `vi`, `zh-Hant-TW`).
    pub language: String,
    /// Author or translator, if any.
    pub creator: Option<String>,
    /// Unique identifier, a URN or URI (`urn:uuid:…`, `urn:qiantang:project:12`).
    pub identifier: String,
    /// Last modification, `YYYY-MM-DDThh:mm:ssZ` in UTC (EPUB 3.3
    /// `dcterms:modified`), passed in (time is read only in `hub::clock`).
    pub modified: String,
    /// The original (Chinese) title, written as `dc:source`.
    pub source_title: Option<String>,
}

/// One chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpubChapter {
    /// Chapter title (the chapter number is used when empty).
    pub title: String,
    /// Paragraphs of text, possibly with `[^id]` footnote markers.
    pub paragraphs: Vec<String>,
    /// Footnotes as `(id, text)`; ids unique in the chapter, matching
    /// `[A-Za-z_][A-Za-z0-9_.-]*` and not starting with `ref-` (reserved for
    /// the back links).
    pub footnotes: Vec<(String, String)>,
}

/// Why an EPUB could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EpubError {
    /// The metadata is not usable (empty title or identifier, a language that
    /// is not BCP 47, a modification time not `YYYY-MM-DDThh:mm:ssZ`).
    #[error("invalid EPUB metadata: {0}")]
    Meta(String),
    /// No chapter given (the spine and the table of contents may not be empty).
    #[error("an EPUB needs at least one chapter")]
    NoChapters,
    /// A footnote id is malformed or used twice in a chapter.
    #[error("chapter {chapter}: invalid or duplicate footnote id {id:?}")]
    FootnoteId {
        /// 1-based chapter position.
        chapter: usize,
        /// The id.
        id: String,
    },
    /// A `[^id]` marker names no footnote of its chapter.
    #[error("chapter {chapter}: marker [^{id}] has no footnote")]
    UnknownFootnote {
        /// 1-based chapter position.
        chapter: usize,
        /// The id.
        id: String,
    },
    /// Writing failed.
    #[error("writing the EPUB: {0}")]
    Io(#[from] std::io::Error),
    /// The ZIP container could not be written.
    #[error("writing the EPUB container: {0}")]
    Zip(#[from] zip::result::ZipError),
}

const CSS: &str = "body { margin: 0 5%; line-height: 1.5; }\n\
h1 { font-size: 1.4em; margin: 1.5em 0 1em; text-align: center; }\n\
p { margin: 0; text-indent: 1.5em; }\n\
sup { line-height: 0; }\n\
aside { font-size: 0.9em; margin-top: 1em; }\n\
aside p { text-indent: 0; }\n\
section.footnotes { border-top: 1px solid #999; margin-top: 2em; }\n";

const CONTAINER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"#;

/// Writes `chapters` as an EPUB 3 to `out` (see the module docs for the
/// layout and the footnote markers). Nothing is validated after writing;
/// errors in the input are found before anything is written, except I/O.
pub fn write_epub<W: Write + Seek>(
    meta: &EpubMeta,
    chapters: &[EpubChapter],
    out: W,
) -> Result<(), EpubError> {
    check_meta(meta)?;
    if chapters.is_empty() {
        return Err(EpubError::NoChapters);
    }
    let docs = chapters
        .iter()
        .enumerate()
        .map(|(i, c)| chapter_doc(meta, i + 1, c))
        .collect::<Result<Vec<String>, EpubError>>()?;

    let mut zip = ZipWriter::new(out);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/epub+zip")?;
    zip.start_file("META-INF/container.xml", deflated)?;
    zip.write_all(CONTAINER.as_bytes())?;
    zip.start_file("EPUB/package.opf", deflated)?;
    zip.write_all(package(meta, chapters.len()).as_bytes())?;
    zip.start_file("EPUB/nav.xhtml", deflated)?;
    zip.write_all(nav(meta, chapters).as_bytes())?;
    zip.start_file("EPUB/style.css", deflated)?;
    zip.write_all(CSS.as_bytes())?;
    for (i, doc) in docs.iter().enumerate() {
        zip.start_file(format!("EPUB/{}", chapter_file(i + 1)), deflated)?;
        zip.write_all(doc.as_bytes())?;
    }
    zip.finish()?;
    Ok(())
}

fn check_meta(m: &EpubMeta) -> Result<(), EpubError> {
    if m.title.trim().is_empty() {
        return Err(EpubError::Meta("empty title".into()));
    }
    if m.identifier.trim().is_empty() {
        return Err(EpubError::Meta("empty identifier".into()));
    }
    if !is_bcp47(&m.language) {
        return Err(EpubError::Meta(format!(
            "language {:?} is not a BCP 47 tag",
            m.language
        )));
    }
    if !is_modified(&m.modified) {
        return Err(EpubError::Meta(format!(
            "modified {:?} is not YYYY-MM-DDThh:mm:ssZ",
            m.modified
        )));
    }
    Ok(())
}

/// BCP 47 syntax, loosely: a 2–3 letter (or 4–8 letter) primary subtag, then
/// subtags of 1–8 letters or digits separated by `-`.
fn is_bcp47(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn is_modified(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn is_id(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn chapter_file(n: usize) -> String {
    format!("ch{n:03}.xhtml")
}

/// Escapes text for XML element content and attribute values, dropping
/// characters XML 1.0 does not allow.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push('\n'),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn head(meta: &EpubMeta, title: &str) -> String {
    let lang = esc(&meta.language);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" xml:lang=\"{lang}\" lang=\"{lang}\">\n\
<head>\n<meta charset=\"UTF-8\"/>\n<title>{}</title>\n\
<link rel=\"stylesheet\" type=\"text/css\" href=\"style.css\"/>\n</head>\n",
        esc(title)
    )
}

fn chapter_title(n: usize, c: &EpubChapter) -> String {
    if c.title.trim().is_empty() {
        n.to_string()
    } else {
        c.title.trim().to_string()
    }
}

fn chapter_doc(meta: &EpubMeta, n: usize, c: &EpubChapter) -> Result<String, EpubError> {
    let mut notes: HashMap<&str, &str> = HashMap::new();
    for (id, text) in &c.footnotes {
        if !is_id(id) || id.starts_with("ref-") || notes.insert(id, text).is_some() {
            return Err(EpubError::FootnoteId {
                chapter: n,
                id: id.clone(),
            });
        }
    }
    let title = chapter_title(n, c);
    let mut doc = head(meta, &title);
    doc.push_str("<body>\n<section epub:type=\"chapter\">\n");
    doc.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    // Footnote ids in order of first reference → number.
    let mut order: Vec<&str> = Vec::new();
    for p in &c.paragraphs {
        doc.push_str("<p>");
        let mut rest = p.as_str();
        while let Some(i) = rest.find("[^") {
            let after = &rest[i + 2..];
            let Some(j) = after.find(']') else {
                break;
            };
            let id = &after[..j];
            if !is_id(id) {
                doc.push_str(&esc(&rest[..i + 2]));
                rest = after;
                continue;
            }
            let Some((&key, _)) = notes.get_key_value(id) else {
                return Err(EpubError::UnknownFootnote {
                    chapter: n,
                    id: id.to_string(),
                });
            };
            doc.push_str(&esc(&rest[..i]));
            let (num, first) = match order.iter().position(|&o| o == key) {
                Some(k) => (k + 1, false),
                None => {
                    order.push(key);
                    (order.len(), true)
                }
            };
            let back = if first {
                format!(" id=\"ref-{}\"", esc(key))
            } else {
                String::new()
            };
            doc.push_str(&format!(
                "<sup><a epub:type=\"noteref\" href=\"#{}\"{back}>{num}</a></sup>",
                esc(key)
            ));
            rest = &after[j + 1..];
        }
        doc.push_str(&esc(rest));
        doc.push_str("</p>\n");
    }
    doc.push_str("</section>\n");
    // Referenced notes first, in reference order, then any never referenced.
    let mut listed: Vec<&str> = order.clone();
    for (id, _) in &c.footnotes {
        if !listed.contains(&id.as_str()) {
            listed.push(id);
        }
    }
    if !listed.is_empty() {
        doc.push_str("<section class=\"footnotes\">\n");
        for (k, id) in listed.iter().enumerate() {
            let text = notes.get(id).copied().unwrap_or_default();
            let label = if k < order.len() {
                format!("<a href=\"#ref-{}\">{}</a> ", esc(id), k + 1)
            } else {
                String::new()
            };
            doc.push_str(&format!(
                "<aside epub:type=\"footnote\" id=\"{}\"><p>{label}{}</p></aside>\n",
                esc(id),
                esc(text)
            ));
        }
        doc.push_str("</section>\n");
    }
    doc.push_str("</body>\n</html>\n");
    Ok(doc)
}

fn package(meta: &EpubMeta, chapters: usize) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"uid\" xml:lang=\"{lang}\">\n\
<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n\
<dc:identifier id=\"uid\">{id}</dc:identifier>\n\
<dc:title>{title}</dc:title>\n\
<dc:language>{lang}</dc:language>\n",
        lang = esc(&meta.language),
        id = esc(meta.identifier.trim()),
        title = esc(meta.title.trim()),
    );
    if let Some(c) = meta.creator.as_deref().filter(|c| !c.trim().is_empty()) {
        s.push_str(&format!("<dc:creator>{}</dc:creator>\n", esc(c.trim())));
    }
    if let Some(t) = meta
        .source_title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        s.push_str(&format!("<dc:source>{}</dc:source>\n", esc(t.trim())));
    }
    s.push_str(&format!(
        "<meta property=\"dcterms:modified\">{}</meta>\n</metadata>\n<manifest>\n\
<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n\
<item id=\"css\" href=\"style.css\" media-type=\"text/css\"/>\n",
        esc(&meta.modified)
    ));
    for n in 1..=chapters {
        s.push_str(&format!(
            "<item id=\"ch{n:03}\" href=\"{}\" media-type=\"application/xhtml+xml\"/>\n",
            chapter_file(n)
        ));
    }
    s.push_str("</manifest>\n<spine>\n");
    for n in 1..=chapters {
        s.push_str(&format!("<itemref idref=\"ch{n:03}\"/>\n"));
    }
    s.push_str("</spine>\n</package>\n");
    s
}

fn nav(meta: &EpubMeta, chapters: &[EpubChapter]) -> String {
    let mut s = head(meta, &meta.title);
    s.push_str(&format!(
        "<body>\n<nav epub:type=\"toc\" id=\"toc\">\n<h1>{}</h1>\n<ol>\n",
        esc(meta.title.trim())
    ));
    for (i, c) in chapters.iter().enumerate() {
        s.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            chapter_file(i + 1),
            esc(&chapter_title(i + 1, c))
        ));
    }
    s.push_str("</ol>\n</nav>\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn syntax_checks() {
        assert!(is_bcp47("en") && is_bcp47("zh-Hant-TW") && is_bcp47("es-419"));
        assert!(!is_bcp47("") && !is_bcp47("e") && !is_bcp47("en_US") && !is_bcp47("en-"));
        assert!(is_modified("2026-11-30T12:00:00Z"));
        assert!(!is_modified("2026-11-30 12:00:00Z") && !is_modified("2026-11-30T12:00:00"));
        assert!(is_id("fn-person.jigong") && !is_id("1a") && !is_id("a b"));
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
