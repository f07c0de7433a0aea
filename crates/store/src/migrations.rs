//! Embedded schema migrations, applied in order; SQLite's `user_version`
//! records how many ran. Never edit a released migration: append a new one.

/// Migration SQL, index 0 = version 1.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE concepts (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    json TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE concept_labels (
    concept TEXT NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    text_lower TEXT NOT NULL
);
CREATE INDEX concept_labels_concept ON concept_labels(concept);
CREATE INDEX concept_labels_text ON concept_labels(text_lower);
CREATE TABLE concept_revisions (
    concept TEXT NOT NULL,
    revision INTEGER NOT NULL,
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (concept, revision)
);
CREATE TABLE renderings (
    concept TEXT NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    market TEXT NOT NULL DEFAULT '',
    strategy TEXT NOT NULL,
    text TEXT NOT NULL,
    gloss TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (concept, lang, market)
);
CREATE TABLE markets (region TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE TABLE memberships (
    org INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (org, user_id)
);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    org INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_ms INTEGER NOT NULL,
    last_used_ms INTEGER,
    revoked_ms INTEGER
);
CREATE TABLE sessions (
    secret_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    org INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_org ON audit(org, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TABLE works (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org INTEGER NOT NULL REFERENCES orgs(id),
    published INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    author TEXT,
    language TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_encoding TEXT NOT NULL,
    chapter_count INTEGER NOT NULL,
    char_count INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    tagged_ms INTEGER
);
CREATE TABLE chapters (
    work INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    char_count INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (work, number)
);
CREATE TABLE occurrences (
    work INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    chapter INTEGER NOT NULL,
    start INTEGER NOT NULL,
    len INTEGER NOT NULL,
    concept TEXT NOT NULL,
    PRIMARY KEY (work, chapter, start)
);
CREATE INDEX occurrences_concept ON occurrences(concept, work);
CREATE INDEX works_org ON works(org);
"#,
    // 2: KB edit proposals (editors propose, reviewers decide).
    r#"
CREATE TABLE concept_proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    concept TEXT NOT NULL,
    json TEXT NOT NULL,
    proposer TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reviewer TEXT,
    decided_ms INTEGER
);
CREATE INDEX concept_proposals_status ON concept_proposals(status, id);
"#,
    // 3: licences (rights grants) and chapter fingerprints for the piracy check.
    r#"
CREATE TABLE grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    work INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    org INTEGER NOT NULL,
    licensee TEXT NOT NULL,
    territories TEXT NOT NULL,
    languages TEXT NOT NULL,
    media TEXT NOT NULL,
    exclusive INTEGER NOT NULL,
    start_day TEXT NOT NULL,
    end_day TEXT,
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    flagged INTEGER NOT NULL DEFAULT 0,
    conflicts TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    deposit_index INTEGER
);
CREATE INDEX grants_work ON grants(work, id);
CREATE TABLE chapter_fingerprints (
    work INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    chapter INTEGER NOT NULL,
    signature BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (work, chapter)
);
"#,
    // 4: localization (issue 4): projects, segments with history and
    // comments, translation memory, per-work glossaries, jobs, MT cache and
    // accounting.
    r#"
CREATE TABLE l10n_projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    work INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    market TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (work, locale, market)
);
CREATE INDEX l10n_projects_org ON l10n_projects(org);
CREATE TABLE l10n_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project INTEGER NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    chapter INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    char_offset INTEGER NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    state TEXT NOT NULL,
    origin TEXT,
    version INTEGER NOT NULL,
    updated_by TEXT,
    updated_ms INTEGER NOT NULL,
    UNIQUE (project, chapter, ordinal)
);
CREATE TABLE l10n_revisions (
    segment INTEGER NOT NULL REFERENCES l10n_segments(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    state TEXT NOT NULL,
    origin TEXT,
    by_user TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (segment, version)
);
CREATE TABLE l10n_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    segment INTEGER NOT NULL REFERENCES l10n_segments(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX l10n_comments_segment ON l10n_comments(segment, id);
CREATE TABLE tm_units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    unit_key TEXT NOT NULL,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    context TEXT,
    approved INTEGER NOT NULL,
    origin TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (org, unit_key)
);
CREATE TABLE l10n_glossary (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    work INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    source TEXT NOT NULL,
    aliases TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    concept TEXT,
    locked INTEGER NOT NULL,
    forbidden TEXT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (work, locale, source)
);
CREATE TABLE l10n_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project INTEGER NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    done INTEGER NOT NULL,
    total INTEGER NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX l10n_jobs_state ON l10n_jobs(state, id);
CREATE TABLE mt_cache (
    cache_key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE mt_usage (
    project INTEGER NOT NULL REFERENCES l10n_projects(id) ON DELETE CASCADE,
    backend TEXT NOT NULL,
    requests INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    characters INTEGER NOT NULL,
    cached_segments INTEGER NOT NULL,
    PRIMARY KEY (project, backend)
);
"#,
];
