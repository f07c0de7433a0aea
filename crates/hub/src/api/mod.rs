//! The JSON API under `/api/v1/` (see `openapi.json` beside this file, served
//! at `/api/v1/openapi.json`).

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use qiantang_app::accounts::AuditDetail;
use serde::Deserialize;

use crate::auth::{
    Authed, ImportTarget, KbAdmin, KbEditor, KbReviewer, OrgOwner, PlatformAdmin, Policy,
    ReadableWork, RequestAuth, WritableWork,
};
use crate::upload::{do_import, read_upload};
use crate::{blocking, HttpError, HubState};
use qiantang_app::dto::*;
use qiantang_app::{App, AppError};
use qiantang_kb::Concept;

pub mod deposit;
pub mod l10n;
pub mod rights;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Route table of the API: (method, path template, access rule). Kept in
/// step with the router and checked against the OpenAPI document and real
/// requests by tests.
pub const ROUTES: &[(&str, &str, Policy)] = &[
    ("GET", "/openapi.json", Policy::Public),
    ("GET", "/me", Policy::Authenticated),
    ("GET", "/works", Policy::Public),
    ("POST", "/works", Policy::OrgWrite),
    ("GET", "/works/{id}", Policy::WorkRead),
    ("DELETE", "/works/{id}", Policy::WorkWrite),
    ("POST", "/works/{id}/publish", Policy::WorkWrite),
    ("GET", "/works/{id}/chapters", Policy::WorkRead),
    ("GET", "/works/{id}/chapters/{number}", Policy::WorkRead),
    ("GET", "/works/{id}/profile", Policy::WorkRead),
    ("POST", "/works/{id}/tag", Policy::WorkWrite),
    ("GET", "/works/{id}/licences", Policy::WorkMember),
    ("POST", "/works/{id}/licences", Policy::WorkWrite),
    (
        "POST",
        "/works/{id}/licences/{licence}/revoke",
        Policy::WorkWrite,
    ),
    ("GET", "/works/{id}/rights-map", Policy::WorkMember),
    ("POST", "/piracy/check", Policy::Authenticated),
    ("GET", "/kb/concepts", Policy::Public),
    ("GET", "/kb/concepts/{id}", Policy::Public),
    ("PUT", "/kb/concepts/{id}", Policy::KbPropose),
    ("DELETE", "/kb/concepts/{id}", Policy::KbAdmin),
    ("GET", "/kb/concepts/{id}/history", Policy::Authenticated),
    ("GET", "/kb/concepts/{id}/rendering", Policy::Public),
    ("GET", "/kb/markets", Policy::Public),
    ("GET", "/kb/export", Policy::Public),
    ("POST", "/kb/import", Policy::KbAdmin),
    ("GET", "/kb/proposals", Policy::KbPropose),
    ("POST", "/kb/proposals/{proposal}/approve", Policy::KbEdit),
    ("POST", "/kb/proposals/{proposal}/reject", Policy::KbEdit),
    ("GET", "/orgs", Policy::Authenticated),
    ("POST", "/orgs", Policy::Admin),
    ("GET", "/orgs/{org}/members", Policy::OrgOwner),
    ("PUT", "/orgs/{org}/members", Policy::OrgOwner),
    ("DELETE", "/orgs/{org}/members/{user}", Policy::OrgOwner),
    ("GET", "/orgs/{org}/tokens", Policy::OrgOwner),
    ("POST", "/orgs/{org}/tokens", Policy::OrgOwner),
    ("DELETE", "/orgs/{org}/tokens/{token}", Policy::OrgOwner),
    ("GET", "/orgs/{org}/audit", Policy::OrgOwner),
    // The copyright deposit log (api/deposit.rs): depositing needs owner or
    // editor; entries, receipts, certificates, proofs and tiles are public
    // (the log is public: its tiles carry every entry's metadata).
    ("POST", "/deposits", Policy::OrgWrite),
    ("GET", "/deposits", Policy::Public),
    ("GET", "/deposits/{index}", Policy::Public),
    ("GET", "/deposits/{index}/receipt", Policy::Public),
    ("GET", "/deposits/{index}/certificate", Policy::Public),
    ("GET", "/log/key", Policy::Public),
    ("GET", "/log/checkpoint", Policy::Public),
    ("GET", "/log/tile/{*path}", Policy::Public),
    ("GET", "/log/proof/inclusion", Policy::Public),
    ("GET", "/log/proof/consistency", Policy::Public),
];

/// Every API route: [`ROUTES`] plus the localization table
/// ([`crate::api::l10n::ROUTES`]).
pub fn all_routes() -> Vec<(&'static str, &'static str, Policy)> {
    ROUTES
        .iter()
        .chain(crate::api::l10n::ROUTES)
        .copied()
        .collect()
}

/// The API router (to be nested under `/api/v1`).
pub fn routes() -> Router<HubState> {
    Router::new()
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON) }),
        )
        .route("/me", get(me))
        .route("/works", get(list_works).post(upload_work))
        .route("/works/{id}", get(get_work).delete(delete_work))
        .route("/works/{id}/publish", post(publish_work))
        .route("/works/{id}/chapters", get(list_chapters))
        .route("/works/{id}/chapters/{number}", get(get_chapter))
        .route("/works/{id}/profile", get(get_profile))
        .route("/works/{id}/tag", post(tag_work))
        .route(
            "/works/{id}/licences",
            get(rights::list_licences).post(rights::create_licence),
        )
        .route(
            "/works/{id}/licences/{licence}/revoke",
            post(rights::revoke_licence),
        )
        .route("/works/{id}/rights-map", get(rights::rights_map))
        .route("/piracy/check", post(rights::piracy_check))
        .route("/kb/concepts", get(search_concepts))
        .route(
            "/kb/concepts/{id}",
            get(get_concept).put(put_concept).delete(delete_concept),
        )
        .route("/kb/concepts/{id}/history", get(concept_history))
        .route("/kb/concepts/{id}/rendering", get(concept_rendering))
        .route("/kb/markets", get(list_markets))
        .route("/kb/export", get(export_kb))
        .route("/kb/import", post(import_kb))
        .route("/kb/proposals", get(list_proposals))
        .route("/kb/proposals/{proposal}/approve", post(approve_proposal))
        .route("/kb/proposals/{proposal}/reject", post(reject_proposal))
        .route("/orgs", get(list_orgs).post(create_org))
        .route("/orgs/{org}/members", get(list_members).put(put_member))
        .route("/orgs/{org}/members/{user}", delete(remove_member))
        .route("/orgs/{org}/tokens", get(list_tokens).post(create_token))
        .route("/orgs/{org}/tokens/{token}", delete(revoke_token))
        .route("/orgs/{org}/audit", get(org_audit))
        .route(
            "/deposits",
            get(deposit::search_deposits).post(deposit::create_deposit),
        )
        .route("/deposits/{index}", get(deposit::get_deposit))
        .route("/deposits/{index}/receipt", get(deposit::get_receipt))
        .route(
            "/deposits/{index}/certificate",
            get(deposit::get_certificate),
        )
        .route("/log/key", get(deposit::log_key))
        .route("/log/checkpoint", get(deposit::log_checkpoint))
        .route("/log/tile/{*path}", get(deposit::log_tile))
        .route("/log/proof/inclusion", get(deposit::inclusion))
        .route("/log/proof/consistency", get(deposit::consistency))
}

async fn me(
    Authed(a): Authed,
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let caller = a.caller.clone();
    let orgs = blocking(&s, move |app| {
        let mut out = Vec::new();
        for (org, role) in &caller.roles {
            if let Some(o) = app.accounts().org(*org)? {
                out.push(serde_json::json!({"id": o.id, "name": o.name, "role": role.as_str()}));
            }
        }
        Ok(out)
    })
    .await?;
    Ok(Json(serde_json::json!({
        "user": a.caller.user.as_ref().map(|u| serde_json::json!({"id": u.id, "email": u.email, "admin": u.is_admin})),
        "token": a.caller.token.as_ref().map(|t| serde_json::json!({"id": t.id, "org": t.org, "role": t.role.as_str()})),
        "orgs": orgs,
    })))
}

async fn list_works(
    a: RequestAuth,
    State(s): State<HubState>,
) -> Result<Json<Vec<WorkDto>>, HttpError> {
    let scope = crate::auth::scope_of(&a.caller);
    let works = blocking(&s, move |app| app.catalog().list_works(&scope)).await?;
    Ok(Json(works.iter().map(WorkDto::from).collect()))
}

#[derive(Debug, Deserialize)]
struct OrgQuery {
    org: Option<String>,
}

async fn upload_work(
    ImportTarget(_, a): ImportTarget,
    State(s): State<HubState>,
    Query(q): Query<OrgQuery>,
    mp: Multipart,
) -> Result<Response, HttpError> {
    // ImportTarget has refused callers who may not write there, before the body is read.
    let mut up = read_upload(mp).await?;
    if up.org.is_none() {
        up.org = q.org;
    }
    let dry = up.dry_run;
    let report = do_import(&s, &a, up).await?;
    let status = if dry {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(ImportDto::from(&report))).into_response())
}

async fn get_work(ReadableWork(w, _): ReadableWork) -> Json<WorkDto> {
    Json(WorkDto::from(&w))
}

async fn delete_work(
    WritableWork(w, a): WritableWork,
    State(s): State<HubState>,
) -> Result<StatusCode, HttpError> {
    let actor = a.actor();
    blocking(&s, move |app| {
        app.catalog().delete_work(&w, &actor)?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct PublishBody {
    published: bool,
}

async fn publish_work(
    WritableWork(w, a): WritableWork,
    State(s): State<HubState>,
    Json(body): Json<PublishBody>,
) -> Result<Json<WorkDto>, HttpError> {
    let actor = a.actor();
    let w = blocking(&s, move |app| {
        app.catalog().set_published(&w, body.published, &actor)
    })
    .await?;
    Ok(Json(WorkDto::from(&w)))
}

async fn list_chapters(
    ReadableWork(w, _): ReadableWork,
    State(s): State<HubState>,
) -> Result<Json<Vec<ChapterDto>>, HttpError> {
    let id = w.id;
    let chapters = blocking(&s, move |a| a.catalog().chapters(id)).await?;
    Ok(Json(chapters.iter().map(ChapterDto::from).collect()))
}

async fn get_chapter(
    ReadableWork(w, _): ReadableWork,
    State(s): State<HubState>,
    Path((_, number)): Path<(i64, u32)>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let id = w.id;
    let (meta, text, occ) = blocking(&s, move |a| {
        let (meta, text) = a
            .catalog()
            .chapter(id, number)?
            .ok_or_else(|| AppError::NotFound(format!("chapter {number} of work {id}")))?;
        let occ = a.catalog().chapter_occurrences(id, number)?;
        Ok((meta, text, occ))
    })
    .await?;
    Ok(Json(serde_json::json!({
        "chapter": ChapterDto::from(&meta),
        "text": text,
        "occurrences": occ.iter().map(OccurrenceDto::from).collect::<Vec<_>>(),
    })))
}

async fn get_profile(
    ReadableWork(w, _): ReadableWork,
    State(s): State<HubState>,
) -> Result<Json<ProfileDto>, HttpError> {
    let id = w.id;
    let p = blocking(&s, move |a| {
        a.catalog()
            .profile(id)?
            .ok_or_else(|| AppError::NotFound(format!("profile of work {id} (not tagged yet)")))
    })
    .await?;
    Ok(Json(ProfileDto::from(&p)))
}

async fn tag_work(
    WritableWork(w, auth): WritableWork,
    State(s): State<HubState>,
) -> Result<Json<ProfileDto>, HttpError> {
    let id = w.id;
    let actor = auth.actor();
    let p = blocking(&s, move |a| {
        let n = a.catalog().tag_work(id)?;
        a.accounts().audit(
            Some(w.org),
            &actor,
            "work_tagged",
            &format!("work:{id}"),
            AuditDetail::new().with("occurrences", n),
        );
        a.catalog()
            .profile(id)?
            .ok_or_else(|| AppError::NotFound(format!("work {id}")))
    })
    .await?;
    Ok(Json(ProfileDto::from(&p)))
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    category: Option<String>,
    limit: Option<usize>,
}

async fn search_concepts(
    State(s): State<HubState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<ConceptSummaryDto>>, HttpError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let found = blocking(&s, move |a| {
        let list: Vec<Concept> = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(query) => a.kb().search(query, limit)?,
            None => a.kb().view().concepts.values().cloned().collect(),
        };
        Ok(list
            .into_iter()
            .filter(|c| q.category.as_deref().is_none_or(|k| c.category == k))
            .take(limit)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(found.iter().map(ConceptSummaryDto::from).collect()))
}

/// A concept with narrower ids, renderings and where it is used.
/// `scope` limits "where used" to works the caller may see.
pub fn concept_view(
    a: &App,
    id: &str,
    scope: &qiantang_works::model::WorkScope,
) -> Result<ConceptDto, AppError> {
    let kb = a.kb().view();
    let c = kb
        .concepts
        .get(id)
        .ok_or_else(|| AppError::NotFound(format!("concept {id}")))?;
    let uses = a.catalog().concept_uses(id, scope)?;
    Ok(ConceptDto {
        concept: serde_json::to_value(c).map_err(|e| AppError::Invalid(e.to_string()))?,
        narrower: kb.narrower.get(id).cloned().unwrap_or_default(),
        renderings: kb
            .renderings
            .get(id)
            .map(|rs| rs.iter().map(|r| RenderingDto::new(r, false)).collect())
            .unwrap_or_default(),
        used_in: uses.iter().map(ConceptUseDto::from).collect(),
    })
}

async fn get_concept(
    a: RequestAuth,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> Result<Json<ConceptDto>, HttpError> {
    let scope = crate::auth::scope_of(&a.caller);
    Ok(Json(
        blocking(&s, move |app| concept_view(app, &id, &scope)).await?,
    ))
}

async fn put_concept(
    KbEditor(auth): KbEditor,
    State(s): State<HubState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let concept: Concept = serde_json::from_slice(&body)
        .map_err(|e| HttpError::invalid(format!("body is not a valid concept: {e}")))?;
    if concept.id != id {
        return Err(HttpError::invalid(format!(
            "concept id {:?} in the body does not match the path {id:?}",
            concept.id
        )));
    }
    let scope = crate::auth::scope_of(&auth.caller);
    let actor = auth.actor();
    if !auth
        .caller
        .can(qiantang_auth::policy::Action::ApproveConcept)
    {
        // Editors propose; a reviewer or admin decides (qiantang_auth::policy).
        let pid = blocking(&s, move |a| a.kb().propose_concept(concept, &actor)).await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"proposal": pid, "status": "pending", "concept": id})),
        )
            .into_response());
    }
    let dto = blocking(&s, move |a| {
        a.kb().save_concept(concept, &actor.name)?;
        a.accounts().audit(
            None,
            &actor,
            "concept_edited",
            &format!("concept:{id}"),
            AuditDetail::new(),
        );
        concept_view(a, &id, &scope)
    })
    .await?;
    Ok(Json(dto).into_response())
}

/// A proposal as JSON.
pub fn proposal_dto(p: &qiantang_kb::ConceptProposal) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "concept": p.concept, "status": p.status.as_str(),
        "proposer": p.proposer, "created": qiantang_app::clock::rfc3339(p.created_ms),
        "reviewer": p.reviewer, "decided": p.decided_ms.map(qiantang_app::clock::rfc3339),
        "proposed": serde_json::from_str::<serde_json::Value>(&p.concept_json).unwrap_or(serde_json::Value::Null),
    })
}

#[derive(Debug, Deserialize)]
struct ProposalQuery {
    status: Option<String>,
    limit: Option<usize>,
}

async fn list_proposals(
    _: KbEditor,
    State(s): State<HubState>,
    Query(q): Query<ProposalQuery>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let status = match q.status.as_deref() {
        None | Some("all") => None,
        Some(x) => Some(qiantang_kb::ProposalStatus::parse(x).ok_or_else(|| {
            HttpError::invalid(format!(
                "unknown status {x:?}: pending, approved, rejected or all"
            ))
        })?),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let list = blocking(&s, move |a| a.kb().list_proposals(status, limit)).await?;
    Ok(Json(list.iter().map(proposal_dto).collect()))
}

async fn approve_proposal(
    KbReviewer(auth): KbReviewer,
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let actor = auth.actor();
    let p = blocking(&s, move |a| a.kb().decide_proposal(id, true, &actor)).await?;
    Ok(Json(proposal_dto(&p)))
}

async fn reject_proposal(
    KbReviewer(auth): KbReviewer,
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let actor = auth.actor();
    let p = blocking(&s, move |a| a.kb().decide_proposal(id, false, &actor)).await?;
    Ok(Json(proposal_dto(&p)))
}

async fn delete_concept(
    KbAdmin(auth): KbAdmin,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let actor = auth.actor();
    blocking(&s, move |a| {
        if !a.kb().delete_concept(&id, &actor)? {
            return Err(AppError::NotFound(format!("concept {id}")));
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn concept_history(
    _: Authed,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let revs = blocking(&s, move |a| a.kb().concept_history(&id)).await?;
    Ok(Json(serde_json::Value::Array(
        revs.iter()
            .map(|r| {
                serde_json::json!({
                    "revision": r.revision,
                    "actor": r.actor,
                    "at": qiantang_app::clock::rfc3339(r.at_ms),
                    "concept": serde_json::from_str::<serde_json::Value>(&r.concept_json).unwrap_or_default(),
                })
            })
            .collect(),
    )))
}

#[derive(Debug, Deserialize)]
struct MarketQuery {
    market: String,
}

async fn concept_rendering(
    State(s): State<HubState>,
    Path(id): Path<String>,
    Query(q): Query<MarketQuery>,
) -> Result<Json<RenderingDto>, HttpError> {
    let kb = s.app.kb().view();
    let c = kb
        .concepts
        .get(&id)
        .ok_or_else(|| HttpError::not_found(format!("concept {id}")))?;
    let region = q.market.to_ascii_uppercase();
    let m = kb
        .markets
        .get(&region)
        .ok_or_else(|| HttpError::not_found(format!("market {region}")))?;
    let r = kb.rendering_for(c, m);
    Ok(Json(RenderingDto::new(&r.rendering, r.fallback)))
}

async fn list_markets(State(s): State<HubState>) -> Json<Vec<MarketDto>> {
    Json(
        s.app
            .kb()
            .view()
            .markets
            .values()
            .map(MarketDto::from)
            .collect(),
    )
}

#[derive(Debug, Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

async fn export_kb(
    State(s): State<HubState>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, HttpError> {
    let format = q.format.unwrap_or_else(|| "skos".into());
    let (ct, body) = blocking(&s, move |a| a.kb().export(&format)).await?;
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

async fn import_kb(
    KbAdmin(auth): KbAdmin,
    State(s): State<HubState>,
    Query(q): Query<FormatQuery>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, HttpError> {
    let format = q.format.unwrap_or_else(|| "skos".into());
    let actor = auth.actor();
    let (c, r) = blocking(&s, move |a| {
        let n = a.kb().import_file(&format, &body, &actor.name)?;
        a.accounts().audit(
            None,
            &actor,
            "kb_imported",
            "kb",
            AuditDetail::new()
                .with("concepts", n.0)
                .with("renderings", n.1),
        );
        Ok(n)
    })
    .await?;
    Ok(Json(serde_json::json!({"concepts": c, "renderings": r})))
}

fn org_dto(o: &qiantang_auth::Org, role: Option<qiantang_auth::Role>) -> serde_json::Value {
    serde_json::json!({"id": o.id, "name": o.name, "role": role.map(|r| r.as_str()), "created": qiantang_app::clock::rfc3339(o.created_ms)})
}

fn token_dto(t: &qiantang_auth::ApiToken) -> serde_json::Value {
    serde_json::json!({
        "id": t.id, "org": t.org, "role": t.role.as_str(), "name": t.name,
        "created": qiantang_app::clock::rfc3339(t.created_ms),
        "last_used": t.last_used_ms.map(qiantang_app::clock::rfc3339),
        "revoked": t.revoked_ms.map(qiantang_app::clock::rfc3339),
    })
}

/// An audit entry as JSON (the JSON-lines export has one of these per line).
pub fn audit_dto(e: &qiantang_auth::AuditEntry) -> serde_json::Value {
    serde_json::json!({
        "id": e.id, "at": qiantang_app::clock::rfc3339(e.at_ms), "org": e.org, "actor": e.actor,
        "action": e.action, "object": e.object,
        "detail": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or(serde_json::Value::Null),
        "ip": e.ip,
    })
}

async fn list_orgs(
    Authed(a): Authed,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let caller = a.caller.clone();
    Ok(Json(
        blocking(&s, move |app| {
            let all = app.accounts().list_orgs()?;
            Ok(all
                .iter()
                .filter(|o| caller.is_admin() || caller.role_in(o.id).is_some())
                .map(|o| org_dto(o, caller.role_in(o.id)))
                .collect())
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct NewOrgBody {
    name: String,
}

async fn create_org(
    PlatformAdmin(a): PlatformAdmin,
    State(s): State<HubState>,
    Json(b): Json<NewOrgBody>,
) -> Result<Response, HttpError> {
    let actor = a.actor();
    let o = blocking(&s, move |app| app.accounts().create_org(&b.name, &actor)).await?;
    Ok((StatusCode::CREATED, Json(org_dto(&o, None))).into_response())
}

async fn list_members(
    OrgOwner(org, _): OrgOwner,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let m = blocking(&s, move |app| app.accounts().members(org)).await?;
    Ok(Json(
        m.iter()
            .map(|(u, r)| serde_json::json!({"user": u.id, "email": u.email, "role": r.as_str()}))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
struct MemberBody {
    email: String,
    role: String,
}

async fn put_member(
    OrgOwner(org, a): OrgOwner,
    State(s): State<HubState>,
    Json(b): Json<MemberBody>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let role = crate::auth::grantable_role(&a.caller, &b.role)?;
    let actor = a.actor();
    let admin = a.caller.is_admin();
    let user = blocking(&s, move |app| {
        app.accounts()
            .change_member_role(org, &b.email, role, admin, &actor)
    })
    .await?;
    Ok(Json(
        serde_json::json!({"user": user.id, "email": user.email, "role": role.as_str()}),
    ))
}

async fn remove_member(
    OrgOwner(org, a): OrgOwner,
    State(s): State<HubState>,
    Path((_, user)): Path<(i64, i64)>,
) -> Result<StatusCode, HttpError> {
    let actor = a.actor();
    blocking(&s, move |app| {
        app.accounts().remove_member(org, user, &actor)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tokens(
    OrgOwner(org, _): OrgOwner,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let t = blocking(&s, move |app| app.accounts().list_tokens(org)).await?;
    Ok(Json(t.iter().map(token_dto).collect()))
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    role: String,
    #[serde(default)]
    name: String,
}

async fn create_token(
    OrgOwner(org, a): OrgOwner,
    State(s): State<HubState>,
    Json(b): Json<TokenBody>,
) -> Result<Response, HttpError> {
    let role = crate::auth::grantable_role(&a.caller, &b.role)?;
    let actor = a.actor();
    let by = a.caller.user.as_ref().map(|u| u.id);
    let (t, secret) = blocking(&s, move |app| {
        app.accounts().create_token(org, role, &b.name, by, &actor)
    })
    .await?;
    let mut v = token_dto(&t);
    v["token"] = serde_json::Value::String(secret);
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(v),
    )
        .into_response())
}

async fn revoke_token(
    OrgOwner(org, a): OrgOwner,
    State(s): State<HubState>,
    Path((_, token)): Path<(i64, i64)>,
) -> Result<StatusCode, HttpError> {
    let actor = a.actor();
    blocking(&s, move |app| {
        match app.accounts().token(token)? {
            Some(t) if t.org == org => {}
            _ => return Err(AppError::NotFound(format!("token {token}"))),
        }
        app.accounts().revoke_token(token, &actor)?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<usize>,
    format: Option<String>,
}

async fn org_audit(
    OrgOwner(org, _): OrgOwner,
    State(s): State<HubState>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, HttpError> {
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    if !matches!(q.format.as_deref(), None | Some("json") | Some("jsonl")) {
        return Err(HttpError::invalid("format must be json or jsonl"));
    }
    let entries = blocking(&s, move |app| {
        app.accounts().list_audit(Some(org), q.before, limit)
    })
    .await?;
    if q.format.as_deref() == Some("jsonl") {
        let mut body = String::new();
        for e in &entries {
            body.push_str(&audit_dto(e).to_string());
            body.push('\n');
        }
        return Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response());
    }
    Ok(Json(entries.iter().map(audit_dto).collect::<Vec<_>>()).into_response())
}
