//! Canvass use cases: the one API that the desktop shell and the `canvass` CLI both call.
//!
//! [`App`] joins the questionnaire engine (`canvass-form`) to the local store
//! (`canvass-store`) and returns view structs ([`Screen`], [`InterviewSummary`])
//! that carry only what a screen shows, never engine or SQL internals.
//! Time comes from an injected [`Clock`], so tests run on a fixed clock.
//!
//! Invariant: this crate holds no SQL, makes no HTTP calls and knows nothing of Tauri.

pub mod attachments;
pub mod capi;
pub mod cati;
mod clock;
pub mod dashboard;
mod error;
pub mod export;
mod interview;
mod lifecycle;
mod maintenance;
mod outline;
pub mod review;
pub mod runner;
mod sync;

pub use canvass_store::DbReport;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorKind, Result};
pub use interview::{
    App, InterviewDetail, InterviewSummary, ParadataEvent, Screen, StudyView, DEMO_STUDY_ID,
};
pub use lifecycle::{Misfit, VersionMove};
pub use maintenance::{backup_database, backup_dir, restore_database, KEEP_BACKUPS};
pub use runner::{ChoiceView, OutlineItem, PageView, QuestionView, RepeatView};
pub use sync::{
    utc_text, PassOptions as SyncOptions, ReceivedAssignment, ReceivedDecision,
    ReceivedQuestionnaire, SyncError, SyncLogEntry, SyncOutboxEntry, SyncOutcome, SyncProgress,
    SyncSignIn, SyncStage, SyncStatus, SyncSummary,
};

/// Checks a database file without changing it (integrity and schema version), for `canvass db check`.
pub fn check_database(path: &std::path::Path) -> Result<DbReport> {
    Ok(canvass_store::inspect(path)?)
}
