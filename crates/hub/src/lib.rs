//! # qiantang-hub — the hub's application services, JSON API and web UI
//!
//! [`launch`] serves the hub on a listener until a shutdown future resolves.
//! [`app::App`] holds the application services the CLI uses too.
//!
//! *API boundary*: this is the only crate that speaks HTTP and serializes to
//! the wire ([`dto`]); domain crates know nothing of JSON shapes or HTTP.

pub mod api;
pub mod auth;
pub mod i18n;
mod upload;
pub mod web;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;

use qiantang_app::dto;
use qiantang_app::{App, AppError, ErrorCode};

/// Settings the hub needs. Built by the CLI from flags, `QIANTANG_*`
/// environment variables and the optional TOML file.
#[derive(Clone)]
pub struct HubConfig {
    /// Data directory (SQLite database and blobs).
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite (a secret: redacted in `Debug`).
    pub database_url: Option<String>,
    /// Largest accepted request body, bytes (uploads). Larger → HTTP 413.
    pub max_upload_bytes: usize,
    /// Per-request time limit; slower requests get HTTP 408.
    pub request_timeout: Duration,
    /// Login attempts allowed per client IP per minute (more → HTTP 429).
    pub login_per_minute: u32,
    /// API requests allowed per token (or per IP without a token) per minute.
    pub api_per_minute: u32,
    /// Mark cookies `Secure` (set when the hub is served over TLS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Session lifetime.
    pub session_ttl: Duration,
}

impl HubConfig {
    /// Defaults: 64 MiB uploads, 120 s timeout, 10 logins and 600 API
    /// requests per minute, 12-hour sessions, cookies not `Secure`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            database_url: None,
            max_upload_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            login_per_minute: 10,
            api_per_minute: 600,
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

impl std::fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConfig")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(qiantang_store::redact_url),
            )
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("login_per_minute", &self.login_per_minute)
            .field("api_per_minute", &self.api_per_minute)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_ttl", &self.session_ttl)
            .finish()
    }
}

/// Errors of [`launch`].
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The stores could not be opened or seeded.
    #[error("cannot open the data directory: {0}")]
    Open(#[from] AppError),
    /// The server failed.
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
}

/// Shared state of request handlers.
#[derive(Clone)]
pub struct HubState {
    /// Application services.
    pub app: Arc<App>,
    /// Configuration.
    pub config: Arc<HubConfig>,
    /// Request-rate limiters.
    pub limits: Arc<auth::Limits>,
}

/// The complete router (pages, API, static files) over an opened app.
pub fn router(app: Arc<App>, config: HubConfig) -> Router {
    let limit = config.max_upload_bytes;
    let timeout = config.request_timeout;
    let limits = Arc::new(auth::Limits::new(
        config.login_per_minute,
        config.api_per_minute,
    ));
    let state = HubState {
        app,
        config: Arc::new(config),
        limits,
    };
    Router::new()
        .merge(web::routes().merge(web::l10n::routes()))
        .nest("/api/v1", api::routes().merge(api::l10n::routes()))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve_caller,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(uniform_errors))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Sets a response header unless the handler set it (OWASP Secure Headers).
fn security_header(
    name: axum::http::HeaderName,
    value: &'static str,
) -> tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        name,
        axum::http::HeaderValue::from_static(value),
    )
}

/// Body of the 404 for addresses no route serves (tests tell it from a handler's 404 by it).
pub const NO_ROUTE: &str = "no route serves this address";

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        HttpError::new(ErrorCode::NotFound, NO_ROUTE).into_response()
    } else {
        (StatusCode::NOT_FOUND, NO_ROUTE).into_response()
    }
}

/// Gives every error one shape, whoever produced it (extractor rejections,
/// body-limit and timeout layers, unknown methods): `{"error":{code,message}}`
/// under `/api/`, a small HTML page elsewhere. Responses that already have a
/// JSON or HTML body pass unchanged.
async fn uniform_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ct = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if ct.starts_with("application/json") || ct.starts_with("text/html") {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = ErrorCode::from_http_status(status.as_u16());
    let message = match (status, text.is_empty()) {
        (StatusCode::PAYLOAD_TOO_LARGE, _) => {
            "the request body exceeds the server's size limit (max_upload_bytes)".to_string()
        }
        (StatusCode::METHOD_NOT_ALLOWED, true) => "this method is not allowed here".to_string(),
        (StatusCode::REQUEST_TIMEOUT, true) => "the request took too long".to_string(),
        (_, true) => status.canonical_reason().unwrap_or("error").to_string(),
        (_, false) => text,
    };
    let mut out = if is_api {
        (
            status,
            axum::Json(dto::ErrorDto {
                error: dto::ErrorBody { code, message },
            }),
        )
            .into_response()
    } else {
        let page = maud::html! {
            (maud::DOCTYPE)
            html {
                head { meta charset="utf-8"; title { (status.as_u16()) " · Qiantang" } link rel="stylesheet" href="/static/app.css"; }
                body { main { h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) } p.error { (message) } p { a href="/" { "Qiantang" } } } }
            }
        };
        (status, axum::response::Html(page.into_string())).into_response()
    };
    for (k, v) in parts.headers.iter() {
        if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// Opens the data directory, then serves the hub on `listener` until
/// `shutdown` resolves (graceful: in-flight requests finish).
pub async fn launch(
    config: HubConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LaunchError> {
    let dir = config.data_dir.clone();
    let url = config.database_url.clone();
    let app = tokio::task::spawn_blocking(move || App::open_with(&dir, url.as_deref()))
        .await
        .map_err(|e| LaunchError::Serve(std::io::Error::other(e.to_string())))??;
    serve(app, config, listener, shutdown).await
}

/// Serves an already opened app.
pub async fn serve(
    app: Arc<App>,
    config: HubConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LaunchError> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "Qiantang hub listening");
    }
    let service = router(app, config).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Runs a blocking store call off the async executor.
pub(crate) async fn blocking<T, F>(state: &HubState, f: F) -> Result<T, HttpError>
where
    F: FnOnce(&App) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let app = state.app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "blocking task failed");
            HttpError::internal()
        })?
        .map_err(HttpError::from)
}

/// An error answered to a client: a code of the error table and a message
/// that never carries internals (those are logged). Its status is the code's.
#[derive(Debug)]
pub struct HttpError {
    /// Stable code (see [`qiantang_app::ErrorCode`]).
    pub code: ErrorCode,
    /// Message.
    pub message: String,
}

impl HttpError {
    /// An error of `code` with `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    /// The HTTP status of the code.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    pub(crate) fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error; see the server log")
    }
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, msg)
    }
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, format!("{} not found", what.into()))
    }
}

impl From<AppError> for HttpError {
    /// The error table ([`qiantang_app::ErrorCode`]) decides status and code;
    /// internal details are logged, never answered.
    fn from(e: AppError) -> Self {
        let code = e.code();
        if code == ErrorCode::Internal {
            tracing::error!(error = %e, "internal error");
        }
        HttpError::new(code, e.public_message())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = dto::ErrorDto {
            error: dto::ErrorBody {
                code: self.code,
                message: self.message,
            },
        };
        (status, axum::Json(body)).into_response()
    }
}
