//! `qiantang-l10n`: the localization engine.
//!
//! * [`model`]: localization projects (work × target locale × market),
//!   segments with their state machine and history, translation units,
//!   per-work glossary entries, background jobs;
//! * [`store`]: the persistence boundary ([`store::L10nStore`]), implemented
//!   by `qiantang-store` on SQLite and PostgreSQL;
//! * [`segment`]: the sentence segmenter that turns chapter bodies into
//!   [`NewSegment`]s (character offsets, quotes kept whole);
//! * [`tm`]: the fuzzy translation-memory index ([`tm::TmIndex`]) and
//!   concordance; [`tmx`] (TMX 1.4b) and [`tatoeba`] feed it;
//! * [`xliff`]: XLIFF 2.1 exchange with external CAT tools;
//! * [`qa`]: quality checks with severities and one-click fixes;
//! * [`adapt`]: the per-segment termbase (knowledge base + glossary) and the
//!   market's cultural-adaptation rules (first-occurrence glosses);
//! * [`text`]: Han detection and term-form matching shared by [`adapt`] and
//!   [`qa`];
//! * [`epub`]: EPUB 3 output of a localized work.
//!
//! The crate knows nothing of HTTP or SQL (see ARCHITECTURE.md).

pub mod adapt;
pub mod epub;
pub mod model;
pub mod qa;
pub mod segment;
pub mod store;
pub mod tatoeba;
pub mod text;
pub mod tm;
pub mod tmx;
pub mod xliff;

pub use model::*;
pub use store::L10nStore;
