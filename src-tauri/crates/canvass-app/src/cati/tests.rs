//! Table tests of the pure CATI functions: the scheduler on an injected clock, dispositions, rates and import checks.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use super::import::{check_cases, read_table};
use super::outcomes::{OutcomeTable, RateClass};
use super::quota::{in_cell, parse_condition, preload_values};
use super::rates::{rates, ClassCounts};
use super::schedule::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("a valid UTC time")
        .timestamp_millis()
}

const MIN: i64 = 60_000;

fn attempt(phone: usize, ended_at: i64, outcome: &str) -> PastAttempt {
    PastAttempt {
        phone_index: phone,
        ended_at,
        outcome: outcome.into(),
        interviewer: "ann".into(),
    }
}

fn case(id: &str, tz: &str, history: &[PastAttempt]) -> Candidate {
    case_with(id, tz, 2, 50, history, None)
}

fn case_with(
    id: &str,
    tz: &str,
    phones: usize,
    priority: i64,
    history: &[PastAttempt],
    appointment_at: Option<i64>,
) -> Candidate {
    Candidate {
        study_id: "s".into(),
        case_id: id.into(),
        priority,
        timezone: tz.parse::<Tz>().expect("a known zone"),
        state: derive_state(
            phones,
            history,
            appointment_at,
            &OutcomeTable::default(),
            &Rules::default(),
        ),
        lease: None,
        server_managed: false,
    }
}

const ANN: Caller<'static> = Caller {
    interviewer: "ann",
    device: "laptop-1",
};
const BOB: Caller<'static> = Caller {
    interviewer: "bob",
    device: "laptop-1",
};

fn no_quota(_: &Candidate) -> Option<String> {
    None
}

fn check(c: &Candidate, now: i64) -> Result<(), Reason> {
    eligible_now(c, now, &Rules::default(), ANN, &no_quota)
}

fn chosen(d: &Decision) -> Option<&str> {
    match d {
        Decision::Call { case_id, .. } => Some(case_id),
        Decision::NoneCallable { .. } => None,
    }
}

fn pick(cases: &[Candidate], appts: &[DueAppointment], now: i64, who: Caller<'_>) -> Decision {
    next_case(cases, appts, now, &|_| Rules::default(), who, &no_quota)
}

#[test]
fn calling_windows_follow_the_respondents_zone_and_its_dst() {
    // (situation, zone, now in UTC, callable?)
    let table: &[(&str, &str, i64, bool)] = &[
        (
            "kyiv_before_9_local",
            "Europe/Kyiv",
            utc(2026, 11, 23, 6, 59),
            false,
        ),
        (
            "kyiv_at_9_local",
            "Europe/Kyiv",
            utc(2026, 11, 23, 7, 0),
            true,
        ),
        (
            "kyiv_last_minute_before_21",
            "Europe/Kyiv",
            utc(2026, 11, 23, 18, 59),
            true,
        ),
        (
            "kyiv_at_21_closed",
            "Europe/Kyiv",
            utc(2026, 11, 23, 19, 0),
            false,
        ),
        // Honolulu is 10 hours behind UTC (no DST): 09:00 UTC there is 23:00 the day before.
        (
            "honolulu_10h_away_at_night",
            "Pacific/Honolulu",
            utc(2026, 11, 23, 9, 0),
            false,
        ),
        (
            "honolulu_10h_away_at_9",
            "Pacific/Honolulu",
            utc(2026, 11, 23, 19, 0),
            true,
        ),
        // Berlin leaves summer time on 2026-10-25: 07:00 UTC is 09:00 on the 24th, 08:00 on the 26th.
        (
            "berlin_summer_time_07utc_is_9",
            "Europe/Berlin",
            utc(2026, 10, 24, 7, 0),
            true,
        ),
        (
            "berlin_after_dst_end_07utc_is_8",
            "Europe/Berlin",
            utc(2026, 10, 26, 7, 0),
            false,
        ),
        (
            "berlin_after_dst_end_08utc_is_9",
            "Europe/Berlin",
            utc(2026, 10, 26, 8, 0),
            true,
        ),
        // New York starts summer time on 2026-03-08: 13:30 UTC is 08:30 before, 09:30 after.
        (
            "new_york_before_dst_start",
            "America/New_York",
            utc(2026, 3, 7, 13, 30),
            false,
        ),
        (
            "new_york_after_dst_start",
            "America/New_York",
            utc(2026, 3, 9, 13, 30),
            true,
        ),
    ];
    for (name, tz, now, ok) in table {
        let got = check(&case("c", tz, &[]), *now);
        assert_eq!(got.is_ok(), *ok, "{name}: {got:?}");
        if !ok {
            assert!(
                matches!(got, Err(Reason::OutsideWindow { .. })),
                "{name}: {got:?}"
            );
        }
    }
}

#[test]
fn weekday_windows_are_per_local_day() {
    let mut rules = Rules::default();
    rules.windows[6] = vec![]; // no calls on Sundays
    rules.windows[5] = vec![(10 * 60, 14 * 60)]; // Saturdays 10-14
    let c = case("c", "Europe/Kyiv", &[]);
    let at = |now| eligible_now(&c, now, &rules, ANN, &no_quota);
    // 2026-11-22 is a Sunday; 2026-11-21 a Saturday (Kyiv is UTC+2 in November).
    assert!(matches!(
        at(utc(2026, 11, 22, 10, 0)),
        Err(Reason::OutsideWindow { .. })
    ));
    assert!(at(utc(2026, 11, 21, 8, 0)).is_ok(), "Saturday 10:00 local");
    assert!(
        at(utc(2026, 11, 21, 12, 0)).is_err(),
        "Saturday 14:00 local is closed"
    );
    // Late Saturday UTC is already Sunday in Kyiv.
    assert!(at(utc(2026, 11, 21, 22, 30)).is_err());
}

#[test]
fn redial_delays_come_from_the_last_outcome() {
    let t0 = utc(2026, 11, 23, 12, 0);
    // (situation, outcome, minutes later, callable?)
    let table: &[(&str, &str, i64, bool)] = &[
        ("no_answer_waits_180", "no_answer", 179, false),
        ("no_answer_after_180", "no_answer", 180, true),
        ("busy_waits_15", "busy", 14, false),
        ("busy_after_15", "busy", 15, true),
        (
            "soft_refusal_waits_a_week",
            "refusal_soft",
            7 * 24 * 60 - 1,
            false,
        ),
        (
            "soft_refusal_after_a_week",
            "refusal_soft",
            7 * 24 * 60,
            true,
        ),
    ];
    for (name, outcome, later, ok) in table {
        let c = case("c", "UTC", &[attempt(0, t0, outcome)]);
        let got = check(&c, t0 + later * MIN);
        assert_eq!(got.is_ok(), *ok, "{name}: {got:?}");
        if !ok {
            assert!(matches!(got, Err(Reason::Delay { .. })), "{name}: {got:?}");
        }
    }
}

#[test]
fn limits_and_final_outcomes_close_cases() {
    let t = OutcomeTable::default();
    let rules = Rules::default();
    let day = |k: i64| utc(2026, 11, 1, 10, 0) + k * 24 * 60 * MIN;
    // Ten busy signals spread over both numbers reach the case limit: unknown eligibility, 3.90.
    let busy: Vec<_> = (0..10)
        .map(|k| attempt((k % 2) as usize, day(k), "busy"))
        .collect();
    let s = derive_state(2, &busy, None, &t, &rules);
    assert_eq!(s.status, Status::Final);
    assert_eq!(s.disposition.as_deref(), Some("max_attempts_unknown"));
    assert_eq!(
        t.get("max_attempts_unknown").map(|o| o.aapor.as_str()),
        Some("3.90")
    );
    // Nine are still open.
    assert_eq!(
        derive_state(2, &busy[..9], None, &t, &rules).status,
        Status::Open
    );
    // Six dials of the only number exhaust it (per-number limit) before the case limit.
    let one: Vec<_> = (0..6).map(|k| attempt(0, day(k), "busy")).collect();
    let s = derive_state(1, &one, None, &t, &rules);
    assert_eq!((s.status, s.next_phone), (Status::Final, None));
    // An appointment overrides the limits.
    let s = derive_state(1, &one, Some(day(7)), &t, &rules);
    assert_eq!(s.status, Status::Open);
    // A hard refusal closes the case at once.
    let s = derive_state(2, &[attempt(0, day(0), "refusal_hard")], None, &t, &rules);
    assert_eq!(s.status, Status::Final);
    // A disconnected number moves to the next one; the case stays open.
    let s = derive_state(2, &[attempt(0, day(0), "disconnected")], None, &t, &rules);
    assert_eq!((s.status, s.next_phone), (Status::Open, Some(1)));
    // With no other number, the case closes as not eligible (4.32).
    let s = derive_state(1, &[attempt(0, day(0), "disconnected")], None, &t, &rules);
    assert_eq!(
        (s.status, s.disposition.as_deref()),
        (Status::Final, Some("disconnected"))
    );
    assert_eq!(
        check(&case("c", "UTC", &[attempt(0, day(0), "complete")]), day(1)),
        Err(Reason::Final)
    );
}

#[test]
fn numbers_rotate_on_no_answer_and_stay_after_a_contact() {
    let t = OutcomeTable::default();
    let rules = Rules::default();
    let s = derive_state(3, &[attempt(0, 0, "no_answer")], None, &t, &rules);
    assert_eq!(s.next_phone, Some(1), "no answer tries the next number");
    let s = derive_state(
        3,
        &[attempt(0, 0, "no_answer"), attempt(1, 1, "no_answer")],
        None,
        &t,
        &rules,
    );
    assert_eq!(s.next_phone, Some(2));
    let s = derive_state(
        3,
        &[attempt(0, 0, "no_answer"), attempt(1, 1, "refusal_soft")],
        None,
        &t,
        &rules,
    );
    assert_eq!(
        s.next_phone,
        Some(1),
        "after reaching the person, stay on that number"
    );
}

#[test]
fn the_final_disposition_is_the_most_informative_outcome() {
    let t = OutcomeTable::default();
    // (situation, history, disposition)
    let table: &[(&str, &[&str], &str)] = &[
        (
            "refusal_then_no_answer_stays_refusal",
            &["refusal_soft", "no_answer", "no_answer"],
            "refusal_soft",
        ),
        (
            "no_answer_then_complete_is_complete",
            &["no_answer", "busy", "complete"],
            "complete",
        ),
        (
            "partial_then_break_off_stays_partial",
            &["partial", "break_off"],
            "partial",
        ),
        (
            "machine_beats_no_answer",
            &["no_answer", "answering_machine_message", "no_answer"],
            "answering_machine_message",
        ),
        (
            "fax_on_one_number_then_contact",
            &["fax", "respondent_unavailable"],
            "respondent_unavailable",
        ),
        ("latest_wins_a_tie", &["no_answer", "busy"], "busy"),
    ];
    for (name, outcomes, want) in table {
        let h: Vec<_> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| attempt(0, i as i64, o))
            .collect();
        assert_eq!(final_disposition(&t, &h).as_deref(), Some(*want), "{name}");
    }
    assert_eq!(final_disposition(&t, &[]), None);
}

#[test]
fn due_appointments_come_first_hard_ones_only_to_their_interviewer() {
    let now = utc(2026, 11, 23, 10, 0);
    let appt = |id: &str, case: &str, who: &str, hard: bool, start: i64| DueAppointment {
        id: id.into(),
        study_id: "s".into(),
        case_id: case.into(),
        starts_at: start,
        ends_at: start + 15 * MIN,
        interviewer: who.into(),
        hard,
    };
    let cases = vec![
        case_with("hard", "UTC", 1, 50, &[], Some(now - 5 * MIN)),
        case_with("soft", "UTC", 1, 50, &[], Some(now - MIN)),
        case_with("future", "UTC", 1, 99, &[], Some(now + 60 * MIN)),
        case_with("queue", "UTC", 1, 90, &[], None),
    ];
    let appts = vec![
        appt("a1", "hard", "ann", true, now - 5 * MIN),
        appt("a2", "soft", "ann", false, now - MIN),
        appt("a3", "future", "ann", false, now + 60 * MIN),
    ];
    // Ann gets her hard appointment (earliest end) before the priority-90 queue case.
    let d = pick(&cases, &appts, now, ANN);
    assert_eq!(chosen(&d), Some("hard"));
    assert!(matches!(&d, Decision::Call { appointment_id: Some(a), .. } if a == "a1"));
    // Bob may not take Ann's hard appointment, but takes her soft one.
    assert_eq!(chosen(&pick(&cases, &appts, now, BOB)), Some("soft"));
    // With only the hard one due, Bob gets the queue; the future appointment's case is never offered.
    let d = pick(&cases, &appts[..1], now, BOB);
    assert_eq!(chosen(&d), Some("queue"));
    let only_future = [cases[2].clone()];
    let d = pick(&only_future, &appts[2..], now, ANN);
    assert!(
        matches!(&d, Decision::NoneCallable { reasons } if reasons.get("appointment_pending") == Some(&1)),
        "{d:?}"
    );
}

#[test]
fn an_appointment_overrides_the_calling_window() {
    // 22:30 in Kyiv: outside the window, but the respondent chose the time.
    let now = utc(2026, 11, 23, 20, 30);
    let c = case_with("late", "Europe/Kyiv", 1, 50, &[], Some(now));
    let a = DueAppointment {
        id: "a".into(),
        study_id: "s".into(),
        case_id: "late".into(),
        starts_at: now,
        ends_at: now + 15 * MIN,
        interviewer: "ann".into(),
        hard: false,
    };
    assert_eq!(
        chosen(&pick(std::slice::from_ref(&c), &[a], now, BOB)),
        Some("late")
    );
    let free = case("free", "Europe/Kyiv", &[]);
    assert!(matches!(
        check(&free, now),
        Err(Reason::OutsideWindow { .. })
    ));
}

#[test]
fn the_queue_orders_by_priority_then_least_recently_called() {
    let now = utc(2026, 11, 23, 12, 0);
    let old = now - 10 * 60 * MIN;
    let cases = vec![
        case_with(
            "recent",
            "UTC",
            2,
            50,
            &[attempt(0, now - 4 * 60 * MIN, "no_answer")],
            None,
        ),
        case_with("older", "UTC", 2, 50, &[attempt(0, old, "no_answer")], None),
        case_with("never", "UTC", 2, 50, &[], None),
        case_with(
            "urgent",
            "UTC",
            2,
            80,
            &[attempt(0, now - 3 * 60 * MIN, "no_answer")],
            None,
        ),
    ];
    let mut left = cases.clone();
    let mut order = Vec::new();
    while let Decision::Call { case_id, .. } = pick(&left, &[], now, ANN) {
        order.push(case_id.clone());
        left.retain(|c| c.case_id != case_id);
    }
    assert_eq!(order, ["urgent", "never", "older", "recent"]);
}

#[test]
fn a_case_leased_to_another_device_is_never_offered() {
    let now = utc(2026, 11, 23, 12, 0);
    let leased = |device: &str, expires: Option<i64>| Candidate {
        lease: Some((device.into(), expires)),
        ..case("c", "UTC", &[])
    };
    // (situation, lease, offered?)
    let table: Vec<(&str, Candidate, bool)> = vec![
        ("no_lease_is_ours", case("c", "UTC", &[]), true),
        (
            "leased_to_this_device",
            leased("laptop-1", Some(now + 1)),
            true,
        ),
        (
            "leased_elsewhere_until_later",
            leased("laptop-2", Some(now + 1)),
            false,
        ),
        (
            "leased_elsewhere_without_expiry",
            leased("laptop-2", None),
            false,
        ),
        (
            "lease_elsewhere_expired",
            leased("laptop-2", Some(now)),
            true,
        ),
    ];
    for (name, c, ok) in table {
        let d = pick(std::slice::from_ref(&c), &[], now, ANN);
        assert_eq!(chosen(&d).is_some(), ok, "{name}: {d:?}");
        if !ok {
            assert!(
                matches!(check(&c, now), Err(Reason::LeasedElsewhere { .. })),
                "{name}"
            );
        }
    }
    // Even a due appointment does not override another device's lease.
    let mut c = leased("laptop-2", None);
    c.state.appointment_at = Some(now);
    let a = DueAppointment {
        id: "a".into(),
        study_id: "s".into(),
        case_id: "c".into(),
        starts_at: now,
        ends_at: now,
        interviewer: "ann".into(),
        hard: true,
    };
    assert_eq!(chosen(&pick(&[c], &[a], now, ANN)), None);
}

#[test]
fn in_a_server_managed_study_only_this_devices_live_lease_makes_a_case_callable() {
    let now = utc(2026, 11, 23, 12, 0);
    let managed = |lease: Option<(&str, Option<i64>)>| Candidate {
        lease: lease.map(|(d, e)| (d.to_owned(), e)),
        server_managed: true,
        ..case("c", "UTC", &[])
    };
    // (situation, case, offered?, reason when not)
    let table: Vec<(&str, Candidate, bool, &str)> = vec![
        ("no_lease_yet", managed(None), false, "not_leased"),
        (
            "own_live_lease",
            managed(Some(("laptop-1", Some(now + 1)))),
            true,
            "",
        ),
        (
            "own_lease_expired",
            managed(Some(("laptop-1", Some(now)))),
            false,
            "not_leased",
        ),
        (
            "other_devices_live_lease",
            managed(Some(("laptop-2", Some(now + 60_000)))),
            false,
            "leased_elsewhere",
        ),
        (
            "other_devices_lease_expired",
            managed(Some(("laptop-2", Some(now - 1)))),
            false,
            "not_leased",
        ),
    ];
    for (name, c, ok, reason) in table {
        let d = pick(std::slice::from_ref(&c), &[], now, ANN);
        assert_eq!(chosen(&d).is_some(), ok, "{name}: {d:?}");
        if !ok {
            assert_eq!(check(&c, now).unwrap_err().code(), reason, "{name}");
        }
    }
    // A due appointment on a managed case still needs this device's lease.
    let mut c = managed(None);
    c.state.appointment_at = Some(now);
    let a = DueAppointment {
        id: "a".into(),
        study_id: "s".into(),
        case_id: "c".into(),
        starts_at: now,
        ends_at: now,
        interviewer: "ann".into(),
        hard: false,
    };
    assert_eq!(
        chosen(&pick(
            std::slice::from_ref(&c),
            std::slice::from_ref(&a),
            now,
            ANN
        )),
        None
    );
    c.lease = Some(("laptop-1".into(), Some(now + 1)));
    assert_eq!(chosen(&pick(&[c], &[a], now, ANN)), Some("c"));
}

#[test]
fn full_quota_cells_hold_back_cases_by_their_preload() {
    let now = utc(2026, 11, 23, 12, 0);
    let north = parse_condition("${case.region} = 'north'").expect("parses");
    let preload =
        |region: &str| preload_values(&BTreeMap::from([("region".to_owned(), region.to_owned())]));
    let regions = BTreeMap::from([
        ("n".to_owned(), preload("north")),
        ("s".to_owned(), preload("south")),
    ]);
    let quota_full =
        |c: &Candidate| in_cell(&north, &regions[&c.case_id], now).then(|| "north".to_owned());
    let n = case_with("n", "UTC", 1, 90, &[], None);
    let s = case_with("s", "UTC", 1, 10, &[], None);
    let d = next_case(
        &[n.clone(), s],
        &[],
        now,
        &|_| Rules::default(),
        ANN,
        &quota_full,
    );
    assert_eq!(
        chosen(&d),
        Some("s"),
        "the higher-priority case is in a full cell"
    );
    assert_eq!(
        eligible_now(&n, now, &Rules::default(), ANN, &quota_full),
        Err(Reason::QuotaFull {
            cell: "north".into()
        })
    );
    // Conditions over answers: blank before the screener, so a preload-only check never matches them.
    let adults = parse_condition("${age} >= 18 and ${case.region} = 'south'").expect("parses");
    let mut v = preload("south");
    assert!(!in_cell(&adults, &v, now));
    v.insert("age".into(), "34".into());
    assert!(in_cell(&adults, &v, now));
    assert!(parse_condition("${age} >=").is_err());
}

#[test]
fn nothing_callable_says_why() {
    let now = utc(2026, 11, 23, 12, 0);
    let cases = vec![
        case("done", "UTC", &[attempt(0, now - MIN, "complete")]),
        case("waiting", "UTC", &[attempt(0, now - MIN, "no_answer")]),
        case("night", "Pacific/Honolulu", &[]),
    ];
    let Decision::NoneCallable { reasons } = pick(&cases, &[], now, ANN) else {
        panic!("nothing is callable");
    };
    let want: BTreeMap<String, i64> = [("final", 1), ("delay", 1), ("outside_window", 1)]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
    assert_eq!(reasons, want);
}

#[test]
fn rates_match_hand_computed_figures() {
    let c = ClassCounts {
        i: 10,
        p: 2,
        r: 5,
        nc: 3,
        o: 1,
        uh: 8,
        uo: 2,
        ne: 4,
    };
    let r = rates(&c, 0.5);
    // D = 12 + 9 + 10 = 31, De = 12 + 9 + 0.5 * 10 = 26, D0 = 21; contacted = 12 + 5 + 1 = 18.
    let table: &[(&str, Option<f64>, f64)] = &[
        ("RR1", r.rr1, 10.0 / 31.0),
        ("RR2", r.rr2, 12.0 / 31.0),
        ("RR3", r.rr3, 10.0 / 26.0),
        ("RR4", r.rr4, 12.0 / 26.0),
        ("RR5", r.rr5, 10.0 / 21.0),
        ("RR6", r.rr6, 12.0 / 21.0),
        ("COOP1", r.coop1, 10.0 / 18.0),
        ("COOP2", r.coop2, 12.0 / 18.0),
        ("COOP3", r.coop3, 10.0 / 17.0),
        ("COOP4", r.coop4, 12.0 / 17.0),
        ("REF1", r.ref1, 5.0 / 31.0),
        ("REF2", r.ref2, 5.0 / 26.0),
        ("REF3", r.ref3, 5.0 / 21.0),
        ("CON1", r.con1, 18.0 / 31.0),
        ("CON2", r.con2, 18.0 / 26.0),
        ("CON3", r.con3, 18.0 / 21.0),
    ];
    for (name, got, want) in table {
        let got = got.unwrap_or_else(|| panic!("{name} is n/a"));
        assert!((got - want).abs() < 1e-12, "{name}: {got} != {want}");
    }
    // Zero denominators are n/a, never 0.
    let none = rates(
        &ClassCounts {
            ne: 3,
            ..Default::default()
        },
        0.5,
    );
    assert_eq!((none.rr1, none.coop1, none.con3), (None, None, None));
    // Only unknown-eligibility cases: RR1 is 0 over a real denominator, RR5 has none.
    let unknown = rates(
        &ClassCounts {
            uh: 4,
            ..Default::default()
        },
        0.0,
    );
    assert_eq!(
        (unknown.rr1, unknown.rr3, unknown.rr5),
        (Some(0.0), None, None)
    );
}

#[test]
fn outcome_codes_resolve_by_name_or_aapor_code() {
    let t = OutcomeTable::default();
    assert_eq!(t.find("3.13").map(|o| o.name.as_str()), Some("no_answer"));
    assert_eq!(t.find("no_answer").map(|o| o.aapor.as_str()), Some("3.13"));
    assert_eq!(t.find("1.1").map(|o| o.class), Some(RateClass::I));
    assert_eq!(t.find("4.80").map(|o| o.name.as_str()), Some("quota_full"));
    assert!(t.find("9.99").is_none());
    // Codes are strings: 2.1 is not 2.10.
    assert!(t.find("2.1").is_none());
    // Every screen key is used once.
    let mut keys: Vec<_> = t.all().filter_map(|o| o.key.clone()).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn case_lists_report_every_bad_row_and_column() {
    let csv = "id,phone,phone2,name,timezone,priority,company\n\
               1,+380 44 123 4567,,Olena,Europe/Kyiv,60,Acme\n\
               2,12ab,,Petro,Europe/Kyiv,,Beta\n\
               1,+380441234568,,Dup,Europe/Kyiv,,Gamma\n\
               ,+380441234569,,NoId,Europe/Kyiv,,Delta\n\
               5,+380441234560,,Zone,Mars/Olympus,,Eps\n\
               6,+380441234561,123,Short,Europe/Kyiv,500,Zeta\n";
    let table = read_table(csv.as_bytes(), "cases.csv").expect("reads");
    let problems = check_cases(&table, None).expect_err("bad rows");
    let got: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, "phone"),
            (4, "id"),
            (5, "id"),
            (6, "timezone"),
            (7, "phone2"),
            (7, "priority")
        ]
    );
    assert!(
        problems[1].message.contains("row 2"),
        "{}",
        problems[1].message
    );
    let good = "ID,Phone,Name,Company\n7,0441234567,Ivan,Acme\n";
    let cases = check_cases(
        &read_table(good.as_bytes(), "c.csv").expect("reads"),
        Some("Europe/Kyiv"),
    )
    .expect("valid");
    assert_eq!(cases[0].timezone, "Europe/Kyiv");
    assert_eq!(cases[0].priority, 50);
    assert_eq!(
        cases[0].preload.get("Company").map(String::as_str),
        Some("Acme")
    );
    // Without a zone column or a default, each row says so.
    let problems = check_cases(&read_table(good.as_bytes(), "c.csv").expect("reads"), None)
        .expect_err("no zone");
    assert_eq!(
        (problems[0].row, problems[0].column.as_str()),
        (2, "timezone")
    );
}

#[test]
fn a_row_without_a_zone_takes_it_from_its_phone_then_the_default() {
    let csv = "id,phone,timezone\n\
               a,+1 808 555 0101,\n\
               b,+1 808 555 0102,Europe/Kyiv\n\
               c,+7 916 123 4567,\n\
               d,0441234567,\n\
               e,+380 44 123 4567,\n";
    let table = read_table(csv.as_bytes(), "cases.csv").expect("reads");
    // With a default: the phone settles a and e, the column wins for b, the default fills c and d.
    let cases = check_cases(&table, Some("Europe/Berlin")).expect("valid");
    let zones: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| (c.id.as_str(), c.timezone.as_str()))
        .collect();
    assert_eq!(
        zones,
        [
            ("a", "Pacific/Honolulu"),
            ("b", "Europe/Kyiv"),
            ("c", "Europe/Berlin"),
            ("d", "Europe/Berlin"),
            ("e", "Europe/Kyiv"),
        ]
    );
    // Without a default: the rows the phone cannot settle are named, with the reason.
    let problems = check_cases(&table, None).expect_err("two rows unsettled");
    let got: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(got, [(4, "timezone"), (5, "timezone")]);
    assert!(
        problems[0].message.contains("+7 spans several time zones"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[1].message.contains("not in international form"),
        "{}",
        problems[1].message
    );
}

/// An XLSForm reading `${case.NAME}` preload values in a label, a relevance and a calculation.
fn preload_form() -> canvass_form::Questionnaire {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("survey").expect("a valid sheet name");
    let rows: &[&[&str]] = &[
        &["type", "name", "label", "relevant", "calculation"],
        &[
            "note",
            "intro",
            "Hello ${case.name}, calling about ${case.company}.",
            "",
            "",
        ],
        &[
            "integer",
            "staff",
            "Staff at ${case.company}?",
            "${case.region} = 'north'",
            "",
        ],
        &[
            "calculate",
            "tag",
            "",
            "",
            "concat(${case.company}, '/', ${case.missing})",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *cell)
                .expect("write a cell");
        }
    }
    let bytes = wb.save_to_buffer().expect("an in-memory workbook");
    let imp = canvass_form::import_xlsform(&bytes, "preload.xlsx");
    assert!(imp.is_clean(), "{:#?}", imp.diagnostics);
    imp.form.expect("a form")
}

#[test]
fn preload_values_are_read_and_piped_as_case_references() {
    let form = preload_form();
    let ctx = crate::runner::context(0, 0, "i", None);
    let preload = BTreeMap::from([
        ("name".to_owned(), "Olena".to_owned()),
        ("company".to_owned(), "Acme".to_owned()),
        ("region".to_owned(), "north".to_owned()),
    ]);
    let inst = canvass_form::Instance::with_preload(form.clone(), ctx.clone(), &preload);
    assert_eq!(
        inst.label("/data/intro").expect("a label"),
        "Hello Olena, calling about Acme."
    );
    assert_eq!(
        inst.label("/data/staff").expect("a label"),
        "Staff at Acme?"
    );
    let staff = inst.find("/data/staff").expect("a node");
    assert!(inst.state_of(staff).relevant);
    let tag = inst.find("/data/tag").expect("a node");
    // A preload name the case lacks reads as blank.
    assert_eq!(inst.state_of(tag).value, "Acme/");
    // Preload values never enter the record.
    assert!(inst.record().iter().all(|(p, _)| !p.contains("case")));
    // Another region: the question is not relevant; without preload everything is blank.
    let south = BTreeMap::from([("region".to_owned(), "south".to_owned())]);
    let inst = canvass_form::Instance::with_preload(form.clone(), ctx.clone(), &south);
    assert!(
        !inst
            .state_of(inst.find("/data/staff").expect("a node"))
            .relevant
    );
    let bare = canvass_form::Instance::new(form, ctx);
    assert_eq!(
        bare.label("/data/intro").expect("a label"),
        "Hello , calling about ."
    );
}
