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
    assert_eq!(s.question.as_ref().unwrap().value, "50.4501 30.5234 179 0");
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
    let t = app.roster_table(&id).unwrap().expect("inside the roster");
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
    let s = app
        .jump_to_item(&id, t.rows[3].first_item.as_deref().unwrap())
        .unwrap();
    assert_eq!(s.question.unwrap().path, "/data/member[4]/name");
    assert_eq!(app.roster_table(&id).unwrap().unwrap().current, 4);
    let err = app.jump_to_item(&id, "/data/member[9]/name").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}
