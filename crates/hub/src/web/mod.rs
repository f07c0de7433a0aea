//! Server-rendered pages (maud). No JavaScript is required; the small
//! vendored `app.js` only remembers the reader's market choice.

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fluent_bundle::FluentValue;
use maud::{html, Markup, PreEscaped};
use qiantang_app::accounts::AuditDetail;
use serde::Deserialize;

use crate::auth::{
    get_cookie, Authed, ImportTarget, KbEditor, KbReviewer, OrgOwner, Policy, ReadableWork,
    RequestAuth, WritableWork, SESSION_COOKIE,
};
use crate::i18n::{tr, tr_args, Locale};
use crate::upload::{do_import, read_upload, Upload};
use crate::{blocking, HttpError, HubState};
use qiantang_app::kb::KbView;
use qiantang_app::{App, AppError};
use qiantang_kb::{Concept, LabelKind, Status, CATEGORIES, EN, PINYIN, ZH_HANS, ZH_HANT};

#[macro_use]
pub(crate) mod layout;
mod deposit;
pub mod l10n;
mod rights;

use layout::*;

/// Page routes: (method, path template, access rule), checked by the route tests.
pub const PAGE_ROUTES: &[(&str, &str, Policy)] = &[
    ("GET", "/", Policy::Public),
    ("GET", "/works/{id}", Policy::WorkRead),
    ("POST", "/works/{id}/tag", Policy::WorkWrite),
    ("GET", "/works/{id}/chapters/{number}", Policy::WorkRead),
    ("GET", "/works/{id}/rights", Policy::WorkMember),
    ("POST", "/works/{id}/rights", Policy::WorkWrite),
    (
        "POST",
        "/works/{id}/licences/{licence}/revoke",
        Policy::WorkWrite,
    ),
    ("GET", "/piracy", Policy::Authenticated),
    ("POST", "/piracy", Policy::Authenticated),
    ("GET", "/import", Policy::Authenticated),
    ("POST", "/import", Policy::OrgWrite),
    ("GET", "/kb", Policy::Public),
    ("GET", "/kb/concepts/{id}", Policy::Public),
    ("GET", "/kb/concepts/{id}/edit", Policy::KbPropose),
    ("POST", "/kb/concepts/{id}/edit", Policy::KbPropose),
    ("GET", "/kb/proposals", Policy::KbPropose),
    ("POST", "/kb/proposals/{proposal}/approve", Policy::KbEdit),
    ("POST", "/kb/proposals/{proposal}/reject", Policy::KbEdit),
    ("GET", "/kb/export", Policy::Public),
    ("GET", "/lang/{tag}", Policy::Public),
    ("GET", "/login", Policy::Public),
    ("POST", "/login", Policy::Public),
    ("POST", "/logout", Policy::Authenticated),
    ("GET", "/account", Policy::Authenticated),
    ("POST", "/account/password", Policy::Authenticated),
    ("POST", "/account/orgs/{org}/tokens", Policy::OrgOwner),
    ("POST", "/account/orgs/{org}/members", Policy::OrgOwner),
    (
        "POST",
        "/account/orgs/{org}/tokens/{token}/revoke",
        Policy::OrgOwner,
    ),
    ("GET", "/deposits", Policy::Authenticated),
    ("POST", "/deposits", Policy::OrgWrite),
    ("GET", "/deposits/{index}", Policy::Public),
    ("GET", "/verify/{index}", Policy::Public),
    ("GET", "/static/app.css", Policy::Public),
    ("GET", "/static/app.js", Policy::Public),
];

/// Every page route: [`PAGE_ROUTES`] and the localization pages'
/// [`crate::web::l10n::PAGE_ROUTES`] (the route tests check both).
pub fn all_page_routes() -> Vec<(&'static str, &'static str, Policy)> {
    PAGE_ROUTES
        .iter()
        .chain(crate::web::l10n::PAGE_ROUTES)
        .copied()
        .collect()
}

/// The page router.
pub fn routes() -> Router<HubState> {
    Router::new()
        .route("/", get(catalog))
        .route("/works/{id}", get(work_page))
        .route("/works/{id}/tag", post(retag))
        .route("/works/{id}/chapters/{number}", get(reader))
        .route(
            "/works/{id}/rights",
            get(rights::rights_page).post(rights::rights_submit),
        )
        .route(
            "/works/{id}/licences/{licence}/revoke",
            post(rights::revoke_submit),
        )
        .route(
            "/piracy",
            get(rights::piracy_page).post(rights::piracy_submit),
        )
        .route("/import", get(import_form).post(import_submit))
        .route(
            "/deposits",
            get(deposit::deposits_page).post(deposit::deposit_submit),
        )
        .route("/deposits/{index}", get(deposit::deposit_entry_page))
        .route("/verify/{index}", get(deposit::verify_page))
        .route("/kb", get(kb_page))
        .route("/kb/concepts/{id}", get(concept_page))
        .route(
            "/kb/concepts/{id}/edit",
            get(concept_edit).post(concept_save),
        )
        .route("/kb/export", get(kb_export))
        .route("/kb/proposals", get(proposals_page))
        .route("/kb/proposals/{proposal}/approve", post(proposal_approve))
        .route("/kb/proposals/{proposal}/reject", post(proposal_reject))
        .route("/lang/{tag}", get(set_lang))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .route("/account/password", post(account_password))
        .route("/account/orgs/{org}/tokens", post(account_create_token))
        .route("/account/orgs/{org}/members", post(account_set_member))
        .route(
            "/account/orgs/{org}/tokens/{token}/revoke",
            post(account_revoke_token),
        )
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../../static/app.js"),
                )
            }),
        )
}

async fn catalog(
    auth: RequestAuth,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let scope = crate::auth::scope_of(&auth.caller);
    let c = ctx(&headers, &q, auth);
    let works = page_try!(
        c,
        blocking(&s, move |a| a.catalog().list_works(&scope)).await
    );
    let body = html! {
        h1 { (tr(c.loc, "catalog-title")) }
        @if works.is_empty() {
            p { (tr(c.loc, "catalog-empty")) " " a href="/import" { (tr(c.loc, "nav-import")) } }
        } @else {
            table.works {
                thead { tr { th { (tr(c.loc, "col-title")) } th { (tr(c.loc, "col-author")) } th.num { (tr(c.loc, "col-chapters")) } th.num { (tr(c.loc, "col-chars")) } } }
                tbody {
                    @for w in &works {
                        tr {
                            td { a.work-link href={ "/works/" (w.id) } { (w.title) } }
                            td { (w.author.as_deref().unwrap_or("—")) }
                            td.num { (w.chapter_count) }
                            td.num { (w.char_count) }
                        }
                    }
                }
            }
        }
    };
    layout(&c, &tr(c.loc, "catalog-title"), body).into_response()
}

fn category_name(loc: Locale, key: &str) -> String {
    CATEGORIES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| {
            if loc == Locale::En {
                en.to_string()
            } else {
                zh.to_string()
            }
        })
        .unwrap_or_else(|| key.to_string())
}

/// A horizontal bar chart as inline SVG: (label, value, href).
fn bar_chart(rows: &[(String, u64, Option<String>)], class: &str) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let h = 22;
    let height = rows.len() * h + 4;
    html! {
        svg.(class) xmlns="http://www.w3.org/2000/svg" width="640" height=(height) viewBox={ "0 0 640 " (height) } role="img" {
            @for (i, (label, v, href)) in rows.iter().enumerate() {
                @let y = i * h + 2;
                @let w = (*v as f64 / max as f64 * 360.0).max(1.0);
                g {
                    title { (label) ": " (v) }
                    @let short: String = if label.chars().count() > 22 { label.chars().take(21).chain(std::iter::once('…')).collect() } else { label.clone() };
                    @if let Some(href) = href {
                        a href=(href) { text x="0" y=(y + 15) font-size="13" { (short) } }
                    } @else {
                        text x="0" y=(y + 15) font-size="13" { (short) }
                    }
                    rect x="230" y=(y + 2) width=(format!("{w:.1}")) height="16" rx="2" class="bar" {}
                    text x=(format!("{:.1}", 236.0 + w)) y=(y + 15) font-size="12" class="val" { (v) }
                }
            }
        }
    }
}

async fn work_page(
    ReadableWork(work, auth): ReadableWork,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let can_write = auth
        .caller
        .can(qiantang_auth::policy::Action::WriteWork { org: work.org });
    let can_see_rights = auth
        .caller
        .can(qiantang_auth::policy::Action::ReadRights { org: work.org });
    let c = ctx(&headers, &q, auth);
    let id = work.id;
    let (chapters, profile) = page_try!(
        c,
        blocking(&s, move |a| Ok((
            a.catalog().chapters(id)?,
            a.catalog().profile(id)?
        )))
        .await
    );
    let body = html! {
        h1 { (work.title) }
        p.meta {
            @if let Some(a) = &work.author { (a) " · " }
            (tr_args(c.loc, "work-meta", &[
                ("chapters", FluentValue::from(work.chapter_count)),
                ("chars", FluentValue::from(work.char_count)),
                ("encoding", FluentValue::from(work.source_encoding.clone())),
            ]))
        }
        @if can_see_rights {
            p { a href={ "/works/" (work.id) "/rights" } { (tr(c.loc, "work-rights")) } }
        }
        section #profile {
            h2 { (tr(c.loc, "work-profile")) }
            @match &profile {
                None => p { (tr(c.loc, "work-profile-empty")) },
                Some(p) => {
                    p { (tr_args(c.loc, "work-total", &[("count", FluentValue::from(p.total)), ("concepts", FluentValue::from(p.concepts.len()))])) }
                    h3 { (tr(c.loc, "col-category")) }
                    (bar_chart(&p.categories.iter().map(|(k, n, _)| (category_name(c.loc, k), *n, None)).collect::<Vec<_>>(), "chart categories"))
                    h3 { (tr(c.loc, "col-concept")) }
                    (bar_chart(&p.concepts.iter().take(25).map(|e| {
                        let label = match (c.loc, &e.label_en) { (Locale::En, Some(en)) => format!("{} {}", e.label, en), _ => e.label.clone() };
                        (label, e.count, Some(format!("/kb/concepts/{}", e.concept)))
                    }).collect::<Vec<_>>(), "chart concepts"))
                    details {
                        summary { (tr(c.loc, "col-concept")) " (" (p.concepts.len()) ")" }
                        table.profile {
                            thead { tr { th { (tr(c.loc, "col-concept")) } th { (tr(c.loc, "col-category")) } th.num { (tr(c.loc, "col-count")) } th.num { (tr(c.loc, "col-in-chapters")) } } }
                            tbody {
                                @for e in &p.concepts {
                                    tr {
                                        td { a href={ "/kb/concepts/" (e.concept) } { (e.label) } @if let Some(en) = &e.label_en { " " span.en { (en) } } }
                                        td { (category_name(c.loc, &e.category)) }
                                        td.num { (e.count) }
                                        td.num { (e.chapters) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if can_write {
                form method="post" action={ "/works/" (work.id) "/tag" } { (csrf_field(&c)) button type="submit" { (tr(c.loc, "work-tag-again")) } }
                p { a.button.localize href={ "/l10n?work=" (work.id) } { (tr(c.loc, "work-localize")) } }
            }
        }
        section #chapters {
            h2 { (tr(c.loc, "work-chapters")) }
            ol.chapters {
                @for ch in &chapters {
                    li { a href={ "/works/" (work.id) "/chapters/" (ch.number) } { (ch.title) } }
                }
            }
        }
    };
    layout(&c, &work.title, body).into_response()
}

async fn retag(
    WritableWork(work, auth): WritableWork,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let id = work.id;
    let actor = c.auth.actor();
    page_try!(
        c,
        blocking(&s, move |a| {
            let n = a.catalog().tag_work(id)?;
            a.accounts().audit(
                Some(work.org),
                &actor,
                "work_tagged",
                &format!("work:{id}"),
                AuditDetail::new().with("occurrences", n),
            );
            Ok(())
        })
        .await
    );
    Redirect::to(&format!("/works/{id}#profile")).into_response()
}

/// At most this many terms are highlighted on one chapter page (bounds the
/// page size for pathological chapters; the API still lists every occurrence).
const MAX_HIGHLIGHTS: usize = 3000;

/// The gloss shown for a term: labels, definition, market rendering.
fn gloss_markup(c: &Ctx, kb: &KbView, concept: &Concept) -> Markup {
    let def = match c.loc {
        Locale::En => concept
            .definition
            .get(EN)
            .or_else(|| concept.definition.get(ZH_HANS)),
        Locale::ZhHans => concept
            .definition
            .get(ZH_HANS)
            .or_else(|| concept.definition.get(EN)),
    };
    let market = kb.markets.get(&c.market);
    html! {
        span.gloss role="tooltip" {
            b { (concept.display_name()) }
            @if let Some(p) = concept.pref_label(PINYIN) { " " i { (p) } }
            @if let Some(en) = concept.pref_label(EN) { " · " (en) }
            @if let Some(d) = def { br; (d) }
            @if let Some(m) = market {
                @let r = kb.rendering_for(concept, m);
                br;
                span.rendering data-market=(m.region) {
                    (m.region) " (" (r.rendering.lang) "): "
                    strong { (qiantang_kb::render::display(&r.rendering, true)) }
                    " · " (tr(c.loc, &format!("strategy-{}", r.rendering.strategy.as_str())))
                    @if r.fallback { " · " em { (tr(c.loc, "kb-fallback")) } }
                }
            }
        }
    }
}

async fn reader(
    ReadableWork(work, auth): ReadableWork,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path((_, number)): Path<(i64, u32)>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    let id = work.id;
    let (meta, text, occ) = page_try!(
        c,
        blocking(&s, move |a| {
            let (meta, text) = a
                .catalog()
                .chapter(id, number)?
                .ok_or_else(|| AppError::NotFound(format!("chapter {number} of work {id}")))?;
            let occ = a.catalog().chapter_occurrences(id, number)?;
            Ok((meta, text, occ))
        })
        .await
    );
    let kb = s.app.kb().view();
    // Build paragraphs with highlighted terms. Offsets are in chars.
    let chars: Vec<char> = text.chars().collect();
    let mut paragraphs: Vec<Markup> = Vec::new();
    let mut cur = String::new();
    let mut i = 0usize;
    let mut occ_iter = occ.iter().peekable();
    let mut highlighted = 0usize;
    let mut glosses: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let flush = |cur: &mut String, paragraphs: &mut Vec<Markup>| {
        if !cur.trim().is_empty() {
            paragraphs.push(html! { p { (PreEscaped(std::mem::take(cur))) } });
        } else {
            cur.clear();
        }
    };
    while i < chars.len() {
        while occ_iter.peek().is_some_and(|o| (o.start as usize) < i) {
            occ_iter.next();
        }
        if let Some(o) = occ_iter.peek().filter(|o| o.start as usize == i) {
            let end = (o.start + o.len) as usize;
            let surface: String = chars
                .get(i..end.min(chars.len()))
                .unwrap_or(&[])
                .iter()
                .collect();
            let room = highlighted < MAX_HIGHLIGHTS;
            if let (Some(concept), false, true) =
                (kb.concepts.get(&o.concept), surface.contains('\n'), room)
            {
                // Each concept's gloss is rendered once per page and reused.
                let gloss = glosses
                    .entry(concept.id.clone())
                    .or_insert_with(|| gloss_markup(&c, &kb, concept).into_string());
                let m = html! {
                    span.term tabindex="0" data-concept=(concept.id) data-category=(concept.category) {
                        a.surface href={ "/kb/concepts/" (concept.id) } { (surface) }
                        (PreEscaped(gloss.as_str()))
                    }
                };
                cur.push_str(&m.into_string());
                highlighted += 1;
                i = end.min(chars.len());
                occ_iter.next();
                continue;
            }
            occ_iter.next();
        }
        let ch = chars.get(i).copied().unwrap_or(' ');
        if ch == '\n' {
            flush(&mut cur, &mut paragraphs);
        } else {
            cur.push_str(&maud::html! { (ch.to_string()) }.into_string());
        }
        i += 1;
    }
    flush(&mut cur, &mut paragraphs);
    let prev = number.checked_sub(1).filter(|n| *n >= 1);
    let next = Some(number + 1).filter(|n| *n <= work.chapter_count);
    let nav = html! {
        nav.chapter-nav {
            @if let Some(p) = prev { a rel="prev" href={ "/works/" (id) "/chapters/" (p) } { "← " (tr(c.loc, "reader-prev")) } }
            a href={ "/works/" (id) } { (tr(c.loc, "reader-back")) }
            @if let Some(n) = next { a rel="next" href={ "/works/" (id) "/chapters/" (n) } { (tr(c.loc, "reader-next")) " →" } }
        }
    };
    let body = html! {
        p.crumbs { a href={ "/works/" (id) } { (work.title) } }
        form.market method="get" {
            label { (tr(c.loc, "reader-market")) " "
                select name="market" id="market" {
                    @for m in kb.markets.values() {
                        option value=(m.region) selected[m.region == c.market] { (m.region) " — " (m.name) }
                    }
                }
            }
            noscript { button type="submit" { "OK" } }
        }
        article.chapter lang="zh-Hans" {
            h1 { (meta.title) }
            p.hint { (tr_args(c.loc, "reader-terms", &[("count", FluentValue::from(highlighted))])) }
            @if highlighted >= MAX_HIGHLIGHTS { p.hint { (tr_args(c.loc, "reader-capped", &[("count", FluentValue::from(MAX_HIGHLIGHTS))])) } }
            @for p in &paragraphs { (p) }
        }
        (nav)
    };
    layout(&c, &meta.title, body).into_response()
}

/// Names of the organizations the caller may import into.
async fn writable_orgs(s: &HubState, c: &Ctx) -> Vec<String> {
    let caller = c.auth.caller.clone();
    blocking(s, move |a| {
        Ok(a.accounts()
            .list_orgs()?
            .into_iter()
            .filter(|o| caller.can(qiantang_auth::policy::Action::WriteWork { org: o.id }))
            .map(|o| o.name)
            .collect())
    })
    .await
    .unwrap_or_default()
}

async fn import_form(
    Authed(auth): Authed,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    let orgs = writable_orgs(&s, &c).await;
    layout(
        &c,
        &tr(c.loc, "import-title"),
        import_markup(&c, &orgs, None),
    )
}

fn import_markup(c: &Ctx, orgs: &[String], result: Option<Markup>) -> Markup {
    html! {
        h1 { (tr(c.loc, "import-title")) }
        @if let Some(r) = result { (r) }
        @if orgs.is_empty() {
            p.error { (tr(c.loc, "import-no-org")) }
        } @else {
            form.import method="post" action="/import" enctype="multipart/form-data" {
                (csrf_field(c))
                p { label { (tr(c.loc, "import-org")) " " select name="org" { @for o in orgs { option value=(o) { (o) } } } } }
                p { label { (tr(c.loc, "import-file")) br; input type="file" name="file" required; } }
                p { label { (tr(c.loc, "import-title-field")) br; input type="text" name="title" maxlength="200"; } }
                p { label { (tr(c.loc, "import-author-field")) br; input type="text" name="author" maxlength="200"; } }
                p { label { (tr(c.loc, "import-pattern")) br; input type="text" name="heading_pattern" placeholder="^第.+[章回]"; } }
                p { label { input type="checkbox" name="dry_run" value="1"; " " (tr(c.loc, "import-dry-run")) } }
                p { button type="submit" { (tr(c.loc, "import-submit")) } }
            }
        }
    }
}

async fn import_submit(
    ImportTarget(org, auth): ImportTarget,
    State(s): State<HubState>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default(), auth);
    let orgs = writable_orgs(&s, &c).await;
    let up: Upload = match read_upload(mp).await {
        Ok(u) => u,
        Err(e) => {
            let status = e.status();
            let res = html! { p.error role="alert" { (e.message) } };
            return (
                status,
                layout(
                    &c,
                    &tr(c.loc, "import-title"),
                    import_markup(&c, &orgs, Some(res)),
                ),
            )
                .into_response();
        }
    };
    if !csrf_ok(&c, up.csrf.as_deref()) {
        return csrf_refused(&c);
    }
    let mut up = up;
    if up.org.is_none() {
        if let Some(o) = org {
            up.org = s.app.accounts().org(o).ok().flatten().map(|o| o.name);
        }
    }
    match do_import(&s, &c.auth, up).await {
        Ok(r) => match r.work {
            Some(id) => Redirect::to(&format!("/works/{id}")).into_response(),
            None => {
                let res = html! {
                    p.ok { (tr_args(c.loc, "import-preview", &[("chapters", FluentValue::from(r.chapters.len())), ("encoding", FluentValue::from(r.encoding.clone()))])) }
                    ol.preview { @for (_, t, n) in &r.chapters { li { (t) " (" (n) ")" } } }
                };
                layout(
                    &c,
                    &tr(c.loc, "import-title"),
                    import_markup(&c, &orgs, Some(res)),
                )
            }
        },
        Err(e) => {
            let status = e.status();
            let res = html! { p.error role="alert" { (e.message) } };
            (
                status,
                layout(
                    &c,
                    &tr(c.loc, "import-title"),
                    import_markup(&c, &orgs, Some(res)),
                ),
            )
                .into_response()
        }
    }
}

fn concept_li(kb: &KbView, concept: &Concept, depth: usize) -> Markup {
    let children = kb.narrower.get(&concept.id);
    html! {
        li {
            a href={ "/kb/concepts/" (concept.id) } { (concept.display_name()) }
            @if let Some(en) = concept.pref_label(EN) { " " span.en { (en) } }
            @if let Some(ch) = children {
                @if depth < 1 {
                    ul { @for id in ch { @if let Some(k) = kb.concepts.get(id) { (concept_li(kb, k, depth + 1)) } } }
                } @else {
                    " " span.count { "(" (ch.len()) ")" }
                }
            }
        }
    }
}

async fn kb_page(
    auth: RequestAuth,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    let kb = s.app.kb().view();
    let query = q.q.clone().unwrap_or_default();
    let results = if query.trim().is_empty() {
        None
    } else {
        let qq = query.clone();
        Some(page_try!(
            c,
            blocking(&s, move |a| a.kb().search(&qq, 100)).await
        ))
    };
    let body = html! {
        h1 { (tr(c.loc, "kb-title")) }
        p { (tr_args(c.loc, "kb-concepts", &[("count", FluentValue::from(kb.concepts.len()))])) " · "
            (tr(c.loc, "kb-export")) ": " a href="/kb/export?format=skos" { "SKOS JSON-LD" } " · " a href="/kb/export?format=tbx" { "TBX-Basic" } }
        form.search method="get" action="/kb" {
            input type="search" name="q" value=(query) placeholder=(tr(c.loc, "kb-search-placeholder")) aria-label=(tr(c.loc, "kb-search"));
            button type="submit" { (tr(c.loc, "kb-search")) }
        }
        @if let Some(rs) = &results {
            h2 { (tr(c.loc, "kb-results")) " (" (rs.len()) ")" }
            ul.results {
                @for k in rs {
                    li {
                        a href={ "/kb/concepts/" (k.id) } { (k.display_name()) }
                        @if let Some(p) = k.pref_label(PINYIN) { " " i { (p) } }
                        @if let Some(en) = k.pref_label(EN) { " · " (en) }
                        " " span.cat { (category_name(c.loc, &k.category)) }
                    }
                }
            }
        }
        h2 { (tr(c.loc, "kb-tree")) }
        ul.tree { @for k in kb.top_concepts() { (concept_li(&kb, k, 0)) } }
    };
    layout(&c, &tr(c.loc, "kb-title"), body).into_response()
}

async fn concept_page(
    auth: RequestAuth,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let scope = crate::auth::scope_of(&auth.caller);
    let signed_in = auth.caller.is_authenticated();
    let c = ctx(&headers, &q, auth);
    let kb = s.app.kb().view();
    let Some(concept) = kb.concepts.get(&id).cloned() else {
        return error_page(&c, HttpError::not_found(format!("concept {id}")));
    };
    let idc = id.clone();
    let (uses, history) = page_try!(
        c,
        blocking(&s, move |a| Ok((
            a.catalog().concept_uses(&idc, &scope)?,
            if signed_in {
                a.kb().concept_history(&idc)?
            } else {
                Vec::new()
            }
        )))
        .await
    );
    let body = html! {
        p.crumbs {
            @for b in &concept.broader { @if let Some(k) = kb.concepts.get(b) { a href={ "/kb/concepts/" (k.id) } { (k.display_name()) } " › " } }
        }
        h1 { (concept.display_name()) @if let Some(p) = concept.pref_label(PINYIN) { " " small { (p) } } }
        p.meta { code { (concept.id) } " · " (category_name(c.loc, &concept.category)) " · " span.status { (concept.provenance.status.as_str()) }
            @if c.auth.caller.can(qiantang_auth::policy::Action::ProposeConcept) { " · " a href={ "/kb/concepts/" (concept.id) "/edit" } { (tr(c.loc, "kb-edit")) } } }
        h2 { (tr(c.loc, "kb-definition")) }
        dl.defs { @for (lang, d) in &concept.definition { dt { (lang) } dd lang=(lang) { (d) } } }
        h2 { (tr(c.loc, "kb-labels")) }
        table.labels {
            tbody {
                @for l in &concept.labels {
                    tr { td { (l.lang) } td lang=(l.lang) { (l.text) } td { @if l.kind == LabelKind::Pref { "pref" } @else { "alt" } } }
                }
            }
        }
        @if let Some(ch) = kb.narrower.get(&concept.id) {
            h2 { (tr(c.loc, "kb-narrower")) }
            ul { @for n in ch { @if let Some(k) = kb.concepts.get(n) { li { a href={ "/kb/concepts/" (k.id) } { (k.display_name()) } @if let Some(en) = k.pref_label(EN) { " · " (en) } } } } }
        }
        @if !concept.regions.is_empty() { h2 { (tr(c.loc, "kb-regions")) } p { (concept.regions.join(", ")) } }
        @if let Some(h) = &concept.heritage {
            h2 { (tr(c.loc, "kb-heritage")) }
            dl.heritage {
                dt { "Code" } dd { (h.code) } dt { "Category" } dd { (h.category) }
                dt { "Batch" } dd { (h.batch) " (" (h.year) ", " (h.entry_type) ")" } dt { "Region" } dd { (h.region) }
                @if !h.protection_unit.is_empty() { dt { "Protection unit" } dd { (h.protection_unit) } }
            }
        }
        h2 { (tr(c.loc, "kb-renderings")) }
        table.renderings {
            thead { tr { th { (tr(c.loc, "kb-market")) } th { "lang" } th { (tr(c.loc, "kb-strategy")) } th { (tr(c.loc, "kb-text")) } th { (tr(c.loc, "kb-gloss")) } th { } } }
            tbody {
                @for m in kb.markets.values() {
                    @let r = kb.rendering_for(&concept, m);
                    tr {
                        td { (m.region) " " (m.name) }
                        td { (r.rendering.lang) }
                        td { (tr(c.loc, &format!("strategy-{}", r.rendering.strategy.as_str()))) }
                        td { (r.rendering.text) }
                        td { (r.rendering.gloss.as_deref().unwrap_or("")) }
                        td { @if r.fallback { em { (tr(c.loc, "kb-fallback")) } } @else { (r.rendering.status.as_str()) } }
                    }
                }
            }
        }
        h2 { (tr(c.loc, "kb-used-in")) }
        @if uses.is_empty() { p { (tr(c.loc, "kb-not-used")) } } @else {
            ul.uses { @for u in &uses { li { a href={ "/works/" (u.work) "/chapters/" (u.first_chapter) } { (u.title) } " — " (u.count) } } }
        }
        h2 { (tr(c.loc, "kb-provenance")) }
        p { (concept.provenance.source) }
        @if !history.is_empty() {
            h3 { (tr(c.loc, "kb-history")) }
            ul.history { @for r in &history { li { "#" (r.revision) " · " (r.actor) " · " (qiantang_app::clock::rfc3339(r.at_ms)) } } }
        }
    };
    layout(&c, concept.display_name(), body).into_response()
}

async fn concept_edit(
    KbEditor(auth): KbEditor,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    let kb = s.app.kb().view();
    let Some(concept) = kb.concepts.get(&id) else {
        return error_page(&c, HttpError::not_found(format!("concept {id}")));
    };
    layout(&c, concept.display_name(), edit_markup(&c, concept, None)).into_response()
}

fn labels_text(concept: &Concept, lang: &str, kind: LabelKind) -> String {
    concept
        .labels
        .iter()
        .filter(|l| l.lang == lang && l.kind == kind)
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn edit_markup(c: &Ctx, concept: &Concept, error: Option<&str>) -> Markup {
    let langs = [ZH_HANS, ZH_HANT, PINYIN, EN];
    html! {
        h1 { (tr(c.loc, "kb-edit")) ": " (concept.display_name()) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.edit method="post" action={ "/kb/concepts/" (concept.id) "/edit" } {
            (csrf_field(c))
            p { label { (tr(c.loc, "col-category")) " "
                select name="category" { @for (k, en, zh) in CATEGORIES { option value=(k) selected[*k == concept.category] { (k) " — " (if c.loc == Locale::En { en } else { zh }) } } } } }
            @for lang in langs {
                fieldset {
                    legend { (lang) }
                    label { (tr(c.loc, "edit-pref")) " " input type="text" name={ "pref_" (lang) } value=(labels_text(concept, lang, LabelKind::Pref)); }
                    label { (tr(c.loc, "edit-alt")) " " textarea name={ "alt_" (lang) } rows="2" { (labels_text(concept, lang, LabelKind::Alt)) } }
                }
            }
            p { label { (tr(c.loc, "kb-definition")) " (en)" br; textarea name="def_en" rows="2" cols="80" { (concept.definition.get(EN).map(String::as_str).unwrap_or("")) } } }
            p { label { (tr(c.loc, "kb-definition")) " (zh-Hans)" br; textarea name="def_zh" rows="2" cols="80" { (concept.definition.get(ZH_HANS).map(String::as_str).unwrap_or("")) } } }
            p { label { (tr(c.loc, "kb-broader")) " (ids, one per line)" br; textarea name="broader" rows="2" cols="60" { (concept.broader.join("\n")) } } }
            p { label { (tr(c.loc, "kb-regions")) " (one per line)" br; textarea name="regions" rows="2" cols="60" { (concept.regions.join("\n")) } } }
            p { label { (tr(c.loc, "edit-status")) " " select name="status" { option value="draft" selected[concept.provenance.status == Status::Draft] { (tr(c.loc, "status-draft")) } option value="reviewed" selected[concept.provenance.status == Status::Reviewed] { (tr(c.loc, "status-reviewed")) } } } }
            p { button type="submit" { (tr(c.loc, "kb-save")) } }
        }
    }
}

async fn concept_save(
    KbEditor(auth): KbEditor,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
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
    let kb = s.app.kb().view();
    let Some(old) = kb.concepts.get(&id).cloned() else {
        return error_page(&c, HttpError::not_found(format!("concept {id}")));
    };
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let lines = |k: &str| -> Vec<String> {
        get(k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut concept = old.clone();
    concept.category = get("category");
    let edited = [ZH_HANS, ZH_HANT, PINYIN, EN];
    concept
        .labels
        .retain(|l| !edited.contains(&l.lang.as_str()));
    for lang in edited {
        let pref = get(&format!("pref_{lang}"));
        if !pref.is_empty() {
            concept.labels.push(qiantang_kb::Label {
                lang: lang.into(),
                text: pref,
                kind: LabelKind::Pref,
            });
        }
        for alt in lines(&format!("alt_{lang}")) {
            concept.labels.push(qiantang_kb::Label {
                lang: lang.into(),
                text: alt,
                kind: LabelKind::Alt,
            });
        }
    }
    for (k, lang) in [("def_en", EN), ("def_zh", ZH_HANS)] {
        let d = get(k);
        if d.is_empty() {
            concept.definition.remove(lang);
        } else {
            concept.definition.insert(lang.into(), d);
        }
    }
    concept.broader = lines("broader");
    concept.regions = lines("regions");
    concept.provenance.status = if get("status") == "reviewed" {
        Status::Reviewed
    } else {
        Status::Draft
    };
    let to_save = concept.clone();
    let actor = c.auth.actor();
    let cid = id.clone();
    let direct = c
        .auth
        .caller
        .can(qiantang_auth::policy::Action::ApproveConcept);
    match blocking(&s, move |a: &App| {
        if !direct {
            // Editors propose; a reviewer decides on /kb/proposals.
            return a.kb().propose_concept(to_save, &actor).map(Some);
        }
        a.kb().save_concept(to_save, &actor.name)?;
        a.accounts().audit(
            None,
            &actor,
            "concept_edited",
            &format!("concept:{cid}"),
            AuditDetail::new(),
        );
        Ok(None)
    })
    .await
    {
        Ok(Some(_)) => Redirect::to("/kb/proposals").into_response(),
        Ok(None) => Redirect::to(&format!("/kb/concepts/{id}")).into_response(),
        Err(e) => {
            let status = e.status();
            (
                status,
                layout(
                    &c,
                    concept.display_name(),
                    edit_markup(&c, &concept, Some(&e.message)),
                ),
            )
                .into_response()
        }
    }
}

async fn kb_export(
    State(s): State<HubState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let format = q.get("format").cloned().unwrap_or_else(|| "skos".into());
    let ext = if format == "tbx" { "tbx" } else { "jsonld" };
    match blocking(&s, move |a| a.kb().export(&format)).await {
        Ok((ct, body)) => (
            [
                (header::CONTENT_TYPE, ct.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"qiantang-kb.{ext}\""),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn set_lang(
    Path(tag): Path<String>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let Some(loc) = Locale::parse(&tag) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    // Only same-site relative targets: no open redirect.
    let back = q
        .next
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
                .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        })
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    (
        [(
            header::SET_COOKIE,
            format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", loc.tag()),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

#[derive(Debug, Deserialize, Default)]
struct NextQuery2 {
    next: Option<String>,
    lang: Option<String>,
}

/// A same-site relative path, or `/` (no open redirects).
fn safe_next(n: Option<&str>) -> String {
    n.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/")
        .to_string()
}

fn login_markup(c: &Ctx, next: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { (tr(c.loc, "login-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.login method="post" action="/login" {
            (csrf_field(c))
            input type="hidden" name="next" value=(next);
            p { label { (tr(c.loc, "login-email")) br; input type="email" name="email" required autocomplete="username"; } }
            p { label { (tr(c.loc, "login-password")) br; input type="password" name="password" required autocomplete="current-password"; } }
            p { button type="submit" { (tr(c.loc, "nav-login")) } }
        }
    }
}

async fn login_form(
    auth: RequestAuth,
    headers: HeaderMap,
    Query(q): Query<NextQuery2>,
) -> Response {
    let cq = CommonQuery {
        lang: q.lang.clone(),
        ..Default::default()
    };
    let c = ctx(&headers, &cq, auth);
    let next = safe_next(q.next.as_deref());
    layout(&c, &tr(c.loc, "login-title"), login_markup(&c, &next, None))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    // Never print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

async fn login_submit(
    auth: RequestAuth,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let ip = c.auth.ip.clone();
    if let Err(retry) = s.limits.login(ip.as_deref().unwrap_or("unknown")) {
        let msg = tr_args(
            c.loc,
            "login-throttled",
            &[("seconds", FluentValue::from(retry))],
        );
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            layout(
                &c,
                &tr(c.loc, "login-title"),
                login_markup(&c, "/", Some(&msg)),
            ),
        )
            .into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&retry.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let ttl = s.config.session_ttl.as_millis() as i64;
    let next = safe_next(f.next.as_deref());
    let email = f.email.clone();
    match blocking(&s, move |a| {
        a.accounts().login(&email, &f.password, ttl, ip)
    })
    .await
    {
        Ok(sess) => {
            let secure = if s.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                sess.secret,
                ttl / 1000
            );
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let status = e.status();
            (
                status,
                layout(
                    &c,
                    &tr(c.loc, "login-title"),
                    login_markup(&c, &next, Some(&tr(c.loc, "login-failed"))),
                ),
            )
                .into_response()
        }
    }
}

async fn logout(
    Authed(auth): Authed,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    if let Some(secret) = get_cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let actor = c.auth.actor();
        let _ = blocking(&s, move |a| a.accounts().logout(&secret, &actor)).await;
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        axum::http::HeaderValue::from_static(
            "qt_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        ),
    );
    r
}

struct OwnedOrg {
    id: i64,
    name: String,
    tokens: Vec<qiantang_auth::ApiToken>,
    members: Vec<(qiantang_auth::User, qiantang_auth::Role)>,
}

async fn account_page(s: &HubState, c: &Ctx, created: Option<(String, String)>) -> Response {
    let caller = c.auth.caller.clone();
    let data = blocking(s, move |a| {
        let mut mine = Vec::new();
        let mut owned = Vec::new();
        for o in a.accounts().list_orgs()? {
            if let Some(role) = caller.role_in(o.id) {
                mine.push((o.name.clone(), role.as_str()));
            }
            if caller.can(qiantang_auth::policy::Action::ManageOrg { org: o.id })
                && caller.user.is_some()
            {
                owned.push(OwnedOrg {
                    id: o.id,
                    tokens: a.accounts().list_tokens(o.id)?,
                    members: a.accounts().members(o.id)?,
                    name: o.name,
                });
            }
        }
        Ok((mine, owned))
    })
    .await;
    let (mine, owned) = match data {
        Ok(d) => d,
        Err(e) => return error_page(c, e),
    };
    let body = html! {
        h1 { (tr(c.loc, "account-title")) }
        @if let Some(u) = &c.auth.caller.user { p { (u.email) @if u.is_admin { " · admin" } } }
        @if c.auth.caller.user.is_some() {
            form.password method="post" action="/account/password" {
                (csrf_field(c))
                h2 { (tr(c.loc, "account-password")) }
                label { (tr(c.loc, "password-current")) " " input type="password" name="current" required autocomplete="current-password"; }
                " "
                label { (tr(c.loc, "password-new")) " " input type="password" name="new" required minlength="8" autocomplete="new-password"; }
                " " button type="submit" { (tr(c.loc, "password-change")) }
            }
        }
        h2 { (tr(c.loc, "account-orgs")) }
        ul { @for (name, role) in &mine { li { (name) " — " (role) } } }
        @if let Some((org, secret)) = &created {
            div.ok role="status" {
                p { (tr(c.loc, "token-created")) " (" (org) ")" }
                pre.token { code { (secret) } }
            }
        }
        @for o in &owned {
            h2 { (tr(c.loc, "account-tokens")) ": " (o.name) }
            table.tokens {
                thead { tr { th { "id" } th { (tr(c.loc, "token-name")) } th { (tr(c.loc, "token-role")) } th { (tr(c.loc, "token-last-used")) } th {} } }
                tbody {
                    @for t in &o.tokens {
                        tr {
                            td { (t.id) } td { (t.name) } td { (t.role.as_str()) }
                            td { (t.last_used_ms.map(qiantang_app::clock::rfc3339).unwrap_or_else(|| "—".into())) }
                            td {
                                @if t.revoked_ms.is_some() { (tr(c.loc, "token-revoked")) } @else {
                                    form method="post" action={ "/account/orgs/" (o.id) "/tokens/" (t.id) "/revoke" } {
                                        (csrf_field(c))
                                        button type="submit" { (tr(c.loc, "token-revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.token method="post" action={ "/account/orgs/" (o.id) "/tokens" } {
                (csrf_field(c))
                label { (tr(c.loc, "token-name")) " " input type="text" name="name" maxlength="100"; }
                " "
                label { (tr(c.loc, "token-role")) " " select name="role" { @for r in qiantang_auth::Role::ALL { option value=(r.as_str()) { (r.as_str()) } } } }
                " " button type="submit" { (tr(c.loc, "token-create")) }
            }
            h3 { (tr(c.loc, "account-members")) }
            table.members {
                tbody {
                    @for (u, r) in &o.members {
                        tr {
                            td { (u.email) }
                            td {
                                form.role method="post" action={ "/account/orgs/" (o.id) "/members" } {
                                    (csrf_field(c)) input type="hidden" name="email" value=(u.email);
                                    select name="role" { @for x in qiantang_auth::Role::ALL { option value=(x.as_str()) selected[x == *r] { (x.as_str()) } } }
                                    " " button type="submit" { (tr(c.loc, "member-set-role")) }
                                }
                            }
                        }
                    }
                }
            }
            @if c.auth.caller.is_admin() { form.member method="post" action={ "/account/orgs/" (o.id) "/members" } {
                (csrf_field(c))
                label { (tr(c.loc, "login-email")) " " input type="email" name="email" required; }
                " "
                label { (tr(c.loc, "token-role")) " " select name="role" { @for x in qiantang_auth::Role::ALL { option value=(x.as_str()) { (x.as_str()) } } } }
                " " button type="submit" { (tr(c.loc, "member-add")) }
            } }
            p { a href={ "/api/v1/orgs/" (o.id) "/audit?format=jsonl" } { (tr(c.loc, "account-audit")) } }
        }
    };
    let mut r = layout(c, &tr(c.loc, "account-title"), body);
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

async fn account(
    Authed(auth): Authed,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    account_page(&s, &c, None).await
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn account_create_token(
    OrgOwner(org, auth): OrgOwner,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let role = match crate::auth::grantable_role(&c.auth.caller, &f.role) {
        Ok(r) => r,
        Err(e) => return error_page(&c, e),
    };
    let actor = c.auth.actor();
    let by = c.auth.caller.user.as_ref().map(|u| u.id);
    let res = blocking(&s, move |a| {
        let (_, secret) = a.accounts().create_token(org, role, &f.name, by, &actor)?;
        let name = a.accounts().org(org)?.map(|o| o.name).unwrap_or_default();
        Ok((name, secret))
    })
    .await;
    match res {
        Ok(created) => account_page(&s, &c, Some(created)).await,
        Err(e) => error_page(&c, e),
    }
}

async fn account_revoke_token(
    OrgOwner(org, auth): OrgOwner,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path((_, token)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let actor = c.auth.actor();
    let res = blocking(&s, move |a| {
        match a.accounts().token(token)? {
            Some(t) if t.org == org => {}
            _ => return Err(AppError::NotFound(format!("token {token}"))),
        }
        a.accounts().revoke_token(token, &actor).map(|_| ())
    })
    .await;
    match res {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => error_page(&c, e),
    }
}

async fn proposals_page(
    KbEditor(auth): KbEditor,
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q, auth);
    let can_decide = c
        .auth
        .caller
        .can(qiantang_auth::policy::Action::ApproveConcept);
    let list = page_try!(c, blocking(&s, |a| a.kb().list_proposals(None, 200)).await);
    let kb = s.app.kb().view();
    let body = html! {
        h1 { (tr(c.loc, "kb-proposals")) }
        p { (tr(c.loc, "kb-proposals-help")) }
        @if list.is_empty() { p { (tr(c.loc, "kb-proposals-none")) } }
        @for p in &list {
            @let proposed: Option<Concept> = serde_json::from_str(&p.concept_json).ok();
            @let current = kb.concepts.get(&p.concept);
            section.proposal {
                h2 { "#" (p.id) " · " a href={ "/kb/concepts/" (p.concept) } { (p.concept) } " · " span.status { (p.status.as_str()) } }
                p.meta { (p.proposer) " · " (qiantang_app::clock::rfc3339(p.created_ms))
                    @if let Some(r) = &p.reviewer { " · " (r) } }
                @if let Some(n) = &proposed {
                    table.diff {
                        thead { tr { th {} th { (tr(c.loc, "kb-current")) } th { (tr(c.loc, "kb-proposed")) } } }
                        tbody {
                            @for lang in [ZH_HANS, ZH_HANT, PINYIN, EN] {
                                @let old = current.map(|k| labels_text(k, lang, LabelKind::Pref)).unwrap_or_default();
                                @let new = labels_text(n, lang, LabelKind::Pref);
                                tr.changed[old != new] { td { (lang) } td { (old) } td { (new) } }
                            }
                            @let old_def = current.and_then(|k| k.definition.get(EN).cloned()).unwrap_or_default();
                            @let new_def = n.definition.get(EN).cloned().unwrap_or_default();
                            tr.changed[old_def != new_def] { td { (tr(c.loc, "kb-definition")) " (en)" } td { (old_def) } td { (new_def) } }
                            @let old_b = current.map(|k| k.broader.join(", ")).unwrap_or_default();
                            tr.changed[old_b != n.broader.join(", ")] { td { (tr(c.loc, "kb-broader")) } td { (old_b) } td { (n.broader.join(", ")) } }
                        }
                    }
                }
                @if can_decide && p.status == qiantang_kb::ProposalStatus::Pending {
                    form.decide method="post" action={ "/kb/proposals/" (p.id) "/approve" } { (csrf_field(&c)) button type="submit" { (tr(c.loc, "kb-approve")) } }
                    form.decide method="post" action={ "/kb/proposals/" (p.id) "/reject" } { (csrf_field(&c)) button.secondary type="submit" { (tr(c.loc, "kb-reject")) } }
                }
            }
        }
    };
    layout(&c, &tr(c.loc, "kb-proposals"), body)
}

async fn decide(
    s: HubState,
    auth: RequestAuth,
    headers: HeaderMap,
    id: i64,
    f: CsrfForm,
    approve: bool,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let actor = c.auth.actor();
    match blocking(&s, move |a| a.kb().decide_proposal(id, approve, &actor)).await {
        Ok(_) => Redirect::to("/kb/proposals").into_response(),
        Err(e) => error_page(&c, e),
    }
}

async fn proposal_approve(
    KbReviewer(auth): KbReviewer,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    decide(s, auth, headers, id, f, true).await
}

async fn proposal_reject(
    KbReviewer(auth): KbReviewer,
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    decide(s, auth, headers, id, f, false).await
}

#[derive(Debug, Deserialize)]
struct MemberForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn account_set_member(
    OrgOwner(org, auth): OrgOwner,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<MemberForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let role = match crate::auth::grantable_role(&c.auth.caller, &f.role) {
        Ok(r) => r,
        Err(e) => return error_page(&c, e),
    };
    let actor = c.auth.actor();
    let admin = c.auth.caller.is_admin();
    let res = blocking(&s, move |a| {
        a.accounts()
            .change_member_role(org, &f.email, role, admin, &actor)
            .map(|_| ())
    })
    .await;
    match res {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => error_page(&c, e),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: Option<String>,
    current: String,
    new: String,
}

impl std::fmt::Debug for PasswordForm {
    // Never print passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm { <redacted> }")
    }
}

async fn account_password(
    Authed(auth): Authed,
    State(s): State<HubState>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let c = match posted_ctx(&headers, auth, f.csrf.as_deref()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let Some(user) = c.auth.caller.user.clone() else {
        return error_page(&c, HttpError::invalid("API tokens have no password"));
    };
    let actor = c.auth.actor();
    match blocking(&s, move |a| {
        a.accounts()
            .change_own_password(&user, &f.current, &f.new, &actor)
    })
    .await
    {
        Ok(()) => Redirect::to("/login").into_response(),
        Err(e) => error_page(&c, e),
    }
}
