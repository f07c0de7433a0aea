use qiantang_l10n::tatoeba::read_tatoeba;
use qiantang_l10n::tmx::{read_tmx, write_tmx, TmxDocument, TmxErrorKind, TmxHeader};
use qiantang_l10n::TranslationUnit;
use std::io::{BufReader, Cursor};

fn tatoeba() -> Vec<TranslationUnit> {
    let text = String::from_utf8(crate::corpus("parallel/tatoeba_cmn_eng_2000.tsv")).unwrap();
    read_tatoeba(&text, 1, 0).unwrap()
}

#[test]
fn tatoeba_reads_2000_pairs() {
    let units = tatoeba();
    assert_eq!(units.len(), 2000);
    assert_eq!(units[0].source, "嗨。");
    assert_eq!(units[0].target, "Hi.");
    assert!(units[0].origin.starts_with("tatoeba: CC-BY 2.0 (France)"));
    assert!(read_tatoeba("only one column\n", 1, 0).is_err());
}

#[test]
fn round_trip_keeps_text_context_and_approval() {
    let mut units = tatoeba();
    units.truncate(50);
    units[0].context = Some("前文 & <上下文> \"q\"".into());
    units[1].approved = false;
    units[2].source = "含有 ]]> 与 &amp; 的句子\t和制表符".into();
    units[3].source_lang = "en".into(); // TU-level srclang override
    units[3].target_lang = "zh-Hans".into();
    let doc = TmxDocument::from_units(TmxHeader::qiantang("zh-Hans"), &units);
    let mut buf = Vec::new();
    write_tmx(&doc, &mut buf).unwrap();
    let back = read_tmx(Cursor::new(&buf)).unwrap();
    assert_eq!(back, doc);
    let again = back.to_units(1, "tatoeba", "tatoeba", 0);
    for (a, b) in again.iter().zip(&units) {
        assert_eq!(
            (&a.source, &a.target, &a.context, a.approved),
            (&b.source, &b.target, &b.context, b.approved)
        );
        assert_eq!(
            (&a.source_lang, &a.target_lang),
            (&b.source_lang, &b.target_lang)
        );
    }
}

#[test]
fn omegat_style_fixture_with_inline_codes() {
    let f = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/omegat_style.tmx"
    ))
    .unwrap();
    let doc = read_tmx(BufReader::new(f)).unwrap();
    assert_eq!(doc.header.creationtool, "OmegaT");
    assert_eq!(doc.units.len(), 3);
    let u = &doc.units[1];
    assert_eq!(u.source_tuv().unwrap().text.trim(), "按下确定键。");
    assert_eq!(
        u.targets().next().unwrap().text.trim(),
        "Press OK, then wait & see."
    );
    assert_eq!(u.context.as_deref(), Some("李善人不是真善人。"));
    assert_eq!(u.approved, Some(false));
    assert_eq!(
        u.props,
        vec![("file".to_string(), "chapter1.txt".to_string())]
    );
    let r = &doc.units[2];
    assert_eq!(r.source_tuv().unwrap().text, "West Lake");
    assert_eq!(r.targets().next().unwrap().text, "西湖");
    let units = doc.to_units(1, "tmx:omegat_style.tmx", "t", 0);
    assert_eq!(units.len(), 3);
    assert_eq!(units[2].source_lang, "en-US");
    assert!(units[0].approved && !units[1].approved);
}

#[test]
fn imports_100k_units_streaming() {
    let base = tatoeba();
    let mut units = Vec::with_capacity(100_000);
    for i in 0..100_000 {
        let mut u = base[i % base.len()].clone();
        let v = i / base.len();
        if v > 0 {
            u.source = format!("{}（{v}）", u.source);
            u.target = format!("{} ({v})", u.target);
        }
        u.approved = i % 7 != 0;
        units.push(u);
    }
    let doc = TmxDocument::from_units(TmxHeader::qiantang("zh-Hans"), &units);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tmx");
    write_tmx(&doc, std::fs::File::create(&path).unwrap()).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 10_000_000);
    let back = read_tmx(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert_eq!(back.units.len(), 100_000);
    assert_eq!(back.units[99_999], doc.units[99_999]);
    assert_eq!(back.to_units(1, "tmx", "t", 0).len(), 100_000);
}

const HEADER: &str = r#"<header srclang="zh-Hans" adminlang="en" datatype="plaintext" segtype="sentence" o-tmf="x" creationtool="t" creationtoolversion="1"/>"#;

#[test]
fn malformed_inputs_give_precise_errors() {
    let tu = r#"<tu><tuv xml:lang="zh-Hans"><seg>你好</seg></tuv><tuv xml:lang="en"><seg>Hi</seg></tuv></tu>"#;
    let ok = format!("<tmx version=\"1.4\">{HEADER}<body>{tu}</body></tmx>");
    assert_eq!(read_tmx(Cursor::new(ok.as_bytes())).unwrap().units.len(), 1);
    type Check = fn(&TmxErrorKind) -> bool;
    let cases: Vec<(String, Check)> = vec![
        (String::new(), |k| matches!(k, TmxErrorKind::Empty)),
        ("<xliff/>".into(), |k| matches!(k, TmxErrorKind::NotTmx(r) if r == "xliff")),
        (format!("<tmx>{HEADER}<body/></tmx>"), |k| matches!(k, TmxErrorKind::MissingVersion)),
        (format!("<tmx version=\"1.1\">{HEADER}<body/></tmx>"), |k| {
            matches!(k, TmxErrorKind::UnknownVersion(v) if v == "1.1")
        }),
        (format!("<tmx version=\"1.4\"><body>{tu}</body></tmx>"), |k| matches!(k, TmxErrorKind::MissingHeader)),
        (format!("<tmx version=\"1.4\">{HEADER}</tmx>"), |k| matches!(k, TmxErrorKind::MissingBody)),
        (
            "<tmx version=\"1.4\"><header srclang=\"zh\"/><body/></tmx>".into(),
            |k| matches!(k, TmxErrorKind::MissingAttribute { attribute, .. } if attribute == "creationtool"),
        ),
        (
            format!("<tmx version=\"1.4\">{HEADER}<body>{tu}<tu><tuv xml:lang=\"en\"><seg>Hi</seg></tuv><tuv xml:lang=\"fr\"><seg>Salut</seg></tuv></tu></body></tmx>"),
            |k| matches!(k, TmxErrorKind::NoSourceTuv { index: 2, .. }),
        ),
        (
            format!("<tmx version=\"1.4\">{HEADER}<body><tu><tuv xml:lang=\"zh-hans\"><seg>你好</seg></tuv></tu></body></tmx>"),
            |k| matches!(k, TmxErrorKind::NoTargetTuv { index: 1 }),
        ),
        (
            format!("<tmx version=\"1.4\">{HEADER}<body><tu><tuv xml:lang=\"zh-Hans\"></tuv></tu></body></tmx>"),
            |k| matches!(k, TmxErrorKind::NoSeg { .. }),
        ),
        (
            format!("<tmx version=\"1.4\">{HEADER}<body><tu><tuv xml:lang=\"zh-Hans\"><seg>你好</tuv></tu></body></tmx>"),
            |k| matches!(k, TmxErrorKind::Xml(_)),
        ),
        (format!("<tmx version=\"1.4\">{HEADER}<body>{tu}"), |k| matches!(k, TmxErrorKind::UnexpectedEof(e) if e == "body")),
        (
            format!("<tmx version=\"1.4\">{HEADER}<body><tu><prop type=\"x-approved\">maybe</prop></tu></body></tmx>"),
            |k| matches!(k, TmxErrorKind::BadApproved(_)),
        ),
        (format!("<tmx version=\"1.4\">{HEADER}<body><p/></body></tmx>"), |k| matches!(k, TmxErrorKind::Unexpected { .. })),
        (format!("<tmx version=\"1.4\">{HEADER}<body>&bogus;</body></tmx>"), |k| matches!(k, TmxErrorKind::Xml(_))),
    ];
    for (input, check) in cases {
        let err = read_tmx(Cursor::new(input.as_bytes())).expect_err(&input);
        assert!(check(&err.kind), "{input}: got {err}");
        assert!(err.to_string().contains("line"), "{err}");
    }
    // Line numbers point at the problem.
    let multi = format!("<tmx version=\"1.4\">\n{HEADER}\n<body>\n{tu}\n<tu>\n<tuv xml:lang=\"en\"><seg>x</seg></tuv>\n</tu>\n</body></tmx>");
    let err = read_tmx(Cursor::new(multi.as_bytes())).unwrap_err();
    assert_eq!(err.line, 7, "{err}");
    // The *all* source language takes the first variant.
    let all = format!(
        "<tmx version=\"1.4\">{}<body><tu><tuv xml:lang=\"en\"><seg>Hi</seg></tuv><tuv xml:lang=\"fr\"><seg>Salut</seg></tuv></tu></body></tmx>",
        HEADER.replace("zh-Hans", "*all*")
    );
    let doc = read_tmx(Cursor::new(all.as_bytes())).unwrap();
    assert_eq!(doc.units[0].source_tuv().unwrap().lang, "en");
}
