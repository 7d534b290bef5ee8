//! Tree-walking evaluator over a caller-supplied `Document`.
//!
//! The engine owns no document: the caller's instance tree is reached only through the
//! `Document` trait, and everything time- or randomness-dependent comes from `Context`, so
//! evaluation is a pure function of (expression, document, context node, context).

use std::cell::Cell;
use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};

use super::ast::{Axis, BinOp, Expr, ExprKind, NodeTest, PathStart, Step};
use super::error::EvalError;
use super::functions;
use super::value::{compare, node_string, NodeId, NodeRef, Value};

/// The caller's instance tree, seen as XPath sees it.
///
/// Node ids are opaque to the engine. The primary instance hangs below `root()`, a document node
/// whose only child is the instance's top element (`/data`), so that absolute paths work; each
/// secondary instance has a document node of its own returned by `instance_root`.
pub trait Document {
    /// The document node of the primary instance.
    fn root(&self) -> NodeId;
    /// The parent of `n`, `None` for a document node.
    fn parent(&self, n: NodeId) -> Option<NodeId>;
    /// Child elements of `n` in document order, all of them or only those named `name`.
    fn children(&self, n: NodeId, name: Option<&str>) -> Vec<NodeId>;
    /// The element name of `n` (with its prefix, if any).
    fn name(&self, n: NodeId) -> String;
    /// The value of attribute `name` of `n`, if present.
    fn attribute(&self, n: NodeId, name: &str) -> Option<String>;
    /// Names of all attributes of `n`, for `@*`.
    fn attribute_names(&self, _n: NodeId) -> Vec<String> {
        Vec::new()
    }
    /// The text value of `n`: `""` when blank and also when the node is not relevant (ODK 9.1).
    fn value(&self, n: NodeId) -> String;
    /// Resolves an XLSForm `${name}` seen from `context`: the node in the same repeat instance when
    /// there is one, otherwise every node of that name (all instances of a repeat). `None` means
    /// no question has that name. With `root()` as context it must return every node of that name;
    /// `indexed-repeat` relies on this.
    fn resolve_ref(&self, name: &str, context: NodeId) -> Option<Vec<NodeId>>;
    /// The document node of secondary instance `id` (`instance('id')`), if the form has it.
    fn instance_root(&self, id: &str) -> Option<NodeId>;
    /// The string value of `n` borrowed from the document, when it has one stored as is (a leaf);
    /// `None` makes callers fall back to `value`. Aggregates over hundreds of repeat instances
    /// (`sum(${income})`) read through it without copying every value.
    fn value_str(&self, _n: NodeId) -> Option<&str> {
        None
    }
    /// 1-based position of `n` among its same-name siblings (the repeat instance index).
    fn position(&self, n: NodeId) -> usize {
        match self.parent(n) {
            Some(p) => {
                let name = self.name(n);
                self.children(p, Some(&name))
                    .iter()
                    .position(|c| *c == n)
                    .map_or(1, |i| i + 1)
            }
            None => 1,
        }
    }
    /// The value every `random()` draw returns, when the document fixes it: replay under a fixed
    /// draw, so that a trace can be compared with another engine's under the same draws.
    fn fixed_random(&self) -> Option<f64> {
        None
    }
    /// Translated text with itext id `id` in `language`, for `jr:itext`.
    fn itext(&self, _id: &str, _language: Option<&str>) -> Option<String> {
        None
    }
    /// Label of choice `choice` of the select question `question` (as written in the second
    /// argument of `jr:choice-name`, e.g. `/data/q` or `${q}`) in `language`.
    fn choice_label(
        &self,
        _question: &str,
        _choice: &str,
        _language: Option<&str>,
        _context: NodeId,
    ) -> Option<String> {
        None
    }
}

/// Everything outside the document that an evaluation may depend on.
#[derive(Debug, Clone)]
pub struct Context {
    /// The instant `now()` and `today()` report, in the device's offset; the offset is also the
    /// zone for dates, `format-date-time` and offset-less dateTime strings.
    pub now: DateTime<FixedOffset>,
    /// Seed for `random()` and `uuid()`; the caller stores or derives it so results are reproducible.
    pub random_seed: u64,
    /// Current form language, passed to `Document::choice_label`.
    pub language: Option<String>,
}

/// Evaluates `expr` with `ctx_node` as both the context node and `current()`.
pub fn eval(
    expr: &Expr,
    doc: &dyn Document,
    ctx_node: NodeId,
    ctx: &Context,
) -> Result<Value, EvalError> {
    let ev = Evaluator {
        doc,
        ctx,
        current: ctx_node,
        draws: Cell::new(0),
        depth: Cell::new(0),
    };
    ev.eval(expr, &Focus::single(NodeRef::Element(ctx_node)))
}

/// Evaluates `expr` with `ctx_node` as the context node and `current` as `current()` and as the
/// anchor for `${name}` references; a choice filter runs with each choice item as context while
/// its `${name}` references still resolve from the select question.
pub fn eval_with_current(
    expr: &Expr,
    doc: &dyn Document,
    ctx_node: NodeId,
    current: NodeId,
    ctx: &Context,
) -> Result<Value, EvalError> {
    let ev = Evaluator {
        doc,
        ctx,
        current,
        draws: Cell::new(0),
        depth: Cell::new(0),
    };
    ev.eval(expr, &Focus::single(NodeRef::Element(ctx_node)))
}

/// Evaluates and converts to a boolean, for `relevant`, `constraint` and `required`.
pub fn eval_bool(
    expr: &Expr,
    doc: &dyn Document,
    ctx_node: NodeId,
    ctx: &Context,
) -> Result<bool, EvalError> {
    eval(expr, doc, ctx_node, ctx).map(|v| v.to_bool(doc))
}

/// Evaluates and converts to the string ODK stores, for `calculation` and defaults.
pub fn eval_string(
    expr: &Expr,
    doc: &dyn Document,
    ctx_node: NodeId,
    ctx: &Context,
) -> Result<String, EvalError> {
    eval(expr, doc, ctx_node, ctx).map(|v| v.to_str(doc))
}

/// Evaluation depth limit, above the parser's `MAX_DEPTH` so every parsed tree evaluates; it
/// guards hand-built trees from overflowing the stack.
const MAX_EVAL_DEPTH: usize = 600;

/// The XPath context: node, position and size.
#[derive(Debug, Clone)]
pub(super) struct Focus {
    pub node: NodeRef,
    pub position: usize,
    pub size: usize,
}

impl Focus {
    fn single(node: NodeRef) -> Self {
        Focus {
            node,
            position: 1,
            size: 1,
        }
    }
}

/// State of one evaluation.
pub(super) struct Evaluator<'a> {
    pub doc: &'a dyn Document,
    pub ctx: &'a Context,
    /// The node `current()` returns: the node the expression is bound to.
    pub current: NodeId,
    /// Number of random draws so far, so that several `random()` calls differ.
    pub draws: Cell<u64>,
    depth: Cell<usize>,
}

impl Evaluator<'_> {
    /// The offset used for date conversions.
    pub fn tz(&self) -> FixedOffset {
        *self.ctx.now.offset()
    }

    pub fn eval(&self, e: &Expr, focus: &Focus) -> Result<Value, EvalError> {
        let depth = self.depth.get();
        if depth >= MAX_EVAL_DEPTH {
            return Err(EvalError::TooDeep(MAX_EVAL_DEPTH));
        }
        self.depth.set(depth + 1);
        let result = self.eval_inner(e, focus);
        self.depth.set(depth);
        result
    }

    fn eval_inner(&self, e: &Expr, focus: &Focus) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::Literal(s) => Ok(Value::String(s.clone())),
            ExprKind::Ref(name) => {
                let nodes = self
                    .doc
                    .resolve_ref(name, self.current)
                    .ok_or_else(|| EvalError::UnknownReference(name.clone()))?;
                Ok(Value::NodeSet(
                    nodes.into_iter().map(NodeRef::Element).collect(),
                ))
            }
            ExprKind::Neg(inner) => Ok(Value::Number(-self.num(inner, focus)?)),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, focus),
            ExprKind::Call { name, args } => functions::call(self, name, args, focus),
            ExprKind::Filter { base, predicates } => self.filter(base, predicates, focus),
            ExprKind::Path { start, steps } => self.path(start, steps, focus),
            ExprKind::Error => Err(EvalError::Syntax(e.span.clone())),
        }
    }

    // The helpers below stay out of line so that `eval_inner`, which recurses once per nesting
    // level, keeps a small stack frame; see `parser::tests::deepest_accepted_trees_evaluate`.

    #[inline(never)]
    fn filter(&self, base: &Expr, predicates: &[Expr], focus: &Focus) -> Result<Value, EvalError> {
        let nodes = self.nodes(base, focus, "a filter expression")?;
        Ok(Value::NodeSet(self.apply_predicates(nodes, predicates)?))
    }

    #[inline(never)]
    fn path(&self, start: &PathStart, steps: &[Step], focus: &Focus) -> Result<Value, EvalError> {
        let mut nodes = match start {
            PathStart::Root => vec![NodeRef::Element(self.doc.root())],
            PathStart::Context => vec![focus.node.clone()],
            PathStart::Expr(base) => self.nodes(base, focus, "a path")?,
        };
        for step in steps {
            nodes = self.step(&nodes, step)?;
        }
        Ok(Value::NodeSet(nodes))
    }

    #[inline(never)]
    fn binary(&self, op: BinOp, lhs: &Expr, rhs: &Expr, focus: &Focus) -> Result<Value, EvalError> {
        Ok(match op {
            // `and`/`or` short-circuit as XPath requires, which also keeps `once()` and
            // `random()` in the unevaluated operand from running.
            BinOp::Or => Value::Boolean(self.bool(lhs, focus)? || self.bool(rhs, focus)?),
            BinOp::And => Value::Boolean(self.bool(lhs, focus)? && self.bool(rhs, focus)?),
            BinOp::Eq | BinOp::Neq | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let a = self.eval(lhs, focus)?;
                let b = self.eval(rhs, focus)?;
                Value::Boolean(compare(op, &a, &b, self.doc, self.tz()))
            }
            BinOp::Add => Value::Number(self.num(lhs, focus)? + self.num(rhs, focus)?),
            BinOp::Sub => Value::Number(self.num(lhs, focus)? - self.num(rhs, focus)?),
            BinOp::Mul => Value::Number(self.num(lhs, focus)? * self.num(rhs, focus)?),
            BinOp::Div => Value::Number(self.num(lhs, focus)? / self.num(rhs, focus)?),
            // Rust's `%` on f64 is C's fmod: the result takes the dividend's sign, as XPath's `mod`.
            BinOp::Mod => Value::Number(self.num(lhs, focus)? % self.num(rhs, focus)?),
            BinOp::Union => {
                let mut a = self.nodes(lhs, focus, "`|`")?;
                let b = self.nodes(rhs, focus, "`|`")?;
                let mut seen: HashSet<NodeRef> = a.iter().cloned().collect();
                a.extend(b.into_iter().filter(|n| seen.insert(n.clone())));
                Value::NodeSet(a)
            }
        })
    }

    pub fn num(&self, e: &Expr, focus: &Focus) -> Result<f64, EvalError> {
        Ok(self.eval(e, focus)?.to_num(self.doc, self.tz()))
    }

    pub fn string(&self, e: &Expr, focus: &Focus) -> Result<String, EvalError> {
        Ok(self.eval(e, focus)?.to_str(self.doc))
    }

    pub fn bool(&self, e: &Expr, focus: &Focus) -> Result<bool, EvalError> {
        Ok(self.eval(e, focus)?.to_bool(self.doc))
    }

    /// Evaluates `e`, which must give a node-set; `what` names the construct for the error.
    pub fn nodes(&self, e: &Expr, focus: &Focus, what: &str) -> Result<Vec<NodeRef>, EvalError> {
        match self.eval(e, focus)? {
            Value::NodeSet(ns) => Ok(ns),
            _ => Err(EvalError::NotANodeSet(what.to_string())),
        }
    }

    /// The string values of every node of a node-set argument, or the single string of any other value.
    pub fn strings(&self, e: &Expr, focus: &Focus) -> Result<Vec<String>, EvalError> {
        Ok(match self.eval(e, focus)? {
            Value::NodeSet(ns) => ns.iter().map(|n| node_string(self.doc, n)).collect(),
            other => vec![other.to_str(self.doc)],
        })
    }

    fn apply_predicates(
        &self,
        mut nodes: Vec<NodeRef>,
        predicates: &[Expr],
    ) -> Result<Vec<NodeRef>, EvalError> {
        for pred in predicates {
            let size = nodes.len();
            let mut kept = Vec::with_capacity(size);
            for (i, node) in nodes.into_iter().enumerate() {
                let focus = Focus {
                    node: node.clone(),
                    position: i + 1,
                    size,
                };
                let keep = match self.eval(pred, &focus)? {
                    // A number predicate is shorthand for `position() = n`.
                    Value::Number(n) => n == (i + 1) as f64,
                    other => other.to_bool(self.doc),
                };
                if keep {
                    kept.push(node);
                }
            }
            nodes = kept;
        }
        Ok(nodes)
    }

    fn step(&self, input: &[NodeRef], step: &Step) -> Result<Vec<NodeRef>, EvalError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for node in input {
            // Axis nodes come in proximity order so that predicates see XPath's positions.
            let mut selected = self.axis(node, step.axis, &step.test);
            selected = self.apply_predicates(selected, &step.predicates)?;
            if is_reverse(step.axis) {
                selected.reverse();
            }
            for n in selected {
                if seen.insert(n.clone()) {
                    out.push(n);
                }
            }
        }
        Ok(out)
    }

    fn axis(&self, node: &NodeRef, axis: Axis, test: &NodeTest) -> Vec<NodeRef> {
        let doc = self.doc;
        let elem = match node {
            NodeRef::Element(id) => *id,
            NodeRef::Attribute { owner, .. } => {
                // Attributes have no children or siblings; only self, parent and ancestors exist.
                return match axis {
                    Axis::SelfAxis if matches!(test, NodeTest::Node) => vec![node.clone()],
                    Axis::Parent => self.filter_elems(vec![*owner], test),
                    Axis::Ancestor | Axis::AncestorOrSelf => {
                        let mut chain = vec![*owner];
                        chain.extend(self.ancestors(*owner));
                        self.filter_elems(chain, test)
                    }
                    _ => Vec::new(),
                };
            }
        };
        match axis {
            Axis::Child => match test {
                NodeTest::Name(n) => doc
                    .children(elem, Some(n))
                    .into_iter()
                    .map(NodeRef::Element)
                    .collect(),
                // The engine has no text nodes; `text()` stands for the element's own text value.
                NodeTest::Text => vec![NodeRef::Element(elem)],
                _ => self.filter_elems(doc.children(elem, None), test),
            },
            Axis::Attribute => match test {
                NodeTest::Name(n) => match doc.attribute(elem, n) {
                    Some(_) => vec![NodeRef::Attribute {
                        owner: elem,
                        name: n.clone(),
                    }],
                    None => Vec::new(),
                },
                NodeTest::Any | NodeTest::Node => doc
                    .attribute_names(elem)
                    .into_iter()
                    .map(|name| NodeRef::Attribute { owner: elem, name })
                    .collect(),
                NodeTest::AnyPrefixed(p) => doc
                    .attribute_names(elem)
                    .into_iter()
                    .filter(|n| {
                        n.strip_prefix(p.as_str())
                            .is_some_and(|r| r.starts_with(':'))
                    })
                    .map(|name| NodeRef::Attribute { owner: elem, name })
                    .collect(),
                NodeTest::Text => Vec::new(),
            },
            Axis::SelfAxis => self.filter_elems(vec![elem], test),
            Axis::Parent => self.filter_elems(doc.parent(elem).into_iter().collect(), test),
            Axis::Ancestor => self.filter_elems(self.ancestors(elem), test),
            Axis::AncestorOrSelf => {
                let mut chain = vec![elem];
                chain.extend(self.ancestors(elem));
                self.filter_elems(chain, test)
            }
            Axis::Descendant | Axis::DescendantOrSelf => {
                let mut all = Vec::new();
                if axis == Axis::DescendantOrSelf {
                    all.push(elem);
                }
                self.descendants(elem, &mut all);
                self.filter_elems(all, test)
            }
            Axis::FollowingSibling | Axis::PrecedingSibling => {
                let Some(parent) = doc.parent(elem) else {
                    return Vec::new();
                };
                let sibs = doc.children(parent, None);
                let Some(at) = sibs.iter().position(|s| *s == elem) else {
                    return Vec::new();
                };
                let picked: Vec<NodeId> = if axis == Axis::FollowingSibling {
                    sibs[at + 1..].to_vec()
                } else {
                    sibs[..at].iter().rev().copied().collect()
                };
                self.filter_elems(picked, test)
            }
        }
    }

    fn ancestors(&self, n: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = self.doc.parent(n);
        while let Some(p) = cur {
            out.push(p);
            cur = self.doc.parent(p);
        }
        out
    }

    fn descendants(&self, n: NodeId, out: &mut Vec<NodeId>) {
        for c in self.doc.children(n, None) {
            out.push(c);
            self.descendants(c, out);
        }
    }

    fn filter_elems(&self, nodes: Vec<NodeId>, test: &NodeTest) -> Vec<NodeRef> {
        nodes
            .into_iter()
            .filter(|n| match test {
                NodeTest::Node | NodeTest::Text => true,
                NodeTest::Any => self.doc.parent(*n).is_some(),
                NodeTest::Name(name) => self.doc.name(*n) == *name,
                NodeTest::AnyPrefixed(p) => self
                    .doc
                    .name(*n)
                    .strip_prefix(p.as_str())
                    .is_some_and(|r| r.starts_with(':')),
            })
            .map(NodeRef::Element)
            .collect()
    }

    /// Next pseudo-random 64-bit value for `random()` and `uuid()`: SplitMix64 over the caller's
    /// seed and a per-evaluation draw counter, so results are reproducible from the seed.
    pub fn next_random(&self) -> u64 {
        let n = self.draws.get();
        self.draws.set(n + 1);
        // The context node is mixed in, so that `once(random())` in each repeat instance draws
        // its own number rather than every instance the same first draw of the seed.
        let mut z = self
            .ctx
            .random_seed
            .wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(n + 1))
            .wrapping_add(0xD1B5_4A32_D192_ED03u64.wrapping_mul(u64::from(self.current.0)));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn is_reverse(axis: Axis) -> bool {
    matches!(
        axis,
        Axis::Ancestor | Axis::AncestorOrSelf | Axis::PrecedingSibling | Axis::Parent
    )
}
