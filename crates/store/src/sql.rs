//! The one SQL layer both backends share: statements are written once with
//! numbered placeholders (`?1`, `?2`, … — SQLite's own syntax, rewritten to
//! `$1`, `$2`, … for PostgreSQL), arguments are [`Arg`]s, rows come back as
//! [`Row`]s of [`Value`]s, and every store call runs on a [`Conn`] handed out
//! by a [`Db`] (a read connection, or one write transaction).
//!
//! What really differs between the dialects lives in [`Dialect`] (row locks)
//! and in the backends' `Conn` implementations (binding, decoding, error
//! classes). Everything else — queries, upserts (`ON CONFLICT … DO UPDATE`),
//! `RETURNING`, `TRUE`/`FALSE`, `CAST(? AS BIGINT)` — is SQL both accept.

use qiantang_core::StoreError;

use crate::blob::BlobDir;

/// The SQL dialect of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The row-lock suffix of a `SELECT` inside a write transaction: PostgreSQL
    /// locks the rows (`FOR UPDATE`); SQLite's `BEGIN IMMEDIATE` already holds
    /// the database's write lock, and it has no such clause.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

/// A statement argument, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Null,
    Int(i64),
    /// `INTEGER` 0/1 on SQLite, `BOOLEAN` on PostgreSQL.
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Blob(v)
    }
}
impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Arg::Blob(v)
    }
}
impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}

/// `[Arg; N]` from a list of values convertible to [`Arg`].
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        [$($crate::sql::Arg::from($v)),*]
    };
}
pub(crate) use args;

/// A column value read back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// The SQL type name of the value, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a boolean",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// One result row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Column `idx` converted to `T`; a missing column, a NULL where `T` is
    /// not an `Option`, a value of another type or out of `T`'s range is a
    /// [`StoreError::Backend`].
    pub(crate) fn get<T: FromValue>(&self, idx: usize) -> Result<T, StoreError> {
        let v = self.0.get(idx).unwrap_or(&Value::Null);
        // The message names the stored type, never the value (it may be a secret hash).
        T::from_value(v).map_err(|why| {
            StoreError::Backend(format!("stored column {idx}: {why} (got {})", v.kind()))
        })
    }

    /// Moves column `idx` out as a string (no copy); errors as [`Row::get`].
    pub(crate) fn take_text(&mut self, idx: usize) -> Result<String, StoreError> {
        match self.0.get_mut(idx) {
            Some(Value::Text(s)) => Ok(std::mem::take(s)),
            _ => self.get(idx),
        }
    }
}

/// Conversion of a column [`Value`] to a Rust type.
pub(crate) trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, &'static str>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i64::from(*b)),
            Value::Null => Err("unexpected NULL"),
            _ => Err("not an integer"),
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        u32::try_from(i64::from_value(v)?).map_err(|_| "out of range")
    }
}
impl FromValue for u64 {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        u64::try_from(i64::from_value(v)?).map_err(|_| "out of range")
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Int(i) => Ok(*i != 0),
            Value::Null => Err("unexpected NULL"),
            _ => Err("not a boolean"),
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Null => Err("unexpected NULL"),
            _ => Err("not text"),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            Value::Null => Err("unexpected NULL"),
            _ => Err("not a blob"),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// An error of either driver, classified the same way.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("{0}")]
    Decode(String),
}

impl DbError {
    /// Whether the statement violated an integrity constraint (unique, foreign
    /// key, not null, check): `SQLITE_CONSTRAINT`, SQLSTATE class 23.
    pub(crate) fn is_constraint(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
            }
            DbError::Postgres(e) => e.code().is_some_and(|c| c.code().starts_with("23")),
            _ => false,
        }
    }

    fn is_disk_full(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::DiskFull
            }
            DbError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }

    /// The [`StoreError::Backend`] for operation `op`.
    pub(crate) fn store(self, op: &str) -> StoreError {
        if self.is_disk_full() {
            return StoreError::Backend(format!("{op}: disk full"));
        }
        StoreError::Backend(format!("{op}: {self}"))
    }
}

/// A connection (or transaction) of either backend.
pub(crate) trait Conn {
    /// The connection's dialect.
    fn dialect(&self) -> Dialect;
    /// Runs `sql` and returns all its rows.
    fn query_raw(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError>;
    /// Runs `sql` and returns the number of rows it changed.
    fn execute_raw(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError>;
}

impl dyn Conn + '_ {
    /// All rows of `sql`; errors are [`StoreError::Backend`] naming `op`.
    pub(crate) fn all(
        &mut self,
        op: &str,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        self.query_raw(sql, args).map_err(|e| e.store(op))
    }

    /// All rows of `sql`, each mapped by `f`.
    pub(crate) fn map<T>(
        &mut self,
        op: &str,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnMut(Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.all(op, sql, args)?.into_iter().map(f).collect()
    }

    /// The first row of `sql`, if any.
    pub(crate) fn opt(
        &mut self,
        op: &str,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.all(op, sql, args)?.into_iter().next())
    }

    /// The first row of `sql`; no row is a [`StoreError::Backend`].
    pub(crate) fn one(&mut self, op: &str, sql: &str, args: &[Arg<'_>]) -> Result<Row, StoreError> {
        self.opt(op, sql, args)?
            .ok_or_else(|| StoreError::Backend(format!("{op}: no row returned")))
    }

    /// Like [`one`](Self::one), mapping a constraint violation to `on_constraint()`.
    pub(crate) fn one_or(
        &mut self,
        op: &str,
        sql: &str,
        args: &[Arg<'_>],
        on_constraint: impl FnOnce() -> StoreError,
    ) -> Result<Row, StoreError> {
        match self.query_raw(sql, args) {
            Ok(rows) => rows
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::Backend(format!("{op}: no row returned"))),
            Err(e) if e.is_constraint() => Err(on_constraint()),
            Err(e) => Err(e.store(op)),
        }
    }

    /// Runs `sql`; returns the number of rows changed.
    pub(crate) fn exec(
        &mut self,
        op: &str,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<u64, StoreError> {
        self.execute_raw(sql, args).map_err(|e| e.store(op))
    }

    /// Like [`exec`](Self::exec), mapping a constraint violation to `on_constraint()`.
    pub(crate) fn exec_or(
        &mut self,
        op: &str,
        sql: &str,
        args: &[Arg<'_>],
        on_constraint: impl FnOnce() -> StoreError,
    ) -> Result<u64, StoreError> {
        match self.execute_raw(sql, args) {
            Ok(n) => Ok(n),
            Err(e) if e.is_constraint() => Err(on_constraint()),
            Err(e) => Err(e.store(op)),
        }
    }

    /// Inserts `rows` (each `width` arguments) with multi-row `VALUES` lists
    /// of at most [`MAX_BATCH_ROWS`] rows: `head` is the statement up to and
    /// including `VALUES`, `tail` what follows the lists (e.g. an `ON
    /// CONFLICT` clause). Returns the number of rows inserted. Errors are
    /// [`StoreError::Backend`] naming `op`.
    pub(crate) fn insert_rows(
        &mut self,
        op: &str,
        head: &str,
        tail: &str,
        width: usize,
        rows: &[Arg<'_>],
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        let width = width.max(1);
        for chunk in rows.chunks(width * MAX_BATCH_ROWS) {
            let sql = values_sql(head, tail, width, chunk.len() / width);
            n += self.exec(op, &sql, chunk)?;
        }
        Ok(n)
    }
}

/// Most rows one multi-row `INSERT` carries (well under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters for the widest table).
pub(crate) const MAX_BATCH_ROWS: usize = 500;

/// `head (?1, ?2), (?3, ?4) tail` for `rows` rows of `width` placeholders.
pub(crate) fn values_sql(head: &str, tail: &str, width: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * width * 6);
    sql.push_str(head);
    let mut p = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { " (" } else { ", (" });
        for c in 0..width {
            p += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('?');
            sql.push_str(&p.to_string());
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// `?1, ?2, …` placeholders rewritten for PostgreSQL (`$1, $2, …`); a bare
/// `?` takes the number after the previous one. Quoted strings, quoted
/// identifiers and comments are left alone.
pub(crate) fn to_dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1u32;
    while let Some(ch) = chars.next() {
        match ch {
            '\'' | '"' => {
                out.push(ch);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == ch {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(ch);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let n = digits.parse::<u32>().unwrap_or(next);
                next = n + 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            c => out.push(c),
        }
    }
    out
}

/// `org IN (1, 2, 3)` for a list of ids inlined as integer literals (safe:
/// they are integers), or `FALSE` for an empty list.
pub(crate) fn in_ids(column: &str, ids: &[i64]) -> String {
    if ids.is_empty() {
        return "FALSE".to_string();
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{column} IN ({})", list.join(", "))
}

/// A database handle: hands out connections for reads and transactions for
/// writes. Implemented by the SQLite and PostgreSQL backends.
pub(crate) trait Db: Send + Sync + 'static {
    /// Runs `f` on a connection outside any explicit transaction (each
    /// statement commits on its own; a statement sees one snapshot).
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;

    /// Runs `f` in one write transaction, committed when `f` returns `Ok` and
    /// rolled back otherwise. On SQLite it holds the write lock from the
    /// start (`BEGIN IMMEDIATE`); on PostgreSQL rows are locked as read with
    /// [`Dialect::for_update`].
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;

    /// Runs `f` in a read-only transaction whose statements all see one
    /// snapshot of the database.
    fn snapshot<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
}

/// A store over a [`Db`] plus the blob folder for chapter text; every domain
/// store trait is implemented once for it (see the `kb`, `works`, `auth`,
/// `l10n` and `rights` modules). [`crate::SqliteStore`] and
/// [`crate::PostgresStore`] are its two instances.
pub struct Store<D> {
    pub(crate) db: D,
    pub(crate) blobs: BlobDir,
}

impl<D> Store<D> {
    /// The blob folder (content-addressed chapter text).
    pub fn blobs(&self) -> &BlobDir {
        &self.blobs
    }
}

/// The serialization error of a stored JSON column, as a [`StoreError::Backend`].
pub(crate) fn json_err(op: &str, e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("{op}: stored JSON is invalid: {e}"))
}

/// The server's own message (e.g. "password authentication failed for user
/// …", "permission denied for schema public") or the connection error's
/// cause, instead of the bare "db error". Never contains the URL.
pub(crate) fn pg_detail(e: &postgres::Error) -> String {
    if let Some(d) = e.as_db_error() {
        return format!("{} ({}: {})", e, d.code().code(), d.message());
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            to_dollar_placeholders("SELECT ?1, ?2 WHERE a = ?1 AND b LIKE '?x' ESCAPE '\\'"),
            "SELECT $1, $2 WHERE a = $1 AND b LIKE '?x' ESCAPE '\\'"
        );
        assert_eq!(
            to_dollar_placeholders("VALUES (?, ?, ?)"),
            "VALUES ($1, $2, $3)"
        );
        assert_eq!(
            to_dollar_placeholders("SELECT \"a?\" -- ?3\n, ?10"),
            "SELECT \"a?\" -- ?3\n, $10"
        );
    }

    #[test]
    fn multi_row_values() {
        assert_eq!(
            values_sql(
                "INSERT INTO t (a, b) VALUES",
                "ON CONFLICT DO NOTHING",
                2,
                2
            ),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4) ON CONFLICT DO NOTHING"
        );
        assert_eq!(in_ids("org", &[]), "FALSE");
        assert_eq!(in_ids("org", &[1, -2]), "org IN (1, -2)");
    }

    #[test]
    fn values_convert_strictly() {
        let r = Row(vec![
            Value::Int(-1),
            Value::Null,
            Value::Int(1),
            Value::Text("x".into()),
        ]);
        assert!(r.get::<u32>(0).is_err());
        assert_eq!(r.get::<i64>(0).ok(), Some(-1));
        assert_eq!(r.get::<Option<i64>>(1).ok(), Some(None));
        assert!(r.get::<i64>(1).is_err());
        assert_eq!(r.get::<bool>(2).ok(), Some(true));
        assert!(r.get::<i64>(3).is_err());
        assert!(r.get::<String>(9).is_err());
    }
}
