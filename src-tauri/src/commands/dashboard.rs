//! Commands of the dashboard screen: a study's report, and saving it as CSV with its charts as PNG.

use canvass_app::dashboard::{report_csv, CxReport};
use serde::Deserialize;
use tauri::State;

use super::blocking;
use crate::error::CommandError;
use crate::state::AppState;

/// One chart as the webview drew it: a short name and the PNG bytes.
#[derive(Debug, Deserialize)]
pub struct ChartPng {
    pub name: String,
    pub png: Vec<u8>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dashboard_report(
    state: State<'_, AppState>,
    study_id: String,
    language: Option<String>,
) -> Result<CxReport, CommandError> {
    let app = state.app()?;
    blocking(move || Ok(app.cx_report(&study_id, language.as_deref())?)).await
}

/// Writes `<study>-dashboard.csv` and `<study>-<chart>.png` for each chart into `dir`;
/// returns the paths written.
#[tauri::command(rename_all = "snake_case")]
pub async fn dashboard_save(
    state: State<'_, AppState>,
    study_id: String,
    language: Option<String>,
    dir: String,
    charts: Vec<ChartPng>,
) -> Result<Vec<String>, CommandError> {
    let app = state.app()?;
    let dir = dir.trim().to_owned();
    if dir.is_empty() {
        return Err(CommandError {
            code: "validation",
            message: "choose a folder to save the dashboard into".into(),
        });
    }
    for c in &charts {
        // Chart names become file names; only the screen's own short names are accepted.
        let ok = !c.name.is_empty()
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !ok || !c.png.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(CommandError {
                code: "validation",
                message: format!(
                    "the chart {:?} is not a PNG image with a plain name",
                    c.name
                ),
            });
        }
    }
    blocking(move || {
        let report = app.cx_report(&study_id, language.as_deref())?;
        let dir = std::path::PathBuf::from(dir);
        let fail = |path: &std::path::Path, e: std::io::Error| CommandError {
            code: "storage",
            message: format!("could not write {}: {e}", path.display()),
        };
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
        let mut written = Vec::new();
        let csv = dir.join(format!("{}-dashboard.csv", report.study));
        std::fs::write(&csv, report_csv(&report)).map_err(|e| fail(&csv, e))?;
        written.push(csv.display().to_string());
        for c in charts {
            let path = dir.join(format!("{}-{}.png", report.study, c.name));
            std::fs::write(&path, &c.png).map_err(|e| fail(&path, e))?;
            written.push(path.display().to_string());
        }
        Ok(written)
    })
    .await
}
