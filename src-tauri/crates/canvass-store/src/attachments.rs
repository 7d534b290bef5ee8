//! Attachment storage: the bytes of photo, audio and file answers, once per content hash.
//!
//! `attachment_blobs` is keyed by the SHA-256 of the bytes, so the same file
//! attached to several questions or interviews is stored once.
//! [`Write::attach`] runs inside the answer's own transaction, so the answer
//! (the file name) and its bytes are committed together or not at all.

use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::open::Store;
use crate::paradata::Write;

/// Which file answers which question, without the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub interview_id: String,
    pub item_path: String,
    pub file_name: String,
    pub media_type: String,
    /// Lower-case hex SHA-256 of the bytes.
    pub hash: String,
    pub size: i64,
    pub attached_at: i64,
    /// When the server confirmed it holds the bytes.
    pub uploaded_at: Option<i64>,
}

/// A file to attach, its hash already computed by the caller.
#[derive(Debug, Clone, Copy)]
pub struct NewAttachment<'a> {
    pub file_name: &'a str,
    pub media_type: &'a str,
    pub hash: &'a str,
    pub data: &'a [u8],
}

const COLUMNS: &str = "a.interview_id, a.item_path, a.file_name, a.media_type, a.hash, b.size, a.attached_at, b.uploaded_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AttachmentRow> {
    Ok(AttachmentRow {
        interview_id: r.get(0)?,
        item_path: r.get(1)?,
        file_name: r.get(2)?,
        media_type: r.get(3)?,
        hash: r.get(4)?,
        size: r.get(5)?,
        attached_at: r.get(6)?,
        uploaded_at: r.get(7)?,
    })
}

impl Write<'_> {
    /// Stores the file's bytes (once per hash) and links it to `item_path` of
    /// this write's interview, replacing an earlier file of that question.
    pub fn attach(&self, item_path: &str, a: &NewAttachment<'_>, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO attachment_blobs (hash, size, data, stored_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hash) DO NOTHING",
            params![a.hash, a.data.len() as i64, a.data, now_ms],
        )?;
        self.tx.execute(
            "INSERT INTO interview_attachments (interview_id, item_path, file_name, media_type, hash, attached_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (interview_id, item_path) DO UPDATE SET file_name = excluded.file_name,
                 media_type = excluded.media_type, hash = excluded.hash, attached_at = excluded.attached_at",
            params![self.interview_id, item_path, a.file_name, a.media_type, a.hash, now_ms],
        )?;
        Ok(())
    }

    /// This write's interview's files as `(item_path, file_name, hash)`, by path:
    /// what its completed record refers to by hash.
    pub fn attachment_refs(&self) -> Result<Vec<(String, String, String)>> {
        let mut s = self.tx.prepare_cached(
            "SELECT item_path, file_name, hash FROM interview_attachments WHERE interview_id = ?1 ORDER BY item_path",
        )?;
        let rows = s
            .query_map([&self.interview_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Unlinks the file of `item_path` (its answer was cleared); the bytes stay for other links.
    pub fn detach(&self, item_path: &str) -> Result<()> {
        self.tx.execute(
            "DELETE FROM interview_attachments WHERE interview_id = ?1 AND item_path = ?2",
            params![self.interview_id, item_path],
        )?;
        Ok(())
    }
}

impl Store {
    /// The file answering one question, if any.
    pub fn attachment(&self, interview_id: &str, item_path: &str) -> Result<Option<AttachmentRow>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM interview_attachments AS a JOIN attachment_blobs AS b ON b.hash = a.hash
                     WHERE a.interview_id = ?1 AND a.item_path = ?2"
                ),
                params![interview_id, item_path],
                row,
            )
            .optional()?)
    }

    /// Every file of one interview, by question path.
    pub fn interview_attachments(&self, interview_id: &str) -> Result<Vec<AttachmentRow>> {
        let mut s = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM interview_attachments AS a JOIN attachment_blobs AS b ON b.hash = a.hash
             WHERE a.interview_id = ?1 ORDER BY a.item_path"
        ))?;
        let rows = s
            .query_map([interview_id], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The bytes stored under `hash`, if any.
    pub fn attachment_bytes(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM attachment_blobs WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Hashes of files of completed interviews that the server has not confirmed yet, with their sizes.
    ///
    /// A blob the server refused as too large at or after `refused_since` (Unix ms)
    /// is left out, so it is not sent whole again at every pass.
    pub fn attachments_to_upload(&self, refused_since: i64) -> Result<Vec<(String, i64)>> {
        let mut s = self.conn.prepare_cached(
            "SELECT DISTINCT b.hash, b.size FROM attachment_blobs AS b
             JOIN interview_attachments AS a ON a.hash = b.hash
             JOIN interviews AS i ON i.id = a.interview_id
             WHERE b.uploaded_at IS NULL AND i.status = 'completed'
               AND (b.refused_at IS NULL OR b.refused_at < ?1)
             ORDER BY b.hash",
        )?;
        let rows = s
            .query_map([refused_since], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records that the server refused this blob as too large at `now_ms`.
    pub fn mark_attachment_refused(&self, hash: &str, now_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE attachment_blobs SET refused_at = ?2 WHERE hash = ?1",
            params![hash, now_ms],
        )?;
        Ok(())
    }

    /// Records that the server holds these blobs, so no later sync sends them again.
    pub fn mark_attachments_uploaded(&mut self, hashes: &[String], now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut s = tx.prepare_cached(
                "UPDATE attachment_blobs SET uploaded_at = ?2 WHERE hash = ?1 AND uploaded_at IS NULL",
            )?;
            for h in hashes {
                s.execute(params![h, now_ms])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
