//! The piracy check (issue 5, "search by content"): every imported chapter
//! is fingerprinted (MinHash over character 5-grams, `qiantang-fingerprint`)
//! and the signatures are stored (`chapter_fingerprints`); a suspected text
//! is split into chapters like an import and each is looked up in an LSH
//! index of all stored signatures.
//!
//! The index is built lazily on the first check and cached in the [`App`];
//! imports and deletions drop it ([`App::invalidate_piracy_index`]). Building
//! it first fingerprints works that have none (imported before fingerprints
//! existed, or interrupted between the import and its fingerprints).
//!
//! Evidence: each match carries the work's import time and, when the deposit
//! log is attached, the earliest entry of the owning organization for the
//! matched chapter body's SHA-256 ([`App::chapter_deposit`]) with the time
//! the log attests for it.

use std::collections::HashMap;
use std::sync::Arc;

use qiantang_fingerprint::{
    Error as FpError, LshIndex, LshParams, MinHashParams, MinHasher, Signature, DEFAULT_THRESHOLD,
};
use qiantang_works::import::{decode, parse_novel, ErrorKind, ImportOptions};
use qiantang_works::model::{NewChapter, WorkId, WorkScope};
use qiantang_works::ChapterFingerprint;

use std::sync::RwLock;

use qiantang_works::FingerprintStore;

use crate::accounts::Accounts;
use crate::catalog::{Catalog, Imported, WorkObserver};
use crate::clock;
use crate::deposits::Deposits;
use crate::error::AppError;

/// The in-memory index: LSH over every stored signature; the LSH id is the
/// position in `keys`.
pub struct PiracyIndex {
    lsh: LshIndex,
    keys: Vec<(WorkId, u32)>,
}

impl PiracyIndex {
    /// Number of indexed chapters.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no chapter is indexed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Where a match's work was first recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Import time of the work, Unix milliseconds.
    pub imported_ms: i64,
    /// Index of the earliest deposit-log entry of the matched chapter body by
    /// the owning organization, when deposited.
    pub deposit_index: Option<u64>,
    /// Time the log attests for that entry, Unix milliseconds: the RFC 3161
    /// token's time, else the earliest witness cosignature (`None` while
    /// pending or without TSA and witnesses).
    pub deposit_ms: Option<i64>,
}

/// One matching stored chapter.
#[derive(Debug, Clone, PartialEq)]
pub struct PiracyMatch {
    /// Work id.
    pub work: WorkId,
    /// Work title.
    pub work_title: String,
    /// Owning organization id.
    pub org: i64,
    /// Owning organization name.
    pub org_name: String,
    /// Chapter number.
    pub chapter: u32,
    /// Chapter heading.
    pub chapter_title: String,
    /// Estimated Jaccard similarity of the 5-gram sets.
    pub similarity: f64,
    /// Earliest record of the work.
    pub evidence: Evidence,
}

/// One chapter (segment) of the suspected text and its matches.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentReport {
    /// 1-based position in the suspected text.
    pub number: u32,
    /// Its heading (empty when the text had none).
    pub title: String,
    /// Characters in it.
    pub chars: u64,
    /// Matches, most similar first.
    pub matches: Vec<PiracyMatch>,
    /// Why it could not be checked (too short), if so.
    pub skipped: Option<String>,
}

/// The result of a piracy check.
#[derive(Debug, Clone, PartialEq)]
pub struct PiracyReport {
    /// Similarity threshold used.
    pub threshold: f64,
    /// Detected encoding of the suspected text.
    pub encoding: String,
    /// Chapters indexed (all works, before the caller's scope is applied).
    pub indexed_chapters: usize,
    /// One entry per segment of the suspected text.
    pub segments: Vec<SegmentReport>,
}

impl PiracyReport {
    /// Number of segments with at least one match.
    pub fn matched_segments(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| !s.matches.is_empty())
            .count()
    }
}

fn hasher() -> Result<MinHasher, AppError> {
    MinHasher::new(MinHashParams::default()).map_err(fp_err)
}

fn fp_err(e: FpError) -> AppError {
    AppError::Invalid(format!("fingerprint: {e}"))
}

/// Signature bytes of a chapter (empty when it is too short).
fn signature_bytes(h: &MinHasher, text: &str) -> Vec<u8> {
    h.signature(text).map(|s| s.to_bytes()).unwrap_or_default()
}

/// The piracy service: chapter fingerprints and the cached LSH index.
pub struct Piracy {
    store: Arc<dyn FingerprintStore>,
    index: RwLock<Option<Arc<PiracyIndex>>>,
    accounts: Arc<Accounts>,
    catalog: Arc<Catalog>,
    deposits: Arc<Deposits>,
}

impl WorkObserver for Piracy {
    fn imported(&self, i: &Imported<'_>) {
        self.fingerprint_chapters(i.work, i.chapters);
    }
    fn deleted(&self, _work: WorkId) {
        self.invalidate_piracy_index();
    }
}

impl Piracy {
    /// The service over its store.
    pub fn new(
        store: Arc<dyn FingerprintStore>,
        accounts: Arc<Accounts>,
        catalog: Arc<Catalog>,
        deposits: Arc<Deposits>,
    ) -> Self {
        Self {
            store,
            index: RwLock::new(None),
            accounts,
            catalog,
            deposits,
        }
    }

    /// Fingerprints chapters of a stored work and stores the signatures; a
    /// failure is logged (the index build fingerprints the work later).
    pub fn fingerprint_chapters(&self, work: WorkId, chapters: &[NewChapter]) {
        let result = hasher().and_then(|h| {
            let now = clock::now_ms();
            let fps: Vec<ChapterFingerprint> = chapters
                .iter()
                .map(|c| ChapterFingerprint {
                    work,
                    chapter: c.number,
                    signature: signature_bytes(&h, &c.text),
                    created_ms: now,
                })
                .collect();
            Ok(self.store.put_fingerprints(work, &fps)?)
        });
        if let Err(e) = result {
            tracing::warn!(work, error = %e, "fingerprinting failed; will retry when the piracy index is built");
        }
        self.invalidate_piracy_index();
    }

    /// Drops the cached piracy index (after imports and deletions).
    pub fn invalidate_piracy_index(&self) {
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The piracy index, built (and missing fingerprints computed) on first use.
    pub fn piracy_index(&self) -> Result<Arc<PiracyIndex>, AppError> {
        if let Some(i) = self.index.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(i);
        }
        let h = hasher()?;
        for work in self.store.works_without_fingerprints()? {
            let chapters = self.catalog.chapters(work)?;
            let mut texts = Vec::with_capacity(chapters.len());
            for c in &chapters {
                if let Some((_, text)) = self.catalog.chapter(work, c.number)? {
                    texts.push(NewChapter {
                        number: c.number,
                        title: c.title.clone(),
                        text,
                    });
                }
            }
            let now = clock::now_ms();
            let fps: Vec<_> = texts
                .iter()
                .map(|c| ChapterFingerprint {
                    work,
                    chapter: c.number,
                    signature: signature_bytes(&h, &c.text),
                    created_ms: now,
                })
                .collect();
            match self.store.put_fingerprints(work, &fps) {
                Ok(()) => tracing::info!(work, chapters = fps.len(), "fingerprinted work"),
                // Deleted meanwhile.
                Err(qiantang_core::StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let params = h.params();
        let mut lsh =
            LshIndex::new(LshParams::default(), params.ngram, params.seed).map_err(fp_err)?;
        let mut keys = Vec::new();
        for fp in self.store.list_fingerprints()? {
            if fp.signature.is_empty() {
                continue;
            }
            let sig = match Signature::from_bytes(&fp.signature) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(work = fp.work, chapter = fp.chapter, error = %e, "skipping an unreadable fingerprint");
                    continue;
                }
            };
            match lsh.insert(keys.len() as u64, &sig) {
                Ok(()) => keys.push((fp.work, fp.chapter)),
                Err(e) => {
                    tracing::warn!(work = fp.work, chapter = fp.chapter, error = %e, "skipping a fingerprint");
                }
            }
        }
        lsh.compact();
        let index = Arc::new(PiracyIndex { lsh, keys });
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = Some(index.clone());
        Ok(index)
    }

    /// Checks a suspected text (a chapter or a whole novel, in any encoding
    /// or EPUB the importer accepts) against every fingerprinted chapter of
    /// the works in `scope`. `threshold` defaults to
    /// [`DEFAULT_THRESHOLD`]; it must lie in 0.05..=1.
    pub fn piracy_check(
        &self,
        file_name: &str,
        bytes: &[u8],
        threshold: Option<f64>,
        scope: &WorkScope,
    ) -> Result<PiracyReport, AppError> {
        let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD);
        if !(0.05..=1.0).contains(&threshold) {
            return Err(AppError::Invalid(
                "threshold must be between 0.05 and 1".into(),
            ));
        }
        let (encoding, chapters) = split_suspect(file_name, bytes)?;
        let index = self.piracy_index()?;
        let h = hasher()?;
        let mut works = HashMap::new();
        let mut orgs = HashMap::new();
        let mut segments = Vec::with_capacity(chapters.len());
        for (i, ch) in chapters.iter().enumerate() {
            let mut seg = SegmentReport {
                number: i as u32 + 1,
                title: ch.title.clone(),
                chars: ch.char_count(),
                matches: Vec::new(),
                skipped: None,
            };
            let sig = match h.signature(&ch.text) {
                Ok(s) => s,
                Err(e @ (FpError::TooShort { .. } | FpError::EmptyText)) => {
                    seg.skipped = Some(e.to_string());
                    segments.push(seg);
                    continue;
                }
                Err(e) => return Err(fp_err(e)),
            };
            for m in index.lsh.query(&sig, threshold).map_err(fp_err)? {
                let Some(&(work_id, chapter)) = index.keys.get(m.id as usize) else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(e) = works.entry(work_id) {
                    e.insert(self.catalog.work(work_id)?);
                }
                // Deleted since the index was built, or outside the caller's scope.
                let Some(Some(w)) = works.get(&work_id) else {
                    continue;
                };
                if !scope.admits(w.org, w.published) {
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = orgs.entry(w.org) {
                    let o = self.accounts.org(w.org)?;
                    e.insert(o.map(|o| o.name).unwrap_or_default());
                }
                let meta = self
                    .catalog
                    .chapters(work_id)?
                    .into_iter()
                    .find(|c| c.number == chapter);
                let org_name = orgs.get(&w.org).cloned().unwrap_or_default();
                let deposit = meta
                    .as_ref()
                    .and_then(|c| self.deposits.chapter_deposit(&org_name, &c.sha256));
                let chapter_title = meta.map(|c| c.title).unwrap_or_default();
                seg.matches.push(PiracyMatch {
                    work: work_id,
                    work_title: w.title.clone(),
                    org: w.org,
                    org_name: orgs.get(&w.org).cloned().unwrap_or_default(),
                    chapter,
                    chapter_title,
                    similarity: m.similarity,
                    evidence: Evidence {
                        imported_ms: w.created_ms,
                        deposit_index: deposit.map(|d| d.0),
                        deposit_ms: deposit.and_then(|d| d.1),
                    },
                });
            }
            segments.push(seg);
        }
        Ok(PiracyReport {
            threshold,
            encoding,
            indexed_chapters: index.len(),
            segments,
        })
    }
}

/// Splits a suspected text into chapters with the importer; a text without
/// chapter headings is one segment.
fn split_suspect(file_name: &str, bytes: &[u8]) -> Result<(String, Vec<NewChapter>), AppError> {
    match parse_novel(file_name, bytes, &ImportOptions::default()) {
        Ok(p) => Ok((p.encoding, p.chapters)),
        Err(e) if matches!(e.kind, ErrorKind::NoHeadings | ErrorKind::NoChapterText) => {
            let d = decode::decode_text(bytes).map_err(|kind| {
                AppError::Import(qiantang_works::import::ImportError {
                    file: file_name.to_owned(),
                    kind,
                })
            })?;
            Ok((
                d.encoding.to_string(),
                vec![NewChapter {
                    number: 1,
                    title: String::new(),
                    text: d.text,
                }],
            ))
        }
        Err(e) => Err(AppError::Import(e)),
    }
}
