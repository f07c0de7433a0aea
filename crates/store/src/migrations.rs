//! Embedded schema migrations, applied in order; SQLite's `user_version`
//! records how many ran. Never edit a released migration: append a new one.

/// Migration SQL, index 0 = version 1.
pub const MIGRATIONS: &[&str] = &[r#"
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
CREATE TABLE works (
    id INTEGER PRIMARY KEY,
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
"#];
