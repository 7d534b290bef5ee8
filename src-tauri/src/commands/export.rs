//! Commands of the export screen: session-log exports with progress over a channel, and their cancellation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use canvass_app::export::paradata::ParadataFormat;
use canvass_app::export::{export_paradata_with_progress, ExportSummary};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

/// Lets the cancel command reach an export that runs on a worker thread.
#[derive(Default)]
pub struct ExportControl {
    cancel: Arc<AtomicBool>,
}

/// One progress report: interviews read so far of the total.
#[derive(Debug, Clone, Serialize)]
pub struct ExportProgress {
    pub done: usize,
    pub total: usize,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_paradata(
    state: State<'_, AppState>,
    control: State<'_, ExportControl>,
    format: String,
    dir: String,
    on_progress: Channel<ExportProgress>,
) -> Result<ExportSummary, CommandError> {
    let app = state.app()?;
    let format = ParadataFormat::parse(&format).ok_or_else(|| CommandError {
        code: "validation",
        message: format!("unknown export format {format:?}; use audit-csv, csv, jsonl or tab"),
    })?;
    if dir.trim().is_empty() {
        return Err(CommandError {
            code: "validation",
            message: "choose a folder to export into".into(),
        });
    }
    let cancel = control.cancel.clone();
    cancel.store(false, Ordering::SeqCst);
    blocking(move || {
        let mut report = |done: usize, total: usize| {
            // A closed window drops the channel; the export carries on regardless.
            let _ = on_progress.send(ExportProgress { done, total });
            !cancel.load(Ordering::SeqCst)
        };
        Ok(export_paradata_with_progress(
            &app,
            format,
            std::path::Path::new(dir.trim()),
            None,
            &mut report,
        )?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cancel_export(control: State<'_, ExportControl>) -> Result<(), CommandError> {
    control.cancel.store(true, Ordering::SeqCst);
    Ok(())
}
