//! Licence services: create, list and revoke grants of a work, and its rights
//! map. Callers have checked the work's access rule
//! (`qiantang_auth::policy::Action::{GrantRights, ReadRights}`) before.

use crate::accounts::AuditDetail;
use qiantang_rights::{
    parse_list, rights_map, Day, Grant, GrantId, GrantOutcome, GrantStatus, Language, Medium,
    NewGrant, OnConflict, Region, RightsMap,
};
use qiantang_works::model::Work;

use std::sync::Arc;

use qiantang_rights::RightsStore;

use crate::accounts::{Accounts, Actor};
use crate::clock;
use crate::deposits::Deposits;
use crate::error::AppError;

/// A grant as entered (CLI flags, API body, web form): lists as text or arrays.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// Licensee.
    pub licensee: String,
    /// Territories: ISO 3166-1 alpha-2 codes or `WW`.
    pub territories: Vec<String>,
    /// Languages: BCP 47 tags or `*`.
    pub languages: Vec<String>,
    /// Media: text, audio, film_tv, micro_drama, game, merchandise.
    pub media: Vec<String>,
    /// Exclusive.
    #[serde(default)]
    pub exclusive: bool,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`; absent = perpetual.
    #[serde(default)]
    pub end: Option<String>,
    /// `granted` (default) or `offer`.
    #[serde(default)]
    pub status: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: String,
    /// Record a conflicting grant as flagged instead of refusing it.
    #[serde(default)]
    pub force_flag: bool,
}

fn invalid(e: qiantang_rights::RightsError) -> AppError {
    AppError::Invalid(e.to_string())
}

/// Splits comma-separated items of each element (`["US,CA"]` = `["US","CA"]`).
fn items<T>(
    v: &[String],
    parse: impl Fn(&str) -> Result<T, qiantang_rights::RightsError> + Copy,
) -> Result<Vec<T>, AppError> {
    let mut out = Vec::new();
    for s in v {
        out.extend(parse_list(s, parse).map_err(invalid)?);
    }
    Ok(out)
}

impl GrantInput {
    /// Validates and normalizes the input into a grant of `work`.
    pub fn to_new_grant(&self, work: &Work, actor: &str) -> Result<NewGrant, AppError> {
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => GrantStatus::Granted,
            Some(s) => s.parse().map_err(invalid)?,
        };
        NewGrant {
            work_id: work.id,
            org: work.org,
            licensee: self.licensee.clone(),
            territories: items(&self.territories, Region::parse)?,
            languages: items(&self.languages, Language::parse)?,
            media: items(&self.media, |s| s.parse::<Medium>())?,
            exclusive: self.exclusive,
            start: Day::parse(&self.start).map_err(invalid)?,
            end: self
                .end
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(Day::parse)
                .transpose()
                .map_err(invalid)?,
            status,
            notes: self.notes.clone(),
            created_by: actor.to_string(),
        }
        .normalize()
        .map_err(invalid)
    }
}

/// The rights service: licences of works and their rights maps.
pub struct Rights {
    store: Arc<dyn RightsStore>,
    accounts: Arc<Accounts>,
    deposits: Arc<Deposits>,
}

impl Rights {
    /// The service over its store.
    pub fn new(
        store: Arc<dyn RightsStore>,
        accounts: Arc<Accounts>,
        deposits: Arc<Deposits>,
    ) -> Self {
        Self {
            store,
            accounts,
            deposits,
        }
    }

    /// Creates a grant on `work`. Conflicting grants are refused
    /// ([`GrantOutcome::Refused`], nothing written) unless
    /// `input.force_flag`, which records them flagged. Audited as
    /// `licence_granted` (or `licence_flagged`).
    pub fn create_grant(
        &self,
        work: &Work,
        input: &GrantInput,
        actor: &Actor,
    ) -> Result<GrantOutcome, AppError> {
        let g = input.to_new_grant(work, &actor.name)?;
        let mode = if input.force_flag {
            OnConflict::Flag
        } else {
            OnConflict::Refuse
        };
        let out = self.store.create_grant(&g, mode, clock::now_ms())?;
        if let GrantOutcome::Created(g) = &out {
            let licensor = self
                .accounts
                .org(work.org)?
                .map(|o| o.name)
                .unwrap_or_default();
            // The deposit leaf; appended to the log (and its index recorded
            // in grants.deposit_index) when automatic deposits are on.
            let leaf = g
                .deposit_entry(&licensor, &work.title, "hub:licence", None)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
            let deposit_index = self
                .deposits
                .deposit_grant(g, &licensor, &work.title)
                .and_then(|i| match self.store.set_grant_deposit(g.id, i) {
                    Ok(_) => Some(i),
                    Err(e) => {
                        tracing::warn!(grant = g.id, error = %e, "could not record the licence's deposit index");
                        None
                    }
                });
            self.accounts.audit(
                Some(work.org),
                actor,
                if g.flagged {
                    "licence_flagged"
                } else {
                    "licence_granted"
                },
                &format!("licence:{}", g.id),
                AuditDetail::new()
                    .with("work", work.id)
                    .with("licensee", &g.licensee)
                    .with("exclusive", g.exclusive)
                    .with("territories", &g.territories)
                    .with("languages", &g.languages)
                    .with("media", &g.media)
                    .with("start", g.start)
                    .with("end", g.end)
                    .with("status", g.status)
                    .with(
                        "conflicts",
                        g.conflicts.iter().map(|c| c.grant).collect::<Vec<_>>(),
                    )
                    .with("deposit_sha256", leaf.sha256)
                    .with("deposit_index", deposit_index),
            );
            if let Some(i) = deposit_index {
                let mut g = g.clone();
                g.deposit_index = Some(i);
                return Ok(GrantOutcome::Created(g));
            }
        }
        Ok(out)
    }

    /// One grant, `None` when there is none with this id.
    pub fn grant(&self, id: GrantId) -> Result<Option<Grant>, AppError> {
        Ok(self.store.get_grant(id)?)
    }

    /// Grants of a work, oldest first.
    pub fn list_grants(&self, work: &Work) -> Result<Vec<Grant>, AppError> {
        Ok(self.store.list_grants(work.id)?)
    }

    /// Revokes a grant of `work`; unknown ids and grants of other works are not found.
    pub fn revoke_grant(&self, work: &Work, id: GrantId, actor: &Actor) -> Result<Grant, AppError> {
        match self.store.get_grant(id)? {
            // Revoking twice is idempotent: the grant as it is, no second audit entry.
            Some(g) if g.work_id == work.id && g.status == GrantStatus::Revoked => return Ok(g),
            Some(g) if g.work_id == work.id => {}
            _ => {
                return Err(AppError::NotFound(format!(
                    "licence {id} of work {}",
                    work.id
                )))
            }
        }
        let g = self
            .store
            .revoke_grant(id, clock::now_ms())?
            .ok_or_else(|| AppError::NotFound(format!("licence {id}")))?;
        self.accounts.audit(
            Some(work.org),
            actor,
            "licence_revoked",
            &format!("licence:{id}"),
            AuditDetail::new()
                .with("work", work.id)
                .with("licensee", &g.licensee),
        );
        Ok(g)
    }

    /// The rights map of a work.
    pub fn rights_map(&self, work: &Work) -> Result<RightsMap, AppError> {
        Ok(rights_map(work.id, &self.list_grants(work)?))
    }
}
