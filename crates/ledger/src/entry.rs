//! The deposit leaf format: what one log entry of Qiantang's copyright deposit
//! log says about a deposited file.
//!
//! A [`DepositEntry`] holds only hashes and metadata, never content. It is
//! serialised as canonical JSON: the fields in the fixed order of the struct,
//! no whitespace, `parent` always present (`null` without a parent), strings
//! escaped as `serde_json` does. [`DepositEntry::from_bytes`] accepts only
//! that exact byte form, so an entry has one serialisation and one leaf hash.
//! Entries are at most [`MAX_ENTRY_BYTES`] (the log's entry limit, just under
//! 64 KiB).
//!
//! ```text
//! {"v":1,"sha256":"<64 hex>","media_type":"text/plain","size":123,"org":"demo",
//!  "title":"…","kind":"work","parent":{"index":0,"leaf_hash":"<64 hex>"},"deposited_by":"cli"}
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Format version written in the `v` field.
pub const VERSION: u32 = 1;

/// Largest serialised entry in bytes (= [`crate::log::MAX_ENTRY_SIZE`]).
pub const MAX_ENTRY_BYTES: usize = crate::log::MAX_ENTRY_SIZE;

/// What kind of deposit an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A whole work (novel, drama script, game text…).
    Work,
    /// One chapter or episode of a work.
    Chapter,
    /// A translation (usually with a parent).
    Translation,
    /// A subtitle file.
    Subtitle,
    /// A dub (audio).
    Dub,
    /// An adaptation (novel → drama → game).
    Adaptation,
    /// Any other uploaded file.
    File,
    /// A licence (rights grant).
    Licence,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 8] = [
        Kind::Work,
        Kind::Chapter,
        Kind::Translation,
        Kind::Subtitle,
        Kind::Dub,
        Kind::Adaptation,
        Kind::File,
        Kind::Licence,
    ];

    /// The wire name (`work`, `chapter`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Work => "work",
            Kind::Chapter => "chapter",
            Kind::Translation => "translation",
            Kind::Subtitle => "subtitle",
            Kind::Dub => "dub",
            Kind::Adaptation => "adaptation",
            Kind::File => "file",
            Kind::Licence => "licence",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = EntryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| EntryError::UnknownKind(s.to_owned()))
    }
}

/// A reference to the entry a derivative comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRef {
    /// Index of the parent entry in the log.
    pub index: u64,
    /// Its RFC 6962 leaf hash, lowercase hex.
    pub leaf_hash: String,
}

/// One deposit: the leaf of the deposit log (field order is the wire order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositEntry {
    /// Format version, [`VERSION`].
    pub v: u32,
    /// SHA-256 of the exact deposited bytes, lowercase hex.
    pub sha256: String,
    /// Media type of the file (e.g. `text/plain`).
    pub media_type: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// Name of the owning organization.
    pub org: String,
    /// Title given by the depositor.
    pub title: String,
    /// What was deposited.
    pub kind: Kind,
    /// The entry this one derives from (translation-of, dub-of, …).
    pub parent: Option<ParentRef>,
    /// Who deposited it (`cli`, a user, a service).
    pub deposited_by: String,
}

/// Why an entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryError {
    /// The serialised entry exceeds [`MAX_ENTRY_BYTES`].
    #[error("entry of {0} bytes exceeds the {MAX_ENTRY_BYTES}-byte limit")]
    TooLarge(usize),
    /// The bytes are not a JSON deposit entry.
    #[error("not a deposit entry: {0}")]
    Malformed(String),
    /// The JSON is valid but not in canonical form.
    #[error("deposit entry is not in canonical form")]
    NotCanonical,
    /// `v` is not [`VERSION`].
    #[error("unsupported entry version {0}")]
    UnsupportedVersion(u32),
    /// A hash field is not 64 lowercase hex digits.
    #[error("{0} is not 64 lowercase hex digits")]
    InvalidHash(&'static str),
    /// A kind name that is not one of [`Kind::ALL`].
    #[error("unknown kind {0:?}: use work, chapter, translation, subtitle, dub, adaptation, file or licence")]
    UnknownKind(String),
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl DepositEntry {
    /// Checks the version and the hash fields.
    ///
    /// # Errors
    /// [`EntryError::UnsupportedVersion`], [`EntryError::InvalidHash`].
    pub fn validate(&self) -> Result<(), EntryError> {
        if self.v != VERSION {
            return Err(EntryError::UnsupportedVersion(self.v));
        }
        if !is_hex64(&self.sha256) {
            return Err(EntryError::InvalidHash("sha256"));
        }
        if let Some(p) = &self.parent {
            if !is_hex64(&p.leaf_hash) {
                return Err(EntryError::InvalidHash("parent.leaf_hash"));
            }
        }
        Ok(())
    }

    /// The canonical JSON bytes (the log entry).
    ///
    /// # Errors
    /// As [`DepositEntry::validate`], and [`EntryError::TooLarge`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, EntryError> {
        self.validate()?;
        let bytes = serde_json::to_vec(self).map_err(|e| EntryError::Malformed(e.to_string()))?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        Ok(bytes)
    }

    /// Parses an entry, accepting only its canonical serialisation.
    ///
    /// # Errors
    /// [`EntryError::TooLarge`], [`EntryError::Malformed`],
    /// [`EntryError::NotCanonical`], and as [`DepositEntry::validate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let entry: DepositEntry =
            serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        entry.validate()?;
        if entry.to_bytes()? != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> DepositEntry {
        DepositEntry {
            v: 1,
            sha256: "ab".repeat(32),
            media_type: "text/plain".into(),
            size: 42,
            org: "demo".into(),
            title: "梁祝".into(),
            kind: Kind::Work,
            parent: None,
            deposited_by: "cli".into(),
        }
    }

    #[test]
    fn canonical_bytes_have_fixed_order_and_no_whitespace() {
        let b = sample().to_bytes().unwrap();
        let expected = format!(
            "{{\"v\":1,\"sha256\":\"{}\",\"media_type\":\"text/plain\",\"size\":42,\"org\":\"demo\",\"title\":\"梁祝\",\"kind\":\"work\",\"parent\":null,\"deposited_by\":\"cli\"}}",
            "ab".repeat(32)
        );
        assert_eq!(String::from_utf8(b.clone()).unwrap(), expected);
        assert_eq!(DepositEntry::from_bytes(&b).unwrap(), sample());
    }

    #[test]
    fn round_trip_with_parent() {
        let mut e = sample();
        e.kind = Kind::Translation;
        e.parent = Some(ParentRef {
            index: 7,
            leaf_hash: "0f".repeat(32),
        });
        let b = e.to_bytes().unwrap();
        assert!(String::from_utf8_lossy(&b).contains(&format!(
            "\"parent\":{{\"index\":7,\"leaf_hash\":\"{}\"}}",
            "0f".repeat(32)
        )));
        assert_eq!(DepositEntry::from_bytes(&b).unwrap(), e);
    }

    #[test]
    fn non_canonical_and_invalid_are_refused() {
        let b = String::from_utf8(sample().to_bytes().unwrap()).unwrap();
        let spaced = b.replacen(",", ", ", 1);
        assert_eq!(
            DepositEntry::from_bytes(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let reordered = b
            .replacen("{\"v\":1,", "{", 1)
            .replacen("}", ",\"v\":1}", 1);
        assert_eq!(
            DepositEntry::from_bytes(reordered.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let extra = b.replacen("{", "{\"x\":1,", 1);
        assert!(matches!(
            DepositEntry::from_bytes(extra.as_bytes()),
            Err(EntryError::Malformed(_))
        ));
        let v2 = b.replacen("\"v\":1", "\"v\":2", 1);
        assert_eq!(
            DepositEntry::from_bytes(v2.as_bytes()),
            Err(EntryError::UnsupportedVersion(2))
        );
        let upper = b.replacen("abab", "ABAB", 1);
        assert_eq!(
            DepositEntry::from_bytes(upper.as_bytes()),
            Err(EntryError::InvalidHash("sha256"))
        );
        let mut e = sample();
        e.parent = Some(ParentRef {
            index: 0,
            leaf_hash: "xyz".into(),
        });
        assert_eq!(
            e.to_bytes(),
            Err(EntryError::InvalidHash("parent.leaf_hash"))
        );
    }

    #[test]
    fn size_limit_is_enforced() {
        let mut e = sample();
        e.title = "题".repeat(MAX_ENTRY_BYTES / 3);
        assert!(matches!(e.to_bytes(), Err(EntryError::TooLarge(n)) if n > MAX_ENTRY_BYTES));
        assert!(matches!(
            DepositEntry::from_bytes(&vec![b' '; MAX_ENTRY_BYTES + 1]),
            Err(EntryError::TooLarge(_))
        ));
        e.title = "t".repeat(60_000);
        assert!(e.to_bytes().unwrap().len() <= MAX_ENTRY_BYTES);
    }

    #[test]
    fn kinds_parse_and_print() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert!(matches!(
            "poem".parse::<Kind>(),
            Err(EntryError::UnknownKind(_))
        ));
    }
}
