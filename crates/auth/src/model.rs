//! The tenant and account model.

use serde::{Deserialize, Serialize};

pub use qiantang_core::OrgId;
pub use qiantang_core::UserId;

/// A member's role in one organization, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages members and tokens; everything an editor can do; reads the audit log.
    Owner,
    /// Imports, edits, tags and deletes works; proposes KB edits.
    Editor,
    /// Translates (localization projects).
    Translator,
    /// Reviews translations; approves KB edits.
    Reviewer,
    /// Reads audience data.
    Analyst,
    /// Reads the organization's works.
    Viewer,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Editor,
        Role::Translator,
        Role::Reviewer,
        Role::Analyst,
        Role::Viewer,
    ];

    /// Lowercase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Translator => "translator",
            Role::Reviewer => "reviewer",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// An organization (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Id.
    pub id: OrgId,
    /// Unique name, 1–100 characters.
    pub name: String,
    /// Creation time, Unix ms.
    pub created_ms: i64,
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Unique e-mail address (lower-cased), the login name.
    pub email: String,
    /// Platform administrator (the hub operator).
    pub is_admin: bool,
    /// Creation time, Unix ms.
    pub created_ms: i64,
}

/// An API token's stored record (the secret itself is never stored, only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Id (shown in lists, used to revoke).
    pub id: i64,
    /// Organization it acts for.
    pub org: OrgId,
    /// Role it acts with.
    pub role: Role,
    /// Free-text label.
    pub name: String,
    /// Creating user, if any.
    pub created_by: Option<UserId>,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Last successful use, Unix ms.
    pub last_used_ms: Option<i64>,
    /// Revocation time, Unix ms; a revoked token authenticates nothing.
    pub revoked_ms: Option<i64>,
}

/// A login session (the cookie value is stored as its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: UserId,
    /// Per-session CSRF token for forms.
    pub csrf: String,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Expiry, Unix ms.
    pub expires_ms: i64,
}

/// One audit-log entry (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number (assigned by the store; 0 before appending).
    pub id: i64,
    /// Time, Unix ms.
    pub at_ms: i64,
    /// Organization concerned, if any (platform actions have none).
    pub org: Option<OrgId>,
    /// Who: `user:ID:email`, `token:ID`, `cli`, `system`.
    pub actor: String,
    /// What: `login`, `login_failed`, `logout`, `token_created`, `token_revoked`,
    /// `work_imported`, `work_deleted`, `work_tagged`, `concept_edited`,
    /// `concept_proposed`, `concept_deleted`, `kb_imported`, `role_changed`,
    /// `org_created`, `user_created`.
    pub action: String,
    /// Object acted on, e.g. `work:12`, `concept:person.jigong`, `token:3`.
    pub object: String,
    /// Extra facts as a JSON object (never secrets).
    pub detail: String,
    /// Client IP address, if known.
    pub ip: Option<String>,
}
