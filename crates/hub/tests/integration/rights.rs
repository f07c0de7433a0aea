//! Licences over the API and pages, and the piracy check on the real corpus.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use qiantang_app::accounts::Actor;
use qiantang_auth::Role;
use qiantang_hub::{router, HubConfig};
use qiantang_works::import::ImportOptions;
use qiantang_works::model::WorkScope;

use crate::{call, fresh, get_as, json, token};

fn post_json(uri: &str, t: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licences_are_granted_refused_flagged_revoked_and_mapped() {
    let (dir, app) = fresh();
    let a = app
        .accounts()
        .create_org("alpha", &Actor::cli())
        .unwrap()
        .id;
    let b = app.accounts().create_org("beta", &Actor::cli()).unwrap().id;
    let text = std::fs::read(crate::corpus(
        "novels_zh/yushi_mingyan_28_liang_zhu_episode.txt",
    ))
    .unwrap();
    let w = app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org: a,
            file_name: "lz.txt",
            bytes: &text,
            title: Some("梁祝"),
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap()
        .work
        .unwrap();
    app.stores_for_tests().works.set_published(w, true).unwrap();
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let owner = token(&app, a, Role::Owner);
    let editor = token(&app, a, Role::Editor);
    let viewer = token(&app, a, Role::Viewer);
    let other = token(&app, b, Role::Owner);
    let url = format!("/api/v1/works/{w}/licences");
    let tor = serde_json::json!({"licensee": "Tor", "territories": ["US,CA"], "languages": ["en"],
        "media": ["text", "audio"], "exclusive": true, "start": "2027-01-01", "end": "2029-12-31"});
    let (s, body) = call(&r, post_json(&url, &owner, tor)).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let first = json(&body);
    assert_eq!(first["territories"], serde_json::json!(["CA", "US"]));
    assert_eq!(first["flagged"], false);
    // An overlapping worldwide grant is refused with the precise overlap.
    let ww = serde_json::json!({"licensee": "Webnovel", "territories": ["WW"], "languages": ["*"],
        "media": ["text"], "start": "2029-01-01"});
    let (s, body) = call(&r, post_json(&url, &editor, ww.clone())).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let refusal = json(&body);
    assert_eq!(refusal["error"]["code"], "licence_conflict");
    assert_eq!(refusal["conflicts"][0]["grant"], first["id"]);
    assert_eq!(
        refusal["conflicts"][0]["territories"],
        serde_json::json!(["CA", "US"])
    );
    assert_eq!(
        refusal["conflicts"][0]["media"],
        serde_json::json!(["text"])
    );
    assert_eq!(refusal["conflicts"][0]["from"], "2029-01-01");
    assert_eq!(refusal["conflicts"][0]["to"], "2029-12-31");
    // Invalid input is a 400 naming the problem.
    let mut bad = ww.clone();
    bad["territories"] = serde_json::json!(["XX"]);
    let (s, body) = call(&r, post_json(&url, &owner, bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("XX"));
    // force_flag records it flagged.
    let mut forced = ww;
    forced["force_flag"] = serde_json::json!(true);
    let (s, body) = call(&r, post_json(&url, &owner, forced)).await;
    assert_eq!(s, StatusCode::CREATED);
    let flagged = json(&body);
    assert_eq!(flagged["flagged"], true);
    // Members see the list and the map; a viewer may not grant; others see nothing.
    let (s, body) = call(&r, get_as(&url, Some(&viewer))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body).as_array().unwrap().len(), 2);
    let (s, body) = call(
        &r,
        get_as(&format!("/api/v1/works/{w}/rights-map"), Some(&viewer)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let map = json(&body);
    let cells = map["cells"].as_array().unwrap();
    assert!(cells.iter().any(|c| c["medium"] == "audio"
        && c["territory"] == "US"
        && c["holders"][0]["licensee"] == "Tor"));
    assert!(cells
        .iter()
        .any(|c| c["territory"] == "WW" && c["holders"][0]["flagged"] == true));
    let (s, _) = call(&r, post_json(&url, &viewer, serde_json::json!({}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for t in [Some(other.as_str()), None] {
        let (s, body) = call(&r, get_as(&url, t)).await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED,
            "{s}"
        );
        assert!(!String::from_utf8_lossy(&body).contains("Tor"));
        let (s, _) = call(&r, get_as(&format!("/works/{w}/rights"), t)).await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::SEE_OTHER,
            "{s}"
        );
    }
    // Revoke frees the cell: the worldwide grant now passes without force.
    let id = first["id"].as_i64().unwrap();
    let (s, body) = call(
        &r,
        post_json(&format!("{url}/{id}/revoke"), &owner, serde_json::json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["status"], "revoked");
    let (s, _) = call(
        &r,
        post_json(&format!("{url}/9999/revoke"), &owner, serde_json::json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let again = serde_json::json!({"licensee": "Audible", "territories": ["US"], "languages": ["en"],
        "media": ["audio"], "start": "2027-01-01", "exclusive": true});
    let (s, _) = call(&r, post_json(&url, &owner, again)).await;
    assert_eq!(s, StatusCode::CREATED);
    // The page shows the map to members.
    let (s, body) = call(
        &r,
        get_as(&format!("/works/{w}/rights?lang=en"), Some(&viewer)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("Rights map")
            && page.contains("Audible")
            && !page.contains("Grant a licence")
    );
    // Audit: grant, flag, revoke.
    let audit = app.accounts().list_audit(Some(a), None, 100).unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for want in ["licence_granted", "licence_flagged", "licence_revoked"] {
        assert!(actions.contains(&want), "{actions:?}");
    }
}

/// Simplified → Traditional with the OpenCC table of the fingerprint crate (first candidate).
fn to_traditional(text: &str) -> String {
    let table = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fingerprint/data/STCharacters.txt"),
    )
    .unwrap();
    let map: std::collections::HashMap<char, char> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (s, t) = l.split_once('\t')?;
            Some((s.chars().next()?, t.split(' ').next()?.chars().next()?))
        })
        .collect();
    text.chars().map(|c| *map.get(&c).unwrap_or(&c)).collect()
}

/// Reordered sentences, changed punctuation, ad lines, Traditional characters.
fn pirate(text: &str) -> String {
    let mut out = String::new();
    for (i, para) in text.lines().enumerate() {
        let mut sentences: Vec<String> = para
            .split_inclusive(['。', '！', '？'])
            .map(str::to_string)
            .collect();
        for pair in sentences.chunks_mut(2) {
            pair.reverse();
        }
        let line: String = sentences
            .concat()
            .replace('，', ", ")
            .replace('。', "! ")
            .replace('“', "「")
            .replace('”', "」");
        out.push_str(&line);
        out.push('\n');
        if i % 3 == 2 {
            out.push_str("最新章节请上 www.xxx.com 免费阅读\n");
        }
    }
    to_traditional(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piracy_check_finds_exact_and_edited_chapters_of_the_real_corpus() {
    let (dir, app) = fresh();
    let org = app.accounts().org_named("demo").unwrap().id;
    let novel = std::fs::read(crate::corpus("novels_zh/jigong_quanzhuan.txt")).unwrap();
    let w = app
        .catalog()
        .import_novel(&qiantang_app::catalog::ImportRequest {
            org,
            file_name: "jigong_quanzhuan.txt",
            bytes: &novel,
            title: None,
            author: None,
            options: &ImportOptions::default(),
            dry_run: false,
            publish: false,
            actor: &qiantang_app::accounts::Actor::cli(),
        })
        .unwrap()
        .work
        .unwrap();
    let chapters = app.catalog().chapters(w).unwrap();
    assert!(chapters.len() > 100);
    assert_eq!(
        app.stores_for_tests()
            .fingerprints
            .list_fingerprints()
            .unwrap()
            .len(),
        chapters.len()
    );
    let (_, ch) = app.catalog().chapter(w, 57).unwrap().unwrap();
    let all = WorkScope::All;
    // (a) The exact chapter.
    let r = app
        .piracy()
        .piracy_check("a.txt", ch.as_bytes(), None, &all)
        .unwrap();
    assert_eq!(r.segments.len(), 1);
    let m = &r.segments[0].matches[0];
    assert_eq!((m.work, m.chapter), (w, 57));
    assert!(m.similarity > 0.95, "{}", m.similarity);
    assert_eq!(m.org_name, "demo");
    assert_eq!(m.chapter_title, chapters[56].title);
    // (b) Reordered sentences, punctuation, ads, Traditional characters.
    let edited = pirate(&ch);
    assert_ne!(edited, ch);
    assert!(
        edited.contains("www.xxx.com") && edited.contains('說'),
        "not converted"
    );
    let r = app
        .piracy()
        .piracy_check("b.txt", edited.as_bytes(), None, &all)
        .unwrap();
    let m = &r.segments[0].matches[0];
    assert_eq!((m.work, m.chapter), (w, 57), "{:?}", r.segments[0].matches);
    assert!(m.similarity >= 0.3, "{}", m.similarity);
    // (c) An unrelated text: a chapter of 西游记 (GB18030).
    let xyj = std::fs::read(crate::corpus(
        "novels_zh/xiyouji_journey_to_the_west.gb18030.txt",
    ))
    .unwrap();
    let parsed =
        qiantang_works::import::parse_novel("xyj.txt", &xyj, &ImportOptions::default()).unwrap();
    let other = &parsed.chapters[9].text;
    let r = app
        .piracy()
        .piracy_check("c.txt", other.as_bytes(), None, &all)
        .unwrap();
    assert!(
        r.segments[0].matches.is_empty(),
        "{:?}",
        r.segments[0].matches
    );
    // A pasted excerpt of two chapters with headings is split and each found.
    let (_, ch58) = app.catalog().chapter(w, 58).unwrap().unwrap();
    let two = format!(
        "{}\n{}\n{}\n{}\n",
        chapters[56].title, edited, chapters[57].title, ch58
    );
    let r = app
        .piracy()
        .piracy_check("two.txt", two.as_bytes(), None, &all)
        .unwrap();
    assert_eq!(r.segments.len(), 2);
    assert_eq!(r.segments[0].matches[0].chapter, 57);
    assert_eq!(r.segments[1].matches[0].chapter, 58);

    // Over the API: only works the caller may read (plus published ones).
    let other_org = app
        .accounts()
        .create_org("other", &Actor::cli())
        .unwrap()
        .id;
    let r = router(app.clone(), HubConfig::new(dir.path().to_path_buf()));
    let check = |t: String| {
        Request::post("/api/v1/piracy/check")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Body::from(edited.clone()))
            .unwrap()
    };
    let (s, body) = call(&r, check(token(&app, org, Role::Viewer))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let v = json(&body);
    assert_eq!(v["segments"][0]["matches"][0]["chapter"], 57);
    assert_eq!(v["segments"][0]["matches"][0]["work"], w);
    assert!(v["segments"][0]["matches"][0]["evidence"]["imported"].is_string());
    let (_, body) = call(&r, check(token(&app, other_org, Role::Viewer))).await;
    assert!(
        json(&body)["segments"][0]["matches"]
            .as_array()
            .unwrap()
            .is_empty(),
        "unpublished work leaked"
    );
    app.stores_for_tests().works.set_published(w, true).unwrap();
    let (_, body) = call(&r, check(token(&app, other_org, Role::Viewer))).await;
    assert_eq!(json(&body)["segments"][0]["matches"][0]["chapter"], 57);
    let (s, _) = call(
        &r,
        Request::post("/api/v1/piracy/check")
            .body(Body::from("x"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A deleted work disappears from the index; a work without fingerprints is backfilled.
    app.stores_for_tests()
        .fingerprints
        .put_fingerprints(w, &[])
        .unwrap();
    app.piracy().invalidate_piracy_index();
    let r = app
        .piracy()
        .piracy_check("a.txt", ch.as_bytes(), None, &all)
        .unwrap();
    assert_eq!(
        r.segments[0].matches[0].chapter, 57,
        "fingerprints were not backfilled"
    );
    assert_eq!(
        app.stores_for_tests()
            .fingerprints
            .list_fingerprints()
            .unwrap()
            .len(),
        chapters.len()
    );
    app.stores_for_tests().works.delete_work(w).unwrap();
    app.piracy().invalidate_piracy_index();
    let r = app
        .piracy()
        .piracy_check("a.txt", ch.as_bytes(), None, &all)
        .unwrap();
    assert!(r.segments[0].matches.is_empty());
}
