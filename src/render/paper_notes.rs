//! Paper notes, a chunk at a time: gather what they are made from (a [`PaperBook`]),
//! build them on two threads while a third writes them, and record the outcome. A note
//! whose inputs are those it was last made from is neither built nor read.

use std::collections::HashMap;
use std::sync::Arc;

use super::bib_spool::BibSpool;
use super::book::{BibEntry, PaperBook, PlaceRows, Places, Rows};
use super::by_node::ByNode;
use super::naming::Names;
use super::people::Authors;
use super::report::record;
use super::titles::Titles;
use super::{CHUNK, RenderError, RenderReport, blocking, builders};
use crate::context::Context;
use crate::graph::CrawlGraph;
use crate::store::{PdfRow, Store, StoreError, StoredPaper, SummaryRow};
use crate::vault::write::{Known, Moved, NoteOutcome};
use crate::vault::{NoteKey, NoteName, Vault};

/// What was read for a book before the names were all known.
pub(super) struct Read {
    pub graph: CrawlGraph,
    pub titles: Titles,
    pub authors: Authors,
    pub citekeys: HashMap<String, String>,
    pub places: PlaceRows,
}

/// Gathers what the notes of the graph's members read.
pub(super) async fn book(store: &Store, names: &Names, read: Read, today: String) -> Result<PaperBook, StoreError> {
    let Read {
        graph,
        titles,
        authors,
        citekeys,
        places,
    } = read;
    let mut noted = ByNode::new(&graph);
    for (node, id) in (0u32..).zip(graph.ids()) {
        if let Some(name) = names.name(&NoteKey::paper(id.as_str())) {
            noted.set_at(node, name);
        }
    }
    // Papers outside the graph's members that have notes (from other crawls) are linked
    // with their "Author et al. Year" too.
    let outsiders: Vec<String> = graph
        .ids()
        .iter()
        .filter(|id| noted.get(id).is_some() && !authors.knows(id))
        .cloned()
        .collect();
    let outsiders = Authors::load(store, &outsiders).await?;
    let cites = super::links::cite_parts(&graph, &authors, &outsiders);
    let author_notes: HashMap<String, NoteName> = authors
        .everyone()
        .filter_map(|(id, _)| {
            let id = id?;
            Some((id.to_owned(), names.name(&NoteKey::author(id))?))
        })
        .collect();
    let places = Places::load(store, names, &titles, &graph, places).await?;
    let mut keys = ByNode::new(&graph);
    for (id, key) in citekeys {
        let _ = keys.set(&id, key.into_boxed_str());
    }
    let library = store.in_library(graph.member_ids()).await?;
    let mut book = PaperBook {
        graph,
        noted,
        titles,
        authors,
        outsiders,
        cites,
        noted_cites: ByNode::default(),
        author_notes,
        citekeys: keys,
        library,
        places,
        analysis: None,
        similar: Vec::new(),
        cluster_notes: HashMap::new(),
        today,
    };
    book.noted_cites = book.noted_cites();
    Ok(book)
}

/// The book of papers that already have notes and citekeys (from the crawls they belong
/// to), with every edge that touches them.
pub(super) async fn book_of(
    store: &Store,
    names: &Names,
    papers: &[String],
    today: String,
) -> Result<PaperBook, StoreError> {
    let as_members: Vec<(String, i64)> = papers.iter().map(|id| (id.clone(), 0)).collect();
    let graph = CrawlGraph::load_around(store, &as_members).await?;
    let authors = Authors::load(store, papers).await?;
    let titles = Titles::of_graph(store, &graph, None).await?;
    let citekeys: HashMap<String, String> = store.citekeys(papers).await?.into_iter().collect();
    let places = PlaceRows::read(store, &graph).await?;
    let read = Read {
        graph,
        titles,
        authors,
        citekeys,
        places,
    };
    book(store, names, read, today).await
}

/// Papers with notes that are not members of the book's graph but cite or are cited by
/// one: their notes list the members, so a render of these members may change them.
pub(super) fn noted_neighbours(book: &PaperBook, names: &Names) -> Vec<String> {
    let members = book.graph.member_ids().len();
    book.graph.ids()[members..]
        .iter()
        .filter(|id| names.has(&NoteKey::paper(id.as_str())))
        .cloned()
        .collect()
}

/// Builds and writes the notes of `ids` (members of the book's graph), a chunk at a time,
/// and records what became of them; their BibTeX entries go into `bib_entries`. While a
/// chunk is built and written, the next chunk's rows are read and the last chunk's
/// outcomes recorded: the store and the files are busy at the same time.
pub(super) async fn write(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    book: &Arc<PaperBook>,
    ids: &[String],
    bib_entries: &mut BibSpool,
) -> Result<RenderReport, RenderError> {
    let store = &ctx.store;
    let mut report = RenderReport::default();
    let progress = &ctx.counters.progress;
    progress.add_render_total(ids.len());
    let chunks: Vec<&[String]> = ids.chunks(CHUNK).collect();
    let mut next = match chunks.first() {
        Some(chunk) => Some(ChunkRows::read(store, chunk).await?),
        None => None,
    };
    let mut places = chunks.first().map(|chunk| NotePlaces::of(names, chunk));
    // The last chunk's outcomes, and how many papers it had.
    let mut pending: Option<(Vec<NoteOutcome>, usize)> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let (Some(read), Some(NotePlaces { paths, known })) = (next.take(), places.take()) else {
            break;
        };
        let (shared, moved) = (book.clone(), names.moved());
        let building = blocking(vault, move |v| {
            let rows = Rows {
                paths: &paths,
                known: &known,
                summaries: &read.summaries,
                pdfs: &read.pdfs,
                unresolved: &read.unresolved,
            };
            build_and_write(v, &shared, &read.papers, &rows, &moved)
        });
        let reading = async {
            match chunks.get(i + 1) {
                Some(following) => ChunkRows::read(store, following).await.map(Some),
                None => Ok(None),
            }
        };
        // The last chunk's outcomes are recorded, then the next chunk's places found, from
        // the names as they are then (the outcomes of the chunk being built are of other
        // papers' notes): both while the chunk is built, rather than between chunks.
        let last = pending.take();
        let recording = async {
            let recorded = match last {
                Some((outcomes, papers)) => Some((record(ctx, names, outcomes).await?, papers)),
                None => None,
            };
            let places = chunks.get(i + 1).map(|following| NotePlaces::of(names, following));
            Ok::<_, RenderError>((recorded, places))
        };
        let (built, read_next, recorded) = tokio::join!(building, reading, recording);
        let (recorded, next_places) = recorded?;
        places = next_places;
        if let Some((recorded, papers)) = recorded {
            report.absorb(recorded);
            progress.add_render_done(papers);
        }
        next = read_next?;
        let (outcomes, entries) = built??;
        for (id, entry) in entries {
            bib_entries.add(id, entry)?;
        }
        // The chunk's notes are freed here, and the next chunk's reuse their pages: given
        // back to the system after each chunk (0.3 s of purging at 100,000 papers), they
        // were only faulted in again (1 s of kernel time), for no lower peak.
        pending = Some((outcomes, chunk.len()));
    }
    if let Some((outcomes, papers)) = pending {
        report.absorb(record(ctx, names, outcomes).await?);
        progress.add_render_done(papers);
    }
    Ok(report)
}

/// Where a chunk's notes are and what they last matched, by paper id.
struct NotePlaces {
    paths: HashMap<String, String>,
    known: HashMap<String, Known>,
}

impl NotePlaces {
    fn of(names: &Names, chunk: &[String]) -> Self {
        let mut paths = HashMap::with_capacity(chunk.len());
        let mut known = HashMap::with_capacity(chunk.len());
        for id in chunk {
            if let Some(row) = names.row(&NoteKey::paper(id.as_str())) {
                paths.insert(id.clone(), row.path().to_owned());
                if let Some(k) = row.known() {
                    known.insert(id.clone(), k);
                }
            }
        }
        Self { paths, known }
    }
}

/// The rows a chunk of paper notes is built from, by paper id.
struct ChunkRows {
    papers: Vec<StoredPaper>,
    summaries: HashMap<String, SummaryRow>,
    pdfs: HashMap<String, PdfRow>,
    unresolved: HashMap<String, Vec<crate::store::UnresolvedRef>>,
}

impl ChunkRows {
    async fn read(store: &Store, chunk: &[String]) -> Result<Self, StoreError> {
        Ok(Self {
            papers: store.papers(chunk).await?,
            summaries: store
                .latest_summaries(chunk)
                .await?
                .into_iter()
                .map(|s| (s.paper_id.clone(), s))
                .collect(),
            pdfs: store
                .pdf_states(chunk)
                .await?
                .into_iter()
                .map(|p| (p.paper_id.clone(), p))
                .collect(),
            unresolved: store.unresolved_references(chunk).await?,
        })
    }
}

/// What a chunk of paper notes gave: each note's outcome, and the papers' BibTeX entries.
type Built = (Vec<NoteOutcome>, Vec<(String, BibEntry)>);

/// Builds and writes a chunk of paper notes ([`builders::build_and_write`]).
fn build_and_write(
    vault: &Vault,
    book: &PaperBook,
    papers: &[StoredPaper],
    rows: &Rows<'_>,
    moved: &Moved,
) -> Result<Built, RenderError> {
    let still = |known: &Known, path: &str, inputs: &str| known.still(vault, path, inputs);
    builders::build_and_write(vault, papers, &book.today, moved, |p| {
        let (work, entry) = book.job(p, rows, still)?;
        Some((work, entry.map(|e| (p.paper_id.clone(), e))))
    })
}
