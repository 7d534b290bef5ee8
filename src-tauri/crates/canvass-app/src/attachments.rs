//! Attachments and geopoints: the use cases behind photo, audio and file questions and GPS questions.
//!
//! A file is attached by its bytes: the answer's value is the file's name (as
//! ODK stores it) and the bytes are stored under their SHA-256 in the same
//! transaction as the answer, so an answer shown as saved always has its file.
//! A geopoint is stored in ODK's `lat lon alt acc` text; whether the device
//! measured it or the interviewer typed it is kept on the answer's paradata
//! event (`{"geopoint_source":"manual"}` or `"device"`).

use base64::Engine as _;
use canvass_form::model::QuestionType;
use canvass_store::NewAttachment;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::interview::{ensure_open, resolve, App, Screen};

/// The largest file a question takes: 10 MiB. A phone photo is 2-5 MiB; the
/// limit keeps one answer from filling a cheap laptop's disk or a sync batch.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// Images up to this size come back with a preview the window can show inline.
const PREVIEW_BYTES: usize = 3 * 1024 * 1024;

/// The file answering one question, as the interview screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentView {
    pub item_path: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub hash: String,
    /// A `data:` URL of an image small enough to preview; `None` otherwise.
    pub preview: Option<String>,
    pub uploaded: bool,
}

/// A geopoint as the interviewer or the device gives it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GeopointInput {
    pub latitude: f64,
    pub longitude: f64,
    /// Metres above sea level; 0 when unknown, as ODK writes it.
    #[serde(default)]
    pub altitude: Option<f64>,
    /// Accuracy radius in metres; 0 when unknown.
    #[serde(default)]
    pub accuracy: Option<f64>,
    /// True when typed by the interviewer, false when the device measured it.
    pub manual: bool,
}

/// Decodes standard base64 sent by the window.
pub fn decode_base64(text: &str, item: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| Error::InvalidAttachment {
            item: item.to_owned(),
            reason: format!("the file arrived damaged (not valid base64: {e})"),
        })
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The media type of a file name's extension, and which question kinds take it.
fn media_type(file_name: &str) -> (&'static str, &'static str) {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => ("image/jpeg", "image"),
        "png" => ("image/png", "image"),
        "gif" => ("image/gif", "image"),
        "webp" => ("image/webp", "image"),
        "bmp" => ("image/bmp", "image"),
        "heic" => ("image/heic", "image"),
        "mp3" => ("audio/mpeg", "audio"),
        "m4a" => ("audio/mp4", "audio"),
        "aac" => ("audio/aac", "audio"),
        "ogg" | "oga" | "opus" => ("audio/ogg", "audio"),
        "wav" => ("audio/wav", "audio"),
        "amr" => ("audio/amr", "audio"),
        "webm" => ("audio/webm", "audio"),
        "pdf" => ("application/pdf", "file"),
        "txt" => ("text/plain", "file"),
        "csv" => ("text/csv", "file"),
        _ => ("application/octet-stream", "file"),
    }
}

/// A file name safe to store and export: its last path part, without control
/// characters or separators, at most 120 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.chars().count() > 120 {
        // Keep the extension, which says what the file is.
        let ext = cleaned.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let stem: String = cleaned.chars().take(100).collect();
        if ext.is_empty() || ext.len() > 10 {
            stem
        } else {
            format!("{stem}.{ext}")
        }
    } else {
        cleaned
    }
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Checks a geopoint's ranges and writes it as ODK does: `lat lon alt acc`.
pub fn geopoint_text(g: &GeopointInput) -> std::result::Result<String, String> {
    let finite = |v: f64, what: &str| {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("the {what} is not a number"))
        }
    };
    let lat = finite(g.latitude, "latitude")?;
    let lon = finite(g.longitude, "longitude")?;
    let alt = finite(g.altitude.unwrap_or(0.0), "altitude")?;
    let acc = finite(g.accuracy.unwrap_or(0.0), "accuracy")?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(format!("latitude {lat} is outside -90 to 90 degrees"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("longitude {lon} is outside -180 to 180 degrees"));
    }
    if !(-500.0..=9000.0).contains(&alt) {
        return Err(format!("altitude {alt} m is outside -500 to 9000 metres"));
    }
    if !(0.0..=100_000.0).contains(&acc) {
        return Err(format!("accuracy {acc} m must be from 0 to 100000 metres"));
    }
    Ok(format!("{lat} {lon} {alt} {acc}"))
}

impl App {
    /// The kind of file a question takes (`image`, `audio`, `file`), or why it takes none.
    fn file_kind(&self, interview_id: &str, item: &str) -> Result<(String, &'static str)> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let inst = self.instance(&mut inner, &row)?;
        let path = resolve(inst, item)?;
        let node = inst.find(&path).ok_or_else(|| Error::UnknownItem {
            item: item.to_owned(),
        })?;
        let qt = inst
            .model_of(node)
            .and_then(|m| inst.form().nodes.get(m))
            .and_then(|n| n.question_type())
            .cloned();
        let kind = match qt {
            Some(QuestionType::Image) => "image",
            Some(QuestionType::Audio) => "audio",
            Some(QuestionType::Video) | Some(QuestionType::File) => "file",
            _ => {
                return Err(Error::InvalidAttachment {
                    item: item.to_owned(),
                    reason: format!("question `{item}` does not take a file"),
                })
            }
        };
        Ok((path, kind))
    }

    /// Attaches a file to a photo, audio or file question: the answer becomes
    /// the file's name and the bytes are stored, once per content, in the same
    /// transaction. A file over [`MAX_ATTACHMENT_BYTES`], an empty file, or one
    /// of the wrong kind (a document on a photo question) is refused with a
    /// message that says so, and nothing is saved.
    pub fn attach_file(
        &self,
        interview_id: &str,
        item: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Screen> {
        let (path, kind) = self.file_kind(interview_id, item)?;
        let invalid = |reason: String| Error::InvalidAttachment {
            item: item.to_owned(),
            reason,
        };
        let name = clean_name(file_name);
        if name.is_empty() {
            return Err(invalid("the file has no name".into()));
        }
        if bytes.is_empty() {
            return Err(invalid(format!("{name} is empty")));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(invalid(format!(
                "{name} is {}; a question takes files up to {}",
                human_size(bytes.len()),
                human_size(MAX_ATTACHMENT_BYTES)
            )));
        }
        let (media, family) = media_type(&name);
        if kind != "file" && family != kind {
            return Err(invalid(format!(
                "{name} is not {} file this question takes",
                if kind == "image" {
                    "a photo or image"
                } else {
                    "an audio"
                }
            )));
        }
        let hash = sha256_hex(bytes);
        let now = self.clock.now_ms();
        let extra = serde_json::json!({ "attachment": { "hash": hash, "size": bytes.len(), "media_type": media } })
            .to_string();
        let attachment = NewAttachment {
            file_name: &name,
            media_type: media,
            hash: &hash,
            data: bytes,
        };
        self.record_answer_with(interview_id, &path, &name, Some(extra), |w, p| {
            Ok(w.attach(p, &attachment, now)?)
        })
    }

    /// Removes the file of a question: its answer is cleared and the link
    /// removed in one transaction (the bytes stay while another answer uses them).
    pub fn clear_attachment(&self, interview_id: &str, item: &str) -> Result<Screen> {
        let (path, _) = self.file_kind(interview_id, item)?;
        self.record_answer_with(interview_id, &path, "", None, |w, p| Ok(w.detach(p)?))
    }

    /// The file answering a question, with a preview for small images.
    pub fn attachment(&self, interview_id: &str, item: &str) -> Result<Option<AttachmentView>> {
        let path = {
            let mut inner = self.lock();
            let row = inner.store.interview(interview_id)?;
            let inst = self.instance(&mut inner, &row)?;
            resolve(inst, item)?
        };
        let inner = self.lock();
        let Some(a) = inner.store.attachment(interview_id, &path)? else {
            return Ok(None);
        };
        let preview = if a.media_type.starts_with("image/") && a.size as usize <= PREVIEW_BYTES {
            inner.store.attachment_bytes(&a.hash)?.map(|b| {
                format!(
                    "data:{};base64,{}",
                    a.media_type,
                    base64::engine::general_purpose::STANDARD.encode(b)
                )
            })
        } else {
            None
        };
        Ok(Some(AttachmentView {
            item_path: a.item_path,
            file_name: a.file_name,
            media_type: a.media_type,
            size: a.size,
            hash: a.hash,
            preview,
            uploaded: a.uploaded_at.is_some(),
        }))
    }

    /// Every file of an interview, without previews.
    pub fn interview_attachments(&self, interview_id: &str) -> Result<Vec<AttachmentView>> {
        let inner = self.lock();
        inner.store.interview(interview_id)?;
        Ok(inner
            .store
            .interview_attachments(interview_id)?
            .into_iter()
            .map(|a| AttachmentView {
                uploaded: a.uploaded_at.is_some(),
                item_path: a.item_path,
                file_name: a.file_name,
                media_type: a.media_type,
                size: a.size,
                hash: a.hash,
                preview: None,
            })
            .collect())
    }

    /// Answers a geopoint question in ODK's `lat lon alt acc` format after
    /// checking the ranges; the paradata event says whether it was typed.
    pub fn record_geopoint(
        &self,
        interview_id: &str,
        item: &str,
        point: &GeopointInput,
    ) -> Result<Screen> {
        let text = geopoint_text(point).map_err(|reason| Error::InvalidAnswer {
            item: item.to_owned(),
            reason,
        })?;
        let source = if point.manual { "manual" } else { "device" };
        let extra = serde_json::json!({ "geopoint_source": source }).to_string();
        self.record_answer_with(interview_id, item, &text, Some(extra), |_, _| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_kinds_read_from_extensions() {
        assert_eq!(clean_name("/home/olena/Pictures/door.JPG"), "door.JPG");
        assert_eq!(clean_name("C:\\photos\\a|b.png"), "ab.png");
        assert_eq!(clean_name("..hidden"), "hidden");
        assert_eq!(media_type("door.JPG"), ("image/jpeg", "image"));
        assert_eq!(media_type("voice.m4a"), ("audio/mp4", "audio"));
        assert_eq!(media_type("form.pdf").1, "file");
    }

    #[test]
    fn geopoints_are_written_as_odk_does_and_ranges_are_checked() {
        let p = |lat, lon, alt, acc| GeopointInput {
            latitude: lat,
            longitude: lon,
            altitude: alt,
            accuracy: acc,
            manual: true,
        };
        assert_eq!(
            geopoint_text(&p(50.45, 30.5234, Some(179.0), Some(5.0))).unwrap(),
            "50.45 30.5234 179 5"
        );
        assert_eq!(
            geopoint_text(&p(-1.5, 2.0, None, None)).unwrap(),
            "-1.5 2 0 0"
        );
        assert!(geopoint_text(&p(91.0, 0.0, None, None))
            .unwrap_err()
            .contains("latitude"));
        assert!(geopoint_text(&p(0.0, -181.0, None, None))
            .unwrap_err()
            .contains("longitude"));
        assert!(geopoint_text(&p(0.0, 0.0, None, Some(-1.0)))
            .unwrap_err()
            .contains("accuracy"));
        assert!(geopoint_text(&p(f64::NAN, 0.0, None, None)).is_err());
    }
}
