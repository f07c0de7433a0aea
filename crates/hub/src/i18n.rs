//! UI text through Project Fluent (`fluent-bundle`), zh-Hans and en.
//!
//! The locale is chosen per request: `?lang=` query, then the `lang` cookie,
//! then `Accept-Language`, then zh-Hans.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;
use unic_langid::LanguageIdentifier;

/// UI locales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// Simplified Chinese.
    ZhHans,
    /// English.
    En,
}

impl Locale {
    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhHans => "zh-Hans",
            Locale::En => "en",
        }
    }

    /// Parses `zh`, `zh-Hans`, `zh-CN`, `en`, `en-US` …; `None` for others.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Locale::ZhHans)
        } else if s.starts_with("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// First supported language of an `Accept-Language` header (q-values ignored, order kept).
    pub fn from_accept_language(h: &str) -> Option<Self> {
        h.split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(Self::parse)
    }

    /// The other locale (for the switch link).
    pub fn other(self) -> Self {
        match self {
            Locale::ZhHans => Locale::En,
            Locale::En => Locale::ZhHans,
        }
    }
}

struct Bundles {
    zh: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(tag: &str, src: &'static str) -> FluentBundle<FluentResource> {
    let lang: LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![lang]);
    b.set_use_isolating(false);
    match FluentResource::try_new(src.to_string()) {
        Ok(res) => {
            if let Err(errs) = b.add_resource(res) {
                tracing::error!(?errs, locale = tag, "duplicate Fluent messages");
            }
        }
        Err((_, errs)) => tracing::error!(?errs, locale = tag, "Fluent syntax errors"),
    }
    b
}

fn bundles() -> &'static Bundles {
    static B: OnceLock<Bundles> = OnceLock::new();
    B.get_or_init(|| Bundles {
        zh: bundle("zh-Hans", include_str!("../locales/zh-Hans.ftl")),
        en: bundle("en", include_str!("../locales/en.ftl")),
    })
}

/// Translates message `id` with arguments; falls back to the id itself.
pub fn tr_args(loc: Locale, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let b = match loc {
        Locale::ZhHans => &bundles().zh,
        Locale::En => &bundles().en,
    };
    let Some(msg) = b.get_message(id) else {
        return id.to_string();
    };
    let Some(pattern) = msg.value() else {
        return id.to_string();
    };
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        fa.set(*k, v.clone());
    }
    let mut errors = vec![];
    b.format_pattern(
        pattern,
        if args.is_empty() { None } else { Some(&fa) },
        &mut errors,
    )
    .into_owned()
}

/// Translates message `id`.
pub fn tr(loc: Locale, id: &str) -> String {
    tr_args(loc, id, &[])
}

/// All message ids of a locale's resource (for the completeness test).
pub fn message_ids(loc: Locale) -> Vec<String> {
    let src = match loc {
        Locale::ZhHans => include_str!("../locales/zh-Hans.ftl"),
        Locale::En => include_str!("../locales/en.ftl"),
    };
    src.lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty() && !k.starts_with('#'))
        .collect()
}
