//! Cultural adaptation against the real KB seed and chapter 1 of 济公全传.

use std::collections::{BTreeMap, HashMap};

use qiantang_kb::{Concept, Market, Rendering, Strategy, Tagger};
use qiantang_l10n::adapt::{apply_required_terms, requirements, Adapter, TermHint};
use qiantang_l10n::model::{GlossStyle, GlossaryEntry, GlossaryKind};
use qiantang_l10n::segment::{segment_chapter, SegmentOptions};

struct Kb {
    tagger: Tagger,
    concepts: BTreeMap<String, Concept>,
    renderings: HashMap<String, Vec<Rendering>>,
    markets: Vec<Market>,
}

fn kb() -> Kb {
    let seed = qiantang_kb::seed::load().unwrap();
    let mut renderings: HashMap<String, Vec<Rendering>> = HashMap::new();
    for r in seed.renderings {
        renderings.entry(r.concept.clone()).or_default().push(r);
    }
    Kb {
        tagger: Tagger::new(&seed.concepts),
        concepts: seed
            .concepts
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect(),
        renderings,
        markets: seed.markets,
    }
}

impl Kb {
    fn market(&self, region: &str) -> &Market {
        self.markets.iter().find(|m| m.region == region).unwrap()
    }
}

/// All hints of chapter 1, segment by segment.
fn chapter1(
    kb: &Kb,
    region: &str,
    glossary: &[GlossaryEntry],
    style: GlossStyle,
) -> Vec<Vec<TermHint>> {
    let ch = &crate::jigong()[0];
    let mut a = Adapter::new(
        &kb.tagger,
        &kb.concepts,
        &kb.renderings,
        kb.market(region),
        glossary,
        style,
    );
    segment_chapter(ch.number, &ch.text, SegmentOptions::default())
        .iter()
        .map(|s| {
            let hints = a.next_segment(&s.source);
            for h in &hints {
                let got: String = s.source.chars().skip(h.start).take(h.len).collect();
                assert_eq!(got, h.source_text, "span of {h:?}");
            }
            hints
        })
        .collect()
}

fn of<'a>(all: &'a [Vec<TermHint>], concept: &str) -> Vec<&'a TermHint> {
    all.iter()
        .flatten()
        .filter(|h| h.concept.as_deref() == Some(concept))
        .collect()
}

#[test]
fn us_glosses_jigong_on_first_occurrence_only() {
    let kb = kb();
    let all = chapter1(&kb, "US", &[], GlossStyle::Inline);
    // 济公 and its alt labels 济颠, 道济 are one concept: one first occurrence.
    let jigong = of(&all, "person.jigong");
    assert!(jigong.len() >= 10, "{}", jigong.len());
    assert!(jigong[0].first_occurrence);
    assert_eq!(jigong[0].text, "Jigong (the mad monk of Hangzhou)");
    assert_eq!(jigong[0].plain, "Jigong");
    assert_eq!(jigong[0].strategy, Strategy::TransliterateGloss);
    assert!(!jigong[0].locked, "seed renderings are drafts");
    assert_eq!(
        jigong[0].rule,
        "kb: explicit rendering for en, any market (transliterate_gloss, draft), first occurrence → gloss inline"
    );
    assert!(jigong[0].definition.is_some());
    for h in &jigong[1..] {
        assert!(!h.first_occurrence);
        assert_eq!(h.text, "Jigong");
        assert!(h.rule.ends_with("later occurrence → plain"), "{}", h.rule);
    }
    assert!(jigong.iter().any(|h| h.source_text == "济颠"));
    // Translated places carry no gloss.
    let lingyin = of(&all, "place.lingyin-temple");
    assert_eq!(lingyin.len(), 1);
    assert_eq!(lingyin[0].text, "Lingyin Temple");
    assert_eq!(lingyin[0].strategy, Strategy::Translate);
    let west = of(&all, "place.west-lake");
    assert_eq!(west.len(), 2);
    assert!(west.iter().all(|h| h.text == "West Lake"));
}

#[test]
fn vn_uses_han_viet_forms_as_is() {
    let kb = kb();
    let all = chapter1(&kb, "VN", &[], GlossStyle::Inline);
    let jigong = of(&all, "person.jigong");
    assert!(jigong
        .iter()
        .all(|h| h.text == "Tế Công" && h.gloss.is_none()));
    assert_eq!(of(&all, "place.lingyin-temple")[0].text, "chùa Linh Ẩn");
    assert!(of(&all, "place.west-lake")
        .iter()
        .all(|h| h.text == "Tây Hồ"));
    // No hint in a close market carries an English gloss, fallbacks included.
    for h in all.iter().flatten() {
        assert_eq!(h.text, h.plain, "{h:?}");
        assert!(
            h.text.chars().all(|c| !qiantang_l10n::adapt::is_han(c)),
            "{h:?}"
        );
    }
    assert!(all
        .iter()
        .flatten()
        .any(|h| h.rule.starts_with("kb: fallback")));
}

#[test]
fn footnote_style_puts_the_gloss_in_a_footnote() {
    let kb = kb();
    let all = chapter1(&kb, "US", &[], GlossStyle::Footnote);
    let jigong = of(&all, "person.jigong");
    assert_eq!(jigong[0].text, "Jigong[^fn-person.jigong]");
    assert_eq!(
        jigong[0].footnote.as_deref(),
        Some("Jigong: the mad monk of Hangzhou")
    );
    assert_eq!(jigong[0].footnote_id.as_deref(), Some("fn-person.jigong"));
    assert!(jigong[1..]
        .iter()
        .all(|h| h.text == "Jigong" && h.footnote.is_none()));
}

#[test]
fn glossary_wins_over_kb_and_aliases_match() {
    let kb = kb();
    let g = |id: i64, source: &str, aliases: &[&str], target: &str, kind, concept: Option<&str>| {
        GlossaryEntry {
            id,
            work: 1,
            locale: "en".into(),
            source: source.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            target: target.into(),
            kind,
            concept: concept.map(str::to_string),
            locked: true,
            forbidden: vec!["Li Maochun".into()],
            note: String::new(),
        }
    };
    let glossary = vec![
        g(
            7,
            "李茂春",
            &["李大人", "李善人"],
            "Li Mao-chun",
            GlossaryKind::Character,
            None,
        ),
        // Overrides the KB rendering of Jigong wherever the tagger finds him.
        g(
            8,
            "济公",
            &[],
            "Ji Gong",
            GlossaryKind::Concept,
            Some("person.jigong"),
        ),
        // Overlaps the KB concept 天台山 (Mount Tiantai): the longer glossary match wins.
        g(
            9,
            "天台山国清寺",
            &[],
            "Guoqing Temple on Mount Tiantai",
            GlossaryKind::Place,
            None,
        ),
    ];
    let all = chapter1(&kb, "US", &glossary, GlossStyle::Inline);
    let li: Vec<_> = all
        .iter()
        .flatten()
        .filter(|h| h.glossary == Some(7))
        .collect();
    assert!(li.len() >= 5);
    assert!(li.iter().any(|h| h.source_text == "李善人"));
    assert_eq!(li[0].rule, "glossary: character, locked");
    assert_eq!(li[0].strategy, Strategy::Transliterate);
    assert!(li[0].first_occurrence && !li[1].first_occurrence);
    let jigong = of(&all, "person.jigong");
    assert!(jigong
        .iter()
        .all(|h| h.glossary == Some(8) && h.text == "Ji Gong"));
    assert!(jigong.iter().any(|h| h.source_text == "济颠"));
    assert_eq!(
        jigong[0].rule,
        "glossary: concept, locked, overrides kb concept person.jigong"
    );
    let tiantai: Vec<_> = all
        .iter()
        .flatten()
        .filter(|h| h.glossary == Some(9))
        .collect();
    assert_eq!(tiantai.len(), 1);
    for seg in &all {
        for w in seg.windows(2) {
            assert!(w[0].start + w[0].len <= w[1].start, "overlap {w:?}");
        }
    }
    // QA requirements and the mechanical fix.
    let req = requirements(
        li[0..1]
            .iter()
            .copied()
            .cloned()
            .collect::<Vec<_>>()
            .as_slice(),
    );
    assert_eq!(req[0].required, vec!["Li Mao-chun".to_string()]);
    assert!(req[0].locked);
    let (fixed, applied) = apply_required_terms("Li Maochun smiled.", &[li[0].clone()]);
    assert_eq!(fixed, "Li Mao-chun smiled.");
    assert_eq!(applied[0].from, "Li Maochun");
}

#[test]
fn apply_replaces_plain_and_pinyin_forms_with_the_required_ones() {
    let kb = kb();
    let all = chapter1(&kb, "US", &[], GlossStyle::Inline);
    let first = of(&all, "person.jigong")[0].clone();
    let (t, a) = apply_required_terms("Then Jìgōng laughed.", std::slice::from_ref(&first));
    assert_eq!(t, "Then Jigong (the mad monk of Hangzhou) laughed.");
    assert_eq!(a[0].from, "Jìgōng");
    let (t, _) = apply_required_terms("Then Jigong laughed.", std::slice::from_ref(&first));
    assert_eq!(t, "Then Jigong (the mad monk of Hangzhou) laughed.");
    let west = of(&all, "place.west-lake")[0].clone();
    let (t, a) = apply_required_terms("a boat on Xihu", &[west]);
    assert_eq!(t, "a boat on West Lake");
    assert_eq!(a.len(), 1);
}
