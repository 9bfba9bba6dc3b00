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
use crate::stage::Stage;
use crate::store::{JobInput, StoreError};

pub use jobs::{CrawlJob, RenderJob, SummarizeJob};

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
