//! C2SP tlog-proof (<https://c2sp.org/tlog-proof>, `c2sp.org/tlog-proof@v1`):
//! an offline-verifiable proof that an entry is in a log, and an offline
//! verifier against a log key and an m-of-n witness policy.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64 opaque data>]
//! index <decimal, no leading zeroes>
//! <base64 hash>*            (inclusion proof, leaf's sibling first)
//!
//! <signed checkpoint note, verbatim, with cosignatures>
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use thiserror::Error;

use crate::checkpoint::{decode_hash, Checkpoint, CheckpointError};
use crate::merkle::{leaf_hash, verify_inclusion, Hash, InclusionError};
use crate::note::{KeyType, NoteError, SignedNote, VerifierKey};

/// First line of a v1 proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A parsed tlog-proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Optional opaque, unauthenticated extra data (`extra` line).
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry in the log.
    pub index: u64,
    /// Inclusion proof hashes, from the leaf's sibling up to the root's child.
    pub inclusion: Vec<Hash>,
    /// The signed checkpoint note, verbatim (text, blank line, signature lines).
    pub checkpoint: String,
}

/// Why a proof file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofParseError {
    /// The proof is not valid UTF-8.
    #[error("proof is not valid UTF-8")]
    NotUtf8,
    /// The first line is not `c2sp.org/tlog-proof@v1`.
    #[error("first line is not {HEADER}")]
    MissingHeader,
    /// The `extra` data is not valid standard base64.
    #[error("extra data is not valid base64")]
    InvalidExtra,
    /// The `index` line is missing.
    #[error("missing 'index' line")]
    MissingIndex,
    /// The index is not a decimal without leading zeroes fitting in `u64`.
    #[error("index {0:?} is not a canonical decimal u64")]
    InvalidIndex(String),
    /// An inclusion proof line is not base64 of 32 bytes.
    #[error("inclusion proof line {line} is not base64 of a 32-byte hash")]
    InvalidHash {
        /// 1-based number of the hash among the proof hashes.
        line: usize,
    },
    /// No empty line separates the proof hashes from the checkpoint.
    #[error("no empty line before the checkpoint")]
    MissingCheckpoint,
}

fn next_line(rest: &mut &str) -> Option<String> {
    let (line, tail) = rest.split_once('\n')?;
    *rest = tail;
    Some(line.to_owned())
}

fn parse_decimal_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl TlogProof {
    /// Parses a `.tlog-proof` file (tlog-proof §Format). The checkpoint part
    /// is kept verbatim and only checked by [`verify_proof`].
    ///
    /// # Errors
    /// One [`ProofParseError`] variant per rule broken.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProofParseError> {
        let s = std::str::from_utf8(bytes).map_err(|_| ProofParseError::NotUtf8)?;
        let mut rest = s
            .strip_prefix(HEADER)
            .and_then(|r| r.strip_prefix('\n'))
            .ok_or(ProofParseError::MissingHeader)?;
        let mut line = next_line(&mut rest).ok_or(ProofParseError::MissingIndex)?;
        let mut extra = None;
        if let Some(e) = line.strip_prefix("extra ") {
            extra = Some(B64.decode(e).map_err(|_| ProofParseError::InvalidExtra)?);
            line = next_line(&mut rest).ok_or(ProofParseError::MissingIndex)?;
        }
        let idx = line
            .strip_prefix("index ")
            .ok_or(ProofParseError::MissingIndex)?;
        let index =
            parse_decimal_u64(idx).ok_or_else(|| ProofParseError::InvalidIndex(idx.to_owned()))?;
        let mut inclusion = Vec::new();
        loop {
            let line = next_line(&mut rest).ok_or(ProofParseError::MissingCheckpoint)?;
            if line.is_empty() {
                break;
            }
            let h = decode_hash(&line).ok_or(ProofParseError::InvalidHash {
                line: inclusion.len() + 1,
            })?;
            inclusion.push(h);
        }
        Ok(Self {
            extra,
            index,
            inclusion,
            checkpoint: rest.to_owned(),
        })
    }

    /// Serialises the proof file.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(64 + 45 * self.inclusion.len() + self.checkpoint.len());
        out.push_str(HEADER);
        out.push('\n');
        if let Some(e) = &self.extra {
            out.push_str("extra ");
            out.push_str(&B64.encode(e));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.inclusion {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }
}

impl fmt::Display for TlogProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// The entry whose inclusion is checked: its bytes, or its RFC 6962 leaf hash.
#[derive(Debug, Clone, Copy)]
pub enum Leaf<'a> {
    /// The entry bytes; hashed as `SHA-256(0x00 ‖ data)`.
    Data(&'a [u8]),
    /// The leaf hash `SHA-256(0x00 ‖ data)` itself.
    Hash(&'a Hash),
}

/// A witness cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessCosignature {
    /// Witness key name.
    pub name: String,
    /// Witness key ID.
    pub key_id: u32,
    /// Cosignature time, POSIX seconds.
    pub timestamp: u64,
}

/// What a successful [`verify_proof`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The checkpoint, signed by the log.
    pub checkpoint: Checkpoint,
    /// Entry index.
    pub index: u64,
    /// Leaf hash proven included.
    pub leaf_hash: Hash,
    /// Valid cosignatures by policy witnesses (at least the threshold).
    pub cosignatures: Vec<WitnessCosignature>,
    /// Earliest cosignature time, if any: the entry existed by then.
    pub earliest_cosignature: Option<u64>,
    /// The unauthenticated extra data, if present.
    pub extra: Option<Vec<u8>>,
}

/// Why [`verify_proof`] rejected a proof. Each check has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    /// The policy is unusable: log key not of type `0x01`, a witness key not of
    /// type `0x04`, or a threshold above the number of witnesses.
    #[error("invalid verification policy: {0}")]
    InvalidPolicy(String),
    /// The checkpoint part is not a well-formed signed note.
    #[error("checkpoint note is malformed: {0}")]
    CheckpointNoteMalformed(#[source] NoteError),
    /// No signature line by the log key (wrong log, or a swapped key).
    #[error("checkpoint carries no signature by log key {name}+{key_id:08x}")]
    LogSignatureMissing {
        /// Log key name.
        name: String,
        /// Log key ID.
        key_id: u32,
    },
    /// The log's signature does not verify (checkpoint or signature altered).
    #[error("log signature on the checkpoint is invalid")]
    LogSignatureInvalid,
    /// The log key signed the checkpoint more than once.
    #[error("log key signed the checkpoint more than once")]
    LogSignatureDuplicated,
    /// The signed checkpoint text is not a valid checkpoint.
    #[error("checkpoint body is malformed: {0}")]
    CheckpointMalformed(#[source] CheckpointError),
    /// The checkpoint origin differs from the log key name.
    #[error("checkpoint origin {found:?} is not the log's {expected:?}")]
    OriginMismatch {
        /// The log key name.
        expected: String,
        /// The checkpoint origin.
        found: String,
    },
    /// A policy witness's cosignature does not verify.
    #[error("cosignature by witness {name}+{key_id:08x} is invalid")]
    CosignatureInvalid {
        /// Witness key name.
        name: String,
        /// Witness key ID.
        key_id: u32,
    },
    /// A policy witness cosigned more than once.
    #[error("witness {name}+{key_id:08x} cosigned more than once")]
    CosignatureDuplicated {
        /// Witness key name.
        name: String,
        /// Witness key ID.
        key_id: u32,
    },
    /// Fewer valid cosignatures from policy witnesses than the threshold.
    #[error("{valid} valid witness cosignatures, policy requires {required}")]
    InsufficientCosignatures {
        /// Threshold.
        required: usize,
        /// Valid cosignatures found.
        valid: usize,
    },
    /// The inclusion proof does not prove the leaf under the checkpoint root.
    #[error("inclusion proof rejected: {0}")]
    Inclusion(#[source] InclusionError),
}

/// Verifies a tlog-proof offline (tlog-proof, tlog-checkpoint,
/// tlog-cosignature, RFC 9162 §2.1.3.2), in this order:
///
/// 1. policy sanity (`log_key` of type `0x01`, `witnesses` of type `0x04`,
///    `threshold ≤ witnesses.len()`);
/// 2. the checkpoint note parses and carries exactly one valid signature by
///    `log_key` (unknown signatures are ignored);
/// 3. the checkpoint body parses and its origin equals the log key name;
/// 4. every cosignature by a policy witness verifies, and at least
///    `threshold` distinct witnesses cosigned;
/// 5. the inclusion proof places `leaf` at `proof.index` under the root.
///
/// # Errors
/// The [`ProofError`] variant of the first check that fails.
pub fn verify_proof(
    proof: &TlogProof,
    leaf: Leaf<'_>,
    log_key: &VerifierKey,
    witnesses: &[VerifierKey],
    threshold: usize,
) -> Result<VerifiedProof, ProofError> {
    if log_key.key_type() != KeyType::Ed25519 {
        return Err(ProofError::InvalidPolicy(format!(
            "log key {} is not an Ed25519 (0x01) key",
            log_key.name()
        )));
    }
    if let Some(w) = witnesses
        .iter()
        .find(|w| w.key_type() != KeyType::CosignatureV1)
    {
        return Err(ProofError::InvalidPolicy(format!(
            "witness key {} is not a cosignature/v1 (0x04) key",
            w.name()
        )));
    }
    if threshold > witnesses.len() {
        return Err(ProofError::InvalidPolicy(format!(
            "threshold {threshold} exceeds the {} witnesses",
            witnesses.len()
        )));
    }

    let note = SignedNote::parse(proof.checkpoint.as_bytes())
        .map_err(ProofError::CheckpointNoteMalformed)?;
    match note.verify(std::slice::from_ref(log_key)) {
        Ok(_) => {}
        Err(NoteError::NoKnownSignature) => {
            return Err(ProofError::LogSignatureMissing {
                name: log_key.name().to_owned(),
                key_id: log_key.key_id(),
            })
        }
        Err(NoteError::DuplicateSignature { .. }) => {
            return Err(ProofError::LogSignatureDuplicated)
        }
        Err(_) => return Err(ProofError::LogSignatureInvalid),
    }

    let checkpoint = Checkpoint::parse(&note.text).map_err(ProofError::CheckpointMalformed)?;
    if checkpoint.origin != log_key.name() {
        return Err(ProofError::OriginMismatch {
            expected: log_key.name().to_owned(),
            found: checkpoint.origin,
        });
    }

    // Deduplicate identical witness keys so the policy counts each once.
    let mut policy: Vec<VerifierKey> = Vec::with_capacity(witnesses.len());
    for w in witnesses {
        if !policy.contains(w) {
            policy.push(w.clone());
        }
    }
    let cos = note.verify_known(&policy).map_err(|e| match e {
        NoteError::InvalidSignature { name, key_id } => {
            ProofError::CosignatureInvalid { name, key_id }
        }
        NoteError::DuplicateSignature { name, key_id } => {
            ProofError::CosignatureDuplicated { name, key_id }
        }
        other => ProofError::InvalidPolicy(other.to_string()),
    })?;
    let cosignatures: Vec<WitnessCosignature> = cos
        .verified
        .iter()
        .filter_map(|v| {
            v.timestamp.map(|timestamp| WitnessCosignature {
                name: v.name.clone(),
                key_id: v.key_id,
                timestamp,
            })
        })
        .collect();
    if cosignatures.len() < threshold {
        return Err(ProofError::InsufficientCosignatures {
            required: threshold,
            valid: cosignatures.len(),
        });
    }

    let leaf_hash = match leaf {
        Leaf::Data(d) => leaf_hash(d),
        Leaf::Hash(h) => *h,
    };
    verify_inclusion(
        proof.index,
        checkpoint.size,
        &leaf_hash,
        &proof.inclusion,
        &checkpoint.root,
    )
    .map_err(ProofError::Inclusion)?;

    let earliest_cosignature = cosignatures.iter().map(|c| c.timestamp).min();
    Ok(VerifiedProof {
        checkpoint,
        index: proof.index,
        leaf_hash,
        cosignatures,
        earliest_cosignature,
        extra: proof.extra.clone(),
    })
}
