//! Commands of the supervisor's review desk and the interviewer's returned-interview notes.

use canvass_app::review::{DecisionView, ReviewDetail, ReviewFilter, ReviewNote, ReviewRow};
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command(rename_all = "snake_case")]
pub async fn review_is_supervisor(state: State<'_, AppState>) -> Result<bool, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.is_supervisor().map_err(canvass_app::Error::from)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn review_list(
    state: State<'_, AppState>,
    filter: Option<ReviewFilter>,
) -> Result<Vec<ReviewRow>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.review_list(&filter.unwrap_or_default())?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn review_detail(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<ReviewDetail, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.review_detail(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn review_decide(
    state: State<'_, AppState>,
    interview_id: String,
    decision: String,
    comment: Option<String>,
    paths: Option<Vec<String>>,
) -> Result<DecisionView, CommandError> {
    let app = state.app()?;
    blocking(move || {
        Ok(app.decide(
            &interview_id,
            &decision,
            comment.as_deref(),
            &paths.unwrap_or_default(),
        )?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn review_notes(state: State<'_, AppState>) -> Result<Vec<ReviewNote>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.review_notes()?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn review_set_speeding(
    state: State<'_, AppState>,
    study_id: String,
    seconds: f64,
) -> Result<(), CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.set_speeding_threshold(&study_id, seconds)?)).await
}
