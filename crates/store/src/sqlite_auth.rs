//! [`AuthStore`] on SQLite.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use qiantang_auth::{ApiToken, AuditEntry, AuthStore, Org, OrgId, Role, Session, User, UserId};
use qiantang_core::StoreError;

use crate::sqlite::{db, lock, SqliteStore};

fn conflict_or(op: &str, what: String) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(what)
        }
        e => db(op, e),
    }
}

fn role_of(s: String) -> rusqlite::Result<Role> {
    Role::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown role {s:?}").into(),
        )
    })
}

fn org_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: r.get(0)?,
        name: r.get(1)?,
        created_ms: r.get(2)?,
    })
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        is_admin: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

const TOKEN_COLS: &str = "id, org, role, name, created_by, created_ms, last_used_ms, revoked_ms";

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        org: r.get(1)?,
        role: role_of(r.get(2)?)?,
        name: r.get(3)?,
        created_by: r.get(4)?,
        created_ms: r.get(5)?,
        last_used_ms: r.get(6)?,
        revoked_ms: r.get(7)?,
    })
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
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

impl AuthStore for SqliteStore {
    fn create_org(&self, name: &str, at_ms: i64) -> Result<Org, StoreError> {
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO orgs (name, created_ms) VALUES (?1, ?2)",
            params![name, at_ms],
        )
        .map_err(conflict_or(
            "create org",
            format!("organization {name:?} already exists"),
        ))?;
        Ok(Org {
            id: c.last_insert_rowid(),
            name: name.to_string(),
            created_ms: at_ms,
        })
    }

    fn get_org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        self.reader()
            .query_row(
                "SELECT id, name, created_ms FROM orgs WHERE id = ?1",
                [id],
                org_row,
            )
            .optional()
            .map_err(|e| db("get org", e))
    }

    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        self.reader()
            .query_row(
                "SELECT id, name, created_ms FROM orgs WHERE name = ?1",
                [name],
                org_row,
            )
            .optional()
            .map_err(|e| db("get org", e))
    }

    fn list_orgs(&self) -> Result<Vec<Org>, StoreError> {
        self.all(
            "list orgs",
            "SELECT id, name, created_ms FROM orgs ORDER BY name",
            [],
            org_row,
        )
    }

    fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        at_ms: i64,
    ) -> Result<User, StoreError> {
        let email = email.trim().to_lowercase();
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO users (email, password_hash, is_admin, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![email, password_hash, is_admin, at_ms],
        )
        .map_err(conflict_or("create user", format!("user {email:?} already exists")))?;
        Ok(User {
            id: c.last_insert_rowid(),
            email,
            is_admin,
            created_ms: at_ms,
        })
    }

    fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.reader()
            .query_row(
                "SELECT id, email, is_admin, created_ms FROM users WHERE id = ?1",
                [id],
                user_row,
            )
            .optional()
            .map_err(|e| db("get user", e))
    }

    fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        self.reader()
            .query_row(
                "SELECT id, email, is_admin, created_ms, password_hash FROM users WHERE email = ?1",
                [email.trim().to_lowercase()],
                |r| Ok((user_row(r)?, r.get(4)?)),
            )
            .optional()
            .map_err(|e| db("get user", e))
    }

    fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        let mut c = lock(&self.writer);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db("begin", e))?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user, password_hash],
            )
            .map_err(|e| db("set password", e))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user}")));
        }
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user])
            .map_err(|e| db("set password", e))?;
        tx.commit().map_err(|e| db("commit", e))
    }

    fn count_users(&self) -> Result<u64, StoreError> {
        self.reader()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| db("count users", e))
    }

    fn set_membership(&self, org: OrgId, user: UserId, role: Role) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute(
                "INSERT INTO memberships (org, user_id, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT(org, user_id) DO UPDATE SET role = excluded.role",
                params![org, user, role.as_str()],
            )
            .map_err(conflict_or(
                "set membership",
                format!("organization {org} or user {user} does not exist"),
            ))?;
        Ok(())
    }

    fn remove_membership(&self, org: OrgId, user: UserId) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute(
                "DELETE FROM memberships WHERE org = ?1 AND user_id = ?2",
                params![org, user],
            )
            .map_err(|e| db("remove membership", e))?;
        Ok(n > 0)
    }

    fn memberships(&self, user: UserId) -> Result<Vec<(Org, Role)>, StoreError> {
        self.all("memberships", "SELECT o.id, o.name, o.created_ms, m.role FROM memberships m JOIN orgs o ON o.id = m.org
                 WHERE m.user_id = ?1 ORDER BY o.name", [user], |r| Ok((org_row(r)?, role_of(r.get(3)?)?)))
    }

    fn members(&self, org: OrgId) -> Result<Vec<(User, Role)>, StoreError> {
        self.all("members", "SELECT u.id, u.email, u.is_admin, u.created_ms, m.role FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org = ?1 ORDER BY u.email", [org], |r| Ok((user_row(r)?, role_of(r.get(4)?)?)))
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
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO api_tokens (org, role, name, secret_hash, created_by, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![org, role.as_str(), name, secret_hash, created_by, at_ms],
        )
        .map_err(conflict_or("create token", format!("organization {org} does not exist or the token collides")))?;
        Ok(ApiToken {
            id: c.last_insert_rowid(),
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
        self.reader()
            .query_row(
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_hash = ?1"),
                [secret_hash],
                token_row,
            )
            .optional()
            .map_err(|e| db("get token", e))
    }

    fn get_token(&self, id: i64) -> Result<Option<ApiToken>, StoreError> {
        self.reader()
            .query_row(
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?1"),
                [id],
                token_row,
            )
            .optional()
            .map_err(|e| db("get token", e))
    }

    fn touch_token(&self, id: i64, at_ms: i64) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute(
                "UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1",
                params![id, at_ms],
            )
            .map_err(|e| db("touch token", e))?;
        Ok(())
    }

    fn revoke_token(&self, id: i64, at_ms: i64) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute(
                "UPDATE api_tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                params![id, at_ms],
            )
            .map_err(|e| db("revoke token", e))?;
        Ok(n > 0)
    }

    fn list_tokens(&self, org: OrgId) -> Result<Vec<ApiToken>, StoreError> {
        self.all(
            "list tokens",
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE org = ?1 ORDER BY id DESC"),
            [org],
            token_row,
        )
    }

    fn create_session(&self, secret_hash: &str, s: &Session) -> Result<(), StoreError> {
        let c = lock(&self.writer);
        // Expired sessions are pruned as new ones are made.
        c.execute(
            "DELETE FROM sessions WHERE expires_ms <= ?1",
            [s.created_ms],
        )
        .map_err(|e| db("prune sessions", e))?;
        c.execute(
            "INSERT INTO sessions (secret_hash, user_id, csrf, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![secret_hash, s.user, s.csrf, s.created_ms, s.expires_ms],
        )
        .map_err(conflict_or("create session", "session collision".into()))?;
        Ok(())
    }

    fn session_by_hash(
        &self,
        secret_hash: &str,
        now_ms: i64,
    ) -> Result<Option<Session>, StoreError> {
        self.reader()
            .query_row(
                "SELECT user_id, csrf, created_ms, expires_ms FROM sessions WHERE secret_hash = ?1 AND expires_ms > ?2",
                params![secret_hash, now_ms],
                |r| Ok(Session { user: r.get(0)?, csrf: r.get(1)?, created_ms: r.get(2)?, expires_ms: r.get(3)? }),
            )
            .optional()
            .map_err(|e| db("get session", e))
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute("DELETE FROM sessions WHERE secret_hash = ?1", [secret_hash])
            .map_err(|e| db("delete session", e))?;
        Ok(())
    }

    fn append_audit(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        let c = lock(&self.writer);
        c.execute(
            "INSERT INTO audit (at_ms, org, actor, action, object, detail, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![e.at_ms, e.org, e.actor, e.action, e.object, e.detail, e.ip],
        )
        .map_err(|err| db("append audit", err))?;
        Ok(c.last_insert_rowid())
    }

    fn list_audit(
        &self,
        org: Option<OrgId>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.all("list audit", "SELECT id, at_ms, org, actor, action, object, detail, ip FROM audit
                 WHERE (?1 IS NULL OR org = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3", params![org, before, limit as i64], audit_row)
    }
}
