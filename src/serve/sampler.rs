//! Samples the queues every few seconds into the store for the console's charts. Every
//! serve replica samples; the instant (a multiple of the interval) is the key, so each
//! is stored once. Old samples go with the daily housekeeping ([`crate::refresh::prune`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::context::Context;
use crate::stage::Stage;
use crate::store::{StoreError, now};

/// Seconds between samples.
pub const INTERVAL_SECS: i64 = 5;

/// Samples every queue at the interval's instant at or before `at` (unix seconds).
/// Returns how many rows were stored (none when another replica sampled it).
pub async fn sample_once(ctx: &Context, at: i64) -> Result<usize, StoreError> {
    let instant = at - at.rem_euclid(INTERVAL_SECS);
    let queues: Vec<&str> = Stage::ALL.iter().map(|s| s.queue()).collect();
    ctx.store.sample_queues(instant, INTERVAL_SECS, &queues).await
}

/// Samples until `shutdown`. A failed sample is skipped (the chart has a gap).
pub async fn run(ctx: Arc<Context>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(INTERVAL_SECS as u64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(e) = sample_once(&ctx, now()).await {
            debug!(error = %e, "could not sample the queues");
        }
    }
}
