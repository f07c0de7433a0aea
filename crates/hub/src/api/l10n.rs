//! The localization part of the JSON API (issue 4): projects, the CAT
//! editor's chapter view, segment saves, comments, MT on demand, QA,
//! pre-translation jobs, glossary, TMX and exchange files.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use qiantang_l10n::model::*;

use crate::auth::{
    segment_perms, Authed, ImportTarget, ManagedProject, Policy, ReadableProject,
    TranslatableProject, WritableWork,
};
use crate::{blocking, HttpError, HubState};
use qiantang_app::l10n::{self as svc, ExportFormat};
use qiantang_app::AppError;

/// Route table of the localization API (relative to `/api/v1`), merged
/// into [`crate::api::ROUTES`] by the route tests.
pub const ROUTES: &[(&str, &str, Policy)] = &[
    ("GET", "/l10n/projects", Policy::Authenticated),
    ("POST", "/works/{id}/l10n", Policy::WorkWrite),
    ("GET", "/l10n/projects/{project}", Policy::ProjectRead),
    ("DELETE", "/l10n/projects/{project}", Policy::ProjectManage),
    (
        "GET",
        "/l10n/projects/{project}/chapters/{number}",
        Policy::ProjectRead,
    ),
    ("GET", "/l10n/projects/{project}/qa", Policy::ProjectRead),
    (
        "POST",
        "/l10n/projects/{project}/pretranslate",
        Policy::ProjectManage,
    ),
    (
        "GET",
        "/l10n/projects/{project}/export",
        Policy::ProjectRead,
    ),
    (
        "POST",
        "/l10n/projects/{project}/import",
        Policy::ProjectManage,
    ),
    (
        "GET",
        "/l10n/projects/{project}/glossary",
        Policy::ProjectRead,
    ),
    (
        "POST",
        "/l10n/projects/{project}/glossary",
        Policy::ProjectManage,
    ),
    (
        "DELETE",
        "/l10n/projects/{project}/glossary/{entry}",
        Policy::ProjectManage,
    ),
    ("GET", "/l10n/jobs/{job}", Policy::ProjectRead),
    ("POST", "/l10n/jobs/{job}/cancel", Policy::ProjectManage),
    ("PUT", "/l10n/segments/{segment}", Policy::SegmentTranslate),
    (
        "PUT",
        "/l10n/segments/{segment}/source",
        Policy::ProjectManage,
    ),
    (
        "POST",
        "/l10n/segments/{segment}/comments",
        Policy::SegmentTranslate,
    ),
    (
        "POST",
        "/l10n/segments/{segment}/mt",
        Policy::SegmentTranslate,
    ),
    (
        "GET",
        "/l10n/segments/{segment}/history",
        Policy::ProjectRead,
    ),
    ("POST", "/tm/import", Policy::OrgWrite),
    ("GET", "/tm/export", Policy::OrgWrite),
    (
        "GET",
        "/l10n/projects/{project}/concordance",
        Policy::ProjectRead,
    ),
];

/// The localization routes (nested under `/api/v1` with the rest).
pub fn routes() -> Router<HubState> {
    Router::new()
        .route("/l10n/projects", get(list_projects))
        .route("/works/{id}/l10n", post(create_project))
        .route(
            "/l10n/projects/{project}",
            get(get_project).delete(delete_project),
        )
        .route(
            "/l10n/projects/{project}/chapters/{number}",
            get(chapter_view),
        )
        .route("/l10n/projects/{project}/qa", get(project_qa))
        .route("/l10n/projects/{project}/pretranslate", post(pretranslate))
        .route("/l10n/projects/{project}/export", get(export))
        .route("/l10n/projects/{project}/import", post(import))
        .route(
            "/l10n/projects/{project}/glossary",
            get(glossary).post(put_glossary),
        )
        .route(
            "/l10n/projects/{project}/glossary/{entry}",
            delete(delete_glossary),
        )
        .route("/l10n/jobs/{job}", get(get_job))
        .route("/l10n/jobs/{job}/cancel", post(cancel_job))
        .route("/l10n/segments/{segment}", put(save_segment))
        .route("/l10n/segments/{segment}/source", put(edit_source))
        .route("/l10n/segments/{segment}/comments", post(add_comment))
        .route("/l10n/segments/{segment}/mt", post(mt_segment))
        .route("/l10n/segments/{segment}/history", get(history))
        .route("/tm/import", post(tm_import))
        .route("/tm/export", get(tm_export))
        .route("/l10n/projects/{project}/concordance", get(concordance))
}

async fn list_projects(
    Authed(a): Authed,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let orgs = if a.caller.is_admin() {
        None
    } else {
        Some(a.caller.orgs())
    };
    let out = blocking(&s, move |app| {
        let orgs = match orgs {
            Some(o) => o,
            None => app.accounts().list_orgs()?.iter().map(|o| o.id).collect(),
        };
        let mut out = Vec::new();
        for p in app.l10n().list_projects(&orgs)? {
            let prog = app.l10n().progress(p.id)?;
            out.push(svc::project_json(
                &p,
                prog.first().copied().unwrap_or_default(),
            ));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProject {
    locale: String,
    market: String,
}

async fn create_project(
    WritableWork(w, a): WritableWork,
    State(s): State<HubState>,
    Json(body): Json<CreateProject>,
) -> Result<Response, HttpError> {
    let actor = a.actor();
    let v = blocking(&s, move |app| {
        let p = app
            .l10n()
            .create_project(w.id, &body.locale, &body.market, &actor)?;
        let prog = app.l10n().progress(p.id)?;
        Ok(svc::project_json(
            &p,
            prog.first().copied().unwrap_or_default(),
        ))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_project(
    ReadableProject(p, _): ReadableProject,
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let v = blocking(&s, move |app| svc::project_detail_json(app.l10n(), &p)).await?;
    Ok(Json(v))
}

async fn delete_project(
    ManagedProject(p, a): ManagedProject,
    State(s): State<HubState>,
) -> Result<StatusCode, HttpError> {
    let actor = a.actor();
    blocking(&s, move |app| app.l10n().delete_project(p.id, &actor)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn chapter_view(
    ReadableProject(p, _): ReadableProject,
    Path((_, number)): Path<(i64, u32)>,
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let v = blocking(&s, move |app| {
        let view = app.l10n().chapter_view(p.id, number)?;
        if view.is_empty() {
            return Err(AppError::NotFound(format!(
                "chapter {number} of project {}",
                p.id
            )));
        }
        Ok(serde_json::json!({
            "project": p.id, "chapter": number, "locale": p.locale, "market": p.market,
            "segments": view.iter().map(svc::segment_view_json).collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(Json(v))
}

async fn project_qa(
    ReadableProject(p, _): ReadableProject,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let v = blocking(&s, move |app| {
        Ok(app
            .l10n()
            .project_qa(p.id)?
            .iter()
            .map(svc::finding_json)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PretranslateBody {
    #[serde(default)]
    chapters: Option<String>,
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    tm_only: bool,
}

async fn pretranslate(
    ManagedProject(p, a): ManagedProject,
    State(s): State<HubState>,
    body: Option<Json<PretranslateBody>>,
) -> Result<Response, HttpError> {
    let body = body.map(|b| b.0).unwrap_or_default();
    let actor = a.actor();
    let v = blocking(&s, move |app| {
        let chapters = body
            .chapters
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(svc::parse_chapter_range)
            .transpose()?;
        let backend = if body.tm_only {
            None
        } else {
            body.backend
                .filter(|b| !b.trim().is_empty())
                .or(p.settings.mt_backend.clone())
        };
        let job = app
            .l10n()
            .queue_pretranslate(p.id, chapters, backend, &actor)?;
        Ok(svc::job_json(&job))
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

#[derive(Debug, Deserialize)]
struct FormatQuery {
    format: String,
}

async fn export(
    ReadableProject(p, a): ReadableProject,
    Query(q): Query<FormatQuery>,
    State(s): State<HubState>,
) -> Result<Response, HttpError> {
    let format = ExportFormat::parse(&q.format).ok_or_else(|| {
        HttpError::invalid(format!(
            "unknown format {:?}: use epub, xliff or tmx",
            q.format
        ))
    })?;
    let id = p.id;
    // An EPUB exported by a project manager is a translation: it is
    // deposited (kind translation, parent = the work's entry) when the hub
    // holds the deposit log and automatic deposits are on.
    let deposit = format == ExportFormat::Epub
        && a.caller
            .can(qiantang_auth::policy::Action::ManageL10n { org: p.org });
    let actor = a.actor();
    let project = p.clone();
    let bytes = blocking(&s, move |app| {
        let bytes = app.l10n().export_project(id, format)?;
        if deposit {
            app.deposits().deposit_translation(&project, &bytes, &actor);
        }
        Ok(bytes)
    })
    .await?;
    let name = format!("project-{id}-{}.{}", p.locale, format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn import(
    ManagedProject(p, a): ManagedProject,
    State(s): State<HubState>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, HttpError> {
    let actor = a.actor();
    // An editor may import translations but not review states (workflow rights).
    let perms = segment_perms(&a.caller, p.org);
    let r = blocking(&s, move |app| {
        app.l10n()
            .import_xliff_as(p.id, "upload.xlf", &body, perms, &actor)
    })
    .await?;
    Ok(Json(
        serde_json::json!({"updated": r.updated, "unchanged": r.unchanged, "comments": r.comments}),
    ))
}

async fn glossary(
    ReadableProject(p, _): ReadableProject,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let v = blocking(&s, move |app| {
        Ok(app
            .l10n()
            .glossary(p.work, &p.locale)?
            .iter()
            .map(svc::glossary_json)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(v))
}

async fn put_glossary(
    ManagedProject(p, a): ManagedProject,
    State(s): State<HubState>,
    Json(body): Json<svc::GlossaryInput>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let actor = a.actor();
    let v = blocking(&s, move |app| {
        let e = app.l10n().put_glossary_entry(&p, body, &actor)?;
        Ok(svc::glossary_json(&e))
    })
    .await?;
    Ok(Json(v))
}

async fn delete_glossary(
    ManagedProject(p, a): ManagedProject,
    Path((_, entry)): Path<(i64, i64)>,
    State(s): State<HubState>,
) -> Result<StatusCode, HttpError> {
    let actor = a.actor();
    blocking(&s, move |app| {
        app.l10n().delete_glossary_entry(&p, entry, &actor)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_job(
    ReadableProject(_, _): ReadableProject,
    Path(job): Path<i64>,
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let v = blocking(&s, move |app| {
        app.l10n()
            .job(job)?
            .map(|j| svc::job_json(&j))
            .ok_or_else(|| AppError::NotFound(format!("job {job}")))
    })
    .await?;
    Ok(Json(v))
}

async fn cancel_job(
    ManagedProject(_, a): ManagedProject,
    Path(job): Path<i64>,
    State(s): State<HubState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let actor = a.actor();
    let v = blocking(&s, move |app| {
        Ok(svc::job_json(&app.l10n().cancel_job(job, &actor)?))
    })
    .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveSegment {
    version: u32,
    #[serde(default)]
    target: Option<String>,
    state: String,
}

async fn save_segment(
    TranslatableProject(p, a): TranslatableProject,
    Path(segment): Path<i64>,
    State(s): State<HubState>,
    Json(body): Json<SaveSegment>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let state = SegmentState::parse(&body.state).ok_or_else(|| {
        HttpError::invalid(format!(
            "unknown state {:?}: use new, draft, translated, reviewed or approved",
            body.state
        ))
    })?;
    let perms = segment_perms(&a.caller, p.org);
    let actor = a.actor();
    let v = blocking(&s, move |app| {
        let (seg, findings) = app.l10n().save_segment(
            segment,
            body.version,
            body.target.as_deref(),
            state,
            perms,
            &actor,
        )?;
        Ok(serde_json::json!({
            "segment": svc::segment_json(&seg),
            "findings": findings.iter().map(svc::qa_json).collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    body: String,
}

async fn add_comment(
    TranslatableProject(_, a): TranslatableProject,
    Path(segment): Path<i64>,
    State(s): State<HubState>,
    Json(body): Json<CommentBody>,
) -> Result<Response, HttpError> {
    let actor = a.actor();
    let c = blocking(&s, move |app| {
        app.l10n().comment_segment(segment, &body.body, &actor)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"id": c.id, "segment": c.segment, "author": c.author, "body": c.body, "at_ms": c.at_ms})),
    )
        .into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MtBody {
    #[serde(default)]
    backend: Option<String>,
}

async fn mt_segment(
    TranslatableProject(p, a): TranslatableProject,
    Path(segment): Path<i64>,
    State(s): State<HubState>,
    body: Option<Json<MtBody>>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let backend = body
        .and_then(|b| b.0.backend)
        .or(p.settings.mt_backend.clone());
    let actor = a.actor();
    let v = blocking(&s, move |app| {
        let backend = backend.ok_or_else(|| {
            AppError::Invalid(
                "no MT backend: choose one, or set the project's default backend".into(),
            )
        })?;
        let (text, hints) = app
            .l10n()
            .machine_translate_segment(segment, &backend, &actor)?;
        Ok(serde_json::json!({"backend": backend, "text": text, "applied": hints}))
    })
    .await?;
    Ok(Json(v))
}

async fn history(
    ReadableProject(_, _): ReadableProject,
    Path(segment): Path<i64>,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let v = blocking(&s, move |app| {
        Ok(app
            .l10n().segment_history(segment)?
            .iter()
            .map(|r| {
                serde_json::json!({"version": r.version, "target": r.target, "state": r.state.as_str(),
                "origin": r.origin.as_ref().map(Origin::label), "by": r.by, "at_ms": r.at_ms})
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(v))
}

fn tm_org(t: &ImportTarget) -> Result<i64, HttpError> {
    match t.0 {
        Some(o) => Ok(o),
        None => {
            let writable: Vec<i64> =
                t.1.caller
                    .roles
                    .iter()
                    .filter(|(o, _)| {
                        t.1.caller
                            .can(qiantang_auth::policy::Action::ManageL10n { org: *o })
                    })
                    .map(|(o, _)| *o)
                    .collect();
            match writable.as_slice() {
                [one] => Ok(*one),
                _ => Err(HttpError::invalid("say which organization's TM: ?org=NAME")),
            }
        }
    }
}

async fn tm_import(
    target: ImportTarget,
    State(s): State<HubState>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, HttpError> {
    let org = tm_org(&target)?;
    let actor = target.1.actor();
    let (total, added) = blocking(&s, move |app| {
        app.l10n().import_tmx(org, "upload.tmx", &body, &actor)
    })
    .await?;
    Ok(Json(serde_json::json!({"units": total, "added": added})))
}

async fn tm_export(target: ImportTarget, State(s): State<HubState>) -> Result<Response, HttpError> {
    let org = tm_org(&target)?;
    let bytes = blocking(&s, move |app| app.l10n().export_tmx(org)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tmx+xml".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tm-{org}.tmx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct ConcordanceQuery {
    q: String,
    #[serde(default)]
    limit: Option<usize>,
}

/// Concordance search in the TM of the project's organization: units whose
/// source or target contains the query.
async fn concordance(
    ReadableProject(p, _): ReadableProject,
    Query(q): Query<ConcordanceQuery>,
    State(s): State<HubState>,
) -> Result<Json<Vec<serde_json::Value>>, HttpError> {
    let limit = q.limit.unwrap_or(20).min(200);
    let v = blocking(&s, move |app| {
        let idx = app.l10n().tm_index(p.org)?;
        let idx = idx.read().unwrap_or_else(|e| e.into_inner());
        Ok(idx
            .concordance(&q.q, limit)
            .iter()
            .filter_map(|h| idx.unit(h.index))
            .map(|u| {
                serde_json::json!({"source": u.source, "target": u.target,
                "source_lang": u.source_lang, "target_lang": u.target_lang,
                "approved": u.approved, "origin": u.origin})
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceBody {
    source: String,
}

/// Corrects a segment's source text (authors revise published chapters).
/// The target stays as a starting point and the segment goes back to
/// draft; MT on it then revises the approved translation.
async fn edit_source(
    ManagedProject(_, a): ManagedProject,
    Path(segment): Path<i64>,
    State(s): State<HubState>,
    Json(body): Json<SourceBody>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let actor = a.actor();
    let seg = blocking(&s, move |app| {
        app.l10n()
            .edit_segment_source(segment, &body.source, &actor)
    })
    .await?;
    Ok(Json(svc::segment_json(&seg)))
}
