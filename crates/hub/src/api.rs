//! The JSON API under `/api/v1/` (see `openapi.json` beside this file, served
//! at `/api/v1/openapi.json`).

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::app::{App, AppError};
use crate::dto::*;
use crate::{blocking, HttpError, HubState};
use qiantang_kb::Concept;
use qiantang_works::import::ImportOptions;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Route table of the API: (method, path template). Kept in step with the
/// router and checked against the OpenAPI document by a test.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/openapi.json"),
    ("GET", "/works"),
    ("POST", "/works"),
    ("GET", "/works/{id}"),
    ("DELETE", "/works/{id}"),
    ("GET", "/works/{id}/chapters"),
    ("GET", "/works/{id}/chapters/{number}"),
    ("GET", "/works/{id}/profile"),
    ("POST", "/works/{id}/tag"),
    ("GET", "/kb/concepts"),
    ("GET", "/kb/concepts/{id}"),
    ("PUT", "/kb/concepts/{id}"),
    ("DELETE", "/kb/concepts/{id}"),
    ("GET", "/kb/concepts/{id}/history"),
    ("GET", "/kb/concepts/{id}/rendering"),
    ("GET", "/kb/markets"),
    ("GET", "/kb/export"),
    ("POST", "/kb/import"),
];

/// The API router (to be nested under `/api/v1`).
pub fn routes() -> Router<HubState> {
    Router::new()
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON) }),
        )
        .route("/works", get(list_works).post(upload_work))
        .route("/works/{id}", get(get_work).delete(delete_work))
        .route("/works/{id}/chapters", get(list_chapters))
        .route("/works/{id}/chapters/{number}", get(get_chapter))
        .route("/works/{id}/profile", get(get_profile))
        .route("/works/{id}/tag", post(tag_work))
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
}

async fn list_works(State(s): State<HubState>) -> Result<Json<Vec<WorkDto>>, HttpError> {
    let works = blocking(&s, |a| Ok(a.stores().works.list_works()?)).await?;
    Ok(Json(works.iter().map(WorkDto::from).collect()))
}

/// Fields of an upload (multipart or the web form).
#[derive(Debug, Default)]
pub(crate) struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub heading_pattern: Option<String>,
    pub dry_run: bool,
}

/// True when a multipart error was caused by the body size limit
/// (`http_body_util::LengthLimitError` somewhere in the source chain).
fn is_length_limit(e: &axum::extract::multipart::MultipartError) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>()
            || err.to_string().contains("length limit exceeded")
        {
            return true;
        }
        cur = err.source();
    }
    false
}

pub(crate) async fn read_upload(mut mp: Multipart) -> Result<Upload, HttpError> {
    let mut up = Upload::default();
    let mut has_file = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE || is_length_limit(&e) {
                        too_large()
                    } else {
                        HttpError::invalid(format!("malformed multipart body: {}", e.body_text()))
                    },
                )
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE || is_length_limit(&e) {
                too_large()
            } else {
                HttpError::invalid(format!("malformed multipart body: {}", e.body_text()))
            }
        })?;
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "file" => {
                up.file_name = file_name.unwrap_or_else(|| "upload.txt".into());
                up.bytes = data.to_vec();
                has_file = true;
            }
            "title" => up.title = Some(text()).filter(|t| !t.is_empty()),
            "author" => up.author = Some(text()).filter(|t| !t.is_empty()),
            "heading_pattern" => up.heading_pattern = Some(text()).filter(|t| !t.is_empty()),
            "dry_run" => up.dry_run = matches!(text().as_str(), "1" | "true" | "on" | "yes"),
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

pub(crate) fn too_large() -> HttpError {
    HttpError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "payload_too_large",
        message: "the upload exceeds the server's size limit (max_upload_bytes)".into(),
    }
}

pub(crate) async fn do_import(
    s: &HubState,
    up: Upload,
) -> Result<crate::app::ImportReport, HttpError> {
    blocking(s, move |a: &App| {
        let opts = ImportOptions {
            heading_pattern: up.heading_pattern.clone(),
        };
        a.import_novel(
            &up.file_name,
            &up.bytes,
            up.title.as_deref(),
            up.author.as_deref(),
            &opts,
            up.dry_run,
        )
    })
    .await
}

async fn upload_work(State(s): State<HubState>, mp: Multipart) -> Result<Response, HttpError> {
    let up = read_upload(mp).await?;
    let dry = up.dry_run;
    let report = do_import(&s, up).await?;
    let status = if dry {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(ImportDto::from(&report))).into_response())
}

async fn get_work(
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<Json<WorkDto>, HttpError> {
    let w = blocking(&s, move |a| {
        a.stores()
            .works
            .get_work(id)?
            .ok_or_else(|| AppError::NotFound(format!("work {id}")))
    })
    .await?;
    Ok(Json(WorkDto::from(&w)))
}

async fn delete_work(
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, HttpError> {
    let gone = blocking(&s, move |a| Ok(a.stores().works.delete_work(id)?)).await?;
    if gone {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(HttpError::not_found(format!("work {id}")))
    }
}

async fn list_chapters(
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ChapterDto>>, HttpError> {
    let chapters = blocking(&s, move |a| {
        if a.stores().works.get_work(id)?.is_none() {
            return Err(AppError::NotFound(format!("work {id}")));
        }
        Ok(a.stores().works.list_chapters(id)?)
    })
    .await?;
    Ok(Json(chapters.iter().map(ChapterDto::from).collect()))
}

async fn get_chapter(
    State(s): State<HubState>,
    Path((id, number)): Path<(i64, u32)>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let (meta, text, occ) = blocking(&s, move |a| {
        let (meta, text) = a
            .stores()
            .works
            .get_chapter(id, number)?
            .ok_or_else(|| AppError::NotFound(format!("chapter {number} of work {id}")))?;
        let occ = a.stores().works.chapter_occurrences(id, number)?;
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
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<Json<ProfileDto>, HttpError> {
    let p = blocking(&s, move |a| {
        a.profile(id)?
            .ok_or_else(|| AppError::NotFound(format!("profile of work {id} (not tagged yet)")))
    })
    .await?;
    Ok(Json(ProfileDto::from(&p)))
}

async fn tag_work(
    State(s): State<HubState>,
    Path(id): Path<i64>,
) -> Result<Json<ProfileDto>, HttpError> {
    let p = blocking(&s, move |a| {
        a.tag_work(id)?;
        a.profile(id)?
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
            Some(query) => a.stores().kb.search_concepts(query, limit)?,
            None => a.kb().concepts.values().cloned().collect(),
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
pub fn concept_view(a: &App, id: &str) -> Result<ConceptDto, AppError> {
    let kb = a.kb();
    let c = kb
        .concepts
        .get(id)
        .ok_or_else(|| AppError::NotFound(format!("concept {id}")))?;
    let uses = a.stores().works.concept_uses(id)?;
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
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> Result<Json<ConceptDto>, HttpError> {
    Ok(Json(blocking(&s, move |a| concept_view(a, &id)).await?))
}

async fn put_concept(
    State(s): State<HubState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ConceptDto>, HttpError> {
    let concept: Concept = serde_json::from_slice(&body)
        .map_err(|e| HttpError::invalid(format!("body is not a valid concept: {e}")))?;
    if concept.id != id {
        return Err(HttpError::invalid(format!(
            "concept id {:?} in the body does not match the path {id:?}",
            concept.id
        )));
    }
    Ok(Json(
        blocking(&s, move |a| {
            a.save_concept(concept, "api")?;
            concept_view(a, &id)
        })
        .await?,
    ))
}

async fn delete_concept(
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    blocking(&s, move |a| {
        let kb = a.kb();
        if let Some(children) = kb.narrower.get(&id).filter(|c| !c.is_empty()) {
            return Err(AppError::Invalid(format!(
                "concept {id} has narrower concepts ({}); move or delete them first",
                children.join(", ")
            )));
        }
        if !a.stores().kb.delete_concept(&id)? {
            return Err(AppError::NotFound(format!("concept {id}")));
        }
        a.refresh_kb()
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn concept_history(
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let revs = blocking(&s, move |a| Ok(a.stores().kb.concept_history(&id)?)).await?;
    Ok(Json(serde_json::Value::Array(
        revs.iter()
            .map(|r| {
                serde_json::json!({
                    "revision": r.revision,
                    "actor": r.actor,
                    "at": crate::clock::rfc3339(r.at_ms),
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
    let kb = s.app.kb();
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
    Json(s.app.kb().markets.values().map(MarketDto::from).collect())
}

#[derive(Debug, Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

/// Serializes the whole KB in `format` (`skos` JSON-LD or `tbx`): (content type, body).
pub fn export_body(a: &App, format: &str) -> Result<(&'static str, String), AppError> {
    let kb = a.kb();
    let concepts: Vec<Concept> = kb.concepts.values().cloned().collect();
    let renderings: Vec<_> = kb.renderings.values().flatten().cloned().collect();
    match format {
        "skos" | "jsonld" | "json-ld" => {
            let v = qiantang_kb::skos::export(&concepts, &renderings, SKOS_BASE);
            Ok((
                "application/ld+json",
                serde_json::to_string_pretty(&v).map_err(|e| AppError::Invalid(e.to_string()))?,
            ))
        }
        "tbx" => Ok((
            "application/x-tbx+xml",
            qiantang_kb::tbx::export(&concepts, &renderings),
        )),
        other => Err(AppError::Invalid(format!(
            "unknown export format {other:?}; use skos or tbx"
        ))),
    }
}

/// Base IRI of exported concepts.
pub const SKOS_BASE: &str = "https://qiantang.invalid/kb/concept/";

async fn export_kb(
    State(s): State<HubState>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, HttpError> {
    let format = q.format.unwrap_or_else(|| "skos".into());
    let (ct, body) = blocking(&s, move |a| export_body(a, &format)).await?;
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

/// Parses an exported KB file (`skos` or `tbx`) and merges it into the KB; returns (concepts, renderings).
pub fn import_body(
    a: &App,
    format: &str,
    body: &[u8],
    actor: &str,
) -> Result<(usize, usize), AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::Invalid("the KB file is not UTF-8".into()))?;
    let (concepts, renderings) = match format {
        "skos" | "jsonld" | "json-ld" => qiantang_kb::skos::import(text),
        "tbx" => qiantang_kb::tbx::import(text),
        other => {
            return Err(AppError::Invalid(format!(
                "unknown import format {other:?}; use skos or tbx"
            )))
        }
    }
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    a.import_kb(&concepts, &renderings, actor)
}

async fn import_kb(
    State(s): State<HubState>,
    Query(q): Query<FormatQuery>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, HttpError> {
    let format = q.format.unwrap_or_else(|| "skos".into());
    let (c, r) = blocking(&s, move |a| import_body(a, &format, &body, "api-import")).await?;
    Ok(Json(serde_json::json!({"concepts": c, "renderings": r})))
}
