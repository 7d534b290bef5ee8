//! Canvass's data export, shared by the desktop app and the server: a study's interviews as
//! CSV, XLSX, SPSS `.sav`, Stata `.dta`, JSON Lines and ODK submission XML.
//!
//! The writers know nothing of where interviews are kept: a caller implements
//! [`RecordSource`] over its storage (the device's SQLite store, the server's
//! received records) and calls [`export`]. No SQL, no HTTP, no window here;
//! the only I/O is writing the export files.

pub mod data;
pub mod error;

pub use data::{
    export, record_is_stored_answers, DataExportOptions, DataExportSummary, DataFormat, Interview,
    Meta, RecordSource, PAGE,
};
pub use error::{Error, Result};

/// The csv crate wraps I/O errors; unwrap them so every export error reads the same way.
pub fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// Midnight UTC of `YYYY-MM-DD` in Unix ms, for the `--from` and `--to` date filters;
/// the error names the flag and what was expected.
pub fn day_start_ms(flag: &str, text: &str) -> std::result::Result<i64, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| format!("--{flag} {text}: expected a date as YYYY-MM-DD"))
}

#[cfg(test)]
mod tests;
