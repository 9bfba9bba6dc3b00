//! Titles and years of the papers a render links, read once per render; with the
//! analysis's texts when the crawl must be analysed again.

use std::collections::HashMap;

use crate::graph::CrawlGraph;
use crate::graph::labels::Texts;
use crate::render::by_node::ByNode;
use crate::store::{Store, StoreError};

/// Title and year of papers: a graph's nodes by node, found through the graph's own
/// index (a map of their own by id was 35 MB at 100,000 papers), and others by id.
#[derive(Debug, Default)]
pub(super) struct Titles {
    nodes: ByNode<(Box<str>, Option<i64>)>,
    others: HashMap<String, (String, Option<i64>)>,
}

impl Titles {
    /// Reads the titles and years of `ids` (stubs included).
    pub(super) async fn load(store: &Store, ids: &[String]) -> Result<Self, StoreError> {
        let rows = store.paper_titles(ids).await?;
        Ok(Self {
            others: rows
                .into_iter()
                .map(|(id, title, year)| {
                    let title = crate::store::title_or_id(&title, &id);
                    (id, (title, year))
                })
                .collect(),
            ..Self::default()
        })
    }

    /// Reads the titles and years of every paper in `graph` (stubs included); with the
    /// members' abstracts into `texts` when given.
    pub(super) async fn of_graph(
        store: &Store,
        graph: &CrawlGraph,
        texts: Option<&mut Texts>,
    ) -> Result<Self, StoreError> {
        let mut nodes = ByNode::new(graph);
        let mut keep = |id: String, title: String, year: Option<i64>| {
            let title = crate::store::title_or_id(&title, &id).into_boxed_str();
            // Every id asked for is a node.
            let _ = nodes.set(&id, (title, year));
        };
        // A chunk of rows at a time: all of them at once were 27 MB at 100,000 papers.
        match texts {
            None => {
                let each = |rows: Vec<_>| rows.into_iter().for_each(|(id, title, year)| keep(id, title, year));
                store.each_paper_titles(graph.ids(), each).await?;
            }
            Some(texts) => {
                let each = |rows: Vec<(String, String, Option<i64>, Option<String>)>| {
                    for (id, title, year, abstract_text) in rows {
                        texts.read_row(graph, &id, &title, abstract_text.as_deref());
                        keep(id, title, year);
                    }
                };
                store.each_paper_titles_abstracts(graph.ids(), each).await?;
            }
        }
        Ok(Self {
            nodes,
            others: HashMap::new(),
        })
    }

    /// Title and year of a node of the graph the titles were read for.
    pub(super) fn at(&self, node: u32) -> Option<(&str, Option<i64>)> {
        self.nodes.at(node).map(|(t, y)| (&**t, *y))
    }

    fn get(&self, id: &str) -> Option<(&str, Option<i64>)> {
        match self.nodes.get(id) {
            Some((t, y)) => Some((&**t, *y)),
            None => self.others.get(id).map(|(t, y)| (t.as_str(), *y)),
        }
    }

    /// Whether the paper's title is known.
    pub(super) fn knows(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The title to show.
    pub(super) fn title(&self, id: &str) -> String {
        self.get(id)
            .map(|(t, _)| t.to_owned())
            .unwrap_or_else(|| crate::store::title_or_id("", id))
    }

    /// The year.
    pub(super) fn year(&self, id: &str) -> Option<i64> {
        self.get(id).and_then(|(_, y)| y)
    }
}
