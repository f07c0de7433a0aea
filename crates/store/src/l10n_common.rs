//! Backend-independent parts of the localization store: column encodings and
//! the segment update rules, so SQLite and PostgreSQL behave the same.

use sha2::{Digest, Sha256};

use qiantang_core::StoreError;
use qiantang_l10n::model::*;

pub(crate) fn bad_state(what: &str, v: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} {v:?} is unknown"))
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("encode {what}: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s)
        .map_err(|e| StoreError::Backend(format!("stored {what} is invalid JSON: {e}")))
}

pub(crate) fn enc_origin(o: Option<&Origin>) -> Result<Option<String>, StoreError> {
    o.map(|o| json("origin", o)).transpose()
}

pub(crate) fn parse_origin(s: Option<&str>) -> Result<Option<Origin>, StoreError> {
    s.map(|s| parse("origin", s)).transpose()
}

pub(crate) fn settings_json(s: &ProjectSettings) -> Result<String, StoreError> {
    json("project settings", s)
}

pub(crate) fn parse_settings(s: &str) -> Result<ProjectSettings, StoreError> {
    parse("project settings", s)
}

pub(crate) fn job_kind_json(k: &JobKind) -> Result<String, StoreError> {
    json("job kind", k)
}

pub(crate) fn parse_job_kind(s: &str) -> Result<JobKind, StoreError> {
    parse("job kind", s)
}

pub(crate) fn list_json(v: &[String]) -> Result<String, StoreError> {
    json("list", &v)
}

pub(crate) fn parse_list(what: &str, s: &str) -> Result<Vec<String>, StoreError> {
    parse(what, s)
}

/// Deduplication key of a translation unit: SHA-256 over the languages,
/// source and target (NUL-separated), hex.
pub(crate) fn unit_key(u: &TranslationUnit) -> String {
    let mut h = Sha256::new();
    for part in [&u.source_lang, &u.target_lang, &u.source, &u.target] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Applies one [`SegmentUpdate`] to the current row: `Ok(None)` when skipped
/// by `only_if_new`, a conflict on a version mismatch.
pub(crate) fn apply_update(cur: Segment, u: &SegmentUpdate) -> Result<Option<Segment>, StoreError> {
    if u.only_if_new && cur.state != SegmentState::New {
        return Ok(None);
    }
    if let Some(v) = u.expected_version {
        if v != cur.version {
            return Err(StoreError::Conflict(format!(
                "segment {} was changed by {} in the meantime (version {}, you edited version {v}); reload it",
                cur.id,
                cur.updated_by.as_deref().unwrap_or("someone"),
                cur.version
            )));
        }
    }
    let mut next = cur;
    if let Some(t) = &u.target {
        next.target = Some(t.clone());
        next.origin = u.origin.clone();
    } else if u.origin.is_some() {
        next.origin = u.origin.clone();
    }
    next.state = u.state;
    next.version += 1;
    next.updated_by = Some(u.by.clone());
    next.updated_ms = u.at_ms;
    Ok(Some(next))
}

/// A changed source keeps the target as a starting point but sends the
/// segment back to `draft` when it was past it.
pub(crate) fn apply_source_change(cur: Segment, source: &str, by: &str, at_ms: i64) -> Segment {
    let mut next = cur;
    next.source = source.to_string();
    if next.state > SegmentState::Draft {
        next.state = SegmentState::Draft;
    }
    next.version += 1;
    next.updated_by = Some(by.to_string());
    next.updated_ms = at_ms;
    next
}

/// Folds `(chapter, state, count, source chars)` rows into the project total
/// followed by one entry per chapter.
pub(crate) fn fold_progress(
    rows: Vec<(u32, String, u32, i64)>,
) -> Result<Vec<Progress>, StoreError> {
    let mut total = Progress::default();
    let mut chapters: Vec<Progress> = Vec::new();
    for (chapter, state, n, chars) in rows {
        let st = SegmentState::parse(&state).ok_or_else(|| bad_state("segment state", &state))?;
        let chars = u64::try_from(chars).unwrap_or(0);
        if chapters.last().map(|p| p.chapter) != Some(Some(chapter)) {
            chapters.push(Progress {
                chapter: Some(chapter),
                ..Progress::default()
            });
        }
        if let Some(p) = chapters.last_mut() {
            p.by_state[st as usize] += n;
            p.source_chars += chars;
        }
        total.by_state[st as usize] += n;
        total.source_chars += chars;
    }
    let mut out = vec![total];
    out.extend(chapters);
    Ok(out)
}

/// The counters of a usage record as `i64` for SQL.
pub(crate) fn usage_params(u: &MtUsage) -> Result<[i64; 5], StoreError> {
    let c = |v: u64| {
        i64::try_from(v).map_err(|_| StoreError::Invalid(format!("usage counter {v} too large")))
    };
    Ok([
        c(u.requests)?,
        c(u.prompt_tokens)?,
        c(u.completion_tokens)?,
        c(u.characters)?,
        c(u.cached_segments)?,
    ])
}
