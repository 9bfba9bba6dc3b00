//! The job types: what each carries, how it is keyed, how it is prioritised.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Job, run_prefix};
use crate::stage::Stage;

/// Fetch one level of a crawl run, then enqueue the next level (or the render).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlJob {
    /// The crawl.
    pub crawl_id: i64,
    /// The run this job belongs to; jobs of older runs do nothing.
    pub run: i64,
    /// The level.
    pub depth: i64,
}

impl Job for CrawlJob {
    const STAGE: Stage = Stage::Crawl;

    fn key(&self) -> String {
        format!("{}crawl:{}", run_prefix(self.crawl_id, self.run), self.depth)
    }

    /// Shallow levels first: they decide what the deeper ones are.
    fn priority(&self) -> i32 {
        (100 - self.depth).clamp(0, 100) as i32
    }
}

/// Render a crawl's notes into the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderJob {
    /// The crawl.
    pub crawl_id: i64,
    /// The run that asked for it.
    pub run: i64,
    /// Why it was asked for (`crawl`, `summaries`, `refresh`, `manual`): part of the key,
    /// so each reason renders once per run.
    pub reason: String,
}

impl RenderJob {
    /// The reason of a run's own render, the one that ends the run.
    pub const RUN: &'static str = "run";

    /// A render of `crawl_id` for `run`, asked for `reason`.
    pub fn new(crawl_id: i64, run: i64, reason: &str) -> Self {
        Self {
            crawl_id,
            run,
            reason: reason.to_owned(),
        }
    }
}

impl Job for RenderJob {
    const STAGE: Stage = Stage::Render;

    fn key(&self) -> String {
        format!("{}render:{}", run_prefix(self.crawl_id, self.run), self.reason)
    }
}

/// Summarize a batch of a crawl run's papers (those whose summary is not current); the
/// batch that settles the run's last summary asks for the render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarizeJob {
    /// The crawl.
    pub crawl_id: i64,
    /// The run.
    pub run: i64,
    /// The level the papers belong to: shallower levels are summarized first.
    pub depth: i64,
    /// The papers, sorted.
    pub papers: Vec<String>,
}

impl SummarizeJob {
    /// Batches of at most `size` papers (sorted, so the same papers always make the same
    /// batches, whose keys then dedupe a re-run).
    pub fn batches(crawl_id: i64, run: i64, depth: i64, mut papers: Vec<String>, size: usize) -> Vec<Self> {
        papers.sort_unstable();
        papers.dedup();
        papers
            .chunks(size.max(1))
            .map(|chunk| Self {
                crawl_id,
                run,
                depth,
                papers: chunk.to_vec(),
            })
            .collect()
    }
}

impl Job for SummarizeJob {
    const STAGE: Stage = Stage::Summarize;

    /// Keyed by its papers: the same batch is queued once per run.
    fn key(&self) -> String {
        let digest = Sha256::digest(self.papers.join(",").as_bytes());
        let short = crate::hex::hex(&digest[..8]);
        format!(
            "{}summarize:{}:{}+{}",
            run_prefix(self.crawl_id, self.run),
            self.depth,
            short,
            self.papers.len()
        )
    }

    fn priority(&self) -> i32 {
        (10 - self.depth).clamp(0, 10) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_the_same_for_the_same_papers_whatever_their_order() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let a = SummarizeJob::batches(1, 2, 1, ids(&["c", "a", "b", "a"]), 2);
        let b = SummarizeJob::batches(1, 2, 1, ids(&["b", "c", "a"]), 2);
        assert_eq!(a, b);
        assert_eq!(a.iter().map(|j| j.papers.len()).collect::<Vec<_>>(), [2, 1]);
        assert_ne!(a[0].key(), a[1].key());
        assert!(a[0].key().starts_with("c1r2:summarize:1:"), "{}", a[0].key());
        let other = SummarizeJob::batches(1, 2, 1, ids(&["a", "b"]), 3);
        assert_eq!(
            other[0].key(),
            a[0].key(),
            "the key names the papers, not the batch size"
        );
    }
}
