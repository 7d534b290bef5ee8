//! Wire types shared by the sync client (`canvass-sync`) and the server (`canvass-server`), version 1.
//!
//! Every path starts with [`API_PREFIX`]; a breaking change gets a new prefix
//! and new types beside these, never an edit of these.
//! This crate holds (de)serialization only: no I/O, no validation logic.
//!
//! Hash canonicalisation: an item's `payload_hash` is the lowercase hex
//! SHA-256 of the payload's JSON text exactly as the device stored it, and
//! that exact text is what travels in the `payload` member ([`RawPayload`] is
//! a `serde_json::value::RawValue`, which neither reorders keys nor changes
//! whitespace). The server hashes the bytes it received, so no JSON
//! canonicalisation is needed on either side and a re-serialization bug can
//! never turn into a silent conflict.

use serde::{Deserialize, Serialize};

/// The version prefix of every endpoint.
pub const API_PREFIX: &str = "/v1";

/// Exact payload bytes as sent; see the crate docs on hash canonicalisation.
pub type RawPayload = Box<serde_json::value::RawValue>;

/// `POST /v1/login` request: a user signs in from one device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
    /// The device's id (UUID text), generated once per local database; the token is bound to it.
    pub device_id: String,
}

/// `POST /v1/login` response: a bearer token for this device, revocable on the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    /// `admin`, `supervisor` or `interviewer`.
    pub role: String,
    pub team: Option<String>,
}

/// `POST /v1/batches` request: finished work from one device.
#[derive(Debug, Serialize, Deserialize)]
pub struct PushBatch {
    pub device_id: String,
    /// A fresh id per send attempt, for the server log; idempotency rests on item ids, not on this.
    pub batch_id: String,
    pub items: Vec<Item>,
}

/// One record in a batch.
#[derive(Debug, Serialize, Deserialize)]
pub struct Item {
    /// Device-generated UUID v7 of the record: the idempotency key.
    pub id: String,
    /// What the payload is, e.g. `interview`.
    pub kind: String,
    /// The record as JSON text, byte for byte what was hashed.
    pub payload: RawPayload,
    /// Lowercase hex SHA-256 of `payload`'s bytes.
    pub payload_hash: String,
}

/// `POST /v1/batches` response: one result per item, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub items: Vec<ItemResult>,
}

/// What the server did with one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: String,
    pub status: ItemStatus,
    /// Why an item is a conflict or invalid; absent for accepted and duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Per-item outcome of an ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored now.
    Accepted,
    /// Already stored with the same hash: a resend, harmless and successful.
    Duplicate,
    /// Already stored with a different hash: refused, the stored record wins.
    Conflict,
    /// Refused for a reason in the item itself (bad id, kind, hash or payload).
    Invalid,
}

impl ItemStatus {
    /// The stable code, as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Accepted => "accepted",
            ItemStatus::Duplicate => "duplicate",
            ItemStatus::Conflict => "conflict",
            ItemStatus::Invalid => "invalid",
        }
    }
}

/// `GET /v1/changes?since=CURSOR` response: what the device should know, after the cursor.
///
/// The cursor is opaque to the client: it stores `cursor` and sends it back as `since`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub cursor: String,
    #[serde(default)]
    pub questionnaire_versions: Vec<QuestionnaireVersion>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub decisions: Vec<Decision>,
}

/// A questionnaire version published to a team (or to everyone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionnaireVersion {
    pub questionnaire_id: String,
    pub version: String,
    /// The form definition as published (e.g. XLSForm converted to JSON).
    pub definition: serde_json::Value,
    /// The uploaded form file's name (`survey.xlsx`, `survey.xml`); its extension tells devices how to read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// The uploaded form file itself, standard base64. Devices install a version from
    /// this file, exactly as they would install it from disk; without it they keep the
    /// version as received and show that it cannot be installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_base64: Option<String>,
}

/// A case handed to an interviewer or team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub id: String,
    pub questionnaire_id: String,
    pub assignee: Option<String>,
    pub body: serde_json::Value,
}

/// A supervisor's decision on a received interview (e.g. approved, returned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub interview_id: String,
    pub decision: String,
    pub comment: Option<String>,
    /// Unix milliseconds UTC.
    pub decided_at: i64,
}

/// `POST /v1/assignments` request: hand a case to a team (supervisors: always their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishAssignment {
    /// The team that receives it; a supervisor may leave it out (their team) but not name another.
    #[serde(default)]
    pub team: Option<String>,
    pub assignment: Assignment,
}

/// `POST /v1/questionnaires`, `/v1/assignments`, `/v1/decisions` response: the change's place in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The cursor just after this change.
    pub cursor: String,
}

/// `GET /v1/interviews` response (supervisors: their team; admins: all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewList {
    pub interviews: Vec<ReceivedInterview>,
}

/// An interview as the server stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedInterview {
    pub id: String,
    pub kind: String,
    pub device_id: String,
    pub user: String,
    pub team: Option<String>,
    pub payload_hash: String,
    /// The payload as stored (parsed for display).
    pub payload: serde_json::Value,
    /// Unix milliseconds UTC when the server first stored it.
    pub received_at: i64,
}

/// Every 4xx and 5xx body: a machine code to branch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// e.g. `unauthorized`, `forbidden`, `too_large`, `bad_request`, `internal`.
    pub code: String,
    pub message: String,
}

/// The largest attachment (photo, recording, file) the server takes in one
/// `PUT /v1/attachments/{hash}`: 10 MiB, the same as a device lets a question take.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// `POST /v1/attachments/missing` request: the attachments a device is about to send, by SHA-256 (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentHashes {
    pub hashes: Vec<String>,
}

/// `POST /v1/attachments/missing` response: the hashes the server lacks for the caller's team; only these are uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentsMissing {
    pub missing: Vec<String>,
}

/// `PUT /v1/attachments/{hash}` response: whether this upload added the attachment (false: it was already held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentStored {
    pub hash: String,
    pub added: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_travels_byte_for_byte() {
        let text = r#"{"id":"x","b":1,  "a":[2]}"#;
        let item = Item {
            id: "x".into(),
            kind: "interview".into(),
            payload: serde_json::value::RawValue::from_string(text.into()).unwrap(),
            payload_hash: "h".into(),
        };
        let wire = serde_json::to_string(&item).unwrap();
        assert!(wire.contains(text), "{wire}");
        let back: Item = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.payload.get(), text);
    }

    #[test]
    fn statuses_and_errors_have_a_stable_shape() {
        let r = PushResponse {
            items: vec![
                ItemResult {
                    id: "a".into(),
                    status: ItemStatus::Duplicate,
                    reason: None,
                },
                ItemResult {
                    id: "b".into(),
                    status: ItemStatus::Conflict,
                    reason: Some("hash differs".into()),
                },
            ],
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"items":[{"id":"a","status":"duplicate"},{"id":"b","status":"conflict","reason":"hash differs"}]}"#
        );
        let e = ApiError {
            code: "too_large".into(),
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"too_large","message":"m"}"#
        );
    }
}
