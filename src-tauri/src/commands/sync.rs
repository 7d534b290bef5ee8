//! Commands of the sync screen and the top bar's sync indicator, and the background sync task.
//!
//! The background task checks every [`POLL`] whether the signed-in server
//! answers; it runs a pass when the server comes back, every [`PERIOD`] while it
//! stays reachable, and soon after new work is waiting. Passes run on their own
//! database connection (see `canvass_app::sync`), so interviewing never waits
//! for the network, and one [`SyncMonitor`] lock keeps a manual "sync now" and
//! an automatic pass from running at once.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_app::{utc_text, App, SyncError, SyncLogEntry, SyncProgress, SyncSignIn, SyncSummary};
use serde::Serialize;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

/// How often the background task checks whether the server answers.
pub const POLL: Duration = Duration::from_secs(15);
/// How often a pass runs while the server stays reachable.
pub const PERIOD: Duration = Duration::from_secs(180);
/// How soon after the last pass new waiting work is sent.
const PENDING_GAP: Duration = Duration::from_secs(30);

/// What the background task and the commands share.
#[derive(Default)]
pub struct SyncMonitor {
    /// 0: not checked yet, 1: offline, 2: online.
    reach: AtomicU8,
    syncing: AtomicBool,
    /// Held for the duration of a pass.
    running: tokio::sync::Mutex<()>,
    /// How far the running pass got; `None` between passes.
    progress: std::sync::Mutex<Option<SyncProgress>>,
}

impl SyncMonitor {
    fn online(&self) -> Option<bool> {
        match self.reach.load(Ordering::SeqCst) {
            0 => None,
            r => Some(r == 2),
        }
    }

    fn set_progress(&self, p: Option<SyncProgress>) {
        // A poisoned lock only means a reporter panicked mid-write; the value is still a whole Option.
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = p;
    }

    fn progress(&self) -> Option<SyncProgress> {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_online(&self, online: bool) -> bool {
        self.reach
            .swap(if online { 2 } else { 1 }, Ordering::SeqCst)
            == 2
    }

    /// Runs one pass while holding the lock; `manual` passes also resend rows still in backoff.
    async fn pass(&self, app: &App, manual: bool) -> Result<SyncSummary, SyncError> {
        let _running = self.running.lock().await;
        self.syncing.store(true, Ordering::SeqCst);
        let report = |p: &SyncProgress| self.set_progress(Some(p.clone()));
        let r = app.sync_pass_reporting(manual, &report).await;
        self.set_progress(None);
        self.syncing.store(false, Ordering::SeqCst);
        if let Ok(s) = &r {
            // A pass that reached the server proves it is online; one that could not says little.
            if s.batches > 0 || s.error.is_none() {
                self.set_online(true);
            }
        }
        r
    }
}

/// A server to sign in to without asking, from the environment (`./run.sh` sets it for its local server):
/// `CANVASS_SERVER_URL`, `CANVASS_SERVER_USER`, `CANVASS_SERVER_PASSWORD`.
struct AutoSignIn {
    url: String,
    user: String,
    password: String,
}

impl AutoSignIn {
    fn from_env() -> Option<AutoSignIn> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Some(AutoSignIn {
            url: get("CANVASS_SERVER_URL")?,
            user: get("CANVASS_SERVER_USER")?,
            password: get("CANVASS_SERVER_PASSWORD")?,
        })
    }

    /// Signs in when this device is signed in nowhere, or to another server on this
    /// computer (a local server that moved port); a sign-in to a real server is left alone.
    async fn apply(&self, app: &App) -> bool {
        let Ok(status) = app.sync_status() else {
            return false;
        };
        if !should_sign_in(status.signed_in, status.server.as_deref(), &self.url) {
            return true;
        }
        app.login(&self.url, &self.user, &self.password)
            .await
            .is_ok()
    }
}

/// Whether the automatic sign-in to `url` should replace what the device has.
fn should_sign_in(signed_in: bool, server: Option<&str>, url: &str) -> bool {
    let local = |u: &str| u.contains("://127.0.0.1") || u.contains("://localhost");
    match server {
        _ if !signed_in => true,
        Some(s) => s != url.trim_end_matches('/') && local(s),
        None => true,
    }
}

/// Starts the background task; it lives as long as the app.
pub fn start_background(app: Arc<App>, monitor: Arc<SyncMonitor>) {
    tauri::async_runtime::spawn(async move {
        let mut last_pass: Option<Instant> = None;
        let mut auto = AutoSignIn::from_env();
        loop {
            // Until it succeeds once (the local server may still be starting).
            if let Some(a) = &auto {
                if a.apply(&app).await {
                    auto = None;
                }
            }
            let online = app.server_reachable(Duration::from_secs(5)).await;
            let was_online = monitor.set_online(online);
            if online {
                let since = last_pass.map(|t| t.elapsed());
                let pending = app.sync_status().map(|s| s.pending).unwrap_or(0);
                let due = !was_online
                    || since.is_none_or(|d| d >= PERIOD)
                    || (pending > 0 && since.is_none_or(|d| d >= PENDING_GAP));
                if due {
                    // Errors are in the sync log; the task itself must keep going.
                    let _ = monitor.pass(&app, false).await;
                    last_pass = Some(Instant::now());
                }
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

fn sync_error(e: SyncError) -> CommandError {
    CommandError {
        code: e.code(),
        message: e.to_string(),
    }
}

/// One sync pass as the log shows it.
#[derive(Debug, Serialize)]
pub struct SyncLogView {
    pub id: i64,
    /// `2026-11-22 09:00:00Z`.
    pub started: String,
    pub started_at: i64,
    pub seconds: f64,
    /// `ok`, `nothing_to_do`, `retry_later`, `unauthorized` or `failed`.
    pub outcome: String,
    pub batches: i64,
    pub accepted: i64,
    pub duplicate: i64,
    pub conflict: i64,
    pub invalid: i64,
    pub deferred: i64,
    pub bytes_sent: i64,
    pub changes: i64,
    pub error: Option<String>,
}

impl From<SyncLogEntry> for SyncLogView {
    fn from(e: SyncLogEntry) -> Self {
        SyncLogView {
            id: e.id,
            started: utc_text(e.started_at),
            started_at: e.started_at,
            seconds: (e.finished_at - e.started_at).max(0) as f64 / 1000.0,
            outcome: e.outcome,
            batches: e.batches,
            accepted: e.accepted,
            duplicate: e.duplicate,
            conflict: e.conflict,
            invalid: e.invalid,
            deferred: e.deferred,
            bytes_sent: e.bytes_sent,
            changes: e.changes,
            error: e.error,
        }
    }
}

/// What the top bar and the sync screen show.
#[derive(Debug, Serialize)]
pub struct SyncStatusView {
    pub signed_in: bool,
    pub server: Option<String>,
    pub user: Option<String>,
    /// `None` until the first check.
    pub online: Option<bool>,
    pub syncing: bool,
    /// How far the running pass got, while one runs.
    pub progress: Option<SyncProgress>,
    pub pending: i64,
    pub acked: i64,
    pub rejected: i64,
    pub last_pass: Option<SyncLogView>,
}

/// An outbox row that has not reached the server, with why (no payload).
#[derive(Debug, Serialize)]
pub struct WaitingView {
    pub id: String,
    pub kind: String,
    /// `pending` or `rejected`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created: String,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_status(
    state: State<'_, AppState>,
    monitor: State<'_, Arc<SyncMonitor>>,
) -> Result<SyncStatusView, CommandError> {
    let app = state.app()?;
    let s = blocking(move || Ok(app.sync_status()?)).await?;
    Ok(SyncStatusView {
        signed_in: s.signed_in,
        server: s.server,
        user: s.user,
        online: monitor.online(),
        syncing: monitor.syncing.load(Ordering::SeqCst),
        progress: monitor.progress(),
        pending: s.pending,
        acked: s.acked,
        rejected: s.rejected,
        last_pass: s.last_pass.map(SyncLogView::from),
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_sign_in(
    state: State<'_, AppState>,
    monitor: State<'_, Arc<SyncMonitor>>,
    server_url: String,
    user: String,
    password: String,
) -> Result<SyncSignIn, CommandError> {
    let app = state.app()?;
    let signed = app
        .login(server_url.trim(), user.trim(), &password)
        .await
        .map_err(sync_error)?;
    monitor.set_online(true);
    Ok(signed)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(
    state: State<'_, AppState>,
    monitor: State<'_, Arc<SyncMonitor>>,
) -> Result<SyncSummary, CommandError> {
    let app = state.app()?;
    let monitor = monitor.inner().clone();
    monitor.pass(&app, true).await.map_err(sync_error)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_log(
    state: State<'_, AppState>,
    limit: Option<usize>,
) -> Result<Vec<SyncLogView>, CommandError> {
    let app = state.app()?;
    let rows = blocking(move || Ok(app.sync_log(limit.unwrap_or(50).min(1000))?)).await?;
    Ok(rows.into_iter().map(SyncLogView::from).collect())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_waiting(state: State<'_, AppState>) -> Result<Vec<WaitingView>, CommandError> {
    let app = state.app()?;
    let rows = blocking(move || Ok(app.outbox()?)).await?;
    Ok(rows
        .into_iter()
        .filter(|e| e.state != "acked")
        .map(|e| WaitingView {
            id: e.id,
            kind: e.kind,
            state: e.state,
            attempts: e.attempts,
            last_error: e.last_error,
            created: utc_text(e.created_at),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::should_sign_in;

    #[test]
    fn the_automatic_sign_in_never_replaces_a_real_server() {
        let local = "http://127.0.0.1:8787";
        // Nowhere yet, or the token was refused: sign in.
        assert!(should_sign_in(false, None, local));
        assert!(should_sign_in(
            false,
            Some("https://canvass.example.org"),
            local
        ));
        // Already there (a trailing slash is the same address): nothing to do.
        assert!(!should_sign_in(true, Some(local), "http://127.0.0.1:8787/"));
        // The local server moved port: follow it.
        assert!(should_sign_in(true, Some("http://127.0.0.1:8788"), local));
        assert!(should_sign_in(true, Some("http://localhost:8788"), local));
        // Signed in to a real server by hand: leave it.
        assert!(!should_sign_in(
            true,
            Some("https://canvass.example.org"),
            local
        ));
    }
}
