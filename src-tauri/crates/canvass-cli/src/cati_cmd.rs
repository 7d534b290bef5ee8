//! `canvass cases import`, `canvass cati next|record|report` and `canvass export calls`: telephone interviewing without a window.
//!
//! `--now` freezes the clock at an ISO-8601 instant, so a study's call rules can
//! be scripted and tested ("at 20:55 in Kyiv, who is called next?").

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use canvass_app::cati::{AppointmentRequest, RecordCall, StudyReport};
use canvass_app::{App, Clock, FixedClock, SystemClock};
use clap::Subcommand;

use crate::describe;

#[derive(Debug, Subcommand)]
pub(crate) enum CasesCommand {
    /// Import a case list (CSV or XLSX: id, phone, phone2..., name, timezone, priority, then preload columns). Any bad row imports nothing.
    Import {
        /// The database file (created if missing).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The study (questionnaire id) the cases belong to.
        #[arg(long, value_name = "ID")]
        study: String,
        /// IANA time zone for rows without one, e.g. Europe/Kyiv.
        #[arg(long, value_name = "ZONE")]
        timezone: Option<String>,
        /// The case list, .csv or .xlsx.
        cases: PathBuf,
    },
    /// Case lists and outcome tables the server sent, with what became of each:
    /// imported, or refused with every problem (row and column).
    Received {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatiCommand {
    /// Choose the next case for an interviewer; prints it as JSON, or why none is callable.
    Next {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long, value_name = "ID")]
        interviewer: String,
        /// Decide as of this instant instead of now, e.g. 2026-11-23T18:55:00Z.
        #[arg(long, value_name = "ISO-8601")]
        now: Option<String>,
    },
    /// Record a call outcome (AAPOR code such as 3.13, or a short name such as no_answer); prints JSON.
    Record {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long = "case", value_name = "ID")]
        case_id: String,
        /// The study, when the case id is used in several.
        #[arg(long, value_name = "ID")]
        study: Option<String>,
        #[arg(long, value_name = "CODE")]
        outcome: String,
        #[arg(long, value_name = "ID", default_value = "cli")]
        interviewer: String,
        /// Book an appointment at this instant.
        #[arg(long, value_name = "ISO-8601")]
        appointment: Option<String>,
        /// Make the appointment hard (only this interviewer takes it).
        #[arg(long)]
        hard: bool,
        /// Which phone number was dialled (1 = the first); default: the one the scheduler chose.
        #[arg(long, value_name = "N")]
        phone: Option<usize>,
        #[arg(long, default_value = "")]
        note: String,
        /// Record as of this instant instead of now.
        #[arg(long, value_name = "ISO-8601")]
        now: Option<String>,
    },
    /// AAPOR rates (RR1-6, COOP1-4, REF1-3, CON1-3) per study and interviewer, attempts per complete, minutes per case.
    Report {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long, value_name = "ID")]
        study: Option<String>,
        /// The eligible share of unknown-eligibility cases; default: estimated from known cases.
        #[arg(long)]
        e: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

fn parse_instant(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| format!("`{s}` is not an ISO-8601 instant such as 2026-11-23T18:55:00Z"))
}

fn open(db: &Path, now: Option<&str>, create: bool) -> Result<App, String> {
    if !create && !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    let clock: Arc<dyn Clock> = match now {
        Some(t) => Arc::new(FixedClock::new(parse_instant(t)?)),
        None => Arc::new(SystemClock::new()),
    };
    App::open(db, clock).map_err(|e| describe(&e))
}

fn json_line(out: &mut dyn Write, v: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

pub(crate) fn cases(cmd: CasesCommand, out: &mut dyn Write) -> Result<u8, String> {
    match cmd {
        CasesCommand::Import {
            db,
            study,
            timezone,
            cases,
        } => {
            let bytes = std::fs::read(&cases)
                .map_err(|e| format!("cannot read {}: {e}", cases.display()))?;
            let app = open(&db, None, true)?;
            let s = app
                .import_cases(
                    &study,
                    &bytes,
                    &cases.to_string_lossy(),
                    timezone.as_deref(),
                )
                .map_err(|e| describe(&e))?;
            writeln!(
                out,
                "imported {} cases into study {} (preload: {})",
                s.cases,
                s.study_id,
                if s.preload_columns.is_empty() {
                    "none".to_owned()
                } else {
                    s.preload_columns.join(", ")
                }
            )
            .map_err(|e| e.to_string())?;
            Ok(0)
        }
        CasesCommand::Received { db } => {
            let app = open(&db, None, false)?;
            for r in app.cati_received().map_err(|e| describe(&e))? {
                let why = r.problem.map(|p| format!(": {p}")).unwrap_or_default();
                writeln!(
                    out,
                    "{} {} for study {} ({}){why}",
                    r.state, r.kind, r.study_id, r.id
                )
                .map_err(|e| e.to_string())?;
            }
            Ok(0)
        }
    }
}

pub(crate) fn cati(cmd: CatiCommand, out: &mut dyn Write) -> Result<u8, String> {
    match cmd {
        CatiCommand::Next {
            db,
            interviewer,
            now,
        } => {
            let app = open(&db, now.as_deref(), false)?;
            let next = app.cati_next(&interviewer).map_err(|e| describe(&e))?;
            json_line(out, &next)?;
            Ok(0)
        }
        CatiCommand::Record {
            db,
            case_id,
            study,
            outcome,
            interviewer,
            appointment,
            hard,
            phone,
            note,
            now,
        } => {
            let appointment =
                appointment
                    .as_deref()
                    .map(parse_instant)
                    .transpose()?
                    .map(|starts_at| AppointmentRequest {
                        starts_at,
                        ends_at: None,
                        hard,
                    });
            let phone_index = match phone {
                Some(0) => return Err("--phone counts from 1".into()),
                p => p.map(|n| n - 1),
            };
            let app = open(&db, now.as_deref(), false)?;
            let recorded = app
                .cati_record(&RecordCall {
                    study_id: study,
                    case_id,
                    outcome,
                    interviewer,
                    started_at: None,
                    phone_index,
                    note,
                    appointment,
                    interview_id: None,
                })
                .map_err(|e| describe(&e))?;
            json_line(out, &recorded)?;
            Ok(0)
        }
        CatiCommand::Report { db, study, e, json } => {
            if let Some(e) = e {
                if !(0.0..=1.0).contains(&e) {
                    return Err(format!("--e must be between 0 and 1, not {e}"));
                }
            }
            let app = open(&db, None, false)?;
            let reports = app
                .cati_report(study.as_deref(), e)
                .map_err(|e| describe(&e))?;
            if json {
                json_line(out, &reports)?;
            } else {
                let text = reports
                    .iter()
                    .map(report_text)
                    .collect::<Vec<_>>()
                    .join("\n");
                writeln!(out, "{text}").map_err(|e| e.to_string())?;
            }
            Ok(0)
        }
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{:.1}%", x * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.2}"))
}

fn report_text(r: &StudyReport) -> String {
    let mut s = format!("study {}\n", r.study_id);
    let mut rows = vec![("all".to_owned(), &r.overall)];
    rows.extend(r.by_interviewer.iter().map(|(k, v)| (k.clone(), v)));
    s.push_str(&format!(
        "{:<12} {:>5} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}\n",
        "WHO", "CASES", "I", "P", "R", "NC", "O", "UH", "UO", "NE", "RR1", "RR2", "RR3", "RR4", "RR5", "RR6",
        "COOP1", "COOP3", "REF1", "CON1", "CON3", "ATT/CMP", "MIN/CASE"
    ));
    for (who, t) in rows {
        let c = &t.counts;
        let q = &t.rates;
        s.push_str(&format!(
            "{:<12} {:>5} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}\n",
            who, t.cases, c.i, c.p, c.r, c.nc, c.o, c.uh, c.uo, c.ne,
            pct(q.rr1), pct(q.rr2), pct(q.rr3), pct(q.rr4), pct(q.rr5), pct(q.rr6),
            pct(q.coop1), pct(q.coop3), pct(q.ref1), pct(q.con1), pct(q.con3),
            num(t.attempts_per_complete), num(t.minutes_per_case)
        ));
    }
    s.push_str(&format!("e = {:.3}; dispositions:", r.overall.e));
    for (code, n) in &r.dispositions {
        s.push_str(&format!(" {code}={n}"));
    }
    s
}

/// `canvass export calls`: the call history, one row per attempt.
pub(crate) fn export_calls(
    db: &Path,
    format: &str,
    dir: &Path,
    scope: &canvass_app::cati::export::CallScope,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let app = open(db, None, false)?;
    let done = app
        .export_calls(format == "xlsx", dir, scope)
        .map_err(|e| describe(&e))?;
    writeln!(
        out,
        "exported {} calls to {}",
        done.rows,
        done.file.display()
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}
