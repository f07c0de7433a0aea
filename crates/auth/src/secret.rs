//! Credential handling: Argon2id password hashes (RFC 9106, PHC string
//! format) and random bearer secrets stored as SHA-256.
//!
//! Parameters: the `argon2` crate's defaults (Argon2id, m = 19 MiB, t = 2,
//! p = 1), the OWASP Password Storage Cheat Sheet minimum for Argon2id.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Errors of credential handling.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The password is unacceptable (message says why).
    #[error("{0}")]
    WeakPassword(String),
    /// The OS random source or the hasher failed.
    #[error("credential hashing failed: {0}")]
    Crypto(String),
}

/// Minimum password length in characters (NIST SP 800-63B §5.1.1.2: at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Maximum password length in characters (bounds hashing work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Hashes a password with Argon2id; returns a PHC string (`$argon2id$v=19$…`).
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(SecretError::WeakPassword(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(SecretError::WeakPassword(format!(
            "a password may have at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Crypto(e.to_string()))
}

/// Checks a password against a PHC hash; `false` on mismatch or a malformed hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that a login
/// for an unknown e-mail costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("qiantang-dummy-password").unwrap_or_default())
}

/// `n` random bytes from the OS, base64url without padding.
pub fn random_token(n: usize) -> Result<String, SecretError> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| SecretError::Crypto(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// Prefix of API tokens (lets secret scanners recognise them).
pub const TOKEN_PREFIX: &str = "qt_";

/// A new API token secret: `qt_` + 32 random bytes (base64url).
pub fn new_api_token() -> Result<String, SecretError> {
    Ok(format!("{TOKEN_PREFIX}{}", random_token(32)?))
}

/// A readable one-time password: 16 random bytes, base64url (22 characters).
pub fn new_password() -> Result<String, SecretError> {
    random_token(16)
}

/// Lower-case hex SHA-256 of a bearer secret (what the store keeps).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
