//! `qiantang tm …` and `qiantang l10n …`: translation memories and
//! localization projects from the command line (issue 4).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use qiantang_app::accounts::Actor;
use qiantang_app::l10n::ExportFormat;
use qiantang_app::App;
use qiantang_l10n::model::{Job, JobState, SegmentState};

use crate::config::Config;
use crate::{print_json, read_limited, resolve_org, resolve_work};

/// `qiantang tm …`
#[derive(Debug, Subcommand)]
pub enum TmCmd {
    /// Import a TMX 1.4b file into an organization's TM (all or nothing).
    Import {
        /// The .tmx file.
        file: PathBuf,
        /// Organization (default: the only one, or `demo`).
        #[arg(long)]
        org: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export an organization's TM as TMX 1.4b.
    Export {
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// Organization (default: the only one, or `demo`).
        #[arg(long)]
        org: Option<String>,
    },
}

/// `qiantang l10n …`
#[derive(Debug, Subcommand)]
pub enum L10nCmd {
    /// Create a project: a work into a target locale for a market. Prints the project id.
    Create {
        /// Work id or exact title.
        work: String,
        /// Target locale, BCP 47 (`en`, `vi`, `es-419`, `zh-Hant-TW`).
        #[arg(long)]
        locale: String,
        /// Target market, ISO 3166-1 alpha-2 (`US`, `VN`, `TW`).
        #[arg(long)]
        market: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List projects with their progress.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pre-translate segments that are still new: TM matches first, then MT.
    /// Runs here with a progress bar; resumable (rerun continues).
    Pretranslate {
        /// Project id.
        project: i64,
        /// Chapter range, e.g. `1-10` or `3`.
        #[arg(long)]
        chapters: Option<String>,
        /// MT backend name (from `[mt.NAME]` in the config, or `opencc`).
        #[arg(long, conflicts_with = "tm_only")]
        backend: Option<String>,
        /// Use only the translation memory.
        #[arg(long)]
        tm_only: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a project's settings.
    Set {
        /// Project id.
        project: i64,
        /// Default MT backend for pre-translation and MT on demand (`none` = TM only).
        #[arg(long)]
        backend: Option<String>,
        /// Minimum TM score used by pre-translation (50–100).
        #[arg(long)]
        tm_threshold: Option<u8>,
        /// How first-occurrence glosses are written: inline or footnote.
        #[arg(long)]
        gloss_style: Option<String>,
    },
    /// Run every QA check over the project.
    Qa {
        /// Project id.
        project: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Exit with status 1 when a finding of this severity or worse exists (`error`, `warning`).
        #[arg(long)]
        fail_on: Option<String>,
    },
    /// Export the project: `epub` (EPUB 3 of the translation), `xliff` (XLIFF 2.1), `tmx`.
    Export {
        /// Project id.
        project: i64,
        /// epub, xliff or tmx.
        #[arg(long)]
        format: String,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Import an XLIFF 2.1 file translated in another CAT tool (all or nothing).
    Import {
        /// Project id.
        project: i64,
        /// The .xlf / .xliff file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `tm` subcommand.
pub fn tm(app: &Arc<App>, cfg: &Config, cmd: TmCmd) -> Result<ExitCode> {
    match cmd {
        TmCmd::Import { file, org, json } => {
            let org = resolve_org(app, org.as_deref())?;
            let bytes = read_limited(&file, cfg.max_upload_bytes.max(1 << 30))?;
            let name = file_name(&file);
            let (total, added) = app.l10n().import_tmx(org, &name, &bytes, &Actor::cli())?;
            if json {
                print_json(
                    &serde_json::json!({"file": name, "units": total, "added": added,
                    "tm_size": app.l10n().unit_count(org)?}),
                )?;
            } else {
                println!("imported {name}: {total} units, {added} new");
            }
        }
        TmCmd::Export { output, org } => {
            let org = resolve_org(app, org.as_deref())?;
            let bytes = app.l10n().export_tmx(org)?;
            write_file(&output, &bytes)?;
            eprintln!(
                "wrote {} ({} units)",
                output.display(),
                app.l10n().unit_count(org)?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Writes through a temporary file in the same folder, so a failed write
/// (full disk) never leaves a truncated output behind.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    // NamedTempFile is created 0600; an export is an ordinary file (0644 before umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn parse_range(s: &str) -> Result<(u32, u32)> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let a: u32 = a
        .parse()
        .with_context(|| format!("bad chapter range {s:?}: use 1-10"))?;
    let b: u32 = b
        .parse()
        .with_context(|| format!("bad chapter range {s:?}: use 1-10"))?;
    if a == 0 || b < a {
        bail!("bad chapter range {s:?}: chapters count from 1 and the end is not before the start");
    }
    Ok((a, b))
}

fn progress_bar(j: &Job) {
    let width = 30usize;
    let filled = (j.done as usize * width)
        .checked_div(j.total as usize)
        .unwrap_or(width)
        .min(width);
    eprint!(
        "\r[{}{}] {}/{} segments  {}   ",
        "#".repeat(filled),
        "-".repeat(width - filled),
        j.done,
        j.total,
        j.state.as_str()
    );
    if j.state.is_final() {
        eprintln!();
    }
}

/// Runs an `l10n` subcommand.
pub fn l10n(app: &Arc<App>, _cfg: &Config, cmd: L10nCmd) -> Result<ExitCode> {
    let actor = Actor::cli();
    match cmd {
        L10nCmd::Create {
            work,
            locale,
            market,
            json,
        } => {
            let work = resolve_work(app, &work)?;
            let p = app.l10n().create_project(work, &locale, &market, &actor)?;
            let segments = app.l10n().segments(p.id, None)?.len();
            if json {
                print_json(
                    &serde_json::json!({"project": p.id, "work": p.work, "locale": p.locale,
                    "market": p.market, "segments": segments}),
                )?;
            } else {
                println!("{}", p.id);
                eprintln!(
                    "project {} — work {} → {} for market {}: {segments} segments",
                    p.id, p.work, p.locale, p.market
                );
            }
        }
        L10nCmd::List { json } => {
            let orgs: Vec<i64> = app.accounts().list_orgs()?.iter().map(|o| o.id).collect();
            let mut rows = Vec::new();
            for p in app.l10n().list_projects(&orgs)? {
                let prog = app.l10n().progress(p.id)?;
                let total = prog.first().copied().unwrap_or_default();
                rows.push(
                    serde_json::json!({"project": p.id, "work": p.work, "locale": p.locale,
                    "market": p.market, "segments": total.total(),
                    "translated_percent": total.percent_translated(),
                    "approved": total.count(SegmentState::Approved)}),
                );
            }
            if json {
                print_json(&rows)?;
            } else {
                for r in &rows {
                    println!(
                        "{:>4}  work {:<4} {:<12} {:<3} {:>6} segments  {:>3}% translated",
                        r["project"],
                        r["work"],
                        r["locale"].as_str().unwrap_or(""),
                        r["market"].as_str().unwrap_or(""),
                        r["segments"],
                        r["translated_percent"]
                    );
                }
            }
        }
        L10nCmd::Pretranslate {
            project,
            chapters,
            backend,
            tm_only,
            json,
        } => {
            let p = app.l10n().project(project)?;
            let chapters = chapters.as_deref().map(parse_range).transpose()?;
            let backend = if tm_only {
                None
            } else {
                backend.or(p.settings.mt_backend.clone())
            };
            let job = app
                .l10n()
                .queue_pretranslate(project, chapters, backend, &actor)?;
            let done = app.l10n().run_job(job.id, &mut |j| {
                if !json {
                    progress_bar(j)
                }
            })?;
            let prog = app.l10n().progress(project)?;
            let total = prog.first().copied().unwrap_or_default();
            let usage = app.l10n().mt_usage(project)?;
            if json {
                print_json(
                    &serde_json::json!({"job": done.id, "state": done.state.as_str(),
                    "done": done.done, "total": done.total, "error": done.error,
                    "segments": {"new": total.count(SegmentState::New), "draft": total.count(SegmentState::Draft),
                        "translated": total.count(SegmentState::Translated),
                        "reviewed": total.count(SegmentState::Reviewed),
                        "approved": total.count(SegmentState::Approved)},
                    "mt_usage": usage.iter().map(|u| serde_json::json!({"backend": u.backend,
                        "requests": u.requests, "prompt_tokens": u.prompt_tokens,
                        "completion_tokens": u.completion_tokens, "characters": u.characters,
                        "cached_segments": u.cached_segments})).collect::<Vec<_>>()}),
                )?;
            } else {
                println!(
                    "job {} {}: {} drafts, {} segments still new",
                    done.id,
                    done.state.as_str(),
                    total.count(SegmentState::Draft),
                    total.count(SegmentState::New)
                );
                if let Some(e) = &done.error {
                    println!("  {e}");
                }
            }
            if done.state != JobState::Done {
                return Ok(ExitCode::from(1));
            }
        }
        L10nCmd::Set {
            project,
            backend,
            tm_threshold,
            gloss_style,
        } => {
            let mut settings = app.l10n().project(project)?.settings;
            if let Some(b) = backend {
                settings.mt_backend = (b != "none").then_some(b);
            }
            if let Some(t) = tm_threshold {
                settings.tm_threshold = t;
            }
            if let Some(g) = gloss_style {
                settings.gloss_style = match g.as_str() {
                    "inline" => qiantang_l10n::model::GlossStyle::Inline,
                    "footnote" => qiantang_l10n::model::GlossStyle::Footnote,
                    other => bail!("--gloss-style takes inline or footnote, not {other:?}"),
                };
            }
            let p = app
                .l10n()
                .update_project_settings(project, settings, &actor)?;
            println!(
                "project {}: backend {}, TM threshold {}, glosses {:?}",
                p.id,
                p.settings.mt_backend.as_deref().unwrap_or("none (TM only)"),
                p.settings.tm_threshold,
                p.settings.gloss_style
            );
        }
        L10nCmd::Qa {
            project,
            json,
            fail_on,
        } => {
            let findings = app.l10n().project_qa(project)?;
            let dto: Vec<_> = findings
                .iter()
                .map(qiantang_app::l10n::finding_json)
                .collect();
            if json {
                print_json(&dto)?;
            } else {
                for f in &dto {
                    println!(
                        "{:<8} {:<8} {:<22} {}",
                        f["key"].as_str().unwrap_or(""),
                        f["severity"].as_str().unwrap_or(""),
                        f["check"].as_str().unwrap_or(""),
                        f["message"].as_str().unwrap_or("")
                    );
                }
                eprintln!("{} findings", dto.len());
            }
            if let Some(level) = fail_on {
                let worst = match level.as_str() {
                    "error" => ["error"].as_slice(),
                    "warning" => ["error", "warning"].as_slice(),
                    other => bail!("--fail-on takes error or warning, not {other:?}"),
                };
                if dto
                    .iter()
                    .any(|f| worst.contains(&f["severity"].as_str().unwrap_or("")))
                {
                    return Ok(ExitCode::from(1));
                }
            }
        }
        L10nCmd::Export {
            project,
            format,
            output,
        } => {
            let format = ExportFormat::parse(&format)
                .with_context(|| format!("unknown format {format:?}: use epub, xliff or tmx"))?;
            let bytes = app.l10n().export_project(project, format)?;
            write_file(&output, &bytes)?;
            eprintln!("wrote {} ({} bytes)", output.display(), bytes.len());
            if format == ExportFormat::Epub {
                let total = app
                    .l10n()
                    .progress(project)?
                    .first()
                    .copied()
                    .unwrap_or_default();
                let untranslated = total.count(SegmentState::New);
                let unconfirmed = total.count(SegmentState::Draft);
                if untranslated > 0 || unconfirmed > 0 {
                    eprintln!(
                        "warning: {untranslated} of {} segments have no translation (their Chinese source is in the EPUB) and {unconfirmed} are unconfirmed drafts; run `qiantang l10n qa {project}`",
                        total.total()
                    );
                }
            }
        }
        L10nCmd::Import {
            project,
            file,
            json,
        } => {
            let bytes = read_limited(&file, 256 << 20)?;
            let report = app
                .l10n()
                .import_xliff(project, &file_name(&file), &bytes, &actor)?;
            if json {
                print_json(
                    &serde_json::json!({"updated": report.updated, "unchanged": report.unchanged,
                    "comments": report.comments}),
                )?;
            } else {
                println!(
                    "imported {}: {} segments updated, {} unchanged, {} notes added",
                    file_name(&file),
                    report.updated,
                    report.unchanged,
                    report.comments
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
