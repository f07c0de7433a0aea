//! [`AuthStore`] for both backends.

use qiantang_auth::{ApiToken, AuditEntry, AuthStore, Org, OrgId, Role, Session, User, UserId};
use qiantang_core::StoreError;

use crate::sql::{args, Db, Row, Store};

fn role_of(r: &Row, idx: usize) -> Result<Role, StoreError> {
    let s: String = r.get(idx)?;
    Role::parse(&s).ok_or_else(|| StoreError::Backend(format!("unknown role {s:?} in store")))
}

fn org_of(r: &Row) -> Result<Org, StoreError> {
    Ok(Org {
        id: r.get(0)?,
        name: r.get(1)?,
        created_ms: r.get(2)?,
    })
}

fn user_of(r: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        is_admin: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

const TOKEN_COLS: &str = "id, org, role, name, created_by, created_ms, last_used_ms, revoked_ms";

fn token_of(r: &Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.get(0)?,
        org: r.get(1)?,
        role: role_of(r, 2)?,
        name: r.get(3)?,
        created_by: r.get(4)?,
        created_ms: r.get(5)?,
        last_used_ms: r.get(6)?,
        revoked_ms: r.get(7)?,
    })
}

fn audit_of(r: &Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at_ms: r.get(1)?,
        org: r.get(2)?,
        actor: r.get(3)?,
        action: r.get(4)?,
        object: r.get(5)?,
        detail: r.get(6)?,
        ip: r.get(7)?,
    })
}

impl<D: Db> AuthStore for Store<D> {
    fn create_org(&self, name: &str, at_ms: i64) -> Result<Org, StoreError> {
        let id = self.db.write(|c| {
            c.one_or(
                "create org",
                "INSERT INTO orgs (name, created_ms) VALUES (?1, ?2) RETURNING id",
                &args![name, at_ms],
                || StoreError::Conflict(format!("organization {name:?} already exists")),
            )?
            .get(0)
        })?;
        Ok(Org {
            id,
            name: name.to_string(),
            created_ms: at_ms,
        })
    }

    fn get_org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get org",
                "SELECT id, name, created_ms FROM orgs WHERE id = ?1",
                &args![id],
            )?
            .map(|r| org_of(&r))
            .transpose()
        })
    }

    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get org",
                "SELECT id, name, created_ms FROM orgs WHERE name = ?1",
                &args![name],
            )?
            .map(|r| org_of(&r))
            .transpose()
        })
    }

    fn list_orgs(&self) -> Result<Vec<Org>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list orgs",
                "SELECT id, name, created_ms FROM orgs ORDER BY name",
                &[],
                |r| org_of(&r),
            )
        })
    }

    fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        at_ms: i64,
    ) -> Result<User, StoreError> {
        let email = email.trim().to_lowercase();
        let id = self.db.write(|c| {
            c.one_or(
                "create user",
                "INSERT INTO users (email, password_hash, is_admin, created_ms)
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                &args![&email, password_hash, is_admin, at_ms],
                || StoreError::Conflict(format!("user {email:?} already exists")),
            )?
            .get(0)
        })?;
        Ok(User {
            id,
            email,
            is_admin,
            created_ms: at_ms,
        })
    }

    fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get user",
                "SELECT id, email, is_admin, created_ms FROM users WHERE id = ?1",
                &args![id],
            )?
            .map(|r| user_of(&r))
            .transpose()
        })
    }

    fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let email = email.trim().to_lowercase();
        self.db.read(|c| {
            c.opt(
                "get user",
                "SELECT id, email, is_admin, created_ms, password_hash FROM users WHERE email = ?1",
                &args![&email],
            )?
            .map(|r| Ok((user_of(&r)?, r.get(4)?)))
            .transpose()
        })
    }

    fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        self.db.write(|c| {
            let n = c.exec(
                "set password",
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                &args![user, password_hash],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {user}")));
            }
            c.exec(
                "set password",
                "DELETE FROM sessions WHERE user_id = ?1",
                &args![user],
            )?;
            Ok(())
        })
    }

    fn count_users(&self) -> Result<u64, StoreError> {
        self.db.read(|c| {
            c.one("count users", "SELECT COUNT(*) FROM users", &[])?
                .get(0)
        })
    }

    fn set_membership(&self, org: OrgId, user: UserId, role: Role) -> Result<(), StoreError> {
        self.db.write(|c| {
            c.exec_or(
                "set membership",
                "INSERT INTO memberships (org, user_id, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (org, user_id) DO UPDATE SET role = excluded.role",
                &args![org, user, role.as_str()],
                || {
                    StoreError::Conflict(format!(
                        "organization {org} or user {user} does not exist"
                    ))
                },
            )
        })?;
        Ok(())
    }

    fn remove_membership(&self, org: OrgId, user: UserId) -> Result<bool, StoreError> {
        let n = self.db.write(|c| {
            c.exec(
                "remove membership",
                "DELETE FROM memberships WHERE org = ?1 AND user_id = ?2",
                &args![org, user],
            )
        })?;
        Ok(n > 0)
    }

    fn memberships(&self, user: UserId) -> Result<Vec<(Org, Role)>, StoreError> {
        self.db.read(|c| {
            c.map(
                "memberships",
                "SELECT o.id, o.name, o.created_ms, m.role FROM memberships m JOIN orgs o ON o.id = m.org
                 WHERE m.user_id = ?1 ORDER BY o.name",
                &args![user],
                |r| Ok((org_of(&r)?, role_of(&r, 3)?)),
            )
        })
    }

    fn members(&self, org: OrgId) -> Result<Vec<(User, Role)>, StoreError> {
        self.db.read(|c| {
            c.map(
                "members",
                "SELECT u.id, u.email, u.is_admin, u.created_ms, m.role FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org = ?1 ORDER BY u.email",
                &args![org],
                |r| Ok((user_of(&r)?, role_of(&r, 4)?)),
            )
        })
    }

    fn create_token(
        &self,
        org: OrgId,
        role: Role,
        name: &str,
        secret_hash: &str,
        created_by: Option<UserId>,
        at_ms: i64,
    ) -> Result<ApiToken, StoreError> {
        let id = self.db.write(|c| {
            c.one_or(
                "create token",
                "INSERT INTO api_tokens (org, role, name, secret_hash, created_by, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                &args![org, role.as_str(), name, secret_hash, created_by, at_ms],
                || {
                    StoreError::Conflict(format!(
                        "organization {org} does not exist or the token collides"
                    ))
                },
            )?
            .get(0)
        })?;
        Ok(ApiToken {
            id,
            org,
            role,
            name: name.to_string(),
            created_by,
            created_ms: at_ms,
            last_used_ms: None,
            revoked_ms: None,
        })
    }

    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get token",
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_hash = ?1"),
                &args![secret_hash],
            )?
            .map(|r| token_of(&r))
            .transpose()
        })
    }

    fn get_token(&self, id: i64) -> Result<Option<ApiToken>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get token",
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?1"),
                &args![id],
            )?
            .map(|r| token_of(&r))
            .transpose()
        })
    }

    fn touch_token(&self, id: i64, at_ms: i64) -> Result<(), StoreError> {
        self.db.write(|c| {
            c.exec(
                "touch token",
                "UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1",
                &args![id, at_ms],
            )
        })?;
        Ok(())
    }

    fn revoke_token(&self, id: i64, at_ms: i64) -> Result<bool, StoreError> {
        let n = self.db.write(|c| {
            c.exec(
                "revoke token",
                "UPDATE api_tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                &args![id, at_ms],
            )
        })?;
        Ok(n > 0)
    }

    fn list_tokens(&self, org: OrgId) -> Result<Vec<ApiToken>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list tokens",
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE org = ?1 ORDER BY id DESC"),
                &args![org],
                |r| token_of(&r),
            )
        })
    }

    fn create_session(&self, secret_hash: &str, s: &Session) -> Result<(), StoreError> {
        self.db.write(|c| {
            // Expired sessions are pruned as new ones are made.
            c.exec(
                "prune sessions",
                "DELETE FROM sessions WHERE expires_ms <= ?1",
                &args![s.created_ms],
            )?;
            c.exec_or(
                "create session",
                "INSERT INTO sessions (secret_hash, user_id, csrf, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                &args![secret_hash, s.user, &s.csrf, s.created_ms, s.expires_ms],
                || StoreError::Conflict("session collision".into()),
            )?;
            Ok(())
        })
    }

    fn session_by_hash(
        &self,
        secret_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Session>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get session",
                "SELECT user_id, csrf, created_ms, expires_ms FROM sessions
                 WHERE secret_hash = ?1 AND expires_ms > ?2",
                &args![secret_hash, now_ms],
            )?
            .map(|r| {
                Ok(Session {
                    user: r.get(0)?,
                    csrf: r.get(1)?,
                    created_ms: r.get(2)?,
                    expires_ms: r.get(3)?,
                })
            })
            .transpose()
        })
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        self.db.write(|c| {
            c.exec(
                "delete session",
                "DELETE FROM sessions WHERE secret_hash = ?1",
                &args![secret_hash],
            )
        })?;
        Ok(())
    }

    fn append_audit(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        self.db.write(|c| {
            c.one(
                "append audit",
                "INSERT INTO audit (at_ms, org, actor, action, object, detail, ip)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                &args![e.at_ms, e.org, &e.actor, &e.action, &e.object, &e.detail, &e.ip],
            )?
            .get(0)
        })
    }

    fn list_audit(
        &self,
        org: Option<OrgId>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db.read(|c| {
            c.map(
                "list audit",
                "SELECT id, at_ms, org, actor, action, object, detail, ip FROM audit
                 WHERE (CAST(?1 AS BIGINT) IS NULL OR org = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR id < ?2)
                 ORDER BY id DESC LIMIT ?3",
                &args![org, before, limit],
                |r| audit_of(&r),
            )
        })
    }
}
