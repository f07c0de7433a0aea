//! Integration tests of qiantang-fingerprint, on the real corpus chapters (济公全传, 西游记).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use qiantang_fingerprint::normalize::{fold_traditional, parse_char_table};
use qiantang_fingerprint::*;
use support::*;

fn hasher() -> MinHasher {
    MinHasher::new(MinHashParams::default()).unwrap()
}

fn index_of(chapters: &[Chapter], h: &MinHasher) -> LshIndex {
    let p = h.params();
    let mut index = LshIndex::new(LshParams::default(), p.ngram, p.seed).unwrap();
    for (i, c) in chapters.iter().enumerate() {
        index
            .insert(i as u64, &h.signature(&c.text).unwrap())
            .unwrap();
    }
    index
}

#[test]
fn normalization_steps() {
    assert_eq!(
        normalize_to_string("Ａｂｃ，１２３！　ＷＷＷ.X"),
        "abc123wwwx"
    );
    assert_eq!(
        normalize_to_string("“你好，”他说。\n「世界」…——《书》·"),
        "你好他说世界书"
    );
    assert_eq!(
        normalize_to_string("話說南宋自南渡以來，遷都臨安"),
        "话说南宋自南渡以来迁都临安"
    );
    assert_eq!(normalize_to_string(" \t\n，。！\u{200B}\u{FEFF}"), "");
    // Simplified characters are fixed points of the fold.
    for c in "话说南宋自南渡以来迁都临安济公".chars() {
        assert_eq!(fold_traditional(c), c);
    }
}

#[test]
fn traditional_round_trip_is_consistent() {
    // For almost every OpenCC Simplified→Traditional pair, folding the Traditional form gives back
    // the Simplified one (the rest are one-to-many merges such as 干/乾/幹, which only matter if a
    // converter picks another candidate than OpenCC's first).
    let st = parse_char_table(include_str!("../data/STCharacters.txt"));
    let same = st
        .iter()
        .filter(|(s, t)| fold_traditional(**t) == **s)
        .count();
    let share = same as f64 / st.len() as f64;
    assert!(share > 0.97, "only {share:.3} of {} round-trip", st.len());
}

#[test]
fn signature_bytes_round_trip_and_are_checked() {
    let h = hasher();
    let sig = h
        .signature(&"天下大势，分久必合，合久必分。".repeat(5))
        .unwrap();
    let bytes = sig.to_bytes();
    assert_eq!(bytes.len(), 16 + 4 * 128);
    assert_eq!(&bytes[..4], b"QTMH");
    assert_eq!(Signature::from_bytes(&bytes).unwrap(), sig);
    assert!(matches!(
        Signature::from_bytes(&bytes[..100]),
        Err(Error::BadSignatureBytes(_))
    ));
    assert!(matches!(
        Signature::from_bytes(&[]),
        Err(Error::BadSignatureBytes(_))
    ));
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(matches!(
        Signature::from_bytes(&bad),
        Err(Error::BadSignatureBytes(_))
    ));
    let mut bad = bytes.clone();
    bad[4] = 9;
    assert!(matches!(
        Signature::from_bytes(&bad),
        Err(Error::BadSignatureBytes(_))
    ));
    // Signatures are deterministic: the same text gives the same bytes (pinned value guards
    // against accidental changes of the hash family, which would invalidate stored signatures).
    assert_eq!(
        h.signature(&"天下大势，分久必合，合久必分。".repeat(5))
            .unwrap(),
        sig
    );
    let other = MinHasher::new(MinHashParams {
        ngram: 4,
        ..Default::default()
    })
    .unwrap();
    let sig4 = other
        .signature(&"天下大势，分久必合，合久必分。".repeat(5))
        .unwrap();
    assert_eq!(sig.jaccard(&sig4), Err(Error::IncompatibleSignatures));
}

#[test]
fn signature_values_are_pinned() {
    let sig = hasher().signature("话说南宋自南渡以来，迁都临安，高宗皇帝建炎天于四年，改为绍兴元年。在朝有一位京营节度使。").unwrap();
    let head: Vec<u32> = sig.values()[..4].to_vec();
    let again = hasher().signature("話說南宋自南渡以來、遷都臨安；高宗皇帝建炎天於四年、改為紹興元年！在朝有一位京營節度使…").unwrap();
    assert_eq!(sig, again);
    // Printed once and pinned: any change here breaks every stored signature.
    assert_eq!(head, PINNED_HEAD, "hash family changed: {head:?}");
}

const PINNED_HEAD: [u32; 4] = [161923162, 5312435, 403676844, 72999123];

#[test]
fn empty_and_short_texts_are_refused_not_panicking() {
    let h = hasher();
    assert_eq!(h.signature(""), Err(Error::EmptyText));
    assert_eq!(h.signature("  \n，。！？……"), Err(Error::EmptyText));
    assert_eq!(
        h.signature("你好"),
        Err(Error::TooShort { chars: 2, min: 32 })
    );
    assert!(matches!(
        h.signature(&"好".repeat(31)),
        Err(Error::TooShort { .. })
    ));
    assert!(h.signature(&"好".repeat(32)).is_ok());
    let e = h.signature("你好").unwrap_err().to_string();
    assert!(e.contains("too short") && e.contains("32"), "{e}");
    // An empty index answers with nothing.
    let p = h.params();
    let index = LshIndex::new(LshParams::default(), p.ngram, p.seed).unwrap();
    let sig = h.signature(&"好".repeat(40)).unwrap();
    assert!(index.query(&sig, DEFAULT_THRESHOLD).unwrap().is_empty());
    assert!(MinHasher::new(MinHashParams {
        ngram: 0,
        ..Default::default()
    })
    .is_err());
    assert!(MinHasher::new(MinHashParams {
        num_perm: 0,
        ..Default::default()
    })
    .is_err());
    assert!(LshIndex::new(LshParams { bands: 0, rows: 2 }, 5, 0).is_err());
}

#[test]
fn index_refuses_duplicates_and_foreign_signatures() {
    let h = hasher();
    let p = h.params();
    let mut index = LshIndex::new(LshParams::default(), p.ngram, p.seed).unwrap();
    let sig = h
        .signature(&"天下大势，分久必合，合久必分。".repeat(5))
        .unwrap();
    index.insert(1, &sig).unwrap();
    assert_eq!(index.insert(1, &sig), Err(Error::DuplicateId(1)));
    let wrong = LshIndex::new(LshParams { bands: 32, rows: 4 }, p.ngram, p.seed + 1).unwrap();
    assert_eq!(wrong.query(&sig, 0.3), Err(Error::IncompatibleSignatures));
    assert_eq!(
        index.query(&sig, 0.3).unwrap(),
        vec![Match {
            id: 1,
            similarity: 1.0
        }]
    );
}

#[test]
fn edited_copies_of_real_chapters_are_found_at_the_top() {
    let chapters = load_corpus();
    assert!(chapters.len() >= 300, "{} chapters", chapters.len());
    let h = hasher();
    let index = index_of(&chapters, &h);
    let pool = han_pool(&chapters);
    let trad = ToTraditional::new();
    let mut rng = Rng::new(5);
    let mut found = 0;
    let mut tried = 0;
    let mut with_ads = 0;
    for (i, c) in chapters.iter().enumerate() {
        let copy = edit(&c.text, LIGHT_EDIT, &pool, &trad, &mut rng);
        if ["www.xxx.com", "BIQUGE", "xiaoshuo99", "ｋａｎｓｈｕ"]
            .iter()
            .any(|ad| copy.contains(ad))
        {
            with_ads += 1;
        }
        let hits = index
            .query(&h.signature(&copy).unwrap(), DEFAULT_THRESHOLD)
            .unwrap();
        tried += 1;
        if hits.first().map(|m| m.id) == Some(i as u64) {
            found += 1;
        }
        // Nothing else matches above the threshold.
        assert!(hits.len() <= 1, "{}: {hits:?}", c.title);
    }
    assert_eq!(found, tried, "found {found} of {tried}");
    assert!(
        with_ads * 10 >= tried * 9,
        "ads inserted in only {with_ads} of {tried}"
    );
}

#[test]
fn each_edit_alone_keeps_the_match() {
    let chapters = load_corpus();
    let h = hasher();
    let index = index_of(&chapters, &h);
    let pool = han_pool(&chapters);
    let trad = ToTraditional::new();
    let none = Edits {
        reorder: 0.0,
        substitute: 0.0,
        ad_every: 0,
        punctuation: false,
        traditional: false,
    };
    let variants = [
        Edits {
            reorder: 1.0,
            ..none
        },
        Edits {
            punctuation: true,
            ..none
        },
        Edits {
            ad_every: 1,
            ..none
        },
        Edits {
            substitute: 0.05,
            ..none
        },
        Edits {
            traditional: true,
            ..none
        },
    ];
    let mut rng = Rng::new(9);
    for (k, e) in variants.iter().enumerate() {
        for i in (0..chapters.len()).step_by(17) {
            let copy = edit(&chapters[i].text, *e, &pool, &trad, &mut rng);
            let hits = index
                .query(&h.signature(&copy).unwrap(), DEFAULT_THRESHOLD)
                .unwrap();
            assert_eq!(
                hits.first().map(|m| m.id),
                Some(i as u64),
                "variant {k} chapter {i}"
            );
        }
    }
    // Punctuation and Traditional script alone change nothing at all.
    let c = &chapters[3].text;
    let s0 = h.signature(c).unwrap();
    let s1 = h
        .signature(&edit(
            c,
            Edits {
                punctuation: true,
                traditional: true,
                ..none
            },
            &pool,
            &trad,
            &mut rng,
        ))
        .unwrap();
    assert!(s0.jaccard(&s1).unwrap() > 0.97);
}

#[test]
fn unrelated_chapters_do_not_match() {
    let chapters = load_corpus();
    let h = hasher();
    // Index the even chapters, query with the odd ones (of the same two novels: shared names and
    // phrasing make this the hard case).
    let even: Vec<Chapter> = chapters.iter().step_by(2).cloned().collect();
    let index = index_of(&even, &h);
    let mut max = 0.0f64;
    for c in chapters.iter().skip(1).step_by(2) {
        let sig = h.signature(&c.text).unwrap();
        assert!(
            index.query(&sig, DEFAULT_THRESHOLD).unwrap().is_empty(),
            "{}",
            c.title
        );
        for m in index.query(&sig, 0.0).unwrap() {
            max = max.max(m.similarity);
        }
    }
    assert!(max < 0.1, "max unrelated similarity {max}");
}

/// The Jaccard figures behind DEFAULT_NGRAM (printed with `--nocapture`):
/// with 5-grams, every lightly edited copy stays well above every unrelated
/// chapter, and above the default query threshold.
#[test]
fn calibration_of_ngram() {
    let chapters = load_corpus();
    let pool = han_pool(&chapters);
    let trad = ToTraditional::new();
    for n in [3usize, 4, 5, 6] {
        let h = MinHasher::new(MinHashParams {
            ngram: n,
            num_perm: 256,
            ..Default::default()
        })
        .unwrap();
        let sigs: Vec<_> = chapters
            .iter()
            .map(|c| h.signature(&c.text).unwrap())
            .collect();
        let mut rng = Rng::new(1);
        let (mut sims, mut bg) = (Vec::new(), Vec::new());
        for (i, c) in chapters.iter().enumerate().step_by(5) {
            let s = h
                .signature(&edit(&c.text, LIGHT_EDIT, &pool, &trad, &mut rng))
                .unwrap();
            sims.push(s.jaccard(&sigs[i]).unwrap());
            for j in (0..chapters.len()).step_by(3).filter(|&j| j != i) {
                bg.push(s.jaccard(&sigs[j]).unwrap());
            }
        }
        sims.sort_by(f64::total_cmp);
        bg.sort_by(f64::total_cmp);
        let q = |v: &Vec<f64>, p: f64| v[((v.len() - 1) as f64 * p) as usize];
        println!(
            "n={n} edited: min {:.3} p5 {:.3} p50 {:.3} | unrelated p50 {:.4} p99.9 {:.3} max {:.3}",
            sims[0], q(&sims, 0.05), q(&sims, 0.5), q(&bg, 0.5), q(&bg, 0.999), bg[bg.len() - 1]
        );
        if n == 5 {
            assert!(
                sims[0] > 3.0 * bg[bg.len() - 1],
                "5-grams no longer separate edited copies from unrelated text"
            );
            assert!(
                sims[0] > 0.3,
                "an edited copy fell under the 0.3 query threshold: {}",
                sims[0]
            );
        }
    }
}
