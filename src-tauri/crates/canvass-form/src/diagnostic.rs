//! Import diagnostics: author problems located in the spreadsheet cell or XML element they come from.

use std::fmt;

pub use crate::expr::Severity;

/// Where in the form source a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Location {
    /// The form as a whole (unreadable file, missing sheet).
    #[default]
    Form,
    /// A whole sheet of a workbook (missing column).
    Sheet { sheet: String },
    /// A spreadsheet cell: 1-based row as the spreadsheet shows it, column by its header name.
    Cell {
        sheet: String,
        row: u32,
        column: String,
    },
    /// An XForm element, as a path with 1-based positions (`/h:html/h:head/model/bind[3]`).
    Element { path: String },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Form => write!(f, "form"),
            Location::Sheet { sheet } => write!(f, "sheet `{sheet}`"),
            Location::Cell { sheet, row, column } => {
                write!(f, "sheet `{sheet}` row {row} column `{column}`")
            }
            Location::Element { path } => write!(f, "{path}"),
        }
    }
}

/// One problem found while importing a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Location,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location,
        }
    }

    /// A warning at `location`.
    pub fn warning(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            location,
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}: {}", self.location, self.message)
    }
}
