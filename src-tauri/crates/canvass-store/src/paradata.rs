//! The paradata log and the unit of work that writes it together with the change it describes.
//!
//! A [`Write`] is one `BEGIN IMMEDIATE` transaction scoped to one interview.
//! Use cases put the answer, the interview's new position and the events that
//! describe them into the same `Write` and commit once, so the log can never
//! miss a change that was saved, nor record one that was not.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};
use crate::interviews::{NewInterview, OutboxRow};
use crate::open::Store;

/// A new editing session: the one wall-clock reading its events are offsets from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: String,
    pub started_at_ms: i64,
    pub tz_offset_min: i32,
    /// `CAPI`, `CATI` or `CAWI`.
    pub mode: String,
    pub app_version: String,
    pub form_id: String,
    pub form_version: String,
}

/// A new event. `offset_ms` is monotonic milliseconds since its session started.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewEvent {
    pub session_id: String,
    pub offset_ms: i64,
    /// Stable code such as `form_start`, `question`, `answer_set`, `finalize`.
    pub kind: String,
    /// The node the event is about, e.g. `/data/nps`.
    pub node: Option<String>,
    /// Set for an event that is already over when written (spans are closed later).
    pub end_offset_ms: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// Event-specific JSON.
    pub extra: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub session_id: String,
    pub offset_ms: i64,
    pub kind: String,
    pub node: Option<String>,
    pub end_offset_ms: Option<i64>,
    pub end_estimated: bool,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub extra: Option<String>,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub started_at_ms: i64,
    pub tz_offset_min: i32,
    pub mode: String,
    pub app_version: String,
}

/// One transaction over one interview; dropped without [`Write::commit`], it rolls back.
pub struct Write<'a> {
    // Crate-visible so that other repositories (CAPI links, consents) can add
    // their rows to the same transaction as the interview change.
    pub(crate) tx: rusqlite::Transaction<'a>,
    pub(crate) interview_id: String,
}

impl Store {
    /// Begins a write transaction for `interview_id`, taking the write lock at once
    /// so that the commit cannot fail later for want of it.
    pub fn write(&mut self, interview_id: &str) -> Result<Write<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Write {
            tx,
            interview_id: interview_id.to_owned(),
        })
    }

    /// The interview's events in `seq` order.
    pub fn events(&self, interview_id: &str) -> Result<Vec<EventRow>> {
        events_on(&self.conn, interview_id)
    }

    /// The interview's editing sessions, oldest first.
    pub fn sessions(&self, interview_id: &str) -> Result<Vec<SessionRow>> {
        sessions_on(&self.conn, interview_id)
    }
}

/// The interview's events in `seq` order, on a connection or inside a transaction.
fn events_on(conn: &rusqlite::Connection, interview_id: &str) -> Result<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(
            "SELECT seq, session_id, offset_ms, kind, node, end_offset_ms, end_estimated, old_value, new_value, extra
             FROM paradata_events WHERE interview_id = ?1 ORDER BY seq",
        )?;
    let rows = stmt
        .query_map([interview_id], |r| {
            Ok(EventRow {
                seq: r.get(0)?,
                session_id: r.get(1)?,
                offset_ms: r.get(2)?,
                kind: r.get(3)?,
                node: r.get(4)?,
                end_offset_ms: r.get(5)?,
                end_estimated: r.get(6)?,
                old_value: r.get(7)?,
                new_value: r.get(8)?,
                extra: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The interview's editing sessions, oldest first, on a connection or inside a transaction.
fn sessions_on(conn: &rusqlite::Connection, interview_id: &str) -> Result<Vec<SessionRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, started_at_ms, tz_offset_min, mode, app_version FROM paradata_sessions
             WHERE interview_id = ?1 ORDER BY started_at_ms, id",
    )?;
    let rows = stmt
        .query_map([interview_id], |r| {
            Ok(SessionRow {
                id: r.get(0)?,
                started_at_ms: r.get(1)?,
                tz_offset_min: r.get(2)?,
                mode: r.get(3)?,
                app_version: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

impl Write<'_> {
    /// Inserts the interview this write is about, in status `in_progress`.
    pub fn create_interview(&self, new: &NewInterview) -> Result<()> {
        self.tx.execute(
            "INSERT INTO interviews (id, questionnaire_id, questionnaire_version, status, current_item, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'in_progress', ?4, ?5, ?5)",
            params![self.interview_id, new.questionnaire_id, new.questionnaire_version, new.current_item, new.now_ms],
        )?;
        Ok(())
    }

    /// Sets (or, with an empty value, removes) an answer and returns the previous value.
    pub fn set_answer(&self, item_path: &str, value: &str, now_ms: i64) -> Result<Option<String>> {
        // The statements of an answer's save are cached: parsing them again on
        // every save was a measurable share of its latency.
        let old: Option<String> = self
            .tx
            .prepare_cached("SELECT value FROM answers WHERE interview_id = ?1 AND item_path = ?2")?
            .query_row(params![self.interview_id, item_path], |r| r.get(0))
            .optional()?;
        if value.is_empty() {
            self.tx
                .prepare_cached("DELETE FROM answers WHERE interview_id = ?1 AND item_path = ?2")?
                .execute(params![self.interview_id, item_path])?;
        } else {
            self.tx
                .prepare_cached(
                    "INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (interview_id, item_path) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                )?
                .execute(params![self.interview_id, item_path, value, now_ms])?;
        }
        Ok(old)
    }

    /// Records the item now on screen (the resume point) and the time of the change.
    pub fn set_current_item(&self, item: Option<&str>, now_ms: i64) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE interviews SET current_item = ?2, updated_at = ?3 WHERE id = ?1",
            params![self.interview_id, item, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::InterviewNotFound {
                id: self.interview_id.clone(),
            });
        }
        Ok(())
    }

    /// Marks the interview completed and queues its outbox row.
    pub fn complete(&self, outbox: &OutboxRow, now_ms: i64) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE interviews SET status = 'completed', current_item = NULL, updated_at = ?2, completed_at = ?2 WHERE id = ?1",
            params![self.interview_id, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::InterviewNotFound {
                id: self.interview_id.clone(),
            });
        }
        self.tx.execute(
            "INSERT INTO outbox (id, kind, payload, payload_hash, created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            params![outbox.id, outbox.kind, outbox.payload, outbox.payload_hash, outbox.created_at],
        )?;
        Ok(())
    }

    /// Starts an editing session for this interview.
    pub fn start_session(&self, s: &NewSession) -> Result<()> {
        self.tx.execute(
            "INSERT INTO paradata_sessions (id, interview_id, started_at_ms, tz_offset_min, mode, app_version, form_id, form_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![s.id, self.interview_id, s.started_at_ms, s.tz_offset_min, s.mode, s.app_version, s.form_id, s.form_version],
        )?;
        Ok(())
    }

    /// Appends an event and returns its sequence number (one more than the last).
    pub fn event(&self, e: &NewEvent) -> Result<i64> {
        let seq: i64 = self
            .tx
            .prepare_cached(
                "SELECT coalesce(max(seq), 0) + 1 FROM paradata_events WHERE interview_id = ?1",
            )?
            .query_row([&self.interview_id], |r| r.get(0))?;
        self.tx
            .prepare_cached(
                "INSERT INTO paradata_events
               (interview_id, seq, session_id, offset_ms, kind, node, end_offset_ms, old_value, new_value, extra)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                self.interview_id,
                seq,
                e.session_id,
                e.offset_ms,
                e.kind,
                e.node,
                e.end_offset_ms,
                e.old_value,
                e.new_value,
                e.extra
            ])?;
        Ok(seq)
    }

    /// Closes the open spans of `session_id` at `end_offset_ms`.
    pub fn close_spans(&self, session_id: &str, end_offset_ms: i64) -> Result<()> {
        self.tx.execute(
            "UPDATE paradata_events SET end_offset_ms = max(?3, offset_ms)
             WHERE interview_id = ?1 AND session_id = ?2 AND kind = 'question' AND end_offset_ms IS NULL",
            params![self.interview_id, session_id, end_offset_ms],
        )?;
        Ok(())
    }

    /// Closes spans left open by an interrupted session at the last event that
    /// session made durable, and flags their ends as estimated.
    pub fn close_interrupted_spans(&self) -> Result<usize> {
        let n = self.tx.execute(
            "UPDATE paradata_events AS e
             SET end_estimated = 1,
                 end_offset_ms = (SELECT max(coalesce(l.end_offset_ms, l.offset_ms)) FROM paradata_events AS l
                                  WHERE l.interview_id = e.interview_id AND l.session_id = e.session_id)
             WHERE e.interview_id = ?1 AND e.kind = 'question' AND e.end_offset_ms IS NULL",
            [&self.interview_id],
        )?;
        Ok(n)
    }

    /// The interview's sessions and events as this transaction sees them, e.g. to send the
    /// whole session log with the completed interview it describes.
    pub fn paradata_rows(&self) -> Result<(Vec<SessionRow>, Vec<EventRow>)> {
        Ok((
            sessions_on(&self.tx, &self.interview_id)?,
            events_on(&self.tx, &self.interview_id)?,
        ))
    }

    /// Commits everything written; when this returns the change is on disk.
    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}
