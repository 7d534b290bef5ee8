//! What sync pulled from the server: questionnaire versions to install, assignments and decisions.
//!
//! [`Store::apply_received`] stores one page of changes and advances the
//! changes cursor in the same transaction, so a crash either keeps both or
//! neither, and the next pass pulls exactly what was not stored. Questionnaire
//! versions wait in `received` state until the app installs them (it needs the
//! engine to read the form) and then move to `installed` or `refused`.

use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::open::Store;

/// A questionnaire version as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedQuestionnaire {
    pub questionnaire_id: String,
    pub version: String,
    /// The form file's name as uploaded; its extension tells the importer what it is.
    pub file_name: Option<String>,
    /// The form file's bytes; `None` when the server sent no file.
    pub source: Option<Vec<u8>>,
    /// The server's definition, JSON text.
    pub definition: String,
    pub received_at: i64,
    /// `received`, `installed` or `refused`.
    pub state: String,
    /// Why it could not be installed.
    pub problem: Option<String>,
}

/// An assignment as the server sent it (the latest version of each id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAssignment {
    pub id: String,
    pub questionnaire_id: String,
    pub assignee: Option<String>,
    /// The assignment's body, JSON text.
    pub body: String,
    pub received_at: i64,
}

/// A supervisor's decision on one of this device's interviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDecision {
    pub interview_id: String,
    /// `approved`, `rejected`, ... as the server says.
    pub decision: String,
    pub comment: Option<String>,
    pub decided_at: i64,
    pub received_at: i64,
}

/// One page of pulled changes, applied together with its cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedChanges {
    pub questionnaires: Vec<ReceivedQuestionnaire>,
    pub assignments: Vec<ReceivedAssignment>,
    pub decisions: Vec<ReceivedDecision>,
    /// The same decisions with their ids, revisions and question paths, for the review desk.
    pub reviews: Vec<crate::review::ReviewDecisionRow>,
}

const Q_COLUMNS: &str =
    "questionnaire_id, version, file_name, source, definition, received_at, state, problem";

fn questionnaire(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReceivedQuestionnaire> {
    Ok(ReceivedQuestionnaire {
        questionnaire_id: r.get(0)?,
        version: r.get(1)?,
        file_name: r.get(2)?,
        source: r.get(3)?,
        definition: r.get(4)?,
        received_at: r.get(5)?,
        state: r.get(6)?,
        problem: r.get(7)?,
    })
}

impl Store {
    /// Stores one page of changes and moves the changes cursor to `cursor`, in one transaction.
    ///
    /// Receiving the same page twice changes nothing: a questionnaire version
    /// already received keeps its row and state, an assignment is replaced by
    /// its newer self, and a decision already stored is skipped.
    pub fn apply_received(&mut self, changes: &ReceivedChanges, cursor: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut q = tx.prepare_cached(&format!(
                "INSERT INTO received_questionnaires ({Q_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (questionnaire_id, version) DO NOTHING"
            ))?;
            for r in &changes.questionnaires {
                q.execute(params![
                    r.questionnaire_id,
                    r.version,
                    r.file_name,
                    r.source,
                    r.definition,
                    r.received_at,
                    r.state,
                    r.problem
                ])?;
            }
            let mut a = tx.prepare_cached(
                "INSERT INTO received_assignments (id, questionnaire_id, assignee, body, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET questionnaire_id = excluded.questionnaire_id,
                     assignee = excluded.assignee, body = excluded.body, received_at = excluded.received_at",
            )?;
            for r in &changes.assignments {
                a.execute(params![
                    r.id,
                    r.questionnaire_id,
                    r.assignee,
                    r.body,
                    r.received_at
                ])?;
                // The dashboard's assignment changes with its receipt (CAPI, `capi.rs`).
                let problem = crate::capi::merge_received_assignment(
                    &tx,
                    &r.id,
                    &r.questionnaire_id,
                    r.assignee.as_deref(),
                    &r.body,
                    r.received_at,
                )?;
                tx.execute(
                    "UPDATE received_assignments SET problem = ?2 WHERE id = ?1",
                    params![r.id, problem],
                )?;
            }
            let mut d = tx.prepare_cached(
                "INSERT INTO received_decisions (interview_id, decided_at, decision, comment, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?;
            for r in &changes.decisions {
                d.execute(params![
                    r.interview_id,
                    r.decided_at,
                    r.decision,
                    r.comment,
                    r.received_at
                ])?;
            }
            crate::review::insert_server_decisions(&tx, &changes.reviews)?;
            tx.execute(
                "UPDATE sync_settings SET changes_cursor = ?1 WHERE id = 1",
                [cursor],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every received questionnaire version, oldest first.
    pub fn received_questionnaires(&self) -> Result<Vec<ReceivedQuestionnaire>> {
        let mut s = self.conn.prepare_cached(&format!(
            "SELECT {Q_COLUMNS} FROM received_questionnaires ORDER BY received_at, questionnaire_id, version"
        ))?;
        let rows = s
            .query_map([], questionnaire)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records the outcome of installing a received version: `installed`, or `refused` with the reason.
    pub fn mark_received_questionnaire(
        &mut self,
        questionnaire_id: &str,
        version: &str,
        problem: Option<&str>,
    ) -> Result<()> {
        let state = if problem.is_some() {
            "refused"
        } else {
            "installed"
        };
        self.conn.execute(
            "UPDATE received_questionnaires SET state = ?3, problem = ?4 WHERE questionnaire_id = ?1 AND version = ?2",
            params![questionnaire_id, version, state, problem],
        )?;
        Ok(())
    }

    /// Every received assignment, by id.
    pub fn received_assignments(&self) -> Result<Vec<ReceivedAssignment>> {
        let mut s = self.conn.prepare_cached(
            "SELECT id, questionnaire_id, assignee, body, received_at FROM received_assignments ORDER BY id",
        )?;
        let rows = s
            .query_map([], |r| {
                Ok(ReceivedAssignment {
                    id: r.get(0)?,
                    questionnaire_id: r.get(1)?,
                    assignee: r.get(2)?,
                    body: r.get(3)?,
                    received_at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Decisions on one interview (`Some`) or on all (`None`), oldest first.
    pub fn received_decisions(&self, interview_id: Option<&str>) -> Result<Vec<ReceivedDecision>> {
        let mut s = self.conn.prepare_cached(
            "SELECT interview_id, decision, comment, decided_at, received_at FROM received_decisions
             WHERE ?1 IS NULL OR interview_id = ?1 ORDER BY decided_at, interview_id, decision",
        )?;
        let rows = s
            .query_map([interview_id], |r| {
                Ok(ReceivedDecision {
                    interview_id: r.get(0)?,
                    decision: r.get(1)?,
                    comment: r.get(2)?,
                    decided_at: r.get(3)?,
                    received_at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The changes cursor, if any page was ever stored.
    pub fn changes_cursor(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT changes_cursor FROM sync_settings WHERE id = 1",
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }
}
