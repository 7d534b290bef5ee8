//! `canvass-server export data` against the device's own `canvass export data` of the same interviews, on both backends.
//!
//! A real server (SQLite or PostgreSQL) publishes the two-language roster
//! study of the data-export tests (tests/data/export/data/survey.xml, with
//! answers that relevance hides); a device installs it by sync, answers the
//! same interviews as `data_export::study` on the same fixed clock, and syncs.
//!
//! Why the comparison is meaningful: a received revision carries the device's
//! `created_at` and `completed_at`, the server takes a finished revision's last
//! change to be its completion (as it is on the device), and before any review
//! decision the server's status is `completed`, as on the device. So before the
//! review every file the server writes must equal the device's byte for byte,
//! and the server's CSV must equal the data-export golden files too. XLSX is
//! compared cell by cell, because a workbook's zip entries carry the time it
//! was written. After the review the one column allowed to differ is status
//! (`approved` on the server, still `completed` on the device); it is aligned
//! before comparing, and asserted on its own.

use canvass_app::attachments::sha256_hex;
use std::path::{Path, PathBuf};

use canvass_app::export::data::{export_data, DataExportOptions, DataFormat};
use canvass_server::Limits;
use serde_json::json;

use crate::both_backends;
use crate::support::repo_root;
use crate::sync_harness::{
    api_call, api_login, open_db, postgres_url_for, Backend, Device, TestServer,
};

const STUDY: &str = "cx_survey";
const UK: &str = "Ukrainian (uk)";
const FORMATS: [(&str, DataFormat); 6] = [
    ("csv", DataFormat::Csv),
    ("xlsx", DataFormat::Xlsx),
    ("sav", DataFormat::Sav),
    ("dta", DataFormat::Dta),
    ("jsonl", DataFormat::Jsonl),
    ("xml", DataFormat::Xml),
];

/// Runs `canvass-server` in-process on a blocking thread (it starts its own runtime).
async fn server_cli(args: Vec<String>) -> (u8, String, String) {
    tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut argv = vec!["canvass-server".to_owned()];
        argv.extend(args);
        let code = canvass_server::cli::run(argv, None, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    })
    .await
    .unwrap()
}

/// Pushes one interview payload as a device does, through the real handler.
async fn push(srv: &TestServer, token: &str, payload: serde_json::Value) {
    let id = payload["id"].as_str().unwrap().to_owned();
    let hash = sha256_hex(payload.to_string().as_bytes());
    let (s, v) = api_call(
        &srv.state,
        axum::http::Method::POST,
        "/v1/batches",
        Some(token),
        Some(
            json!({"device_id": "dev-push", "batch_id": format!("b-{id}"), "items": [
            {"id": id, "kind": "interview", "payload": payload, "payload_hash": hash}]}),
        ),
    )
    .await;
    assert_eq!(s, axum::http::StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["status"], "accepted", "{v}");
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    out.sort();
    out
}

/// Every sheet of a workbook as rows of cells.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            (name, range.rows().map(|r| r.to_vec()).collect())
        })
        .collect()
}

/// Asserts that two export folders hold the same files with the same content (XLSX: the
/// same cells); `align` rewrites the server's text files first (identity before review).
fn assert_same_exports(device: &Path, server: &Path, align: &dyn Fn(String) -> String) {
    let names = files(device);
    assert!(
        !names.is_empty(),
        "the device wrote nothing in {}",
        device.display()
    );
    assert_eq!(names, files(server), "the same files");
    for name in names {
        let (d, s) = (device.join(&name), server.join(&name));
        if name.extension().is_some_and(|x| x == "xlsx") {
            assert_eq!(sheets(&d), sheets(&s), "{}", name.display());
        } else if name.extension().is_some_and(|x| x == "sav" || x == "dta") {
            assert!(
                std::fs::read(&d).unwrap() == std::fs::read(&s).unwrap(),
                "{} differs byte for byte",
                name.display()
            );
        } else {
            let text = align(std::fs::read_to_string(&s).unwrap());
            assert_eq!(
                std::fs::read_to_string(&d).unwrap(),
                text,
                "{}",
                name.display()
            );
        }
    }
}

/// The server's `export data` into `out` with `extra` arguments; returns (code, stdout, stderr).
async fn export(
    store: &[String],
    format: &str,
    out: &Path,
    extra: &[&str],
) -> (u8, String, String) {
    let mut args = strings(&[
        "export",
        "data",
        "--study",
        STUDY,
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend(strings(extra));
    args.extend(store.iter().cloned());
    server_cli(args).await
}

/// A golden file of the data-export tests, with interview ids in `text` replaced by `<A>`, `<B>`.
fn assert_golden(name: &str, text: &str, ids: &[String]) {
    let mut text = text.to_owned();
    for (id, tag) in ids.iter().zip(["<A>", "<B>"]) {
        text = text.replace(id.as_str(), tag);
    }
    let expected =
        std::fs::read_to_string(repo_root().join("tests/data/export/data").join(name)).unwrap();
    assert_eq!(text, expected, "{name}");
}

/// A server on `b` with ines and sam in team north and the roster study published, and
/// a device signed in as ines that has installed it by sync; returns the server, the
/// storage arguments `canvass-server` needs to reach the same database, and the device.
async fn published(b: Backend, name: &str) -> (TestServer, Vec<String>, Device) {
    let dir = tempfile::tempdir().unwrap();
    let store: Vec<String> = match b {
        Backend::Sqlite => strings(&["--data", dir.path().to_str().unwrap()]),
        Backend::Postgres => vec![
            "--database".into(),
            postgres_url_for(&format!("canvass_{name}")),
        ],
    };
    let db = open_db(b, dir.path(), name).await;
    let srv = TestServer::serve(db, Limits::default(), dir).await;
    srv.add_user("ines", "interviewer", Some("north")).await;
    srv.add_user("sam", "supervisor", Some("north")).await;
    let survey = repo_root().join("tests/data/export/data/survey.xml");
    let mut args = strings(&["questionnaire", "publish", survey.to_str().unwrap()]);
    args.extend(store.iter().cloned());
    let (code, _, err) = server_cli(args).await;
    assert_eq!(code, 0, "{err}");
    let field = Device::new();
    field.login(&srv.url, "ines").await;
    field.sync().await;
    (srv, store, field)
}

async fn the_server_exports_what_the_device_exports(b: Backend, name: &str) {
    let (srv, store, field) = published(b, name).await;
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_owned();

    // The device answers the same interviews as the device-side export tests, the
    // third left as a draft, which never reaches the server.
    let app = &field.app;
    let ids = crate::data_export::answer_study(app, &field.clock);
    // Ids are time-ordered and a minute apart, so export order is answering order.
    let (a, bb) = (ids[0].clone(), ids[1].clone());
    assert_eq!(field.sync().await.accepted, 2);

    // Every format, codes in the default language and labels in Ukrainian: the same files.
    for (ext, format) in FORMATS {
        for (variant, extra) in [
            ("codes", &[][..]),
            ("uk", &["--labels", "--language", UK][..]),
        ] {
            let mut options = DataExportOptions::new(STUDY, format);
            if variant == "uk" {
                options.labels = true;
                options.language = Some(UK.to_owned());
            }
            let device_dir = out.join(format!("device-{ext}-{variant}"));
            let device = export_data(app, &options, &device_dir).unwrap();
            let server_dir = out.join(format!("server-{ext}-{variant}"));
            let (code, stdout, err) = export(&store, ext, &server_dir, extra).await;
            assert_eq!(code, 0, "{ext} {variant}: {err}");
            assert!(
                stdout.contains(&format!(
                    "exported 2 interviews ({} rows, {} answers)",
                    device.rows, device.answers
                )),
                "{stdout}"
            );
            assert_same_exports(&device_dir, &server_dir, &|t| t);
        }
    }
    let csv = |dir: &str, file: &str| std::fs::read_to_string(out.join(dir).join(file)).unwrap();
    assert_golden("codes.csv", &csv("server-csv-codes", "cx_survey.csv"), &ids);
    assert_golden(
        "codes-member.csv",
        &csv("server-csv-codes", "cx_survey-member.csv"),
        &ids,
    );
    assert_golden(
        "labels_uk.csv",
        &csv("server-csv-uk", "cx_survey.csv"),
        &ids,
    );
    // The same independent reader as the device's exports: pyreadstat (ReadStat).
    for ext in ["sav", "dta"] {
        crate::data_export::check_stat_files(
            &out.join(format!("server-{ext}-codes")),
            ext,
            &ids,
            false,
        );
        crate::data_export::check_stat_files(
            &out.join(format!("server-{ext}-uk")),
            ext,
            &ids,
            true,
        );
    }

    // Review: A is sent back and comes again as revision 2 with a changed answer; B is approved.
    let desk = Device::new();
    desk.login(&srv.url, "sam").await;
    desk.sync().await;
    desk.app
        .decide(&a, "rejected", Some("check the score"), &[])
        .unwrap();
    desk.app.decide(&bb, "approved", None, &[]).unwrap();
    assert_eq!(desk.sync().await.accepted, 2);
    field.sync().await;
    field.clock.advance(60_000);
    app.record_answer(&a, "/data/nps", "7").unwrap();
    app.complete_interview(&a).unwrap();
    assert_eq!(field.sync().await.accepted, 1);
    assert_eq!(
        srv.interviews().await.len(),
        3,
        "both revisions of A are stored"
    );

    for (ext, format) in FORMATS {
        let device_dir = out.join(format!("device-{ext}-reviewed"));
        export_data(app, &DataExportOptions::new(STUDY, format), &device_dir).unwrap();
        let server_dir = out.join(format!("server-{ext}-reviewed"));
        let (code, stdout, err) = export(&store, ext, &server_dir, &[]).await;
        assert_eq!(code, 0, "{ext}: {err}");
        assert!(stdout.contains("exported 2 interviews"), "{stdout}");
        if ext == "csv" || ext == "jsonl" {
            let text =
                std::fs::read_to_string(server_dir.join(format!("cx_survey.{ext}"))).unwrap();
            assert!(
                text.contains("approved"),
                "B's review state is its status: {text}"
            );
        }
        // Only the status differs: the device does not record its interviews' approval.
        let align = |t: String| {
            t.replace(",approved,", ",completed,")
                .replace("\"status\":\"approved\"", "\"status\":\"completed\"")
        };
        if ext == "xlsx" || ext == "sav" || ext == "dta" {
            // The status is inside a binary table: check the server's status cells instead.
            continue;
        }
        assert_same_exports(&device_dir, &server_dir, &align);
    }
    let main = csv("server-csv-reviewed", "cx_survey.csv");
    let row = |id: &str| {
        main.lines()
            .filter(|l| l.starts_with(id))
            .collect::<Vec<_>>()
    };
    assert_eq!(row(&a).len(), 1, "revision 2 replaces revision 1:\n{main}");
    assert!(row(&a)[0].starts_with(&format!("{a},completed,")), "{main}");
    assert!(row(&a)[0].contains(",7,2,"), "revision 2's answer:\n{main}");
    assert!(
        row(&bb)[0].starts_with(&format!("{bb},approved,")),
        "{main}"
    );
    let sav = crate::data_export::pyreadstat(&out.join("server-sav-reviewed/cx_survey.sav"));
    let statuses: Vec<&str> = sav["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ids
        .iter()
        .map(|id| if *id == a { "completed" } else { "approved" })
        .collect();
    assert_eq!(statuses, expected);

    // A record of another study, in an older shape without times, is none of this export's business.
    let other = "019a8d7e-1c2b-7a3d-9f00-0000000000e1";
    let token = api_login(&srv.state, "ines", "dev-push").await;
    push(
        &srv,
        &token,
        json!({"id": other, "interview_id": other, "revision": 1,
        "questionnaire_id": "demo_nps", "questionnaire_version": "1",
        "answers": {"/data/nps": "5"}}),
    )
    .await;

    // The filters apply to the latest revision's state: A's rejection was of revision 1.
    let (code, stdout, err) = export(
        &store,
        "csv",
        &out.join("rejected"),
        &["--status", "rejected"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("exported 0 interviews"), "{stdout}");
    let (code, stdout, _) = export(
        &store,
        "csv",
        &out.join("approved"),
        &["--status", "approved"],
    )
    .await;
    assert_eq!(code, 0);
    assert!(stdout.contains("exported 1 interviews"), "{stdout}");
    let approved = std::fs::read_to_string(out.join("approved/cx_survey.csv")).unwrap();
    assert!(
        approved.contains(&bb) && !approved.contains(&a),
        "{approved}"
    );
    // Dates are UTC days on the completion time: everything was completed on 2026-11-22.
    let (_, stdout, _) = export(
        &store,
        "csv",
        &out.join("day"),
        &["--from", "2026-11-22", "--to", "2026-11-23"],
    )
    .await;
    assert!(stdout.contains("exported 2 interviews"), "{stdout}");
    let (_, stdout, _) = export(&store, "csv", &out.join("later"), &["--from", "2026-11-23"]).await;
    assert!(stdout.contains("exported 0 interviews"), "{stdout}");

    // Clear errors: a format, a status, a date or a language the export does not know.
    let (code, _, err) = export(&store, "bogus", &out.join("bogus"), &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bogus") && err.contains("possible values"),
        "{err}"
    );
    let (code, _, err) = export(&store, "csv", &out.join("st"), &["--status", "done"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("unknown status \"done\""), "{err}");
    let (code, _, err) = export(&store, "csv", &out.join("dt"), &["--from", "22.11.2026"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("--from 22.11.2026"), "{err}");
    let (code, _, err) = export(&store, "csv", &out.join("lang"), &["--language", "Klingon"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("Klingon"), "{err}");
    let mut nope = strings(&[
        "export", "data", "--study", "nope", "--format", "csv", "--out",
    ]);
    nope.push(out.join("nope").to_str().unwrap().to_owned());
    nope.extend(store.iter().cloned());
    let (code, _, err) = server_cli(nope).await;
    assert_eq!(code, 1);
    assert!(err.contains("no questionnaire nope"), "{err}");

    // An interview on a version the server never published stops the export, naming both.
    let stray = "019a8d7e-1c2b-7a3d-9f00-0000000000f7";
    let payload = json!({"id": stray, "interview_id": stray, "revision": 1,
        "questionnaire_id": STUDY, "questionnaire_version": "7",
        "created_at": 1_700_000_000_000i64, "completed_at": 1_700_000_060_000i64,
        "answers": {"/data/nps": "5"}, "paradata": []});
    push(&srv, &token, payload).await;
    let failed = out.join("stray");
    let (code, _, err) = export(&store, "csv", &failed, &[]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains(stray) && err.contains("version 7"),
        "the error names the interview and the version: {err}"
    );
    let left = if failed.exists() {
        files(&failed)
    } else {
        Vec::new()
    };
    assert!(left.is_empty(), "a failed export leaves no file: {left:?}");
}
both_backends!(
    server_data_export,
    the_server_exports_what_the_device_exports
);

/// A roster member added on purpose and left empty travels in the completed
/// record as its path with an empty value, so the server's export keeps its row
/// as the device's does; the engine's own untouched first member stays out of both.
async fn an_empty_member_added_on_purpose_stays_in_the_server_export(b: Backend, name: &str) {
    let (_srv, store, field) = published(b, name).await;
    let app = &field.app;
    let id = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&id, "/data/nps", "8").unwrap();
    app.record_answer(&id, "/data/member[1]/name", "Anna")
        .unwrap();
    app.add_repeat(&id, "/data/member").unwrap();
    app.complete_interview(&id).unwrap();
    // Untouched: the engine's first member, which is no data.
    let other = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&other, "/data/nps", "2").unwrap();
    app.complete_interview(&other).unwrap();
    assert_eq!(field.sync().await.accepted, 2);

    let out = tempfile::tempdir().unwrap();
    let device_dir = out.path().join("device");
    export_data(
        app,
        &DataExportOptions::new(STUDY, DataFormat::Csv),
        &device_dir,
    )
    .unwrap();
    let server_dir = out.path().join("server");
    let (code, _, err) = export(&store, "csv", &server_dir, &[]).await;
    assert_eq!(code, 0, "{err}");
    assert_same_exports(&device_dir, &server_dir, &|t| t);
    let members = std::fs::read_to_string(server_dir.join(format!("{STUDY}-member.csv"))).unwrap();
    let keys: Vec<&str> = members
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        [format!("{id}/member[1]"), format!("{id}/member[2]")],
        "{members}"
    );
}
both_backends!(
    server_export_empty_member,
    an_empty_member_added_on_purpose_stays_in_the_server_export
);
