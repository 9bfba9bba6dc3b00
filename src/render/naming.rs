//! Which file each note lives in. Names are claimed once in the store (unique
//! vault-wide, case-insensitively, through its unique index) and then frozen; a name a
//! user's own file already has is never taken.

use std::collections::{HashMap, HashSet};

use super::RenderError;
use crate::render::formats::person::surname;
use crate::store::{Claims, NoteRow, Store, now};
use crate::vault::Vault;
use crate::vault::write::{Moved, find_moved};
use crate::vault::{NoteKey, NoteName};

/// A note that needs a name: its key, its folder, and the names to try in order.
#[derive(Debug)]
pub struct Wanted<'a> {
    /// Which note.
    pub key: NoteKey,
    /// Folder in the vault.
    pub folder: &'static str,
    /// Names to try, best first.
    pub candidates: Candidates<'a>,
}

/// A wanted note's names to try: listed, or made each time they are tried (a
/// 100,000-paper crawl's would otherwise be half a million strings held at once), and
/// then only as far as the one tried: most notes take their first.
pub enum Candidates<'a> {
    /// Made already.
    Listed(Vec<NoteName>),
    /// Made on demand: the `k`th name to try, `None` past the last.
    Made(Box<dyn Fn(usize) -> Option<NoteName> + Send + Sync + 'a>),
}

impl Candidates<'_> {
    fn names(&self) -> impl Iterator<Item = NoteName> + '_ {
        (0..).map_while(move |k| match self {
            Self::Listed(list) => list.get(k).cloned(),
            Self::Made(make) => make(k),
        })
    }
}

impl From<Vec<NoteName>> for Candidates<'_> {
    fn from(list: Vec<NoteName>) -> Self {
        Self::Listed(list)
    }
}

impl std::fmt::Debug for Candidates<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Wanted notes as the store claims them: each one's candidates in its folder, the
/// names of the user's own files left out.
struct NoteClaims<'w, 'a> {
    wanted: &'w [Wanted<'a>],
    users: &'w HashSet<String>,
}

impl Claims for NoteClaims<'_, '_> {
    fn len(&self) -> usize {
        self.wanted.len()
    }

    fn key(&self, i: usize) -> String {
        self.wanted[i].key.to_string()
    }

    fn candidate(&self, i: usize, n: usize) -> Option<(String, String)> {
        let w = &self.wanted[i];
        let name = w.candidates.names().filter(|c| !self.users.contains(&c.key())).nth(n)?;
        Some((format!("{}/{name}.md", w.folder), name.key()))
    }
}

/// Every note refnet manages, by key.
#[derive(Debug, Default)]
pub struct Names {
    /// Boxed: a map's empty slots (up to half of them) then cost a pointer, not a row.
    /// Hashed with foldhash: every note of a render is looked up several times.
    rows: HashMap<NoteKey, Box<NoteState>, hashbrown::DefaultHashBuilder>,
    moved: std::sync::Arc<Moved>,
    /// Rows this render added, forgot or moved in the store: each counts as a write to
    /// what renders read (see `render::unchanged`).
    changes: u64,
    /// Whether a note wanted a name and found none free.
    unnamed: bool,
}

/// What a render keeps of a note's stored row: its key is the map's, and its name key
/// is its path's unless the user renamed the note. (The store's rows, a string per
/// field, were half as large again: 70 MiB for 133,000 notes.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteState {
    /// Vault-relative path with `/` separators.
    path: Box<str>,
    /// The claimed name's lower-cased key, when not the path's basename's.
    name_key: Option<Box<str>>,
    /// Hash of the content refnet last wrote.
    content_hash: Option<Box<str>>,
    /// Hash of what the note was last made from.
    inputs_hash: Option<Box<str>>,
    /// Size and modification time of its file when it last matched those inputs.
    file_stamp: Option<Box<str>>,
}

impl NoteState {
    /// A note just named, at `path` (its name key is its basename's), never written.
    fn claimed(path: String) -> Self {
        Self {
            path: path.into(),
            name_key: None,
            content_hash: None,
            inputs_hash: None,
            file_stamp: None,
        }
    }

    /// Vault-relative path with `/` separators.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Hash of the content refnet last wrote (none: it never wrote the note).
    pub fn content_hash(&self) -> Option<&str> {
        self.content_hash.as_deref()
    }

    /// The lower-cased name it holds in the store's unique index.
    fn name_key(&self) -> Option<String> {
        match &self.name_key {
            Some(key) => Some(key.to_string()),
            None => Names::name_at(&self.path).map(|n| n.key()),
        }
    }

    /// What was recorded when the note last matched its inputs.
    pub fn known(&self) -> Option<crate::vault::write::Known> {
        Some(crate::vault::write::Known {
            inputs: self.inputs_hash.as_deref()?.to_owned(),
            stamp: self.file_stamp.as_deref()?.to_owned(),
        })
    }
}

impl Names {
    /// Reads the note state.
    pub async fn load(store: &Store) -> Result<Self, RenderError> {
        let mut names = Self::default();
        let rows = store.notes().await?;
        names.rows.reserve(rows.len());
        for row in rows {
            names.insert(row);
        }
        Ok(names)
    }

    fn insert(&mut self, row: NoteRow) {
        let name_key = Self::name_at(&row.path).map(|n| n.key());
        let state = NoteState {
            // Stored apart only when it is not the path's (a note the user renamed).
            name_key: (name_key.as_deref() != Some(row.name_key.as_str())).then(|| row.name_key.into()),
            path: row.path.into(),
            content_hash: row.content_hash.map(Into::into),
            inputs_hash: row.inputs_hash.map(Into::into),
            file_stamp: row.file_stamp.map(Into::into),
        };
        self.rows.insert(row.note_key, Box::new(state));
    }

    /// The name of the note at `path` (its basename), when it is a note's.
    fn name_at(path: &str) -> Option<NoteName> {
        path.rsplit('/')
            .next()
            .and_then(|base| base.strip_suffix(".md"))
            .and_then(NoteName::from_stored)
    }

    /// The what's-new notes of a crawl, newest refresh first: (run, name).
    pub fn news_notes(&self, crawl_id: i64) -> Vec<(i64, NoteName)> {
        let mut out: Vec<(i64, NoteName)> = self
            .rows
            .iter()
            .filter_map(|(key, row)| match key {
                NoteKey::News { crawl, run } if *crawl == crawl_id => Some((*run, Self::name_at(&row.path)?)),
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
            .map(|r| r.path().to_owned())
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
    pub fn row(&self, key: &NoteKey) -> Option<&NoteState> {
        self.rows.get(key).map(AsRef::as_ref)
    }

    /// The note's name (its file's basename).
    pub fn name(&self, key: &NoteKey) -> Option<NoteName> {
        Self::name_at(&self.rows.get(key)?.path)
    }

    /// Drops notes refnet no longer keeps (and has forgotten in the store).
    pub fn forget(&mut self, keys: &[NoteKey]) {
        for key in keys {
            if self.rows.remove(key).is_some() {
                self.changes += 1;
            }
        }
    }

    /// Records that a note now lives at `path` (found moved).
    pub fn set_path(&mut self, key: &NoteKey, path: &str) {
        if let Some(row) = self.rows.get_mut(key)
            && &*row.path != path
        {
            // The claimed name stays the note's in the store's unique index.
            if row.name_key.is_none() {
                row.name_key = Self::name_at(&row.path).map(|n| n.key().into());
            }
            row.path = path.into();
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
    pub async fn claim(&mut self, store: &Store, vault: &Vault, wanted: Vec<Wanted<'_>>) -> Result<(), RenderError> {
        let missing: Vec<Wanted> = wanted.into_iter().filter(|w| !self.rows.contains_key(&w.key)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        // Names of files refnet does not manage are the user's.
        let ours: HashSet<String> = self.rows.values().filter_map(|r| r.name_key()).collect();
        let scan = vault.clone();
        let on_disk = tokio::task::spawn_blocking(move || scan.basenames())
            .await
            .map_err(|e| RenderError::Worker(e.to_string()))?;
        let users: HashSet<String> = on_disk.difference(&ours).cloned().collect();
        let claims = NoteClaims {
            wanted: &missing,
            users: &users,
        };
        // Room for every claim at once: grown as they came, the map was rehashed a dozen
        // times over at 100,000 papers.
        self.rows.reserve(missing.len());
        // Rows made from the claims themselves: the store's keys parsed back and each
        // name's key made again from its path were a sixth of claiming 133,000 names.
        for (i, path) in store.claim_notes(&claims, now()).await? {
            self.rows
                .insert(missing[i].key.clone(), Box::new(NoteState::claimed(path)));
            self.changes += 1;
        }
        self.unnamed |= missing.iter().any(|w| !self.rows.contains_key(&w.key));
        Ok(())
    }
}

/// Names for a paper note: the title, then with the year, then with the first author and
/// year, then with a short id, then with the whole id. Each is made only when the ones
/// before it were not enough.
pub fn paper_candidates<'a>(
    title: &str,
    year: Option<i64>,
    first_author: Option<&'a str>,
    paper_id: &'a str,
) -> impl Iterator<Item = NoteName> + 'a {
    let base = NoteName::from_title(title);
    (0..5).filter_map(move |k| match k {
        0 => Some(base.clone()),
        1 => year.map(|year| base.with_suffix(&year.to_string())),
        2 => year
            .zip(first_author)
            .map(|(year, author)| base.with_suffix(&format!("{} {year}", surname(author)))),
        3 => Some(base.with_suffix(&paper_id[..paper_id.len().min(8)])),
        _ => Some(base.with_suffix(paper_id)),
    })
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
    fn a_moved_note_keeps_its_claimed_name_key() {
        let mut names = Names::default();
        names.insert(NoteRow {
            note_key: NoteKey::paper("p1"),
            path: "refnet/papers/Deep Learning.md".to_owned(),
            name_key: "deep learning".to_owned(),
            content_hash: Some("ab".repeat(32)),
            inputs_hash: None,
            file_stamp: None,
        });
        let key = NoteKey::paper("p1");
        let row = names.row(&key).expect("a row");
        assert_eq!(row.name_key(), Some("deep learning".to_owned()));
        names.set_path(&key, "notes/Reading/My DL.md");
        let row = names.row(&key).expect("a row");
        assert_eq!(row.path(), "notes/Reading/My DL.md");
        assert_eq!(row.name_key(), Some("deep learning".to_owned()));
        assert_eq!(names.changes(), 1);
    }

    #[test]
    fn same_titled_papers_get_distinct_candidates_in_order() {
        let id = "a".repeat(40);
        let a: Vec<NoteName> = paper_candidates("Deep Learning", Some(2015), Some("Yann LeCun"), &id).collect();
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
                    .find(|c| !taken.contains(&c.key()));
                let chosen = chosen.expect("the full-id candidate is always free");
                prop_assert!(taken.insert(chosen.key()));
            }
        }
    }
}
