//! LibreTranslate: `POST {base_url}/translate` with `{"q":[…],"source":"zh","target":"en",
//! "format":"text","api_key":…}` → `{"translatedText":[…]}` (LibreTranslate API docs,
//! "API usage"). It has no glossary, so locked terms are replaced by placeholders
//! `[[T1]]`, `[[T2]]` … before sending and restored afterwards; a reply that lost, duplicated
//! or invented a placeholder is refused (retried, then split, then a per-segment failure).

use serde_json::{json, Value};

use crate::batch::{self, Outcome};
use crate::config::{check_common, resolve_key};
use crate::http::HttpClient;
use crate::{
    lang, LibreTranslateConfig, MtBackend, MtError, MtRequest, MtResponse, MtSegment, MtTerm,
    Secret, Usage,
};

/// The LibreTranslate backend. Build it with [`crate::build_backend`] or [`LibreTranslateBackend::new`].
pub struct LibreTranslateBackend {
    cfg: LibreTranslateConfig,
    key: Option<Secret>,
    http: HttpClient,
}

/// LibreTranslate language code for a BCP 47 tag: `zh`/`zh-Hans` → `zh`, Traditional Chinese
/// → `zt` (LibreTranslate's code for it), otherwise the primary subtag (`vi`).
pub fn libre_lang(tag: &str) -> String {
    match lang::chinese_traditional(tag) {
        Some(true) => "zt".into(),
        Some(false) => "zh".into(),
        None => lang::primary(tag),
    }
}

/// A segment with its locked terms replaced by placeholders.
pub(crate) struct Protected {
    pub(crate) text: String,
    /// `(placeholder, rendering)` in order of appearance.
    pub(crate) slots: Vec<(String, String)>,
}

/// Replaces every occurrence of a term's source in `text` by a numbered placeholder, longest
/// term first at each position (leftmost-longest), so `筑基期` wins over `筑基`.
pub(crate) fn protect(text: &str, terms: &[&MtTerm]) -> Protected {
    let mut out = String::new();
    let mut slots = Vec::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        let mut best: Option<&MtTerm> = None;
        for t in terms {
            if !t.source.is_empty()
                && rest.starts_with(t.source.as_str())
                && best.is_none_or(|b| t.source.len() > b.source.len())
            {
                best = Some(t);
            }
        }
        if let Some(t) = best {
            let ph = format!("[[T{}]]", slots.len() + 1);
            out.push_str(&ph);
            slots.push((ph, t.target.clone()));
            rest = &rest[t.source.len()..];
            continue 'outer;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    Protected { text: out, slots }
}

/// Puts the renderings back. Errors: `BadReply` when a placeholder is missing or repeated, or
/// an unknown one appears.
pub(crate) fn restore(translated: &str, p: &Protected, id: u32) -> Result<String, MtError> {
    let mut out = translated.to_string();
    for (ph, target) in &p.slots {
        let n = out.matches(ph.as_str()).count();
        if n != 1 {
            return Err(MtError::BadReply {
                reason: format!("placeholder {ph} appears {n} times in the translation of id {id}"),
            });
        }
        out = out.replacen(ph.as_str(), target, 1);
    }
    if out.contains("[[T") {
        return Err(MtError::BadReply {
            reason: format!("unknown placeholder in the translation of id {id}"),
        });
    }
    Ok(out)
}

impl LibreTranslateBackend {
    /// Checks `cfg` and resolves the key. Errors: `Config`.
    pub fn new(cfg: &LibreTranslateConfig) -> Result<Self, MtError> {
        check_common(
            &cfg.base_url,
            cfg.max_batch_chars,
            cfg.max_batch_segments,
            &cfg.http,
        )?;
        Ok(LibreTranslateBackend {
            key: resolve_key(&cfg.api_key, &cfg.api_key_env)?,
            http: HttpClient::new("libretranslate", &cfg.http)?,
            cfg: cfg.clone(),
        })
    }

    fn call(
        &self,
        req: &MtRequest,
        batch: &[&MtSegment],
        usage: &mut Usage,
    ) -> Result<Vec<(u32, String)>, MtError> {
        let texts: Vec<&str> = batch.iter().map(|s| s.text.as_str()).collect();
        let terms = batch::terms_in(&req.terms, &texts);
        let protected: Vec<Protected> = texts.iter().map(|t| protect(t, &terms)).collect();
        let q: Vec<&str> = protected.iter().map(|p| p.text.as_str()).collect();
        let mut body = json!({
            "q": q,
            "source": libre_lang(&req.source_lang),
            "target": libre_lang(&req.target_lang),
            "format": "text",
        });
        if let (Some(k), Some(obj)) = (&self.key, body.as_object_mut()) {
            obj.insert("api_key".into(), json!(k.expose()));
        }
        usage.characters_billed += q.iter().map(|t| t.chars().count() as u64).sum::<u64>();
        let url = format!("{}/translate", self.cfg.base_url.trim_end_matches('/'));
        let text = self.http.post_json(&url, &[], &body, usage)?;
        let v: Value = serde_json::from_str(&text).map_err(|e| MtError::BadReply {
            reason: format!("reply is not JSON: {e}"),
        })?;
        let items: Vec<&str> = match v.get("translatedText") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => {
                return Err(MtError::BadReply {
                    reason: "no translatedText".into(),
                })
            }
        };
        if items.len() != batch.len() {
            return Err(MtError::Misaligned {
                ids: batch.iter().map(|s| s.id).collect(),
            });
        }
        let mut reply = Vec::with_capacity(items.len());
        for ((s, p), t) in batch.iter().zip(&protected).zip(items) {
            reply.push((s.id, restore(t, p, s.id)?));
        }
        batch::align(batch, reply)
    }
}

impl MtBackend for LibreTranslateBackend {
    fn name(&self) -> &str {
        "libretranslate"
    }

    fn model(&self) -> Option<&str> {
        None
    }

    fn translate(&self, req: &MtRequest) -> Result<MtResponse, MtError> {
        batch::validate(req)?;
        let mut out = Outcome::default();
        for chunk in batch::chunks(
            &req.segments,
            self.cfg.max_batch_chars,
            self.cfg.max_batch_segments,
        ) {
            batch::adaptive("libretranslate", &chunk, 1, &mut out, &mut |b, usage| {
                self.call(req, b, usage)
            })?;
        }
        batch::in_request_order(&req.segments, &mut out);
        Ok(MtResponse {
            translations: out.done,
            failures: out.failures,
            usage: out.usage,
            backend: "libretranslate".into(),
            model: None,
            cached: false,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn term(s: &str, t: &str) -> MtTerm {
        MtTerm {
            source: s.into(),
            target: t.into(),
            definition: None,
            note: None,
        }
    }

    #[test]
    fn protect_and_restore_longest_first() {
        let a = term("筑基", "Foundation Establishment");
        let b = term("筑基期", "Foundation Establishment stage");
        let p = protect("他到了筑基期，筑基不易", &[&a, &b]);
        assert_eq!(p.text, "他到了[[T1]]，[[T2]]不易");
        let r = restore("He reached [[T1]]; [[T2]] is hard", &p, 1).unwrap();
        assert_eq!(
            r,
            "He reached Foundation Establishment stage; Foundation Establishment is hard"
        );
        assert!(restore("He reached [[T1]]; it is hard", &p, 1).is_err());
        assert!(restore("[[T1]] [[T1]] [[T2]]", &p, 1).is_err());
        assert!(restore("[[T1]] [[T2]] [[T3]]", &p, 1).is_err());
    }

    #[test]
    fn codes() {
        assert_eq!(libre_lang("zh-Hans"), "zh");
        assert_eq!(libre_lang("zh-Hant-TW"), "zt");
        assert_eq!(libre_lang("vi"), "vi");
    }
}
