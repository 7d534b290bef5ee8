//! The review desk: supervisors approve or reject interviews; rejected interviews reopen on their interviewer's device.
//!
//! A supervisor's decision is written with its outbox row and a paradata event
//! in one transaction, so it is never lost offline; sync sends it to the
//! server, which publishes it to the interviewer's team. On the interviewer's
//! next sync, a rejection of the interview's current revision reopens it
//! (status `rejected`, the next revision number, at the first commented
//! question), with `review_rejected` and `reopen` events in its session log;
//! completing it again sends the new revision. An approval is logged as
//! `review_approved`.
//!
//! Supervisor mode lists the team's interviews pulled from the server with
//! filters, shows one interview's answers with their question text and its
//! session log as a timeline, and flags suspicious work from that log.

use std::collections::{BTreeMap, HashSet};

use canvass_store::{
    NewEvent, NewSession, OutboxRow, ReviewDecisionRow, ReviewInterviewRow, Write,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::interview::{absolute_events, find_form, new_id, App, ParadataEvent};
use crate::runner;

/// Default speeding threshold: fewer seconds than this per question is speeding.
pub const DEFAULT_SPEEDING_SECS: f64 = 3.0;
/// An interview whose questions took less than this in total is "very short".
pub const SHORT_INTERVIEW_MS: i64 = 60_000;
/// A gap longer than this between two events of one session is a "long pause".
pub const LONG_PAUSE_MS: i64 = 5 * 60_000;
/// This many corrections (changed or cleared answers) or more is "many corrections".
pub const MANY_CORRECTIONS: usize = 3;

/// One interview on the supervisor's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewRow {
    pub interview_id: String,
    pub interviewer: String,
    pub study_id: String,
    pub study_title: String,
    pub revision: i64,
    /// `waiting` (no decision on this revision yet), `approved` or `rejected`.
    pub review: String,
    pub completed_at: Option<i64>,
    /// Time spent on questions, from the session log.
    pub duration_ms: i64,
    pub questions: usize,
    pub flags: Vec<String>,
    /// The study's speeding threshold the flags used, seconds per question.
    pub speeding_secs: f64,
}

/// Filters of the supervisor's list; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ReviewFilter {
    pub interviewer: Option<String>,
    /// `waiting`, `approved` or `rejected`.
    pub review: Option<String>,
    pub study_id: Option<String>,
    /// Completed at or after this instant (Unix ms).
    pub from_ms: Option<i64>,
    /// Completed before this instant (Unix ms).
    pub to_ms: Option<i64>,
}

/// One answer in the viewer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewAnswer {
    pub path: String,
    /// The question text (label) in the form's default language.
    pub label: String,
    pub value: String,
    /// The answer was given but its question is not relevant in the final record.
    pub hidden: bool,
    /// Time spent on the question, all visits together.
    pub time_ms: i64,
    /// How often the answer was changed or cleared after first being given.
    pub corrections: usize,
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineStep {
    pub kind: String,
    pub node: Option<String>,
    pub label: Option<String>,
    pub start_ms: i64,
    pub duration_ms: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// A decision as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    pub id: String,
    pub revision: i64,
    pub decision: String,
    pub comment: Option<String>,
    pub paths: Vec<String>,
    pub decided_by: Option<String>,
    pub decided_at: i64,
    /// Still waiting to reach the server (made on this device, not yet acknowledged).
    pub pending: bool,
}

/// Everything the interview viewer shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewDetail {
    pub row: ReviewRow,
    pub answers: Vec<ReviewAnswer>,
    pub timeline: Vec<TimelineStep>,
    pub back_navigations: usize,
    pub corrections: usize,
    pub longest_pause_ms: i64,
    pub seconds_per_question: f64,
    pub decisions: Vec<DecisionView>,
}

/// A rejection the interviewer must act on, for the home list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewNote {
    pub interview_id: String,
    pub comment: Option<String>,
    pub paths: Vec<String>,
    pub decided_by: Option<String>,
    /// The revision the correction will be.
    pub revision: i64,
}

/// Measures of a session log.
#[derive(Debug, Clone, Default)]
struct Measures {
    duration_ms: i64,
    questions: usize,
    back: usize,
    corrections: usize,
    longest_pause_ms: i64,
    time_by_node: BTreeMap<String, i64>,
    corrections_by_node: BTreeMap<String, usize>,
}

fn measure(events: &[ParadataEvent]) -> Measures {
    let mut m = Measures::default();
    let mut shown: HashSet<&str> = HashSet::new();
    let mut answered: HashSet<&str> = HashSet::new();
    let mut last_by_session: BTreeMap<&str, i64> = BTreeMap::new();
    for e in events {
        let end = e.end_ms.unwrap_or(e.start_ms);
        if let Some(prev) = last_by_session.get(e.session_id.as_str()) {
            m.longest_pause_ms = m.longest_pause_ms.max(e.start_ms - prev);
        }
        let last = last_by_session.entry(e.session_id.as_str()).or_insert(end);
        *last = (*last).max(end);
        let node = e.node.as_deref().unwrap_or("");
        match e.kind.as_str() {
            "question" => {
                let d = (end - e.start_ms).max(0);
                m.duration_ms += d;
                // A question on screen for a long time is a pause too.
                m.longest_pause_ms = m.longest_pause_ms.max(d);
                *m.time_by_node.entry(node.to_owned()).or_default() += d;
                shown.insert(node);
            }
            "back" => m.back += 1,
            // The first answer a question gets is no correction; every later change or clearing is.
            "answer_set" | "answer_removed"
                if !answered.insert(node) || e.kind == "answer_removed" =>
            {
                m.corrections += 1;
                *m.corrections_by_node.entry(node.to_owned()).or_default() += 1;
            }
            _ => {}
        }
    }
    m.questions = shown.len();
    m
}

fn flags(m: &Measures, speeding_secs: f64) -> Vec<String> {
    let mut out = Vec::new();
    if m.duration_ms < SHORT_INTERVIEW_MS {
        out.push("short".to_owned());
    }
    if m.longest_pause_ms > LONG_PAUSE_MS {
        out.push("long_pause".to_owned());
    }
    if m.corrections >= MANY_CORRECTIONS {
        out.push("corrections".to_owned());
    }
    if m.questions > 0 && (m.duration_ms as f64 / 1000.0) / (m.questions as f64) < speeding_secs {
        out.push("speeding".to_owned());
    }
    out
}

/// The paradata a pulled payload carries.
#[derive(Deserialize)]
struct PayloadLog {
    #[serde(default)]
    paradata: Vec<canvass_protocol::PayloadEvent>,
}

fn parse_paths(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn hash_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl App {
    /// Approves or rejects the current revision of a completed interview.
    ///
    /// A rejection needs a comment; `paths` name the questions it is about. The
    /// decision, its outbox row and a `review_approved`/`review_rejected` event
    /// commit together, so it works offline and reaches the server on the next sync.
    pub fn decide(
        &self,
        interview_id: &str,
        decision: &str,
        comment: Option<&str>,
        paths: &[String],
    ) -> Result<DecisionView> {
        if decision != "approved" && decision != "rejected" {
            return Err(Error::InvalidReview {
                message: format!("a decision is approved or rejected, not {decision:?}"),
            });
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if decision == "rejected" && comment.is_none() {
            return Err(Error::InvalidReview {
                message: "a rejection needs a comment that tells the interviewer what to correct"
                    .into(),
            });
        }
        // The server checks again; refusing here spares an outbox row that could only be refused.
        if !self.is_supervisor()? {
            return Err(Error::InvalidReview {
                message:
                    "only a supervisor signed in on this device can approve or reject interviews"
                        .into(),
            });
        }
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let row = inner.store.review_interview(interview_id)?;
        if row.status != "completed" {
            return Err(Error::ReviewConflict {
                message: format!(
                    "interview {interview_id} is {}, not completed: there is nothing to decide yet",
                    row.status
                ),
            });
        }
        if inner
            .store
            .review_decisions(Some(interview_id))?
            .iter()
            .any(|d| d.revision == row.revision)
        {
            return Err(Error::ReviewConflict {
                message: format!(
                    "revision {} of interview {interview_id} already has a decision",
                    row.revision
                ),
            });
        }
        let decided_by = inner.store.read_sync_settings()?.and_then(|s| s.user_name);
        let id = new_id(now);
        let payload = serde_json::json!({
            "id": id,
            "interview_id": interview_id,
            "revision": row.revision,
            "decision": decision,
            "comment": comment,
            "paths": paths,
            "decided_at": now,
        })
        .to_string();
        let d = ReviewDecisionRow {
            id: id.clone(),
            interview_id: interview_id.to_owned(),
            revision: row.revision,
            decision: decision.to_owned(),
            comment: comment.map(str::to_owned),
            // A list of strings always serializes.
            paths: serde_json::to_string(paths).unwrap_or_else(|_| "[]".into()),
            decided_by: decided_by.clone(),
            decided_at: now,
            origin: "local".into(),
            applied_at: Some(now),
        };
        let outbox = OutboxRow {
            id: id.clone(),
            kind: canvass_sync::DECISION_KIND.into(),
            payload_hash: hash_hex(&payload),
            payload,
            created_at: now,
            state: "pending".into(),
        };
        let w = inner.store.write(interview_id)?;
        w.record_local_decision(&d, &outbox)?;
        self.log_review_event(&w, &row, &format!("review_{decision}"), &d)?;
        w.commit()?;
        Ok(DecisionView {
            id,
            revision: row.revision,
            decision: decision.to_owned(),
            comment: d.comment,
            paths: paths.to_vec(),
            decided_by,
            decided_at: now,
            pending: true,
        })
    }

    /// Applies pulled decisions to this device's interviews; returns how many interviews were reopened.
    ///
    /// A rejection of an interview's current, completed revision reopens it; an
    /// approval is logged. Decisions on other interviews (a colleague's, or
    /// pulled ones on a supervisor's device) are only marked applied. Each
    /// decision is applied in one transaction with its mark.
    pub fn apply_review_decisions(&self) -> canvass_store::Result<usize> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let waiting = inner.store.unapplied_review_decisions()?;
        let mut reopened = 0;
        for d in waiting {
            let row = match inner.store.review_interview(&d.interview_id) {
                Ok(r) => Some(r),
                Err(canvass_store::Error::InterviewNotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            let w = inner.store.write(&d.interview_id)?;
            if let Some(row) = row.filter(|r| {
                r.origin == "device" && r.status == "completed" && r.revision == d.revision
            }) {
                let kind = format!("review_{}", d.decision);
                let session = self.log_review_event(&w, &row, &kind, &d)?;
                if d.decision == "rejected" {
                    let paths = parse_paths(&d.paths);
                    w.reopen(row.revision + 1, paths.first().map(String::as_str), now)?;
                    w.event(&NewEvent {
                        session_id: session,
                        kind: "reopen".into(),
                        node: paths.first().cloned(),
                        new_value: Some((row.revision + 1).to_string()),
                        ..NewEvent::default()
                    })?;
                    reopened += 1;
                }
            }
            w.mark_decision_applied(&d.id, now)?;
            w.commit()?;
            // A reopened interview is rebuilt from the store when it is next opened.
            inner.instances.remove(&d.interview_id);
        }
        Ok(reopened)
    }

    /// A one-event session in the interview's log for a decision (`review_approved`, `review_rejected`).
    fn log_review_event(
        &self,
        w: &Write<'_>,
        row: &ReviewInterviewRow,
        kind: &str,
        d: &ReviewDecisionRow,
    ) -> canvass_store::Result<String> {
        let now = self.clock.now_ms();
        let session = new_id(now);
        w.start_session(&NewSession {
            id: session.clone(),
            started_at_ms: now,
            tz_offset_min: self.clock.utc_offset_min(),
            mode: "CAPI".into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            form_id: row.questionnaire_id.clone(),
            form_version: row.questionnaire_version.clone(),
        })?;
        let extra = serde_json::json!({
            "decision_id": d.id,
            "revision": d.revision,
            "comment": d.comment,
            "paths": parse_paths(&d.paths),
            "decided_by": d.decided_by,
        });
        w.event(&NewEvent {
            session_id: session.clone(),
            kind: kind.into(),
            node: parse_paths(&d.paths).into_iter().next(),
            new_value: d.comment.clone(),
            extra: Some(extra.to_string()),
            ..NewEvent::default()
        })?;
        Ok(session)
    }

    /// Rejections waiting for their interviewer: reopened interviews not yet completed again.
    pub fn review_notes(&self) -> Result<Vec<ReviewNote>> {
        let inner = self.lock();
        let mut out = Vec::new();
        for row in inner.store.review_interviews(Some("device"))? {
            if row.status == "completed" {
                continue;
            }
            let decisions = inner.store.review_decisions(Some(&row.id))?;
            let Some(d) = decisions.last().filter(|d| d.decision == "rejected") else {
                continue;
            };
            if d.revision + 1 != row.revision {
                continue;
            }
            out.push(ReviewNote {
                interview_id: row.id.clone(),
                comment: d.comment.clone(),
                paths: parse_paths(&d.paths),
                decided_by: d.decided_by.clone(),
                revision: row.revision,
            });
        }
        Ok(out)
    }

    /// The speeding threshold of a study, in seconds per question.
    pub fn speeding_threshold(&self, study_id: &str) -> Result<f64> {
        Ok(self
            .lock()
            .store
            .review_setting(&format!("speeding:{study_id}"))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_SPEEDING_SECS))
    }

    /// Sets a study's speeding threshold (seconds per question, above zero).
    pub fn set_speeding_threshold(&self, study_id: &str, seconds: f64) -> Result<()> {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(Error::InvalidReview {
                message: format!(
                    "a speeding threshold is a number of seconds above 0, not {seconds}"
                ),
            });
        }
        self.lock()
            .store
            .set_review_setting(&format!("speeding:{study_id}"), &seconds.to_string())?;
        Ok(())
    }

    /// Whether the signed-in account is a supervisor (or admin), as the server said at sign-in.
    pub fn is_supervisor(&self) -> canvass_store::Result<bool> {
        let role = self.lock().store.review_setting("role")?;
        Ok(matches!(role.as_deref(), Some("supervisor" | "admin")))
    }

    /// Remembers the role the server gave at sign-in.
    pub(crate) fn remember_role(&self, role: &str) -> canvass_store::Result<()> {
        self.lock().store.set_review_setting("role", role)
    }

    /// The team's interviews pulled for review, with filters, newest first.
    pub fn review_list(&self, filter: &ReviewFilter) -> Result<Vec<ReviewRow>> {
        let rows = self.lock().store.review_interviews(Some("server"))?;
        let mut out = Vec::new();
        for row in rows {
            let r = self.review_row(&row)?;
            let keep = filter
                .interviewer
                .as_deref()
                .is_none_or(|i| i.is_empty() || r.interviewer == i)
                && filter
                    .review
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || r.review == s)
                && filter
                    .study_id
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || r.study_id == s)
                && filter
                    .from_ms
                    .is_none_or(|f| r.completed_at.is_some_and(|c| c >= f))
                && filter
                    .to_ms
                    .is_none_or(|t| r.completed_at.is_some_and(|c| c < t));
            if keep {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn events_of(&self, row: &ReviewInterviewRow) -> Result<Vec<ParadataEvent>> {
        let inner = self.lock();
        if row.origin == "server" {
            let payload = inner
                .store
                .review_record(&row.id)?
                .map(|r| r.payload)
                .unwrap_or_default();
            let log: PayloadLog =
                serde_json::from_str(&payload).unwrap_or(PayloadLog { paradata: vec![] });
            return Ok(log
                .paradata
                .into_iter()
                .map(|e| ParadataEvent {
                    seq: e.seq,
                    session_id: e.session_id,
                    kind: e.kind,
                    node: e.node,
                    start_ms: e.start_ms,
                    end_ms: e.end_ms,
                    end_estimated: e.end_estimated,
                    tz_offset_min: e.tz_offset_min,
                    old_value: e.old_value,
                    new_value: e.new_value,
                })
                .collect());
        }
        let sessions = inner.store.sessions(&row.id)?;
        let events = inner.store.events(&row.id)?;
        Ok(absolute_events(&sessions, events))
    }

    fn review_row(&self, row: &ReviewInterviewRow) -> Result<ReviewRow> {
        let events = self.events_of(row)?;
        let m = measure(&events);
        let speeding = self.speeding_threshold(&row.questionnaire_id)?;
        let decisions = self.lock().store.review_decisions(Some(&row.id))?;
        let review = decisions
            .iter()
            .rev()
            .find(|d| d.revision == row.revision)
            .map_or("waiting".to_owned(), |d| d.decision.clone());
        let title = self
            .forms()
            .iter()
            .rev()
            .find(|f| f.id == row.questionnaire_id)
            .map_or(row.questionnaire_id.clone(), |f| f.title.clone());
        Ok(ReviewRow {
            interview_id: row.id.clone(),
            interviewer: row.interviewer.clone().unwrap_or_default(),
            study_id: row.questionnaire_id.clone(),
            study_title: title,
            revision: row.revision,
            review,
            completed_at: row.completed_at,
            duration_ms: m.duration_ms,
            questions: m.questions,
            flags: flags(&m, speeding),
            speeding_secs: speeding,
        })
    }

    /// The viewer: every answer with its question text, the timeline and the decisions.
    pub fn review_detail(&self, interview_id: &str) -> Result<ReviewDetail> {
        let row = self.lock().store.review_interview(interview_id)?;
        let events = self.events_of(&row)?;
        let m = measure(&events);
        let summary = self.review_row(&row)?;
        let answers_stored: Vec<(String, String)> = self
            .lock()
            .store
            .answers(interview_id)?
            .into_iter()
            .filter(|a| !a.value.is_empty())
            .map(|a| (a.item_path, a.value))
            .collect();
        let interview_row = self.lock().store.interview(interview_id)?;
        let form = find_form(&self.forms(), &interview_row)?;
        let inst = runner::rebuild(
            &form,
            runner::context(
                self.clock.now_ms(),
                self.clock.utc_offset_min(),
                interview_id,
                None,
            ),
            &answers_stored,
        );
        let label = |path: &str| inst.label(path).unwrap_or_default();
        let mut answers = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let screens = runner::screens(&inst);
        for &id in &screens {
            let path = inst.path_of_node(id);
            let q = runner::question_view(&inst, id, false, false);
            seen.insert(path.clone());
            answers.push(ReviewAnswer {
                time_ms: m.time_by_node.get(&path).copied().unwrap_or(0),
                corrections: m.corrections_by_node.get(&path).copied().unwrap_or(0),
                label: q.label,
                value: q.value,
                hidden: false,
                path,
            });
        }
        // Answers given during the interview whose questions are not relevant in the
        // final record: the last value each got, marked hidden.
        let mut last_given: BTreeMap<String, String> = BTreeMap::new();
        for e in &events {
            if let Some(node) = &e.node {
                match e.kind.as_str() {
                    "answer_set" => {
                        last_given.insert(node.clone(), e.new_value.clone().unwrap_or_default());
                    }
                    "answer_removed" => {
                        last_given.remove(node);
                    }
                    _ => {}
                }
            }
        }
        for (path, value) in answers_stored.iter().cloned().chain(last_given) {
            if seen.insert(path.clone()) {
                answers.push(ReviewAnswer {
                    label: label(&path),
                    time_ms: m.time_by_node.get(&path).copied().unwrap_or(0),
                    corrections: m.corrections_by_node.get(&path).copied().unwrap_or(0),
                    hidden: inst.find(&path).is_none_or(|n| !inst.is_relevant(n)),
                    value,
                    path,
                });
            }
        }
        let timeline = events
            .iter()
            .map(|e| TimelineStep {
                kind: e.kind.clone(),
                label: e.node.as_deref().map(label).filter(|l| !l.is_empty()),
                node: e.node.clone(),
                start_ms: e.start_ms,
                duration_ms: e.end_ms.map(|end| (end - e.start_ms).max(0)),
                old_value: e.old_value.clone(),
                new_value: e.new_value.clone(),
            })
            .collect();
        let pending: HashSet<String> = self
            .lock()
            .store
            .pending_outbox()?
            .into_iter()
            .map(|o| o.id)
            .collect();
        let decisions = self
            .lock()
            .store
            .review_decisions(Some(interview_id))?
            .into_iter()
            .map(|d| DecisionView {
                pending: pending.contains(&d.id),
                paths: parse_paths(&d.paths),
                id: d.id,
                revision: d.revision,
                decision: d.decision,
                comment: d.comment,
                decided_by: d.decided_by,
                decided_at: d.decided_at,
            })
            .collect();
        let spq = if m.questions == 0 {
            0.0
        } else {
            m.duration_ms as f64 / 1000.0 / m.questions as f64
        };
        Ok(ReviewDetail {
            row: summary,
            answers,
            timeline,
            back_navigations: m.back,
            corrections: m.corrections,
            longest_pause_ms: m.longest_pause_ms,
            seconds_per_question: spq,
            decisions,
        })
    }

    /// Pulls the team's interviews for review (supervisors); returns how many were new or newer.
    pub async fn pull_team_interviews(&self) -> std::result::Result<usize, crate::SyncError> {
        let path = self.lock().store.path().to_owned();
        let mut store = canvass_store::Store::open(&path)?;
        Ok(canvass_sync::pull_team_interviews(
            &mut store,
            self.clock.now_ms(),
            canvass_sync::DEFAULT_TIMEOUT,
        )
        .await?)
    }

    /// [`App::pull_team_interviews`] for callers without an async runtime.
    pub fn pull_team_interviews_blocking(&self) -> std::result::Result<usize, crate::SyncError> {
        canvass_sync::block_on(self.pull_team_interviews()).map_err(crate::SyncError::Runtime)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, node: &str, start: i64, end: Option<i64>) -> ParadataEvent {
        ParadataEvent {
            seq: 0,
            session_id: "s".into(),
            kind: kind.into(),
            node: (!node.is_empty()).then(|| node.to_owned()),
            start_ms: start,
            end_ms: end,
            end_estimated: false,
            tz_offset_min: 0,
            old_value: None,
            new_value: None,
        }
    }

    #[test]
    fn a_careful_interview_has_no_flags() {
        let log = [
            ev("form_start", "", 0, None),
            ev("question", "/d/a", 0, Some(40_000)),
            ev("answer_set", "/d/a", 30_000, None),
            ev("question", "/d/b", 40_000, Some(90_000)),
            ev("answer_set", "/d/b", 80_000, None),
            ev("finalize", "", 90_000, None),
        ];
        let m = measure(&log);
        assert_eq!((m.duration_ms, m.questions, m.corrections), (90_000, 2, 0));
        assert!(flags(&m, DEFAULT_SPEEDING_SECS).is_empty());
    }

    #[test]
    fn each_flag_has_its_cause() {
        // Two questions in four seconds: short and speeding; one answer changed three times.
        let mut log = vec![
            ev("question", "/d/a", 0, Some(2_000)),
            ev("question", "/d/b", 2_000, Some(4_000)),
        ];
        for k in 0..4 {
            log.push(ev("answer_set", "/d/a", 100 + k, None));
        }
        let m = measure(&log);
        assert_eq!(m.corrections, 3);
        assert_eq!(m.corrections_by_node.get("/d/a"), Some(&3));
        assert_eq!(
            flags(&m, DEFAULT_SPEEDING_SECS),
            ["short", "corrections", "speeding"]
        );
        // A lower threshold for this study: two seconds a question is no longer speeding.
        assert!(!flags(&m, 1.5).contains(&"speeding".to_owned()));
        // A question left on screen for ten minutes is a long pause; so is a silent gap.
        let m = measure(&[ev("question", "/d/a", 0, Some(600_000))]);
        assert!(flags(&m, DEFAULT_SPEEDING_SECS).contains(&"long_pause".to_owned()));
        let m = measure(&[
            ev("answer_set", "/d/a", 0, None),
            ev("answer_set", "/d/b", 400_000, None),
        ]);
        assert_eq!(m.longest_pause_ms, 400_000);
        // Back navigation is counted.
        assert_eq!(measure(&[ev("back", "/d/b", 0, None)]).back, 1);
    }
}
