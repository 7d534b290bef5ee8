//! Call-history export: one row per attempt, as CSV or XLSX, in the shape of Blaise's dial history.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::outcomes::OutcomeTable;
use crate::error::{Error, Result};
use crate::interview::App;

/// The columns, in order.
pub const COLUMNS: [&str; 13] = [
    "study_id",
    "case_id",
    "attempt_id",
    "number",
    "phone",
    "interviewer",
    "start",
    "end",
    "outcome",
    "aapor_code",
    "appointment",
    "note",
    "interview_id",
];

/// Which calls an export takes: every call, one study's, or those of a selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallScope {
    /// Only this study's calls when set.
    pub study: Option<String>,
    /// Only the calls of these cases or interviews (an id may name either); every
    /// call of the study (or of all studies) when empty.
    pub ids: Vec<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallExport {
    pub rows: usize,
    pub file: PathBuf,
}

fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl App {
    /// The call history as rows of text under [`COLUMNS`], oldest first per study.
    pub fn call_history(&self) -> Result<Vec<Vec<String>>> {
        let inner = self.lock();
        let store = &inner.store;
        let attempts = store.attempts(None)?;
        let mut appointments = std::collections::HashMap::new();
        let mut tables: std::collections::BTreeMap<String, OutcomeTable> = Default::default();
        let mut rows = Vec::with_capacity(attempts.len());
        for a in &attempts {
            if !tables.contains_key(&a.study_id) {
                tables.insert(
                    a.study_id.clone(),
                    super::outcome_table(store, &a.study_id)?,
                );
            }
            if a.appointment_id.is_some()
                && !appointments.contains_key(&(a.study_id.clone(), a.case_id.clone()))
            {
                let list = store.case_appointments(&a.study_id, &a.case_id)?;
                appointments.insert((a.study_id.clone(), a.case_id.clone()), list);
            }
            let appointment = a
                .appointment_id
                .as_ref()
                .and_then(|id| {
                    appointments
                        .get(&(a.study_id.clone(), a.case_id.clone()))?
                        .iter()
                        .find(|x| &x.id == id)
                })
                .map(|x| format!("{}{}", iso(x.starts_at), if x.hard { " hard" } else { "" }))
                .unwrap_or_default();
            let aapor = tables[&a.study_id]
                .get(&a.outcome_code)
                .map(|o| o.aapor.clone())
                .unwrap_or_default();
            rows.push(vec![
                a.study_id.clone(),
                a.case_id.clone(),
                a.id.clone(),
                (a.phone_index + 1).to_string(),
                a.phone.clone(),
                a.interviewer.clone(),
                iso(a.started_at),
                iso(a.ended_at),
                a.outcome_code.clone(),
                aapor,
                appointment,
                a.note.clone(),
                a.interview_id.clone().unwrap_or_default(),
            ]);
        }
        Ok(rows)
    }

    /// Writes `calls.csv` or `calls.xlsx` into `dir` (created if missing), narrowed to
    /// `scope` (`CallScope::default()` takes every call). A study with neither calls nor a form, or an
    /// id that no call of the scope belongs to, is refused before any file is written,
    /// so a mistyped id never gives an export that silently lacks its calls.
    pub fn export_calls(&self, xlsx: bool, dir: &Path, scope: &CallScope) -> Result<CallExport> {
        let mut rows = self.call_history()?;
        if let Some(study) = scope.study.as_deref().filter(|s| !s.is_empty()) {
            // A study is known by its calls, or by its installed form when it has none yet.
            let known =
                rows.iter().any(|r| r[0] == study) || self.forms().iter().any(|f| f.id == study);
            if !known {
                return Err(Error::UnknownStudy {
                    id: study.to_owned(),
                });
            }
            rows.retain(|r| r[0] == study);
        }
        if !scope.ids.is_empty() {
            // Columns 1 and 12 of COLUMNS: the case and the interview of an attempt.
            let hit =
                |r: &Vec<String>, id: &String| &r[1] == id || (!r[12].is_empty() && &r[12] == id);
            if let Some(missing) = scope.ids.iter().find(|id| !rows.iter().any(|r| hit(r, id))) {
                return Err(Error::NotInCallHistory {
                    id: missing.clone(),
                });
            }
            rows.retain(|r| scope.ids.iter().any(|id| hit(r, id)));
        }
        let file = dir.join(if xlsx { "calls.xlsx" } else { "calls.csv" });
        let io = |source: std::io::Error| Error::Export {
            path: file.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        if xlsx {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let sheet = wb.add_worksheet();
            let other = |e: rust_xlsxwriter::XlsxError| io(std::io::Error::other(e.to_string()));
            sheet.set_name("calls").map_err(other)?;
            for (c, h) in COLUMNS.iter().enumerate() {
                sheet.write_string(0, c as u16, *h).map_err(other)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    sheet
                        .write_string(r as u32 + 1, c as u16, v)
                        .map_err(other)?;
                }
            }
            wb.save(&file).map_err(other)?;
        } else {
            let mut w = csv::Writer::from_path(&file).map_err(|e| io(e.into()))?;
            w.write_record(COLUMNS).map_err(|e| io(e.into()))?;
            for row in &rows {
                w.write_record(row).map_err(|e| io(e.into()))?;
            }
            w.flush().map_err(io)?;
        }
        Ok(CallExport {
            rows: rows.len(),
            file,
        })
    }
}
