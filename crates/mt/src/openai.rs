//! OpenAI-compatible chat completions (`POST {base_url}/chat/completions`): OpenAI, Qwen
//! (DashScope compatible mode), DeepSeek, vLLM, llama.cpp server, Ollama.
//!
//! The system message carries the instructions, target language, synopsis, previous segments
//! and only the terms that occur in the batch; the user message carries the numbered segments
//! as JSON. The reply must be `{"translations":[{"id":N,"text":"…"}]}` and is checked by
//! [`crate::batch::align`] before anything is accepted.

use serde_json::{json, Value};

use crate::batch::{self, Outcome};
use crate::config::{check_common, resolve_key};
use crate::http::HttpClient;
use crate::{
    lang, ContextPair, MtBackend, MtError, MtMode, MtRequest, MtResponse, MtSegment, MtTerm,
    OpenAiConfig, ResponseFormat, Revision, Secret, Usage,
};

/// The OpenAI-compatible backend. Build it with [`crate::build_backend`] or [`OpenAiBackend::new`].
pub struct OpenAiBackend {
    cfg: OpenAiConfig,
    key: Option<Secret>,
    http: HttpClient,
    url: String,
}

impl OpenAiBackend {
    /// Checks `cfg` and resolves the key. Errors: `Config` (bad URL, zero limits, missing env var).
    pub fn new(cfg: &OpenAiConfig) -> Result<Self, MtError> {
        check_common(
            &cfg.base_url,
            cfg.max_batch_chars,
            cfg.max_batch_segments,
            &cfg.http,
        )?;
        if cfg.model.trim().is_empty() {
            return Err(MtError::Config("model must not be empty".into()));
        }
        Ok(OpenAiBackend {
            key: resolve_key(&cfg.api_key, &cfg.api_key_env)?,
            http: HttpClient::new("openai", &cfg.http)?,
            url: format!("{}/chat/completions", cfg.base_url.trim_end_matches('/')),
            cfg: cfg.clone(),
        })
    }

    fn call(
        &self,
        req: &MtRequest,
        context: &[ContextPair],
        batch: &[&MtSegment],
        usage: &mut Usage,
    ) -> Result<Vec<(u32, String)>, MtError> {
        let body = self.body(req, context, batch);
        let auth = self.key.as_ref().map(|k| format!("Bearer {}", k.expose()));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        let text = self.http.post_json(&self.url, &headers, &body, usage)?;
        let reply = parse_completion(&text, usage)?;
        check_echoes(batch, &reply)?;
        batch::align(
            batch,
            reply.into_iter().map(|(id, _, text)| (id, text)).collect(),
        )
    }

    fn body(&self, req: &MtRequest, context: &[ContextPair], batch: &[&MtSegment]) -> Value {
        let revisions: Vec<&Revision> = match &req.mode {
            MtMode::Translate => Vec::new(),
            MtMode::Revise(r) => r
                .iter()
                .filter(|r| batch.iter().any(|s| s.id == r.id))
                .collect(),
        };
        let mut texts: Vec<&str> = batch.iter().map(|s| s.text.as_str()).collect();
        texts.extend(revisions.iter().map(|r| r.old_source.as_str()));
        let terms = batch::terms_in(&req.terms, &texts);
        let system = system_prompt(req, context, &terms, !revisions.is_empty());
        let items: Vec<Value> = batch
            .iter()
            .map(|s| match revisions.iter().find(|r| r.id == s.id) {
                Some(r) => json!({
                    "id": s.id,
                    "old_source": r.old_source,
                    "new_source": s.text,
                    "approved_translation": r.approved_target,
                }),
                None => json!({"id": s.id, "text": s.text}),
            })
            .collect();
        let user = json!({ "segments": items }).to_string();
        let mut body = json!({
            "model": self.cfg.model,
            "temperature": self.cfg.temperature,
            "stream": false,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        });
        let format = match self.cfg.response_format {
            ResponseFormat::JsonSchema => Some(json!({
                "type": "json_schema",
                "json_schema": {"name": "translations", "strict": true, "schema": reply_schema()},
            })),
            ResponseFormat::JsonObject => Some(json!({"type": "json_object"})),
            ResponseFormat::None => None,
        };
        if let (Some(f), Some(obj)) = (format, body.as_object_mut()) {
            obj.insert("response_format".into(), f);
        }
        body
    }
}

/// The JSON Schema of the reply (`{"translations":[{"id":N,"text":"…"}]}`).
pub fn reply_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "translations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "src": {"type": "string"},
                        "text": {"type": "string"},
                    },
                    "required": ["id", "src", "text"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["translations"],
        "additionalProperties": false,
    })
}

fn system_prompt(
    req: &MtRequest,
    context: &[ContextPair],
    terms: &[&MtTerm],
    revising: bool,
) -> String {
    let mut p = String::new();
    p.push_str(&format!(
        "You are a professional literary translator localizing a Chinese web novel for readers \
         of {target}. Translate each segment from {source} into {target}. Keep the meaning, tone, \
         names and paragraph breaks; add nothing and leave nothing out. Never merge, split or \
         reorder segments: every input id gets exactly one output item with the same id, and \
         each text is the translation of the segment with that id only.\n",
        source = lang::display_name(&req.source_lang),
        target = lang::display_name(&req.target_lang),
    ));
    if revising {
        p.push_str(
            "Some items carry old_source, new_source and approved_translation: the source was \
             edited after its translation was approved. Return approved_translation edited as \
             little as possible so that it translates new_source; keep every unchanged wording.\n",
        );
    }
    p.push_str(
        "Reply with JSON only, exactly of the form {\"translations\":[{\"id\":<id>,\"src\":\"<the first 4 characters of that segment's source, copied exactly>\",\"text\":\"<translation>\"}]}.\n",
    );
    if let Some(s) = req.synopsis.as_deref().filter(|s| !s.trim().is_empty()) {
        p.push_str("\nSynopsis of the work:\n");
        p.push_str(s.trim());
        p.push('\n');
    }
    if !terms.is_empty() {
        p.push_str("\nRequired terminology (use exactly these renderings):\n");
        for t in terms {
            p.push_str(&format!("- {} → {}", t.source, t.target));
            if let Some(d) = t.definition.as_deref().filter(|d| !d.is_empty()) {
                p.push_str(&format!("; meaning: {d}"));
            }
            if let Some(n) = t.note.as_deref().filter(|n| !n.is_empty()) {
                p.push_str(&format!("; note: {n}"));
            }
            p.push('\n');
        }
    }
    if !context.is_empty() {
        p.push_str("\nThe segments just before these, already translated (context only, do not translate them again):\n");
        for c in context {
            p.push_str(&json!({"source": c.source, "translation": c.target}).to_string());
            p.push('\n');
        }
    }
    p
}

/// Characters of a segment's source the model must copy into `src` (the echo check).
pub const ECHO_CHARS: usize = 4;

/// The echo a correct reply carries for `source`: its first [`ECHO_CHARS`]
/// characters, whitespace removed.
pub fn echo_of(source: &str) -> String {
    source
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(ECHO_CHARS)
        .collect()
}

/// The echo check: in a batch of several segments, every item must copy the
/// start of the source of the segment whose id it carries into `src`. A
/// model that moves a translation to another id moves its `src` along, so
/// the mismatch shows even when the segments carry no numbers. A reply
/// without echoes is refused (retried, then split); single segments need no
/// echo (there is nothing to confuse them with).
fn check_echoes(
    batch: &[&MtSegment],
    reply: &[(u32, Option<String>, String)],
) -> Result<(), MtError> {
    if batch.len() < 2 {
        return Ok(());
    }
    for (id, src, _) in reply {
        let Some(seg) = batch.iter().find(|s| s.id == *id) else {
            continue; // unknown ids are refused by `align`
        };
        let want = echo_of(&seg.text);
        let got: String = src
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if got.is_empty() {
            return Err(MtError::BadReply {
                reason: format!("item {id} does not echo the start of its source (src)"),
            });
        }
        if got != want && !(got.chars().count() >= 2 && want.starts_with(&got)) {
            return Err(MtError::Misaligned { ids: vec![*id] });
        }
    }
    Ok(())
}

/// Reads a chat-completions reply: usage, then `choices[0].message.content` as the
/// translations JSON (code fences tolerated; ids as numbers or numeric strings).
fn parse_completion(
    text: &str,
    usage: &mut Usage,
) -> Result<Vec<(u32, Option<String>, String)>, MtError> {
    let v: Value = serde_json::from_str(text).map_err(|e| MtError::BadReply {
        reason: format!("completion is not JSON: {e}"),
    })?;
    if let Some(u) = v.get("usage") {
        usage.prompt_tokens += u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0);
        usage.completion_tokens += u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    }
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| MtError::BadReply {
            reason: "no choices in completion".into(),
        })?;
    if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
        return Err(MtError::BadReply {
            reason: "reply cut off at the token limit".into(),
        });
    }
    let content = choice
        .get("message")
        .and_then(|m| m.get("content"))
        .and_then(Value::as_str)
        .ok_or_else(|| MtError::BadReply {
            reason: "no message content".into(),
        })?;
    parse_translations(content)
}

/// Parses `{"translations":[{"id":N,"src":"…","text":"…"}]}` (optionally inside a
/// ``` fence); `src` is the echo of the source's start, absent in older replies.
pub(crate) fn parse_translations(
    content: &str,
) -> Result<Vec<(u32, Option<String>, String)>, MtError> {
    let trimmed = strip_fence(content);
    let v: Value = serde_json::from_str(trimmed).map_err(|e| MtError::BadReply {
        reason: format!("content is not JSON: {e}"),
    })?;
    let items = v
        .get("translations")
        .and_then(Value::as_array)
        .ok_or_else(|| MtError::BadReply {
            reason: "no translations array".into(),
        })?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let id = match item.get("id") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| MtError::BadReply {
            reason: format!(
                "item without a valid id: {}",
                crate::error::excerpt(&item.to_string(), 80)
            ),
        })?;
        let text = item
            .get("text")
            .and_then(Value::as_str)
            .ok_or_else(|| MtError::BadReply {
                reason: format!("item {id} has no text"),
            })?;
        let src = item.get("src").and_then(Value::as_str).map(str::to_string);
        out.push((id, src, text.to_string()));
    }
    Ok(out)
}

fn strip_fence(s: &str) -> &str {
    let t = s.trim();
    if let Some(rest) = t.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        return rest.trim_end().trim_end_matches("```").trim();
    }
    t
}

impl MtBackend for OpenAiBackend {
    fn name(&self) -> &str {
        "openai"
    }

    fn model(&self) -> Option<&str> {
        Some(&self.cfg.model)
    }

    fn translate(&self, req: &MtRequest) -> Result<MtResponse, MtError> {
        batch::validate(req)?;
        let mut out = Outcome::default();
        let mut context: Vec<ContextPair> = req.context.clone();
        for chunk in batch::chunks(
            &req.segments,
            self.cfg.max_batch_chars,
            self.cfg.max_batch_segments,
        ) {
            let keep = self.cfg.max_context_segments;
            let ctx = &context[context.len().saturating_sub(keep)..];
            let done_before = out.done.len();
            batch::adaptive(
                "openai",
                &chunk,
                self.cfg.content_retries,
                &mut out,
                &mut |b, usage| self.call(req, ctx, b, usage),
            )?;
            // Rolling context: what this batch produced helps the next one.
            for (id, text) in &out.done[done_before..] {
                if let Some(s) = chunk.iter().find(|s| s.id == *id) {
                    context.push(ContextPair {
                        source: s.text.clone(),
                        target: text.clone(),
                    });
                }
            }
        }
        batch::in_request_order(&req.segments, &mut out);
        Ok(MtResponse {
            translations: out.done,
            failures: out.failures,
            usage: out.usage,
            backend: "openai".into(),
            model: Some(self.cfg.model.clone()),
            cached: false,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_fenced_and_string_ids() {
        let r =
            parse_translations("```json\n{\"translations\":[{\"id\":\"3\",\"text\":\"x\"}]}\n```")
                .unwrap();
        assert_eq!(r, vec![(3, None, "x".to_string())]);
        assert!(parse_translations("Sure! Here you go").is_err());
        assert!(parse_translations("{\"translations\":[{\"id\":-1,\"text\":\"x\"}]}").is_err());
    }
}
