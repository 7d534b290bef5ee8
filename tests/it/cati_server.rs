//! CATI with the real server on both backends: case lists and outcome tables reach a team's devices, leases keep two laptops apart, quota totals come back, and every new endpoint checks token, role and team.

use std::sync::atomic::Ordering;

use axum::http::{Method, StatusCode};
use canvass_app::cati::RecordCall;
use canvass_protocol::{CaseList, OutcomeTable};
use serde_json::{json, Value};

use crate::both_backends;
use crate::sync_harness::{api_call as call, api_login as login, Backend, Device, TestServer};

const STUDY: &str = "panel";

/// Four respondents without a time zone column: their numbers settle it.
const CASES: &str = "id,phone,name,company\n\
    p1,+380 44 000 0001,Olena,Acme\n\
    p2,+380 44 000 0002,Petro,Beta\n\
    p3,+49 30 1234567,Jonas,Bau\n\
    p4,+1 808 555 0101,Kai,Aloha\n";

fn b64(text: &str) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text.as_bytes())
}

fn list(file_name: &str, text: &str) -> CaseList {
    CaseList {
        id: String::new(),
        study_id: STUDY.into(),
        team: None,
        file_name: file_name.into(),
        source_base64: b64(text),
        default_timezone: None,
    }
}

async fn server(b: Backend, name: &str) -> TestServer {
    let s = TestServer::start(b, name).await;
    s.add_user("ada", "admin", None).await;
    s.add_user("sam", "supervisor", Some("north")).await;
    s.add_user("ines", "interviewer", Some("north")).await;
    s.add_user("nina", "interviewer", Some("north")).await;
    s.add_user("ivan", "interviewer", Some("south")).await;
    s
}

fn count(d: &Device, sql: &str) -> i64 {
    crate::support::raw(&d.db.path)
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn next_case(d: &Device, who: &str) -> (Option<String>, String) {
    let n = d.app.cati_next(who).unwrap();
    (
        n.case.map(|c| c.case_id),
        serde_json::to_string(&n.decision).unwrap(),
    )
}

fn complete(d: &Device, case: &str, who: &str) {
    d.app
        .cati_record(&RecordCall {
            study_id: Some(STUDY.into()),
            case_id: case.into(),
            outcome: "complete".into(),
            interviewer: who.into(),
            started_at: None,
            phone_index: None,
            note: String::new(),
            appointment: None,
            interview_id: None,
        })
        .unwrap();
}

async fn lists_leases_and_quota_totals(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let north = Some("north".to_owned());
    canvass_server::cases::publish_case_list_to(&*srv.db, list("cases.csv", CASES), north.clone())
        .await
        .unwrap();
    // Refusals keep a callback of 30 minutes instead of the default.
    let outcomes = OutcomeTable {
        id: String::new(),
        study_id: STUDY.into(),
        team: None,
        outcomes: json!([]),
    };
    let mut table = outcomes.clone();
    let mut busy = serde_json::to_value(
        Device::new()
            .app
            .outcomes(STUDY)
            .unwrap()
            .into_iter()
            .find(|o| o.name == "busy")
            .unwrap(),
    )
    .unwrap();
    busy["delay_minutes"] = json!(7);
    table.outcomes = json!([busy]);
    let text = serde_json::to_string(&OutcomeTable {
        id: "t1".into(),
        ..table
    })
    .unwrap();
    srv.db
        .publish_change("outcome_table", Some("north"), &text)
        .await
        .unwrap();

    let a = Device::new();
    let b2 = Device::new();
    let south = Device::new();
    a.login(&srv.url, "ines").await;
    b2.login(&srv.url, "nina").await;
    south.login(&srv.url, "ivan").await;
    for d in [&a, &b2] {
        d.app
            .set_quota(STUDY, "all", "${case.company} != ''", 3)
            .unwrap();
    }

    // A syncs first: it imports the list (zones from the numbers), the outcome table, and leases every case.
    a.sync().await;
    assert_eq!(count(&a, "SELECT count(*) FROM cati_cases"), 4);
    assert_eq!(
        count(
            &a,
            "SELECT count(*) FROM cati_cases WHERE id = 'p4' AND timezone = 'Pacific/Honolulu'"
        ),
        1
    );
    assert_eq!(
        a.app
            .outcomes(STUDY)
            .unwrap()
            .iter()
            .find(|o| o.name == "busy")
            .unwrap()
            .delay_minutes,
        7
    );
    let a_device = a.app.sync_status().unwrap().device_id.unwrap();
    assert_eq!(
        count(
            &a,
            &format!("SELECT count(*) FROM cati_cases WHERE lease_device = '{a_device}'")
        ),
        4
    );
    // B, same team, gets the list but no case: A holds them all.
    b2.sync().await;
    assert_eq!(count(&b2, "SELECT count(*) FROM cati_cases"), 4);
    let (case, why) = next_case(&b2, "nina");
    assert_eq!(case, None, "{why}");
    assert!(why.contains("leased_elsewhere"), "{why}");
    // Another team's device receives nothing of it.
    south.sync().await;
    assert_eq!(count(&south, "SELECT count(*) FROM cati_cases"), 0);

    // A calls one case and completes it, then syncs while the server cannot store batches:
    // its attempt stays unpushed, and its lease request says so.
    let (first, why) = next_case(&a, "ines");
    let first = first.unwrap_or_else(|| panic!("{why}"));
    complete(&a, &first, "ines");
    srv.fail_ingest.store(true, Ordering::SeqCst);
    a.sync().await;
    assert_eq!(
        count(
            &a,
            "SELECT count(*) FROM outbox WHERE kind = 'call_attempt' AND state = 'pending'"
        ),
        1
    );
    srv.fail_ingest.store(false, Ordering::SeqCst);

    // Every lease runs out; B asks again. The cases A never touched move to B, but
    // the case with A's unpushed attempt stays A's.
    srv.clock.fetch_add(5 * 3_600_000, Ordering::SeqCst);
    b2.clock.advance(5 * 3_600_000);
    b2.sync().await;
    let b_device = b2.app.sync_status().unwrap().device_id.unwrap();
    assert_eq!(
        count(
            &b2,
            &format!("SELECT count(*) FROM cati_cases WHERE lease_device = '{b_device}'")
        ),
        3
    );
    assert_eq!(
        count(&b2, &format!("SELECT count(*) FROM cati_cases WHERE id = '{first}' AND lease_device = '{a_device}'")),
        1
    );
    let (case, why) = next_case(&b2, "nina");
    let case = case.unwrap_or_else(|| panic!("{why}"));
    assert_ne!(case, first);

    // A syncs for real: its attempt reaches the server, it learns B holds the rest.
    a.clock.advance(5 * 3_600_000);
    a.sync().await;
    assert_eq!(
        count(
            &a,
            "SELECT count(*) FROM outbox WHERE kind = 'call_attempt' AND state = 'pending'"
        ),
        0
    );
    let (none, why) = next_case(&a, "ines");
    assert_eq!(none, None, "{why}");
    assert!(why.contains("leased_elsewhere"), "{why}");
    // Its completed case, now pushed, was given back: A holds nothing any more.
    assert_eq!(
        count(
            &a,
            &format!("SELECT count(*) FROM cati_cases WHERE lease_device = '{a_device}'")
        ),
        0
    );

    // B's next sync brings the server's quota total: A's complete, with the server's time.
    b2.sync().await;
    let q = &b2.app.quotas(STUDY).unwrap()[0];
    assert_eq!((q.local_count, q.server_count), (0, Some(1)));
    assert_eq!(q.server_count_at, Some(srv.clock.load(Ordering::SeqCst)));
    // A's own total from the server leaves out its own device (counted locally).
    let q = &a.app.quotas(STUDY).unwrap()[0];
    assert_eq!((q.local_count, q.server_count), (1, Some(0)));

    // A bad list for the same study: the devices refuse it whole and say why.
    let bad = "id,phone,name\np9,+380 44 000 0009,Ok\np10,call me,Bad\n";
    canvass_server::cases::publish_case_list_to(&*srv.db, list("more.csv", bad), north)
        .await
        .unwrap();
    b2.sync().await;
    assert_eq!(
        count(&b2, "SELECT count(*) FROM cati_cases"),
        4,
        "nothing half-imported"
    );
    let refused: Vec<_> = b2
        .app
        .cati_received()
        .unwrap()
        .into_iter()
        .filter(|r| r.state == "refused")
        .collect();
    assert_eq!(refused.len(), 1);
    let why = refused[0].problem.as_deref().unwrap();
    assert!(why.contains("row 3 column `phone`"), "{why}");
    // The sync log says so.
    let log = b2.app.sync_log(1).unwrap();
    assert_eq!(log[0].outcome, "failed");
    let logged = log[0].error.as_deref().unwrap();
    assert!(logged.contains("row 3 column `phone`"), "{logged}");
    // The CLI says the same.
    let mut out = Vec::new();
    let mut err = Vec::new();
    let db = b2.db.path.to_str().unwrap().to_owned();
    let code = canvass_cli::run(
        ["canvass", "cases", "received", "--db", &db],
        &mut out,
        &mut err,
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    assert!(out.contains("imported case_list for study panel"), "{out}");
    assert!(out.contains("refused case_list for study panel"), "{out}");
    assert!(out.contains("row 3 column `phone`"), "{out}");
}
both_backends!(lists_leases_and_quotas, lists_leases_and_quota_totals);

async fn every_cati_endpoint_checks_token_role_and_team(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let sam = login(st, "sam", "dev-sam").await;
    let ines = login(st, "ines", "dev-ines").await;
    let ivan = login(st, "ivan", "dev-ivan").await;
    let ada = login(st, "ada", "dev-ada").await;
    let case_list = serde_json::to_value(list("cases.csv", CASES)).unwrap();
    let outcomes = json!({"id": "", "study_id": STUDY, "outcomes": [{"name": "busy"}]});
    let lease = |device: &str| json!({"device_id": device, "study_id": STUDY, "case_ids": ["p1"]});
    let endpoints: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::POST, "/v1/cases", Some(case_list.clone())),
        (Method::POST, "/v1/outcomes", Some(outcomes.clone())),
        (Method::POST, "/v1/leases", Some(lease("dev-ines"))),
        (Method::GET, "/v1/quotas?study=panel", None),
    ];
    for (m, uri, body) in &endpoints {
        for token in [None, Some("not-a-token")] {
            let (s, v) = call(st, m.clone(), uri, token, body.clone()).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri} with {token:?}: {v}");
            assert_eq!(v["code"], "unauthorized", "{uri}");
        }
    }
    // Wrong role: interviewers publish nothing; an admin leases nothing.
    for (uri, body) in [("/v1/cases", &case_list), ("/v1/outcomes", &outcomes)] {
        let (s, v) = call(st, Method::POST, uri, Some(&ines), Some(body.clone())).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{uri}: {v}");
    }
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/leases",
        Some(&ada),
        Some(lease("dev-ada")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Wrong team: a supervisor publishes only to their own.
    let mut south = case_list.clone();
    south["team"] = json!("south");
    let (s, v) = call(st, Method::POST, "/v1/cases", Some(&sam), Some(south)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let mut south = outcomes.clone();
    south["team"] = json!("south");
    let (s, _) = call(st, Method::POST, "/v1/outcomes", Some(&sam), Some(south)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A bad list is refused with a reason and publishes nothing.
    let mut bad = case_list.clone();
    bad["file_name"] = json!("cases.pdf");
    let (s, v) = call(st, Method::POST, "/v1/cases", Some(&sam), Some(bad)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_case_list")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("cases.pdf"), "{v}");
    assert!(srv
        .db
        .changes_since(0, None, true)
        .await
        .unwrap()
        .is_empty());
    // Before any list, the study is nobody's to lease.
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/leases",
        Some(&ines),
        Some(lease("dev-ines")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The supervisor publishes to north.
    let (s, v) = call(st, Method::POST, "/v1/cases", Some(&sam), Some(case_list)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(st, Method::POST, "/v1/outcomes", Some(&sam), Some(outcomes)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // North's interviewer leases for her own device only; south's is refused the study.
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/leases",
        Some(&ines),
        Some(lease("dev-ines")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["leases"][0]["granted"], true, "{v}");
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/leases",
        Some(&ines),
        Some(lease("dev-other")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/leases",
        Some(&ivan),
        Some(lease("dev-ivan")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(st, Method::GET, "/v1/quotas?study=panel", Some(&ivan), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(st, Method::GET, "/v1/quotas?study=panel", Some(&ines), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = call(st, Method::GET, "/v1/quotas", Some(&ines), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The changes feed carries both to north and neither to south.
    let (_, v) = call(st, Method::GET, "/v1/changes", Some(&ines), None).await;
    assert_eq!(
        (
            v["case_lists"].as_array().unwrap().len(),
            v["outcome_tables"].as_array().unwrap().len()
        ),
        (1, 1)
    );
    let (_, v) = call(st, Method::GET, "/v1/changes", Some(&ivan), None).await;
    assert!(v["case_lists"].as_array().unwrap().is_empty(), "{v}");
}
both_backends!(
    cati_endpoints_authorize,
    every_cati_endpoint_checks_token_role_and_team
);

#[test]
fn the_cli_publishes_a_case_list_to_a_team() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.csv");
    std::fs::write(&file, CASES).unwrap();
    let data = dir.path().join("server");
    let run = |args: &[&str]| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = canvass_server::cli::run(
            std::iter::once("canvass-server").chain(args.iter().copied()),
            Some("sam-pw".to_owned()),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let d = data.to_str().unwrap();
    let f = file.to_str().unwrap();
    // The data folder is created by the first account.
    let (code, _, err) = run(&[
        "user",
        "add",
        "sam",
        "--role",
        "supervisor",
        "--team",
        "north",
        "--data",
        d,
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        "cases", "import", "--data", d, "--study", STUDY, "--team", "north", f,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("published case list cases.csv for study panel to team north"),
        "{out}"
    );
    let pdf = dir.path().join("cases.pdf");
    std::fs::write(&pdf, CASES).unwrap();
    let (code, _, err) = run(&[
        "cases",
        "import",
        "--data",
        d,
        "--study",
        STUDY,
        "--team",
        "north",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cases.pdf is not a .csv, .xlsx or .xls file"),
        "{err}"
    );
}
