//! Store conformance suite: every backend must pass every test here. Each
//! test is a function over `&dyn Backend`; `backends()` lists the backends
//! available in this run (SQLite always; PostgreSQL joins in a later issue).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_kb::{
    Concept, KbStore, Label, LabelKind, Market, Rendering, Status, StoreError, Strategy,
};
use qiantang_works::model::{NewChapter, NewWork, StoredOccurrence};
use qiantang_works::WorkStore;

trait Backend: KbStore + WorkStore {}
impl<T: KbStore + WorkStore> Backend for T {}

fn backends() -> Vec<(&'static str, tempfile::TempDir, Box<dyn Backend>)> {
    let dir = tempfile::tempdir().unwrap();
    let s = qiantang_store::SqliteStore::open(dir.path()).unwrap();
    vec![("sqlite", dir, Box::new(s))]
}

fn concept(id: &str, zh: &str, broader: &[&str]) -> Concept {
    Concept {
        id: id.into(),
        category: "place".into(),
        labels: vec![
            Label {
                lang: "zh-Hans".into(),
                text: zh.into(),
                kind: LabelKind::Pref,
            },
            Label {
                lang: "en".into(),
                text: format!("{id} EN"),
                kind: LabelKind::Pref,
            },
            Label {
                lang: "en".into(),
                text: format!("{id} alt_%"),
                kind: LabelKind::Alt,
            },
        ],
        definition: [("en".to_string(), format!("About {id}."))].into(),
        broader: broader.iter().map(|s| s.to_string()).collect(),
        regions: vec!["CN-ZJ".into()],
        heritage: None,
        provenance: Default::default(),
    }
}

fn work(title: &str, n: u32) -> NewWork {
    NewWork {
        title: title.into(),
        author: Some("佚名".into()),
        language: "zh-Hans".into(),
        source_name: "x.txt".into(),
        source_encoding: "UTF-8".into(),
        chapters: (1..=n)
            .map(|i| NewChapter {
                number: i,
                title: format!("第{i}回"),
                text: format!("正文{i}，西湖。\n第二段。"),
            })
            .collect(),
    }
}

#[test]
fn concepts_put_get_search_history_delete() {
    for (name, _d, s) in backends() {
        s.put_concepts(
            &[
                concept("place.west-lake", "西湖", &[]),
                concept("place.su-causeway", "苏堤", &["place.west-lake"]),
            ],
            "seed",
            1,
        )
        .unwrap();
        assert_eq!(s.count_concepts().unwrap(), 2, "{name}");
        assert_eq!(
            s.get_concept("place.su-causeway").unwrap().unwrap().broader,
            vec!["place.west-lake"],
            "{name}"
        );
        assert!(s.get_concept("nope").unwrap().is_none());
        // Search by zh label, by English (case-insensitive), by id; LIKE wildcards are literal.
        assert_eq!(
            s.search_concepts("苏堤", 10).unwrap()[0].id,
            "place.su-causeway"
        );
        assert_eq!(
            s.search_concepts("WEST-LAKE en", 10).unwrap()[0].id,
            "place.west-lake"
        );
        assert_eq!(s.search_concepts("alt_%", 10).unwrap().len(), 2);
        assert!(s.search_concepts("x%y", 10).unwrap().is_empty());
        assert!(s.search_concepts("   ", 10).unwrap().is_empty());
        // Unchanged put records no revision; a change does.
        s.put_concepts(&[concept("place.west-lake", "西湖", &[])], "again", 2)
            .unwrap();
        assert_eq!(
            s.concept_history("place.west-lake").unwrap().len(),
            1,
            "{name}"
        );
        let mut c = concept("place.west-lake", "西湖", &[]);
        c.provenance.status = Status::Reviewed;
        s.put_concepts(&[c], "editor", 3).unwrap();
        let h = s.concept_history("place.west-lake").unwrap();
        assert_eq!(
            (h.len(), h[0].revision, h[0].actor.as_str(), h[0].at_ms),
            (2, 2, "editor", 3)
        );
        assert!(s.delete_concept("place.su-causeway").unwrap());
        assert!(!s.delete_concept("place.su-causeway").unwrap());
        assert_eq!(s.list_concepts().unwrap().len(), 1);
    }
}

#[test]
fn renderings_and_markets() {
    for (name, _d, s) in backends() {
        s.put_concepts(&[concept("wuxia.jianghu", "江湖", &[])], "seed", 1)
            .unwrap();
        let r = |lang: &str, market: Option<&str>, text: &str| Rendering {
            concept: "wuxia.jianghu".into(),
            lang: lang.into(),
            market: market.map(str::to_string),
            strategy: Strategy::TransliterateGloss,
            text: text.into(),
            gloss: Some("the martial world".into()),
            status: Status::Draft,
        };
        s.put_renderings(&[
            r("en", None, "jianghu"),
            r("en", Some("US"), "jianghu US"),
            r("vi", None, "giang hồ"),
        ])
        .unwrap();
        s.put_renderings(&[r("en", None, "jianghu!")]).unwrap();
        let all = s.list_renderings(Some("wuxia.jianghu")).unwrap();
        assert_eq!(all.len(), 3, "{name}");
        assert!(all
            .iter()
            .any(|x| x.text == "jianghu!" && x.market.is_none()));
        // A rendering of an unknown concept is refused and nothing is written.
        let bad = Rendering {
            concept: "nope".into(),
            ..r("en", None, "x")
        };
        assert!(matches!(
            s.put_renderings(&[r("fr", None, "jianghu"), bad]),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            s.list_renderings(None).unwrap().len(),
            3,
            "{name}: failed put wrote something"
        );
        // Deleting the concept removes its renderings.
        s.delete_concept("wuxia.jianghu").unwrap();
        assert!(s.list_renderings(None).unwrap().is_empty());
        let m = Market {
            region: "VN".into(),
            name: "Vietnam".into(),
            languages: vec!["vi-VN".into()],
            context: qiantang_kb::ContextClass::High,
            proximity: qiantang_kb::Proximity::Close,
            note: String::new(),
        };
        s.put_markets(&[m.clone()]).unwrap();
        assert_eq!(s.list_markets().unwrap(), vec![m]);
    }
}

#[test]
fn works_chapters_occurrences() {
    for (name, _d, s) in backends() {
        let a = s.create_work(&work("甲", 3), 10).unwrap();
        let b = s.create_work(&work("乙", 1), 11).unwrap();
        let list = s.list_works().unwrap();
        assert_eq!(
            list.iter().map(|w| w.id).collect::<Vec<_>>(),
            vec![b, a],
            "{name}: newest first"
        );
        let w = s.get_work(a).unwrap().unwrap();
        assert_eq!((w.chapter_count, w.created_ms), (3, 10));
        assert_eq!(
            w.char_count,
            work("甲", 3)
                .chapters
                .iter()
                .map(|c| c.char_count())
                .sum::<u64>()
        );
        let chapters = s.list_chapters(a).unwrap();
        assert_eq!(chapters.len(), 3);
        let (meta, text) = s.get_chapter(a, 2).unwrap().unwrap();
        assert_eq!(text, "正文2，西湖。\n第二段。");
        assert_eq!(
            meta.sha256,
            qiantang_works::model::sha256_hex(text.as_bytes())
        );
        assert!(s.get_chapter(a, 9).unwrap().is_none());
        // Never tagged → no profile; tagged with nothing → empty profile.
        assert!(s.concept_counts(a).unwrap().is_none());
        let occ = |ch: u32, start: u32, c: &str| StoredOccurrence {
            chapter: ch,
            start,
            len: 2,
            concept: c.into(),
        };
        s.replace_occurrences(
            a,
            &[
                occ(1, 3, "place.west-lake"),
                occ(2, 3, "place.west-lake"),
                occ(2, 0, "x.other"),
            ],
            20,
        )
        .unwrap();
        let counts = s.concept_counts(a).unwrap().unwrap();
        assert_eq!(
            (
                counts[0].concept.as_str(),
                counts[0].count,
                counts[0].chapters
            ),
            ("place.west-lake", 2, 2)
        );
        assert_eq!(
            s.chapter_occurrences(a, 2)
                .unwrap()
                .iter()
                .map(|o| o.start)
                .collect::<Vec<_>>(),
            vec![0, 3]
        );
        s.replace_occurrences(b, &[occ(1, 3, "place.west-lake")], 21)
            .unwrap();
        let uses = s.concept_uses("place.west-lake").unwrap();
        assert_eq!(
            uses.iter().map(|u| (u.work, u.count)).collect::<Vec<_>>(),
            vec![(a, 2), (b, 1)]
        );
        // Replace is a replacement.
        s.replace_occurrences(a, &[], 22).unwrap();
        assert_eq!(s.concept_counts(a).unwrap().unwrap().len(), 0);
        assert!(matches!(
            s.replace_occurrences(9999, &[], 1),
            Err(StoreError::NotFound(_))
        ));
        // Delete cascades.
        assert!(s.delete_work(b).unwrap());
        assert!(s.concept_uses("place.west-lake").unwrap().is_empty());
        assert!(s.get_chapter(b, 1).unwrap().is_none());
        assert!(!s.delete_work(b).unwrap());
    }
}

#[test]
fn a_failed_create_writes_nothing() {
    for (name, dir, s) in backends() {
        // Duplicate chapter numbers violate the key: the whole work is refused.
        let mut w = work("坏", 2);
        w.chapters[1].number = 1;
        w.chapters[1].text = "独有的正文".into();
        assert!(s.create_work(&w, 1).is_err(), "{name}");
        assert!(s.list_works().unwrap().is_empty(), "{name}");
        let blobs = walk(&dir.path().join("blobs"));
        assert_eq!(blobs, 0, "{name}: blobs of a failed import remain");
        let empty = NewWork {
            chapters: vec![],
            ..work("空", 0)
        };
        assert!(matches!(
            s.create_work(&empty, 1),
            Err(StoreError::Invalid(_))
        ));
    }
}

fn walk(p: &std::path::Path) -> usize {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn reopening_keeps_data_and_a_tampered_blob_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let s = qiantang_store::SqliteStore::open(dir.path()).unwrap();
        s.create_work(&work("持久", 1), 1).unwrap()
    };
    let s = qiantang_store::SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.schema_version().unwrap(), 1);
    let (meta, _) = s.get_chapter(id, 1).unwrap().unwrap();
    let path = dir
        .path()
        .join("blobs")
        .join(&meta.sha256[..2])
        .join(&meta.sha256[2..]);
    std::fs::write(&path, "篡改").unwrap();
    let err = s.get_chapter(id, 1).unwrap_err().to_string();
    assert!(err.contains("corrupt"), "{err}");
}
