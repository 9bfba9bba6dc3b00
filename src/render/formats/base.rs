//! `refnet/Papers.base`: an Obsidian Bases file (YAML: `filters`, `formulas`,
//! `properties`, `views`) over the paper notes, with the views a reader starts from —
//! by cluster, most similar to the seed, by year, most cited within the crawl, and a
//! reading queue grouped by `status`, a property refnet creates empty and never writes
//! again (Bases' kanban rewrites it when a card is dragged).
//!
//! Written once, when missing: after that the file is the user's to edit.

use crate::vault::folders::PAPERS_DIR;

/// Where the base goes, from the vault's root.
pub const PAPERS_BASE: &str = "refnet/Papers.base";

/// The frontmatter property the reading queue groups by: the user's to write.
pub const STATUS_KEY: &str = "status";

/// The views of the base, by name (their order in the file).
pub const VIEWS: [&str; 5] = [
    "By cluster",
    "Most similar",
    "By year",
    "Most cited in the crawl",
    "Reading queue",
];

/// The text of `Papers.base`.
pub fn papers_base() -> String {
    let [by_cluster, most_similar, by_year, most_cited, queue] = VIEWS;
    format!(
        r#"# The papers of your refnet crawls. refnet writes this file once, when it is missing:
# edit it freely. `status` is yours: refnet creates it empty on a new paper note and
# never writes it again (drag cards in a kanban view, or type "to read", "reading", "read").
filters:
  and:
    - file.inFolder("{PAPERS_DIR}")
formulas:
  citations_per_year: 'if(year, (citation_count / max(1, now().year() - year + 1)).round(1), "")'
properties:
  note.cluster:
    displayName: Cluster
  note.similarity:
    displayName: Similarity to the seed
  note.pagerank:
    displayName: PageRank
  note.in_crawl_citations:
    displayName: Cited in the crawl
  note.citation_count:
    displayName: Citations
  note.{STATUS_KEY}:
    displayName: Status
  formula.citations_per_year:
    displayName: Citations a year
views:
  - type: table
    name: {by_cluster}
    groupBy:
      property: note.cluster
      direction: ASC
    order:
      - file.name
      - year
      - similarity
      - in_crawl_citations
      - {STATUS_KEY}
    sort:
      - property: note.pagerank
        direction: DESC
  - type: table
    name: {most_similar}
    filters:
      and:
        - "similarity > 0"
    order:
      - file.name
      - similarity
      - cluster
      - year
      - {STATUS_KEY}
    sort:
      - property: note.similarity
        direction: DESC
    limit: 50
  - type: table
    name: {by_year}
    groupBy:
      property: note.year
      direction: DESC
    order:
      - file.name
      - venue
      - cluster
      - citation_count
    sort:
      - property: note.citation_count
        direction: DESC
  - type: table
    name: {most_cited}
    order:
      - file.name
      - in_crawl_citations
      - citation_count
      - formula.citations_per_year
      - cluster
    sort:
      - property: note.in_crawl_citations
        direction: DESC
    limit: 100
  - type: cards
    name: {queue}
    groupBy:
      property: note.{STATUS_KEY}
      direction: ASC
    order:
      - file.name
      - cluster
      - similarity
      - year
    sort:
      - property: note.similarity
        direction: DESC
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed() -> serde_yaml::Value {
        serde_yaml::from_str(&papers_base()).expect("Papers.base is YAML")
    }

    #[test]
    fn the_base_has_the_documented_keys_and_views() {
        let base = parsed();
        for key in ["filters", "formulas", "properties", "views"] {
            assert!(base.get(key).is_some(), "no {key}");
        }
        let views = base["views"].as_sequence().expect("views is a list");
        let names: Vec<&str> = views.iter().filter_map(|v| v["name"].as_str()).collect();
        assert_eq!(names, VIEWS);
        for view in views {
            let kind = view["type"].as_str().expect("type");
            assert!(["table", "cards"].contains(&kind), "{kind}");
            assert!(view["order"].as_sequence().is_some_and(|o| !o.is_empty()));
        }
        let queue = &views[4];
        assert_eq!(queue["groupBy"]["property"].as_str(), Some("note.status"));
        let scope = base["filters"]["and"][0].as_str().expect("a folder filter");
        assert!(scope.contains(PAPERS_DIR), "{scope}");
    }

    #[test]
    fn every_note_property_the_base_names_is_one_refnet_writes_or_the_users_status() {
        let base = parsed();
        let mut named: Vec<String> = Vec::new();
        for view in base["views"].as_sequence().expect("views") {
            for p in view["order"].as_sequence().expect("order") {
                named.push(p.as_str().expect("a property").to_owned());
            }
            for key in ["groupBy"] {
                if let Some(p) = view[key]["property"].as_str() {
                    named.push(p.to_owned());
                }
            }
            for s in view["sort"].as_sequence().into_iter().flatten() {
                named.push(s["property"].as_str().expect("sort property").to_owned());
            }
        }
        for p in base["properties"].as_mapping().expect("properties").keys() {
            named.push(p.as_str().expect("a name").to_owned());
        }
        let keys = crate::render::notes::paper::PAPER_KEYS;
        for name in named {
            if name.starts_with("file.") || name.starts_with("formula.") {
                continue;
            }
            let key = name.strip_prefix("note.").unwrap_or(&name);
            assert!(
                key == STATUS_KEY || keys.contains(&key),
                "{name} is not a property of paper notes"
            );
        }
    }
}
