//! Choosing how a concept is rendered for a market.
//!
//! Resolution order for concept *c* and market *m* with primary language *l*:
//! 1. a rendering of *c* for language *l* narrowed to *m* ([`Origin::MarketRule`]);
//! 2. a rendering of *c* for language *l* with no market ([`Origin::LanguageRule`]);
//! 3. a built draft ([`Resolved::fallback`] is `true`, the rendering's status
//!    is [`Status::Draft`]: a suggestion for the translator and for QA, never a
//!    requirement):
//!    * Chinese-reading markets keep the Han form in their script ([`Origin::Fallback`]);
//!    * Sino-Xenic markets (Vietnamese, Korean, Japanese) get the concept's
//!      preferred label in their language when the KB has one
//!      ([`Origin::Fallback`]), else the form derived from per-character
//!      readings ([`Origin::SinoXenic`], see
//!      [`crate::sinoxenic`]): *Tiểu Thanh*, 소청, and for Japanese the kanji
//!      kept with its on'yomi as [`Resolved::reading`];
//!    * every other market gets toneless pinyin, glossed on first occurrence
//!      only with a **short gloss in the market's language** — the concept's
//!      preferred label in that language when it differs from the pinyin and
//!      has at most [`MAX_GLOSS_WORDS`] words ([`gloss_words`]). With no such
//!      label the pinyin stands alone (strategy `transliterate`). A definition
//!      sentence is never used as a gloss, and no gloss is ever taken from
//!      another language ([`Origin::Fallback`]).

use crate::model::{Concept, Market, Rendering, Status, Strategy, PINYIN, ZH_HANS, ZH_HANT};
use crate::sinoxenic::{readings, SinoXenic};

/// The longest gloss a built rendering may carry, in words (see [`gloss_words`]).
/// Project rule (issue 14): a gloss is a few words ("the Green Snake"), not a definition.
pub const MAX_GLOSS_WORDS: usize = 8;

/// Where a resolved rendering came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// An explicit rule for the language narrowed to this market.
    MarketRule,
    /// An explicit rule for the language, any market.
    LanguageRule,
    /// Built from Sino-Xenic character readings (a draft).
    SinoXenic,
    /// Built from the concept's labels: Han form, or pinyin with an optional
    /// short gloss in the market's language (a draft).
    Fallback,
}

impl Origin {
    /// Wire name: `market_rule`, `language_rule`, `sino_xenic`, `fallback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::MarketRule => "market_rule",
            Origin::LanguageRule => "language_rule",
            Origin::SinoXenic => "sino_xenic",
            Origin::Fallback => "fallback",
        }
    }

    /// Whether the rendering was built rather than written by someone: a
    /// suggestion that UI and QA must not enforce.
    pub fn is_built(self) -> bool {
        matches!(self, Origin::SinoXenic | Origin::Fallback)
    }
}

/// A rendering chosen for a market, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The rendering (explicit or built). Built renderings have
    /// `market = Some(region)` and `status = draft`.
    pub rendering: Rendering,
    /// `true` when no explicit rule existed and the rendering was built: a
    /// draft suggestion, not a requirement (same as `origin.is_built()`).
    pub fallback: bool,
    /// Where the rendering came from.
    pub origin: Origin,
    /// A reading aid for the text (Japanese: the on'yomi in hiragana, for
    /// ruby), in the market's language; `None` when there is none.
    pub reading: Option<String>,
}

/// Picks the rendering of `concept` for `market` from `renderings` (all
/// renderings of that concept; others are ignored).
pub fn resolve(concept: &Concept, market: &Market, renderings: &[Rendering]) -> Resolved {
    let lang = market.primary_language();
    let mine = |r: &&Rendering| r.concept == concept.id && r.lang == lang;
    let explicit = |r: &Rendering, origin| Resolved {
        rendering: r.clone(),
        fallback: false,
        origin,
        reading: None,
    };
    if let Some(r) = renderings
        .iter()
        .filter(mine)
        .find(|r| r.market.as_deref() == Some(market.region.as_str()))
    {
        return explicit(r, Origin::MarketRule);
    }
    if let Some(r) = renderings.iter().filter(mine).find(|r| r.market.is_none()) {
        return explicit(r, Origin::LanguageRule);
    }
    let built = fallback(concept, market);
    Resolved {
        rendering: Rendering {
            concept: concept.id.clone(),
            lang: lang.to_string(),
            market: Some(market.region.clone()),
            strategy: built.strategy,
            text: built.text,
            gloss: built.gloss,
            status: Status::Draft,
        },
        fallback: true,
        origin: built.origin,
        reading: built.reading,
    }
}

struct Built {
    strategy: Strategy,
    text: String,
    gloss: Option<String>,
    origin: Origin,
    reading: Option<String>,
}

/// Number of words of a gloss: whitespace-separated tokens that contain a
/// letter or digit (so "métal, bois : eau" counts 3). A token written in a
/// script without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar)
/// counts one word per started 4 such characters, combining vowel and tone
/// marks not counted — the project's approximation of the mean word length
/// in those scripts.
pub fn gloss_words(gloss: &str) -> usize {
    gloss
        .split_whitespace()
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .map(|t| {
            let unspaced = t
                .chars()
                .filter(|&c| unspaced_script(c) && !combining_mark(c))
                .count();
            if unspaced == 0 {
                1
            } else {
                unspaced.div_ceil(4).max(1)
            }
        })
        .sum()
}

/// Scripts written without spaces between words.
fn unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'   // Thai, Lao
        | '\u{1000}'..='\u{109F}' // Myanmar
        | '\u{1780}'..='\u{17FF}' // Khmer
        | '\u{3040}'..='\u{30FF}' // kana
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

/// Combining vowel and tone marks of Thai and Lao (they sit on a base letter).
fn combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}'
        | '\u{0EB1}' | '\u{0EB4}'..='\u{0EBC}' | '\u{0EC8}'..='\u{0ECE}')
}

/// Whether a label's language tag `tag` is the language `lang` (`pt-BR` is `pt`).
fn same_language(tag: &str, lang: &str) -> bool {
    tag == lang || tag.split('-').next() == Some(lang)
}

/// The built rule when no explicit one exists (see the module docs).
fn fallback(concept: &Concept, market: &Market) -> Built {
    let first = market.languages.first().map(String::as_str).unwrap_or("en");
    let lang = market.primary_language();
    let han = |tag: &str| concept.pref_label(tag).map(str::to_string);
    let plain = |strategy, text, origin| Built {
        strategy,
        text,
        gloss: None,
        origin,
        reading: None,
    };
    if first.starts_with("zh") {
        let text = if first.contains("Hant") {
            han(ZH_HANT).or_else(|| han(ZH_HANS))
        } else {
            han(ZH_HANS)
        };
        if let Some(t) = text {
            return plain(Strategy::Keep, t, Origin::Fallback);
        }
    }
    if let Some(sx) = SinoXenic::for_language(lang) {
        // A form the KB gives (a label in the market's language) beats the derivation.
        if let Some(t) = concept
            .labels
            .iter()
            .find(|l| same_language(&l.lang, lang) && l.kind == crate::model::LabelKind::Pref)
            .map(|l| l.text.trim())
            .filter(|t| !t.is_empty())
        {
            let strategy = if sx == SinoXenic::Japanese {
                Strategy::Keep
            } else {
                Strategy::Transliterate
            };
            return plain(strategy, t.to_string(), Origin::Fallback);
        }
        if let Some(form) = readings().derive_concept(concept, sx) {
            let strategy = if sx == SinoXenic::Japanese {
                Strategy::Keep
            } else {
                Strategy::Transliterate
            };
            return Built {
                strategy,
                text: form.text,
                gloss: None,
                origin: Origin::SinoXenic,
                reading: form.reading,
            };
        }
        if sx == SinoXenic::Japanese {
            if let Some(t) = han(ZH_HANT).or_else(|| han(ZH_HANS)) {
                return plain(Strategy::Keep, t, Origin::Fallback);
            }
        }
    }
    let pinyin = concept
        .pref_label(PINYIN)
        .map(strip_tones)
        .unwrap_or_else(|| concept.display_name().to_string());
    let same = |a: &str, b: &str| {
        let norm = |x: &str| {
            strip_tones(x)
                .to_lowercase()
                .replace([' ', '-', '\'', '’'], "")
        };
        norm(a) == norm(b)
    };
    let gloss = concept
        .labels
        .iter()
        .filter(|l| same_language(&l.lang, lang) && l.kind == crate::model::LabelKind::Pref)
        .map(|l| l.text.trim())
        .find(|t| !t.is_empty() && !same(t, &pinyin) && gloss_words(t) <= MAX_GLOSS_WORDS)
        .map(str::to_string);
    match gloss {
        Some(g) => Built {
            strategy: Strategy::TransliterateGloss,
            text: pinyin,
            gloss: Some(g),
            origin: Origin::Fallback,
            reading: None,
        },
        None => plain(Strategy::Transliterate, pinyin, Origin::Fallback),
    }
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
    fn fallbacks_keep_han_derive_sino_xenic_and_never_borrow_a_gloss() {
        let c = concept();
        let tw = resolve(&c, &market("TW", "zh-Hant-TW", Proximity::Close), &[]);
        assert_eq!(
            (tw.rendering.strategy, tw.rendering.text.as_str()),
            (Strategy::Keep, "江湖")
        );
        assert_eq!(tw.origin, Origin::Fallback);
        let jp = resolve(&c, &market("JP", "ja-JP", Proximity::Close), &[]);
        assert_eq!(jp.rendering.strategy, Strategy::Keep);
        assert_eq!(jp.rendering.text, "江湖");
        assert_eq!(jp.reading.as_deref(), Some("こうこ"));
        assert_eq!(jp.origin, Origin::SinoXenic);
        let vn = resolve(&c, &market("VN", "vi-VN", Proximity::Close), &[]);
        assert_eq!(
            (vn.rendering.strategy, vn.rendering.text.as_str()),
            (Strategy::Transliterate, "giang hồ")
        );
        assert!(vn.fallback && vn.rendering.status == Status::Draft);
        let kr = resolve(&c, &market("KR", "ko-KR", Proximity::Close), &[]);
        assert_eq!(kr.rendering.text, "강호");
        // A Korean label in the KB beats the derivation.
        let mut ck = c.clone();
        ck.labels.push(Label {
            lang: "ko".into(),
            text: "무협 세계".into(),
            kind: LabelKind::Pref,
        });
        let kr = resolve(&ck, &market("KR", "ko-KR", Proximity::Close), &[]);
        assert_eq!(
            (kr.rendering.text.as_str(), kr.origin),
            ("무협 세계", Origin::Fallback)
        );
        // German: no German label, so no gloss at all (never the English definition).
        let de = resolve(&c, &market("DE", "de-DE", Proximity::Distant), &[]);
        assert_eq!(de.rendering.strategy, Strategy::Transliterate);
        assert_eq!(de.rendering.text, "jianghu");
        assert_eq!(de.rendering.gloss, None);
        assert_eq!(display(&de.rendering, true), "jianghu");
        // English: the English label equals the pinyin, so no gloss either.
        let us = resolve(&c, &market("US", "en-US", Proximity::Distant), &[]);
        assert_eq!(us.rendering.gloss, None);
        // A short label in the market's language is a gloss.
        let mut c2 = c.clone();
        c2.labels.push(Label {
            lang: "de".into(),
            text: "die Welt der Kampfkünste".into(),
            kind: LabelKind::Pref,
        });
        let de = resolve(&c2, &market("DE", "de-DE", Proximity::Distant), &[]);
        assert_eq!(
            display(&de.rendering, true),
            "jianghu (die Welt der Kampfkünste)"
        );
        assert_eq!(display(&de.rendering, false), "jianghu");
    }

    #[test]
    fn gloss_words_counts_words_and_unspaced_scripts() {
        assert_eq!(
            gloss_words("les cinq phases : métal, bois, eau, feu, terre"),
            8
        );
        assert_eq!(gloss_words("the Green Snake"), 3);
        // 11 Thai letters, none combining: 3 words.
        assert_eq!(gloss_words("นางพญางูขาว"), 3);
        // ปัจจุบัน: 8 code points, 2 combining marks.
        assert_eq!(gloss_words("ปัจจุบัน"), 2);
        assert_eq!(gloss_words(""), 0);
    }

    #[test]
    fn tones_are_stripped() {
        assert_eq!(strip_tones("Lǘ Dòngbīn Nán Sòng"), "Lü Dongbin Nan Song");
    }
}
