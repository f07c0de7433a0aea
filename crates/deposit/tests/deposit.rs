//! Integration tests for `qiantang-deposit`: the service (pending → final,
//! deduplication across restarts, batching by the integrator thread), tiles
//! served from the service, and RFC 3161 timestamps from a real local TSA
//! (`openssl ts -reply`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/tsa.rs"]
mod tsa_support;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use qiantang_deposit::receipt::{self, VerifyOptions};
use qiantang_deposit::{DepositError, DepositService, EntryStatus, ServiceConfig};
use qiantang_ledger::checkpoint::Checkpoint;
use qiantang_ledger::entry::{DepositEntry, Kind, VERSION};
use qiantang_ledger::merkle::{self, leaf_hash};
use qiantang_ledger::tiles::{parse_entry_bundle, TileId, TileReader};
use qiantang_ledger::SignedNote;
use sha2::{Digest, Sha256};

fn entry(org: &str, content: &str) -> DepositEntry {
    DepositEntry {
        v: VERSION,
        sha256: hex::encode(Sha256::digest(content.as_bytes())),
        media_type: "text/plain".into(),
        size: content.len() as u64,
        org: org.into(),
        title: format!("title of {content}"),
        kind: Kind::Chapter,
        parent: None,
        deposited_by: "test".into(),
    }
}

#[test]
fn pending_then_final_and_dedup_survives_restart() {
    let d = tempfile::tempdir().unwrap();
    let svc = DepositService::open(d.path(), ServiceConfig::default()).unwrap();
    let out = svc.deposit(entry("demo", "chapter one")).unwrap();
    assert_eq!(
        (out.index, out.status, out.duplicate),
        (0, EntryStatus::Pending, false)
    );
    assert!(matches!(
        svc.receipt(0),
        Err(DepositError::Pending { index: 0 })
    ));
    assert!(matches!(svc.entry(0), Err(DepositError::Pending { .. })));
    // A duplicate while pending is the same entry.
    let dup = svc.deposit(entry("demo", "chapter one")).unwrap();
    assert_eq!((dup.index, dup.duplicate), (0, true));
    let r = svc.integrate().unwrap();
    assert_eq!((r.checkpoint_size, r.integrated, r.is_final), (1, 1, true));
    assert_eq!(svc.status(0).unwrap(), EntryStatus::Final);
    let rec = svc.receipt(0).unwrap();
    assert!(rec.is_final && rec.timestamp_token.is_none());
    assert_eq!(rec.leaf_hash, leaf_hash(&rec.entry.to_bytes().unwrap()));
    // Another org depositing the same bytes gets its own entry.
    let other = svc.deposit(entry("other", "chapter one")).unwrap();
    assert_eq!((other.index, other.duplicate), (1, false));
    svc.integrate().unwrap();
    let sha = hex::encode(Sha256::digest(b"chapter one"));
    let found = svc.entries_by_hash(&sha).unwrap();
    assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1]);
    assert!(matches!(
        svc.receipt(7),
        Err(DepositError::NoSuchEntry { index: 7, size: 2 })
    ));
    drop(svc);
    // After a restart the index is rebuilt from the log.
    let svc = DepositService::open(d.path(), ServiceConfig::default()).unwrap();
    let again = svc.deposit(entry("other", "chapter one")).unwrap();
    assert_eq!(
        (again.index, again.duplicate, again.status),
        (1, true, EntryStatus::Final)
    );
    assert_eq!(svc.entries_by_hash(&sha.to_uppercase()).unwrap().len(), 2);
    // A second service on the same directory is refused while the first runs.
    let e = DepositService::open(d.path(), ServiceConfig::default()).unwrap_err();
    assert!(matches!(e, DepositError::Locked { .. }), "{e}");
    // A policy that cannot be met is refused at open.
    drop(svc);
    let bad = ServiceConfig {
        threshold: 1,
        ..ServiceConfig::default()
    };
    let e = DepositService::open(d.path(), bad).unwrap_err();
    assert!(e.to_string().contains("threshold 1 exceeds the 0"), "{e}");
}

#[test]
fn integrator_thread_batches_concurrent_deposits() {
    let d = tempfile::tempdir().unwrap();
    let svc = Arc::new(DepositService::open(d.path(), ServiceConfig::default()).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let h = svc.run_integrator(Duration::from_millis(200), Arc::clone(&stop));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let svc = Arc::clone(&svc);
            std::thread::spawn(move || {
                (0..250)
                    .map(|i| {
                        let o = svc.deposit(entry("demo", &format!("t{t} c{i}"))).unwrap();
                        assert_eq!(o.status, EntryStatus::Pending);
                        o.index
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..1000).collect::<Vec<_>>());
    // 1000 deposits made well within one interval share a few checkpoints.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(svc.size(), 1000);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    h.join().unwrap();
    assert_eq!(svc.status(999).unwrap(), EntryStatus::Final);
}

#[test]
fn tiles_from_the_service_rebuild_the_checkpoint_root() {
    let d = tempfile::tempdir().unwrap();
    let svc = DepositService::open(d.path(), ServiceConfig::default()).unwrap();
    for i in 0..300 {
        svc.deposit(entry("demo", &format!("chapter {i}"))).unwrap();
    }
    svc.integrate().unwrap();
    let note = SignedNote::parse(&svc.tile("checkpoint").unwrap()).unwrap();
    note.verify(std::slice::from_ref(svc.verifier_key()))
        .unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(cp.size, 300);
    let reader = TileReader::new(cp.size, |t: &TileId| svc.tile(&t.path()));
    assert_eq!(merkle::root(&reader, cp.size).unwrap(), cp.root);
    // Entry bundles: the full one and the partial one (width 44).
    let full = parse_entry_bundle(&svc.tile("tile/entries/000").unwrap()).unwrap();
    let partial = parse_entry_bundle(&svc.tile("tile/entries/001.p/44").unwrap()).unwrap();
    assert_eq!((full.len(), partial.len()), (256, 44));
    let level0 = svc.tile("tile/0/001.p/44").unwrap();
    for (i, e) in partial.iter().enumerate() {
        assert_eq!(&level0[i * 32..(i + 1) * 32], &leaf_hash(e));
        assert_eq!(
            DepositEntry::from_bytes(e).unwrap().sha256,
            hex::encode(Sha256::digest(format!("chapter {}", 256 + i).as_bytes()))
        );
    }
    // Tiles that do not exist for this size.
    for p in [
        "tile/0/001",
        "tile/0/001.p/43",
        "tile/1/000",
        "tile/entries/002",
        "nonsense",
    ] {
        assert!(svc.tile(p).is_none(), "{p}");
    }
    assert_eq!(svc.tile("tile/1/000.p/1").unwrap().len(), 32);
}

#[test]
fn rfc3161_timestamps_from_a_local_openssl_tsa() {
    let d = tempfile::tempdir().unwrap();
    let tsa = tsa_support::start(&d.path().join("tsa"));
    let cfg = ServiceConfig {
        tsa_url: Some(tsa.url.clone()),
        ..ServiceConfig::default()
    };
    let svc = DepositService::open(&d.path().join("data"), cfg).unwrap();
    svc.deposit(entry("demo", "chapter one")).unwrap();
    svc.deposit(entry("demo", "chapter two")).unwrap();
    let r = svc.integrate().unwrap();
    assert_eq!(r.timestamps, 2, "{:?}", r.tsa_errors);
    let rec = svc.receipt(0).unwrap();
    let info = rec.timestamp_info().unwrap();
    assert_eq!(info.imprint, rec.leaf_hash);
    assert!(info.gen_time_utc.starts_with("20"), "{}", info.gen_time_utc);
    let path = d.path().join("r0.tlog-proof");
    let files = rec.write(&path).unwrap();
    assert_eq!(files.len(), 2);
    let opts = |cert: Option<&std::path::Path>| VerifyOptions {
        log_key: svc.verifier_key().clone(),
        witness_keys: vec![],
        threshold: 0,
        tsa_cert: cert.map(std::path::Path::to_path_buf),
        tsa_token: None,
    };
    // Chains to the CA, and to the TSA certificate itself.
    for cert in [&tsa.ca_cert, &tsa.tsa_cert] {
        let v = receipt::verify(&path, None, &opts(Some(cert))).unwrap();
        assert!(v.ok, "{:?}", v.checks);
        assert_eq!(v.timestamp.as_deref(), Some(info.gen_time_utc.as_str()));
    }
    // Without --tsa-cert only the imprint is checked, and said so.
    let v = receipt::verify(&path, None, &opts(None)).unwrap();
    assert!(v.ok && v.checks[2].detail.contains("signature not checked"));
    // Tamper: the token of entry 1 (a different hash) with the receipt of entry 0.
    let rec1 = svc.receipt(1).unwrap();
    std::fs::write(receipt::token_path(&path), rec1.timestamp_token.unwrap()).unwrap();
    let v = receipt::verify(&path, None, &opts(Some(&tsa.ca_cert))).unwrap();
    assert!(!v.ok);
    let detail = &v.checks.last().unwrap().detail;
    assert!(
        detail.contains("not the entry's leaf hash")
            && detail.contains(&hex::encode(rec.leaf_hash)),
        "{detail}"
    );
    // Another CA: the signature does not chain.
    let other = d.path().join("other-ca");
    tsa_support::make_tsa_files(&other, "Other");
    std::fs::write(
        receipt::token_path(&path),
        rec.timestamp_token.as_ref().unwrap(),
    )
    .unwrap();
    let v = receipt::verify(&path, None, &opts(Some(&other.join("ca.crt")))).unwrap();
    assert!(!v.ok);
    let detail = &v.checks.last().unwrap().detail;
    assert!(detail.contains("openssl ts -verify"), "{detail}");
    // A token required but missing.
    std::fs::remove_file(receipt::token_path(&path)).unwrap();
    let v = receipt::verify(&path, None, &opts(Some(&tsa.ca_cert))).unwrap();
    assert!(v
        .checks
        .last()
        .unwrap()
        .detail
        .contains("no RFC 3161 token"));
    // A corrupted token byte (in the signature) is refused by openssl.
    let mut t = rec.timestamp_token.clone().unwrap();
    let n = t.len();
    t[n - 10] ^= 0x01;
    std::fs::write(receipt::token_path(&path), &t).unwrap();
    let v = receipt::verify(&path, None, &opts(Some(&tsa.ca_cert))).unwrap();
    assert!(!v.ok, "{:?}", v.checks);
}

/// Set, to a data directory, only in the child process that
/// `lock_is_released_at_once_when_its_holder_is_killed` spawns from this test
/// binary: the child opens the log there as the hub does and waits to be
/// killed.
#[cfg(unix)]
const LOCK_CHILD_ENV: &str = "QIANTANG_TEST_LOCK_CHILD_DATA_DIR";

/// The holder line the child writes, as `qiantang serve` does.
#[cfg(unix)]
const CHILD_HOLDER: &str = "qiantang serve http://127.0.0.1:9/";

/// Waits until process `pid` (a killed, unreaped child) is a zombie.
#[cfg(target_os = "linux")]
fn wait_for_zombie(pid: u32) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let state = stat.rsplit_once(')').unwrap().1.split_whitespace().next();
        if state == Some("Z") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process {pid} is not a zombie: {stat}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A holder in another process refuses a second open, naming itself; killed
/// with SIGKILL, its lock is free at once: on Linux while it is still an
/// unreaped zombie (which a PID-file lock took for a running process).
#[cfg(unix)]
#[test]
fn lock_is_released_at_once_when_its_holder_is_killed() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if let Some(dir) = std::env::var_os(LOCK_CHILD_ENV) {
        let _svc = DepositService::open_as(
            std::path::Path::new(&dir),
            ServiceConfig::default(),
            CHILD_HOLDER,
            None,
        )
        .unwrap();
        println!("LOCKED");
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
    let d = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_is_released_at_once_when_its_holder_is_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LOCK_CHILD_ENV, d.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // libtest may print "test <name> ... " before the child's own line.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let locked = BufReader::new(stdout)
            .lines()
            .any(|l| l.is_ok_and(|l| l.ends_with("LOCKED")));
        let _ = tx.send(locked);
    });
    let locked = rx.recv_timeout(Duration::from_secs(120));
    if locked != Ok(true) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child did not take the lock: {locked:?}");
    }
    // Two live holders: the second is refused with a message naming the first.
    let e = DepositService::open(d.path(), ServiceConfig::default()).unwrap_err();
    let DepositError::Locked { pid, holder, .. } = &e else {
        panic!("expected Locked, got {e}");
    };
    assert_eq!(pid, &child.id().to_string());
    assert_eq!(holder.as_deref(), Some(CHILD_HOLDER));
    let msg = e.to_string();
    assert!(
        msg.contains("held by the running hub")
            && msg.contains(&format!("pid {}", child.id()))
            && msg.contains("POST http://127.0.0.1:9/api/v1/deposits"),
        "{msg}"
    );
    child.kill().unwrap(); // SIGKILL
    #[cfg(target_os = "linux")]
    wait_for_zombie(child.id());
    #[cfg(not(target_os = "linux"))]
    child.wait().unwrap();
    // Free at once: the first attempt succeeds, no waiting or retrying.
    let svc = DepositService::open(d.path(), ServiceConfig::default()).unwrap();
    let lock = d.path().join("log/LOCK");
    let text = std::fs::read_to_string(&lock).unwrap();
    assert_eq!(
        text.lines().next(),
        Some(std::process::id().to_string().as_str())
    );
    drop(svc);
    assert!(!lock.exists(), "a clean close removes the lock file");
    let _ = child.wait();
}

/// A LOCK file whose holder is gone is taken over whatever it says: here the
/// pid of a process that runs (1, as a hub that ran as PID 1 in a container
/// leaves) and a hub holder line.
#[test]
fn lock_file_left_by_a_dead_holder_is_taken_over() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("log");
    std::fs::create_dir_all(&log).unwrap();
    let lock = log.join("LOCK");
    std::fs::write(&lock, "1\nqiantang serve http://127.0.0.1:9/\n").unwrap();
    let svc = DepositService::open(d.path(), ServiceConfig::default()).unwrap();
    let text = std::fs::read_to_string(&lock).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(std::process::id().to_string().as_str()));
    let holder = lines.next().unwrap();
    assert!(!holder.starts_with(qiantang_deposit::HUB_HOLDER), "{text}");
    drop(svc);
    assert!(!lock.exists());
}

/// Two live holders in one process (two opens of the lock): the second is
/// refused, naming the first's pid and holder; the lock is free again once
/// the first is dropped.
#[test]
fn second_live_lock_is_refused_naming_the_holder() {
    use qiantang_deposit::files::LockFile;
    let d = tempfile::tempdir().unwrap();
    let first = LockFile::acquire_as(d.path(), Some("qiantang serve http://127.0.0.1:9")).unwrap();
    let e = LockFile::acquire(d.path()).unwrap_err();
    let DepositError::Locked { pid, holder, path } = &e else {
        panic!("expected Locked, got {e}");
    };
    assert_eq!(pid, &std::process::id().to_string());
    assert_eq!(holder.as_deref(), Some("qiantang serve http://127.0.0.1:9"));
    assert_eq!(path, &d.path().join("LOCK"));
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("pid {}", std::process::id())) && msg.contains("127.0.0.1:9"),
        "{msg}"
    );
    // A non-hub holder is named by its program.
    drop(first);
    let first = LockFile::acquire(d.path()).unwrap();
    let e = LockFile::acquire_as(d.path(), Some("qiantang serve http://x")).unwrap_err();
    let msg = e.to_string();
    let exe = std::env::current_exe().unwrap();
    let name = exe.file_name().unwrap().to_string_lossy();
    assert!(
        msg.contains("in use by another running process") && msg.contains(&*name),
        "{msg}"
    );
    drop(first);
    drop(LockFile::acquire(d.path()).unwrap());
}
