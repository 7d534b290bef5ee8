//! CAPI through canvass-app and the CLI on real SQLite files with a fixed clock:
//! assignment import (CSV and XLSX, all or nothing), the dashboard, several
//! interviews per assignment with derived status, visits with AAPOR codes and
//! their outbox rows, consents and respondent-mode events.

use canvass_app::capi::{AssignmentFilter, VisitInput};
use canvass_app::{App, Error, ErrorKind, DEMO_STUDY_ID};

use crate::support::{raw, TempDb, FIXED_NOW_MS};

const LIST: &str = "id,interviewer,address,target,due,area,hh_head,language
A-001,olena,\"12 Shevchenka St, apt 4\",2,2026-11-30,North,Петро Коваль,uk
A-002,olena,3 Lesi Ukrainky Ave,1,2026-12-15,South,Ivan Petrenko,ru
A-003,olena,7 Franka St,1,,North,Maria Bondar,uk
";

fn import(app: &App, csv: &str) -> canvass_app::Result<canvass_app::capi::ImportReport> {
    app.import_assignments(DEMO_STUDY_ID, csv.as_bytes(), "list.csv")
}

fn ids(app: &App, filter: AssignmentFilter) -> Vec<String> {
    app.assignment_dashboard(&filter)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// Answers the demo's required questions and finalizes the interview.
fn complete_demo(app: &App, id: &str) {
    app.record_answer(id, "nps", "9").unwrap();
    app.record_answer(id, "reason", "2").unwrap();
    let s = app.complete_interview(id).unwrap();
    assert_eq!(s.status, "completed");
}

fn count(db: &TempDb, sql: &str) -> i64 {
    raw(&db.path).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_csv_list_imports_with_preload_and_the_dashboard_searches_filters_and_counts() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let report = import(&app, LIST).unwrap();
    assert_eq!(report.imported, 3);
    assert_eq!(report.preload_columns, ["hh_head", "language"]);

    let dash = app
        .assignment_dashboard(&AssignmentFilter::default())
        .unwrap();
    // Soonest due first, undated last.
    let order: Vec<&str> = dash.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["A-001", "A-002", "A-003"]);
    assert_eq!(dash.matching, 3);
    assert_eq!(dash.counts["new"], 3);
    assert_eq!(dash.counts["done"], 0);
    assert_eq!(dash.areas, ["North", "South"]);
    let first = &dash.rows[0];
    assert_eq!(first.address, "12 Shevchenka St, apt 4");
    assert_eq!(first.target, 2);
    assert_eq!(first.due.as_deref(), Some("2026-11-30"));
    let preload: Vec<(&str, &str)> = first
        .preload
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(preload, [("hh_head", "Петро Коваль"), ("language", "uk")]);

    // Search matches preloaded text in any case, Cyrillic included, and ids and addresses.
    let search = |s: &str| {
        ids(
            &app,
            AssignmentFilter {
                search: Some(s.into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(search("петро"), ["A-001"]);
    assert_eq!(search("UKRAINKY"), ["A-002"]);
    assert_eq!(search("a-003"), ["A-003"]);
    // LIKE wildcards in the search text are literal.
    assert!(search("%").is_empty());
    let area = ids(
        &app,
        AssignmentFilter {
            area: Some("North".into()),
            ..Default::default()
        },
    );
    assert_eq!(area, ["A-001", "A-003"]);
    let due = ids(
        &app,
        AssignmentFilter {
            due_by: Some("2026-12-01".into()),
            ..Default::default()
        },
    );
    assert_eq!(due, ["A-001"]);
    // Filters combine, and pages follow the dashboard order.
    let page = app
        .assignment_dashboard(&AssignmentFilter {
            area: Some("North".into()),
            limit: Some(1),
            offset: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((page.rows[0].id.as_str(), page.matching), ("A-003", 2));
    assert_eq!(page.counts["new"], 2);
    let none = app
        .assignment_dashboard(&AssignmentFilter {
            area: Some("North".into()),
            status: Some("done".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (none.rows.len(), none.matching, none.counts["new"]),
        (0, 0, 2)
    );
    let paged = app
        .assignment_dashboard(&AssignmentFilter {
            limit: Some(2),
            offset: 1,
            ..Default::default()
        })
        .unwrap();
    let paged: Vec<&str> = paged.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(paged, ["A-002", "A-003"]);
    let err = app
        .assignment_dashboard(&AssignmentFilter {
            status: Some("finished".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.to_string().contains("unknown status `finished`"),
        "{err}"
    );

    // Each import is in the assignment's own log.
    let detail = app.assignment_detail("A-001").unwrap();
    assert_eq!(detail.events.len(), 1);
    assert_eq!(detail.events[0].kind, "imported");
    assert_eq!(detail.events[0].at_ms, FIXED_NOW_MS);
}

#[test]
fn a_list_with_any_bad_row_imports_nothing_and_names_every_problem() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let bad = "id,interviewer,address,target,due
A-1,olena,1 Main St,1,2026-12-01
,olena,2 Main St,1,
A-1,olena,3 Main St,1,
A-4,olena,4 Main St,several,
A-5,olena,5 Main St,1,2026-02-30
";
    let err = import(&app, bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let Error::AssignmentsInvalid { file, problems } = &err else {
        panic!("expected AssignmentsInvalid, got {err:?}");
    };
    assert_eq!(file, "list.csv");
    let located: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(located, [(3, "id"), (4, "id"), (5, "target"), (6, "due")]);
    assert!(problems[1].message.contains("first on row 2"));
    assert_eq!(count(&db, "SELECT count(*) FROM assignments"), 0);

    // An id already on the device is refused the same way, and nothing of the second file lands.
    import(&app, LIST).unwrap();
    let again = "id,interviewer,address,target,due\nA-009,olena,9 Main St,1,\nA-002,olena,x,1,\n";
    let err = import(&app, again).unwrap_err();
    assert!(
        err.to_string()
            .contains("row 3 column `id`: assignment `A-002` is already on this device"),
        "{err}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM assignments"), 3);

    // A study that is not installed is named.
    let err = app
        .import_assignments("no_such_study", LIST.as_bytes(), "list.csv")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn an_xlsx_list_imports_with_date_cells_and_numbers_as_written() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["id", "interviewer", "address", "target", "due", "hh_size"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(1, 0, "X-1").unwrap();
    ws.write_string(1, 1, "taras").unwrap();
    ws.write_string(1, 2, "1 Sadova St").unwrap();
    ws.write_number(1, 3, 3.0).unwrap();
    ws.write_datetime_with_format(1, 4, ExcelDateTime::from_ymd(2026, 12, 24).unwrap(), &date)
        .unwrap();
    ws.write_number(1, 5, 4.0).unwrap();
    ws.write_string(2, 0, "X-2").unwrap();
    ws.write_string(2, 2, "2 Sadova St").unwrap();
    ws.write_number(2, 3, 1.5).unwrap();
    let bytes = wb.save_to_buffer().unwrap();

    let db = TempDb::new();
    let (app, _) = db.app();
    let err = app
        .import_assignments(DEMO_STUDY_ID, &bytes, "list.xlsx")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("row 3 column `target`: `1.5` is not a whole number"),
        "{err}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM assignments"), 0);

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_row(
        0,
        0,
        ["id", "interviewer", "address", "target", "due", "hh_size"],
    )
    .unwrap();
    ws.write_string(1, 0, "X-1").unwrap();
    ws.write_string(1, 1, "taras").unwrap();
    ws.write_string(1, 2, "1 Sadova St").unwrap();
    ws.write_number(1, 3, 3.0).unwrap();
    ws.write_datetime_with_format(1, 4, ExcelDateTime::from_ymd(2026, 12, 24).unwrap(), &date)
        .unwrap();
    ws.write_number(1, 5, 4.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let report = app
        .import_assignments(DEMO_STUDY_ID, &bytes, "list.xlsx")
        .unwrap();
    assert_eq!(report.imported, 1);
    let a = app.assignment_detail("X-1").unwrap().assignment;
    assert_eq!(a.due.as_deref(), Some("2026-12-24"));
    assert_eq!(a.target, 3);
    assert_eq!(a.preload[0].value, "4");
}

#[test]
fn interviews_per_assignment_derive_its_status_until_the_target_is_reached() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    import(&app, LIST).unwrap();
    assert_eq!(
        app.assignment_detail("A-001").unwrap().assignment.status,
        "new"
    );

    clock.advance(60_000);
    let first = app
        .start_assignment_interview("A-001")
        .unwrap()
        .interview_id;
    let a = app.assignment_detail("A-001").unwrap();
    assert_eq!(a.assignment.status, "started");
    assert_eq!(a.interviews.len(), 1);
    assert_eq!(
        app.assignment_of_interview(&first).unwrap().unwrap().id,
        "A-001"
    );
    complete_demo(&app, &first);
    // One of two completed: still started.
    assert_eq!(
        app.assignment_detail("A-001").unwrap().assignment.status,
        "started"
    );

    clock.advance(60_000);
    let second = app
        .start_assignment_interview("A-001")
        .unwrap()
        .interview_id;
    assert_ne!(first, second);
    complete_demo(&app, &second);
    let a = app.assignment_detail("A-001").unwrap();
    assert_eq!(a.assignment.status, "done");
    assert_eq!((a.assignment.completed, a.assignment.target), (2, 2));
    // The completed record carries its assignment to the server.
    let payload: String = raw(&db.path)
        .query_row(
            "SELECT payload FROM outbox WHERE id = ?1 AND kind = 'interview'",
            [&second],
            |r| r.get(0),
        )
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["assignment_id"], "A-001");
    let started: Vec<&str> = a.interviews.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(started, [first.as_str(), second.as_str()]);
    let kinds: Vec<&str> = a.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["imported", "interview_start", "interview_start"]);

    let err = app.start_assignment_interview("A-001").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(matches!(err, Error::AssignmentDone { .. }));
    // The refused start wrote nothing.
    assert_eq!(count(&db, "SELECT count(*) FROM interviews"), 2);

    let dash = app
        .assignment_dashboard(&AssignmentFilter::default())
        .unwrap();
    assert_eq!(dash.counts["done"], 1);
    assert_eq!(dash.counts["new"], 2);
    let done = ids(
        &app,
        AssignmentFilter {
            status: Some("done".into()),
            ..Default::default()
        },
    );
    assert_eq!(done, ["A-001"]);

    let err = app.start_assignment_interview("A-404").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn a_visit_without_interview_is_stored_with_its_aapor_code_outbox_row_and_event() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    import(&app, LIST).unwrap();
    clock.advance(3_600_000);
    let now = FIXED_NOW_MS + 3_600_000;
    let v = app
        .record_visit(&VisitInput {
            assignment_id: "A-002".into(),
            reason: "nobody_home".into(),
            revisit_at: Some(now + 86_400_000),
            note: Some("  lights off  ".into()),
        })
        .unwrap();
    assert_eq!(
        (v.aapor_code.as_str(), v.aapor_label.as_str()),
        ("2.24", "No one at residence")
    );
    assert_eq!(v.visited_at, now);
    assert_eq!(v.note.as_deref(), Some("lights off"));

    let a = app.assignment_detail("A-002").unwrap();
    assert_eq!(a.assignment.status, "visited_no_contact");
    assert_eq!(a.assignment.last_visit_at, Some(now));
    assert_eq!(a.visits.len(), 1);
    assert_eq!(a.visits[0].revisit_at, Some(now + 86_400_000));
    assert_eq!(a.events.last().unwrap().kind, "visit");

    let conn = raw(&db.path);
    let (kind, payload, state): (String, String, String) = conn
        .query_row(
            "SELECT kind, payload, state FROM outbox WHERE id = ?1",
            [&v.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), state.as_str()), ("visit", "pending"));
    let p: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(p["assignment_id"], "A-002");
    assert_eq!(p["aapor_code"], "2.24");
    assert_eq!(p["id"], v.id.as_str());

    // Refusals, including a revisit time in the past and an unknown assignment, write nothing.
    let before = count(&db, "SELECT count(*) FROM outbox");
    let refuse = |assignment: &str, reason: &str, revisit: Option<i64>| {
        app.record_visit(&VisitInput {
            assignment_id: assignment.into(),
            reason: reason.into(),
            revisit_at: revisit,
            note: None,
        })
        .unwrap_err()
    };
    assert_eq!(
        refuse("A-002", "asleep", None).kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        refuse("A-002", "refused", Some(now - 1)).kind(),
        ErrorKind::Validation
    );
    assert_eq!(refuse("A-404", "refused", None).kind(), ErrorKind::NotFound);
    assert_eq!(count(&db, "SELECT count(*) FROM outbox"), before);
    assert_eq!(count(&db, "SELECT count(*) FROM visits"), 1);

    for (a, r) in [("A-003", "refused"), ("A-003", "address_not_found")] {
        app.record_visit(&VisitInput {
            assignment_id: a.into(),
            reason: r.into(),
            revisit_at: None,
            note: None,
        })
        .unwrap();
    }
    let report: Vec<(String, i64)> = app
        .visit_dispositions()
        .unwrap()
        .into_iter()
        .map(|d| (d.aapor_code, d.visits))
        .collect();
    assert_eq!(
        report,
        [
            ("2.24".to_owned(), 1),
            ("2.11".to_owned(), 1),
            ("3.18".to_owned(), 1),
            ("3.90".to_owned(), 0)
        ]
    );
    // A started interview outranks earlier visits in the derived status.
    app.start_assignment_interview("A-003").unwrap();
    assert_eq!(
        app.assignment_detail("A-003").unwrap().assignment.status,
        "started"
    );
}

#[test]
fn consent_and_respondent_mode_are_in_the_interview_log_and_consent_reaches_the_outbox() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    import(&app, LIST).unwrap();
    let id = app
        .start_assignment_interview("A-002")
        .unwrap()
        .interview_id;
    clock.advance(5_000);
    let c = app
        .record_consent(&id, true, "I agree to take part in this survey.")
        .unwrap();
    assert_eq!(c.recorded_at, FIXED_NOW_MS + 5_000);
    clock.advance(1_000);
    app.start_respondent_mode(&id, "2468").unwrap();
    app.record_answer(&id, "nps", "7").unwrap();
    clock.advance(1_000);
    app.end_respondent_mode(&id, "2468").unwrap();
    app.log_show_card(&id).unwrap();

    let kinds: Vec<String> = app
        .paradata(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "form_start",
            "question",
            "consent",
            "respondent_mode_start",
            "answer_set",
            "respondent_mode_end",
            "show_card"
        ]
    );
    assert_eq!(app.consents(&id).unwrap(), std::slice::from_ref(&c));
    let kind: String = raw(&db.path)
        .query_row("SELECT kind FROM outbox WHERE id = ?1", [&c.id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(kind, "consent");
    let err = app.record_consent(&id, true, "  ").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

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
fn the_cli_imports_lists_and_records_visits_on_a_fixed_clock() {
    let db = TempDb::new();
    let dbp = db.path.to_str().unwrap();
    let list = db.dir.path().join("list.csv");
    std::fs::write(&list, LIST).unwrap();
    let listp = list.to_str().unwrap();

    let (code, out, err) = canvass(&[
        "assignments",
        "import",
        "--db",
        dbp,
        "--study",
        DEMO_STUDY_ID,
        "--now",
        "2026-11-22T09:00:00Z",
        listp,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "imported 3 assignment(s) for demo_nps; preload columns: hh_head, language"
    );

    let bad = db.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,interviewer,address,target,due\n,x,y,1,\nB-2,x,y,1,tomorrow\n",
    )
    .unwrap();
    let (code, _, err) = canvass(&[
        "assignments",
        "import",
        "--db",
        dbp,
        "--study",
        DEMO_STUDY_ID,
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let badp = bad.to_str().unwrap();
    assert!(
        err.contains(&format!("{badp}: nothing imported; 2 problem(s):")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{badp}: row 2 column `id`: the id is missing")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{badp}: row 3 column `due`: `tomorrow` is not a date"
        )),
        "{err}"
    );

    let (code, out, err) = canvass(&[
        "visit",
        "record",
        "--db",
        dbp,
        "--assignment",
        "A-003",
        "--reason",
        "nobody-home",
        "--revisit",
        "2026-11-23T17:00:00Z",
        "--now",
        "2026-11-22T10:00:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("to A-003 at 2026-11-22 10:00:00Z: nobody_home (AAPOR 2.24 No one at residence); revisit 2026-11-23 17:00:00Z"), "{out}");

    let (code, out, _) = canvass(&["assignments", "list", "--db", dbp]);
    assert_eq!(code, 0);
    assert!(out.contains("A-003"), "{out}");
    assert!(
        out.trim_end()
            .ends_with("3 assignment(s); done 0, new 2, started 0, visited_no_contact 1"),
        "{out}"
    );

    let (code, out, _) = canvass(&[
        "assignments",
        "list",
        "--db",
        dbp,
        "--json",
        "--status",
        "visited_no_contact",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["matching"], 1);
    assert_eq!(v["rows"][0]["id"], "A-003");
    assert_eq!(v["rows"][0]["last_visit_at"], FIXED_NOW_MS + 3_600_000);
    assert_eq!(v["counts"]["new"], 2);

    let (code, out, _) = canvass(&[
        "assignments",
        "list",
        "--db",
        dbp,
        "--json",
        "--search",
        "КОВАЛЬ",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"][0]["id"], "A-001");

    let (code, out, _) = canvass(&["visit", "report", "--db", dbp]);
    assert_eq!(code, 0);
    assert!(
        out.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["2.24", "No", "one", "at", "residence", "nobody_home", "1"]),
        "{out}"
    );

    let (code, _, err) = canvass(&[
        "visit",
        "record",
        "--db",
        dbp,
        "--assignment",
        "A-003",
        "--reason",
        "gone fishing",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown visit reason `gone fishing`"), "{err}");
    let missing = db.dir.path().join("nope.sqlite");
    let (code, _, err) = canvass(&["assignments", "list", "--db", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("no database at"), "{err}");
}

/// The household roster form of the CAPI tests, as XLSForm bytes: a size,
/// one roster member per person (`repeat_count`), a work question asked only
/// of members aged 15 or more, and a private income section for self-completion.
pub fn household_form() -> Vec<u8> {
    let survey: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label",
            "relevant",
            "repeat_count",
            "required",
            "instructions",
        ],
        &[
            "integer",
            "hh_size",
            "How many people live in the ${case.hh_head} household?",
            "",
            "",
            "yes",
            "",
        ],
        &[
            "begin repeat",
            "member",
            "Household member",
            "",
            "${hh_size}",
            "",
            "",
        ],
        &[
            "text",
            "name",
            "First name of the member",
            "",
            "",
            "yes",
            "",
        ],
        &["integer", "age", "How old is ${name}?", "", "", "yes", ""],
        &[
            "select_one yn",
            "works",
            "Does ${name} have paid work?",
            "${age} >= 15",
            "",
            "yes",
            "",
        ],
        &["end repeat", "", "", "", "", "", ""],
        &[
            "begin group",
            "private",
            "Private questions",
            "",
            "",
            "",
            "",
        ],
        &[
            "select_one income",
            "income",
            "What is your household's monthly income?",
            "",
            "",
            "yes",
            "Hand the laptop to the respondent for this question.",
        ],
        &["end group", "", "", "", "", "", ""],
        &[
            "image",
            "door_photo",
            "Photo of the dwelling's entrance",
            "",
            "",
            "",
            "",
        ],
        &[
            "geopoint",
            "location",
            "Where is the dwelling?",
            "",
            "",
            "",
            "",
        ],
    ];
    let choices: &[&[&str]] = &[
        &["list_name", "name", "label"],
        &["yn", "1", "Yes"],
        &["yn", "2", "No"],
        &["income", "1", "Under 10,000"],
        &["income", "2", "10,000 to 20,000"],
        &["income", "3", "Over 20,000"],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "version", "form_title"],
        &["household_capi", "1", "Household survey"],
    ];
    crate::support::xlsform(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ])
}

/// The assignment list of the household tests.
pub const HOUSEHOLDS: &str = "id,interviewer,address,target,due,area,hh_head
HH-01,olena,14 Sadova St,1,2026-11-30,North,Kovalenko
HH-02,olena,15 Sadova St,1,2026-11-30,North,Shevchuk
";

#[test]
fn a_household_roster_routes_each_member_and_completes_the_assignment() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let study = app
        .install_form(&household_form(), "household.xlsx")
        .unwrap();
    assert_eq!(study.id, "household_capi");
    app.import_assignments(&study.id, HOUSEHOLDS.as_bytes(), "households.csv")
        .unwrap();
    let s = app.start_assignment_interview("HH-01").unwrap();
    let id = s.interview_id.clone();
    // The assignment's preload columns are read as ${case.NAME}, like a CATI case's.
    assert_eq!(
        s.question.as_ref().unwrap().label,
        "How many people live in the Kovalenko household?"
    );
    // ... and again after a restart, when the instance is rebuilt from the file.
    drop(app);
    let (app, _) = db.app();
    let s = app.resume_interview(&id).unwrap();
    assert_eq!(
        s.question.as_ref().unwrap().label,
        "How many people live in the Kovalenko household?"
    );
    let members = [
        ("Petro", "40"),
        ("Oksana", "38"),
        ("Dmytro", "12"),
        ("Halyna", "70"),
    ];
    // Walk screen by screen as the interviewer does, answering what is shown.
    let mut screens = Vec::new();
    let mut s = s;
    while let Some(q) = s.question.clone() {
        let member = |p: &str| -> usize {
            let i = p.find("member[").unwrap() + 7;
            p[i..p[i..].find(']').unwrap() + i]
                .parse::<usize>()
                .unwrap()
                - 1
        };
        let value = match q.name.as_str() {
            "hh_size" => "4".to_owned(),
            "name" => members[member(&q.path)].0.to_owned(),
            "age" => members[member(&q.path)].1.to_owned(),
            "works" => "1".to_owned(),
            "income" => "2".to_owned(),
            // The photo and GPS questions are left for the attachment tests; they are not required.
            "door_photo" | "location" => String::new(),
            other => panic!("unexpected question {other}"),
        };
        if !value.is_empty() {
            app.record_answer(&id, &q.path, &value).unwrap();
        }
        screens.push(q.path);
        s = app.next_item(&id).unwrap();
    }
    assert_eq!(s.status, "completed");
    assert_eq!(screens.len(), 1 + 4 * 2 + 3 + 1 + 2);
    let works: Vec<&str> = screens
        .iter()
        .filter(|p| p.ends_with("/works"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        works,
        [
            "/data/member[1]/works",
            "/data/member[2]/works",
            "/data/member[4]/works"
        ]
    );
    let a = app.assignment_detail("HH-01").unwrap().assignment;
    assert_eq!(a.status, "done");
    let answers = app.interview_detail(&id).unwrap().answers;
    assert_eq!(
        answers.get("/data/member[3]/age").map(String::as_str),
        Some("12")
    );
    assert!(!answers.contains_key("/data/member[3]/works"));
    assert_eq!(
        answers.get("/data/private/income").map(String::as_str),
        Some("2")
    );
}

#[test]
fn the_schema_recounts_an_assignment_whatever_changes_its_interviews() {
    let db = TempDb::new();
    let (app, _) = db.app();
    import(&app, LIST).unwrap();
    let id = app
        .start_assignment_interview("A-002")
        .unwrap()
        .interview_id;
    complete_demo(&app, &id);
    assert_eq!(
        app.assignment_detail("A-002").unwrap().assignment.status,
        "done"
    );
    drop(app);
    // A change made outside the use cases (a repair, a restore) is counted too.
    let conn = raw(&db.path);
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    conn.execute(
        "UPDATE interviews SET status = 'in_progress' WHERE id = ?1",
        [&id],
    )
    .unwrap();
    let status = |conn: &rusqlite::Connection| -> (String, i64, i64) {
        conn.query_row(
            "SELECT status, interviews, completed FROM assignments WHERE id = 'A-002'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    assert_eq!(status(&conn), ("started".into(), 1, 0));
    conn.execute("DELETE FROM interviews WHERE id = ?1", [&id])
        .unwrap();
    assert_eq!(status(&conn), ("new".into(), 0, 0));
}

#[test]
fn respondent_mode_survives_a_restart_and_only_the_right_pin_ends_it() {
    let db = TempDb::new();
    let (app, _clock) = db.app();
    import(&app, LIST).unwrap();
    let id = app
        .start_assignment_interview("A-002")
        .unwrap()
        .interview_id;
    let short = app.start_respondent_mode(&id, "12").unwrap_err();
    assert_eq!(short.kind(), ErrorKind::Validation);
    assert_eq!(app.respondent_locked_interview().unwrap(), None);
    app.start_respondent_mode(&id, "2468").unwrap();
    // Only a salted hash is stored, never the PIN itself.
    let (salt, hash): (String, String) = raw(&db.path)
        .query_row(
            "SELECT salt, pin_hash FROM respondent_locks WHERE interview_id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(!salt.is_empty() && hash.len() == 64 && !hash.contains("2468"));
    drop(app);

    // The app restarts (a crash, a closed lid): the interview is still locked.
    let (app, _clock) = db.app();
    assert_eq!(app.respondent_locked_interview().unwrap(), Some(id.clone()));
    let wrong = app.end_respondent_mode(&id, "1357").unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Validation);
    assert_eq!(app.respondent_locked_interview().unwrap(), Some(id.clone()));
    app.end_respondent_mode(&id, "2468").unwrap();
    assert_eq!(app.respondent_locked_interview().unwrap(), None);

    // The respondent finishes the interview while locked: the lock stays until the right PIN lifts it.
    app.start_respondent_mode(&id, "2468").unwrap();
    complete_demo(&app, &id);
    assert_eq!(app.respondent_locked_interview().unwrap(), Some(id.clone()));
    assert_eq!(
        app.end_respondent_mode(&id, "0000").unwrap_err().kind(),
        ErrorKind::Validation
    );
    app.end_respondent_mode(&id, "2468").unwrap();
    assert_eq!(app.respondent_locked_interview().unwrap(), None);
    let kinds: Vec<String> = app
        .paradata(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("respondent_mode"))
        .collect();
    assert_eq!(
        kinds,
        [
            "respondent_mode_start",
            "respondent_mode_end",
            "respondent_mode_start"
        ]
    );
}

/// Posts `body` to `uri` on the real server's router as `user` (logged in first); returns the status.
async fn post_as(
    server: &crate::sync_harness::TestServer,
    user: &str,
    uri: &str,
    body: serde_json::Value,
) -> axum::http::StatusCode {
    use axum::http::{header, Request};
    use tower::ServiceExt;
    let req = |uri: &str, auth: Option<&str>, body: &serde_json::Value| {
        let mut r = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = auth {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        r.body(axum::body::Body::from(body.to_string())).unwrap()
    };
    let login = serde_json::json!({"user": user, "password": crate::sync_harness::password(user), "device_id": user});
    let resp = canvass_server::app(server.state.clone())
        .oneshot(req("/v1/login", None, &login))
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    let token = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    canvass_server::app(server.state.clone())
        .oneshot(req(uri, Some(&token), &body))
        .await
        .unwrap()
        .status()
}

async fn assignments_from_the_server_reach_the_dashboard(
    b: crate::sync_harness::Backend,
    name: &str,
) {
    use crate::sync_harness::{Device, TestServer};
    let server = TestServer::start(b, name).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    server.add_user("sam", "supervisor", Some("north")).await;
    let publish = |id: &str, body: serde_json::Value| serde_json::json!({"assignment": {"id": id, "questionnaire_id": DEMO_STUDY_ID, "assignee": "ines", "body": body}});
    let good = publish(
        "H-1",
        serde_json::json!({"address": "5 Sadova St", "area": "North", "target": 2, "due": "2026-12-01",
                           "preload": {"hh_head": "Oksana Melnyk", "members": "4"}}),
    );
    let bad_target = publish(
        "H-BAD",
        serde_json::json!({"address": "9 Lisova St", "target": 0}),
    );
    let no_address = publish("H-2", serde_json::json!({"area": "North"}));
    for body in [good, bad_target, no_address] {
        assert_eq!(
            post_as(&server, "sam", "/v1/assignments", body).await,
            axum::http::StatusCode::OK
        );
    }

    let dev = Device::new();
    dev.login(&server.url, "ines").await;
    let s = dev.sync().await;
    assert_eq!(s.changes, 3, "{s:?}");
    let dash = dev
        .app
        .assignment_dashboard(&AssignmentFilter::default())
        .unwrap();
    let ids: Vec<&str> = dash.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["H-1"], "the two bad rows never block the good one");
    let h1 = &dash.rows[0];
    assert_eq!(
        (
            h1.address.as_str(),
            h1.area.as_str(),
            h1.target,
            h1.due.as_deref()
        ),
        ("5 Sadova St", "North", 2, Some("2026-12-01"))
    );
    let preload: Vec<(&str, &str)> = h1
        .preload
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(preload, [("hh_head", "Oksana Melnyk"), ("members", "4")]);
    // Search reaches preloaded values of a received assignment as of an imported one.
    let found = ids_matching(&dev.app, "melnyk");
    assert_eq!(found, ["H-1"]);
    // Each bad row says why, in its receipt.
    let problems = dev.app.received_assignment_problems().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].0 == "H-2" && problems[0].1.contains("address"));
    assert!(problems[1].0 == "H-BAD" && problems[1].1.contains("target"));

    // Local progress, then the supervisor corrects the address: the progress stays.
    let interview = dev.app.start_assignment_interview("H-1").unwrap();
    let fixed = publish(
        "H-1",
        serde_json::json!({"address": "5A Sadova St", "area": "North", "target": 2, "preload": {"hh_head": "Oksana Melnyk"}}),
    );
    assert_eq!(
        post_as(&server, "sam", "/v1/assignments", fixed).await,
        axum::http::StatusCode::OK
    );
    assert_eq!(dev.sync().await.changes, 1);
    let d = dev.app.assignment_detail("H-1").unwrap();
    assert_eq!(d.assignment.address, "5A Sadova St");
    assert_eq!(d.assignment.status, "started");
    assert_eq!(d.assignment.interviews, 1);
    assert_eq!(d.interviews[0].id, interview.interview_id);
    let kinds: Vec<&str> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["received", "interview_start", "updated_by_server"]);
}
crate::both_backends!(
    received_assignments,
    assignments_from_the_server_reach_the_dashboard
);

fn ids_matching(app: &App, search: &str) -> Vec<String> {
    ids(
        app,
        AssignmentFilter {
            search: Some(search.into()),
            ..Default::default()
        },
    )
}
