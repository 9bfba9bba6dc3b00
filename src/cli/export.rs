//! `refnet export --crawl ID --format graphml|gexf|csv|json --output PATH`: a crawl's
//! members and in-crawl citations as a file Gephi, Cytoscape or networkx opens. The
//! analysis is refreshed first (cluster, similarity). Files are written whole or not at
//! all: a temporary file beside the target, renamed into place. CSV writes two files:
//! PATH (the nodes) and PATH with `.csv` replaced by `.edges.csv` (the edges).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::UsageError;
use super::crawl::{open_store, require_store};
use super::out;
use crate::graph::CrawlGraph;
use crate::graph::export::{self, Export, Node};
use crate::settings::Settings;
use crate::store::Store;

/// The formats, as typed.
const FORMATS: &str = "graphml, gexf, csv, json";

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Graphml,
    Gexf,
    Csv,
    Json,
}

impl Format {
    fn parse(text: &str) -> Result<Self, UsageError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "graphml" => Ok(Self::Graphml),
            "gexf" => Ok(Self::Gexf),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            _ => Err(UsageError(format!(
                "unknown export format {text:?}: use one of {FORMATS}"
            ))),
        }
    }
}

/// Where the edges of a CSV export go: `x.csv` → `x.edges.csv`, else `x` → `x.edges.csv`.
pub(crate) fn csv_edges_path(nodes: &Path) -> PathBuf {
    let name = nodes
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".csv").unwrap_or(&name);
    nodes.with_file_name(format!("{stem}.edges.csv"))
}

/// Runs `refnet export`.
pub(super) async fn run(settings: Settings, crawl_id: i64, format: &str, output: PathBuf) -> anyhow::Result<()> {
    let format = Format::parse(format)?;
    check_target(&output)?;
    require_store(&settings)?;
    let store = open_store(&settings).await?;
    if store.crawl(crawl_id).await?.is_none() {
        return Err(UsageError(format!(
            "crawl {crawl_id} does not exist: list crawls with `refnet crawls`"
        ))
        .into());
    }
    let data = collect(&store, crawl_id).await?;
    store.close().await;
    let files: Vec<(PathBuf, String)> = match format {
        Format::Graphml => vec![(output.clone(), export::graphml(&data))],
        Format::Gexf => vec![(output.clone(), export::gexf(&data))],
        Format::Json => vec![(output.clone(), export::json(&data))],
        Format::Csv => {
            let (nodes, edges) = export::csv(&data);
            vec![(output.clone(), nodes), (csv_edges_path(&output), edges)]
        }
    };
    write_all(&files)?;
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    out::line(&format!(
        "exported {} papers and {} citations to {}",
        data.nodes.len(),
        data.edges.len(),
        names.join(" and ")
    ))?;
    Ok(())
}

/// Refuses a target that cannot be written before any work is done.
fn check_target(output: &Path) -> Result<(), UsageError> {
    let fix = "give --output a file path in a folder you can write to";
    if output.is_dir() {
        return Err(UsageError(format!(
            "cannot export to {}: it is a folder; {fix}",
            output.display()
        )));
    }
    let dir = parent(output);
    if !dir.is_dir() {
        return Err(UsageError(format!(
            "cannot export to {}: the folder {} does not exist; {fix}",
            output.display(),
            dir.display()
        )));
    }
    Ok(())
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Writes each file to a temporary beside it, then renames them all into place; on any
/// failure removes what it made and leaves the targets as they were.
fn write_all(files: &[(PathBuf, String)]) -> Result<(), UsageError> {
    let mut temps: Vec<(tempfile_path::Temp, &Path)> = Vec::new();
    for (path, text) in files {
        match tempfile_path::Temp::write(path, text) {
            Ok(t) => temps.push((t, path)),
            Err(e) => {
                return Err(UsageError(format!(
                    "cannot write {}: {e}; give --output a file path in a folder you can write to",
                    path.display()
                )));
            }
        }
    }
    for (temp, path) in temps {
        temp.persist(path).map_err(|e| {
            UsageError(format!(
                "cannot write {}: {e}; give --output a file path in a folder you can write to",
                path.display()
            ))
        })?;
    }
    Ok(())
}

/// A temporary file beside its target, removed unless persisted.
mod tempfile_path {
    use super::*;

    pub(super) struct Temp(Option<PathBuf>);

    impl Temp {
        pub(super) fn write(target: &Path, text: &str) -> std::io::Result<Self> {
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = parent(target).join(format!(".{name}.refnet-{}.tmp", std::process::id()));
            let temp = Self(Some(path.clone()));
            let mut file = std::fs::File::create(&path)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            Ok(temp)
        }

        pub(super) fn persist(mut self, target: &Path) -> std::io::Result<()> {
            let path = self.0.take().unwrap_or_default();
            std::fs::rename(&path, target).inspect_err(|_| {
                let _ = std::fs::remove_file(&path);
            })
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            if let Some(path) = self.0.take() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// The crawl's members with their attributes, and the citations between them.
async fn collect(store: &Store, crawl_id: i64) -> anyhow::Result<Export> {
    let graph = std::sync::Arc::new(CrawlGraph::load(store, crawl_id).await?);
    let pagerank: std::sync::Arc<[f64]> = graph.pagerank().into();
    let analysis = crate::graph::analysis::refresh(store, crawl_id, &graph, &pagerank).await?;
    let members = graph.member_ids().to_vec();
    let papers: HashMap<String, (String, Option<i64>, Option<i64>)> = store
        .papers(&members)
        .await?
        .into_iter()
        .map(|p| (p.paper_id.clone(), (p.title.clone(), p.year, p.citation_count)))
        .collect();
    let metrics = graph.metrics(crawl_id, &pagerank);
    let nodes = members
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (title, year, citation_count) = papers.get(id).cloned().unwrap_or_default();
            let a = analysis.papers.get(id);
            let cluster_id = a.and_then(|a| a.cluster_id);
            Node {
                id: id.clone(),
                title,
                year,
                citation_count,
                cluster: analysis.label_of(id).map(str::to_owned),
                cluster_id,
                similarity: a.map_or(0.0, |a| a.similarity),
                pagerank: metrics[i].pagerank,
                in_crawl_citations: metrics[i].cited_in_crawl,
            }
        })
        .collect();
    let edges = graph
        .member_edges()
        .map(|(a, b)| (graph.id(a).to_owned(), graph.id(b).to_owned()))
        .collect();
    Ok(Export { crawl_id, nodes, edges })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_edges_sit_beside_the_nodes_file() {
        assert_eq!(csv_edges_path(Path::new("out/g.csv")), Path::new("out/g.edges.csv"));
        assert_eq!(csv_edges_path(Path::new("g")), Path::new("g.edges.csv"));
    }

    #[test]
    fn formats_parse_in_any_case_and_an_unknown_one_names_the_choices() {
        assert_eq!(Format::parse("GraphML").ok(), Some(Format::Graphml));
        let err = Format::parse("dot").expect_err("unknown");
        assert!(err.0.contains("\"dot\"") && err.0.contains(FORMATS), "{}", err.0);
    }
}
