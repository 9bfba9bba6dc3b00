//! A fresh map merged into the `.canvas` file as the user left it.

use std::collections::{HashMap, HashSet};

use super::*;

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

#[cfg(test)]
mod tests;
