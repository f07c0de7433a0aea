//! Grant rows shared by both backends: lists and conflicts are stored as
//! JSON text, days as `YYYY-MM-DD` text.

use qiantang_core::StoreError;
use qiantang_rights::{Conflict, Day, Grant, NewGrant};

/// Columns of `grants` in [`GrantRow`] order.
pub(crate) const GRANT_COLS: &str = "id, work, org, licensee, territories, languages, media, exclusive, start_day, end_day, status, notes, flagged, conflicts, created_by, created_ms, revoked_ms, deposit_index";

/// A `grants` row as stored.
pub(crate) struct GrantRow {
    pub id: i64,
    pub work: i64,
    pub org: i64,
    pub licensee: String,
    pub territories: String,
    pub languages: String,
    pub media: String,
    pub exclusive: bool,
    pub start_day: String,
    pub end_day: Option<String>,
    pub status: String,
    pub notes: String,
    pub flagged: bool,
    pub conflicts: String,
    pub created_by: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
    pub deposit_index: Option<i64>,
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored grant: invalid {what}: {e}"))
}

pub(crate) fn grant_from_parts(r: GrantRow) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: r.id,
        work_id: r.work,
        org: r.org,
        licensee: r.licensee,
        territories: serde_json::from_str(&r.territories).map_err(|e| bad("territories", e))?,
        languages: serde_json::from_str(&r.languages).map_err(|e| bad("languages", e))?,
        media: serde_json::from_str(&r.media).map_err(|e| bad("media", e))?,
        exclusive: r.exclusive,
        start: Day::parse(&r.start_day).map_err(|e| bad("start", e))?,
        end: r
            .end_day
            .as_deref()
            .map(Day::parse)
            .transpose()
            .map_err(|e| bad("end", e))?,
        status: r.status.parse().map_err(|e| bad("status", e))?,
        notes: r.notes,
        flagged: r.flagged,
        conflicts: serde_json::from_str::<Vec<Conflict>>(&r.conflicts)
            .map_err(|e| bad("conflicts", e))?,
        created_by: r.created_by,
        created_ms: r.created_ms,
        revoked_ms: r.revoked_ms,
        deposit_index: r
            .deposit_index
            .map(u64::try_from)
            .transpose()
            .map_err(|e| bad("deposit index", e))?,
    })
}

/// Text columns of a new grant.
pub(crate) struct GrantParams {
    pub territories: String,
    pub languages: String,
    pub media: String,
    pub start_day: String,
    pub end_day: Option<String>,
    pub conflicts: String,
}

pub(crate) fn params_of(g: &NewGrant, conflicts: &[Conflict]) -> Result<GrantParams, StoreError> {
    let j = |v: Result<String, serde_json::Error>| {
        v.map_err(|e| StoreError::Invalid(format!("grant cannot be serialized: {e}")))
    };
    Ok(GrantParams {
        territories: j(serde_json::to_string(&g.territories))?,
        languages: j(serde_json::to_string(&g.languages))?,
        media: j(serde_json::to_string(&g.media))?,
        start_day: g.start.to_string(),
        end_day: g.end.map(|d| d.to_string()),
        conflicts: j(serde_json::to_string(conflicts))?,
    })
}
