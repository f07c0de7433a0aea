//! `qiantang-ledger`: the core of Qiantang's copyright deposit log (版权存证),
//! built on open transparency-log standards. Everything but [`log`] is pure
//! (no files, network, clock or randomness):
//!
//! * [`merkle`]: RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and
//!   consistency proofs (generation and verification);
//! * [`note`]: C2SP signed-note with Ed25519, verifier/signer key texts;
//! * [`checkpoint`]: C2SP tlog-checkpoint note bodies;
//! * [`cosig`]: C2SP tlog-cosignature (Ed25519 `cosignature/v1`, type `0x04`);
//! * [`entry`]: the deposit leaf format ([`entry::DepositEntry`], canonical
//!   JSON, at most 65,535 bytes);
//! * [`proof`]: C2SP tlog-proof files and their offline verification against a
//!   log key and an m-of-n witness policy;
//! * [`tiles`]: C2SP tlog-tiles paths, hash tiles, entry bundles and a
//!   reader recomputing roots and proofs from tiles;
//! * [`witness`]: the C2SP tlog-witness `add-checkpoint` logic (no HTTP);
//! * [`log`]: the durable, file-backed, batch-integrating log with crash
//!   recovery and tamper detection at open.
//!
//! The `qiantang` CLI deposits, issues receipts and verifies them (with its
//! own deduplication index); the hub's API, tiles serving, the witness HTTP
//! endpoint and RFC 3161 receipts are not built yet. See README.md.

pub mod checkpoint;
pub mod cosig;
pub mod entry;
pub mod log;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod tiles;
mod timestamped;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use merkle::{Hash, HashReader, MemoryTree, SliceReader};
pub use note::{KeyType, NoteError, SignedNote, SignerKey, VerifierKey};
pub use proof::{verify_proof, Leaf, ProofError, TlogProof, VerifiedProof};
