//! Hub (being written).
