//! Containment tests.
