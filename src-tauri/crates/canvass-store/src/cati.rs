//! Telephone interviewing (CATI) repositories: cases, the call history, appointments, quotas and the call log.
//!
//! The call history is append-only; each case row also carries its derived
//! scheduling state, which callers recompute from the case's own history and
//! write back in the same [`CatiWrite`] as the attempt that changed it. Every
//! attempt and appointment is written with its call-log event and its outbox
//! row in that one transaction, so a crash can never keep a call without its
//! log line or its way to the server.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use crate::error::{Error, Result};
use crate::interviews::OutboxRow;
use crate::open::Store;
use crate::paradata::Write;

/// A case to import: one respondent of a study's sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub study_id: String,
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub priority: i64,
    /// JSON array of phone numbers, in the order they are tried.
    pub phones: String,
    /// JSON object of the extra columns (preload values).
    pub preload: String,
    pub imported_at: i64,
    /// The initial derived state (no attempts yet).
    pub state: CaseStateRow,
}

/// A stored case with its derived scheduling state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub study_id: String,
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub priority: i64,
    pub phones: String,
    pub preload: String,
    pub imported_at: i64,
    pub state: CaseStateRow,
    pub lease_device: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub notes: String,
}

/// The derived part of a case, recomputed from its history after every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseStateRow {
    /// `open` or `final`.
    pub status: String,
    pub attempts: i64,
    pub last_call_at: Option<i64>,
    pub next_allowed_at: i64,
    pub last_outcome: Option<String>,
    pub final_code: Option<String>,
    /// JSON: `{"numbers": [{"dials": n, "dead": bool}, ...], "next_phone": n}`.
    pub number_state: String,
    /// Start of the pending appointment, if any.
    pub appointment_at: Option<i64>,
}

/// One dial of one number, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub id: String,
    pub study_id: String,
    pub case_id: String,
    pub phone_index: i64,
    pub phone: String,
    pub interviewer: String,
    pub started_at: i64,
    pub ended_at: i64,
    pub outcome_code: String,
    pub note: String,
    pub appointment_id: Option<String>,
    pub interview_id: Option<String>,
}

/// An appointment (callback) with a respondent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub id: String,
    pub study_id: String,
    pub case_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub interviewer: String,
    /// Hard: only `interviewer` may take it; soft: anyone once due.
    pub hard: bool,
    /// `pending`, `kept` or `cancelled`.
    pub state: String,
    pub created_at: i64,
}

/// A quota cell of a study.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaRow {
    pub study_id: String,
    pub name: String,
    /// ODK expression over answers and `${case.NAME}` preload values.
    pub expression: String,
    pub target: i64,
    /// Completes counted on this device.
    pub local_count: i64,
    /// The last total the server reported, and when (Unix ms).
    pub server_count: Option<i64>,
    pub server_count_at: Option<i64>,
}

/// One line of the call-handling log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatiEventRow {
    pub seq: i64,
    pub study_id: String,
    pub case_id: String,
    pub at_ms: i64,
    /// `call_start`, `call_end`, `appointment`, `appointment_cancelled`.
    pub kind: String,
    pub interviewer: String,
    /// JSON with the attempt id, disposition or appointment.
    pub extra: String,
}

/// How many open cases wait, and why, beside the ones offered: for "why none is callable".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueCounts {
    pub total: i64,
    pub final_cases: i64,
    /// Open cases whose redial delay has not passed.
    pub delayed: i64,
    /// The earliest time a delayed case may be dialled again.
    pub next_allowed_at: Option<i64>,
    /// Open cases waiting for a future appointment.
    pub appointment_pending: i64,
    pub next_appointment_at: Option<i64>,
}

/// Prepared statements kept per connection once CATI is used (see [`Store::keep_cati_statements`]).
const CATI_STATEMENT_CACHE: usize = 64;

const CASE_COLUMNS: &str = "study_id, id, name, timezone, priority, phones, preload, imported_at,
    status, attempts, last_call_at, next_allowed_at, last_outcome, final_code, number_state, appointment_at,
    lease_device, lease_expires_at, notes";

fn case_row(r: &Row<'_>) -> rusqlite::Result<CaseRow> {
    Ok(CaseRow {
        study_id: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        timezone: r.get(3)?,
        priority: r.get(4)?,
        phones: r.get(5)?,
        preload: r.get(6)?,
        imported_at: r.get(7)?,
        state: CaseStateRow {
            status: r.get(8)?,
            attempts: r.get(9)?,
            last_call_at: r.get(10)?,
            next_allowed_at: r.get(11)?,
            last_outcome: r.get(12)?,
            final_code: r.get(13)?,
            number_state: r.get(14)?,
            appointment_at: r.get(15)?,
        },
        lease_device: r.get(16)?,
        lease_expires_at: r.get(17)?,
        notes: r.get(18)?,
    })
}

const ATTEMPT_COLUMNS: &str =
    "id, study_id, case_id, phone_index, phone, interviewer, started_at, ended_at,
    outcome_code, note, appointment_id, interview_id";

fn attempt_row(r: &Row<'_>) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.get(0)?,
        study_id: r.get(1)?,
        case_id: r.get(2)?,
        phone_index: r.get(3)?,
        phone: r.get(4)?,
        interviewer: r.get(5)?,
        started_at: r.get(6)?,
        ended_at: r.get(7)?,
        outcome_code: r.get(8)?,
        note: r.get(9)?,
        appointment_id: r.get(10)?,
        interview_id: r.get(11)?,
    })
}

const APPOINTMENT_COLUMNS: &str =
    "id, study_id, case_id, starts_at, ends_at, interviewer, hard, state, created_at";

fn appointment_row(r: &Row<'_>) -> rusqlite::Result<AppointmentRow> {
    Ok(AppointmentRow {
        id: r.get(0)?,
        study_id: r.get(1)?,
        case_id: r.get(2)?,
        starts_at: r.get(3)?,
        ends_at: r.get(4)?,
        interviewer: r.get(5)?,
        hard: r.get(6)?,
        state: r.get(7)?,
        created_at: r.get(8)?,
    })
}

fn quota_row(r: &Row<'_>) -> rusqlite::Result<QuotaRow> {
    Ok(QuotaRow {
        study_id: r.get(0)?,
        name: r.get(1)?,
        expression: r.get(2)?,
        target: r.get(3)?,
        local_count: r.get(4)?,
        server_count: r.get(5)?,
        server_count_at: r.get(6)?,
    })
}

impl Store {
    /// Imports a whole case list in one transaction: all rows or, when any id
    /// is already in the study, none (the error names the first such id).
    pub fn import_cases(&mut self, cases: &[NewCase]) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut exists =
                tx.prepare_cached("SELECT 1 FROM cati_cases WHERE study_id = ?1 AND id = ?2")?;
            let mut zone = tx.prepare_cached(
                "INSERT OR IGNORE INTO cati_zones (study_id, timezone) VALUES (?1, ?2)",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO cati_cases (study_id, id, name, timezone, priority, phones, preload, imported_at,
                    status, attempts, last_call_at, next_allowed_at, last_outcome, final_code, number_state, appointment_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            for c in cases {
                if exists.exists(params![c.study_id, c.id])? {
                    return Err(Error::CaseExists {
                        study_id: c.study_id.clone(),
                        id: c.id.clone(),
                    });
                }
                zone.execute(params![c.study_id, c.timezone])?;
                insert.execute(params![
                    c.study_id,
                    c.id,
                    c.name,
                    c.timezone,
                    c.priority,
                    c.phones,
                    c.preload,
                    c.imported_at,
                    c.state.status,
                    c.state.attempts,
                    c.state.last_call_at,
                    c.state.next_allowed_at,
                    c.state.last_outcome,
                    c.state.final_code,
                    c.state.number_state,
                    c.state.appointment_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(cases.len())
    }

    /// One case, or `None`.
    pub fn case(&self, study_id: &str, id: &str) -> Result<Option<CaseRow>> {
        // Cached: the call queue reads a case on every choice.
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CASE_COLUMNS} FROM cati_cases WHERE study_id = ?1 AND id = ?2"
            ))?
            .query_row(params![study_id, id], case_row)
            .optional()?)
    }

    /// Every case with this id, in any study (a command line may name a case without its study).
    pub fn cases_with_id(&self, id: &str) -> Result<Vec<CaseRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cati_cases WHERE id = ?1 ORDER BY study_id"
        ))?;
        let rows = stmt
            .query_map([id], case_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every case of one study (or of all), ordered by study and id: for reports.
    pub fn cases(&self, study_id: Option<&str>) -> Result<Vec<CaseRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cati_cases WHERE ?1 IS NULL OR study_id = ?1 ORDER BY study_id, id"
        ))?;
        let rows = stmt
            .query_map([study_id], case_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The (study, time zone) pairs that have cases.
    pub fn cati_zones(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT study_id, timezone FROM cati_zones ORDER BY study_id, timezone",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A page of one study's call queue in one time zone: open cases whose
    /// redial delay has passed and that wait for no appointment, by priority
    /// (highest first), then least recently called (never-called first).
    /// Reads the `cati_cases_queue` index in order.
    pub fn queue_page(
        &self,
        study_id: &str,
        timezone: &str,
        now_ms: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CaseRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cati_cases INDEXED BY cati_cases_queue
             WHERE status = 'open' AND study_id = ?1 AND timezone = ?2
               AND next_allowed_at <= ?3 AND appointment_at IS NULL
             ORDER BY priority DESC, last_call_at, id
             LIMIT ?4 OFFSET ?5"
        ))?;
        let rows = stmt
            .query_map(params![study_id, timezone, now_ms, limit, offset], case_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How many cases of a study in a zone would be in its queue now (for "why none").
    pub fn queue_size(&self, study_id: &str, timezone: &str, now_ms: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM cati_cases INDEXED BY cati_cases_queue
             WHERE status = 'open' AND study_id = ?1 AND timezone = ?2
               AND next_allowed_at <= ?3 AND appointment_at IS NULL",
            params![study_id, timezone, now_ms],
            |r| r.get(0),
        )?)
    }

    /// Counts for explaining an empty queue.
    pub fn queue_counts(&self, now_ms: i64) -> Result<QueueCounts> {
        Ok(self.conn.query_row(
            "SELECT count(*),
                    coalesce(sum(status = 'final'), 0),
                    coalesce(sum(status = 'open' AND appointment_at IS NULL AND next_allowed_at > ?1), 0),
                    min(CASE WHEN status = 'open' AND appointment_at IS NULL AND next_allowed_at > ?1 THEN next_allowed_at END),
                    coalesce(sum(status = 'open' AND appointment_at > ?1), 0),
                    min(CASE WHEN status = 'open' AND appointment_at > ?1 THEN appointment_at END)
             FROM cati_cases",
            [now_ms],
            |r| {
                Ok(QueueCounts {
                    total: r.get(0)?,
                    final_cases: r.get(1)?,
                    delayed: r.get(2)?,
                    next_allowed_at: r.get(3)?,
                    appointment_pending: r.get(4)?,
                    next_appointment_at: r.get(5)?,
                })
            },
        )?)
    }

    /// Pending appointments that start at or before `now_ms`, earliest end first.
    pub fn due_appointments(&self, now_ms: i64) -> Result<Vec<AppointmentRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM cati_appointments
             WHERE state = 'pending' AND starts_at <= ?1 ORDER BY ends_at, starts_at, id"
        ))?;
        let rows = stmt
            .query_map([now_ms], appointment_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Pending appointments starting in `[from_ms, to_ms)`: the day view.
    pub fn appointments_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AppointmentRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM cati_appointments
             WHERE state = 'pending' AND starts_at >= ?1 AND starts_at < ?2 ORDER BY starts_at, id"
        ))?;
        let rows = stmt
            .query_map([from_ms, to_ms], appointment_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every appointment of a case, pending or not, oldest first.
    pub fn case_appointments(&self, study_id: &str, case_id: &str) -> Result<Vec<AppointmentRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM cati_appointments
             WHERE study_id = ?1 AND case_id = ?2 ORDER BY created_at, id"
        ))?;
        let rows = stmt
            .query_map([study_id, case_id], appointment_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The call history of one case, oldest first.
    pub fn case_attempts(&self, study_id: &str, case_id: &str) -> Result<Vec<AttemptRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM cati_attempts
             WHERE study_id = ?1 AND case_id = ?2 ORDER BY started_at, id"
        ))?;
        let rows = stmt
            .query_map([study_id, case_id], attempt_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every attempt of one study (or all), by study, start and id: the call-history export.
    pub fn attempts(&self, study_id: Option<&str>) -> Result<Vec<AttemptRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM cati_attempts WHERE ?1 IS NULL OR study_id = ?1
             ORDER BY study_id, started_at, id"
        ))?;
        let rows = stmt
            .query_map([study_id], attempt_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A study's outcome overrides as (code, settings JSON).
    pub fn outcome_overrides(&self, study_id: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, settings FROM cati_outcomes WHERE study_id = ?1 ORDER BY code",
        )?;
        let rows = stmt
            .query_map([study_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Sets (replaces) one outcome override of a study.
    pub fn set_outcome_override(
        &mut self,
        study_id: &str,
        code: &str,
        settings: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO cati_outcomes (study_id, code, settings) VALUES (?1, ?2, ?3)
             ON CONFLICT (study_id, code) DO UPDATE SET settings = excluded.settings",
            params![study_id, code, settings],
        )?;
        Ok(())
    }

    /// A study's calling rules as JSON, when the study has its own.
    pub fn cati_rules(&self, study_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT settings FROM cati_rules WHERE study_id = ?1")?
            .query_row([study_id], |r| r.get(0))
            .optional()?)
    }

    /// Sets (replaces) a study's calling rules.
    pub fn set_cati_rules(&mut self, study_id: &str, settings: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO cati_rules (study_id, settings) VALUES (?1, ?2)
             ON CONFLICT (study_id) DO UPDATE SET settings = excluded.settings",
            params![study_id, settings],
        )?;
        Ok(())
    }

    /// The quota cells of a study, by name.
    pub fn quotas(&self, study_id: &str) -> Result<Vec<QuotaRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT study_id, name, expression, target, local_count, server_count, server_count_at
             FROM cati_quotas WHERE study_id = ?1 ORDER BY name",
        )?;
        let rows = stmt
            .query_map([study_id], quota_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Defines (or redefines, keeping its counts) a quota cell.
    pub fn set_quota(
        &mut self,
        study_id: &str,
        name: &str,
        expression: &str,
        target: i64,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO cati_quotas (study_id, name, expression, target) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (study_id, name) DO UPDATE SET expression = excluded.expression, target = excluded.target",
            params![study_id, name, expression, target],
        )?;
        Ok(())
    }

    /// Records the server's latest total for a quota cell.
    pub fn set_quota_server_count(
        &mut self,
        study_id: &str,
        name: &str,
        count: i64,
        at_ms: i64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE cati_quotas SET server_count = ?3, server_count_at = ?4 WHERE study_id = ?1 AND name = ?2",
            params![study_id, name, count, at_ms],
        )?;
        Ok(())
    }

    /// Leases a case to a device until `expires_at` (`None` device: released to this device).
    pub fn set_lease(
        &mut self,
        study_id: &str,
        case_id: &str,
        device: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE cati_cases SET lease_device = ?3, lease_expires_at = ?4 WHERE study_id = ?1 AND id = ?2",
            params![study_id, case_id, device, expires_at],
        )?;
        if n == 0 {
            return Err(Error::CaseNotFound {
                study_id: study_id.to_owned(),
                id: case_id.to_owned(),
            });
        }
        Ok(())
    }

    /// The call-handling log of a case, in order.
    pub fn cati_events(&self, study_id: &str, case_id: &str) -> Result<Vec<CatiEventRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, study_id, case_id, at_ms, kind, interviewer, extra FROM cati_events
             WHERE study_id = ?1 AND case_id = ?2 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([study_id, case_id], |r| {
                Ok(CatiEventRow {
                    seq: r.get(0)?,
                    study_id: r.get(1)?,
                    case_id: r.get(2)?,
                    at_ms: r.get(3)?,
                    kind: r.get(4)?,
                    interviewer: r.get(5)?,
                    extra: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The case an interview was started for and its preload JSON, if it was started for one.
    pub fn interview_case(&self, interview_id: &str) -> Result<Option<(String, String, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT l.study_id, l.case_id, c.preload FROM cati_interviews AS l
                 JOIN cati_cases AS c ON c.study_id = l.study_id AND c.id = l.case_id
                 WHERE l.interview_id = ?1",
                [interview_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// The newest unfinished interview (in progress, paused or broken off) started on this
    /// device for a case, if any: the partial a callback resumes instead of starting anew.
    pub fn case_open_interview(&self, study_id: &str, case_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT i.id FROM cati_interviews AS l JOIN interviews AS i ON i.id = l.interview_id
                 WHERE l.study_id = ?1 AND l.case_id = ?2 AND i.origin = 'device'
                   AND i.status IN ('created', 'in_progress', 'paused', 'broken_off')
                 ORDER BY i.created_at DESC, i.id DESC LIMIT 1",
            )?
            .query_row([study_id, case_id], |r| r.get(0))
            .optional()?)
    }

    /// Keeps every statement of the call queue prepared: choosing a case and
    /// recording a call use more distinct statements than rusqlite's default
    /// cache of 16 holds, and re-parsing them cost a tenth of a choice's time.
    pub fn keep_cati_statements(&self) {
        self.conn
            .set_prepared_statement_cache_capacity(CATI_STATEMENT_CACHE);
    }

    /// Begins one CATI write transaction, taking the write lock at once.
    pub fn cati_write(&mut self) -> Result<CatiWrite<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(CatiWrite { tx })
    }
}

/// One CATI transaction: an attempt or appointment with its log events, outbox rows and the
/// case's new derived state. Dropped without [`CatiWrite::commit`], it rolls back.
pub struct CatiWrite<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl CatiWrite<'_> {
    /// The case's attempts as this transaction sees them (including ones it inserted).
    pub fn case_attempts(&self, study_id: &str, case_id: &str) -> Result<Vec<AttemptRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM cati_attempts
             WHERE study_id = ?1 AND case_id = ?2 ORDER BY started_at, id"
        ))?;
        let rows = stmt
            .query_map([study_id, case_id], attempt_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Appends one attempt.
    pub fn insert_attempt(&self, a: &AttemptRow) -> Result<()> {
        // Cached: bulk loads insert many attempts in one transaction.
        self.tx.prepare_cached(
            "INSERT INTO cati_attempts (id, study_id, case_id, phone_index, phone, interviewer, started_at, ended_at,
                outcome_code, note, appointment_id, interview_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?.execute(
            params![
                a.id,
                a.study_id,
                a.case_id,
                a.phone_index,
                a.phone,
                a.interviewer,
                a.started_at,
                a.ended_at,
                a.outcome_code,
                a.note,
                a.appointment_id,
                a.interview_id
            ],
        )?;
        Ok(())
    }

    /// Adds an appointment.
    pub fn insert_appointment(&self, a: &AppointmentRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO cati_appointments (id, study_id, case_id, starts_at, ends_at, interviewer, hard, state, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                a.id,
                a.study_id,
                a.case_id,
                a.starts_at,
                a.ends_at,
                a.interviewer,
                a.hard,
                a.state,
                a.created_at
            ],
        )?;
        Ok(())
    }

    /// Closes every pending appointment of a case as `kept` (a call was made) or `cancelled`.
    pub fn close_appointments(&self, study_id: &str, case_id: &str, state: &str) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE cati_appointments SET state = ?3 WHERE study_id = ?1 AND case_id = ?2 AND state = 'pending'",
            params![study_id, case_id, state],
        )?)
    }

    /// The earliest pending appointment of a case, if any.
    pub fn pending_appointment_at(&self, study_id: &str, case_id: &str) -> Result<Option<i64>> {
        Ok(self.tx.query_row(
            "SELECT min(starts_at) FROM cati_appointments WHERE study_id = ?1 AND case_id = ?2 AND state = 'pending'",
            params![study_id, case_id],
            |r| r.get(0),
        )?)
    }

    /// Appends a line to the call-handling log.
    pub fn event(
        &self,
        study_id: &str,
        case_id: &str,
        at_ms: i64,
        kind: &str,
        interviewer: &str,
        extra: &str,
    ) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO cati_events (study_id, case_id, at_ms, kind, interviewer, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![study_id, case_id, at_ms, kind, interviewer, extra],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Queues a row for the server.
    pub fn outbox(&self, row: &OutboxRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO outbox (id, kind, payload, payload_hash, created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            params![row.id, row.kind, row.payload, row.payload_hash, row.created_at],
        )?;
        Ok(())
    }

    /// Writes a case's recomputed derived state.
    pub fn set_case_state(&self, study_id: &str, case_id: &str, s: &CaseStateRow) -> Result<()> {
        let n = self.tx.execute(
            "UPDATE cati_cases SET status = ?3, attempts = ?4, last_call_at = ?5, next_allowed_at = ?6,
                last_outcome = ?7, final_code = ?8, number_state = ?9, appointment_at = ?10
             WHERE study_id = ?1 AND id = ?2",
            params![
                study_id,
                case_id,
                s.status,
                s.attempts,
                s.last_call_at,
                s.next_allowed_at,
                s.last_outcome,
                s.final_code,
                s.number_state,
                s.appointment_at
            ],
        )?;
        if n == 0 {
            return Err(Error::CaseNotFound {
                study_id: study_id.to_owned(),
                id: case_id.to_owned(),
            });
        }
        Ok(())
    }

    /// Appends a note to a case's notes.
    pub fn add_case_note(&self, study_id: &str, case_id: &str, note: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE cati_cases SET notes = CASE WHEN notes = '' THEN ?3 ELSE notes || char(10) || ?3 END
             WHERE study_id = ?1 AND id = ?2",
            params![study_id, case_id, note],
        )?;
        Ok(())
    }

    /// Counts one more local complete in a quota cell.
    pub fn count_quota(&self, study_id: &str, name: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE cati_quotas SET local_count = local_count + 1 WHERE study_id = ?1 AND name = ?2",
            params![study_id, name],
        )?;
        Ok(())
    }

    /// Commits everything written; when this returns the change is on disk.
    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

impl Write<'_> {
    /// Records, in the interview's creating transaction, the case it was started for.
    pub fn link_case(&self, study_id: &str, case_id: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO cati_interviews (interview_id, study_id, case_id) VALUES (?1, ?2, ?3)",
            params![self.interview_id, study_id, case_id],
        )?;
        Ok(())
    }
}
