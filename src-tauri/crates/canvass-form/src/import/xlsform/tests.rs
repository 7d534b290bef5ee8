//! XLSForm import tests: the corpus imports cleanly with sane trees; hand-built workbooks check
//! that each diagnostic names the right sheet, row and column.

use super::import_xlsform;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::model::{DefaultValue, NodeKind, QuestionType, RepeatCount};
use crate::test_util::{corpus, workbook};

/// Corpus XLSForms that must import without errors, with (nodes, questions) counts.
const CLEAN: &[(&str, usize, usize)] = &[
    ("px_tutorial.xls", 14, 11),
    ("px_xlsform_spec_test.xlsx", 57, 50),
    ("px_choice_filter_test.xlsx", 6, 4),
    ("px_cascading_select.xls", 12, 10),
    ("wf_all_question_types.xlsx", 99, 86),
    ("vm_liberia_std_form.xlsx", 14, 8),
    ("wf_socio_economic_survey.xlsx", 25, 18),
    ("px_specify_other.xlsx", 5, 3),
    ("wf_who_verbal_autopsy.xlsx", 564, 531),
    ("wf_ifrc_distribution_site_assessment.xls", 136, 96),
];

#[test]
fn corpus_forms_import_without_errors() {
    for &(name, nodes, questions) in CLEAN {
        let imp = import_xlsform(&corpus(name), name);
        let errors: Vec<String> = imp.errors().map(|d| d.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let warnings: Vec<String> = imp.diagnostics.iter().map(|d| d.to_string()).collect();
        let expected: &[&str] = match name {
            "px_xlsform_spec_test.xlsx" => &[
                "warning: sheet `survey` row 12 column `appearance`: unknown appearance `autocomplete_chars` is ignored",
                "warning: sheet `survey`: no `audio::english` column: english shows the default language's audio",
                "warning: sheet `survey`: no `hint::english` column: english shows the default language's hint",
                "warning: sheet `survey`: no `image::chinese` column: chinese shows the default language's image",
                "warning: sheet `choices`: no `label::english` column: english shows the default language's label",
            ],
            "wf_who_verbal_autopsy.xlsx" => &[
                "warning: sheet `survey`: no `constraint_message::French` column: French shows the default language's constraint_message",
                "warning: sheet `survey`: no `hint::French` column: French shows the default language's hint",
                "warning: sheet `survey`: no `label::French` column: French shows the default language's label",
            ],
            "wf_all_question_types.xlsx" => &["warning: sheet `survey` row 83 column `type`: choices come from the attachment `cities.geojson`, which the import does not read"],
            _ => &[],
        };
        assert_eq!(warnings, expected, "{name}");
        let form = imp.form.unwrap();
        // Counts include the `meta/instanceID` pyxform adds.
        assert_eq!(
            (form.nodes.len(), form.question_count()),
            (nodes, questions),
            "{name}"
        );
        // Every path is the parent's path plus the name, under the root element.
        for n in &form.nodes[1..] {
            let parent = &form.nodes[n.parent.unwrap()];
            assert_eq!(n.path, format!("{}/{}", parent.path, n.name));
            assert!(n.path.starts_with(&format!("/{}/", form.root_name)));
        }
    }
}

#[test]
fn corpus_forms_with_genuine_errors_report_them() {
    let imp = import_xlsform(
        &corpus("vm_liberia_coverage_round2.xlsx"),
        "vm_liberia_coverage_round2.xlsx",
    );
    let errors: Vec<&Diagnostic> = imp.errors().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].location,
        Location::Cell {
            sheet: "choices".into(),
            row: 126,
            column: "name".into()
        }
    );
    assert_eq!(
        errors[0].message,
        "choice `4` appears twice in list `district`"
    );
    // Nameless notes are named as pyxform names them, so this form imports cleanly.
    let imp = import_xlsform(
        &corpus("px_repeat_date_test.xls"),
        "px_repeat_date_test.xls",
    );
    assert!(imp.is_clean(), "{:#?}", imp.diagnostics);
    let form = imp.form.unwrap();
    assert!(form.find("/data/generated_note_name_2").is_some());
    assert!(form.find("/data/generated_note_name_8").is_some());
}

#[test]
fn corpus_details() {
    let form = import_xlsform(&corpus("px_tutorial.xls"), "px_tutorial.xls")
        .form
        .unwrap();
    let paths: Vec<&str> = form.nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        &paths[..4],
        [
            "/data",
            "/data/member",
            "/data/member/name",
            "/data/member/relationship_to_household_head"
        ]
    );
    assert!(form.nodes[1].is_repeat());
    assert_eq!(form.id, "px_tutorial");
    assert_eq!(form.root_name, "data");
    let form = import_xlsform(&corpus("px_xlsform_spec_test.xlsx"), "x.xlsx")
        .form
        .unwrap();
    assert!(
        form.languages.iter().any(|l| l == "english"),
        "{:?}",
        form.languages
    );
    // pyxform heads a table-list group with a select named after its first select's row.
    let header = form
        .nodes
        .iter()
        .find(|n| n.name == "reserved_name_for_field_list_labels_25")
        .expect("the table-list header");
    assert_eq!(
        header.path,
        "/data/everything/repeat_test/name/reserved_name_for_field_list_labels_25"
    );
    assert_eq!(header.appearance.as_deref(), Some("label"));
    let form = import_xlsform(&corpus("wf_socio_economic_survey.xlsx"), "x.xlsx")
        .form
        .unwrap();
    assert!(
        form.languages.contains(&"English (en)".to_string())
            && form.languages.contains(&"French (fr)".to_string())
    );
    assert!(form.nodes.iter().any(|n| n.is_repeat()));
    let form = import_xlsform(&corpus("px_choice_filter_test.xlsx"), "x.xlsx")
        .form
        .unwrap();
    assert!(form
        .nodes
        .iter()
        .any(|n| n.choices.as_ref().is_some_and(|c| c.filter.is_some())));
    let form = import_xlsform(&corpus("px_specify_other.xlsx"), "x.xlsx")
        .form
        .unwrap();
    let other = form
        .nodes
        .iter()
        .find(|n| n.name.ends_with("_other"))
        .unwrap();
    assert_eq!(
        other.binds.relevant.as_ref().unwrap().source,
        format!(
            "selected(${{{}}}, 'other')",
            &other.name[..other.name.len() - 6]
        )
    );
}

fn one_error(sheets: &[(&str, &[&[&str]])]) -> Diagnostic {
    let imp = import_xlsform(&workbook(sheets), "t.xlsx");
    let errors: Vec<Diagnostic> = imp.errors().cloned().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

fn cell(sheet: &str, row: u32, column: &str) -> Location {
    Location::Cell {
        sheet: sheet.into(),
        row,
        column: column.into(),
    }
}

#[test]
fn diagnostics_name_sheet_row_and_column() {
    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label"],
            &["integer", "age", "Age"],
            &["decimale", "w", "W"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 3, "type"),
            "unknown question type `decimale`"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label", "relevant"],
            &["integer", "age", "Age", ""],
            &["text", "x", "X", "${age} >"],
        ],
    )]);
    assert_eq!(d.location, cell("survey", 3, "relevant"));
    assert!(
        d.message
            .starts_with("syntax error in `${age} >` at character"),
        "{}",
        d.message
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label", "constraint"],
            &["integer", "age", "Age", "frob(.) < 3"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 2, "constraint"),
            "in `frob(.) < 3`: function `frob` is not supported"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label", "relevant"],
            &["integer", "age", "Age", ""],
            &["text", "x", "X", "${agee} > 3"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 3, "relevant"),
            "`${agee}` at character 1 of `${agee} > 3` does not name a question"
        )
    );

    let d = one_error(&[
        (
            "survey",
            &[&["type", "name", "label"], &["select_one yn", "q", "Q"]],
        ),
        (
            "choices",
            &[&["list_name", "name", "label"], &["yesno", "y", "Yes"]],
        ),
    ]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 2, "type"),
            "choice list `yn` is not in the choices sheet"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label"],
            &["begin group", "g", "G"],
            &["text", "a", "A"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 2, "type"),
            "`begin group` has no matching end"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label"],
            &["begin repeat", "r", "R"],
            &["text", "a", "A"],
            &["end group", "", ""],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 4, "type"),
            "`end group` closes the `begin repeat` of row 2"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label"],
            &["text", "a", "A"],
            &["text", "a", "B"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 3, "name"),
            "`a` is already used in the same group at row 2"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label", "calculation"],
            &["calculate", "a", "", "${b} + 1"],
            &["calculate", "b", "", "${a} * 2"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 2, "calculation"),
            "calculations form a cycle: a -> b -> a"
        )
    );

    let d = one_error(&[(
        "survey",
        &[&["type", "name", "label"], &["csv-external", "ext", ""]],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 2, "type"),
            "question type `csv-external` is not supported"
        )
    );

    let d = one_error(&[("survey", &[&["type", "label"], &["text", "A"]])]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            Location::Sheet {
                sheet: "survey".into()
            },
            "the survey sheet has no `name` column"
        )
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label::English (en)"],
            &["text", "a", "A"],
            &["note", "b", "You said ${a} and ${z}"],
        ],
    )]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (
            cell("survey", 3, "label::English (en)"),
            "`${z}` at character 19 of `You said ${a} and ${z}` does not name a question"
        )
    );

    let d = one_error(&[("choices", &[&["list_name", "name", "label"]])]);
    assert_eq!(
        (d.location, d.message.as_str()),
        (Location::Form, "the workbook has no `survey` sheet")
    );

    let d = one_error(&[(
        "survey",
        &[
            &["type", "name", "label", "relevant"],
            &["begin group", "g1", "", ""],
            &["text", "a", "A", ""],
            &["end group", "", "", ""],
            &["begin group", "g2", "", ""],
            &["text", "a", "A", ""],
            &["end group", "", "", ""],
            &["text", "z", "Z", "${a} = 1"],
        ],
    )]);
    assert_eq!(d.location, cell("survey", 8, "relevant"));
    assert_eq!(
        d.message,
        "`${a}` in `${a} = 1` is ambiguous: several questions are named `a`"
    );
}

#[test]
fn garbage_bytes_give_diagnostics_not_panics() {
    for bytes in [
        &b""[..],
        b"not a workbook",
        &[0xD0, 0xCF, 0x11, 0xE0, 0, 1, 2, 3],
        b"PK\x03\x04garbage",
    ] {
        let imp = import_xlsform(bytes, "x.xlsx");
        assert!(imp.form.is_none());
        assert_eq!(imp.diagnostics.len(), 1);
        assert_eq!(imp.diagnostics[0].severity, Severity::Error);
    }
}

#[test]
fn model_fields_are_read() {
    let bytes = workbook(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::French (fr)",
                    "hint",
                    "read_aloud::English (en)",
                    "instructions::English (en)",
                    "required",
                    "default",
                    "appearance",
                    "parameters",
                    "repeat_count",
                    "trigger",
                    "calculation",
                    "choice_filter",
                ],
                &[
                    "begin group",
                    "hh",
                    "Household",
                    "Ménage",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "field-list",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "integer",
                    "n",
                    "How many?",
                    "Combien ?",
                    "a number",
                    "Say: how many?",
                    "Probe",
                    "yes",
                    "2",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "date", "d", "Date", "", "", "", "", "", "today()", "", "", "", "", "", "",
                ],
                &[
                    "range",
                    "r",
                    "R",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "start=1 end=5 step=2",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "select_one c",
                    "s",
                    "S",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "randomize=true, seed=${n}",
                    "",
                    "",
                    "",
                    "x = ${n}",
                ],
                &[
                    "end group",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "begin repeat",
                    "m",
                    "Member",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "${n}",
                    "",
                    "",
                    "",
                ],
                &[
                    "text", "nm", "Name", "", "", "", "", "", "", "", "", "", "", "", "",
                ],
                &[
                    "end repeat",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "text",
                    "t",
                    "T",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "${n}",
                    "concat('x', ${n})",
                    "",
                ],
            ],
        ),
        (
            "choices",
            &[
                &["list name", "name", "label::English (en)", "x"],
                &["c", "a", "A", "2"],
                &["c", "b", "B", "3"],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "version", "form_title", "default_language"],
                &["f1", "2025010101", "Title", "English (en)"],
            ],
        ),
    ]);
    let imp = import_xlsform(&bytes, "t.xlsx");
    assert!(imp.is_clean(), "{:#?}", imp.diagnostics);
    let f = imp.form.unwrap();
    assert_eq!(
        (f.id.as_str(), f.version.as_deref(), f.title.as_str()),
        ("f1", Some("2025010101"), "Title")
    );
    assert_eq!(f.languages, ["English (en)", "French (fr)"]);
    let n = &f.nodes[f.find("/data/hh/n").unwrap()];
    assert_eq!(n.label.get(Some("French (fr)"), None), Some("Combien ?"));
    assert_eq!(n.hint.get(None, Some("English (en)")), Some("a number"));
    assert_eq!(
        n.read_aloud.get(Some("English (en)"), None),
        Some("Say: how many?")
    );
    assert_eq!(
        n.instructions.get(Some("English (en)"), None),
        Some("Probe")
    );
    assert!(n.binds.required.is_some());
    assert_eq!(n.binds.default, Some(DefaultValue::Literal("2".into())));
    assert!(matches!(
        f.nodes[f.find("/data/hh/d").unwrap()].binds.default,
        Some(DefaultValue::Dynamic(_))
    ));
    assert_eq!(
        f.nodes[f.find("/data/hh").unwrap()].kind,
        NodeKind::Group { field_list: true }
    );
    assert_eq!(
        f.nodes[f.find("/data/hh/r").unwrap()].kind,
        NodeKind::Question(QuestionType::Range {
            start: 1.0,
            end: 5.0,
            step: 2.0
        })
    );
    let s = &f.nodes[f.find("/data/hh/s").unwrap()];
    assert_eq!(
        s.parameters.get("randomize").map(String::as_str),
        Some("true")
    );
    assert_eq!(s.seed.as_ref().unwrap().deps, ["/data/hh/n"]);
    assert_eq!(
        s.choices.as_ref().unwrap().filter.as_ref().unwrap().deps,
        ["/data/hh/n"]
    );
    assert_eq!(
        f.choice_lists["c"].choices[1]
            .extra
            .get("x")
            .map(String::as_str),
        Some("3")
    );
    match &f.nodes[f.find("/data/m").unwrap()].kind {
        NodeKind::Repeat {
            count: RepeatCount::Dynamic(e),
        } => assert_eq!(e.deps, ["/data/hh/n"]),
        other => panic!("{other:?}"),
    }
    let t = &f.nodes[f.find("/data/t").unwrap()];
    assert_eq!(t.binds.trigger, ["/data/hh/n"]);
    assert!(f.find("/data/meta/instanceID").is_some());
}

#[test]
fn damaged_corpus_files_never_panic() {
    for name in ["px_tutorial.xls", "px_choice_filter_test.xlsx"] {
        let good = corpus(name);
        for cut in [10, good.len() / 3, good.len() / 2, good.len() - 7] {
            let imp = import_xlsform(&good[..cut], name);
            assert!(!imp.is_clean() || imp.form.is_some());
        }
        for at in (0..good.len()).step_by(good.len() / 17 + 1) {
            let mut bad = good.clone();
            bad[at] ^= 0x5A;
            let _ = import_xlsform(&bad, name);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_an_overflow() {
    let names: Vec<String> = (0..150).map(|i| format!("g{i}")).collect();
    let mut rows: Vec<Vec<&str>> = vec![vec!["type", "name", "label"]];
    rows.extend(names.iter().map(|n| vec!["begin group", n.as_str(), "G"]));
    rows.push(vec!["text", "q", "Q"]);
    rows.extend((0..150).map(|_| vec!["end group", "", ""]));
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let imp = import_xlsform(&workbook(&[("survey", &rows)]), "deep.xlsx");
    let errors: Vec<Diagnostic> = imp.errors().cloned().collect();
    assert_eq!(errors.len(), 50);
    assert_eq!(errors[0].location, cell("survey", 102, "type"));
    assert_eq!(
        errors[0].message,
        "groups and repeats nest deeper than 100 levels"
    );
    let _ = crate::runtime::Instance::new(imp.form.unwrap(), crate::test_util::ctx());
}
