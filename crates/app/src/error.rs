//! The one error table of Qiantang.
//!
//! Every error a caller can see is an [`AppError`]; every [`AppError`] maps,
//! here and nowhere else, to an [`ErrorCode`] — a stable, machine-readable
//! code with its HTTP status. The hub answers `{"error": {"code", "message"}}`
//! (API) or an error page (web) from [`AppError::code`] and
//! [`AppError::public_message`]; the CLI prints the message. Internal details
//! (SQL, I/O) are logged, never shown.
//!
//! The model is Meilisearch's `Code` enum and Lemmy's `LemmyErrorType`: the
//! codes are an enum, listed in the API documentation (OpenAPI
//! `components.schemas.ErrorCode`), and never change meaning.

use qiantang_core::StoreError;
use qiantang_works::import::ImportError;

/// Stable error codes of the API, with their HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400 — the request is malformed or a value is out of range.
    Invalid,
    /// 401 — no valid credentials, or wrong credentials.
    Unauthorized,
    /// 403 — the caller's role or organization does not allow this.
    Forbidden,
    /// 403 — a form or a session-authenticated write lacks a valid CSRF token.
    Csrf,
    /// 404 — no such object (or not visible to the caller), or no such route.
    NotFound,
    /// 405 — the route exists but not with this method.
    MethodNotAllowed,
    /// 408 — the request took longer than `request_timeout_secs`.
    Timeout,
    /// 409 — the request conflicts with the current state (stale version,
    /// overlapping exclusive licence, duplicate name).
    Conflict,
    /// 413 — the body exceeds `max_upload_bytes`.
    PayloadTooLarge,
    /// 415 — the body's media type is not accepted here.
    UnsupportedMediaType,
    /// 422 — an uploaded file could not be imported; nothing was written.
    ImportFailed,
    /// 429 — too many requests; retry later.
    RateLimited,
    /// 500 — an internal failure (logged on the server).
    Internal,
    /// 503 — a service this request needs is not available in this process.
    Unavailable,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::Invalid,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Csrf,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Timeout,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::ImportFailed,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    /// The code as it appears on the wire (`not_found`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "invalid",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Csrf => "csrf",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::ImportFailed => "import_failed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status answered with this code (RFC 9110).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Invalid => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden | ErrorCode::Csrf => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Timeout => 408,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ImportFailed => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// The code a bare HTTP status stands for (errors produced by the server
    /// layers rather than by a service: body limits, timeouts, unknown methods).
    pub fn from_http_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::Timeout,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::ImportFailed,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            s if s >= 500 => ErrorCode::Internal,
            _ => ErrorCode::Invalid,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors of application services. [`AppError::code`] is the one mapping to
/// the API's codes and statuses; the CLI prints the `Display` form.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The object does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The request was invalid; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this (message says why).
    #[error("{0}")]
    Forbidden(String),
    /// Authentication failed (wrong credentials).
    #[error("{0}")]
    Unauthorized(String),
    /// The request conflicts with the current state (message says how).
    #[error("{0}")]
    Conflict(String),
    /// A service the operation needs is not available in this process
    /// (e.g. the deposit log is held by `qiantang serve`).
    #[error("{0}")]
    Unavailable(String),
    /// The uploaded file could not be imported; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// The entry of the error table for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::NotFound(_) | AppError::Store(StoreError::NotFound(_)) => ErrorCode::NotFound,
            AppError::Invalid(_) | AppError::Store(StoreError::Invalid(_)) => ErrorCode::Invalid,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::Unauthorized(_) => ErrorCode::Unauthorized,
            AppError::Conflict(_) | AppError::Store(StoreError::Conflict(_)) => ErrorCode::Conflict,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Import(_) => ErrorCode::ImportFailed,
            AppError::Store(StoreError::Backend(_)) => ErrorCode::Internal,
        }
    }

    /// The message a client may see: the error's own text, except for
    /// internal failures, whose details go to the log only.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound(what) | AppError::Store(StoreError::NotFound(what)) => {
                format!("{what} not found")
            }
            AppError::Store(StoreError::Invalid(m)) | AppError::Store(StoreError::Conflict(m)) => {
                m.clone()
            }
            AppError::Store(StoreError::Backend(_)) => {
                "internal error; see the server log".to_string()
            }
            other => other.to_string(),
        }
    }
}

/// Maps a deposit-log error into the table: unknown entries and parents are
/// 404, a malformed entry or a pending receipt 400, anything else is an
/// internal failure (logged).
pub fn deposit_error(e: qiantang_deposit::DepositError) -> AppError {
    use qiantang_deposit::DepositError as E;
    match e {
        E::NoSuchEntry { .. } | E::NoSuchParent { .. } => AppError::NotFound(e.to_string()),
        E::Entry(_) | E::Pending { .. } => AppError::Invalid(e.to_string()),
        other => {
            tracing::error!(error = %other, "deposit log error");
            AppError::Store(StoreError::Backend(other.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip_through_their_status() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            let json = serde_json::to_string(&c).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            if c != ErrorCode::Csrf {
                assert_eq!(ErrorCode::from_http_status(c.http_status()), c, "{c}");
            }
        }
    }

    #[test]
    fn store_backend_errors_hide_their_details() {
        let e = AppError::Store(StoreError::Backend("SELECT secret FROM x".into()));
        assert_eq!(e.code(), ErrorCode::Internal);
        assert!(!e.public_message().contains("secret"));
        let nf = AppError::Store(StoreError::NotFound("work 3".into()));
        assert_eq!(nf.code().http_status(), 404);
    }
}
