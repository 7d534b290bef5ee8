//! Sync use cases: sign in to a server, run one sync pass, read the sync log and the outbox.
//!
//! A pass runs on a second connection to the same database file, so the
//! interview lock is never held across network waits: answering goes on
//! while a sync is in flight (WAL lets both proceed; writes queue on the busy
//! timeout). Time comes from the injected [`Clock`](crate::Clock), and the
//! backoff jitter seed is derived from it, so fixed-clock tests are exact.

use canvass_store::Store;
pub use canvass_store::{
    OutboxEntry as SyncOutboxEntry, ReceivedAssignment, ReceivedDecision, ReceivedQuestionnaire,
    SyncLogEntry,
};
pub use canvass_sync::{
    Outcome as SyncOutcome, PassOptions, PassSummary as SyncSummary, Progress as SyncProgress,
    ProgressSink, Stage as SyncStage,
};

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
        drop(store);
        // Supervisor mode depends on the role; it is remembered for offline use.
        self.remember_role(&r.role)?;
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
        self.sync_pass_reporting(true, &|_| {}).await
    }

    /// One automatic pass (a timer, the network coming back): rows in backoff wait their turn.
    pub async fn sync_due(&self) -> Result<SyncSummary, SyncError> {
        self.sync_pass_reporting(false, &|_| {}).await
    }

    /// A pass asked for by a person (`manual`, as [`App::sync_now`]) or by a timer
    /// (as [`App::sync_due`]), reporting its progress for the window's progress bar.
    pub async fn sync_pass_reporting(
        &self,
        manual: bool,
        progress: ProgressSink<'_>,
    ) -> Result<SyncSummary, SyncError> {
        // Any seed spreads retries; one taken from the injected clock keeps tests exact.
        let seed = self.clock.now_ms() as u64;
        self.sync_reporting(
            PassOptions {
                seed,
                retry_now: manual,
                ..PassOptions::default()
            },
            progress,
        )
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
    ///
    /// Questionnaire versions the pass received are installed right after it,
    /// so a version published on the server can be interviewed offline at once.
    pub async fn sync_with(&self, opts: PassOptions) -> Result<SyncSummary, SyncError> {
        self.sync_reporting(opts, &|_| {}).await
    }

    /// [`App::sync_with`], telling `progress` how far the pass got after every batch and page.
    pub async fn sync_reporting(
        &self,
        opts: PassOptions,
        progress: ProgressSink<'_>,
    ) -> Result<SyncSummary, SyncError> {
        let mut store = self.sync_store()?;
        let clock = self.clock.clone();
        let now = move || clock.now_ms();
        let summary = canvass_sync::sync_pass_reporting(&mut store, &now, &opts, progress).await?;
        drop(store);
        self.install_received()?;
        // CATI lists, leases and quota totals; a refused list or a failed call is logged.
        self.cati_after_sync_logged().await?;
        // Pulled decisions reopen rejected interviews here, once the page holding them is stored.
        self.apply_review_decisions()?;
        let mut summary = summary;
        if self.is_supervisor()? && summary.outcome != SyncOutcome::Unauthorized {
            match self.pull_team_interviews().await {
                Ok(n) => summary.changes += n,
                // The pass itself went through; the list is pulled again on the next one.
                Err(e) if summary.error.is_none() => summary.error = Some(e.to_string()),
                Err(_) => {}
            }
        }
        Ok(summary)
    }

    /// Installs every received questionnaire version not yet installed; returns how many were installed.
    ///
    /// A version whose file the importer refuses is marked `refused` with every
    /// problem listed, and stays visible on the sync screen; the others go on.
    /// Installing is idempotent, so a crash between installing and marking is harmless.
    pub fn install_received(&self) -> Result<usize, SyncError> {
        let waiting: Vec<ReceivedQuestionnaire> = self
            .lock()
            .store
            .received_questionnaires()?
            .into_iter()
            .filter(|q| q.state == "received")
            .collect();
        let mut installed = 0;
        for q in waiting {
            let problem = match (&q.source, &q.file_name) {
                (Some(bytes), Some(name)) => match self.install_form(bytes, name) {
                    Ok(view) if view.id == q.questionnaire_id && view.version == q.version => None,
                    Ok(view) => Some(format!(
                        "the file {name} holds questionnaire {} version {}, not {} version {}; it was installed under its own name",
                        view.id, view.version, q.questionnaire_id, q.version
                    )),
                    // A failing disk is not the form's fault: stop, and try again on the next pass.
                    Err(crate::Error::Store(
                        e @ (canvass_store::Error::DiskFull(_)
                        | canvass_store::Error::ReadOnly(_)
                        | canvass_store::Error::Corrupt(_)
                        | canvass_store::Error::Sqlite(_)),
                    )) => return Err(SyncError::Store(e)),
                    Err(e) => Some(e.to_string()),
                },
                (Some(_), None) => Some("the server sent the form file without its name, so its format is unknown".to_owned()),
                (None, _) => Some("the server sent this version without its form file".to_owned()),
            };
            installed += usize::from(problem.is_none());
            self.lock().store.mark_received_questionnaire(
                &q.questionnaire_id,
                &q.version,
                problem.as_deref(),
            )?;
        }
        Ok(installed)
    }

    /// Whether the server this device signed in to answers now (a short health check).
    ///
    /// `false` when not signed in anywhere. The desktop shell polls this to run a
    /// pass as soon as the network comes back.
    pub async fn server_reachable(&self, timeout: std::time::Duration) -> bool {
        let server = self
            .lock()
            .store
            .read_sync_settings()
            .ok()
            .flatten()
            .and_then(|s| s.server_url);
        let Some(url) = server else {
            return false;
        };
        match canvass_sync::Server::new(&url, timeout) {
            Ok(s) => s.reachable().await,
            Err(_) => false,
        }
    }

    /// Questionnaire versions received from the server, with whether each was installed and why not.
    pub fn received_questionnaires(&self) -> crate::Result<Vec<ReceivedQuestionnaire>> {
        Ok(self.lock().store.received_questionnaires()?)
    }

    /// Assignments received from the server (the latest version of each), by id.
    pub fn received_assignments(&self) -> crate::Result<Vec<ReceivedAssignment>> {
        Ok(self.lock().store.received_assignments()?)
    }

    /// Supervisors' decisions received from the server, on one interview or on all, oldest first.
    pub fn received_decisions(
        &self,
        interview_id: Option<&str>,
    ) -> crate::Result<Vec<ReceivedDecision>> {
        Ok(self.lock().store.received_decisions(interview_id)?)
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
