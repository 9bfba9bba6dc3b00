//! `refnet summarize`: summarize papers from the store again (new ones, or all with
//! `--force`), a batch at a time where no network is needed and a few at a time where it
//! is, then re-render the notes of the crawls they belong to.

use std::collections::BTreeSet;

use anyhow::Context as _;
use futures::StreamExt;

use super::UsageError;
use crate::context::Context;
use crate::settings::Settings;
use crate::summarize::batch::summarize_local;
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
    // Unless forced, what needs no network is made a batch at a time; the rest, and
    // everything with --force, one paper at a time.
    let mut one_by_one = Vec::new();
    if force {
        one_by_one.clone_from(&ids);
    } else {
        for chunk in ids.chunks(ctx.settings.summarize.batch_size.max(1)) {
            let batch = summarize_local(ctx.summarize_deps(), chunk).await?;
            for (_, outcome) in &batch.done {
                count(outcome, &mut written, &mut cached, &mut without_text);
            }
            failures.extend(batch.failed.iter().map(|(id, reason)| format!("{id}: {reason}")));
            one_by_one.extend(batch.rest);
        }
    }
    let mut results = futures::stream::iter(one_by_one.iter().map(|id| {
        let ctx = ctx.clone();
        async move { (id.clone(), summarize_paper(ctx.summarize_deps(), id, force).await) }
    }))
    .buffer_unordered(concurrency);
    while let Some((id, result)) = results.next().await {
        match result {
            Ok(outcome) => count(&outcome, &mut written, &mut cached, &mut without_text),
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

/// Adds an outcome to its count.
fn count(outcome: &Outcome, written: &mut usize, cached: &mut usize, without_text: &mut usize) {
    match outcome {
        Outcome::Written(_) => *written += 1,
        Outcome::Cached(_) => *cached += 1,
        Outcome::NoText => *without_text += 1,
    }
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
