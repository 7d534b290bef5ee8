//! `canvass-server export data`: a study's received interviews in the analysts' formats, written by the same `canvass-export` writers as the devices' `canvass export data`.
//!
//! Every revision of an interview is its own record; the export takes each
//! interview's latest revision, because that is the data the supervisors stand
//! behind. Its status column is the review state the server holds for that
//! revision (`approved` or `rejected`, the latest decision winning), else
//! `completed`; the status and date filters apply to that. Without `--status`
//! every interview not sent back (`completed` and `approved`) is taken.
//!
//! The server keeps every published questionnaire version as its uploaded file
//! (the changes feed); each version an interview names is compiled once with
//! the devices' importer, and the newest version names the columns, as on a
//! device. An interview on a version the server never published stops the
//! export with an error naming it, so no interview is silently left out.
//!
//! Memory: a first pass reads the records a page at a time (by id) and keeps
//! only each chosen interview's head (ids, revision, times); the second pass
//! reads the chosen records' payloads a page at a time and streams them to the
//! writer. What stays in memory is a few hundred bytes per interview.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use canvass_export::{DataExportOptions, DataExportSummary, Interview, Meta, RecordSource};
use canvass_form::Questionnaire;
use canvass_protocol::QuestionnaireVersion;

use crate::db::Database;
use crate::error::ApiError;

/// Statuses an interview can have in a server export.
pub const STATUSES: [&str; 3] = ["completed", "approved", "rejected"];

/// Records read per page in the first pass (heads only are kept).
const SCAN_PAGE: usize = 500;

impl From<canvass_export::Error> for ApiError {
    fn from(e: canvass_export::Error) -> ApiError {
        use canvass_export::Error as E;
        match e {
            E::UnknownLanguage { .. } => ApiError::BadRequest {
                code: "bad_language",
                message: e.to_string(),
            },
            E::VersionMissing { .. } => ApiError::NotFound(e.to_string()),
            E::Cancelled => ApiError::Conflict(e.to_string()),
            E::Write { .. } => ApiError::Internal(crate::error::chain(&e)),
        }
    }
}

/// The part of a stored interview payload the first pass reads. Everything but the id
/// may be absent, so a stray record of another study never stops this study's export;
/// a record of this study without its version or times is reported by id.
#[derive(Debug, Clone, serde::Deserialize)]
struct Head {
    id: String,
    #[serde(default)]
    interview_id: Option<String>,
    #[serde(default)]
    revision: Option<i64>,
    #[serde(default)]
    questionnaire_id: Option<String>,
    #[serde(default)]
    questionnaire_version: Option<String>,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    completed_at: Option<i64>,
}

/// The answers of a stored interview payload.
#[derive(Debug, serde::Deserialize)]
struct Answers {
    #[serde(default)]
    answers: BTreeMap<String, String>,
}

/// One chosen interview: its latest record and what the export says of it.
#[derive(Debug, Clone)]
struct Chosen {
    record_id: String,
    interview_id: String,
    revision: i64,
    version: String,
    created_at: i64,
    completed_at: i64,
    status: String,
}

/// Writes the latest revision of every interview of `options.study` that passes the
/// filters into `out_dir`, in `options.format`. Runs the writers on a blocking thread.
pub async fn export_data(
    db: Arc<dyn Database>,
    options: DataExportOptions,
    out_dir: &Path,
) -> Result<DataExportSummary, ApiError> {
    for s in &options.statuses {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::BadRequest {
                code: "bad_status",
                message: format!(
                    "unknown status {s:?}; the server's interviews are {}",
                    STATUSES.join(", ")
                ),
            });
        }
    }
    let versions = published_versions(db.as_ref(), &options.study).await?;
    let Some(newest) = versions.last() else {
        return Err(ApiError::NotFound(format!(
            "no questionnaire {} has been published on this server",
            options.study
        )));
    };
    let newest = compile(&options.study, newest)?;
    let chosen = choose(db.as_ref(), &options).await?;
    let handle = tokio::runtime::Handle::current();
    let out_dir = out_dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut forms: HashMap<String, Arc<Questionnaire>> = HashMap::new();
        forms.insert(version_of(&newest), newest.clone());
        let mut source = ServerSource {
            db,
            handle,
            study: options.study.clone(),
            versions,
            forms,
            chosen,
            next: 0,
        };
        canvass_export::export(&mut source, &newest, &options, &out_dir, &mut |_, _| true)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the export task failed: {e}")))?
}

/// The version string a compiled form carries, as publishing names it.
fn version_of(form: &Questionnaire) -> String {
    form.version.clone().unwrap_or_else(|| "1".to_owned())
}

/// Every published version of `study`, in publication order (a version published twice
/// appears twice; the later one wins).
async fn published_versions(
    db: &dyn Database,
    study: &str,
) -> Result<Vec<QuestionnaireVersion>, ApiError> {
    let mut out = Vec::new();
    let mut since = 0;
    loop {
        let rows = db.changes_since(since, None, true).await?;
        let Some(last) = rows.last() else { break };
        since = last.seq;
        for r in rows {
            if r.kind != "questionnaire_version" {
                continue;
            }
            let v: QuestionnaireVersion = serde_json::from_str(&r.body).map_err(|e| {
                ApiError::Internal(format!(
                    "change {} is not a questionnaire version: {e}",
                    r.seq
                ))
            })?;
            if v.questionnaire_id == study {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Imports a published version's file with the devices' importer.
fn compile(study: &str, v: &QuestionnaireVersion) -> Result<Arc<Questionnaire>, ApiError> {
    let bad = |why: String| {
        ApiError::Internal(format!(
            "questionnaire {study} version {} cannot be read: {why}",
            v.version
        ))
    };
    let (Some(name), Some(b64)) = (v.file_name.as_deref(), v.source_base64.as_deref()) else {
        return Err(bad("it was published without its form file".into()));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| bad(format!("its file is not base64: {e}")))?;
    let imported = canvass_form::import_form(&bytes, name);
    let problems: Vec<String> = imported.errors().map(|d| d.to_string()).collect();
    match imported.form {
        Some(form) if problems.is_empty() => Ok(Arc::new(form)),
        _ => Err(bad(problems.join("; "))),
    }
}

/// The first pass: each interview's latest revision of the study, its review state, and
/// the filters; sorted by interview id, as a device orders its export.
async fn choose(db: &dyn Database, options: &DataExportOptions) -> Result<Vec<Chosen>, ApiError> {
    let mut latest: HashMap<String, Chosen> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .records_page("interview", after.as_deref(), SCAN_PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        for r in &page {
            let head: Head = serde_json::from_str(&r.payload).map_err(|e| {
                ApiError::Internal(format!(
                    "stored interview {} is not an interview as devices send it: {e}",
                    r.id
                ))
            })?;
            if head.questionnaire_id.as_deref() != Some(options.study.as_str()) {
                continue;
            }
            let (Some(version), Some(created_at), Some(completed_at)) = (
                head.questionnaire_version.clone(),
                head.created_at,
                head.completed_at,
            ) else {
                return Err(ApiError::Internal(format!(
                    "stored interview {} of study {} lacks its questionnaire_version, \
                     created_at or completed_at",
                    r.id, options.study
                )));
            };
            let revision = head.revision.unwrap_or(1);
            let interview_id = head.interview_id.clone().unwrap_or(head.id.clone());
            if latest
                .get(&interview_id)
                .is_some_and(|c| c.revision >= revision)
            {
                continue;
            }
            latest.insert(
                interview_id.clone(),
                Chosen {
                    record_id: r.id.clone(),
                    interview_id,
                    revision,
                    version,
                    created_at,
                    completed_at,
                    status: "completed".to_owned(),
                },
            );
        }
    }
    let mut chosen: Vec<Chosen> = latest.into_values().collect();
    chosen.sort_by(|a, b| a.interview_id.cmp(&b.interview_id));
    for chunk in chosen.chunks_mut(SCAN_PAGE) {
        let ids: Vec<String> = chunk.iter().map(|c| c.interview_id.clone()).collect();
        let at: HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        // Oldest first, so the latest decision on a revision is the one that stays; a
        // decision on an earlier revision says nothing about the latest one.
        for d in db.decisions_on(&ids).await? {
            if let Some(&i) = at.get(&d.interview_id) {
                if d.revision.unwrap_or(1) == chunk[i].revision {
                    chunk[i].status = d.decision;
                }
            }
        }
    }
    let wanted: Vec<&str> = if options.statuses.is_empty() {
        vec!["completed", "approved"]
    } else {
        options.statuses.iter().map(String::as_str).collect()
    };
    chosen.retain(|c| {
        wanted.contains(&c.status.as_str())
            && options.from_ms.is_none_or(|from| c.completed_at >= from)
            && options.to_ms.is_none_or(|to| c.completed_at < to)
    });
    Ok(chosen)
}

/// The second pass: the chosen records' answers, a page at a time.
struct ServerSource {
    db: Arc<dyn Database>,
    /// The runtime the storage calls run on; this source lives on a blocking thread.
    handle: tokio::runtime::Handle,
    study: String,
    versions: Vec<QuestionnaireVersion>,
    /// Compiled versions by version string.
    forms: HashMap<String, Arc<Questionnaire>>,
    chosen: Vec<Chosen>,
    next: usize,
}

impl RecordSource for ServerSource {
    type Error = ApiError;

    fn count(&mut self) -> Result<usize, ApiError> {
        Ok(self.chosen.len())
    }

    fn next_page(&mut self) -> Result<Vec<Interview>, ApiError> {
        let end = (self.next + canvass_export::PAGE).min(self.chosen.len());
        let page = &self.chosen[self.next..end];
        self.next = end;
        if page.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = page.iter().map(|c| c.record_id.clone()).collect();
        let mut records: HashMap<String, String> = self
            .handle
            .block_on(self.db.records_by_id(&ids))?
            .into_iter()
            .map(|r| (r.id, r.payload))
            .collect();
        page.iter()
            .map(|c| {
                let payload = records.remove(&c.record_id).ok_or_else(|| {
                    ApiError::Internal(format!(
                        "stored interview {} went missing during the export",
                        c.record_id
                    ))
                })?;
                let sent: Answers = serde_json::from_str(&payload).map_err(|e| {
                    ApiError::Internal(format!(
                        "stored interview {} has no answers as devices send them: {e}",
                        c.record_id
                    ))
                })?;
                Ok(Interview {
                    meta: Meta {
                        id: c.interview_id.clone(),
                        status: c.status.clone(),
                        created_at: c.created_at,
                        // A received revision is finished: its last change is its completion.
                        updated_at: c.completed_at,
                        completed_at: Some(c.completed_at),
                        questionnaire_version: c.version.clone(),
                    },
                    // Sorted by path, as a device's store hands its answers over.
                    answers: sent.answers.into_iter().collect(),
                })
            })
            .collect()
    }

    fn form(&mut self, version: &str) -> Result<Option<Arc<Questionnaire>>, ApiError> {
        if let Some(form) = self.forms.get(version) {
            return Ok(Some(form.clone()));
        }
        let Some(v) = self.versions.iter().rev().find(|v| v.version == version) else {
            return Ok(None);
        };
        let form = compile(&self.study, v)?;
        self.forms.insert(version.to_owned(), form.clone());
        Ok(Some(form))
    }
}
