//! `qiantang licence …` (rights grants) and `qiantang piracy check`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use qiantang_app::accounts::Actor;
use qiantang_app::rights::GrantInput;
use qiantang_hub::api::rights::{grant_dto, piracy_dto, refusal_dto, rights_map_dto};
use qiantang_rights::{GrantOutcome, GrantStatus};
use qiantang_works::model::WorkScope;

use crate::config::Config;
use crate::{open, print_json, read_limited, resolve_work};

/// `qiantang licence …`.
#[derive(Debug, Subcommand)]
pub enum LicenceCmd {
    /// Grant (or offer) a licence. A conflicting grant is refused (exit 1,
    /// conflicts listed) unless --force-flag records it flagged.
    Grant {
        /// Work id or exact title.
        work: String,
        /// Who receives the rights.
        #[arg(long)]
        licensee: String,
        /// Territories: ISO 3166-1 alpha-2 codes, comma-separated, or WW.
        #[arg(long, value_name = "US,CA")]
        territory: String,
        /// Languages: BCP 47 tags, comma-separated, or *.
        #[arg(long, value_name = "en,fr")]
        language: String,
        /// Media: text, audio, film_tv, micro_drama, game, merchandise (comma-separated).
        #[arg(long, value_name = "text,audio")]
        medium: String,
        /// Exclusive licence.
        #[arg(long)]
        exclusive: bool,
        /// First day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Last day (YYYY-MM-DD); without it the licence is perpetual.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Record an offer instead of a grant in force.
        #[arg(long)]
        offer: bool,
        /// Notes (fee, contract reference…).
        #[arg(long, default_value = "")]
        notes: String,
        /// Record a conflicting grant flagged instead of refusing it.
        #[arg(long)]
        force_flag: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the licences of a work.
    List {
        /// Work id or exact title.
        work: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a licence.
    Revoke {
        /// Licence id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the rights map of a work (medium × territory × language → holders).
    Map {
        /// Work id or exact title.
        work: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `qiantang piracy …`.
#[derive(Debug, Subcommand)]
pub enum PiracyCmd {
    /// Check a suspected text (a chapter or a whole novel, any encoding the
    /// importer accepts, or EPUB; `-` reads standard input) against every
    /// imported chapter.
    Check {
        /// The file, or `-`.
        file: String,
        /// Minimum estimated Jaccard similarity (0.05–1).
        #[arg(long, default_value_t = qiantang_fingerprint::DEFAULT_THRESHOLD)]
        threshold: f64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn grant_line(g: &qiantang_rights::Grant) -> String {
    format!(
        "#{:<4} {} {} · {} × {} × {} · {} · {}{}",
        g.id,
        g.licensee,
        if g.exclusive {
            "(exclusive)"
        } else {
            "(non-exclusive)"
        },
        g.territories
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(","),
        g.languages
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join(","),
        g.media
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(","),
        g.term(),
        g.status,
        if g.flagged {
            " · FLAGGED (conflicts)"
        } else {
            ""
        }
    )
}

/// Runs a licence command.
pub fn licence(cfg: &Config, cmd: LicenceCmd) -> Result<ExitCode> {
    let app = open(cfg)?;
    let _log = crate::deposit::AttachedLog::attach(&app, cfg)?;
    let work_of = |key: &str| -> Result<qiantang_works::model::Work> {
        let id = resolve_work(&app, key)?;
        app.catalog().work(id)?.context("work vanished")
    };
    let mut out = std::io::stdout().lock();
    match cmd {
        LicenceCmd::Grant {
            work,
            licensee,
            territory,
            language,
            medium,
            exclusive,
            from,
            to,
            offer,
            notes,
            force_flag,
            json,
        } => {
            let w = work_of(&work)?;
            let input = GrantInput {
                licensee,
                territories: vec![territory],
                languages: vec![language],
                media: vec![medium],
                exclusive,
                start: from,
                end: to,
                status: Some(if offer { "offer" } else { "granted" }.into()),
                notes,
                force_flag,
            };
            match app.rights().create_grant(&w, &input, &Actor::cli())? {
                GrantOutcome::Created(g) => {
                    if json {
                        print_json(&grant_dto(&g))?;
                    } else {
                        writeln!(out, "recorded licence {}", grant_line(&g))?;
                        for c in &g.conflicts {
                            writeln!(out, "  conflict: {}", c.description)?;
                        }
                    }
                }
                GrantOutcome::Refused(conflicts) => {
                    if json {
                        print_json(&refusal_dto(&conflicts))?;
                    } else {
                        let mut err = std::io::stderr().lock();
                        writeln!(err, "refused: the grant conflicts with {} existing licence(s); nothing was recorded (--force-flag records it flagged):", conflicts.len())?;
                        for c in &conflicts {
                            writeln!(err, "  {}", c.description)?;
                        }
                    }
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        LicenceCmd::List { work, json } => {
            let w = work_of(&work)?;
            let list = app.rights().list_grants(&w)?;
            if json {
                print_json(&list.iter().map(grant_dto).collect::<Vec<_>>())?;
            } else if list.is_empty() {
                writeln!(out, "no licences for work {} \"{}\"", w.id, w.title)?;
            } else {
                for g in &list {
                    writeln!(out, "{}", grant_line(g))?;
                }
            }
        }
        LicenceCmd::Revoke { id, json } => {
            let g = app
                .rights()
                .grant(id)?
                .with_context(|| format!("no licence {id}"))?;
            let w = app.catalog().work(g.work_id)?.context("work vanished")?;
            let was_revoked = g.status == GrantStatus::Revoked;
            let g = app.rights().revoke_grant(&w, id, &Actor::cli())?;
            if json {
                print_json(&grant_dto(&g))?;
            } else if was_revoked {
                writeln!(out, "licence {id} was already revoked")?;
            } else {
                writeln!(out, "revoked licence {}", grant_line(&g))?;
            }
        }
        LicenceCmd::Map { work, json } => {
            let w = work_of(&work)?;
            let m = app.rights().rights_map(&w)?;
            if json {
                print_json(&rights_map_dto(&m))?;
            } else if m.cells.is_empty() {
                writeln!(out, "no licences for work {} \"{}\"", w.id, w.title)?;
            } else {
                writeln!(
                    out,
                    "{:<12} {:<9} {:<9} holders",
                    "medium", "territory", "language"
                )?;
                for c in &m.cells {
                    let holders: Vec<String> = c
                        .holders
                        .iter()
                        .map(|h| {
                            format!(
                                "{} (#{}{}{}, {} – {}{})",
                                h.licensee,
                                h.grant,
                                if h.exclusive { ", exclusive" } else { "" },
                                if h.status == GrantStatus::Offer {
                                    ", offer"
                                } else {
                                    ""
                                },
                                h.start,
                                h.end
                                    .map(|d| d.to_string())
                                    .unwrap_or_else(|| "perpetual".into()),
                                if h.flagged { ", FLAGGED" } else { "" }
                            )
                        })
                        .collect();
                    writeln!(
                        out,
                        "{:<12} {:<9} {:<9} {}",
                        c.medium.as_str(),
                        c.territory.as_str(),
                        c.language.as_str(),
                        holders.join("; ")
                    )?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a piracy command (as the local operator: every work is searched).
pub fn piracy(cfg: &Config, cmd: PiracyCmd) -> Result<ExitCode> {
    let PiracyCmd::Check {
        file,
        threshold,
        json,
    } = cmd;
    let (name, bytes) = if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(cfg.max_upload_bytes as u64 + 1)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        if buf.len() > cfg.max_upload_bytes {
            bail!(
                "standard input is larger than the limit of {} bytes (max_upload_bytes)",
                cfg.max_upload_bytes
            );
        }
        ("stdin.txt".to_string(), buf)
    } else {
        let path = PathBuf::from(&file);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.clone());
        (name, read_limited(&path, cfg.max_upload_bytes)?)
    };
    let app = open(cfg)?;
    let _log = crate::deposit::AttachedLog::attach(&app, cfg)?;
    let r = app
        .piracy()
        .piracy_check(&name, &bytes, Some(threshold), &WorkScope::All)?;
    if json {
        print_json(&piracy_dto(&r))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} of {} chapter(s) match (threshold {}, {} chapters indexed, input {})",
        r.matched_segments(),
        r.segments.len(),
        r.threshold,
        r.indexed_chapters,
        r.encoding
    )?;
    for s in &r.segments {
        let title = if s.title.is_empty() {
            "(no heading)"
        } else {
            &s.title
        };
        if let Some(why) = &s.skipped {
            writeln!(out, "{:>4}. {title}: skipped ({why})", s.number)?;
            continue;
        }
        if s.matches.is_empty() {
            writeln!(out, "{:>4}. {title}: no match", s.number)?;
            continue;
        }
        writeln!(out, "{:>4}. {title}:", s.number)?;
        for m in &s.matches {
            writeln!(
                out,
                "      {:.2}  work {} \"{}\" ({}), chapter {} {} — imported {}{}",
                m.similarity,
                m.work,
                m.work_title,
                m.org_name,
                m.chapter,
                m.chapter_title,
                qiantang_app::clock::rfc3339(m.evidence.imported_ms),
                m.evidence
                    .deposit_index
                    .map(|i| format!(", deposit #{i}"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
