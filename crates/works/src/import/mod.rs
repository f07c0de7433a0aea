//! Novel import. Placeholder: being written.
