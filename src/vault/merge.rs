//! Re-rendering without destroying what the user wrote.
//!
//! refnet owns only (a) its own frontmatter keys and (b) the text between
//! `%% refnet:begin X %%` and `%% refnet:end X %%` marker lines. Everything else — text
//! outside the regions, sections the user added, frontmatter keys refnet does not own,
//! tags and aliases the user added — is kept byte for byte. `tags` and `aliases` are
//! merged as a union. A note whose markers are broken (an end without a begin, a region
//! that never ends, a region twice) gets its frontmatter updated only.

use std::collections::BTreeMap;

use super::frontmatter::push_yaml_str;

/// A fresh rendering of a note, in parts the merge can place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Fresh {
    /// Frontmatter entries in order: (key, full entry text ending in a newline).
    pub frontmatter: Vec<(String, String)>,
    /// Region names and contents (each content ends in a newline, or is empty).
    pub regions: Vec<(String, String)>,
    /// Text written once after the regions, when the note is created (the `## Notes`).
    pub tail: String,
}

/// What merging a fresh rendering into an existing note gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// The note would not change.
    Unchanged,
    /// The note's new text.
    Changed(String),
    /// Markers are broken: only the frontmatter was updated (the new text, which may equal
    /// the old one), and why.
    BrokenMarkers {
        /// The new text (frontmatter updated, body untouched).
        text: String,
        /// What is wrong with the markers.
        problem: String,
    },
}

/// Regions that notes written by an earlier refnet lack, added to them on merge: the
/// index's what's-new notes, its similarity, works and clusters lists, a paper's similar papers.
pub const LATER_REGIONS: &[&str] = &["news", "similar", "similar_to_seed", "prior", "derivative", "clusters"];

/// The marker lines of a region.
pub fn begin_marker(name: &str) -> String {
    format!("%% refnet:begin {name} %%")
}

/// The end marker line of a region.
pub fn end_marker(name: &str) -> String {
    format!("%% refnet:end {name} %%")
}

/// The text of a new note.
pub fn compose(fresh: &Fresh) -> String {
    compose_dated(fresh, None)
}

/// [`compose`] with the entry of the key `date.0`, if any, written as `date.1` instead
/// (the date a note is written on, without copying the rest of the rendering).
pub fn compose_dated(fresh: &Fresh, date: Option<(&str, &str)>) -> String {
    let size = fresh.frontmatter.iter().map(|(_, e)| e.len()).sum::<usize>()
        + fresh
            .regions
            .iter()
            .map(|(n, c)| 2 * n.len() + c.len() + 64)
            .sum::<usize>()
        + fresh.tail.len()
        + 16;
    let mut out = String::with_capacity(size);
    out.push_str("---\n");
    for (key, entry) in &fresh.frontmatter {
        out.push_str(dated(key, entry, date));
    }
    out.push_str("---\n");
    for (name, content) in &fresh.regions {
        out.push_str(&begin_marker(name));
        out.push('\n');
        out.push_str(content);
        out.push_str(&end_marker(name));
        out.push_str("\n\n");
    }
    out.push_str(&fresh.tail);
    out
}

/// refnet's frontmatter entry of `key`: `entry` as rendered, or `date.1` when `key` is
/// the date's key `date.0`.
fn dated<'a>(key: &str, entry: &'a str, date: Option<(&str, &'a str)>) -> &'a str {
    match date {
        Some((date_key, dated)) if key == date_key => dated,
        _ => entry,
    }
}

/// Merges `fresh` into the `existing` note text. `owned` lists every frontmatter key
/// refnet owns (an owned key missing from `fresh` is removed); `union` the list keys
/// merged as a union (`tags`, `aliases`).
pub fn merge(existing: &str, fresh: &Fresh, owned: &[&str], union: &[&str]) -> Merged {
    merge_dated(existing, fresh, None, owned, union)
}

/// [`merge`] with the entry of the key `date.0`, if any, taken as `date.1` instead (as
/// [`compose_dated`] does).
pub fn merge_dated(
    existing: &str,
    fresh: &Fresh,
    date: Option<(&str, &str)>,
    owned: &[&str],
    union: &[&str],
) -> Merged {
    let (fm_lines, body) = split_frontmatter(existing);
    let frontmatter = merge_frontmatter(fm_lines.as_deref(), fresh, date, owned, union);
    match merge_body(body, fresh) {
        Ok(body) => {
            let text = format!("{frontmatter}{body}");
            if text == existing {
                Merged::Unchanged
            } else {
                Merged::Changed(text)
            }
        }
        Err(problem) => Merged::BrokenMarkers {
            text: format!("{frontmatter}{body}"),
            problem,
        },
    }
}

/// The value of a top-level scalar key in a note's frontmatter, unquoted.
pub fn frontmatter_value(text: &str, key: &str) -> Option<String> {
    let (lines, _) = split_frontmatter(text);
    let lines = lines?;
    entries(&lines)
        .into_iter()
        .find(|e| e.key.as_deref() == Some(key))
        .and_then(|e| e.lines.first().map(std::string::ToString::to_string))
        .and_then(|first| first.split_once(':').map(|(_, v)| unquote(v)))
        .filter(|v| !v.is_empty())
}

/// Splits `---` frontmatter (as lines with their endings, without the fences) from the body.
fn split_frontmatter(text: &str) -> (Option<Vec<&str>>, &str) {
    let first_end = text.find('\n').map(|i| i + 1).unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return (None, text);
    }
    let mut offset = first_end;
    let mut lines = Vec::new();
    while offset < text.len() {
        let end = text[offset..].find('\n').map(|i| offset + i + 1).unwrap_or(text.len());
        let line = &text[offset..end];
        if matches!(line.trim_end(), "---" | "...") {
            return (Some(lines), &text[end..]);
        }
        lines.push(line);
        offset = end;
    }
    // No closing fence: not frontmatter.
    (None, text)
}

/// One top-level frontmatter entry: its key (`None` for comments/blank lines before the
/// first key) and its lines.
struct Entry<'a> {
    key: Option<String>,
    lines: Vec<&'a str>,
}

fn entries<'a>(lines: &[&'a str]) -> Vec<Entry<'a>> {
    let mut out: Vec<Entry<'a>> = Vec::new();
    for line in lines {
        match top_level_key(line) {
            Some(key) => out.push(Entry {
                key: Some(key),
                lines: vec![line],
            }),
            None => match out.last_mut() {
                Some(last) => last.lines.push(line),
                None => out.push(Entry {
                    key: None,
                    lines: vec![line],
                }),
            },
        }
    }
    out
}

fn top_level_key(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t', '-', '#']) || line.trim().is_empty() {
        return None;
    }
    let (key, _) = line.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_owned())
}

/// refnet's keys in the order of `fresh` (a pure function of the inputs, never of which
/// keys a note happened to get first); every other entry (the user's keys, comments,
/// refnet's union keys it has no value for now) stays right after the refnet key it
/// followed, or at the top.
fn merge_frontmatter(
    existing: Option<&[&str]>,
    fresh: &Fresh,
    date: Option<(&str, &str)>,
    owned: &[&str],
    union: &[&str],
) -> String {
    let Some(lines) = existing else {
        let mut out = String::from("---\n");
        for (key, entry) in &fresh.frontmatter {
            out.push_str(dated(key, entry, date));
        }
        out.push_str("---\n");
        return out;
    };
    let fresh_keys: Vec<&str> = fresh.frontmatter.iter().map(|(k, _)| k.as_str()).collect();
    // The existing entries: refnet's own (first of each key) by key; the others by the
    // fresh key they follow (`None`: before any).
    let mut ours_before: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut others: BTreeMap<Option<&str>, String> = BTreeMap::new();
    let mut anchor: Option<&str> = None;
    let all = entries(lines);
    for entry in &all {
        let original: String = entry.lines.concat();
        let key = entry.key.as_deref();
        let owned_key = key.filter(|k| owned.contains(k) && !ours_before.contains_key(k));
        match owned_key.and_then(|k| fresh_keys.iter().find(|f| **f == k).copied()) {
            Some(k) => {
                ours_before.insert(k, entry.lines.clone());
                anchor = Some(k);
            }
            None if owned_key.is_some_and(|k| !union.contains(&k)) => {
                // refnet's value is gone: drop its key (a second copy is the user's).
                if let Some(k) = owned_key {
                    ours_before.insert(k, Vec::new());
                }
            }
            None => {
                if let Some(k) = owned_key {
                    ours_before.insert(k, Vec::new());
                }
                others.entry(anchor).or_default().push_str(&original);
            }
        }
    }
    let mut out = String::from("---\n");
    out.push_str(others.get(&None).map(String::as_str).unwrap_or(""));
    for (key, ours) in &fresh.frontmatter {
        let key = key.as_str();
        let ours = dated(key, ours, date);
        // Keys refnet does not own (such as `status`) are written only when a note is
        // created: after that they are the user's, even when the user removed them.
        if owned.contains(&key) {
            match ours_before.get(key).filter(|lines| !lines.is_empty()) {
                Some(lines) if union.contains(&key) => out.push_str(&union_entry(key, lines, ours)),
                _ => out.push_str(ours),
            }
        }
        out.push_str(others.get(&Some(key)).map(String::as_str).unwrap_or(""));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("---\n");
    out
}

/// A union list entry: the user's entry byte for byte when it already holds every value
/// of ours; else the user's lines with ours appended (or, for a flow or scalar value,
/// the whole list re-emitted in block style).
fn union_entry(key: &str, lines: &[&str], ours: &str) -> String {
    let theirs = list_values(lines);
    let our_values = list_values(&ours.split_inclusive('\n').collect::<Vec<_>>());
    let missing: Vec<&String> = our_values.iter().filter(|v| !theirs.contains(v)).collect();
    let original: String = lines.concat();
    if missing.is_empty() {
        return original;
    }
    let is_block = lines.len() > 1 && lines[0].split_once(':').is_some_and(|(_, v)| v.trim().is_empty());
    if is_block {
        let item_line = lines[1..].iter().find(|l| l.trim_start().starts_with("- "));
        let indent = item_line.map(|l| &l[..l.len() - l.trim_start().len()]).unwrap_or("  ");
        let mut out = original;
        if !out.ends_with('\n') {
            out.push('\n');
        }
        for v in missing {
            out.push_str(indent);
            out.push_str("- ");
            push_yaml_str(&mut out, v);
            out.push('\n');
        }
        return out;
    }
    let mut out = format!("{key}:\n");
    for v in theirs.iter().chain(missing) {
        out.push_str("  - ");
        push_yaml_str(&mut out, v);
        out.push('\n');
    }
    out
}

/// The values of a list entry: block items (`- x`), a flow list (`[a, "b"]`) or a scalar.
fn list_values(lines: &[&str]) -> Vec<String> {
    let Some(first) = lines.first() else {
        return Vec::new();
    };
    let inline = first.split_once(':').map(|(_, v)| v.trim()).unwrap_or("");
    if let Some(flow) = inline.strip_prefix('[').and_then(|s| s.trim_end().strip_suffix(']')) {
        return split_flow(flow)
            .into_iter()
            .map(|v| unquote(&v))
            .filter(|v| !v.is_empty())
            .collect();
    }
    if !inline.is_empty() && !inline.starts_with('#') {
        return vec![unquote(inline)];
    }
    lines[1..]
        .iter()
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .map(unquote)
        .filter(|v| !v.is_empty())
        .collect()
}

fn split_flow(s: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        match quote {
            Some(q) => {
                current.push(c);
                if q == '"' && c == '\\' && !escaped {
                    escaped = true;
                    continue;
                }
                if c == q && !escaped {
                    quote = None;
                }
                escaped = false;
            }
            None if c == ',' => items.push(std::mem::take(&mut current)),
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                current.push(c);
            }
        }
    }
    items.push(current);
    items
}

/// A YAML scalar's value: double-quoted (JSON escapes), single-quoted, or plain (with
/// any trailing ` #comment` removed).
fn unquote(raw: &str) -> String {
    let v = raw.trim();
    if v.starts_with('"') {
        return serde_json::from_str::<String>(v).unwrap_or_else(|_| v.trim_matches('"').to_owned());
    }
    if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    match v.find(" #") {
        Some(i) => v[..i].trim_end().to_owned(),
        None => v.to_owned(),
    }
}

/// Replaces each region's content with the fresh content of the same name.
fn merge_body(body: &str, fresh: &Fresh) -> Result<String, String> {
    let fresh_regions: BTreeMap<&str, &str> = fresh.regions.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    // Regions added in a later refnet ([`LATER_REGIONS`]) that this note predates go in
    // after the region before them. Any other missing region the user deleted: it stays
    // deleted.
    let present: Vec<String> = body
        .lines()
        .filter_map(|l| match parse_marker(l) {
            Some(Marker::Begin(name)) => Some(name),
            _ => None,
        })
        .collect();
    let newcomers_after = |name: &str| -> Vec<&(String, String)> {
        let Some(at) = fresh.regions.iter().position(|(n, _)| n == name) else {
            return Vec::new();
        };
        fresh.regions[at + 1..]
            .iter()
            .take_while(|(n, _)| !present.contains(n))
            .filter(|(n, _)| LATER_REGIONS.contains(&n.as_str()))
            .collect()
    };
    let mut out = String::with_capacity(body.len() + 256);
    let mut open: Option<String> = None;
    let mut seen: Vec<String> = Vec::new();
    for line in body.split_inclusive('\n') {
        let marker = parse_marker(line);
        match (&open, marker) {
            (None, Some(Marker::Begin(name))) => {
                if seen.contains(&name) {
                    return Err(format!("region {name:?} appears twice"));
                }
                out.push_str(line);
                if !line.ends_with('\n') {
                    out.push('\n');
                }
                if let Some(content) = fresh_regions.get(name.as_str()) {
                    out.push_str(content);
                }
                seen.push(name.clone());
                open = Some(name);
            }
            (None, Some(Marker::End(name))) => return Err(format!("region {name:?} ends but never begins")),
            (None, None) => out.push_str(line),
            (Some(current), Some(Marker::End(name))) if *current == name => {
                out.push_str(line);
                for (new_name, content) in newcomers_after(&name) {
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push('\n');
                    out.push_str(&begin_marker(new_name));
                    out.push('\n');
                    out.push_str(content);
                    out.push_str(&end_marker(new_name));
                    out.push('\n');
                }
                open = None;
            }
            (Some(current), Some(_)) => return Err(format!("region {current:?} is not closed before another marker")),
            (Some(current), None) => {
                if !fresh_regions.contains_key(current.as_str()) {
                    out.push_str(line); // a region refnet no longer writes: leave it
                }
            }
        }
    }
    match open {
        Some(name) => Err(format!("region {name:?} never ends")),
        None => Ok(out),
    }
}

enum Marker {
    Begin(String),
    End(String),
}

fn parse_marker(line: &str) -> Option<Marker> {
    let inner = line.trim().strip_prefix("%%")?.strip_suffix("%%")?.trim();
    let rest = inner.strip_prefix("refnet:")?;
    if let Some(name) = rest.strip_prefix("begin ") {
        return Some(Marker::Begin(name.trim().to_owned()));
    }
    rest.strip_prefix("end ")
        .map(|name| Marker::End(name.trim().to_owned()))
}

#[cfg(test)]
mod tests;
