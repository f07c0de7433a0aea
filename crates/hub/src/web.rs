//! Server-rendered pages (maud). No JavaScript is required; the small
//! vendored `app.js` only remembers the reader's market choice.

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fluent_bundle::FluentValue;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Deserialize;

use crate::api::{do_import, export_body, read_upload, Upload};
use crate::app::{App, AppError, KbView};
use crate::i18n::{tr, tr_args, Locale};
use crate::{blocking, HttpError, HubState};
use qiantang_kb::{Concept, LabelKind, Status, CATEGORIES, EN, PINYIN, ZH_HANS, ZH_HANT};

/// Page routes: (method, path template), checked by the route test.
pub const PAGE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/works/{id}"),
    ("POST", "/works/{id}/tag"),
    ("GET", "/works/{id}/chapters/{number}"),
    ("GET", "/import"),
    ("POST", "/import"),
    ("GET", "/kb"),
    ("GET", "/kb/concepts/{id}"),
    ("GET", "/kb/concepts/{id}/edit"),
    ("POST", "/kb/concepts/{id}/edit"),
    ("GET", "/kb/export"),
    ("GET", "/lang/{tag}"),
    ("GET", "/static/app.css"),
    ("GET", "/static/app.js"),
];

/// The page router.
pub fn routes() -> Router<HubState> {
    Router::new()
        .route("/", get(catalog))
        .route("/works/{id}", get(work_page))
        .route("/works/{id}/tag", post(retag))
        .route("/works/{id}/chapters/{number}", get(reader))
        .route("/import", get(import_form).post(import_submit))
        .route("/kb", get(kb_page))
        .route("/kb/concepts/{id}", get(concept_page))
        .route(
            "/kb/concepts/{id}/edit",
            get(concept_edit).post(concept_save),
        )
        .route("/kb/export", get(kb_export))
        .route("/lang/{tag}", get(set_lang))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../static/app.css"),
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
                    include_str!("../static/app.js"),
                )
            }),
        )
}

/// Per-request context: UI locale and reader market.
struct Ctx {
    loc: Locale,
    market: String,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(Debug, Deserialize, Default)]
struct CommonQuery {
    lang: Option<String>,
    market: Option<String>,
    q: Option<String>,
}

fn ctx(headers: &HeaderMap, q: &CommonQuery) -> Ctx {
    let loc = q
        .lang
        .as_deref()
        .and_then(Locale::parse)
        .or_else(|| cookie(headers, "lang").and_then(Locale::parse))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or(Locale::ZhHans);
    let market = q
        .market
        .clone()
        .or_else(|| cookie(headers, "market").map(str::to_string))
        .filter(|m| m.len() == 2 && m.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|m| m.to_ascii_uppercase())
        .unwrap_or_else(|| "US".to_string());
    Ctx { loc, market }
}

fn layout(c: &Ctx, title: &str, body: Markup) -> Html<String> {
    let other = c.loc.other();
    Html(
        html! {
            (DOCTYPE)
            html lang=(c.loc.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (tr(c.loc, "app-name")) }
                    link rel="stylesheet" href="/static/app.css";
                    script src="/static/app.js" defer {}
                }
                body {
                    header.top {
                        a.brand href="/" { (tr(c.loc, "app-name")) }
                        nav {
                            a href="/" { (tr(c.loc, "nav-catalog")) }
                            a href="/kb" { (tr(c.loc, "nav-kb")) }
                            a href="/import" { (tr(c.loc, "nav-import")) }
                            a href="/api/v1/openapi.json" { (tr(c.loc, "nav-api")) }
                            a.lang href={ "/lang/" (other.tag()) } hreflang=(other.tag()) { (tr(c.loc, "lang-switch")) }
                        }
                    }
                    main { (body) }
                }
            }
        }
        .into_string(),
    )
}

fn error_page(c: &Ctx, e: HttpError) -> Response {
    let status = e.status;
    let body = layout(
        c,
        &tr(c.loc, "error-title"),
        html! { h1 { (tr(c.loc, "error-title")) } p.error { (e.message) } },
    );
    (status, body).into_response()
}

macro_rules! page_try {
    ($c:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return error_page(&$c, e),
        }
    };
}

async fn catalog(
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q);
    let works = page_try!(
        c,
        blocking(&s, |a| Ok(a.stores().works.list_works()?)).await
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
                @let w = (*v as f64 / max as f64 * 400.0).max(1.0);
                g {
                    title { (label) ": " (v) }
                    @if let Some(href) = href {
                        a href=(href) { text x="0" y=(y + 15) font-size="13" { (label) } }
                    } @else {
                        text x="0" y=(y + 15) font-size="13" { (label) }
                    }
                    rect x="170" y=(y + 2) width=(format!("{w:.1}")) height="16" rx="2" class="bar" {}
                    text x=(format!("{:.1}", 176.0 + w)) y=(y + 15) font-size="12" class="val" { (v) }
                }
            }
        }
    }
}

async fn work_page(
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q);
    let (work, chapters, profile) = page_try!(
        c,
        blocking(&s, move |a| {
            let work = a
                .stores()
                .works
                .get_work(id)?
                .ok_or_else(|| AppError::NotFound(format!("work {id}")))?;
            Ok((work, a.stores().works.list_chapters(id)?, a.profile(id)?))
        })
        .await
    );
    let body = html! {
        h1 { (work.title) }
        p.meta {
            @if let Some(a) = &work.author { (a) " · " }
            (work.chapter_count) " " (tr(c.loc, "col-chapters")) " · " (work.char_count) " " (tr(c.loc, "col-chars"))
            " · " (tr(c.loc, "col-encoding")) ": " (work.source_encoding)
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
            form method="post" action={ "/works/" (work.id) "/tag" } { button type="submit" { (tr(c.loc, "work-tag-again")) } }
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

async fn retag(State(s): State<HubState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let c = ctx(&headers, &CommonQuery::default());
    page_try!(c, blocking(&s, move |a| a.tag_work(id)).await);
    Redirect::to(&format!("/works/{id}#profile")).into_response()
}

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
                    " · " (r.rendering.strategy.as_str())
                }
            }
        }
    }
}

async fn reader(
    State(s): State<HubState>,
    headers: HeaderMap,
    Path((id, number)): Path<(i64, u32)>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q);
    let (work, meta, text, occ) = page_try!(
        c,
        blocking(&s, move |a| {
            let work = a
                .stores()
                .works
                .get_work(id)?
                .ok_or_else(|| AppError::NotFound(format!("work {id}")))?;
            let (meta, text) = a
                .stores()
                .works
                .get_chapter(id, number)?
                .ok_or_else(|| AppError::NotFound(format!("chapter {number} of work {id}")))?;
            let occ = a.stores().works.chapter_occurrences(id, number)?;
            Ok((work, meta, text, occ))
        })
        .await
    );
    let kb = s.app.kb();
    // Build paragraphs with highlighted terms. Offsets are in chars.
    let chars: Vec<char> = text.chars().collect();
    let mut paragraphs: Vec<Markup> = Vec::new();
    let mut cur = String::new();
    let mut i = 0usize;
    let mut occ_iter = occ.iter().peekable();
    let mut highlighted = 0usize;
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
            if let (Some(concept), false) = (kb.concepts.get(&o.concept), surface.contains('\n')) {
                let m = html! {
                    span.term tabindex="0" data-concept=(concept.id) data-category=(concept.category) {
                        a.surface href={ "/kb/concepts/" (concept.id) } { (surface) }
                        (gloss_markup(&c, &kb, concept))
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
            @for p in &paragraphs { (p) }
        }
        (nav)
    };
    layout(&c, &meta.title, body).into_response()
}

async fn import_form(headers: HeaderMap, Query(q): Query<CommonQuery>) -> Response {
    let c = ctx(&headers, &q);
    layout(&c, &tr(c.loc, "import-title"), import_markup(&c, None)).into_response()
}

fn import_markup(c: &Ctx, result: Option<Markup>) -> Markup {
    html! {
        h1 { (tr(c.loc, "import-title")) }
        @if let Some(r) = result { (r) }
        form.import method="post" action="/import" enctype="multipart/form-data" {
            p { label { (tr(c.loc, "import-file")) br; input type="file" name="file" required; } }
            p { label { (tr(c.loc, "import-title-field")) br; input type="text" name="title" maxlength="200"; } }
            p { label { (tr(c.loc, "import-author-field")) br; input type="text" name="author" maxlength="200"; } }
            p { label { (tr(c.loc, "import-pattern")) br; input type="text" name="heading_pattern" placeholder="^第.+[章回]"; } }
            p { label { input type="checkbox" name="dry_run" value="1"; " " (tr(c.loc, "import-dry-run")) } }
            p { button type="submit" { (tr(c.loc, "import-submit")) } }
        }
    }
}

async fn import_submit(State(s): State<HubState>, headers: HeaderMap, mp: Multipart) -> Response {
    let c = ctx(&headers, &CommonQuery::default());
    let up: Upload = match read_upload(mp).await {
        Ok(u) => u,
        Err(e) => return error_page(&c, e),
    };
    match do_import(&s, up).await {
        Ok(r) => match r.work {
            Some(id) => Redirect::to(&format!("/works/{id}")).into_response(),
            None => {
                let res = html! {
                    p.ok { (tr_args(c.loc, "import-preview", &[("chapters", FluentValue::from(r.chapters.len())), ("encoding", FluentValue::from(r.encoding.clone()))])) }
                    ol.preview { @for (_, t, n) in &r.chapters { li { (t) " (" (n) ")" } } }
                };
                layout(&c, &tr(c.loc, "import-title"), import_markup(&c, Some(res))).into_response()
            }
        },
        Err(e) => {
            let status = e.status;
            let res = html! { p.error role="alert" { (e.message) } };
            (
                status,
                layout(&c, &tr(c.loc, "import-title"), import_markup(&c, Some(res))),
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
    State(s): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q);
    let kb = s.app.kb();
    let query = q.q.clone().unwrap_or_default();
    let results = if query.trim().is_empty() {
        None
    } else {
        let qq = query.clone();
        Some(page_try!(
            c,
            blocking(&s, move |a| Ok(a.stores().kb.search_concepts(&qq, 100)?)).await
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
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q);
    let kb = s.app.kb();
    let Some(concept) = kb.concepts.get(&id).cloned() else {
        return error_page(&c, HttpError::not_found(format!("concept {id}")));
    };
    let idc = id.clone();
    let (uses, history) = page_try!(
        c,
        blocking(&s, move |a| Ok((
            a.stores().works.concept_uses(&idc)?,
            a.stores().kb.concept_history(&idc)?
        )))
        .await
    );
    let body = html! {
        p.crumbs {
            @for b in &concept.broader { @if let Some(k) = kb.concepts.get(b) { a href={ "/kb/concepts/" (k.id) } { (k.display_name()) } " › " } }
        }
        h1 { (concept.display_name()) @if let Some(p) = concept.pref_label(PINYIN) { " " small { (p) } } }
        p.meta { code { (concept.id) } " · " (category_name(c.loc, &concept.category)) " · " span.status { (concept.provenance.status.as_str()) }
            " · " a href={ "/kb/concepts/" (concept.id) "/edit" } { (tr(c.loc, "kb-edit")) } }
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
                        td { (r.rendering.strategy.as_str()) }
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
            ul.history { @for r in &history { li { "#" (r.revision) " · " (r.actor) " · " (crate::clock::rfc3339(r.at_ms)) } } }
        }
    };
    layout(&c, concept.display_name(), body).into_response()
}

async fn concept_edit(
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let c = ctx(&headers, &q);
    let kb = s.app.kb();
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
            p { label { (tr(c.loc, "col-category")) " "
                select name="category" { @for (k, en, zh) in CATEGORIES { option value=(k) selected[*k == concept.category] { (k) " — " (if c.loc == Locale::En { en } else { zh }) } } } } }
            @for lang in langs {
                fieldset {
                    legend { (lang) }
                    label { "pref " input type="text" name={ "pref_" (lang) } value=(labels_text(concept, lang, LabelKind::Pref)); }
                    label { "alt (one per line) " textarea name={ "alt_" (lang) } rows="2" { (labels_text(concept, lang, LabelKind::Alt)) } }
                }
            }
            p { label { (tr(c.loc, "kb-definition")) " (en)" br; textarea name="def_en" rows="2" cols="80" { (concept.definition.get(EN).map(String::as_str).unwrap_or("")) } } }
            p { label { (tr(c.loc, "kb-definition")) " (zh-Hans)" br; textarea name="def_zh" rows="2" cols="80" { (concept.definition.get(ZH_HANS).map(String::as_str).unwrap_or("")) } } }
            p { label { (tr(c.loc, "kb-broader")) " (ids, one per line)" br; textarea name="broader" rows="2" cols="60" { (concept.broader.join("\n")) } } }
            p { label { (tr(c.loc, "kb-regions")) " (one per line)" br; textarea name="regions" rows="2" cols="60" { (concept.regions.join("\n")) } } }
            p { label { "status " select name="status" { option value="draft" selected[concept.provenance.status == Status::Draft] { "draft" } option value="reviewed" selected[concept.provenance.status == Status::Reviewed] { "reviewed" } } } }
            p { button type="submit" { (tr(c.loc, "kb-save")) } }
        }
    }
}

async fn concept_save(
    State(s): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let c = ctx(&headers, &CommonQuery::default());
    let kb = s.app.kb();
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
    match blocking(&s, move |a: &App| a.save_concept(to_save, "web")).await {
        Ok(()) => Redirect::to(&format!("/kb/concepts/{id}")).into_response(),
        Err(e) => {
            let status = e.status;
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
    match blocking(&s, move |a| export_body(a, &format)).await {
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
