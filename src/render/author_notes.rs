//! A note per author (who gets one is [`super::author_choice`]'s): the author's papers
//! that have notes, newest first, built and written a chunk of authors at a time, as
//! paper notes are.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::book::{PaperBook, Work};
use super::naming::Names;
use super::people::Authors;
use super::report::record;
use super::titles::Titles;
use super::{CHUNK, RenderError, RenderReport, builders};
use crate::context::Context;
use crate::render::notes::{LinkItem, author};
use crate::vault::write::{Known, Moved, NoteJob, NoteOutcome};
use crate::vault::{NoteKey, NoteName, Vault};

/// A note per author of the crawl's papers, listing all their papers that have notes.
pub(super) async fn render_authors(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    book: &Arc<PaperBook>,
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
    // once were tens of megabytes at 100,000 papers. While a chunk's notes are built and
    // written (off the runtime, as paper notes are), the next chunk's papers are read
    // and the last chunk's outcomes recorded.
    let chunks: Vec<&[(String, String)]> = people.chunks(CHUNK).collect();
    let mut next = match chunks.first() {
        Some(chunk) => Some(ChunkPapers::read(ctx, book, in_book, chunk).await?),
        None => None,
    };
    let mut pending: Option<Vec<NoteOutcome>> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let Some(papers) = next.take() else { break };
        // Where the chunk's notes are, from the names as they are now (the outcomes
        // recorded meanwhile are of other authors' notes).
        let notes = ChunkNotes::of(names, book, chunk, papers);
        let (shared, moved, day) = (Arc::clone(book), names.moved(), today.to_owned());
        let building = super::blocking(vault, move |v| notes.build_and_write(v, &shared, &moved, &day));
        let reading = async {
            match chunks.get(i + 1) {
                Some(following) => ChunkPapers::read(ctx, book, in_book, following).await.map(Some),
                None => Ok(None),
            }
        };
        let last = pending.take();
        let recording = async {
            match last {
                Some(outcomes) => record(ctx, names, outcomes).await.map(Some),
                None => Ok(None),
            }
        };
        let (built, read_next, recorded) = tokio::join!(building, reading, recording);
        if let Some(recorded) = recorded? {
            report.absorb(recorded);
        }
        next = read_next?;
        pending = Some(built??);
    }
    if let Some(outcomes) = pending {
        report.absorb(record(ctx, names, outcomes).await?);
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

/// The papers of a chunk of authors (by S2 author id) and, for those from other crawls,
/// their titles and authors: the book has only this crawl's.
struct ChunkPapers {
    papers_of: HashMap<String, Vec<String>>,
    other_titles: Titles,
    other_authors: Authors,
}

impl ChunkPapers {
    /// The papers of `chunk`'s authors come from `in_book` when it has them (see
    /// [`noted_papers_in_book`]), else from the store.
    async fn read(
        ctx: &Context,
        book: &PaperBook,
        in_book: Option<&HashMap<String, Vec<String>>>,
        chunk: &[(String, String)],
    ) -> Result<Self, RenderError> {
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
        let others: Vec<String> = papers_of
            .values()
            .flatten()
            .filter(|p| !book.authors.knows(p))
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        Ok(Self {
            other_titles: Titles::load(&ctx.store, &others).await?,
            other_authors: Authors::load(&ctx.store, &others).await?,
            papers_of,
        })
    }
}

/// An author with a note: S2 author id, name, the note's path and what it last matched.
struct AuthorNote {
    id: String,
    name: String,
    path: String,
    known: Option<Known>,
}

/// A chunk of author notes with all they are built from that is not in the book: owned,
/// so that they are built off the runtime.
struct ChunkNotes {
    authors: Vec<AuthorNote>,
    papers: ChunkPapers,
    /// Names of the notes of their papers that the book does not name (other crawls').
    outside: HashMap<String, NoteName>,
}

impl ChunkNotes {
    fn of(names: &Names, book: &PaperBook, chunk: &[(String, String)], papers: ChunkPapers) -> Self {
        let authors = chunk
            .iter()
            .filter_map(|(id, name)| {
                let row = names.row(&NoteKey::author(id.as_str()))?;
                Some(AuthorNote {
                    id: id.clone(),
                    name: name.clone(),
                    path: row.path().to_owned(),
                    known: row.known(),
                })
            })
            .collect();
        let outside = papers
            .papers_of
            .values()
            .flatten()
            .filter(|p| book.noted.get(p).is_none())
            .filter_map(|p| Some((p.clone(), names.name(&NoteKey::paper(p.as_str()))?)))
            .collect();
        Self {
            authors,
            papers,
            outside,
        }
    }

    /// Builds the chunk's notes and writes them (a note whose rendering is the one last
    /// written, into a file nobody touched, is left unread).
    fn build_and_write(
        &self,
        vault: &Vault,
        book: &PaperBook,
        moved: &Moved,
        today: &str,
    ) -> Result<Vec<NoteOutcome>, RenderError> {
        let built = builders::build_and_write(vault, &self.authors, today, moved, |note| {
            Some((self.work(vault, book, note, today), None::<()>))
        });
        Ok(built?.0)
    }

    /// One author's note.
    fn work(&self, vault: &Vault, book: &PaperBook, note: &AuthorNote, today: &str) -> Work {
        let AuthorNote {
            id: author_id,
            name,
            path,
            known,
        } = note;
        let ChunkPapers {
            papers_of,
            other_titles,
            other_authors,
        } = &self.papers;
        let papers = papers_of
            .get(author_id.as_str())
            .into_iter()
            .flatten()
            .map(|p| {
                let titles = if book.titles.knows(p) {
                    &book.titles
                } else {
                    other_titles
                };
                LinkItem {
                    paper_id: p.clone(),
                    note: book.noted.get(p).or_else(|| self.outside.get(p)).cloned(),
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
        let key = NoteKey::author(author_id.as_str());
        let mut job = NoteJob::from_fresh(
            key,
            path.clone(),
            author::author_fresh(&input),
            author::AUTHOR_KEYS,
            ("s2_author_id", author_id.clone()),
            known.clone(),
        );
        if let Some(known) = known.as_ref().filter(|k| k.still(vault, path, &job.inputs)) {
            return Work::Unchanged(NoteOutcome::unchanged(job.key, job.path, known));
        }
        // A note never written (or whose record is gone) is most likely missing: its
        // text is made here, on a builder thread, rather than by the writer.
        if job.known.is_none() {
            job.prepare_new(today);
        }
        Work::Write(job)
    }
}
