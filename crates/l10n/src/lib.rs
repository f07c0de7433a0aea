//! `qiantang-l10n`: the localization engine.
//!
//! * [`model`]: localization projects (work × target locale × market),
//!   segments with their state machine and history, translation units,
//!   per-work glossary entries, background jobs;
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
pub mod tatoeba;
pub mod tm;
pub mod tmx;
pub mod xliff;

pub use model::*;
pub use store::L10nStore;
