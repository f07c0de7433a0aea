//! `qiantang-ledger`: the pure, IO-free core of Qiantang's copyright deposit
//! log (版权存证), built on open transparency-log standards:
//!
//! * [`merkle`]: RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and
//!   consistency proofs (generation and verification);
//! * [`note`]: C2SP signed-note with Ed25519, verifier/signer key texts;
//! * [`checkpoint`]: C2SP tlog-checkpoint note bodies;
//! * [`cosig`]: C2SP tlog-cosignature (Ed25519 `cosignature/v1`, type `0x04`);
//! * [`proof`]: C2SP tlog-proof files and their offline verification against a
//!   log key and an m-of-n witness policy.
//!
//! Storage, the log server, tiles serving, the witness HTTP protocol and
//! receipts are built on top of this crate elsewhere. See README.md.

pub mod checkpoint;
pub mod cosig;
pub mod log;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use merkle::{Hash, HashReader, MemoryTree, SliceReader};
pub use note::{KeyType, NoteError, SignedNote, SignerKey, VerifierKey};
pub use proof::{verify_proof, Leaf, ProofError, TlogProof, VerifiedProof};
