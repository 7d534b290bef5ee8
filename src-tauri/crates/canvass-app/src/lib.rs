//! Canvass use cases: the one API that the desktop shell and the `canvass` CLI both call.
//!
//! [`App`] joins the questionnaire engine (`canvass-form`) to the local store
//! (`canvass-store`) and returns view structs ([`Screen`], [`InterviewSummary`])
//! that carry only what a screen shows, never engine or SQL internals.
//! Time comes from an injected [`Clock`], so tests run on a fixed clock.
//!
//! Invariant: this crate holds no SQL, makes no HTTP calls and knows nothing of Tauri.

mod clock;
mod error;
mod interview;
mod sync;

pub use canvass_store::DbReport;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorKind, Result};
pub use sync::{PassOptions as SyncOptions, SyncError, SyncLogEntry, SyncOutboxEntry, SyncOutcome, SyncSignIn, SyncStatus, SyncSummary, utc_text};
pub use interview::{App, ChoiceView, InterviewSummary, ParadataEvent, QuestionView, Screen, StudyView};

/// Checks a database file without changing it (integrity and schema version), for `canvass db check`.
pub fn check_database(path: &std::path::Path) -> Result<DbReport> {
    Ok(canvass_store::inspect(path)?)
}
