//! Exports for supervisors and analysts: pure writers over rows, and the use case that feeds them.

pub mod data;
pub mod paradata;

use std::path::{Path, PathBuf};

use canvass_export::csv_io;

use crate::error::{Error, Result};
use crate::interview::App;
use paradata::{InterviewLog, ParadataFormat};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportSummary {
    pub files: Vec<PathBuf>,
    pub interviews: usize,
    pub events: usize,
}

/// Interviews read per step of an export; each step reports progress and may be cancelled.
const EXPORT_STEP: usize = 200;

/// Writes the session logs of `ids` (every interview when `None`) into `out_dir` in `format`.
pub fn export_paradata(
    app: &App,
    format: ParadataFormat,
    out_dir: &Path,
    ids: Option<&[String]>,
) -> Result<ExportSummary> {
    export_paradata_with_progress(app, format, out_dir, ids, &mut |_, _| true)
}

/// [`export_paradata`] that calls `progress(done, total)` as interviews are read and before
/// the files are written; when `progress` returns false the export stops with
/// [`Error::ExportCancelled`] and no file is written.
pub fn export_paradata_with_progress(
    app: &App,
    format: ParadataFormat,
    out_dir: &Path,
    ids: Option<&[String]>,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<ExportSummary> {
    let ids: Vec<String> = match ids {
        Some(ids) => ids.to_vec(),
        None => app.paradata_interview_ids()?,
    };
    let total = ids.len();
    let mut logs: Vec<InterviewLog> = Vec::with_capacity(total);
    if !progress(0, total) {
        return Err(Error::ExportCancelled);
    }
    for chunk in ids.chunks(EXPORT_STEP) {
        logs.extend(app.paradata_logs(Some(chunk))?);
        if !progress(logs.len(), total) {
            return Err(Error::ExportCancelled);
        }
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source: std::io::Error| Error::Export {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let mut files = Vec::new();
    let mut write = |path: PathBuf,
                     f: &dyn Fn(std::io::BufWriter<std::fs::File>) -> std::io::Result<()>|
     -> Result<()> {
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        f(std::io::BufWriter::new(file)).map_err(io(&path))?;
        files.push(path);
        Ok(())
    };
    match format {
        ParadataFormat::AuditCsv => {
            for log in &logs {
                let dir = out_dir.join(&log.interview_id);
                std::fs::create_dir_all(&dir).map_err(io(&dir))?;
                write(dir.join("audit.csv"), &|w| {
                    paradata::write_audit_csv(w, &log.events).map_err(csv_io)
                })?;
            }
        }
        ParadataFormat::Csv => write(out_dir.join("paradata.csv"), &|w| {
            paradata::write_combined_csv(w, &logs).map_err(csv_io)
        })?,
        ParadataFormat::Jsonl => write(out_dir.join("paradata.jsonl"), &|w| {
            paradata::write_jsonl(w, &logs)
        })?,
        ParadataFormat::Tab => write(out_dir.join("paradata.tab"), &|w| {
            paradata::write_paradata_tab(w, &logs).map_err(csv_io)
        })?,
    }
    Ok(ExportSummary {
        files,
        interviews: logs.len(),
        events: logs.iter().map(|l| l.events.len()).sum(),
    })
}

/// The interviews a session-log export takes: `ids` when given (one interview or a
/// selection; each must exist), else every interview of `study`, else every interview;
/// oldest first. `None` means every interview.
pub fn paradata_scope(
    app: &App,
    study: Option<&str>,
    ids: Option<&[String]>,
) -> Result<Option<Vec<String>>> {
    let all = app.list_interviews()?;
    if let Some(ids) = ids.filter(|ids| !ids.is_empty()) {
        for id in ids {
            if !all.iter().any(|i| &i.id == id) {
                return Err(Error::Store(canvass_store::Error::InterviewNotFound {
                    id: id.clone(),
                }));
            }
        }
        return Ok(Some(ids.to_vec()));
    }
    let Some(study) = study.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let mut rows: Vec<_> = all.into_iter().filter(|i| i.study_id == study).collect();
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(Some(rows.into_iter().map(|r| r.id).collect()))
}
