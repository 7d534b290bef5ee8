//! Replay: applies a scripted list of steps to an interview and records every node's state after
//! load and after each step, in the `xform-ref-trace/1` shape of `replay-format.md`, so traces can
//! be diffed row by row against ODK's own engine.

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::expr::{Context, NodeId};
use crate::import::Import;
use crate::model::{NodeIndex, NodeKind, QuestionType, RepeatCount};
use crate::runtime::Instance;

/// Replays `steps` (a JSON `{"steps": [...]}` object or a bare array) on a fresh interview of the
/// imported form and returns the full-snapshot trace. `form_name` is recorded as given. Only a
/// malformed steps document is an error; a step that cannot be applied is recorded with
/// `"ok": false` and replay goes on.
pub fn replay(import: &Import, form_name: &str, steps: &str, ctx: Context) -> Result<Value> {
    replay_with(import, form_name, steps, ctx, &Options::default())
}

/// How a replay runs, beyond its clock and seed.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Every `random()` draw returns this number (see [`Instance::with_fixed_random`]), so that
    /// the trace can be compared with another engine's made to draw the same.
    pub fixed_random: Option<f64>,
}

/// [`replay`] with options.
pub fn replay_with(
    import: &Import,
    form_name: &str,
    steps: &str,
    ctx: Context,
    options: &Options,
) -> Result<Value> {
    let parsed: Value = serde_json::from_str(steps).map_err(|e| Error::BadSteps(e.to_string()))?;
    let steps = match &parsed {
        Value::Array(a) => a.clone(),
        Value::Object(o) => match o.get("steps") {
            Some(Value::Array(a)) => a.clone(),
            _ => return Err(Error::BadSteps("expected a `steps` array".into())),
        },
        _ => return Err(Error::BadSteps("expected an object or an array".into())),
    };
    let now = ctx
        .now
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut out = Map::new();
    out.insert("format".into(), json!("xform-ref-trace/1"));
    out.insert(
        "engine".into(),
        json!({"name": "canvass", "version": env!("CARGO_PKG_VERSION")}),
    );
    out.insert("env".into(), json!({"now": now, "tz": "UTC"}));
    out.insert("form".into(), json!(form_name));
    out.insert("snapshot_mode".into(), json!("full"));
    let form = match (&import.form, import.is_clean()) {
        (Some(f), true) => f.clone(),
        _ => {
            let error = import
                .errors()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            out.insert(
                "load".into(),
                json!({"ok": false, "stage": "load", "error": error}),
            );
            out.insert("initial".into(), Value::Null);
            out.insert("steps".into(), json!([]));
            return Ok(Value::Object(out));
        }
    };
    let warnings: Vec<String> = import.diagnostics.iter().map(|d| d.to_string()).collect();
    out.insert(
        "load".into(),
        json!({"ok": true, "status": "success", "warnings": warnings}),
    );
    let mut inst = match options.fixed_random {
        Some(draw) => Instance::with_fixed_random(form, ctx, draw),
        None => Instance::new(form, ctx),
    };
    out.insert("initial".into(), Value::Array(snapshot(&inst)));
    let mut records = Vec::new();
    for (index, step) in steps.into_iter().enumerate() {
        let result = apply(&mut inst, &step);
        let mut rec = Map::new();
        rec.insert("index".into(), json!(index));
        rec.insert("step".into(), step);
        rec.insert("ok".into(), json!(result.is_ok()));
        if let Err(e) = result {
            rec.insert("error".into(), json!(e));
        }
        rec.insert("snapshot".into(), Value::Array(snapshot(&inst)));
        records.push(Value::Object(rec));
    }
    out.insert("steps".into(), Value::Array(records));
    Ok(Value::Object(out))
}

/// Applies one step; the error text is what the trace records.
fn apply(inst: &mut Instance, step: &Value) -> std::result::Result<(), String> {
    let s = |k: &str| step.get(k).and_then(Value::as_str);
    if let Some(path) = s("set") {
        let value = match step.get("value") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(v)) => v.clone(),
            Some(other) => other.to_string(),
        };
        return inst
            .set_answer(path, &value)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if let Some(path) = s("add_repeat") {
        return inst.add_repeat(path).map(|_| ()).map_err(|e| e.to_string());
    }
    if let Some(path) = s("remove_repeat") {
        return inst
            .remove_repeat(path)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if let Some(lang) = s("lang") {
        if !inst.form().languages.iter().any(|l| l == lang) {
            return Err(format!("the form has no language `{lang}`"));
        }
        inst.set_language(Some(lang.to_string()));
        return Ok(());
    }
    Err("unknown step: expected `set`, `add_repeat`, `remove_repeat` or `lang`".into())
}

/// One row per node of the primary instance except the root, in document order, with a range
/// row before the instances of every repeat.
pub fn snapshot(inst: &Instance) -> Vec<Value> {
    let mut rows = Vec::new();
    if let Some(&root) = inst.instances_of(0).first() {
        children_rows(inst, root, 0, &mut rows);
    }
    rows
}

fn children_rows(inst: &Instance, parent: NodeId, parent_model: NodeIndex, rows: &mut Vec<Value>) {
    let form = inst.form();
    let parent_state = inst.state_of(parent);
    let Some(pm) = form.nodes.get(parent_model) else {
        return;
    };
    for &c in &pm.children {
        let model = &form.nodes[c];
        let kids: Vec<NodeId> = crate::expr::Document::children(inst, parent, Some(&model.name))
            .into_iter()
            .filter(|&k| inst.model_of(k) == Some(c))
            .collect();
        if let NodeKind::Repeat { count } = &model.kind {
            let kind = if matches!(count, RepeatCount::User) {
                "repeat-range:uncontrolled"
            } else {
                "repeat-range:controlled"
            };
            rows.push(json!({
                "path": format!("{}/{}", parent_state.path, model.name),
                "kind": kind,
                "relevant": parent_state.relevant,
                "required": false,
                "readonly": parent_state.read_only,
                "count": kids.len(),
            }));
        }
        for k in kids {
            rows.push(row(inst, k, c));
            if !model.is_leaf() {
                children_rows(inst, k, c, rows);
            }
        }
    }
}

fn row(inst: &Instance, id: NodeId, m: NodeIndex) -> Value {
    let model = &inst.form().nodes[m];
    let s = inst.state_of(id);
    let mut r = Map::new();
    r.insert("path".into(), json!(s.path));
    let kind = match &model.kind {
        NodeKind::Root | NodeKind::Group { .. } => "group",
        NodeKind::Repeat { .. } => "repeat-instance",
        NodeKind::Question(t) => control_kind(t),
    };
    r.insert("kind".into(), json!(kind));
    r.insert("relevant".into(), json!(s.relevant));
    r.insert("required".into(), json!(s.required));
    r.insert("readonly".into(), json!(s.read_only));
    if let Some(t) = model.question_type() {
        r.insert("type".into(), json!(t.data_type()));
        // Numbers are reported canonically, as replay-format.md says (`7`, not the `7.0` stored).
        let value = match t {
            QuestionType::Decimal => s
                .value
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map_or_else(|| s.value.clone(), crate::expr::value::format_number),
            _ => s.value.clone(),
        };
        r.insert("value".into(), json!(value));
        r.insert("constraint_valid".into(), json!(s.constraint_ok));
        r.insert("required_valid".into(), json!(s.required_ok));
        if t.has_choices() {
            r.insert("choices".into(), json!(inst.choices_of(id)));
        }
        if let Some(p) = t.preload() {
            r.insert("preload".into(), json!(p));
        } else if inst.assigns_instance_id(m) {
            // Canvass gives every record its `uuid:` id, as a `uid` preload would; the row says
            // so, since that value depends on the device like any other preload.
            r.insert("preload".into(), json!("uid"));
        }
    }
    Value::Object(r)
}

/// The control kind a question type renders as.
fn control_kind(t: &QuestionType) -> &'static str {
    use QuestionType::*;
    match t {
        SelectOne | SelectMultiple => "select",
        Rank => "rank",
        Range { .. } => "range",
        Acknowledge => "trigger",
        Note => "note",
        Image | Audio | Video | File | BackgroundAudio => "upload",
        Calculate | Hidden | ModelValue | Start | End | Today | DeviceId | Username
        | PhoneNumber | Email | SubscriberId | SimSerial | Audit => "model-value",
        _ => "input",
    }
}

pub mod compare;
pub mod delta;

#[cfg(test)]
mod tests;
