//! The code's own layout: top-level modules import each other without circles, and
//! `lib.rs`'s Layout doc names every one of them, so a newcomer finds each part from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/render/notes/paper.rs` → `render`).
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_owned();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// The code of a file without its unit tests (tests may reach anywhere) and without
/// comments (a doc link is not an import).
fn production_code(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names: `crate::x…` paths and `use crate::{x, …}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(inner.split(',').map(|part| ident(part.trim())));
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Top-level module → the top-level modules its production code uses. The test kit is
/// left out: it exists for tests and may use anything.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = top_module(&file) else { continue };
        if module == "testkit" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let mut uses = named_modules(&production_code(&text));
        uses.remove(&module);
        uses.remove("testkit");
        graph.entry(module).or_default().extend(uses);
    }
    graph
}

/// A circle through `start`, if there is one.
fn circle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut circle = path.clone();
                circle.push(start.to_owned());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_without_circles() {
    let graph = module_graph();
    assert!(graph.len() > 10, "read only {} modules: {graph:?}", graph.len());
    assert!(
        graph["render"].contains("vault") && graph["summarize"].contains("vault"),
        "the reader misses imports: {graph:?}"
    );
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle_through(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}

#[test]
fn the_circle_finder_finds_a_planted_circle() {
    let mut graph = module_graph();
    graph.entry("vault".to_owned()).or_default().insert("render".to_owned());
    assert!(circle_through(&graph, "vault").is_some());
}

#[test]
fn the_layout_doc_names_every_top_level_module() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let doc: String = lib
        .lines()
        .filter(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let declared: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_owned())
        .collect();
    assert!(declared.len() > 10, "{declared:?}");
    for module in declared {
        assert!(
            doc.contains(&format!("[`{module}`]")),
            "lib.rs's Layout doc does not name `{module}`"
        );
    }
}
