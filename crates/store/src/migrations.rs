//! The schema migrations of both backends, in one list: index 0 = version 1.
//! SQLite records how many ran in `user_version`; PostgreSQL in the
//! `schema_version` table (applied in one transaction holding
//! `pg_advisory_xact_lock(MIGRATION_LOCK_KEY)`, so processes starting
//! together do not race). Never edit a released migration: append a new one.
//!
//! Each [`Migration`] is DDL written once (`shared`) with type tokens that
//! [`Migration::sql`] renders per dialect, plus the statements only one
//! dialect has (`sqlite`, `postgres`: triggers, extra indexes, the deposit
//! log mirror). The tokens:
//!
//! | token | SQLite | PostgreSQL |
//! |---|---|---|
//! | `{pk}` | `INTEGER PRIMARY KEY` (rowid) | `BIGSERIAL PRIMARY KEY` |
//! | `{serial}` | `INTEGER PRIMARY KEY AUTOINCREMENT` | `BIGSERIAL PRIMARY KEY` |
//! | `{int}` | `INTEGER` | `BIGINT` |
//! | `{bool}` / `{false}` | `INTEGER` / `0` | `BOOLEAN` / `FALSE` |
//! | `{ctext}` | `TEXT` | `TEXT COLLATE "C"` (byte-wise order, as SQLite) |
//! | `{blob}` | `BLOB` | `BYTEA` |
//!
//! Versions 1–4 render to exactly the DDL the two former per-backend lists
//! held (statement for statement), so databases created by them open as
//! they are.

use crate::sql::Dialect;

/// Key of the PostgreSQL advisory lock held while migrating ("Qiantang" in ASCII).
pub const MIGRATION_LOCK_KEY: i64 = 0x5169_616e_7461_6e67;

/// One schema version.
pub(crate) struct Migration {
    /// DDL for both dialects, with the type tokens of the module docs.
    pub shared: &'static str,
    /// Statements run on SQLite only, after `shared`.
    pub sqlite: &'static str,
    /// Statements run on PostgreSQL only, after `shared`.
    pub postgres: &'static str,
}

impl Migration {
    /// The SQL of this migration for `dialect`.
    pub(crate) fn sql(&self, dialect: Dialect) -> String {
        let tokens: [(&str, &str, &str); 7] = [
            ("{pk}", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"),
            (
                "{serial}",
                "INTEGER PRIMARY KEY AUTOINCREMENT",
                "BIGSERIAL PRIMARY KEY",
            ),
            ("{int}", "INTEGER", "BIGINT"),
            ("{bool}", "INTEGER", "BOOLEAN"),
            ("{false}", "0", "FALSE"),
            ("{ctext}", "TEXT", "TEXT COLLATE \"C\""),
            ("{blob}", "BLOB", "BYTEA"),
        ];
        let mut sql = self.shared.to_string();
        for (token, sqlite, pg) in tokens {
            sql = sql.replace(
                token,
                match dialect {
                    Dialect::Sqlite => sqlite,
                    Dialect::Postgres => pg,
                },
            );
        }
        sql.push_str(match dialect {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
        });
        sql
    }
}

/// All migrations, index 0 = version 1.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        shared: r#"
CREATE TABLE meta (key {ctext} PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE concepts (
    id {ctext} PRIMARY KEY,
    category TEXT NOT NULL,
    json TEXT NOT NULL,
    updated_ms {int} NOT NULL
);
CREATE TABLE concept_labels (
    concept {ctext} NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    text_lower {ctext} NOT NULL
);
CREATE INDEX concept_labels_concept ON concept_labels(concept);
CREATE INDEX concept_labels_text ON concept_labels(text_lower);
CREATE TABLE concept_revisions (
    concept {ctext} NOT NULL,
    revision {int} NOT NULL,
    actor TEXT NOT NULL,
    at_ms {int} NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (concept, revision)
);
CREATE TABLE renderings (
    concept {ctext} NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    lang {ctext} NOT NULL,
    market {ctext} NOT NULL DEFAULT '',
    strategy TEXT NOT NULL,
    text TEXT NOT NULL,
    gloss TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (concept, lang, market)
);
CREATE TABLE markets (region {ctext} PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE orgs (
    id {pk},
    name {ctext} NOT NULL UNIQUE,
    created_ms {int} NOT NULL
);
CREATE TABLE users (
    id {pk},
    email {ctext} NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin {bool} NOT NULL DEFAULT {false},
    created_ms {int} NOT NULL
);
CREATE TABLE memberships (
    org {int} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id {int} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (org, user_id)
);
CREATE TABLE api_tokens (
    id {pk},
    org {int} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by {int} REFERENCES users(id) ON DELETE SET NULL,
    created_ms {int} NOT NULL,
    last_used_ms {int},
    revoked_ms {int}
);
CREATE TABLE sessions (
    secret_hash TEXT PRIMARY KEY,
    user_id {int} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_ms {int} NOT NULL,
    expires_ms {int} NOT NULL
);
CREATE TABLE audit (
    id {serial},
    at_ms {int} NOT NULL,
    org {int},
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_org ON audit(org, id);
CREATE TABLE works (
    id {serial},
    org {int} NOT NULL REFERENCES orgs(id),
    published {bool} NOT NULL DEFAULT {false},
    title TEXT NOT NULL,
    author TEXT,
    language TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_encoding TEXT NOT NULL,
    chapter_count {int} NOT NULL,
    char_count {int} NOT NULL,
    created_ms {int} NOT NULL,
    tagged_ms {int}
);
CREATE TABLE chapters (
    work {int} NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    number {int} NOT NULL,
    title TEXT NOT NULL,
    char_count {int} NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (work, number)
);
CREATE TABLE occurrences (
    work {int} NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    chapter {int} NOT NULL,
    start {int} NOT NULL,
    len {int} NOT NULL,
    concept {ctext} NOT NULL,
    PRIMARY KEY (work, chapter, start)
);
CREATE INDEX occurrences_concept ON occurrences(concept, work);
CREATE INDEX works_org ON works(org);
"#,
        sqlite: r#"
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"#,
        postgres: r#"
CREATE INDEX memberships_user ON memberships(user_id);
CREATE INDEX api_tokens_org ON api_tokens(org, id);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_ms);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"#,
    },
    // 2: KB edit proposals (editors propose, reviewers decide).
    Migration {
        shared: r#"
CREATE TABLE concept_proposals (
    id {serial},
    concept {ctext} NOT NULL,
    json TEXT NOT NULL,
    proposer TEXT NOT NULL,
    created_ms {int} NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reviewer TEXT,
    decided_ms {int}
);
CREATE INDEX concept_proposals_status ON concept_proposals(status, id);
"#,
        sqlite: r#""#,
        postgres: r#""#,
    },
    // 3: licences (rights grants) and chapter fingerprints for the piracy check.
    Migration {
        shared: r#"
CREATE TABLE grants (
    id {serial},
    work {int} NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    org {int} NOT NULL,
    licensee TEXT NOT NULL,
    territories TEXT NOT NULL,
    languages TEXT NOT NULL,
    media TEXT NOT NULL,
    exclusive {bool} NOT NULL,
    start_day {ctext} NOT NULL,
    end_day {ctext},
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    flagged {bool} NOT NULL DEFAULT {false},
    conflicts TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_ms {int} NOT NULL,
    revoked_ms {int},
    deposit_index {int}
);
CREATE INDEX grants_work ON grants(work, id);
CREATE TABLE chapter_fingerprints (
    work {int} NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    chapter {int} NOT NULL,
    signature {blob} NOT NULL,
    created_ms {int} NOT NULL,
    PRIMARY KEY (work, chapter)
);
"#,
        sqlite: r#""#,
        postgres: r#""#,
    },
    // 4: localization (issue 4): projects, segments with history and
    // comments, translation memory, per-work glossaries, jobs, MT cache and
    // accounting.
    Migration {
        shared: r#"
CREATE TABLE l10n_projects (
    id {serial},
    org {int} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    work {int} NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    locale {ctext} NOT NULL,
    market TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms {int} NOT NULL,
    UNIQUE (work, locale, market)
);
CREATE INDEX l10n_projects_org ON l10n_projects(org);
CREATE TABLE l10n_segments (
    id {serial},
    project {int} NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    chapter {int} NOT NULL,
    ordinal {int} NOT NULL,
    char_offset {int} NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    state TEXT NOT NULL,
    origin TEXT,
    version {int} NOT NULL,
    updated_by TEXT,
    updated_ms {int} NOT NULL,
    UNIQUE (project, chapter, ordinal)
);
CREATE TABLE l10n_revisions (
    segment {int} NOT NULL REFERENCES l10n_segments(id) ON DELETE CASCADE,
    version {int} NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    state TEXT NOT NULL,
    origin TEXT,
    by_user TEXT NOT NULL,
    at_ms {int} NOT NULL,
    PRIMARY KEY (segment, version)
);
CREATE TABLE l10n_comments (
    id {serial},
    segment {int} NOT NULL REFERENCES l10n_segments(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    at_ms {int} NOT NULL
);
CREATE INDEX l10n_comments_segment ON l10n_comments(segment, id);
CREATE TABLE tm_units (
    id {serial},
    org {int} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    unit_key TEXT NOT NULL,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    context TEXT,
    approved {bool} NOT NULL,
    origin TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms {int} NOT NULL,
    UNIQUE (org, unit_key)
);
CREATE TABLE l10n_glossary (
    id {serial},
    work {int} NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    locale {ctext} NOT NULL,
    source {ctext} NOT NULL,
    aliases TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    concept TEXT,
    locked {bool} NOT NULL,
    forbidden TEXT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (work, locale, source)
);
CREATE TABLE l10n_jobs (
    id {serial},
    project {int} NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    done {int} NOT NULL,
    total {int} NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_ms {int} NOT NULL,
    updated_ms {int} NOT NULL
);
CREATE INDEX l10n_jobs_state ON l10n_jobs(state, id);
CREATE TABLE mt_cache (
    cache_key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_ms {int} NOT NULL
);
CREATE TABLE mt_usage (
    project {int} NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    backend {ctext} NOT NULL,
    requests {int} NOT NULL,
    prompt_tokens {int} NOT NULL,
    completion_tokens {int} NOT NULL,
    characters {int} NOT NULL,
    cached_segments {int} NOT NULL,
    PRIMARY KEY (project, backend)
);
"#,
        sqlite: r#""#,
        postgres: r#""#,
    }, // 5: the deposit log mirror (`qiantang_deposit::PgLogMirror`) joins the
    // store's migrations. PostgreSQL only (with SQLite the deposit log has no
    // mirror); `IF NOT EXISTS` because mirrors before this version created
    // the same tables themselves.
    Migration {
        shared: "",
        sqlite: "",
        postgres: r#"
CREATE TABLE IF NOT EXISTS deposit_log_entries (
    idx        BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf_hash  BYTEA NOT NULL CHECK (octet_length(leaf_hash) = 32),
    entry      BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS deposit_log_checkpoints (
    size       BIGINT PRIMARY KEY CHECK (size >= 0),
    note       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"#,
    },
];
