//! Small file helpers: the exclusive `LOCK` file, key files (0600, OS RNG),
//! atomic replacement of small files, SHA-256 of files, media types.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use qiantang_ledger::{KeyType, SignerKey};

use crate::DepositError;

/// Lock file name (inside the log directory or a witness state directory).
pub const LOCK_FILE: &str = "LOCK";

/// The exclusive-access lock: `LOCK` created with `create_new` holding the
/// pid, removed on drop. A lock whose process no longer runs (Linux:
/// `/proc/<pid>` is gone) is taken over with a note on stderr.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
}

impl LockFile {
    /// Takes the lock in `dir`.
    ///
    /// # Errors
    /// [`DepositError::Locked`] when a running process holds it; IO errors.
    pub fn acquire(dir: &Path) -> Result<Self, DepositError> {
        Self::acquire_as(dir, None)
    }

    /// Takes the lock in `dir`, recording who holds it after the pid (one
    /// line, e.g. the hub's URL), so that a refused process can say where to
    /// go instead.
    ///
    /// # Errors
    /// As [`LockFile::acquire`].
    pub fn acquire_as(dir: &Path, holder: Option<&str>) -> Result<Self, DepositError> {
        let path = dir.join(LOCK_FILE);
        let mut f = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let text = fs::read_to_string(&path).unwrap_or_default();
                let mut lines = text.lines();
                let pid_line = lines.next().unwrap_or("").trim().to_owned();
                let held_by = lines
                    .next()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned);
                if let Ok(pid) = pid_line.parse::<u32>() {
                    if cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists() {
                        tracing::warn!(pid, "taking over a stale lock");
                        eprintln!(
                            "note: {} was left by process {pid}, which is no longer running; taking it over",
                            path.display()
                        );
                        fs::remove_file(&path)
                            .map_err(DepositError::io("removing stale", &path))?;
                        return Self::acquire_as(dir, holder);
                    }
                }
                return Err(DepositError::Locked {
                    path,
                    pid: pid_line,
                    holder: held_by,
                });
            }
            Err(e) => return Err(DepositError::io("creating", &path)(e)),
        };
        let text = match holder {
            Some(h) => format!("{}\n{}\n", std::process::id(), h.replace('\n', " ")),
            None => format!("{}\n", std::process::id()),
        };
        f.write_all(text.as_bytes())
            .map_err(DepositError::io("writing", &path))?;
        Ok(Self { path })
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// 32 bytes from the OS random number generator.
///
/// # Errors
/// [`DepositError::Key`] if the OS RNG fails.
pub fn random_seed() -> Result<[u8; 32], DepositError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| DepositError::Key(format!("OS random number generator: {e}")))?;
    Ok(seed)
}

/// Generates a signer key of `key_type` named `name` and writes its private
/// text to `path` (created, never overwritten, mode 0600, fsynced).
///
/// # Errors
/// [`DepositError::Key`] for an invalid name; IO errors (including an
/// existing file).
pub fn generate_key_file(
    path: &Path,
    name: &str,
    key_type: KeyType,
) -> Result<SignerKey, DepositError> {
    let mut seed = random_seed()?;
    let key = SignerKey::from_seed(name, key_type, &seed)
        .map_err(|e| DepositError::Key(format!("key name {name:?}: {e}")))?;
    seed.fill(0);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(DepositError::io("creating", path))?;
    f.write_all(format!("{}\n", key.to_private_text()).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(DepositError::io("writing", path))?;
    Ok(key)
}

/// Reads a signer key file.
///
/// # Errors
/// IO errors; [`DepositError::Key`] if it is not a signer key.
pub fn read_key_file(path: &Path) -> Result<SignerKey, DepositError> {
    let text = fs::read_to_string(path).map_err(DepositError::io("reading", path))?;
    SignerKey::parse(text.trim())
        .map_err(|e| DepositError::Key(format!("{}: not a signer key: {e}", path.display())))
}

/// Replaces `path` with `bytes` atomically (temp file, fsync, rename, fsync
/// of the directory).
///
/// # Errors
/// IO errors.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DepositError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(DepositError::io("creating", &tmp))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(DepositError::io("writing", &tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(DepositError::io("renaming to", path))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(DepositError::io("syncing", dir))?;
    }
    Ok(())
}

/// Reads `path`, `None` if it does not exist.
///
/// # Errors
/// Other IO errors.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, DepositError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DepositError::io("reading", path)(e)),
    }
}

/// SHA-256 (hex) and size of a file, streamed.
///
/// # Errors
/// IO errors, with the path.
pub fn hash_file(path: &Path) -> Result<(String, u64), DepositError> {
    let mut f = File::open(path).map_err(DepositError::io("cannot read", path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(DepositError::io("cannot read", path))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

/// A media type from the file extension (`application/octet-stream` if unknown).
pub fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "epub" => "application/epub+zip",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "srt" => "application/x-subrip",
        "vtt" => "text/vtt",
        "ass" | "ssa" => "text/x-ssa",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` for POSIX seconds (UTC, proleptic Gregorian).
pub fn utc_rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_rfc3339;

    #[test]
    fn rfc3339() {
        assert_eq!(utc_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_rfc3339(1_679_315_147), "2023-03-20T12:25:47Z");
        assert_eq!(utc_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
