//! EPUB 3 output of a localized work (W3C EPUB 3.3).
//!
//! Layout of the container written by [`write_epub`]:
//!
//! ```text
//! mimetype                     "application/epub+zip", first, stored (§ OCF 4.3)
//! META-INF/container.xml       → OEBPS/package.opf
//! OEBPS/package.opf            EPUB 3 package: dc:identifier, dc:title, dc:language,
//!                              dc:creator, meta dcterms:modified; manifest; spine
//! OEBPS/nav.xhtml              navigation document (toc nav)
//! OEBPS/style.css
//! OEBPS/chapter-001.xhtml …    XHTML content documents, one per chapter
//! ```
//!
//! Footnotes are EPUB 3 structural semantics: the marker in the text is
//! `<a epub:type="noteref" href="#id">n</a>` and the note an
//! `<aside epub:type="footnote" id="id">` at the end of the chapter. A
//! paragraph refers to a note by containing the placeholder `[[note:ID]]`,
//! which is replaced by the numbered marker. The modification time is passed
//! in (no clock here) and must be `YYYY-MM-DDThh:mm:ssZ` as the package
//! vocabulary requires.

use crate::tmx::escape;
use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Book metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpubMeta {
    /// Title.
    pub title: String,
    /// Language, BCP 47 (`en`, `vi`, `zh-Hant-TW`).
    pub language: String,
    /// Author or translator credit.
    pub creator: String,
    /// Unique identifier: `urn:uuid:…` or `urn:qiantang:project:N`.
    pub identifier: String,
    /// Last modification, UTC, `YYYY-MM-DDThh:mm:ssZ`.
    pub modified: String,
}

/// One chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpubChapter {
    /// Heading and table-of-contents entry.
    pub title: String,
    /// Paragraph texts (plain text; `[[note:ID]]` places a footnote marker).
    pub paragraphs: Vec<String>,
    /// Footnotes `(id, text)`; ids must be XML names unique in the chapter.
    pub footnotes: Vec<(String, String)>,
}

/// An EPUB that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum EpubError {
    /// Bad metadata (empty title, bad `modified`, empty identifier…).
    #[error("invalid EPUB metadata: {0}")]
    Meta(String),
    /// A footnote id that is not a simple XML name or is duplicated.
    #[error("chapter {chapter}: invalid or duplicate footnote id {id:?}")]
    FootnoteId {
        /// 1-based chapter.
        chapter: usize,
        /// The id.
        id: String,
    },
    /// Zip error.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// I/O error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

fn valid_modified(s: &str) -> bool {
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

fn valid_id(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Writes the EPUB to `out` (see the module docs).
///
/// # Errors
/// [`EpubError`] for bad metadata or footnote ids, zip and I/O errors.
pub fn write_epub<W: Write + Seek>(
    meta: &EpubMeta,
    chapters: &[EpubChapter],
    out: W,
) -> Result<(), EpubError> {
    if meta.title.trim().is_empty()
        || meta.identifier.trim().is_empty()
        || meta.language.trim().is_empty()
    {
        return Err(EpubError::Meta(
            "title, identifier and language are required".into(),
        ));
    }
    if !valid_modified(&meta.modified) {
        return Err(EpubError::Meta(format!(
            "modified must be YYYY-MM-DDThh:mm:ssZ, not {:?}",
            meta.modified
        )));
    }
    let mut zip = ZipWriter::new(out);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/epub+zip")?;
    zip.start_file("META-INF/container.xml", deflated)?;
    zip.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"#,
    )?;
    let lang = escape(&meta.language);
    let mut manifest = String::new();
    let mut spine = String::new();
    let mut toc = String::new();
    for (i, ch) in chapters.iter().enumerate() {
        let n = i + 1;
        let name = format!("chapter-{n:03}.xhtml");
        manifest.push_str(&format!(
            "    <item id=\"ch{n}\" href=\"{name}\" media-type=\"application/xhtml+xml\"/>\n"
        ));
        spine.push_str(&format!("    <itemref idref=\"ch{n}\"/>\n"));
        toc.push_str(&format!(
            "      <li><a href=\"{name}\">{}</a></li>\n",
            escape(&ch.title)
        ));
        let mut seen = std::collections::HashSet::new();
        for (id, _) in &ch.footnotes {
            if !valid_id(id) || !seen.insert(id.as_str()) {
                return Err(EpubError::FootnoteId {
                    chapter: n,
                    id: id.clone(),
                });
            }
        }
        zip.start_file(format!("OEBPS/{name}"), deflated)?;
        zip.write_all(chapter_xhtml(&lang, ch).as_bytes())?;
    }
    zip.start_file("OEBPS/nav.xhtml", deflated)?;
    zip.write_all(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{lang}" lang="{lang}">
<head><meta charset="utf-8"/><title>{title}</title><link rel="stylesheet" type="text/css" href="style.css"/></head>
<body>
  <nav epub:type="toc" id="toc">
    <h1>{title}</h1>
    <ol>
{toc}    </ol>
  </nav>
</body>
</html>
"#,
            title = escape(&meta.title)
        )
        .as_bytes(),
    )?;
    zip.start_file("OEBPS/style.css", deflated)?;
    zip.write_all(
        b"body { margin: 0 5%; line-height: 1.6; }\nh1 { font-size: 1.4em; text-align: center; }\np { text-indent: 2em; margin: 0.3em 0; }\naside.footnote { font-size: 0.85em; border-top: 1px solid #999; margin-top: 1em; }\na.noteref { vertical-align: super; font-size: 0.75em; text-decoration: none; }\n",
    )?;
    zip.start_file("OEBPS/package.opf", deflated)?;
    zip.write_all(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="pub-id" xml:lang="{lang}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="pub-id">{id}</dc:identifier>
    <dc:title>{title}</dc:title>
    <dc:language>{lang}</dc:language>
    <dc:creator>{creator}</dc:creator>
    <meta property="dcterms:modified">{modified}</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="css" href="style.css" media-type="text/css"/>
{manifest}  </manifest>
  <spine>
{spine}  </spine>
</package>
"#,
            id = escape(&meta.identifier),
            title = escape(&meta.title),
            creator = escape(&meta.creator),
            modified = meta.modified,
        )
        .as_bytes(),
    )?;
    zip.finish()?;
    Ok(())
}

fn chapter_xhtml(lang: &str, ch: &EpubChapter) -> String {
    let title = escape(&ch.title);
    let mut body = format!("  <section epub:type=\"chapter\">\n    <h1>{title}</h1>\n");
    let number: std::collections::HashMap<&str, usize> = ch
        .footnotes
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i + 1))
        .collect();
    for p in &ch.paragraphs {
        let mut html = escape(p);
        for (id, n) in &number {
            html = html.replace(
                &format!("[[note:{id}]]"),
                &format!("<a class=\"noteref\" epub:type=\"noteref\" href=\"#{id}\">{n}</a>"),
            );
        }
        body.push_str(&format!("    <p>{html}</p>\n"));
    }
    body.push_str("  </section>\n");
    for (id, text) in &ch.footnotes {
        body.push_str(&format!(
            "  <aside class=\"footnote\" epub:type=\"footnote\" id=\"{id}\"><p>{}. {}</p></aside>\n",
            number.get(id.as_str()).copied().unwrap_or(0),
            escape(text)
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{lang}" lang="{lang}">
<head><meta charset="utf-8"/><title>{title}</title><link rel="stylesheet" type="text/css" href="style.css"/></head>
<body>
{body}</body>
</html>
"#
    )
}
