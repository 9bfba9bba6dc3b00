//! What is queued: each stage is a job type on its own apalis queue (`crawl`,
//! `summarize`, `render`).
//!
//! A job is a small serde struct with a stable queue name and an idempotency key
//! `c<crawl>r<run>:<stage>:<item>`: enqueueing the same key twice is a no-op, so a
//! handler that runs twice (apalis delivers at least once) enqueues nothing twice, and
//! "are this run's jobs drained?" is one query on the key prefix. This module is below
//! the stages, so any of them can enqueue; the handlers that run jobs, and the workers,
//! are in [`crate::worker`].

pub mod jobs;

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::stage::Stage;
use crate::store::{JobInput, StoreError};

pub use jobs::{CrawlJob, RenderJob, SummarizeJob};

/// A job type: where it is queued and how it is keyed. What it does is its
/// [`Handler`](crate::worker::Handler), in the worker module.
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
}

/// The key prefix of every job of one crawl run.
pub fn run_prefix(crawl_id: i64, run: i64) -> String {
    format!("c{crawl_id}r{run}:")
}

/// Enqueues jobs of one type; keys already present are skipped. Returns how many were new.
pub async fn enqueue<J: Job>(ctx: &Context, jobs: &[J]) -> Result<usize, StoreError> {
    let max_attempts = J::STAGE.max_attempts(&ctx.settings.queue) as i32;
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
