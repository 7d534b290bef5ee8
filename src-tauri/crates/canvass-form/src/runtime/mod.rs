//! The interview runtime: one interview's state over a `Questionnaire`, seen by expressions
//! through `expr::Document`, updated incrementally over a dependency graph.

pub mod deps;
pub mod instance;

pub use instance::{Changes, Instance, NodeState, PRELOAD_PREFIX};
