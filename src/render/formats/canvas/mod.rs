//! A JSON Canvas map of a crawl (<https://jsoncanvas.org>, spec 1.0): the canvas types
//! here, and two jobs beside them. [`layout`](layout()) places one file node per paper
//! note: the seed at the centre, each further depth on its own ring around it, papers on a
//! ring by weight, heaviest at the top. [`merge`](merge()) puts a fresh map into the text
//! of an existing `.canvas` file without destroying the user's work: nodes and edges whose
//! ids start with `refnet-` are refnet's, everything else is the user's and is kept as it
//! was; refnet's nodes keep the position and size the user gave them. (Tests check maps
//! against the spec's rules with `testkit::canvas::validate`.)

mod groups;
mod layout;
mod merge;

pub use groups::layout_by_cluster;
pub use layout::layout;
pub use merge::merge;

use serde::{Deserialize, Serialize};
use serde_json::ser::PrettyFormatter;
use serde_json::{Map, Value};

/// Width of a paper node.
pub const NODE_WIDTH: i64 = 400;
/// Height of a paper node.
pub const NODE_HEIGHT: i64 = 140;
/// Minimum free space between two paper nodes.
pub const NODE_GAP: i64 = 40;
/// Prefix of every id refnet owns; nodes and edges with other ids are the user's.
pub const OWNED_PREFIX: &str = "refnet-";
/// Prefix of a paper node's id (followed by the paper id).
pub const NODE_PREFIX: &str = "refnet-p-";
/// Prefix of a citation edge's id (followed by `citing-cited`).
pub const EDGE_PREFIX: &str = "refnet-e-";

/// Extra pixels added to every ring radius so that rounding to integers never brings two
/// nodes closer than the gap allows.
const ROUNDING_MARGIN: f64 = 2.0;
/// Keys of a node that [`Node`] has fields for (everything else goes to `extra`).
pub(crate) const NODE_KEYS: [&str; 14] = [
    "id",
    "type",
    "text",
    "file",
    "subpath",
    "url",
    "label",
    "background",
    "backgroundStyle",
    "x",
    "y",
    "width",
    "height",
    "color",
];
/// Keys of an edge that [`Edge`] has fields for (everything else goes to `extra`).
pub(crate) const EDGE_KEYS: [&str; 9] = [
    "id", "fromNode", "fromSide", "fromEnd", "toNode", "toSide", "toEnd", "color", "label",
];
/// Keys of the top level that [`Canvas`] has fields for.
pub(crate) const CANVAS_KEYS: [&str; 2] = ["nodes", "edges"];

/// One paper on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPaper {
    /// The 40-hex Semantic Scholar id; the node id is derived from it.
    pub paper_id: String,
    /// Vault-relative note path, e.g. `refnet/papers/Attention Is All You Need.md`.
    pub file: String,
    /// Crawl depth: 0 = the seed.
    pub depth: u32,
    /// Importance (PageRank): higher is placed first on its ring.
    pub weight: f64,
    /// Its cluster, for a map by cluster.
    pub cluster: Option<i64>,
    /// Similarity to the seed(s), 0–1: a capped map by cluster keeps the most similar.
    pub similarity: f64,
}

/// What the map shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MapInput {
    /// The papers (those with an empty `file` are left out).
    pub papers: Vec<MapPaper>,
    /// (citing paper id, cited paper id); only edges between papers on the map are drawn.
    pub edges: Vec<(String, String)>,
    /// At most this many papers: the seed first, then by depth, then by weight (ties by id).
    pub max_nodes: usize,
    /// Cluster labels by id (a map by cluster draws one group per cluster).
    pub clusters: Vec<(i64, String)>,
}

impl MapInput {
    /// The ids of the papers the map shows (the layout's own cut): the layout of only
    /// these papers, and the edges between them, is the same map.
    pub fn shown(&self) -> std::collections::HashSet<String> {
        shown_of(&self.papers, !self.clusters.is_empty(), self.max_nodes)
    }
}

/// A paper that may go on the map, borrowed from where its parts are kept: a crawl of
/// 100,000 papers offers them all for a map of a few hundred, and copying each one's id
/// and path first was 20 MB at the end of the render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapCandidate<'a> {
    /// Its S2 id.
    pub paper_id: &'a str,
    /// Its note's path (empty: no note, not on the map).
    pub file: &'a str,
    /// Its crawl depth.
    pub depth: u32,
    /// Its PageRank.
    pub weight: f64,
    /// Its similarity to the seeds.
    pub similarity: f64,
}

/// What choosing the map's papers reads of each paper: a [`MapPaper`] or a candidate.
pub trait Placed {
    /// The paper as a candidate for the map.
    fn candidate(&self) -> MapCandidate<'_>;
}

impl Placed for MapPaper {
    fn candidate(&self) -> MapCandidate<'_> {
        MapCandidate {
            paper_id: &self.paper_id,
            file: &self.file,
            depth: self.depth,
            weight: self.weight,
            similarity: self.similarity,
        }
    }
}

impl Placed for MapCandidate<'_> {
    fn candidate(&self) -> MapCandidate<'_> {
        *self
    }
}

/// The ids of the papers a map of `papers` shows: by cluster (`by_cluster`) or in
/// rings by depth, at most `max_nodes`.
pub fn shown_of<P: Placed>(papers: &[P], by_cluster: bool, max_nodes: usize) -> std::collections::HashSet<String> {
    let kept = if by_cluster {
        groups::select(papers, max_nodes)
    } else {
        layout::select(papers, max_nodes)
    };
    kept.iter().map(|p| p.candidate().paper_id.to_owned()).collect()
}

/// Why an existing canvas could not be merged (the caller then leaves it alone).
#[derive(Debug, thiserror::Error)]
pub enum CanvasError {
    /// The text is not JSON.
    #[error("the canvas file is not valid JSON ({0}): fix or delete it to get the map updated")]
    NotJson(String),
    /// The text is JSON, but not an object with `nodes` and `edges` lists.
    #[error("the canvas file is JSON but not a canvas ({0}): fix or delete it to get the map updated")]
    NotACanvas(String),
}

/// A whole canvas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Canvas {
    /// Nodes in z-order (groups first).
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// Edges between nodes.
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Top-level keys this type does not know (kept through a merge).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a node shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// Markdown text.
    Text,
    /// A file in the vault.
    File,
    /// A web page.
    Link,
    /// A box around other nodes.
    Group,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Unique id.
    pub id: String,
    /// The node type.
    #[serde(rename = "type")]
    pub kind: NodeKind,
    /// Markdown text (`text` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Vault-relative path with extension (`file` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Heading or block in the file, starting with `#` (`file` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    /// The address (`link` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Title (`group` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Background image path (`group` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// `cover`, `ratio` or `repeat` (`group` nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_style: Option<String>,
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
    /// `"1"`–`"6"` or `"#RRGGBB"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Keys this type does not know (kept through a merge).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Side of a node an edge attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Top side.
    Top,
    /// Right side.
    Right,
    /// Bottom side.
    Bottom,
    /// Left side.
    Left,
}

/// What an edge end looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum End {
    /// A plain end.
    None,
    /// An arrowhead.
    Arrow,
}

/// One edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// Unique id.
    pub id: String,
    /// Id of the node the edge starts at.
    pub from_node: String,
    /// Side it starts at (absent: chosen by the viewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_side: Option<Side>,
    /// Start shape (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_end: Option<End>,
    /// Id of the node the edge ends at.
    pub to_node: String,
    /// Side it ends at (absent: chosen by the viewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_side: Option<Side>,
    /// End shape (absent: arrow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_end: Option<End>,
    /// `"1"`–`"6"` or `"#RRGGBB"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Text on the edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Keys this type does not know (kept through a merge).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The id of a paper's node.
pub fn node_id(paper_id: &str) -> String {
    format!("{NODE_PREFIX}{paper_id}")
}

/// The id of the edge for "`citing` cites `cited`".
pub fn edge_id(citing: &str, cited: &str) -> String {
    format!("{EDGE_PREFIX}{citing}-{cited}")
}

/// A node's colour by depth: the seed purple (`"6"`), depth 1 cyan (`"5"`), depth 2 green
/// (`"4"`), deeper uncoloured.
pub fn depth_color(depth: u32) -> Option<String> {
    match depth {
        0 => Some("6".to_owned()),
        1 => Some("5".to_owned()),
        2 => Some("4".to_owned()),
        _ => None,
    }
}

/// Tab-indented JSON (as Obsidian writes it) with a trailing newline.
fn to_text<T: Serialize>(value: &T) -> Result<String, CanvasError> {
    let mut buf = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut buf, PrettyFormatter::with_indent(b"\t"));
    // Serializing string-keyed JSON into memory cannot fail; should it ever, the caller
    // leaves the file alone, which is the safe answer.
    value
        .serialize(&mut serializer)
        .map_err(|e| CanvasError::NotACanvas(format!("cannot write the merged canvas: {e}")))?;
    let mut text = String::from_utf8(buf).map_err(|e| CanvasError::NotACanvas(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Builders and probes shared by the canvas tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub(crate) fn pid(n: u32) -> String {
        format!("{n:040x}")
    }

    pub(crate) fn paper(n: u32, depth: u32, weight: f64) -> MapPaper {
        MapPaper {
            paper_id: pid(n),
            file: format!("refnet/papers/Paper {n}.md"),
            depth,
            weight,
            cluster: None,
            similarity: 0.0,
        }
    }

    pub(crate) fn input(papers: Vec<MapPaper>, edges: &[(u32, u32)], max_nodes: usize) -> MapInput {
        MapInput {
            papers,
            edges: edges.iter().map(|&(a, b)| (pid(a), pid(b))).collect(),
            max_nodes,
            clusters: Vec::new(),
        }
    }

    /// A seed and `count` depth-1 papers with distinct weights.
    pub(crate) fn ring_of(count: u32) -> MapInput {
        let mut papers = vec![paper(0, 0, 1.0)];
        papers.extend((1..=count).map(|n| paper(n, 1, f64::from(n % 7) / 10.0)));
        input(papers, &[], usize::MAX)
    }

    pub(crate) fn centre(node: &Node) -> (f64, f64) {
        (
            node.x as f64 + node.width as f64 / 2.0,
            node.y as f64 + node.height as f64 / 2.0,
        )
    }

    pub(crate) fn radius(node: &Node) -> f64 {
        let (x, y) = centre(node);
        x.hypot(y)
    }

    pub(crate) fn overlap(a: &Node, b: &Node) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    pub(crate) fn find(canvas: &Canvas, n: u32) -> &Node {
        let id = node_id(&pid(n));
        canvas.nodes.iter().find(|node| node.id == id).expect("node on the map")
    }

    pub(crate) fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("merge output is JSON")
    }

    pub(crate) fn ids(list: &Value) -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|v| v["id"].as_str().expect("string id").to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_match_the_types() {
        let node = Node {
            id: "a".into(),
            kind: NodeKind::Group,
            text: Some(String::new()),
            file: Some(String::new()),
            subpath: Some(String::new()),
            url: Some(String::new()),
            label: Some(String::new()),
            background: Some(String::new()),
            background_style: Some(String::new()),
            x: 0,
            y: 0,
            width: 0,
            height: 0,
            color: Some(String::new()),
            extra: Map::new(),
        };
        let edge = Edge {
            id: "e".into(),
            from_node: "a".into(),
            from_side: Some(Side::Top),
            from_end: Some(End::None),
            to_node: "b".into(),
            to_side: Some(Side::Left),
            to_end: Some(End::Arrow),
            color: Some(String::new()),
            label: Some(String::new()),
            extra: Map::new(),
        };
        let keys = |v: Value| -> Vec<String> {
            let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
            keys.sort();
            keys
        };
        let sorted = |list: &[&str]| -> Vec<String> {
            let mut list: Vec<String> = list.iter().map(std::string::ToString::to_string).collect();
            list.sort();
            list
        };
        assert_eq!(keys(serde_json::to_value(&node).expect("node")), sorted(&NODE_KEYS));
        assert_eq!(keys(serde_json::to_value(&edge).expect("edge")), sorted(&EDGE_KEYS));
    }
}
