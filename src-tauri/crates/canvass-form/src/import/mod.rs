//! Form importers: XLSForm workbooks and XForm XML, each from bytes into a `Questionnaire`.
//!
//! Importers never fail and never panic: whatever the bytes, they return the diagnostics they
//! found and, unless an error made the form unusable, the questionnaire.

pub mod xform;
pub mod xlsform;

use crate::diagnostic::Diagnostic;
use crate::model::Questionnaire;

pub use xform::import_xform;
pub use xlsform::import_xlsform;

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Import {
    /// The form, absent only when nothing usable could be read (no survey sheet, not XML).
    pub form: Option<Questionnaire>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Import {
    /// True when no diagnostic is an error.
    pub fn is_clean(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The error diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Imports a form, choosing the importer by the file name's extension:
/// `.xlsx` and `.xls` are XLSForm workbooks, `.xml` is an XForm.
pub fn import_form(bytes: &[u8], file_name: &str) -> Import {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xml") {
        import_xform(bytes, file_name)
    } else if lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        import_xlsform(bytes, file_name)
    } else {
        Import {
            form: None,
            diagnostics: vec![Diagnostic::error(
                crate::diagnostic::Location::Form,
                format!("`{file_name}` is not a form file: expected an XLSForm (.xlsx, .xls) or an XForm (.xml)"),
            )],
        }
    }
}

/// Deepest group/repeat nesting accepted. Real forms nest a handful of levels; the limit keeps the
/// recursive importer and runtime walks far from the stack's end on hostile input.
pub(crate) const MAX_NESTING: usize = 100;

/// Runs an importer so that no input can panic the caller: a panic inside a third-party parser
/// (spreadsheet or XML) on corrupt bytes becomes an error diagnostic instead.
pub(crate) fn guarded(f: impl FnOnce() -> Import) -> Import {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(import) => import,
        Err(_) => Import {
            form: None,
            diagnostics: vec![Diagnostic::error(
                crate::diagnostic::Location::Form,
                "the file could not be read (the parser failed on it)",
            )],
        },
    }
}

/// The file name without directories and extension, used as the form id when none is given.
pub(crate) fn file_stem(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => base.to_string(),
    }
}

/// True for a valid XML element name as XLSForm allows it: a letter or `_`, then letters, digits,
/// `-`, `_` and `.`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {
            chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        }
        _ => false,
    }
}

/// Parses an expression cell or attribute, reporting syntax errors and unknown functions at
/// `location` with the expression quoted. Returns `None` when the expression cannot be evaluated,
/// so the runtime never sees a broken tree.
pub(crate) fn parse_expression(
    src: &str,
    location: &crate::diagnostic::Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<crate::model::Expression> {
    let (expr, syntax) = crate::expr::parse(src);
    let mut ok = true;
    for d in syntax {
        ok &= d.severity != crate::expr::Severity::Error;
        diags.push(Diagnostic {
            severity: d.severity,
            message: format!(
                "syntax error in `{src}` at character {}: {}",
                d.span.start + 1,
                d.message
            ),
            location: location.clone(),
        });
    }
    if ok {
        for d in crate::expr::check(&expr) {
            ok = false;
            diags.push(Diagnostic::error(
                location.clone(),
                format!("in `{src}`: {}", d.message),
            ));
        }
    }
    ok.then(|| crate::model::Expression {
        source: src.to_string(),
        expr,
        deps: Vec::new(),
        dynamic: false,
    })
}

/// An XForm reference as a template path: predicates and whitespace removed.
pub(crate) fn xform_clean_path(r: &str) -> String {
    xform::clean_ref(r)
}
