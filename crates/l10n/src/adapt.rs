//! Cultural adaptation: the termbase view of one segment (issue 4 §3–4).
//!
//! For every segment, in reading order, [`Adapter::next_segment`] finds
//!
//! 1. **per-work glossary entries** ([`GlossaryEntry`]: characters, places,
//!    sects, realms, with aliases), matched on their source and aliases with
//!    Aho-Corasick leftmost-longest; they win over KB concepts on overlapping
//!    spans;
//! 2. **knowledge-base concepts**, found by the KB [`Tagger`] (the same tagger
//!    as the hub's tagging), rendered by [`qiantang_kb::render::resolve`] for
//!    the project's market and written by [`qiantang_kb::render::display`].
//!
//! and returns one [`TermHint`] per occurrence, saying what to write and
//! which rule produced it, so a reviewer can see and change it.
//!
//! # Rules (issue 4 §4)
//!
//! * **First occurrence in the work** (tracked per concept, or per glossary
//!   entry when it has no concept, across all segments given to one
//!   [`Adapter`]): a `transliterate_gloss` rendering with a gloss is written
//!   `text (gloss)` with [`GlossStyle::Inline`], or `text[^id]` plus a
//!   footnote `text: gloss` with [`GlossStyle::Footnote`]; later occurrences
//!   are the plain `text`.
//! * **Close markets** (proximity `close`: VN Hán-Việt, KR/JP Sino-Xenic
//!   forms, TW/HK keep Han) use the rendering text as is. Their explicit KB
//!   renderings are never glossed in the seed; a *fallback* (no rule on file)
//!   is not glossed for them either (the KB fallback would add an English
//!   gloss, which a Vietnamese or Korean reader does not need).
//! * **Locked**: glossary entries marked locked, and KB renderings with status
//!   `reviewed` (fallbacks and drafts are hints only).
//! * **Glossary entries of kind `concept`** override their KB concept wherever
//!   the tagger finds it, not only where the glossary's own source matches.
//!
//! The footnote marker `[^id]` is the convention that [`crate::epub`] turns
//! into an EPUB 3 note reference; ids are `fn-<concept id>` or `fn-g<glossary
//! id>`, unique per work because only the first occurrence gets a footnote.
//!
//! [`Tagger`]: qiantang_kb::Tagger

use std::collections::{BTreeMap, HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use qiantang_kb::model::{Concept, Market, Proximity, Rendering, Status, Strategy, EN, PINYIN};
use qiantang_kb::render::{display, resolve, strip_tones};
use qiantang_kb::Tagger;

use crate::model::{GlossStyle, GlossaryEntry, GlossaryKind};
use crate::qa::TermRequirement;
use crate::text::find_form;
/// Re-exported from [`crate::text`], where it lives so that [`crate::qa`]
/// does not have to import this module.
pub use crate::text::is_han;

/// One term found in a segment and what the target should say for it.
///
/// Spans are in characters (Unicode scalar values) of the segment source, as
/// every offset in Qiantang.
#[derive(Debug, Clone, PartialEq)]
pub struct TermHint {
    /// KB concept id (also set for glossary entries that override a concept).
    pub concept: Option<String>,
    /// [`GlossaryEntry::id`] when the hint comes from the per-work glossary.
    pub glossary: Option<i64>,
    /// First character of the match in the segment source.
    pub start: usize,
    /// Length of the match in characters.
    pub len: usize,
    /// The matched Chinese text.
    pub source_text: String,
    /// What to write in the target here: on a glossed first occurrence
    /// `jianghu (the martial world)` (inline) or `jianghu[^fn-wuxia.jianghu]`
    /// (footnote); otherwise the same as [`TermHint::plain`].
    pub text: String,
    /// The plain rendering, without gloss or footnote marker.
    pub plain: String,
    /// The rendering strategy. For glossary entries: the linked concept's
    /// resolved strategy; else `keep` when the target equals the source,
    /// `transliterate` for characters, `translate` for the other kinds (a
    /// label for the reviewer, not a rule).
    pub strategy: Strategy,
    /// The gloss of the rendering, if it has one (shown or not).
    pub gloss: Option<String>,
    /// First occurrence of this concept / glossary entry in the work.
    pub first_occurrence: bool,
    /// Must appear exactly: locked glossary entries and reviewed KB renderings.
    pub locked: bool,
    /// Renderings that must not be used (from the glossary entry).
    pub forbidden: Vec<String>,
    /// Which rule produced the text, readable (e.g. `kb: explicit rendering
    /// for en, any market (transliterate_gloss, draft), first occurrence →
    /// gloss inline`, `kb: fallback (no rule yet) …`, `glossary: character, locked`).
    pub rule: String,
    /// The concept's English definition, or the glossary note when not empty.
    pub definition: Option<String>,
    /// The footnote text (`Jigong: the mad monk of Hangzhou`) when the gloss
    /// goes into a footnote ([`GlossStyle::Footnote`], first occurrence).
    pub footnote: Option<String>,
    /// The footnote id used in the `[^id]` marker of [`TermHint::text`].
    pub footnote_id: Option<String>,
    /// Other forms known to stand for this term that
    /// [`apply_required_terms`] may replace with the required one: the
    /// concept's English labels, its pinyin with and without tones, and the
    /// forbidden renderings; never the required forms themselves.
    pub variants: Vec<String>,
}

/// Produces [`TermHint`]s segment by segment for one project (work × market).
pub struct Adapter<'a> {
    tagger: &'a Tagger,
    concepts: &'a BTreeMap<String, Concept>,
    renderings: &'a HashMap<String, Vec<Rendering>>,
    market: &'a Market,
    glossary: &'a [GlossaryEntry],
    style: GlossStyle,
    /// Automaton over glossary sources and aliases; `None` when empty.
    gloss_ac: Option<AhoCorasick>,
    /// Glossary entry index per automaton pattern.
    gloss_pattern_entry: Vec<usize>,
    /// Glossary entry index per overridden concept id (first entry wins).
    overrides: HashMap<&'a str, usize>,
    /// Keys (`c:<concept>`, `g:<entry id>`) already seen in the work.
    seen: HashSet<String>,
}

impl std::fmt::Debug for Adapter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter")
            .field("market", &self.market.region)
            .field("glossary", &self.glossary.len())
            .field("style", &self.style)
            .field("seen", &self.seen.len())
            .finish()
    }
}

impl<'a> Adapter<'a> {
    /// Builds an adapter. `concepts` maps concept id → concept, `renderings`
    /// concept id → all its renderings (the hub's `KbView` shapes);
    /// `glossary` holds the work's entries for the project's locale (the
    /// caller filters by locale). Never fails: a glossary whose automaton
    /// cannot be built (not expected for names) is logged and ignored.
    pub fn new(
        tagger: &'a Tagger,
        concepts: &'a BTreeMap<String, Concept>,
        renderings: &'a HashMap<String, Vec<Rendering>>,
        market: &'a Market,
        glossary: &'a [GlossaryEntry],
        style: GlossStyle,
    ) -> Self {
        let mut patterns: Vec<&str> = Vec::new();
        let mut pattern_entry = Vec::new();
        let mut taken: HashSet<&str> = HashSet::new();
        for (i, e) in glossary.iter().enumerate() {
            for s in std::iter::once(&e.source).chain(e.aliases.iter()) {
                let s = s.trim();
                if !s.is_empty() && taken.insert(s) {
                    patterns.push(s);
                    pattern_entry.push(i);
                }
            }
        }
        let gloss_ac = if patterns.is_empty() {
            None
        } else {
            match AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
            {
                Ok(ac) => Some(ac),
                Err(e) => {
                    tracing::error!("adapt: glossary automaton build failed: {e}");
                    None
                }
            }
        };
        let mut overrides = HashMap::new();
        for (i, e) in glossary.iter().enumerate() {
            if let Some(c) = e.concept.as_deref() {
                overrides.entry(c).or_insert(i);
            }
        }
        Adapter {
            tagger,
            concepts,
            renderings,
            market,
            glossary,
            style,
            gloss_ac,
            gloss_pattern_entry: pattern_entry,
            overrides,
            seen: HashSet::new(),
        }
    }

    /// Marks a concept or glossary entry as already seen (e.g. when resuming
    /// in the middle of a work: feed the earlier segments instead when
    /// possible). `key` is a concept id or `g:<glossary id>`.
    pub fn mark_seen(&mut self, key: &str) {
        if key.starts_with("g:") {
            self.seen.insert(key.to_string());
        } else {
            self.seen.insert(format!("c:{key}"));
        }
    }

    /// Hints for the next segment in reading order, sorted by `start`,
    /// non-overlapping. Updates the first-occurrence tracking, so call it
    /// exactly once per segment, in order.
    pub fn next_segment(&mut self, source: &str) -> Vec<TermHint> {
        // Byte offset → char offset.
        let mut char_at = vec![0usize; source.len() + 1];
        let mut n = 0;
        for (b, _) in source.char_indices() {
            char_at[b] = n;
            n += 1;
        }
        char_at[source.len()] = n;

        // (start, len, Found)
        let mut found: Vec<(usize, usize, Found)> = Vec::new();
        if let Some(ac) = &self.gloss_ac {
            for m in ac.find_iter(source) {
                let entry = self.gloss_pattern_entry[m.pattern().as_usize()];
                let (s, e) = (char_at[m.start()], char_at[m.end()]);
                found.push((s, e - s, Found::Glossary(entry)));
            }
        }
        for occ in self.tagger.tag(source) {
            let (s, e) = (occ.start, occ.start + occ.len);
            let overlaps = found
                .iter()
                .any(|&(fs, fl, ref f)| matches!(f, Found::Glossary(_)) && s < fs + fl && fs < e);
            if !overlaps {
                found.push((occ.start, occ.len, Found::Concept(occ.concept)));
            }
        }
        found.sort_by_key(|&(s, _, _)| s);

        let chars: Vec<char> = source.chars().collect();
        let mut out = Vec::with_capacity(found.len());
        for (start, len, f) in found {
            let source_text: String = chars[start..start + len].iter().collect();
            let hint = match f {
                Found::Glossary(i) => self.glossary_hint(i, start, len, source_text),
                Found::Concept(id) => match self.overrides.get(id.as_str()) {
                    Some(&i) => self.glossary_hint(i, start, len, source_text),
                    None => match self.concepts.get(&id) {
                        Some(c) => self.concept_hint(c, start, len, source_text),
                        None => continue,
                    },
                },
            };
            out.push(hint);
        }
        out
    }

    /// Records `key` as seen; returns whether it is the first occurrence.
    fn first(&mut self, key: String) -> bool {
        self.seen.insert(key)
    }

    fn concept_hint(
        &mut self,
        c: &Concept,
        start: usize,
        len: usize,
        source_text: String,
    ) -> TermHint {
        let all: &[Rendering] = self.renderings.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        let resolved = resolve(c, self.market, all);
        let mut r = resolved.rendering;
        let close = self.market.proximity == Proximity::Close;
        if resolved.fallback && close {
            r.gloss = None;
            if r.strategy == Strategy::TransliterateGloss {
                r.strategy = Strategy::Transliterate;
            }
        }
        let first = self.first(format!("c:{}", c.id));
        let plain = display(&r, false);
        let glossed = display(&r, true);
        let gloss_shown = first && glossed != plain;
        let fn_id = format!("fn-{}", c.id);
        let (text, footnote, footnote_id, how) = match (gloss_shown, self.style) {
            (true, GlossStyle::Inline) => (glossed, None, None, "first occurrence → gloss inline"),
            (true, GlossStyle::Footnote) => (
                format!("{plain}[^{fn_id}]"),
                r.gloss.as_ref().map(|g| format!("{plain}: {g}")),
                Some(fn_id),
                "first occurrence → gloss in a footnote",
            ),
            (false, _) if r.gloss.is_some() && r.strategy == Strategy::TransliterateGloss => (
                plain.clone(),
                None,
                None,
                if first {
                    "first occurrence, empty gloss → plain"
                } else {
                    "later occurrence → plain"
                },
            ),
            (false, _) if close => (plain.clone(), None, None, "close market → form as is"),
            (false, _) => (plain.clone(), None, None, ""),
        };
        let scope = match &r.market {
            Some(m) if !resolved.fallback => format!("{} in {m}", r.lang),
            _ => format!("{}, any market", r.lang),
        };
        let mut rule = if resolved.fallback {
            format!(
                "kb: fallback (no rule yet) for {} ({})",
                self.market.region,
                r.strategy.as_str()
            )
        } else {
            format!(
                "kb: explicit rendering for {scope} ({}, {})",
                r.strategy.as_str(),
                r.status.as_str()
            )
        };
        if !how.is_empty() {
            rule.push_str(", ");
            rule.push_str(how);
        }
        let locked = !resolved.fallback && r.status == Status::Reviewed;
        let required = [text.as_str(), plain.as_str()];
        let variants = concept_variants(c, &[], &required);
        TermHint {
            concept: Some(c.id.clone()),
            glossary: None,
            start,
            len,
            source_text,
            text,
            plain,
            strategy: r.strategy,
            gloss: r.gloss.clone(),
            first_occurrence: first,
            locked,
            forbidden: Vec::new(),
            rule,
            definition: c.definition.get(EN).cloned(),
            footnote,
            footnote_id,
            variants,
        }
    }

    fn glossary_hint(
        &mut self,
        i: usize,
        start: usize,
        len: usize,
        source_text: String,
    ) -> TermHint {
        let e = &self.glossary[i];
        let concept = e.concept.as_deref().and_then(|id| self.concepts.get(id));
        let key = match &e.concept {
            Some(c) => format!("c:{c}"),
            None => format!("g:{}", e.id),
        };
        let first = self.first(key);
        let strategy = match concept {
            Some(c) => {
                let all: &[Rendering] =
                    self.renderings.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
                resolve(c, self.market, all).rendering.strategy
            }
            None if e.target == e.source => Strategy::Keep,
            None if e.kind == GlossaryKind::Character => Strategy::Transliterate,
            None => Strategy::Translate,
        };
        let mut rule = format!("glossary: {}", e.kind.as_str());
        if e.locked {
            rule.push_str(", locked");
        }
        if let Some(c) = &e.concept {
            rule.push_str(&format!(", overrides kb concept {c}"));
        }
        let definition = if e.note.trim().is_empty() {
            concept.and_then(|c| c.definition.get(EN).cloned())
        } else {
            Some(e.note.clone())
        };
        let required = [e.target.as_str()];
        let variants = match concept {
            Some(c) => concept_variants(c, &e.forbidden, &required),
            None => dedup_forms(e.forbidden.iter().cloned(), &required),
        };
        TermHint {
            concept: e.concept.clone(),
            glossary: Some(e.id),
            start,
            len,
            source_text,
            text: e.target.clone(),
            plain: e.target.clone(),
            strategy,
            gloss: None,
            first_occurrence: first,
            locked: e.locked,
            forbidden: e.forbidden.clone(),
            rule,
            definition,
            footnote: None,
            footnote_id: None,
            variants,
        }
    }
}

enum Found {
    Glossary(usize),
    Concept(String),
}

/// The English labels and pinyin (with and without tones) of `c`, plus
/// `extra`, minus `required` and duplicates, longest first.
fn concept_variants(c: &Concept, extra: &[String], required: &[&str]) -> Vec<String> {
    let mut forms: Vec<String> = extra.to_vec();
    forms.extend(c.labels_in(EN).map(|l| l.text.clone()));
    for l in c.labels_in(PINYIN) {
        forms.push(l.text.clone());
        forms.push(strip_tones(&l.text));
    }
    dedup_forms(forms.into_iter(), required)
}

fn dedup_forms(forms: impl Iterator<Item = String>, required: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in forms {
        let f = f.trim().to_string();
        if !f.is_empty() && !required.contains(&f.as_str()) && !out.contains(&f) {
            out.push(f);
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.chars().count()));
    out
}

/// One replacement made by [`apply_required_terms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Index of the hint in the slice passed in.
    pub hint: usize,
    /// The text replaced (as it was in the target).
    pub from: String,
    /// The required text written instead.
    pub to: String,
    /// The hint's rule (why `to` is required).
    pub rule: String,
}

/// Makes `target` use the hints' required forms where it can map them.
///
/// For each hint, in order: when the target already contains the required
/// text ([`TermHint::text`]) nothing happens. Otherwise the first occurrence
/// of a known other form is replaced by it, trying in this order:
/// the required text in another letter case (ASCII case only), the plain
/// form (when the glossed or footnoted form is required), the forbidden
/// renderings, then [`TermHint::variants`] (English labels, pinyin with and
/// without tones), longer forms first. Latin-script forms only match on word
/// boundaries (`tea` never matches inside `teacher`); forms with Han
/// characters match anywhere. Text that maps to no known form is never
/// touched. Occurrences inside text already replaced for an earlier hint are
/// not touched either.
///
/// Returns the new target and the replacements, in order.
pub fn apply_required_terms(target: &str, hints: &[TermHint]) -> (String, Vec<Applied>) {
    let mut out = target.to_string();
    let mut applied = Vec::new();
    // Byte ranges of text written by earlier replacements.
    let mut protected: Vec<(usize, usize)> = Vec::new();
    for (hi, h) in hints.iter().enumerate() {
        if h.text.is_empty() || out.contains(&h.text) {
            continue;
        }
        let mut candidates: Vec<(&str, bool)> = vec![(h.text.as_str(), true)];
        if h.plain != h.text {
            candidates.push((h.plain.as_str(), false));
        }
        for f in h.forbidden.iter().chain(h.variants.iter()) {
            candidates.push((f.as_str(), false));
        }
        for (form, ci) in candidates {
            if form.is_empty() {
                continue;
            }
            let hit = find_form(&out, form, ci)
                .into_iter()
                .find(|&(s, e)| !protected.iter().any(|&(ps, pe)| s < pe && ps < e));
            if let Some((s, e)) = hit {
                let from = out[s..e].to_string();
                out.replace_range(s..e, &h.text);
                let delta = h.text.len() as isize - (e - s) as isize;
                for p in protected.iter_mut() {
                    if p.0 >= e {
                        p.0 = (p.0 as isize + delta) as usize;
                        p.1 = (p.1 as isize + delta) as usize;
                    }
                }
                protected.push((s, s + h.text.len()));
                applied.push(Applied {
                    hint: hi,
                    from,
                    to: h.text.clone(),
                    rule: h.rule.clone(),
                });
                break;
            }
        }
    }
    (out, applied)
}

/// The QA requirements of `hints`, one per hint with the same source and
/// required text merged: `required` is `[text]` (the glossed form on a first
/// occurrence), `forbidden` the hint's forbidden renderings, `locked` as the
/// hint.
pub fn requirements(hints: &[TermHint]) -> Vec<TermRequirement> {
    let mut out: Vec<TermRequirement> = Vec::new();
    for h in hints {
        let req = TermRequirement {
            source: h.source_text.clone(),
            required: vec![h.text.clone()],
            forbidden: h.forbidden.clone(),
            locked: h.locked,
        };
        if !out.contains(&req) {
            out.push(req);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn hint(text: &str, plain: &str, variants: &[&str], forbidden: &[&str]) -> TermHint {
        TermHint {
            concept: None,
            glossary: None,
            start: 0,
            len: 2,
            source_text: "江湖".into(),
            text: text.into(),
            plain: plain.into(),
            strategy: Strategy::TransliterateGloss,
            gloss: None,
            first_occurrence: true,
            locked: false,
            forbidden: forbidden.iter().map(|s| s.to_string()).collect(),
            rule: "test".into(),
            definition: None,
            footnote: None,
            footnote_id: None,
            variants: variants.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn replaces_only_mapped_forms_on_word_boundaries() {
        let h = hint(
            "jianghu (the martial world)",
            "jianghu",
            &["jiānghú", "rivers and lakes"],
            &["martial world"],
        );
        let (t, a) = apply_required_terms("He left the jianghu.", std::slice::from_ref(&h));
        assert_eq!(t, "He left the jianghu (the martial world).");
        assert_eq!(a[0].from, "jianghu");
        let (t, _) = apply_required_terms("He roamed the jiānghú.", std::slice::from_ref(&h));
        assert_eq!(t, "He roamed the jianghu (the martial world).");
        // Nothing known: untouched.
        let (t, a) = apply_required_terms("He left the world.", std::slice::from_ref(&h));
        assert_eq!((t.as_str(), a.len()), ("He left the world.", 0));
        // Word boundaries.
        let tea = hint("cha", "cha", &["tea"], &[]);
        let (t, a) = apply_required_terms("The teacher drank tea.", &[tea]);
        assert_eq!(t, "The teacher drank cha.");
        assert_eq!(a.len(), 1);
        // Already right: untouched.
        let (t, a) = apply_required_terms("the jianghu (the martial world) and jianghu", &[h]);
        assert_eq!(t, "the jianghu (the martial world) and jianghu");
        assert!(a.is_empty());
    }

    #[test]
    fn case_fix_and_protection_of_earlier_replacements() {
        let a = hint("West Lake", "West Lake", &["Xihu"], &[]);
        let b = hint("Lake", "Lake", &["lake"], &[]);
        let (t, ap) = apply_required_terms("by the west lake", &[a, b]);
        assert_eq!(t, "by the West Lake");
        assert_eq!(ap.len(), 1);
    }
}
