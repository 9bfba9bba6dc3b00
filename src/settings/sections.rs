//! The parts of [`Settings`](super::Settings), one struct per `refnet.toml` table.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// Semantic Scholar client settings.
#[derive(Debug, Clone, PartialEq)]
pub struct S2Settings {
    /// API base, without a trailing slash.
    pub url: Url,
    /// Sent as `x-api-key` when set.
    pub api_key: Option<Secret>,
    /// Requests per second across the whole process.
    pub rps: f64,
    /// Retries after the first attempt on 429, 5xx and timeouts.
    pub max_retries: u32,
    /// First backoff; doubles each retry (with jitter), capped at `retry_max`.
    pub retry_base: Duration,
    /// Longest backoff between two attempts.
    pub retry_max: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
    /// The longest one request may keep being retried, waits included, before the crawl
    /// gives up on it.
    pub give_up_after: Duration,
    /// Papers per batch call (the API takes at most 500).
    pub batch_size: usize,
    /// A stored paper younger than this is not fetched again by a crawl.
    pub fresh_for: Duration,
}

/// OpenAlex, the second source of abstracts, PDFs and references (`[openalex]`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAlexSettings {
    /// API base, without a trailing slash.
    pub url: Url,
    /// Sent as `api_key=`; the daily budget belongs to it.
    pub api_key: Option<Secret>,
    /// A contact address, sent as `mailto=`.
    pub mailto: Option<String>,
    /// Requests per second across the whole process (the API allows at most 100).
    pub rps: f64,
    /// Most OpenAlex requests one crawl may make.
    pub max_requests_per_crawl: u32,
}

impl OpenAlexSettings {
    /// OpenAlex is asked only with a key or a contact address: without either, its
    /// allowance is too small to be worth the requests.
    pub fn enabled(&self) -> bool {
        self.api_key.is_some() || self.mailto.is_some()
    }
}

/// OpenAI-compatible chat-completions summarizer settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettings {
    /// Base URL ending in `/v1`; `None` = the built-in extractive summarizer.
    pub url: Option<Url>,
    /// Model name sent with each request.
    pub model: Option<String>,
    /// Bearer key (`REFNET_LLM_API_KEY`, else `OPENAI_API_KEY`).
    pub api_key: Option<Secret>,
    /// Requests per minute.
    pub requests_per_minute: u32,
    /// Tokens per minute (prompt + completion, estimated).
    pub tokens_per_minute: u32,
    /// The model's context window in tokens.
    pub context_tokens: usize,
    /// Retries on 429/5xx/timeouts.
    pub max_retries: u32,
    /// First backoff.
    pub retry_base: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

/// The summarize stage (`[summarize]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SummarizeSettings {
    /// Papers per summarize job.
    pub batch_size: usize,
}

/// PDF download and extraction settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfSettings {
    /// Allow PDF hosts on loopback, private and link-local addresses.
    pub allow_private_hosts: bool,
    /// Largest PDF downloaded, enforced while streaming.
    pub max_bytes: u64,
    /// Timeout of the whole download.
    pub timeout: Duration,
    /// Keep PDFs in the vault's attachments and link them from notes.
    pub save_pdfs: bool,
    /// Time limit of one extraction.
    pub extract_timeout: Duration,
    /// Address-space limit of the extraction process.
    pub extract_memory_bytes: u64,
    /// Hosts (`host` or `host:port`) allowed even on private addresses: for a lab's own
    /// mirror, or a test's fake server.
    pub allow_hosts: Vec<String>,
    /// The program that extracts PDF text in a child process (`<it> pdf-text --json`);
    /// `None` = the running `refnet` binary, or in-process extraction when there is none.
    pub extractor: Option<PathBuf>,
}

/// What the vault holds besides the paper notes (`[vault]`; the vault's path itself is
/// [`Settings::vault`](super::Settings::vault)).
#[derive(Debug, Clone, PartialEq)]
pub struct VaultSettings {
    /// Which authors get a note of their own.
    pub author_notes: AuthorNotes,
    /// Most papers on a crawl's canvas map.
    pub map_papers: usize,
}

/// Which authors get a note (`vault.author_notes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthorNotes {
    /// Authors with at least two papers in the vault: the ones a note links together.
    #[default]
    Shared,
    /// Every author of every paper.
    All,
    /// No author notes.
    None,
}

impl AuthorNotes {
    /// The values `vault.author_notes` accepts, as written in `refnet.toml`.
    pub const NAMES: [&'static str; 3] = ["shared", "all", "none"];

    /// Whether an author with `papers_in_vault` papers in the vault gets a note.
    pub fn writes_note_for(self, papers_in_vault: usize) -> bool {
        match self {
            Self::Shared => papers_in_vault >= 2,
            Self::All => papers_in_vault >= 1,
            Self::None => false,
        }
    }

    /// Reads `shared`, `all` or `none` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "shared" => Some(Self::Shared),
            "all" => Some(Self::All),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Job queue settings (apalis).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// Worker heartbeat interval.
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs are taken back.
    pub missed_heartbeats: usize,
    /// How often an idle worker looks for jobs.
    pub poll: Duration,
    /// Attempts before a job is dead, per stage: crawl, summarize, render.
    pub max_attempts: StageNumbers,
    /// Jobs run at once per stage in one process.
    pub concurrency: StageNumbers,
    /// First durable retry delay (doubles per attempt, with jitter).
    pub retry_base: Duration,
    /// Longest durable retry delay.
    pub retry_max: Duration,
    /// Finished and dead jobs older than this are pruned.
    pub retention: Duration,
    /// How long a stopping worker waits for running jobs before releasing them.
    pub shutdown_grace: Duration,
}

impl QueueSettings {
    /// How long a worker may go without a heartbeat before it counts as gone.
    pub fn liveness(&self) -> Duration {
        (self.heartbeat * self.missed_heartbeats.max(1) as u32).max(Duration::from_secs(1))
    }
}

/// A number per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageNumbers {
    /// The crawl stage.
    pub crawl: usize,
    /// The summarize stage.
    pub summarize: usize,
    /// The render stage.
    pub render: usize,
}

/// `refnet serve` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeSettings {
    /// HTTP listen address.
    pub bind: SocketAddr,
    /// Bearer token for the API; required when `bind` is not loopback.
    pub api_token: Option<Secret>,
    /// Cron expression (seconds field first, or classic 5 fields) of the refresh.
    pub refresh_cron: String,
}
