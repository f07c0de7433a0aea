//! Sino-Xenic forms: how Vietnamese, Korean and Japanese read a Chinese term
//! with their own readings of the characters (江湖 → *giang hồ* / 강호 /
//! 江湖 with the reading こうこ).
//!
//! # Data (all embedded, nothing is read at run time)
//!
//! * `data/kb/unihan_readings.tsv` — per-character readings extracted from
//!   Unicode's Unihan database (`Unihan_Readings.txt`, Unicode 15.0.0:
//!   `kVietnamese`, `kHangul`, `kJapaneseOn`) by `scripts/gen_unihan.py`, for
//!   every character of the seed's Chinese labels (see `data/PROVENANCE.md`).
//!   Line format: `char<TAB>vi<TAB>ko<TAB>ja`, each field space-separated
//!   readings, most usual first (Korean readings of the KS X 1001 educational
//!   set first; Japanese on'yomi converted to hiragana).
//! * `data/kb/sinoxenic_chars.tsv` — per-character readings written by the
//!   project that replace Unihan's first reading (Unihan's `kVietnamese` often
//!   lists a native Nôm reading first: 女 "nữa" instead of Hán-Việt *nữ*) or
//!   fill gaps. Line format: `char<TAB>lang<TAB>reading`.
//! * `data/kb/sinoxenic_words.tsv` — word-level forms that replace the
//!   per-character derivation, e.g. Korean 杭州 → 항저우 (modern Chinese place
//!   names are written after their Mandarin pronunciation in Korean).
//!   Line format: `word<TAB>lang<TAB>form`.
//!
//! Lines starting with `#` and lines with too few fields are ignored
//! (a test checks that every data line parses).
//!
//! # Rules applied
//!
//! * **Polyphonic characters**: the first reading of the table (project
//!   override, else Unihan's first) — no sense disambiguation. Traditional
//!   labels are read first when they align character by character with the
//!   Simplified one (臺 đài / 대 rather than 台 thai / 태).
//! * **Korean initial-sound rule** (두음법칙, 한글 맞춤법 §10–12) on the first
//!   derived syllable of a word: 녀/뇨/뉴/니 → 여/요/유/이; 랴/려/례/료/류/리 →
//!   야/여/예/요/유/이; 라/래/로/뢰/루/르 → 나/내/노/뇌/누/느 (李 리 → 이,
//!   梁 량 → 양, 雷 뢰 → 뇌). Inside a word, 렬/률 after a vowel or ㄴ become
//!   열/율 (§11 붙임 1). Word-level forms are never changed.
//! * **Vietnamese**: syllables separated by spaces; proper names (see
//!   [`NameKind`]) capitalise every syllable (*Tiểu Thanh*, *Tây Hồ*), common
//!   nouns stay lower case (*giang hồ*). A proper place name of three or more
//!   characters ending in 塔 寺 山 江 湖 桥 puts the native head noun first,
//!   as Vietnamese does (雷峰塔 → *tháp Lôi Phong*, 灵隐寺 → *chùa Linh Ẩn*).
//! * **Korean**: syllables written together (뇌봉탑, 허선).
//! * **Japanese**: the kanji form is kept (the Traditional label, nearest to
//!   kanji; shinjitai are not derived) and the on'yomi reading in hiragana is
//!   returned as an optional reading (ruby): 江湖 → こうこ. Gemination is
//!   applied (浙江 せっこう); rendaku and irregular readings (観音 かんのん)
//!   are not, so readings are drafts.
//!
//! Non-Han characters inside a label (`、`, brackets, hyphen) are copied
//! through, full-width punctuation as ASCII.

use crate::model::{Concept, ZH_HANS, ZH_HANT};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Per-character readings extracted from Unihan (see the module docs).
pub const UNIHAN_READINGS_TSV: &str = include_str!("../../../data/kb/unihan_readings.tsv");
/// Per-character readings written by the project (override Unihan's first reading).
pub const CHAR_READINGS_TSV: &str = include_str!("../../../data/kb/sinoxenic_chars.tsv");
/// Word-level forms written by the project (override the per-character derivation).
pub const WORD_READINGS_TSV: &str = include_str!("../../../data/kb/sinoxenic_words.tsv");

/// A language that reads Chinese characters with its own Sino-Xenic readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SinoXenic {
    /// Vietnamese, Hán-Việt readings (`vi`).
    Vietnamese,
    /// Korean, Hanja readings in Hangul (`ko`).
    Korean,
    /// Japanese, on'yomi in hiragana; the text stays in kanji (`ja`).
    Japanese,
}

impl SinoXenic {
    /// The Sino-Xenic language of a BCP 47 tag (`vi`, `vi-VN`, `ko-KR`,
    /// `ja`…), `None` for any other language.
    pub fn for_language(tag: &str) -> Option<Self> {
        match tag.split('-').next().unwrap_or(tag) {
            "vi" => Some(SinoXenic::Vietnamese),
            "ko" => Some(SinoXenic::Korean),
            "ja" => Some(SinoXenic::Japanese),
            _ => None,
        }
    }

    /// The primary BCP 47 language subtag (`vi`, `ko`, `ja`).
    pub fn tag(self) -> &'static str {
        match self {
            SinoXenic::Vietnamese => "vi",
            SinoXenic::Korean => "ko",
            SinoXenic::Japanese => "ja",
        }
    }

    fn index(self) -> usize {
        match self {
            SinoXenic::Vietnamese => 0,
            SinoXenic::Korean => 1,
            SinoXenic::Japanese => 2,
        }
    }
}

/// Whether a term is a proper name (capitalised in Vietnamese) or a common noun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A person's or place's name, a deity, a named work: every syllable capitalised.
    Proper,
    /// The name of a practice or item (ICH entries): first syllable capitalised.
    Title,
    /// A common noun (*giang hồ*): lower case.
    Common,
}

impl NameKind {
    /// The kind of `concept`'s name: [`NameKind::Title`] for ICH entries
    /// (category `heritage`), [`NameKind::Proper`] when its preferred English
    /// label starts with an upper-case letter (English capitalises proper
    /// names: "West Lake", "Guanyin"; but "jianghu", "inn"), else
    /// [`NameKind::Common`].
    pub fn of(concept: &Concept) -> Self {
        if concept.category == "heritage" {
            return NameKind::Title;
        }
        let upper = concept
            .pref_label(crate::model::EN)
            .and_then(|l| l.chars().find(|c| c.is_alphabetic()))
            .is_some_and(char::is_uppercase);
        if upper {
            NameKind::Proper
        } else {
            NameKind::Common
        }
    }
}

/// A derived Sino-Xenic form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinoForm {
    /// The text used in running prose (*Tiểu Thanh*, 소청, or the kanji 小青 for Japanese).
    pub text: String,
    /// For Japanese, the reading in hiragana (ruby); `None` otherwise.
    pub reading: Option<String>,
}

/// The parsed reading tables (see the module docs).
#[derive(Debug)]
pub struct Readings {
    /// char → [vi, ko, ja] first readings.
    chars: HashMap<char, [Option<&'static str>; 3]>,
    /// zh-Hans word → [vi, ko, ja] forms.
    words: HashMap<&'static str, [Option<&'static str>; 3]>,
    /// Longest word of `words`, in chars.
    max_word: usize,
}

/// The embedded tables, parsed once per process (≈ 1,400 characters).
pub fn readings() -> &'static Readings {
    static TABLES: OnceLock<Readings> = OnceLock::new();
    TABLES
        .get_or_init(|| Readings::parse(UNIHAN_READINGS_TSV, CHAR_READINGS_TSV, WORD_READINGS_TSV))
}

fn data_lines(s: &str) -> impl Iterator<Item = Vec<&str>> {
    s.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

impl Readings {
    /// Parses the three tables (formats in the module docs); malformed lines are skipped.
    pub fn parse(unihan: &'static str, chars: &'static str, words: &'static str) -> Self {
        let mut table: HashMap<char, [Option<&'static str>; 3]> = HashMap::new();
        for f in data_lines(unihan) {
            let (Some(c), true) = (f.first().and_then(|s| single_char(s)), f.len() >= 4) else {
                continue;
            };
            let first = |i: usize| f.get(i).and_then(|v| v.split(' ').find(|r| !r.is_empty()));
            table.insert(c, [first(1), first(2), first(3)]);
        }
        for f in data_lines(chars) {
            let (Some(c), Some(lang), Some(r)) = (
                f.first().and_then(|s| single_char(s)),
                f.get(1).and_then(|l| SinoXenic::for_language(l)),
                f.get(2).map(|r| r.trim()).filter(|r| !r.is_empty()),
            ) else {
                continue;
            };
            if let Some(slot) = table.entry(c).or_default().get_mut(lang.index()) {
                *slot = Some(r);
            }
        }
        let mut wtable: HashMap<&'static str, [Option<&'static str>; 3]> = HashMap::new();
        let mut max_word = 0;
        for f in data_lines(words) {
            let (Some(w), Some(lang), Some(form)) = (
                f.first().map(|w| w.trim()).filter(|w| !w.is_empty()),
                f.get(1).and_then(|l| SinoXenic::for_language(l)),
                f.get(2).map(|r| r.trim()).filter(|r| !r.is_empty()),
            ) else {
                continue;
            };
            max_word = max_word.max(w.chars().count());
            if let Some(slot) = wtable.entry(w).or_default().get_mut(lang.index()) {
                *slot = Some(form);
            }
        }
        Readings {
            chars: table,
            words: wtable,
            max_word,
        }
    }

    /// The first reading of `c` in `lang` (project override, else Unihan's
    /// first), before any word-level rule; `None` when unknown.
    pub fn char_reading(&self, c: char, lang: SinoXenic) -> Option<&'static str> {
        self.chars.get(&c).and_then(|r| r[lang.index()])
    }

    /// Number of characters with at least one reading.
    pub fn char_count(&self) -> usize {
        self.chars.len()
    }

    /// Derives the Sino-Xenic form of the Chinese term `hans` (Simplified), with
    /// `hant` (Traditional) used for character readings where it aligns
    /// character by character, for `lang`. `None` when a Han character has no
    /// reading (the caller falls back to another strategy).
    pub fn derive(
        &self,
        hans: &str,
        hant: Option<&str>,
        lang: SinoXenic,
        kind: NameKind,
    ) -> Option<SinoForm> {
        let hans_chars: Vec<char> = hans.trim().chars().collect();
        if hans_chars.is_empty() {
            return None;
        }
        let hant_chars: Vec<char> = hant
            .map(|t| t.trim().chars().collect())
            .filter(|t: &Vec<char>| t.len() == hans_chars.len())
            .unwrap_or_default();
        let read = |i: usize| -> Option<&'static str> {
            let h = hant_chars.get(i).and_then(|&c| self.char_reading(c, lang));
            h.or_else(|| hans_chars.get(i).and_then(|&c| self.char_reading(c, lang)))
        };
        // Pieces: (text, from_word_table, is_han).
        let mut pieces: Vec<Piece> = Vec::new();
        let mut i = 0;
        while i < hans_chars.len() {
            let c = hans_chars[i];
            if !is_han(c) {
                pieces.push(Piece::Other(c));
                i += 1;
                continue;
            }
            let mut matched = None;
            let longest = self.max_word.min(hans_chars.len() - i);
            for n in (2..=longest).rev() {
                let w: String = hans_chars[i..i + n].iter().collect();
                if let Some(form) = self.words.get(w.as_str()).and_then(|f| f[lang.index()]) {
                    matched = Some((n, form));
                    break;
                }
            }
            if let Some((n, form)) = matched {
                pieces.push(Piece::Word(form));
                i += n;
            } else {
                pieces.push(Piece::Syllable(read(i)?));
                i += 1;
            }
        }
        Some(match lang {
            SinoXenic::Korean => SinoForm {
                text: korean(&pieces),
                reading: None,
            },
            SinoXenic::Vietnamese => SinoForm {
                text: vietnamese(&pieces, &hans_chars, kind),
                reading: None,
            },
            SinoXenic::Japanese => {
                let kanji: String = if hant_chars.is_empty() {
                    hans_chars.iter().collect()
                } else {
                    hant_chars.iter().collect()
                };
                let mut reading = String::new();
                for p in &pieces {
                    match p {
                        Piece::Syllable(s) | Piece::Word(s) => push_on(&mut reading, s),
                        Piece::Other(c) => reading.push_str(punct(*c).trim()),
                    }
                }
                SinoForm {
                    text: kanji,
                    reading: Some(reading),
                }
            }
        })
    }

    /// Derives the form of `concept`'s preferred zh-Hans label (with its
    /// preferred zh-Hant label for readings), see [`Readings::derive`].
    pub fn derive_concept(&self, concept: &Concept, lang: SinoXenic) -> Option<SinoForm> {
        let hans = concept
            .pref_label(ZH_HANS)
            .or_else(|| concept.pref_label(ZH_HANT))?;
        self.derive(
            hans,
            concept.pref_label(ZH_HANT),
            lang,
            NameKind::of(concept),
        )
    }
}

enum Piece {
    Syllable(&'static str),
    Word(&'static str),
    Other(char),
}

/// Han ideographs (CJK Unified Ideographs, extension A, compatibility ideographs, planes 2–3).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

/// Full-width punctuation as ASCII with the spacing used in Latin and Hangul text.
fn punct(c: char) -> String {
    match c {
        '、' | '，' => ", ".into(),
        '（' | '(' => " (".into(),
        '）' | ')' => ") ".into(),
        '：' => ": ".into(),
        '·' | '・' => " ".into(),
        other => other.to_string(),
    }
}

fn tidy(s: String) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
        .replace(" :", ":")
}

/// Appends the on'yomi `next` to `reading`, with the gemination of Sino-Japanese
/// compounds (促音化): a reading ending in つ before k/s/t/h, or in く/き before
/// k, becomes っ, and h after っ becomes p (浙江 せつ+こう → せっこう,
/// 発表 はつ+ひょう → はっぴょう). Rendaku is not applied.
fn push_on(reading: &mut String, next: &str) {
    let Some(first) = next.chars().next() else {
        return;
    };
    let k_row = matches!(first, 'か' | 'き' | 'く' | 'け' | 'こ');
    let s_row = matches!(first, 'さ' | 'し' | 'す' | 'せ' | 'そ');
    let t_row = matches!(first, 'た' | 'ち' | 'つ' | 'て' | 'と');
    let h_row = matches!(first, 'は' | 'ひ' | 'ふ' | 'へ' | 'ほ');
    let gem = match reading.chars().last() {
        Some('つ') => k_row || s_row || t_row || h_row,
        Some('く') | Some('き') => k_row,
        _ => false,
    };
    if !gem {
        reading.push_str(next);
        return;
    }
    reading.pop();
    reading.push('っ');
    let mut rest = next.chars();
    let head = rest.next().map(|c| match c {
        'は' => 'ぱ',
        'ひ' => 'ぴ',
        'ふ' => 'ぷ',
        'へ' => 'ぺ',
        'ほ' => 'ぽ',
        other => other,
    });
    reading.extend(head);
    reading.extend(rest);
}

const HANGUL_BASE: u32 = 0xAC00;
const HANGUL_LAST: u32 = 0xD7A3;
// Initial consonant indices (ㄱ=0 … ㅎ=18).
const L_NIEUN: u32 = 2;
const L_RIEUL: u32 = 5;
const L_IEUNG: u32 = 11;
// Final consonant indices (none=0, ㄴ=4, ㄹ=8).
const T_NIEUN: u32 = 4;
const T_RIEUL: u32 = 8;
// Vowel indices.
const V_YEO: u32 = 6;
const V_YE: u32 = 7;
const V_YA: u32 = 2;
const V_YO: u32 = 12;
const V_YU: u32 = 17;
const V_I: u32 = 20;

fn split_hangul(c: char) -> Option<(u32, u32, u32)> {
    let u = c as u32;
    if !(HANGUL_BASE..=HANGUL_LAST).contains(&u) {
        return None;
    }
    let s = u - HANGUL_BASE;
    Some((s / (21 * 28), (s % (21 * 28)) / 28, s % 28))
}

fn join_hangul(l: u32, v: u32, t: u32) -> Option<char> {
    char::from_u32(HANGUL_BASE + (l * 21 + v) * 28 + t)
}

/// The Korean initial-sound rule (두음법칙) for the first syllable of a word.
pub fn dueum_initial(c: char) -> char {
    let Some((l, v, t)) = split_hangul(c) else {
        return c;
    };
    let palatal = matches!(v, V_YEO | V_YO | V_YU | V_I);
    let new_l = match l {
        // 녀 뇨 뉴 니 → 여 요 유 이 (§10).
        L_NIEUN if palatal => L_IEUNG,
        // 랴 려 례 료 류 리 → 야 여 예 요 유 이 (§11).
        L_RIEUL if palatal || v == V_YA || v == V_YE => L_IEUNG,
        // 라 래 로 뢰 루 르 → 나 내 노 뇌 누 느 (§12).
        L_RIEUL if matches!(v, 0 | 1 | 8 | 11 | 13 | 18) => L_NIEUN,
        _ => l,
    };
    join_hangul(new_l, v, t).unwrap_or(c)
}

/// Inside a word, 렬/률 after a vowel or ㄴ become 열/율 (§11 붙임 1).
fn dueum_medial(prev: char, c: char) -> char {
    let (Some((_, _, pt)), Some((l, v, t))) = (split_hangul(prev), split_hangul(c)) else {
        return c;
    };
    if l == L_RIEUL && t == T_RIEUL && (v == V_YEO || v == V_YU) && (pt == 0 || pt == T_NIEUN) {
        return join_hangul(L_IEUNG, v, t).unwrap_or(c);
    }
    c
}

fn korean(pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut word_start = true;
    let mut prev: Option<char> = None;
    for p in pieces {
        match p {
            Piece::Word(w) => {
                out.push_str(w);
                prev = w.chars().last();
                word_start = false;
            }
            Piece::Syllable(s) => {
                for c in s.chars() {
                    let c = if word_start {
                        dueum_initial(c)
                    } else if let Some(pc) = prev {
                        dueum_medial(pc, c)
                    } else {
                        c
                    };
                    out.push(c);
                    prev = Some(c);
                    word_start = false;
                }
            }
            Piece::Other(c) => {
                out.push_str(&punct(*c));
                prev = None;
                word_start = true;
            }
        }
    }
    tidy(out)
}

/// Vietnamese native head nouns for generic place suffixes (see module docs).
const VI_HEADS: &[(char, &str)] = &[
    ('塔', "tháp"),
    ('寺', "chùa"),
    ('山', "núi"),
    ('江', "sông"),
    ('湖', "hồ"),
    ('桥', "cầu"),
    ('橋', "cầu"),
];

fn capitalise(s: &str) -> String {
    let mut it = s.chars();
    match it.next() {
        Some(f) => f.to_uppercase().chain(it).collect(),
        None => String::new(),
    }
}

fn vietnamese(pieces: &[Piece], hans: &[char], kind: NameKind) -> String {
    let mut words: Vec<String> = Vec::new();
    for p in pieces {
        match p {
            Piece::Syllable(s) | Piece::Word(s) => words.push((*s).to_string()),
            Piece::Other(c) => words.push(punct(*c)),
        }
    }
    let head = match (kind, hans.last()) {
        (NameKind::Proper, Some(last))
            if hans.len() >= 3
                && pieces.len() == hans.len()
                && pieces.iter().all(|p| matches!(p, Piece::Syllable(_))) =>
        {
            VI_HEADS.iter().find(|(c, _)| c == last).map(|(_, h)| *h)
        }
        _ => None,
    };
    if head.is_some() {
        words.pop();
    }
    let words: Vec<String> = match kind {
        NameKind::Proper => words
            .iter()
            .map(|w| w.split(' ').map(capitalise).collect::<Vec<_>>().join(" "))
            .collect(),
        NameKind::Title => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { capitalise(w) } else { w.clone() })
            .collect(),
        NameKind::Common => words,
    };
    let mut text = words.join(" ");
    if let Some(h) = head {
        text = format!("{h} {text}");
    }
    tidy(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn initial_sound_rule() {
        assert_eq!(dueum_initial('리'), '이');
        assert_eq!(dueum_initial('량'), '양');
        assert_eq!(dueum_initial('뢰'), '뇌');
        assert_eq!(dueum_initial('녀'), '여');
        assert_eq!(dueum_initial('룡'), '용');
        assert_eq!(dueum_initial('락'), '낙');
        assert_eq!(dueum_initial('강'), '강');
        assert_eq!(dueum_medial('나', '렬'), '열');
        assert_eq!(dueum_medial('백', '렬'), '렬');
    }

    #[test]
    fn words_beat_characters_and_punctuation_passes() {
        let r = readings();
        let ko = |s| {
            r.derive(s, None, SinoXenic::Korean, NameKind::Proper)
                .unwrap()
                .text
        };
        assert_eq!(ko("杭州"), "항저우");
        assert_eq!(ko("李白"), "이백");
        let vi = r
            .derive("西湖、孤山", None, SinoXenic::Vietnamese, NameKind::Proper)
            .unwrap();
        assert_eq!(vi.text, "Tây Hồ, Cô Sơn");
        assert!(r
            .derive("\u{9FFE}", None, SinoXenic::Korean, NameKind::Common)
            .is_none());
    }
}
