//! Typed backend configuration (TOML/JSON via serde) and the secret wrapper.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::MtError;

/// An API key. Its `Debug` and `Display` print `***`; it has no `Serialize`, so it cannot be
/// written back out by accident.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Secret(key.into())
    }

    /// The key itself, for the one place that puts it into a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which backend to build, tagged by `kind` (`openai`, `deepl`, `libretranslate`, `opencc`).
/// Unknown fields are refused, so a misspelt option is an error, not a silent default.
///
/// ```toml
/// kind = "openai"
/// base_url = "http://localhost:11434/v1"
/// model = "qwen2.5:7b"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackendConfig {
    /// An OpenAI-compatible `/chat/completions` endpoint.
    Openai(OpenAiConfig),
    /// The DeepL API (free or pro).
    Deepl(DeeplConfig),
    /// A LibreTranslate server.
    Libretranslate(LibreTranslateConfig),
    /// The local OpenCC Simplified → Traditional converter.
    Opencc(OpenCcConfig),
}

/// Transport settings shared by the HTTP backends (the `http` table of a backend config).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// TCP/TLS connect timeout, milliseconds (default 10 000).
    pub connect_timeout_ms: u64,
    /// Time to wait for the response and for the body, milliseconds (default 120 000: an LLM
    /// may think a while over a long batch).
    pub read_timeout_ms: u64,
    /// Requests per second allowed to this backend (default 2.0; must be > 0).
    pub requests_per_second: f64,
    /// Retries after a 429, 5xx, timeout or connection failure (default 3).
    pub max_retries: u32,
    /// First backoff, milliseconds; doubled per retry, with jitter (default 500).
    pub backoff_base_ms: u64,
    /// Longest single wait, milliseconds, for backoff or a server's `Retry-After`
    /// (default 60 000). A longer `Retry-After` ends the call with `RateLimited`.
    pub max_wait_ms: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout_ms: 10_000,
            read_timeout_ms: 120_000,
            requests_per_second: 2.0,
            max_retries: 3,
            backoff_base_ms: 500,
            max_wait_ms: 60_000,
        }
    }
}

impl HttpConfig {
    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    pub(crate) fn read_timeout(&self) -> Duration {
        Duration::from_millis(self.read_timeout_ms)
    }
}

/// How the reply format is requested from an OpenAI-compatible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    /// `{"type":"json_schema", …}` with a strict schema (OpenAI, vLLM, llama.cpp, Ollama ≥ 0.5).
    #[default]
    JsonSchema,
    /// `{"type":"json_object"}` for servers without json_schema (e.g. DeepSeek).
    JsonObject,
    /// No `response_format` at all; the prompt alone asks for JSON.
    None,
}

/// OpenAI-compatible chat completions (`POST {base_url}/chat/completions`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiConfig {
    /// Base URL up to and including the version path, e.g. `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`.
    pub base_url: String,
    /// Model name sent as `model`.
    pub model: String,
    /// Name of an environment variable that holds the bearer key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The bearer key itself (prefer `api_key_env`). No key: no `Authorization` header.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Reply format request (default `json_schema`).
    #[serde(default)]
    pub response_format: ResponseFormat,
    /// Sampling temperature (default 0.2).
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    /// Retries of a batch whose reply is unusable or misaligned, before it is split in halves
    /// (default 2).
    #[serde(default = "default_content_retries")]
    pub content_retries: u32,
    /// Most source characters per request (default 3000).
    #[serde(default = "default_llm_batch_chars")]
    pub max_batch_chars: usize,
    /// Most segments per request (default 40).
    #[serde(default = "default_batch_segments")]
    pub max_batch_segments: usize,
    /// Most previous segments sent as context (default 8).
    #[serde(default = "default_context_segments")]
    pub max_context_segments: usize,
    /// Transport settings.
    #[serde(default)]
    pub http: HttpConfig,
}

/// The DeepL API (`POST {base_url}/v2/translate`, glossaries via `/v3/glossaries`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeeplConfig {
    /// `https://api-free.deepl.com` (free keys end in `:fx`) or `https://api.deepl.com` (pro).
    pub base_url: String,
    /// Name of an environment variable that holds the auth key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The auth key itself (prefer `api_key_env`). Required one way or the other.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// `model_type` sent to DeepL (e.g. `quality_optimized`); none by default.
    #[serde(default)]
    pub model_type: Option<String>,
    /// Most source characters per request (default 20 000; DeepL caps a request at 128 KiB).
    #[serde(default = "default_mt_batch_chars")]
    pub max_batch_chars: usize,
    /// Most segments per request (default 50, DeepL's limit of `text` entries).
    #[serde(default = "default_deepl_segments")]
    pub max_batch_segments: usize,
    /// Transport settings.
    #[serde(default)]
    pub http: HttpConfig,
}

/// LibreTranslate (`POST {base_url}/translate`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibreTranslateConfig {
    /// e.g. `http://localhost:5000`.
    pub base_url: String,
    /// Name of an environment variable that holds the `api_key`.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The key itself (optional on self-hosted servers).
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Most source characters per request (default 5000).
    #[serde(default = "default_libre_batch_chars")]
    pub max_batch_chars: usize,
    /// Most segments per request (default 50).
    #[serde(default = "default_deepl_segments")]
    pub max_batch_segments: usize,
    /// Transport settings.
    #[serde(default)]
    pub http: HttpConfig,
}

/// The local OpenCC converter (no options yet; the table exists so that `kind = "opencc"`
/// refuses unknown fields like the others).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCcConfig {}

fn default_temperature() -> f32 {
    0.2
}
fn default_content_retries() -> u32 {
    2
}
fn default_llm_batch_chars() -> usize {
    3000
}
fn default_batch_segments() -> usize {
    40
}
fn default_context_segments() -> usize {
    8
}
fn default_mt_batch_chars() -> usize {
    20_000
}
fn default_deepl_segments() -> usize {
    50
}
fn default_libre_batch_chars() -> usize {
    5000
}

fn key_status(key: &Option<Secret>) -> &'static str {
    if key.is_some() {
        "Some(***)"
    } else {
        "None"
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &key_status(&self.api_key))
            .field("response_format", &self.response_format)
            .field("temperature", &self.temperature)
            .field("content_retries", &self.content_retries)
            .field("max_batch_chars", &self.max_batch_chars)
            .field("max_batch_segments", &self.max_batch_segments)
            .field("max_context_segments", &self.max_context_segments)
            .field("http", &self.http)
            .finish()
    }
}

impl fmt::Debug for DeeplConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeeplConfig")
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &key_status(&self.api_key))
            .field("model_type", &self.model_type)
            .field("max_batch_chars", &self.max_batch_chars)
            .field("max_batch_segments", &self.max_batch_segments)
            .field("http", &self.http)
            .finish()
    }
}

impl fmt::Debug for LibreTranslateConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LibreTranslateConfig")
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &key_status(&self.api_key))
            .field("max_batch_chars", &self.max_batch_chars)
            .field("max_batch_segments", &self.max_batch_segments)
            .field("http", &self.http)
            .finish()
    }
}

/// The key from `api_key`, else from the variable named by `api_key_env`.
/// Errors: `api_key_env` names a variable that is unset or empty.
pub(crate) fn resolve_key(
    api_key: &Option<Secret>,
    api_key_env: &Option<String>,
) -> Result<Option<Secret>, MtError> {
    if let Some(k) = api_key {
        return Ok(Some(k.clone()));
    }
    match api_key_env {
        None => Ok(None),
        Some(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(Secret(v.trim().to_string()))),
            _ => Err(MtError::Config(format!(
                "environment variable {var} (api_key_env) is not set"
            ))),
        },
    }
}

pub(crate) fn check_common(
    base_url: &str,
    max_batch_chars: usize,
    max_batch_segments: usize,
    http: &HttpConfig,
) -> Result<(), MtError> {
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(MtError::Config(format!(
            "base_url must start with http:// or https://, got {base_url:?}"
        )));
    }
    if max_batch_chars == 0 || max_batch_segments == 0 {
        return Err(MtError::Config(
            "max_batch_chars and max_batch_segments must be > 0".into(),
        ));
    }
    if !(http.requests_per_second.is_finite() && http.requests_per_second > 0.0) {
        return Err(MtError::Config(
            "http.requests_per_second must be > 0".into(),
        ));
    }
    if http.read_timeout_ms == 0 || http.connect_timeout_ms == 0 {
        return Err(MtError::Config("timeouts must be > 0 ms".into()));
    }
    Ok(())
}
