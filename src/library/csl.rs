//! CSL-JSON (Zotero's "CSL JSON" and Better CSL JSON exports): a JSON array of items
//! with `id`/`citation-key`, `title`, `DOI`, `PMID`, `PMCID`, `URL`, and arXiv ids where
//! Zotero writes them (`number: "arXiv:1706.03762"`, `URL`, `note`).

use serde_json::{Map, Value};

use super::found::Field;
use super::{RawEntry, SyntaxError};

/// The items of a CSL-JSON file.
pub(super) fn entries(text: &str) -> Result<Vec<RawEntry>, SyntaxError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            SyntaxError {
                line: text.trim_end().lines().count().max(1),
                message: "the JSON ends early: a closing ']', '}' or '\"' is missing".to_owned(),
            }
        } else {
            SyntaxError {
                line: e.line().max(1),
                message: json_message(&e),
            }
        }
    })?;
    let items = match value {
        Value::Array(items) => items,
        item @ Value::Object(_) => vec![item],
        other => {
            return Err(SyntaxError {
                line: 1,
                message: format!("expected a JSON array of CSL items, found {}", kind(&other)),
            });
        }
    };
    let lines = item_lines(text);
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let line = lines.get(i).copied().unwrap_or(1);
            let fail = |message: String| Err(SyntaxError { line, message });
            match item {
                Value::Object(map) if CSL_KEYS.iter().any(|k| map.contains_key(*k)) => Ok(raw(line, &map)),
                Value::Object(_) => fail(format!(
                    "item {} has none of CSL's fields ({}): is this CSL-JSON?",
                    i + 1,
                    CSL_KEYS.join(", ")
                )),
                other => fail(format!("item {} is {}, not a JSON object", i + 1, kind(&other))),
            }
        })
        .collect()
}

/// Fields every CSL item has at least one of.
const CSL_KEYS: [&str; 6] = ["id", "type", "title", "DOI", "URL", "citation-key"];

/// serde_json's message without its position (the error names the line itself).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text.rsplit_once(" at line ").map(|(m, _)| m).unwrap_or(&text);
    format!("{message} (column {}): the JSON is broken", e.column())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The line each item starts on: the `{` of each object directly inside the top-level
/// array (or of the top-level object itself).
fn item_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut line, mut depth) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    let mut top_is_array = false;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                if depth == 0 {
                    top_is_array = c == '[';
                }
                if c == '{' && depth == usize::from(top_is_array) {
                    lines.push(line);
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    lines
}

/// The item as the library module takes it.
fn raw(line: usize, item: &Map<String, Value>) -> RawEntry {
    let text = |key: &str| match item.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let key = text("citation-key")
        .or_else(|| text("id"))
        .filter(|id| !id.contains("://") && !id.bytes().all(|b| b.is_ascii_digit()));
    let mut fields = Vec::new();
    for (name, field) in [
        ("DOI", Field::Doi),
        ("PMID", Field::Pmid),
        ("PMCID", Field::Pmcid),
        ("URL", Field::Url),
        ("number", Field::Any),
        ("archive_location", Field::Any),
        ("note", Field::Text),
        ("container-title", Field::Text),
    ] {
        if let Some(value) = text(name) {
            fields.push((field, value));
        }
    }
    RawEntry {
        line,
        key,
        title: text("title"),
        fields,
    }
}
