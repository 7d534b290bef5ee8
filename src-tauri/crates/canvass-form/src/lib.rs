//! Canvass's questionnaire engine: ODK expressions, the questionnaire model, XLSForm and XForm
//! import, the interview runtime and replay. Pure: no I/O, no clock, no OS randomness.
//!
//! The pipeline is import → check → compile → evaluate:
//! - [`import_xlsform`] and [`import_xform`] take a form's bytes (the caller reads the file) and
//!   return an [`Import`]: the [`Questionnaire`] when it could be built, plus every
//!   [`Diagnostic`] found, located by sheet, row and column or by XML element path. Import never
//!   panics and never fails with `Err` on bad input.
//! - [`expr`] is the ODK XPath language: a hand-written lexer and Pratt parser that return the tree
//!   and diagnostics, a checker for unknown functions and arities, and an evaluator with the ODK
//!   function library over any [`expr::Document`].
//! - [`Instance`] is one interview over a questionnaire. It implements `expr::Document`, keeps a
//!   dependency graph built at load, and re-evaluates only what depends on a changed answer;
//!   [`Instance::recompute_all`] is the full pass kept as the test oracle.
//! - [`replay`] applies a steps file and prints node states after every step (`xform-ref-trace/1`).
//!
//! Invariant: nothing here touches files, sockets, databases or the clock; time and random seeds
//! come from the caller's [`expr::Context`], so every function is deterministic.

pub mod diagnostic;
pub mod error;
pub mod expr;
pub mod fill;
pub mod import;
pub mod model;
pub mod rebuild;
pub mod replay;
pub mod runtime;
#[cfg(test)]
mod test_util;

pub use diagnostic::{Diagnostic, Location};
pub use error::{Error, Result};
pub use import::{import_form, import_xform, import_xlsform, Import};
pub use model::Questionnaire;
pub use runtime::{Changes, Instance, NodeState};
