//! # qiantang-auth — organizations, accounts, roles, tokens and audit
//!
//! Owns the tenant model (organizations own works and all their derived
//! data), users and their roles per organization, API tokens, login sessions,
//! the append-only audit log, credential hashing, and the authorization rules
//! ([`policy`]). Persistence goes through [`AuthStore`].
//!
//! *API boundary*: no HTTP or SQL here. The hub turns requests into a
//! [`policy::Caller`] and asks [`policy`] whether an action is allowed.

pub mod model;
pub mod policy;
pub mod secret;
pub mod store;

pub use model::*;
pub use store::AuthStore;
