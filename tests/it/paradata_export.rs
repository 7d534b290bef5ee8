//! Session-log exports through the CLI, compared byte for byte with golden files in tests/data/export.
//! Refresh them with UPDATE_EXPECT=1 after reviewing a change.

use std::collections::HashMap;
use std::path::Path;

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;

use crate::support::{repo_root, TempDb};

/// Replaces every UUID with `<id-N>` in order of first appearance: ids carry random bits.
fn normalize(text: &str) -> String {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = String::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let candidate = text
            .get(i..i + 36)
            .filter(|c| is_uuid(c))
            .or_else(|| text.get(i..i + 32).filter(|c| is_hex32(c)));
        if let Some(c) = candidate {
            let n = seen.len() + 1;
            let key = c.replace('-', "");
            let n = *seen.entry(key).or_insert(n);
            out.push_str(&format!("<id-{n}>"));
            i += c.len();
        } else {
            out.push(bytes[i] as char);
            i += 1;
        }
    }
    out
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

fn golden(name: &str, actual: &str) {
    let file = repo_root().join("tests/data/export").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&file, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "{name} changed: review it, then rerun with UPDATE_EXPECT=1"
    );
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

/// One completed interview with a change, a clear, a back step and a resume, on a fixed clock (UTC+2).
fn interview(db: &TempDb) -> String {
    let clock = std::sync::Arc::new(
        canvass_app::FixedClock::new(crate::support::FIXED_NOW_MS).with_offset(120),
    );
    let app = canvass_app::App::open(&db.path, clock.clone()).unwrap();
    let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
    clock.advance(2_500);
    app.record_answer(&id, "nps", "6").unwrap();
    clock.advance(1_000);
    app.record_answer(&id, "nps", "9").unwrap();
    clock.advance(500);
    app.next_item(&id).unwrap();
    clock.advance(3_000);
    app.record_answer(&id, "reason", "3").unwrap();
    app.previous_item(&id).unwrap();
    clock.advance(1_000);
    app.next_item(&id).unwrap();
    app.pause_interview(&id).unwrap();
    clock.advance(60_000);
    app.resume_interview(&id).unwrap();
    app.next_item(&id).unwrap();
    clock.advance(4_000);
    app.record_answer(
        &id,
        "comment",
        "Needs \"decaf\", please, and\na second line",
    )
    .unwrap();
    app.record_answer(&id, "comment", "").unwrap();
    app.next_item(&id).unwrap();
    clock.advance(1_000);
    app.next_item(&id).unwrap();
    id
}

fn export(db: &Path, format: &str, out: &Path) {
    let (code, text, err) = cli(&[
        "export",
        "paradata",
        "--db",
        db.to_str().unwrap(),
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("exported "), "{text}");
}

#[test]
fn audit_csv_matches_odk_columns_and_folds_answers_into_question_rows() {
    let db = TempDb::new();
    let id = interview(&db);
    let out = db.dir.path().join("out");
    export(&db.path, "audit-csv", &out);
    let text = std::fs::read_to_string(out.join(&id).join("audit.csv")).unwrap();
    assert!(
        text.starts_with("event,node,start,end,old-value,new-value\n"),
        "{text}"
    );
    golden("audit.csv", &normalize(&text));
}

#[test]
fn combined_csv_jsonl_and_paradata_tab_match_their_golden_files() {
    let db = TempDb::new();
    interview(&db);
    let out = db.dir.path().join("out");
    for (format, file) in [
        ("csv", "paradata.csv"),
        ("jsonl", "paradata.jsonl"),
        ("tab", "paradata.tab"),
    ] {
        export(&db.path, format, &out);
        golden(
            file,
            &normalize(&std::fs::read_to_string(out.join(file)).unwrap()),
        );
    }
    // Every JSON line parses and events come in seq order.
    let jsonl = std::fs::read_to_string(out.join("paradata.jsonl")).unwrap();
    let seqs: Vec<i64> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}

#[test]
fn exporting_into_a_file_path_fails_clearly() {
    let db = TempDb::new();
    interview(&db);
    let blocker = db.dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").unwrap();
    let (code, _, err) = cli(&[
        "export",
        "paradata",
        "--db",
        db.path.to_str().unwrap(),
        "--format",
        "csv",
        "--out",
        blocker.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot write the export file"), "{err}");
    let (code, _, err) = cli(&[
        "export",
        "paradata",
        "--db",
        db.path.to_str().unwrap(),
        "--format",
        "xls",
        "--out",
        "x",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn an_export_reports_progress_and_a_cancel_writes_nothing() {
    let db = TempDb::new();
    let id = interview(&db);
    let app = canvass_app::App::open(&db.path, db.app().1).unwrap();
    let out = db.dir.path().join("out");
    let format = canvass_app::export::paradata::ParadataFormat::Jsonl;

    let mut seen = Vec::new();
    let summary = canvass_app::export::export_paradata_with_progress(
        &app,
        format,
        &out,
        None,
        &mut |done, total| {
            seen.push((done, total));
            true
        },
    )
    .unwrap();
    assert_eq!(seen, vec![(0, 1), (1, 1)]);
    assert_eq!(summary.interviews, 1);
    assert!(std::fs::read_to_string(out.join("paradata.jsonl"))
        .unwrap()
        .contains(&id));

    let cancelled = db.dir.path().join("cancelled");
    let err = canvass_app::export::export_paradata_with_progress(
        &app,
        format,
        &cancelled,
        None,
        &mut |done, _| done == 0,
    )
    .unwrap_err();
    assert!(matches!(err, canvass_app::Error::ExportCancelled), "{err}");
    assert!(!cancelled.exists(), "a cancelled export writes nothing");
}
