//! The request cache: the same request never costs a second backend call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::{MtBackend, MtError, MtRequest, MtResponse, Usage};

/// Version of the key derivation; bump it when prompts or key inputs change meaning.
const KEY_VERSION: &str = "qiantang-mt cache key v1";

/// Storage for complete translations of a request, keyed by [`cache_key`].
///
/// The rest of the system provides a persistent implementation; [`MemoryCache`] is the
/// in-process one. Implementations must be cheap to call from several threads.
pub trait MtCache: Send + Sync {
    /// The stored translations for `key` (64 lowercase hex characters), `(id, text)` in
    /// request order, or `None`.
    fn get(&self, key: &str) -> Option<Vec<(u32, String)>>;
    /// Stores the translations for `key`. Only complete answers are stored.
    fn put(&self, key: &str, translations: &[(u32, String)]);
}

/// SHA-256 (hex) over the backend name, model, both languages, segment ids and texts, context,
/// synopsis, terms and mode — everything that can change the answer. Each field is
/// serialized as JSON, so field boundaries cannot be confused.
pub fn cache_key(backend: &str, model: Option<&str>, req: &MtRequest) -> String {
    let mut h = Sha256::new();
    h.update(KEY_VERSION.as_bytes());
    h.update([0]);
    // serde_json of these shapes cannot fail (string keys, no maps with non-string keys).
    let body = serde_json::to_vec(&(backend, model, req)).unwrap_or_default();
    h.update(&body);
    hex::encode(h.finalize())
}

/// A [`MtCache`] in memory (a `Mutex<HashMap>`), for tests and one-process use.
#[derive(Debug, Default)]
pub struct MemoryCache {
    map: Mutex<HashMap<String, Vec<(u32, String)>>>,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored requests.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MtCache for MemoryCache {
    fn get(&self, key: &str) -> Option<Vec<(u32, String)>> {
        self.map.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: &str, translations: &[(u32, String)]) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(key.to_string(), translations.to_vec());
        }
    }
}

/// Wraps a backend with a cache: a hit answers with `cached: true` and zero usage; a complete
/// answer from the backend is stored. Answers with failures are not stored, so the failed
/// segments are tried again next time.
pub struct CachedBackend {
    inner: Box<dyn MtBackend>,
    cache: Arc<dyn MtCache>,
}

impl CachedBackend {
    /// Wraps `inner` with `cache`.
    pub fn new(inner: Box<dyn MtBackend>, cache: Arc<dyn MtCache>) -> Self {
        CachedBackend { inner, cache }
    }
}

impl MtBackend for CachedBackend {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn model(&self) -> Option<&str> {
        self.inner.model()
    }

    fn translate(&self, req: &MtRequest) -> Result<MtResponse, MtError> {
        let key = cache_key(self.inner.name(), self.inner.model(), req);
        if let Some(hit) = self.cache.get(&key) {
            // A cache entry must answer exactly the requested ids, in order; anything else is
            // treated as a miss rather than trusted.
            let ids_match = hit.len() == req.segments.len()
                && hit
                    .iter()
                    .zip(&req.segments)
                    .all(|((id, _), s)| *id == s.id);
            if ids_match {
                tracing::debug!(
                    backend = self.inner.name(),
                    key,
                    "machine-translation cache hit"
                );
                return Ok(MtResponse {
                    translations: hit,
                    failures: Vec::new(),
                    usage: Usage::default(),
                    backend: self.inner.name().to_string(),
                    model: self.inner.model().map(str::to_string),
                    cached: true,
                });
            }
            tracing::warn!(key, "cache entry does not match the request ids; ignored");
        }
        let resp = self.inner.translate(req)?;
        if resp.is_complete() {
            self.cache.put(&key, &resp.translations);
        }
        Ok(resp)
    }
}
