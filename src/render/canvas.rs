//! A JSON Canvas map of a crawl (<https://jsoncanvas.org>, spec 1.0).
//!
//! [`layout`] places one file node per paper note: the seed at the centre, each further
//! depth on its own ring around it, papers on a ring by weight, heaviest at the top.
//! [`merge`] puts a fresh map into the text of an existing `.canvas` file without
//! destroying the user's work: nodes and edges whose ids start with `refnet-` are
//! refnet's, everything else is the user's and is kept as it was; refnet's nodes keep the
//! position and size the user gave them. [`validate`] checks a canvas text against the
//! spec's rules.

use std::collections::{HashMap, HashSet};

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
const NODE_KEYS: [&str; 14] = [
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
const EDGE_KEYS: [&str; 9] = [
    "id", "fromNode", "fromSide", "fromEnd", "toNode", "toSide", "toEnd", "color", "label",
];
/// Keys of the top level that [`Canvas`] has fields for.
const CANVAS_KEYS: [&str; 2] = ["nodes", "edges"];
const NODE_TYPES: [&str; 4] = ["text", "file", "link", "group"];
const SIDES: [&str; 4] = ["top", "right", "bottom", "left"];
const ENDS: [&str; 2] = ["none", "arrow"];
const BACKGROUND_STYLES: [&str; 3] = ["cover", "ratio", "repeat"];

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

// ---------------------------------------------------------------------------------------
// Layout

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
    let kept = select(input);
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

/// The papers on the map, in map order (depth, weight descending, id), unique, cut to
/// `max_nodes`.
fn select(input: &MapInput) -> Vec<&MapPaper> {
    let mut papers: Vec<&MapPaper> = input.papers.iter().filter(|p| !p.file.is_empty()).collect();
    papers.sort_by(|a, b| {
        a.depth
            .cmp(&b.depth)
            .then_with(|| weight_key(b.weight).total_cmp(&weight_key(a.weight)))
            .then_with(|| a.paper_id.cmp(&b.paper_id))
            .then_with(|| a.file.cmp(&b.file))
    });
    let mut seen = HashSet::new();
    papers.retain(|p| seen.insert(p.paper_id.as_str()));
    papers.truncate(input.max_nodes);
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
fn paper_node(paper: &MapPaper, cx: f64, cy: f64) -> Node {
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

fn citation_edge(citing: &str, cited: &str) -> Edge {
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

// ---------------------------------------------------------------------------------------
// Merge

/// An existing canvas, its nodes and edges as they were written.
#[derive(Debug, Default)]
struct Existing {
    nodes: Vec<Value>,
    edges: Vec<Value>,
    extra: Map<String, Value>,
}

/// A node or edge in the output: refnet's (typed), or kept exactly as it was.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Item<T> {
    Ours(T),
    Kept(Value),
}

/// The merged canvas, ready to write.
#[derive(Debug, Serialize)]
struct Merged {
    nodes: Vec<Item<Node>>,
    edges: Vec<Item<Edge>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Merges `fresh` into the text of an existing canvas (`None`: no file yet; an empty or
/// blank text counts as none) and returns the new text: tab-indented JSON ending in a
/// newline.
///
/// - Nodes and edges whose ids do not start with `refnet-` are the user's and are kept
///   with every key and value, in their order (their keys come out sorted, as
///   `serde_json` keeps objects). Only the `refnet-` nodes and edges of `fresh` are used.
/// - A refnet node in both keeps its existing `x`, `y`, `width`, `height` (numbers are
///   rounded to integers; missing ones come from `fresh`) and its extra keys, and takes
///   everything else (`file`, `color`, …) from `fresh`. It stays where it was in the list;
///   new refnet nodes are appended in `fresh` order.
/// - A refnet node not in `fresh` is removed unless a surviving user edge connects to it,
///   then it is kept exactly as it was.
/// - Refnet edges are replaced by those of `fresh` (after the user's edges); an edge whose
///   end does not exist is dropped. Duplicate refnet ids keep their first node.
/// - Top-level keys other than `nodes` and `edges` are kept.
///
/// The result is deterministic, and merging the same `fresh` into it again gives the same
/// text.
pub fn merge(existing: Option<&str>, fresh: &Canvas) -> Result<String, CanvasError> {
    let existing = match existing {
        Some(text) => parse_existing(text)?,
        None => Existing::default(),
    };
    to_text(&combine(existing, fresh))
}

/// Splits an existing canvas text into its nodes, edges and other keys.
fn parse_existing(text: &str) -> Result<Existing, CanvasError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(Existing::default());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| CanvasError::NotJson(e.to_string()))?;
    let Value::Object(mut top) = value else {
        return Err(CanvasError::NotACanvas(format!(
            "the top level is {}, not an object",
            kind_of(&value)
        )));
    };
    let nodes = take_list(&mut top, "nodes")?;
    let edges = take_list(&mut top, "edges")?;
    Ok(Existing {
        nodes,
        edges,
        extra: top,
    })
}

/// Removes the list under `key` (absent: empty).
fn take_list(top: &mut Map<String, Value>, key: &str) -> Result<Vec<Value>, CanvasError> {
    match top.remove(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(CanvasError::NotACanvas(format!(
            "\"{key}\" is {}, not a list",
            kind_of(&other)
        ))),
    }
}

/// The merged canvas (see [`merge`]).
fn combine(existing: Existing, fresh: &Canvas) -> Merged {
    let fresh_nodes = ours_unique(&fresh.nodes, |n| &n.id);
    let fresh_edges = ours_unique(&fresh.edges, |e| &e.id);
    let fresh_by_id: HashMap<&str, &Node> = fresh_nodes.iter().map(|n| (n.id.as_str(), *n)).collect();

    let candidates: HashSet<&str> = existing
        .nodes
        .iter()
        .filter_map(value_id)
        .chain(fresh_by_id.keys().copied())
        .collect();
    let user_edges: Vec<&Value> = existing
        .edges
        .iter()
        .filter(|e| !value_id(e).is_some_and(is_ours) && ends_within(e, &candidates))
        .collect();
    let protected: HashSet<&str> = user_edges.iter().flat_map(|e| edge_ends(e)).flatten().collect();

    let nodes = merge_nodes(&existing.nodes, &fresh_nodes, &fresh_by_id, &protected);
    let present: HashSet<&str> = nodes.iter().filter_map(item_node_id).collect();
    let edges = user_edges
        .into_iter()
        .map(|e| Item::Kept(e.clone()))
        .chain(fresh_edges.into_iter().map(|e| Item::Ours(sanitized_edge(e))))
        .filter(|e| item_edge_ends(e).is_some_and(|(from, to)| present.contains(from) && present.contains(to)))
        .collect();

    let mut extra = without_keys(&fresh.extra, &CANVAS_KEYS);
    extra.extend(existing.extra);
    Merged { nodes, edges, extra }
}

/// The merged node list: existing nodes in order (refnet's updated, stale ones dropped
/// unless protected), then new refnet nodes.
fn merge_nodes(
    existing: &[Value],
    fresh: &[&Node],
    fresh_by_id: &HashMap<&str, &Node>,
    protected: &HashSet<&str>,
) -> Vec<Item<Node>> {
    let mut out = Vec::with_capacity(existing.len() + fresh.len());
    let mut seen: HashSet<&str> = HashSet::new();
    for value in existing {
        match value_id(value).filter(|id| is_ours(id)) {
            None => out.push(Item::Kept(value.clone())),
            Some(id) if !seen.insert(id) => {}
            Some(id) => match fresh_by_id.get(id) {
                Some(node) => out.push(Item::Ours(updated_node(node, value))),
                None if protected.contains(id) => out.push(Item::Kept(value.clone())),
                None => {}
            },
        }
    }
    for node in fresh {
        if !seen.contains(node.id.as_str()) {
            out.push(Item::Ours(sanitized_node(node)));
        }
    }
    out
}

/// `fresh` with the geometry and extra keys of the `existing` node with the same id.
fn updated_node(fresh: &Node, existing: &Value) -> Node {
    let mut node = sanitized_node(fresh);
    let Some(old) = existing.as_object() else {
        return node;
    };
    for (key, slot) in [
        ("x", &mut node.x),
        ("y", &mut node.y),
        ("width", &mut node.width),
        ("height", &mut node.height),
    ] {
        if let Some(n) = old.get(key).and_then(as_integer) {
            *slot = n;
        }
    }
    node.extra.extend(without_keys(old, &NODE_KEYS));
    node
}

/// A number as an integer (rounded); `None` for anything else.
fn as_integer(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f.round() as i64))
}

/// The `refnet-` items of `items`, first of each id.
fn ours_unique<T>(items: &[T], id: impl Fn(&T) -> &String) -> Vec<&T> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter(|item| is_ours(id(item)) && seen.insert(id(item).as_str()))
        .collect()
}

/// A copy whose extra keys cannot clash with its fields.
fn sanitized_node(node: &Node) -> Node {
    Node {
        extra: without_keys(&node.extra, &NODE_KEYS),
        ..node.clone()
    }
}

/// A copy whose extra keys cannot clash with its fields.
fn sanitized_edge(edge: &Edge) -> Edge {
    Edge {
        extra: without_keys(&edge.extra, &EDGE_KEYS),
        ..edge.clone()
    }
}

fn without_keys(map: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn is_ours(id: &str) -> bool {
    id.starts_with(OWNED_PREFIX)
}

/// The string `id` of a node or edge object.
fn value_id(value: &Value) -> Option<&str> {
    value.get("id").and_then(Value::as_str)
}

/// The `fromNode` and `toNode` of an edge object (each `None` when not a string).
fn edge_ends(edge: &Value) -> [Option<&str>; 2] {
    [
        edge.get("fromNode").and_then(Value::as_str),
        edge.get("toNode").and_then(Value::as_str),
    ]
}

/// Whether both ends of an edge object are in `ids`.
fn ends_within(edge: &Value, ids: &HashSet<&str>) -> bool {
    edge_ends(edge).iter().all(|end| end.is_some_and(|id| ids.contains(id)))
}

fn item_node_id(item: &Item<Node>) -> Option<&str> {
    match item {
        Item::Ours(node) => Some(&node.id),
        Item::Kept(value) => value_id(value),
    }
}

fn item_edge_ends(item: &Item<Edge>) -> Option<(&str, &str)> {
    match item {
        Item::Ours(edge) => Some((&edge.from_node, &edge.to_node)),
        Item::Kept(value) => match edge_ends(value) {
            [Some(from), Some(to)] => Some((from, to)),
            _ => None,
        },
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

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------
// Validation

/// Checks a canvas text against the JSON Canvas 1.0 rules and returns every violation
/// found (empty: valid): JSON object at the top; `nodes` and `edges` lists (optional);
/// ids unique strings across nodes and edges; node `type` one of `text|file|link|group`;
/// integer `x`, `y`, `width`, `height`; `text`, `file` (vault-relative, with extension,
/// `subpath` starting with `#`) and `url` present on their types; group `backgroundStyle`
/// one of `cover|ratio|repeat`; colours `"1"`–`"6"` or `"#RRGGBB"`; edge ends naming
/// existing nodes; sides `top|right|bottom|left`; ends `none|arrow`; labels strings.
pub fn validate(text: &str) -> Vec<String> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let Some(top) = value.as_object() else {
        return vec![format!("the top level is {}, not an object", kind_of(&value))];
    };
    let mut problems = Vec::new();
    let nodes = list_of(top, "nodes", &mut problems);
    let edges = list_of(top, "edges", &mut problems);
    let mut ids = HashSet::new();
    let mut node_ids = HashSet::new();
    for (i, node) in nodes.iter().enumerate() {
        let mut report = |p: String| problems.push(format!("nodes[{i}]: {p}"));
        if let Some(id) = check_node(node, &mut ids, &mut report) {
            node_ids.insert(id);
        }
    }
    for (i, edge) in edges.iter().enumerate() {
        check_edge(edge, &mut ids, &node_ids, &mut |p| {
            problems.push(format!("edges[{i}]: {p}"))
        });
    }
    problems
}

/// The list under `key` (absent: empty; not a list: reported, empty).
fn list_of<'a>(top: &'a Map<String, Value>, key: &str, problems: &mut Vec<String>) -> &'a [Value] {
    match top.get(key) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(format!("\"{key}\" is {}, not a list", kind_of(other)));
            &[]
        }
    }
}

/// Checks one node; returns its id when it has a string one.
fn check_node<'a>(node: &'a Value, ids: &mut HashSet<&'a str>, report: &mut impl FnMut(String)) -> Option<&'a str> {
    let Some(obj) = node.as_object() else {
        report(format!("is {}, not an object", kind_of(node)));
        return None;
    };
    let id = check_id(obj, ids, report);
    for key in ["x", "y", "width", "height"] {
        check_integer(obj, key, report);
    }
    check_color(obj, report);
    match obj.get("type").and_then(Value::as_str) {
        None => report("missing \"type\" (a string)".to_owned()),
        Some("text") => check_string(obj, "text", true, report),
        Some("file") => check_file(obj, report),
        Some("link") => check_string(obj, "url", true, report),
        Some("group") => check_group(obj, report),
        Some(other) => report(format!("type \"{other}\" is not one of {}", NODE_TYPES.join("|"))),
    }
    id
}

/// Checks one edge.
fn check_edge<'a>(
    edge: &'a Value,
    ids: &mut HashSet<&'a str>,
    node_ids: &HashSet<&str>,
    report: &mut impl FnMut(String),
) {
    let Some(obj) = edge.as_object() else {
        report(format!("is {}, not an object", kind_of(edge)));
        return;
    };
    check_id(obj, ids, report);
    for key in ["fromNode", "toNode"] {
        match obj.get(key).and_then(Value::as_str) {
            None => report(format!("missing \"{key}\" (a string)")),
            Some(id) if !node_ids.contains(id) => report(format!("\"{key}\" names no node: \"{id}\"")),
            Some(_) => {}
        }
    }
    for key in ["fromSide", "toSide"] {
        check_choice(obj, key, &SIDES, report);
    }
    for key in ["fromEnd", "toEnd"] {
        check_choice(obj, key, &ENDS, report);
    }
    check_color(obj, report);
    check_string(obj, "label", false, report);
}

/// Checks the `id` is a string used nowhere before; returns it.
fn check_id<'a>(
    obj: &'a Map<String, Value>,
    ids: &mut HashSet<&'a str>,
    report: &mut impl FnMut(String),
) -> Option<&'a str> {
    let Some(id) = obj.get("id").and_then(Value::as_str) else {
        report("missing \"id\" (a string)".to_owned());
        return None;
    };
    if id.is_empty() {
        report("empty \"id\"".to_owned());
    } else if !ids.insert(id) {
        report(format!("duplicate id \"{id}\""));
    }
    Some(id)
}

fn check_integer(obj: &Map<String, Value>, key: &str, report: &mut impl FnMut(String)) {
    match obj.get(key) {
        None => report(format!("missing \"{key}\"")),
        Some(v) if v.is_i64() || v.is_u64() => {}
        Some(v) if v.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0) => {}
        Some(v) => report(format!("\"{key}\" is not an integer: {v}")),
    }
}

/// Checks `key` is a string (and present, when `required`).
fn check_string(obj: &Map<String, Value>, key: &str, required: bool, report: &mut impl FnMut(String)) {
    match obj.get(key) {
        None if required => report(format!("missing \"{key}\" (a string)")),
        None | Some(Value::String(_)) => {}
        Some(v) => report(format!("\"{key}\" is {}, not a string", kind_of(v))),
    }
}

/// Checks optional `key` is one of `choices`.
fn check_choice(obj: &Map<String, Value>, key: &str, choices: &[&str], report: &mut impl FnMut(String)) {
    match obj.get(key) {
        None => {}
        Some(Value::String(s)) if choices.contains(&s.as_str()) => {}
        Some(v) => report(format!("\"{key}\" is {v}, not one of {}", choices.join("|"))),
    }
}

fn check_color(obj: &Map<String, Value>, report: &mut impl FnMut(String)) {
    match obj.get("color") {
        None => {}
        Some(Value::String(c)) if is_color(c) => {}
        Some(v) => report(format!("\"color\" is {v}, not \"1\"–\"6\" or \"#RRGGBB\"")),
    }
}

/// `"1"`–`"6"` or `#` and six hex digits.
fn is_color(color: &str) -> bool {
    matches!(color, "1" | "2" | "3" | "4" | "5" | "6")
        || color
            .strip_prefix('#')
            .is_some_and(|hex| hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

fn check_file(obj: &Map<String, Value>, report: &mut impl FnMut(String)) {
    match obj.get("file") {
        None => report("missing \"file\" (a string)".to_owned()),
        Some(Value::String(path)) if !is_vault_path(path) => {
            report(format!(
                "\"file\" is not a vault-relative path with extension: \"{path}\""
            ));
        }
        Some(Value::String(_)) => {}
        Some(v) => report(format!("\"file\" is {}, not a string", kind_of(v))),
    }
    match obj.get("subpath") {
        None => {}
        Some(Value::String(s)) if s.starts_with('#') => {}
        Some(v) => report(format!("\"subpath\" is {v}, not a string starting with #")),
    }
}

/// Relative, and its last segment has a name and an extension.
fn is_vault_path(path: &str) -> bool {
    !path.starts_with('/')
        && path
            .rsplit('/')
            .next()
            .and_then(|name| name.rsplit_once('.'))
            .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
}

fn check_group(obj: &Map<String, Value>, report: &mut impl FnMut(String)) {
    check_string(obj, "label", false, report);
    check_string(obj, "background", false, report);
    check_choice(obj, "backgroundStyle", &BACKGROUND_STYLES, report);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pid(n: u32) -> String {
        format!("{n:040x}")
    }

    fn paper(n: u32, depth: u32, weight: f64) -> MapPaper {
        MapPaper {
            paper_id: pid(n),
            file: format!("refnet/papers/Paper {n}.md"),
            depth,
            weight,
        }
    }

    fn input(papers: Vec<MapPaper>, edges: &[(u32, u32)], max_nodes: usize) -> MapInput {
        MapInput {
            papers,
            edges: edges.iter().map(|&(a, b)| (pid(a), pid(b))).collect(),
            max_nodes,
        }
    }

    /// A seed and `count` depth-1 papers with distinct weights.
    fn ring_of(count: u32) -> MapInput {
        let mut papers = vec![paper(0, 0, 1.0)];
        papers.extend((1..=count).map(|n| paper(n, 1, f64::from(n % 7) / 10.0)));
        input(papers, &[], usize::MAX)
    }

    fn centre(node: &Node) -> (f64, f64) {
        (
            node.x as f64 + node.width as f64 / 2.0,
            node.y as f64 + node.height as f64 / 2.0,
        )
    }

    fn radius(node: &Node) -> f64 {
        let (x, y) = centre(node);
        x.hypot(y)
    }

    fn overlap(a: &Node, b: &Node) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    fn find(canvas: &Canvas, n: u32) -> &Node {
        let id = node_id(&pid(n));
        canvas.nodes.iter().find(|node| node.id == id).expect("node on the map")
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("merge output is JSON")
    }

    fn ids(list: &Value) -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|v| v["id"].as_str().expect("string id").to_owned())
            .collect()
    }

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

    // --- validate ---

    const VALID: &str = r##"{
	"nodes": [
		{"id":"g","type":"group","x":-500,"y":-500,"width":1000,"height":1000,"label":"Group","backgroundStyle":"cover","color":"#A0b1C2"},
		{"id":"t","type":"text","text":"# Hello","x":0,"y":0,"width":250,"height":60,"color":"1"},
		{"id":"f","type":"file","file":"notes/A.md","subpath":"#Intro","x":10,"y":100,"width":400,"height":140},
		{"id":"l","type":"link","url":"https://example.org","x":10,"y":300,"width":400,"height":140,"plugin":{"a":1}}
	],
	"edges": [
		{"id":"e1","fromNode":"t","fromSide":"right","fromEnd":"none","toNode":"f","toSide":"left","toEnd":"arrow","color":"3","label":"cites"},
		{"id":"e2","fromNode":"f","toNode":"l"}
	],
	"plugin": true
}"##;

    /// `VALID` with `edit` applied.
    fn broken(edit: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut value = parse(VALID);
        edit(&mut value);
        validate(&value.to_string())
    }

    #[test]
    fn validate_accepts_valid_canvases() {
        assert_eq!(validate(VALID), Vec::<String>::new());
        assert_eq!(validate("{}"), Vec::<String>::new());
        assert_eq!(validate(r#"{"nodes":[],"edges":[]}"#), Vec::<String>::new());
    }

    #[test]
    fn validate_catches_each_rule() {
        let cases: Vec<(&str, Vec<String>)> = vec![
            ("duplicate node id", broken(|v| v["nodes"][1]["id"] = "g".into())),
            ("edge id used by a node", broken(|v| v["edges"][1]["id"] = "t".into())),
            ("duplicate edge id", broken(|v| v["edges"][1]["id"] = "e1".into())),
            (
                "missing id",
                broken(|v| _ = v["nodes"][1].as_object_mut().map(|o| o.remove("id"))),
            ),
            ("bad type", broken(|v| v["nodes"][1]["type"] = "note".into())),
            (
                "missing file",
                broken(|v| _ = v["nodes"][2].as_object_mut().map(|o| o.remove("file"))),
            ),
            (
                "file without extension",
                broken(|v| v["nodes"][2]["file"] = "notes/A".into()),
            ),
            (
                "absolute file",
                broken(|v| v["nodes"][2]["file"] = "/notes/A.md".into()),
            ),
            ("bad subpath", broken(|v| v["nodes"][2]["subpath"] = "Intro".into())),
            (
                "missing text",
                broken(|v| _ = v["nodes"][1].as_object_mut().map(|o| o.remove("text"))),
            ),
            (
                "missing url",
                broken(|v| _ = v["nodes"][3].as_object_mut().map(|o| o.remove("url"))),
            ),
            ("non-integer x", broken(|v| v["nodes"][1]["x"] = 1.5.into())),
            ("string y", broken(|v| v["nodes"][1]["y"] = "1".into())),
            (
                "missing width",
                broken(|v| _ = v["nodes"][1].as_object_mut().map(|o| o.remove("width"))),
            ),
            ("dangling edge", broken(|v| v["edges"][1]["toNode"] = "nowhere".into())),
            (
                "missing fromNode",
                broken(|v| _ = v["edges"][1].as_object_mut().map(|o| o.remove("fromNode"))),
            ),
            ("bad side", broken(|v| v["edges"][0]["fromSide"] = "middle".into())),
            ("bad end", broken(|v| v["edges"][0]["toEnd"] = "circle".into())),
            ("bad colour 7", broken(|v| v["nodes"][1]["color"] = "7".into())),
            ("bad colour hex", broken(|v| v["nodes"][0]["color"] = "#12345G".into())),
            ("bad colour short", broken(|v| v["edges"][0]["color"] = "#123".into())),
            (
                "bad background style",
                broken(|v| v["nodes"][0]["backgroundStyle"] = "tile".into()),
            ),
            ("label not a string", broken(|v| v["edges"][0]["label"] = 3.into())),
            ("nodes not a list", broken(|v| v["nodes"] = Value::Null)),
            ("node not an object", broken(|v| v["nodes"][1] = 5.into())),
        ];
        for (what, problems) in cases {
            assert!(!problems.is_empty(), "{what} not caught");
        }
        assert_eq!(broken(|v| v["nodes"][1]["x"] = 7.0.into()), Vec::<String>::new());
        assert!(!validate("not json").is_empty());
        assert!(!validate("[]").is_empty());
    }

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
            let mut list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            list.sort();
            list
        };
        assert_eq!(keys(serde_json::to_value(&node).expect("node")), sorted(&NODE_KEYS));
        assert_eq!(keys(serde_json::to_value(&edge).expect("edge")), sorted(&EDGE_KEYS));
    }

    // --- merge ---

    /// A crawl of five papers.
    fn crawl(papers: &[u32]) -> Canvas {
        let all = [
            paper(0, 0, 1.0),
            paper(1, 1, 0.9),
            paper(2, 1, 0.8),
            paper(3, 1, 0.7),
            paper(4, 2, 0.6),
        ];
        let kept = all
            .into_iter()
            .filter(|p| papers.iter().any(|&n| p.paper_id == pid(n)))
            .collect();
        layout(&input(kept, &[(0, 1), (0, 2), (0, 3), (1, 4), (2, 3)], 100))
    }

    /// `base` edited as a user would: paper 1 moved and resized with a plugin key, a
    /// group, a text node, user edges (one to paper 3, one dangling), extra keys.
    fn user_edited(base: &str) -> String {
        let mut v = parse(base);
        let p1 = node_id(&pid(1));
        let p3 = node_id(&pid(3));
        let nodes = v["nodes"].as_array_mut().expect("nodes");
        for node in nodes.iter_mut() {
            if node["id"] == p1.as_str() {
                node["x"] = 1234.into();
                node["y"] = (-99).into();
                node["width"] = 555.into();
                node["styleAttributes"] = serde_json::json!({"border": "dashed"});
                node["color"] = "1".into();
            }
        }
        nodes.insert(
            0,
            serde_json::json!({"id":"grp","type":"group","label":"Mine","x":-2000,"y":-2000,"width":4000,"height":4000}),
        );
        nodes.push(serde_json::json!({"id":"idea","type":"text","text":"my idea","x":900,"y":900,"width":250,"height":60,"zz":1,"aa":2}));
        let edges = v["edges"].as_array_mut().expect("edges");
        edges.insert(
            0,
            serde_json::json!({"id":"u1","fromNode":"idea","toNode":p3,"label":"why?","custom":[1,2]}),
        );
        edges.push(serde_json::json!({"id":"u2","fromNode":"idea","toNode":"ghost"}));
        v["metadata"] = serde_json::json!({"version": "1.0-1.0", "frontmatter": {}});
        serde_json::to_string_pretty(&v).expect("serializes")
    }

    #[test]
    fn merge_of_nothing_writes_a_valid_tab_indented_canvas() {
        let text = merge(None, &crawl(&[0, 1, 2, 3, 4])).expect("merges");
        assert!(
            text.starts_with("{\n\t\"nodes\": [\n\t\t{\n\t\t\t\"id\": \"refnet-p-"),
            "{text}"
        );
        assert!(text.ends_with("}\n"));
        assert_eq!(validate(&text), Vec::<String>::new());
        assert_eq!(
            merge(Some(""), &crawl(&[0])).expect("empty file"),
            merge(None, &crawl(&[0])).expect("new")
        );
        assert_eq!(
            merge(None, &Canvas::default()).expect("empty"),
            "{\n\t\"nodes\": [],\n\t\"edges\": []\n}\n"
        );
    }

    #[test]
    fn merge_keeps_the_users_work() {
        let first = merge(None, &crawl(&[0, 1, 2, 3, 4])).expect("merges");
        let edited = user_edited(&first);
        // Papers 2 and 3 leave the map; a user edge still uses 3.
        let text = merge(Some(&edited), &crawl(&[0, 1, 4])).expect("merges");
        assert_eq!(validate(&text), Vec::<String>::new());
        let v = parse(&text);

        let node_ids = ids(&v["nodes"]);
        let [p0, p1, p2, p3, p4] = [0, 1, 2, 3, 4].map(|n| node_id(&pid(n)));
        assert_eq!(
            node_ids,
            ["grp", p0.as_str(), p1.as_str(), p3.as_str(), p4.as_str(), "idea"]
        );
        assert!(!node_ids.contains(&p2), "stale refnet node removed");

        let edited_v = parse(&edited);
        let find_in = |v: &Value, id: &str| -> Value {
            v["nodes"]
                .as_array()
                .and_then(|nodes| nodes.iter().find(|n| n["id"] == id))
                .cloned()
                .expect("node present")
        };
        let moved = find_in(&v, &p1);
        assert_eq!((moved["x"].as_i64(), moved["y"].as_i64()), (Some(1234), Some(-99)));
        assert_eq!(
            (moved["width"].as_i64(), moved["height"].as_i64()),
            (Some(555), Some(NODE_HEIGHT))
        );
        assert_eq!(moved["styleAttributes"]["border"], "dashed", "extra key kept");
        assert_eq!(moved["color"], "5", "colour from the fresh map");
        for id in ["grp", "idea", p3.as_str()] {
            assert_eq!(find_in(&v, id), find_in(&edited_v, id), "{id} kept unchanged");
        }

        let edge_ids = ids(&v["edges"]);
        assert_eq!(
            edge_ids,
            ["u1".to_owned(), edge_id(&pid(0), &pid(1)), edge_id(&pid(1), &pid(4))]
        );
        assert_eq!(v["edges"][0], edited_v["edges"][0], "user edge kept unchanged");
        assert_eq!(v["metadata"]["version"], "1.0-1.0", "top-level keys kept");

        // Without the user edge, the stale node goes too.
        let mut no_user_edge = parse(&edited);
        if let Some(edges) = no_user_edge["edges"].as_array_mut() {
            edges.retain(|e| e["id"] != "u1");
        }
        let text = merge(Some(&no_user_edge.to_string()), &crawl(&[0, 1, 4])).expect("merges");
        assert!(!ids(&parse(&text)["nodes"]).contains(&p3));
        assert_eq!(validate(&text), Vec::<String>::new());
    }

    #[test]
    fn merge_updates_files_and_adds_new_papers_after_existing_nodes() {
        let first = merge(None, &crawl(&[0, 1])).expect("merges");
        let edited = user_edited(&first);
        let mut fresh = crawl(&[0, 1, 2]);
        fresh.nodes[1].file = Some("refnet/papers/Renamed.md".to_owned());
        let text = merge(Some(&edited), &fresh).expect("merges");
        let v = parse(&text);
        let node_ids = ids(&v["nodes"]);
        assert_eq!(node_ids.last().map(String::as_str), Some(node_id(&pid(2)).as_str()));
        assert_eq!(v["nodes"][2]["file"], "refnet/papers/Renamed.md");
        assert!(!ids(&v["edges"]).contains(&"u2".to_owned()), "dangling edge dropped");
        assert_eq!(validate(&text), Vec::<String>::new());
    }

    #[test]
    fn merge_is_idempotent() {
        let fresh = crawl(&[0, 1, 4]);
        let edited = user_edited(&merge(None, &crawl(&[0, 1, 2, 3, 4])).expect("merges"));
        let once = merge(Some(&edited), &fresh).expect("merges");
        let twice = merge(Some(&once), &fresh).expect("merges");
        assert_eq!(once, twice);
        let new = merge(None, &fresh).expect("merges");
        assert_eq!(merge(Some(&new), &fresh).expect("merges"), new);
    }

    #[test]
    fn merge_repairs_refnet_nodes_it_can_and_drops_duplicates() {
        let fresh = crawl(&[0, 1]);
        let p1 = node_id(&pid(1));
        let existing = serde_json::json!({
            "nodes": [
                {"id": p1, "type": "text", "x": 10.6, "y": "up", "width": 300, "height": 100},
                {"id": p1, "type": "file", "file": "dup.md", "x": 0, "y": 0, "width": 1, "height": 1},
                "junk?"
            ],
            "edges": [{"id": "refnet-e-old", "fromNode": p1, "toNode": p1}, {"id": "x", "fromNode": 5}]
        });
        let text = merge(Some(&existing.to_string()), &fresh).expect("merges");
        let v = parse(&text);
        let nodes = v["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 3, "{text}");
        assert_eq!(nodes[0]["type"], "file");
        assert_eq!(nodes[0]["x"], 11);
        assert_eq!(nodes[0]["y"], find(&fresh, 1).y, "unusable y from the layout");
        assert_eq!(nodes[0]["width"], 300);
        assert_eq!(nodes[1], "junk?", "user's junk is the user's");
        assert_eq!(ids(&v["edges"]), [edge_id(&pid(0), &pid(1))]);
        assert_eq!(merge(Some(&text), &fresh).expect("merges"), text);
    }

    #[test]
    fn merge_uses_only_refnet_items_of_the_fresh_map_and_drops_their_dangling_edges() {
        let mut fresh = crawl(&[0, 1]);
        let mut foreign = fresh.nodes[0].clone();
        foreign.id = "not-ours".to_owned();
        fresh.nodes.push(foreign);
        let mut dangling = fresh.edges[0].clone();
        dangling.id = "refnet-e-dangling".to_owned();
        dangling.to_node = node_id("missing");
        fresh.edges.push(dangling);
        fresh.extra.insert("nodes".to_owned(), Value::Null);
        fresh.extra.insert("refnetVersion".to_owned(), 1.into());
        let text = merge(None, &fresh).expect("merges");
        assert_eq!(validate(&text), Vec::<String>::new());
        let v = parse(&text);
        assert_eq!(ids(&v["nodes"]), [node_id(&pid(0)), node_id(&pid(1))]);
        assert_eq!(ids(&v["edges"]), [edge_id(&pid(0), &pid(1))]);
        assert_eq!(v["refnetVersion"], 1);
        assert_eq!(merge(Some(&text), &fresh).expect("merges"), text);
    }

    #[test]
    fn merge_rejects_what_is_not_a_canvas() {
        let fresh = crawl(&[0]);
        for garbage in ["not json", "{\"nodes\": [", "\u{0}"] {
            assert!(
                matches!(merge(Some(garbage), &fresh), Err(CanvasError::NotJson(_))),
                "{garbage}"
            );
        }
        for not_canvas in ["[]", "42", "\"x\"", r#"{"nodes": {}}"#, r#"{"edges": 1}"#, "null"] {
            assert!(
                matches!(merge(Some(not_canvas), &fresh), Err(CanvasError::NotACanvas(_))),
                "{not_canvas}"
            );
        }
        assert!(merge(Some("{}"), &fresh).is_ok());
        assert!(merge(Some("\u{feff}{\"nodes\": []}"), &fresh).is_ok());
    }

    // --- properties ---

    fn arb_input() -> impl Strategy<Value = MapInput> {
        let weight = prop_oneof![-10.0f64..10.0, Just(0.0), Just(f64::NAN), Just(f64::INFINITY)];
        let paper = (0u32..30, 0u32..5, weight).prop_map(|(n, depth, weight)| paper(n, depth, weight));
        (
            proptest::collection::vec(paper, 0..50),
            proptest::collection::vec((0u32..30, 0u32..30), 0..80),
            0usize..60,
        )
            .prop_map(|(papers, edges, max_nodes)| input(papers, &edges, max_nodes))
    }

    /// User edges between numbered nodes (see [`with_user_work`]).
    type UserEdges = Vec<(u32, u32)>;
    /// Paper nodes moved to a new `x`.
    type UserMoves = Vec<(u32, i64)>;

    /// A user's additions: text nodes and edges between them and paper nodes (some of
    /// which may not exist), and moves of paper nodes.
    fn arb_user() -> impl Strategy<Value = (UserEdges, UserMoves)> {
        (
            proptest::collection::vec((0u32..40, 0u32..40), 0..10),
            proptest::collection::vec((0u32..30, -5000i64..5000), 0..10),
        )
    }

    /// `text` with user text nodes `u0..u9`, user edges (numbers ≥ 30 name user nodes,
    /// the others paper nodes) and moved paper nodes.
    fn with_user_work(text: &str, edges: &[(u32, u32)], moves: &[(u32, i64)]) -> String {
        let mut v = parse(text);
        let name = |n: u32| {
            if n >= 30 {
                format!("u{}", n - 30)
            } else {
                node_id(&pid(n))
            }
        };
        if let Some(nodes) = v["nodes"].as_array_mut() {
            for node in nodes.iter_mut() {
                for (n, to) in moves {
                    if node["id"] == node_id(&pid(*n)).as_str() {
                        node["x"] = (*to).into();
                    }
                }
            }
            for u in 0..10 {
                nodes.push(serde_json::json!({"id": format!("u{u}"), "type": "text", "text": "t", "x": 0, "y": 0, "width": 10, "height": 10}));
            }
        }
        if let Some(list) = v["edges"].as_array_mut() {
            for (i, (a, b)) in edges.iter().enumerate() {
                list.push(serde_json::json!({"id": format!("user-{i}"), "fromNode": name(*a), "toNode": name(*b)}));
            }
        }
        v.to_string()
    }

    proptest! {
        #[test]
        fn fresh_maps_validate_and_are_fixed_points(input in arb_input()) {
            let map = layout(&input);
            prop_assert!(map.nodes.len() <= input.max_nodes);
            let text = merge(None, &map).expect("merges");
            prop_assert_eq!(validate(&text), Vec::<String>::new());
            prop_assert_eq!(&merge(Some(&text), &map).expect("merges"), &text);
            prop_assert_eq!(layout(&input), map);
        }

        #[test]
        fn merges_into_user_work_validate_and_are_fixed_points(
            before in arb_input(),
            after in arb_input(),
            (edges, moves) in arb_user(),
        ) {
            let old = with_user_work(&merge(None, &layout(&before)).expect("merges"), &edges, &moves);
            let fresh = layout(&after);
            let once = merge(Some(&old), &fresh).expect("merges");
            prop_assert_eq!(validate(&once), Vec::<String>::new());
            let twice = merge(Some(&once), &fresh).expect("merges");
            prop_assert_eq!(&twice, &once);
            let v = parse(&once);
            let node_ids = ids(&v["nodes"]);
            for node in &fresh.nodes {
                prop_assert!(node_ids.contains(&node.id));
            }
            for u in 0..10 {
                let user = format!("u{u}");
                prop_assert!(node_ids.contains(&user), "user node {} lost", user);
            }
        }
    }
}
