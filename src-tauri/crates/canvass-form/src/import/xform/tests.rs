//! XForm import tests: every corpus XForm imports without errors, with sane trees; diagnostics
//! name the element path.

use super::import_xform;
use crate::diagnostic::Location;
use crate::model::{NodeKind, QuestionType, RepeatCount};
use crate::test_util::corpus;

/// Every corpus XForm with its (nodes, questions) counts.
const FORMS: &[(&str, usize, usize)] = &[
    ("co_all_widgets.xml", 86, 74),
    ("co_fieldlist_updates.xml", 107, 86),
    ("co_likert_test.xml", 13, 10),
    ("co_repeat_group_form.xml", 14, 10),
    ("vm_liberia_coverage_round2_xform.xml", 188, 168),
    ("wf_child_vaccination_vol_tool.xml", 95, 86),
    ("wf_child_vaccination_vol_tool_alt.xml", 95, 86),
    ("wf_complex_repeats.xml", 22, 10),
    ("wf_eimci_dtree.xml", 378, 308),
    ("wf_itext_basic.xml", 4, 2),
    ("wf_nested_repeat.xml", 8, 4),
    ("wf_nigeria_wards_cascading.xml", 10, 8),
    ("wf_relevant_calculate_group.xml", 8, 5),
    ("wf_three_level_cascading_select.xml", 9, 7),
    ("wf_validation.xml", 9, 7),
];

#[test]
fn corpus_xforms_import_without_errors() {
    for &(name, nodes, questions) in FORMS {
        let imp = import_xform(&corpus(name), name);
        let errors: Vec<String> = imp.errors().map(|d| d.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let form = imp.form.unwrap();
        assert_eq!(
            (form.nodes.len(), form.question_count()),
            (nodes, questions),
            "{name}"
        );
        for n in &form.nodes[1..] {
            assert_eq!(
                n.path,
                format!("{}/{}", form.nodes[n.parent.unwrap()].path, n.name)
            );
        }
    }
}

#[test]
fn xform_details() {
    let f = import_xform(&corpus("wf_three_level_cascading_select.xml"), "x.xml")
        .form
        .unwrap();
    let l2 = &f.nodes[f.find("/data/level2").unwrap()];
    assert_eq!(l2.question_type(), Some(&QuestionType::SelectOne));
    let src = l2.choices.as_ref().unwrap();
    assert_eq!(src.list, "level2");
    assert_eq!(src.filter.as_ref().unwrap().deps, ["/data/level1"]);
    assert_eq!(f.choice_lists["level2"].choices.len(), 10);

    let f = import_xform(&corpus("wf_itext_basic.xml"), "x.xml")
        .form
        .unwrap();
    assert_eq!(f.languages.len(), 2);
    let q = f
        .nodes
        .iter()
        .find(|n| n.is_leaf() && !n.label.is_empty())
        .unwrap();
    assert_eq!(q.label.0.len(), 2, "{:?}", q.label);

    let f = import_xform(&corpus("wf_complex_repeats.xml"), "x.xml")
        .form
        .unwrap();
    assert!(f.nodes.iter().any(|n| matches!(
        n.kind,
        NodeKind::Repeat {
            count: RepeatCount::Dynamic(_) | RepeatCount::Fixed(_)
        }
    )));

    let f = import_xform(&corpus("wf_validation.xml"), "x.xml")
        .form
        .unwrap();
    assert!(f
        .nodes
        .iter()
        .any(|n| n.binds.constraint.is_some() && !n.constraint_message.is_empty()));
}

#[test]
fn diagnostics_name_the_element() {
    let xml = r#"<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
      <h:head><h:title>t</h:title><model>
        <instance><data id="t"><a/><b/></data></instance>
        <bind nodeset="/data/a" type="int"/>
        <bind nodeset="/data/b" relevant="/data/a &gt;"/>
        <bind nodeset="/data/c" type="string"/>
      </model></h:head>
      <h:body><input ref="/data/a"><label>A</label></input><input ref="/data/b"><label>B</label></input></h:body></h:html>"#;
    let imp = import_xform(xml.as_bytes(), "t.xml");
    let got: Vec<(Location, &str)> = imp
        .errors()
        .map(|d| (d.location.clone(), d.message.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(
        got[0].0,
        Location::Element {
            path: "/h:html/h:head/model/bind[2]".into()
        }
    );
    assert!(
        got[0].1.starts_with("syntax error in `/data/a >`"),
        "{}",
        got[0].1
    );
    assert_eq!(
        got[1],
        (
            Location::Element {
                path: "/h:html/h:head/model/bind[3]".into()
            },
            "`<bind>` nodeset `/data/c` is not in the primary instance"
        )
    );
    let f = imp.form.unwrap();
    assert_eq!(
        f.nodes[f.find("/data/a").unwrap()].question_type(),
        Some(&QuestionType::Integer)
    );
}

#[test]
fn garbage_bytes_give_diagnostics_not_panics() {
    for bytes in [
        &b""[..],
        b"<h:html",
        b"\xff\xfe",
        b"<a/>",
        b"<html><head><model/></head></html>",
    ] {
        let imp = import_xform(bytes, "x.xml");
        assert!(imp.form.is_none());
        assert!(!imp.is_clean());
    }
}

#[test]
fn deeply_nested_xml_does_not_overflow() {
    let depth = 20_000;
    let xml = format!(
        "<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:head><model><instance><data>{}{}</data></instance></model></h:head></h:html>",
        "<g>".repeat(depth),
        "</g>".repeat(depth)
    );
    let imp = import_xform(xml.as_bytes(), "deep.xml");
    let errors: Vec<String> = imp.errors().map(|d| d.message.clone()).collect();
    assert_eq!(
        errors,
        ["the primary instance nests deeper than 100 levels"]
    );
}
