//! Telephone interviewing (CATI) use cases: case lists, the call queue, call outcomes, appointments, quotas and reports.
//!
//! The decisions are pure functions in [`schedule`], [`rates`], [`quota`] and
//! [`import`]; this module reads the store, calls them and writes the result.
//! Recording a call writes the attempt, its call-log events, its outbox row,
//! any appointment with its own outbox row, and the case's recomputed state in
//! one transaction.

pub mod export;
pub mod import;
pub mod outcomes;
pub mod phone_zone;
pub mod quota;
pub mod rates;
pub mod schedule;
pub mod server;

use std::collections::BTreeMap;

use canvass_store::{AttemptRow, CaseRow, CaseStateRow, NewCase, OutboxRow, Store};
use chrono_tz::Tz;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::interview::{new_id, App};
use outcomes::{Outcome, OutcomeKind, OutcomeTable, RateClass};
use schedule::{
    Caller, Candidate, Decision, DerivedState, DueAppointment, NumberState, PastAttempt, Rules,
    Status,
};

/// How many queue rows of a zone are read first while looking for a callable case:
/// the head of an open zone's queue is nearly always callable, so one row, and
/// growing pages only for zones whose head is held back (quota, lease).
const PAGE_FIRST: i64 = 1;
/// The largest page read at once.
const PAGE_MAX: i64 = 1024;

/// The device id used for leases when this device never signed in to a server.
pub const LOCAL_DEVICE: &str = "local";

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub study_id: String,
    pub cases: usize,
    /// Preload columns the cases carry, readable as `${case.NAME}`.
    pub preload_columns: Vec<String>,
}

/// The next case to call, with what the call screen shows, or why none is callable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextCase {
    pub decision: Decision,
    /// The chosen case, when there is one.
    pub case: Option<CaseCard>,
    /// When nothing is callable: the earliest time a delayed case or an appointment becomes due (Unix ms).
    pub next_due_at: Option<i64>,
}

/// One case as the call screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseCard {
    pub study_id: String,
    pub case_id: String,
    pub name: String,
    pub phones: Vec<String>,
    /// The number to dial now (0-based index into `phones`).
    pub phone_index: Option<usize>,
    pub timezone: String,
    /// The respondent's local time now, e.g. `2026-11-22 18:05 EET`.
    pub local_time: String,
    pub priority: i64,
    pub status: String,
    pub attempts: i64,
    pub disposition: Option<String>,
    pub preload: BTreeMap<String, String>,
    pub notes: String,
    pub history: Vec<AttemptView>,
    pub appointment_at: Option<i64>,
    /// An unfinished interview of this case (a partial): the hand-over resumes it where it stopped.
    pub partial_interview: Option<String>,
}

/// One past attempt on the case card and in exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptView {
    pub id: String,
    pub phone: String,
    pub interviewer: String,
    pub started_at: i64,
    pub ended_at: i64,
    pub outcome: String,
    pub aapor: String,
    pub note: String,
}

/// A pending appointment, for the calendar's day view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentView {
    pub id: String,
    pub study_id: String,
    pub case_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub interviewer: String,
    pub hard: bool,
}

/// An appointment to book with a call outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRequest {
    pub starts_at: i64,
    /// Defaults to 15 minutes after the start.
    pub ends_at: Option<i64>,
    /// Hard: only this interviewer takes it.
    pub hard: bool,
}

/// A call outcome to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCall {
    pub study_id: Option<String>,
    pub case_id: String,
    /// Short name (`no_answer`) or AAPOR code (`3.13`).
    pub outcome: String,
    pub interviewer: String,
    /// When the dial started; `None`: now (a call recorded after the fact).
    pub started_at: Option<i64>,
    /// Which number was dialled; `None`: the one the scheduler chose.
    pub phone_index: Option<usize>,
    pub note: String,
    pub appointment: Option<AppointmentRequest>,
    /// The interview the call led to, if any.
    pub interview_id: Option<String>,
}

/// What recording a call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedCall {
    pub attempt_id: String,
    pub study_id: String,
    pub case_id: String,
    pub outcome: String,
    pub aapor: String,
    pub appointment_id: Option<String>,
    /// `open` or `final` after this call.
    pub case_status: String,
    pub disposition: Option<String>,
    pub next_allowed_at: i64,
}

/// A quota cell as the call screen shows it: this device's completes plus the
/// server's last total of the other devices, with when the server counted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaView {
    pub name: String,
    pub target: i64,
    pub local_count: i64,
    /// `None` until a sync brought a total.
    pub server_count: Option<i64>,
    /// When the server counted (Unix ms); the screen shows its age.
    pub server_count_at: Option<i64>,
    /// Local plus server: what the full-cell check uses.
    pub total: i64,
    pub full: bool,
}

/// Rates and effort figures for one group of cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateReport {
    pub cases: i64,
    pub counts: rates::ClassCounts,
    pub e: f64,
    pub rates: rates::Rates,
    pub attempts: i64,
    pub completes: i64,
    /// `None` ("n/a") without completes.
    pub attempts_per_complete: Option<f64>,
    /// Call minutes summed over attempts, per attempted case; `None` without attempts.
    pub minutes_per_case: Option<f64>,
}

/// The CATI report of one study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyReport {
    pub study_id: String,
    pub overall: RateReport,
    pub by_interviewer: BTreeMap<String, RateReport>,
    /// Cases by final (or interim) disposition code.
    pub dispositions: BTreeMap<String, i64>,
}

#[derive(Serialize, serde::Deserialize, Default)]
struct StoredNumbers {
    numbers: Vec<NumberState>,
    next_phone: Option<usize>,
}

/// The stored form of a derived state (bulk loaders and benchmarks write cases with it).
pub fn state_row(s: &DerivedState) -> CaseStateRow {
    CaseStateRow {
        status: match s.status {
            Status::Open => "open",
            Status::Final => "final",
        }
        .into(),
        attempts: s.attempts,
        last_call_at: s.last_call_at,
        next_allowed_at: s.next_allowed_at,
        last_outcome: s.last_outcome.clone(),
        final_code: s.disposition.clone(),
        // A struct of integers and booleans always serializes.
        number_state: serde_json::to_string(&StoredNumbers {
            numbers: s.numbers.clone(),
            next_phone: s.next_phone,
        })
        .unwrap_or_default(),
        appointment_at: s.appointment_at,
    }
}

fn from_row(r: &CaseStateRow) -> DerivedState {
    let n: StoredNumbers = serde_json::from_str(&r.number_state).unwrap_or_default();
    DerivedState {
        status: if r.status == "final" {
            Status::Final
        } else {
            Status::Open
        },
        attempts: r.attempts,
        last_call_at: r.last_call_at,
        next_allowed_at: r.next_allowed_at,
        last_outcome: r.last_outcome.clone(),
        disposition: r.final_code.clone(),
        numbers: n.numbers,
        next_phone: n.next_phone,
        appointment_at: r.appointment_at,
    }
}

fn parse_tz(name: &str) -> Tz {
    // Zones were checked at import; a name this build's tz database lacks falls
    // back to UTC rather than hiding the case.
    name.parse().unwrap_or(Tz::UTC)
}

/// A stored case as the scheduler sees it; `servers` are the server-managed studies.
fn candidate(c: &CaseRow, servers: &[String]) -> Candidate {
    Candidate {
        server_managed: servers.contains(&c.study_id),
        study_id: c.study_id.clone(),
        case_id: c.id.clone(),
        priority: c.priority,
        timezone: parse_tz(&c.timezone),
        state: from_row(&c.state),
        lease: c.lease_device.clone().map(|d| (d, c.lease_expires_at)),
    }
}

fn phones_of(c: &CaseRow) -> Vec<String> {
    serde_json::from_str(&c.phones).unwrap_or_default()
}

fn preload_of(c: &CaseRow) -> BTreeMap<String, String> {
    serde_json::from_str(&c.preload).unwrap_or_default()
}

fn past(a: &AttemptRow) -> PastAttempt {
    PastAttempt {
        phone_index: a.phone_index.max(0) as usize,
        ended_at: a.ended_at,
        outcome: a.outcome_code.clone(),
        interviewer: a.interviewer.clone(),
    }
}

fn outbox_row(id: &str, kind: &str, payload: &serde_json::Value, now: i64) -> OutboxRow {
    let payload = payload.to_string();
    let hash = Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    OutboxRow {
        id: id.to_owned(),
        kind: kind.to_owned(),
        payload,
        payload_hash: hash,
        created_at: now,
        state: "pending".into(),
    }
}

/// A study's outcome table: defaults with the study's overrides.
fn outcome_table(store: &Store, study_id: &str) -> Result<OutcomeTable> {
    let mut t = OutcomeTable::default();
    for (_, json) in store.outcome_overrides(study_id)? {
        // Overrides are validated when set; an unreadable one is skipped, not fatal.
        if let Ok(o) = serde_json::from_str::<Outcome>(&json) {
            t.set(o);
        }
    }
    Ok(t)
}

fn study_rules(store: &Store, study_id: &str) -> Result<Rules> {
    Ok(store
        .cati_rules(study_id)?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

fn device_of(store: &Store) -> Result<String> {
    Ok(store
        .read_sync_settings()?
        .map(|s| s.device_id)
        .unwrap_or_else(|| LOCAL_DEVICE.to_owned()))
}

/// Full quota cells of a study with their parsed conditions.
fn full_cells(store: &Store, study_id: &str) -> Result<Vec<(String, quota::Condition)>> {
    Ok(store
        .quotas(study_id)?
        .into_iter()
        .filter(|q| q.local_count + q.server_count.unwrap_or(0) >= q.target)
        .filter_map(|q| {
            quota::parse_condition(&q.expression)
                .ok()
                .map(|c| (q.name, c))
        })
        .collect())
}

fn resolve_case(store: &Store, study_id: Option<&str>, case_id: &str) -> Result<CaseRow> {
    match study_id {
        Some(s) => store.case(s, case_id)?.ok_or_else(|| Error::UnknownCase {
            id: case_id.to_owned(),
        }),
        None => {
            let mut all = store.cases_with_id(case_id)?;
            match all.len() {
                0 => Err(Error::UnknownCase {
                    id: case_id.to_owned(),
                }),
                1 => Ok(all.remove(0)),
                _ => Err(Error::AmbiguousCase {
                    id: case_id.to_owned(),
                    studies: all.into_iter().map(|c| c.study_id).collect(),
                }),
            }
        }
    }
}

fn attempt_view(a: &AttemptRow, table: &OutcomeTable) -> AttemptView {
    AttemptView {
        id: a.id.clone(),
        phone: a.phone.clone(),
        interviewer: a.interviewer.clone(),
        started_at: a.started_at,
        ended_at: a.ended_at,
        outcome: a.outcome_code.clone(),
        aapor: table
            .get(&a.outcome_code)
            .map(|o| o.aapor.clone())
            .unwrap_or_default(),
        note: a.note.clone(),
    }
}

fn card(store: &Store, c: &CaseRow, now: i64) -> Result<CaseCard> {
    let table = outcome_table(store, &c.study_id)?;
    let state = from_row(&c.state);
    let tz = parse_tz(&c.timezone);
    Ok(CaseCard {
        study_id: c.study_id.clone(),
        case_id: c.id.clone(),
        name: c.name.clone(),
        phones: phones_of(c),
        phone_index: state.next_phone,
        timezone: c.timezone.clone(),
        local_time: schedule::local_time(tz, now)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        priority: c.priority,
        status: c.state.status.clone(),
        attempts: c.state.attempts,
        disposition: c.state.final_code.clone(),
        preload: preload_of(c),
        notes: c.notes.clone(),
        history: store
            .case_attempts(&c.study_id, &c.id)?
            .iter()
            .map(|a| attempt_view(a, &table))
            .collect(),
        appointment_at: c.state.appointment_at,
        partial_interview: store.case_open_interview(&c.study_id, &c.id)?,
    })
}

impl App {
    /// Imports a case list (CSV or XLSX bytes) into a study: every row is
    /// checked first, and any problem imports nothing.
    pub fn import_cases(
        &self,
        study_id: &str,
        bytes: &[u8],
        file_name: &str,
        default_timezone: Option<&str>,
    ) -> Result<ImportSummary> {
        let fail = |problems: Vec<String>| Error::CaseList {
            file: file_name.to_owned(),
            problems,
        };
        let table = import::read_table(bytes, file_name).map_err(|m| fail(vec![m]))?;
        let cases = import::check_cases(&table, default_timezone)
            .map_err(|ps| fail(ps.iter().map(ToString::to_string).collect()))?;
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let outcomes = outcome_table(&inner.store, study_id)?;
        let rules = study_rules(&inner.store, study_id)?;
        let preload_columns = cases
            .first()
            .map(|c| c.preload.keys().cloned().collect())
            .unwrap_or_default();
        let rows: Vec<NewCase> = cases
            .iter()
            .map(|c| NewCase {
                study_id: study_id.to_owned(),
                id: c.id.clone(),
                name: c.name.clone(),
                timezone: c.timezone.clone(),
                priority: c.priority,
                phones: serde_json::to_string(&c.phones).unwrap_or_default(),
                preload: serde_json::to_string(&c.preload).unwrap_or_default(),
                imported_at: now,
                state: state_row(&schedule::derive_state(
                    c.phones.len(),
                    &[],
                    None,
                    &outcomes,
                    &rules,
                )),
            })
            .collect();
        let n = inner.store.import_cases(&rows)?;
        Ok(ImportSummary {
            study_id: study_id.to_owned(),
            cases: n,
            preload_columns,
        })
    }

    /// Chooses the next case for `interviewer` now: due appointments first
    /// (hard ones only to their interviewer), then the queue by priority and
    /// least recently called, within each respondent's local calling window.
    pub fn cati_next(&self, interviewer: &str) -> Result<NextCase> {
        let now = self.clock.now_ms();
        let inner = self.lock();
        let store = &inner.store;
        store.keep_cati_statements();
        let device = device_of(store)?;
        let servers = store.server_studies()?;
        let caller = Caller {
            interviewer,
            device: &device,
        };
        let mut rules_cache: BTreeMap<String, Rules> = BTreeMap::new();
        let mut cells_cache: BTreeMap<String, Vec<(String, quota::Condition)>> = BTreeMap::new();
        let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
        let merge = |d: &Decision, reasons: &mut BTreeMap<String, i64>| {
            if let Decision::NoneCallable { reasons: r } = d {
                for (k, v) in r {
                    *reasons.entry(k.clone()).or_default() += v;
                }
            }
        };

        // Due appointments, with the cases they name.
        let due: Vec<DueAppointment> = store
            .due_appointments(now)?
            .into_iter()
            .map(|a| DueAppointment {
                id: a.id,
                study_id: a.study_id,
                case_id: a.case_id,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                interviewer: a.interviewer,
                hard: a.hard,
            })
            .collect();
        if !due.is_empty() {
            let mut cases = Vec::new();
            for a in &due {
                if let Some(c) = store.case(&a.study_id, &a.case_id)? {
                    cases.push(candidate(&c, &servers));
                }
            }
            // Appointment cases always have `appointment_at` set, so the queue
            // part of `next_case` holds them back without counting a reason.
            let d =
                schedule::next_case(&cases, &due, now, &|_| Rules::default(), caller, &|_| None);
            if let Decision::Call { .. } = d {
                return self.decided(store, d, now);
            }
            merge(&d, &mut reasons);
        }

        // The queue, zone by zone: a zone whose calling window is closed is not
        // read at all; in an open zone the first callable case is found a
        // page at a time in index order, and the best of the zones' picks wins.
        let mut best: Option<(Candidate, Decision)> = None;
        let mut closed: Vec<(String, String)> = Vec::new();
        for (study, zone) in store.cati_zones()? {
            if !rules_cache.contains_key(&study) {
                rules_cache.insert(study.clone(), study_rules(store, &study)?);
                cells_cache.insert(study.clone(), full_cells(store, &study)?);
            }
            let rules = rules_cache[&study].clone();
            if !rules.in_window(&schedule::local_time(parse_tz(&zone), now)) {
                closed.push((study, zone));
                continue;
            }
            let cells = &cells_cache[&study];
            let mut offset = 0;
            let mut limit = PAGE_FIRST;
            loop {
                let page = store.queue_page(&study, &zone, now, offset, limit)?;
                if page.is_empty() {
                    break;
                }
                let values: BTreeMap<String, BTreeMap<String, String>> = if cells.is_empty() {
                    BTreeMap::new()
                } else {
                    page.iter()
                        .map(|c| (c.id.clone(), quota::preload_values(&preload_of(c))))
                        .collect()
                };
                let quota_full = |c: &Candidate| {
                    let v = values.get(&c.case_id)?;
                    cells
                        .iter()
                        .find(|(_, cond)| quota::in_cell(cond, v, now))
                        .map(|(name, _)| name.clone())
                };
                let candidates: Vec<Candidate> =
                    page.iter().map(|c| candidate(c, &servers)).collect();
                let d = schedule::next_case(
                    &candidates,
                    &[],
                    now,
                    &|_| rules.clone(),
                    caller,
                    &quota_full,
                );
                if let Decision::Call { ref case_id, .. } = d {
                    let chosen = candidates.into_iter().find(|c| &c.case_id == case_id);
                    if let Some(c) = chosen {
                        let better = best
                            .as_ref()
                            .is_none_or(|(b, _)| schedule::order_key(&c) < schedule::order_key(b));
                        if better {
                            best = Some((c, d));
                        }
                    }
                    break;
                }
                merge(&d, &mut reasons);
                offset += page.len() as i64;
                // Most zones answer on the first rows; a zone full of held-back cases is read in growing pages.
                limit = (limit * 4).min(PAGE_MAX);
            }
        }
        if let Some((_, d)) = best {
            return self.decided(store, d, now);
        }
        for (study, zone) in closed {
            let n = store.queue_size(&study, &zone, now)?;
            if n > 0 {
                *reasons.entry("outside_window".to_owned()).or_default() += n;
            }
        }
        let counts = store.queue_counts(now)?;
        for (code, n) in [
            ("final", counts.final_cases),
            ("delay", counts.delayed),
            ("appointment_pending", counts.appointment_pending),
        ] {
            if n > 0 {
                *reasons.entry(code.to_owned()).or_default() += n;
            }
        }
        let next_due_at = [counts.next_allowed_at, counts.next_appointment_at]
            .into_iter()
            .flatten()
            .min();
        Ok(NextCase {
            decision: Decision::NoneCallable { reasons },
            case: None,
            next_due_at,
        })
    }

    fn decided(&self, store: &Store, d: Decision, now: i64) -> Result<NextCase> {
        let case = match &d {
            Decision::Call {
                study_id,
                case_id,
                phone_index,
                ..
            } => {
                let row = store
                    .case(study_id, case_id)?
                    .ok_or_else(|| Error::UnknownCase {
                        id: case_id.clone(),
                    })?;
                let mut c = card(store, &row, now)?;
                c.phone_index = Some(*phone_index);
                Some(c)
            }
            Decision::NoneCallable { .. } => None,
        };
        Ok(NextCase {
            decision: d,
            case,
            next_due_at: None,
        })
    }

    /// The call screen's card of one case.
    pub fn case_card(&self, study_id: Option<&str>, case_id: &str) -> Result<CaseCard> {
        let now = self.clock.now_ms();
        let inner = self.lock();
        let row = resolve_case(&inner.store, study_id, case_id)?;
        card(&inner.store, &row, now)
    }

    /// Records the outcome of one call: the attempt, its call-log events and
    /// outbox row, an appointment if one was booked, and the case's new state,
    /// in one transaction. A complete counts in every quota cell it falls in.
    pub fn cati_record(&self, req: &RecordCall) -> Result<RecordedCall> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let row = resolve_case(&inner.store, req.study_id.as_deref(), &req.case_id)?;
        let table = outcome_table(&inner.store, &row.study_id)?;
        let rules = study_rules(&inner.store, &row.study_id)?;
        let outcome = table
            .find(&req.outcome)
            .cloned()
            .ok_or_else(|| Error::UnknownOutcome {
                code: req.outcome.clone(),
            })?;
        if outcome.note_required && req.note.trim().is_empty() {
            return Err(Error::CatiInvalid {
                message: format!(
                    "the outcome {} ({}) needs a note",
                    outcome.name, outcome.aapor
                ),
            });
        }
        if outcome.kind == OutcomeKind::Appointment && req.appointment.is_none() {
            return Err(Error::CatiInvalid {
                message: format!("the outcome {} needs an appointment time", outcome.name),
            });
        }
        if let Some(a) = &req.appointment {
            if a.starts_at <= now {
                return Err(Error::CatiInvalid {
                    message: "the appointment must be in the future".into(),
                });
            }
            if a.ends_at.is_some_and(|e| e < a.starts_at) {
                return Err(Error::CatiInvalid {
                    message: "the appointment ends before it starts".into(),
                });
            }
        }
        let phones = phones_of(&row);
        let state = from_row(&row.state);
        let phone_index = req.phone_index.or(state.next_phone).unwrap_or(0);
        let phone = phones
            .get(phone_index)
            .cloned()
            .ok_or_else(|| Error::CatiInvalid {
                message: format!("case {} has no phone number {}", row.id, phone_index + 1),
            })?;
        // Quota cells a complete counts in, judged on its answers and preload values.
        let mut cells = Vec::new();
        if outcome.class == RateClass::I {
            let mut values = quota::preload_values(&preload_of(&row));
            if let Some(iid) = &req.interview_id {
                for a in inner.store.answers(iid)? {
                    let name = a.item_path.rsplit('/').next().unwrap_or("").to_owned();
                    values.insert(name, a.value);
                }
            }
            for q in inner.store.quotas(&row.study_id)? {
                if let Ok(cond) = quota::parse_condition(&q.expression) {
                    if quota::in_cell(&cond, &values, now) {
                        cells.push(q.name);
                    }
                }
            }
        }
        let attempt_id = new_id(now);
        let appointment_id = req.appointment.as_ref().map(|_| new_id(now));
        let attempt = AttemptRow {
            id: attempt_id.clone(),
            study_id: row.study_id.clone(),
            case_id: row.id.clone(),
            phone_index: phone_index as i64,
            phone,
            interviewer: req.interviewer.clone(),
            started_at: req.started_at.unwrap_or(now).min(now),
            ended_at: now,
            outcome_code: outcome.name.clone(),
            note: req.note.clone(),
            appointment_id: appointment_id.clone(),
            interview_id: req.interview_id.clone(),
        };
        let w = inner.store.cati_write()?;
        w.insert_attempt(&attempt)?;
        let call = serde_json::json!({
            "attempt_id": attempt.id,
            "phone_index": attempt.phone_index,
        });
        w.event(
            &row.study_id,
            &row.id,
            attempt.started_at,
            "call_start",
            &req.interviewer,
            &call.to_string(),
        )?;
        let end = serde_json::json!({
            "attempt_id": attempt.id,
            "outcome": outcome.name,
            "aapor": outcome.aapor,
            "interview_id": attempt.interview_id,
        });
        w.event(
            &row.study_id,
            &row.id,
            now,
            "call_end",
            &req.interviewer,
            &end.to_string(),
        )?;
        w.outbox(&outbox_row(
            &attempt.id,
            "call_attempt",
            &serde_json::json!({
                "id": attempt.id,
                "study_id": attempt.study_id,
                "case_id": attempt.case_id,
                "phone_index": attempt.phone_index,
                "phone": attempt.phone,
                "interviewer": attempt.interviewer,
                "started_at": attempt.started_at,
                "ended_at": attempt.ended_at,
                "outcome": outcome.name,
                "aapor": outcome.aapor,
                "note": attempt.note,
                "appointment_id": attempt.appointment_id,
                "interview_id": attempt.interview_id,
                // The quota cells a complete counts in, so the server can total them over devices.
                "quota_cells": cells,
            }),
            now,
        ))?;
        if !req.note.trim().is_empty() {
            w.add_case_note(&row.study_id, &row.id, req.note.trim())?;
        }
        // A call on a case keeps (closes) its pending appointments; a new one may follow.
        w.close_appointments(&row.study_id, &row.id, "kept")?;
        if let (Some(a), Some(id)) = (&req.appointment, &appointment_id) {
            let appt = canvass_store::AppointmentRow {
                id: id.clone(),
                study_id: row.study_id.clone(),
                case_id: row.id.clone(),
                starts_at: a.starts_at,
                ends_at: a.ends_at.unwrap_or(a.starts_at + 15 * 60_000),
                interviewer: req.interviewer.clone(),
                hard: a.hard,
                state: "pending".into(),
                created_at: now,
            };
            w.insert_appointment(&appt)?;
            let payload = serde_json::json!({
                "id": appt.id,
                "study_id": appt.study_id,
                "case_id": appt.case_id,
                "starts_at": appt.starts_at,
                "ends_at": appt.ends_at,
                "interviewer": appt.interviewer,
                "hard": appt.hard,
                "attempt_id": attempt.id,
            });
            w.event(
                &row.study_id,
                &row.id,
                now,
                "appointment",
                &req.interviewer,
                &payload.to_string(),
            )?;
            w.outbox(&outbox_row(&appt.id, "appointment", &payload, now))?;
        }
        for cell in &cells {
            w.count_quota(&row.study_id, cell)?;
        }
        let history: Vec<PastAttempt> = w
            .case_attempts(&row.study_id, &row.id)?
            .iter()
            .map(past)
            .collect();
        let appointment_at = w.pending_appointment_at(&row.study_id, &row.id)?;
        let mut derived =
            schedule::derive_state(phones.len(), &history, appointment_at, &table, &rules);
        // A case closed by its outcome keeps no callback: the appointment would only
        // be read (and refused) by every later choice of the queue.
        if derived.status == Status::Final && appointment_at.is_some() {
            w.close_appointments(&row.study_id, &row.id, "cancelled")?;
            derived = schedule::derive_state(phones.len(), &history, None, &table, &rules);
        }
        let new_row = state_row(&derived);
        w.set_case_state(&row.study_id, &row.id, &new_row)?;
        w.commit()?;
        Ok(RecordedCall {
            attempt_id,
            study_id: row.study_id,
            case_id: row.id,
            outcome: outcome.name,
            aapor: outcome.aapor,
            appointment_id,
            case_status: new_row.status,
            disposition: new_row.final_code,
            next_allowed_at: new_row.next_allowed_at,
        })
    }

    /// Starts the questionnaire for a case (the hand-over from the call screen):
    /// the study's newest form, with the case's preload values as `${case.NAME}`.
    ///
    /// When the case already has an unfinished interview (a partial broken off
    /// on an earlier call), that interview is resumed instead, on its own
    /// version, question, roster member and language: a callback to finish an
    /// interview must never start the respondent over.
    pub fn start_case_interview(&self, study_id: &str, case_id: &str) -> Result<crate::Screen> {
        let (preload, partial) = {
            let inner = self.lock();
            let row = resolve_case(&inner.store, Some(study_id), case_id)?;
            (
                preload_of(&row),
                inner.store.case_open_interview(&row.study_id, &row.id)?,
            )
        };
        if let Some(id) = partial {
            return self.resume_interview(&id);
        }
        self.start_interview_for(
            study_id,
            Some((crate::interview::CaseLink::Case(case_id), &preload)),
        )
    }

    /// Whether a screened respondent falls in a full quota cell, judged on the
    /// screener's answers (by question name) and the case's preload values.
    /// Returns the full cell's name; the caller then records `quota_full`.
    pub fn cati_quota_check(
        &self,
        study_id: &str,
        case_id: &str,
        answers: &BTreeMap<String, String>,
    ) -> Result<Option<String>> {
        let now = self.clock.now_ms();
        let inner = self.lock();
        let row = resolve_case(&inner.store, Some(study_id), case_id)?;
        let mut values = quota::preload_values(&preload_of(&row));
        values.extend(answers.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(full_cells(&inner.store, study_id)?
            .into_iter()
            .find(|(_, c)| quota::in_cell(c, &values, now))
            .map(|(n, _)| n))
    }

    /// Defines a quota cell; the expression is checked first.
    pub fn set_quota(
        &self,
        study_id: &str,
        name: &str,
        expression: &str,
        target: i64,
    ) -> Result<()> {
        quota::parse_condition(expression).map_err(|message| Error::CatiInvalid { message })?;
        if target < 0 {
            return Err(Error::CatiInvalid {
                message: format!("the quota target {target} is negative"),
            });
        }
        Ok(self
            .lock()
            .store
            .set_quota(study_id, name, expression, target)?)
    }

    /// Every quota cell of a study with its counts.
    pub fn quotas(&self, study_id: &str) -> Result<Vec<canvass_store::QuotaRow>> {
        Ok(self.lock().store.quotas(study_id)?)
    }

    /// Every quota cell of a study as the call screen shows it.
    pub fn quota_views(&self, study_id: &str) -> Result<Vec<QuotaView>> {
        Ok(self
            .quotas(study_id)?
            .into_iter()
            .map(|q| {
                let total = q.local_count + q.server_count.unwrap_or(0);
                QuotaView {
                    full: total >= q.target,
                    name: q.name,
                    target: q.target,
                    local_count: q.local_count,
                    server_count: q.server_count,
                    server_count_at: q.server_count_at,
                    total,
                }
            })
            .collect())
    }

    /// Sets a study's calling rules.
    pub fn set_cati_rules(&self, study_id: &str, rules: &Rules) -> Result<()> {
        let json = serde_json::to_string(rules).map_err(|e| Error::CatiInvalid {
            message: e.to_string(),
        })?;
        Ok(self.lock().store.set_cati_rules(study_id, &json)?)
    }

    /// Overrides (or adds) one outcome of a study's table.
    pub fn set_outcome(&self, study_id: &str, outcome: &Outcome) -> Result<()> {
        let json = serde_json::to_string(outcome).map_err(|e| Error::CatiInvalid {
            message: e.to_string(),
        })?;
        Ok(self
            .lock()
            .store
            .set_outcome_override(study_id, &outcome.name, &json)?)
    }

    /// A study's outcome table (defaults with its overrides).
    pub fn outcomes(&self, study_id: &str) -> Result<Vec<Outcome>> {
        Ok(outcome_table(&self.lock().store, study_id)?
            .all()
            .cloned()
            .collect())
    }

    /// Leases a case to a device (from the server), or releases it with `None`.
    pub fn lease_case(
        &self,
        study_id: &str,
        case_id: &str,
        device: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<()> {
        Ok(self
            .lock()
            .store
            .set_lease(study_id, case_id, device, expires_at)?)
    }

    /// Pending appointments starting in `[from_ms, to_ms)`: the calendar's day view.
    pub fn appointments_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AppointmentView>> {
        Ok(self
            .lock()
            .store
            .appointments_between(from_ms, to_ms)?
            .into_iter()
            .map(|a| AppointmentView {
                id: a.id,
                study_id: a.study_id,
                case_id: a.case_id,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                interviewer: a.interviewer,
                hard: a.hard,
            })
            .collect())
    }

    /// Who calls from this device: the user it signed in to the server as, or `interviewer`.
    pub fn cati_interviewer(&self) -> Result<String> {
        Ok(self
            .lock()
            .store
            .read_sync_settings()?
            .and_then(|s| s.user_name)
            .unwrap_or_else(|| "interviewer".to_owned()))
    }

    /// AAPOR rates and effort per study (one study, or every study with cases),
    /// overall and per interviewer. `e` defaults to [`rates::estimate_e`].
    pub fn cati_report(&self, study_id: Option<&str>, e: Option<f64>) -> Result<Vec<StudyReport>> {
        let inner = self.lock();
        let store = &inner.store;
        let cases = store.cases(study_id)?;
        let attempts = store.attempts(study_id)?;
        let mut by_study: BTreeMap<String, (Vec<&CaseRow>, Vec<&AttemptRow>)> = BTreeMap::new();
        for c in &cases {
            by_study.entry(c.study_id.clone()).or_default().0.push(c);
        }
        for a in &attempts {
            by_study.entry(a.study_id.clone()).or_default().1.push(a);
        }
        let mut out = Vec::new();
        for (study, (cases, attempts)) in by_study {
            let table = outcome_table(store, &study)?;
            out.push(study_report(&study, &cases, &attempts, &table, e));
        }
        Ok(out)
    }
}

#[derive(Default)]
struct Tally {
    cases: i64,
    counts: rates::ClassCounts,
    attempts: i64,
    attempted_cases: std::collections::BTreeSet<(String, String)>,
    call_ms: i64,
}

impl Tally {
    fn report(&self, e: Option<f64>) -> RateReport {
        let e = e.unwrap_or_else(|| rates::estimate_e(&self.counts));
        let attempted = self.attempted_cases.len() as f64;
        RateReport {
            cases: self.cases,
            counts: self.counts,
            e,
            rates: rates::rates(&self.counts, e),
            attempts: self.attempts,
            completes: self.counts.i,
            attempts_per_complete: (self.counts.i > 0)
                .then(|| self.attempts as f64 / self.counts.i as f64),
            minutes_per_case: (attempted > 0.0).then(|| self.call_ms as f64 / 60_000.0 / attempted),
        }
    }
}

/// The report of one study from its cases and attempts (a pure function).
///
/// Each case counts once, in the class of its disposition (a never-attempted
/// case is 3.11, unknown if household). Per interviewer, a case counts for the
/// interviewer whose attempt gave its disposition; attempts and minutes count
/// for whoever made them.
pub fn study_report(
    study_id: &str,
    cases: &[&CaseRow],
    attempts: &[&AttemptRow],
    table: &OutcomeTable,
    e: Option<f64>,
) -> StudyReport {
    let mut overall = Tally::default();
    let mut per: BTreeMap<String, Tally> = BTreeMap::new();
    let mut dispositions: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_case: BTreeMap<(&str, &str), Vec<&AttemptRow>> = BTreeMap::new();
    for a in attempts {
        by_case
            .entry((&a.study_id, &a.case_id))
            .or_default()
            .push(a);
        let t = per.entry(a.interviewer.clone()).or_default();
        for t in [&mut overall, t] {
            t.attempts += 1;
            t.call_ms += (a.ended_at - a.started_at).max(0);
            t.attempted_cases
                .insert((a.study_id.clone(), a.case_id.clone()));
        }
    }
    for c in cases {
        overall.cases += 1;
        let code = c.state.final_code.clone();
        let class = code
            .as_deref()
            .and_then(|d| table.get(d))
            .map_or(RateClass::UH, |o| o.class);
        let aapor = code
            .as_deref()
            .and_then(|d| table.get(d))
            .map_or_else(|| "3.11".to_owned(), |o| o.aapor.clone());
        *dispositions.entry(aapor).or_default() += 1;
        overall.counts.add(class);
        if let (Some(code), Some(hist)) =
            (&code, by_case.get(&(c.study_id.as_str(), c.id.as_str())))
        {
            if let Some(a) = hist.iter().rev().find(|a| &a.outcome_code == code) {
                let t = per.entry(a.interviewer.clone()).or_default();
                t.cases += 1;
                t.counts.add(class);
            }
        }
    }
    StudyReport {
        study_id: study_id.to_owned(),
        overall: overall.report(e),
        by_interviewer: per.iter().map(|(k, t)| (k.clone(), t.report(e))).collect(),
        dispositions,
    }
}

#[cfg(test)]
mod tests;
