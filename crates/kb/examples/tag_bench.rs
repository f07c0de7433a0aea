//! Tagging throughput benchmark (see `bench/tagging.sh` and `bench/README.md`).
//!
//! Usage: `tag_bench <text.txt> [--concepts concepts.json] [--iters N] [--chunked]`
//!
//! Tags the whole UTF-8 text `iters` times (default 5) with a tagger built
//! from the built-in seed (or from a JSON array of concepts) and prints one
//! machine-readable line `tagging_mb_per_s=<best>` plus details on stderr.
//! `--chunked` tags line by line (one call per paragraph) instead of the whole
//! text in one call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_kb::{seed, Concept, Tagger};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut concepts_path = None;
    let mut iters = 5usize;
    let mut chunked = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--concepts" => concepts_path = args.next(),
            "--iters" => iters = args.next().and_then(|s| s.parse().ok()).unwrap_or(5),
            "--chunked" => chunked = true,
            _ => path = Some(a),
        }
    }
    let path =
        path.expect("usage: tag_bench <text.txt> [--concepts file.json] [--iters N] [--chunked]");
    let text = std::fs::read_to_string(&path).expect("read text (UTF-8)");
    let concepts: Vec<Concept> = match concepts_path {
        Some(p) => serde_json::from_str(&std::fs::read_to_string(p).expect("read concepts"))
            .expect("parse concepts"),
        None => seed::load().expect("seed").concepts,
    };

    let t = Instant::now();
    let tagger = Tagger::new(&concepts);
    let first = t.elapsed();
    let t = Instant::now();
    let _again = Tagger::new(&concepts);
    let second = t.elapsed();
    eprintln!(
        "concepts={} labels={} build_first={:.3}s build_again={:.3}s",
        concepts.len(),
        tagger.label_count(),
        first.as_secs_f64(),
        second.as_secs_f64()
    );

    let lines: Vec<&str> = text.lines().collect();
    let mb = text.len() as f64 / 1e6;
    let mut best = f64::MAX;
    for i in 0..iters {
        let t = Instant::now();
        let (n, stats) = if chunked {
            let mut n = 0;
            let mut st = qiantang_kb::tagger::TagStats::default();
            for l in &lines {
                let (o, s) = tagger.tag_with_stats(l);
                n += o.len();
                st.candidates += s.candidates;
                st.checked += s.checked;
                st.segmented += s.segmented;
                st.rejected += s.rejected;
                st.accepted += s.accepted;
            }
            (n, st)
        } else {
            let (o, s) = tagger.tag_with_stats(&text);
            (o.len(), s)
        };
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        eprintln!(
            "run {i}: {:.2} ms, {:.1} MB/s, occurrences={n} {:?}",
            secs * 1e3,
            mb / secs,
            stats
        );
    }
    println!("tagging_mb_per_s={:.1}", mb / best);
}
