//! The log's side of C2SP tlog-witness `add-checkpoint` over HTTP (blocking,
//! `ureq`): build the request body, POST it to `{prefix}/add-checkpoint`,
//! and on 409 Conflict retry once more from the size the witness reports
//! (`text/x.tlog.size`), with a fresh consistency proof.

use qiantang_ledger::merkle::Hash;
use qiantang_ledger::witness::{AddCheckpointRequest, SIZE_CONTENT_TYPE};
use qiantang_ledger::SignedNote;
use thiserror::Error;

/// Attempts per witness and checkpoint (the first, and retries after a 409).
pub const MAX_ATTEMPTS: usize = 3;

/// Why a witness did not cosign.
#[derive(Debug, Error)]
pub enum WitnessClientError {
    /// The request could not be sent or the response read.
    #[error("unreachable: {0}")]
    Transport(String),
    /// The witness refused (any status but 200 and a retryable 409).
    #[error("refused with HTTP {status}: {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The response body (trimmed, at most 300 characters).
        body: String,
        /// For 409, the witness's latest cosigned size.
        witness_size: Option<u64>,
    },
    /// The witness cosigned a larger tree than this checkpoint: the log was
    /// rolled back, or this is a fork. Never retried.
    #[error("refused with HTTP 409: the witness has cosigned size {witness_size}, beyond this checkpoint's {size}: log rollback or fork")]
    AheadOfLog {
        /// Witness's size.
        witness_size: u64,
        /// This checkpoint's size.
        size: u64,
    },
    /// A consistency proof could not be made.
    #[error("consistency proof: {0}")]
    Proof(String),
    /// Still 409 after [`MAX_ATTEMPTS`].
    #[error("still in conflict after {MAX_ATTEMPTS} attempts")]
    TooManyConflicts,
}

/// Sends `note` (a checkpoint of `size` entries) to the witness at `prefix`,
/// starting from `old`, the size the witness is believed to have cosigned;
/// `proof(old, size)` gives consistency proofs. Returns the 200 body (the
/// cosignature lines) and the size now cosigned.
///
/// # Errors
/// See [`WitnessClientError`].
pub fn submit(
    agent: &ureq::Agent,
    prefix: &str,
    note: &SignedNote,
    size: u64,
    mut old: u64,
    proof: impl Fn(u64, u64) -> Result<Vec<Hash>, String>,
) -> Result<(String, u64), WitnessClientError> {
    let url = format!("{}/add-checkpoint", prefix.trim_end_matches('/'));
    for _ in 0..MAX_ATTEMPTS {
        if old > size {
            return Err(WitnessClientError::AheadOfLog {
                witness_size: old,
                size,
            });
        }
        let hashes = if old == 0 {
            Vec::new()
        } else {
            proof(old, size).map_err(WitnessClientError::Proof)?
        };
        let body = AddCheckpointRequest::new(old, hashes, note.clone())
            .map_err(|e| WitnessClientError::Proof(e.to_string()))?
            .to_text();
        let mut resp = agent
            .post(&url)
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(body.as_bytes())
            .map_err(|e| WitnessClientError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let is_size = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(SIZE_CONTENT_TYPE));
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| WitnessClientError::Transport(e.to_string()))?;
        match status {
            200 => return Ok((text, size)),
            409 if is_size => {
                let witness_size: u64 =
                    text.trim()
                        .parse()
                        .map_err(|_| WitnessClientError::Refused {
                            status,
                            body: text.trim().chars().take(300).collect(),
                            witness_size: None,
                        })?;
                if witness_size == old {
                    // Same size, different root: a fork; retrying cannot help.
                    return Err(WitnessClientError::Refused {
                        status,
                        body: format!(
                            "the witness cosigned another tree at size {witness_size} (fork)"
                        ),
                        witness_size: Some(witness_size),
                    });
                }
                old = witness_size;
            }
            _ => {
                return Err(WitnessClientError::Refused {
                    status,
                    body: text.trim().chars().take(300).collect(),
                    witness_size: None,
                })
            }
        }
    }
    Err(WitnessClientError::TooManyConflicts)
}
