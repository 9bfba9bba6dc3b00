//! Prior and derivative works, as Connected Papers names them: the papers the crawl's
//! papers cite most (the field's foundations, stored papers outside the crawl included)
//! and the papers citing most of the crawl's papers (its reviews and successors).

use super::CrawlGraph;

/// Papers kept in each list.
pub const WORKS: usize = 50;
/// A paper enters a list with at least this many members behind it: one citation says
/// nothing about a field.
pub const MIN_LINKS: usize = 2;

/// Papers (any stored node) cited by the most members, best first, with that count;
/// ties by paper id.
pub fn prior(g: &CrawlGraph) -> Vec<(u32, usize)> {
    ranked(g, |i| g.member_cited_by(i).len())
}

/// Papers (any stored node) citing the most members, best first, with that count; ties
/// by paper id.
pub fn derivative(g: &CrawlGraph) -> Vec<(u32, usize)> {
    ranked(g, |i| g.member_references(i).len())
}

fn ranked(g: &CrawlGraph, links: impl Fn(u32) -> usize) -> Vec<(u32, usize)> {
    let mut out: Vec<(u32, usize)> = (0..g.ids().len() as u32)
        .map(|i| (i, links(i)))
        .filter(|&(_, n)| n >= MIN_LINKS)
        .collect();
    let order = |a: &(u32, usize), b: &(u32, usize)| b.1.cmp(&a.1).then_with(|| g.cmp_ids(a.0, b.0));
    if out.len() > WORKS {
        out.select_nth_unstable_by(WORKS, order);
        out.truncate(WORKS);
    }
    out.sort_by(order);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::graph;

    #[test]
    fn foundations_and_successors_rank_by_members_behind_them() {
        // Members a, b, c. Outside: f (cited by all three), g (by two), h (by one);
        // r cites all three members, s cites two, t one. c cites a: a member cited by
        // one member is no foundation, and c cites one member only.
        let g = graph(
            &["a", "b", "c"],
            &[
                ("a", "f"),
                ("b", "f"),
                ("c", "f"),
                ("a", "g"),
                ("b", "g"),
                ("c", "h"),
                ("c", "a"),
                ("r", "a"),
                ("r", "b"),
                ("r", "c"),
                ("s", "a"),
                ("s", "b"),
                ("t", "c"),
            ],
        );
        let named = |list: Vec<(u32, usize)>| -> Vec<(String, usize)> {
            list.into_iter().map(|(i, n)| (g.id(i).to_owned(), n)).collect()
        };
        assert_eq!(named(prior(&g)), [("f".to_owned(), 3), ("g".to_owned(), 2)]);
        assert_eq!(named(derivative(&g)), [("r".to_owned(), 3), ("s".to_owned(), 2)]);
    }

    #[test]
    fn an_empty_or_edgeless_crawl_has_no_works() {
        assert!(prior(&graph(&[], &[])).is_empty());
        let g = graph(&["a", "b"], &[]);
        assert!(prior(&g).is_empty() && derivative(&g).is_empty());
    }
}
