//! The witness side of C2SP tlog-witness over HTTP: `POST /add-checkpoint`
//! (axum) over [`qiantang_ledger::witness::Witness`], and
//! [`FileWitnessState`], the durable record of the latest cosigned
//! checkpoint per log origin.
//!
//! Responses (tlog-witness §add-checkpoint, statuses from
//! [`qiantang_ledger::witness::WitnessError::http_status`]): 200 with the
//! cosignature line(s) (`text/plain; charset=utf-8`); 409 with the witness's
//! size and a newline as `text/x.tlog.size` (old size mismatch, or a fork at
//! the same size); 422 when the consistency proof fails; 403 without a valid
//! signature by a trusted log key; 404 for an unknown origin; 400 for a
//! malformed body; 500 when the state cannot be written. Error bodies are
//! one line of plain text saying why.

use std::collections::HashMap;
use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use qiantang_ledger::witness::{CasOutcome, LogState, Witness, WitnessState, SIZE_CONTENT_TYPE};

use crate::files::{read_optional, write_atomic, LockFile};
use crate::DepositError;

/// Durable [`WitnessState`]: one file per origin in a directory
/// (`<sha256(origin) hex>.state` holding `origin`, size and base64 root, one
/// per line), replaced atomically (temp file, fsync, rename, fsync of the
/// directory) before a cosignature is returned. The directory is locked
/// (`LOCK`) so that two witness processes never share it, and the records
/// are cached in memory behind a mutex, which makes compare-and-swap atomic.
#[derive(Debug)]
pub struct FileWitnessState {
    dir: PathBuf,
    logs: Mutex<HashMap<String, LogState>>,
    _lock: LockFile,
}

fn state_file(dir: &Path, origin: &str) -> PathBuf {
    dir.join(format!(
        "{}.state",
        hex::encode(Sha256::digest(origin.as_bytes()))
    ))
}

impl FileWitnessState {
    /// Opens (creating) the state directory and loads every record.
    ///
    /// # Errors
    /// [`DepositError::Locked`], IO errors, [`DepositError::Other`] for a
    /// record that does not parse (a witness must not forget silently).
    pub fn open(dir: &Path) -> Result<Self, DepositError> {
        fs::create_dir_all(dir).map_err(DepositError::io("creating", dir))?;
        let lock = LockFile::acquire(dir)?;
        let mut logs = HashMap::new();
        let rd = fs::read_dir(dir).map_err(DepositError::io("listing", dir))?;
        for e in rd {
            let path = e.map_err(DepositError::io("listing", dir))?.path();
            if path.extension().is_none_or(|x| x != "state") {
                continue;
            }
            let Some(bytes) = read_optional(&path)? else {
                continue;
            };
            let bad =
                |why: &str| DepositError::Other(format!("witness state {}: {why}", path.display()));
            let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
            let mut lines = text.lines();
            let (Some(origin), Some(size), Some(root), None) =
                (lines.next(), lines.next(), lines.next(), lines.next())
            else {
                return Err(bad("expected origin, size and root lines"));
            };
            let size: u64 = size.parse().map_err(|_| bad("bad size"))?;
            let root: [u8; 32] = B64
                .decode(root)
                .ok()
                .and_then(|r| r.try_into().ok())
                .ok_or_else(|| bad("bad root"))?;
            if state_file(dir, origin) != path {
                return Err(bad("file name does not match the origin"));
            }
            logs.insert(origin.to_owned(), LogState { size, root });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            logs: Mutex::new(logs),
            _lock: lock,
        })
    }
}

impl WitnessState for FileWitnessState {
    type Error = DepositError;

    fn get(&self, origin: &str) -> Result<Option<LogState>, DepositError> {
        let logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(logs.get(origin).copied())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<LogState>,
        new: LogState,
    ) -> Result<CasOutcome, DepositError> {
        let mut logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        let current = logs.get(origin).copied();
        if current != expected {
            return Ok(CasOutcome::Mismatch { current });
        }
        let body = format!("{origin}\n{}\n{}\n", new.size, B64.encode(new.root));
        write_atomic(&state_file(&self.dir, origin), body.as_bytes())?;
        logs.insert(origin.to_owned(), new);
        Ok(CasOutcome::Swapped)
    }
}

/// The witness routes: `POST /add-checkpoint`.
pub fn router<S>(witness: Arc<Witness<S>>) -> Router
where
    S: WitnessState + Send + Sync + 'static,
{
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint::<S>))
        .with_state(witness)
}

async fn add_checkpoint<S>(State(w): State<Arc<Witness<S>>>, body: Bytes) -> Response
where
    S: WitnessState + Send + Sync + 'static,
{
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let r = tokio::task::spawn_blocking(move || w.handle_add_checkpoint(&body, now)).await;
    let text = |status: StatusCode, ct: &'static str, body: String| {
        (status, [(header::CONTENT_TYPE, ct)], body).into_response()
    };
    match r {
        Ok(Ok(lines)) => text(StatusCode::OK, "text/plain; charset=utf-8", lines),
        Ok(Err(e)) => {
            let status =
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            tracing::info!(status = status.as_u16(), error = %e, "add-checkpoint refused");
            match e.conflict_body() {
                Some(size) => text(status, SIZE_CONTENT_TYPE, size),
                None => text(status, "text/plain; charset=utf-8", format!("{e}\n")),
            }
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            format!("witness task failed: {e}\n"),
        ),
    }
}

/// Serves [`router`] on `listener` until `shutdown` completes.
///
/// # Errors
/// Server IO errors.
pub async fn serve<S>(
    listener: tokio::net::TcpListener,
    witness: Arc<Witness<S>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: WitnessState + Send + Sync + 'static,
{
    axum::serve(listener, router(witness))
        .with_graceful_shutdown(shutdown)
        .await
}
