//! Data exports (CSV, JSON Lines, XLSX, SPSS .sav, Stata .dta) over a two-language study with a roster and hidden answers.
//!
//! The study is tests/data/export/data/survey.xml: `why` is shown only when `sat`
//! is 1 and `works` only for members aged 16 or more, so changing `sat` or an age
//! after answering leaves stored answers that the export must leave out.
//! CSV and JSON Lines are pinned by golden files (refresh with UPDATE_EXPECT=1
//! after reviewing a change); `.sav` and `.dta` are read back by pyreadstat.

use std::path::Path;

use canvass_app::export::data::{
    export_data, export_data_with_progress, DataExportOptions, DataFormat,
};
use canvass_app::{App, ErrorKind, FixedClock};

use crate::support::{repo_root, TempDb};

const STUDY: &str = "cx_survey";
const UK: &str = "Ukrainian (uk)";

/// Installs the survey and answers three interviews; returns the two completed ids in export order.
fn study(db: &TempDb) -> (App, Vec<String>) {
    let (app, clock) = db.app();
    let bytes = std::fs::read(repo_root().join("tests/data/export/data/survey.xml")).unwrap();
    app.install_form(&bytes, "survey.xml").unwrap();
    let ids = answer_study(&app, &clock);
    (app, ids)
}

/// Answers the survey's three interviews on `app` (two completed, one left as a draft),
/// moving `clock` a minute between them; returns the two completed ids in export order.
/// The server's data-export test answers the same interviews on a synced device.
pub(crate) fn answer_study(app: &App, clock: &FixedClock) -> Vec<String> {
    let a = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&a, "/data/nps", "9").unwrap();
    app.record_answer(&a, "/data/sat", "1").unwrap();
    app.record_answer(&a, "/data/why", "price speed").unwrap();
    // `why` stays stored but is no longer relevant: the export must leave it out.
    app.record_answer(&a, "/data/sat", "2").unwrap();
    app.record_answer(&a, "/data/comment", "Fine, \"mostly\"")
        .unwrap();
    app.record_answer(&a, "/data/member[1]/name", "Anna")
        .unwrap();
    app.record_answer(&a, "/data/member[1]/age", "34").unwrap();
    app.record_answer(&a, "/data/member[1]/works", "1").unwrap();
    app.add_repeat(&a, "/data/member").unwrap();
    app.record_answer(&a, "/data/member[2]/name", "Bo").unwrap();
    app.record_answer(&a, "/data/member[2]/age", "20").unwrap();
    app.record_answer(&a, "/data/member[2]/works", "0").unwrap();
    // Bo is a child after all: `works` becomes hidden.
    app.record_answer(&a, "/data/member[2]/age", "10").unwrap();
    app.complete_interview(&a).unwrap();

    clock.advance(60_000);
    let b = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&b, "/data/nps", "3").unwrap();
    app.record_answer(&b, "/data/sat", "1").unwrap();
    app.record_answer(&b, "/data/why", "staff").unwrap();
    app.complete_interview(&b).unwrap();

    clock.advance(60_000);
    let c = app.start_interview(STUDY).unwrap().interview_id;
    app.record_answer(&c, "/data/nps", "10").unwrap();

    let mut ids = vec![a, b];
    ids.sort();
    ids
}

/// The file's text with interview ids replaced by `<A>`, `<B>` in export order.
fn read(path: &Path, ids: &[String]) -> String {
    let mut text = std::fs::read_to_string(path).unwrap();
    for (id, name) in ids.iter().zip(["<A>", "<B>"]) {
        text = text.replace(id.as_str(), name);
    }
    text
}

fn golden(name: &str, actual: &str) {
    let file = repo_root().join("tests/data/export/data").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&file, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "{name} changed: review it, then rerun with UPDATE_EXPECT=1"
    );
}

#[test]
fn csv_has_one_wide_table_and_one_per_repeat_without_hidden_answers() {
    let db = TempDb::new();
    let (app, ids) = study(&db);
    let out = db.dir.path().join("csv");
    let summary = export_data(&app, &DataExportOptions::new(STUDY, DataFormat::Csv), &out).unwrap();
    assert_eq!(
        summary.interviews, 2,
        "the unfinished interview is not exported"
    );
    assert_eq!(summary.rows, 4, "two interviews and two members");
    let main = read(&out.join("cx_survey.csv"), &ids);
    assert!(
        !main.contains("price speed"),
        "a hidden answer leaked:\n{main}"
    );
    golden("codes.csv", &main);
    golden(
        "codes-member.csv",
        &read(&out.join("cx_survey-member.csv"), &ids),
    );

    let mut labels = DataExportOptions::new(STUDY, DataFormat::Csv);
    labels.labels = true;
    labels.language = Some(UK.to_owned());
    let out = db.dir.path().join("labels");
    export_data(&app, &labels, &out).unwrap();
    golden("labels_uk.csv", &read(&out.join("cx_survey.csv"), &ids));
    golden(
        "labels_uk-member.csv",
        &read(&out.join("cx_survey-member.csv"), &ids),
    );
}

#[test]
fn jsonl_nests_repeats_and_filters_by_status() {
    let db = TempDb::new();
    let (app, ids) = study(&db);
    let out = db.dir.path().join("jsonl");
    export_data(
        &app,
        &DataExportOptions::new(STUDY, DataFormat::Jsonl),
        &out,
    )
    .unwrap();
    golden("codes.jsonl", &read(&out.join("cx_survey.jsonl"), &ids));

    let mut drafts = DataExportOptions::new(STUDY, DataFormat::Jsonl);
    drafts.statuses = vec!["in_progress".to_owned()];
    let out = db.dir.path().join("drafts");
    let summary = export_data(&app, &drafts, &out).unwrap();
    assert_eq!(summary.interviews, 1);
    let text = std::fs::read_to_string(out.join("cx_survey.jsonl")).unwrap();
    assert!(text.contains("\"nps\":10"), "{text}");
}

#[test]
fn a_cancelled_export_leaves_no_file_and_unknown_names_are_refused() {
    let db = TempDb::new();
    let (app, _) = study(&db);
    let out = db.dir.path().join("cancelled");
    let err = export_data_with_progress(
        &app,
        &DataExportOptions::new(STUDY, DataFormat::Csv),
        &out,
        &mut |done, _| done == 0,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "no file is left behind"
    );

    let err =
        export_data(&app, &DataExportOptions::new("nope", DataFormat::Csv), &out).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let mut bad = DataExportOptions::new(STUDY, DataFormat::Csv);
    bad.language = Some("Klingon".to_owned());
    let err = export_data(&app, &bad, &out).unwrap_err();
    assert!(err.to_string().contains("Klingon"), "{err}");
}

#[test]
fn the_cli_exports_data() {
    let db = TempDb::new();
    let (app, _) = study(&db);
    drop(app);
    let out = db.dir.path().join("cli");
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = canvass_cli::run(
        [
            "canvass",
            "export",
            "data",
            "--db",
            db.path.to_str().unwrap(),
            "--study",
            STUDY,
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--labels",
            "--language",
            UK,
        ],
        &mut stdout,
        &mut stderr,
    );
    let stdout = String::from_utf8(stdout).unwrap();
    assert_eq!(code, 0, "{stdout}{}", String::from_utf8_lossy(&stderr));
    assert!(stdout.contains("exported 2 interviews (4 rows"), "{stdout}");
    let text = std::fs::read_to_string(out.join("cx_survey.csv")).unwrap();
    assert!(text.contains("Нейтрально"), "{text}");
}

/// Reads a `.sav` or `.dta` file with pyreadstat (an independent reader built on ReadStat) and
/// returns what it saw as JSON: names, variable labels, value labels and rows.
pub(crate) fn pyreadstat(path: &Path) -> serde_json::Value {
    let script = r#"
import json, math, sys
import pyreadstat
path = sys.argv[1]
read = pyreadstat.read_sav if path.endswith(".sav") else pyreadstat.read_dta
data, meta = read(path, output_format="dict")
def cell(v):
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else v
    return v
print(json.dumps({
    "names": list(meta.column_names),
    "labels": dict(zip(meta.column_names, meta.column_labels)),
    "value_labels": {var: {str(int(k)): v for k, v in labels.items()}
                     for var, labels in meta.variable_value_labels.items()},
    "rows": [[cell(v) for v in row] for row in zip(*[list(data[n]) for n in meta.column_names])],
}, ensure_ascii=False))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .expect("python3 runs (installed by .ci/deps.sh test)");
    assert!(
        out.status.success(),
        "pyreadstat could not read {} (install it with `. .ci/deps.sh && canvass_deps test`):\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks what pyreadstat reads back from a `.sav` or `.dta` export, in English or Ukrainian.
pub(crate) fn check_stat_files(dir: &Path, ext: &str, ids: &[String], uk: bool) {
    let main = pyreadstat(&dir.join(format!("cx_survey.{ext}")));
    assert_eq!(
        main["names"],
        serde_json::json!([
            "interview_id",
            "status",
            "created_at",
            "updated_at",
            "completed_at",
            "nps",
            "sat",
            "why",
            "why_price",
            "why_staff",
            "why_speed",
            "comment"
        ])
    );
    let (nps, neutral, price) = if uk {
        (
            "Наскільки ймовірно, що ви порекомендуєте нас?",
            "Нейтрально",
            "Що вам сподобалося?: Ціна",
        )
    } else {
        (
            "How likely are you to recommend us?",
            "Neutral",
            "What did you like?: Price",
        )
    };
    assert_eq!(main["labels"]["nps"], nps);
    assert_eq!(main["labels"]["why_price"], price);
    assert_eq!(main["value_labels"]["sat"]["2"], neutral);
    assert_eq!(main["value_labels"]["sat"].as_object().unwrap().len(), 3);
    let rows = main["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // A: sat 2 hides `why`, so the stored "price speed" is not there and the dummies are missing.
    assert_eq!(rows[0][0], ids[0].as_str());
    assert_eq!(rows[0][5], 9);
    assert_eq!(rows[0][6], 2);
    assert!(rows[0][7].as_str().unwrap_or("").is_empty(), "{}", rows[0]);
    assert_eq!(rows[0][8], serde_json::Value::Null);
    assert_eq!(rows[0][11], "Fine, \"mostly\"");
    assert_eq!(rows[1][7], "staff");
    assert_eq!(
        (rows[1][8].clone(), rows[1][9].clone()),
        (0.into(), 1.into())
    );

    let member = pyreadstat(&dir.join(format!("cx_survey-member.{ext}")));
    assert_eq!(
        member["names"],
        serde_json::json!(["parent_key", "key", "name", "age", "works"])
    );
    assert_eq!(
        member["value_labels"]["works"]["1"],
        if uk { "Так" } else { "Yes" }
    );
    let rows = member["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], ids[0].as_str());
    assert_eq!(rows[1][1], format!("{}/member[2]", ids[0]));
    assert_eq!(rows[1][2], "Bo");
    assert_eq!(rows[1][3], 10);
    assert_eq!(
        rows[1][4],
        serde_json::Value::Null,
        "Bo's hidden `works` is left out"
    );
    assert_eq!(rows[0][4], 1);
}

#[test]
fn sav_and_dta_read_back_with_variable_and_value_labels() {
    let db = TempDb::new();
    let (app, ids) = study(&db);
    for (format, ext) in [(DataFormat::Sav, "sav"), (DataFormat::Dta, "dta")] {
        let out = db.dir.path().join(ext);
        let summary = export_data(&app, &DataExportOptions::new(STUDY, format), &out).unwrap();
        assert_eq!(summary.files.len(), 2);
        check_stat_files(&out, ext, &ids, false);

        let mut uk = DataExportOptions::new(STUDY, format);
        uk.language = Some(UK.to_owned());
        let out = db.dir.path().join(format!("{ext}-uk"));
        export_data(&app, &uk, &out).unwrap();
        check_stat_files(&out, ext, &ids, true);
        let left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".part") || n.contains(".spool"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
}

#[test]
fn xlsx_has_a_sheet_per_table_and_a_labels_sheet() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let db = TempDb::new();
    let (app, ids) = study(&db);
    let mut options = DataExportOptions::new(STUDY, DataFormat::Xlsx);
    options.labels = true;
    let out = db.dir.path().join("xlsx");
    export_data(&app, &options, &out).unwrap();
    let mut book: Xlsx<_> = open_workbook(out.join("cx_survey.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), vec!["data", "member", "labels"]);
    let data = book.worksheet_range("data").unwrap();
    let cell = |r: u32, c: u32| data.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 6), Data::String("sat".into()));
    assert_eq!(cell(1, 0), Data::String(ids[0].clone()));
    assert_eq!(cell(1, 5), Data::Float(9.0));
    assert_eq!(
        cell(1, 6),
        Data::String("Neutral".into()),
        "labels, not codes"
    );
    assert_eq!(cell(1, 7), Data::Empty, "the hidden answer is left out");
    assert_eq!(cell(2, 7), Data::String("Staff".into()));
    assert_eq!(cell(2, 9), Data::Float(1.0));
    let member = book.worksheet_range("member").unwrap();
    assert_eq!(member.height(), 3);
    let labels = book.worksheet_range("labels").unwrap();
    let found = labels.rows().any(|r| {
        r.get(1) == Some(&Data::String("nps".into()))
            && r.get(2) == Some(&Data::String("How likely are you to recommend us?".into()))
    });
    assert!(found, "the labels sheet names every question");
    let found = labels.rows().any(|r| {
        r.get(4) == Some(&Data::String("3".into()))
            && r.get(5) == Some(&Data::String("Dissatisfied".into()))
    });
    assert!(found, "the labels sheet lists the choices");
}

#[test]
fn a_roster_form_exports_every_member_and_the_values_the_engine_fills_in() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let bytes = std::fs::read(repo_root().join("tests/data/forms/household_v1.xml")).unwrap();
    app.install_form(&bytes, "household_v1.xml").unwrap();
    let id = app.start_interview("household").unwrap().interview_id;
    app.record_answer(&id, "/data/pets", "2").unwrap();
    app.record_answer(&id, "/data/member[1]/name", "Ann")
        .unwrap();
    app.record_answer(&id, "/data/member[1]/age", "40").unwrap();
    app.add_repeat(&id, "/data/member").unwrap();
    app.record_answer(&id, "/data/member[2]/name", "Ben")
        .unwrap();
    app.record_answer(&id, "/data/member[2]/age", "7").unwrap();
    app.complete_interview(&id).unwrap();
    let out = db.dir.path().join("household");
    export_data(
        &app,
        &DataExportOptions::new("household", DataFormat::Csv),
        &out,
    )
    .unwrap();
    let main = std::fs::read_to_string(out.join("household.csv")).unwrap();
    let mut lines = main.lines();
    assert_eq!(
        lines.next().unwrap(),
        "interview_id,status,created_at,updated_at,completed_at,pets,meta-instanceID"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with(&format!("{id},completed,")), "{row}");
    assert!(
        row.contains(",2,uuid:"),
        "instanceID is filled in by the engine: {row}"
    );
    let members = std::fs::read_to_string(out.join("household-member.csv")).unwrap();
    assert_eq!(
        members,
        format!("parent_key,key,name,age\n{id},{id}/member[1],Ann,40\n{id},{id}/member[2],Ben,7\n")
    );
}

/// A member added on purpose and left empty is a row of the repeat table, as in ODK; the
/// engine's untouched first instance is not. Checked on the engine path (the survey has
/// `relevant` binds) and on the stored-answers path (the same form without them).
#[test]
fn a_member_added_and_left_empty_stays_in_the_data() {
    let survey =
        std::fs::read_to_string(repo_root().join("tests/data/export/data/survey.xml")).unwrap();
    let plain = survey
        .replace(" relevant=\"/data/sat = '1'\"", "")
        .replace(" relevant=\"../age &gt;= 16\"", "");
    assert_ne!(plain, survey, "the plain variant lost its relevant binds");
    for (name, text) in [("engine", &survey), ("stored", &plain)] {
        let db = TempDb::new();
        let (app, _) = db.app();
        app.install_form(text.as_bytes(), "survey.xml").unwrap();
        // An interview that never touches the roster has no member row.
        let untouched = app.start_interview(STUDY).unwrap().interview_id;
        app.record_answer(&untouched, "/data/nps", "7").unwrap();
        app.complete_interview(&untouched).unwrap();
        let id = app.start_interview(STUDY).unwrap().interview_id;
        app.record_answer(&id, "/data/member[1]/name", "Ann")
            .unwrap();
        app.add_repeat(&id, "/data/member").unwrap();
        app.add_repeat(&id, "/data/member").unwrap();
        app.record_answer(&id, "/data/member[3]/name", "Cy")
            .unwrap();
        app.complete_interview(&id).unwrap();
        let out = db.dir.path().join(name);
        export_data(&app, &DataExportOptions::new(STUDY, DataFormat::Csv), &out).unwrap();
        let members = std::fs::read_to_string(out.join("cx_survey-member.csv")).unwrap();
        assert_eq!(
            members,
            format!(
                "parent_key,key,name,age,works\n{id},{id}/member[1],Ann,,\n\
                 {id},{id}/member[2],,,\n{id},{id}/member[3],Cy,,\n"
            ),
            "{name} path"
        );
        export_data(
            &app,
            &DataExportOptions::new(STUDY, DataFormat::Jsonl),
            &out,
        )
        .unwrap();
        let jsonl = std::fs::read_to_string(out.join("cx_survey.jsonl")).unwrap();
        let objects: Vec<serde_json::Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let of = |iid: &str| {
            objects
                .iter()
                .find(|o| o["interview_id"] == iid)
                .unwrap()
                .clone()
        };
        assert_eq!(of(&id)["member"].as_array().unwrap().len(), 3, "{name}");
        assert_eq!(
            of(&untouched)["member"].as_array().unwrap().len(),
            0,
            "{name}"
        );
    }
}

/// ODK submission XML: one file per completed interview, the root named as the form's
/// instance root with `id` and `version`, `meta/instanceID`, the roster nested, the
/// select_multiple space separated, and hidden answers pruned (interview A's `why` and
/// Bo's `works`). Pinned by golden files and parsed back as XML.
#[test]
fn xml_writes_one_odk_submission_per_interview() {
    let db = TempDb::new();
    let (app, ids) = study(&db);
    let out = db.dir.path().join("xml");
    let summary = export_data(&app, &DataExportOptions::new(STUDY, DataFormat::Xml), &out).unwrap();
    assert_eq!(summary.interviews, 2);
    let dir = out.join(STUDY);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected: Vec<String> = ids.iter().map(|id| format!("{id}.xml")).collect();
    assert_eq!(
        names, expected,
        "one file per completed interview, no part files"
    );
    for (id, name) in ids.iter().zip(["A", "B"]) {
        let path = dir.join(format!("{id}.xml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "data");
        assert_eq!(root.attribute("id"), Some(STUDY));
        assert_eq!(root.attribute("version"), Some("1"));
        let instance_id = root
            .descendants()
            .find(|n| n.has_tag_name("instanceID"))
            .and_then(|n| n.text())
            .unwrap();
        assert_eq!(instance_id, format!("uuid:{id}"));
        golden(&format!("submission-{name}.xml"), &read(&path, &ids));
    }
    let a = std::fs::read_to_string(dir.join(format!("{}.xml", ids[0]))).unwrap();
    let b = std::fs::read_to_string(dir.join(format!("{}.xml", ids[1]))).unwrap();
    // Which of the two is Anna's depends on id order; check both shapes by content.
    let (anna, other) = if a.contains("Anna") { (a, b) } else { (b, a) };
    assert!(!anna.contains("<why>"), "a hidden answer leaked:\n{anna}");
    assert!(
        anna.contains("<member><name>Bo</name><age>10</age></member>"),
        "{anna}"
    );
    assert!(other.contains("<why>staff</why>"), "{other}");

    // A cancelled XML export leaves nothing behind.
    let cancelled = db.dir.path().join("cancelled");
    let err = export_data_with_progress(
        &app,
        &DataExportOptions::new(STUDY, DataFormat::Xml),
        &cancelled,
        &mut |done, _| done == 0,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(!cancelled.join(STUDY).exists());
}

/// XML of a form with its own `meta/instanceID` (a group): the engine's `uuid:` value, nested
/// in `meta` once, and the roster members in order.
#[test]
fn xml_keeps_the_forms_own_instance_id_and_groups() {
    let db = TempDb::new();
    let (app, _) = db.app();
    let bytes = std::fs::read(repo_root().join("tests/data/forms/household_v1.xml")).unwrap();
    app.install_form(&bytes, "household_v1.xml").unwrap();
    let id = app.start_interview("household").unwrap().interview_id;
    app.record_answer(&id, "/data/pets", "2").unwrap();
    app.record_answer(&id, "/data/member[1]/name", "Ann")
        .unwrap();
    app.add_repeat(&id, "/data/member").unwrap();
    app.record_answer(&id, "/data/member[2]/name", "Ben")
        .unwrap();
    app.complete_interview(&id).unwrap();
    let out = db.dir.path().join("xml");
    export_data(
        &app,
        &DataExportOptions::new("household", DataFormat::Xml),
        &out,
    )
    .unwrap();
    let text = std::fs::read_to_string(out.join("household").join(format!("{id}.xml"))).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let metas: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("meta"))
        .collect();
    assert_eq!(metas.len(), 1, "{text}");
    let instance = metas[0]
        .children()
        .find(|n| n.has_tag_name("instanceID"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(
        instance.starts_with("uuid:") && instance != format!("uuid:{id}"),
        "{text}"
    );
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("member"))
        .filter_map(|m| m.children().find(|c| c.has_tag_name("name")))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(names, ["Ann", "Ben"]);
}

/// The export dialog's session-log scope: one interview, a study, or everything; an unknown id is refused.
#[test]
fn session_log_scope_takes_ids_a_study_or_everything() {
    let db = TempDb::new();
    let (app, ids) = study(&db);
    let demo = app
        .start_interview(canvass_app::DEMO_STUDY_ID)
        .unwrap()
        .interview_id;
    use canvass_app::export::paradata_scope;
    assert_eq!(paradata_scope(&app, None, None).unwrap(), None);
    let one = paradata_scope(&app, Some(STUDY), Some(std::slice::from_ref(&ids[0]))).unwrap();
    assert_eq!(one, Some(vec![ids[0].clone()]), "ids win over the study");
    let study_ids = paradata_scope(&app, Some(STUDY), None).unwrap().unwrap();
    assert_eq!(study_ids.len(), 3, "both completed and the unfinished one");
    assert!(!study_ids.contains(&demo));
    let err = paradata_scope(&app, None, Some(&["nope".to_owned()])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
