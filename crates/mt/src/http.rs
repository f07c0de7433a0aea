//! The blocking HTTP transport shared by the HTTP backends: one `ureq` agent with connect and
//! read timeouts, a per-backend rate limiter (`governor`), and retries with exponential
//! backoff and jitter on 429, 5xx, timeouts and connection failures, honouring `Retry-After`
//! (delta-seconds or HTTP-date, RFC 9110 §10.2.3).

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::error::excerpt;
use crate::{HttpConfig, MtError, Usage};

/// Longest excerpt of an error body kept in an [`MtError`].
const BODY_EXCERPT: usize = 300;

pub(crate) struct HttpClient {
    backend: &'static str,
    agent: ureq::Agent,
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
    cfg: HttpConfig,
}

/// One failed attempt, classified.
enum Attempt {
    /// Worth another try after `wait` (None: use the backoff).
    Retry(MtError, Option<Duration>),
    /// Final.
    Fail(MtError),
}

impl HttpClient {
    pub(crate) fn new(backend: &'static str, cfg: &HttpConfig) -> Result<Self, MtError> {
        let period = Duration::from_secs_f64(1.0 / cfg.requests_per_second);
        let quota = Quota::with_period(period)
            .ok_or_else(|| MtError::Config("http.requests_per_second is too high".into()))?
            .allow_burst(NonZeroU32::MIN);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(cfg.connect_timeout()))
            .timeout_recv_response(Some(cfg.read_timeout()))
            .timeout_recv_body(Some(cfg.read_timeout()))
            .http_status_as_error(false)
            .user_agent(concat!("qiantang-mt/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(HttpClient {
            backend,
            agent,
            limiter: RateLimiter::direct(quota),
            clock: DefaultClock::default(),
            cfg: cfg.clone(),
        })
    }

    /// POSTs `body` as JSON to `url` with `headers`, retrying transient failures, and returns
    /// the body of the 2xx reply. Every attempt counts in `usage.requests`.
    ///
    /// Errors: `RateLimited` (429 after all retries, or a `Retry-After` above `max_wait_ms`),
    /// `Timeout`, `Transport`, `Quota` (456, or an OpenAI-style `insufficient_quota`),
    /// `Unauthorized` (401/403), `Http` (any other status, 5xx after all retries).
    pub(crate) fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
        usage: &mut Usage,
    ) -> Result<String, MtError> {
        let mut attempt: u32 = 0;
        loop {
            self.wait_for_rate_limit();
            usage.requests += 1;
            let outcome = self.attempt(url, headers, body);
            let (err, server_wait) = match outcome {
                Ok(text) => return Ok(text),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Retry(e, wait)) => (e, wait),
            };
            if attempt >= self.cfg.max_retries {
                return Err(err);
            }
            let max_wait = Duration::from_millis(self.cfg.max_wait_ms);
            let wait = match server_wait {
                Some(w) if w > max_wait => return Err(err),
                // Honour the server's wish; a little jitter so that workers do not return at once.
                Some(w) => w + self.jitter(Duration::from_millis(100)),
                None => self.backoff(attempt),
            };
            tracing::warn!(
                backend = self.backend,
                attempt = attempt + 1,
                wait_ms = wait.as_millis() as u64,
                error = %err,
                "retrying machine-translation request"
            );
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn attempt(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<String, Attempt> {
        let mut req = self.agent.post(url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let backend = self.backend.to_string();
        let mut resp = match req.send_json(body) {
            Ok(r) => r,
            Err(e) => return Err(self.classify_transport(e)),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = match resp.body_mut().read_to_string() {
            Ok(t) => t,
            Err(e) => return Err(self.classify_transport(e)),
        };
        tracing::debug!(
            backend = self.backend,
            url,
            status,
            "machine-translation reply"
        );
        match status {
            200..=299 => Ok(text),
            429 if text.contains("insufficient_quota") => Err(Attempt::Fail(MtError::Quota {
                backend,
                body: excerpt(&text, BODY_EXCERPT),
            })),
            429 => Err(Attempt::Retry(
                MtError::RateLimited {
                    backend,
                    retry_after,
                },
                Some(retry_after.unwrap_or_else(|| self.backoff(0))),
            )),
            456 => Err(Attempt::Fail(MtError::Quota {
                backend,
                body: excerpt(&text, BODY_EXCERPT),
            })),
            401 | 403 => Err(Attempt::Fail(MtError::Unauthorized { backend, status })),
            408 | 500..=599 => Err(Attempt::Retry(
                MtError::Http {
                    backend,
                    status,
                    body: excerpt(&text, BODY_EXCERPT),
                },
                retry_after,
            )),
            _ => Err(Attempt::Fail(MtError::Http {
                backend,
                status,
                body: excerpt(&text, BODY_EXCERPT),
            })),
        }
    }

    fn classify_transport(&self, e: ureq::Error) -> Attempt {
        let backend = self.backend.to_string();
        match e {
            ureq::Error::Timeout(_) => Attempt::Retry(MtError::Timeout { backend }, None),
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Attempt::Retry(MtError::Timeout { backend }, None)
            }
            ureq::Error::BadUri(u) => Attempt::Fail(MtError::Config(format!("bad URL: {u}"))),
            other => Attempt::Retry(
                MtError::Transport {
                    backend,
                    message: other.to_string(),
                },
                None,
            ),
        }
    }

    /// Blocks until the rate limiter lets one request through.
    fn wait_for_rate_limit(&self) {
        while let Err(not_until) = self.limiter.check() {
            std::thread::sleep(not_until.wait_time_from(self.clock.now()));
        }
    }

    /// `base · 2^attempt`, capped at `max_wait_ms`, with "equal jitter": half fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .cfg
            .backoff_base_ms
            .saturating_mul(1u64 << attempt.min(20));
        let capped = Duration::from_millis(base.min(self.cfg.max_wait_ms));
        capped / 2 + self.jitter(capped / 2)
    }

    fn jitter(&self, max: Duration) -> Duration {
        let ms = max.as_millis() as u64;
        if ms == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(fastrand::u64(0..=ms))
        }
    }
}

/// Parses a `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, RFC 9110 §10.2.3). A date in the past means zero.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let d = parse_retry_after(&future).unwrap();
        assert!(
            d > Duration::from_secs(27) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
