//! Which authors get a note (`vault.author_notes`): by default only those with at least
//! two papers in the vault, the ones a note links together; the rest stay plain text
//! with their Semantic Scholar link. An author note refnet made under another setting
//! is removed when nobody edited it, and kept (and kept current) when someone did.

use std::collections::{HashMap, HashSet};

use super::book::AuthorsByPaper;
use super::naming::Names;
use super::{RenderError, blocking};
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
    authors: &AuthorsByPaper,
) -> Result<HashSet<String>, RenderError> {
    let mut papers: HashMap<String, HashSet<String>> = HashMap::new();
    for (paper, list) in authors {
        for author in list.iter().filter_map(|(id, _)| id.as_ref()) {
            papers.entry(author.clone()).or_default().insert(paper.clone());
        }
    }
    let ids: Vec<String> = papers.keys().cloned().collect();
    if mode != AuthorNotes::All {
        for (author, paper) in store.noted_papers_of_authors(&ids).await? {
            papers.entry(author).or_default().insert(paper);
        }
    }
    let mut chosen = HashSet::new();
    let mut made_before = Vec::new();
    for (author, of) in papers {
        if mode.writes_note_for(of.len()) {
            chosen.insert(author);
        } else if let Some(row) = names.row(&NoteKey::author(author.as_str())) {
            made_before.push((author, row.path.clone(), row.content_hash.clone()));
        }
    }
    if made_before.is_empty() {
        return Ok(chosen);
    }
    // Reading the notes to compare is file work: off the runtime.
    let verdicts = blocking(vault, move |vault| {
        made_before
            .into_iter()
            .map(|(author, path, written)| {
                let gone = vault.remove_if_unchanged(&path, written.as_deref());
                (author, gone)
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let mut retired = Vec::new();
    for (author, gone) in verdicts {
        if gone? {
            retired.push(NoteKey::author(author.as_str()));
        } else {
            chosen.insert(author);
        }
    }
    store.forget_notes(&retired).await?;
    names.forget(&retired);
    Ok(chosen)
}
