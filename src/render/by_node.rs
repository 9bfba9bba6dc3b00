//! Values of a render's papers kept by graph node, found by paper id through the
//! graph's own id index. A map of their own keyed by paper id costs each 40-character
//! id again: at 100,000 papers, eight to ten megabytes for each such table.

use std::sync::Arc;

use crate::graph::{CrawlGraph, IdIndex};

/// A value per node of a graph (or none).
#[derive(Debug)]
pub(super) struct ByNode<T> {
    index: Arc<IdIndex>,
    values: Vec<Option<T>>,
}

impl<T> Default for ByNode<T> {
    fn default() -> Self {
        Self {
            index: Arc::default(),
            values: Vec::new(),
        }
    }
}

impl<T> ByNode<T> {
    /// No value yet for any node of `graph`.
    pub(super) fn new(graph: &CrawlGraph) -> Self {
        let values = std::iter::repeat_with(|| None).take(graph.ids().len()).collect();
        Self {
            index: graph.id_index(),
            values,
        }
    }

    /// Sets the value of the paper's node; a paper that is no node of the graph is
    /// handed back.
    pub(super) fn set(&mut self, id: &str, value: T) -> Result<(), T> {
        match self.index.get(id).and_then(|n| self.values.get_mut(n as usize)) {
            Some(slot) => {
                *slot = Some(value);
                Ok(())
            }
            None => Err(value),
        }
    }

    /// Sets the value of a node of the graph (one past its nodes is ignored).
    pub(super) fn set_at(&mut self, node: u32, value: T) {
        if let Some(slot) = self.values.get_mut(node as usize) {
            *slot = Some(value);
        }
    }

    /// The value of the paper's node.
    pub(super) fn get(&self, id: &str) -> Option<&T> {
        self.at(self.index.get(id)?)
    }

    /// The value of a node.
    pub(super) fn at(&self, node: u32) -> Option<&T> {
        self.values.get(node as usize)?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_paper_id_and_strangers_are_handed_back() {
        let graph = CrawlGraph::new(&[("a".repeat(40), 0), ("b".repeat(40), 1)]);
        let mut by: ByNode<u8> = ByNode::new(&graph);
        assert_eq!(by.set(&"b".repeat(40), 7), Ok(()));
        assert_eq!(by.set(&"c".repeat(40), 9), Err(9));
        assert_eq!(by.get(&"b".repeat(40)), Some(&7));
        assert_eq!(by.get(&"a".repeat(40)), None);
        assert_eq!(by.get(&"c".repeat(40)), None);
        assert_eq!(by.at(graph.node(&"b".repeat(40)).expect("a node")), Some(&7));
        by.set_at(0, 3);
        by.set_at(2, 5);
        assert_eq!(by.get(&"a".repeat(40)), Some(&3));
        assert_eq!(by.at(2), None);
        assert_eq!(ByNode::<u8>::default().get("a"), None);
    }
}
