//! A note per author (who gets one is [`super::author_choice`]'s): the author's papers
//! that have notes, newest first, built a chunk of authors at a time while the last
//! chunk is written.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::book::{PaperBook, Titles};
use super::naming::Names;
use super::people::Authors;
use super::report::record;
use super::{CHUNK, RenderError, RenderReport, write_off};
use crate::context::Context;
use crate::render::notes::{LinkItem, author};
use crate::vault::write::NoteJob;
use crate::vault::{NoteKey, Vault};

/// A note per author of the crawl's papers, listing all their papers that have notes.
pub(super) async fn render_authors(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    book: &PaperBook,
    today: &str,
) -> Result<RenderReport, RenderError> {
    // Only authors with notes: most of a large crawl's authors have none, and their
    // papers would be read for nothing.
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    for (id, name) in book.authors.everyone() {
        if let Some(id) = id
            && !people.contains_key(id)
            && names.has(&NoteKey::author(id))
        {
            people.insert(id.to_owned(), name.to_owned());
        }
    }
    let people: Vec<(String, String)> = people.into_iter().collect();
    let in_book = noted_papers_in_book(book, names, &people);
    let in_book = in_book.as_ref();
    let mut report = RenderReport::default();
    // A chunk of authors at a time, their papers read with them: all authors' papers at
    // once were tens of megabytes at 100,000 papers. While a chunk's notes are written,
    // the next chunk's are read and built.
    let chunks: Vec<&[(String, String)]> = people.chunks(CHUNK).collect();
    let mut next = match chunks.first() {
        Some(chunk) => Some(author_jobs(ctx, names, book, in_book, chunk, today).await?),
        None => None,
    };
    for i in 0..chunks.len() {
        let Some(jobs) = next.take() else { break };
        let writing = write_off(vault, names, jobs, today);
        let named: &Names = names;
        let building = async {
            match chunks.get(i + 1) {
                Some(following) => author_jobs(ctx, named, book, in_book, following, today).await.map(Some),
                None => Ok(None),
            }
        };
        let (written, built) = tokio::join!(writing, building);
        next = built?;
        report.absorb(record(ctx, names, written?).await?);
    }
    Ok(report)
}

/// Each of `people`'s papers that have notes, read from the book, when every paper note
/// refnet keeps is one of the book's members (a vault of this crawl alone): then the book
/// knows them all, and the store need not be asked author by author. `None` otherwise.
fn noted_papers_in_book(
    book: &PaperBook,
    names: &Names,
    people: &[(String, String)],
) -> Option<HashMap<String, Vec<String>>> {
    let members = book.graph.member_ids();
    // A merged paper's note the user edited stays: it is not a member (the kept paper is).
    let is_member =
        |id: &str| book.graph.canonical(id) == id && book.graph.node(id).is_some_and(|n| (n as usize) < members.len());
    let all_members = names.keys().all(|key| match key {
        NoteKey::Paper(id) => is_member(id),
        _ => true,
    });
    if !all_members {
        return None;
    }
    let wanted: HashSet<&str> = people.iter().map(|(id, _)| id.as_str()).collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for paper in members {
        if !names.has(&NoteKey::paper(paper.as_str())) {
            continue;
        }
        for (author, _) in book.authors.of(paper) {
            let Some(author) = author.filter(|a| wanted.contains(a)) else {
                continue;
            };
            // An author's id is made a key once, not at each of their papers (half a
            // million places at 100,000 papers).
            match out.get_mut(author) {
                Some(papers) => papers.push(paper.clone()),
                None => {
                    out.insert(author.to_owned(), vec![paper.clone()]);
                }
            }
        }
    }
    for papers in out.values_mut() {
        papers.sort_unstable();
        papers.dedup();
    }
    Some(out)
}

/// The notes of a chunk of authors (S2 author id, name), ready to write; their papers
/// come from `in_book` when it has them (see [`noted_papers_in_book`]), else from the
/// store.
async fn author_jobs(
    ctx: &Context,
    names: &Names,
    book: &PaperBook,
    in_book: Option<&HashMap<String, Vec<String>>>,
    chunk: &[(String, String)],
    today: &str,
) -> Result<Vec<NoteJob>, RenderError> {
    let papers_of: HashMap<String, Vec<String>> = match in_book {
        Some(all) => chunk
            .iter()
            .filter_map(|(id, _)| Some((id.clone(), all.get(id)?.clone())))
            .collect(),
        None => {
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
            let mut papers_of: HashMap<String, Vec<String>> = HashMap::new();
            for (author, paper) in ctx.store.noted_papers_of_authors(&ids).await? {
                papers_of.entry(author).or_default().push(paper);
            }
            papers_of
        }
    };
    // Their papers from other crawls: the book has only this crawl's.
    let others: Vec<String> = papers_of
        .values()
        .flatten()
        .filter(|p| !book.authors.knows(p))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let other_titles = Titles::load(&ctx.store, &others).await?;
    let other_authors = Authors::load(&ctx.store, &others).await?;
    let mut jobs = Vec::with_capacity(chunk.len());
    for (author_id, name) in chunk {
        let key = NoteKey::author(author_id.as_str());
        let Some(row) = names.row(&key) else { continue };
        let papers = papers_of
            .get(author_id)
            .into_iter()
            .flatten()
            .map(|p| {
                let titles = if book.titles.knows(p) {
                    &book.titles
                } else {
                    &other_titles
                };
                LinkItem {
                    paper_id: p.clone(),
                    note: book
                        .noted
                        .get(p)
                        .cloned()
                        .or_else(|| names.name(&NoteKey::paper(p.as_str()))),
                    cite: book.cite(p).or_else(|| other_authors.cite(p, other_titles.year(p))),
                    title: titles.title(p),
                    year: titles.year(p),
                    influential: false,
                }
            })
            .collect();
        let input = author::AuthorInput {
            author_id: author_id.clone(),
            name: name.clone(),
            papers,
            updated: today.to_owned(),
        };
        jobs.push(NoteJob::from_fresh(
            key,
            row.path().to_owned(),
            author::author_fresh(&input),
            author::AUTHOR_KEYS,
            ("s2_author_id", author_id.clone()),
            row.known(),
        ));
    }
    Ok(jobs)
}
