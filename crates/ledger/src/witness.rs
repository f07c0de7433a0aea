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
