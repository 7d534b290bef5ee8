//! Disk full: the database sits on a 512 KiB tmpfs that the test fills up (room for the schema, a database and its daily backup).
//!
//! The scenario runs in a child process inside a private user and mount
//! namespace (`unshare -rm`), so it needs no root on the host and the mount
//! vanishes with the child whatever happens.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;
use canvass_app::{App, ErrorKind, FixedClock};

#[test]
fn a_full_disk_gives_a_clear_error_harms_nothing_and_work_resumes_when_space_is_back() {
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "disk_full::disk_full_child",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CANVASS_DISK_FULL_CHILD", "1")
        .output()
        .expect("run unshare (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("disk-full scenario passed"),
        "the child did not run the scenario:\n{stdout}\n{stderr}"
    );
}

#[test]
#[ignore = "child process of a_full_disk_gives_a_clear_error_harms_nothing_and_work_resumes_when_space_is_back"]
fn disk_full_child() {
    if std::env::var_os("CANVASS_DISK_FULL_CHILD").is_none() {
        eprintln!("disk_full_child only runs inside the disk-full test's namespace");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "mount a small tmpfs");
    let db = dir.path().join("canvass.sqlite");
    let clock = Arc::new(FixedClock::new(1_795_338_000_000));
    let app = App::open(&db, clock.clone()).unwrap();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    app.record_answer(&id, "nps", "8").unwrap();
    app.next_item(&id).unwrap();
    app.record_answer(&id, "reason", "3").unwrap();
    app.next_item(&id).unwrap();

    // Fill the disk to the last byte.
    let filler = dir.path().join("filler");
    fill(&filler);

    // Keep saving new comments: saves may still fit in space SQLite already
    // owns, but sooner or later one must fail, and it must say why.
    let mut last_saved = None;
    let mut failure = None;
    for n in 0..2_000 {
        let text = format!("{n:04}-{}", "x".repeat(2_000));
        clock.advance(10);
        match app.record_answer(&id, "comment", &text) {
            Ok(_) => last_saved = Some(text),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let err = failure.expect("a full disk must make a save fail");
    assert_eq!(err.kind(), ErrorKind::Storage, "{err:?}");
    assert_eq!(
        err.to_string(),
        "the disk is full; the last change was not saved"
    );

    // Nothing saved before is harmed: the last successful save is still there.
    let screen = app.screen(&id).unwrap();
    assert_eq!(screen.question.as_ref().unwrap().name, "comment");
    assert_eq!(
        screen.question.as_ref().unwrap().value,
        last_saved.clone().unwrap_or_default()
    );

    // Space comes back: work carries on in the same session and completes.
    std::fs::remove_file(&filler).unwrap();
    app.record_answer(&id, "comment", "after the disk was freed")
        .unwrap();
    // From the comment: Enter to the closing note, Enter to finish.
    for _ in 0..2 {
        app.next_item(&id).unwrap();
    }
    drop(app);
    let report = canvass_app::check_database(&db).unwrap();
    assert!(report.is_healthy(), "{:?}", report.integrity);
    let app = App::open(&db, clock).unwrap();
    let done = app.list_interviews().unwrap();
    assert_eq!(done[0].status, "completed");
    let events = app.paradata(&id).unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "finalize").count(), 1);
    println!("disk-full scenario passed");
}

fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 4096];
    // tmpfs reports ENOSPC once its pages run out; write until then.
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
}
