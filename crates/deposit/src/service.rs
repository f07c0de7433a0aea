//! [`DepositService`]: the deposit log as a thread-safe service.
//!
//! Files in the log directory (`DATA_DIR/log/`), besides the
//! [`qiantang_ledger::log`] files (`entries`, `leaves`, `checkpoint`):
//!
//! | file | content |
//! | --- | --- |
//! | `log.key` | the log's Ed25519 signer key (signed-note private text, 0600, OS RNG at first open) |
//! | `LOCK` | held with an OS advisory lock by the one process using the log; its content (pid, holder) is information only ([`crate::files::LockFile`]) |
//! | `checkpoint.cosigned` | the latest checkpoint with the witness cosignatures collected for it (replaced atomically) |
//! | `checkpoint.final` | the latest checkpoint whose cosignatures meet the witness policy |
//! | `tsa/<index>.tsr` | the RFC 3161 TimeStampToken (DER) over entry `index`'s leaf hash |
//!
//! A deposit is staged at once ([`EntryStatus::Pending`], with its index and
//! leaf hash); [`DepositService::integrate`] (called by the CLI after each
//! deposit, or every second by [`DepositService::run_integrator`]) makes the
//! whole batch durable under one signed checkpoint, requests timestamps, and
//! sends the checkpoint to every configured witness; once the policy's
//! threshold of cosignatures is collected the checkpoint is final
//! ([`EntryStatus::Final`]).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use qiantang_ledger::checkpoint::Checkpoint;
use qiantang_ledger::entry::{DepositEntry, ParentRef};
use qiantang_ledger::log::{Log, CHECKPOINT_FILE};
use qiantang_ledger::merkle::Hash;
use qiantang_ledger::tiles::TileId;
use qiantang_ledger::witness::{add_cosignatures, WitnessPolicy};
use qiantang_ledger::{KeyType, SignedNote, TlogProof, VerifierKey};

use crate::files::{generate_key_file, read_key_file, read_optional, write_atomic, LockFile};
use crate::mirror::LogMirror;
use crate::receipt::Receipt;
use crate::witness_client::{self, WitnessClientError};
use crate::{tsa, DepositError};

/// Origin of a log created by the service, which is also its key name.
pub const ORIGIN: &str = "qiantang.invalid/log";
/// Log directory inside the data directory.
pub const LOG_DIR: &str = "log";
/// Signer key file inside the log directory.
pub const KEY_FILE: &str = "log.key";
/// Latest checkpoint with the cosignatures collected for it.
pub const COSIGNED_FILE: &str = "checkpoint.cosigned";
/// Latest checkpoint meeting the witness policy.
pub const FINAL_FILE: &str = "checkpoint.final";
/// Directory of RFC 3161 tokens inside the log directory.
pub const TSA_DIR: &str = "tsa";

/// A witness the service sends checkpoints to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// Submission prefix: `POST {url}/add-checkpoint`.
    pub url: String,
    /// The witness's cosignature (type `0x04`) verifier key.
    pub key: VerifierKey,
}

impl WitnessEndpoint {
    /// Parses `"URL VKEY"` (one space or more between).
    ///
    /// # Errors
    /// [`DepositError::Config`].
    pub fn parse(s: &str) -> Result<Self, DepositError> {
        let mut parts = s.split_whitespace();
        let (Some(url), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(DepositError::Config(format!(
                "witness {s:?} is not \"URL VKEY\""
            )));
        };
        let key = VerifierKey::parse(key)
            .map_err(|e| DepositError::Config(format!("witness {url}: key {key:?}: {e}")))?;
        if key.key_type() != KeyType::CosignatureV1 {
            return Err(DepositError::Config(format!(
                "witness {url}: key {} is not a cosignature/v1 key",
                key.name()
            )));
        }
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            key,
        })
    }
}

/// How the service witnesses and timestamps.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Witnesses to send every checkpoint to.
    pub witnesses: Vec<WitnessEndpoint>,
    /// Cosignatures that make a checkpoint final (m of the n witnesses; 0: no witnessing required).
    pub threshold: usize,
    /// RFC 3161 time-stamping authority URL (`application/timestamp-query`).
    pub tsa_url: Option<String>,
    /// Timeout of one HTTP request to a witness or the TSA.
    pub http_timeout: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            witnesses: Vec::new(),
            threshold: 0,
            tsa_url: None,
            http_timeout: Duration::from_secs(10),
        }
    }
}

impl ServiceConfig {
    /// The witness policy (threshold of the configured witness keys).
    pub fn policy(&self) -> WitnessPolicy {
        WitnessPolicy {
            threshold: self.threshold,
            witnesses: self.witnesses.iter().map(|w| w.key.clone()).collect(),
        }
    }
}

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryStatus {
    /// Staged: index and leaf hash assigned, not yet durable nor signed.
    Pending,
    /// Covered by a signed checkpoint, not (yet) by a final one.
    Integrated,
    /// Covered by a checkpoint cosigned by the policy's threshold of witnesses.
    Final,
}

/// What [`DepositService::deposit`] did.
#[derive(Debug, Clone, Serialize)]
pub struct DepositOutcome {
    /// Entry index.
    pub index: u64,
    /// RFC 6962 leaf hash, hex.
    pub leaf_hash: String,
    /// Status at return.
    pub status: EntryStatus,
    /// The same org had deposited the same bytes before: this is that entry.
    pub duplicate: bool,
    /// The entry (the first one for a duplicate).
    pub entry: DepositEntry,
}

/// What [`DepositService::integrate`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntegrateReport {
    /// Size of the current checkpoint.
    pub checkpoint_size: u64,
    /// Entries newly covered by it.
    pub integrated: u64,
    /// Names of the witnesses whose cosignatures the checkpoint carries.
    pub cosigned_by: Vec<String>,
    /// Whether it meets the witness policy.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Witnesses that did not cosign, with the reason.
    pub witness_errors: Vec<String>,
    /// Timestamp tokens obtained.
    pub timestamps: u64,
    /// Timestamp requests that failed.
    pub tsa_errors: Vec<String>,
}

struct Inner {
    log: Log,
    /// (org, sha256) → first entry index (acknowledged and staged).
    dedup: HashMap<(String, String), u64>,
    /// sha256 → entry indices (acknowledged and staged).
    by_hash: HashMap<String, Vec<u64>>,
    /// Staged entries, parsed, in index order.
    staged: Vec<DepositEntry>,
    /// Latest checkpoint with the cosignatures collected for it.
    cosigned: Option<SignedNote>,
    /// Latest final checkpoint and its size.
    final_note: Option<(SignedNote, u64)>,
}

/// The deposit log as a service (see the module docs). `Send + Sync`: share
/// it as `Arc<DepositService>`.
pub struct DepositService {
    dir: PathBuf,
    verifier: VerifierKey,
    config: ServiceConfig,
    policy: WitnessPolicy,
    agent: ureq::Agent,
    inner: Mutex<Inner>,
    /// Serialises integrations; the last size each witness is known to have cosigned.
    witnessing: Mutex<HashMap<String, u64>>,
    /// A second durable copy (PostgreSQL), written by every integration.
    mirror: Option<Arc<dyn LogMirror>>,
    _lock: LockFile,
}

impl std::fmt::Debug for DepositService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DepositService")
            .field("dir", &self.dir)
            .field("log_key", &self.verifier.to_string())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

type WitnessResult<'a> = (
    &'a WitnessEndpoint,
    Result<(String, u64), WitnessClientError>,
);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DepositService {
    /// Opens (creating at first use) the log in `data_dir/log`.
    ///
    /// # Errors
    /// See [`DepositService::open_dir`].
    pub fn open(data_dir: &Path, config: ServiceConfig) -> Result<Self, DepositError> {
        Self::open_dir(&data_dir.join(LOG_DIR), config)
    }

    /// Opens (creating at first use, with a new key) the log in `dir`: takes
    /// the lock, verifies the log (tampering is an error), rebuilds the
    /// deduplication index and loads the stored cosigned checkpoints.
    ///
    /// # Errors
    /// [`DepositError::Locked`], [`DepositError::Config`] (a policy that
    /// cannot be met), key, log and IO errors.
    pub fn open_dir(dir: &Path, config: ServiceConfig) -> Result<Self, DepositError> {
        Self::open_dir_as(dir, config, None, None)
    }

    /// As [`DepositService::open`], recording `holder` in the `LOCK` file
    /// (the hub writes [`crate::HUB_HOLDER`] and its URL, so that a refused
    /// `qiantang deposit` points to the hub's API).
    ///
    /// # Errors
    /// See [`DepositService::open_dir`].
    pub fn open_as(
        data_dir: &Path,
        config: ServiceConfig,
        holder: &str,
        mirror: Option<Arc<dyn LogMirror>>,
    ) -> Result<Self, DepositError> {
        Self::open_dir_as(&data_dir.join(LOG_DIR), config, Some(holder), mirror)
    }

    /// As [`DepositService::open_dir`], with `mirror` as a second durable
    /// copy of the log (see [`crate::mirror`]): before serving, a mirror that
    /// is behind the files is backfilled, files that are behind the mirror
    /// (lost) are restored from it once its tree root matches its signed
    /// checkpoint, and any difference at an index both hold is refused with
    /// [`DepositError::MirrorDiverged`]. Every later integration writes the
    /// batch and its checkpoint to the mirror before acknowledging it.
    ///
    /// # Errors
    /// As [`DepositService::open_dir`], [`DepositError::Mirror`],
    /// [`DepositError::MirrorDiverged`].
    pub fn open_dir_mirrored(
        dir: &Path,
        config: ServiceConfig,
        mirror: Option<Arc<dyn LogMirror>>,
    ) -> Result<Self, DepositError> {
        Self::open_dir_as(dir, config, None, mirror)
    }

    fn open_dir_as(
        dir: &Path,
        config: ServiceConfig,
        holder: Option<&str>,
        mirror: Option<Arc<dyn LogMirror>>,
    ) -> Result<Self, DepositError> {
        let policy = config.policy();
        if !policy.is_satisfiable() {
            return Err(DepositError::Config(format!(
                "witness threshold {} exceeds the {} distinct witnesses configured",
                config.threshold,
                config.witnesses.len()
            )));
        }
        fs::create_dir_all(dir).map_err(DepositError::io("creating", dir))?;
        let lockfile = LockFile::acquire_as(dir, holder)?;
        let key_path = dir.join(KEY_FILE);
        let mirrored = match &mirror {
            Some(m) => m.size()?,
            None => 0,
        };
        let key = if key_path.exists() {
            read_key_file(&key_path)?
        } else if mirrored > 0 {
            return Err(DepositError::Key(format!(
                "{} is missing but the PostgreSQL mirror holds {mirrored} log entries: restore the key file (it is never stored in the database), then restart to restore the log from the mirror",
                key_path.display()
            )));
        } else if dir.join(CHECKPOINT_FILE).exists() {
            return Err(DepositError::Key(format!(
                "{} is missing but a log exists in {}: restore the key file",
                key_path.display(),
                dir.display()
            )));
        } else {
            generate_key_file(&key_path, ORIGIN, KeyType::Ed25519)?
        };
        let verifier = key.verifier_key();
        let origin = key.name().to_owned();
        let mut log = if dir.join(CHECKPOINT_FILE).exists() {
            Log::open(dir, &origin, key)?
        } else {
            Log::create(dir, &origin, key)?
        };
        let restored_note = match &mirror {
            Some(m) => reconcile(&mut log, m.as_ref(), &verifier)?,
            None => None,
        };
        let mut dedup = HashMap::new();
        let mut by_hash: HashMap<String, Vec<u64>> = HashMap::new();
        for i in 0..log.size() {
            match DepositEntry::from_bytes(&log.entry(i)?) {
                Ok(e) => {
                    by_hash.entry(e.sha256.clone()).or_default().push(i);
                    dedup.entry((e.org, e.sha256)).or_insert(i);
                }
                Err(e) => tracing::warn!(index = i, error = %e, "log entry is not a deposit entry"),
            }
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.http_timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let svc = Self {
            dir: dir.to_path_buf(),
            verifier,
            config,
            policy,
            agent,
            inner: Mutex::new(Inner {
                log,
                dedup,
                by_hash,
                staged: Vec::new(),
                cosigned: None,
                final_note: None,
            }),
            witnessing: Mutex::new(HashMap::new()),
            mirror,
            _lock: lockfile,
        };
        if let Some(note) = restored_note {
            // The mirror's note for the restored size, with its cosignatures.
            write_atomic(&svc.dir.join(COSIGNED_FILE), note.as_bytes())?;
            if let Ok(n) = SignedNote::parse(note.as_bytes()) {
                if !svc.config.witnesses.is_empty() && svc.is_final(&n) {
                    write_atomic(&svc.dir.join(FINAL_FILE), note.as_bytes())?;
                }
            }
        }
        let cosigned = svc.load_note(COSIGNED_FILE)?;
        let final_note = svc.load_note(FINAL_FILE)?.filter(|(n, _)| svc.is_final(n));
        {
            let mut inner = lock(&svc.inner);
            inner.cosigned = cosigned.map(|(n, _)| n);
            inner.final_note = final_note;
        }
        Ok(svc)
    }

    /// Reads a stored checkpoint note; one that is not this log's (bad
    /// signature, larger than the log) is ignored with a warning.
    fn load_note(&self, name: &str) -> Result<Option<(SignedNote, u64)>, DepositError> {
        let path = self.dir.join(name);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        let size = lock(&self.inner).log.size();
        let checked = SignedNote::parse(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|n| {
                n.verify(std::slice::from_ref(&self.verifier))
                    .map_err(|e| e.to_string())?;
                let cp = Checkpoint::parse(&n.text).map_err(|e| e.to_string())?;
                if cp.size > size {
                    return Err(format!("size {} beyond the log's {size}", cp.size));
                }
                if self.policy.cosignatures(&n).is_err() {
                    return Err("a cosignature does not verify".into());
                }
                Ok((n, cp.size))
            });
        match checked {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "ignoring a stored checkpoint");
                Ok(None)
            }
        }
    }

    fn is_final(&self, note: &SignedNote) -> bool {
        self.policy.threshold == 0 || self.policy.is_final(note)
    }

    /// The log's verifier key (what verifiers need).
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of acknowledged entries (the current checkpoint size).
    pub fn size(&self) -> u64 {
        lock(&self.inner).log.size()
    }

    /// A reference to acknowledged entry `index`, for a derivative's `parent`.
    ///
    /// # Errors
    /// [`DepositError::NoSuchParent`].
    pub fn parent_ref(&self, index: u64) -> Result<ParentRef, DepositError> {
        let inner = lock(&self.inner);
        let size = inner.log.size();
        if index >= size {
            return Err(DepositError::NoSuchParent { index, size });
        }
        Ok(ParentRef {
            index,
            leaf_hash: hex::encode(inner.log.leaf_hash(index)?),
        })
    }

    fn status_locked(&self, inner: &Inner, index: u64) -> EntryStatus {
        if index >= inner.log.size() {
            EntryStatus::Pending
        } else if self.policy.threshold == 0
            || inner.final_note.as_ref().is_some_and(|(_, s)| index < *s)
        {
            EntryStatus::Final
        } else {
            EntryStatus::Integrated
        }
    }

    /// Where entry `index` stands.
    ///
    /// # Errors
    /// [`DepositError::NoSuchEntry`].
    pub fn status(&self, index: u64) -> Result<EntryStatus, DepositError> {
        let inner = lock(&self.inner);
        let known = inner.log.size() + inner.staged.len() as u64;
        if index >= known {
            return Err(DepositError::NoSuchEntry {
                index,
                size: inner.log.size(),
            });
        }
        Ok(self.status_locked(&inner, index))
    }

    /// Deposits `entry`: the existing entry if the same org deposited the
    /// same bytes (sha256) before, else stages it and returns at once with
    /// [`EntryStatus::Pending`]; the next [`DepositService::integrate`]
    /// acknowledges it.
    ///
    /// # Errors
    /// Invalid entry, log errors (a poisoned log).
    pub fn deposit(&self, entry: DepositEntry) -> Result<DepositOutcome, DepositError> {
        let bytes = entry.to_bytes()?;
        let mut inner = lock(&self.inner);
        let key = (entry.org.clone(), entry.sha256.clone());
        if let Some(&index) = inner.dedup.get(&key) {
            let size = inner.log.size();
            let (leaf_hash, first) = if index < size {
                (
                    inner.log.leaf_hash(index)?,
                    DepositEntry::from_bytes(&inner.log.entry(index)?)?,
                )
            } else {
                let e = inner.staged[(index - size) as usize].clone();
                (qiantang_ledger::merkle::leaf_hash(&e.to_bytes()?), e)
            };
            return Ok(DepositOutcome {
                index,
                leaf_hash: hex::encode(leaf_hash),
                status: self.status_locked(&inner, index),
                duplicate: true,
                entry: first,
            });
        }
        let pending = inner.log.append(&bytes)?;
        inner.dedup.insert(key, pending.index);
        inner
            .by_hash
            .entry(entry.sha256.clone())
            .or_default()
            .push(pending.index);
        inner.staged.push(entry.clone());
        Ok(DepositOutcome {
            index: pending.index,
            leaf_hash: hex::encode(pending.leaf_hash),
            status: EntryStatus::Pending,
            duplicate: false,
            entry,
        })
    }

    /// One batch: integrates every staged entry under one checkpoint (one
    /// fsync round), requests a timestamp token per new entry when a TSA is
    /// configured, then sends the checkpoint to every witness that has not
    /// cosigned it yet and stores the cosignatures; the checkpoint is final
    /// once the policy is met. With nothing staged it retries the witnesses
    /// of a checkpoint that is not final yet. Witness and TSA failures are
    /// reported, not errors.
    ///
    /// # Errors
    /// Log errors (the batch is then not acknowledged) and IO errors.
    pub fn integrate(&self) -> Result<IntegrateReport, DepositError> {
        let mut known = lock(&self.witnessing);
        let mut report = IntegrateReport::default();
        let (note_text, new) = {
            let mut inner = lock(&self.inner);
            let before = inner.log.size();
            let cp = match &self.mirror {
                Some(m) => inner.log.integrate_with(|first, batch, cp| {
                    m.append(first, batch, Some(&cp.note))
                        .map_err(|e| e.to_string())
                })?,
                None => inner.log.integrate()?,
            };
            inner.staged.clear();
            (cp.note, before..cp.checkpoint.size)
        };
        report.checkpoint_size = new.end;
        report.integrated = new.end - new.start;
        if let Some(url) = &self.config.tsa_url {
            for index in new.clone() {
                match self.timestamp(url, index) {
                    Ok(()) => report.timestamps += 1,
                    Err(e) => {
                        tracing::warn!(index, error = %e, "timestamp request failed");
                        report.tsa_errors.push(format!("entry {index}: {e}"));
                    }
                }
            }
        }
        let mut note = SignedNote::parse(note_text.as_bytes())
            .map_err(|e| DepositError::Other(format!("own checkpoint: {e}")))?;
        if let Some(c) = lock(&self.inner).cosigned.as_ref() {
            if c.text == note.text {
                note = c.clone();
            }
        }
        let before = note.signatures.len();
        let todo: Vec<&WitnessEndpoint> = self
            .config
            .witnesses
            .iter()
            .filter(|w| {
                !note
                    .signatures
                    .iter()
                    .any(|s| s.name == w.key.name() && s.key_id == w.key.key_id())
            })
            .collect();
        if !todo.is_empty() {
            let size = new.end;
            // Witnesses get the log's signature only.
            let log_only = SignedNote {
                text: note.text.clone(),
                signatures: note
                    .signatures
                    .iter()
                    .filter(|s| {
                        s.name == self.verifier.name() && s.key_id == self.verifier.key_id()
                    })
                    .cloned()
                    .collect(),
            };
            let results: Vec<WitnessResult<'_>> = std::thread::scope(|s| {
                let handles: Vec<_> = todo
                    .iter()
                    .map(|w| {
                        let old = known.get(&w.url).copied().unwrap_or(0);
                        let note = &log_only;
                        let w = *w;
                        s.spawn(move || {
                            let r = witness_client::submit(
                                &self.agent,
                                &w.url,
                                note,
                                size,
                                old,
                                |from, to| {
                                    lock(&self.inner)
                                        .log
                                        .consistency_proof(from, to)
                                        .map_err(|e| e.to_string())
                                },
                            );
                            (w, r)
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            for (w, r) in results {
                match r {
                    Ok((body, cosigned_size)) => {
                        known.insert(w.url.clone(), cosigned_size);
                        if let Err(e) =
                            add_cosignatures(&mut note, &body, std::slice::from_ref(&w.key))
                        {
                            report.witness_errors.push(format!("{}: {e}", w.url));
                        }
                    }
                    Err(e) => {
                        if let WitnessClientError::Refused {
                            witness_size: Some(s),
                            ..
                        } = &e
                        {
                            known.insert(w.url.clone(), *s);
                        }
                        tracing::warn!(witness = %w.url, error = %e, "witness did not cosign");
                        report.witness_errors.push(format!("{}: {e}", w.url));
                    }
                }
            }
        }
        let is_final = self.is_final(&note);
        let changed = note.signatures.len() != before
            || lock(&self.inner)
                .cosigned
                .as_ref()
                .is_none_or(|c| c.text != note.text);
        if changed {
            write_atomic(&self.dir.join(COSIGNED_FILE), note.to_text().as_bytes())?;
            if let Some(m) = &self.mirror {
                if note.signatures.len() != before {
                    // Best effort: the checkpoint itself is mirrored already.
                    if let Err(e) = m.save_checkpoint(&note.to_text()) {
                        tracing::warn!(error = %e, "mirroring cosignatures failed");
                    }
                }
            }
        }
        let already_final = lock(&self.inner).final_note.as_ref().is_some_and(|(f, _)| {
            f.text == note.text && f.signatures.len() == note.signatures.len()
        });
        if is_final && !already_final && !self.config.witnesses.is_empty() {
            write_atomic(&self.dir.join(FINAL_FILE), note.to_text().as_bytes())?;
        }
        report.cosigned_by = self
            .policy
            .cosignatures(&note)
            .map(|c| c.into_iter().map(|c| c.name).collect())
            .unwrap_or_default();
        report.is_final = is_final;
        let mut inner = lock(&self.inner);
        if is_final {
            inner.final_note = Some((note.clone(), new.end));
        }
        inner.cosigned = Some(note);
        Ok(report)
    }

    fn timestamp(&self, url: &str, index: u64) -> Result<(), DepositError> {
        let leaf = lock(&self.inner).log.leaf_hash(index)?;
        let token = tsa::request_token(&self.agent, url, &leaf)
            .map_err(|e| DepositError::Other(e.to_string()))?;
        let dir = self.dir.join(TSA_DIR);
        fs::create_dir_all(&dir).map_err(DepositError::io("creating", &dir))?;
        write_atomic(&dir.join(format!("{index}.tsr")), &token)
    }

    /// Runs [`DepositService::integrate`] every `interval` in a thread until
    /// `stop` is set (then once more), so that deposits arriving meanwhile
    /// share one fsync round and one checkpoint. Errors are logged.
    pub fn run_integrator(
        self: &Arc<Self>,
        interval: Duration,
        stop: Arc<AtomicBool>,
    ) -> JoinHandle<()> {
        let svc = Arc::clone(self);
        std::thread::spawn(move || loop {
            let deadline = Instant::now() + interval;
            while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10).min(interval));
            }
            let stopping = stop.load(Ordering::Relaxed);
            let needed = {
                let inner = lock(&svc.inner);
                inner.log.pending() > 0
                    || (!svc.config.witnesses.is_empty()
                        && inner
                            .final_note
                            .as_ref()
                            .is_none_or(|(_, s)| *s < inner.log.size()))
            };
            if needed {
                if let Err(e) = svc.integrate() {
                    tracing::error!(error = %e, "integration failed");
                }
            }
            if stopping {
                break;
            }
        })
    }

    /// Acknowledged entry `index`, parsed.
    ///
    /// # Errors
    /// [`DepositError::Pending`], [`DepositError::NoSuchEntry`], log errors.
    pub fn entry(&self, index: u64) -> Result<DepositEntry, DepositError> {
        let inner = lock(&self.inner);
        self.check_index(&inner, index)?;
        Ok(DepositEntry::from_bytes(&inner.log.entry(index)?)?)
    }

    fn check_index(&self, inner: &Inner, index: u64) -> Result<(), DepositError> {
        let size = inner.log.size();
        if index < size {
            Ok(())
        } else if index < size + inner.staged.len() as u64 {
            Err(DepositError::Pending { index })
        } else {
            Err(DepositError::NoSuchEntry { index, size })
        }
    }
    /// Entry `index` with its status, staged entries included (the hub shows
    /// pending deposits).
    ///
    /// # Errors
    /// [`DepositError::NoSuchEntry`], log errors.
    pub fn entry_with_status(
        &self,
        index: u64,
    ) -> Result<(EntryStatus, DepositEntry), DepositError> {
        let inner = lock(&self.inner);
        let size = inner.log.size();
        let entry = if index < size {
            DepositEntry::from_bytes(&inner.log.entry(index)?)?
        } else if let Some(e) = inner.staged.get((index - size) as usize) {
            e.clone()
        } else {
            return Err(DepositError::NoSuchEntry { index, size });
        };
        Ok((self.status_locked(&inner, index), entry))
    }

    /// RFC 9162 inclusion proof of entry `index` in the tree of `size`
    /// entries (`size` at most the checkpoint size).
    ///
    /// # Errors
    /// [`DepositError::Log`] for indices or sizes outside the checkpointed tree.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, DepositError> {
        Ok(lock(&self.inner).log.inclusion_proof(index, size)?)
    }

    /// RFC 9162 consistency proof between tree sizes `old` and `new`.
    ///
    /// # Errors
    /// [`DepositError::Log`] for sizes outside the checkpointed tree.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, DepositError> {
        Ok(lock(&self.inner).log.consistency_proof(old, new)?)
    }

    /// Root hash of the tree of `size` entries.
    ///
    /// # Errors
    /// [`DepositError::Log`] for a size beyond the checkpointed tree.
    pub fn root(&self, size: u64) -> Result<Hash, DepositError> {
        Ok(lock(&self.inner).log.root(size)?)
    }

    /// Every entry (acknowledged or pending) depositing bytes with this
    /// SHA-256 (lowercase hex), any org, with its index and status.
    ///
    /// # Errors
    /// Log errors.
    pub fn entries_by_hash(
        &self,
        sha256: &str,
    ) -> Result<Vec<(u64, EntryStatus, DepositEntry)>, DepositError> {
        let inner = lock(&self.inner);
        let size = inner.log.size();
        let mut out = Vec::new();
        for &i in inner
            .by_hash
            .get(&sha256.to_ascii_lowercase())
            .into_iter()
            .flatten()
        {
            let e = if i < size {
                DepositEntry::from_bytes(&inner.log.entry(i)?)?
            } else {
                inner.staged[(i - size) as usize].clone()
            };
            out.push((i, self.status_locked(&inner, i), e));
        }
        Ok(out)
    }

    /// The latest checkpoint note with the cosignatures collected for it
    /// (what `GET <prefix>/checkpoint` serves).
    pub fn checkpoint(&self) -> String {
        let inner = lock(&self.inner);
        match &inner.cosigned {
            Some(n) if Checkpoint::parse(&n.text).is_ok_and(|c| c.size == inner.log.size()) => {
                n.to_text()
            }
            _ => inner.log.checkpoint().note.clone(),
        }
    }

    /// The receipt of entry `index`: a tlog-proof against the latest final
    /// checkpoint covering it, else the latest checkpoint with whatever
    /// cosignatures it has ([`Receipt::is_final`] false), with the entry
    /// bytes as `extra` and the timestamp token if one was obtained.
    ///
    /// # Errors
    /// [`DepositError::Pending`], [`DepositError::NoSuchEntry`], log errors.
    pub fn receipt(&self, index: u64) -> Result<Receipt, DepositError> {
        let inner = lock(&self.inner);
        self.check_index(&inner, index)?;
        let (note, is_final) = match &inner.final_note {
            Some((n, s)) if index < *s => (n.to_text(), true),
            _ => {
                let size = inner.log.size();
                match &inner.cosigned {
                    Some(n) if Checkpoint::parse(&n.text).is_ok_and(|c| c.size == size) => {
                        (n.to_text(), self.is_final(n))
                    }
                    _ => (
                        inner.log.checkpoint().note.clone(),
                        self.policy.threshold == 0,
                    ),
                }
            }
        };
        let parsed = SignedNote::parse(note.as_bytes())
            .map_err(|e| DepositError::Other(format!("stored checkpoint: {e}")))?;
        let checkpoint = Checkpoint::parse(&parsed.text)
            .map_err(|e| DepositError::Other(format!("stored checkpoint: {e}")))?;
        let extra = inner.log.entry(index)?;
        let entry = DepositEntry::from_bytes(&extra)?;
        let proof = TlogProof {
            extra: Some(extra),
            index,
            inclusion: inner.log.inclusion_proof(index, checkpoint.size)?,
            checkpoint: note,
        };
        let leaf_hash = inner.log.leaf_hash(index)?;
        drop(inner);
        let cosignatures = self.policy.cosignatures(&parsed).unwrap_or_default();
        let timestamp_token = read_optional(&self.dir.join(TSA_DIR).join(format!("{index}.tsr")))?;
        Ok(Receipt {
            proof,
            entry,
            leaf_hash,
            checkpoint,
            cosignatures,
            is_final,
            timestamp_token,
            log_key: self.verifier.clone(),
        })
    }

    /// A C2SP tlog-tiles resource by path relative to the log prefix:
    /// `checkpoint`, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`
    /// (for the current tree size); `None` for anything else.
    pub fn tile(&self, path: &str) -> Option<Vec<u8>> {
        if path == "checkpoint" {
            return Some(self.checkpoint().into_bytes());
        }
        let id = TileId::parse(path).ok()?;
        match lock(&self.inner).log.tile(&id) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(path, error = %e, "tile read failed");
                None
            }
        }
    }

    /// The parent chain of entry `index`: its parent, the parent's parent,
    /// … (nearest first; at most 64 links, stopping at a missing entry).
    ///
    /// # Errors
    /// Log errors.
    pub fn parent_chain(&self, index: u64) -> Result<Vec<(u64, DepositEntry)>, DepositError> {
        let mut out = Vec::new();
        let mut cur = self.entry(index)?.parent;
        while let Some(p) = cur {
            if out.len() == 64 || p.index >= index {
                break;
            }
            let e = self.entry(p.index)?;
            cur = e.parent.clone();
            out.push((p.index, e));
        }
        Ok(out)
    }

    /// Leaf hash of acknowledged entry `index`.
    ///
    /// # Errors
    /// [`DepositError::Pending`], [`DepositError::NoSuchEntry`].
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, DepositError> {
        let inner = lock(&self.inner);
        self.check_index(&inner, index)?;
        Ok(inner.log.leaf_hash(index)?)
    }
}

/// Entries read from the mirror (or the files) per round trip at open.
const RECONCILE_CHUNK: u64 = 4096;

/// Reconciles the opened files with the mirror (see
/// [`DepositService::open_dir_mirrored`]). Returns the mirror's checkpoint
/// note when the files were restored from it.
fn reconcile(
    log: &mut Log,
    mirror: &dyn LogMirror,
    verifier: &VerifierKey,
) -> Result<Option<String>, DepositError> {
    let files = log.size();
    let rows = mirror.size()?;
    // The mirror's checkpoint must be this log's, validly signed.
    let mirror_cp = match mirror.checkpoint()? {
        Some(text) => {
            let cp = SignedNote::parse(text.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|n| {
                    n.verify(std::slice::from_ref(verifier))
                        .map_err(|e| e.to_string())?;
                    Checkpoint::parse(&n.text).map_err(|e| e.to_string())
                })
                .map_err(|e| {
                    DepositError::Mirror(crate::MirrorError(format!(
                        "the mirror's latest checkpoint is not signed by this log's key: {e}"
                    )))
                })?;
            Some((cp, text))
        }
        None => None,
    };
    let covered = mirror_cp.as_ref().map_or(0, |(c, _)| c.size);
    if covered > rows {
        return Err(DepositError::MirrorDiverged {
            index: rows,
            detail: format!(
                "the mirror's checkpoint covers {covered} entries but it holds only {rows}"
            ),
        });
    }
    if rows > files.max(covered) {
        return Err(DepositError::MirrorDiverged {
            index: files.max(covered),
            detail: format!(
                "the mirror holds {rows} entries, beyond both its checkpoint ({covered}) and the files ({files}): an interrupted backfill after the files were lost; these entries cannot be verified"
            ),
        });
    }
    // Compare every index both hold, and rebuild the mirror's tree.
    let mut tree = qiantang_ledger::merkle::MemoryTree::new();
    let mut next = 0u64;
    while next < rows {
        let to = (next + RECONCILE_CHUNK).min(rows);
        for m in mirror.entries(next, to)? {
            if m.index != next {
                return Err(DepositError::MirrorDiverged {
                    index: next,
                    detail: "the entry is missing from the mirror".into(),
                });
            }
            if qiantang_ledger::merkle::leaf_hash(&m.bytes) != m.leaf_hash {
                return Err(DepositError::MirrorDiverged {
                    index: next,
                    detail: "the mirrored leaf hash does not match the mirrored entry bytes".into(),
                });
            }
            if next < files {
                if log.leaf_hash(next)? != m.leaf_hash {
                    return Err(DepositError::MirrorDiverged {
                        index: next,
                        detail: "the leaf hashes differ".into(),
                    });
                }
                if log.entry(next)? != m.bytes {
                    return Err(DepositError::MirrorDiverged {
                        index: next,
                        detail: "the entry bytes differ".into(),
                    });
                }
            } else {
                log.append(&m.bytes)?;
            }
            tree.push_leaf_hash(m.leaf_hash);
            next += 1;
        }
        if next < to {
            return Err(DepositError::MirrorDiverged {
                index: next,
                detail: "the entry is missing from the mirror".into(),
            });
        }
    }
    if covered > files {
        // Restore: the files lack entries the mirror holds. Sign nothing
        // before the mirror's tree matches its signed checkpoint.
        let Some((cp, note)) = mirror_cp else {
            unreachable!("covered > 0 implies a checkpoint")
        };
        let root = tree
            .root(cp.size)
            .map_err(|e| DepositError::Other(e.to_string()))?;
        if root != cp.root {
            return Err(DepositError::MirrorDiverged {
                index: cp.size.saturating_sub(1),
                detail:
                    "the root of the mirrored entries differs from the mirror's signed checkpoint"
                        .into(),
            });
        }
        let restored = log.integrate()?;
        if restored.checkpoint.root != cp.root {
            return Err(DepositError::Other(
                "restored log root differs from the mirror's checkpoint".into(),
            ));
        }
        tracing::warn!(
            from = files,
            to = cp.size,
            "restored the deposit log files from the PostgreSQL mirror"
        );
        return Ok(Some(note));
    }
    if files > rows {
        // Backfill: the mirror is behind (configured later, or an
        // integration whose mirror write failed).
        let mut next = rows;
        while next < files {
            let to = (next + RECONCILE_CHUNK).min(files);
            let batch = (next..to)
                .map(|i| Ok((log.entry(i)?, log.leaf_hash(i)?)))
                .collect::<Result<Vec<_>, DepositError>>()?;
            let note = (to == files).then(|| log.checkpoint().note.clone());
            mirror.append(next, &batch, note.as_deref())?;
            next = to;
        }
        tracing::info!(
            from = rows,
            to = files,
            "backfilled the PostgreSQL log mirror"
        );
    } else if covered < files {
        mirror.save_checkpoint(&log.checkpoint().note)?;
    }
    Ok(None)
}
