//! The analysis of one crawl's graph, pure: similarity to the seeds, each member's most
//! similar members, prior and derivative works, and clusters with their distinctive
//! terms, ranked members and neighbouring clusters. [`super::analysis`] stores it.

use super::labels::{self, Texts};
use super::{CrawlGraph, clusters, similarity, works};

/// Neighbouring clusters kept per cluster.
pub const NEIGHBOURS: usize = 5;

/// A cluster before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Member nodes, best PageRank first (ties by paper id).
    pub members: Vec<u32>,
    /// Its most distinctive terms, best first.
    pub terms: Vec<String>,
    /// Neighbouring clusters (positions in [`Analysis::clusters`]), closest first.
    pub neighbours: Vec<usize>,
}

/// What [`analyse`] finds; nodes are the graph's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// Each member's similarity to the nearest seed, 0–1.
    pub similarity: Vec<f64>,
    /// Each member's most similar members, best first.
    pub similar: Vec<Vec<(u32, f32)>>,
    /// Papers cited by the most members, with that count.
    pub prior: Vec<(u32, usize)>,
    /// Papers citing the most members, with that count.
    pub derivative: Vec<(u32, usize)>,
    /// Clusters, largest first.
    pub clusters: Vec<Found>,
    /// Each member's cluster (a position in `clusters`), `None` when unclustered.
    pub cluster_of: Vec<Option<usize>>,
}

/// Analyses `g` (finished) with `seeds` (nodes), the members' `texts` and their PageRank.
pub fn analyse(g: &CrawlGraph, seeds: &[u32], texts: &Texts, pagerank: &[f64]) -> Analysis {
    shape(g, seeds, pagerank).labelled(g, texts)
}

/// What the graph alone gives: [`Analysis`] but for the clusters' terms.
#[derive(Debug)]
pub struct Shape {
    similarity: Vec<f64>,
    similar: Vec<Vec<(u32, f32)>>,
    groups: Vec<Vec<u32>>,
    neighbours: Vec<Vec<usize>>,
    cluster_of: Vec<Option<usize>>,
}

/// The graph's part of [`analyse`], which needs no texts: a caller reads them meanwhile.
pub fn shape(g: &CrawlGraph, seeds: &[u32], pagerank: &[f64]) -> Shape {
    let n = g.member_ids().len();
    let similarity = similarity::to_seeds(g, seeds);
    let similar = similarity::top_k(g, similarity::TOP_K);
    let (mut groups, weighted) = clusters::clusters(g, &similar);
    let rank = |i: u32| pagerank.get(i as usize).copied().unwrap_or(0.0);
    for members in &mut groups {
        members.sort_by(|&a, &b| rank(b).total_cmp(&rank(a)).then_with(|| g.cmp_ids(a, b)));
    }
    let mut cluster_of = vec![None; n];
    for (c, members) in groups.iter().enumerate() {
        for &m in members {
            cluster_of[m as usize] = Some(c);
        }
    }
    let neighbours = clusters::neighbours(&weighted, &cluster_of, groups.len(), NEIGHBOURS);
    Shape {
        similarity,
        similar,
        groups,
        neighbours,
        cluster_of,
    }
}

impl Analysis {
    /// Each member's most similar members, the rest freed.
    pub fn into_similar(self) -> Vec<Vec<(u32, f32)>> {
        self.similar
    }
}

impl Shape {
    /// The whole analysis: each cluster labelled with its most distinctive terms.
    pub fn labelled(self, g: &CrawlGraph, texts: &Texts) -> Analysis {
        let terms = labels::distinctive(texts, &self.groups);
        let clusters = self
            .groups
            .into_iter()
            .zip(terms)
            .zip(self.neighbours)
            .map(|((members, terms), neighbours)| Found {
                members,
                terms,
                neighbours,
            })
            .collect();
        Analysis {
            similarity: self.similarity,
            similar: self.similar,
            prior: works::prior(g),
            derivative: works::derivative(g),
            clusters,
            cluster_of: self.cluster_of,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::graph;
    use crate::testkit::{Planted, adjusted_rand_index};

    fn planted_analysis(p: &Planted) -> (CrawlGraph, Analysis) {
        let g = p.graph();
        let texts = p.texts(&g);
        let seed = g.node(&p.corpus.paper(p.seed).id).expect("seed");
        let a = analyse(&g, &[seed], &texts, &g.pagerank());
        (g, a)
    }

    #[test]
    fn clusters_recover_the_planted_communities() {
        let p = Planted::new(5, 60, 10, 0.85, 11);
        let (g, a) = planted_analysis(&p);
        let planted = p.community_of();
        let truth: Vec<usize> = g.member_ids().iter().map(|id| planted[id]).collect();
        // An unclustered paper is a community of its own.
        let found: Vec<usize> = (0..truth.len()).map(|i| a.cluster_of[i].unwrap_or(1000 + i)).collect();
        let ari = adjusted_rand_index(&truth, &found);
        assert!(ari >= 0.8, "ARI {ari:.3} with {} clusters", a.clusters.len());
        // Each cluster's label comes from its community's vocabulary, not the shared words.
        for c in &a.clusters {
            assert!(
                !c.terms.is_empty() && !c.terms.iter().any(|t| t == "analysis" || t == "framework"),
                "{:?}",
                c.terms
            );
        }
    }

    #[test]
    fn the_planted_near_duplicate_is_the_most_similar_to_the_seed() {
        let p = Planted::new(4, 40, 8, 0.85, 5);
        let (g, a) = planted_analysis(&p);
        let dup = g.node(&p.corpus.paper(p.near_duplicate).id).expect("dup") as usize;
        let seed = g.node(&p.corpus.paper(p.seed).id).expect("seed") as usize;
        assert_eq!(a.similarity[seed], 1.0);
        let best_other = (0..a.similarity.len())
            .filter(|&i| i != seed)
            .max_by(|&x, &y| a.similarity[x].total_cmp(&a.similarity[y]))
            .expect("papers");
        assert_eq!(best_other, dup, "{} vs {}", a.similarity[best_other], a.similarity[dup]);
        assert_eq!(a.similar[seed][0].0 as usize, dup);
    }

    #[test]
    fn members_are_ranked_by_pagerank_and_clusters_know_their_neighbours() {
        let p = Planted::new(3, 40, 8, 0.8, 2);
        let (g, a) = planted_analysis(&p);
        let rank = g.pagerank();
        for c in &a.clusters {
            assert!(c.members.windows(2).all(|w| rank[w[0] as usize] >= rank[w[1] as usize]));
            assert!(c.neighbours.iter().all(|&n| n < a.clusters.len()));
        }
        assert!(
            a.clusters.iter().any(|c| !c.neighbours.is_empty()),
            "8 in 10 citations inside: some cross"
        );
    }

    #[test]
    fn a_single_paper_or_no_edges_analyse_to_unclustered_papers_with_zero_similarity() {
        for g in [graph(&["a"], &[]), graph(&["a", "b", "c"], &[]), graph(&[], &[])] {
            let n = g.member_ids().len();
            let a = analyse(&g, &[], &Texts::new(n), &g.pagerank());
            assert!(a.clusters.is_empty() && a.cluster_of.iter().all(Option::is_none));
            assert!(a.similarity.iter().all(|&s| s == 0.0));
            assert!(a.prior.is_empty() && a.derivative.is_empty());
        }
        let g = graph(&["a", "b"], &[("a", "a"), ("a", "b"), ("b", "a")]);
        let a = analyse(&g, &[0], &Texts::new(2), &g.pagerank());
        assert_eq!(a.similarity[0], 1.0);
    }
}
