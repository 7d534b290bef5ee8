//! Commands of the CAPI screens: the assignments dashboard, an assignment's detail, visits, consents and respondent mode.

use canvass_app::capi::{
    AssignmentDashboard, AssignmentDetail, AssignmentFilter, AssignmentView, ConsentView,
    VisitInput, VisitView,
};
use canvass_app::Screen;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_dashboard(
    state: State<'_, AppState>,
    filter: AssignmentFilter,
) -> Result<AssignmentDashboard, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.assignment_dashboard(&filter)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_assignment(
    state: State<'_, AppState>,
    assignment_id: String,
) -> Result<AssignmentDetail, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.assignment_detail(&assignment_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_interview_assignment(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<Option<AssignmentView>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.assignment_of_interview(&interview_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_start_interview(
    state: State<'_, AppState>,
    assignment_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.start_assignment_interview(&assignment_id)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_record_visit(
    state: State<'_, AppState>,
    visit: VisitInput,
) -> Result<VisitView, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.record_visit(&visit)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_record_consent(
    state: State<'_, AppState>,
    interview_id: String,
    given: bool,
    statement: String,
) -> Result<ConsentView, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.record_consent(&interview_id, given, &statement)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_respondent_mode(
    state: State<'_, AppState>,
    interview_id: String,
    on: bool,
    pin: String,
) -> Result<(), CommandError> {
    let app = state.app()?;
    blocking(move || {
        if on {
            app.start_respondent_mode(&interview_id, &pin)?;
        } else {
            app.end_respondent_mode(&interview_id, &pin)?;
        }
        Ok(())
    })
    .await
}

/// The interview left in respondent mode when the app last closed, so it reopens locked.
#[tauri::command(rename_all = "snake_case")]
pub async fn capi_respondent_lock(
    state: State<'_, AppState>,
) -> Result<Option<String>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.respondent_locked_interview()?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn capi_show_card(
    state: State<'_, AppState>,
    interview_id: String,
) -> Result<(), CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.log_show_card(&interview_id)?)).await
}

/// Jumps to a member's first question, picked in the roster table.
#[tauri::command(rename_all = "snake_case")]
pub async fn capi_jump_to_item(
    state: State<'_, AppState>,
    interview_id: String,
    item_path: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.jump_to_item(&interview_id, &item_path)?)).await
}
