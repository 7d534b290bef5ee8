//! Error and diagnostic types of the expression engine.
//!
//! Author-time problems (syntax) are `Diagnostic` values collected by the parser; runtime blanks and
//! NaN are defined XPath semantics and never errors. An `EvalError` means the expression cannot be
//! evaluated at all, which the importer should have caught with a diagnostic first.

use std::ops::Range;

/// How serious an author-time diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A problem found while lexing or parsing, located by a byte span of the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    /// Builds an error-severity diagnostic.
    pub fn error(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            severity: Severity::Error,
            message: message.into(),
        }
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The tree contains an `Expr::Error` node left by the parser's error recovery.
    #[error("expression has a syntax error at {0:?}")]
    Syntax(Range<usize>),
    /// A function name that the engine does not implement.
    #[error("function `{0}` is not supported")]
    UnknownFunction(String),
    /// A known function called with a number of arguments it does not accept.
    #[error("function `{name}` takes {expected} argument(s), got {got}")]
    Arity {
        name: String,
        expected: String,
        got: usize,
    },
    /// A node-set was required (path step, predicate target, `|`, `count()`...) but another type was given.
    #[error("{0} needs a node-set")]
    NotANodeSet(String),
    /// A `${name}` reference the document could not resolve to any node.
    #[error("reference `${{{0}}}` does not name a question")]
    UnknownReference(String),
    /// `instance('id')` names a secondary instance the document does not have.
    #[error("instance `{0}` does not exist")]
    UnknownInstance(String),
    /// An argument had a value the function cannot work with (for example an invalid regex or digest algorithm).
    #[error("{function}: {message}")]
    BadArgument { function: String, message: String },
    /// Nesting too deep to evaluate without risking the stack.
    #[error("expression nests deeper than {0} levels")]
    TooDeep(usize),
}
