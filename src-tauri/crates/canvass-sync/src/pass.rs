//! One sync pass: plan the due outbox rows, push them batch by batch, apply each answer, pull changes, log.
//!
//! Each batch's answer is applied to the outbox in one local transaction:
//! accepted and duplicate rows become `acked`, conflict and invalid rows
//! `rejected` with the server's reason (never resent, never blocking others).
//! A 413 splits the batch in two and sends the halves first; a single item
//! the server finds too large is rejected. A retryable failure stops the pass
//! and gives the batch's rows a backoff; later batches are left untouched. A
//! 401 forgets the token and stops. A lost response is harmless: the resend
//! comes back `duplicate`. Every pass, whatever happens, appends one sync-log row.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use canvass_protocol::{ItemStatus, LoginRequest, LoginResponse, PushBatch, PushResponse};
use canvass_store::{
    OutboxEntry, OutboxUpdate, ReceivedAssignment, ReceivedChanges, ReceivedDecision,
    ReceivedQuestionnaire, Store, SyncLogEntry,
};
use serde::Serialize;

use crate::client::{Server, DEFAULT_TIMEOUT};
use crate::error::{chain, Error, Result};
use crate::plan::{backoff_ms, plan, split, Batch, Limits};

/// A source of Unix milliseconds UTC (the app's injected clock).
pub type Clock<'a> = &'a (dyn Fn() -> i64 + Send + Sync);

/// Knobs of a pass.
#[derive(Debug, Clone, Copy)]
pub struct PassOptions {
    pub limits: Limits,
    /// Seed of the backoff jitter; the app passes a value derived from its clock, tests a constant.
    pub seed: u64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Send rows still in backoff too: a person pressed "sync now", so waiting helps nobody.
    /// Automatic passes leave it false, which is what the backoff is for.
    pub retry_now: bool,
}

impl Default for PassOptions {
    fn default() -> PassOptions {
        PassOptions {
            limits: Limits::default(),
            seed: 0,
            timeout: DEFAULT_TIMEOUT,
            retry_now: false,
        }
    }
}

/// Which part of a pass is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Photo, audio and file answers are going to the server, before the
    /// interviews that name them; reported only when files are waiting.
    Uploading,
    /// Batches of outbox rows are going to the server.
    Pushing,
    /// Pages of changes are coming from the server.
    Pulling,
}

/// Where a running pass is, for a progress bar.
///
/// A pass reports once before its first batch, after every batch and after
/// every page of changes. `batches_planned` can grow during a pass: a batch the
/// server finds too large is split in two and both halves are counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub batches_done: usize,
    pub batches_planned: usize,
    /// Outbox rows the server has answered for (or that were settled without sending).
    pub items_done: usize,
    pub items_planned: usize,
    pub bytes_sent: usize,
    /// Changes pulled so far.
    pub changes: usize,
    /// Files settled so far (sent, found already on the server, or refused) of those waiting.
    pub files_done: usize,
    pub files_planned: usize,
    /// The bytes of those files: a photo can take minutes on a field connection,
    /// so the bar follows bytes rather than files.
    pub file_bytes_done: usize,
    pub file_bytes_planned: usize,
}

/// Receives a pass's progress; it must return quickly, since the pass waits for it.
pub type ProgressSink<'a> = &'a (dyn Fn(&Progress) + Send + Sync);

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything due was answered (some rows may have been rejected) and changes were pulled.
    Ok,
    /// Nothing was due and no changes came.
    NothingToDo,
    /// A retryable failure; rows stay pending with a backoff.
    RetryLater,
    /// Not signed in, or the server refused the token: sign in again.
    Unauthorized,
    /// A failure waiting will not fix (e.g. 403); nothing was lost.
    Failed,
}

impl Outcome {
    /// The stable code stored in the sync log.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NothingToDo => "nothing_to_do",
            Outcome::RetryLater => "retry_later",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Failed => "failed",
        }
    }
}

/// A row the server refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub id: String,
    /// `conflict`, `invalid` or `too_large`.
    pub status: String,
    pub reason: String,
}

/// What one pass did; also what `canvass sync` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassSummary {
    pub outcome: Outcome,
    pub batches: usize,
    pub accepted: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub invalid: usize,
    /// Rows still pending after the pass (to retry later).
    pub deferred: usize,
    pub bytes_sent: usize,
    pub changes: usize,
    /// Attachments (photos, recordings, files) uploaded in this pass.
    pub attachments_sent: usize,
    pub rejected: Vec<Rejection>,
    pub error: Option<String>,
    /// The sync-log row of this pass.
    pub log_id: i64,
}

impl PassSummary {
    fn new() -> PassSummary {
        PassSummary {
            outcome: Outcome::Ok,
            batches: 0,
            accepted: 0,
            duplicate: 0,
            conflict: 0,
            invalid: 0,
            deferred: 0,
            bytes_sent: 0,
            changes: 0,
            attachments_sent: 0,
            rejected: Vec::new(),
            error: None,
            log_id: 0,
        }
    }
}

/// A fresh UUID v7 at `now_ms` (device and batch ids).
pub fn new_id(now_ms: i64) -> String {
    let ms = now_ms.max(0) as u64;
    let ts =
        uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    uuid::Uuid::new_v7(ts).to_string()
}

/// Signs in to `server_url` as `user` from this device and stores the token.
pub async fn login(
    store: &mut Store,
    now_ms: i64,
    server_url: &str,
    user: &str,
    password: &str,
    timeout: Duration,
) -> Result<LoginResponse> {
    let device_id = store.sync_settings(&new_id(now_ms))?.device_id;
    let server = Server::new(server_url, timeout)?;
    let req = LoginRequest {
        user: user.to_owned(),
        password: password.to_owned(),
        device_id: device_id.clone(),
    };
    let resp = server.login(&req).await?;
    store.save_login(
        &device_id,
        server_url.trim_end_matches('/'),
        user,
        &resp.token,
    )?;
    Ok(resp)
}

/// Runs one pass and logs it. `Err` only when the local database fails; every
/// network or server problem is in the summary (and the log) instead.
pub async fn sync_pass(
    store: &mut Store,
    clock: Clock<'_>,
    opts: &PassOptions,
) -> Result<PassSummary> {
    sync_pass_reporting(store, clock, opts, &|_| {}).await
}

/// [`sync_pass`], telling `progress` how far it got after every batch and page.
pub async fn sync_pass_reporting(
    store: &mut Store,
    clock: Clock<'_>,
    opts: &PassOptions,
    progress: ProgressSink<'_>,
) -> Result<PassSummary> {
    let started = clock();
    let mut s = PassSummary::new();
    let result = push_and_pull(store, started, opts, &mut s, progress).await;
    if let Err(e) = result {
        if let Error::Store(_) = e {
            return Err(e);
        }
        s.outcome = if e.needs_sign_in() {
            Outcome::Unauthorized
        } else if e.is_retryable() {
            Outcome::RetryLater
        } else {
            Outcome::Failed
        };
        s.error = Some(chain(&e));
    } else if s.batches == 0 && s.changes == 0 && s.attachments_sent == 0 {
        s.outcome = Outcome::NothingToDo;
    }
    let log = SyncLogEntry {
        id: 0,
        started_at: started,
        finished_at: clock(),
        outcome: s.outcome.as_str().into(),
        batches: s.batches as i64,
        accepted: s.accepted as i64,
        duplicate: s.duplicate as i64,
        conflict: s.conflict as i64,
        invalid: s.invalid as i64,
        deferred: s.deferred as i64,
        bytes_sent: s.bytes_sent as i64,
        changes: s.changes as i64,
        error: s.error.clone(),
    };
    s.log_id = store.add_sync_log(&log)?;
    Ok(s)
}

async fn push_and_pull(
    store: &mut Store,
    now: i64,
    opts: &PassOptions,
    s: &mut PassSummary,
    progress: ProgressSink<'_>,
) -> Result<()> {
    let settings = store.sync_settings(&new_id(now))?;
    let due_by = if opts.retry_now { i64::MAX } else { now };
    let (Some(url), Some(token)) = (settings.server_url.as_deref(), settings.token.as_deref())
    else {
        s.deferred = store.due_outbox(due_by)?.len();
        return Err(Error::NotSignedIn);
    };
    let server = Server::new(url, opts.timeout)?;
    let mut at = Progress {
        stage: Stage::Uploading,
        batches_done: 0,
        batches_planned: 0,
        items_done: 0,
        items_planned: 0,
        bytes_sent: 0,
        changes: 0,
        files_done: 0,
        files_planned: 0,
        file_bytes_done: 0,
        file_bytes_planned: 0,
    };
    // Attachments first, so the server holds every file an interview it accepts refers to.
    crate::attachments::upload(&server, token, store, now, s, &mut at, progress).await?;
    // Supervisors' decisions go one by one to their own endpoint, which checks role and team.
    let (decisions, due): (Vec<OutboxEntry>, Vec<OutboxEntry>) = store
        .due_outbox(due_by)?
        .into_iter()
        .partition(|e| e.kind == crate::review::DECISION_KIND);
    crate::review::push_decisions(store, &server, token, decisions, now, opts.seed, s).await?;
    let mut queue: VecDeque<Batch> = plan(&due, opts.limits).into();
    at.stage = Stage::Pushing;
    at.batches_planned = queue.len();
    at.items_planned = queue.iter().map(|b| b.items.len()).sum();
    progress(&at);
    while let Some(mut batch) = queue.pop_front() {
        let items = batch.items.len();
        let (body, unsendable) = request_body(&settings.device_id, now, &batch);
        if !unsendable.is_empty() {
            // Rows rejected here are settled; the rest of the batch is what the server will answer for.
            batch
                .items
                .retain(|e| !unsendable.iter().any(|u| u.id == e.id));
            reject(store, s, unsendable)?;
        }
        let Some(body) = body else {
            // Every row of the batch was settled here; nothing goes out for it.
            at.batches_done += 1;
            at.items_done += items;
            progress(&at);
            continue;
        };
        match server.push(token, &body).await {
            Ok((resp, sent)) => {
                s.batches += 1;
                s.bytes_sent += sent;
                apply(store, s, &batch, &resp, now, opts.seed)?;
                at.batches_done += 1;
                at.items_done += items;
                at.bytes_sent = s.bytes_sent;
                progress(&at);
            }
            Err(Error::TooLarge { message }) => {
                s.batches += 1;
                let ids: Vec<String> = batch.items.iter().map(|e| e.id.clone()).collect();
                match split(batch) {
                    Some((a, b)) => {
                        queue.push_front(b);
                        queue.push_front(a);
                        // The refused batch became two; its items are still to come.
                        at.batches_planned += 1;
                    }
                    None => {
                        let one = ids.into_iter().map(|id| Rejection {
                            id,
                            status: "too_large".into(),
                            reason: format!("larger than the server accepts: {message}"),
                        });
                        reject(store, s, one.collect())?;
                        at.batches_done += 1;
                        at.items_done += items;
                        progress(&at);
                    }
                }
            }
            Err(e) => {
                if e.needs_sign_in() {
                    // The token is dead; keeping it would only repeat the refusal.
                    store.clear_token()?;
                } else {
                    let why = chain(&e);
                    // A server that says how long to wait (429, 503) is believed when that is longer.
                    let floor = e.retry_after_ms().unwrap_or(0);
                    let updates: Vec<OutboxUpdate> = batch
                        .items
                        .iter()
                        .map(|r| retry(r, &why, now, opts.seed, floor))
                        .collect();
                    store.apply_outbox_updates(&updates)?;
                }
                s.deferred +=
                    batch.items.len() + queue.iter().map(|b| b.items.len()).sum::<usize>();
                return Err(e);
            }
        }
    }
    // The server sends changes in pages; a pass pulls a bounded number of them
    // and the next pass goes on from the saved cursor.
    let mut cursor = settings.changes_cursor.clone();
    for _ in 0..MAX_CHANGE_PAGES {
        let changes = match server.changes(token, cursor.as_deref()).await {
            Ok(c) => c,
            Err(e) => {
                if e.needs_sign_in() {
                    store.clear_token()?;
                }
                return Err(e);
            }
        };
        let n = changes.questionnaire_versions.len()
            + changes.assignments.len()
            + changes.decisions.len()
            + changes.case_lists.len()
            + changes.outcome_tables.len();
        s.changes += n;
        // CATI lists first, idempotent by id: a crash before the cursor moves only brings them again.
        store.keep_cati_received(&cati_received(&changes, now))?;
        // The page and its cursor in one local transaction: a crash keeps both or neither.
        store.apply_received(&received(&changes, now), &changes.cursor)?;
        at.stage = Stage::Pulling;
        at.changes = s.changes;
        progress(&at);
        if n == 0 || cursor.as_deref() == Some(changes.cursor.as_str()) {
            break;
        }
        cursor = Some(changes.cursor);
    }
    Ok(())
}

/// The local rows of one page of changes. A form file that is not valid base64 is kept
/// with its problem, so the sync screen can say which version could not be installed.
fn received(c: &canvass_protocol::Changes, now: i64) -> ReceivedChanges {
    use base64::Engine as _;
    let questionnaires = c
        .questionnaire_versions
        .iter()
        .map(|q| {
            let decoded = q.source_base64.as_deref().map(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .map_err(|e| {
                        format!("the server sent a form file that is not valid base64: {e}")
                    })
            });
            let (source, problem) = match decoded {
                None => (
                    None,
                    Some("the server sent this version without its form file".to_owned()),
                ),
                Some(Ok(bytes)) => (Some(bytes), None),
                Some(Err(why)) => (None, Some(why)),
            };
            ReceivedQuestionnaire {
                questionnaire_id: q.questionnaire_id.clone(),
                version: q.version.clone(),
                file_name: q.file_name.clone(),
                source,
                definition: q.definition.to_string(),
                received_at: now,
                state: if problem.is_some() {
                    "refused"
                } else {
                    "received"
                }
                .to_owned(),
                problem,
            }
        })
        .collect();
    let assignments = c
        .assignments
        .iter()
        .map(|a| ReceivedAssignment {
            id: a.id.clone(),
            questionnaire_id: a.questionnaire_id.clone(),
            assignee: a.assignee.clone(),
            body: a.body.to_string(),
            received_at: now,
        })
        .collect();
    let decisions = c
        .decisions
        .iter()
        .map(|d| ReceivedDecision {
            interview_id: d.interview_id.clone(),
            decision: d.decision.clone(),
            comment: d.comment.clone(),
            decided_at: d.decided_at,
            received_at: now,
        })
        .collect();
    ReceivedChanges {
        questionnaires,
        assignments,
        decisions,
        reviews: c.decisions.iter().map(crate::review::review_row).collect(),
    }
}

/// The CATI case lists and outcome tables of one page of changes, as the store keeps them.
fn cati_received(c: &canvass_protocol::Changes, now: i64) -> Vec<canvass_store::CatiReceived> {
    let row = |id: &str, kind: &str, study_id: &str, body: String| canvass_store::CatiReceived {
        id: id.to_owned(),
        kind: kind.to_owned(),
        study_id: study_id.to_owned(),
        body,
        received_at: now,
        state: "received".into(),
        problem: None,
    };
    // Serializing a value that was just deserialized cannot fail.
    let mut out: Vec<_> = c
        .case_lists
        .iter()
        .map(|l| {
            let body = serde_json::to_string(l).unwrap_or_default();
            row(&l.id, "case_list", &l.study_id, body)
        })
        .collect();
    out.extend(c.outcome_tables.iter().map(|t| {
        let body = serde_json::to_string(t).unwrap_or_default();
        row(&t.id, "outcome_table", &t.study_id, body)
    }));
    out
}

/// Most pages of changes one pass pulls.
const MAX_CHANGE_PAGES: usize = 20;

/// The JSON body of a batch, and the rows that cannot be sent because their payload is not JSON.
fn request_body(device_id: &str, now: i64, batch: &Batch) -> (Option<Vec<u8>>, Vec<Rejection>) {
    let mut items = Vec::with_capacity(batch.items.len());
    let mut bad = Vec::new();
    for e in &batch.items {
        match serde_json::value::RawValue::from_string(e.payload.clone()) {
            Ok(payload) => items.push(canvass_protocol::Item {
                id: e.id.clone(),
                kind: e.kind.clone(),
                payload,
                payload_hash: e.payload_hash.clone(),
            }),
            Err(err) => bad.push(Rejection {
                id: e.id.clone(),
                status: "invalid".into(),
                reason: format!("the stored payload is not JSON: {err}"),
            }),
        }
    }
    if items.is_empty() {
        return (None, bad);
    }
    let body = PushBatch {
        device_id: device_id.to_owned(),
        batch_id: new_id(now),
        items,
    };
    // Serializing strings and RawValues that already parsed cannot fail.
    (serde_json::to_vec(&body).ok(), bad)
}

pub(crate) fn retry(
    e: &OutboxEntry,
    why: &str,
    now: i64,
    seed: u64,
    floor_ms: i64,
) -> OutboxUpdate {
    OutboxUpdate::Retry {
        id: e.id.clone(),
        error: why.to_owned(),
        next_attempt_at: now + backoff_ms(e.attempts + 1, seed, &e.id).max(floor_ms),
    }
}

fn reject(store: &mut Store, s: &mut PassSummary, rows: Vec<Rejection>) -> Result<()> {
    let updates: Vec<OutboxUpdate> = rows
        .iter()
        .map(|r| OutboxUpdate::Rejected {
            id: r.id.clone(),
            reason: format!("{}: {}", r.status, r.reason),
        })
        .collect();
    store.apply_outbox_updates(&updates)?;
    s.invalid += rows.iter().filter(|r| r.status != "conflict").count();
    s.rejected.extend(rows);
    Ok(())
}

/// Applies one batch's answer in one local transaction.
fn apply(
    store: &mut Store,
    s: &mut PassSummary,
    batch: &Batch,
    resp: &PushResponse,
    now: i64,
    seed: u64,
) -> Result<()> {
    let by_id: HashMap<&str, _> = resp.items.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut updates = Vec::with_capacity(batch.items.len());
    for e in &batch.items {
        let Some(r) = by_id.get(e.id.as_str()) else {
            // The server skipped an item: treat it like a lost answer and resend later.
            s.deferred += 1;
            updates.push(retry(
                e,
                "the server did not answer for this item",
                now,
                seed,
                0,
            ));
            continue;
        };
        let reason = || r.reason.clone().unwrap_or_default();
        updates.push(match r.status {
            ItemStatus::Accepted => {
                s.accepted += 1;
                OutboxUpdate::Acked { id: e.id.clone() }
            }
            ItemStatus::Duplicate => {
                s.duplicate += 1;
                OutboxUpdate::Acked { id: e.id.clone() }
            }
            ItemStatus::Conflict | ItemStatus::Invalid => {
                if r.status == ItemStatus::Conflict {
                    s.conflict += 1;
                } else {
                    s.invalid += 1;
                }
                let status = r.status.as_str().to_owned();
                s.rejected.push(Rejection {
                    id: e.id.clone(),
                    status: status.clone(),
                    reason: reason(),
                });
                OutboxUpdate::Rejected {
                    id: e.id.clone(),
                    reason: format!("{status}: {}", reason()),
                }
            }
        });
    }
    store.apply_outbox_updates(&updates)?;
    Ok(())
}
