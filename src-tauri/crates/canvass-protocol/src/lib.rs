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
    /// CATI case lists published to the device's team.
    #[serde(default)]
    pub case_lists: Vec<CaseList>,
    /// CATI outcome tables (a study's overrides of the AAPOR defaults).
    #[serde(default)]
    pub outcome_tables: Vec<OutcomeTable>,
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
    /// `approved` or `rejected`.
    pub decision: String,
    pub comment: Option<String>,
    /// Unix milliseconds UTC.
    pub decided_at: i64,
    /// The decision's device-made UUID v7: a resend with the same id is a harmless duplicate.
    /// Absent from older clients; the server then derives one from the decision's content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The interview revision decided on; absent means the latest the server holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// Question paths the comment is about (`/data/nps`); a rejected interview reopens at the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The supervisor who decided; set by the server from the caller's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
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
    /// The interview this record is a revision of (the payload's `interview_id`, else the record id).
    #[serde(default)]
    pub interview_id: String,
    /// The payload's revision number; 1 for records sent before revisions existed.
    #[serde(default = "first_revision")]
    pub revision: i64,
}

fn first_revision() -> i64 {
    1
}

/// Every 4xx and 5xx body: a machine code to branch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// e.g. `unauthorized`, `forbidden`, `too_large`, `bad_request`, `internal`.
    pub code: String,
    pub message: String,
}

/// A CATI case list for one study, as a supervisor uploaded it (`POST /v1/cases`, `canvass-server cases import`).
///
/// The file travels as uploaded; devices check every row with the same rules as a
/// local import and import all of it or nothing, logging why when they refuse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseList {
    /// A fresh id per upload, so a device imports each list once.
    pub id: String,
    pub study_id: String,
    /// The team that receives it; a supervisor may leave it out (their team).
    #[serde(default)]
    pub team: Option<String>,
    /// `cases.csv` or `cases.xlsx`: the extension says how to read it.
    pub file_name: String,
    /// The file itself, standard base64.
    pub source_base64: String,
    /// Zone for rows without one that their phone number does not settle.
    #[serde(default)]
    pub default_timezone: Option<String>,
}

/// A study's CATI outcome table (overrides of the default AAPOR table), as uploaded (`POST /v1/outcomes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeTable {
    pub id: String,
    pub study_id: String,
    #[serde(default)]
    pub team: Option<String>,
    /// A JSON array of outcomes in the device's outcome shape (name, aapor, delay, ...).
    pub outcomes: serde_json::Value,
}

/// `POST /v1/leases` request: a device asks for (or keeps, or gives back) the cases it is about to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRequest {
    pub device_id: String,
    pub study_id: String,
    /// Cases to lease or extend.
    pub case_ids: Vec<String>,
    /// Of those, the cases with call attempts this device has not pushed yet: never given to another device.
    #[serde(default)]
    pub unsynced: Vec<String>,
    /// Cases this device gives back.
    #[serde(default)]
    pub release: Vec<String>,
}

/// `POST /v1/leases` response: one answer per asked case, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseResponse {
    pub leases: Vec<LeaseGrant>,
}

/// Whether a case is this device's to call, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseGrant {
    pub case_id: String,
    pub granted: bool,
    /// The device that holds the case now (this one when granted).
    pub holder: String,
    /// Unix milliseconds UTC when the holder's lease ends.
    pub expires_at: i64,
}

/// `GET /v1/quotas?study=S` response: quota-cell counts summed over the call attempts the server received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaTotals {
    pub study_id: String,
    /// Completes per quota cell name.
    pub cells: std::collections::BTreeMap<String, i64>,
    /// Unix milliseconds UTC when the server counted.
    pub counted_at: i64,
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

/// One session-log event as a completed interview's payload carries it (its `paradata` array):
/// absolute times in Unix milliseconds UTC. The server's session-log export and a
/// supervisor's device read pushed and pulled interviews with this one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadEvent {
    #[serde(default)]
    pub seq: i64,
    #[serde(default)]
    pub session_id: String,
    pub kind: String,
    #[serde(default)]
    pub node: Option<String>,
    pub start_ms: i64,
    #[serde(default)]
    pub end_ms: Option<i64>,
    #[serde(default)]
    pub end_estimated: bool,
    #[serde(default)]
    pub tz_offset_min: i32,
    #[serde(default)]
    pub old_value: Option<String>,
    #[serde(default)]
    pub new_value: Option<String>,
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
