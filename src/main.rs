//! The `refnet` binary: parse the command line, set up logging, run the library.

use std::process::ExitCode;

use clap::Parser;
use refnet::cli::{Cli, Command, run, ui};

fn main() -> ExitCode {
    refnet::memory::tune();
    let cli = Cli::parse();
    if let Some(code) = refnet::cli::run_pdf_text(&cli) {
        return code;
    }
    let progress = ui::Progress::new(cli.color.for_stderr());
    // Services log what they do by default; a command line only warns.
    let service = matches!(cli.command, Command::Worker(_) | Command::Serve(_));
    ui::init_tracing(
        cli.verbose + u8::from(service),
        cli.quiet,
        ui::json_logs(),
        service,
        progress.clone(),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ui::error_line(&format!("refnet: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli, progress));
    // What is still running (a job left to the next run after Ctrl-C, a blocking read)
    // does not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    code
}
