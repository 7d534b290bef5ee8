//! The interview use cases: start, answer, move, complete, list; each answer durable when it returns.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use canvass_form::{Answers, ItemKind, Questionnaire};
use canvass_store::{InterviewRow, NewInterview, OutboxRow, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{Error, Result};

/// The application: installed questionnaires, the local store and the clock.
pub struct App {
    store: Mutex<Store>,
    clock: Arc<dyn Clock>,
    forms: Vec<Questionnaire>,
}

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
        Ok(App { store: Mutex::new(store), clock, forms: vec![canvass_form::demo_nps()] })
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

    /// Starts a new interview of `study_id` on its first question.
    pub fn start_interview(&self, study_id: &str) -> Result<Screen> {
        let form = self
            .forms
            .iter()
            .find(|f| f.id == study_id)
            .ok_or_else(|| Error::UnknownStudy { id: study_id.to_owned() })?;
        let now = self.clock.now_ms();
        let id = new_id(now);
        let first = form.first(&Answers::new()).map(|i| form.items[i].name.clone());
        let mut store = self.store();
        store.create_interview(&NewInterview {
            id: id.clone(),
            questionnaire_id: form.id.clone(),
            questionnaire_version: form.version.clone(),
            current_item: first,
            now_ms: now,
        })?;
        self.screen_of(&load(&store, &self.forms, &id)?)
    }

    /// The screen of an interview as it stands: where it resumes after any interruption.
    pub fn screen(&self, interview_id: &str) -> Result<Screen> {
        let store = self.store();
        self.screen_of(&load(&store, &self.forms, interview_id)?)
    }

    /// Validates and durably saves an answer; the returned screen reflects the saved state.
    pub fn record_answer(&self, interview_id: &str, item: &str, value: &str) -> Result<Screen> {
        let mut store = self.store();
        let loaded = load(&store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let canonical = loaded.form.validate(item, value)?;
        store.save_answer(interview_id, item, &canonical, item, self.clock.now_ms())?;
        self.screen_of(&load(&store, &self.forms, interview_id)?)
    }

    /// Moves to the next question, or completes the interview after the last one.
    pub fn next_item(&self, interview_id: &str) -> Result<Screen> {
        let mut store = self.store();
        let loaded = load(&store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let current = current_index(&loaded)?;
        loaded.form.check_required(&loaded.form.items[current].name, &loaded.answers)?;
        let now = self.clock.now_ms();
        match loaded.form.next_after(current, &loaded.answers) {
            Some(next) => store.set_current_item(interview_id, &loaded.form.items[next].name, now)?,
            None => {
                let outbox = completion_outbox(&loaded, now)?;
                store.complete_interview(interview_id, &outbox, now)?;
            }
        }
        self.screen_of(&load(&store, &self.forms, interview_id)?)
    }

    /// Moves back to the previous question; on the first question it stays put.
    pub fn previous_item(&self, interview_id: &str) -> Result<Screen> {
        let mut store = self.store();
        let loaded = load(&store, &self.forms, interview_id)?;
        ensure_open(&loaded.row)?;
        let current = current_index(&loaded)?;
        if let Some(prev) = loaded.form.previous_before(current, &loaded.answers) {
            store.set_current_item(interview_id, &loaded.form.items[prev].name, self.clock.now_ms())?;
        }
        self.screen_of(&load(&store, &self.forms, interview_id)?)
    }

    /// Every interview on this device, most recently touched first.
    pub fn list_interviews(&self) -> Result<Vec<InterviewSummary>> {
        let store = self.store();
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

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written:
        // every write is one SQLite transaction, rolled back if not committed.
        // So a poisoned lock is safe to keep using.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
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
fn completion_outbox(l: &Loaded<'_>, now: i64) -> Result<OutboxRow> {
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
    Ok(OutboxRow {
        id: l.row.id.clone(),
        kind: "interview".into(),
        payload,
        payload_hash: hash,
        created_at: now,
        state: "pending".into(),
    })
}

/// A UUIDv7 whose timestamp comes from the injected clock.
fn new_id(now_ms: i64) -> String {
    let ms = now_ms.max(0) as u64;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    uuid::Uuid::new_v7(ts).to_string()
}
