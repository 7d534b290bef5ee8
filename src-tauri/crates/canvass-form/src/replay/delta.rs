//! The delta encoding of a trace (`"snapshot_mode": "delta"`), for stored traces: each step keeps
//! only the rows that are new or changed since the previous snapshot (`changes`), the paths that
//! disappeared (`removed`) and, only when the sequence of paths changed, the full path list
//! (`order`); `final` holds the full snapshot after the last step. [`expand`] undoes [`encode`].

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

fn path_of(row: &Value) -> &str {
    row["path"].as_str().unwrap_or_default()
}

fn rows(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// Encodes a full-snapshot trace as a delta trace; a trace already in delta form, or one whose
/// form did not load, is returned unchanged.
pub fn encode(full: &Value) -> Value {
    if full["snapshot_mode"] != "full" || !full["initial"].is_array() {
        return full.clone();
    }
    let mut out = full.clone();
    out["snapshot_mode"] = json!("delta");
    let mut prev: &[Value] = rows(&full["initial"]);
    let mut steps = Vec::new();
    for step in rows(&full["steps"]) {
        let snap = rows(&step["snapshot"]);
        let before: HashMap<&str, &Value> = prev.iter().map(|r| (path_of(r), r)).collect();
        let now: HashSet<&str> = snap.iter().map(path_of).collect();
        let changes: Vec<Value> = snap
            .iter()
            .filter(|r| before.get(path_of(r)) != Some(r))
            .cloned()
            .collect();
        let removed: Vec<Value> = prev
            .iter()
            .map(path_of)
            .filter(|p| !now.contains(p))
            .map(Value::from)
            .collect();
        let mut rec: Map<String, Value> = step
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "snapshot")
            .collect();
        rec.insert("changes".into(), Value::Array(changes));
        rec.insert("removed".into(), Value::Array(removed));
        if !prev.iter().map(path_of).eq(snap.iter().map(path_of)) {
            rec.insert(
                "order".into(),
                Value::Array(snap.iter().map(|r| Value::from(path_of(r))).collect()),
            );
        }
        steps.push(Value::Object(rec));
        prev = snap;
    }
    out["steps"] = Value::Array(steps);
    out["final"] = Value::Array(prev.to_vec());
    out
}

/// Expands a delta trace back to full snapshots; a full trace is returned unchanged.
pub fn expand(delta: &Value) -> Value {
    if delta["snapshot_mode"] != "delta" || !delta["initial"].is_array() {
        return delta.clone();
    }
    let mut out = delta.clone();
    out["snapshot_mode"] = json!("full");
    if let Some(o) = out.as_object_mut() {
        o.remove("final");
    }
    let mut prev: Vec<Value> = rows(&delta["initial"]).to_vec();
    let mut steps = Vec::new();
    for step in rows(&delta["steps"]) {
        let mut by_path: HashMap<String, Value> = prev
            .iter()
            .map(|r| (path_of(r).to_owned(), r.clone()))
            .collect();
        for p in rows(&step["removed"]) {
            by_path.remove(p.as_str().unwrap_or_default());
        }
        for r in rows(&step["changes"]) {
            by_path.insert(path_of(r).to_owned(), r.clone());
        }
        let order: Vec<String> = match step.get("order") {
            Some(o) => rows(o)
                .iter()
                .map(|p| p.as_str().unwrap_or_default().to_owned())
                .collect(),
            None => prev.iter().map(|r| path_of(r).to_owned()).collect(),
        };
        let snap: Vec<Value> = order.iter().filter_map(|p| by_path.remove(p)).collect();
        let mut rec: Map<String, Value> = step
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "changes" | "removed" | "order"))
            .collect();
        rec.insert("snapshot".into(), Value::Array(snap.clone()));
        steps.push(Value::Object(rec));
        prev = snap;
    }
    out["steps"] = Value::Array(steps);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::import_form;
    use crate::test_util::{corpus, ctx};

    /// Delta traces of real walks (repeats added and removed, values changed) expand back to
    /// exactly the full trace, and are smaller.
    #[test]
    fn delta_expands_back_to_the_full_trace() {
        for name in [
            "wf_nested_repeat.xml",
            "px_tutorial.xls",
            "wf_complex_repeats.xml",
        ] {
            let imp = import_form(&corpus(name), name);
            let form = imp.form.clone().unwrap();
            for seed in 1..4 {
                let mut walk = crate::fill::random_walk(&form, seed, ctx());
                // A removal makes later paths renumber, so the order list is exercised too.
                if let Some(steps) = walk["steps"].as_array_mut() {
                    let add = steps
                        .iter()
                        .find_map(|s| s["add_repeat"].as_str().map(String::from));
                    if let Some(range) = add {
                        steps.push(json!({"remove_repeat": format!("{range}[1]")}));
                    }
                }
                let full = crate::replay::replay(&imp, name, &walk.to_string(), ctx()).unwrap();
                let delta = encode(&full);
                assert_eq!(delta["snapshot_mode"], "delta");
                assert!(delta["steps"][0].get("snapshot").is_none());
                assert_eq!(
                    delta["final"],
                    full["steps"]
                        .as_array()
                        .unwrap()
                        .last()
                        .map_or(full["initial"].clone(), |s| s["snapshot"].clone())
                );
                assert_eq!(expand(&delta), full, "{name} seed {seed}");
                assert!(delta.to_string().len() < full.to_string().len());
            }
        }
    }

    #[test]
    fn order_is_written_only_when_paths_change() {
        let full = json!({
            "snapshot_mode": "full",
            "initial": [{"path": "/d/a", "value": ""}, {"path": "/d/r", "count": 1}],
            "steps": [
                {"index": 0, "ok": true, "snapshot": [{"path": "/d/a", "value": "1"}, {"path": "/d/r", "count": 1}]},
                {"index": 1, "ok": true, "snapshot": [{"path": "/d/a", "value": "1"}, {"path": "/d/r", "count": 2}, {"path": "/d/r[2]"}]},
                {"index": 2, "ok": true, "snapshot": [{"path": "/d/a", "value": "1"}]}
            ]
        });
        let d = encode(&full);
        assert!(d["steps"][0].get("order").is_none());
        assert_eq!(
            d["steps"][0]["changes"],
            json!([{"path": "/d/a", "value": "1"}])
        );
        assert_eq!(d["steps"][1]["order"], json!(["/d/a", "/d/r", "/d/r[2]"]));
        assert_eq!(d["steps"][2]["removed"], json!(["/d/r", "/d/r[2]"]));
        assert_eq!(expand(&d), full);
    }
}
