//! TBX-Basic (ISO 30042) export and import. Placeholder: being written.
