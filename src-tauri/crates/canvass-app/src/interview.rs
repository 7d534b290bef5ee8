//! The interview use cases: start, answer, move, complete, list; each answer durable when it returns.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use canvass_form::{Answers, ItemKind, Questionnaire};
use canvass_store::{InterviewRow, NewEvent, NewInterview, NewSession, OutboxRow, Store, Write};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{Error, Result};

/// The application: installed questionnaires, the local store and the clock.
pub struct App {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) clock: Arc<dyn Clock>,
    forms: Vec<Questionnaire>,
}

/// What one lock guards: the store and the editing sessions open in this process.
pub(crate) struct Inner {
    pub(crate) store: Store,
    /// Open paradata sessions by interview id. A session lives from starting or
    /// resuming an interview until pausing or completing it, or until the
    /// process ends; the next open of the interview then starts a new one.
    sessions: HashMap<String, Session>,
}

/// An editing session: its id and the monotonic reading at its start.
#[derive(Debug, Clone)]
struct Session {
    id: String,
    mono_start: i64,
}

/// The version recorded with every paradata session.
const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A study the interviewer can start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyView {
    pub id: String,
    pub title: String,
    pub version: String,
    pub question_count: usize,
}

/// One row of the interview list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterviewSummary {
    pub id: String,
    pub study_id: String,
    pub study_title: String,
    pub questionnaire_version: String,
    /// Stable status code, e.g. `in_progress` or `completed`.
    pub status: String,
    /// Where an unfinished interview resumes (item name).
    pub current_item: Option<String>,
    /// 1-based position of `current_item` in the form, when known.
    pub position: Option<usize>,
    pub total: usize,
    pub answered: usize,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

/// What the interview screen shows now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screen {
    pub interview_id: String,
    pub study_title: String,
    /// `in_progress` or `completed`.
    pub status: String,
    /// 1-based position of the question shown.
    pub position: usize,
    pub total: usize,
    /// The question shown; `None` once the interview is completed.
    pub question: Option<QuestionView>,
}

/// One question as the UI renders it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionView {
    pub name: String,
    /// `range`, `select_one`, `text` or `note`.
    pub kind: &'static str,
    pub label: String,
    pub hint: Option<String>,
    pub required: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub choices: Vec<ChoiceView>,
    /// The stored answer, empty when none.
    pub value: String,
    pub is_first: bool,
    pub is_last: bool,
}

/// One option of a select question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceView {
    pub value: String,
    pub label: String,
}

/// One paradata event with absolute times (session anchor plus monotonic offset).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParadataEvent {
    pub seq: i64,
    pub session_id: String,
    /// Stable code: `form_start`, `form_resume`, `question`, `answer_set`, `answer_removed`,
    /// `back`, `constraint_error`, `exit`, `finalize`.
    pub kind: String,
    pub node: Option<String>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    /// The end was not seen (the app was killed) and was set to the session's last event.
    pub end_estimated: bool,
    pub tz_offset_min: i32,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// An interview loaded with its questionnaire and answers.
struct Loaded<'a> {
    row: InterviewRow,
    form: &'a Questionnaire,
    answers: Answers,
}

impl App {
    /// Opens the database at `db` (creating and migrating it) with the built-in studies installed.
    pub fn open(db: &Path, clock: Arc<dyn Clock>) -> Result<App> {
        let store = Store::open(db)?;
        Ok(App {
            inner: Mutex::new(Inner { store, sessions: HashMap::new() }),
            clock,
            forms: vec![canvass_form::demo_nps()],
        })
    }

    /// The studies this device can run.
    pub fn studies(&self) -> Vec<StudyView> {
        self.forms
            .iter()
            .map(|f| StudyView {
                id: f.id.clone(),
                title: f.title.clone(),
                version: f.version.clone(),
                question_count: f.items.len(),
            })
            .collect()
    }

    /// Starts a new interview of `study_id` on its first question, with a new paradata session.
    pub fn start_interview(&self, study_id: &str) -> Result<Screen> {
        let form = self
            .forms
            .iter()
            .find(|f| f.id == study_id)
            .ok_or_else(|| Error::UnknownStudy { id: study_id.to_owned() })?;
        let now = self.clock.now_ms();
        let id = new_id(now);
        let first = form.first(&Answers::new()).map(|i| form.items[i].name.clone());
        let mut inner = self.lock();
        let Inner { store, sessions } = &mut *inner;
        let w = store.write(&id)?;
        w.create_interview(&NewInterview {
            id: id.clone(),
            questionnaire_id: form.id.clone(),
            questionnaire_version: form.version.clone(),
            current_item: first.clone(),
            now_ms: now,
        })?;
        let session = self.start_session(&w, &form.id, &form.version, "form_start")?;
        if let Some(item) = &first {
            w.event(&self.span(&session, item))?;
        }
        w.commit()?;
        sessions.insert(id.clone(), session);
        self.screen_of(&load(store, &self.forms, &id)?)
    }

    /// The screen of an interview as it stands, without logging anything: a read.
    pub fn screen(&self, interview_id: &str) -> Result<Screen> {
        let inner = self.lock();
        self.screen_of(&load(&inner.store, &self.forms, interview_id)?)
    }

    /// Reopens an unfinished interview where it stopped: a new paradata session
    /// that first closes any question left open by a crash or a kill.
    pub fn resume_interview(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let Inner { store, sessions } = &mut *inner;
        let loaded = load(store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let current = current_index(&loaded)?;
        let w = store.write(interview_id)?;
        if let Some(old) = sessions.remove(interview_id) {
            w.close_spans(&old.id, self.offset(&old))?;
        }
        w.close_interrupted_spans()?;
        let session = self.start_session(&w, &loaded.form.id, &loaded.form.version, "form_resume")?;
        w.event(&self.span(&session, &loaded.form.items[current].name))?;
        w.commit()?;
        sessions.insert(interview_id.to_owned(), session);
        self.screen_of(&load(store, &self.forms, interview_id)?)
    }

    /// Validates and durably saves an answer with its paradata; the returned screen reflects the saved state.
    pub fn record_answer(&self, interview_id: &str, item: &str, value: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let Inner { store, sessions } = &mut *inner;
        let loaded = load(store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let canonical = loaded.form.validate(item, value)?;
        let now = self.clock.now_ms();
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &loaded)?;
        let old = w.set_answer(item, &canonical, now)?;
        w.set_current_item(Some(item), now)?;
        if old.as_deref().unwrap_or("") != canonical {
            let kind = if canonical.is_empty() { "answer_removed" } else { "answer_set" };
            w.event(&NewEvent {
                kind: kind.into(),
                node: Some(node_path(item)),
                old_value: old,
                new_value: (!canonical.is_empty()).then_some(canonical),
                ..self.instant(&session)
            })?;
        }
        w.commit()?;
        self.screen_of(&load(store, &self.forms, interview_id)?)
    }

    /// Moves to the next question, or completes the interview after the last one.
    ///
    /// A required question left empty is refused, and the refusal is logged as a
    /// `constraint_error` event so supervisors see it.
    pub fn next_item(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let Inner { store, sessions } = &mut *inner;
        let loaded = load(store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let current = current_index(&loaded)?;
        let name = &loaded.form.items[current].name;
        if let Err(e) = loaded.form.check_required(name, &loaded.answers) {
            let w = store.write(interview_id)?;
            let session = self.session(&w, sessions, &loaded)?;
            w.event(&NewEvent {
                kind: "constraint_error".into(),
                node: Some(node_path(name)),
                extra: Some(r#"{"reason":"required"}"#.into()),
                ..self.instant(&session)
            })?;
            w.commit()?;
            return Err(e.into());
        }
        let now = self.clock.now_ms();
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &loaded)?;
        w.close_spans(&session.id, self.offset(&session))?;
        match loaded.form.next_after(current, &loaded.answers) {
            Some(next) => {
                let next_name = &loaded.form.items[next].name;
                w.set_current_item(Some(next_name), now)?;
                w.event(&self.span(&session, next_name))?;
                w.commit()?;
            }
            None => {
                w.event(&NewEvent { kind: "finalize".into(), ..self.instant(&session) })?;
                w.complete(&completion_outbox(&loaded, now), now)?;
                w.commit()?;
                sessions.remove(interview_id);
            }
        }
        self.screen_of(&load(store, &self.forms, interview_id)?)
    }

    /// Moves back to the previous question; on the first question it stays put.
    pub fn previous_item(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let Inner { store, sessions } = &mut *inner;
        let loaded = load(store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let current = current_index(&loaded)?;
        if let Some(prev) = loaded.form.previous_before(current, &loaded.answers) {
            let w = store.write(interview_id)?;
            let session = self.session(&w, sessions, &loaded)?;
            w.close_spans(&session.id, self.offset(&session))?;
            w.event(&NewEvent {
                kind: "back".into(),
                node: Some(node_path(&loaded.form.items[current].name)),
                ..self.instant(&session)
            })?;
            let prev_name = &loaded.form.items[prev].name;
            w.set_current_item(Some(prev_name), self.clock.now_ms())?;
            w.event(&self.span(&session, prev_name))?;
            w.commit()?;
        }
        self.screen_of(&load(store, &self.forms, interview_id)?)
    }

    /// Leaves an unfinished interview for later: closes the question on screen and the session.
    pub fn pause_interview(&self, interview_id: &str) -> Result<()> {
        let mut inner = self.lock();
        let Inner { store, sessions } = &mut *inner;
        let loaded = load(store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let Some(session) = sessions.remove(interview_id) else { return Ok(()) };
        let w = store.write(interview_id)?;
        w.close_spans(&session.id, self.offset(&session))?;
        w.event(&NewEvent { kind: "exit".into(), ..self.instant(&session) })?;
        w.commit()?;
        Ok(())
    }

    /// The session's paradata, in order: for supervisors, exports and tests.
    pub fn paradata(&self, interview_id: &str) -> Result<Vec<ParadataEvent>> {
        let inner = self.lock();
        let sessions = inner.store.sessions(interview_id)?;
        let events = inner.store.events(interview_id)?;
        if events.is_empty() {
            // Distinguish "no such interview" from "no events yet".
            inner.store.interview(interview_id)?;
        }
        Ok(events
            .into_iter()
            .map(|e| {
                let anchor = sessions.iter().find(|s| s.id == e.session_id);
                let base = anchor.map(|s| s.started_at_ms).unwrap_or(0);
                ParadataEvent {
                    seq: e.seq,
                    session_id: e.session_id,
                    kind: e.kind,
                    node: e.node,
                    start_ms: base + e.offset_ms,
                    end_ms: e.end_offset_ms.map(|o| base + o),
                    end_estimated: e.end_estimated,
                    tz_offset_min: anchor.map(|s| s.tz_offset_min).unwrap_or(0),
                    old_value: e.old_value,
                    new_value: e.new_value,
                }
            })
            .collect())
    }

    /// Every interview on this device, most recently touched first.
    pub fn list_interviews(&self) -> Result<Vec<InterviewSummary>> {
        let inner = self.lock();
        let store = &inner.store;
        let rows = store.list_interviews()?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let answered = store.answers(&row.id)?.len();
            let form = self.form_of(&row).ok();
            let position = match (form, row.current_item.as_deref()) {
                (Some(f), Some(item)) => f.index_of(item).ok().map(|i| i + 1),
                _ => None,
            };
            out.push(InterviewSummary {
                study_id: row.questionnaire_id.clone(),
                study_title: form.map(|f| f.title.clone()).unwrap_or_else(|| row.questionnaire_id.clone()),
                total: form.map(|f| f.items.len()).unwrap_or(0),
                position,
                answered,
                id: row.id,
                questionnaire_version: row.questionnaire_version,
                status: row.status,
                current_item: row.current_item,
                created_at: row.created_at,
                updated_at: row.updated_at,
                completed_at: row.completed_at,
            });
        }
        Ok(out)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the store half-written:
        // every write is one SQLite transaction, rolled back if not committed.
        // So a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a new session row and its opening event (`form_start` or `form_resume`).
    fn start_session(&self, w: &Write<'_>, form_id: &str, form_version: &str, kind: &str) -> Result<Session> {
        let now = self.clock.now_ms();
        let session = Session { id: new_id(now), mono_start: self.clock.monotonic_ms() };
        w.start_session(&NewSession {
            id: session.id.clone(),
            started_at_ms: now,
            tz_offset_min: self.clock.utc_offset_min(),
            mode: "CAPI".into(),
            app_version: APP_VERSION.into(),
            form_id: form_id.into(),
            form_version: form_version.into(),
        })?;
        w.event(&NewEvent { kind: kind.into(), ..self.instant(&session) })?;
        Ok(session)
    }

    /// The open session of an interview, or a new one (`form_resume`) when a
    /// change arrives without one, e.g. from the CLI or after a restart.
    fn session(&self, w: &Write<'_>, sessions: &mut HashMap<String, Session>, l: &Loaded<'_>) -> Result<Session> {
        if let Some(s) = sessions.get(&l.row.id) {
            return Ok(s.clone());
        }
        w.close_interrupted_spans()?;
        let s = self.start_session(w, &l.form.id, &l.form.version, "form_resume")?;
        sessions.insert(l.row.id.clone(), s.clone());
        Ok(s)
    }

    /// Monotonic milliseconds since the session started.
    fn offset(&self, s: &Session) -> i64 {
        (self.clock.monotonic_ms() - s.mono_start).max(0)
    }

    /// An event at this instant, to be completed with a kind and details.
    fn instant(&self, s: &Session) -> NewEvent {
        NewEvent { session_id: s.id.clone(), offset_ms: self.offset(s), ..NewEvent::default() }
    }

    /// A `question` span starting now; it is closed when the interviewer leaves the question.
    fn span(&self, s: &Session, item: &str) -> NewEvent {
        NewEvent { kind: "question".into(), node: Some(node_path(item)), ..self.instant(s) }
    }

    fn form_of(&self, row: &InterviewRow) -> Result<&Questionnaire> {
        find_form(&self.forms, row)
    }

    fn screen_of(&self, l: &Loaded<'_>) -> Result<Screen> {
        let total = l.form.items.len();
        let mut screen = Screen {
            interview_id: l.row.id.clone(),
            study_title: l.form.title.clone(),
            status: l.row.status.clone(),
            position: total,
            total,
            question: None,
        };
        if l.row.status != "completed" {
            let idx = current_index(l)?;
            let item = &l.form.items[idx];
            let (kind, min, max, choices) = match &item.kind {
                ItemKind::Range { min, max } => ("range", Some(*min), Some(*max), vec![]),
                ItemKind::SelectOne { choices } => (
                    "select_one",
                    None,
                    None,
                    choices.iter().map(|c| ChoiceView { value: c.name.clone(), label: c.label.clone() }).collect(),
                ),
                ItemKind::Text => ("text", None, None, vec![]),
                ItemKind::Note => ("note", None, None, vec![]),
            };
            screen.position = idx + 1;
            screen.question = Some(QuestionView {
                name: item.name.clone(),
                kind,
                label: l.form.label(item, &l.answers),
                hint: item.hint.clone(),
                required: item.required,
                min,
                max,
                choices,
                value: l.answers.get(&item.name).cloned().unwrap_or_default(),
                is_first: l.form.previous_before(idx, &l.answers).is_none(),
                is_last: l.form.next_after(idx, &l.answers).is_none(),
            });
        }
        Ok(screen)
    }
}

fn find_form<'a>(forms: &'a [Questionnaire], row: &InterviewRow) -> Result<&'a Questionnaire> {
    forms
        .iter()
        .find(|f| f.id == row.questionnaire_id && f.version == row.questionnaire_version)
        .ok_or_else(|| Error::QuestionnaireMissing {
            id: row.questionnaire_id.clone(),
            version: row.questionnaire_version.clone(),
        })
}

fn load<'a>(store: &Store, forms: &'a [Questionnaire], id: &str) -> Result<Loaded<'a>> {
    let row = store.interview(id)?;
    let form = find_form(forms, &row)?;
    let answers = store.answers(id)?.into_iter().map(|a| (a.item_path, a.value)).collect();
    Ok(Loaded { row, form, answers })
}

fn ensure_open(row: &InterviewRow) -> Result<()> {
    if row.status == "completed" {
        return Err(Error::InterviewClosed { id: row.id.clone(), status: row.status.clone() });
    }
    Ok(())
}

/// The index of the item the interview stands on; a missing or unknown resume
/// point (e.g. after a form change) falls back to the first shown item.
fn current_index(l: &Loaded<'_>) -> Result<usize> {
    if let Some(i) = l.row.current_item.as_deref().and_then(|n| l.form.index_of(n).ok()) {
        return Ok(i);
    }
    l.form.first(&l.answers).ok_or_else(|| Error::QuestionnaireMissing {
        id: l.form.id.clone(),
        version: l.form.version.clone(),
    })
}

/// The outbox row that carries a completed interview to the server.
fn completion_outbox(l: &Loaded<'_>, now: i64) -> OutboxRow {
    #[derive(Serialize)]
    struct Payload<'a> {
        id: &'a str,
        questionnaire_id: &'a str,
        questionnaire_version: &'a str,
        created_at: i64,
        completed_at: i64,
        answers: &'a BTreeMap<String, String>,
    }
    let payload = serde_json::to_string(&Payload {
        id: &l.row.id,
        questionnaire_id: &l.row.questionnaire_id,
        questionnaire_version: &l.row.questionnaire_version,
        created_at: l.row.created_at,
        completed_at: now,
        answers: &l.answers,
    })
    // Serializing a struct of strings, integers and a string map into a String
    // has no failure path in serde_json (no I/O, no non-string map keys).
    .expect("serializing plain strings and integers cannot fail");
    let hash = Sha256::digest(payload.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    OutboxRow { id: l.row.id.clone(), kind: "interview".into(), payload, payload_hash: hash, created_at: now, state: "pending".into() }
}

/// The ODK-style path of a top-level item, as paradata and exports name it.
fn node_path(item: &str) -> String {
    format!("/data/{item}")
}

/// A UUIDv7 whose timestamp comes from the injected clock.
fn new_id(now_ms: i64) -> String {
    let ms = now_ms.max(0) as u64;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    uuid::Uuid::new_v7(ts).to_string()
}
