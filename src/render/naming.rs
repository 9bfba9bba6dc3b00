//! Which file each note lives in. Names are claimed once in the store (unique
//! vault-wide, case-insensitively, through its unique index) and then frozen; a name a
//! user's own file already has is never taken.

use std::collections::{HashMap, HashSet};

use super::RenderError;
use crate::render::formats::person::surname;
use crate::store::{Claim, NoteRow, Store, now};
use crate::vault::Vault;
use crate::vault::write::{Moved, find_moved};
use crate::vault::{NoteKey, NoteName};

/// A note that needs a name: its key, its folder, and the names to try in order.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// Which note.
    pub key: NoteKey,
    /// Folder in the vault.
    pub folder: &'static str,
    /// Names to try, best first.
    pub candidates: Vec<NoteName>,
}

/// Every note refnet manages, by key.
#[derive(Debug, Default)]
pub struct Names {
    rows: HashMap<NoteKey, NoteRow>,
    names: HashMap<NoteKey, NoteName>,
    moved: std::sync::Arc<Moved>,
    /// Rows this render added, forgot or moved in the store: each counts as a write to
    /// what renders read (see `render::unchanged`).
    changes: u64,
    /// Whether a note wanted a name and found none free.
    unnamed: bool,
}

impl Names {
    /// Reads the note state.
    pub async fn load(store: &Store) -> Result<Self, RenderError> {
        let mut names = Self::default();
        for row in store.notes().await? {
            names.insert(row);
        }
        Ok(names)
    }

    fn insert(&mut self, row: NoteRow) {
        let name = row
            .path
            .rsplit('/')
            .next()
            .and_then(|base| base.strip_suffix(".md"))
            .and_then(NoteName::from_stored);
        match name {
            Some(name) => self.names.insert(row.note_key.clone(), name),
            None => self.names.remove(&row.note_key),
        };
        self.rows.insert(row.note_key.clone(), row);
    }

    /// The what's-new notes of a crawl, newest refresh first: (run, name).
    pub fn news_notes(&self, crawl_id: i64) -> Vec<(i64, NoteName)> {
        let mut out: Vec<(i64, NoteName)> = self
            .names
            .iter()
            .filter_map(|(key, name)| match key {
                NoteKey::News { crawl, run } if *crawl == crawl_id => Some((*run, name.clone())),
                _ => None,
            })
            .collect();
        out.sort_by_key(|n| std::cmp::Reverse(n.0));
        out
    }

    /// Every note refnet has a name for.
    pub fn keys(&self) -> impl Iterator<Item = &NoteKey> {
        self.rows.keys()
    }

    /// Whether the note has a name already.
    pub fn has(&self, key: &NoteKey) -> bool {
        self.rows.contains_key(key)
    }

    /// Looks, once, for notes refnet wrote before that the user moved or renamed.
    pub async fn find_moved(&mut self, vault: &Vault) -> Result<(), RenderError> {
        let written: Vec<String> = self
            .rows
            .values()
            .filter(|r| r.content_hash.is_some())
            .map(|r| r.path.clone())
            .collect();
        let scan = vault.clone();
        let moved = tokio::task::spawn_blocking(move || find_moved(&scan, &written))
            .await
            .map_err(|e| RenderError::Worker(e.to_string()))?;
        self.moved = std::sync::Arc::new(moved);
        Ok(())
    }

    /// Where moved notes are now.
    pub fn moved(&self) -> std::sync::Arc<Moved> {
        self.moved.clone()
    }

    /// The note's row.
    pub fn row(&self, key: &NoteKey) -> Option<&NoteRow> {
        self.rows.get(key)
    }

    /// The note's name (its file's basename).
    pub fn name(&self, key: &NoteKey) -> Option<NoteName> {
        self.names.get(key).cloned()
    }

    /// Every paper that has a note, with its name.
    pub fn paper_notes(&self) -> HashMap<String, NoteName> {
        self.names
            .iter()
            .filter_map(|(k, name)| Some((k.as_paper()?.to_owned(), name.clone())))
            .collect()
    }

    /// Drops notes refnet no longer keeps (and has forgotten in the store).
    pub fn forget(&mut self, keys: &[NoteKey]) {
        for key in keys {
            if self.rows.remove(key).is_some() {
                self.changes += 1;
            }
            self.names.remove(key);
        }
    }

    /// Records that a note now lives at `path` (found moved).
    pub fn set_path(&mut self, key: &NoteKey, path: &str) {
        if let Some(mut row) = self.rows.get(key).cloned()
            && row.path != path
        {
            row.path = path.to_owned();
            self.insert(row);
            self.changes += 1;
        }
    }

    /// How many rows of the store's note state this render added, forgot or moved.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Whether a note wanted a name and could not have one.
    pub fn unnamed(&self) -> bool {
        self.unnamed
    }

    /// Claims names for the wanted notes that have none yet.
    pub async fn claim(&mut self, store: &Store, vault: &Vault, wanted: Vec<Wanted>) -> Result<(), RenderError> {
        let missing: Vec<Wanted> = wanted.into_iter().filter(|w| !self.rows.contains_key(&w.key)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        // Names of files refnet does not manage are the user's.
        let ours: HashSet<String> = self.rows.values().map(|r| r.name_key.clone()).collect();
        let scan = vault.clone();
        let on_disk = tokio::task::spawn_blocking(move || scan.basenames())
            .await
            .map_err(|e| RenderError::Worker(e.to_string()))?;
        let users: HashSet<String> = on_disk.difference(&ours).cloned().collect();
        let claims: Vec<Claim> = missing
            .iter()
            .map(|w| Claim {
                key: w.key.to_string(),
                candidates: w
                    .candidates
                    .iter()
                    .filter(|c| !users.contains(&c.key()))
                    .map(|c| (format!("{}/{c}.md", w.folder), c.key()))
                    .collect(),
            })
            .collect();
        for row in store.claim_notes(&claims, now()).await? {
            self.insert(row);
            self.changes += 1;
        }
        self.unnamed |= missing.iter().any(|w| !self.rows.contains_key(&w.key));
        Ok(())
    }
}

/// Names for a paper note: the title, then with the year, then with the first author and
/// year, then with a short id, then with the whole id.
pub fn paper_candidates(title: &str, year: Option<i64>, first_author: Option<&str>, paper_id: &str) -> Vec<NoteName> {
    let base = NoteName::from_title(title);
    let mut out = vec![base.clone()];
    if let Some(year) = year {
        out.push(base.with_suffix(&year.to_string()));
        if let Some(author) = first_author {
            out.push(base.with_suffix(&format!("{} {year}", surname(author))));
        }
    }
    out.push(base.with_suffix(&paper_id[..paper_id.len().min(8)]));
    out.push(base.with_suffix(paper_id));
    out
}

/// Names for an author note: the name, then with the S2 author id.
pub fn author_candidates(name: &str, author_id: &str) -> Vec<NoteName> {
    let base = NoteName::from_title(name);
    vec![
        base.clone(),
        base.with_suffix(author_id),
        base.with_suffix(&format!("author {author_id}")),
    ]
}

/// Names for a crawl's index note.
pub fn index_candidates(title: &str, crawl_id: i64) -> Vec<NoteName> {
    let base = NoteName::from_title(title);
    vec![
        base.clone(),
        base.with_suffix(&format!("crawl {crawl_id}")),
        base.with_suffix(&format!("refnet crawl {crawl_id}")),
    ]
}

/// Names for a refresh's what's-new note.
pub fn news_candidates(title: &str, crawl_id: i64, run: i64) -> Vec<NoteName> {
    let base = NoteName::from_title(title);
    vec![
        base.clone(),
        base.with_suffix(&format!("run {run}")),
        base.with_suffix(&format!("crawl {crawl_id} run {run}")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn same_titled_papers_get_distinct_candidates_in_order() {
        let a = paper_candidates("Deep Learning", Some(2015), Some("Yann LeCun"), &"a".repeat(40));
        let names: Vec<&str> = a.iter().map(NoteName::as_str).collect();
        assert_eq!(
            names[..3],
            ["Deep Learning", "Deep Learning (2015)", "Deep Learning (LeCun 2015)"]
        );
        assert!(names[3].ends_with("(aaaaaaaa)"));
    }

    proptest! {
        /// Any set of titles (with duplicates, differing only by case, hostile): picking
        /// each paper's first free candidate gives unique names, case-insensitively.
        #[test]
        fn first_free_candidates_are_unique(titles in proptest::collection::vec(any::<String>(), 1..40), dupes in 0usize..5) {
            let mut titles = titles;
            for i in 0..dupes.min(titles.len()) {
                let t = titles[i].to_uppercase();
                titles.push(t);
            }
            let mut taken: HashSet<String> = HashSet::new();
            for (i, title) in titles.iter().enumerate() {
                let id = format!("{i:040x}");
                let chosen = paper_candidates(title, Some(2000 + i as i64 % 3), Some("A B"), &id)
                    .into_iter()
                    .find(|c| !taken.contains(&c.key()));
                let chosen = chosen.expect("the full-id candidate is always free");
                prop_assert!(taken.insert(chosen.key()));
            }
        }
    }
}
