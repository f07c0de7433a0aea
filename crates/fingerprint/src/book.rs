//! Whole suspect books: many pieces (chapters or web pages, each with a label) checked at once,
//! reported by deposited work and chapter.
//!
//! [`ContainmentIndex::find_book`] runs [`ContainmentIndex::find`] on every piece and regroups
//! the matches: per deposited chapter the union of its matched spans (coverage) and the runs of
//! consecutive pieces that matched it (a chapter split over pages 3, 4 and 5 is one run
//! `3..=5`); per matched work the chapters that no piece matched; and the pieces that matched
//! nothing.

use std::collections::BTreeMap;

use crate::containment::{
    union_len, ChapterRef, ContainmentIndex, PostingBackend, QueryParams, Span,
};
use crate::Error;

/// Pieces examined per book at most; later ones are counted in [`BookReport::pieces_ignored`].
pub const MAX_BOOK_PIECES: usize = 100_000;

/// Spans kept per deposited chapter in a book report (the longest; coverage is computed from all
/// of them before the cut).
pub const MAX_SPANS_PER_CHAPTER: usize = 1_024;

/// One piece of a suspect book.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    /// Caller's label (chapter heading, page URL, file name…), copied into the report.
    pub label: &'a str,
    /// The text.
    pub text: &'a str,
}

/// What happened to one piece.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceOutcome {
    /// The piece's label.
    pub label: String,
    /// Original characters read.
    pub chars: u32,
    /// Deposited chapters it matched.
    pub matches: u32,
    /// Best containment among its matches (0.0 when none).
    pub best_containment: f64,
    /// Why it was not checked (empty or too short after normalization), if so.
    pub skipped: Option<String>,
    /// True when only its first [`crate::containment::MAX_TEXT_CHARS`] characters were read.
    pub truncated: bool,
}

/// Consecutive pieces (by position in the book, inclusive) that matched one chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceRun {
    /// Index of the first piece.
    pub first: usize,
    /// Index of the last piece.
    pub last: usize,
    /// Label of the first piece.
    pub first_label: String,
    /// Label of the last piece.
    pub last_label: String,
}

/// A span of one piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookSpan {
    /// Index of the piece; `span.suspect_*` are offsets in that piece's text.
    pub piece: usize,
    /// The span (offsets in characters of the piece and of the deposited chapter).
    pub span: Span,
}

/// A deposited chapter found in the book.
#[derive(Debug, Clone, PartialEq)]
pub struct ChapterCoverage {
    /// Chapter number.
    pub chapter: u32,
    /// Original characters of the chapter indexed.
    pub chars: u32,
    /// Characters of the chapter inside the union of all matched spans of all pieces.
    pub covered_chars: u32,
    /// `covered_chars / chars`.
    pub coverage: f64,
    /// Runs of consecutive pieces that matched it.
    pub runs: Vec<PieceRun>,
    /// The spans, by piece then suspect offset (at most [`MAX_SPANS_PER_CHAPTER`]).
    pub spans: Vec<BookSpan>,
}

/// A deposited work with at least one chapter found in the book.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCoverage {
    /// Work id.
    pub work: u64,
    /// Chapters of the work indexed.
    pub chapters_indexed: u32,
    /// Chapters found, in chapter order.
    pub chapters: Vec<ChapterCoverage>,
    /// Indexed chapters that no piece matched, in chapter order.
    pub unmatched_chapters: Vec<u32>,
    /// Covered characters over all its indexed chapters.
    pub covered_chars: u64,
    /// Characters of all its indexed chapters.
    pub total_chars: u64,
}

/// Result of [`ContainmentIndex::find_book`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BookReport {
    /// One entry per examined piece, in book order.
    pub pieces: Vec<PieceOutcome>,
    /// Matched works, most covered characters first.
    pub works: Vec<WorkCoverage>,
    /// Indices of examined pieces that matched nothing (skipped pieces included).
    pub unmatched_pieces: Vec<usize>,
    /// Pieces beyond [`MAX_BOOK_PIECES`] that were not examined.
    pub pieces_ignored: usize,
}

impl<B: PostingBackend> ContainmentIndex<B> {
    /// Checks a whole suspect book given as pieces. Pieces that are empty or too short are
    /// reported as skipped, not as errors; only storage failures ([`Error::Store`]) fail the
    /// call.
    pub fn find_book(
        &self,
        pieces: &[Piece<'_>],
        params: &QueryParams,
    ) -> Result<BookReport, Error> {
        let mut report = BookReport {
            pieces_ignored: pieces.len().saturating_sub(MAX_BOOK_PIECES),
            ..Default::default()
        };
        // chapter -> (chapter chars, spans by piece)
        let mut found: BTreeMap<ChapterRef, (u32, Vec<BookSpan>)> = BTreeMap::new();
        for (i, piece) in pieces.iter().take(MAX_BOOK_PIECES).enumerate() {
            let mut outcome = PieceOutcome {
                label: piece.label.to_owned(),
                chars: 0,
                matches: 0,
                best_containment: 0.0,
                skipped: None,
                truncated: false,
            };
            match self.find(piece.text, params) {
                Ok(r) => {
                    outcome.chars = r.chars;
                    outcome.truncated = r.truncated;
                    outcome.matches = r.matches.len() as u32;
                    outcome.best_containment =
                        r.matches.iter().map(|m| m.containment).fold(0.0, f64::max);
                    for m in r.matches {
                        let entry = found
                            .entry(m.chapter)
                            .or_insert_with(|| (m.chapter_chars, Vec::new()));
                        entry
                            .1
                            .extend(m.spans.into_iter().map(|span| BookSpan { piece: i, span }));
                    }
                }
                Err(e @ (Error::EmptyText | Error::TooShort { .. })) => {
                    outcome.chars = piece.text.chars().take(u32::MAX as usize).count() as u32;
                    outcome.skipped = Some(e.to_string());
                }
                Err(e) => return Err(e),
            }
            if outcome.matches == 0 {
                report.unmatched_pieces.push(i);
            }
            report.pieces.push(outcome);
        }
        let mut by_work: BTreeMap<u64, Vec<ChapterCoverage>> = BTreeMap::new();
        for (cref, (chars, mut spans)) in found {
            let covered = union_len(
                spans
                    .iter()
                    .map(|s| {
                        (
                            s.span.chapter_start,
                            s.span.chapter_start + s.span.chapter_len,
                        )
                    })
                    .collect(),
            )
            .min(chars);
            let mut piece_ids: Vec<usize> = spans.iter().map(|s| s.piece).collect();
            piece_ids.dedup();
            let mut runs: Vec<PieceRun> = Vec::new();
            for p in piece_ids {
                match runs.last_mut() {
                    Some(r) if r.last + 1 == p || r.last == p => {
                        r.last = p;
                    }
                    _ => runs.push(PieceRun {
                        first: p,
                        last: p,
                        first_label: String::new(),
                        last_label: String::new(),
                    }),
                }
            }
            for r in &mut runs {
                r.first_label = pieces.get(r.first).map_or("", |p| p.label).to_owned();
                r.last_label = pieces.get(r.last).map_or("", |p| p.label).to_owned();
            }
            if spans.len() > MAX_SPANS_PER_CHAPTER {
                spans.sort_unstable_by_key(|s| std::cmp::Reverse(s.span.chapter_len));
                spans.truncate(MAX_SPANS_PER_CHAPTER);
                spans.sort_unstable_by_key(|s| (s.piece, s.span.suspect_start));
            }
            by_work.entry(cref.work).or_default().push(ChapterCoverage {
                chapter: cref.chapter,
                chars,
                covered_chars: covered,
                coverage: f64::from(covered) / f64::from(chars.max(1)),
                runs,
                spans,
            });
        }
        for (work, chapters) in by_work {
            let all = self.chapters_of_work(work)?;
            let matched: std::collections::HashSet<u32> =
                chapters.iter().map(|c| c.chapter).collect();
            report.works.push(WorkCoverage {
                work,
                chapters_indexed: all.len() as u32,
                unmatched_chapters: all
                    .iter()
                    .map(|(c, _)| c.chapter)
                    .filter(|c| !matched.contains(c))
                    .collect(),
                covered_chars: chapters.iter().map(|c| u64::from(c.covered_chars)).sum(),
                total_chars: all.iter().map(|(_, s)| u64::from(s.chars)).sum(),
                chapters,
            });
        }
        report.works.sort_by(|a, b| {
            b.covered_chars
                .cmp(&a.covered_chars)
                .then(a.work.cmp(&b.work))
        });
        Ok(report)
    }
}
