//! The headless commands end to end: `canvass-server user add/list/disable` and `export interviews`,
//! `canvass login` and `canvass sync`, on one server database, on both backends.

use std::sync::Arc;

use canvass_server::db::{postgres::PgDb, sqlite::SqliteDb, Database};
use canvass_server::Limits;
use serde_json::Value;

use crate::both_backends;
use crate::sync_harness::{Backend, Device, TestServer};

/// Runs `canvass-server` in-process (on a blocking thread: it starts its own runtime).
async fn server_cli(args: Vec<String>, password: Option<&str>) -> (u8, String, String) {
    let password = password.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut argv = vec!["canvass-server".to_owned()];
        argv.extend(args);
        let code = canvass_server::cli::run(argv, password, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    })
    .await
    .unwrap()
}

/// Runs the device's `canvass` in-process.
async fn canvass(args: Vec<String>) -> (u8, String, String) {
    tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut argv = vec!["canvass".to_owned()];
        argv.extend(args);
        let code = canvass_cli::run(argv, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    })
    .await
    .unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The one password the CLI test uses; `canvass login` reads it from the environment.
const PASSWORD: &str = "correct horse battery";

async fn the_commands_run_a_whole_day(b: Backend, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    // Where the data lives, as the command line says it.
    let store: Vec<String> = match b {
        Backend::Sqlite => strings(&["--data", dir.path().to_str().unwrap()]),
        Backend::Postgres => {
            let base = std::env::var("CANVASS_TEST_POSTGRES_URL")
                .expect("CANVASS_TEST_POSTGRES_URL is not set: run ./test.sh, which starts a throwaway PostgreSQL");
            let db = format!("canvass_{name}");
            canvass_server::db::postgres::create_database(&base, &db)
                .await
                .unwrap();
            let (root, _) = base.rsplit_once('/').unwrap();
            strings(&["--database", &format!("{root}/{db}")])
        }
    };
    let with = |mut args: Vec<String>| {
        args.extend(store.clone());
        args
    };

    if b == Backend::Sqlite {
        // Reading commands never create an empty server out of a typo.
        let (code, _, err) = server_cli(with(strings(&["export", "interviews"])), None).await;
        assert_eq!(code, 1);
        assert!(err.contains("no canvass-server data"), "{err}");
        let (code, _, _) = server_cli(
            with(strings(&["user", "add", "x", "--role", "boss"])),
            Some(PASSWORD),
        )
        .await;
        assert_eq!(code, 1);
        assert!(
            !dir.path()
                .join(canvass_server::db::sqlite::FILE_NAME)
                .exists(),
            "a refused command creates nothing"
        );
    }

    let (code, _, err) = server_cli(
        with(strings(&[
            "user",
            "add",
            "ines",
            "--role",
            "interviewer",
            "--team",
            "north",
        ])),
        None,
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("CANVASS_PASSWORD"), "{err}");
    let (code, out, err) = server_cli(
        with(strings(&[
            "user",
            "add",
            "ines",
            "--role",
            "interviewer",
            "--team",
            "north",
        ])),
        Some(PASSWORD),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added ines"), "{out}");
    let (code, _, err) = server_cli(
        with(strings(&["user", "add", "ines", "--role", "interviewer"])),
        Some(PASSWORD),
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    // Provisioning scripts (run.sh) add their accounts on every start.
    let (code, out, err) = server_cli(
        with(strings(&[
            "user",
            "add",
            "ines",
            "--role",
            "supervisor",
            "--team",
            "south",
            "--exists-ok",
        ])),
        Some("another password"),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("already exists; left as it is"), "{out}");
    let (code, _, err) = server_cli(
        with(strings(&["user", "add", "sam", "--role", "supervisor"])),
        Some(PASSWORD),
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("needs --team"), "{err}");
    let (code, _, _) = server_cli(
        with(strings(&["user", "add", "x", "--role", "boss"])),
        Some(PASSWORD),
    )
    .await;
    assert_eq!(code, 1);
    let (code, out, _) = server_cli(with(strings(&["user", "list"])), None).await;
    assert_eq!(code, 0);
    let users: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0]["name"].as_str(), users[0]["role"].as_str()),
        (Some("ines"), Some("interviewer"))
    );
    assert!(
        !out.contains("argon2"),
        "the password hash never leaves the server: {out}"
    );

    // Teams are read off the accounts: ines interviews in north.
    let (code, out, err) = server_cli(with(strings(&["team", "list"])), None).await;
    assert_eq!(code, 0, "{err}");
    let north: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|t: &Value| t["team"] == "north")
        .collect();
    assert_eq!(north.len(), 1, "{out}");
    assert!(
        north[0]["interviewers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "ines"),
        "{out}"
    );

    // A questionnaire published from the command line: checked first, then sent to devices.
    let form = crate::support::repo_root().join("tests/data/forms/household_v1.xml");
    let (code, out, err) = server_cli(
        with(strings(&[
            "questionnaire",
            "publish",
            form.to_str().unwrap(),
        ])),
        None,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("published household version 1"), "{out}");
    let bad = dir.path().join("broken.xml");
    std::fs::write(&bad, "<h:html><h:head>").unwrap();
    let (code, _, err) = server_cli(
        with(strings(&[
            "questionnaire",
            "publish",
            bad.to_str().unwrap(),
        ])),
        None,
    )
    .await;
    assert_eq!(code, 1, "a broken form is refused");
    assert!(err.contains("broken.xml was not published"), "{err}");

    // The server runs on the same storage the commands wrote.
    let db: Arc<dyn Database> = match b {
        Backend::Sqlite => Arc::new(SqliteDb::open_dir(dir.path()).unwrap()),
        Backend::Postgres => Arc::new(PgDb::open(&store[1]).await.unwrap()),
    };
    let server = TestServer::serve(db, Limits::default(), dir).await;

    let dev = Device::new();
    let ids = dev.complete(2);
    let file = dev.db.path.to_str().unwrap().to_owned();
    // SAFETY of the environment write: no other test reads or writes CANVASS_PASSWORD.
    std::env::set_var("CANVASS_PASSWORD", PASSWORD);
    let (code, out, err) = canvass(strings(&[
        "login",
        "--db",
        &file,
        "--server",
        &server.url,
        "--user",
        "ines",
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    let who: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (who["role"].as_str(), who["team"].as_str()),
        (Some("interviewer"), Some("north"))
    );

    let (code, out, err) = canvass(strings(&["sync", "--db", &file])).await;
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (summary["outcome"].as_str(), summary["accepted"].as_u64()),
        (Some("ok"), Some(2)),
        "{summary}"
    );
    // The same pass brought the published questionnaire, installed for offline interviewing.
    let (app, _) = dev.db.app();
    assert!(
        app.studies()
            .iter()
            .any(|s| s.id == "household" && s.version == "1"),
        "the published form is a study on the device"
    );
    app.start_interview("household").unwrap();

    // The export holds each interview once, payload as the device sent it.
    let (code, out, err) = server_cli(
        strings(&["export", "interviews", "--format", "jsonl"])
            .into_iter()
            .chain(store.clone())
            .collect(),
        None,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for e in dev.app.outbox().unwrap() {
        let line = lines.iter().find(|l| l["id"] == e.id.as_str()).unwrap();
        assert_eq!(
            line["payload"],
            serde_json::from_str::<Value>(&e.payload).unwrap()
        );
        assert_eq!(line["payload_hash"], e.payload_hash.as_str());
    }
    assert!(ids.iter().all(|id| out.contains(id.as_str())));
    let (code, _, err) = server_cli(
        with(strings(&["export", "interviews", "--format", "csv"])),
        None,
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("jsonl"), "{err}");

    // The session logs: every event of every received interview, with who pushed it.
    let sent_events: usize = dev
        .app
        .outbox()
        .unwrap()
        .iter()
        .map(|e| {
            let payload: Value = serde_json::from_str(&e.payload).unwrap();
            payload["paradata"].as_array().map_or(0, Vec::len)
        })
        .sum();
    assert!(sent_events > 0);
    let (code, out, err) = server_cli(
        with(strings(&["export", "paradata", "--format", "csv"])),
        None,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let mut csv = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        csv.headers().unwrap().iter().take(4).collect::<Vec<_>>(),
        ["interview_id", "revision", "interviewer", "device"]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), sent_events);
    assert!(rows.iter().all(|r| &r[1] == "1" && &r[2] == "ines"));
    assert!(ids
        .iter()
        .all(|id| rows.iter().any(|r| &r[0] == id.as_str())));
    assert!(rows.iter().any(|r| &r[6] == "finalize"), "{out}");
    let (code, out, err) = server_cli(
        with(strings(&["export", "paradata", "--format", "jsonl"])),
        None,
    )
    .await;
    assert_eq!((code, out.lines().count()), (0, sent_events), "{err}");
    let (code, _, err) = server_cli(
        with(strings(&["export", "paradata", "--format", "tab"])),
        None,
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("csv or jsonl"), "{err}");

    // A lost laptop: revoking its device token makes its next sync ask for a new sign-in.
    let (code, out, _) = server_cli(with(strings(&["device", "list"])), None).await;
    assert_eq!(code, 0);
    let device: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(device["user"], "ines");
    let device_id = device["device_id"].as_str().unwrap().to_owned();
    let (code, out, err) = server_cli(with(strings(&["device", "revoke", &device_id])), None).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked 1 token"), "{out}");
    dev.complete(1);
    let (code, out, _) = canvass(strings(&["sync", "--db", &file])).await;
    assert_eq!(code, 1);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["outcome"],
        "unauthorized"
    );
    let (code, _, err) = server_cli(with(strings(&["device", "revoke", &device_id])), None).await;
    assert_eq!(code, 1);
    assert!(err.contains("no device"), "{err}");

    // Disabling the account revokes all its tokens, even after a new sign-in.
    let (code, _, err) = canvass(strings(&[
        "login",
        "--db",
        &file,
        "--server",
        &server.url,
        "--user",
        "ines",
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = server_cli(with(strings(&["user", "disable", "ines"])), None).await;
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = canvass(strings(&["sync", "--db", &file])).await;
    assert_eq!(code, 1);
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["outcome"], "unauthorized", "{summary}");
    // The readable log: newest first, one line per pass.
    let (code, out, _) = canvass(strings(&["sync", "--db", &file, "--log"])).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("STARTED (UTC)"), "{out}");
    assert!(
        lines[1].contains("unauthorized") && lines[1].contains("sign in"),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.contains(" ok ")), "{out}");
    let (code, _, err) = canvass(strings(&["sync", "--db", "/nonexistent/canvass.sqlite"])).await;
    assert_eq!(code, 1);
    assert!(err.contains("no database"), "{err}");
}
both_backends!(whole_day, the_commands_run_a_whole_day);
