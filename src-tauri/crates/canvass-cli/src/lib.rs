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
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Check a database file: SQLite integrity and schema version. Changes nothing.
    Check {
        /// The database file, e.g. ~/.local/share/org.canvass.desktop/canvass.sqlite
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
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
            let _ = if code == 0 { out.write_all(text.as_bytes()) } else { err.write_all(text.as_bytes()) };
            return code;
        }
    };
    let result = match cli.command {
        Command::Db(DbCommand::Check { db }) => db_check(&db, out),
        Command::Interview(InterviewCommand::List { db, json }) => interview_list(&db, json, out),
        Command::Login { db, server, user } => sync_cmd::login(&db, &server, &user, out),
        Command::Sync { db, log } => sync_cmd::sync(&db, log, out),
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
    w(out, format!("schema version: {} (this Canvass knows up to {})", report.schema_version, report.supported_version))?;
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

fn interview_list(db: &Path, json: bool, out: &mut dyn Write) -> Result<u8, String> {
    // Listing must never create a database as a side effect of a typo in the path.
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    let app = App::open(db, Arc::new(SystemClock::new())).map_err(|e| describe(&e))?;
    let list = app.list_interviews().map_err(|e| describe(&e))?;
    let text = if json {
        serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
    } else {
        let mut s = format!("{:<38} {:<12} {:<24} {}\n", "ID", "STATUS", "STUDY", "PROGRESS");
        for i in &list {
            let progress = match i.position {
                Some(p) => format!("question {p} of {}", i.total),
                None => format!("{} answers", i.answered),
            };
            s.push_str(&format!("{:<38} {:<12} {:<24} {progress}\n", i.id, i.status, i.study_id));
        }
        s.push_str(&format!("{} interview(s)", list.len()));
        s
    };
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(0)
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
