//! Commands of photo, audio and file questions and of GPS questions: thin wrappers over `canvass_app::attachments`.

use canvass_app::attachments::{decode_base64, AttachmentView, GeopointInput};
use canvass_app::Screen;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command(rename_all = "snake_case")]
pub async fn attach_file(
    state: State<'_, AppState>,
    interview_id: String,
    item: String,
    file_name: String,
    data_base64: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || {
        let bytes = decode_base64(&data_base64, &item)?;
        Ok(app.attach_file(&interview_id, &item, &file_name, &bytes)?)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn clear_attachment(
    state: State<'_, AppState>,
    interview_id: String,
    item: String,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.clear_attachment(&interview_id, &item)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn attachment(
    state: State<'_, AppState>,
    interview_id: String,
    item: String,
) -> Result<Option<AttachmentView>, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.attachment(&interview_id, &item)?)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_geopoint(
    state: State<'_, AppState>,
    interview_id: String,
    item: String,
    point: GeopointInput,
) -> Result<Screen, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.record_geopoint(&interview_id, &item, &point)?)).await
}
