//! Import through the application service: real novels, and bad files that
//! must leave the store unchanged.

use crate::{corpus, demo_org, fresh};
use qiantang_works::import::ImportOptions;
use qiantang_works::model::WorkScope;
use std::path::Path;

fn blob_count(dir: &Path) -> usize {
    fn walk(p: &Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&dir.join("blobs"))
}

#[test]
fn real_novels_import_with_the_right_chapter_counts_and_tag() {
    let (_dir, app) = fresh();
    let org = demo_org(&app);
    for (file, title, chapters) in [
        ("novels_zh/jigong_quanzhuan.txt", "济公全传", 240),
        (
            "novels_zh/xiyouji_journey_to_the_west.gb18030.txt",
            "西游记",
            101,
        ),
        (
            "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt",
            "喻世明言 卷二十八",
            1,
        ),
    ] {
        let bytes = std::fs::read(corpus(file)).unwrap();
        let r = app
            .catalog()
            .import_novel(&qiantang_app::catalog::ImportRequest {
                org,
                file_name: file,
                bytes: &bytes,
                title: Some(title),
                author: None,
                options: &ImportOptions::default(),
                dry_run: false,
                publish: false,
                actor: &qiantang_app::accounts::Actor::cli(),
            })
            .unwrap();
        assert_eq!(r.chapters.len(), chapters, "{file}");
        let id = r.work.unwrap();
        let w = app.catalog().work(id).unwrap().unwrap();
        assert_eq!(w.chapter_count as usize, chapters);
        // Each chapter's stored text hashes to its recorded SHA-256.
        let metas = app.catalog().chapters(id).unwrap();
        let (m, text) = app
            .catalog()
            .chapter(id, metas.len() as u32)
            .unwrap()
            .unwrap();
        assert_eq!(qiantang_works::model::sha256_hex(text.as_bytes()), m.sha256);
        assert_eq!(text.chars().count() as u64, m.char_count);
    }
    // 济公全传 is tagged with its core concepts.
    let works = app.catalog().list_works(&WorkScope::All).unwrap();
    let jigong = works.iter().find(|w| w.title == "济公全传").unwrap();
    let profile = app.catalog().profile(jigong.id).unwrap().unwrap();
    let found: Vec<&str> = profile.concepts.iter().map(|c| c.label.as_str()).collect();
    for want in ["济公", "灵隐寺", "临安", "西湖"] {
        assert!(
            found.contains(&want),
            "{want} missing from the profile: {found:?}"
        );
    }
    // 道济 is an alternative label of 济公: its occurrences count for the same concept.
    let kb = app.kb().view();
    let jg = profile.concepts.iter().find(|c| c.label == "济公").unwrap();
    let concept = kb.concepts.get(&jg.concept).unwrap();
    assert!(
        concept.labels.iter().any(|l| l.text == "道济"),
        "道济 should be a label of {}",
        concept.id
    );
}

#[test]
fn bad_files_give_clear_errors_and_leave_the_store_unchanged() {
    let (dir, app) = fresh();
    let org = demo_org(&app);
    // One good import first so "unchanged" is checked against a non-empty store.
    let good = std::fs::read(corpus("novels_zh/yushi_mingyan_28_liang_zhu_episode.txt")).unwrap();
    app.catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "good.txt",
            bytes: &good,
            title: Some("good"),
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap();
    let works_before = app.catalog().list_works(&WorkScope::All).unwrap();
    let blobs_before = blob_count(dir.path());

    let mut png = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    png.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    // Russian text in windows-1251 ("Привет, мир. "): a real single-byte
    // encoding that none of the supported Chinese encodings decodes.
    let unknown: Vec<u8> = [
        0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, 0x2C, 0x20, 0xEC, 0xE8, 0xF0, 0x2E, 0x20,
    ]
    .repeat(300);
    let no_headings = "　　话说南宋自南渡以来，迁都临安。\n　　这话李大人听见了。\n".repeat(50);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.txt", vec![], "empty"),
        ("image.txt", png, "not a text file"),
        ("unknown.txt", unknown, "encoding"),
        ("plain.txt", no_headings.into_bytes(), "no chapter headings"),
    ];
    for (name, bytes, needle) in cases {
        let err = app
            .catalog()
            .import_novel(&qiantang_app::catalog::ImportRequest {
                org,
                file_name: name,
                bytes: &bytes,
                title: Some("x"),
                author: None,
                options: &ImportOptions::default(),
                dry_run: false,
                publish: false,
                actor: &qiantang_app::accounts::Actor::cli(),
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "error should name the file: {err}");
        assert!(
            err.contains(needle),
            "error for {name} should say {needle:?}: {err}"
        );
        assert_eq!(
            app.catalog().list_works(&WorkScope::All).unwrap(),
            works_before,
            "{name} changed the works"
        );
        assert_eq!(
            blob_count(dir.path()),
            blobs_before,
            "{name} left blobs behind"
        );
    }
    // An invalid heading pattern is refused too.
    let err = app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "good.txt",
            bytes: &good,
            title: None,
            author: None,
            options: &ImportOptions {
                heading_pattern: Some("第(".into()),
            },
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("good.txt"), "{err}");
    assert_eq!(
        app.catalog().list_works(&WorkScope::All).unwrap(),
        works_before
    );
}

#[test]
fn dry_run_lists_chapters_and_writes_nothing() {
    let (dir, app) = fresh();
    let org = demo_org(&app);
    let bytes = std::fs::read(corpus("novels_zh/jigong_quanzhuan.txt")).unwrap();
    let r = app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "jigong.txt",
            bytes: &bytes,
            title: None,
            author: None,
            options: &ImportOptions::default(),
            dry_run: true,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap();
    assert_eq!(r.work, None);
    assert_eq!(r.chapters.len(), 240);
    assert!(r.chapters[0].1.starts_with("第一回"));
    assert!(app
        .catalog()
        .list_works(&WorkScope::All)
        .unwrap()
        .is_empty());
    assert_eq!(blob_count(dir.path()), 0);
}

#[test]
fn epub_imports_with_nav_titles() {
    let (_dir, app) = fresh();
    let org = demo_org(&app);
    let bytes = std::fs::read(corpus("samples/epub/alice.epub")).unwrap();
    let r = app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "alice.epub",
            bytes: &bytes,
            title: None,
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap();
    assert_eq!(r.encoding, "EPUB");
    assert!(r.chapters.len() >= 10, "{:?}", r.chapters);
    let broken = std::fs::read(corpus(
        "samples/epub-broken/ocf-zip-unreadable-no-end-header-fatal.epub",
    ))
    .unwrap();
    let before = app.catalog().list_works(&WorkScope::All).unwrap();
    assert!(app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "broken.epub",
            bytes: &broken,
            title: None,
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli()
        })
        .is_err());
    assert_eq!(app.catalog().list_works(&WorkScope::All).unwrap(), before);
}
