//! Data exports of a study's interviews on this device: the store as a source for `canvass-export`'s writers.
//!
//! The writers (CSV, XLSX, JSON Lines, SPSS `.sav`, Stata `.dta`, ODK
//! submission XML) and the record building live in `canvass-export`, shared
//! with the server; this module reads the store a page at a time by id and
//! maps the writers' errors into this crate's.

use std::path::Path;
use std::sync::Arc;

use canvass_export::{Interview, Meta, RecordSource};
use canvass_form::Questionnaire;
use canvass_store::ExportFilter;

use crate::error::{Error, Result};
use crate::interview::App;

pub use canvass_export::{
    day_start_ms, record_is_stored_answers, DataExportOptions, DataExportSummary, DataFormat,
};

impl From<canvass_export::Error> for Error {
    fn from(e: canvass_export::Error) -> Error {
        use canvass_export::Error as E;
        match e {
            E::Write { path, source } => Error::Export { path, source },
            E::Cancelled => Error::ExportCancelled,
            E::UnknownLanguage {
                language,
                available,
            } => Error::UnknownLanguage {
                language,
                available,
            },
            E::VersionMissing { study, version, .. } => {
                Error::QuestionnaireMissing { id: study, version }
            }
        }
    }
}

/// The store's interviews taken by a filter, a page at a time in id order.
struct StoreSource<'a> {
    app: &'a App,
    filter: ExportFilter,
    /// Every installed version of the study, oldest first.
    forms: Vec<Arc<Questionnaire>>,
    /// The last id of the previous page; `None` before the first.
    after: Option<String>,
    done: bool,
}

impl RecordSource for StoreSource<'_> {
    type Error = Error;

    fn count(&mut self) -> Result<usize> {
        Ok(self.app.lock().store.export_count(&self.filter)?)
    }

    fn next_page(&mut self) -> Result<Vec<Interview>> {
        if self.done {
            return Ok(Vec::new());
        }
        let inner = self.app.lock();
        let page =
            inner
                .store
                .export_page(&self.filter, self.after.as_deref(), canvass_export::PAGE)?;
        let (Some(first), Some(last)) = (page.first(), page.last()) else {
            self.done = true;
            return Ok(Vec::new());
        };
        // Answers of the page, grouped by interview; the page is small, so this is bounded.
        let mut answers: Vec<Vec<(String, String)>> = vec![Vec::new(); page.len()];
        let mut at = 0usize;
        inner
            .store
            .for_each_answer(&first.id, &last.id, &mut |id, path, value| {
                while at < page.len() && page[at].id.as_str() < id {
                    at += 1;
                }
                if at < page.len() && page[at].id == id {
                    answers[at].push((path.to_owned(), value.to_owned()));
                }
            })?;
        self.after = Some(last.id.clone());
        Ok(page
            .into_iter()
            .zip(answers)
            .map(|(row, answers)| Interview {
                meta: Meta {
                    id: row.id,
                    status: row.status,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                    completed_at: row.completed_at,
                    questionnaire_version: row.questionnaire_version,
                },
                answers,
            })
            .collect())
    }

    fn form(&mut self, version: &str) -> Result<Option<Arc<Questionnaire>>> {
        Ok(self
            .forms
            .iter()
            .rev()
            .find(|f| crate::interview::version_of(f) == version)
            .cloned())
    }
}

/// Exports the interviews of a study into `out_dir`.
pub fn export_data(
    app: &App,
    options: &DataExportOptions,
    out_dir: &Path,
) -> Result<DataExportSummary> {
    export_data_with_progress(app, options, out_dir, &mut |_, _| true)
}

/// [`export_data`] that calls `progress(done, total)` after every page of interviews; when
/// `progress` returns false the export stops with [`Error::ExportCancelled`] and the partial
/// files are removed, so nothing is left behind.
pub fn export_data_with_progress(
    app: &App,
    options: &DataExportOptions,
    out_dir: &Path,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<DataExportSummary> {
    let forms: Vec<Arc<Questionnaire>> = app
        .forms()
        .into_iter()
        .filter(|f| f.id == options.study)
        .collect();
    // The newest installed version names the columns; older versions' answers land by path.
    let Some(newest) = forms.last().cloned() else {
        return Err(Error::UnknownStudy {
            id: options.study.clone(),
        });
    };
    let filter = ExportFilter {
        questionnaire_id: options.study.clone(),
        statuses: if options.statuses.is_empty() {
            vec!["completed".to_owned()]
        } else {
            options.statuses.clone()
        },
        from_ms: options.from_ms,
        to_ms: options.to_ms,
    };
    let mut source = StoreSource {
        app,
        filter,
        forms,
        after: None,
        done: false,
    };
    canvass_export::export(&mut source, &newest, options, out_dir, progress)
}

/// The languages labels of `study` can be exported in (its newest version's), for the export dialog.
pub fn study_languages(app: &App, study: &str) -> Result<Vec<String>> {
    app.forms()
        .into_iter()
        .rfind(|f| f.id == study)
        .map(|f| f.languages.clone())
        .ok_or_else(|| Error::UnknownStudy {
            id: study.to_owned(),
        })
}
