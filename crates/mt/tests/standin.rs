//! The MT backends against local stand-in servers that speak each real API's request and
//! response format (OpenAI chat completions, DeepL v2/v3, LibreTranslate), plus OpenCC on
//! real corpus text. This machine has no network; every server here listens on 127.0.0.1:0.
//!
//! The stand-ins "translate" deterministically (`fake(source)`), so every test can check that
//! each returned translation belongs to its id exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use qiantang_mt::{
    build_backend, BackendConfig, CachedBackend, ContextPair, MemoryCache, MtBackend, MtError,
    MtMode, MtRequest, MtResponse, MtSegment, MtTerm, Revision,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------- stand-in server

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    auth: Option<String>,
    body: Value,
}

/// What the stand-in answers.
struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

impl Reply {
    fn json(v: Value) -> Reply {
        Reply {
            status: 200,
            body: v.to_string(),
            headers: vec![],
            delay: Duration::ZERO,
        }
    }
    fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            headers: vec![],
            delay: Duration::ZERO,
        }
    }
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

struct StandIn {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl StandIn {
    /// Starts a server; `handler(n, request)` answers the n-th request (0-based). Each request
    /// is served on its own thread, so a slow answer does not hold up the next.
    fn start(handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> StandIn {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        let log = seen.clone();
        thread::spawn(move || {
            for mut rq in server.incoming_requests() {
                let mut body = String::new();
                rq.as_reader().read_to_string(&mut body).unwrap();
                let auth = rq
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.as_str().to_string());
                let s = Seen {
                    path: rq.url().to_string(),
                    auth,
                    body: serde_json::from_str(&body).unwrap_or(Value::Null),
                };
                log.lock().unwrap().push(s.clone());
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                thread::spawn(move || {
                    let r = handler(n, &s);
                    thread::sleep(r.delay);
                    let mut resp = tiny_http::Response::from_string(r.body)
                        .with_status_code(r.status)
                        .with_header(
                            tiny_http::Header::from_bytes(
                                &b"Content-Type"[..],
                                &b"application/json"[..],
                            )
                            .unwrap(),
                        );
                    for (k, v) in r.headers {
                        resp.add_header(
                            tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap(),
                        );
                    }
                    let _ = rq.respond(resp);
                });
            }
        });
        StandIn {
            url: format!("http://127.0.0.1:{port}"),
            seen,
        }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// The stand-ins' deterministic "translation": keeps the source visible, so alignment is
/// checked exactly.
fn fake(src: &str) -> String {
    format!("EN<{src}>")
}

// ---------------------------------------------------------------- requests and checks

fn req(texts: &[(u32, &str)]) -> MtRequest {
    MtRequest {
        source_lang: "zh-Hans".into(),
        target_lang: "en".into(),
        segments: texts
            .iter()
            .map(|(id, t)| MtSegment {
                id: *id,
                text: t.to_string(),
            })
            .collect(),
        context: vec![ContextPair {
            source: "第0章 序".into(),
            target: "Chapter 0: Prologue".into(),
        }],
        synopsis: Some("A monk of the Southern Song travels and helps people.".into()),
        terms: vec![
            MtTerm {
                source: "筑基".into(),
                target: "Foundation Establishment".into(),
                definition: Some("second cultivation realm".into()),
                note: Some("capitalize".into()),
            },
            MtTerm {
                source: "金丹".into(),
                target: "Golden Core".into(),
                definition: None,
                note: None,
            },
        ],
        mode: MtMode::Translate,
    }
}

fn four() -> MtRequest {
    req(&[
        (11, "第1回 他修炼到了筑基"),
        (12, "第2回 来了3个和尚"),
        (13, "第3回 走了40里路"),
        (14, "第4回 一共500两银子"),
    ])
}

/// The invariant of the crate: every id once, in order, and each text is the translation of
/// that id's source.
fn assert_aligned(req: &MtRequest, resp: &MtResponse, translate: impl Fn(&str) -> String) {
    let failed: Vec<u32> = resp.failures.iter().map(|f| f.id).collect();
    let mut expected_ids = Vec::new();
    for s in &req.segments {
        if !failed.contains(&s.id) {
            expected_ids.push(s.id);
        }
    }
    let got_ids: Vec<u32> = resp.translations.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        got_ids, expected_ids,
        "ids out of order or missing: {resp:?}"
    );
    for (id, text) in &resp.translations {
        let src = &req.segments.iter().find(|s| s.id == *id).unwrap().text;
        assert_eq!(text, &translate(src), "misaligned translation for id {id}");
    }
}

// ---------------------------------------------------------------- OpenAI stand-in

fn openai_config(url: &str, extra: &str) -> BackendConfig {
    let src = format!(
        "kind = \"openai\"\nbase_url = \"{url}/v1\"\nmodel = \"qwen-test\"\napi_key = \"sk-test-key\"\n{extra}\n[http]\nrequests_per_second = 1000.0\nbackoff_base_ms = 10\nread_timeout_ms = 2000\nconnect_timeout_ms = 1000\nmax_retries = 2\n"
    );
    toml::from_str(&src).unwrap()
}

/// The segments of a chat request (`messages[1].content` = `{"segments":[…]}`).
fn openai_segments(s: &Seen) -> Vec<Value> {
    let user = s.body["messages"][1]["content"].as_str().unwrap();
    let v: Value = serde_json::from_str(user).unwrap();
    v["segments"].as_array().unwrap().clone()
}

fn openai_system(s: &Seen) -> String {
    s.body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A chat completion whose content is `content`, with token usage 100/40.
fn completion(content: &str) -> Reply {
    Reply::json(json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "model": "qwen-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
    }))
}

/// The correct items for a request: `(id, fake(text))` in order.
fn correct_items(s: &Seen) -> Vec<(u64, String)> {
    openai_segments(s)
        .iter()
        .map(|seg| {
            let text = seg
                .get("text")
                .or_else(|| seg.get("new_source"))
                .and_then(Value::as_str)
                .unwrap();
            (seg["id"].as_u64().unwrap(), fake(text))
        })
        .collect()
}

/// The reply JSON; like a model, each item echoes the start of the source its text
/// translates (recovered from the fake translation, so it moves with a swapped text).
fn translations_json(items: &[(u64, String)]) -> String {
    json!({"translations": items.iter().map(|(id, t)| {
        let src = t.strip_prefix("EN<").and_then(|x| x.strip_suffix('>')).unwrap_or(t);
        json!({"id": id, "src": qiantang_mt::echo_of(src), "text": t})
    }).collect::<Vec<_>>()})
    .to_string()
}

fn openai_correct(s: &Seen) -> Reply {
    completion(&translations_json(&correct_items(s)))
}

#[test]
fn openai_correct_reply_sends_the_prompt_and_counts_usage() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert!(resp.is_complete());
    assert_eq!(resp.backend, "openai");
    assert_eq!(resp.model.as_deref(), Some("qwen-test"));
    assert!(!resp.cached);
    assert_eq!(resp.usage.requests, 1);
    assert_eq!(resp.usage.prompt_tokens, 100);
    assert_eq!(resp.usage.completion_tokens, 40);

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.path, "/v1/chat/completions");
    assert_eq!(s.auth.as_deref(), Some("Bearer sk-test-key"));
    assert_eq!(s.body["model"], "qwen-test");
    assert_eq!(s.body["response_format"]["type"], "json_schema");
    assert_eq!(
        s.body["response_format"]["json_schema"]["schema"]["required"][0],
        "translations"
    );
    let system = openai_system(s);
    assert!(system.contains("English (en)"), "{system}");
    assert!(system.contains("Southern Song"), "synopsis missing");
    assert!(system.contains("Chapter 0: Prologue"), "context missing");
    // Only the terms present in the batch, with rendering and definition.
    assert!(
        system.contains(
            "筑基 → Foundation Establishment; meaning: second cultivation realm; note: capitalize"
        ),
        "{system}"
    );
    assert!(
        !system.contains("金丹"),
        "a term absent from the batch was sent"
    );
    let segs = openai_segments(s);
    assert_eq!(segs.len(), 4);
    assert_eq!(segs[0]["id"], 11);
    assert_eq!(segs[0]["text"], "第1回 他修炼到了筑基");
}

#[test]
fn openai_reply_with_a_missing_segment_is_retried() {
    let server = StandIn::start(|n, s| {
        let mut items = correct_items(s);
        if n == 0 {
            items.pop();
        }
        completion(&translations_json(&items))
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert!(resp.is_complete());
    assert_eq!(server.count(), 2);
    assert_eq!(resp.usage.requests, 2);
    assert_eq!(
        resp.usage.prompt_tokens, 200,
        "usage of the refused reply counts too"
    );
}

#[test]
fn openai_swapped_segments_are_never_returned() {
    // The model always swaps the texts of the first two ids of any batch of 2+ segments.
    let server = StandIn::start(|_, s| {
        let mut items = correct_items(s);
        if items.len() >= 2 {
            let t0 = items[0].1.clone();
            items[0].1 = items[1].1.clone();
            items[1].1 = t0;
        }
        completion(&translations_json(&items))
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    // Retried (3 tries of 4), split into halves (3 tries each), then single segments.
    assert_aligned(&r, &resp, fake);
    assert!(resp.is_complete(), "{resp:?}");
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|s| openai_segments(s).len())
        .collect();
    assert_eq!(sizes, vec![4, 4, 4, 2, 2, 2, 1, 1, 2, 2, 2, 1, 1]);
}

#[test]
fn openai_duplicate_and_unknown_ids_are_refused() {
    let server = StandIn::start(|n, s| {
        let mut items = correct_items(s);
        match n {
            0 => items[1].0 = items[0].0,     // duplicate id
            1 => items.push((99, fake("x"))), // unknown id
            _ => {}
        }
        completion(&translations_json(&items))
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert!(resp.is_complete());
    assert_eq!(server.count(), 3);
}

#[test]
fn openai_non_json_reply_is_retried() {
    let server = StandIn::start(|n, s| {
        if n == 0 {
            completion("Sure! Here are your translations: 1. …")
        } else {
            openai_correct(s)
        }
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert_eq!(server.count(), 2);
}

#[test]
fn openai_a_segment_that_always_fails_fails_alone() {
    // Any batch containing id 13 gets a non-JSON answer; the others must still come back.
    let server = StandIn::start(|_, s| {
        if openai_segments(s).iter().any(|x| x["id"] == 13) {
            completion("I cannot translate this.")
        } else {
            openai_correct(s)
        }
    });
    let backend = build_backend(&openai_config(&server.url, "content_retries = 1")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert_eq!(resp.failures.len(), 1);
    assert_eq!(resp.failures[0].id, 13);
    assert!(
        resp.failures[0].reason.contains("not JSON"),
        "{:?}",
        resp.failures
    );
    assert_eq!(resp.translations.len(), 3);
}

#[test]
fn openai_json_object_fallback_and_no_key() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let src = format!(
        "kind = \"openai\"\nbase_url = \"{}/v1/\"\nmodel = \"llama\"\nresponse_format = \"json_object\"\n",
        server.url
    );
    let backend = build_backend(&toml::from_str(&src).unwrap()).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    let s = &server.requests()[0];
    assert_eq!(s.body["response_format"], json!({"type": "json_object"}));
    assert_eq!(s.auth, None, "no key configured, no Authorization header");
}

#[test]
fn openai_revise_mode_sends_old_source_and_approved_translation() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let mut r = req(&[(1, "第1回 来了4个和尚"), (2, "第2回 天亮了")]);
    r.mode = MtMode::Revise(vec![Revision {
        id: 1,
        old_source: "第1回 来了3个和尚".into(),
        approved_target: "Chapter 1: Three monks came".into(),
    }]);
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    let s = &server.requests()[0];
    let segs = openai_segments(s);
    assert_eq!(segs[0]["old_source"], "第1回 来了3个和尚");
    assert_eq!(segs[0]["new_source"], "第1回 来了4个和尚");
    assert_eq!(
        segs[0]["approved_translation"],
        "Chapter 1: Three monks came"
    );
    assert_eq!(segs[1]["text"], "第2回 天亮了");
    assert!(openai_system(s).contains("edited as little as possible"));
}

#[test]
fn openai_batches_by_characters_with_rolling_context() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let backend = build_backend(&openai_config(
        &server.url,
        "max_batch_chars = 22\nmax_context_segments = 2",
    ))
    .unwrap();
    let r = four(); // 11, 10, 10 and 12 characters: two per batch
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(resp.usage.requests, 2);
    // The second batch sees the first batch's translations as context.
    let sys = openai_system(&seen[1]);
    assert!(sys.contains(&fake("第2回 来了3个和尚")), "{sys}");
    assert!(
        !sys.contains("Chapter 0: Prologue"),
        "context is capped at 2 segments"
    );
}

// ---------------------------------------------------------------- transport

#[test]
fn http_429_waits_for_retry_after() {
    let server = StandIn::start(|n, s| {
        if n == 0 {
            let mut r = Reply::status(429, "{\"error\":{\"message\":\"Rate limit reached\"}}");
            r.headers.push(("Retry-After", "1".into()));
            r
        } else {
            openai_correct(s)
        }
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let t = Instant::now();
    let resp = backend.translate(&r).unwrap();
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(1000),
        "Retry-After not honoured: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_aligned(&r, &resp, fake);
    assert_eq!(resp.usage.requests, 2);
}

#[test]
fn http_429_with_a_long_retry_after_gives_up_at_once() {
    let server = StandIn::start(|_, _| {
        let mut r = Reply::status(429, "slow down");
        r.headers.push(("Retry-After", "3600".into()));
        r
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let t = Instant::now();
    let err = backend.translate(&four()).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "no wait for an hour-long Retry-After"
    );
    match err {
        MtError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(), 1);
}

#[test]
fn http_500_then_success() {
    let server = StandIn::start(|n, s| {
        if n == 0 {
            Reply::status(500, "{\"error\":\"upstream overloaded\"}")
        } else {
            openai_correct(s)
        }
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert_eq!(resp.usage.requests, 2);
}

#[test]
fn http_500_every_time_is_an_http_error_with_the_body() {
    let server = StandIn::start(|_, _| Reply::status(503, "maintenance"));
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    match backend.translate(&four()).unwrap_err() {
        MtError::Http { status, body, .. } => {
            assert_eq!(status, 503);
            assert_eq!(body, "maintenance");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(), 3, "1 try + max_retries 2");
}

#[test]
fn read_timeout_is_retried_then_reported() {
    let server = StandIn::start(|n, s| {
        let mut r = openai_correct(s);
        if n == 0 {
            r.delay = Duration::from_millis(1500);
        }
        r
    });
    let cfg = openai_config(&server.url, "").clone();
    let BackendConfig::Openai(mut c) = cfg else {
        panic!()
    };
    c.http.read_timeout_ms = 500;
    let backend = build_backend(&BackendConfig::Openai(c.clone())).unwrap();
    let r = four();
    let t = Instant::now();
    let resp = backend.translate(&r).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(500));
    assert_aligned(&r, &resp, fake);
    assert_eq!(resp.usage.requests, 2);

    // A server that is always too slow ends in Timeout.
    let slow = StandIn::start(|_, s| {
        let mut r = openai_correct(s);
        r.delay = Duration::from_millis(1200);
        r
    });
    c.base_url = format!("{}/v1", slow.url);
    c.http.max_retries = 1;
    let backend = build_backend(&BackendConfig::Openai(c)).unwrap();
    assert!(matches!(
        backend.translate(&four()),
        Err(MtError::Timeout { .. })
    ));
    assert_eq!(slow.count(), 2);
}

#[test]
fn connection_refused_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = openai_config(&format!("http://127.0.0.1:{port}"), "");
    let backend = build_backend(&cfg).unwrap();
    assert!(matches!(
        backend.translate(&four()),
        Err(MtError::Transport { .. })
    ));
}

#[test]
fn unauthorized_is_not_retried() {
    let server = StandIn::start(|_, _| {
        Reply::status(401, "{\"error\":{\"message\":\"Incorrect API key\"}}")
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    assert!(matches!(
        backend.translate(&four()),
        Err(MtError::Unauthorized { status: 401, .. })
    ));
    assert_eq!(server.count(), 1);
}

#[test]
fn rate_limit_spaces_requests() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let BackendConfig::Openai(mut c) = openai_config(&server.url, "max_batch_segments = 1") else {
        panic!()
    };
    c.http.requests_per_second = 5.0;
    let backend = build_backend(&BackendConfig::Openai(c)).unwrap();
    let r = four();
    let t = Instant::now();
    let resp = backend.translate(&r).unwrap();
    let elapsed = t.elapsed();
    assert_aligned(&r, &resp, fake);
    assert_eq!(server.count(), 4);
    // 5 requests/s: the 2nd, 3rd and 4th wait 200 ms each.
    assert!(elapsed >= Duration::from_millis(550), "{elapsed:?}");
}

// ---------------------------------------------------------------- cache

#[test]
fn cache_prevents_a_second_call() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let cache = Arc::new(MemoryCache::new());
    let backend = CachedBackend::new(
        build_backend(&openai_config(&server.url, "")).unwrap(),
        cache.clone(),
    );
    let r = four();
    let first = backend.translate(&r).unwrap();
    assert!(!first.cached);
    assert_eq!(first.usage.requests, 1);
    let second = backend.translate(&r).unwrap();
    assert!(second.cached);
    assert_eq!(second.usage, Default::default());
    assert_eq!(second.translations, first.translations);
    assert_eq!(
        server.count(),
        1,
        "the cache must prevent a second HTTP call"
    );
    assert_eq!(cache.len(), 1);

    // Anything that can change the answer changes the key.
    let mut other = r.clone();
    other.target_lang = "vi".into();
    backend.translate(&other).unwrap();
    let mut other = r.clone();
    other.terms.pop();
    backend.translate(&other).unwrap();
    assert_eq!(server.count(), 3);
}

#[test]
fn incomplete_answers_are_not_cached() {
    let server = StandIn::start(|_, s| {
        if openai_segments(s).iter().any(|x| x["id"] == 13) {
            completion("no")
        } else {
            openai_correct(s)
        }
    });
    let backend = CachedBackend::new(
        build_backend(&openai_config(&server.url, "content_retries = 0")).unwrap(),
        Arc::new(MemoryCache::new()),
    );
    let r = four();
    let first = backend.translate(&r).unwrap();
    assert_eq!(first.failures.len(), 1);
    let calls = server.count();
    let second = backend.translate(&r).unwrap();
    assert!(!second.cached);
    assert!(server.count() > calls);
}

// ---------------------------------------------------------------- DeepL stand-in

fn deepl_config(url: &str) -> BackendConfig {
    toml::from_str(&format!(
        "kind = \"deepl\"\nbase_url = \"{url}\"\napi_key = \"dl-key:fx\"\n[http]\nrequests_per_second = 1000.0\nbackoff_base_ms = 10\nmax_retries = 2\n"
    ))
    .unwrap()
}

/// DeepL as documented: glossary creation (v3) and translate (v2).
fn deepl_handler(quota_from_call: usize) -> impl Fn(usize, &Seen) -> Reply + Send + Sync {
    move |n, s| {
        if s.auth.as_deref() != Some("DeepL-Auth-Key dl-key:fx") {
            return Reply::status(403, "{\"message\":\"Wrong key\"}");
        }
        if n >= quota_from_call {
            return Reply::status(456, "{\"message\":\"Quota exceeded\"}");
        }
        match s.path.as_str() {
            "/v3/glossaries" => Reply::json(json!({
                "glossary_id": format!("gl-{n}"),
                "name": s.body["name"],
                "dictionaries": [{"source_lang": "zh", "target_lang": "en", "entry_count": 1}],
                "creation_time": "2025-01-01T00:00:00Z",
            })),
            "/v2/translate" => {
                let texts = s.body["text"].as_array().unwrap();
                Reply::json(json!({"translations": texts.iter().map(|t| {
                    let t = t.as_str().unwrap();
                    json!({"detected_source_language": "ZH", "text": fake(t), "billed_characters": t.chars().count()})
                }).collect::<Vec<_>>()}))
            }
            _ => Reply::status(404, "{\"message\":\"Not found\"}"),
        }
    }
}

#[test]
fn deepl_translates_with_a_glossary_of_the_batch_terms() {
    let server = StandIn::start(deepl_handler(usize::MAX));
    let backend = build_backend(&deepl_config(&server.url)).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    let chars: u64 = r
        .segments
        .iter()
        .map(|s| s.text.chars().count() as u64)
        .sum();
    assert_eq!(resp.usage.characters_billed, chars);
    assert_eq!(resp.usage.requests, 2, "glossary + translate");
    // Same terms again: the glossary is reused.
    backend.translate(&req(&[(1, "筑基之后第5天")])).unwrap();

    let seen = server.requests();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["/v3/glossaries", "/v2/translate", "/v2/translate"]
    );
    let g = &seen[0].body;
    assert_eq!(g["dictionaries"][0]["source_lang"], "zh");
    assert_eq!(g["dictionaries"][0]["target_lang"], "en");
    assert_eq!(g["dictionaries"][0]["entries_format"], "tsv");
    assert_eq!(
        g["dictionaries"][0]["entries"],
        "筑基\tFoundation Establishment"
    );
    let t = &seen[1].body;
    assert_eq!(t["source_lang"], "ZH");
    assert_eq!(t["target_lang"], "EN-US");
    assert_eq!(t["glossary_id"], "gl-0");
    assert_eq!(t["show_billed_characters"], true);
    assert!(t["context"].as_str().unwrap().contains("Southern Song"));
    assert_eq!(t["text"].as_array().unwrap().len(), 4);
    assert_eq!(seen[2].body["glossary_id"], "gl-0");
}

#[test]
fn deepl_456_is_a_quota_error_and_not_retried() {
    let server = StandIn::start(deepl_handler(1));
    let backend = build_backend(&deepl_config(&server.url)).unwrap();
    match backend.translate(&four()).unwrap_err() {
        MtError::Quota { backend, body } => {
            assert_eq!(backend, "deepl");
            assert!(body.contains("Quota exceeded"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.count(),
        2,
        "glossary, then one translate answered 456"
    );
}

#[test]
fn deepl_wrong_number_of_translations_is_misaligned_never_guessed() {
    let server = StandIn::start(|_, s| {
        let texts = s.body["text"].as_array().cloned().unwrap_or_default();
        if s.path == "/v3/glossaries" {
            return Reply::json(json!({"glossary_id": "g"}));
        }
        // Drops the first text: a positional API would shift every later one.
        Reply::json(
            json!({"translations": texts.iter().skip(usize::from(texts.len() > 1)).map(|t| json!({"text": fake(t.as_str().unwrap())})).collect::<Vec<_>>()}),
        )
    });
    let backend = build_backend(&deepl_config(&server.url)).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    // Batches of 4 and 2 fail; single segments succeed.
    assert_aligned(&r, &resp, fake);
    assert!(resp.is_complete());
}

// ---------------------------------------------------------------- LibreTranslate stand-in

fn libre_config(url: &str) -> BackendConfig {
    toml::from_str(&format!(
        "kind = \"libretranslate\"\nbase_url = \"{url}\"\napi_key = \"lt-key\"\n[http]\nrequests_per_second = 1000.0\nbackoff_base_ms = 10\n"
    ))
    .unwrap()
}

/// LibreTranslate: `q` array in, `translatedText` array out. `lose` drops placeholders from
/// texts that contain one.
fn libre_handler(lose: bool) -> impl Fn(usize, &Seen) -> Reply + Send + Sync {
    move |_, s| {
        if s.body["api_key"] != "lt-key" {
            return Reply::status(403, "{\"error\":\"Invalid API key\"}");
        }
        assert_eq!(s.body["format"], "text");
        let q = s.body["q"].as_array().unwrap();
        let out: Vec<String> = q
            .iter()
            .map(|t| {
                let t = t.as_str().unwrap();
                if lose && t.contains("[[T1]]") {
                    fake(&t.replace("[[T1]]", "T1"))
                } else {
                    fake(t)
                }
            })
            .collect();
        Reply::json(json!({"translatedText": out}))
    }
}

#[test]
fn libretranslate_protects_terms_with_placeholders() {
    let server = StandIn::start(libre_handler(false));
    let backend = build_backend(&libre_config(&server.url)).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    let expect = |src: &str| fake(src).replace("筑基", "Foundation Establishment");
    assert_aligned(&r, &resp, expect);
    assert_eq!(
        resp.get(11),
        Some("EN<第1回 他修炼到了Foundation Establishment>")
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/translate");
    assert_eq!(seen[0].body["source"], "zh");
    assert_eq!(seen[0].body["target"], "en");
    assert_eq!(seen[0].body["q"][0], "第1回 他修炼到了[[T1]]");
    let chars: u64 = seen[0].body["q"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().chars().count() as u64)
        .sum();
    assert_eq!(resp.usage.characters_billed, chars);
}

#[test]
fn libretranslate_placeholder_loss_fails_that_segment_only() {
    let server = StandIn::start(libre_handler(true));
    let backend = build_backend(&libre_config(&server.url)).unwrap();
    let r = four();
    let resp = backend.translate(&r).unwrap();
    let expect = |src: &str| fake(src).replace("筑基", "Foundation Establishment");
    assert_aligned(&r, &resp, expect);
    assert_eq!(resp.failures.len(), 1);
    assert_eq!(resp.failures[0].id, 11);
    assert!(
        resp.failures[0].reason.contains("placeholder"),
        "{:?}",
        resp.failures
    );
    assert_eq!(resp.translations.len(), 3);
}

// ---------------------------------------------------------------- no secrets in logs

/// A minimal `tracing` subscriber that keeps every event's fields as text.
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut out = self.0.lock().unwrap();
        span.record(&mut Fields(&mut out));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.0.lock().unwrap();
        out.push_str(event.metadata().target());
        out.push(' ');
        event.record(&mut Fields(&mut out));
        out.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn keys_never_reach_the_logs() {
    let logs = Arc::new(Mutex::new(String::new()));
    let subscriber = Capture(logs.clone());
    tracing::subscriber::with_default(subscriber, || {
        // DeepL: glossary, a 500 that is retried, then 456; LibreTranslate: key in the body.
        let deepl = StandIn::start(|n, s| match n {
            1 => Reply::status(500, "oops"),
            _ => deepl_handler(2)(n, s),
        });
        let backend = build_backend(&deepl_config(&deepl.url)).unwrap();
        let err = backend.translate(&four()).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("dl-key"));
        let libre = StandIn::start(libre_handler(true));
        let backend = build_backend(&libre_config(&libre.url)).unwrap();
        backend.translate(&four()).unwrap();
        let openai = StandIn::start(|n, s| {
            if n == 0 {
                completion("garbage")
            } else {
                openai_correct(s)
            }
        });
        let backend = build_backend(&openai_config(&openai.url, "")).unwrap();
        backend.translate(&four()).unwrap();
    });
    let logs = logs.lock().unwrap();
    assert!(
        logs.contains("retrying"),
        "the test must see log events: {logs}"
    );
    assert!(logs.contains("rejected"), "{logs}");
    for key in ["dl-key", "lt-key", "sk-test-key"] {
        assert!(!logs.contains(key), "{key} leaked into the logs: {logs}");
    }
}

// ---------------------------------------------------------------- OpenCC on real text

fn jigong_first_chapter() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/novels_zh/jigong_quanzhuan.txt"
    );
    let text = std::fs::read_to_string(path).expect("corpus file");
    let start = text.find("第一回").unwrap();
    let end = text.find("第二回").unwrap();
    text[start..end].to_string()
}

#[test]
fn opencc_converts_the_first_chapter_of_jigong() {
    let chapter = jigong_first_chapter();
    let paragraphs: Vec<(u32, &str)> = chapter
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l))
        .collect();
    let backend = build_backend(&toml::from_str("kind = \"opencc\"").unwrap()).unwrap();
    let mut r = req(&paragraphs);
    r.terms.clear();
    r.target_lang = "zh-Hant-TW".into();
    let tw = backend.translate(&r).unwrap();
    assert_eq!(tw.translations.len(), paragraphs.len());
    assert_eq!(tw.usage, Default::default());
    let tw_text: String = tw
        .translations
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        tw_text.starts_with("第一回 李節度拜佛求子 真羅漢降世投胎"),
        "{}",
        &tw_text[..60]
    );
    // 里 in 里面 is 裡 in Taiwan; the 里 of 邻里 (neighbours) stays.
    assert!(tw_text.contains("裡面"));
    assert!(!tw_text.contains("里面"));
    assert!(tw_text.contains("鄰里"));
    // No Simplified-only character of the chapter survives.
    for c in ["这", "说", "兴", "亲", "节", "罗", "汉", "么", "儿"] {
        assert!(!tw_text.contains(c), "{c} left in {tw_text}");
    }

    r.target_lang = "zh-Hant-HK".into();
    let hk = backend.translate(&r).unwrap();
    let hk_text: String = hk
        .translations
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(hk_text.contains("裏面"), "Hong Kong keeps 裏");
    assert_eq!(
        hk_text.chars().count(),
        chapter
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
            .chars()
            .count()
    );
}

#[test]
fn opencc_disambiguates_fa_and_keeps_locked_terms() {
    let backend = build_backend(&toml::from_str("kind = \"opencc\"").unwrap()).unwrap();
    let mut r = req(&[(1, "他头发白了，发现了一封信"), (2, "济公筑基成功")]);
    r.target_lang = "zh-Hant-TW".into();
    r.terms = vec![MtTerm {
        source: "济公".into(),
        target: "濟公活佛".into(),
        definition: None,
        note: None,
    }];
    let resp = backend.translate(&r).unwrap();
    assert_eq!(resp.get(1), Some("他頭髮白了，發現了一封信"));
    assert_eq!(resp.get(2), Some("濟公活佛築基成功"));

    r.target_lang = "en".into();
    assert!(matches!(
        backend.translate(&r),
        Err(MtError::UnsupportedPair { .. })
    ));
}

#[test]
fn duplicate_ids_are_refused_before_any_call() {
    let server = StandIn::start(|_, s| openai_correct(s));
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = req(&[(1, "一"), (1, "二")]);
    assert!(matches!(backend.translate(&r), Err(MtError::Request(_))));
    assert_eq!(server.count(), 0);
}

#[test]
fn openai_swaps_without_numbers_are_caught_by_the_source_echo() {
    // Regression (fresh-user trial): swapped items of digit-free segments were accepted.
    let server = StandIn::start(|_, s| {
        let mut items = correct_items(s);
        if items.len() >= 2 {
            items.swap(0, 1);
            let (a, b) = (items[0].0, items[1].0);
            items[0].0 = b;
            items[1].0 = a;
        }
        completion(&translations_json(&items))
    });
    let backend = build_backend(&openai_config(&server.url, "")).unwrap();
    let r = req(&[
        (0, "他走了。"),
        (1, "天亮了，雨也停了。"),
        (2, "师父笑道。"),
    ]);
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert!(resp.is_complete(), "{resp:?}");
    // A reply whose items carry no echo at all is refused for batches, too.
    let bare = StandIn::start(|_, s| {
        let items = correct_items(s);
        completion(
            &json!({"translations": items.iter().map(|(id, t)| json!({"id": id, "text": t})).collect::<Vec<_>>()})
                .to_string(),
        )
    });
    let backend = build_backend(&openai_config(&bare.url, "")).unwrap();
    let resp = backend.translate(&r).unwrap();
    assert_aligned(&r, &resp, fake);
    assert!(
        bare.requests()
            .iter()
            .any(|s| openai_segments(s).len() == 1),
        "fell back to single segments"
    );
}
