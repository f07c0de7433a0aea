//! Pages of the copyright deposit log: the deposit page of an organization
//! (upload form for owners/editors, the organization's entries), one
//! entry's page with the two stages explained, and the public verification
//! page `/verify/{index}?h=SHA256` (the certificate QR code's target).

use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{csrf_field, csrf_ok, csrf_refused, ctx, error_page, layout, CommonQuery, Ctx};
use crate::api::deposit::{
    do_deposit, entry_view, org_entries, read_deposit_upload, service, DepositTarget, EntryView,
};
use crate::auth::{Authed, RequestAuth};
use crate::i18n::tr;
use crate::{blocking, HubState};
use qiantang_auth::policy::Action;
use qiantang_deposit::EntryStatus;
use qiantang_ledger::entry::Kind;

fn status_word(c: &Ctx, s: EntryStatus) -> String {
    tr(
        c.loc,
        match s {
            EntryStatus::Pending => "deposit-status-pending",
            EntryStatus::Integrated => "deposit-status-integrated",
            EntryStatus::Final => "deposit-status-final",
        },
    )
}

fn stages(c: &Ctx) -> Markup {
    html! {
        ol.stages {
            li { (tr(c.loc, "deposit-stage-pending")) }
            li { (tr(c.loc, "deposit-stage-final")) }
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct DepositsQuery {
    org: Option<String>,
    lang: Option<String>,
}

/// `GET /deposits`: the organizations' deposits and the upload form.
pub(super) async fn deposits_page(
    Authed(auth): Authed,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<DepositsQuery>,
) -> Response {
    let c = ctx(
        &headers,
        &CommonQuery {
            lang: q.lang.clone(),
            ..Default::default()
        },
        auth,
    );
    deposits_markup(&s, &c, q.org, None).await
}

async fn deposits_markup(
    s: &HubState,
    c: &Ctx,
    org: Option<String>,
    message: Option<Markup>,
) -> Response {
    let caller = c.auth.caller.clone();
    let orgs = blocking(s, move |a| {
        Ok(a.accounts()
            .list_orgs()?
            .into_iter()
            .filter(|o| caller.role_in(o.id).is_some())
            .map(|o| (o.name, caller.can(Action::WriteWork { org: o.id })))
            .collect::<Vec<_>>())
    })
    .await
    .unwrap_or_default();
    let writable: Vec<&String> = orgs.iter().filter(|(_, w)| *w).map(|(n, _)| n).collect();
    let shown = org
        .filter(|o| orgs.iter().any(|(n, _)| n == o))
        .or_else(|| orgs.first().map(|(n, _)| n.clone()));
    let svc = service(s).ok();
    let entries = match (&svc, &shown) {
        (Some(svc), Some(o)) => {
            let (svc, o) = (svc.clone(), o.clone());
            tokio::task::spawn_blocking(move || org_entries(&svc, &o, 200))
                .await
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let body = html! {
        h1 { (tr(c.loc, "deposit-title")) }
        p { (tr(c.loc, "deposit-intro")) }
        (stages(c))
        @if let Some(m) = message { (m) }
        @if svc.is_none() {
            p.error { (tr(c.loc, "deposit-no-log")) }
        } @else if writable.is_empty() {
            p { (tr(c.loc, "deposit-no-org")) }
        } @else {
            form.import method="post" action="/deposits" enctype="multipart/form-data" {
                (csrf_field(c))
                p { label { (tr(c.loc, "import-org")) " " select name="org" { @for o in &writable { option value=(o) selected[shown.as_ref() == Some(*o)] { (o) } } } } }
                p { label { (tr(c.loc, "deposit-file")) br; input type="file" name="file" required; } }
                p { label { (tr(c.loc, "deposit-title-field")) br; input type="text" name="title" maxlength="500"; } }
                p { label { (tr(c.loc, "deposit-kind")) " " select name="kind" { @for k in Kind::ALL { @if k != Kind::Licence { option value=(k.as_str()) selected[k == Kind::File] { (k.as_str()) } } } } } }
                p { label { (tr(c.loc, "deposit-parent")) br; input type="number" name="parent" min="0"; } }
                p { button type="submit" { (tr(c.loc, "deposit-submit")) } }
            }
        }
        @if let Some(o) = &shown {
            h2 { (tr(c.loc, "deposit-list")) " · " (o) }
            @if entries.is_empty() {
                p { (tr(c.loc, "deposit-none")) }
            } @else {
                table.works {
                    thead { tr { th.num { "#" } th { (tr(c.loc, "col-title")) } th { (tr(c.loc, "deposit-kind")) } th { (tr(c.loc, "deposit-status")) } th { "SHA-256" } } }
                    tbody {
                        @for (i, st, e) in &entries {
                            tr {
                                td.num { a href={ "/deposits/" (i) } { (i) } }
                                td { (e.title) }
                                td { (e.kind.as_str()) }
                                td { (status_word(c, *st)) }
                                td { code { (e.sha256.get(..16).unwrap_or("")) "…" } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(c, &tr(c.loc, "deposit-title"), body)
}

/// `POST /deposits`: the upload form.
pub(super) async fn deposit_submit(
    DepositTarget(auth): DepositTarget,
    State(s): State<HubState>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default(), auth);
    let up = match read_deposit_upload(mp).await {
        Ok(u) => u,
        Err(e) => return error_page(&c, e),
    };
    if !csrf_ok(&c, up.csrf.as_deref()) {
        return csrf_refused(&c);
    }
    let org = up.org.clone();
    match do_deposit(&s, &c.auth, up).await {
        Ok(out) => Redirect::to(&format!("/deposits/{}", out.index)).into_response(),
        Err(e) => {
            let status = e.status();
            let m = html! { p.error role="alert" { (e.message) } };
            (status, deposits_markup(&s, &c, org, Some(m)).await).into_response()
        }
    }
}

fn entry_markup(c: &Ctx, v: &EntryView, given: Option<&str>) -> Markup {
    let fin = v.status == EntryStatus::Final;
    html! {
        h1 { (tr(c.loc, "deposit-entry")) " #" (v.index) }
        @if let Some(h) = given {
            @if h.eq_ignore_ascii_case(&v.entry.sha256) {
                p.ok.hash-match { (tr(c.loc, "verify-match")) }
            } @else {
                p.error.hash-mismatch { (tr(c.loc, "verify-mismatch")) }
            }
        }
        table.meta {
            tr { th { (tr(c.loc, "col-title")) } td { (v.entry.title) } }
            tr { th { (tr(c.loc, "deposit-owner")) } td { (v.entry.org) } }
            tr { th { (tr(c.loc, "deposit-kind")) } td { (v.entry.kind.as_str()) } }
            tr { th { "SHA-256" } td { code { (v.entry.sha256) } } }
            tr { th { (tr(c.loc, "deposit-size")) } td { (v.entry.size) " B · " (v.entry.media_type) } }
            tr { th { (tr(c.loc, "deposit-leaf")) } td { code { (v.leaf_hash) } } }
            tr { th { (tr(c.loc, "deposit-status")) } td { (status_word(c, v.status)) } }
            @if let Some(cp) = &v.checkpoint {
                tr { th { (tr(c.loc, "deposit-checkpoint")) } td { (cp.origin) " · " (cp.size) } }
            }
            tr { th { (tr(c.loc, "deposit-cosigners")) } td {
                @if v.cosigners.is_empty() { "—" }
                @for (n, t) in &v.cosigners { (n) " (" (qiantang_app::clock::rfc3339(i64::try_from(*t).unwrap_or(0) * 1000)) ") " }
            } }
            @if let Some(t) = &v.timestamp { tr { th { "RFC 3161" } td { (t) } } }
            @if let Some(p) = &v.entry.parent { tr { th { (tr(c.loc, "deposit-parent")) } td { a href={ "/deposits/" (p.index) } { "#" (p.index) } } } }
            tr { th { (tr(c.loc, "deposit-log-key")) } td { code { (v.log_key) } } }
        }
        (stages(c))
        @if fin {
            p {
                a href={ "/api/v1/deposits/" (v.index) "/receipt" } { (tr(c.loc, "deposit-receipt")) } " · "
                a href={ "/api/v1/deposits/" (v.index) "/certificate" } { (tr(c.loc, "deposit-certificate")) }
            }
        } @else {
            p { (tr(c.loc, "deposit-wait")) }
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct VerifyQuery {
    h: Option<String>,
    lang: Option<String>,
}

async fn entry_page(
    s: HubState,
    auth: RequestAuth,
    headers: HeaderMap,
    index: u64,
    q: VerifyQuery,
) -> Response {
    let c = ctx(
        &headers,
        &CommonQuery {
            lang: q.lang.clone(),
            ..Default::default()
        },
        auth,
    );
    let svc = match service(&s) {
        Ok(svc) => svc,
        Err(e) => return error_page(&c, e),
    };
    let v = match tokio::task::spawn_blocking(move || entry_view(&svc, index)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return error_page(&c, e),
        Err(_) => return error_page(&c, crate::HttpError::internal()),
    };
    let title = format!("{} #{index}", tr(c.loc, "deposit-entry"));
    layout(&c, &title, entry_markup(&c, &v, q.h.as_deref()))
}

/// `GET /deposits/{index}`: one entry (public, like the log).
pub(super) async fn deposit_entry_page(
    auth: RequestAuth,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(index): Path<u64>,
    Query(q): Query<VerifyQuery>,
) -> Response {
    entry_page(s, auth, headers, index, q).await
}

/// `GET /verify/{index}?h=SHA256`: the certificate's verification page.
pub(super) async fn verify_page(
    auth: RequestAuth,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(index): Path<u64>,
    Query(q): Query<VerifyQuery>,
) -> Response {
    entry_page(s, auth, headers, index, q).await
}
