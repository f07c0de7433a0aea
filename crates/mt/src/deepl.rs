//! The DeepL API: `POST {base_url}/v2/translate` (JSON body, `Authorization: DeepL-Auth-Key …`)
//! and glossaries created with `POST {base_url}/v3/glossaries` (one dictionary, TSV entries)
//! for the terms of each batch, cached by a hash of the term set.
//!
//! Request and reply shapes follow DeepL's API reference ("Translate text", "Glossaries"):
//! `{"text":[…],"source_lang":"ZH","target_lang":"EN-US","glossary_id":…,"context":…,
//! "show_billed_characters":true}` → `{"translations":[{"detected_source_language":"ZH",
//! "text":"…","billed_characters":N}]}`; HTTP 429 is "too many requests", 456 "quota exceeded".

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::batch::{self, Outcome};
use crate::config::{check_common, resolve_key};
use crate::http::HttpClient;
use crate::{
    lang, DeeplConfig, MtBackend, MtError, MtRequest, MtResponse, MtSegment, MtTerm, Secret, Usage,
};

/// The DeepL backend. Build it with [`crate::build_backend`] or [`DeeplBackend::new`].
pub struct DeeplBackend {
    cfg: DeeplConfig,
    auth: String,
    http: HttpClient,
    /// term-set hash → glossary_id
    glossaries: Mutex<HashMap<String, String>>,
}

/// DeepL `source_lang` for a BCP 47 tag: the primary subtag, upper-cased (`zh-Hans` → `ZH`).
pub fn deepl_source_lang(tag: &str) -> String {
    lang::primary(tag).to_ascii_uppercase()
}

/// DeepL `target_lang` for a BCP 47 tag. English and Portuguese need a variant (`en` →
/// `EN-US`, `en-GB` → `EN-GB`, `pt` → `PT-BR`, `pt-PT` → `PT-PT`); Chinese maps to `ZH-HANS`
/// or `ZH-HANT` by script; other languages to their primary subtag (`vi` → `VI`).
pub fn deepl_target_lang(tag: &str) -> String {
    let p = lang::primary(tag);
    let rest = lang::rest(tag);
    let has = |s: &str| rest.iter().any(|r| r == s);
    match p.as_str() {
        "en" if has("gb") => "EN-GB".into(),
        "en" => "EN-US".into(),
        "pt" if has("pt") => "PT-PT".into(),
        "pt" => "PT-BR".into(),
        "zh" => match lang::chinese_traditional(tag) {
            Some(true) => "ZH-HANT".into(),
            _ => "ZH-HANS".into(),
        },
        _ => p.to_ascii_uppercase(),
    }
}

impl DeeplBackend {
    /// Checks `cfg` and resolves the key. Errors: `Config` (bad URL, zero limits, no key).
    pub fn new(cfg: &DeeplConfig) -> Result<Self, MtError> {
        check_common(
            &cfg.base_url,
            cfg.max_batch_chars,
            cfg.max_batch_segments,
            &cfg.http,
        )?;
        let key: Secret = resolve_key(&cfg.api_key, &cfg.api_key_env)?
            .ok_or_else(|| MtError::Config("DeepL needs api_key or api_key_env".into()))?;
        Ok(DeeplBackend {
            auth: format!("DeepL-Auth-Key {}", key.expose()),
            http: HttpClient::new("deepl", &cfg.http)?,
            cfg: cfg.clone(),
            glossaries: Mutex::new(HashMap::new()),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.cfg.base_url.trim_end_matches('/'), path)
    }

    /// The glossary for `terms` (creating it once per term set). Terms with tabs or newlines
    /// cannot be TSV entries and are left out (logged).
    fn glossary_for(
        &self,
        req: &MtRequest,
        terms: &[&MtTerm],
        usage: &mut Usage,
    ) -> Result<Option<String>, MtError> {
        let clean = |s: &str| !s.is_empty() && !s.contains(['\t', '\n', '\r']);
        let mut entries: Vec<(&str, &str)> = Vec::new();
        for t in terms {
            if clean(&t.source) && clean(&t.target) {
                entries.push((t.source.as_str(), t.target.as_str()));
            } else {
                tracing::warn!(term = %t.source, "term not usable in a DeepL glossary; skipped");
            }
        }
        if entries.is_empty() {
            return Ok(None);
        }
        entries.sort_unstable();
        let src = lang::primary(&req.source_lang);
        let tgt = lang::primary(&req.target_lang);
        let tsv: String = entries
            .iter()
            .map(|(s, t)| format!("{s}\t{t}"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut h = Sha256::new();
        h.update(format!("{src}\n{tgt}\n{tsv}").as_bytes());
        let hash = hex::encode(h.finalize());
        if let Some(id) = self
            .glossaries
            .lock()
            .ok()
            .and_then(|g| g.get(&hash).cloned())
        {
            return Ok(Some(id));
        }
        let body = json!({
            "name": format!("qiantang-{}", &hash[..16]),
            "dictionaries": [{
                "source_lang": src,
                "target_lang": tgt,
                "entries": tsv,
                "entries_format": "tsv",
            }],
        });
        let text = self.http.post_json(
            &self.url("/v3/glossaries"),
            &[("Authorization", self.auth.as_str())],
            &body,
            usage,
        )?;
        let v: Value = serde_json::from_str(&text).map_err(|e| MtError::BadReply {
            reason: format!("glossary reply is not JSON: {e}"),
        })?;
        let id = v
            .get("glossary_id")
            .and_then(Value::as_str)
            .ok_or_else(|| MtError::BadReply {
                reason: "glossary reply without glossary_id".into(),
            })?
            .to_string();
        tracing::info!(glossary_id = %id, entries = entries.len(), "DeepL glossary created");
        if let Ok(mut g) = self.glossaries.lock() {
            g.insert(hash, id.clone());
        }
        Ok(Some(id))
    }

    fn call(
        &self,
        req: &MtRequest,
        context: &str,
        batch: &[&MtSegment],
        usage: &mut Usage,
    ) -> Result<Vec<(u32, String)>, MtError> {
        let texts: Vec<&str> = batch.iter().map(|s| s.text.as_str()).collect();
        let terms = batch::terms_in(&req.terms, &texts);
        let glossary = self.glossary_for(req, &terms, usage)?;
        let mut body = json!({
            "text": texts,
            "source_lang": deepl_source_lang(&req.source_lang),
            "target_lang": deepl_target_lang(&req.target_lang),
            "show_billed_characters": true,
        });
        if let Some(obj) = body.as_object_mut() {
            if let Some(g) = glossary {
                obj.insert("glossary_id".into(), json!(g));
            }
            if !context.is_empty() {
                obj.insert("context".into(), json!(context));
            }
            if let Some(m) = &self.cfg.model_type {
                obj.insert("model_type".into(), json!(m));
            }
        }
        let text = self.http.post_json(
            &self.url("/v2/translate"),
            &[("Authorization", self.auth.as_str())],
            &body,
            usage,
        )?;
        let v: Value = serde_json::from_str(&text).map_err(|e| MtError::BadReply {
            reason: format!("reply is not JSON: {e}"),
        })?;
        let items = v
            .get("translations")
            .and_then(Value::as_array)
            .ok_or_else(|| MtError::BadReply {
                reason: "no translations array".into(),
            })?;
        // DeepL answers by position; a different count cannot be aligned.
        if items.len() != batch.len() {
            return Err(MtError::Misaligned {
                ids: batch.iter().map(|s| s.id).collect(),
            });
        }
        let mut reply = Vec::with_capacity(items.len());
        let mut billed_reported = false;
        for (s, item) in batch.iter().zip(items) {
            let t = item
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| MtError::BadReply {
                    reason: format!("translation for id {} has no text", s.id),
                })?;
            if let Some(b) = item.get("billed_characters").and_then(Value::as_u64) {
                usage.characters_billed += b;
                billed_reported = true;
            }
            reply.push((s.id, t.to_string()));
        }
        if !billed_reported {
            usage.characters_billed += texts.iter().map(|t| t.chars().count() as u64).sum::<u64>();
        }
        batch::align(batch, reply)
    }
}

impl MtBackend for DeeplBackend {
    fn name(&self) -> &str {
        "deepl"
    }

    fn model(&self) -> Option<&str> {
        self.cfg.model_type.as_deref()
    }

    fn translate(&self, req: &MtRequest) -> Result<MtResponse, MtError> {
        batch::validate(req)?;
        // Context is free on DeepL (not billed): synopsis plus the previous source segments.
        let mut context = String::new();
        if let Some(s) = req.synopsis.as_deref() {
            context.push_str(s.trim());
            context.push('\n');
        }
        for c in &req.context {
            context.push_str(c.source.trim());
            context.push('\n');
        }
        let context = context.trim().to_string();
        let mut out = Outcome::default();
        for chunk in batch::chunks(
            &req.segments,
            self.cfg.max_batch_chars,
            self.cfg.max_batch_segments,
        ) {
            batch::adaptive("deepl", &chunk, 1, &mut out, &mut |b, usage| {
                self.call(req, &context, b, usage)
            })?;
        }
        batch::in_request_order(&req.segments, &mut out);
        Ok(MtResponse {
            translations: out.done,
            failures: out.failures,
            usage: out.usage,
            backend: "deepl".into(),
            model: self.cfg.model_type.clone(),
            cached: false,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn language_codes() {
        assert_eq!(deepl_source_lang("zh-Hans"), "ZH");
        assert_eq!(deepl_target_lang("en"), "EN-US");
        assert_eq!(deepl_target_lang("en-GB"), "EN-GB");
        assert_eq!(deepl_target_lang("pt"), "PT-BR");
        assert_eq!(deepl_target_lang("zh-Hant-TW"), "ZH-HANT");
        assert_eq!(deepl_target_lang("vi"), "VI");
    }
}
