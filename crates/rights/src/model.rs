//! The licence model: regions, languages, media, days, grants and their validation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use qiantang_core::GrantId;

/// Why a grant's terms are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightsError {
    /// A territory that is neither an ISO 3166-1 alpha-2 code nor `WW`.
    #[error(
        "unknown territory {0:?}: use ISO 3166-1 alpha-2 codes (US, CA, CN…) or WW for worldwide"
    )]
    UnknownRegion(String),
    /// A language that is not a valid BCP 47 tag nor `*`.
    #[error("invalid language tag {0:?}: use a BCP 47 tag (en, zh-Hant, pt-BR…) or * for all languages ({1})")]
    BadLanguage(String, String),
    /// A medium name that is not one of [`Medium::ALL`].
    #[error("unknown medium {0:?}: use text, audio, film_tv, micro_drama, game or merchandise")]
    UnknownMedium(String),
    /// A day that is not `YYYY-MM-DD`.
    #[error("invalid date {0:?}: use YYYY-MM-DD")]
    BadDay(String),
    /// A status name that is not offer, granted or revoked.
    #[error("unknown status {0:?}: use offer, granted or revoked")]
    UnknownStatus(String),
    /// Another rule (empty lists, term order, lengths); the message says which.
    #[error("{0}")]
    Invalid(String),
}

/// A territory: an ISO 3166-1 alpha-2 country code, or `WW` (worldwide),
/// which overlaps every territory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

impl Region {
    /// The worldwide region `WW`.
    pub const WORLD: &'static str = "WW";

    /// Parses a code (case-insensitive), checking it against the ISO 3166-1 list.
    pub fn parse(s: &str) -> Result<Self, RightsError> {
        let code = s.trim().to_ascii_uppercase();
        if code == Self::WORLD {
            return Ok(Region(code));
        }
        match isocountry::CountryCode::for_alpha2(&code) {
            Ok(_) => Ok(Region(code)),
            Err(_) => Err(RightsError::UnknownRegion(s.trim().to_string())),
        }
    }

    /// Whether this is `WW`.
    pub fn is_world(&self) -> bool {
        self.0 == Self::WORLD
    }

    /// The code (`US`, `WW`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// English name of the country (`Worldwide` for `WW`).
    pub fn name(&self) -> &'static str {
        if self.is_world() {
            return "Worldwide";
        }
        isocountry::CountryCode::for_alpha2(&self.0)
            .map(|c| c.name())
            .unwrap_or("")
    }

    /// Whether the two territories share any place.
    pub fn overlaps(&self, other: &Region) -> bool {
        self.is_world() || other.is_world() || self == other
    }

    /// The shared territory of two overlapping regions (the narrower one).
    pub fn meet(&self, other: &Region) -> Option<Region> {
        if !self.overlaps(other) {
            None
        } else if self.is_world() {
            Some(other.clone())
        } else {
            Some(self.clone())
        }
    }
}

/// A language: a BCP 47 tag (validated against the IANA subtag registry,
/// canonical case), or `*` for all languages. A tag overlaps the tags it is a
/// prefix of (RFC 4647 basic filtering): `en` overlaps `en-US`, `zh` overlaps
/// `zh-Hant`, but `zh-Hans` does not overlap `zh-Hant`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Language(String);

impl Language {
    /// All languages.
    pub const ANY: &'static str = "*";

    /// Parses and validates a tag, returning it in canonical case.
    pub fn parse(s: &str) -> Result<Self, RightsError> {
        let t = s.trim();
        if t == Self::ANY {
            return Ok(Language(t.to_string()));
        }
        let tag = language_tags::LanguageTag::parse(t)
            .map_err(|e| RightsError::BadLanguage(t.to_string(), e.to_string()))?;
        tag.validate()
            .map_err(|e| RightsError::BadLanguage(t.to_string(), e.to_string()))?;
        Ok(Language(tag.to_string()))
    }

    /// Whether this is `*`.
    pub fn is_any(&self) -> bool {
        self.0 == Self::ANY
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` is a language range covering `other` (`*`, equal, or a subtag prefix).
    fn covers(&self, other: &Language) -> bool {
        if self.is_any() {
            return true;
        }
        let (a, b) = (self.0.to_ascii_lowercase(), other.0.to_ascii_lowercase());
        b == a || (b.starts_with(&a) && b.as_bytes().get(a.len()) == Some(&b'-'))
    }

    /// Whether the two languages share any variety.
    pub fn overlaps(&self, other: &Language) -> bool {
        self.covers(other) || other.covers(self)
    }

    /// The shared language of two overlapping ones (the narrower one).
    pub fn meet(&self, other: &Language) -> Option<Language> {
        if self.covers(other) {
            Some(other.clone())
        } else if other.covers(self) {
            Some(self.clone())
        } else {
            None
        }
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::from_str(&s).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

impl FromStr for Region {
    type Err = RightsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}
impl FromStr for Language {
    type Err = RightsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::parse(s)
    }
}
string_serde!(Region);
string_serde!(Language);

/// A medium a licence covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Medium {
    /// Text (e-book, print, web serial, translation).
    Text,
    /// Audio (audiobook, radio drama, podcast).
    Audio,
    /// Film and television.
    FilmTv,
    /// Micro-drama (short vertical series).
    MicroDrama,
    /// Games.
    Game,
    /// Merchandise.
    Merchandise,
}

impl Medium {
    /// Every medium, in display order.
    pub const ALL: [Medium; 6] = [
        Medium::Text,
        Medium::Audio,
        Medium::FilmTv,
        Medium::MicroDrama,
        Medium::Game,
        Medium::Merchandise,
    ];

    /// The wire name (`text`, `film_tv`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Text => "text",
            Medium::Audio => "audio",
            Medium::FilmTv => "film_tv",
            Medium::MicroDrama => "micro_drama",
            Medium::Game => "game",
            Medium::Merchandise => "merchandise",
        }
    }
}

impl FromStr for Medium {
    type Err = RightsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace(['-', '/'], "_");
        let k = match k.as_str() {
            "film" | "tv" | "filmtv" => "film_tv",
            "microdrama" => "micro_drama",
            "merch" => "merchandise",
            other => other,
        };
        Medium::ALL
            .into_iter()
            .find(|m| m.as_str() == k)
            .ok_or_else(|| RightsError::UnknownMedium(s.trim().to_string()))
    }
}

impl Serialize for Medium {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for Medium {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Medium::from_str(&s).map_err(serde::de::Error::custom)
    }
}
impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar day (proleptic Gregorian), written `YYYY-MM-DD`. Terms are
/// inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(time::Date);

impl Day {
    /// Parses `YYYY-MM-DD` (a real date; years 1000–9999).
    pub fn parse(s: &str) -> Result<Self, RightsError> {
        let t = s.trim();
        let bad = || RightsError::BadDay(t.to_string());
        let b = t.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, RightsError> {
            let part = &t[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if y < 1000 {
            return Err(bad());
        }
        let month =
            time::Month::try_from(u8::try_from(m).map_err(|_| bad())?).map_err(|_| bad())?;
        let date = time::Date::from_calendar_date(
            i32::try_from(y).map_err(|_| bad())?,
            month,
            u8::try_from(d).map_err(|_| bad())?,
        )
        .map_err(|_| bad())?;
        Ok(Day(date))
    }

    /// The day as `YYYY-MM-DD`.
    pub fn as_string(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }

    /// The day before (for describing adjacent terms).
    pub fn previous(&self) -> Option<Day> {
        self.0.previous_day().map(Day)
    }
}

impl FromStr for Day {
    type Err = RightsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Day::parse(s)
    }
}
impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}
impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}
impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Where a grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantStatus {
    /// Offered, not (yet) in force: never blocks other grants.
    Offer,
    /// In force (active).
    Granted,
    /// Withdrawn: never blocks other grants.
    Revoked,
}

impl GrantStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Offer => "offer",
            GrantStatus::Granted => "granted",
            GrantStatus::Revoked => "revoked",
        }
    }
}

impl FromStr for GrantStatus {
    type Err = RightsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "offer" => Ok(GrantStatus::Offer),
            "granted" => Ok(GrantStatus::Granted),
            "revoked" => Ok(GrantStatus::Revoked),
            other => Err(RightsError::UnknownStatus(other.to_string())),
        }
    }
}

impl fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest licensee name, in characters.
pub const MAX_LICENSEE_CHARS: usize = 200;
/// Longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;

/// The terms of a grant to be stored (the store assigns the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGrant {
    /// The licensed work.
    pub work_id: i64,
    /// The licensor: the organization owning the work.
    pub org: i64,
    /// Who receives the rights.
    pub licensee: String,
    /// Territories (sorted, no duplicates).
    pub territories: Vec<Region>,
    /// Languages (sorted, no duplicates).
    pub languages: Vec<Language>,
    /// Media (sorted, no duplicates).
    pub media: Vec<Medium>,
    /// Exclusive within its territory × language × medium × term.
    pub exclusive: bool,
    /// First day in force.
    pub start: Day,
    /// Last day in force; `None` = perpetual.
    pub end: Option<Day>,
    /// Offer or granted (a new grant is never revoked).
    pub status: GrantStatus,
    /// Free-form notes (fees, contract reference…).
    pub notes: String,
    /// Who created it (audit actor).
    pub created_by: String,
}

impl NewGrant {
    /// Sorts and de-duplicates the lists and checks every rule: licensee of
    /// 1–200 characters, at least one territory, language and medium, `WW`
    /// and `*` alone in their lists, end not before start, notes ≤ 4000
    /// characters, status offer or granted.
    pub fn normalize(mut self) -> Result<Self, RightsError> {
        self.licensee = self.licensee.trim().to_string();
        self.notes = self.notes.trim().to_string();
        let n = self.licensee.chars().count();
        if n == 0 || n > MAX_LICENSEE_CHARS {
            return Err(RightsError::Invalid(format!(
                "the licensee needs 1–{MAX_LICENSEE_CHARS} characters"
            )));
        }
        if self.notes.chars().count() > MAX_NOTES_CHARS {
            return Err(RightsError::Invalid(format!(
                "notes are limited to {MAX_NOTES_CHARS} characters"
            )));
        }
        self.territories.sort();
        self.territories.dedup();
        self.languages.sort();
        self.languages.dedup();
        self.media.sort();
        self.media.dedup();
        if self.territories.is_empty() {
            return Err(RightsError::Invalid(
                "a grant needs at least one territory (or WW)".into(),
            ));
        }
        if self.languages.is_empty() {
            return Err(RightsError::Invalid(
                "a grant needs at least one language (or *)".into(),
            ));
        }
        if self.media.is_empty() {
            return Err(RightsError::Invalid(
                "a grant needs at least one medium".into(),
            ));
        }
        if self.territories.len() > 1 && self.territories.iter().any(Region::is_world) {
            return Err(RightsError::Invalid(
                "WW (worldwide) already covers every territory: list it alone".into(),
            ));
        }
        if self.languages.len() > 1 && self.languages.iter().any(Language::is_any) {
            return Err(RightsError::Invalid(
                "* already covers every language: list it alone".into(),
            ));
        }
        if let Some(end) = self.end {
            if end < self.start {
                return Err(RightsError::Invalid(format!(
                    "the term ends ({end}) before it starts ({})",
                    self.start
                )));
            }
        }
        if self.status == GrantStatus::Revoked {
            return Err(RightsError::Invalid(
                "a new grant is an offer or granted, not revoked".into(),
            ));
        }
        Ok(self)
    }
}

/// A stored grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Id.
    pub id: GrantId,
    /// The licensed work.
    pub work_id: i64,
    /// The licensor organization.
    pub org: i64,
    /// Who holds the rights.
    pub licensee: String,
    /// Territories.
    pub territories: Vec<Region>,
    /// Languages.
    pub languages: Vec<Language>,
    /// Media.
    pub media: Vec<Medium>,
    /// Exclusive.
    pub exclusive: bool,
    /// First day in force.
    pub start: Day,
    /// Last day in force; `None` = perpetual.
    pub end: Option<Day>,
    /// Offer, granted or revoked.
    pub status: GrantStatus,
    /// Notes.
    pub notes: String,
    /// Recorded despite conflicts ([`crate::OnConflict::Flag`]); `conflicts` says with what.
    pub flagged: bool,
    /// The conflicts found when it was recorded (empty unless flagged).
    pub conflicts: Vec<Conflict>,
    /// Who created it.
    pub created_by: String,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
    /// Revocation time, Unix milliseconds.
    pub revoked_ms: Option<i64>,
    /// Index of its entry in the copyright deposit log, once deposited.
    pub deposit_index: Option<u64>,
}

impl Grant {
    /// The stored grant made of `new` (used by stores).
    pub fn from_new(id: GrantId, new: &NewGrant, conflicts: Vec<Conflict>, at_ms: i64) -> Self {
        Grant {
            id,
            work_id: new.work_id,
            org: new.org,
            licensee: new.licensee.clone(),
            territories: new.territories.clone(),
            languages: new.languages.clone(),
            media: new.media.clone(),
            exclusive: new.exclusive,
            start: new.start,
            end: new.end,
            status: new.status,
            notes: new.notes.clone(),
            flagged: !conflicts.is_empty(),
            conflicts,
            created_by: new.created_by.clone(),
            created_ms: at_ms,
            revoked_ms: None,
            deposit_index: None,
        }
    }

    /// Whether it is in force (granted, not revoked or offered).
    pub fn is_active(&self) -> bool {
        self.status == GrantStatus::Granted
    }

    /// The term as text: `2027-01-01 – 2029-12-31` or `2027-01-01 – perpetual`.
    pub fn term(&self) -> String {
        match self.end {
            Some(e) => format!("{} – {e}", self.start),
            None => format!("{} – perpetual", self.start),
        }
    }
}

/// Parses a comma-separated list with `parse` (empty items skipped).
pub fn parse_list<T>(
    s: &str,
    parse: impl Fn(&str) -> Result<T, RightsError>,
) -> Result<Vec<T>, RightsError> {
    s.split([',', ' ', '，', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(parse)
        .collect()
}

/// The terms two grants share: every territory × language × medium in the
/// lists, for the days `from..=to` (`to` = `None`: open-ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cells {
    /// Shared territories (the narrower of each overlapping pair: WW ∩ CN = CN).
    pub territories: Vec<Region>,
    /// Shared languages (the narrower of each overlapping pair: * ∩ en = en).
    pub languages: Vec<Language>,
    /// Shared media.
    pub media: Vec<Medium>,
    /// First shared day.
    pub from: Day,
    /// Last shared day; `None` when both are perpetual.
    pub to: Option<Day>,
}

impl Cells {
    /// `US, CA × en × text, audio, 2027-01-01 – 2029-12-31`.
    pub fn describe(&self) -> String {
        let join = |v: Vec<&str>| v.join(", ");
        format!(
            "{} × {} × {}, {} – {}",
            join(self.territories.iter().map(Region::as_str).collect()),
            join(self.languages.iter().map(Language::as_str).collect()),
            join(self.media.iter().map(|m| m.as_str()).collect()),
            self.from,
            self.to
                .map(|d| d.to_string())
                .unwrap_or_else(|| "perpetual".into())
        )
    }
}

/// A conflict of a new grant with an existing active one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The existing grant.
    pub grant: GrantId,
    /// Its licensee.
    pub licensee: String,
    /// Whether the existing grant is exclusive.
    pub existing_exclusive: bool,
    /// Whether the new grant is exclusive.
    pub new_exclusive: bool,
    /// Exactly what they share.
    pub cells: Cells,
    /// One line for people.
    pub description: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn regions_languages_media_days_validate() {
        assert_eq!(Region::parse("us").unwrap().as_str(), "US");
        assert!(Region::parse("ww").unwrap().is_world());
        assert_eq!(Region::parse("CN").unwrap().name(), "China");
        for bad in ["XX", "USA", "", "EU", "U1"] {
            assert!(
                matches!(Region::parse(bad), Err(RightsError::UnknownRegion(_))),
                "{bad}"
            );
        }
        assert_eq!(Language::parse("zh-hant").unwrap().as_str(), "zh-Hant");
        assert_eq!(Language::parse("en-us").unwrap().as_str(), "en-US");
        assert!(Language::parse("*").unwrap().is_any());
        for bad in ["english", "zz-QQ-1", "en_US", "", "x"] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
        assert_eq!("film-tv".parse::<Medium>().unwrap(), Medium::FilmTv);
        assert_eq!("micro_drama".parse::<Medium>().unwrap(), Medium::MicroDrama);
        assert!("radio".parse::<Medium>().is_err());
        assert_eq!(Day::parse("2028-02-29").unwrap().to_string(), "2028-02-29");
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "27-01-01",
            "2027/01/01",
            "2027-1-1",
        ] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&(
                Region::parse("ca").unwrap(),
                Medium::FilmTv,
                Day::parse("2027-01-01").unwrap()
            ))
            .unwrap(),
            r#"["CA","film_tv","2027-01-01"]"#
        );
    }

    #[test]
    fn normalize_checks_the_rules() {
        let g = NewGrant {
            work_id: 1,
            org: 1,
            licensee: "  Tor ".into(),
            territories: vec![
                Region::parse("US").unwrap(),
                Region::parse("CA").unwrap(),
                Region::parse("US").unwrap(),
            ],
            languages: vec![Language::parse("en").unwrap()],
            media: vec![Medium::Audio, Medium::Text],
            exclusive: true,
            start: Day::parse("2027-01-01").unwrap(),
            end: Some(Day::parse("2029-12-31").unwrap()),
            status: GrantStatus::Granted,
            notes: String::new(),
            created_by: "t".into(),
        };
        let n = g.clone().normalize().unwrap();
        assert_eq!(n.licensee, "Tor");
        assert_eq!(
            n.territories.iter().map(Region::as_str).collect::<Vec<_>>(),
            ["CA", "US"]
        );
        assert_eq!(n.media, [Medium::Text, Medium::Audio]);
        let mut bad = g.clone();
        bad.end = Some(Day::parse("2026-12-31").unwrap());
        assert!(bad
            .normalize()
            .unwrap_err()
            .to_string()
            .contains("before it starts"));
        let mut bad = g.clone();
        bad.territories.push(Region::parse("WW").unwrap());
        assert!(bad.normalize().is_err());
        let mut bad = g.clone();
        bad.media.clear();
        assert!(bad.normalize().is_err());
        let mut bad = g.clone();
        bad.licensee = " ".into();
        assert!(bad.normalize().is_err());
        let mut bad = g;
        bad.status = GrantStatus::Revoked;
        assert!(bad.normalize().is_err());
    }

    #[test]
    fn deposit_bytes_are_canonical_and_the_entry_is_a_licence() {
        let g = NewGrant {
            work_id: 4,
            org: 1,
            licensee: "Tor".into(),
            territories: vec![Region::parse("US").unwrap()],
            languages: vec![Language::parse("en").unwrap()],
            media: vec![Medium::Text],
            exclusive: true,
            start: Day::parse("2027-01-01").unwrap(),
            end: None,
            status: GrantStatus::Granted,
            notes: String::new(),
            created_by: "t".into(),
        };
        let mut s = Grant::from_new(3, &g, Vec::new(), 5);
        let b = String::from_utf8(s.deposit_bytes("demo")).unwrap();
        assert_eq!(
            b,
            r#"{"v":1,"type":"qiantang.licence","grant":3,"work":4,"licensor":"demo","licensee":"Tor","territories":["US"],"languages":["en"],"media":["text"],"exclusive":true,"start":"2027-01-01","end":null,"status":"granted","notes":""}"#
        );
        // What changes after deposit does not change the bytes.
        s.flagged = true;
        s.deposit_index = Some(9);
        assert_eq!(String::from_utf8(s.deposit_bytes("demo")).unwrap(), b);
        let e = s.deposit_entry("demo", "济公全传", "cli", None).unwrap();
        assert_eq!(e.kind, qiantang_ledger::entry::Kind::Licence);
        assert_eq!(e.size, b.len() as u64);
        assert_eq!(
            e.sha256,
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b.as_bytes()))
        );
        assert!(e.to_bytes().is_ok());
    }
}
