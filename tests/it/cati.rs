//! CATI through the real store and the `canvass` CLI: case-list import, next case, call outcomes, appointments, quotas, reports and exports.

use std::collections::BTreeMap;

use canvass_app::cati::{AppointmentRequest, RecordCall};

use crate::support::{raw, TempDb};

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

fn count(db: &TempDb, sql: &str) -> i64 {
    raw(&db.path).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn write(db: &TempDb, name: &str, text: &str) -> String {
    let p = db.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// Three respondents: Kyiv (UTC+2 in November), Honolulu (UTC-10) and Berlin (UTC+1).
const CASES: &str = "id,phone,phone2,name,timezone,priority,company\n\
    k1,+380 44 000 0001,,Olena,Europe/Kyiv,50,Acme\n\
    h1,+1 808 555 0101,+1 808 555 0102,Kai,Pacific/Honolulu,90,Aloha\n\
    b1,+49 30 1234567,,Jonas,Europe/Berlin,70,Bau\n";

#[test]
fn a_bad_case_list_imports_nothing_and_names_each_row_and_column() {
    let db = TempDb::new();
    let dbp = db.path.to_str().unwrap();
    let bad = write(
        &db,
        "bad.csv",
        "id,phone,name,timezone\n1,+380441234567,A,Europe/Kyiv\n2,call me,B,Europe/Kyiv\n1,+380441234568,C,Europe/Kyiv\n,+380441234569,D,Europe/Kyiv\n5,+380441234560,E,Europe/Kiev2\n",
    );
    let (code, _, err) = canvass(&["cases", "import", "--db", dbp, "--study", "s", &bad]);
    assert_eq!(code, 1, "{err}");
    for needle in [
        "row 3 column `phone`",
        "row 4 column `id`: the case id `1` already appears in row 2",
        "row 5 column `id`: the case id is missing",
        "row 6 column `timezone`: `Europe/Kiev2` is not an IANA time zone",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM cati_cases"), 0);

    let good = write(&db, "good.csv", CASES);
    let (code, out, err) = canvass(&["cases", "import", "--db", dbp, "--study", "s", &good]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 3 cases into study s (preload: company)"),
        "{out}"
    );
    // The same list again: the ids exist, and nothing is imported twice.
    let (code, _, err) = canvass(&["cases", "import", "--db", dbp, "--study", "s", &good]);
    assert_eq!(code, 1);
    assert!(err.contains("already has a case with id k1"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM cati_cases"), 3);
}

#[test]
fn an_xlsx_case_list_imports_like_a_csv() {
    let db = TempDb::new();
    let path = db.dir.path().join("cases.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in ["id", "phone", "name", "region"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // Numbers typed into Excel cells come back without a trailing `.0`.
    sheet.write_number(1, 0, 101.0).unwrap();
    sheet.write_number(1, 1, 380441234567.0).unwrap();
    sheet.write_string(1, 2, "Olena").unwrap();
    sheet.write_string(1, 3, "north").unwrap();
    wb.save(&path).unwrap();
    let (code, out, err) = canvass(&[
        "cases",
        "import",
        "--db",
        db.path.to_str().unwrap(),
        "--study",
        "s",
        "--timezone",
        "Europe/Kyiv",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 1 cases"), "{out}");
    let (phones, preload): (String, String) = raw(&db.path)
        .query_row(
            "SELECT phones, preload FROM cati_cases WHERE id = '101'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(phones, r#"["380441234567"]"#);
    assert_eq!(preload, r#"{"region":"north"}"#);
}

#[test]
fn the_cli_chooses_by_local_window_and_priority_and_records_outcomes() {
    let db = TempDb::new();
    let dbp = db.path.to_str().unwrap();
    let list = write(&db, "cases.csv", CASES);
    assert_eq!(
        canvass(&["cases", "import", "--db", dbp, "--study", "s", &list]).0,
        0
    );
    let next = |now: &str, who: &str| {
        let (code, out, err) = canvass(&[
            "cati",
            "next",
            "--db",
            dbp,
            "--interviewer",
            who,
            "--now",
            now,
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    // 08:00 UTC on Monday 2026-11-23: 10:00 in Kyiv, 09:00 in Berlin, 22:00 in Honolulu.
    // Honolulu has the highest priority but is outside its window; Berlin (70) beats Kyiv (50).
    let v = next("2026-11-23T08:00:00Z", "ann");
    assert_eq!(v["decision"]["case_id"], "b1", "{v}");
    assert_eq!(v["case"]["local_time"], "2026-11-23 09:00 CET", "{v}");
    assert_eq!(v["case"]["preload"]["company"], "Bau");

    let record = |args: &[&str]| {
        let mut all = vec!["cati", "record", "--db", dbp];
        all.extend_from_slice(args);
        let (code, out, err) = canvass(&all);
        (code, out, err)
    };
    let (code, out, err) = record(&[
        "--case",
        "b1",
        "--outcome",
        "3.13",
        "--interviewer",
        "ann",
        "--now",
        "2026-11-23T08:01:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    let rec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (rec["outcome"].as_str(), rec["aapor"].as_str()),
        (Some("no_answer"), Some("3.13"))
    );
    // Berlin waits three hours now; Kyiv is next.
    assert_eq!(
        next("2026-11-23T08:02:00Z", "ann")["decision"]["case_id"],
        "k1"
    );
    // A soft refusal needs a note.
    let (code, _, err) = record(&[
        "--case",
        "k1",
        "--outcome",
        "refusal_soft",
        "--now",
        "2026-11-23T08:03:00Z",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("needs a note"), "{err}");
    // Kyiv books a hard appointment for Bob at 18:00 UTC (20:00 local).
    let (code, _, err) = record(&[
        "--case",
        "k1",
        "--outcome",
        "appointment",
        "--interviewer",
        "bob",
        "--appointment",
        "2026-11-23T18:00:00Z",
        "--hard",
        "--now",
        "2026-11-23T08:04:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    // Nothing is callable for Ann at 08:05: Berlin waits, Kyiv has an appointment, Honolulu sleeps.
    let v = next("2026-11-23T08:05:00Z", "ann");
    assert_eq!(v["decision"]["decision"], "none_callable", "{v}");
    let reasons = &v["decision"]["reasons"];
    assert_eq!(
        (
            reasons["delay"].as_i64(),
            reasons["appointment_pending"].as_i64(),
            reasons["outside_window"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{v}"
    );
    // At 18:00 UTC Honolulu is at 08:00 (closed). Bob gets his appointment; Ann gets Berlin (19:00 local).
    let v = next("2026-11-23T18:00:00Z", "bob");
    assert_eq!(
        (
            v["decision"]["case_id"].as_str(),
            v["decision"]["appointment_id"].is_string()
        ),
        (Some("k1"), true),
        "{v}"
    );
    assert_eq!(
        next("2026-11-23T18:00:00Z", "ann")["decision"]["case_id"],
        "b1"
    );
    // At 19:00 UTC it is 09:00 in Honolulu: the priority-90 case comes first for Ann.
    assert_eq!(
        next("2026-11-23T19:00:00Z", "ann")["decision"]["case_id"],
        "h1"
    );

    // Each attempt and the appointment went through the outbox with their call-log events.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM outbox WHERE kind = 'call_attempt'"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM outbox WHERE kind = 'appointment'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM cati_events WHERE kind IN ('call_start', 'call_end')"
        ),
        4
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM cati_events WHERE kind = 'appointment'"
        ),
        1
    );
    // The server accepts the rows as they are queued.
    let rows: Vec<(String, String, String, String)> = raw(&db.path)
        .prepare("SELECT id, kind, payload, payload_hash FROM outbox")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, kind, payload, payload_hash) in rows {
        let item = canvass_protocol::Item {
            id,
            kind,
            payload: serde_json::value::RawValue::from_string(payload).unwrap(),
            payload_hash,
        };
        canvass_server::ingest::check_item(&item).expect("the server accepts the outbox row");
    }
}

#[test]
fn the_report_matches_hand_computed_rates_and_exports_list_every_attempt() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let list = "id,phone,name\nc1,0441000001,A\nc2,0441000002,B\nc3,0441000003,C\nc4,0441000004,D\nc5,0441000005,E\n";
    app.import_cases("s", list.as_bytes(), "cases.csv", Some("UTC"))
        .unwrap();
    let call = |case: &str, outcome: &str, who: &str, minutes: i64| {
        let started = canvass_app::Clock::now_ms(clock.as_ref());
        clock.advance(minutes * 60_000);
        app.cati_record(&RecordCall {
            study_id: Some("s".into()),
            case_id: case.into(),
            outcome: outcome.into(),
            interviewer: who.into(),
            started_at: Some(started),
            phone_index: None,
            note: "n".into(),
            appointment: None,
            interview_id: None,
        })
        .unwrap()
    };
    // c1 complete (I), c2 hard refusal (R), c3 no answer (UH), c4 disconnected on its only number (NE),
    // c5 never called (UH, 3.11). Ann: 10 + 2 minutes; Bob: 1 + 1 minutes.
    call("c1", "complete", "ann", 10);
    call("c2", "refusal_hard", "ann", 2);
    call("c3", "no_answer", "bob", 1);
    let r = call("c4", "disconnected", "bob", 1);
    assert_eq!(
        (r.case_status.as_str(), r.disposition.as_deref()),
        ("final", Some("disconnected"))
    );

    let report = &app.cati_report(Some("s"), Some(0.5)).unwrap()[0];
    let c = report.overall.counts;
    assert_eq!(
        (c.i, c.p, c.r, c.nc, c.o, c.uh, c.uo, c.ne),
        (1, 0, 1, 0, 0, 2, 0, 1)
    );
    let r = report.overall.rates;
    // D = 1 + 1 + 2 = 4; De = 2 + 0.5 * 2 = 3; D0 = 2.
    assert_eq!(r.rr1, Some(0.25));
    assert_eq!(r.rr3, Some(1.0 / 3.0));
    assert_eq!(r.rr5, Some(0.5));
    assert_eq!(r.coop1, Some(0.5));
    assert_eq!(r.ref1, Some(0.25));
    assert_eq!(r.con1, Some(0.5));
    assert_eq!(report.overall.attempts_per_complete, Some(4.0));
    assert_eq!(report.overall.minutes_per_case, Some(14.0 / 4.0));
    let ann = &report.by_interviewer["ann"];
    assert_eq!(
        (ann.counts.i, ann.counts.r, ann.rates.coop1),
        (1, 1, Some(0.5))
    );
    let bob = &report.by_interviewer["bob"];
    assert_eq!(
        (
            bob.counts.uh,
            bob.counts.ne,
            bob.rates.rr1,
            bob.attempts_per_complete
        ),
        (1, 1, Some(0.0), None)
    );
    assert_eq!(report.dispositions.get("3.11"), Some(&1));
    drop(app);

    // The CLI prints the same figures, with n/a for Bob's attempts per complete.
    let dbp = db.path.to_str().unwrap();
    let (code, out, err) = canvass(&["cati", "report", "--db", dbp, "--e", "0.5"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("study s"), "{out}");
    let all = out.lines().find(|l| l.starts_with("all")).unwrap();
    assert!(
        all.contains("25.0%")
            && all.contains("33.3%")
            && all.contains("4.00")
            && all.contains("3.50"),
        "{all}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("bob") && l.contains("n/a")),
        "{out}"
    );

    let dir = db.dir.path().join("out");
    let (code, out, err) = canvass(&[
        "export",
        "calls",
        "--db",
        dbp,
        "--format",
        "csv",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("exported 4 calls"), "{out}");
    let text = std::fs::read_to_string(dir.join("calls.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "study_id,case_id,attempt_id,number,phone,interviewer,start,end,outcome,aapor_code,appointment,note,interview_id");
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1].starts_with("s,c1,")
            && lines[1].contains(
                ",1,0441000001,ann,2026-11-22T09:00:00Z,2026-11-22T09:10:00Z,complete,1.1,"
            ),
        "{}",
        lines[1]
    );
    let (code, _, err) = canvass(&[
        "export",
        "calls",
        "--db",
        dbp,
        "--format",
        "xlsx",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // Narrowed to a case (an id may name a case or an interview), and refusals by name.
    let narrow = db.dir.path().join("narrow");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "export",
            "calls",
            "--db",
            dbp,
            "--format",
            "csv",
            "--out",
            narrow.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a
    };
    let (code, out, err) = canvass(&args(&["--study", "s", "--id", "c1"]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(narrow.join("calls.csv")).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(!rows.is_empty(), "{out}");
    assert!(rows.iter().all(|l| l.starts_with("s,c1,")), "{text}");
    assert!(rows.len() < 4, "only c1's calls: {text}");
    assert!(
        out.contains(&format!("exported {} calls", rows.len())),
        "{out}"
    );
    let (code, _, err) = canvass(&args(&["--id", "nobody"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("no call attempt belongs to a case or interview with id nobody"),
        "{err}"
    );
    let (code, _, err) = canvass(&args(&["--study", "nope"]));
    assert_eq!(code, 1);
    assert!(err.contains("no study with id nope"), "{err}");

    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(dir.join("calls.xlsx")).unwrap();
    let range = wb.worksheet_range("calls").unwrap();
    assert_eq!(range.height(), 5);
    assert_eq!(
        range.get((4, 8)).map(|d| d.to_string()),
        Some("disconnected".into())
    );
}

#[test]
fn completes_count_in_quota_cells_and_a_full_cell_holds_back_its_cases() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let list = "id,phone,name,region\nn1,0441000001,A,north\nn2,0441000002,B,north\ns1,0441000003,C,south\n";
    app.import_cases("s", list.as_bytes(), "cases.csv", Some("UTC"))
        .unwrap();
    app.set_quota("s", "north", "${case.region} = 'north'", 1)
        .unwrap();
    assert!(app.set_quota("s", "bad", "${case.region} =", 1).is_err());
    let first = app.cati_next("ann").unwrap();
    assert_eq!(first.case.as_ref().map(|c| c.case_id.as_str()), Some("n1"));
    app.cati_record(&RecordCall {
        study_id: None,
        case_id: "n1".into(),
        outcome: "1.1".into(),
        interviewer: "ann".into(),
        started_at: None,
        phone_index: None,
        note: String::new(),
        appointment: None,
        interview_id: None,
    })
    .unwrap();
    assert_eq!(app.quotas("s").unwrap()[0].local_count, 1);
    clock.advance(60_000);
    // The north cell is full: n2 is held back and s1 is offered.
    let next = app.cati_next("ann").unwrap();
    assert_eq!(next.case.as_ref().map(|c| c.case_id.as_str()), Some("s1"));
    // A screener answer can put a south case in the full cell too.
    app.set_quota("s", "adults", "${age} >= 18", 0).unwrap();
    let answers = BTreeMap::from([("age".to_owned(), "40".to_owned())]);
    assert_eq!(
        app.cati_quota_check("s", "s1", &answers)
            .unwrap()
            .as_deref(),
        Some("adults")
    );
    let r = app
        .cati_record(&RecordCall {
            study_id: None,
            case_id: "s1".into(),
            outcome: "quota_full".into(),
            interviewer: "ann".into(),
            started_at: None,
            phone_index: None,
            note: String::new(),
            appointment: None,
            interview_id: None,
        })
        .unwrap();
    assert_eq!(
        (r.aapor.as_str(), r.case_status.as_str()),
        ("4.80", "final")
    );
}

#[test]
fn leased_cases_stay_with_their_device_and_appointments_reject_the_past() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    app.import_cases(
        "s",
        "id,phone\na,0441000001\n".as_bytes(),
        "c.csv",
        Some("UTC"),
    )
    .unwrap();
    app.lease_case("s", "a", Some("other-laptop"), None)
        .unwrap();
    let next = app.cati_next("ann").unwrap();
    assert!(next.case.is_none());
    assert!(serde_json::to_string(&next.decision)
        .unwrap()
        .contains("leased_elsewhere"));
    app.lease_case("s", "a", None, None).unwrap();
    assert!(app.cati_next("ann").unwrap().case.is_some());
    let now = canvass_app::Clock::now_ms(clock.as_ref());
    let err = app
        .cati_record(&RecordCall {
            study_id: Some("s".into()),
            case_id: "a".into(),
            outcome: "appointment".into(),
            interviewer: "ann".into(),
            started_at: None,
            phone_index: None,
            note: String::new(),
            appointment: Some(AppointmentRequest {
                starts_at: now - 1,
                ends_at: None,
                hard: false,
            }),
            interview_id: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("future"), "{err}");
    // Nothing of the refused call was written.
    assert_eq!(count(&db, "SELECT count(*) FROM cati_attempts"), 0);
}

/// A small telephone questionnaire reading the case's `company` and `region`.
fn preload_form() -> Vec<u8> {
    let sheets: [(&str, &[&[&str]]); 2] = [
        (
            "survey",
            &[
                &["type", "name", "label", "relevant"],
                &[
                    "integer",
                    "staff",
                    "How many people work at ${case.company}?",
                    "",
                ],
                &[
                    "text",
                    "north_only",
                    "Which northern office?",
                    "${case.region} = 'north'",
                ],
                &[
                    "text",
                    "comment",
                    "Anything else about ${case.company}?",
                    "",
                ],
            ],
        ),
        ("settings", &[&["form_id", "version"], &["pre", "1"]]),
    ];
    crate::support::xlsform(&sheets)
}

#[test]
fn an_interview_for_a_case_reads_its_preload_and_keeps_it_after_a_restart() {
    let db = TempDb::new();
    let id = {
        let (app, _) = db.app();
        app.install_form(&preload_form(), "pre.xlsx").unwrap();
        app.import_cases(
            "pre",
            "id,phone,company,region\nq1,0441000001,Acme,south\n".as_bytes(),
            "c.csv",
            Some("UTC"),
        )
        .unwrap();
        let screen = app.start_case_interview("pre", "q1").unwrap();
        assert_eq!(
            screen.question.as_ref().unwrap().label,
            "How many people work at Acme?"
        );
        app.record_answer(&screen.interview_id, "staff", "12")
            .unwrap();
        // The northern question is not relevant for a southern case: next is the comment.
        let next = app.next_item(&screen.interview_id).unwrap();
        assert_eq!(
            next.question.as_ref().unwrap().label,
            "Anything else about Acme?"
        );
        screen.interview_id
    };
    // A new process rebuilds the interview from the file, preload included.
    let (app, _) = db.app();
    let screen = app.resume_interview(&id).unwrap();
    assert_eq!(
        screen.question.as_ref().unwrap().label,
        "Anything else about Acme?"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM cati_interviews WHERE case_id = 'q1'"
        ),
        1
    );
    // Preload values are not answers.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE item_path LIKE '%case%'"
        ),
        0
    );
}

#[test]
fn a_callback_resumes_the_partial_interview_where_it_stopped() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    let form = std::fs::read(crate::support::repo_root().join("tests/data/forms/household_v1.xml"))
        .unwrap();
    app.install_form(&form, "household_v1.xml").unwrap();
    app.import_cases(
        "household",
        "id,phone,name\nh1,0441000001,Olena\nh2,0441000002,Petro\n".as_bytes(),
        "c.csv",
        Some("UTC"),
    )
    .unwrap();
    let first = app.cati_next("ann").unwrap();
    let case_id = first.case.as_ref().unwrap().case_id.clone();
    assert_eq!(first.case.as_ref().unwrap().partial_interview, None);
    let started = app.start_case_interview("household", &case_id).unwrap();
    let id = started.interview_id.clone();
    app.record_answer(&id, "/data/pets", "2").unwrap();
    app.set_language(&id, "Ukrainian (uk)").unwrap();
    app.record_answer(&id, "/data/member[1]/name", "Ann")
        .unwrap();
    app.record_answer(&id, "/data/member[1]/age", "40").unwrap();
    app.add_repeat(&id, "/data/member").unwrap();
    app.record_answer(&id, "/data/member[2]/name", "Bob")
        .unwrap();
    let stopped = app.next_item(&id).unwrap();
    let stopped_at = stopped.question.as_ref().unwrap().path.clone();
    assert_eq!(stopped_at, "/data/member[2]/age");
    // The respondent must stop: a break-off, then a partial with an appointment in two hours.
    app.break_off_interview(&id, "respondent busy").unwrap();
    let now = canvass_app::Clock::now_ms(clock.as_ref());
    let rec = app
        .cati_record(&RecordCall {
            study_id: Some("household".into()),
            case_id: case_id.clone(),
            outcome: "partial".into(),
            interviewer: "ann".into(),
            started_at: None,
            phone_index: None,
            note: String::new(),
            appointment: Some(AppointmentRequest {
                starts_at: now + 2 * 3_600_000,
                ends_at: None,
                hard: false,
            }),
            interview_id: Some(id.clone()),
        })
        .unwrap();
    assert_eq!(rec.case_status, "open");
    assert!(rec.appointment_id.is_some());

    // Before the appointment the other case is offered; the partial's case is held back.
    let other = app.cati_next("ann").unwrap();
    assert_ne!(other.case.as_ref().unwrap().case_id, case_id);

    // A new process at the appointment's time: the case comes back with its partial,
    // and the hand-over reopens that interview, not a new one.
    drop(app);
    let (app, clock) = db.app();
    clock.set_wall(now + 2 * 3_600_000 + 60_000);
    let due = app.cati_next("bob").unwrap();
    let card = due.case.as_ref().unwrap();
    assert_eq!(card.case_id, case_id);
    assert_eq!(card.partial_interview.as_deref(), Some(id.as_str()));
    assert!(serde_json::to_string(&due.decision)
        .unwrap()
        .contains(rec.appointment_id.as_deref().unwrap()));
    let resumed = app.start_case_interview("household", &case_id).unwrap();
    assert_eq!(
        resumed.interview_id, id,
        "the same interview, not a new one"
    );
    assert_eq!(resumed.question.as_ref().unwrap().path, stopped_at);
    assert_eq!(resumed.language.as_deref(), Some("Ukrainian (uk)"));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM cati_interviews WHERE case_id = 'h1' OR case_id = 'h2'"
        ),
        1
    );
    // Finishing it: the answers from before the break-off are all there.
    app.record_answer(&id, &stopped_at, "38").unwrap();
    app.complete_interview(&id).unwrap();
    let detail = app.interview_detail(&id).unwrap();
    assert_eq!(detail.answers["/data/member[1]/name"], "Ann");
    assert_eq!(detail.answers["/data/member[2]/age"], "38");
    // Once completed, a later hand-over on the case would start afresh (no partial left).
    assert_eq!(
        app.case_card(Some("household"), &case_id)
            .unwrap()
            .partial_interview,
        None
    );
}
