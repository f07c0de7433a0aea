//! `qiantang-l10n`: the localization engine.
//!
//! * [`model`]: localization projects (work × target locale × market),
//!   segments with their state machine and history, translation units,
//!   per-work glossary entries, background jobs;
//! * [`adapt`]: the termbase view of each segment (KB concepts and the
//!   per-work glossary) with the market's rendering rules;
//! * [`epub`]: EPUB 3 output of a localized work;
//! * [`qa`]: quality checks of targets, per segment and project-wide;
//! * [`store`]: the persistence boundary ([`store::L10nStore`]), implemented
//!   by `qiantang-store` on SQLite and PostgreSQL.
//!
//! The crate knows nothing of HTTP or SQL (see ARCHITECTURE.md).

pub mod adapt;
pub mod epub;
pub mod model;
pub mod qa;
pub mod segment;
pub mod store;

pub use model::*;
pub use store::L10nStore;
