//! Cultural adaptation: the per-segment termbase view and the market rules.
//!
//! [`Termbase::hints`] finds the terms of a source segment — per-work
//! glossary entries (source and aliases, longest first) and knowledge-base
//! concepts (`qiantang_kb::Tagger`) — and gives each its required rendering
//! for the project's market and **the rule that produced it**:
//!
//! * `glossary: locked` / `glossary` — a per-work glossary entry (wins over
//!   the KB where spans overlap);
//! * `kb:explicit {REGION}` — a KB rendering narrowed to the market;
//! * `kb:explicit {lang}` — a KB rendering for the market's language;
//! * `kb:fallback` — no rule on file; `qiantang_kb::render::resolve`'s
//!   fallback (Han form for Chinese-reading and Japanese markets, toneless
//!   pinyin glossed with the English label elsewhere).
//!
//! [`Adapter`] walks a work's segments in reading order and decides the text
//! to use: for strategies that gloss (`transliterate_gloss` with a gloss) the
//! **first occurrence in the work** gets the gloss — inline
//! (`render::display(r, true)`, "Jigong (the mad monk of Hangzhou)") or as a
//! footnote, per [`GlossStyle`] — and later occurrences the plain form; every
//! other strategy (close markets' Sino-Xenic forms such as vi *Tế Công*,
//! translations such as "West Lake") uses the rendering text as is.
//!
//! [`apply_required_terms`] enforces those texts on a machine translation:
//! when the target lacks the required text but contains a known
//! alternative (another strategy's or market's rendering of the concept, the
//! plain form where a gloss is due, the English label, pinyin, a glossary
//! entry's forbidden renderings), it replaces the alternative and records
//! which rule produced which text.

use crate::model::{GlossStyle, GlossaryEntry};
use qiantang_kb::render::{resolve, strip_tones};
use qiantang_kb::{Concept, Market, Rendering, Strategy, Tagger, EN, PINYIN};
use std::collections::{HashMap, HashSet};

/// One term found in a segment's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermHint {
    /// KB concept id, for KB terms.
    pub concept: Option<String>,
    /// Glossary entry id, for glossary terms.
    pub glossary: Option<i64>,
    /// `(start, end)` in source characters.
    pub span: (usize, usize),
    /// The source text at the span.
    pub source_text: String,
    /// Required rendering in running text (without gloss).
    pub rendering: String,
    /// Strategy (KB terms; glossary terms have none).
    pub strategy: Option<Strategy>,
    /// Gloss for first occurrences, when the strategy glosses.
    pub gloss: Option<String>,
    /// Rule that produced the rendering (see the module docs).
    pub rule: String,
    /// Definition (KB: in the market's language, else English) or glossary note.
    pub definition: Option<String>,
    /// Locked glossary entry (must appear exactly).
    pub locked: bool,
    /// Known wrong or other renderings that [`apply_required_terms`] may replace.
    pub alternatives: Vec<String>,
}

/// The termbase of a project: the KB for one market plus the work's glossary.
#[derive(Debug, Clone, Copy)]
pub struct Termbase<'a> {
    /// KB concepts.
    pub concepts: &'a [Concept],
    /// KB rendering rules.
    pub renderings: &'a [Rendering],
    /// The project's market.
    pub market: &'a Market,
    /// Tagger built over `concepts`.
    pub tagger: &'a Tagger,
    /// The work's glossary for the project's locale.
    pub glossary: &'a [GlossaryEntry],
}

impl Termbase<'_> {
    /// The terms of `source` in reading order, glossary first where spans
    /// overlap (see the module docs).
    pub fn hints(&self, source: &str) -> Vec<TermHint> {
        let chars: Vec<char> = source.chars().collect();
        let mut taken = vec![false; chars.len()];
        let mut out = Vec::new();
        // Glossary: every form, longest first, non-overlapping.
        let mut forms: Vec<(&str, &GlossaryEntry)> = Vec::new();
        for e in self.glossary {
            forms.push((e.source.as_str(), e));
            forms.extend(e.aliases.iter().map(|a| (a.as_str(), e)));
        }
        forms.retain(|(f, _)| !f.is_empty());
        forms.sort_by_key(|(f, _)| std::cmp::Reverse(f.chars().count()));
        for (form, e) in forms {
            let f: Vec<char> = form.chars().collect();
            let mut i = 0;
            while i + f.len() <= chars.len() {
                if chars[i..i + f.len()] == f[..] && !taken[i..i + f.len()].iter().any(|&t| t) {
                    taken[i..i + f.len()].iter_mut().for_each(|t| *t = true);
                    out.push(TermHint {
                        concept: e.concept.clone(),
                        glossary: Some(e.id),
                        span: (i, i + f.len()),
                        source_text: form.to_string(),
                        rendering: e.target.clone(),
                        strategy: None,
                        gloss: None,
                        rule: if e.locked {
                            "glossary: locked".into()
                        } else {
                            "glossary".into()
                        },
                        definition: (!e.note.is_empty()).then(|| e.note.clone()),
                        locked: e.locked,
                        alternatives: e.forbidden.clone(),
                    });
                    i += f.len();
                } else {
                    i += 1;
                }
            }
        }
        let by_id: HashMap<&str, &Concept> =
            self.concepts.iter().map(|c| (c.id.as_str(), c)).collect();
        let lang = self.market.primary_language();
        for occ in self.tagger.tag(source) {
            let (s, e) = (occ.start, occ.start + occ.len);
            if e > chars.len() || taken[s..e].iter().any(|&t| t) {
                continue;
            }
            let Some(c) = by_id.get(occ.concept.as_str()) else {
                continue;
            };
            let mine: Vec<Rendering> = self
                .renderings
                .iter()
                .filter(|r| r.concept == c.id)
                .cloned()
                .collect();
            let res = resolve(c, self.market, &mine);
            let r = &res.rendering;
            let rule = if res.fallback {
                "kb:fallback".to_string()
            } else if let Some(m) = &r.market {
                format!("kb:explicit {m}")
            } else {
                format!("kb:explicit {lang}")
            };
            let mut alternatives: Vec<String> = mine
                .iter()
                .filter(|o| o.lang == lang && o.text != r.text)
                .map(|o| o.text.clone())
                .collect();
            if let Some(en) = c.pref_label(EN) {
                alternatives.push(en.to_string());
            }
            if let Some(p) = c.pref_label(PINYIN) {
                alternatives.push(strip_tones(p));
                alternatives.push(p.to_string());
            }
            alternatives.retain(|a| a != &r.text && !a.is_empty());
            alternatives.sort();
            alternatives.dedup();
            out.push(TermHint {
                concept: Some(c.id.clone()),
                glossary: None,
                span: (s, e),
                source_text: chars[s..e].iter().collect(),
                rendering: r.text.clone(),
                strategy: Some(r.strategy),
                gloss: r
                    .gloss
                    .clone()
                    .filter(|g| !g.is_empty() && r.strategy == Strategy::TransliterateGloss),
                rule,
                definition: c
                    .definition
                    .get(lang)
                    .or_else(|| c.definition.get(EN))
                    .cloned(),
                locked: false,
                alternatives,
            });
        }
        out.sort_by_key(|h| h.span);
        out
    }
}

/// The text to use for one term of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdaptedTerm {
    /// The hint it comes from.
    pub hint: TermHint,
    /// Text to put in the target (with an inline gloss on a first occurrence).
    pub text: String,
    /// First occurrence of this term in the work.
    pub first_occurrence: bool,
    /// Footnote `(id, text)` when the gloss goes to a footnote.
    pub footnote: Option<(String, String)>,
    /// Rule, e.g. `kb:explicit en; first occurrence, inline gloss`.
    pub rule: String,
}

/// Walks a work's segments in reading order and applies the market rules
/// (see the module docs). Keep one per work × project.
#[derive(Debug)]
pub struct Adapter<'a> {
    termbase: Termbase<'a>,
    style: GlossStyle,
    seen: HashSet<String>,
    notes: usize,
}

impl<'a> Adapter<'a> {
    /// A new adapter; nothing seen yet.
    pub fn new(termbase: Termbase<'a>, style: GlossStyle) -> Self {
        Adapter {
            termbase,
            style,
            seen: HashSet::new(),
            notes: 0,
        }
    }

    /// The terms of the next segment in reading order with the text to use.
    pub fn segment(&mut self, source: &str) -> Vec<AdaptedTerm> {
        self.termbase
            .hints(source)
            .into_iter()
            .map(|h| {
                let key = h
                    .concept
                    .clone()
                    .or_else(|| h.glossary.map(|g| format!("glossary:{g}")))
                    .unwrap_or_else(|| h.source_text.clone());
                let first = self.seen.insert(key);
                let (text, footnote, rule) = match (&h.gloss, first, self.style) {
                    (Some(g), true, GlossStyle::Inline) => (
                        format!("{} ({g})", h.rendering),
                        None,
                        format!("{}; first occurrence, inline gloss", h.rule),
                    ),
                    (Some(g), true, GlossStyle::Footnote) => {
                        self.notes += 1;
                        (
                            h.rendering.clone(),
                            Some((format!("fn{}", self.notes), format!("{}: {g}", h.rendering))),
                            format!("{}; first occurrence, footnote", h.rule),
                        )
                    }
                    (Some(_), false, _) => (
                        h.rendering.clone(),
                        None,
                        format!("{}; plain after first occurrence", h.rule),
                    ),
                    (None, _, _) => (h.rendering.clone(), None, h.rule.clone()),
                };
                AdaptedTerm {
                    hint: h,
                    text,
                    first_occurrence: first,
                    footnote,
                    rule,
                }
            })
            .collect()
    }
}

/// One replacement made by [`apply_required_terms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Source term.
    pub source_text: String,
    /// Text replaced in the target.
    pub replaced: String,
    /// Text put instead.
    pub text: String,
    /// Rule that required it.
    pub rule: String,
}

/// Forces the required term texts into a target: for each term whose text
/// is absent, the first known alternative found (longest first; for a
/// glossed first occurrence also the plain rendering) is replaced by it.
/// Terms with neither the text nor an alternative are left for QA
/// ([`crate::qa::CheckId::TermMissing`]).
pub fn apply_required_terms(target: &str, terms: &[AdaptedTerm]) -> (String, Vec<Applied>) {
    let mut out = target.to_string();
    let mut applied = Vec::new();
    for t in terms {
        if out.contains(&t.text) {
            continue;
        }
        let mut alts: Vec<&str> = t.hint.alternatives.iter().map(String::as_str).collect();
        if t.text != t.hint.rendering {
            alts.push(&t.hint.rendering);
        }
        alts.sort_by_key(|a| std::cmp::Reverse(a.chars().count()));
        for alt in alts {
            if alt.is_empty() {
                continue;
            }
            if let Some(i) = out.find(alt) {
                out.replace_range(i..i + alt.len(), &t.text);
                applied.push(Applied {
                    source_text: t.hint.source_text.clone(),
                    replaced: alt.to_string(),
                    text: t.text.clone(),
                    rule: t.rule.clone(),
                });
                break;
            }
        }
    }
    (out, applied)
}
