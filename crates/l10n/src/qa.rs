//! Quality checks of translated segments (issue 4 §6).

/// A term the target must (or must not) contain, from the termbase
/// ([`crate::adapt::requirements`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermRequirement {
    /// The Chinese source text of the term.
    pub source: String,
    /// Accepted target forms; any one of them satisfies the requirement.
    pub required: Vec<String>,
    /// Target forms that must not be used.
    pub forbidden: Vec<String>,
    /// Locked: a missing form is an error (else informational).
    pub locked: bool,
}
