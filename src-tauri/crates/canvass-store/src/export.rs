//! Reads for data exports: interviews of a study page by page and their answers streamed by callback.
//!
//! A study can hold hundreds of thousands of interviews, so nothing here
//! returns the whole study: [`Store::export_page`] pages by interview id
//! (keyset, so each page is an index seek) and [`Store::for_each_answer`]
//! hands rows to a callback without collecting them.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use crate::error::Result;
use crate::interviews::InterviewRow;
use crate::open::Store;

/// Which interviews an export takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    pub questionnaire_id: String,
    /// Status codes to take; empty takes every status.
    pub statuses: Vec<String>,
    /// Inclusive lower bound on the completion time (the last change for unfinished work), Unix ms.
    pub from_ms: Option<i64>,
    /// Exclusive upper bound on the same time, Unix ms.
    pub to_ms: Option<i64>,
}

impl ExportFilter {
    /// The WHERE clause (without `WHERE`) and its parameters.
    fn clause(&self) -> (String, Vec<Value>) {
        let mut sql = String::from("questionnaire_id = ?");
        let mut args = vec![Value::Text(self.questionnaire_id.clone())];
        if !self.statuses.is_empty() {
            sql.push_str(" AND status IN (");
            sql.push_str(&vec!["?"; self.statuses.len()].join(", "));
            sql.push(')');
            args.extend(self.statuses.iter().cloned().map(Value::Text));
        }
        if let Some(from) = self.from_ms {
            sql.push_str(" AND COALESCE(completed_at, updated_at) >= ?");
            args.push(Value::Integer(from));
        }
        if let Some(to) = self.to_ms {
            sql.push_str(" AND COALESCE(completed_at, updated_at) < ?");
            args.push(Value::Integer(to));
        }
        (sql, args)
    }
}

impl Store {
    /// How many interviews `filter` takes, for progress reports.
    pub fn export_count(&self, filter: &ExportFilter) -> Result<usize> {
        let (clause, args) = filter.clause();
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM interviews WHERE {clause}"),
            params_from_iter(args),
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Up to `limit` interviews taken by `filter` with ids after `after`, in id order.
    pub fn export_page(
        &self,
        filter: &ExportFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InterviewRow>> {
        let (mut clause, mut args) = filter.clause();
        if let Some(after) = after {
            clause.push_str(" AND id > ?");
            args.push(Value::Text(after.to_owned()));
        }
        args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, questionnaire_id, questionnaire_version, status, current_item, created_at, \
             updated_at, completed_at FROM interviews WHERE {clause} ORDER BY id LIMIT ?"
        ))?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
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
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Calls `f(interview_id, item_path, value)` for every answer of the interviews with ids
    /// from `first` to `last` inclusive, ordered by interview id then path. The range may hold
    /// interviews the caller did not ask for; the caller skips them by id.
    pub fn for_each_answer(
        &self,
        first: &str,
        last: &str,
        f: &mut dyn FnMut(&str, &str, &str),
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT interview_id, item_path, value FROM answers \
             WHERE interview_id >= ?1 AND interview_id <= ?2 ORDER BY interview_id, item_path",
        )?;
        let mut rows = stmt.query([first, last])?;
        while let Some(r) = rows.next()? {
            let id = r.get_ref(0)?.as_str().unwrap_or_default();
            let path = r.get_ref(1)?.as_str().unwrap_or_default();
            let value = r.get_ref(2)?.as_str().unwrap_or_default();
            f(id, path, value);
        }
        Ok(())
    }
}
