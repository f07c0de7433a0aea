//! Text decoding: turn a TXT file's bytes into a `String` without asking the
//! user which encoding it is in.
//!
//! Order of the rules (first match wins):
//! 1. empty input → [`ErrorKind::Empty`];
//! 2. a byte-order mark (UTF-8 `EF BB BF`, UTF-16LE `FF FE`, UTF-16BE `FE FF`),
//!    sniffed with [`encoding_rs::Encoding::for_bom`] (WHATWG "BOM sniff");
//! 3. NUL bytes present: try BOM-less UTF-16LE and UTF-16BE and keep the
//!    byte order whose decoded text looks like text (see [`plausible_share`]);
//!    if neither does, the file is binary → [`ErrorKind::NotText`];
//! 4. valid UTF-8 → UTF-8;
//! 5. otherwise [`chardetng`] (no TLD hint, UTF-8 not allowed since it was
//!    ruled out); a `GBK` guess is decoded as its superset `GB18030`. Only the
//!    Chinese legacy encodings ([`CHINESE_LEGACY`]: GB18030/GBK, Big5) are
//!    accepted. A single-byte guess (windows-1252 …), which cannot be told
//!    from mojibake, a guess chardetng itself does not trust, or one whose
//!    decoding has more than [`MAX_ERROR_SHARE`] malformed sequences,
//!    → [`ErrorKind::UnknownEncoding`]. A Japanese or Korean guess
//!    (Shift_JIS, EUC-JP, ISO-2022-JP, EUC-KR) → [`ErrorKind::NotChinese`],
//!    with one exception for files chardetng is unsure about, below.
//!    (7-bit ISO-2022-JP is valid UTF-8, so ASCII bytes with ESC characters
//!    are shown to chardetng before rule 4.)
//!
//! **Japanese/Korean guesses on Chinese files.** chardetng tells GBK and Big5
//! from Shift_JIS/EUC-JP/EUC-KR well even on files of a line or two (see the
//! tests), but all of them accept most byte pairs, so a wrong CJK guess
//! cannot be ruled out. Qiantang imports Chinese only, so when in doubt it
//! prefers a Chinese reading — but it must not import real Japanese or
//! Korean as GBK mojibake. A Japanese or Korean guess is therefore believed
//! when the text decoded that way looks like that language
//! ([`looks_japanese`]: kana make up at least [`MIN_KANA_SHARE`] of the
//! kana and ideographs; [`looks_korean`]: Hangul syllables make up at least
//! [`MIN_HANGUL_SHARE`] of the Hangul and ideographs). Real Japanese and
//! Korean prose is far above these shares (about 70 % kana, 95 % Hangul);
//! GBK bytes misread as Shift_JIS/EUC-JP give no kana, and misread as
//! EUC-KR about 60 % Hangul, the rest hanja. Only when the guess is *not*
//! believed is chardetng asked again with a Hong Kong TLD hint (both GBK and
//! Big5 native there), and its Chinese answer is used if it decodes cleanly.
//! (A TLD hint is not used up front: it makes chardetng answer GBK even for
//! long, genuine Japanese and Korean text.) This rescues GBK files only:
//! Big5's most common characters sit where EUC-JP has kana and EUC-KR has
//! Hangul, so a Big5 file chardetng took for one of those is refused with
//! the advice to convert it — never imported as mojibake. When chardetng is
//! not confident at all, the file is refused as [`ErrorKind::UnknownEncoding`].
//!
//! Every decoded text is then checked for binary content (control characters
//! and U+FFFD above [`MAX_JUNK_SHARE`] → [`ErrorKind::NotText`]) and has its
//! line ends normalized (CRLF and bare CR → LF).

use encoding_rs::{
    Encoding, BIG5, EUC_JP, EUC_KR, GB18030, GBK, ISO_2022_JP, SHIFT_JIS, UTF_16BE, UTF_16LE, UTF_8,
};

use super::ErrorKind;

/// Share of malformed sequences (replacement characters produced by the
/// decoder, per decoded character) above which the guessed encoding is
/// considered wrong.
pub const MAX_ERROR_SHARE: f64 = 0.001;

/// Share of control characters (other than TAB, LF, CR, FF) and U+FFFD in
/// the decoded text above which the file is considered binary.
pub const MAX_JUNK_SHARE: f64 = 0.01;

/// Minimum share of "text-like" characters for a BOM-less UTF-16 guess.
const MIN_UTF16_PLAUSIBLE: f64 = 0.9;

/// Legacy multi-byte encodings accepted from `chardetng` (GBK is read as
/// GB18030). Everything else is refused.
pub const CHINESE_LEGACY: [&Encoding; 2] = [GB18030, BIG5];

/// Japanese and Korean multi-byte encodings `chardetng` can guess; refused
/// with [`ErrorKind::NotChinese`].
const JAPANESE_KOREAN: [&Encoding; 4] = [SHIFT_JIS, EUC_JP, ISO_2022_JP, EUC_KR];

/// Minimum share of kana among kana and CJK ideographs for a Japanese guess
/// to be believed (see the module documentation). Japanese prose, even
/// kanji-heavy, is well above a third kana; GBK bytes read as Shift_JIS or
/// EUC-JP give none.
pub const MIN_KANA_SHARE: f64 = 0.1;

/// Minimum share of Hangul syllables among Hangul and CJK ideographs for a
/// Korean guess to be believed. Modern Korean prose is nearly all Hangul;
/// Chinese GBK bytes read as EUC-KR give about 60 %.
pub const MIN_HANGUL_SHARE: f64 = 0.8;

/// A decoded text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Name of the encoding, see [`display_name`] (`UTF-8`, `UTF-16LE`, `GB18030`, `Big5`, …).
    pub encoding: &'static str,
    /// The text, line ends normalized to LF, without a BOM.
    pub text: String,
}

/// Decode `bytes` following the rules in the module documentation.
pub fn decode_text(bytes: &[u8]) -> Result<Decoded, ErrorKind> {
    if bytes.is_empty() {
        return Err(ErrorKind::Empty);
    }
    let (encoding, text) = if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom_len..).unwrap_or_default();
        let (text, errors) = decode_counting(enc, rest);
        check_errors(enc, &text, errors)?;
        (enc, text)
    } else if bytes.contains(&0) {
        match guess_utf16(bytes) {
            Some((enc, text)) => (enc, text),
            None => {
                return Err(ErrorKind::NotText(
                    "it contains NUL bytes and is not UTF-16".into(),
                ))
            }
        }
    } else if bytes.is_ascii() && bytes.contains(&0x1B) && is_iso_2022_jp(bytes) {
        // 7-bit ISO-2022-JP is valid UTF-8 (ASCII with escape sequences).
        return Err(ErrorKind::NotChinese(ISO_2022_JP.name().to_owned()));
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (UTF_8, s.to_owned())
    } else {
        let mut det = chardetng::EncodingDetector::new();
        det.feed(bytes, true);
        let (guess, confident) = det.guess_assess(None, false);
        let mut enc = if guess == GBK { GB18030 } else { guess };
        tracing::debug!(guess = enc.name(), confident, "chardetng guess");
        if confident && JAPANESE_KOREAN.contains(&enc) {
            enc = recheck_japanese_korean(&det, enc, bytes)?;
        }
        if !CHINESE_LEGACY.contains(&enc) || !confident {
            // A single-byte guess decodes any bytes without error, so it
            // cannot be told from mojibake: refuse it rather than import garbage.
            let (text, _) = decode_counting(enc, bytes);
            check_junk(&text)?;
            return Err(ErrorKind::UnknownEncoding(unknown_reason(bytes, enc)));
        }
        let (text, errors) = decode_counting(enc, bytes);
        check_errors(enc, &text, errors)?;
        (enc, text)
    };
    check_junk(&text)?;
    Ok(Decoded {
        encoding: display_name(encoding),
        text: normalize_newlines(&text),
    })
}

/// Whether chardetng reads the (ASCII, ESC-containing) `bytes` as ISO-2022-JP.
fn is_iso_2022_jp(bytes: &[u8]) -> bool {
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    det.guess(None, false) == ISO_2022_JP
}

/// `enc` is chardetng's Japanese or Korean guess for `bytes`. Refuse the
/// file with [`ErrorKind::NotChinese`] if the text read that way looks like
/// that language; otherwise return chardetng's Chinese reading (GB18030 or
/// Big5) when it decodes cleanly, else refuse the same way.
fn recheck_japanese_korean(
    det: &chardetng::EncodingDetector,
    enc: &'static Encoding,
    bytes: &[u8],
) -> Result<&'static Encoding, ErrorKind> {
    let refuse = || ErrorKind::NotChinese(enc.name().to_owned());
    let (text, _) = decode_counting(enc, bytes);
    let believed = if enc == EUC_KR {
        looks_korean(&text)
    } else {
        looks_japanese(&text)
    };
    if believed {
        return Err(refuse());
    }
    let (alt, alt_confident) = det.guess_assess(Some(b"hk"), false);
    let alt = if alt == GBK { GB18030 } else { alt };
    if !alt_confident || !CHINESE_LEGACY.contains(&alt) {
        return Err(refuse());
    }
    let (alt_text, errors) = decode_counting(alt, bytes);
    if check_errors(alt, &alt_text, errors).is_err() {
        return Err(refuse());
    }
    tracing::info!(
        guess = enc.name(),
        read_as = display_name(alt),
        "chardetng guessed a Japanese/Korean encoding but the text does not look like it; read as Chinese"
    );
    Ok(alt)
}

fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

fn share(text: &str, wanted: impl Fn(char) -> bool) -> f64 {
    let (mut hits, mut total) = (0usize, 0usize);
    for c in text.chars() {
        if wanted(c) {
            hits += 1;
            total += 1;
        } else if is_ideograph(c) {
            total += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        hits as f64 / total as f64
    }
}

/// Whether `text` looks Japanese: kana (hiragana, full-width katakana) are
/// at least [`MIN_KANA_SHARE`] of its kana and ideographs. Half-width
/// katakana are not counted: Shift_JIS maps single bytes 0xA1–0xDF to them,
/// and those bytes are everywhere in GBK and Big5 text.
pub fn looks_japanese(text: &str) -> bool {
    share(
        text,
        |c| matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}'),
    ) >= MIN_KANA_SHARE
}

/// Whether `text` looks Korean: Hangul syllables and jamo are at least
/// [`MIN_HANGUL_SHARE`] of its Hangul and ideographs.
pub fn looks_korean(text: &str) -> bool {
    share(
        text,
        |c| matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}'),
    ) >= MIN_HANGUL_SHARE
}

/// The name reported for `enc`: encoding_rs's WHATWG name, except that
/// `gb18030` is upper-cased to `GB18030` as the rest of Qiantang spells it.
pub fn display_name(enc: &'static Encoding) -> &'static str {
    if enc == GB18030 {
        "GB18030"
    } else {
        enc.name()
    }
}

/// Decode without BOM handling; return the text and the number of
/// malformed sequences (each became U+FFFD).
fn decode_counting(enc: &'static Encoding, bytes: &[u8]) -> (String, usize) {
    let (text, _) = enc.decode_without_bom_handling(bytes);
    // U+FFFD already present in valid UTF-8 input is counted too: a file full
    // of replacement characters is damaged either way.
    let errors = text.chars().filter(|&c| c == '\u{FFFD}').count();
    (text.into_owned(), errors)
}

fn check_errors(enc: &'static Encoding, text: &str, errors: usize) -> Result<(), ErrorKind> {
    if errors == 0 {
        return Ok(());
    }
    let total = text.chars().count().max(1);
    let share = errors as f64 / total as f64;
    if share > MAX_ERROR_SHARE && errors > 2 {
        return Err(ErrorKind::UnknownEncoding(format!(
            "{errors} malformed sequences when read as {} ({:.2}% of the text)",
            enc.name(),
            share * 100.0
        )));
    }
    tracing::warn!(
        encoding = enc.name(),
        errors,
        "a few malformed byte sequences were replaced with U+FFFD"
    );
    Ok(())
}

fn check_junk(text: &str) -> Result<(), ErrorKind> {
    let mut total = 0usize;
    let mut junk = 0usize;
    for c in text.chars() {
        total += 1;
        if is_junk(c) {
            junk += 1;
        }
    }
    if total > 0 && junk as f64 / total as f64 > MAX_JUNK_SHARE {
        return Err(ErrorKind::NotText(format!(
            "{junk} of its {total} characters are control or replacement characters"
        )));
    }
    Ok(())
}

fn is_junk(c: char) -> bool {
    c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}'))
}

/// Try BOM-less UTF-16 in both byte orders; return the one whose text looks
/// like text, if any.
fn guess_utf16(bytes: &[u8]) -> Option<(&'static Encoding, String)> {
    // A trailing odd byte is allowed only as a decoding error.
    let mut best: Option<(f64, &'static Encoding, String)> = None;
    for enc in [UTF_16LE, UTF_16BE] {
        let (text, errors) = decode_counting(enc, bytes);
        let total = text.chars().count().max(1);
        if errors as f64 / total as f64 > MAX_ERROR_SHARE && errors > 2 {
            continue;
        }
        let score = plausible_share(&text);
        tracing::debug!(encoding = enc.name(), score, "BOM-less UTF-16 candidate");
        if score >= MIN_UTF16_PLAUSIBLE && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, enc, text));
        }
    }
    best.map(|(_, enc, text)| (enc, text))
}

/// Share of characters that are common in (Chinese or Latin) text: printable
/// ASCII and line breaks, CJK ideographs, CJK and general punctuation,
/// full-width forms, Latin-1 letters. A UTF-16 text read in the wrong byte
/// order maps most characters outside these ranges (controls, private use,
/// Hangul, Gurmukhi …).
pub fn plausible_share(text: &str) -> f64 {
    let mut total = 0usize;
    let mut good = 0usize;
    for c in text.chars() {
        total += 1;
        let ok = matches!(c,
            '\t' | '\n' | '\r' | ' '..='~'
            | '\u{00A0}'..='\u{00FF}'
            | '\u{2000}'..='\u{206F}'
            | '\u{3000}'..='\u{303F}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{FF00}'..='\u{FFEF}'
            | '\u{20000}'..='\u{2FFFF}');
        if ok {
            good += 1;
        }
    }
    if total == 0 {
        return 0.0;
    }
    good as f64 / total as f64
}

/// CRLF and bare CR → LF. U+2028/U+2029 (Unicode line/paragraph separators) → LF.
pub fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            _ => out.push(c),
        }
    }
    out
}

fn unknown_reason(bytes: &[u8], guess: &'static Encoding) -> String {
    let supported = "UTF-8, UTF-16, GB18030/GBK, Big5";
    match std::str::from_utf8(bytes) {
        Err(e) if e.valid_up_to() * 2 > bytes.len() => format!(
            "mostly UTF-8 but invalid at byte {} (supported: {supported})",
            e.valid_up_to()
        ),
        _ => format!(
            "the bytes fit none of {supported}; the closest guess, {}, is not a Chinese encoding",
            guess.name()
        ),
    }
}
