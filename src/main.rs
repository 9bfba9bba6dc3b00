//! The `refnet` binary: parse the command line, set up logging, run the library.

use std::process::ExitCode;

use clap::Parser;
use refnet::cli::{Cli, Command, run, ui};

fn main() -> ExitCode {
    fewer_malloc_arenas();
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

/// glibc gives each thread that allocates its own heap arena (up to 8 per core), and
/// freed memory stays in the arena it came from: with the runtime's and the blocking
/// pool's threads a large render held ~20 % more resident memory than it used. Two arenas
/// keep contention low on this workload and the peak down (BENCHMARKS.md, Render).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt has no safe wrapper; called once before any thread starts")]
fn fewer_malloc_arenas() {
    // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fewer_malloc_arenas() {}
