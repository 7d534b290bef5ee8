//! Errors of the local store, classified so that callers can tell the user what to do.

use std::path::PathBuf;

/// What went wrong in the local database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file exists but is not an SQLite database, e.g. a spreadsheet passed as `--db`.
    #[error("{} is not a Canvass database (it is not an SQLite file)", path.display())]
    NotADatabase { path: PathBuf },
    /// The file could not be opened at all, e.g. its folder does not exist or is not readable.
    #[error("cannot open {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The schema version is newer than this build knows: written by a newer Canvass.
    #[error("this database was written by a newer Canvass (schema version {found}, this version knows up to {supported})")]
    IncompatibleDatabase { found: i64, supported: i64 },
    /// A migration failed; nothing of the whole migration run was applied.
    #[error("migration {name} failed; the database was left as it was")]
    Migration {
        name: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The disk is full; the write was rolled back and nothing saved before was touched.
    #[error("the disk is full; the last change was not saved")]
    DiskFull(#[source] rusqlite::Error),
    /// The file or its folder is read-only; the write was rolled back.
    #[error("the database file is read-only; the last change was not saved")]
    ReadOnly(#[source] rusqlite::Error),
    /// SQLite reported damage in the file.
    #[error("the database file is damaged")]
    Corrupt(#[source] rusqlite::Error),
    /// A file operation around the database failed, e.g. renaming a finished backup.
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A backup chosen for restore fails SQLite's integrity check.
    #[error("the backup {} is damaged and was not restored", path.display())]
    DamagedBackup {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// Different form bytes under an installed id and version, e.g. an edited form whose version was not raised.
    #[error("questionnaire {id} version {version} is already installed with different content; raise the form's version")]
    QuestionnaireVersionTaken { id: String, version: String },
    /// No interview with this id exists.
    #[error("no interview with id {id}")]
    InterviewNotFound { id: String },
    /// A case list names a case the study already has; nothing of the list was imported.
    #[error("study {study_id} already has a case with id {id}; nothing was imported")]
    CaseExists { study_id: String, id: String },
    /// No case with this id in this study.
    #[error("study {study_id} has no case with id {id}")]
    CaseNotFound { study_id: String, id: String },
    /// No CAPI assignment with this id exists.
    #[error("no assignment with id {id}")]
    AssignmentNotFound { id: String },
    /// An imported assignment id is already on this device.
    #[error("assignment {id} already exists on this device")]
    AssignmentExists { id: String },
    /// Any other SQLite failure, kept with its cause.
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl From<rusqlite::Error> for Error {
    /// Classifies SQLite failures by their primary result code so that the user
    /// gets "disk full" or "read-only" instead of a generic database error.
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DiskFull) => Error::DiskFull(e),
            Some(C::ReadOnly) => Error::ReadOnly(e),
            Some(C::DatabaseCorrupt) => Error::Corrupt(e),
            _ => Error::Sqlite(e),
        }
    }
}
