//! Text helpers shared by [`crate::adapt`] and [`crate::qa`]: Han detection
//! and locating a term's form in a target text.
//!
//! They live here, below both, so that `qa` (which checks the forms `adapt`
//! requires) does not import `adapt`, which imports `qa`'s
//! [`crate::qa::TermRequirement`].

/// Byte ranges where `form` occurs in `hay`: Latin forms on word boundaries
/// only; `ascii_ci` compares ASCII letters case-insensitively.
pub(crate) fn find_form(hay: &str, form: &str, ascii_ci: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if form.is_empty() {
        return out;
    }
    let word_bounded = !form.chars().any(is_han);
    let hb = hay.as_bytes();
    let fb = form.as_bytes();
    let mut i = 0;
    while i + fb.len() <= hb.len() {
        if !hay.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let window = &hb[i..i + fb.len()];
        let eq = if ascii_ci {
            window.eq_ignore_ascii_case(fb)
        } else {
            window == fb
        };
        let end = i + fb.len();
        if eq && hay.is_char_boundary(end) {
            let before_ok = !word_bounded
                || !hay[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                || !form.chars().next().is_some_and(char::is_alphanumeric);
            let after_ok = !word_bounded
                || !hay[end..].chars().next().is_some_and(char::is_alphanumeric)
                || !form.chars().next_back().is_some_and(char::is_alphanumeric);
            if before_ok && after_ok {
                out.push((i, end));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// A Han (CJK ideograph) character: CJK Unified Ideographs and Extension A,
/// the compatibility block, and the supplementary ideographic planes
/// (Extensions B–I, U+20000–U+3FFFF).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}
