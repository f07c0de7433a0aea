use qiantang_l10n::epub::{write_epub, EpubChapter, EpubError, EpubMeta};
use std::process::Command;

fn meta() -> EpubMeta {
    EpubMeta {
        title: "济公全传".into(),
        language: "zh-Hans".into(),
        creator: "郭小亭 & Qiantang".into(),
        identifier: "urn:qiantang:project:1".into(),
        modified: "2025-01-02T03:04:05Z".into(),
    }
}

/// Runs epubcheck (Debian's `epubcheck` package); fails, does not skip,
/// when it is missing. Debian's `/usr/bin/epubcheck` is a link to the jar,
/// which needs binfmt support to execute, so a jar is run with `java -jar`.
fn epubcheck(path: &std::path::Path) {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("epubcheck"))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("epubcheck is not installed; install it: apt-get install epubcheck")
        });
    let real = std::fs::canonicalize(&found).unwrap_or(found);
    let mut cmd = if real.extension().is_some_and(|e| e == "jar") {
        let mut c = Command::new("java");
        c.arg("-jar").arg(&real);
        c
    } else {
        Command::new(&real)
    };
    let out = cmd.arg(path).output().unwrap_or_else(|e| {
        panic!("epubcheck could not run ({e}); install it: apt-get install epubcheck")
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "epubcheck failed:\n{text}");
    for bad in ["ERROR", "WARNING", "FATAL"] {
        assert!(
            !text.lines().any(|l| l.starts_with(bad)),
            "epubcheck reported {bad}:\n{text}"
        );
    }
    assert!(text.contains("No errors or warnings detected"), "{text}");
}

#[test]
fn chapters_1_to_3_pass_epubcheck() {
    let chapters: Vec<EpubChapter> = crate::jigong()
        .iter()
        .take(3)
        .map(|ch| {
            let mut paragraphs: Vec<String> = ch
                .text
                .split('\n')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            paragraphs[0].push_str("[[note:n1]]");
            EpubChapter {
                title: ch.title.clone(),
                paragraphs,
                footnotes: vec![("n1".into(), "A note with <markup> & \"quotes\".".into())],
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jigong.epub");
    write_epub(&meta(), &chapters, std::fs::File::create(&path).unwrap()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // mimetype first and stored: its name and content at fixed offsets.
    assert_eq!(&bytes[30..38], b"mimetype");
    assert_eq!(&bytes[38..58], b"application/epub+zip");
    epubcheck(&path);
}

#[test]
fn bad_metadata_and_ids_are_refused() {
    let mut m = meta();
    m.modified = "2025-01-02 03:04".into();
    let mut buf = std::io::Cursor::new(Vec::new());
    assert!(matches!(
        write_epub(&m, &[], &mut buf),
        Err(EpubError::Meta(_))
    ));
    let ch = EpubChapter {
        title: "t".into(),
        paragraphs: vec!["p".into()],
        footnotes: vec![("1bad".into(), "x".into())],
    };
    let mut buf = std::io::Cursor::new(Vec::new());
    assert!(matches!(
        write_epub(&meta(), &[ch], &mut buf),
        Err(EpubError::FootnoteId { .. })
    ));
}
