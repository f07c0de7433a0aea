use qiantang_kb::{seed, Tagger};
use qiantang_l10n::adapt::{apply_required_terms, Adapter, Termbase};
use qiantang_l10n::segment::{segment_chapter, SegmentOptions};
use qiantang_l10n::{GlossStyle, GlossaryEntry, GlossaryKind};

/// Adapts the first ten chapters of 济公全传 for a market; returns
/// (source term, text, rule) of every occurrence of the three test concepts.
fn run(
    region: &str,
    style: GlossStyle,
    glossary: &[GlossaryEntry],
) -> Vec<(String, String, String)> {
    let s = seed::load().unwrap();
    let market = s.markets.iter().find(|m| m.region == region).unwrap();
    let tagger = Tagger::new(&s.concepts);
    let tb = Termbase {
        concepts: &s.concepts,
        renderings: &s.renderings,
        market,
        tagger: &tagger,
        glossary,
    };
    let mut adapter = Adapter::new(tb, style);
    let mut out = Vec::new();
    for ch in crate::jigong().iter().take(10) {
        for seg in segment_chapter(ch.number, &ch.text, SegmentOptions::default()) {
            for t in adapter.segment(&seg.source) {
                let c = t.hint.concept.clone().unwrap_or_default();
                if ["person.jigong", "place.lingyin-temple", "place.west-lake"]
                    .contains(&c.as_str())
                {
                    out.push((c, t.text, t.rule));
                }
            }
        }
    }
    out
}

fn of<'a>(v: &'a [(String, String, String)], c: &str) -> Vec<&'a (String, String, String)> {
    v.iter().filter(|t| t.0 == c).collect()
}

#[test]
fn us_glosses_first_occurrence_then_plain() {
    let v = run("US", GlossStyle::Inline, &[]);
    let jg = of(&v, "person.jigong");
    assert!(jg.len() >= 2, "济公 seen {} times", jg.len());
    assert_eq!(jg[0].1, "Jigong (the mad monk of Hangzhou)");
    assert_eq!(jg[0].2, "kb:explicit en; first occurrence, inline gloss");
    assert!(jg[1..]
        .iter()
        .all(|t| t.1 == "Jigong" && t.2.ends_with("plain after first occurrence")));
    let ly = of(&v, "place.lingyin-temple");
    assert!(!ly.is_empty());
    assert!(ly
        .iter()
        .all(|t| t.1 == "Lingyin Temple" && t.2 == "kb:explicit en"));
    let xh = of(&v, "place.west-lake");
    assert!(!xh.is_empty());
    assert!(xh.iter().all(|t| t.1 == "West Lake"));
}

#[test]
fn vn_uses_han_viet_forms() {
    let v = run("VN", GlossStyle::Inline, &[]);
    for (c, want) in [
        ("person.jigong", "Tế Công"),
        ("place.lingyin-temple", "chùa Linh Ẩn"),
        ("place.west-lake", "Tây Hồ"),
    ] {
        let found = of(&v, c);
        assert!(!found.is_empty(), "{c}");
        assert!(
            found.iter().all(|t| t.1 == want && t.2 == "kb:explicit vi"),
            "{c}: {found:?}"
        );
    }
}

#[test]
fn footnote_style_and_glossary_override() {
    let v = run("US", GlossStyle::Footnote, &[]);
    assert_eq!(of(&v, "person.jigong")[0].1, "Jigong");
    assert!(of(&v, "person.jigong")[0].2.ends_with("footnote"));
    let entry = GlossaryEntry {
        id: 7,
        work: 1,
        locale: "en".into(),
        source: "西湖".into(),
        aliases: vec!["西子湖".into()],
        target: "Xihu Lake".into(),
        kind: GlossaryKind::Concept,
        concept: Some("place.west-lake".into()),
        locked: true,
        forbidden: vec!["West Lake".into()],
        note: "House style.".into(),
    };
    let v = run("US", GlossStyle::Inline, std::slice::from_ref(&entry));
    let xh = of(&v, "place.west-lake");
    assert!(xh
        .iter()
        .all(|t| t.1 == "Xihu Lake" && t.2 == "glossary: locked"));
}

#[test]
fn required_terms_replace_known_alternatives() {
    let s = seed::load().unwrap();
    let us = s.markets.iter().find(|m| m.region == "US").unwrap();
    let tagger = Tagger::new(&s.concepts);
    let tb = Termbase {
        concepts: &s.concepts,
        renderings: &s.renderings,
        market: us,
        tagger: &tagger,
        glossary: &[],
    };
    let mut a = Adapter::new(tb, GlossStyle::Inline);
    let terms = a.segment("济公来到灵隐寺。");
    let hint_ids: Vec<_> = terms
        .iter()
        .map(|t| t.hint.concept.clone().unwrap())
        .collect();
    assert_eq!(hint_ids, ["person.jigong", "place.lingyin-temple"]);
    assert!(terms[0]
        .hint
        .definition
        .as_deref()
        .unwrap()
        .contains("Daoji"));
    // MT wrote the plain name where a gloss is due.
    let (fixed, applied) = apply_required_terms("Jigong came to Lingyin Temple.", &terms);
    assert_eq!(
        fixed,
        "Jigong (the mad monk of Hangzhou) came to Lingyin Temple."
    );
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].replaced, "Jigong");
    // Later: plain form required; the already correct text is left alone.
    let terms = a.segment("济公笑了。");
    let (fixed, applied) = apply_required_terms("Jigong laughed.", &terms);
    assert_eq!((fixed.as_str(), applied.len()), ("Jigong laughed.", 0));
}
