//! Replay tests: trace shape, per-step snapshots, failed steps recorded, load failures.

use super::replay;
use crate::import::{import_xform, import_xlsform};
use crate::test_util::{corpus, ctx, workbook};

fn rows(snapshot: &serde_json::Value) -> Vec<(&str, &serde_json::Value)> {
    snapshot
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r))
        .collect()
}

#[test]
fn trace_records_every_step() {
    let bytes = workbook(&[(
        "survey",
        &[
            &["type", "name", "label", "relevant", "label::French (fr)"],
            &["integer", "n", "N", "", "N fr"],
            &["begin repeat", "member", "Member", "", ""],
            &["integer", "age", "Age", "${n} > 0", ""],
            &["end repeat", "", "", "", ""],
            &["note", "done", "Done", "", ""],
        ],
    )]);
    let imp = import_xlsform(&bytes, "t.xlsx");
    let steps = r#"{"steps": [
        {"set": "/data/n", "value": "2", "intent": "comment"},
        {"add_repeat": "/data/member"},
        {"set": "/data/member[2]/age", "value": "7"},
        {"set": "/data/done", "value": "x"},
        {"remove_repeat": "/data/member[1]"},
        {"lang": "French (fr)"},
        {"set": "/data/nope", "value": null}
    ]}"#;
    let t = replay(&imp, "forms/t.xlsx", steps, ctx()).unwrap();
    assert_eq!(t["format"], "xform-ref-trace/1");
    assert_eq!(t["env"]["now"], "2025-01-15T10:00:00.000Z");
    assert_eq!(t["load"]["ok"], true);
    let initial = rows(&t["initial"]);
    let paths: Vec<&str> = initial.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        paths,
        [
            "/data/n",
            "/data/member",
            "/data/member[1]",
            "/data/member[1]/age",
            "/data/done",
            "/data/meta",
            "/data/meta/instanceID"
        ]
    );
    assert_eq!(initial[1].1["kind"], "repeat-range:uncontrolled");
    assert_eq!(initial[1].1["count"], 1);
    assert_eq!(initial[3].1["relevant"], false);
    assert_eq!(initial[4].1["kind"], "note");
    assert_eq!(initial[4].1["readonly"], true);
    let steps = t["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    let oks: Vec<bool> = steps.iter().map(|s| s["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [true, true, true, false, true, true, false]);
    assert_eq!(steps[3]["error"], "`/data/done` is read-only");
    let after_set = rows(&steps[2]["snapshot"]);
    let age2 = after_set
        .iter()
        .find(|(p, _)| *p == "/data/member[2]/age")
        .unwrap()
        .1;
    assert_eq!(
        (
            age2["value"].as_str(),
            age2["relevant"].as_bool(),
            age2["type"].as_str()
        ),
        (Some("7"), Some(true), Some("int"))
    );
    let after_remove = rows(&steps[4]["snapshot"]);
    let age1 = after_remove
        .iter()
        .find(|(p, _)| *p == "/data/member[1]/age")
        .unwrap()
        .1;
    assert_eq!(age1["value"], "7", "later instances renumber down");
    assert!(!after_remove.iter().any(|(p, _)| *p == "/data/member[2]"));
}

#[test]
fn corpus_forms_replay_and_load_failures_are_recorded() {
    let imp = import_xform(&corpus("wf_three_level_cascading_select.xml"), "x.xml");
    let t = replay(
        &imp,
        "x.xml",
        r#"[{"set": "/data/level1", "value": "a"}, {"set": "/data/level2", "value": "aa"}]"#,
        ctx(),
    )
    .unwrap();
    let snap = rows(&t["steps"][1]["snapshot"]);
    let l2 = snap.iter().find(|(p, _)| *p == "/data/level2").unwrap().1;
    assert_eq!(l2["choices"], serde_json::json!(["aa", "ab", "ac"]));
    let l3 = snap.iter().find(|(p, _)| *p == "/data/level3").unwrap().1;
    assert_eq!(l3["choices"], serde_json::json!(["aaa", "aab"]));

    let bad = import_xlsform(b"junk", "junk.xlsx");
    let t = replay(&bad, "junk.xlsx", "[]", ctx()).unwrap();
    assert_eq!(t["load"]["ok"], false);
    assert!(t["initial"].is_null());
    assert!(replay(&bad, "junk.xlsx", "{", ctx()).is_err());
}
