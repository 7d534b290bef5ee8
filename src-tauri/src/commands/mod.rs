//! Tauri commands, one file per UI area; each deserializes, makes one `canvass-app` call, and maps the result.

pub mod attachments;
pub mod capi;
pub mod cati;
pub mod dashboard;
pub mod export;
pub mod interview;
pub mod lifecycle;
pub mod review;
pub mod sync;

use crate::error::CommandError;

/// Runs a blocking use case off the UI thread: SQLite commits wait for fsync.
pub async fn blocking<T, F>(f: F) -> Result<T, CommandError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, CommandError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| CommandError::internal(format!("the operation stopped unexpectedly: {e}")))?
}
