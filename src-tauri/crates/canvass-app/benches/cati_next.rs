//! Benchmark: choosing the next case to call with 100,000 cases and 1,000,000 attempts in the file.
//!
//! The file is filled in bulk (cases in five time zones, ten attempts each on
//! average over the last fortnight, a tenth of them final, a thousand pending
//! appointments), with each case's derived state computed by the real
//! `derive_state`. Then `App::cati_next` runs with the clock moving 43 seconds
//! per call through a whole day, so every mix of open and closed calling
//! windows is met; after each choice the outcome is recorded (untimed), as an
//! interviewer would. Prints p50/p99/max; the target is p99 < 5 ms.
//! `CANVASS_BENCH_CASES` and `CANVASS_BENCH_CALLS` change the sizes.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_app::cati::outcomes::OutcomeTable;
use canvass_app::cati::schedule::{derive_state, PastAttempt, Rules};
use canvass_app::cati::{state_row, RecordCall};
use canvass_app::{App, Clock, FixedClock};
use canvass_store::{AppointmentRow, AttemptRow, NewCase, Store};

const ZONES: [&str; 5] = [
    "Europe/Kyiv",
    "Europe/Berlin",
    "America/New_York",
    "Pacific/Honolulu",
    "Asia/Tokyo",
];
const OUTCOMES: [&str; 8] = [
    "no_answer",
    "no_answer",
    "no_answer",
    "busy",
    "answering_machine_message",
    "answering_machine_no_message",
    "respondent_unavailable",
    "technical",
];
/// 2026-11-23T00:00:00Z.
const START_MS: i64 = 1_795_392_000_000;
const MIN: i64 = 60_000;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let cases = env("CANVASS_BENCH_CASES", 100_000);
    let calls = env("CANVASS_BENCH_CALLS", 2_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cati.sqlite");
    let clock = Arc::new(FixedClock::new(START_MS));
    drop(App::open(&db, clock.clone()).unwrap());
    let t = Instant::now();
    let attempts = fill(&db, cases);
    println!(
        "filled {cases} cases and {attempts} attempts in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let app = App::open(&db, clock.clone()).unwrap();
    let mut times = Vec::with_capacity(calls);
    let mut none = 0;
    // Where the time goes: the store reads one choice makes, timed one by one on a
    // second connection right after each choice (same data, same cache state).
    let probe = Store::open(&db).unwrap();
    let mut steps: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    for n in 0..calls {
        let t = Instant::now();
        let next = app.cati_next("ann").unwrap();
        times.push(t.elapsed());
        let now = clock.now_ms();
        let mut step = |name: &'static str, f: &mut dyn FnMut()| {
            let t = Instant::now();
            f();
            steps.entry(name).or_default().push(t.elapsed());
        };
        step("due_appointments", &mut || {
            probe.due_appointments(now).unwrap();
        });
        step("zones + 5 queue pages", &mut || {
            for (study, zone) in probe.cati_zones().unwrap() {
                probe.queue_page(&study, &zone, now, 0, 4).unwrap();
            }
        });
        if let Some(c) = &next.case {
            step("case card reads", &mut || {
                probe.case(&c.study_id, &c.case_id).unwrap();
                probe.case_attempts(&c.study_id, &c.case_id).unwrap();
                probe.outcome_overrides(&c.study_id).unwrap();
                probe.case_open_interview(&c.study_id, &c.case_id).unwrap();
            });
        }
        step("settings, rules, quotas", &mut || {
            probe.read_sync_settings().unwrap();
            probe.server_studies().unwrap();
            probe.cati_rules("s").unwrap();
            probe.quotas("s").unwrap();
        });
        match next.case {
            Some(c) => {
                let outcome = OUTCOMES[n % OUTCOMES.len()];
                app.cati_record(&RecordCall {
                    study_id: Some(c.study_id),
                    case_id: c.case_id,
                    outcome: outcome.into(),
                    interviewer: "ann".into(),
                    started_at: None,
                    phone_index: c.phone_index,
                    note: String::new(),
                    appointment: None,
                    interview_id: None,
                })
                .unwrap();
            }
            None => none += 1,
        }
        clock.advance(43_000);
    }
    for (name, t) in &steps {
        let (p50, p99, max) = percentiles(t);
        println!("  store reads, {name}: p50 {p50} µs, p99 {p99} µs, max {max} µs");
    }
    let (p50, p99, max) = percentiles(&times);
    println!(
        "cati_next with {cases} cases and {attempts} attempts: p50 {p50} µs, p99 {p99} µs, max {max} µs \
         ({calls} choices over {:.1} h of clock, {none} found nothing callable; target p99 < 5000 µs)",
        (clock.now_ms() - START_MS) as f64 / 3_600_000.0
    );
}

/// Bulk-loads the sample and its history through the store (one transaction
/// each for cases and for history); returns the attempt count.
fn fill(db: &Path, cases: usize) -> usize {
    let table = OutcomeTable::default();
    // Unlimited attempts keep most of the sample open, the harder case for the queue.
    let rules = Rules {
        max_attempts: 0,
        max_dials_per_number: 0,
        ..Rules::default()
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut store = Store::open(db).unwrap();
    let mut new_cases = Vec::with_capacity(cases);
    let mut attempts = Vec::new();
    let mut appointments = Vec::new();
    for i in 0..cases {
        let id = format!("c{i:06}");
        let phones = 1 + rng.below(2) as usize;
        let phone_list: Vec<String> = (0..phones).map(|p| format!("+3804400{i:05}{p}")).collect();
        let n = rng.below(21) as usize; // 0..=20, ten on average
        let finished = rng.below(10) == 0;
        let mut history = Vec::with_capacity(n);
        let mut at = START_MS - 14 * 24 * 60 * MIN + rng.below(24 * 60) as i64 * MIN;
        for k in 0..n {
            let outcome = if finished && k + 1 == n {
                if rng.below(2) == 0 {
                    "complete"
                } else {
                    "refusal_hard"
                }
            } else {
                OUTCOMES[rng.below(OUTCOMES.len() as u64) as usize]
            };
            at += (14 * 24 * 60 * MIN) / 21;
            let phone = k % phones;
            attempts.push(AttemptRow {
                id: format!("{id}-{k:02}"),
                study_id: "s".into(),
                case_id: id.clone(),
                phone_index: phone as i64,
                phone: phone_list[phone].clone(),
                interviewer: "ann".into(),
                started_at: at - 2 * MIN,
                ended_at: at,
                outcome_code: outcome.into(),
                note: String::new(),
                appointment_id: None,
                interview_id: None,
            });
            history.push(PastAttempt {
                phone_index: phone,
                ended_at: at,
                outcome: outcome.into(),
                interviewer: "ann".into(),
            });
        }
        // One case in a hundred has an appointment somewhere in the next day; a
        // final case keeps none (recording its final outcome cancels it).
        let appointment_at =
            (rng.below(100) == 0 && !finished).then(|| START_MS + rng.below(24 * 60) as i64 * MIN);
        if let Some(a) = appointment_at {
            appointments.push(AppointmentRow {
                id: format!("a{i:06}"),
                study_id: "s".into(),
                case_id: id.clone(),
                starts_at: a,
                ends_at: a + 15 * MIN,
                interviewer: "ann".into(),
                hard: rng.below(2) == 0,
                state: "pending".into(),
                created_at: 0,
            });
        }
        new_cases.push(NewCase {
            study_id: "s".into(),
            id,
            name: format!("Respondent {i}"),
            timezone: ZONES[i % ZONES.len()].into(),
            priority: 30 + rng.below(41) as i64,
            phones: serde_json::to_string(&phone_list).unwrap(),
            preload: "{}".into(),
            imported_at: 0,
            state: state_row(&derive_state(
                phones,
                &history,
                appointment_at,
                &table,
                &rules,
            )),
        });
    }
    store.import_cases(&new_cases).unwrap();
    let w = store.cati_write().unwrap();
    for a in &attempts {
        w.insert_attempt(a).unwrap();
    }
    for a in &appointments {
        w.insert_appointment(a).unwrap();
    }
    w.commit().unwrap();
    attempts.len()
}

fn percentiles(times: &[Duration]) -> (u128, u128, u128) {
    let mut us: Vec<u128> = times.iter().map(|d| d.as_micros()).collect();
    us.sort_unstable();
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99), *us.last().unwrap())
}
