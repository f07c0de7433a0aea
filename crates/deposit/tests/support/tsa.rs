//! A real RFC 3161 TSA for tests: a throwaway CA and TSA certificate
//! (`extendedKeyUsage=critical,timeStamping`) made with `openssl`, and a tiny
//! HTTP stand-in on 127.0.0.1 answering each POST with `openssl ts -reply`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running test TSA.
pub struct TestTsa {
    /// `http://127.0.0.1:PORT/tsa`.
    pub url: String,
    /// The CA certificate (PEM).
    pub ca_cert: PathBuf,
    /// The TSA certificate (PEM).
    pub tsa_cert: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl must be installed");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Makes a CA, a TSA certificate signed by it, and the `openssl ts` config in `dir`.
pub fn make_tsa_files(dir: &Path, cn: &str) {
    std::fs::create_dir_all(dir).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            &format!("/CN={cn} Test CA"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            &format!("/CN={cn} Test TSA"),
        ],
    );
    std::fs::write(
        dir.join("tsa.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.crt",
            "-days",
            "2",
            "-extfile",
            "tsa.ext",
        ],
    );
    std::fs::write(dir.join("tsaserial"), "01\n").unwrap();
    std::fs::write(
        dir.join("tsa.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = tsa_config1\n[ tsa_config1 ]\ndir = {}\nserial = $dir/tsaserial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.crt\ncerts = $dir/ca.crt\n\
             signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n\
             ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            dir.display()
        ),
    )
    .unwrap();
}

/// Starts the HTTP stand-in (a thread) serving `openssl ts -reply`.
pub fn start(dir: &Path) -> TestTsa {
    make_tsa_files(dir, "Qiantang");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let d = dir.to_path_buf();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let q = d.join(format!("q{n}.tsq"));
            let r = d.join(format!("r{n}.tsr"));
            std::fs::write(&q, &body).unwrap();
            let ok = Command::new("openssl")
                .current_dir(&d)
                .args(["ts", "-reply", "-config", "tsa.cnf", "-queryfile"])
                .arg(&q)
                .arg("-out")
                .arg(&r)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            let (status, resp) = match (ok, std::fs::read(&r)) {
                (true, Ok(b)) => ("200 OK", b),
                _ => (
                    "500 Internal Server Error",
                    b"openssl ts -reply failed".to_vec(),
                ),
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                resp.len()
            );
            let _ = conn.write_all(&resp);
        }
    });
    TestTsa {
        url: format!("http://127.0.0.1:{port}/tsa"),
        ca_cert: dir.join("ca.crt"),
        tsa_cert: dir.join("tsa.crt"),
    }
}
