//! Overlap of grants and the exclusivity conflict check.

use crate::model::{Day, Grant, GrantStatus, Language, Medium, NewGrant, Region};

/// Re-exported from [`crate::model`], where these data types live so that
/// `model` (whose [`Grant`] carries its conflicts) need not import this module.
pub use crate::model::{Cells, Conflict};

/// The terms two grants share, if their territories, languages, media and
/// terms all intersect.
#[allow(clippy::too_many_arguments)]
fn cells_of(
    t1: &[Region],
    l1: &[Language],
    m1: &[Medium],
    s1: Day,
    e1: Option<Day>,
    t2: &[Region],
    l2: &[Language],
    m2: &[Medium],
    s2: Day,
    e2: Option<Day>,
) -> Option<Cells> {
    let from = s1.max(s2);
    let to = match (e1, e2) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    };
    if to.is_some_and(|t| t < from) {
        return None;
    }
    let mut territories: Vec<Region> = t1
        .iter()
        .flat_map(|a| t2.iter().filter_map(move |b| a.meet(b)))
        .collect();
    territories.sort();
    territories.dedup();
    let mut languages: Vec<Language> = l1
        .iter()
        .flat_map(|a| l2.iter().filter_map(move |b| a.meet(b)))
        .collect();
    languages.sort();
    languages.dedup();
    let media: Vec<Medium> = m1.iter().copied().filter(|m| m2.contains(m)).collect();
    if territories.is_empty() || languages.is_empty() || media.is_empty() {
        return None;
    }
    Some(Cells {
        territories,
        languages,
        media,
        from,
        to,
    })
}

/// The shared cells of a new grant and an existing one, if they overlap
/// (whatever their status and exclusivity).
pub fn overlap(new: &NewGrant, existing: &Grant) -> Option<Cells> {
    cells_of(
        &new.territories,
        &new.languages,
        &new.media,
        new.start,
        new.end,
        &existing.territories,
        &existing.languages,
        &existing.media,
        existing.start,
        existing.end,
    )
}

/// The conflicts of `new` with `existing` grants of the same work: `new` is
/// exclusive and overlaps an active (granted) grant, or `new` overlaps an
/// active exclusive grant. Offers and revoked grants never block; a revoked
/// `new` conflicts with nothing. Grants of other works are ignored.
pub fn check_grant(new: &NewGrant, existing: &[Grant]) -> Vec<Conflict> {
    if new.status == GrantStatus::Revoked {
        return Vec::new();
    }
    existing
        .iter()
        .filter(|e| e.work_id == new.work_id && e.status == GrantStatus::Granted)
        .filter(|e| new.exclusive || e.exclusive)
        .filter_map(|e| {
            let cells = overlap(new, e)?;
            let why = match (new.exclusive, e.exclusive) {
                (true, true) => "both grants are exclusive",
                (true, false) => "the new grant is exclusive",
                _ => "the existing grant is exclusive",
            };
            Some(Conflict {
                grant: e.id,
                licensee: e.licensee.clone(),
                existing_exclusive: e.exclusive,
                new_exclusive: new.exclusive,
                description: format!(
                    "overlaps {} grant #{} to {} in {} ({why})",
                    if e.exclusive {
                        "exclusive"
                    } else {
                        "non-exclusive"
                    },
                    e.id,
                    e.licensee,
                    cells.describe()
                ),
                cells,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::parse_list;

    fn new(t: &str, l: &str, m: &str, excl: bool, from: &str, to: Option<&str>) -> NewGrant {
        NewGrant {
            work_id: 1,
            org: 1,
            licensee: "New Licensee".into(),
            territories: parse_list(t, Region::parse).unwrap(),
            languages: parse_list(l, Language::parse).unwrap(),
            media: parse_list(m, str::parse).unwrap(),
            exclusive: excl,
            start: Day::parse(from).unwrap(),
            end: to.map(|d| Day::parse(d).unwrap()),
            status: GrantStatus::Granted,
            notes: String::new(),
            created_by: "test".into(),
        }
        .normalize()
        .unwrap()
    }

    fn stored(id: i64, g: NewGrant) -> Grant {
        let mut s = Grant::from_new(id, &g, Vec::new(), 0);
        s.licensee = format!("Holder {id}");
        s
    }

    #[test]
    fn overlap_table() {
        // (existing, new, conflict expected, shared territories/languages/media/term)
        type Case = (
            (
                &'static str,
                &'static str,
                &'static str,
                bool,
                &'static str,
                Option<&'static str>,
            ),
            (
                &'static str,
                &'static str,
                &'static str,
                bool,
                &'static str,
                Option<&'static str>,
            ),
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            // WW overlaps CN: the shared cell is CN.
            (
                ("WW", "*", "text", true, "2027-01-01", None),
                (
                    "CN",
                    "zh-Hans",
                    "text",
                    false,
                    "2030-01-01",
                    Some("2030-12-31"),
                ),
                Some("CN × zh-Hans × text, 2030-01-01 – 2030-12-31"),
            ),
            // Open-ended terms meet anywhere after both starts.
            (
                ("US,CA", "en", "text,audio", false, "2027-01-01", None),
                ("CA,GB", "en", "audio,game", true, "2040-06-01", None),
                Some("CA × en × audio, 2040-06-01 – perpetual"),
            ),
            // Adjacent terms (one ends the day before the other starts) do not overlap.
            (
                ("US", "en", "text", true, "2027-01-01", Some("2029-12-31")),
                ("US", "en", "text", true, "2030-01-01", None),
                None,
            ),
            // Same last and first day: one shared day.
            (
                ("US", "en", "text", true, "2027-01-01", Some("2029-12-31")),
                ("US", "en", "text", true, "2029-12-31", None),
                Some("US × en × text, 2029-12-31 – 2029-12-31"),
            ),
            // Different media never overlap.
            (
                ("WW", "*", "film_tv", true, "2027-01-01", None),
                ("WW", "*", "text,audio", true, "2027-01-01", None),
                None,
            ),
            // Different territories never overlap.
            (
                ("US", "en", "text", true, "2027-01-01", None),
                ("CA", "en", "text", true, "2027-01-01", None),
                None,
            ),
            // Language ranges: en covers en-US; zh-Hans and zh-Hant are apart.
            (
                ("US", "en", "text", true, "2027-01-01", None),
                ("US", "en-US", "text", false, "2027-01-01", None),
                Some("US × en-US × text, 2027-01-01 – perpetual"),
            ),
            (
                ("TW", "zh-Hant", "text", true, "2027-01-01", None),
                ("TW", "zh-Hans", "text", true, "2027-01-01", None),
                None,
            ),
            // Two non-exclusive grants may overlap.
            (
                ("WW", "*", "text", false, "2027-01-01", None),
                ("US", "en", "text", false, "2027-01-01", None),
                None,
            ),
            // A new grant ending before an existing one starts.
            (
                ("JP", "ja", "game", true, "2030-01-01", None),
                ("JP", "ja", "game", true, "2027-01-01", Some("2029-12-31")),
                None,
            ),
        ];
        for (i, (e, n, want)) in cases.iter().enumerate() {
            let existing = stored(7, new(e.0, e.1, e.2, e.3, e.4, e.5));
            let g = new(n.0, n.1, n.2, n.3, n.4, n.5);
            let got = check_grant(&g, std::slice::from_ref(&existing));
            match want {
                None => assert!(got.is_empty(), "case {i}: unexpected {got:?}"),
                Some(cells) => {
                    assert_eq!(got.len(), 1, "case {i}");
                    assert_eq!(got[0].cells.describe(), *cells, "case {i}");
                    assert_eq!(got[0].grant, 7);
                    assert!(
                        got[0].description.contains("#7 to Holder 7"),
                        "{}",
                        got[0].description
                    );
                }
            }
        }
    }

    #[test]
    fn offers_and_revoked_grants_never_block() {
        let mut e = stored(1, new("WW", "*", "text", true, "2027-01-01", None));
        let g = new("US", "en", "text", true, "2027-01-01", None);
        assert_eq!(check_grant(&g, std::slice::from_ref(&e)).len(), 1);
        e.status = GrantStatus::Offer;
        assert!(check_grant(&g, std::slice::from_ref(&e)).is_empty());
        e.status = GrantStatus::Revoked;
        assert!(check_grant(&g, std::slice::from_ref(&e)).is_empty());
        // Grants of another work are ignored.
        let mut other = stored(2, new("WW", "*", "text", true, "2027-01-01", None));
        other.work_id = 99;
        assert!(check_grant(&g, &[other]).is_empty());
    }

    #[test]
    fn every_conflicting_grant_is_listed() {
        let a = stored(1, new("US", "en", "text", false, "2027-01-01", None));
        let b = stored(2, new("CA", "fr", "text", false, "2027-01-01", None));
        let c = stored(3, new("MX", "es", "text", false, "2027-01-01", None));
        let g = new("US,CA", "*", "text", true, "2028-01-01", Some("2028-12-31"));
        let got = check_grant(&g, &[a, b, c]);
        assert_eq!(got.iter().map(|c| c.grant).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(
            got[1].cells.describe(),
            "CA × fr × text, 2028-01-01 – 2028-12-31"
        );
        assert!(got[0].description.contains("the new grant is exclusive"));
    }
}
