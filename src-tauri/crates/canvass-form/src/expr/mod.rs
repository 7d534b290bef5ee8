//! ODK XPath expression engine: lex → parse → evaluate, with ODK/JavaRosa semantics.
//!
//! The engine is pure. It reads the form's instance only through the caller's [`Document`] and takes
//! time, randomness and language from [`Context`]; it performs no I/O.
//!
//! ```
//! use canvass_expr_dev::expr::{parse, eval, Context};
//! # use canvass_expr_dev::expr::{Document, NodeId};
//! # struct Empty;
//! # impl Document for Empty {
//! #     fn root(&self) -> NodeId { NodeId(0) }
//! #     fn parent(&self, _: NodeId) -> Option<NodeId> { None }
//! #     fn children(&self, _: NodeId, _: Option<&str>) -> Vec<NodeId> { Vec::new() }
//! #     fn name(&self, _: NodeId) -> String { String::new() }
//! #     fn attribute(&self, _: NodeId, _: &str) -> Option<String> { None }
//! #     fn value(&self, _: NodeId) -> String { String::new() }
//! #     fn resolve_ref(&self, _: &str, _: NodeId) -> Option<Vec<NodeId>> { None }
//! #     fn instance_root(&self, _: &str) -> Option<NodeId> { None }
//! # }
//! # let doc = Empty;
//! let (expr, diagnostics) = parse("if(1 + 2 * 3 = 7, 'yes', 'no')");
//! assert!(diagnostics.is_empty());
//! assert_eq!(expr.to_string(), "(call if (= (+ 1 (* 2 3)) 7) 'yes' 'no')");
//! let ctx = Context {
//!     now: chrono::DateTime::parse_from_rfc3339("2025-01-15T10:00:00+02:00").unwrap(),
//!     random_seed: 7,
//!     language: None,
//! };
//! let value = eval(&expr, &doc, doc.root(), &ctx).unwrap();
//! assert_eq!(value.to_str(&doc), "yes");
//! ```

pub mod ast;
pub mod check;
pub mod error;
pub mod eval;
pub mod functions;
pub mod lexer;
pub mod parser;
pub mod regex;
pub mod value;

#[cfg(test)]
mod testdoc;
#[cfg(test)]
mod tests;

pub use ast::{Expr, ExprKind};
pub use check::{check, references};
pub use error::{Diagnostic, EvalError, Severity};
pub use eval::{eval, eval_bool, eval_string, eval_with_current, Context, Document};
pub use functions::{arity, check_call, is_known_function, Arity};
pub use parser::parse;
pub use value::{NodeId, NodeRef, Value};
