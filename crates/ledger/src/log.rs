//! A durable, append-only, file-backed transparency log over the pure core
//! ([`crate::merkle`], [`crate::checkpoint`], [`crate::proof`]).
//!
//! This is the one module of the crate that does IO (`std::fs` only). It is
//! still clock-free and randomness-free: checkpoints carry no timestamp and the
//! log key is passed in.
//!
//! # Files in the log directory
//!
//! | file | content |
//! | --- | --- |
//! | `entries` | append-only; each entry as a big-endian `u16` length followed by the entry bytes (the C2SP tlog-tiles entry-bundle framing, so an entry is at most [`MAX_ENTRY_SIZE`] = 65,535 bytes) |
//! | `leaves` | append-only; the RFC 6962 §2.1 leaf hash `SHA-256(0x00 ‖ entry)` of each entry, 32 bytes each, in entry order |
//! | `checkpoint` | the latest C2SP tlog-checkpoint, signed as a C2SP signed-note by the log key; replaced atomically (write `checkpoint.tmp`, fsync, rename, fsync the directory) |
//!
//! The stored-subtree hashes are not written: a [`MemoryTree`] (≈ 2 × 32 bytes
//! per entry, 64 MB at 10⁶ entries) is rebuilt from `leaves` at open, after
//! every leaf hash has been checked against its entry.
//!
//! # Durability
//!
//! [`Log::append`] only stages an entry in memory and assigns its index at
//! once. [`Log::integrate`] writes every staged entry and leaf hash with one
//! `write` per file, makes both durable with one `fdatasync` each (one sync
//! round per batch, whatever its size), extends the tree, then signs and
//! atomically writes the new checkpoint. **Only entries covered by a written
//! checkpoint are acknowledged**; an index handed out by `append` is a promise
//! only once a checkpoint covers it (and a client should check the leaf hash
//! at that index, see [`Pending::leaf_hash`]).
//!
//! # Recovery rule (at open)
//!
//! With `N` = the size of the verified checkpoint:
//!
//! 1. The checkpoint must parse, be signed by the log key and carry the
//!    log's origin, else [`LogError::Tampered`] with [`TamperKind::Checkpoint`].
//! 2. `entries` must hold at least `N` complete records and `leaves` at least
//!    `N` hashes, else `Tampered` (`EntriesMissing` / `LeafHashesMissing`,
//!    with the first missing index). Acknowledged data never shrinks.
//! 3. Every stored leaf hash `i < N` must equal `SHA-256(0x00 ‖ entry i)`,
//!    else `Tampered` (`LeafHashMismatch`, index `i`), and the root recomputed
//!    from the leaf hashes must equal the checkpoint root, else `Tampered`
//!    (`RootMismatch`: entries and hashes were altered together).
//! 4. Data beyond `N` was written by an integration that crashed before its
//!    checkpoint, so it was never acknowledged. With [`TailPolicy::Reintegrate`]
//!    (the default) the longest prefix of the tail that is complete **and**
//!    consistent in both files (a whole record, a whole hash, and the hash
//!    matching the entry) is kept and covered by a freshly signed checkpoint;
//!    everything after it (a torn record, a missing or mismatching hash) is
//!    truncated. With [`TailPolicy::Truncate`] the whole tail is truncated.
//!    A mismatch in the tail is not reported as tampering: a crash can leave
//!    any bytes there, and nothing in it was ever signed.
//!
//! Re-integration keeps the indices of entries that reached the disk stable
//! across a crash and loses fewer deposits; its cost is that whoever can write
//! the directory can get extra entries signed at the next start (never
//! backdated: they land after every acknowledged entry). Choose
//! [`TailPolicy::Truncate`] when the directory is less trusted than the process.
//!
//! One process at a time may open a directory for writing; this module does
//! not lock it (the caller does).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::checkpoint::{Checkpoint, SignCheckpointError};
use crate::merkle::{self, leaf_hash, Hash, MemoryTree, MissingNode, ProofGenError, HASH_SIZE};
use crate::note::{NoteError, SignedNote, SignerKey};
use crate::proof::TlogProof;

/// Largest entry in bytes: entries are framed with a big-endian `u16` length,
/// as in C2SP tlog-tiles entry bundles.
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// File name of the entries file inside the log directory.
pub const ENTRIES_FILE: &str = "entries";
/// File name of the leaf-hash file inside the log directory.
pub const LEAVES_FILE: &str = "leaves";
/// File name of the signed checkpoint inside the log directory.
pub const CHECKPOINT_FILE: &str = "checkpoint";
const CHECKPOINT_TMP: &str = "checkpoint.tmp";

/// What was found altered at open (see the module's recovery rule).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TamperKind {
    /// The checkpoint file does not parse, is not validly signed by the log
    /// key, or names another origin.
    #[error("checkpoint rejected: {0}")]
    Checkpoint(String),
    /// `entries` ends (or a record is cut) before the checkpoint size.
    #[error("entries file holds only {found} complete entries, checkpoint covers {expected}")]
    EntriesMissing {
        /// Complete records found.
        found: u64,
        /// Checkpoint size.
        expected: u64,
    },
    /// `leaves` is shorter than 32 bytes × checkpoint size.
    #[error("leaf-hash file holds only {found} hashes, checkpoint covers {expected}")]
    LeafHashesMissing {
        /// Complete hashes found.
        found: u64,
        /// Checkpoint size.
        expected: u64,
    },
    /// A stored leaf hash differs from `SHA-256(0x00 ‖ entry)`.
    #[error("stored leaf hash does not match its entry")]
    LeafHashMismatch,
    /// The root recomputed from the stored leaf hashes differs from the
    /// checkpoint root.
    #[error("recomputed root differs from the checkpoint root")]
    RootMismatch,
}

/// Why a log operation failed.
#[derive(Debug, Error)]
pub enum LogError {
    /// A file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`"open"`, `"write"`, `"fsync"`, …).
        op: &'static str,
        /// File or directory concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// [`Log::create`] found a log (a checkpoint file) already in the directory.
    #[error("a log already exists in {0}")]
    AlreadyExists(PathBuf),
    /// [`Log::open`] found no checkpoint file in the directory.
    #[error("no log in {0} (no checkpoint file)")]
    NotALog(PathBuf),
    /// The origin is not the log key's name (tlog-checkpoint: the key name
    /// should be the origin; [`crate::verify_proof`] requires it).
    #[error("origin {origin:?} differs from the log key name {key_name:?}")]
    OriginNotKeyName {
        /// Origin asked for.
        origin: String,
        /// Name of the signer key.
        key_name: String,
    },
    /// On-disk data was altered: `what`, at leaf `index` when one is known.
    #[error("log data tampered: {what}{}", index.map(|i| format!(" (entry {i})")).unwrap_or_default())]
    Tampered {
        /// What check failed.
        what: TamperKind,
        /// The first entry index concerned, when the check is per entry.
        index: Option<u64>,
    },
    /// An entry is larger than [`MAX_ENTRY_SIZE`].
    #[error("entry of {len} bytes exceeds the {max}-byte limit")]
    EntryTooLarge {
        /// Entry length, bytes.
        len: usize,
        /// [`MAX_ENTRY_SIZE`].
        max: usize,
    },
    /// An index or size beyond the acknowledged (checkpointed) tree.
    #[error("index or size {index} is beyond the log size {size}")]
    OutOfRange {
        /// Index or size asked for.
        index: u64,
        /// Current checkpoint size.
        size: u64,
    },
    /// Proof generation failed.
    #[error(transparent)]
    Proof(#[from] ProofGenError<MissingNode>),
    /// The checkpoint could not be signed.
    #[error(transparent)]
    Sign(#[from] SignCheckpointError),
    /// An earlier integration failed half-way; the on-disk tail is unknown, so
    /// the handle refuses further writes. Reopen the log to recover.
    #[error("an earlier integration failed; reopen the log to recover")]
    Poisoned,
    /// The hook of [`Log::integrate_with`] (e.g. a database mirror) failed:
    /// the batch is on disk but its checkpoint was not written, so it is not
    /// acknowledged (the handle is poisoned; reopening recovers).
    #[error("mirroring the batch failed: {0}")]
    Mirror(String),
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> LogError + 'a {
    move |source| LogError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// What [`Log::open`] does with data written after the last checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TailPolicy {
    /// Keep the complete, hash-consistent prefix of the tail and cover it by a
    /// new checkpoint; truncate the rest.
    #[default]
    Reintegrate,
    /// Truncate the whole tail back to the checkpoint.
    Truncate,
}

/// What recovery did at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Entries found after the checkpoint and re-integrated.
    pub reintegrated: u64,
    /// Bytes cut from the end of `entries`.
    pub entries_bytes_truncated: u64,
    /// Bytes cut from the end of `leaves`.
    pub leaves_bytes_truncated: u64,
}

/// An entry staged by [`Log::append`], not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Index the entry will have once integrated (0-based).
    pub index: u64,
    /// Its RFC 6962 leaf hash `SHA-256(0x00 ‖ entry)`.
    pub leaf_hash: Hash,
}

/// A checkpoint signed by the log key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The signed note (text + signature lines) exactly as written to disk.
    pub note: String,
}

/// A file-backed transparency log (see the module documentation).
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    signer: SignerKey,
    entries: File,
    leaves: File,
    /// Byte offset of each acknowledged entry's record in `entries`.
    offsets: Vec<u64>,
    /// Byte length of the acknowledged part of `entries`.
    entries_len: u64,
    tree: MemoryTree,
    checkpoint: SignedCheckpoint,
    staged: Vec<(Vec<u8>, Hash)>,
    recovery: Recovery,
    poisoned: bool,
}

fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", dir))
}

fn write_checkpoint(dir: &Path, note: &str) -> Result<(), LogError> {
    let tmp = dir.join(CHECKPOINT_TMP);
    let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
    f.write_all(note.as_bytes())
        .map_err(io_err("write", &tmp))?;
    f.sync_all().map_err(io_err("fsync", &tmp))?;
    drop(f);
    let dst = dir.join(CHECKPOINT_FILE);
    fs::rename(&tmp, &dst).map_err(io_err("rename", &dst))?;
    sync_dir(dir)
}

fn sign(checkpoint: Checkpoint, signer: &SignerKey) -> Result<SignedCheckpoint, LogError> {
    let note = checkpoint.sign(signer)?.to_text();
    Ok(SignedCheckpoint { checkpoint, note })
}

fn open_append(path: &Path) -> Result<File, LogError> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err("open", path))
}

fn read_all(path: &Path) -> Result<Vec<u8>, LogError> {
    let mut buf = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut buf).map_err(io_err("read", path))?;
            Ok(buf)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(buf),
        Err(e) => Err(io_err("open", path)(e)),
    }
}

/// Splits `buf` into complete `u16`-framed records: their start offsets, and
/// the end offset of the last complete record.
fn scan_records(buf: &[u8]) -> (Vec<u64>, usize) {
    let mut offsets = Vec::new();
    let mut pos = 0usize;
    while let Some(hdr) = buf.get(pos..pos + 2) {
        let len = usize::from(u16::from_be_bytes([hdr[0], hdr[1]]));
        if pos + 2 + len > buf.len() {
            break;
        }
        offsets.push(pos as u64);
        pos += 2 + len;
    }
    (offsets, pos)
}

fn record_at(buf: &[u8], offset: u64) -> &[u8] {
    let o = offset as usize;
    let len = usize::from(u16::from_be_bytes([buf[o], buf[o + 1]]));
    &buf[o + 2..o + 2 + len]
}

fn stored_hash(leaves: &[u8], i: usize) -> Hash {
    let mut h = [0u8; HASH_SIZE];
    h.copy_from_slice(&leaves[i * HASH_SIZE..(i + 1) * HASH_SIZE]);
    h
}

fn tampered(what: TamperKind, index: Option<u64>) -> LogError {
    LogError::Tampered { what, index }
}

impl Log {
    /// Creates an empty log in `dir` (created if needed): empty `entries` and
    /// `leaves`, and a signed checkpoint of size 0 (root `SHA-256("")`).
    ///
    /// `origin` must equal `signer.name()`; `signer` must be an Ed25519
    /// (type `0x01`) key.
    ///
    /// # Errors
    /// [`LogError::OriginNotKeyName`], [`LogError::AlreadyExists`],
    /// [`LogError::Sign`], [`LogError::Io`].
    pub fn create(dir: &Path, origin: &str, signer: SignerKey) -> Result<Self, LogError> {
        check_origin(origin, &signer)?;
        fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        if dir.join(CHECKPOINT_FILE).exists() {
            return Err(LogError::AlreadyExists(dir.to_path_buf()));
        }
        for name in [ENTRIES_FILE, LEAVES_FILE] {
            let p = dir.join(name);
            let f = File::create(&p).map_err(io_err("create", &p))?;
            f.sync_all().map_err(io_err("fsync", &p))?;
        }
        let cp = sign(
            Checkpoint {
                origin: origin.to_owned(),
                size: 0,
                root: merkle::empty_root(),
                extensions: Vec::new(),
            },
            &signer,
        )?;
        // The checkpoint is written last: its presence marks a complete log.
        write_checkpoint(dir, &cp.note)?;
        Self::open_with(dir, origin, signer, TailPolicy::Reintegrate)
    }

    /// Opens an existing log with [`TailPolicy::Reintegrate`].
    ///
    /// # Errors
    /// As [`Log::open_with`].
    pub fn open(dir: &Path, origin: &str, signer: SignerKey) -> Result<Self, LogError> {
        Self::open_with(dir, origin, signer, TailPolicy::Reintegrate)
    }

    /// Opens an existing log, verifies all of its data against the checkpoint
    /// and recovers from a crashed integration (module docs, "Recovery rule").
    /// Reads every entry once: O(n) time, about 64 bytes of memory per entry
    /// for the tree plus 8 for the entry offsets.
    ///
    /// # Errors
    /// [`LogError::Tampered`] with the precise [`TamperKind`] and index,
    /// [`LogError::NotALog`], [`LogError::OriginNotKeyName`],
    /// [`LogError::Io`], [`LogError::Sign`] (re-integration).
    pub fn open_with(
        dir: &Path,
        origin: &str,
        signer: SignerKey,
        policy: TailPolicy,
    ) -> Result<Self, LogError> {
        check_origin(origin, &signer)?;
        let cp_path = dir.join(CHECKPOINT_FILE);
        let cp_bytes = match fs::read(&cp_path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(LogError::NotALog(dir.to_path_buf()))
            }
            Err(e) => return Err(io_err("read", &cp_path)(e)),
        };
        let checkpoint = verify_checkpoint(&cp_bytes, origin, &signer)?;
        let size = checkpoint.size;
        let note = String::from_utf8_lossy(&cp_bytes).into_owned();

        let entries_path = dir.join(ENTRIES_FILE);
        let leaves_path = dir.join(LEAVES_FILE);
        let entries_buf = read_all(&entries_path)?;
        let leaves_buf = read_all(&leaves_path)?;
        let (mut offsets, complete_end) = scan_records(&entries_buf);
        let n_hashes = (leaves_buf.len() / HASH_SIZE) as u64;
        // Check every acknowledged entry present before counting, so that an
        // altered length prefix is reported at the entry it belongs to.
        let present = (offsets.len() as u64).min(n_hashes).min(size);
        let mut tree = MemoryTree::new();
        for (i, &off) in offsets.iter().take(present as usize).enumerate() {
            let h = stored_hash(&leaves_buf, i);
            if leaf_hash(record_at(&entries_buf, off)) != h {
                return Err(tampered(TamperKind::LeafHashMismatch, Some(i as u64)));
            }
            tree.push_leaf_hash(h);
        }
        if (offsets.len() as u64) < size {
            return Err(tampered(
                TamperKind::EntriesMissing {
                    found: offsets.len() as u64,
                    expected: size,
                },
                Some(offsets.len() as u64),
            ));
        }
        if n_hashes < size {
            return Err(tampered(
                TamperKind::LeafHashesMissing {
                    found: n_hashes,
                    expected: size,
                },
                Some(n_hashes),
            ));
        }
        // `present == size` here, and it indexes in-memory vectors.
        let size_us = present as usize;
        if tree.root(size)? != checkpoint.root {
            return Err(tampered(TamperKind::RootMismatch, None));
        }

        // Tail: complete records with a complete, matching hash.
        let mut keep = size_us;
        if policy == TailPolicy::Reintegrate {
            while keep < offsets.len() && (keep as u64) < n_hashes {
                let h = stored_hash(&leaves_buf, keep);
                if leaf_hash(record_at(&entries_buf, offsets[keep])) != h {
                    break;
                }
                keep += 1;
            }
        }
        let entries_keep = offsets.get(keep).map_or(complete_end as u64, |&o| o);
        let leaves_keep = (keep * HASH_SIZE) as u64;
        let recovery = Recovery {
            reintegrated: (keep - size_us) as u64,
            entries_bytes_truncated: entries_buf.len() as u64 - entries_keep,
            leaves_bytes_truncated: leaves_buf.len() as u64 - leaves_keep,
        };
        offsets.truncate(keep);

        let entries = open_append(&entries_path)?;
        let leaves = open_append(&leaves_path)?;
        if recovery.entries_bytes_truncated > 0 {
            entries
                .set_len(entries_keep)
                .and_then(|()| entries.sync_all())
                .map_err(io_err("truncate", &entries_path))?;
        }
        if recovery.leaves_bytes_truncated > 0 {
            leaves
                .set_len(leaves_keep)
                .and_then(|()| leaves.sync_all())
                .map_err(io_err("truncate", &leaves_path))?;
        }
        let mut log = Self {
            dir: dir.to_path_buf(),
            signer,
            entries,
            leaves,
            offsets,
            entries_len: entries_keep,
            tree,
            checkpoint: SignedCheckpoint { checkpoint, note },
            staged: Vec::new(),
            recovery,
            poisoned: false,
        };
        if keep > size_us {
            for i in size_us..keep {
                log.tree.push_leaf_hash(stored_hash(&leaves_buf, i));
            }
            log.publish()?;
        }
        Ok(log)
    }

    /// Stages `entry` (≤ [`MAX_ENTRY_SIZE`] bytes) for the next
    /// [`Log::integrate`] and returns its index and leaf hash at once. Nothing
    /// is written; the entry is not acknowledged yet.
    ///
    /// # Errors
    /// [`LogError::EntryTooLarge`], [`LogError::Poisoned`].
    pub fn append(&mut self, entry: &[u8]) -> Result<Pending, LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if entry.len() > MAX_ENTRY_SIZE {
            return Err(LogError::EntryTooLarge {
                len: entry.len(),
                max: MAX_ENTRY_SIZE,
            });
        }
        let index = self.tree.size() + self.staged.len() as u64;
        let h = leaf_hash(entry);
        self.staged.push((entry.to_vec(), h));
        Ok(Pending {
            index,
            leaf_hash: h,
        })
    }

    /// Number of staged, unacknowledged entries.
    pub fn pending(&self) -> usize {
        self.staged.len()
    }

    /// Writes every staged entry and leaf hash (one write and one
    /// `fdatasync` per file for the whole batch), extends the tree, signs the
    /// new checkpoint and replaces the checkpoint file atomically. When this
    /// returns `Ok`, the staged entries are acknowledged. With nothing staged
    /// it returns the current checkpoint and writes nothing.
    ///
    /// On failure the handle is poisoned ([`LogError::Poisoned`] afterwards):
    /// the staged entries are not acknowledged, and reopening recovers.
    ///
    /// # Errors
    /// [`LogError::Io`], [`LogError::Sign`], [`LogError::Poisoned`].
    pub fn integrate(&mut self) -> Result<SignedCheckpoint, LogError> {
        self.integrate_with(|_, _, _| Ok(()))
    }

    /// As [`Log::integrate`], calling `hook(first_index, batch, checkpoint)`
    /// after the batch's entries and leaf hashes are durable and its
    /// checkpoint is signed, but **before** the checkpoint file is written:
    /// `batch` holds each new entry with its leaf hash, `checkpoint` the new
    /// signed checkpoint. If the hook fails the checkpoint is not written,
    /// the batch is not acknowledged and the handle is poisoned
    /// ([`LogError::Mirror`]). With nothing staged the hook is not called.
    ///
    /// # Errors
    /// As [`Log::integrate`], and [`LogError::Mirror`].
    pub fn integrate_with<F>(&mut self, hook: F) -> Result<SignedCheckpoint, LogError>
    where
        F: FnOnce(u64, &[(Vec<u8>, Hash)], &SignedCheckpoint) -> Result<(), String>,
    {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if self.staged.is_empty() {
            return Ok(self.checkpoint.clone());
        }
        self.poisoned = true;
        let first = self.tree.size();
        let batch = self.write_staged()?;
        let cp = self.sign_tree()?;
        hook(first, &batch, &cp).map_err(LogError::Mirror)?;
        write_checkpoint(&self.dir, &cp.note)?;
        self.checkpoint = cp;
        self.poisoned = false;
        Ok(self.checkpoint.clone())
    }

    /// Step 1 of integration: writes and syncs the staged records and hashes
    /// and extends the in-memory tree (no checkpoint yet). Returns the batch.
    fn write_staged(&mut self) -> Result<Vec<(Vec<u8>, Hash)>, LogError> {
        let staged = std::mem::take(&mut self.staged);
        let bytes: usize = staged.iter().map(|(e, _)| e.len() + 2).sum();
        let mut ebuf = Vec::with_capacity(bytes);
        let mut hbuf = Vec::with_capacity(staged.len() * HASH_SIZE);
        let mut offsets = Vec::with_capacity(staged.len());
        let mut off = self.entries_len;
        for (e, h) in &staged {
            offsets.push(off);
            // Length checked by `append`.
            ebuf.extend_from_slice(&(e.len() as u16).to_be_bytes());
            ebuf.extend_from_slice(e);
            hbuf.extend_from_slice(h);
            off += e.len() as u64 + 2;
        }
        let ep = self.dir.join(ENTRIES_FILE);
        let lp = self.dir.join(LEAVES_FILE);
        self.entries
            .write_all(&ebuf)
            .map_err(io_err("write", &ep))?;
        self.leaves.write_all(&hbuf).map_err(io_err("write", &lp))?;
        self.entries.sync_data().map_err(io_err("fsync", &ep))?;
        self.leaves.sync_data().map_err(io_err("fsync", &lp))?;
        self.entries_len = off;
        self.offsets.extend_from_slice(&offsets);
        for (_, h) in &staged {
            self.tree.push_leaf_hash(*h);
        }
        Ok(staged)
    }

    /// Signs a checkpoint for the whole in-memory tree (nothing written).
    fn sign_tree(&self) -> Result<SignedCheckpoint, LogError> {
        let size = self.tree.size();
        sign(
            Checkpoint {
                origin: self.checkpoint.checkpoint.origin.clone(),
                size,
                root: self.tree.root(size)?,
                extensions: Vec::new(),
            },
            &self.signer,
        )
    }

    /// Step 2 of integration: signs a checkpoint for the whole in-memory tree
    /// and writes it atomically.
    fn publish(&mut self) -> Result<(), LogError> {
        let cp = self.sign_tree()?;
        write_checkpoint(&self.dir, &cp.note)?;
        self.checkpoint = cp;
        Ok(())
    }

    /// Number of acknowledged entries (the current checkpoint size).
    pub fn size(&self) -> u64 {
        self.checkpoint.checkpoint.size
    }

    /// The current signed checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// What recovery did when this handle was opened.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    /// The directory holding the log files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn check_range(&self, index: u64, size: u64) -> Result<(), LogError> {
        if index > size {
            return Err(LogError::OutOfRange { index, size });
        }
        Ok(())
    }

    /// The bytes of acknowledged entry `index` (one positioned read).
    ///
    /// # Errors
    /// [`LogError::OutOfRange`] if `index ≥ size()`, [`LogError::Io`].
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, LogError> {
        if index >= self.size() {
            return Err(LogError::OutOfRange {
                index,
                size: self.size(),
            });
        }
        let start = usize::try_from(index)
            .ok()
            .and_then(|i| self.offsets.get(i))
            .copied()
            .ok_or(LogError::OutOfRange {
                index,
                size: self.size(),
            })?;
        let path = self.dir.join(ENTRIES_FILE);
        let mut hdr = [0u8; 2];
        read_at(&self.entries, &mut hdr, start).map_err(io_err("read", &path))?;
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(hdr))];
        read_at(&self.entries, &mut buf, start + 2).map_err(io_err("read", &path))?;
        Ok(buf)
    }

    /// The stored leaf hash of acknowledged entry `index` (from memory).
    ///
    /// # Errors
    /// [`LogError::OutOfRange`].
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, LogError> {
        if index >= self.size() {
            return Err(LogError::OutOfRange {
                index,
                size: self.size(),
            });
        }
        Ok(merkle::HashReader::node_hash(&self.tree, 0, index).map_err(ProofGenError::Read)?)
    }

    /// Inclusion proof (RFC 9162 §2.1.3.1) of entry `index` in the tree of
    /// the first `size` entries, `index < size ≤ self.size()`: `⌈log₂ size⌉`
    /// hashes at most, leaf sibling first; O(log n) reads of stored hashes.
    ///
    /// # Errors
    /// [`LogError::OutOfRange`], [`LogError::Proof`] (`index ≥ size`).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.check_range(size, self.size())?;
        Ok(merkle::inclusion_proof(&self.tree, index, size)?)
    }

    /// Consistency proof (RFC 9162 §2.1.4.1) between the trees of sizes
    /// `old ≤ new ≤ self.size()`.
    ///
    /// # Errors
    /// [`LogError::OutOfRange`], [`LogError::Proof`] (`old > new`).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        self.check_range(new, self.size())?;
        Ok(merkle::consistency_proof(&self.tree, old, new)?)
    }

    /// Root hash of the tree of the first `size ≤ self.size()` entries.
    ///
    /// # Errors
    /// [`LogError::OutOfRange`], [`LogError::Proof`].
    pub fn root(&self, size: u64) -> Result<Hash, LogError> {
        self.check_range(size, self.size())?;
        Ok(self.tree.root(size)?)
    }

    /// A C2SP tlog-proof for entry `index` against the current checkpoint
    /// (no `extra`, no cosignatures: callers add witness cosignature lines to
    /// the checkpoint note later).
    ///
    /// # Errors
    /// [`LogError::OutOfRange`] if `index ≥ size()`, [`LogError::Proof`].
    pub fn receipt(&self, index: u64) -> Result<TlogProof, LogError> {
        let size = self.size();
        if index >= size {
            return Err(LogError::OutOfRange { index, size });
        }
        Ok(TlogProof {
            extra: None,
            index,
            inclusion: merkle::inclusion_proof(&self.tree, index, size)?,
            checkpoint: self.checkpoint.note.clone(),
        })
    }
}

impl Log {
    /// The body of a C2SP tlog-tiles resource for the current checkpoint:
    /// a hash tile or an entry bundle that exists for the tree size
    /// ([`crate::tiles::TileId::exists_in`]), else `None`.
    ///
    /// # Errors
    /// [`LogError::Io`] reading entries, [`LogError::Proof`].
    pub fn tile(&self, tile: &crate::tiles::TileId) -> Result<Option<Vec<u8>>, LogError> {
        use crate::tiles::{TileKind, TILE_WIDTH};
        if !tile.exists_in(self.size()) {
            return Ok(None);
        }
        match tile.kind {
            TileKind::Hashes(_) => Ok(Some(
                crate::tiles::hash_tile_body(&self.tree, *tile).map_err(ProofGenError::Read)?,
            )),
            TileKind::Entries => {
                let start = tile.index * TILE_WIDTH;
                let mut body = Vec::new();
                for i in start..start + u64::from(tile.width) {
                    let e = self.entry(i)?;
                    // Entries are at most 65,535 bytes (checked by `append`).
                    body.extend_from_slice(&(e.len() as u16).to_be_bytes());
                    body.extend_from_slice(&e);
                }
                Ok(Some(body))
            }
        }
    }
}

fn check_origin(origin: &str, signer: &SignerKey) -> Result<(), LogError> {
    if origin != signer.name() {
        return Err(LogError::OriginNotKeyName {
            origin: origin.to_owned(),
            key_name: signer.name().to_owned(),
        });
    }
    Ok(())
}

fn verify_checkpoint(
    bytes: &[u8],
    origin: &str,
    signer: &SignerKey,
) -> Result<Checkpoint, LogError> {
    let bad = |m: String| tampered(TamperKind::Checkpoint(m), None);
    let note = SignedNote::parse(bytes).map_err(|e| bad(format!("malformed note: {e}")))?;
    note.verify(&[signer.verifier_key()])
        .map_err(|e: NoteError| bad(format!("log signature: {e}")))?;
    let cp = Checkpoint::parse(&note.text).map_err(|e| bad(format!("malformed body: {e}")))?;
    if cp.origin != origin {
        return Err(bad(format!("origin {:?}, expected {origin:?}", cp.origin)));
    }
    Ok(cp)
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn read_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = f.seek_read(buf, offset)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::merkle::{verify_consistency, verify_inclusion};
    use crate::note::KeyType;
    use crate::proof::{verify_proof, Leaf};

    const ORIGIN: &str = "example.com/qiantang-test-log";

    fn key() -> SignerKey {
        SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[7u8; 32]).unwrap()
    }

    fn tmp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("qiantang-ledger-log-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn entry(i: u64) -> Vec<u8> {
        // Variable lengths (5..60 bytes), all distinct.
        format!("deposit {i} {}", "x".repeat((i % 50) as usize)).into_bytes()
    }

    fn filled(name: &str, n: u64, batch: u64) -> (PathBuf, Log) {
        let dir = tmp(name);
        let mut log = Log::create(&dir, ORIGIN, key()).unwrap();
        for i in 0..n {
            let p = log.append(&entry(i)).unwrap();
            assert_eq!(p.index, i);
            assert_eq!(p.leaf_hash, leaf_hash(&entry(i)));
            if (i + 1) % batch == 0 {
                log.integrate().unwrap();
            }
        }
        log.integrate().unwrap();
        (dir, log)
    }

    fn assert_consistent(log: &Log) {
        let n = log.size();
        let mut t = MemoryTree::new();
        for i in 0..n {
            assert_eq!(log.entry(i).unwrap(), entry(i), "entry {i}");
            t.push(&entry(i));
        }
        assert_eq!(t.root(n).unwrap(), log.checkpoint().checkpoint.root);
    }

    fn flip(path: &Path, offset: u64) {
        let mut b = fs::read(path).unwrap();
        b[offset as usize] ^= 0x01;
        fs::write(path, b).unwrap();
    }

    fn open_err(dir: &Path) -> LogError {
        Log::open(dir, ORIGIN, key()).unwrap_err()
    }

    #[test]
    fn create_append_integrate_reopen() {
        let (dir, log) = filled("reopen", 100, 13);
        assert_eq!(log.size(), 100);
        assert_eq!(log.pending(), 0);
        assert_consistent(&log);
        let cp = log.checkpoint().clone();
        // The checkpoint file is the signed note, verifiable by the public key.
        let note = SignedNote::parse(&fs::read(dir.join(CHECKPOINT_FILE)).unwrap()).unwrap();
        note.verify(&[key().verifier_key()]).unwrap();
        assert_eq!(Checkpoint::parse(&note.text).unwrap(), cp.checkpoint);
        drop(log);

        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.checkpoint(), &cp);
        assert_eq!(log.recovery(), Recovery::default());
        assert_consistent(&log);
        assert!(!dir.join(CHECKPOINT_TMP).exists());
        // Staged entries are not visible and not counted before integrate.
        let mut log = log;
        let p = log.append(b"staged").unwrap();
        assert_eq!(p.index, 100);
        assert_eq!(log.size(), 100);
        assert!(matches!(log.entry(100), Err(LogError::OutOfRange { .. })));
        drop(log);
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.size(), 100);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn empty_log_and_empty_integrate() {
        let dir = tmp("empty");
        let mut log = Log::create(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.size(), 0);
        assert_eq!(log.root(0).unwrap(), merkle::empty_root());
        let before = log.checkpoint().clone();
        assert_eq!(log.integrate().unwrap(), before);
        drop(log);
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.size(), 0);
        assert!(matches!(
            Log::create(&dir, ORIGIN, key()),
            Err(LogError::AlreadyExists(_))
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn proofs_verify_with_core_and_verify_proof() {
        let (dir, log) = filled("proofs", 37, 5);
        let n = log.size();
        let roots: Vec<Hash> = (0..=n).map(|s| log.root(s).unwrap()).collect();
        for size in 1..=n {
            for index in 0..size {
                let p = log.inclusion_proof(index, size).unwrap();
                verify_inclusion(
                    index,
                    size,
                    &leaf_hash(&entry(index)),
                    &p,
                    &roots[size as usize],
                )
                .unwrap();
            }
            for old in 0..=size {
                let p = log.consistency_proof(old, size).unwrap();
                verify_consistency(old, size, &roots[old as usize], &roots[size as usize], &p)
                    .unwrap();
            }
        }
        let vk = key().verifier_key();
        for index in 0..n {
            let r = log.receipt(index).unwrap();
            let parsed = TlogProof::parse(r.to_text().as_bytes()).unwrap();
            let v = verify_proof(&parsed, Leaf::Data(&entry(index)), &vk, &[], 0).unwrap();
            assert_eq!(v.index, index);
            assert_eq!(v.checkpoint.size, n);
            assert_eq!(log.leaf_hash(index).unwrap(), v.leaf_hash);
            assert!(verify_proof(&parsed, Leaf::Data(b"other"), &vk, &[], 0).is_err());
        }
        assert!(matches!(log.receipt(n), Err(LogError::OutOfRange { .. })));
        assert!(matches!(
            log.inclusion_proof(0, n + 1),
            Err(LogError::OutOfRange { .. })
        ));
        assert!(matches!(
            log.consistency_proof(3, n + 1),
            Err(LogError::OutOfRange { .. })
        ));
        assert!(matches!(log.inclusion_proof(5, 5), Err(LogError::Proof(_))));
        assert!(matches!(
            log.consistency_proof(6, 5),
            Err(LogError::Proof(_))
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn tampered_entry_byte_is_detected_at_open() {
        let (dir, log) = filled("tamper-entry", 20, 4);
        let off = log.offsets[5] + 2; // first data byte of entry 5
        drop(log);
        flip(&dir.join(ENTRIES_FILE), off);
        let e = open_err(&dir);
        assert!(
            matches!(
                e,
                LogError::Tampered {
                    what: TamperKind::LeafHashMismatch,
                    index: Some(5)
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "log data tampered: stored leaf hash does not match its entry (entry 5)"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn tampered_length_prefix_is_detected_at_open() {
        let (dir, log) = filled("tamper-len", 20, 4);
        let off = log.offsets[9] + 1; // low byte of entry 9's length
        drop(log);
        flip(&dir.join(ENTRIES_FILE), off);
        let e = open_err(&dir);
        assert!(
            matches!(
                e,
                LogError::Tampered {
                    what: TamperKind::LeafHashMismatch,
                    index: Some(9)
                }
            ),
            "{e:?}"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn tampered_leaf_hash_byte_is_detected_at_open() {
        let (dir, log) = filled("tamper-leaf", 20, 4);
        drop(log);
        flip(&dir.join(LEAVES_FILE), 7 * 32 + 31);
        assert!(matches!(
            open_err(&dir),
            LogError::Tampered {
                what: TamperKind::LeafHashMismatch,
                index: Some(7)
            }
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn entry_and_hash_altered_together_give_root_mismatch() {
        let (dir, log) = filled("tamper-both", 20, 4);
        let off = log.offsets[11] + 2;
        drop(log);
        let ep = dir.join(ENTRIES_FILE);
        flip(&ep, off);
        let eb = fs::read(&ep).unwrap();
        let (offs, _) = scan_records(&eb);
        let h = leaf_hash(record_at(&eb, offs[11]));
        let lp = dir.join(LEAVES_FILE);
        let mut lb = fs::read(&lp).unwrap();
        lb[11 * 32..12 * 32].copy_from_slice(&h);
        fs::write(&lp, lb).unwrap();
        assert!(matches!(
            open_err(&dir),
            LogError::Tampered {
                what: TamperKind::RootMismatch,
                index: None
            }
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn tampered_checkpoint_is_detected_at_open() {
        let (dir, log) = filled("tamper-cp", 20, 4);
        drop(log);
        let cp = dir.join(CHECKPOINT_FILE);
        let orig = fs::read(&cp).unwrap();
        // Every byte of the file: origin, size, root, signature line.
        for i in 0..orig.len() as u64 {
            fs::write(&cp, &orig).unwrap();
            flip(&cp, i);
            let e = open_err(&dir);
            assert!(
                matches!(
                    e,
                    LogError::Tampered {
                        what: TamperKind::Checkpoint(_),
                        index: None
                    }
                ),
                "byte {i}: {e}"
            );
        }
        // A checkpoint signed by another key, for the same data.
        fs::write(&cp, &orig).unwrap();
        let other = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[8u8; 32]).unwrap();
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        let forged = log.checkpoint().checkpoint.sign(&other).unwrap().to_text();
        drop(log);
        fs::write(&cp, forged).unwrap();
        assert!(matches!(
            open_err(&dir),
            LogError::Tampered {
                what: TamperKind::Checkpoint(_),
                ..
            }
        ));
        // The checkpoint rolled back to an older (validly signed) one is not
        // detectable locally, but a size beyond the data is.
        fs::write(&cp, &orig).unwrap();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn files_shorter_than_checkpoint_are_refused() {
        let (dir, log) = filled("short", 20, 4);
        let cut = log.offsets[19] + 1;
        drop(log);
        let ep = dir.join(ENTRIES_FILE);
        let orig = fs::read(&ep).unwrap();
        fs::write(&ep, &orig[..cut as usize]).unwrap();
        assert!(matches!(
            open_err(&dir),
            LogError::Tampered {
                what: TamperKind::EntriesMissing {
                    found: 19,
                    expected: 20
                },
                index: Some(19)
            }
        ));
        fs::write(&ep, &orig).unwrap();
        let lp = dir.join(LEAVES_FILE);
        let lb = fs::read(&lp).unwrap();
        fs::write(&lp, &lb[..lb.len() - 33]).unwrap();
        assert!(matches!(
            open_err(&dir),
            LogError::Tampered {
                what: TamperKind::LeafHashesMissing {
                    found: 18,
                    expected: 20
                },
                index: Some(18)
            }
        ));
        fs::remove_file(&lp).unwrap();
        assert!(matches!(
            open_err(&dir),
            LogError::Tampered {
                what: TamperKind::LeafHashesMissing { found: 0, .. },
                ..
            }
        ));
        fs::remove_file(dir.join(CHECKPOINT_FILE)).unwrap();
        assert!(matches!(open_err(&dir), LogError::NotALog(_)));
        let _ = fs::remove_dir_all(&dir);
    }

    /// Crash between writing a batch and its checkpoint: the tail is
    /// re-integrated (default) or truncated; acknowledged entries stay.
    #[test]
    fn crash_before_checkpoint_reintegrates_or_truncates() {
        for policy in [TailPolicy::Reintegrate, TailPolicy::Truncate] {
            let (dir, mut log) = filled("crash", 30, 10);
            let acked = log.checkpoint().clone();
            for i in 30..45 {
                log.append(&entry(i)).unwrap();
            }
            log.write_staged().unwrap(); // crash: no checkpoint
            drop(log);
            let mut log = Log::open_with(&dir, ORIGIN, key(), policy).unwrap();
            let want = if policy == TailPolicy::Reintegrate {
                45
            } else {
                30
            };
            assert_eq!(log.size(), want, "{policy:?}");
            assert_eq!(log.recovery().reintegrated, want - 30);
            assert_consistent(&log);
            // The new checkpoint extends the acknowledged one.
            let p = log.consistency_proof(30, log.size()).unwrap();
            verify_consistency(
                30,
                log.size(),
                &acked.checkpoint.root,
                &log.checkpoint().checkpoint.root,
                &p,
            )
            .unwrap();
            // Writing continues at the right offsets.
            for i in want..want + 5 {
                assert_eq!(log.append(&entry(i)).unwrap().index, i);
            }
            log.integrate().unwrap();
            drop(log);
            let log = Log::open(&dir, ORIGIN, key()).unwrap();
            assert_eq!(log.size(), want + 5);
            assert_eq!(log.recovery(), Recovery::default());
            assert_consistent(&log);
            let _ = fs::remove_dir_all(&dir);
        }
    }

    /// A torn tail (partial record, partial or wrong hash) is cut at the first
    /// incomplete or inconsistent entry; complete consistent ones are kept.
    #[test]
    fn torn_tail_is_cut_at_first_inconsistency() {
        let (dir, mut log) = filled("torn", 10, 10);
        for i in 10..14 {
            log.append(&entry(i)).unwrap();
        }
        log.write_staged().unwrap();
        drop(log);
        // Entry 12's hash is wrong: keep 10, 11; drop 12, 13.
        flip(&dir.join(LEAVES_FILE), 12 * 32);
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.size(), 12);
        assert_eq!(log.recovery().reintegrated, 2);
        assert_eq!(log.recovery().leaves_bytes_truncated, 64);
        assert_consistent(&log);
        drop(log);

        // Half a record and half a hash after the checkpoint.
        let mut ef = OpenOptions::new()
            .append(true)
            .open(dir.join(ENTRIES_FILE))
            .unwrap();
        ef.write_all(&[0, 200, 1, 2, 3]).unwrap();
        let mut lf = OpenOptions::new()
            .append(true)
            .open(dir.join(LEAVES_FILE))
            .unwrap();
        lf.write_all(&[9u8; 20]).unwrap();
        drop((ef, lf));
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.size(), 12);
        assert_eq!(
            log.recovery(),
            Recovery {
                reintegrated: 0,
                entries_bytes_truncated: 5,
                leaves_bytes_truncated: 20
            }
        );
        assert_consistent(&log);
        drop(log);

        // A complete entry whose hash never reached the disk: dropped.
        let mut ef = OpenOptions::new()
            .append(true)
            .open(dir.join(ENTRIES_FILE))
            .unwrap();
        ef.write_all(&[0, 3, b'a', b'b', b'c']).unwrap();
        drop(ef);
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.size(), 12);
        assert_eq!(log.recovery().entries_bytes_truncated, 5);
        let _ = fs::remove_dir_all(&dir);
    }

    /// The hook sees the durable batch and the signed checkpoint before the
    /// checkpoint file; a failing hook leaves the batch unacknowledged.
    #[test]
    fn integrate_with_hook_runs_before_the_checkpoint_file() {
        let (dir, mut log) = filled("hook", 4, 4);
        for i in 4..7 {
            log.append(&entry(i)).unwrap();
        }
        let mut seen = None;
        let cp = log
            .integrate_with(|first, batch, cp| {
                let on_disk = fs::read_to_string(dir.join(CHECKPOINT_FILE)).unwrap();
                assert_ne!(on_disk, cp.note, "checkpoint written before the hook");
                seen = Some((first, batch.to_vec(), cp.clone()));
                Ok(())
            })
            .unwrap();
        let (first, batch, hooked) = seen.unwrap();
        assert_eq!((first, batch.len(), &hooked), (4, 3, &cp));
        assert_eq!(batch[1], (entry(5), leaf_hash(&entry(5))));
        log.append(&entry(7)).unwrap();
        let e = log.integrate_with(|_, _, _| Err("db down".into()));
        assert!(
            matches!(e, Err(LogError::Mirror(ref m)) if m == "db down"),
            "{e:?}"
        );
        assert!(matches!(log.append(&entry(8)), Err(LogError::Poisoned)));
        assert_eq!(log.size(), 7);
        drop(log);
        let log = Log::open_with(&dir, ORIGIN, key(), TailPolicy::Truncate).unwrap();
        assert_eq!(log.size(), 7);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn argument_errors() {
        let dir = tmp("args");
        assert!(matches!(
            Log::create(&dir, "example.com/other", key()),
            Err(LogError::OriginNotKeyName { .. })
        ));
        let mut log = Log::create(&dir, ORIGIN, key()).unwrap();
        let big = vec![0u8; MAX_ENTRY_SIZE + 1];
        assert!(matches!(
            log.append(&big),
            Err(LogError::EntryTooLarge {
                len: 65536,
                max: 65535
            })
        ));
        let max = vec![0xabu8; MAX_ENTRY_SIZE];
        log.append(&max).unwrap();
        log.integrate().unwrap();
        assert_eq!(log.entry(0).unwrap(), max);
        assert!(matches!(log.entry(1), Err(LogError::OutOfRange { .. })));
        drop(log);
        let log = Log::open(&dir, ORIGIN, key()).unwrap();
        assert_eq!(log.entry(0).unwrap(), max);
        drop(log);
        // Wrong key for the directory: its checkpoint is not signed by it.
        let other = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[9u8; 32]).unwrap();
        assert!(matches!(
            Log::open(&dir, ORIGIN, other),
            Err(LogError::Tampered {
                what: TamperKind::Checkpoint(_),
                ..
            })
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    /// Set (to the log directory) only in the child process that
    /// [`kill_9_during_integration`] spawns from this test binary.
    #[cfg(unix)]
    const CHILD_ENV: &str = "QIANTANG_LOG_KILL_WRITER_DIR";

    /// The child writer of [`kill_9_during_integration`]: integrates batches
    /// of 200 forever, printing `ACK <size>` after each returned checkpoint,
    /// until it is killed.
    #[cfg(unix)]
    fn kill_writer_child(dir: &Path) -> ! {
        let mut log = Log::open(dir, ORIGIN, key()).unwrap();
        let mut out = io::stdout();
        loop {
            for _ in 0..200 {
                let i = log.size() + log.pending() as u64;
                log.append(&entry(i)).unwrap();
            }
            let cp = log.integrate().unwrap();
            writeln!(out, "ACK {}", cp.checkpoint.size).unwrap();
            out.flush().unwrap();
        }
    }

    /// kill -9 of a writer process mid-stream: reopening loses no entry
    /// whose checkpoint the writer had reported, and the tree is consistent.
    ///
    /// The writer is this same test run again in a child process (the test
    /// binary, filtered to this test, with [`CHILD_ENV`] set), which becomes
    /// [`kill_writer_child`]; no test returns early without checking.
    #[cfg(unix)]
    #[test]
    fn kill_9_during_integration() {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        if let Some(dir) = std::env::var_os(CHILD_ENV) {
            kill_writer_child(Path::new(&dir));
        }
        for round in 0..3u32 {
            let dir = tmp(&format!("kill9-{round}"));
            drop(Log::create(&dir, ORIGIN, key()).unwrap());
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "log::tests::kill_9_during_integration",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, &dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let mut lines = io::BufReader::new(stdout).lines();
            let mut acked = 0u64;
            let mut seen = 0;
            while seen < 5 + round * 7 {
                let l = lines.next().unwrap().unwrap();
                if let Some(n) = l.strip_prefix("ACK ") {
                    acked = n.parse().unwrap();
                    seen += 1;
                }
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            let log = Log::open(&dir, ORIGIN, key()).unwrap();
            assert!(log.size() >= acked, "lost acknowledged entries");
            assert_consistent(&log);
            let vk = key().verifier_key();
            for index in [0, acked / 2, acked - 1, log.size() - 1] {
                let r = log.receipt(index).unwrap();
                verify_proof(&r, Leaf::Data(&entry(index)), &vk, &[], 0).unwrap();
            }
            drop(log);
            let _ = fs::remove_dir_all(&dir);
        }
    }
}
