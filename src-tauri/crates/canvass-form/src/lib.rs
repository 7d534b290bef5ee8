//! The questionnaire model and the rules that run over it: pure, no I/O, no clock.
//!
//! This crate is the engine's home. For the walking skeleton it holds a small
//! hand-built model (enough for the built-in NPS demo): items with typed values,
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
mod model;

pub use demo::{demo_nps, DEMO_NPS_ID};
pub use error::{Error, Result};
pub use model::{Answers, Choice, Condition, Item, ItemKind, LabelVariant, Questionnaire};
