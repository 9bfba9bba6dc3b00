//! The map by cluster: the papers most similar to the seed(s) and most central, at most
//! `max_nodes` of them, in one JSON Canvas group per cluster. Each group is a grid of
//! nodes; groups are packed in rows, largest first, so the whole map stays within a few
//! thousand pixels and no node lies on another.

use std::collections::{BTreeMap, HashSet};

use super::*;

/// Space between a group's border and its nodes (and room for its label).
const GROUP_PAD: i64 = 60;
/// Space between groups.
const GROUP_GAP: i64 = 160;
/// The id of a cluster's group node.
pub(crate) const GROUP_PREFIX: &str = "refnet-g-";

/// The group of papers with no cluster.
const UNCLUSTERED: i64 = -1;

/// A fresh map of `input` laid out by cluster; deterministic, and independent of the
/// order of `input.papers` and `input.edges`.
pub fn layout_by_cluster(input: &MapInput) -> Canvas {
    let kept = select(&input.papers, input.max_nodes);
    let mut groups: BTreeMap<i64, Vec<&MapPaper>> = BTreeMap::new();
    for p in &kept {
        groups.entry(p.cluster.unwrap_or(UNCLUSTERED)).or_default().push(p);
    }
    // Largest groups first; the seed's group leads whatever its size.
    let mut order: Vec<(i64, Vec<&MapPaper>)> = groups.into_iter().collect();
    order.sort_by(|(a, pa), (b, pb)| {
        let seed_a = pa.iter().any(|p| p.depth == 0);
        let seed_b = pb.iter().any(|p| p.depth == 0);
        seed_b.cmp(&seed_a).then(pb.len().cmp(&pa.len())).then(a.cmp(b))
    });
    let boxes: Vec<(i64, i64, i64)> = order
        .iter()
        .map(|(_, papers)| {
            let (cols, rows) = grid(papers.len());
            (
                cols,
                cols * (NODE_WIDTH + NODE_GAP) - NODE_GAP + 2 * GROUP_PAD,
                rows * (NODE_HEIGHT + NODE_GAP) - NODE_GAP + 2 * GROUP_PAD,
            )
        })
        .collect();
    // Rows of groups about as wide as the whole is tall: a squarish map.
    let area: i64 = boxes.iter().map(|(_, w, h)| (w + GROUP_GAP) * (h + GROUP_GAP)).sum();
    let widest = boxes.iter().map(|(_, w, _)| *w).max().unwrap_or(0);
    let row_width = ((area as f64).sqrt().ceil() as i64).max(widest);
    let (mut x, mut y, mut row_height) = (0i64, 0i64, 0i64);
    let mut group_nodes = Vec::with_capacity(order.len());
    let mut paper_nodes = Vec::with_capacity(kept.len());
    for ((cluster, papers), (cols, w, h)) in order.iter().zip(&boxes) {
        if x > 0 && x + w > row_width {
            x = 0;
            y += row_height + GROUP_GAP;
            row_height = 0;
        }
        group_nodes.push(group_node(*cluster, label_of(input, *cluster), x, y, *w, *h));
        for (i, p) in papers.iter().enumerate() {
            let (col, row) = (i as i64 % cols, i as i64 / cols);
            let nx = x + GROUP_PAD + col * (NODE_WIDTH + NODE_GAP);
            let ny = y + GROUP_PAD + row * (NODE_HEIGHT + NODE_GAP);
            paper_nodes.push(file_node(p, nx, ny));
        }
        x += w + GROUP_GAP;
        row_height = row_height.max(*h);
    }
    group_nodes.extend(paper_nodes);
    let on_map: HashSet<&str> = kept.iter().map(|p| p.paper_id.as_str()).collect();
    let mut edges: Vec<Edge> = input
        .edges
        .iter()
        .filter(|(a, b)| a != b && on_map.contains(a.as_str()) && on_map.contains(b.as_str()))
        .map(|(a, b)| super::layout::citation_edge(a, b))
        .collect();
    edges.sort_by(|a, b| a.id.cmp(&b.id));
    edges.dedup_by(|a, b| a.id == b.id);
    Canvas {
        nodes: group_nodes,
        edges,
        extra: Map::new(),
    }
}

/// Columns and rows of a group's grid: about square.
fn grid(n: usize) -> (i64, i64) {
    let cols = ((n as f64).sqrt().ceil() as i64).max(1);
    let rows = (n as i64 + cols - 1) / cols;
    (cols, rows.max(1))
}

/// The papers on the map: the seed(s), then by similarity to them, then by weight (ties
/// by id), unique, cut to `max_nodes`; within the cut, in the order they are placed
/// (depth, similarity, weight, id).
pub(super) fn select<P: Placed>(papers: &[P], max_nodes: usize) -> Vec<&P> {
    let mut papers: Vec<&P> = papers.iter().filter(|p| !p.candidate().file.is_empty()).collect();
    let key = |w: f64| if w.is_nan() { f64::NEG_INFINITY } else { w };
    papers.sort_by(|a, b| {
        let (a, b) = (a.candidate(), b.candidate());
        (a.depth != 0)
            .cmp(&(b.depth != 0))
            .then_with(|| key(b.similarity).total_cmp(&key(a.similarity)))
            .then_with(|| key(b.weight).total_cmp(&key(a.weight)))
            .then_with(|| a.paper_id.cmp(b.paper_id))
            .then_with(|| a.file.cmp(b.file))
    });
    let mut seen = HashSet::new();
    papers.retain(|p| seen.insert(p.candidate().paper_id));
    papers.truncate(max_nodes);
    papers
}

fn label_of(input: &MapInput, cluster: i64) -> String {
    if cluster == UNCLUSTERED {
        return "Unclustered".to_owned();
    }
    input
        .clusters
        .iter()
        .find(|(id, _)| *id == cluster)
        .map(|(_, label)| label.clone())
        .unwrap_or_else(|| format!("Cluster {cluster}"))
}

fn group_node(cluster: i64, label: String, x: i64, y: i64, width: i64, height: i64) -> Node {
    Node {
        id: format!("{GROUP_PREFIX}{cluster}"),
        kind: NodeKind::Group,
        text: None,
        file: None,
        subpath: None,
        url: None,
        label: Some(label),
        background: None,
        background_style: None,
        x,
        y,
        width,
        height,
        color: None,
        extra: Map::new(),
    }
}

/// A paper's file node with its top-left corner at (`x`, `y`): the ring layout's node.
fn file_node(paper: &MapPaper, x: i64, y: i64) -> Node {
    let (cx, cy) = (x as f64 + NODE_WIDTH as f64 / 2.0, y as f64 + NODE_HEIGHT as f64 / 2.0);
    super::layout::paper_node(paper, cx, cy)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::testkit::canvas::validate;

    fn clustered(n: u32, clusters: i64, cap: usize) -> MapInput {
        let mut papers: Vec<MapPaper> = (0..n)
            .map(|i| MapPaper {
                cluster: Some(i64::from(i) % clusters),
                similarity: f64::from(n - i) / f64::from(n),
                ..paper(i, u32::from(i != 0), f64::from(i % 5))
            })
            .collect();
        papers.reverse();
        let edges: Vec<(u32, u32)> = (1..n).map(|i| (i, i / 2)).collect();
        let mut input = input(papers, &edges, cap);
        input.clusters = (0..clusters).map(|c| (c, format!("topic {c}"))).collect();
        input
    }

    fn overlaps(a: &Node, b: &Node) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    #[test]
    fn a_capped_map_keeps_the_most_similar_papers_in_one_group_per_cluster() {
        let map = layout_by_cluster(&clustered(500, 6, 100));
        assert!(validate(&serde_json::to_string(&map).expect("json")).is_empty());
        let files: Vec<&Node> = map.nodes.iter().filter(|n| n.kind == NodeKind::File).collect();
        let groups: Vec<&Node> = map.nodes.iter().filter(|n| n.kind == NodeKind::Group).collect();
        assert_eq!(files.len(), 100);
        assert_eq!(groups.len(), 6);
        // The 100 most similar: papers 0..100 (similarity falls with the index).
        let kept: HashSet<String> = files.iter().map(|n| n.id.clone()).collect();
        for i in 0..100 {
            assert!(kept.contains(&node_id(&pid(i))), "paper {i} is on the map");
        }
        // Groups come first (z-order), and each paper sits inside its cluster's group.
        assert!(map.nodes[..6].iter().all(|n| n.kind == NodeKind::Group));
        for (i, f) in files.iter().enumerate() {
            let n: u32 = u32::from_str_radix(&f.id[NODE_PREFIX.len()..], 16).expect("hex id");
            let group = groups
                .iter()
                .find(|g| g.id == format!("{GROUP_PREFIX}{}", n % 6))
                .expect("its group");
            assert!(
                f.x >= group.x
                    && f.y >= group.y
                    && f.x + f.width <= group.x + group.width
                    && f.y + f.height <= group.y + group.height,
                "node {i} outside its group"
            );
        }
        // Nothing on top of anything: no two papers, no two groups.
        for (i, a) in files.iter().enumerate() {
            for b in &files[i + 1..] {
                assert!(!overlaps(a, b), "{} and {}", a.id, b.id);
            }
        }
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                assert!(!overlaps(a, b), "{} and {}", a.id, b.id);
            }
        }
        let right = map.nodes.iter().map(|n| n.x + n.width).max().expect("nodes");
        let bottom = map.nodes.iter().map(|n| n.y + n.height).max().expect("nodes");
        assert!(right <= 8000 && bottom <= 8000, "a readable map: {right} x {bottom}");
        assert_eq!(groups[0].label.as_deref(), Some("topic 0"), "the seed's cluster first");
    }

    #[test]
    fn the_same_input_in_any_order_gives_the_same_map() {
        let a = clustered(60, 3, 40);
        let mut b = a.clone();
        b.papers.reverse();
        b.edges.reverse();
        assert_eq!(layout_by_cluster(&a), layout_by_cluster(&b));
    }
}
