//! Commands of the home and interview screens.

use canvass_app::{InterviewSummary, OutlineItem, Screen, StudyView};
use serde::Serialize;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

/// What the home screen needs to know before anything else.
#[derive(Debug, Serialize)]
pub struct AppStatus {
    /// Where the interview database is, when it opened.
    pub db_path: Option<String>,
    /// Why the database could not be opened, if it could not.
    pub error: Option<CommandError>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatus, CommandError> {
    if std::env::var_os("CANVASS_STARTUP_PROBE").is_some() {
        // The startup benchmark reads this line: time from process start to the
        // first call the home screen makes once its script has run.
        eprintln!(
            "canvass-probe: home screen ready after {} ms",
            state.started.elapsed().as_millis()
        );
    }
    Ok(AppStatus {
        db_path: state.db_path.as_ref().map(|p| p.display().to_string()),
        error: state.app.as_ref().err().cloned(),
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_studies(state: State<'_, AppState>) -> Result<Vec<StudyView>, CommandError> {
    Ok(state.app()?.studies())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_interviews(
    state: State<'_, AppState>,
) -> Result<Vec<InterviewSummary>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.list_interviews()?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn start_interview(
    state: State<'_, AppState>,
    study_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.start_interview(&study_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_screen(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.screen(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_answer(
    state: State<'_, AppState>,
    interview_id: String,
    item: String,
    value: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.record_answer(&interview_id, &item, &value)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn next_item(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.next_item(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn previous_item(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.previous_item(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resume_interview(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.resume_interview(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn pause_interview(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<(), CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.pause_interview(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn interview_outline(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Vec<OutlineItem>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.outline(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn jump_to(
    state: State<'_, AppState>,
    interview_id: String,
    path: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.jump_to(&interview_id, &path)?)).await
}

/// Zooms the whole window (Ctrl+plus, Ctrl+minus, Ctrl+0): the webview's own
/// zoom, which scales text and layout together as a browser's zoom does.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_zoom(window: tauri::WebviewWindow, scale: f64) -> Result<(), CommandError> {
    if !(0.5..=3.0).contains(&scale) {
        return Err(CommandError {
            code: "validation",
            message: format!("zoom {scale} is outside 0.5 to 3"),
        });
    }
    window
        .set_zoom(scale)
        .map_err(|e| CommandError::internal(format!("the window could not zoom: {e}")))
}
