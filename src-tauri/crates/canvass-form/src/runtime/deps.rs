//! Static dependency analysis: which template paths an expression reads, and the graph over nodes.
//!
//! Dependencies are template paths (`/data/member/age`, no repeat indices). A path the analysis
//! cannot pin down (`//x`, `ancestor::`) marks the expression dynamic, so that the runtime
//! re-evaluates it after every change instead of missing an update.

use std::collections::BTreeMap;

use crate::expr::ast::{Axis, ExprKind, NodeTest, PathStart};
use crate::expr::Expr;
use crate::model::{NodeIndex, Questionnaire};

/// Where relative paths start while walking an expression.
#[derive(Clone)]
enum Ctx {
    /// A node of the primary instance with this template path, and, when it was reached from the
    /// expression's own node by relative steps, the shallowest template path those steps climbed
    /// to (see `Walker::reads`).
    Primary(String, Option<String>),
    /// A node of a secondary instance (a choice item): relative paths read no answers.
    Secondary,
}

struct Walker<'a> {
    node_path: &'a str,
    resolve: &'a dyn Fn(&str) -> Option<String>,
    deps: Vec<String>,
    dynamic: bool,
    /// Every read as (template path, climb): the climb is the shallowest template path the read
    /// passed through on its way from the expression's own node, or `""` when it did not start
    /// there (absolute paths, predicates over other nodes). A read whose climb stays inside a
    /// repeat reads only the repeat instance the node itself is in.
    reads: Vec<(String, String)>,
}

/// The template paths `expr` reads when bound to the node at `node_path`, and whether it also
/// reads something not statically known. `item_context` is true for choice filters, whose
/// relative paths name the choice item's columns. `resolve` maps `${name}` to a template path.
pub fn analyze(
    expr: &Expr,
    node_path: &str,
    item_context: bool,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> (Vec<String>, bool) {
    let w = walk(expr, node_path, item_context, resolve);
    let mut deps = w.deps;
    deps.sort();
    deps.dedup();
    (deps, w.dynamic)
}

fn walk<'a>(
    expr: &Expr,
    node_path: &'a str,
    item_context: bool,
    resolve: &'a dyn Fn(&str) -> Option<String>,
) -> Walker<'a> {
    let mut w = Walker {
        node_path,
        resolve,
        deps: Vec::new(),
        dynamic: false,
        reads: Vec::new(),
    };
    let ctx = if item_context {
        Ctx::Secondary
    } else {
        Ctx::Primary(node_path.to_string(), Some(node_path.to_string()))
    };
    w.visit(expr, &ctx);
    w
}

/// Like `analyze`, but every read with its climb: the shallowest template path the read passed
/// through from the expression's own node, `""` when it did not start from that node. The runtime
/// uses it to tell reads that stay within one repeat instance from reads across instances.
pub fn scoped_reads(
    expr: &Expr,
    node_path: &str,
    item_context: bool,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    walk(expr, node_path, item_context, resolve).reads
}

/// The longest common ancestor-or-self of two template paths, segment by segment.
fn common_path(a: &str, b: &str) -> String {
    let mut out = String::new();
    for (x, y) in a.split('/').zip(b.split('/')).skip(1) {
        if x != y {
            break;
        }
        out.push('/');
        out.push_str(x);
    }
    out
}

/// The shallower of two climbs (a path is shallower when it is a prefix of the other; paths on
/// different branches meet at their common ancestor).
fn shallower(a: &str, b: &str) -> String {
    common_path(a, b)
}

impl Walker<'_> {
    fn visit(&mut self, e: &Expr, ctx: &Ctx) {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Literal(_) | ExprKind::Error => {}
            ExprKind::Ref(name) => {
                if let Some(p) = (self.resolve)(name) {
                    // `${name}` resolves from the bound node (`current()`), wherever it is written,
                    // within the nearest instance that contains both.
                    self.reads
                        .push((p.clone(), common_path(self.node_path, &p)));
                    self.deps.push(p);
                }
            }
            ExprKind::Neg(inner) => self.visit(inner, ctx),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.visit(lhs, ctx);
                self.visit(rhs, ctx);
            }
            ExprKind::Call { name, args } => {
                if name == "current" {
                    self.deps.push(self.node_path.to_string());
                    self.reads
                        .push((self.node_path.to_string(), self.node_path.to_string()));
                }
                args.iter().for_each(|a| self.visit(a, ctx));
            }
            ExprKind::Filter { base, predicates } => {
                self.visit(base, ctx);
                // Predicates run with every selected node as context, not the bound node.
                let inner = match self.start_of(base) {
                    Some(Some((p, _))) => Ctx::Primary(p, None),
                    Some(None) => Ctx::Secondary,
                    None => {
                        self.dynamic = true;
                        Ctx::Secondary
                    }
                };
                predicates.iter().for_each(|p| self.visit(p, &inner));
            }
            ExprKind::Path { start, steps } => {
                // `None` = unknown place (dynamic); `Some(None)` = secondary instance.
                let mut climb: Option<String> = None;
                let mut cur: Option<Option<String>> = match start {
                    PathStart::Root => Some(Some(String::new())),
                    PathStart::Context => Some(match ctx {
                        Ctx::Primary(p, c) => {
                            climb = c.clone();
                            Some(p.clone())
                        }
                        Ctx::Secondary => None,
                    }),
                    PathStart::Expr(base) => {
                        let s = self.start_of(base);
                        if !matches!(base.kind, ExprKind::Ref(_)) {
                            self.visit(base, ctx);
                        }
                        s.map(|o| {
                            o.map(|(p, c)| {
                                climb = c;
                                p
                            })
                        })
                    }
                };
                for step in steps {
                    cur = match cur {
                        Some(Some(p)) => match (step.axis, &step.test) {
                            (Axis::Child, NodeTest::Name(n)) => Some(Some(format!("{p}/{n}"))),
                            (Axis::Parent, _) => {
                                let up = p
                                    .rsplit_once('/')
                                    .map(|(a, _)| a.to_string())
                                    .unwrap_or_default();
                                climb = climb.map(|c| shallower(&c, &up));
                                Some(Some(up))
                            }
                            (Axis::SelfAxis, _) | (Axis::Attribute, _) => Some(Some(p)),
                            (Axis::Child, NodeTest::Text) => Some(Some(p)),
                            _ => None,
                        },
                        other => other,
                    };
                    let pctx = match &cur {
                        Some(Some(p)) => Ctx::Primary(p.clone(), None),
                        _ => Ctx::Secondary,
                    };
                    step.predicates.iter().for_each(|pr| self.visit(pr, &pctx));
                }
                match cur {
                    Some(Some(p)) => {
                        if !p.is_empty() {
                            self.reads.push((p.clone(), climb.unwrap_or_default()));
                            self.deps.push(p);
                        }
                    }
                    Some(None) => {}
                    None => self.dynamic = true,
                }
            }
        }
    }

    /// Where a path's base expression points: a primary template path, a secondary instance
    /// (`Some(None)`), or somewhere unknown (`None`).
    /// With a primary path comes its climb, as in `Walker::reads`.
    fn start_of(&mut self, base: &Expr) -> Option<Option<(String, Option<String>)>> {
        match &base.kind {
            ExprKind::Ref(name) => (self.resolve)(name).map(|p| {
                let c = common_path(self.node_path, &p);
                Some((p, Some(c)))
            }),
            ExprKind::Call { name, args } if name == "current" && args.is_empty() => Some(Some((
                self.node_path.to_string(),
                Some(self.node_path.to_string()),
            ))),
            ExprKind::Call { name, .. } if name == "instance" => Some(None),
            _ => None,
        }
    }
}

/// For every node, the nodes whose state must be recomputed when it changes: readers of its value
/// and its children (relevance and read-only are inherited). Built once per form.
pub fn dependents(q: &Questionnaire) -> Vec<Vec<NodeIndex>> {
    let by_path: BTreeMap<&str, NodeIndex> = q
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.path.as_str(), i))
        .collect();
    let mut out: Vec<Vec<NodeIndex>> = vec![Vec::new(); q.nodes.len()];
    for (i, node) in q.nodes.iter().enumerate() {
        if let Some(v) = out.get_mut(i) {
            v.extend(node.children.iter().copied());
        }
        for e in node.expressions() {
            for d in &e.deps {
                if let Some(&src) = nearest(&by_path, d) {
                    if let Some(v) = out.get_mut(src) {
                        v.push(i);
                    }
                }
            }
        }
        for t in &node.binds.trigger {
            if let Some(&src) = by_path.get(t.as_str()) {
                if let Some(v) = out.get_mut(src) {
                    v.push(i);
                }
            }
        }
    }
    for (i, v) in out.iter_mut().enumerate() {
        v.sort_unstable();
        v.dedup();
        // A constraint reads its own node (`.`); the runtime re-evaluates a changed node itself, and
        // a self edge would keep the node out of the topological order.
        v.retain(|&t| t != i);
    }
    out
}

/// The node at `path` or its nearest existing ancestor (an attribute or a path into a group that
/// the form does not declare still depends on that group).
fn nearest<'m>(by_path: &'m BTreeMap<&str, NodeIndex>, path: &str) -> Option<&'m NodeIndex> {
    let mut p = path;
    loop {
        if let Some(i) = by_path.get(p) {
            return Some(i);
        }
        p = p.rsplit_once('/')?.0;
    }
}

/// An evaluation order over all nodes: every node after the nodes it reads and after its
/// ancestors. Nodes on a cycle (already reported by the importer) follow in document order.
pub fn topological_order(q: &Questionnaire, dependents: &[Vec<NodeIndex>]) -> Vec<NodeIndex> {
    let n = q.nodes.len();
    let mut indegree = vec![0usize; n];
    for targets in dependents {
        for &t in targets {
            if let Some(d) = indegree.get_mut(t) {
                *d += 1;
            }
        }
    }
    let doc_order = q.document_order();
    let mut rank = vec![0usize; n];
    for (r, &i) in doc_order.iter().enumerate() {
        if let Some(x) = rank.get_mut(i) {
            *x = r;
        }
    }
    // A min-heap on document rank keeps the order stable and readable.
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<(usize, NodeIndex)>> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(|i| std::cmp::Reverse((rank[i], i)))
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while let Some(std::cmp::Reverse((_, i))) = ready.pop() {
        out.push(i);
        done[i] = true;
        for &t in dependents.get(i).map(Vec::as_slice).unwrap_or(&[]) {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(std::cmp::Reverse((rank[t], t)));
            }
        }
    }
    out.extend(doc_order.into_iter().filter(|&i| !done[i]));
    out
}

/// Cycles among calculations (`a` computed from `b` computed from `a`), each as the node indices
/// on it; a cycle has no evaluation order, so the importer reports it as an error.
pub fn calculation_cycles(q: &Questionnaire) -> Vec<Vec<NodeIndex>> {
    let by_path: BTreeMap<&str, NodeIndex> = q
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.path.as_str(), i))
        .collect();
    let edges: Vec<Vec<NodeIndex>> = q
        .nodes
        .iter()
        .map(|n| match &n.binds.calculation {
            Some(e) => e
                .deps
                .iter()
                .filter_map(|d| by_path.get(d.as_str()).copied())
                .filter(|&t| q.nodes[t].binds.calculation.is_some())
                .collect(),
            None => Vec::new(),
        })
        .collect();
    // Iterative depth-first search with colours; a grey target closes a cycle.
    let mut colour = vec![0u8; q.nodes.len()];
    let mut cycles = Vec::new();
    for startn in 0..q.nodes.len() {
        if colour[startn] != 0 {
            continue;
        }
        let mut stack: Vec<(NodeIndex, usize)> = vec![(startn, 0)];
        colour[startn] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&t) = edges[v].get(*next) {
                *next += 1;
                if colour[t] == 0 {
                    colour[t] = 1;
                    stack.push((t, 0));
                } else if colour[t] == 1 {
                    let from = stack.iter().position(|(x, _)| *x == t).unwrap_or(0);
                    cycles.push(stack[from..].iter().map(|(x, _)| *x).collect());
                }
            } else {
                colour[v] = 2;
                stack.pop();
            }
        }
    }
    cycles
}

/// Fills `deps` and `dynamic` of every expression in the form, resolving `${name}` to the first
/// node of that name (the importer has already reported unknown and ambiguous names).
pub fn resolve_all(q: &mut Questionnaire) {
    let names: BTreeMap<String, String> = {
        let mut m = BTreeMap::new();
        for n in q.nodes.iter().skip(1) {
            m.entry(n.name.clone()).or_insert_with(|| n.path.clone());
        }
        m
    };
    let resolve = |name: &str| names.get(name).cloned();
    for node in &mut q.nodes {
        let path = node.path.clone();
        let b = &mut node.binds;
        let mut exprs: Vec<(&mut crate::model::Expression, bool)> = [
            &mut b.relevant,
            &mut b.constraint,
            &mut b.required,
            &mut b.calculation,
            &mut b.read_only,
        ]
        .into_iter()
        .flatten()
        .map(|e| (e, false))
        .collect();
        if let Some(crate::model::DefaultValue::Dynamic(e)) = &mut b.default {
            exprs.push((e, false));
        }
        if let crate::model::NodeKind::Repeat {
            count: crate::model::RepeatCount::Dynamic(e),
        } = &mut node.kind
        {
            exprs.push((e, false));
        }
        if let Some(f) = node.choices.as_mut().and_then(|c| c.filter.as_mut()) {
            exprs.push((f, true));
        }
        if let Some(s) = &mut node.seed {
            exprs.push((s, false));
        }
        for (e, item) in exprs {
            let (deps, dynamic) = analyze(&e.expr, &path, item, &resolve);
            e.deps = deps;
            e.dynamic = dynamic;
        }
    }
    if let Some(e) = &mut q.instance_name {
        let (deps, dynamic) = analyze(&e.expr, &format!("/{}", q.root_name), false, &resolve);
        e.deps = deps;
        e.dynamic = dynamic;
    }
}

/// For every edge of `dependents` (same shape), the repeat that bounds it, or `None` when a change
/// of one source instance may reach every target instance.
///
/// An edge `s → t` is bounded by repeat `r`, the deepest repeat around both, when every read of
/// `s` by `t` stays inside `r`'s instance: `${s}` resolves within the instance the bound node is
/// in, and so does a relative path that never climbs above `r`. The edge from a node to its
/// children (inherited relevance) is bounded the same way. Absolute paths, reads from predicate
/// contexts and triggers can reach other instances, so they leave the edge unbounded, as does an
/// edge whose reads this analysis cannot see (then it errs towards re-evaluating more).
///
/// The second vector tells, per node, whether it reads other instances of itself (`. <
/// max(/data/member/age)`): `dependents` leaves self edges out, so such a node must be evaluated
/// on all its instances whenever any is, as a full pass does.
pub fn edge_scopes(
    q: &Questionnaire,
    dependents: &[Vec<NodeIndex>],
) -> (Vec<Vec<Option<NodeIndex>>>, Vec<bool>) {
    use std::collections::HashMap;
    let by_path: BTreeMap<&str, NodeIndex> = q
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.path.as_str(), i))
        .collect();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for n in q.nodes.iter().skip(1) {
        names.entry(n.name.as_str()).or_insert(n.path.as_str());
    }
    let resolve = |name: &str| names.get(name).map(|p| p.to_string());
    // (s, t) → true while every read seen is bounded by the pair's common repeat.
    let mut bounded: HashMap<(NodeIndex, NodeIndex), bool> = HashMap::new();
    for (t, node) in q.nodes.iter().enumerate() {
        for &c in &node.children {
            bounded.entry((t, c)).or_insert(true);
        }
        for trig in &node.binds.trigger {
            if let Some(&s) = by_path.get(trig.as_str()) {
                bounded.insert((s, t), false);
            }
        }
        // An edge into a node outside every repeat has no bounding repeat whatever it reads, so
        // its reads need no analysis; on a big flat form that skips nearly every expression.
        if common_repeat(q, t, t).is_none() {
            continue;
        }
        let b = &node.binds;
        let mut exprs: Vec<(&crate::model::Expression, bool)> = [
            &b.relevant,
            &b.constraint,
            &b.required,
            &b.calculation,
            &b.read_only,
        ]
        .into_iter()
        .flatten()
        .map(|e| (e, false))
        .collect();
        if let Some(crate::model::DefaultValue::Dynamic(e)) = &b.default {
            exprs.push((e, false));
        }
        if let crate::model::NodeKind::Repeat {
            count: crate::model::RepeatCount::Dynamic(e),
        } = &node.kind
        {
            exprs.push((e, false));
        }
        if let Some(f) = node.choices.as_ref().and_then(|c| c.filter.as_ref()) {
            exprs.push((f, true));
        }
        if let Some(s) = &node.seed {
            exprs.push((s, false));
        }
        for (e, item) in exprs {
            for (d, climb) in scoped_reads(&e.expr, &node.path, item, &resolve) {
                let Some(&s) = nearest(&by_path, &d) else {
                    continue;
                };
                let inside = common_repeat(q, s, t)
                    .and_then(|r| q.nodes.get(r))
                    .is_some_and(|r| climb == r.path || climb.starts_with(&format!("{}/", r.path)));
                let entry = bounded.entry((s, t)).or_insert(true);
                *entry = *entry && inside;
            }
        }
    }
    let scopes = dependents
        .iter()
        .enumerate()
        .map(|(s, targets)| {
            targets
                .iter()
                .map(|&t| {
                    if bounded.get(&(s, t)) == Some(&true) {
                        common_repeat(q, s, t)
                    } else {
                        None
                    }
                })
                .collect()
        })
        .collect();
    let self_unbounded = (0..q.nodes.len())
        .map(|t| {
            bounded.get(&(t, t)) == Some(&false)
                || (bounded.contains_key(&(t, t)) && common_repeat(q, t, t).is_none())
        })
        .collect();
    (scopes, self_unbounded)
}

/// The deepest repeat that is an ancestor-or-self of both `a` and `b`.
pub fn common_repeat(q: &Questionnaire, a: NodeIndex, b: NodeIndex) -> Option<NodeIndex> {
    let mut cur = Some(a);
    while let Some(c) = cur {
        let node = q.nodes.get(c)?;
        if node.is_repeat() && q.is_ancestor_or_self(c, b) {
            return Some(c);
        }
        cur = node.parent;
    }
    None
}
