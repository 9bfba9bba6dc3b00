//! Checking a canvas text against the JSON Canvas 1.0 rules, for tests of the maps
//! refnet writes.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::render::formats::canvas::kind_of;

const NODE_TYPES: [&str; 4] = ["text", "file", "link", "group"];
const SIDES: [&str; 4] = ["top", "right", "bottom", "left"];
const ENDS: [&str; 2] = ["none", "arrow"];
const BACKGROUND_STYLES: [&str; 3] = ["cover", "ratio", "repeat"];

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
            problems.push(format!("edges[{i}]: {p}"));
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

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("JSON")
    }

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
}
