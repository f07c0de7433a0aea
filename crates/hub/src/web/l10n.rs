//! Localization pages (issue 4 §7): the project list, a project's dashboard
//! (progress, jobs, pre-translation, QA summary, exports, XLIFF import,
//! glossary) and the CAT editor of one chapter.
//!
//! Server-rendered with `maud` like the rest of the UI: every page reads
//! without JavaScript and every form posts without it. The vendored
//! `static/cat.js` adds what needs a script — editing segments in place
//! through the JSON API (`PUT /api/v1/l10n/segments/{id}` with the page's
//! `X-CSRF-Token`), keyboard shortcuts, the side panel, filters and live job
//! progress. Routes are listed in [`PAGE_ROUTES`] (merged with
//! [`crate::web::PAGE_ROUTES`] by [`crate::web::all_page_routes`]).

use std::collections::BTreeMap;

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fluent_bundle::FluentValue;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use serde_json::Value;

use qiantang_auth::policy::Action;
use qiantang_l10n::model::{
    parse_segment_key, GlossaryEntry, Job, JobKind, JobState, Progress, Project, SegmentState,
};

use crate::auth::{segment_perms, Authed, ManagedProject, Policy, ReadableProject};
use crate::i18n::{tr, tr_args, Locale};
use crate::upload::read_upload;
use crate::web::layout::{
    csrf_field, csrf_ok, csrf_refused, ctx, error_page, layout_with, posted_ctx,
};
use crate::web::layout::{CommonQuery, CsrfForm, Ctx};
use crate::{blocking, HttpError, HubState};
use qiantang_app::l10n as svc;
use qiantang_app::AppError;
use qiantang_app::ErrorCode;

/// Localization page routes: (method, path template, access rule).
pub const PAGE_ROUTES: &[(&str, &str, Policy)] = &[
    ("GET", "/l10n", Policy::Authenticated),
    // The work named in the form must be writable by the caller (checked by the handler).
    ("POST", "/l10n", Policy::Authenticated),
    ("GET", "/l10n/{project}", Policy::ProjectRead),
    ("GET", "/l10n/{project}/qa", Policy::ProjectRead),
    ("GET", "/l10n/{project}/read/{number}", Policy::ProjectRead),
    (
        "GET",
        "/l10n/{project}/chapters/{number}",
        Policy::ProjectRead,
    ),
    (
        "POST",
        "/l10n/{project}/pretranslate",
        Policy::ProjectManage,
    ),
    (
        "POST",
        "/l10n/{project}/jobs/{job}/cancel",
        Policy::ProjectManage,
    ),
    ("POST", "/l10n/{project}/import", Policy::ProjectManage),
    ("POST", "/l10n/{project}/glossary", Policy::ProjectManage),
    (
        "POST",
        "/l10n/{project}/glossary/{entry}/delete",
        Policy::ProjectManage,
    ),
    ("GET", "/static/cat.js", Policy::Public),
    ("GET", "/static/cat.css", Policy::Public),
];

/// Messages the script uses, sent to it with the page (`#cat-i18n`);
/// `{name}` marks where it puts a value.
pub const JS_MESSAGES: &[&str] = &[
    "cat-js-saved",
    "cat-js-saving",
    "cat-js-conflict",
    "cat-js-reload",
    "cat-js-reloaded",
    "cat-js-use-mine",
    "cat-js-error",
    "cat-js-empty",
    "cat-js-need-review",
    "cat-js-need-translate",
    "cat-js-segment",
    "cat-js-target-label",
    "cat-js-readonly",
    "cat-js-save-draft",
    "cat-js-save-translated",
    "cat-js-save-reviewed",
    "cat-js-save-approved",
    "cat-js-mt",
    "cat-js-mt-busy",
    "cat-js-mt-done",
    "cat-js-tm",
    "cat-js-no-tm",
    "cat-js-insert",
    "cat-js-approved-unit",
    "cat-js-diff-ins",
    "cat-js-diff-del",
    "cat-js-terms",
    "cat-js-no-terms",
    "cat-js-locked",
    "cat-js-forbidden",
    "cat-js-rule",
    "cat-js-strategy",
    "cat-js-first",
    "cat-js-qa",
    "cat-js-no-qa",
    "cat-js-fix",
    "cat-js-comments",
    "cat-js-no-comments",
    "cat-js-comment-label",
    "cat-js-comment-add",
    "cat-js-history",
    "cat-js-history-empty",
    "cat-js-loading",
    "cat-js-unsaved",
    "cat-js-job-done",
    "seg-state-new",
    "seg-state-draft",
    "seg-state-translated",
    "seg-state-reviewed",
    "seg-state-approved",
    "job-state-queued",
    "job-state-running",
    "job-state-done",
    "job-state-failed",
    "job-state-cancelled",
    "strategy-keep",
    "strategy-transliterate",
    "strategy-translate",
    "strategy-transliterate_gloss",
    "strategy-substitute",
];

/// Placeholders a script message may contain.
const JS_ARGS: &[&str] = &[
    "key", "state", "version", "error", "backend", "score", "count", "label",
];

/// Target locales offered in the create form (besides the markets' own).
const COMMON_LOCALES: &[&str] = &[
    "en",
    "es-419",
    "pt-BR",
    "fr",
    "de",
    "ru",
    "id",
    "ms",
    "vi",
    "th",
    "ja",
    "ko",
    "zh-Hant-TW",
    "zh-Hant-HK",
];

const GLOSSARY_KINDS: &[&str] = &["character", "place", "sect", "realm", "term", "concept"];

/// The localization page router (merged into the page router).
pub fn routes() -> Router<HubState> {
    Router::new()
        .route("/l10n", get(list_page).post(create_project))
        .route("/l10n/{project}", get(project_page))
        .route("/l10n/{project}/qa", get(qa_page))
        .route("/l10n/{project}/read/{number}", get(reader_page))
        .route("/l10n/{project}/chapters/{number}", get(editor_page))
        .route("/l10n/{project}/pretranslate", post(pretranslate))
        .route("/l10n/{project}/jobs/{job}/cancel", post(cancel_job))
        .route("/l10n/{project}/import", post(import_xliff))
        .route("/l10n/{project}/glossary", post(add_glossary))
        .route(
            "/l10n/{project}/glossary/{entry}/delete",
            post(delete_glossary),
        )
        .route(
            "/static/cat.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../../static/cat.js"),
                )
            }),
        )
        .route(
            "/static/cat.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../../static/cat.css"),
                )
            }),
        )
}

// ----------------------------------------------------------------------
// Helpers

/// The stylesheet (and, with `script`, the script) of the localization pages.
fn head(script: bool) -> Markup {
    html! {
        link rel="stylesheet" href="/static/cat.css";
        @if script { script src="/static/cat.js" defer {} }
    }
}

fn query_ctx(headers: &HeaderMap, lang: Option<String>, auth: crate::auth::RequestAuth) -> Ctx {
    ctx(
        headers,
        &CommonQuery {
            lang,
            ..CommonQuery::default()
        },
        auth,
    )
}

#[derive(Debug, Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

fn state_name(loc: Locale, st: &str) -> String {
    tr(loc, &format!("seg-state-{st}"))
}

/// A stacked bar of segment states (inline SVG: no inline styles under the CSP).
fn state_bar(loc: Locale, p: &Progress) -> Markup {
    const W: f64 = 240.0;
    let total = p.total();
    let label = format!(
        "{} · {}",
        tr_args(
            loc,
            "l10n-percent",
            &[("percent", FluentValue::from(p.percent_translated()))]
        ),
        SegmentState::ALL
            .iter()
            .map(|st| format!("{} {}", state_name(loc, st.as_str()), p.count(*st)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut x = 0.0;
    let mut parts = Vec::new();
    for st in SegmentState::ALL {
        let w = if total == 0 {
            0.0
        } else {
            f64::from(p.count(st)) / f64::from(total) * W
        };
        if w > 0.0 {
            parts.push((st.as_str(), x, w));
        }
        x += w;
    }
    html! {
        span.statebar {
            svg.statebar width=(W as u32) height="12" viewBox={ "0 0 " (W as u32) " 12" } role="img" aria-label=(label) {
                title { (label) }
                rect.track x="0" y="0" width=(W as u32) height="12" {}
                @for (st, x, w) in &parts {
                    rect class={ "st-" (st) } x=(format!("{x:.1}")) y="0" width=(format!("{w:.1}")) height="12" {}
                }
            }
            " " span.pct { (p.percent_translated()) "%" }
        }
    }
}

/// The colours of [`state_bar`] explained.
fn state_legend(loc: Locale) -> Markup {
    html! {
        ul.state-legend aria-hidden="true" {
            @for st in SegmentState::ALL {
                li { svg width="10" height="10" { rect class={ "st-" (st.as_str()) } width="10" height="10" {} } " " (state_name(loc, st.as_str())) }
            }
        }
    }
}

fn job_state_name(loc: Locale, st: JobState) -> String {
    tr(loc, &format!("job-state-{}", st.as_str()))
}

fn job_kind_text(loc: Locale, k: &JobKind) -> String {
    let JobKind::Pretranslate { chapters, backend } = k;
    let range = match chapters {
        Some((a, b)) if a == b => {
            tr_args(loc, "l10n-job-chapter", &[("from", FluentValue::from(*a))])
        }
        Some((a, b)) => tr_args(
            loc,
            "l10n-job-chapters",
            &[
                ("from", FluentValue::from(*a)),
                ("to", FluentValue::from(*b)),
            ],
        ),
        None => tr(loc, "l10n-job-all-chapters"),
    };
    let how = match backend {
        Some(b) => b.clone(),
        None => tr(loc, "l10n-tm-only"),
    };
    format!("{} · {range} · {how}", tr(loc, "l10n-job-pretranslate"))
}

/// JSON for a `<script type="application/json">` data block: `<`, `>` and
/// `&` escaped so the text can never close the element.
fn json_block(v: &Value) -> PreEscaped<String> {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    PreEscaped(
        s.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
    )
}

/// The script's messages for a UI locale.
fn js_messages(loc: Locale) -> Value {
    let args: Vec<(&str, FluentValue<'_>)> = JS_ARGS
        .iter()
        .map(|a| (*a, FluentValue::from(format!("{{{a}}}"))))
        .collect();
    let mut m = serde_json::Map::new();
    for id in JS_MESSAGES {
        m.insert((*id).to_string(), tr_args(loc, id, &args).into());
    }
    Value::Object(m)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An error shown inside a page (above its forms).
fn flash_error(msg: &str) -> Markup {
    html! { p.error role="alert" { (msg) } }
}

fn not_allowed_to_localize() -> HttpError {
    HttpError::new(
        ErrorCode::Forbidden,
        "your role does not allow localizing this work",
    )
}

// ----------------------------------------------------------------------
// /l10n: the caller's projects and the create form

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    lang: Option<String>,
    work: Option<String>,
}

async fn list_page(
    Authed(auth): Authed,
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = query_ctx(&headers, q.lang, auth);
    let work = q.work.and_then(|w| w.trim().parse::<i64>().ok());
    render_list(&st, &c, work, None, StatusCode::OK).await
}

struct ProjectRow {
    project: Project,
    progress: Progress,
    title: String,
}

async fn render_list(
    st: &HubState,
    c: &Ctx,
    preselect: Option<i64>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let caller = c.auth.caller.clone();
    let scope = crate::auth::scope_of(&caller);
    let data = blocking(st, move |a| {
        let orgs: Vec<i64> = if caller.is_admin() {
            a.accounts().list_orgs()?.iter().map(|o| o.id).collect()
        } else {
            caller.orgs()
        };
        let mut rows = Vec::new();
        for p in a.l10n().list_projects(&orgs)? {
            let progress = a
                .l10n()
                .progress(p.id)?
                .first()
                .copied()
                .unwrap_or_default();
            let title = a
                .catalog()
                .work(p.work)?
                .map(|w| w.title)
                .unwrap_or_default();
            rows.push(ProjectRow {
                project: p,
                progress,
                title,
            });
        }
        let works: Vec<(i64, String)> = a
            .catalog()
            .list_works(&scope)?
            .into_iter()
            .filter(|w| caller.can(Action::WriteWork { org: w.org }))
            .map(|w| (w.id, w.title))
            .collect();
        Ok((rows, works))
    })
    .await;
    let (rows, works) = match data {
        Ok(d) => d,
        Err(e) => return error_page(c, e),
    };
    let kb = st.app.kb().view();
    let mut locales: Vec<String> = COMMON_LOCALES.iter().map(|l| l.to_string()).collect();
    for m in kb.markets.values() {
        for l in &m.languages {
            if !locales.contains(l) {
                locales.push(l.clone());
            }
        }
    }
    let body = html! {
        h1 { (tr(c.loc, "l10n-title")) }
        p { (tr(c.loc, "l10n-intro")) }
        @if rows.is_empty() {
            p.hint { (tr(c.loc, "l10n-none")) }
        } @else {
            table.l10n-projects {
                thead { tr {
                    th scope="col" { (tr(c.loc, "col-title")) }
                    th scope="col" { (tr(c.loc, "l10n-locale")) }
                    th scope="col" { (tr(c.loc, "l10n-market")) }
                    th scope="col" { (tr(c.loc, "l10n-progress")) }
                    th.num scope="col" { (tr(c.loc, "l10n-segments")) }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { a.project-link href={ "/l10n/" (r.project.id) } { (r.title) } }
                            td { code { (r.project.locale) } }
                            td { (r.project.market) }
                            td { (state_bar(c.loc, &r.progress)) }
                            td.num { (r.progress.total()) }
                        }
                    }
                }
            }
        }
        section #create {
            h2 { (tr(c.loc, "l10n-create")) }
            @if let Some(e) = &error { (flash_error(e)) }
            @if works.is_empty() {
                p.hint { (tr(c.loc, "l10n-no-writable-works")) }
            } @else {
                form.l10n-create method="post" action="/l10n" {
                    (csrf_field(c))
                    p { label { (tr(c.loc, "l10n-work")) " "
                        select name="work" required {
                            @for (id, title) in &works {
                                option value=(id) selected[preselect == Some(*id)] { (title) }
                            }
                        }
                    } }
                    p { label { (tr(c.loc, "l10n-locale")) " "
                        input type="text" name="locale" value="en" required maxlength="35" list="l10n-locales"
                            pattern="[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*" aria-describedby="locale-help";
                    }
                    " " span.hint #locale-help { (tr(c.loc, "l10n-locale-help")) } }
                    datalist #l10n-locales { @for l in &locales { option value=(l) {} } }
                    p { label { (tr(c.loc, "l10n-market")) " "
                        select name="market" required {
                            @for m in kb.markets.values() {
                                option value=(m.region) selected[m.region == "US"] {
                                    (m.region) " — " (m.name) " (" (m.languages.join(", ")) ")"
                                }
                            }
                        }
                    } }
                    p { button type="submit" { (tr(c.loc, "l10n-create-submit")) } }
                }
            }
        }
    };
    let mut r = layout_with(c, &tr(c.loc, "l10n-title"), head(false), body);
    *r.status_mut() = status;
    r
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    csrf: Option<String>,
    #[serde(default)]
    work: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    market: String,
}

async fn create_project(
    Authed(auth): Authed,
    State(st): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<CreateForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let work = f.work.trim().parse::<i64>().ok();
    let caller = c.auth.caller.clone();
    let actor = c.auth.actor();
    let res = blocking(&st, move |a| {
        let w = match work {
            Some(id) => a.catalog().work(id)?,
            None => None,
        };
        // Unknown and foreign works are refused alike.
        let Some(w) = w.filter(|w| caller.can(Action::WriteWork { org: w.org })) else {
            return Err(AppError::Forbidden(not_allowed_to_localize().message));
        };
        a.l10n().create_project(w.id, &f.locale, &f.market, &actor)
    })
    .await;
    match res {
        Ok(p) => Redirect::to(&format!("/l10n/{}", p.id)).into_response(),
        Err(e) => {
            let status = e.status();
            render_list(&st, &c, work, Some(e.message), status).await
        }
    }
}

// ----------------------------------------------------------------------
// /l10n/{project}: the project dashboard

struct ProjectData {
    title: String,
    progress: Vec<Progress>,
    chapters: BTreeMap<u32, String>,
    jobs: Vec<Job>,
    qa: Vec<Value>,
    glossary: Vec<GlossaryEntry>,
    usage: Vec<qiantang_l10n::model::MtUsage>,
    backends: Vec<String>,
}

async fn project_page(
    ReadableProject(p, auth): ReadableProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let c = query_ctx(&headers, q.lang, auth);
    render_project(&st, &c, p, None, StatusCode::OK).await
}

async fn render_project(
    st: &HubState,
    c: &Ctx,
    p: Project,
    flash: Option<Markup>,
    status: StatusCode,
) -> Response {
    let pid = p.id;
    let (work, locale) = (p.work, p.locale.clone());
    let data = blocking(st, move |a| {
        let l = a.l10n();
        Ok(ProjectData {
            title: a.catalog().work(work)?.map(|w| w.title).unwrap_or_default(),
            progress: l.progress(pid)?,
            chapters: a
                .catalog()
                .chapters(work)?
                .into_iter()
                .map(|ch| (ch.number, ch.title))
                .collect(),
            jobs: l.project_jobs(pid)?,
            qa: a
                .l10n()
                .project_qa(pid)?
                .iter()
                .map(svc::finding_json)
                .collect(),
            glossary: l.glossary(work, &locale)?,
            usage: l.mt_usage(pid)?,
            backends: a.l10n().mt_backends_for(p.org),
        })
    })
    .await;
    let d = match data {
        Ok(d) => d,
        Err(e) => return error_page(c, e),
    };
    let manage = c.auth.caller.can(Action::ManageL10n { org: p.org });
    let total = d.progress.first().copied().unwrap_or_default();
    // QA counts per check and severity.
    let mut qa_counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for f in &d.qa {
        *qa_counts
            .entry(s(f, "check").to_string())
            .or_default()
            .entry(s(f, "severity").to_string())
            .or_default() += 1;
    }
    let severities: Vec<String> = {
        let mut v: Vec<String> = qa_counts.values().flat_map(|m| m.keys().cloned()).collect();
        v.sort_by_key(|x| match x.as_str() {
            "error" => 0,
            "warning" => 1,
            _ => 2,
        });
        v.dedup();
        v
    };
    let title = format!("{} → {} ({})", d.title, p.locale, p.market);
    let body = html! {
        p.crumbs { a href="/l10n" { (tr(c.loc, "l10n-title")) } " › " a href={ "/works/" (p.work) } { (d.title) } }
        h1 { span lang="zh-Hans" { (d.title) } " → " code { (p.locale) } " · " (p.market) }
        @if let Some(f) = &flash { (f) }
        (state_legend(c.loc))
        p { (state_bar(c.loc, &total)) " "
            (tr_args(c.loc, "l10n-project-meta", &[
                ("segments", FluentValue::from(total.total())),
                ("chars", FluentValue::from(total.source_chars)),
                ("threshold", FluentValue::from(p.settings.tm_threshold)),
            ])) }
        section #chapters {
            h2 { (tr(c.loc, "work-chapters")) }
            table.l10n-chapters {
                thead { tr {
                    th.num scope="col" { "#" }
                    th scope="col" { (tr(c.loc, "col-title")) }
                    th scope="col" { (tr(c.loc, "l10n-progress")) }
                    th.num scope="col" { (tr(c.loc, "l10n-segments")) }
                } }
                tbody {
                    @for pr in d.progress.iter().skip(1) {
                        @if let Some(n) = pr.chapter {
                            tr {
                                td.num { (n) }
                                td { a.chapter-link href={ "/l10n/" (p.id) "/chapters/" (n) } lang="zh-Hans" {
                                    (d.chapters.get(&n).cloned().unwrap_or_else(|| n.to_string())) }
                                    " · " a.reader-link href={ "/l10n/" (p.id) "/read/" (n) } { (tr(c.loc, "l10n-reader")) } }
                                td { (state_bar(c.loc, pr)) }
                                td.num { (pr.total()) }
                            }
                        }
                    }
                }
            }
        }
        section #jobs {
            h2 { (tr(c.loc, "l10n-jobs")) }
            @if d.jobs.is_empty() { p.hint { (tr(c.loc, "l10n-no-jobs")) } } @else {
                table.l10n-jobs {
                    thead { tr {
                        th.num scope="col" { "#" }
                        th scope="col" { (tr(c.loc, "l10n-job-what")) }
                        th scope="col" { (tr(c.loc, "l10n-job-state")) }
                        th scope="col" { (tr(c.loc, "l10n-progress")) }
                        th scope="col" { (tr(c.loc, "l10n-job-by")) }
                        th scope="col" {}
                    } }
                    tbody {
                        @for j in &d.jobs {
                            @let live = !j.state.is_final();
                            tr.job data-job=(j.id) data-state=(j.state.as_str()) data-job-poll[live] {
                                td.num { (j.id) }
                                td { (job_kind_text(c.loc, &j.kind)) }
                                td.job-state { (job_state_name(c.loc, j.state)) }
                                td {
                                    progress.job-progress max=(j.total.max(1)) value=(j.done) aria-label=(tr(c.loc, "l10n-progress")) {}
                                    " " span.job-count { (j.done) " / " (j.total) }
                                    p.job-error.error { (j.error.as_deref().unwrap_or("")) }
                                }
                                td { (j.created_by) br; small { (qiantang_app::clock::rfc3339(j.created_ms)) } }
                                td {
                                    @if manage && live {
                                        form.job-cancel method="post" action={ "/l10n/" (p.id) "/jobs/" (j.id) "/cancel" } {
                                            (csrf_field(c)) button.secondary type="submit" { (tr(c.loc, "l10n-job-cancel")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p.job-notice role="status" aria-live="polite" {}
            }
            @if manage {
                form.pretranslate method="post" action={ "/l10n/" (p.id) "/pretranslate" } {
                    (csrf_field(c))
                    h3 { (tr(c.loc, "l10n-pretranslate")) }
                    p.hint { (tr(c.loc, "l10n-pretranslate-help")) }
                    p {
                        label { (tr(c.loc, "l10n-chapter-range")) " "
                            input type="text" name="chapters" size="8" placeholder="1-10" pattern="\\s*\\d+\\s*(-\\s*\\d+\\s*)?"; }
                        " "
                        label { (tr(c.loc, "l10n-backend")) " "
                            select name="backend" {
                                option value="" { (tr(c.loc, "l10n-backend-default")) @if let Some(b) = &p.settings.mt_backend { " (" (b) ")" } }
                                @for b in &d.backends { option value=(b) { (b) } }
                            }
                        }
                        " "
                        label { input type="checkbox" name="tm_only" value="1"; " " (tr(c.loc, "l10n-tm-only")) }
                        " " button type="submit" { (tr(c.loc, "l10n-pretranslate-submit")) }
                    }
                }
            }
            @if !d.usage.is_empty() {
                h3 { (tr(c.loc, "l10n-mt-usage")) }
                table.l10n-usage {
                    thead { tr { th scope="col" { (tr(c.loc, "l10n-backend")) } th.num scope="col" { "requests" } th.num scope="col" { "prompt tokens" } th.num scope="col" { "completion tokens" } th.num scope="col" { "characters" } th.num scope="col" { "cached" } } }
                    tbody { @for u in &d.usage { tr { td { (u.backend) } td.num { (u.requests) } td.num { (u.prompt_tokens) } td.num { (u.completion_tokens) } td.num { (u.characters) } td.num { (u.cached_segments) } } } }
                }
            }
        }
        section #qa {
            h2 { (tr(c.loc, "l10n-qa")) }
            @if d.qa.is_empty() { p.ok { (tr(c.loc, "l10n-qa-clean")) } } @else {
                p { (tr_args(c.loc, "l10n-qa-total", &[("count", FluentValue::from(d.qa.len()))])) " "
                    a.qa-link href={ "/l10n/" (p.id) "/qa" } { (tr(c.loc, "l10n-qa-list")) } }
                table.l10n-qa {
                    thead { tr { th scope="col" { (tr(c.loc, "l10n-qa-check")) } @for sev in &severities { th.num scope="col" { span class={ "sev sev-" (sev) } { (sev) } } } } }
                    tbody {
                        @for (check, counts) in &qa_counts {
                            tr {
                                td { a href={ "/l10n/" (p.id) "/qa?check=" (check) } { code { (check) } } }
                                @for sev in &severities { td.num { (counts.get(sev).copied().unwrap_or(0)) } }
                            }
                        }
                    }
                }
            }
        }
        section #exports {
            h2 { (tr(c.loc, "l10n-exports")) }
            ul.exports {
                @for (fmt, label) in [("epub", "EPUB 3"), ("xliff", "XLIFF 2.1"), ("tmx", "TMX 1.4b")] {
                    li { a href={ "/api/v1/l10n/projects/" (p.id) "/export?format=" (fmt) } download { (label) } }
                }
            }
            @if manage {
                form.xliff-import method="post" action={ "/l10n/" (p.id) "/import" } enctype="multipart/form-data" {
                    (csrf_field(c))
                    h3 { (tr(c.loc, "l10n-import")) }
                    p.hint { (tr(c.loc, "l10n-import-help")) }
                    p { label { (tr(c.loc, "l10n-import-file")) " " input type="file" name="file" accept=".xlf,.xliff,application/xliff+xml" required; }
                        " " button type="submit" { (tr(c.loc, "l10n-import-submit")) } }
                }
            }
        }
        section #glossary {
            h2 { (tr(c.loc, "l10n-glossary")) }
            p.hint { (tr(c.loc, "l10n-glossary-help")) }
            @if d.glossary.is_empty() { p.hint { (tr(c.loc, "l10n-glossary-empty")) } } @else {
                table.glossary {
                    thead { tr {
                        th scope="col" { (tr(c.loc, "l10n-gl-source")) }
                        th scope="col" { (tr(c.loc, "l10n-gl-target")) }
                        th scope="col" { (tr(c.loc, "l10n-gl-kind")) }
                        th scope="col" { (tr(c.loc, "l10n-gl-forbidden")) }
                        th scope="col" { (tr(c.loc, "l10n-gl-note")) }
                        th scope="col" {}
                    } }
                    tbody {
                        @for e in &d.glossary {
                            tr data-entry=(e.id) {
                                td lang="zh-Hans" { (e.source) @if !e.aliases.is_empty() { br; small { (e.aliases.join(", ")) } } }
                                td lang=(p.locale) { (e.target) @if e.locked { " " span.badge.locked { (tr(c.loc, "l10n-gl-locked")) } } }
                                td { (tr(c.loc, &format!("gl-kind-{}", e.kind.as_str()))) @if let Some(k) = &e.concept { br; a href={ "/kb/concepts/" (k) } { code { (k) } } } }
                                td lang=(p.locale) { (e.forbidden.join(", ")) }
                                td { (e.note) }
                                td {
                                    @if manage {
                                        form.gl-delete method="post" action={ "/l10n/" (p.id) "/glossary/" (e.id) "/delete" } {
                                            (csrf_field(c))
                                            button.secondary type="submit" aria-label={ (tr(c.loc, "l10n-gl-delete")) " " (e.source) } { (tr(c.loc, "l10n-gl-delete")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if manage {
                form.gl-add method="post" action={ "/l10n/" (p.id) "/glossary" } {
                    (csrf_field(c))
                    h3 { (tr(c.loc, "l10n-gl-add")) }
                    p {
                        label { (tr(c.loc, "l10n-gl-source")) " " input type="text" name="source" required maxlength="100" lang="zh-Hans"; }
                        " "
                        label { (tr(c.loc, "l10n-gl-target")) " " input type="text" name="target" required maxlength="200" lang=(p.locale); }
                        " "
                        label { (tr(c.loc, "l10n-gl-kind")) " "
                            select name="kind" { @for k in GLOSSARY_KINDS { option value=(k) selected[*k == "term"] { (tr(c.loc, &format!("gl-kind-{k}"))) } } } }
                    }
                    p {
                        label { (tr(c.loc, "l10n-gl-aliases")) " " input type="text" name="aliases" lang="zh-Hans"; }
                        " "
                        label { (tr(c.loc, "l10n-gl-forbidden")) " " input type="text" name="forbidden" lang=(p.locale); }
                        " "
                        label { input type="checkbox" name="locked" value="1"; " " (tr(c.loc, "l10n-gl-locked")) }
                    }
                    p { label { (tr(c.loc, "l10n-gl-note")) " " input type="text" name="note" size="50" maxlength="1000"; }
                        " " button type="submit" { (tr(c.loc, "l10n-gl-add-submit")) } }
                }
            }
        }
        (i18n_block(c.loc))
    };
    let mut r = layout_with(c, &title, head(true), body);
    *r.status_mut() = status;
    r
}

fn i18n_block(loc: Locale) -> Markup {
    html! { script #cat-i18n type="application/json" { (json_block(&js_messages(loc))) } }
}

#[derive(Debug, Deserialize)]
struct PretranslateForm {
    csrf: Option<String>,
    #[serde(default)]
    chapters: String,
    #[serde(default)]
    backend: String,
    #[serde(default)]
    tm_only: Option<String>,
}

async fn pretranslate(
    ManagedProject(p, auth): ManagedProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<PretranslateForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let actor = c.auth.actor();
    let pid = p.id;
    let default_backend = p.settings.mt_backend.clone();
    let res = blocking(&st, move |a| {
        let chapters = Some(f.chapters.trim())
            .filter(|x| !x.is_empty())
            .map(svc::parse_chapter_range)
            .transpose()?;
        let backend = if f.tm_only.is_some() {
            None
        } else {
            Some(f.backend.trim().to_string())
                .filter(|b| !b.is_empty())
                .or(default_backend)
        };
        a.l10n().queue_pretranslate(pid, chapters, backend, &actor)
    })
    .await;
    match res {
        Ok(_) => Redirect::to(&format!("/l10n/{pid}#jobs")).into_response(),
        Err(e) => {
            let status = e.status();
            render_project(&st, &c, p, Some(flash_error(&e.message)), status).await
        }
    }
}

async fn cancel_job(
    ManagedProject(p, auth): ManagedProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Path((_, job)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let actor = c.auth.actor();
    let pid = p.id;
    let res = blocking(&st, move |a| {
        match a.l10n().job(job)? {
            Some(j) if j.project == pid => {}
            _ => return Err(AppError::NotFound(format!("job {job} of project {pid}"))),
        }
        a.l10n().cancel_job(job, &actor)
    })
    .await;
    match res {
        Ok(_) => Redirect::to(&format!("/l10n/{pid}#jobs")).into_response(),
        Err(e) => {
            let status = e.status();
            render_project(&st, &c, p, Some(flash_error(&e.message)), status).await
        }
    }
}

async fn import_xliff(
    ManagedProject(p, auth): ManagedProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default(), auth);
    let up = match read_upload(mp).await {
        Ok(u) => u,
        Err(e) => {
            let status = e.status();
            return render_project(&st, &c, p, Some(flash_error(&e.message)), status).await;
        }
    };
    if !csrf_ok(&c, up.csrf.as_deref()) {
        return csrf_refused(&c);
    }
    let actor = c.auth.actor();
    let perms = segment_perms(&c.auth.caller, p.org);
    let pid = p.id;
    let name = up.file_name.clone();
    let res = blocking(&st, move |a| {
        a.l10n()
            .import_xliff_as(pid, &up.file_name, &up.bytes, perms, &actor)
    })
    .await;
    match res {
        Ok(r) => {
            let msg = html! {
                p.ok role="status" { (tr_args(c.loc, "l10n-import-done", &[
                    ("file", FluentValue::from(name)),
                    ("updated", FluentValue::from(r.updated)),
                    ("unchanged", FluentValue::from(r.unchanged)),
                    ("comments", FluentValue::from(r.comments)),
                ])) }
            };
            render_project(&st, &c, p, Some(msg), StatusCode::OK).await
        }
        Err(e) => {
            let status = e.status();
            render_project(&st, &c, p, Some(flash_error(&e.message)), status).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct GlossaryForm {
    csrf: Option<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    aliases: String,
    #[serde(default)]
    forbidden: String,
    #[serde(default)]
    locked: Option<String>,
    #[serde(default)]
    note: String,
}

/// Splits a list typed in one field: commas (also full-width and the
/// enumeration comma 、), semicolons or new lines.
fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

async fn add_glossary(
    ManagedProject(p, auth): ManagedProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<GlossaryForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let actor = c.auth.actor();
    let input = svc::GlossaryInput {
        id: None,
        source: f.source,
        aliases: split_list(&f.aliases),
        target: f.target,
        kind: if f.kind.trim().is_empty() {
            "term".into()
        } else {
            f.kind.trim().to_string()
        },
        concept: None,
        locked: f.locked.is_some(),
        forbidden: split_list(&f.forbidden),
        note: f.note,
    };
    let p2 = p.clone();
    let res = blocking(&st, move |a| {
        a.l10n().put_glossary_entry(&p2, input, &actor)
    })
    .await;
    match res {
        Ok(_) => Redirect::to(&format!("/l10n/{}#glossary", p.id)).into_response(),
        Err(e) => {
            let status = e.status();
            render_project(&st, &c, p, Some(flash_error(&e.message)), status).await
        }
    }
}

async fn delete_glossary(
    ManagedProject(p, auth): ManagedProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Path((_, entry)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let actor = c.auth.actor();
    let p2 = p.clone();
    let res = blocking(&st, move |a| {
        a.l10n().delete_glossary_entry(&p2, entry, &actor)
    })
    .await;
    match res {
        Ok(()) => Redirect::to(&format!("/l10n/{}#glossary", p.id)).into_response(),
        Err(e) => {
            let status = e.status();
            render_project(&st, &c, p, Some(flash_error(&e.message)), status).await
        }
    }
}

// ----------------------------------------------------------------------
// /l10n/{project}/qa: every finding

#[derive(Debug, Deserialize, Default)]
struct QaQuery {
    lang: Option<String>,
    check: Option<String>,
}

async fn qa_page(
    ReadableProject(p, auth): ReadableProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<QaQuery>,
) -> Response {
    let c = query_ctx(&headers, q.lang, auth);
    let pid = p.id;
    let work = p.work;
    let res = blocking(&st, move |a| {
        let findings: Vec<Value> = a
            .l10n()
            .project_qa(pid)?
            .iter()
            .map(svc::finding_json)
            .collect();
        let title = a.catalog().work(work)?.map(|w| w.title).unwrap_or_default();
        Ok((findings, title))
    })
    .await;
    let (findings, title) = match res {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let check = q.check.filter(|x| !x.trim().is_empty());
    let shown: Vec<&Value> = findings
        .iter()
        .filter(|f| check.as_deref().is_none_or(|ch| s(f, "check") == ch))
        .collect();
    let body = html! {
        p.crumbs { a href="/l10n" { (tr(c.loc, "l10n-title")) } " › " a href={ "/l10n/" (p.id) } { (title) " → " (p.locale) } }
        h1 { (tr(c.loc, "l10n-qa")) @if let Some(ch) = &check { ": " code { (ch) } } }
        p { (tr_args(c.loc, "l10n-qa-total", &[("count", FluentValue::from(shown.len()))]))
            @if check.is_some() { " · " a href={ "/l10n/" (p.id) "/qa" } { (tr(c.loc, "l10n-qa-all")) } } }
        @if !shown.is_empty() {
            table.l10n-qa-list {
                thead { tr {
                    th scope="col" { (tr(c.loc, "l10n-segment")) }
                    th scope="col" { (tr(c.loc, "l10n-qa-check")) }
                    th scope="col" { (tr(c.loc, "l10n-qa-severity")) }
                    th scope="col" { (tr(c.loc, "l10n-qa-message")) }
                } }
                tbody {
                    @for f in &shown {
                        @let key = s(f, "key");
                        tr {
                            td { @if let Some((ch, _)) = parse_segment_key(key) {
                                a href={ "/l10n/" (p.id) "/chapters/" (ch) "#seg-" (key) } { (key) }
                            } @else { (key) } }
                            td { code { (s(f, "check")) } }
                            td { span class={ "sev sev-" (s(f, "severity")) } { (s(f, "severity")) } }
                            td { (s(f, "message")) }
                        }
                    }
                }
            }
        }
    };
    layout_with(&c, &tr(c.loc, "l10n-qa"), head(false), body)
}

// ----------------------------------------------------------------------
// /l10n/{project}/chapters/{number}: the CAT editor

/// The source with the recognised terms marked (`start`/`len` are in characters).
fn source_markup(source: &str, hints: &[Value]) -> Markup {
    let chars: Vec<char> = source.chars().collect();
    let mut spans: Vec<(usize, usize, usize)> = hints
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let start = h.get("start")?.as_u64()? as usize;
            let len = h.get("len")?.as_u64()? as usize;
            (len > 0 && start + len <= chars.len()).then_some((start, len, i))
        })
        .collect();
    spans.sort();
    let mut pos = 0usize;
    let mut parts: Vec<Markup> = Vec::new();
    for (start, len, i) in spans {
        if start < pos {
            continue;
        }
        let before: String = chars[pos..start].iter().collect();
        let term: String = chars[start..start + len].iter().collect();
        let h = &hints[i];
        let locked = h.get("locked").and_then(Value::as_bool).unwrap_or(false);
        parts.push(html! {
            (before)
            mark.term.locked[locked] data-hint=(i) title=(s(h, "text")) { (term) }
        });
        pos = start + len;
    }
    let rest: String = chars[pos.min(chars.len())..].iter().collect();
    html! { @for p in &parts { (p) } (rest) }
}

async fn editor_page(
    ReadableProject(p, auth): ReadableProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Path((_, number)): Path<(i64, u32)>,
    Query(q): Query<LangQuery>,
) -> Response {
    let c = query_ctx(&headers, q.lang, auth);
    let pid = p.id;
    let work = p.work;
    let res = blocking(&st, move |a| {
        let view = a.l10n().chapter_view(pid, number)?;
        if view.is_empty() {
            return Err(AppError::NotFound(format!(
                "chapter {number} of project {pid}"
            )));
        }
        let segments: Vec<Value> = view.iter().map(svc::segment_view_json).collect();
        let chapters = a.catalog().chapters(work)?;
        let title = a.catalog().work(work)?.map(|w| w.title).unwrap_or_default();
        Ok((segments, chapters, title, a.l10n().mt_backends_for(p.org)))
    })
    .await;
    let (segments, chapters, work_title, backends) = match res {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let perms = segment_perms(&c.auth.caller, p.org);
    let chapter_title = chapters
        .iter()
        .find(|ch| ch.number == number)
        .map(|ch| ch.title.clone())
        .unwrap_or_else(|| number.to_string());
    let prev = chapters
        .iter()
        .rev()
        .find(|ch| ch.number < number)
        .map(|ch| ch.number);
    let next = chapters
        .iter()
        .find(|ch| ch.number > number)
        .map(|ch| ch.number);
    let data = serde_json::json!({
        "project": p.id, "chapter": number, "locale": p.locale, "market": p.market,
        "mt_backend": p.settings.mt_backend, "backends": &backends,
        "segments": segments,
    });
    let nav = html! {
        nav.chapter-nav aria-label=(tr(c.loc, "work-chapters")) {
            @if let Some(n) = prev { a rel="prev" href={ "/l10n/" (p.id) "/chapters/" (n) } { "← " (tr(c.loc, "reader-prev")) } } @else { span {} }
            a href={ "/l10n/" (p.id) } { (tr(c.loc, "cat-back")) }
            @if let Some(n) = next { a rel="next" href={ "/l10n/" (p.id) "/chapters/" (n) } { (tr(c.loc, "reader-next")) " →" } } @else { span {} }
        }
    };
    let keys: &[(&str, &str)] = &[
        ("Ctrl+Enter", "cat-key-save"),
        ("Ctrl+Shift+Enter", "cat-key-approve"),
        ("Alt+↓ / Ctrl+↓", "cat-key-next"),
        ("Alt+↑ / Ctrl+↑", "cat-key-prev"),
        ("Ctrl+M", "cat-key-mt"),
        ("Ctrl+1…3 / Alt+1…3", "cat-key-tm"),
    ];
    let filters = ["all", "untranslated", "qa", "fuzzy", "approved"];
    let body = html! {
        p.crumbs { a href="/l10n" { (tr(c.loc, "l10n-title")) } " › "
            a href={ "/l10n/" (p.id) } { span lang="zh-Hans" { (work_title) } " → " (p.locale) " · " (p.market) } }
        h1 { span lang="zh-Hans" { (chapter_title) } " " small { "→ " code { (p.locale) } } }
        (nav)
        noscript { p.hint { (tr(c.loc, "cat-noscript")) } }
        div #cat .cat data-project=(p.id) data-chapter=(number) data-locale=(p.locale)
            data-can-translate=(perms.translate) data-can-review=(perms.review) {
            div.cat-toolbar hidden {
                fieldset.cat-filters {
                    legend { (tr(c.loc, "cat-filter")) }
                    @for f in filters {
                        label { input type="radio" name="cat-filter" value=(f) checked[f == "all"]; " " (tr(c.loc, &format!("cat-filter-{f}"))) " " span.count data-count=(f) {} }
                    }
                }
                label.cat-backend { (tr(c.loc, "l10n-backend")) " "
                    select #cat-backend {
                        option value="" { (tr(c.loc, "l10n-backend-default")) @if let Some(b) = &p.settings.mt_backend { " (" (b) ")" } }
                        @for b in &backends { option value=(b) { (b) } }
                    }
                }
                details.cat-keys {
                    summary { (tr(c.loc, "cat-keys")) }
                    dl { @for (k, m) in keys { dt { kbd { (k) } } dd { (tr(c.loc, m)) } } }
                }
            }
            p #cat-status .cat-status role="status" aria-live="polite" {}
            div.cat-main {
                table.cat-table {
                    caption.visually-hidden { (tr(c.loc, "cat-caption")) }
                    thead { tr {
                        th scope="col" { (tr(c.loc, "l10n-segment")) }
                        th scope="col" { (tr(c.loc, "cat-source")) " " small { "zh-Hans" } }
                        th scope="col" { (tr(c.loc, "cat-target")) " " small { (p.locale) } }
                        th scope="col" { (tr(c.loc, "cat-state")) }
                    } }
                    tbody {
                        @for (i, seg) in segments.iter().enumerate() {
                            @let key = s(seg, "key");
                            @let state = s(seg, "state");
                            @let nf = arr(seg, "findings").len();
                            tr.seg id={ "seg-" (key) } data-index=(i) data-id=(seg["id"]) data-state=(state) {
                                td.key { a href={ "#seg-" (key) } { (key) } }
                                td.src lang="zh-Hans" { (source_markup(s(seg, "source"), arr(seg, "hints"))) }
                                td.tgt lang=(p.locale) { div.tgt-text { (seg["target"].as_str().unwrap_or("")) } }
                                td.meta {
                                    span class={ "badge state-" (state) } { (state_name(c.loc, state)) }
                                    " " span.origin { (seg["origin"].as_str().unwrap_or("")) }
                                    @if nf > 0 { " " span.qa-flag title=(tr(c.loc, "l10n-qa")) { "⚠ " (nf) } }
                                }
                            }
                        }
                    }
                }
                aside #cat-panel .cat-panel hidden aria-label=(tr(c.loc, "cat-panel")) {}
            }
        }
        (nav)
        script #cat-data type="application/json" { (json_block(&data)) }
        (i18n_block(c.loc))
    };
    layout_with(&c, &chapter_title, head(true), body)
}

/// The localized reader: a chapter in the target language, paragraphs as in
/// the source, each term's rendering with a tooltip (source form, gloss,
/// definition, the rule that produced it) like the source reader's.
async fn reader_page(
    ReadableProject(p, auth): ReadableProject,
    State(st): State<HubState>,
    headers: HeaderMap,
    Path((_, number)): Path<(i64, u32)>,
    Query(q): Query<LangQuery>,
) -> Response {
    let c = query_ctx(&headers, q.lang, auth);
    let (pid, work) = (p.id, p.work);
    let res = blocking(&st, move |a| {
        let paras = a.l10n().localized_chapter(pid, number)?;
        let chapters = a.catalog().chapters(work)?;
        let title = a.catalog().work(work)?.map(|w| w.title).unwrap_or_default();
        Ok((paras, chapters, title))
    })
    .await;
    let (paras, chapters, work_title) = match res {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let prev = chapters
        .iter()
        .rev()
        .find(|ch| ch.number < number)
        .map(|ch| ch.number);
    let next = chapters
        .iter()
        .find(|ch| ch.number > number)
        .map(|ch| ch.number);
    let body = html! {
        p.crumbs { a href="/l10n" { (tr(c.loc, "l10n-title")) } " › "
            a href={ "/l10n/" (p.id) } { span lang="zh-Hans" { (work_title) } " → " (p.locale) " · " (p.market) } }
        nav.chapter-nav aria-label=(tr(c.loc, "work-chapters")) {
            @if let Some(n) = prev { a rel="prev" href={ "/l10n/" (p.id) "/read/" (n) } { "← " (tr(c.loc, "reader-prev")) } } @else { span {} }
            a href={ "/l10n/" (p.id) "/chapters/" (number) } { (tr(c.loc, "l10n-reader-edit")) }
            @if let Some(n) = next { a rel="next" href={ "/l10n/" (p.id) "/read/" (n) } { (tr(c.loc, "reader-next")) " →" } } @else { span {} }
        }
        article.reader lang=(p.locale) {
            @for para in &paras {
                p {
                    @for run in para {
                        @if let Some(t) = &run.term {
                            span.term tabindex="0" data-concept=[t.concept.as_deref()] {
                                @if let Some(cid) = &t.concept {
                                    a.surface href={ "/kb/concepts/" (cid) } { (run.text) }
                                } @else {
                                    span.surface { (run.text) }
                                }
                                span.gloss role="tooltip" {
                                    b lang="zh-Hans" { (t.source) }
                                    @if let Some(g) = &t.gloss { " · " (g) }
                                    @if let Some(d) = &t.definition { br; (d) }
                                    br; small { (t.rule) }
                                }
                            }
                        } @else {
                            (run.text)
                        }
                    }
                }
            }
        }
    };
    layout_with(&c, &tr(c.loc, "l10n-reader"), html! {}, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_blocks_cannot_close_the_script_element() {
        let v = serde_json::json!({"t": "</script><b>&"});
        let out = json_block(&v).into_string();
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&'));
        let back: Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(back, v);
    }

    #[test]
    fn source_terms_are_marked_by_character_offsets() {
        let hints = vec![
            serde_json::json!({"start": 2, "len": 3, "text": "Lingyin Temple", "locked": true}),
        ];
        let m = source_markup("来到灵隐寺前", &hints).into_string();
        assert_eq!(
            m,
            "来到<mark class=\"term locked\" data-hint=\"0\" title=\"Lingyin Temple\">灵隐寺</mark>前"
        );
        // Out-of-range hints are ignored.
        let bad = vec![serde_json::json!({"start": 5, "len": 9})];
        assert_eq!(
            source_markup("来到灵隐寺前", &bad).into_string(),
            "来到灵隐寺前"
        );
    }

    #[test]
    fn lists_split_on_chinese_and_latin_separators() {
        assert_eq!(
            split_list("济公、济颠, 道济；\n"),
            vec!["济公", "济颠", "道济"]
        );
    }
}
