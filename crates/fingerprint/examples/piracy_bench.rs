//! Piracy-finder benchmark: index N synthetic chapters plus the real corpus chapters, then look up
//! lightly edited copies of the real chapters (recall), unseen chapters (false positives), and time
//! everything. Prints one JSON object per line.
//!
//! ```text
//! cargo run --release -p qiantang-fingerprint --example piracy_bench -- \
//!     [--chapters N] [--chars C] [--fp-queries F] [--dump DIR]
//! ```
//!
//! * `--chapters N` synthetic chapters (default 1,000,000), each about `--chars C` characters
//!   (default 3,000) of sentences sampled with a seeded RNG from the corpus novels, grouped into
//!   paragraphs of 3–8 sentences: plausible Chinese with the corpus' own character and phrase
//!   statistics, and as many shared set phrases as real chapters of one novel have.
//! * `--fp-queries F` unseen synthetic chapters queried to count false positives (default 1,000).
//! * `--dump DIR` also writes the *normalized* indexed texts and queries to `DIR` for the
//!   datasketch peer (`bench/piracy_datasketch.py`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use qiantang_fingerprint::*;
use support::*;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn split_all_sentences(chapters: &[Chapter]) -> Vec<String> {
    let mut out = Vec::new();
    for c in chapters {
        for line in c.text.lines() {
            let mut cur = String::new();
            for ch in line.trim().chars() {
                cur.push(ch);
                if matches!(ch, '。' | '！' | '？') {
                    out.push(std::mem::take(&mut cur));
                }
            }
            if cur.chars().count() > 1 {
                out.push(cur);
            }
        }
    }
    out
}

/// Synthetic chapter `i`: deterministic in (`i`, sentence pool).
fn synthetic(i: u64, sentences: &[String], chars: usize) -> String {
    let mut rng = Rng::new(0xC4A9_7E12 ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out = String::with_capacity(chars * 3 + 64);
    let mut n = 0;
    while n < chars {
        out.push_str("\u{3000}\u{3000}");
        for _ in 0..3 + rng.below(6) {
            let s = &sentences[rng.below(sentences.len())];
            n += s.chars().count();
            out.push_str(s);
        }
        out.push('\n');
    }
    out
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

fn main() {
    let n: u64 = arg("--chapters").map_or(1_000_000, |v| v.parse().unwrap());
    let chars: usize = arg("--chars").map_or(3_000, |v| v.parse().unwrap());
    let fp_queries: u64 = arg("--fp-queries").map_or(1_000, |v| v.parse().unwrap());
    let dump = arg("--dump").map(std::path::PathBuf::from);

    let real = load_corpus();
    let sentences = split_all_sentences(&real);
    let pool = han_pool(&real);
    let trad = ToTraditional::new();
    let params = MinHashParams::default();
    let lsh = LshParams::default();
    let hasher = MinHasher::new(params).unwrap();
    let mut index = LshIndex::new(lsh, params.ngram, params.seed).unwrap();
    let mut docs = dump.as_ref().map(|d| {
        std::fs::create_dir_all(d).unwrap();
        std::io::BufWriter::new(std::fs::File::create(d.join("docs.tsv")).unwrap())
    });
    let rss_before = rss_kib("VmRSS:");

    // Build: real chapters get ids 0..R, synthetic ones R.. .
    let t0 = Instant::now();
    let mut sig_time = Duration::ZERO;
    let mut insert_time = Duration::ZERO;
    let mut total_chars = 0usize;
    index.reserve(real.len() + n as usize);
    let mut add = |id: u64, text: &str, index: &mut LshIndex| {
        let t = Instant::now();
        let norm = normalize(text);
        let sig = hasher.signature_of_normalized(&norm).unwrap();
        sig_time += t.elapsed();
        total_chars += norm.len();
        let t = Instant::now();
        index.insert(id, &sig).unwrap();
        insert_time += t.elapsed();
        if let Some(w) = docs.as_mut() {
            writeln!(w, "{id}\t{}", norm.iter().collect::<String>()).unwrap();
        }
    };
    for (i, c) in real.iter().enumerate() {
        add(i as u64, &c.text, &mut index);
    }
    for i in 0..n {
        add(
            real.len() as u64 + i,
            &synthetic(i, &sentences, chars),
            &mut index,
        );
        if i > 0 && i % 100_000 == 0 {
            eprintln!(
                "indexed {i} synthetic chapters in {:.0} s",
                t0.elapsed().as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    index.compact();
    insert_time += t.elapsed();
    let build = t0.elapsed();
    drop(docs);
    let rss_after = rss_kib("VmRSS:");
    let hwm = rss_kib("VmHWM:");

    // Queries: an edited copy of every real chapter.
    let mut queries = dump
        .as_ref()
        .map(|d| std::io::BufWriter::new(std::fs::File::create(d.join("queries.tsv")).unwrap()));
    let mut rng = Rng::new(2024);
    let (mut top1, mut anywhere, mut wrong_above) = (0usize, 0usize, 0usize);
    let mut lat = Vec::new();
    let mut lat_index = Vec::new();
    let mut cands = Vec::new();
    let mut sims = Vec::new();
    for (i, c) in real.iter().enumerate() {
        let copy = edit(&c.text, LIGHT_EDIT, &pool, &trad, &mut rng);
        if let Some(w) = queries.as_mut() {
            writeln!(w, "{i}\t{}", normalize_to_string(&copy)).unwrap();
        }
        let t = Instant::now();
        let sig = hasher.signature(&copy).unwrap();
        let ti = Instant::now();
        let hits = index.query(&sig, DEFAULT_THRESHOLD).unwrap();
        lat_index.push(ti.elapsed());
        lat.push(t.elapsed());
        let all = index.query(&sig, 0.0).unwrap();
        cands.push(all.len());
        if hits.first().map(|m| m.id) == Some(i as u64) {
            top1 += 1;
        }
        if let Some(m) = hits.iter().find(|m| m.id == i as u64) {
            anywhere += 1;
            sims.push(m.similarity);
        }
        wrong_above += hits.iter().filter(|m| m.id != i as u64).count();
    }
    drop(queries);
    let mut lat_edited = lat.clone();
    // False positives: unseen synthetic chapters (ids beyond the indexed range).
    let mut fp = 0usize;
    let mut fp_cands = Vec::new();
    for j in 0..fp_queries {
        let text = synthetic(u64::MAX / 2 + j, &sentences, chars);
        let t = Instant::now();
        let sig = hasher.signature(&text).unwrap();
        let hits = index.query(&sig, DEFAULT_THRESHOLD).unwrap();
        lat.push(t.elapsed());
        fp_cands.push(index.query(&sig, 0.0).unwrap().len());
        if !hits.is_empty() {
            fp += 1;
        }
    }
    sims.sort_by(f64::total_cmp);
    cands.sort_unstable();
    fp_cands.sort_unstable();
    let q = real.len();
    let mut lat_all = lat.clone();
    println!(
        "{{\"impl\":\"qiantang-fingerprint\",\"synthetic\":{n},\"real\":{q},\"indexed\":{},\"chars_per_synthetic\":{chars},\
\"avg_normalized_chars\":{:.0},\"ngram\":{},\"num_perm\":{},\"bands\":{},\"rows\":{},\"threshold\":{},\
\"build_s\":{:.2},\"signature_s\":{:.2},\"insert_s\":{:.2},\"rss_mib_before\":{:.0},\"rss_mib_after\":{:.0},\"hwm_mib\":{:.0},\
\"index_heap_mib\":{:.0},\"recall_top1\":{:.4},\"recall\":{:.4},\"edited_sim_min\":{:.3},\"edited_sim_p50\":{:.3},\
\"wrong_matches_above_threshold\":{wrong_above},\"fp_queries\":{fp_queries},\"fp_rate\":{:.4},\
\"candidates_edited_p50\":{},\"candidates_unseen_p50\":{},\"candidates_unseen_max\":{},\
\"edited_query_ms_p50\":{:.3},\"edited_query_ms_p99\":{:.3},\"query_ms_p50\":{:.3},\"query_ms_p99\":{:.3},\"query_ms_max\":{:.3},\"lookup_only_ms_p50\":{:.3},\"lookup_only_ms_p99\":{:.3}}}",
        index.len(),
        total_chars as f64 / index.len().max(1) as f64,
        params.ngram,
        params.num_perm,
        lsh.bands,
        lsh.rows,
        DEFAULT_THRESHOLD,
        build.as_secs_f64(),
        sig_time.as_secs_f64(),
        insert_time.as_secs_f64(),
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        hwm as f64 / 1024.0,
        index.memory_bytes() as f64 / (1024.0 * 1024.0),
        top1 as f64 / q as f64,
        anywhere as f64 / q as f64,
        sims.first().copied().unwrap_or(0.0),
        sims.get(sims.len() / 2).copied().unwrap_or(0.0),
        fp as f64 / fp_queries.max(1) as f64,
        cands.get(cands.len() / 2).copied().unwrap_or(0),
        fp_cands.get(fp_cands.len() / 2).copied().unwrap_or(0),
        fp_cands.last().copied().unwrap_or(0),
        pct(&mut lat_edited, 0.5),
        pct(&mut lat_edited, 0.99),
        pct(&mut lat_all, 0.5),
        pct(&mut lat_all, 0.99),
        pct(&mut lat_all, 1.0),
        pct(&mut lat_index, 0.5),
        pct(&mut lat_index, 0.99),
    );
}
