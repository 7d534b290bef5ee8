//! The migration runner: empty to latest, all-or-nothing, refusal of newer databases, and the schema snapshot.

use canvass_store::{Error, Migration, Store, MIGRATIONS};

use crate::support::{raw, repo_root, TempDb};

#[test]
fn empty_file_migrates_to_latest_with_durable_pragmas() {
    let db = TempDb::new();
    let store = Store::open(&db.path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    assert_eq!(store.pragma("journal_mode").unwrap(), "wal");
    // 2 is FULL: every commit syncs the WAL.
    assert_eq!(store.pragma("synchronous").unwrap(), "2");
    assert_eq!(store.pragma("foreign_keys").unwrap(), "1");
    assert_eq!(store.pragma("busy_timeout").unwrap(), "5000");
    drop(store);
    // Opening again is a no-op that keeps the version.
    let again = Store::open(&db.path).unwrap();
    assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as i64);
}

#[test]
fn a_failing_migration_leaves_the_database_untouched() {
    let db = TempDb::new();
    let good = MIGRATIONS[0];
    let bad = Migration {
        name: "0002_bad",
        sql: "CREATE TABLE half_done (x); SELECT missing FROM nowhere;",
    };

    // From empty: neither the good migration nor the bad one's first statement may stay.
    let err = Store::open_with(&db.path, &[good, bad])
        .err()
        .expect("the bad migration must fail");
    assert!(
        matches!(&err, Error::Migration { name, .. } if name == "0002_bad"),
        "{err:?}"
    );
    let conn = raw(&db.path);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (version, tables),
        (0, 0),
        "nothing of the failed run may remain"
    );
    drop(conn);

    // From version 1: a later good migration is rolled back with the bad one after it.
    let base = Store::open_with(&db.path, &[good]).unwrap();
    let before = base.schema_sql().unwrap();
    drop(base);
    let second = Migration {
        name: "0002_ok",
        sql: "CREATE TABLE extra (x);",
    };
    let third = Migration {
        name: "0003_bad",
        sql: "CREATE TABLE nope (;",
    };
    let err = Store::open_with(&db.path, &[good, second, third])
        .err()
        .expect("0003 must fail");
    assert!(
        matches!(&err, Error::Migration { name, .. } if name == "0003_bad"),
        "{err:?}"
    );
    let after = Store::open_with(&db.path, &[good]).unwrap();
    assert_eq!(after.schema_version().unwrap(), 1);
    assert_eq!(after.schema_sql().unwrap(), before);
}

#[test]
fn a_database_from_a_newer_canvass_is_refused_and_left_alone() {
    let db = TempDb::new();
    drop(Store::open(&db.path).unwrap());
    raw(&db.path)
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let bytes_before = std::fs::read(&db.path).unwrap();

    let err = Store::open(&db.path)
        .err()
        .expect("a newer database must be refused");
    assert!(
        matches!(err, Error::IncompatibleDatabase { found: 99, supported } if supported == MIGRATIONS.len() as i64)
    );
    assert!(err.to_string().contains("newer Canvass"), "{err}");
    let inspected = canvass_store::inspect(&db.path).expect_err("inspect refuses it too");
    assert!(matches!(
        inspected,
        Error::IncompatibleDatabase { found: 99, .. }
    ));
    assert_eq!(
        std::fs::read(&db.path).unwrap(),
        bytes_before,
        "refusal must not write"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_named_in_the_error() {
    let db = TempDb::new();
    std::fs::write(&db.path, "id,phone\n1,+380441234567\n".repeat(200)).unwrap();
    let err = Store::open(&db.path)
        .err()
        .expect("a CSV file is not a database");
    assert!(
        matches!(&err, Error::NotADatabase { path } if *path == db.path),
        "{err:?}"
    );
    let err = canvass_store::inspect(&db.path).expect_err("inspect says the same");
    assert!(matches!(err, Error::NotADatabase { .. }), "{err:?}");
}

/// The schema after all migrations equals tests/data/schema.sql. Refresh with UPDATE_EXPECT=1.
#[test]
fn schema_snapshot() {
    let db = TempDb::new();
    let actual = Store::open(&db.path).unwrap().schema_sql().unwrap();
    let file = repo_root().join("tests/data/schema.sql");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&file, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "schema changed: review it, then rerun with UPDATE_EXPECT=1"
    );
}
