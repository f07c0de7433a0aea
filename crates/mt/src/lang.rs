//! Small helpers over BCP 47 tags (RFC 5646); just enough to map them to each API's codes.

/// The primary language subtag, lowercased: `zh-Hant-TW` → `zh`.
pub(crate) fn primary(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The subtags after the primary one, lowercased: `zh-Hant-TW` → `["hant", "tw"]`.
pub(crate) fn rest(tag: &str) -> Vec<String> {
    tag.split(['-', '_'])
        .skip(1)
        .map(|s| s.to_ascii_lowercase())
        .collect()
}

/// Chinese script of a `zh` tag: `Some(true)` Traditional (`Hant`, or region TW/HK/MO),
/// `Some(false)` Simplified (`Hans`, CN/SG or no hint), `None` for non-Chinese tags.
pub(crate) fn chinese_traditional(tag: &str) -> Option<bool> {
    if primary(tag) != "zh" {
        return None;
    }
    let rest = rest(tag);
    if rest
        .iter()
        .any(|s| s == "hant" || s == "tw" || s == "hk" || s == "mo")
    {
        Some(true)
    } else {
        Some(false)
    }
}

/// An English name for the prompt of an LLM, with the tag: `vi` → `Vietnamese (vi)`.
pub(crate) fn display_name(tag: &str) -> String {
    let rest = rest(tag);
    let region = |r: &str| rest.iter().any(|s| s == r);
    let name = match primary(tag).as_str() {
        "zh" => match chinese_traditional(tag) {
            Some(true) if region("tw") => "Traditional Chinese as used in Taiwan",
            Some(true) if region("hk") => "Traditional Chinese as used in Hong Kong",
            Some(true) => "Traditional Chinese",
            _ => "Simplified Chinese",
        },
        "en" => "English",
        "vi" => "Vietnamese",
        "th" => "Thai",
        "id" => "Indonesian",
        "ms" => "Malay",
        "fil" | "tl" => "Filipino",
        "ja" => "Japanese",
        "ko" => "Korean",
        "es" => "Spanish",
        "pt" => "Portuguese",
        "fr" => "French",
        "de" => "German",
        "ru" => "Russian",
        "ar" => "Arabic",
        "tr" => "Turkish",
        "it" => "Italian",
        "pl" => "Polish",
        _ => "",
    };
    if name.is_empty() {
        format!("the language with BCP 47 tag {tag}")
    } else {
        format!("{name} ({tag})")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(primary("zh-Hant-TW"), "zh");
        assert_eq!(chinese_traditional("zh-Hant-TW"), Some(true));
        assert_eq!(chinese_traditional("zh-TW"), Some(true));
        assert_eq!(chinese_traditional("zh-Hans"), Some(false));
        assert_eq!(chinese_traditional("en"), None);
        assert_eq!(display_name("vi"), "Vietnamese (vi)");
        assert!(display_name("zh-Hant-TW").contains("Taiwan"));
    }
}
