//! The end summary of `refnet crawl`: what the run fetched, summarized and wrote, each
//! file counted once by folder — as lines for people or, with `--json`, one JSON object
//! for scripts. A failed run is the error instead.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::context::Context;
use crate::queue::run_prefix;
use crate::store::{CrawlStats, CrawlStatus, SummaryProgress};

/// What a finished crawl run did.
#[derive(Debug, Serialize)]
pub(super) struct CrawlSummary {
    /// The seed as typed.
    seed: String,
    /// The crawl and its run.
    crawl: i64,
    run: i64,
    /// How the run ended.
    status: CrawlStatus,
    /// Wall time, in seconds.
    seconds: f64,
    /// Papers, edges, left out, truncated.
    papers: i64,
    not_found: i64,
    edges: i64,
    left_out: i64,
    truncated: i64,
    /// Requests to Semantic Scholar, and how many were throttled.
    requests: u64,
    throttled: u64,
    /// Summaries: queued in this run, made or given up, given up.
    summaries: SummaryProgress,
    /// The vault, and each of its folders' files: created, updated, unchanged, failed.
    vault: String,
    files: BTreeMap<String, BTreeMap<&'static str, usize>>,
}

impl CrawlSummary {
    /// Reads what the run did; a run that failed, died or could not write notes is an
    /// error naming why.
    pub(super) async fn gather(ctx: &Context, crawl_id: i64, run: i64, elapsed: Duration) -> anyhow::Result<Self> {
        let store = &ctx.store;
        let crawl = store
            .crawl(crawl_id)
            .await?
            .context("the crawl vanished from the store")?;
        if crawl.status == CrawlStatus::Failed {
            anyhow::bail!(
                "the crawl of {} stopped: {}; what was fetched is kept, run the same command again to resume",
                crawl.seed_input,
                crawl.error.unwrap_or_default()
            );
        }
        if crawl.status == CrawlStatus::Cancelled && crawl.run == run {
            anyhow::bail!(
                "the crawl of {} was cancelled (from the console or the API); what was fetched is kept, run the same command again to start it anew",
                crawl.seed_input
            );
        }
        if let Some(job) = store.dead_jobs(Some(&run_prefix(crawl_id, run)), 5).await?.first() {
            anyhow::bail!(
                "a {} job failed: {}; see `refnet jobs dead`",
                job.queue,
                job.last_result.clone().unwrap_or_default()
            );
        }
        let CrawlStats {
            members,
            missing,
            edges,
            left_out,
            truncated,
        } = store.crawl_stats(crawl_id).await?;
        let files = ctx.counters.files.by_folder();
        let failed: usize = files.values().filter_map(|f| f.get("failed")).sum();
        if failed > 0 {
            anyhow::bail!(
                "{failed} notes could not be written into {} (see the warnings above): make the folders writable and run the same command again",
                ctx.settings.vault.display()
            );
        }
        let c = &ctx.counters;
        Ok(Self {
            seed: crawl.seed_input,
            crawl: crawl_id,
            run,
            status: crawl.status,
            seconds: (elapsed.as_secs_f64() * 10.0).round() / 10.0,
            papers: members,
            not_found: missing,
            edges,
            left_out,
            truncated,
            requests: c.s2_requests.get(),
            throttled: c.s2_throttled.get(),
            summaries: store.summary_progress(crawl_id, run).await?,
            vault: ctx.settings.vault.display().to_string(),
            files,
        })
    }

    /// Prints the summary on stdout.
    pub(super) fn print(&self, json: bool) -> anyhow::Result<()> {
        if json {
            super::out::line(&serde_json::to_string(self)?)?;
            return Ok(());
        }
        let mut lines = vec![
            format!(
                "crawled {} (crawl {}, run {}) in {:.1}s",
                self.seed, self.crawl, self.run, self.seconds
            ),
            format!(
                "  papers     {} ({} not found on Semantic Scholar)",
                self.papers, self.not_found
            ),
            format!("  edges      {} between them", self.edges),
            format!(
                "  requests   {} to Semantic Scholar ({} throttled)",
                self.requests, self.throttled
            ),
            format!("  left out   {} by --max-papers", self.left_out),
            format!("  truncated  {} lists cut by the API's reach", self.truncated),
            format!(
                "  summaries  {} made or redone, {} given up (the others were current)",
                self.summaries.settled - self.summaries.failed,
                self.summaries.failed
            ),
        ];
        let total = |fate: &str| -> usize { self.files.values().filter_map(|f| f.get(fate)).sum() };
        lines.push(format!(
            "  files      {} created, {} updated, {} unchanged in {}",
            total("created"),
            total("updated"),
            total("unchanged"),
            self.vault
        ));
        for (folder, counts) in &self.files {
            let shown: Vec<String> = ["created", "updated", "unchanged", "skipped"]
                .iter()
                .filter_map(|fate| counts.get(fate).map(|n| format!("{n} {fate}")))
                .collect();
            let folder = if folder.is_empty() { "." } else { folder.as_str() };
            lines.push(format!("    {folder:<22} {}", shown.join(", ")));
        }
        for line in lines {
            super::out::line(&line)?;
        }
        Ok(())
    }
}
