//! EPUB 3 (and EPUB 2) reading with `zip` + `quick-xml`.
//!
//! Follows EPUB 3.3 OCF/packages: `mimetype` must be present and read
//! `application/epub+zip`; `META-INF/container.xml` names the package
//! document (OPF, first `rootfile`); the OPF `spine` gives reading order;
//! chapter titles come from the EPUB 3 navigation document
//! (`<nav epub:type="toc">`), else from the EPUB 2 NCX (`navMap`), else from
//! the document's first `h1`/`h2`, else its `<title>`, else its file name.
//! One chapter per spine item; the navigation document itself and spine
//! items without text (covers, image pages) are skipped. When the first
//! paragraph of a document equals its title it is not repeated in the body.
//!
//! Every read from the archive counts against [`MAX_DECOMPRESSED`] so a ZIP
//! bomb ends with [`ErrorKind::TooLarge`] instead of exhausting memory.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::xhtml::{self, collapse};
use super::ErrorKind;
use crate::model::NewChapter;

/// Cap on the total number of bytes decompressed from one EPUB (256 MiB).
pub const MAX_DECOMPRESSED: u64 = 256 * 1024 * 1024;

/// The media type an EPUB's `mimetype` entry must hold.
pub const EPUB_MIMETYPE: &str = "application/epub+zip";

/// Result of reading an EPUB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpubBook {
    /// `dc:title`, first one.
    pub title: Option<String>,
    /// `dc:creator`, first one.
    pub author: Option<String>,
    /// Chapters, numbered 1..=n in spine order.
    pub chapters: Vec<NewChapter>,
}

fn broken(msg: impl Into<String>) -> ErrorKind {
    ErrorKind::BrokenEpub(msg.into())
}

/// What a ZIP archive holds in its `mimetype` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipKind {
    /// `mimetype` reads `application/epub+zip`.
    Epub,
    /// `mimetype` exists with other content.
    OtherMimetype(String),
    /// No `mimetype` entry.
    NoMimetype,
}

struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    budget: u64,
}

impl<'a> Archive<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, ErrorKind> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| broken(format!("not a readable ZIP archive ({e})")))?;
        Ok(Archive {
            zip,
            budget: MAX_DECOMPRESSED,
        })
    }

    /// Read an entry fully; `Ok(None)` when it does not exist.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ErrorKind> {
        let mut file = match self.zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => {
                return Err(broken(format!(
                    "cannot read {name:?} from the archive ({e})"
                )))
            }
        };
        let too_large = || {
            ErrorKind::TooLarge(format!(
                "more than {} MiB once decompressed (possible ZIP bomb)",
                MAX_DECOMPRESSED / (1024 * 1024)
            ))
        };
        // The declared size is checked first (cheap); the actual output is
        // capped as well, since the declared size may lie.
        if file.size() > self.budget {
            return Err(too_large());
        }
        let mut out = Vec::new();
        let got = (&mut file)
            .take(self.budget.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| broken(format!("cannot decompress {name:?} ({e})")))?;
        let got = got as u64;
        if got > self.budget {
            return Err(too_large());
        }
        self.budget -= got;
        Ok(Some(out))
    }

    fn read_required(&mut self, name: &str, what: &str) -> Result<Vec<u8>, ErrorKind> {
        self.read(name)?
            .ok_or_else(|| broken(format!("{what} {name:?} is missing from the archive")))
    }

    fn kind(&mut self) -> Result<ZipKind, ErrorKind> {
        match self.read("mimetype")? {
            None => Ok(ZipKind::NoMimetype),
            Some(m) => {
                let m = String::from_utf8_lossy(&m).trim().to_owned();
                if m == EPUB_MIMETYPE {
                    Ok(ZipKind::Epub)
                } else {
                    Ok(ZipKind::OtherMimetype(m))
                }
            }
        }
    }
}

/// Whether `bytes` start like a ZIP archive (local file header or an empty archive).
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Classify a ZIP archive by its `mimetype` entry.
pub fn zip_kind(bytes: &[u8]) -> Result<ZipKind, ErrorKind> {
    Archive::open(bytes)?.kind()
}

/// Decode an XML document's bytes: BOM, else the XML declaration's
/// `encoding`, else UTF-8. Malformed sequences become U+FFFD.
fn decode_xml(bytes: &[u8]) -> String {
    if let Some((enc, len)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(bytes.get(len..).unwrap_or_default())
            .0
            .into_owned();
    }
    let head = String::from_utf8_lossy(bytes.get(..200.min(bytes.len())).unwrap_or_default());
    let mut enc = encoding_rs::UTF_8;
    if head.starts_with("<?xml") {
        if let Some(decl_end) = head.find("?>") {
            let decl = head.get(..decl_end).unwrap_or_default();
            if let Some(p) = decl.find("encoding") {
                let rest = decl.get(p + "encoding".len()..).unwrap_or_default();
                let label: String = rest
                    .trim_start_matches([' ', '=', '"', '\''])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                    .collect();
                if let Some(e) = encoding_rs::Encoding::for_label(label.as_bytes()) {
                    // UTF-16 without BOM cannot have an ASCII-readable declaration.
                    if e != encoding_rs::UTF_16LE && e != encoding_rs::UTF_16BE {
                        enc = e;
                    }
                }
            }
        }
    }
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

fn local(name: &[u8]) -> Vec<u8> {
    let l = match name.iter().rposition(|&b| b == b':') {
        Some(i) => name.get(i + 1..).unwrap_or_default(),
        None => name,
    };
    l.to_ascii_lowercase()
}

/// Attribute value by local name (`href`, `epub:type` → `type`).
fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        if local(a.key.as_ref()) == name {
            Some(match a.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
            })
        } else {
            None
        }
    })
}

fn xml_err(what: &str, reader: &Reader<&[u8]>, e: quick_xml::Error) -> ErrorKind {
    broken(format!(
        "{what}: malformed XML at byte {} ({e})",
        reader.error_position()
    ))
}

/// Directory part of an archive path (`OPS/x/y.opf` → `OPS/x/`).
fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => path.get(..=i).unwrap_or_default(),
        None => "",
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or_default();
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolve `href` (relative, may hold `..`, `%20`, a `#fragment`) against
/// the directory `base`; return the archive path without fragment.
fn resolve(base: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or_default();
    let href = percent_decode(href);
    let joined = if let Some(abs) = href.strip_prefix('/') {
        abs.to_owned()
    } else {
        format!("{base}{href}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

struct ManifestItem {
    href: String,
    media_type: String,
    properties: String,
}

struct Package {
    title: Option<String>,
    author: Option<String>,
    manifest: HashMap<String, ManifestItem>,
    /// idrefs in spine order.
    spine: Vec<String>,
    /// `spine@toc` (NCX id).
    ncx_id: Option<String>,
}

fn parse_container(xml: &str) -> Result<String, ErrorKind> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if local(e.name().as_ref()) == b"rootfile" {
                    if let Some(p) = attr(&e, b"full-path") {
                        if !p.trim().is_empty() {
                            return Ok(p.trim().to_owned());
                        }
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(xml_err("META-INF/container.xml", &reader, e)),
        }
    }
    Err(broken(
        "META-INF/container.xml names no package document (no rootfile full-path)",
    ))
}

fn parse_opf(xml: &str, opf_path: &str) -> Result<Package, ErrorKind> {
    let mut reader = Reader::from_str(xml);
    let mut pkg = Package {
        title: None,
        author: None,
        manifest: HashMap::new(),
        spine: Vec::new(),
        ncx_id: None,
    };
    let mut in_metadata = false;
    // Which dc element's text is being read.
    let mut capture: Option<(Vec<u8>, String)> = None;
    let what = format!("package document {opf_path:?}");
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(&what, &reader, e))?;
        match ev {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                match name.as_slice() {
                    b"metadata" => in_metadata = true,
                    b"title" | b"creator" if in_metadata => capture = Some((name, String::new())),
                    b"spine" => pkg.ncx_id = attr(&e, b"toc"),
                    _ => handle_empty(&e, &name, &mut pkg),
                }
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                if name == b"spine" {
                    pkg.ncx_id = attr(&e, b"toc");
                }
                handle_empty(&e, &name, &mut pkg);
            }
            Event::Text(t) => {
                if let Some((_, s)) = capture.as_mut() {
                    match t.unescape_with(xhtml::resolve_entity) {
                        Ok(v) => s.push_str(&v),
                        Err(_) => s.push_str(&String::from_utf8_lossy(&t)),
                    }
                }
            }
            Event::CData(t) => {
                if let Some((_, s)) = capture.as_mut() {
                    s.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                if name == b"metadata" {
                    in_metadata = false;
                }
                if capture.as_ref().is_some_and(|(n, _)| *n == name) {
                    if let Some((n, s)) = capture.take() {
                        let s = collapse(&s);
                        if !s.is_empty() {
                            let slot = if n == b"title" {
                                &mut pkg.title
                            } else {
                                &mut pkg.author
                            };
                            if slot.is_none() {
                                *slot = Some(s);
                            }
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(pkg)
}

fn handle_empty(e: &BytesStart<'_>, name: &[u8], pkg: &mut Package) {
    match name {
        b"item" => {
            if let (Some(id), Some(href)) = (attr(e, b"id"), attr(e, b"href")) {
                pkg.manifest.insert(
                    id,
                    ManifestItem {
                        href,
                        media_type: attr(e, b"media-type").unwrap_or_default(),
                        properties: attr(e, b"properties").unwrap_or_default(),
                    },
                );
            }
        }
        b"itemref" => {
            if let Some(id) = attr(e, b"idref") {
                pkg.spine.push(id);
            }
        }
        _ => {}
    }
}

/// Titles from the EPUB 3 nav document: archive path → first label.
fn parse_nav(xml: &str, nav_path: &str) -> Result<HashMap<String, String>, ErrorKind> {
    let base = dir_of(nav_path);
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut titles = HashMap::new();
    let mut nav_depth = 0usize; // >0 while inside the toc nav
    let mut link: Option<(String, String)> = None;
    let what = format!("navigation document {nav_path:?}");
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(&what, &reader, e))?;
        match ev {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if nav_depth > 0 {
                    if name == b"nav" {
                        nav_depth += 1;
                    }
                    if name == b"a" {
                        if let Some(h) = attr(&e, b"href") {
                            link = Some((resolve(base, &h), String::new()));
                        }
                    }
                } else if name == b"nav"
                    && attr(&e, b"type").is_some_and(|t| t.split_whitespace().any(|w| w == "toc"))
                {
                    nav_depth = 1;
                }
            }
            Event::Text(t) => {
                if let Some((_, s)) = link.as_mut() {
                    match t.unescape_with(xhtml::resolve_entity) {
                        Ok(v) => s.push_str(&v),
                        Err(_) => s.push_str(&String::from_utf8_lossy(&t)),
                    }
                }
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                if nav_depth > 0 && name == b"nav" {
                    nav_depth -= 1;
                }
                if name == b"a" {
                    if let Some((path, label)) = link.take() {
                        let label = collapse(&label);
                        if !label.is_empty() {
                            titles.entry(path).or_insert(label);
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(titles)
}

/// Titles from an EPUB 2 NCX: archive path → first label.
fn parse_ncx(xml: &str, ncx_path: &str) -> Result<HashMap<String, String>, ErrorKind> {
    let base = dir_of(ncx_path);
    let mut reader = Reader::from_str(xml);
    let mut titles = HashMap::new();
    let mut in_label = false;
    let mut in_text = false;
    let mut label = String::new();
    let what = format!("NCX {ncx_path:?}");
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(&what, &reader, e))?;
        match ev {
            Event::Start(e) => match local(e.name().as_ref()).as_slice() {
                b"navlabel" => {
                    in_label = true;
                    label.clear();
                }
                b"text" if in_label => in_text = true,
                b"content" => ncx_content(&e, base, &label, &mut titles),
                _ => {}
            },
            Event::Empty(e) if local(e.name().as_ref()) == b"content" => {
                ncx_content(&e, base, &label, &mut titles);
            }
            Event::Text(t) if in_text => match t.unescape_with(xhtml::resolve_entity) {
                Ok(v) => label.push_str(&v),
                Err(_) => label.push_str(&String::from_utf8_lossy(&t)),
            },
            Event::End(e) => match local(e.name().as_ref()).as_slice() {
                b"navlabel" => in_label = false,
                b"text" => in_text = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(titles)
}

fn ncx_content(e: &BytesStart<'_>, base: &str, label: &str, titles: &mut HashMap<String, String>) {
    if let Some(src) = attr(e, b"src") {
        let label = collapse(label);
        if !label.is_empty() {
            titles.entry(resolve(base, &src)).or_insert(label);
        }
    }
}

/// Read an EPUB's chapters and metadata.
pub fn read_epub(bytes: &[u8]) -> Result<EpubBook, ErrorKind> {
    let mut ar = Archive::open(bytes)?;
    match ar.kind()? {
        ZipKind::Epub => {}
        ZipKind::NoMimetype => {
            return Err(broken(format!(
                "the ZIP archive has no `mimetype` entry (an EPUB must hold one reading {EPUB_MIMETYPE})"
            )))
        }
        ZipKind::OtherMimetype(m) => {
            return Err(broken(format!(
                "`mimetype` reads {m:?}, expected {EPUB_MIMETYPE}"
            )))
        }
    }
    let container = ar.read_required("META-INF/container.xml", "container file")?;
    let opf_path = parse_container(&decode_xml(&container))?;
    let opf_path = resolve("", &opf_path);
    let opf = ar.read_required(&opf_path, "package document")?;
    let pkg = parse_opf(&decode_xml(&opf), &opf_path)?;
    let base = dir_of(&opf_path).to_owned();
    if pkg.spine.is_empty() {
        return Err(broken(format!(
            "package document {opf_path:?} has an empty spine"
        )));
    }

    // Titles: nav document, else NCX.
    let nav_item = pkg
        .manifest
        .iter()
        .find(|(_, it)| it.properties.split_whitespace().any(|p| p == "nav"));
    let nav_id = nav_item.map(|(id, _)| id.clone());
    let mut titles = HashMap::new();
    if let Some((_, it)) = nav_item {
        let path = resolve(&base, &it.href);
        match ar.read(&path)? {
            Some(b) => titles = parse_nav(&decode_xml(&b), &path)?,
            None => tracing::warn!(path, "EPUB navigation document missing; trying the NCX"),
        }
    }
    if titles.is_empty() {
        let ncx = pkg
            .ncx_id
            .as_ref()
            .and_then(|id| pkg.manifest.get(id))
            .or_else(|| {
                pkg.manifest
                    .values()
                    .find(|it| it.media_type == "application/x-dtbncx+xml")
            });
        if let Some(it) = ncx {
            let path = resolve(&base, &it.href);
            match ar.read(&path)? {
                Some(b) => titles = parse_ncx(&decode_xml(&b), &path)?,
                None => tracing::warn!(path, "EPUB NCX missing"),
            }
        }
    }

    let mut chapters = Vec::new();
    for idref in &pkg.spine {
        if nav_id.as_deref() == Some(idref.as_str()) {
            continue;
        }
        let Some(item) = pkg.manifest.get(idref) else {
            tracing::warn!(idref, "spine itemref points to no manifest item; skipped");
            continue;
        };
        let path = resolve(&base, &item.href);
        let is_doc = matches!(
            item.media_type.as_str(),
            "application/xhtml+xml" | "text/html" | "application/xml" | "text/xml"
        ) || item.media_type.is_empty();
        if !is_doc {
            tracing::warn!(
                path,
                media_type = item.media_type,
                "spine item is not XHTML; skipped"
            );
            continue;
        }
        let doc = ar.read_required(&path, "spine item")?;
        let ex = xhtml::extract(&decode_xml(&doc))
            .map_err(|e| broken(format!("content document {path:?}: malformed XML ({e})")))?;
        if ex.paragraphs.is_empty() {
            tracing::debug!(path, "spine item without text skipped");
            continue;
        }
        let title = titles
            .get(&path)
            .cloned()
            .or(ex.first_heading.clone())
            .or(ex.head_title.clone())
            .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path.as_str()).to_owned());
        let mut paras = ex.paragraphs;
        if paras.first().is_some_and(|p| collapse(p) == title) {
            paras.remove(0);
        }
        chapters.push(NewChapter {
            number: u32::try_from(chapters.len() + 1).unwrap_or(u32::MAX),
            title,
            text: paras.join("\n"),
        });
    }
    if chapters.is_empty() {
        return Err(ErrorKind::NoText);
    }
    Ok(EpubBook {
        title: pkg.title,
        author: pkg.author,
        chapters,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths() {
        assert_eq!(resolve("OPS/", "chapter_1.xhtml#x"), "OPS/chapter_1.xhtml");
        assert_eq!(
            resolve("EPUB/Navigation/", "../Content/C.xhtml"),
            "EPUB/Content/C.xhtml"
        );
        assert_eq!(resolve("", "a%20b.html"), "a b.html");
        assert_eq!(resolve("A/", "/x.html"), "x.html");
        assert_eq!(resolve("A/", "../../x.html"), "x.html");
    }
}
