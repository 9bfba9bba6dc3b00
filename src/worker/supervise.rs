//! Stage workers on apalis, supervised.
//!
//! Each worker serves one queue under a unique name (`<stage>-<host>-<ulid>`: apalis
//! fences acks by worker name). A worker whose backend fails (the database went away) is
//! rebuilt under a new name after a backoff, so its claimed jobs are rescued by the
//! heartbeat timeout instead of being stranded under a live name. On shutdown a worker
//! stops taking jobs, lets running ones finish within the grace period, then releases
//! what is left, and its row leaves the worker registry at once (apalis would leave it to
//! lapse). While an operator has paused its queue (a row in the store), a stage runs no
//! worker: a running one is stopped like at shutdown, but with no time limit on its
//! running jobs, and a new one starts once the queue is resumed. Handlers check the
//! attempt count themselves: apalis's orphan rescue ignores `max_attempts`, so a job that
//! kills its worker every time would loop forever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use super::{Handler, JobError};
use crate::context::Context;
use crate::queue::jobs::{CrawlJob, RenderJob, SummarizeJob};
use crate::retry::Backoff;
use crate::stage::Stage;
use crate::store::{Db, WorkerInfo, now};

/// How many workers of which stage to run in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageWorkers {
    /// The stage.
    pub stage: Stage,
    /// Jobs at once.
    pub concurrency: usize,
}

/// Runs the given stage workers until `shutdown` is cancelled.
pub async fn run_workers(ctx: Arc<Context>, stages: Vec<StageWorkers>, shutdown: CancellationToken) {
    let mut tasks = tokio::task::JoinSet::new();
    for sw in stages {
        let ctx = ctx.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            match sw.stage {
                Stage::Crawl => supervise::<CrawlJob>(ctx, sw.concurrency, shutdown).await,
                Stage::Summarize => supervise::<SummarizeJob>(ctx, sw.concurrency, shutdown).await,
                Stage::Render => supervise::<RenderJob>(ctx, sw.concurrency, shutdown).await,
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// A unique worker name for this process start.
pub fn worker_name(stage: Stage) -> String {
    format!(
        "{}-{}-{}",
        stage.queue(),
        hostname(),
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .filter(|h: &String| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

/// Runs workers of one job type (under new names after backend failures) until
/// `shutdown` is cancelled.
pub async fn supervise<J: Handler>(ctx: Arc<Context>, concurrency: usize, shutdown: CancellationToken) {
    let backoff = Backoff {
        base: Duration::from_secs(1),
        max: Duration::from_secs(30),
    };
    let mut failures = 0u32;
    let slot = ctx.counters.roster.join(J::STAGE.queue());
    while !shutdown.is_cancelled() {
        if !wait_while_paused(&ctx, J::queue_name(), &shutdown).await {
            break;
        }
        let name = worker_name(J::STAGE);
        let started = Instant::now();
        register(&ctx, &name, J::queue_name(), concurrency).await;
        // Stops the worker on shutdown, or when its queue is paused.
        let stop = shutdown.child_token();
        let watch = tokio::spawn(stop_when_paused(ctx.clone(), J::queue_name(), stop.clone()));
        let span = info_span!("worker", stage = %J::STAGE, worker = %name);
        ctx.counters.roster.set(slot, Some(&name));
        let result = run_worker::<J>(ctx.clone(), &name, concurrency, shutdown.clone(), stop.clone())
            .instrument(span)
            .await;
        ctx.counters.roster.set(slot, None);
        stop.cancel();
        watch.abort();
        match result {
            Ok(()) => {
                // Stopped cleanly (shutdown or a pause): leave the registry now, not when
                // the heartbeat lapses. (After a failure the row stays: orphan rescue
                // finds its jobs through it.)
                if let Err(e) = ctx.store.forget_worker(&name).await {
                    warn!(worker = %name, error = %e, "could not leave the worker registry; it lapses after the heartbeat timeout");
                }
                if shutdown.is_cancelled() {
                    break;
                }
                info!(stage = %J::STAGE, worker = %name, "queue paused: worker stopped");
            }
            Err(e) => {
                if started.elapsed() > Duration::from_secs(60) {
                    failures = 0;
                }
                let wait = backoff.delay(failures);
                failures += 1;
                warn!(stage = %J::STAGE, worker = %name, error = %e, ?wait, "worker stopped; restarting");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        }
    }
}

/// How often a worker looks whether its queue was paused or resumed.
fn pause_check(ctx: &Context) -> Duration {
    ctx.settings
        .queue
        .poll
        .clamp(Duration::from_secs(1), Duration::from_secs(2))
}

/// Whether `queue` is paused now; a store that does not answer counts as not paused
/// (the worker then meets the failure itself, and is restarted).
async fn paused(ctx: &Context, queue: &str) -> bool {
    match ctx.store.paused_queues().await {
        Ok(paused) => paused.iter().any(|(q, _)| q == queue),
        Err(e) => {
            debug!(queue, error = %e, "could not read paused queues");
            false
        }
    }
}

/// Waits while `queue` is paused: true when it is not (any more), false on shutdown.
async fn wait_while_paused(ctx: &Context, queue: &str, shutdown: &CancellationToken) -> bool {
    let mut said = false;
    while paused(ctx, queue).await {
        if !said {
            info!(queue, "queue paused: not claiming its jobs until it is resumed");
            said = true;
        }
        tokio::select! {
            () = tokio::time::sleep(pause_check(ctx)) => {}
            () = shutdown.cancelled() => return false,
        }
    }
    if said {
        info!(queue, "queue resumed");
    }
    !shutdown.is_cancelled()
}

/// Cancels `stop` once `queue` is paused. The worker then claims nothing more, lets its
/// running jobs finish, and puts back what it claimed but had not started.
async fn stop_when_paused(ctx: Arc<Context>, queue: &'static str, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(pause_check(&ctx)) => {}
            () = stop.cancelled() => return,
        }
        if paused(&ctx, queue).await {
            stop.cancel();
            return;
        }
    }
}

/// Records the worker's host, pid and concurrency for the console (best effort).
async fn register(ctx: &Context, name: &str, queue: &str, concurrency: usize) {
    let info = WorkerInfo {
        worker_id: name.to_owned(),
        queue: queue.to_owned(),
        host: hostname(),
        pid: i64::from(std::process::id()),
        concurrency: concurrency.max(1) as i64,
        started_at: now(),
    };
    if let Err(e) = ctx.store.register_worker_info(&info).await {
        debug!(worker = name, error = %e, "could not record the worker's details");
    }
}

/// Runs one worker until `stop` (Ok: shutdown, or its queue paused) or a backend
/// failure (Err). Only a shutdown limits how long running jobs may take to finish.
async fn run_worker<J: Handler>(
    ctx: Arc<Context>,
    name: &str,
    concurrency: usize,
    shutdown: CancellationToken,
    stop: CancellationToken,
) -> Result<(), WorkerError> {
    let q = &ctx.settings.queue;
    let signal = {
        async move {
            stop.cancelled().await;
            Ok::<(), std::io::Error>(())
        }
    };
    // The two backends' storages are different types with the same builder calls.
    macro_rules! run_on {
        ($backend:ident, $storage:ident, $pool:expr) => {{
            let config = $backend::Config::default()
                .queue(J::queue_name())
                .batch_size(concurrency.max(1))
                .heartbeat_interval(q.heartbeat)
                .missed_heartbeats(q.missed_heartbeats);
            let storage = $storage::<J>::new($pool)
                .with_config(config)
                .poll_with_strategy(Tick::new(q.poll));
            WorkerBuilder::new(name)
                .backend(storage)
                .concurrency(concurrency.max(1))
                .data(ctx.clone())
                .build(handle::<J>)
                .run_until(signal)
                .await
        }};
    }
    let run = async {
        match ctx.store.db() {
            Db::Sqlite(pool) => run_on!(apalis_sqlite, SqliteStorage, pool),
            Db::Postgres(pool) => run_on!(apalis_postgres, PostgresStorage, pool),
        }
    };
    // Boxed so the worker (and the jobs it is running) can really be dropped on timeout.
    let mut run = Box::pin(run);
    let grace = q.shutdown_grace;
    tokio::select! {
        result = &mut run => result,
        _ = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            // Running jobs did not finish in time: drop them and give them back.
            drop(run);
            match ctx.store.release_jobs(name).await {
                Ok(n) => info!(worker = name, released = n, "released unfinished jobs"),
                Err(e) => error!(worker = name, error = %e, "could not release jobs; they return after the heartbeat timeout"),
            }
            Ok(())
        }
    }
}

/// Wakes an idle worker every `poll` to look for jobs. apalis's own interval strategy
/// arms its next timer without polling it, so after a fetch that returns at once an
/// idle worker sleeps until its next heartbeat; here every poll leaves a timer armed.
struct Tick {
    timer: tokio::time::Interval,
    every: Duration,
}

impl Tick {
    fn new(every: Duration) -> Self {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { timer, every }
    }
}

impl Clone for Tick {
    fn clone(&self) -> Self {
        Self::new(self.every)
    }
}

impl PollStrategy for Tick {
    fn poll_drive(&mut self, cx: &mut std::task::Context<'_>, _: &PollSnapshot) -> std::task::Poll<Option<()>> {
        let mut fired = false;
        // Drain due ticks until one is pending: that one holds the waker.
        while self.timer.poll_tick(cx).is_ready() {
            fired = true;
        }
        if fired {
            std::task::Poll::Ready(Some(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// The apalis handler for every job type: checks attempts, runs the job, turns its
/// failure into a durable delayed retry or a dead job.
async fn handle<J: Handler>(
    job: J,
    ctx: Data<Arc<Context>>,
    attempt: Attempt,
    task_id: TaskId,
) -> Result<(), BoxDynError> {
    let ctx: Arc<Context> = (*ctx).clone();
    let attempt = attempt.current().max(1);
    let max = J::STAGE.max_attempts(&ctx.settings.queue);
    let span = info_span!("job", stage = %J::STAGE, key = %job.key(), attempt);
    async move {
        if attempt > max {
            // Only a job rescued from stopped workers gets here. Its last attempt's error,
            // when one was recorded (the LLM unreachable, say), is the real reason.
            let reason = match ctx.store.last_job_error(&task_id.to_string()).await {
                Ok(Some(error)) => format!("gave up after {max} attempts: {error}"),
                _ => format!("gave up after {max} attempts: its worker stopped each time"),
            };
            ctx.counters.jobs(J::STAGE).dead.inc();
            job.on_dead(&ctx, &reason).await;
            return Err(Box::new(AbortError::new(reason)) as BoxDynError);
        }
        let started = Instant::now();
        let result = job.run(&ctx).await;
        let elapsed = started.elapsed();
        let metrics = ctx.counters.jobs(J::STAGE);
        metrics.duration.observe(elapsed.as_secs_f64());
        let outcome = match &result {
            Ok(()) => &metrics.done,
            Err(JobError::Transient(_)) if attempt < max => &metrics.retried,
            Err(_) => &metrics.dead,
        };
        outcome.inc();
        match result {
            Ok(()) => {
                info!(?elapsed, "job done");
                Ok(())
            }
            Err(JobError::Permanent(reason)) => {
                warn!(%reason, "job failed for good");
                job.on_dead(&ctx, &reason).await;
                Err(Box::new(AbortError::new(reason)) as BoxDynError)
            }
            Err(JobError::Transient(reason)) if attempt >= max => {
                warn!(%reason, "job failed on its last attempt");
                job.on_dead(&ctx, &reason).await;
                Err(reason.into())
            }
            Err(JobError::Transient(reason)) => {
                let q = &ctx.settings.queue;
                let delay = Backoff {
                    base: q.retry_base,
                    max: q.retry_max,
                }
                .delay(attempt as u32 - 1);
                let when = now() + delay.as_secs().max(1) as i64;
                warn!(%reason, ?delay, "job failed; will retry");
                if let Err(e) = ctx.store.defer_job(&task_id.to_string(), when).await {
                    warn!(error = %e, "could not delay the retry; it runs at once");
                }
                Err(reason.into())
            }
        }
    }
    .instrument(span)
    .await
}
