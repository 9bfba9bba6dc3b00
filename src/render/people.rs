//! The authors of a render's papers: each distinct author kept once, each paper's list
//! as places in that table. As a list of strings per paper they were, with the
//! "Author et al. Year" strings made from them, a sixth of the paper book at 100,000
//! papers; the "et al." strings are now made when a link shows them.

use std::collections::HashMap;

use crate::render::formats::person;
use crate::store::{Store, StoreError};

/// One author: S2 author id (when S2 has one) and name.
pub(super) type Person<'a> = (Option<&'a str>, &'a str);

/// An author as kept: S2 author id, name, and the surname "et al." strings show.
type Kept = (Option<Box<str>>, Box<str>, Box<str>);

/// Authors of papers, in order.
#[derive(Debug, Default)]
pub(super) struct Authors {
    /// Each distinct (id, name) once, with the surname "et al." strings show.
    people: Vec<Kept>,
    /// Each paper's authors, as places in `people`: hashed with foldhash, looked up at
    /// every link a note shows (millions at 100,000 papers).
    papers: HashMap<Box<str>, Box<[u32]>, hashbrown::DefaultHashBuilder>,
}

impl Authors {
    /// Reads the authors of `ids`.
    pub(super) async fn load(store: &Store, ids: &[String]) -> Result<Self, StoreError> {
        let rows = store.authors_of(ids).await?;
        Ok(Self::from_rows(rows.iter().map(|(paper, id, name)| {
            (paper.as_str(), id.as_deref(), name.as_str())
        })))
    }

    /// From (paper, author id, name) rows, each paper's in order.
    fn from_rows<'r>(rows: impl IntoIterator<Item = (&'r str, Option<&'r str>, &'r str)>) -> Self {
        let mut out = Self::default();
        let mut seen: HashMap<Person<'r>, u32> = HashMap::new();
        let mut lists: HashMap<&str, Vec<u32>> = HashMap::new();
        for (paper, id, name) in rows {
            let next = u32::try_from(out.people.len()).unwrap_or(u32::MAX);
            let place = *seen.entry((id, name)).or_insert_with(|| {
                out.people
                    .push((id.map(Into::into), name.into(), person::surname(name).into()));
                next
            });
            lists.entry(paper).or_default().push(place);
        }
        out.papers = lists
            .into_iter()
            .map(|(paper, list)| (paper.into(), list.into_boxed_slice()))
            .collect();
        out
    }

    fn person(&self, place: u32) -> Option<Person<'_>> {
        let (id, name, _) = self.people.get(place as usize)?;
        Some((id.as_deref(), name))
    }

    /// Whether the paper's authors were read (a paper S2 lists no author for was not).
    pub(super) fn knows(&self, paper: &str) -> bool {
        self.papers.contains_key(paper)
    }

    /// The paper's authors, in order.
    pub(super) fn of<'a>(&'a self, paper: &str) -> impl Iterator<Item = Person<'a>> + 'a {
        let list: &'a [u32] = self.papers.get(paper).map_or(&[], |l| &**l);
        list.iter().filter_map(move |&p| self.person(p))
    }

    /// The name of the paper's first author.
    pub(super) fn first_name(&self, paper: &str) -> Option<&str> {
        self.of(paper).next().map(|(_, name)| name)
    }

    /// "Author et al. Year" for a paper whose authors are known.
    pub(super) fn cite(&self, paper: &str, year: Option<i64>) -> Option<String> {
        let list = self.papers.get(paper)?;
        // The first two surnames and how many there are is all a citation shows.
        let surname = |i: usize| Some(&*self.people.get(*list.get(i)? as usize)?.2);
        Some(person::cite_of_surnames(surname(0), surname(1), list.len(), year))
    }

    /// The paper's authors as places in this table (for [`Authors::surname`]).
    pub(super) fn places(&self, paper: &str) -> Option<&[u32]> {
        self.papers.get(paper).map(|l| &**l)
    }

    /// The surname of the author at `place`, as "et al." strings show it.
    pub(super) fn surname(&self, place: u32) -> Option<&str> {
        self.people.get(place as usize).map(|(_, _, surname)| &**surname)
    }

    /// Every paper with its authors.
    pub(super) fn by_paper(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = Person<'_>>)> {
        self.papers.keys().map(|paper| (&**paper, self.of(paper)))
    }

    /// Every distinct author, in the order first read.
    pub(super) fn everyone(&self) -> impl Iterator<Item = Person<'_>> {
        self.people.iter().map(|(id, name, _)| (id.as_deref(), &**name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authors(rows: &[(&str, Option<&str>, &str)]) -> Authors {
        Authors::from_rows(rows.iter().copied())
    }

    #[test]
    fn each_author_is_kept_once_and_lists_keep_their_order() {
        let a = authors(&[
            ("p1", Some("1"), "Ada Lovelace"),
            ("p1", Some("2"), "Alan Turing"),
            ("p2", Some("2"), "Alan Turing"),
            ("p2", None, "Grace Hopper"),
            ("p2", Some("1"), "Ada Lovelace"),
        ]);
        assert_eq!(a.everyone().count(), 3);
        let p2: Vec<Person<'_>> = a.of("p2").collect();
        assert_eq!(
            p2,
            vec![
                (Some("2"), "Alan Turing"),
                (None, "Grace Hopper"),
                (Some("1"), "Ada Lovelace")
            ]
        );
        assert_eq!(a.first_name("p1"), Some("Ada Lovelace"));
        assert_eq!(a.of("p3").count(), 0);
        assert!(a.knows("p2") && !a.knows("p3"));
    }

    #[test]
    fn the_cite_is_made_from_the_first_names_and_their_count() {
        let a = authors(&[
            ("one", Some("1"), "Ada Lovelace"),
            ("two", Some("1"), "Ada Lovelace"),
            ("two", Some("2"), "Alan Turing"),
            ("many", Some("1"), "Ada Lovelace"),
            ("many", Some("2"), "Alan Turing"),
            ("many", None, "Grace Hopper"),
            ("many", Some("4"), "Edsger Dijkstra"),
        ]);
        assert_eq!(a.cite("one", Some(1843)).as_deref(), Some("Lovelace 1843"));
        assert_eq!(a.cite("two", None).as_deref(), Some("Lovelace and Turing"));
        assert_eq!(a.cite("many", Some(1950)).as_deref(), Some("Lovelace et al. 1950"));
        assert_eq!(a.cite("none", Some(1950)), None);
    }
}
