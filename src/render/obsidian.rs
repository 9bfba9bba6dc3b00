//! Obsidian settings for a vault refnet creates: graph colour groups (papers, authors,
//! crawl indexes, what's-new notes) and property types. Written only when the vault has no `.obsidian/`
//! and is not inside another vault; an existing `.obsidian/` is never touched, since
//! Obsidian rewrites these files itself.

use crate::vault::{Vault, VaultError};

/// `.obsidian/graph.json`: one colour per kind of refnet note (`rgb` = R<<16 | G<<8 | B).
const GRAPH: &str = r#"{
  "colorGroups": [
    {"query": "path:\"refnet/papers\"", "color": {"a": 1, "rgb": 5142951}},
    {"query": "path:\"refnet/authors\"", "color": {"a": 1, "rgb": 15105570}},
    {"query": "path:\"refnet/crawls\"", "color": {"a": 1, "rgb": 10181046}},
    {"query": "path:\"refnet/news\"", "color": {"a": 1, "rgb": 3066993}}
  ]
}
"#;

/// `.obsidian/types.json`: the types of refnet's properties, so they never flip type.
const TYPES: &str = r#"{
  "types": {
    "aliases": "aliases",
    "tags": "tags",
    "title": "text",
    "citekey": "text",
    "authors": "multitext",
    "year": "number",
    "date": "date",
    "venue": "text",
    "doi": "text",
    "arxiv": "text",
    "s2_id": "text",
    "merged_s2_ids": "multitext",
    "url": "text",
    "pdf": "text",
    "abstract_source": "text",
    "citation_count": "number",
    "influential_citation_count": "number",
    "reference_count": "number",
    "in_crawl_citations": "number",
    "pagerank": "number",
    "similarity": "number",
    "cluster": "text",
    "status": "text",
    "refnet_cluster": "text",
    "label": "text",
    "terms": "multitext",
    "fields_of_study": "multitext",
    "in_library": "checkbox",
    "summary_source": "text",
    "refnet_updated": "date",
    "name": "text",
    "s2_author_id": "text",
    "paper_count": "number",
    "refnet_crawl": "number",
    "seed": "text",
    "depth": "number",
    "direction": "text",
    "max_papers": "number",
    "papers": "number",
    "citations": "number",
    "left_out": "number",
    "truncated": "number",
    "created": "date",
    "crawled": "date",
    "refreshed": "date",
    "refnet_news": "text",
    "crawl": "text",
    "since": "date",
    "new_papers": "number",
    "cited_more": "number"
  }
}
"#;

/// The files [`prepare_new_vault`] writes.
pub const FILES: [&str; 2] = [".obsidian/graph.json", ".obsidian/types.json"];

/// Writes `.obsidian/` settings into a vault that has none. Returns whether it did.
pub fn prepare_new_vault(vault: &Vault) -> Result<bool, VaultError> {
    if vault.has_obsidian_dir || vault.inside_other_vault {
        return Ok(false);
    }
    vault.write(FILES[0], GRAPH)?;
    vault.write(FILES[1], TYPES)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_are_json() {
        for text in [GRAPH, TYPES] {
            serde_json::from_str::<serde_json::Value>(text).expect("valid JSON");
        }
    }

    #[test]
    fn every_property_refnet_writes_has_a_type() {
        let types: serde_json::Value = serde_json::from_str(TYPES).expect("valid JSON");
        let keys = crate::render::notes::paper::PAPER_KEYS
            .iter()
            .chain(crate::render::notes::author::AUTHOR_KEYS)
            .chain(crate::render::notes::index::INDEX_KEYS)
            .chain(crate::render::notes::news::NEWS_KEYS);
        for key in keys {
            assert!(types["types"].get(key).is_some(), "{key} has no type in types.json");
        }
    }

    #[test]
    fn settings_are_written_once_and_never_inside_another_vault() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("v");
        let vault = Vault::open(&root).expect("open");
        assert!(prepare_new_vault(&vault).expect("write"));
        std::fs::write(root.join(".obsidian/graph.json"), "{\"mine\": true}").expect("user edit");
        let reopened = Vault::open(&root).expect("open");
        assert!(!prepare_new_vault(&reopened).expect("no write"));
        assert_eq!(
            std::fs::read_to_string(root.join(".obsidian/graph.json")).expect("read"),
            "{\"mine\": true}"
        );

        let nested = Vault::open(&root.join("sub/inner")).expect("open");
        assert!(nested.inside_other_vault);
        assert!(!prepare_new_vault(&nested).expect("no write"));
        assert!(!root.join("sub/inner/.obsidian").exists());
    }
}
