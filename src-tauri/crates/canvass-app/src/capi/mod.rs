//! CAPI use cases: assignment import, the interviewer's dashboard, interviews per assignment, visits and consents.
//!
//! An assignment is one interviewer's unit of face-to-face work. Its status is
//! derived from its interviews and visits (new, started, done once completed
//! interviews reach the target, visited_no_contact after a visit without an
//! interview), so it never needs updating. Visits and consents must reach the
//! server, so each is stored with its outbox row and its log event in one
//! transaction.

mod aapor;
mod import;
mod roster;

use std::collections::BTreeMap;

use canvass_store::{
    AssignmentEventRow, AssignmentQuery, AssignmentRow, ConsentRow, NewAssignment, OutboxRow,
    VisitRow,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::interview::{new_id, App, Screen};

pub use aapor::VisitReason;
pub use import::{ImportProblem, REQUIRED_COLUMNS};
pub use roster::{roster_table, RosterRow, RosterTable, ROSTER_COLUMNS};

/// Assignment statuses, in the order dashboards show them.
pub const ASSIGNMENT_STATUSES: [&str; 4] = ["new", "started", "visited_no_contact", "done"];

/// The dashboard rows shown at once when the caller sets no limit of its own.
pub const DEFAULT_PAGE: usize = 200;

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub study_id: String,
    pub imported: usize,
    /// The preload columns, available to the questionnaire as `${case.NAME}`.
    pub preload_columns: Vec<String>,
}

/// One preloaded value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreloadField {
    pub name: String,
    pub value: String,
}

/// One assignment as the dashboard and the interview header show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentView {
    pub id: String,
    pub study_id: String,
    pub interviewer: String,
    pub address: String,
    pub area: String,
    pub target: i64,
    /// ISO date `YYYY-MM-DD`.
    pub due: Option<String>,
    /// `new`, `started`, `visited_no_contact` or `done`.
    pub status: String,
    pub interviews: i64,
    pub completed: i64,
    pub visits: i64,
    pub last_visit_at: Option<i64>,
    /// Preloaded values in the file's column order.
    pub preload: Vec<PreloadField>,
}

/// The dashboard's filters; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AssignmentFilter {
    /// Text found in the id, address, area or a preloaded value (any case).
    pub search: Option<String>,
    pub status: Option<String>,
    /// Due on or before this ISO date.
    pub due_by: Option<String>,
    pub area: Option<String>,
    /// At most this many rows; [`DEFAULT_PAGE`] when `None`, all with `Some(0)`.
    pub limit: Option<usize>,
    pub offset: usize,
}

/// The interviewer's dashboard: one page of assignments and the counts behind the filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentDashboard {
    pub rows: Vec<AssignmentView>,
    /// Assignments matching every filter (the page may hold fewer).
    pub matching: i64,
    /// Count per status over the assignments matching every filter but status; every status is present.
    pub counts: BTreeMap<String, i64>,
    /// Every area named by an assignment, for the area filter.
    pub areas: Vec<String>,
}

/// A visit without an interview, with its AAPOR in-person disposition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitView {
    pub id: String,
    pub assignment_id: String,
    pub visited_at: i64,
    pub reason: String,
    pub aapor_code: String,
    pub aapor_label: String,
    pub revisit_at: Option<i64>,
    pub note: Option<String>,
}

/// One interview of an assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentInterview {
    pub id: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

/// One event of the assignment's own log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub tz_offset_min: i32,
    pub kind: String,
    pub detail: Option<String>,
}

/// An assignment with its interviews, visits and log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentDetail {
    pub assignment: AssignmentView,
    pub interviews: Vec<AssignmentInterview>,
    pub visits: Vec<VisitView>,
    pub events: Vec<AssignmentEvent>,
}

/// A visit to record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VisitInput {
    pub assignment_id: String,
    /// `nobody_home`, `refused`, `address_not_found` or `other`.
    pub reason: String,
    /// When to come back (Unix ms), if agreed or planned.
    #[serde(default)]
    pub revisit_at: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A consent to record during an interview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentView {
    pub id: String,
    pub interview_id: String,
    pub given: bool,
    pub statement: String,
    pub recorded_at: i64,
}

/// Visits per AAPOR in-person code, for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DispositionCount {
    pub aapor_code: String,
    pub aapor_label: String,
    pub reason: String,
    pub visits: i64,
}

fn preload_fields(json: &str) -> Vec<PreloadField> {
    ordered_pairs(json)
        .into_iter()
        .map(|(name, value)| PreloadField { name, value })
        .collect()
}

/// The preload object's pairs in stored (file) order; a malformed object reads as empty.
fn ordered_pairs(json: &str) -> Vec<(String, String)> {
    struct Ordered(Vec<(String, String)>);
    impl<'de> Deserialize<'de> for Ordered {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Ordered;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object of strings")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> std::result::Result<Ordered, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, String>()? {
                        out.push((k, v));
                    }
                    Ok(Ordered(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Ordered>(json)
        .map(|o| o.0)
        .unwrap_or_default()
}

/// The preload values as a JSON object in column order (serde_json's own map would sort them).
fn preload_json(pairs: &[(String, String)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            // Serializing a &str to a String cannot fail in serde_json.
            let k = serde_json::to_string(k).unwrap_or_default();
            let v = serde_json::to_string(v).unwrap_or_default();
            format!("{k}:{v}")
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

fn assignment_view(r: AssignmentRow) -> AssignmentView {
    AssignmentView {
        preload: preload_fields(&r.preload),
        id: r.id,
        study_id: r.study_id,
        interviewer: r.interviewer,
        address: r.address,
        area: r.area,
        target: r.target,
        due: r.due_date,
        status: r.status,
        interviews: r.interviews,
        completed: r.completed,
        visits: r.visits,
        last_visit_at: r.last_visit_at,
    }
}

fn visit_view(v: VisitRow) -> VisitView {
    let label = VisitReason::parse(&v.reason)
        .map(|r| r.aapor_label())
        .unwrap_or("");
    VisitView {
        aapor_label: label.to_owned(),
        id: v.id,
        assignment_id: v.assignment_id,
        visited_at: v.visited_at,
        reason: v.reason,
        aapor_code: v.aapor_code,
        revisit_at: v.revisit_at,
        note: v.note,
    }
}

fn event_view(e: AssignmentEventRow) -> AssignmentEvent {
    AssignmentEvent {
        seq: e.seq,
        at_ms: e.at_ms,
        tz_offset_min: e.tz_offset_min,
        kind: e.kind,
        detail: e.detail,
    }
}

/// The salted SHA-256 of a respondent-mode PIN, in hex. A four-digit PIN
/// is a handover lock against a curious respondent, not a secret against
/// someone holding the database file; the salt keeps equal PINs from
/// showing as equal hashes.
fn pin_hash(salt: &str, pin: &str) -> String {
    Sha256::digest(format!("{salt}:{pin}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An outbox row for `payload`, keyed by the record's own id.
fn outbox_row(id: &str, kind: &str, payload: String, now: i64) -> OutboxRow {
    let hash = Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    OutboxRow {
        id: id.to_owned(),
        kind: kind.into(),
        payload,
        payload_hash: hash,
        created_at: now,
        state: "pending".into(),
    }
}

impl App {
    /// Imports an assignment list (CSV or XLSX) for `study_id`: every row is
    /// checked first, and a file with any problem imports nothing.
    pub fn import_assignments(
        &self,
        study_id: &str,
        bytes: &[u8],
        file_name: &str,
    ) -> Result<ImportReport> {
        if !self.studies().iter().any(|s| s.id == study_id) {
            return Err(Error::UnknownStudy {
                id: study_id.to_owned(),
            });
        }
        let invalid = |problems| Error::AssignmentsInvalid {
            file: file_name.to_owned(),
            problems,
        };
        let parsed = import::parse(bytes, file_name).map_err(invalid)?;
        let ids: Vec<&str> = parsed.iter().map(|p| p.id.as_str()).collect();
        let existing = self.lock().store.existing_assignment_ids(&ids)?;
        if !existing.is_empty() {
            return Err(invalid(
                parsed
                    .iter()
                    .filter(|p| existing.contains(&p.id))
                    .map(|p| ImportProblem {
                        row: p.row,
                        column: "id".into(),
                        message: format!("assignment `{}` is already on this device", p.id),
                    })
                    .collect(),
            ));
        }
        let preload_columns = parsed
            .first()
            .map(|p| p.preload.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        let rows: Vec<NewAssignment> = parsed
            .into_iter()
            .map(|p| {
                let mut search = format!("{}\n{}\n{}", p.id, p.address, p.area);
                for (_, v) in &p.preload {
                    search.push('\n');
                    search.push_str(v);
                }
                NewAssignment {
                    preload: preload_json(&p.preload),
                    search_text: search.to_lowercase(),
                    id: p.id,
                    study_id: study_id.to_owned(),
                    interviewer: p.interviewer,
                    address: p.address,
                    area: p.area,
                    target: p.target,
                    due_date: p.due,
                }
            })
            .collect();
        let imported = self.lock().store.import_assignments(
            &rows,
            self.clock.now_ms(),
            self.clock.utc_offset_min(),
        )?;
        Ok(ImportReport {
            study_id: study_id.to_owned(),
            imported,
            preload_columns,
        })
    }

    /// The dashboard: assignments matching the filters (soonest due first) and counts per status.
    pub fn assignment_dashboard(&self, filter: &AssignmentFilter) -> Result<AssignmentDashboard> {
        fn blank(s: &Option<String>) -> Option<&str> {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        if let Some(s) = blank(&filter.status) {
            if !ASSIGNMENT_STATUSES.contains(&s) {
                return Err(Error::InvalidFilter {
                    reason: format!(
                        "unknown status `{s}`; use one of {}",
                        ASSIGNMENT_STATUSES.join(", ")
                    ),
                });
            }
        }
        if let Some(d) = blank(&filter.due_by) {
            if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                return Err(Error::InvalidFilter {
                    reason: format!("`{d}` is not a date; write it as YYYY-MM-DD"),
                });
            }
        }
        let query = AssignmentQuery {
            search: blank(&filter.search).map(str::to_lowercase),
            status: blank(&filter.status).map(str::to_owned),
            due_by: blank(&filter.due_by).map(str::to_owned),
            area: blank(&filter.area).map(str::to_owned),
            limit: match filter.limit {
                None => Some(DEFAULT_PAGE),
                Some(0) => None,
                Some(n) => Some(n),
            },
            offset: filter.offset,
        };
        let inner = self.lock();
        let page = inner.store.assignments(&query)?;
        let areas = inner.store.assignment_areas()?;
        drop(inner);
        let mut counts: BTreeMap<String, i64> = ASSIGNMENT_STATUSES
            .iter()
            .map(|s| ((*s).to_owned(), 0))
            .collect();
        for (s, n) in page.counts {
            counts.insert(s, n);
        }
        Ok(AssignmentDashboard {
            rows: page.rows.into_iter().map(assignment_view).collect(),
            matching: page.matching,
            counts,
            areas,
        })
    }

    /// One assignment with its interviews, visits and log.
    pub fn assignment_detail(&self, assignment_id: &str) -> Result<AssignmentDetail> {
        let inner = self.lock();
        let assignment = assignment_view(inner.store.assignment(assignment_id)?);
        let mut interviews = Vec::new();
        for id in inner.store.assignment_interview_ids(assignment_id)? {
            let r = inner.store.interview(&id)?;
            interviews.push(AssignmentInterview {
                id: r.id,
                status: r.status,
                created_at: r.created_at,
                updated_at: r.updated_at,
                completed_at: r.completed_at,
            });
        }
        Ok(AssignmentDetail {
            assignment,
            interviews,
            visits: inner
                .store
                .visits(assignment_id)?
                .into_iter()
                .map(visit_view)
                .collect(),
            events: inner
                .store
                .assignment_events(assignment_id)?
                .into_iter()
                .map(event_view)
                .collect(),
        })
    }

    /// The assignment an interview was started for, for the read-only header above its questions.
    pub fn assignment_of_interview(&self, interview_id: &str) -> Result<Option<AssignmentView>> {
        let inner = self.lock();
        inner.store.interview(interview_id)?;
        match inner.store.assignment_of_interview(interview_id)? {
            Some(id) => Ok(Some(assignment_view(inner.store.assignment(&id)?))),
            None => Ok(None),
        }
    }

    /// Starts one more interview for an assignment, on the assignment's study,
    /// linked to it in the same transaction. An assignment takes as many
    /// interviews as it needs (every adult of a household); starting one
    /// after the target is reached is refused.
    pub fn start_assignment_interview(&self, assignment_id: &str) -> Result<Screen> {
        let a = self.lock().store.assignment(assignment_id)?;
        if a.status == "done" {
            return Err(Error::AssignmentDone {
                id: a.id,
                target: a.target,
            });
        }
        let preload: BTreeMap<String, String> = ordered_pairs(&a.preload).into_iter().collect();
        self.start_interview_for(
            &a.study_id,
            Some((crate::interview::CaseLink::Assignment(&a.id), &preload)),
        )
    }

    /// Records a visit that produced no interview, with its AAPOR in-person code,
    /// its outbox row and its log event, in one transaction.
    pub fn record_visit(&self, input: &VisitInput) -> Result<VisitView> {
        let reason = VisitReason::parse(&input.reason).ok_or_else(|| Error::InvalidVisit {
            reason: format!(
                "unknown visit reason `{}`; use one of {}",
                input.reason,
                VisitReason::ALL.map(|r| r.code()).join(", ")
            ),
        })?;
        let now = self.clock.now_ms();
        if let Some(at) = input.revisit_at {
            if at <= now {
                return Err(Error::InvalidVisit {
                    reason: format!(
                        "the revisit time {} is not in the future",
                        crate::utc_text(at)
                    ),
                });
            }
        }
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let visit = VisitRow {
            id: new_id(now),
            assignment_id: input.assignment_id.clone(),
            visited_at: now,
            reason: reason.code().to_owned(),
            aapor_code: reason.aapor_code().to_owned(),
            revisit_at: input.revisit_at,
            note,
        };
        #[derive(Serialize)]
        struct Payload<'a> {
            id: &'a str,
            assignment_id: &'a str,
            visited_at: i64,
            reason: &'a str,
            aapor_code: &'a str,
            revisit_at: Option<i64>,
            note: Option<&'a str>,
        }
        let payload = serde_json::to_string(&Payload {
            id: &visit.id,
            assignment_id: &visit.assignment_id,
            visited_at: visit.visited_at,
            reason: &visit.reason,
            aapor_code: &visit.aapor_code,
            revisit_at: visit.revisit_at,
            note: visit.note.as_deref(),
        })
        // A struct of strings, integers and options has no failure path in serde_json.
        .expect("serializing plain strings and integers cannot fail");
        let outbox = outbox_row(&visit.id, "visit", payload, now);
        self.lock()
            .store
            .record_visit(&visit, &outbox, self.clock.utc_offset_min())?;
        Ok(visit_view(visit))
    }

    /// Visits on this device counted per AAPOR in-person code, for disposition reports.
    pub fn visit_dispositions(&self) -> Result<Vec<DispositionCount>> {
        let visits = self.lock().store.all_visits()?;
        Ok(VisitReason::ALL
            .iter()
            .map(|r| DispositionCount {
                aapor_code: r.aapor_code().to_owned(),
                aapor_label: r.aapor_label().to_owned(),
                reason: r.code().to_owned(),
                visits: visits.iter().filter(|v| v.reason == r.code()).count() as i64,
            })
            .collect())
    }

    /// Records that the respondent gave (or refused) consent to `statement`,
    /// timestamped, with its outbox row and a `consent` event in the interview's log.
    pub fn record_consent(
        &self,
        interview_id: &str,
        given: bool,
        statement: &str,
    ) -> Result<ConsentView> {
        let statement = statement.trim();
        if statement.is_empty() {
            return Err(Error::InvalidConsent {
                reason: "a consent needs the statement the respondent agreed to".into(),
            });
        }
        let now = self.clock.now_ms();
        let row = ConsentRow {
            id: new_id(now),
            interview_id: interview_id.to_owned(),
            given,
            statement: statement.to_owned(),
            recorded_at: now,
        };
        let payload = serde_json::json!({
            "id": row.id,
            "interview_id": row.interview_id,
            "given": row.given,
            "statement": row.statement,
            "recorded_at": row.recorded_at,
        })
        .to_string();
        let outbox = outbox_row(&row.id, "consent", payload, now);
        self.log_interview_event(
            interview_id,
            "consent",
            Some(serde_json::json!({ "consent_id": row.id, "given": given }).to_string()),
            |w| Ok(w.record_consent(&row, &outbox)?),
        )?;
        Ok(ConsentView {
            id: row.id,
            interview_id: row.interview_id,
            given: row.given,
            statement: row.statement,
            recorded_at: row.recorded_at,
        })
    }

    /// The consents recorded in an interview, oldest first.
    pub fn consents(&self, interview_id: &str) -> Result<Vec<ConsentView>> {
        let inner = self.lock();
        inner.store.interview(interview_id)?;
        Ok(inner
            .store
            .consents(interview_id)?
            .into_iter()
            .map(|c| ConsentView {
                id: c.id,
                interview_id: c.interview_id,
                given: c.given,
                statement: c.statement,
                recorded_at: c.recorded_at,
            })
            .collect())
    }

    /// Hands the laptop to the respondent for self-completion: logs
    /// `respondent_mode_start` and stores a salted hash of the interviewer's
    /// PIN in the same transaction, so a restart reopens the interview locked.
    /// The PIN is at least four digits.
    pub fn start_respondent_mode(&self, interview_id: &str, pin: &str) -> Result<()> {
        if pin.len() < 4 || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::RespondentPin {
                reason: "the PIN must be at least four digits".into(),
            });
        }
        // A v7 id's 74 random bits make a fresh salt for every handover.
        let salt = new_id(self.clock.now_ms());
        let hash = pin_hash(&salt, pin);
        let now = self.clock.now_ms();
        self.log_interview_event(interview_id, "respondent_mode_start", None, |w| {
            Ok(w.lock_respondent(&salt, &hash, now)?)
        })
    }

    /// Returns the laptop to the interviewer (`respondent_mode_end`) when
    /// `pin` is the one the handover stored; a wrong PIN changes nothing.
    /// An interview closed meanwhile (the respondent finished it) takes no
    /// more events, but its lock is still lifted by the right PIN.
    pub fn end_respondent_mode(&self, interview_id: &str, pin: &str) -> Result<()> {
        let lock = self.lock().store.respondent_lock(Some(interview_id))?;
        let Some(lock) = lock else {
            // Not locked (an older handover, or already returned): nothing to check.
            return self.log_interview_event(interview_id, "respondent_mode_end", None, |_| Ok(()));
        };
        if pin_hash(&lock.salt, pin) != lock.pin_hash {
            return Err(Error::RespondentPin {
                reason: "that is not the PIN given at the handover".into(),
            });
        }
        match self.log_interview_event(interview_id, "respondent_mode_end", None, |w| {
            Ok(w.unlock_respondent()?)
        }) {
            Err(Error::InterviewClosed { .. }) => {
                self.lock().store.clear_respondent_lock(interview_id)?;
                Ok(())
            }
            other => other,
        }
    }

    /// The interview left in respondent mode, if any: the app opens it locked at start-up.
    pub fn respondent_locked_interview(&self) -> Result<Option<String>> {
        Ok(self
            .lock()
            .store
            .respondent_lock(None)?
            .map(|l| l.interview_id))
    }

    /// Logs that the current question's options were shown full screen as a show card.
    pub fn log_show_card(&self, interview_id: &str) -> Result<()> {
        self.log_interview_event(interview_id, "show_card", None, |_| Ok(()))
    }
}

impl App {
    /// Assignments received through sync that could not join the dashboard, with the reason, by id.
    pub fn received_assignment_problems(&self) -> Result<Vec<(String, String)>> {
        Ok(self.lock().store.received_assignment_problems()?)
    }
}
