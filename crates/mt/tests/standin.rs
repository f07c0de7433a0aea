//! Stand-in server tests for the MT backends.
