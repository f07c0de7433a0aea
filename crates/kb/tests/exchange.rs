//! Round trips and foreign documents for the SKOS JSON-LD and TBX-Basic exchange formats.

// Tests may panic (see the workspace lint note).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_kb::skos::{self, ExchangeError};
use qiantang_kb::{
    tbx, Concept, HeritageFact, Label, LabelKind, Provenance, Rendering, Status, Strategy,
};
use std::collections::BTreeMap;

const BASE: &str = "https://example.org/kb/";

fn label(lang: &str, text: &str, kind: LabelKind) -> Label {
    Label {
        lang: lang.into(),
        text: text.into(),
        kind,
    }
}

fn concept(id: &str, category: &str, labels: Vec<Label>, broader: &[&str]) -> Concept {
    Concept {
        id: id.into(),
        category: category.into(),
        labels,
        definition: BTreeMap::new(),
        broader: broader.iter().map(|b| b.to_string()).collect(),
        regions: Vec::new(),
        heritage: None,
        provenance: Provenance::default(),
    }
}

fn rendering(
    concept: &str,
    lang: &str,
    market: Option<&str>,
    strategy: Strategy,
    text: &str,
) -> Rendering {
    Rendering {
        concept: concept.into(),
        lang: lang.into(),
        market: market.map(str::to_string),
        strategy,
        text: text.into(),
        gloss: None,
        status: Status::Draft,
    }
}

/// Hand-made concepts exercising every field.
fn sample() -> (Vec<Concept>, Vec<Rendering>) {
    use LabelKind::{Alt, Pref};
    let mut root = concept(
        "root.culture",
        "root",
        vec![label("zh-Hans", "文化", Pref), label("en", "Culture", Pref)],
        &[],
    );
    root.provenance.source = "Qiantang seed".into();

    let mut buddhism = concept(
        "religion.buddhism",
        "religion",
        vec![
            label("zh-Hans", "佛教", Pref),
            label("en", "Buddhism", Pref),
        ],
        &["root.culture"],
    );
    // A definition in a language without labels (conceptEntry-level in TBX).
    buddhism
        .definition
        .insert("fr".into(), "Religion fondée par le Bouddha.".into());
    buddhism
        .definition
        .insert("en".into(), "A religion.".into());

    let mut jigong = concept(
        "person.jigong",
        "person",
        vec![
            label("zh-Hans", "济公", Pref),
            label("en", "Jigong <the \"mad\" monk> & 'friends'", Pref),
            label("zh-Hans", "济颠", Alt),
            label("zh-Latn-pinyin", "Jìgōng", Pref),
            label("en", "Daoji", Alt),
            label("zh-Hant", "濟公", Pref),
        ],
        &["root.culture", "religion.buddhism"],
    );
    jigong.definition.insert(
        "en".into(),
        "A Song-dynasty monk of Hangzhou; <eccentric> & \"beloved\" 'saint'.".into(),
    );
    jigong
        .definition
        .insert("zh-Hans".into(), "南宋杭州灵隐寺僧人。".into());
    jigong.regions = vec!["CN-ZJ".into(), "杭州 & <西湖>".into()];
    jigong.heritage = Some(HeritageFact {
        code: "X-84".into(),
        category: "民俗".into(),
        batch: 2,
        year: 2008,
        entry_type: "new".into(),
        region: "浙江省天台县".into(),
        protection_unit: "天台县文化馆 <&>".into(),
    });
    jigong.provenance = Provenance {
        source: "Test & <source> \"quoted\"".into(),
        status: Status::Reviewed,
    };

    // Only alternative labels, no definition.
    let alt_only = concept(
        "ich.viii-9",
        "heritage",
        vec![label("zh-Hans", "西湖绸伞", Alt)],
        &["root.culture"],
    );
    // No labels at all.
    let bare = concept("9.bare", "craft", Vec::new(), &[]);

    let mut r_pt = rendering(
        "person.jigong",
        "pt",
        Some("BR"),
        Strategy::TransliterateGloss,
        "Jigong",
    );
    r_pt.gloss = Some("o monge <louco> & \"sábio\"".into());
    r_pt.status = Status::Reviewed;
    let renderings = vec![
        rendering(
            "person.jigong",
            "en",
            None,
            Strategy::Translate,
            "the Mad Monk",
        ),
        r_pt,
        rendering(
            "person.jigong",
            "vi",
            None,
            Strategy::Transliterate,
            "Tế Công",
        ),
        rendering(
            "person.jigong",
            "es-US",
            Some("US"),
            Strategy::Substitute,
            "el monje loco",
        ),
        rendering("root.culture", "ja", Some("JP"), Strategy::Keep, "文化"),
    ];
    (vec![root, buddhism, jigong, alt_only, bare], renderings)
}

fn sorted(
    mut concepts: Vec<Concept>,
    mut renderings: Vec<Rendering>,
) -> (Vec<Concept>, Vec<Rendering>) {
    concepts.sort_by(|a, b| a.id.cmp(&b.id));
    renderings.sort_by(|a, b| {
        (&a.concept, &a.lang, &a.market, &a.text).cmp(&(&b.concept, &b.lang, &b.market, &b.text))
    });
    (concepts, renderings)
}

fn skos_round_trip(
    concepts: &[Concept],
    renderings: &[Rendering],
) -> (Vec<Concept>, Vec<Rendering>) {
    let doc = skos::export(concepts, renderings, BASE);
    let text = serde_json::to_string_pretty(&doc).expect("serialise JSON-LD");
    skos::import(&text).expect("import exported SKOS")
}

fn tbx_round_trip(
    concepts: &[Concept],
    renderings: &[Rendering],
) -> (Vec<Concept>, Vec<Rendering>) {
    let xml = tbx::export(concepts, renderings);
    tbx::import(&xml).unwrap_or_else(|e| panic!("import exported TBX: {e}\n{xml}"))
}

#[test]
fn skos_round_trip_sample() {
    let (concepts, renderings) = sample();
    let (c2, r2) = skos_round_trip(&concepts, &renderings);
    assert_eq!(sorted(c2, r2), sorted(concepts, renderings));
}

#[test]
fn tbx_round_trip_sample() {
    let (concepts, renderings) = sample();
    let (c2, r2) = tbx_round_trip(&concepts, &renderings);
    assert_eq!(sorted(c2, r2), sorted(concepts, renderings));
}

#[test]
fn skos_export_shape() {
    let (concepts, renderings) = sample();
    let doc = skos::export(&concepts, &renderings, BASE);
    assert_eq!(doc["@context"]["skos"], skos::SKOS_NS);
    let graph = doc["@graph"].as_array().expect("@graph array");
    assert_eq!(graph[0]["@type"], "skos:ConceptScheme");
    let jigong = graph
        .iter()
        .find(|n| n["skos:notation"] == "person.jigong")
        .expect("jigong node");
    assert_eq!(jigong["@id"], "https://example.org/kb/person.jigong");
    assert_eq!(
        jigong["skos:prefLabel"][0],
        serde_json::json!({"@value": "济公", "@language": "zh-Hans"})
    );
    assert_eq!(
        jigong["skos:broader"][1]["@id"],
        "https://example.org/kb/religion.buddhism"
    );
    assert!(jigong.get("skos:topConceptOf").is_none());
    let root = graph
        .iter()
        .find(|n| n["skos:notation"] == "root.culture")
        .expect("root node");
    assert_eq!(root["skos:topConceptOf"]["@id"], BASE);
    let narrower: Vec<&str> = root["skos:narrower"]
        .as_array()
        .expect("narrower")
        .iter()
        .filter_map(|n| n["@id"].as_str())
        .collect();
    assert!(narrower.contains(&"https://example.org/kb/person.jigong"));
}

#[test]
fn tbx_export_shape_and_escaping() {
    let (concepts, renderings) = sample();
    let xml = tbx::export(&concepts, &renderings);
    assert!(xml.contains(
        r#"<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">"#
    ));
    assert!(xml.contains(r#"<conceptEntry id="person.jigong">"#));
    assert!(xml.contains(r#"<descrip type="subjectField">person</descrip>"#));
    assert!(xml.contains(r#"<langSec xml:lang="pt-BR">"#));
    assert!(xml.contains(r#"<langSec xml:lang="es-US">"#));
    assert!(xml.contains(r#"<ref type="crossReference" target="religion.buddhism">"#));
    assert!(xml.contains("<note>qiantang:broader=root.culture</note>"));
    assert!(
        xml.contains(r#"<termNote type="administrativeStatus">preferredTerm-admn-sts</termNote>"#)
    );
    assert!(xml.contains(r#"<term>Jigong &lt;the "mad" monk&gt; &amp; 'friends'</term>"#));
    assert!(!xml.contains("<the"));
}

#[test]
fn seed_round_trips() {
    let mut seed = qiantang_kb::seed::load().expect("seed parses");
    let known: std::collections::HashSet<String> =
        seed.concepts.iter().map(|c| c.id.clone()).collect();
    let dangling = seed
        .concepts
        .iter()
        .any(|c| c.broader.iter().any(|b| !known.contains(b)));
    if dangling {
        // The seed is incomplete (e.g. ICH entries whose category concepts
        // are not there yet): both importers must say so, naming the link…
        let doc = skos::export(&seed.concepts, &seed.renderings, BASE);
        assert!(matches!(
            skos::import(&doc.to_string()),
            Err(ExchangeError::DanglingBroader { .. })
        ));
        let xml = tbx::export(&seed.concepts, &seed.renderings);
        assert!(matches!(
            tbx::import(&xml),
            Err(ExchangeError::DanglingBroader { .. })
        ));
        // …and everything else must still round-trip.
        eprintln!("seed has dangling broader links; round-tripping it without them");
        for c in &mut seed.concepts {
            c.broader.retain(|b| known.contains(b));
        }
    }
    for (name, (c2, r2)) in [
        ("skos", skos_round_trip(&seed.concepts, &seed.renderings)),
        ("tbx", tbx_round_trip(&seed.concepts, &seed.renderings)),
    ] {
        assert_eq!(c2.len(), seed.concepts.len(), "{name}: concept count");
        // Renderings of concepts outside the seed are not exported.
        let expected_renderings: Vec<Rendering> = seed
            .renderings
            .iter()
            .filter(|r| known.contains(&r.concept))
            .cloned()
            .collect();
        assert_eq!(
            r2.len(),
            expected_renderings.len(),
            "{name}: rendering count"
        );
        if !seed.concepts.is_empty() {
            assert!(!c2.is_empty(), "{name}: at least one concept");
        }
        assert_eq!(
            sorted(c2, r2),
            sorted(seed.concepts.clone(), expected_renderings),
            "{name}: seed round trip"
        );
    }
}

/// A TBX-Basic file in the style CAT tools (MultiTerm, IATE exports…) produce.
const FOREIGN_TBX: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<?xml-model href="https://example.org/TBX-Basic.rng" type="application/xml"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed:3.0">
  <tbxHeader>
    <fileDesc>
      <sourceDesc>
        <p>TBX file, created via
           MultiTerm Export</p>
      </sourceDesc>
    </fileDesc>
  </tbxHeader>
  <text>
    <body>
      <conceptEntry id="C_1">
        <transacGrp>
          <transac type="transactionType">origination</transac>
          <date>2010-04-17</date>
        </transacGrp>
        <descrip type="subjectField">Tea</descrip>
        <xref type="xGraphic" target="https://example.org/tea.jpg">tea.jpg</xref>
        <note>G-Source: somewhere</note>
        <langSec xml:lang="en">
          <descripGrp>
            <descrip type="definition">A green tea from
              Hangzhou &amp; its hills.</descrip>
            <admin type="source">Oxford2007</admin>
          </descripGrp>
          <termSec>
            <term>Longjing tea</term>
            <termNote type="partOfSpeech">noun</termNote>
            <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote>
          </termSec>
          <termSec>
            <term>Dragon Well tea</term>
            <termNote type="administrativeStatus">admittedTerm-admn-sts</termNote>
          </termSec>
          <termSec>
            <term>Lung Ching</term>
            <termNote type="administrativeStatus">supersededTerm-admn-sts</termNote>
          </termSec>
        </langSec>
        <langSec xml:lang="zh-cn">
          <termSec>
            <term><![CDATA[龙井茶]]></term>
          </termSec>
          <termSec>
            <term>龙井</term>
          </termSec>
        </langSec>
      </conceptEntry>
      <conceptEntry id="c2">
        <descrip type="subjectField">Stellar Birth</descrip>
        <langSec xml:lang="es">
          <termSec><term>disco de acreción</term></termSec>
        </langSec>
      </conceptEntry>
      <conceptEntry>
        <langSec xml:lang="de"><termSec><term>Seide</term></termSec></langSec>
      </conceptEntry>
    </body>
  </text>
</tbx>
"#;

#[test]
fn foreign_tbx_imports() {
    let (concepts, renderings) = tbx::import(FOREIGN_TBX).expect("foreign TBX imports");
    assert!(renderings.is_empty());
    assert_eq!(concepts.len(), 3);
    let tea = &concepts[0];
    assert_eq!(tea.id, "c-1");
    assert_eq!(tea.category, "tea");
    assert_eq!(
        tea.definition.get("en").map(String::as_str),
        Some("A green tea from Hangzhou & its hills.")
    );
    assert_eq!(tea.pref_label("en"), Some("Longjing tea"));
    assert_eq!(tea.pref_label("zh-CN"), Some("龙井茶"));
    let alts: Vec<&str> = tea
        .labels
        .iter()
        .filter(|l| l.kind == LabelKind::Alt)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(alts, ["Dragon Well tea", "Lung Ching", "龙井"]);
    assert_eq!(
        tea.provenance.source,
        "TBX file, created via MultiTerm Export"
    );
    assert_eq!(tea.provenance.status, Status::Draft);
    assert!(tea.broader.is_empty() && tea.regions.is_empty() && tea.heritage.is_none());
    assert_eq!(concepts[1].id, "c2");
    assert_eq!(concepts[1].category, skos::DEFAULT_CATEGORY);
    assert_eq!(concepts[2].id, "tbx-3");
    assert_eq!(concepts[2].pref_label("de"), Some("Seide"));
}

#[test]
fn foreign_tbx_v2_imports() {
    let xml = r#"<?xml version="1.0"?>
<martif type="TBX" xml:lang="en-US">
  <martifHeader><fileDesc><sourceDesc><p>Glossary</p></sourceDesc></fileDesc></martifHeader>
  <text><body>
    <termEntry id="jianghu">
      <langSet xml:lang="en-us">
        <ntig><termGrp><term>martial world</term></termGrp></ntig>
      </langSet>
      <langSet xml:lang="zh_hans">
        <tig><term>江湖</term></tig>
      </langSet>
    </termEntry>
  </body></text>
</martif>"#;
    let (concepts, _) = tbx::import(xml).expect("TBX v2 imports");
    assert_eq!(concepts.len(), 1);
    assert_eq!(concepts[0].id, "jianghu");
    assert_eq!(concepts[0].pref_label("en-US"), Some("martial world"));
    assert_eq!(concepts[0].pref_label("zh-Hans"), Some("江湖"));
    assert_eq!(concepts[0].provenance.source, "Glossary");
}

#[test]
fn malformed_tbx_is_an_error_with_position() {
    let xml =
        "<tbx>\n  <text><body>\n    <conceptEntry id=\"a\"></langSec>\n  </body></text>\n</tbx>";
    match tbx::import(xml) {
        Err(ExchangeError::Xml { line, column, .. }) => {
            assert_eq!(line, 3);
            assert!(column > 1);
        }
        other => panic!("expected XML error, got {other:?}"),
    }
    // Truncated document.
    assert!(matches!(
        tbx::import("<tbx><text><body><conceptEntry id=\"a\">"),
        Err(ExchangeError::Xml { .. })
    ));
    // Garbage and unknown entities never panic.
    for bad in [
        "",
        "not xml at all",
        "<tbx>&nbsp;</tbx>",
        "<tbx a=\"1></tbx>",
        "<<<>>>",
    ] {
        assert!(tbx::import(bad).is_err(), "{bad:?} should fail");
    }
    // Well-formed, but not TBX.
    assert!(matches!(
        tbx::import("<html><body/></html>"),
        Err(ExchangeError::Format { .. })
    ));
}

#[test]
fn duplicate_ids_are_errors() {
    let xml = r#"<tbx><text><body>
        <conceptEntry id="a"><langSec xml:lang="en"><termSec><term>A</term></termSec></langSec></conceptEntry>
        <conceptEntry id="A"><langSec xml:lang="en"><termSec><term>B</term></termSec></langSec></conceptEntry>
    </body></text></tbx>"#;
    match tbx::import(xml) {
        Err(ExchangeError::DuplicateId { id }) => assert_eq!(id, "a"),
        other => panic!("expected duplicate id, got {other:?}"),
    }

    let c = concept(
        "tea.longjing",
        "tea",
        vec![label("en", "Longjing", LabelKind::Pref)],
        &[],
    );
    let doc = skos::export(&[c.clone(), c], &[], BASE);
    match skos::import(&doc.to_string()) {
        Err(ExchangeError::DuplicateId { id }) => assert_eq!(id, "tea.longjing"),
        other => panic!("expected duplicate id, got {other:?}"),
    }
}

#[test]
fn dangling_broader_is_an_error() {
    let c = concept(
        "tea.longjing",
        "tea",
        vec![label("en", "Longjing", LabelKind::Pref)],
        &["tea.green"],
    );
    let doc = skos::export(std::slice::from_ref(&c), &[], BASE);
    let err = skos::import(&doc.to_string()).expect_err("dangling broader");
    assert!(
        matches!(&err, ExchangeError::DanglingBroader { id, broader } if id == "tea.longjing" && broader == "tea.green"),
        "{err:?}"
    );
    assert!(err.to_string().contains("tea.longjing"));

    let xml = tbx::export(&[c], &[]);
    let err = tbx::import(&xml).expect_err("dangling broader");
    assert!(
        matches!(&err, ExchangeError::DanglingBroader { id, broader } if id == "tea.longjing" && broader == "tea.green"),
        "{err:?}"
    );
}

#[test]
fn invalid_notation_is_an_error() {
    let json = r#"{"@context": {"skos": "http://www.w3.org/2004/02/skos/core#"},
        "@graph": [{"@id": "http://x/A", "@type": "skos:Concept", "skos:notation": "Not Valid!",
                    "skos:prefLabel": "A"}]}"#;
    assert!(matches!(
        skos::import(json),
        Err(ExchangeError::InvalidId { id }) if id == "Not Valid!"
    ));
    assert!(matches!(
        skos::import("{not json"),
        Err(ExchangeError::Json(_))
    ));
}

#[test]
fn foreign_skos_imports() {
    let json = r#"{
      "@context": {
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "ex": "http://example.org/thes/",
        "id": "@id",
        "type": "@type",
        "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
        "broader": {"@id": "skos:broader", "@type": "@id"}
      },
      "@graph": [
        {"id": "ex:scheme", "type": "skos:ConceptScheme"},
        {"id": "ex:Tea", "type": "skos:Concept",
         "prefLabel": {"en": "tea", "zh-hans": "茶"},
         "skos:altLabel": "cha",
         "skos:hiddenLabel": {"@value": "chá", "@language": "pt"},
         "skos:definition": {"@value": "A drink made from leaves.", "@language": "en"},
         "skos:inScheme": {"@id": "ex:scheme"}},
        {"id": "ex:Longjing_Tea", "type": ["skos:Concept"],
         "skos:notation": "tea.longjing",
         "prefLabel": {"en": "Longjing tea"},
         "broader": "ex:Tea"}
      ]
    }"#;
    let (concepts, renderings) = skos::import(json).expect("foreign SKOS imports");
    assert!(renderings.is_empty());
    assert_eq!(concepts.len(), 2);
    let tea = &concepts[0];
    assert_eq!(tea.id, "tea");
    assert_eq!(tea.pref_label("en"), Some("tea"));
    assert_eq!(tea.pref_label("zh-Hans"), Some("茶"));
    assert!(tea.labels.contains(&label("en", "cha", LabelKind::Alt)));
    assert!(tea.labels.contains(&label("pt", "chá", LabelKind::Alt)));
    assert_eq!(
        tea.definition.get("en").map(String::as_str),
        Some("A drink made from leaves.")
    );
    assert_eq!(tea.category, skos::DEFAULT_CATEGORY);
    assert_eq!(tea.provenance.status, Status::Draft);
    assert_eq!(concepts[1].id, "tea.longjing");
    assert_eq!(concepts[1].broader, ["tea"]);

    // No context at all, full IRIs, a single node per property, narrower only.
    let json = r#"[
      {"@id": "http://x.org/a", "@type": "http://www.w3.org/2004/02/skos/core#Concept",
       "http://www.w3.org/2004/02/skos/core#prefLabel": "Alpha",
       "http://www.w3.org/2004/02/skos/core#narrower": [{"@id": "http://x.org/b"}, {"@id": "http://x.org/elsewhere"}]},
      {"@id": "http://x.org/b", "@type": "http://www.w3.org/2004/02/skos/core#Concept",
       "http://www.w3.org/2004/02/skos/core#prefLabel": {"@value": "Beta", "@language": "EN-gb"}}
    ]"#;
    let (concepts, _) = skos::import(json).expect("expanded SKOS imports");
    assert_eq!(concepts[0].id, "a");
    assert_eq!(concepts[0].labels, [label("en", "Alpha", LabelKind::Pref)]);
    assert_eq!(concepts[1].broader, ["a"]);
    assert_eq!(concepts[1].pref_label("en-GB"), Some("Beta"));
}

#[test]
fn truncated_documents_are_errors_not_panics() {
    let (concepts, renderings) = sample();
    let xml = tbx::export(&concepts, &renderings);
    let json = skos::export(&concepts, &renderings, BASE).to_string();
    let complete_xml = xml.trim_end().len();
    for (cut, _) in xml.char_indices().step_by(3) {
        if cut < complete_xml {
            assert!(
                tbx::import(&xml[..cut]).is_err(),
                "TBX prefix of {cut} bytes"
            );
        }
    }
    for (cut, _) in json.char_indices().step_by(3) {
        assert!(
            skos::import(&json[..cut]).is_err(),
            "JSON prefix of {cut} bytes"
        );
    }
}
