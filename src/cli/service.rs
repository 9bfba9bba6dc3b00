//! `refnet worker`, `refnet serve`, `refnet refresh`, `refnet jobs` and `refnet check`:
//! the commands of a long-lived service and its housekeeping.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::info;

use super::crawl::{drive, open_store, require_store};
use super::signal::Shutdown;
use super::{JobsAction, ServeArgs, UsageError, WorkerArgs, ui::Progress};
use crate::context::Context;
use crate::refresh::{self, RefreshStart};
use crate::serve::{self, AppState};
use crate::settings::Settings;
use crate::stage::Stage;
use crate::store::{CrawlStatus, Store, now};
use crate::vault::Vault;
use crate::worker::{StageWorkers, run_workers, worker_name};

/// The configured concurrency of a stage.
fn concurrency_of(settings: &Settings, stage: Stage) -> usize {
    let c = &settings.queue.concurrency;
    match stage {
        Stage::Crawl => c.crawl,
        Stage::Summarize => c.summarize,
        Stage::Render => c.render,
    }
    .max(1)
}

/// Binds an HTTP listener, or says which address to change.
async fn listen(addr: SocketAddr, flag: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        UsageError(format!(
            "cannot listen on {addr} ({e}): choose a free address with {flag}"
        ))
        .into()
    })
}

/// Opens the store and the context of a service process.
async fn service_context(settings: Settings) -> anyhow::Result<Arc<Context>> {
    Vault::open(&settings.vault).map_err(|e| UsageError(e.to_string()))?;
    let store = open_store(&settings).await?;
    Context::new(settings, store)
}

/// `refnet worker --stage … [--concurrency N] [--metrics-bind ADDR]`.
pub(super) async fn worker(settings: Settings, args: WorkerArgs) -> anyhow::Result<()> {
    if let Some(addr) = &args.metrics_bind {
        serve::check_bind(addr, settings.serve.api_token.as_ref()).map_err(UsageError)?;
    }
    if args.concurrency == Some(0) {
        return Err(UsageError("--concurrency 0 would run nothing: give at least 1".to_owned()).into());
    }
    let mut stages = args.stages.clone();
    stages.sort();
    stages.dedup();
    let workers: Vec<StageWorkers> = stages
        .iter()
        .map(|&stage| StageWorkers {
            stage,
            concurrency: args.concurrency.unwrap_or_else(|| concurrency_of(&settings, stage)),
        })
        .collect();
    let metrics = match args.metrics_bind {
        Some(addr) => Some(listen(addr, "--metrics-bind").await?),
        None => None,
    };
    let ctx = service_context(settings).await?;
    // Listening before the line that says it runs: a signal sent on that line is kept.
    let stop = Shutdown::listen()?;
    let shutdown = CancellationToken::new();
    let http = metrics.map(|listener| {
        let addr = listener.local_addr().ok();
        let router = serve::metrics_router(AppState::new(ctx.clone(), ctx.settings.serve.api_token.clone()));
        if let Some(addr) = addr {
            let _ = super::out::line(&format!("metrics on http://{addr}/metrics"));
        }
        tokio::spawn(serve::run(listener, router, shutdown.clone()))
    });
    let names: Vec<String> = workers
        .iter()
        .map(|w| format!("{} ×{}", w.stage, w.concurrency))
        .collect();
    let _ = super::out::line(&format!("worker running: {}", names.join(", ")));
    info!(stages = %names.join(", "), "worker started");
    let running = tokio::spawn(run_workers(ctx.clone(), workers, shutdown.clone()));
    stop.requested().await;
    info!("stopping: no new jobs; running ones finish or are released");
    shutdown.cancel();
    let _ = running.await;
    if let Some(http) = http {
        let _ = http.await;
    }
    ctx.store.close().await;
    let _ = super::out::line("worker stopped");
    Ok(())
}

/// `refnet serve [--bind ADDR] [--no-workers]`.
pub(super) async fn serve(settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let bind = settings.serve.bind;
    serve::check_bind(&bind, settings.serve.api_token.as_ref()).map_err(UsageError)?;
    refresh::Schedule::parse(&settings.serve.refresh_cron).map_err(UsageError)?;
    let listener = listen(bind, "--bind or REFNET_BIND").await?;
    let ctx = service_context(settings).await?;
    // Listening before the line that says it serves: a signal sent on that line is kept.
    let stop = Shutdown::listen()?;
    let shutdown = CancellationToken::new();
    let owner = worker_name(Stage::Crawl).replacen("crawl", "serve", 1);
    let mut scheduler = refresh::start_scheduler(ctx.clone(), owner).await?;
    let workers = (!args.no_workers).then(|| {
        let all: Vec<StageWorkers> = Stage::ALL
            .iter()
            .map(|&stage| StageWorkers {
                stage,
                concurrency: concurrency_of(&ctx.settings, stage),
            })
            .collect();
        tokio::spawn(run_workers(ctx.clone(), all, shutdown.clone()))
    });
    let state = AppState::new(ctx.clone(), ctx.settings.serve.api_token.clone());
    let addr = listener.local_addr().unwrap_or(bind);
    let http = tokio::spawn(serve::run(listener, serve::router(state), shutdown.clone()));
    let sampler = tokio::spawn(serve::sampler::run(ctx.clone(), shutdown.clone()));
    let _ = super::out::line(&format!("serving on http://{addr}/"));
    info!(%addr, workers = !args.no_workers, "serving");
    stop.requested().await;
    info!("stopping: no new requests or jobs; running jobs finish or are released");
    shutdown.cancel();
    if let Err(e) = scheduler.shutdown().await {
        info!(error = %e, "scheduler stopped with an error");
    }
    if let Some(workers) = workers {
        let _ = workers.await;
    }
    let _ = http.await;
    let _ = sampler.await;
    ctx.store.close().await;
    let _ = super::out::line("stopped");
    Ok(())
}

/// `refnet refresh [--crawl ID] [--enqueue]`.
pub(super) async fn refresh(
    mut settings: Settings,
    crawl: Option<i64>,
    enqueue_only: bool,
    progress: Progress,
) -> anyhow::Result<()> {
    require_store(&settings)?;
    super::crawl::for_the_command_line(&mut settings);
    let ctx = service_context(settings).await?;
    let started = match crawl {
        Some(id) => vec![refresh::refresh_crawl(&ctx, id, "command").await?],
        None => refresh::refresh_all(&ctx, "command").await?,
    };
    let mut runs = Vec::new();
    for s in &started {
        match s {
            RefreshStart::Missing { crawl_id } => {
                return Err(UsageError(format!("no crawl {crawl_id}: see `refnet crawls` for the ids")).into());
            }
            RefreshStart::Busy { crawl_id, run } => {
                super::out::line(&format!("crawl {crawl_id} is still running (run {run}): not refreshed"))?;
            }
            RefreshStart::Started { crawl_id, run } => runs.push((*crawl_id, *run)),
        }
    }
    if runs.is_empty() {
        if started.is_empty() {
            super::out::line("no crawls to refresh")?;
        }
        return Ok(());
    }
    if enqueue_only {
        for (id, run) in &runs {
            super::out::line(&format!("refresh of crawl {id} queued (run {run}) for the workers"))?;
        }
        return Ok(());
    }
    let outcome = drive(&ctx, &runs, &progress, &Shutdown::listen()?).await;
    progress.finish();
    outcome?;
    let notes = ctx.store.notes().await?;
    for (id, run) in runs {
        let news = ctx.store.news(id, run).await?;
        let added = news.iter().filter(|n| n.added).count();
        let cited_more = news
            .iter()
            .filter(|n| !n.added && n.citations_now.unwrap_or(0) > n.citations_before.unwrap_or(0))
            .count();
        let crawl = ctx.store.crawl(id).await?;
        if let Some(c) = crawl.filter(|c| c.status == CrawlStatus::Failed) {
            anyhow::bail!(
                "the refresh of crawl {id} stopped: {}; run `refnet refresh --crawl {id}` again",
                c.error.unwrap_or_default()
            );
        }
        let key = crate::vault::NoteKey::News { crawl: id, run };
        let note = notes
            .iter()
            .find(|n| n.note_key == key)
            .map(|n| format!("; what's new: {}", n.path))
            .unwrap_or_else(|| "; nothing new".to_owned());
        super::out::line(&format!(
            "refreshed crawl {id} (run {run}): {added} new papers, {cited_more} cited more{note}"
        ))?;
    }
    Ok(())
}

/// `refnet jobs … [--json]`: lines for people, or one JSON object (`{"jobs": […]}` for
/// `dead`, the shape of `GET /api/jobs/dead`; `{"requeued": n}`; `{"jobs": n, "workers":
/// n}` pruned).
pub(super) async fn jobs(settings: Settings, action: JobsAction, json: bool) -> anyhow::Result<()> {
    require_store(&settings)?;
    let store = open_store(&settings).await?;
    match action {
        JobsAction::Dead { limit } => {
            let dead = store.dead_jobs(None, limit.max(1)).await?;
            if json {
                super::out::line(&serde_json::json!({ "jobs": dead }).to_string())?;
            } else if dead.is_empty() {
                super::out::line("no dead jobs")?;
            }
            let lines = if json { Vec::new() } else { dead };
            for j in lines {
                let error: String = j
                    .last_result
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                super::out::line(&format!(
                    "{}  {:<9} attempts {}  {}  {}",
                    j.id,
                    j.queue,
                    j.attempts,
                    j.key.unwrap_or_default(),
                    error
                ))?;
            }
        }
        JobsAction::Retry { id, all } => {
            let n = match (id, all) {
                (Some(id), _) => {
                    let n = store.retry_dead(Some(&id)).await?;
                    if n == 0 {
                        return Err(UsageError(format!("no dead job {id}: see `refnet jobs dead`")).into());
                    }
                    n
                }
                (None, true) => store.retry_dead(None).await?,
                (None, false) => {
                    return Err(UsageError("give a job id (see `refnet jobs dead`) or --all".to_owned()).into());
                }
            };
            super::out::line(&if json {
                serde_json::json!({ "requeued": n }).to_string()
            } else {
                format!("{n} dead {} queued again", if n == 1 { "job" } else { "jobs" })
            })?;
        }
        JobsAction::Pause { queue } | JobsAction::Resume { queue } => {
            let pause = matches!(action, JobsAction::Pause { .. });
            let changed = if pause {
                store.pause_queue(queue.queue(), now()).await?
            } else {
                store.resume_queue(queue.queue()).await?
            };
            let state = if pause { "paused" } else { "running" };
            super::out::line(&if json {
                serde_json::json!({ "queue": queue.queue(), "paused": pause, "changed": changed }).to_string()
            } else if changed {
                format!("queue {queue} {state}")
            } else {
                format!("queue {queue} was already {state}")
            })?;
        }
        JobsAction::Prune { older_than_days } => {
            let keep = older_than_days
                .map(|d| Duration::from_secs(d * 86_400))
                .unwrap_or(settings.queue.retention);
            let before = now() - keep.as_secs() as i64;
            let jobs = store.prune_jobs(before).await?;
            let workers = store.prune_workers(before).await?;
            super::out::line(&if json {
                serde_json::json!({ "jobs": jobs, "workers": workers }).to_string()
            } else {
                format!("pruned {jobs} finished or dead jobs and {workers} departed workers")
            })?;
        }
    }
    store.close().await;
    Ok(())
}

/// `refnet check [--stage S]… [--http URL]`: exit 0 when healthy, 1 with the problem.
pub(super) async fn check(settings: Settings, stages: Vec<Stage>, http: Option<String>) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database_url()).await?;
    store.ping().await?;
    if !store.schema_current().await? {
        anyhow::bail!("the database schema is not current: run `refnet migrate`");
    }
    let window = settings.queue.liveness().as_secs() as i64;
    if !stages.is_empty() {
        let seen = store.workers_seen(now() - window).await?;
        for stage in stages {
            if !seen.iter().any(|w| w.queue == stage.queue()) {
                anyhow::bail!("no {stage} worker has heartbeated in the last {window} s");
            }
        }
    }
    if let Some(url) = http {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))?;
        if !response.status().is_success() {
            anyhow::bail!("{url} answered {}", response.status());
        }
    }
    store.close().await;
    super::out::line("ok")?;
    Ok(())
}
