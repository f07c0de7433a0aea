//! The `qiantang` binary as scripts use it: `--json` output, exit codes,
//! configuration precedence and the KB export/import round trip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel)
}

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

#[test]
fn serve_starts_with_the_bundled_sample_and_stops_on_sigterm() {
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
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut body = String::new();
    for _ in 0..100 {
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
