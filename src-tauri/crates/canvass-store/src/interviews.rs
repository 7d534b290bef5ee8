//! Interview, answer and outbox repositories: each write is one durable transaction.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

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
    /// Inserts a new interview in status `in_progress`.
    pub fn create_interview(&mut self, new: &NewInterview) -> Result<()> {
        self.conn.execute(
            "INSERT INTO interviews (id, questionnaire_id, questionnaire_version, status, current_item, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'in_progress', ?4, ?5, ?5)",
            params![new.id, new.questionnaire_id, new.questionnaire_version, new.current_item, new.now_ms],
        )?;
        Ok(())
    }

    /// Reads one interview.
    pub fn interview(&self, id: &str) -> Result<InterviewRow> {
        self.conn
            .query_row(&format!("SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE id = ?1"), [id], interview_from_row)
            .optional()?
            .ok_or_else(|| Error::InterviewNotFound { id: id.to_owned() })
    }

    /// All interviews, most recently touched first.
    pub fn list_interviews(&self) -> Result<Vec<InterviewRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {INTERVIEW_COLUMNS} FROM interviews ORDER BY updated_at DESC, id DESC"))?;
        let rows = stmt.query_map([], interview_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every answer of an interview, ordered by path.
    pub fn answers(&self, interview_id: &str) -> Result<Vec<AnswerRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_path, value, updated_at FROM answers WHERE interview_id = ?1 ORDER BY item_path",
        )?;
        let rows = stmt
            .query_map([interview_id], |r| Ok(AnswerRow { item_path: r.get(0)?, value: r.get(1)?, updated_at: r.get(2)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Saves one answer durably and records where the interview stands, in one transaction.
    ///
    /// An empty `value` deletes the answer. When this returns `Ok`, the commit
    /// has been synced to disk (WAL + `synchronous=FULL`).
    pub fn save_answer(
        &mut self,
        interview_id: &str,
        item_path: &str,
        value: &str,
        current_item: &str,
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        touch(&tx, interview_id, current_item, now_ms)?;
        if value.is_empty() {
            tx.execute("DELETE FROM answers WHERE interview_id = ?1 AND item_path = ?2", params![interview_id, item_path])?;
        } else {
            tx.execute(
                "INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (interview_id, item_path) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![interview_id, item_path, value, now_ms],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records the item now on screen, so that a resume lands there.
    pub fn set_current_item(&mut self, interview_id: &str, current_item: &str, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        touch(&tx, interview_id, current_item, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Marks an interview completed and queues it for the server, in one transaction.
    pub fn complete_interview(&mut self, interview_id: &str, outbox: &OutboxRow, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE interviews SET status = 'completed', current_item = NULL, updated_at = ?2, completed_at = ?2 WHERE id = ?1",
            params![interview_id, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::InterviewNotFound { id: interview_id.to_owned() });
        }
        tx.execute(
            "INSERT INTO outbox (id, kind, payload, payload_hash, created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            params![outbox.id, outbox.kind, outbox.payload, outbox.payload_hash, outbox.created_at],
        )?;
        tx.commit()?;
        Ok(())
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

/// Moves an interview's resume point and timestamp; fails if it does not exist.
fn touch(tx: &rusqlite::Transaction<'_>, interview_id: &str, current_item: &str, now_ms: i64) -> Result<()> {
    let changed = tx.execute(
        "UPDATE interviews SET current_item = ?2, updated_at = ?3 WHERE id = ?1",
        params![interview_id, current_item, now_ms],
    )?;
    if changed == 0 {
        return Err(Error::InterviewNotFound { id: interview_id.to_owned() });
    }
    Ok(())
}
