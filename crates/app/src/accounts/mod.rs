//! Application services for organizations, accounts, tokens, sessions and
//! the audit log.

use qiantang_auth::policy::Caller;
use qiantang_auth::secret::{self, secret_hash};
use qiantang_auth::{ApiToken, AuditEntry, Org, OrgId, Role, Session, User};

use std::sync::Arc;

use qiantang_auth::AuthStore;

use crate::clock;
use crate::error::AppError;

/// Name of the organization created on first start.
pub const DEFAULT_ORG: &str = "demo";
/// E-mail of the administrator created on first `serve`.
pub const FIRST_ADMIN: &str = "admin@localhost";

/// Who did something, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `user:ID:email`, `token:ID`, `cli`, `system`, `anonymous`.
    pub name: String,
    /// Client IP, if known.
    pub ip: Option<String>,
    /// The actor's organizations: platform-wide events (logins, KB edits)
    /// are recorded in each of them, so their owners see them.
    pub orgs: Vec<OrgId>,
}

impl Actor {
    /// The command line (a local operator).
    pub fn cli() -> Self {
        Actor {
            name: "cli".into(),
            ip: None,
            orgs: Vec::new(),
        }
    }
}

/// Detail of an audit entry: a JSON object of named values, stored as text
/// (`audit.detail`). Never put secrets or typed passwords in it.
#[derive(Debug, Clone, Default)]
pub struct AuditDetail(serde_json::Map<String, serde_json::Value>);

impl AuditDetail {
    /// An empty detail (`{}`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` with any serializable value (one that cannot be serialized is recorded as null).
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Self {
        self.0.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
        self
    }

    /// The detail as compact JSON text.
    pub fn to_json(&self) -> String {
        serde_json::Value::Object(self.0.clone()).to_string()
    }
}

/// A new login session: the cookie secret (never stored) and its CSRF token.
#[derive(Debug)]
pub struct NewSession {
    /// Cookie value.
    pub secret: String,
    /// CSRF token for forms.
    pub csrf: String,
    /// The user.
    pub user: User,
}

fn check_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(AppError::Invalid(
            "an organization name needs 1–100 printable characters".into(),
        ));
    }
    Ok(n.to_string())
}

fn check_email(email: &str) -> Result<String, AppError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(AppError::Invalid(format!(
            "{email:?} is not an e-mail address"
        )))
    }
}

fn crypto(e: secret::SecretError) -> AppError {
    match e {
        secret::SecretError::WeakPassword(m) => AppError::Invalid(m),
        e => AppError::Invalid(e.to_string()),
    }
}

/// The accounts service: organizations, users, memberships, tokens,
/// sessions and the audit log.
pub struct Accounts {
    store: Arc<dyn AuthStore>,
}

impl Accounts {
    /// The service over its store; creates the default organization on an empty hub.
    pub fn open(store: Arc<dyn AuthStore>) -> Result<Self, AppError> {
        if store.list_orgs()?.is_empty() {
            store.create_org(DEFAULT_ORG, clock::now_ms())?;
            tracing::info!(org = DEFAULT_ORG, "created the default organization");
        }
        Ok(Self { store })
    }

    /// Appends to the audit log; failures are logged, never hidden from the operator.
    pub fn audit(
        &self,
        org: Option<OrgId>,
        actor: &Actor,
        action: &str,
        object: &str,
        detail: AuditDetail,
    ) {
        // A platform-wide event of a member goes into each of their organizations' logs.
        let orgs: Vec<Option<OrgId>> = match org {
            Some(o) => vec![Some(o)],
            None if !actor.orgs.is_empty() => actor.orgs.iter().map(|o| Some(*o)).collect(),
            None => vec![None],
        };
        for org in orgs {
            let e = AuditEntry {
                id: 0,
                at_ms: clock::now_ms(),
                org,
                actor: actor.name.clone(),
                action: action.into(),
                object: object.into(),
                detail: detail.to_json(),
                ip: actor.ip.clone(),
            };
            if let Err(err) = self.store.append_audit(&e) {
                tracing::error!(error = %err, action, "could not append to the audit log");
            }
        }
    }

    /// An organization by name.
    pub fn org_named(&self, name: &str) -> Result<Org, AppError> {
        self.store
            .org_by_name(name.trim())?
            .ok_or_else(|| AppError::NotFound(format!("organization {name:?}")))
    }

    /// An organization by id, `None` when there is none.
    pub fn org(&self, id: OrgId) -> Result<Option<Org>, AppError> {
        Ok(self.store.get_org(id)?)
    }

    /// The name of organization `org`.
    pub fn org_name(&self, org: OrgId) -> Result<String, AppError> {
        self.store
            .get_org(org)?
            .map(|o| o.name)
            .ok_or_else(|| AppError::NotFound(format!("organization {org}")))
    }

    /// Creates an organization.
    pub fn create_org(&self, name: &str, actor: &Actor) -> Result<Org, AppError> {
        let name = check_name(name)?;
        let org = self.store.create_org(&name, clock::now_ms())?;
        self.audit(
            Some(org.id),
            actor,
            "org_created",
            &format!("org:{}", org.id),
            AuditDetail::new().with("name", name),
        );
        Ok(org)
    }

    /// Creates a user with a random one-time password (returned once, never
    /// stored in clear), optionally a member of `org` with `role`.
    pub fn create_user(
        &self,
        email: &str,
        membership: Option<(OrgId, Role)>,
        is_admin: bool,
        actor: &Actor,
    ) -> Result<(User, String), AppError> {
        let email = check_email(email)?;
        let password = secret::new_password().map_err(crypto)?;
        let hash = secret::hash_password(&password).map_err(crypto)?;
        let user = self
            .store
            .create_user(&email, &hash, is_admin, clock::now_ms())?;
        self.audit(
            membership.map(|m| m.0),
            actor,
            "user_created",
            &format!("user:{}", user.id),
            AuditDetail::new()
                .with("email", email)
                .with("admin", is_admin),
        );
        if let Some((org, role)) = membership {
            self.set_role(org, user.id, role, actor)?;
        }
        Ok((user, password))
    }

    /// Sets a user's role in an organization.
    pub fn set_role(
        &self,
        org: OrgId,
        user: i64,
        role: Role,
        actor: &Actor,
    ) -> Result<(), AppError> {
        self.store.set_membership(org, user, role)?;
        self.audit(
            Some(org),
            actor,
            "role_changed",
            &format!("user:{user}"),
            AuditDetail::new().with("role", role.as_str()),
        );
        Ok(())
    }

    /// Sets a user's password (ends their sessions).
    pub fn set_password(&self, user: i64, password: &str) -> Result<(), AppError> {
        let hash = secret::hash_password(password).map_err(crypto)?;
        self.store.set_password(user, &hash)?;
        Ok(())
    }

    /// On a hub without users: creates the first administrator (owner of the
    /// default organization) and returns its e-mail and one-time password.
    pub fn ensure_first_admin(&self) -> Result<Option<(String, String)>, AppError> {
        if self.store.count_users()? > 0 {
            return Ok(None);
        }
        let org = match self.store.org_by_name(DEFAULT_ORG)? {
            Some(o) => o,
            None => self.create_org(
                DEFAULT_ORG,
                &Actor {
                    name: "system".into(),
                    ip: None,
                    orgs: Vec::new(),
                },
            )?,
        };
        let (user, password) = self.create_user(
            FIRST_ADMIN,
            Some((org.id, Role::Owner)),
            true,
            &Actor {
                name: "system".into(),
                ip: None,
                orgs: Vec::new(),
            },
        )?;
        Ok(Some((user.email, password)))
    }

    /// Creates an API token; returns the record and the secret (shown once).
    pub fn create_token(
        &self,
        org: OrgId,
        role: Role,
        name: &str,
        created_by: Option<i64>,
        actor: &Actor,
    ) -> Result<(ApiToken, String), AppError> {
        let name = name.trim();
        if name.chars().count() > 100 {
            return Err(AppError::Invalid(
                "a token name may have at most 100 characters".into(),
            ));
        }
        let secret = secret::new_api_token().map_err(crypto)?;
        let t = self.store.create_token(
            org,
            role,
            name,
            &secret_hash(&secret),
            created_by,
            clock::now_ms(),
        )?;
        self.audit(
            Some(org),
            actor,
            "token_created",
            &format!("token:{}", t.id),
            AuditDetail::new()
                .with("role", role.as_str())
                .with("name", name),
        );
        Ok((t, secret))
    }

    /// Revokes a token at once.
    pub fn revoke_token(&self, id: i64, actor: &Actor) -> Result<ApiToken, AppError> {
        let t = self
            .store
            .get_token(id)?
            .ok_or_else(|| AppError::NotFound(format!("token {id}")))?;
        if !self.store.revoke_token(id, clock::now_ms())? {
            return Err(AppError::Invalid(format!("token {id} is already revoked")));
        }
        self.audit(
            Some(t.org),
            actor,
            "token_revoked",
            &format!("token:{id}"),
            AuditDetail::new(),
        );
        Ok(t)
    }

    /// Checks a password login; on success creates a session of `ttl_ms`.
    /// Every failure gives the same message (no user enumeration) and costs one Argon2 verification.
    pub fn login(
        &self,
        email: &str,
        password: &str,
        ttl_ms: i64,
        ip: Option<String>,
    ) -> Result<NewSession, AppError> {
        let found = self.store.user_by_email(email)?;
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, secret::dummy_hash().to_string()),
        };
        let ok = secret::verify_password(password, &hash);
        let orgs = match &user {
            Some(u) => self
                .store
                .memberships(u.id)?
                .into_iter()
                .map(|(o, _)| o.id)
                .collect(),
            None => Vec::new(),
        };
        let actor = Actor {
            name: user
                .as_ref()
                .map(|u| format!("user:{}:{}", u.id, u.email))
                .unwrap_or_else(|| "anonymous".into()),
            ip: ip.clone(),
            orgs,
        };
        let known = user.is_some();
        let Some(user) = user.filter(|_| ok) else {
            // The typed e-mail is recorded only as "known account or not": a
            // mistyped field could hold a password.
            self.audit(
                None,
                &actor,
                "login_failed",
                "session",
                AuditDetail::new().with("known_account", known),
            );
            return Err(AppError::Unauthorized("wrong e-mail or password".into()));
        };
        let secret_value = secret::random_token(32).map_err(crypto)?;
        let csrf = secret::random_token(24).map_err(crypto)?;
        let now = clock::now_ms();
        self.store.create_session(
            &secret_hash(&secret_value),
            &Session {
                user: user.id,
                csrf: csrf.clone(),
                created_ms: now,
                expires_ms: now + ttl_ms,
            },
        )?;
        self.audit(
            None,
            &actor,
            "login",
            &format!("user:{}", user.id),
            AuditDetail::new(),
        );
        Ok(NewSession {
            secret: secret_value,
            csrf,
            user,
        })
    }

    /// Ends a session.
    pub fn logout(&self, session_secret: &str, actor: &Actor) -> Result<(), AppError> {
        self.store.delete_session(&secret_hash(session_secret))?;
        self.audit(None, actor, "logout", "session", AuditDetail::new());
        Ok(())
    }
}

impl Accounts {
    /// Changes the role of a member of `org`. Only administrators
    /// (`by_admin`) add users who are not members yet: owners manage their
    /// members, they do not recruit other tenants' accounts. An unknown
    /// e-mail and a non-member get the same refusal (no account enumeration).
    pub fn change_member_role(
        &self,
        org: OrgId,
        email: &str,
        role: Role,
        by_admin: bool,
        actor: &Actor,
    ) -> Result<User, AppError> {
        let refused = || {
            AppError::Forbidden(format!(
                "{} is not a member of this organization; an administrator adds members",
                email.trim()
            ))
        };
        let user = match self.store.user_by_email(email)? {
            Some((u, _)) => u,
            None if by_admin => return Err(AppError::NotFound(format!("user {}", email.trim()))),
            None => return Err(refused()),
        };
        let member = self
            .store
            .members(org)?
            .iter()
            .any(|(u, _)| u.id == user.id);
        if !member && !by_admin {
            return Err(refused());
        }
        self.set_role(org, user.id, role, actor)?;
        Ok(user)
    }

    /// Removes a member from an organization (tokens they created for it stop at once).
    pub fn remove_member(&self, org: OrgId, user: i64, actor: &Actor) -> Result<(), AppError> {
        if !self.store.remove_membership(org, user)? {
            return Err(AppError::NotFound(format!("member {user}")));
        }
        self.audit(
            Some(org),
            actor,
            "member_removed",
            &format!("user:{user}"),
            AuditDetail::new(),
        );
        Ok(())
    }
}

impl Accounts {
    /// A user changes their own password: the current one must verify; all
    /// their sessions end (they log in again with the new one).
    pub fn change_own_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let (_, hash) = self
            .store
            .user_by_email(&user.email)?
            .ok_or_else(|| AppError::NotFound("your account".into()))?;
        if !secret::verify_password(current, &hash) {
            return Err(AppError::Unauthorized(
                "the current password is wrong".into(),
            ));
        }
        if current == new {
            return Err(AppError::Invalid(
                "the new password must differ from the current one".into(),
            ));
        }
        self.set_password(user.id, new)?;
        self.audit(
            None,
            actor,
            "password_changed",
            &format!("user:{}", user.id),
            AuditDetail::new(),
        );
        Ok(())
    }
}

impl Accounts {
    /// Resolves the credentials of a request: a bearer header
    /// (`Bearer qt_…`) or a session cookie's secret. `Ok(Err(reason))` is a
    /// refused credential (unknown, revoked, or its creator no longer holds
    /// its role) — the hub answers 401 and throttles the client; without any
    /// credential the caller is anonymous. The second item is the session's
    /// CSRF token.
    pub fn resolve_credentials(
        &self,
        bearer: Option<&str>,
        session_cookie: Option<&str>,
        now: i64,
    ) -> Result<Result<(Caller, Option<String>), &'static str>, AppError> {
        if let Some(b) = bearer {
            let Some(secret) = b
                .strip_prefix("Bearer ")
                .or_else(|| b.strip_prefix("bearer "))
            else {
                return Ok(Err("Authorization must be `Bearer TOKEN`"));
            };
            let Some(token) = self.store.token_by_hash(&secret_hash(secret.trim()))? else {
                return Ok(Err("unknown API token"));
            };
            if token.revoked_ms.is_some() {
                return Ok(Err("this API token was revoked"));
            }
            // A token never outlives its creator's authority: it stops when the
            // creator leaves the organization or loses the role it carries.
            if let Some(creator) = token.created_by {
                let admin = self.store.get_user(creator)?.is_some_and(|u| u.is_admin);
                let now_role = self
                    .store
                    .memberships(creator)?
                    .into_iter()
                    .find(|(o, _)| o.id == token.org)
                    .map(|(_, r)| r);
                if !(admin || now_role == Some(Role::Owner) || now_role == Some(token.role)) {
                    return Ok(Err(
                        "the user who created this token no longer holds its role",
                    ));
                }
            }
            if token.last_used_ms.is_none_or(|t| now - t > 60_000) {
                self.store.touch_token(token.id, now)?;
            }
            let roles = vec![(token.org, token.role)];
            return Ok(Ok((
                Caller {
                    user: None,
                    token: Some(token),
                    roles,
                },
                None,
            )));
        }
        if let Some(c) = session_cookie {
            if let Some(sess) = self.store.session_by_hash(&secret_hash(c), now)? {
                if let Some(user) = self.store.get_user(sess.user)? {
                    let roles = self
                        .store
                        .memberships(user.id)?
                        .into_iter()
                        .map(|(o, r)| (o.id, r))
                        .collect();
                    return Ok(Ok((
                        Caller {
                            user: Some(user),
                            token: None,
                            roles,
                        },
                        Some(sess.csrf),
                    )));
                }
            }
        }
        Ok(Ok((Caller::anonymous(), None)))
    }

    /// All organizations, by name.
    pub fn list_orgs(&self) -> Result<Vec<Org>, AppError> {
        Ok(self.store.list_orgs()?)
    }

    /// Members of an organization with their roles.
    pub fn members(&self, org: OrgId) -> Result<Vec<(User, Role)>, AppError> {
        Ok(self.store.members(org)?)
    }

    /// API tokens of an organization (records only; secrets are never stored).
    pub fn list_tokens(&self, org: OrgId) -> Result<Vec<ApiToken>, AppError> {
        Ok(self.store.list_tokens(org)?)
    }

    /// One API token's record.
    pub fn token(&self, id: i64) -> Result<Option<ApiToken>, AppError> {
        Ok(self.store.get_token(id)?)
    }

    /// Audit entries of `org` (all organizations with `None`), newest first,
    /// older than the entry id `before` when given, at most `limit`.
    pub fn list_audit(
        &self,
        org: Option<OrgId>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.store.list_audit(org, before, limit)?)
    }

    /// A user by e-mail (without the password hash).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>, AppError> {
        Ok(self.store.user_by_email(email)?.map(|(u, _)| u))
    }
}
