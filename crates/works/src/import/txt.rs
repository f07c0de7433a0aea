//! Chapter splitting for plain text.
//!
//! A heading is a line of its own. Lines are compared after trimming
//! whitespace on both sides (Unicode `White_Space`, so U+3000 ideographic
//! spaces and ASCII spaces used as indentation are both removed).
//!
//! Rules, tried in this order (the first that finds at least one heading wins):
//! 1. a user pattern ([`super::ImportOptions::heading_pattern`]), matched
//!    against the whole trimmed line;
//! 2. known heading forms ([`known_heading`]): numbered headings
//!    `第…回/章/卷/节/集/部/篇/话/幕/册/折` with Chinese (〇零一二两三四五六七八九十百千万,
//!    壹贰叁… and traditional forms) or Arabic numerals, `卷一`/`卷之一`,
//!    `Chapter 12`, and the stand-alone section names 序/序章/序言/楔子/引子/
//!    前言/附录/尾声/后记/番外/终章 (optionally followed by a number or a
//!    separator and a title). Heading lines are at most
//!    [`MAX_HEADING_CHARS`] characters and do not end like a sentence part
//!    (`。，；、`);
//! 3. unnumbered headings ([`unnumbered_headings`]): a short line
//!    (≤ [`MAX_UNNUMBERED_CHARS`] characters) that is not indented, does not
//!    end in sentence punctuation, and whose next non-blank line is indented;
//!    used only when at least two such lines exist.
//!
//! Text before the first heading is kept as a chapter titled
//! [`FRONT_MATTER_TITLE`] when it holds any non-blank line: nothing is dropped.

use std::sync::OnceLock;

use regex::Regex;

use crate::model::NewChapter;

/// Longest line (in characters, after trimming) taken as a known heading form.
pub const MAX_HEADING_CHARS: usize = 50;

/// Longest line (in characters) taken as an unnumbered heading.
pub const MAX_UNNUMBERED_CHARS: usize = 30;

/// Title given to non-blank text found before the first heading.
pub const FRONT_MATTER_TITLE: &str = "前言";

/// Chinese (simplified, traditional, financial) and Arabic (ASCII and
/// full-width) numeral characters.
const NUM: &str = "〇零○一二两兩三四五六七八九十百千万萬壹贰貳叁參弎肆伍陆陸柒捌玖拾佰仟0-9０-９";

/// Separators allowed between a heading keyword/number and its title.
const SEP: &str = r"\s:：、.．·・—\-–_（(【\[《「<〈";

fn known_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let pattern = format!(
            concat!(
                r"^(?:",
                // 第一回 / 第1章 / 第一百二十回 / 第二十八卷 / 第十节 …
                r"第[\s]*[{num}]+[\s]*[回章卷节節集部篇话話幕册冊折](?:$|.+)",
                // 卷一 / 卷之一 / 卷十二 上
                r"|卷之?[{num}]+(?:$|[{sep}].*)",
                // Chapter 12 / CHAPTER XII
                r"|(?i:chapter\s*(?:[0-9]+|[ivxlcdm]+))\b.*",
                // 序 / 序章 / 楔子 / 番外一 / 附录 陈光蕊…
                r"|(?:序章|序言|序幕|序|楔子|引子|引言|前言|附录|附錄|尾声|尾聲|后记|後記|番外篇|番外|终章|終章)",
                r"(?:$|[{sep}].*|[{num}]+(?:$|[{sep}].*))",
                r")$"
            ),
            num = NUM,
            sep = SEP
        );
        match Regex::new(&pattern) {
            Ok(re) => Some(re),
            Err(e) => {
                tracing::error!(error = %e, "built-in heading pattern does not compile");
                None
            }
        }
    })
    .as_ref()
}

/// Whether the trimmed line `line` is one of the known heading forms.
pub fn known_heading(line: &str) -> bool {
    let n = line.chars().count();
    if n == 0 || n > MAX_HEADING_CHARS {
        return false;
    }
    if line.ends_with(['。', '，', '；', '、', ',', ';']) {
        return false;
    }
    known_regex().is_some_and(|re| re.is_match(line))
}

fn is_indented(line: &str) -> bool {
    line.starts_with(|c: char| c.is_whitespace())
}

/// Indices of lines that are unnumbered headings (rule 3).
pub fn unnumbered_headings(lines: &[&str]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() || is_indented(raw) {
            continue;
        }
        if line.chars().count() > MAX_UNNUMBERED_CHARS {
            continue;
        }
        if line.ends_with([
            '。', '！', '？', '”', '」', '…', '，', '；', '：', '.', '!', '?', ',', ';', ':', '"',
        ]) {
            continue;
        }
        let next = lines.iter().skip(i + 1).find(|l| !l.trim().is_empty());
        if next.is_some_and(|l| is_indented(l)) {
            out.push(i);
        }
    }
    out
}

/// Which rule found the headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadingRule {
    /// The user's pattern.
    Pattern,
    /// Known heading forms.
    Known,
    /// Unnumbered short lines.
    Unnumbered,
}

/// Why splitting failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// The user's pattern does not compile.
    InvalidPattern(String),
    /// The user's pattern matched no line.
    PatternMatchedNothing,
    /// No rule found a heading.
    NoHeadings,
}

/// Split `text` (LF line ends) into chapters numbered 1..=n.
pub fn split_chapters(
    text: &str,
    pattern: Option<&str>,
) -> Result<(Vec<NewChapter>, HeadingRule), SplitError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let (heads, rule) = if let Some(p) = pattern {
        // Compile the pattern alone first so that an unbalanced `)` cannot
        // escape the anchoring group below.
        Regex::new(p).map_err(|e| SplitError::InvalidPattern(e.to_string()))?;
        let re = Regex::new(&format!("^(?:{p})$"))
            .map_err(|e| SplitError::InvalidPattern(e.to_string()))?;
        let heads: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.trim();
                !t.is_empty() && re.is_match(t)
            })
            .map(|(i, _)| i)
            .collect();
        if heads.is_empty() {
            return Err(SplitError::PatternMatchedNothing);
        }
        (heads, HeadingRule::Pattern)
    } else {
        let heads: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| known_heading(l.trim()))
            .map(|(i, _)| i)
            .collect();
        if !heads.is_empty() {
            (heads, HeadingRule::Known)
        } else {
            let heads = unnumbered_headings(&lines);
            if heads.len() < 2 {
                return Err(SplitError::NoHeadings);
            }
            (heads, HeadingRule::Unnumbered)
        }
    };
    Ok((build_chapters(&lines, &heads), rule))
}

/// Body of lines `from..to`: each line trimmed, blank lines dropped, joined with LF.
fn body(lines: &[&str], from: usize, to: usize) -> String {
    let mut out = String::new();
    for l in lines.iter().take(to).skip(from) {
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(t);
    }
    out
}

fn build_chapters(lines: &[&str], heads: &[usize]) -> Vec<NewChapter> {
    let mut chapters = Vec::with_capacity(heads.len() + 1);
    let first = heads.first().copied().unwrap_or(lines.len());
    let front = body(lines, 0, first);
    if !front.is_empty() {
        tracing::info!(
            chars = front.chars().count(),
            "text before the first heading kept as chapter {FRONT_MATTER_TITLE:?}"
        );
        chapters.push(NewChapter {
            number: 0,
            title: FRONT_MATTER_TITLE.to_owned(),
            text: front,
        });
    }
    for (k, &h) in heads.iter().enumerate() {
        let end = heads.get(k + 1).copied().unwrap_or(lines.len());
        let title = lines
            .get(h)
            .map(|l| l.trim())
            .unwrap_or_default()
            .to_owned();
        chapters.push(NewChapter {
            number: 0,
            title,
            text: body(lines, h + 1, end),
        });
    }
    for (i, c) in chapters.iter_mut().enumerate() {
        c.number = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    chapters
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_forms() {
        for h in [
            "第一回 李节度拜佛求子 真罗汉降世投胎",
            "第1章 重生",
            "第１２章",
            "第一百二十回 xx",
            "第二十八卷 李秀卿义结黄贞女",
            "第十节",
            "第十節：標題",
            "卷一",
            "卷之一",
            "卷十二 上",
            "序",
            "序章 开端",
            "序言",
            "楔子",
            "引子",
            "附录 陈光蕊赴任逢灾 江流僧复仇报本",
            "尾声",
            "后记",
            "番外一 花灯",
            "番外",
            "第壹章 起",
            "第两千零一章 终",
            "Chapter 3 The Pool",
            "CHAPTER XII",
        ] {
            assert!(known_heading(h), "{h}");
        }
        for l in [
            "第一次见面时他说了很多话，我们都听不懂，后来才知道他是从北方来的客人，在这里住了三年多，一直没有回去的意思。",
            "第三节课下课后，他走了。",
            "后记得他",
            "序幕拉开了",
            "卷帘大将",
            "引子里",
            "番外的人",
            "",
            "第一",
        ] {
            assert!(!known_heading(l), "{l}");
        }
    }

    #[test]
    fn splits_with_front_matter() {
        let t = "《书》\n作者：某\n\n第一章 开始\n　　正文一。\n\n　　正文二。\n第二章 继续\n第三章 末\n　　完。\n";
        let (ch, rule) = split_chapters(t, None).unwrap();
        assert_eq!(rule, HeadingRule::Known);
        let got: Vec<(u32, &str, &str)> = ch
            .iter()
            .map(|c| (c.number, c.title.as_str(), c.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "前言", "《书》\n作者：某"),
                (2, "第一章 开始", "正文一。\n正文二。"),
                (3, "第二章 继续", ""),
                (4, "第三章 末", "完。"),
            ]
        );
    }
}
