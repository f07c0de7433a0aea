//! The copyright deposit log inside the hub (issue 5): the [`App`] holds an
//! optional handle on the [`DepositService`] (`qiantang serve` opens it over
//! `DATA_DIR/log` and runs the integrator; tests and the CLI may attach one
//! with [`Deposits::attach_log`]).
//!
//! * Manual deposits ([`App::deposit_file`]): the API and the deposit page.
//! * Automatic deposits (the `[deposit] auto` setting, on by default;
//!   [`App::set_auto_deposit`]): every imported work deposits its source file
//!   (kind `work`) and each chapter body (kind `chapter`, parent = the work's
//!   entry); each licence grant deposits [`qiantang_rights::Grant::deposit_entry`]
//!   (parent = the work's entry) and records the index; an EPUB export of a
//!   localization project deposits the EPUB bytes (kind `translation`,
//!   parent = the work's entry) through [`App::deposit_translation`].
//! * Evidence ([`App::chapter_deposit`]): the earliest entry of the owning
//!   organization for a chapter body's SHA-256, and the time the log can
//!   attest for it.
//!
//! Automatic deposits never fail the operation they follow (the import, the
//! grant, the export is already stored): a failure is logged and the caller
//! gets `None`. Entries carry no personal data: `deposited_by` is `hub`,
//! `hub:import`, `hub:user:ID` or `hub:token:ID`, never an e-mail address.
//!
//! The work's own entry is found without extra storage: it is the `parent`
//! of the chapter-1 entry of the same organization ([`App::work_deposit`]).

use crate::accounts::AuditDetail;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use qiantang_deposit::{DepositOutcome, DepositService, EntryStatus};
use qiantang_ledger::entry::{DepositEntry, Kind, ParentRef, VERSION};
use qiantang_works::model::{sha256_hex, NewChapter, WorkId};

use crate::accounts::{Accounts, Actor};
use crate::catalog::{Catalog, Imported, WorkObserver};
use crate::error::{deposit_error, AppError};

/// Media type of chapter bodies as deposited (the UTF-8 text the works store keeps).
pub const CHAPTER_MEDIA_TYPE: &str = "text/plain; charset=utf-8";
/// Media type of EPUB exports.
pub const EPUB_MEDIA_TYPE: &str = "application/epub+zip";
/// Public base URL used in certificates when none is configured.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The deposits service: an optional handle on the deposit log, the
/// automatic-deposit switch and the public URL of certificates.
pub struct Deposits {
    svc: RwLock<Option<Arc<DepositService>>>,
    auto: AtomicBool,
    public_url: RwLock<Option<String>>,
    accounts: Arc<Accounts>,
    catalog: Arc<Catalog>,
}

impl Deposits {
    /// The service, without a log attached, automatic deposits on.
    pub fn new(accounts: Arc<Accounts>, catalog: Arc<Catalog>) -> Self {
        Self {
            accounts,
            catalog,
            svc: RwLock::new(None),
            auto: AtomicBool::new(true),
            public_url: RwLock::new(None),
        }
    }
}

/// `deposited_by` for an actor: `hub:user:ID`, `hub:token:ID`, `hub:cli`, … (no e-mail).
pub fn deposited_by(actor: &Actor) -> String {
    let mut parts = actor.name.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some(kind), Some(id)) => format!("hub:{kind}:{id}"),
        (Some(kind), None) => format!("hub:{kind}"),
        _ => "hub".into(),
    }
}

impl Deposits {
    /// Attaches the deposit log (one per data directory: the service holds its lock).
    pub fn attach_log(&self, svc: Arc<DepositService>) {
        *self.svc.write().unwrap_or_else(|p| p.into_inner()) = Some(svc);
    }

    /// Detaches the deposit log (at shutdown: dropping the last handle
    /// releases its `LOCK`).
    pub fn detach_log(&self) -> Option<Arc<DepositService>> {
        self.svc.write().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The attached deposit log, if any.
    pub fn log(&self) -> Option<Arc<DepositService>> {
        self.svc.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The attached deposit log, or 503-worthy [`AppError::Invalid`] naming why.
    pub fn require_log(&self) -> Result<Arc<DepositService>, AppError> {
        self.log().ok_or_else(|| {
            AppError::Invalid(
                "the deposit log is not open in this hub process (it is opened by `qiantang serve`)"
                    .into(),
            )
        })
    }

    /// Turns automatic deposits (imports, grants, EPUB exports) on or off (`[deposit] auto`).
    pub fn set_auto_deposit(&self, on: bool) {
        self.auto.store(on, Ordering::Relaxed);
    }

    /// Whether automatic deposits are on (default) and a log is attached.
    pub fn auto_deposits(&self) -> Option<Arc<DepositService>> {
        if self.auto.load(Ordering::Relaxed) {
            self.log()
        } else {
            None
        }
    }

    /// Sets the public base URL of certificates and verification links (`[deposit] public_url`).
    pub fn set_deposit_public_url(&self, url: Option<String>) {
        *self.public_url.write().unwrap_or_else(|p| p.into_inner()) =
            url.map(|u| u.trim_end_matches('/').to_owned());
    }

    /// The public base URL (default `http://127.0.0.1:8080`).
    pub fn deposit_public_url(&self) -> String {
        self.public_url
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| DEFAULT_PUBLIC_URL.into())
    }

    /// A reference to entry `index` (pending entries included) for a `parent` field.
    pub fn deposit_parent(&self, svc: &DepositService, index: u64) -> Result<ParentRef, AppError> {
        let (_, e) = svc.entry_with_status(index).map_err(|err| match err {
            qiantang_deposit::DepositError::NoSuchEntry { index, size } => AppError::Invalid(
                format!("parent {index}: no such entry (the log has {size} entries)"),
            ),
            other => deposit_error(other),
        })?;
        let bytes = e.to_bytes().map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(ParentRef {
            index,
            leaf_hash: hex::encode(qiantang_ledger::merkle::leaf_hash(&bytes)),
        })
    }

    /// A manual deposit of `bytes` by `org` (the API and the deposit page).
    /// The same bytes deposited before by the same organization return that
    /// entry (`duplicate`). Audited as `deposit_created`.
    #[allow(clippy::too_many_arguments)]
    pub fn deposit_file(
        &self,
        org: i64,
        file_name: &str,
        bytes: &[u8],
        title: Option<&str>,
        kind: Option<&str>,
        parent: Option<u64>,
        actor: &Actor,
    ) -> Result<DepositOutcome, AppError> {
        let svc = self.require_log()?;
        if bytes.is_empty() {
            return Err(AppError::Invalid(
                "the file is empty; there is nothing to deposit".into(),
            ));
        }
        let kind: Kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => k.parse().map_err(|e: qiantang_ledger::entry::EntryError| {
                AppError::Invalid(e.to_string())
            })?,
            None => Kind::File,
        };
        let title = title
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(file_name)
            .to_owned();
        if title.chars().count() > 500 {
            return Err(AppError::Invalid(
                "title is longer than 500 characters".into(),
            ));
        }
        let parent = parent.map(|p| self.deposit_parent(&svc, p)).transpose()?;
        let entry = DepositEntry {
            v: VERSION,
            sha256: sha256_hex(bytes),
            media_type: qiantang_deposit::files::media_type(Path::new(file_name)).to_owned(),
            size: bytes.len() as u64,
            org: self.accounts.org_name(org)?,
            title,
            kind,
            parent,
            deposited_by: deposited_by(actor),
        };
        let out = svc.deposit(entry).map_err(deposit_error)?;
        if !out.duplicate {
            self.accounts.audit(
                Some(org),
                actor,
                "deposit_created",
                &format!("deposit:{}", out.index),
                AuditDetail::new()
                    .with("sha256", &out.entry.sha256)
                    .with("title", &out.entry.title)
                    .with("kind", out.entry.kind.as_str())
                    .with("leaf_hash", &out.leaf_hash),
            );
        }
        Ok(out)
    }

    /// Automatic deposit of an import: the source file (kind `work`), then
    /// each chapter body (kind `chapter`, parent = the work's entry). Returns
    /// the work's entry index; `None` when off, without a log, or on failure
    /// (logged; the import stands).
    fn deposit_import(
        &self,
        org: i64,
        work: WorkId,
        file_name: &str,
        bytes: &[u8],
        title: &str,
        chapters: &[NewChapter],
    ) -> Option<u64> {
        let svc = self.auto_deposits()?;
        let run = || -> Result<u64, AppError> {
            let org_name = self.accounts.org_name(org)?;
            let w = svc
                .deposit(DepositEntry {
                    v: VERSION,
                    sha256: sha256_hex(bytes),
                    media_type: qiantang_deposit::files::media_type(Path::new(file_name))
                        .to_owned(),
                    size: bytes.len() as u64,
                    org: org_name.clone(),
                    title: title.to_owned(),
                    kind: Kind::Work,
                    parent: None,
                    deposited_by: "hub:import".into(),
                })
                .map_err(deposit_error)?;
            let parent = ParentRef {
                index: w.index,
                leaf_hash: w.leaf_hash.clone(),
            };
            for ch in chapters {
                if ch.text.is_empty() {
                    continue;
                }
                svc.deposit(DepositEntry {
                    v: VERSION,
                    sha256: ch.sha256(),
                    media_type: CHAPTER_MEDIA_TYPE.into(),
                    size: ch.text.len() as u64,
                    org: org_name.clone(),
                    title: format!("{title} · {}", ch.title),
                    kind: Kind::Chapter,
                    parent: Some(parent.clone()),
                    deposited_by: "hub:import".into(),
                })
                .map_err(deposit_error)?;
            }
            Ok(w.index)
        };
        match run() {
            Ok(i) => {
                tracing::info!(
                    work,
                    entry = i,
                    chapters = chapters.len(),
                    "deposited the import"
                );
                Some(i)
            }
            Err(e) => {
                tracing::warn!(work, error = %e, "automatic deposit of the import failed");
                None
            }
        }
    }

    /// The work's own deposit entry: the parent of the entry of its first
    /// chapter's body by the same organization.
    pub fn work_deposit(&self, work: WorkId) -> Option<u64> {
        let svc = self.log()?;
        let w = self.catalog.work(work).ok()??;
        let org = self.accounts.org_name(w.org).ok()?;
        let first = self.catalog.chapters(work).ok()?.into_iter().next()?;
        svc.entries_by_hash(&first.sha256)
            .ok()?
            .into_iter()
            .filter(|(_, _, e)| e.org == org && e.kind == Kind::Chapter)
            .find_map(|(_, _, e)| e.parent.map(|p| p.index))
    }

    /// Automatic deposit of a grant's canonical JSON (kind `licence`, parent
    /// = the work's entry when deposited); returns the index, recorded in
    /// `grants.deposit_index` by the rights domain.
    pub fn deposit_grant(
        &self,
        grant: &qiantang_rights::Grant,
        licensor: &str,
        work_title: &str,
    ) -> Option<u64> {
        let svc = self.auto_deposits()?;
        let run = || -> Result<u64, AppError> {
            let parent = self
                .work_deposit(grant.work_id)
                .map(|i| self.deposit_parent(&svc, i))
                .transpose()?;
            let entry = grant
                .deposit_entry(licensor, work_title, "hub:licence", parent)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
            let out = svc.deposit(entry).map_err(deposit_error)?;
            Ok(out.index)
        };
        match run() {
            Ok(i) => Some(i),
            Err(e) => {
                tracing::warn!(grant = grant.id, error = %e, "automatic deposit of the licence failed");
                None
            }
        }
    }

    /// Hook for localization exports: deposits the EPUB of `project` (kind
    /// `translation`, parent = the work's entry, title "work title
    /// (locale, market)"). Call it after `export_project(id, ExportFormat::Epub)`.
    /// `None` when automatic deposits are off, no log is attached, or it
    /// failed (logged).
    pub fn deposit_translation(
        &self,
        project: &qiantang_l10n::Project,
        epub: &[u8],
        actor: &Actor,
    ) -> Option<u64> {
        let svc = self.auto_deposits()?;
        let run = || -> Result<u64, AppError> {
            let work = self
                .catalog
                .work(project.work)?
                .ok_or_else(|| AppError::NotFound(format!("work {}", project.work)))?;
            let parent = self
                .work_deposit(work.id)
                .map(|i| self.deposit_parent(&svc, i))
                .transpose()?;
            let out = svc
                .deposit(DepositEntry {
                    v: VERSION,
                    sha256: sha256_hex(epub),
                    media_type: EPUB_MEDIA_TYPE.into(),
                    size: epub.len() as u64,
                    org: self.accounts.org_name(project.org)?,
                    title: format!("{} ({}, {})", work.title, project.locale, project.market),
                    kind: Kind::Translation,
                    parent,
                    deposited_by: deposited_by(actor),
                })
                .map_err(deposit_error)?;
            Ok(out.index)
        };
        match run() {
            Ok(i) => Some(i),
            Err(e) => {
                tracing::warn!(project = project.id, error = %e, "automatic deposit of the translation failed");
                None
            }
        }
    }

    /// Evidence for a chapter body: the earliest entry of organization
    /// `org_name` with that SHA-256, and the earliest time the log attests
    /// for it (the RFC 3161 token's time, else the earliest witness
    /// cosignature on its receipt; `None` while pending or unattested).
    pub fn chapter_deposit(&self, org_name: &str, sha256: &str) -> Option<(u64, Option<i64>)> {
        let svc = self.log()?;
        let index = svc
            .entries_by_hash(sha256)
            .ok()?
            .into_iter()
            .filter(|(_, _, e)| e.org == org_name)
            .map(|(i, _, _)| i)
            .min()?;
        Some((index, deposit_time_ms(&svc, index)))
    }
}

/// The earliest time the log attests for entry `index`, Unix ms: the TSA
/// token's genTime, else the earliest witness cosignature of its receipt.
pub fn deposit_time_ms(svc: &DepositService, index: u64) -> Option<i64> {
    if svc.status(index).ok()? == EntryStatus::Pending {
        return None;
    }
    let r = svc.receipt(index).ok()?;
    if let Some(t) = r.timestamp_info() {
        return i64::try_from(t.gen_time).ok().map(|s| s * 1000);
    }
    r.cosignatures
        .iter()
        .map(|c| c.timestamp)
        .min()
        .and_then(|s| i64::try_from(s).ok())
        .map(|s| s * 1000)
}

impl WorkObserver for Deposits {
    fn imported(&self, i: &Imported<'_>) {
        self.deposit_import(i.org, i.work, i.file_name, i.bytes, i.title, i.chapters);
    }
}
