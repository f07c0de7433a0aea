//! Content-addressed blob folder: `blobs/ab/cdef…` where the name is the
//! lower-case hex SHA-256 of the content. Writes go to a temporary file that
//! is fsynced and renamed, so a crash never leaves a partial blob.

use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use qiantang_kb::StoreError;

/// A folder of immutable blobs addressed by SHA-256.
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
}

fn io_err(op: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("{op} {}: {e}", path.display()))
}

impl BlobDir {
    /// Opens (creating) the folder.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| io_err("create", &root, e))?;
        Ok(Self { root })
    }

    fn path_of(&self, hash: &str) -> Result<PathBuf, StoreError> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(format!(
                "not a SHA-256 hex digest: {hash:?}"
            )));
        }
        Ok(self.root.join(&hash[..2]).join(&hash[2..]))
    }

    /// Stores `bytes`; returns `(hash, created)` where `created` is false when
    /// the blob already existed.
    pub fn put(&self, bytes: &[u8]) -> Result<(String, bool), StoreError> {
        let hash = hex::encode(Sha256::digest(bytes));
        let path = self.path_of(&hash)?;
        if path.exists() {
            return Ok((hash, false));
        }
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| io_err("create", dir, e))?;
        let tmp = dir.join(format!(".{}.tmp-{}", &hash[2..], std::process::id()));
        let mut f = fs::File::create(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        let res = f.write_all(bytes).and_then(|_| f.sync_all());
        if let Err(e) = res {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", &tmp, e));
        }
        fs::rename(&tmp, &path).map_err(|e| io_err("rename", &path, e))?;
        Ok((hash, true))
    }

    /// Reads a blob, verifying its hash.
    pub fn get(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(hash)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(format!("blob {hash}")))
            }
            Err(e) => return Err(io_err("read", &path, e)),
        };
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != hash {
            return Err(StoreError::Backend(format!(
                "blob {hash} is corrupt on disk (content hashes to {actual})"
            )));
        }
        Ok(bytes)
    }

    /// Removes a blob if present (used to undo blobs written by a failed import).
    pub fn remove(&self, hash: &str) -> Result<(), StoreError> {
        let path = self.path_of(hash)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path, e)),
        }
    }
}
