//! Novel import: turn a novel file's bytes into ordered chapters.
//!
//! Entry point: [`parse_novel`]. Two source formats are understood:
//!
//! * **EPUB** ([`SourceFormat::Epub`]) — chosen when the bytes are a ZIP
//!   archive whose `mimetype` entry reads `application/epub+zip`, or when the
//!   file name ends in `.epub` (then anything else is a broken EPUB). One
//!   chapter per spine document with text; see [`epub`] for the rules.
//! * **Plain text** ([`SourceFormat::Txt`]) — everything else. The encoding is
//!   detected, never chosen by the user (see [`decode`]): BOM, then BOM-less
//!   UTF-16 by NUL bytes, then UTF-8, then `chardetng` (GBK is read as
//!   GB18030, Big5; Japanese and Korean encodings are refused). Chapters are
//!   split at heading lines (see [`txt`]).
//!
//! Nothing is truncated or silently dropped: text before the first heading
//! becomes a chapter titled [`txt::FRONT_MATTER_TITLE`]; a file in which no
//! heading is found, or headings but no text, or a chapter longer than
//! [`MAX_CHAPTER_CHARS`], is an error, so the caller writes nothing.
//! Empty chapters are kept when other chapters have text.
//! No function here panics on any input.

pub mod decode;
pub mod epub;
pub mod txt;
pub mod xhtml;

use crate::model::NewChapter;

/// Options for [`parse_novel`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// A regular expression (Rust `regex` syntax) that a heading line must
    /// match as a whole, after trimming leading/trailing whitespace
    /// (including U+3000). Replaces the built-in heading rules for TXT files;
    /// ignored for EPUB. `None` uses the built-in rules.
    pub heading_pattern: Option<String>,
}

/// The format a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// Plain text in a detected encoding.
    Txt,
    /// EPUB 2 or 3.
    Epub,
}

impl SourceFormat {
    /// Lower-case name (`txt`, `epub`).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Txt => "txt",
            SourceFormat::Epub => "epub",
        }
    }
}

/// A parsed novel, ready to become a [`crate::model::NewWork`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNovel {
    /// Format the file was read as.
    pub format: SourceFormat,
    /// Detected encoding, WHATWG name (`UTF-8`, `UTF-16LE`, `UTF-16BE`,
    /// `GB18030`, `Big5`, …), or `EPUB` for EPUB files.
    pub encoding: String,
    /// Chapters in reading order, numbered 1..=n (not the numeral in the heading).
    pub chapters: Vec<NewChapter>,
    /// Title from EPUB metadata (`dc:title`); `None` for TXT.
    pub title: Option<String>,
    /// Author from EPUB metadata (`dc:creator`); `None` for TXT.
    pub author: Option<String>,
}

/// What went wrong while importing, without the file name (see [`ImportError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Zero bytes.
    #[error("file is empty")]
    Empty,
    /// Binary content (NUL bytes outside UTF-16, or too many control /
    /// replacement characters after decoding, or a non-EPUB ZIP archive).
    #[error("not a text file: {0}")]
    NotText(String),
    /// No encoding decodes the bytes cleanly.
    #[error("cannot detect the text encoding: {0}")]
    UnknownEncoding(String),
    /// The built-in heading rules found nothing.
    #[error(
        "no chapter headings found (tried: numbered headings 第…回/章/卷/节, 卷一, \
         序/楔子/附录/尾声/番外, unnumbered short lines); use --heading-pattern"
    )]
    NoHeadings,
    /// The user's heading pattern does not compile.
    #[error("invalid heading pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        reason: String,
    },
    /// The user's heading pattern compiled but matched no line.
    #[error("heading pattern {0:?} matched no line")]
    PatternMatchedNothing(String),
    /// The EPUB (or ZIP) structure is unreadable or invalid.
    #[error("broken EPUB: {0}")]
    BrokenEpub(String),
    /// The EPUB's spine holds no text.
    #[error("the EPUB has no text in its reading order (spine)")]
    NoText,
    /// A size limit was hit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The encoding detected is a multi-byte encoding for another language
    /// (Shift_JIS, EUC-JP, ISO-2022-JP, EUC-KR; its WHATWG name is given).
    /// Qiantang imports Chinese text only: UTF-8, UTF-16LE/BE, GB18030/GBK
    /// and Big5.
    #[error("detected {0}, not a Chinese encoding; convert the file to UTF-8, GB18030 or Big5")]
    NotChinese(String),
    /// Chapter headings were found, but every chapter (including any front
    /// matter) is empty: most likely a table of contents without the text.
    #[error("the chapter headings were found but no chapter has any text")]
    NoChapterText,
    /// A chapter's text is longer than [`MAX_CHAPTER_CHARS`].
    #[error(
        "chapter {number} {title:?} has {chars} characters, more than the limit of \
         {MAX_CHAPTER_CHARS}; split it (e.g. with --heading-pattern)"
    )]
    ChapterTooLong {
        /// The chapter's number (1-based, in reading order).
        number: u32,
        /// The chapter's title.
        title: String,
        /// Its length in characters (Unicode scalar values).
        chars: usize,
    },
}

/// Longest chapter text accepted, in characters (Unicode scalar values).
///
/// A safety limit of the reader and the tagger, which handle a chapter as
/// one unit: the longest real web-novel chapters are a few tens of thousands
/// of characters, so a chapter beyond this is a file whose headings were not
/// found (or a wrong `--heading-pattern`). Such a chapter is refused with
/// [`ErrorKind::ChapterTooLong`], never truncated.
pub const MAX_CHAPTER_CHARS: usize = 2_000_000;

/// An import failure. `Display` reads `<file name>: <problem>`, e.g.
/// `jigong.txt: file is empty`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {kind}")]
pub struct ImportError {
    /// The file name given to [`parse_novel`].
    pub file: String,
    /// The problem.
    pub kind: ErrorKind,
}

impl ImportError {
    fn new(file: &str, kind: ErrorKind) -> Self {
        ImportError {
            file: file.to_owned(),
            kind,
        }
    }
}

/// Parse a novel file.
///
/// `file_name` is used for format detection (`.epub`) and error messages
/// only; `bytes` is the whole file. Returns chapters numbered 1..=n with
/// trimmed titles and bodies whose paragraphs are joined with `\n`.
///
/// # Errors
/// [`ImportError`] naming `file_name` and an [`ErrorKind`]: empty file,
/// binary file, undetectable or non-Chinese encoding, no headings, headings
/// without any text, invalid or unmatched heading pattern, broken EPUB, EPUB
/// without text, an EPUB that decompresses beyond [`epub::MAX_DECOMPRESSED`]
/// bytes, or a chapter longer than [`MAX_CHAPTER_CHARS`].
pub fn parse_novel(
    file_name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ParsedNovel, ImportError> {
    let err = |kind| ImportError::new(file_name, kind);
    if bytes.is_empty() {
        return Err(err(ErrorKind::Empty));
    }
    let named_epub = file_name.to_ascii_lowercase().ends_with(".epub");
    let is_epub =
        if named_epub {
            true
        } else if epub::looks_like_zip(bytes) {
            match epub::zip_kind(bytes) {
                Ok(epub::ZipKind::Epub) => true,
                Ok(_) => return Err(err(ErrorKind::NotText(
                    "it is a ZIP archive, not an EPUB (no `mimetype` reading application/epub+zip)"
                        .into(),
                ))),
                Err(e) => {
                    return Err(err(ErrorKind::NotText(format!(
                        "it starts like a ZIP archive but is not a readable one ({e})"
                    ))))
                }
            }
        } else {
            false
        };
    if is_epub {
        let book = epub::read_epub(bytes).map_err(err)?;
        check_chapter_lengths(&book.chapters).map_err(err)?;
        tracing::info!(
            file = file_name,
            chapters = book.chapters.len(),
            "EPUB imported"
        );
        return Ok(ParsedNovel {
            format: SourceFormat::Epub,
            encoding: "EPUB".to_owned(),
            chapters: book.chapters,
            title: book.title,
            author: book.author,
        });
    }
    let decoded = decode::decode_text(bytes).map_err(err)?;
    let pattern = opts.heading_pattern.as_deref();
    let (chapters, rule) = txt::split_chapters(&decoded.text, pattern).map_err(|e| {
        err(match e {
            txt::SplitError::InvalidPattern(reason) => ErrorKind::InvalidPattern {
                pattern: pattern.unwrap_or_default().to_owned(),
                reason,
            },
            txt::SplitError::PatternMatchedNothing => {
                ErrorKind::PatternMatchedNothing(pattern.unwrap_or_default().to_owned())
            }
            txt::SplitError::NoHeadings => ErrorKind::NoHeadings,
        })
    })?;
    if chapters.iter().all(|c| c.text.is_empty()) {
        return Err(err(ErrorKind::NoChapterText));
    }
    check_chapter_lengths(&chapters).map_err(err)?;
    tracing::info!(
        file = file_name,
        encoding = decoded.encoding,
        chapters = chapters.len(),
        rule = ?rule,
        "TXT imported"
    );
    Ok(ParsedNovel {
        format: SourceFormat::Txt,
        encoding: decoded.encoding.to_owned(),
        chapters,
        title: None,
        author: None,
    })
}

/// Refuse the first chapter longer than [`MAX_CHAPTER_CHARS`].
fn check_chapter_lengths(chapters: &[NewChapter]) -> Result<(), ErrorKind> {
    for c in chapters {
        // Cheap bound first: a text of at most MAX bytes has at most MAX chars.
        if c.text.len() <= MAX_CHAPTER_CHARS {
            continue;
        }
        let chars = c.text.chars().count();
        if chars > MAX_CHAPTER_CHARS {
            return Err(ErrorKind::ChapterTooLong {
                number: c.number,
                title: c.title.clone(),
                chars,
            });
        }
    }
    Ok(())
}
