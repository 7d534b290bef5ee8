//! Store repositories on a real file: each `Write` is one durable transaction holding a change and its paradata.

use canvass_store::{Error, NewEvent, NewInterview, NewSession, OutboxRow, Store};

use crate::support::{raw, TempDb};

fn new_interview(store: &mut Store, id: &str) {
    let w = store.write(id).unwrap();
    w.create_interview(&NewInterview {
        id: id.into(),
        questionnaire_id: "demo_nps".into(),
        questionnaire_version: "v1".into(),
        current_item: Some("nps".into()),
        now_ms: 1_000,
    })
    .unwrap();
    w.commit().unwrap();
}

fn save(store: &mut Store, id: &str, item: &str, value: &str, now: i64) -> Option<String> {
    let w = store.write(id).unwrap();
    let old = w.set_answer(item, value, now).unwrap();
    w.set_current_item(Some(item), now).unwrap();
    w.commit().unwrap();
    old
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

fn session(id: &str) -> NewSession {
    NewSession {
        id: id.into(),
        started_at_ms: 1_000,
        tz_offset_min: 120,
        mode: "CAPI".into(),
        app_version: "0.1.0".into(),
        form_id: "demo_nps".into(),
        form_version: "v1".into(),
    }
}

#[test]
fn a_saved_answer_is_visible_to_another_connection_at_once() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    assert_eq!(save(&mut store, "i1", "nps", "9", 1_500), None);

    // A second connection sees the commit without the first one closing: it is in the WAL on disk.
    let other = raw(&db.path);
    let (value, at): (String, i64) = other
        .query_row(
            "SELECT value, updated_at FROM answers WHERE interview_id = 'i1' AND item_path = 'nps'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((value.as_str(), at), ("9", 1_500));

    // Changing and then clearing an answer keeps exactly one row, then none, and reports the old value.
    assert_eq!(
        save(&mut store, "i1", "nps", "10", 1_600).as_deref(),
        Some("9")
    );
    assert_eq!(store.answers("i1").unwrap().len(), 1);
    assert_eq!(store.answers("i1").unwrap()[0].value, "10");
    assert_eq!(
        save(&mut store, "i1", "nps", "", 1_700).as_deref(),
        Some("10")
    );
    assert!(store.answers("i1").unwrap().is_empty());
}

#[test]
fn moving_a_missing_interview_fails() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    let w = store.write("ghost").unwrap();
    let err = w.set_current_item(Some("nps"), 1).unwrap_err();
    assert!(matches!(err, Error::InterviewNotFound { .. }), "{err:?}");
}

#[test]
fn a_write_that_is_not_committed_leaves_nothing() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    {
        let w = store.write("i1").unwrap();
        w.start_session(&session("s1")).unwrap();
        w.event(&NewEvent {
            session_id: "s1".into(),
            kind: "answer_set".into(),
            ..NewEvent::default()
        })
        .unwrap();
        w.set_answer("nps", "5", 1_200).unwrap();
        // Dropped without commit, as when the process dies mid-write.
    }
    assert!(store.answers("i1").unwrap().is_empty());
    assert!(store.events("i1").unwrap().is_empty());
    assert!(store.sessions("i1").unwrap().is_empty());
}

#[test]
fn events_are_numbered_in_write_order_and_spans_close() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    let w = store.write("i1").unwrap();
    w.start_session(&session("s1")).unwrap();
    let ev = |kind: &str, offset: i64| NewEvent {
        session_id: "s1".into(),
        offset_ms: offset,
        kind: kind.into(),
        node: Some("/data/nps".into()),
        ..NewEvent::default()
    };
    assert_eq!(w.event(&ev("form_start", 0)).unwrap(), 1);
    assert_eq!(w.event(&ev("question", 5)).unwrap(), 2);
    // An event written with an earlier offset still comes later: order is seq, not time.
    assert_eq!(w.event(&ev("answer_set", 3)).unwrap(), 3);
    w.close_spans("s1", 900).unwrap();
    w.commit().unwrap();
    let events = store.events("i1").unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["form_start", "question", "answer_set"]
    );
    assert_eq!(events[1].end_offset_ms, Some(900));
    assert!(!events[1].end_estimated);
    assert_eq!(
        events[0].end_offset_ms, None,
        "only question spans are closed"
    );
}

#[test]
fn spans_left_open_by_a_crash_close_at_the_sessions_last_event() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    let w = store.write("i1").unwrap();
    w.start_session(&session("s1")).unwrap();
    let base = NewEvent {
        session_id: "s1".into(),
        ..NewEvent::default()
    };
    w.event(&NewEvent {
        kind: "question".into(),
        offset_ms: 10,
        ..base.clone()
    })
    .unwrap();
    w.event(&NewEvent {
        kind: "answer_set".into(),
        offset_ms: 4_000,
        ..base
    })
    .unwrap();
    w.commit().unwrap();

    let w = store.write("i1").unwrap();
    assert_eq!(w.close_interrupted_spans().unwrap(), 1);
    w.commit().unwrap();
    let q = &store.events("i1").unwrap()[0];
    assert_eq!((q.end_offset_ms, q.end_estimated), (Some(4_000), true));
}

#[test]
fn completion_and_its_outbox_row_commit_together() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    let w = store.write("i1").unwrap();
    w.complete(&outbox_row("i1"), 2_000).unwrap();
    w.commit().unwrap();
    let row = store.interview("i1").unwrap();
    assert_eq!(
        (row.status.as_str(), row.completed_at),
        ("completed", Some(2_000))
    );
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
    let w = store.write("i2").unwrap();
    assert!(w.complete(&outbox_row("i2"), 2_000).is_err());
    drop(w);
    let row = store.interview("i2").unwrap();
    assert_eq!(
        row.status, "in_progress",
        "the status change must roll back with the failed outbox insert"
    );
    assert_eq!(row.completed_at, None);
}

#[test]
fn writes_to_a_read_only_file_fail_clearly_and_keep_saved_data() {
    let db = TempDb::new();
    let mut store = Store::open(&db.path).unwrap();
    new_interview(&mut store, "i1");
    save(&mut store, "i1", "nps", "7", 1_100);
    drop(store);

    // A read-only connection stands in for a file whose permissions were taken
    // away: root ignores file modes, so chmod would not prove anything in CI.
    let ro =
        rusqlite::Connection::open_with_flags(&db.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let err = Error::from(
        ro.execute(
            "UPDATE answers SET value = '1' WHERE interview_id = 'i1'",
            [],
        )
        .unwrap_err(),
    );
    assert!(matches!(err, Error::ReadOnly(_)), "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(ro);
    let store = Store::open(&db.path).unwrap();
    assert_eq!(store.answers("i1").unwrap()[0].value, "7");
}
