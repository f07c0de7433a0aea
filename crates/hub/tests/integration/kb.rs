//! Knowledge base: seed, editing with history, export/import round trips.

use crate::fresh;
use qiantang_kb::{Concept, CATEGORIES, EN, PINYIN, ZH_HANS, ZH_HANT};

#[test]
fn seed_has_the_required_shape() {
    let (_d, app) = fresh();
    let kb = app.kb().view();
    let heritage = kb
        .concepts
        .values()
        .filter(|c| c.heritage.is_some())
        .count();
    assert_eq!(heritage, 257, "the 257 Zhejiang ICH entries");
    assert!(
        kb.concepts.len() - heritage >= 300,
        "at least 300 curated concepts"
    );
    assert!(kb.markets.len() >= 25);
    for c in kb.concepts.values() {
        for lang in [ZH_HANS, ZH_HANT, PINYIN, EN] {
            assert!(
                c.pref_label(lang).is_some(),
                "{} lacks a {lang} label",
                c.id
            );
        }
        assert!(
            c.definition.contains_key(EN) && c.definition.contains_key(ZH_HANS),
            "{} lacks definitions",
            c.id
        );
        assert!(
            CATEGORIES.iter().any(|(k, _, _)| *k == c.category),
            "{} has unknown category",
            c.id
        );
        for b in &c.broader {
            assert!(
                kb.concepts.contains_key(b),
                "{} has dangling broader {b}",
                c.id
            );
        }
    }
    // The hierarchy example of the issue: Zhejiang ICH → craftsmanship → Longquan celadon firing.
    let celadon = kb
        .concepts
        .values()
        .find(|c| c.heritage.as_ref().is_some_and(|h| h.code == "VIII-9"))
        .expect("龙泉青瓷烧制技艺 VIII-9");
    let parent = kb.concepts.get(&celadon.broader[0]).unwrap();
    assert!(
        !parent.broader.is_empty(),
        "the ICH category node has a broader concept"
    );
    // Renderings: nine languages for at least 100 concepts.
    let langs = ["en", "es", "pt", "id", "vi", "th", "ja", "ko", "fr"];
    let full = kb
        .renderings
        .values()
        .filter(|rs| langs.iter().all(|l| rs.iter().any(|r| r.lang == *l)))
        .count();
    assert!(
        full >= 100,
        "only {full} concepts rendered in all nine languages"
    );
}

#[test]
fn edits_keep_history_and_refuse_cycles() {
    let (_d, app) = fresh();
    let kb = app.kb().view();
    let mut c: Concept = kb
        .concepts
        .values()
        .find(|c| !c.broader.is_empty())
        .unwrap()
        .clone();
    let parent = c.broader[0].clone();
    let before = app.kb().concept_history(&c.id).unwrap().len();
    c.definition.insert(EN.into(), "Edited definition.".into());
    app.kb().save_concept(c.clone(), "tester").unwrap();
    let hist = app.kb().concept_history(&c.id).unwrap();
    assert_eq!(hist.len(), before + 1);
    assert_eq!(hist[0].actor, "tester");
    assert_eq!(
        app.kb().view().concepts[&c.id].definition[EN],
        "Edited definition."
    );
    // Making the parent narrower than its child is a cycle.
    let mut p = app.kb().view().concepts[&parent].clone();
    p.broader = vec![c.id.clone()];
    let err = app.kb().save_concept(p, "tester").unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");
    // Bad id.
    let mut bad = c.clone();
    bad.id = "Bad Id".into();
    assert!(app.kb().save_concept(bad, "tester").is_err());
}

#[test]
fn tbx_and_skos_exports_round_trip_into_an_empty_data_dir() {
    let (_d, app) = fresh();
    for format in ["tbx", "skos"] {
        let (_, body) = app.kb().export(format).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // An empty data dir: open the store without the seed.
        let stores = qiantang_store::open_embedded(dir.path()).unwrap();
        stores
            .kb
            .put_markets(&qiantang_kb::seed::load().unwrap().markets)
            .unwrap();
        let (concepts, renderings) = match format {
            "tbx" => qiantang_kb::tbx::import(&body).unwrap(),
            _ => qiantang_kb::skos::import(&body).unwrap(),
        };
        stores.kb.put_concepts(&concepts, "import", 0).unwrap();
        stores.kb.put_renderings(&renderings).unwrap();
        let original = app.stores_for_tests().kb.list_concepts().unwrap();
        let copy = stores.kb.list_concepts().unwrap();
        assert_eq!(copy.len(), original.len(), "{format}");
        assert_eq!(copy, original, "{format} round trip changed concepts");
        let mut a = app.stores_for_tests().kb.list_renderings(None).unwrap();
        let mut b = stores.kb.list_renderings(None).unwrap();
        let key =
            |r: &qiantang_kb::Rendering| (r.concept.clone(), r.lang.clone(), r.market.clone());
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b, "{format} round trip changed renderings");
    }
    // The app-level import into an existing KB merges and reports counts.
    let (_, body) = app.kb().export("tbx").unwrap();
    let (c, _) = app
        .kb()
        .import_file("tbx", body.as_bytes(), "test")
        .unwrap();
    assert_eq!(c, app.kb().view().concepts.len());
    assert!(app.kb().import_file("tbx", b"<tbx><oops", "test").is_err());
}

#[test]
fn kb_import_applies_the_edit_rules_and_writes_nothing_on_error() {
    let (_d, app) = fresh();
    let before = app.stores_for_tests().kb.list_concepts().unwrap();
    let mut a = app.kb().view().concepts["place.west-lake"].clone();
    let mut b = app.kb().view().concepts["place.leifeng-pagoda"].clone();
    // A cycle through two imported concepts.
    a.broader = vec![b.id.clone()];
    b.broader = vec![a.id.clone()];
    let err = app
        .kb()
        .import_kb(&[a.clone(), b.clone()], &[], "t")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cycle"), "{err}");
    // No preferred zh-Hans label; two preferred labels in one language; unknown category.
    let mut c = app.kb().view().concepts["place.west-lake"].clone();
    c.labels.retain(|l| l.lang != ZH_HANS);
    assert!(app
        .kb()
        .import_kb(&[c], &[], "t")
        .unwrap_err()
        .to_string()
        .contains("zh-Hans"));
    let mut c = app.kb().view().concepts["place.west-lake"].clone();
    c.labels.push(qiantang_kb::Label {
        lang: EN.into(),
        text: "Xi Hu".into(),
        kind: qiantang_kb::LabelKind::Pref,
    });
    assert!(app
        .kb()
        .import_kb(&[c.clone()], &[], "t")
        .unwrap_err()
        .to_string()
        .contains("two preferred"));
    assert!(
        app.kb().save_concept(c, "t").is_err(),
        "the same rule holds for edits"
    );
    let mut c = app.kb().view().concepts["place.west-lake"].clone();
    c.category = "nonsense".into();
    assert!(app.kb().import_kb(&[c], &[], "t").is_err());
    // Nothing to import.
    assert!(app
        .kb()
        .import_kb(&[], &[], "t")
        .unwrap_err()
        .to_string()
        .contains("no concepts"));
    assert_eq!(
        app.stores_for_tests().kb.list_concepts().unwrap(),
        before,
        "a refused import wrote something"
    );
    // Unknown fields in a concept are refused, not dropped.
    let mut v = serde_json::to_value(&app.kb().view().concepts["place.west-lake"]).unwrap();
    v["colour"] = serde_json::json!("green");
    assert!(serde_json::from_value::<Concept>(v).is_err());
}
