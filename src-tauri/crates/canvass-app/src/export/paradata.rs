//! Session-log exports: ODK `audit.csv`, one combined CSV and JSON Lines file, Survey Solutions `paradata.tab`.
//!
//! The local log (`ParadataEvent`) is a superset of every format here; each
//! writer is a view of it. Rows are written in `seq` order, never sorted by
//! time, because only `seq` is guaranteed to follow the order things happened.
//! Writers are pure over their inputs so golden files can pin their bytes.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::interview::ParadataEvent;

/// The export formats of `canvass export paradata --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParadataFormat {
    /// ODK `audit.csv`, one file per interview (`<out>/<interview id>/audit.csv`).
    AuditCsv,
    /// One CSV file for the whole selection (`<out>/paradata.csv`).
    Csv,
    /// One JSON object per line for the whole selection (`<out>/paradata.jsonl`).
    Jsonl,
    /// Survey Solutions `paradata.tab` (`<out>/paradata.tab`).
    Tab,
}

impl ParadataFormat {
    /// Parses the CLI name: `audit-csv`, `csv`, `jsonl` or `tab`.
    pub fn parse(name: &str) -> Option<ParadataFormat> {
        match name {
            "audit-csv" => Some(ParadataFormat::AuditCsv),
            "csv" => Some(ParadataFormat::Csv),
            "jsonl" => Some(ParadataFormat::Jsonl),
            "tab" => Some(ParadataFormat::Tab),
            _ => None,
        }
    }
}

/// One interview's log with what identifies it in a combined export.
#[derive(Debug, Clone)]
pub struct InterviewLog {
    pub interview_id: String,
    /// Who conducted it; empty until sign-in exists.
    pub interviewer: String,
    /// Which device; empty until devices are registered.
    pub device: String,
    pub events: Vec<ParadataEvent>,
}

/// Writes an ODK `audit.csv` (with `track-changes` columns) for one interview.
///
/// A `question` row carries the value the question had when it was shown and
/// the value it had when left, only when they differ, as Collect writes them.
/// Answer events fold into those rows; `back` has no ODK event and shows as
/// the order of the `question` rows instead.
pub fn write_audit_csv(out: impl Write, events: &[ParadataEvent]) -> csv::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(["event", "node", "start", "end", "old-value", "new-value"])?;
    for (i, e) in events.iter().enumerate() {
        let name = match e.kind.as_str() {
            "form_start" => "form start",
            "form_resume" => "form resume",
            "question" => "question",
            "constraint_error" => "constraint error",
            "exit" => "form exit",
            "finalize" => "form finalize",
            "repeat_add" => "add repeat",
            "repeat_delete" => "delete repeat",
            // A jump from the outline (Ctrl+K) or the roster table, as Collect logs a hierarchy jump.
            "jump" => "jump",
            _ => continue,
        };
        let (old, new) = if e.kind == "question" {
            span_change(&events[i + 1..], e.node.as_deref())
        } else {
            (None, None)
        };
        let node = if matches!(
            e.kind.as_str(),
            "question" | "repeat_add" | "repeat_delete" | "jump"
        ) {
            e.node.clone().unwrap_or_default()
        } else {
            String::new()
        };
        w.write_record([
            name.to_owned(),
            node,
            e.start_ms.to_string(),
            e.end_ms.map(|t| t.to_string()).unwrap_or_default(),
            old.unwrap_or_default(),
            new.unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The value before and after a question span, from the answer events up to the next span.
fn span_change(after: &[ParadataEvent], node: Option<&str>) -> (Option<String>, Option<String>) {
    let changes: Vec<&ParadataEvent> = after
        .iter()
        .take_while(|e| e.kind != "question" && e.kind != "form_resume")
        .filter(|e| {
            (e.kind == "answer_set" || e.kind == "answer_removed") && e.node.as_deref() == node
        })
        .collect();
    let (Some(first), Some(last)) = (changes.first(), changes.last()) else {
        return (None, None);
    };
    let old = first.old_value.clone().unwrap_or_default();
    let new = last.new_value.clone().unwrap_or_default();
    if old == new {
        (None, None)
    } else {
        (
            Some(old).filter(|v| !v.is_empty()),
            Some(new).filter(|v| !v.is_empty()),
        )
    }
}

/// A row of the combined CSV and JSON Lines exports.
#[derive(Debug, Serialize)]
struct Row<'a> {
    interview_id: &'a str,
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

fn rows(logs: &[InterviewLog]) -> impl Iterator<Item = Row<'_>> {
    logs.iter().flat_map(|l| {
        l.events.iter().map(move |e| Row {
            interview_id: &l.interview_id,
            interviewer: &l.interviewer,
            device: &l.device,
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
        })
    })
}

/// Writes every event of every interview as one CSV (times in Unix milliseconds UTC).
pub fn write_combined_csv(out: impl Write, logs: &[InterviewLog]) -> csv::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    for row in rows(logs) {
        w.serialize(row)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes every event of every interview as JSON Lines.
pub fn write_jsonl(mut out: impl Write, logs: &[InterviewLog]) -> std::io::Result<()> {
    for row in rows(logs) {
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Writes Survey Solutions' `paradata.tab`: tab-separated, one line per event, `order` from 1 per interview.
///
/// Question views and `back` have no Survey Solutions event and are left out;
/// the rest map to `InterviewCreated`, `Resumed`, `Paused`, `AnswerSet`,
/// `AnswerRemoved`, `QuestionDeclaredInvalid`, `Completed`, and for a
/// supervisor's review `ApproveBySupervisor`, `RejectedBySupervisor` (role 2,
/// the supervisor's) and `Restarted` (the interview reopened as its next revision).
pub fn write_paradata_tab(out: impl Write, logs: &[InterviewLog]) -> csv::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    w.write_record([
        "interview__id",
        "order",
        "event",
        "responsible",
        "role",
        "timestamp_utc",
        "tz_offset",
        "parameters",
    ])?;
    for log in logs {
        let id = log.interview_id.replace('-', "");
        let mut order = 0;
        for e in &log.events {
            let var = e
                .node
                .as_deref()
                .and_then(|n| n.rsplit('/').next())
                .unwrap_or("");
            let (event, parameters) = match e.kind.as_str() {
                "form_start" => ("InterviewCreated", String::new()),
                "form_resume" => ("Resumed", String::new()),
                "exit" => ("Paused", String::new()),
                // Roster address stays empty until interviews have repeats.
                "answer_set" => (
                    "AnswerSet",
                    format!("{var}||{}||", e.new_value.as_deref().unwrap_or("")),
                ),
                "answer_removed" => ("AnswerRemoved", format!("{var}||")),
                "constraint_error" => ("QuestionDeclaredInvalid", format!("{var}||")),
                "finalize" => ("Completed", String::new()),
                "language" => (
                    "TranslationSwitched",
                    e.new_value.clone().unwrap_or_default(),
                ),
                "review_approved" => ("ApproveBySupervisor", review_comment(e)),
                "review_rejected" => ("RejectedBySupervisor", review_comment(e)),
                "reopen" => ("Restarted", String::new()),
                _ => continue,
            };
            let role = if e.kind.starts_with("review_") {
                "2"
            } else {
                "1"
            };
            order += 1;
            w.write_record([
                id.as_str(),
                &order.to_string(),
                event,
                &log.interviewer,
                role,
                &utc(e.start_ms),
                &offset(e.tz_offset_min),
                &parameters,
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// A review decision's comment, which its event carries as the new value (empty when it has none).
fn review_comment(e: &ParadataEvent) -> String {
    e.new_value.clone().unwrap_or_default()
}

/// `2018-12-28T23:00:59.123`, as Survey Solutions writes UTC timestamps.
fn utc(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string()
}

/// `-05:00:00` or `03:00:00`, as Survey Solutions writes offsets (.NET `TimeSpan`: a sign only when negative).
fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}:00", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, kind: &str, node: Option<&str>, new_value: Option<&str>) -> ParadataEvent {
        ParadataEvent {
            seq,
            session_id: "s1".into(),
            kind: kind.into(),
            node: node.map(str::to_owned),
            start_ms: 1_000 * seq,
            end_ms: None,
            end_estimated: false,
            tz_offset_min: 120,
            old_value: None,
            new_value: new_value.map(str::to_owned),
        }
    }

    #[test]
    fn a_jump_is_an_odk_jump_row_with_its_node() {
        let mut out = Vec::new();
        write_audit_csv(&mut out, &[event(1, "jump", Some("/data/age"), None)]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().nth(1), Some("jump,/data/age,1000,,,"));
    }

    #[test]
    fn review_decisions_are_survey_solutions_supervisor_events() {
        let log = InterviewLog {
            interview_id: "0190-ab".into(),
            interviewer: "ines".into(),
            device: String::new(),
            events: vec![
                event(
                    1,
                    "review_rejected",
                    Some("/data/age"),
                    Some("age looks wrong"),
                ),
                event(2, "reopen", Some("/data/age"), Some("2")),
                event(3, "review_approved", None, None),
            ],
        };
        let mut out = Vec::new();
        write_paradata_tab(&mut out, &[log]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        let picked: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[2], r[4], r[7])).collect();
        assert_eq!(
            picked,
            [
                ("RejectedBySupervisor", "2", "age looks wrong"),
                ("Restarted", "1", ""),
                ("ApproveBySupervisor", "2", ""),
            ]
        );
    }
}
