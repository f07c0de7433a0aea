//! RFC 3161 time-stamp tokens over a leaf hash.
//!
//! Requests and responses are built and parsed with RustCrypto's `x509-tsp`
//! and `cms` (DER via `der`): SHA-256 message imprint of the 32-byte RFC 6962
//! leaf hash, a random nonce, `certReq` true so the token carries the TSA
//! certificate. The token (the CMS `ContentInfo`) is stored and put in
//! receipts.
//!
//! Offline verification has two parts: the TSTInfo is parsed in Rust and its
//! message imprint must be SHA-256 over exactly the leaf hash
//! ([`TsaError::ImprintMismatch`]); the CMS signature, the ESS signing
//! certificate binding, the `timeStamping` extended key usage and the chain
//! to the given TSA or CA certificate are checked by running
//! `openssl ts -verify -token_in -digest <leaf hash> -CAfile <cert>
//! -partial_chain` (a trusted TSA certificate itself is enough) as a
//! subprocess: verifying CMS signatures in pure Rust would need RSA/ECDSA,
//! X.509 path validation and ESS handling that no small crate provides.

use std::path::Path;
use std::process::Command;

use cmpv2::status::PkiStatus;
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::signed_data::SignedData;
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use thiserror::Error;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use qiantang_ledger::merkle::Hash;

use crate::files::{random_seed, utc_rfc3339};

/// OID of SHA-256 (id-sha256, 2.16.840.1.101.3.4.2.1).
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// OID of id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4).
pub const ID_CT_TSTINFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// Request media type.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";

/// Why a timestamp could not be obtained or verified.
#[derive(Debug, Error)]
pub enum TsaError {
    /// DER encoding or decoding failed.
    #[error("malformed timestamp data: {0}")]
    Der(String),
    /// HTTP failure talking to the TSA.
    #[error("time-stamping authority: {0}")]
    Http(String),
    /// The TSA did not grant the request.
    #[error("time-stamping authority refused the request: status {status}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Refused {
        /// PKIStatus name.
        status: String,
        /// statusString, if any.
        text: Option<String>,
    },
    /// The token is not a signed TSTInfo.
    #[error("not a time-stamp token: {0}")]
    NotAToken(String),
    /// The token's imprint uses another hash algorithm.
    #[error("timestamp token imprint uses algorithm {0}, expected SHA-256")]
    WrongAlgorithm(String),
    /// The token is over another hash.
    #[error("timestamp token is over hash {token}, not the entry's leaf hash {leaf}")]
    ImprintMismatch {
        /// Hash in the token (hex).
        token: String,
        /// Leaf hash (hex).
        leaf: String,
    },
    /// The response's nonce is not the request's.
    #[error("timestamp response nonce does not match the request")]
    NonceMismatch,
    /// `openssl` could not be run.
    #[error("cannot run `openssl ts -verify` (is OpenSSL installed?): {0}")]
    OpensslMissing(String),
    /// `openssl ts -verify` refused the signature or the chain.
    #[error("timestamp signature or certificate chain rejected by openssl ts -verify: {0}")]
    Signature(String),
}

fn der_err(e: der::Error) -> TsaError {
    TsaError::Der(e.to_string())
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// genTime, POSIX seconds.
    pub gen_time: u64,
    /// genTime as `YYYY-MM-DDThh:mm:ssZ`.
    pub gen_time_utc: String,
    /// Hashed message of the imprint.
    pub imprint: Vec<u8>,
    /// Imprint hash algorithm OID.
    pub algorithm: String,
    /// TSA policy OID.
    pub policy: String,
    /// Serial number (hex).
    pub serial: String,
}

/// The DER `TimeStampReq` for a SHA-256 imprint of `leaf` with `nonce`
/// (certReq true).
///
/// # Errors
/// [`TsaError::Der`].
pub fn build_request(leaf: &Hash, nonce: &[u8]) -> Result<Vec<u8>, TsaError> {
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: ID_SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(leaf.to_vec()).map_err(der_err)?,
        },
        req_policy: None,
        nonce: Some(Int::new(nonce).map_err(der_err)?),
        cert_req: true,
        extensions: None,
    };
    req.to_der().map_err(der_err)
}

/// Parses a token (CMS `ContentInfo` holding `SignedData` over a `TSTInfo`).
///
/// # Errors
/// [`TsaError::NotAToken`], [`TsaError::Der`].
pub fn parse_token(token: &[u8]) -> Result<(TstInfo, TokenInfo), TsaError> {
    let ci = cms::content_info::ContentInfo::from_der(token)
        .map_err(|e| TsaError::NotAToken(format!("ContentInfo: {e}")))?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| TsaError::NotAToken(format!("SignedData: {e}")))?;
    if sd.encap_content_info.econtent_type != ID_CT_TSTINFO {
        return Err(TsaError::NotAToken(format!(
            "content type {} is not id-ct-TSTInfo",
            sd.encap_content_info.econtent_type
        )));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| TsaError::NotAToken("no encapsulated TSTInfo".into()))?;
    let octets: OctetString = econtent
        .decode_as()
        .map_err(|e| TsaError::NotAToken(format!("eContent: {e}")))?;
    let tst = TstInfo::from_der(octets.as_bytes())
        .map_err(|e| TsaError::NotAToken(format!("TSTInfo: {e}")))?;
    let gen_time = tst.gen_time.to_unix_duration().as_secs();
    let info = TokenInfo {
        gen_time,
        gen_time_utc: utc_rfc3339(gen_time),
        imprint: tst.message_imprint.hashed_message.as_bytes().to_vec(),
        algorithm: tst.message_imprint.hash_algorithm.oid.to_string(),
        policy: tst.policy.to_string(),
        serial: hex::encode(tst.serial_number.as_bytes()),
    };
    Ok((tst, info))
}

/// Checks that the token's imprint is SHA-256 over exactly `leaf` (pure Rust,
/// no signature check).
///
/// # Errors
/// [`TsaError::WrongAlgorithm`], [`TsaError::ImprintMismatch`], parse errors.
pub fn check_imprint(token: &[u8], leaf: &Hash) -> Result<TokenInfo, TsaError> {
    let (_, info) = parse_token(token)?;
    if info.algorithm != ID_SHA256.to_string() {
        return Err(TsaError::WrongAlgorithm(info.algorithm));
    }
    if info.imprint != leaf {
        return Err(TsaError::ImprintMismatch {
            token: hex::encode(&info.imprint),
            leaf: hex::encode(leaf),
        });
    }
    Ok(info)
}

/// Requests a token over `leaf` from the TSA at `url` (HTTP POST,
/// `application/timestamp-query`); checks the status, the imprint and the
/// nonce, and returns the token's DER.
///
/// # Errors
/// See [`TsaError`].
pub fn request_token(agent: &ureq::Agent, url: &str, leaf: &Hash) -> Result<Vec<u8>, TsaError> {
    let seed = random_seed().map_err(|e| TsaError::Http(e.to_string()))?;
    // A positive 8-byte nonce.
    let mut nonce = seed[..8].to_vec();
    nonce[0] &= 0x7f;
    nonce[0] |= 0x01;
    let body = build_request(leaf, &nonce)?;
    let mut resp = agent
        .post(url)
        .header("Content-Type", QUERY_CONTENT_TYPE)
        .send(&body[..])
        .map_err(|e| TsaError::Http(e.to_string()))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .read_to_vec()
        .map_err(|e| TsaError::Http(e.to_string()))?;
    if status != 200 {
        return Err(TsaError::Http(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(200)
                .collect::<String>()
        )));
    }
    let resp = TimeStampResp::from_der(&bytes).map_err(der_err)?;
    match resp.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            return Err(TsaError::Refused {
                status: format!("{other:?}"),
                text: resp.status.status_string.as_ref().map(|s| format!("{s:?}")),
            })
        }
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TsaError::NotAToken("granted response without a token".into()))?
        .to_der()
        .map_err(der_err)?;
    let (tst, _) = parse_token(&token)?;
    check_imprint(&token, leaf)?;
    if tst.nonce.as_ref().map(Int::as_bytes) != Some(&nonce[..]) {
        return Err(TsaError::NonceMismatch);
    }
    Ok(token)
}

/// Verifies a token offline: the imprint over `leaf` (Rust), then the CMS
/// signature and the chain to `tsa_cert` (a PEM TSA or CA certificate) with
/// `openssl ts -verify`.
///
/// # Errors
/// See [`TsaError`].
pub fn verify_token(token: &[u8], leaf: &Hash, tsa_cert: &Path) -> Result<TokenInfo, TsaError> {
    let info = check_imprint(token, leaf)?;
    let mut tmp = tempfile::NamedTempFile::new().map_err(|e| TsaError::Signature(e.to_string()))?;
    std::io::Write::write_all(&mut tmp, token).map_err(|e| TsaError::Signature(e.to_string()))?;
    let out = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(tmp.path())
        .args(["-digest", &hex::encode(leaf), "-partial_chain", "-CAfile"])
        .arg(tsa_cert)
        .output()
        .map_err(|e| TsaError::OpensslMissing(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.contains("Verification: OK") {
        return Ok(info);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reason: Vec<&str> = stderr
        .lines()
        .chain(stdout.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Using configuration"))
        .collect();
    Err(TsaError::Signature(reason.join("; ")))
}
