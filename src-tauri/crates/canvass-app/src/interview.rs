//! The interview use cases: start, answer, move, complete, list; each answer durable when it returns.
//!
//! Interviews run on the engine: each open interview has an `Instance` rebuilt
//! from its stored answers on first use and kept in memory while the app runs.
//! Every change is validated against the instance, committed with its paradata
//! in one store `Write`, and only then applied to the cached instance, so the
//! memory never shows an answer the file does not hold.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use canvass_form::{import_form, Instance, Questionnaire};
use canvass_store::{
    InterviewRow, NewEvent, NewInterview, NewSession, OutboxRow, QuestionnaireRow, Store, Write,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::runner::{self, QuestionView};

/// The built-in demo study's id.
pub const DEMO_STUDY_ID: &str = "demo_nps";

/// The built-in demo study: an XLSForm like any other (see forms/demo_nps.xlsx).
const DEMO_FORM: &[u8] = include_bytes!("../forms/demo_nps.xlsx");

/// The application: installed questionnaires, the local store and the clock.
pub struct App {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Installed questionnaire versions, oldest installation first; the built-in demo first of all.
    forms: RwLock<Vec<Arc<Questionnaire>>>,
}

/// What one lock guards: the store, open editing sessions and live instances.
pub(crate) struct Inner {
    pub(crate) store: Store,
    /// Open paradata sessions by interview id. A session lives from starting or
    /// resuming an interview until pausing or completing it, or until the
    /// process ends; the next open of the interview then starts a new one.
    pub(crate) sessions: HashMap<String, Session>,
    /// Engine state of the interviews touched since the app started.
    pub(crate) instances: HashMap<String, Instance>,
}

/// An editing session: its id and the monotonic reading at its start.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) mono_start: i64,
}

/// What an interview is started for: a CATI case or a CAPI assignment.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CaseLink<'a> {
    Case(&'a str),
    Assignment(&'a str),
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
    /// Where an unfinished interview resumes (instance path of the question).
    pub current_item: Option<String>,
    /// 1-based position of `current_item` among the interview's screens, when unfinished.
    pub position: Option<usize>,
    /// Screens the interview has now (0 once completed).
    pub total: usize,
    pub answered: usize,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    /// For a draft: the newest installed version of its study when that is not
    /// the draft's own, so the interviewer can move the draft to it.
    pub newer_version: Option<String>,
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
    /// The questionnaire's languages (names as in the form), empty for a one-language form.
    pub languages: Vec<String>,
    /// The language the questions are shown in; `None` is the form's default.
    pub language: Option<String>,
    /// The roster table around the question when it sits inside a repeat: sent
    /// with the screen so the window draws it with the question, in the same
    /// frame, instead of asking again and pushing the question down a moment later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roster_table: Option<crate::capi::RosterTable>,
}

/// One interview as stored, with its answers by path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterviewDetail {
    pub id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub status: String,
    pub current_item: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    pub answers: BTreeMap<String, String>,
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

impl App {
    /// Opens the database at `db` (backed up, checked and migrated) with the built-in studies installed.
    pub fn open(db: &Path, clock: Arc<dyn Clock>) -> Result<App> {
        let store = crate::maintenance::open_store(db, clock.as_ref())?;
        // The built-in form is checked by the tests; this guards a broken build.
        let mut forms = vec![Arc::new(checked_import(DEMO_FORM, "demo_nps.xlsx")?)];
        for row in store.questionnaires()? {
            // Installation checked the form; a version the importer now refuses
            // is left out rather than stopping the whole app, and its drafts
            // report the missing questionnaire by name.
            if let Ok(form) = checked_import(&row.source, &row.file_name) {
                forms.push(Arc::new(form));
            }
        }
        Ok(App {
            inner: Mutex::new(Inner {
                store,
                sessions: HashMap::new(),
                instances: HashMap::new(),
            }),
            clock,
            forms: RwLock::new(forms),
        })
    }

    /// Installs a questionnaire version from a form file's bytes (XLSForm or XForm).
    ///
    /// A form with import errors is refused with every error listed. Installing
    /// the same file again is harmless; different content under an installed
    /// version is refused, because drafts pinned to that version must keep it.
    pub fn install_form(&self, bytes: &[u8], file_name: &str) -> Result<StudyView> {
        let form = checked_import(bytes, file_name)?;
        let row = QuestionnaireRow {
            id: form.id.clone(),
            version: version_of(&form),
            title: form.title.clone(),
            file_name: file_name.to_owned(),
            source: bytes.to_vec(),
            source_sha256: Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            installed_at: self.clock.now_ms(),
        };
        let new = self.lock().store.install_questionnaire(&row)?;
        let view = study_view(&form, self.clock.as_ref());
        if new {
            self.forms
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .push(Arc::new(form));
        }
        Ok(view)
    }

    /// Snapshot of the installed forms.
    pub(crate) fn forms(&self) -> Vec<Arc<Questionnaire>> {
        // The list is only ever appended to, so a poisoned lock still holds a valid list.
        self.forms.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The studies this device can start: the newest installed version of each.
    pub fn studies(&self) -> Vec<StudyView> {
        let forms = self.forms();
        // The newest installed version describes a study. Only it is built into an
        // instance (to count its questions): a study with many versions of a
        // 2,000-question form would otherwise build every one at each home screen.
        let mut newest: Vec<&Arc<Questionnaire>> = Vec::new();
        for f in &forms {
            match newest.iter_mut().find(|n| n.id == f.id) {
                Some(n) => *n = f,
                None => newest.push(f),
            }
        }
        newest
            .into_iter()
            .map(|f| study_view(f, self.clock.as_ref()))
            .collect()
    }

    /// Starts a new interview of `study_id` on its first question, with a new paradata session.
    pub fn start_interview(&self, study_id: &str) -> Result<Screen> {
        self.start_interview_for(study_id, None)
    }

    /// Starts an interview for a CATI case or a CAPI assignment when `link`
    /// names one: its preload values are readable as `${case.NAME}`, and the
    /// link is written in the interview's creating transaction, so an
    /// interview can never lose its case or assignment in a crash.
    pub(crate) fn start_interview_for(
        &self,
        study_id: &str,
        link: Option<(CaseLink<'_>, &BTreeMap<String, String>)>,
    ) -> Result<Screen> {
        let forms = self.forms();
        // New interviews start on the newest installed version of the study.
        let form = forms
            .iter()
            .rev()
            .find(|f| f.id == study_id)
            .ok_or_else(|| Error::UnknownStudy {
                id: study_id.to_owned(),
            })?;
        let now = self.clock.now_ms();
        let id = new_id(now);
        let no_preload = BTreeMap::new();
        let inst = Instance::with_preload(
            Questionnaire::clone(form),
            runner::context(now, self.clock.utc_offset_min(), &id, None),
            link.map_or(&no_preload, |(_, p)| p),
        );
        let first = runner::screens(&inst)
            .first()
            .map(|&n| inst.path_of_node(n));
        let mut inner = self.lock();
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        let w = store.write(&id)?;
        w.create_interview(&NewInterview {
            id: id.clone(),
            questionnaire_id: form.id.clone(),
            questionnaire_version: version_of(form),
            current_item: first.clone(),
            now_ms: now,
        })?;
        match link {
            Some((CaseLink::Case(case_id), _)) => w.link_case(&form.id, case_id)?,
            Some((CaseLink::Assignment(a), _)) => {
                w.link_assignment(a, now, self.clock.utc_offset_min())?
            }
            None => {}
        }
        let session = self.start_session(&w, &form.id, &version_of(form), "form_start")?;
        if let Some(path) = &first {
            w.event(&self.span(&session, path))?;
        }
        w.commit()?;
        sessions.insert(id.clone(), session);
        instances.insert(id.clone(), inst);
        self.screen_in(&mut inner, &id)
    }

    /// The screen of an interview as it stands, without logging anything: a read.
    pub fn screen(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        self.screen_in(&mut inner, interview_id)
    }

    /// Reopens an unfinished interview where it stopped: a new paradata session
    /// that first closes any question left open by a crash or a kill.
    pub fn resume_interview(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let current = self.current_path(&mut inner, &row)?;
        let Inner {
            store, sessions, ..
        } = &mut *inner;
        let w = store.write(interview_id)?;
        if let Some(old) = sessions.remove(interview_id) {
            w.close_spans(&old.id, self.offset(&old))?;
        }
        w.close_interrupted_spans()?;
        let session = self.start_session(
            &w,
            &row.questionnaire_id,
            &row.questionnaire_version,
            "form_resume",
        )?;
        if let Some(path) = &current {
            w.set_current_item(Some(path), self.clock.now_ms())?;
            w.event(&self.span(&session, path))?;
        }
        if row.status != "in_progress" {
            // A paused or broken-off interview is being worked on again.
            w.set_status("in_progress", self.clock.now_ms())?;
        }
        w.commit()?;
        sessions.insert(interview_id.to_owned(), session);
        self.screen_in(&mut inner, interview_id)
    }

    /// Validates and durably saves an answer with its paradata; the returned screen reflects the saved state.
    ///
    /// `item` is the question's instance path (`/data/nps`) or, outside repeats, its name (`nps`).
    pub fn record_answer(&self, interview_id: &str, item: &str, value: &str) -> Result<Screen> {
        self.record_answer_with(interview_id, item, value, None, |_, _| Ok(()))
    }

    /// [`App::record_answer`] with more in the same transaction: `extra` JSON
    /// on the answer's paradata event, and `also(write, path)` after the
    /// answer is written (the CAPI attachment's bytes, for instance).
    pub(crate) fn record_answer_with(
        &self,
        interview_id: &str,
        item: &str,
        value: &str,
        extra: Option<String>,
        also: impl FnOnce(&Write<'_>, &str) -> Result<()>,
    ) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let (path, node, canonical, old) = {
            let inst = self.instance(&mut inner, &row)?;
            let path = resolve(inst, item)?;
            let node = inst.find(&path).ok_or_else(|| Error::UnknownItem {
                item: item.to_owned(),
            })?;
            let canonical = runner::check_value(inst, node, value)?;
            let old = inst.state_of(node).value;
            (path, node, canonical, old)
        };
        let now = self.clock.now_ms();
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        let stored_old = w.set_answer(&path, &canonical, now)?;
        also(&w, &path)?;
        // Answering the question already on screen (the usual case) leaves the
        // resume position as it is, so the interview row and its status index
        // are not rewritten: each rewritten page is more data for the commit's
        // fsync, and that is what a durable save's latency is made of. The row's
        // `updated_at` then moves on the next navigation instead.
        if row.current_item.as_deref() != Some(path.as_str()) {
            w.set_current_item(Some(&path), now)?;
        }
        if stored_old.as_deref().unwrap_or("") != canonical || extra.is_some() {
            let kind = if canonical.is_empty() {
                "answer_removed"
            } else {
                "answer_set"
            };
            w.event(&NewEvent {
                kind: kind.into(),
                node: Some(path.clone()),
                old_value: stored_old.or((!old.is_empty()).then_some(old)),
                new_value: (!canonical.is_empty()).then(|| canonical.clone()),
                extra,
                ..self.instant(&session)
            })?;
        }
        if let Err(e) = w.commit() {
            // The file did not change; neither may the memory.
            instances.remove(interview_id);
            return Err(e.into());
        }
        if let Some(inst) = instances.get_mut(interview_id) {
            if inst.find(&path) == Some(node) {
                let _ = inst.set_answer(&path, &canonical);
            }
        }
        self.screen_in(&mut inner, interview_id)
    }

    /// Moves to the next question, or completes the interview after the last one.
    ///
    /// A required question left empty, or an answer that breaks the form's
    /// constraint, is refused with the form's message, and the refusal is
    /// logged as a `constraint_error` event so supervisors see it.
    pub fn next_item(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let (current, problem, next, record) = {
            let inst = self.instance(&mut inner, &row)?;
            let screens = runner::screens(inst);
            let at = runner::position(inst, &screens, row.current_item.as_deref());
            let current = screens.get(at).copied();
            let problem = current.and_then(|id| runner::blocking_problem(inst, id));
            let next = screens.get(at + 1).map(|&id| inst.path_of_node(id));
            (
                current.map(|id| inst.path_of_node(id)),
                problem,
                next,
                inst.record(),
            )
        };
        let now = self.clock.now_ms();
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        if let Some(e) = problem {
            let w = store.write(interview_id)?;
            let session = self.session(&w, sessions, &row)?;
            let reason = if matches!(e, Error::Required { .. }) {
                "required"
            } else {
                "constraint"
            };
            w.event(&NewEvent {
                kind: "constraint_error".into(),
                node: current,
                extra: Some(format!(r#"{{"reason":"{reason}"}}"#)),
                ..self.instant(&session)
            })?;
            w.commit()?;
            return Err(e);
        }
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.close_spans(&session.id, self.offset(&session))?;
        match next {
            Some(path) => {
                w.set_current_item(Some(&path), now)?;
                w.event(&self.span(&session, &path))?;
                w.commit()?;
            }
            None => {
                self.finish(w, &session, &row, &record, now)?;
                sessions.remove(interview_id);
                instances.remove(interview_id);
            }
        }
        self.screen_in(&mut inner, interview_id)
    }

    /// Moves back to the previous question; on the first question it stays put.
    pub fn previous_item(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let (current, previous) = {
            let inst = self.instance(&mut inner, &row)?;
            let screens = runner::screens(inst);
            let at = runner::position(inst, &screens, row.current_item.as_deref());
            let current = screens.get(at).map(|&id| inst.path_of_node(id));
            let previous = at
                .checked_sub(1)
                .and_then(|p| screens.get(p))
                .map(|&id| inst.path_of_node(id));
            (current, previous)
        };
        if let Some(prev) = previous {
            let Inner {
                store, sessions, ..
            } = &mut *inner;
            let w = store.write(interview_id)?;
            let session = self.session(&w, sessions, &row)?;
            w.close_spans(&session.id, self.offset(&session))?;
            w.event(&NewEvent {
                kind: "back".into(),
                node: current,
                ..self.instant(&session)
            })?;
            w.set_current_item(Some(&prev), self.clock.now_ms())?;
            w.event(&self.span(&session, &prev))?;
            w.commit()?;
        }
        self.screen_in(&mut inner, interview_id)
    }

    /// Adds an instance to an interviewer-controlled repeat (`/data/member`) and logs `repeat_add`.
    ///
    /// The new instance is stored at once as an empty marker row under its own
    /// path (`/data/member[2]`), so an instance added and not yet answered is
    /// still there after a crash; answers in it carry its position in their paths.
    pub fn add_repeat(&self, interview_id: &str, range_path: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let added = {
            let inst = self.instance(&mut inner, &row)?;
            // The add is tried on a copy: it must be known to succeed before its
            // event commits, and the cached instance may only change after the
            // commit. Copying costs a few milliseconds on a very large roster.
            let mut trial = inst.clone();
            trial
                .add_repeat(range_path)
                .map_err(|e| Error::InvalidAnswer {
                    item: range_path.to_owned(),
                    reason: e.to_string(),
                })?;
            trial
        };
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        // The new instance is the last one of its range.
        let count = runner::instance_count(&added, range_path);
        let instance_path = format!("{range_path}[{count}]");
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.mark_repeat_instance(&instance_path, self.clock.now_ms())?;
        w.event(&NewEvent {
            kind: "repeat_add".into(),
            node: Some(instance_path.clone()),
            ..self.instant(&session)
        })?;
        // The interviewer goes on with the new member's first question, as in ODK.
        let prefix = format!("{instance_path}/");
        let first = runner::screens(&added)
            .into_iter()
            .map(|n| added.path_of_node(n))
            .find(|p| p.starts_with(&prefix));
        if let Some(path) = &first {
            w.close_spans(&session.id, self.offset(&session))?;
            w.set_current_item(Some(path), self.clock.now_ms())?;
            w.event(&self.span(&session, path))?;
        }
        w.commit()?;
        instances.insert(interview_id.to_owned(), added);
        self.screen_in(&mut inner, interview_id)
    }

    /// Finalizes an interview from wherever it stands, as ODK's "finalize" does:
    /// every question now shown is checked; the first that is required and
    /// empty, or breaks its constraint, becomes the current question and is
    /// refused with the form's message; otherwise the interview is completed.
    pub fn complete_interview(&self, interview_id: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let (problem, record) = {
            let inst = self.instance(&mut inner, &row)?;
            let problem = runner::screens(inst).into_iter().find_map(|id| {
                runner::blocking_problem(inst, id).map(|e| (inst.path_of_node(id), e))
            });
            (problem, inst.record())
        };
        let now = self.clock.now_ms();
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.close_spans(&session.id, self.offset(&session))?;
        if let Some((path, e)) = problem {
            w.event(&NewEvent {
                kind: "constraint_error".into(),
                node: Some(path.clone()),
                extra: Some(r#"{"reason":"finalize"}"#.into()),
                ..self.instant(&session)
            })?;
            w.set_current_item(Some(&path), now)?;
            w.event(&self.span(&session, &path))?;
            w.commit()?;
            return Err(e);
        }
        self.finish(w, &session, &row, &record, now)?;
        sessions.remove(interview_id);
        instances.remove(interview_id);
        self.screen_in(&mut inner, interview_id)
    }

    /// Commits the completion: the `finalize` event, the new status and the
    /// outbox row that carries the record to the server, in one transaction.
    fn finish(
        &self,
        w: Write<'_>,
        session: &Session,
        row: &InterviewRow,
        record: &[(String, String)],
        now: i64,
    ) -> Result<()> {
        w.event(&NewEvent {
            kind: "finalize".into(),
            ..self.instant(session)
        })?;
        // The server learns which CAPI assignment the interview was for from
        // the record itself, read in the completing transaction.
        let assignment = w.assignment_id()?;
        // The session log travels with the interview it describes, read in the same
        // transaction, so the server never holds an interview without its paradata.
        let (sessions, events) = w.paradata_rows()?;
        let paradata = absolute_events(&sessions, events);
        // A correction after a rejection is the next revision, set when the interview was reopened.
        let (revision, _) = w.revision()?;
        // CAPI files travel by hash; their bytes go up separately, once per content.
        let files = w.attachment_refs()?;
        let marks = w.repeat_marks()?;
        w.complete(
            &completion_outbox(
                row,
                revision,
                sent_answers(record, &marks),
                assignment.as_deref(),
                &paradata,
                &files,
                now,
            ),
            now,
        )?;
        w.commit()?;
        Ok(())
    }

    /// Logs one event in an open interview's session log (and lets `also` add
    /// rows to the same transaction): CAPI handovers, show cards and consents.
    pub(crate) fn log_interview_event(
        &self,
        interview_id: &str,
        kind: &str,
        extra: Option<String>,
        also: impl FnOnce(&Write<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let node = self.current_path(&mut inner, &row)?;
        let Inner {
            store, sessions, ..
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        also(&w)?;
        w.event(&NewEvent {
            kind: kind.into(),
            node,
            extra,
            ..self.instant(&session)
        })?;
        w.commit()?;
        Ok(())
    }

    /// Leaves an unfinished interview for later: closes the question on screen and the session.
    pub fn pause_interview(&self, interview_id: &str) -> Result<()> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let Inner {
            store, sessions, ..
        } = &mut *inner;
        let Some(session) = sessions.remove(interview_id) else {
            return Ok(());
        };
        let w = store.write(interview_id)?;
        w.close_spans(&session.id, self.offset(&session))?;
        w.event(&NewEvent {
            kind: "exit".into(),
            ..self.instant(&session)
        })?;
        w.set_status("paused", self.clock.now_ms())?;
        w.commit()?;
        Ok(())
    }

    /// One interview with every stored answer, for `canvass interview show` and review.
    pub fn interview_detail(&self, interview_id: &str) -> Result<InterviewDetail> {
        let inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        let answers = inner
            .store
            .answers(interview_id)?
            .into_iter()
            // Empty rows only mark repeat instances that exist before anything is answered in them.
            .filter(|a| !a.value.is_empty())
            .map(|a| (a.item_path, a.value))
            .collect();
        Ok(InterviewDetail {
            id: row.id,
            questionnaire_id: row.questionnaire_id,
            questionnaire_version: row.questionnaire_version,
            status: row.status,
            current_item: row.current_item,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
            answers,
        })
    }

    /// Every interview's id, oldest first: the order of a whole-study session-log export.
    pub fn paradata_interview_ids(&self) -> Result<Vec<String>> {
        let mut all = self.lock().store.list_interviews()?;
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all.into_iter().map(|r| r.id).collect())
    }

    /// The logs of `ids` (every interview, oldest first, when `None`) for exports.
    pub fn paradata_logs(
        &self,
        ids: Option<&[String]>,
    ) -> Result<Vec<crate::export::paradata::InterviewLog>> {
        let ids: Vec<String> = match ids {
            Some(ids) => ids.to_vec(),
            None => self.paradata_interview_ids()?,
        };
        ids.into_iter()
            .map(|id| {
                let events = self.paradata(&id)?;
                Ok(crate::export::paradata::InterviewLog {
                    interview_id: id,
                    interviewer: String::new(),
                    device: String::new(),
                    events,
                })
            })
            .collect()
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
        Ok(absolute_events(&sessions, events))
    }

    /// Every interview on this device, most recently touched first.
    pub fn list_interviews(&self) -> Result<Vec<InterviewSummary>> {
        let mut inner = self.lock();
        let rows = inner.store.list_interviews()?;
        let forms = self.forms();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let answered = inner
                .store
                .answers(&row.id)?
                .iter()
                .filter(|a| !a.value.is_empty())
                .count();
            let form = find_form(&forms, &row).ok();
            let (position, total) = if row.status == "completed" || form.is_none() {
                (None, 0)
            } else {
                let inst = self.instance(&mut inner, &row)?;
                let screens = runner::screens(inst);
                (
                    Some(runner::position(inst, &screens, row.current_item.as_deref()) + 1),
                    screens.len(),
                )
            };
            let newer_version = if row.status == "completed" {
                None
            } else {
                crate::lifecycle::newer_versions_in(&forms, &row).pop()
            };
            out.push(InterviewSummary {
                newer_version,
                study_id: row.questionnaire_id.clone(),
                study_title: form
                    .map(|f| f.title.clone())
                    .unwrap_or_else(|| row.questionnaire_id.clone()),
                total,
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
        // every write is one SQLite transaction, rolled back if not committed,
        // and instances are only updated after a commit. So a poisoned lock is
        // safe to keep using.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a new session row and its opening event (`form_start` or `form_resume`).
    pub(crate) fn start_session(
        &self,
        w: &Write<'_>,
        form_id: &str,
        form_version: &str,
        kind: &str,
    ) -> Result<Session> {
        let now = self.clock.now_ms();
        let session = Session {
            id: new_id(now),
            mono_start: self.clock.monotonic_ms(),
        };
        w.start_session(&NewSession {
            id: session.id.clone(),
            started_at_ms: now,
            tz_offset_min: self.clock.utc_offset_min(),
            mode: "CAPI".into(),
            app_version: APP_VERSION.into(),
            form_id: form_id.into(),
            form_version: form_version.into(),
        })?;
        w.event(&NewEvent {
            kind: kind.into(),
            ..self.instant(&session)
        })?;
        Ok(session)
    }

    /// The open session of an interview, or a new one (`form_resume`) when a
    /// change arrives without one, e.g. from the CLI or after a restart.
    pub(crate) fn session(
        &self,
        w: &Write<'_>,
        sessions: &mut HashMap<String, Session>,
        row: &InterviewRow,
    ) -> Result<Session> {
        if let Some(s) = sessions.get(&row.id) {
            return Ok(s.clone());
        }
        w.close_interrupted_spans()?;
        let s = self.start_session(
            w,
            &row.questionnaire_id,
            &row.questionnaire_version,
            "form_resume",
        )?;
        if row.status == "paused" || row.status == "broken_off" {
            // A change to a paused or broken-off interview means work on it resumed.
            w.set_status("in_progress", self.clock.now_ms())?;
        }
        sessions.insert(row.id.clone(), s.clone());
        Ok(s)
    }

    /// Monotonic milliseconds since the session started.
    pub(crate) fn offset(&self, s: &Session) -> i64 {
        (self.clock.monotonic_ms() - s.mono_start).max(0)
    }

    /// An event at this instant, to be completed with a kind and details.
    pub(crate) fn instant(&self, s: &Session) -> NewEvent {
        NewEvent {
            session_id: s.id.clone(),
            offset_ms: self.offset(s),
            ..NewEvent::default()
        }
    }

    /// A `question` span starting now; it is closed when the interviewer leaves the question.
    pub(crate) fn span(&self, s: &Session, path: &str) -> NewEvent {
        NewEvent {
            kind: "question".into(),
            node: Some(path.to_owned()),
            ..self.instant(s)
        }
    }

    /// The interview's instance, rebuilt from the store on first use.
    pub(crate) fn instance<'i>(
        &self,
        inner: &'i mut Inner,
        row: &InterviewRow,
    ) -> Result<&'i mut Instance> {
        if !inner.instances.contains_key(&row.id) {
            let form = find_form(&self.forms(), row)?;
            let answers: Vec<(String, String)> = inner
                .store
                .answers(&row.id)?
                .into_iter()
                .map(|a| (a.item_path, a.value))
                .collect();
            // The language last switched to comes back with the interview, as its question does.
            let language = inner
                .store
                .last_event_value(&row.id, "language")?
                .filter(|l| !l.is_empty());
            let ctx = runner::context(
                self.clock.now_ms(),
                self.clock.utc_offset_min(),
                &row.id,
                language,
            );
            // An interview started for a case or an assignment reads its preload values again.
            let preload_json = match inner.store.interview_case(&row.id)? {
                Some((_, _, json)) => Some(json),
                None => inner.store.interview_assignment_preload(&row.id)?,
            };
            let preload: BTreeMap<String, String> = preload_json
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default();
            inner.instances.insert(
                row.id.clone(),
                runner::rebuild_with_preload(&form, ctx, &answers, &preload),
            );
        }
        inner
            .instances
            .get_mut(&row.id)
            .ok_or_else(|| Error::UnknownItem {
                item: row.id.clone(),
            })
    }

    /// Where an unfinished interview stands: its stored question, or the screen
    /// that now takes its place when that question is no longer shown.
    pub(crate) fn current_path(
        &self,
        inner: &mut Inner,
        row: &InterviewRow,
    ) -> Result<Option<String>> {
        let inst = self.instance(inner, row)?;
        let screens = runner::screens(inst);
        let at = runner::position(inst, &screens, row.current_item.as_deref());
        Ok(screens.get(at).map(|&id| inst.path_of_node(id)))
    }

    pub(crate) fn screen_in(&self, inner: &mut Inner, interview_id: &str) -> Result<Screen> {
        let row = inner.store.interview(interview_id)?;
        let form = find_form(&self.forms(), &row)?;
        let mut screen = Screen {
            interview_id: row.id.clone(),
            study_title: form.title.clone(),
            status: row.status.clone(),
            position: 0,
            total: 0,
            question: None,
            languages: form.languages.clone(),
            language: None,
            roster_table: None,
        };
        if row.status == "completed" {
            return Ok(screen);
        }
        let inst = self.instance(inner, &row)?;
        screen.language = inst.context().language.clone();
        let screens = runner::screens(inst);
        let at = runner::position(inst, &screens, row.current_item.as_deref());
        if let Some(&id) = screens.get(at) {
            screen.position = at + 1;
            screen.total = screens.len();
            screen.question = Some(runner::question_view(
                inst,
                id,
                at == 0,
                at + 1 == screens.len(),
            ));
            let path = inst.path_of_node(id);
            if path.contains('[') {
                screen.roster_table = crate::capi::roster_table(inst, &path);
            }
        }
        Ok(screen)
    }
}

/// A questionnaire's version string; forms without one are version `1`.
pub(crate) fn version_of(form: &Questionnaire) -> String {
    form.version.clone().unwrap_or_else(|| "1".to_owned())
}

/// The instance path for `item`: a path as given, or the unique question of that name.
pub(crate) fn resolve(inst: &Instance, item: &str) -> Result<String> {
    if item.starts_with('/') {
        return Ok(item.to_owned());
    }
    let form = inst.form();
    let matches = form.by_name(item);
    match matches.as_slice() {
        [one] => form
            .nodes
            .get(*one)
            .map(|n| n.path.clone())
            .ok_or_else(|| Error::UnknownItem {
                item: item.to_owned(),
            }),
        _ => Err(Error::UnknownItem {
            item: item.to_owned(),
        }),
    }
}

/// Imports a form and refuses it when the import found errors, listing them all.
fn checked_import(bytes: &[u8], file_name: &str) -> Result<Questionnaire> {
    let imported = import_form(bytes, file_name);
    let problems: Vec<String> = imported.errors().map(|d| d.to_string()).collect();
    let id = imported
        .form
        .as_ref()
        .map(|f| f.id.clone())
        .unwrap_or_else(|| file_name.to_owned());
    imported
        .form
        .filter(|_| problems.is_empty())
        .ok_or(Error::FormInvalid { id, problems })
}

fn study_view(f: &Questionnaire, clock: &dyn Clock) -> StudyView {
    let inst = Instance::new(
        f.clone(),
        runner::context(clock.now_ms(), clock.utc_offset_min(), "", None),
    );
    StudyView {
        id: f.id.clone(),
        title: f.title.clone(),
        version: version_of(f),
        question_count: runner::screens(&inst).len(),
    }
}

/// The exact questionnaire version an interview is pinned to.
pub(crate) fn find_form(
    forms: &[Arc<Questionnaire>],
    row: &InterviewRow,
) -> Result<Arc<Questionnaire>> {
    forms
        .iter()
        .rev()
        .find(|f| f.id == row.questionnaire_id && version_of(f) == row.questionnaire_version)
        .cloned()
        .ok_or_else(|| Error::QuestionnaireMissing {
            id: row.questionnaire_id.clone(),
            version: row.questionnaire_version.clone(),
        })
}

pub(crate) fn ensure_open(row: &InterviewRow) -> Result<()> {
    if row.status == "completed" {
        return Err(Error::InterviewClosed {
            id: row.id.clone(),
            status: row.status.clone(),
        });
    }
    Ok(())
}

/// The answers a completed interview sends: the record's answered questions, and
/// the repeat members added on purpose (`marks`) as their paths with an empty value,
/// as the device stores them, so the server's exports keep a member left empty as
/// the device's do. A member that relevance hides has no leaf in the record and
/// stays out, as it does in the device's exports.
fn sent_answers<'a>(
    record: &'a [(String, String)],
    marks: &'a [String],
) -> BTreeMap<&'a str, &'a str> {
    let mut answers: BTreeMap<&str, &str> = record
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    for mark in marks {
        let under = format!("{mark}/");
        if record.iter().any(|(leaf, _)| leaf.starts_with(&under)) {
            answers.insert(mark.as_str(), "");
        }
    }
    answers
}

/// The outbox row that carries a completed interview to the server: the
/// record as ODK defines it (relevant questions only, calculations included).
fn completion_outbox(
    row: &InterviewRow,
    revision: i64,
    answers: BTreeMap<&str, &str>,
    assignment_id: Option<&str>,
    paradata: &[ParadataEvent],
    files: &[(String, String, String)],
    now: i64,
) -> OutboxRow {
    #[derive(Serialize)]
    struct FileRef<'a> {
        item: &'a str,
        file_name: &'a str,
        sha256: &'a str,
    }
    #[derive(Serialize)]
    struct Payload<'a> {
        /// The item id: each revision is its own record on the server.
        id: &'a str,
        interview_id: &'a str,
        revision: i64,
        questionnaire_id: &'a str,
        questionnaire_version: &'a str,
        created_at: i64,
        completed_at: i64,
        /// The CAPI assignment the interview was started for; absent otherwise.
        #[serde(skip_serializing_if = "Option::is_none")]
        assignment_id: Option<&'a str>,
        answers: BTreeMap<&'a str, &'a str>,
        /// The interview's whole session log, as `canvass export paradata --format jsonl` shows it.
        paradata: &'a [ParadataEvent],
        /// Photo, audio and file answers by content hash; absent when there are none.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<FileRef<'a>>,
    }
    // Revision 1 travels under the interview's own id, as interviews always have,
    // so a resend from before revisions existed stays a duplicate; every later
    // revision gets an id of its own and is never a conflict with the earlier ones.
    let item_id = if revision <= 1 {
        row.id.clone()
    } else {
        new_id(now)
    };
    let payload = serde_json::to_string(&Payload {
        id: &item_id,
        interview_id: &row.id,
        revision,
        questionnaire_id: &row.questionnaire_id,
        questionnaire_version: &row.questionnaire_version,
        created_at: row.created_at,
        completed_at: now,
        assignment_id,
        answers,
        paradata,
        attachments: files
            .iter()
            .map(|(item, file_name, sha256)| FileRef {
                item,
                file_name,
                sha256,
            })
            .collect(),
    })
    // Serializing a struct of strings, integers, a string map and a list of such
    // structs into a String has no failure path in serde_json (no I/O, no non-string map keys).
    .expect("serializing plain strings and integers cannot fail");
    let hash = Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    OutboxRow {
        id: item_id,
        kind: "interview".into(),
        payload,
        payload_hash: hash,
        created_at: now,
        state: "pending".into(),
    }
}

/// Events with absolute times: each session's wall-clock anchor plus the event's monotonic offset.
pub(crate) fn absolute_events(
    sessions: &[canvass_store::SessionRow],
    events: Vec<canvass_store::EventRow>,
) -> Vec<ParadataEvent> {
    events
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
        .collect()
}

/// A UUIDv7 whose timestamp comes from the injected clock.
pub(crate) fn new_id(now_ms: i64) -> String {
    let ms = now_ms.max(0) as u64;
    let ts =
        uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    uuid::Uuid::new_v7(ts).to_string()
}
