//! The page layout and the components every page shares: the request
//! context (locale, market, caller, CSRF), forms' CSRF checks, the error page.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use qiantang_app::ErrorCode;
use serde::Deserialize;

use crate::auth::{get_cookie, RequestAuth, CSRF_COOKIE};
use crate::i18n::{tr, Locale};
use crate::HttpError;

/// Per-request context: UI locale and reader market.
pub(crate) struct Ctx {
    pub(crate) loc: Locale,
    pub(crate) market: String,
    pub(crate) auth: RequestAuth,
    /// The CSRF token forms must carry: the session's, or the double-submit cookie's.
    pub(crate) csrf: String,
    /// A fresh double-submit cookie to set (no session and no cookie yet).
    pub(crate) set_csrf_cookie: bool,
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
pub(crate) struct CommonQuery {
    pub(crate) lang: Option<String>,
    pub(crate) market: Option<String>,
    pub(crate) q: Option<String>,
}

pub(crate) fn ctx(headers: &HeaderMap, q: &CommonQuery, auth: RequestAuth) -> Ctx {
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
    let (csrf, set_csrf_cookie) = match (&auth.session_csrf, get_cookie(headers, CSRF_COOKIE)) {
        (Some(t), _) => (t.clone(), false),
        (None, Some(c)) if c.len() >= 16 && c.len() <= 64 => (c.to_string(), false),
        _ => (
            qiantang_auth::secret::random_token(24).unwrap_or_default(),
            true,
        ),
    };
    Ctx {
        loc,
        market,
        auth,
        csrf,
        set_csrf_cookie,
    }
}

/// Checks a submitted CSRF token (constant-time compare) against the context's.
pub(crate) fn csrf_ok(c: &Ctx, submitted: Option<&str>) -> bool {
    let Some(sub) = submitted else { return false };
    !c.set_csrf_cookie && !sub.is_empty() && crate::auth::same_secret(sub, &c.csrf)
}

/// The context of a form post whose CSRF token was checked; the refusal page otherwise.
pub(crate) fn posted_ctx(
    headers: &HeaderMap,
    auth: RequestAuth,
    csrf: Option<&str>,
) -> Result<Ctx, Box<Response>> {
    let c = ctx(headers, &CommonQuery::default(), auth);
    if csrf_ok(&c, csrf) {
        Ok(c)
    } else {
        Err(Box::new(csrf_refused(&c)))
    }
}

pub(crate) fn csrf_field(c: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(c.csrf); }
}

pub(crate) fn csrf_refused(c: &Ctx) -> Response {
    error_page(
        c,
        HttpError::new(
            ErrorCode::Csrf,
            "the form expired or came from another site; reload the page and try again",
        ),
    )
}

pub(crate) fn layout(c: &Ctx, title: &str, body: Markup) -> Response {
    layout_with(c, title, html! {}, body)
}

/// [`layout`] with extra elements in `head` (a page's own stylesheet or script).
/// Every page carries the CSRF token in `<meta name="csrf-token">` for scripts
/// that call the JSON API (`X-CSRF-Token`).
pub(crate) fn layout_with(c: &Ctx, title: &str, head: Markup, body: Markup) -> Response {
    let other = c.loc.other();
    let user = c.auth.caller.user.clone();
    let html = Html(
        html! {
            (DOCTYPE)
            html lang=(c.loc.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (tr(c.loc, "app-name")) }
                    link rel="stylesheet" href="/static/app.css";
                    script src="/static/app.js" defer {}
                    meta name="csrf-token" content=(c.csrf);
                    (head)
                }
                body {
                    header.top {
                        a.brand href="/" { (tr(c.loc, "app-name")) }
                        nav {
                            a href="/" { (tr(c.loc, "nav-catalog")) }
                            a href="/kb" { (tr(c.loc, "nav-kb")) }
                            a href="/import" { (tr(c.loc, "nav-import")) }
                            @if user.is_some() { a href="/l10n" { (tr(c.loc, "nav-l10n")) } }
                            @if c.auth.caller.is_authenticated() { a href="/piracy" { (tr(c.loc, "nav-piracy")) } }
                            @if c.auth.caller.is_authenticated() { a href="/deposits" { (tr(c.loc, "nav-deposits")) } }
                            a href="/api/v1/openapi.json" { (tr(c.loc, "nav-api")) }
                            a.lang href={ "/lang/" (other.tag()) } hreflang=(other.tag()) { (tr(c.loc, "lang-switch")) }
                            @if let Some(u) = &user {
                                a.account href="/account" { (u.email) }
                                form.logout method="post" action="/logout" { (csrf_field(c)) button type="submit" { (tr(c.loc, "nav-logout")) } }
                            } @else {
                                a.login href="/login" { (tr(c.loc, "nav-login")) }
                            }
                        }
                    }
                    main { (body) }
                }
            }
        }
        .into_string(),
    );
    let mut resp = html.into_response();
    if c.set_csrf_cookie {
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax",
            c.csrf
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

pub(crate) fn error_page(c: &Ctx, e: HttpError) -> Response {
    let status = e.status();
    let title = match status {
        StatusCode::NOT_FOUND => tr(c.loc, "not-found"),
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => tr(c.loc, "forbidden-title"),
        _ => tr(c.loc, "error-title"),
    };
    let body = layout(c, &title, html! { h1 { (title) } p.error { (e.message) } });
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

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: Option<String>,
}
