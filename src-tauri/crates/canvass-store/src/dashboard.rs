//! Reads for the dashboards: a study's completed interviews with their interviewer and case, and every contact with its cases.
//!
//! A dashboard covers the interviews this device holds (its own and, on a
//! supervisor's device, the team's), so it reads whole lists: a device's
//! store holds thousands of interviews, not millions. Answers are read
//! through [`Store::for_each_answer`], page by page, like the data export.

use rusqlite::OptionalExtension;

use crate::error::Result;
use crate::open::Store;

/// A completed interview as the dashboard counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardInterview {
    pub id: String,
    pub questionnaire_version: String,
    /// `interviews.interviewer`, or the signed-in user for this device's own work;
    /// `None` when neither is known.
    pub interviewer: Option<String>,
    pub created_at: i64,
    pub completed_at: i64,
    /// The CATI case (`cati:<case>`) or CAPI assignment (`capi:<assignment>`) it belongs to.
    pub unit: Option<String>,
    /// Time spent in the interview by its session log: each session's first event to
    /// its last event's end, summed, so pauses and callbacks between sessions do not
    /// count. `None` when this device holds no session log for it.
    pub active_ms: Option<i64>,
}

/// One try to reach a sampled unit: a CATI call attempt or a CAPI visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardContact {
    /// `cati:<case>` or `capi:<assignment>`, as in [`DashboardInterview::unit`].
    pub unit: String,
    pub interviewer: String,
    /// Unix ms.
    pub at: i64,
}

impl Store {
    /// The completed interviews of `study` in id order; `user` stands in for a missing
    /// interviewer (this device's own work, recorded before migration 0008 or while signed out).
    pub fn dashboard_interviews(
        &self,
        study: &str,
        user: Option<&str>,
    ) -> Result<Vec<DashboardInterview>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.questionnaire_version, COALESCE(i.interviewer, ?2), i.created_at, \
                    COALESCE(i.completed_at, i.updated_at), \
                    COALESCE((SELECT 'cati:' || c.case_id FROM cati_interviews c WHERE c.interview_id = i.id), \
                             (SELECT 'capi:' || a.assignment_id FROM assignment_interviews a \
                              WHERE a.interview_id = i.id)) \
             FROM interviews i WHERE i.questionnaire_id = ?1 AND i.status = 'completed' ORDER BY i.id",
        )?;
        let rows = stmt
            .query_map(rusqlite::params![study, user], |r| {
                Ok(DashboardInterview {
                    id: r.get(0)?,
                    questionnaire_version: r.get(1)?,
                    interviewer: r.get(2)?,
                    created_at: r.get(3)?,
                    completed_at: r.get(4)?,
                    unit: r.get(5)?,
                    active_ms: None,
                })
            })?
            .collect::<rusqlite::Result<Vec<DashboardInterview>>>()?;
        let mut active = self.active_ms(study)?;
        Ok(rows
            .into_iter()
            .map(|mut r| {
                r.active_ms = active.remove(&r.id);
                r
            })
            .collect())
    }

    /// Active time per completed interview of `study`, from the session log: this
    /// device's own (`paradata_events`, offsets on one monotonic clock per session)
    /// or, for interviews it holds as received from the server, the log in the
    /// received payload (absolute times per event).
    fn active_ms(&self, study: &str) -> Result<std::collections::HashMap<String, i64>> {
        let mut out = std::collections::HashMap::new();
        let mut own = self.conn.prepare_cached(
            "SELECT interview_id, SUM(span) FROM ( \
                 SELECT e.interview_id, \
                        MAX(COALESCE(e.end_offset_ms, e.offset_ms)) - MIN(e.offset_ms) AS span \
                 FROM paradata_events e JOIN interviews i ON i.id = e.interview_id \
                 WHERE i.questionnaire_id = ?1 AND i.status = 'completed' \
                 GROUP BY e.interview_id, e.session_id) \
             GROUP BY interview_id",
        )?;
        for row in own.query_map([study], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (id, ms) = row?;
            out.insert(id, ms.max(0));
        }
        let mut received = self.conn.prepare_cached(
            "SELECT interview_id, SUM(span) FROM ( \
                 SELECT r.interview_id, \
                        MAX(COALESCE(json_extract(p.value, '$.end_ms'), json_extract(p.value, '$.start_ms'))) \
                          - MIN(json_extract(p.value, '$.start_ms')) AS span \
                 FROM review_records r JOIN interviews i ON i.id = r.interview_id, \
                      json_each(r.payload, '$.paradata') p \
                 WHERE i.questionnaire_id = ?1 AND i.status = 'completed' AND json_valid(r.payload) \
                 GROUP BY r.interview_id, json_extract(p.value, '$.session_id')) \
             GROUP BY interview_id",
        )?;
        for row in received.query_map([study], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })? {
            let (id, ms) = row?;
            // The device's own log wins: it is the one this device wrote.
            if let Some(ms) = ms {
                out.entry(id).or_insert(ms.max(0));
            }
        }
        Ok(out)
    }

    /// Every CATI call attempt and CAPI visit of `study`, oldest first.
    pub fn dashboard_contacts(&self, study: &str) -> Result<Vec<DashboardContact>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT 'cati:' || case_id, interviewer, started_at FROM cati_attempts WHERE study_id = ?1 \
             UNION ALL \
             SELECT 'capi:' || v.assignment_id, a.interviewer, v.visited_at \
             FROM visits v JOIN assignments a ON a.id = v.assignment_id WHERE a.study_id = ?1 \
             ORDER BY 3",
        )?;
        let rows = stmt
            .query_map([study], |r| {
                Ok(DashboardContact {
                    unit: r.get(0)?,
                    interviewer: r.get(1)?,
                    at: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The user this device is signed in as, if any, for interviews without an interviewer.
    pub fn dashboard_user(&self) -> Result<Option<String>> {
        let user: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT user_name FROM sync_settings WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(user.flatten())
    }
}
