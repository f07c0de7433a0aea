//! Translation-memory lookup benchmark (issue 4): builds a `TmIndex` of N
//! units (default 10⁶) and times Q lookups (default 1,000).
//!
//! Data (deterministic, splitmix64 seed 42): the 2,000 Tatoeba cmn–eng pairs,
//! then sentences of the three novels in `shared/corpus/novels_zh` (segmented
//! by `qiantang_l10n::segment`, 6–80 characters) drawn at random, 70 % with
//! 1–3 character edits (substitute / delete / insert a corpus character).
//! Queries: a third exact sources of random units, a third random units with
//! 1–3 edits, a third unrelated (random corpus characters, 8–40 long).
//!
//! Writes `units.tsv` (source TAB target) and `queries.txt` into OUT_DIR for
//! the Python peer (`bench/tm_rapidfuzz.py`), then prints `key=value` lines.
//!
//! Usage: `tm_bench [--units N] [--queries Q] [--out DIR] [--min 75] [--limit 5]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_l10n::segment::{sentences, SegmentOptions};
use qiantang_l10n::tm::TmIndex;
use qiantang_l10n::TranslationUnit;
use qiantang_works::import::{parse_novel, ImportOptions};
use std::io::Write;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn edit(rng: &mut Rng, s: &str, pool: &[char], edits: usize) -> String {
    let mut c: Vec<char> = s.chars().collect();
    for _ in 0..edits {
        let p = rng.below(c.len() + 1);
        let x = pool[rng.below(pool.len())];
        match rng.below(3) {
            0 if p < c.len() && c.len() > 2 => {
                c.remove(p);
            }
            1 if p < c.len() => c[p] = x,
            _ => c.insert(p, x),
        }
    }
    c.into_iter().collect()
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn main() {
    let n: usize = arg("--units", "1000000").parse().unwrap();
    let nq: usize = arg("--queries", "1000").parse().unwrap();
    let min: u8 = arg("--min", "75").parse().unwrap();
    let limit: usize = arg("--limit", "5").parse().unwrap();
    let out = std::path::PathBuf::from(arg("--out", "/tmp/qiantang-tm-bench"));
    let corpus = arg(
        "--corpus",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"),
    );
    std::fs::create_dir_all(&out).unwrap();

    // Corpus sentences.
    let mut sents: Vec<String> = Vec::new();
    for f in [
        "jigong_quanzhuan.txt",
        "xiyouji_journey_to_the_west.gb18030.txt",
        "yushi_mingyan_28_liang_zhu_episode.txt",
    ] {
        let bytes = std::fs::read(format!("{corpus}/novels_zh/{f}")).unwrap();
        let Ok(novel) = parse_novel(f, &bytes, &ImportOptions::default()) else {
            eprintln!("skipping {f}: not importable");
            continue;
        };
        for ch in novel.chapters {
            for s in sentences(&ch.text, SegmentOptions::default()) {
                if (6..=80).contains(&s.len) {
                    sents.push(s.text);
                }
            }
        }
    }
    let pool: Vec<char> = sents.iter().flat_map(|s| s.chars()).step_by(7).collect();
    let tsv =
        std::fs::read_to_string(format!("{corpus}/parallel/tatoeba_cmn_eng_2000.tsv")).unwrap();
    let mut pairs: Vec<(String, String)> = tsv
        .lines()
        .filter_map(|l| {
            let mut c = l.split('\t');
            let en = c.next()?;
            let zh = c.next()?;
            Some((zh.to_string(), en.to_string()))
        })
        .collect();
    let mut rng = Rng(42);
    while pairs.len() < n {
        let s = &sents[rng.below(sents.len())];
        let src = if rng.below(10) < 7 {
            let k = 1 + rng.below(3);
            edit(&mut rng, s, &pool, k)
        } else {
            s.clone()
        };
        let tgt = format!("target {}", pairs.len());
        pairs.push((src, tgt));
    }
    pairs.truncate(n);
    let mut queries = Vec::with_capacity(nq);
    for i in 0..nq {
        let q = match i % 3 {
            0 => pairs[rng.below(pairs.len())].0.clone(),
            1 => {
                let k = 1 + rng.below(3);
                let base = pairs[rng.below(pairs.len())].0.clone();
                edit(&mut rng, &base, &pool, k)
            }
            _ => {
                let len = 8 + rng.below(33);
                (0..len).map(|_| pool[rng.below(pool.len())]).collect()
            }
        };
        queries.push(q.replace(['\t', '\n'], " "));
    }
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("units.tsv")).unwrap());
        for (s, t) in &pairs {
            writeln!(w, "{}\t{}", s.replace(['\t', '\n'], " "), t).unwrap();
        }
        let mut w =
            std::io::BufWriter::new(std::fs::File::create(out.join("queries.txt")).unwrap());
        for q in &queries {
            writeln!(w, "{q}").unwrap();
        }
    }

    let units: Vec<TranslationUnit> = pairs
        .into_iter()
        .enumerate()
        .map(|(i, (source, target))| TranslationUnit {
            id: i as i64 + 1,
            org: 1,
            source_lang: "zh-Hans".into(),
            target_lang: "en".into(),
            source,
            target,
            context: None,
            approved: true,
            origin: "bench".into(),
            created_by: "bench".into(),
            created_ms: 0,
        })
        .collect();
    let t = Instant::now();
    let idx = TmIndex::build(units);
    let build_s = t.elapsed().as_secs_f64();

    let mut times = Vec::with_capacity(nq);
    let mut hits = 0;
    let mut results =
        std::io::BufWriter::new(std::fs::File::create(out.join("rust_results.txt")).unwrap());
    for q in &queries {
        let t = Instant::now();
        let m = idx.lookup(q, None, "zh-Hans", "en", min, limit);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += usize::from(!m.is_empty());
        let line: Vec<String> = m
            .iter()
            .map(|m| format!("{}:{}", m.index, m.score))
            .collect();
        writeln!(results, "{}", line.join(" ")).unwrap();
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let pick =
        |p: f64| sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1];
    println!("units={}", idx.len());
    println!("corpus_sentences={}", sents.len());
    println!("queries={nq}");
    println!("build_s={build_s:.2}");
    println!("queries_with_match={hits}");
    println!("p50_ms={:.3}", pick(0.5));
    println!("p99_ms={:.3}", pick(0.99));
    println!("max_ms={:.3}", sorted.last().copied().unwrap_or(0.0));
    println!(
        "mean_ms={:.3}",
        times.iter().sum::<f64>() / times.len().max(1) as f64
    );
    println!("out={}", out.display());
}
