//! Starting a run of a crawl, the one way the command line, the HTTP API and the refresh
//! all do it: find the crawl, decide whether its current run is still going, begin a new
//! run, and enqueue the run's first level.

use super::{CrawlError, CrawlRequest, ResolvedSeeds};
use crate::context::Context;
use crate::queue::jobs::CrawlJob;
use crate::queue::{enqueue, run_prefix};
use crate::store::{Crawl, CrawlStatus, NewCrawl, now};

/// Which run to start.
#[derive(Debug, Clone, Copy)]
pub enum Run<'a> {
    /// A run of the crawl a request names (new, or the same parameters again).
    Request {
        /// What the user asked for.
        request: &'a CrawlRequest,
        /// Its seeds, resolved.
        seeds: &'a ResolvedSeeds,
    },
    /// A refresh of a stored crawl: every member fetched again.
    Refresh {
        /// The crawl.
        crawl_id: i64,
        /// What asked for it (`cli`, `api`, `schedule`, …), recorded with the refresh.
        trigger: &'a str,
    },
}

/// What to do when the crawl's current run still has jobs to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfRunning {
    /// Leave it running and say so (the API, the dashboard, refreshes).
    Join,
    /// Start a new run anyway; the old run's jobs find they are superseded and do nothing
    /// (the command line, which resumes a crawl it was stopped in).
    Supersede,
}

/// What starting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A new run began; its first level is queued.
    Started(Crawl),
    /// The current run is still going; nothing was started.
    AlreadyRunning(Crawl),
}

impl Start {
    /// The crawl, as it is now.
    pub fn crawl(&self) -> &Crawl {
        match self {
            Self::Started(c) | Self::AlreadyRunning(c) => c,
        }
    }
}

/// Starts a run (see [`Run`]) unless, with [`IfRunning::Join`], the crawl's current run
/// still has live jobs.
pub async fn start(ctx: &Context, run: Run<'_>, if_running: IfRunning) -> Result<Start, CrawlError> {
    let store = &ctx.store;
    let existing = match run {
        Run::Request { request, seeds } => {
            store
                .find_crawl(
                    &seeds.ids(),
                    i64::from(request.depth),
                    request.direction,
                    request.max_papers.map(i64::from).unwrap_or(0),
                )
                .await?
        }
        Run::Refresh { crawl_id, .. } => Some(store.crawl(crawl_id).await?.ok_or(CrawlError::Gone(crawl_id))?),
    };
    if if_running == IfRunning::Join
        && let Some(crawl) = existing
        && is_running(ctx, &crawl).await?
    {
        return Ok(Start::AlreadyRunning(crawl));
    }
    let now = now();
    let crawl = match run {
        Run::Request { request, seeds } => {
            if let Some(batch) = &seeds.fetched {
                // The seeds are not members of any crawl yet: crawl id 0 marks nothing.
                store.record_batch(0, 0, batch, now).await?;
            }
            if request.from_library {
                store.mark_library(&seeds.ids(), now).await?;
            }
            let new = NewCrawl {
                seeds: seeds.found.clone(),
                seed_input: request.seed_label(),
                depth: i64::from(request.depth),
                direction: request.direction,
                max_papers: request.max_papers.map(i64::from).unwrap_or(0),
                summarize: request.summarize,
            };
            store.begin_run(&new, seeds.cutoff, now).await?
        }
        Run::Refresh { crawl_id, trigger } => store
            .begin_refresh_run(crawl_id, trigger, now)
            .await?
            .ok_or(CrawlError::Gone(crawl_id))?,
    };
    enqueue(
        ctx,
        &[CrawlJob {
            crawl_id: crawl.crawl_id,
            run: crawl.run,
            depth: 0,
        }],
    )
    .await?;
    Ok(Start::Started(crawl))
}

/// Whether the crawl's current run is still going: marked running, with live jobs.
pub async fn is_running(ctx: &Context, crawl: &Crawl) -> Result<bool, CrawlError> {
    Ok(crawl.status == CrawlStatus::Running && ctx.store.live_jobs(&run_prefix(crawl.crawl_id, crawl.run)).await? > 0)
}

/// What cancelling a crawl did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancel {
    /// Its run was running and is now cancelled; `removed` waiting jobs were deleted.
    Cancelled {
        /// The crawl, cancelled.
        crawl: Crawl,
        /// Jobs removed from the queues.
        removed: u64,
    },
    /// Its run had already ended (however): nothing changed.
    NotRunning(Crawl),
    /// There is no such crawl.
    Missing,
}

/// Cancels a crawl's current run: marked cancelled first (so a job that starts from
/// now on does nothing), then its waiting jobs removed. Jobs already running finish as
/// no-ops; the crawl stays cancelled until a new run (a refresh, the same crawl again)
/// starts.
pub async fn cancel(ctx: &Context, crawl_id: i64) -> Result<Cancel, crate::store::StoreError> {
    let Some(before) = ctx.store.crawl(crawl_id).await? else {
        return Ok(Cancel::Missing);
    };
    if before.status != CrawlStatus::Running {
        return Ok(Cancel::NotRunning(before));
    }
    let Some(crawl) = ctx.store.cancel_run(crawl_id).await? else {
        return Ok(Cancel::Missing);
    };
    if crawl.status != CrawlStatus::Cancelled || crawl.run != before.run {
        // It ended (or a new run began) between the two reads.
        return Ok(Cancel::NotRunning(crawl));
    }
    let removed = ctx.store.remove_waiting_jobs(&run_prefix(crawl_id, crawl.run)).await?;
    tracing::info!(crawl_id, run = crawl.run, removed, "crawl cancelled");
    Ok(Cancel::Cancelled { crawl, removed })
}

/// Whether `run` of the crawl was cancelled: its jobs then do nothing.
pub async fn run_cancelled(ctx: &Context, crawl_id: i64, run: i64) -> Result<bool, crate::store::StoreError> {
    Ok(ctx
        .store
        .crawl(crawl_id)
        .await?
        .is_some_and(|c| c.run == run && c.status == CrawlStatus::Cancelled))
}
