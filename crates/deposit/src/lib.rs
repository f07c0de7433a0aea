//! `qiantang-deposit`: the copyright deposit service (版权存证; issue 5),
//! shared by the `qiantang` CLI and the hub.
//!
//! * [`service`]: [`DepositService`] owns the file-backed [`qiantang_ledger::log::Log`]
//!   (exclusive `LOCK`), the deduplication index (org, sha256) → entry
//!   (rebuilt from the durable log at open, so it survives restarts),
//!   batched integration ([`DepositService::integrate`],
//!   [`DepositService::run_integrator`]), witness cosignatures with an m-of-n
//!   policy, RFC 3161 timestamps, receipts and C2SP tlog-tiles.
//! * [`witness_client`]: C2SP tlog-witness `add-checkpoint` over HTTP (ureq),
//!   with the 409 retry at the witness's size.
//! * [`witness_server`]: the witness side: axum route `POST /add-checkpoint`
//!   over [`qiantang_ledger::witness::Witness`] with a durable per-origin
//!   state ([`witness_server::FileWitnessState`]).
//! * [`tsa`]: RFC 3161 requests (`x509-tsp`), token parsing, and offline
//!   verification (imprint in Rust, CMS signature and chain by `openssl ts -verify`).
//! * [`receipt`]: the [`Receipt`] and the offline [`receipt::verify`].
//! * [`cert`]: the printable HTML certificate (Chinese and English, QR code).
//! * [`files`]: lock, key and small-file helpers.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub mod cert;
pub mod files;
pub mod mirror;
pub mod receipt;
pub mod service;
pub mod tsa;
pub mod witness_client;
#[cfg(feature = "witness-server")]
pub mod witness_server;

pub use mirror::{LogMirror, MirrorError, PgLogMirror};
pub use receipt::{Receipt, VerifyOptions, VerifyReport};
pub use service::{
    DepositOutcome, DepositService, EntryStatus, IntegrateReport, ServiceConfig, WitnessEndpoint,
};

/// Why a deposit-service operation failed.
#[derive(Debug, Error)]
pub enum DepositError {
    /// Another open lock holds the lock file's OS lock (see [`files::LockFile`]).
    #[error("{}", locked_message(path, pid, holder.as_deref()))]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid (first line of the lock file; information only,
        /// empty if it could not be read).
        pid: String,
        /// Who holds it (second line): [`HUB_HOLDER`] and the hub's base URL
        /// when `qiantang serve` holds the log, else the holding program's name.
        holder: Option<String>,
    },
    /// No entry with that index.
    #[error("no entry {index} (the log has {size} entries)")]
    NoSuchEntry {
        /// Index asked for.
        index: u64,
        /// Acknowledged entries.
        size: u64,
    },
    /// The entry is staged but not yet covered by a checkpoint.
    #[error("entry {index} is pending: it will be covered by the next checkpoint")]
    Pending {
        /// Index asked for.
        index: u64,
    },
    /// A parent reference to an entry that does not exist.
    #[error("--parent {index}: no such entry (the log has {size} entries)")]
    NoSuchParent {
        /// Parent index.
        index: u64,
        /// Acknowledged entries.
        size: u64,
    },
    /// The entry is invalid.
    #[error("invalid deposit entry: {0}")]
    Entry(#[from] qiantang_ledger::entry::EntryError),
    /// The log failed (including tampering detected at open).
    #[error(transparent)]
    Log(#[from] qiantang_ledger::log::LogError),
    /// A key is missing, unreadable or invalid.
    #[error("{0}")]
    Key(String),
    /// A configuration value is invalid.
    #[error("invalid deposit configuration: {0}")]
    Config(String),
    /// A file operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The log mirror (PostgreSQL) failed.
    #[error("deposit log mirror: {0}")]
    Mirror(#[from] crate::mirror::MirrorError),
    /// The log files and the mirror hold different data: refusing to start.
    #[error("the deposit log files and the PostgreSQL mirror disagree at entry {index}: {detail}; refusing to start (find which copy was altered and restore it; neither is picked silently)")]
    MirrorDiverged {
        /// The first index where they differ.
        index: u64,
        /// What differs.
        detail: String,
    },
    /// Anything else (stored data that does not parse, …).
    #[error("{0}")]
    Other(String),
}

/// Prefix of the lock file's second line written by the hub (`qiantang serve`).
pub const HUB_HOLDER: &str = "qiantang serve ";

fn locked_message(path: &Path, pid: &str, holder: Option<&str>) -> String {
    let pid = if pid.is_empty() { "unknown" } else { pid };
    match holder.and_then(|h| h.strip_prefix(HUB_HOLDER)) {
        Some(url) => {
            let url = url.trim().trim_end_matches('/');
            format!(
                "the deposit log is held by the running hub (qiantang serve, pid {pid}, {url}; lock file {}): deposit through the hub's API instead: POST {url}/api/v1/deposits (multipart fields file, title, kind, parent, org; an owner or editor token of the organization), receipts at GET {url}/api/v1/deposits/INDEX/receipt, or the page {url}/deposits; stop the hub to use the log from the command line",
                path.display()
            )
        }
        None => format!(
            "the deposit log is in use by another running process (pid {pid}{}; lock file {}): wait for it to finish or stop it. The operating system releases the lock as soon as that process exits, even after a crash, so do not remove the file",
            holder.map(|h| format!(", {h}")).unwrap_or_default(),
            path.display()
        ),
    }
}

impl DepositError {
    /// An IO error mapper naming the operation and the path.
    pub fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Self + 'a {
        move |source| DepositError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}
