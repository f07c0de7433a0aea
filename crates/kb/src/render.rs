//! Choosing how a concept is rendered for a market.
//!
//! Resolution order for concept *c* and market *m* with primary language *l*:
//! 1. a rendering of *c* for language *l* narrowed to *m*;
//! 2. a rendering of *c* for language *l* with no market;
//! 3. a fallback built from the market's default strategy
//!    ([`Market::default_strategy`]): the pinyin label, glossed with the
//!    English definition for distant low-context markets.

use crate::model::{Concept, Market, Rendering, Status, Strategy, EN, PINYIN};

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
    let strategy = market.default_strategy();
    let pinyin = concept
        .pref_label(PINYIN)
        .unwrap_or_else(|| concept.display_name())
        .to_string();
    let gloss = match strategy {
        Strategy::TransliterateGloss => concept
            .pref_label(EN)
            .map(str::to_string)
            .or_else(|| concept.definition.get(EN).cloned()),
        _ => None,
    };
    Resolved {
        rendering: Rendering {
            concept: concept.id.clone(),
            lang: lang.to_string(),
            market: Some(market.region.clone()),
            strategy,
            text: pinyin,
            gloss,
            status: Status::Draft,
        },
        fallback: true,
    }
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
