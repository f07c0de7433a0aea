//! # qiantang-rights — licences (copyright trading)
//!
//! A [`Grant`] licenses a work of its owning organization (the licensor) to a
//! licensee for a set of **territories** (ISO 3166-1 alpha-2, or `WW` for
//! worldwide), **languages** (BCP 47 tags, or `*` for all), **media** (text,
//! audio, film/TV, micro-drama, game, merchandise) and a **term** (a start
//! day and an optional end day; no end = perpetual), exclusive or not.
//!
//! Two grants *overlap* when their territories, languages, media and terms
//! all intersect ([`overlap`]). [`check_grant`] lists the [`Conflict`]s of a
//! new grant with the existing ones: an exclusive grant that overlaps any
//! active grant, or any grant that overlaps an active exclusive grant.
//!
//! *Invariant*: exclusive grants never overlap another active grant. The
//! store re-checks inside the writing transaction, so two concurrent
//! exclusive grants cannot both succeed; a conflicting grant is **refused**
//! unless the caller explicitly asks to record it *flagged*
//! ([`OnConflict::Flag`]), in which case the conflicts are stored with it and
//! shown wherever it is listed.
//!
//! [`rights_map`] turns a work's grants into the medium × territory ×
//! language matrix of who holds what. [`Grant::deposit_bytes`] is the
//! canonical JSON that the copyright deposit log hashes
//! ([`Grant::deposit_entry`] builds the `licence` leaf).
//!
//! *API boundary*: no HTTP and no SQL here; [`RightsStore`] is the
//! persistence trait, implemented in `qiantang-store`.

pub mod conflict;
pub mod deposit;
pub mod map;
pub mod model;
pub mod store;

pub use conflict::{check_grant, overlap, Cells, Conflict};
pub use deposit::DEPOSIT_MEDIA_TYPE;
pub use map::{rights_map, Holder, MapCell, RightsMap};
pub use model::{
    parse_list, Day, Grant, GrantId, GrantStatus, Language, Medium, NewGrant, Region, RightsError,
};
pub use store::{GrantOutcome, OnConflict, RightsStore};
