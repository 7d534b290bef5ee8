//! The driver over an in-memory source: the engine leaves hidden answers out, a missing version and a cancel stop the export without leaving files.

use std::sync::Arc;

use canvass_form::Questionnaire;

use crate::{export, DataExportOptions, DataFormat, Error, Interview, Meta, RecordSource};

/// The data-export tests' study: `why` is shown only when `sat` is 1, `works` only for members aged 16 or more.
fn survey() -> Arc<Questionnaire> {
    let bytes = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../tests/data/export/data/survey.xml"
    ));
    Arc::new(
        canvass_form::import_xform(bytes, "survey.xml")
            .form
            .expect("the test survey imports"),
    )
}

/// Interviews held in memory, handed over in pages of one.
struct Memory {
    interviews: Vec<Interview>,
    form: Arc<Questionnaire>,
    forms_asked: usize,
}

impl RecordSource for Memory {
    type Error = Error;
    fn count(&mut self) -> Result<usize, Error> {
        Ok(self.interviews.len())
    }
    fn next_page(&mut self) -> Result<Vec<Interview>, Error> {
        Ok(if self.interviews.is_empty() {
            Vec::new()
        } else {
            vec![self.interviews.remove(0)]
        })
    }
    fn form(&mut self, version: &str) -> Result<Option<Arc<Questionnaire>>, Error> {
        self.forms_asked += 1;
        Ok((version == "1").then(|| self.form.clone()))
    }
}

fn interview(id: &str, version: &str, answers: &[(&str, &str)]) -> Interview {
    Interview {
        meta: Meta {
            id: id.to_owned(),
            status: "completed".to_owned(),
            created_at: 0,
            updated_at: 60_000,
            completed_at: Some(60_000),
            questionnaire_version: version.to_owned(),
        },
        answers: answers
            .iter()
            .map(|(p, v)| ((*p).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn source(interviews: Vec<Interview>) -> Memory {
    Memory {
        interviews,
        form: survey(),
        forms_asked: 0,
    }
}

#[test]
fn hidden_answers_are_left_out_and_each_version_is_asked_for_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = source(vec![
        interview(
            "a",
            "1",
            &[
                ("/data/member[1]/age", "10"),
                ("/data/member[1]/works", "1"),
                ("/data/nps", "9"),
                ("/data/sat", "2"),
                ("/data/why", "price"),
            ],
        ),
        interview("b", "1", &[("/data/sat", "1"), ("/data/why", "staff")]),
    ]);
    let form = survey();
    let options = DataExportOptions::new("cx_survey", DataFormat::Csv);
    let summary = export(&mut src, &form, &options, dir.path(), &mut |_, _| true).unwrap();
    assert_eq!((summary.interviews, summary.rows), (2, 3));
    assert_eq!(
        src.forms_asked, 1,
        "a version is compiled and asked for once"
    );
    let main = std::fs::read_to_string(dir.path().join("cx_survey.csv")).unwrap();
    let lines: Vec<&str> = main.lines().collect();
    assert_eq!(
        lines[1],
        "a,completed,1970-01-01T00:00:00.000Z,1970-01-01T00:01:00.000Z,1970-01-01T00:01:00.000Z,9,2,,,,,"
    );
    assert!(lines[2].contains(",1,staff,0,1,0,"), "{main}");
    let members = std::fs::read_to_string(dir.path().join("cx_survey-member.csv")).unwrap();
    assert_eq!(
        members, "parent_key,key,name,age,works\na,a/member[1],,10,\n",
        "the child's `works` is hidden"
    );
}

#[test]
fn a_missing_version_names_the_interview_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = source(vec![
        interview("a", "1", &[("/data/nps", "9")]),
        interview("b", "7", &[("/data/nps", "3")]),
    ]);
    let form = survey();
    for format in [DataFormat::Csv, DataFormat::Sav, DataFormat::Xml] {
        src.interviews = vec![
            interview("a", "1", &[("/data/nps", "9")]),
            interview("b", "7", &[("/data/nps", "3")]),
        ];
        let options = DataExportOptions::new("cx_survey", format);
        let err = export(&mut src, &form, &options, dir.path(), &mut |_, _| true).unwrap_err();
        assert!(
            matches!(&err, Error::VersionMissing { interview, version, .. } if interview == "b" && version == "7"),
            "{err}"
        );
        assert!(err.to_string().contains("cx_survey version 7"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{format:?} left {left:?}");
    }
}

#[test]
fn a_cancel_or_an_unknown_language_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let form = survey();
    let mut src = source(vec![interview("a", "1", &[("/data/nps", "9")])]);
    let options = DataExportOptions::new("cx_survey", DataFormat::Jsonl);
    let err = export(&mut src, &form, &options, dir.path(), &mut |done, _| {
        done == 0
    })
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let mut options = DataExportOptions::new("cx_survey", DataFormat::Csv);
    options.language = Some("Klingon".to_owned());
    let err = export(&mut src, &form, &options, dir.path(), &mut |_, _| true).unwrap_err();
    assert!(err.to_string().contains("Klingon"), "{err}");
}

#[test]
fn dates_are_utc_days() {
    assert_eq!(
        crate::day_start_ms("from", "2026-11-22"),
        Ok(1_795_305_600_000)
    );
    let e = crate::day_start_ms("to", "22.11.2026").unwrap_err();
    assert!(
        e.contains("--to 22.11.2026") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
}
