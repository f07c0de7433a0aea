//! Pages of licences (the rights map of a work, the grant form) and of the
//! piracy check.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::layout::{csrf_field, csrf_ok, csrf_refused, ctx, error_page, layout, CommonQuery, Ctx};
use crate::auth::{Authed, RightsGranter, RightsReader};
use crate::i18n::{tr, tr_args};
use crate::{blocking, HubState};
use qiantang_app::rights::GrantInput;
use qiantang_auth::policy::Action;
use qiantang_rights::{Conflict, Grant, GrantOutcome, GrantStatus, Medium, RightsMap};
use qiantang_works::model::Work;

fn field<'a>(form: &'a [(String, String)], k: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn medium_name(c: &Ctx, m: Medium) -> String {
    tr(c.loc, &format!("medium-{}", m.as_str()))
}

fn map_table(c: &Ctx, m: &RightsMap) -> Markup {
    html! {
        @if m.cells.is_empty() {
            p { (tr(c.loc, "rights-none")) }
        } @else {
            table.rights-map {
                thead { tr {
                    th { (tr(c.loc, "rights-medium")) } th { (tr(c.loc, "rights-territory")) }
                    th { (tr(c.loc, "rights-language")) } th { (tr(c.loc, "rights-holders")) }
                } }
                tbody {
                    @for cell in &m.cells {
                        tr {
                            td { (medium_name(c, cell.medium)) }
                            td { (cell.territory) " " span.meta { (cell.territory.name()) } }
                            td { (cell.language) }
                            td {
                                @for h in &cell.holders {
                                    div.holder {
                                        (h.licensee) " · "
                                        @if h.exclusive { strong { (tr(c.loc, "rights-exclusive")) } } @else { (tr(c.loc, "rights-non-exclusive")) }
                                        " · " (h.start) " – " (h.end.map(|d| d.to_string()).unwrap_or_else(|| tr(c.loc, "rights-perpetual")))
                                        @if h.status == GrantStatus::Offer { " · " em { (tr(c.loc, "rights-status-offer")) } }
                                        @if h.flagged { " · " strong.error { (tr(c.loc, "rights-flagged")) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn conflicts_markup(c: &Ctx, conflicts: &[Conflict]) -> Markup {
    html! {
        div.error {
            p { (tr_args(c.loc, "rights-refused", &[("count", conflicts.len().into())])) }
            ul { @for x in conflicts { li { (x.description) } } }
        }
    }
}

fn grants_table(c: &Ctx, work: &Work, grants: &[Grant], can_grant: bool) -> Markup {
    html! {
        table.licences {
            thead { tr {
                th { "#" } th { (tr(c.loc, "rights-licensee")) } th { (tr(c.loc, "rights-territory")) }
                th { (tr(c.loc, "rights-language")) } th { (tr(c.loc, "rights-medium")) } th { (tr(c.loc, "rights-term")) }
                th { (tr(c.loc, "rights-status")) } th {}
            } }
            tbody {
                @for g in grants {
                    tr {
                        td { (g.id) }
                        td { (g.licensee) @if g.exclusive { " · " strong { (tr(c.loc, "rights-exclusive")) } } }
                        td { (g.territories.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")) }
                        td { (g.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")) }
                        td { (g.media.iter().map(|m| medium_name(c, *m)).collect::<Vec<_>>().join(", ")) }
                        td { (g.term()) }
                        td {
                            (tr(c.loc, &format!("rights-status-{}", g.status.as_str())))
                            @if g.flagged { " · " strong.error title=(g.conflicts.iter().map(|x| x.description.clone()).collect::<Vec<_>>().join("; ")) { (tr(c.loc, "rights-flagged")) } }
                        }
                        td {
                            @if can_grant && g.status != GrantStatus::Revoked {
                                form method="post" action={ "/works/" (work.id) "/licences/" (g.id) "/revoke" } {
                                    (csrf_field(c)) button.secondary type="submit" { (tr(c.loc, "rights-revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn grant_form(c: &Ctx, work: &Work, form: &[(String, String)]) -> Markup {
    let media_checked = |m: Medium| form.iter().any(|(k, v)| k == "media" && v == m.as_str());
    html! {
        form.grant method="post" action={ "/works/" (work.id) "/rights" } {
            (csrf_field(c))
            label { (tr(c.loc, "rights-licensee")) input type="text" name="licensee" required value=(field(form, "licensee")); }
            label { (tr(c.loc, "rights-territories-help")) input type="text" name="territories" required placeholder="US, CA / WW" value=(field(form, "territories")); }
            label { (tr(c.loc, "rights-languages-help")) input type="text" name="languages" required placeholder="en / *" value=(field(form, "languages")); }
            fieldset {
                legend { (tr(c.loc, "rights-medium")) }
                @for m in Medium::ALL {
                    label.inline { input type="checkbox" name="media" value=(m.as_str()) checked[media_checked(m)]; " " (medium_name(c, m)) }
                }
            }
            label { (tr(c.loc, "rights-start")) input type="date" name="start" required value=(field(form, "start")); }
            label { (tr(c.loc, "rights-end")) input type="date" name="end" value=(field(form, "end")); }
            label.inline { input type="checkbox" name="exclusive" value="1" checked[field(form, "exclusive") == "1"]; " " (tr(c.loc, "rights-exclusive")) }
            label { (tr(c.loc, "rights-status"))
                select name="status" {
                    option value="granted" { (tr(c.loc, "rights-status-granted")) }
                    option value="offer" selected[field(form, "status") == "offer"] { (tr(c.loc, "rights-status-offer")) }
                }
            }
            label { (tr(c.loc, "rights-notes")) textarea name="notes" rows="2" { (field(form, "notes")) } }
            label.inline { input type="checkbox" name="force_flag" value="1"; " " (tr(c.loc, "rights-force-flag")) }
            button type="submit" { (tr(c.loc, "rights-add")) }
        }
    }
}

async fn render(
    s: &HubState,
    c: &Ctx,
    work: Work,
    form: &[(String, String)],
    notice: Option<Markup>,
    status: StatusCode,
) -> Response {
    let can_grant = c.auth.caller.can(Action::GrantRights { org: work.org });
    let w = work.clone();
    let (grants, map) = match blocking(s, move |a| {
        Ok((a.rights().list_grants(&w)?, a.rights().rights_map(&w)?))
    })
    .await
    {
        Ok(v) => v,
        Err(e) => return error_page(c, e),
    };
    let title = tr_args(
        c.loc,
        "rights-title",
        &[("title", work.title.clone().into())],
    );
    let body = html! {
        h1 { (title) }
        p { a href={ "/works/" (work.id) } { "← " (work.title) } }
        @if let Some(n) = notice { (n) }
        section #map { h2 { (tr(c.loc, "rights-map")) } (map_table(c, &map)) }
        section #licences {
            h2 { (tr(c.loc, "rights-licences")) }
            @if grants.is_empty() { p { (tr(c.loc, "rights-none")) } } @else { (grants_table(c, &work, &grants, can_grant)) }
        }
        @if can_grant {
            section #grant { h2 { (tr(c.loc, "rights-add")) } p.meta { (tr(c.loc, "rights-rule")) } (grant_form(c, &work, form)) }
        }
    };
    (status, layout(c, &title, body)).into_response()
}

pub(super) async fn rights_page(
    RightsReader(work, auth): RightsReader,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    render(&s, &c, work, &[], None, StatusCode::OK).await
}

pub(super) async fn rights_submit(
    RightsGranter(work, auth): RightsGranter,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default(), auth);
    if !csrf_ok(
        &c,
        form.iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str()),
    ) {
        return csrf_refused(&c);
    }
    let input = GrantInput {
        licensee: field(&form, "licensee").to_string(),
        territories: vec![field(&form, "territories").to_string()],
        languages: vec![field(&form, "languages").to_string()],
        media: form
            .iter()
            .filter(|(k, _)| k == "media")
            .map(|(_, v)| v.clone())
            .collect(),
        exclusive: field(&form, "exclusive") == "1",
        start: field(&form, "start").to_string(),
        end: Some(field(&form, "end").to_string()),
        status: Some(field(&form, "status").to_string()),
        notes: field(&form, "notes").to_string(),
        force_flag: field(&form, "force_flag") == "1",
    };
    let actor = c.auth.actor();
    let w = work.clone();
    match blocking(&s, move |a| a.rights().create_grant(&w, &input, &actor)).await {
        Ok(GrantOutcome::Created(_)) => {
            Redirect::to(&format!("/works/{}/rights#licences", work.id)).into_response()
        }
        Ok(GrantOutcome::Refused(conflicts)) => {
            let n = conflicts_markup(&c, &conflicts);
            render(&s, &c, work, &form, Some(n), StatusCode::CONFLICT).await
        }
        Err(e) => {
            let status = e.status();
            let n = html! { p.error { (e.message) } };
            render(&s, &c, work, &form, Some(n), status).await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct CsrfOnly {
    csrf: Option<String>,
}

pub(super) async fn revoke_submit(
    RightsGranter(work, auth): RightsGranter,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path((_, licence)): Path<(i64, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default(), auth);
    if !csrf_ok(&c, f.csrf.as_deref()) {
        return csrf_refused(&c);
    }
    let Ok(id) = licence.parse::<i64>() else {
        return error_page(
            &c,
            crate::HttpError::not_found(format!("licence {licence}")),
        );
    };
    let actor = c.auth.actor();
    let w = work.clone();
    match blocking(&s, move |a| a.rights().revoke_grant(&w, id, &actor)).await {
        Ok(_) => Redirect::to(&format!("/works/{}/rights#licences", work.id)).into_response(),
        Err(e) => error_page(&c, e),
    }
}

fn piracy_form(c: &Ctx, text: &str, threshold: &str) -> Markup {
    html! {
        form.piracy method="post" action="/piracy" {
            (csrf_field(c))
            label { (tr(c.loc, "piracy-text")) textarea name="text" rows="12" required { (text) } }
            label { (tr(c.loc, "piracy-threshold")) input type="number" name="threshold" min="0.05" max="1" step="0.05" value=(threshold); }
            button type="submit" { (tr(c.loc, "piracy-check")) }
        }
    }
}

pub(super) async fn piracy_page(
    Authed(auth): Authed,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    let title = tr(c.loc, "piracy-title");
    let body =
        html! { h1 { (title) } p { (tr(c.loc, "piracy-help")) } (piracy_form(&c, "", "0.3")) };
    layout(&c, &title, body)
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct PiracyForm {
    csrf: Option<String>,
    #[serde(default)]
    text: String,
    threshold: Option<String>,
}

pub(super) async fn piracy_submit(
    Authed(auth): Authed,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<PiracyForm>,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default(), auth);
    if !csrf_ok(&c, f.csrf.as_deref()) {
        return csrf_refused(&c);
    }
    let threshold_text = f.threshold.clone().unwrap_or_else(|| "0.3".into());
    let threshold = threshold_text.trim().parse::<f64>().ok();
    let scope = crate::auth::scope_of(&c.auth.caller);
    let text = f.text.clone();
    let result = blocking(&s, move |a| {
        a.piracy()
            .piracy_check("suspect.txt", text.as_bytes(), threshold, &scope)
    })
    .await;
    let title = tr(c.loc, "piracy-title");
    let results = match result {
        Err(e) => html! { p.error { (e.message) } },
        Ok(r) => html! {
            h2 { (tr_args(c.loc, "piracy-summary", &[("matched", r.matched_segments().into()), ("segments", r.segments.len().into()), ("indexed", r.indexed_chapters.into())])) }
            @for seg in &r.segments {
                section.segment {
                    h3 { (seg.number) ". " (if seg.title.is_empty() { tr(c.loc, "piracy-untitled") } else { seg.title.clone() }) }
                    @if let Some(why) = &seg.skipped { p.meta { (why) } }
                    @else if seg.matches.is_empty() { p { (tr(c.loc, "piracy-no-match")) } }
                    @else {
                        table.matches {
                            thead { tr {
                                th { (tr(c.loc, "col-title")) } th { (tr(c.loc, "piracy-org")) } th { (tr(c.loc, "piracy-chapter")) }
                                th.num { (tr(c.loc, "piracy-similarity")) } th { (tr(c.loc, "piracy-evidence")) }
                            } }
                            tbody {
                                @for m in &seg.matches {
                                    tr {
                                        td { a href={ "/works/" (m.work) } { (m.work_title) } }
                                        td { (m.org_name) }
                                        td { a href={ "/works/" (m.work) "/chapters/" (m.chapter) } { (m.chapter) " " (m.chapter_title) } }
                                        td.num { (format!("{:.2}", m.similarity)) }
                                        td { (tr(c.loc, "piracy-imported")) " " (qiantang_app::clock::rfc3339(m.evidence.imported_ms))
                                             @if let Some(i) = m.evidence.deposit_index { " · " (tr(c.loc, "piracy-deposit")) " #" (i) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    };
    let body = html! { h1 { (title) } (results) (piracy_form(&c, &f.text, &threshold_text)) };
    layout(&c, &title, body)
}
