//! Where each paper goes on a crawl's map.

use std::collections::HashSet;

use super::*;

/// A fresh map of `input`: deterministic (same input → identical canvas), and independent
/// of the order of `input.papers` and `input.edges` (duplicate paper ids: the first in
/// map order wins).
///
/// The seed is centred on (0, 0); each further depth lies on a ring whose radius keeps
/// neighbouring nodes [`NODE_GAP`] apart and the ring at least a node width plus gap
/// outside the previous one, so no two nodes overlap. On a ring, papers go clockwise from
/// the top by weight (descending), then id. Nodes are [`NODE_WIDTH`] × [`NODE_HEIGHT`],
/// coloured by depth ([`depth_color`]); edges point from citing to cited paper.
pub fn layout(input: &MapInput) -> Canvas {
    let kept = select(&input.papers, input.max_nodes);
    let mut nodes = Vec::with_capacity(kept.len());
    let mut inner: Option<f64> = None;
    for ring in kept.chunk_by(|a, b| a.depth == b.depth) {
        let radius = ring_radius(ring.len(), inner);
        nodes.extend(place_ring(ring, radius));
        inner = Some(radius);
    }
    Canvas {
        nodes,
        edges: citation_edges(&kept, &input.edges),
        extra: Map::new(),
    }
}

/// The papers on the map, in map order (depth, weight descending, id), unique, cut to
/// `max_nodes`.
pub(super) fn select<P: Placed>(papers: &[P], max_nodes: usize) -> Vec<&P> {
    let mut papers: Vec<&P> = papers.iter().filter(|p| !p.candidate().file.is_empty()).collect();
    papers.sort_by(|a, b| {
        let (a, b) = (a.candidate(), b.candidate());
        a.depth
            .cmp(&b.depth)
            .then_with(|| weight_key(b.weight).total_cmp(&weight_key(a.weight)))
            .then_with(|| a.paper_id.cmp(b.paper_id))
            .then_with(|| a.file.cmp(b.file))
    });
    let mut seen = HashSet::new();
    papers.retain(|p| seen.insert(p.candidate().paper_id));
    papers.truncate(max_nodes);
    papers
}

/// A weight for ordering: NaN counts as the lowest.
fn weight_key(weight: f64) -> f64 {
    if weight.is_nan() { f64::NEG_INFINITY } else { weight }
}

/// The radius of a ring of `count` nodes outside a ring of radius `inner` (none: this is
/// the innermost ring, which is the centre point when it holds a single node).
fn ring_radius(count: usize, inner: Option<f64>) -> f64 {
    match inner {
        None if count <= 1 => 0.0,
        None => min_ring_radius(count),
        Some(inner) => min_ring_radius(count).max(inner + (NODE_WIDTH + NODE_GAP) as f64 + ROUNDING_MARGIN),
    }
}

/// The smallest radius at which `count` evenly spaced nodes are a node width plus gap
/// apart (chord, hence also arc), so neighbours cannot overlap whatever their angle.
fn min_ring_radius(count: usize) -> f64 {
    if count <= 1 {
        return 0.0;
    }
    let chord = (NODE_WIDTH + NODE_GAP) as f64;
    (chord / (2.0 * (std::f64::consts::PI / count as f64).sin()) + ROUNDING_MARGIN).ceil()
}

/// File nodes for the papers of one ring, clockwise from the top.
fn place_ring(ring: &[&MapPaper], radius: f64) -> Vec<Node> {
    let step = std::f64::consts::TAU / ring.len().max(1) as f64;
    ring.iter()
        .enumerate()
        .map(|(i, paper)| {
            let angle = step * i as f64;
            paper_node(paper, radius * angle.sin(), -radius * angle.cos())
        })
        .collect()
}

/// A paper's file node centred on (`cx`, `cy`).
pub(super) fn paper_node(paper: &MapPaper, cx: f64, cy: f64) -> Node {
    Node {
        id: node_id(&paper.paper_id),
        kind: NodeKind::File,
        text: None,
        file: Some(paper.file.clone()),
        subpath: None,
        url: None,
        label: None,
        background: None,
        background_style: None,
        x: (cx - NODE_WIDTH as f64 / 2.0).round() as i64,
        y: (cy - NODE_HEIGHT as f64 / 2.0).round() as i64,
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        color: depth_color(paper.depth),
        extra: Map::new(),
    }
}

/// Citation edges between kept papers, sorted by id, without duplicates or self-citations.
fn citation_edges(kept: &[&MapPaper], citations: &[(String, String)]) -> Vec<Edge> {
    let on_map: HashSet<&str> = kept.iter().map(|p| p.paper_id.as_str()).collect();
    let mut edges: Vec<Edge> = citations
        .iter()
        .filter(|(citing, cited)| {
            citing != cited && on_map.contains(citing.as_str()) && on_map.contains(cited.as_str())
        })
        .map(|(citing, cited)| citation_edge(citing, cited))
        .collect();
    edges.sort_by(|a, b| a.id.cmp(&b.id));
    edges.dedup_by(|a, b| a.id == b.id);
    edges
}

pub(super) fn citation_edge(citing: &str, cited: &str) -> Edge {
    Edge {
        id: edge_id(citing, cited),
        from_node: node_id(citing),
        from_side: None,
        from_end: None,
        to_node: node_id(cited),
        to_side: None,
        to_end: Some(End::Arrow),
        color: None,
        label: None,
        extra: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::testkit::canvas::validate;

    // --- layout ---

    #[test]
    fn small_map_has_the_seed_centred_and_depth_one_on_a_ring_by_weight() {
        let map = layout(&input(
            vec![paper(3, 1, 0.1), paper(0, 0, 0.0), paper(1, 1, 0.9), paper(2, 1, 0.5)],
            &[(0, 1), (0, 2), (3, 0)],
            100,
        ));
        let order: Vec<&str> = map.nodes.iter().map(|n| n.id.as_str()).collect();
        let expected: Vec<String> = [0, 1, 2, 3].iter().map(|&n| node_id(&pid(n))).collect();
        assert_eq!(order, expected, "seed, then the ring by weight");

        let seed = find(&map, 0);
        let (sx, sy) = centre(seed);
        assert!(sx.abs() <= 1.0 && sy.abs() <= 1.0, "seed centred: {sx},{sy}");
        assert_eq!(
            (seed.width, seed.height, seed.kind),
            (NODE_WIDTH, NODE_HEIGHT, NodeKind::File)
        );
        assert_eq!(seed.file.as_deref(), Some("refnet/papers/Paper 0.md"));
        assert_eq!(seed.color.as_deref(), Some("6"));

        let r = radius(find(&map, 1));
        assert!(r >= (NODE_WIDTH + NODE_GAP) as f64, "ring outside the seed: {r}");
        for n in [2, 3] {
            assert!((radius(find(&map, n)) - r).abs() <= 2.0, "same ring");
        }
        let (hx, hy) = centre(find(&map, 1));
        assert!(hx.abs() <= 1.0 && hy < 0.0, "heaviest at the top: {hx},{hy}");
        assert!(centre(find(&map, 2)).0 > 0.0, "then clockwise (right)");
        assert!(centre(find(&map, 3)).0 < 0.0, "then the left");

        let edges: Vec<(&str, &str, Option<End>)> = map
            .edges
            .iter()
            .map(|e| (e.from_node.as_str(), e.to_node.as_str(), e.to_end))
            .collect();
        assert_eq!(edges.len(), 3);
        assert!(edges.contains(&(expected[3].as_str(), expected[0].as_str(), Some(End::Arrow))));
        assert!(
            map.edges
                .iter()
                .all(|e| e.id == edge_id(&e.from_node[9..], &e.to_node[9..]))
        );
    }

    #[test]
    fn nodes_on_a_ring_never_overlap() {
        for count in [1, 2, 50, 400] {
            let map = layout(&ring_of(count));
            assert_eq!(map.nodes.len(), count as usize + 1);
            let ring = &map.nodes[1..];
            let r = radius(&ring[0]);
            let circumference = std::f64::consts::TAU * r;
            assert!(
                count == 1 || circumference >= f64::from(count) * (NODE_WIDTH + NODE_GAP) as f64,
                "{count}: circumference {circumference}"
            );
            for (i, a) in map.nodes.iter().enumerate() {
                for b in &map.nodes[i + 1..] {
                    assert!(!overlap(a, b), "{count} on a ring: {} overlaps {}", a.id, b.id);
                }
            }
        }
    }

    #[test]
    fn rings_lie_outside_each_other_and_never_overlap() {
        let mut papers = vec![paper(0, 0, 1.0)];
        papers.extend((1..=30).map(|n| paper(n, 1, 0.5)));
        papers.extend((31..=33).map(|n| paper(n, 2, 0.5)));
        papers.extend((34..=120).map(|n| paper(n, 3, 0.5)));
        let map = layout(&input(papers, &[], usize::MAX));
        let r1 = radius(find(&map, 1));
        let r2 = radius(find(&map, 31));
        let r3 = radius(find(&map, 34));
        let step = (NODE_HEIGHT + NODE_GAP) as f64;
        assert!(r2 >= r1 + step && r3 >= r2 + step, "{r1} {r2} {r3}");
        for (i, a) in map.nodes.iter().enumerate() {
            for b in &map.nodes[i + 1..] {
                assert!(!overlap(a, b), "{} overlaps {}", a.id, b.id);
            }
        }
        assert_eq!(find(&map, 31).color.as_deref(), Some("4"));
        assert_eq!(find(&map, 34).color, None);
    }

    #[test]
    fn max_nodes_keeps_the_seed_then_depth_then_the_heaviest() {
        let papers = vec![
            paper(1, 1, 0.2),
            paper(2, 1, 0.9),
            paper(3, 2, 5.0),
            paper(4, 1, 0.5),
            paper(5, 1, 0.5),
            paper(0, 0, 0.0),
        ];
        let map = layout(&input(papers, &[(0, 1), (0, 2), (2, 3), (4, 2)], 4));
        let kept: Vec<String> = map.nodes.iter().map(|n| n.id.clone()).collect();
        let expected: Vec<String> = [0, 2, 4, 5].iter().map(|&n| node_id(&pid(n))).collect();
        assert_eq!(kept, expected, "seed, heaviest depth 1, ties by id");
        let edges: Vec<&str> = map.edges.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(edges, [edge_id(&pid(0), &pid(2)), edge_id(&pid(4), &pid(2))]);
        assert!(layout(&input(vec![paper(0, 0, 0.0)], &[], 0)).nodes.is_empty());
    }

    #[test]
    fn layout_is_deterministic_and_ignores_input_order() {
        let papers: Vec<MapPaper> = (0..40).map(|n| paper(n, n.min(3) % 4, f64::from(n % 5))).collect();
        let edges: Vec<(u32, u32)> = (0..40).map(|n| (n, (n * 7 + 3) % 40)).collect();
        let a = layout(&input(papers.clone(), &edges, 30));
        let b = layout(&input(papers.clone(), &edges, 30));
        let reversed_edges: Vec<(u32, u32)> = edges.iter().rev().copied().collect();
        let c = layout(&input(papers.into_iter().rev().collect(), &reversed_edges, 30));
        let text = merge(None, &a).expect("writes");
        assert_eq!(text, merge(None, &b).expect("writes"));
        assert_eq!(text, merge(None, &c).expect("writes"));
        assert!(validate(&text).is_empty(), "{:?}", validate(&text));
        let back: Canvas = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, a);
    }

    #[test]
    fn layout_drops_self_citations_duplicates_and_papers_without_a_note() {
        let mut no_note = paper(3, 1, 9.0);
        no_note.file.clear();
        let map = layout(&input(
            vec![paper(0, 0, 1.0), paper(1, 1, 1.0), paper(1, 2, 5.0), no_note],
            &[(0, 0), (0, 1), (0, 1), (0, 3)],
            10,
        ));
        assert_eq!(map.nodes.len(), 2);
        assert_eq!(find(&map, 1).color.as_deref(), Some("5"), "the shallower copy wins");
        assert_eq!(map.edges.len(), 1);
    }
}
