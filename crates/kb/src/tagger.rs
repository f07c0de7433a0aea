//! The tagger. Placeholder: being written.
use crate::model::{Concept, ConceptId};

/// One occurrence of a concept label in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The concept found.
    pub concept: ConceptId,
    /// Offset of the first character, in Unicode scalar values from the start of the text.
    pub start: usize,
    /// Length in Unicode scalar values.
    pub len: usize,
}

/// Finds concept occurrences in Chinese text.
pub struct Tagger {}

impl Tagger {
    /// Builds a tagger from the zh-Hans and zh-Hant labels of `concepts`.
    pub fn new(_concepts: &[Concept]) -> Self {
        Tagger {}
    }
    /// All occurrences in `text`, in order, non-overlapping (leftmost-longest).
    pub fn tag(&self, _text: &str) -> Vec<Occurrence> {
        Vec::new()
    }
}
