//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>, v1.0.0) note text.
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeroes>
//! <root hash, standard base64 of 32 bytes>
//! [<extension line>]*
//! ```
//!
//! Each line ends in a newline. The text is signed as a
//! [signed note](crate::note); the log's key name should equal the origin.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use thiserror::Error;

use crate::merkle::Hash;
use crate::note::{sign_note, NoteError, SignedNote, SignerKey};

/// Why a checkpoint text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    /// The text does not end in a newline.
    #[error("checkpoint text must end in a newline")]
    NotNewlineTerminated,
    /// Fewer than three lines.
    #[error("checkpoint has {0} lines, needs at least 3 (origin, size, root)")]
    TooFewLines(usize),
    /// The origin line is empty.
    #[error("checkpoint origin line is empty")]
    EmptyOrigin,
    /// A line contains an ASCII control character (newline excepted).
    #[error("checkpoint line {line} contains a control character")]
    ControlCharacter {
        /// 1-based line number.
        line: usize,
    },
    /// The size line is not a decimal without leading zeroes fitting in `u64`.
    #[error("checkpoint tree size {0:?} is not a canonical decimal u64")]
    InvalidSize(String),
    /// The root line is not standard base64 of exactly 32 bytes.
    #[error("checkpoint root hash {0:?} is not base64 of 32 bytes")]
    InvalidRootHash(String),
    /// An extension line is empty.
    #[error("checkpoint extension line {line} is empty")]
    EmptyExtensionLine {
        /// 1-based line number.
        line: usize,
    },
    /// A field to format contains a newline.
    #[error("checkpoint field contains a newline")]
    NewlineInField,
}

/// The parsed body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log identity, e.g. `example.com/behind-the-sofa`; non-empty.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree at `size`.
    pub root: Hash,
    /// Opaque extension lines (non-empty each; use is NOT RECOMMENDED by the spec).
    pub extensions: Vec<String>,
}

fn parse_decimal_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn decode_hash(s: &str) -> Option<Hash> {
    B64.decode(s).ok().and_then(|v| v.try_into().ok())
}

impl Checkpoint {
    /// Parses checkpoint note text strictly (tlog-checkpoint §"Note text").
    ///
    /// # Errors
    /// One [`CheckpointError`] variant per rule broken.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::NotNewlineTerminated)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::TooFewLines(lines.len()));
        }
        for (i, l) in lines.iter().enumerate() {
            if l.bytes().any(|b| b < 0x20) {
                return Err(CheckpointError::ControlCharacter { line: i + 1 });
            }
        }
        if lines[0].is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size = parse_decimal_u64(lines[1])
            .ok_or_else(|| CheckpointError::InvalidSize(lines[1].to_owned()))?;
        let root = decode_hash(lines[2])
            .ok_or_else(|| CheckpointError::InvalidRootHash(lines[2].to_owned()))?;
        let mut extensions = Vec::new();
        for (i, l) in lines.iter().enumerate().skip(3) {
            if l.is_empty() {
                return Err(CheckpointError::EmptyExtensionLine { line: i + 1 });
            }
            extensions.push((*l).to_owned());
        }
        Ok(Self {
            origin: lines[0].to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Formats the checkpoint note text (every line newline-terminated).
    ///
    /// # Errors
    /// [`CheckpointError::EmptyOrigin`], [`CheckpointError::NewlineInField`],
    /// [`CheckpointError::ControlCharacter`], [`CheckpointError::EmptyExtensionLine`].
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        if self.origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        for (i, l) in std::iter::once(&self.origin)
            .chain(&self.extensions)
            .enumerate()
        {
            if l.contains('\n') {
                return Err(CheckpointError::NewlineInField);
            }
            let line = if i == 0 { 1 } else { i + 3 };
            if l.bytes().any(|b| b < 0x20) {
                return Err(CheckpointError::ControlCharacter { line });
            }
            if l.is_empty() {
                return Err(CheckpointError::EmptyExtensionLine { line });
            }
        }
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            out.push_str(e);
            out.push('\n');
        }
        Ok(out)
    }

    /// Formats and signs the checkpoint with the log's Ed25519 key.
    ///
    /// # Errors
    /// [`SignCheckpointError`].
    pub fn sign(&self, log_key: &SignerKey) -> Result<SignedNote, SignCheckpointError> {
        let text = self.to_text()?;
        Ok(sign_note(&text, &[log_key])?)
    }
}

impl fmt::Display for Checkpoint {
    /// Writes the note text; an invalid checkpoint is written as is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )?;
        for e in &self.extensions {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Why [`Checkpoint::sign`] failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignCheckpointError {
    /// The checkpoint cannot be formatted.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The note could not be signed (e.g. a cosignature key).
    #[error(transparent)]
    Note(#[from] NoteError),
}
