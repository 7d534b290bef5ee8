//! The `canvass-server` binary: logging, then the command line in `canvass_server::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let password = std::env::var("CANVASS_PASSWORD").ok();
    let code = canvass_server::cli::run(
        std::env::args_os(),
        password,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}
