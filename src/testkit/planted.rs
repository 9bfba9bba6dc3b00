//! A corpus with planted communities, for testing the graph analysis: papers cite mostly
//! within their community and their titles and abstracts share its vocabulary; the last
//! two papers are the seed and a planted near-duplicate of it (same references, almost
//! the same title, cited by the seed). Deterministic for a given random seed. Usable as a
//! [`CrawlGraph`] directly, or as the fake S2's [`Corpus`] to crawl end to end; plus the
//! adjusted Rand index to score recovered clusters against the planted ones.

use std::collections::HashMap;

use super::corpus::Corpus;
use crate::graph::CrawlGraph;
use crate::graph::labels::Texts;

/// Each community's own words (at most this many communities).
const VOCABULARY: [[&str; 8]; 8] = [
    [
        "transformer",
        "attention",
        "translation",
        "encoder",
        "decoder",
        "token",
        "sequence",
        "bleu",
    ],
    [
        "protein", "folding", "residue", "enzyme", "ligand", "binding", "peptide", "kinase",
    ],
    [
        "galaxy", "halo", "redshift", "stellar", "cosmic", "quasar", "lensing", "nebula",
    ],
    [
        "graphene",
        "lattice",
        "phonon",
        "superconductor",
        "magnetic",
        "spin",
        "crystal",
        "doping",
    ],
    [
        "vaccine",
        "antibody",
        "pathogen",
        "immune",
        "infection",
        "antigen",
        "viral",
        "cohort",
    ],
    [
        "glacier",
        "climate",
        "precipitation",
        "aerosol",
        "ocean",
        "warming",
        "carbon",
        "monsoon",
    ],
    [
        "blockchain",
        "consensus",
        "ledger",
        "byzantine",
        "validator",
        "shard",
        "wallet",
        "smart",
    ],
    [
        "syntax",
        "morphology",
        "phoneme",
        "dialect",
        "corpus",
        "lexicon",
        "semantics",
        "grammar",
    ],
];
/// Words every community uses.
const SHARED: [&str; 6] = ["analysis", "framework", "evaluation", "large", "efficient", "learning"];

/// A planted-community corpus.
#[derive(Debug, Clone)]
pub struct Planted {
    /// The papers, for the fake S2.
    pub corpus: Corpus,
    /// Each paper's planted community (indexed like the corpus).
    pub community: Vec<usize>,
    /// The seed (the newest paper, in community 0).
    pub seed: usize,
    /// The seed's planted near-duplicate.
    pub near_duplicate: usize,
}

impl Planted {
    /// `communities` (≤ 8) communities of about `per` papers, each paper citing `refs`
    /// earlier papers, a share `inside` (0–1) of them in its own community.
    pub fn new(communities: usize, per: usize, refs: usize, inside: f64, seed: u64) -> Self {
        let communities = communities.clamp(1, VOCABULARY.len());
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut corpus = Corpus::new();
        let mut community = Vec::new();
        let mut by_community: Vec<Vec<usize>> = vec![Vec::new(); communities];
        let n = communities * per;
        for i in 0..n {
            let c = i % communities;
            let mut cited: Vec<usize> = Vec::new();
            let mut tries = 0;
            while cited.len() < refs.min(i) && tries < refs * 20 {
                tries += 1;
                let pool = &by_community[c];
                let j = if rng.f64() < inside && !pool.is_empty() {
                    pool[rng.usize(0..pool.len())]
                } else {
                    rng.usize(0..i)
                };
                if !cited.contains(&j) {
                    cited.push(j);
                }
            }
            let idx = add(&mut corpus, &mut rng, &format!("planted-{seed}-{i}"), c, i, n, &cited);
            community.push(c);
            by_community[c].push(idx);
        }
        // The near-duplicate and the seed: the same references, in community 0.
        let pool = &by_community[0];
        let mut shared: Vec<usize> = Vec::new();
        while shared.len() < (refs + 5).min(pool.len()) {
            let j = pool[rng.usize(0..pool.len())];
            if !shared.contains(&j) {
                shared.push(j);
            }
        }
        let near_duplicate = add(&mut corpus, &mut rng, &format!("planted-{seed}-dup"), 0, n, n, &shared);
        community.push(0);
        let title = corpus.paper(near_duplicate).title.clone();
        corpus.paper_mut(near_duplicate).title = format!("{title}: an extended version");
        shared.push(near_duplicate);
        let seed_idx = add(
            &mut corpus,
            &mut rng,
            &format!("planted-{seed}-seed"),
            0,
            n + 1,
            n,
            &shared,
        );
        corpus.paper_mut(seed_idx).title = title;
        community.push(0);
        Self {
            corpus,
            community,
            seed: seed_idx,
            near_duplicate,
        }
    }

    /// Every paper as a member of one crawl (the seed first, at depth 0), every citation
    /// an edge.
    pub fn graph(&self) -> CrawlGraph {
        let mut members = vec![(self.corpus.paper(self.seed).id.clone(), 0)];
        members.extend(
            (0..self.corpus.len())
                .filter(|&i| i != self.seed)
                .map(|i| (self.corpus.paper(i).id.clone(), 1)),
        );
        let mut g = CrawlGraph::new(&members);
        for i in 0..self.corpus.len() {
            let p = self.corpus.paper(i);
            for r in p.references.iter().flatten() {
                g.add_edge(&p.id, &self.corpus.paper(*r).id);
            }
        }
        g.finish();
        g
    }

    /// The members' titles and abstracts, for a graph's node order.
    pub fn texts(&self, g: &CrawlGraph) -> Texts {
        let mut texts = Texts::new(g.member_ids().len());
        for i in 0..self.corpus.len() {
            let p = self.corpus.paper(i);
            if let Some(node) = g.node(&p.id).filter(|&n| g.is_member(n)) {
                texts.set(node as usize, &p.title, p.abstract_text.as_deref());
            }
        }
        texts
    }

    /// The planted community of a paper id.
    pub fn community_of(&self) -> HashMap<String, usize> {
        (0..self.corpus.len())
            .map(|i| (self.corpus.paper(i).id.clone(), self.community[i]))
            .collect()
    }
}

/// Adds paper `i` of community `c` with its words and references.
fn add(
    corpus: &mut Corpus,
    rng: &mut fastrand::Rng,
    label: &str,
    c: usize,
    i: usize,
    n: usize,
    refs: &[usize],
) -> usize {
    let words = &VOCABULARY[c];
    let pick = |rng: &mut fastrand::Rng| words[rng.usize(0..words.len())];
    let shared = |rng: &mut fastrand::Rng| SHARED[rng.usize(0..SHARED.len())];
    let title = format!("{} {} for {} {} ({i})", cap(pick(rng)), pick(rng), pick(rng), pick(rng));
    let sentences: Vec<String> = (0..3)
        .map(|_| {
            let (a, b, s1, d, s2, f) = (pick(rng), pick(rng), shared(rng), pick(rng), shared(rng), pick(rng));
            format!("We study {a} {b} with {s1} {d} and a {s2} {f}.")
        })
        .collect();
    let year = 2000 + (i * 24 / n.max(1)) as i64;
    let idx = corpus.add(label, &title, year, refs);
    corpus.paper_mut(idx).abstract_text = Some(sentences.join(" "));
    idx
}

fn cap(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The adjusted Rand index of two labellings of the same items: 1 for the same partition,
/// about 0 for a random one.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len(), "two labellings of the same items");
    let pairs = |x: u64| x * x.saturating_sub(1) / 2;
    let mut both: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rows: HashMap<usize, u64> = HashMap::new();
    let mut cols: HashMap<usize, u64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *both.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let index = both.values().map(|&v| pairs(v)).sum::<u64>() as f64;
    let ra = rows.values().map(|&v| pairs(v)).sum::<u64>() as f64;
    let cb = cols.values().map(|&v| pairs(v)).sum::<u64>() as f64;
    let total = pairs(a.len() as u64) as f64;
    if total == 0.0 {
        return 1.0;
    }
    let expected = ra * cb / total;
    let max = f64::midpoint(ra, cb);
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adjusted_rand_index_is_one_for_the_same_partition_and_low_for_a_crossed_one() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1, 2, 2], &[5, 5, 3, 3, 9, 9]) - 1.0).abs() < 1e-12);
        let crossed = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]);
        assert!(crossed < 0.0, "{crossed}");
        // The textbook example (Hubert and Arabie's contingency) on a small case.
        let ari = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((ari - 0.242_424_242_4).abs() < 1e-6, "{ari}");
    }

    #[test]
    fn the_planted_corpus_is_deterministic_and_cites_mostly_inside() {
        let a = Planted::new(4, 30, 8, 0.9, 3);
        let b = Planted::new(4, 30, 8, 0.9, 3);
        assert_eq!(a.corpus.paper(a.seed).id, b.corpus.paper(b.seed).id);
        assert_eq!(a.corpus.paper(50).references, b.corpus.paper(50).references);
        let (mut inside, mut all) = (0, 0);
        for i in 0..a.corpus.len() {
            for r in a.corpus.paper(i).references.iter().flatten() {
                all += 1;
                inside += usize::from(a.community[*r] == a.community[i]);
            }
        }
        assert!(inside as f64 / all as f64 > 0.8, "{inside}/{all}");
        let seed = a.corpus.paper(a.seed);
        assert!(seed.references.contains(&Some(a.near_duplicate)));
    }
}
