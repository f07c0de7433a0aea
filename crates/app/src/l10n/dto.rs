//! Wire shapes of localization objects (API and CLI `--json`), built as
//! JSON values. Only this module builds JSON for the l10n domain.

use qiantang_l10n::model::*;

use super::{Localization, ProjectFinding, SegmentView};
use crate::error::AppError;

/// A project with its overall progress, as JSON.
pub fn project_json(p: &Project, total: Progress) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "org": p.org, "work": p.work, "locale": p.locale, "market": p.market,
        "settings": {"gloss_style": p.settings.gloss_style, "mt_backend": p.settings.mt_backend,
            "tm_threshold": p.settings.tm_threshold},
        "created_by": p.created_by, "created_ms": p.created_ms,
        "progress": progress_json(total),
    })
}

/// Progress counts as JSON.
pub fn progress_json(p: Progress) -> serde_json::Value {
    let mut states = serde_json::Map::new();
    for st in SegmentState::ALL {
        states.insert(st.as_str().into(), p.count(st).into());
    }
    serde_json::json!({"chapter": p.chapter, "segments": p.total(), "states": states,
        "translated_percent": p.percent_translated(), "source_chars": p.source_chars})
}

/// A job as JSON.
pub fn job_json(j: &Job) -> serde_json::Value {
    serde_json::json!({"id": j.id, "project": j.project, "kind": j.kind, "state": j.state.as_str(),
        "done": j.done, "total": j.total, "error": j.error, "created_by": j.created_by,
        "created_ms": j.created_ms, "updated_ms": j.updated_ms})
}

/// A segment as JSON.
pub fn segment_json(s: &Segment) -> serde_json::Value {
    serde_json::json!({"id": s.id, "key": s.key(), "chapter": s.chapter, "ordinal": s.ordinal,
        "source": s.source, "target": s.target, "state": s.state.as_str(),
        "origin": s.origin.as_ref().map(Origin::label), "version": s.version,
        "updated_by": s.updated_by, "updated_ms": s.updated_ms})
}

/// A glossary entry as JSON.
pub fn glossary_json(e: &GlossaryEntry) -> serde_json::Value {
    serde_json::json!({"id": e.id, "source": e.source, "aliases": e.aliases, "target": e.target,
        "kind": e.kind.as_str(), "concept": e.concept, "locked": e.locked,
        "forbidden": e.forbidden, "note": e.note})
}

/// A QA finding as JSON.
pub fn qa_json(f: &qiantang_l10n::qa::Finding) -> serde_json::Value {
    serde_json::json!({"check": f.check.as_str(), "severity": f.severity.as_str(),
        "message": f.message, "span": f.span,
        "fix": f.fix.as_ref().map(|x| serde_json::json!({"label": x.label, "target": x.target}))})
}

/// A located QA finding as JSON.
pub fn finding_json(f: &ProjectFinding) -> serde_json::Value {
    let mut v = qa_json(&f.finding);
    v["segment"] = f.segment.into();
    v["key"] = f.key.clone().into();
    v
}

/// One segment of the CAT editor as JSON.
pub fn segment_view_json(v: &SegmentView) -> serde_json::Value {
    let mut out = segment_json(&v.segment);
    out["hints"] = v
        .hints
        .iter()
        .map(|h| {
            serde_json::json!({"concept": h.concept, "glossary": h.glossary, "start": h.start,
            "len": h.len, "source": h.source_text, "text": h.text, "plain": h.plain,
            "strategy": h.strategy.as_str(), "gloss": h.gloss, "first": h.first_occurrence,
            "locked": h.locked, "forbidden": h.forbidden, "rule": h.rule,
            "definition": h.definition})
        })
        .collect::<Vec<_>>()
        .into();
    out["matches"] = v
        .matches
        .iter()
        .map(|m| {
            serde_json::json!({"score": m.score, "source": m.unit.source, "target": m.unit.target,
            "approved": m.unit.approved, "origin": m.unit.origin,
            "diff": m.diff.iter().map(diff_json).collect::<Vec<_>>()})
        })
        .collect::<Vec<_>>()
        .into();
    out["findings"] = v.findings.iter().map(qa_json).collect::<Vec<_>>().into();
    out["comments"] = v
        .comments
        .iter()
        .map(|c| serde_json::json!({"id": c.id, "author": c.author, "body": c.body, "at_ms": c.at_ms}))
        .collect::<Vec<_>>()
        .into();
    out
}

fn diff_json(d: &qiantang_l10n::tm::DiffOp) -> serde_json::Value {
    use qiantang_l10n::tm::DiffOp;
    match d {
        DiffOp::Equal(t) => serde_json::json!({"op": "equal", "text": t}),
        DiffOp::Delete(t) => serde_json::json!({"op": "delete", "text": t}),
        DiffOp::Insert(t) => serde_json::json!({"op": "insert", "text": t}),
    }
}

/// Project, progress per chapter, jobs and MT usage as JSON (API and UI).
pub fn project_detail_json(l: &Localization, p: &Project) -> Result<serde_json::Value, AppError> {
    let prog = l.progress(p.id)?;
    let mut v = project_json(p, prog.first().copied().unwrap_or_default());
    let work = l.work_of(p)?;
    v["work_title"] = serde_json::json!(work.map(|w| w.title));
    v["chapters"] = prog
        .iter()
        .skip(1)
        .map(|c| progress_json(*c))
        .collect::<Vec<_>>()
        .into();
    v["jobs"] = l
        .project_jobs(p.id)?
        .iter()
        .map(job_json)
        .collect::<Vec<_>>()
        .into();
    v["mt_usage"] = l
        .mt_usage(p.id)?
        .iter()
        .map(|u| {
            serde_json::json!({"backend": u.backend, "requests": u.requests,
            "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
            "characters": u.characters, "cached_segments": u.cached_segments})
        })
        .collect::<Vec<_>>()
        .into();
    v["backends"] = l.mt_backends_for(p.org).into();
    Ok(v)
}
