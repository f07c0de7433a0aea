//! Store conformance suite: every backend must pass every test here. Each
//! test runs over every [`Fixture`] that `backends()` returns: SQLite always,
//! and PostgreSQL when `QIANTANG_TEST_DATABASE_URL` is set (each fixture gets
//! a fresh schema of its own, so tests run in parallel). With `CI` set and no
//! `QIANTANG_TEST_DATABASE_URL`, every test fails rather than silently
//! skipping PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use qiantang_auth::{AuditEntry, AuthStore, Role, Session};
use qiantang_kb::{
    Concept, KbStore, Label, LabelKind, Market, ProposalStatus, Rendering, Status, StoreError,
    Strategy,
};
use qiantang_l10n::model::*;
use qiantang_l10n::L10nStore;
use qiantang_rights::{
    Day, GrantOutcome, GrantStatus, Language, Medium, NewGrant, OnConflict, Region, RightsStore,
};
use qiantang_works::model::{NewChapter, NewWork, StoredOccurrence, WorkScope};
use qiantang_works::{ChapterFingerprint, FingerprintStore, WorkStore};

trait Backend: KbStore + WorkStore + AuthStore + L10nStore + RightsStore + FingerprintStore {}
impl<T: KbStore + WorkStore + AuthStore + L10nStore + RightsStore + FingerprintStore> Backend
    for T
{
}

/// One backend under test, over its own data dir (blobs) and database.
struct Fixture {
    name: &'static str,
    // Field order is drop order: the store closes before the schema is dropped.
    store: Box<dyn Backend>,
    db: Db,
    dir: tempfile::TempDir,
}

enum Db {
    Sqlite,
    Postgres {
        /// URL of the fixture's own schema (`options=-csearch_path%3D…`).
        url: String,
        _schema: SchemaGuard,
    },
}

/// Drops the fixture's PostgreSQL schema at the end of the test.
struct SchemaGuard {
    admin_url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

impl std::ops::Deref for Fixture {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

impl Fixture {
    /// Opens a second store over the same data (as a restart would) and
    /// returns it with its schema version.
    fn reopen(&self) -> (Box<dyn Backend>, u32) {
        match &self.db {
            Db::Sqlite => {
                let s = qiantang_store::SqliteStore::open(self.dir.path()).unwrap();
                let v = s.schema_version().unwrap();
                (Box::new(s), v)
            }
            Db::Postgres { url, .. } => {
                let s = qiantang_store::PostgresStore::open(url, self.dir.path()).unwrap();
                let v = s.schema_version().unwrap();
                (Box::new(s), v)
            }
        }
    }

    /// Runs one SQL statement on a connection of its own, bypassing the store.
    fn raw_execute(&self, sql: &str) -> Result<u64, String> {
        match &self.db {
            Db::Sqlite => {
                let c = rusqlite::Connection::open(self.dir.path().join("qiantang.sqlite3"))
                    .map_err(|e| e.to_string())?;
                c.execute(sql, [])
                    .map(|n| n as u64)
                    .map_err(|e| e.to_string())
            }
            Db::Postgres { url, .. } => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
                c.execute(sql, &[]).map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_string())
                        .unwrap_or_else(|| e.to_string())
                })
            }
        }
    }
}

fn sqlite_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let s = qiantang_store::SqliteStore::open(dir.path()).unwrap();
    Fixture {
        name: "sqlite",
        store: Box::new(s),
        db: Db::Sqlite,
        dir,
    }
}

/// The PostgreSQL server under test, if any. Panics in CI without one.
fn postgres_url() -> Option<String> {
    match std::env::var("QIANTANG_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
            assert!(
                !ci,
                "CI is set but QIANTANG_TEST_DATABASE_URL is not: the PostgreSQL backend must be tested in CI"
            );
            None
        }
    }
}

/// `url` with the connection option `search_path=schema` added.
fn url_with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// Creates a uniquely named, empty schema and returns (its URL, its guard).
fn fresh_schema(admin_url: &str) -> (String, SchemaGuard) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "qt_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(admin_url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to QIANTANG_TEST_DATABASE_URL: {e}"));
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let guard = SchemaGuard {
        admin_url: admin_url.to_string(),
        schema: schema.clone(),
    };
    (url_with_schema(admin_url, &schema), guard)
}

fn postgres_fixture(admin_url: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (url, guard) = fresh_schema(admin_url);
    let s = qiantang_store::PostgresStore::open(&url, dir.path()).unwrap();
    Fixture {
        name: "postgres",
        store: Box::new(s),
        db: Db::Postgres {
            url,
            _schema: guard,
        },
        dir,
    }
}

/// Every backend available in this run, each over fresh, empty storage.
fn backends() -> Vec<Fixture> {
    let mut v = vec![sqlite_fixture()];
    if let Some(url) = postgres_url() {
        v.push(postgres_fixture(&url));
    }
    v
}

fn concept(id: &str, zh: &str, broader: &[&str]) -> Concept {
    Concept {
        id: id.into(),
        category: "place".into(),
        labels: vec![
            Label {
                lang: "zh-Hans".into(),
                text: zh.into(),
                kind: LabelKind::Pref,
            },
            Label {
                lang: "en".into(),
                text: format!("{id} EN"),
                kind: LabelKind::Pref,
            },
            Label {
                lang: "en".into(),
                text: format!("{id} alt_%"),
                kind: LabelKind::Alt,
            },
        ],
        definition: [("en".to_string(), format!("About {id}."))].into(),
        broader: broader.iter().map(|s| s.to_string()).collect(),
        regions: vec!["CN-ZJ".into()],
        heritage: None,
        provenance: Default::default(),
    }
}

fn work(org: i64, title: &str, n: u32) -> NewWork {
    NewWork {
        occurrences: None,
        org,
        title: title.into(),
        author: Some("佚名".into()),
        language: "zh-Hans".into(),
        source_name: "x.txt".into(),
        source_encoding: "UTF-8".into(),
        chapters: (1..=n)
            .map(|i| NewChapter {
                number: i,
                title: format!("第{i}回"),
                text: format!("正文{i}，西湖。\n第二段。"),
            })
            .collect(),
    }
}

#[test]
fn concepts_put_get_search_history_delete() {
    for s in backends() {
        let name = s.name;
        s.put_concepts(
            &[
                concept("place.west-lake", "西湖", &[]),
                concept("place.su-causeway", "苏堤", &["place.west-lake"]),
            ],
            "seed",
            1,
        )
        .unwrap();
        assert_eq!(s.count_concepts().unwrap(), 2, "{name}");
        assert_eq!(
            s.get_concept("place.su-causeway").unwrap().unwrap().broader,
            vec!["place.west-lake"],
            "{name}"
        );
        assert!(s.get_concept("nope").unwrap().is_none());
        // Search by zh label, by English (case-insensitive), by id; LIKE wildcards are literal.
        assert_eq!(
            s.search_concepts("苏堤", 10).unwrap()[0].id,
            "place.su-causeway"
        );
        assert_eq!(
            s.search_concepts("WEST-LAKE en", 10).unwrap()[0].id,
            "place.west-lake"
        );
        assert_eq!(s.search_concepts("alt_%", 10).unwrap().len(), 2);
        assert!(s.search_concepts("x%y", 10).unwrap().is_empty());
        assert!(s.search_concepts("   ", 10).unwrap().is_empty());
        // Unchanged put records no revision; a change does.
        s.put_concepts(&[concept("place.west-lake", "西湖", &[])], "again", 2)
            .unwrap();
        assert_eq!(
            s.concept_history("place.west-lake").unwrap().len(),
            1,
            "{name}"
        );
        let mut c = concept("place.west-lake", "西湖", &[]);
        c.provenance.status = Status::Reviewed;
        s.put_concepts(&[c], "editor", 3).unwrap();
        let h = s.concept_history("place.west-lake").unwrap();
        assert_eq!(
            (h.len(), h[0].revision, h[0].actor.as_str(), h[0].at_ms),
            (2, 2, "editor", 3)
        );
        assert!(s.delete_concept("place.su-causeway").unwrap());
        assert!(!s.delete_concept("place.su-causeway").unwrap());
        assert_eq!(s.list_concepts().unwrap().len(), 1);
    }
}

#[test]
fn renderings_and_markets() {
    for s in backends() {
        let name = s.name;
        s.put_concepts(&[concept("wuxia.jianghu", "江湖", &[])], "seed", 1)
            .unwrap();
        let r = |lang: &str, market: Option<&str>, text: &str| Rendering {
            concept: "wuxia.jianghu".into(),
            lang: lang.into(),
            market: market.map(str::to_string),
            strategy: Strategy::TransliterateGloss,
            text: text.into(),
            gloss: Some("the martial world".into()),
            status: Status::Draft,
        };
        s.put_renderings(&[
            r("en", None, "jianghu"),
            r("en", Some("US"), "jianghu US"),
            r("vi", None, "giang hồ"),
        ])
        .unwrap();
        s.put_renderings(&[r("en", None, "jianghu!")]).unwrap();
        let all = s.list_renderings(Some("wuxia.jianghu")).unwrap();
        assert_eq!(all.len(), 3, "{name}");
        assert!(all
            .iter()
            .any(|x| x.text == "jianghu!" && x.market.is_none()));
        // A rendering of an unknown concept is refused and nothing is written.
        let bad = Rendering {
            concept: "nope".into(),
            ..r("en", None, "x")
        };
        assert!(matches!(
            s.put_renderings(&[r("fr", None, "jianghu"), bad]),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            s.list_renderings(None).unwrap().len(),
            3,
            "{name}: failed put wrote something"
        );
        // Deleting the concept removes its renderings.
        s.delete_concept("wuxia.jianghu").unwrap();
        assert!(s.list_renderings(None).unwrap().is_empty());
        let m = Market {
            region: "VN".into(),
            name: "Vietnam".into(),
            languages: vec!["vi-VN".into()],
            context: qiantang_kb::ContextClass::High,
            proximity: qiantang_kb::Proximity::Close,
            note: String::new(),
        };
        s.put_markets(std::slice::from_ref(&m)).unwrap();
        assert_eq!(s.list_markets().unwrap(), vec![m]);
    }
}

#[test]
fn works_chapters_occurrences() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let a = s.create_work(&work(org, "甲", 3), 10).unwrap();
        let b = s.create_work(&work(org, "乙", 1), 11).unwrap();
        let list = s.list_works(&WorkScope::All).unwrap();
        assert_eq!(
            list.iter().map(|w| w.id).collect::<Vec<_>>(),
            vec![b, a],
            "{name}: newest first"
        );
        let w = s.get_work(a).unwrap().unwrap();
        assert_eq!(
            (w.chapter_count, w.created_ms, w.org, w.published),
            (3, 10, org, false)
        );
        assert_eq!(
            (
                w.title.as_str(),
                w.author.as_deref(),
                w.source_encoding.as_str()
            ),
            ("甲", Some("佚名"), "UTF-8")
        );
        assert_eq!(
            w.char_count,
            work(org, "甲", 3)
                .chapters
                .iter()
                .map(|c| c.char_count())
                .sum::<u64>()
        );
        let chapters = s.list_chapters(a).unwrap();
        assert_eq!(chapters.len(), 3);
        let (meta, text) = s.get_chapter(a, 2).unwrap().unwrap();
        assert_eq!(text, "正文2，西湖。\n第二段。");
        assert_eq!(
            meta.sha256,
            qiantang_works::model::sha256_hex(text.as_bytes())
        );
        assert!(s.get_chapter(a, 9).unwrap().is_none());
        // Never tagged → no profile; tagged with nothing → empty profile.
        assert!(s.concept_counts(a).unwrap().is_none());
        let occ = |ch: u32, start: u32, c: &str| StoredOccurrence {
            chapter: ch,
            start,
            len: 2,
            concept: c.into(),
        };
        s.replace_occurrences(
            a,
            &[
                occ(1, 3, "place.west-lake"),
                occ(2, 3, "place.west-lake"),
                occ(2, 0, "x.other"),
            ],
            20,
        )
        .unwrap();
        let counts = s.concept_counts(a).unwrap().unwrap();
        assert_eq!(
            (
                counts[0].concept.as_str(),
                counts[0].count,
                counts[0].chapters
            ),
            ("place.west-lake", 2, 2)
        );
        assert_eq!(
            s.chapter_occurrences(a, 2)
                .unwrap()
                .iter()
                .map(|o| o.start)
                .collect::<Vec<_>>(),
            vec![0, 3]
        );
        s.replace_occurrences(b, &[occ(1, 3, "place.west-lake")], 21)
            .unwrap();
        let uses = s.concept_uses("place.west-lake", &WorkScope::All).unwrap();
        assert_eq!(
            uses.iter()
                .map(|u| (u.work, u.title.as_str(), u.count, u.first_chapter))
                .collect::<Vec<_>>(),
            vec![(a, "甲", 2, 1), (b, "乙", 1, 1)],
            "{name}"
        );
        // Replace is a replacement.
        s.replace_occurrences(a, &[], 22).unwrap();
        assert_eq!(s.concept_counts(a).unwrap().unwrap().len(), 0);
        assert!(matches!(
            s.replace_occurrences(9999, &[], 1),
            Err(StoreError::NotFound(_))
        ));
        // Delete cascades.
        assert!(s.delete_work(b).unwrap());
        assert!(s
            .concept_uses("place.west-lake", &WorkScope::All)
            .unwrap()
            .is_empty());
        assert!(s.get_chapter(b, 1).unwrap().is_none());
        assert!(!s.delete_work(b).unwrap());
    }
}

#[test]
fn a_failed_create_writes_nothing() {
    for s in backends() {
        let name = s.name;
        // Duplicate chapter numbers violate the key: the whole work is refused.
        let org = s.create_org("org", 1).unwrap().id;
        let mut w = work(org, "坏", 2);
        w.chapters[1].number = 1;
        w.chapters[1].text = "独有的正文".into();
        assert!(
            matches!(s.create_work(&w, 1), Err(StoreError::Backend(_))),
            "{name}"
        );
        assert!(s.list_works(&WorkScope::All).unwrap().is_empty(), "{name}");
        let blobs = walk(&s.dir.path().join("blobs"));
        assert_eq!(blobs, 0, "{name}: blobs of a failed import remain");
        // A work of an unknown organization is invalid; its blobs go too.
        assert!(
            matches!(
                s.create_work(&work(org + 1000, "无主", 2), 1),
                Err(StoreError::Invalid(_))
            ),
            "{name}"
        );
        assert_eq!(walk(&s.dir.path().join("blobs")), 0, "{name}");
        assert!(s.list_works(&WorkScope::All).unwrap().is_empty(), "{name}");
        // Blobs that existed before a failed import stay.
        let ok = s.create_work(&work(org, "好", 1), 2).unwrap();
        let mut dup = work(org, "坏", 2);
        dup.chapters[1].number = 1;
        assert!(s.create_work(&dup, 3).is_err(), "{name}");
        assert_eq!(
            s.get_chapter(ok, 1).unwrap().unwrap().1,
            "正文1，西湖。\n第二段。"
        );
        let empty = NewWork {
            chapters: vec![],
            ..work(org, "空", 0)
        };
        assert!(matches!(
            s.create_work(&empty, 1),
            Err(StoreError::Invalid(_))
        ));
    }
}

fn walk(p: &std::path::Path) -> usize {
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

#[test]
fn reopening_keeps_data_and_a_tampered_blob_is_detected() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let id = s.create_work(&work(org, "持久", 1), 1).unwrap();
        let (again, version) = s.reopen();
        assert_eq!(
            version,
            qiantang_store::SCHEMA_VERSION,
            "{name}: schema version after all migrations"
        );
        assert_eq!(again.get_work(id).unwrap().unwrap().title, "持久", "{name}");
        let (meta, _) = again.get_chapter(id, 1).unwrap().unwrap();
        let path = s
            .dir
            .path()
            .join("blobs")
            .join(&meta.sha256[..2])
            .join(&meta.sha256[2..]);
        std::fs::write(&path, "篡改").unwrap();
        let err = again.get_chapter(id, 1).unwrap_err().to_string();
        assert!(err.contains("corrupt"), "{name}: {err}");
    }
}

fn scope(orgs: &[i64], published: bool) -> WorkScope {
    WorkScope::Visible {
        orgs: orgs.to_vec(),
        published,
    }
}

#[test]
fn work_scope_filters_and_publishing() {
    for s in backends() {
        let name = s.name;
        let a = s.create_org("a", 1).unwrap().id;
        let b = s.create_org("b", 1).unwrap().id;
        let c = s.create_org("c", 1).unwrap().id;
        let a1 = s.create_work(&work(a, "甲一", 1), 10).unwrap();
        let b1 = s.create_work(&work(b, "乙一", 1), 11).unwrap();
        let b2 = s.create_work(&work(b, "乙二", 2), 12).unwrap();
        assert!(s.set_published(b2, true).unwrap(), "{name}");
        assert!(!s.set_published(b2 + 1000, true).unwrap(), "{name}");
        assert!(s.get_work(b2).unwrap().unwrap().published, "{name}");
        let ids = |sc: &WorkScope| {
            s.list_works(sc)
                .unwrap()
                .iter()
                .map(|w| w.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&WorkScope::All), vec![b2, b1, a1], "{name}");
        assert_eq!(ids(&scope(&[a], false)), vec![a1], "{name}");
        assert_eq!(ids(&scope(&[a], true)), vec![b2, a1], "{name}");
        assert_eq!(ids(&scope(&[], true)), vec![b2], "{name}");
        assert_eq!(ids(&scope(&[], false)), Vec::<i64>::new(), "{name}");
        assert_eq!(ids(&scope(&[c], false)), Vec::<i64>::new(), "{name}");
        assert_eq!(ids(&scope(&[a, b], false)), vec![b2, b1, a1], "{name}");
        for sc in [
            WorkScope::All,
            scope(&[a], true),
            scope(&[b], false),
            scope(&[], true),
        ] {
            for w in s.list_works(&WorkScope::All).unwrap() {
                assert_eq!(
                    ids(&sc).contains(&w.id),
                    sc.admits(w.org, w.published),
                    "{name}: {sc:?} vs work {}",
                    w.id
                );
            }
        }
        // concept_uses honours the same scope.
        let occ = StoredOccurrence {
            chapter: 1,
            start: 0,
            len: 2,
            concept: "place.west-lake".into(),
        };
        for w in [a1, b1, b2] {
            s.replace_occurrences(w, std::slice::from_ref(&occ), 20)
                .unwrap();
        }
        let uses = |sc: &WorkScope| {
            let mut v: Vec<i64> = s
                .concept_uses("place.west-lake", sc)
                .unwrap()
                .iter()
                .map(|u| u.work)
                .collect();
            v.sort();
            v
        };
        assert_eq!(uses(&WorkScope::All), vec![a1, b1, b2], "{name}");
        assert_eq!(uses(&scope(&[a], false)), vec![a1], "{name}");
        assert_eq!(uses(&scope(&[a], true)), vec![a1, b2], "{name}");
        assert_eq!(uses(&scope(&[c], false)), Vec::<i64>::new(), "{name}");
        // Unpublishing hides the work from other organizations again.
        assert!(s.set_published(b2, false).unwrap(), "{name}");
        assert_eq!(ids(&scope(&[a], true)), vec![a1], "{name}");
        assert_eq!(uses(&scope(&[a], true)), vec![a1], "{name}");
        assert!(!s.get_work(b2).unwrap().unwrap().published, "{name}");
    }
}

#[test]
fn orgs_and_users() {
    for s in backends() {
        let name = s.name;
        let o = s.create_org("Zhejiang Press", 5).unwrap();
        assert_eq!((o.name.as_str(), o.created_ms), ("Zhejiang Press", 5));
        assert!(
            matches!(
                s.create_org("Zhejiang Press", 6),
                Err(StoreError::Conflict(_))
            ),
            "{name}"
        );
        s.create_org("alpha", 7).unwrap();
        s.create_org("Beta", 8).unwrap();
        assert_eq!(s.get_org(o.id).unwrap(), Some(o.clone()), "{name}");
        assert_eq!(s.org_by_name("Zhejiang Press").unwrap(), Some(o.clone()));
        assert_eq!(s.org_by_name("zhejiang press").unwrap(), None, "{name}");
        assert_eq!(s.get_org(o.id + 1000).unwrap(), None);
        // Names sort byte-wise on every backend.
        assert_eq!(
            s.list_orgs()
                .unwrap()
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>(),
            vec!["Beta", "Zhejiang Press", "alpha"],
            "{name}"
        );

        assert_eq!(s.count_users().unwrap(), 0);
        let u = s
            .create_user("  Alice@Example.COM ", "$argon2id$one", true, 9)
            .unwrap();
        assert_eq!(
            (u.email.as_str(), u.is_admin, u.created_ms),
            ("alice@example.com", true, 9),
            "{name}"
        );
        assert!(
            matches!(
                s.create_user("ALICE@example.com", "$argon2id$two", false, 10),
                Err(StoreError::Conflict(_))
            ),
            "{name}"
        );
        let bob = s.create_user("bob@example.com", "h", false, 11).unwrap();
        assert!(!bob.is_admin);
        assert_eq!(s.count_users().unwrap(), 2, "{name}");
        assert_eq!(s.get_user(u.id).unwrap(), Some(u.clone()), "{name}");
        assert_eq!(s.get_user(u.id + 1000).unwrap(), None);
        let (found, hash) = s.user_by_email("ALICE@example.Com").unwrap().unwrap();
        assert_eq!(
            (found, hash.as_str()),
            (u.clone(), "$argon2id$one"),
            "{name}"
        );
        assert!(s.user_by_email("carol@example.com").unwrap().is_none());
    }
}

#[test]
fn memberships_and_role_replacement() {
    for s in backends() {
        let name = s.name;
        let a = s.create_org("a", 1).unwrap();
        let b = s.create_org("b", 1).unwrap();
        let u = s.create_user("u@example.com", "h", false, 1).unwrap();
        let v = s.create_user("v@example.com", "h", false, 1).unwrap();
        s.set_membership(a.id, u.id, Role::Editor).unwrap();
        s.set_membership(a.id, u.id, Role::Owner).unwrap();
        s.set_membership(b.id, u.id, Role::Viewer).unwrap();
        s.set_membership(a.id, v.id, Role::Translator).unwrap();
        assert_eq!(
            s.memberships(u.id).unwrap(),
            vec![(a.clone(), Role::Owner), (b.clone(), Role::Viewer)],
            "{name}: the later role replaces the earlier one"
        );
        assert_eq!(
            s.members(a.id).unwrap(),
            vec![(u.clone(), Role::Owner), (v.clone(), Role::Translator)],
            "{name}"
        );
        assert!(
            matches!(
                s.set_membership(a.id + 1000, u.id, Role::Viewer),
                Err(StoreError::Conflict(_))
            ),
            "{name}"
        );
        assert!(
            matches!(
                s.set_membership(a.id, v.id + 1000, Role::Viewer),
                Err(StoreError::Conflict(_))
            ),
            "{name}"
        );
        assert!(s.remove_membership(a.id, u.id).unwrap(), "{name}");
        assert!(!s.remove_membership(a.id, u.id).unwrap(), "{name}");
        assert_eq!(s.memberships(u.id).unwrap(), vec![(b, Role::Viewer)]);
        assert_eq!(s.members(a.id).unwrap(), vec![(v, Role::Translator)]);
    }
}

#[test]
fn tokens_create_lookup_touch_revoke() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("o", 1).unwrap().id;
        let u = s.create_user("u@example.com", "h", false, 1).unwrap();
        let t1 = s
            .create_token(org, Role::Editor, "ci", &"1".repeat(64), Some(u.id), 100)
            .unwrap();
        let t2 = s
            .create_token(org, Role::Viewer, "ro", &"2".repeat(64), None, 101)
            .unwrap();
        assert_eq!(
            (
                t1.org,
                t1.role,
                t1.name.as_str(),
                t1.created_by,
                t1.created_ms
            ),
            (org, Role::Editor, "ci", Some(u.id), 100)
        );
        assert_eq!((t1.last_used_ms, t1.revoked_ms), (None, None));
        assert_eq!(
            s.token_by_hash(&"1".repeat(64)).unwrap(),
            Some(t1.clone()),
            "{name}"
        );
        assert_eq!(s.token_by_hash(&"3".repeat(64)).unwrap(), None);
        assert_eq!(s.get_token(t2.id).unwrap(), Some(t2.clone()), "{name}");
        assert!(
            matches!(
                s.create_token(org, Role::Viewer, "dup", &"1".repeat(64), None, 102),
                Err(StoreError::Conflict(_))
            ),
            "{name}: duplicate secret hash"
        );
        assert!(
            matches!(
                s.create_token(org + 1000, Role::Viewer, "x", &"4".repeat(64), None, 102),
                Err(StoreError::Conflict(_))
            ),
            "{name}: unknown organization"
        );
        s.touch_token(t1.id, 150).unwrap();
        assert_eq!(s.get_token(t1.id).unwrap().unwrap().last_used_ms, Some(150));
        assert!(s.revoke_token(t1.id, 200).unwrap(), "{name}");
        assert!(
            !s.revoke_token(t1.id, 201).unwrap(),
            "{name}: revoked twice"
        );
        assert!(!s.revoke_token(t2.id + 1000, 201).unwrap(), "{name}");
        // A revoked token is still found (so it can be refused knowingly).
        let revoked = s.token_by_hash(&"1".repeat(64)).unwrap().unwrap();
        assert_eq!(revoked.revoked_ms, Some(200), "{name}");
        assert_eq!(
            s.list_tokens(org)
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>(),
            vec![t2.id, t1.id],
            "{name}: newest first"
        );
        assert!(s.list_tokens(org + 1000).unwrap().is_empty());
    }
}

#[test]
fn sessions_expire_and_a_new_password_ends_them() {
    for s in backends() {
        let name = s.name;
        let u = s.create_user("u@example.com", "old", false, 1).unwrap();
        let sess = |created_ms, expires_ms| Session {
            user: u.id,
            csrf: "csrf-token".into(),
            created_ms,
            expires_ms,
        };
        s.create_session(&"a".repeat(64), &sess(1000, 2000))
            .unwrap();
        s.create_session(&"b".repeat(64), &sess(1000, 5000))
            .unwrap();
        assert_eq!(
            s.session_by_hash(&"a".repeat(64), 1999).unwrap(),
            Some(sess(1000, 2000)),
            "{name}"
        );
        assert_eq!(
            s.session_by_hash(&"a".repeat(64), 2000).unwrap(),
            None,
            "{name}"
        );
        assert_eq!(s.session_by_hash(&"a".repeat(64), 2001).unwrap(), None);
        assert_eq!(s.session_by_hash(&"c".repeat(64), 0).unwrap(), None);
        assert!(
            matches!(
                s.create_session(&"b".repeat(64), &sess(1001, 5000)),
                Err(StoreError::Conflict(_))
            ),
            "{name}: session hash collision"
        );
        assert!(
            matches!(
                s.create_session(
                    &"d".repeat(64),
                    &Session {
                        user: u.id + 1000,
                        ..sess(1000, 5000)
                    }
                ),
                Err(StoreError::Conflict(_))
            ),
            "{name}: unknown user"
        );
        s.delete_session(&"b".repeat(64)).unwrap();
        assert_eq!(s.session_by_hash(&"b".repeat(64), 1500).unwrap(), None);
        s.delete_session(&"b".repeat(64)).unwrap();

        s.create_session(&"e".repeat(64), &sess(3000, 9000))
            .unwrap();
        s.create_session(&"f".repeat(64), &sess(3000, 9000))
            .unwrap();
        s.set_password(u.id, "new").unwrap();
        assert_eq!(
            s.session_by_hash(&"e".repeat(64), 3001).unwrap(),
            None,
            "{name}"
        );
        assert_eq!(
            s.session_by_hash(&"f".repeat(64), 3001).unwrap(),
            None,
            "{name}"
        );
        assert_eq!(s.user_by_email("u@example.com").unwrap().unwrap().1, "new");
        assert!(
            matches!(
                s.set_password(u.id + 1000, "x"),
                Err(StoreError::NotFound(_))
            ),
            "{name}"
        );
    }
}

fn entry(org: Option<i64>, action: &str, at_ms: i64) -> AuditEntry {
    AuditEntry {
        id: 0,
        at_ms,
        org,
        actor: "user:1:u@example.com".into(),
        action: action.into(),
        object: format!("work:{at_ms}"),
        detail: r#"{"k":"v"}"#.into(),
        ip: if org.is_some() {
            Some("192.0.2.1".into())
        } else {
            None
        },
    }
}

#[test]
fn audit_append_list_filter_and_paging() {
    for s in backends() {
        let name = s.name;
        let a = s.create_org("a", 1).unwrap().id;
        let b = s.create_org("b", 1).unwrap().id;
        let mut appended = Vec::new();
        for (i, org) in [Some(a), Some(b), None, Some(a), Some(a)]
            .into_iter()
            .enumerate()
        {
            let mut e = entry(org, "work_imported", 100 + i as i64);
            e.id = s.append_audit(&e).unwrap();
            appended.push(e);
        }
        let ids: Vec<i64> = appended.iter().map(|e| e.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{name}: {ids:?}");
        let newest_first: Vec<AuditEntry> = appended.iter().rev().cloned().collect();
        assert_eq!(
            s.list_audit(None, None, 100).unwrap(),
            newest_first,
            "{name}"
        );
        assert_eq!(
            s.list_audit(Some(a), None, 100)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            vec![ids[4], ids[3], ids[0]],
            "{name}"
        );
        assert_eq!(
            s.list_audit(Some(b), None, 100).unwrap(),
            vec![appended[1].clone()]
        );
        // Paging: `before` is exclusive, `limit` caps the page.
        assert_eq!(
            s.list_audit(None, None, 2).unwrap(),
            newest_first[..2].to_vec(),
            "{name}"
        );
        assert_eq!(
            s.list_audit(None, Some(ids[3]), 2)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            vec![ids[2], ids[1]],
            "{name}"
        );
        assert_eq!(
            s.list_audit(Some(a), Some(ids[3]), 10)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            vec![ids[0]],
            "{name}"
        );
        assert!(s.list_audit(None, Some(ids[0]), 10).unwrap().is_empty());
        assert!(s.list_audit(None, None, 0).unwrap().is_empty(), "{name}");
    }
}

#[test]
fn the_database_refuses_to_change_the_audit_log() {
    for s in backends() {
        let name = s.name;
        let id = s.append_audit(&entry(None, "login", 1)).unwrap();
        for sql in [
            "UPDATE audit SET actor = 'someone else'".to_string(),
            format!("DELETE FROM audit WHERE id = {id}"),
            "DELETE FROM audit".to_string(),
        ] {
            let err = s.raw_execute(&sql).unwrap_err();
            assert!(err.contains("append-only"), "{name}: {sql}: {err}");
        }
        assert_eq!(
            s.list_audit(None, None, 10).unwrap(),
            vec![AuditEntry {
                id,
                ..entry(None, "login", 1)
            }],
            "{name}"
        );
        // Appending through SQL still works: the log is append-only, not read-only.
        s.raw_execute(
            "INSERT INTO audit (at_ms, org, actor, action, object, detail) VALUES (2, NULL, 'system', 'x', 'y', '{}')",
        )
        .unwrap();
        assert_eq!(s.list_audit(None, None, 10).unwrap().len(), 2, "{name}");
    }
}

#[test]
fn open_dispatches_on_the_database_url() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        None,
        Some(""),
        Some("sqlite:"),
        Some("sqlite://"),
        Some("SQLite:"),
    ] {
        let stores = qiantang_store::open(dir.path(), url).unwrap();
        assert_eq!(stores.kb.count_concepts().unwrap(), 0, "{url:?}");
    }
    assert!(dir.path().join("qiantang.sqlite3").exists());
    for url in ["sqlite:/elsewhere/db.sqlite3", "sqlite://x.db"] {
        assert!(
            matches!(
                qiantang_store::open(dir.path(), Some(url)),
                Err(StoreError::Invalid(_))
            ),
            "{url}"
        );
    }
    // Unsupported schemes and unreachable servers fail without showing the password.
    let err = qiantang_store::open(dir.path(), Some("mysql://qt:hunter2@db/qt"))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("mysql://qt:***@db/qt") && !msg.contains("hunter2"),
        "{msg}"
    );
    let err = qiantang_store::open(
        dir.path(),
        Some("postgres://qt:hunter2@127.0.0.1:1/qt?connect_timeout=5"),
    )
    .err()
    .unwrap();
    assert!(matches!(err, StoreError::Backend(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("qt:***@127.0.0.1:1") && !msg.contains("hunter2"),
        "{msg}"
    );
    let err = qiantang_store::open(dir.path(), Some("postgres://qt:hunter2@h:notaport/qt"))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn open_with_a_postgres_url_uses_postgres() {
    let Some(admin) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_schema(&admin);
    for url in [url.clone(), url.replacen("postgres://", "postgresql://", 1)] {
        let stores = qiantang_store::open(dir.path(), Some(&url)).unwrap();
        let org = stores
            .auth
            .create_org(&format!("o-{}", url.len()), 1)
            .unwrap()
            .id;
        stores.works.create_work(&work(org, "甲", 1), 1).unwrap();
    }
    // Nothing went to SQLite; blobs are in the data dir.
    assert!(!dir.path().join("qiantang.sqlite3").exists());
    assert_eq!(walk(&dir.path().join("blobs")), 1);
    let s = qiantang_store::PostgresStore::open(&url, dir.path()).unwrap();
    assert_eq!(s.list_works(&WorkScope::All).unwrap().len(), 2);
}

#[test]
fn concurrent_postgres_opens_migrate_once() {
    let Some(admin) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_schema(&admin);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let s = qiantang_store::PostgresStore::open(&url, &path).unwrap();
                s.schema_version().unwrap()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(
            t.join().unwrap(),
            qiantang_store::SCHEMA_VERSION,
            "schema version after all migrations"
        );
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let n: i64 = c
        .query_one("SELECT COUNT(*) FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        n,
        i64::from(qiantang_store::SCHEMA_VERSION),
        "each migration applied exactly once"
    );
}

#[test]
fn parallel_calls_share_the_pool() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("o", 1).unwrap().id;
        std::thread::scope(|scope| {
            for t in 0..12 {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..5 {
                        let id = s
                            .create_work(&work(org, &format!("作品{t}-{i}"), 1), i)
                            .unwrap();
                        s.append_audit(&entry(Some(org), "work_imported", id))
                            .unwrap();
                        assert!(s.get_work(id).unwrap().is_some());
                    }
                });
            }
        });
        assert_eq!(s.list_works(&WorkScope::All).unwrap().len(), 60, "{name}");
        assert_eq!(s.list_audit(Some(org), None, 1000).unwrap().len(), 60);
    }
}

#[test]
fn concept_proposals_are_decided_once() {
    for s in backends() {
        let name = s.name;
        let mut c = concept("place.gushan", "孤山", &[]);
        let p1 = s.create_proposal(&c, "user:1:ed@x", 10).unwrap();
        c.regions.push("Hangzhou".into());
        let p2 = s.create_proposal(&c, "user:1:ed@x", 11).unwrap();
        assert!(p2 > p1, "{name}");
        let got = s.get_proposal(p1).unwrap().unwrap();
        assert_eq!(
            (got.concept.as_str(), got.status, got.created_ms),
            ("place.gushan", ProposalStatus::Pending, 10)
        );
        let back: Concept = serde_json::from_str(&got.concept_json).unwrap();
        assert_eq!(back, concept("place.gushan", "孤山", &[]));
        assert!(s.get_proposal(9999).unwrap().is_none());
        // Newest first; status filter.
        let all = s.list_proposals(None, 10).unwrap();
        assert_eq!(
            all.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![p2, p1],
            "{name}"
        );
        assert!(s
            .decide_proposal(p1, ProposalStatus::Approved, "user:2:rev@x", 20)
            .unwrap());
        // A second decision of the same proposal is refused.
        assert!(
            !s.decide_proposal(p1, ProposalStatus::Rejected, "user:3:other@x", 21)
                .unwrap(),
            "{name}"
        );
        assert!(s
            .decide_proposal(p2, ProposalStatus::Rejected, "user:2:rev@x", 22)
            .unwrap());
        assert!(matches!(
            s.decide_proposal(p2, ProposalStatus::Pending, "x", 23),
            Err(StoreError::Invalid(_))
        ));
        let d = s.get_proposal(p1).unwrap().unwrap();
        assert_eq!(
            (d.status, d.reviewer.as_deref(), d.decided_ms),
            (ProposalStatus::Approved, Some("user:2:rev@x"), Some(20))
        );
        assert_eq!(
            s.list_proposals(Some(ProposalStatus::Pending), 10)
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            s.list_proposals(Some(ProposalStatus::Rejected), 10)
                .unwrap()[0]
                .id,
            p2
        );
        assert_eq!(s.list_proposals(None, 1).unwrap().len(), 1);
        assert!(!s
            .decide_proposal(9999, ProposalStatus::Approved, "x", 1)
            .unwrap());
    }
}

#[test]
fn occurrences_stored_with_the_work_and_removed_with_their_concept() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        s.put_concepts(&[concept("place.west-lake", "西湖", &[])], "seed", 1)
            .unwrap();
        let occ = |ch: u32, start: u32, c: &str| StoredOccurrence {
            chapter: ch,
            start,
            len: 2,
            concept: c.into(),
        };
        let mut w = work(org, "带标注", 2);
        w.occurrences = Some(vec![
            occ(1, 3, "place.west-lake"),
            occ(2, 3, "place.west-lake"),
        ]);
        let id = s.create_work(&w, 5).unwrap();
        let counts = s
            .concept_counts(id)
            .unwrap()
            .expect("tagged in the same transaction");
        assert_eq!((counts[0].count, counts[0].chapters), (2, 2), "{name}");
        // Ids are never reused after a deletion.
        let id2 = s.create_work(&work(org, "二", 1), 6).unwrap();
        assert!(s.delete_work(id2).unwrap());
        let id3 = s.create_work(&work(org, "三", 1), 7).unwrap();
        assert!(id3 > id2, "{name}: work id {id2} reused");
        // Deleting a concept removes its occurrences.
        assert!(s.delete_concept("place.west-lake").unwrap());
        assert!(s.chapter_occurrences(id, 1).unwrap().is_empty(), "{name}");
        assert!(s.concept_counts(id).unwrap().unwrap().is_empty(), "{name}");
    }
}

fn l10n_project(org: i64, work: i64, locale: &str) -> NewProject {
    NewProject {
        org,
        work,
        locale: locale.into(),
        market: "US".into(),
        settings: ProjectSettings::default(),
        created_by: "ann".into(),
        segments: vec![
            NewSegment {
                chapter: 1,
                ordinal: 0,
                source: "济公来到灵隐寺。".into(),
                offset: 0,
            },
            NewSegment {
                chapter: 1,
                ordinal: 1,
                source: "他说：“走吧。”".into(),
                offset: 8,
            },
            NewSegment {
                chapter: 2,
                ordinal: 0,
                source: "西湖。".into(),
                offset: 0,
            },
        ],
    }
}

fn upd(id: i64, v: Option<u32>, target: &str, state: SegmentState, at: i64) -> SegmentUpdate {
    SegmentUpdate {
        id,
        expected_version: v,
        only_if_new: false,
        target: Some(target.into()),
        state,
        origin: Some(Origin::Human),
        by: "ann".into(),
        at_ms: at,
    }
}

#[test]
fn l10n_projects_segments_history_and_conflicts() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let other = s.create_org("other", 1).unwrap().id;
        let w = s.create_work(&work(org, "甲", 2), 1).unwrap();
        let p = s.create_project(&l10n_project(org, w, "en"), 5).unwrap();
        assert!(
            matches!(
                s.create_project(&l10n_project(org, w, "en"), 6),
                Err(StoreError::Conflict(_))
            ),
            "{name}: one project per work × locale × market"
        );
        let p2 = s.create_project(&l10n_project(org, w, "vi"), 7).unwrap();
        assert_eq!(s.get_project(p.id).unwrap().unwrap(), p, "{name}");
        assert_eq!(
            s.list_projects(&[org])
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>(),
            vec![p2.id, p.id],
            "{name}: newest first"
        );
        assert!(
            s.list_projects(&[other]).unwrap().is_empty(),
            "{name}: tenant filter"
        );
        let mut settings = p.settings.clone();
        settings.gloss_style = GlossStyle::Footnote;
        settings.tm_threshold = 80;
        s.set_project_settings(p.id, &settings).unwrap();
        assert_eq!(
            s.get_project(p.id).unwrap().unwrap().settings,
            settings,
            "{name}"
        );

        let segs = s.segments(p.id, None).unwrap();
        assert_eq!(segs.len(), 3, "{name}");
        assert_eq!(s.segments(p.id, Some(2)).unwrap().len(), 1, "{name}");
        assert_eq!(
            (segs[1].key(), segs[1].offset),
            ("c1s1".to_string(), 8),
            "{name}"
        );
        assert!(segs
            .iter()
            .all(|x| x.state == SegmentState::New && x.version == 0));

        // A pre-translation fills only new segments; a human edit checks the version.
        let mt = SegmentUpdate {
            id: segs[0].id,
            expected_version: None,
            only_if_new: true,
            target: Some("Jigong came to Lingyin Temple.".into()),
            state: SegmentState::Draft,
            origin: Some(Origin::Mt {
                backend: "openai".into(),
                model: Some("qwen".into()),
            }),
            by: "job:1".into(),
            at_ms: 10,
        };
        let out = s.update_segments(std::slice::from_ref(&mt)).unwrap();
        assert_eq!(out[0].as_ref().unwrap().version, 1, "{name}");
        assert_eq!(
            s.update_segments(&[mt]).unwrap(),
            vec![None],
            "{name}: only_if_new skips"
        );
        let edited = s
            .update_segments(&[upd(
                segs[0].id,
                Some(1),
                "Jigong arrived at Lingyin Temple.",
                SegmentState::Translated,
                11,
            )])
            .unwrap();
        assert_eq!(
            edited[0].as_ref().unwrap().origin,
            Some(Origin::Human),
            "{name}"
        );
        // A stale version is refused and nothing of the batch is written.
        let r = s.update_segments(&[
            upd(
                segs[1].id,
                Some(0),
                "He said: \"Let's go.\"",
                SegmentState::Translated,
                12,
            ),
            upd(segs[0].id, Some(1), "stale", SegmentState::Translated, 12),
        ]);
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{name}: {r:?}");
        assert_eq!(
            s.get_segment(segs[1].id).unwrap().unwrap().state,
            SegmentState::New,
            "{name}: rolled back"
        );
        assert!(matches!(
            s.update_segments(&[upd(999_999, None, "x", SegmentState::Translated, 1)]),
            Err(StoreError::NotFound(_))
        ));
        let hist = s.segment_history(segs[0].id).unwrap();
        assert_eq!(
            hist.iter()
                .map(|h| (h.version, h.state, h.by.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (1, SegmentState::Draft, "job:1"),
                (2, SegmentState::Translated, "ann")
            ],
            "{name}"
        );
        assert_eq!(
            hist[0].origin,
            Some(Origin::Mt {
                backend: "openai".into(),
                model: Some("qwen".into())
            })
        );

        // A changed source sends the segment back to draft, keeping the target.
        let changed = s
            .set_segment_source(segs[0].id, "济公走进灵隐寺。", "editor", 20)
            .unwrap();
        assert_eq!(
            (changed.state, changed.version),
            (SegmentState::Draft, 3),
            "{name}"
        );
        let hist = s.segment_history(segs[0].id).unwrap();
        assert_eq!(
            hist[1].source, "济公来到灵隐寺。",
            "{name}: revisions keep their source"
        );
        assert_eq!(hist[2].source, "济公走进灵隐寺。", "{name}");
        assert_eq!(
            changed.target.as_deref(),
            Some("Jigong arrived at Lingyin Temple.")
        );

        let c = s
            .add_comment(segs[0].id, "rev", "Use 'monk Ji'?", 21)
            .unwrap();
        assert_eq!(s.comments(segs[0].id).unwrap(), vec![c.clone()], "{name}");
        assert_eq!(s.project_comments(p.id).unwrap(), vec![c], "{name}");
        assert!(s.add_comment(999_999, "rev", "x", 1).is_err(), "{name}");

        let prog = s.progress(p.id).unwrap();
        assert_eq!(prog.len(), 3, "{name}: total + 2 chapters");
        assert_eq!(prog[0].total(), 3);
        assert_eq!(prog[0].count(SegmentState::Draft), 1);
        assert_eq!(prog[1].chapter, Some(1));
        assert_eq!(prog[2].source_chars, 3, "{name}: characters, not bytes");

        assert!(s.delete_project(p2.id).unwrap());
        assert!(!s.delete_project(p2.id).unwrap());
        // Deleting the work removes its projects.
        s.delete_work(w).unwrap();
        assert!(s.get_project(p.id).unwrap().is_none(), "{name}: cascade");
    }
}

fn tu(org: i64, src: &str, tgt: &str, approved: bool) -> TranslationUnit {
    TranslationUnit {
        id: 0,
        org,
        source_lang: "zh-Hans".into(),
        target_lang: "en".into(),
        source: src.into(),
        target: tgt.into(),
        context: None,
        approved,
        origin: "tmx:test.tmx".into(),
        created_by: "ann".into(),
        created_ms: 3,
    }
}

#[test]
fn l10n_tm_glossary_jobs_cache_usage() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let other = s.create_org("other", 1).unwrap().id;
        let units = vec![
            tu(org, "你好。", "Hello.", false),
            tu(org, "你好。", "Hello.", true),
            tu(org, "再见。", "Bye.", false),
        ];
        assert_eq!(
            s.add_units(&units).unwrap(),
            2,
            "{name}: duplicates in one call count once"
        );
        assert_eq!(s.add_units(&units).unwrap(), 0, "{name}: and never twice");
        let got = s.units(org).unwrap();
        assert_eq!(got.len(), 2);
        assert!(
            got[0].approved,
            "{name}: an approved duplicate approves the unit"
        );
        assert_eq!(s.unit_count(org).unwrap(), 2);
        assert_eq!(
            s.unit_count(other).unwrap(),
            0,
            "{name}: TMs are per organization"
        );
        assert!(
            s.add_units(&[tu(org + 1000, "a", "b", false)]).is_err(),
            "{name}: unknown org"
        );
        assert_eq!(
            s.unit_count(org).unwrap(),
            2,
            "{name}: failed call wrote nothing"
        );

        let w = s.create_work(&work(org, "甲", 1), 1).unwrap();
        let e = GlossaryEntry {
            id: 0,
            work: w,
            locale: "en".into(),
            source: "济颠".into(),
            aliases: vec!["济公".into(), "道济".into()],
            target: "Crazy Ji".into(),
            kind: GlossaryKind::Character,
            concept: None,
            locked: true,
            forbidden: vec!["Ji Dian".into()],
            note: "the mad monk".into(),
        };
        let saved = s.put_glossary_entry(&e).unwrap();
        assert!(saved.id > 0);
        assert!(
            matches!(s.put_glossary_entry(&e), Err(StoreError::Conflict(_))),
            "{name}"
        );
        let mut changed = saved.clone();
        changed.target = "Daoji".into();
        s.put_glossary_entry(&changed).unwrap();
        assert_eq!(s.glossary(w, "en").unwrap(), vec![changed], "{name}");
        assert!(s.glossary(w, "vi").unwrap().is_empty());
        assert!(s.delete_glossary_entry(saved.id).unwrap());

        let p = s.create_project(&l10n_project(org, w, "en"), 5).unwrap();
        let kind = JobKind::Pretranslate {
            chapters: Some((1, 10)),
            backend: Some("openai".into()),
        };
        let j = s.create_job(p.id, &kind, "ann", 7).unwrap();
        assert_eq!(
            (j.state, j.kind.clone()),
            (JobState::Queued, kind),
            "{name}"
        );
        assert_eq!(s.unfinished_jobs().unwrap().len(), 1);
        let j2 = s
            .update_job(j.id, JobState::Running, 3, 10, None, 8)
            .unwrap();
        assert_eq!((j2.done, j2.total, j2.state), (3, 10, JobState::Running));
        s.update_job(j.id, JobState::Cancelled, 3, 10, None, 9)
            .unwrap();
        let j4 = s
            .update_job(j.id, JobState::Running, 4, 10, None, 10)
            .unwrap();
        assert_eq!(
            j4.state,
            JobState::Cancelled,
            "{name}: a cancelled job stays cancelled"
        );
        assert!(s.unfinished_jobs().unwrap().is_empty());
        assert_eq!(s.project_jobs(p.id).unwrap().len(), 1);
        assert!(s.create_job(999_999, &j.kind, "ann", 1).is_err());

        assert_eq!(s.mt_cache_get("k").unwrap(), None);
        s.mt_cache_put("k", "[1]", 1).unwrap();
        s.mt_cache_put("k", "[2]", 2).unwrap();
        assert_eq!(
            s.mt_cache_get("k").unwrap().as_deref(),
            Some("[2]"),
            "{name}"
        );

        let u = MtUsage {
            backend: "openai".into(),
            requests: 2,
            prompt_tokens: 100,
            completion_tokens: 50,
            characters: 0,
            cached_segments: 1,
        };
        s.add_mt_usage(p.id, &u).unwrap();
        s.add_mt_usage(p.id, &u).unwrap();
        let got = s.mt_usage(p.id).unwrap();
        assert_eq!(
            (
                got[0].requests,
                got[0].prompt_tokens,
                got[0].cached_segments
            ),
            (4, 200, 2),
            "{name}"
        );
    }
}

fn grant(
    work: i64,
    org: i64,
    who: &str,
    territories: &[&str],
    exclusive: bool,
    from: &str,
    to: Option<&str>,
) -> NewGrant {
    NewGrant {
        work_id: work,
        org,
        licensee: who.into(),
        territories: territories
            .iter()
            .map(|t| Region::parse(t).unwrap())
            .collect(),
        languages: vec![Language::parse("en").unwrap()],
        media: vec![Medium::Text, Medium::Audio],
        exclusive,
        start: Day::parse(from).unwrap(),
        end: to.map(|d| Day::parse(d).unwrap()),
        status: GrantStatus::Granted,
        notes: "合同 2027-01".into(),
        created_by: "user:1:a@x".into(),
    }
    .normalize()
    .unwrap()
}

fn created(o: GrantOutcome) -> qiantang_rights::Grant {
    match o {
        GrantOutcome::Created(g) => *g,
        GrantOutcome::Refused(c) => panic!("refused: {c:?}"),
    }
}

#[test]
fn grants_refuse_or_flag_conflicts_and_revoke() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let other = s.create_org("other", 1).unwrap().id;
        let w = s.create_work(&work(org, "授权", 1), 2).unwrap();
        let a = created(
            s.create_grant(
                &grant(
                    w,
                    org,
                    "Tor",
                    &["US", "CA"],
                    true,
                    "2027-01-01",
                    Some("2029-12-31"),
                ),
                OnConflict::Refuse,
                10,
            )
            .unwrap(),
        );
        assert!(!a.flagged && a.conflicts.is_empty(), "{name}");
        // A non-exclusive grant in an adjacent term is fine.
        created(
            s.create_grant(
                &grant(w, org, "Audible", &["US"], false, "2030-01-01", None),
                OnConflict::Refuse,
                11,
            )
            .unwrap(),
        );
        // Worldwide overlaps the exclusive US/CA grant: refused, nothing written.
        let ww = grant(w, org, "Webnovel", &["WW"], false, "2029-06-01", None);
        match s.create_grant(&ww, OnConflict::Refuse, 12).unwrap() {
            GrantOutcome::Refused(c) => {
                assert_eq!(c.len(), 1, "{name}");
                assert_eq!(c[0].grant, a.id);
                assert_eq!(
                    c[0].cells.describe(),
                    "CA, US × en × text, audio, 2029-06-01 – 2029-12-31"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(s.list_grants(w).unwrap().len(), 2, "{name}");
        // Flagging records it with its conflicts.
        let f = created(s.create_grant(&ww, OnConflict::Flag, 13).unwrap());
        assert!(f.flagged, "{name}");
        let stored = s.get_grant(f.id).unwrap().unwrap();
        assert_eq!(stored, f, "{name}: stored grant differs");
        assert_eq!(stored.conflicts[0].grant, a.id);
        // Revoking the exclusive grant frees the cell.
        let r = s.revoke_grant(a.id, 20).unwrap().unwrap();
        assert_eq!(
            (r.status, r.revoked_ms),
            (GrantStatus::Revoked, Some(20)),
            "{name}"
        );
        let again = s.revoke_grant(a.id, 30).unwrap().unwrap();
        assert_eq!(
            again.revoked_ms,
            Some(20),
            "{name}: revoking twice changes nothing"
        );
        assert!(s.revoke_grant(9999, 1).unwrap().is_none());
        created(
            s.create_grant(
                &grant(w, org, "Tor", &["CA"], false, "2028-01-01", None),
                OnConflict::Refuse,
                21,
            )
            .unwrap(),
        );
        // Deposit index hook.
        assert!(s.set_grant_deposit(f.id, 42).unwrap());
        assert_eq!(s.get_grant(f.id).unwrap().unwrap().deposit_index, Some(42));
        assert!(!s.set_grant_deposit(9999, 1).unwrap());
        // Only the owning organization licenses a work; unknown works are not found.
        assert!(matches!(
            s.create_grant(
                &grant(w, other, "X", &["FR"], false, "2027-01-01", None),
                OnConflict::Refuse,
                22
            ),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.create_grant(
                &grant(w + 100, org, "X", &["FR"], false, "2027-01-01", None),
                OnConflict::Refuse,
                22
            ),
            Err(StoreError::NotFound(_))
        ));
        let list = s.list_grants(w).unwrap();
        assert_eq!(
            list.iter().map(|g| g.id).collect::<Vec<_>>().len(),
            4,
            "{name}"
        );
        assert!(list.windows(2).all(|p| p[0].id < p[1].id));
        // Grants go with their work.
        assert!(s.delete_work(w).unwrap());
        assert!(s.list_grants(w).unwrap().is_empty(), "{name}");
        assert!(s.get_grant(f.id).unwrap().is_none(), "{name}");
    }
}

#[test]
fn concurrent_exclusive_grants_never_both_succeed() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        for round in 0..3 {
            let w = s
                .create_work(&work(org, &format!("并发{round}"), 1), 2)
                .unwrap();
            // Two store handles (as two processes would have), two threads each.
            let (second, _) = s.reopen();
            let barrier = std::sync::Barrier::new(4);
            let outcomes: Vec<GrantOutcome> = std::thread::scope(|sc| {
                let handles: Vec<_> = (0..4)
                    .map(|i| {
                        let store: &dyn Backend = if i % 2 == 0 { &*s.store } else { &*second };
                        let barrier = &barrier;
                        sc.spawn(move || {
                            let g =
                                grant(w, org, &format!("L{i}"), &["WW"], true, "2027-01-01", None);
                            barrier.wait();
                            store.create_grant(&g, OnConflict::Refuse, 5).unwrap()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let ok = outcomes
                .iter()
                .filter(|o| matches!(o, GrantOutcome::Created(_)))
                .count();
            assert_eq!(
                ok, 1,
                "{name}: round {round}: {ok} exclusive grants succeeded"
            );
            assert_eq!(s.list_grants(w).unwrap().len(), 1, "{name}");
        }
    }
}

#[test]
fn fingerprints_are_replaced_listed_and_removed_with_their_work() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let a = s.create_work(&work(org, "甲", 2), 1).unwrap();
        let b = s.create_work(&work(org, "乙", 1), 2).unwrap();
        assert_eq!(
            s.works_without_fingerprints().unwrap(),
            vec![a, b],
            "{name}"
        );
        let fp = |w, ch, sig: &[u8]| ChapterFingerprint {
            work: w,
            chapter: ch,
            signature: sig.to_vec(),
            created_ms: 7,
        };
        s.put_fingerprints(a, &[fp(a, 1, b"one"), fp(a, 2, &[0u8, 255, 1])])
            .unwrap();
        s.put_fingerprints(a, &[fp(a, 1, b"uno"), fp(a, 2, b"")])
            .unwrap();
        s.put_fingerprints(b, &[fp(b, 1, b"b")]).unwrap();
        let all = s.list_fingerprints().unwrap();
        assert_eq!(
            all,
            vec![fp(a, 1, b"uno"), fp(a, 2, b""), fp(b, 1, b"b")],
            "{name}"
        );
        assert!(s.works_without_fingerprints().unwrap().is_empty(), "{name}");
        assert!(matches!(
            s.put_fingerprints(b + 100, &[]),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.put_fingerprints(b, &[fp(a, 1, b"x")]),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            s.list_fingerprints().unwrap().len(),
            3,
            "{name}: a failed put wrote nothing"
        );
        assert!(s.delete_work(a).unwrap());
        assert_eq!(
            s.list_fingerprints().unwrap(),
            vec![fp(b, 1, b"b")],
            "{name}"
        );
    }
}

/// Bulk writes go in multi-row statements of a bounded size: more rows than
/// one statement takes (and duplicates across the statements) behave as one
/// call, and a failure in a later statement leaves nothing behind.
#[test]
fn bulk_writes_span_several_statements() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        // 1,300 units in three statements; the last 300 repeat the first 300,
        // approved, which approves the stored ones.
        let mut units: Vec<TranslationUnit> = (0..1_000)
            .map(|i| tu(org, &format!("句{i}"), &format!("s{i}"), false))
            .collect();
        units.extend((0..300).map(|i| tu(org, &format!("句{i}"), &format!("s{i}"), true)));
        assert_eq!(s.add_units(&units).unwrap(), 1_000, "{name}");
        let got = s.units(org).unwrap();
        assert_eq!(got.len(), 1_000, "{name}");
        let approved = got.iter().filter(|u| u.approved).count();
        assert_eq!(
            approved, 300,
            "{name}: approved copies approve across statements"
        );
        // A unit of an unknown organization in the last statement: nothing of
        // the call is kept.
        let mut bad: Vec<TranslationUnit> = (0..1_100)
            .map(|i| tu(org, &format!("新{i}"), "n", false))
            .collect();
        bad.push(tu(org + 1000, "x", "y", false));
        assert!(s.add_units(&bad).is_err(), "{name}");
        assert_eq!(s.unit_count(org).unwrap(), 1_000, "{name}: rolled back");

        // Occurrences and chapters of a large work, in several statements.
        let mut w = work(org, "长篇", 3);
        w.occurrences = Some(
            (0..1_234)
                .map(|i| StoredOccurrence {
                    chapter: 1 + i % 3,
                    start: i,
                    len: 2,
                    concept: format!("c{}", i % 7),
                })
                .collect(),
        );
        let id = s.create_work(&w, 5).unwrap();
        let n: usize = (1..=3)
            .map(|ch| s.chapter_occurrences(id, ch).unwrap().len())
            .sum();
        assert_eq!(n, 1_234, "{name}");
        let counts = s.concept_counts(id).unwrap().unwrap();
        assert_eq!(counts.len(), 7, "{name}");
        assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 1_234, "{name}");
    }
}

/// A database whose schema is at version 4 (before the deposit mirror's
/// tables joined the migrations) opens and is migrated; on PostgreSQL the
/// tables a mirror already made are kept, and missing ones are created.
#[test]
fn a_version_4_database_opens_and_migrates() {
    for s in backends() {
        let name = s.name;
        let org = s.create_org("org", 1).unwrap().id;
        let id = s.create_work(&work(org, "旧", 1), 1).unwrap();
        match &s.db {
            Db::Sqlite => {
                s.raw_execute("PRAGMA user_version = 4").unwrap();
            }
            Db::Postgres { .. } => {
                s.raw_execute("DELETE FROM schema_version WHERE version >= 5")
                    .unwrap();
                s.raw_execute("INSERT INTO deposit_log_checkpoints (size, note) VALUES (1, 'n')")
                    .unwrap();
            }
        }
        let (again, version) = s.reopen();
        assert_eq!(version, qiantang_store::SCHEMA_VERSION, "{name}");
        assert_eq!(again.get_work(id).unwrap().unwrap().title, "旧", "{name}");
        if let Db::Postgres { .. } = &s.db {
            assert_eq!(
                s.raw_execute("DELETE FROM deposit_log_checkpoints WHERE size = 1"),
                Ok(1),
                "{name}: the mirror's rows survive the migration"
            );
            s.raw_execute("DELETE FROM schema_version WHERE version >= 5")
                .unwrap();
            s.raw_execute("DROP TABLE deposit_log_entries, deposit_log_checkpoints")
                .unwrap();
            let (_, version) = s.reopen();
            assert_eq!(version, qiantang_store::SCHEMA_VERSION, "{name}");
            assert_eq!(
                s.raw_execute("DELETE FROM deposit_log_entries"),
                Ok(0),
                "{name}: migration 5 creates the mirror tables"
            );
        }
    }
}
