//! Commands of the export dialog: study data, session logs (for one interview, a selection, a study or all) and call history, with progress over a channel and cancellation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use canvass_app::cati::export::CallExport;
use canvass_app::export::data::{
    export_data_with_progress, study_languages, DataExportOptions, DataExportSummary, DataFormat,
};
use canvass_app::export::paradata::ParadataFormat;
use canvass_app::export::{export_paradata_with_progress, paradata_scope, ExportSummary};
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
    study_id: Option<String>,
    ids: Option<Vec<String>>,
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
        let ids = paradata_scope(&app, study_id.as_deref(), ids.as_deref())?;
        Ok(export_paradata_with_progress(
            &app,
            format,
            std::path::Path::new(dir.trim()),
            ids.as_deref(),
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

/// Which data the export dialog asked for.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DataRequest {
    pub study_id: String,
    pub format: String,
    pub labels: bool,
    pub language: Option<String>,
    pub statuses: Vec<String>,
    /// Inclusive lower bound on completion time, Unix ms (the dialog sends midnight UTC of the first day).
    pub from_ms: Option<i64>,
    /// Exclusive upper bound, Unix ms (midnight UTC after the last day).
    pub to_ms: Option<i64>,
}

fn folder(dir: &str) -> Result<std::path::PathBuf, CommandError> {
    if dir.trim().is_empty() {
        return Err(CommandError {
            code: "validation",
            message: "choose a folder to export into".into(),
        });
    }
    Ok(std::path::PathBuf::from(dir.trim()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_data(
    state: State<'_, AppState>,
    control: State<'_, ExportControl>,
    request: DataRequest,
    dir: String,
    on_progress: Channel<ExportProgress>,
) -> Result<DataExportSummary, CommandError> {
    let app = state.app()?;
    let format = DataFormat::parse(&request.format).ok_or_else(|| CommandError {
        code: "validation",
        message: format!(
            "unknown data format {:?}; use csv, xlsx, sav, dta, jsonl or xml",
            request.format
        ),
    })?;
    let mut options = DataExportOptions::new(&request.study_id, format);
    options.labels = request.labels;
    options.language = request.language.filter(|l| !l.is_empty());
    options.statuses = request.statuses;
    options.from_ms = request.from_ms;
    options.to_ms = request.to_ms;
    let dir = folder(&dir)?;
    let cancel = control.cancel.clone();
    cancel.store(false, Ordering::SeqCst);
    blocking(move || {
        let mut report = |done: usize, total: usize| {
            let _ = on_progress.send(ExportProgress { done, total });
            !cancel.load(Ordering::SeqCst)
        };
        Ok(export_data_with_progress(
            &app,
            &options,
            &dir,
            &mut report,
        )?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_languages(
    state: State<'_, AppState>,
    study_id: String,
) -> Result<Vec<String>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(study_languages(&app, &study_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_calls(
    state: State<'_, AppState>,
    format: String,
    dir: String,
    study: Option<String>,
    ids: Option<Vec<String>>,
) -> Result<CallExport, CommandError> {
    let app = state.app()?;
    let xlsx = match format.as_str() {
        "csv" => false,
        "xlsx" => true,
        other => {
            return Err(CommandError {
                code: "validation",
                message: format!("unknown call-history format {other:?}; use csv or xlsx"),
            })
        }
    };
    let dir = folder(&dir)?;
    let scope = canvass_app::cati::export::CallScope {
        study,
        ids: ids.unwrap_or_default(),
    };
    blocking(move || Ok(app.export_calls(xlsx, &dir, &scope)?)).await
}
