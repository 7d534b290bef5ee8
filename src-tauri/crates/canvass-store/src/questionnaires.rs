//! Installed questionnaire versions: the form files as uploaded, one row per (id, version).

use rusqlite::{params, OptionalExtension};

use crate::error::{Error, Result};
use crate::open::Store;

/// One installed questionnaire version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionnaireRow {
    pub id: String,
    pub version: String,
    pub title: String,
    /// The file name it was installed from; its extension says which importer reads it.
    pub file_name: String,
    /// The form file's bytes, exactly as installed.
    pub source: Vec<u8>,
    /// Hex SHA-256 of `source`.
    pub source_sha256: String,
    pub installed_at: i64,
}

impl Store {
    /// Installs a questionnaire version; installing the same bytes again is a no-op.
    ///
    /// Returns `true` when the version was new. Different bytes under an installed
    /// id and version are refused: drafts pinned to that version must keep it.
    pub fn install_questionnaire(&mut self, q: &QuestionnaireRow) -> Result<bool> {
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT source_sha256 FROM questionnaires WHERE id = ?1 AND version = ?2",
                params![q.id, q.version],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(hash) if hash == q.source_sha256 => Ok(false),
            Some(_) => Err(Error::QuestionnaireVersionTaken {
                id: q.id.clone(),
                version: q.version.clone(),
            }),
            None => {
                self.conn.execute(
                    "INSERT INTO questionnaires (id, version, title, file_name, source, source_sha256, installed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![q.id, q.version, q.title, q.file_name, q.source, q.source_sha256, q.installed_at],
                )?;
                Ok(true)
            }
        }
    }

    /// Every installed questionnaire version, by id then installation time.
    pub fn questionnaires(&self) -> Result<Vec<QuestionnaireRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, version, title, file_name, source, source_sha256, installed_at FROM questionnaires
             ORDER BY id, installed_at, version",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(QuestionnaireRow {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    title: r.get(2)?,
                    file_name: r.get(3)?,
                    source: r.get(4)?,
                    source_sha256: r.get(5)?,
                    installed_at: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
