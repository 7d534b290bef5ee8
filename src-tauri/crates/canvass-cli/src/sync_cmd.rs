//! `canvass login` and `canvass sync`: sign in to a server and run one sync pass, printing JSON.
//!
//! The password comes from `CANVASS_PASSWORD`, never from the command line,
//! so it does not land in shell history or the process list. `sync` exits 0
//! when the pass completed (rows the server rejected are listed in the
//! summary, not an error) and 1 when it must be retried or needs a new sign-in.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use canvass_app::{utc_text, App, SyncOutcome, SystemClock};

use crate::describe;

fn open(db: &Path) -> Result<App, String> {
    // Syncing a typo'd path must not create an empty database and report "nothing to do".
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    App::open(db, Arc::new(SystemClock::new())).map_err(|e| describe(&e))
}

pub fn login(db: &Path, server: &str, user: &str, out: &mut dyn Write) -> Result<u8, String> {
    let password = std::env::var("CANVASS_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or("set the password in the CANVASS_PASSWORD environment variable")?;
    let app = open(db)?;
    let who = app
        .login_blocking(server, user, &password)
        .map_err(|e| describe(&e))?;
    let text = serde_json::to_string(&who).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}

pub fn sync(db: &Path, log: bool, out: &mut dyn Write) -> Result<u8, String> {
    let app = open(db)?;
    if log {
        return print_log(&app, out);
    }
    let summary = app.sync_now_blocking().map_err(|e| describe(&e))?;
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(match summary.outcome {
        SyncOutcome::Ok | SyncOutcome::NothingToDo => 0,
        SyncOutcome::RetryLater | SyncOutcome::Unauthorized | SyncOutcome::Failed => 1,
    })
}

/// The latest 50 passes, newest first, one line each.
fn print_log(app: &App, out: &mut dyn Write) -> Result<u8, String> {
    let mut text = format!(
        "{:<21} {:<13} {:>7} {:>8} {:>9} {:>8} {:>7} {:>8} {:>9}  {}\n",
        "STARTED (UTC)",
        "OUTCOME",
        "BATCHES",
        "ACCEPTED",
        "DUPLICATE",
        "CONFLICT",
        "INVALID",
        "DEFERRED",
        "BYTES",
        "ERROR"
    );
    for l in app.sync_log(50).map_err(|e| describe(&e))? {
        text.push_str(&format!(
            "{:<21} {:<13} {:>7} {:>8} {:>9} {:>8} {:>7} {:>8} {:>9}  {}\n",
            utc_text(l.started_at),
            l.outcome,
            l.batches,
            l.accepted,
            l.duplicate,
            l.conflict,
            l.invalid,
            l.deferred,
            l.bytes_sent,
            l.error.unwrap_or_default()
        ));
    }
    write!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}
