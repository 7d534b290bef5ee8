//! The interview runner: what the screen shows and what an answer may be, read off the engine's `Instance`.
//!
//! A screen is one question the interviewer sees: a relevant question node that
//! takes or shows something (calculations, hidden fields and metadata never get
//! a screen). Screens follow document order; which ones exist changes as
//! answers change relevance, so they are recomputed from the instance each time.

use canvass_form::expr::NodeId;
use canvass_form::model::{Node, NodeIndex, NodeKind, QuestionType, RepeatCount};
use canvass_form::{Instance, Questionnaire};
use serde::Serialize;

use crate::error::{Error, Result};

/// One question as the UI renders it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionView {
    /// The question's name in the form (`nps`).
    pub name: String,
    /// The instance path answers are stored under (`/data/nps`, `/data/member[2]/age`).
    pub path: String,
    /// How to render it: `range`, `number`, `decimal`, `select_one`, `select_multiple`, `text`,
    /// `note`, `acknowledge`, `date`, `time`, `datetime`, or `text` for types without a widget yet.
    pub kind: &'static str,
    pub label: String,
    pub hint: Option<String>,
    /// CATI: the words to read to the respondent.
    pub read_aloud: Option<String>,
    /// CATI: guidance for the interviewer only.
    pub instructions: Option<String>,
    pub required: bool,
    pub read_only: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub choices: Vec<ChoiceView>,
    /// The stored answer, empty when none.
    pub value: String,
    /// The constraint message when the stored answer breaks the question's constraint.
    pub error: Option<String>,
    pub is_first: bool,
    pub is_last: bool,
    /// The innermost interviewer-controlled roster the question belongs to, if any.
    pub repeat: Option<RepeatView>,
    /// The form's required message when the question is required and still empty.
    /// The UI shows it only after a move on was refused, as ODK does.
    pub missing: Option<String>,
    /// The whole page when the question opens a `field-list` or `table-list` group:
    /// every relevant question of that group, this one first.
    pub page: Option<PageView>,
}

/// A multi-question page: a group with the `field-list` or `table-list` appearance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageView {
    /// The group's instance path (`/data/contact`, `/data/member[2]/health`).
    pub path: String,
    /// The group's label, empty when it has none.
    pub label: String,
    pub hint: Option<String>,
    /// `table-list`: the questions share one choice list and render as a grid
    /// (rows are questions, columns are the choices).
    pub table: bool,
    /// Every relevant question of the page in document order, each with `page` unset.
    pub questions: Vec<QuestionView>,
}

/// One entry of the interview outline (Ctrl+K): a question, a group or a repeat instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlineItem {
    /// Instance path, the argument of a jump (`/data/member[2]/age`).
    pub path: String,
    /// `question`, `group` or `repeat` (one instance of a repeat).
    pub kind: &'static str,
    pub label: String,
    /// Nesting below the form's root: 0 for top-level items.
    pub depth: usize,
    /// For questions: `answered`, `empty`, `missing` (required and empty) or
    /// `error` (the answer breaks the constraint); empty for groups.
    pub state: &'static str,
    /// 1-based number of the screen a jump to this item shows.
    pub screen: usize,
}

/// Where a question sits in an interviewer-controlled roster: "member 2 of 3".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepeatView {
    /// The roster's range path (`/data/member`), for adding a member.
    pub range_path: String,
    /// This member's instance path (`/data/member[2]`), for removing it.
    pub instance_path: String,
    /// 1-based position of this member.
    pub index: usize,
    /// Members the roster has now.
    pub count: usize,
    /// The roster's label (`Household member`), or its name when it has none.
    pub label: String,
    /// The question is the last one shown for this member (where "add another" belongs).
    pub last_in_instance: bool,
}

/// One option of a select question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceView {
    pub value: String,
    pub label: String,
}

/// Types that never get a screen: computed or filled in by the device.
fn is_screen_type(t: &QuestionType) -> bool {
    !matches!(
        t,
        QuestionType::Calculate
            | QuestionType::Hidden
            | QuestionType::Start
            | QuestionType::End
            | QuestionType::Today
            | QuestionType::DeviceId
            | QuestionType::Username
            | QuestionType::PhoneNumber
            | QuestionType::Email
            | QuestionType::SubscriberId
            | QuestionType::SimSerial
            | QuestionType::Audit
            | QuestionType::ModelValue
            | QuestionType::BackgroundAudio
    )
}

/// Whether a group or repeat shows its questions on one page, and whether as a grid.
fn page_kind(node: &Node) -> Option<bool> {
    if !matches!(node.kind, NodeKind::Group { .. } | NodeKind::Repeat { .. }) {
        return None;
    }
    let field_list = matches!(node.kind, NodeKind::Group { field_list: true });
    let words = node.appearance.as_deref().unwrap_or("");
    let table = words.split_whitespace().any(|w| w == "table-list");
    (field_list || table || words.split_whitespace().any(|w| w == "field-list")).then_some(table)
}

/// The outermost page group around model node `m` (`m` itself included).
fn page_model(form: &Questionnaire, m: NodeIndex) -> Option<NodeIndex> {
    let mut found = None;
    let mut cur = Some(m);
    while let Some(c) = cur {
        let Some(node) = form.nodes.get(c) else { break };
        if page_kind(node).is_some() {
            found = Some(c);
        }
        cur = node.parent;
    }
    found
}

/// The first `steps` steps of an instance path: the instance path of the ancestor at that depth.
fn path_prefix(path: &str, steps: usize) -> &str {
    let mut seen = 0;
    for (i, b) in path.bytes().enumerate() {
        if b == b'/' && i > 0 {
            seen += 1;
            if seen == steps {
                return &path[..i];
            }
        }
    }
    path
}

/// The instance path of the page (outermost `field-list` group) holding node `id`, if any.
pub fn page_path(inst: &Instance, id: NodeId) -> Option<String> {
    let form = inst.form();
    let pm = page_model(form, inst.model_of(id)?)?;
    let steps = form.nodes.get(pm)?.path.matches('/').count();
    Some(path_prefix(&inst.path_of_node(id), steps).to_owned())
}

/// Whether the instance node `id` is a relevant question that is shown to the interviewer.
fn is_screen_question(inst: &Instance, id: NodeId) -> bool {
    inst.model_of(id)
        .and_then(|m| inst.form().nodes.get(m))
        .is_some_and(is_screen_node)
        && inst.is_relevant(id)
}

/// A question the interviewer answers on a screen: not a calculation or metadata,
/// and not the choice-label row that heads a `table-list` (a select with the
/// `label` appearance, which pyxform adds as `reserved_name_for_field_list_labels_N`):
/// the grid draws those labels as its column heads, and nobody answers that row.
fn is_screen_node(node: &Node) -> bool {
    node.question_type().is_some_and(is_screen_type)
        && !node
            .appearance
            .as_deref()
            .is_some_and(|a| a.split_whitespace().any(|w| w == "label"))
}

/// The screens the interview has now, in order, as instance nodes; a page is
/// represented by its first relevant question.
pub fn screens(inst: &Instance) -> Vec<NodeId> {
    let form = inst.form();
    let mut out = Vec::new();
    let mut last_page: Option<String> = None;
    for id in inst.all_nodes() {
        if !is_screen_question(inst, id) {
            continue;
        }
        let in_page = inst
            .model_of(id)
            .is_some_and(|m| page_model(form, m).is_some());
        if in_page {
            // Pages are contiguous in document order, so comparing with the
            // previous screen's page is enough to fold a page into one screen.
            let page = page_path(inst, id);
            if page.is_some() && page == last_page {
                continue;
            }
            last_page = page;
        } else {
            last_page = None;
        }
        out.push(id);
    }
    out
}

/// The relevant questions of the page whose screen is `id`, or just `id` when it is no page.
pub fn page_members(inst: &Instance, id: NodeId) -> Vec<NodeId> {
    let Some(page) = page_path(inst, id) else {
        return vec![id];
    };
    let prefix = format!("{page}/");
    inst.all_nodes()
        .into_iter()
        .filter(|&n| is_screen_question(inst, n))
        .filter(|&n| inst.path_of_node(n).starts_with(&prefix))
        .collect()
}

/// The position of `path` among `screens`: its own screen, the page it is on,
/// or, when that question has no screen now (it became irrelevant), the first
/// screen after it in document order.
pub fn position(inst: &Instance, screens: &[NodeId], path: Option<&str>) -> usize {
    let Some(target) = path.and_then(|p| inst.find(p)) else {
        return 0;
    };
    if let Some(i) = screens.iter().position(|&s| s == target) {
        return i;
    }
    if let Some(page) = page_path(inst, target) {
        if let Some(i) = screens
            .iter()
            .position(|&s| page_path(inst, s).as_deref() == Some(page.as_str()))
        {
            return i;
        }
    }
    let order: Vec<NodeId> = inst.all_nodes();
    let rank = |id: NodeId| order.iter().position(|&n| n == id).unwrap_or(usize::MAX);
    let t = rank(target);
    screens
        .iter()
        .position(|&s| rank(s) > t)
        .unwrap_or(screens.len().saturating_sub(1))
}

/// The interview outline: every relevant question, group and repeat instance
/// in document order, with the screen a jump to it shows.
///
/// One pass over the instance with cheap per-node work, so it stays quick on
/// a 2,000-question form; labels are piped like the question screens'.
pub fn outline(inst: &Instance) -> Vec<OutlineItem> {
    let form = inst.form();
    let lang = inst.context().language.clone();
    let mut items: Vec<OutlineItem> = Vec::new();
    let mut screen = 0usize;
    let mut last_page: Option<String> = None;
    for id in inst.all_nodes() {
        if !inst.is_relevant(id) {
            continue;
        }
        let Some(node) = inst.model_of(id).and_then(|m| form.nodes.get(m)) else {
            continue;
        };
        let text = node
            .label
            .get(lang.as_deref(), form.default_language.as_deref())
            .map(|l| inst.pipe(l, id))
            .filter(|l| !l.is_empty());
        match &node.kind {
            NodeKind::Group { .. } | NodeKind::Repeat { .. } => {
                let path = inst.path_of_node(id);
                let label = text.unwrap_or_else(|| node.name.clone());
                let (kind, label) = match path.rsplit_once('[') {
                    Some((_, k)) if node.is_repeat() => {
                        ("repeat", format!("{label} {}", k.trim_end_matches(']')))
                    }
                    _ => ("group", label),
                };
                items.push(OutlineItem {
                    depth: path.matches('/').count().saturating_sub(2),
                    path,
                    kind,
                    label,
                    state: "",
                    screen: 0,
                });
            }
            NodeKind::Question(_) if is_screen_node(node) => {
                let state = inst.state_of(id);
                let page = page_model(form, inst.model_of(id).unwrap_or_default())
                    .and_then(|_| page_path(inst, id));
                if page.is_none() || page != last_page {
                    screen += 1;
                }
                last_page = page;
                items.push(OutlineItem {
                    depth: state.path.matches('/').count().saturating_sub(2),
                    kind: "question",
                    label: text.unwrap_or_else(|| node.name.clone()),
                    state: if !state.constraint_ok {
                        "error"
                    } else if !state.required_ok {
                        "missing"
                    } else if state.value.is_empty() {
                        "empty"
                    } else {
                        "answered"
                    },
                    screen,
                    path: state.path,
                });
            }
            _ => {}
        }
    }
    // A group jumps to the first question inside it; a group with no shown
    // question has nowhere to go and is left out.
    let mut next_question: Option<(String, usize)> = None;
    for item in items.iter_mut().rev() {
        if item.kind == "question" {
            next_question = Some((item.path.clone(), item.screen));
        } else if let Some((path, s)) = &next_question {
            if path.starts_with(&format!("{}/", item.path)) {
                item.screen = *s;
            }
        }
    }
    items.retain(|i| i.screen > 0);
    items
}

/// The view of the screen whose question is `id`: that question, with the
/// whole page when it opens a `field-list` group.
pub fn question_view(inst: &Instance, id: NodeId, is_first: bool, is_last: bool) -> QuestionView {
    let mut view = single_view(inst, id, is_first, is_last);
    let Some(path) = page_path(inst, id) else {
        return view;
    };
    let form = inst.form();
    let lang = inst.context().language.clone();
    let group = inst.find(&path);
    let node = group
        .and_then(|g| inst.model_of(g))
        .and_then(|m| form.nodes.get(m));
    let text = |t: &canvass_form::model::Text| {
        t.get(lang.as_deref(), form.default_language.as_deref())
            .map(|s| group.map_or_else(|| s.to_owned(), |g| inst.pipe(s, g)))
            .filter(|s| !s.is_empty())
    };
    view.page = Some(PageView {
        label: node.and_then(|n| text(&n.label)).unwrap_or_default(),
        hint: node.and_then(|n| text(&n.hint)),
        table: node.and_then(page_kind).unwrap_or(false),
        questions: page_members(inst, id)
            .into_iter()
            .map(|m| single_view(inst, m, is_first, is_last))
            .collect(),
        path,
    });
    view
}

/// The view of one question, without its page.
fn single_view(inst: &Instance, id: NodeId, is_first: bool, is_last: bool) -> QuestionView {
    let form = inst.form();
    let node = inst.model_of(id).and_then(|m| form.nodes.get(m));
    let state = inst.state_of(id);
    let lang = inst.context().language.clone();
    let text = |t: &canvass_form::model::Text| {
        t.get(lang.as_deref(), form.default_language.as_deref())
            .map(|s| inst.pipe(s, id))
            .filter(|s| !s.is_empty())
    };
    let (kind, min, max) = match node.and_then(|n| n.question_type()) {
        Some(QuestionType::Range { start, end, .. }) => {
            ("range", Some(*start as i64), Some(*end as i64))
        }
        Some(QuestionType::Integer) => ("number", None, None),
        Some(QuestionType::Decimal) => ("decimal", None, None),
        Some(QuestionType::SelectOne) => ("select_one", None, None),
        Some(QuestionType::SelectMultiple) => ("select_multiple", None, None),
        Some(QuestionType::Rank) => ("rank", None, None),
        Some(QuestionType::Note) => ("note", None, None),
        Some(QuestionType::Acknowledge) => ("acknowledge", None, None),
        Some(QuestionType::Date) => ("date", None, None),
        Some(QuestionType::Time) => ("time", None, None),
        Some(QuestionType::DateTime) => ("datetime", None, None),
        // CAPI widgets (ui/widgets/geopoint.js, attach.js); answers go through canvass_app::attachments.
        Some(QuestionType::Geopoint) => ("geopoint", None, None),
        Some(QuestionType::Image) => ("image", None, None),
        Some(QuestionType::Audio) => ("audio", None, None),
        Some(QuestionType::Video) | Some(QuestionType::File) => ("file", None, None),
        _ => ("text", None, None),
    };
    let choices = node
        .and_then(|n| n.choices.as_ref())
        .and_then(|src| form.choice_lists.get(&src.list))
        .map(|list| {
            inst.choices_of(id)
                .into_iter()
                .map(|name| {
                    let label = list
                        .choices
                        .iter()
                        .find(|c| c.name == name)
                        .and_then(|c| {
                            c.label
                                .get(lang.as_deref(), form.default_language.as_deref())
                        })
                        .map(|l| inst.pipe(l, id))
                        .unwrap_or_else(|| name.clone());
                    ChoiceView { value: name, label }
                })
                .collect()
        })
        .unwrap_or_default();
    let error = (!state.constraint_ok).then(|| {
        node.and_then(|n| text(&n.constraint_message))
            .unwrap_or_else(|| "this answer is not accepted".to_owned())
    });
    QuestionView {
        name: node.map(|n| n.name.clone()).unwrap_or_default(),
        path: state.path.clone(),
        kind,
        label: inst.label(&state.path).unwrap_or_default(),
        hint: node.and_then(|n| text(&n.hint)),
        read_aloud: node.and_then(|n| text(&n.read_aloud)),
        instructions: node.and_then(|n| text(&n.instructions)),
        required: state.required,
        read_only: state.read_only || kind == "note",
        min,
        max,
        choices,
        value: state.value,
        error,
        is_first,
        is_last,
        repeat: repeat_view(inst, id, &state.path),
        missing: (!state.required_ok).then(|| {
            node.and_then(|n| text(&n.required_message))
                .unwrap_or_else(|| "this question needs an answer before moving on".to_owned())
        }),
        page: None,
    }
}

/// The innermost interviewer-controlled repeat instance around the question at `id`.
fn repeat_view(inst: &Instance, id: NodeId, path: &str) -> Option<RepeatView> {
    let form = inst.form();
    let lang = inst.context().language.clone();
    // Walk the path's steps from the innermost outwards; the first `[k]` step
    // whose model is a user-controlled repeat is the roster the question is in.
    let mut cut = path.len();
    while let Some(close) = path[..cut].rfind(']') {
        let open = path[..close].rfind('[')?;
        let instance_path = &path[..=close];
        let range_path = &path[..open];
        cut = open;
        let Some(inst_id) = inst.find(instance_path) else {
            continue;
        };
        let Some(model) = inst.model_of(inst_id).and_then(|m| form.nodes.get(m)) else {
            continue;
        };
        if !matches!(
            model.kind,
            NodeKind::Repeat {
                count: RepeatCount::User
            }
        ) {
            continue;
        }
        let index: usize = path[open + 1..close].parse().ok()?;
        let count = instance_count(inst, range_path);
        let prefix = format!("{instance_path}/");
        let last_in_instance = screens(inst)
            .into_iter()
            .rev()
            .find(|&s| inst.path_of_node(s).starts_with(&prefix))
            == Some(id);
        let label = model
            .label
            .get(lang.as_deref(), form.default_language.as_deref())
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| model.name.clone());
        return Some(RepeatView {
            range_path: range_path.to_owned(),
            instance_path: instance_path.to_owned(),
            index,
            count,
            label,
            last_in_instance,
        });
    }
    None
}

/// Checks a value typed for the question at `id` and returns it in canonical form.
///
/// An empty value clears the answer. Whether an answer may stay empty, or
/// breaks the form's constraint, is decided when moving on, as in ODK.
pub fn check_value(inst: &Instance, id: NodeId, value: &str) -> Result<String> {
    let node = inst.model_of(id).and_then(|m| inst.form().nodes.get(m));
    let item = node.map(|n| n.name.clone()).unwrap_or_default();
    let qt = node.and_then(|n| n.question_type()).cloned();
    let invalid = |reason: String| Error::InvalidAnswer {
        item: item.clone(),
        reason,
    };
    if matches!(qt, Some(QuestionType::Note))
        || node.is_some_and(|n| !is_screen_node(n))
        || qt.is_none()
    {
        return Err(Error::NotAnswerable { item });
    }
    if inst.state_of(id).read_only {
        return Err(Error::NotAnswerable { item });
    }
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    match qt {
        Some(QuestionType::Integer) => v
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| invalid(format!("`{value}` is not a whole number"))),
        Some(QuestionType::Decimal) => v
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|_| v.to_owned())
            .ok_or_else(|| invalid(format!("`{value}` is not a number"))),
        Some(QuestionType::Range { start, end, step }) => {
            let n: f64 = v
                .parse()
                .map_err(|_| invalid(format!("`{value}` is not a number")))?;
            let (lo, hi) = if start <= end {
                (start, end)
            } else {
                (end, start)
            };
            if !(lo..=hi).contains(&n) {
                return Err(invalid(format!(
                    "{v} is outside the allowed range {start} to {end}"
                )));
            }
            let steps = (n - start) / step;
            if step > 0.0 && (steps - steps.round()).abs() > 1e-9 {
                return Err(invalid(format!(
                    "{v} is not one of the steps of {step} from {start}"
                )));
            }
            Ok(if n.fract() == 0.0 {
                (n as i64).to_string()
            } else {
                v.to_owned()
            })
        }
        Some(QuestionType::SelectOne) => {
            if inst.choices_of(id).iter().any(|c| c == v) {
                Ok(v.to_owned())
            } else {
                Err(invalid(format!(
                    "`{value}` is not one of this question's options"
                )))
            }
        }
        Some(t @ (QuestionType::SelectMultiple | QuestionType::Rank)) => {
            let offered = inst.choices_of(id);
            let parts: Vec<&str> = v.split_whitespace().collect();
            for (i, part) in parts.iter().enumerate() {
                if !offered.iter().any(|c| c == part) {
                    return Err(invalid(format!(
                        "`{part}` is not one of this question's options"
                    )));
                }
                // A rank is an order of distinct options: one option cannot hold two places.
                if t == QuestionType::Rank && parts[..i].contains(part) {
                    return Err(invalid(format!("`{part}` is ranked twice")));
                }
            }
            Ok(parts.join(" "))
        }
        _ => Ok(v.to_owned()),
    }
}

/// Why the screen of question `id` may not be left as it is, if it may not:
/// the first problem among the questions of its page, or of the question alone.
pub fn blocking_problem(inst: &Instance, id: NodeId) -> Option<Error> {
    page_members(inst, id)
        .into_iter()
        .find_map(|m| question_problem(inst, m))
}

/// Why the one question at `id` may not be left as it is, if it may not.
fn question_problem(inst: &Instance, id: NodeId) -> Option<Error> {
    let state = inst.state_of(id);
    let node = inst.model_of(id).and_then(|m| inst.form().nodes.get(m));
    let item = node.map(|n| n.name.clone()).unwrap_or_default();
    let lang = inst.context().language.clone();
    let message = |t: Option<&canvass_form::model::Text>| {
        t.and_then(|t| t.get(lang.as_deref(), inst.form().default_language.as_deref()))
            .map(|s| inst.pipe(s, id))
            .filter(|s| !s.is_empty())
    };
    if !state.required_ok {
        let message = message(node.map(|n| &n.required_message))
            .unwrap_or_else(|| "this question needs an answer before moving on".to_owned());
        return Some(Error::Required { item, message });
    }
    if !state.constraint_ok {
        let message = message(node.map(|n| &n.constraint_message))
            .unwrap_or_else(|| "this answer is not accepted".to_owned());
        return Some(Error::ConstraintFailed { item, message });
    }
    None
}

// Rebuilding an instance from stored answers is engine work shared with the
// data exports (device and server), so it lives in canvass-form.
pub use canvass_form::rebuild::{
    context, ensure_repeats, instance_count, rebuild, rebuild_with_preload,
};
