//! Copyright deposits from the command line (issue 5): `qiantang log key`,
//! `deposit`, `receipt`, `verify` and `witness`, over
//! [`qiantang_deposit::DepositService`] (the log in `DATA_DIR/log/`, locked
//! by one process at a time). The CLI integrates after each deposit, so its
//! deposits come back covered by a checkpoint (and cosigned when witnesses
//! are configured in `[deposit]`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use qiantang_deposit::files::{generate_key_file, hash_file, media_type, read_key_file};
use qiantang_deposit::receipt::read_verifier_key;
use qiantang_deposit::witness_server::{self, FileWitnessState};
use qiantang_deposit::{
    DepositService, ServiceConfig, VerifyOptions, VerifyReport, WitnessEndpoint,
};
use qiantang_deposit::{LogMirror, PgLogMirror};
use qiantang_ledger::entry::{DepositEntry, Kind, ParentRef, VERSION};
use qiantang_ledger::witness::Witness;
use qiantang_ledger::KeyType;

use crate::config::Config;

/// Who deposits from the CLI.
pub const DEPOSITED_BY: &str = "cli";
/// Default public URL in certificates.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The service configuration from `[deposit]`.
///
/// # Errors
/// An invalid witness line.
pub fn service_config(cfg: &Config) -> Result<ServiceConfig> {
    let d = &cfg.deposit;
    let witnesses = d
        .witnesses
        .iter()
        .map(|w| WitnessEndpoint::parse(w))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ServiceConfig {
        threshold: d.witness_threshold.unwrap_or(witnesses.len()),
        witnesses,
        tsa_url: d.tsa_url.clone().filter(|u| !u.trim().is_empty()),
        http_timeout: Duration::from_secs(d.http_timeout_secs.unwrap_or(10).max(1)),
    })
}

/// Opens the deposit service on `DATA_DIR/log`.
///
/// # Errors
/// Lock, key, log and configuration errors.
pub fn open_service(cfg: &Config) -> Result<DepositService> {
    let dir = cfg.data_dir.join(qiantang_deposit::service::LOG_DIR);
    DepositService::open_dir_mirrored(
        &dir,
        service_config(cfg)?,
        log_mirror(cfg.database_url.as_deref())?,
    )
    .with_context(|| format!("opening the deposit log in {}", dir.display()))
}

/// The PostgreSQL mirror of the deposit log when `database_url` is a
/// PostgreSQL URL (the log is then durable in both places), else `None`.
///
/// # Errors
/// Connection errors (the URL redacted).
pub fn log_mirror(database_url: Option<&str>) -> Result<Option<Arc<dyn LogMirror>>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            // The mirror's tables are part of the store's migrations.
            qiantang_store::postgres::migrate(url)
                .with_context(|| format!("migrating {}", qiantang_store::redact_url(url)))?;
            let m = PgLogMirror::connect(url).with_context(|| {
                format!(
                    "connecting the deposit log mirror to {}",
                    qiantang_store::redact_url(url)
                )
            })?;
            Ok(Some(Arc::new(m)))
        }
        _ => Ok(None),
    }
}

/// Builds the entry for a file.
///
/// # Errors
/// IO errors, an empty file or an unknown kind.
pub fn build_entry(
    file: &Path,
    title: Option<String>,
    kind: Option<&str>,
    org: String,
    parent: Option<ParentRef>,
) -> Result<DepositEntry> {
    let (sha256, size) = hash_file(file)?;
    if size == 0 {
        bail!(
            "{}: file is empty; there is nothing to deposit",
            file.display()
        );
    }
    let kind: Kind = match kind {
        Some(k) => k.parse()?,
        None => Kind::File,
    };
    let title = title.unwrap_or_else(|| {
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string())
    });
    Ok(DepositEntry {
        v: VERSION,
        sha256,
        media_type: media_type(file).to_owned(),
        size,
        org,
        title,
        kind,
        parent,
        deposited_by: DEPOSITED_BY.to_owned(),
    })
}

/// Verifies a receipt offline (see `qiantang verify --help`).
///
/// # Errors
/// Only for unusable arguments (unreadable receipt, invalid keys).
pub fn verify(
    receipt: &Path,
    file: Option<&Path>,
    log_key: &str,
    witness_keys: &[String],
    threshold: Option<usize>,
    tsa_cert: Option<PathBuf>,
    tsa_token: Option<PathBuf>,
) -> Result<VerifyReport> {
    let log_key = read_verifier_key(log_key, "--log-key")?;
    let witness_keys = witness_keys
        .iter()
        .map(|k| read_verifier_key(k, "--witness-key"))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = VerifyOptions {
        threshold: threshold.unwrap_or(witness_keys.len()),
        log_key,
        witness_keys,
        tsa_cert,
        tsa_token,
    };
    Ok(qiantang_deposit::receipt::verify(receipt, file, &opts)?)
}

/// `qiantang witness keygen NAME -o FILE`: a cosignature/v1 key; returns the vkey.
///
/// # Errors
/// Invalid name, existing file, IO.
pub fn witness_keygen(name: &str, output: &Path) -> Result<String> {
    let key = generate_key_file(output, name, KeyType::CosignatureV1)?;
    Ok(key.verifier_key().to_string())
}

/// `qiantang witness --key FILE --listen ADDR --trust-log "ORIGIN VKEY"… [--state DIR]`:
/// serves `POST /add-checkpoint` until SIGINT/SIGTERM. Prints
/// `listening on http://ADDR` and `witness VKEY` on stdout once bound.
///
/// # Errors
/// Key, log, state and socket errors.
pub fn run_witness(key: &Path, listen: &str, logs: &[String], state: &Path) -> Result<()> {
    let key = read_key_file(key)?;
    let vkey = key.verifier_key();
    let state = FileWitnessState::open(state)
        .with_context(|| format!("opening the witness state in {}", state.display()))?;
    let mut witness = Witness::new(key, state)?;
    if logs.is_empty() {
        bail!("give at least one --trust-log \"ORIGIN VKEY\"");
    }
    for l in logs {
        let (origin, vk) = match l.trim().rsplit_once(char::is_whitespace) {
            Some((o, k)) => (Some(o.trim()), k),
            None => (None, l.trim()),
        };
        let vk = read_verifier_key(vk, "--trust-log")?;
        let origin = origin.unwrap_or(vk.name()).to_owned();
        witness.add_log(&origin, vk)?;
    }
    let witness = Arc::new(witness);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{addr}")?;
            writeln!(out, "witness {vkey}")?;
            out.flush()?;
        }
        tracing::info!(%addr, "witness listening");
        witness_server::serve(listener, witness, async {
            let term = async {
                #[cfg(unix)]
                {
                    if let Ok(mut s) =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        s.recv().await;
                    }
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                () = term => {},
            }
        })
        .await
        .context("serving")
    })
}

/// The deposit log attached to an [`App`] for one CLI command, so that the
/// command's automatic deposits (imports, licence grants) and its piracy
/// evidence use the log as the hub would. Dropping it integrates what was
/// staged (one checkpoint) and detaches the log, releasing its lock.
pub struct AttachedLog {
    app: Arc<qiantang_app::App>,
    svc: Option<Arc<qiantang_deposit::DepositService>>,
}

impl AttachedLog {
    /// Opens the log in `DATA_DIR/log` and attaches it. When a running hub
    /// holds it, says so on stderr and attaches nothing (the command still
    /// runs; deposits are made when the same work goes through the hub).
    pub fn attach(app: &Arc<qiantang_app::App>, cfg: &Config) -> Result<Self> {
        let mirror = log_mirror(cfg.database_url.as_deref())?;
        match qiantang_deposit::DepositService::open_as(
            &cfg.data_dir,
            service_config(cfg)?,
            "qiantang cli",
            mirror,
        ) {
            Ok(svc) => {
                let svc = Arc::new(svc);
                app.deposits().attach_log(svc.clone());
                app.deposits()
                    .set_auto_deposit(cfg.deposit.auto.unwrap_or(true));
                Ok(Self {
                    app: app.clone(),
                    svc: Some(svc),
                })
            }
            Err(qiantang_deposit::DepositError::Locked { .. }) => {
                eprintln!(
                    "note: a running hub holds the deposit log, so this command makes no deposits and reports no deposit evidence; use the hub's API for that"
                );
                Ok(Self {
                    app: app.clone(),
                    svc: None,
                })
            }
            Err(e) => Err(e).context("opening the deposit log"),
        }
    }
}

impl Drop for AttachedLog {
    fn drop(&mut self) {
        if let Some(svc) = self.svc.take() {
            if let Err(e) = svc.integrate() {
                eprintln!("warning: integrating the deposit log failed: {e}");
            }
            drop(self.app.deposits().detach_log());
        }
    }
}
