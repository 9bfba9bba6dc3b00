//! Communities of the crawl's members: Louvain modularity optimisation (Blondel et al.
//! 2008) on the undirected member graph, an edge weighted by the citations between two
//! papers (one per direction) plus their similarity (the better of their two top-k
//! listings).
//!
//! Deterministic for the same graph: nodes are visited in a fixed order (the members'
//! order), a node joins the neighbouring community with the best gain and ties go to the
//! lowest community number, and communities are renumbered by first member at every
//! level. Papers with no weighted edge, and communities smaller than [`MIN_SIZE`], are
//! left unclustered (`None`): a note per stray paper would bury the real clusters.

use super::CrawlGraph;

/// Communities smaller than this are not clusters: their papers are unclustered.
pub const MIN_SIZE: usize = 3;
/// Weight of one citation between two members.
const CITATION: f64 = 1.0;
/// Node visits per level at most, in passes over every node.
const MAX_PASSES: usize = 50;
/// Levels at most.
const MAX_LEVELS: usize = 20;
/// Gains closer than this are equal.
const EPS: f64 = 1e-12;

/// An undirected weighted graph, each pair once (`u < v`), with self-loop weights.
#[derive(Debug, Default)]
pub struct Weighted {
    /// Nodes.
    pub n: usize,
    /// `(u, v, w)` with `u < v`, sorted, no duplicates.
    pub edges: Vec<(u32, u32, f64)>,
    /// Weight inside each node (after aggregation).
    pub selfloops: Vec<f64>,
}

/// The member graph weighted by citations and similarity, built a member at a time in
/// pair order (no list of every pair's parts is kept).
pub fn weighted(g: &CrawlGraph, similar: &[Vec<(u32, f32)>]) -> Weighted {
    let n = g.member_ids().len();
    let listed_by = ListedBy::new(similar, n);
    let citations: usize = (0..n as u32).map(|u| g.member_references(u).len()).sum();
    let mut edges: Vec<(u32, u32, f64)> = Vec::with_capacity(citations + listed_by.by.len());
    // (other end, citations, similarity) of one member's pairs with later members.
    let mut near: Vec<(u32, f64, f64)> = Vec::new();
    for u in 0..n as u32 {
        let cited = g.member_references(u).iter().chain(g.member_cited_by(u));
        near.extend(cited.filter(|&&v| v > u).map(|&v| (v, CITATION, 0.0)));
        let alike = similar.get(u as usize).map(Vec::as_slice).unwrap_or_default().iter();
        let alike = alike.chain(listed_by.of(u));
        near.extend(alike.filter(|e| e.0 > u).map(|&(v, s)| (v, 0.0, f64::from(s))));
        near.sort_unstable_by_key(|e| e.0);
        let mut i = 0;
        while i < near.len() {
            let v = near[i].0;
            let (mut cit, mut sim) = (0.0f64, 0.0f64);
            while i < near.len() && near[i].0 == v {
                cit += near[i].1;
                sim = sim.max(near[i].2);
                i += 1;
            }
            if cit + sim > 0.0 {
                edges.push((u, v, cit + sim));
            }
        }
        near.clear();
    }
    edges.shrink_to_fit();
    Weighted {
        n,
        edges,
        selfloops: vec![0.0; n],
    }
}

/// The reverse of the top-k lists: the members listing each member, with the score.
struct ListedBy {
    start: Vec<usize>,
    by: Vec<(u32, f32)>,
}

impl ListedBy {
    fn new(similar: &[Vec<(u32, f32)>], n: usize) -> Self {
        let mut start = vec![0usize; n + 1];
        for &(b, _) in similar.iter().flatten() {
            start[b as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut by = vec![(0u32, 0.0f32); start[n]];
        for (a, list) in similar.iter().enumerate() {
            for &(b, s) in list {
                by[fill[b as usize]] = (a as u32, s);
                fill[b as usize] += 1;
            }
        }
        Self { start, by }
    }

    fn of(&self, b: u32) -> &[(u32, f32)] {
        &self.by[self.start[b as usize]..self.start[b as usize + 1]]
    }
}

/// Adjacency lists of a weighted graph, both directions: node `i`'s neighbours are
/// `to[start[i]..start[i + 1]]`, with the weights beside them.
struct Adjacency {
    start: Vec<usize>,
    to: Vec<u32>,
    weight: Vec<f64>,
}

impl Adjacency {
    fn new(w: &Weighted) -> Self {
        let mut start = vec![0usize; w.n + 1];
        for &(u, v, _) in &w.edges {
            start[u as usize + 1] += 1;
            start[v as usize + 1] += 1;
        }
        for i in 0..w.n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut to = vec![0u32; start[w.n]];
        let mut weight = vec![0.0f64; start[w.n]];
        for &(u, v, x) in &w.edges {
            for (a, b) in [(u, v), (v, u)] {
                to[fill[a as usize]] = b;
                weight[fill[a as usize]] = x;
                fill[a as usize] += 1;
            }
        }
        Self { start, to, weight }
    }

    fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.start[i]..self.start[i + 1]
    }
}

/// One level of local moving: each node's community, numbered by first member; `None`
/// when no node moved.
///
/// Nodes are visited from a queue, first in order, then only those whose neighbourhood
/// changed: a node that moves queues its neighbours outside the community it joined (the
/// pruning of Ozaki, Tezuka and Inaba 2016). A sweep over every node until none moves
/// revisits, pass after pass, the many whose neighbours all stayed put: at 100,000 papers
/// that was most of the clustering's time. Deterministic: the queue is first in, first
/// out, and each move strictly raises modularity, so it ends (visits are capped anyway).
fn local_moving(w: &Weighted) -> Option<Vec<u32>> {
    let adj = Adjacency::new(w);
    let k: Vec<f64> = (0..w.n)
        .map(|i| adj.weight[adj.range(i)].iter().sum::<f64>() + 2.0 * w.selfloops[i])
        .collect();
    let m2: f64 = k.iter().sum();
    if m2 <= 0.0 {
        return None;
    }
    let mut comm: Vec<u32> = (0..w.n as u32).collect();
    let mut tot = k.clone();
    let mut to = vec![0.0f64; w.n];
    let mut near: Vec<u32> = Vec::new();
    let mut queue: std::collections::VecDeque<u32> = (0..w.n as u32).collect();
    let mut queued = vec![true; w.n];
    let mut visits = MAX_PASSES * w.n;
    let mut any = false;
    while let Some(i) = queue.pop_front() {
        let i = i as usize;
        queued[i] = false;
        visits -= 1;
        let old = comm[i];
        let range = adj.range(i);
        for (&j, &x) in adj.to[range.clone()].iter().zip(&adj.weight[range.clone()]) {
            let c = comm[j as usize];
            if to[c as usize] == 0.0 {
                near.push(c);
            }
            to[c as usize] += x;
        }
        tot[old as usize] -= k[i];
        let gain = |c: u32| to[c as usize] - tot[c as usize] * k[i] / m2;
        let mut best = old;
        let mut best_gain = gain(old);
        for &c in &near {
            let g = gain(c);
            if g > best_gain + EPS || ((g - best_gain).abs() <= EPS && c < best && best != old) {
                best = c;
                best_gain = g;
            }
        }
        tot[best as usize] += k[i];
        for &c in &near {
            to[c as usize] = 0.0;
        }
        near.clear();
        if best != old {
            comm[i] = best;
            any = true;
            for &j in &adj.to[range] {
                let j = j as usize;
                if !queued[j] && comm[j] != best {
                    queued[j] = true;
                    queue.push_back(j as u32);
                }
            }
        }
        if visits == 0 {
            break;
        }
    }
    any.then(|| renumber(&comm))
}

/// Communities renumbered 0.. by first appearance.
fn renumber(comm: &[u32]) -> Vec<u32> {
    let mut map = vec![u32::MAX; comm.len()];
    let mut next = 0;
    comm.iter()
        .map(|&c| {
            if map[c as usize] == u32::MAX {
                map[c as usize] = next;
                next += 1;
            }
            map[c as usize]
        })
        .collect()
}

/// The graph of communities: one node per community, weights summed.
fn aggregate(w: &Weighted, comm: &[u32]) -> Weighted {
    let n = comm.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut selfloops = vec![0.0; n];
    for (i, s) in w.selfloops.iter().enumerate() {
        selfloops[comm[i] as usize] += s;
    }
    let mut raw: Vec<(u32, u32, f64)> = Vec::with_capacity(w.edges.len());
    for &(u, v, x) in &w.edges {
        let (a, b) = (comm[u as usize], comm[v as usize]);
        if a == b {
            selfloops[a as usize] += x;
        } else {
            raw.push((a.min(b), a.max(b), x));
        }
    }
    raw.sort_unstable_by_key(|x| (x.0, x.1));
    let mut edges: Vec<(u32, u32, f64)> = Vec::with_capacity(raw.len());
    for (u, v, x) in raw {
        match edges.last_mut() {
            Some(last) if (last.0, last.1) == (u, v) => last.2 += x,
            _ => edges.push((u, v, x)),
        }
    }
    Weighted { n, edges, selfloops }
}

/// Louvain communities of a weighted graph: a community number per node (0..).
pub fn louvain(w: &Weighted) -> Vec<u32> {
    let mut node_comm: Vec<u32> = (0..w.n as u32).collect();
    let mut aggregated: Option<Weighted> = None;
    for _ in 0..MAX_LEVELS {
        let level = aggregated.as_ref().unwrap_or(w);
        let Some(comm) = local_moving(level) else { break };
        for c in &mut node_comm {
            *c = comm[*c as usize];
        }
        aggregated = Some(aggregate(level, &comm));
    }
    renumber(&node_comm)
}

/// Clusters of the members: each a list of member nodes (in member order), largest
/// first (ties by first member); small communities and isolated papers left out.
pub fn clusters(g: &CrawlGraph, similar: &[Vec<(u32, f32)>]) -> (Vec<Vec<u32>>, Weighted) {
    let w = weighted(g, similar);
    let comm = louvain(&w);
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); comm.iter().map(|&c| c as usize + 1).max().unwrap_or(0)];
    for (i, &c) in comm.iter().enumerate() {
        groups[c as usize].push(i as u32);
    }
    groups.retain(|m| m.len() >= MIN_SIZE);
    groups.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[0].cmp(&b[0])));
    (groups, w)
}

/// For each cluster, the other clusters it is tied to, most weight first (ties by
/// position), at most `most`.
pub fn neighbours(w: &Weighted, of: &[Option<usize>], count: usize, most: usize) -> Vec<Vec<usize>> {
    let mut between = vec![Vec::<(usize, f64)>::new(); count];
    for &(u, v, x) in &w.edges {
        if let (Some(a), Some(b)) = (of[u as usize], of[v as usize])
            && a != b
        {
            for (p, q) in [(a, b), (b, a)] {
                match between[p].iter_mut().find(|e| e.0 == q) {
                    Some(e) => e.1 += x,
                    None => between[p].push((q, x)),
                }
            }
        }
    }
    between
        .into_iter()
        .map(|mut list| {
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list.into_iter().take(most).map(|e| e.0).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::graph;

    fn two_triangles_and_a_bridge() -> Weighted {
        let e = |u, v| (u, v, 1.0);
        Weighted {
            n: 6,
            edges: vec![e(0, 1), e(0, 2), e(1, 2), e(2, 3), e(3, 4), e(3, 5), e(4, 5)],
            selfloops: vec![0.0; 6],
        }
    }

    #[test]
    fn two_triangles_joined_by_one_edge_are_two_communities() {
        let comm = louvain(&two_triangles_and_a_bridge());
        assert_eq!(comm, [0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn the_same_graph_gives_the_same_communities() {
        let g = graph(
            &["a", "b", "c", "d", "e", "f", "g"],
            &[
                ("a", "b"),
                ("b", "c"),
                ("c", "a"),
                ("d", "e"),
                ("e", "f"),
                ("f", "d"),
                ("c", "d"),
                ("g", "a"),
            ],
        );
        let first = clusters(&g, &[]).0;
        for _ in 0..5 {
            assert_eq!(clusters(&g, &[]).0, first);
        }
        assert_eq!(first.len(), 2, "{first:?}");
    }

    #[test]
    fn degenerate_graphs_leave_every_paper_unclustered() {
        assert!(clusters(&graph(&[], &[]), &[]).0.is_empty());
        assert!(clusters(&graph(&["a"], &[]), &[]).0.is_empty());
        assert!(clusters(&graph(&["a", "b", "c"], &[]), &[]).0.is_empty());
        // A pair is below the minimum size; a self-citation and a cycle break nothing.
        let g = graph(&["a", "b", "c"], &[("a", "b"), ("b", "a"), ("c", "c")]);
        assert!(clusters(&g, &[]).0.is_empty());
        let cycle = graph(&["a", "b", "c"], &[("a", "b"), ("b", "c"), ("c", "a")]);
        assert_eq!(clusters(&cycle, &[]).0, [vec![0, 1, 2]]);
    }

    #[test]
    fn clusters_name_their_neighbours_by_the_weight_between_them() {
        let w = two_triangles_and_a_bridge();
        let of = [Some(0), Some(0), Some(0), Some(1), Some(1), None];
        assert_eq!(neighbours(&w, &of, 2, 5), [vec![1], vec![0]]);
    }
}
