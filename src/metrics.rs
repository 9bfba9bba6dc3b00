//! Process-wide counters: what the CLI's progress line and summary show, and what
//! `/metrics` exports. Plain atomics; reading them never blocks a worker.

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Every counter refnet keeps.
#[derive(Debug, Default)]
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
    /// PDFs downloaded.
    pub pdf_downloads: Counter,
    /// Summaries written (not served from the cache).
    pub summaries_written: Counter,
}
