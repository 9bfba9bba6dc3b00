//! The authors of a render's papers: each distinct author kept once, each paper's list
//! as places in that table. As a list of strings per paper they were, with the
//! "Author et al. Year" strings made from them, a sixth of the paper book at 100,000
//! papers; the "et al." strings are now made when a link shows them.

use std::collections::HashMap;
use std::hash::BuildHasher;

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
    /// Reads the authors of `ids`, a chunk of papers at a time: every row at once was
    /// 75 MB at 100,000 papers, and met the analysis's working memory.
    pub(super) async fn load(store: &Store, ids: &[String]) -> Result<Self, StoreError> {
        let mut gathering = Gathering::default();
        store
            .each_authors_of(ids, |rows| {
                for (paper, id, name) in &rows {
                    gathering.add(paper, id.as_deref(), name);
                }
            })
            .await?;
        Ok(gathering.finish())
    }

    /// From (paper, author id, name) rows, each paper's in order.
    #[cfg(test)]
    fn from_rows<'r>(rows: impl IntoIterator<Item = (&'r str, Option<&'r str>, &'r str)>) -> Self {
        let mut gathering = Gathering::default();
        for (paper, id, name) in rows {
            gathering.add(paper, id, name);
        }
        gathering.finish()
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

/// Authors as their rows come: each person kept once, found again by hash among those
/// kept (the table holds places, not names), and each paper's list of places.
#[derive(Default)]
struct Gathering {
    authors: Authors,
    seen: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    lists: HashMap<Box<str>, Vec<u32>, hashbrown::DefaultHashBuilder>,
}

impl Gathering {
    /// One author of `paper`, after those added before.
    fn add(&mut self, paper: &str, id: Option<&str>, name: &str) {
        let Self {
            authors,
            seen,
            hasher,
            lists,
        } = self;
        let hash = hasher.hash_one((id, name));
        let same = |people: &[Kept], place: u32| {
            let (i, n, _) = &people[place as usize];
            i.as_deref() == id && **n == *name
        };
        let place = match seen.find(hash, |&place| same(&authors.people, place)) {
            Some(&place) => place,
            None => {
                let place = u32::try_from(authors.people.len()).unwrap_or(u32::MAX);
                authors
                    .people
                    .push((id.map(Into::into), name.into(), person::surname(name).into()));
                let people = &authors.people;
                seen.insert_unique(hash, place, |&p| {
                    let (i, n, _) = &people[p as usize];
                    hasher.hash_one((i.as_deref(), &**n))
                });
                place
            }
        };
        match lists.get_mut(paper) {
            Some(list) => list.push(place),
            None => {
                lists.insert(paper.into(), vec![place]);
            }
        }
    }

    fn finish(self) -> Authors {
        let mut authors = self.authors;
        authors.papers = self
            .lists
            .into_iter()
            .map(|(paper, list)| (paper, list.into_boxed_slice()))
            .collect();
        authors
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

    /// A person is an (id, name) pair: the same name without an id, or with another,
    /// is someone else; and people stay found as the table grows past many rehashes.
    #[test]
    fn people_are_id_and_name_and_stay_found_as_they_grow() {
        let names: Vec<String> = (0..2000).map(|i| format!("Person {}", i % 1000)).collect();
        let ids: Vec<String> = (0..2000).map(|i| (i % 1000).to_string()).collect();
        let papers: Vec<String> = (0..2000).map(|i| format!("p{}", i % 700)).collect();
        let mut rows: Vec<(&str, Option<&str>, &str)> = (0..2000)
            .map(|i| (papers[i].as_str(), Some(ids[i].as_str()), names[i].as_str()))
            .collect();
        rows.push(("q", None, "Person 1"));
        rows.push(("q", Some("x"), "Person 1"));
        let a = authors(&rows);
        assert_eq!(a.everyone().count(), 1002);
        // p5's authors, in row order: rows 5, 705, 1405 are people 5, 705 and 405.
        let p5: Vec<Person<'_>> = a.of("p5").collect();
        assert_eq!(
            p5,
            vec![
                (Some("5"), "Person 5"),
                (Some("705"), "Person 705"),
                (Some("405"), "Person 405")
            ]
        );
        let q: Vec<Person<'_>> = a.of("q").collect();
        assert_eq!(q, vec![(None, "Person 1"), (Some("x"), "Person 1")]);
    }
}
