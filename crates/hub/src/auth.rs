//! Authentication and authorization for every request, in one place.
//!
//! [`resolve_caller`] (a middleware on the whole router) turns the request's
//! credentials into a [`Caller`]: an `Authorization: Bearer` API token, or the
//! `qt_session` cookie of a logged-in user, or nobody. A bad or revoked token
//! is refused at once with 401. It also applies the request-rate limits.
//! Handlers then state what they need with typed extractors — [`Authed`],
//! [`ReadableWork`], [`WritableWork`], [`ImportTarget`], [`KbEditor`], [`KbReviewer`], [`OrgOwner`],
//! [`KbAdmin`], [`PlatformAdmin`] — which consult [`qiantang_auth::policy`].
//! No handler checks roles ad hoc.

use qiantang_app::ErrorCode;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use qiantang_auth::policy::{Action, Caller};
use qiantang_auth::Role;
use qiantang_works::model::{Work, WorkScope};

use qiantang_app::clock;

use crate::{HttpError, HubState};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "qt_session";
/// Name of the CSRF double-submit cookie (OWASP CSRF cheat sheet, "double submit cookie").
pub const CSRF_COOKIE: &str = "qt_csrf";

/// Request-rate limiters (GCRA, `governor`), keyed by client IP or token id.
pub struct Limits {
    login: DefaultKeyedRateLimiter<String>,
    api: DefaultKeyedRateLimiter<String>,
}

impl Limits {
    /// `login_per_minute` login attempts per IP; `api_per_minute` API requests per token or IP.
    pub fn new(login_per_minute: u32, api_per_minute: u32) -> Self {
        let q = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            login: RateLimiter::keyed(q(login_per_minute)),
            api: RateLimiter::keyed(q(api_per_minute)),
        }
    }

    /// Takes one login attempt for `ip`; `Err(retry_after_secs)` when over the limit.
    pub fn login(&self, ip: &str) -> Result<(), u64> {
        check(&self.login, ip)
    }

    fn api(&self, key: &str) -> Result<(), u64> {
        check(&self.api, key)
    }
}

fn check(l: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), u64> {
    l.check_key(&key.to_string()).map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        wait.as_secs().max(1)
    })
}

/// Per-request authentication result, stored in request extensions.
#[derive(Clone)]
pub struct RequestAuth {
    /// The caller.
    pub caller: Arc<Caller>,
    /// The session's CSRF token (logged-in users), used in forms.
    pub session_csrf: Option<String>,
    /// Client IP, when known.
    pub ip: Option<String>,
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

/// Reads a cookie by name.
pub fn get_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    cookie(headers, name)
}

fn too_many(retry: u64) -> Response {
    let mut r = HttpError::new(
        ErrorCode::RateLimited,
        format!("too many requests; retry in {retry} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn unauthorized(msg: &str) -> Response {
    let mut r = HttpError::new(ErrorCode::Unauthorized, msg).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"qiantang\""),
    );
    r
}

/// Compares two secrets in time independent of where they differ (CSRF tokens).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Middleware: resolves the caller and applies rate limits.
pub async fn resolve_caller(State(s): State<HubState>, mut req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let is_api = req.uri().path().starts_with("/api/");
    let method = req.method().clone();
    let headers = req.headers().clone();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let session_cookie = cookie(&headers, SESSION_COOKIE).map(str::to_string);
    let app = s.app.clone();
    let now = clock::now_ms();
    let resolved = tokio::task::spawn_blocking(move || {
        app.accounts()
            .resolve_credentials(bearer.as_deref(), session_cookie.as_deref(), now)
    })
    .await;
    let (caller, csrf) = match resolved {
        Ok(Ok(Ok(c))) => c,
        Ok(Ok(Err(msg))) => {
            // Guessing tokens is throttled like guessing passwords.
            if let Err(retry) = s
                .limits
                .login(&format!("bearer:{}", ip.as_deref().unwrap_or("unknown")))
            {
                return too_many(retry);
            }
            return unauthorized(msg);
        }
        Ok(Err(e)) => return HttpError::from(e).into_response(),
        Err(_) => return HttpError::internal().into_response(),
    };
    // JSON API writes with a session cookie must carry the session's CSRF
    // token in `X-CSRF-Token` (scripts use bearer tokens, which need none).
    if is_api && !method.is_safe() {
        if let Some(expected) = &csrf {
            let sent = headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, expected) {
                return HttpError::new(ErrorCode::Csrf, "API writes with a session cookie need the X-CSRF-Token header; scripts should use Authorization: Bearer")
                .into_response();
            }
        }
    }
    if is_api {
        let key = match &caller.token {
            Some(t) => format!("token:{}", t.id),
            None => format!("ip:{}", ip.as_deref().unwrap_or("unknown")),
        };
        if let Err(retry) = s.limits.api(&key) {
            return too_many(retry);
        }
    }
    req.extensions_mut().insert(RequestAuth {
        caller: Arc::new(caller),
        session_csrf: csrf,
        ip,
    });
    next.run(req).await
}

/// Why an extractor refused: 401 when nobody is logged in, 403 otherwise.
/// Pages redirect anonymous visitors to the login page instead of 401.
pub struct Refusal {
    status: StatusCode,
    message: String,
    page_login: Option<String>,
    /// A page (not `/api/`): answer plain text, which the error layer turns into HTML.
    page: bool,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if let Some(next) = self.page_login {
            return Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response();
        }
        if self.page {
            return (self.status, self.message).into_response();
        }
        if self.status == StatusCode::UNAUTHORIZED {
            return unauthorized(&self.message);
        }
        HttpError::new(
            ErrorCode::from_http_status(self.status.as_u16()),
            self.message,
        )
        .into_response()
    }
}

/// Percent-encodes a path for a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn refuse(parts: &Parts, caller: &Caller, what: &str) -> Refusal {
    // Nested routers see a path without `/api/v1`; the original URI has it.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let is_page = !uri.path().starts_with("/api/");
    if !caller.is_authenticated() {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            message: format!("log in or send an API token to {what}"),
            page_login: if is_page && parts.method == axum::http::Method::GET {
                Some(
                    uri.path_and_query()
                        .map(|p| p.as_str())
                        .unwrap_or("/")
                        .to_string(),
                )
            } else {
                None
            },
            page: is_page,
        }
    } else {
        Refusal {
            status: StatusCode::FORBIDDEN,
            message: format!("your role does not allow you to {what}"),
            page_login: None,
            page: is_page,
        }
    }
}

/// 404 for an admin (who could see any work, so nothing is hidden).
fn missing(parts: &Parts) -> Refusal {
    let original = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.path().to_string());
    let path = original.unwrap_or_else(|| parts.uri.path().to_string());
    Refusal {
        status: StatusCode::NOT_FOUND,
        message: "no such work".into(),
        page_login: None,
        page: !path.starts_with("/api/"),
    }
}

/// Whether the caller may hand out `role` (membership or token). The
/// reviewer role approves edits of the shared knowledge base for every
/// tenant, so only platform administrators grant it.
pub fn may_grant(caller: &Caller, role: Role) -> Result<(), HttpError> {
    if role == Role::Reviewer && !caller.is_admin() {
        return Err(HttpError::new(ErrorCode::Forbidden, "only platform administrators grant the reviewer role (it approves shared knowledge-base edits)"));
    }
    Ok(())
}

/// Parses a role name the caller wants to hand out and checks [`may_grant`].
pub fn grantable_role(caller: &Caller, name: &str) -> Result<Role, HttpError> {
    let role = parse_role(name)?;
    may_grant(caller, role)?;
    Ok(role)
}

pub(crate) fn request_auth(parts: &Parts) -> RequestAuth {
    parts
        .extensions
        .get::<RequestAuth>()
        .cloned()
        .unwrap_or(RequestAuth {
            caller: Arc::new(Caller::anonymous()),
            session_csrf: None,
            ip: None,
        })
}

impl<S: Send + Sync> FromRequestParts<S> for RequestAuth {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(request_auth(parts))
    }
}

/// Any authenticated caller (user or token).
pub struct Authed(pub RequestAuth);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = Refusal;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let a = request_auth(parts);
        if a.caller.is_authenticated() {
            Ok(Authed(a))
        } else {
            Err(refuse(parts, &a.caller, "do this"))
        }
    }
}

macro_rules! action_extractor {
    ($(#[$doc:meta])* $name:ident, $action:expr, $what:literal) => {
        $(#[$doc])*
        pub struct $name(pub RequestAuth);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = Refusal;
            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                let a = request_auth(parts);
                if a.caller.can($action) {
                    Ok($name(a))
                } else {
                    Err(refuse(parts, &a.caller, $what))
                }
            }
        }
    };
}

action_extractor!(
    /// May propose KB edits (owner, editor or reviewer of some organization, or admin).
    KbEditor, Action::ProposeConcept, "propose knowledge-base edits");
action_extractor!(
    /// May apply KB edits directly (reviewer or admin).
    KbReviewer, Action::ApproveConcept, "approve knowledge-base edits");
action_extractor!(
    /// May delete concepts and import KB files (admin).
    KbAdmin, Action::AdministerKb, "administer the knowledge base");
action_extractor!(
    /// Platform admin.
    PlatformAdmin, Action::Administer, "administer the platform");

/// The first of `keys` present in the path, with its value as an id.
/// `what` names the object in the error ("work"); empty = the key's name.
/// A non-numeric id is a 400 (an HTML page for page routes).
async fn path_id(
    parts: &mut Parts,
    s: &HubState,
    keys: &[&str],
    what: &str,
) -> Result<Option<(String, i64)>, Refusal> {
    let is_page = !parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.path().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string())
        .starts_with("/api/");
    let Path(params): Path<Vec<(String, String)>> = Path::from_request_parts(parts, s)
        .await
        .map_err(|_| Refusal {
            status: StatusCode::BAD_REQUEST,
            message: "bad path".into(),
            page_login: None,
            page: false,
        })?;
    let Some((key, raw)) = params.into_iter().find(|(k, _)| keys.contains(&k.as_str())) else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(id) => Ok(Some((key, id))),
        Err(_) => Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            message: format!(
                "{} id {raw:?} is not a number",
                if what.is_empty() { key.as_str() } else { what }
            ),
            page_login: None,
            page: is_page,
        }),
    }
}

async fn load_work(
    parts: &mut Parts,
    s: &HubState,
) -> Result<(RequestAuth, Option<Work>), Refusal> {
    let a = request_auth(parts);
    let Some((_, id)) = path_id(parts, s, &["id"], "work").await? else {
        return Ok((a, None));
    };
    let app = s.app.clone();
    let work = tokio::task::spawn_blocking(move || app.catalog().work(id))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    Ok((a, work))
}

/// A work the caller may read (published, or owned by one of the caller's organizations).
/// Unknown and inaccessible works are refused alike (401/403), so nothing can be inferred.
pub struct ReadableWork(pub Work, pub RequestAuth);

impl FromRequestParts<HubState> for ReadableWork {
    type Rejection = Refusal;
    async fn from_request_parts(parts: &mut Parts, s: &HubState) -> Result<Self, Self::Rejection> {
        let (a, work) = load_work(parts, s).await?;
        match work {
            Some(w)
                if a.caller.can(Action::ReadWork {
                    org: w.org,
                    published: w.published,
                }) =>
            {
                Ok(ReadableWork(w, a))
            }
            None if a.caller.is_admin() => Err(missing(parts)),
            _ => Err(refuse(parts, &a.caller, "read this work")),
        }
    }
}

macro_rules! work_extractor {
    ($(#[$doc:meta])* $name:ident, $action:ident, $what:literal) => {
        $(#[$doc])*
        pub struct $name(pub Work, pub RequestAuth);

        impl FromRequestParts<HubState> for $name {
            type Rejection = Refusal;
            async fn from_request_parts(
                parts: &mut Parts,
                s: &HubState,
            ) -> Result<Self, Self::Rejection> {
                let (a, work) = load_work(parts, s).await?;
                match work {
                    Some(w) if a.caller.can(Action::$action { org: w.org }) => Ok($name(w, a)),
                    None if a.caller.is_admin() => Err(missing(parts)),
                    _ => Err(refuse(parts, &a.caller, $what)),
                }
            }
        }
    };
}

work_extractor!(
    /// A work the caller may change (owner/editor of its organization, or admin).
    WritableWork, WriteWork, "change this work");

work_extractor!(
    /// A work whose licences and rights map the caller may see (any role in its
    /// organization, or admin); the public sees nothing, even of published works.
    RightsReader, ReadRights, "see the licences of this work");

work_extractor!(
    /// A work whose licences the caller may grant and revoke (owner/editor of its
    /// organization, or admin).
    RightsGranter, GrantRights, "grant licences of this work");

/// The works a caller may list.
pub fn scope_of(caller: &Caller) -> WorkScope {
    if caller.is_admin() {
        WorkScope::All
    } else {
        WorkScope::Visible {
            orgs: caller.orgs(),
            published: true,
        }
    }
}

/// The access rule a route declares (checked by its extractors; the route
/// tables [`crate::api::ROUTES`] and [`crate::web::PAGE_ROUTES`] list one per
/// route, and the test suite verifies each against real requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, also anonymous (published content, the KB, static files, login).
    Public,
    /// Any logged-in user or token.
    Authenticated,
    /// A work the caller may read (published or own organization).
    WorkRead,
    /// A work the caller may change (owner/editor of its organization); also
    /// granting and revoking its licences ([`RightsGranter`]).
    WorkWrite,
    /// Any member of the work's owning organization, published or not
    /// (licences and the rights map, [`RightsReader`]).
    WorkMember,
    /// Owner/editor of the target organization (imports).
    OrgWrite,
    /// Propose KB edits: owner, editor or reviewer of any organization, or admin ([`KbEditor`]);
    /// reviewers' and admins' edits apply at once, others' become proposals.
    KbPropose,
    /// Approve KB edits: reviewer of any organization, or admin ([`KbReviewer`]).
    KbEdit,
    /// KB administration (admin).
    KbAdmin,
    /// Owner of the organization in the path (members, tokens, audit).
    OrgOwner,
    /// Platform admin.
    Admin,
    /// Any member of the organization owning the localization project named
    /// by `{project}`, `{segment}` or `{job}` ([`ReadableProject`]).
    ProjectRead,
    /// Owner/editor of that organization ([`ManagedProject`]).
    ProjectManage,
    /// Translator, reviewer, editor or owner there ([`TranslatableProject`]);
    /// review states need the reviewer or owner role (checked by the workflow).
    SegmentTranslate,
}

/// Owner of the organization named by the `{org}` path segment (id), or admin.
pub struct OrgOwner(pub qiantang_auth::OrgId, pub RequestAuth);

impl FromRequestParts<HubState> for OrgOwner {
    type Rejection = Refusal;
    async fn from_request_parts(parts: &mut Parts, s: &HubState) -> Result<Self, Self::Rejection> {
        let a = request_auth(parts);
        let Path(params): Path<Vec<(String, String)>> = Path::from_request_parts(parts, s)
            .await
            .map_err(|_| Refusal {
                status: StatusCode::BAD_REQUEST,
                message: "bad path".into(),
                page_login: None,
                page: false,
            })?;
        let org = params
            .iter()
            .find(|(k, _)| k == "org")
            .and_then(|(_, v)| v.parse::<i64>().ok());
        match org {
            Some(o) if a.caller.can(Action::ManageOrg { org: o }) => Ok(OrgOwner(o, a)),
            _ => Err(refuse(parts, &a.caller, "manage this organization")),
        }
    }
}

impl RequestAuth {
    /// The audit actor of this request.
    pub fn actor(&self) -> qiantang_app::accounts::Actor {
        qiantang_app::accounts::Actor {
            name: self.caller.actor(),
            ip: self.ip.clone(),
            orgs: self.caller.orgs(),
        }
    }

    /// The organization an import goes to: `requested` (by name) or, when
    /// absent, the caller's only organization where they may write.
    /// Errors: 403 when the caller may not write there, 400 when ambiguous.
    pub fn target_org(
        &self,
        app: &qiantang_app::App,
        requested: Option<&str>,
    ) -> Result<qiantang_auth::OrgId, HttpError> {
        let forbidden = || {
            HttpError::new(
                ErrorCode::Forbidden,
                "your role does not allow importing works into that organization",
            )
        };
        if let Some(name) = requested.map(str::trim).filter(|n| !n.is_empty()) {
            let org = app.accounts().org_named(name).map_err(|_| forbidden())?;
            return if self.caller.can(Action::WriteWork { org: org.id }) {
                Ok(org.id)
            } else {
                Err(forbidden())
            };
        }
        let writable: Vec<_> = self
            .caller
            .roles
            .iter()
            .filter(|(o, _)| self.caller.can(Action::WriteWork { org: *o }))
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
}

/// Admission of an upload, checked before the body is read: with `?org=NAME`
/// the caller must be owner/editor there (or admin); without it, somewhere.
/// The body's `org` field is checked again by [`RequestAuth::target_org`].
/// Refusals: 401 anonymous, 403 otherwise.
pub struct ImportTarget(pub Option<qiantang_auth::OrgId>, pub RequestAuth);

impl FromRequestParts<HubState> for ImportTarget {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &HubState) -> Result<Self, Self::Rejection> {
        let a = request_auth(parts);
        if !a.caller.is_authenticated() {
            return Err(refuse(parts, &a.caller, "import works").into_response());
        }
        #[derive(serde::Deserialize)]
        struct OrgParam {
            org: Option<String>,
        }
        let org = axum::extract::Query::<OrgParam>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.org)
            .filter(|o| !o.trim().is_empty());
        let Some(org) = org else {
            let any = a.caller.is_admin()
                || a.caller
                    .roles
                    .iter()
                    .any(|(o, _)| a.caller.can(Action::WriteWork { org: *o }));
            return if any {
                Ok(ImportTarget(None, a))
            } else {
                Err(refuse(parts, &a.caller, "import works").into_response())
            };
        };
        let app = s.app.clone();
        let a2 = a.clone();
        let res = tokio::task::spawn_blocking(move || a2.target_org(&app, Some(&org)))
            .await
            .map_err(|_| HttpError::internal().into_response())?;
        match res {
            Ok(o) => Ok(ImportTarget(Some(o), a)),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Loads the localization project named by the `{project}`, `{segment}` or
/// `{job}` path parameter.
async fn load_project(
    parts: &mut Parts,
    s: &HubState,
) -> Result<(RequestAuth, Option<qiantang_l10n::Project>), Refusal> {
    let a = request_auth(parts);
    let Some((key, id)) = path_id(parts, s, &["project", "segment", "job"], "").await? else {
        return Ok((a, None));
    };
    let app = s.app.clone();
    let project = tokio::task::spawn_blocking(move || {
        let l = app.l10n();
        let pid = match key.as_str() {
            "segment" => l.segment(id).ok().flatten().map(|x| x.project),
            "job" => l.job(id).ok().flatten().map(|x| x.project),
            _ => Some(id),
        }?;
        l.project(pid).ok()
    })
    .await
    .ok()
    .flatten();
    Ok((a, project))
}

macro_rules! project_extractor {
    ($(#[$doc:meta])* $name:ident, $action:ident, $what:literal) => {
        $(#[$doc])*
        pub struct $name(pub qiantang_l10n::Project, pub RequestAuth);

        impl FromRequestParts<HubState> for $name {
            type Rejection = Refusal;
            async fn from_request_parts(
                parts: &mut Parts,
                s: &HubState,
            ) -> Result<Self, Self::Rejection> {
                let (a, project) = load_project(parts, s).await?;
                match project {
                    Some(p) if a.caller.can(Action::$action { org: p.org }) => Ok($name(p, a)),
                    None if a.caller.is_admin() => Err(Refusal {
                        message: "no such project, segment or job".into(),
                        ..missing(parts)
                    }),
                    _ => Err(refuse(parts, &a.caller, $what)),
                }
            }
        }
    };
}

project_extractor!(
    /// A localization project the caller may see (any member of its organization).
    ReadableProject, ReadL10n, "see this localization project");
project_extractor!(
    /// A project the caller may manage (owner/editor of its organization).
    ManagedProject, ManageL10n, "manage this localization project");
project_extractor!(
    /// A project whose segments the caller may translate (translator, reviewer, editor, owner).
    TranslatableProject, Translate, "translate in this project");

/// What a caller may do with the segments of `org` (for the workflow rules).
pub fn segment_perms(caller: &Caller, org: qiantang_auth::OrgId) -> qiantang_app::l10n::Perms {
    qiantang_app::l10n::Perms {
        translate: caller.can(Action::Translate { org }),
        review: caller.can(Action::Review { org }),
    }
}

/// Parses a role name; 400 naming the valid roles otherwise.
pub(crate) fn parse_role(s: &str) -> Result<qiantang_auth::Role, HttpError> {
    qiantang_auth::Role::parse(s).ok_or_else(|| {
        HttpError::invalid(format!(
            "unknown role {s:?}: use owner, editor, translator, reviewer, analyst or viewer"
        ))
    })
}
