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
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::testkit::canvas::validate;
    use proptest::prelude::*;

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
