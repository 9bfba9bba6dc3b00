//! Process-wide counters: what the CLI's progress line and summary show, and what
//! `/metrics` exports. They are prometheus-client metrics, registered once in a registry
//! that [`Counters::encode`] writes out; the cluster-wide numbers read from the database
//! at scrape time are added by `serve::prometheus`. Counters are atomics; a duration
//! histogram takes a short lock per observation, so reading never blocks a worker for
//! long.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

pub use prometheus_client::metrics::counter::Counter;
pub use prometheus_client::metrics::histogram::Histogram;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::stage::Stage;
use crate::vault::write::FileFate;

/// Upper bounds of the duration histogram's buckets, in seconds: from a cached summary
/// (milliseconds) to a large render (minutes).
pub const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0,
];

/// Why an LLM call failed, as `/metrics` counts it (`refnet_llm_errors_total{kind=…}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmError {
    /// 429 Too Many Requests.
    Throttled,
    /// Another 4xx: a refused key, a context too long, a bad request.
    Client,
    /// A 5xx.
    Server,
    /// No answer within the timeout.
    Timeout,
    /// The connection failed.
    Transport,
    /// Any other status that is not a success.
    Other,
}

impl LlmError {
    /// Every kind, in the order [`Counters`] keeps them.
    pub const ALL: [LlmError; 6] = [
        Self::Throttled,
        Self::Client,
        Self::Server,
        Self::Timeout,
        Self::Transport,
        Self::Other,
    ];

    /// The kind of a failed HTTP status.
    pub fn of_status(status: u16) -> Self {
        match status {
            429 => Self::Throttled,
            400..=499 => Self::Client,
            500..=599 => Self::Server,
            _ => Self::Other,
        }
    }

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Throttled => "429",
            Self::Client => "4xx",
            Self::Server => "5xx",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Other => "other",
        }
    }
}

/// `queue` and `outcome` of a job counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    queue: &'static str,
    outcome: &'static str,
}

/// `queue` of a duration histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: &'static str,
}

/// `kind` of an LLM error or token counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// `version` of the build.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Every counter refnet keeps, and the registry `/metrics` writes them from.
#[derive(Debug)]
pub struct Counters {
    /// HTTP requests sent to Semantic Scholar (each retry counts).
    pub s2_requests: Counter,
    /// 429 answers from Semantic Scholar.
    pub s2_throttled: Counter,
    /// 5xx answers and transport failures from Semantic Scholar.
    pub s2_failures: Counter,
    /// Papers whose full record was fetched.
    pub papers_fetched: Counter,
    /// Note files written (created or changed).
    pub notes_written: Counter,
    /// Note files left alone because nothing changed.
    pub notes_unchanged: Counter,
    /// Chat-completion requests sent to the LLM.
    pub llm_calls: Counter,
    /// 429 answers from the LLM.
    pub llm_throttled: Counter,
    /// Prompt tokens the LLM counted (its `usage`), or refnet's estimate when it did not say.
    pub llm_prompt_tokens: Counter,
    /// Completion tokens the LLM counted, or refnet's estimate when it did not say.
    pub llm_completion_tokens: Counter,
    /// PDFs downloaded.
    pub pdf_downloads: Counter,
    /// Summaries written (not served from the cache).
    pub summaries_written: Counter,
    /// Failed LLM calls, in [`LlmError::ALL`] order.
    llm_errors: [Counter; LlmError::ALL.len()],
    /// Jobs per stage, in [`Stage::ALL`] order.
    jobs: [JobMetrics; Stage::ALL.len()],
    registry: Registry,
    /// Each file renders touched, for the command line's end summary (off by default).
    pub files: FileTally,
    /// Where this process's work is, for the command line's progress line.
    pub progress: Progress,
    /// This process's stage workers, for its own `/healthz`.
    pub roster: Roster,
}

/// This process's stage workers: per supervised worker, its queue and the name it runs
/// under now (none while it restarts after a failure). A worker's `/healthz` checks that
/// each one runs and heartbeats.
#[derive(Debug, Default)]
pub struct Roster {
    slots: Mutex<Vec<(&'static str, Option<String>)>>,
}

impl Roster {
    /// A supervised worker of `queue` begins: its slot.
    pub fn join(&self, queue: &'static str) -> usize {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.push((queue, None));
        slots.len() - 1
    }

    /// The slot's worker now runs under `name` (or, with `None`, does not run).
    pub fn set(&self, slot: usize, name: Option<&str>) {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = slots.get_mut(slot) {
            entry.1 = name.map(str::to_owned);
        }
    }

    /// Every slot: (queue, the name its worker runs under).
    pub fn slots(&self) -> Vec<(&'static str, Option<String>)> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Every file this process's renders touched, each once, with what became of it: a file
/// created by one render and left alone by the next counts as created. Off until
/// [`FileTally::enable`]: a long-lived service renders without end, and needs no list.
#[derive(Debug, Default)]
pub struct FileTally {
    on: AtomicBool,
    files: Mutex<HashMap<String, FileFate>>,
}

impl FileTally {
    /// Starts keeping the list.
    pub fn enable(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    fn note(&self, path: &str, fate: FileFate) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        let mut files = self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match files.get_mut(path) {
            // What a file became first outranks a later "unchanged".
            Some(seen) if fate == FileFate::Unchanged => {
                let _ = seen;
            }
            Some(seen) => *seen = fate,
            None => {
                files.insert(path.to_owned(), fate);
            }
        }
    }

    /// Counts per folder: (folder, fate) → files.
    pub fn by_folder(&self) -> BTreeMap<String, BTreeMap<&'static str, usize>> {
        let files = self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for (path, fate) in files.iter() {
            let folder = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            *out.entry(folder.to_owned())
                .or_default()
                .entry(fate.label())
                .or_default() += 1;
        }
        out
    }
}

/// Where this process's stage work is: the crawl level being fetched, the notes a render
/// has to write and has written. Plain atomics, read by the progress line.
#[derive(Debug, Default)]
pub struct Progress {
    /// The level being fetched, plus one (0: none).
    pub crawl_level: AtomicU64,
    /// Notes the current render considers.
    pub render_total: AtomicU64,
    /// Of those, done.
    pub render_done: AtomicU64,
}

impl Progress {
    /// A render has `n` more notes to consider.
    pub fn add_render_total(&self, n: usize) {
        self.render_total.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// A render considered `n` more notes.
    pub fn add_render_done(&self, n: usize) {
        self.render_done.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The crawl level being fetched.
    pub fn set_crawl_level(&self, depth: i64) {
        self.crawl_level
            .store(u64::try_from(depth + 1).unwrap_or(0), Ordering::Relaxed);
    }

    /// (level being fetched, notes done, notes to consider), as the progress line shows them.
    pub fn read(&self) -> (Option<u64>, u64, u64) {
        let level = self.crawl_level.load(Ordering::Relaxed);
        (
            level.checked_sub(1),
            self.render_done.load(Ordering::Relaxed),
            self.render_total.load(Ordering::Relaxed),
        )
    }
}

/// How the jobs of one stage ended, and how long they took.
#[derive(Debug, Clone)]
pub struct JobMetrics {
    /// Done.
    pub done: Counter,
    /// Failed, to be retried.
    pub retried: Counter,
    /// Failed for good (dead).
    pub dead: Counter,
    /// Run time of every attempt, however it ended, in seconds.
    pub duration: Histogram,
}

impl Default for Counters {
    fn default() -> Self {
        Self::new()
    }
}

impl Counters {
    /// Fresh counters at zero, every series registered (so each is exposed from the
    /// start, and `rate()` sees its first increment).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let mut plain = |name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let s2_requests = plain(
            "refnet_s2_requests",
            "Requests sent to Semantic Scholar (retries included)",
        );
        let s2_throttled = plain("refnet_s2_throttled", "429 answers from Semantic Scholar");
        let s2_failures = plain(
            "refnet_s2_failures",
            "5xx answers and transport failures from Semantic Scholar",
        );
        let papers_fetched = plain("refnet_papers_fetched", "Full paper records fetched");
        let llm_calls = plain("refnet_llm_calls", "Chat-completion requests sent to the LLM");
        let llm_throttled = plain("refnet_llm_throttled", "429 answers from the LLM");
        let pdf_downloads = plain("refnet_pdf_downloads", "Open-access PDFs downloaded");
        let summaries_written = plain("refnet_summaries_written", "Summaries made (not served from the cache)");
        let notes_written = plain("refnet_notes_written", "Note files created or changed");
        let notes_unchanged = plain(
            "refnet_notes_unchanged",
            "Note files left alone because nothing changed",
        );

        let errors = Family::<KindLabel, Counter>::default();
        let llm_errors = LlmError::ALL.map(|k| errors.get_or_create_owned(&KindLabel { kind: k.label() }));
        registry.register(
            "refnet_llm_errors",
            "Failed LLM calls, by kind (429, 4xx, 5xx, timeout, transport, other)",
            errors,
        );
        let tokens = Family::<KindLabel, Counter>::default();
        let llm_prompt_tokens = tokens.get_or_create_owned(&KindLabel { kind: "prompt" });
        let llm_completion_tokens = tokens.get_or_create_owned(&KindLabel { kind: "completion" });
        registry.register(
            "refnet_llm_tokens",
            "LLM tokens by kind (prompt, completion), as the LLM counted them or else as estimated",
            tokens,
        );

        let outcomes = Family::<OutcomeLabels, Counter>::default();
        let durations = Family::<QueueLabel, Histogram>::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let jobs = Stage::ALL.map(|stage| {
            let queue = stage.queue();
            let outcome = |outcome| outcomes.get_or_create_owned(&OutcomeLabels { queue, outcome });
            JobMetrics {
                done: outcome("done"),
                retried: outcome("retried"),
                dead: outcome("dead"),
                duration: durations.get_or_create_owned(&QueueLabel { queue }),
            }
        });
        registry.register(
            "refnet_jobs",
            "Jobs this process finished, by queue and outcome (retried = failed, to run again)",
            outcomes,
        );
        registry.register(
            "refnet_job_duration_seconds",
            "Run time of the jobs this process ran, by queue",
            durations,
        );
        registry.register(
            "refnet_build",
            "The running refnet's version",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Self {
            s2_requests,
            s2_throttled,
            s2_failures,
            papers_fetched,
            notes_written,
            notes_unchanged,
            llm_calls,
            llm_throttled,
            llm_prompt_tokens,
            llm_completion_tokens,
            pdf_downloads,
            summaries_written,
            llm_errors,
            jobs,
            registry,
            files: FileTally::default(),
            progress: Progress::default(),
            roster: Roster::default(),
        }
    }

    /// Counts a file a render touched.
    pub fn file(&self, path: &str, fate: FileFate) {
        match fate {
            FileFate::Created | FileFate::Updated => self.notes_written.inc(),
            FileFate::Unchanged => self.notes_unchanged.inc(),
            FileFate::Skipped | FileFate::Failed => 0,
        };
        self.files.note(path, fate);
    }

    /// The job metrics of a stage.
    pub fn jobs(&self, stage: Stage) -> &JobMetrics {
        let i = Stage::ALL.iter().position(|s| *s == stage).unwrap_or_default();
        &self.jobs[i]
    }

    /// The counter of one kind of failed LLM call.
    pub fn llm_errors(&self, kind: LlmError) -> &Counter {
        let i = LlmError::ALL.iter().position(|k| *k == kind).unwrap_or_default();
        &self.llm_errors[i]
    }

    /// Appends every metric of this process in the Prometheus text format (0.0.4).
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        prometheus_client::encoding::prometheus_text::encode(out, &self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_counters_and_durations_land_in_their_queue_series() {
        let counters = Counters::new();
        counters.jobs(Stage::Render).done.inc();
        let h = &counters.jobs(Stage::Render).duration;
        for ms in [3, 7, 7, 400, 2_000_000] {
            h.observe(ms as f64 / 1000.0);
        }
        counters.llm_errors(LlmError::of_status(503)).inc();
        let mut text = String::new();
        counters.encode(&mut text).expect("encode");
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(has("refnet_jobs_total{queue=\"render\",outcome=\"done\"} 1"), "{text}");
        assert!(has("refnet_jobs_total{queue=\"crawl\",outcome=\"done\"} 0"), "{text}");
        assert!(
            has("refnet_job_duration_seconds_bucket{queue=\"render\",le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            has("refnet_job_duration_seconds_bucket{queue=\"render\",le=\"0.01\"} 3"),
            "{text}"
        );
        assert!(
            has("refnet_job_duration_seconds_bucket{queue=\"render\",le=\"0.5\"} 4"),
            "{text}"
        );
        assert!(
            has("refnet_job_duration_seconds_bucket{queue=\"render\",le=\"600\"} 4"),
            "the 2000 s job is only in +Inf: {text}"
        );
        assert!(
            has("refnet_job_duration_seconds_bucket{queue=\"render\",le=\"+Inf\"} 5"),
            "{text}"
        );
        assert!(has("refnet_job_duration_seconds_count{queue=\"render\"} 5"), "{text}");
        assert!(has("refnet_llm_errors_total{kind=\"5xx\"} 1"), "{text}");
        assert!(has("refnet_llm_errors_total{kind=\"timeout\"} 0"), "{text}");
        assert!(
            has(&format!(
                "refnet_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
    }

    #[test]
    fn statuses_map_to_error_kinds() {
        assert_eq!(LlmError::of_status(429), LlmError::Throttled);
        assert_eq!(LlmError::of_status(401), LlmError::Client);
        assert_eq!(LlmError::of_status(502), LlmError::Server);
        assert_eq!(LlmError::of_status(304), LlmError::Other);
    }
}
