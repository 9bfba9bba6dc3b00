//! The job types and their handlers: thin adapters from a queued job to a stage call and
//! the next stage's jobs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tracing::info;

use super::{Job, JobError, enqueue, run_prefix};
use crate::context::Context;
use crate::crawl::{self, CrawlError, LevelOutcome};
use crate::stage::Stage;
use crate::store::now;

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

    async fn run(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        let outcome = crawl::run_level(ctx, self.crawl_id, self.run, self.depth)
            .await
            .map_err(crawl_failure)?;
        match outcome {
            LevelOutcome::Next(depth) => {
                enqueue(ctx, &[CrawlJob { depth, ..self.clone() }]).await?;
            }
            LevelOutcome::Finished => {
                ctx.store.finish_run(self.crawl_id, self.run, now()).await?;
                info!(crawl_id = self.crawl_id, run = self.run, "crawl fetched");
                // The notes first (without new summaries), then a summary job per paper;
                // the last one to finish asks for the render that shows them.
                enqueue(ctx, &[RenderJob::new(self.crawl_id, self.run, "crawl")]).await?;
                let wanted = ctx.store.crawl(self.crawl_id).await?.is_some_and(|c| c.summarize);
                if wanted {
                    // A refresh summarizes what is new; a crawl asks for every summary
                    // (the cache answers for those made before).
                    let members = if ctx.store.refresh(self.crawl_id, self.run).await?.is_some() {
                        ctx.store.refresh_summary_targets(self.crawl_id, self.run).await?
                    } else {
                        ctx.store.members(self.crawl_id).await?
                    };
                    let jobs: Vec<SummarizeJob> = members
                        .into_iter()
                        .filter(|m| m.missing.is_none())
                        .map(|m| SummarizeJob {
                            crawl_id: self.crawl_id,
                            run: self.run,
                            paper_id: m.paper_id,
                            priority: m.priority,
                        })
                        .collect();
                    enqueue(ctx, &jobs).await?;
                }
            }
            LevelOutcome::Superseded => {
                info!(crawl_id = self.crawl_id, run = self.run, "job of an older run, skipped");
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

    async fn run(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        match crate::render::render_crawl(ctx, self.crawl_id).await {
            Ok(report) => {
                info!(
                    crawl_id = self.crawl_id,
                    written = report.written,
                    unchanged = report.unchanged,
                    "rendered"
                );
                Ok(())
            }
            Err(e) if e.is_transient() => Err(JobError::Transient(e.to_string())),
            Err(e) => Err(JobError::Permanent(e.to_string())),
        }
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

impl SummarizeJob {
    /// Marks this paper's summary job of the run finished; the last one asks for a render.
    async fn finish(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        let left = ctx
            .store
            .finish_summary(self.crawl_id, self.run, &self.paper_id)
            .await?;
        if left == 0 {
            enqueue(ctx, &[RenderJob::new(self.crawl_id, self.run, "summaries")]).await?;
        }
        Ok(())
    }
}

impl Job for SummarizeJob {
    const STAGE: Stage = Stage::Summarize;

    fn key(&self) -> String {
        format!("{}summarize:{}", run_prefix(self.crawl_id, self.run), self.paper_id)
    }

    fn priority(&self) -> i32 {
        self.priority.clamp(0, 10) as i32
    }

    async fn run(&self, ctx: &Arc<Context>) -> Result<(), JobError> {
        use crate::summarize::{StageError, summarize_paper, summary::SummarizeError};
        match summarize_paper(ctx.summarize_deps(), &self.paper_id, false).await {
            Ok(outcome) => info!(paper_id = %self.paper_id, ?outcome, "summary"),
            // The LLM or the database is unwell: try again later.
            Err(StageError::Summarize(SummarizeError::Unavailable(reason))) => return Err(JobError::Transient(reason)),
            Err(StageError::Store(e)) => return Err(JobError::Transient(e.to_string())),
            // Paused by a configuration error (already reported once), or this input
            // cannot be summarized: the paper goes without a summary; the run goes on.
            Err(e) => info!(paper_id = %self.paper_id, reason = %e, "no summary"),
        }
        self.finish(ctx).await
    }

    async fn on_dead(&self, ctx: &Arc<Context>, reason: &str) {
        tracing::warn!(paper_id = %self.paper_id, %reason, "summary given up");
        if let Err(e) = self.finish(ctx).await {
            tracing::error!(paper_id = %self.paper_id, error = %e, "could not record a given-up summary");
        }
    }
}
