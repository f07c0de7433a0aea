//! # qiantang-app — the application services
//!
//! One module per domain, each owning its state behind one service type:
//! [`accounts::Accounts`] (organizations, users, tokens, sessions, audit),
//! [`kb::Knowledge`] (the knowledge base view, edits, proposals),
//! [`catalog::Catalog`] (works, chapters, import, tagging, profiles),
//! [`deposits::Deposits`] (the copyright deposit log in the hub),
//! [`piracy::Piracy`] (fingerprints and the piracy check),
//! [`rights::Rights`] (licences and rights maps) and
//! [`l10n::Localization`] (projects, segments, TM, MT, QA, exchange).
//! [`App`] only composes them and hands each out; the HTTP hub, the web pages
//! and the CLI call the same operation of the same service, so validation,
//! audit entries and deposits happen the same way everywhere.
//!
//! *Invariants* (checked by `tests/tidy.rs` at the workspace root of this
//! crate): this crate knows nothing about HTTP (no axum, no HTML); a domain
//! reaches another only through that domain's public methods; the domains
//! form a stack without loops — accounts → kb → catalog → deposits →
//! piracy, rights → l10n — and a lower domain learns about a higher one's
//! interest only through [`catalog::WorkObserver`].
//! Wire shapes (what the API returns and the CLI prints with `--json`) live in
//! [`dto`] modules.

pub mod accounts;
pub mod catalog;
pub mod clock;
pub mod deposits;
pub mod dto;
pub mod error;
pub mod kb;
pub mod l10n;
pub mod piracy;
pub mod rights;

use std::path::Path;
use std::sync::Arc;

use qiantang_store::Stores;

pub use error::{AppError, ErrorCode};

/// The application: the domain services, composed once.
pub struct App {
    accounts: Arc<accounts::Accounts>,
    kb: Arc<kb::Knowledge>,
    catalog: Arc<catalog::Catalog>,
    deposits: Arc<deposits::Deposits>,
    piracy: Arc<piracy::Piracy>,
    rights: Arc<rights::Rights>,
    l10n: Arc<l10n::Localization>,
    stores: Stores,
}

impl App {
    /// Opens the embedded stores in `data_dir`, seeds an empty KB with the
    /// built-in seed and builds the KB view.
    pub fn open(data_dir: &Path) -> Result<Arc<Self>, AppError> {
        Self::open_with(data_dir, None)
    }

    /// Opens the store chosen by `database_url` (`None` or `sqlite:` → the
    /// embedded SQLite in `data_dir`; `postgres://…` → PostgreSQL, blobs still
    /// in `data_dir`). Must not run on an async worker thread (PostgreSQL's
    /// client blocks); call it from `spawn_blocking` or plain threads.
    pub fn open_with(data_dir: &Path, database_url: Option<&str>) -> Result<Arc<Self>, AppError> {
        let stores = qiantang_store::open(data_dir, database_url)?;
        Self::with_stores(stores)
    }

    /// Composes the services over existing stores (seeding an empty KB and
    /// creating the default organization on an empty hub).
    pub fn with_stores(stores: Stores) -> Result<Arc<Self>, AppError> {
        let accounts = Arc::new(accounts::Accounts::open(stores.auth.clone())?);
        let kb = Arc::new(kb::Knowledge::open(stores.kb.clone(), accounts.clone())?);
        let catalog = Arc::new(catalog::Catalog::new(
            stores.works.clone(),
            kb.clone(),
            accounts.clone(),
        ));
        let deposits = Arc::new(deposits::Deposits::new(accounts.clone(), catalog.clone()));
        let piracy = Arc::new(piracy::Piracy::new(
            stores.fingerprints.clone(),
            accounts.clone(),
            catalog.clone(),
            deposits.clone(),
        ));
        // Order matters: fingerprints first, then the deposits of an import.
        catalog.observe(piracy.clone());
        catalog.observe(deposits.clone());
        let rights = Arc::new(rights::Rights::new(
            stores.rights.clone(),
            accounts.clone(),
            deposits.clone(),
        ));
        let l10n = Arc::new(l10n::Localization::new(
            stores.l10n.clone(),
            kb.clone(),
            catalog.clone(),
            accounts.clone(),
            deposits.clone(),
        ));
        Ok(Arc::new(Self {
            stores,
            accounts,
            kb,
            catalog,
            deposits,
            piracy,
            rights,
            l10n,
        }))
    }

    /// Organizations, users, tokens, sessions and the audit log.
    pub fn accounts(&self) -> &accounts::Accounts {
        &self.accounts
    }

    /// The knowledge base.
    pub fn kb(&self) -> &kb::Knowledge {
        &self.kb
    }

    /// Works, chapters, import, tagging and profiles.
    pub fn catalog(&self) -> &catalog::Catalog {
        &self.catalog
    }

    /// The copyright deposit log as the hub uses it.
    pub fn deposits(&self) -> &deposits::Deposits {
        &self.deposits
    }

    /// Fingerprints and the piracy check.
    pub fn piracy(&self) -> &piracy::Piracy {
        &self.piracy
    }

    /// Licences and rights maps.
    pub fn rights(&self) -> &rights::Rights {
        &self.rights
    }

    /// Localization (shared handle: the job worker keeps one).
    pub fn l10n(&self) -> &Arc<l10n::Localization> {
        &self.l10n
    }

    /// The raw stores, for tests that inspect what was written. The hub's
    /// handlers, its pages and the CLI never call this (`tests/tidy.rs`
    /// enforces it): they go through the services.
    #[doc(hidden)]
    pub fn stores_for_tests(&self) -> &Stores {
        &self.stores
    }
}
