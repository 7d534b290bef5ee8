//! Store repositories on a real file: answers are durable per call, completion and its outbox row are one transaction.

use canvass_store::{Error, NewInterview, OutboxRow, Store};

use crate::support::{raw, TempDb};

fn new_interview(store: &mut Store, id: &str) {
    store
        .create_interview(&NewInterview {
            id: id.into(),
            questionnaire_id: "demo_nps".into(),
            questionnaire_version: "v1".into(),
            current_item: Some("nps".into()),
            now_ms: 1_000,
        })
        .unwrap();
}

fn outbox_row(id: &str) -> OutboxRow {
    OutboxRow {
        id: id.into(),
        kind: "interview".into(),
        payload: "{}".into(),
        payload_hash: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".into(),
        created_at: 2_000,
        state: "pending".into(),
    }
}

#[test]
fn a_saved_answer_is_visible_to_another_connection_at_once() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    store.save_answer("i1", "nps", "9", "nps", 1_500).unwrap();

    // A second connection sees the commit without the first one closing: it is in the WAL on disk.
    let other = raw(&db.path);
    let (value, at): (String, i64) = other
        .query_row("SELECT value, updated_at FROM answers WHERE interview_id = 'i1' AND item_path = 'nps'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((value.as_str(), at), ("9", 1_500));

    // Changing and then clearing an answer keeps exactly one row, then none.
    store.save_answer("i1", "nps", "10", "nps", 1_600).unwrap();
    assert_eq!(store.answers("i1").unwrap().len(), 1);
    assert_eq!(store.answers("i1").unwrap()[0].value, "10");
    store.save_answer("i1", "nps", "", "nps", 1_700).unwrap();
    assert!(store.answers("i1").unwrap().is_empty());
}

#[test]
fn saving_to_a_missing_interview_fails_and_writes_nothing() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    let err = store.save_answer("ghost", "nps", "9", "nps", 1).unwrap_err();
    assert!(matches!(err, Error::InterviewNotFound { .. }), "{err:?}");
    assert!(store.answers("ghost").unwrap().is_empty());
}

#[test]
fn completion_and_its_outbox_row_commit_together() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    store.complete_interview("i1", &outbox_row("i1"), 2_000).unwrap();
    let row = store.interview("i1").unwrap();
    assert_eq!((row.status.as_str(), row.completed_at), ("completed", Some(2_000)));
    assert_eq!(store.pending_outbox().unwrap(), vec![outbox_row("i1")]);
}

#[test]
fn a_failed_outbox_insert_rolls_the_completion_back() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i2");
    // Occupy the outbox id so that the completion's insert fails after its update ran.
    raw(&db.path)
        .execute("INSERT INTO outbox (id, kind, payload, payload_hash, created_at) VALUES ('i2', 'x', '{}', 'h', 1)", [])
        .unwrap();
    assert!(store.complete_interview("i2", &outbox_row("i2"), 2_000).is_err());
    let row = store.interview("i2").unwrap();
    assert_eq!(row.status, "in_progress", "the status change must roll back with the failed outbox insert");
    assert_eq!(row.completed_at, None);
}

#[test]
fn writes_to_a_read_only_file_fail_clearly_and_keep_saved_data() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    store.save_answer("i1", "nps", "7", "nps", 1_100).unwrap();
    drop(store);

    // A read-only connection stands in for a file whose permissions were taken
    // away: root ignores file modes, so chmod would not prove anything in CI.
    let ro = rusqlite::Connection::open_with_flags(&db.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let err = Error::from(
        ro.execute("UPDATE answers SET value = '1' WHERE interview_id = 'i1'", []).unwrap_err(),
    );
    assert!(matches!(err, Error::ReadOnly(_)), "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(ro);
    let store = Store::open(&db.path).unwrap();
    assert_eq!(store.answers("i1").unwrap()[0].value, "7");
}
