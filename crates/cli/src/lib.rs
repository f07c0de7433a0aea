//! # qiantang (CLI)
//!
//! The `qiantang` command. [`run`] parses arguments and dispatches to
//! subcommands; `main.rs` only calls it. Every reporting command takes
//! `--json` and prints the same shapes as the JSON API (`qiantang_app::dto`).

pub mod config;
pub mod deposit;
pub mod l10n;
pub mod rights;

use qiantang_app::accounts::AuditDetail;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use qiantang_app::accounts::Actor;
use qiantang_app::dto::*;
use qiantang_app::App;
use qiantang_auth::Role;
use qiantang_hub::HubConfig;
use qiantang_works::import::ImportOptions;
use qiantang_works::model::WorkScope;

use config::{Config, Overrides};

/// The bundled sample (first 10 chapters of 济公全传, public domain; see data/PROVENANCE.md).
pub const SAMPLE_NOVEL: &[u8] = include_bytes!("../../../data/samples/jigong_quanzhuan_ch1-10.txt");

/// Qiantang (钱塘): take Chinese web novels, dramas and games overseas.
#[derive(Debug, Parser)]
#[command(name = "qiantang", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Data directory (SQLite database and blobs).
    #[arg(long, global = true, env = "QIANTANG_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Listen address for `serve`.
    #[arg(long, global = true, env = "QIANTANG_LISTEN", value_name = "HOST:PORT")]
    listen: Option<String>,
    /// Optional TOML config file (unknown keys are rejected).
    #[arg(long, global = true, env = "QIANTANG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Largest accepted upload in bytes.
    #[arg(
        long,
        global = true,
        env = "QIANTANG_MAX_UPLOAD_BYTES",
        value_name = "BYTES"
    )]
    max_upload_bytes: Option<usize>,
    /// Log filter, e.g. `info` or `qiantang_hub=debug`.
    #[arg(long, global = true, env = "QIANTANG_LOG", value_name = "FILTER")]
    log: Option<String>,
    /// `postgres://user:password@host/db` to use PostgreSQL instead of the embedded SQLite.
    #[arg(
        long,
        global = true,
        env = "QIANTANG_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the hub (web UI and JSON API).
    Serve {
        /// Do not import the bundled sample novel into an empty hub.
        #[arg(long)]
        no_sample: bool,
    },
    /// Import content.
    #[command(subcommand)]
    Import(ImportCmd),
    /// List and inspect works.
    #[command(subcommand)]
    Works(WorksCmd),
    /// Tag a work with the knowledge base and print its cultural profile.
    Tag {
        /// Work id or exact title.
        work: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Concepts to list (text output).
        #[arg(long, default_value_t = 30)]
        top: usize,
    },
    /// The cultural-element knowledge base.
    #[command(subcommand)]
    Kb(KbCmd),
    /// Translation memories (TMX 1.4b import and export).
    #[command(subcommand)]
    Tm(l10n::TmCmd),
    /// Localization projects: create, pre-translate, QA, export, import.
    #[command(subcommand)]
    L10n(l10n::L10nCmd),
    /// Organizations and users (platform administration).
    #[command(subcommand)]
    Admin(AdminCmd),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The copyright deposit log (`DATA_DIR/log/`).
    #[command(subcommand)]
    Log(LogCmd),
    /// Licences (rights grants) of works.
    #[command(subcommand)]
    Licence(rights::LicenceCmd),
    /// Find copies of imported chapters in a suspected text.
    #[command(subcommand)]
    Piracy(rights::PiracyCmd),
    /// Deposit a file in the copyright deposit log (only its hash and metadata).
    Deposit {
        /// The file (hashed streaming, any size).
        file: PathBuf,
        /// Title (default: the file name).
        #[arg(long)]
        title: Option<String>,
        /// work, chapter, translation, subtitle, dub, adaptation, file or licence.
        #[arg(long, default_value = "file")]
        kind: String,
        /// Index of the entry this file derives from.
        #[arg(long, value_name = "INDEX")]
        parent: Option<u64>,
        /// Organization that owns the file (default: the only one, or `demo`).
        #[arg(long)]
        org: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the receipt of a deposit: a C2SP tlog-proof with the entry
    /// metadata and the witness cosignatures (plus `FILE.tsr`, the RFC 3161
    /// token, when a TSA is configured), or a printable HTML certificate.
    Receipt {
        /// Entry index.
        index: u64,
        /// Output file (`.tlog-proof`, or `.html` with `--format html`).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// tlog-proof or html (bilingual certificate with a QR code; print it to PDF from a browser).
        #[arg(long, default_value = "tlog-proof", value_parser = ["tlog-proof", "html"])]
        format: String,
        /// Public base URL for the certificate's verification link (default: `[deposit] public_url`).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify a receipt offline, and optionally the deposited file.
    Verify {
        /// The `.tlog-proof` receipt.
        receipt: PathBuf,
        /// The deposited file, to check its SHA-256.
        file: Option<PathBuf>,
        /// The log's verifier key (vkey text or a file holding it).
        #[arg(long, value_name = "VKEY")]
        log_key: String,
        /// A witness verifier key (repeatable).
        #[arg(long, value_name = "VKEY")]
        witness_key: Vec<String>,
        /// Valid witness cosignatures required (default: all witness keys).
        #[arg(long, value_name = "M", visible_alias = "witness-threshold")]
        witnesses: Option<usize>,
        /// TSA (or CA) certificate, PEM: requires the RFC 3161 token and checks its signature.
        #[arg(long, value_name = "FILE")]
        tsa_cert: Option<PathBuf>,
        /// The RFC 3161 token (default: RECEIPT.tsr when it exists).
        #[arg(long, value_name = "FILE")]
        tsa_token: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a C2SP tlog-witness (`POST /add-checkpoint`), or make its key.
    #[command(args_conflicts_with_subcommands = true)]
    Witness {
        /// `keygen`.
        #[command(subcommand)]
        cmd: Option<WitnessCmd>,
        /// The witness's cosignature key file (from `qiantang witness keygen`).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Address to listen on (port 0: any free port; the bound address is printed).
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7380")]
        listen: String,
        /// A log to witness: "ORIGIN VKEY", or its VKEY alone when the origin is the key name
        /// (repeatable; `--log` itself is the global log-filter flag).
        #[arg(long = "trust-log", value_name = "ORIGIN VKEY", required = false)]
        logs: Vec<String>,
        /// Directory of the witness state (latest cosigned checkpoint per log; default DATA_DIR/witness).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum WitnessCmd {
    /// Generate a witness key (cosignature/v1, Ed25519); prints its verifier key.
    Keygen {
        /// Key name, e.g. `witness.example.org`.
        name: String,
        /// Private key file to create (mode 0600).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum LogCmd {
    /// Print the log's verifier key (what verifiers need).
    Key {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCmd {
    /// Create an organization.
    CreateOrg {
        /// Unique name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a user; prints a one-time password.
    CreateUser {
        /// E-mail (the login name).
        email: String,
        /// Organization to join.
        #[arg(long)]
        org: Option<String>,
        /// Role in that organization: owner, editor, translator, reviewer, analyst, viewer.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Make the user a platform administrator.
        #[arg(long)]
        admin: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give an existing user a role in an organization.
    SetRole {
        /// E-mail.
        email: String,
        /// Organization.
        #[arg(long)]
        org: String,
        /// Role.
        #[arg(long)]
        role: String,
    },
    /// Set a new random one-time password for a user (ends their sessions); prints it.
    ResetPassword {
        /// E-mail.
        email: String,
    },
    /// List organizations.
    Orgs {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create an API token scoped to an organization and a role; prints it once.
    Create {
        /// Organization.
        #[arg(long)]
        org: String,
        /// Role the token acts with.
        #[arg(long)]
        role: String,
        /// A label.
        #[arg(long, default_value = "")]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token (effective at once).
    Revoke {
        /// Token id.
        id: i64,
    },
    /// List an organization's tokens (never the secrets).
    List {
        /// Organization.
        #[arg(long)]
        org: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCmd {
    /// Export the audit log as JSON lines (newest first).
    Export {
        /// Only this organization (default: all).
        #[arg(long)]
        org: Option<String>,
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100_000)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCmd {
    /// Import a novel: TXT (UTF-8, UTF-16, GB18030/GBK, Big5; detected) or EPUB.
    Novel {
        /// The file.
        file: PathBuf,
        /// Title (default: EPUB metadata or the file name).
        #[arg(long)]
        title: Option<String>,
        /// Author.
        #[arg(long)]
        author: Option<String>,
        /// Regular expression a chapter heading line must match (whole trimmed line).
        #[arg(long, value_name = "REGEX")]
        heading_pattern: Option<String>,
        /// List the chapters that would be created; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Organization that owns the work (default: the only one, or `demo`).
        #[arg(long)]
        org: Option<String>,
        /// Publish the work (visible to audiences without an account).
        #[arg(long)]
        publish: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum WorksCmd {
    /// List works.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a work and its chapters.
    Show {
        /// Work id or exact title.
        work: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a work.
    Delete {
        /// Work id or exact title.
        work: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KbFormat {
    /// SKOS as JSON-LD.
    Skos,
    /// TBX-Basic (ISO 30042).
    Tbx,
}

impl KbFormat {
    fn name(self) -> &'static str {
        match self {
            KbFormat::Skos => "skos",
            KbFormat::Tbx => "tbx",
        }
    }
}

#[derive(Debug, Subcommand)]
enum KbCmd {
    /// Summary counts (concepts, categories, renderings, markets).
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List concepts (optionally one category).
    List {
        /// Category key.
        #[arg(long)]
        category: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search concepts by label, pinyin, English or id.
    Search {
        /// Query.
        query: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one concept with renderings and where it occurs.
    Show {
        /// Concept id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create or replace a concept from a JSON file (the seed/API concept shape).
    Put {
        /// JSON file, or - for standard input.
        file: PathBuf,
    },
    /// Delete a concept (it must have no narrower concepts).
    Delete {
        /// Concept id.
        id: String,
    },
    /// The rendering of a concept for a market.
    Render {
        /// Concept id.
        id: String,
        /// ISO 3166-1 market.
        #[arg(long)]
        market: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List markets.
    Markets {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the whole KB.
    Export {
        /// Format.
        #[arg(long, value_enum, default_value_t = KbFormat::Skos)]
        format: KbFormat,
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Import (merge) concepts and renderings from an export.
    Import {
        /// The file.
        file: PathBuf,
        /// Format (default: from the extension, `.tbx` → tbx, else skos).
        #[arg(long, value_enum)]
        format: Option<KbFormat>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl GlobalArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            listen: self.listen.clone(),
            max_upload_bytes: self.max_upload_bytes,
            log: self.log.clone(),
            database_url: self.database_url.clone(),
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Parses `std::env::args` and runs the command.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let cfg = config::resolve(&cli.global.overrides())?;
    let serving = matches!(cli.command, Command::Serve { .. });
    init_logging(if serving || cli.global.log.is_some() {
        &cfg.log
    } else {
        "warn"
    });
    match cli.command {
        Command::Serve { no_sample } => serve(&cfg, no_sample),
        Command::Import(ImportCmd::Novel {
            file,
            title,
            author,
            heading_pattern,
            dry_run,
            org,
            publish,
            json,
        }) => {
            let bytes = read_limited(&file, cfg.max_upload_bytes)?;
            let app = open(&cfg)?;
            // Dry runs deposit nothing; real imports deposit the work and its chapters.
            let _log = if dry_run {
                None
            } else {
                Some(deposit::AttachedLog::attach(&app, &cfg)?)
            };
            let org = resolve_org(&app, org.as_deref())?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            let report = app
                .catalog()
                .import_novel(&qiantang_app::catalog::ImportRequest {
                    org,
                    file_name: &name,
                    bytes: &bytes,
                    title: title.as_deref(),
                    author: author.as_deref(),
                    options: &ImportOptions { heading_pattern },
                    dry_run,
                    publish,
                    actor: &Actor::cli(),
                })?;
            let dto = ImportDto::from(&report);
            if json {
                print_json(&dto)?;
            } else {
                let mut out = std::io::stdout().lock();
                match dto.work {
                    Some(id) => writeln!(
                        out,
                        "imported work {id} \"{}\": {} chapters ({}), {} cultural-element occurrences tagged",
                        dto.title, dto.chapter_count, dto.encoding, dto.occurrences
                    )?,
                    None => {
                        writeln!(out, "dry run: would create {} chapters ({}) for \"{}\":", dto.chapter_count, dto.encoding, dto.title)?;
                        for c in &dto.chapters {
                            writeln!(out, "{:>5}  {}  ({} chars)", c.number, c.title, c.char_count)?;
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Works(cmd) => works(&cfg, cmd),
        Command::Licence(cmd) => rights::licence(&cfg, cmd),
        Command::Piracy(cmd) => rights::piracy(&cfg, cmd),
        Command::Tag { work, json, top } => {
            let app = open(&cfg)?;
            let id = resolve_work(&app, &work)?;
            app.catalog().tag_work(id)?;
            let profile = app
                .catalog()
                .profile(id)?
                .context("work has no profile after tagging")?;
            let dto = ProfileDto::from(&profile);
            if json {
                print_json(&dto)?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "work {} \"{}\": {} occurrences of {} concepts",
                    dto.work.id, dto.work.title, dto.total_occurrences, dto.distinct_concepts
                )?;
                writeln!(out, "by category:")?;
                for c in &dto.categories {
                    writeln!(
                        out,
                        "  {:<12} {:>7}  ({} concepts)",
                        c.category, c.count, c.concepts
                    )?;
                }
                writeln!(out, "top concepts:")?;
                for c in dto.concepts.iter().take(top) {
                    writeln!(
                        out,
                        "  {:>6}  {} {}  [{}]  {}",
                        c.count,
                        c.label,
                        c.label_en.as_deref().unwrap_or(""),
                        c.category,
                        c.concept
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Kb(cmd) => kb(&cfg, cmd),
        Command::Tm(cmd) => l10n::tm(&open(&cfg)?, &cfg, cmd),
        Command::L10n(cmd) => l10n::l10n(&open(&cfg)?, &cfg, cmd),
        Command::Admin(cmd) => admin(&cfg, cmd),
        Command::Token(cmd) => token(&cfg, cmd),
        Command::Log(LogCmd::Key { json }) => {
            let log = deposit::open_service(&cfg)?;
            let key = log.verifier_key();
            if json {
                print_json(
                    &serde_json::json!({"vkey": key.to_string(), "name": key.name(),
                    "key_id": format!("{:08x}", key.key_id())}),
                )?;
            } else {
                println!("{key}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Deposit {
            file,
            title,
            kind,
            parent,
            org,
            json,
        } => {
            let org_name = {
                let app = open(&cfg)?;
                let id = resolve_org(&app, org.as_deref())?;
                app.accounts()
                    .list_orgs()?
                    .into_iter()
                    .find(|o| o.id == id)
                    .map(|o| o.name)
                    .context("organization not found")?
            };
            let log = deposit::open_service(&cfg)?;
            let parent = parent.map(|i| log.parent_ref(i)).transpose()?;
            let entry = deposit::build_entry(&file, title, Some(&kind), org_name, parent)?;
            let asked = entry.clone();
            let out = log.deposit(entry)?;
            let report = log.integrate()?;
            if out.duplicate
                && (out.entry.title != asked.title
                    || out.entry.kind != asked.kind
                    || out.entry.parent != asked.parent)
            {
                eprintln!(
                    "note: these bytes were deposited before as entry {} (\"{}\", {:?}); the log keeps the first deposit, the title, kind and parent given now were not recorded",
                    out.index, out.entry.title, out.entry.kind
                );
            }
            for e in report.witness_errors.iter().chain(&report.tsa_errors) {
                eprintln!("warning: {e}");
            }
            let status = log.status(out.index)?;
            let is_final = status == qiantang_deposit::EntryStatus::Final;
            let status_word = if out.duplicate {
                "existing"
            } else if status == qiantang_deposit::EntryStatus::Pending {
                "pending"
            } else {
                "integrated"
            };
            if json {
                print_json(&serde_json::json!({
                    "status": status_word,
                    "duplicate": out.duplicate,
                    "final": is_final,
                    "index": out.index,
                    "leaf_hash": out.leaf_hash,
                    "checkpoint_size": log.size(),
                    "cosigned_by": report.cosigned_by,
                    "witness_errors": report.witness_errors,
                    "timestamps": report.timestamps,
                    "entry": out.entry,
                }))?;
            } else {
                println!(
                    "{} entry {} leaf {} (checkpoint size {}{}): \"{}\" sha256 {}",
                    status_word,
                    out.index,
                    out.leaf_hash,
                    log.size(),
                    if is_final {
                        ", final"
                    } else {
                        ", not final: witness policy not met"
                    },
                    out.entry.title,
                    out.entry.sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Receipt {
            index,
            output,
            format,
            public_url,
            json,
        } => {
            let log = deposit::open_service(&cfg)?;
            let receipt = log.receipt(index)?;
            let files = if format == "html" {
                let url = public_url
                    .or_else(|| cfg.deposit.public_url.clone())
                    .unwrap_or_else(|| deposit::DEFAULT_PUBLIC_URL.to_owned());
                let parents = log.parent_chain(index)?;
                let html = qiantang_deposit::cert::certificate_html(&receipt, &url, &parents);
                std::fs::write(&output, html)
                    .with_context(|| format!("writing {}", output.display()))?;
                vec![output.clone()]
            } else {
                receipt.write(&output)?
            };
            if json {
                print_json(
                    &serde_json::json!({"index": index, "file": output, "files": files,
                    "format": format, "final": receipt.is_final,
                    "checkpoint_size": receipt.checkpoint.size,
                    "cosignatures": receipt.cosignatures.iter().map(|c| serde_json::json!({"name": c.name, "timestamp": c.timestamp})).collect::<Vec<_>>(),
                    "timestamp": receipt.timestamp_info().map(|i| i.gen_time_utc),
                    "inclusion_hashes": receipt.proof.inclusion.len()}),
                )?;
            } else {
                println!(
                    "receipt for entry {index} written to {}{}",
                    output.display(),
                    if receipt.is_final {
                        ""
                    } else {
                        " (not final: the witness policy is not met yet)"
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            receipt,
            file,
            log_key,
            witness_key,
            witnesses,
            tsa_cert,
            tsa_token,
            json,
        } => {
            let r = deposit::verify(
                &receipt,
                file.as_deref(),
                &log_key,
                &witness_key,
                witnesses,
                tsa_cert,
                tsa_token,
            )?;
            if json {
                print_json(&r)?;
            } else {
                for c in &r.checks {
                    println!(
                        "{} {}: {}",
                        if c.ok { "ok    " } else { "FAILED" },
                        c.check,
                        c.detail
                    );
                }
            }
            if r.ok {
                Ok(ExitCode::SUCCESS)
            } else {
                let reasons: Vec<&str> = r
                    .checks
                    .iter()
                    .filter(|c| !c.ok)
                    .map(|c| c.detail.as_str())
                    .collect();
                eprintln!("error: verification failed: {}", reasons.join("; "));
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Witness {
            cmd: Some(WitnessCmd::Keygen { name, output }),
            ..
        } => {
            let vkey = deposit::witness_keygen(&name, &output)?;
            println!("{vkey}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Witness {
            cmd: None,
            key,
            listen,
            logs,
            state,
        } => {
            let key = key.context(
                "--key FILE is required (make one with `qiantang witness keygen NAME -o FILE`)",
            )?;
            let state = state.unwrap_or_else(|| cfg.data_dir.join("witness"));
            deposit::run_witness(&key, &listen, &logs, &state)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCmd::Export { org, output, limit }) => {
            let app = open(&cfg)?;
            let org = match org {
                Some(n) => Some(app.accounts().org_named(&n)?.id),
                None => None,
            };
            let entries = app.accounts().list_audit(org, None, limit)?;
            let mut body = String::new();
            for e in &entries {
                body.push_str(&qiantang_hub::api::audit_dto(e).to_string());
                body.push('\n');
            }
            // `-o -` means standard output, as for other tools.
            match output.filter(|p| p.as_os_str() != "-") {
                Some(p) => std::fs::write(&p, body)
                    .with_context(|| format!("{}: cannot write", p.display()))?,
                None => std::io::stdout().lock().write_all(body.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The organization a CLI command acts on: `--org NAME`, else the only one.
fn resolve_org(app: &App, name: Option<&str>) -> Result<i64> {
    if let Some(n) = name {
        return Ok(app.accounts().org_named(n)?.id);
    }
    let orgs = app.accounts().list_orgs()?;
    match orgs.as_slice() {
        [one] => Ok(one.id),
        _ => match orgs
            .iter()
            .find(|o| o.name == qiantang_app::accounts::DEFAULT_ORG)
        {
            Some(d) => Ok(d.id),
            None => bail!("several organizations exist: say which one with --org NAME"),
        },
    }
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).with_context(|| {
        format!("unknown role {s:?}: use owner, editor, translator, reviewer, analyst or viewer")
    })
}

fn admin(cfg: &Config, cmd: AdminCmd) -> Result<ExitCode> {
    let app = open(cfg)?;
    match cmd {
        AdminCmd::CreateOrg { name, json } => {
            let o = app.accounts().create_org(&name, &Actor::cli())?;
            if json {
                print_json(&serde_json::json!({"id": o.id, "name": o.name}))?;
            } else {
                println!("created organization {} \"{}\"", o.id, o.name);
            }
        }
        AdminCmd::CreateUser {
            email,
            org,
            role,
            admin,
            json,
        } => {
            let membership = match org {
                Some(n) => Some((app.accounts().org_named(&n)?.id, parse_role(&role)?)),
                None => None,
            };
            let (u, password) =
                app.accounts()
                    .create_user(&email, membership, admin, &Actor::cli())?;
            if json {
                print_json(
                    &serde_json::json!({"id": u.id, "email": u.email, "admin": u.is_admin, "password": password}),
                )?;
            } else {
                println!("created user {} ({})", u.id, u.email);
                println!("one-time password: {password}");
            }
        }
        AdminCmd::SetRole { email, org, role } => {
            let o = app.accounts().org_named(&org)?;
            let u = app
                .accounts()
                .user_by_email(&email)?
                .with_context(|| format!("no user {email}"))?;
            app.accounts()
                .set_role(o.id, u.id, parse_role(&role)?, &Actor::cli())?;
            println!("{} is now {} of {}", u.email, role, o.name);
        }
        AdminCmd::ResetPassword { email } => {
            let u = app
                .accounts()
                .user_by_email(&email)?
                .with_context(|| format!("no user {email}"))?;
            let password = qiantang_auth::secret::new_password()?;
            app.accounts().set_password(u.id, &password)?;
            app.accounts().audit(
                None,
                &Actor::cli(),
                "password_reset",
                &format!("user:{}", u.id),
                AuditDetail::new(),
            );
            println!("one-time password for {}: {password}", u.email);
        }
        AdminCmd::Orgs { json } => {
            let orgs = app.accounts().list_orgs()?;
            if json {
                print_json(
                    &orgs
                        .iter()
                        .map(|o| serde_json::json!({"id": o.id, "name": o.name}))
                        .collect::<Vec<_>>(),
                )?;
            } else {
                for o in &orgs {
                    println!("{:>4}  {}", o.id, o.name);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token_json(t: &qiantang_auth::ApiToken) -> serde_json::Value {
    serde_json::json!({"id": t.id, "org": t.org, "role": t.role.as_str(), "name": t.name,
        "last_used_ms": t.last_used_ms, "revoked_ms": t.revoked_ms})
}

fn token(cfg: &Config, cmd: TokenCmd) -> Result<ExitCode> {
    let app = open(cfg)?;
    match cmd {
        TokenCmd::Create {
            org,
            role,
            name,
            json,
        } => {
            let o = app.accounts().org_named(&org)?;
            let (t, secret) = app.accounts().create_token(
                o.id,
                parse_role(&role)?,
                &name,
                None,
                &Actor::cli(),
            )?;
            if json {
                let mut v = token_json(&t);
                v["token"] = serde_json::Value::String(secret);
                print_json(&v)?;
            } else {
                println!(
                    "token {} for {} as {} (shown once):",
                    t.id,
                    o.name,
                    t.role.as_str()
                );
                println!("{secret}");
            }
        }
        TokenCmd::Revoke { id } => {
            app.accounts().revoke_token(id, &Actor::cli())?;
            println!("revoked token {id}");
        }
        TokenCmd::List { org, json } => {
            let o = app.accounts().org_named(&org)?;
            let list = app.accounts().list_tokens(o.id)?;
            if json {
                print_json(&list.iter().map(token_json).collect::<Vec<_>>())?;
            } else {
                for t in &list {
                    println!(
                        "{:>4}  {:<10} {:<20} {}",
                        t.id,
                        t.role.as_str(),
                        t.name,
                        if t.revoked_ms.is_some() {
                            "revoked"
                        } else {
                            "active"
                        }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open(cfg: &Config) -> Result<Arc<App>> {
    let app = App::open_with(&cfg.data_dir, cfg.database_url.as_deref())
        .with_context(|| store_name(cfg))?;
    app.l10n().configure_mt(&cfg.mt)?;
    app.l10n().configure_mt_access(&cfg.mt_orgs)?;
    Ok(app)
}

fn store_name(cfg: &Config) -> String {
    match &cfg.database_url {
        Some(u) => format!("opening database {}", qiantang_store::redact_url(u)),
        None => format!("opening data directory {}", cfg.data_dir.display()),
    }
}

fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if meta.len() > limit as u64 {
        bail!(
            "{}: file is {} bytes, larger than the limit of {limit} bytes (max_upload_bytes)",
            path.display(),
            meta.len()
        );
    }
    std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn resolve_work(app: &App, key: &str) -> Result<i64> {
    if let Ok(id) = key.parse::<i64>() {
        if app.catalog().work(id)?.is_some() {
            return Ok(id);
        }
    }
    let works = app.catalog().list_works(&WorkScope::All)?;
    let matches: Vec<_> = works.iter().filter(|w| w.title == key).collect();
    match matches.as_slice() {
        [w] => Ok(w.id),
        [] => bail!("no work with id or title {key:?} (see `qiantang works list`)"),
        many => bail!(
            "{} works are titled {key:?} (ids {}); use an id",
            many.len(),
            many.iter()
                .map(|w| w.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn works(cfg: &Config, cmd: WorksCmd) -> Result<ExitCode> {
    let app = open(cfg)?;
    match cmd {
        WorksCmd::List { json } => {
            let list: Vec<WorkDto> = app
                .catalog()
                .list_works(&WorkScope::All)?
                .iter()
                .map(WorkDto::from)
                .collect();
            if json {
                print_json(&list)?;
            } else {
                let mut out = std::io::stdout().lock();
                for w in &list {
                    writeln!(
                        out,
                        "{:>4}  {}  {} chapters  {} chars  ({})",
                        w.id, w.title, w.chapter_count, w.char_count, w.source_encoding
                    )?;
                }
            }
        }
        WorksCmd::Show { work, json } => {
            let id = resolve_work(&app, &work)?;
            let w = app.catalog().work(id)?.context("work vanished")?;
            let chapters: Vec<ChapterDto> = app
                .catalog()
                .chapters(id)?
                .iter()
                .map(ChapterDto::from)
                .collect();
            if json {
                print_json(&serde_json::json!({"work": WorkDto::from(&w), "chapters": chapters}))?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{} \"{}\" — {} chapters",
                    w.id, w.title, w.chapter_count
                )?;
                for c in &chapters {
                    writeln!(
                        out,
                        "{:>5}  {}  ({} chars)",
                        c.number, c.title, c.char_count
                    )?;
                }
            }
        }
        WorksCmd::Delete { work } => {
            let id = resolve_work(&app, &work)?;
            let w = app.catalog().require_work(id)?;
            app.catalog().delete_work(&w, &Actor::cli())?;
            println!("deleted work {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn kb(cfg: &Config, cmd: KbCmd) -> Result<ExitCode> {
    let app = open(cfg)?;
    let view = app.kb().view();
    match cmd {
        KbCmd::Stats { json } => {
            let mut cats: std::collections::BTreeMap<&str, usize> = Default::default();
            for c in view.concepts.values() {
                *cats.entry(c.category.as_str()).or_default() += 1;
            }
            let renderings: usize = view.renderings.values().map(Vec::len).sum();
            let v = serde_json::json!({
                "concepts": view.concepts.len(),
                "categories": cats,
                "renderings": renderings,
                "markets": view.markets.len(),
                "labels": view.tagger.label_count(),
            });
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "{} concepts, {renderings} renderings, {} markets",
                    view.concepts.len(),
                    view.markets.len()
                );
                for (k, n) in cats {
                    println!("  {k:<12} {n}");
                }
            }
        }
        KbCmd::List { category, json } => {
            let list: Vec<ConceptSummaryDto> = view
                .concepts
                .values()
                .filter(|c| category.as_deref().is_none_or(|k| c.category == k))
                .map(ConceptSummaryDto::from)
                .collect();
            print_concepts(&list, json)?;
        }
        KbCmd::Search { query, json } => {
            let list: Vec<ConceptSummaryDto> = app
                .kb()
                .search(&query, 100)?
                .iter()
                .map(ConceptSummaryDto::from)
                .collect();
            print_concepts(&list, json)?;
        }
        KbCmd::Show { id, json } => {
            let dto = qiantang_hub::api::concept_view(&app, &id, &WorkScope::All)?;
            if json {
                print_json(&dto)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&dto.concept)?);
                println!("narrower: {}", dto.narrower.join(", "));
                for r in &dto.renderings {
                    println!(
                        "rendering {}{}: {} ({})",
                        r.lang,
                        r.market
                            .as_deref()
                            .map(|m| format!("-{m}"))
                            .unwrap_or_default(),
                        r.display_first,
                        r.strategy
                    );
                }
                for u in &dto.used_in {
                    println!("used in work {} \"{}\": {} times", u.work, u.title, u.count);
                }
            }
        }
        KbCmd::Put { file } => {
            let text = if file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
                s
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("{}: cannot read", file.display()))?
            };
            let concept: qiantang_kb::Concept = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a valid concept", file.display()))?;
            let id = concept.id.clone();
            app.kb().save_concept(concept, "cli")?;
            println!("saved concept {id}");
        }
        KbCmd::Delete { id } => {
            if !app.kb().delete_concept(&id, &Actor::cli())? {
                bail!("no concept {id}");
            }
            println!("deleted concept {id}");
        }
        KbCmd::Render { id, market, json } => {
            let c = view
                .concepts
                .get(&id)
                .with_context(|| format!("no concept {id}"))?;
            let region = market.to_ascii_uppercase();
            let m = view
                .markets
                .get(&region)
                .with_context(|| format!("no market {region} (see `qiantang kb markets`)"))?;
            let r = view.rendering_for(c, m);
            let dto = RenderingDto::new(&r.rendering, r.fallback);
            if json {
                print_json(&dto)?;
            } else {
                println!(
                    "{} → {} [{}]: {}",
                    id, region, dto.strategy, dto.display_first
                );
            }
        }
        KbCmd::Markets { json } => {
            let list: Vec<MarketDto> = view.markets.values().map(MarketDto::from).collect();
            if json {
                print_json(&list)?;
            } else {
                for m in &list {
                    println!(
                        "{}  {:<24} {:<24} {:<5} {:<8} {}",
                        m.region,
                        m.name,
                        m.languages.join(","),
                        m.context,
                        m.proximity,
                        m.default_strategy
                    );
                }
            }
        }
        KbCmd::Export { format, output } => {
            let (_, body) = app.kb().export(format.name())?;
            match output {
                Some(p) => {
                    std::fs::write(&p, body)
                        .with_context(|| format!("{}: cannot write", p.display()))?;
                    eprintln!(
                        "exported {} concepts to {}",
                        view.concepts.len(),
                        p.display()
                    );
                }
                None => std::io::stdout().lock().write_all(body.as_bytes())?,
            }
        }
        KbCmd::Import { file, format, json } => {
            let format = format.unwrap_or_else(|| {
                if file
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("tbx") || e.eq_ignore_ascii_case("xml"))
                {
                    KbFormat::Tbx
                } else {
                    KbFormat::Skos
                }
            });
            let bytes = read_limited(&file, cfg.max_upload_bytes)?;
            let (c, r) = app
                .kb()
                .import_file(format.name(), &bytes, "cli-import")
                .with_context(|| {
                    format!("{}: import failed, nothing was written", file.display())
                })?;
            if json {
                print_json(&serde_json::json!({"concepts": c, "renderings": r}))?;
            } else {
                println!(
                    "imported {c} concepts and {r} renderings from {}",
                    file.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_concepts(list: &[ConceptSummaryDto], json: bool) -> Result<()> {
    if json {
        return print_json(&list);
    }
    let mut out = std::io::stdout().lock();
    for c in list {
        writeln!(
            out,
            "{:<40} {:<10} {} {} {}",
            c.id,
            c.category,
            c.zh_hans.as_deref().unwrap_or(""),
            c.pinyin.as_deref().unwrap_or(""),
            c.en.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

fn serve(cfg: &Config, no_sample: bool) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let dir = cfg.data_dir.clone();
        let url = cfg.database_url.clone();
        let app = tokio::task::spawn_blocking(move || App::open_with(&dir, url.as_deref()))
            .await?
            .with_context(|| store_name(cfg))?;
        // Store calls block (PostgreSQL's client must not run on an async worker).
        let (a, mt, mt_orgs) = (app.clone(), cfg.mt.clone(), cfg.mt_orgs.clone());
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            a.l10n().configure_mt(&mt)?;
            a.l10n().configure_mt_access(&mt_orgs)?;
            a.l10n().start_job_worker()?;
            Ok(())
        })
        .await??;
        // The hub owns the deposit log while it runs (its LOCK names the hub,
        // so `qiantang deposit` elsewhere is pointed to the API).
        let public_url = cfg
            .deposit
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", cfg.listen));
        let svc_cfg = deposit::service_config(cfg)?;
        let (data_dir, holder) = (
            cfg.data_dir.clone(),
            format!("{}{public_url}", qiantang_deposit::HUB_HOLDER),
        );
        let db_url = cfg.database_url.clone();
        let log = tokio::task::spawn_blocking(move || {
            let mirror = deposit::log_mirror(db_url.as_deref())?;
            qiantang_deposit::DepositService::open_as(&data_dir, svc_cfg, &holder, mirror)
                .map_err(anyhow::Error::from)
        })
        .await?
        .with_context(|| format!("opening the deposit log in {}", cfg.data_dir.join("log").display()))?;
        let log = Arc::new(log);
        app.deposits().attach_log(log.clone());
        app.deposits().set_auto_deposit(cfg.deposit.auto.unwrap_or(true));
        app.deposits().set_deposit_public_url(Some(public_url));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let integrator = log.run_integrator(std::time::Duration::from_secs(1), stop.clone());
        let a = app.clone();
        if let Some((email, password)) = tokio::task::spawn_blocking(move || a.accounts().ensure_first_admin()).await?? {
            // Printed once to standard output, deliberately not through the log.
            println!(
                "First start: created administrator {email} (owner of organization \"{}\")",
                qiantang_app::accounts::DEFAULT_ORG
            );
            println!("  one-time password: {password}");
            println!("  log in at http://{}/login and change it on /account", cfg.listen);
        }
        let a = app.clone();
        let empty = tokio::task::spawn_blocking(move || a.catalog().list_works(&WorkScope::All)).await??.is_empty();
        if !no_sample && empty {
            let a = app.clone();
            let org = tokio::task::spawn_blocking(move || resolve_org(&a, None)).await??;
            let a = app.clone();
            let r = tokio::task::spawn_blocking(move || {
                let r = a.catalog().import_novel(&qiantang_app::catalog::ImportRequest { org, file_name: "jigong_quanzhuan_ch1-10.txt", bytes: SAMPLE_NOVEL, title: Some("济公全传（前十回）"), author: Some("郭小亭"), options: &ImportOptions::default(), dry_run: false, publish: true, actor: &Actor::cli() })?;
                Ok::<_, qiantang_app::AppError>(r)
            })
            .await??;
            tracing::info!(work = ?r.work, chapters = r.chapters.len(), "imported the bundled sample novel");
        }
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("cannot listen on {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        eprintln!("Qiantang hub at http://{addr}/  (data: {})", cfg.data_dir.display());
        let mut hub = HubConfig::new(cfg.data_dir.clone());
        hub.database_url = cfg.database_url.clone();
        hub.max_upload_bytes = cfg.max_upload_bytes;
        hub.request_timeout = std::time::Duration::from_secs(cfg.request_timeout_secs);
        hub.login_per_minute = cfg.login_per_minute;
        hub.api_per_minute = cfg.api_per_minute;
        hub.secure_cookies = cfg.secure_cookies;
        hub.session_ttl = std::time::Duration::from_secs(cfg.session_hours * 3600);
        let served = qiantang_hub::serve(app.clone(), hub, listener, shutdown_signal()).await;
        // Background jobs stop after their current batch (they resume at the next start).
        app.l10n().stop_jobs();
        // Clean shutdown: a last integration of what was staged, then the lock is released.
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = tokio::task::spawn_blocking(move || integrator.join()).await;
        // Dropping the last handle releases the log's LOCK (off the async
        // workers: the PostgreSQL mirror's client blocks when it closes).
        let taken = app.deposits().detach_log();
        let _ = tokio::task::spawn_blocking(move || {
            drop(taken);
            drop(log);
        })
        .await;
        served?;
        Ok::<_, anyhow::Error>(())
    })?;
    // Requests still running on the blocking pool (e.g. a slow MT call) get a
    // few seconds; the process does not wait for them beyond that.
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
