//! The interview lifecycle beyond answers: language switch, roster add and remove, pause, break-off, and moving a draft to a new version.
//! The household forms in tests/data/forms were written for these tests (two languages, a roster; version 2 drops `pets`).

use canvass_app::{App, ErrorKind};

use crate::support::{repo_root, TempDb};

const UK: &str = "Ukrainian (uk)";

fn install(app: &App, name: &str) {
    let bytes = std::fs::read(repo_root().join("tests/data/forms").join(name)).unwrap();
    app.install_form(&bytes, name).unwrap();
}

fn events(app: &App, id: &str, kind: &str) -> Vec<canvass_app::ParadataEvent> {
    app.paradata(id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

fn status(app: &App, id: &str) -> String {
    app.interview_detail(id).unwrap().status
}

#[test]
fn the_language_switch_is_logged_and_survives_a_restart() {
    let db = TempDb::new();
    let (app, _) = db.app();
    install(&app, "household_v1.xml");
    let screen = app.start_interview("household").unwrap();
    let id = screen.interview_id.clone();
    assert_eq!(
        screen.languages,
        vec!["English (en)".to_string(), UK.into()]
    );
    assert_eq!(
        screen.question.unwrap().label,
        "How many pets live here?",
        "the default language first"
    );

    let screen = app.set_language(&id, UK).unwrap();
    assert_eq!(screen.language.as_deref(), Some(UK));
    assert_eq!(screen.question.unwrap().label, "Скільки тварин тут живе?");
    let switched = events(&app, &id, "language");
    assert_eq!(switched.len(), 1);
    assert_eq!(switched[0].new_value.as_deref(), Some(UK));

    let err = app.set_language(&id, "Klingon").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("Klingon"), "{err}");

    // A new process resumes in the language last chosen, at the same question.
    drop(app);
    let (app, _) = db.app();
    let screen = app.resume_interview(&id).unwrap();
    assert_eq!(screen.language.as_deref(), Some(UK));
    assert_eq!(screen.question.unwrap().label, "Скільки тварин тут живе?");

    // Switching back to the default is an empty name.
    let screen = app.set_language(&id, "").unwrap();
    assert_eq!(screen.language, None);
    assert_eq!(screen.question.unwrap().label, "How many pets live here?");
}

/// Names roster members 1..=n, adding each instance the engine does not have yet.
fn add_members(app: &App, id: &str, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let path = format!("/data/member[{}]/name", i + 1);
        if app.record_answer(id, &path, name).is_err() {
            app.add_repeat(id, "/data/member").unwrap();
            app.record_answer(id, &path, name).unwrap();
        }
    }
}

#[test]
fn an_added_member_survives_a_restart_before_any_answer() {
    let db = TempDb::new();
    let (app, _) = db.app();
    install(&app, "household_v1.xml");
    let id = app.start_interview("household").unwrap().interview_id;
    add_members(&app, &id, &["Ann"]);
    let before = app.add_repeat(&id, "/data/member").unwrap();
    let added = events(&app, &id, "repeat_add");
    let newest = added.last().unwrap().node.clone().unwrap();
    assert_eq!(newest, "/data/member[2]");
    let total_before = before.total;

    drop(app);
    let (app, _) = db.app();
    let screen = app.resume_interview(&id).unwrap();
    assert_eq!(
        screen.total, total_before,
        "the empty second member is still there after a restart"
    );
    app.record_answer(&id, "/data/member[2]/name", "Bob")
        .unwrap();
    let answers = app.interview_detail(&id).unwrap().answers;
    assert_eq!(
        answers.get("/data/member[2]/name").map(String::as_str),
        Some("Bob")
    );
    assert!(
        !answers.contains_key("/data/member[2]"),
        "the instance marker is not shown as an answer"
    );
}

#[test]
fn removing_a_member_renumbers_the_rest_and_keeps_the_removed_answers_in_the_log() {
    let db = TempDb::new();
    let (app, _) = db.app();
    install(&app, "household_v1.xml");
    let id = app.start_interview("household").unwrap().interview_id;
    add_members(&app, &id, &["Ann", "Bob", "Cy"]);
    app.record_answer(&id, "/data/member[2]/age", "40").unwrap();
    app.record_answer(&id, "/data/member[3]/age", "7").unwrap();

    let screen = app.remove_repeat(&id, "/data/member[2]").unwrap();
    let answers = app.interview_detail(&id).unwrap().answers;
    let members: Vec<(&str, &str)> = answers
        .iter()
        .filter(|(p, _)| p.starts_with("/data/member"))
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        members,
        vec![
            ("/data/member[1]/name", "Ann"),
            ("/data/member[2]/age", "7"),
            ("/data/member[2]/name", "Cy"),
        ]
    );
    // The interviewer was on Cy's age (member 3); that question is now member 2's.
    assert_eq!(
        screen.question.unwrap().path,
        "/data/member[2]/age",
        "the screen follows the renumbered question"
    );
    let removed = events(&app, &id, "repeat_delete");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].node.as_deref(), Some("/data/member[2]"));
    let kept: serde_json::Value =
        serde_json::from_str(removed[0].old_value.as_deref().unwrap()).unwrap();
    assert_eq!(kept["/data/member[2]/name"], "Bob");
    assert_eq!(kept["/data/member[2]/age"], "40");

    // A restart rebuilds two members, not three.
    drop(app);
    let (app, _) = db.app();
    app.resume_interview(&id).unwrap();
    let err = app.remove_repeat(&id, "/data/member[3]").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let err = app.remove_repeat(&id, "/data/pets").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[test]
fn pause_break_off_and_resume_move_the_status() {
    let db = TempDb::new();
    let (app, _) = db.app();
    install(&app, "household_v1.xml");
    let id = app.start_interview("household").unwrap().interview_id;
    assert_eq!(status(&app, &id), "in_progress");
    app.pause_interview(&id).unwrap();
    assert_eq!(status(&app, &id), "paused");
    app.resume_interview(&id).unwrap();
    assert_eq!(status(&app, &id), "in_progress");

    app.record_answer(&id, "pets", "2").unwrap();
    app.break_off_interview(&id, "respondent had to leave")
        .unwrap();
    assert_eq!(status(&app, &id), "broken_off");
    let broke = events(&app, &id, "break_off");
    assert_eq!(broke.len(), 1);
    assert_eq!(
        broke[0].new_value.as_deref(),
        Some("respondent had to leave")
    );
    assert_eq!(
        app.interview_detail(&id)
            .unwrap()
            .answers
            .get("/data/pets")
            .map(String::as_str),
        Some("2"),
        "a partial keeps its answers"
    );

    // A callback resumes the partial where it stopped.
    let screen = app.resume_interview(&id).unwrap();
    assert_eq!(status(&app, &id), "in_progress");
    assert_eq!(screen.question.unwrap().path, "/data/pets");
}

#[test]
fn a_draft_moves_to_a_new_version_by_name_and_lists_what_no_longer_fits() {
    let db = TempDb::new();
    let (app, _) = db.app();
    install(&app, "household_v1.xml");
    let id = app.start_interview("household").unwrap().interview_id;
    app.record_answer(&id, "pets", "2").unwrap();
    add_members(&app, &id, &["Ann", "Bob"]);
    app.record_answer(&id, "/data/member[1]/age", "105")
        .unwrap();
    app.record_answer(&id, "/data/member[2]/age", "40").unwrap();
    assert!(app.newer_versions(&id).unwrap().is_empty());

    install(&app, "household_v2.xml");
    assert_eq!(app.newer_versions(&id).unwrap(), vec!["2".to_string()]);

    // A preview changes nothing.
    let preview = app.move_to_version(&id, "2", false).unwrap();
    assert!(!preview.applied);
    assert_eq!(preview.carried, 4, "{preview:?}");
    let mut misfits: Vec<(String, String)> = preview
        .misfits
        .iter()
        .map(|m| (m.path.clone(), m.value.clone()))
        .collect();
    misfits.sort();
    assert_eq!(
        misfits,
        vec![
            ("/data/member[1]/age".to_string(), "105".to_string()),
            ("/data/pets".into(), "2".into()),
        ]
    );
    // Pets could not be carried; the age of 105 was carried but breaks version 2's limit.
    let age = preview.misfits.iter().find(|m| m.value == "105").unwrap();
    assert!(
        age.kept && age.reason.contains("between 0 and 99"),
        "{age:?}"
    );
    assert!(
        !preview
            .misfits
            .iter()
            .find(|m| m.value == "2")
            .unwrap()
            .kept
    );
    assert_eq!(
        app.interview_detail(&id).unwrap().questionnaire_version,
        "1"
    );

    let moved = app.move_to_version(&id, "2", true).unwrap();
    assert!(moved.applied);
    let detail = app.interview_detail(&id).unwrap();
    assert_eq!(detail.questionnaire_version, "2");
    let answers: Vec<(&str, &str)> = detail
        .answers
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        answers,
        vec![
            ("/data/member[1]/age", "105"),
            ("/data/member[1]/name", "Ann"),
            ("/data/member[2]/age", "40"),
            ("/data/member[2]/name", "Bob"),
        ]
    );
    let change = events(&app, &id, "version_change");
    assert_eq!(change.len(), 1);
    assert_eq!(
        (
            change[0].old_value.as_deref(),
            change[0].new_value.as_deref()
        ),
        (Some("1"), Some("2"))
    );
    assert_eq!(
        app.move_to_version(&id, "2", true).unwrap_err().kind(),
        ErrorKind::Conflict
    );

    // The moved draft runs on version 2 after a restart: the phone question exists.
    drop(app);
    let (app, _) = db.app();
    app.resume_interview(&id).unwrap();
    app.record_answer(&id, "phone", "+380441234567").unwrap();
}

#[test]
fn a_completed_interview_carries_its_whole_session_log_to_the_server() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let id = app
        .start_interview(canvass_app::DEMO_STUDY_ID)
        .unwrap()
        .interview_id;
    clock.advance(1_500);
    app.record_answer(&id, "nps", "9").unwrap();
    app.record_answer(&id, "reason", "2").unwrap();
    app.complete_interview(&id).unwrap();
    let payload: String = crate::support::raw(&db.path)
        .query_row("SELECT payload FROM outbox WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let kinds: Vec<&str> = payload["paradata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"form_start"));
    assert_eq!(kinds.last(), Some(&"finalize"), "{kinds:?}");
    assert_eq!(
        payload["paradata"].as_array().unwrap().len(),
        app.paradata(&id).unwrap().len(),
        "the log sent is the whole log"
    );
}

/// Resuming loads stored answers in one evaluation; it must give exactly the state that
/// answering them one by one gave, on real corpus forms walked at random.
#[test]
fn loading_answers_at_once_equals_answering_them_one_by_one() {
    // 2025-01-15T10:00:00Z, UTC, a fixed seed.
    let ctx = || canvass_app::runner::context(1_736_935_200_000, 0, "resume-test", None);
    let forms = [
        "px_tutorial.xls",
        "wf_socio_economic_survey.xlsx",
        "wf_relevant_calculate_group.xml",
        "wf_nested_repeat.xml",
        "px_cascading_select.xls",
    ];
    let mut compared = 0;
    for name in forms {
        let bytes = std::fs::read(
            repo_root()
                .join("src-tauri/crates/canvass-form/test_data/forms")
                .join(name),
        )
        .unwrap();
        let form = canvass_form::import_form(&bytes, name).form.unwrap();
        for seed in 1..=3 {
            let walk = canvass_form::fill::random_walk(&form, seed, ctx());
            let mut one_by_one = canvass_form::Instance::new(form.clone(), ctx());
            let mut stored: Vec<(String, String)> = Vec::new();
            for step in walk["steps"].as_array().unwrap() {
                if let Some(range) = step["add_repeat"].as_str() {
                    let _ = one_by_one.add_repeat(range);
                } else if let (Some(path), Some(value)) =
                    (step["set"].as_str(), step["value"].as_str())
                {
                    if one_by_one.set_answer(path, value).is_ok() {
                        stored.retain(|(p, _)| p != path);
                        stored.push((path.to_owned(), value.to_owned()));
                    }
                }
            }
            stored.sort();
            let loaded = canvass_app::runner::rebuild(&form, ctx(), &stored);
            assert_eq!(
                loaded.snapshot(),
                one_by_one.snapshot(),
                "{name} seed {seed}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 15);
}
