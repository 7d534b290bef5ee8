//! Interview use cases through canvass-app on a real SQLite file and a fixed clock.

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;
use canvass_app::{App, Error, ErrorKind, Screen};

use crate::support::{TempDb, FIXED_NOW_MS};

fn item(screen: &Screen) -> &str {
    &screen.question.as_ref().expect("a question is shown").name
}

fn label(screen: &Screen) -> &str {
    &screen.question.as_ref().expect("a question is shown").label
}

#[test]
fn the_demo_interview_runs_to_completion_and_queues_one_outbox_row() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let s = app.start_interview(DEMO_NPS_ID).unwrap();
    let id = s.interview_id.clone();
    assert_eq!((item(&s), s.position, s.total), ("nps", 1, 4));
    assert!(s.question.as_ref().unwrap().is_first);

    clock.advance(1_000);
    let s = app.record_answer(&id, "nps", "9").unwrap();
    assert_eq!(s.question.as_ref().unwrap().value, "9");
    let s = app.next_item(&id).unwrap();
    assert_eq!(item(&s), "reason");
    assert_eq!(label(&s), "You gave us 9. What do you like most about us?");

    app.record_answer(&id, "reason", "2").unwrap();
    let s = app.next_item(&id).unwrap();
    assert_eq!(item(&s), "comment");
    app.record_answer(&id, "comment", "  Great coffee  ")
        .unwrap();
    let s = app.next_item(&id).unwrap();
    assert_eq!(item(&s), "thanks");
    assert!(s.question.as_ref().unwrap().is_last);
    clock.advance(1_000);
    let s = app.next_item(&id).unwrap();
    assert_eq!(s.status, "completed");
    assert!(s.question.is_none());

    let list = app.list_interviews().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, "completed");
    assert_eq!(list[0].answered, 3);
    assert_eq!(list[0].completed_at, Some(FIXED_NOW_MS + 2_000));

    let store = canvass_store::Store::open(&db.path).unwrap();
    let answers: Vec<(String, String)> = store
        .answers(&id)
        .unwrap()
        .into_iter()
        .map(|a| (a.item_path, a.value))
        .collect();
    assert_eq!(
        answers,
        [
            ("/data/comment", "Great coffee"),
            ("/data/nps", "9"),
            ("/data/reason", "2")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let outbox = store.pending_outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].id, id);
    let payload: serde_json::Value = serde_json::from_str(&outbox[0].payload).unwrap();
    assert_eq!(payload["answers"]["/data/nps"], "9");
    assert_eq!(
        payload["answers"]["/data/reason_prompt"], "What do you like most about us?",
        "calculations are part of the record"
    );
    assert_eq!(payload["completed_at"], FIXED_NOW_MS + 2_000);
}

#[test]
fn the_follow_up_wording_follows_the_score_band() {
    let db = TempDb::new();
    let (app, _) = db.app();
    for (score, wording) in [
        ("0", "would not recommend"),
        ("6", "would not recommend"),
        ("7", "more likely"),
        ("10", "like most"),
    ] {
        let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
        app.record_answer(&id, "nps", score).unwrap();
        let s = app.next_item(&id).unwrap();
        assert!(label(&s).contains(wording), "score {score}: {}", label(&s));
        assert!(label(&s).contains(&format!("You gave us {score}.")));
    }
}

#[test]
fn a_required_question_blocks_moving_on_and_bad_values_are_refused() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    let err = app.next_item(&id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(
        err.to_string(),
        "this question needs an answer before moving on"
    );

    let err = app.record_answer(&id, "nps", "11").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(item(&app.screen(&id).unwrap()), "nps");
    assert_eq!(
        app.screen(&id).unwrap().question.unwrap().value,
        "",
        "a refused value is not stored"
    );
}

#[test]
fn back_returns_to_the_previous_question_with_its_answer() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    assert_eq!(
        item(&app.previous_item(&id).unwrap()),
        "nps",
        "back on the first question stays put"
    );
    app.record_answer(&id, "nps", "4").unwrap();
    app.next_item(&id).unwrap();
    let s = app.previous_item(&id).unwrap();
    assert_eq!(
        (item(&s), s.question.as_ref().unwrap().value.as_str()),
        ("nps", "4")
    );
}

#[test]
fn reopening_the_app_resumes_at_the_question_where_it_stopped() {
    let db = TempDb::new();
    let id = {
        let (app, _) = db.app();
        let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
        app.record_answer(&id, "nps", "3").unwrap();
        app.next_item(&id).unwrap();
        app.record_answer(&id, "reason", "1").unwrap();
        id
    };
    let (app, _) = db.app();
    let list = app.list_interviews().unwrap();
    assert_eq!(
        (list[0].status.as_str(), list[0].position),
        ("in_progress", Some(2))
    );
    let s = app.screen(&id).unwrap();
    assert_eq!(item(&s), "reason");
    assert_eq!(s.question.as_ref().unwrap().value, "1");
    assert!(label(&s).contains("would not recommend"));
}

#[test]
fn a_completed_interview_cannot_be_changed_and_unknown_ids_are_not_found() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    app.record_answer(&id, "nps", "8").unwrap();
    app.next_item(&id).unwrap();
    app.record_answer(&id, "reason", "3").unwrap();
    for _ in 0..3 {
        app.next_item(&id).unwrap();
    }
    let err = app.record_answer(&id, "nps", "1").unwrap_err();
    assert!(matches!(err, Error::InterviewClosed { .. }));
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(app.screen("nope").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        app.start_interview("nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn the_app_refuses_a_database_from_a_newer_canvass() {
    let db = TempDb::new();
    drop(db.app());
    crate::support::raw(&db.path)
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let err = App::open(
        &db.path,
        std::sync::Arc::new(canvass_app::SystemClock::new()),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::IncompatibleDatabase);
}

/// A rank question as pyxform writes one (`odk:rank`), with three options.
const RANK_FORM: &str = r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:odk="http://www.opendatakit.org/xforms" xmlns:jr="http://openrosa.org/javarosa">
  <h:head>
    <h:title>Priorities</h:title>
    <model odk:xforms-version="1.0.0">
      <instance>
        <data id="priorities" version="1">
          <order/>
          <meta><instanceID/></meta>
        </data>
      </instance>
      <bind nodeset="/data/order" type="odk:rank" required="true()"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
    </model>
  </h:head>
  <h:body>
    <odk:rank ref="/data/order"><label>Rank what matters most</label>
      <item><label>Price</label><value>price</value></item>
      <item><label>Speed</label><value>speed</value></item>
      <item><label>Service</label><value>service</value></item>
    </odk:rank>
  </h:body>
</h:html>"#;

#[test]
fn a_rank_question_keeps_the_order_chosen_and_refuses_an_option_ranked_twice() {
    let db = TempDb::new();
    let (app, _) = db.app();
    app.install_form(RANK_FORM.as_bytes(), "priorities.xml")
        .unwrap();
    let s = app.start_interview("priorities").unwrap();
    let id = s.interview_id.clone();
    let q = s.question.as_ref().unwrap();
    assert_eq!((q.name.as_str(), q.kind), ("order", "rank"));

    let s = app.record_answer(&id, "order", "service  price").unwrap();
    assert_eq!(s.question.as_ref().unwrap().value, "service price");
    let e = app
        .record_answer(&id, "order", "price speed price")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(e.to_string().contains("ranked twice"), "{e}");
    let e = app.record_answer(&id, "order", "price taste").unwrap_err();
    assert!(e.to_string().contains("taste"), "{e}");
    // The refused answers changed nothing that was saved.
    let shown = app.resume_interview(&id).unwrap();
    assert_eq!(shown.question.as_ref().unwrap().value, "service price");
}
