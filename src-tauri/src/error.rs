//! The `{code, message}` error every command returns; the UI branches on `code`, never on the text.

use serde::Serialize;

/// A command failure as the UI receives it: `{"code": "storage", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// One of: `validation`, `not_found`, `conflict`, `storage`, `incompatible_database`, `damaged_database`, `internal`.
    pub code: &'static str,
    /// A sentence for the user, in words.
    pub message: String,
}

impl CommandError {
    /// A failure that is a bug or an environment problem, not the user's doing.
    pub fn internal(message: impl Into<String>) -> CommandError {
        CommandError {
            code: "internal",
            message: message.into(),
        }
    }
}

impl From<canvass_app::Error> for CommandError {
    fn from(e: canvass_app::Error) -> Self {
        use canvass_app::ErrorKind as K;
        let code = match e.kind() {
            K::Validation => "validation",
            K::NotFound => "not_found",
            K::Conflict => "conflict",
            K::Storage => "storage",
            K::IncompatibleDatabase => "incompatible_database",
            K::DamagedDatabase => "damaged_database",
        };
        CommandError {
            code,
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_code_and_message_only() {
        let e = CommandError::from(canvass_app::Error::UnknownStudy { id: "x".into() });
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "not_found", "message": "no study with id x"})
        );
    }
}
