//! Attachments, GPS points and the roster table on real SQLite files: a photo's
//! bytes are stored with its answer in one transaction, once per content, and
//! survive a restart; a file over the limit or of the wrong kind is refused and
//! nothing is saved; a typed GPS point is stored in ODK's format with paradata
//! saying it was typed; the roster table lists every member of a household.

use canvass_app::attachments::{sha256_hex, GeopointInput, MAX_ATTACHMENT_BYTES};
use canvass_app::{App, ErrorKind};

use crate::capi::{household_form, HOUSEHOLDS};
use crate::support::{raw, TempDb};

/// A household interview walked to its photo question (four members, income given).
fn at_photo(app: &App) -> String {
    app.install_form(&household_form(), "household.xlsx")
        .unwrap();
    app.import_assignments("household_capi", HOUSEHOLDS.as_bytes(), "households.csv")
        .unwrap();
    let id = app
        .start_assignment_interview("HH-01")
        .unwrap()
        .interview_id;
    app.record_answer(&id, "hh_size", "4").unwrap();
    for (k, (name, age)) in [
        ("Petro", "40"),
        ("Oksana", "38"),
        ("Dmytro", "12"),
        ("Halyna", "70"),
    ]
    .into_iter()
    .enumerate()
    {
        let m = format!("/data/member[{}]", k + 1);
        app.record_answer(&id, &format!("{m}/name"), name).unwrap();
        app.record_answer(&id, &format!("{m}/age"), age).unwrap();
    }
    id
}

/// A small but real PNG (1×1 pixel), so the preview is an image a browser shows.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[test]
fn a_photo_is_stored_with_its_answer_once_per_content_and_survives_a_restart() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = at_photo(&app);
    let s = app
        .attach_file(&id, "door_photo", "/home/olena/Pictures/door.png", PNG)
        .unwrap();
    assert_eq!(s.question.as_ref().unwrap().value, "door.png");
    // The same picture on a second interview is stored once.
    let other = app
        .start_assignment_interview("HH-02")
        .unwrap()
        .interview_id;
    app.attach_file(&other, "door_photo", "copy.png", PNG)
        .unwrap();
    drop(app);

    // A restart (or a power cut after the commit): the answer and its bytes are both there.
    let (app, _) = db.app();
    let a = app.attachment(&id, "door_photo").unwrap().unwrap();
    assert_eq!(
        (a.file_name.as_str(), a.media_type.as_str(), a.size),
        ("door.png", "image/png", PNG.len() as i64)
    );
    assert_eq!(a.hash, sha256_hex(PNG));
    assert!(a.preview.unwrap().starts_with("data:image/png;base64,"));
    assert_eq!(
        app.interview_detail(&id)
            .unwrap()
            .answers
            .get("/data/door_photo")
            .map(String::as_str),
        Some("door.png")
    );
    let conn = raw(&db.path);
    let (blobs, bytes): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM attachment_blobs), data FROM attachment_blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((blobs, bytes.as_slice()), (1, PNG));
    let links: i64 = conn
        .query_row("SELECT count(*) FROM interview_attachments", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(links, 2);
    // The answer's paradata event names the file by hash.
    let extra: String = conn
        .query_row(
            "SELECT extra FROM paradata_events WHERE interview_id = ?1 AND kind = 'answer_set' AND node = '/data/door_photo'",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(extra.contains(&sha256_hex(PNG)), "{extra}");

    // Removing the file clears the answer and the link; the bytes stay for the other interview.
    let s = app.clear_attachment(&id, "door_photo").unwrap();
    assert_eq!(s.question.as_ref().unwrap().value, "");
    assert!(app.attachment(&id, "door_photo").unwrap().is_none());
    assert!(app.attachment(&other, "door_photo").unwrap().is_some());
}

#[test]
fn a_file_too_large_empty_or_of_the_wrong_kind_is_refused_and_nothing_is_saved() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = at_photo(&app);
    let before = raw(&db.path)
        .query_row("SELECT count(*) FROM answers", [], |r| r.get::<_, i64>(0))
        .unwrap();
    let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
    let err = app
        .attach_file(&id, "door_photo", "huge.jpg", &big)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.to_string().contains("huge.jpg") && err.to_string().contains("10.0 MB"),
        "{err}"
    );
    let err = app
        .attach_file(&id, "door_photo", "notes.pdf", b"%PDF-1.4")
        .unwrap_err();
    assert!(err.to_string().contains("not a photo"), "{err}");
    let err = app
        .attach_file(&id, "door_photo", "empty.png", b"")
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    // A question that takes no file refuses one.
    let err = app
        .attach_file(&id, "hh_size", "door.png", PNG)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let conn = raw(&db.path);
    let (answers, blobs): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM answers), (SELECT count(*) FROM attachment_blobs)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((answers, blobs), (before, 0));
}

#[test]
fn a_typed_gps_point_is_stored_as_odk_writes_it_and_marked_manual() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = at_photo(&app);
    let point = GeopointInput {
        latitude: 50.4501,
        longitude: 30.5234,
        altitude: Some(179.0),
        accuracy: None,
        manual: true,
    };
    let s = app.record_geopoint(&id, "location", &point).unwrap();
    // Numbers as ODK Collect writes a geopoint's doubles.
    assert_eq!(
        s.question.as_ref().unwrap().value,
        "50.4501 30.5234 179.0 0.0"
    );
    assert_eq!(s.question.as_ref().unwrap().kind, "geopoint");
    let bad = GeopointInput {
        latitude: 95.0,
        ..point.clone()
    };
    let err = app.record_geopoint(&id, "location", &bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("latitude 95"), "{err}");
    let events: Vec<Option<String>> = raw(&db.path)
        .prepare("SELECT extra FROM paradata_events WHERE interview_id = ?1 AND kind = 'answer_set' AND node = '/data/location'")
        .unwrap()
        .query_map([&id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(events, [Some(r#"{"geopoint_source":"manual"}"#.to_owned())]);
}

#[test]
fn the_roster_table_lists_every_member_and_jumps_to_one() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let id = at_photo(&app);
    app.record_answer(&id, "/data/member[2]/works", "1")
        .unwrap();
    let t = app
        .screen(&id)
        .unwrap()
        .roster_table
        .expect("inside the roster");
    assert_eq!(t.label, "Household member");
    assert_eq!(
        t.columns,
        [
            "First name of the member",
            "How old is …?",
            "Does … have paid work?"
        ]
    );
    let cells: Vec<Vec<&str>> = t
        .rows
        .iter()
        .map(|r| r.cells.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        cells,
        [
            vec!["Petro", "40", ""],
            vec!["Oksana", "38", "Yes"],
            vec!["Dmytro", "12", ""],
            vec!["Halyna", "70", ""]
        ]
    );
    assert_eq!(t.current, 2);
    // Every screen carries the table, so the window draws it with the question.
    let answered = app
        .record_answer(&id, "/data/member[2]/works", "1")
        .unwrap();
    assert_eq!(answered.roster_table.as_ref(), Some(&t));
    let s = app
        .jump_to_item(&id, t.rows[3].first_item.as_deref().unwrap())
        .unwrap();
    assert_eq!(s.roster_table.as_ref().map(|t| t.current), Some(4));
    assert_eq!(s.question.unwrap().path, "/data/member[4]/name");
    assert_eq!(
        app.screen(&id).unwrap().roster_table.map(|t| t.current),
        Some(4)
    );
    // Outside the roster there is no table.
    let outside = app.jump_to_item(&id, "/data/hh_size").unwrap();
    assert_eq!(outside.question.unwrap().path, "/data/hh_size");
    assert_eq!(outside.roster_table, None);
    app.jump_to_item(&id, "/data/member[4]/name").unwrap();
    let err = app.jump_to_item(&id, "/data/member[9]/name").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

/// Completes the household interview at its photo question: work and income answered, `photo` attached.
fn complete_with_photo(app: &App, id: &str, photo: &[u8]) {
    for k in [1, 2, 4] {
        app.record_answer(id, &format!("/data/member[{k}]/works"), "1")
            .unwrap();
    }
    app.record_answer(id, "/data/private/income", "2").unwrap();
    app.attach_file(id, "door_photo", "door.png", photo)
        .unwrap();
    assert_eq!(app.complete_interview(id).unwrap().status, "completed");
}

/// One request on the real server's router: `user` logs in first (or no token; or `Some("!bad")` for a wrong one).
async fn call(
    server: &crate::sync_harness::TestServer,
    user: Option<&str>,
    method: &str,
    uri: &str,
    body: Vec<u8>,
) -> (axum::http::StatusCode, Vec<u8>) {
    use axum::http::{header, Request};
    use tower::ServiceExt;
    let token = match user {
        None => None,
        Some("!bad") => Some("not-a-token".to_owned()),
        Some(user) => {
            let login = serde_json::json!({"user": user, "password": crate::sync_harness::password(user), "device_id": user});
            let req = Request::post("/v1/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(login.to_string()))
                .unwrap();
            let resp = canvass_server::app(server.state.clone())
                .oneshot(req)
                .await
                .unwrap();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            Some(v["token"].as_str().unwrap().to_owned())
        }
    };
    let mut r = Request::builder().method(method).uri(uri);
    if method == "POST" {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = canvass_server::app(server.state.clone())
        .oneshot(r.body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap();
    (status, bytes.to_vec())
}

async fn attachments_reach_the_server_once_and_only_the_team_reads_them(
    b: crate::sync_harness::Backend,
    name: &str,
) {
    use axum::http::StatusCode;
    use canvass_app::SyncOutcome;

    use crate::sync_harness::{Device, TestServer};
    let server = TestServer::start(b, name).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    server.add_user("sam", "supervisor", Some("north")).await;
    server.add_user("sue", "supervisor", Some("south")).await;
    let dev = Device::new();
    let first = at_photo(&dev.app);
    complete_with_photo(&dev.app, &first, PNG);
    // The same photo in a second household's interview: one upload.
    let second = dev
        .app
        .start_assignment_interview("HH-02")
        .unwrap()
        .interview_id;
    dev.app.record_answer(&second, "hh_size", "1").unwrap();
    dev.app
        .record_answer(&second, "/data/member[1]/name", "Ivan")
        .unwrap();
    dev.app
        .record_answer(&second, "/data/member[1]/age", "10")
        .unwrap();
    dev.app
        .record_answer(&second, "/data/private/income", "1")
        .unwrap();
    dev.app
        .attach_file(&second, "door_photo", "gate.png", PNG)
        .unwrap();
    assert_eq!(
        dev.app.complete_interview(&second).unwrap().status,
        "completed"
    );
    let hash = sha256_hex(PNG);

    dev.login(&server.url, "ines").await;
    let seen = std::sync::Mutex::new(Vec::<canvass_app::SyncProgress>::new());
    let report = |p: &canvass_app::SyncProgress| seen.lock().unwrap().push(p.clone());
    let s = dev
        .app
        .sync_reporting(canvass_app::SyncOptions::default(), &report)
        .await
        .unwrap();
    assert_eq!((s.outcome, s.accepted), (SyncOutcome::Ok, 2), "{s:?}");
    assert_eq!(s.attachments_sent, 1, "{s:?}");
    // The file is reported before the interviews that name it: one file of PNG's size.
    let seen = seen.into_inner().unwrap();
    let files: Vec<(usize, usize, usize, usize)> = seen
        .iter()
        .filter(|p| p.stage == canvass_app::SyncStage::Uploading)
        .map(|p| {
            (
                p.files_done,
                p.files_planned,
                p.file_bytes_done,
                p.file_bytes_planned,
            )
        })
        .collect();
    assert_eq!(files, [(0, 1, 0, PNG.len()), (1, 1, PNG.len(), PNG.len())]);
    assert_eq!(
        seen[0].stage,
        canvass_app::SyncStage::Uploading,
        "{seen:#?}"
    );
    assert_eq!(
        server.db.attachment(Some("north"), &hash).await.unwrap(),
        Some(PNG.to_vec())
    );
    // Each interview names its file by hash.
    let stored = server.interviews().await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().all(|r| r.payload.contains(&hash)),
        "{stored:?}"
    );
    assert!(dev
        .app
        .interview_attachments(&first)
        .unwrap()
        .iter()
        .all(|a| a.uploaded));

    // A resend (the device lost the server's answer) is harmless: the server says it holds it.
    raw(&dev.db.path)
        .execute("UPDATE attachment_blobs SET uploaded_at = NULL", [])
        .unwrap();
    let again = dev.sync().await;
    assert_eq!(again.attachments_sent, 0, "{again:?}");
    let (st, body) = call(
        &server,
        Some("ines"),
        "PUT",
        &format!("/v1/attachments/{hash}"),
        PNG.to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains(r#""added":false"#));

    // Authorization: no token, a wrong token, another team, a wrong role.
    let uri = format!("/v1/attachments/{hash}");
    assert_eq!(
        call(&server, None, "PUT", &uri, PNG.to_vec()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&server, Some("!bad"), "PUT", &uri, PNG.to_vec())
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&server, None, "GET", &uri, vec![]).await.0,
        StatusCode::UNAUTHORIZED
    );
    let missing_body = serde_json::json!({"hashes": [hash]})
        .to_string()
        .into_bytes();
    assert_eq!(
        call(
            &server,
            None,
            "POST",
            "/v1/attachments/missing",
            missing_body.clone()
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&server, Some("sue"), "GET", &uri, vec![]).await.0,
        StatusCode::NOT_FOUND,
        "another team's file"
    );
    assert_eq!(
        call(&server, Some("ines"), "GET", &uri, vec![]).await.0,
        StatusCode::FORBIDDEN
    );
    let (st, got) = call(&server, Some("sam"), "GET", &uri, vec![]).await;
    assert_eq!((st, got.as_slice()), (StatusCode::OK, PNG));
    // Another team is told the file is missing, so a hash reveals nothing across teams.
    let (st, body) = call(
        &server,
        Some("sue"),
        "POST",
        "/v1/attachments/missing",
        missing_body,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains(&hash));

    // A body that is not what its hash says, and one over the limit, are refused clearly.
    let (st, body) = call(
        &server,
        Some("ines"),
        "PUT",
        &uri,
        b"something else".to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("hash_mismatch"));
    let big = vec![7u8; canvass_protocol::MAX_ATTACHMENT_BYTES + 1];
    let big_uri = format!("/v1/attachments/{}", sha256_hex(&big));
    let (st, body) = call(&server, Some("ines"), "PUT", &big_uri, big).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(String::from_utf8_lossy(&body).contains("too_large"));
    // The device and the server agree on the largest file.
    assert_eq!(MAX_ATTACHMENT_BYTES, canvass_protocol::MAX_ATTACHMENT_BYTES);
}
crate::both_backends!(
    attachment_sync,
    attachments_reach_the_server_once_and_only_the_team_reads_them
);

/// A file over the server's attachment limit (a proxy in front of the server may
/// set a lower one than the devices') is refused once, stays on the device, and is
/// not sent whole again at every pass; a day later it is offered once more.
async fn a_file_refused_as_too_large_is_not_resent_at_every_pass(
    b: crate::sync_harness::Backend,
    name: &str,
) {
    use crate::sync_harness::{Device, TestServer};
    let limits = canvass_server::Limits {
        max_attachment_bytes: PNG.len() - 1,
        ..canvass_server::Limits::default()
    };
    let server = TestServer::start_with(b, name, limits).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    let dev = Device::new();
    let id = at_photo(&dev.app);
    complete_with_photo(&dev.app, &id, PNG);
    dev.login(&server.url, "ines").await;
    let refusals = |s: &canvass_app::SyncSummary| -> Vec<String> {
        s.rejected.iter().map(|r| r.status.clone()).collect()
    };

    let first = dev.sync().await;
    assert_eq!(
        first.accepted, 1,
        "the interview itself goes through: {first:?}"
    );
    assert_eq!(first.attachments_sent, 0, "{first:?}");
    assert_eq!(refusals(&first), ["too_large"], "{first:?}");

    dev.clock.advance(60_000);
    let again = dev.sync().await;
    assert!(refusals(&again).is_empty(), "not sent again: {again:?}");

    dev.clock.advance(canvass_sync::RETRY_REFUSED_MS);
    let later = dev.sync().await;
    assert_eq!(
        refusals(&later),
        ["too_large"],
        "offered once more: {later:?}"
    );
    assert!(dev
        .app
        .interview_attachments(&id)
        .unwrap()
        .iter()
        .all(|a| !a.uploaded));
}
crate::both_backends!(
    attachment_refused,
    a_file_refused_as_too_large_is_not_resent_at_every_pass
);
