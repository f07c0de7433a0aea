//! Licence and piracy-check handlers of the JSON API, and their wire shapes
//! (also printed by the CLI's `--json`).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use qiantang_app::ErrorCode;
use serde::Deserialize;

use crate::auth::{Authed, RightsGranter, RightsReader};
use crate::{blocking, HttpError, HubState};
use qiantang_app::clock::rfc3339;
use qiantang_app::piracy::PiracyReport;
use qiantang_app::rights::GrantInput;
use qiantang_app::AppError;
use qiantang_rights::{Conflict, Grant, GrantOutcome, RightsMap};

/// A grant as JSON.
pub fn grant_dto(g: &Grant) -> serde_json::Value {
    serde_json::json!({
        "id": g.id, "work": g.work_id, "org": g.org, "licensee": g.licensee,
        "territories": g.territories, "languages": g.languages, "media": g.media,
        "exclusive": g.exclusive, "start": g.start, "end": g.end, "status": g.status,
        "notes": g.notes, "flagged": g.flagged,
        "conflicts": g.conflicts.iter().map(conflict_dto).collect::<Vec<_>>(),
        "created_by": g.created_by, "created": rfc3339(g.created_ms),
        "revoked": g.revoked_ms.map(rfc3339), "deposit_index": g.deposit_index,
    })
}

/// A conflict as JSON.
pub fn conflict_dto(c: &Conflict) -> serde_json::Value {
    serde_json::json!({
        "grant": c.grant, "licensee": c.licensee,
        "existing_exclusive": c.existing_exclusive, "new_exclusive": c.new_exclusive,
        "territories": c.cells.territories, "languages": c.cells.languages, "media": c.cells.media,
        "from": c.cells.from, "to": c.cells.to, "description": c.description,
    })
}

/// The refusal body of a conflicting grant (HTTP 409).
pub fn refusal_dto(conflicts: &[Conflict]) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": "licence_conflict",
            "message": format!(
                "the grant conflicts with {} existing grant(s): {}; nothing was recorded (send force_flag to record it flagged)",
                conflicts.len(),
                conflicts.iter().map(|c| c.description.as_str()).collect::<Vec<_>>().join("; ")
            ),
        },
        "conflicts": conflicts.iter().map(conflict_dto).collect::<Vec<_>>(),
    })
}

/// A rights map as JSON.
pub fn rights_map_dto(m: &RightsMap) -> serde_json::Value {
    serde_json::to_value(m).unwrap_or(serde_json::Value::Null)
}

/// A piracy report as JSON.
pub fn piracy_dto(r: &PiracyReport) -> serde_json::Value {
    serde_json::json!({
        "threshold": r.threshold,
        "encoding": r.encoding,
        "indexed_chapters": r.indexed_chapters,
        "matched_segments": r.matched_segments(),
        "segments": r.segments.iter().map(|s| serde_json::json!({
            "number": s.number, "title": s.title, "chars": s.chars, "skipped": s.skipped,
            "matches": s.matches.iter().map(|m| serde_json::json!({
                "work": m.work, "title": m.work_title, "org": m.org, "org_name": m.org_name,
                "chapter": m.chapter, "chapter_title": m.chapter_title,
                "similarity": (m.similarity * 1000.0).round() / 1000.0,
                "evidence": {
                    "imported": rfc3339(m.evidence.imported_ms),
                    "deposit_index": m.evidence.deposit_index,
                    "deposited": m.evidence.deposit_ms.map(rfc3339),
                },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub(crate) async fn list_licences(
    RightsReader(w, _): RightsReader,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let list = blocking(&s, move |a| a.rights().list_grants(&w)).await?;
    Ok(Json(list.iter().map(grant_dto).collect()))
}

pub(crate) async fn create_licence(
    RightsGranter(w, auth): RightsGranter,
    State(s): State<HubState>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let input: GrantInput = serde_json::from_slice(&body)
        .map_err(|e| HttpError::invalid(format!("body is not a valid licence: {e}")))?;
    let actor = auth.actor();
    let out = blocking(&s, move |a| a.rights().create_grant(&w, &input, &actor)).await?;
    Ok(match out {
        GrantOutcome::Created(g) => (StatusCode::CREATED, Json(grant_dto(&g))).into_response(),
        GrantOutcome::Refused(c) => (StatusCode::CONFLICT, Json(refusal_dto(&c))).into_response(),
    })
}

pub(crate) async fn revoke_licence(
    RightsGranter(w, auth): RightsGranter,
    State(s): State<HubState>,
    Path((_, licence)): Path<(i64, String)>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let id: i64 = licence
        .parse()
        .map_err(|_| HttpError::invalid(format!("licence id {licence:?} is not a number")))?;
    let actor = auth.actor();
    let g = blocking(&s, move |a| a.rights().revoke_grant(&w, id, &actor)).await?;
    Ok(Json(grant_dto(&g)))
}

pub(crate) async fn rights_map(
    RightsReader(w, _): RightsReader,
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let m = blocking(&s, move |a| a.rights().rights_map(&w)).await?;
    Ok(Json(rights_map_dto(&m)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PiracyQuery {
    threshold: Option<f64>,
    name: Option<String>,
}

pub(crate) async fn piracy_check(
    Authed(auth): Authed,
    State(s): State<HubState>,
    Query(q): Query<PiracyQuery>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, HttpError> {
    let multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    if multipart {
        // Regression (fresh-user trial): a form upload was checked boundary and all.
        return Err(HttpError::new(ErrorCode::UnsupportedMediaType, "send the suspected text as the raw request body (text/plain or application/octet-stream, e.g. curl --data-binary @file), not as a multipart form"));
    }
    if body.is_empty() {
        return Err(HttpError::invalid(
            "send the suspected text (any encoding, or an EPUB) as the request body",
        ));
    }
    let scope = crate::auth::scope_of(&auth.caller);
    let name = q.name.unwrap_or_else(|| "suspect.txt".into());
    let r = blocking(&s, move |a| -> Result<PiracyReport, AppError> {
        a.piracy().piracy_check(&name, &body, q.threshold, &scope)
    })
    .await?;
    Ok(Json(piracy_dto(&r)))
}
