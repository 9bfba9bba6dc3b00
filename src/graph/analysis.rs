//! A crawl's analysis kept current: [`refresh`] fingerprints what the analysis reads
//! (seeds, members, every stored edge touching them, the members' titles and abstracts,
//! through the hash stored beside each paper's texts), and only when that changed runs
//! [`analyse`](super::analyse::analyse), gives the clusters their lasting ids
//! ([`stable`](super::stable)) and unique labels, and stores it. Either way it returns
//! the stored analysis.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::CrawlGraph;
use super::analyse::{self, Analysis};
use super::labels::Texts;
use super::stable::{self, Previous};
use crate::store::{
    Cluster, CrawlAnalysis, PaperAnalysis, PastAnalysis, Store, StoreError, TextHashSums, now, paper_text_hash,
};

/// Bumped when the analysis changes, so stored analyses are computed again.
const VERSION: &str = "analysis-2";
/// Ids per read of titles and abstracts.
const TEXT_CHUNK: usize = 2_000;

/// A crawl's analysis, computed only when its graph or texts changed since the last.
pub async fn refresh(
    store: &Store,
    crawl_id: i64,
    graph: &Arc<CrawlGraph>,
    pagerank: &Arc<[f64]>,
) -> Result<CrawlAnalysis, StoreError> {
    Ok(refresh_by_node(store, crawl_id, graph, pagerank, TextsFrom::Store)
        .await?
        .analysis)
}

/// Each member's most similar members by node, with their scores.
pub type SimilarByNode = Vec<Box<[(u32, f64)]>>;

/// What [`refresh_by_node`] gives.
#[derive(Debug)]
pub struct Refreshed {
    /// The crawl's analysis.
    pub analysis: CrawlAnalysis,
    /// Each member's most similar members by node, as the analysis lists them by id
    /// (scores rounded alike), when it was computed now; `None` when the stored one was
    /// current (its lists are only by paper id).
    pub similar_by_node: Option<SimilarByNode>,
}

/// [`refresh`], with the similar papers by node when they were computed now: a render
/// needs them by node, and finding a million paper ids in the graph again took 0.3 s at
/// 100,000 papers.
pub async fn refresh_by_node(
    store: &Store,
    crawl_id: i64,
    graph: &Arc<CrawlGraph>,
    pagerank: &Arc<[f64]>,
    texts_from: TextsFrom,
) -> Result<Refreshed, StoreError> {
    let seeds: Vec<String> = match store.crawl(crawl_id).await? {
        Some(c) => c.seeds.iter().map(|s| s.as_str().to_owned()).collect(),
        None => Vec::new(),
    };
    let members = graph.member_ids();
    let started = std::time::Instant::now();
    let seed_nodes: Vec<u32> = seeds.iter().filter_map(|s| graph.node(s)).collect();
    let stored_fingerprint = store.analysis_fingerprint(crawl_id).await?;
    // The graph work runs on a thread of its own while the texts are hashed and the
    // titles and abstracts it does not need (only the clusters' terms do) are read. With
    // no analysis stored it is needed whatever the texts say, so it starts first;
    // otherwise only once the fingerprint says the stored one is out of date.
    let shaping = stored_fingerprint
        .is_none()
        .then(|| start_shaping(graph, &seed_nodes, pagerank));
    let texts_hash = texts_hash(store, members).await?;
    let fingerprint = fingerprint(graph, &seeds, &texts_hash);
    tracing::debug!(crawl_id, elapsed = ?started.elapsed(), "analysis: texts hashed");
    let current = stored_fingerprint.as_deref() == Some(fingerprint.as_str());
    // A caller is told it need not read the texts before the stored analysis is read
    // (0.9 s at 100,000 papers), not after.
    let texts_from = if current { texts_from.not_wanted() } else { texts_from };
    if current && let Some(stored) = store.analysis(crawl_id).await? {
        return Ok(Refreshed {
            analysis: stored,
            similar_by_node: None,
        });
    }
    let shaping = shaping.unwrap_or_else(|| start_shaping(graph, &seed_nodes, pagerank));
    let texts = texts_from.texts(store, graph).await?;
    tracing::debug!(crawl_id, elapsed = ?started.elapsed(), "analysis: texts read");
    let shape = crate::store::task_result(shaping.await, "analysing the graph (stopped with the runtime)")?;
    tracing::debug!(crawl_id, elapsed = ?started.elapsed(), "analysis: texts read, graph shaped");
    let found = shape.labelled(graph, &texts);
    // Each part freed once used: at 100,000 papers they are tens of megabytes each.
    drop(texts);
    let previous = store.past_analysis(crawl_id).await?;
    let mut analysis = stored_form(graph, &found, previous);
    // The rest of what was found is freed before the save.
    let similar = found.into_similar();
    analysis.fingerprint = fingerprint;
    analysis.analysed_at = now();
    tracing::debug!(crawl_id, elapsed = ?started.elapsed(), "analysis: clusters labelled");
    store.save_analysis(crawl_id, &analysis).await?;
    tracing::debug!(crawl_id, elapsed = ?started.elapsed(), "analysis: saved");
    let similar_by_node = similar
        .into_iter()
        .map(|list| list.into_iter().map(|(b, s)| (b, similar_score(s))).collect())
        .collect();
    Ok(Refreshed {
        analysis,
        similar_by_node: Some(similar_by_node),
    })
}

/// Where [`refresh_by_node`] takes the members' titles and abstracts from, when the
/// stored analysis is out of date and it needs them.
#[derive(Debug)]
pub enum TextsFrom {
    /// It reads them.
    Store,
    /// The caller reads them with something else it reads anyway (a render, with the
    /// notes' titles): told on `wanted` whether they are needed (dropped: not needed), it
    /// hands them over on `texts`. Should it give up, they are read from the store.
    Caller {
        /// Whether the texts are needed.
        wanted: tokio::sync::oneshot::Sender<bool>,
        /// The texts, read by the caller ([`Texts::read_row`] for each paper).
        texts: tokio::sync::oneshot::Receiver<Texts>,
    },
}

impl TextsFrom {
    /// A [`TextsFrom::Caller`], and the caller's ends: whether the texts are wanted, and
    /// where to send them.
    pub fn caller() -> (
        Self,
        tokio::sync::oneshot::Receiver<bool>,
        tokio::sync::oneshot::Sender<Texts>,
    ) {
        let (wanted, asked) = tokio::sync::oneshot::channel();
        let (give, texts) = tokio::sync::oneshot::channel();
        (Self::Caller { wanted, texts }, asked, give)
    }

    /// Tells a caller the texts are not wanted: should they be after all, they are read.
    fn not_wanted(self) -> Self {
        if let Self::Caller { wanted, .. } = self {
            // Not heard: the caller has stopped waiting.
            let _ = wanted.send(false);
        }
        Self::Store
    }

    /// The members' texts: asked of the caller, or read.
    async fn texts(self, store: &Store, graph: &CrawlGraph) -> Result<Texts, StoreError> {
        if let Self::Caller { wanted, texts } = self
            && wanted.send(true).is_ok()
            && let Ok(texts) = texts.await
        {
            return Ok(texts);
        }
        let members = graph.member_ids();
        let mut texts = Texts::new(members.len());
        for chunk in members.chunks(TEXT_CHUNK) {
            for (id, title, abstract_text) in store.paper_texts(chunk).await? {
                texts.read_row(graph, &id, &title, abstract_text.as_deref());
            }
        }
        Ok(texts)
    }
}

/// Similar papers and clusters of `graph` (its members ranked by `pagerank`), on the
/// blocking pool.
fn start_shaping(
    graph: &Arc<CrawlGraph>,
    seed_nodes: &[u32],
    pagerank: &Arc<[f64]>,
) -> tokio::task::JoinHandle<analyse::Shape> {
    let (graph, seed_nodes, pagerank) = (Arc::clone(graph), seed_nodes.to_vec(), Arc::clone(pagerank));
    tokio::task::spawn_blocking(move || analyse::shape(&graph, &seed_nodes, &pagerank))
}

/// The members' titles and abstracts as one order-independent sum: the hashes stored
/// beside them, summed by the database; rows stored without one are hashed here from
/// their texts.
async fn texts_hash(store: &Store, members: &[String]) -> Result<TextHashSums, StoreError> {
    let (mut sums, unhashed) = store.text_hash_sums(members).await?;
    for chunk in unhashed.chunks(TEXT_CHUNK) {
        for (id, title, abstract_text) in store.paper_texts(chunk).await? {
            sums.add(paper_text_hash(&id, &title, abstract_text.as_deref()));
        }
    }
    Ok(sums)
}

/// The analysis in paper ids, with lasting cluster ids, kept user labels and unique
/// computed labels.
fn stored_form(g: &CrawlGraph, a: &Analysis, previous: Option<PastAnalysis>) -> CrawlAnalysis {
    let (runs, next_id, past) = previous.map_or((0, 1, Vec::new()), |p| (p.runs, p.next_cluster_id, p.clusters));
    let before: Vec<Previous> = past
        .into_iter()
        .map(|(id, user_label, members)| Previous {
            id,
            members,
            user_label,
        })
        .collect();
    let new: Vec<Vec<&str>> = a
        .clusters
        .iter()
        .map(|c| c.members.iter().map(|&m| g.id(m)).collect())
        .collect();
    let (ids, next_cluster_id) = stable::assign(&new, &before, next_id);
    drop(before);
    let mut seen: HashSet<String> = HashSet::new();
    let clusters: Vec<Cluster> = a
        .clusters
        .iter()
        .zip(&ids)
        .map(|(c, assigned)| {
            let mut computed = if c.terms.is_empty() {
                format!("cluster {}", assigned.id)
            } else {
                c.terms.join(", ")
            };
            if !seen.insert(computed.to_lowercase()) {
                computed = format!("{computed} ({})", assigned.id);
                seen.insert(computed.to_lowercase());
            }
            Cluster {
                id: assigned.id,
                label: assigned.user_label.clone().unwrap_or_else(|| computed.clone()),
                computed_label: computed,
                user_label: assigned.user_label.clone(),
                terms: c.terms.clone(),
                top_paper: c.members.first().map(|&m| g.id(m).to_owned()),
                size: c.members.len() as i64,
                members: c.members.iter().map(|&m| g.id(m).to_owned()).collect(),
                neighbours: c.neighbours.iter().map(|&n| ids[n].id).collect(),
            }
        })
        .collect();
    let papers: HashMap<String, PaperAnalysis> = g
        .member_ids()
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let p = PaperAnalysis {
                similarity: round(a.similarity[i]),
                cluster_id: a.cluster_of[i].map(|c| ids[c].id),
            };
            (id.clone(), p)
        })
        .collect();
    // One shared id per member named in any list.
    let mut names: Vec<Option<Arc<str>>> = vec![None; a.similar.len()];
    let mut name = |b: u32| -> Arc<str> { names[b as usize].get_or_insert_with(|| Arc::from(g.id(b))).clone() };
    let similar = a
        .similar
        .iter()
        .enumerate()
        .filter(|(_, list)| !list.is_empty())
        .map(|(i, list)| {
            let named = list.iter().map(|&(b, s)| (name(b), similar_score(s))).collect();
            (g.id(i as u32).to_owned(), named)
        })
        .collect();
    let named = |list: &[(u32, usize)]| -> Vec<(String, f64)> {
        list.iter().map(|&(i, n)| (g.id(i).to_owned(), n as f64)).collect()
    };
    CrawlAnalysis {
        runs: runs + 1,
        next_cluster_id,
        papers,
        similar,
        prior: named(&a.prior),
        derivative: named(&a.derivative),
        clusters,
        ..CrawlAnalysis::default()
    }
}

/// A similar paper's score as stored (and as a render shows it, whichever form it comes in).
fn similar_score(s: f32) -> f64 {
    round(f64::from(s))
}

/// Scores to six decimals: what a note shows, and what both databases store alike.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// An order-independent hash of a set of records: a sum of each record's hash (two
/// 64-bit lanes), so records can be fed in any order the store returns them.
#[derive(Debug, Default)]
struct Order {
    lanes: [u64; 2],
    count: u64,
}

/// The two lanes' starting values.
const LANE_SEEDS: [u64; 2] = [0xcbf2_9ce4_8422_2325, 0x8422_2325_cbf2_9ce4];

impl Order {
    /// Adds a record already hashed into two lanes.
    fn add_hashed(&mut self, record: [u64; 2]) {
        for (lane, h) in self.lanes.iter_mut().zip(record) {
            *lane = lane.wrapping_add(mix(h));
        }
        self.count += 1;
    }
}

/// FNV-1a of `parts` (each ended by 0xff) in each lane.
fn lanes(parts: &[&str]) -> [u64; 2] {
    LANE_SEEDS.map(|seed| {
        let mut h = seed;
        for part in parts {
            for &b in part.as_bytes().iter().chain(&[0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    })
}

/// The record of an edge `citing → cited` from its ends' hashes (order matters).
fn edge(citing: [u64; 2], cited: [u64; 2]) -> [u64; 2] {
    [0, 1].map(|l| citing[l] ^ mix(cited[l] ^ 0x9e37_79b9_7f4a_7c15))
}

/// splitmix64's finaliser: spreads FNV's weak low bits before summing.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What the analysis of `g` depends on, as hex. Each paper id is hashed once; an edge's
/// record combines its ends' hashes (a million edges at 100,000 papers).
fn fingerprint(g: &CrawlGraph, seeds: &[String], texts: &TextHashSums) -> String {
    let node: Vec<[u64; 2]> = g.ids().iter().map(|id| lanes(&[id])).collect();
    let mut members = Order::default();
    let mut edges = Order::default();
    for i in 0..g.member_ids().len() as u32 {
        members.add_hashed(node[i as usize]);
        for &r in g.references(i) {
            edges.add_hashed(edge(node[i as usize], node[r as usize]));
        }
        for &c in g.cited_by(i).iter().filter(|&&c| !g.is_member(c)) {
            edges.add_hashed(edge(node[c as usize], node[i as usize]));
        }
    }
    let mut seeds = seeds.to_vec();
    seeds.sort();
    let mut h = Sha256::new();
    h.update(VERSION.as_bytes());
    h.update(seeds.join(",").as_bytes());
    for o in [&members, &edges] {
        h.update(o.lanes[0].to_le_bytes());
        h.update(o.lanes[1].to_le_bytes());
        h.update(o.count.to_le_bytes());
    }
    for part in [texts.count, texts.low, texts.high] {
        h.update(part.to_le_bytes());
    }
    crate::hex::hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::graph;

    #[test]
    fn the_fingerprint_ignores_order_but_not_an_edge_a_member_or_a_text() {
        let a = graph(&["a", "b", "c"], &[("a", "b"), ("b", "c"), ("x", "a")]);
        let b = graph(&["c", "a", "b"], &[("x", "a"), ("b", "c"), ("a", "b")]);
        let texts = TextHashSums::default();
        let seeds = ["a".to_owned()];
        assert_eq!(fingerprint(&a, &seeds, &texts), fingerprint(&b, &seeds, &texts));
        let reversed = graph(&["a", "b", "c"], &[("b", "a"), ("b", "c"), ("x", "a")]);
        assert_ne!(fingerprint(&a, &seeds, &texts), fingerprint(&reversed, &seeds, &texts));
        let more = graph(&["a", "b", "c"], &[("a", "b"), ("b", "c"), ("x", "a"), ("c", "a")]);
        assert_ne!(fingerprint(&a, &seeds, &texts), fingerprint(&more, &seeds, &texts));
        let member = graph(&["a", "b", "c", "d"], &[("a", "b"), ("b", "c"), ("x", "a")]);
        assert_ne!(fingerprint(&a, &seeds, &texts), fingerprint(&member, &seeds, &texts));
        assert_ne!(
            fingerprint(&a, &seeds, &texts),
            fingerprint(&a, &["b".to_owned()], &texts)
        );
        let mut title = TextHashSums::default();
        title.add(paper_text_hash("a", "A title", None));
        assert_ne!(fingerprint(&a, &seeds, &texts), fingerprint(&a, &seeds, &title));
    }
}
