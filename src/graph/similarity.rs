//! How alike two papers are, as Connected Papers measures it: co-citation (papers of the
//! graph citing both) plus bibliographic coupling (references both cite), over every
//! stored paper, not only the crawl's.
//!
//! A paper's neighbours are its references (one role) and its citing papers (the other);
//! two papers share a neighbour when it stands in the same role to both. The score is
//! `shared / sqrt(deg a · deg b)`, the cosine of the two binary neighbour vectors, so it
//! lies in 0–1 and a paper with itself scores 1.
//!
//! Cost: a paper's similarity to the seeds walks the seeds' neighbours' neighbours once
//! (exact). Each member's top-k walks every member's neighbours' neighbours, which a hub
//! (a paper cited by half the crawl) would make quadratic: neighbours with more than
//! [`HUB_DEGREE`] ends are skipped there, as an inverse document frequency would all but
//! ignore them. Their share still counts in the degrees, so scores stay comparable.

use super::CrawlGraph;

/// Members most similar to each member kept.
pub const TOP_K: usize = 10;
/// Neighbours with more ends than this are skipped when finding each member's top-k.
pub const HUB_DEGREE: usize = 1_000;

/// Neighbour-role degree of node `i`: references plus citing papers.
fn degree(g: &CrawlGraph, i: u32) -> usize {
    g.references(i).len() + g.cited_by(i).len()
}

fn cosine(shared: u32, da: usize, db: usize) -> f64 {
    if shared == 0 || da == 0 || db == 0 {
        return 0.0;
    }
    (f64::from(shared) / ((da as f64) * (db as f64)).sqrt()).min(1.0)
}

/// Each member's similarity to the nearest seed (max over `seeds`), 0–1; a seed scores 1.
/// Seeds that are not members are still measured against (their stored neighbours count).
pub fn to_seeds(g: &CrawlGraph, seeds: &[u32]) -> Vec<f64> {
    let n = g.member_ids().len();
    let mut best = vec![0.0f64; n];
    let mut count = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    for &s in seeds {
        count_shared(g, s, usize::MAX, &mut count, &mut touched);
        let ds = degree(g, s);
        for &b in &touched {
            let score = cosine(count[b as usize], ds, degree(g, b));
            if score > best[b as usize] {
                best[b as usize] = score;
            }
            count[b as usize] = 0;
        }
        touched.clear();
        if g.is_member(s) {
            best[s as usize] = 1.0;
        }
    }
    best
}

/// Counts, for every member `b`, the neighbours it shares with `a` in the same role,
/// skipping neighbours with more than `hub` ends. `count` is zero on entry and on
/// `touched` entries afterwards (the caller resets them).
fn count_shared(g: &CrawlGraph, a: u32, hub: usize, count: &mut [u32], touched: &mut Vec<u32>) {
    let mut bump = |b: u32| {
        if b != a && g.is_member(b) {
            let c = &mut count[b as usize];
            if *c == 0 {
                touched.push(b);
            }
            *c += 1;
        }
    };
    // Coupling: a reference r of a, cited by b too.
    for &r in g.references(a) {
        if degree(g, r) <= hub {
            g.cited_by(r).iter().for_each(|&b| bump(b));
        }
    }
    // Co-citation: a paper c citing a, citing b too.
    for &c in g.cited_by(a) {
        if degree(g, c) <= hub {
            g.references(c).iter().for_each(|&b| bump(b));
        }
    }
}

/// Each member's `k` most similar other members, best first (ties by paper id), scores
/// above 0 only. Members are shared out to the machine's cores in blocks; the result does
/// not depend on how many.
pub fn top_k(g: &CrawlGraph, k: usize) -> Vec<Vec<(u32, f32)>> {
    let n = g.member_ids().len();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_THREADS);
    if threads <= 1 || n < 2 * BLOCK {
        return top_k_of(g, k, 0..n as u32);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    // (first member, the block's lists)
    type Block = (usize, Vec<Vec<(u32, f32)>>);
    let mut blocks: Vec<Block> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    let mut scratch = Scratch::new(n);
                    loop {
                        let start = next.fetch_add(BLOCK, std::sync::atomic::Ordering::Relaxed);
                        if start >= n {
                            break done;
                        }
                        let range = start as u32..(start + BLOCK).min(n) as u32;
                        done.push((start, range.map(|a| scratch.top(g, a, k)).collect()));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    blocks.sort_unstable_by_key(|b| b.0);
    blocks.into_iter().flat_map(|b| b.1).collect()
}

/// Members per block handed to a thread by [`top_k`].
const BLOCK: usize = 512;
/// Threads [`top_k`] uses at most.
const MAX_THREADS: usize = 8;

fn top_k_of(g: &CrawlGraph, k: usize, members: std::ops::Range<u32>) -> Vec<Vec<(u32, f32)>> {
    let mut scratch = Scratch::new(g.member_ids().len());
    members.map(|a| scratch.top(g, a, k)).collect()
}

/// One thread's counters for [`top_k`].
struct Scratch {
    count: Vec<u32>,
    touched: Vec<u32>,
    scored: Vec<(u32, f32)>,
}

impl Scratch {
    fn new(members: usize) -> Self {
        Self {
            count: vec![0; members],
            touched: Vec::new(),
            scored: Vec::new(),
        }
    }

    /// Member `a`'s `k` most similar members, in a list of its own size: a member shares
    /// neighbours with hundreds, and 100,000 lists sized for those took 460 MB.
    fn top(&mut self, g: &CrawlGraph, a: u32, k: usize) -> Vec<(u32, f32)> {
        let Self { count, touched, scored } = self;
        count_shared(g, a, HUB_DEGREE, count, touched);
        let da = degree(g, a);
        scored.extend(
            touched
                .iter()
                .map(|&b| (b, cosine(count[b as usize], da, degree(g, b)) as f32)),
        );
        for &b in touched.iter() {
            count[b as usize] = 0;
        }
        touched.clear();
        let by_score = |x: &(u32, f32), y: &(u32, f32)| y.1.total_cmp(&x.1).then_with(|| g.cmp_ids(x.0, y.0));
        if scored.len() > k {
            scored.select_nth_unstable_by(k, by_score);
            scored.truncate(k);
        }
        scored.sort_by(by_score);
        let top = scored.clone(); // sized to its length, not the buffer's capacity
        scored.clear();
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::graph;

    #[test]
    fn shared_references_and_shared_citers_both_count_and_stay_within_one() {
        // a and b cite x, y; c cites a and b; d cites only a.
        let g = graph(
            &["a", "b", "c", "d"],
            &[
                ("a", "x"),
                ("a", "y"),
                ("b", "x"),
                ("b", "y"),
                ("c", "a"),
                ("c", "b"),
                ("d", "a"),
            ],
        );
        let a = g.node("a").expect("a");
        let sim = to_seeds(&g, &[a]);
        // a: refs x, y; citers c, d (deg 4). b: refs x, y; citer c (deg 3). Shared 3.
        assert!((sim[0] - 1.0).abs() < 1e-12);
        assert!((sim[1] - 3.0 / (4.0f64 * 3.0).sqrt()).abs() < 1e-12, "{sim:?}");
        // c and d share nothing with a in the same role (c cites a: a different role).
        assert_eq!(sim[2], 0.0);
        assert!(sim.iter().all(|s| (0.0..=1.0).contains(s)));
        let top = top_k(&g, 10);
        assert_eq!(top[0].first().map(|p| p.0), g.node("b"));
        // c and d both cite a: co-cited? No: they are coupled through a.
        let cd = 1.0 / (2.0f64 * 1.0).sqrt();
        assert!((f64::from(top[3][0].1) - cd).abs() < 1e-6, "{:?}", top[3]);
    }

    #[test]
    fn the_best_of_several_seeds_counts_and_isolated_papers_score_zero() {
        let g = graph(
            &["s1", "s2", "p", "q", "lone"],
            &[("s1", "x"), ("p", "x"), ("s2", "y"), ("q", "y"), ("q", "z")],
        );
        let ids = |s: &str| g.node(s).expect("node");
        let sim = to_seeds(&g, &[ids("s1"), ids("s2")]);
        assert_eq!((sim[0], sim[1]), (1.0, 1.0));
        assert!((sim[2] - 1.0).abs() < 1e-12, "p cites exactly what s1 cites");
        assert!((sim[3] - 1.0 / 2.0f64.sqrt()).abs() < 1e-12);
        assert_eq!(sim[4], 0.0);
        assert!(top_k(&g, 10)[4].is_empty());
    }

    #[test]
    fn top_k_keeps_k_best_first_with_ties_broken_by_id() {
        // Every p_i cites h: all tie with each other.
        let members: Vec<String> = (0..15).map(|i| format!("p{i:02}")).collect();
        let refs: Vec<&str> = members.iter().map(String::as_str).collect();
        let edges: Vec<(&str, &str)> = refs.iter().map(|p| (*p, "h")).collect();
        let g = graph(&refs, &edges);
        let top = top_k(&g, 3);
        let names: Vec<&str> = top[0].iter().map(|(b, _)| g.id(*b)).collect();
        assert_eq!(names, ["p01", "p02", "p03"]);
        assert!(top.iter().all(|t| t.len() == 3));
    }

    #[test]
    fn a_hub_is_skipped_for_top_k_but_counts_for_the_seed() {
        let many: Vec<String> = (0..HUB_DEGREE + 5).map(|i| format!("m{i}")).collect();
        let mut members: Vec<&str> = vec!["a", "b"];
        members.extend(many.iter().map(String::as_str));
        let mut edges: Vec<(&str, &str)> = members.iter().map(|m| (*m, "hub")).collect();
        edges.push(("a", "r"));
        edges.push(("b", "r"));
        let g = graph(&members, &edges);
        let top = top_k(&g, 5);
        assert_eq!(top[0].len(), 1, "only b shares a non-hub reference with a");
        let sim = to_seeds(&g, &[0]);
        assert!(sim[2] > 0.0, "the seed's similarity is exact: m0 shares the hub");
    }

    #[test]
    fn top_k_shared_out_to_threads_matches_one_thread() {
        let p = crate::testkit::Planted::new(4, 400, 8, 0.85, 3);
        let g = p.graph();
        let n = g.member_ids().len();
        assert!(n >= 2 * BLOCK, "enough members for blocks");
        assert_eq!(top_k(&g, TOP_K), top_k_of(&g, TOP_K, 0..n as u32));
        assert!(
            top_k(&g, TOP_K)
                .iter()
                .all(|l| l.len() <= TOP_K && l.capacity() == l.len())
        );
    }
}
