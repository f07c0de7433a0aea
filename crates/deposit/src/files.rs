//! Small file helpers: the exclusive `LOCK` file (an OS advisory lock), key files (0600, OS RNG),
//! atomic replacement of small files, SHA-256 of files, media types.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use qiantang_ledger::{KeyType, SignerKey};

use crate::DepositError;

/// Lock file name (inside the log directory or a witness state directory).
pub const LOCK_FILE: &str = "LOCK";

/// The exclusive-access lock: an operating-system advisory lock (`flock` on
/// Unix, `LockFileEx` on Windows, through [`File::try_lock`]) on the `LOCK`
/// file, which the kernel releases as soon as the holding process dies, even
/// by `kill -9` and while it is still a zombie.
///
/// The file's content is information only, never used to decide: the
/// holder's pid on the first line and, on the second, who holds it (the
/// `holder` given to [`LockFile::acquire_as`], e.g. [`crate::HUB_HOLDER`]
/// and the hub's URL, else the program's name), so that a refused process
/// can say where to go instead. A `LOCK` file left by a process that died
/// is simply taken over. The file is removed on drop.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
    /// Holds the OS lock until it is closed.
    _file: File,
}

/// How many times [`LockFile::acquire_as`] retries when the `LOCK` file it
/// locked was removed or replaced meanwhile by a holder that released it.
const LOCK_ATTEMPTS: usize = 64;

impl LockFile {
    /// Takes the lock in `dir`.
    ///
    /// # Errors
    /// [`DepositError::Locked`] when another open lock (of this or another
    /// running process) holds it; IO errors.
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
        for _ in 0..LOCK_ATTEMPTS {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(DepositError::io("opening", &path))?;
            match f.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let (pid, held_by) = read_holder(&mut f);
                    return Err(DepositError::Locked {
                        path,
                        pid,
                        holder: held_by,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(DepositError::io("locking", &path)(e)),
            }
            // A holder removes the file (still locked) on drop: if it did so
            // between our open and our lock, we locked an unlinked file.
            if !still_at(&f, &path) {
                continue;
            }
            let (old_pid, old_holder) = read_holder(&mut f);
            if !old_pid.is_empty() {
                tracing::warn!(pid = %old_pid, "taking over a lock file left by a process that is gone");
                eprintln!(
                    "note: {} was left by process {old_pid}{}, which is no longer running (the operating system released its lock); taking it over",
                    path.display(),
                    old_holder.map(|h| format!(" ({h})")).unwrap_or_default()
                );
            }
            let holder = match holder {
                Some(h) => h.replace(['\n', '\r'], " "),
                None => program_name(),
            };
            let text = format!("{}\n{holder}\n", std::process::id());
            f.set_len(0)
                .and_then(|()| f.seek(SeekFrom::Start(0)))
                .and_then(|_| f.write_all(text.as_bytes()))
                .map_err(DepositError::io("writing", &path))?;
            return Ok(Self { path, _file: f });
        }
        Err(DepositError::Other(format!(
            "{}: the lock file kept being replaced while locking it ({LOCK_ATTEMPTS} attempts)",
            path.display()
        )))
    }
}

/// The (pid, holder) lines of a lock file, as information: empty pid and
/// `None` when unreadable (Windows refuses to read a locked range).
fn read_holder(f: &mut File) -> (String, Option<String>) {
    let mut text = String::new();
    if f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_to_string(&mut text))
        .is_err()
    {
        return (String::new(), None);
    }
    let mut lines = text.lines();
    let pid = lines.next().unwrap_or("").trim().to_owned();
    let holder = lines
        .next()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    (pid, holder)
}

/// Whether `path` still names the open file `f` (same device and inode).
#[cfg(unix)]
fn still_at(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` still names the open file `f` (an open file cannot be
/// removed here).
#[cfg(not(unix))]
fn still_at(_f: &File, path: &Path) -> bool {
    path.exists()
}

/// This program's file name (`qiantang`), as the holder when none is given.
fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown program".to_owned())
}

impl Drop for LockFile {
    /// Removes the file while still holding the lock (the lock goes with the
    /// file handle right after).
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
