//! Batching and alignment: cut a request into batches by size, check that a reply lines up
//! with its batch, and retry/split batches whose reply does not.

use std::collections::{HashMap, HashSet};

use crate::{MtError, MtRequest, MtSegment, SegmentFailure, Usage};

/// Refuses requests whose ids are not unique.
pub(crate) fn validate(req: &MtRequest) -> Result<(), MtError> {
    let mut seen = HashSet::new();
    for s in &req.segments {
        if !seen.insert(s.id) {
            return Err(MtError::Request(format!(
                "segment id {} appears twice",
                s.id
            )));
        }
    }
    Ok(())
}

/// Cuts `segments` into consecutive batches of at most `max_chars` characters (Unicode scalar
/// values of source text) and `max_segments` segments. A segment longer than `max_chars` goes
/// alone into its own batch.
pub(crate) fn chunks(
    segments: &[MtSegment],
    max_chars: usize,
    max_segments: usize,
) -> Vec<Vec<&MtSegment>> {
    let mut out: Vec<Vec<&MtSegment>> = Vec::new();
    let mut cur: Vec<&MtSegment> = Vec::new();
    let mut cur_chars = 0usize;
    for s in segments {
        let n = s.text.chars().count();
        if !cur.is_empty() && (cur_chars + n > max_chars || cur.len() >= max_segments) {
            out.push(std::mem::take(&mut cur));
            cur_chars = 0;
        }
        cur.push(s);
        cur_chars += n;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The numbers written with digits in `text` (ASCII or full-width), with thousands separators
/// removed: `"第1,000章 ３人"` → `["1000", "3"]`.
pub(crate) fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(d) = digit(c) {
            cur.push(d);
        } else if !cur.is_empty()
            && matches!(c, ',' | '，' | '\u{202f}' | '\u{a0}' | '\'')
            && chars.get(i + 1).and_then(|&n| digit(n)).is_some()
        {
            // thousands separator inside a number
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

/// Shift heuristic: true when some number written with digits in `source` is missing from
/// `target` (a translation moved to the wrong id usually carries its own numbers along).
/// Only meaningful inside a batch of several segments; numbers spelt out in words in the
/// target ("three") also trip it, which costs a split, never a wrong id.
pub(crate) fn looks_shifted(source: &str, target: &str) -> bool {
    let tgt: HashSet<String> = numbers(target).into_iter().collect();
    numbers(source).iter().any(|n| !tgt.contains(n))
}

/// Checks a reply `(id, text)` against its batch: every id exactly once, no unknown ids, no
/// empty text, and (for batches of two or more) no segment that looks shifted. Returns the
/// translations in batch order.
///
/// Errors: `Misaligned` with the offending ids, `BadReply` for empty text.
pub(crate) fn align(
    batch: &[&MtSegment],
    reply: Vec<(u32, String)>,
) -> Result<Vec<(u32, String)>, MtError> {
    let wanted: HashSet<u32> = batch.iter().map(|s| s.id).collect();
    let mut got: HashMap<u32, String> = HashMap::new();
    let mut bad: Vec<u32> = Vec::new();
    for (id, text) in reply {
        if !wanted.contains(&id) || got.contains_key(&id) {
            bad.push(id);
            continue;
        }
        got.insert(id, text);
    }
    bad.extend(
        batch
            .iter()
            .map(|s| s.id)
            .filter(|id| !got.contains_key(id)),
    );
    if !bad.is_empty() {
        bad.sort_unstable();
        bad.dedup();
        return Err(MtError::Misaligned { ids: bad });
    }
    let mut out = Vec::with_capacity(batch.len());
    let mut shifted = Vec::new();
    for s in batch {
        let text = got.remove(&s.id).unwrap_or_default();
        if text.trim().is_empty() && !s.text.trim().is_empty() {
            return Err(MtError::BadReply {
                reason: format!("empty translation for id {}", s.id),
            });
        }
        if batch.len() > 1 && looks_shifted(&s.text, &text) {
            shifted.push(s.id);
        }
        out.push((s.id, text));
    }
    if !shifted.is_empty() {
        return Err(MtError::Misaligned { ids: shifted });
    }
    Ok(out)
}

/// Accumulates the outcome of one `translate` call.
#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) done: Vec<(u32, String)>,
    pub(crate) failures: Vec<SegmentFailure>,
    pub(crate) usage: Usage,
}

/// Runs `call` on `batch`; a content error (unusable or misaligned reply) is retried
/// `retries` times, then the batch is split in halves recursively; a single segment that
/// still fails becomes a [`SegmentFailure`]. Transport, quota and configuration errors end
/// the whole call.
///
/// `call` gets the batch and the usage to add to, and returns translations already checked
/// by [`align`] (so in batch order, one per id).
pub(crate) fn adaptive<F>(
    backend: &str,
    batch: &[&MtSegment],
    retries: u32,
    out: &mut Outcome,
    call: &mut F,
) -> Result<(), MtError>
where
    F: FnMut(&[&MtSegment], &mut Usage) -> Result<Vec<(u32, String)>, MtError>,
{
    let mut last: Option<MtError> = None;
    for attempt in 0..=retries {
        match call(batch, &mut out.usage) {
            Ok(t) => {
                out.done.extend(t);
                return Ok(());
            }
            Err(e) if e.is_content_error() => {
                tracing::warn!(
                    backend,
                    segments = batch.len(),
                    attempt = attempt + 1,
                    error = %e,
                    "machine-translation reply rejected"
                );
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    if batch.len() > 1 {
        let mid = batch.len() / 2;
        adaptive(backend, &batch[..mid], retries, out, call)?;
        adaptive(backend, &batch[mid..], retries, out, call)?;
        return Ok(());
    }
    for s in batch {
        out.failures.push(SegmentFailure {
            id: s.id,
            reason: last
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no reply".into()),
        });
    }
    Ok(())
}

/// Puts `done` and `failures` back into the order of `segments`.
pub(crate) fn in_request_order(segments: &[MtSegment], out: &mut Outcome) {
    let pos: HashMap<u32, usize> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    out.done
        .sort_by_key(|(id, _)| pos.get(id).copied().unwrap_or(usize::MAX));
    out.failures
        .sort_by_key(|f| pos.get(&f.id).copied().unwrap_or(usize::MAX));
}

/// The terms whose source occurs in one of `texts`, in their given order, without duplicates.
pub(crate) fn terms_in<'a>(terms: &'a [crate::MtTerm], texts: &[&str]) -> Vec<&'a crate::MtTerm> {
    let mut seen = HashSet::new();
    terms
        .iter()
        .filter(|t| !t.source.is_empty() && texts.iter().any(|x| x.contains(&t.source)))
        .filter(|t| seen.insert(t.source.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn seg(id: u32, text: &str) -> MtSegment {
        MtSegment {
            id,
            text: text.into(),
        }
    }

    #[test]
    fn numbers_are_found_with_separators_and_full_width() {
        assert_eq!(numbers("第1,000章 ３人，2个"), vec!["1000", "3", "2"]);
        assert!(numbers("第三章").is_empty());
        assert!(!looks_shifted("他有3个", "He has 3"));
        assert!(looks_shifted("他有3个", "He has 4"));
    }

    #[test]
    fn chunks_respect_both_limits() {
        let segs = vec![
            seg(1, "aaaa"),
            seg(2, "bbbb"),
            seg(3, "cccccccccc"),
            seg(4, "d"),
        ];
        let c = chunks(&segs, 8, 10);
        let ids: Vec<Vec<u32>> = c.iter().map(|b| b.iter().map(|s| s.id).collect()).collect();
        assert_eq!(ids, vec![vec![1, 2], vec![3], vec![4]]);
        let c = chunks(&segs, 100, 3);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn align_refuses_missing_extra_duplicate_and_shifted() {
        let a = seg(1, "第1章");
        let b = seg(2, "第2章");
        let batch = vec![&a, &b];
        let ok = align(&batch, vec![(2, "Ch 2".into()), (1, "Ch 1".into())]).unwrap();
        assert_eq!(ok, vec![(1, "Ch 1".into()), (2, "Ch 2".into())]);
        assert!(
            matches!(align(&batch, vec![(1, "Ch 1".into())]), Err(MtError::Misaligned { ids }) if ids == vec![2])
        );
        assert!(matches!(
            align(&batch, vec![(1, "Ch 1".into()), (2, "Ch 2".into()), (3, "x".into())]),
            Err(MtError::Misaligned { ids }) if ids == vec![3]
        ));
        assert!(align(
            &batch,
            vec![(1, "Ch 1".into()), (1, "Ch 1".into()), (2, "x 2".into())]
        )
        .is_err());
        assert!(matches!(
            align(&batch, vec![(1, "Ch 2".into()), (2, "Ch 1".into())]),
            Err(MtError::Misaligned { ids }) if ids == vec![1, 2]
        ));
        assert!(matches!(
            align(&batch, vec![(1, " ".into()), (2, "Ch 2".into())]),
            Err(MtError::BadReply { .. })
        ));
        // A single segment cannot be misaligned: the number check is skipped.
        assert!(align(&[&a], vec![(1, "Chapter one".into())]).is_ok());
    }
}
