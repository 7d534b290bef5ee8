//! The call scheduler: pure functions of (case, history, appointments, rules, now, caller).
//!
//! [`derive_state`] turns a case's append-only call history into its current
//! state (dials per number, dead numbers, next allowed dial, final or not,
//! final disposition); the store keeps that state on the case row so the queue
//! is one index read. [`eligible_now`] says whether one case may be dialled now
//! or why not, and [`next_case`] chooses among candidates: appointments due now
//! first (a hard one only to its interviewer, a soft one to anyone), then by
//! priority and least recently called. Nothing here reads a clock or a file.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::outcomes::{
    OutcomeKind, OutcomeTable, RateClass, MAX_ATTEMPTS_ELIGIBLE, MAX_ATTEMPTS_UNKNOWN,
};

/// A study's calling rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Allowed local time ranges per weekday, Monday first, as minutes since
    /// local midnight `[start, end)`. Default 09:00–21:00 every day.
    pub windows: [Vec<(u32, u32)>; 7],
    /// Most attempts on one case (0: no limit).
    pub max_attempts: i64,
    /// Most dials of one number (0: no limit).
    pub max_dials_per_number: i64,
}

impl Default for Rules {
    fn default() -> Self {
        let day = vec![(9 * 60, 21 * 60)];
        Rules {
            windows: std::array::from_fn(|_| day.clone()),
            max_attempts: 10,
            max_dials_per_number: 6,
        }
    }
}

impl Rules {
    /// Whether the local time `local` falls inside a window of its weekday.
    pub fn in_window(&self, local: &DateTime<Tz>) -> bool {
        let day = local.weekday().num_days_from_monday() as usize;
        let minute = local.hour() * 60 + local.minute();
        self.windows[day]
            .iter()
            .any(|&(start, end)| minute >= start && minute < end)
    }
}

/// One past attempt, as the scheduler needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastAttempt {
    pub phone_index: usize,
    pub ended_at: i64,
    /// Local outcome name (a key of the outcome table).
    pub outcome: String,
    pub interviewer: String,
}

/// State of one phone number of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NumberState {
    pub dials: i64,
    pub dead: bool,
}

/// Whether a case is still worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Final,
}

/// A case's state derived from its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedState {
    pub status: Status,
    pub attempts: i64,
    pub last_call_at: Option<i64>,
    /// The case may not be dialled before this instant (Unix ms).
    pub next_allowed_at: i64,
    pub last_outcome: Option<String>,
    /// The disposition used for rates: the most informative outcome so far
    /// (final once the case is), `None` when never attempted.
    pub disposition: Option<String>,
    pub numbers: Vec<NumberState>,
    /// The number to dial next, from [`next_number`]; `None` when none is left.
    pub next_phone: Option<usize>,
    /// Start of a pending appointment.
    pub appointment_at: Option<i64>,
}

/// How informative a disposition is; the highest in a history wins (section 5.4).
///
/// A complete beats everything, then a partial, a refusal, another eligible
/// non-interview, a case-level ineligibility (quota full, no eligible person),
/// a non-contact, a number-level ineligibility (a fax line when another number
/// may still reach the person), then unknown eligibility. So a refusal followed
/// by no-answers stays a refusal.
fn informativeness(table: &OutcomeTable, name: &str) -> u8 {
    let Some(o) = table.get(name) else { return 0 };
    match o.class {
        RateClass::I => 9,
        RateClass::P => 8,
        RateClass::R => 7,
        RateClass::O => 6,
        RateClass::NE if !o.try_next_number => 5,
        RateClass::NC => 4,
        RateClass::NE => 3,
        RateClass::UO => 2,
        RateClass::UH => 1,
    }
}

/// The final disposition of a history: its most informative outcome; the
/// latest one wins a tie. `None` for an empty history.
pub fn final_disposition(table: &OutcomeTable, history: &[PastAttempt]) -> Option<String> {
    history
        .iter()
        .enumerate()
        .max_by_key(|(i, a)| (informativeness(table, &a.outcome), *i))
        .map(|(_, a)| a.outcome.clone())
}

/// Derives a case's state from its history (oldest first), its phone count,
/// its pending appointment and the rules.
pub fn derive_state(
    phones: usize,
    history: &[PastAttempt],
    appointment_at: Option<i64>,
    table: &OutcomeTable,
    rules: &Rules,
) -> DerivedState {
    let mut numbers = vec![NumberState::default(); phones];
    let mut closed_by_outcome = false;
    let mut eligible_known = false;
    for a in history {
        let Some(o) = table.get(&a.outcome) else {
            continue;
        };
        eligible_known |= o.eligible;
        if let Some(n) = numbers.get_mut(a.phone_index) {
            n.dials += 1;
            if !o.try_again || (o.kind == OutcomeKind::Final && o.try_next_number) {
                n.dead = true;
            }
        }
        // A final outcome about the person (not only the number) closes the case;
        // a later attempt can only exist if someone reopened it, so the last wins.
        closed_by_outcome = o.kind == OutcomeKind::Final && !o.try_next_number;
    }
    let last = history.last();
    let last_call_at = last.map(|a| a.ended_at);
    let delay = last
        .and_then(|a| table.get(&a.outcome))
        .map_or(0, |o| o.delay_minutes);
    let next_allowed_at = last_call_at.map_or(0, |t| t + delay * 60_000);
    let attempts = history.len() as i64;
    let live = numbers.iter().any(|n| {
        !n.dead && (rules.max_dials_per_number == 0 || n.dials < rules.max_dials_per_number)
    });
    let limit = rules.max_attempts > 0 && attempts >= rules.max_attempts;
    let mut disposition = final_disposition(table, history);
    // A respondent-chosen time overrides attempt limits (cati-model.md section 7).
    let closed_by_limits = appointment_at.is_none() && (limit || !live);
    let status = if closed_by_outcome || closed_by_limits {
        Status::Final
    } else {
        Status::Open
    };
    if status == Status::Final && !closed_by_outcome {
        let all_dead = numbers.iter().all(|n| n.dead);
        let best = disposition
            .as_deref()
            .map_or(0, |d| informativeness(table, d));
        // Limits reached with nothing better than unknown eligibility: 3.90 or 2.30.
        if !all_dead && best <= 2 {
            disposition = Some(
                if eligible_known {
                    MAX_ATTEMPTS_ELIGIBLE
                } else {
                    MAX_ATTEMPTS_UNKNOWN
                }
                .to_owned(),
            );
        }
    }
    let mut state = DerivedState {
        status,
        attempts,
        last_call_at,
        next_allowed_at,
        last_outcome: last.map(|a| a.outcome.clone()),
        disposition,
        numbers,
        next_phone: None,
        appointment_at,
    };
    state.next_phone = next_number(&state, last, table, rules);
    state
}

/// The number to dial next: the last one again when its outcome said not to
/// move on, otherwise the live number with the fewest dials (lowest index on a tie).
pub fn next_number(
    state: &DerivedState,
    last: Option<&PastAttempt>,
    table: &OutcomeTable,
    rules: &Rules,
) -> Option<usize> {
    let usable = |n: &NumberState| {
        !n.dead && (rules.max_dials_per_number == 0 || n.dials < rules.max_dials_per_number)
    };
    if let Some(a) = last {
        let stay = table.get(&a.outcome).is_some_and(|o| !o.try_next_number);
        if stay && state.numbers.get(a.phone_index).is_some_and(usable) {
            return Some(a.phone_index);
        }
    }
    state
        .numbers
        .iter()
        .enumerate()
        .filter(|(_, n)| usable(n))
        .min_by_key(|(i, n)| (n.dials, *i))
        .map(|(i, _)| i)
}

/// A case as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub study_id: String,
    pub case_id: String,
    pub priority: i64,
    pub timezone: Tz,
    pub state: DerivedState,
    /// The device the case is leased to, and until when (`None`: no expiry).
    pub lease: Option<(String, Option<i64>)>,
    /// The case belongs to a study the server manages: it is callable only under
    /// an unexpired lease this device holds.
    pub server_managed: bool,
}

/// A pending appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAppointment {
    pub id: String,
    pub study_id: String,
    pub case_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub interviewer: String,
    pub hard: bool,
}

/// Who is asking for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    pub interviewer: &'a str,
    /// This device's id, compared with case leases.
    pub device: &'a str,
}

/// Why a case may not be dialled now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The case has a final outcome or reached its limits.
    Final,
    /// The redial delay of the last outcome has not passed.
    Delay { until_ms: i64 },
    /// A future appointment is pending.
    AppointmentPending { at_ms: i64 },
    /// It is outside the calling window in the respondent's zone.
    OutsideWindow { local_time: String },
    /// No number is left to dial (all dead or at their dial limit).
    NoNumber,
    /// The case is leased to another device.
    LeasedElsewhere { device: String },
    /// The server manages the case's study and this device holds no live lease on it (yet).
    NotLeased,
    /// The respondent's quota cell is full.
    QuotaFull { cell: String },
    /// A hard appointment belongs to another interviewer.
    OtherInterviewersAppointment { interviewer: String },
}

impl Reason {
    /// A stable code for counting reasons.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Final => "final",
            Reason::Delay { .. } => "delay",
            Reason::AppointmentPending { .. } => "appointment_pending",
            Reason::OutsideWindow { .. } => "outside_window",
            Reason::NoNumber => "no_number",
            Reason::LeasedElsewhere { .. } => "leased_elsewhere",
            Reason::NotLeased => "not_leased",
            Reason::QuotaFull { .. } => "quota_full",
            Reason::OtherInterviewersAppointment { .. } => "other_interviewers_appointment",
        }
    }
}

/// The respondent's local time at `now_ms`.
pub fn local_time(tz: Tz, now_ms: i64) -> DateTime<Tz> {
    DateTime::<Utc>::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// Whether a lease keeps `caller` from the case: another device's live lease
/// always does; in a server-managed study, so does the lack of a live lease of
/// this device (an expired own lease must be renewed by the server first, since
/// the server may have given the case to another device once it ran out).
fn lease_blocks(c: &Candidate, now_ms: i64, caller: Caller<'_>) -> Option<Reason> {
    let live = |expires: &Option<i64>| expires.is_none_or(|e| e > now_ms);
    match &c.lease {
        Some((device, expires)) if device != caller.device && live(expires) => {
            Some(Reason::LeasedElsewhere {
                device: device.clone(),
            })
        }
        Some((device, expires)) if device == caller.device && live(expires) => None,
        _ if c.server_managed => Some(Reason::NotLeased),
        _ => None,
    }
}

/// Whether `c` may be dialled now in the normal queue (not for an appointment), or why not.
///
/// `quota_full` names the full quota cell the case's preload values put it in, if any.
pub fn eligible_now(
    c: &Candidate,
    now_ms: i64,
    rules: &Rules,
    caller: Caller<'_>,
    quota_full: &dyn Fn(&Candidate) -> Option<String>,
) -> Result<(), Reason> {
    if let Some(r) = lease_blocks(c, now_ms, caller) {
        return Err(r);
    }
    if c.state.status == Status::Final {
        return Err(Reason::Final);
    }
    if let Some(at) = c.state.appointment_at {
        return Err(Reason::AppointmentPending { at_ms: at });
    }
    if c.state.next_allowed_at > now_ms {
        return Err(Reason::Delay {
            until_ms: c.state.next_allowed_at,
        });
    }
    if c.state.next_phone.is_none() {
        return Err(Reason::NoNumber);
    }
    let local = local_time(c.timezone, now_ms);
    if !rules.in_window(&local) {
        return Err(Reason::OutsideWindow {
            local_time: local.format("%a %H:%M %Z").to_string(),
        });
    }
    if let Some(cell) = quota_full(c) {
        return Err(Reason::QuotaFull { cell });
    }
    Ok(())
}

/// Whether a due appointment may be taken by `caller`, or why not. An
/// appointment overrides windows, delays and attempt limits (the respondent
/// chose the time), but never a final outcome or another device's lease.
pub fn appointment_takeable(
    a: &DueAppointment,
    c: &Candidate,
    now_ms: i64,
    caller: Caller<'_>,
) -> Result<(), Reason> {
    if let Some(r) = lease_blocks(c, now_ms, caller) {
        return Err(r);
    }
    if c.state.status == Status::Final {
        return Err(Reason::Final);
    }
    if a.hard && a.interviewer != caller.interviewer {
        return Err(Reason::OtherInterviewersAppointment {
            interviewer: a.interviewer.clone(),
        });
    }
    Ok(())
}

/// The scheduler's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Call this case on this number.
    Call {
        study_id: String,
        case_id: String,
        phone_index: usize,
        /// Set when the call keeps an appointment.
        appointment_id: Option<String>,
    },
    /// Nothing is callable now; how many cases were held back for each reason.
    NoneCallable { reasons: BTreeMap<String, i64> },
}

/// The queue order: highest priority first, then least recently called
/// (never-called first), then study and case id so the order is total.
pub fn order_key(c: &Candidate) -> (i64, i64, String, String) {
    (
        -c.priority,
        c.state.last_call_at.unwrap_or(i64::MIN),
        c.study_id.clone(),
        c.case_id.clone(),
    )
}

/// Chooses the next case for `caller` at `now_ms`.
///
/// `appointments` are pending ones (due or not; those not yet due are skipped);
/// `cases` must hold every case an appointment names. `rules_of` gives each
/// study's rules.
pub fn next_case(
    cases: &[Candidate],
    appointments: &[DueAppointment],
    now_ms: i64,
    rules_of: &dyn Fn(&str) -> Rules,
    caller: Caller<'_>,
    quota_full: &dyn Fn(&Candidate) -> Option<String>,
) -> Decision {
    let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
    let find = |a: &DueAppointment| {
        cases
            .iter()
            .find(|c| c.study_id == a.study_id && c.case_id == a.case_id)
    };
    let mut due: Vec<&DueAppointment> = appointments
        .iter()
        .filter(|a| a.starts_at <= now_ms)
        .collect();
    due.sort_by_key(|a| (a.ends_at, a.starts_at, a.id.clone()));
    for a in due {
        let Some(c) = find(a) else { continue };
        match appointment_takeable(a, c, now_ms, caller) {
            Ok(()) => {
                // The appointment overrides dial limits, so any live number will do;
                // a case whose numbers are all dead keeps its first one.
                let phone = c
                    .state
                    .next_phone
                    .or_else(|| c.state.numbers.iter().position(|n| !n.dead))
                    .unwrap_or(0);
                return Decision::Call {
                    study_id: c.study_id.clone(),
                    case_id: c.case_id.clone(),
                    phone_index: phone,
                    appointment_id: Some(a.id.clone()),
                };
            }
            Err(r) => *reasons.entry(r.code().to_owned()).or_default() += 1,
        }
    }
    let mut order: Vec<&Candidate> = cases.iter().collect();
    order.sort_by_key(|c| order_key(c));
    for c in order {
        match eligible_now(c, now_ms, &rules_of(&c.study_id), caller, quota_full) {
            Ok(()) => {
                return Decision::Call {
                    study_id: c.study_id.clone(),
                    case_id: c.case_id.clone(),
                    // eligible_now refused cases without a number.
                    phone_index: c.state.next_phone.unwrap_or(0),
                    appointment_id: None,
                };
            }
            // A pending appointment of this case was counted above when due.
            Err(Reason::AppointmentPending { at_ms }) if at_ms <= now_ms => {}
            Err(r) => *reasons.entry(r.code().to_owned()).or_default() += 1,
        }
    }
    Decision::NoneCallable { reasons }
}
