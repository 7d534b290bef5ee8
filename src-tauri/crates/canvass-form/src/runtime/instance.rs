//! One interview's state over a `Questionnaire`: the instance tree, its evaluation and its edits.
//!
//! The tree is an arena of `RNode`s: id 0 is the primary instance's document node, id 1 its root
//! element; each choice list follows as a secondary instance (`instance('list')/root/item`).
//! Edits re-evaluate only the nodes downstream of the change in the dependency graph built at
//! load; `recompute_all` is the full pass kept as the test oracle.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::expr::{self, Context, Document, NodeId};
use crate::model::{DefaultValue, NodeIndex, NodeKind, QuestionType, Questionnaire, RepeatCount};
use crate::runtime::deps;

/// Computed state of one instance node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    relevant: bool,
    required: bool,
    read_only: bool,
    constraint_ok: bool,
}

#[derive(Debug, Clone)]
struct RNode {
    name: String,
    /// The model node it instantiates; `None` for document nodes and secondary instances.
    model: Option<NodeIndex>,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    value: String,
    attrs: Vec<(String, String)>,
    state: State,
    alive: bool,
    /// Index in the parent's `children`, kept current on every insert and removal so that
    /// document-order keys cost the tree's depth instead of a scan of wide sibling lists.
    sib: u32,
    /// 1-based position among same-named siblings (the repeat index), kept current for the same
    /// reason: paths of the 500th roster member must not rescan 500 siblings.
    pos: u32,
}

/// What an edit changed: the instance paths whose value or state differs afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Nodes that are new or whose value or state differs, in document order.
    pub paths: Vec<String>,
    /// Repeat instances that were removed (their descendants went with them), as they were named
    /// before the edit.
    pub removed: Vec<String>,
}

/// A node's state as the UI and the replay see it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeState {
    /// Instance path with repeat positions, `/data/member[2]/age`.
    pub path: String,
    /// The stored value, blank while the node is not relevant.
    pub value: String,
    pub relevant: bool,
    pub required: bool,
    pub read_only: bool,
    /// False only when relevant, not blank and the constraint is false.
    pub constraint_ok: bool,
    /// False only when relevant, required and blank.
    pub required_ok: bool,
}

/// What one model node's evaluation changed.
struct Evaluated {
    /// Instances whose value or state changed.
    changed: Vec<NodeId>,
    /// Anything may have changed (a counted repeat's instances came or went).
    all_changed: bool,
    /// Repeat instances were added or removed.
    structural: bool,
}

/// Model nodes awaiting evaluation in one `propagate`: on all instances, or on some.
struct Dirty {
    all: Vec<bool>,
    some: HashMap<NodeIndex, Vec<NodeId>>,
    /// Ranks in the evaluation order of the marked nodes still to visit, smallest first, so that
    /// an answer visits the few nodes it reaches instead of walking all two thousand.
    heap: std::collections::BinaryHeap<std::cmp::Reverse<usize>>,
    queued: Vec<bool>,
    /// Rank of the node being evaluated: marks at or before it have no effect, as in a single
    /// pass over the order.
    at: Option<usize>,
}

impl Dirty {
    /// Schedules model node `v` (rank `r`) unless the pass has already gone past it.
    fn enqueue(&mut self, v: NodeIndex, r: usize) {
        if self.at.is_some_and(|at| r <= at) {
            return;
        }
        if let Some(q) = self.queued.get_mut(v) {
            if !*q {
                *q = true;
                self.heap.push(std::cmp::Reverse(r));
            }
        }
    }
}

/// One interview.
#[derive(Debug, Clone)]
pub struct Instance {
    form: Questionnaire,
    ctx: Context,
    nodes: Vec<RNode>,
    /// Live instance nodes of every model node, in document order.
    instances: Vec<Vec<NodeId>>,
    dependents: Vec<Vec<NodeIndex>>,
    /// Position of each model node in `order`.
    rank: Vec<usize>,
    /// Per edge of `dependents`, the repeat whose instance bounds it (`deps::edge_scopes`).
    scopes: Vec<Vec<Option<NodeIndex>>>,
    /// Nodes that read other instances of themselves, evaluated on all instances or none.
    self_cross: Vec<bool>,
    /// Instance-node evaluations since creation: finer than `evaluations`, for tests that check
    /// an answer in one repeat instance leaves the other instances alone.
    instance_evaluations: usize,
    /// While an edit reports changes by comparison (`add_repeat`): each touched existing node's
    /// value and state before its first change.
    pre: Option<HashMap<NodeId, (String, State)>>,
    /// Document-order keys and paths of nodes removed while `pre` is recording.
    removed_paths: Vec<(Vec<usize>, String)>,
    order: Vec<NodeIndex>,
    dynamic: Vec<bool>,
    secondary: HashMap<String, NodeId>,
    /// First model node (document arena order, root excluded) of each name, so that `${name}`
    /// resolves without scanning every model node: the same answer as `Questionnaire::by_name`.
    names: HashMap<String, NodeIndex>,
    /// Nodes whose calculation a question's change triggers, keyed by the question's template
    /// path, in arena order, so that `set_answer` does not scan every node for `trigger` binds.
    triggers: HashMap<String, Vec<NodeIndex>>,
    /// itext id (`list-3`) of each secondary item → (list, choice index), for `jr:itext`.
    itext: HashMap<String, (String, usize)>,
    /// Evaluation failures seen so far (a form the importer accepted should have none).
    errors: Vec<Error>,
    /// Model nodes evaluated since creation, to check that edits stay incremental.
    evaluations: usize,
    /// Instance nodes whose value or state changed during the current edit.
    touched: Vec<NodeId>,
    /// Paths of repeat instances removed during the current edit.
    removed: Vec<String>,
    /// Preload values (CATI/CAPI case data) by reference name, `case.NAME` → its leaf node.
    preload: HashMap<String, NodeId>,
    /// The value of every `random()` draw, when fixed for a conformance replay.
    fixed_random: Option<f64>,
    /// True while the interview is first built, when repeats take the number of instances the
    /// form starts with rather than the number a new enclosing instance brings.
    starting: bool,
}

/// The prefix of preload references: `${case.company}` reads the case's `company` value.
pub const PRELOAD_PREFIX: &str = "case.";

const ROOT_STATE: State = State {
    relevant: true,
    required: false,
    read_only: false,
    constraint_ok: true,
};

impl Instance {
    /// Creates a blank interview: repeat instances per their counts (one for interviewer-controlled
    /// repeats, as ODK's web engine does), defaults applied once, everything evaluated.
    pub fn new(form: Questionnaire, ctx: Context) -> Instance {
        Instance::with_preload(form, ctx, &std::collections::BTreeMap::new())
    }

    /// Like [`Instance::new`], with preload values (a case's sample data) that expressions and
    /// labels read as `${case.NAME}`. They are fixed for the interview's life, so nothing depends
    /// on them changing; a name the case lacks reads as blank.
    pub fn with_preload(
        form: Questionnaire,
        ctx: Context,
        preload: &std::collections::BTreeMap<String, String>,
    ) -> Instance {
        Instance::build(form, ctx, preload, None)
    }

    /// Like [`Instance::new`], with every `random()` draw returning `draw`. Only for comparing a
    /// replay with another engine made to draw the same number (the ODK conformance test): two
    /// engines' generators can never agree draw by draw, since each draws in its own order.
    pub fn with_fixed_random(form: Questionnaire, ctx: Context, draw: f64) -> Instance {
        Instance::build(form, ctx, &std::collections::BTreeMap::new(), Some(draw))
    }

    fn build(
        form: Questionnaire,
        ctx: Context,
        preload: &std::collections::BTreeMap<String, String>,
        fixed_random: Option<f64>,
    ) -> Instance {
        let dependents = deps::dependents(&form);
        let order = deps::topological_order(&form, &dependents);
        let (scopes, self_cross) = deps::edge_scopes(&form, &dependents);
        let mut rank = vec![0; form.nodes.len()];
        for (r, &v) in order.iter().enumerate() {
            if let Some(x) = rank.get_mut(v) {
                *x = r;
            }
        }
        let dynamic = form
            .nodes
            .iter()
            .map(|n| n.expressions().iter().any(|e| e.dynamic))
            .collect();
        let n_model = form.nodes.len();
        let mut names: HashMap<String, NodeIndex> = HashMap::new();
        let mut triggers: HashMap<String, Vec<NodeIndex>> = HashMap::new();
        for (i, n) in form.nodes.iter().enumerate().skip(1) {
            names.entry(n.name.clone()).or_insert(i);
        }
        for (i, n) in form.nodes.iter().enumerate() {
            for t in &n.binds.trigger {
                let list = triggers.entry(t.clone()).or_default();
                // A node listing the same trigger twice still runs once, as the scan it replaces did.
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let mut inst = Instance {
            names,
            triggers,
            scopes,
            rank,
            self_cross,
            instance_evaluations: 0,
            pre: None,
            removed_paths: Vec::new(),
            ctx,
            nodes: Vec::new(),
            instances: vec![Vec::new(); n_model],
            dependents,
            order,
            dynamic,
            secondary: HashMap::new(),
            itext: HashMap::new(),
            errors: Vec::new(),
            evaluations: 0,
            touched: Vec::new(),
            removed: Vec::new(),
            preload: HashMap::new(),
            fixed_random,
            starting: true,
            form,
        };
        let doc = inst.push(RNode {
            name: "#document".into(),
            model: None,
            parent: None,
            children: Vec::new(),
            value: String::new(),
            attrs: Vec::new(),
            state: ROOT_STATE,
            alive: true,
            sib: 0,
            pos: 1,
        });
        let root = inst.create(0, doc, usize::MAX);
        inst.starting = false;
        let mut attrs = vec![("id".to_string(), inst.form.id.clone())];
        if let Some(v) = &inst.form.version {
            attrs.push(("version".into(), v.clone()));
        }
        if let Some(r) = inst.nodes.get_mut(root.0 as usize) {
            r.attrs = attrs;
        }
        inst.build_secondary();
        inst.build_preload(preload);
        inst.apply_dynamic_defaults(root);
        inst.recompute_all();
        inst
    }

    /// The form this interview runs.
    pub fn form(&self) -> &Questionnaire {
        &self.form
    }

    /// The evaluation context (clock, seed, language).
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Switches the language used for labels and `jr:choice-name`; values never change.
    pub fn set_language(&mut self, language: Option<String>) {
        self.ctx.language = language;
    }

    /// How many model-node evaluations have run since creation (a work measure, not a clock).
    pub fn evaluation_count(&self) -> usize {
        self.evaluations
    }

    /// Evaluation failures recorded so far.
    pub fn eval_errors(&self) -> &[Error] {
        &self.errors
    }

    fn push(&mut self, n: RNode) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        let parent = n.parent;
        self.nodes.push(n);
        if let Some(p) = parent {
            self.attach(p, id, usize::MAX);
        }
        id
    }

    /// Inserts `id` among `parent`'s children at `at` (or appends) and keeps `sib` and `pos` of the
    /// siblings current. Appending, the common case, looks back only to the nearest same-named
    /// sibling; an insertion in the middle renumbers the parent's children once.
    fn attach(&mut self, parent: NodeId, id: NodeId, at: usize) {
        let Some(p) = self.nodes.get_mut(parent.0 as usize) else {
            return;
        };
        let at = at.min(p.children.len());
        p.children.insert(at, id);
        if at + 1 == p.children.len() {
            let name = self
                .nodes
                .get(id.0 as usize)
                .map(|n| n.name.as_str())
                .unwrap_or("");
            let siblings = self
                .nodes
                .get(parent.0 as usize)
                .map(|p| p.children.as_slice())
                .unwrap_or(&[]);
            let pos = siblings[..at]
                .iter()
                .rev()
                .find_map(|&c| {
                    self.nodes
                        .get(c.0 as usize)
                        .filter(|cn| cn.name == name)
                        .map(|cn| cn.pos + 1)
                })
                .unwrap_or(1);
            if let Some(n) = self.nodes.get_mut(id.0 as usize) {
                n.sib = at as u32;
                n.pos = pos;
            }
        } else {
            self.renumber(parent);
        }
    }

    /// Recomputes `sib` and `pos` of every child of `parent` after an insertion or removal.
    fn renumber(&mut self, parent: NodeId) {
        let Some(p) = self.nodes.get(parent.0 as usize) else {
            return;
        };
        let kids = p.children.clone();
        let mut seen: HashMap<String, u32> = HashMap::new();
        for (i, c) in kids.into_iter().enumerate() {
            let Some(n) = self.nodes.get_mut(c.0 as usize) else {
                continue;
            };
            let count = seen.entry(n.name.clone()).or_insert(0);
            *count += 1;
            n.sib = i as u32;
            n.pos = *count;
        }
    }

    fn node(&self, id: NodeId) -> Option<&RNode> {
        self.nodes.get(id.0 as usize)
    }

    /// Creates the instance element of model node `m` under `parent` (inserted at `at` among the
    /// parent's children, or appended), with its subtree and literal defaults and preloads.
    fn create(&mut self, m: NodeIndex, parent: NodeId, at: usize) -> NodeId {
        let Some(model) = self.form.nodes.get(m) else {
            return parent;
        };
        let mut value = match &model.binds.default {
            Some(DefaultValue::Literal(v)) => v.clone(),
            _ => String::new(),
        };
        match model.question_type() {
            Some(QuestionType::Start) | Some(QuestionType::End) => {
                value = self.ctx.now.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
            }
            Some(QuestionType::Today) => value = self.ctx.now.format("%Y-%m-%d").to_string(),
            _ => {}
        }
        let children = model.children.clone();
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(RNode {
            name: model.name.clone(),
            model: Some(m),
            parent: Some(parent),
            children: Vec::new(),
            value,
            attrs: Vec::new(),
            state: ROOT_STATE,
            alive: true,
            sib: 0,
            pos: 1,
        });
        self.attach(parent, id, at);
        self.register(m, id);
        self.touched.push(id);
        for c in children {
            let count = match self
                .form
                .nodes
                .get(c)
                .map(|n| (&n.kind, n.initial_instances))
            {
                Some((
                    NodeKind::Repeat {
                        count: RepeatCount::User,
                    },
                    counts,
                )) => counts.map_or(1, |(start, new)| {
                    if self.starting {
                        start as usize
                    } else {
                        new as usize
                    }
                }),
                Some((
                    NodeKind::Repeat {
                        count: RepeatCount::Fixed(n),
                    },
                    _,
                )) => (*n).min(crate::model::MAX_REPEAT_INSTANCES) as usize,
                // Counted by expression: created by the first evaluation.
                Some((
                    NodeKind::Repeat {
                        count: RepeatCount::Dynamic(_),
                    },
                    _,
                )) => 0,
                _ => 1,
            };
            for _ in 0..count {
                self.create(c, id, usize::MAX);
            }
        }
        id
    }

    /// Adds `id` to the instance list of `m`, keeping document order.
    fn register(&mut self, m: NodeIndex, id: NodeId) {
        let pos = {
            let list = &self.instances[m];
            let key = self.order_key(id);
            // The list is sorted, so a binary search finds the same place as a linear scan.
            list.partition_point(|&x| self.order_key(x) <= key)
        };
        self.instances[m].insert(pos, id);
    }

    /// Positions from the root down, which sort nodes in document order.
    fn order_key(&self, id: NodeId) -> Vec<usize> {
        let mut key = Vec::new();
        let mut cur = id;
        while let Some(n) = self.node(cur) {
            let Some(p) = n.parent else { break };
            key.push(n.sib as usize);
            cur = p;
        }
        key.reverse();
        key
    }

    /// Secondary instances, one per choice list: `root/item` with `name`, `label`, `itextId` and
    /// every extra column.
    fn build_secondary(&mut self) {
        let lists: Vec<_> = self.form.choice_lists.values().cloned().collect();
        let lang = self.form.default_language.clone();
        for list in lists {
            let doc = self.push(RNode {
                name: "#document".into(),
                model: None,
                parent: None,
                children: Vec::new(),
                value: String::new(),
                attrs: Vec::new(),
                state: ROOT_STATE,
                alive: true,
                sib: 0,
                pos: 1,
            });
            let root = self.leaf(doc, "root", "");
            for (i, c) in list.choices.iter().enumerate() {
                let item = self.leaf(root, "item", "");
                let itext_id = format!("{}-{i}", list.name);
                self.leaf(item, "name", &c.name);
                self.leaf(
                    item,
                    "label",
                    c.label.get(lang.as_deref(), lang.as_deref()).unwrap_or(""),
                );
                self.leaf(item, "itextId", &itext_id);
                for (k, v) in &c.extra {
                    if k != "name"
                        && k != "label"
                        && k != "itextId"
                        && crate::import::is_valid_name(k)
                    {
                        self.leaf(item, k, v);
                    }
                }
                self.itext.insert(itext_id, (list.name.clone(), i));
            }
            self.secondary.insert(list.name.clone(), doc);
        }
    }

    /// The preload values as a detached tree (`#document/case/NAME`), outside the primary
    /// instance, so they never appear in the record or in paths.
    fn build_preload(&mut self, preload: &std::collections::BTreeMap<String, String>) {
        if preload.is_empty() {
            return;
        }
        let doc = self.push(RNode {
            name: "#document".into(),
            model: None,
            parent: None,
            children: Vec::new(),
            value: String::new(),
            attrs: Vec::new(),
            state: ROOT_STATE,
            alive: true,
            sib: 0,
            pos: 1,
        });
        let case = self.leaf(doc, "case", "");
        for (k, v) in preload {
            let n = self.leaf(case, k, v);
            self.preload.insert(format!("{PRELOAD_PREFIX}{k}"), n);
        }
    }

    fn leaf(&mut self, parent: NodeId, name: &str, value: &str) -> NodeId {
        self.push(RNode {
            name: name.into(),
            model: None,
            parent: Some(parent),
            children: Vec::new(),
            value: value.into(),
            attrs: Vec::new(),
            state: ROOT_STATE,
            alive: true,
            sib: 0,
            pos: 1,
        })
    }

    /// Evaluates the dynamic defaults in the subtree at `top`, once, in document order.
    fn apply_dynamic_defaults(&mut self, top: NodeId) {
        let mut stack = vec![top];
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else { continue };
            let children = n.children.clone();
            if let Some(m) = n.model {
                if let Some(model) = self.form.nodes.get(m) {
                    if let Some(DefaultValue::Dynamic(e)) = &model.binds.default {
                        let v = expr::eval_string(&e.expr, self, id, &self.ctx);
                        match v {
                            Ok(v) => self.nodes[id.0 as usize].value = v,
                            Err(source) => self.errors.push(Error::Eval {
                                path: self.path_of(id),
                                expression: e.source.clone(),
                                source,
                            }),
                        }
                    } else if self.assigns_instance_id(m) {
                        // Every record gets `uuid:` + a UUID v4, drawn from the context's seed.
                        let (e, _) = expr::parse("concat('uuid:', uuid())");
                        if let Ok(v) = expr::eval_string(&e, self, id, &self.ctx) {
                            self.nodes[id.0 as usize].value = v;
                        }
                    }
                }
            }
            stack.extend(children.into_iter().rev());
        }
    }

    /// Whether Canvass itself fills model node `m` with the record's `uuid:` id: a `meta/instanceID`
    /// that the form leaves without a calculation, default or preload (ODK Collect fills it too).
    pub fn assigns_instance_id(&self, m: NodeIndex) -> bool {
        self.form.nodes.get(m).is_some_and(|model| {
            model.name == "instanceID"
                && matches!(model.question_type(), Some(QuestionType::ModelValue))
                && model.binds.default.is_none()
                && model.binds.calculation.is_none()
        })
    }

    /// The instance path of `id`, with positions on repeat instances.
    pub fn path_of_node(&self, id: NodeId) -> String {
        self.path_of(id)
    }

    fn path_of(&self, id: NodeId) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let Some(n) = self.node(c) else { break };
            if n.parent.is_none() {
                break;
            }
            let is_repeat = n
                .model
                .and_then(|m| self.form.nodes.get(m))
                .is_some_and(|m| m.is_repeat());
            if is_repeat {
                parts.push(format!("{}[{}]", n.name, n.pos));
            } else {
                parts.push(n.name.clone());
            }
            cur = n.parent;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// The node at an instance path such as `/data/member[2]/age` (a missing position means 1).
    pub fn find(&self, path: &str) -> Option<NodeId> {
        let mut cur = NodeId(0);
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let (name, pos) = match seg.split_once('[') {
                Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()?),
                None => (seg, 1),
            };
            // `pos` is kept current per child, so the wanted one is found without collecting all
            // same-named siblings.
            let wanted = pos.checked_sub(1)? as u32 + 1;
            cur = *self.node(cur)?.children.iter().find(|&&c| {
                self.node(c)
                    .is_some_and(|n| n.pos == wanted && n.name == name)
            })?;
        }
        (cur != NodeId(0)).then_some(cur)
    }

    /// Live instance nodes of model node `m`.
    pub fn instances_of(&self, m: NodeIndex) -> &[NodeId] {
        self.instances.get(m).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The model node an instance node instantiates.
    pub fn model_of(&self, id: NodeId) -> Option<NodeIndex> {
        self.node(id).and_then(|n| n.model)
    }

    /// Sets a question's value (its XForms string; `""` clears) and re-evaluates what depends on it.
    /// Loads stored answers in one go, as resuming an interview does: values are placed
    /// without re-evaluating after each one, then the whole form is evaluated once, which
    /// gives the same state as setting them one by one (the full re-evaluation is the
    /// oracle the incremental path is tested against).
    ///
    /// Answers whose node does not exist yet (inside a counted repeat that the loaded
    /// answers themselves create) and answers that fire `trigger` calculations are
    /// returned, for the caller to set one by one with [`Instance::set_answer`] afterwards.
    pub fn load_answers<'a>(
        &mut self,
        answers: &'a [(String, String)],
    ) -> Vec<&'a (String, String)> {
        let mut later = Vec::new();
        for a in answers {
            let Some((id, m)) = self
                .find(&a.0)
                .and_then(|id| Some((id, self.model_of(id)?)))
            else {
                later.push(a);
                continue;
            };
            let Some(ty) = self.form.nodes[m].question_type().cloned() else {
                // Groups and repeat instances hold no value (e.g. a stored instance marker).
                continue;
            };
            if matches!(ty, QuestionType::Note | QuestionType::Calculate)
                || self.triggers.contains_key(&self.form.nodes[m].path)
            {
                later.push(a);
                continue;
            }
            self.nodes[id.0 as usize].value = normalize(&ty, &a.1);
        }
        self.recompute_all();
        later
    }

    pub fn set_answer(&mut self, path: &str, value: &str) -> Result<Changes> {
        let id = self
            .find(path)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let m = self
            .model_of(id)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let model = &self.form.nodes[m];
        let Some(ty) = model.question_type() else {
            return Err(Error::NotAQuestion(path.to_string()));
        };
        let own_read_only = matches!(ty, QuestionType::Note | QuestionType::Calculate)
            || self.nodes[id.0 as usize].state.read_only;
        if own_read_only {
            return Err(Error::ReadOnly(path.to_string()));
        }
        let value = normalize(ty, value);
        self.touched.clear();
        self.removed.clear();
        if self.nodes[id.0 as usize].value != value {
            self.touched.push(id);
        }
        self.nodes[id.0 as usize].value = value;
        // Triggered calculations run only when their trigger changes (XLSForm `trigger`).
        let triggered: Vec<NodeIndex> = self
            .triggers
            .get(&self.form.nodes[m].path)
            .cloned()
            .unwrap_or_default();
        for &t in &triggered {
            self.run_triggered(t);
        }
        // The answered instance alone is the seed; triggered calculations ran on all instances.
        let mut seeds: Vec<(NodeIndex, Option<Vec<NodeId>>)> = vec![(m, Some(vec![id]))];
        seeds.extend(triggered.into_iter().map(|t| (t, None)));
        self.propagate(&seeds, false);
        Ok(self.take_touched())
    }

    fn run_triggered(&mut self, t: NodeIndex) {
        let targets = self.instances[t].clone();
        let calc = self.form.nodes[t].binds.calculation.clone();
        for id in targets {
            let v = match &calc {
                // A trigger without a calculation clears its target.
                None => Ok(String::new()),
                Some(e) => {
                    expr::eval_string(&e.expr, self, id, &self.ctx).map_err(|source| Error::Eval {
                        path: self.path_of(id),
                        expression: e.source.clone(),
                        source,
                    })
                }
            };
            match v {
                Ok(v) => {
                    if self.nodes[id.0 as usize].value != v {
                        self.touched.push(id);
                    }
                    self.nodes[id.0 as usize].value = v;
                }
                Err(e) => self.errors.push(e),
            }
        }
    }

    /// Appends an instance to an interviewer-controlled repeat (`/data/member`, `/data/hh[2]/member`).
    pub fn add_repeat(&mut self, path: &str) -> Result<Changes> {
        let (parent_path, name) = path
            .rsplit_once('/')
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let parent = if parent_path.is_empty() {
            Some(NodeId(0))
        } else {
            self.find(parent_path)
        }
        .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let pm = self
            .model_of(parent)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let m = self.form.nodes[pm]
            .children
            .iter()
            .copied()
            .find(|&c| self.form.nodes[c].name == name)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        if !matches!(
            self.form.nodes[m].kind,
            NodeKind::Repeat {
                count: RepeatCount::User
            }
        ) {
            return Err(Error::NotARepeat(path.to_string()));
        }
        // Appending renumbers no existing node, so the changes are the new nodes and the existing
        // nodes whose state differs from its pre-image; that matches a whole-form snapshot diff
        // at the cost of the nodes the edit touches.
        self.touched.clear();
        self.removed.clear();
        self.removed_paths.clear();
        self.pre = Some(HashMap::new());
        let first_new = self.nodes.len();
        let at = self.insert_position(parent, pm, m);
        let id = self.create(m, parent, at);
        self.apply_dynamic_defaults(id);
        // Seeds are the new instance's nodes; what reads them is reached along the dependency
        // edges, bounded to this instance where the reads stay inside it.
        let mut by_model: std::collections::BTreeMap<NodeIndex, Vec<NodeId>> =
            std::collections::BTreeMap::new();
        for (k, n) in self.nodes.iter().enumerate().skip(first_new) {
            if let (Some(nm), true) = (n.model, n.alive) {
                by_model.entry(nm).or_default().push(NodeId(k as u32));
            }
        }
        let seeds: Vec<(NodeIndex, Option<Vec<NodeId>>)> = by_model
            .into_iter()
            .map(|(nm, ids)| (nm, Some(ids)))
            .collect();
        self.propagate(&seeds, false);
        let pre = self.pre.take().unwrap_or_default();
        let mut touched = std::mem::take(&mut self.touched);
        // The document node and the root element are not part of a snapshot.
        touched.retain(|&t| t.0 > 1 && self.node(t).is_some_and(|n| n.alive));
        touched.sort_unstable();
        touched.dedup();
        let mut keyed: Vec<(Vec<usize>, NodeId)> = touched
            .into_iter()
            .filter(|&t| match pre.get(&t) {
                Some((value, state)) => self.state_with(t, value, *state) != self.state_of(t),
                // Untouched before the edit and without a pre-image: a node the edit created.
                None => t.0 as usize >= first_new,
            })
            .map(|t| (self.order_key(t), t))
            .collect();
        keyed.sort();
        let mut removed = std::mem::take(&mut self.removed_paths);
        removed.sort();
        self.removed.clear();
        Ok(Changes {
            paths: keyed.into_iter().map(|(_, t)| self.path_of(t)).collect(),
            removed: removed.into_iter().map(|(_, p)| p).collect(),
        })
    }

    /// What `state_of(id)` would say if the node held `value` and `state`.
    fn state_with(&self, id: NodeId, value: &str, state: State) -> NodeState {
        let leaf = self
            .model_of(id)
            .and_then(|m| self.form.nodes.get(m))
            .is_some_and(|m| m.is_leaf());
        NodeState {
            path: self.path_of(id),
            required_ok: !(state.relevant && state.required && leaf && value.is_empty()),
            value: if state.relevant && leaf {
                value.to_string()
            } else {
                String::new()
            },
            relevant: state.relevant,
            required: state.required,
            read_only: state.read_only,
            constraint_ok: state.constraint_ok,
        }
    }

    /// Removes a repeat instance (`/data/member[2]`); later instances renumber down.
    pub fn remove_repeat(&mut self, path: &str) -> Result<Changes> {
        let id = self
            .find(path)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let m = self
            .model_of(id)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        if !matches!(
            self.form.nodes[m].kind,
            NodeKind::Repeat {
                count: RepeatCount::User
            }
        ) {
            return Err(Error::NotARepeat(path.to_string()));
        }
        // A counted repeat may gain or lose instances anywhere while this settles; then only the
        // whole-form diff is sure to name every row. Forms without one take the cheap path.
        let counted = self.form.nodes.iter().any(|n| {
            matches!(
                n.kind,
                NodeKind::Repeat {
                    count: RepeatCount::Dynamic(_)
                }
            )
        });
        if counted {
            let before = self.snapshot();
            self.detach(id);
            self.propagate_subtree(m);
            self.touched.clear();
            self.removed.clear();
            return Ok(self.diff(&before));
        }
        // Only the removed instance and its later same-named siblings change paths (they
        // renumber down); every other row keeps its path, so it differs only if the edit touched
        // it. Rows of that region are compared by path before and after, as the diff did, and
        // touched rows elsewhere against their pre-images.
        let Some(x) = self.node(id) else {
            return Err(Error::UnknownPath(path.to_string()));
        };
        let (name, pos, parent) = (x.name.clone(), x.pos, x.parent);
        let tops: Vec<NodeId> = parent
            .and_then(|p| self.node(p))
            .map(|p| {
                p.children
                    .iter()
                    .copied()
                    .filter(|&c| {
                        self.node(c)
                            .is_some_and(|cn| cn.name == name && cn.pos >= pos)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let subtree_of = |inst: &Instance, tops: &[NodeId]| -> Vec<NodeId> {
            let mut out = Vec::new();
            let mut stack: Vec<NodeId> = tops.iter().rev().copied().collect();
            while let Some(n) = stack.pop() {
                out.push(n);
                if let Some(node) = inst.node(n) {
                    stack.extend(node.children.iter().rev().copied());
                }
            }
            out
        };
        let region = subtree_of(self, &tops);
        let before: Vec<NodeState> = region.iter().map(|&n| self.state_of(n)).collect();
        let in_region: std::collections::HashSet<NodeId> = region.iter().copied().collect();
        self.touched.clear();
        self.removed.clear();
        self.pre = Some(HashMap::new());
        self.detach(id);
        self.propagate_subtree(m);
        let pre = self.pre.take().unwrap_or_default();
        let touched = std::mem::take(&mut self.touched);
        self.removed.clear();
        let after_ids = subtree_of(self, tops.get(1..).unwrap_or(&[]));
        let after: Vec<NodeState> = after_ids.iter().map(|&n| self.state_of(n)).collect();
        let old: HashMap<&str, &NodeState> = before.iter().map(|s| (s.path.as_str(), s)).collect();
        let mut keyed: Vec<(Vec<usize>, String)> = after_ids
            .iter()
            .zip(&after)
            .filter(|(_, s)| old.get(s.path.as_str()).is_none_or(|o| *o != *s))
            .map(|(&n, s)| (self.order_key(n), s.path.clone()))
            .collect();
        let mut outside: Vec<NodeId> = touched
            .into_iter()
            .filter(|&t| {
                t.0 > 1 && !in_region.contains(&t) && self.node(t).is_some_and(|n| n.alive)
            })
            .collect();
        outside.sort_unstable();
        outside.dedup();
        for t in outside {
            let differs = match pre.get(&t) {
                Some((value, state)) => self.state_with(t, value, *state) != self.state_of(t),
                None => true,
            };
            if differs {
                keyed.push((self.order_key(t), self.path_of(t)));
            }
        }
        keyed.sort();
        let now: std::collections::HashSet<&str> = after.iter().map(|s| s.path.as_str()).collect();
        let removed = before
            .iter()
            .filter(|s| !now.contains(s.path.as_str()))
            .map(|s| s.path.clone())
            .collect();
        Ok(Changes {
            paths: keyed.into_iter().map(|(_, p)| p).collect(),
            removed,
        })
    }

    /// Where a new instance of repeat `m` goes among `parent`'s children: after the last existing
    /// instance, else before the first child that comes later in the model.
    fn insert_position(&self, parent: NodeId, pm: NodeIndex, m: NodeIndex) -> usize {
        let Some(p) = self.node(parent) else {
            return usize::MAX;
        };
        let model_children = &self.form.nodes[pm].children;
        let rank = |x: NodeIndex| {
            model_children
                .iter()
                .position(|&c| c == x)
                .unwrap_or(usize::MAX)
        };
        let my = rank(m);
        p.children
            .iter()
            .position(|&c| self.model_of(c).is_some_and(|cm| rank(cm) > my))
            .unwrap_or(p.children.len())
    }

    fn detach(&mut self, id: NodeId) {
        if let Some(p) = self.node(id).and_then(|n| n.parent) {
            if let Some(pn) = self.nodes.get_mut(p.0 as usize) {
                pn.children.retain(|&c| c != id);
            }
            self.renumber(p);
        }
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            if let Some(n) = self.nodes.get_mut(x.0 as usize) {
                n.alive = false;
                stack.extend(n.children.iter().copied());
                if let Some(m) = n.model {
                    self.instances[m].retain(|&i| i != x);
                }
            }
        }
    }

    /// Re-evaluates after a structural change of repeat `m`: the repeat, everything in it and
    /// everything downstream, on every instance.
    fn propagate_subtree(&mut self, m: NodeIndex) {
        let seeds: Vec<(NodeIndex, Option<Vec<NodeId>>)> = (0..self.form.nodes.len())
            .filter(|&x| self.form.is_ancestor_or_self(m, x))
            .map(|x| (x, None))
            .collect();
        self.propagate(&seeds, false);
    }

    /// Full evaluation of every node in dependency order: the oracle for incremental updates.
    pub fn recompute_all(&mut self) {
        let all: Vec<(NodeIndex, Option<Vec<NodeId>>)> =
            (0..self.form.nodes.len()).map(|x| (x, None)).collect();
        self.propagate(&all, true);
        self.touched.clear();
        self.removed.clear();
    }

    /// Evaluates the seeds and, in topological order, everything downstream of a change. A seed
    /// is a model node with the instances that changed (`None`: all of them). Dirtiness is kept
    /// per instance node where an edge stays inside one repeat instance (see `deps::edge_scopes`),
    /// so an answer in one roster member re-evaluates that member's dependents, not every member's.
    fn propagate(&mut self, seeds: &[(NodeIndex, Option<Vec<NodeId>>)], force_all: bool) {
        let n = self.form.nodes.len();
        let mut dirty = Dirty {
            all: vec![force_all; n],
            some: HashMap::new(),
            heap: std::collections::BinaryHeap::new(),
            queued: vec![false; n],
            at: None,
        };
        for v in 0..n {
            if force_all || self.dynamic[v] {
                dirty.enqueue(v, self.rank[v]);
            }
        }
        for (s, ids) in seeds {
            match ids {
                None => {
                    if let Some(d) = dirty.all.get_mut(*s) {
                        *d = true;
                    }
                }
                Some(v) => dirty.some.entry(*s).or_default().extend(v.iter().copied()),
            }
            if let Some(&r) = self.rank.get(*s) {
                dirty.enqueue(*s, r);
            }
            self.mark_dependents(*s, ids.as_deref(), &mut dirty);
        }
        while let Some(std::cmp::Reverse(k)) = dirty.heap.pop() {
            dirty.at = Some(k);
            let Some(&v) = self.order.get(k) else {
                continue;
            };
            let only = if dirty.all[v] || self.dynamic[v] {
                dirty.some.remove(&v);
                None
            } else {
                match dirty.some.remove(&v) {
                    Some(_) if self.self_cross[v] => None,
                    Some(mut ids) => {
                        // Instances in document order, as a full evaluation visits them, so that
                        // touched nodes and recorded errors come in the same order.
                        ids.retain(|&id| self.node(id).is_some_and(|x| x.alive));
                        ids.sort_by_cached_key(|&id| self.order_key(id));
                        ids.dedup();
                        Some(ids)
                    }
                    None => continue,
                }
            };
            let out = self.evaluate(v, only.as_deref());
            if out.all_changed {
                self.mark_dependents(v, None, &mut dirty);
            } else if !out.changed.is_empty() {
                self.mark_dependents(v, Some(&out.changed), &mut dirty);
            }
            if out.structural {
                for x in 0..n {
                    if self.form.is_ancestor_or_self(v, x) {
                        dirty.all[x] = true;
                        dirty.enqueue(x, self.rank[x]);
                    }
                }
            }
        }
    }

    /// Marks what reads model node `s` after its instances `changed` (`None`: any) changed: along a
    /// bounded edge only the target instances inside the same repeat instance, else all of them.
    fn mark_dependents(&self, s: NodeIndex, changed: Option<&[NodeId]>, dirty: &mut Dirty) {
        let targets = self.dependents.get(s).map(Vec::as_slice).unwrap_or(&[]);
        let scopes = self.scopes.get(s).map(Vec::as_slice).unwrap_or(&[]);
        for (j, &t) in targets.iter().enumerate() {
            if dirty.all.get(t).copied().unwrap_or(true) {
                continue;
            }
            match (changed, scopes.get(j).copied().flatten()) {
                (Some(ids), Some(r)) => {
                    let mut found = Vec::new();
                    let mut unbounded = false;
                    for &id in ids {
                        match self.instances_in_scope(id, r, t) {
                            Some(v) => found.extend(v),
                            None => {
                                unbounded = true;
                                break;
                            }
                        }
                    }
                    if unbounded {
                        dirty.all[t] = true;
                    } else if !found.is_empty() {
                        dirty.some.entry(t).or_default().extend(found);
                    } else {
                        continue;
                    }
                }
                _ => dirty.all[t] = true,
            }
            if let Some(&r) = self.rank.get(t) {
                dirty.enqueue(t, r);
            }
        }
    }

    /// The instances of model node `t` inside the instance of repeat `r` that holds `id` (`id`'s
    /// ancestor-or-self), found by walking down the model chain from `r` to `t`; `None` when `id`
    /// is in no instance of `r`, which the caller treats as "every instance".
    fn instances_in_scope(&self, id: NodeId, r: NodeIndex, t: NodeIndex) -> Option<Vec<NodeId>> {
        let mut anchor = Some(id);
        while let Some(a) = anchor {
            let node = self.node(a)?;
            if node.model == Some(r) {
                break;
            }
            anchor = node.parent;
        }
        let anchor = anchor?;
        let mut chain = Vec::new();
        let mut m = Some(t);
        while let Some(x) = m {
            if x == r {
                break;
            }
            chain.push(x);
            m = self.form.nodes.get(x).and_then(|n| n.parent);
        }
        // `t` must lie under `r`, which `edge_scopes` guarantees; otherwise fall back to all.
        m?;
        let mut nodes = vec![anchor];
        for &step in chain.iter().rev() {
            nodes = nodes
                .iter()
                .filter_map(|&x| self.node(x))
                .flat_map(|x| x.children.iter().copied())
                .filter(|&c| self.node(c).is_some_and(|cn| cn.model == Some(step)))
                .collect();
        }
        Some(nodes)
    }

    /// Evaluates model node `m` on the given instances (`None`: all): which instances changed
    /// observably, and whether repeat instances were added or removed (then its whole subtree
    /// needs evaluating).
    fn evaluate(&mut self, m: NodeIndex, only: Option<&[NodeId]>) -> Evaluated {
        self.evaluations += 1;
        let mut out = Evaluated {
            changed: Vec::new(),
            all_changed: false,
            structural: false,
        };
        let counted = matches!(
            self.form.nodes[m].kind,
            NodeKind::Repeat {
                count: RepeatCount::Dynamic(_)
            }
        );
        if counted && self.evaluate_count(m) {
            out.all_changed = true;
            out.structural = true;
        }
        // A counted repeat is evaluated whole: its instances may just have been created.
        let ids: Vec<NodeId> = match only {
            Some(v) if !counted => v.to_vec(),
            _ => self.instances[m].clone(),
        };
        self.instance_evaluations += ids.len();
        // The model is borrowed, not cloned: below only the fields `nodes`, `touched` and `errors`
        // are written, which the borrow checker sees as disjoint from `form`.
        let model = &self.form.nodes[m];
        let mut errors: Vec<Error> = Vec::new();
        // Relevance first: calculations and checks below read it.
        let mut states: Vec<State> = Vec::with_capacity(ids.len());
        for &id in &ids {
            let parent_state = self
                .node(id)
                .and_then(|n| n.parent)
                .and_then(|p| self.node(p))
                .map_or(ROOT_STATE, |p| p.state);
            let own = match &model.binds.relevant {
                Some(e) => self.eval_bool(e, id, true, &mut errors),
                None => true,
            };
            let mut s = self.nodes[id.0 as usize].state;
            s.relevant = own && parent_state.relevant;
            let ro = match &model.binds.read_only {
                Some(e) => self.eval_bool(e, id, false, &mut errors),
                None => false,
            };
            s.read_only = ro
                || parent_state.read_only
                || matches!(model.question_type(), Some(QuestionType::Note));
            states.push(s);
        }
        let mut changed = vec![false; ids.len()];
        for (k, (&id, s)) in ids.iter().zip(&states).enumerate() {
            let node = &self.nodes[id.0 as usize];
            if node.state.relevant != s.relevant || node.state.read_only != s.read_only {
                if let Some(pre) = self.pre.as_mut() {
                    pre.entry(id)
                        .or_insert_with(|| (node.value.clone(), node.state));
                }
                changed[k] = true;
                self.touched.push(id);
            }
            let node = &mut self.nodes[id.0 as usize];
            node.state.relevant = s.relevant;
            node.state.read_only = s.read_only;
        }
        if let (Some(e), true) = (&model.binds.calculation, model.binds.trigger.is_empty()) {
            let values: Vec<String> = ids
                .iter()
                .map(
                    |&id| match expr::eval_string(&e.expr, self, id, &self.ctx) {
                        // A calculation that is not a number (`${blank} * 2`) stores a blank, as
                        // ODK's engine does, rather than the text `NaN`.
                        Ok(v) if v == "NaN" => String::new(),
                        Ok(v) => v,
                        Err(source) => {
                            errors.push(Error::Eval {
                                path: self.path_of(id),
                                expression: e.source.clone(),
                                source,
                            });
                            String::new()
                        }
                    },
                )
                .collect();
            for (k, (&id, v)) in ids.iter().zip(values).enumerate() {
                let node = &mut self.nodes[id.0 as usize];
                if node.value != v {
                    if let Some(pre) = self.pre.as_mut() {
                        pre.entry(id)
                            .or_insert_with(|| (node.value.clone(), node.state));
                    }
                    node.value = v;
                    changed[k] = true;
                    self.touched.push(id);
                }
            }
        }
        let checks: Vec<(bool, bool)> = ids
            .iter()
            .map(|&id| {
                let required = match &model.binds.required {
                    Some(e) => self.eval_bool(e, id, false, &mut errors),
                    None => false,
                };
                let n = &self.nodes[id.0 as usize];
                let constraint_ok = match &model.binds.constraint {
                    Some(e) if n.state.relevant && !n.value.is_empty() => {
                        self.eval_bool(e, id, true, &mut errors)
                    }
                    _ => true,
                };
                (required, constraint_ok)
            })
            .collect();
        for (k, (&id, (required, constraint_ok))) in ids.iter().zip(checks).enumerate() {
            let node = &mut self.nodes[id.0 as usize];
            if node.state.required != required || node.state.constraint_ok != constraint_ok {
                if let Some(pre) = self.pre.as_mut() {
                    pre.entry(id)
                        .or_insert_with(|| (node.value.clone(), node.state));
                }
                changed[k] = true;
                self.touched.push(id);
            }
            node.state.required = required;
            node.state.constraint_ok = constraint_ok;
        }
        self.errors.extend(errors);
        // Choice filters and seeds have no stored state: choices are computed when asked for.
        out.changed = ids
            .iter()
            .zip(changed)
            .filter(|(_, c)| *c)
            .map(|(&id, _)| id)
            .collect();
        out
    }

    /// Expression-counted repeats: the count is evaluated per parent instance; extra instances are
    /// removed, as ODK's web engine does (Collect keeps them). True when any count changed.
    fn evaluate_count(&mut self, m: NodeIndex) -> bool {
        let model = &self.form.nodes[m];
        let NodeKind::Repeat {
            count: RepeatCount::Dynamic(e),
        } = &model.kind
        else {
            return false;
        };
        // Cloned because creating and removing instances below needs `&mut self`; this runs
        // only for repeats counted by an expression.
        let (e, name, parent_model) = (e.clone(), model.name.clone(), model.parent.unwrap_or(0));
        let mut structural = false;
        for p in self.instances[parent_model].clone() {
            let want = match expr::eval(&e.expr, self, p, &self.ctx) {
                Ok(v) => {
                    let n = v.to_num(self, *self.ctx.now.offset());
                    if n.is_finite() && n > 0.0 {
                        (n as usize).min(crate::model::MAX_REPEAT_INSTANCES as usize)
                    } else {
                        0
                    }
                }
                Err(source) => {
                    self.errors.push(Error::Eval {
                        path: self.path_of(p),
                        expression: e.source.clone(),
                        source,
                    });
                    0
                }
            };
            let have: Vec<NodeId> = self.children(p, Some(&name));
            if have.len() != want {
                structural = true;
            }
            for extra in have.iter().skip(want).rev() {
                self.removed.push(self.path_of(*extra));
                if self.pre.is_some() {
                    self.note_removed(*extra);
                }
                self.detach(*extra);
            }
            for _ in have.len()..want {
                let at = self.insert_position(p, parent_model, m);
                let id = self.create(m, p, at);
                self.apply_dynamic_defaults(id);
            }
        }
        structural
    }

    /// Remembers the paths of a subtree about to be removed while an edit reports its changes
    /// from pre-images (`add_repeat`), as the full snapshot diff it replaces listed them.
    fn note_removed(&mut self, top: NodeId) {
        let mut stack = vec![top];
        while let Some(id) = stack.pop() {
            let key = self.order_key(id);
            let path = self.path_of(id);
            self.removed_paths.push((key, path));
            if let Some(n) = self.node(id) {
                stack.extend(n.children.iter().rev().copied());
            }
        }
    }

    /// Evaluates a boolean bind, recording a failure in `errors` and answering `fallback`.
    fn eval_bool(
        &self,
        e: &crate::model::Expression,
        id: NodeId,
        fallback: bool,
        errors: &mut Vec<Error>,
    ) -> bool {
        match expr::eval_bool(&e.expr, self, id, &self.ctx) {
            Ok(b) => b,
            Err(source) => {
                errors.push(Error::Eval {
                    path: self.path_of(id),
                    expression: e.source.clone(),
                    source,
                });
                fallback
            }
        }
    }

    /// State of the node at an instance path.
    pub fn node_state(&self, path: &str) -> Result<NodeState> {
        let id = self
            .find(path)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        Ok(self.state_of(id))
    }

    /// Whether an instance node is relevant now (its own and every ancestor's relevance),
    /// without building the full [`NodeState`]: screens ask this of every node on every move.
    pub fn is_relevant(&self, id: NodeId) -> bool {
        self.node(id).is_some_and(|n| n.state.relevant)
    }

    /// State of an instance node.
    pub fn state_of(&self, id: NodeId) -> NodeState {
        let Some(n) = self.node(id) else {
            return NodeState {
                path: String::new(),
                value: String::new(),
                relevant: false,
                required: false,
                read_only: false,
                constraint_ok: true,
                required_ok: true,
            };
        };
        let leaf = n
            .model
            .and_then(|m| self.form.nodes.get(m))
            .is_some_and(|m| m.is_leaf());
        let value = if n.state.relevant && leaf {
            n.value.clone()
        } else {
            String::new()
        };
        NodeState {
            path: self.path_of(id),
            required_ok: !(n.state.relevant && n.state.required && leaf && n.value.is_empty()),
            value,
            relevant: n.state.relevant,
            required: n.state.required,
            read_only: n.state.read_only,
            constraint_ok: n.state.constraint_ok,
        }
    }

    /// Every live node of the primary instance below the root element, in document order.
    pub fn all_nodes(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self
            .node(NodeId(1))
            .map(|r| r.children.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(id) = stack.pop() {
            out.push(id);
            if let Some(n) = self.node(id) {
                stack.extend(n.children.iter().rev().copied());
            }
        }
        out
    }

    /// States of every node, for comparing two interviews (the incremental/full oracle test).
    pub fn snapshot(&self) -> Vec<NodeState> {
        self.all_nodes()
            .into_iter()
            .map(|id| self.state_of(id))
            .collect()
    }

    /// The paths touched by the current edit, in document order, without repeats.
    fn take_touched(&mut self) -> Changes {
        let mut ids = std::mem::take(&mut self.touched);
        ids.retain(|&id| self.node(id).is_some_and(|n| n.alive));
        let mut keyed: Vec<(Vec<usize>, NodeId)> =
            ids.into_iter().map(|id| (self.order_key(id), id)).collect();
        keyed.sort();
        keyed.dedup_by(|a, b| a.1 == b.1);
        let removed = std::mem::take(&mut self.removed);
        Changes {
            paths: keyed.into_iter().map(|(_, id)| self.path_of(id)).collect(),
            removed,
        }
    }

    fn diff(&self, before: &[NodeState]) -> Changes {
        let old: HashMap<&str, &NodeState> = before.iter().map(|s| (s.path.as_str(), s)).collect();
        let now = self.snapshot();
        let new: std::collections::HashSet<&str> = now.iter().map(|s| s.path.as_str()).collect();
        let removed = before
            .iter()
            .filter(|s| !new.contains(s.path.as_str()))
            .map(|s| s.path.clone())
            .collect();
        let paths = now
            .iter()
            .filter(|s| old.get(s.path.as_str()).is_none_or(|o| *o != *s))
            .map(|s| s.path.clone())
            .collect();
        Changes { paths, removed }
    }

    /// The names of the choices a select offers now: its list after the choice filter, then
    /// shuffled when `randomize=true` (seeded by `seed`, else by the context's seed).
    pub fn choices(&self, path: &str) -> Result<Vec<String>> {
        let id = self
            .find(path)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        Ok(self.choices_of(id))
    }

    /// `choices` for an instance node.
    pub fn choices_of(&self, id: NodeId) -> Vec<String> {
        let Some(model) = self.model_of(id).and_then(|m| self.form.nodes.get(m)) else {
            return Vec::new();
        };
        let Some(src) = &model.choices else {
            return Vec::new();
        };
        let Some(list) = self.form.choice_lists.get(&src.list) else {
            return Vec::new();
        };
        let items: Vec<NodeId> = self
            .secondary
            .get(&src.list)
            .map(|&d| self.children(d, Some("root")))
            .and_then(|r| r.first().map(|&r| self.children(r, Some("item"))))
            .unwrap_or_default();
        let mut out: Vec<String> = list
            .choices
            .iter()
            .zip(
                items
                    .iter()
                    .copied()
                    .map(Some)
                    .chain(std::iter::repeat(None)),
            )
            .filter(|(_, item)| match (&src.filter, item) {
                (Some(f), Some(item)) => {
                    expr::eval_with_current(&f.expr, self, *item, id, &self.ctx)
                        .map(|v| v.to_bool(self))
                        .unwrap_or(false)
                }
                _ => true,
            })
            .map(|(c, _)| c.name.clone())
            .collect();
        if model
            .parameters
            .get("randomize")
            .is_some_and(|v| v == "true")
        {
            let seed = match &model.seed {
                Some(e) => expr::eval(&e.expr, self, id, &self.ctx)
                    .map(|v| v.to_num(self, *self.ctx.now.offset()))
                    .unwrap_or(f64::NAN),
                None => self.ctx.random_seed as f64,
            };
            let seed = if seed.is_finite() {
                seed as i64
            } else {
                self.ctx.random_seed as i64
            };
            out = crate::expr::functions::shuffle(out, seed);
        }
        out
    }

    /// A node's label in the current language with `${name}` (or `${xpath}`) piped in.
    pub fn label(&self, path: &str) -> Result<String> {
        let id = self
            .find(path)
            .ok_or_else(|| Error::UnknownPath(path.to_string()))?;
        let Some(model) = self.model_of(id).and_then(|m| self.form.nodes.get(m)) else {
            return Ok(String::new());
        };
        let text = model
            .label
            .get(
                self.ctx.language.as_deref(),
                self.form.default_language.as_deref(),
            )
            .unwrap_or("");
        Ok(self.pipe(text, id))
    }

    /// Replaces every `${x}` in `text` with the value of question `x` (or of XPath `x`) seen from `id`.
    pub fn pipe(&self, text: &str, id: NodeId) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let inner = after[..end].trim();
            let known = self.names.contains_key(inner) || inner.starts_with(PRELOAD_PREFIX);
            let src = if crate::import::is_valid_name(inner) && known {
                format!("${{{inner}}}")
            } else {
                inner.to_string()
            };
            let (e, diags) = expr::parse(&src);
            if diags.is_empty() {
                out.push_str(&expr::eval_string(&e, self, id, &self.ctx).unwrap_or_default());
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The submitted record: `(path, value)` of every relevant question, non-relevant ones left out.
    pub fn record(&self) -> Vec<(String, String)> {
        self.all_nodes()
            .into_iter()
            .filter(|&id| {
                self.model_of(id)
                    .and_then(|m| self.form.nodes.get(m))
                    .is_some_and(|m| m.is_leaf())
            })
            .map(|id| self.state_of(id))
            .filter(|s| s.relevant)
            .map(|s| (s.path, s.value))
            .collect()
    }
}

/// A number as ODK's engines write a double: shortest text, with `.0` on a whole number.
fn odk_double(n: f64) -> String {
    let s = crate::expr::value::format_number(n);
    if s.contains(['.', 'e', 'E']) || !n.is_finite() {
        s
    } else {
        s + ".0"
    }
}

/// Stores a value as its type's canonical XForms string: numbers without padding, unparseable
/// numbers blank (as ODK's web engine does).
fn normalize(ty: &QuestionType, value: &str) -> String {
    let v = value.trim();
    match ty {
        QuestionType::Integer | QuestionType::Decimal | QuestionType::Range { .. }
            if !v.is_empty() =>
        {
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() => match ty {
                    QuestionType::Integer => crate::expr::value::format_number(n.trunc()),
                    // Both ODK engines store a decimal as a double's text, `8.0` for eight, and
                    // forms copy that text (`string` calculates), so Canvass stores it the same.
                    QuestionType::Decimal => odk_double(n),
                    _ => crate::expr::value::format_number(n),
                },
                _ => String::new(),
            }
        }
        QuestionType::SelectMultiple | QuestionType::Rank => {
            v.split_whitespace().collect::<Vec<_>>().join(" ")
        }
        // A geopoint's parts (`lat lon alt acc`) are stored as both ODK engines write them,
        // doubles with a `.0` on whole numbers (`65.628 9.878 0.0 10.0`), since forms read them
        // back with `selected-at()`; a value with a part that is no number is kept as typed.
        QuestionType::Geopoint if !v.is_empty() => {
            let parts: Option<Vec<String>> = v
                .split_whitespace()
                .map(|p| match p.parse::<f64>() {
                    Ok(n) if n.is_finite() => Some(odk_double(n)),
                    _ => None,
                })
                .collect();
            parts.map_or_else(|| value.to_string(), |p| p.join(" "))
        }
        _ => value.to_string(),
    }
}

impl Document for Instance {
    fn root(&self) -> NodeId {
        NodeId(0)
    }

    fn fixed_random(&self) -> Option<f64> {
        self.fixed_random
    }

    fn parent(&self, n: NodeId) -> Option<NodeId> {
        self.node(n).and_then(|x| x.parent)
    }

    fn children(&self, n: NodeId, name: Option<&str>) -> Vec<NodeId> {
        let Some(x) = self.node(n) else {
            return Vec::new();
        };
        x.children
            .iter()
            .copied()
            .filter(|&c| name.is_none_or(|want| self.node(c).is_some_and(|cn| cn.name == want)))
            .collect()
    }

    fn name(&self, n: NodeId) -> String {
        self.node(n).map(|x| x.name.clone()).unwrap_or_default()
    }

    fn attribute(&self, n: NodeId, name: &str) -> Option<String> {
        self.node(n)?
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn attribute_names(&self, n: NodeId) -> Vec<String> {
        self.node(n)
            .map(|x| x.attrs.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    fn value(&self, n: NodeId) -> String {
        let Some(x) = self.node(n) else {
            return String::new();
        };
        if !x.state.relevant {
            return String::new();
        }
        if x.children.is_empty() {
            return x.value.clone();
        }
        // An element's string value is the concatenation of its descendants' text.
        x.children.iter().map(|&c| self.value(c)).collect()
    }

    fn value_str(&self, n: NodeId) -> Option<&str> {
        // The same answer as `value` for the cases it handles without building a string.
        let x = self.node(n)?;
        if !x.state.relevant {
            return Some("");
        }
        x.children.is_empty().then_some(x.value.as_str())
    }

    fn resolve_ref(&self, name: &str, context: NodeId) -> Option<Vec<NodeId>> {
        if name.starts_with(PRELOAD_PREFIX) && !self.names.contains_key(name) {
            // A preload value the case lacks is blank, not an error: case lists differ in columns.
            return Some(self.preload.get(name).map(|&n| vec![n]).unwrap_or_default());
        }
        let target = *self.names.get(name)?;
        // The nearest ancestor-or-self of the context whose model node contains the target: from
        // there the target is in the same repeat instance, or all instances when outside.
        let mut anchor = NodeId(1);
        let mut cur = Some(context);
        while let Some(c) = cur {
            match self.model_of(c) {
                Some(mc) if self.form.is_ancestor_or_self(mc, target) => {
                    anchor = c;
                    break;
                }
                _ => cur = self.parent(c),
            }
        }
        if anchor == NodeId(1) {
            // From the root every live instance of the target is reached, and `instances` keeps
            // exactly those in document order: no need to walk 500 roster members' children.
            return Some(self.instances_of(target).to_vec());
        }
        let anchor_model = self.model_of(anchor).unwrap_or(0);
        let mut chain = Vec::new();
        let mut m = Some(target);
        while let Some(x) = m {
            if x == anchor_model {
                break;
            }
            chain.push(x);
            m = self.form.nodes.get(x).and_then(|n| n.parent);
        }
        chain.reverse();
        let mut nodes = vec![anchor];
        for step in chain {
            nodes = nodes
                .iter()
                .flat_map(|&n| {
                    self.children(n, None)
                        .into_iter()
                        .filter(|&c| self.model_of(c) == Some(step))
                })
                .collect();
        }
        Some(nodes)
    }

    fn position(&self, n: NodeId) -> usize {
        // Kept current by `attach` and `renumber`; the document node and secondary roots are 1.
        self.node(n).map_or(1, |x| x.pos as usize)
    }

    fn instance_root(&self, id: &str) -> Option<NodeId> {
        self.secondary.get(id).copied()
    }

    fn choice_label(
        &self,
        question: &str,
        choice: &str,
        language: Option<&str>,
        context: NodeId,
    ) -> Option<String> {
        let q = question.trim();
        let m = match q.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            Some(name) => self
                .resolve_ref(name, context)
                .and_then(|v| v.first().copied())
                .and_then(|id| self.model_of(id))?,
            None => self.form.find(&crate::import::xform_clean_path(q))?,
        };
        let list = self
            .form
            .choice_lists
            .get(&self.form.nodes.get(m)?.choices.as_ref()?.list)?;
        let c = list.choices.iter().find(|c| c.name == choice)?;
        c.label
            .get(language, self.form.default_language.as_deref())
            .map(str::to_string)
    }

    fn itext(&self, id: &str, language: Option<&str>) -> Option<String> {
        let (list, i) = self.itext.get(id)?;
        let c = self.form.choice_lists.get(list)?.choices.get(*i)?;
        c.label
            .get(language, self.form.default_language.as_deref())
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests;
