//! EPUB 3 output, validated with epubcheck.

use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;

use qiantang_l10n::epub::{write_epub, EpubChapter, EpubError, EpubMeta};

fn meta() -> EpubMeta {
    EpubMeta {
        title: "The Complete Tales of Jigong".into(),
        language: "en".into(),
        creator: Some("Guo Xiaoting".into()),
        identifier: "urn:qiantang:test:jigong-en".into(),
        modified: "2026-11-30T12:00:00Z".into(),
        source_title: Some("济公全传".into()),
    }
}

/// Chapters 1–3 of 济公全传 (source text is enough for the structure), one
/// footnote in chapter 1 referenced twice, and text that needs escaping.
fn chapters() -> Vec<EpubChapter> {
    crate::jigong()
        .into_iter()
        .take(3)
        .enumerate()
        .map(|(i, ch)| {
            let mut paragraphs: Vec<String> = ch
                .text
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            let mut footnotes = Vec::new();
            if i == 0 {
                paragraphs[0].push_str("[^fn-person.jigong]");
                paragraphs
                    .push("Jigong[^fn-person.jigong] <said> \"A & B\" [^not a marker]".into());
                footnotes.push((
                    "fn-person.jigong".to_string(),
                    "Jigong: the mad monk of Hangzhou".to_string(),
                ));
            }
            EpubChapter {
                title: ch.title.clone(),
                paragraphs,
                footnotes,
            }
        })
        .collect()
}

/// How to run epubcheck: Debian's package installs the jar at
/// /usr/share/java/epubcheck.jar and links /usr/bin/epubcheck to it (which
/// only runs where binfmt_misc handles jars), so prefer `java -jar`.
fn epubcheck() -> Command {
    let jar = Path::new("/usr/share/java/epubcheck.jar");
    if jar.exists() {
        let mut c = Command::new("java");
        c.arg("-jar").arg(jar);
        return c;
    }
    let on_path = Command::new("epubcheck").arg("--version").output();
    match on_path {
        Ok(_) => Command::new("epubcheck"),
        Err(e) => panic!(
            "epubcheck is not installed ({e}); install it (Debian: apt-get install epubcheck) — \
             the EPUB test does not skip"
        ),
    }
}

#[test]
fn chapters_1_to_3_pass_epubcheck() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jigong-en.epub");
    let file = std::fs::File::create(&path).unwrap();
    write_epub(&meta(), &chapters(), file).unwrap();

    // mimetype first and stored.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    {
        let mut first = zip.by_index(0).unwrap();
        assert_eq!(first.name(), "mimetype");
        assert_eq!(first.compression(), zip::CompressionMethod::Stored);
        let mut s = String::new();
        first.read_to_string(&mut s).unwrap();
        assert_eq!(s, "application/epub+zip");
    }
    let mut ch1 = String::new();
    zip.by_name("EPUB/ch001.xhtml")
        .unwrap()
        .read_to_string(&mut ch1)
        .unwrap();
    assert!(ch1.contains(r##"<sup><a epub:type="noteref" href="#fn-person.jigong" id="ref-fn-person.jigong">1</a></sup>"##));
    assert!(ch1.contains(r#"<aside epub:type="footnote" id="fn-person.jigong">"#));
    assert!(ch1.contains("&lt;said&gt; &quot;A &amp; B&quot; [^not a marker]"));
    let mut opf = String::new();
    zip.by_name("EPUB/package.opf")
        .unwrap()
        .read_to_string(&mut opf)
        .unwrap();
    assert!(opf.contains("<meta property=\"dcterms:modified\">2026-11-30T12:00:00Z</meta>"));
    assert!(opf.contains("<dc:source>济公全传</dc:source>"));

    let out = epubcheck().arg(&path).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "epubcheck failed:\n{text}");
    assert!(
        text.contains("No errors or warnings detected"),
        "epubcheck reported problems:\n{text}"
    );
}

#[test]
fn bad_input_is_refused_before_writing() {
    let write = |m: &EpubMeta, c: &[EpubChapter]| write_epub(m, c, Cursor::new(Vec::new()));
    let ch = |paragraph: &str, notes: &[(&str, &str)]| EpubChapter {
        title: "One".into(),
        paragraphs: vec![paragraph.into()],
        footnotes: notes
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    };
    assert!(matches!(write(&meta(), &[]), Err(EpubError::NoChapters)));
    let mut m = meta();
    m.language = "en_US".into();
    assert!(matches!(
        write(&m, &[ch("x", &[])]),
        Err(EpubError::Meta(_))
    ));
    let mut m = meta();
    m.modified = "2026-11-30".into();
    assert!(matches!(
        write(&m, &[ch("x", &[])]),
        Err(EpubError::Meta(_))
    ));
    assert!(matches!(
        write(&meta(), &[ch("x[^n1]", &[])]),
        Err(EpubError::UnknownFootnote { chapter: 1, .. })
    ));
    assert!(matches!(
        write(&meta(), &[ch("x", &[("n1", "a"), ("n1", "b")])]),
        Err(EpubError::FootnoteId { .. })
    ));
    assert!(matches!(
        write(&meta(), &[ch("x", &[("1n", "a")])]),
        Err(EpubError::FootnoteId { .. })
    ));
    assert!(write(&meta(), &[ch("x[^n1]", &[("n1", "a")])]).is_ok());
}
