//! Errors of the questionnaire model: a value that does not fit its question, or a name the form does not have.

/// What went wrong when a value or a name was checked against a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A name that is not an item of the form, e.g. `answer("colour", ..)` on the NPS demo.
    #[error("the questionnaire has no question named `{name}`")]
    UnknownItem { name: String },
    /// A number outside a range question's bounds, e.g. `11` for a 0–10 score.
    #[error("{value} is outside the allowed range {min} to {max}")]
    OutOfRange { item: String, value: String, min: i64, max: i64 },
    /// Text where a whole number was expected, e.g. `nine` for a score.
    #[error("`{value}` is not a whole number")]
    NotAnInteger { item: String, value: String },
    /// A choice the list does not offer, e.g. `9` on a five-option question.
    #[error("`{value}` is not one of this question's options")]
    UnknownChoice { item: String, value: String },
    /// An answer given to an item that only displays text, such as a closing note.
    #[error("question `{item}` displays text and takes no answer")]
    NotAnswerable { item: String },
    /// Moving on from a required question that has no answer.
    #[error("this question needs an answer before moving on")]
    Required { item: String },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
