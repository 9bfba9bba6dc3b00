//! Who runs what is queued: a [`Handler`] per job type ([`handlers`]: load, call the
//! stage, enqueue what comes next) and the supervised apalis workers that run them
//! ([`supervise`]), one per stage and process, under unique names.

mod handlers;
pub mod supervise;

use std::future::Future;
use std::sync::Arc;

use crate::context::Context;
use crate::queue::Job;
use crate::store::StoreError;

pub use supervise::{StageWorkers, run_workers, supervise, worker_name};

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

/// What a job type does when a worker runs it.
pub trait Handler: Job {
    /// Does the work: load, call the stage, enqueue what comes next.
    fn run(&self, ctx: &Arc<Context>) -> impl Future<Output = Result<(), JobError>> + Send;

    /// Called once when the job is dead (out of attempts or failed permanently).
    fn on_dead(&self, ctx: &Arc<Context>, reason: &str) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}
