//! The `canvass-server` binary: serve, manage accounts, export; thin glue over the library.
//!
//! `canvass-server --data DIR --listen ADDR` serves on SQLite (the default,
//! `DIR/canvass-server.sqlite`); `--database postgres://...` serves on PostgreSQL.
//! `user add NAME --role R [--team T]` reads the password from `CANVASS_PASSWORD`
//! so it never lands in shell history; `export interviews --format jsonl` writes to stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use canvass_server::auth::{self, HashCost, Role};
use canvass_server::db::{postgres::PgDb, sqlite::SqliteDb, Database, NewUser};
use canvass_server::{app, AppState};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "canvass-server", version, about = "Canvass central server: receives finished work from devices")]
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
    /// Export received data.
    #[command(subcommand)]
    Export(ExportCommand),
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
    },
    /// List accounts as JSON lines.
    List,
    /// Disable an account and revoke all its device tokens.
    Disable { name: String },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every received interview, one JSON object per line, to stdout.
    Interviews {
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("canvass-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("canvass-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn open(args: &StoreArgs) -> Result<Arc<dyn Database>, String> {
    let show = |e: canvass_server::db::DbError| canvass_server::error::chain(&e);
    match (&args.database, &args.data) {
        (Some(url), _) => Ok(Arc::new(PgDb::open(url).await.map_err(show)?)),
        (None, Some(dir)) => Ok(Arc::new(SqliteDb::open_dir(dir).map_err(show)?)),
        (None, None) => Err("say where the data lives: --data DIR (SQLite) or --database postgres://...".into()),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let db = open(&cli.store).await?;
    let show = |e: canvass_server::error::ApiError| canvass_server::error::chain(&e);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(&cli.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!("canvass-server listening on http://{addr}");
            axum::serve(listener, app(AppState::new(db)))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| format!("server failed: {e}"))
        }
        Command::User(UserCommand::Add { name, role, team }) => {
            let role = Role::parse(&role).ok_or("--role must be admin, supervisor or interviewer")?;
            if role == Role::Supervisor && team.is_none() {
                return Err("a supervisor needs --team".into());
            }
            let password = std::env::var("CANVASS_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
                .ok_or("set the password in the CANVASS_PASSWORD environment variable")?;
            let password_hash = auth::hash_password(&password, HashCost::Default).map_err(show)?;
            let user = NewUser {
                name: name.clone(),
                role: role.as_str().into(),
                team,
                password_hash,
                created_at: canvass_server::system_now_ms(),
            };
            db.add_user(user).await.map_err(|e| canvass_server::error::chain(&e))?;
            println!("added {name} ({})", role.as_str());
            Ok(())
        }
        Command::User(UserCommand::List) => {
            for u in db.list_users().await.map_err(|e| canvass_server::error::chain(&e))? {
                println!("{}", serde_json::to_string(&u).map_err(|e| e.to_string())?);
            }
            Ok(())
        }
        Command::User(UserCommand::Disable { name }) => {
            let now = canvass_server::system_now_ms();
            if db.disable_user(&name, now).await.map_err(|e| canvass_server::error::chain(&e))? {
                println!("disabled {name}; its device tokens are revoked");
                Ok(())
            } else {
                Err(format!("no user named {name}"))
            }
        }
        Command::Export(ExportCommand::Interviews { format }) => {
            if format != "jsonl" {
                return Err(format!("unknown format {format:?}; only jsonl is supported"));
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = canvass_server::export_jsonl(db.as_ref(), &mut out).await.map_err(show)?;
            std::io::Write::flush(&mut out).map_err(|e| e.to_string())?;
            eprintln!("exported {n} interviews");
            Ok(())
        }
    }
}
