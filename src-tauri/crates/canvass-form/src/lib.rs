//! The questionnaire model and the rules that run over it: pure, no I/O, no clock.
//!
//! This crate is the engine's home. [`expr`] is the ODK XPath expression
//! language: a hand-written lexer and Pratt parser that never fails (it returns
//! the tree plus diagnostics), a checker for unknown functions and arities, and
//! an evaluator with the ODK function library over a caller-supplied document.
//! The interview model is still the walking skeleton's small hand-built one
//! (enough for the built-in NPS demo): items with typed values,
//! label variants chosen by the answers so far, `${name}` piping, required
//! checks and value validation. The XLSForm/XForm importer and the ODK
//! expression language replace the hand-built conditions (see issue #3) without
//! changing the shape callers use: ask for an item's view given the answers,
//! validate a value, find the next or previous item.
//!
//! Invariant: nothing here touches files, sockets, databases or the clock, so
//! every function is deterministic and can be tested from values alone.

mod demo;
mod error;
pub mod expr;
mod model;

pub use demo::{demo_nps, DEMO_NPS_ID};
pub use error::{Error, Result};
pub use model::{Answers, Choice, Condition, Item, ItemKind, LabelVariant, Questionnaire};
