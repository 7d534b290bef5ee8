//! Compares two `xform-ref-trace/1` traces of the same steps row by row, as `replay-format.md`
//! prescribes: rows matched by path after every step; `relevant`, `required`, `readonly`, `value`,
//! `constraint_valid`, `required_valid`, `choices`, `count` and the order of paths compared;
//! `kind`, `type`, `preload` values and the engine ignored. A value made by `uuid()` is random
//! like a preloaded one: two values that are the same text around UUIDs (`uuid:` + a UUID on both
//! sides) are equal, since no two engines, or runs, draw the same UUID.
//!
//! Canvass's conformance test runs the same walk through Canvass and through ODK's own engine and
//! feeds both traces here. A difference that a documented rule explains (an ODK bug, or a place
//! where Canvass deliberately follows ODK Collect) is counted as excluded, with the rule's name.

use serde_json::Value;

/// The row fields that must agree between two engines.
pub const COMPARED: [&str; 8] = [
    "relevant",
    "required",
    "readonly",
    "value",
    "constraint_valid",
    "required_valid",
    "choices",
    "count",
];

/// One disagreement between two traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The step after which it was seen; `None` for the snapshot after loading.
    pub step: Option<usize>,
    /// The node's path, or `""` for a difference in the order of paths.
    pub path: String,
    /// The field that differs (`order`, `row` for a row only one side has, or one of [`COMPARED`]).
    pub field: String,
    /// Our side (the first trace).
    pub ours: Value,
    /// Their side (the second trace).
    pub theirs: Value,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.step {
            Some(i) => write!(f, "after step {i}")?,
            None => write!(f, "after load")?,
        }
        write!(
            f,
            ": {} {}: ours {} theirs {}",
            self.path, self.field, self.ours, self.theirs
        )
    }
}

/// The outcome of comparing two traces.
#[derive(Debug, Default, Clone)]
pub struct Comparison {
    /// Snapshots compared: the one after loading plus one per step.
    pub snapshots: usize,
    /// Snapshots with no difference at all.
    pub identical: usize,
    /// Snapshots whose every difference is explained by an exclusion rule.
    pub excluded: usize,
    /// Differences no rule explains, in order.
    pub differences: Vec<Difference>,
    /// How many differences each exclusion rule explained, by rule name.
    pub excluded_by_rule: std::collections::BTreeMap<&'static str, usize>,
    /// Steps one engine applied and the other refused.
    pub step_outcomes_differ: usize,
}

impl Comparison {
    /// Adds another comparison's counts to this one.
    pub fn absorb(&mut self, other: Comparison) {
        self.snapshots += other.snapshots;
        self.identical += other.identical;
        self.excluded += other.excluded;
        self.differences.extend(other.differences);
        for (k, v) in other.excluded_by_rule {
            *self.excluded_by_rule.entry(k).or_default() += v;
        }
        self.step_outcomes_differ += other.step_outcomes_differ;
    }
}

/// Decides whether a difference is explained; returns the rule's name when it is. It sees the
/// difference and both full snapshots it came from.
pub type Exclusion<'a> = dyn Fn(&Difference, &[Value], &[Value]) -> Option<&'static str> + 'a;

/// Compares trace `ours` with trace `theirs` (both full-snapshot traces of the same steps).
pub fn compare(ours: &Value, theirs: &Value, exclude: &Exclusion<'_>) -> Comparison {
    let mut out = Comparison::default();
    let empty = Vec::new();
    let mut pairs: Vec<(Option<usize>, &Vec<Value>, &Vec<Value>)> = vec![(
        None,
        ours["initial"].as_array().unwrap_or(&empty),
        theirs["initial"].as_array().unwrap_or(&empty),
    )];
    let our_steps = ours["steps"].as_array().unwrap_or(&empty);
    let their_steps = theirs["steps"].as_array().unwrap_or(&empty);
    for (i, (a, b)) in our_steps.iter().zip(their_steps).enumerate() {
        if a["ok"] != b["ok"] {
            out.step_outcomes_differ += 1;
        }
        pairs.push((
            Some(i),
            a["snapshot"].as_array().unwrap_or(&empty),
            b["snapshot"].as_array().unwrap_or(&empty),
        ));
    }
    for (step, a, b) in pairs {
        out.snapshots += 1;
        let diffs = snapshot_differences(step, a, b);
        if diffs.is_empty() {
            out.identical += 1;
            continue;
        }
        let mut unexplained = 0;
        for d in diffs {
            match exclude(&d, a, b) {
                Some(rule) => *out.excluded_by_rule.entry(rule).or_default() += 1,
                None => {
                    unexplained += 1;
                    out.differences.push(d);
                }
            }
        }
        if unexplained == 0 {
            out.excluded += 1;
        }
    }
    out
}

/// Every difference between two snapshots taken after the same step.
pub fn snapshot_differences(step: Option<usize>, a: &[Value], b: &[Value]) -> Vec<Difference> {
    let mut diffs = Vec::new();
    let path = |r: &Value| r["path"].as_str().unwrap_or_default().to_owned();
    let theirs: std::collections::HashMap<String, &Value> =
        b.iter().map(|r| (path(r), r)).collect();
    let ours: std::collections::HashMap<String, &Value> = a.iter().map(|r| (path(r), r)).collect();
    for r in a {
        let p = path(r);
        let Some(t) = theirs.get(&p) else {
            diffs.push(Difference {
                step,
                path: p,
                field: "row".into(),
                ours: Value::Bool(true),
                theirs: Value::Bool(false),
            });
            continue;
        };
        // A preloaded value (uuid, start and end times, device properties) depends on the device
        // and the moment, so it is not compared; the node's other fields are.
        let preloaded = r.get("preload").is_some() || t.get("preload").is_some();
        for f in COMPARED {
            if preloaded && f == "value" {
                continue;
            }
            let (x, y) = (&r[f], &t[f]);
            if x != y && !(f == "value" && same_but_uuids(x, y)) {
                diffs.push(Difference {
                    step,
                    path: p.clone(),
                    field: f.into(),
                    ours: x.clone(),
                    theirs: y.clone(),
                });
            }
        }
    }
    for r in b {
        let p = path(r);
        if !ours.contains_key(&p) {
            diffs.push(Difference {
                step,
                path: p,
                field: "row".into(),
                ours: Value::Bool(false),
                theirs: Value::Bool(true),
            });
        }
    }
    // Order is compared over the paths both sides have, so one missing row is reported once.
    let common_a: Vec<String> = a
        .iter()
        .map(path)
        .filter(|p| theirs.contains_key(p))
        .collect();
    let common_b: Vec<String> = b
        .iter()
        .map(path)
        .filter(|p| ours.contains_key(p))
        .collect();
    if common_a != common_b {
        let first = common_a
            .iter()
            .zip(&common_b)
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        diffs.push(Difference {
            step,
            path: String::new(),
            field: "order".into(),
            ours: Value::from(common_a.get(first).cloned().unwrap_or_default()),
            theirs: Value::from(common_b.get(first).cloned().unwrap_or_default()),
        });
    }
    diffs
}

/// Whether two values are the same text once every UUID in them is blanked out, with at least one
/// UUID on each side.
fn same_but_uuids(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_str(), b.as_str()) else {
        return false;
    };
    match (mask_uuids(a), mask_uuids(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// `s` with every UUID (8-4-4-4-12 hexadecimal digits) replaced by `#`, or `None` when it has none.
fn mask_uuids(s: &str) -> Option<String> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let b = s.as_bytes();
    let at = |i: usize| -> Option<usize> {
        let mut j = i;
        for (g, len) in GROUPS.iter().enumerate() {
            if g > 0 {
                if b.get(j) != Some(&b'-') {
                    return None;
                }
                j += 1;
            }
            for _ in 0..*len {
                if !b.get(j)?.is_ascii_hexdigit() {
                    return None;
                }
                j += 1;
            }
        }
        Some(j)
    };
    let mut out = String::new();
    let (mut i, mut found, mut start) = (0, false, 0);
    while i < b.len() {
        match at(i) {
            Some(end) => {
                out.push_str(&s[start..i]);
                out.push('#');
                found = true;
                i = end;
                start = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&s[start..]);
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trace(initial: Value, steps: Vec<Value>) -> Value {
        json!({"initial": initial, "steps": steps.into_iter().map(|s| json!({"ok": true, "snapshot": s})).collect::<Vec<_>>()})
    }

    #[test]
    fn equal_traces_are_identical_and_differences_are_located() {
        let a = trace(
            json!([{"path": "/data/a", "value": "", "kind": "input"}]),
            vec![json!([{"path": "/data/a", "value": "1", "kind": "input"}])],
        );
        let b = trace(
            json!([{"path": "/data/a", "value": "", "kind": "select"}]),
            vec![json!([{"path": "/data/a", "value": "2"}, {"path": "/data/b", "value": ""}])],
        );
        let c = compare(&a, &a, &|_, _, _| None);
        assert_eq!((c.snapshots, c.identical), (2, 2));
        let c = compare(&a, &b, &|_, _, _| None);
        assert_eq!((c.snapshots, c.identical, c.excluded), (2, 1, 0));
        assert_eq!(c.differences.len(), 2, "{:?}", c.differences);
        assert_eq!(c.differences[0].field, "value");
        assert_eq!(c.differences[0].step, Some(0));
        assert_eq!(c.differences[1].path, "/data/b");
        let c = compare(&a, &b, &|d, _, _| (d.field == "value").then_some("rule"));
        assert_eq!(c.differences.len(), 1);
        assert_eq!(c.excluded_by_rule["rule"], 1);
    }

    #[test]
    fn uuids_are_compared_by_shape() {
        let row = |v: &str| [json!({"path": "/d/id", "value": v})];
        let u1 = "uuid:e220a839-7b1d-4daf-ae78-9e6aa1b965f4";
        let u2 = "uuid:51659bcd-9139-4260-e4dc-97b3fbb8a427";
        assert!(snapshot_differences(None, &row(u1), &row(u2)).is_empty());
        assert_eq!(snapshot_differences(None, &row(u1), &row("")).len(), 1);
        assert_eq!(
            snapshot_differences(None, &row(u1), &row(&u2[5..])).len(),
            1,
            "the text around the UUID still counts"
        );
        assert_eq!(
            snapshot_differences(None, &row("e220a839"), &row("51659bcd")).len(),
            1
        );
    }

    #[test]
    fn order_differences_are_reported_once() {
        let a = [json!({"path": "/d/a"}), json!({"path": "/d/b"})];
        let b = [json!({"path": "/d/b"}), json!({"path": "/d/a"})];
        let d = snapshot_differences(None, &a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "order");
    }
}
