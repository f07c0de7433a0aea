//! QA checks, table-driven, plus the length band on the Tatoeba corpus.

use qiantang_l10n::qa::{
    check_segment, length_band, project_checks, CheckId, Finding, Severity, TermRequirement,
};

fn req(source: &str, required: &str, forbidden: &[&str], locked: bool) -> TermRequirement {
    TermRequirement {
        source: source.into(),
        required: vec![required.into()],
        forbidden: forbidden.iter().map(|s| s.to_string()).collect(),
        locked,
    }
}

fn label(f: &Finding) -> String {
    format!("{}/{}", f.check.as_str(), f.severity.as_str())
}

/// Runs the checks and compares the findings (as `check/severity`, sorted)
/// with `expect`; returns the findings for further asserts.
fn check_terms(
    source: &str,
    target: &str,
    locale: &str,
    terms: &[TermRequirement],
    expect: &[&str],
) -> Vec<Finding> {
    let found = check_segment(source, target, locale, terms);
    let mut got: Vec<String> = found.iter().map(label).collect();
    got.sort();
    let mut want: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{source:?} → {target:?} ({locale}): {found:#?}");
    found
}

fn check(source: &str, target: &str, locale: &str, expect: &[&str]) -> Vec<Finding> {
    check_terms(source, target, locale, &[], expect)
}

/// The fix of the one finding of `id`, applied; the fixed target must pass that check.
fn fixed(
    source: &str,
    target: &str,
    locale: &str,
    terms: &[TermRequirement],
    id: CheckId,
) -> String {
    let found = check_segment(source, target, locale, terms);
    let f = found
        .iter()
        .find(|f| f.check == id)
        .unwrap_or_else(|| panic!("no {id:?} in {found:#?}"));
    let fixed = f.fix.clone().unwrap().target;
    let again = check_segment(source, &fixed, locale, terms);
    assert!(
        again.iter().all(|f| f.check != id),
        "fix of {id:?} did not fix: {again:#?}"
    );
    fixed
}

#[test]
fn table() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        // Clean.
        ("他来了。", "He came.", "en", &[]),
        ("他来了。", "Anh ấy đến rồi.", "vi", &[]),
        // Empty and untranslated.
        ("他来了。", "", "en", &["empty/error"]),
        ("他来了。", "   ", "en", &["empty/error"]),
        ("他来了。", "他来了。", "en", &["untranslated/error"]),
        ("西湖。", "西湖。", "zh-Hant-TW", &["untranslated/info"]),
        ("……", "……", "en", &[]),
        // Leftover Han, also in Korean.
        ("他来了。", "He 来 came.", "en", &["leftover_han/error"]),
        ("西湖很美。", "西湖는 아름답다.", "ko", &["leftover_han/error"]),
        ("西湖很美。", "西湖は美しい。", "ja", &[]),
        // Numbers: Arabic strict, Chinese numerals converted, English words lenient.
        ("他走了二百五十里路。", "He walked 250 li.", "en", &[]),
        ("三十个人来了。", "30 people came.", "en", &[]),
        ("三十个人来了。", "Thirty people came.", "en", &["numbers/info"]),
        ("三十个人来了。", "31 people came.", "en", &["numbers/info", "numbers/warning"]),
        ("我有3个苹果。", "I have three apples.", "en", &[]),
        ("我有3个苹果。", "I have 4 apples.", "en", &["numbers/warning", "numbers/warning"]),
        ("我有3个苹果。", "Tôi có 3 quả táo.", "vi", &[]),
        ("价格是1,000元。", "The price is 1000 yuan.", "en", &[]),
        ("一个人来了。", "A man came.", "en", &[]),
        ("第一回开始。", "Chapter one begins.", "en", &[]),
        ("来了三五个人。", "A few people came.", "en", &[]),
        ("他十分高兴。", "He was very happy.", "en", &[]),
        ("三十个人来了。", "三十個人來了。", "zh-Hant-TW", &[]),
        ("公元一九四九年", "In the year 1949 AD", "en", &[]),
        // Placeholders and markup.
        ("你好，{name}！", "Hello, {name}!", "en", &[]),
        ("你好，{name}！", "Hello, {nom}!", "en", &["placeholders/error"]),
        ("共%d个，%s。", "%s: %d in all.", "en", &[]),
        ("共%d个。", "In all: %s.", "en", &["placeholders/error"]),
        ("<b>注意</b>安全！", "<b>Caution</b>, stay safe!", "en", &[]),
        ("<b>注意</b>安全！", "Caution, stay safe!", "en", &["placeholders/error"]),
        ("第一行\\n第二行", "Line one\\nline two", "en", &[]),
        ("第一行\\n第二行", "Line one line two", "en", &["placeholders/error"]),
        ("利润是百分之五十。", "The profit is 50%.", "en", &[]),
        ("利润是百分之五十。", "The profit is 60%.", "en", &["numbers/info", "numbers/warning"]),
        // Length ratio.
        ("他走了二百五十里路。", "Walked.", "en", &["length_ratio/warning", "numbers/info"]),
        ("他来了。", "Came.", "en", &[]), // source under 5 characters: not checked
        ("他们来了很久了。", "They came a long time ago, and then they stayed for many, many, many, many more years in the city.", "en", &["length_ratio/warning"]),
        ("他们来了很久了。", "他們來了很久了，真的很久很久很久了。", "zh-Hant-TW", &["length_ratio/warning"]),
        // Spacing and punctuation.
        ("他来了。", "He  came.", "en", &["double_space/warning"]),
        ("他说：好。", "He said：good。", "en", &["full_width_punct/warning"]),
        ("他说：好。", "彼は言った：良い。", "ja", &[]),
        ("他说：好。", "他說：好。", "zh-Hant-TW", &[]),
        ("他来了。", " He came. ", "en", &["whitespace/warning"]),
        ("他来了。", "He came.\n", "en", &["whitespace/warning", "placeholders/error"]),
        // Brackets and quotes.
        ("他说：“走吧。”", "He said: “Let's go.", "en", &["brackets/warning"]),
        ("他说：“走吧。”", "He said: \"Let's go.", "en", &["brackets/warning"]),
        ("他说：“走吧。”", "He said: “Let’s go.”", "en", &[]),
        ("“走吧，他说", "“Let's go, he said", "en", &[]), // source opener runs over paragraphs
        ("他笑（大笑）。", "He laughed (loudly.", "en", &["brackets/warning"]),
    ];
    for (s, t, l, e) in cases {
        check(s, t, l, e);
    }
}

#[test]
fn terms() {
    let jigong = |forbidden: &[&str], locked| vec![req("济公", "Jigong", forbidden, locked)];
    check_terms(
        "济公笑了。",
        "Jigong laughed.",
        "en",
        &jigong(&[], true),
        &[],
    );
    check_terms(
        "济公笑了。",
        "The monk laughed.",
        "en",
        &jigong(&[], true),
        &["locked_term/error"],
    );
    check_terms(
        "济公笑了。",
        "The monk laughed.",
        "en",
        &jigong(&[], false),
        &["locked_term/info"],
    );
    check_terms(
        "济公笑了。",
        "Ji Gong laughed.",
        "en",
        &jigong(&["Ji Gong"], true),
        &["locked_term/error", "forbidden_term/error"],
    );
    check_terms(
        "济公笑了。",
        "Ji Gong laughed.",
        "en",
        &jigong(&["Ji Gong"], false),
        &["locked_term/info", "forbidden_term/warning"],
    );
    assert_eq!(
        fixed(
            "济公笑了。",
            "Ji Gong laughed at Ji Gong.",
            "en",
            &jigong(&["Ji Gong"], true),
            CheckId::ForbiddenTerm
        ),
        "Jigong laughed at Jigong."
    );
    // A forbidden form inside the required one is not a violation.
    let glossed = vec![req(
        "济公",
        "Jigong (the mad monk of Hangzhou)",
        &["mad monk"],
        false,
    )];
    check_terms(
        "济公笑了。",
        "Jigong (the mad monk of Hangzhou) laughed.",
        "en",
        &glossed,
        &[],
    );
    // Footnote markers written by the adapter are neither placeholders nor numbers.
    let footnoted = vec![req("济公", "Jigong[^fn-g7]", &[], true)];
    check_terms(
        "济公笑了三声。",
        "Jigong[^fn-g7] laughed three times.",
        "en",
        &footnoted,
        &[],
    );
    check_terms(
        "济公笑了三声。",
        "Jigong laughed 4 times.",
        "en",
        &footnoted,
        &["locked_term/error", "numbers/info", "numbers/warning"],
    );
    // Han characters that are the required form (a keep rule) are not leftovers.
    let keep = vec![req("济公", "济公", &[], false)];
    check_terms("济公笑了。", "济公 laughed loudly.", "en", &keep, &[]);
    check_terms(
        "济公笑了。",
        "济公 laughed 了.",
        "en",
        &keep,
        &["leftover_han/error"],
    );
}

#[test]
fn fixes_are_mechanical_and_clean() {
    let cases: &[(&str, &str, CheckId, &str)] = &[
        (
            "他来了。",
            "He  came   home.",
            CheckId::DoubleSpace,
            "He came home.",
        ),
        (
            "他说：好。",
            "He said：good。",
            CheckId::FullWidthPunct,
            "He said: good.",
        ),
        (
            "他说：好，走吧！",
            "He said，good ，let's go！",
            CheckId::FullWidthPunct,
            "He said, good, let's go!",
        ),
        (
            "他笑了（大笑）。",
            "He laughed（loudly）。",
            CheckId::FullWidthPunct,
            "He laughed (loudly).",
        ),
        (
            "十二点三十分。",
            "At 12：30。",
            CheckId::FullWidthPunct,
            "At 12:30.",
        ),
        (
            "他说：“走吧。”",
            "He said：“Let's go。”",
            CheckId::FullWidthPunct,
            "He said: “Let's go.”",
        ),
        ("他来了。", "  He came. ", CheckId::Whitespace, "He came."),
    ];
    for (s, t, id, want) in cases {
        assert_eq!(fixed(s, t, "en", &[], *id), *want, "{t:?}");
    }
    let f = check("他来了。", "He  came.", "en", &["double_space/warning"]);
    assert_eq!(f[0].span, Some((2, 2)));
}

#[test]
fn severity_and_check_names() {
    assert_eq!(Severity::Warning.as_str(), "warning");
    assert_eq!(CheckId::FullWidthPunct.as_str(), "full_width_punct");
    assert_eq!(CheckId::LeftoverHan.as_str(), "leftover_han");
}

/// The Latin band keeps every Tatoeba pair with a source of ≥ 5 characters.
#[test]
fn no_tatoeba_pair_gets_a_length_warning() {
    let tsv = String::from_utf8(crate::corpus("parallel/tatoeba_cmn_eng_2000.tsv")).unwrap();
    let (lo, hi) = length_band("en");
    let (mut n, mut min, mut max) = (0, f64::MAX, 0f64);
    for line in tsv.lines() {
        let mut cols = line.split('\t');
        let (en, zh) = (cols.next().unwrap(), cols.next().unwrap());
        let len = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
        if len(zh) >= 5 {
            n += 1;
            let r = len(en) as f64 / len(zh) as f64;
            min = min.min(r);
            max = max.max(r);
        }
        let found = check_segment(zh, en, "en", &[]);
        assert!(
            found.iter().all(|f| f.check != CheckId::LengthRatio),
            "{line}: {found:?}"
        );
    }
    assert_eq!(n, 1934);
    assert!(lo < min && max < hi, "{min} {max}");
    assert!(
        (min - 1.0).abs() < 0.01 && (max - 5.6).abs() < 0.05,
        "{min} {max}"
    );
}

#[test]
fn project_wide_consistency() {
    let segs: Vec<(i64, &str, Option<&str>)> = vec![
        (1, "善哉善哉。", Some("Excellent, excellent.")),
        (2, "善哉善哉。", Some("Excellent, excellent.")),
        (3, "善哉善哉。", Some("Good, good.")),
        (4, "他来了。", None),
        (5, "阿弥陀佛，善哉。", Some("Amitabha, it is good indeed.")),
        (6, "阿弥陀佛。", Some("Amitabha, it is good indeed.")),
        (7, "是。", Some("Yes.")),
        (8, "对。", Some("Yes.")),
        (9, "西湖", Some("西湖")),
    ];
    let found = project_checks(&segs);
    let got: Vec<(i64, String)> = found.iter().map(|(id, f)| (*id, label(f))).collect();
    assert_eq!(
        got,
        vec![
            (3, "inconsistent/warning".to_string()),
            (5, "inconsistent/warning".to_string()),
            (6, "inconsistent/warning".to_string()),
            (7, "inconsistent/info".to_string()),
            (8, "inconsistent/info".to_string()),
        ]
    );
    let fix = found[0].1.fix.clone().unwrap();
    assert_eq!(fix.target, "Excellent, excellent.");
    assert!(
        found[0].1.message.contains("«Good, good.» ×1"),
        "{}",
        found[0].1.message
    );
}
