//! Interview lifecycle writes beyond single answers: status changes, repeat-instance markers and removal, version moves.
//!
//! These are methods on the same [`Write`] unit of work as answers and
//! paradata, so each change commits together with the event that describes it.

use rusqlite::{params, OptionalExtension};

use crate::error::{Error, Result};
use crate::open::Store;
use crate::paradata::Write;

impl Store {
    /// The `new_value` of the interview's latest event of `kind`, e.g. the language last switched to.
    pub fn last_event_value(&self, interview_id: &str, kind: &str) -> Result<Option<String>> {
        let value: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT new_value FROM paradata_events WHERE interview_id = ?1 AND kind = ?2
                 ORDER BY seq DESC LIMIT 1",
                params![interview_id, kind],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value.flatten())
    }
}

impl Write<'_> {
    /// Sets the interview's lifecycle status (`in_progress`, `paused`, `broken_off`, `rejected`).
    ///
    /// Completion has its own method, [`Write::complete`], because it must also queue the outbox row.
    pub fn set_status(&self, status: &str, now_ms: i64) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE interviews SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![self.interview_id, status, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::InterviewNotFound {
                id: self.interview_id.clone(),
            });
        }
        Ok(())
    }

    /// Stores the existence of a repeat instance (`/data/member[2]`) before any answer is given in it,
    /// so that an instance added and not yet answered survives a restart.
    ///
    /// The marker is a row under the instance's own path with an empty value;
    /// answers are never empty (an empty answer is deleted), so the two cannot be confused.
    pub fn mark_repeat_instance(&self, instance_path: &str, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, '', ?3)
             ON CONFLICT (interview_id, item_path) DO NOTHING",
            params![self.interview_id, instance_path, now_ms],
        )?;
        Ok(())
    }

    /// The repeat instances this write's interview marked as added (see
    /// [`Write::mark_repeat_instance`]), by path: what its completed record
    /// carries so that a member added on purpose and left empty stays in the data.
    pub fn repeat_marks(&self) -> Result<Vec<String>> {
        let mut s = self.tx.prepare_cached(
            "SELECT item_path FROM answers WHERE interview_id = ?1 AND value = '' ORDER BY item_path",
        )?;
        let rows = s
            .query_map([&self.interview_id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// Deletes repeat instance `index` of `range_path` (`/data/member`, 1-based) with every
    /// answer inside it, and renumbers the later instances down by one, as ODK does.
    ///
    /// Returns the answers that were deleted, as (path, value), for the paradata record.
    pub fn remove_repeat_instance(
        &self,
        range_path: &str,
        index: usize,
        count: usize,
        now_ms: i64,
    ) -> Result<Vec<(String, String)>> {
        let instance = format!("{range_path}[{index}]");
        let removed = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT item_path, value FROM answers WHERE interview_id = ?1
                 AND (item_path = ?2 OR substr(item_path, 1, length(?2) + 1) = ?2 || '/')
                 ORDER BY item_path",
            )?;
            let rows = stmt
                .query_map(params![self.interview_id, instance], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
            rows
        };
        // Prefix comparison instead of LIKE: names may contain `_`, which LIKE treats as a wildcard.
        self.tx.execute(
            "DELETE FROM answers WHERE interview_id = ?1
             AND (item_path = ?2 OR substr(item_path, 1, length(?2) + 1) = ?2 || '/')",
            params![self.interview_id, instance],
        )?;
        // Renumber in ascending order so that each new path is free when it is taken.
        for k in index + 1..=count {
            let old = format!("{range_path}[{k}]");
            let new = format!("{range_path}[{}]", k - 1);
            self.tx.execute(
                "UPDATE answers SET item_path = ?3 || substr(item_path, length(?2) + 1), updated_at = ?4
                 WHERE interview_id = ?1
                 AND (item_path = ?2 OR substr(item_path, 1, length(?2) + 1) = ?2 || '/')",
                params![self.interview_id, old, new, now_ms],
            )?;
        }
        Ok(removed)
    }

    /// Pins the interview to another installed questionnaire version and replaces its
    /// answers with `answers` (path, value), as moving a draft to a new version does.
    pub fn move_to_version(
        &self,
        version: &str,
        answers: &[(String, String)],
        current_item: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE interviews SET questionnaire_version = ?2, current_item = ?3, updated_at = ?4 WHERE id = ?1",
            params![self.interview_id, version, current_item, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::InterviewNotFound {
                id: self.interview_id.clone(),
            });
        }
        self.tx.execute(
            "DELETE FROM answers WHERE interview_id = ?1",
            [&self.interview_id],
        )?;
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (path, value) in answers {
            insert.execute(params![self.interview_id, path, value, now_ms])?;
        }
        Ok(())
    }
}
