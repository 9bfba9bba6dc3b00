//! A graph's paper ids and their nodes: each id kept once, found by hash. A map keyed by
//! id beside the list of ids kept every id twice, 15 MB at 100,000 papers (178,000 ids).
//! Hashed with foldhash rather than the standard library's SipHash: a render looks ids
//! up millions of times, and the hashes are never kept.

use std::hash::BuildHasher;

/// Paper ids in node order, and each id's node.
#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    ids: Vec<String>,
    nodes: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl IdIndex {
    /// The node of `id`, if it has one.
    pub fn get(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.nodes
            .find(hash, |&n| self.ids.get(n as usize).is_some_and(|i| i == id))
            .copied()
    }

    /// The node of `id`, given the next one when it has none; whether it is new.
    pub fn intern(&mut self, id: &str) -> (u32, bool) {
        if let Some(node) = self.get(id) {
            return (node, false);
        }
        let node = self.ids.len() as u32;
        self.ids.push(id.to_owned());
        let (ids, hasher) = (&self.ids, &self.hasher);
        self.nodes.insert_unique(hasher.hash_one(id), node, |&n| {
            hasher.hash_one(ids[n as usize].as_str())
        });
        (node, true)
    }

    /// Every id, in node order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// How many ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_get_their_nodes_in_order_once() {
        let mut index = IdIndex::default();
        let ids: Vec<String> = (0..1000).map(|i| format!("{i:040x}")).collect();
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(index.intern(id), (n as u32, true));
        }
        assert_eq!(index.intern(&ids[17]), (17, false));
        assert_eq!(index.len(), 1000);
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(n as u32));
        }
        assert_eq!(index.get("not an id"), None);
        assert_eq!(index.ids()[999], ids[999]);
    }
}
