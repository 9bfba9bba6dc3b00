//! `refnet papers merges` and `refnet papers unmerge ID`: the papers refnet took for one
//! work (a preprint and its published version), and undoing a wrong merge.

use std::collections::BTreeSet;

use super::crawl::{open_store, paper_in_store, require_store};
use super::{PapersAction, UsageError};
use crate::context::Context;
use crate::settings::Settings;
use crate::store::{MergeRow, Store, now};

/// Runs a `papers` action.
pub(super) async fn run(settings: Settings, action: PapersAction) -> anyhow::Result<()> {
    require_store(&settings)?;
    let store = open_store(&settings).await?;
    match action {
        PapersAction::Merges { json } => list(&store, json).await,
        PapersAction::Unmerge { id } => unmerge(settings, store, &id).await,
    }
}

async fn list(store: &Store, json: bool) -> anyhow::Result<()> {
    let merges = store.merges().await?;
    if json {
        let rows: Vec<serde_json::Value> = merges
            .iter()
            .map(|m| {
                serde_json::json!({
                    "merged": m.merged_id, "kept": m.kept_id, "reason": m.reason, "merged_at": m.merged_at,
                })
            })
            .collect();
        return super::out::line(&serde_json::json!({ "merges": rows }).to_string());
    }
    if merges.is_empty() {
        return super::out::line("no merged papers");
    }
    for m in &merges {
        super::out::line(&describe(store, m).await?)?;
    }
    Ok(())
}

/// `MERGED (title) → KEPT (title): reason`.
async fn describe(store: &Store, m: &MergeRow) -> anyhow::Result<String> {
    let ids = [m.merged_id.clone(), m.kept_id.clone()];
    let titles: std::collections::HashMap<String, String> = store
        .paper_titles(&ids)
        .await?
        .into_iter()
        .map(|(id, title, _)| (id, title))
        .collect();
    let title = |id: &str| titles.get(id).cloned().unwrap_or_default();
    Ok(format!(
        "{} ({}) → {} ({}): {}",
        m.merged_id,
        title(&m.merged_id),
        m.kept_id,
        title(&m.kept_id),
        m.reason
    ))
}

async fn unmerge(settings: Settings, store: Store, input: &str) -> anyhow::Result<()> {
    let found = paper_in_store(&store, input, "see `refnet papers merges`").await?;
    let undone = store.unmerge(&found, now()).await?;
    if undone.is_empty() {
        return Err(UsageError(format!(
            "paper {input} is not merged with another: see `refnet papers merges`"
        ))
        .into());
    }
    for m in &undone {
        super::out::line(&format!("unmerged {}", describe(&store, m).await?))?;
    }
    // The crawls whose notes showed the pair as one: rendered again, now as two notes.
    let kept: Vec<String> = undone.iter().map(|m| m.kept_id.clone()).collect();
    let crawls: BTreeSet<i64> = store.metrics_of(&kept).await?.into_iter().map(|m| m.crawl_id).collect();
    let ctx = Context::new(settings, store)?;
    for crawl_id in &crawls {
        crate::render::render_crawl(&ctx, *crawl_id).await?;
    }
    super::out::line(&format!(
        "rendered {} crawl(s) again; the pair is kept apart from now on",
        crawls.len()
    ))
}
