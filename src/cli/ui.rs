//! What the user sees on stderr: log lines and a progress line that hides itself when
//! stderr is not a terminal. Log lines are printed above the progress line.
//!
//! Stderr is only ever a courtesy: when its reader has gone (`refnet -v crawl … 2>&1 |
//! head -1`) or it cannot take more (`2>/dev/full`), what would have been said there is
//! dropped and the work goes on. Nothing here panics or waits on a stderr that failed.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// `--color`: whether log lines and the progress line are coloured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is not set
    #[default]
    Auto,
    /// Always colour (even into a file or a pipe)
    Always,
    /// Never colour
    Never,
}

impl ColorChoice {
    /// Whether to colour, given `NO_COLOR` (set and not empty disables colour, as
    /// no-color.org asks) and whether stderr is a terminal. An explicit `--color`
    /// wins over the environment.
    pub fn enabled(self, no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => terminal && no_color.is_none_or(std::ffi::OsStr::is_empty),
        }
    }

    /// [`ColorChoice::enabled`] for this process's environment and stderr.
    pub fn for_stderr(self) -> bool {
        let no_color = std::env::var_os("NO_COLOR");
        self.enabled(
            no_color.as_deref(),
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
    }
}

/// Set once stderr has failed: nothing more is tried there.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Writes to stderr, dropping the text when stderr is closed or full: the answer is
/// always "written", so no caller fails, panics or retries over it.
fn to_stderr(buf: &[u8]) -> usize {
    if !STDERR_GONE.load(Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        if err.write_all(buf).and_then(|()| err.flush()).is_err() {
            STDERR_GONE.store(true, Ordering::Relaxed);
        }
    }
    buf.len()
}

/// Prints one line on stderr (the command's error), or nothing when stderr is gone.
pub fn error_line(text: &str) {
    to_stderr(format!("{text}\n").as_bytes());
}

/// The progress line currently shown, if any, shared with the log writer.
#[derive(Clone, Default)]
pub struct Progress {
    bar: Arc<Mutex<Option<ProgressBar>>>,
    color: bool,
}

impl Progress {
    /// A progress line, coloured or not.
    pub fn new(color: bool) -> Self {
        Self {
            bar: Arc::default(),
            color,
        }
    }

    /// Shows a spinner with a message; hidden when stderr is not a terminal.
    pub fn start(&self) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let template = if self.color {
            "{spinner:.cyan} {elapsed_precise:.dim} {msg}"
        } else {
            "{spinner} {elapsed_precise} {msg}"
        };
        bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar.clone());
        }
        bar
    }

    /// Removes the progress line.
    pub fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.bar.lock().ok().and_then(|slot| slot.clone())
    }
}

/// A log writer that prints above the progress line, and drops what stderr will not take.
pub struct LogWriter(Progress);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.bar() {
            Some(bar) => Ok(bar.suspend(|| to_stderr(buf))),
            None => Ok(to_stderr(buf)),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

/// What is logged unless `REFNET_LOG` or `RUST_LOG` says otherwise.
fn default_filter(verbose: u8, quiet: bool) -> &'static str {
    // sqlx warns of any statement slower than a second, with its SQL: on a busy laptop
    // that is a schema check or a commit waiting for the disk, nothing a user can act on
    // (a failed statement is an error refnet reports itself). Shown from `-v` on.
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,sqlx::query=error",
        (false, 1) => "info,sqlx=warn",
        (false, _) => "debug,sqlx=info,hyper=info,reqwest=info",
    }
}

/// Sets up logging: compact lines for people, JSON for services (`json`). `RUST_LOG` or
/// `REFNET_LOG` override the level chosen by `-v`/`-q`; colour as the progress line's.
pub fn init_tracing(verbose: u8, quiet: bool, json: bool, timestamps: bool, progress: Progress) {
    let default = default_filter(verbose, quiet);
    let from_env = std::env::var("REFNET_LOG").or_else(|_| std::env::var("RUST_LOG")).ok();
    let filter = EnvFilter::try_new(from_env.as_deref().unwrap_or(default)).unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(progress.color && !json)
        // Its own complaint about a failed write would go to the same failed stderr, with
        // `eprintln!`, which panics there.
        .log_internal_errors(false)
        .with_writer(progress);
    let result = match (json, timestamps) {
        (true, _) => builder.json().try_init(),
        (false, true) => builder.compact().try_init(),
        (false, false) => builder.compact().without_time().try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::ColorChoice;

    #[test]
    fn no_color_turns_auto_off_on_a_terminal_and_the_flag_wins_over_it() {
        let set = Some(OsStr::new("1"));
        assert!(ColorChoice::Auto.enabled(None, true));
        assert!(!ColorChoice::Auto.enabled(set, true));
        assert!(
            ColorChoice::Auto.enabled(Some(OsStr::new("")), true),
            "empty counts as unset"
        );
        assert!(!ColorChoice::Auto.enabled(None, false), "not a terminal");
        assert!(ColorChoice::Always.enabled(set, false));
        assert!(!ColorChoice::Never.enabled(None, true));
    }

    /// What the default levels let through, written by a subscriber built from them.
    fn logged(verbose: u8) -> String {
        use std::sync::{Arc, Mutex};
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = Arc::clone(&out);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(super::default_filter(
                verbose, false,
            )))
            .with_ansi(false)
            .with_writer(move || Capture(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "sqlx::query", "slow statement");
            tracing::error!(target: "sqlx::query", "a broken statement");
            tracing::warn!(target: "refnet::render", "note left alone");
        });
        let bytes = out.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn slow_statements_are_not_warned_of_by_default_but_are_with_v() {
        let quiet = logged(0);
        assert!(quiet.contains("note left alone"), "{quiet}");
        assert!(quiet.contains("a broken statement"), "{quiet}");
        assert!(!quiet.contains("slow statement"), "{quiet}");
        assert!(logged(1).contains("slow statement"));
    }
}
