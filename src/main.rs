//! The `refnet` binary: parse the command line, set up logging, run the library.

use std::process::ExitCode;

use clap::Parser;
use refnet::cli::{Cli, Command, run, ui};

fn main() -> ExitCode {
    few_malloc_arenas();
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

/// Caps glibc's malloc arenas at two, unless `MALLOC_ARENA_MAX` says otherwise. Its
/// default, eight per core, gives each thread that ever allocates an arena of its own, and
/// memory freed in one is reused only there: a 100,000-paper render (built on one thread,
/// written on another, the runtime's and the blocking pool's besides) peaked at 461–481
/// MiB with the default against 398–417 MiB with two arenas (BENCHMARKS.md, Render). Must
/// run before the first thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt has no safe wrapper")]
fn few_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn few_malloc_arenas() {}
