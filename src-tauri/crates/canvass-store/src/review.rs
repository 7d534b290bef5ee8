//! The review desk's storage: supervisors' decisions, interviews pulled for review, revisions and reopening.
//!
//! A decision made on this device is written with its outbox row in one
//! transaction ([`Write::record_local_decision`]). A decision pulled from the
//! server is stored with the page of changes that brought it
//! ([`Store::apply_received`](crate::Store::apply_received)) and applied to this
//! device's interview later in one [`Write`] that also marks it applied, so a
//! crash never loses or repeats a reopen. Interviews pulled for review are
//! stored with origin `server` and never touch the outbox.

use rusqlite::{params, OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::interviews::OutboxRow;
use crate::open::Store;
use crate::paradata::Write;

/// A supervisor's decision on one revision of an interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecisionRow {
    pub id: String,
    pub interview_id: String,
    pub revision: i64,
    /// `approved` or `rejected`.
    pub decision: String,
    pub comment: Option<String>,
    /// JSON array of question paths the comment is about.
    pub paths: String,
    pub decided_by: Option<String>,
    pub decided_at: i64,
    /// `local` (made on this device) or `server` (pulled).
    pub origin: String,
    /// When a pulled decision was applied to this device's interview; `None`: not yet.
    pub applied_at: Option<i64>,
}

/// One revision of an interview as the server holds it, pulled for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledInterview {
    pub interview_id: String,
    /// The server's record id of this revision.
    pub record_id: String,
    pub revision: i64,
    pub interviewer: String,
    pub device_id: String,
    pub team: Option<String>,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub created_at: i64,
    pub completed_at: i64,
    /// (path, value) of every answer in the record.
    pub answers: Vec<(String, String)>,
    /// The payload as the server stored it (it carries the session log).
    pub payload: String,
    /// When this device pulled it (its clock).
    pub received_at: i64,
    /// When the server received it (the server's clock): the pull cursor.
    pub server_received_at: i64,
}

/// An interview row with the review facts: who made it, its revision and origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewInterviewRow {
    pub id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub status: String,
    pub current_item: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    /// `None`: this device's signed-in user.
    pub interviewer: Option<String>,
    pub revision: i64,
    /// `device` or `server`.
    pub origin: String,
}

/// The stored payload of a pulled interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub interview_id: String,
    pub record_id: String,
    pub device_id: String,
    pub team: Option<String>,
    pub payload: String,
    pub received_at: i64,
}

const DECISION_COLUMNS: &str =
    "id, interview_id, revision, decision, comment, paths, decided_by, decided_at, origin, applied_at";

fn decision(r: &Row<'_>) -> rusqlite::Result<ReviewDecisionRow> {
    Ok(ReviewDecisionRow {
        id: r.get(0)?,
        interview_id: r.get(1)?,
        revision: r.get(2)?,
        decision: r.get(3)?,
        comment: r.get(4)?,
        paths: r.get(5)?,
        decided_by: r.get(6)?,
        decided_at: r.get(7)?,
        origin: r.get(8)?,
        applied_at: r.get(9)?,
    })
}

const REVIEW_INTERVIEW_COLUMNS: &str = "id, questionnaire_id, questionnaire_version, status, current_item, created_at, updated_at, completed_at, interviewer, revision, origin";

fn review_interview(r: &Row<'_>) -> rusqlite::Result<ReviewInterviewRow> {
    Ok(ReviewInterviewRow {
        id: r.get(0)?,
        questionnaire_id: r.get(1)?,
        questionnaire_version: r.get(2)?,
        status: r.get(3)?,
        current_item: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        completed_at: r.get(7)?,
        interviewer: r.get(8)?,
        revision: r.get(9)?,
        origin: r.get(10)?,
    })
}

/// Inserts pulled decisions inside the transaction that stores their page of changes;
/// a decision already known (same id) is skipped.
pub(crate) fn insert_server_decisions(
    tx: &rusqlite::Transaction<'_>,
    rows: &[ReviewDecisionRow],
) -> Result<()> {
    let mut d = tx.prepare_cached(&format!(
        "INSERT INTO review_decisions ({DECISION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'server', NULL)
         ON CONFLICT (id) DO NOTHING"
    ))?;
    for r in rows {
        d.execute(params![
            r.id,
            r.interview_id,
            r.revision,
            r.decision,
            r.comment,
            r.paths,
            r.decided_by,
            r.decided_at
        ])?;
    }
    Ok(())
}

impl Store {
    /// The server time of the newest team record this device holds: where the next
    /// pull of the team's interviews starts. `None` before the first pull.
    pub fn team_pull_cursor(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MAX(server_received_at) FROM review_records",
            [],
            |r| r.get(0),
        )?)
    }

    /// Stores the team's interviews pulled from the server, one transaction for all.
    ///
    /// A newer revision replaces the older one with its answers; the same or an
    /// older revision changes nothing; an interview made on this device is
    /// never overwritten. Returns how many interviews were stored or replaced.
    pub fn store_pulled_interviews(&mut self, rows: &[PulledInterview]) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut changed = 0;
        {
            let mut have =
                tx.prepare_cached("SELECT origin, revision FROM interviews WHERE id = ?1")?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO interviews (id, questionnaire_id, questionnaire_version, status, current_item, created_at, updated_at,
                     completed_at, interviewer, revision, origin)
                 VALUES (?1, ?2, ?3, 'completed', NULL, ?4, ?5, ?5, ?6, ?7, 'server')
                 ON CONFLICT (id) DO UPDATE SET questionnaire_id = excluded.questionnaire_id,
                     questionnaire_version = excluded.questionnaire_version, status = 'completed',
                     updated_at = excluded.updated_at, completed_at = excluded.completed_at,
                     interviewer = excluded.interviewer, revision = excluded.revision",
            )?;
            let mut clear = tx.prepare_cached("DELETE FROM answers WHERE interview_id = ?1")?;
            let mut answer = tx.prepare_cached(
                "INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut record = tx.prepare_cached(
                "INSERT INTO review_records (interview_id, record_id, device_id, team, payload, received_at, server_received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (interview_id) DO UPDATE SET record_id = excluded.record_id, device_id = excluded.device_id,
                     team = excluded.team, payload = excluded.payload, received_at = excluded.received_at,
                     server_received_at = excluded.server_received_at",
            )?;
            // A record pulled before the cursor existed gets its server time when seen again.
            let mut seen = tx.prepare_cached(
                "UPDATE review_records SET server_received_at = ?3
                 WHERE interview_id = ?1 AND record_id = ?2 AND server_received_at IS NULL",
            )?;
            for p in rows {
                let known: Option<(String, i64)> = have
                    .query_row([&p.interview_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                match known {
                    Some((origin, _)) if origin == "device" => continue,
                    Some((_, revision)) if revision >= p.revision => {
                        seen.execute(params![p.interview_id, p.record_id, p.server_received_at])?;
                        continue;
                    }
                    _ => {}
                }
                upsert.execute(params![
                    p.interview_id,
                    p.questionnaire_id,
                    p.questionnaire_version,
                    p.created_at,
                    p.completed_at,
                    p.interviewer,
                    p.revision
                ])?;
                clear.execute([&p.interview_id])?;
                for (path, value) in &p.answers {
                    answer.execute(params![p.interview_id, path, value, p.completed_at])?;
                }
                record.execute(params![
                    p.interview_id,
                    p.record_id,
                    p.device_id,
                    p.team,
                    p.payload,
                    p.received_at,
                    p.server_received_at
                ])?;
                changed += 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Interviews with their review facts: those of `origin` (`device` or `server`), or all; newest first.
    pub fn review_interviews(&self, origin: Option<&str>) -> Result<Vec<ReviewInterviewRow>> {
        let mut s = self.conn.prepare_cached(&format!(
            "SELECT {REVIEW_INTERVIEW_COLUMNS} FROM interviews WHERE ?1 IS NULL OR origin = ?1
             ORDER BY coalesce(completed_at, updated_at) DESC, id DESC"
        ))?;
        let rows = s
            .query_map([origin], review_interview)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One interview with its review facts.
    pub fn review_interview(&self, id: &str) -> Result<ReviewInterviewRow> {
        self.conn
            .query_row(
                &format!("SELECT {REVIEW_INTERVIEW_COLUMNS} FROM interviews WHERE id = ?1"),
                [id],
                review_interview,
            )
            .optional()?
            .ok_or_else(|| Error::InterviewNotFound { id: id.to_owned() })
    }

    /// The stored payload of a pulled interview, if it was pulled.
    pub fn review_record(&self, interview_id: &str) -> Result<Option<ReviewRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT interview_id, record_id, device_id, team, payload, received_at FROM review_records WHERE interview_id = ?1",
                [interview_id],
                |r| {
                    Ok(ReviewRecord {
                        interview_id: r.get(0)?,
                        record_id: r.get(1)?,
                        device_id: r.get(2)?,
                        team: r.get(3)?,
                        payload: r.get(4)?,
                        received_at: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Decisions on one interview (`Some`) or on all (`None`), oldest first.
    pub fn review_decisions(&self, interview_id: Option<&str>) -> Result<Vec<ReviewDecisionRow>> {
        let mut s = self.conn.prepare_cached(&format!(
            "SELECT {DECISION_COLUMNS} FROM review_decisions WHERE ?1 IS NULL OR interview_id = ?1
             ORDER BY decided_at, id"
        ))?;
        let rows = s
            .query_map([interview_id], decision)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Pulled decisions not yet applied, oldest first.
    pub fn unapplied_review_decisions(&self) -> Result<Vec<ReviewDecisionRow>> {
        let mut s = self.conn.prepare_cached(&format!(
            "SELECT {DECISION_COLUMNS} FROM review_decisions WHERE origin = 'server' AND applied_at IS NULL
             ORDER BY decided_at, id"
        ))?;
        let rows = s
            .query_map([], decision)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A review setting (`role`, `speeding:<study>`), if set.
    pub fn review_setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM review_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets a review setting.
    pub fn set_review_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO review_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

impl Write<'_> {
    /// The interview's revision number and origin as this transaction sees them.
    pub fn revision(&self) -> Result<(i64, String)> {
        self.tx
            .query_row(
                "SELECT revision, origin FROM interviews WHERE id = ?1",
                [&self.interview_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| Error::InterviewNotFound {
                id: self.interview_id.clone(),
            })
    }

    /// Records a decision made on this device and queues its outbox row, in this transaction.
    pub fn record_local_decision(&self, d: &ReviewDecisionRow, outbox: &OutboxRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT INTO review_decisions ({DECISION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'local', ?8)"
            ),
            params![
                d.id,
                self.interview_id,
                d.revision,
                d.decision,
                d.comment,
                d.paths,
                d.decided_by,
                d.decided_at
            ],
        )?;
        self.tx.execute(
            "INSERT INTO outbox (id, kind, payload, payload_hash, created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            params![outbox.id, outbox.kind, outbox.payload, outbox.payload_hash, outbox.created_at],
        )?;
        Ok(())
    }

    /// Marks a pulled decision applied (whatever it changed is in this same transaction).
    pub fn mark_decision_applied(&self, decision_id: &str, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "UPDATE review_decisions SET applied_at = ?2 WHERE id = ?1",
            params![decision_id, now_ms],
        )?;
        Ok(())
    }

    /// Reopens a completed interview after a rejection: status `rejected`, the next
    /// revision, and the question to open at.
    pub fn reopen(&self, revision: i64, current_item: Option<&str>, now_ms: i64) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE interviews SET status = 'rejected', revision = ?2, current_item = ?3, updated_at = ?4, completed_at = NULL
             WHERE id = ?1",
            params![self.interview_id, revision, current_item, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::InterviewNotFound {
                id: self.interview_id.clone(),
            });
        }
        Ok(())
    }
}
