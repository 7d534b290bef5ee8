//! Questionnaire versions and finalization: a draft keeps the version it started on, and finalize checks everything.
//! The store-visit forms in tests/data/forms were written for these tests (version 2 adds one question).

use canvass_app::{ErrorKind, DEMO_STUDY_ID};

use crate::support::{repo_root, TempDb};

fn form(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("tests/data/forms").join(name)).unwrap()
}

#[test]
fn installing_a_new_version_never_moves_a_draft() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let v1 = app
        .install_form(&form("visit_v1.xml"), "visit_v1.xml")
        .unwrap();
    assert_eq!(
        (v1.id.as_str(), v1.version.as_str(), v1.question_count),
        ("store_visit", "1", 1)
    );
    let draft = app.start_interview("store_visit").unwrap().interview_id;
    app.record_answer(&draft, "/data/visits", "5").unwrap();

    let v2 = app
        .install_form(&form("visit_v2.xml"), "visit_v2.xml")
        .unwrap();
    assert_eq!(v2.version, "2");
    let studies = app.studies();
    assert_eq!(
        studies.iter().filter(|s| s.id == "store_visit").count(),
        1,
        "one entry per study, the newest version"
    );
    assert_eq!(
        studies
            .iter()
            .find(|s| s.id == "store_visit")
            .unwrap()
            .version,
        "2"
    );

    // The draft carries on with version 1's two questions; a new interview gets version 2's three.
    drop(app);
    let (app, _) = db.app();
    let screen = app.resume_interview(&draft).unwrap();
    assert_eq!(
        (screen.position, screen.total),
        (1, 2),
        "version 1: visits, then rating (shown for visits > 2)"
    );
    assert_eq!(
        app.interview_detail(&draft).unwrap().questionnaire_version,
        "1"
    );
    let fresh = app.start_interview("store_visit").unwrap();
    assert_eq!(
        app.interview_detail(&fresh.interview_id)
            .unwrap()
            .questionnaire_version,
        "2"
    );
    app.record_answer(&fresh.interview_id, "/data/visits", "1")
        .unwrap();
    assert_eq!(
        app.screen(&fresh.interview_id).unwrap().total,
        2,
        "version 2 without rating: visits and comment"
    );

    // Installing the same file again is harmless; other content under the same version is refused.
    app.install_form(&form("visit_v1.xml"), "visit_v1.xml")
        .unwrap();
    let edited = String::from_utf8(form("visit_v1.xml"))
        .unwrap()
        .replace("this month", "this week");
    let err = app
        .install_form(edited.as_bytes(), "visit_v1.xml")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.to_string().contains("raise the form's version"),
        "{err}"
    );
}

#[test]
fn a_form_with_errors_is_refused_with_every_error_listed() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let broken = String::from_utf8(form("visit_v1.xml"))
        .unwrap()
        .replace(". &gt;= 1", "nosuchfn(.) &gt;= 1");
    let err = app
        .install_form(broken.as_bytes(), "visit_v1.xml")
        .unwrap_err();
    assert!(err.to_string().contains("nosuchfn"), "{err}");
    assert!(app.studies().iter().all(|s| s.id != "store_visit"));
}

#[test]
fn the_forms_constraint_message_blocks_moving_on_and_finalize_checks_every_question() {
    let db = TempDb::new();
    let (app, _) = db.app();
    app.install_form(&form("visit_v1.xml"), "visit_v1.xml")
        .unwrap();
    let id = app.start_interview("store_visit").unwrap().interview_id;
    let screen = app.record_answer(&id, "/data/visits", "45").unwrap();
    assert_eq!(
        screen.question.unwrap().error.as_deref(),
        Some("Visits must be between 1 and 30"),
        "saved, and flagged"
    );
    let err = app.next_item(&id).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        (ErrorKind::Validation, "Visits must be between 1 and 30")
    );
    app.record_answer(&id, "/data/visits", "4").unwrap();
    assert_eq!(
        app.next_item(&id).unwrap().question.unwrap().path,
        "/data/rating",
        "relevant once visits > 2"
    );

    // Finalize from the demo's first question: the empty required follow-up stops it and becomes current.
    let demo = app.start_interview(DEMO_STUDY_ID).unwrap().interview_id;
    app.record_answer(&demo, "nps", "10").unwrap();
    let err = app.complete_interview(&demo).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this question needs an answer before moving on"
    );
    assert_eq!(app.screen(&demo).unwrap().question.unwrap().name, "reason");
    app.record_answer(&demo, "reason", "1").unwrap();
    assert_eq!(app.complete_interview(&demo).unwrap().status, "completed");
    let kinds: Vec<String> = app
        .paradata(&demo)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"constraint_error".to_string()) && kinds.last().unwrap() == "finalize",
        "{kinds:?}"
    );
}

#[test]
fn a_number_that_is_not_a_number_is_refused_before_it_is_stored() {
    let db = TempDb::new();
    let (app, _) = db.app();
    app.install_form(&form("visit_v1.xml"), "visit_v1.xml")
        .unwrap();
    let id = app.start_interview("store_visit").unwrap().interview_id;
    let err = app.record_answer(&id, "/data/visits", "twice").unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        (ErrorKind::Validation, "`twice` is not a whole number")
    );
    assert!(app.interview_detail(&id).unwrap().answers.is_empty());
}
