//! The deposit leaf of a grant: its canonical JSON and the `licence` entry of
//! the copyright deposit log (`qiantang_ledger::entry`).
//!
//! The canonical JSON has a fixed field order, no whitespace, sorted lists,
//! and leaves out what changes after deposit (flagging, deposit index,
//! revocation time):
//!
//! ```text
//! {"v":1,"type":"qiantang.licence","grant":3,"work":1,"licensor":"demo","licensee":"Tor",
//!  "territories":["CA","US"],"languages":["en"],"media":["text","audio"],"exclusive":true,
//!  "start":"2027-01-01","end":"2029-12-31","status":"granted","notes":""}
//! ```
//!
//! Revocations will be deposited as a new entry whose `parent` is the
//! grant's entry once the hub's deposit service appends entries (the grant
//! keeps its `deposit_index`).

use serde::Serialize;
use sha2::{Digest, Sha256};

use qiantang_ledger::entry::{DepositEntry, EntryError, Kind, ParentRef, VERSION};

use crate::model::{Day, Grant, Language, Medium, Region};

/// Media type of a grant's canonical JSON.
pub const DEPOSIT_MEDIA_TYPE: &str = "application/vnd.qiantang.licence+json";

#[derive(Serialize)]
struct Canonical<'a> {
    v: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    grant: i64,
    work: i64,
    licensor: &'a str,
    licensee: &'a str,
    territories: &'a [Region],
    languages: &'a [Language],
    media: &'a [Medium],
    exclusive: bool,
    start: Day,
    end: Option<Day>,
    status: &'static str,
    notes: &'a str,
}

impl Grant {
    /// The canonical JSON of the grant (what the deposit log hashes);
    /// `licensor` is the name of the owning organization.
    pub fn deposit_bytes(&self, licensor: &str) -> Vec<u8> {
        let c = Canonical {
            v: 1,
            kind: "qiantang.licence",
            grant: self.id,
            work: self.work_id,
            licensor,
            licensee: &self.licensee,
            territories: &self.territories,
            languages: &self.languages,
            media: &self.media,
            exclusive: self.exclusive,
            start: self.start,
            end: self.end,
            status: self.status.as_str(),
            notes: &self.notes,
        };
        // Serializing plain strings, numbers and lists cannot fail.
        serde_json::to_vec(&c).unwrap_or_default()
    }

    /// The `licence` deposit leaf of this grant: SHA-256 and size of
    /// [`Grant::deposit_bytes`], the licensor, a title naming work and
    /// licensee, and optionally the work's own entry as `parent`.
    ///
    /// # Errors
    /// As [`DepositEntry::to_bytes`] (a parent hash that is not 64 hex digits).
    pub fn deposit_entry(
        &self,
        licensor: &str,
        work_title: &str,
        deposited_by: &str,
        parent: Option<ParentRef>,
    ) -> Result<DepositEntry, EntryError> {
        let bytes = self.deposit_bytes(licensor);
        // The log is public: the title names only the grant, never the licensee
        // or the work (both are in the hashed canonical JSON, which stays private).
        let _ = work_title;
        let title = format!("licence #{}", self.id);
        let e = DepositEntry {
            v: VERSION,
            sha256: hex::encode(Sha256::digest(&bytes)),
            media_type: DEPOSIT_MEDIA_TYPE.into(),
            size: bytes.len() as u64,
            org: licensor.into(),
            title,
            kind: Kind::Licence,
            parent,
            deposited_by: deposited_by.into(),
        };
        e.validate()?;
        Ok(e)
    }
}
