//! One note per work, at render time: finds the crawl's papers that are one work (see
//! [`crate::graph::same_work`]) and records the merges before the graph is read, so the
//! kept paper's note carries the edges of both; then retires the notes the merged papers
//! had before, when nobody edited them (an edited one is the user's and stays).

use std::collections::HashSet;

use tracing::info;

use super::RenderError;
use super::naming::Names;
use super::retire::retire;
use crate::graph::CrawlGraph;
use crate::graph::same_work;
use crate::store::{MergeRow, Store, now};
use crate::vault::{NoteKey, Vault};

/// Finds and records the merges among a crawl's members; returns how many are new.
pub(super) async fn detect(store: &Store, crawl_id: i64) -> Result<usize, RenderError> {
    let (keys, existing, refusals) = futures::try_join!(
        store.member_identity_keys(crawl_id),
        store.merges(),
        store.merge_refusals()
    )?;
    let merged: HashSet<&str> = existing.iter().map(|m| m.merged_id.as_str()).collect();
    // Papers merged already keep their merge; the rest may gather new ones, and only
    // those sharing an id or a title with another are read in full.
    let open: Vec<_> = keys
        .into_iter()
        .filter(|p| !merged.contains(p.paper_id.as_str()))
        .collect();
    let wanted: Vec<String> = same_work::candidates(&open)
        .into_iter()
        .map(|i| open[i].paper_id.clone())
        .collect();
    let open = store.identities(&wanted).await?;
    let refused: HashSet<(String, String)> = refusals.into_iter().collect();
    let at = now();
    let found: Vec<MergeRow> = same_work::find(&open, &refused)
        .into_iter()
        .map(|f| MergeRow {
            merged_id: f.merged,
            kept_id: f.kept,
            reason: f.reason,
            merged_at: at,
        })
        .collect();
    for m in &found {
        info!(crawl_id, merged = %m.merged_id, kept = %m.kept_id, reason = %m.reason, "one note per work: merged");
    }
    store.record_merges(&found).await?;
    Ok(found.len())
}

/// Removes the unedited notes of papers merged into the graph's members.
pub(super) async fn retire_notes(
    store: &Store,
    vault: &Vault,
    names: &mut Names,
    graph: &CrawlGraph,
) -> Result<(), RenderError> {
    let merged: Vec<NoteKey> = graph
        .member_ids()
        .iter()
        .flat_map(|kept| graph.merged_into(kept))
        .map(|merged| NoteKey::paper(merged.as_str()))
        .collect();
    retire(store, vault, names, merged).await?;
    Ok(())
}
