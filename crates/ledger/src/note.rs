//! C2SP signed-note (<https://c2sp.org/signed-note>, v1.0.0) with Ed25519
//! signatures (signature type `0x01`), plus the verifier/signer key text
//! formats of the reference implementation (`golang.org/x/mod/sumdb/note`).
//!
//! A signed note is `text ‖ "\n" ‖ signature lines`; the text ends in a
//! newline, and each signature line is `— <key name> base64(key ID ‖ sig)\n`
//! with U+2014 EM DASH. Key IDs are `SHA-256(name ‖ 0x0A ‖ type ‖ pubkey)[:4]`
//! read as a big-endian `u32`.
//!
//! Keys of type `0x04` (timestamped Ed25519 cosignatures, see
//! [`crate::cosig`]) use the same key text formats and are verified by the
//! same [`SignedNote::verify`], which then reports the cosignature time.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::timestamped;

/// Maximum number of signature lines accepted in one note (the spec requires
/// at least 16; the reference implementation allows 100).
pub const MAX_SIGNATURES: usize = 100;

/// Signature type of a note key (signed-note §"Signature types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `0x01`: plain Ed25519 over the note text (signed-note §"Ed25519 signatures").
    Ed25519,
    /// `0x04`: timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature).
    CosignatureV1,
}

impl KeyType {
    /// The signature type identifier byte (`0x01` or `0x04`).
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::CosignatureV1 => 0x04,
        }
    }

    /// The key type for an identifier byte, if supported.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::CosignatureV1),
            _ => None,
        }
    }
}

/// Why a key name, key text or key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// Key names must be non-empty and contain neither Unicode spaces nor `+`.
    #[error("invalid key name {0:?}: must be non-empty, without spaces or '+'")]
    InvalidName(String),
    /// The key text does not have the `name+hash+key` (or
    /// `PRIVATE+KEY+name+hash+key`) shape.
    #[error("key text is not of the form {expected}")]
    Malformed {
        /// The expected shape.
        expected: &'static str,
    },
    /// The key ID is not 8 lowercase hexadecimal digits.
    #[error("key ID {0:?} is not 8 lowercase hexadecimal digits")]
    InvalidKeyId(String),
    /// The key material is not valid standard base64.
    #[error("key material is not valid base64")]
    InvalidBase64,
    /// The key material's type byte is not one this crate supports.
    #[error("unsupported signature type {0:#04x}")]
    UnsupportedType(u8),
    /// The key material (after the type byte) is not 32 bytes.
    #[error("key material is {got} bytes, expected 32")]
    WrongKeyLength {
        /// Bytes found after the type byte.
        got: usize,
    },
    /// The key ID in the text does not match the one computed from name and key.
    #[error("key ID {stated:08x} does not match the computed {computed:08x}")]
    KeyIdMismatch {
        /// Key ID written in the text.
        stated: u32,
        /// Key ID computed from name, type and key.
        computed: u32,
    },
    /// The public key is not a valid Ed25519 point, or is of small order.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
    /// The key is of another type than the operation needs.
    #[error("key type {found:?} where {expected:?} is needed")]
    WrongType {
        /// Type required.
        expected: KeyType,
        /// Type of the key given.
        found: KeyType,
    },
}

/// Checks a key name: non-empty, no Unicode white space, no `+` (signed-note §Format).
///
/// # Errors
/// [`KeyError::InvalidName`].
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(KeyError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// Key ID: the first 4 bytes, big-endian, of `SHA-256(name ‖ 0x0A ‖ type ‖ public key)`
/// (signed-note §Signatures).
pub fn key_id(name: &str, key_type: KeyType, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', key_type.byte()]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

fn parse_key_id(s: &str) -> Result<u32, KeyError> {
    if s.len() != 8
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(KeyError::InvalidKeyId(s.to_owned()));
    }
    u32::from_str_radix(s, 16).map_err(|_| KeyError::InvalidKeyId(s.to_owned()))
}

/// Decodes `base64(type ‖ 32 bytes)`.
fn parse_key_material(s: &str) -> Result<(KeyType, [u8; 32]), KeyError> {
    let raw = B64.decode(s).map_err(|_| KeyError::InvalidBase64)?;
    let (&t, rest) = raw
        .split_first()
        .ok_or(KeyError::WrongKeyLength { got: 0 })?;
    let kt = KeyType::from_byte(t).ok_or(KeyError::UnsupportedType(t))?;
    let key: [u8; 32] = rest
        .try_into()
        .map_err(|_| KeyError::WrongKeyLength { got: rest.len() })?;
    Ok((kt, key))
}

fn encode_key_material(kt: KeyType, key: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.push(kt.byte());
    raw.extend_from_slice(key);
    B64.encode(raw)
}

/// A public (verifier) key: name, key ID, type and Ed25519 public key.
///
/// Text form ("vkey", as in `golang.org/x/mod/sumdb/note` and referenced by
/// tlog-cosignature): `<name>+<key ID, 8 lowercase hex>+base64(type ‖ 32-byte key)`,
/// e.g. `PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    key_type: KeyType,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Builds a verifier key from a name, type and 32-byte Ed25519 public key.
    ///
    /// # Errors
    /// [`KeyError::InvalidName`], [`KeyError::InvalidPublicKey`] (not a point,
    /// or a weak small-order point).
    pub fn new(name: &str, key_type: KeyType, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        check_key_name(name)?;
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| KeyError::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(KeyError::InvalidPublicKey);
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, key_type, public_key),
            key_type,
            key,
        })
    }

    /// Parses the vkey text form `name+hash+base64(type ‖ key)`.
    ///
    /// # Errors
    /// [`KeyError::Malformed`], [`KeyError::InvalidName`], [`KeyError::InvalidKeyId`],
    /// [`KeyError::InvalidBase64`], [`KeyError::UnsupportedType`],
    /// [`KeyError::WrongKeyLength`], [`KeyError::KeyIdMismatch`], [`KeyError::InvalidPublicKey`].
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const SHAPE: &str = "name+hash+base64(type||key)";
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hash), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Malformed { expected: SHAPE });
        };
        check_key_name(name)?;
        let stated = parse_key_id(hash)?;
        let (kt, pk) = parse_key_material(material)?;
        let computed = key_id(name, kt, &pk);
        if stated != computed {
            return Err(KeyError::KeyIdMismatch { stated, computed });
        }
        Self::new(name, kt, &pk)
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Key ID (see [`key_id`]).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Verifies a raw Ed25519 signature (64 bytes) over `msg` (strict RFC 8032
    /// verification, rejecting non-canonical signatures).
    pub(crate) fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify_strict(msg, &sig).is_ok()
    }

    /// Verifies a cosignature's `timestamped_signature` by this `0x04` key
    /// over `checkpoint_text`, returning its timestamp.
    ///
    /// # Errors
    /// `Err(())` for a wrong length, a timestamp above `2^63 - 1` or a
    /// signature that does not verify.
    fn verify_timestamped(&self, checkpoint_text: &str, sig: &[u8]) -> Result<u64, ()> {
        let (ts, s) = timestamped::split(sig).map_err(|_| ())?;
        if self.verify_raw(&timestamped::cosigned_message(ts, checkpoint_text), &s) {
            Ok(ts)
        } else {
            Err(())
        }
    }

    /// Verifies the signature bytes of one note signature line (key ID
    /// removed) over the note `text`, as this key's type defines. Returns
    /// the cosignature timestamp for type `0x04`, `None` for `0x01`.
    ///
    /// # Errors
    /// `Err(())` if the signature does not verify.
    pub(crate) fn verify_note_signature(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, ()> {
        match self.key_type {
            KeyType::Ed25519 => {
                if self.verify_raw(text.as_bytes(), sig) {
                    Ok(None)
                } else {
                    Err(())
                }
            }
            KeyType::CosignatureV1 => self.verify_timestamped(text, sig).map(Some),
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_key_material(self.key_type, &self.key.to_bytes())
        )
    }
}

/// A private (signer) key: name, type and Ed25519 seed.
///
/// Text form (as in `golang.org/x/mod/sumdb/note`):
/// `PRIVATE+KEY+<name>+<key ID>+base64(type ‖ 32-byte seed)`; the key ID is
/// computed from the *public* key. `Debug` does not print the seed.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    key_type: KeyType,
    key: SigningKey,
    key_id: u32,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("key_type", &self.key_type)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl SignerKey {
    /// Builds a signer from a name, a type and a 32-byte Ed25519 seed (the
    /// caller draws the seed from a CSPRNG; this crate does no IO).
    ///
    /// # Errors
    /// [`KeyError::InvalidName`].
    pub fn from_seed(name: &str, key_type: KeyType, seed: &[u8; 32]) -> Result<Self, KeyError> {
        check_key_name(name)?;
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, key_type, &key.verifying_key().to_bytes());
        Ok(Self {
            name: name.to_owned(),
            key_type,
            key,
            key_id,
        })
    }

    /// Parses `PRIVATE+KEY+name+hash+base64(type ‖ seed)`.
    ///
    /// # Errors
    /// [`KeyError::Malformed`], [`KeyError::InvalidName`], [`KeyError::InvalidKeyId`],
    /// [`KeyError::InvalidBase64`], [`KeyError::UnsupportedType`],
    /// [`KeyError::WrongKeyLength`], [`KeyError::KeyIdMismatch`].
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const SHAPE: &str = "PRIVATE+KEY+name+hash+base64(type||seed)";
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::Malformed { expected: SHAPE })?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Malformed { expected: SHAPE });
        };
        check_key_name(name)?;
        let stated = parse_key_id(hash)?;
        let (kt, seed) = parse_key_material(material)?;
        let signer = Self::from_seed(name, kt, &seed)?;
        if signer.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The private key text `PRIVATE+KEY+name+hash+base64(type ‖ seed)`.
    /// Secret: store it like a password.
    pub fn to_private_text(&self) -> String {
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_key_material(self.key_type, &self.key.to_bytes())
        )
    }

    /// The matching public key.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            key_type: self.key_type,
            key: self.key.verifying_key(),
        }
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// Raw Ed25519 signature (64 bytes) over `msg`.
    pub(crate) fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

/// One signature line of a note: key name, key ID and signature bytes
/// (without the 4-byte key ID prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name as written.
    pub name: String,
    /// Key ID (first 4 decoded bytes, big-endian).
    pub key_id: u32,
    /// Signature bytes after the key ID (64 for Ed25519, 72 for a cosignature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line `— name base64(key ID ‖ signature)\n`.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}\n", self.name, B64.encode(raw))
    }
}

/// What is wrong with a signature line (see [`NoteError::MalformedSignatureLine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLineProblem {
    /// The line does not start with `— ` (U+2014, space).
    MissingEmDash,
    /// No space separates the key name from the signature.
    MissingSpace,
    /// The key name is empty or contains a space or `+`.
    InvalidKeyName,
    /// The signature is not valid standard base64.
    InvalidBase64,
    /// The decoded signature is shorter than 5 bytes (key ID + ≥ 1 byte).
    TooShort,
}

/// Why a note could not be parsed, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    /// The note is not valid UTF-8.
    #[error("note is not valid UTF-8")]
    NotUtf8,
    /// The note contains an ASCII control character other than newline.
    #[error("note contains control character {byte:#04x} at byte {offset}")]
    ControlCharacter {
        /// The control byte.
        byte: u8,
        /// Byte offset in the note.
        offset: usize,
    },
    /// The note text is empty or does not end in a newline.
    #[error("note text must be non-empty and end in a newline")]
    TextNotNewlineTerminated,
    /// No blank line separates the text from the signatures.
    #[error("no blank line separates the note text from its signatures")]
    MissingSeparator,
    /// There are no signature lines after the blank line.
    #[error("note has no signature lines")]
    NoSignatures,
    /// The last signature line does not end in a newline.
    #[error("the last signature line does not end in a newline")]
    UnterminatedSignatureLine,
    /// More than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {max} signatures")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// A signature line is malformed.
    #[error("signature line {line} is malformed: {problem:?}")]
    MalformedSignatureLine {
        /// 1-based number of the line among the signature lines.
        line: usize,
        /// What is wrong.
        problem: SignatureLineProblem,
    },
    /// Two configured keys share the name and key ID of a signature.
    #[error("ambiguous key {name}+{key_id:08x}: several known keys match")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A known key signed more than once.
    #[error("duplicate signature by known key {name}+{key_id:08x}")]
    DuplicateSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A signature by a known key does not verify.
    #[error("invalid signature by known key {name}+{key_id:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// No signature by any known key.
    #[error("note has no signature by a known key")]
    NoKnownSignature,
    /// A signer key was not usable (e.g. a cosignature key passed to [`sign_note`]).
    #[error("signer key: {0}")]
    Key(#[from] KeyError),
}

/// A parsed (not yet verified) signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The note text, ending in a newline, without the separating blank line.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// A signature that verified against a known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// Index of the key in the slice passed to [`SignedNote::verify`].
    pub key_index: usize,
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: u32,
    /// Cosignature time (POSIX seconds) for type-`0x04` keys, `None` for `0x01`.
    pub timestamp: Option<u64>,
}

/// Result of verifying a note against a set of known keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The note text.
    pub text: String,
    /// Signatures by known keys, all valid, in note order, one per key.
    pub verified: Vec<VerifiedSignature>,
    /// Signatures by unknown keys (ignored, as the spec requires).
    pub unknown: Vec<NoteSignature>,
}

fn check_text_chars(s: &str, base: usize) -> Result<(), NoteError> {
    match s.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(i) => Err(NoteError::ControlCharacter {
            byte: s.as_bytes()[i],
            offset: base + i,
        }),
        None => Ok(()),
    }
}

fn parse_signature_line(line: &str, n: usize) -> Result<NoteSignature, NoteError> {
    let bad = |problem| NoteError::MalformedSignatureLine { line: n, problem };
    let rest = line
        .strip_prefix("\u{2014} ")
        .ok_or(bad(SignatureLineProblem::MissingEmDash))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(bad(SignatureLineProblem::MissingSpace))?;
    if check_key_name(name).is_err() {
        return Err(bad(SignatureLineProblem::InvalidKeyName));
    }
    let raw = B64
        .decode(b64)
        .map_err(|_| bad(SignatureLineProblem::InvalidBase64))?;
    if raw.len() < 5 {
        return Err(bad(SignatureLineProblem::TooShort));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        signature: raw[4..].to_vec(),
    })
}

impl SignedNote {
    /// Parses a signed note from bytes (signed-note §Format): valid UTF-8, no
    /// control characters but newline, text separated from the signature
    /// lines by the *last* blank line, 1..=[`MAX_SIGNATURES`] well-formed lines.
    ///
    /// # Errors
    /// [`NoteError::NotUtf8`], [`NoteError::ControlCharacter`],
    /// [`NoteError::MissingSeparator`], [`NoteError::NoSignatures`],
    /// [`NoteError::UnterminatedSignatureLine`], [`NoteError::TooManySignatures`],
    /// [`NoteError::MalformedSignatureLine`].
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let s = std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        check_text_chars(s, 0)?;
        let sep = s.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let text = &s[..=sep];
        let sigs = &s[sep + 2..];
        if sigs.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let body = sigs
            .strip_suffix('\n')
            .ok_or(NoteError::UnterminatedSignatureLine)?;
        let mut signatures = Vec::new();
        for (i, line) in body.split('\n').enumerate() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures {
                    max: MAX_SIGNATURES,
                });
            }
            signatures.push(parse_signature_line(line, i + 1)?);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Verifies the note against `keys` (signed-note §Signatures): signatures
    /// by unknown keys (name *and* ID not both matching) are ignored; every
    /// signature by a known key must verify; at least one must.
    ///
    /// Stricter than the reference implementation: a known key that signed
    /// twice is an error rather than silently deduplicated.
    ///
    /// # Errors
    /// [`NoteError::AmbiguousKey`], [`NoteError::DuplicateSignature`],
    /// [`NoteError::InvalidSignature`], [`NoteError::NoKnownSignature`].
    pub fn verify(&self, keys: &[VerifierKey]) -> Result<VerifiedNote, NoteError> {
        let v = self.verify_known(keys)?;
        if v.verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(v)
    }

    /// Like [`SignedNote::verify`] but accepts a note with no signature by a
    /// known key (`verified` is then empty). Used to count cosignatures.
    ///
    /// # Errors
    /// [`NoteError::AmbiguousKey`], [`NoteError::DuplicateSignature`],
    /// [`NoteError::InvalidSignature`].
    pub fn verify_known(&self, keys: &[VerifierKey]) -> Result<VerifiedNote, NoteError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        let mut unknown = Vec::new();
        for sig in &self.signatures {
            let mut matches = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.name == sig.name && k.key_id == sig.key_id);
            let Some((idx, key)) = matches.next() else {
                unknown.push(sig.clone());
                continue;
            };
            if matches.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            if verified.iter().any(|v| v.key_index == idx) {
                return Err(NoteError::DuplicateSignature {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            let timestamp = key
                .verify_note_signature(&self.text, &sig.signature)
                .map_err(|()| NoteError::InvalidSignature {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                })?;
            verified.push(VerifiedSignature {
                key_index: idx,
                name: sig.name.clone(),
                key_id: sig.key_id,
                timestamp,
            });
        }
        Ok(VerifiedNote {
            text: self.text.clone(),
            verified,
            unknown,
        })
    }

    /// Serialises the note: `text ‖ "\n" ‖ signature lines`.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 110 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out
    }
}

impl fmt::Display for SignedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Checks that `text` can be the text of a note: non-empty, ending in a
/// newline, no control characters but newline.
///
/// # Errors
/// [`NoteError::TextNotNewlineTerminated`], [`NoteError::ControlCharacter`].
pub fn check_note_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotNewlineTerminated);
    }
    check_text_chars(text, 0)
}

/// Signs `text` with each Ed25519 (`0x01`) signer, returning the note (signed-note §Format).
///
/// # Errors
/// [`NoteError::TextNotNewlineTerminated`], [`NoteError::ControlCharacter`],
/// [`NoteError::NoSignatures`] (no signer), [`NoteError::Key`] with
/// [`KeyError::WrongType`] for a cosignature key (use [`crate::cosig::cosign`]).
pub fn sign_note(text: &str, signers: &[&SignerKey]) -> Result<SignedNote, NoteError> {
    check_note_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    let mut signatures = Vec::with_capacity(signers.len());
    for s in signers {
        signatures.push(note_signature(text, s)?);
    }
    Ok(SignedNote {
        text: text.to_owned(),
        signatures,
    })
}

/// One Ed25519 (`0x01`) signature line over `text` by `signer`.
///
/// # Errors
/// [`NoteError::Key`] with [`KeyError::WrongType`] for a non-`0x01` key,
/// [`NoteError::TextNotNewlineTerminated`], [`NoteError::ControlCharacter`].
pub fn note_signature(text: &str, signer: &SignerKey) -> Result<NoteSignature, NoteError> {
    check_note_text(text)?;
    if signer.key_type != KeyType::Ed25519 {
        return Err(KeyError::WrongType {
            expected: KeyType::Ed25519,
            found: signer.key_type,
        }
        .into());
    }
    Ok(NoteSignature {
        name: signer.name.clone(),
        key_id: signer.key_id,
        signature: signer.sign_raw(text.as_bytes()).to_vec(),
    })
}
