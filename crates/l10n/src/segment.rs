//! Sentence segmentation of Chinese prose into translation segments.
//!
//! # Rules
//!
//! A chapter body (paragraphs separated by `\n`, as `qiantang-works` stores
//! them) is cut into sentences:
//!
//! 1. **Paragraph breaks** (`\n`, `\r`, U+2028, U+2029) always end a segment.
//! 2. **Terminators**: `。` `！` `？` `!` `?` `．`, the ellipsis (`…`, `……`,
//!    `...`), and — only with [`SegmentOptions::split_on_semicolon`] — `；` `;`.
//!    A run of terminators stays together (`？！`, `……。`, `!!!`).
//!    Semicolons are off by default: in the classical novels of the corpus
//!    `；` joins clauses of one sentence (parallel clauses of 济公全传), and
//!    OmegaT's default segmentation rules for Chinese do not break on it either.
//! 3. An ASCII `.` ends a sentence only when followed by whitespace or the end
//!    of the paragraph and not after a common English abbreviation (`Mr.`,
//!    `Dr.`, `e.g.` …); so `3.5` and `www.example.com` are not cut.
//! 4. **Stammers**: an ellipsis between a character and the same character
//!    again (`我……我不知道`) does not end a sentence.
//! 5. **Paired quotes and brackets** are kept whole: `“…”` `‘…’` `「…」` `『…』`
//!    `（…）` `(…)` `《…》` `【…】` `〔…〕` `[…]` `〈…〉` and ASCII `"…"`. Pairs are
//!    matched per paragraph first (a stack); an opener without its closer in
//!    the same paragraph (the Chinese convention for a quotation running over
//!    several paragraphs leaves earlier paragraphs unclosed) and a stray
//!    closer are treated as ordinary characters, so one typo cannot swallow a
//!    whole paragraph into a single segment.
//! 6. **Closing punctuation stays with its sentence**: after a terminator,
//!    closers (`”` `」` `）` …) are taken into the segment, so `他说：“走吧。”`
//!    is one segment, and a quote that ends with a terminator ends the
//!    sentence when it closes (`“走吧。”他走了。` → two segments).
//! 7. Whitespace (ASCII and the ideographic indentation `　`) around segments is
//!    skipped; whitespace-only pieces give no segment.
//!
//! Offsets and lengths are in **characters** (Unicode scalar values) of the
//! text, as every offset in Qiantang (ARCHITECTURE.md, "Occurrence offsets").
//!
//! # Why not `icu_segmenter`
//!
//! UAX #29 sentence breaking (ICU4X `icu_segmenter`, `SentenceSegmenter`) gets
//! `。”` right (SB9: STerm Close*) but does not keep a quotation of several
//! sentences whole, does not treat `……` as a terminator and has no stammer
//! rule, so a domain pass would be needed anyway. Its compiled data is small
//! (the sentence table is ~18 KB), but the current releases raise the minimum
//! Rust version above the workspace's 1.85 and pull in the ICU provider
//! crates. The rules above are the whole segmenter.

use crate::model::NewSegment;

/// Options of the segmenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentOptions {
    /// Also end sentences at `；` and `;` (off by default, see the module docs).
    pub split_on_semicolon: bool,
}

/// One sentence found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Offset of the first character, in characters from the start of the text.
    pub offset: usize,
    /// Length in characters (≥ 1).
    pub len: usize,
    /// The sentence text: exactly `text.chars().skip(offset).take(len)`.
    pub text: String,
}

/// Cuts `text` into sentences by the rules of the module docs.
///
/// Every returned sentence is non-empty, starts and ends with a
/// non-whitespace character, and the characters between sentences are all
/// whitespace or paragraph breaks.
pub fn sentences(text: &str, opts: SegmentOptions) -> Vec<Sentence> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=chars.len() {
        if i == chars.len() || is_para_break(chars[i]) {
            paragraph(&chars, start, i, opts, &mut out);
            start = i + 1;
        }
    }
    out
}

/// Segments one chapter body into [`NewSegment`]s numbered from 0, with
/// character offsets into `body`.
///
/// # Errors
/// None; offsets beyond `u32::MAX` characters saturate (a chapter is limited
/// far below that by `qiantang_works::import::MAX_CHAPTER_CHARS`).
pub fn segment_chapter(chapter: u32, body: &str, opts: SegmentOptions) -> Vec<NewSegment> {
    sentences(body, opts)
        .into_iter()
        .enumerate()
        .map(|(i, s)| NewSegment {
            chapter,
            ordinal: u32::try_from(i).unwrap_or(u32::MAX),
            source: s.text,
            offset: u32::try_from(s.offset).unwrap_or(u32::MAX),
        })
        .collect()
}

fn is_para_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_space(c: char) -> bool {
    c.is_whitespace() && !is_para_break(c)
}

/// The closer of an opening quote or bracket.
fn closer_of(c: char) -> Option<char> {
    Some(match c {
        '“' => '”',
        '‘' => '’',
        '「' => '」',
        '『' => '』',
        '（' => '）',
        '(' => ')',
        '《' => '》',
        '【' => '】',
        '〔' => '〕',
        '[' => ']',
        '〈' => '〉',
        '﹁' => '﹂',
        '﹃' => '﹄',
        _ => return None,
    })
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’'
            | '」'
            | '』'
            | '）'
            | ')'
            | '》'
            | '】'
            | '〕'
            | ']'
            | '〉'
            | '﹂'
            | '﹄'
            | '"'
    )
}

fn is_hard_terminator(c: char, opts: SegmentOptions) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '．' | '｡')
        || (opts.split_on_semicolon && matches!(c, '；' | ';'))
}

fn is_ellipsis(c: char) -> bool {
    matches!(c, '…' | '⋯')
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "prof", "no", "fig",
];

/// For each index, the index of its matching partner when the char is a
/// matched opener (`Some(close)`), computed per paragraph.
fn match_pairs(chars: &[char], from: usize, to: usize) -> Vec<Option<usize>> {
    let mut partner = vec![None; to - from];
    let mut stack: Vec<(char, usize)> = Vec::new();
    for (i, &c) in chars.iter().enumerate().take(to).skip(from) {
        if c == '"' {
            if stack.last().is_some_and(|&(o, _)| o == '"') {
                if let Some((_, j)) = stack.pop() {
                    partner[j - from] = Some(i);
                }
            } else {
                stack.push(('"', i));
            }
            continue;
        }
        if closer_of(c).is_some() {
            stack.push((c, i));
        } else if is_closer(c) {
            if let Some(pos) = stack.iter().rposition(|&(o, _)| closer_of(o) == Some(c)) {
                let j = stack[pos].1;
                stack.truncate(pos);
                partner[j - from] = Some(i);
            }
        }
    }
    partner
}

fn paragraph(
    chars: &[char],
    from: usize,
    to: usize,
    opts: SegmentOptions,
    out: &mut Vec<Sentence>,
) {
    if from >= to {
        return;
    }
    let partner = match_pairs(chars, from, to);
    // Closing positions of the matched pairs currently open.
    let mut open: Vec<usize> = Vec::new();
    let mut seg_start: Option<usize> = None;
    let mut i = from;
    let emit = |s: usize, e: usize, out: &mut Vec<Sentence>| {
        let mut e = e;
        while e > s && is_space(chars[e - 1]) {
            e -= 1;
        }
        if e > s {
            out.push(Sentence {
                offset: s,
                len: e - s,
                text: chars[s..e].iter().collect(),
            });
        }
    };
    while i < to {
        let c = chars[i];
        if seg_start.is_none() {
            if is_space(c) {
                i += 1;
                continue;
            }
            seg_start = Some(i);
        }
        if open.last() == Some(&i) {
            open.pop();
            // A quote whose content ended with a terminator ends the sentence.
            if open.is_empty() && i > from && ends_sentence_before(chars, from, i, opts) {
                let mut e = i + 1;
                while e < to && is_closer(chars[e]) && !is_opener_at(&partner, from, e) {
                    e += 1;
                }
                if let Some(s) = seg_start.take() {
                    emit(s, e, out);
                }
                i = e;
                continue;
            }
            i += 1;
            continue;
        }
        if let Some(close) = partner[i - from] {
            open.push(close);
            i += 1;
            continue;
        }
        if open.is_empty()
            && (is_hard_terminator(c, opts) || is_ellipsis(c) || is_ascii_stop(chars, from, to, i))
        {
            // Take the whole run of terminators.
            let mut e = i;
            while e < to
                && (is_hard_terminator(chars[e], opts)
                    || is_ellipsis(chars[e])
                    || chars[e] == '.'
                    || (chars[e] == '…'))
            {
                e += 1;
            }
            let only_ellipsis = chars[i..e].iter().all(|&c| is_ellipsis(c) || c == '.');
            if only_ellipsis
                && e < to
                && i > from
                && chars[e] == chars[i - 1]
                && !is_space(chars[e])
            {
                // Stammer: 我……我不知道.
                i = e;
                continue;
            }
            // Closers that are not openers of a matched pair follow the sentence.
            while e < to && is_closer(chars[e]) && !is_opener_at(&partner, from, e) {
                e += 1;
            }
            if let Some(s) = seg_start.take() {
                emit(s, e, out);
            }
            i = e;
            continue;
        }
        i += 1;
    }
    if let Some(s) = seg_start {
        emit(s, to, out);
    }
}

fn is_opener_at(partner: &[Option<usize>], from: usize, i: usize) -> bool {
    partner[i - from].is_some()
}

/// Whether the characters before the closer at `close` (skipping closers)
/// end in a terminator.
fn ends_sentence_before(chars: &[char], from: usize, close: usize, opts: SegmentOptions) -> bool {
    let mut j = close;
    while j > from && is_closer(chars[j - 1]) {
        j -= 1;
    }
    j > from && {
        let c = chars[j - 1];
        is_hard_terminator(c, opts)
            || is_ellipsis(c)
            || (c == '.' && j >= from + 3 && chars[j - 2] == '.')
    }
}

/// An ASCII full stop that ends a sentence: `...` or `.` followed by
/// whitespace / end of paragraph, not after an abbreviation or between digits.
fn is_ascii_stop(chars: &[char], from: usize, to: usize, i: usize) -> bool {
    if chars[i] != '.' {
        return false;
    }
    if i + 2 < to && chars[i + 1] == '.' && chars[i + 2] == '.' {
        return true;
    }
    let next = chars.get(i + 1).copied().filter(|_| i + 1 < to);
    let followed_ok = match next {
        None => true,
        Some(n) => is_space(n) || is_closer(n) || is_han(n),
    };
    if !followed_ok {
        return false;
    }
    // The word before the dot.
    let mut s = i;
    while s > from && (chars[s - 1].is_ascii_alphabetic() || chars[s - 1] == '.') {
        s -= 1;
    }
    let word: String = chars[s..i].iter().collect::<String>().to_ascii_lowercase();
    if ABBREVIATIONS.contains(&word.as_str()) {
        return false;
    }
    // A single capital letter (an initial: "J. Smith").
    !(i - s == 1 && chars[s].is_ascii_uppercase() && next.is_some())
}

/// CJK Unified Ideographs (with extension A and compatibility ideographs).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn cut(s: &str) -> Vec<String> {
        sentences(s, SegmentOptions::default())
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn tricky_cases() {
        let cases: &[(&str, &[&str])] = &[
            ("他说：“走吧。”他走了。", &["他说：“走吧。”", "他走了。"]),
            (
                "他说：“走吧。我们回家。天黑了！”众人都笑。",
                &["他说：“走吧。我们回家。天黑了！”", "众人都笑。"],
            ),
            ("“走吧”，他说。", &["“走吧”，他说。"]),
            (
                "他道：“你说‘我不去。’是真的？”她点头。",
                &["他道：“你说‘我不去。’是真的？”", "她点头。"],
            ),
            ("「好。」『不好。』", &["「好。」", "『不好。』"]),
            (
                "真的吗？！不会吧……他想。",
                &["真的吗？！", "不会吧……", "他想。"],
            ),
            ("我……我不知道。", &["我……我不知道。"]),
            ("价钱是3.5两银子。好。", &["价钱是3.5两银子。", "好。"]),
            (
                "他用English说：Hello world. How are you? 然后走了。",
                &["他用English说：Hello world.", "How are you?", "然后走了。"],
            ),
            ("Mr. Smith到了。", &["Mr. Smith到了。"]),
            ("　　第一句。\n\n　　第二句\n   \n", &["第一句。", "第二句"]),
            ("甲；乙。", &["甲；乙。"]),
            ("（注：见前文。）后文。", &["（注：见前文。）", "后文。"]),
            // Unclosed quote (runs over paragraphs): sentences still split.
            (
                "“第一句。第二句。\n“第三句。”",
                &["“第一句。", "第二句。", "“第三句。”"],
            ),
            ("stray” quote。next", &["stray” quote。", "next"]),
            ("网址www.example.com很好。", &["网址www.example.com很好。"]),
        ];
        for (input, want) in cases {
            assert_eq!(cut(input), *want, "input {input:?}");
        }
        let semi = sentences(
            "甲；乙。",
            SegmentOptions {
                split_on_semicolon: true,
            },
        );
        assert_eq!(semi.len(), 2);
    }

    #[test]
    fn offsets_are_in_chars() {
        let text = "　　你好。\nHi there.";
        let s = sentences(text, SegmentOptions::default());
        assert_eq!((s[0].offset, s[0].len), (2, 3));
        assert_eq!((s[1].offset, s[1].len), (6, 9));
        let segs = segment_chapter(4, text, SegmentOptions::default());
        assert_eq!(segs[1].ordinal, 1);
        assert_eq!(segs[1].offset, 6);
        assert_eq!(segs[1].chapter, 4);
    }
}
