//! `refnet summarize`: summarize papers from the store again (new ones, or all with
//! `--force`), a few at a time, then re-render the notes of the crawls they belong to.

use std::collections::BTreeSet;

use anyhow::Context as _;
use futures::StreamExt;

use super::UsageError;
use crate::context::Context;
use crate::settings::Settings;
use crate::summarize::{Outcome, summarize_paper};

pub(super) async fn run(
    settings: Settings,
    crawl: Option<i64>,
    paper: Option<String>,
    force: bool,
) -> anyhow::Result<()> {
    if !super::crawl::store_exists(&settings) {
        return Err(UsageError(format!(
            "no refnet data in {}: run `refnet crawl <id>` first",
            settings.vault.display()
        ))
        .into());
    }
    let store = super::crawl::open_store(&settings).await?;
    let concurrency = settings.queue.concurrency.summarize.max(1);
    let ctx = Context::new(settings, store)?;
    let (ids, crawls) = targets(&ctx, crawl, paper).await?;
    let mut written = 0;
    let mut cached = 0;
    let mut without_text = 0;
    let mut failures = Vec::new();
    let mut results = futures::stream::iter(ids.iter().map(|id| {
        let ctx = ctx.clone();
        async move { (id.clone(), summarize_paper(ctx.summarize_deps(), id, force).await) }
    }))
    .buffer_unordered(concurrency);
    while let Some((id, result)) = results.next().await {
        match result {
            Ok(Outcome::Written(_)) => written += 1,
            Ok(Outcome::Cached(_)) => cached += 1,
            Ok(Outcome::NoText) => without_text += 1,
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    drop(results);
    for crawl_id in &crawls {
        crate::render::render_crawl(&ctx, *crawl_id)
            .await
            .with_context(|| format!("rendering crawl {crawl_id}"))?;
    }
    super::out::line(&format!(
        "summarized {} papers: {written} new, {cached} already cached, {without_text} without any text, {} failed",
        ids.len(),
        failures.len()
    ))?;
    if let Some(first) = failures.first() {
        anyhow::bail!("{} summaries failed, the first: {first}", failures.len());
    }
    Ok(())
}

/// The papers to summarize and the crawls whose notes show them.
async fn targets(ctx: &Context, crawl: Option<i64>, paper: Option<String>) -> anyhow::Result<(Vec<String>, Vec<i64>)> {
    let store = &ctx.store;
    if let Some(input) = paper {
        let found = super::crawl::paper_in_store(store, &input, "crawl it first").await?;
        let crawls = store
            .metrics_of(std::slice::from_ref(&found))
            .await?
            .into_iter()
            .map(|m| m.crawl_id)
            .collect::<BTreeSet<_>>();
        return Ok((vec![found], crawls.into_iter().collect()));
    }
    let crawls: Vec<i64> = match crawl {
        Some(id) => {
            store
                .crawl(id)
                .await?
                .ok_or_else(|| UsageError(format!("crawl {id} does not exist: list crawls with `refnet crawls`")))?;
            vec![id]
        }
        None => store.crawls().await?.into_iter().map(|c| c.crawl_id).collect(),
    };
    let mut ids = BTreeSet::new();
    for id in &crawls {
        ids.extend(store.fetched_members(*id).await?.into_iter().map(|(p, _)| p));
    }
    Ok((ids.into_iter().collect(), crawls))
}
