//! Links from notes to the papers of a render's graph: found by graph node, each
//! one's "Author et al. Year" made from parts found once per node, and borrowed from the
//! [`PaperBook`] where a note's lists are built (a 100,000-paper render makes about two
//! million of them).

use std::borrow::Cow;

use super::book::{CiteParts, PaperBook};
use super::by_node::ByNode;
use super::people::Authors;
use crate::graph::CrawlGraph;
use crate::render::formats::person;
use crate::render::notes::{LinkItem, LinkView};

/// Each node's [`CiteParts`], by node: the members' authors first, then the outsiders'.
pub(super) fn cite_parts(graph: &CrawlGraph, authors: &Authors, outsiders: &Authors) -> Vec<CiteParts> {
    graph
        .ids()
        .iter()
        .map(|id| {
            let (outsider, places) = match authors.places(id) {
                Some(places) => (false, places),
                None => (true, outsiders.places(id).unwrap_or_default()),
            };
            CiteParts {
                outsider,
                first: places.first().copied().unwrap_or_default(),
                second: places.get(1).copied().unwrap_or_default(),
                count: u32::try_from(places.len()).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

impl PaperBook {
    /// A link to a paper of the graph.
    pub(crate) fn link(&self, id: &str) -> LinkItem {
        if let Some(node) = self.graph.node(id) {
            return self.link_at(node);
        }
        LinkItem {
            paper_id: id.to_owned(),
            note: None,
            cite: self.cite(id),
            title: self.titles.title(id),
            year: self.titles.year(id),
            influential: false,
        }
    }

    /// A link to a node of the graph.
    pub(super) fn link_at(&self, node: u32) -> LinkItem {
        let view = self.view_at(node, false);
        LinkItem {
            paper_id: view.paper_id.to_owned(),
            note: view.note.cloned(),
            // A view makes the citation only for a paper with a note; a link always has it.
            cite: match view.cite {
                Some(cite) => Some(cite.into_owned()),
                None if view.note.is_none() => self.cite_at(node, view.year),
                None => None,
            },
            title: view.title.into_owned(),
            year: view.year,
            influential: false,
        }
    }

    /// A link to a node of the graph, borrowed from the book ("Author et al. Year" made
    /// only for a paper with a note: only its line shows it).
    fn view_at(&self, node: u32, influential: bool) -> LinkView<'_> {
        let id = self.graph.id(node);
        let note = self.noted.at(node);
        let (title, year) = match self.titles.at(node) {
            Some((title, year)) => (Cow::Borrowed(title), year),
            None => (Cow::Owned(crate::store::title_or_id("", id)), None),
        };
        LinkView {
            paper_id: id,
            note,
            cite: note
                .and_then(|_| self.noted_cites.at(node))
                .map(|c| Cow::Borrowed(&**c)),
            title,
            year,
            influential,
        }
    }

    /// "Author et al. Year" of each node with a note, as its links show it: made once per
    /// node rather than for each of the two million links of a 100,000-paper render
    /// (about 4 MB).
    pub(super) fn noted_cites(&self) -> ByNode<Box<str>> {
        let mut cites = ByNode::new(&self.graph);
        for node in (0u32..).take(self.graph.ids().len()) {
            if self.noted.at(node).is_some() {
                let year = self.titles.at(node).and_then(|(_, year)| year);
                if let Some(cite) = self.cite_at(node, year) {
                    cites.set_at(node, cite.into_boxed_str());
                }
            }
        }
        cites
    }

    /// "Author et al. Year" of a node whose authors were read (`year`: the node's).
    fn cite_at(&self, node: u32, year: Option<i64>) -> Option<String> {
        let parts = self.cites.get(node as usize).filter(|c| c.count > 0)?;
        let table = if parts.outsider { &self.outsiders } else { &self.authors };
        let second = if parts.count > 1 {
            table.surname(parts.second)
        } else {
            None
        };
        Some(person::cite_of_surnames(
            table.surname(parts.first),
            second,
            parts.count as usize,
            year,
        ))
    }

    /// "Author et al. Year" of a paper whose authors were read.
    pub(crate) fn cite(&self, id: &str) -> Option<String> {
        let year = self.titles.year(id);
        self.authors.cite(id, year).or_else(|| self.outsiders.cite(id, year))
    }

    /// Links to graph nodes, influential citations marked: papers with notes first, then
    /// newest first, then by title.
    pub(super) fn links(&self, nodes: &[u32], influential: impl Fn(u32) -> bool) -> Vec<LinkView<'_>> {
        let mut items: Vec<LinkView<'_>> = nodes.iter().map(|&n| self.view_at(n, influential(n))).collect();
        items.sort_by(LinkView::list_order);
        items
    }
}
