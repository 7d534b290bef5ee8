//! The crate's error type: why a data export stopped.

use std::path::PathBuf;

/// Why a data export stopped; the partial files are removed in every case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing an export file failed, e.g. the folder is read-only or the disk is full.
    #[error("cannot write the export file {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The person exporting cancelled; nothing was written.
    #[error("the export was cancelled; no file was written")]
    Cancelled,
    /// Labels asked for in a language the study's newest version is not written in.
    #[error("the questionnaire has no language {language:?}; it has: {}", available.join(", "))]
    UnknownLanguage {
        language: String,
        available: Vec<String>,
    },
    /// An interview names a questionnaire version the source does not hold, so its
    /// answers cannot be placed; the export stops rather than leave the interview out.
    #[error("interview {interview} was taken on questionnaire {study} version {version}, which is not available here")]
    VersionMissing {
        interview: String,
        study: String,
        version: String,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
