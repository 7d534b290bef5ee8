//! Outbox bookkeeping for sync: which rows are due, and applying a server's answers to them in one transaction.
//!
//! A row moves `pending → acked` (accepted or duplicate) or `pending → rejected`
//! (conflict or invalid, with the reason in `last_error`); a retryable failure
//! leaves it pending with `attempts + 1` and a `next_attempt_at`. Rows are
//! never deleted here: an acked row is the device's receipt.

use rusqlite::{params, Row};

use crate::error::Result;
use crate::open::Store;

/// An outbox row with its delivery bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub payload_hash: String,
    pub created_at: i64,
    /// `pending`, `acked` or `rejected`.
    pub state: String,
    /// Failed delivery attempts so far (retryable failures only).
    pub attempts: i64,
    /// The last failure, or why the server rejected the row.
    pub last_error: Option<String>,
    /// Not sent again before this time (Unix ms); `None`: due now.
    pub next_attempt_at: Option<i64>,
}

/// What to record for one row after a sync attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxUpdate {
    /// The server holds the row (accepted now or earlier).
    Acked { id: String },
    /// The server refused the row for good (conflict or invalid); never resent.
    Rejected { id: String, reason: String },
    /// Delivery failed for a reason that may pass; resend at `next_attempt_at`.
    Retry {
        id: String,
        error: String,
        next_attempt_at: i64,
    },
}

const COLUMNS: &str =
    "id, kind, payload, payload_hash, created_at, state, attempts, last_error, next_attempt_at";

fn entry(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: r.get(0)?,
        kind: r.get(1)?,
        payload: r.get(2)?,
        payload_hash: r.get(3)?,
        created_at: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        next_attempt_at: r.get(8)?,
    })
}

impl Store {
    /// Pending rows due at `now_ms` (never tried, or their backoff has passed), oldest first.
    pub fn due_outbox(&self, now_ms: i64) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
             ORDER BY created_at, id"
        ))?;
        let rows = stmt
            .query_map([now_ms], entry)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every outbox row in any state, oldest first: for the sync screen and tests.
    pub fn outbox_entries(&self) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox ORDER BY created_at, id"
        ))?;
        let rows = stmt
            .query_map([], entry)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How many rows are `pending`, `acked` and `rejected`.
    pub fn outbox_counts(&self) -> Result<(i64, i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'acked'), 0), COALESCE(SUM(state = 'rejected'), 0)
             FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    /// Applies the updates of one batch in one transaction; only pending rows change.
    pub fn apply_outbox_updates(&mut self, updates: &[OutboxUpdate]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut acked = tx.prepare_cached(
                "UPDATE outbox SET state = 'acked', last_error = NULL, next_attempt_at = NULL WHERE id = ?1 AND state = 'pending'",
            )?;
            let mut rejected = tx.prepare_cached(
                "UPDATE outbox SET state = 'rejected', last_error = ?2, next_attempt_at = NULL WHERE id = ?1 AND state = 'pending'",
            )?;
            let mut retry = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1 AND state = 'pending'",
            )?;
            for u in updates {
                match u {
                    OutboxUpdate::Acked { id } => acked.execute([id])?,
                    OutboxUpdate::Rejected { id, reason } => {
                        rejected.execute(params![id, reason])?
                    }
                    OutboxUpdate::Retry {
                        id,
                        error,
                        next_attempt_at,
                    } => retry.execute(params![id, error, next_attempt_at])?,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }
}
