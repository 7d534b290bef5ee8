//! Sync use cases: sign in to a server, run one sync pass, read the sync log and the outbox.
//!
//! A pass runs on a second connection to the same database file, so the
//! interview lock is never held across network waits: answering goes on
//! while a sync is in flight (WAL lets both proceed; writes queue on the busy
//! timeout). Time comes from the injected [`Clock`](crate::Clock), and the
//! backoff jitter seed is derived from it, so fixed-clock tests are exact.

use canvass_store::Store;
pub use canvass_store::{OutboxEntry as SyncOutboxEntry, SyncLogEntry};
pub use canvass_sync::{Outcome as SyncOutcome, PassOptions, PassSummary as SyncSummary};

use crate::interview::App;

/// What went wrong while signing in or syncing.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server, the network or the local database failed; the sync error says which.
    #[error(transparent)]
    Sync(#[from] canvass_sync::Error),
    /// The local database could not be opened or read.
    #[error(transparent)]
    Store(#[from] canvass_store::Error),
    /// No async runtime could be started for a blocking call (out of threads or file descriptors).
    #[error("cannot start the network runtime")]
    Runtime(#[source] std::io::Error),
}

impl SyncError {
    /// A stable code for the `{code, message}` contract: `unauthorized`, `network`, `storage` or `refused`.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Sync(e) if e.needs_sign_in() => "unauthorized",
            SyncError::Sync(e) if e.is_retryable() => "network",
            SyncError::Sync(canvass_sync::Error::Store(_)) | SyncError::Store(_) => "storage",
            SyncError::Sync(_) => "refused",
            SyncError::Runtime(_) => "internal",
        }
    }
}

/// The result of signing in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncSignIn {
    pub server: String,
    pub user: String,
    pub role: String,
    pub team: Option<String>,
}

/// The sync state of this device, for a status line or screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// A token is stored; false after a 401 until the next sign-in.
    pub signed_in: bool,
    pub server: Option<String>,
    pub user: Option<String>,
    /// `None` until the first sign-in or pass.
    pub device_id: Option<String>,
    pub pending: i64,
    pub acked: i64,
    pub rejected: i64,
    pub last_pass: Option<SyncLogEntry>,
}

impl App {
    /// A second connection to this app's database, for work that waits on the network.
    fn sync_store(&self) -> Result<Store, SyncError> {
        let path = self.lock().store.path().to_owned();
        Ok(Store::open(&path)?)
    }

    /// Signs in to `server_url` as `user` from this device; the token is stored locally.
    pub async fn login(
        &self,
        server_url: &str,
        user: &str,
        password: &str,
    ) -> Result<SyncSignIn, SyncError> {
        let mut store = self.sync_store()?;
        let now = self.clock.now_ms();
        let r = canvass_sync::login(
            &mut store,
            now,
            server_url,
            user,
            password,
            canvass_sync::DEFAULT_TIMEOUT,
        )
        .await?;
        Ok(SyncSignIn {
            server: server_url.trim_end_matches('/').to_owned(),
            user: user.to_owned(),
            role: r.role,
            team: r.team,
        })
    }

    /// One pass because a person asked ("sync now", `canvass sync`): push every
    /// pending row, rows in backoff included, apply the answers, pull changes, log.
    pub async fn sync_now(&self) -> Result<SyncSummary, SyncError> {
        // Any seed spreads retries; one taken from the injected clock keeps tests exact.
        let seed = self.clock.now_ms() as u64;
        self.sync_with(PassOptions {
            seed,
            retry_now: true,
            ..PassOptions::default()
        })
        .await
    }

    /// One automatic pass (a timer, the network coming back): rows in backoff wait their turn.
    pub async fn sync_due(&self) -> Result<SyncSummary, SyncError> {
        let seed = self.clock.now_ms() as u64;
        self.sync_with(PassOptions {
            seed,
            ..PassOptions::default()
        })
        .await
    }

    /// What the sync screen shows: who is signed in where, the outbox by state, and the last pass.
    pub fn sync_status(&self) -> crate::Result<SyncStatus> {
        let inner = self.lock();
        let settings = inner.store.read_sync_settings()?;
        let (pending, acked, rejected) = inner.store.outbox_counts()?;
        let last_pass = inner.store.sync_log(1)?.into_iter().next();
        Ok(SyncStatus {
            signed_in: settings.as_ref().is_some_and(|s| s.token.is_some()),
            server: settings.as_ref().and_then(|s| s.server_url.clone()),
            user: settings.as_ref().and_then(|s| s.user_name.clone()),
            device_id: settings.map(|s| s.device_id),
            pending,
            acked,
            rejected,
            last_pass,
        })
    }

    /// One sync pass with explicit limits, seed and timeout (tests, tuning).
    pub async fn sync_with(&self, opts: PassOptions) -> Result<SyncSummary, SyncError> {
        let mut store = self.sync_store()?;
        let clock = self.clock.clone();
        let now = move || clock.now_ms();
        Ok(canvass_sync::sync_pass(&mut store, &now, &opts).await?)
    }

    /// [`App::login`] for callers without an async runtime (the CLI).
    pub fn login_blocking(
        &self,
        server_url: &str,
        user: &str,
        password: &str,
    ) -> Result<SyncSignIn, SyncError> {
        canvass_sync::block_on(self.login(server_url, user, password))
            .map_err(SyncError::Runtime)?
    }

    /// [`App::sync_now`] for callers without an async runtime (the CLI).
    pub fn sync_now_blocking(&self) -> Result<SyncSummary, SyncError> {
        canvass_sync::block_on(self.sync_now()).map_err(SyncError::Runtime)?
    }

    /// The latest `limit` sync passes, newest first.
    pub fn sync_log(&self, limit: usize) -> crate::Result<Vec<SyncLogEntry>> {
        Ok(self.lock().store.sync_log(limit)?)
    }

    /// Every outbox row with its delivery state, oldest first (what the sync screen lists).
    pub fn outbox(&self) -> crate::Result<Vec<SyncOutboxEntry>> {
        Ok(self.lock().store.outbox_entries()?)
    }
}

/// A Unix-millisecond time as `2026-11-22 09:00:00Z`, for logs people read.
pub fn utc_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("{ms} ms"))
}
