//! Machine-translation backends behind one blocking trait (issue 4 §5).
//!
//! [`MtBackend::translate`] takes an [`MtRequest`] (numbered segments, previous context, a
//! synopsis, locked terms, translate or revise) and answers an [`MtResponse`] with exactly one
//! entry per requested id, either a translation or a [`SegmentFailure`]. The API is blocking:
//! the rest of the system calls it from a background-job thread.
//!
//! Backends ([`build_backend`] from a [`BackendConfig`]):
//! - [`OpenAiBackend`] — any OpenAI-compatible `/chat/completions` (OpenAI, Qwen, DeepSeek,
//!   vLLM, llama.cpp, Ollama), JSON-schema replies;
//! - [`DeeplBackend`] — DeepL `/v2/translate` with per-term-set glossaries;
//! - [`LibreTranslateBackend`] — LibreTranslate, terms protected by placeholders;
//! - [`OpenCcBackend`] — local Simplified → Traditional (Taiwan, Hong Kong) with OpenCC data.
//!
//! **Alignment rule** — a translation is never stored under the wrong id. Every reply is
//! checked: each requested id exactly once, no unknown ids, no empty text, and, in batches of
//! two or more, every number written with digits in a source must appear in its target (a
//! shifted reply usually carries numbers to the wrong id). A batch that fails is retried, then
//! split in halves recursively; a single segment that still fails is reported in
//! [`MtResponse::failures`] and the rest of the batch is kept. (Subtitle Edit #8682/#7941 show
//! how batch MT shifts lines; the numbered-JSON-batch fix is theirs.) Limitation: two
//! segments without digits whose translations are swapped but otherwise well-formed cannot be
//! told apart by the checks; JSON-schema replies keyed by id make that rare.
//!
//! Transport: per-backend rate limit, connect/read timeouts, retries with exponential backoff
//! and jitter on 429/5xx/timeouts honouring `Retry-After`, a maximum batch size in characters.
//! [`CachedBackend`] with an [`MtCache`] makes a repeated request free. Secrets (API keys) are
//! [`Secret`]s: redacted in `Debug`, never logged.

mod batch;
mod cache;
mod config;
mod deepl;
mod error;
mod http;
mod lang;
mod libre;
mod model;
mod openai;
mod opencc;

pub use cache::{cache_key, CachedBackend, MemoryCache, MtCache};
pub use config::{
    BackendConfig, DeeplConfig, HttpConfig, LibreTranslateConfig, OpenAiConfig, OpenCcConfig,
    ResponseFormat, Secret,
};
pub use deepl::{deepl_source_lang, deepl_target_lang, DeeplBackend};
pub use error::MtError;
pub use http::parse_retry_after;
pub use libre::{libre_lang, LibreTranslateBackend};
pub use model::{
    ContextPair, MtMode, MtRequest, MtResponse, MtSegment, MtTerm, Revision, SegmentFailure, Usage,
};
pub use openai::{echo_of, reply_schema, OpenAiBackend, ECHO_CHARS};
pub use opencc::{convert as opencc_convert, OpenCcBackend, Variant as OpenCcVariant};

/// A machine-translation backend. Implementations are blocking, thread-safe and cheap to
/// share (`Arc<dyn MtBackend>`); each call may send several HTTP requests (batches, retries).
pub trait MtBackend: Send + Sync {
    /// Short stable name: `openai`, `deepl`, `libretranslate`, `opencc` (part of the cache key).
    fn name(&self) -> &str;
    /// The model, where the backend has one (part of the cache key).
    fn model(&self) -> Option<&str>;
    /// Translates (or revises) `req`.
    ///
    /// Ok: one entry per requested id in `translations` or `failures`, request order kept.
    /// Errors: `Request` (duplicate ids), `UnsupportedPair`, and transport errors that retries
    /// could not cure (`Timeout`, `RateLimited`, `Http`, `Transport`, `Quota`,
    /// `Unauthorized`) — those end the whole call.
    fn translate(&self, req: &MtRequest) -> Result<MtResponse, MtError>;
}

/// Builds the backend described by `config`.
///
/// Errors: `Config` for a bad base URL, zero limits or rate, an empty model, a missing key
/// where one is required (DeepL) or an `api_key_env` naming an unset variable.
pub fn build_backend(config: &BackendConfig) -> Result<Box<dyn MtBackend>, MtError> {
    Ok(match config {
        BackendConfig::Openai(c) => Box::new(OpenAiBackend::new(c)?),
        BackendConfig::Deepl(c) => Box::new(DeeplBackend::new(c)?),
        BackendConfig::Libretranslate(c) => Box::new(LibreTranslateBackend::new(c)?),
        BackendConfig::Opencc(_) => Box::new(OpenCcBackend::new()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn debug_of_configs_redacts_keys() {
        let secret = "sk-very-secret-123";
        let toml_src = format!(
            "kind = \"openai\"\nbase_url = \"http://localhost:11434/v1\"\nmodel = \"qwen\"\napi_key = \"{secret}\"\n"
        );
        let cfg: BackendConfig = toml::from_str(&toml_src).unwrap();
        let dbg = format!("{cfg:?} {cfg:#?}");
        assert!(!dbg.contains(secret), "{dbg}");
        assert!(dbg.contains("***"));
        for kind in ["deepl", "libretranslate"] {
            let src = format!(
                "kind = \"{kind}\"\nbase_url = \"http://127.0.0.1:1\"\napi_key = \"{secret}\"\n"
            );
            let cfg: BackendConfig = toml::from_str(&src).unwrap();
            assert!(!format!("{cfg:?}").contains(secret));
        }
        assert!(!format!("{:?}", Secret::new(secret)).contains(secret));
    }

    #[test]
    fn config_refuses_unknown_fields_and_kinds() {
        let bad =
            "kind = \"openai\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\nmodle = \"typo\"\n";
        assert!(toml::from_str::<BackendConfig>(bad).is_err());
        assert!(toml::from_str::<BackendConfig>("kind = \"google\"\n").is_err());
        let ok = "kind = \"openai\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\nresponse_format = \"json_object\"\n[http]\nread_timeout_ms = 500\n";
        let cfg: BackendConfig = toml::from_str(ok).unwrap();
        match cfg {
            BackendConfig::Openai(c) => {
                assert_eq!(c.response_format, ResponseFormat::JsonObject);
                assert_eq!(c.http.read_timeout_ms, 500);
                assert_eq!(c.http.max_retries, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(toml::from_str::<BackendConfig>("kind = \"opencc\"\n").is_ok());
        assert!(toml::from_str::<BackendConfig>("kind = \"opencc\"\nx = 1\n").is_err());
    }

    #[test]
    fn build_checks_config() {
        let deepl_no_key: BackendConfig =
            toml::from_str("kind = \"deepl\"\nbase_url = \"https://api-free.deepl.com\"\n")
                .unwrap();
        assert!(matches!(
            build_backend(&deepl_no_key),
            Err(MtError::Config(_))
        ));
        let missing_env: BackendConfig = toml::from_str(
            "kind = \"openai\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\napi_key_env = \"QIANTANG_MT_TEST_UNSET_VAR\"\n",
        )
        .unwrap();
        assert!(matches!(
            build_backend(&missing_env),
            Err(MtError::Config(_))
        ));
        let bad_url: BackendConfig =
            toml::from_str("kind = \"libretranslate\"\nbase_url = \"localhost:5000\"\n").unwrap();
        assert!(matches!(build_backend(&bad_url), Err(MtError::Config(_))));
        let opencc: BackendConfig = toml::from_str("kind = \"opencc\"\n").unwrap();
        assert_eq!(build_backend(&opencc).unwrap().name(), "opencc");
    }
}
