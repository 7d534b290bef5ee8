//! Errors of the use cases, each with a kind that the UI and the CLI branch on.

use std::path::{Path, PathBuf};

/// What went wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local database failed; the store error says how (disk full, read-only, newer file...).
    #[error(transparent)]
    Store(#[from] canvass_store::Error),
    /// A review decision that cannot be made as asked, e.g. a rejection without a comment.
    #[error("{message}")]
    InvalidReview { message: String },
    /// A review decision on an interview that is not waiting for one.
    #[error("{message}")]
    ReviewConflict { message: String },
    /// A value that does not fit its question, e.g. `nine` for a whole number or `11` on a 0–10 scale.
    #[error("{reason}")]
    InvalidAnswer { item: String, reason: String },
    /// An answer given to a question that takes none: a note, a calculation, a read-only field.
    #[error("question `{item}` takes no answer")]
    NotAnswerable { item: String },
    /// Moving on from a required question with no answer; the message is the form's `required_message` or ours.
    #[error("{message}")]
    Required { item: String, message: String },
    /// Moving on from an answer that breaks the form's constraint; the message is the form's `constraint_message` or ours.
    #[error("{message}")]
    ConstraintFailed { item: String, message: String },
    /// A question name or path the interview does not have.
    #[error("the questionnaire has no question `{item}`")]
    UnknownItem { item: String },
    /// A questionnaire that does not import cleanly, listed with its problems.
    #[error("questionnaire {id} has errors: {}", problems.join("; "))]
    FormInvalid { id: String, problems: Vec<String> },
    /// No study with this id is installed, e.g. `start_interview("nope")`.
    #[error("no study with id {id}")]
    UnknownStudy { id: String },
    /// The interview's questionnaire version is not installed on this device.
    #[error("questionnaire {id} version {version} is not installed")]
    QuestionnaireMissing { id: String, version: String },
    /// The database failed its integrity check at start-up; the newest backup is named when there is one.
    #[error("{}", damaged_message(path, latest_backup.as_deref()))]
    DatabaseDamaged {
        path: PathBuf,
        problems: Vec<String>,
        latest_backup: Option<PathBuf>,
    },
    /// Writing an export file failed, e.g. the folder is read-only or the disk is full.
    #[error("cannot write the export file {}", path.display())]
    Export {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A command named a database file that does not exist.
    #[error("no database at {}", path.display())]
    DatabaseMissing { path: PathBuf },
    /// A case list with problems; nothing of it was imported. Each problem names its row and column.
    #[error("{file}: the case list was not imported: {}", problems.join("; "))]
    CaseList { file: String, problems: Vec<String> },
    /// No case with this id (in this study, when one was named).
    #[error("no case with id {id}")]
    UnknownCase { id: String },

    #[error("no call attempt belongs to a case or interview with id {id}")]
    NotInCallHistory { id: String },
    /// A case id used in several studies, given without its study.
    #[error("case {id} is in several studies ({}); name the study", studies.join(", "))]
    AmbiguousCase { id: String, studies: Vec<String> },
    /// A call outcome that is neither a short name nor an AAPOR code of the study's table.
    #[error("unknown call outcome `{code}` (use a short name such as no_answer or an AAPOR code such as 3.13)")]
    UnknownOutcome { code: String },
    /// A CATI request that cannot be carried out as given, e.g. an outcome that needs a note without one.
    #[error("{message}")]
    CatiInvalid { message: String },
    /// An assignment list with problems; nothing of it was imported.
    #[error("{file}: nothing imported; {} problem(s): {}", problems.len(), problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    AssignmentsInvalid {
        file: String,
        problems: Vec<crate::capi::ImportProblem>,
    },
    /// A dashboard filter that cannot apply, e.g. an unknown status or a malformed date.
    #[error("{reason}")]
    InvalidFilter { reason: String },
    /// A visit that cannot be recorded as given, e.g. an unknown reason or a revisit time in the past.
    #[error("{reason}")]
    InvalidVisit { reason: String },
    /// A consent that cannot be recorded as given, e.g. without its statement.
    #[error("{reason}")]
    InvalidConsent { reason: String },
    /// Respondent mode refused: a PIN too short to start it, or the wrong PIN to end it.
    #[error("{reason}")]
    RespondentPin { reason: String },
    /// A file that cannot be attached to a question, e.g. larger than the limit or an empty file.
    #[error("{reason}")]
    InvalidAttachment { item: String, reason: String },
    /// Another interview for an assignment whose target is already reached.
    #[error("assignment {id} is done: its {target} interview(s) are completed")]
    AssignmentDone { id: String, target: i64 },
    /// A change to an interview that is no longer open, e.g. answering a completed one.
    #[error("interview {id} is {status} and can no longer be changed")]
    InterviewClosed { id: String, status: String },
    /// A language switch to a language the questionnaire is not written in.
    #[error("the questionnaire has no language {language:?}; it has: {}", available.join(", "))]
    UnknownLanguage {
        language: String,
        available: Vec<String>,
    },
    /// A repeat removal named something that is not a repeat instance the interviewer controls.
    #[error("{path} is not a repeat instance that can be removed: {reason}")]
    NotARepeatInstance { path: String, reason: String },
    /// The person exporting cancelled; nothing was written.
    #[error("the export was cancelled; no file was written")]
    ExportCancelled,
    /// A draft asked to move to the version it is already on, or to an older one.
    #[error("interview {id} is already on version {version}")]
    SameVersion { id: String, version: String },
}

fn damaged_message(path: &Path, backup: Option<&Path>) -> String {
    match backup {
        Some(b) => format!(
            "the database {} is damaged; restore the newest backup with: canvass db restore --db {} --from {}",
            path.display(),
            path.display(),
            b.display()
        ),
        None => format!("the database {} is damaged and there is no backup of it yet", path.display()),
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The small, closed set of error kinds a user interface branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user's input was refused; they can correct it.
    Validation,
    /// The thing asked for does not exist.
    NotFound,
    /// The action does not fit the current state.
    Conflict,
    /// The local database could not be read or written.
    Storage,
    /// The database was written by a newer Canvass.
    IncompatibleDatabase,
    /// The database failed its integrity check; it must be restored from a backup.
    DamagedDatabase,
}

impl Error {
    /// The kind of this error, for the `{code, message}` contract.
    pub fn kind(&self) -> ErrorKind {
        use canvass_store::Error as S;
        match self {
            Error::InvalidAnswer { .. }
            | Error::NotAnswerable { .. }
            | Error::Required { .. }
            | Error::ConstraintFailed { .. }
            | Error::UnknownItem { .. }
            | Error::CaseList { .. }
            | Error::AmbiguousCase { .. }
            | Error::UnknownOutcome { .. }
            | Error::CatiInvalid { .. }
            | Error::UnknownLanguage { .. }
            | Error::NotARepeatInstance { .. }
            | Error::AssignmentsInvalid { .. }
            | Error::InvalidFilter { .. }
            | Error::InvalidVisit { .. }
            | Error::InvalidConsent { .. }
            | Error::InvalidReview { .. }
            | Error::RespondentPin { .. }
            | Error::InvalidAttachment { .. } => ErrorKind::Validation,
            Error::ReviewConflict { .. } => ErrorKind::Conflict,
            Error::SameVersion { .. } | Error::ExportCancelled => ErrorKind::Conflict,
            Error::UnknownCase { .. }
            | Error::NotInCallHistory { .. }
            | Error::Store(S::CaseNotFound { .. }) => ErrorKind::NotFound,
            Error::Store(S::CaseExists { .. }) => ErrorKind::Conflict,
            Error::AssignmentDone { .. } => ErrorKind::Conflict,
            Error::Store(S::AssignmentNotFound { .. }) => ErrorKind::NotFound,
            Error::Store(S::AssignmentExists { .. }) => ErrorKind::Conflict,
            Error::FormInvalid { .. } => ErrorKind::NotFound,
            Error::UnknownStudy { .. } | Error::QuestionnaireMissing { .. } => ErrorKind::NotFound,
            Error::InterviewClosed { .. } => ErrorKind::Conflict,
            Error::DatabaseDamaged { .. } | Error::Store(S::Corrupt(_)) => {
                ErrorKind::DamagedDatabase
            }
            Error::DatabaseMissing { .. } => ErrorKind::NotFound,
            Error::Export { .. } => ErrorKind::Storage,
            Error::Store(S::InterviewNotFound { .. }) => ErrorKind::NotFound,
            Error::Store(S::QuestionnaireVersionTaken { .. }) => ErrorKind::Conflict,
            Error::Store(S::IncompatibleDatabase { .. }) => ErrorKind::IncompatibleDatabase,
            Error::Store(_) => ErrorKind::Storage,
        }
    }
}
