//! Revisions and the review workflow against a real server on both backends: revision ingest,
//! decision authorization and idempotency, and a rejected interview coming back as revision 2.

use axum::http::{Method, StatusCode};
use canvass_app::attachments::sha256_hex;
use canvass_app::review::ReviewFilter;
use serde_json::{json, Value};

use crate::both_backends;
use crate::sync_harness::{api_call as call, api_login as login, Backend, Device, TestServer};

/// One revision of interview `interview` as the device sends it, under item id `id`.
fn revision_item(id: &str, interview: &str, revision: i64, nps: &str) -> Value {
    let payload = json!({"id": id, "interview_id": interview, "revision": revision,
        "questionnaire_id": "demo_nps", "questionnaire_version": "1", "answers": {"/data/nps": nps}});
    json!({"id": id, "kind": "interview", "payload": payload, "payload_hash": sha256_hex(payload.to_string().as_bytes())})
}

fn batch(device: &str, items: Vec<Value>) -> Value {
    json!({"device_id": device, "batch_id": "b", "items": items})
}

const I1: &str = "019a8d7e-1c2b-7a3d-9f00-000000000001";
const R2: &str = "019a8d7e-1c2b-7a3d-9f00-000000000002";
const D1: &str = "019a8d7e-1c2b-7a3d-9f00-0000000000d1";

async fn server(b: Backend, name: &str) -> TestServer {
    let s = TestServer::start(b, name).await;
    s.add_user("ada", "admin", None).await;
    s.add_user("sam", "supervisor", Some("north")).await;
    s.add_user("sue", "supervisor", Some("south")).await;
    s.add_user("ines", "interviewer", Some("north")).await;
    s
}

async fn every_revision_is_stored_and_lists_show_the_latest(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let (ines, sam) = (login(st, "ines", "dev").await, login(st, "sam", "s").await);
    let status = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let push = |items| {
        call(
            st,
            Method::POST,
            "/v1/batches",
            Some(&ines),
            Some(batch("dev", items)),
        )
    };
    let (_, v) = push(vec![revision_item(I1, I1, 1, "3")]).await;
    assert_eq!(status(&v), ["accepted"]);
    // Revision 2 has its own id: a new record, never a conflict with revision 1.
    let (_, v) = push(vec![revision_item(R2, I1, 2, "9")]).await;
    assert_eq!(status(&v), ["accepted"]);
    // A resend of either is a harmless duplicate; changed content under one id is still a conflict.
    let (_, v) = push(vec![
        revision_item(I1, I1, 1, "3"),
        revision_item(R2, I1, 2, "9"),
        revision_item(R2, I1, 2, "0"),
    ])
    .await;
    assert_eq!(status(&v), ["duplicate", "duplicate", "conflict"]);
    assert_eq!(srv.interviews().await.len(), 2, "both revisions stored");

    // The list shows the interview once, at its latest revision.
    let (s, v) = call(st, Method::GET, "/v1/interviews", Some(&sam), None).await;
    assert_eq!(s, StatusCode::OK);
    let list = v["interviews"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(
        (
            list[0]["interview_id"].as_str(),
            list[0]["revision"].as_i64(),
            list[0]["payload"]["answers"]["/data/nps"].as_str()
        ),
        (Some(I1), Some(2), Some("9"))
    );

    // The export prints one line per stored revision.
    let mut out = Vec::new();
    let n = canvass_server::export_jsonl(&*srv.db, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!((n, text.lines().count()), (2, 2), "{text}");
    let revisions: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["revision"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(revisions, [1, 2]);
}
both_backends!(
    revisions,
    every_revision_is_stored_and_lists_show_the_latest
);

async fn decisions_check_token_role_and_team_and_resend_safely(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let (ines, sam, sue, ada) = (
        login(st, "ines", "dev").await,
        login(st, "sam", "s").await,
        login(st, "sue", "u").await,
        login(st, "ada", "a").await,
    );
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/batches",
        Some(&ines),
        Some(batch("dev", vec![revision_item(I1, I1, 1, "3")])),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let decision = json!({"id": D1, "interview_id": I1, "revision": 1, "decision": "rejected",
        "comment": "nps looks wrong", "paths": ["/data/nps"], "decided_at": 5});
    let post = |token: Option<&str>, body: Value| {
        let token = token.map(str::to_owned);
        async move {
            call(
                st,
                Method::POST,
                "/v1/decisions",
                token.as_deref(),
                Some(body),
            )
            .await
        }
    };
    let code = |r: (StatusCode, Value)| (r.0, r.1["code"].as_str().map(str::to_owned));
    assert_eq!(
        code(post(None, decision.clone()).await),
        (StatusCode::UNAUTHORIZED, Some("unauthorized".into()))
    );
    assert_eq!(
        code(post(Some("not-a-token"), decision.clone()).await),
        (StatusCode::UNAUTHORIZED, Some("unauthorized".into()))
    );
    assert_eq!(
        code(post(Some(&ines), decision.clone()).await),
        (StatusCode::FORBIDDEN, Some("forbidden".into())),
        "interviewers do not decide"
    );
    assert_eq!(
        code(post(Some(&sue), decision.clone()).await),
        (StatusCode::NOT_FOUND, Some("not_found".into())),
        "another team's interview is not in sight"
    );
    let mut no_comment = decision.clone();
    no_comment["comment"] = Value::Null;
    assert_eq!(
        code(post(Some(&sam), no_comment).await),
        (StatusCode::BAD_REQUEST, Some("bad_decision".into()))
    );
    let mut wrong_revision = decision.clone();
    wrong_revision["revision"] = json!(7);
    assert_eq!(
        code(post(Some(&sam), wrong_revision).await).0,
        StatusCode::NOT_FOUND
    );
    // Nothing refused reached the feed.
    let (_, feed) = call(st, Method::GET, "/v1/changes", Some(&ines), None).await;
    assert_eq!(feed["decisions"].as_array().unwrap().len(), 0, "{feed}");

    let (s, first) = post(Some(&sam), decision.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    // The same decision again (a lost answer): same place in the feed, published once.
    let (s, again) = post(Some(&sam), decision.clone()).await;
    assert_eq!((s, &again["cursor"]), (StatusCode::OK, &first["cursor"]));
    let mut changed = decision.clone();
    changed["comment"] = json!("something else");
    assert_eq!(
        code(post(Some(&sam), changed).await),
        (StatusCode::CONFLICT, Some("conflict".into()))
    );
    // An admin may decide on any team's interview.
    let approve = json!({"interview_id": I1, "decision": "approved", "decided_at": 9});
    assert_eq!(post(Some(&ada), approve).await.0, StatusCode::OK);

    // The interviewer's devices hear of both decisions, with who decided and on which revision.
    let (_, feed) = call(st, Method::GET, "/v1/changes", Some(&ines), None).await;
    let ds = feed["decisions"].as_array().unwrap();
    assert_eq!(ds.len(), 2, "{feed}");
    assert_eq!(
        (
            ds[0]["decided_by"].as_str(),
            ds[0]["revision"].as_i64(),
            ds[0]["paths"][0].as_str()
        ),
        (Some("sam"), Some(1), Some("/data/nps"))
    );
    // Another team hears nothing of them.
    let (_, feed) = call(st, Method::GET, "/v1/changes", Some(&sue), None).await;
    assert_eq!(feed["decisions"].as_array().unwrap().len(), 0);
}
both_backends!(
    decisions,
    decisions_check_token_role_and_team_and_resend_safely
);

/// The demo interview's NPS path.
fn nps_path(dev: &Device, id: &str) -> String {
    dev.app
        .interview_detail(id)
        .unwrap()
        .answers
        .keys()
        .find(|p| p.ends_with("/nps"))
        .unwrap()
        .clone()
}

async fn a_rejected_interview_comes_back_as_revision_2_and_is_approved(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let (field, desk) = (Device::new(), Device::new());
    let id = field.complete(1).remove(0);
    let nps = nps_path(&field, &id);
    field.login(&srv.url, "ines").await;
    desk.login(&srv.url, "sam").await;
    assert_eq!(field.sync().await.accepted, 1);

    // The supervisor's device pulls the team's interviews: stored, never in its outbox.
    desk.sync().await;
    let list = desk.app.review_list(&ReviewFilter::default()).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (
            list[0].interview_id.as_str(),
            list[0].interviewer.as_str(),
            list[0].revision,
            list[0].review.as_str()
        ),
        (id.as_str(), "ines", 1, "waiting")
    );
    assert!(desk.app.outbox().unwrap().is_empty());
    assert!(
        desk.app.list_interviews().unwrap().is_empty(),
        "not on the supervisor's own list"
    );
    let filtered = |f: ReviewFilter| desk.app.review_list(&f).unwrap().len();
    assert_eq!(
        filtered(ReviewFilter {
            interviewer: Some("ines".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        filtered(ReviewFilter {
            interviewer: Some("other".into()),
            ..Default::default()
        }),
        0
    );
    assert_eq!(
        filtered(ReviewFilter {
            review: Some("approved".into()),
            ..Default::default()
        }),
        0
    );
    assert_eq!(
        filtered(ReviewFilter {
            study_id: Some("demo_nps".into()),
            ..Default::default()
        }),
        1
    );

    // The viewer shows every answer with its question text and the session log.
    let detail = desk.app.review_detail(&id).unwrap();
    let a = detail.answers.iter().find(|a| a.path == nps).unwrap();
    assert!(!a.label.is_empty() && !a.hidden, "{a:?}");
    assert!(detail.timeline.iter().any(|s| s.kind == "finalize"));
    // One second for three questions is speeding, and far too short.
    assert!(
        detail.row.flags.contains(&"speeding".to_owned()),
        "{:?}",
        detail.row.flags
    );
    assert!(detail.row.flags.contains(&"short".to_owned()));

    // A rejection needs a comment; with one it is stored offline with its outbox row.
    let err = desk
        .app
        .decide(&id, "rejected", Some("  "), &[])
        .unwrap_err();
    assert_eq!(err.kind(), canvass_app::ErrorKind::Validation);
    desk.app
        .decide(
            &id,
            "rejected",
            Some("NPS was 9, not 0"),
            std::slice::from_ref(&nps),
        )
        .unwrap();
    assert_eq!(desk.app.outbox().unwrap()[0].kind, "decision");
    assert!(
        desk.app.decide(&id, "approved", None, &[]).is_err(),
        "one decision per revision"
    );
    let s = desk.sync().await;
    assert_eq!((s.accepted, s.rejected.len()), (1, 0), "{s:?}");

    // The interviewer's next sync reopens it at the commented question, with the comment.
    field.sync().await;
    let row = field.app.list_interviews().unwrap().remove(0);
    assert_eq!(
        (row.id.as_str(), row.status.as_str()),
        (id.as_str(), "rejected")
    );
    let notes = field.app.review_notes().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (
            notes[0].comment.as_deref(),
            notes[0].revision,
            notes[0].paths.clone()
        ),
        (Some("NPS was 9, not 0"), 2, vec![nps.clone()])
    );
    let screen = field.app.resume_interview(&id).unwrap();
    assert_eq!(screen.question.unwrap().path, nps);
    let kinds: Vec<String> = field
        .app
        .paradata(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"review_rejected".to_owned()) && kinds.contains(&"reopen".to_owned()),
        "{kinds:?}"
    );
    // A second pass applies nothing twice.
    field.sync().await;
    assert_eq!(
        field
            .app
            .paradata(&id)
            .unwrap()
            .iter()
            .filter(|e| e.kind == "reopen")
            .count(),
        1
    );

    // The correction is completed and goes out as revision 2 under its own item id.
    field.app.record_answer(&id, &nps, "9").unwrap();
    field.app.complete_interview(&id).unwrap();
    let out = field.app.outbox().unwrap();
    assert_eq!(out.len(), 2);
    let payload: Value = serde_json::from_str(&out[1].payload).unwrap();
    assert_ne!(out[1].id, id);
    assert_eq!(
        (
            payload["interview_id"].as_str(),
            payload["revision"].as_i64()
        ),
        (Some(id.as_str()), Some(2))
    );
    assert!(field.app.review_notes().unwrap().is_empty());
    assert!(
        field.app.record_answer(&id, &nps, "8").is_err(),
        "completed again, immutable again"
    );
    let s = field.sync().await;
    assert_eq!(s.accepted, 1, "{s:?}");
    assert_eq!(
        srv.interviews().await.len(),
        2,
        "the server keeps both revisions"
    );

    // The supervisor sees revision 2 waiting, approves it, and the interviewer hears of it.
    desk.sync().await;
    let list = desk.app.review_list(&ReviewFilter::default()).unwrap();
    assert_eq!((list[0].revision, list[0].review.as_str()), (2, "waiting"));
    assert_eq!(
        desk.app
            .review_detail(&id)
            .unwrap()
            .answers
            .iter()
            .find(|a| a.path == nps)
            .unwrap()
            .value,
        "9"
    );
    desk.app.decide(&id, "approved", None, &[]).unwrap();
    assert_eq!(desk.sync().await.accepted, 1);
    assert_eq!(
        desk.app.review_list(&ReviewFilter::default()).unwrap()[0].review,
        "approved"
    );
    field.sync().await;
    let row = field.app.list_interviews().unwrap().remove(0);
    assert_eq!(row.status, "completed");
    assert!(field
        .app
        .paradata(&id)
        .unwrap()
        .iter()
        .any(|e| e.kind == "review_approved"));
}
both_backends!(
    round_trip,
    a_rejected_interview_comes_back_as_revision_2_and_is_approved
);

async fn a_decision_made_offline_waits_in_the_outbox(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let (field, desk) = (Device::new(), Device::new());
    let id = field.complete(1).remove(0);
    field.login(&srv.url, "ines").await;
    desk.login(&srv.url, "sam").await;
    field.sync().await;
    desk.sync().await;
    // An interviewer's device refuses to decide, before anything is queued.
    let err = field.app.decide(&id, "approved", None, &[]).unwrap_err();
    assert_eq!(err.kind(), canvass_app::ErrorKind::Validation);
    assert!(field
        .app
        .outbox()
        .unwrap()
        .iter()
        .all(|o| o.kind != "decision"));
    // A per-study speeding threshold changes the flag; a bad one is refused with its value.
    desk.app.set_speeding_threshold("demo_nps", 0.1).unwrap();
    let flags = &desk.app.review_list(&ReviewFilter::default()).unwrap()[0].flags;
    assert!(!flags.contains(&"speeding".to_owned()), "{flags:?}");
    assert!(desk.app.set_speeding_threshold("demo_nps", -1.0).is_err());

    // The server goes away: the decision is kept, pending, and retried later.
    drop(srv);
    desk.app
        .decide(&id, "rejected", Some("check the comment"), &[])
        .unwrap();
    let s = desk.sync().await;
    assert_eq!(s.outcome, canvass_app::SyncOutcome::RetryLater, "{s:?}");
    let out = desk.app.outbox().unwrap();
    assert_eq!(
        (out[0].kind.as_str(), out[0].state.as_str(), out[0].attempts),
        ("decision", "pending", 1)
    );
    let detail = desk.app.review_detail(&id).unwrap();
    assert!(detail.decisions[0].pending);
    assert_eq!(detail.row.review, "rejected");
}
both_backends!(offline, a_decision_made_offline_waits_in_the_outbox);

async fn the_viewer_marks_answers_hidden_by_relevance(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let form =
        std::fs::read(crate::support::repo_root().join("tests/data/forms/visit_v1.xml")).unwrap();
    let (field, desk) = (Device::new(), Device::new());
    for d in [&field, &desk] {
        d.app.install_form(&form, "visit_v1.xml").unwrap();
    }
    // The rating is answered while relevant, then the visits change hides it.
    let id = field
        .app
        .start_interview("store_visit")
        .unwrap()
        .interview_id;
    field.app.record_answer(&id, "visits", "5").unwrap();
    field.app.record_answer(&id, "rating", "4").unwrap();
    field.app.record_answer(&id, "visits", "1").unwrap();
    field.app.complete_interview(&id).unwrap();
    field.login(&srv.url, "ines").await;
    desk.login(&srv.url, "sam").await;
    field.sync().await;
    desk.sync().await;
    let detail = desk.app.review_detail(&id).unwrap();
    let by_path = |p: &str| detail.answers.iter().find(|a| a.path == p).unwrap();
    let visits = by_path("/data/visits");
    assert_eq!(
        (
            visits.label.as_str(),
            visits.value.as_str(),
            visits.hidden,
            visits.corrections
        ),
        (
            "How many times did you visit the store this month?",
            "1",
            false,
            1
        )
    );
    let rating = by_path("/data/rating");
    assert_eq!(
        (rating.label.as_str(), rating.value.as_str(), rating.hidden),
        ("Rate the store from 1 to 5", "4", true)
    );

    // The same desk from the command line: list, reject with a question path, show.
    let db = desk.db.path.to_str().unwrap().to_owned();
    let cli = |args: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = canvass_cli::run(["canvass", "review"].iter().chain(args), &mut out, &mut err);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, 0, "{err}");
        String::from_utf8(out).unwrap()
    };
    let listed = cli(&["list", "--db", &db, "--state", "waiting"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let row: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(
        (row["interviewer"].as_str(), row["revision"].as_i64()),
        (Some("ines"), Some(1))
    );
    cli(&[
        "reject",
        "--db",
        &db,
        &id,
        "--comment",
        "rating?",
        "--path",
        "/data/rating",
    ]);
    let shown: Value = serde_json::from_str(&cli(&["show", "--db", &db, &id])).unwrap();
    assert_eq!(shown["decisions"][0]["paths"][0], "/data/rating");
    assert_eq!(shown["row"]["review"], "rejected");
    assert_eq!(cli(&["list", "--db", &db, "--state", "waiting"]), "");
}
both_backends!(hidden, the_viewer_marks_answers_hidden_by_relevance);

/// A supervisor's device pulls only what the server received since the newest
/// record it holds (less an overlap), not the whole team list at every sync: an
/// interview older than that cursor that the device no longer holds is not sent
/// again, while everything newer arrives. The server refuses a `since` that is
/// not a number.
async fn the_team_list_is_pulled_from_where_the_last_pull_left_off(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let (field, desk) = (Device::new(), Device::new());
    field.login(&srv.url, "ines").await;
    desk.login(&srv.url, "sam").await;
    let hour = 3_600_000;
    let held = |d: &Device| -> Vec<String> {
        let mut ids: Vec<String> = d
            .app
            .review_list(&ReviewFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.interview_id)
            .collect();
        ids.sort();
        ids
    };
    let first = field.complete(1).remove(0);
    field.sync().await;
    srv.clock
        .fetch_add(hour, std::sync::atomic::Ordering::SeqCst);
    let second = field.complete(1).remove(0);
    field.sync().await;
    desk.sync().await;
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(held(&desk), both);

    // The desk loses its copy of the first interview (older than its cursor).
    let conn = crate::support::raw(&desk.db.path);
    conn.execute("DELETE FROM interviews WHERE id = ?1", [&first])
        .unwrap();
    srv.clock
        .fetch_add(hour, std::sync::atomic::Ordering::SeqCst);
    let third = field.complete(1).remove(0);
    field.sync().await;
    desk.sync().await;
    let mut expected = vec![second.clone(), third.clone()];
    expected.sort();
    assert_eq!(
        held(&desk),
        expected,
        "the third arrives; the first, received before the cursor, is not pulled again"
    );

    // The server side of it: `since` narrows the list; a bad one is refused.
    let st = &srv.state;
    let sam = login(st, "sam", "s").await;
    let now = srv.clock.load(std::sync::atomic::Ordering::SeqCst);
    let (s, v) = call(
        st,
        Method::GET,
        &format!("/v1/interviews?since={now}"),
        Some(&sam),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = v["interviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["interview_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [third.as_str()], "{v}");
    let (s, v) = call(st, Method::GET, "/v1/interviews", Some(&sam), None).await;
    assert_eq!(
        (s, v["interviews"].as_array().unwrap().len()),
        (StatusCode::OK, 3)
    );
    let (s, v) = call(
        st,
        Method::GET,
        "/v1/interviews?since=yesterday",
        Some(&sam),
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_since"))
    );
}
both_backends!(
    incremental_pull,
    the_team_list_is_pulled_from_where_the_last_pull_left_off
);
