//! The copyright deposit log over the API (issue 5): deposits, entries,
//! receipts, certificates, search by hash, proofs, and the C2SP
//! tlog-tiles read side under `/api/v1/log/`.
//!
//! Access: depositing needs the owner or editor role in the target
//! organization ([`DepositTarget`]). Everything else is **public**: the log
//! is public by design (its entry bundles, served as tiles to any mirror,
//! carry every entry's canonical JSON — SHA-256, media type, size,
//! organization name, title, kind, parent), so entry metadata, receipts and
//! certificates reveal nothing the tiles do not. Content is never in the log.
//!
//! Receipts and certificates are served only for entries covered by a
//! **final** checkpoint (cosigned by the witness policy's threshold; every
//! checkpoint when no witness is required); before that they answer
//! 202 with the status and `Retry-After`.

use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use qiantang_app::ErrorCode;
use serde::Deserialize;

use qiantang_auth::policy::Action;
use qiantang_deposit::{DepositOutcome, DepositService, EntryStatus};
use qiantang_ledger::entry::DepositEntry;

use crate::auth::{refuse, request_auth, RequestAuth};
use crate::{blocking, HttpError, HubState};

/// Admission of a deposit, checked before the body is read: with `?org=NAME`
/// the caller must be owner/editor there (or admin); without it, somewhere.
/// The body's `org` field is checked again ([`deposit_org`]).
pub struct DepositTarget(pub RequestAuth);

impl FromRequestParts<HubState> for DepositTarget {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &HubState) -> Result<Self, Self::Rejection> {
        let a = request_auth(parts);
        let what = "deposit files for this organization";
        if !a.caller.is_authenticated() {
            return Err(refuse(parts, &a.caller, what).into_response());
        }
        #[derive(Deserialize)]
        struct OrgParam {
            org: Option<String>,
        }
        let org = Query::<OrgParam>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.org)
            .filter(|o| !o.trim().is_empty());
        match org {
            None => {
                let any = a.caller.is_admin()
                    || a.caller
                        .roles
                        .iter()
                        .any(|(o, _)| a.caller.can(Action::WriteWork { org: *o }));
                if any {
                    Ok(DepositTarget(a))
                } else {
                    Err(refuse(parts, &a.caller, what).into_response())
                }
            }
            Some(name) => {
                let app = s.app.clone();
                let a2 = a.clone();
                let res = tokio::task::spawn_blocking(move || deposit_org(&app, &a2, Some(&name)))
                    .await
                    .map_err(|_| HttpError::internal().into_response())?;
                match res {
                    Ok(_) => Ok(DepositTarget(a)),
                    Err(e) => Err(e.into_response()),
                }
            }
        }
    }
}

/// The organization a deposit goes to: `requested` (by name) or the caller's
/// only organization where they are owner/editor. 403 / 400 otherwise.
pub fn deposit_org(
    app: &qiantang_app::App,
    auth: &RequestAuth,
    requested: Option<&str>,
) -> Result<i64, HttpError> {
    let forbidden = || {
        HttpError::new(
            ErrorCode::Forbidden,
            "your role does not allow depositing files for that organization (owner or editor)",
        )
    };
    if let Some(name) = requested.map(str::trim).filter(|n| !n.is_empty()) {
        let org = app.accounts().org_named(name).map_err(|_| forbidden())?;
        return if auth.caller.can(Action::WriteWork { org: org.id }) {
            Ok(org.id)
        } else {
            Err(forbidden())
        };
    }
    let writable: Vec<_> = auth
        .caller
        .roles
        .iter()
        .filter(|(o, _)| auth.caller.can(Action::WriteWork { org: *o }))
        .map(|(o, _)| *o)
        .collect();
    match writable.as_slice() {
        [one] => Ok(*one),
        [] => Err(forbidden()),
        _ => Err(HttpError::invalid(
            "you belong to several organizations: say which one with `org`",
        )),
    }
}

/// 503 when this hub process has no deposit log.
pub fn unavailable() -> HttpError {
    HttpError::new(
        ErrorCode::Unavailable,
        "the deposit log is not open in this hub process (`qiantang serve` opens it)",
    )
}

/// The attached deposit service or 503.
pub fn service(s: &HubState) -> Result<std::sync::Arc<DepositService>, HttpError> {
    s.app.deposits().log().ok_or_else(unavailable)
}

fn dep_error(e: qiantang_deposit::DepositError) -> HttpError {
    use qiantang_deposit::DepositError as E;
    match e {
        E::NoSuchEntry { .. } | E::NoSuchParent { .. } => {
            HttpError::new(ErrorCode::NotFound, e.to_string())
        }
        E::Log(ref l) if matches!(l, qiantang_ledger::log::LogError::OutOfRange { .. }) => {
            HttpError::invalid(e.to_string())
        }
        E::Log(qiantang_ledger::log::LogError::Proof(p)) => HttpError::invalid(p.to_string()),
        other => {
            tracing::error!(error = %other, "deposit log error");
            HttpError::internal()
        }
    }
}

/// Fields of a deposit upload.
#[derive(Debug, Default)]
pub(crate) struct DepositUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub parent: Option<u64>,
    pub org: Option<String>,
    pub csrf: Option<String>,
}

pub(crate) async fn read_deposit_upload(mut mp: Multipart) -> Result<DepositUpload, HttpError> {
    let mut up = DepositUpload::default();
    let mut has_file = false;
    let err = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE || crate::upload::is_length_limit(&e) {
            crate::upload::too_large()
        } else {
            HttpError::invalid(format!("malformed multipart body: {}", e.body_text()))
        }
    };
    while let Some(field) = mp.next_field().await.map_err(err)? {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(err)?;
        let text =
            || Some(String::from_utf8_lossy(&data).trim().to_string()).filter(|t| !t.is_empty());
        match name.as_str() {
            "file" => {
                up.file_name = file_name
                    .filter(|f| !f.is_empty())
                    .unwrap_or_else(|| "upload.bin".into());
                up.bytes = data.to_vec();
                has_file = true;
            }
            "title" => up.title = text(),
            "kind" => up.kind = text(),
            "parent" => {
                up.parent = match text() {
                    None => None,
                    Some(p) => Some(p.parse::<u64>().map_err(|_| {
                        HttpError::invalid(format!(
                            "parent must be an entry index (a number), not {p:?}"
                        ))
                    })?),
                }
            }
            "org" => up.org = text(),
            "csrf" => up.csrf = text(),
            _ => {}
        }
    }
    if !has_file {
        return Err(HttpError::invalid(
            "the multipart body has no \"file\" field",
        ));
    }
    Ok(up)
}

/// Links of an entry (API and pages).
pub fn links(index: u64, sha256: &str) -> serde_json::Value {
    serde_json::json!({
        "self": format!("/api/v1/deposits/{index}"),
        "receipt": format!("/api/v1/deposits/{index}/receipt"),
        "certificate": format!("/api/v1/deposits/{index}/certificate"),
        "page": format!("/deposits/{index}"),
        "verify": format!("/verify/{index}?h={sha256}"),
    })
}

fn status_str(s: EntryStatus) -> &'static str {
    match s {
        EntryStatus::Pending => "pending",
        EntryStatus::Integrated => "integrated",
        EntryStatus::Final => "final",
    }
}

/// The outcome of a deposit as JSON.
pub fn outcome_json(out: &DepositOutcome) -> serde_json::Value {
    serde_json::json!({
        "index": out.index,
        "leaf_hash": out.leaf_hash,
        "status": status_str(out.status),
        "duplicate": out.duplicate,
        "entry": out.entry,
        "links": links(out.index, &out.entry.sha256),
    })
}

/// What the hub knows about one entry.
#[derive(Debug, Clone)]
pub struct EntryView {
    /// Index.
    pub index: u64,
    /// Status.
    pub status: EntryStatus,
    /// The entry.
    pub entry: DepositEntry,
    /// Leaf hash, hex.
    pub leaf_hash: String,
    /// The checkpoint the receipt would prove against (`None` while pending).
    pub checkpoint: Option<qiantang_ledger::checkpoint::Checkpoint>,
    /// The checkpoint note (with cosignatures).
    pub checkpoint_note: Option<String>,
    /// Witness cosignatures on it: (name, POSIX seconds).
    pub cosigners: Vec<(String, u64)>,
    /// RFC 3161 time, when a token was obtained.
    pub timestamp: Option<String>,
    /// Parent chain, nearest first.
    pub parents: Vec<(u64, DepositEntry)>,
    /// The log's verifier key.
    pub log_key: String,
}

/// Loads an entry's view.
pub fn entry_view(svc: &DepositService, index: u64) -> Result<EntryView, HttpError> {
    let (status, entry) = svc.entry_with_status(index).map_err(dep_error)?;
    let leaf_hash = entry
        .to_bytes()
        .map(|b| hex::encode(qiantang_ledger::merkle::leaf_hash(&b)))
        .unwrap_or_default();
    let mut v = EntryView {
        index,
        status,
        entry,
        leaf_hash,
        checkpoint: None,
        checkpoint_note: None,
        cosigners: Vec::new(),
        timestamp: None,
        parents: Vec::new(),
        log_key: svc.verifier_key().to_string(),
    };
    if status != EntryStatus::Pending {
        let r = svc.receipt(index).map_err(dep_error)?;
        v.cosigners = r
            .cosignatures
            .iter()
            .map(|c| (c.name.clone(), c.timestamp))
            .collect();
        v.timestamp = r.timestamp_info().map(|t| t.gen_time_utc);
        v.checkpoint_note = Some(r.proof.checkpoint.clone());
        v.checkpoint = Some(r.checkpoint);
        v.parents = svc.parent_chain(index).unwrap_or_default();
    }
    Ok(v)
}

fn rfc3339_secs(s: u64) -> String {
    qiantang_app::clock::rfc3339(i64::try_from(s).unwrap_or(i64::MAX / 1000) * 1000)
}

/// An entry view as JSON.
pub fn view_json(v: &EntryView) -> serde_json::Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::json!({
        "index": v.index,
        "status": status_str(v.status),
        "final": v.status == EntryStatus::Final,
        "leaf_hash": v.leaf_hash,
        "entry": v.entry,
        "checkpoint": v.checkpoint.as_ref().map(|c| serde_json::json!({
            "origin": c.origin, "size": c.size, "root": b64.encode(c.root),
        })),
        "cosigners": v.cosigners.iter().map(|(n, t)| serde_json::json!({"name": n, "time": rfc3339_secs(*t)})).collect::<Vec<_>>(),
        "timestamp": v.timestamp,
        "parents": v.parents.iter().map(|(i, e)| serde_json::json!({"index": i, "title": e.title, "kind": e.kind, "sha256": e.sha256})).collect::<Vec<_>>(),
        "log_key": v.log_key,
        "links": links(v.index, &v.entry.sha256),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct OrgQuery {
    org: Option<String>,
}

/// `POST /deposits`: 202 with the entry's index, leaf hash and status.
pub(super) async fn create_deposit(
    DepositTarget(a): DepositTarget,
    State(s): State<HubState>,
    Query(q): Query<OrgQuery>,
    mp: Multipart,
) -> Result<Response, HttpError> {
    service(&s)?;
    let mut up = read_deposit_upload(mp).await?;
    if up.org.is_none() {
        up.org = q.org;
    }
    let out = do_deposit(&s, &a, up).await?;
    Ok((StatusCode::ACCEPTED, Json(outcome_json(&out))).into_response())
}

/// Resolves the organization and deposits (API and page).
pub(crate) async fn do_deposit(
    s: &HubState,
    a: &RequestAuth,
    up: DepositUpload,
) -> Result<DepositOutcome, HttpError> {
    let app = s.app.clone();
    let a2 = a.clone();
    let requested = up.org.clone();
    let org = tokio::task::spawn_blocking(move || deposit_org(&app, &a2, requested.as_deref()))
        .await
        .map_err(|_| HttpError::internal())??;
    let actor = a.actor();
    blocking(s, move |app| {
        app.deposits().deposit_file(
            org,
            &up.file_name,
            &up.bytes,
            up.title.as_deref(),
            up.kind.as_deref(),
            up.parent,
            &actor,
        )
    })
    .await
}

/// `GET /deposits/{index}`.
pub(super) async fn get_deposit(
    State(s): State<HubState>,
    Path(index): Path<u64>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let svc = service(&s)?;
    let v = tokio::task::spawn_blocking(move || entry_view(&svc, index))
        .await
        .map_err(|_| HttpError::internal())??;
    Ok(Json(view_json(&v)))
}

/// 202 for an entry that is not final yet.
fn not_final(index: u64, status: EntryStatus) -> Response {
    let message = match status {
        EntryStatus::Pending => format!(
            "entry {index} is pending: it becomes final with the next checkpoint (about every second); retry"
        ),
        _ => format!(
            "entry {index} is checkpointed but not final yet: the witness policy's cosignatures are still being collected; retry"
        ),
    };
    let mut r = (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"index": index, "status": status_str(status), "message": message})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

#[derive(Debug, Deserialize)]
pub(super) struct ReceiptQuery {
    part: Option<String>,
}

/// `GET /deposits/{index}/receipt`: the `.tlog-proof` (or `?part=tsr`, the
/// RFC 3161 token) once final; 202 before.
pub(super) async fn get_receipt(
    State(s): State<HubState>,
    Path(index): Path<u64>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, HttpError> {
    let svc = service(&s)?;
    let r = tokio::task::spawn_blocking(move || {
        let status = svc.status(index)?;
        if status != EntryStatus::Final {
            return Ok(Err(status));
        }
        Ok(Ok(svc.receipt(index)?))
    })
    .await
    .map_err(|_| HttpError::internal())?
    .map_err(dep_error)?;
    let r = match r {
        Ok(r) => r,
        Err(status) => return Ok(not_final(index, status)),
    };
    let (body, name) = match q.part.as_deref() {
        None | Some("proof") => (
            r.to_tlog_proof().into_bytes(),
            format!("deposit-{index}.tlog-proof"),
        ),
        Some("tsr") => match r.timestamp_token {
            Some(t) => (t, format!("deposit-{index}.tlog-proof.tsr")),
            None => {
                return Err(HttpError::not_found(format!(
                    "RFC 3161 token of entry {index} (no time-stamping authority answered for it)"
                )))
            }
        },
        Some(other) => {
            return Err(HttpError::invalid(format!(
                "part must be proof or tsr, not {other:?}"
            )))
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "public, max-age=60".to_string()),
        ],
        body,
    )
        .into_response())
}

/// `GET /deposits/{index}/certificate`: the printable HTML certificate once final.
pub(super) async fn get_certificate(
    State(s): State<HubState>,
    Path(index): Path<u64>,
) -> Result<Response, HttpError> {
    let svc = service(&s)?;
    let url = s.app.deposits().deposit_public_url();
    let r = tokio::task::spawn_blocking(move || {
        let status = svc.status(index)?;
        if status != EntryStatus::Final {
            return Ok(Err(status));
        }
        let receipt = svc.receipt(index)?;
        let parents = svc.parent_chain(index)?;
        Ok(Ok(qiantang_deposit::cert::certificate_html(
            &receipt, &url, &parents,
        )))
    })
    .await
    .map_err(|_| HttpError::internal())?
    .map_err(dep_error)?;
    match r {
        Ok(html) => Ok((
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                // Self-contained page: inline print CSS and an inline SVG QR code.
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
                ),
            ],
            html,
        )
            .into_response()),
        Err(status) => Ok(not_final(index, status)),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchQuery {
    sha256: Option<String>,
    org: Option<String>,
    limit: Option<usize>,
}

/// Entries of organization `org` (by name), newest first, at most `limit`
/// (scans the log from the end; at most 100,000 entries are looked at).
pub fn org_entries(
    svc: &DepositService,
    org: &str,
    limit: usize,
) -> Vec<(u64, EntryStatus, DepositEntry)> {
    let mut out = Vec::new();
    let mut i = svc.size() + 1_000_000;
    // Staged entries sit above the checkpoint size: find the top first.
    while i > svc.size() && svc.entry_with_status(i - 1).is_err() {
        i -= 1;
    }
    let floor = i.saturating_sub(100_000);
    while i > floor && out.len() < limit {
        i -= 1;
        if let Ok((st, e)) = svc.entry_with_status(i) {
            if e.org == org {
                out.push((i, st, e));
            }
        }
    }
    out
}

/// `GET /deposits?sha256=HEX` (exact search) or `?org=NAME` (an organization's entries).
pub(super) async fn search_deposits(
    State(s): State<HubState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let svc = service(&s)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let found = match (q.sha256, q.org) {
        (Some(h), org) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(HttpError::invalid("sha256 must be 64 hex digits"));
            }
            tokio::task::spawn_blocking(move || svc.entries_by_hash(&h))
                .await
                .map_err(|_| HttpError::internal())?
                .map_err(dep_error)?
                .into_iter()
                .filter(|(_, _, e)| org.as_deref().is_none_or(|o| e.org == o))
                .take(limit)
                .collect::<Vec<_>>()
        }
        (None, Some(org)) => tokio::task::spawn_blocking(move || org_entries(&svc, &org, limit))
            .await
            .map_err(|_| HttpError::internal())?,
        (None, None) => {
            return Err(HttpError::invalid(
                "give sha256=HEX (exact search) or org=NAME",
            ))
        }
    };
    Ok(Json(
        found
            .iter()
            .map(|(i, st, e)| {
                serde_json::json!({"index": i, "status": status_str(*st), "entry": e, "links": links(*i, &e.sha256)})
            })
            .collect(),
    ))
}

/// `GET /log/key`: the log's verifier key and the witness policy (for offline verification).
pub(super) async fn log_key(
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let svc = service(&s)?;
    let c = svc.config();
    Ok(Json(serde_json::json!({
        "log_key": svc.verifier_key().to_string(),
        "origin": svc.verifier_key().name(),
        "witnesses": c.witnesses.iter().map(|w| w.key.to_string()).collect::<Vec<_>>(),
        "threshold": c.threshold,
        "tsa": c.tsa_url.is_some(),
    })))
}

/// `GET /log/checkpoint` (C2SP tlog-tiles): the latest checkpoint with its cosignatures.
pub(super) async fn log_checkpoint(State(s): State<HubState>) -> Result<Response, HttpError> {
    let svc = service(&s)?;
    let body = tokio::task::spawn_blocking(move || svc.checkpoint())
        .await
        .map_err(|_| HttpError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=5"),
        ],
        body,
    )
        .into_response())
}

/// `GET /log/tile/{*path}` (C2SP tlog-tiles): hash tiles and entry bundles;
/// full tiles are immutable, partial ones (`.p/W`) cached briefly.
pub(super) async fn log_tile(
    State(s): State<HubState>,
    Path(path): Path<String>,
) -> Result<Response, HttpError> {
    let svc = service(&s)?;
    let full = format!("tile/{path}");
    let partial = full.contains(".p/");
    let body = tokio::task::spawn_blocking(move || svc.tile(&full))
        .await
        .map_err(|_| HttpError::internal())?
        .ok_or_else(|| HttpError::not_found(format!("tile {path} (not in this log's tree)")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CACHE_CONTROL,
                if partial {
                    "public, max-age=5"
                } else {
                    "public, max-age=31536000, immutable"
                },
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

/// `GET /log/proof/inclusion?index=&size=` (size defaults to the checkpoint's).
pub(super) async fn inclusion(
    State(s): State<HubState>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let svc = service(&s)?;
    let v = tokio::task::spawn_blocking(move || {
        let size = q.size.unwrap_or_else(|| svc.size());
        if q.index >= size {
            return Err(HttpError::invalid(format!(
                "index {} is not in a tree of size {size}",
                q.index
            )));
        }
        if size > svc.size() {
            return Err(HttpError::invalid(format!(
                "size {size} exceeds the checkpoint size {}",
                svc.size()
            )));
        }
        let hashes = svc.inclusion_proof(q.index, size).map_err(dep_error)?;
        let root = svc.root(size).map_err(dep_error)?;
        let leaf = svc.leaf_hash(q.index).map_err(dep_error)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(serde_json::json!({
            "index": q.index, "size": size,
            "leaf_hash": b64.encode(leaf), "root": b64.encode(root),
            "hashes": hashes.iter().map(|h| b64.encode(h)).collect::<Vec<_>>(),
        }))
    })
    .await
    .map_err(|_| HttpError::internal())??;
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
pub(super) struct ConsistencyQuery {
    old: u64,
    new: Option<u64>,
}

/// `GET /log/proof/consistency?old=&new=` (new defaults to the checkpoint size).
pub(super) async fn consistency(
    State(s): State<HubState>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let svc = service(&s)?;
    let v = tokio::task::spawn_blocking(move || {
        let new = q.new.unwrap_or_else(|| svc.size());
        if q.old > new || new > svc.size() {
            return Err(HttpError::invalid(format!(
                "need old ≤ new ≤ checkpoint size {} (got old {}, new {new})",
                svc.size(),
                q.old
            )));
        }
        let hashes = svc.consistency_proof(q.old, new).map_err(dep_error)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(serde_json::json!({
            "old": q.old, "new": new,
            "old_root": b64.encode(svc.root(q.old).map_err(dep_error)?),
            "new_root": b64.encode(svc.root(new).map_err(dep_error)?),
            "hashes": hashes.iter().map(|h| b64.encode(h)).collect::<Vec<_>>(),
        }))
    })
    .await
    .map_err(|_| HttpError::internal())??;
    Ok(Json(v))
}
