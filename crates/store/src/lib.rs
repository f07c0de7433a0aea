//! # qiantang-store — storage backends
//!
//! Implements the domain store traits ([`qiantang_kb::KbStore`],
//! [`qiantang_works::WorkStore`], [`qiantang_auth::AuthStore`],
//! [`qiantang_l10n::L10nStore`], [`qiantang_rights::RightsStore`],
//! [`qiantang_works::FingerprintStore`]) on two
//! backends: the embedded default, SQLite in WAL mode ([`SqliteStore`]), and
//! PostgreSQL ([`PostgresStore`]). Both keep chapter text in a
//! content-addressed blob folder ([`BlobDir`]) in the data directory; domain
//! crates never see SQL types. [`open`] picks the backend from a database URL.
//!
//! Each trait is implemented once, for [`Store`], over the small SQL layer
//! of the `sql` module (statements written once, with `?N` placeholders;
//! the backends differ only in connection handling, binding, decoding and a
//! few dialect fragments). The schema is one migration list for both
//! backends (`migrations`). See `crates/store/README.md` for why.
//!
//! *Invariant*: every trait call that writes is one transaction; an error
//! means nothing was written (blobs created by a failed call are removed).

mod auth;
pub mod blob;
mod kb;
mod l10n;
mod l10n_common;
mod migrations;
pub mod postgres;
mod rights;
mod sql;
pub mod sqlite;
mod works;

use std::path::Path;
use std::sync::Arc;

use qiantang_auth::AuthStore;
use qiantang_kb::{KbStore, StoreError};
use qiantang_l10n::L10nStore;
use qiantang_rights::RightsStore;
use qiantang_works::{FingerprintStore, WorkStore};

/// The schema version a fresh database reaches after all migrations (one
/// list for both backends, see `migrations`).
pub const SCHEMA_VERSION: u32 = migrations::MIGRATIONS.len() as u32;

pub use blob::BlobDir;
pub use postgres::{PgDb, PostgresStore};
pub use sql::Store;
pub use sqlite::{SqliteDb, SqliteStore};

/// Handles to every store, shared by the hub and the CLI.
#[derive(Clone)]
pub struct Stores {
    /// Knowledge base.
    pub kb: Arc<dyn KbStore>,
    /// Works and chapters.
    pub works: Arc<dyn WorkStore>,
    /// Organizations, accounts, tokens, sessions, audit.
    pub auth: Arc<dyn AuthStore>,
    /// Localization projects, segments, TM, glossaries, jobs.
    pub l10n: Arc<dyn L10nStore>,
    /// Licences (rights grants).
    pub rights: Arc<dyn RightsStore>,
    /// Chapter fingerprints for the piracy check.
    pub fingerprints: Arc<dyn FingerprintStore>,
}

impl Stores {
    /// Every handle pointing at the one store `s`.
    fn of<S>(s: Arc<S>) -> Self
    where
        S: KbStore + WorkStore + AuthStore + L10nStore + RightsStore + FingerprintStore + 'static,
    {
        Stores {
            kb: s.clone(),
            works: s.clone(),
            auth: s.clone(),
            l10n: s.clone(),
            rights: s.clone(),
            fingerprints: s,
        }
    }
}

/// Opens the embedded default store in `data_dir` (created if missing).
pub fn open_embedded(data_dir: &Path) -> Result<Stores, StoreError> {
    Ok(Stores::of(Arc::new(SqliteStore::open(data_dir)?)))
}

/// Opens the store named by `database_url`, keeping chapter text in
/// `data_dir/blobs` whatever the backend:
///
/// - `None`, an empty string, `sqlite:` or `sqlite://` → the embedded SQLite
///   store in `data_dir` (as [`open_embedded`]);
/// - `postgres://…` or `postgresql://…` → [`PostgresStore`] (migrations run
///   on open). Must not be called on a Tokio worker thread; see
///   [`postgres`](crate::postgres) for the threading rules.
///
/// Errors: [`StoreError::Invalid`] for an unsupported scheme, a `sqlite:` URL
/// with a path (SQLite always lives in the data directory) or an unparsable
/// PostgreSQL URL; [`StoreError::Backend`] when the database cannot be opened
/// or migrated. Messages carry the URL only through [`redact_url`].
pub fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Stores, StoreError> {
    let Some(url) = database_url.map(str::trim).filter(|u| !u.is_empty()) else {
        return open_embedded(data_dir);
    };
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => {
            let rest = url["sqlite:".len()..].trim_start_matches('/');
            if !rest.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "database URL {}: SQLite always lives in the data directory; write `sqlite:` without a path",
                    redact_url(url)
                )));
            }
            open_embedded(data_dir)
        }
        "postgres" | "postgresql" if url[scheme.len()..].starts_with("://") => {
            let s = Arc::new(PostgresStore::open(url, data_dir)?);
            tracing::info!(url = %redact_url(url), "opened PostgreSQL store");
            Ok(Stores::of(s))
        }
        _ => Err(StoreError::Invalid(format!(
            "unsupported database URL {}: expected postgres://…, postgresql://… or sqlite:",
            redact_url(url)
        ))),
    }
}

/// Returns `url` with every password replaced by `***`, for logs and error
/// messages: the password of `scheme://user:password@host…` (everything
/// between the first `:` of the user info and its last `@`), `password=`
/// query parameters, and `password=` pairs of a key/value connection string
/// (`host=… password='…'`). Anything else is kept.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return redact_key_values(url);
    };
    let body_start = scheme_end + 3;
    let body = &url[body_start..];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..body_start]);
    // The last `@` ends the user info; a password may hold `/`, `?` or `#`
    // unencoded, so over-redacting is preferred to looking for the host first.
    let rest = match body.rfind('@') {
        Some(at) => {
            let userinfo = &body[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            &body[at..]
        }
        None => body,
    };
    match rest.find('?') {
        Some(q) => {
            out.push_str(&rest[..=q]);
            let (query, fragment) = match rest[q + 1..].find('#') {
                Some(h) => rest[q + 1..].split_at(h),
                None => (&rest[q + 1..], ""),
            };
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
            out.push_str(fragment);
        }
        None => out.push_str(rest),
    }
    out
}

/// Redacts `password=…` in a libpq key/value string (`host=h password='x y'`).
fn redact_key_values(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(pos) = lower.find("password") else {
            out.push_str(rest);
            return out;
        };
        let after_key = &rest[pos + "password".len()..];
        let trimmed = after_key.trim_start();
        let at_word_start = pos == 0
            || rest[..pos]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
        let Some(value) = trimmed.strip_prefix('=').filter(|_| at_word_start) else {
            out.push_str(&rest[..pos + "password".len()]);
            rest = after_key;
            continue;
        };
        out.push_str(&rest[..pos]);
        out.push_str("password=***");
        let value = value.trim_start();
        rest = if let Some(quoted) = value.strip_prefix('\'') {
            // Quoted value: ends at the first `'` not escaped by a backslash.
            let mut end = quoted.len();
            let mut escaped = false;
            for (i, ch) in quoted.char_indices() {
                match ch {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = i + 1;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            &quoted[end..]
        } else {
            let end = value.find(char::is_whitespace).unwrap_or(value.len());
            &value[end..]
        };
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redact_url_hides_passwords() {
        let cases = [
            (
                "postgres://qt:s3cret@127.0.0.1:54329/qt",
                "postgres://qt:***@127.0.0.1:54329/qt",
            ),
            (
                "postgresql://qt:p%40ss@db.example/qt?sslmode=disable",
                "postgresql://qt:***@db.example/qt?sslmode=disable",
            ),
            // Unencoded `@`, `/` and `?` in the password.
            (
                "postgres://qt:a@b/c?d@host:5432/db",
                "postgres://qt:***@host:5432/db",
            ),
            ("postgres://qt@host/db", "postgres://qt@host/db"),
            ("postgres://host/db", "postgres://host/db"),
            (
                "postgres:///db?user=qt&password=s3cret&options=-csearch_path%3Dx",
                "postgres:///db?user=qt&password=***&options=-csearch_path%3Dx",
            ),
            (
                "postgres://h/db?PASSWORD=s3cret#frag",
                "postgres://h/db?PASSWORD=***#frag",
            ),
            (
                "host=localhost password=s3cret user=qt",
                "host=localhost password=*** user=qt",
            ),
            (
                "host=localhost password = 'se cr\\'et' user=qt",
                "host=localhost password=*** user=qt",
            ),
            ("user=qt passwordx=1", "user=qt passwordx=1"),
            ("sqlite:", "sqlite:"),
        ];
        for (input, want) in cases {
            let got = redact_url(input);
            assert_eq!(got, want, "{input}");
            assert!(!got.contains("s3cret") && !got.contains("cr\\'et"), "{got}");
        }
    }
}
