//! Receipts and their offline verification.
//!
//! A receipt is a C2SP tlog-proof file (`.tlog-proof`) whose `extra` line is
//! the canonical [`DepositEntry`] bytes (the leaf itself), whose checkpoint
//! carries the witness cosignatures, plus — when a TSA is configured — the
//! RFC 3161 token over the leaf hash in a sidecar file `<receipt>.tsr` (DER).
//! The tlog-proof format has one opaque `extra` field, which holds the leaf,
//! so the token travels beside it.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use qiantang_ledger::checkpoint::Checkpoint;
use qiantang_ledger::entry::DepositEntry;
use qiantang_ledger::merkle::{leaf_hash, Hash};
use qiantang_ledger::proof::{ProofError, WitnessCosignature};
use qiantang_ledger::{verify_proof, Leaf, TlogProof, VerifierKey};

use crate::files::{hash_file, read_optional};
use crate::{tsa, DepositError};

/// A deposit receipt (see the module docs).
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The tlog-proof (entry bytes as `extra`, checkpoint with cosignatures).
    pub proof: TlogProof,
    /// The entry.
    pub entry: DepositEntry,
    /// Its RFC 6962 leaf hash.
    pub leaf_hash: Hash,
    /// The checkpoint the proof is against.
    pub checkpoint: Checkpoint,
    /// Valid cosignatures by the configured witnesses.
    pub cosignatures: Vec<WitnessCosignature>,
    /// Whether the cosignatures meet the witness policy.
    pub is_final: bool,
    /// RFC 3161 TimeStampToken (DER) over the leaf hash, if obtained.
    pub timestamp_token: Option<Vec<u8>>,
    /// The log's verifier key.
    pub log_key: VerifierKey,
}

/// The sidecar path of a receipt's timestamp token: `<receipt>.tsr`.
pub fn token_path(receipt: &Path) -> PathBuf {
    let mut name = receipt.as_os_str().to_owned();
    name.push(".tsr");
    PathBuf::from(name)
}

impl Receipt {
    /// The `.tlog-proof` text.
    pub fn to_tlog_proof(&self) -> String {
        self.proof.to_text()
    }

    /// Writes the `.tlog-proof` to `path` and, with a token, `<path>.tsr`
    /// (a stale sidecar from an earlier receipt is removed). Returns the
    /// files written.
    ///
    /// # Errors
    /// IO errors.
    pub fn write(&self, path: &Path) -> Result<Vec<PathBuf>, DepositError> {
        fs::write(path, self.to_tlog_proof()).map_err(DepositError::io("writing", path))?;
        let tsr = token_path(path);
        match &self.timestamp_token {
            Some(t) => {
                fs::write(&tsr, t).map_err(DepositError::io("writing", &tsr))?;
                Ok(vec![path.to_path_buf(), tsr])
            }
            None => {
                if tsr.exists() {
                    fs::remove_file(&tsr).map_err(DepositError::io("removing", &tsr))?;
                }
                Ok(vec![path.to_path_buf()])
            }
        }
    }

    /// The token's time, if there is a token that parses.
    pub fn timestamp_info(&self) -> Option<tsa::TokenInfo> {
        self.timestamp_token
            .as_deref()
            .and_then(|t| tsa::parse_token(t).ok())
            .map(|(_, i)| i)
    }
}

/// A verifier key given as text or as a file holding it.
///
/// # Errors
/// [`DepositError::Key`] naming `what`.
pub fn read_verifier_key(arg: &str, what: &str) -> Result<VerifierKey, DepositError> {
    let text = fs::read_to_string(arg).unwrap_or_else(|_| arg.to_owned());
    VerifierKey::parse(text.trim())
        .map_err(|e| DepositError::Key(format!("{what} {arg:?} is not a verifier key: {e}")))
}

/// What [`verify`] checks against.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The log's verifier key.
    pub log_key: VerifierKey,
    /// Witness keys of the policy.
    pub witness_keys: Vec<VerifierKey>,
    /// Cosignatures required.
    pub threshold: usize,
    /// TSA (or CA) certificate, PEM: the timestamp token is then required
    /// and its signature checked.
    pub tsa_cert: Option<PathBuf>,
    /// Token file (default: `<receipt>.tsr` when it exists).
    pub tsa_token: Option<PathBuf>,
}

/// One check made by [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub check: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found (or why it failed).
    pub detail: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Everything checked.
    pub ok: bool,
    /// The entry index from the receipt.
    pub index: Option<u64>,
    /// The entry metadata from the receipt.
    pub entry: Option<DepositEntry>,
    /// Valid witness cosignatures (name, time).
    pub cosignatures: Vec<(String, u64)>,
    /// The timestamp token's genTime, when verified.
    pub timestamp: Option<String>,
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

/// Verifies a receipt offline: the entry metadata, the log signature, the
/// cosignatures against the policy, the inclusion proof, optionally the
/// file's SHA-256 and size, and the timestamp token (imprint always when a
/// token is present; signature and chain with `tsa_cert`).
///
/// # Errors
/// Only for unusable arguments (unreadable receipt or file); failed checks
/// are in the [`VerifyReport`].
pub fn verify(
    receipt: &Path,
    file: Option<&Path>,
    opts: &VerifyOptions,
) -> Result<VerifyReport, DepositError> {
    let bytes = fs::read(receipt).map_err(DepositError::io("cannot read", receipt))?;
    let mut report = VerifyReport {
        ok: false,
        index: None,
        entry: None,
        cosignatures: Vec::new(),
        timestamp: None,
        checks: Vec::new(),
    };
    let fail = |report: &mut VerifyReport, detail: String| {
        report.checks.push(Check {
            check: "receipt",
            ok: false,
            detail,
        });
    };
    let proof = match TlogProof::parse(&bytes) {
        Ok(p) => p,
        Err(e) => {
            fail(&mut report, format!("malformed receipt: {e}"));
            return Ok(report);
        }
    };
    report.index = Some(proof.index);
    let Some(extra) = proof.extra.clone() else {
        fail(
            &mut report,
            "malformed receipt: no entry metadata (extra line)".into(),
        );
        return Ok(report);
    };
    let entry = match DepositEntry::from_bytes(&extra) {
        Ok(e) => e,
        Err(e) => {
            fail(
                &mut report,
                format!("malformed receipt: entry metadata: {e}"),
            );
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
    let threshold = opts.threshold;
    match verify_proof(
        &proof,
        Leaf::Data(&extra),
        &opts.log_key,
        &opts.witness_keys,
        threshold,
    ) {
        Ok(v) => {
            report.cosignatures = v
                .cosignatures
                .iter()
                .map(|c| (c.name.clone(), c.timestamp))
                .collect();
            report.checks.push(Check {
                check: "log proof",
                ok: true,
                detail: format!(
                    "checkpoint signed by {}+{:08x}, size {}; {} of {} witness cosignatures (policy {threshold}); inclusion of leaf {} at index {}",
                    opts.log_key.name(),
                    opts.log_key.key_id(),
                    v.checkpoint.size,
                    v.cosignatures.len(),
                    opts.witness_keys.len(),
                    hex::encode(v.leaf_hash),
                    v.index
                ),
            });
        }
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
    let token_file = opts
        .tsa_token
        .clone()
        .unwrap_or_else(|| token_path(receipt));
    let token = read_optional(&token_file)?;
    let leaf = leaf_hash(&extra);
    match (&token, &opts.tsa_cert) {
        (None, None) => {}
        (None, Some(_)) => report.checks.push(Check {
            check: "timestamp",
            ok: false,
            detail: format!(
                "timestamp: no RFC 3161 token ({} not found)",
                token_file.display()
            ),
        }),
        (Some(t), None) => match tsa::check_imprint(t, &leaf) {
            Ok(i) => {
                report.checks.push(Check {
                    check: "timestamp",
                    ok: true,
                    detail: format!(
                        "token over the leaf hash, genTime {} (signature not checked: give --tsa-cert)",
                        i.gen_time_utc
                    ),
                });
            }
            Err(e) => report.checks.push(Check {
                check: "timestamp",
                ok: false,
                detail: format!("timestamp: {e}"),
            }),
        },
        (Some(t), Some(cert)) => match tsa::verify_token(t, &leaf, cert) {
            Ok(i) => {
                report.timestamp = Some(i.gen_time_utc.clone());
                report.checks.push(Check {
                    check: "timestamp",
                    ok: true,
                    detail: format!(
                        "RFC 3161 token over the leaf hash, genTime {}, signed by a TSA chaining to {}",
                        i.gen_time_utc,
                        cert.display()
                    ),
                });
            }
            Err(e) => report.checks.push(Check {
                check: "timestamp",
                ok: false,
                detail: format!("timestamp: {e}"),
            }),
        },
    }
    report.entry = Some(entry);
    report.ok = report.checks.iter().all(|c| c.ok);
    Ok(report)
}
