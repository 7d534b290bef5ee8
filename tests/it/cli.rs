//! The headless `canvass` CLI, run in-process through `canvass_cli::run` with captured output.

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;

use crate::support::{raw, TempDb};

/// Runs the CLI with `args` and returns (exit code, stdout, stderr).
fn canvass(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("canvass").chain(args.iter().copied());
    let code = canvass_cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn help_lists_the_commands() {
    let (code, out, _) = canvass(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("db") && out.contains("interview"), "{out}");
    let (code, out, _) = canvass(&["db", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("check"), "{out}");
}

#[test]
fn a_wrong_command_line_exits_2() {
    let (code, _, err) = canvass(&["db", "chek"]);
    assert_eq!(code, 2);
    assert!(err.contains("chek"), "{err}");
}

#[test]
fn db_check_reports_version_and_integrity() {
    let db = TempDb::new();
    drop(db.app());
    let (code, out, err) = canvass(&["db", "check", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let n = canvass_store::MIGRATIONS.len();
    assert!(
        out.contains(&format!(
            "schema version: {n} (this Canvass knows up to {n})"
        )),
        "{out}"
    );
    assert!(out.contains("integrity: ok"), "{out}");
}

#[test]
fn db_check_names_a_file_that_is_not_a_database() {
    let db = TempDb::new();
    std::fs::write(
        &db.path,
        "this is a spreadsheet export, not a database\n".repeat(100),
    )
    .unwrap();
    let (code, _, err) = canvass(&["db", "check", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a Canvass database"), "{err}");
    assert!(err.contains(db.path.to_str().unwrap()), "{err}");
}

#[test]
fn db_check_refuses_a_newer_database_and_a_missing_file() {
    let db = TempDb::new();
    drop(db.app());
    raw(&db.path)
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let (code, _, err) = canvass(&["db", "check", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("written by a newer Canvass (schema version 99"),
        "{err}"
    );

    let missing = db.dir.path().join("nope.sqlite");
    let (code, _, err) = canvass(&["db", "check", "--db", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot open"), "{err}");
    assert!(!missing.exists(), "checking must not create the file");
}

#[test]
fn interview_list_prints_json_of_every_interview() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let done = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    app.record_answer(&done, "nps", "10").unwrap();
    app.next_item(&done).unwrap();
    app.record_answer(&done, "reason", "1").unwrap();
    for _ in 0..3 {
        app.next_item(&done).unwrap();
    }
    let open = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    drop(app);

    let (code, out, err) = canvass(&[
        "interview",
        "list",
        "--db",
        db.path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let status_of = |id: &str| {
        list.iter().find(|i| i["id"] == id).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status_of(&done), "completed");
    assert_eq!(status_of(&open), "in_progress");

    let (code, out, _) = canvass(&["interview", "list", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("2 interview(s)"), "{out}");

    let missing = db.dir.path().join("typo.sqlite");
    let (code, _, err) = canvass(&[
        "interview",
        "list",
        "--db",
        missing.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no database at"), "{err}");
    assert!(!missing.exists());
}

/// A corpus form copied into canvass-form's test data (see its SOURCES.md).
fn corpus(name: &str) -> String {
    crate::support::repo_root()
        .join("src-tauri/crates/canvass-form/test_data/forms")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn form_check_passes_a_clean_form_and_names_the_cell_of_an_error() {
    let (code, out, err) = canvass(&["form", "check", &corpus("px_tutorial.xls")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 error(s)"), "{out}");
    let (code, out, _) = canvass(&["form", "check", &corpus("vm_liberia_coverage_round2.xlsx")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error: sheet `choices` row 126 column `name`: choice `4` appears twice in list `district`"), "{out}");
    assert!(out.contains("1 error(s)"), "{out}");
}

#[test]
fn form_check_refuses_garbage_with_a_message_not_a_panic() {
    let db = TempDb::new();
    let fake = db.dir.path().join("survey.xlsx");
    std::fs::write(&fake, b"PK\x03\x04 this is not really a workbook").unwrap();
    let (code, out, _) = canvass(&["form", "check", fake.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("error: "), "{out}");
    let csv = db.dir.path().join("cases.csv");
    std::fs::write(&csv, "id,phone\n").unwrap();
    let (code, out, _) = canvass(&["form", "check", csv.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("is not a form file"), "{out}");
}

#[test]
fn form_replay_prints_node_states_after_each_step() {
    let db = TempDb::new();
    let steps = db.dir.path().join("steps.json");
    std::fs::write(
        &steps,
        r#"{"steps": [
            {"set": "/root/second-question", "value": "hello"},
            {"set": "/root/first-question", "value": "y", "intent": "opens the group"},
            {"set": "/root/grp/grouped-a", "value": "x", "intent": "read-only: refused"}
        ]}"#,
    )
    .unwrap();
    let form = corpus("wf_relevant_calculate_group.xml");
    let (code, out, err) = canvass(&[
        "form",
        "replay",
        &form,
        steps.to_str().unwrap(),
        "--now",
        "2025-01-15T10:00:00.000Z",
    ]);
    assert_eq!(code, 0, "{err}");
    let trace: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(trace["format"], "xform-ref-trace/1");
    assert_eq!(trace["env"]["now"], "2025-01-15T10:00:00.000Z");
    let row = |snapshot: &serde_json::Value, path: &str| {
        snapshot
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == path)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&trace["initial"], "/root/grp")["relevant"], false);
    let after = &trace["steps"][1]["snapshot"];
    assert_eq!(row(after, "/root/grp")["relevant"], true);
    assert_eq!(row(after, "/root/grp/grouped-a")["value"], "second = hello");
    assert_eq!(trace["steps"][2]["ok"], false);
    // The same inputs give the same trace, byte for byte.
    let (_, again, _) = canvass(&["form", "replay", &form, steps.to_str().unwrap()]);
    assert_eq!(again, out);
    let (code, _, err) = canvass(&[
        "form",
        "replay",
        &form,
        steps.to_str().unwrap(),
        "--now",
        "yesterday",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("is not an ISO-8601 time"), "{err}");
}

#[test]
fn form_fill_prints_a_walk_that_replays_cleanly() {
    let db = TempDb::new();
    let form = corpus("px_tutorial.xls");
    let (code, walk, err) = canvass(&["form", "fill", &form, "--seed", "42"]);
    assert_eq!(code, 0, "{err}");
    let parsed: serde_json::Value = serde_json::from_str(&walk).unwrap();
    assert!(!parsed["steps"].as_array().unwrap().is_empty());
    let (_, again, _) = canvass(&["form", "fill", &form, "--seed", "42"]);
    assert_eq!(again, walk, "the same seed gives the same walk");
    let steps = db.dir.path().join("walk.json");
    std::fs::write(&steps, &walk).unwrap();
    let (code, out, err) = canvass(&["form", "replay", &form, steps.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let trace: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["ok"] == true));
    let (code, _, err) = canvass(&["form", "fill", &corpus("vm_liberia_coverage_round2.xlsx")]);
    assert_eq!(code, 1);
    assert!(err.contains("does not import cleanly"), "{err}");
}

#[test]
fn interview_run_prints_each_durable_save_and_fill_makes_completed_interviews() {
    let db = TempDb::new();
    let form = corpus("px_tutorial.xls");
    let (_, walk, _) = canvass(&["form", "fill", &form, "--seed", "3"]);
    let steps = db.dir.path().join("steps.json");
    std::fs::write(&steps, &walk).unwrap();
    let (code, out, err) = canvass(&[
        "interview",
        "run",
        "--db",
        db.path.to_str().unwrap(),
        "--form",
        &form,
        "--steps",
        steps.to_str().unwrap(),
        "--finish",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let id = out
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_owned();
    let sets = serde_json::from_str::<serde_json::Value>(&walk).unwrap()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["set"].is_string())
        .count();
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with(&format!("saved {id} /data/")))
            .count(),
        sets,
        "{out}"
    );
    assert!(
        out.trim_end().ends_with(&format!("completed {id}")),
        "{out}"
    );
    let (code, shown, _) = canvass(&[
        "interview",
        "show",
        "--db",
        db.path.to_str().unwrap(),
        &id,
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&shown).unwrap()["status"],
        "completed"
    );

    let (code, out, err) = canvass(&[
        "interview",
        "fill",
        "--db",
        db.path.to_str().unwrap(),
        "--form",
        &form,
        "--count",
        "3",
        "--seed",
        "9",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("filled 3 completed interview(s) of px_tutorial"),
        "{out}"
    );
    let (_, list, _) = canvass(&[
        "interview",
        "list",
        "--db",
        db.path.to_str().unwrap(),
        "--json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "completed")
            .count(),
        4
    );
}
