//! A batch of papers summarized in one go, when that needs nothing from the network: the
//! summarizer is local (extractive) and the paper has no open-access PDF to fetch. The
//! batch reads its papers and their cached summary keys in one query each, summarizes on
//! one blocking thread, and stores the new summaries in one transaction — a handful of
//! round trips for a hundred papers where the per-paper path ([`super::summarize_paper`])
//! makes four each. Papers that need the network (an LLM, a
//! PDF) are handed back for the per-paper path, which keeps their rate limits, retries
//! and isolation.

use std::collections::HashSet;
use std::sync::Arc;

use tracing::info;

use super::pdf::shielded;
use super::summary::{Request, Source, Summarizer};
use super::{Deps, Outcome, input_hash, summarized_hashes, text_without_pdf};
use crate::store::{StoreError, SummaryRow, now};

/// What a batch settled here, and what it leaves to the per-paper path.
#[derive(Debug, Default)]
pub struct Batch {
    /// Papers done here, with what was done.
    pub done: Vec<(String, Outcome)>,
    /// Papers the summarizer failed on, with why: they go without a summary.
    pub failed: Vec<(String, String)>,
    /// Papers that need the network: summarize them one by one.
    pub rest: Vec<String>,
}

/// A paper to summarize here: its id, title, text, where the text came from, and the
/// cache key they make.
struct Work {
    paper_id: String,
    title: String,
    text: String,
    source: Source,
    hash: String,
}

/// Summarizes what of `ids` can be summarized without the network, and hands back the
/// rest. With a summarizer that is not local, everything is handed back unread.
pub async fn summarize_local(ctx: Deps<'_>, ids: &[String]) -> Result<Batch, StoreError> {
    let summarizer = ctx.summarizer;
    if !summarizer.is_local() || ids.is_empty() {
        return Ok(Batch {
            rest: ids.to_vec(),
            ..Batch::default()
        });
    }
    let papers = ctx.store.papers(ids).await?;
    let mut batch = Batch::default();
    let mut work = Vec::new();
    let found: HashSet<&str> = papers.iter().map(|p| p.paper_id.as_str()).collect();
    // Not in the store: the per-paper path says so, paper by paper.
    batch
        .rest
        .extend(ids.iter().filter(|id| !found.contains(id.as_str())).cloned());
    for paper in &papers {
        if paper.pdf_url.is_some() {
            batch.rest.push(paper.paper_id.clone());
            continue;
        }
        match text_without_pdf(paper) {
            None => batch.done.push((paper.paper_id.clone(), Outcome::NoText)),
            Some((source, text)) => work.push(Work {
                paper_id: paper.paper_id.clone(),
                hash: input_hash(&paper.title, &text),
                title: paper.title.clone(),
                text,
                source,
            }),
        }
    }
    let keys: Vec<String> = work.iter().map(|w| w.paper_id.clone()).collect();
    let cached = summarized_hashes(ctx, &keys).await?;
    let (cached, todo): (Vec<Work>, Vec<Work>) = work
        .into_iter()
        .partition(|w| cached.get(&w.paper_id).is_some_and(|h| h.contains(&w.hash)));
    batch.done.extend(
        cached
            .into_iter()
            .map(|w| (w.paper_id, Outcome::Cached(w.source.as_str()))),
    );
    let mut rows = Vec::new();
    for (paper_id, made) in summarize_all(Arc::clone(summarizer), todo).await {
        match made {
            Made::Row(row, source) => {
                batch.done.push((paper_id, Outcome::Written(source.as_str())));
                rows.push(row);
            }
            Made::Failed(reason) => batch.failed.push((paper_id, reason)),
            Made::NotHere => batch.rest.push(paper_id),
        }
    }
    ctx.store.save_summaries(&rows).await?;
    for row in &rows {
        ctx.counters.summaries_written.inc();
        info!(paper_id = %row.paper_id, source = %row.source, model = %row.model, "summarized");
    }
    Ok(batch)
}

/// What summarizing one paper here made.
enum Made {
    /// A summary, to store.
    Row(SummaryRow, Source),
    /// The summarizer failed on this paper's text (it panicked): the paper goes without.
    Failed(String),
    /// Not summarized here: the per-paper path does it.
    NotHere,
}

/// Summarizes every paper of `todo` on one blocking thread (sentence scoring is CPU
/// work); a paper whose text makes the summarizer panic fails alone.
async fn summarize_all(summarizer: Arc<dyn Summarizer>, todo: Vec<Work>) -> Vec<(String, Made)> {
    if todo.is_empty() {
        return Vec::new();
    }
    let ids: Vec<String> = todo.iter().map(|w| w.paper_id.clone()).collect();
    let created_at = now();
    let made = tokio::task::spawn_blocking(move || {
        todo.into_iter()
            .map(|w| {
                let request = Request {
                    title: &w.title,
                    text: &w.text,
                    source: w.source,
                };
                let made = match shielded(|| summarizer.summarize_here(request)) {
                    Ok(Some(summary)) => Made::Row(
                        SummaryRow {
                            body: serde_json::to_string(&summary).unwrap_or_default(),
                            model: summarizer.model().to_owned(),
                            prompt_version: summarizer.prompt_version().to_owned(),
                            source: w.source.as_str().to_owned(),
                            paper_id: w.paper_id.clone(),
                            text_hash: w.hash,
                            created_at,
                        },
                        w.source,
                    ),
                    Ok(None) => Made::NotHere,
                    Err(reason) => Made::Failed(format!("the summarizer failed on this text: {reason}")),
                };
                (w.paper_id, made)
            })
            .collect()
    })
    .await;
    // The blocking thread was lost (the runtime is stopping): the per-paper path has them.
    made.unwrap_or_else(|_| ids.into_iter().map(|id| (id, Made::NotHere)).collect())
}
