//! The built-in seed shipped inside the binary: concepts, ICH facts,
//! renderings, markets, sense guards and the idiom list from `data/` (see
//! `data/PROVENANCE.md`).

use crate::model::{Concept, Market, Rendering, SenseGuard};

/// Hand-curated concepts (JSON array of [`Concept`]).
pub const CONCEPTS_JSON: &str = include_str!("../../../data/kb/concepts.json");
/// Concepts generated from the national ICH list, Zhejiang entries.
pub const HERITAGE_JSON: &str = include_str!("../../../data/kb/heritage.json");
/// Rendering rules (JSON array of [`Rendering`]).
pub const RENDERINGS_JSON: &str = include_str!("../../../data/kb/renderings.json");
/// Markets (JSON array of [`Market`]).
pub const MARKETS_JSON: &str = include_str!("../../../data/markets.json");
/// Sense guards (JSON array of [`SenseGuard`]).
pub const SENSES_JSON: &str = include_str!("../../../data/kb/senses.json");
/// Idioms and set phrases inside which short labels are not tagged (one per
/// line, `#` comments), see [`idioms`].
pub const IDIOMS_TXT: &str = include_str!("../../../data/kb/idioms.txt");

/// The parsed seed.
#[derive(Debug, Clone)]
pub struct Seed {
    /// All concepts (curated first, then ICH entries).
    pub concepts: Vec<Concept>,
    /// All rendering rules.
    pub renderings: Vec<Rendering>,
    /// All markets.
    pub markets: Vec<Market>,
    /// Sense guards for the tagger.
    pub senses: Vec<SenseGuard>,
}

/// Error in the embedded seed (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
#[error("built-in seed file {file} is invalid: {source}")]
pub struct SeedError {
    file: &'static str,
    #[source]
    source: serde_json::Error,
}

/// Parses the embedded seed.
pub fn load() -> Result<Seed, SeedError> {
    let parse = |file: &'static str, s: &str| -> Result<Vec<Concept>, SeedError> {
        serde_json::from_str(s).map_err(|source| SeedError { file, source })
    };
    let mut concepts = parse("data/kb/concepts.json", CONCEPTS_JSON)?;
    concepts.extend(parse("data/kb/heritage.json", HERITAGE_JSON)?);
    let renderings = serde_json::from_str(RENDERINGS_JSON).map_err(|source| SeedError {
        file: "data/kb/renderings.json",
        source,
    })?;
    let markets = serde_json::from_str(MARKETS_JSON).map_err(|source| SeedError {
        file: "data/markets.json",
        source,
    })?;
    Ok(Seed {
        concepts,
        renderings,
        markets,
        senses: senses()?,
    })
}

/// Parses the embedded sense guards (`data/kb/senses.json`).
pub fn senses() -> Result<Vec<SenseGuard>, SeedError> {
    serde_json::from_str(SENSES_JSON).map_err(|source| SeedError {
        file: "data/kb/senses.json",
        source,
    })
}

/// The embedded idiom list (`data/kb/idioms.txt`): trimmed non-empty lines
/// that are not `#` comments.
pub fn idioms() -> impl Iterator<Item = &'static str> {
    IDIOMS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}
