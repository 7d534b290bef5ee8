//! Sync settings (device id, server, user, token, changes cursor) and the readable sync log.
//!
//! The device id is made once per database and never changes: the server binds
//! tokens to it. The token is kept in the database file, next to the data it
//! unlocks; it is cleared as soon as the server answers 401.

use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::open::Store;

/// How many sync-log rows are kept; older ones are deleted as new ones arrive.
pub const SYNC_LOG_KEEP: i64 = 1000;

/// The one row of sync settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub device_id: String,
    pub server_url: Option<String>,
    pub user_name: Option<String>,
    /// `None` when signed out or when the server refused the last token.
    pub token: Option<String>,
    /// Opaque cursor of the last `GET /v1/changes`.
    pub changes_cursor: Option<String>,
}

/// One sync pass as logged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncLogEntry {
    /// Row id; ignored when adding.
    pub id: i64,
    pub started_at: i64,
    pub finished_at: i64,
    /// `ok`, `nothing_to_do`, `retry_later`, `unauthorized` or `failed`.
    pub outcome: String,
    pub batches: i64,
    pub accepted: i64,
    pub duplicate: i64,
    pub conflict: i64,
    pub invalid: i64,
    /// Rows left pending for a later pass (retryable failure).
    pub deferred: i64,
    pub bytes_sent: i64,
    /// Changes received from the server.
    pub changes: i64,
    pub error: Option<String>,
}

impl Store {
    /// The sync settings, creating the row with `new_device_id` on first use.
    pub fn sync_settings(&mut self, new_device_id: &str) -> Result<SyncSettings> {
        self.conn.execute(
            "INSERT INTO sync_settings (id, device_id) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
            [new_device_id],
        )?;
        // The row was just ensured, so it is there.
        self.read_sync_settings()?
            .ok_or(crate::Error::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Records a successful sign-in. A different server or user starts the changes feed afresh.
    pub fn save_login(
        &mut self,
        new_device_id: &str,
        server_url: &str,
        user: &str,
        token: &str,
    ) -> Result<()> {
        let old = self.sync_settings(new_device_id)?;
        let same =
            old.server_url.as_deref() == Some(server_url) && old.user_name.as_deref() == Some(user);
        self.conn.execute(
            "UPDATE sync_settings SET server_url = ?1, user_name = ?2, token = ?3,
             changes_cursor = CASE WHEN ?4 THEN changes_cursor ELSE NULL END WHERE id = 1",
            params![server_url, user, token, same],
        )?;
        Ok(())
    }

    /// Forgets the token (the server refused it): the user must sign in again.
    pub fn clear_token(&mut self) -> Result<()> {
        self.conn
            .execute("UPDATE sync_settings SET token = NULL WHERE id = 1", [])?;
        Ok(())
    }

    /// Appends a sync pass to the log; returns its id.
    pub fn add_sync_log(&mut self, e: &SyncLogEntry) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO sync_log (started_at, finished_at, outcome, batches, accepted, duplicate, conflict, invalid,
             deferred, bytes_sent, changes, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                e.started_at,
                e.finished_at,
                e.outcome,
                e.batches,
                e.accepted,
                e.duplicate,
                e.conflict,
                e.invalid,
                e.deferred,
                e.bytes_sent,
                e.changes,
                e.error
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        // Keep the log readable and the file small: passes may run every few minutes for years.
        self.conn
            .execute("DELETE FROM sync_log WHERE id <= ?1", [id - SYNC_LOG_KEEP])?;
        Ok(id)
    }

    /// The latest `limit` sync passes, newest first.
    pub fn sync_log(&self, limit: usize) -> Result<Vec<SyncLogEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, started_at, finished_at, outcome, batches, accepted, duplicate, conflict, invalid, deferred,
             bytes_sent, changes, error FROM sync_log ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(SyncLogEntry {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    outcome: r.get(3)?,
                    batches: r.get(4)?,
                    accepted: r.get(5)?,
                    duplicate: r.get(6)?,
                    conflict: r.get(7)?,
                    invalid: r.get(8)?,
                    deferred: r.get(9)?,
                    bytes_sent: r.get(10)?,
                    changes: r.get(11)?,
                    error: r.get(12)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The sync settings if this device ever had any, without creating them.
    pub fn read_sync_settings(&self) -> Result<Option<SyncSettings>> {
        Ok(self
            .conn
            .query_row(
                "SELECT device_id, server_url, user_name, token, changes_cursor FROM sync_settings WHERE id = 1",
                [],
                |r| {
                    Ok(SyncSettings {
                        device_id: r.get(0)?,
                        server_url: r.get(1)?,
                        user_name: r.get(2)?,
                        token: r.get(3)?,
                        changes_cursor: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}
