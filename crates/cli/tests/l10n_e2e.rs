//! Localization end to end through the binary (issue 4's "real input"):
//! the bundled first 10 chapters of 济公全传, a TM seeded from the Tatoeba
//! Chinese–English pairs (as TMX), pre-translation into en (US) and vi (VN)
//! through a local stand-in of an OpenAI-compatible chat-completions server,
//! zh-Hant-TW by OpenCC, QA, EPUB 3 checked by epubcheck, XLIFF round trip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::{ok_json, qt};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// A stand-in for an OpenAI-compatible server that behaves like a model
/// following its instructions: for every numbered segment it answers with
/// the required renderings of the terms listed in the system prompt that
/// occur in that segment (in source order), the segment's digits, and a
/// marker, as `{"translations":[{"id","text"}]}` in `choices[0].message`.
fn standin() -> (u16, Arc<AtomicUsize>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    std::thread::spawn(move || {
        for mut req in server.incoming_requests() {
            c.fetch_add(1, Ordering::SeqCst);
            let mut body = String::new();
            req.as_reader().read_to_string(&mut body).unwrap();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(req.url(), "/v1/chat/completions");
            let system = v["messages"][0]["content"].as_str().unwrap().to_string();
            let user: serde_json::Value =
                serde_json::from_str(v["messages"][1]["content"].as_str().unwrap()).unwrap();
            let terms: Vec<(String, String)> = system
                .lines()
                .filter_map(|l| l.strip_prefix("- "))
                .filter_map(|l| {
                    let (src, rest) = l.split_once(" → ")?;
                    let tgt = rest.split("; ").next()?;
                    Some((src.to_string(), tgt.to_string()))
                })
                .collect();
            let out: Vec<serde_json::Value> = user["segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let text = s["text"].as_str().unwrap_or("");
                    let mut found: Vec<(usize, &str)> = terms
                        .iter()
                        .filter_map(|(src, tgt)| text.find(src.as_str()).map(|i| (i, tgt.as_str())))
                        .collect();
                    found.sort();
                    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                    let mut t = format!("[mt {}]", text.chars().count());
                    for (_, tgt) in found {
                        t.push(' ');
                        t.push_str(tgt);
                    }
                    if !digits.is_empty() {
                        t.push(' ');
                        t.push_str(&digits);
                    }
                    t.push('.');
                    serde_json::json!({"id": s["id"], "src": qiantang_mt::echo_of(text), "text": t})
                })
                .collect();
            let content = serde_json::json!({"translations": out}).to_string();
            let reply = serde_json::json!({
                "id": "chatcmpl-standin", "object": "chat.completion", "model": v["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": system.len() / 4, "completion_tokens": content.len() / 4,
                    "total_tokens": (system.len() + content.len()) / 4},
            });
            let resp = tiny_http::Response::from_string(reply.to_string()).with_header(
                "Content-Type: application/json"
                    .parse::<tiny_http::Header>()
                    .unwrap(),
            );
            let _ = req.respond(resp);
        }
    });
    (port, calls)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Tatoeba TSV (eng, cmn, attribution) as a TMX 1.4b file.
fn tatoeba_tmx(path: &Path) -> usize {
    let tsv = std::fs::read_to_string(crate::corpus("parallel/tatoeba_cmn_eng_2000.tsv")).unwrap();
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\">\n<header creationtool=\"test\" creationtoolversion=\"1\" segtype=\"sentence\" o-tmf=\"tsv\" adminlang=\"en\" srclang=\"zh-Hans\" datatype=\"plaintext\"/>\n<body>\n",
    );
    let mut n = 0;
    for line in tsv.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 2 {
            continue;
        }
        x.push_str(&format!(
            "<tu><prop type=\"x-attribution\">{}</prop><tuv xml:lang=\"zh-Hans\"><seg>{}</seg></tuv><tuv xml:lang=\"en\"><seg>{}</seg></tuv></tu>\n",
            escape(cols.get(2).unwrap_or(&"")),
            escape(cols[1]),
            escape(cols[0])
        ));
        n += 1;
    }
    x.push_str("</body>\n</tmx>\n");
    std::fs::write(path, x).unwrap();
    n
}

fn xliff_targets(x: &str) -> Vec<String> {
    x.split("<target xml:space=\"preserve\">")
        .skip(1)
        .map(|t| t.split("</target>").next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn jigong_into_en_vi_and_zh_hant_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let (port, calls) = standin();
    let cfg = d.path().join("q.toml");
    std::fs::write(
        &cfg,
        format!(
            "[mt.standin]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmodel = \"standin-1\"\n"
        ),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut a = vec!["--config", cfg_s];
        a.extend_from_slice(args);
        qt(&data, &a)
    };
    let sample = repo("data/samples/jigong_quanzhuan_ch1-10.txt");
    let w = ok_json(run(&[
        "import",
        "novel",
        sample.to_str().unwrap(),
        "--title",
        "济公全传",
        "--json",
    ]));
    assert_eq!(w["chapter_count"], 10);
    let work = w["work"].as_i64().unwrap().to_string();

    // TM from Tatoeba, and a malformed TMX that imports nothing.
    let tmx = d.path().join("tatoeba.tmx");
    let n = tatoeba_tmx(&tmx);
    let v = ok_json(run(&["tm", "import", tmx.to_str().unwrap(), "--json"]));
    assert_eq!(v["units"].as_u64().unwrap() as usize, n);
    let size = v["tm_size"].as_u64().unwrap();
    assert!(size > 1900, "{v}");
    let bad = d.path().join("bad.tmx");
    let text = std::fs::read_to_string(&tmx).unwrap();
    std::fs::write(&bad, &text[..text.len() / 2]).unwrap();
    let o = run(&["tm", "import", bad.to_str().unwrap(), "--json"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.tmx"), "{err}");
    let v = ok_json(run(&["tm", "import", tmx.to_str().unwrap(), "--json"]));
    assert_eq!(
        v["added"], 0,
        "the failed import added nothing, the repeat nothing new"
    );
    assert_eq!(v["tm_size"].as_u64().unwrap(), size);

    // en for the US market.
    let p = ok_json(run(&[
        "l10n", "create", &work, "--locale", "en", "--market", "US", "--json",
    ]));
    let en = p["project"].as_i64().unwrap().to_string();
    assert!(p["segments"].as_u64().unwrap() > 500, "{p}");
    let r = ok_json(run(&[
        "l10n",
        "pretranslate",
        &en,
        "--chapters",
        "1-10",
        "--backend",
        "standin",
        "--json",
    ]));
    assert_eq!(r["state"], "done", "{r}");
    assert_eq!(r["segments"]["new"], 0, "{r}");
    assert!(
        r["mt_usage"][0]["requests"].as_u64().unwrap_or(0) > 0,
        "{r}"
    );
    let before = calls.load(Ordering::SeqCst);
    assert!(before > 0);
    let xlf = d.path().join("en.xlf");
    let o = run(&[
        "l10n",
        "export",
        &en,
        "--format",
        "xliff",
        "-o",
        xlf.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let x = std::fs::read_to_string(&xlf).unwrap();
    let targets = xliff_targets(&x);
    let glossed = targets
        .iter()
        .filter(|t| t.contains("Jigong (the mad monk of Hangzhou)"))
        .count();
    assert_eq!(glossed, 1, "US: gloss on the first occurrence only");
    assert!(targets.iter().filter(|t| t.contains("Jigong")).count() > 5);
    assert!(targets.iter().any(|t| t.contains("Lingyin Temple")));
    assert!(targets.iter().any(|t| t.contains("West Lake")));

    // vi for Vietnam: Hán-Việt forms.
    let vi = ok_json(run(&[
        "l10n", "create", &work, "--locale", "vi", "--market", "VN", "--json",
    ]))["project"]
        .as_i64()
        .unwrap()
        .to_string();
    let o = run(&[
        "l10n",
        "set",
        &vi,
        "--backend",
        "standin",
        "--tm-threshold",
        "80",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!run(&["l10n", "set", &vi, "--backend", "nope"])
        .status
        .success());
    let r = ok_json(run(&["l10n", "pretranslate", &vi, "--json"]));
    assert_eq!(r["state"], "done", "{r}");
    let xv = d.path().join("vi.xlf");
    assert!(run(&[
        "l10n",
        "export",
        &vi,
        "--format",
        "xliff",
        "-o",
        xv.to_str().unwrap()
    ])
    .status
    .success());
    let tv = xliff_targets(&std::fs::read_to_string(&xv).unwrap());
    for form in ["Tế Công", "chùa Linh Ẩn", "Tây Hồ"] {
        assert!(tv.iter().any(|t| t.contains(form)), "vi lacks {form}");
    }
    assert!(
        !tv.iter().any(|t| t.contains("the mad monk")),
        "no gloss for VN"
    );

    // Rerunning costs no further calls: every segment is filled, and the
    // cache answers identical requests.
    let r = ok_json(run(&[
        "l10n",
        "pretranslate",
        &en,
        "--backend",
        "standin",
        "--json",
    ]));
    assert_eq!(r["state"], "done");
    let after_vi = calls.load(Ordering::SeqCst);
    let r2 = ok_json(run(&[
        "l10n",
        "pretranslate",
        &en,
        "--backend",
        "standin",
        "--json",
    ]));
    assert_eq!(r2["state"], "done");
    assert_eq!(calls.load(Ordering::SeqCst), after_vi);

    // QA over the project.
    let qa = ok_json(run(&["l10n", "qa", &en, "--json"]));
    assert!(qa.is_array());

    // EPUB 3, checked by epubcheck.
    let epub = d.path().join("en.epub");
    let o = run(&[
        "l10n",
        "export",
        &en,
        "--format",
        "epub",
        "-o",
        epub.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Debian's /usr/bin/epubcheck is the jar itself (it runs only where
    // binfmt_misc executes jars), so run it through java when it is there.
    let jar = Path::new("/usr/share/java/epubcheck.jar");
    let check = if jar.exists() {
        std::process::Command::new("java")
            .arg("-jar")
            .arg(jar)
            .arg(&epub)
            .output()
    } else {
        std::process::Command::new("epubcheck").arg(&epub).output()
    }
    .expect("epubcheck must be installed (Debian package epubcheck)");
    assert!(
        check.status.success(),
        "epubcheck: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // XLIFF round trip: edit one target and add a note elsewhere, import.
    let first = targets[0].clone();
    let edited = x.replacen(
        &format!("<target xml:space=\"preserve\">{first}</target>"),
        "<target xml:space=\"preserve\">Edited in another CAT tool.</target>",
        1,
    );
    let xe = d.path().join("edited.xlf");
    std::fs::write(&xe, &edited).unwrap();
    let v = ok_json(run(&[
        "l10n",
        "import",
        &en,
        xe.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["updated"], 1, "{v}");
    let o = run(&[
        "l10n",
        "export",
        &en,
        "--format",
        "xliff",
        "-o",
        xlf.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let again = std::fs::read_to_string(&xlf).unwrap();
    assert!(again.contains("Edited in another CAT tool."));
    assert!(again.contains("subState=\"qiantang:draft\""));
    // A file for another project's segments is refused whole.
    let foreign = edited.replace(
        "srcLang=\"zh-Hans\" trgLang=\"en\"",
        "srcLang=\"zh-Hans\" trgLang=\"vi\"",
    );
    std::fs::write(&xe, foreign).unwrap();
    let o = run(&["l10n", "import", &en, xe.to_str().unwrap()]);
    assert!(!o.status.success());

    // Traditional Chinese for Taiwan: OpenCC, no MT call.
    let tw = ok_json(run(&[
        "l10n",
        "create",
        &work,
        "--locale",
        "zh-Hant-TW",
        "--market",
        "TW",
        "--json",
    ]))["project"]
        .as_i64()
        .unwrap()
        .to_string();
    let calls_before = calls.load(Ordering::SeqCst);
    let r = ok_json(run(&["l10n", "pretranslate", &tw, "--json"]));
    assert_eq!(r["state"], "done", "{r}");
    assert_eq!(r["segments"]["new"], 0);
    assert_eq!(calls.load(Ordering::SeqCst), calls_before);
    let xt = d.path().join("tw.xlf");
    assert!(run(&[
        "l10n",
        "export",
        &tw,
        "--format",
        "xliff",
        "-o",
        xt.to_str().unwrap()
    ])
    .status
    .success());
    let tt = xliff_targets(&std::fs::read_to_string(&xt).unwrap()).join("");
    assert!(tt.contains("濟公"), "Traditional 濟");
    assert!(!tt.contains("济公"));
}
