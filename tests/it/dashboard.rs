//! Dashboards against hand-computed figures: completes, response rates and median length per interviewer and day, NPS, CSAT and CES by segment and wave.
//!
//! The study is an XLSForm built here with a `canvass::metric` column. Six
//! completed interviews (and one unfinished, which must not count) over two
//! days and two waves; `effort` is hidden when `rec` is 5, so interview 6's
//! stored effort answer must not reach the CES mean. Every expected figure
//! is worked out by hand in the comments.

use canvass_app::cati::RecordCall;
use canvass_app::dashboard::report_csv;

use crate::support::{raw, repo_root, TempDb};

const STUDY: &str = "cx_dash";

fn workbook() -> Vec<u8> {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "relevant", "canvass::metric"],
        &["integer", "rec", "Recommend?", "", "nps"],
        &["select_one five", "sat", "Satisfied?", "", "csat"],
        &["integer", "effort", "Effort?", "${rec} != 5", "ces"],
        &["select_one region", "region", "Region", "", "segment"],
        &["select_one wave", "wv", "Wave", "", "wave"],
        // A decoy: the name fallback must not win over the column.
        &["integer", "nps", "Other", "", ""],
    ];
    let choices: &[&[&str]] = &[
        &["list_name", "name", "label"],
        &["five", "1", "Very dissatisfied"],
        &["five", "2", "Dissatisfied"],
        &["five", "3", "Neutral"],
        &["five", "4", "Satisfied"],
        &["five", "5", "Very satisfied"],
        &["region", "north", "North"],
        &["region", "south", "South"],
        &["wave", "1", "Spring"],
        &["wave", "2", "Autumn"],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "version", "form_title"],
        &[STUDY, "1", "CX dash"],
    ];
    crate::support::xlsform(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ])
}

fn close(actual: Option<f64>, expected: f64, what: &str) {
    let a = actual.unwrap_or_else(|| panic!("{what}: no figure"));
    assert!((a - expected).abs() < 1e-9, "{what}: {a} != {expected}");
}

#[test]
fn figures_match_hand_computed_values() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    app.install_form(&workbook(), "cx_dash.xlsx").unwrap();
    let list =
        "id,phone,name\nc1,0441000001,A\nc2,0441000002,B\nc3,0441000003,C\nc4,0441000004,D\n";
    app.import_cases(STUDY, list.as_bytes(), "cases.csv", Some("UTC"))
        .unwrap();
    let conn = raw(&db.path);
    // (case, interviewer, rec, sat, effort, region, wave, minutes)
    type Plan<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        i64,
    );
    let day1: [Plan; 3] = [
        (Some("c1"), Some("alice"), "10", "5", "2", "north", "1", 4),
        (None, Some("alice"), "9", "4", "3", "south", "1", 6),
        (Some("c3"), Some("bob"), "6", "2", "5", "north", "1", 10),
    ];
    let day2: [Plan; 3] = [
        (None, Some("bob"), "8", "3", "4", "north", "2", 8),
        // No interviewer and nobody signed in: the dashboard's unknown interviewer "".
        (None, None, "0", "1", "6", "south", "2", 2),
        (None, Some("alice"), "4", "5", "7", "south", "2", 12),
    ];
    let mut run = |plan: &Plan| -> String {
        let (case, who, rec, sat, effort, region, wave, minutes) = *plan;
        let id = match case {
            Some(c) => app.start_case_interview(STUDY, c).unwrap().interview_id,
            None => app.start_interview(STUDY).unwrap().interview_id,
        };
        for (q, v) in [
            ("rec", rec),
            ("sat", sat),
            ("effort", effort),
            ("region", region),
            ("wv", wave),
        ] {
            app.record_answer(&id, &format!("/data/{q}"), v).unwrap();
        }
        if rec == "4" {
            // Interview 6: effort 7 is stored, then rec 5 hides it.
            app.record_answer(&id, "/data/rec", "5").unwrap();
        }
        clock.advance(minutes * 60_000);
        app.complete_interview(&id).unwrap();
        if let Some(w) = who {
            // As a supervisor's device holds its team's interviews (migration 0008).
            conn.execute(
                "UPDATE interviews SET interviewer = ?1 WHERE id = ?2",
                [w, &id],
            )
            .unwrap();
        }
        id
    };
    let call = |case: &str, outcome: &str, who: &str, interview: Option<String>| {
        app.cati_record(&RecordCall {
            study_id: Some(STUDY.into()),
            case_id: case.into(),
            outcome: outcome.into(),
            interviewer: who.into(),
            started_at: None,
            phone_index: None,
            note: "n".into(),
            appointment: None,
            interview_id: interview,
        })
        .unwrap();
    };
    let ids1: Vec<String> = day1.iter().map(&mut run).collect();
    call("c1", "complete", "alice", Some(ids1[0].clone()));
    call("c2", "refusal_hard", "alice", None);
    call("c3", "complete", "bob", Some(ids1[2].clone()));
    clock.advance(24 * 3_600_000);
    let _ids2: Vec<String> = day2.iter().map(&mut run).collect();
    call("c4", "no_answer", "bob", None);
    // An unfinished interview never counts.
    let open = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&open, "/data/rec", "10").unwrap();

    let r = app.cx_report(STUDY, None).unwrap();
    assert_eq!(r.completes, 6);
    assert_eq!(r.questions["nps"], "rec", "the column wins over the name");
    // Lengths 4, 6, 10, 8, 2, 12 minutes: median (6 + 8) / 2.
    close(r.median_minutes, 7.0, "median length");

    // NPS 10, 9, 6, 8, 0, 5: 2 promoters, 1 passive, 3 detractors: (2 - 3) / 6.
    let o = &r.overall;
    assert_eq!(
        (o.nps.promoters, o.nps.passives, o.nps.detractors),
        (2, 1, 3)
    );
    assert_eq!(o.nps.distribution, [1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1]);
    close(o.nps.score, -100.0 / 6.0, "NPS");
    // CSAT 5, 4, 2, 3, 1, 5: three of six in the top two boxes.
    close(o.csat.score, 50.0, "CSAT");
    assert_eq!(o.csat.distribution, [1, 1, 1, 1, 2]);
    // CES 2, 3, 5, 4, 6 (interview 6's 7 is hidden): 20 / 5.
    assert_eq!(o.ces.responses, 5);
    close(o.ces.mean, 4.0, "CES");

    // North: 10, 6, 8 → (1 - 1) / 3; CSAT 5, 2, 3 → 1/3; CES 2, 5, 4.
    // South: 9, 0, 5 → (1 - 2) / 3; CSAT 4, 1, 5 → 2/3; CES 3, 6.
    let seg: Vec<&str> = r.by_segment.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(seg, ["North", "South"]);
    close(r.by_segment[0].scores.nps.score, 0.0, "north NPS");
    close(r.by_segment[0].scores.csat.score, 100.0 / 3.0, "north CSAT");
    close(r.by_segment[0].scores.ces.mean, 11.0 / 3.0, "north CES");
    close(r.by_segment[1].scores.nps.score, -100.0 / 3.0, "south NPS");
    close(r.by_segment[1].scores.csat.score, 200.0 / 3.0, "south CSAT");
    close(r.by_segment[1].scores.ces.mean, 4.5, "south CES");

    // Wave 1: 10, 9, 6 → 1/3; CSAT 5, 4, 2 → 2/3; CES 2, 3, 5.
    // Wave 2: 8, 0, 5 → -2/3; CSAT 3, 1, 5 → 1/3; CES 4, 6. Changes: -100, -33.3, +5/3.
    let waves: Vec<&str> = r.by_wave.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(waves, ["Spring", "Autumn"]);
    assert!(r.by_wave[0].change.is_none());
    close(r.by_wave[0].scores.nps.score, 100.0 / 3.0, "wave 1 NPS");
    close(r.by_wave[1].scores.nps.score, -200.0 / 3.0, "wave 2 NPS");
    let change = r.by_wave[1].change.as_ref().unwrap();
    close(change.nps, -100.0, "NPS change");
    close(change.csat, -100.0 / 3.0, "CSAT change");
    close(change.ces, 5.0 - 10.0 / 3.0, "CES change");

    // Alice: interviews 1, 2, 6 (4, 6, 12 min); cases c1 (completed) and c2 (refused): 50 %.
    // Bob: interviews 3, 4 (10, 8 min); cases c3 (completed) and c4 (no answer): 50 %.
    // Unknown: interview 5 (2 min), no case: no rate.
    let who: Vec<(&str, usize, usize)> = r
        .by_interviewer
        .iter()
        .map(|w| (w.key.as_str(), w.completes, w.units_worked))
        .collect();
    assert_eq!(who, [("", 1, 0), ("alice", 3, 2), ("bob", 2, 2)]);
    assert_eq!(r.by_interviewer[0].response_rate, None);
    close(r.by_interviewer[1].response_rate, 50.0, "alice rate");
    close(r.by_interviewer[1].median_minutes, 6.0, "alice median");
    close(r.by_interviewer[2].response_rate, 50.0, "bob rate");
    close(r.by_interviewer[2].median_minutes, 9.0, "bob median");

    // Day 1: interviews 1-3; cases c1, c2, c3 worked, c1 and c3 completed: 2/3.
    // Day 2: interviews 4-6; case c4 worked, none completed: 0 %.
    assert_eq!(r.by_day.len(), 2);
    assert_eq!((r.by_day[0].completes, r.by_day[0].units_worked), (3, 3));
    close(r.by_day[0].response_rate, 200.0 / 3.0, "day 1 rate");
    close(r.by_day[1].response_rate, 0.0, "day 2 rate");

    let csv = report_csv(&r);
    assert!(csv.starts_with("section,key,completes,"), "{csv}");
    assert!(
        csv.contains("\noverall,,6,,,7.0,-16.7,6,50.0,6,4.00,5,,,\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nwave,Autumn,3,,,,-66.7,3,33.3,3,5.00,2,-100.0,-33.3,1.67\n"),
        "{csv}"
    );

    // The CLI prints the same report as JSON.
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = [
        "canvass",
        "report",
        "cx",
        "--db",
        db.path.to_str().unwrap(),
        "--study",
        STUDY,
        "--json",
    ];
    let code = canvass_cli::run(args.iter().map(|s| s.to_string()), &mut out, &mut err);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["completes"], 6);
    assert_eq!(json["by_wave"][1]["label"], "Autumn");
}

/// Without a `canvass::metric` column, a question named `nps` is read as NPS (the survey of the export tests).
#[test]
fn a_question_named_nps_is_read_without_the_column() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let bytes = std::fs::read(repo_root().join("tests/data/export/data/survey.xml")).unwrap();
    app.install_form(&bytes, "survey.xml").unwrap();
    for v in ["10", "3"] {
        let id = app.start_interview("cx_survey").unwrap().interview_id;
        app.record_answer(&id, "/data/nps", v).unwrap();
        app.complete_interview(&id).unwrap();
    }
    let r = app.cx_report("cx_survey", None).unwrap();
    assert_eq!(r.questions.get("nps").map(String::as_str), Some("nps"));
    close(r.overall.nps.score, 0.0, "one promoter, one detractor");
    assert!(app.cx_report("nope", None).is_err());
}

/// The `canvass::metric` column: values are read case-insensitively, and an unknown one is a
/// warning that names its cell and leaves the question unmarked.
#[test]
fn the_metric_column_is_read_and_unknown_values_are_named() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "canvass::metric"],
        &["integer", "rec", "Recommend?", "NPS"],
        &["integer", "eff", "Effort?", "npx"],
    ];
    let bytes = crate::support::xlsform(&[("survey", survey)]);
    let import = canvass_form::import_form(&bytes, "metric.xlsx");
    let form = import.form.as_ref().unwrap();
    let metric = |name: &str| form.nodes[form.by_name(name)[0]].metric.clone();
    assert_eq!(metric("rec").as_deref(), Some("nps"));
    assert_eq!(metric("eff"), None);
    let warning = import
        .diagnostics
        .iter()
        .find(|d| d.message.contains("npx"))
        .expect("a warning about npx");
    assert!(!warning.is_error());
    let at = format!("{:?}", warning.location);
    assert!(at.contains("canvass::metric") && at.contains('3'), "{at}");
}

/// Interview length is time in the interview: a pause and a callback the next
/// day between two sessions do not count, on this device's own interviews and
/// on a team's interviews received from the server (their log is in the record).
#[test]
fn a_pause_between_sessions_is_not_interview_time() {
    let db = TempDb::new();
    let (app, clock) = db.app();
    app.install_form(&workbook(), "cx_dash.xlsx").unwrap();
    let id = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&id, "/data/rec", "9").unwrap();
    clock.advance(3 * 60_000);
    app.pause_interview(&id).unwrap();
    // The respondent asks to be called back the next day.
    clock.advance(24 * 3_600_000);
    app.resume_interview(&id).unwrap();
    app.record_answer(&id, "/data/sat", "4").unwrap();
    clock.advance(2 * 60_000);
    app.complete_interview(&id).unwrap();
    let r = app.cx_report(STUDY, None).unwrap();
    close(
        r.median_minutes,
        5.0,
        "3 minutes before the pause and 2 after",
    );

    // A team member's interview as a supervisor's device receives it: 4 minutes on
    // one day and 4 the next; the first session's last event has no end.
    let day = 24 * 3_600_000i64;
    let t0 = 1_800_000_000_000i64;
    let event = |session: &str, start: i64, end: Option<i64>| serde_json::json!({"session_id": session, "kind": "question", "start_ms": start, "end_ms": end});
    let payload = serde_json::json!({
        "id": "019a0000-0000-7000-8000-00000000000b",
        "answers": {"/data/rec": "3"},
        "paradata": [
            event("s1", t0, Some(t0 + 60_000)),
            event("s1", t0 + 4 * 60_000, None),
            event("s2", t0 + day, Some(t0 + day + 4 * 60_000)),
        ],
    });
    let mut store = canvass_store::Store::open(&db.path).unwrap();
    store
        .store_pulled_interviews(&[canvass_store::PulledInterview {
            interview_id: "019a0000-0000-7000-8000-00000000000b".into(),
            record_id: "019a0000-0000-7000-8000-00000000000b".into(),
            revision: 1,
            interviewer: "bob".into(),
            device_id: "d2".into(),
            team: Some("north".into()),
            questionnaire_id: STUDY.into(),
            questionnaire_version: "1".into(),
            created_at: t0,
            completed_at: t0 + day + 4 * 60_000,
            answers: vec![("/data/rec".into(), "3".into())],
            payload: payload.to_string(),
            received_at: t0 + 2 * day,
            server_received_at: t0 + 2 * day,
        }])
        .unwrap();
    let r = app.cx_report(STUDY, None).unwrap();
    assert_eq!(r.completes, 2);
    // Lengths 5 and 8 minutes.
    close(r.median_minutes, 6.5, "received interview: 4 + 4 minutes");
}
