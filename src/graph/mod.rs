//! A crawl's citation graph and what is computed from it: paper ids interned to small
//! integers (a 100,000-paper crawl has millions of edge ends), adjacency for the
//! References and Cited by lists, in-crawl citation counts and PageRank. The render stage
//! reads it; it writes nothing.
//!
//! Members are nodes `0..members` and every adjacency list is sorted, so the members'
//! subgraph is each list's prefix below `members`: no second copy of it is kept. Each
//! node's place in the paper ids' order is kept too, so ties broken by paper id compare
//! two integers instead of two strings.
//!
//! The analysis (similarity to the seeds, most similar papers, prior and derivative
//! works, clusters with lasting ids and labels) is computed here too: [`analysis::refresh`]
//! is the one call, and skips a graph it has already analysed. One job per file:
//! `similarity`, `works`, `clusters` (Louvain), `labels` (TF-IDF), `stable` (cluster ids
//! across runs), `analyse` (the pure orchestration), `analysis` (fingerprint and storage).
//!
//! PageRank is a power iteration over those prefixes, O(iterations × (V + E)).

pub mod analyse;
pub mod analysis;
pub mod clusters;
pub mod export;
mod id_index;
pub mod labels;
pub mod same_work;
pub mod similarity;
pub mod stable;
pub mod works;

use std::collections::HashMap;

pub use id_index::IdIndex;

use crate::store::{MetricRow, Store, StoreError};

/// Damping factor: the usual 0.85.
const DAMPING: f64 = 0.85;
/// Iterations at most; the iteration stops earlier once ranks move less than this.
const MAX_ITERATIONS: usize = 100;
const TOLERANCE: f64 = 1e-10;

/// The graph of one crawl.
#[derive(Debug, Default, Clone)]
pub struct CrawlGraph {
    /// The ids in node order, and each id's node. Shared: tables of the render kept by
    /// node find their rows through it.
    index: std::sync::Arc<IdIndex>,
    members: usize,
    depth: Vec<i64>,
    refs: Vec<Vec<u32>>,
    cited_by: Vec<Vec<u32>>,
    /// Each node's position among all nodes sorted by paper id (set by `finish`).
    id_order: Vec<u32>,
    /// Edges S2 marks as influential (known only from paged lists).
    influential: std::collections::HashSet<(u32, u32)>,
    /// Papers folded into another (one note per work): merged id → kept id.
    aliases: HashMap<String, String>,
    /// The reverse: kept id → the ids folded into it.
    merged_of: HashMap<String, Vec<String>>,
}

impl CrawlGraph {
    /// A graph whose first nodes are the crawl's members, with their depths.
    pub fn new(members: &[(String, i64)]) -> Self {
        let mut g = Self::default();
        for (id, depth) in members {
            g.intern(id);
            g.depth.push(*depth);
        }
        g.members = g.index.len();
        g
    }

    /// A graph of `members` in which merged papers are their kept paper: a member merged
    /// into another takes its place (at the shallower depth), and edges of either end at
    /// the kept one.
    pub fn with_merges(members: &[(String, i64)], aliases: HashMap<String, String>) -> Self {
        let mut g = Self::default();
        for (id, depth) in members {
            let id = aliases.get(id).unwrap_or(id);
            if g.index.get(id).is_some() {
                continue;
            }
            g.intern(id);
            g.depth.push(*depth);
        }
        g.members = g.index.len();
        for (merged, kept) in &aliases {
            g.merged_of.entry(kept.clone()).or_default().push(merged.clone());
        }
        for list in g.merged_of.values_mut() {
            list.sort_unstable();
        }
        g.aliases = aliases;
        g
    }

    /// The graph of a crawl's fetched members and every stored edge touching them.
    pub async fn load(store: &Store, crawl_id: i64) -> Result<Self, StoreError> {
        let members = store.fetched_members(crawl_id).await?;
        Self::load_around(store, &members).await
    }

    /// The graph of `members` (with depths), the recorded merges applied, and every
    /// stored edge touching them or a paper merged into one of them.
    pub async fn load_around(store: &Store, members: &[(String, i64)]) -> Result<Self, StoreError> {
        let merges: Vec<(String, String)> = store
            .merges()
            .await?
            .into_iter()
            .map(|m| (m.merged_id, m.kept_id))
            .collect();
        let mut graph = Self::with_merges(members, same_work::resolve(&merges));
        let mut touching = graph.member_ids().to_vec();
        for id in graph.member_ids() {
            touching.extend(graph.merged_into(id).iter().cloned());
        }
        store
            .for_each_edge_touching(&touching, |citing, cited, influential| {
                graph.add_row(citing, cited, influential);
            })
            .await?;
        graph.finish();
        Ok(graph)
    }

    /// The paper a merged paper's note is, else the paper itself.
    pub fn canonical<'a>(&'a self, id: &'a str) -> &'a str {
        self.aliases.get(id).map_or(id, String::as_str)
    }

    /// The papers folded into `kept` (sorted; empty for most).
    pub fn merged_into(&self, kept: &str) -> &[String] {
        self.merged_of.get(kept).map_or(&[], Vec::as_slice)
    }

    fn intern(&mut self, id: &str) -> u32 {
        let (i, new) = std::sync::Arc::make_mut(&mut self.index).intern(id);
        if new {
            self.refs.push(Vec::new());
            self.cited_by.push(Vec::new());
        }
        i
    }

    /// Adds an edge `citing → cited` (duplicates are removed by [`CrawlGraph::finish`]).
    pub fn add_edge(&mut self, citing: &str, cited: &str) {
        if !self.aliases.is_empty() && (self.aliases.contains_key(citing) || self.aliases.contains_key(cited)) {
            let (citing, cited) = (self.canonical(citing).to_owned(), self.canonical(cited).to_owned());
            self.link(&citing, &cited);
        } else {
            self.link(citing, cited);
        }
    }

    fn link(&mut self, citing: &str, cited: &str) {
        if citing == cited {
            return;
        }
        let a = self.intern(citing);
        let b = self.intern(cited);
        self.refs[a as usize].push(b);
        self.cited_by[b as usize].push(a);
    }

    /// Adds an edge as the store holds it, remembering whether S2 called it influential.
    pub fn add_row(&mut self, citing: &str, cited: &str, is_influential: Option<bool>) {
        self.add_edge(citing, cited);
        if is_influential == Some(true)
            && let (Some(a), Some(b)) = (self.node(citing), self.node(cited))
            && a != b
        {
            self.influential.insert((a, b));
        }
    }

    /// Whether S2 calls the citation `citing → cited` influential.
    pub fn is_influential(&self, citing: u32, cited: u32) -> bool {
        self.influential.contains(&(citing, cited))
    }

    /// Removes duplicate edges (sorting every list) and orders the nodes by paper id.
    pub fn finish(&mut self) {
        for list in self.refs.iter_mut().chain(self.cited_by.iter_mut()) {
            list.sort_unstable();
            list.dedup();
            list.shrink_to_fit();
        }
        let ids = self.index.ids();
        let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        self.id_order = vec![0; by_id.len()];
        for (pos, &i) in by_id.iter().enumerate() {
            self.id_order[i as usize] = pos as u32;
        }
    }

    /// Orders nodes `a` and `b` as their paper ids order (the graph finished).
    pub fn cmp_ids(&self, a: u32, b: u32) -> std::cmp::Ordering {
        match (self.id_order.get(a as usize), self.id_order.get(b as usize)) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => self.id(a).cmp(self.id(b)),
        }
    }

    /// The paper id of node `i`.
    pub fn id(&self, i: u32) -> &str {
        &self.index.ids()[i as usize]
    }

    /// The node of a paper id (a merged paper's is its kept paper's).
    pub fn node(&self, id: &str) -> Option<u32> {
        self.index.get(self.canonical(id))
    }

    /// Each paper id's node, as ids are stored (merged ids are not mapped to their kept
    /// paper, unlike [`CrawlGraph::node`]).
    pub fn id_index(&self) -> std::sync::Arc<IdIndex> {
        self.index.clone()
    }

    /// Every paper id in the graph (members first).
    pub fn ids(&self) -> &[String] {
        self.index.ids()
    }

    /// The members' ids.
    pub fn member_ids(&self) -> &[String] {
        &self.index.ids()[..self.members]
    }

    /// Whether node `i` is a member of the crawl.
    pub fn is_member(&self, i: u32) -> bool {
        (i as usize) < self.members
    }

    /// What node `i` cites.
    pub fn references(&self, i: u32) -> &[u32] {
        &self.refs[i as usize]
    }

    /// What cites node `i`.
    pub fn cited_by(&self, i: u32) -> &[u32] {
        &self.cited_by[i as usize]
    }

    /// The members member `i` cites (a prefix of its sorted references).
    pub fn member_references(&self, i: u32) -> &[u32] {
        self.members_prefix(self.references(i))
    }

    /// The members citing member `i` (a prefix of its sorted citing papers).
    pub fn member_cited_by(&self, i: u32) -> &[u32] {
        self.members_prefix(self.cited_by(i))
    }

    fn members_prefix<'a>(&self, sorted: &'a [u32]) -> &'a [u32] {
        &sorted[..sorted.partition_point(|&b| (b as usize) < self.members)]
    }

    /// Citation edges between members, by citing then cited node.
    pub fn member_edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.members as u32).flat_map(move |a| self.member_references(a).iter().map(move |&b| (a, b)))
    }

    /// PageRank of each member in the members' subgraph (sums to 1).
    pub fn pagerank(&self) -> Vec<f64> {
        let n = self.members;
        if n == 0 {
            return Vec::new();
        }
        let nf = n as f64;
        let out_degree: Vec<usize> = (0..n as u32).map(|v| self.member_references(v).len()).collect();
        let mut rank = vec![1.0 / nf; n];
        let mut next = vec![0.0; n];
        for _ in 0..MAX_ITERATIONS {
            // Papers citing nothing in the crawl spread their rank evenly.
            let dangling: f64 = (0..n).filter(|&v| out_degree[v] == 0).map(|v| rank[v]).sum();
            let base = (1.0 - DAMPING) / nf + DAMPING * dangling / nf;
            next.fill(base);
            for v in 0..n {
                let deg = out_degree[v];
                if deg == 0 {
                    continue;
                }
                let share = DAMPING * rank[v] / deg as f64;
                for &w in self.member_references(v as u32) {
                    next[w as usize] += share;
                }
            }
            let moved: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
            std::mem::swap(&mut rank, &mut next);
            if moved < TOLERANCE {
                break;
            }
        }
        rank
    }

    /// Each member's place in the crawl: depth, citations within it, PageRank (`rank`,
    /// from [`CrawlGraph::pagerank`]: the analysis needs it too) and its position.
    pub fn metrics(&self, crawl_id: i64, rank: &[f64]) -> Vec<MetricRow> {
        let mut order: Vec<u32> = (0..self.members as u32).collect();
        order.sort_by(|&a, &b| {
            rank[b as usize]
                .total_cmp(&rank[a as usize])
                .then_with(|| self.cmp_ids(a, b))
        });
        let mut position = vec![0i64; self.members];
        for (pos, &i) in order.iter().enumerate() {
            position[i as usize] = pos as i64 + 1;
        }
        (0..self.members)
            .map(|i| MetricRow {
                crawl_id,
                paper_id: self.index.ids()[i].clone(),
                depth: self.depth[i],
                cited_in_crawl: self.member_cited_by(i as u32).len() as i64,
                cites_in_crawl: self.member_references(i as u32).len() as i64,
                pagerank: rank[i],
                pagerank_rank: position[i],
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A finished graph of `members` (depth 1) and `edges`.
    pub(crate) fn graph(members: &[&str], edges: &[(&str, &str)]) -> CrawlGraph {
        let members: Vec<(String, i64)> = members.iter().map(|m| (m.to_string(), 1)).collect();
        let mut g = CrawlGraph::new(&members);
        for (a, b) in edges {
            g.add_edge(a, b);
        }
        g.finish();
        g
    }

    #[test]
    fn the_most_cited_paper_ranks_first_and_ranks_sum_to_one() {
        let g = graph(
            &["a", "b", "c", "d"],
            &[("b", "a"), ("c", "a"), ("d", "a"), ("d", "b"), ("a", "x")],
        );
        let rank = g.pagerank();
        assert!((rank.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(rank[0] > rank[1] && rank[1] > rank[2], "{rank:?}");
        let m = g.metrics(7, &g.pagerank());
        assert_eq!(m[0].pagerank_rank, 1);
        assert_eq!(m[0].cited_in_crawl, 3);
        assert_eq!(m[0].cites_in_crawl, 0, "x is not a member");
        assert_eq!(m[3].cites_in_crawl, 2);
    }

    #[test]
    fn pagerank_matches_the_closed_form_of_a_two_cycle_and_a_star() {
        // A two-cycle is symmetric: both 1/2.
        let g = graph(&["a", "b"], &[("a", "b"), ("b", "a")]);
        for r in g.pagerank() {
            assert!((r - 0.5).abs() < 1e-9);
        }
        // A star of n leaves citing a hub: hub = (1-d)/N + d·(n·leaf + hub)/... solved numerically
        // against the textbook fixed point by checking the fixed-point equation itself.
        let g = graph(
            &["hub", "l1", "l2", "l3"],
            &[("l1", "hub"), ("l2", "hub"), ("l3", "hub")],
        );
        let r = g.pagerank();
        let n = 4.0;
        let leaf = (1.0 - DAMPING) / n + DAMPING * r[0] / n;
        let hub = leaf + DAMPING * 3.0 * leaf;
        assert!((r[1] - leaf).abs() < 1e-9 && (r[0] - hub).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn duplicate_edges_and_self_citations_are_dropped() {
        let g = graph(&["a", "b"], &[("a", "b"), ("a", "b"), ("a", "a"), ("a", "z")]);
        let a = g.node("a").expect("a");
        assert_eq!(g.references(a).len(), 2);
        assert_eq!(g.member_edges().count(), 1);
        assert!(!g.is_member(g.node("z").expect("z")));
    }
}
