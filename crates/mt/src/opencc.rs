//! Local Simplified → Traditional conversion with the OpenCC dictionaries (Apache-2.0,
//! vendored under `data/`, see `data/PROVENANCE.md`), following OpenCC's own configurations:
//!
//! - `zh-Hant-TW` (and `zh-TW`): `s2twp` — segment with STPhrases (forward maximum match), then
//!   per segment STPhrases+STCharacters, then TWPhrases (Taiwan vocabulary), then TWVariants.
//! - `zh-Hant-HK` (`zh-HK`, `zh-MO`): `s2hk` — STPhrases+STCharacters, then HKVariants.
//! - `zh-Hant`: `s2t` — STPhrases+STCharacters.
//!
//! Each step is a longest match within the segment; a dictionary entry with several values
//! uses the first (OpenCC's rule). Locked terms whose source occurs in a segment are written
//! as their target verbatim and not converted.
//!
//! Why not the `ferrous-opencc` crate: it pulls `rkyv`, `fst`, `phf` and a build script that
//! compiles the dictionaries, and exports `unsafe extern "C"` functions; the conversion itself
//! is ~100 lines here over the same data files.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::batch;
use crate::{lang, MtBackend, MtError, MtRequest, MtResponse, MtTerm, Usage};

struct Dict {
    map: HashMap<&'static str, &'static str>,
    /// Longest key, in characters.
    max_chars: usize,
}

impl Dict {
    /// Parses an OpenCC text dictionary: `key<TAB>value [value…]`, `#` comments.
    fn parse(src: &'static str) -> Dict {
        let mut map = HashMap::new();
        let mut max_chars = 0;
        for line in src.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some((k, v)) = line.split_once('\t') else {
                continue;
            };
            let Some(first) = v.split_whitespace().next() else {
                continue;
            };
            max_chars = max_chars.max(k.chars().count());
            map.insert(k, first);
        }
        Dict { map, max_chars }
    }
}

static ST_PHRASES: LazyLock<Dict> =
    LazyLock::new(|| Dict::parse(include_str!("../data/STPhrases.txt")));
static ST_CHARACTERS: LazyLock<Dict> =
    LazyLock::new(|| Dict::parse(include_str!("../data/STCharacters.txt")));
static TW_PHRASES: LazyLock<Dict> =
    LazyLock::new(|| Dict::parse(include_str!("../data/TWPhrases.txt")));
static TW_VARIANTS: LazyLock<Dict> =
    LazyLock::new(|| Dict::parse(include_str!("../data/TWVariants.txt")));
static HK_VARIANTS: LazyLock<Dict> =
    LazyLock::new(|| Dict::parse(include_str!("../data/HKVariants.txt")));

/// Which OpenCC configuration to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `s2t`: OpenCC standard Traditional.
    Traditional,
    /// `s2twp`: Taiwan standard with Taiwan phrases.
    Taiwan,
    /// `s2hk`: Hong Kong variants.
    HongKong,
}

impl Variant {
    /// The variant for a target tag, or `None` when the tag is not Traditional Chinese.
    pub fn for_target(tag: &str) -> Option<Variant> {
        if lang::chinese_traditional(tag) != Some(true) {
            return None;
        }
        let rest = lang::rest(tag);
        if rest.iter().any(|s| s == "tw") {
            Some(Variant::Taiwan)
        } else if rest.iter().any(|s| s == "hk" || s == "mo") {
            Some(Variant::HongKong)
        } else {
            Some(Variant::Traditional)
        }
    }
}

/// Longest match over `dicts` at each position of `s` (ties go to the earlier dictionary);
/// characters without an entry are copied.
fn max_match(s: &str, dicts: &[&Dict]) -> String {
    let max = dicts.iter().map(|d| d.max_chars).max().unwrap_or(1).max(1);
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let n = bounds.len() - 1;
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    let mut i = 0;
    while i < n {
        let mut hit = None;
        'len: for len in (1..=max.min(n - i)).rev() {
            let key = &s[bounds[i]..bounds[i + len]];
            for d in dicts {
                if let Some(v) = d.map.get(key) {
                    hit = Some((len, *v));
                    break 'len;
                }
            }
        }
        match hit {
            Some((len, v)) => {
                out.push_str(v);
                i += len;
            }
            None => {
                out.push_str(&s[bounds[i]..bounds[i + 1]]);
                i += 1;
            }
        }
    }
    out
}

/// Cuts `s` into segments by forward maximum match over STPhrases (OpenCC's
/// `MaxMatchSegmentation`): a phrase is a segment, and each run of characters outside any
/// phrase is one segment, so later steps (TWPhrases) can still match across such a run.
fn segment(s: &str) -> Vec<&str> {
    let d = &*ST_PHRASES;
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let n = bounds.len() - 1;
    let mut out = Vec::new();
    let mut run_start = 0;
    let mut i = 0;
    while i < n {
        let matched = (1..=d.max_chars.min(n - i))
            .rev()
            .find(|&l| d.map.contains_key(&s[bounds[i]..bounds[i + l]]));
        match matched {
            Some(len) => {
                if run_start < i {
                    out.push(&s[bounds[run_start]..bounds[i]]);
                }
                out.push(&s[bounds[i]..bounds[i + len]]);
                i += len;
                run_start = i;
            }
            None => i += 1,
        }
    }
    if run_start < n {
        out.push(&s[bounds[run_start]..bounds[n]]);
    }
    out
}

/// Converts Simplified Chinese `text` to Traditional in `variant`.
pub fn convert(text: &str, variant: Variant) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for seg in segment(text) {
        let mut s = max_match(seg, &[&ST_PHRASES, &ST_CHARACTERS]);
        match variant {
            Variant::Traditional => {}
            Variant::Taiwan => {
                s = max_match(&s, &[&TW_PHRASES]);
                s = max_match(&s, &[&TW_VARIANTS]);
            }
            Variant::HongKong => s = max_match(&s, &[&HK_VARIANTS]),
        }
        out.push_str(&s);
    }
    out
}

/// Converts `text`, writing locked terms (leftmost-longest) as their target verbatim.
fn convert_with_terms(text: &str, variant: Variant, terms: &[&MtTerm]) -> String {
    if terms.is_empty() {
        return convert(text, variant);
    }
    let mut out = String::new();
    let mut run_start = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let best = terms
            .iter()
            .filter(|t| !t.source.is_empty() && rest.starts_with(t.source.as_str()))
            .max_by_key(|t| t.source.len());
        if let Some(t) = best {
            out.push_str(&convert(&text[run_start..i], variant));
            out.push_str(&t.target);
            i += t.source.len();
            run_start = i;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&convert(&text[run_start..], variant));
    out
}

/// The local OpenCC backend: `zh`/`zh-Hans` → `zh-Hant`, `zh-Hant-TW`, `zh-Hant-HK`. No
/// network, no cost (usage stays zero).
#[derive(Debug, Default)]
pub struct OpenCcBackend;

impl OpenCcBackend {
    /// The backend (dictionaries load on first use, a few tens of milliseconds).
    pub fn new() -> Self {
        OpenCcBackend
    }
}

impl MtBackend for OpenCcBackend {
    fn name(&self) -> &str {
        "opencc"
    }

    fn model(&self) -> Option<&str> {
        None
    }

    fn translate(&self, req: &MtRequest) -> Result<MtResponse, MtError> {
        batch::validate(req)?;
        let variant = match (
            lang::chinese_traditional(&req.source_lang),
            Variant::for_target(&req.target_lang),
        ) {
            (Some(false), Some(v)) => v,
            _ => {
                return Err(MtError::UnsupportedPair {
                    backend: "opencc".into(),
                    source_lang: req.source_lang.clone(),
                    target_lang: req.target_lang.clone(),
                })
            }
        };
        let translations = req
            .segments
            .iter()
            .map(|s| {
                let terms = batch::terms_in(&req.terms, &[s.text.as_str()]);
                (s.id, convert_with_terms(&s.text, variant, &terms))
            })
            .collect();
        Ok(MtResponse {
            translations,
            failures: Vec::new(),
            usage: Usage::default(),
            backend: "opencc".into(),
            model: None,
            cached: false,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn phrases_decide_ambiguous_characters() {
        assert_eq!(convert("头发", Variant::Traditional), "頭髮");
        assert_eq!(convert("发现", Variant::Traditional), "發現");
        assert_eq!(convert("这里", Variant::Taiwan), "這裡");
        assert_eq!(convert("这里", Variant::Traditional), "這裏");
        assert_eq!(convert("软件", Variant::Taiwan), "軟體");
    }
}
