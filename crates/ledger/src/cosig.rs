//! C2SP tlog-cosignature (<https://c2sp.org/tlog-cosignature>), Ed25519
//! `cosignature/v1` only (signature type `0x04`).
//!
//! A cosignature is a note signature line on a checkpoint whose signature
//! bytes are `timestamped_signature = u64 timestamp (big-endian) ‖ 64-byte
//! Ed25519 signature` (72 bytes), the signature being over
//!
//! ```text
//! cosignature/v1
//! time <timestamp, decimal, no leading zeroes>
//! <checkpoint note text, final newline included>
//! ```
//!
//! Key IDs are `SHA-256(name ‖ "\n" ‖ 0x04 ‖ 32-byte public key)[:4]`;
//! cosigner keys use the vkey text form with type byte `0x04`
//! ([`crate::note::VerifierKey`] with [`KeyType::CosignatureV1`]).
//! The ML-DSA-44 (`0x06`) subtree cosignatures are not implemented.

use thiserror::Error;

use crate::note::{check_note_text, KeyType, NoteError, NoteSignature, SignerKey};
use crate::timestamped::{self, SplitError};

pub use crate::timestamped::{cosigned_message, MAX_TIMESTAMP, TIMESTAMPED_SIGNATURE_LEN};

/// Why a cosignature could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CosigError {
    /// Timestamp above `2^63 - 1`.
    #[error("timestamp {0} exceeds 2^63 - 1")]
    TimestampTooLarge(u64),
    /// The signer is not a `0x04` cosignature key.
    #[error("cosigning needs a cosignature/v1 (0x04) key, got {0:?}")]
    WrongKeyType(KeyType),
    /// The signature bytes are not 72 bytes long.
    #[error("timestamped signature is {0} bytes, expected 72")]
    WrongLength(usize),
    /// The checkpoint text is not valid note text.
    #[error("checkpoint text: {0}")]
    Text(#[from] NoteError),
}

/// Splits a `timestamped_signature` into `(timestamp, 64-byte signature)`.
///
/// # Errors
/// [`CosigError::WrongLength`], [`CosigError::TimestampTooLarge`].
pub fn parse_timestamped(sig: &[u8]) -> Result<(u64, [u8; 64]), CosigError> {
    timestamped::split(sig).map_err(|e| match e {
        SplitError::WrongLength(n) => CosigError::WrongLength(n),
        SplitError::TimestampTooLarge(t) => CosigError::TimestampTooLarge(t),
    })
}

/// Cosigns a checkpoint note text at `timestamp` (POSIX seconds), returning
/// the signature line to append to the checkpoint note.
///
/// # Errors
/// [`CosigError::WrongKeyType`], [`CosigError::TimestampTooLarge`], [`CosigError::Text`].
pub fn cosign(
    checkpoint_text: &str,
    timestamp: u64,
    signer: &SignerKey,
) -> Result<NoteSignature, CosigError> {
    if signer.key_type() != KeyType::CosignatureV1 {
        return Err(CosigError::WrongKeyType(signer.key_type()));
    }
    if timestamp > MAX_TIMESTAMP {
        return Err(CosigError::TimestampTooLarge(timestamp));
    }
    check_note_text(checkpoint_text)?;
    let sig = signer.sign_raw(&cosigned_message(timestamp, checkpoint_text));
    let mut bytes = Vec::with_capacity(TIMESTAMPED_SIGNATURE_LEN);
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    bytes.extend_from_slice(&sig);
    Ok(NoteSignature {
        name: signer.name().to_owned(),
        key_id: signer.key_id(),
        signature: bytes,
    })
}
