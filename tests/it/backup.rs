//! Backups: daily and before migrations, pruned to the newest ten; damage found at start-up; restore from the CLI.

use std::path::Path;
use std::sync::Arc;

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;
use canvass_app::{backup_dir, App, ErrorKind, FixedClock, KEEP_BACKUPS};
use canvass_store::{list_backups, Store, MIGRATIONS};

use crate::support::{raw, TempDb, FIXED_NOW_MS};

const DAY: i64 = 86_400_000;

fn open_at(db: &Path, now: i64) -> App {
    App::open(db, Arc::new(FixedClock::new(now))).unwrap()
}

fn names(db: &Path) -> Vec<String> {
    list_backups(&backup_dir(db))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn cli(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = canvass_cli::run(
        std::iter::once("canvass").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn a_daily_backup_is_taken_once_a_day_once_there_is_data_and_old_ones_are_pruned() {
    let db = TempDb::new();
    drop(open_at(&db.path, FIXED_NOW_MS));
    assert!(
        names(&db.path).is_empty(),
        "an empty database is not worth a backup"
    );
    let app = open_at(&db.path, FIXED_NOW_MS);
    app.start_interview(DEMO_NPS_ID).unwrap();
    drop(app);
    drop(open_at(&db.path, FIXED_NOW_MS + 1_000));
    assert_eq!(names(&db.path), ["canvass-20261122-090001-daily.sqlite"]);
    drop(open_at(&db.path, FIXED_NOW_MS + DAY - 1));
    assert_eq!(
        names(&db.path).len(),
        1,
        "less than a day later: no new backup"
    );
    for day in 1..=12 {
        drop(open_at(&db.path, FIXED_NOW_MS + day * DAY + 1_000));
    }
    let kept = names(&db.path);
    assert_eq!(kept.len(), KEEP_BACKUPS);
    assert_eq!(kept.last().unwrap(), "canvass-20261204-090001-daily.sqlite");
    // A backup is a complete, healthy database with the interview in it.
    let newest = list_backups(&backup_dir(&db.path)).pop().unwrap();
    assert!(canvass_store::inspect(&newest).unwrap().is_healthy());
    assert_eq!(
        Store::open(&newest)
            .unwrap()
            .list_interviews()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_migration_of_a_file_with_data_is_preceded_by_a_backup_of_the_old_schema() {
    let db = TempDb::new();
    let old = Store::open_with(&db.path, &MIGRATIONS[..1]).unwrap();
    drop(old);
    raw(&db.path)
        .execute(
            "INSERT INTO interviews (id, questionnaire_id, questionnaire_version, status, created_at, updated_at)
             VALUES ('old-1', 'demo_nps', '2026-11-22', 'in_progress', 1, 1)",
            [],
        )
        .unwrap();
    let app = open_at(&db.path, FIXED_NOW_MS);
    assert_eq!(
        app.list_interviews().unwrap().len(),
        1,
        "the data survives the migration"
    );
    let before = backup_dir(&db.path).join(format!(
        "canvass-20261122-090000-before-v{}.sqlite",
        MIGRATIONS.len()
    ));
    assert!(before.exists(), "{:?}", names(&db.path));
    assert_eq!(
        canvass_store::inspect(&before).unwrap().schema_version,
        1,
        "the backup keeps the old schema"
    );
}

/// Overwrites the file's content after the first two pages with a pattern, keeping the header.
fn corrupt(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() > 3 * 4096,
        "the file is too small to corrupt meaningfully"
    );
    for (i, b) in bytes.iter_mut().enumerate().skip(2 * 4096) {
        *b = (i % 251) as u8;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_file_is_caught_at_start_up_and_the_cli_restores_the_newest_backup() {
    let db = TempDb::new();
    let app = open_at(&db.path, FIXED_NOW_MS);
    let first = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    app.record_answer(&first, "nps", "9").unwrap();
    drop(app);
    drop(open_at(&db.path, FIXED_NOW_MS + 1_000)); // takes the daily backup
    let app = open_at(&db.path, FIXED_NOW_MS + 2_000);
    for _ in 0..40 {
        let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
        app.record_answer(&id, "nps", "5").unwrap();
    }
    drop(app); // the last connection checkpoints the WAL into the file
    corrupt(&db.path);

    let err = App::open(&db.path, Arc::new(FixedClock::new(FIXED_NOW_MS + 3_000)))
        .err()
        .expect("damage must be found");
    assert_eq!(err.kind(), ErrorKind::DamagedDatabase, "{err:?}");
    let newest = list_backups(&backup_dir(&db.path)).pop().unwrap();
    let message = err.to_string();
    assert!(message.contains("is damaged"), "{message}");
    assert!(
        message.contains(&format!(
            "canvass db restore --db {} --from {}",
            db.path.display(),
            newest.display()
        )),
        "{message}"
    );

    let (code, out, errtext) = cli(&[
        "db",
        "restore",
        "--db",
        db.path.to_str().unwrap(),
        "--from",
        newest.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{errtext}");
    assert!(out.contains("restored"), "{out}");
    let app = open_at(&db.path, FIXED_NOW_MS + 4_000);
    let list = app.list_interviews().unwrap();
    assert_eq!(list.len(), 1, "the database is as of the backup");
    assert_eq!(app.screen(&first).unwrap().question.unwrap().value, "9");
    let aside = std::fs::read_dir(backup_dir(&db.path))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("replaced-"));
    assert!(aside, "the damaged file is kept beside the backups");
}

#[test]
fn restore_refuses_a_damaged_backup_and_leaves_the_database_alone() {
    let db = TempDb::new();
    let app = open_at(&db.path, FIXED_NOW_MS);
    for _ in 0..40 {
        app.start_interview(DEMO_NPS_ID).unwrap();
    }
    drop(app);
    let bad = db.dir.path().join("bad-backup.sqlite");
    let (code, _, err) = cli(&[
        "db",
        "backup",
        "--db",
        db.path.to_str().unwrap(),
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    corrupt(&bad);
    let before = std::fs::read(&db.path).unwrap();
    let (code, _, err) = cli(&[
        "db",
        "restore",
        "--db",
        db.path.to_str().unwrap(),
        "--from",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("is damaged and was not restored"), "{err}");
    assert_eq!(std::fs::read(&db.path).unwrap(), before);
}

#[test]
fn cli_backup_writes_a_healthy_copy_and_show_prints_an_interview() {
    let db = TempDb::new();
    let app = open_at(&db.path, FIXED_NOW_MS);
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    app.record_answer(&id, "nps", "4").unwrap();
    drop(app);
    let copy = db.dir.path().join("copy.sqlite");
    let (code, out, err) = cli(&[
        "db",
        "backup",
        "--db",
        db.path.to_str().unwrap(),
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("backed up"), "{out}");
    let (code, out, _) = cli(&["db", "check", "--db", copy.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("integrity: ok"));

    let (code, out, err) = cli(&[
        "interview",
        "show",
        "--db",
        db.path.to_str().unwrap(),
        &id,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["status"], "in_progress");
    assert_eq!(shown["questionnaire_version"], "2026-11-22");
    assert_eq!(shown["answers"], serde_json::json!({"/data/nps": "4"}));
    let (code, _, err) = cli(&[
        "interview",
        "show",
        "--db",
        db.path.to_str().unwrap(),
        "nope",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no interview with id nope"), "{err}");
    let missing = db.dir.path().join("missing.sqlite");
    let (code, _, err) = cli(&[
        "db",
        "backup",
        "--db",
        missing.to_str().unwrap(),
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no database at"), "{err}");
}
