//! Choosing how a concept is rendered for a market.
//!
//! Resolution order for concept *c* and market *m* with primary language *l*:
//! 1. a rendering of *c* for language *l* narrowed to *m*;
//! 2. a rendering of *c* for language *l* with no market;
//! 3. a fallback built from the market's languages (see [`resolve`]'s
//!    helper `fallback`): Chinese-reading and Japanese markets keep the Han
//!    form; others get toneless pinyin with an English gloss. Fallbacks are
//!    flagged so the UI can say no reviewed rule exists yet.

use crate::model::{Concept, Market, Rendering, Status, Strategy, EN, PINYIN, ZH_HANS, ZH_HANT};

/// A rendering chosen for a market, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The rendering (explicit or built).
    pub rendering: Rendering,
    /// `true` when no explicit rule existed and the fallback was built.
    pub fallback: bool,
}

/// Picks the rendering of `concept` for `market` from `renderings` (all
/// renderings of that concept; others are ignored).
pub fn resolve(concept: &Concept, market: &Market, renderings: &[Rendering]) -> Resolved {
    let lang = market.primary_language();
    let mine = |r: &&Rendering| r.concept == concept.id && r.lang == lang;
    if let Some(r) = renderings
        .iter()
        .filter(mine)
        .find(|r| r.market.as_deref() == Some(market.region.as_str()))
    {
        return Resolved {
            rendering: r.clone(),
            fallback: false,
        };
    }
    if let Some(r) = renderings.iter().filter(mine).find(|r| r.market.is_none()) {
        return Resolved {
            rendering: r.clone(),
            fallback: false,
        };
    }
    let (strategy, text, gloss) = fallback(concept, market);
    Resolved {
        rendering: Rendering {
            concept: concept.id.clone(),
            lang: lang.to_string(),
            market: Some(market.region.clone()),
            strategy,
            text,
            gloss,
            status: Status::Draft,
        },
        fallback: true,
    }
}

/// The built rule when no explicit one exists:
/// - Chinese-reading markets (zh-Hant-TW/HK/MO, zh-Hans-SG/MY) keep the Chinese
///   form in their script;
/// - Japanese keeps the Han form (the Traditional form, nearest to kanji);
/// - everyone else (including Korean and Vietnamese without a Sino-Xenic
///   reading on file) gets toneless pinyin glossed on first occurrence with
///   the English label, or the English definition when the label is just the
///   pinyin again (glosses are English until a rule in the reader's language exists).
fn fallback(concept: &Concept, market: &Market) -> (Strategy, String, Option<String>) {
    let first = market.languages.first().map(String::as_str).unwrap_or("en");
    let han = |tag: &str| concept.pref_label(tag).map(str::to_string);
    if first.starts_with("zh") {
        let text = if first.contains("Hant") {
            han(ZH_HANT).or_else(|| han(ZH_HANS))
        } else {
            han(ZH_HANS)
        };
        if let Some(t) = text {
            return (Strategy::Keep, t, None);
        }
    }
    if first.starts_with("ja") {
        if let Some(t) = han(ZH_HANT).or_else(|| han(ZH_HANS)) {
            return (Strategy::Keep, t, None);
        }
    }
    let pinyin = concept
        .pref_label(PINYIN)
        .map(strip_tones)
        .unwrap_or_else(|| concept.display_name().to_string());
    let same = |a: &str, b: &str| {
        let norm = |x: &str| strip_tones(x).to_lowercase().replace([' ', '-', '\''], "");
        norm(a) == norm(b)
    };
    let gloss = concept
        .pref_label(EN)
        .filter(|en| !same(en, &pinyin))
        .map(str::to_string)
        .or_else(|| concept.definition.get(EN).cloned());
    (Strategy::TransliterateGloss, pinyin, gloss)
}

/// Removes Hanyu Pinyin tone marks (ā á ǎ à → a; ǖ ǘ ǚ ǜ → ü), keeping everything else.
pub fn strip_tones(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ā' | 'á' | 'ǎ' | 'à' => 'a',
            'ē' | 'é' | 'ě' | 'è' => 'e',
            'ī' | 'í' | 'ǐ' | 'ì' => 'i',
            'ō' | 'ó' | 'ǒ' | 'ò' => 'o',
            'ū' | 'ú' | 'ǔ' | 'ù' => 'u',
            'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'ü',
            'Ā' | 'Á' | 'Ǎ' | 'À' => 'A',
            'Ē' | 'É' | 'Ě' | 'È' => 'E',
            'Ī' | 'Í' | 'Ǐ' | 'Ì' => 'I',
            'Ō' | 'Ó' | 'Ǒ' | 'Ò' => 'O',
            'Ū' | 'Ú' | 'Ǔ' | 'Ù' => 'U',
            other => other,
        })
        .collect()
}

/// Renders the text for running prose: `text (gloss)` when a gloss is shown, else `text`.
pub fn display(r: &Rendering, first_occurrence: bool) -> String {
    match (&r.gloss, r.strategy, first_occurrence) {
        (Some(g), Strategy::TransliterateGloss, true) if !g.is_empty() => {
            format!("{} ({g})", r.text)
        }
        _ => r.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::model::{ContextClass, Label, LabelKind, Proximity};

    fn concept() -> Concept {
        let l = |lang: &str, text: &str| Label {
            lang: lang.into(),
            text: text.into(),
            kind: LabelKind::Pref,
        };
        Concept {
            id: "wuxia.jianghu".into(),
            category: "wuxia".into(),
            labels: vec![
                l("zh-Hans", "江湖"),
                l("zh-Hant", "江湖"),
                l("zh-Latn-pinyin", "jiānghú"),
                l("en", "jianghu"),
            ],
            definition: [(
                "en".to_string(),
                "The martial world of wandering fighters.".to_string(),
            )]
            .into(),
            broader: vec![],
            regions: vec![],
            heritage: None,
            provenance: Default::default(),
        }
    }

    fn market(region: &str, lang: &str, p: Proximity) -> Market {
        Market {
            region: region.into(),
            name: region.into(),
            languages: vec![lang.into()],
            context: ContextClass::High,
            proximity: p,
            note: String::new(),
        }
    }

    #[test]
    fn explicit_market_rule_beats_language_rule_beats_fallback() {
        let c = concept();
        let r = |m: Option<&str>, text: &str| Rendering {
            concept: c.id.clone(),
            lang: "vi".into(),
            market: m.map(str::to_string),
            strategy: Strategy::Transliterate,
            text: text.into(),
            gloss: None,
            status: Status::Reviewed,
        };
        let vn = market("VN", "vi-VN", Proximity::Close);
        assert_eq!(
            resolve(&c, &vn, &[r(None, "giang hồ")]).rendering.text,
            "giang hồ"
        );
        assert_eq!(
            resolve(
                &c,
                &vn,
                &[r(None, "giang hồ"), r(Some("VN"), "giang hồ VN")]
            )
            .rendering
            .text,
            "giang hồ VN"
        );
        assert!(resolve(&c, &vn, &[]).fallback);
    }

    #[test]
    fn fallbacks_keep_han_for_chinese_and_japanese_readers_and_gloss_for_others() {
        let c = concept();
        let tw = resolve(&c, &market("TW", "zh-Hant-TW", Proximity::Close), &[]);
        assert_eq!(
            (tw.rendering.strategy, tw.rendering.text.as_str()),
            (Strategy::Keep, "江湖")
        );
        let jp = resolve(&c, &market("JP", "ja-JP", Proximity::Close), &[]);
        assert_eq!(jp.rendering.strategy, Strategy::Keep);
        let de = resolve(&c, &market("DE", "de-DE", Proximity::Distant), &[]);
        assert_eq!(de.rendering.strategy, Strategy::TransliterateGloss);
        // Toneless pinyin; the English label equals the pinyin, so the definition explains.
        assert_eq!(de.rendering.text, "jianghu");
        assert_eq!(
            de.rendering.gloss.as_deref(),
            Some("The martial world of wandering fighters.")
        );
        assert_eq!(
            display(&de.rendering, true),
            "jianghu (The martial world of wandering fighters.)"
        );
        assert_eq!(display(&de.rendering, false), "jianghu");
    }

    #[test]
    fn tones_are_stripped() {
        assert_eq!(strip_tones("Lǘ Dòngbīn Nán Sòng"), "Lü Dongbin Nan Song");
    }
}
