//! Jobs and queues: each stage is a job type on its own apalis queue (`crawl`,
//! `summarize`, `render`).
//!
//! A job is a small serde struct with a stable queue name and an idempotency key
//! `c<crawl>r<run>:<stage>:<item>`: enqueueing the same key twice is a no-op, so a
//! handler that runs twice (apalis delivers at least once) enqueues nothing twice, and
//! "are this run's jobs drained?" is one query on the key prefix. Handlers are thin
//! adapters: load, call the stage, enqueue what comes next (see [`jobs`]).

pub mod jobs;
pub mod worker;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::store::{JobInput, StoreError};

pub use jobs::{CrawlJob, RenderJob, SummarizeJob};

/// A pipeline stage, with its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Fetch papers from Semantic Scholar.
    Crawl,
    /// PDF → text → summary.
    Summarize,
    /// Write notes into the vault.
    Render,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 3] = [Stage::Crawl, Stage::Summarize, Stage::Render];

    /// The queue's name. Set explicitly: apalis would otherwise use the Rust type name,
    /// and renaming a type would orphan its queued jobs.
    pub fn queue(self) -> &'static str {
        match self {
            Self::Crawl => "crawl",
            Self::Summarize => "summarize",
            Self::Render => "render",
        }
    }

    /// Attempts before a job of this stage is dead.
    pub fn max_attempts(self, ctx: &Context) -> usize {
        let n = &ctx.settings.queue.max_attempts;
        match self {
            Self::Crawl => n.crawl,
            Self::Summarize => n.summarize,
            Self::Render => n.render,
        }
        .max(1)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.queue())
    }
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "crawl" => Ok(Self::Crawl),
            "summarize" => Ok(Self::Summarize),
            "render" => Ok(Self::Render),
            _ => Err(format!("unknown stage {s:?}: use crawl, summarize or render")),
        }
    }
}

/// Why a job failed: worth retrying later, or not.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The outside world was unwell (API down, database gone): retry with backoff.
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help (bad input, missing crawl): the job is dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        Self::Transient(e.to_string())
    }
}

/// A job type: where it is queued, how it is keyed, and what it does.
pub trait Job: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + Unpin + 'static {
    /// The stage (and queue) of this job type.
    const STAGE: Stage;

    /// The queue: the stage's, unless a job type needs one of its own (a benchmark's).
    fn queue_name() -> &'static str {
        Self::STAGE.queue()
    }

    /// The idempotency key, unique per queue forever.
    fn key(&self) -> String;

    /// Larger runs first within the queue.
    fn priority(&self) -> i32 {
        0
    }

    /// Does the work: load, call the stage, enqueue what comes next.
    fn run(&self, ctx: &Arc<Context>) -> impl Future<Output = Result<(), JobError>> + Send;

    /// Called once when the job is dead (out of attempts or failed permanently).
    fn on_dead(&self, ctx: &Arc<Context>, reason: &str) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}

/// The key prefix of every job of one crawl run.
pub fn run_prefix(crawl_id: i64, run: i64) -> String {
    format!("c{crawl_id}r{run}:")
}

/// Enqueues jobs of one type; keys already present are skipped. Returns how many were new.
pub async fn enqueue<J: Job>(ctx: &Context, jobs: &[J]) -> Result<usize, StoreError> {
    let max_attempts = J::STAGE.max_attempts(ctx) as i32;
    let inputs: Vec<JobInput> = jobs
        .iter()
        .map(|job| JobInput {
            args: serde_json::to_vec(job).unwrap_or_default(),
            key: job.key(),
            priority: job.priority(),
            max_attempts,
        })
        .collect();
    ctx.store.push_jobs(J::queue_name(), &inputs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_are_the_queue_names() {
        for stage in Stage::ALL {
            assert_eq!(stage.queue().parse::<Stage>(), Ok(stage));
        }
        assert!("crawler".parse::<Stage>().is_err());
    }
}
