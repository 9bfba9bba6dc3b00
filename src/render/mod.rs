//! The render stage: the store's view of a crawl → notes in the vault.
//!
//! One `render` job renders a whole crawl: a note per paper (`refnet/papers/`), a note
//! per author (`refnet/authors/`), an index note (`refnet/crawls/`), a JSON Canvas map
//! (`refnet/maps/`), and the vault's `refnet/references.bib`. Names are assigned once and
//! frozen in the store; a note the user moved is found again by its identity key (`s2_id`,
//! `s2_author_id`, `refnet_crawl`). Existing notes are merged, never replaced (see
//! [`merge`]), and a file whose text would not change is not written. Paper notes are
//! built and written in chunks so memory stays bounded on large crawls; file work runs off
//! the async runtime.

mod author_choice;
mod author_notes;
mod bib_spool;
mod book;
mod builders;
mod by_node;
mod clusters;
mod companions;
pub mod formats;
mod links;
mod merges;
pub mod naming;
pub mod notes;
pub mod obsidian;
mod paper_notes;
mod people;
mod report;
mod retire;
mod titles;
mod unchanged;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use tracing::{Instrument, debug};

use crate::context::Context;
use crate::graph::CrawlGraph;
use crate::graph::analysis::TextsFrom;
use crate::graph::labels::Texts;
use crate::store::{Claims, Crawl, Store, StoreError, now};
use crate::vault::folders::{AUTHORS_DIR, CRAWLS_DIR, PAPERS_DIR};
use crate::vault::write::{self, NoteJob};
use crate::vault::{NoteKey, Vault, VaultError};
use book::PlaceRows;
use formats::base::{self, PAPERS_BASE};
use formats::bib;
use naming::{Candidates, Names, Wanted};
use notes::index;
use people::Authors;
use report::record;
pub use report::{FileFate, FolderCounts, RenderReport};
use titles::Titles;

/// Paper notes built and written at a time.
const CHUNK: usize = 500;
/// Citekeys tried before falling back to the paper's id: the base, then `a` to `e`.
const CITEKEY_SUFFIXES: usize = 6;

/// What a render failed on.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The vault cannot be used.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The crawl is gone.
    #[error("crawl {0} does not exist: list crawls with `refnet crawls`")]
    NoCrawl(i64),
    /// The file worker died.
    #[error("rendering stopped unexpectedly: {0}")]
    Worker(String),
    /// BibTeX entries could not be kept in a temporary file.
    #[error(
        "cannot keep BibTeX entries in a temporary file in {}: {source} — set TMPDIR to a writable folder with space",
        .dir.display()
    )]
    Spool {
        /// The temporary folder.
        dir: std::path::PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl RenderError {
    /// Whether trying again later could help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Worker(_))
    }
}

/// Renders every note of a crawl, its map, and the vault's bibliography.
pub async fn render_crawl(ctx: &Context, crawl_id: i64) -> Result<RenderReport, RenderError> {
    let started = Instant::now();
    let store = &ctx.store;
    let vault = Vault::open(&ctx.settings.vault)?;
    let crawl = store.crawl(crawl_id).await?.ok_or(RenderError::NoCrawl(crawl_id))?;
    // Files made once, then the user's: counted, never part of what a render leaves
    // (Obsidian rewrites its own settings at will).
    let mut setup = RenderReport::default();
    if blocking(&vault, obsidian::prepare_new_vault).await?? {
        for path in obsidian::FILES {
            setup.count(path, FileFate::Created);
        }
    }
    // The Bases file over the paper notes: written once, the user's after that.
    let create_base = |v: &Vault| -> Result<bool, VaultError> {
        if v.exists(PAPERS_BASE) {
            return Ok(false);
        }
        v.create(PAPERS_BASE, &base::papers_base()).map(|c| c.created())
    };
    if blocking(&vault, create_base).await?? {
        setup.count(PAPERS_BASE, FileFate::Created);
    }
    if let Some(mut nothing_to_do) = unchanged::check(ctx, &vault, crawl_id).await? {
        nothing_to_do.absorb(setup);
        nothing_to_do.nothing_changed = true;
        debug!(crawl_id, elapsed = ?started.elapsed(), files = nothing_to_do.files(), "render: nothing changed since the last");
        return Ok(nothing_to_do);
    }
    store.forget_render_mark(crawl_id).await?;
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: vault and store checked");
    let mut report = RenderReport::default();
    let today = chrono::Utc::now().date_naive().to_string();

    // The crawl's graph (one node per work) and its metrics. The graph is read, on a
    // task of its own, while the merges among the members are found: merges do not
    // change who the members are, and most renders find none new. When some are found,
    // the graph is read again, with them.
    let reading = tokio::spawn({
        let store = store.clone();
        async move { CrawlGraph::load(&store, crawl_id).await }.instrument(tracing::Span::current())
    });
    let found = merges::detect(store, crawl_id).await;
    let mut graph = reading.await.map_err(|e| RenderError::Worker(e.to_string()))??;
    if found? > 0 {
        drop(graph);
        graph = CrawlGraph::load(store, crawl_id).await?;
    }
    let graph = Arc::new(graph);
    // Read after the merges, which count as input writes.
    let generation = store.input_generation().await?;
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: merges detected, edges read");
    let crawl = with_kept_seeds(crawl, &graph);
    let member_ids = graph.member_ids();
    // The index note's counts; its citations are those between the works the notes
    // link (a merged paper's edges are its work's, once each).
    let edges = i64::try_from(graph.member_edges().count()).unwrap_or(i64::MAX);
    // PageRank serves both the metrics and the analysis; computed while the database
    // counts the rest.
    let ranking = {
        let graph = Arc::clone(&graph);
        tokio::task::spawn_blocking(move || {
            let pagerank: Arc<[f64]> = graph.pagerank().into();
            let metrics = graph.metrics(crawl_id, &pagerank);
            (pagerank, metrics)
        })
    };
    let (stats, ranked) = tokio::join!(store.crawl_counts(crawl_id, edges), ranking);
    let (stats, (pagerank, metrics)) = (stats?, ranked.map_err(|e| RenderError::Worker(e.to_string()))?);
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: metrics computed");
    store.save_metrics(crawl_id, &metrics).await?;
    // The analysis (its own reads, the graph work, its write) runs beside the reading
    // of authors, titles and names, which do not need it. Started any sooner (before the
    // metrics' write), it was 1 s sooner, but its working memory met the reading's and
    // took the render's peak from 258 to 271-288 MiB. Its write is on the render's path
    // (0.9 s at 100,000 papers): stored beside the paper notes instead, it took as much
    // from them as it gave back (BENCHMARKS.md, Render, 2026-12-03 morning).
    // When the crawl must be analysed again, its texts are read here with the titles,
    // which read the same rows (reading them twice was 1 s of the database's time at
    // 100,000 papers).
    let (texts_from, texts_wanted, give_texts) = TextsFrom::caller();
    let analysing = tokio::spawn({
        let (store, graph) = (store.clone(), Arc::clone(&graph));
        async move { crate::graph::analysis::refresh_by_node(&store, crawl_id, &graph, &pagerank, texts_from).await }
            .instrument(tracing::Span::current())
    });

    // Names and citekeys, claimed once and frozen.
    let authors = Authors::load(store, member_ids).await?;
    let mut texts = texts_wanted
        .await
        .unwrap_or(false)
        .then(|| Texts::new(member_ids.len()));
    let titles = Titles::of_graph(store, &graph, texts.as_mut()).await?;
    if let Some(texts) = texts {
        // Not taken: the analysis has stopped, and its error is met below.
        let _ = give_texts.send(texts);
    }
    crate::memory::give_back();
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: authors and titles read");
    let mut names = Names::load(store).await?;
    merges::retire_notes(store, &vault, &mut names, &graph).await?;
    let with_notes =
        author_choice::choose(store, &vault, &mut names, ctx.settings.notes.author_notes, &authors).await?;
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: note names read, authors with notes chosen");
    let first = crawl.seed().map(|s| titles.title(s.as_str())).unwrap_or_default();
    let seed_title = index::seeds_title(&first, crawl.seeds.len());
    let news_plan = companions::NewsPlan::of(store, &crawl, &seed_title).await?;
    // Citekeys are claimed while the analysis runs (they do not need it). Names wait for
    // it: claimed beside it too, their candidates and the analysis's working memory took
    // the render's peak from 250 to 300 MB (tried again with candidates made lazily and
    // no rows read back: 278 and 334 MiB, for 1-3 s).
    let citekeys = ensure_citekeys(store, member_ids, &titles, &authors).await?;
    crate::memory::give_back();
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: citekeys ready");
    let refreshed = analysing.await.map_err(|e| RenderError::Worker(e.to_string()))??;
    let mut analysis = refreshed.analysis;
    let similar = book::similar_by_node(&graph, &mut analysis, refreshed.similar_by_node);
    // Each phase frees what it read to build its part (rows, edges, candidates) under
    // what it keeps: those pages go back between phases.
    crate::memory::give_back();
    debug!(crawl_id, elapsed = ?started.elapsed(), runs = analysis.runs, "render: analysis ready");
    let mut wanted = wanted_names(&crawl, &seed_title, member_ids, &titles, &authors, &with_notes, &names);
    if let Some(plan) = &news_plan
        && !names.has(&plan.key)
    {
        wanted.push(plan.wanted());
    }
    wanted.extend(clusters::wanted(crawl_id, &analysis, &names));
    // The members' places are read while the names are claimed: the claims keep one
    // core busy, in the database's writer.
    let (claimed, places) = tokio::join!(
        names.claim(store, &vault, wanted),
        PlaceRows::besides(store, &graph, &metrics)
    );
    let places = places?;
    claimed?;
    crate::memory::give_back();
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: new names claimed");
    names.find_moved(&vault).await?;
    clusters::read_labels(store, &vault, &names, crawl_id, &mut analysis).await?;
    clusters::retire_vanished(store, &vault, &mut names, crawl_id, &analysis).await?;
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: names ready");

    // Paper notes, a chunk at a time, built and written off the runtime. The analysis
    // is done: the graph is this render's alone again.
    let graph = Arc::try_unwrap(graph).unwrap_or_else(|shared| (*shared).clone());
    let mut book = paper_notes::book(
        store,
        &names,
        paper_notes::Read {
            graph,
            titles,
            authors,
            citekeys,
            places,
        },
        today.clone(),
    )
    .await?;
    book.cluster_notes = clusters::notes_of(crawl_id, &analysis, &names);
    book.set_analysis(crawl_id, analysis, similar);
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: paper book gathered");
    let book = Arc::new(book);
    let mut bib_entries = bib_spool::BibSpool::new()?;
    let members = book.graph.member_ids();
    bib_entries.reserve(members.len());
    report.absorb(paper_notes::write(ctx, &vault, &mut names, &book, members, &mut bib_entries).await?);
    crate::memory::give_back();
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: paper notes written");
    // Notes of other crawls' papers that this crawl cites or is cited by: their lists
    // of references and citing papers may have grown.
    let neighbours = paper_notes::noted_neighbours(&book, &names);
    if !neighbours.is_empty() {
        let theirs = Arc::new(paper_notes::book_of(store, &names, &neighbours, today.clone()).await?);
        report.absorb(paper_notes::write(ctx, &vault, &mut names, &theirs, &neighbours, &mut bib_entries).await?);
        debug!(crawl_id, elapsed = ?started.elapsed(), notes = neighbours.len(), "render: neighbouring notes written");
    }

    report.absorb(author_notes::render_authors(ctx, &vault, &mut names, &book, &today).await?);
    crate::memory::give_back();
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: author notes written");
    let index_note = (
        names.name(&NoteKey::Index(crawl_id)),
        index::index_title(crawl_id, &seed_title),
    );
    report.absorb(clusters::render(ctx, &vault, &mut names, &book, index_note, &today).await?);
    let about = companions::Index {
        crawl: &crawl,
        seed_title: &seed_title,
        stats,
        metrics: &metrics,
    };
    report.absorb(companions::render_index(ctx, &vault, &mut names, about, &book, &today).await?);
    if let Some(plan) = &news_plan {
        report.absorb(companions::render_news(ctx, &vault, &mut names, plan, &book, &today).await?);
    }
    report
        .absorb(companions::render_map(&vault, &names, &crawl, &book, &metrics, ctx.settings.notes.map_papers).await?);
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: index and map written");
    // What the notes were made from is not needed for the bibliography.
    drop(book);
    crate::memory::give_back();
    report.absorb(companions::render_bibliography(ctx, &vault, bib_entries).await?);
    unchanged::remember(ctx, &vault, crawl_id, generation, &names, &report).await?;
    report.absorb(setup);
    debug!(crawl_id, elapsed = ?started.elapsed(), written = report.written(), "render: done");
    Ok(report)
}

/// The crawl with each seed merged into another paper replaced by the paper kept.
fn with_kept_seeds(mut crawl: Crawl, graph: &CrawlGraph) -> Crawl {
    for seed in &mut crawl.seeds {
        if let Ok(kept) = graph.canonical(seed.as_str()).parse::<crate::ids::S2Id>() {
            *seed = kept;
        }
    }
    crawl.seeds.dedup();
    crawl
}

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    vault: &Vault,
    f: impl FnOnce(&Vault) -> T + Send + 'static,
) -> Result<T, RenderError> {
    let vault = vault.clone();
    tokio::task::spawn_blocking(move || f(&vault))
        .await
        .map_err(|e| RenderError::Worker(e.to_string()))
}

/// The names every note of this crawl still needs: papers, their authors, the index
/// (candidates are made only for notes without a name: names are frozen once given).
fn wanted_names<'a>(
    crawl: &Crawl,
    seed_title: &str,
    members: &'a [String],
    titles: &'a Titles,
    authors: &'a Authors,
    with_notes: &HashSet<String>,
    names: &Names,
) -> Vec<Wanted<'a>> {
    let mut wanted: Vec<Wanted<'a>> = members
        .iter()
        .filter(|id| !names.has(&NoteKey::paper(id.as_str())))
        .map(|id| Wanted {
            key: NoteKey::paper(id.as_str()),
            folder: PAPERS_DIR,
            candidates: Candidates::Made(Box::new(move |k| {
                let first = authors.first_name(id);
                naming::paper_candidates(&titles.title(id), titles.year(id), first, id).nth(k)
            })),
        })
        .collect();
    let mut seen = HashSet::new();
    for id in members {
        for (author_id, name) in authors.of(id) {
            if let Some(aid) = author_id
                && with_notes.contains(aid)
                && seen.insert(aid)
                && !names.has(&NoteKey::author(aid))
            {
                wanted.push(Wanted {
                    key: NoteKey::author(aid),
                    folder: AUTHORS_DIR,
                    candidates: Candidates::Made(Box::new(move |k| {
                        naming::author_candidates(name, aid).into_iter().nth(k)
                    })),
                });
            }
        }
    }
    if !names.has(&NoteKey::Index(crawl.crawl_id)) {
        wanted.push(Wanted {
            key: NoteKey::Index(crawl.crawl_id),
            folder: CRAWLS_DIR,
            candidates: naming::index_candidates(&index::index_title(crawl.crawl_id, seed_title), crawl.crawl_id)
                .into(),
        });
    }
    wanted
}

/// Frozen citekeys of the members, assigning the missing ones.
async fn ensure_citekeys(
    store: &Store,
    members: &[String],
    titles: &Titles,
    authors: &Authors,
) -> Result<HashMap<String, String>, StoreError> {
    let mut keys: HashMap<String, String> = store.citekeys(members).await?.into_iter().collect();
    let missing = CitekeyClaims {
        ids: members.iter().filter(|id| !keys.contains_key(*id)).collect(),
        titles,
        authors,
    };
    if !missing.ids.is_empty() {
        keys.reserve(missing.ids.len());
        keys.extend(store.claim_citekeys(&missing, now()).await?);
    }
    Ok(keys)
}

/// Papers that need a citekey, as the store claims them: each one's candidates made when
/// tried (eight strings a paper, at 100,000 papers, would all be held at once).
struct CitekeyClaims<'a> {
    ids: Vec<&'a String>,
    titles: &'a Titles,
    authors: &'a Authors,
}

impl Claims for CitekeyClaims<'_> {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn key(&self, i: usize) -> String {
        self.ids[i].clone()
    }

    fn candidate(&self, i: usize, n: usize) -> Option<(String, String)> {
        let id = self.ids[i].as_str();
        let first = self.authors.first_name(id);
        let base = bib::base_citekey(first, &self.titles.title(id), self.titles.year(id));
        // Better BibTeX's a, b, c… suffixes for the rare clashes, then the paper's id,
        // which no other paper has (its first 8 characters, then all of it when longer).
        // Made only as far as the one tried: most papers take their first.
        let short = &id[..id.len().min(8)];
        let key = bib::citekey_candidates(&base)
            .take(CITEKEY_SUFFIXES)
            .chain(std::iter::once_with(|| format!("{base}{short}")))
            .chain(std::iter::once_with(|| format!("{base}{id}")).filter(|_| id.len() > 8))
            .nth(n)?;
        let lower = key.to_lowercase();
        Some((key, lower))
    }
}

/// Writes notes off the runtime and records what was written.
async fn write_jobs(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    jobs: Vec<NoteJob>,
    today: &str,
) -> Result<RenderReport, RenderError> {
    let outcomes = write_off(vault, names, jobs, today).await?;
    record(ctx, names, outcomes).await
}

/// Writes notes off the runtime; what became of them is for [`record`] to keep.
fn write_off(
    vault: &Vault,
    names: &Names,
    jobs: Vec<NoteJob>,
    today: &str,
) -> impl Future<Output = Result<Vec<write::NoteOutcome>, RenderError>> + use<> {
    let (today, moved, vault) = (today.to_owned(), names.moved(), vault.clone());
    async move { blocking(&vault, move |v| write::write_notes(v, &jobs, &today, &moved)).await }
}
