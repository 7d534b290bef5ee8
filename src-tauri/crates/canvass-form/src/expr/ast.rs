//! Syntax tree of an ODK XPath expression, with a byte span on every node.
//!
//! `Display` prints the tree as S-expressions (`(+ 1 (* 2 3))`), which is what parser tests compare.
//! Paths print in XPath-like form inside `(path ...)` so snapshots stay readable.

use std::fmt;
use std::ops::Range;

/// Byte range of a node in the source text.
pub type Span = Range<usize>;

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// What kind of expression a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Literal(String),
    /// XLSForm `${name}` reference, resolved by the document (nearest in the same repeat instance).
    Ref(String),
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A function call; `name` keeps its prefix, e.g. `jr:choice-name`.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// A primary expression filtered by predicates: `${people}[age < 18]`.
    Filter {
        base: Box<Expr>,
        predicates: Vec<Expr>,
    },
    /// A location path; `start` says where it begins.
    Path {
        start: PathStart,
        steps: Vec<Step>,
    },
    /// Placeholder left by error recovery; a diagnostic describes it.
    Error,
}

/// Where a location path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStart {
    /// `/...`: the document node of the primary instance.
    Root,
    /// A relative path: the context node.
    Context,
    /// `expr/...`: every node of a filter expression's node-set (`instance('x')/root`).
    Expr(Box<Expr>),
}

/// Binary operators, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Union,
}

/// One location step: axis, node test and predicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
    pub span: Span,
}

/// The XPath axes the engine supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Child,
    Attribute,
    SelfAxis,
    Parent,
    Descendant,
    DescendantOrSelf,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
}

/// Which nodes a step keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeTest {
    /// A name, possibly prefixed.
    Name(String),
    /// `*`.
    Any,
    /// `prefix:*`; prefixes are not resolved, so this matches names starting with `prefix:`.
    AnyPrefixed(String),
    /// `node()`.
    Node,
    /// `text()`: the element's text value.
    Text,
}

impl BinOp {
    /// The operator as written in XPath.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Neq => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "div",
            BinOp::Mod => "mod",
            BinOp::Union => "|",
        }
    }
}

impl Axis {
    /// Maps an axis name written before `::` to an axis; unsupported axes give `None`.
    pub fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "child" => Axis::Child,
            "attribute" => Axis::Attribute,
            "self" => Axis::SelfAxis,
            "parent" => Axis::Parent,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "following-sibling" => Axis::FollowingSibling,
            "preceding-sibling" => Axis::PrecedingSibling,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Axis::Child => "child",
            Axis::Attribute => "attribute",
            Axis::SelfAxis => "self",
            Axis::Parent => "parent",
            Axis::Descendant => "descendant",
            Axis::DescendantOrSelf => "descendant-or-self",
            Axis::Ancestor => "ancestor",
            Axis::AncestorOrSelf => "ancestor-or-self",
            Axis::FollowingSibling => "following-sibling",
            Axis::PrecedingSibling => "preceding-sibling",
        }
    }
}

impl fmt::Display for NodeTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeTest::Name(n) => f.write_str(n),
            NodeTest::Any => f.write_str("*"),
            NodeTest::AnyPrefixed(p) => write!(f, "{p}:*"),
            NodeTest::Node => f.write_str("node()"),
            NodeTest::Text => f.write_str("text()"),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.axis, &self.test) {
            (Axis::SelfAxis, NodeTest::Node) if self.predicates.is_empty() => {
                return f.write_str(".")
            }
            (Axis::Parent, NodeTest::Node) if self.predicates.is_empty() => {
                return f.write_str("..")
            }
            (Axis::Child, t) => write!(f, "{t}")?,
            (Axis::Attribute, t) => write!(f, "@{t}")?,
            (axis, t) => write!(f, "{}::{t}", axis.name())?,
        }
        for p in &self.predicates {
            write!(f, "[{p}]")?;
        }
        Ok(())
    }
}

/// Writes steps separated by `/`, printing the `descendant-or-self::node()` step that `//` expands to
/// back as `//` so snapshots look like the source.
fn write_steps(f: &mut fmt::Formatter<'_>, steps: &[Step], leading_slash: bool) -> fmt::Result {
    let mut need_sep = leading_slash;
    for step in steps {
        let is_dslash = step.axis == Axis::DescendantOrSelf
            && step.test == NodeTest::Node
            && step.predicates.is_empty();
        if is_dslash {
            f.write_str("//")?;
            need_sep = false;
            continue;
        }
        if need_sep {
            f.write_str("/")?;
        }
        write!(f, "{step}")?;
        need_sep = true;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{}", super::value::format_number(*n)),
            ExprKind::Literal(s) => {
                if s.contains('\'') {
                    write!(f, "\"{s}\"")
                } else {
                    write!(f, "'{s}'")
                }
            }
            ExprKind::Ref(n) => write!(f, "${{{n}}}"),
            ExprKind::Neg(e) => write!(f, "(neg {e})"),
            ExprKind::Binary { op, lhs, rhs } => write!(f, "({} {lhs} {rhs})", op.symbol()),
            ExprKind::Call { name, args } => {
                write!(f, "(call {name}")?;
                for a in args {
                    write!(f, " {a}")?;
                }
                f.write_str(")")
            }
            ExprKind::Filter { base, predicates } => {
                write!(f, "(filter {base}")?;
                for p in predicates {
                    write!(f, " [{p}]")?;
                }
                f.write_str(")")
            }
            ExprKind::Path { start, steps } => {
                f.write_str("(path ")?;
                match start {
                    PathStart::Root => {
                        if steps.is_empty() {
                            f.write_str("/")?;
                        } else if steps.first().is_some_and(|s| {
                            s.axis == Axis::DescendantOrSelf
                                && s.test == NodeTest::Node
                                && s.predicates.is_empty()
                        }) {
                            // `//x` prints its own leading slashes.
                        } else {
                            f.write_str("/")?;
                        }
                        write_steps(f, steps, false)?;
                    }
                    PathStart::Context => write_steps(f, steps, false)?,
                    PathStart::Expr(e) => {
                        write!(f, "{e}")?;
                        write_steps(f, steps, true)?;
                    }
                }
                f.write_str(")")
            }
            ExprKind::Error => f.write_str("(error)"),
        }
    }
}
