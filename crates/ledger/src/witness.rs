//! C2SP tlog-witness (<https://c2sp.org/tlog-witness>): the protocol logic of
//! a witness's `add-checkpoint` call, without HTTP (the hub mounts it).
//!
//! Spec text read: C2SP/C2SP `tlog-witness.md@055270b59288` and
//! `@8d7756274916` (same rules; the later one cites c2sp.org/merkle-tree
//! instead of RFC 6962 §2.1.2 for consistency proofs).
//!
//! Request body of `POST <submission prefix>/add-checkpoint`
//! (tlog-witness §add-checkpoint):
//!
//! ```text
//! old <size, decimal, no leading zeroes>
//! <base64 hash>*            (consistency proof, at most 63 lines)
//!
//! <signed checkpoint note>
//! ```
//!
//! A [`Witness`] holds its own cosignature key (type `0x04`,
//! c2sp.org/tlog-cosignature), the logs it knows (origin → log keys) and,
//! behind the [`WitnessState`] trait, the latest cosigned `(size, root)` per
//! origin, updated by compare-and-swap so that checking the old size and
//! persisting the new checkpoint are atomic, as the spec requires.
//!
//! [`WitnessPolicy`] is the hub's side: m-of-n cosignatures make a
//! checkpoint final; proofs are verified with [`crate::proof::verify_proof`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use thiserror::Error;

use crate::checkpoint::{decode_hash, Checkpoint, CheckpointError};
use crate::cosig::{cosign, CosigError};
use crate::merkle::{verify_consistency, ConsistencyError, Hash};
use crate::note::{KeyType, NoteError, NoteSignature, SignedNote, SignerKey, VerifierKey};
use crate::proof::{verify_proof, Leaf, ProofError, TlogProof, VerifiedProof, WitnessCosignature};

/// Most consistency proof lines a client may send (tlog-witness §add-checkpoint).
pub const MAX_PROOF_LINES: usize = 63;

/// `Content-Type` of a 409 Conflict response body (tlog-witness §add-checkpoint).
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why an `add-checkpoint` request body is malformed (all are 400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestParseError {
    /// The body is not valid UTF-8.
    #[error("request body is not valid UTF-8")]
    NotUtf8,
    /// The body has no newline-terminated first line.
    #[error("request body does not start with a newline-terminated 'old <size>' line")]
    MissingOldLine,
    /// The first line does not start with `old ` (one space).
    #[error("first line {0:?} is not 'old <size>'")]
    InvalidOldLine(String),
    /// The old size is not an ASCII decimal without leading zeroes fitting in `u64`.
    #[error("old size {0:?} is not a canonical decimal u64")]
    InvalidOldSize(String),
    /// A consistency proof line is not standard base64 of a 32-byte hash.
    #[error("line {line}: consistency proof line is not base64 of a 32-byte hash")]
    InvalidProofHash {
        /// 1-based line number in the body.
        line: usize,
    },
    /// More than [`MAX_PROOF_LINES`] consistency proof lines.
    #[error("more than {max} consistency proof lines")]
    TooManyProofLines {
        /// The limit.
        max: usize,
    },
    /// No empty line ends the proof lines.
    #[error("no empty line separates the consistency proof from the checkpoint")]
    MissingBlankLine,
    /// Old size zero with a non-empty proof (the proof MUST be empty).
    #[error("old size is 0 but {got} consistency proof lines were sent (must be empty)")]
    ProofNotEmptyForOldSizeZero {
        /// Proof lines sent.
        got: usize,
    },
    /// The checkpoint is not a well-formed signed note.
    #[error("checkpoint note: {0}")]
    Note(#[source] NoteError),
    /// The signed note text is not a valid checkpoint.
    #[error("checkpoint body: {0}")]
    Checkpoint(#[source] CheckpointError),
}

/// A parsed `add-checkpoint` request (tlog-witness §add-checkpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    old_size: u64,
    proof: Vec<Hash>,
    note: SignedNote,
    checkpoint: Checkpoint,
}

fn parse_decimal_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl AddCheckpointRequest {
    /// Builds a request; checks the proof length rules and that the note
    /// text is a valid checkpoint.
    ///
    /// # Errors
    /// [`RequestParseError::TooManyProofLines`],
    /// [`RequestParseError::ProofNotEmptyForOldSizeZero`],
    /// [`RequestParseError::Checkpoint`].
    pub fn new(
        old_size: u64,
        proof: Vec<Hash>,
        note: SignedNote,
    ) -> Result<Self, RequestParseError> {
        if proof.len() > MAX_PROOF_LINES {
            return Err(RequestParseError::TooManyProofLines {
                max: MAX_PROOF_LINES,
            });
        }
        if old_size == 0 && !proof.is_empty() {
            return Err(RequestParseError::ProofNotEmptyForOldSizeZero { got: proof.len() });
        }
        let checkpoint = Checkpoint::parse(&note.text).map_err(RequestParseError::Checkpoint)?;
        Ok(Self {
            old_size,
            proof,
            note,
            checkpoint,
        })
    }

    /// Parses a request body strictly: every line newline-terminated, `old`
    /// and one space then a canonical decimal, at most 63 proof lines of
    /// canonical base64 of 32 bytes, an empty line, then a signed note
    /// (c2sp.org/signed-note) whose text is a checkpoint
    /// (c2sp.org/tlog-checkpoint). The proof must be empty for old size 0.
    ///
    /// # Errors
    /// The [`RequestParseError`] variant of the first rule broken.
    pub fn parse(body: &[u8]) -> Result<Self, RequestParseError> {
        let s = std::str::from_utf8(body).map_err(|_| RequestParseError::NotUtf8)?;
        let (first, mut rest) = s
            .split_once('\n')
            .ok_or(RequestParseError::MissingOldLine)?;
        let size = first
            .strip_prefix("old ")
            .ok_or_else(|| RequestParseError::InvalidOldLine(first.to_owned()))?;
        let old_size = parse_decimal_u64(size)
            .ok_or_else(|| RequestParseError::InvalidOldSize(size.to_owned()))?;
        let mut proof = Vec::new();
        let mut line_no = 1;
        loop {
            line_no += 1;
            let (line, tail) = rest
                .split_once('\n')
                .ok_or(RequestParseError::MissingBlankLine)?;
            rest = tail;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestParseError::TooManyProofLines {
                    max: MAX_PROOF_LINES,
                });
            }
            let h =
                decode_hash(line).ok_or(RequestParseError::InvalidProofHash { line: line_no })?;
            proof.push(h);
        }
        if old_size == 0 && !proof.is_empty() {
            return Err(RequestParseError::ProofNotEmptyForOldSizeZero { got: proof.len() });
        }
        let note = SignedNote::parse(rest.as_bytes()).map_err(RequestParseError::Note)?;
        Self::new(old_size, proof, note)
    }

    /// Formats the request body (the inverse of [`AddCheckpointRequest::parse`]).
    pub fn to_text(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.note.to_text());
        out
    }

    /// Tree size of the client's previous checkpoint.
    pub fn old_size(&self) -> u64 {
        self.old_size
    }

    /// Consistency proof from the old size to the checkpoint size.
    pub fn proof(&self) -> &[Hash] {
        &self.proof
    }

    /// The signed checkpoint note.
    pub fn note(&self) -> &SignedNote {
        &self.note
    }

    /// The parsed checkpoint body.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
}

impl fmt::Display for AddCheckpointRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// The witness's record of a log: the latest cosigned checkpoint's size and root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogState {
    /// Tree size of the latest cosigned checkpoint.
    pub size: u64,
    /// Its root hash.
    pub root: Hash,
}

/// Result of [`WitnessState::compare_and_swap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasOutcome {
    /// The record equalled `expected` and now holds the new state.
    Swapped,
    /// The record did not equal `expected`; nothing was written.
    Mismatch {
        /// The record as found.
        current: Option<LogState>,
    },
}

/// Storage of the latest cosigned checkpoint per origin. Implementations
/// must make [`compare_and_swap`](WitnessState::compare_and_swap) atomic
/// and durable before returning [`CasOutcome::Swapped`] (tlog-witness
/// §add-checkpoint: "MUST persist the new checkpoint before responding",
/// check and update "performed atomically").
pub trait WitnessState {
    /// Storage failure.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The record for `origin`, `None` if the witness never cosigned for it.
    ///
    /// # Errors
    /// A storage failure.
    fn get(&self, origin: &str) -> Result<Option<LogState>, Self::Error>;

    /// Atomically replaces the record for `origin` by `new` if it equals `expected`.
    ///
    /// # Errors
    /// A storage failure.
    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<LogState>,
        new: LogState,
    ) -> Result<CasOutcome, Self::Error>;
}

/// In-memory [`WitnessState`] (tests, or a witness that may forget on restart).
#[derive(Debug, Default)]
pub struct MemoryWitnessState {
    logs: Mutex<HashMap<String, LogState>>,
}

impl MemoryWitnessState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }
}

impl WitnessState for MemoryWitnessState {
    type Error = std::convert::Infallible;

    fn get(&self, origin: &str) -> Result<Option<LogState>, Self::Error> {
        let logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(logs.get(origin).copied())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<LogState>,
        new: LogState,
    ) -> Result<CasOutcome, Self::Error> {
        let mut logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        let current = logs.get(origin).copied();
        if current != expected {
            return Ok(CasOutcome::Mismatch { current });
        }
        logs.insert(origin.to_owned(), new);
        Ok(CasOutcome::Swapped)
    }
}

/// Why a witness could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WitnessConfigError {
    /// The witness key is not a cosignature/v1 (`0x04`) key.
    #[error("witness key must be a cosignature/v1 (0x04) key, got {0:?}")]
    WitnessKeyType(KeyType),
    /// A log key is not an Ed25519 (`0x01`) key.
    #[error("log key for {origin:?} must be an Ed25519 (0x01) key, got {key_type:?}")]
    LogKeyType {
        /// The log origin.
        origin: String,
        /// The key's type.
        key_type: KeyType,
    },
    /// The origin is empty or contains a control character (tlog-checkpoint §"Note text").
    #[error("invalid log origin {0:?}")]
    InvalidOrigin(String),
}

/// Why `add-checkpoint` refused; [`WitnessError::http_status`] gives the
/// status code tlog-witness §add-checkpoint requires.
#[derive(Debug, Error)]
pub enum WitnessError {
    /// The request body is malformed (400).
    #[error("malformed add-checkpoint request: {0}")]
    Request(#[from] RequestParseError),
    /// The checkpoint origin is not a log the witness knows (404).
    #[error("unknown log origin {origin:?}")]
    UnknownLog {
        /// The checkpoint origin.
        origin: String,
    },
    /// No valid signature by a trusted key of the log (403); `source` says
    /// why (no known signature, an invalid one, a duplicated one).
    #[error("checkpoint for {origin:?} is not validly signed by the log: {source}")]
    LogSignature {
        /// The checkpoint origin.
        origin: String,
        /// The note verification failure.
        #[source]
        source: NoteError,
    },
    /// The old size is larger than the checkpoint size (400).
    #[error("old size {old_size} exceeds checkpoint size {checkpoint_size}")]
    OldSizeExceedsCheckpointSize {
        /// Old size in the request.
        old_size: u64,
        /// Checkpoint size.
        checkpoint_size: u64,
    },
    /// The old size is not the size of the latest checkpoint the witness
    /// cosigned for this origin (409; body: `witness_size` and a newline).
    #[error(
        "old size {old_size} does not match the latest cosigned size {witness_size} of {origin:?}"
    )]
    OldSizeMismatch {
        /// The checkpoint origin.
        origin: String,
        /// Old size in the request.
        old_size: u64,
        /// Size of the latest checkpoint the witness cosigned (0 if none).
        witness_size: u64,
    },
    /// The consistency proof does not verify (422): possible log misbehaviour.
    #[error(
        "consistency proof from size {old_size} to {checkpoint_size} does not verify: {source}"
    )]
    InconsistentProof {
        /// Old size.
        old_size: u64,
        /// Checkpoint size.
        checkpoint_size: u64,
        /// The failed check.
        #[source]
        source: ConsistencyError,
    },
    /// Same size as the latest cosigned checkpoint but a different root: a
    /// fork (409; body: the witness's size and a newline).
    #[error(
        "fork: checkpoint of {origin:?} at size {size} has a root different from the one cosigned"
    )]
    RootMismatch {
        /// The checkpoint origin.
        origin: String,
        /// The common size.
        size: u64,
    },
    /// The cosignature could not be made (500).
    #[error("cosigning failed: {0}")]
    Cosign(#[from] CosigError),
    /// The witness state failed (500).
    #[error("witness state: {0}")]
    State(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WitnessError {
    /// HTTP status code for this refusal (tlog-witness §add-checkpoint):
    /// 400 malformed request or old size above checkpoint size, 403 no valid
    /// log signature, 404 unknown origin, 409 old size mismatch or same-size
    /// fork, 422 consistency proof not verifying, 500 witness failures.
    pub fn http_status(&self) -> u16 {
        match self {
            WitnessError::Request(_) | WitnessError::OldSizeExceedsCheckpointSize { .. } => 400,
            WitnessError::LogSignature { .. } => 403,
            WitnessError::UnknownLog { .. } => 404,
            WitnessError::OldSizeMismatch { .. } | WitnessError::RootMismatch { .. } => 409,
            WitnessError::InconsistentProof { .. } => 422,
            WitnessError::Cosign(_) | WitnessError::State(_) => 500,
        }
    }

    /// For 409 Conflict, the response body: the witness's latest cosigned
    /// size in decimal and a newline, with `Content-Type`
    /// [`SIZE_CONTENT_TYPE`] (tlog-witness §add-checkpoint). `None` otherwise.
    pub fn conflict_body(&self) -> Option<String> {
        match self {
            WitnessError::OldSizeMismatch { witness_size, .. } => Some(format!("{witness_size}\n")),
            WitnessError::RootMismatch { size, .. } => Some(format!("{size}\n")),
            _ => None,
        }
    }
}

/// A tlog-witness: its cosignature key, the logs it knows and its state.
pub struct Witness<S> {
    key: SignerKey,
    logs: BTreeMap<String, Vec<VerifierKey>>,
    state: S,
}

impl<S> fmt::Debug for Witness<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.key)
            .field("logs", &self.logs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<S: WitnessState> Witness<S> {
    /// A witness cosigning with `key` (type `0x04`), knowing no log yet.
    ///
    /// # Errors
    /// [`WitnessConfigError::WitnessKeyType`].
    pub fn new(key: SignerKey, state: S) -> Result<Self, WitnessConfigError> {
        if key.key_type() != KeyType::CosignatureV1 {
            return Err(WitnessConfigError::WitnessKeyType(key.key_type()));
        }
        Ok(Self {
            key,
            logs: BTreeMap::new(),
            state,
        })
    }

    /// Trusts `key` (type `0x01`) for checkpoints with this origin. Several
    /// keys may be trusted for one origin (tlog-witness: "the public key(s)
    /// it trusts for the checkpoint origin").
    ///
    /// # Errors
    /// [`WitnessConfigError::InvalidOrigin`], [`WitnessConfigError::LogKeyType`].
    pub fn add_log(&mut self, origin: &str, key: VerifierKey) -> Result<(), WitnessConfigError> {
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(WitnessConfigError::InvalidOrigin(origin.to_owned()));
        }
        if key.key_type() != KeyType::Ed25519 {
            return Err(WitnessConfigError::LogKeyType {
                origin: origin.to_owned(),
                key_type: key.key_type(),
            });
        }
        let keys = self.logs.entry(origin.to_owned()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
        Ok(())
    }

    /// The witness's public cosignature key.
    pub fn verifier_key(&self) -> VerifierKey {
        self.key.verifier_key()
    }

    /// The witness state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Handles `add-checkpoint` (tlog-witness §add-checkpoint), checking in
    /// the spec's order: known origin (404), a valid log signature, signatures
    /// by unknown keys ignored (403), old size ≤ checkpoint size (400), old
    /// size = latest cosigned size, 0 if none (409), the consistency proof
    /// (422), same size ⇒ same root (409, a fork). Then it cosigns at
    /// `now_unix_seconds` (c2sp.org/tlog-cosignature, `cosignature/v1`),
    /// records the checkpoint by compare-and-swap (a concurrent update gives
    /// 409) and returns the cosignature line.
    ///
    /// A checkpoint smaller than the recorded one is always refused: either
    /// its old size is the recorded size (400, old > new) or it is not (409).
    ///
    /// # Errors
    /// See [`WitnessError`].
    pub fn add_checkpoint(
        &self,
        request: &AddCheckpointRequest,
        now_unix_seconds: u64,
    ) -> Result<NoteSignature, WitnessError> {
        let cp = request.checkpoint();
        let origin = &cp.origin;
        let keys = self
            .logs
            .get(origin)
            .ok_or_else(|| WitnessError::UnknownLog {
                origin: origin.clone(),
            })?;
        request
            .note()
            .verify(keys)
            .map_err(|source| WitnessError::LogSignature {
                origin: origin.clone(),
                source,
            })?;
        let old_size = request.old_size();
        if old_size > cp.size {
            return Err(WitnessError::OldSizeExceedsCheckpointSize {
                old_size,
                checkpoint_size: cp.size,
            });
        }
        let current = self
            .state
            .get(origin)
            .map_err(|e| WitnessError::State(Box::new(e)))?;
        let witness_size = current.map_or(0, |c| c.size);
        if old_size != witness_size {
            return Err(WitnessError::OldSizeMismatch {
                origin: origin.clone(),
                old_size,
                witness_size,
            });
        }
        match current {
            Some(c) if c.size == cp.size => {
                if c.root != cp.root {
                    return Err(WitnessError::RootMismatch {
                        origin: origin.clone(),
                        size: c.size,
                    });
                }
                if !request.proof().is_empty() {
                    return Err(WitnessError::InconsistentProof {
                        old_size,
                        checkpoint_size: cp.size,
                        source: ConsistencyError::ProofNotEmpty {
                            old_size,
                            new_size: cp.size,
                            got: request.proof().len(),
                        },
                    });
                }
            }
            Some(c) => verify_consistency(c.size, cp.size, &c.root, &cp.root, request.proof())
                .map_err(|source| WitnessError::InconsistentProof {
                    old_size,
                    checkpoint_size: cp.size,
                    source,
                })?,
            // Never cosigned: old size is 0 and the proof empty (checked at parse).
            None => {}
        }
        // Cosign before recording, so nothing is recorded if signing fails.
        let line = cosign(&request.note().text, now_unix_seconds, &self.key)?;
        let new = LogState {
            size: cp.size,
            root: cp.root,
        };
        match self
            .state
            .compare_and_swap(origin, current, new)
            .map_err(|e| WitnessError::State(Box::new(e)))?
        {
            CasOutcome::Swapped => Ok(line),
            CasOutcome::Mismatch { current } => Err(WitnessError::OldSizeMismatch {
                origin: origin.clone(),
                old_size,
                witness_size: current.map_or(0, |c| c.size),
            }),
        }
    }

    /// Parses a request body and handles it, returning the 200 response
    /// body: the cosignature line (`— <name> <base64>` and a newline).
    ///
    /// # Errors
    /// See [`WitnessError`].
    pub fn handle_add_checkpoint(
        &self,
        body: &[u8],
        now_unix_seconds: u64,
    ) -> Result<String, WitnessError> {
        let request = AddCheckpointRequest::parse(body)?;
        Ok(self.add_checkpoint(&request, now_unix_seconds)?.to_line())
    }
}

/// Why a witness response could not be merged into a checkpoint note.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    /// The response is not a sequence of note signature lines.
    #[error("witness response is not a sequence of signature lines")]
    NotSignatureLines,
    /// The signature lines, appended to the checkpoint, do not verify.
    #[error("witness response: {0}")]
    Note(#[source] NoteError),
}

/// Appends to `note` the cosignatures in a 200 `add-checkpoint` response
/// body by the given `witnesses` keys, after verifying them (tlog-witness
/// §add-checkpoint: concatenate to the checkpoint, verify with the trusted
/// witness keys, move the valid signatures). Signatures by unknown keys are
/// ignored; a witness that already cosigned `note` is not added twice.
/// Returns how many lines were added.
///
/// # Errors
/// [`ResponseError::NotSignatureLines`]; [`ResponseError::Note`] if no line
/// is by a known witness or one does not verify.
pub fn add_cosignatures(
    note: &mut SignedNote,
    response_body: &str,
    witnesses: &[VerifierKey],
) -> Result<usize, ResponseError> {
    let combined = format!("{}\n{}", note.text, response_body);
    let parsed = SignedNote::parse(combined.as_bytes()).map_err(|e| match e {
        NoteError::MalformedSignatureLine { .. }
        | NoteError::UnterminatedSignatureLine
        | NoteError::NoSignatures => ResponseError::NotSignatureLines,
        other => ResponseError::Note(other),
    })?;
    if parsed.text != note.text {
        return Err(ResponseError::NotSignatureLines);
    }
    let verified = parsed.verify(witnesses).map_err(ResponseError::Note)?;
    let mut added = 0;
    for sig in parsed.signatures {
        let known = !verified.unknown.contains(&sig);
        let present = note
            .signatures
            .iter()
            .any(|s| s.name == sig.name && s.key_id == sig.key_id);
        if known && !present {
            note.signatures.push(sig);
            added += 1;
        }
    }
    Ok(added)
}

/// An m-of-n witness policy: a checkpoint is final once `threshold` distinct
/// `witnesses` (type `0x04` keys) cosigned it (c2sp.org/tlog-cosignature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// Cosignatures required (m).
    pub threshold: usize,
    /// Witness keys (n).
    pub witnesses: Vec<VerifierKey>,
}

impl WitnessPolicy {
    fn distinct_witnesses(&self) -> Vec<VerifierKey> {
        let mut keys: Vec<VerifierKey> = Vec::with_capacity(self.witnesses.len());
        for w in &self.witnesses {
            if !keys.contains(w) {
                keys.push(w.clone());
            }
        }
        keys
    }

    /// Whether the policy can ever be met: all keys of type `0x04` and
    /// `threshold` ≤ the number of distinct witnesses.
    pub fn is_satisfiable(&self) -> bool {
        self.witnesses
            .iter()
            .all(|w| w.key_type() == KeyType::CosignatureV1)
            && self.threshold <= self.distinct_witnesses().len()
    }

    /// The valid cosignatures by policy witnesses on `note`. Does not check
    /// the log's signature (see [`WitnessPolicy::verify_proof`]).
    ///
    /// # Errors
    /// [`NoteError::InvalidSignature`] or [`NoteError::DuplicateSignature`]
    /// for a bad or repeated cosignature by a policy witness;
    /// [`NoteError::AmbiguousKey`].
    pub fn cosignatures(&self, note: &SignedNote) -> Result<Vec<WitnessCosignature>, NoteError> {
        let v = note.verify_known(&self.distinct_witnesses())?;
        Ok(v.verified
            .into_iter()
            .filter_map(|s| {
                s.timestamp.map(|timestamp| WitnessCosignature {
                    name: s.name,
                    key_id: s.key_id,
                    timestamp,
                })
            })
            .collect())
    }

    /// Whether `note` carries valid cosignatures by at least `threshold`
    /// distinct policy witnesses (and none invalid). The log's own signature
    /// is not checked here: the hub signed the checkpoint itself.
    pub fn is_final(&self, note: &SignedNote) -> bool {
        self.is_satisfiable()
            && self
                .cosignatures(note)
                .is_ok_and(|c| c.len() >= self.threshold)
    }

    /// Verifies a tlog-proof under this policy with
    /// [`crate::proof::verify_proof`].
    ///
    /// # Errors
    /// See [`ProofError`].
    pub fn verify_proof(
        &self,
        proof: &TlogProof,
        leaf: Leaf<'_>,
        log_key: &VerifierKey,
    ) -> Result<VerifiedProof, ProofError> {
        verify_proof(proof, leaf, log_key, &self.witnesses, self.threshold)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::merkle::{consistency_proof, inclusion_proof, MemoryTree};

    const ORIGIN: &str = "qiantang.example/log";
    const NOW: u64 = 1_780_000_000;

    fn log_key() -> SignerKey {
        SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[1; 32]).unwrap()
    }

    fn witness_key(i: u8) -> SignerKey {
        SignerKey::from_seed(
            &format!("witness{i}.example/w"),
            KeyType::CosignatureV1,
            &[10 + i; 32],
        )
        .unwrap()
    }

    /// A log of `n` entries; entries from `fork_at` on differ (a fork).
    fn tree(n: u64, fork_at: Option<u64>) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            let data = if fork_at.is_some_and(|f| i >= f) {
                format!("forked entry {i}")
            } else {
                format!("entry {i}")
            };
            t.push(data.as_bytes());
        }
        t
    }

    fn signed(t: &MemoryTree, size: u64, key: &SignerKey) -> SignedNote {
        Checkpoint {
            origin: ORIGIN.to_owned(),
            size,
            root: t.root(size).unwrap(),
            extensions: vec![],
        }
        .sign(key)
        .unwrap()
    }

    fn request(t: &MemoryTree, old: u64, new: u64) -> AddCheckpointRequest {
        AddCheckpointRequest::new(
            old,
            consistency_proof(t, old, new).unwrap(),
            signed(t, new, &log_key()),
        )
        .unwrap()
    }

    fn witnesses() -> Vec<Witness<MemoryWitnessState>> {
        (1..=3)
            .map(|i| {
                let mut w = Witness::new(witness_key(i), MemoryWitnessState::new()).unwrap();
                w.add_log(ORIGIN, log_key().verifier_key()).unwrap();
                w
            })
            .collect()
    }

    fn state(w: &Witness<MemoryWitnessState>) -> Option<LogState> {
        w.state().get(ORIGIN).unwrap()
    }

    #[test]
    fn three_witnesses_cosign_consistent_checkpoints() {
        let t = tree(12, None);
        let ws = witnesses();
        for (k, (old, new)) in [(0, 3), (3, 7), (7, 7), (7, 12)].into_iter().enumerate() {
            let req = request(&t, old, new);
            let body = req.to_text();
            for w in &ws {
                let now = NOW + k as u64;
                let resp = w.handle_add_checkpoint(body.as_bytes(), now).unwrap();
                assert!(resp.starts_with("\u{2014} witness") && resp.ends_with('\n'));
                let mut note = req.note().clone();
                assert_eq!(
                    add_cosignatures(&mut note, &resp, &[w.verifier_key()]),
                    Ok(1)
                );
                let v = note.verify(&[w.verifier_key()]).unwrap();
                assert_eq!(v.verified[0].timestamp, Some(now));
                assert_eq!(
                    state(w),
                    Some(LogState {
                        size: new,
                        root: t.root(new).unwrap()
                    })
                );
            }
        }
    }

    #[test]
    fn forked_checkpoint_refused_by_all_witnesses() {
        let honest = tree(12, None);
        let forked = tree(12, Some(5));
        let ws = witnesses();
        for w in &ws {
            w.add_checkpoint(&request(&honest, 0, 7), NOW).unwrap();
        }
        let before = state(&ws[0]);
        // The fork's own proof from 7 to 12, and the honest proof, both fail.
        for req in [
            request(&forked, 7, 12),
            AddCheckpointRequest::new(
                7,
                consistency_proof(&honest, 7, 12).unwrap(),
                signed(&forked, 12, &log_key()),
            )
            .unwrap(),
        ] {
            for w in &ws {
                let e = w.add_checkpoint(&req, NOW).unwrap_err();
                assert!(
                    matches!(
                        e,
                        WitnessError::InconsistentProof {
                            old_size: 7,
                            checkpoint_size: 12,
                            ..
                        }
                    ),
                    "{e}"
                );
                assert_eq!(e.http_status(), 422);
                assert_eq!(e.conflict_body(), None);
                assert_eq!(state(w), before);
            }
        }
        // Same size, different root: a fork, 409.
        let same_size = request(&forked, 7, 7);
        for w in &ws {
            let e = w.add_checkpoint(&same_size, NOW).unwrap_err();
            assert!(
                matches!(e, WitnessError::RootMismatch { size: 7, .. }),
                "{e}"
            );
            assert_eq!(e.http_status(), 409);
            assert_eq!(e.conflict_body().as_deref(), Some("7\n"));
            assert_eq!(state(w), before);
        }
        // The honest continuation is still cosigned.
        for w in &ws {
            w.add_checkpoint(&request(&honest, 7, 12), NOW).unwrap();
        }
    }

    #[test]
    fn stale_old_size_gets_409_with_the_witness_size() {
        let t = tree(12, None);
        let w = &witnesses()[0];
        let e = w.add_checkpoint(&request(&t, 3, 7), NOW).unwrap_err();
        assert!(matches!(
            e,
            WitnessError::OldSizeMismatch {
                old_size: 3,
                witness_size: 0,
                ..
            }
        ));
        assert_eq!(e.conflict_body().as_deref(), Some("0\n"));
        w.add_checkpoint(&request(&t, 0, 12), NOW).unwrap();
        for (old, new) in [(7, 12), (0, 12), (7, 7), (3, 7)] {
            let e = w.add_checkpoint(&request(&t, old, new), NOW).unwrap_err();
            assert_eq!(e.http_status(), 409, "{old}->{new}: {e}");
            assert_eq!(e.conflict_body().as_deref(), Some("12\n"));
            assert!(matches!(
                e,
                WitnessError::OldSizeMismatch {
                    witness_size: 12,
                    ..
                }
            ));
        }
        assert_eq!(SIZE_CONTENT_TYPE, "text/x.tlog.size");
        // A checkpoint smaller than the recorded one, claiming the recorded size as old: 400.
        let smaller = AddCheckpointRequest::new(12, vec![], signed(&t, 7, &log_key())).unwrap();
        let e = w.add_checkpoint(&smaller, NOW).unwrap_err();
        assert!(matches!(
            e,
            WitnessError::OldSizeExceedsCheckpointSize {
                old_size: 12,
                checkpoint_size: 7
            }
        ));
        assert_eq!(e.http_status(), 400);
        assert_eq!(state(w).map(|s| s.size), Some(12));
    }

    #[test]
    fn unknown_log_and_bad_signatures() {
        let t = tree(5, None);
        let w = &witnesses()[0];
        // Unknown origin: 404.
        let other = SignerKey::from_seed("other.example/log", KeyType::Ed25519, &[2; 32]).unwrap();
        let note = Checkpoint {
            origin: "other.example/log".to_owned(),
            size: 5,
            root: t.root(5).unwrap(),
            extensions: vec![],
        }
        .sign(&other)
        .unwrap();
        let e = w
            .add_checkpoint(&AddCheckpointRequest::new(0, vec![], note).unwrap(), NOW)
            .unwrap_err();
        assert!(matches!(&e, WitnessError::UnknownLog { origin } if origin == "other.example/log"));
        assert_eq!(e.http_status(), 404);
        // Right origin, signed by another key of the same name: 403.
        let impostor = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[3; 32]).unwrap();
        let req = AddCheckpointRequest::new(0, vec![], signed(&t, 5, &impostor)).unwrap();
        let e = w.add_checkpoint(&req, NOW).unwrap_err();
        assert!(matches!(
            e,
            WitnessError::LogSignature {
                source: NoteError::NoKnownSignature,
                ..
            }
        ));
        assert_eq!(e.http_status(), 403);
        // A corrupted log signature: 403.
        let mut note = signed(&t, 5, &log_key());
        note.signatures[0].signature[0] ^= 1;
        let e = w
            .add_checkpoint(&AddCheckpointRequest::new(0, vec![], note).unwrap(), NOW)
            .unwrap_err();
        assert!(matches!(
            e,
            WitnessError::LogSignature {
                source: NoteError::InvalidSignature { .. },
                ..
            }
        ));
        assert_eq!(e.http_status(), 403);
        // Signatures by unknown keys are ignored.
        let mut note = signed(&t, 5, &impostor);
        note.signatures
            .push(signed(&t, 5, &log_key()).signatures[0].clone());
        w.add_checkpoint(&AddCheckpointRequest::new(0, vec![], note).unwrap(), NOW)
            .unwrap();
        assert_eq!(state(w).map(|s| s.size), Some(5));
        // Nothing recorded for refused requests.
        assert_eq!(w.state().get("other.example/log").unwrap(), None);
    }

    #[test]
    fn garbage_requests_are_400_with_precise_errors() {
        use RequestParseError as P;
        let t = tree(7, None);
        let note = signed(&t, 7, &log_key()).to_text();
        let h = B64.encode(t.root(3).unwrap());
        let short = B64.encode([7u8; 31]);
        let sixty_four: String = (0..64).map(|_| format!("{h}\n")).collect();
        let not_checkpoint = crate::note::sign_note("hello\n", &[&log_key()])
            .unwrap()
            .to_text();
        let cases: Vec<(Vec<u8>, P)> = vec![
            (b"old 3\n\xff\n\n".to_vec(), P::NotUtf8),
            (b"".to_vec(), P::MissingOldLine),
            (b"old 3".to_vec(), P::MissingOldLine),
            (
                format!("olds 3\n\n{note}").into(),
                P::InvalidOldLine("olds 3".into()),
            ),
            (
                format!("\nold 3\n\n{note}").into(),
                P::InvalidOldLine(String::new()),
            ),
            (
                format!("old  3\n\n{note}").into(),
                P::InvalidOldSize(" 3".into()),
            ),
            (
                format!("old 03\n\n{note}").into(),
                P::InvalidOldSize("03".into()),
            ),
            (
                format!("old -1\n\n{note}").into(),
                P::InvalidOldSize("-1".into()),
            ),
            (
                format!("old 0\r\n\n{note}").into(),
                P::InvalidOldSize("0\r".into()),
            ),
            (
                format!("old 18446744073709551616\n\n{note}").into(),
                P::InvalidOldSize("18446744073709551616".into()),
            ),
            (
                format!("old 3\n{h}\nnot base64\n\n{note}").into(),
                P::InvalidProofHash { line: 3 },
            ),
            (
                format!("old 3\n{short}\n\n{note}").into(),
                P::InvalidProofHash { line: 2 },
            ),
            (
                format!("old 3\n {h}\n\n{note}").into(),
                P::InvalidProofHash { line: 2 },
            ),
            (
                format!("old 3\n{sixty_four}\n{note}").into(),
                P::TooManyProofLines { max: 63 },
            ),
            (format!("old 3\n{h}\n").into(), P::MissingBlankLine),
            (format!("old 3\n{h}").into(), P::MissingBlankLine),
            (
                format!("old 0\n{h}\n\n{note}").into(),
                P::ProofNotEmptyForOldSizeZero { got: 1 },
            ),
            (
                format!("old 0\n\n{}", t.root(7).map(|r| B64.encode(r)).unwrap()).into(),
                P::Note(NoteError::MissingSeparator),
            ),
            (
                format!("old 0\n\n{ORIGIN}\n7\n{h}\n\n").into(),
                P::Note(NoteError::NoSignatures),
            ),
            (
                format!("old 0\n\n{not_checkpoint}").into(),
                P::Checkpoint(CheckpointError::TooFewLines(1)),
            ),
        ];
        let w = &witnesses()[0];
        for (body, want) in cases {
            let got = AddCheckpointRequest::parse(&body);
            assert_eq!(
                got,
                Err(want.clone()),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
            let e = w.handle_add_checkpoint(&body, NOW).unwrap_err();
            assert_eq!(e.http_status(), 400);
            assert!(matches!(&e, WitnessError::Request(p) if *p == want));
        }
        // 63 proof lines are allowed by the parser (the witness then checks them).
        let ok = format!("old 3\n{}\n{note}", &sixty_four[h.len() + 1..]);
        assert_eq!(
            AddCheckpointRequest::parse(ok.as_bytes())
                .unwrap()
                .proof()
                .len(),
            63
        );
        // The old size above the checkpoint size is also 400.
        let e = w
            .handle_add_checkpoint(format!("old 9\n{h}\n\n{note}").as_bytes(), NOW)
            .unwrap_err();
        assert!(matches!(
            e,
            WitnessError::OldSizeExceedsCheckpointSize { .. }
        ));
        assert_eq!(e.http_status(), 400);
        assert_eq!(state(w), None);
    }

    #[test]
    fn spec_example_request_parses_and_round_trips() {
        // tlog-witness.md §add-checkpoint, example request body.
        let body = "old 20852014\n\
            PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
            jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
            5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
            /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
            \n\
            example.com/behind-the-sofa\n\
            20852163\n\
            CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
            \n\
            \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
            \u{2014} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
        let req = AddCheckpointRequest::parse(body.as_bytes()).unwrap();
        assert_eq!(req.old_size(), 20_852_014);
        assert_eq!(req.proof().len(), 4);
        assert_eq!(req.checkpoint().origin, "example.com/behind-the-sofa");
        assert_eq!(req.checkpoint().size, 20_852_163);
        assert_eq!(req.note().signatures.len(), 2);
        assert_eq!(req.to_text(), body);
        assert_eq!(req.to_string(), body);
        // Its log is not known to our witness: 404.
        let e = witnesses()[0].add_checkpoint(&req, NOW).unwrap_err();
        assert_eq!(e.http_status(), 404);
        // A generated request round-trips too.
        let t = tree(12, None);
        let r = request(&t, 7, 12);
        assert_eq!(
            AddCheckpointRequest::parse(r.to_text().as_bytes()).unwrap(),
            r
        );
    }

    #[test]
    fn receipt_needs_two_of_three_cosignatures() {
        let t = tree(12, None);
        let ws = witnesses();
        let req = request(&t, 0, 12);
        let lines: Vec<String> = ws
            .iter()
            .map(|w| {
                w.handle_add_checkpoint(req.to_text().as_bytes(), NOW)
                    .unwrap()
            })
            .collect();
        let keys: Vec<VerifierKey> = ws.iter().map(Witness::verifier_key).collect();
        let policy = WitnessPolicy {
            threshold: 2,
            witnesses: keys.clone(),
        };
        assert!(policy.is_satisfiable());
        let receipt = |note: &SignedNote| TlogProof {
            extra: None,
            index: 5,
            inclusion: inclusion_proof(&t, 5, 12).unwrap(),
            checkpoint: note.to_text(),
        };

        let mut one = req.note().clone();
        assert_eq!(add_cosignatures(&mut one, &lines[0], &keys), Ok(1));
        assert!(!policy.is_final(&one));
        let e = policy
            .verify_proof(
                &receipt(&one),
                Leaf::Data(b"entry 5"),
                &log_key().verifier_key(),
            )
            .unwrap_err();
        assert_eq!(
            e,
            ProofError::InsufficientCosignatures {
                required: 2,
                valid: 1
            }
        );

        let mut two = one.clone();
        assert_eq!(add_cosignatures(&mut two, &lines[2], &keys), Ok(1));
        // The same response again adds nothing.
        assert_eq!(add_cosignatures(&mut two, &lines[2], &keys), Ok(0));
        assert!(policy.is_final(&two));
        let v = policy
            .verify_proof(
                &receipt(&two),
                Leaf::Data(b"entry 5"),
                &log_key().verifier_key(),
            )
            .unwrap();
        assert_eq!(v.cosignatures.len(), 2);
        assert_eq!(v.earliest_cosignature, Some(NOW));
        assert_eq!(v.checkpoint.size, 12);

        // Two responses in one body (the spec allows several lines).
        let mut all = req.note().clone();
        let both = format!("{}{}{}", lines[0], lines[1], lines[2]);
        assert_eq!(add_cosignatures(&mut all, &both, &keys), Ok(3));
        assert_eq!(policy.cosignatures(&all).unwrap().len(), 3);

        // A tampered cosignature makes the note not final.
        let mut bad = two.clone();
        let last = bad.signatures.len() - 1;
        bad.signatures[last].signature[20] ^= 1;
        assert!(!policy.is_final(&bad));
        // Unsatisfiable policies are never final.
        let too_many = WitnessPolicy {
            threshold: 4,
            witnesses: keys.clone(),
        };
        assert!(!too_many.is_satisfiable() && !too_many.is_final(&all));
        let dup = WitnessPolicy {
            threshold: 2,
            witnesses: vec![keys[0].clone(), keys[0].clone()],
        };
        assert!(!dup.is_final(&all));

        // Responses that are not signature lines, or by no known witness.
        let mut n = req.note().clone();
        assert_eq!(
            add_cosignatures(&mut n, "hello\n", &keys),
            Err(ResponseError::NotSignatureLines)
        );
        assert_eq!(
            add_cosignatures(&mut n, "", &keys),
            Err(ResponseError::NotSignatureLines)
        );
        assert_eq!(
            add_cosignatures(&mut n, &lines[0], &keys[1..]),
            Err(ResponseError::Note(NoteError::NoKnownSignature))
        );
        assert_eq!(&n, req.note());
    }

    #[test]
    fn compare_and_swap_refuses_a_stale_expectation() {
        let s = MemoryWitnessState::new();
        let a = LogState {
            size: 7,
            root: [1; 32],
        };
        let b = LogState {
            size: 12,
            root: [2; 32],
        };
        assert_eq!(s.compare_and_swap(ORIGIN, None, a), Ok(CasOutcome::Swapped));
        assert_eq!(
            s.compare_and_swap(ORIGIN, Some(a), b),
            Ok(CasOutcome::Swapped)
        );
        // Request A, checked against size 7, arrives after B recorded 12: no rollback.
        assert_eq!(
            s.compare_and_swap(ORIGIN, Some(a), a),
            Ok(CasOutcome::Mismatch { current: Some(b) })
        );
        assert_eq!(
            s.compare_and_swap(ORIGIN, None, a),
            Ok(CasOutcome::Mismatch { current: Some(b) })
        );
        assert_eq!(s.get(ORIGIN), Ok(Some(b)));
        assert_eq!(s.get("other"), Ok(None));
    }

    #[test]
    fn configuration_is_checked() {
        let e = Witness::new(log_key(), MemoryWitnessState::new()).unwrap_err();
        assert_eq!(e, WitnessConfigError::WitnessKeyType(KeyType::Ed25519));
        let mut w = Witness::new(witness_key(1), MemoryWitnessState::new()).unwrap();
        assert_eq!(
            w.add_log(ORIGIN, witness_key(2).verifier_key()),
            Err(WitnessConfigError::LogKeyType {
                origin: ORIGIN.into(),
                key_type: KeyType::CosignatureV1
            })
        );
        assert_eq!(
            w.add_log("", log_key().verifier_key()),
            Err(WitnessConfigError::InvalidOrigin(String::new()))
        );
        assert_eq!(
            w.add_log("a\nb", log_key().verifier_key()),
            Err(WitnessConfigError::InvalidOrigin("a\nb".into()))
        );
        w.add_log(ORIGIN, log_key().verifier_key()).unwrap();
        w.add_log(ORIGIN, log_key().verifier_key()).unwrap();
        assert!(format!("{w:?}").contains(ORIGIN));
        assert!(!format!("{w:?}").contains("PRIVATE"));
    }
}
