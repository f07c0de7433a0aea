//! # qiantang-kb — the cultural-element knowledge base
//!
//! Owns the concept scheme (SKOS-like concepts with multilingual labels and a
//! broader/narrower hierarchy), the market model (ISO 3166-1 markets with
//! BCP 47 languages, context class and cultural proximity), rendering rules
//! (keep / transliterate / translate / transliterate+gloss / substitute),
//! SKOS JSON-LD and TBX-Basic exchange, the built-in seed and the tagger that
//! finds concept occurrences in Chinese text, and the Sino-Xenic derivation
//! of Vietnamese, Korean and Japanese forms from Unihan readings.
//!
//! *API boundary*: this crate knows nothing of HTTP or SQL. Persistence goes
//! through the [`store::KbStore`] trait, implemented by `qiantang-store`.

pub mod model;
pub mod render;
pub mod seed;
pub mod sinoxenic;
pub mod skos;
pub mod store;
pub mod tagger;
pub mod tbx;

pub use model::*;
pub use store::{ConceptProposal, ConceptRevision, KbStore, ProposalStatus, StoreError};
pub use tagger::{Occurrence, Tagger};
