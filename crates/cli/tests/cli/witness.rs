//! Three `qiantang witness` processes, a log witnessed under a 2-of-3
//! policy, a local RFC 3161 TSA (`openssl ts -reply`), certificates, witness
//! failures, a witness restart, and a forked log refused by the witnesses.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

#[allow(dead_code)]
#[path = "../../../deposit/tests/support/tsa.rs"]
mod tsa_support;

const ORIGIN: &str = "qiantang.invalid/log";

fn run(data: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qiantang"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("QIANTANG_CONFIG")
        .env_remove("QIANTANG_DATA_DIR")
        .output()
        .unwrap()
}

fn json(o: Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

struct WitnessProc {
    child: Child,
    url: String,
}

impl Drop for WitnessProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_witness(key: &Path, state: &Path, log_vkey: &str) -> WitnessProc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiantang"))
        .arg("--data-dir")
        .arg(state.parent().unwrap())
        .args(["witness", "--key"])
        .arg(key)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--trust-log",
            &format!("{ORIGIN} {log_vkey}"),
            "--state",
        ])
        .arg(state)
        .env_remove("QIANTANG_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("witness printed {line:?}"))
        .to_owned();
    WitnessProc { child, url }
}

fn write_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn three_witness_processes_two_of_three_policy_tsa_and_fork() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path();
    let data = base.join("work");
    let empty_cfg = write_file(base, "empty.toml", "");
    let log_key = String::from_utf8(run(&data, &empty_cfg, &["log", "key"]).stdout)
        .unwrap()
        .trim()
        .to_owned();
    assert!(log_key.starts_with(ORIGIN), "{log_key}");

    // Three witnesses with their own keys and state directories.
    let mut wkeys = Vec::new();
    let mut procs = Vec::new();
    for i in 1..=3 {
        let key = base.join(format!("w{i}.key"));
        let o = run(
            base,
            &empty_cfg,
            &[
                "witness",
                "keygen",
                &format!("witness{i}.example"),
                "-o",
                key.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        wkeys.push(String::from_utf8(o.stdout).unwrap().trim().to_owned());
        let state = base.join(format!("w{i}/state"));
        procs.push(Some(start_witness(&key, &state, &log_key)));
    }
    let tsa = tsa_support::start(&base.join("tsa"));
    let witnesses: Vec<String> = procs
        .iter()
        .zip(&wkeys)
        .map(|(p, k)| format!("\"{} {k}\"", p.as_ref().unwrap().url))
        .collect();
    let cfg = write_file(
        base,
        "q.toml",
        &format!(
            "[deposit]\nwitnesses = [{}]\nwitness_threshold = 2\ntsa_url = \"{}\"\npublic_url = \"https://hub.example/\"\nhttp_timeout_secs = 5\n",
            witnesses.join(", "),
            tsa.url
        ),
    );
    let verify = |receipt: &Path, file: &Path, m: &str| -> Output {
        let mut args = vec![
            "verify".to_owned(),
            receipt.to_str().unwrap().to_owned(),
            file.to_str().unwrap().to_owned(),
            "--log-key".into(),
            log_key.clone(),
            "--witness-threshold".into(),
            m.into(),
            "--tsa-cert".into(),
            tsa.ca_cert.to_str().unwrap().to_owned(),
        ];
        for k in &wkeys {
            args.push("--witness-key".into());
            args.push(k.clone());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&data, &cfg, &args)
    };

    // All three up: final with three cosignatures; the receipt verifies under 2-of-3.
    let f1 = write_file(base, "ch1.txt", "第一章 梁山伯与祝英台\n");
    let v = json(run(
        &data,
        &cfg,
        &["deposit", f1.to_str().unwrap(), "--title", "梁祝", "--json"],
    ));
    assert_eq!(
        (v["status"].as_str(), v["final"].as_bool()),
        (Some("integrated"), Some(true)),
        "{v}"
    );
    assert_eq!(v["cosigned_by"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["timestamps"], 1);
    let r1 = base.join("r1.tlog-proof");
    let rv = json(run(
        &data,
        &cfg,
        &["receipt", "0", "-o", r1.to_str().unwrap(), "--json"],
    ));
    assert_eq!(rv["final"], true);
    assert!(rv["cosignatures"].as_array().unwrap().len() >= 2);
    assert!(rv["timestamp"].as_str().unwrap().starts_with("20"));
    assert!(Path::new(&format!("{}.tsr", r1.display())).exists());
    let o = verify(&r1, &f1, "2");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("3 of 3 witness cosignatures (policy 2)") && out.contains("ok     timestamp"),
        "{out}"
    );

    // The printable certificate.
    let cert = base.join("cert.html");
    json(run(
        &data,
        &cfg,
        &[
            "receipt",
            "0",
            "--format",
            "html",
            "-o",
            cert.to_str().unwrap(),
            "--json",
        ],
    ));
    let html = std::fs::read_to_string(&cert).unwrap();
    let sha = v["entry"]["sha256"].as_str().unwrap();
    for needle in [
        "版权存证证书",
        "Copyright Deposit Certificate",
        "梁祝",
        sha,
        "<svg",
        &format!("https://hub.example/verify/0?h={sha}"),
        "witness1.example",
        "@media print",
        "RFC 3161",
    ] {
        assert!(html.contains(needle), "certificate lacks {needle}");
    }

    // One witness down: still final with two.
    procs[2] = None;
    let f2 = write_file(base, "ch2.txt", "第二章\n");
    let v = json(run(
        &data,
        &cfg,
        &["deposit", f2.to_str().unwrap(), "--json"],
    ));
    assert_eq!(v["final"], true, "{v}");
    assert_eq!(v["cosigned_by"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["witness_errors"].as_array().unwrap().len(), 1, "{v}");
    let r2 = base.join("r2.tlog-proof");
    json(run(
        &data,
        &cfg,
        &["receipt", "1", "-o", r2.to_str().unwrap(), "--json"],
    ));
    assert!(verify(&r2, &f2, "2").status.success());
    let o = verify(&r2, &f2, "3");
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("cosignature policy: 2 valid witness cosignatures, policy requires 3"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Two down: integrated but not final; verify under 2-of-3 fails precisely.
    procs[1] = None;
    let f3 = write_file(base, "ch3.txt", "第三章\n");
    let v = json(run(
        &data,
        &cfg,
        &["deposit", f3.to_str().unwrap(), "--json"],
    ));
    assert_eq!(
        (v["status"].as_str(), v["final"].as_bool()),
        (Some("integrated"), Some(false)),
        "{v}"
    );
    let r3 = base.join("r3.tlog-proof");
    let rv = json(run(
        &data,
        &cfg,
        &["receipt", "2", "-o", r3.to_str().unwrap(), "--json"],
    ));
    assert_eq!(rv["final"], false);
    let o = verify(&r3, &f3, "2");
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("cosignature policy: 1 valid witness cosignatures, policy requires 2"),
        "{e}"
    );
    // Earlier entries keep their final receipt (the last final checkpoint).
    let rv = json(run(
        &data,
        &cfg,
        &["receipt", "0", "-o", r1.to_str().unwrap(), "--json"],
    ));
    assert_eq!(
        (rv["final"].as_bool(), rv["checkpoint_size"].as_u64()),
        (Some(true), Some(2))
    );
    assert!(verify(&r1, &f1, "2").status.success());

    // Witness 2 restarts from its durable state (it cosigned size 2).
    procs[1] = Some(start_witness(
        &base.join("w2.key"),
        &base.join("w2/state"),
        &log_key,
    ));
    let w2_url = procs[1].as_ref().unwrap().url.clone();
    let cfg_w2 = write_file(
        base,
        "q2.toml",
        &format!(
            "[deposit]\nwitnesses = [\"{} {}\", \"{} {}\"]\nwitness_threshold = 2\n",
            procs[0].as_ref().unwrap().url,
            wkeys[0],
            w2_url,
            wkeys[1]
        ),
    );

    // A fork: another log directory with the same key and different entries.
    let fork = base.join("fork");
    std::fs::create_dir_all(fork.join("log")).unwrap();
    std::fs::copy(data.join("log/log.key"), fork.join("log/log.key")).unwrap();
    for (i, text) in ["偽第一章\n", "偽第二章\n", "偽第三章\n"]
        .iter()
        .enumerate()
    {
        let f = write_file(base, &format!("fork{i}.txt"), text);
        let v = json(run(
            &fork,
            &cfg_w2,
            &["deposit", f.to_str().unwrap(), "--json"],
        ));
        assert_eq!(v["final"], false, "{v}");
        assert!(
            v["cosigned_by"].as_array().unwrap().is_empty(),
            "fork cosigned: {v}"
        );
        let errs = v["witness_errors"].to_string();
        assert!(errs.contains("409") || errs.contains("422"), "{errs}");
    }
    // At size 3 witness 1 (which cosigned size 3) calls it a fork (409);
    // witness 2 (at size 2) finds the consistency proof 2 → 3 failing (422).
    let f = write_file(base, "fork3.txt", "偽第四章\n");
    let v = json(run(
        &fork,
        &cfg_w2,
        &["deposit", f.to_str().unwrap(), "--json"],
    ));
    let errs = v["witness_errors"].to_string();
    assert!(errs.contains("422"), "{errs}");
    assert!(v["cosigned_by"].as_array().unwrap().is_empty());
    // The honest log goes on being cosigned by both.
    let f4 = write_file(base, "ch4.txt", "第四章\n");
    let v = json(run(
        &data,
        &cfg_w2,
        &["deposit", f4.to_str().unwrap(), "--json"],
    ));
    assert_eq!(v["final"], true, "{v}");
    assert_eq!(v["cosigned_by"].as_array().unwrap().len(), 2, "{v}");
}
