//! The headless `canvass` CLI, run in-process through `canvass_cli::run` with captured output.

use canvass_form::DEMO_NPS_ID;

use crate::support::{raw, TempDb};

/// Runs the CLI with `args` and returns (exit code, stdout, stderr).
fn canvass(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("canvass").chain(args.iter().copied());
    let code = canvass_cli::run(argv, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
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
    assert!(out.contains(&format!("schema version: {n} (this Canvass knows up to {n})")), "{out}");
    assert!(out.contains("integrity: ok"), "{out}");
}

#[test]
fn db_check_names_a_file_that_is_not_a_database() {
    let db = TempDb::new();
    std::fs::write(&db.path, "this is a spreadsheet export, not a database\n".repeat(100)).unwrap();
    let (code, _, err) = canvass(&["db", "check", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a Canvass database"), "{err}");
    assert!(err.contains(db.path.to_str().unwrap()), "{err}");
}

#[test]
fn db_check_refuses_a_newer_database_and_a_missing_file() {
    let db = TempDb::new();
    drop(db.app());
    raw(&db.path).execute_batch("PRAGMA user_version = 7").unwrap();
    let (code, _, err) = canvass(&["db", "check", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("written by a newer Canvass (schema version 7"), "{err}");

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

    let (code, out, err) = canvass(&["interview", "list", "--db", db.path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let status_of = |id: &str| list.iter().find(|i| i["id"] == id).unwrap()["status"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&done), "completed");
    assert_eq!(status_of(&open), "in_progress");

    let (code, out, _) = canvass(&["interview", "list", "--db", db.path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("2 interview(s)"), "{out}");

    let missing = db.dir.path().join("typo.sqlite");
    let (code, _, err) = canvass(&["interview", "list", "--db", missing.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1);
    assert!(err.contains("no database at"), "{err}");
    assert!(!missing.exists());
}
