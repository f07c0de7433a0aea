//! Piracy-finder benchmark (placeholder).
fn main() {}
