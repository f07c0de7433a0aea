//! The deposit log mirrored in PostgreSQL (`QIANTANG_TEST_DATABASE_URL`; each
//! test gets a fresh schema, like the store conformance suite). Without the
//! variable the tests are skipped, except under `CI`, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use qiantang_deposit::receipt::{self, VerifyOptions};
use qiantang_deposit::{DepositError, DepositService, LogMirror, PgLogMirror, ServiceConfig};
use qiantang_ledger::entry::{DepositEntry, Kind, VERSION};
use qiantang_ledger::merkle::leaf_hash;
use sha2::{Digest, Sha256};

fn postgres_url() -> Option<String> {
    match std::env::var("QIANTANG_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
            assert!(
                !ci,
                "CI is set but QIANTANG_TEST_DATABASE_URL is not: the PostgreSQL log mirror must be tested in CI"
            );
            eprintln!("QIANTANG_TEST_DATABASE_URL not set: skipping");
            None
        }
    }
}

/// Drops the test's schema at the end.
struct Schema {
    admin_url: String,
    name: String,
    url: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

impl Schema {
    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
    fn mirror(&self) -> Arc<dyn LogMirror> {
        Arc::new(PgLogMirror::connect(&self.url).unwrap())
    }
}

fn fresh_schema() -> Option<Schema> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let admin_url = postgres_url()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "qt_mirror_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(&admin_url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to QIANTANG_TEST_DATABASE_URL: {e}"));
    c.batch_execute(&format!("CREATE SCHEMA {name}")).unwrap();
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{sep}options=-csearch_path%3D{name}");
    // The mirror's tables belong to the store's migrations.
    qiantang_store::postgres::migrate(&url).unwrap();
    Some(Schema {
        admin_url,
        name,
        url,
    })
}

fn entry(content: &str) -> DepositEntry {
    DepositEntry {
        v: VERSION,
        sha256: hex::encode(Sha256::digest(content.as_bytes())),
        media_type: "text/plain".into(),
        size: content.len() as u64,
        org: "demo".into(),
        title: format!("title of {content}"),
        kind: Kind::Chapter,
        parent: None,
        deposited_by: "test".into(),
    }
}

fn open(dir: &Path, mirror: Option<Arc<dyn LogMirror>>) -> Result<DepositService, DepositError> {
    DepositService::open_dir_mirrored(dir, ServiceConfig::default(), mirror)
}

fn deposit(svc: &DepositService, from: usize, to: usize) {
    for i in from..to {
        svc.deposit(entry(&format!("chapter {i}"))).unwrap();
    }
    svc.integrate().unwrap();
}

/// Every entry and the checkpoint are the same in the files and the mirror.
fn assert_mirrored(svc: &DepositService, m: &dyn LogMirror) {
    let n = svc.size();
    assert_eq!(m.size().unwrap(), n);
    for e in m.entries(0, n).unwrap() {
        assert_eq!(e.leaf_hash, svc.leaf_hash(e.index).unwrap());
        assert_eq!(e.bytes, svc.entry(e.index).unwrap().to_bytes().unwrap());
        assert_eq!(e.leaf_hash, leaf_hash(&e.bytes));
    }
    assert_eq!(m.checkpoint().unwrap().unwrap(), svc.checkpoint());
}

#[test]
fn deposits_integrate_into_files_and_mirror() {
    let Some(db) = fresh_schema() else { return };
    let d = tempfile::tempdir().unwrap();
    let m = db.mirror();
    let svc = open(d.path(), Some(m.clone())).unwrap();
    deposit(&svc, 0, 3);
    assert_mirrored(&svc, m.as_ref());
    deposit(&svc, 3, 10);
    assert_mirrored(&svc, m.as_ref());
    assert_eq!(m.size().unwrap(), 10);
    let rows: i64 = db
        .client()
        .query_one("SELECT COUNT(*) FROM deposit_log_checkpoints", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 2, "one checkpoint note per integration");
    // A duplicate deposit writes nothing new.
    svc.deposit(entry("chapter 1")).unwrap();
    svc.integrate().unwrap();
    assert_eq!(m.size().unwrap(), 10);
    // Reopening with both copies equal is a no-op.
    drop(svc);
    let svc = open(d.path(), Some(db.mirror())).unwrap();
    assert_mirrored(&svc, m.as_ref());
}

#[test]
fn lost_log_directory_is_restored_from_the_mirror() {
    let Some(db) = fresh_schema() else { return };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("log");
    let svc = open(&dir, Some(db.mirror())).unwrap();
    deposit(&svc, 0, 4);
    deposit(&svc, 4, 7);
    let vk = svc.verifier_key().clone();
    let before = svc.checkpoint();
    let receipts: Vec<_> = (0..7)
        .map(|i| {
            let p = d.path().join(format!("r{i}.tlog-proof"));
            svc.receipt(i).unwrap().write(&p).unwrap();
            p
        })
        .collect();
    drop(svc);
    let key = std::fs::read(dir.join("log.key")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    // Without the key: a precise refusal (the key is never in the database).
    let e = open(&dir, Some(db.mirror())).unwrap_err();
    assert!(
        matches!(e, DepositError::Key(ref m) if m.contains("restore the key file") && m.contains("7 log entries")),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("log.key"), key).unwrap();

    let svc = open(&dir, Some(db.mirror())).unwrap();
    assert_eq!(svc.size(), 7);
    assert_eq!(svc.checkpoint(), before);
    assert_eq!(svc.entry(5).unwrap().title, "title of chapter 5");
    let opts = VerifyOptions {
        log_key: vk,
        witness_keys: vec![],
        threshold: 0,
        tsa_cert: None,
        tsa_token: None,
    };
    for (i, p) in receipts.iter().enumerate() {
        let v = receipt::verify(p, None, &opts).unwrap();
        assert!(v.ok, "old receipt {i}: {:?}", v.checks);
        let q = d.path().join(format!("new{i}.tlog-proof"));
        svc.receipt(i as u64).unwrap().write(&q).unwrap();
        let v = receipt::verify(&q, None, &opts).unwrap();
        assert!(v.ok, "new receipt {i}: {:?}", v.checks);
    }
    // Deduplication survives the restore; new deposits continue both copies.
    assert!(svc.deposit(entry("chapter 2")).unwrap().duplicate);
    deposit(&svc, 7, 9);
    assert_mirrored(&svc, db.mirror().as_ref());
    drop(svc);
    // The restored files open on their own.
    assert_eq!(open(&dir, None).unwrap().size(), 9);
}

#[test]
fn altered_mirror_row_is_refused_naming_the_index() {
    let Some(db) = fresh_schema() else { return };
    let d = tempfile::tempdir().unwrap();
    let svc = open(d.path(), Some(db.mirror())).unwrap();
    deposit(&svc, 0, 6);
    drop(svc);
    let mut c = db.client();
    // Entry and hash altered together (consistent row, different content).
    let forged = br#"{"forged":true}"#.to_vec();
    let (orig_e, orig_h): (Vec<u8>, Vec<u8>) = {
        let r = c
            .query_one(
                "SELECT entry, leaf_hash FROM deposit_log_entries WHERE idx = 3",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    c.execute(
        "UPDATE deposit_log_entries SET entry = $1, leaf_hash = $2 WHERE idx = 3",
        &[&forged, &&leaf_hash(&forged)[..]],
    )
    .unwrap();
    let e = open(d.path(), Some(db.mirror())).unwrap_err();
    assert!(
        matches!(e, DepositError::MirrorDiverged { index: 3, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("disagree at entry 3"), "{e}");
    // Entry bytes changed without the hash.
    c.execute(
        "UPDATE deposit_log_entries SET entry = $1, leaf_hash = $2 WHERE idx = 3",
        &[&orig_e, &orig_h],
    )
    .unwrap();
    c.execute(
        "UPDATE deposit_log_entries SET entry = $1 WHERE idx = 1",
        &[&forged],
    )
    .unwrap();
    let e = open(d.path(), Some(db.mirror())).unwrap_err();
    assert!(
        matches!(e, DepositError::MirrorDiverged { index: 1, ref detail } if detail.contains("leaf hash")),
        "{e}"
    );
    // A deleted row.
    c.execute("DELETE FROM deposit_log_entries WHERE idx = 1", &[])
        .unwrap();
    let e = open(d.path(), Some(db.mirror())).unwrap_err();
    assert!(
        matches!(e, DepositError::MirrorDiverged { index: 1, ref detail } if detail.contains("missing")),
        "{e}"
    );
    // The files themselves are intact: without the mirror the log opens.
    assert_eq!(open(d.path(), None).unwrap().size(), 6);
}

#[test]
fn mirror_behind_the_files_is_backfilled() {
    let Some(db) = fresh_schema() else { return };
    let d = tempfile::tempdir().unwrap();
    // Configured later: the files hold 5 entries, the mirror none.
    let svc = open(d.path(), None).unwrap();
    deposit(&svc, 0, 5);
    drop(svc);
    let m = db.mirror();
    assert_eq!(m.size().unwrap(), 0);
    let svc = open(d.path(), Some(m.clone())).unwrap();
    assert_mirrored(&svc, m.as_ref());
    // Behind again (deposits while the mirror was not configured).
    drop(svc);
    let svc = open(d.path(), None).unwrap();
    deposit(&svc, 5, 8);
    drop(svc);
    let svc = open(d.path(), Some(m.clone())).unwrap();
    assert_eq!(m.size().unwrap(), 8);
    assert_mirrored(&svc, m.as_ref());
    deposit(&svc, 8, 9);
    assert_mirrored(&svc, m.as_ref());
}

#[test]
fn mirror_tables_come_from_the_store_migrations() {
    let Some(db) = fresh_schema() else { return };
    // The store's migrations (run by `fresh_schema`) made both tables, with
    // the checks the mirror relies on.
    let mut c = db.client();
    let err = c
        .execute(
            "INSERT INTO deposit_log_entries (idx, leaf_hash, entry) VALUES (0, '\\x00', '\\x00')",
            &[],
        )
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&postgres::error::SqlState::CHECK_VIOLATION),
        "a leaf hash is 32 bytes: {err}"
    );
    // Without them, connecting names the missing tables instead of creating them.
    c.batch_execute("DROP TABLE deposit_log_entries, deposit_log_checkpoints")
        .unwrap();
    let err = PgLogMirror::connect(&db.url).unwrap_err().to_string();
    assert!(
        err.contains("deposit_log_entries") && err.contains("migrat"),
        "{err}"
    );
    let missing: bool = c
        .query_one("SELECT to_regclass('deposit_log_entries') IS NULL", &[])
        .unwrap()
        .get(0);
    assert!(missing, "the mirror must not create its tables");
    // Migrating again (schema version unchanged) does not bring them back,
    // opening a fresh database does.
    qiantang_store::postgres::migrate(&db.url).unwrap();
    let fresh = fresh_schema().unwrap();
    assert!(PgLogMirror::connect(&fresh.url).is_ok());
}
