//! Copyright deposits from the command line (preview of issue 5):
//! `qiantang log key`, `qiantang deposit`, `qiantang receipt` and the offline
//! `qiantang verify`.
//!
//! The log lives in `DATA_DIR/log/` (files of [`qiantang_ledger::log`]) with
//! its Ed25519 signer key in `log.key` (signed-note private key text, mode
//! 0600, generated from the OS RNG at first use). One process at a time opens
//! it: [`DepositLog::open`] creates `LOCK` (holding the pid) with
//! `create_new` and removes it when the handle is dropped. Each entry is a
//! [`DepositEntry`]; the deduplication index (org, sha256) → index is rebuilt
//! by scanning every entry at open.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

use qiantang_ledger::entry::{DepositEntry, Kind, ParentRef, VERSION};
use qiantang_ledger::log::{Log, CHECKPOINT_FILE};
use qiantang_ledger::proof::ProofError;
use qiantang_ledger::{verify_proof, KeyType, Leaf, SignerKey, TlogProof, VerifierKey};

/// Origin of the CLI's log, which is also its key name.
pub const ORIGIN: &str = "qiantang.invalid/log";
/// Log directory inside the data directory.
pub const LOG_DIR: &str = "log";
/// Signer key file inside the log directory.
pub const KEY_FILE: &str = "log.key";
/// Lock file inside the log directory.
pub const LOCK_FILE: &str = "LOCK";
/// Who deposits from the CLI.
pub const DEPOSITED_BY: &str = "cli";

/// The exclusive-access lock: `LOCK` created with `create_new`, removed on drop.
#[derive(Debug)]
struct LockFile {
    path: PathBuf,
}

impl LockFile {
    fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let mut f = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                // A lock left by a process that no longer runs (killed, crashed)
                // is taken over: the log verifies itself on open, so a torn
                // batch is detected or re-integrated there.
                if let Ok(pid) = holder.trim().parse::<u32>() {
                    if cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists() {
                        tracing::warn!(pid, "taking over a stale deposit-log lock");
                        eprintln!(
                            "note: {} was left by process {pid}, which is no longer running; taking it over",
                            path.display()
                        );
                        fs::remove_file(&path)
                            .with_context(|| format!("removing stale {}", path.display()))?;
                        return Self::acquire(dir);
                    }
                }
                bail!(
                    "the deposit log is locked by another process (lock file {}, pid {}); \
                     if no qiantang process is running (a stale lock after a crash), remove {}",
                    path.display(),
                    holder.trim(),
                    path.display()
                );
            }
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        };
        let lock = Self { path };
        writeln!(f, "{}", std::process::id())
            .with_context(|| format!("writing {}", lock.path.display()))?;
        Ok(lock)
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Reads `log.key`, or generates it (OS RNG) when the log does not exist yet.
fn load_or_create_key(dir: &Path) -> Result<SignerKey> {
    let path = dir.join(KEY_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            return SignerKey::parse(text.trim())
                .with_context(|| format!("{}: not a signer key", path.display()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    if dir.join(CHECKPOINT_FILE).exists() {
        bail!(
            "{} is missing but a log exists in {}: restore the key file",
            path.display(),
            dir.display()
        );
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow!("OS random number generator: {e}"))?;
    let key = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &seed)?;
    seed.fill(0);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(format!("{}\n", key.to_private_text()).as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(key)
}

/// The CLI's deposit log, opened exclusively.
#[derive(Debug)]
pub struct DepositLog {
    log: Log,
    verifier: VerifierKey,
    /// (org, sha256) → index of the first entry depositing those bytes.
    dedup: HashMap<(String, String), u64>,
    _lock: LockFile,
}

/// What a deposit did.
#[derive(Debug, Serialize)]
pub struct DepositOutcome {
    /// `integrated` (new entry, covered by a checkpoint) or `existing`.
    pub status: &'static str,
    /// Entry index.
    pub index: u64,
    /// RFC 6962 leaf hash, hex.
    pub leaf_hash: String,
    /// Size of the checkpoint covering the entry.
    pub checkpoint_size: u64,
    /// The entry.
    pub entry: DepositEntry,
}

impl DepositLog {
    /// Opens (creating at first use) the log in `data_dir/log`, takes the
    /// lock, verifies the log and rebuilds the deduplication index.
    ///
    /// # Errors
    /// Locked log, key or log errors (including tampering detected at open).
    pub fn open(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join(LOG_DIR);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let lock = LockFile::acquire(&dir)?;
        let key = load_or_create_key(&dir)?;
        let verifier = key.verifier_key();
        let origin = key.name().to_owned();
        let log = if dir.join(CHECKPOINT_FILE).exists() {
            Log::open(&dir, &origin, key)
        } else {
            Log::create(&dir, &origin, key)
        }
        .with_context(|| format!("opening the deposit log in {}", dir.display()))?;
        let mut dedup = HashMap::new();
        for i in 0..log.size() {
            let bytes = log.entry(i)?;
            match DepositEntry::from_bytes(&bytes) {
                Ok(e) => {
                    dedup.entry((e.org, e.sha256)).or_insert(i);
                }
                Err(e) => tracing::warn!(index = i, error = %e, "log entry is not a deposit entry"),
            }
        }
        Ok(Self {
            log,
            verifier,
            dedup,
            _lock: lock,
        })
    }

    /// The log's verifier key.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The entry at `index` (parsed).
    ///
    /// # Errors
    /// Out of range, IO, or not a deposit entry.
    pub fn entry(&self, index: u64) -> Result<DepositEntry> {
        let bytes = self.log.entry(index)?;
        DepositEntry::from_bytes(&bytes)
            .with_context(|| format!("log entry {index} is not a deposit entry"))
    }

    /// A reference to entry `index` as a parent.
    ///
    /// # Errors
    /// When `index` is not in the log.
    pub fn parent_ref(&self, index: u64) -> Result<ParentRef> {
        if index >= self.log.size() {
            bail!(
                "--parent {index}: no such entry (the log has {} entries)",
                self.log.size()
            );
        }
        Ok(ParentRef {
            index,
            leaf_hash: hex::encode(self.log.leaf_hash(index)?),
        })
    }

    /// Deposits `entry`: returns the existing entry for the same org and
    /// sha256, else appends and integrates it (one checkpoint).
    ///
    /// # Errors
    /// Invalid entry, IO or signing errors.
    pub fn deposit(&mut self, entry: DepositEntry) -> Result<DepositOutcome> {
        let key = (entry.org.clone(), entry.sha256.clone());
        if let Some(&index) = self.dedup.get(&key) {
            return Ok(DepositOutcome {
                status: "existing",
                index,
                leaf_hash: hex::encode(self.log.leaf_hash(index)?),
                checkpoint_size: self.log.size(),
                entry: self.entry(index)?,
            });
        }
        let bytes = entry.to_bytes()?;
        let pending = self.log.append(&bytes)?;
        let cp = self.log.integrate()?;
        self.dedup.insert(key, pending.index);
        Ok(DepositOutcome {
            status: "integrated",
            index: pending.index,
            leaf_hash: hex::encode(pending.leaf_hash),
            checkpoint_size: cp.checkpoint.size,
            entry,
        })
    }

    /// The tlog-proof for entry `index`, with the entry bytes as `extra`.
    ///
    /// # Errors
    /// Out of range, IO or proof errors.
    pub fn receipt(&self, index: u64) -> Result<TlogProof> {
        if index >= self.log.size() {
            bail!("no entry {index} (the log has {} entries)", self.log.size());
        }
        let mut proof = self.log.receipt(index)?;
        proof.extra = Some(self.log.entry(index)?);
        Ok(proof)
    }
}

/// SHA-256 (hex) and size of a file, streamed.
///
/// # Errors
/// IO errors, with the path.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut f = File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

/// A media type from the file extension (`application/octet-stream` if unknown).
pub fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "epub" => "application/epub+zip",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "srt" => "application/x-subrip",
        "vtt" => "text/vtt",
        "ass" | "ssa" => "text/x-ssa",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// Builds the entry for a file.
///
/// # Errors
/// IO errors or an unknown kind.
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

/// A key given on the command line: the vkey text, or a file holding it.
fn read_key(arg: &str, what: &str) -> Result<VerifierKey> {
    let text = match fs::read_to_string(arg) {
        Ok(t) => t,
        Err(_) => arg.to_owned(),
    };
    VerifierKey::parse(text.trim()).with_context(|| format!("{what} {arg:?} is not a verifier key"))
}

/// One check made by `verify`.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub check: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found (or why it failed).
    pub detail: String,
}

/// The result of `verify`.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// Everything checked.
    pub ok: bool,
    /// The entry index from the receipt.
    pub index: Option<u64>,
    /// The entry metadata from the receipt.
    pub entry: Option<DepositEntry>,
    /// Each check in order.
    pub checks: Vec<Check>,
}

fn proof_failure(e: &ProofError) -> (&'static str, String) {
    match e {
        ProofError::LogSignatureMissing { .. } | ProofError::OriginMismatch { .. } => {
            ("log key", format!("wrong log key: {e}"))
        }
        ProofError::LogSignatureInvalid | ProofError::LogSignatureDuplicated => {
            ("checkpoint signature", format!("checkpoint signature: {e}"))
        }
        ProofError::CheckpointNoteMalformed(_) | ProofError::CheckpointMalformed(_) => {
            ("checkpoint", format!("malformed checkpoint: {e}"))
        }
        ProofError::CosignatureInvalid { .. }
        | ProofError::CosignatureDuplicated { .. }
        | ProofError::InsufficientCosignatures { .. }
        | ProofError::InvalidPolicy(_) => {
            ("cosignature policy", format!("cosignature policy: {e}"))
        }
        ProofError::Inclusion(_) => ("inclusion proof", format!("inclusion proof: {e}")),
    }
}

/// Verifies a receipt offline (see `qiantang verify --help`).
///
/// # Errors
/// Only for unusable arguments (unreadable receipt, invalid keys); failed
/// checks are reported in the [`VerifyReport`].
pub fn verify(
    receipt: &Path,
    file: Option<&Path>,
    log_key: &str,
    witness_keys: &[String],
    witnesses: Option<usize>,
) -> Result<VerifyReport> {
    let log_key = read_key(log_key, "--log-key")?;
    let wkeys = witness_keys
        .iter()
        .map(|k| read_key(k, "--witness-key"))
        .collect::<Result<Vec<_>>>()?;
    let threshold = witnesses.unwrap_or(wkeys.len());
    let bytes = fs::read(receipt).with_context(|| format!("{}: cannot read", receipt.display()))?;
    let mut report = VerifyReport {
        ok: false,
        index: None,
        entry: None,
        checks: Vec::new(),
    };
    let proof = match TlogProof::parse(&bytes) {
        Ok(p) => p,
        Err(e) => {
            report.checks.push(Check {
                check: "receipt",
                ok: false,
                detail: format!("malformed receipt: {e}"),
            });
            return Ok(report);
        }
    };
    report.index = Some(proof.index);
    let Some(extra) = proof.extra.clone() else {
        report.checks.push(Check {
            check: "receipt",
            ok: false,
            detail: "malformed receipt: no entry metadata (extra line)".into(),
        });
        return Ok(report);
    };
    let entry = match DepositEntry::from_bytes(&extra) {
        Ok(e) => e,
        Err(e) => {
            report.checks.push(Check {
                check: "receipt",
                ok: false,
                detail: format!("malformed receipt: entry metadata: {e}"),
            });
            return Ok(report);
        }
    };
    report.checks.push(Check {
        check: "receipt",
        ok: true,
        detail: format!(
            "entry {} \"{}\" ({}, org {})",
            proof.index, entry.title, entry.kind, entry.org
        ),
    });
    match verify_proof(&proof, Leaf::Data(&extra), &log_key, &wkeys, threshold) {
        Ok(v) => report.checks.push(Check {
            check: "log proof",
            ok: true,
            detail: format!(
                "checkpoint signed by {}+{:08x}, size {}; {} of {} witness cosignatures (policy {threshold}); inclusion of leaf {} at index {}",
                log_key.name(),
                log_key.key_id(),
                v.checkpoint.size,
                v.cosignatures.len(),
                wkeys.len(),
                hex::encode(v.leaf_hash),
                v.index
            ),
        }),
        Err(e) => {
            let (check, detail) = proof_failure(&e);
            report.checks.push(Check {
                check,
                ok: false,
                detail,
            });
        }
    }
    if let Some(f) = file {
        let (sha, size) = hash_file(f)?;
        let ok = sha == entry.sha256 && size == entry.size;
        report.checks.push(Check {
            check: "file hash",
            ok,
            detail: if ok {
                format!("{} has SHA-256 {sha} ({size} bytes)", f.display())
            } else {
                format!(
                    "file hash mismatch: {} has SHA-256 {sha} ({size} bytes), the receipt's entry {} ({} bytes)",
                    f.display(),
                    entry.sha256,
                    entry.size
                )
            },
        });
    }
    report.entry = Some(entry);
    report.ok = report.checks.iter().all(|c| c.ok);
    Ok(report)
}
