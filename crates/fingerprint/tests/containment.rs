//! Containment finder on the real corpus: edited excerpts of 济公全传 chapters are found with
//! correct spans; chapters made of shuffled sentences of 西游记 (a different novel, not indexed)
//! are not. Figures are printed with `--nocapture` and recorded in the crate README.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;

use qiantang_fingerprint::containment::{QueryParams, MAX_TEXT_CHARS};
use qiantang_fingerprint::winnow::{winnow, WinnowParams};
use qiantang_fingerprint::*;
use support::*;

const JIGONG: u64 = 1;

fn jigong() -> Vec<Chapter> {
    load_corpus()
        .into_iter()
        .filter(|c| c.title.starts_with("jigong:"))
        .collect()
}

fn xiyouji() -> Vec<Chapter> {
    load_corpus()
        .into_iter()
        .filter(|c| c.title.starts_with("xiyouji:"))
        .collect()
}

fn index_of(chapters: &[Chapter], params: WinnowParams) -> MemoryIndex {
    let mut index = ContainmentIndex::new(MemoryBackend::new(), params).unwrap();
    for (i, c) in chapters.iter().enumerate() {
        index
            .add(
                ChapterRef {
                    work: JIGONG,
                    chapter: i as u32,
                },
                &c.text,
            )
            .unwrap();
    }
    index.compact().unwrap();
    index
}

/// Sentences (ending in 。！？) of some chapters.
fn sentences(chapters: &[Chapter]) -> Vec<String> {
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
        }
    }
    out
}

/// An unrelated chapter: ~3,000 characters of sentences drawn at random from `pool` (西游记),
/// in paragraphs of 3–8 sentences.
fn unrelated(pool: &[String], rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut n = 0;
    while n < 3_000 {
        out.push_str("\u{3000}\u{3000}");
        for _ in 0..3 + rng.below(6) {
            let s = &pool[rng.below(pool.len())];
            n += s.chars().count();
            out.push_str(s);
        }
        out.push('\n');
    }
    out
}

fn substr(text: &str, start: usize, len: usize) -> String {
    text.chars().skip(start).take(len).collect()
}

fn kgrams(text: &str) -> HashSet<String> {
    let n: Vec<char> = normalize(text);
    n.windows(5).map(|w| w.iter().collect()).collect()
}

/// Outcome of one excerpt query.
#[derive(Debug, Default, Clone, Copy)]
struct Trial {
    found: bool,
    spans_ok: bool,
    containment: f64,
    top1: bool,
}

/// Looks up an edited excerpt `[start, start + len)` of chapter `i` and checks the spans: at
/// least 90 % of the matched chapter characters lie inside the excerpt's source range (± 30),
/// and each of the (up to 5 longest) spans maps suspect text to chapter text that shares
/// 5-grams (≥ 30 % of the suspect span's 5-grams are in the chapter span).
#[allow(clippy::too_many_arguments)]
fn trial(
    index: &MemoryIndex,
    chapters: &[Chapter],
    i: usize,
    start: usize,
    len: usize,
    edits: Edits,
    ctx: &(Vec<char>, ToTraditional),
    rng: &mut Rng,
) -> Trial {
    let text = &chapters[i].text;
    let excerpt = substr(text, start, len);
    let suspect = edit(&excerpt, edits, &ctx.0, &ctx.1, rng);
    let report = match index.find(&suspect, &QueryParams::default()) {
        Ok(r) => r,
        Err(_) => return Trial::default(),
    };
    let want = ChapterRef {
        work: JIGONG,
        chapter: i as u32,
    };
    let Some(m) = report.matches.iter().find(|m| m.chapter == want) else {
        return Trial::default();
    };
    let (lo, hi) = (start.saturating_sub(30) as u32, (start + len + 30) as u32);
    let total: u64 = m.spans.iter().map(|s| u64::from(s.chapter_len)).sum();
    let inside: u64 = m
        .spans
        .iter()
        .map(|s| {
            let (a, b) = (s.chapter_start, s.chapter_start + s.chapter_len);
            u64::from(b.min(hi).saturating_sub(a.max(lo)))
        })
        .sum();
    let mut longest = m.spans.clone();
    longest.sort_by_key(|s| std::cmp::Reverse(s.suspect_len));
    let mapped = longest.iter().take(5).all(|s| {
        let q = kgrams(&substr(
            &suspect,
            s.suspect_start as usize,
            s.suspect_len as usize,
        ));
        let c = kgrams(&substr(
            text,
            s.chapter_start as usize,
            s.chapter_len as usize,
        ));
        q.is_empty() || q.iter().filter(|g| c.contains(*g)).count() * 10 >= q.len() * 3
    });
    Trial {
        found: true,
        spans_ok: {
            if std::env::var("DEBUG_SPANS").is_ok() && !(inside * 10 >= total * 9 && mapped) {
                eprintln!(
                    "chapter {i} [{start}, +{len}) inside {inside}/{total} mapped {mapped}: {:?}",
                    m.spans
                );
            }
            inside * 10 >= total * 9 && mapped
        },
        containment: m.containment,
        top1: report.matches.first().map(|m| m.chapter) == Some(want),
    }
}

fn ctx(chapters: &[Chapter]) -> (Vec<char>, ToTraditional) {
    (han_pool(chapters), ToTraditional::new())
}

/// Recall by excerpt length with the brief's edits combined (sentences swapped, punctuation
/// changed, ad lines inserted, 5 % of characters replaced, Traditional script).
#[test]
fn edited_excerpts_are_found_with_correct_spans() {
    let chapters = jigong();
    assert!(chapters.len() >= 200, "{} chapters", chapters.len());
    let index = index_of(&chapters, WinnowParams::default());
    let c = ctx(&chapters);
    let mut rng = Rng::new(16);
    for (len, want) in [(500usize, 0.9), (1_000, 0.95), (2_000, 0.95), (0, 0.95)] {
        let (mut ok, mut found, mut top1, mut n) = (0, 0, 0, 0);
        let mut cont = Vec::new();
        for (i, ch) in chapters.iter().enumerate() {
            let total = ch.text.chars().count();
            let len = if len == 0 { total / 2 } else { len };
            if total < len + 10 {
                continue;
            }
            let start = rng.below(total - len);
            let t = trial(&index, &chapters, i, start, len, LIGHT_EDIT, &c, &mut rng);
            n += 1;
            found += usize::from(t.found);
            ok += usize::from(t.found && t.spans_ok);
            top1 += usize::from(t.top1);
            if t.found {
                cont.push(t.containment);
            }
        }
        cont.sort_by(f64::total_cmp);
        let recall = ok as f64 / n as f64;
        println!(
            "excerpt {}: n {n}, found {found}, found with correct spans {ok} (recall {recall:.3}), \
             top-1 {top1}, containment min {:.2} p50 {:.2}",
            if len == 0 { "half".to_owned() } else { len.to_string() },
            cont.first().copied().unwrap_or(0.0),
            cont.get(cont.len() / 2).copied().unwrap_or(0.0),
        );
        assert!(n >= 200, "only {n} chapters long enough");
        assert!(recall >= want, "recall {recall} < {want} at length {len}");
    }
}

/// Each edit alone, on 1,000-character excerpts.
#[test]
fn each_edit_alone_keeps_excerpts_found() {
    let chapters = jigong();
    let index = index_of(&chapters, WinnowParams::default());
    let c = ctx(&chapters);
    let none = Edits {
        reorder: 0.0,
        substitute: 0.0,
        ad_every: 0,
        punctuation: false,
        traditional: false,
    };
    let variants = [
        (
            "reorder",
            Edits {
                reorder: 1.0,
                ..none
            },
        ),
        (
            "punctuation",
            Edits {
                punctuation: true,
                ..none
            },
        ),
        (
            "ads",
            Edits {
                ad_every: 1,
                ..none
            },
        ),
        (
            "substitute 5%",
            Edits {
                substitute: 0.05,
                ..none
            },
        ),
        (
            "traditional",
            Edits {
                traditional: true,
                ..none
            },
        ),
    ];
    let mut rng = Rng::new(3);
    for (name, e) in variants {
        let (mut ok, mut n) = (0, 0);
        for i in (0..chapters.len()).step_by(4) {
            let total = chapters[i].text.chars().count();
            if total < 1_100 {
                continue;
            }
            let start = rng.below(total - 1_000);
            let t = trial(&index, &chapters, i, start, 1_000, e, &c, &mut rng);
            n += 1;
            ok += usize::from(t.found && t.spans_ok);
        }
        println!("{name}: {ok}/{n}");
        assert!(ok * 100 >= n * 98, "{name}: only {ok} of {n}");
    }
}

/// A verbatim excerpt (and its Traditional conversion, which is character for character) maps
/// offsets exactly: every span's chapter offset minus its suspect offset is the excerpt's start.
#[test]
fn verbatim_excerpt_spans_are_exact() {
    let chapters = jigong();
    let index = index_of(&chapters, WinnowParams::default());
    let trad = ToTraditional::new();
    let mut rng = Rng::new(77);
    for i in (0..chapters.len()).step_by(10) {
        let text = &chapters[i].text;
        let total = text.chars().count();
        let start = rng.below(total - 800);
        let excerpt = substr(text, start, 800);
        for suspect in [excerpt.clone(), trad.convert(&excerpt)] {
            let r = index.find(&suspect, &QueryParams::default()).unwrap();
            let m = &r.matches[0];
            assert_eq!(m.chapter.chapter, i as u32);
            assert!(m.containment > 0.9, "{}", m.containment);
            for s in &m.spans {
                assert_eq!(s.chapter_start - s.suspect_start, start as u32, "{s:?}");
                assert_eq!(s.chapter_len, s.suspect_len);
            }
            // Coverage of the chapter is about the excerpt's share.
            let share = 800.0 / total as f64;
            assert!(
                (m.coverage - share).abs() < 0.05,
                "{} vs {share}",
                m.coverage
            );
        }
    }
}

/// 1,000 chapters of shuffled 西游记 sentences (a novel that is not indexed, same period and
/// register: 只见/却说/那怪 and other set phrases are shared) match no 济公全传 chapter.
#[test]
fn unrelated_chapters_do_not_match() {
    let chapters = jigong();
    let index = index_of(&chapters, WinnowParams::default());
    let pool = sentences(&xiyouji());
    let mut rng = Rng::new(1234);
    let mut fps = 0;
    let mut max_candidates = 0;
    for _ in 0..1_000 {
        let text = unrelated(&pool, &mut rng);
        let r = index.find(&text, &QueryParams::default()).unwrap();
        max_candidates = max_candidates.max(r.candidates);
        if !r.matches.is_empty() {
            fps += 1;
            println!("false positive: {:?}", r.matches[0]);
        }
    }
    println!("unrelated: {fps} of 1000 matched; max candidates {max_candidates}");
    assert_eq!(fps, 0);
}

/// A suspect book: chapters 10..=20 of 济公全传 except 15, edited, cut into pages of ~1,500
/// characters, with three unrelated pages mixed in.
fn book_fixture(chapters: &[Chapter]) -> (Vec<(String, String)>, Vec<usize>) {
    let c = ctx(chapters);
    let pool = sentences(&xiyouji());
    let mut rng = Rng::new(42);
    let mut pieces = Vec::new();
    let mut unrelated_at = Vec::new();
    for i in (10..=20).filter(|&i| i != 15) {
        let edited = edit(&chapters[i].text, LIGHT_EDIT, &c.0, &c.1, &mut rng);
        let chars: Vec<char> = edited.chars().collect();
        // Pages of 1,500 characters; a last page under 500 joins the one before (a page of a
        // few characters has too little text to match anything).
        let mut pages: Vec<String> = chars.chunks(1_500).map(|p| p.iter().collect()).collect();
        if pages.len() > 1 && pages.last().is_some_and(|p| p.chars().count() < 500) {
            let last = pages.pop().unwrap();
            pages.last_mut().unwrap().push_str(&last);
        }
        for (p, page) in pages.into_iter().enumerate() {
            pieces.push((format!("ch{i}-p{p}"), page));
        }
        if i == 12 || i == 18 {
            unrelated_at.push(pieces.len());
            pieces.push((format!("noise-{i}"), unrelated(&pool, &mut rng)));
        }
    }
    unrelated_at.push(pieces.len());
    pieces.push(("tiny".to_owned(), "第一页。".to_owned()));
    (pieces, unrelated_at)
}

fn check_book<B: PostingBackend>(index: &ContainmentIndex<B>, chapters: &[Chapter]) {
    let (pieces, unrelated_at) = book_fixture(chapters);
    let refs: Vec<Piece<'_>> = pieces
        .iter()
        .map(|(l, t)| Piece { label: l, text: t })
        .collect();
    let r = index.find_book(&refs, &QueryParams::default()).unwrap();
    assert_eq!(r.pieces.len(), pieces.len());
    assert_eq!(r.unmatched_pieces, unrelated_at, "{:?}", r.unmatched_pieces);
    assert!(r.pieces.last().unwrap().skipped.is_some());
    assert_eq!(r.works.len(), 1);
    let w = &r.works[0];
    assert_eq!(w.work, JIGONG);
    let found: Vec<u32> = w.chapters.iter().map(|c| c.chapter).collect();
    let want: Vec<u32> = (10..=20).filter(|&i| i != 15).collect();
    assert_eq!(found, want);
    assert!(w.unmatched_chapters.contains(&15));
    assert_eq!(
        w.unmatched_chapters.len() + w.chapters.len(),
        w.chapters_indexed as usize
    );
    for c in &w.chapters {
        assert!(
            c.coverage > 0.85,
            "chapter {} coverage {}",
            c.chapter,
            c.coverage
        );
        // Its pages are consecutive pieces: one run, labelled by the first and last page.
        assert_eq!(c.runs.len(), 1, "chapter {}: {:?}", c.chapter, c.runs);
        assert_eq!(c.runs[0].first_label, format!("ch{}-p0", c.chapter));
        assert!(c.runs[0]
            .last_label
            .starts_with(&format!("ch{}-p", c.chapter)));
    }
}

#[test]
fn book_report_groups_pages_by_chapter() {
    let chapters = jigong();
    let index = index_of(&chapters, WinnowParams::default());
    check_book(&index, &chapters);
}

#[test]
fn disk_index_matches_memory_and_survives_reopen() {
    let chapters = jigong();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postings.redb");
    {
        let mut index = DiskIndex::open_disk(&path, 64 << 20).unwrap();
        index
            .add_many(chapters.iter().enumerate().map(|(i, c)| {
                (
                    ChapterRef {
                        work: JIGONG,
                        chapter: i as u32,
                    },
                    c.text.as_str(),
                )
            }))
            .unwrap();
        assert_eq!(index.len(), chapters.len());
        check_book(&index, &chapters);
    }
    // Reopen; remove chapter 12: it is no longer found, the others still are.
    let mut index = DiskIndex::open_disk(&path, 64 << 20).unwrap();
    assert_eq!(index.len(), chapters.len());
    let twelve = ChapterRef {
        work: JIGONG,
        chapter: 12,
    };
    assert!(index.remove(twelve).unwrap());
    assert!(!index.remove(twelve).unwrap());
    let q = QueryParams::default();
    let excerpt = substr(&chapters[12].text, 100, 1_000);
    assert!(index.find(&excerpt, &q).unwrap().matches.is_empty());
    index.compact().unwrap();
    assert!(index.find(&excerpt, &q).unwrap().matches.is_empty());
    // Re-adding works and is found again; a duplicate is refused.
    index.add(twelve, &chapters[12].text).unwrap();
    assert!(matches!(
        index.add(twelve, &chapters[12].text),
        Err(Error::DuplicateChapter {
            work: 1,
            chapter: 12
        })
    ));
    assert_eq!(index.find(&excerpt, &q).unwrap().matches[0].chapter, twelve);
    drop(index);
    // Other winnowing parameters are refused for an existing file.
    assert!(matches!(
        RedbBackend::open(&path, WinnowParams { k: 5, w: 8 }, 1 << 20),
        Err(Error::Store(_))
    ));
}

#[test]
fn memory_index_add_remove_compact() {
    let chapters = jigong();
    let mut index = index_of(&chapters[..20], WinnowParams::default());
    let q = QueryParams::default();
    let three = ChapterRef {
        work: JIGONG,
        chapter: 3,
    };
    let excerpt = substr(&chapters[3].text, 50, 600);
    assert_eq!(index.find(&excerpt, &q).unwrap().matches[0].chapter, three);
    assert!(index.remove(three).unwrap());
    assert_eq!(index.len(), 19);
    assert!(index.find(&excerpt, &q).unwrap().matches.is_empty());
    index.compact().unwrap();
    assert!(index.find(&excerpt, &q).unwrap().matches.is_empty());
    index.add(three, &chapters[3].text).unwrap();
    assert!(matches!(
        index.add(three, "x"),
        Err(Error::DuplicateChapter { .. })
    ));
    assert_eq!(index.find(&excerpt, &q).unwrap().matches[0].chapter, three);
    assert_eq!(index.chapters_of_work(JIGONG).unwrap().len(), 20);
    assert!(index.chapters_of_work(99).unwrap().is_empty());
}

#[test]
fn hostile_inputs_are_bounded_not_panicking() {
    let chapters = jigong();
    let mut index = index_of(&chapters[..10], WinnowParams::default());
    let q = QueryParams::default();
    assert_eq!(index.find("", &q), Err(Error::EmptyText));
    assert_eq!(index.find("，。！\n", &q), Err(Error::EmptyText));
    assert!(matches!(
        index.find("好", &q),
        Err(Error::TooShort { chars: 1, .. })
    ));
    // 10 MB of one character: read up to MAX_TEXT_CHARS, truncated, no match, quick.
    let big = "好".repeat(10_000_000 / 3);
    let t = std::time::Instant::now();
    let r = index.find(&big, &q).unwrap();
    assert!(r.truncated);
    assert_eq!(r.chars as usize, MAX_TEXT_CHARS);
    assert!(r.matches.is_empty());
    // Indexed as a chapter too, then queried with itself: one hash with many postings.
    let out = index
        .add(
            ChapterRef {
                work: 9,
                chapter: 0,
            },
            &big,
        )
        .unwrap();
    assert!(out.truncated);
    let r = index.find(&big, &q).unwrap();
    assert!(r.matches.len() <= 1);
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
    // A chapter of one character and an empty one can be indexed and never match.
    index
        .add(
            ChapterRef {
                work: 9,
                chapter: 1,
            },
            "好",
        )
        .unwrap();
    index
        .add(
            ChapterRef {
                work: 9,
                chapter: 2,
            },
            "",
        )
        .unwrap();
    let r = index.find(&"好".repeat(100), &q).unwrap();
    assert!(r.matches.iter().all(|m| m.chapter.chapter == 0));
    // Invalid parameters.
    assert!(ContainmentIndex::new(MemoryBackend::new(), WinnowParams { k: 0, w: 4 }).is_err());
    assert!(ContainmentIndex::new(MemoryBackend::new(), WinnowParams { k: 5, w: 1000 }).is_err());
}

const PINNED_KGRAM_HASH: u32 = 3_552_006_470;

/// Winnowing properties: the guarantee (a shared run of w + k − 1 characters always gives a
/// shared fingerprint) and the density 2 / (w + 1) on real text.
#[test]
fn winnowing_guarantee_and_density() {
    let chapters = jigong();
    let p = WinnowParams::default();
    let text: Vec<char> = normalize(&chapters[0].text);
    let offsets: Vec<u32> = (0..text.len() as u32).collect();
    let fps = winnow(&text, &offsets, p);
    let density = fps.len() as f64 / text.len() as f64;
    println!(
        "density {density:.4} (2/(w+1) = {:.4})",
        2.0 / (p.w as f64 + 1.0)
    );
    assert!((density - 2.0 / (p.w as f64 + 1.0)).abs() < 0.02);
    let mut rng = Rng::new(8);
    let other: Vec<char> = normalize(&chapters[1].text);
    for _ in 0..200 {
        // Splice a run of exactly w + k − 1 characters of `text` into `other`.
        let g = p.guarantee();
        let a = rng.below(text.len() - g);
        let b = rng.below(other.len() - 1);
        let mut spliced = other[..b].to_vec();
        spliced.extend_from_slice(&text[a..a + g]);
        spliced.extend_from_slice(&other[b..]);
        let offs: Vec<u32> = (0..spliced.len() as u32).collect();
        let f2: HashSet<u32> = winnow(&spliced, &offs, p).iter().map(|f| f.hash).collect();
        let run: Vec<char> = text[a..a + g].to_vec();
        let run_hashes: HashSet<u32> = run
            .windows(p.k)
            .map(qiantang_fingerprint::winnow::kgram_hash)
            .collect();
        let f1: HashSet<u32> = fps.iter().map(|f| f.hash).collect();
        assert!(
            run_hashes.iter().any(|h| f1.contains(h) && f2.contains(h)),
            "shared run of {g} characters without a shared fingerprint"
        );
    }
    // The k-gram hash is part of the on-disk format: pinned (printed once).
    let pinned = qiantang_fingerprint::winnow::kgram_hash(&['话', '说', '南', '宋', '自']);
    println!("kgram_hash(话说南宋自) = {pinned}");
    assert_eq!(
        pinned, PINNED_KGRAM_HASH,
        "k-gram hash changed: stored indexes are invalid"
    );
    assert!(winnow(&text[..4], &offsets[..4], p).is_empty());
    assert_eq!(winnow(&text[..6], &offsets[..6], p).len(), 1);
}

/// Calibration of the window `w` (k = 5): recall of edited 500-character excerpts, false
/// positives among 300 unrelated chapters, postings per indexed chapter. Ignored by default
/// (slow in debug builds); run with
/// `cargo test --release -p qiantang-fingerprint --test containment calibration -- --ignored --nocapture`.
#[test]
#[ignore]
fn calibration_of_window() {
    let chapters = jigong();
    let c = ctx(&chapters);
    let pool = sentences(&xiyouji());
    for w in [8usize, 12, 16, 24, 32] {
        let params = WinnowParams { k: 5, w };
        let index = index_of(&chapters, params);
        let postings = index.backend().postings() as f64 / chapters.len() as f64;
        let mut rng = Rng::new(5);
        let mut res = Vec::new();
        for len in [300usize, 500, 1_000] {
            let (mut ok, mut found, mut n) = (0, 0, 0);
            for (i, ch) in chapters.iter().enumerate() {
                let total = ch.text.chars().count();
                let start = rng.below(total - len);
                let t = trial(&index, &chapters, i, start, len, LIGHT_EDIT, &c, &mut rng);
                n += 1;
                found += usize::from(t.found);
                ok += usize::from(t.found && t.spans_ok);
            }
            res.push(format!(
                "{len}: {:.3} (found {:.3})",
                ok as f64 / n as f64,
                found as f64 / n as f64
            ));
        }
        let mut fp = 0;
        let mut t = std::time::Duration::ZERO;
        for _ in 0..300 {
            let text = unrelated(&pool, &mut rng);
            let t0 = std::time::Instant::now();
            fp += usize::from(
                !index
                    .find(&text, &QueryParams::default())
                    .unwrap()
                    .matches
                    .is_empty(),
            );
            t += t0.elapsed();
        }
        println!(
            "w={w} guarantee={} postings/chapter={postings:.0} recall {} | unrelated fp {fp}/300, {:.2} ms/query",
            params.guarantee(),
            res.join(", "),
            t.as_secs_f64() * 1e3 / 300.0
        );
    }
}
