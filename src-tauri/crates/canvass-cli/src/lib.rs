//! The `canvass` command line: argument parsing and output, over `canvass-app` use cases.
//!
//! It is a peer of the desktop shell: both are thin glue over `canvass-app`, so
//! everything the CLI reports is what the app would do. [`run`] takes its output
//! streams as parameters so that tests drive it in-process.
//!
//! Exit codes: 0 success, 1 the check or action failed (message on stderr),
//! 2 the command line was wrong.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use canvass_app::{App, SystemClock};
use clap::{Parser, Subcommand};

mod capi_cmd;
mod cati_cmd;
mod export_cmd;
mod review_cmd;
mod sync_cmd;

/// Canvass: offline-first CATI/CAPI interviewing, from the command line.
#[derive(Debug, Parser)]
#[command(name = "canvass", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect and maintain the local interview database.
    #[command(subcommand)]
    Db(DbCommand),
    /// List and inspect interviews.
    #[command(subcommand)]
    Interview(InterviewCommand),
    /// Sign in to a canvass-server from this device (password from CANVASS_PASSWORD).
    Login {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// e.g. https://canvass.example.org or http://127.0.0.1:8080
        #[arg(long, value_name = "URL")]
        server: String,
        #[arg(long, value_name = "NAME")]
        user: String,
    },
    /// Run one sync pass: push finished work, pull changes; prints a JSON summary.
    Sync {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Print the latest sync passes instead of syncing.
        #[arg(long)]
        log: bool,
    },
    /// Check and replay questionnaires (XLSForm .xlsx/.xls or XForm .xml) before fieldwork.
    #[command(subcommand)]
    Form(FormCommand),
    /// Export data and session logs for supervisors and analysts.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Case lists (samples) for telephone interviewing.
    #[command(subcommand)]
    Cases(cati_cmd::CasesCommand),
    /// Telephone interviewing: the next case to call, call outcomes, AAPOR reports.
    #[command(subcommand)]
    Cati(cati_cmd::CatiCommand),
    /// CAPI assignments: import a list, show the dashboard.
    #[command(subcommand)]
    Assignments(capi_cmd::AssignmentsCommand),
    /// CAPI visits without an interview.
    #[command(subcommand)]
    Visit(capi_cmd::VisitCommand),
    /// The supervisor's review desk: list, show, approve or reject the team's interviews.
    #[command(subcommand)]
    Review(review_cmd::ReviewCommand),
    /// Dashboards: completes, response rates, interview length, NPS, CSAT and CES.
    #[command(subcommand)]
    Report(export_cmd::ReportCommand),
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Export session logs (paradata): ODK audit.csv per interview, one CSV or JSON Lines file, or Survey Solutions paradata.tab.
    Paradata {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// audit-csv, csv, jsonl or tab.
        #[arg(long, value_parser = ["audit-csv", "csv", "jsonl", "tab"])]
        format: String,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only these interviews (repeatable); all of them when absent.
        #[arg(long = "interview", value_name = "ID")]
        interviews: Vec<String>,
    },
    /// Export the call history (one row per call attempt) as CSV or XLSX.
    Calls {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long, value_parser = ["csv", "xlsx"])]
        format: String,
        /// The folder to write calls.csv or calls.xlsx into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only this study's calls.
        #[arg(long, value_name = "ID")]
        study: Option<String>,
        /// Only the calls of this case or interview (repeatable); every call when absent.
        #[arg(long = "id", value_name = "ID")]
        ids: Vec<String>,
    },
    /// Export a study's interviews: one table per level (repeats with parent_key/key) as CSV, XLSX, SPSS .sav, Stata .dta or JSON Lines.
    Data(export_cmd::DataArgs),
}

#[derive(Debug, Subcommand)]
enum FormCommand {
    /// Import a form and list every problem with its sheet, row and column (or XML element). Exit 1 on errors.
    Check {
        /// The form file.
        form: PathBuf,
    },
    /// Install a form version into a database, so interviews can run on it; drafts keep their own version.
    Install {
        /// The database file (created if missing).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The form file.
        form: PathBuf,
    },
    /// Print a random valid walk through the form as a steps file (test data for replay and interview runs).
    Fill {
        /// The form file.
        form: PathBuf,
        /// The seed: the same form and seed always give the same walk.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The frozen time for now() and today() while walking.
        #[arg(
            long,
            value_name = "ISO-8601",
            default_value = "2025-01-15T10:00:00.000Z"
        )]
        now: String,
    },
    /// Apply a steps file and print the state of every node after loading and after each step (JSON).
    Replay {
        /// The form file.
        form: PathBuf,
        /// The steps file: {"steps": [{"set": PATH, "value": V}, {"add_repeat": PATH}, ...]}.
        steps: PathBuf,
        /// The frozen time for now(), today() and start, e.g. 2025-01-15T10:00:00.000Z.
        #[arg(
            long,
            value_name = "ISO-8601",
            default_value = "2025-01-15T10:00:00.000Z"
        )]
        now: String,
        /// Write the compact delta encoding: per step only the rows that changed, the paths removed and, when paths changed, their order.
        #[arg(long)]
        delta: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Check a database file: SQLite integrity and schema version. Changes nothing.
    Check {
        /// The database file, e.g. ~/.local/share/org.canvass.desktop/canvass.sqlite
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Copy the database, as of now, to a backup file (safe while the app runs).
    Backup {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Where to write the backup.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace the database with a backup after checking the backup; the current file is kept in backups/.
    Restore {
        /// The database file to replace. Close Canvass first.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The backup to restore.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum InterviewCommand {
    /// List every interview in a database, most recent first.
    List {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Print JSON (an array of interview objects) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run one scripted interview through the real store: prints `saved <id> <path>` after each durable save.
    Run {
        /// The database file (created if missing).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The form file; installed first if this version is not installed yet.
        #[arg(long, value_name = "FORM")]
        form: PathBuf,
        /// The steps file, in the replay format: {"steps": [{"set": PATH, "value": V}, {"add_repeat": PATH}]}.
        #[arg(long, value_name = "FILE")]
        steps: PathBuf,
        /// Finalize the interview after the steps (checks every question, as ODK's finalize does).
        #[arg(long)]
        finish: bool,
    },
    /// Create N random, valid, completed interviews with paradata (test data and load tests).
    Fill {
        /// The database file (created if missing).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The form file; installed first if this version is not installed yet.
        #[arg(long, value_name = "FORM")]
        form: PathBuf,
        /// How many interviews.
        #[arg(long, default_value_t = 1)]
        count: u64,
        /// Interview k uses the walk of seed + k, so a run is reproducible.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Show one interview: status, questionnaire version and every stored answer.
    Show {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The interview id.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the CLI on `args` (including the program name) and returns the exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version requests are successes printed to stdout.
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = e.render().to_string();
            let _ = if code == 0 {
                out.write_all(text.as_bytes())
            } else {
                err.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let result = match cli.command {
        Command::Db(DbCommand::Check { db }) => db_check(&db, out),
        Command::Db(DbCommand::Backup { db, out: dest }) => db_backup(&db, &dest, out),
        Command::Db(DbCommand::Restore { db, from }) => db_restore(&db, &from, out),
        Command::Interview(InterviewCommand::List { db, json }) => interview_list(&db, json, out),
        Command::Interview(InterviewCommand::Show { db, id, json }) => {
            interview_show(&db, &id, json, out)
        }
        Command::Export(ExportCommand::Paradata {
            db,
            format,
            out: dir,
            interviews,
        }) => export_paradata(&db, &format, &dir, &interviews, out),
        Command::Export(ExportCommand::Data(args)) => export_cmd::export_data(&args, out),
        Command::Form(FormCommand::Check { form }) => form_check(&form, out),
        Command::Form(FormCommand::Install { db, form }) => form_install(&db, &form, out),
        Command::Interview(InterviewCommand::Run {
            db,
            form,
            steps,
            finish,
        }) => interview_run(&db, &form, &steps, finish, out),
        Command::Interview(InterviewCommand::Fill {
            db,
            form,
            count,
            seed,
        }) => interview_fill(&db, &form, count, seed, out),
        Command::Form(FormCommand::Replay {
            form,
            steps,
            now,
            delta,
        }) => form_replay(&form, &steps, &now, delta, out),
        Command::Form(FormCommand::Fill { form, seed, now }) => form_fill(&form, seed, &now, out),
        Command::Login { db, server, user } => sync_cmd::login(&db, &server, &user, out),
        Command::Sync { db, log } => sync_cmd::sync(&db, log, out),
        Command::Cases(cmd) => cati_cmd::cases(cmd, out),
        Command::Cati(cmd) => cati_cmd::cati(cmd, out),
        Command::Export(ExportCommand::Calls {
            db,
            format,
            out: dir,
            study,
            ids,
        }) => {
            let scope = canvass_app::cati::export::CallScope { study, ids };
            cati_cmd::export_calls(&db, &format, &dir, &scope, out)
        }
        Command::Assignments(cmd) => capi_cmd::assignments(cmd, out),
        Command::Visit(cmd) => capi_cmd::visit(cmd, out),
        Command::Review(cmd) => review_cmd::review(cmd, out),
        Command::Report(cmd) => export_cmd::report(cmd, out),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "canvass: {message}");
            1
        }
    }
}

fn db_check(db: &Path, out: &mut dyn Write) -> Result<u8, String> {
    let report = canvass_app::check_database(db).map_err(|e| describe(&e))?;
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    w(out, format!("database: {}", report.path.display()))?;
    w(
        out,
        format!(
            "schema version: {} (this Canvass knows up to {})",
            report.schema_version, report.supported_version
        ),
    )?;
    if report.is_healthy() {
        w(out, "integrity: ok".into())?;
        Ok(0)
    } else {
        w(out, "integrity: DAMAGED".into())?;
        for line in &report.integrity {
            w(out, format!("  {line}"))?;
        }
        Ok(1)
    }
}

fn db_backup(db: &Path, dest: &Path, out: &mut dyn Write) -> Result<u8, String> {
    canvass_app::backup_database(db, dest).map_err(|e| describe(&e))?;
    writeln!(out, "backed up {} to {}", db.display(), dest.display()).map_err(|e| e.to_string())?;
    Ok(0)
}

fn db_restore(db: &Path, from: &Path, out: &mut dyn Write) -> Result<u8, String> {
    let report =
        canvass_app::restore_database(db, from, &SystemClock::new()).map_err(|e| describe(&e))?;
    writeln!(
        out,
        "restored {} from {} (schema version {}); the replaced file is in {}",
        db.display(),
        from.display(),
        report.schema_version,
        canvass_app::backup_dir(db).display()
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

/// Opens an existing database; a command must never create one as a side effect of a typo in the path.
fn open_existing(db: &Path) -> Result<App, String> {
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    App::open(db, Arc::new(SystemClock::new())).map_err(|e| describe(&e))
}

fn interview_show(db: &Path, id: &str, json: bool, out: &mut dyn Write) -> Result<u8, String> {
    let app = open_existing(db)?;
    let detail = app.interview_detail(id).map_err(|e| describe(&e))?;
    let text = if json {
        serde_json::to_string_pretty(&detail).map_err(|e| e.to_string())?
    } else {
        let mut s = format!(
            "interview {}
status: {}
questionnaire: {} version {}
",
            detail.id, detail.status, detail.questionnaire_id, detail.questionnaire_version
        );
        for (path, value) in &detail.answers {
            s.push_str(&format!("{path} = {value}\n"));
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}

fn interview_list(db: &Path, json: bool, out: &mut dyn Write) -> Result<u8, String> {
    let app = open_existing(db)?;
    let list = app.list_interviews().map_err(|e| describe(&e))?;
    let text = if json {
        serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
    } else {
        let mut s = format!(
            "{:<38} {:<12} {:<24} {}\n",
            "ID", "STATUS", "STUDY", "PROGRESS"
        );
        for i in &list {
            let progress = match i.position {
                Some(p) => format!("question {p} of {}", i.total),
                None => format!("{} answers", i.answered),
            };
            s.push_str(&format!(
                "{:<38} {:<12} {:<24} {progress}\n",
                i.id, i.status, i.study_id
            ));
        }
        s.push_str(&format!("{} interview(s)", list.len()));
        s
    };
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}

fn export_paradata(
    db: &Path,
    format: &str,
    dir: &Path,
    ids: &[String],
    out: &mut dyn Write,
) -> Result<u8, String> {
    // clap has already limited the value to the four names parse() knows.
    let format = canvass_app::export::paradata::ParadataFormat::parse(format)
        .ok_or_else(|| format!("unknown format {format}"))?;
    let app = open_existing(db)?;
    let selection = (!ids.is_empty()).then_some(ids);
    let summary = canvass_app::export::export_paradata(&app, format, dir, selection)
        .map_err(|e| describe(&e))?;
    writeln!(
        out,
        "exported {} events of {} interviews to {} file(s) in {}",
        summary.events,
        summary.interviews,
        summary.files.len(),
        dir.display()
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

/// Reads and imports a form file.
fn import(form: &Path) -> Result<canvass_form::Import, String> {
    let bytes = std::fs::read(form).map_err(|e| format!("cannot read {}: {e}", form.display()))?;
    Ok(canvass_form::import_form(&bytes, &form.to_string_lossy()))
}

fn form_check(form: &Path, out: &mut dyn Write) -> Result<u8, String> {
    let imported = import(form)?;
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    for d in &imported.diagnostics {
        w(out, format!("{}: {d}", form.display()))?;
    }
    let errors = imported.errors().count();
    let warnings = imported.diagnostics.len() - errors;
    if let Some(q) = &imported.form {
        let questions = q
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, canvass_form::model::NodeKind::Question(_)))
            .count();
        let version = q.version.as_deref().unwrap_or("(none)");
        w(
            out,
            format!(
                "{}: form `{}` version `{version}`: {questions} questions",
                form.display(),
                q.id
            ),
        )?;
    }
    w(out, format!("{errors} error(s), {warnings} warning(s)"))?;
    Ok(if errors > 0 { 1 } else { 0 })
}

/// Opens (creating if needed) the database and installs the form file into it.
fn open_with_form(
    db: &Path,
    form: &Path,
) -> Result<(App, canvass_app::StudyView, Vec<u8>), String> {
    let bytes = std::fs::read(form).map_err(|e| format!("cannot read {}: {e}", form.display()))?;
    let app = App::open(db, Arc::new(SystemClock::new())).map_err(|e| describe(&e))?;
    let study = app
        .install_form(&bytes, &form.to_string_lossy())
        .map_err(|e| describe(&e))?;
    Ok((app, study, bytes))
}

fn form_install(db: &Path, form: &Path, out: &mut dyn Write) -> Result<u8, String> {
    let (_, study, _) = open_with_form(db, form)?;
    writeln!(
        out,
        "installed {} version {} ({} questions)",
        study.id, study.version, study.question_count
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

/// Applies replay-format steps to an interview; returns whether every step applied.
fn apply_steps(
    app: &App,
    id: &str,
    steps: &[serde_json::Value],
    out: &mut dyn Write,
) -> Result<bool, String> {
    let mut all_ok = true;
    for (n, step) in steps.iter().enumerate() {
        let line = if let Some(path) = step.get("set").and_then(|p| p.as_str()) {
            let value = step.get("value").and_then(|v| v.as_str()).unwrap_or("");
            match app.record_answer(id, path, value) {
                // The line is printed only after record_answer returned, i.e. after the commit.
                Ok(_) => format!("saved {id} {path}"),
                Err(e) => {
                    all_ok = false;
                    format!("refused step {n} {path}: {}", describe(&e))
                }
            }
        } else if let Some(path) = step.get("add_repeat").and_then(|p| p.as_str()) {
            match app.add_repeat(id, path) {
                Ok(_) => format!("added {id} {path}"),
                Err(e) => {
                    all_ok = false;
                    format!("refused step {n} {path}: {}", describe(&e))
                }
            }
        } else {
            all_ok = false;
            format!("skipped step {n}: only set and add_repeat steps run in an interview so far: {step}")
        };
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(all_ok)
}

/// The steps of a steps file: `{"steps": [...]}` or a bare array.
fn read_steps(path: &Path) -> Result<Vec<serde_json::Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    match v.get("steps").unwrap_or(&v) {
        serde_json::Value::Array(a) => Ok(a.clone()),
        _ => Err(format!("{} has no steps array", path.display())),
    }
}

fn interview_run(
    db: &Path,
    form: &Path,
    steps: &Path,
    finish: bool,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let steps = read_steps(steps)?;
    let (app, study, _) = open_with_form(db, form)?;
    let id = app
        .start_interview(&study.id)
        .map_err(|e| describe(&e))?
        .interview_id;
    writeln!(out, "started {id} {} version {}", study.id, study.version)
        .map_err(|e| e.to_string())?;
    let all_ok = apply_steps(&app, &id, &steps, out)?;
    if finish {
        app.complete_interview(&id)
            .map_err(|e| format!("interview {id} was not finalized: {}", describe(&e)))?;
        writeln!(out, "completed {id}").map_err(|e| e.to_string())?;
    }
    Ok(if all_ok { 0 } else { 1 })
}

fn interview_fill(
    db: &Path,
    form: &Path,
    count: u64,
    seed: u64,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let (app, study, bytes) = open_with_form(db, form)?;
    let questionnaire = canvass_form::import_form(&bytes, &form.to_string_lossy())
        .form
        .ok_or_else(|| format!("{} could not be read as a form", form.display()))?;
    let now = chrono::Utc::now().fixed_offset();
    let mut sink = std::io::sink();
    for k in 0..count {
        let ctx = canvass_form::expr::Context {
            now,
            random_seed: seed + k,
            language: None,
        };
        let walk = canvass_form::fill::random_walk(&questionnaire, seed + k, ctx);
        let steps = walk["steps"].as_array().cloned().unwrap_or_default();
        let id = app
            .start_interview(&study.id)
            .map_err(|e| describe(&e))?
            .interview_id;
        apply_steps(&app, &id, &steps, &mut sink)?;
        app.complete_interview(&id).map_err(|e| {
            format!(
                "interview {id} (seed {}) was not finalized: {}",
                seed + k,
                describe(&e)
            )
        })?;
    }
    writeln!(
        out,
        "filled {count} completed interview(s) of {} version {}",
        study.id, study.version
    )
    .map_err(|e| e.to_string())?;
    Ok(0)
}

fn form_fill(form: &Path, seed: u64, now: &str, out: &mut dyn Write) -> Result<u8, String> {
    let now = chrono::DateTime::parse_from_rfc3339(now)
        .map_err(|e| format!("--now `{now}` is not an ISO-8601 time: {e}"))?;
    let imported = import(form)?;
    if let Some(first) = imported.errors().next() {
        return Err(format!(
            "{} does not import cleanly ({first}); run canvass form check",
            form.display()
        ));
    }
    let Some(questionnaire) = &imported.form else {
        return Err(format!("{} could not be read as a form", form.display()));
    };
    let ctx = canvass_form::expr::Context {
        now,
        random_seed: seed,
        language: None,
    };
    let walk = canvass_form::fill::random_walk(questionnaire, seed, ctx);
    let text = serde_json::to_string_pretty(&walk).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
}

fn form_replay(
    form: &Path,
    steps: &Path,
    now: &str,
    delta: bool,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let now = chrono::DateTime::parse_from_rfc3339(now)
        .map_err(|e| format!("--now `{now}` is not an ISO-8601 time: {e}"))?;
    let imported = import(form)?;
    let steps = std::fs::read_to_string(steps)
        .map_err(|e| format!("cannot read {}: {e}", steps.display()))?;
    // The replay's randomness is fixed, like its clock, so two runs print the same trace.
    let ctx = canvass_form::expr::Context {
        now,
        random_seed: 0,
        language: None,
    };
    let trace = canvass_form::replay::replay(&imported, &form.to_string_lossy(), &steps, ctx)
        .map_err(|e| describe(&e))?;
    let trace = if delta {
        canvass_form::replay::delta::encode(&trace)
    } else {
        trace
    };
    let text = serde_json::to_string_pretty(&trace).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(if trace["load"]["ok"] == serde_json::Value::Bool(true) {
        0
    } else {
        1
    })
}

/// The error and its causes on one line, so a user sees "cannot open X: unable to open database file".
fn describe(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
