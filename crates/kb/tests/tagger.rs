//! Tagger tests: boundary rule, leftmost-longest, offsets, and precision/recall
//! against the hand-annotated gold chapters in `tests/fixtures/gold/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_kb::model::{Concept, Label, LabelKind, Provenance, SenseGuard};
use qiantang_kb::{seed, Occurrence, Tagger};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

fn concept(id: &str, category: &str, labels: &[(&str, &str, LabelKind)]) -> Concept {
    Concept {
        id: id.to_owned(),
        category: category.to_owned(),
        labels: labels
            .iter()
            .map(|(lang, text, kind)| Label {
                lang: (*lang).to_owned(),
                text: (*text).to_owned(),
                kind: *kind,
            })
            .collect(),
        definition: BTreeMap::new(),
        broader: Vec::new(),
        regions: Vec::new(),
        heritage: None,
        provenance: Provenance::default(),
    }
}

use LabelKind::{Alt, Pref};

fn kb() -> Vec<Concept> {
    vec![
        concept(
            "religion.dao",
            "religion",
            &[("zh-Hans", "道", Pref), ("en", "Dao", Pref)],
        ),
        concept(
            "place.west-lake",
            "place",
            &[("zh-Hans", "西湖", Pref), ("zh-Hant", "西湖", Pref)],
        ),
        concept(
            "place.lingyin",
            "place",
            &[("zh-Hans", "灵隐", Pref), ("zh-Hant", "靈隱", Pref)],
        ),
        concept(
            "place.lingyin-temple",
            "place",
            &[
                ("zh-Hans", "灵隐寺", Pref),
                ("zh-Hant", "靈隱寺", Pref),
                ("zh-Hans", "云林寺", Alt),
            ],
        ),
        concept(
            "person.jigong",
            "person",
            &[("zh-Hans", "济公", Pref), ("zh-Hant", "濟公", Pref)],
        ),
        concept("address.yuanwai", "address", &[("zh-Hans", "员外", Pref)]),
        concept("cuisine.ginseng", "cuisine", &[("zh-Hans", "人参", Pref)]),
        // A non-Chinese label must be ignored.
        concept(
            "tea.longjing",
            "tea",
            &[("zh-Hans", "龙井茶", Pref), ("en", "Longjing", Pref)],
        ),
    ]
}

fn tagger() -> Tagger {
    Tagger::new(&kb())
}

fn found(text: &str) -> Vec<(String, usize, usize)> {
    tagger()
        .tag(text)
        .into_iter()
        .map(|o| (o.concept, o.start, o.len))
        .collect()
}

fn occ(id: &str, start: usize, len: usize) -> (String, usize, usize) {
    (id.to_owned(), start, len)
}

#[test]
fn single_char_label_not_inside_a_word() {
    assert_eq!(found("我知道了。"), vec![]);
    assert_eq!(found("他说道：“来。”"), vec![]);
}

#[test]
fn single_char_label_as_a_word() {
    // 道 stands alone before punctuation, and as its own token after 可.
    assert_eq!(
        found("道，可道。"),
        vec![occ("religion.dao", 0, 1), occ("religion.dao", 3, 1)]
    );
}

#[test]
fn place_label_inside_compound() {
    assert_eq!(
        found("他走到西湖边上。"),
        vec![occ("place.west-lake", 3, 2)]
    );
}

#[test]
fn two_char_label_inside_a_longer_word_is_kept() {
    // 赵员外 is one jieba word; 员外 inside it is still the title.
    assert_eq!(found("赵员外说"), vec![occ("address.yuanwai", 1, 2)]);
}

#[test]
fn two_char_label_across_a_word_boundary_is_rejected() {
    // 女人|参加: 人参 straddles two words.
    assert_eq!(found("那些女人参加了。"), vec![]);
    assert_eq!(found("买了人参。"), vec![occ("cuisine.ginseng", 2, 2)]);
}

#[test]
fn kb_label_beats_overlapping_dictionary_word() {
    // 济公|道 ("Jigong said"), not 济|公道 ("fair"). (Without the 道 concept:
    // the tagger cannot tell the verb 道 "to say" from the Dao.)
    let kb: Vec<Concept> = kb()
        .into_iter()
        .filter(|c| c.id != "religion.dao")
        .collect();
    let got = Tagger::new(&kb).tag("济公道：“好。”");
    assert_eq!(
        got,
        vec![Occurrence {
            concept: "person.jigong".into(),
            start: 0,
            len: 2
        }]
    );
}

#[test]
fn leftmost_longest() {
    assert_eq!(found("灵隐寺"), vec![occ("place.lingyin-temple", 0, 3)]);
    assert_eq!(found("去灵隐寺内"), vec![occ("place.lingyin-temple", 1, 3)]);
    assert_eq!(found("灵隐山"), vec![occ("place.lingyin", 0, 2)]);
    assert_eq!(found("云林寺"), vec![occ("place.lingyin-temple", 0, 3)]);
}

#[test]
fn traditional_labels() {
    assert_eq!(
        found("濟公在靈隱寺出家"),
        vec![
            occ("person.jigong", 0, 2),
            occ("place.lingyin-temple", 3, 3)
        ]
    );
}

#[test]
fn char_offsets_with_mixed_scripts() {
    let text = "Hi 😀! 西湖 and 灵隐寺, 🍵龙井茶\n济公";
    let got = found(text);
    assert_eq!(
        got,
        vec![
            occ("place.west-lake", 6, 2),
            occ("place.lingyin-temple", 13, 3),
            occ("tea.longjing", 19, 3),
            occ("person.jigong", 23, 2),
        ]
    );
    // Offsets index chars.
    let chars: Vec<char> = text.chars().collect();
    for (_, s, l) in got {
        let surface: String = chars[s..s + l].iter().collect();
        assert!(
            ["西湖", "灵隐寺", "龙井茶", "济公"].contains(&surface.as_str()),
            "{surface}"
        );
    }
}

#[test]
fn empty_and_no_match() {
    assert_eq!(found(""), vec![]);
    assert_eq!(found("今天天气很好。Nothing here."), vec![]);
    assert!(Tagger::new(&[]).tag("西湖").is_empty());
    assert_eq!(Tagger::new(&[]).label_count(), 0);
}

#[test]
fn label_count_and_shared_labels() {
    // 西湖 appears as zh-Hans and zh-Hant of one concept: one label.
    // 道/西湖/灵隐/靈隱/灵隐寺/靈隱寺/云林寺/济公/濟公/员外/人参/龙井茶 = 12.
    assert_eq!(tagger().label_count(), 12);
    // A label shared by two concepts goes to the one where it is preferred.
    let kb = vec![
        concept("a.alt", "place", &[("zh-Hans", "孤山", Alt)]),
        concept("b.pref", "place", &[("zh-Hans", "孤山", Pref)]),
    ];
    let t = Tagger::new(&kb);
    assert_eq!(
        t.tag("孤山"),
        vec![Occurrence {
            concept: "b.pref".into(),
            start: 0,
            len: 2
        }]
    );
}

#[test]
fn stats_are_consistent() {
    let (occs, st) = tagger().tag_with_stats("我知道济公道：西湖边的人参。");
    assert_eq!(st.accepted, occs.len());
    assert!(st.candidates >= st.accepted);
    assert!(st.checked >= st.rejected);
}

// ---------------------------------------------------------------------------
// Senses: idioms, sense guards, longer place names (issue 14).

fn seed_tagger() -> Tagger {
    Tagger::new(&seed::load().unwrap().concepts)
}

fn ids_in(t: &Tagger, text: &str) -> Vec<String> {
    t.tag(text).into_iter().map(|o| o.concept).collect()
}

#[test]
fn sense_traps_of_the_seed_are_not_tagged() {
    let t = seed_tagger();
    assert!(t.idiom_count() > 0);
    let has = |text: &str, id: &str| ids_in(&t, text).iter().any(|c| c == id);
    // A label inside an idiom: 粉青 (celadon) across 红粉|青娥; 小可 in 非同小可; 无常 in 反复无常.
    assert!(!has("满座红粉青娥，笑语不绝。", "craft.powder-blue"));
    assert!(has("龙泉窑的粉青釉色最好。", "craft.powder-blue"));
    assert!(!has("这一惊非同小可。", "address.humble-self"));
    assert!(!has("此人反复无常。", "mythology.ghost-messenger"));
    // Humble speech: 小生 is a scholar's "I" unless opera is near.
    assert!(!has(
        "许仙道：“小生姓许，在药铺中做事。”",
        "performing.xiaosheng"
    ));
    assert!(!has("小生今日特来拜访。", "performing.xiaosheng"));
    assert!(has("她在戏班里唱小生。", "performing.xiaosheng"));
    assert!(has("越剧的小生多由女子扮演。", "performing.xiaosheng"));
    // A place name inside a longer place name: 天竺寺, 上天竺, 天竺街, 钱塘门.
    assert!(!has("到天竺寺进香。", "place.tianzhu"));
    assert!(has("到天竺寺进香。", "place.three-tianzhu"));
    assert!(!has("上天竺香火最盛。", "place.tianzhu"));
    assert!(has("上天竺香火最盛。", "place.upper-tianzhu"));
    assert!(!has("在天竺街酒店吃了几杯。", "place.tianzhu"));
    assert!(has("唐僧往天竺取经。", "place.tianzhu"));
    assert!(!has("住在钱塘门外。", "place.qiantang"));
    assert!(has("原籍浙江钱塘县人。", "place.qiantang"));
    // A reign title is not the city.
    assert!(!has("改为绍兴元年。", "place.shaoxing"));
    assert!(has("他是绍兴人。", "place.shaoxing"));
}

#[test]
fn guards_and_idioms_apply_to_any_kb() {
    let kb = vec![
        concept("p.xiaosheng", "performing", &[("zh-Hans", "小生", Pref)]),
        concept("p.tianzhu", "place", &[("zh-Hans", "天竺", Pref)]),
        concept("p.fenqing", "craft", &[("zh-Hans", "粉青", Pref)]),
    ];
    let guards = vec![
        SenseGuard {
            concept: "p.xiaosheng".into(),
            requires_near: vec!["唱".into()],
            ..Default::default()
        },
        SenseGuard {
            concept: "p.tianzhu".into(),
            not_before: vec!["寺".into()],
            not_after: vec!["上".into()],
            ..Default::default()
        },
        // A guard for a concept not in the KB is ignored.
        SenseGuard {
            concept: "nope".into(),
            not_before: vec!["x".into()],
            ..Default::default()
        },
    ];
    let t = Tagger::with_senses(&kb, &guards, &["红粉青娥", "与标签无关的成语"]);
    assert_eq!(t.label_count(), 3);
    assert_eq!(
        t.idiom_count(),
        1,
        "only idioms containing a short label are kept"
    );
    assert!(ids_in(&t, "小生姓许。").is_empty());
    assert_eq!(ids_in(&t, "他唱小生。"), vec!["p.xiaosheng"]);
    assert!(ids_in(&t, "天竺寺").is_empty());
    assert!(ids_in(&t, "上天竺").is_empty());
    assert_eq!(ids_in(&t, "去天竺。"), vec!["p.tianzhu"]);
    let (occ, st) = t.tag_with_stats("红粉青娥，粉青。");
    assert_eq!(
        occ,
        vec![Occurrence {
            concept: "p.fenqing".into(),
            start: 5,
            len: 2
        }]
    );
    assert_eq!(st.blocked, 1);
    // Without the idiom list, the old behaviour: the label fires inside the idiom.
    let bare = Tagger::with_senses(&kb, &[], &[]);
    assert_eq!(bare.idiom_count(), 0);
    assert_eq!(ids_in(&bare, "他小生姓许。").len(), 1);
}

#[test]
fn built_in_senses_and_idioms_parse() {
    let senses = seed::senses().unwrap();
    let seed = seed::load().unwrap();
    for g in &senses {
        assert!(
            seed.concepts.iter().any(|c| c.id == g.concept),
            "sense guard for unknown concept {}",
            g.concept
        );
        assert!(!g.note.is_empty(), "{}: a guard says why", g.concept);
    }
    assert!(seed::idioms().count() >= 40);
    assert!(seed::idioms().all(|i| i.chars().count() >= 4));
}

// ---------------------------------------------------------------------------
// Gold precision / recall.

/// Floors on the gold fixtures; the test fails if the tagger drops below them.
/// Measured at annotation time: precision 0.9656 (393/407), recall 0.9899
/// (393/397) (bench/README.md, "Tagging"). With the idiom list and sense
/// guards of issue 14: precision 0.9850 (393/399), recall 0.9899 (393/397).
/// Issue 14 asks that neither drop below the old 0.966 / 0.990 (0.990 being
/// 0.9899 rounded), so the floors are 0.98 and 0.989.
const PRECISION_FLOOR: f64 = 0.98;
const RECALL_FLOOR: f64 = 0.989;

type Key = (usize, usize, String);

fn read_gold(tsv: &Path) -> HashSet<Key> {
    let s = std::fs::read_to_string(tsv).unwrap();
    s.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 3, "{}: bad line {l:?}", tsv.display());
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].to_owned(),
            )
        })
        .collect()
}

#[test]
fn gold_precision_recall() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gold");
    let seed = seed::load().unwrap();
    let ids: HashSet<&str> = seed.concepts.iter().map(|c| c.id.as_str()).collect();
    let tagger = Tagger::new(&seed.concepts);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected ≥ 3 gold chapters in {}",
        dir.display()
    );
    let (mut tp, mut n_pred, mut n_gold) = (0usize, 0usize, 0usize);
    for txt in &files {
        let text = std::fs::read_to_string(txt).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let gold = read_gold(&txt.with_extension("gold.tsv"));
        for (s, l, id) in &gold {
            assert!(
                ids.contains(id.as_str()),
                "{}: unknown concept {id}",
                txt.display()
            );
            assert!(s + l <= chars.len(), "{}: span out of range", txt.display());
        }
        let pred: HashSet<Key> = tagger
            .tag(&text)
            .into_iter()
            .map(|o| (o.start, o.len, o.concept))
            .collect();
        let hit = pred.intersection(&gold).count();
        let name = txt.file_name().unwrap().to_string_lossy();
        for (s, l, id) in pred.difference(&gold) {
            let surf: String = chars[*s..s + l].iter().collect();
            println!("{name}: false positive {s}\t{l}\t{id}\t{surf}");
        }
        for (s, l, id) in gold.difference(&pred) {
            let surf: String = chars[*s..s + l].iter().collect();
            println!("{name}: missed         {s}\t{l}\t{id}\t{surf}");
        }
        println!(
            "{name}: gold={} predicted={} correct={hit}",
            gold.len(),
            pred.len()
        );
        tp += hit;
        n_pred += pred.len();
        n_gold += gold.len();
    }
    let p = if n_pred == 0 {
        1.0
    } else {
        tp as f64 / n_pred as f64
    };
    let r = if n_gold == 0 {
        1.0
    } else {
        tp as f64 / n_gold as f64
    };
    println!("micro precision = {p:.4} ({tp}/{n_pred}), recall = {r:.4} ({tp}/{n_gold})");
    assert!(
        p >= PRECISION_FLOOR,
        "precision {p:.4} < floor {PRECISION_FLOOR}"
    );
    assert!(r >= RECALL_FLOOR, "recall {r:.4} < floor {RECALL_FLOOR}");
}
