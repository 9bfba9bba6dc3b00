//! The job types: what each carries, how it is keyed, how it is prioritised.

use serde::{Deserialize, Serialize};

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

/// Summarize one paper of a crawl run; the run's last summary asks for a render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarizeJob {
    /// The crawl.
    pub crawl_id: i64,
    /// The run.
    pub run: i64,
    /// The paper.
    pub paper_id: String,
    /// The paper's priority in the crawl (0–10): important papers are summarized first.
    pub priority: i64,
}

impl Job for SummarizeJob {
    const STAGE: Stage = Stage::Summarize;

    fn key(&self) -> String {
        format!("{}summarize:{}", run_prefix(self.crawl_id, self.run), self.paper_id)
    }

    fn priority(&self) -> i32 {
        self.priority.clamp(0, 10) as i32
    }
}
