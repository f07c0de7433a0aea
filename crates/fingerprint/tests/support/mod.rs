//! Shared by the integration tests and the `piracy_bench` example: the real corpus chapters, a
//! seeded RNG and the "pirate" editor that makes lightly edited copies.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use qiantang_fingerprint::normalize::parse_char_table;

/// OpenCC STCharacters (Simplified → Traditional), Apache-2.0, see data/PROVENANCE.md.
const ST_CHARACTERS: &str = include_str!("../../data/STCharacters.txt");

/// One chapter of a corpus novel.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// e.g. "jigong:第一回 …".
    pub title: String,
    /// Full text (heading line excluded).
    pub text: String,
}

/// The folder with the corpus novels: `$QIANTANG_CORPUS`, else `shared/` beside the repository
/// (as on CI), else `/work/shared`.
pub fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("QIANTANG_CORPUS") {
        return PathBuf::from(dir);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/novels_zh");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/corpus/novels_zh")
}

/// Splits a novel into chapters at lines that start with 第 and have 回 within the first 12
/// characters (the "第…回" headings).
pub fn split_chapters(novel: &str, text: &str) -> Vec<Chapter> {
    let mut out: Vec<Chapter> = Vec::new();
    for line in text.lines() {
        let head: String = line.trim_start().chars().take(12).collect();
        if head.starts_with('第') && head.contains('回') {
            out.push(Chapter {
                title: format!("{novel}:{}", line.trim()),
                text: String::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.text.push_str(line);
            last.text.push('\n');
        }
    }
    out.retain(|c| c.text.chars().count() > 200);
    out
}

/// The real chapters: 济公全传 (UTF-8) and 西游记 (GB18030, decoded with encoding_rs).
pub fn load_corpus() -> Vec<Chapter> {
    let dir = corpus_dir();
    let jigong = std::fs::read_to_string(dir.join("jigong_quanzhuan.txt"))
        .unwrap_or_else(|e| panic!("corpus missing in {}: {e}", dir.display()));
    let raw = std::fs::read(dir.join("xiyouji_journey_to_the_west.gb18030.txt"))
        .unwrap_or_else(|e| panic!("corpus missing in {}: {e}", dir.display()));
    let (xiyouji, _, had_errors) = encoding_rs::GB18030.decode(&raw);
    assert!(!had_errors, "xiyouji is not clean GB18030");
    let mut out = split_chapters("jigong", &jigong);
    out.extend(split_chapters("xiyouji", &xiyouji));
    out
}

/// splitmix64-based RNG: deterministic on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        qiantang_fingerprint::minhash::splitmix64(&mut self.0)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Simplified → Traditional, character by character (OpenCC STCharacters, first candidate).
pub struct ToTraditional(HashMap<char, char>);

impl ToTraditional {
    /// Loads the vendored table.
    pub fn new() -> Self {
        Self(parse_char_table(ST_CHARACTERS))
    }
    /// Converts a text.
    pub fn convert(&self, text: &str) -> String {
        text.chars()
            .map(|c| *self.0.get(&c).unwrap_or(&c))
            .collect()
    }
}

/// What the pirate does to a chapter.
#[derive(Debug, Clone, Copy)]
pub struct Edits {
    /// Probability of swapping each pair of neighbouring sentences in a paragraph.
    pub reorder: f64,
    /// Share of Han characters replaced by another Han character.
    pub substitute: f64,
    /// Insert an ad line after every `ad_every` paragraphs, and inside long paragraphs after every
    /// `100 × ad_every` characters (web "pages"); 0 = never.
    pub ad_every: usize,
    /// Change punctuation (，→、/；, 。→！, quotes → 「」) and strip paragraph indentation.
    pub punctuation: bool,
    /// Convert to Traditional script.
    pub traditional: bool,
}

/// The brief's "lightly edited copy": sentences reordered, punctuation changed, an ad line every
/// 3 paragraphs (or 300 characters), 5 % of characters substituted, converted to Traditional.
pub const LIGHT_EDIT: Edits = Edits {
    reorder: 0.5,
    substitute: 0.05,
    ad_every: 3,
    punctuation: true,
    traditional: true,
};

const ADS: [&str; 4] = [
    "本章未完，请点击下一页继续阅读 www.xxx.com",
    "【最新章节请到笔趣阁 WWW.BIQUGE.CC 阅读】",
    "手机用户请浏览 m.xiaoshuo99.net 阅读，更优质的阅读体验。",
    "喜欢本书请记住本站网址：ｗｗｗ．ｋａｎｓｈｕ．ｃｏｍ 天天更新",
];

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

fn split_sentences(paragraph: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in paragraph.chars() {
        cur.push(c);
        if matches!(c, '。' | '！' | '？' | '”') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Makes an edited copy of `text`. `pool` is the set of Han characters substitutions draw from.
pub fn edit(
    text: &str,
    edits: Edits,
    pool: &[char],
    trad: &ToTraditional,
    rng: &mut Rng,
) -> String {
    let mut out = String::with_capacity(text.len() + 1024);
    let mut paragraphs = 0;
    let mut since_ad = 0;
    for line in text.lines() {
        let line = if edits.punctuation { line.trim() } else { line };
        if line.is_empty() {
            continue;
        }
        let mut sentences = split_sentences(line);
        if edits.reorder > 0.0 {
            let mut i = 0;
            while i + 1 < sentences.len() {
                if rng.chance(edits.reorder) {
                    sentences.swap(i, i + 1);
                    i += 2;
                } else {
                    i += 1;
                }
            }
        }
        for s in sentences {
            if edits.ad_every > 0 && since_ad >= 100 * edits.ad_every {
                out.push('\n');
                out.push_str(ADS[rng.below(ADS.len())]);
                out.push('\n');
                since_ad = 0;
            }
            for c in s.chars() {
                since_ad += 1;
                let c = if edits.punctuation {
                    match c {
                        '，' => {
                            if rng.chance(0.5) {
                                '、'
                            } else {
                                '；'
                            }
                        }
                        '。' => '！',
                        '“' => '「',
                        '”' => '」',
                        '：' => ':',
                        other => other,
                    }
                } else {
                    c
                };
                if is_han(c) && edits.substitute > 0.0 && rng.chance(edits.substitute) {
                    out.push(pool[rng.below(pool.len())]);
                } else {
                    out.push(c);
                }
            }
        }
        out.push('\n');
        paragraphs += 1;
        if edits.ad_every > 0 && paragraphs % edits.ad_every == 0 {
            out.push_str(ADS[rng.below(ADS.len())]);
            out.push('\n');
            since_ad = 0;
        }
    }
    if edits.traditional {
        trad.convert(&out)
    } else {
        out
    }
}

/// The distinct Han characters of the chapters, in first-seen order (deterministic).
pub fn han_pool(chapters: &[Chapter]) -> Vec<char> {
    let mut seen = std::collections::HashSet::new();
    let mut pool = Vec::new();
    for ch in chapters {
        for c in ch.text.chars() {
            if is_han(c) && seen.insert(c) {
                pool.push(c);
            }
        }
    }
    pool
}
