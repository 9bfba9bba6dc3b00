//! Process-wide counters: what the CLI's progress line and summary show, and what
//! `/metrics` exports. Plain atomics; reading them never blocks a worker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::stage::Stage;

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
    /// Jobs of the crawl stage run by this process.
    pub crawl_jobs: JobMetrics,
    /// Jobs of the summarize stage run by this process.
    pub summarize_jobs: JobMetrics,
    /// Jobs of the render stage run by this process.
    pub render_jobs: JobMetrics,
}

impl Counters {
    /// The job metrics of a stage.
    pub fn jobs(&self, stage: Stage) -> &JobMetrics {
        match stage {
            Stage::Crawl => &self.crawl_jobs,
            Stage::Summarize => &self.summarize_jobs,
            Stage::Render => &self.render_jobs,
        }
    }
}

/// How the jobs of one stage ended, and how long they took.
#[derive(Debug, Default)]
pub struct JobMetrics {
    /// Done.
    pub done: Counter,
    /// Failed, to be retried.
    pub retried: Counter,
    /// Failed for good (dead).
    pub dead: Counter,
    /// Run time of every attempt, however it ended.
    pub duration: Histogram,
}

/// Upper bounds of the duration histogram's buckets, in seconds: from a cached summary
/// (milliseconds) to a large render (minutes).
pub const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0,
];

/// A histogram of durations over [`DURATION_BUCKETS`], lock-free.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; DURATION_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// A histogram read at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// (upper bound, observations at or below it), cumulative, without `+Inf`.
    pub buckets: Vec<(f64, u64)>,
    /// All observations (the `+Inf` bucket).
    pub count: u64,
    /// Their sum, in seconds.
    pub sum: f64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = DURATION_BUCKETS.iter().position(|bound| secs <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros
            .fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The cumulative counts, as Prometheus exposes them.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0;
        let buckets = DURATION_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, n)| {
                running += n.load(Ordering::Relaxed);
                (*bound, running)
            })
            .collect();
        HistogramSnapshot {
            buckets,
            count: self.count.load(Ordering::Relaxed).max(running),
            sum: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_count_everything() {
        let h = Histogram::default();
        for ms in [3, 7, 7, 400, 2_000_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        let at = |bound: f64| s.buckets.iter().find(|(b, _)| *b == bound).map(|(_, n)| *n);
        assert_eq!(at(0.005), Some(1));
        assert_eq!(at(0.01), Some(3));
        assert_eq!(at(0.5), Some(4));
        assert_eq!(at(600.0), Some(4), "the 2000 s job is only in +Inf");
        assert_eq!(s.count, 5);
        assert!((s.sum - 2_000.417).abs() < 1e-6, "{}", s.sum);
    }
}
