//! Containment-finder benchmark: index N synthetic chapters plus the real corpus chapters, then
//! look up edited excerpts of the real chapters by length (recall, latency), and unrelated
//! synthetic chapters (false positives). Prints one JSON object per line.
//!
//! ```text
//! cargo run --release -p qiantang-fingerprint --example containment_bench -- \
//!     [--chapters N] [--chars C] [--queries Q] [--fp-queries F] [--disk PATH] [--cache-mib M]
//!     [--batch B] [--dump DIR] [--reuse]
//! ```
//!
//! * `--chapters N` synthetic chapters (default 100,000) of about `--chars C` characters
//!   (default 3,000), each a deterministic (per chapter number) concatenation of fragments of
//!   2–7 characters cut at random positions of the two corpus novels (punctuation included).
//!   Unlike sampled corpus sentences, this does not copy whole sentences of the real chapters
//!   into the synthetic ones (which would make every query a true partial match of thousands of
//!   synthetic chapters), while the frequent short phrases of the language (只见, 说道, 不知…)
//!   recur across chapters as in a real archive.
//!   With `--cedict FILE` (the uncompressed CC-CEDICT file of the shared corpus) chapters are
//!   CC-CEDICT words drawn with Zipf weights instead (see `Cedict`): the fragment generator is
//!   pessimistic at scale (a 2.5 M-character corpus cut into 3·10⁹ characters of fragments makes
//!   every 5-gram of the real chapters recur in hundreds of synthetic chapters), the dictionary
//!   one closer to an archive of many different novels.
//! * `--queries Q` real chapters queried per excerpt length (default 300): an excerpt of 300,
//!   500, 1,000, 2,000 characters or half the chapter at a random position, with the brief's
//!   edits combined (`LIGHT_EDIT`). Recall = the right chapter is reported with at least 90 % of
//!   its matched chapter characters inside the excerpt's source range.
//! * `--fp-queries F` unseen synthetic chapters (default 1,000) queried for false positives.
//! * `--disk PATH` uses the redb backend at PATH (created; `--reuse` queries an existing one
//!   without building; with `--compact` it compacts the store first), with a page cache of `--cache-mib` (default 256) and batches of `--batch`
//!   chapters per write transaction (default 20,000).
//! * `--dump DIR` writes normalized texts for the datasketch peer (`bench/piracy_datasketch.py
//!   --ensemble DIR`): `docs.tsv` (id, text) and `queries.tsv` (true id, kind, text).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use qiantang_fingerprint::containment::QueryParams;
use qiantang_fingerprint::*;
use support::*;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Synthetic text made of short fragments (2–7 characters, punctuation included) cut at random
/// positions of the corpus novels: the characters, words and frequent short phrases of the
/// language recur across chapters as in a real archive, but no run longer than 7 characters is
/// copied from a real chapter, so a query excerpt has no true match among synthetic chapters.
struct Fragments {
    corpus: Vec<char>,
}

impl Fragments {
    fn train(chapters: &[Chapter]) -> Self {
        let mut corpus = Vec::new();
        for c in chapters {
            for line in c.text.lines() {
                corpus.extend(line.trim().chars());
            }
        }
        Self { corpus }
    }

    /// Synthetic chapter `i`: ~`chars` characters in paragraphs of 100–400 characters.
    fn chapter(&self, i: u64, chars: usize) -> String {
        let mut rng = Rng::new(0x5EED_0000 ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut out = String::with_capacity(chars * 3 + 64);
        let mut n = 0;
        let max = self.corpus.len().saturating_sub(8).max(1);
        while n < chars {
            out.push_str("\u{3000}\u{3000}");
            let para = 100 + rng.below(300);
            let mut m = 0;
            while m < para {
                let len = 2 + rng.below(6);
                let at = rng.below(max);
                out.extend(&self.corpus[at..(at + len).min(self.corpus.len())]);
                m += len;
            }
            n += m;
            out.push('\n');
        }
        out
    }
}

/// Offset of the Zipf weights `1 / (rank + ZIPF_OFFSET)`: with 100 the most frequent word is
/// ~0.14 % of the words (with 1, a random dictionary word — often a 4-character idiom — would be
/// 8 % of all words, far above any multi-character word of real text, and runs of top words
/// repeat across unrelated chapters; measured: 26 of 500 unrelated chapters then "matched").
const ZIPF_OFFSET: f64 = 100.0;

/// Synthetic text from CC-CEDICT headwords (Simplified), drawn with Zipf weights over
/// a fixed shuffle of the dictionary, with a comma after ~1 word in 8 and a full stop after ~1 in
/// 20: a vocabulary of ~120,000 words whose most frequent ones (and the 5-grams they form) recur
/// across chapters, as in an archive of many different novels.
struct Cedict {
    words: Vec<Vec<char>>,
    cumulative: Vec<f64>,
}

impl Cedict {
    fn load(path: &str) -> Self {
        let text = std::fs::read_to_string(path).expect("--cedict: uncompressed CC-CEDICT file");
        let mut words: Vec<Vec<char>> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split(' ').nth(1))
            .map(|w| w.chars().collect::<Vec<char>>())
            .filter(|w: &Vec<char>| {
                !w.is_empty() && w.iter().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
            })
            .collect();
        words.sort();
        words.dedup();
        let mut rng = Rng::new(0xCED1C7);
        for i in (1..words.len()).rev() {
            words.swap(i, rng.below(i + 1));
        }
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                total += 1.0 / (r as f64 + ZIPF_OFFSET);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn chapter(&self, i: u64, chars: usize) -> String {
        let mut rng = Rng::new(0xCED1_0000 ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let mut out = String::with_capacity(chars * 3 + 64);
        let mut n = 0;
        while n < chars {
            out.push_str("\u{3000}\u{3000}");
            let para = 100 + rng.below(300);
            let mut m = 0;
            while m < para {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
                let r = self
                    .cumulative
                    .partition_point(|&c| c < u)
                    .min(self.words.len() - 1);
                out.extend(&self.words[r]);
                m += self.words[r].len();
                match rng.below(40) {
                    0..=4 => out.push('，'),
                    5 | 6 => out.push('。'),
                    _ => {}
                }
            }
            n += m;
            out.push('\n');
        }
        out
    }
}

enum Gen {
    Fragments(Fragments),
    Cedict(Cedict),
}

impl Gen {
    fn chapter(&self, i: u64, chars: usize) -> String {
        match self {
            Gen::Fragments(g) => g.chapter(i, chars),
            Gen::Cedict(g) => g.chapter(i, chars),
        }
    }
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

fn substr(text: &str, start: usize, len: usize) -> String {
    text.chars().skip(start).take(len).collect()
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

const REAL_WORK: u64 = 1;
const SYNTH_WORK: u64 = 2;

fn run<B: PostingBackend>(mut index: ContainmentIndex<B>, disk: Option<&std::path::Path>) {
    let n: u64 = arg("--chapters").map_or(100_000, |v| v.parse().unwrap());
    let chars: usize = arg("--chars").map_or(3_000, |v| v.parse().unwrap());
    let nq: usize = arg("--queries").map_or(300, |v| v.parse().unwrap());
    let fp_queries: u64 = arg("--fp-queries").map_or(1_000, |v| v.parse().unwrap());
    let batch: usize = arg("--batch").map_or(20_000, |v| v.parse().unwrap());
    let dump = arg("--dump").map(std::path::PathBuf::from);
    let reuse = flag("--reuse");

    let real = load_corpus();
    let gen = match arg("--cedict") {
        Some(path) => Gen::Cedict(Cedict::load(&path)),
        None => Gen::Fragments(Fragments::train(&real)),
    };
    let pool = han_pool(&real);
    let trad = ToTraditional::new();
    let mut docs = dump.as_ref().map(|d| {
        std::fs::create_dir_all(d).unwrap();
        std::io::BufWriter::new(std::fs::File::create(d.join("docs.tsv")).unwrap())
    });
    let rss_before = status_kib("VmRSS:");
    let t0 = Instant::now();
    let mut total_chars = 0u64;
    if !reuse {
        let real_refs: Vec<(ChapterRef, &str)> = real
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    ChapterRef {
                        work: REAL_WORK,
                        chapter: i as u32,
                    },
                    c.text.as_str(),
                )
            })
            .collect();
        if let Some(w) = docs.as_mut() {
            for (i, c) in real.iter().enumerate() {
                writeln!(w, "r{i}\t{}", normalize_to_string(&c.text)).unwrap();
            }
        }
        index.add_many(real_refs).unwrap();
        let mut i = 0u64;
        while i < n {
            let end = (i + batch as u64).min(n);
            let texts: Vec<String> = (i..end).map(|j| gen.chapter(j, chars)).collect();
            for (j, t) in (i..end).zip(&texts) {
                total_chars += t.chars().count() as u64;
                if let Some(w) = docs.as_mut() {
                    writeln!(w, "s{j}\t{}", normalize_to_string(t)).unwrap();
                }
            }
            index
                .add_many((i..end).zip(&texts).map(|(j, t)| {
                    (
                        ChapterRef {
                            work: SYNTH_WORK,
                            chapter: j as u32,
                        },
                        t.as_str(),
                    )
                }))
                .unwrap();
            i = end;
            if i % 100_000 < batch as u64 {
                eprintln!(
                    "indexed {i} synthetic chapters in {:.0} s, RSS {} MiB",
                    t0.elapsed().as_secs_f64(),
                    status_kib("VmRSS:") / 1024
                );
            }
        }
        index.compact().unwrap();
    } else if flag("--compact") {
        index.compact().unwrap();
    }
    drop(docs);
    let build = t0.elapsed();
    let rss_after = status_kib("VmRSS:");
    let hwm_build = status_kib("VmHWM:");

    let mut queries = dump
        .as_ref()
        .map(|d| std::io::BufWriter::new(std::fs::File::create(d.join("queries.tsv")).unwrap()));
    let params = QueryParams::default();
    let mut rng = Rng::new(2026);
    let mut per_len = Vec::new();
    let mut lat_1000 = Vec::new();
    for len in [300usize, 500, 1_000, 2_000, 0] {
        let (mut ok, mut found, mut tried) = (0, 0, 0);
        let mut lat = Vec::new();
        let mut cont = Vec::new();
        for _ in 0..nq {
            let i = rng.below(real.len());
            let text = &real[i].text;
            let total = text.chars().count();
            let l = if len == 0 { total / 2 } else { len };
            if total < l + 10 {
                continue;
            }
            let start = rng.below(total - l);
            let suspect = edit(&substr(text, start, l), LIGHT_EDIT, &pool, &trad, &mut rng);
            if let Some(w) = queries.as_mut() {
                writeln!(w, "r{i}\t{len}\t{}", normalize_to_string(&suspect)).unwrap();
            }
            let t = Instant::now();
            let r = index.find(&suspect, &params);
            lat.push(t.elapsed());
            tried += 1;
            let Ok(r) = r else { continue };
            let want = ChapterRef {
                work: REAL_WORK,
                chapter: i as u32,
            };
            if let Some(m) = r.matches.iter().find(|m| m.chapter == want) {
                found += 1;
                cont.push(m.containment);
                let (lo, hi) = (start.saturating_sub(30) as u32, (start + l + 30) as u32);
                let total: u64 = m.spans.iter().map(|s| u64::from(s.chapter_len)).sum();
                let inside: u64 = m
                    .spans
                    .iter()
                    .map(|s| {
                        u64::from(
                            (s.chapter_start + s.chapter_len)
                                .min(hi)
                                .saturating_sub(s.chapter_start.max(lo)),
                        )
                    })
                    .sum();
                if inside * 10 >= total * 9 {
                    ok += 1;
                }
            }
        }
        cont.sort_by(f64::total_cmp);
        let name = if len == 0 {
            "half".to_owned()
        } else {
            len.to_string()
        };
        per_len.push(format!(
            "\"{name}\":{{\"queries\":{tried},\"recall_spans\":{:.4},\"recall_found\":{:.4},\"containment_p50\":{:.3},\"ms_p50\":{:.3},\"ms_p99\":{:.3}}}",
            ok as f64 / tried.max(1) as f64,
            found as f64 / tried.max(1) as f64,
            cont.get(cont.len() / 2).copied().unwrap_or(0.0),
            pct(&mut lat.clone(), 0.5),
            pct(&mut lat.clone(), 0.99),
        ));
        if len == 1_000 {
            lat_1000 = lat;
        }
    }
    // False positives: unseen synthetic chapters (numbers beyond the indexed range), whole and
    // as 1,000-character excerpts.
    let (mut fp, mut fp_excerpt) = (0, 0);
    let mut fp_max = 0u32;
    let mut lat_fp = Vec::new();
    for j in 0..fp_queries {
        let text = gen.chapter(u64::MAX / 2 + j, chars);
        if let Some(w) = queries.as_mut() {
            writeln!(w, "none\tunrelated\t{}", normalize_to_string(&text)).unwrap();
        }
        let t = Instant::now();
        let r = index.find(&text, &params).unwrap();
        lat_fp.push(t.elapsed());
        fp += usize::from(!r.matches.is_empty());
        fp_max = r
            .matches
            .iter()
            .map(|m| m.matched_chars)
            .fold(fp_max, u32::max);
        if std::env::var("DEBUG_FP").is_ok() {
            for m in &r.matches {
                eprintln!("false positive {m:?}");
                for s in &m.spans {
                    let q = substr(&text, s.suspect_start as usize, s.suspect_len as usize);
                    eprintln!("  suspect {q:?}");
                }
            }
        }
        let ex = substr(&text, 500, 1_000);
        let r = index.find(&ex, &params).unwrap();
        fp_excerpt += usize::from(!r.matches.is_empty());
    }
    drop(queries);
    let file_mib = disk.map_or(0.0, |p| dir_size(p) as f64 / (1024.0 * 1024.0));
    println!(
        "{{\"impl\":\"qiantang-fingerprint containment\",\"backend\":\"{}\",\"generator\":\"{}\",\"synthetic\":{n},\"real\":{},\"indexed\":{},\
\"avg_synthetic_chars\":{:.0},\"k\":{},\"w\":{},\"build_s\":{:.1},\"rss_mib_before\":{:.0},\"rss_mib_after_build\":{:.0},\
\"hwm_mib_build\":{:.0},\"hwm_mib_end\":{:.0},\"rss_mib_end\":{:.0},\"backend_heap_mib\":{:.0},\"disk_file_mib\":{file_mib:.0},\
\"by_length\":{{{}}},\"q1000_ms_p50\":{:.3},\"q1000_ms_p99\":{:.3},\"fp_queries\":{fp_queries},\"fp_whole\":{fp},\"fp_excerpt_1000\":{fp_excerpt},\"fp_max_matched_chars\":{fp_max},\
\"unrelated_ms_p50\":{:.3},\"unrelated_ms_p99\":{:.3}}}",
        if disk.is_some() { "redb" } else { "memory" },
        if matches!(gen, Gen::Cedict(_)) { "cedict" } else { "fragments" },
        real.len(),
        index.len(),
        total_chars as f64 / n.max(1) as f64,
        index.winnow_params().k,
        index.winnow_params().w,
        build.as_secs_f64(),
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        hwm_build as f64 / 1024.0,
        status_kib("VmHWM:") as f64 / 1024.0,
        status_kib("VmRSS:") as f64 / 1024.0,
        index.backend().memory_bytes() as f64 / (1024.0 * 1024.0),
        per_len.join(","),
        pct(&mut lat_1000.clone(), 0.5),
        pct(&mut lat_1000, 0.99),
        pct(&mut lat_fp.clone(), 0.5),
        pct(&mut lat_fp, 0.99),
    );
}

fn main() {
    match arg("--disk") {
        Some(path) => {
            let path = std::path::PathBuf::from(path);
            let cache: usize = arg("--cache-mib").map_or(256, |v| v.parse().unwrap());
            if !flag("--reuse") {
                let _ = std::fs::remove_file(&path);
            }
            let backend = RedbBackend::open(&path, WinnowParams::default(), cache << 20).unwrap();
            let index = ContainmentIndex::new(backend, WinnowParams::default()).unwrap();
            run(index, Some(&path));
        }
        None => run(MemoryIndex::in_memory(), None),
    }
}
