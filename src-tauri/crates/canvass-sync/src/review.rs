//! The review desk's traffic: supervisors' decisions sent from the outbox, and the team's interviews pulled for review.
//!
//! A decision row goes to `POST /v1/decisions` on its own (the server checks
//! role and team per decision); the same classification as batches applies:
//! accepted → acked, refused (403, 404, 409, 400) → rejected with the reason,
//! retryable → backoff and the pass stops, 401 → the token is forgotten. The
//! server keys decisions by their id, so a resend after a lost answer is harmless.

use canvass_protocol::{Decision, ReceivedInterview};
use canvass_store::{OutboxEntry, OutboxUpdate, PulledInterview, ReviewDecisionRow, Store};

use crate::client::Server;
use crate::error::{chain, Error, Result};
use crate::pass::{retry, PassSummary, Rejection};

/// The outbox kind of a supervisor's decision.
pub const DECISION_KIND: &str = "decision";

/// The local row of a pulled decision. Decisions from older servers carry no id;
/// their content names them, so pulling one twice still stores it once.
pub(crate) fn review_row(d: &Decision) -> ReviewDecisionRow {
    ReviewDecisionRow {
        id: d
            .id
            .clone()
            .unwrap_or_else(|| format!("{}:{}:{}", d.interview_id, d.decided_at, d.decision)),
        interview_id: d.interview_id.clone(),
        revision: d.revision.unwrap_or(1),
        decision: d.decision.clone(),
        comment: d.comment.clone(),
        // A list of strings always serializes.
        paths: serde_json::to_string(&d.paths).unwrap_or_else(|_| "[]".into()),
        decided_by: d.decided_by.clone(),
        decided_at: d.decided_at,
        origin: "server".into(),
        applied_at: None,
    }
}

/// Sends due decision rows one by one and records each answer in the outbox.
pub(crate) async fn push_decisions(
    store: &mut Store,
    server: &Server,
    token: &str,
    rows: Vec<OutboxEntry>,
    now: i64,
    seed: u64,
    s: &mut PassSummary,
) -> Result<()> {
    let mut rest = rows.into_iter();
    while let Some(e) = rest.next() {
        s.batches += 1;
        s.bytes_sent += e.payload.len();
        match server.post_decision(token, &e.payload).await {
            Ok(()) => {
                s.accepted += 1;
                store.apply_outbox_updates(&[OutboxUpdate::Acked { id: e.id.clone() }])?;
            }
            Err(err) if err.needs_sign_in() => {
                store.clear_token()?;
                s.deferred += 1 + rest.len();
                return Err(err);
            }
            Err(err) if err.is_retryable() => {
                let why = chain(&err);
                let floor = err.retry_after_ms().unwrap_or(0);
                let updates: Vec<OutboxUpdate> = std::iter::once(e)
                    .chain(rest)
                    .map(|r| retry(&r, &why, now, seed, floor))
                    .collect();
                s.deferred += updates.len();
                store.apply_outbox_updates(&updates)?;
                return Err(err);
            }
            Err(err) => {
                let (status, reason) = match &err {
                    Error::Refused { code, message, .. } => (code.clone(), message.clone()),
                    other => ("invalid".to_owned(), chain(other)),
                };
                s.invalid += 1;
                store.apply_outbox_updates(&[OutboxUpdate::Rejected {
                    id: e.id.clone(),
                    reason: format!("{status}: {reason}"),
                }])?;
                s.rejected.push(Rejection {
                    id: e.id,
                    status,
                    reason,
                });
            }
        }
    }
    Ok(())
}

/// How far before the pull cursor each pull of the team's interviews starts again.
pub const TEAM_PULL_OVERLAP_MS: i64 = 5 * 60_000;

/// Pulls the latest revision of each of the team's interviews into the local store
/// (origin `server`, never in the outbox); returns how many were new or newer.
pub async fn pull_team_interviews(
    store: &mut Store,
    now_ms: i64,
    timeout: std::time::Duration,
) -> Result<usize> {
    let settings = store.sync_settings(&crate::pass::new_id(now_ms))?;
    let (Some(url), Some(token)) = (settings.server_url.as_deref(), settings.token.as_deref())
    else {
        return Err(Error::NotSignedIn);
    };
    let server = Server::new(url, timeout)?;
    // Only what the server received since the newest record held, less an overlap:
    // a record whose ingest was still committing when the newest one was listed
    // carries an earlier time and must not fall behind the cursor. Records seen
    // twice change nothing (the same revision is skipped).
    let since = store
        .team_pull_cursor()?
        .map(|t| t.saturating_sub(TEAM_PULL_OVERLAP_MS));
    let list = match server.team_interviews(token, since).await {
        Ok(l) => l,
        Err(e) => {
            if e.needs_sign_in() {
                store.clear_token()?;
            }
            return Err(e);
        }
    };
    let rows: Vec<PulledInterview> = list
        .interviews
        .iter()
        .filter_map(|r| pulled(r, now_ms))
        .collect();
    Ok(store.store_pulled_interviews(&rows)?)
}

/// The local row of one pulled interview; a record without a questionnaire is not an interview to review.
fn pulled(r: &ReceivedInterview, now_ms: i64) -> Option<PulledInterview> {
    let p = &r.payload;
    let text = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let int = |k: &str| p.get(k).and_then(|v| v.as_i64());
    let answers = p
        .get("answers")
        .and_then(|a| a.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let interview_id = if r.interview_id.is_empty() {
        r.id.clone()
    } else {
        r.interview_id.clone()
    };
    Some(PulledInterview {
        interview_id,
        record_id: r.id.clone(),
        revision: r.revision.max(1),
        interviewer: r.user.clone(),
        device_id: r.device_id.clone(),
        team: r.team.clone(),
        questionnaire_id: text("questionnaire_id")?,
        questionnaire_version: text("questionnaire_version").unwrap_or_else(|| "1".into()),
        created_at: int("created_at").unwrap_or(r.received_at),
        completed_at: int("completed_at").unwrap_or(r.received_at),
        answers,
        payload: p.to_string(),
        received_at: now_ms,
        server_received_at: r.received_at,
    })
}
