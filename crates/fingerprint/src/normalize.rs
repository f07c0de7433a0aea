//! Text normalization for fingerprinting Chinese text.
//!
//! [`normalize`] turns a text into the sequence of characters that the MinHash shingles are cut
//! from. Each step removes one kind of difference that a pirate (or an ordinary re-upload) adds
//! without changing the work:
//!
//! 1. **Width folding (NFKC-like).** Full-width ASCII `U+FF01..=U+FF5E` becomes the ASCII
//!    character (`Ａ`→`A`, `１`→`1`), and the ideographic space `U+3000` becomes a space. This is
//!    the part of Unicode NFKC that matters for web novels; full NFKC (which would also expand
//!    e.g. `㈠` or `①`) is not applied, so no Unicode tables are needed.
//! 2. **ASCII case folding.** `A..=Z` → `a..=z`, so `WWW.XXX.COM` and `www.xxx.com` agree.
//! 3. **Whitespace removal.** Every `char::is_whitespace` character (incl. `U+3000` after step 1
//!    and the `U+00A0` no-break space) is dropped: Chinese has no word spaces, and line and
//!    paragraph breaks are layout, not content.
//! 4. **Punctuation removal.** ASCII punctuation (after step 1 this covers full-width `，！？：；（）`),
//!    General Punctuation `U+2000..=U+206F` (`“”‘’…—`, zero-width characters), CJK Symbols and
//!    Punctuation `U+3001..=U+303F` (`、。《》「」【】〜`), vertical, compatibility and small forms
//!    `U+FE10..=U+FE1F`, `U+FE30..=U+FE6F`, half-width CJK punctuation `U+FF61..=U+FF65`,
//!    `U+00B7` (`·`), `U+FEFF` (BOM) and other format/control characters are dropped. Changing,
//!    adding or removing punctuation therefore does not change the fingerprint.
//! 5. **Traditional → Simplified folding.** Each character is mapped through OpenCC's
//!    `TSCharacters` table (Apache-2.0, vendored in `data/`, see `data/PROVENANCE.md`), taking the
//!    first candidate when OpenCC lists several. The mapping is character by character (no
//!    phrase table): for a fingerprint only a *consistent* canonical form matters, not a correct
//!    Simplified text, and characters that are already Simplified map to themselves.
//!
//! Removing inserted advertisement lines is deliberately *not* a step: the shingles of an
//! inserted line are simply extra elements of the set and only lower the Jaccard similarity a
//! little (see the crate docs).

use std::collections::HashMap;
use std::sync::OnceLock;

/// OpenCC `TSCharacters.txt` (Traditional → Simplified, character level), Apache-2.0.
const TS_CHARACTERS: &str = include_str!("../data/TSCharacters.txt");

fn ts_table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| parse_char_table(TS_CHARACTERS))
}

/// Parses an OpenCC character dictionary (`key<TAB>value[ value…]`, `#` comments) into a map from
/// the key character to the first value character. Lines whose key or first value is not exactly
/// one character are skipped (the character tables have none).
pub fn parse_char_table(text: &str) -> HashMap<char, char> {
    let mut map = HashMap::with_capacity(4_200);
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((key, values)) = line.split_once('\t') else {
            continue;
        };
        let Some(first) = values.split(' ').next() else {
            continue;
        };
        let mut k = key.chars();
        let mut v = first.chars();
        if let (Some(kc), None, Some(vc), None) = (k.next(), k.next(), v.next(), v.next()) {
            if kc != vc {
                map.insert(kc, vc);
            }
        }
    }
    map
}

/// Folds one Traditional character to its Simplified form (OpenCC `TSCharacters`, first
/// candidate); any other character is returned unchanged.
pub fn fold_traditional(c: char) -> char {
    ts_table().get(&c).copied().unwrap_or(c)
}

/// True for the characters that step 3 and 4 of [`normalize`] drop (whitespace, punctuation,
/// format and control characters). Expects a character already width-folded by step 1.
pub fn is_ignorable(c: char) -> bool {
    if c.is_whitespace() || c.is_control() || c.is_ascii_punctuation() {
        return true;
    }
    matches!(
        c as u32,
        0x00B7
            | 0x2000..=0x206F
            | 0x3000..=0x303F
            | 0xFE10..=0xFE1F
            | 0xFE30..=0xFE6F
            | 0xFEFF
            | 0xFF61..=0xFF65
    )
}

/// Step 1 and 2 of [`normalize`]: full-width ASCII to ASCII, ideographic space to space, ASCII
/// upper case to lower case.
pub fn fold_width_and_case(c: char) -> char {
    let u = c as u32;
    let c = match u {
        0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// Normalizes `text` for fingerprinting (all five steps above) and returns the remaining
/// characters in order. The output may be empty (e.g. for a text of only punctuation).
pub fn normalize(text: &str) -> Vec<char> {
    let table = ts_table();
    text.chars()
        .map(fold_width_and_case)
        .filter(|&c| !is_ignorable(c))
        .map(|c| table.get(&c).copied().unwrap_or(c))
        .collect()
}

/// [`normalize`] plus, for each kept character, its position in `text` counted in characters
/// (Unicode scalar values, not bytes): `offsets[i]` is where `chars[i]` came from. Both vectors
/// have the same length and `offsets` is strictly increasing. Used by the containment finder to
/// report matched spans in the coordinates of the original texts.
///
/// Offsets are `u32`: characters after position `u32::MAX` (4 G characters, far beyond any text
/// this crate is given — callers bound inputs much earlier, see
/// [`crate::containment::MAX_TEXT_CHARS`]) are not returned.
pub fn normalize_with_offsets(text: &str) -> (Vec<char>, Vec<u32>) {
    let table = ts_table();
    let mut chars = Vec::with_capacity(text.len() / 3 + 1);
    let mut offsets = Vec::with_capacity(text.len() / 3 + 1);
    for (i, c) in text.chars().enumerate() {
        let Ok(pos) = u32::try_from(i) else {
            break;
        };
        let c = fold_width_and_case(c);
        if is_ignorable(c) {
            continue;
        }
        chars.push(table.get(&c).copied().unwrap_or(c));
        offsets.push(pos);
    }
    (chars, offsets)
}

/// [`normalize`] collected into a `String` (for display and debugging).
pub fn normalize_to_string(text: &str) -> String {
    normalize(text).into_iter().collect()
}
