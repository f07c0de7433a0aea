//! Content-addressed blob folder: `blobs/ab/cdef…` where the name is the
//! lower-case hex SHA-256 of the content. Writes go to a temporary file that
//! is fsynced and renamed, so a crash never leaves a partial blob.
//!
//! A store call that writes blobs before its transaction uses a
//! [`BlobBatch`]: if the transaction fails, the batch removes the blobs it
//! created — unless another batch in flight in this process wrote the same
//! content meanwhile (and may be about to commit a reference to it).

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use qiantang_core::StoreError;

/// A folder of immutable blobs addressed by SHA-256.
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
    /// Hash → number of batches in flight that wrote it.
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
}

/// Distinguishes temporary files of concurrent writers in one process.
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

fn io_err(op: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("{op} {}: {e}", path.display()))
}

impl BlobDir {
    /// Opens (creating) the folder.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| io_err("create", &root, e))?;
        Ok(Self {
            root,
            in_flight: Arc::default(),
        })
    }

    /// Starts a batch of writes whose new blobs are removed again unless
    /// [`BlobBatch::keep`] is called.
    pub fn batch(&self) -> BlobBatch<'_> {
        BlobBatch {
            dir: self,
            pinned: Vec::new(),
            created: Vec::new(),
            keep: false,
        }
    }

    fn pins(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        // A poisoned lock only means a panic elsewhere; the counts are intact.
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
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
        self.put_hashed(hex::encode(Sha256::digest(bytes)), bytes)
    }

    fn put_hashed(&self, hash: String, bytes: &[u8]) -> Result<(String, bool), StoreError> {
        let path = self.path_of(&hash)?;
        if path.exists() {
            return Ok((hash, false));
        }
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| io_err("create", dir, e))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{}",
            &hash[2..],
            std::process::id(),
            TMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = fs::File::create(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        let res = f.write_all(bytes).and_then(|_| f.sync_all());
        if let Err(e) = res {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", &tmp, e));
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("rename", &path, e));
        }
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

/// Blobs written for one store call (see [`BlobDir::batch`]).
pub struct BlobBatch<'a> {
    dir: &'a BlobDir,
    pinned: Vec<String>,
    created: Vec<String>,
    keep: bool,
}

impl BlobBatch<'_> {
    /// Stores `bytes` (like [`BlobDir::put`]) and returns the hash.
    pub fn put(&mut self, bytes: &[u8]) -> Result<String, StoreError> {
        let hash = hex::encode(Sha256::digest(bytes));
        // Pin before looking at the disk, so a failing batch that created
        // the same blob cannot remove it under us.
        *self.dir.pins().entry(hash.clone()).or_insert(0) += 1;
        self.pinned.push(hash.clone());
        let (hash, created) = self.dir.put_hashed(hash, bytes)?;
        if created {
            self.created.push(hash.clone());
        }
        Ok(hash)
    }

    /// The call succeeded: keep every blob.
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for BlobBatch<'_> {
    fn drop(&mut self) {
        let mut pins = self.dir.pins();
        for h in &self.pinned {
            if let Some(n) = pins.get_mut(h) {
                *n -= 1;
                if *n == 0 {
                    pins.remove(h);
                }
            }
        }
        if self.keep {
            return;
        }
        for h in &self.created {
            if pins.contains_key(h) {
                continue;
            }
            if let Err(e) = self.dir.remove(h) {
                tracing::warn!(error = %e, "could not remove blob of failed import");
            }
        }
    }
}
