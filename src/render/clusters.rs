//! Cluster notes (`refnet/clusters/`): a name for each cluster of the crawl's analysis,
//! the labels users gave their cluster notes read back into the store (so every paper
//! note shows the cluster by the user's name), the notes themselves, and retiring the
//! notes of clusters that vanished.

use std::collections::{HashMap, HashSet};

use super::book::PaperBook;
use super::naming::{Names, Wanted};
use super::{RenderError, RenderReport, blocking, write_jobs};
use crate::context::Context;
use crate::render::notes::cluster::{self, ClusterInput, LABEL_KEY};
use crate::store::{Cluster, CrawlAnalysis, Store};
use crate::summarize::summary::Summary;
use crate::vault::folders::CLUSTERS_DIR;
use crate::vault::merge::frontmatter_value;
use crate::vault::write::NoteJob;
use crate::vault::{Existing, NoteKey, NoteName, Vault};

/// Prior works a cluster note lists.
const PRIOR_LISTED: usize = 10;
/// Neighbouring clusters a cluster note lists.
const NEIGHBOURS_LISTED: usize = 5;

fn key(crawl_id: i64, c: &Cluster) -> NoteKey {
    NoteKey::Cluster {
        crawl: crawl_id,
        cluster: c.id,
    }
}

/// Names for the clusters that have no note yet: the label, then the label with the
/// crawl, then with the cluster's id.
pub(super) fn wanted(crawl_id: i64, analysis: &CrawlAnalysis, names: &Names) -> Vec<Wanted<'static>> {
    analysis
        .clusters
        .iter()
        .filter(|c| !names.has(&key(crawl_id, c)))
        .map(|c| {
            let base = NoteName::from_title(&c.label);
            Wanted {
                key: key(crawl_id, c),
                folder: CLUSTERS_DIR,
                candidates: vec![
                    base.clone(),
                    base.with_suffix(&format!("crawl {crawl_id}")),
                    base.with_suffix(&format!("crawl {crawl_id} cluster {}", c.id)),
                ]
                .into(),
            }
        })
        .collect()
}

/// Reads the `label` of each cluster note: one the user changed becomes the cluster's
/// label (stored, so it survives re-analysis while the cluster keeps its id).
pub(super) async fn read_labels(
    store: &Store,
    vault: &Vault,
    names: &Names,
    crawl_id: i64,
    analysis: &mut CrawlAnalysis,
) -> Result<(), RenderError> {
    let notes: Vec<(i64, String, String)> = analysis
        .clusters
        .iter()
        .filter_map(|c| {
            let path = names.row(&key(crawl_id, c))?.path().to_owned();
            Some((c.id, path, cluster::cluster_identity(crawl_id, c.id)))
        })
        .collect();
    if notes.is_empty() {
        return Ok(());
    }
    let moved = names.moved();
    let labels = blocking(vault, move |v| {
        notes
            .into_iter()
            .filter_map(|(id, path, identity)| {
                let at = if v.exists(&path) {
                    path
                } else {
                    moved.get(&format!("refnet_cluster:{identity}")).cloned()?
                };
                match v.read(&at) {
                    Existing::Text(text) => Some((id, frontmatter_value(&text, LABEL_KEY)?)),
                    _ => None,
                }
            })
            .collect::<Vec<_>>()
    })
    .await?;
    for (id, label) in labels {
        let label = label.trim().to_owned();
        let Some(c) = analysis.clusters.iter_mut().find(|c| c.id == id) else {
            continue;
        };
        if label.is_empty() || label == c.label {
            continue;
        }
        store.set_cluster_label(crawl_id, id, Some(&label)).await?;
        c.label.clone_from(&label);
        c.user_label = Some(label);
    }
    Ok(())
}

/// Retires the notes of the crawl's clusters the analysis no longer has (a refresh moved
/// their papers elsewhere): removed when nobody edited them, else left to the user.
pub(super) async fn retire_vanished(
    store: &Store,
    vault: &Vault,
    names: &mut Names,
    crawl_id: i64,
    analysis: &CrawlAnalysis,
) -> Result<(), RenderError> {
    let live: HashSet<i64> = analysis.clusters.iter().map(|c| c.id).collect();
    let gone: Vec<NoteKey> = names
        .keys()
        .filter(|k| matches!(k, NoteKey::Cluster { crawl, cluster } if *crawl == crawl_id && !live.contains(cluster)))
        .cloned()
        .collect();
    super::retire::retire(store, vault, names, gone).await?;
    Ok(())
}

/// The crawl's cluster notes by cluster id.
pub(super) fn notes_of(crawl_id: i64, analysis: &CrawlAnalysis, names: &Names) -> HashMap<i64, NoteName> {
    analysis
        .clusters
        .iter()
        .filter_map(|c| Some((c.id, names.name(&key(crawl_id, c))?)))
        .collect()
}

/// Writes a note per cluster of the crawl.
pub(super) async fn render(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    book: &PaperBook,
    index: (Option<NoteName>, String),
    today: &str,
) -> Result<RenderReport, RenderError> {
    let Some((crawl_id, analysis)) = book.analysis.as_ref() else {
        return Ok(RenderReport::default());
    };
    let crawl_id = *crawl_id;
    let listed: Vec<String> = analysis
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().take(cluster::MEMBERS_LISTED).cloned())
        .collect();
    let mut tldrs: HashMap<String, String> = HashMap::new();
    for chunk in listed.chunks(super::CHUNK) {
        for row in ctx.store.latest_summaries(chunk).await? {
            let parts: Summary = serde_json::from_str(&row.body).unwrap_or_default();
            if !parts.tldr.trim().is_empty() {
                tldrs.insert(row.paper_id, parts.tldr);
            }
        }
    }
    // Each graph node's cluster, found by node: two million edge ends are looked at.
    let mut cluster_of: Vec<Option<i64>> = vec![None; book.graph.ids().len()];
    for (id, p) in &analysis.papers {
        if let Some(slot) = book.graph.node(id).and_then(|n| cluster_of.get_mut(n as usize)) {
            *slot = p.cluster_id;
        }
    }
    let notes = notes_of(crawl_id, analysis, names);
    let mut jobs = Vec::with_capacity(analysis.clusters.len());
    for c in &analysis.clusters {
        let k = key(crawl_id, c);
        let Some(row) = names.row(&k) else { continue };
        let input = ClusterInput {
            crawl_id,
            cluster_id: c.id,
            label: c.label.clone(),
            terms: c.terms.clone(),
            index: index.clone(),
            // Only the papers the note lists: links to all of them were 30 MB at 100,000
            // papers.
            members: c
                .members
                .iter()
                .take(cluster::MEMBERS_LISTED)
                .map(|id| (book.link(id), tldrs.get(id).cloned()))
                .collect(),
            member_count: c.members.len(),
            prior: prior_works(book, c),
            neighbours: neighbours(book, c, &cluster_of, analysis, &notes),
            updated: today.to_owned(),
        };
        jobs.push(NoteJob::from_fresh(
            k,
            row.path().to_owned(),
            cluster::cluster_fresh(&input),
            cluster::CLUSTER_KEYS,
            ("refnet_cluster", cluster::cluster_identity(crawl_id, c.id)),
            row.known(),
        ));
    }
    write_jobs(ctx, vault, names, jobs, today).await
}

/// The works a cluster's papers cite most (any stored paper), ranked by how many of its
/// papers cite each, ties by id.
fn prior_works(book: &PaperBook, c: &Cluster) -> Vec<(crate::render::notes::LinkItem, i64)> {
    let graph = &book.graph;
    let mut counts: HashMap<u32, i64> = HashMap::new();
    for id in &c.members {
        if let Some(n) = graph.node(id) {
            for &r in graph.references(n) {
                *counts.entry(r).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(u32, i64)> = counts.into_iter().filter(|&(_, n)| n >= 2).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| graph.id(a.0).cmp(graph.id(b.0))));
    ranked
        .into_iter()
        .take(PRIOR_LISTED)
        .map(|(n, count)| (book.link(graph.id(n)), count))
        .collect()
}

/// The clusters a cluster is most linked to, with the citations between the two.
fn neighbours(
    book: &PaperBook,
    c: &Cluster,
    cluster_of: &[Option<i64>],
    analysis: &CrawlAnalysis,
    notes: &HashMap<i64, NoteName>,
) -> Vec<(Option<NoteName>, String, i64)> {
    let graph = &book.graph;
    let mut links: HashMap<i64, i64> = HashMap::new();
    for id in &c.members {
        let Some(n) = graph.node(id) else { continue };
        for &other in graph.references(n).iter().chain(graph.cited_by(n)) {
            if let Some(&Some(oc)) = cluster_of.get(other as usize)
                && oc != c.id
            {
                *links.entry(oc).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(i64, i64)> = links.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(NEIGHBOURS_LISTED)
        .filter_map(|(id, n)| {
            let other = analysis.cluster(id)?;
            Some((notes.get(&id).cloned(), other.label.clone(), n))
        })
        .collect()
}
