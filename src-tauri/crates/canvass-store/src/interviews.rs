//! Interview, answer and outbox reads, and the row types that writes (see `paradata::Write`) take.

use rusqlite::{OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::open::Store;

/// A new interview to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInterview {
    pub id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub current_item: Option<String>,
    pub now_ms: i64,
}

/// An interview as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewRow {
    pub id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    /// Stable status code: `in_progress`, `completed`, ...
    pub status: String,
    /// The item on screen when the interview was last touched: where it resumes.
    pub current_item: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    pub item_path: String,
    pub value: String,
    pub updated_at: i64,
}

/// One row of work waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Idempotency key on the server: the id of the record carried.
    pub id: String,
    /// What the payload is, e.g. `interview`.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Hex SHA-256 of the payload, so the server can tell a duplicate from a conflict.
    pub payload_hash: String,
    pub created_at: i64,
    /// `pending`, `acked` or `rejected`.
    pub state: String,
}

const INTERVIEW_COLUMNS: &str =
    "id, questionnaire_id, questionnaire_version, status, current_item, created_at, updated_at, completed_at";

fn interview_from_row(r: &Row<'_>) -> rusqlite::Result<InterviewRow> {
    Ok(InterviewRow {
        id: r.get(0)?,
        questionnaire_id: r.get(1)?,
        questionnaire_version: r.get(2)?,
        status: r.get(3)?,
        current_item: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        completed_at: r.get(7)?,
    })
}

impl Store {
    /// Reads one interview.
    pub fn interview(&self, id: &str) -> Result<InterviewRow> {
        // Cached: every answer's save reads its interview, and parsing the
        // statement again each time was a measurable part of a save.
        self.conn
            .prepare_cached(&format!(
                "SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE id = ?1"
            ))?
            .query_row([id], interview_from_row)
            .optional()?
            .ok_or_else(|| Error::InterviewNotFound { id: id.to_owned() })
    }

    /// Whether the file holds any interview at all.
    pub fn has_interviews(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM interviews)", [], |r| r.get(0))?)
    }

    /// All interviews made on this device, most recently touched first (a supervisor's
    /// pulled interviews are listed by the review desk, `Store::review_interviews`).
    pub fn list_interviews(&self) -> Result<Vec<InterviewRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE origin = 'device' ORDER BY updated_at DESC, id DESC"
        ))?;
        let rows = stmt
            .query_map([], interview_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every answer of an interview, ordered by path.
    pub fn answers(&self, interview_id: &str) -> Result<Vec<AnswerRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_path, value, updated_at FROM answers WHERE interview_id = ?1 ORDER BY item_path",
        )?;
        let rows = stmt
            .query_map([interview_id], |r| {
                Ok(AnswerRow {
                    item_path: r.get(0)?,
                    value: r.get(1)?,
                    updated_at: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Outbox rows still waiting for the server, oldest first.
    pub fn pending_outbox(&self) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, payload, payload_hash, created_at, state FROM outbox WHERE state = 'pending' ORDER BY created_at, id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(OutboxRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    payload: r.get(2)?,
                    payload_hash: r.get(3)?,
                    created_at: r.get(4)?,
                    state: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
