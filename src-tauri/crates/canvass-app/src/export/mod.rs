//! Exports for supervisors and analysts: pure writers over rows, and the use case that feeds them.

pub mod paradata;

use std::path::{Path, PathBuf};

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

/// Writes the session logs of `ids` (every interview when `None`) into `out_dir` in `format`.
pub fn export_paradata(
    app: &App,
    format: ParadataFormat,
    out_dir: &Path,
    ids: Option<&[String]>,
) -> Result<ExportSummary> {
    let logs: Vec<InterviewLog> = app.paradata_logs(ids)?;
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

/// The csv crate wraps I/O errors; unwrap them so every export error reads the same way.
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
