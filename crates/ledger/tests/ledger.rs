//! Integration tests for `qiantang-ledger`, against published vectors and the
//! C2SP specifications' own examples (each vector cites its source).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "ledger/checkpoint.rs"]
mod checkpoint;
#[path = "ledger/cosig.rs"]
mod cosig;
#[path = "ledger/merkle.rs"]
mod merkle;
#[path = "ledger/note.rs"]
mod note;
#[path = "ledger/proof.rs"]
mod proof;
#[path = "ledger/tiles.rs"]
mod tiles;

/// A small deterministic PRNG (xorshift64*) for property tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Decodes a 32-byte hex hash.
pub fn h(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}
