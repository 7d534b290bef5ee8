//! Commands of the call screen: the next case, a case card, outcomes, appointments and the hand-over into the questionnaire.

use canvass_app::cati::outcomes::Outcome;
use canvass_app::cati::{
    AppointmentRequest, AppointmentView, CaseCard, NextCase, QuotaView, RecordCall, RecordedCall,
};
use canvass_app::Screen;
use serde::Serialize;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

/// Who is calling and what they may record: shown on the call screen.
#[derive(Debug, Serialize)]
pub struct CatiSetup {
    pub interviewer: String,
    pub outcomes: Vec<Outcome>,
    /// The study's quota cells: local counts and the server's last totals with their time.
    pub quotas: Vec<QuotaView>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cati_setup(
    state: State<'_, AppState>,
    study_id: String,
) -> Result<CatiSetup, CommandError> {
    let app = state.app()?;
    blocking(move || {
        Ok(CatiSetup {
            interviewer: app.cati_interviewer()?,
            outcomes: app.outcomes(&study_id)?,
            quotas: app.quota_views(&study_id)?,
        })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cati_next(state: State<'_, AppState>) -> Result<NextCase, CommandError> {
    let app = state.app()?;
    blocking(move || {
        let who = app.cati_interviewer()?;
        Ok(app.cati_next(&who)?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cati_case(
    state: State<'_, AppState>,
    study_id: String,
    case_id: String,
) -> Result<CaseCard, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.case_card(Some(&study_id), &case_id)?)).await
}

#[allow(clippy::too_many_arguments)]
#[tauri::command(rename_all = "snake_case")]
pub async fn cati_record(
    state: State<'_, AppState>,
    study_id: String,
    case_id: String,
    outcome: String,
    started_at: Option<i64>,
    phone_index: Option<usize>,
    note: String,
    appointment_at: Option<i64>,
    hard: bool,
    interview_id: Option<String>,
) -> Result<RecordedCall, CommandError> {
    let app = state.app()?;
    blocking(move || {
        let interviewer = app.cati_interviewer()?;
        Ok(app.cati_record(&RecordCall {
            study_id: Some(study_id),
            case_id,
            outcome,
            interviewer,
            started_at,
            phone_index,
            note,
            appointment: appointment_at.map(|starts_at| AppointmentRequest {
                starts_at,
                ends_at: None,
                hard,
            }),
            interview_id,
        })?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cati_appointments(
    state: State<'_, AppState>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<AppointmentView>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.appointments_between(from_ms, to_ms)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cati_start_interview(
    state: State<'_, AppState>,
    study_id: String,
    case_id: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.start_case_interview(&study_id, &case_id)?)).await
}
