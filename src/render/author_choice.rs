//! Which authors get a note (`vault.author_notes`): by default only those with at least
//! two papers in the vault, the ones a note links together; the rest stay plain text
//! with their Semantic Scholar link. An author note refnet made under another setting
//! is removed when nobody edited it, and kept (and kept current) when someone did.

use std::collections::{HashMap, HashSet};

use super::RenderError;
use super::naming::Names;
use super::people::Authors;
use super::retire::retire;
use crate::settings::AuthorNotes;
use crate::store::Store;
use crate::vault::{NoteKey, Vault};

/// The ids of the authors of a crawl's papers who get a note. Counts each author's
/// papers among `authors` (the crawl's) and the notes of earlier crawls; retires the
/// unedited notes of the others.
pub(super) async fn choose(
    store: &Store,
    vault: &Vault,
    names: &mut Names,
    mode: AuthorNotes,
    authors: &Authors,
) -> Result<HashSet<String>, RenderError> {
    // Ids borrowed from the authors and the rows read, not copied: a re-render of
    // 100,000 papers reads 250,000 (author, noted paper) pairs here.
    let mut papers: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (paper, list) in authors.by_paper() {
        for author in list.filter_map(|(id, _)| id) {
            papers.entry(author).or_default().insert(paper);
        }
    }
    let ids: Vec<String> = papers.keys().map(|id| (*id).to_owned()).collect();
    let noted = if mode == AuthorNotes::All {
        Vec::new()
    } else {
        store.noted_papers_of_authors(&ids).await?
    };
    drop(ids);
    for (author, paper) in &noted {
        if let Some(of) = papers.get_mut(author.as_str()) {
            of.insert(paper);
        }
    }
    let mut chosen = HashSet::new();
    let mut made_before = Vec::new();
    for (author, of) in papers {
        if mode.writes_note_for(of.len()) {
            chosen.insert(author.to_owned());
        } else {
            made_before.push(NoteKey::author(author));
        }
    }
    for kept in retire(store, vault, names, made_before).await? {
        if let NoteKey::Author(author) = kept {
            chosen.insert(author);
        }
    }
    Ok(chosen)
}
