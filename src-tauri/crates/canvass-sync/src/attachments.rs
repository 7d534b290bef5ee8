//! Attachment upload: the bytes of photo, audio and file answers of completed interviews.
//!
//! The device asks the server which hashes it lacks (`POST /v1/attachments/missing`)
//! and uploads only those, one `PUT /v1/attachments/{hash}` each. The server
//! checks every body against its hash and stores it once; a resend after a
//! lost response answers `added: false` and changes nothing. A blob is marked
//! uploaded locally only after the server confirmed it, so a cut connection
//! leaves it to the next pass. A 413 is reported for that file alone (it stays
//! on the device) and never stops the others; the file is then left alone for
//! a day instead of being sent whole again at every pass.

use canvass_protocol::{AttachmentHashes, AttachmentStored, AttachmentsMissing};
use canvass_store::Store;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::client::{check, json, Server};
use crate::error::{Error, Result};
use crate::pass::{PassSummary, Progress, ProgressSink, Rejection};

/// How long a file the server refused as too large is left alone before one more try
/// (the limit may have been raised meanwhile).
pub const RETRY_REFUSED_MS: i64 = 24 * 3_600_000;

/// At most this many hashes per `missing` question.
const ASK_AT_ONCE: usize = 500;

impl Server {
    /// `POST /v1/attachments/missing`.
    pub async fn attachments_missing(&self, token: &str, hashes: &[String]) -> Result<Vec<String>> {
        let resp = self
            .http
            .post(format!("{}/v1/attachments/missing", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&AttachmentHashes {
                hashes: hashes.to_vec(),
            })
            .send()
            .await
            .map_err(Error::Network)?;
        Ok(json::<AttachmentsMissing>(check(resp).await?)
            .await?
            .missing)
    }

    /// `PUT /v1/attachments/{hash}`.
    pub async fn put_attachment(
        &self,
        token: &str,
        hash: &str,
        bytes: Vec<u8>,
    ) -> Result<AttachmentStored> {
        let resp = self
            .http
            .put(format!("{}/v1/attachments/{hash}", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .map_err(Error::Network)?;
        json(check(resp).await?).await
    }
}

/// Uploads what the server lacks of this device's completed interviews' attachments,
/// reporting each settled file in `at` (stage `Uploading`) when any file is waiting.
pub(crate) async fn upload(
    server: &Server,
    token: &str,
    store: &mut Store,
    now: i64,
    s: &mut PassSummary,
    at: &mut Progress,
    progress: ProgressSink<'_>,
) -> Result<()> {
    let pending = store.attachments_to_upload(now.saturating_sub(RETRY_REFUSED_MS))?;
    if pending.is_empty() {
        return Ok(());
    }
    let size_of = |hash: &str| -> usize {
        pending
            .iter()
            .find(|(h, _)| h == hash)
            .map_or(0, |(_, n)| usize::try_from(*n).unwrap_or(0))
    };
    at.files_planned = pending.len();
    at.file_bytes_planned = pending
        .iter()
        .map(|(_, n)| usize::try_from(*n).unwrap_or(0))
        .sum();
    progress(at);
    for chunk in pending.chunks(ASK_AT_ONCE) {
        let hashes: Vec<String> = chunk.iter().map(|(h, _)| h.clone()).collect();
        let missing = server.attachments_missing(token, &hashes).await?;
        // What the server already holds (another device of the team sent it) is settled at once.
        let held: Vec<String> = hashes
            .iter()
            .filter(|h| !missing.contains(h))
            .cloned()
            .collect();
        store.mark_attachments_uploaded(&held, now)?;
        if !held.is_empty() {
            at.files_done += held.len();
            at.file_bytes_done += held.iter().map(|h| size_of(h)).sum::<usize>();
            progress(at);
        }
        for hash in missing {
            let Some(bytes) = store.attachment_bytes(&hash)? else {
                continue;
            };
            let size = bytes.len();
            match server.put_attachment(token, &hash, bytes).await {
                Ok(_) => {
                    s.attachments_sent += 1;
                    s.bytes_sent += size;
                    store.mark_attachments_uploaded(std::slice::from_ref(&hash), now)?;
                }
                Err(Error::TooLarge { message }) => {
                    store.mark_attachment_refused(&hash, now)?;
                    s.rejected.push(Rejection {
                        id: hash,
                        status: "too_large".into(),
                        reason: format!(
                            "an attachment of {size} bytes is larger than the server accepts ({message}); it stays on this device, and is offered again in a day"
                        ),
                    });
                }
                Err(e) => return Err(e),
            }
            at.files_done += 1;
            at.file_bytes_done += size;
            progress(at);
        }
    }
    Ok(())
}
