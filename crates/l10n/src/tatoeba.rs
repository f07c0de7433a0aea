//! Reading the Tatoeba sentence-pair export used to seed a TM.
//!
//! Format (the "tab-separated sentence pairs" download, as in
//! `shared/corpus/parallel/tatoeba_cmn_eng_2000.tsv`): one pair per line,
//! `English TAB Chinese TAB attribution`. Licence CC BY 2.0 FR: the
//! attribution is kept in [`TranslationUnit::origin`] (`tatoeba: …`).

use crate::model::TranslationUnit;

/// A malformed line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Tatoeba TSV line {line}: {message}")]
pub struct TatoebaError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads the pairs as approved `zh-Hans → en` units of `org` (id 0).
/// Empty lines are skipped.
///
/// # Errors
/// [`TatoebaError`] for a line with fewer than two columns or an empty
/// sentence.
pub fn read_tatoeba(
    text: &str,
    org: i64,
    created_ms: i64,
) -> Result<Vec<TranslationUnit>, TatoebaError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(en), Some(zh)) = (cols.next(), cols.next()) else {
            return Err(TatoebaError {
                line: i + 1,
                message: "expected English TAB Chinese TAB attribution".into(),
            });
        };
        if en.trim().is_empty() || zh.trim().is_empty() {
            return Err(TatoebaError {
                line: i + 1,
                message: "empty sentence".into(),
            });
        }
        let attribution = cols.next().unwrap_or("").trim();
        out.push(TranslationUnit {
            id: 0,
            org,
            source_lang: "zh-Hans".into(),
            target_lang: "en".into(),
            source: zh.trim().to_string(),
            target: en.trim().to_string(),
            context: None,
            approved: true,
            origin: if attribution.is_empty() {
                "tatoeba".into()
            } else {
                format!("tatoeba: {attribution}")
            },
            created_by: "tatoeba".into(),
            created_ms,
        });
    }
    Ok(out)
}
