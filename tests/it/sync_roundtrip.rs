//! Device to server and back over real sockets: idempotent replay, conflicts, 5xx, lost answers, 413 splitting.
//!
//! Each body runs on both server backends (see `both_backends!`).

use canvass_app::{Clock, SyncOutcome};
use canvass_server::Limits;
use sha2::{Digest, Sha256};

use crate::both_backends;
use crate::support::raw;
use crate::sync_harness::{Backend, Device, Proxy, ProxyMode, TestServer};

async fn server_with_interviewer(b: Backend, name: &str) -> TestServer {
    let s = TestServer::start(b, name).await;
    s.add_user("ines", "interviewer", Some("north")).await;
    s
}

/// Every outbox row acked, and the server holds each payload byte for byte.
async fn assert_all_delivered(dev: &Device, server: &TestServer) {
    let outbox = dev.app.outbox().unwrap();
    assert!(outbox.iter().all(|e| e.state == "acked"), "{outbox:#?}");
    let stored = server.interviews().await;
    assert_eq!(stored.len(), outbox.len());
    for e in &outbox {
        let s = stored
            .iter()
            .find(|s| s.id == e.id)
            .expect("every acked row is on the server");
        assert_eq!((&s.payload, &s.payload_hash), (&e.payload, &e.payload_hash));
        assert_eq!(s.user, "ines");
        assert_eq!(s.team.as_deref(), Some("north"));
    }
}

async fn replaying_changes_nothing_and_acknowledges_all(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let dev = Device::new();
    dev.complete(3);
    dev.login(&server.url, "ines").await;

    let first = dev.sync().await;
    assert_eq!(
        (
            first.outcome,
            first.accepted,
            first.duplicate,
            first.batches
        ),
        (SyncOutcome::Ok, 3, 0, 1)
    );
    assert_all_delivered(&dev, &server).await;
    let before = server.interviews().await;

    // The acknowledgement is lost (the rows go back to pending): the resend must be harmless.
    raw(&dev.db.path)
        .execute("UPDATE outbox SET state = 'pending'", [])
        .unwrap();
    let again = dev.sync().await;
    assert_eq!(
        (
            again.outcome,
            again.accepted,
            again.duplicate,
            again.conflict
        ),
        (SyncOutcome::Ok, 0, 3, 0)
    );
    assert_all_delivered(&dev, &server).await;
    assert_eq!(
        server.interviews().await,
        before,
        "a replay changes nothing on the server"
    );

    // Nothing due: a pass says so and still logs itself.
    let idle = dev.sync().await;
    assert_eq!(idle.outcome, SyncOutcome::NothingToDo);
    let log = dev.app.sync_log(10).unwrap();
    assert_eq!(
        log.iter().map(|l| l.outcome.as_str()).collect::<Vec<_>>(),
        ["nothing_to_do", "ok", "ok"]
    );
    assert_eq!((log[1].duplicate, log[2].accepted), (3, 3));
    assert!(log[2].bytes_sent > 0);
}
both_backends!(replay, replaying_changes_nothing_and_acknowledges_all);

async fn same_id_other_content_is_a_conflict_and_the_row_is_rejected(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let dev = Device::new();
    let ids = dev.complete(2);
    dev.login(&server.url, "ines").await;
    assert_eq!(dev.sync().await.accepted, 2);

    // A restored backup edits the first interview differently and queues it again.
    let payload = format!(r#"{{"id":"{}","answers":{{"nps":"0"}}}}"#, ids[0]);
    let hash: String = Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    raw(&dev.db.path)
        .execute(
            "UPDATE outbox SET state = 'pending', payload = ?2, payload_hash = ?3 WHERE id = ?1",
            rusqlite::params![ids[0], payload, hash],
        )
        .unwrap();
    let s = dev.sync().await;
    assert_eq!((s.outcome, s.accepted, s.conflict), (SyncOutcome::Ok, 0, 1));
    assert_eq!(s.rejected.len(), 1);
    assert_eq!(
        (s.rejected[0].id.as_str(), s.rejected[0].status.as_str()),
        (ids[0].as_str(), "conflict")
    );

    let row = dev
        .app
        .outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.id == ids[0])
        .unwrap();
    assert_eq!(row.state, "rejected");
    assert!(
        row.last_error.as_deref().unwrap().starts_with("conflict: "),
        "{row:?}"
    );
    // The server keeps what it had; a rejected row is never sent again.
    assert_ne!(server.interviews().await[0].payload_hash, hash);
    dev.wait_out_backoff();
    assert_eq!(dev.sync().await.outcome, SyncOutcome::NothingToDo);
}
both_backends!(
    conflict,
    same_id_other_content_is_a_conflict_and_the_row_is_rejected
);

async fn a_5xx_leaves_the_outbox_intact_and_a_later_pass_succeeds(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let dev = Device::new();
    dev.complete(2);
    dev.login(&server.url, "ines").await;

    server
        .fail_ingest
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let s = dev.sync().await;
    assert_eq!(
        (s.outcome, s.deferred, s.accepted),
        (SyncOutcome::RetryLater, 2, 0)
    );
    assert!(s.error.as_deref().unwrap().contains("HTTP 500"), "{s:?}");
    assert!(
        s.error.as_deref().unwrap().contains("internal error"),
        "the cause stays on the server: {s:?}"
    );
    let rows = dev.app.outbox().unwrap();
    assert!(
        rows.iter()
            .all(|e| e.state == "pending" && e.attempts == 1 && e.next_attempt_at.is_some()),
        "{rows:#?}"
    );
    assert!(server.interviews().await.is_empty());

    // Before the backoff passes nothing is due; afterwards the pass delivers everything.
    server
        .fail_ingest
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(dev.sync().await.batches, 0);
    dev.wait_out_backoff();
    let s = dev.sync().await;
    assert_eq!((s.outcome, s.accepted), (SyncOutcome::Ok, 2));
    assert_all_delivered(&dev, &server).await;
}
both_backends!(
    server_error,
    a_5xx_leaves_the_outbox_intact_and_a_later_pass_succeeds
);

async fn a_lost_answer_or_connection_is_retried_harmlessly(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let proxy = Proxy::start(server.addr, 1).await;
    let dev = Device::new();
    dev.complete(3);
    dev.login(&proxy.url, "ines").await;

    // The connection drops before the server sees the request.
    proxy.set(ProxyMode::Refuse);
    let s = dev.sync().await;
    assert_eq!((s.outcome, s.deferred), (SyncOutcome::RetryLater, 3));
    assert!(server.interviews().await.is_empty());

    // The server stores the batch but its answer never arrives.
    proxy.set(ProxyMode::DropResponse);
    dev.wait_out_backoff();
    let s = dev.sync().await;
    assert_eq!(s.outcome, SyncOutcome::RetryLater, "{s:?}");
    assert_eq!(
        server.interviews().await.len(),
        3,
        "stored although the device did not hear back"
    );
    assert!(dev.outbox_states().iter().all(|(_, st)| st == "pending"));

    // The resend comes back duplicate: acknowledged, nothing stored twice.
    proxy.set(ProxyMode::Pass);
    dev.wait_out_backoff();
    let s = dev.sync().await;
    assert_eq!(
        (s.outcome, s.accepted, s.duplicate),
        (SyncOutcome::Ok, 0, 3)
    );
    assert_all_delivered(&dev, &server).await;
}
both_backends!(
    lost_answer,
    a_lost_answer_or_connection_is_retried_harmlessly
);

async fn a_413_splits_the_batch_until_it_fits(b: Backend, name: &str) {
    // About three demo interviews (with their session logs) fit under this limit; the device
    // plans all eight in one batch.
    let dev = Device::new();
    dev.complete(8);
    let limits = Limits {
        max_body_bytes: 3 * largest_payload(&dev) + 600,
        max_items: 1000,
        ..Limits::default()
    };
    let server = TestServer::start_with(b, name, limits).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    dev.login(&server.url, "ines").await;

    let s = dev.sync().await;
    assert_eq!(
        (s.outcome, s.accepted, s.invalid),
        (SyncOutcome::Ok, 8, 0),
        "{s:?}"
    );
    assert!(
        s.batches > 3,
        "the first batch was refused and split: {s:?}"
    );
    assert_all_delivered(&dev, &server).await;
}
both_backends!(too_large, a_413_splits_the_batch_until_it_fits);

/// The longest payload waiting in the device's outbox, in bytes.
fn largest_payload(dev: &Device) -> usize {
    raw(&dev.db.path)
        .query_row("SELECT max(length(payload)) FROM outbox", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as usize
}

async fn one_item_too_large_is_rejected_and_blocks_nothing(b: Backend, name: &str) {
    let dev = Device::new();
    let ids = dev.complete(3);
    let limit = largest_payload(&dev) + 600;
    let limits = Limits {
        max_body_bytes: limit,
        max_items: 1000,
        ..Limits::default()
    };
    let server = TestServer::start_with(b, name, limits).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    // Make the second interview's payload bigger than the server's limit.
    let big = format!(
        r#"{{"id":"{}","comment":"{}"}}"#,
        ids[1],
        "x".repeat(2 * limit)
    );
    let hash: String = Sha256::digest(big.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    raw(&dev.db.path)
        .execute(
            "UPDATE outbox SET payload = ?2, payload_hash = ?3 WHERE id = ?1",
            rusqlite::params![ids[1], big, hash],
        )
        .unwrap();
    dev.login(&server.url, "ines").await;

    let s = dev.sync().await;
    assert_eq!((s.outcome, s.accepted), (SyncOutcome::Ok, 2), "{s:?}");
    assert_eq!(
        (s.rejected.len(), s.rejected[0].status.as_str()),
        (1, "too_large")
    );
    let states = dev.outbox_states();
    assert_eq!(states.iter().filter(|(_, st)| st == "acked").count(), 2);
    assert!(states.contains(&(ids[1].clone(), "rejected".into())));
}
both_backends!(
    too_large_item,
    one_item_too_large_is_rejected_and_blocks_nothing
);

async fn a_revoked_token_stops_the_pass_and_asks_to_sign_in(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let dev = Device::new();
    dev.complete(1);
    dev.login(&server.url, "ines").await;
    assert!(server.db.disable_user("ines", 0).await.unwrap());

    let s = dev.sync().await;
    assert_eq!((s.outcome, s.deferred), (SyncOutcome::Unauthorized, 1));
    assert!(s.error.as_deref().unwrap().contains("sign in"), "{s:?}");
    let rows = dev.app.outbox().unwrap();
    assert_eq!(
        (rows[0].state.as_str(), rows[0].attempts),
        ("pending", 0),
        "a refused sign-in is not a failed attempt"
    );
    // The token is forgotten, so the next pass does not even try.
    let s = dev.sync().await;
    assert_eq!(s.outcome, SyncOutcome::Unauthorized);
    assert!(
        s.error.as_deref().unwrap().contains("not signed in"),
        "{s:?}"
    );
}
both_backends!(revoked, a_revoked_token_stops_the_pass_and_asks_to_sign_in);

async fn changes_come_back_once_per_cursor(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let q = r#"{"questionnaire_id":"nps","version":"2","definition":{"title":"NPS v2"}}"#;
    server
        .db
        .publish_change("questionnaire_version", None, q)
        .await
        .unwrap();
    let a = r#"{"id":"a1","questionnaire_id":"nps","assignee":"ines","body":{}}"#;
    server
        .db
        .publish_change("assignment", Some("north"), a)
        .await
        .unwrap();
    server
        .db
        .publish_change("assignment", Some("south"), a)
        .await
        .unwrap();
    let dev = Device::new();
    dev.login(&server.url, "ines").await;

    let s = dev.sync().await;
    assert_eq!(
        (s.outcome, s.batches, s.changes),
        (SyncOutcome::Ok, 0, 2),
        "another team's change stays away"
    );
    assert_eq!(dev.sync().await.outcome, SyncOutcome::NothingToDo);
    server
        .db
        .publish_change("assignment", Some("north"), a)
        .await
        .unwrap();
    assert_eq!(dev.sync().await.changes, 1);
}
both_backends!(changes, changes_come_back_once_per_cursor);

async fn a_huge_incompressible_item_is_refused_not_retried_forever(b: Backend, name: &str) {
    // Default limits (4 MiB): the item is 6 MB of hex noise, so gzip cannot shrink it under the socket buffers.
    let server = server_with_interviewer(b, name).await;
    let dev = Device::new();
    let ids = dev.complete(2);
    let mut noise = String::with_capacity(6_000_000);
    let mut x: u64 = 1;
    while noise.len() < 6_000_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        noise.push_str(&format!("{x:016x}"));
    }
    let big = format!(r#"{{"id":"{}","comment":"{noise}"}}"#, ids[0]);
    let hash: String = Sha256::digest(big.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    raw(&dev.db.path)
        .execute(
            "UPDATE outbox SET payload = ?2, payload_hash = ?3 WHERE id = ?1",
            rusqlite::params![ids[0], big, hash],
        )
        .unwrap();
    dev.login(&server.url, "ines").await;

    let s = dev.sync().await;
    assert_eq!((s.outcome, s.accepted), (SyncOutcome::Ok, 1), "{s:?}");
    assert_eq!(
        (s.rejected.len(), s.rejected[0].status.as_str()),
        (1, "too_large"),
        "{s:?}"
    );
}
both_backends!(
    huge_item,
    a_huge_incompressible_item_is_refused_not_retried_forever
);

async fn sync_now_retries_at_once_and_the_status_says_where_things_are(b: Backend, name: &str) {
    let server = server_with_interviewer(b, name).await;
    let dev = Device::new();
    dev.complete(2);
    let st = dev.app.sync_status().unwrap();
    assert_eq!(
        (st.signed_in, st.pending, st.acked, st.last_pass.is_none()),
        (false, 2, 0, true)
    );

    dev.login(&server.url, "ines").await;
    server
        .fail_ingest
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        dev.app.sync_due().await.unwrap().outcome,
        SyncOutcome::RetryLater
    );
    server
        .fail_ingest
        .store(false, std::sync::atomic::Ordering::SeqCst);
    // An automatic pass respects the backoff; a person asking does not wait for it.
    assert_eq!(dev.app.sync_due().await.unwrap().batches, 0);
    let s = dev.app.sync_now().await.unwrap();
    assert_eq!((s.outcome, s.accepted), (SyncOutcome::Ok, 2));

    let st = dev.app.sync_status().unwrap();
    assert_eq!(
        (st.signed_in, st.pending, st.acked, st.rejected),
        (true, 0, 2, 0)
    );
    assert_eq!(
        (st.server.as_deref(), st.user.as_deref()),
        (Some(server.url.as_str()), Some("ines"))
    );
    assert_eq!(st.last_pass.unwrap().accepted, 2);
}
both_backends!(
    status,
    sync_now_retries_at_once_and_the_status_says_where_things_are
);

async fn decisions_and_assignments_flow_back_to_the_right_team(b: Backend, name: &str) {
    use axum::http::{header, Request, StatusCode};
    use tower::ServiceExt;

    let server = server_with_interviewer(b, name).await;
    server.add_user("sam", "supervisor", Some("north")).await;
    server.add_user("sue", "supervisor", Some("south")).await;
    server.add_user("ivan", "interviewer", Some("south")).await;
    server.add_user("ada", "admin", None).await;
    let (north, south) = (Device::new(), Device::new());
    let ids = north.complete(1);
    north.login(&server.url, "ines").await;
    south.login(&server.url, "ivan").await;
    assert_eq!(north.sync().await.accepted, 1);
    assert_eq!(south.sync().await.outcome, SyncOutcome::NothingToDo);

    let post = |user: &'static str, uri: &'static str, body: serde_json::Value| {
        let st = server.state.clone();
        async move {
            let login = serde_json::json!({"user": user, "password": crate::sync_harness::password(user), "device_id": user});
            let req = |uri: &str, auth: Option<&str>, body: &serde_json::Value| {
                let mut r = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
                if let Some(t) = auth {
                    r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
                }
                r.body(axum::body::Body::from(body.to_string())).unwrap()
            };
            let resp = canvass_server::app(st.clone())
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
            canvass_server::app(st)
                .oneshot(req(uri, Some(&token), &body))
                .await
                .unwrap()
                .status()
        }
    };
    let decision = serde_json::json!({"interview_id": ids[0], "decision": "approved", "comment": "fine", "decided_at": 1});
    assert_eq!(
        post("sue", "/v1/decisions", decision.clone()).await,
        StatusCode::NOT_FOUND,
        "another team's interview"
    );
    assert_eq!(
        post("ines", "/v1/decisions", decision.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(post("sam", "/v1/decisions", decision).await, StatusCode::OK);
    let assignment = serde_json::json!({"team": "south", "assignment": {"id": "c1", "questionnaire_id": "nps", "assignee": null, "body": {}}});
    assert_eq!(
        post("sam", "/v1/assignments", assignment.clone()).await,
        StatusCode::FORBIDDEN,
        "not his team"
    );
    assert_eq!(
        post("sue", "/v1/assignments", assignment).await,
        StatusCode::OK
    );
    use base64::Engine as _;
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let form = include_str!("../data/forms/visit_v1.xml");
    let q = serde_json::json!({"questionnaire_id": "", "version": "", "definition": {},
        "file_name": "visit.xml", "source_base64": b64(form)});
    assert_eq!(
        post("sam", "/v1/questionnaires", q.clone()).await,
        StatusCode::FORBIDDEN
    );
    // The server runs the devices' importer first: a broken form, a missing file or
    // a version that contradicts the file never reaches a device.
    let broken = serde_json::json!({"questionnaire_id": "", "version": "", "definition": {},
        "file_name": "visit.xml", "source_base64": b64(&form.replace("</h:body>", ""))});
    let no_file =
        serde_json::json!({"questionnaire_id": "store_visit", "version": "1", "definition": {}});
    let wrong_version = serde_json::json!({"questionnaire_id": "store_visit", "version": "9", "definition": {},
        "file_name": "visit.xml", "source_base64": b64(form)});
    for bad in [broken, no_file, wrong_version] {
        assert_eq!(
            post("ada", "/v1/questionnaires", bad).await,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(post("ada", "/v1/questionnaires", q).await, StatusCode::OK);

    // North hears of the decision and the questionnaire; south of the assignment and the questionnaire.
    assert_eq!(north.sync().await.changes, 2);
    assert_eq!(south.sync().await.changes, 2);
    assert_eq!(north.sync().await.outcome, SyncOutcome::NothingToDo);
    // What arrived is installable: the compiled summary came with the file.
    let got = south.app.received_questionnaires().unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (
            got[0].questionnaire_id.as_str(),
            got[0].version.as_str(),
            got[0].state.as_str()
        ),
        ("store_visit", "1", "installed")
    );
    let definition: serde_json::Value = serde_json::from_str(&got[0].definition).unwrap();
    assert_eq!(definition["title"], "Store visit");
    assert!(definition["nodes"]
        .as_array()
        .is_some_and(|n| !n.is_empty()));
}
both_backends!(
    flow_back,
    decisions_and_assignments_flow_back_to_the_right_team
);

/// The desktop shell runs sync in async Tauri commands, which need `Send` futures; this fails to compile otherwise.
#[test]
fn sync_futures_can_move_between_threads() {
    fn send<T: Send>(_: T) {}
    let dev = Device::new();
    send(dev.app.sync_now());
    send(dev.app.sync_due());
    send(dev.app.login("http://127.0.0.1:9", "nobody", "x"));
}

/// A busy server's `Retry-After` is believed when it is longer than the backoff (no storage involved).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_defers_the_rows_at_least_that_long() {
    use axum::http::{header, StatusCode};
    use axum::routing::post;
    let busy = axum::Router::new()
        .route(
            "/v1/login",
            post(|| async {
                axum::Json(serde_json::json!({"token": "t", "role": "interviewer", "team": null}))
            }),
        )
        .route(
            "/v1/batches",
            post(|| async {
                let body = r#"{"code":"busy","message":"try again later"}"#;
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "7200")],
                    body,
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, busy).await.unwrap() });

    let dev = Device::new();
    dev.complete(1);
    dev.app.login(&url, "ines", "x").await.unwrap();
    let now = dev.clock.now_ms();
    let s = dev.sync().await;
    assert_eq!(s.outcome, SyncOutcome::RetryLater);
    assert!(s.error.as_deref().unwrap().contains("HTTP 429"), "{s:?}");
    let row = &dev.app.outbox().unwrap()[0];
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 1));
    assert!(row.next_attempt_at.unwrap() >= now + 7_200_000, "{row:?}");
    task.abort();
}

/// The sync log keeps the latest passes only, so years of passes every few minutes do not grow the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_log_keeps_the_latest_passes() {
    let dev = Device::new();
    let mut store = canvass_store::Store::open(&dev.db.path).unwrap();
    let keep = canvass_store::SYNC_LOG_KEEP as usize;
    for i in 0..keep + 5 {
        let e = canvass_store::SyncLogEntry {
            started_at: i as i64,
            outcome: "ok".into(),
            ..Default::default()
        };
        store.add_sync_log(&e).unwrap();
    }
    let log = dev.app.sync_log(keep + 100).unwrap();
    assert_eq!(log.len(), keep);
    assert_eq!(
        (log[0].started_at, log[keep - 1].started_at),
        ((keep + 4) as i64, 5)
    );
}

async fn progress_counts_every_batch_and_every_split(b: Backend, name: &str) {
    // The same squeeze as the 413 test: one planned batch that the server refuses and
    // the device splits, so the plan grows while the pass runs.
    let dev = Device::new();
    dev.complete(8);
    let limits = Limits {
        max_body_bytes: 3 * largest_payload(&dev) + 600,
        max_items: 1000,
        ..Limits::default()
    };
    let server = TestServer::start_with(b, name, limits).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    dev.login(&server.url, "ines").await;

    let seen = std::sync::Mutex::new(Vec::<canvass_app::SyncProgress>::new());
    let report = |p: &canvass_app::SyncProgress| seen.lock().unwrap().push(p.clone());
    let opts = canvass_app::SyncOptions {
        seed: 42,
        timeout: std::time::Duration::from_secs(20),
        ..canvass_app::SyncOptions::default()
    };
    let s = dev.app.sync_reporting(opts, &report).await.unwrap();
    assert_eq!((s.outcome, s.accepted), (SyncOutcome::Ok, 8), "{s:?}");
    let seen = seen.into_inner().unwrap();

    let first = &seen[0];
    assert_eq!(
        (first.stage, first.batches_done, first.batches_planned),
        (canvass_app::SyncStage::Pushing, 0, 1)
    );
    assert_eq!((first.items_done, first.items_planned), (0, 8));
    for pair in seen.windows(2) {
        assert!(
            pair[1].batches_done >= pair[0].batches_done
                && pair[1].items_done >= pair[0].items_done
                && pair[1].batches_planned >= pair[0].batches_planned,
            "progress never goes backwards: {seen:#?}"
        );
    }
    let pushed = seen
        .iter()
        .rfind(|p| p.stage == canvass_app::SyncStage::Pushing)
        .unwrap();
    assert!(
        pushed.batches_planned > 1,
        "the split grew the plan: {seen:#?}"
    );
    assert_eq!(pushed.batches_done, pushed.batches_planned);
    assert_eq!(pushed.items_done, 8);
    assert_eq!(pushed.bytes_sent, s.bytes_sent);
    let last = seen.last().unwrap();
    assert_eq!(
        (last.stage, last.changes),
        (canvass_app::SyncStage::Pulling, s.changes)
    );
}
both_backends!(progress, progress_counts_every_batch_and_every_split);
