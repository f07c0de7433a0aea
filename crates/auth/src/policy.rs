//! Authorization rules: who may do what. One place, used by every route.
//!
//! | action | allowed |
//! |---|---|
//! | read a published work | everyone, also anonymous |
//! | read an unpublished work, its chapters, profile | any role in the owning organization |
//! | import, tag, publish, delete a work | owner, editor of the owning organization |
//! | see a work's licences and rights map | any role in the owning organization (never the public) |
//! | grant or revoke licences of a work | owner, editor of the owning organization |
//! | read the KB | everyone |
//! | propose a KB edit | owner or editor of any organization |
//! | apply a KB edit directly, approve a proposal | reviewer of any organization, admin |
//! | delete a concept, import a KB file | admin |
//! | manage members and tokens, read the audit log | owner of the organization, admin |
//! | create organizations and users, read all audit | admin |
//!
//! Platform admins may do everything.

use crate::model::*;

/// Who is asking: an anonymous visitor, a logged-in user, or an API token.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The user (for sessions, and the creator of a token is *not* set here).
    pub user: Option<User>,
    /// The token used, if any.
    pub token: Option<ApiToken>,
    /// Roles by organization (a token has exactly one).
    pub roles: Vec<(OrgId, Role)>,
}

/// What the caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read a work (`published` = visible to audiences).
    ReadWork {
        /// Owning organization.
        org: OrgId,
        /// Whether it is published.
        published: bool,
    },
    /// Import into, or change, tag, publish or delete works of an organization.
    WriteWork {
        /// Owning organization.
        org: OrgId,
    },
    /// See the licences and rights map of a work of `org`.
    ReadRights {
        /// Owning organization.
        org: OrgId,
    },
    /// Grant or revoke licences of a work of `org`.
    GrantRights {
        /// Owning organization.
        org: OrgId,
    },
    /// Propose a KB edit.
    ProposeConcept,
    /// Apply KB edits directly and approve proposals.
    ApproveConcept,
    /// Delete concepts, import KB files.
    AdministerKb,
    /// Manage members and tokens of an organization.
    ManageOrg {
        /// The organization.
        org: OrgId,
    },
    /// Read an organization's audit log.
    ReadAudit {
        /// The organization.
        org: OrgId,
    },
    /// Platform administration (organizations, users, global audit).
    Administer,
    /// See an organization's localization projects, segments and TM.
    ReadL10n {
        /// The organization.
        org: OrgId,
    },
    /// Create and delete localization projects, run pre-translation, import
    /// and export TMs and exchange files, edit glossaries.
    ManageL10n {
        /// The organization.
        org: OrgId,
    },
    /// Translate segments (new/draft → translated) and comment.
    Translate {
        /// The organization.
        org: OrgId,
    },
    /// Review and approve segments, unlock approved ones.
    Review {
        /// The organization.
        org: OrgId,
    },
}

impl Caller {
    /// The anonymous caller.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Whether this is a platform admin (a user flag; tokens are never admin).
    pub fn is_admin(&self) -> bool {
        self.token.is_none() && self.user.as_ref().is_some_and(|u| u.is_admin)
    }

    /// Whether anyone is authenticated.
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some() || self.token.is_some()
    }

    /// The caller's role in `org`.
    pub fn role_in(&self, org: OrgId) -> Option<Role> {
        self.roles.iter().find(|(o, _)| *o == org).map(|(_, r)| *r)
    }

    /// Organizations in which the caller has any role.
    pub fn orgs(&self) -> Vec<OrgId> {
        self.roles.iter().map(|(o, _)| *o).collect()
    }

    fn any_role(&self, ok: &[Role]) -> bool {
        self.roles.iter().any(|(_, r)| ok.contains(r))
    }

    /// Decides an action.
    pub fn can(&self, action: Action) -> bool {
        if self.is_admin() {
            return true;
        }
        match action {
            Action::ReadWork { org, published } => published || self.role_in(org).is_some(),
            Action::ReadRights { org } => self.role_in(org).is_some(),
            Action::WriteWork { org } | Action::GrantRights { org } => {
                matches!(self.role_in(org), Some(Role::Owner | Role::Editor))
            }
            Action::ProposeConcept => self.any_role(&[Role::Owner, Role::Editor, Role::Reviewer]),
            Action::ApproveConcept => self.any_role(&[Role::Reviewer]),
            Action::AdministerKb | Action::Administer => false,
            Action::ReadL10n { org } => self.role_in(org).is_some(),
            Action::ManageL10n { org } => {
                matches!(self.role_in(org), Some(Role::Owner | Role::Editor))
            }
            Action::Translate { org } => matches!(
                self.role_in(org),
                Some(Role::Owner | Role::Editor | Role::Translator | Role::Reviewer)
            ),
            Action::Review { org } => {
                matches!(self.role_in(org), Some(Role::Owner | Role::Reviewer))
            }
            Action::ManageOrg { org } | Action::ReadAudit { org } => {
                self.role_in(org) == Some(Role::Owner)
            }
        }
    }

    /// Audit actor string: `user:ID:email`, `token:ID` or `anonymous`.
    pub fn actor(&self) -> String {
        match (&self.token, &self.user) {
            (Some(t), _) => format!("token:{}", t.id),
            (None, Some(u)) => format!("user:{}:{}", u.id, u.email),
            (None, None) => "anonymous".into(),
        }
    }
}
