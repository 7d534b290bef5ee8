//! `canvass-server export paradata`: the session logs of every received interview revision, as one CSV or JSON Lines file.
//!
//! Each completed interview reaches the server with its whole session log in
//! its payload, so the server can hand supervisors and analysts the same
//! combined log the devices export (`canvass export paradata --format csv|jsonl`):
//! the same columns, plus the revision, and with the interviewer and device
//! the server knows from the pushing device's token rather than from the device.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::db::{Database, StoredRecord};
use crate::error::ApiError;

/// The part of an interview payload this export reads.
#[derive(Debug, Deserialize)]
struct SentInterview {
    id: String,
    #[serde(default)]
    interview_id: Option<String>,
    #[serde(default)]
    revision: Option<i64>,
    #[serde(default)]
    paradata: Vec<canvass_protocol::PayloadEvent>,
}

/// One output row: the devices' combined-log columns, with the revision after the interview id.
#[derive(Debug, Serialize)]
struct Row<'a> {
    interview_id: &'a str,
    revision: i64,
    interviewer: &'a str,
    device: &'a str,
    session_id: &'a str,
    seq: i64,
    event: &'a str,
    node: &'a str,
    start: i64,
    end: Option<i64>,
    end_estimated: bool,
    tz_offset_min: i32,
    old_value: Option<&'a str>,
    new_value: Option<&'a str>,
}

/// Writes every event of every stored interview revision in `format` (`csv` or `jsonl`); returns the number of events.
///
/// A stored payload that is not an interview as devices send it is reported
/// with its record id instead of being skipped, so an export never silently
/// leaves an interview out.
pub async fn export_paradata(
    db: &dyn Database,
    format: &str,
    out: &mut dyn Write,
) -> Result<usize, ApiError> {
    if format != "csv" && format != "jsonl" {
        return Err(ApiError::BadRequest {
            code: "bad_format",
            message: format!("unknown format {format:?}; use csv or jsonl"),
        });
    }
    let records = db.records("interview", None, None).await?;
    let mut n = 0;
    if format == "csv" {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(&mut *out);
        for_each_row(&records, |row| {
            n += 1;
            w.serialize(row).map_err(write_error)
        })?;
        w.flush().map_err(write_error)?;
        drop(w);
        if n == 0 {
            // Even an empty export names its columns, so a reader sees what it would hold.
            writeln!(
                out,
                "interview_id,revision,interviewer,device,session_id,seq,event,node,start,end,\
                 end_estimated,tz_offset_min,old_value,new_value"
            )
            .map_err(write_error)?;
        }
    } else {
        for_each_row(&records, |row| {
            n += 1;
            let line = serde_json::to_string(row).map_err(write_error)?;
            writeln!(out, "{line}").map_err(write_error)
        })?;
    }
    Ok(n)
}

/// Calls `f` with every event row of every record, one interview at a time.
fn for_each_row(
    records: &[StoredRecord],
    mut f: impl FnMut(&Row<'_>) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    for r in records {
        let sent = parse(r)?;
        let interview_id = sent.interview_id.as_deref().unwrap_or(&sent.id);
        for e in &sent.paradata {
            f(&Row {
                interview_id,
                revision: sent.revision.unwrap_or(1),
                interviewer: &r.user,
                device: &r.device_id,
                session_id: &e.session_id,
                seq: e.seq,
                event: &e.kind,
                node: e.node.as_deref().unwrap_or(""),
                start: e.start_ms,
                end: e.end_ms,
                end_estimated: e.end_estimated,
                tz_offset_min: e.tz_offset_min,
                old_value: e.old_value.as_deref(),
                new_value: e.new_value.as_deref(),
            })?;
        }
    }
    Ok(())
}

fn parse(r: &StoredRecord) -> Result<SentInterview, ApiError> {
    serde_json::from_str(&r.payload).map_err(|e| {
        ApiError::Internal(format!(
            "stored interview {} is not an interview as devices send it: {e}",
            r.id
        ))
    })
}

fn write_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("cannot write the export: {e}"))
}
