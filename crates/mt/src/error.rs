//! The one error type of the crate.

use std::time::Duration;

/// What went wrong in a machine-translation call.
///
/// Transport errors (`Timeout`, `RateLimited`, `Http` with status 5xx) have already been
/// retried with backoff when they reach the caller; `Quota` and `Config` are never retried.
#[derive(Debug, thiserror::Error)]
pub enum MtError {
    /// The server answered with a non-success status that is not retried, or a 5xx after all
    /// retries. `body` is the first 300 characters of the reply (never the request).
    #[error("HTTP {status} from {backend}: {body}")]
    Http {
        /// Backend name.
        backend: String,
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// HTTP 429 after all retries, or a `Retry-After` longer than the configured maximum wait.
    #[error("rate limited by {backend}{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Backend name.
        backend: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// Connecting or reading the reply took longer than the configured timeout, on every try.
    #[error("timeout talking to {backend}")]
    Timeout {
        /// Backend name.
        backend: String,
    },
    /// The account's character/token quota is used up (DeepL: HTTP 456; OpenAI-style:
    /// `insufficient_quota`). Not retried.
    #[error("quota exceeded at {backend}: {body}")]
    Quota {
        /// Backend name.
        backend: String,
        /// Start of the response body.
        body: String,
    },
    /// The key was refused (HTTP 401/403).
    #[error("{backend} refused the credentials (HTTP {status})")]
    Unauthorized {
        /// Backend name.
        backend: String,
        /// 401 or 403.
        status: u16,
    },
    /// The connection failed (refused, DNS, TLS) on every try.
    #[error("cannot reach {backend}: {message}")]
    Transport {
        /// Backend name.
        backend: String,
        /// The client's error text.
        message: String,
    },
    /// The reply could not be used: not JSON, wrong shape, empty text, lost placeholders.
    #[error("unusable reply: {reason}")]
    BadReply {
        /// What was wrong.
        reason: String,
    },
    /// The reply did not line up with the request: missing, extra or duplicate ids, or text
    /// that looks shifted to another id (numbers of the source missing from its target).
    #[error("misaligned reply (ids {ids:?})")]
    Misaligned {
        /// The ids concerned.
        ids: Vec<u32>,
    },
    /// The configuration is wrong (missing key, bad URL, zero rate …).
    #[error("configuration: {0}")]
    Config(String),
    /// The request itself is wrong (duplicate ids, empty batch …).
    #[error("bad request: {0}")]
    Request(String),
    /// The backend cannot translate between these languages.
    #[error("{backend} does not translate {source_lang} → {target_lang}")]
    UnsupportedPair {
        /// Backend name.
        backend: String,
        /// Requested source tag.
        source_lang: String,
        /// Requested target tag.
        target_lang: String,
    },
}

impl MtError {
    /// True for errors of the reply's content (the batch may succeed when retried or split);
    /// false for transport, quota and configuration errors, which splitting cannot cure.
    pub fn is_content_error(&self) -> bool {
        matches!(self, MtError::BadReply { .. } | MtError::Misaligned { .. })
    }
}

/// The first `max` characters of `s` (for error bodies and logs).
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}
