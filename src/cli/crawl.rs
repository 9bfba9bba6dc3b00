//! `refnet crawl`, `refnet render`, `refnet crawls`: the stages run in this process, on
//! the same queues a service would use, until the run's jobs are drained.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::signal::Shutdown;
use super::{CrawlArgs, Interrupted, UsageError, ui::Progress};
use crate::context::Context;
use crate::crawl::{self, CrawlError, CrawlRequest};
use crate::http::api_client;
use crate::ids::PaperId;
use crate::metrics::Counters;
use crate::queue::run_prefix;
use crate::s2::S2Client;
use crate::settings::Settings;
use crate::stage::Stage;
use crate::store::Store;
use crate::vault::Vault;
use crate::worker::{StageWorkers, run_workers};

/// Opens (creating and migrating) the configured database.
pub(super) async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Ok(Store::open(&settings.database_url()).await?)
}

/// Refuses a command that needs data when the vault has none yet.
pub(super) fn require_store(settings: &Settings) -> Result<(), UsageError> {
    if store_exists(settings) {
        return Ok(());
    }
    Err(UsageError(format!(
        "no refnet data in {}: run `refnet crawl <id>` first",
        settings.vault.display()
    )))
}

/// Whether the store exists already (so a seed can be looked up before anything is created).
pub(super) fn store_exists(settings: &Settings) -> bool {
    settings.database_url.is_some() || settings.default_sqlite_path().is_file()
}

pub(super) async fn run(mut settings: Settings, args: CrawlArgs, progress: Progress) -> anyhow::Result<()> {
    // Everything the user typed is checked before anything is written.
    let json = args.json;
    let request = crawl_request(&args)?;
    request
        .check()
        .map_err(|bad| UsageError(format!("--{} {}", bad.field.replace('_', "-"), bad.reason)))?;
    if settings.vault.exists() && !settings.vault.is_dir() {
        return Err(UsageError(crate::vault::VaultError::IsFile(settings.vault.clone()).to_string()).into());
    }
    for_the_command_line(&mut settings);
    // Before the first request: Ctrl-C at any point from here on stops the run cleanly.
    let shutdown = Shutdown::listen()?;
    let started = Instant::now();
    let counters = Arc::new(Counters::default());
    let s2 = S2Client::new(&settings.s2, api_client()?, counters.clone());
    let existing = if store_exists(&settings) {
        Some(open_store(&settings).await?)
    } else {
        None
    };
    let cutoff = crawl::fresh_cutoff_at(crate::store::now(), &settings);
    let openalex = crate::openalex::OpenAlexClient::new(&settings.openalex, api_client()?);
    let resolving = crawl::resolve_seeds(
        &s2,
        openalex.as_ref(),
        existing.as_ref(),
        &request,
        cutoff,
        settings.s2.batch_size,
    );
    // Ctrl-C while the seeds are looked up (a slow or hung API) ends here, cleanly.
    let resolved = tokio::select! {
        resolved = resolving => resolved,
        () = shutdown.requested() => {
            return Err(Interrupted("interrupted while looking up the seeds; nothing was written".to_owned()).into());
        }
    };
    let resolved = resolved.map_err(|e| match e {
        CrawlError::SeedNotFound(_) | CrawlError::SeedUnusable { .. } | CrawlError::SeedNotInS2(_) => {
            anyhow::Error::new(UsageError(e.to_string()))
        }
        other => anyhow::Error::new(other).context(format!("cannot start the crawl of {}", request.seed_label())),
    })?;
    for (seed, why) in &resolved.missing {
        tracing::warn!("seed {seed} left out: {why}");
    }
    Vault::open(&settings.vault).map_err(|e| UsageError(e.to_string()))?;
    let store = match existing {
        Some(store) => store,
        None => open_store(&settings).await?,
    };
    let ctx = Context::with_parts(settings, store, s2, counters)?;
    let run = crawl::Run::Request {
        request: &request,
        seeds: &resolved,
    };
    // The command line resumes a crawl it was stopped in: a new run takes over.
    let crawl = crawl::start(&ctx, run, crawl::IfRunning::Supersede)
        .await?
        .crawl()
        .clone();

    ctx.counters.files.enable();
    let outcome = drive(&ctx, &[(crawl.crawl_id, crawl.run)], &progress, &shutdown).await;
    progress.finish();
    outcome?;
    let summary = super::report::CrawlSummary::gather(&ctx, crawl.crawl_id, crawl.run, started.elapsed()).await?;
    summary.print(json)
}

/// Queue timing for a person waiting at a terminal: no long waits between its own jobs,
/// and Ctrl-C gives running jobs a moment, not the service's grace period (what they
/// leave is released and resumed by the next run, as after a kill).
pub(super) fn for_the_command_line(settings: &mut Settings) {
    settings.queue.poll = settings.queue.poll.min(Duration::from_millis(100));
    settings.queue.shutdown_grace = settings.queue.shutdown_grace.min(Duration::from_millis(300));
}

/// The crawl a command line asks for: its seeds (ids given, and the entries of a
/// `--from` library file), depth, direction, budget.
fn crawl_request(args: &CrawlArgs) -> anyhow::Result<CrawlRequest> {
    let mut seeds = Vec::new();
    for id in &args.ids {
        seeds.push(id.parse::<PaperId>().map_err(|e| UsageError(e.to_string()))?);
    }
    let mut label = None;
    if let Some(file) = &args.from {
        let name = file.display().to_string();
        let bytes = std::fs::read(file).map_err(|e| {
            UsageError(format!(
                "cannot read the library file {name} ({e}): give a BibTeX, CSL-JSON or RIS file"
            ))
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let library = crate::library::parse(&name, &text).map_err(|e| UsageError(e.to_string()))?;
        let unresolvable: Vec<String> = library
            .unresolvable()
            .map(|e| format!("{} (line {})", e.name, e.line))
            .collect();
        if !unresolvable.is_empty() {
            let shown = unresolvable.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
            let more = unresolvable.len().saturating_sub(10);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            tracing::warn!(
                "{} entries of {name} have no DOI, arXiv id, PMID or Semantic Scholar link and are left out: {shown}{tail}",
                unresolvable.len()
            );
        }
        seeds.extend(library.resolvable().filter_map(|e| e.best_id().cloned()));
        label = Some(if args.ids.is_empty() {
            name
        } else {
            format!("{} {name}", args.ids.join(" "))
        });
    }
    if seeds.is_empty() {
        return Err(UsageError(
            "no seed given: name one or more paper ids (refnet crawl ARXIV:1706.03762 DOI:10.…) or a library file (--from library.bib)"
                .to_owned(),
        )
        .into());
    }
    Ok(CrawlRequest {
        seeds,
        label,
        from_library: args.from.is_some(),
        depth: args.depth,
        direction: args.direction.into(),
        max_papers: args.max_papers,
        summarize: !args.no_summarize,
    })
}

/// Runs the stages in this process until the jobs of the given runs (crawl, run) are
/// drained, or Ctrl-C; the progress line says which stage each is at.
pub(super) async fn drive(
    ctx: &Arc<Context>,
    runs: &[(i64, i64)],
    progress: &Progress,
    signal: &Shutdown,
) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let stages: Vec<StageWorkers> = Stage::ALL
        .iter()
        .map(|&stage| StageWorkers { stage, concurrency: 1 })
        .collect();
    let workers = tokio::spawn(run_workers(ctx.clone(), stages, shutdown.clone()));
    let bar = progress.start();
    let mut interrupted = false;
    // Short: the run ends within a tick of its last job (a few queries per tick).
    let mut ticker = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = signal.requested() => {
                interrupted = true;
                break;
            }
        }
        let mut live = 0;
        let mut parts = Vec::new();
        for &(crawl_id, run) in runs {
            let (line, n) = stage_line(ctx, crawl_id, run).await?;
            live += n;
            parts.extend(line);
        }
        bar.set_message(parts.join(" · "));
        if live == 0 {
            break;
        }
    }
    if interrupted {
        bar.set_message("stopping: letting running jobs finish…");
    }
    shutdown.cancel();
    if interrupted {
        // The workers release what is still running after the short grace; past that,
        // nothing more is waited for (the next run resumes it, as after a kill).
        let _ = tokio::time::timeout(Duration::from_secs(1), workers).await;
    } else {
        let _ = workers.await;
    }
    if interrupted {
        return Err(Interrupted(
            "interrupted; what was fetched is kept: run the same command again to resume".to_owned(),
        )
        .into());
    }
    Ok(())
}

/// What a run is doing, for the progress line, and how many of its jobs are live.
async fn stage_line(ctx: &Context, crawl_id: i64, run: i64) -> anyhow::Result<(Vec<String>, i64)> {
    let prefix = run_prefix(crawl_id, run);
    let store = &ctx.store;
    let crawling = store.live_jobs(&format!("{prefix}crawl:")).await?;
    let summarizing = store.live_jobs(&format!("{prefix}summarize:")).await?;
    let rendering = store.live_jobs(&format!("{prefix}render:")).await?;
    let c = &ctx.counters;
    let (level, done, total) = c.progress.read();
    let mut parts = Vec::new();
    if crawling > 0 {
        let level = level
            .map(|l| format!("fetching level {l}"))
            .unwrap_or_else(|| "fetching".to_owned());
        parts.push(format!(
            "{level} · {} papers · {} requests",
            c.papers_fetched.get(),
            c.s2_requests.get()
        ));
        if let Some(waiting) = ctx.s2.waiting(Duration::from_secs(3)) {
            parts.push(waiting.describe());
        }
    }
    if summarizing > 0 {
        let p = store.summary_progress(crawl_id, run).await?;
        parts.push(format!("summarizing {}/{}", p.settled, p.queued));
    }
    if rendering > 0 {
        parts.push(if total > 0 {
            format!("writing notes {done}/{total}")
        } else {
            "writing notes".to_owned()
        });
    }
    let live = crawling + summarizing + rendering;
    if live > 0 {
        // A queue paused from the console holds this run too: say so, not a frozen bar.
        for (queue, _) in store.paused_queues().await? {
            parts.push(format!("{queue} queue paused (`refnet jobs resume {queue}`)"));
        }
    }
    Ok((parts, live))
}

/// The stored S2 id of a paper given in any id form; a usage error (naming `fix`) when
/// the id does not parse or the paper is not in the store.
pub(super) async fn paper_in_store(store: &Store, input: &str, fix: &str) -> anyhow::Result<String> {
    let id: crate::ids::PaperId = input
        .parse()
        .map_err(|e: crate::ids::ParseIdError| UsageError(e.to_string()))?;
    Ok(store
        .find_paper_by(&id)
        .await?
        .ok_or_else(|| UsageError(format!("paper {input} is not in the store: {fix}")))?
        .to_string())
}

/// `refnet render [--crawl ID]`: notes from the store, no API call.
pub(super) async fn render(settings: Settings, crawl: Option<i64>) -> anyhow::Result<()> {
    Vault::open(&settings.vault).map_err(|e| UsageError(e.to_string()))?;
    require_store(&settings)?;
    let store = open_store(&settings).await?;
    let ids: Vec<i64> = match crawl {
        Some(id) => vec![id],
        None => store.crawls().await?.into_iter().map(|c| c.crawl_id).collect(),
    };
    let ctx = Context::new(settings, store)?;
    let mut total = crate::render::RenderReport::default();
    let mut nothing_changed = true;
    for id in ids {
        let report = crate::render::render_crawl(&ctx, id).await.map_err(|e| match e {
            crate::render::RenderError::NoCrawl(_) => anyhow::Error::new(UsageError(e.to_string())),
            other => anyhow::Error::new(other),
        })?;
        nothing_changed &= report.nothing_changed;
        total.absorb(report);
    }
    let t = total.total();
    super::out::line(&format!(
        "rendered {} files: {} created, {} updated, {} unchanged, {} skipped, {} failed, {} with broken markers{}",
        total.files(),
        t.created,
        t.updated,
        t.unchanged,
        t.skipped,
        t.failed,
        total.broken.len(),
        if nothing_changed && total.files() > 0 {
            " (nothing changed since the last render)"
        } else {
            ""
        }
    ))?;
    if t.failed > 0 {
        anyhow::bail!(
            "{} files could not be written into {} (see the warnings above): make the folders writable and run `refnet render` again",
            t.failed,
            ctx.settings.vault.display()
        );
    }
    Ok(())
}

/// `refnet crawls [--json]`: a line per crawl, or one JSON object shaped like
/// `GET /api/crawls` with each crawl's paper count added.
pub(super) async fn list(settings: Settings, json: bool) -> anyhow::Result<()> {
    if !store_exists(&settings) {
        return super::out::line(if json { r#"{"crawls":[]}"# } else { "no crawls yet" });
    }
    let store = open_store(&settings).await?;
    let mut listed = Vec::new();
    for c in store.crawls().await? {
        let stats = store.crawl_stats(c.crawl_id).await?;
        if json {
            let mut value = crate::serve::api::crawl_json(&c);
            value["papers"] = stats.members.into();
            listed.push(value);
            continue;
        }
        super::out::line(&format!(
            "{:>4}  {:<28} depth {} {:<10} run {:<3} {:<8} {} papers",
            c.crawl_id, c.seed_input, c.depth, c.direction, c.run, c.status, stats.members
        ))?;
    }
    store.close().await;
    if json {
        super::out::line(&serde_json::json!({ "crawls": listed }).to_string())?;
    }
    Ok(())
}
