//! The rights map of a work: who holds what, per medium × territory × language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Day, Grant, GrantId, GrantStatus, Language, Medium, Region};

/// One holder of a cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The grant.
    pub grant: GrantId,
    /// Its licensee.
    pub licensee: String,
    /// Exclusive.
    pub exclusive: bool,
    /// Offer or granted.
    pub status: GrantStatus,
    /// First day.
    pub start: Day,
    /// Last day (`None` = perpetual).
    pub end: Option<Day>,
    /// Recorded despite a conflict.
    pub flagged: bool,
}

/// One cell of the map: a medium × territory × language named by some grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapCell {
    /// Medium.
    pub medium: Medium,
    /// Territory as granted (`WW` stays `WW`).
    pub territory: Region,
    /// Language as granted (`*` stays `*`).
    pub language: Language,
    /// Holders, granted first, then by start day.
    pub holders: Vec<Holder>,
}

/// The rights map of one work: cells in medium, territory, language order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsMap {
    /// The work.
    pub work_id: i64,
    /// The cells named by its offered and granted (not revoked) grants.
    pub cells: Vec<MapCell>,
}

/// Builds the rights map of `work_id` from its grants (revoked grants and
/// grants of other works are left out).
pub fn rights_map(work_id: i64, grants: &[Grant]) -> RightsMap {
    let mut cells: BTreeMap<(Medium, Region, Language), Vec<Holder>> = BTreeMap::new();
    for g in grants
        .iter()
        .filter(|g| g.work_id == work_id && g.status != GrantStatus::Revoked)
    {
        for m in &g.media {
            for t in &g.territories {
                for l in &g.languages {
                    cells
                        .entry((*m, t.clone(), l.clone()))
                        .or_default()
                        .push(Holder {
                            grant: g.id,
                            licensee: g.licensee.clone(),
                            exclusive: g.exclusive,
                            status: g.status,
                            start: g.start,
                            end: g.end,
                            flagged: g.flagged,
                        });
                }
            }
        }
    }
    RightsMap {
        work_id,
        cells: cells
            .into_iter()
            .map(|((medium, territory, language), mut holders)| {
                holders.sort_by_key(|h| (h.status != GrantStatus::Granted, h.start, h.grant));
                MapCell {
                    medium,
                    territory,
                    language,
                    holders,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::NewGrant;

    #[test]
    fn map_lists_each_cell_with_its_holders() {
        let base = NewGrant {
            work_id: 1,
            org: 1,
            licensee: "A".into(),
            territories: vec![Region::parse("WW").unwrap()],
            languages: vec![Language::parse("*").unwrap()],
            media: vec![Medium::FilmTv],
            exclusive: true,
            start: Day::parse("2027-01-01").unwrap(),
            end: None,
            status: GrantStatus::Granted,
            notes: String::new(),
            created_by: "t".into(),
        };
        let a = Grant::from_new(1, &base, Vec::new(), 0);
        let mut b = Grant::from_new(2, &base, Vec::new(), 0);
        b.licensee = "B".into();
        b.media = vec![Medium::Text, Medium::FilmTv];
        b.exclusive = false;
        b.status = GrantStatus::Offer;
        let mut c = Grant::from_new(3, &base, Vec::new(), 0);
        c.status = GrantStatus::Revoked;
        let m = rights_map(1, &[a, b, c]);
        assert_eq!(m.cells.len(), 2);
        assert_eq!(m.cells[0].medium, Medium::Text);
        assert_eq!(m.cells[1].medium, Medium::FilmTv);
        let holders: Vec<_> = m.cells[1]
            .holders
            .iter()
            .map(|h| (h.grant, h.exclusive))
            .collect();
        assert_eq!(holders, vec![(1, true), (2, false)]);
    }
}
