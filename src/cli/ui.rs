//! What the user sees on stderr: log lines and a progress line that hides itself when
//! stderr is not a terminal. Log lines are printed above the progress line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The progress line currently shown, if any, shared with the log writer.
#[derive(Clone, Default)]
pub struct Progress(Arc<Mutex<Option<ProgressBar>>>);

impl Progress {
    /// Shows a spinner with a message; hidden when stderr is not a terminal.
    pub fn start(&self) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bar.clone());
        }
        bar
    }

    /// Removes the progress line.
    pub fn finish(&self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// A log writer that prints above the progress line.
pub struct LogWriter(Progress);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.bar() {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for Progress {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(self.clone())
    }
}

/// Whether logs should be JSON lines (`REFNET_LOG_FORMAT=json`), for log collectors.
pub fn json_logs() -> bool {
    std::env::var("REFNET_LOG_FORMAT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("json"))
}

/// Sets up logging: compact lines for people, JSON for services (`json`). `RUST_LOG` or
/// `REFNET_LOG` override the level chosen by `-v`/`-q`.
pub fn init_tracing(verbose: u8, quiet: bool, json: bool, timestamps: bool, progress: Progress) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info,sqlx=warn",
        (false, _) => "debug,sqlx=info,hyper=info,reqwest=info",
    };
    let from_env = std::env::var("REFNET_LOG").or_else(|_| std::env::var("RUST_LOG")).ok();
    let filter = EnvFilter::try_new(from_env.as_deref().unwrap_or(default)).unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(progress);
    let result = match (json, timestamps) {
        (true, _) => builder.json().try_init(),
        (false, true) => builder.compact().try_init(),
        (false, false) => builder.compact().without_time().try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
