//! Entry point of the `canvass` binary: runs the CLI on the process's arguments and exits with its code.

fn main() -> std::process::ExitCode {
    let code = canvass_cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::ExitCode::from(code)
}
