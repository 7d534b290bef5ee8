//! The `canvass-server` command line as a library, so tests drive it in-process: serve, accounts, export.
//!
//! `canvass-server --data DIR --listen ADDR` serves on SQLite (the default,
//! `DIR/canvass-server.sqlite`); `--database postgres://...` serves on PostgreSQL.
//! `user add NAME --role R [--team T]` takes the password from `CANVASS_PASSWORD`
//! so it never lands in shell history; `export interviews --format jsonl` writes to stdout;
//! `export data --study S --format F --out DIR` writes a study's tables as the devices do;
//! `questionnaire publish FILE [--team T]` checks a form and sends it to devices;
//! `cases import --study S --team T FILE` publishes a CATI case list to a team's devices.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::auth::{self, HashCost, Role};
use crate::db::{postgres::PgDb, sqlite::SqliteDb, Database, NewUser};
use crate::error::chain;
use crate::{app, AppState};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "canvass-server",
    version,
    about = "Canvass central server: receives finished work from devices"
)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on when serving.
    #[arg(long, default_value = "127.0.0.1:8080", global = true)]
    listen: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct StoreArgs {
    /// Data folder for the embedded SQLite database (the default backend).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// PostgreSQL URL, e.g. postgres://canvass@127.0.0.1/canvass (instead of --data).
    #[arg(long, global = true, conflicts_with = "data")]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the /v1 API (the same as giving no command).
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage device tokens.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Export received data.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Publish questionnaire versions to devices.
    #[command(subcommand)]
    Questionnaire(QuestionnaireCommand),
    /// Teams: who supervises and who interviews in each (a team is named when users are added).
    #[command(subcommand)]
    Team(TeamCommand),
    /// CATI case lists: publish a study's sample to a team's devices.
    #[command(subcommand)]
    Cases(CasesCommand),
}

#[derive(Subcommand)]
enum CasesCommand {
    /// Publish a case list (.csv, .xlsx) for a study to a team: its devices import it on their next
    /// sync, checking every row, and call its cases only under a lease from this server.
    Import {
        file: PathBuf,
        #[arg(long)]
        study: String,
        #[arg(long)]
        team: String,
        /// Zone for rows without one that their phone number does not settle.
        #[arg(long)]
        timezone: Option<String>,
    },
}

#[derive(Subcommand)]
enum TeamCommand {
    /// List teams as JSON lines: name, supervisors, interviewers (enabled accounts only).
    List,
}

#[derive(Subcommand)]
enum QuestionnaireCommand {
    /// Check a form file (XLSForm .xlsx/.xls or XForm .xml) and publish it as a new version:
    /// devices receive the file on their next sync and install it for offline interviewing.
    Publish {
        file: PathBuf,
        /// Only this team's devices receive it (default: every device).
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password comes from the CANVASS_PASSWORD environment variable.
    Add {
        name: String,
        /// admin, supervisor or interviewer.
        #[arg(long)]
        role: String,
        /// The team a supervisor leads or an interviewer works in.
        #[arg(long)]
        team: Option<String>,
        /// Succeed without changing anything when the name is taken (for scripts that provision
        /// accounts on every start); the existing account keeps its password, role and team.
        #[arg(long)]
        exists_ok: bool,
    },
    /// List accounts as JSON lines.
    List,
    /// Disable an account and revoke all its device tokens.
    Disable { name: String },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List device tokens as JSON lines, newest first.
    List,
    /// Revoke every token of a device, e.g. a lost laptop; its user stays enabled.
    Revoke { device_id: String },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every received interview, one JSON object per line, to stdout.
    Interviews {
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
    /// The session logs of every received interview revision, one row per event, to stdout:
    /// the devices' combined-log columns with the revision (`csv` or `jsonl`).
    Paradata {
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// A study's data as the devices' `canvass export data` writes it: the latest revision of
    /// each received interview, its status the review state (approved, rejected) or completed.
    Data {
        /// The study (questionnaire id) to export.
        #[arg(long, value_name = "ID")]
        study: String,
        /// csv, xlsx, sav, dta, jsonl or xml (one ODK submission per interview).
        #[arg(long, value_parser = ["csv", "xlsx", "sav", "dta", "jsonl", "xml"])]
        format: String,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write choice labels instead of codes (CSV, XLSX, JSON Lines).
        #[arg(long)]
        labels: bool,
        /// Language of labels, as named in the form, e.g. "Ukrainian (uk)".
        #[arg(long, value_name = "L")]
        language: Option<String>,
        /// Only interviews with this status: completed, approved or rejected (repeatable);
        /// completed and approved ones when absent.
        #[arg(long = "status", value_name = "S")]
        statuses: Vec<String>,
        /// Only interviews completed on or after this date (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Only interviews completed before this date (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
    },
}

/// Runs the command line `args` (program name first); `password` is the value of
/// `CANVASS_PASSWORD`, passed in so that tests need not touch the environment.
/// Returns the exit code: 0 success, 1 failure (message on `err`), 2 bad command line.
pub fn run<I, T>(args: I, password: Option<String>, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
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
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "canvass-server: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(execute(cli, password, out, err)) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "canvass-server: {e}");
            1
        }
    }
}

/// Opens the storage; only commands that write (`serve`, `user add`) may create a new SQLite file,
/// so a typo in `--data` for `export` or `user list` says so instead of reporting an empty server.
async fn open(args: &StoreArgs, create: bool) -> Result<Arc<dyn Database>, String> {
    let show = |e: crate::db::DbError| chain(&e);
    match (&args.database, &args.data) {
        (Some(url), _) => Ok(Arc::new(PgDb::open(url).await.map_err(show)?)),
        (None, Some(dir)) => {
            let file = dir.join(crate::db::sqlite::FILE_NAME);
            if !create && !file.exists() {
                return Err(format!(
                    "no canvass-server data in {} (expected {})",
                    dir.display(),
                    file.display()
                ));
            }
            Ok(Arc::new(SqliteDb::open_dir(dir).map_err(show)?))
        }
        (None, None) => {
            Err("say where the data lives: --data DIR (SQLite) or --database postgres://...".into())
        }
    }
}

async fn execute(
    cli: Cli,
    password: Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::User(UserCommand::Add { role, .. }) = &command {
        // Check the command line before creating anything.
        Role::parse(role).ok_or("--role must be admin, supervisor or interviewer")?;
    }
    let creates = matches!(
        command,
        Command::Serve | Command::User(UserCommand::Add { .. })
    );
    let db = open(&cli.store, creates).await?;
    let show = |e: crate::error::ApiError| chain(&e);
    match command {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(&cli.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!("canvass-server listening on http://{addr}");
            axum::serve(listener, app(AppState::new(db)))
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(|e| format!("server failed: {e}"))
        }
        Command::User(UserCommand::Add {
            name,
            role,
            team,
            exists_ok,
        }) => {
            let role =
                Role::parse(&role).ok_or("--role must be admin, supervisor or interviewer")?;
            if role == Role::Supervisor && team.is_none() {
                return Err("a supervisor needs --team".into());
            }
            let password = password
                .filter(|p| !p.is_empty())
                .ok_or("set the password in the CANVASS_PASSWORD environment variable")?;
            let password_hash = auth::hash_password(&password, HashCost::Default).map_err(show)?;
            let user = NewUser {
                name: name.clone(),
                role: role.as_str().into(),
                team,
                password_hash,
                created_at: crate::system_now_ms(),
            };
            match db.add_user(user).await {
                Ok(()) => writeln!(out, "added {name} ({})", role.as_str()),
                Err(crate::db::DbError::UserExists { .. }) if exists_ok => {
                    writeln!(out, "{name} already exists; left as it is")
                }
                Err(e) => return Err(chain(&e)),
            }
            .map_err(|e| e.to_string())?;
            Ok(())
        }
        Command::Team(TeamCommand::List) => {
            // Teams have no table of their own: they are the team names users carry.
            let mut teams: std::collections::BTreeMap<String, (Vec<String>, Vec<String>)> =
                std::collections::BTreeMap::new();
            for u in db.list_users().await.map_err(|e| chain(&e))? {
                let (Some(team), false) = (u.team.clone(), u.disabled) else {
                    continue;
                };
                let entry = teams.entry(team).or_default();
                match u.role.as_str() {
                    "supervisor" => entry.0.push(u.name),
                    "interviewer" => entry.1.push(u.name),
                    _ => {}
                }
            }
            for (name, (supervisors, interviewers)) in teams {
                let line = serde_json::json!({
                    "team": name,
                    "supervisors": supervisors,
                    "interviewers": interviewers,
                });
                writeln!(out, "{line}").map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::User(UserCommand::List) => {
            for u in db.list_users().await.map_err(|e| chain(&e))? {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&u).map_err(|e| e.to_string())?
                )
                .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::User(UserCommand::Disable { name }) => {
            let now = crate::system_now_ms();
            if db.disable_user(&name, now).await.map_err(|e| chain(&e))? {
                writeln!(out, "disabled {name}; its device tokens are revoked")
                    .map_err(|e| e.to_string())?;
                Ok(())
            } else {
                Err(format!("no user named {name}"))
            }
        }
        Command::Device(DeviceCommand::List) => {
            for d in db.devices().await.map_err(|e| chain(&e))? {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&d).map_err(|e| e.to_string())?
                )
                .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::Device(DeviceCommand::Revoke { device_id }) => {
            let n = db
                .revoke_device(&device_id, crate::system_now_ms())
                .await
                .map_err(|e| chain(&e))?;
            if n == 0 {
                return Err(format!("no device {device_id} holds a live token"));
            }
            writeln!(out, "revoked {n} token(s) of device {device_id}")
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Command::Questionnaire(QuestionnaireCommand::Publish { file, team }) => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // The same importer the devices run: a form they would refuse is never published.
            let published = crate::forms::compile(&bytes, &name).map_err(|e| e.to_string())?;
            let version = published.version.clone();
            let form_id = published.questionnaire_id.clone();
            let text = serde_json::to_string(&published).map_err(|e| e.to_string())?;
            let seq = db
                .publish_change("questionnaire_version", team.as_deref(), &text)
                .await
                .map_err(|e| chain(&e))?;
            writeln!(out, "published {form_id} version {version} (change {seq})")
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Command::Cases(CasesCommand::Import {
            file,
            study,
            team,
            timezone,
        }) => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let list = canvass_protocol::CaseList {
                id: String::new(),
                study_id: study.clone(),
                team: None,
                file_name: name.clone(),
                source_base64: base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    &bytes,
                ),
                default_timezone: timezone,
            };
            let seq = crate::cases::publish_case_list_to(db.as_ref(), list, Some(team.clone()))
                .await
                .map_err(|e| format!("{name} was not published: {e}"))?;
            writeln!(
                out,
                "published case list {name} for study {study} to team {team} (change {seq})"
            )
            .map_err(|e| e.to_string())?;
            Ok(())
        }
        Command::Export(ExportCommand::Interviews { format }) => {
            if format != "jsonl" {
                return Err(format!(
                    "unknown format {format:?}; only jsonl is supported"
                ));
            }
            let mut buffered = std::io::BufWriter::new(out);
            let n = crate::export_jsonl(db.as_ref(), &mut buffered)
                .await
                .map_err(show)?;
            buffered.flush().map_err(|e| e.to_string())?;
            writeln!(err, "exported {n} interviews").map_err(|e| e.to_string())?;
            Ok(())
        }
        Command::Export(ExportCommand::Paradata { format }) => {
            let mut buffered = std::io::BufWriter::new(out);
            let n = crate::export::export_paradata(db.as_ref(), &format, &mut buffered)
                .await
                .map_err(show)?;
            buffered.flush().map_err(|e| e.to_string())?;
            writeln!(err, "exported {n} session-log events").map_err(|e| e.to_string())?;
            Ok(())
        }
        Command::Export(ExportCommand::Data {
            study,
            format,
            out: dir,
            labels,
            language,
            statuses,
            from,
            to,
        }) => {
            // clap has already limited the value to the names parse() knows.
            let format = canvass_export::DataFormat::parse(&format)
                .ok_or_else(|| format!("unknown format {format}"))?;
            let mut options = canvass_export::DataExportOptions::new(&study, format);
            options.labels = labels;
            options.language = language;
            options.statuses = statuses;
            options.from_ms = from
                .as_deref()
                .map(|d| canvass_export::day_start_ms("from", d))
                .transpose()?;
            options.to_ms = to
                .as_deref()
                .map(|d| canvass_export::day_start_ms("to", d))
                .transpose()?;
            let summary = crate::export_data::export_data(db, options, &dir)
                .await
                .map_err(show)?;
            write!(out, "{}", summary.report(&dir)).map_err(|e| e.to_string())?;
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C, or on SIGTERM (what systemd and container runtimes send), so in-flight batches finish.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down after in-flight requests");
}
