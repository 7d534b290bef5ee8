//! Commands for the interview lifecycle: questionnaire language, roster members, break-off, moving a draft to a new version.

use canvass_app::{Screen, VersionMove};
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command(rename_all = "snake_case")]
pub async fn set_language(
    state: State<'_, AppState>,
    interview_id: String,
    language: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.set_language(&interview_id, &language)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_repeat(
    state: State<'_, AppState>,
    interview_id: String,
    range_path: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.add_repeat(&interview_id, &range_path)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn remove_repeat(
    state: State<'_, AppState>,
    interview_id: String,
    instance_path: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.remove_repeat(&interview_id, &instance_path)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn break_off_interview(
    state: State<'_, AppState>,
    interview_id: String,
    reason: String,
) -> Result<(), CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.break_off_interview(&interview_id, &reason)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn newer_versions(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Vec<String>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.newer_versions(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn move_to_version(
    state: State<'_, AppState>,
    interview_id: String,
    version: String,
    apply: bool,
) -> Result<VersionMove, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.move_to_version(&interview_id, &version, apply)?)).await
}
