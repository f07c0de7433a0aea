//! The Ed25519 `cosignature/v1` signed message and `timestamped_signature`
//! layout (<https://c2sp.org/tlog-cosignature>), with no keys involved.
//!
//! It sits below both [`crate::note`], which verifies `0x04` signature lines,
//! and [`crate::cosig`], which makes and parses cosignatures, and imports
//! neither, so that `note` need not import `cosig` (which imports `note`).
//! The public items are re-exported from [`crate::cosig`].

/// Largest timestamp allowed (`2^63 - 1` POSIX seconds; tlog-cosignature §Format).
pub const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

/// Length of a `timestamped_signature` for Ed25519: 8 + 64 bytes.
pub const TIMESTAMPED_SIGNATURE_LEN: usize = 72;

/// The message an Ed25519 cosigner signs (tlog-cosignature §"Ed25519 signed
/// message"): `"cosignature/v1\ntime <t>\n" ‖ checkpoint_text`. The
/// checkpoint text is the whole note text, final newline included, without
/// signature lines.
pub fn cosigned_message(timestamp: u64, checkpoint_text: &str) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(checkpoint_text.as_bytes());
    m
}

/// Why a `timestamped_signature` could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// Not [`TIMESTAMPED_SIGNATURE_LEN`] bytes long (the length found).
    WrongLength(usize),
    /// Timestamp above [`MAX_TIMESTAMP`] (the timestamp found).
    TimestampTooLarge(u64),
}

/// Splits a `timestamped_signature` into `(timestamp, 64-byte signature)`.
pub(crate) fn split(sig: &[u8]) -> Result<(u64, [u8; 64]), SplitError> {
    if sig.len() != TIMESTAMPED_SIGNATURE_LEN {
        return Err(SplitError::WrongLength(sig.len()));
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&sig[..8]);
    let ts = u64::from_be_bytes(ts);
    if ts > MAX_TIMESTAMP {
        return Err(SplitError::TimestampTooLarge(ts));
    }
    let mut s = [0u8; 64];
    s.copy_from_slice(&sig[8..]);
    Ok((ts, s))
}
