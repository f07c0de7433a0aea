//! The `qiantang` binary as scripts use it: `--json` output, exit codes,
//! configuration precedence and the KB export/import round trip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod l10n_e2e;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel)
}

#[path = "cli/witness.rs"]
mod witness;

fn qt(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qiantang"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("QIANTANG_CONFIG")
        .env_remove("QIANTANG_DATA_DIR")
        .output()
        .unwrap()
}

fn ok_json(o: Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn import_list_tag_with_json() {
    let d = tempfile::tempdir().unwrap();
    let xyj = corpus("novels_zh/xiyouji_journey_to_the_west.gb18030.txt");
    let v = ok_json(qt(
        d.path(),
        &[
            "import",
            "novel",
            xyj.to_str().unwrap(),
            "--title",
            "西游记",
            "--dry-run",
            "--json",
        ],
    ));
    assert_eq!(
        (v["chapter_count"].as_u64(), v["dry_run"].as_bool()),
        (Some(101), Some(true))
    );
    assert_eq!(v["encoding"], "GB18030");
    assert!(ok_json(qt(d.path(), &["works", "list", "--json"]))
        .as_array()
        .unwrap()
        .is_empty());
    let v = ok_json(qt(
        d.path(),
        &[
            "import",
            "novel",
            xyj.to_str().unwrap(),
            "--title",
            "西游记",
            "--json",
        ],
    ));
    assert_eq!(v["chapter_count"], 101);
    let list = ok_json(qt(d.path(), &["works", "list", "--json"]));
    assert_eq!(list[0]["title"], "西游记");
    assert_eq!(list[0]["chapter_count"], 101);
    let p = ok_json(qt(d.path(), &["tag", "西游记", "--json"]));
    let labels: Vec<&str> = p["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"孙悟空") && labels.contains(&"唐僧"),
        "{labels:?}"
    );
    // A bad file: non-zero exit, message names the file, nothing written.
    let empty = d.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let o = qt(
        d.path(),
        &["import", "novel", empty.to_str().unwrap(), "--title", "x"],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty.txt"));
    assert_eq!(
        ok_json(qt(d.path(), &["works", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Unknown work.
    assert!(!qt(d.path(), &["tag", "no such work"]).status.success());
}

#[test]
fn kb_tbx_export_imports_into_an_empty_data_dir() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let file = a.path().join("kb.tbx");
    // Edit and add concepts in A first, so the copy in B can only come through the TBX file
    // (a fresh data dir starts from the same built-in seed).
    let mut c =
        ok_json(qt(a.path(), &["kb", "show", "place.west-lake", "--json"]))["concept"].clone();
    c["definition"]["en"] = serde_json::json!("Edited in A & exported <via> TBX.");
    let cf = a.path().join("c.json");
    std::fs::write(&cf, c.to_string()).unwrap();
    assert!(qt(a.path(), &["kb", "put", cf.to_str().unwrap()])
        .status
        .success());
    let mut n = c.clone();
    n["id"] = serde_json::json!("place.test-only-in-a");
    n["broader"] = serde_json::json!(["place.west-lake"]);
    std::fs::write(&cf, n.to_string()).unwrap();
    assert!(qt(a.path(), &["kb", "put", cf.to_str().unwrap()])
        .status
        .success());
    let o = qt(
        a.path(),
        &[
            "kb",
            "export",
            "--format",
            "tbx",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = ok_json(qt(
        b.path(),
        &["kb", "import", file.to_str().unwrap(), "--json"],
    ));
    let stats_a = ok_json(qt(a.path(), &["kb", "stats", "--json"]));
    let stats_b = ok_json(qt(b.path(), &["kb", "stats", "--json"]));
    assert_eq!(v["concepts"], stats_a["concepts"]);
    assert_eq!(stats_a, stats_b);
    // Concept by concept, the two KBs are identical.
    let shown = ok_json(qt(
        b.path(),
        &["kb", "show", "place.test-only-in-a", "--json"],
    ));
    assert_eq!(
        shown["concept"]["definition"]["en"],
        "Edited in A & exported <via> TBX."
    );
    let la = ok_json(qt(a.path(), &["kb", "list", "--json"]));
    let lb = ok_json(qt(b.path(), &["kb", "list", "--json"]));
    assert_eq!(la, lb);
    // Market rendering.
    let r = ok_json(qt(
        a.path(),
        &["kb", "render", "wuxia.jianghu", "--market", "VN", "--json"],
    ));
    assert_eq!(r["text"], "giang hồ");
    let r = ok_json(qt(
        a.path(),
        &["kb", "render", "wuxia.jianghu", "--market", "KR", "--json"],
    ));
    assert_eq!(r["text"], "강호");
    // A malformed file imports nothing and fails.
    let bad = a.path().join("bad.tbx");
    std::fs::write(&bad, "<tbx><text><body><conceptEntry id='x'>").unwrap();
    let o = qt(b.path(), &["kb", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert_eq!(ok_json(qt(b.path(), &["kb", "stats", "--json"])), stats_a);
}

#[test]
fn config_precedence_and_unknown_keys() {
    let d = tempfile::tempdir().unwrap();
    let data_from_file = d.path().join("from-file");
    let cfg = d.path().join("q.toml");
    std::fs::write(
        &cfg,
        format!(
            "version = 1\ndata_dir = {:?}\n",
            data_from_file.to_str().unwrap()
        ),
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_qiantang"));
        c.args(args)
            .env_remove("QIANTANG_DATA_DIR")
            .env_remove("QIANTANG_CONFIG");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // The file's data_dir is used …
    let o = run(
        &["--config", cfg.to_str().unwrap(), "works", "list", "--json"],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(data_from_file.join("qiantang.sqlite3").exists());
    // … the environment beats the file …
    let data_env = d.path().join("from-env");
    let o = run(
        &["--config", cfg.to_str().unwrap(), "works", "list"],
        &[("QIANTANG_DATA_DIR", data_env.to_str().unwrap())],
    );
    assert!(o.status.success());
    assert!(data_env.join("qiantang.sqlite3").exists());
    // … and the flag beats the environment.
    let data_flag = d.path().join("from-flag");
    let o = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            data_flag.to_str().unwrap(),
            "works",
            "list",
        ],
        &[("QIANTANG_DATA_DIR", data_env.to_str().unwrap())],
    );
    assert!(o.status.success());
    assert!(data_flag.join("qiantang.sqlite3").exists());
    // Unknown keys are rejected with the key named.
    std::fs::write(&cfg, "data_dri = \"x\"\n").unwrap();
    let o = run(&["--config", cfg.to_str().unwrap(), "works", "list"], &[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("data_dri"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A bad listen address is named.
    let o = run(
        &[
            "--data-dir",
            data_flag.to_str().unwrap(),
            "--listen",
            "nonsense",
            "works",
            "list",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("listen"));
}

/// A minimal HTTP/1.1 exchange over loopback (test-only): returns the raw response.
fn http(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn set_cookie(resp: &str, name: &str) -> Option<String> {
    resp.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .map(|l| l.split_once(':').unwrap().1.trim())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

fn wait_for(port: u16) {
    for _ in 0..150 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("server did not start on port {port}");
}

#[test]
fn secrets_never_reach_the_log() {
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = d.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiantang"))
        .args([
            "--data-dir",
            d.path().to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
        ])
        .env("QIANTANG_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    wait_for(port);
    // The first start prints the admin's one-time password on standard output.
    let mut stdout = child.stdout.take().unwrap();
    let mut banner = String::new();
    {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        let n = stdout.read(&mut buf).unwrap();
        banner.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let password = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("one-time password: "))
        .unwrap_or_else(|| panic!("no password in {banner:?}"))
        .to_string();
    // Log in through the form (double-submit CSRF cookie), then use the session.
    let page = http(
        port,
        "GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let csrf = set_cookie(&page, "qt_csrf").unwrap();
    let csrf_value = csrf.trim_start_matches("qt_csrf=");
    let login = |pw: &str| {
        let body = format!("email=admin%40localhost&password={pw}&csrf={csrf_value}");
        http(
            port,
            &format!(
                "POST /login HTTP/1.1\r\nHost: x\r\nCookie: {csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let failed = login("hunter2-wrong-secret");
    assert!(failed.starts_with("HTTP/1.1 401"), "{failed}");
    let ok = login(&password);
    assert!(ok.starts_with("HTTP/1.1 303"), "{ok}");
    let session = set_cookie(&ok, "qt_session").unwrap();
    let account = http(
        port,
        &format!(
            "GET /account HTTP/1.1\r\nHost: x\r\nCookie: {session}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(account.starts_with("HTTP/1.1 200") && account.contains("admin@localhost"));
    // An API token made by the CLI works against the running hub.
    let t = ok_json(qt(
        d.path(),
        &[
            "token", "create", "--org", "demo", "--role", "viewer", "--json",
        ],
    ));
    let token = t["token"].as_str().unwrap().to_string();
    let api = http(port, &format!("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"));
    assert!(api.starts_with("HTTP/1.1 200"), "{api}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG") || logs.contains("INFO"),
        "no logs captured"
    );
    for (name, secret) in [
        ("password", password.as_str()),
        ("wrong password", "hunter2-wrong-secret"),
        ("API token", token.as_str()),
        ("session cookie", session.trim_start_matches("qt_session=")),
    ] {
        assert!(!logs.contains(secret), "the {name} appears in the log");
    }
}

#[test]
fn serve_starts_with_the_bundled_sample_and_stops_on_sigterm() {
    serve_and_stop(None);
}

/// Regression: `serve` on PostgreSQL panicked at start ("Cannot start a runtime from within a
/// runtime"): a store call ran on an async worker. Also checks that the deposit log is
/// mirrored in the database. Required in CI (like the store conformance suite).
#[test]
fn serve_on_postgresql_starts_mirrors_the_log_and_stops() {
    let Ok(url) = std::env::var("QIANTANG_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "CI is set but QIANTANG_TEST_DATABASE_URL is not"
        );
        return;
    };
    let schema = format!("cli_serve_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
    serve_and_stop(Some(&scoped));
    let n: i64 = admin
        .query_one(
            &format!("SELECT COUNT(*) FROM {schema}.deposit_log_entries"),
            &[],
        )
        .unwrap()
        .get(0);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
    assert!(
        n >= 11,
        "the sample work and its 10 chapters are in the mirror: {n}"
    );
}

fn serve_and_stop(database_url: Option<&str>) {
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qiantang"));
    cmd.args([
        "--data-dir",
        d.path().to_str().unwrap(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    if let Some(u) = database_url {
        cmd.args(["--database-url", u]);
    }
    let mut child = cmd
        .arg("serve")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut body = String::new();
    for _ in 0..300 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /api/v1/works HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            s.read_to_string(&mut body).unwrap();
            break;
        }
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(body.contains("200 OK"), "{body}");
    assert!(
        body.contains("济公全传"),
        "the bundled sample was not imported: {body}"
    );
    assert!(
        status.success(),
        "serve did not exit cleanly on SIGTERM: {status:?}"
    );
}

// ---- Copyright deposits (issue 5, CLI preview) ----

const LIANG_ZHU: &str = "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt";

fn stdout_of(o: Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs `verify`, expecting failure; returns stderr.
fn verify_fails(data: &Path, args: &[&str]) -> String {
    let o = qt(data, &[&["verify"], args].concat());
    assert!(
        !o.status.success(),
        "verify should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn deposit_receipt_verify_and_tamper() {
    let d = tempfile::tempdir().unwrap();
    let work = d.path().join("work");
    let data = work.as_path();
    let src = corpus(LIANG_ZHU);
    let file = d.path().join("liang_zhu.txt");
    std::fs::copy(&src, &file).unwrap();
    let f = file.to_str().unwrap();

    let v = ok_json(qt(
        data,
        &["deposit", f, "--title", "梁祝", "--kind", "work", "--json"],
    ));
    assert_eq!(v["status"], "integrated");
    assert_eq!(v["index"], 0);
    assert_eq!(v["checkpoint_size"], 1);
    assert_eq!(v["entry"]["org"], "demo");
    assert_eq!(v["entry"]["kind"], "work");
    assert_eq!(v["entry"]["deposited_by"], "cli");
    assert_eq!(v["entry"]["size"], std::fs::metadata(&file).unwrap().len());
    let leaf0 = v["leaf_hash"].as_str().unwrap().to_owned();

    // The key file is private; no lock is left behind.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("log/log.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!data.join("log/LOCK").exists());

    // Same bytes again, in a new process: the existing entry.
    let again = ok_json(qt(data, &["deposit", f, "--json"]));
    assert_eq!(again["status"], "existing");
    assert_eq!(again["index"], 0);
    assert_eq!(again["leaf_hash"], leaf0.as_str());
    assert_eq!(again["entry"]["title"], "梁祝");

    // A derivative with --parent; an unknown parent is refused.
    let tr = d.path().join("liang_zhu.en.txt");
    std::fs::write(&tr, "Liang Shanbo and Zhu Yingtai (translation draft)\n").unwrap();
    let t = tr.to_str().unwrap();
    let o = qt(data, &["deposit", t, "--parent", "5", "--json"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--parent 5: no such entry"));
    let dv = ok_json(qt(
        data,
        &[
            "deposit",
            t,
            "--kind",
            "translation",
            "--parent",
            "0",
            "--json",
        ],
    ));
    assert_eq!(dv["status"], "integrated");
    assert_eq!(dv["index"], 1);
    assert_eq!(dv["checkpoint_size"], 2);
    assert_eq!(dv["entry"]["parent"]["index"], 0);
    assert_eq!(dv["entry"]["parent"]["leaf_hash"], leaf0.as_str());
    let o = qt(data, &["deposit", t, "--kind", "poem"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown kind"));

    // The verifier key, in text and JSON.
    let key = stdout_of(qt(data, &["log", "key"])).trim().to_owned();
    assert!(key.starts_with("qiantang.invalid/log+"), "{key}");
    assert_eq!(
        ok_json(qt(data, &["log", "key", "--json"]))["vkey"],
        key.as_str()
    );

    // Receipt of entry 0 (tree of 2: one inclusion hash) verifies.
    let receipt = d.path().join("r.tlog-proof");
    let r = receipt.to_str().unwrap();
    ok_json(qt(data, &["receipt", "0", "-o", r, "--json"]));
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    let rv = ok_json(qt(data, &["verify", r, f, "--log-key", &key, "--json"]));
    assert_eq!(rv["ok"], true);
    assert_eq!(rv["entry"]["title"], "梁祝");
    assert_eq!(rv["checks"].as_array().unwrap().len(), 3);
    let out = stdout_of(qt(data, &["verify", r, "--log-key", &key]));
    assert!(out.contains("log proof"), "{out}");
    let o = qt(data, &["receipt", "9", "-o", r]);
    assert!(!o.status.success());

    // One byte of the file.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[100] ^= 0x01;
    let bad_file = d.path().join("tampered.txt");
    std::fs::write(&bad_file, &bytes).unwrap();
    let e = verify_fails(data, &[r, bad_file.to_str().unwrap(), "--log-key", &key]);
    assert!(e.contains("file hash mismatch"), "{e}");

    // One byte of the inclusion-proof hash line.
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[2], "index 0");
    let mut proof_line = lines[3].to_owned();
    let c = if proof_line.starts_with('A') {
        "B"
    } else {
        "A"
    };
    proof_line.replace_range(0..1, c);
    let mut tampered = lines.clone();
    tampered[3] = &proof_line;
    let bad = d.path().join("bad-proof.tlog-proof");
    std::fs::write(&bad, tampered.join("\n")).unwrap();
    let e = verify_fails(data, &[bad.to_str().unwrap(), f, "--log-key", &key]);
    assert!(e.contains("inclusion proof"), "{e}");

    // One byte of the checkpoint (its root hash line).
    let root_line = lines[7].to_owned();
    assert_eq!(lines[6], "2", "{text}");
    let mut root = root_line.clone();
    let c = if root.starts_with('A') { "B" } else { "A" };
    root.replace_range(0..1, c);
    let mut tampered = lines.clone();
    tampered[7] = &root;
    std::fs::write(&bad, tampered.join("\n")).unwrap();
    let e = verify_fails(data, &[bad.to_str().unwrap(), f, "--log-key", &key]);
    assert!(e.contains("checkpoint signature"), "{e}");

    // Another log's key (another data dir).
    let other = d.path().join("other");
    let other_key = stdout_of(qt(&other, &["log", "key"])).trim().to_owned();
    assert_ne!(other_key, key);
    let e = verify_fails(data, &[r, f, "--log-key", &other_key]);
    assert!(e.contains("wrong log key"), "{e}");

    // A witness policy that the receipt (no cosignatures) cannot meet.
    let e = verify_fails(
        data,
        &[
            r,
            f,
            "--log-key",
            &key,
            "--witness-key",
            "witness.example+fa51ed03+BIlw0vzUPZl4jMqbxO2gT2pYTnXVYRvCrSeuCNaCJhEj",
        ],
    );
    assert!(e.contains("cosignature policy"), "{e}");

    // A receipt that is not one.
    std::fs::write(&bad, "hello\n").unwrap();
    let e = verify_fails(data, &[bad.to_str().unwrap(), "--log-key", &key]);
    assert!(e.contains("malformed receipt"), "{e}");
}

#[test]
fn deposit_while_serve_runs_points_to_the_hub_api() {
    let d = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiantang"))
        .args([
            "--data-dir",
            d.path().to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
            "--no-sample",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(port);
    let o = qt(d.path(), &["deposit", corpus(LIANG_ZHU).to_str().unwrap()]);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    // The checkpoint of the running hub is served over the API meanwhile.
    let cp = http(
        port,
        "GET /api/v1/log/checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!o.status.success());
    assert!(
        e.contains("held by the running hub")
            && e.contains(&format!("POST http://127.0.0.1:{port}/api/v1/deposits")),
        "{e}"
    );
    assert!(
        cp.contains("200 OK") && cp.contains("qiantang.invalid/log"),
        "{cp}"
    );
    assert!(status.success(), "serve did not exit cleanly: {status:?}");
    // Once the hub stopped, the lock is gone and the CLI deposits.
    assert!(!d.path().join("log/LOCK").exists());
    let o = qt(
        d.path(),
        &["deposit", corpus(LIANG_ZHU).to_str().unwrap(), "--json"],
    );
    assert_eq!(ok_json(o)["status"], "integrated");
}

#[test]
// `File::try_lock` (std 1.89) is what the deposit crate itself uses.
#[allow(clippy::incompatible_msrv)]
fn deposit_log_lock_refuses_a_second_process() {
    let d = tempfile::tempdir().unwrap();
    let key = stdout_of(qt(d.path(), &["log", "key"]));
    assert!(!key.is_empty());
    // Another running process holds the log (this test process stands in
    // for it): it holds the OS lock on LOCK and wrote its pid there.
    let lock = d.path().join("log/LOCK");
    let live = std::process::id().to_string();
    std::fs::write(&lock, format!("{live}\n")).unwrap();
    let held = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
    held.try_lock().unwrap();
    let o = qt(d.path(), &["deposit", corpus(LIANG_ZHU).to_str().unwrap()]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains(lock.to_str().unwrap()) && e.contains(&live),
        "{e}"
    );
    assert!(lock.exists(), "the refused process left the lock alone");
    drop(held);
    // A lock left by a process that is gone (killed) is taken over.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id().to_string();
    gone.wait().unwrap();
    std::fs::write(&lock, format!("{dead}\n")).unwrap();
    let o = qt(
        d.path(),
        &["deposit", corpus(LIANG_ZHU).to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no longer running"));
    assert_eq!(ok_json(o)["status"], "integrated");
    assert!(!lock.exists());
    // An empty file is refused.
    let empty = d.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let o = qt(d.path(), &["deposit", empty.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty"));
}

#[test]
fn licences_are_granted_refused_listed_mapped_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let novel = corpus("novels_zh/yushi_mingyan_28_liang_zhu_episode.txt");
    let w = ok_json(qt(
        d,
        &["import", "novel", novel.to_str().unwrap(), "--json"],
    ))["work"]
        .as_i64()
        .unwrap()
        .to_string();
    let g = ok_json(qt(
        d,
        &[
            "licence",
            "grant",
            &w,
            "--licensee",
            "Tor",
            "--territory",
            "US,CA",
            "--language",
            "en",
            "--medium",
            "text,audio",
            "--exclusive",
            "--from",
            "2027-01-01",
            "--to",
            "2029-12-31",
            "--json",
        ],
    ));
    assert_eq!(g["territories"], serde_json::json!(["CA", "US"]));
    let first = g["id"].as_i64().unwrap().to_string();
    // Overlapping worldwide grant: refused, exit 1, conflicts on stderr.
    let ww = [
        "licence",
        "grant",
        &w,
        "--licensee",
        "Webnovel",
        "--territory",
        "WW",
        "--language",
        "*",
        "--medium",
        "text",
        "--from",
        "2029-06-01",
    ];
    let o = qt(d, &ww);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refused")
            && err.contains(&format!("#{first} to Tor"))
            && err.contains("CA, US × en × text, 2029-06-01 – 2029-12-31"),
        "{err}"
    );
    let o = qt(d, &[&ww[..], &["--json"]].concat());
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["conflicts"][0]["grant"].to_string(), first);
    // Forced: recorded flagged.
    let v = ok_json(qt(d, &[&ww[..], &["--force-flag", "--json"]].concat()));
    assert_eq!(v["flagged"], true);
    let list = ok_json(qt(d, &["licence", "list", &w, "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    let map = ok_json(qt(d, &["licence", "map", &w, "--json"]));
    assert!(map["cells"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["territory"] == "WW"));
    let o = qt(d, &["licence", "map", &w]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Tor (#"));
    let v = ok_json(qt(d, &["licence", "revoke", &first, "--json"]));
    assert_eq!(v["status"], "revoked");
    assert!(!qt(d, &["licence", "revoke", "999"]).status.success());
    let o = qt(
        d,
        &[
            "licence",
            "grant",
            &w,
            "--licensee",
            "X",
            "--territory",
            "XX",
            "--language",
            "en",
            "--medium",
            "text",
            "--from",
            "2027-01-01",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown territory"));
}

#[test]
fn piracy_check_reads_files_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let novel = corpus("novels_zh/yushi_mingyan_28_liang_zhu_episode.txt");
    let w = ok_json(qt(
        d,
        &["import", "novel", novel.to_str().unwrap(), "--json"],
    ))["work"]
        .as_i64()
        .unwrap();
    // The whole file: every chapter finds itself.
    let v = ok_json(qt(
        d,
        &["piracy", "check", novel.to_str().unwrap(), "--json"],
    ));
    let segs = v["segments"].as_array().unwrap();
    assert!(!segs.is_empty());
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(s["matches"][0]["work"], w);
        assert_eq!(s["matches"][0]["chapter"], i + 1);
    }
    // Standard input, an unrelated text: no match.
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiantang"))
        .args([
            "--data-dir",
            d.to_str().unwrap(),
            "piracy",
            "check",
            "-",
            "--json",
        ])
        .env_remove("QIANTANG_CONFIG")
        .env_remove("QIANTANG_DATA_DIR")
        .env_remove("QIANTANG_DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        "话说那花果山顶上有一块仙石，其石有三丈六尺五寸高，有二丈四尺围圆，四面更无树木遮阴，左右倒有芝兰相衬。".repeat(3).as_bytes(),
    )
    .unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["segments"][0]["matches"].as_array().unwrap().is_empty(),
        "{v}"
    );
}

/// Regression (fresh-user trial): CLI imports and licence grants made no deposits, and the
/// CLI piracy check reported no deposit evidence.
#[test]
fn cli_imports_grants_and_piracy_checks_use_the_deposit_log() {
    let d = tempfile::tempdir().unwrap();
    let text = corpus(LIANG_ZHU);
    let v = ok_json(qt(
        d.path(),
        &[
            "import",
            "novel",
            text.to_str().unwrap(),
            "--title",
            "梁祝",
            "--json",
        ],
    ));
    let work = v["work"].as_i64().unwrap().to_string();
    // The imported file is already in the log: depositing it again returns that entry.
    let again = ok_json(qt(
        d.path(),
        &[
            "deposit",
            text.to_str().unwrap(),
            "--kind",
            "work",
            "--json",
        ],
    ));
    assert_eq!(again["status"], "existing", "{again}");
    assert_eq!(
        again["index"], 0,
        "the work is entry 0, its chapters follow"
    );
    let g = ok_json(qt(
        d.path(),
        &[
            "licence",
            "grant",
            &work,
            "--licensee",
            "Tor",
            "--territory",
            "US",
            "--language",
            "en",
            "--medium",
            "text",
            "--from",
            "2027-01-01",
            "--json",
        ],
    ));
    assert!(g["deposit_index"].as_u64().is_some(), "{g}");
}
