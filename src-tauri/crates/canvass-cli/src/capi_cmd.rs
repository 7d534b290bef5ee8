//! `canvass assignments import|list` and `canvass visit record`: CAPI work from the command line.
//!
//! An import that finds problems prints one line per problem, `FILE: row R
//! column `C`: what is wrong`, and stores nothing (exit 1). `--now` freezes
//! the clock, so scripted runs and tests record the same times every time.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use canvass_app::capi::{AssignmentFilter, VisitInput};
use canvass_app::{utc_text, App, Clock, Error, FixedClock, SystemClock};
use clap::Subcommand;

use crate::describe;

#[derive(Debug, Subcommand)]
pub enum AssignmentsCommand {
    /// Import an assignment list (.csv or .xlsx): columns id, interviewer, address, target, due
    /// (YYYY-MM-DD), optional area, then preload columns read by forms as ${case.NAME}.
    /// Every row is checked; a file with any problem imports nothing.
    Import {
        /// The database file (created if missing).
        #[arg(long, value_name = "FILE")]
        db: std::path::PathBuf,
        /// The study (questionnaire id) the assignments are for.
        #[arg(long, value_name = "ID")]
        study: String,
        /// Record this import time instead of the clock's (ISO-8601).
        #[arg(long, value_name = "ISO-8601")]
        now: Option<String>,
        /// The assignment list.
        file: std::path::PathBuf,
    },
    /// List assignments, soonest due first, with counts per status.
    List {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: std::path::PathBuf,
        /// Print JSON ({rows, matching, counts, areas}) instead of a table.
        #[arg(long)]
        json: bool,
        /// Only this status: new, started, visited_no_contact or done.
        #[arg(long, value_name = "S")]
        status: Option<String>,
        /// Only assignments whose id, address, area or preloaded values contain this text (any case).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only this area.
        #[arg(long, value_name = "AREA")]
        area: Option<String>,
        /// Only assignments due on or before this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        due_by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Record a visit that produced no interview, with its reason (mapped to an AAPOR in-person code).
    Record {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: std::path::PathBuf,
        /// The assignment visited.
        #[arg(long, value_name = "ID")]
        assignment: String,
        /// nobody_home, refused, address_not_found or other.
        #[arg(long, value_name = "R")]
        reason: String,
        /// When to come back (ISO-8601, e.g. 2026-11-23T17:00:00Z).
        #[arg(long, value_name = "ISO-8601")]
        revisit: Option<String>,
        /// A note for the supervisor.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Record the visit at this time instead of the clock's (ISO-8601).
        #[arg(long, value_name = "ISO-8601")]
        now: Option<String>,
    },
    /// Count visits without interview per AAPOR in-person disposition code.
    Report {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: std::path::PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_time(flag: &str, text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("--{flag} `{text}` is not an ISO-8601 time: {e}"))
}

/// The clock for a command: frozen at `--now` when given.
fn clock(now: Option<&str>) -> Result<Arc<dyn Clock>, String> {
    Ok(match now {
        Some(t) => Arc::new(FixedClock::new(parse_time("now", t)?)),
        None => Arc::new(SystemClock::new()),
    })
}

fn open(db: &Path, now: Option<&str>, create: bool) -> Result<App, String> {
    // Reading or recording against a typo'd path must not create an empty database.
    if !create && !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    App::open(db, clock(now)?).map_err(|e| describe(&e))
}

pub fn assignments(cmd: AssignmentsCommand, out: &mut dyn Write) -> Result<u8, String> {
    match cmd {
        AssignmentsCommand::Import {
            db,
            study,
            now,
            file,
        } => import(&db, &study, now.as_deref(), &file, out),
        AssignmentsCommand::List {
            db,
            json,
            status,
            search,
            area,
            due_by,
        } => {
            let app = open(&db, None, false)?;
            let filter = AssignmentFilter {
                search,
                status,
                due_by,
                area,
                limit: Some(0),
                offset: 0,
            };
            list(&app, &filter, json, out)
        }
    }
}

fn import(
    db: &Path,
    study: &str,
    now: Option<&str>,
    file: &Path,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let app = open(db, now, true)?;
    let name = file.to_string_lossy();
    match app.import_assignments(study, &bytes, &name) {
        Ok(report) => {
            let columns = if report.preload_columns.is_empty() {
                "none".to_owned()
            } else {
                report.preload_columns.join(", ")
            };
            writeln!(
                out,
                "imported {} assignment(s) for {}; preload columns: {columns}",
                report.imported, report.study_id
            )
            .map_err(|e| e.to_string())?;
            Ok(0)
        }
        Err(Error::AssignmentsInvalid { file, problems }) => {
            let mut text = format!("{file}: nothing imported; {} problem(s):", problems.len());
            for p in &problems {
                text.push_str(&format!("\n{file}: {p}"));
            }
            Err(text)
        }
        Err(e) => Err(describe(&e)),
    }
}

fn list(
    app: &App,
    filter: &AssignmentFilter,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let dash = app.assignment_dashboard(filter).map_err(|e| describe(&e))?;
    let text = if json {
        serde_json::to_string_pretty(&dash).map_err(|e| e.to_string())?
    } else {
        let mut s = format!(
            "{:<16} {:<19} {:<10} {:>6} {:<12} {}\n",
            "ID", "STATUS", "DUE", "DONE", "AREA", "ADDRESS"
        );
        for a in &dash.rows {
            s.push_str(&format!(
                "{:<16} {:<19} {:<10} {:>6} {:<12} {}\n",
                a.id,
                a.status,
                a.due.as_deref().unwrap_or("-"),
                format!("{}/{}", a.completed, a.target),
                a.area,
                a.address
            ));
        }
        let counts: Vec<String> = dash
            .counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        s.push_str(&format!(
            "{} assignment(s); {}",
            dash.matching,
            counts.join(", ")
        ));
        s
    };
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}

pub fn visit(cmd: VisitCommand, out: &mut dyn Write) -> Result<u8, String> {
    let (db, assignment, reason, revisit, note, now) = match cmd {
        VisitCommand::Record {
            db,
            assignment,
            reason,
            revisit,
            note,
            now,
        } => (db, assignment, reason, revisit, note, now),
        VisitCommand::Report { db, json } => return report(&db, json, out),
    };
    let revisit_at = revisit
        .as_deref()
        .map(|t| parse_time("revisit", t))
        .transpose()?;
    let app = open(&db, now.as_deref(), false)?;
    let v = app
        .record_visit(&VisitInput {
            assignment_id: assignment,
            reason,
            revisit_at,
            note,
        })
        .map_err(|e| describe(&e))?;
    let revisit = v
        .revisit_at
        .map(|t| format!("; revisit {}", utc_text(t)))
        .unwrap_or_default();
    writeln!(
        out,
        "recorded visit {} to {} at {}: {} (AAPOR {} {}){revisit}",
        v.id,
        v.assignment_id,
        utc_text(v.visited_at),
        v.reason,
        v.aapor_code,
        v.aapor_label
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

fn report(db: &Path, json: bool, out: &mut dyn Write) -> Result<u8, String> {
    let app = open(db, None, false)?;
    let rows = app.visit_dispositions().map_err(|e| describe(&e))?;
    let text = if json {
        serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
    } else {
        let mut s = format!(
            "{:<6} {:<28} {:<18} {:>6}\n",
            "AAPOR", "DISPOSITION", "REASON", "VISITS"
        );
        for r in &rows {
            s.push_str(&format!(
                "{:<6} {:<28} {:<18} {:>6}\n",
                r.aapor_code, r.aapor_label, r.reason, r.visits
            ));
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}
