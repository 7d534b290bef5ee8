//! The roster table shown while interviewing household members: one row per
//! repeat instance, one column for each of the repeat's first questions.
//!
//! It is read off the engine's instance through the runner's public helpers,
//! so it shows exactly what the interview holds, including members whose
//! answers are not given yet (empty cells).

use canvass_form::model::NodeKind;
use canvass_form::Instance;
use serde::Serialize;

use crate::error::Result;
use crate::interview::{ensure_open, App};
use crate::runner;

/// How many of a repeat's questions the table shows (name, age, sex...).
pub const ROSTER_COLUMNS: usize = 4;

/// The roster around the current question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterTable {
    /// The repeat's label, or its name.
    pub label: String,
    /// The repeat's range path, e.g. `/data/member`.
    pub range_path: String,
    /// Column headings: the first questions' labels.
    pub columns: Vec<String>,
    pub rows: Vec<RosterRow>,
    /// 1-based index of the member the current question belongs to.
    pub current: usize,
}

/// One member of the roster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterRow {
    /// 1-based position.
    pub index: usize,
    /// The instance path, e.g. `/data/member[2]`.
    pub instance_path: String,
    /// The path of the member's first question, to jump to.
    pub first_item: Option<String>,
    /// Shown values (choice labels for selects), one per column.
    pub cells: Vec<String>,
}

/// The roster table around the question at `path`, if it sits inside a repeat.
pub fn roster_table(inst: &Instance, path: &str) -> Option<RosterTable> {
    let form = inst.form();
    let lang = inst.context().language.clone();
    let text = |t: &canvass_form::model::Text| {
        t.get(lang.as_deref(), form.default_language.as_deref())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    // The innermost `[k]` step whose node is a repeat is the roster.
    let mut cut = path.len();
    while let Some(close) = path[..cut].rfind(']') {
        let open = path[..close].rfind('[')?;
        cut = open;
        let instance_path = &path[..=close];
        let range_path = &path[..open];
        let Some(model_ix) = inst.find(instance_path).and_then(|id| inst.model_of(id)) else {
            continue;
        };
        let Some(model) = form.nodes.get(model_ix) else {
            continue;
        };
        if !matches!(model.kind, NodeKind::Repeat { .. }) {
            continue;
        }
        let current: usize = path[open + 1..close].parse().ok()?;
        // The repeat's first questions a person answers, in form order.
        let questions: Vec<&canvass_form::model::Node> = model
            .children
            .iter()
            .filter_map(|&c| form.nodes.get(c))
            .filter(|n| {
                n.question_type().is_some_and(|t| {
                    !matches!(
                        t,
                        canvass_form::model::QuestionType::Note
                            | canvass_form::model::QuestionType::Calculate
                            | canvass_form::model::QuestionType::Hidden
                    )
                })
            })
            .take(ROSTER_COLUMNS)
            .collect();
        let count = runner::instance_count(inst, range_path);
        let rows = (1..=count)
            .map(|k| {
                let ip = format!("{range_path}[{k}]");
                let cells = questions
                    .iter()
                    .map(|q| {
                        let Some(id) = inst.find(&format!("{ip}/{}", q.name)) else {
                            return String::new();
                        };
                        let value = inst.state_of(id).value;
                        choice_labels(inst, q, &value, lang.as_deref()).unwrap_or(value)
                    })
                    .collect();
                RosterRow {
                    index: k,
                    first_item: questions.first().map(|q| format!("{ip}/{}", q.name)),
                    instance_path: ip,
                    cells,
                }
            })
            .collect();
        return Some(RosterTable {
            label: text(&model.label).unwrap_or_else(|| model.name.clone()),
            range_path: range_path.to_owned(),
            columns: questions
                .iter()
                .map(|q| heading(&text(&q.label).unwrap_or_else(|| q.name.clone())))
                .collect(),
            rows,
            current,
        });
    }
    None
}

/// A question's label as a column heading: a piped `${name}` differs per
/// member, so it is shown as an ellipsis ("How old is …?").
fn heading(label: &str) -> String {
    let mut out = String::new();
    let mut rest = label;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('…');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A select answer shown with its choices' labels.
fn choice_labels(
    inst: &Instance,
    q: &canvass_form::model::Node,
    value: &str,
    lang: Option<&str>,
) -> Option<String> {
    let form = inst.form();
    let list = form.choice_lists.get(&q.choices.as_ref()?.list)?;
    if value.is_empty() {
        return None;
    }
    let labels: Vec<String> = value
        .split_whitespace()
        .map(|v| {
            list.choices
                .iter()
                .find(|c| c.name == v)
                .and_then(|c| c.label.get(lang, form.default_language.as_deref()))
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_owned())
        })
        .collect();
    Some(labels.join(", "))
}

impl App {
    /// Jumps to a question shown now (a member's first question, picked in
    /// the roster table), logging a `jump` event with its destination.
    pub fn jump_to_item(&self, interview_id: &str, item_path: &str) -> Result<crate::Screen> {
        {
            let mut inner = self.lock();
            let row = inner.store.interview(interview_id)?;
            ensure_open(&row)?;
            let inst = self.instance(&mut inner, &row)?;
            let shown = inst
                .find(item_path)
                .is_some_and(|id| runner::screens(inst).contains(&id));
            if !shown {
                return Err(crate::Error::UnknownItem {
                    item: item_path.to_owned(),
                });
            }
        }
        let now = self.clock.now_ms();
        let extra = serde_json::json!({ "to": item_path }).to_string();
        self.log_interview_event(interview_id, "jump", Some(extra), |w| {
            Ok(w.set_current_item(Some(item_path), now)?)
        })?;
        self.screen(interview_id)
    }
}
