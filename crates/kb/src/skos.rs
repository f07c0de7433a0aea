//! SKOS (JSON-LD) export and import. Placeholder: being written.
