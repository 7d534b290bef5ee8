//! The crate's error type: what an API call on a running interview could not do.
//!
//! Author problems in a form are `Diagnostic` values returned by the importers, never errors.

/// Why a runtime or replay operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A path that names no node of the interview, e.g. `/data/nope` or `/data/member[9]/age`.
    #[error("no node at `{0}`")]
    UnknownPath(String),
    /// A value was set on a group, repeat or the root, e.g. `/data/household`.
    #[error("`{0}` does not hold a value")]
    NotAQuestion(String),
    /// A value was set on a read-only node such as a note or a calculate.
    #[error("`{0}` is read-only")]
    ReadOnly(String),
    /// `add_repeat` or `remove_repeat` on something that is not a user-controlled repeat.
    #[error("`{0}` is not a repeat the interviewer controls")]
    NotARepeat(String),
    /// A replay steps document that is not valid JSON or not the documented shape.
    #[error("invalid steps: {0}")]
    BadSteps(String),
    /// An expression failed to evaluate; the importer should have reported it, e.g. a call to an
    /// unknown function.
    #[error("evaluating `{expression}` at `{path}`")]
    Eval {
        path: String,
        expression: String,
        #[source]
        source: crate::expr::EvalError,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
