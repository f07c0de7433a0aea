//! Import tests against the real corpus in `shared/corpus` (read-only, see
//! its SOURCES.md) plus small texts made here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_works::import::{
    decode, parse_novel, ErrorKind, ImportOptions, ParsedNovel, SourceFormat, MAX_CHAPTER_CHARS,
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/");

fn corpus(rel: &str) -> Vec<u8> {
    let path = format!("{CORPUS}{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn parse(name: &str, bytes: &[u8]) -> ParsedNovel {
    parse_novel(name, bytes, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{name} should parse: {e}"))
}

fn parse_err(name: &str, bytes: &[u8]) -> (ErrorKind, String) {
    match parse_novel(name, bytes, &ImportOptions::default()) {
        Ok(p) => panic!(
            "{name} should fail, got {} chapters ({})",
            p.chapters.len(),
            p.encoding
        ),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
            (e.kind, msg)
        }
    }
}

fn with_pattern(p: &str) -> ImportOptions {
    ImportOptions {
        heading_pattern: Some(p.to_owned()),
    }
}

fn titles(p: &ParsedNovel) -> Vec<&str> {
    p.chapters.iter().map(|c| c.title.as_str()).collect()
}

fn assert_numbered(p: &ParsedNovel) {
    for (i, c) in p.chapters.iter().enumerate() {
        assert_eq!(c.number as usize, i + 1);
        assert_eq!(c.title, c.title.trim());
        assert!(!c.text.contains("\n\n"), "blank line kept in {}", c.title);
        assert!(!c.text.contains('\r'));
        for line in c.text.lines() {
            assert_eq!(line, line.trim(), "untrimmed paragraph in {}", c.title);
        }
    }
}

fn jigong() -> ParsedNovel {
    parse(
        "jigong_quanzhuan.txt",
        &corpus("novels_zh/jigong_quanzhuan.txt"),
    )
}

// ---------- real corpus ----------

#[test]
fn jigong_240_chapters_utf8() {
    let p = jigong();
    assert_eq!(p.format, SourceFormat::Txt);
    assert_eq!(p.encoding, "UTF-8");
    assert_eq!(p.chapters.len(), 240);
    assert!(
        p.chapters[0].title.starts_with("第一回"),
        "{}",
        p.chapters[0].title
    );
    assert_eq!(p.chapters[0].title, "第一回 李节度拜佛求子 真罗汉降世投胎");
    assert!(p.chapters[0].text.starts_with("话说南宋自南渡以来"));
    assert!(p.chapters[239].title.starts_with("第二百四十回"));
    assert!(p.chapters.iter().all(|c| !c.text.is_empty()));
    assert!(p.title.is_none() && p.author.is_none());
    assert_numbered(&p);
    // No text lost: every non-blank line of the file is a title or a paragraph.
    let raw = String::from_utf8(corpus("novels_zh/jigong_quanzhuan.txt")).unwrap();
    let lines = raw.lines().filter(|l| !l.trim().is_empty()).count();
    let got: usize = p.chapters.iter().map(|c| 1 + c.text.lines().count()).sum();
    assert_eq!(got, lines);
}

#[test]
fn xiyouji_gb18030_101_chapters() {
    let p = parse(
        "xiyouji_journey_to_the_west.gb18030.txt",
        &corpus("novels_zh/xiyouji_journey_to_the_west.gb18030.txt"),
    );
    assert_eq!(p.encoding, "GB18030");
    assert_eq!(p.chapters.len(), 101);
    assert!(p.chapters[0].title.starts_with("第一回"));
    assert!(p.chapters[99].title.starts_with("第一百回"));
    let last = p.chapters.last().unwrap();
    assert!(last.title.starts_with("附录"), "{}", last.title);
    assert_eq!(last.title, "附录 陈光蕊赴任逢灾 江流僧复仇报本");
    assert!(!last.text.is_empty());
    assert!(p.chapters[0].text.contains("花果山"));
    assert_numbered(&p);
}

#[test]
fn yushi_mingyan_single_chapter() {
    let p = parse(
        "yushi_mingyan_28_liang_zhu_episode.txt",
        &corpus("novels_zh/yushi_mingyan_28_liang_zhu_episode.txt"),
    );
    assert_eq!(p.chapters.len(), 1);
    assert_eq!(p.chapters[0].title, "第二十八卷 李秀卿义结黄贞女");
    assert!(p.chapters[0].text.contains("祝英台"));
}

// ---------- encodings ----------

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom
        .then_some('\u{FEFF}')
        .into_iter()
        .map(|c| c as u16)
        .chain(text.encode_utf16());
    for u in units {
        let b = if le { u.to_le_bytes() } else { u.to_be_bytes() };
        out.extend_from_slice(&b);
    }
    out
}

fn assert_same_chapters(a: &ParsedNovel, b: &ParsedNovel) {
    assert_eq!(a.chapters.len(), b.chapters.len());
    for (x, y) in a.chapters.iter().zip(&b.chapters) {
        assert_eq!(x, y);
    }
}

#[test]
fn jigong_reencoded_gives_same_chapters() {
    let base = jigong();
    let raw = String::from_utf8(corpus("novels_zh/jigong_quanzhuan.txt")).unwrap();

    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(raw.as_bytes());
    let p = parse("bom.txt", &bom);
    assert_eq!(p.encoding, "UTF-8");
    assert_same_chapters(&base, &p);

    let crlf = raw.replace('\n', "\r\n");
    let p = parse("crlf.txt", crlf.as_bytes());
    assert_same_chapters(&base, &p);

    let cr = raw.replace('\n', "\r");
    let p = parse("cr.txt", cr.as_bytes());
    assert_same_chapters(&base, &p);

    for (le, bom, name) in [
        (true, true, "UTF-16LE"),
        (false, true, "UTF-16BE"),
        (true, false, "UTF-16LE"),
        (false, false, "UTF-16BE"),
    ] {
        let p = parse("u16.txt", &utf16(&crlf, le, bom));
        assert_eq!(p.encoding, name, "le={le} bom={bom}");
        assert_same_chapters(&base, &p);
    }

    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&raw);
    assert!(!unmappable);
    let p = parse("gb.txt", &gb);
    assert_eq!(p.encoding, "GB18030");
    assert_same_chapters(&base, &p);
}

/// Public-domain opening of 西遊記 in Traditional characters (typed here),
/// three chapters, GBK-free: encoded as Big5.
const TRADITIONAL: &str = concat!(
    "第一回　靈根育孕源流出　心性修持大道生\n",
    "　　詩曰：混沌未分天地亂，茫茫渺渺無人見。自從盤古破鴻濛，開闢從茲清濁辨。覆載群生仰至仁，發明萬物皆成善。欲知造化會元功，須看西遊釋厄傳。\n",
    "　　蓋聞天地之數，有十二萬九千六百歲為一元。將一元分為十二會，乃子、丑、寅、卯、辰、巳、午、未、申、酉、戌、亥之十二支也。每會該一萬八百歲。\n",
    "第二回　悟徹菩提真妙理　斷魔歸本合元神\n",
    "　　話表美猴王得了姓名，怡然踴躍，對菩提前作禮啟謝。那祖師即命大眾引孫悟空出二門外，教他灑掃應對，進退周旋之節。眾仙奉行而出。\n",
    "第三回　四海千山皆拱伏　九幽十類盡除名\n",
    "　　卻說美猴王榮歸故里，自剿了混世魔王，奪了一口大刀，逐日操演武藝，教小猴砍竹為標，削木為刀，治旗旛，打哨子，一進一退，安營下寨，頑耍多時。\n",
);

#[test]
fn big5_traditional_sample() {
    let (big5, _, unmappable) = encoding_rs::BIG5.encode(TRADITIONAL);
    assert!(!unmappable, "sample must be encodable in Big5");
    let p = parse("xiyou_big5.txt", &big5);
    assert_eq!(p.encoding, "Big5");
    let utf8 = parse("xiyou.txt", TRADITIONAL.as_bytes());
    assert_same_chapters(&utf8, &p);
    assert_eq!(
        titles(&p),
        vec![
            "第一回　靈根育孕源流出　心性修持大道生",
            "第二回　悟徹菩提真妙理　斷魔歸本合元神",
            "第三回　四海千山皆拱伏　九幽十類盡除名"
        ]
    );
    assert!(p.chapters[0].text.starts_with("詩曰"));
}

/// Japanese sample (own sentences in the manner of a light novel), with
/// chapter headings Qiantang would otherwise split at.
const JAPANESE: &str = concat!(
    "第一章　はじまり\n",
    "　朝、目が覚めると、窓の外はまだ暗かった。僕はゆっくりと起き上がり、冷たい水で顔を洗った。",
    "今日から新しい学校に通うことになっている。知らない町、知らない人たち。少しだけ不安だったが、",
    "それよりも楽しみな気持ちのほうが大きかった。\n",
    "第二章　出会い\n",
    "　駅のホームで電車を待っていると、隣に立っていた女の子が突然こちらを振り向いた。",
    "「あの、もしかして転校生ですか？」と彼女は笑いながら聞いた。僕は驚いて、うまく答えられなかった。\n",
);

/// Korean sample (own sentences), with numbered chapter headings.
const KOREAN: &str = concat!(
    "第一章 시작\n",
    "　옛날 옛적에 한 마을에 가난한 나무꾼이 살고 있었습니다. 그는 매일 산에 올라가 나무를 하고 ",
    "시장에 내다 팔아 어머니를 모시고 살았습니다. 어느 날 나무를 하다가 사슴 한 마리가 숨을 ",
    "헐떡이며 달려오는 것을 보았습니다.\n",
    "第二章 만남\n",
    "　사슴은 사냥꾼에게 쫓기고 있다며 숨겨 달라고 부탁했습니다. 나무꾼은 사슴을 나뭇더미 속에 ",
    "숨겨 주었고, 사냥꾼은 다른 길로 달려가 버렸습니다.\n",
);

fn encode(enc: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, used, unmappable) = enc.encode(text);
    assert_eq!(used, enc, "{} has an encoder", enc.name());
    assert!(!unmappable, "sample must be encodable in {}", enc.name());
    bytes.into_owned()
}

#[test]
fn japanese_and_korean_encodings_are_refused() {
    for (enc, text, name) in [
        (encoding_rs::SHIFT_JIS, JAPANESE, "Shift_JIS"),
        (encoding_rs::EUC_JP, JAPANESE, "EUC-JP"),
        (encoding_rs::ISO_2022_JP, JAPANESE, "ISO-2022-JP"),
        (encoding_rs::EUC_KR, KOREAN, "EUC-KR"),
    ] {
        let file = format!("novel.{}.txt", name.to_lowercase());
        let (k, msg) = parse_err(&file, &encode(enc, text));
        assert_eq!(k, ErrorKind::NotChinese(name.to_owned()), "{msg}");
        assert_eq!(
            msg,
            format!(
                "{file}: detected {name}, not a Chinese encoding; convert the file to UTF-8, \
                 GB18030 or Big5"
            )
        );
    }
    // The same texts in UTF-8 or UTF-16 are not refused: Qiantang checks the
    // encoding, not the language.
    assert_eq!(parse("ja.txt", JAPANESE.as_bytes()).chapters.len(), 2);
    assert_eq!(parse("ko.txt", KOREAN.as_bytes()).chapters.len(), 2);
}

#[test]
fn short_chinese_files_are_not_read_as_japanese_or_korean() {
    for text in [
        "第一章\n　　雨。\n",
        "第一章 开始\n　　他走了。\n",
        "序\n　　这是一本书。\n",
        "第1章 重生\n他醒了。\n第2章 回家\n他回家了。\n",
        "第一卷 上\n第一章 始\n　　正文。\n",
        "山中\n　　山中有寺。\n　　寺中有僧。\n\n水边\n　　水边有桥。\n夜归\n　　月色很好。\n",
        "《济公全传》\n作者：郭小亭\n\n第一回 李节度拜佛求子\n　　话说。\n",
    ] {
        let utf8 = parse("u.txt", text.as_bytes());
        let p = parse("gbk.txt", &encode(encoding_rs::GBK, text));
        assert_eq!(p.encoding, "GB18030", "{text}");
        assert_same_chapters(&utf8, &p);
        if let (big5, _, false) = encoding_rs::BIG5.encode(text) {
            let p = parse("big5.txt", &big5);
            assert_eq!(p.encoding, "Big5", "{text}");
            assert_same_chapters(&utf8, &p);
        }
    }
    let trad = "第一回\n　　話說。\n第二回\n　　詩曰。\n";
    let p = parse("big5.txt", &encode(encoding_rs::BIG5, trad));
    assert_eq!(p.encoding, "Big5");
    assert_same_chapters(&parse("u.txt", trad.as_bytes()), &p);
}

/// The language check behind a Japanese/Korean guess: real Japanese and
/// Korean pass it; GBK bytes misread as Shift_JIS, EUC-JP or EUC-KR do not,
/// so such a file would be read as Chinese rather than refused.
#[test]
fn japanese_korean_language_check() {
    assert!(decode::looks_japanese(JAPANESE));
    assert!(decode::looks_korean(KOREAN));
    assert!(!decode::looks_japanese(KOREAN));
    assert!(!decode::looks_korean(JAPANESE));
    let zh = String::from_utf8(corpus("novels_zh/jigong_quanzhuan.txt")).unwrap();
    let zh: String = zh.chars().take(20_000).collect();
    assert!(!decode::looks_japanese(&zh) && !decode::looks_korean(&zh));
    let gbk = encode(encoding_rs::GBK, &zh);
    for enc in [encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP] {
        let misread = enc.decode_without_bom_handling(&gbk).0;
        assert!(!decode::looks_japanese(&misread), "{}", enc.name());
    }
    let misread = encoding_rs::EUC_KR.decode_without_bom_handling(&gbk).0;
    assert!(!decode::looks_korean(&misread));
    // Big5 cannot be rescued this way (its most common characters sit where
    // EUC-JP has kana and EUC-KR has Hangul): such a file is refused, never
    // imported as mojibake.
    let big5 = encode(encoding_rs::BIG5, TRADITIONAL);
    assert!(decode::looks_japanese(
        &encoding_rs::EUC_JP.decode_without_bom_handling(&big5).0
    ));
}

// ---------- heading forms ----------

#[test]
fn indented_headings_and_arabic_numerals() {
    let t = "　　第1章 重生\n　　他醒了。\n\n  第2章　回家\n　　他回家了。\n第１０章：终\n完。\n";
    let p = parse("a.txt", t.as_bytes());
    assert_eq!(
        titles(&p),
        vec!["第1章 重生", "第2章　回家", "第１０章：终"]
    );
    assert_eq!(p.chapters[0].text, "他醒了。");
    assert_eq!(p.chapters[2].text, "完。");
    assert_numbered(&p);
}

#[test]
fn juan_and_special_sections() {
    let t =
        "序\n　　序文。\n楔子 缘起\n　　楔子文。\n卷一\n　　卷一文。\n卷之二 下\n　　卷二文。\n\
第十节 某\n　　节文。\n尾声\n　　尾声文。\n番外一 花灯\n　　番外文。\n后记\n　　后记文。\n";
    let p = parse("mix.txt", t.as_bytes());
    assert_eq!(
        titles(&p),
        vec![
            "序",
            "楔子 缘起",
            "卷一",
            "卷之二 下",
            "第十节 某",
            "尾声",
            "番外一 花灯",
            "后记"
        ]
    );
    assert!(p.chapters.iter().all(|c| c.text.ends_with("文。")));
}

#[test]
fn long_line_starting_with_di_is_not_a_heading() {
    let t = "第一回 始\n　　正文。\n第一次见面的时候他说了很多话我们都听不懂后来才知道他是从北方来的客人在这里住了三年多一直没有回去的意思他总说\n第二回 终\n　　完。\n";
    let p = parse("b.txt", t.as_bytes());
    assert_eq!(p.chapters.len(), 2);
    assert!(p.chapters[0].text.contains("第一次见面"));
}

#[test]
fn empty_chapter_kept_when_in_file() {
    let t = "第一卷 上\n第一章 始\n　　正文。\n";
    let p = parse("c.txt", t.as_bytes());
    assert_eq!(titles(&p), vec!["第一卷 上", "第一章 始"]);
    assert_eq!(p.chapters[0].text, "");
}

#[test]
fn front_matter_is_kept() {
    let t = "《济公全传》\n作者：郭小亭\n\n第一回 李节度拜佛求子\n　　话说。\n";
    let p = parse("d.txt", t.as_bytes());
    assert_eq!(titles(&p), vec!["前言", "第一回 李节度拜佛求子"]);
    assert_eq!(p.chapters[0].text, "《济公全传》\n作者：郭小亭");
}

#[test]
fn unnumbered_headings() {
    let t = "山中\n　　山中有寺。\n　　寺中有僧。\n\n水边\n　　水边有桥。\n夜归\n　　月色很好。\n";
    let p = parse("e.txt", t.as_bytes());
    assert_eq!(titles(&p), vec!["山中", "水边", "夜归"]);
    assert_eq!(p.chapters[0].text, "山中有寺。\n寺中有僧。");
    // Only one such line: not enough to trust the rule.
    let one = "山中\n　　山中有寺。\n　　寺中有僧。\n";
    let (k, msg) = parse_err("one.txt", one.as_bytes());
    assert_eq!(k, ErrorKind::NoHeadings);
    assert!(msg.contains("use --heading-pattern"), "{msg}");
}

#[test]
fn heading_pattern_override() {
    let t = "== 一 ==\n甲。\n== 二 ==\n乙。\n第一回 不是标题\n";
    let p = parse_novel("f.txt", t.as_bytes(), &with_pattern(r"== .+ ==")).unwrap();
    assert_eq!(titles(&p), vec!["== 一 ==", "== 二 =="]);
    assert_eq!(p.chapters[1].text, "乙。\n第一回 不是标题");
    // Anchored to the whole trimmed line.
    let e = parse_novel("f.txt", t.as_bytes(), &with_pattern("一")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::PatternMatchedNothing("一".into()));
    assert!(e.to_string().starts_with("f.txt: heading pattern"));
}

#[test]
fn invalid_heading_pattern() {
    // An unbalanced `)` must not escape the anchoring group.
    let e = parse_novel("g.txt", "第一回 x\n".as_bytes(), &with_pattern("x)(y")).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::InvalidPattern { .. }), "{e}");
    let e = parse_novel("g.txt", "第一回 x\n".as_bytes(), &with_pattern("第(")).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::InvalidPattern { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("g.txt: invalid heading pattern \"第(\""),
        "{e}"
    );
}

/// What a `--dry-run` listing would print: number, title, characters.
#[test]
fn dry_run_listing() {
    let p = jigong();
    let listing: Vec<String> = p
        .chapters
        .iter()
        .take(3)
        .map(|c| format!("{:>4}  {}  ({} chars)", c.number, c.title, c.char_count()))
        .collect();
    assert!(listing[0].starts_with("   1  第一回 李节度拜佛求子"));
    assert!(listing[2].starts_with("   3  第三回"));
    assert!(p.chapters.iter().all(|c| c.char_count() > 100));
    assert_eq!(p.chapters[0].sha256().len(), 64);
}

#[test]
fn headings_without_any_text_are_refused() {
    let toc: String = (1..=49).map(|i| format!("第{i}章 标题{i}\n")).collect();
    let (k, msg) = parse_err("toc.txt", toc.as_bytes());
    assert_eq!(k, ErrorKind::NoChapterText);
    assert_eq!(
        msg,
        "toc.txt: the chapter headings were found but no chapter has any text"
    );
    // With a user pattern too.
    let e = parse_novel("toc.txt", toc.as_bytes(), &with_pattern(r"第\d+章 .*")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoChapterText);
    // One chapter with text is enough; the empty ones are kept.
    let some = format!("{toc}　　终于有了正文。\n");
    let p = parse("toc.txt", some.as_bytes());
    assert_eq!(p.chapters.len(), 49);
    assert!(p.chapters[..48].iter().all(|c| c.text.is_empty()));
    assert_eq!(p.chapters[48].text, "终于有了正文。");
}

#[test]
fn over_long_chapter_is_refused_not_truncated() {
    assert_eq!(MAX_CHAPTER_CHARS, 2_000_000);
    let at_limit = format!(
        "第一章 短\n　　短。\n第二章 长\n{}\n",
        "字".repeat(MAX_CHAPTER_CHARS)
    );
    let p = parse("limit.txt", at_limit.as_bytes());
    assert_eq!(p.chapters[1].char_count(), MAX_CHAPTER_CHARS as u64);

    let over = format!(
        "第一章 短\n　　短。\n第二章 长\n{}\n第三章 尾\n　　尾。\n",
        "字".repeat(MAX_CHAPTER_CHARS + 1)
    );
    let (k, msg) = parse_err("huge.txt", over.as_bytes());
    assert_eq!(
        k,
        ErrorKind::ChapterTooLong {
            number: 2,
            title: "第二章 长".into(),
            chars: MAX_CHAPTER_CHARS + 1,
        }
    );
    assert!(
        msg.starts_with("huge.txt: chapter 2 \"第二章 长\""),
        "{msg}"
    );
    assert!(msg.contains("2000001 characters"), "{msg}");
    assert!(msg.contains("limit of 2000000"), "{msg}");

    // An 18 MB single chapter (lines of ordinary paragraphs).
    let para = "　　他走进房间，看见桌上放着一封信，信上只写了一句话。\n";
    let big = format!("第一章 长\n{}", para.repeat(18_000_000 / para.len() + 1));
    assert!(big.len() > 18_000_000);
    let (k, msg) = parse_err("big.txt", big.as_bytes());
    assert!(
        matches!(k, ErrorKind::ChapterTooLong { number: 1, .. }),
        "{msg}"
    );
}

// ---------- errors ----------

#[test]
fn empty_file() {
    let (k, msg) = parse_err("empty.txt", b"");
    assert_eq!(k, ErrorKind::Empty);
    assert_eq!(msg, "empty.txt: file is empty");
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn random_bytes(seed: &mut u64, n: usize) -> Vec<u8> {
    (0..n).map(|_| xorshift(seed) as u8).collect()
}

#[test]
fn binary_files() {
    let mut seed = 0x1234_5678_9abc_def1;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0".to_vec();
    png.extend(random_bytes(&mut seed, 4000));
    let (k, msg) = parse_err("cover.png", &png);
    assert!(matches!(k, ErrorKind::NotText(_)), "{msg}");
    assert!(msg.contains("not a text file"), "{msg}");

    // Random bytes without NUL.
    let noisy: Vec<u8> = random_bytes(&mut seed, 4000)
        .into_iter()
        .map(|b| b.max(1))
        .collect();
    let (k, msg) = parse_err("noise.txt", &noisy);
    assert!(matches!(k, ErrorKind::NotText(_)), "{msg}");

    // A ZIP that is not an EPUB.
    let zip = corpus("samples/epub-broken/ocf-mimetype-file-missing-error.epub");
    let (k, msg) = parse_err("archive.zip", &zip);
    assert!(matches!(k, ErrorKind::NotText(_)), "{msg}");
}

#[test]
fn undetectable_encoding() {
    // High bytes only: no NUL, no controls, not UTF-8, not a Chinese encoding.
    let garbage: Vec<u8> = (0..3000u32).map(|i| 0xA0 + (i * 7 % 0x5F) as u8).collect();
    let (k, msg) = parse_err("garbage.txt", &garbage);
    assert!(matches!(k, ErrorKind::UnknownEncoding(_)), "{msg}");
    assert!(msg.contains("cannot detect the text encoding"), "{msg}");

    // UTF-8 damaged throughout.
    let mut bad = "第一回 测试\n　　正文正文。\n".repeat(50).into_bytes();
    for i in (0..bad.len()).step_by(7) {
        bad[i] = 0xC0;
    }
    let (k, msg) = parse_err("damaged.txt", &bad);
    assert!(matches!(k, ErrorKind::UnknownEncoding(_)), "{msg}");
}

#[test]
fn txt_without_headings() {
    let t = "　　这是一段没有标题的文字。\n　　又一段。\n";
    let (k, msg) = parse_err("jigong.txt", t.as_bytes());
    assert_eq!(k, ErrorKind::NoHeadings);
    assert_eq!(
        msg,
        "jigong.txt: no chapter headings found (tried: numbered headings 第…回/章/卷/节, 卷一, \
         序/楔子/附录/尾声/番外, unnumbered short lines); use --heading-pattern"
    );
}

#[test]
fn broken_epubs() {
    let (k, msg) = parse_err(
        "ocf-mimetype-file-missing-error.epub",
        &corpus("samples/epub-broken/ocf-mimetype-file-missing-error.epub"),
    );
    assert!(matches!(k, ErrorKind::BrokenEpub(_)), "{msg}");
    assert!(msg.contains("mimetype"), "{msg}");

    let (k, msg) = parse_err(
        "ocf-zip-unreadable-no-end-header-fatal.epub",
        &corpus("samples/epub-broken/ocf-zip-unreadable-no-end-header-fatal.epub"),
    );
    assert!(matches!(k, ErrorKind::BrokenEpub(_)), "{msg}");
    assert!(msg.contains("not a readable ZIP archive"), "{msg}");

    // A text file named .epub.
    let (k, _) = parse_err("x.epub", "第一回 x\n".as_bytes());
    assert!(matches!(k, ErrorKind::BrokenEpub(_)));
}

// ---------- EPUB ----------

#[test]
fn alice_epub3_titles_from_nav() {
    let p = parse("alice.epub", &corpus("samples/epub/alice.epub"));
    assert_eq!(p.format, SourceFormat::Epub);
    assert_eq!(p.encoding, "EPUB");
    assert_eq!(p.title.as_deref(), Some("Alice's Adventures in Wonderland"));
    assert_eq!(p.author.as_deref(), Some("Lewis Carroll"));
    // Cover (image only) and the nav document are skipped; spine order kept.
    assert_eq!(
        titles(&p),
        vec![
            "Title Page",
            "Down The Rabbit-Hole",
            "The Pool Of Tears",
            "A Caucus-Race And A Long Tale",
            "The Rabbit Sends In A Little Bill",
            "Advice From A Caterpillar",
            "Pig And Pepper",
            "A Mad Tea-Party",
            "The Queen's Croquet Ground",
            "Who Stole The Tarts?",
            "Alice's Evidence",
        ]
    );
    let ch1 = &p.chapters[1];
    assert!(
        ch1.text
            .starts_with("Alice was beginning to get very tired"),
        "{}",
        &ch1.text[..80]
    );
    assert!(!ch1.text.contains("Down The Rabbit-Hole\n"));
    assert!(p.chapters.iter().all(|c| !c.text.is_empty()));
    assert_numbered(&p);
}

#[test]
fn gutenberg_epub2_titles_from_ncx() {
    let p = parse(
        "Liber_Esther_pg826.epub",
        &corpus("samples/epub/Liber_Esther_pg826.epub"),
    );
    assert_eq!(
        p.title.as_deref(),
        Some("Latin Vulgate, Esther: Liber Esther")
    );
    assert_eq!(p.author.as_deref(), Some("Anonymous"));
    assert!(!p.chapters.is_empty());
    assert!(
        p.chapters
            .iter()
            .any(|c| c.title.starts_with("LIBER ESTHER. PARS PRIOR")),
        "{:?}",
        titles(&p)
    );
    assert!(p.chapters.iter().all(|c| !c.text.is_empty()));
    assert!(p.chapters.iter().any(|c| c.text.contains("Assueri")));
    assert_numbered(&p);
}

#[test]
fn small_epub3_samples() {
    let p = parse(
        "epub3-samples_hefty-water.epub",
        &corpus("samples/epub/epub3-samples_hefty-water.epub"),
    );
    assert_eq!(p.title.as_deref(), Some("Hefty Water"));
    assert_eq!(titles(&p), vec!["Hefty Water"]);
    let text = &p.chapters[0].text;
    assert!(text.starts_with("This document serves to test"), "{text}");
    assert!(!text.contains("font-family"), "style leaked");

    let p = parse(
        "epub3-samples_regime-anticancer-arabic.epub",
        &corpus("samples/epub/epub3-samples_regime-anticancer-arabic.epub"),
    );
    assert!(p.title.is_some());
    assert!(!p.chapters.is_empty());
    assert!(p.chapters.iter().all(|c| !c.text.is_empty()));
    // Arabic letters made it through.
    assert!(p.chapters.iter().any(|c| c
        .text
        .chars()
        .any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch))));
}

// ---------- robustness ----------

#[test]
fn random_and_truncated_inputs_never_panic() {
    let mut seed = 0xdead_beef_cafe_f00d_u64;
    let opts = ImportOptions::default();
    for n in [1usize, 2, 3, 4, 7, 64, 513, 4096] {
        for _ in 0..20 {
            let b = random_bytes(&mut seed, n);
            let _ = parse_novel("r.txt", &b, &opts);
            let _ = parse_novel("r.epub", &b, &opts);
            let mut z = b"PK\x03\x04".to_vec();
            z.extend(&b);
            let _ = parse_novel("r.bin", &z, &opts);
        }
    }
    let txt = corpus("novels_zh/xiyouji_journey_to_the_west.gb18030.txt");
    let head = &txt[..60_000];
    for _ in 0..30 {
        let cut = (xorshift(&mut seed) as usize) % head.len();
        let _ = parse_novel("x.txt", &head[..cut], &opts);
    }
    for name in [
        "samples/epub/epub3-samples_hefty-water.epub",
        "samples/epub/alice.epub",
    ] {
        let epub = corpus(name);
        for _ in 0..40 {
            let cut = (xorshift(&mut seed) as usize) % epub.len();
            let _ = parse_novel("t.epub", &epub[..cut], &opts);
            let mut flipped = epub.clone();
            for _ in 0..4 {
                let i = (xorshift(&mut seed) as usize) % flipped.len();
                flipped[i] ^= xorshift(&mut seed) as u8 | 1;
            }
            let _ = parse_novel("f.epub", &flipped, &opts);
        }
    }
}

#[test]
fn zip_bomb_is_refused() {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        w.start_file("mimetype", stored).unwrap();
        w.write_all(b"application/epub+zip").unwrap();
        w.start_file("META-INF/container.xml", deflated).unwrap();
        w.write_all(
            b"<container><rootfiles><rootfile full-path=\"a.opf\"/></rootfiles></container>",
        )
        .unwrap();
        w.start_file("a.opf", deflated).unwrap();
        w.write_all(
            b"<package><manifest><item id=\"b\" href=\"big.xhtml\" media-type=\"application/xhtml+xml\"/></manifest><spine><itemref idref=\"b\"/></spine></package>",
        )
        .unwrap();
        w.start_file("big.xhtml", deflated).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..260 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 2 << 20, "bomb is small: {}", bytes.len());
    let (k, msg) = parse_err("bomb.epub", &bytes);
    assert!(matches!(k, ErrorKind::TooLarge(_)), "{msg}");
    assert!(msg.contains("ZIP bomb"), "{msg}");
}
