//! Embedded PostgreSQL schema migrations, applied in order by
//! [`crate::postgres::PostgresStore`]. The `schema_version` table records
//! which ran; they are applied in one transaction holding
//! `pg_advisory_xact_lock`, so processes starting together do not race.
//! Never edit a released migration: append a new one.
//!
//! The schema is equivalent to the SQLite one in [`crate::migrations`]:
//! `BIGSERIAL`/`BIGINT` for ids and integers, `BOOLEAN` for flags, and
//! `COLLATE "C"` on every text column that is sorted or searched, so that
//! orderings are byte-wise exactly as in SQLite whatever the database locale.

/// Key of the advisory lock held while migrating ("Qiantang" in ASCII).
pub const MIGRATION_LOCK_KEY: i64 = 0x5169_616e_7461_6e67;

/// Migration SQL, index 0 = version 1.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE concepts (
    id TEXT COLLATE "C" PRIMARY KEY,
    category TEXT NOT NULL,
    json TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE TABLE concept_labels (
    concept TEXT COLLATE "C" NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    text_lower TEXT COLLATE "C" NOT NULL
);
CREATE INDEX concept_labels_concept ON concept_labels(concept);
CREATE INDEX concept_labels_text ON concept_labels(text_lower);
CREATE TABLE concept_revisions (
    concept TEXT COLLATE "C" NOT NULL,
    revision BIGINT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (concept, revision)
);
CREATE TABLE renderings (
    concept TEXT COLLATE "C" NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    lang TEXT COLLATE "C" NOT NULL,
    market TEXT COLLATE "C" NOT NULL DEFAULT '',
    strategy TEXT NOT NULL,
    text TEXT NOT NULL,
    gloss TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (concept, lang, market)
);
CREATE TABLE markets (region TEXT COLLATE "C" PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE orgs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms BIGINT NOT NULL
);
CREATE TABLE memberships (
    org BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (org, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    org BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_ms BIGINT NOT NULL,
    last_used_ms BIGINT,
    revoked_ms BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens(org, id);
CREATE TABLE sessions (
    secret_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_ms);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    org BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_org ON audit(org, id);
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
CREATE TABLE works (
    id BIGSERIAL PRIMARY KEY,
    org BIGINT NOT NULL REFERENCES orgs(id),
    published BOOLEAN NOT NULL DEFAULT FALSE,
    title TEXT NOT NULL,
    author TEXT,
    language TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_encoding TEXT NOT NULL,
    chapter_count BIGINT NOT NULL,
    char_count BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    tagged_ms BIGINT
);
CREATE TABLE chapters (
    work BIGINT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    char_count BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (work, number)
);
CREATE TABLE occurrences (
    work BIGINT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    chapter BIGINT NOT NULL,
    start BIGINT NOT NULL,
    len BIGINT NOT NULL,
    concept TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (work, chapter, start)
);
CREATE INDEX occurrences_concept ON occurrences(concept, work);
CREATE INDEX works_org ON works(org);
"#,
    // 2: KB edit proposals (editors propose, reviewers decide).
    r#"
CREATE TABLE concept_proposals (
    id BIGSERIAL PRIMARY KEY,
    concept TEXT COLLATE "C" NOT NULL,
    json TEXT NOT NULL,
    proposer TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reviewer TEXT,
    decided_ms BIGINT
);
CREATE INDEX concept_proposals_status ON concept_proposals(status, id);
"#,
    // 3: licences (rights grants) and chapter fingerprints for the piracy check.
    r#"
CREATE TABLE grants (
    id BIGSERIAL PRIMARY KEY,
    work BIGINT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    org BIGINT NOT NULL,
    licensee TEXT NOT NULL,
    territories TEXT NOT NULL,
    languages TEXT NOT NULL,
    media TEXT NOT NULL,
    exclusive BOOLEAN NOT NULL,
    start_day TEXT COLLATE "C" NOT NULL,
    end_day TEXT COLLATE "C",
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    flagged BOOLEAN NOT NULL DEFAULT FALSE,
    conflicts TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    deposit_index BIGINT
);
CREATE INDEX grants_work ON grants(work, id);
CREATE TABLE chapter_fingerprints (
    work BIGINT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    chapter BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (work, chapter)
);
"#,
    // 4: localization (issue 4): projects, segments with history and
    // comments, translation memory, per-work glossaries, jobs, MT cache and
    // accounting.
    r#"
CREATE TABLE l10n_projects (
    id BIGSERIAL PRIMARY KEY,
    org BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    work BIGINT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    locale TEXT COLLATE "C" NOT NULL,
    market TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (work, locale, market)
);
CREATE INDEX l10n_projects_org ON l10n_projects(org);
CREATE TABLE l10n_segments (
    id BIGSERIAL PRIMARY KEY,
    project BIGINT NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    chapter BIGINT NOT NULL,
    ordinal BIGINT NOT NULL,
    char_offset BIGINT NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    state TEXT NOT NULL,
    origin TEXT,
    version BIGINT NOT NULL,
    updated_by TEXT,
    updated_ms BIGINT NOT NULL,
    UNIQUE (project, chapter, ordinal)
);
CREATE TABLE l10n_revisions (
    segment BIGINT NOT NULL REFERENCES l10n_segments(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    state TEXT NOT NULL,
    origin TEXT,
    by_user TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (segment, version)
);
CREATE TABLE l10n_comments (
    id BIGSERIAL PRIMARY KEY,
    segment BIGINT NOT NULL REFERENCES l10n_segments(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX l10n_comments_segment ON l10n_comments(segment, id);
CREATE TABLE tm_units (
    id BIGSERIAL PRIMARY KEY,
    org BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    unit_key TEXT NOT NULL,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    context TEXT,
    approved BOOLEAN NOT NULL,
    origin TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (org, unit_key)
);
CREATE TABLE l10n_glossary (
    id BIGSERIAL PRIMARY KEY,
    work BIGINT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    locale TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    aliases TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    concept TEXT,
    locked BOOLEAN NOT NULL,
    forbidden TEXT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (work, locale, source)
);
CREATE TABLE l10n_jobs (
    id BIGSERIAL PRIMARY KEY,
    project BIGINT NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX l10n_jobs_state ON l10n_jobs(state, id);
CREATE TABLE mt_cache (
    cache_key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE mt_usage (
    project BIGINT NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    backend TEXT COLLATE "C" NOT NULL,
    requests BIGINT NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    characters BIGINT NOT NULL,
    cached_segments BIGINT NOT NULL,
    PRIMARY KEY (project, backend)
);
"#,
];
