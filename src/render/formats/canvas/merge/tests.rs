//! Tests of the parent module.

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
