//! Typed configuration: defaults → TOML file → `QIANTANG_*` environment →
//! command-line flags (later wins). The file rejects unknown keys.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Current config file format version.
pub const CONFIG_VERSION: u32 = 1;

/// The optional TOML file (`--config FILE` / `QIANTANG_CONFIG`).
///
/// ```toml
/// version = 1
/// data_dir = "/var/lib/qiantang"
/// listen = "0.0.0.0:8080"
/// max_upload_bytes = 67108864
/// request_timeout_secs = 120
/// log = "info"
///
/// # Machine translation backends (issue 4): name → settings. Keys come
/// # from the environment (`api_key_env`), never from logs.
/// [mt.qwen]
/// kind = "openai"
/// base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"
/// model = "qwen-plus"
/// api_key_env = "DASHSCOPE_API_KEY"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Format version; must be 1 when present.
    pub version: Option<u32>,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Listen address `host:port`.
    pub listen: Option<String>,
    /// Upload limit in bytes.
    pub max_upload_bytes: Option<usize>,
    /// Request timeout in seconds.
    pub request_timeout_secs: Option<u64>,
    /// Log filter (tracing `EnvFilter` syntax).
    pub log: Option<String>,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite.
    pub database_url: Option<String>,
    /// Login attempts per client IP per minute.
    pub login_per_minute: Option<u32>,
    /// API requests per token (or IP) per minute.
    pub api_per_minute: Option<u32>,
    /// Mark cookies `Secure` (serve over TLS, e.g. behind a reverse proxy).
    pub secure_cookies: Option<bool>,
    /// Session lifetime in hours.
    pub session_hours: Option<u64>,
    /// MT backends by name (`[mt.NAME]` tables, see `qiantang_mt::BackendConfig`).
    #[serde(default)]
    pub mt: std::collections::BTreeMap<String, qiantang_mt::BackendConfig>,
    /// `[mt_orgs]`: backend name → organizations allowed to use it (absent = all).
    #[serde(default)]
    pub mt_orgs: std::collections::BTreeMap<String, Vec<String>>,
    /// `[deposit]`: witnesses, time-stamping authority, public URL.
    pub deposit: Option<DepositSettings>,
}

/// The `[deposit]` table: how the deposit log is witnessed and timestamped.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositSettings {
    /// Witnesses, each `"URL VKEY"` (C2SP tlog-witness submission prefix and cosignature key).
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// Cosignatures that make a checkpoint final (default: all witnesses).
    pub witness_threshold: Option<usize>,
    /// RFC 3161 time-stamping authority URL.
    pub tsa_url: Option<String>,
    /// Public base URL of the hub, for certificate QR codes.
    pub public_url: Option<String>,
    /// HTTP timeout for witnesses and the TSA, seconds (default 10).
    pub http_timeout_secs: Option<u64>,
    /// Deposit imports, licence grants and EPUB exports automatically in
    /// `serve` (default true).
    pub auto: Option<bool>,
}

/// The resolved configuration every subcommand receives. `Debug` redacts the
/// database password.
#[derive(Clone)]
pub struct Config {
    /// Data directory (default `./qiantang-data`).
    pub data_dir: PathBuf,
    /// PostgreSQL URL, or `None` for the embedded SQLite.
    pub database_url: Option<String>,
    /// Login attempts per IP per minute (default 10).
    pub login_per_minute: u32,
    /// API requests per token or IP per minute (default 600).
    pub api_per_minute: u32,
    /// `Secure` cookies (default false).
    pub secure_cookies: bool,
    /// Session lifetime in hours (default 12).
    pub session_hours: u64,
    /// Listen address (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Upload limit in bytes (default 64 MiB).
    pub max_upload_bytes: usize,
    /// Request timeout in seconds (default 120).
    pub request_timeout_secs: u64,
    /// Log filter (default `info`).
    pub log: String,
    /// MT backends by name (their `Debug` redacts keys).
    pub mt: std::collections::BTreeMap<String, qiantang_mt::BackendConfig>,
    /// Backend name → organizations allowed to use it.
    pub mt_orgs: std::collections::BTreeMap<String, Vec<String>>,
    /// The `[deposit]` settings.
    pub deposit: DepositSettings,
}

/// Values given by flags or environment (clap merges the two, flags first).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config` / `QIANTANG_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--data-dir` / `QIANTANG_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--listen` / `QIANTANG_LISTEN`.
    pub listen: Option<String>,
    /// `--max-upload-bytes` / `QIANTANG_MAX_UPLOAD_BYTES`.
    pub max_upload_bytes: Option<usize>,
    /// `--log` / `QIANTANG_LOG`.
    pub log: Option<String>,
    /// `--database-url` / `QIANTANG_DATABASE_URL`.
    pub database_url: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(qiantang_store::redact_url),
            )
            .field("listen", &self.listen)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("log", &self.log)
            .field("mt", &self.mt)
            .finish()
    }
}

/// Configuration errors, naming the file or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message (names the key).
        message: String,
    },
    /// A value is invalid.
    #[error("invalid setting {key}: {message}")]
    Value {
        /// Setting name.
        key: &'static str,
        /// Why.
        message: String,
    },
}

/// Parses a config file's text.
pub fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let f: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: redact_urls(&e.to_string()),
    })?;
    if let Some(v) = f.version {
        if v != CONFIG_VERSION {
            return Err(ConfigError::Value {
                key: "version",
                message: format!(
                    "unsupported config version {v} (this Qiantang reads {CONFIG_VERSION})"
                ),
            });
        }
    }
    Ok(f)
}

/// Resolves the configuration from overrides and the optional file.
pub fn resolve(o: &Overrides) -> Result<Config, ConfigError> {
    let file = match &o.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            parse_file(path, &text)?
        }
        None => FileConfig::default(),
    };
    let listen_s = o
        .listen
        .clone()
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen = listen_s.parse().map_err(|e| ConfigError::Value {
        key: "listen",
        message: format!("{listen_s:?} is not host:port ({e})"),
    })?;
    let max_upload_bytes = o
        .max_upload_bytes
        .or(file.max_upload_bytes)
        .unwrap_or(64 * 1024 * 1024);
    if max_upload_bytes < 1024 {
        return Err(ConfigError::Value {
            key: "max_upload_bytes",
            message: "must be at least 1024".into(),
        });
    }
    let request_timeout_secs = file.request_timeout_secs.unwrap_or(120);
    if request_timeout_secs == 0 {
        return Err(ConfigError::Value {
            key: "request_timeout_secs",
            message: "must be positive".into(),
        });
    }
    let session_hours = file.session_hours.unwrap_or(12);
    if session_hours == 0 {
        return Err(ConfigError::Value {
            key: "session_hours",
            message: "must be positive".into(),
        });
    }
    Ok(Config {
        database_url: o
            .database_url
            .clone()
            .or(file.database_url)
            .filter(|u| !u.trim().is_empty()),
        login_per_minute: file.login_per_minute.unwrap_or(10).max(1),
        api_per_minute: file.api_per_minute.unwrap_or(600).max(1),
        secure_cookies: file.secure_cookies.unwrap_or(false),
        session_hours,
        data_dir: o
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./qiantang-data")),
        listen,
        max_upload_bytes,
        request_timeout_secs,
        log: o.log.clone().or(file.log).unwrap_or_else(|| "info".into()),
        mt: file.mt,
        mt_orgs: file.mt_orgs,
        deposit: file.deposit.unwrap_or_default(),
    })
}

/// Redacts the password of every `scheme://user:password@…` in a message
/// (TOML errors quote the offending line, which may hold `database_url`).
pub fn redact_urls(msg: &str) -> String {
    msg.split_inclusive(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .map(|tok| {
            let (word, tail) = match tok.char_indices().last() {
                Some((i, c)) if c.is_whitespace() || c == '"' || c == '\'' => tok.split_at(i),
                _ => (tok, ""),
            };
            if word.contains("://") {
                format!("{}{tail}", qiantang_store::redact_url(word))
            } else {
                tok.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn config_errors_never_show_the_database_password() {
        let text = "database_url = \"postgres://qt:s3cret-pw@db/x\" nonsense\n";
        let err = parse_file(Path::new("q.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret-pw"), "{err}");
        assert!(err.contains("q.toml"));
    }
}
