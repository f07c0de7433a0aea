//! The persistence boundary of organizations, accounts, tokens, sessions and audit.

use crate::model::*;
use qiantang_core::StoreError;

/// Storage of the tenant model. Each call is one transaction.
///
/// Uniqueness violations (an org name or e-mail taken) are [`StoreError::Conflict`].
pub trait AuthStore: Send + Sync {
    /// Creates an organization.
    fn create_org(&self, name: &str, at_ms: i64) -> Result<Org, StoreError>;
    /// One organization.
    fn get_org(&self, id: OrgId) -> Result<Option<Org>, StoreError>;
    /// An organization by exact name.
    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError>;
    /// All organizations, by name.
    fn list_orgs(&self) -> Result<Vec<Org>, StoreError>;

    /// Creates a user with an Argon2id PHC password hash.
    fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        at_ms: i64,
    ) -> Result<User, StoreError>;
    /// One user.
    fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// A user and their password hash by e-mail (case-insensitive).
    fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError>;
    /// Replaces a user's password hash and ends all their sessions.
    fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError>;
    /// Number of users.
    fn count_users(&self) -> Result<u64, StoreError>;

    /// Gives a user a role in an organization (replacing an earlier role).
    fn set_membership(&self, org: OrgId, user: UserId, role: Role) -> Result<(), StoreError>;
    /// Removes a membership; `false` when there was none.
    fn remove_membership(&self, org: OrgId, user: UserId) -> Result<bool, StoreError>;
    /// A user's organizations and roles.
    fn memberships(&self, user: UserId) -> Result<Vec<(Org, Role)>, StoreError>;
    /// An organization's members and roles, by e-mail.
    fn members(&self, org: OrgId) -> Result<Vec<(User, Role)>, StoreError>;

    /// Stores a new API token by the SHA-256 of its secret.
    fn create_token(
        &self,
        org: OrgId,
        role: Role,
        name: &str,
        secret_hash: &str,
        created_by: Option<UserId>,
        at_ms: i64,
    ) -> Result<ApiToken, StoreError>;
    /// The token with this secret hash, revoked or not.
    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError>;
    /// One token by id.
    fn get_token(&self, id: i64) -> Result<Option<ApiToken>, StoreError>;
    /// Records a use of a token.
    fn touch_token(&self, id: i64, at_ms: i64) -> Result<(), StoreError>;
    /// Revokes a token; `false` when it does not exist or was already revoked.
    fn revoke_token(&self, id: i64, at_ms: i64) -> Result<bool, StoreError>;
    /// An organization's tokens, newest first.
    fn list_tokens(&self, org: OrgId) -> Result<Vec<ApiToken>, StoreError>;

    /// Stores a session by the SHA-256 of its cookie value.
    fn create_session(&self, secret_hash: &str, session: &Session) -> Result<(), StoreError>;
    /// The session with this hash if it exists and has not expired at `now_ms`.
    fn session_by_hash(
        &self,
        secret_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Session>, StoreError>;
    /// Ends a session.
    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError>;

    /// Appends an audit entry; returns its sequence number. Entries are never changed or removed.
    fn append_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError>;
    /// Audit entries, newest first: of one organization, or all (`None`, admins only),
    /// with `id < before` when given, at most `limit`.
    fn list_audit(
        &self,
        org: Option<OrgId>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
