//! The `/v1` handlers: each authenticates, checks role and team, calls storage once, and maps the result.

use std::collections::HashMap;

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine as _;
use canvass_protocol::{
    Assignment, Changes, Decision, InterviewList, ItemResult, ItemStatus, LoginRequest,
    LoginResponse, PublishAssignment, Published, PushBatch, PushResponse, QuestionnaireVersion,
    ReceivedInterview,
};
use serde::de::DeserializeOwned;

use crate::auth::{self, Caller, Role};
use crate::db::{DeviceRow, IngestBatch, Stored, StoredRecord};
use crate::error::ApiError;
use crate::ingest;
use crate::AppState;

/// A JSON body whose rejections are `{code, message}`: 413 `too_large` over the limit, 400 otherwise.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge {
                limit: state.limits.max_body_bytes,
            }),
            Err(rej) => Err(ApiError::BadRequest {
                code: "bad_json",
                message: rej.body_text(),
            }),
        }
    }
}

pub async fn not_found() -> impl IntoResponse {
    let body = canvass_protocol::ApiError {
        code: "not_found".into(),
        message: "no such endpoint; this server speaks /v1".into(),
    };
    (StatusCode::NOT_FOUND, Json(body))
}

pub async fn login(
    State(s): State<AppState>,
    Body(req): Body<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.device_id.is_empty() || req.device_id.len() > 100 {
        return Err(ApiError::BadRequest {
            code: "bad_device",
            message: "device_id must be 1 to 100 characters".into(),
        });
    }
    let now = (s.clock)();
    s.throttle
        .check(&req.user, now)
        .map_err(|retry_after_ms| ApiError::TooManyAttempts { retry_after_ms })?;
    let user = s.db.user(&req.user).await?;
    // The same answer, after the same work, for an unknown user, a wrong password
    // and a disabled account, so the endpoint does not reveal which names exist.
    // Argon2 is CPU-heavy, so it runs on the blocking pool, off the request threads.
    let password = req.password.clone();
    let user = tokio::task::spawn_blocking(move || match user {
        Some(u) if auth::verify_password(&password, &u.password_hash) && !u.disabled => Some(u),
        Some(_) => None,
        None => {
            auth::burn_verify(&password);
            None
        }
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
    let Some(user) = user else {
        s.throttle.failed(&req.user, now);
        return Err(ApiError::BadCredentials);
    };
    s.throttle.succeeded(&user.name);
    let token = auth::new_token();
    s.db.add_token(&auth::token_hash(&token), &user.name, &req.device_id, now)
        .await?;
    tracing::info!(user = %user.name, device = %req.device_id, "login");
    Ok(Json(LoginResponse {
        token,
        role: user.role,
        team: user.team,
    }))
}

pub async fn logout(State(s): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    s.db.revoke_token(&caller.token_hash, (s.clock)()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn push_batch(
    State(s): State<AppState>,
    caller: Caller,
    Body(batch): Body<PushBatch>,
) -> Result<Json<PushResponse>, ApiError> {
    caller.require(&[Role::Interviewer, Role::Supervisor], "push interviews")?;
    if batch.device_id != caller.device_id {
        return Err(ApiError::Forbidden(
            "this token was issued to another device; sign in on this one".into(),
        ));
    }
    if batch.items.len() > s.limits.max_items {
        return Err(ApiError::TooLarge {
            limit: s.limits.max_body_bytes,
        });
    }
    // Invalid items get their reason now; the valid ones go to storage together.
    let checked: Vec<Result<_, String>> = batch.items.iter().map(ingest::check_item).collect();
    let records: Vec<_> = checked
        .iter()
        .filter_map(|c| c.as_ref().ok().cloned())
        .collect();
    let invalid = checked.len() - records.len();
    let stored =
        s.db.ingest(IngestBatch {
            batch_id: batch.batch_id.clone(),
            device_id: batch.device_id.clone(),
            user: caller.user.clone(),
            team: caller.team.clone(),
            received_at: (s.clock)(),
            invalid,
            records,
        })
        .await?;
    let mut stored = stored.into_iter();
    let mut items = Vec::with_capacity(batch.items.len());
    for (item, check) in batch.items.iter().zip(checked) {
        let (status, reason) = match check {
            Err(reason) => (ItemStatus::Invalid, Some(reason)),
            Ok(_) => match stored.next() {
                Some(Stored::Inserted) => (ItemStatus::Accepted, None),
                Some(Stored::SameHash) => (ItemStatus::Duplicate, None),
                Some(Stored::OtherHash { stored_hash }) => (
                    ItemStatus::Conflict,
                    Some(format!(
                        "the server already holds this id with other content (hash {stored_hash})"
                    )),
                ),
                None => {
                    return Err(ApiError::Internal(
                        "storage returned fewer results than records".into(),
                    ))
                }
            },
        };
        items.push(ItemResult {
            id: item.id.clone(),
            status,
            reason,
        });
    }
    tracing::info!(user = %caller.user, batch = %batch.batch_id, items = items.len(), "batch");
    Ok(Json(PushResponse { items }))
}

pub async fn changes(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Changes>, ApiError> {
    let since = match q.get("since").map(String::as_str) {
        None | Some("") => 0,
        Some(c) => {
            c.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::BadRequest {
                    code: "bad_cursor",
                    message: "since must be a cursor this server returned".into(),
                })?
        }
    };
    let all = caller.role == Role::Admin;
    let rows =
        s.db.changes_since(since, caller.team.as_deref(), all)
            .await?;
    let mut out = Changes {
        cursor: rows.last().map_or(since, |r| r.seq).to_string(),
        ..Changes::default()
    };
    for r in rows {
        let bad = |e: serde_json::Error| {
            ApiError::Internal(format!("change {} is not valid {}: {e}", r.seq, r.kind))
        };
        match r.kind.as_str() {
            "questionnaire_version" => out
                .questionnaire_versions
                .push(serde_json::from_str::<QuestionnaireVersion>(&r.body).map_err(bad)?),
            "assignment" => out
                .assignments
                .push(serde_json::from_str::<Assignment>(&r.body).map_err(bad)?),
            "decision" => out
                .decisions
                .push(serde_json::from_str::<Decision>(&r.body).map_err(bad)?),
            "case_list" => out
                .case_lists
                .push(serde_json::from_str(&r.body).map_err(bad)?),
            "outcome_table" => out
                .outcome_tables
                .push(serde_json::from_str(&r.body).map_err(bad)?),
            other => {
                return Err(ApiError::Internal(format!(
                    "change {} has unknown kind {other}",
                    r.seq
                )))
            }
        }
    }
    Ok(Json(out))
}

pub async fn interviews(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<InterviewList>, ApiError> {
    caller.require(
        &[Role::Supervisor, Role::Admin],
        "list the interviews of a team",
    )?;
    let asked = q.get("team").map(String::as_str);
    let team = match caller.role {
        Role::Admin => asked,
        _ => {
            let own = caller
                .team
                .as_deref()
                .ok_or_else(|| ApiError::Forbidden("this supervisor has no team".into()))?;
            if asked.is_some_and(|t| t != own) {
                return Err(ApiError::Forbidden(format!(
                    "a supervisor of team {own} may not see another team"
                )));
            }
            Some(own)
        }
    };
    // `since` (Unix ms, this server's clock) asks only for what was received from
    // then on, so a supervisor's device need not pull the whole team list each sync.
    let since = match q.get("since") {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| ApiError::BadRequest {
            code: "bad_since",
            message: format!("since must be a time in Unix milliseconds, not {v:?}"),
        })?),
    };
    // Every revision is stored; the list shows each interview's latest.
    let rows = crate::review::latest_revisions(s.db.records("interview", team, since).await?);
    let interviews = rows
        .into_iter()
        .map(received)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(InterviewList { interviews }))
}

/// Publishes a questionnaire version to every device (admins only).
pub async fn publish_questionnaire(
    State(s): State<AppState>,
    caller: Caller,
    Body(q): Body<QuestionnaireVersion>,
) -> Result<Json<Published>, ApiError> {
    caller.require(&[Role::Admin], "publish questionnaires")?;
    let (Some(name), Some(b64)) = (q.file_name.as_deref(), q.source_base64.as_deref()) else {
        return Err(ApiError::BadRequest {
            code: "bad_questionnaire",
            message: "file_name and source_base64 (the form file itself) are required: \
                      devices install a version from its file, and the server checks it first"
                .into(),
        });
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| ApiError::BadRequest {
            code: "bad_questionnaire",
            message: format!("source_base64 is not standard base64: {e}"),
        })?;
    // The same importer the devices run, so a form they would refuse never reaches them.
    let compiled = crate::forms::compile(&bytes, name).map_err(|e| ApiError::BadRequest {
        code: "invalid_questionnaire",
        message: e.to_string(),
    })?;
    // The id and version are the form's own; a request that names others is a mistake to report.
    for (field, asked, found) in [
        (
            "questionnaire_id",
            &q.questionnaire_id,
            &compiled.questionnaire_id,
        ),
        ("version", &q.version, &compiled.version),
    ] {
        if !asked.is_empty() && asked != found {
            return Err(ApiError::BadRequest {
                code: "bad_questionnaire",
                message: format!("{field} {asked:?} does not match the form file's {found:?}"),
            });
        }
    }
    publish(&s, "questionnaire_version", None, &compiled).await
}

/// Hands a case to a team: supervisors to their own team, admins to any (or to everyone).
pub async fn publish_assignment(
    State(s): State<AppState>,
    caller: Caller,
    Body(p): Body<PublishAssignment>,
) -> Result<Json<Published>, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "hand out assignments")?;
    let team = match caller.role {
        Role::Admin => p.team,
        _ => {
            let own = caller
                .team
                .clone()
                .ok_or_else(|| ApiError::Forbidden("this supervisor has no team".into()))?;
            if p.team.as_ref().is_some_and(|t| *t != own) {
                return Err(ApiError::Forbidden(format!(
                    "a supervisor of team {own} may not assign to another team"
                )));
            }
            Some(own)
        }
    };
    publish(&s, "assignment", team.as_deref(), &p.assignment).await
}

/// Records a decision on a received interview; it flows back to the devices of the interview's team.
pub async fn publish_decision(
    State(s): State<AppState>,
    caller: Caller,
    Body(d): Body<Decision>,
) -> Result<Json<Published>, ApiError> {
    crate::review::publish_decision(&s, &caller, d)
        .await
        .map(Json)
}

async fn publish<T: serde::Serialize>(
    s: &AppState,
    kind: &str,
    team: Option<&str>,
    body: &T,
) -> Result<Json<Published>, ApiError> {
    let text = serde_json::to_string(body)
        .map_err(|e| ApiError::Internal(format!("cannot serialize a {kind}: {e}")))?;
    let seq = s.db.publish_change(kind, team, &text).await?;
    Ok(Json(Published {
        cursor: seq.to_string(),
    }))
}

/// Device tokens visible to the caller: admins all, supervisors their team's.
pub async fn devices(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DeviceRow>>, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "list devices")?;
    let rows = s.db.devices().await?;
    Ok(Json(
        rows.into_iter()
            .filter(|d| caller.role == Role::Admin || d.team == caller.team)
            .collect(),
    ))
}

/// Revokes every live token of a device (lost or stolen): admins any device, supervisors only their team's.
pub async fn revoke_device(
    State(s): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "revoke devices")?;
    let live: Vec<DeviceRow> =
        s.db.devices()
            .await?
            .into_iter()
            .filter(|d| d.device_id == device_id && d.revoked_at.is_none())
            .collect();
    if live.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no device {device_id} holds a live token"
        )));
    }
    if caller.role != Role::Admin && live.iter().any(|d| d.team != caller.team) {
        return Err(ApiError::Forbidden(
            "this device is signed in by a user outside your team".into(),
        ));
    }
    let revoked = s.db.revoke_device(&device_id, (s.clock)()).await?;
    tracing::info!(by = %caller.user, device = %device_id, revoked, "device revoked");
    Ok(Json(
        serde_json::json!({ "device_id": device_id, "revoked": revoked }),
    ))
}

fn received(r: StoredRecord) -> Result<ReceivedInterview, ApiError> {
    let (interview_id, revision) = crate::review::revision_of(&r);
    let payload = serde_json::from_str(&r.payload)
        .map_err(|e| ApiError::Internal(format!("stored record {} is not JSON: {e}", r.id)))?;
    Ok(ReceivedInterview {
        id: r.id,
        kind: r.kind,
        device_id: r.device_id,
        user: r.user,
        team: r.team,
        payload_hash: r.payload_hash,
        payload,
        received_at: r.received_at,
        interview_id,
        revision,
    })
}

/// Writes every stored interview as one JSON object per line, oldest first, payload as stored.
pub async fn export_jsonl(
    db: &dyn crate::db::Database,
    out: &mut dyn std::io::Write,
) -> Result<usize, ApiError> {
    let rows = db.records("interview", None, None).await?;
    let n = rows.len();
    for r in rows {
        let line =
            serde_json::to_string(&received(r)?).map_err(|e| ApiError::Internal(e.to_string()))?;
        writeln!(out, "{line}")
            .map_err(|e| ApiError::Internal(format!("cannot write the export: {e}")))?;
    }
    Ok(n)
}

/// The team an attachment is filed under for the caller: their own, or '' without one.
fn attachment_team(caller: &Caller) -> &str {
    caller.team.as_deref().unwrap_or("")
}

fn check_hash(hash: &str) -> Result<(), ApiError> {
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(ApiError::BadRequest {
            code: "bad_hash",
            message: format!("`{hash}` is not a lower-case hex SHA-256"),
        })
    }
}

/// Which of a device's attachments the server lacks for the caller's team, so only those are uploaded.
pub async fn attachments_missing(
    State(s): State<AppState>,
    caller: Caller,
    Body(q): Body<canvass_protocol::AttachmentHashes>,
) -> Result<Json<canvass_protocol::AttachmentsMissing>, ApiError> {
    caller.require(
        &[Role::Interviewer, Role::Supervisor, Role::Admin],
        "send attachments",
    )?;
    if q.hashes.len() > 1000 {
        return Err(ApiError::BadRequest {
            code: "too_many",
            message: format!(
                "{} hashes in one request; ask for at most 1000",
                q.hashes.len()
            ),
        });
    }
    for h in &q.hashes {
        check_hash(h)?;
    }
    let missing =
        s.db.attachments_missing(attachment_team(&caller), &q.hashes)
            .await?;
    Ok(Json(canvass_protocol::AttachmentsMissing { missing }))
}

/// Stores one attachment: the body's SHA-256 must be the hash in the path.
/// Sending it again is harmless (`added: false`).
pub async fn put_attachment(
    State(s): State<AppState>,
    caller: Caller,
    Path(hash): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<canvass_protocol::AttachmentStored>, ApiError> {
    use sha2::{Digest, Sha256};
    // Over the limit is 413 `too_large` with the limit in words, as for batches.
    let body = body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: s.limits.max_attachment_bytes,
            }
        } else {
            ApiError::BadRequest {
                code: "bad_body",
                message: rej.body_text(),
            }
        }
    })?;
    caller.require(
        &[Role::Interviewer, Role::Supervisor, Role::Admin],
        "send attachments",
    )?;
    check_hash(&hash)?;
    let actual: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != hash {
        return Err(ApiError::BadRequest {
            code: "hash_mismatch",
            message: format!(
                "the body's SHA-256 is {actual}, not {hash}; the upload was damaged or mislabelled"
            ),
        });
    }
    let added =
        s.db.put_attachment(
            attachment_team(&caller),
            &caller.user,
            &hash,
            &body,
            (s.clock)(),
        )
        .await?;
    Ok(Json(canvass_protocol::AttachmentStored { hash, added }))
}

/// One attachment's bytes, for supervisors of a team that holds it and for admins.
pub async fn get_attachment(
    State(s): State<AppState>,
    caller: Caller,
    Path(hash): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "read attachments")?;
    check_hash(&hash)?;
    let team = match caller.role {
        Role::Admin => None,
        _ => Some(attachment_team(&caller)),
    };
    match s.db.attachment(team, &hash).await? {
        Some(bytes) => Ok((
            [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response()),
        None => Err(ApiError::NotFound(format!(
            "no attachment {hash} for this team"
        ))),
    }
}
