//! TM benchmark (placeholder until the tm module lands).
fn main() {}
