//! CATI with a server: received case lists and outcome tables, server-managed studies, and what lease requests need.
//!
//! Received lists are kept first, idempotent by id, so a crash between keeping
//! them and advancing the changes cursor only brings the same rows again; they
//! are imported afterwards and marked `imported` or `refused` with the reason.

use rusqlite::params;

use crate::error::Result;
use crate::open::Store;

/// A case list or outcome table the changes feed brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatiReceived {
    pub id: String,
    /// `case_list` or `outcome_table`.
    pub kind: String,
    pub study_id: String,
    /// The change's JSON as the server sent it.
    pub body: String,
    pub received_at: i64,
    /// `received`, `imported` or `refused`.
    pub state: String,
    pub problem: Option<String>,
}

/// A case of a server-managed study as a lease request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseCandidate {
    pub case_id: String,
    /// The case has call attempts not yet pushed to the server.
    pub unsynced: bool,
    /// This device holds the case's lease (as last heard from the server).
    pub own: bool,
    /// The case is still open (not final).
    pub open: bool,
}

impl Store {
    /// Keeps received case lists and outcome tables (a row already kept is left as it is).
    pub fn keep_cati_received(&mut self, rows: &[CatiReceived]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO cati_received (id, kind, study_id, body, received_at, state, problem)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'received', NULL)",
            )?;
            for r in rows {
                n += insert.execute(params![r.id, r.kind, r.study_id, r.body, r.received_at])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Received rows, oldest first; only those in `state` when given.
    pub fn cati_received(&self, state: Option<&str>) -> Result<Vec<CatiReceived>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, study_id, body, received_at, state, problem FROM cati_received
             WHERE ?1 IS NULL OR state = ?1 ORDER BY received_at, id",
        )?;
        let rows = stmt
            .query_map([state], |r| {
                Ok(CatiReceived {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    study_id: r.get(2)?,
                    body: r.get(3)?,
                    received_at: r.get(4)?,
                    state: r.get(5)?,
                    problem: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Marks a received row imported (`problem` `None`) or refused with its reason.
    pub fn mark_cati_received(&mut self, id: &str, problem: Option<&str>) -> Result<()> {
        self.conn.execute(
            "UPDATE cati_received SET state = CASE WHEN ?2 IS NULL THEN 'imported' ELSE 'refused' END, problem = ?2
             WHERE id = ?1",
            params![id, problem],
        )?;
        Ok(())
    }

    /// Marks a study as server-managed: its cases are called only under this device's lease.
    pub fn set_server_study(&mut self, study_id: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO cati_server_studies (study_id) VALUES (?1)",
            [study_id],
        )?;
        Ok(())
    }

    /// The server-managed studies, by id.
    pub fn server_studies(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT study_id FROM cati_server_studies ORDER BY study_id")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The cases of a study to lease next: every case this device holds (to extend),
    /// then open cases nobody here knows to be held elsewhere, in queue order, up to `limit`.
    pub fn lease_candidates(
        &self,
        study_id: &str,
        device: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<LeaseCandidate>> {
        let mut stmt = self.conn.prepare_cached(
            // The unpushed attempts are found in one pass over the outbox (an uncorrelated
            // subquery, evaluated once), not once per case.
            "SELECT c.id,
                    c.id IN (SELECT json_extract(o.payload, '$.case_id') FROM outbox AS o
                             WHERE o.kind = 'call_attempt' AND o.state = 'pending'
                               AND json_extract(o.payload, '$.study_id') = ?1),
                    c.lease_device IS NOT NULL AND c.lease_device = ?2, c.status = 'open'
             FROM cati_cases AS c
             WHERE c.study_id = ?1 AND (c.lease_device = ?2
                OR (c.status = 'open' AND (c.lease_device IS NULL OR c.lease_expires_at <= ?3)))
             ORDER BY c.lease_device = ?2 DESC, c.priority DESC, c.last_call_at, c.id
             LIMIT ?4",
        )?;
        let rows = stmt
            .query_map(params![study_id, device, now_ms, limit], |r| {
                Ok(LeaseCandidate {
                    case_id: r.get(0)?,
                    unsynced: r.get(1)?,
                    own: r.get(2)?,
                    open: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Forgets this device's leases on cases it gave back to the server.
    pub fn clear_leases(&mut self, study_id: &str, case_ids: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE cati_cases SET lease_device = NULL, lease_expires_at = NULL WHERE study_id = ?1 AND id = ?2",
            )?;
            for case in case_ids {
                update.execute(params![study_id, case])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Writes the server's answers to a lease request in one transaction: each case's holder and expiry.
    pub fn set_leases(&mut self, study_id: &str, leases: &[(String, String, i64)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE cati_cases SET lease_device = ?3, lease_expires_at = ?4 WHERE study_id = ?1 AND id = ?2",
            )?;
            for (case, holder, expires) in leases {
                update.execute(params![study_id, case, holder, expires])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
