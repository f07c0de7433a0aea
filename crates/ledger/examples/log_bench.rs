//! Deposit-log benchmark (`bench/deposit.sh`): durable deposits per second
//! with batched integration, proof generation time at the final tree size,
//! open (full verification) time, and a one-sync-round-per-deposit baseline.
//!
//! ```text
//! log_bench DIR [ENTRIES=1000000] [BATCH=1000] [ENTRY_BYTES=300] [NAIVE=2000]
//! ```
//!
//! Prints one `key value` line per figure (times in seconds / microseconds as
//! named). `DIR` must not hold a log; it is left in place for inspection.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use qiantang_ledger::log::Log;
use qiantang_ledger::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use qiantang_ledger::{verify_proof, KeyType, Leaf, SignerKey};

const ORIGIN: &str = "bench.qiantang.example/deposit-log";

type R<T> = Result<T, Box<dyn std::error::Error>>;

/// A synthetic ~`len`-byte deposit leaf (metadata-like text, index-unique).
fn deposit(i: u64, len: usize) -> Vec<u8> {
    let mut v = format!(
        "{{\"sha256\":\"{:064x}\",\"media\":\"text/plain\",\"size\":{},\"org\":\"org-{}\",\"kind\":\"chapter\",\"title\":\"",
        u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834),
        1000 + i % 100_000,
        i % 997
    )
    .into_bytes();
    while v.len() + 2 < len {
        v.push(b'a' + (i % 26) as u8);
    }
    v.extend_from_slice(b"\"}");
    v
}

/// xorshift64*, deterministic sample indices.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn arg(args: &[String], i: usize, default: u64) -> R<u64> {
    Ok(match args.get(i) {
        Some(s) => s.parse()?,
        None => default,
    })
}

fn main() -> R<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(
        args.get(1)
            .ok_or("usage: log_bench DIR [ENTRIES] [BATCH] [ENTRY_BYTES] [NAIVE]")?,
    );
    let n = arg(&args, 2, 1_000_000)?;
    let batch = arg(&args, 3, 1000)?.max(1);
    let entry_len = arg(&args, 4, 300)? as usize;
    let naive = arg(&args, 5, 2000)?;
    let key = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[42u8; 32])?;
    let vk = key.verifier_key();

    // 1. Batched deposits.
    let bdir = dir.join("batched");
    let mut log = Log::create(&bdir, ORIGIN, key.clone())?;
    let mut integrate_ms = Vec::new();
    let t0 = Instant::now();
    let mut i = 0u64;
    while i < n {
        let m = batch.min(n - i);
        for j in i..i + m {
            log.append(&deposit(j, entry_len))?;
        }
        let t = Instant::now();
        log.integrate()?;
        integrate_ms.push(t.elapsed().as_secs_f64() * 1e3);
        i += m;
        if i % (n / 10).max(1) == 0 {
            eprintln!("  {i} entries, {:.1} s", t0.elapsed().as_secs_f64());
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let batched_rate = n as f64 / secs;
    println!("entries {n}");
    println!("batch {batch}");
    println!("entry_bytes {}", deposit(0, entry_len).len());
    println!("batched_total_s {secs:.2}");
    println!("batched_deposits_per_s {batched_rate:.0}");
    println!(
        "integrate_ms_p50 {:.2}\nintegrate_ms_p99 {:.2}",
        pct(&mut integrate_ms, 0.5),
        pct(&mut integrate_ms, 0.99)
    );
    let disk: u64 = ["entries", "leaves"]
        .iter()
        .map(|f| fs::metadata(bdir.join(f)).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!("disk_bytes {disk}");

    // 2. Proofs at size n.
    let size = log.size();
    let root = log.checkpoint().checkpoint.root;
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let samples = 10_000;
    let mut incl = Vec::with_capacity(samples);
    let mut cons = Vec::with_capacity(samples);
    let mut rec = Vec::with_capacity(samples);
    for _ in 0..samples {
        let idx = rng.below(size);
        let t = Instant::now();
        let p = log.inclusion_proof(idx, size)?;
        incl.push(t.elapsed().as_secs_f64() * 1e6);
        verify_inclusion(idx, size, &leaf_hash(&deposit(idx, entry_len)), &p, &root)?;

        let old = 1 + rng.below(size);
        let t = Instant::now();
        let c = log.consistency_proof(old, size)?;
        cons.push(t.elapsed().as_secs_f64() * 1e6);
        if samples <= 100 || idx % 10 == 0 {
            verify_consistency(old, size, &log.root(old)?, &root, &c)?;
        }

        let t = Instant::now();
        let r = log.receipt(idx)?;
        let text = r.to_text();
        rec.push(t.elapsed().as_secs_f64() * 1e6);
        if idx % 100 == 0 {
            let parsed = qiantang_ledger::TlogProof::parse(text.as_bytes())?;
            verify_proof(&parsed, Leaf::Data(&deposit(idx, entry_len)), &vk, &[], 0)?;
        }
    }
    println!(
        "inclusion_proof_us_p50 {:.2}\ninclusion_proof_us_p99 {:.2}\ninclusion_proof_us_max {:.2}",
        pct(&mut incl, 0.5),
        pct(&mut incl, 0.99),
        pct(&mut incl, 1.0)
    );
    println!(
        "consistency_proof_us_p50 {:.2}\nconsistency_proof_us_p99 {:.2}",
        pct(&mut cons, 0.5),
        pct(&mut cons, 0.99)
    );
    println!(
        "receipt_us_p50 {:.2}\nreceipt_us_p99 {:.2}",
        pct(&mut rec, 0.5),
        pct(&mut rec, 0.99)
    );
    let t = Instant::now();
    for k in 0..samples as u64 {
        log.entry(k * (size / samples as u64))?;
    }
    println!(
        "entry_read_us_mean {:.2}",
        t.elapsed().as_secs_f64() * 1e6 / samples as f64
    );
    drop(log);

    // 3. Open = read + verify every entry, hash and the root.
    let t = Instant::now();
    let log = Log::open(&bdir, ORIGIN, key.clone())?;
    println!("open_verify_s {:.2}", t.elapsed().as_secs_f64());
    assert_eq!(log.size(), size);
    drop(log);

    // 4. Naive peer: one integrate (one sync round + checkpoint) per deposit.
    let ndir = dir.join("naive");
    let mut log = Log::create(&ndir, ORIGIN, key)?;
    let t = Instant::now();
    for j in 0..naive {
        log.append(&deposit(j, entry_len))?;
        log.integrate()?;
    }
    let naive_rate = naive as f64 / t.elapsed().as_secs_f64();
    println!("naive_integrate_per_deposit_per_s {naive_rate:.0}");

    // 5. Rawest peer: append + fdatasync per deposit to one file, no hash
    //    file, no tree, no checkpoint (a lower bound for any per-deposit fsync).
    let rpath = dir.join("raw-fsync-per-deposit");
    let mut f: File = OpenOptions::new().create(true).append(true).open(&rpath)?;
    let t = Instant::now();
    for j in 0..naive {
        let d = deposit(j, entry_len);
        f.write_all(&(d.len() as u16).to_be_bytes())?;
        f.write_all(&d)?;
        f.sync_data()?;
    }
    let raw_rate = naive as f64 / t.elapsed().as_secs_f64();
    println!("raw_fsync_per_deposit_per_s {raw_rate:.0}");
    println!("ratio_batched_over_naive {:.1}", batched_rate / naive_rate);
    println!(
        "ratio_batched_over_raw_fsync {:.1}",
        batched_rate / raw_rate
    );
    Ok(())
}
