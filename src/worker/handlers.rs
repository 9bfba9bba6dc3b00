//! The handlers: thin adapters from a queued job to a stage call and the next stage's
//! jobs.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use tracing::{debug, info};

use super::{Handler, JobError};
use crate::context::Context;
use crate::crawl::{self, CrawlError, LevelOutcome};
use crate::queue::enqueue;
use crate::queue::jobs::{CrawlJob, RenderJob, SummarizeJob};
use crate::store::{CrawlStatus, StoreError, now};
use crate::summarize::summary::SummarizeError;
use crate::summarize::{self, StageError, summarize_paper};

/// Summaries settled before a batch's progress is written: the progress moves during a
/// batch, and a crash repeats at most this many papers.
const SETTLE_EVERY: usize = 16;
/// Papers of one batch summarized at once (LLM calls and PDF downloads wait on the
/// network; their rate limits hold across them).
const PAPERS_AT_ONCE: usize = 4;

impl Handler for CrawlJob {
    async fn run(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        let (crawl_id, run, depth) = (self.crawl_id, self.run, self.depth);
        if crawl::run_cancelled(ctx, crawl_id, run).await? {
            info!(crawl_id, run, "job of a cancelled crawl, skipped");
            return Ok(());
        }
        ctx.counters.progress.set_crawl_level(depth);
        let summarize = ctx.store.crawl(crawl_id).await?.is_some_and(|c| c.summarize);
        // Each batch of papers, once stored, has its summaries queued: they are made while
        // the crawl waits on the API's rate limit for the next batch.
        let mut queue = |ids: Vec<String>| -> BoxFuture<'_, Result<(), CrawlError>> {
            Box::pin(async move {
                if summarize {
                    queue_summaries(ctx, crawl_id, run, depth, ids).await?;
                }
                Ok(())
            })
        };
        let outcome = crawl::run_level(ctx, crawl_id, run, depth, &mut queue)
            .await
            .map_err(crawl_failure)?;
        match outcome {
            LevelOutcome::Next(depth) => {
                enqueue(ctx, &[CrawlJob { depth, ..self.clone() }]).await?;
            }
            LevelOutcome::Finished => {
                ctx.store.mark_fetched(crawl_id, run, now()).await?;
                info!(crawl_id, run, "crawl fetched");
                render_when_settled(ctx, crawl_id, run).await?;
            }
            LevelOutcome::Superseded => {
                info!(crawl_id, run, "job of an older run, skipped");
            }
        }
        Ok(())
    }

    async fn on_dead(&self, ctx: &Arc<Context>, reason: &str) {
        if let Err(e) = ctx.store.fail_run(self.crawl_id, self.run, reason).await {
            tracing::error!(crawl_id = self.crawl_id, error = %e, "could not record a failed crawl");
        }
    }
}

fn crawl_failure(e: CrawlError) -> JobError {
    if e.is_transient() {
        JobError::Transient(e.to_string())
    } else {
        JobError::Permanent(e.to_string())
    }
}

/// Queues summaries for members of a run that have none settled or queued in it yet: those
/// whose summary is current are settled at once, the others go out in batches.
async fn queue_summaries(
    ctx: &Context,
    crawl_id: i64,
    run: i64,
    depth: i64,
    ids: Vec<String>,
) -> Result<(), StoreError> {
    let open: Vec<String> = ctx
        .store
        .summary_states(crawl_id, &ids)
        .await?
        .into_iter()
        .filter(|s| s.summarized_run != Some(run) && s.summary_queued_run != Some(run))
        .map(|s| s.paper_id)
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    let (current, todo) = summarize::split_current(ctx.summarize_deps(), &open).await?;
    ctx.store.mark_summaries(crawl_id, run, &current, true).await?;
    let size = ctx.settings.summarize.batch_size;
    // Queued before they are marked: a crash in between queues the same batches again
    // (the same papers make the same keys), never none.
    enqueue(ctx, &SummarizeJob::batches(crawl_id, run, depth, todo.clone(), size)).await?;
    ctx.store.mark_summaries(crawl_id, run, &todo, false).await
}

/// Asks for the run's render once its levels are fetched and every summary it wanted is
/// settled (made, current, or given up). Whoever gets there last asks; the render's key
/// makes it once.
async fn render_when_settled(ctx: &Context, crawl_id: i64, run: i64) -> Result<(), StoreError> {
    let Some(crawl) = ctx.store.crawl(crawl_id).await? else {
        return Ok(());
    };
    if crawl.run != run || !crawl.fetched() {
        return Ok(());
    }
    if !crawl.summarize || ctx.store.summaries_left(crawl_id, run).await? == 0 {
        enqueue(ctx, &[RenderJob::new(crawl_id, run, RenderJob::RUN)]).await?;
    }
    Ok(())
}

impl Handler for RenderJob {
    async fn run(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        let Some(crawl) = ctx.store.crawl(self.crawl_id).await? else {
            return Ok(());
        };
        if crawl.run == self.run && crawl.status == CrawlStatus::Cancelled {
            info!(
                crawl_id = self.crawl_id,
                run = self.run,
                "render of a cancelled crawl, skipped"
            );
            return Ok(());
        }
        if crawl.run != self.run {
            // A newer run renders what this one would have.
            info!(
                crawl_id = self.crawl_id,
                run = self.run,
                "render of an older run, skipped"
            );
            return Ok(());
        }
        match crate::render::render_crawl(ctx, self.crawl_id).await {
            Ok(report) => {
                info!(
                    crawl_id = self.crawl_id,
                    written = report.written(),
                    unchanged = report.unchanged(),
                    "rendered"
                );
            }
            Err(e) if e.is_transient() => return Err(JobError::Transient(e.to_string())),
            Err(e) => return Err(JobError::Permanent(e.to_string())),
        }
        if self.reason == RenderJob::RUN {
            let prefix = crate::queue::run_prefix(self.crawl_id, self.run);
            let failures = !ctx.store.dead_jobs(Some(&prefix), 1).await?.is_empty();
            ctx.store.finish_run(self.crawl_id, self.run, failures).await?;
            info!(crawl_id = self.crawl_id, run = self.run, failures, "crawl done");
        }
        Ok(())
    }

    async fn on_dead(&self, ctx: &Arc<Context>, reason: &str) {
        if self.reason == RenderJob::RUN
            && let Err(e) = ctx.store.finish_run(self.crawl_id, self.run, true).await
        {
            tracing::error!(crawl_id = self.crawl_id, %reason, error = %e, "could not end a run whose render died");
        }
    }
}

impl SummarizeJob {
    /// Records settled papers (made, or given up with the reason), and asks for the render
    /// when they were the run's last.
    async fn settle(&self, ctx: &Context, settled: &mut Vec<(String, Option<String>)>) -> Result<(), JobError> {
        if settled.is_empty() {
            return Ok(());
        }
        let left = ctx.store.finish_summaries(self.crawl_id, self.run, settled).await?;
        settled.clear();
        if left == 0 {
            render_when_settled(ctx, self.crawl_id, self.run).await?;
        }
        Ok(())
    }

    /// The batch's papers that this run has not settled yet: a re-run repeats only these.
    async fn unsettled(&self, ctx: &Context) -> Result<Vec<String>, StoreError> {
        Ok(ctx
            .store
            .summary_states(self.crawl_id, &self.papers)
            .await?
            .into_iter()
            .filter(|s| s.summarized_run != Some(self.run))
            .map(|s| s.paper_id)
            .collect())
    }
}

impl Handler for SummarizeJob {
    async fn run(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        let Some(crawl) = ctx.store.crawl(self.crawl_id).await? else {
            return Ok(());
        };
        if crawl.run != self.run || crawl.status == CrawlStatus::Cancelled {
            info!(
                crawl_id = self.crawl_id,
                run = self.run,
                "summaries of an older or cancelled run, skipped"
            );
            return Ok(());
        }
        let deps = ctx.summarize_deps();
        // What needs no network is summarized and settled in one go; the rest one by one.
        let batch = summarize::batch::summarize_local(deps, &self.unsettled(ctx).await?).await?;
        debug!(
            crawl_id = self.crawl_id,
            done = batch.done.len(),
            failed = batch.failed.len(),
            "summaries made here"
        );
        let mut settled: Vec<(String, Option<String>)> = batch.done.into_iter().map(|(id, _)| (id, None)).collect();
        for (paper_id, reason) in batch.failed {
            info!(%paper_id, %reason, "no summary");
            settled.push((paper_id, Some(reason)));
        }
        self.settle(ctx, &mut settled).await?;
        let mut retry: Option<String> = None;
        // The rest a few papers at a time, each chunk run to its end before the store is
        // asked anything else (settling, the cancel check): a paper's future left unpolled
        // meanwhile would keep the pool connection it holds, and with two jobs at once the
        // settle then waited 30 s for one that only those futures held.
        for chunk in batch.rest.chunks(SETTLE_EVERY) {
            let results: Vec<(String, Result<summarize::Outcome, StageError>)> =
                futures::stream::iter(chunk.iter().cloned())
                    .map(|id| async move {
                        let result = summarize_paper(deps, &id, false).await;
                        (id, result)
                    })
                    .buffer_unordered(PAPERS_AT_ONCE)
                    .collect()
                    .await;
            for (paper_id, result) in results {
                match result {
                    Ok(outcome) => {
                        debug!(%paper_id, ?outcome, "summary");
                        settled.push((paper_id, None));
                    }
                    // The LLM or the database is unwell: this paper stays unsettled and the
                    // batch is tried again later, for the unsettled papers only.
                    Err(StageError::Summarize(SummarizeError::Unavailable(reason))) => retry = Some(reason),
                    Err(StageError::Store(e)) => retry = Some(e.to_string()),
                    // This input cannot be summarized (or summaries are paused by a
                    // configuration error, reported once): the paper goes without one.
                    Err(e) => {
                        info!(%paper_id, reason = %e, "no summary");
                        settled.push((paper_id, Some(e.to_string())));
                    }
                }
            }
            self.settle(ctx, &mut settled).await?;
            if crawl::run_cancelled(ctx, self.crawl_id, self.run).await? {
                info!(
                    crawl_id = self.crawl_id,
                    run = self.run,
                    "crawl cancelled: batch stopped"
                );
                return Ok(());
            }
        }
        match retry {
            Some(reason) => Err(JobError::Transient(reason)),
            None => Ok(()),
        }
    }

    async fn on_dead(&self, ctx: &Arc<Context>, reason: &str) {
        tracing::warn!(crawl_id = self.crawl_id, papers = self.papers.len(), %reason, "summaries given up");
        let given_up = match self.unsettled(ctx).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "could not read which summaries were given up");
                return;
            }
        };
        let mut settled: Vec<(String, Option<String>)> =
            given_up.into_iter().map(|id| (id, Some(reason.to_owned()))).collect();
        if let Err(e) = self.settle(ctx, &mut settled).await {
            tracing::error!(error = %e, "could not record given-up summaries");
        }
    }
}
