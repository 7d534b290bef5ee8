//! The state the commands share: the opened `App`, or the reason it could not be opened.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use canvass_app::{App, SystemClock};
use tauri::Manager;

use crate::error::CommandError;

/// File name of the interview database inside the data folder.
const DB_FILE: &str = "canvass.sqlite";

/// Shared state of the window.
pub struct AppState {
    /// The app, or why it failed to open (shown on the home screen instead of a blank window).
    pub app: Result<Arc<App>, CommandError>,
    /// Where the database lives, shown to the user.
    pub db_path: Option<PathBuf>,
    /// When the process started, for the startup probe.
    pub started: Instant,
}

impl AppState {
    /// Opens the database in the data folder: `$CANVASS_DATA_DIR` if set, else the platform's app data folder.
    pub fn open(handle: &tauri::AppHandle, started: Instant) -> AppState {
        let dir = match std::env::var_os("CANVASS_DATA_DIR") {
            Some(d) => Ok(PathBuf::from(d)),
            None => handle.path().app_data_dir().map_err(|e| CommandError {
                code: "storage",
                message: format!("cannot find the app data folder: {e}"),
            }),
        };
        let opened = dir.and_then(|dir| {
            std::fs::create_dir_all(&dir).map_err(|e| CommandError {
                code: "storage",
                message: format!("cannot create the data folder {}: {e}", dir.display()),
            })?;
            let path = dir.join(DB_FILE);
            let app = App::open(&path, Arc::new(SystemClock::new()))?;
            Ok((Arc::new(app), path))
        });
        match opened {
            Ok((app, path)) => AppState {
                app: Ok(app),
                db_path: Some(path),
                started,
            },
            Err(e) => AppState {
                app: Err(e),
                db_path: None,
                started,
            },
        }
    }

    /// The app, or the startup error as a command error.
    pub fn app(&self) -> Result<Arc<App>, CommandError> {
        self.app.clone()
    }
}
