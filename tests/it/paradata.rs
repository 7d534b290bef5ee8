//! The paradata log through canvass-app: what each use case records, anti-tamper time, and resume after a crash.

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;
use canvass_app::{App, FixedClock, ParadataEvent};

use crate::support::{TempDb, FIXED_NOW_MS};

fn kinds(events: &[ParadataEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!("{} {}", e.kind, e.node.as_deref().unwrap_or(""))
                .trim()
                .to_owned()
        })
        .collect()
}

#[test]
fn a_whole_interview_is_logged_in_order_with_old_and_new_values() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    clock.advance(2_000);
    assert!(app.next_item(&id).is_err(), "required");
    clock.advance(1_000);
    app.record_answer(&id, "nps", "6").unwrap();
    clock.advance(500);
    app.record_answer(&id, "nps", "6").unwrap(); // unchanged: no event
    app.record_answer(&id, "nps", "9").unwrap();
    clock.advance(1_500);
    app.next_item(&id).unwrap();
    app.previous_item(&id).unwrap();
    app.next_item(&id).unwrap();
    app.record_answer(&id, "reason", "1").unwrap();
    app.next_item(&id).unwrap();
    app.record_answer(&id, "comment", "x").unwrap();
    app.record_answer(&id, "comment", "").unwrap();
    app.next_item(&id).unwrap();
    clock.advance(1_000);
    app.next_item(&id).unwrap();

    let events = app.paradata(&id).unwrap();
    assert_eq!(
        kinds(&events),
        [
            "form_start",
            "question /data/nps",
            "constraint_error /data/nps",
            "answer_set /data/nps",
            "answer_set /data/nps",
            "question /data/reason",
            "back /data/reason",
            "question /data/nps",
            "question /data/reason",
            "answer_set /data/reason",
            "question /data/comment",
            "answer_set /data/comment",
            "answer_removed /data/comment",
            "question /data/thanks",
            "finalize",
        ]
    );
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=15).collect::<Vec<_>>()
    );
    let changes: Vec<_> = events
        .iter()
        .filter(|e| e.kind.starts_with("answer"))
        .map(|e| (e.old_value.as_deref(), e.new_value.as_deref()))
        .collect();
    assert_eq!(
        changes,
        [
            (None, Some("6")),
            (Some("6"), Some("9")),
            (None, Some("1")),
            (None, Some("x")),
            (Some("x"), None)
        ]
    );

    // The first question was on screen from the start until Enter moved on, 5 s later.
    let first = &events[1];
    assert_eq!(
        (first.start_ms, first.end_ms, first.end_estimated),
        (FIXED_NOW_MS, Some(FIXED_NOW_MS + 5_000), false)
    );
    // Every question span is closed, and one session covers the whole interview.
    assert!(events
        .iter()
        .filter(|e| e.kind == "question")
        .all(|e| e.end_ms.is_some()));
    assert!(events.iter().all(|e| e.session_id == events[0].session_id));
    assert_eq!(events.last().unwrap().start_ms, FIXED_NOW_MS + 6_000);
}

#[test]
fn changing_the_wall_clock_mid_session_does_not_move_event_times() {
    let db = TempDb::new();
    let clock = std::sync::Arc::new(FixedClock::new(FIXED_NOW_MS).with_offset(180));
    let app = App::open(&db.path, clock.clone()).unwrap();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    clock.advance(10_000);
    // The interviewer sets the device clock back a day; durations must not change.
    clock.set_wall(FIXED_NOW_MS - 86_400_000);
    app.record_answer(&id, "nps", "7").unwrap();
    let events = app.paradata(&id).unwrap();
    let answer = events.iter().find(|e| e.kind == "answer_set").unwrap();
    assert_eq!(answer.start_ms, FIXED_NOW_MS + 10_000);
    assert!(events.iter().all(|e| e.tz_offset_min == 180));
}

#[test]
fn resuming_after_a_crash_closes_the_open_question_and_starts_a_new_session() {
    let db = TempDb::new();
    let id = {
        let (app, clock) = db.app();
        let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
        clock.advance(3_000);
        app.record_answer(&id, "nps", "2").unwrap();
        clock.advance(60_000);
        id
        // The app goes away here without pausing: a crash or a kill.
    };
    let (app, clock) = db.app();
    clock.advance(120_000);
    let screen = app.resume_interview(&id).unwrap();
    assert_eq!(screen.question.unwrap().name, "nps");
    let events = app.paradata(&id).unwrap();
    assert_eq!(
        kinds(&events),
        [
            "form_start",
            "question /data/nps",
            "answer_set /data/nps",
            "form_resume",
            "question /data/nps"
        ]
    );
    let crashed = &events[1];
    assert!(crashed.end_estimated, "the span's end was not seen");
    assert_eq!(
        crashed.end_ms,
        Some(FIXED_NOW_MS + 3_000),
        "closed at the session's last durable event"
    );
    assert_ne!(events[3].session_id, events[0].session_id);
    assert_eq!(events[4].end_ms, None, "the resumed question is on screen");
}

#[test]
fn pausing_closes_the_question_and_the_session() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    clock.advance(4_000);
    app.pause_interview(&id).unwrap();
    clock.advance(1_000);
    app.resume_interview(&id).unwrap();
    let events = app.paradata(&id).unwrap();
    assert_eq!(
        kinds(&events),
        [
            "form_start",
            "question /data/nps",
            "exit",
            "form_resume",
            "question /data/nps"
        ]
    );
    assert_eq!(
        (events[1].end_ms, events[1].end_estimated),
        (Some(FIXED_NOW_MS + 4_000), false)
    );
    assert_eq!(events[3].start_ms, FIXED_NOW_MS + 5_000);
}

#[test]
fn unknown_interviews_have_no_paradata() {
    let db = TempDb::new();
    let (app, _) = db.app();
    assert!(app.paradata("nope").is_err());
}
