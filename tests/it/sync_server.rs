//! Server handlers through `app(state).oneshot(request)`: authentication, roles and teams, per-item results,
//! `{code, message}` errors, body limits and gzip. Each body runs on both backends.

use canvass_app::attachments::sha256_hex;
use std::io::Write as _;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use canvass_server::{AppState, Limits};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::both_backends;
use crate::sync_harness::{password, Backend, TestServer};

/// Sends one request to a fresh router over `state`; returns the status, headers and JSON body (Null if empty).
async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = canvass_server::app(state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    (parts.status, parts.headers, v)
}

fn request(method: Method, uri: &str, auth: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

async fn call(
    state: &AppState,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let (s, _, v) = send(state, request(method, uri, auth.as_deref(), body)).await;
    (s, v)
}

async fn login(state: &AppState, user: &str, device: &str) -> String {
    let body = json!({"user": user, "password": password(user), "device_id": device});
    let (s, v) = call(state, Method::POST, "/v1/login", None, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

/// A well-formed interview item (id must be a UUID v7).
fn item(id: &str, body: &str) -> Value {
    let payload = format!(r#"{{"id":"{id}","answers":{{"nps":"{body}"}}}}"#);
    json!({"id": id, "kind": "interview", "payload": serde_json::from_str::<Value>(&payload).unwrap(),
           "payload_hash": sha256_hex(serde_json::from_str::<Value>(&payload).unwrap().to_string().as_bytes())})
}

fn batch(device: &str, items: Vec<Value>) -> Value {
    json!({"device_id": device, "batch_id": "b1", "items": items})
}

const ID1: &str = "019a8d7e-1c2b-7a3d-9f00-000000000001";
const ID2: &str = "019a8d7e-1c2b-7a3d-9f00-000000000002";
const ID3: &str = "019a8d7e-1c2b-7a3d-9f00-000000000003";

/// A server with an admin, two supervisors and two interviewers in teams north and south.
async fn server(b: Backend, name: &str) -> TestServer {
    let s = TestServer::start(b, name).await;
    s.add_user("ada", "admin", None).await;
    s.add_user("sam", "supervisor", Some("north")).await;
    s.add_user("sue", "supervisor", Some("south")).await;
    s.add_user("ines", "interviewer", Some("north")).await;
    s.add_user("ivan", "interviewer", Some("south")).await;
    s
}

async fn every_endpoint_refuses_missing_wrong_and_revoked_tokens(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let revoked = login(st, "ines", "dev-1").await;
    assert_eq!(
        call(st, Method::POST, "/v1/logout", Some(&revoked), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let disabled = login(st, "ivan", "dev-2").await;
    assert!(srv.db.disable_user("ivan", 0).await.unwrap());

    let endpoints = [
        (Method::POST, "/v1/logout", None),
        (Method::POST, "/v1/batches", Some(batch("dev-1", vec![]))),
        (Method::GET, "/v1/changes?since=", None),
        (Method::GET, "/v1/interviews", None),
        (Method::GET, "/v1/devices", None),
        (
            Method::POST,
            "/v1/questionnaires",
            Some(json!({"questionnaire_id":"q","version":"1","definition":{}})),
        ),
        (
            Method::POST,
            "/v1/decisions",
            Some(json!({"interview_id":ID1,"decision":"approved","comment":null,"decided_at":0})),
        ),
        (Method::POST, "/v1/devices/dev-1/revoke", None),
    ];
    let auths: [(&str, Option<String>); 5] = [
        ("missing", None),
        ("wrong", Some("Bearer 0123456789abcdef".into())),
        ("not bearer", Some(format!("Basic {revoked}"))),
        ("revoked", Some(format!("Bearer {revoked}"))),
        ("disabled user", Some(format!("Bearer {disabled}"))),
    ];
    for (method, uri, body) in &endpoints {
        for (what, auth) in &auths {
            let (s, _, v) = send(
                st,
                request(method.clone(), uri, auth.as_deref(), body.clone()),
            )
            .await;
            assert_eq!(
                s,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} with a {what} token: {v}"
            );
            assert_eq!(v["code"], "unauthorized", "{v}");
            assert!(!v["message"].as_str().unwrap().is_empty());
        }
    }
    // A disabled account cannot sign in again either.
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/login",
        None,
        Some(json!({"user":"ivan","password":password("ivan"),"device_id":"d"})),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
}
both_backends!(
    tokens,
    every_endpoint_refuses_missing_wrong_and_revoked_tokens
);

async fn login_gives_one_answer_for_every_bad_credential(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let mut messages = Vec::new();
    for (user, pw) in [("ines", "wrong"), ("nobody", "x"), ("ines", "")] {
        let (s, v) = call(
            &srv.state,
            Method::POST,
            "/v1/login",
            None,
            Some(json!({"user":user,"password":pw,"device_id":"d"})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_credentials")),
            "{v}"
        );
        messages.push(v["message"].clone());
    }
    assert!(
        messages.windows(2).all(|w| w[0] == w[1]),
        "the answer must not reveal which names exist: {messages:?}"
    );
    let (s, v) = call(
        &srv.state,
        Method::POST,
        "/v1/login",
        None,
        Some(json!({"user":"ines","password":"x","device_id":""})),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_device"))
    );
}
both_backends!(login, login_gives_one_answer_for_every_bad_credential);

async fn roles_and_teams_are_enforced(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let (ada, sam, sue) = (
        login(st, "ada", "a").await,
        login(st, "sam", "s").await,
        login(st, "sue", "u").await,
    );
    let (ines, ivan) = (
        login(st, "ines", "dev-n").await,
        login(st, "ivan", "dev-s").await,
    );

    let (s, v) = call(
        st,
        Method::POST,
        "/v1/batches",
        Some(&ines),
        Some(batch("dev-n", vec![item(ID1, "9")])),
    )
    .await;
    assert_eq!(
        (s, v["items"][0]["status"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{v}"
    );
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/batches",
        Some(&ivan),
        Some(batch("dev-s", vec![item(ID2, "3")])),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // Pushing: not for admins, and only from the device the token was issued to.
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/batches",
        Some(&ada),
        Some(batch("a", vec![item(ID3, "1")])),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{v}"
    );
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/batches",
        Some(&ines),
        Some(batch("dev-s", vec![item(ID3, "1")])),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{v}"
    );

    // Listing: supervisors see their own team only, admins any team, interviewers nothing.
    let ids = |v: &Value| {
        v["interviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (s, v) = call(st, Method::GET, "/v1/interviews", Some(&sam), None).await;
    assert_eq!((s, ids(&v)), (StatusCode::OK, vec![ID1.to_owned()]));
    assert_eq!(v["interviews"][0]["payload"]["answers"]["nps"], "9");
    let (_, v) = call(st, Method::GET, "/v1/interviews", Some(&sue), None).await;
    assert_eq!(ids(&v), [ID2]);
    let (s, v) = call(
        st,
        Method::GET,
        "/v1/interviews?team=south",
        Some(&sam),
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (_, v) = call(st, Method::GET, "/v1/interviews", Some(&ada), None).await;
    assert_eq!(ids(&v), [ID1, ID2]);
    let (_, v) = call(
        st,
        Method::GET,
        "/v1/interviews?team=south",
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(ids(&v), [ID2]);
    for t in [&ines, &ivan] {
        let (s, v) = call(st, Method::GET, "/v1/interviews", Some(t), None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
    }
}
both_backends!(roles, roles_and_teams_are_enforced);

async fn one_bad_item_never_fails_the_rest(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let t = login(st, "ines", "dev-n").await;
    let mut bad_hash = item(ID2, "5");
    bad_hash["payload_hash"] = json!("0".repeat(64));
    let mut bad_kind = item(ID3, "5");
    bad_kind["kind"] = json!("selfie");
    let items = vec![
        item(ID1, "9"),
        bad_hash,
        json!({"id": "not-a-uuid", "kind": "interview", "payload": {}, "payload_hash": sha256_hex(b"{}")}),
        bad_kind,
        item(ID1, "9"),
        item(ID1, "0"),
    ];
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/batches",
        Some(&t),
        Some(batch("dev-n", items)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let statuses: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "accepted",
            "invalid",
            "invalid",
            "invalid",
            "duplicate",
            "conflict"
        ]
    );
    assert!(
        v["items"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("SHA-256"),
        "{v}"
    );
    assert!(v["items"][0].get("reason").is_none());
    let stored = srv.interviews().await;
    assert_eq!(
        stored.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [ID1]
    );
    assert!(stored[0].payload.contains(r#""nps":"9""#));
}
both_backends!(items, one_bad_item_never_fails_the_rest);

async fn bad_input_gets_a_coded_4xx_and_changes_nothing(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let t = login(st, "ines", "dev-n").await;
    let raw = |body: &str| {
        Request::post("/v1/batches")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    for body in [
        "{not json",
        r#"{"device_id":"dev-n"}"#,
        r#"{"device_id":"dev-n","batch_id":"b","items":[{"id":1}]}"#,
    ] {
        let (s, _, v) = send(st, raw(body)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_json")),
            "{body}: {v}"
        );
    }
    let (s, v) = call(
        st,
        Method::GET,
        "/v1/changes?since=yesterday",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_cursor"))
    );
    let (s, v) = call(st, Method::GET, "/v2/batches", Some(&t), None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(srv.interviews().await.is_empty());
}
both_backends!(bad_input, bad_input_gets_a_coded_4xx_and_changes_nothing);

async fn a_storage_failure_is_a_generic_500(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let t = login(&srv.state, "ines", "dev-n").await;
    srv.fail_ingest.store(true, Ordering::SeqCst);
    let (s, v) = call(
        &srv.state,
        Method::POST,
        "/v1/batches",
        Some(&t),
        Some(batch("dev-n", vec![item(ID1, "1")])),
    )
    .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        v,
        json!({"code": "internal", "message": "internal error"}),
        "no path or cause reaches the client"
    );
}
both_backends!(internal, a_storage_failure_is_a_generic_500);

async fn bodies_over_the_limit_get_413_and_gzip_works_both_ways(b: Backend, name: &str) {
    let srv = TestServer::start_with(
        b,
        name,
        Limits {
            max_body_bytes: 600,
            max_items: 2,
            ..Limits::default()
        },
    )
    .await;
    srv.add_user("ines", "interviewer", Some("north")).await;
    let mut st = srv.state.clone();
    let t = login(&st, "ines", "dev-n").await;

    let (s, v) = call(
        &st,
        Method::POST,
        "/v1/batches",
        Some(&t),
        Some(batch("dev-n", vec![item(ID1, &"x".repeat(700))])),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")),
        "{v}"
    );
    let three = vec![item(ID1, "1"), item(ID2, "2"), item(ID3, "3")];
    let (s, v) = call(
        &st,
        Method::POST,
        "/v1/batches",
        Some(&t),
        Some(batch("dev-n", three)),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")),
        "item count: {v}"
    );

    // A gzip request body: the limit applies to what it expands to, so 700 zeros are still too large.
    let gz = |v: &Value| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(v.to_string().as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let gzip_req = |v: &Value| {
        Request::post("/v1/batches")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, "gzip")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::from(gz(v)))
            .unwrap()
    };
    let (s, _, _) = send(
        &st,
        gzip_req(&batch("dev-n", vec![item(ID1, &"0".repeat(700))])),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    st.limits.max_body_bytes = 1 << 20;
    let resp = canvass_server::app(st.clone())
        .oneshot(gzip_req(&batch("dev-n", vec![item(ID1, &"7".repeat(200))])))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()
            .get(header::CONTENT_ENCODING)
            .map(|h| h.to_str().unwrap()),
        Some("gzip")
    );
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["items"][0]["status"], "accepted", "{v}");
}
both_backends!(
    limits_and_gzip,
    bodies_over_the_limit_get_413_and_gzip_works_both_ways
);

async fn a_lost_device_is_revoked_by_an_admin_or_its_team_supervisor(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let (ada, sam, sue) = (
        login(st, "ada", "a").await,
        login(st, "sam", "s").await,
        login(st, "sue", "u").await,
    );
    let ines = login(st, "ines", "laptop-7").await;
    let ines_other = login(st, "ines", "laptop-8").await;
    let ivan = login(st, "ivan", "laptop-9").await;

    // Who may see which devices.
    let devices = |v: &Value| {
        let mut d: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["device_id"].as_str().unwrap().to_owned())
            .collect();
        d.sort();
        d
    };
    let (_, v) = call(st, Method::GET, "/v1/devices", Some(&sam), None).await;
    assert_eq!(devices(&v), ["laptop-7", "laptop-8", "s"]);
    assert!(
        !v.to_string().contains("token"),
        "no token or hash is listed: {v}"
    );
    let (_, v) = call(st, Method::GET, "/v1/devices", Some(&ada), None).await;
    assert_eq!(devices(&v).len(), 6);
    let (s, _) = call(st, Method::GET, "/v1/devices", Some(&ines), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Who may revoke: not an interviewer, not another team's supervisor.
    for t in [&ivan, &sue] {
        let (s, v) = call(
            st,
            Method::POST,
            "/v1/devices/laptop-7/revoke",
            Some(t),
            None,
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{v}"
        );
    }
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/devices/laptop-7/revoke",
        Some(&sam),
        None,
    )
    .await;
    assert_eq!((s, v["revoked"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    // The lost laptop is locked out; the same user on another laptop is not.
    let (s, _) = call(st, Method::GET, "/v1/changes", Some(&ines), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = call(st, Method::GET, "/v1/changes", Some(&ines_other), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = call(
        st,
        Method::POST,
        "/v1/devices/laptop-7/revoke",
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "already revoked: {v}"
    );
    let (s, _) = call(
        st,
        Method::POST,
        "/v1/devices/laptop-9/revoke",
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "an admin may revoke any team's device");
}
both_backends!(
    devices,
    a_lost_device_is_revoked_by_an_admin_or_its_team_supervisor
);

async fn repeated_wrong_passwords_lock_the_name_for_a_while(b: Backend, name: &str) {
    let srv = server(b, name).await;
    let st = &srv.state;
    let attempt = |pw: String| {
        let st = st.clone();
        async move {
            let body = json!({"user": "ines", "password": pw, "device_id": "d"});
            send(&st, request(Method::POST, "/v1/login", None, Some(body))).await
        }
    };
    for _ in 0..canvass_server::throttle::MAX_FAILURES {
        assert_eq!(attempt("guess".into()).await.0, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password waits, and the answer says how long.
    let (s, headers, v) = attempt(password("ines")).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")),
        "{v}"
    );
    assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "900");
    // Another name is not affected; after the window the right password works again.
    login(st, "sam", "s").await;
    srv.clock
        .fetch_add(canvass_server::throttle::WINDOW_MS, Ordering::SeqCst);
    assert_eq!(attempt(password("ines")).await.0, StatusCode::OK);
}
both_backends!(throttle, repeated_wrong_passwords_lock_the_name_for_a_while);

/// The server's migration lists equal its migration folders, and a newer database is refused.
#[test]
fn server_migrations_match_their_folders_and_refuse_newer_databases() {
    use canvass_server::db::{postgres, sqlite, DbError, Migration};
    let root = crate::support::repo_root().join("server/migrations");
    for (backend, list) in [
        ("sqlite", sqlite::MIGRATIONS),
        ("postgres", postgres::MIGRATIONS),
    ] {
        let mut files: Vec<(String, String)> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .map(|p| {
                (
                    p.file_stem().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        let listed: Vec<(String, String)> = list
            .iter()
            .map(|m: &Migration| (m.name.to_owned(), m.sql.to_owned()))
            .collect();
        assert_eq!(
            listed, files,
            "server/migrations/{backend} must equal the list compiled into canvass-server"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    drop(sqlite::SqliteDb::open_dir(dir.path()).unwrap());
    let file = dir.path().join(sqlite::FILE_NAME);
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    match sqlite::SqliteDb::open(&file) {
        Err(DbError::Incompatible {
            found: 99,
            supported,
        }) => assert_eq!(supported, sqlite::MIGRATIONS.len() as i64),
        Err(e) => panic!("expected a newer-database refusal, got {e}"),
        Ok(_) => panic!("a database from a newer server must be refused"),
    }
}

/// TLS to PostgreSQL is really attempted: the throwaway cluster has no certificate, so `sslmode=require` must fail
/// while the default (`prefer`) falls back to plain text on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: ./test.sh starts one"]
async fn postgres_tls_follows_sslmode() {
    use canvass_server::db::postgres::PgDb;
    let url = std::env::var("CANVASS_TEST_POSTGRES_URL").expect(
        "CANVASS_TEST_POSTGRES_URL is not set: run ./test.sh, which starts a throwaway PostgreSQL",
    );
    let sep = if url.contains('?') { '&' } else { '?' };
    let err = PgDb::open(&format!("{url}{sep}sslmode=require"))
        .await
        .err()
        .expect("no TLS on the test cluster");
    assert!(
        matches!(err, canvass_server::db::DbError::Postgres(_)),
        "{err:?}"
    );
    canvass_server::db::postgres::create_database(&url, "canvass_tls_prefer")
        .await
        .unwrap();
    let (root, _) = url.rsplit_once('/').unwrap();
    assert!(
        PgDb::open(&format!("{root}/canvass_tls_prefer?sslmode=prefer"))
            .await
            .is_ok()
    );
}
