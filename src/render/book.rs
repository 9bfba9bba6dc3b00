//! What paper notes are built from, gathered once per render ([`PaperBook`]), and the
//! building itself: pure CPU work, run on blocking threads a chunk at a time.

use std::collections::HashMap;
use std::sync::Arc;

use crate::graph::CrawlGraph;
use crate::graph::analysis::SimilarByNode;
use crate::ids::S2Id;
use crate::render::by_node::ByNode;
use crate::render::formats::bib;
use crate::render::naming::Names;
use crate::render::notes::paper::{self, AuthorLink, CrawlPlace, PaperInput, Score, Standing};
use crate::render::notes::{self, index};
use crate::render::people::Authors;
use crate::render::titles::Titles;
use crate::store::{CrawlAnalysis, PdfRow, Store, StoreError, StoredPaper, SummaryRow, UnresolvedRef};
use crate::vault::folders::ATTACHMENTS_DIR;
use crate::vault::inputs::inputs_hash;
use crate::vault::write::{Known, NoteJob, NoteOutcome};
use crate::vault::{NoteKey, NoteName};

/// Where a graph node's "Author et al. Year" comes from: the table its authors are in
/// (the members' or the outsiders'), its first two authors' places there, and how many
/// it has (none: its authors were not read). Found once per node instead of by paper id
/// for each of the two million links of a 100,000-paper render.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::render) struct CiteParts {
    pub(super) outsider: bool,
    pub(super) first: u32,
    pub(super) second: u32,
    pub(super) count: u32,
}

/// Each member's place in every crawl it belongs to: small rows per member, and each
/// crawl's index note and label once (not copied into every member's rows: at 100,000
/// members that was a third of the book).
#[derive(Debug, Default)]
pub(super) struct Places {
    /// Each member's metrics, one row per crawl.
    rows: ByNode<Box<[PlaceRow]>>,
    /// Each crawl's index note, label and size.
    crawls: HashMap<i64, (Option<NoteName>, String, i64)>,
}

/// A member's metrics in one crawl.
#[derive(Debug, Clone, Copy)]
struct PlaceRow {
    crawl: i64,
    depth: i64,
    cited: i64,
    cites: i64,
    rank: i64,
    pagerank: f64,
}

/// The metrics of a graph's members in every crawl, by node, gathered apart from the
/// names [`Places`] are made with: read while the names are claimed, the read is off a
/// render's path.
#[derive(Debug, Default)]
pub(super) struct PlaceRows(Vec<(u32, PlaceRow)>);

impl PlaceRows {
    /// Reads the stored metrics of the graph's members.
    pub(super) async fn read(store: &Store, graph: &CrawlGraph) -> Result<Self, StoreError> {
        let rows = store.metrics_of(graph.member_ids()).await?;
        Ok(Self::of(graph, &rows))
    }

    /// The members' metrics in the crawl whose `metrics` a render has just computed (and
    /// stored), with those in other crawls read.
    pub(super) async fn besides(
        store: &Store,
        graph: &CrawlGraph,
        metrics: &[crate::store::MetricRow],
    ) -> Result<Self, StoreError> {
        let Some(crawl_id) = metrics.first().map(|m| m.crawl_id) else {
            return Self::read(store, graph).await;
        };
        let others = store.metrics_besides(graph.member_ids(), crawl_id).await?;
        let Self(mut rows) = Self::of(graph, metrics);
        rows.extend(Self::of(graph, &others).0);
        Ok(Self(rows))
    }

    fn of(graph: &CrawlGraph, rows: &[crate::store::MetricRow]) -> Self {
        let index = graph.id_index();
        Self(
            rows.iter()
                // Every member is a node.
                .filter_map(|m| {
                    let row = PlaceRow {
                        crawl: m.crawl_id,
                        depth: m.depth,
                        cited: m.cited_in_crawl,
                        cites: m.cites_in_crawl,
                        rank: m.pagerank_rank,
                        pagerank: m.pagerank,
                    };
                    Some((index.get(&m.paper_id)?, row))
                })
                .collect(),
        )
    }
}

impl Places {
    /// The places of the members whose metrics are `read`, each crawl named as the
    /// crawls and `names` are now.
    pub(super) async fn load(
        store: &Store,
        names: &Names,
        titles: &Titles,
        graph: &CrawlGraph,
        read: PlaceRows,
    ) -> Result<Self, StoreError> {
        let sizes: HashMap<i64, i64> = store.metric_sizes().await?.into_iter().collect();
        let stored = store.crawls().await?;
        let unknown: Vec<String> = stored
            .iter()
            .filter_map(|c| c.seed().map(ToString::to_string))
            .filter(|s| !titles.knows(s))
            .collect();
        let seed_titles = Titles::load(store, &unknown).await?;
        // Each crawl named as before: by its seeds' title, index note and size; a crawl
        // whose metrics outlived it, by the title of no seed.
        let place = |crawl_id: i64, seed: &str, seeds: usize| {
            let first = if titles.knows(seed) {
                titles.title(seed)
            } else {
                seed_titles.title(seed)
            };
            (
                names.name(&NoteKey::Index(crawl_id)),
                index::index_title(crawl_id, &index::seeds_title(&first, seeds)),
                sizes.get(&crawl_id).copied().unwrap_or(0),
            )
        };
        let mut crawls: HashMap<i64, (Option<NoteName>, String, i64)> = stored
            .iter()
            .map(|c| {
                let seed = c.seed().map(S2Id::as_str).unwrap_or("");
                (c.crawl_id, place(c.crawl_id, seed, c.seeds.len()))
            })
            .collect();
        // Grouped by node from one sorted list: a vector per paper had room for four rows
        // where nearly all hold one (19 MB at 100,000 papers).
        let PlaceRows(mut flat) = read;
        for (_, row) in &flat {
            crawls.entry(row.crawl).or_insert_with(|| place(row.crawl, "", 1));
        }
        // Each paper's rows in the order of its crawls.
        flat.sort_unstable_by_key(|(node, row)| (*node, row.crawl));
        let mut rows = ByNode::new(graph);
        for group in flat.chunk_by(|a, b| a.0 == b.0) {
            let list: Box<[PlaceRow]> = group.iter().map(|(_, row)| *row).collect();
            rows.set_at(group[0].0, list);
        }
        Ok(Self { rows, crawls })
    }

    /// The member's places, one per crawl, as its note shows them.
    fn of(&self, id: &str) -> Vec<CrawlPlace> {
        let Some(rows) = self.rows.get(id) else {
            return Vec::new();
        };
        rows.iter()
            .map(|r| {
                // Every crawl of a row was named when the rows were read.
                let (index, label, of) = self.crawls.get(&r.crawl).cloned().unwrap_or_default();
                CrawlPlace {
                    index,
                    label,
                    depth: r.depth,
                    cited: r.cited,
                    cites: r.cites,
                    rank: r.rank,
                    of,
                }
            })
            .collect()
    }

    /// The member's lowest-numbered crawl, with its PageRank and in-crawl citations
    /// there: the crawl whose analysis its note shows.
    fn first(&self, id: &str) -> Option<(i64, f64, i64)> {
        let r = self.rows.get(id)?.iter().min_by_key(|r| r.crawl)?;
        Some((r.crawl, r.pagerank, r.cited))
    }
}

/// Takes the analysis's lists of similar papers out, by node: as maps of paper ids to
/// lists of ids they were 50 MB at 100,000 papers, held while the rest of the book was
/// read. Called as soon as the analysis is ready. `computed`: the same lists by node,
/// when the analysis was computed now ([`crate::graph::analysis::Refreshed`]); the ids
/// are found in the graph only for an analysis read back.
pub(super) fn similar_by_node(
    graph: &CrawlGraph,
    analysis: &mut CrawlAnalysis,
    computed: Option<SimilarByNode>,
) -> SimilarByNode {
    let by_id = std::mem::take(&mut analysis.similar);
    if let Some(computed) = computed {
        return computed;
    }
    let mut similar: SimilarByNode = vec![Box::default(); graph.member_ids().len()];
    for (id, list) in by_id {
        let Some(slot) = graph.node(&id).and_then(|n| similar.get_mut(n as usize)) else {
            continue;
        };
        *slot = list
            .iter()
            .filter_map(|(other, score)| Some((graph.node(other)?, *score)))
            .collect();
    }
    similar
}

/// Everything paper notes are built from, read-only once gathered.
#[derive(Debug)]
pub(super) struct PaperBook {
    /// The crawl's graph.
    pub graph: CrawlGraph,
    /// The names of the graph's papers that have notes (any crawl's).
    pub noted: ByNode<NoteName>,
    /// Titles and years of every paper in the graph.
    pub titles: Titles,
    /// Authors of the members.
    pub authors: Authors,
    /// Authors of the graph's other papers that have notes (their links show "Author et
    /// al. Year" too).
    pub outsiders: Authors,
    /// Where each node's "Author et al." comes from, by node.
    pub(super) cites: Vec<CiteParts>,
    /// "Author et al. Year" of each node with a note, made once (see
    /// [`PaperBook::noted_cites`]).
    pub(super) noted_cites: ByNode<Box<str>>,
    /// Author notes by S2 author id.
    pub author_notes: HashMap<String, NoteName>,
    /// The members' frozen citekeys.
    pub citekeys: ByNode<Box<str>>,
    /// Members in the user's library.
    pub library: std::collections::HashSet<String>,
    /// Members' places in their crawls.
    pub places: Places,
    /// The analysis of the crawl being rendered (`None` for notes of other crawls' papers),
    /// its lists of similar papers moved to `similar` (see [`PaperBook::set_analysis`]).
    pub analysis: Option<(i64, Arc<CrawlAnalysis>)>,
    /// Each member's most similar members, by node.
    pub(super) similar: SimilarByNode,
    /// Cluster notes of that crawl, by cluster id.
    pub cluster_notes: HashMap<i64, NoteName>,
    /// The date for `refnet_updated`.
    pub today: String,
}

impl PaperBook {
    /// Keeps the analysis of the crawl being rendered, its lists of similar papers taken
    /// out by [`similar_by_node`].
    pub(super) fn set_analysis(&mut self, crawl_id: i64, analysis: CrawlAnalysis, similar: SimilarByNode) {
        self.similar = similar;
        self.analysis = Some((crawl_id, Arc::new(analysis)));
    }

    /// What the crawl's analysis says of a member, when this crawl is the lowest-numbered
    /// one it belongs to (the others leave those properties as they are).
    fn standing(&self, id: &str) -> Option<Standing> {
        let (crawl_id, analysis) = self.analysis.as_ref()?;
        let (first, pagerank, cited) = self.places.first(id)?;
        if first != *crawl_id {
            return None;
        }
        let mine = analysis.papers.get(id)?;
        let cluster = mine
            .cluster_id
            .and_then(|c| analysis.cluster(c))
            .map(|c| (c.label.clone(), self.cluster_notes.get(&c.id).cloned()));
        let similar = self
            .graph
            .node(id)
            .and_then(|n| self.similar.get(n as usize))
            .map(|list| list.iter().map(|&(other, s)| (self.link_at(other), Score(s))).collect())
            .unwrap_or_default();
        Some(Standing {
            cluster,
            similarity: Score(mine.similarity),
            pagerank: Score(pagerank),
            in_crawl_citations: cited,
            similar,
        })
    }

    /// The note of a member (`None` when it has no name) — ready to write, or left
    /// alone unbuilt when its inputs are those it last matched and its file is as it was
    /// then (`still` says: [`Known::still`]) — with its BibTeX entry (citekey, entry),
    /// which `references.bib` reuses.
    pub(crate) fn job(
        &self,
        p: &StoredPaper,
        rows: &Rows<'_>,
        still: impl Fn(&Known, &str, &str) -> bool,
    ) -> Option<(Work, Option<BibEntry>)> {
        let (summary, pdf) = (rows.summaries.get(&p.paper_id), rows.pdfs.get(&p.paper_id));
        let path = rows.paths.get(&p.paper_id)?;
        let node = self.graph.node(&p.paper_id);
        let authors: Vec<AuthorLink> = self
            .authors
            .of(&p.paper_id)
            .map(|(id, name)| AuthorLink {
                name: name.to_owned(),
                author_id: id.map(ToOwned::to_owned),
                note: id.and_then(|id| self.author_notes.get(id).cloned()),
            })
            .collect();
        let names: Vec<String> = authors.iter().map(|a| a.name.clone()).collect();
        let citekey = self.citekeys.get(&p.paper_id).map(ToString::to_string);
        let types = p.types();
        let url = notes::s2_url(&p.paper_id);
        let bibtex = citekey
            .as_ref()
            .map(|key| bib::bibtex_entry(key, &bib_input(p, &names, &types, &url)));
        let (summary, summary_source) = paper::summary_region(p, summary, pdf);
        let mut input = PaperInput {
            paper: p,
            authors,
            citekey,
            references: node
                .map(|n| self.links(self.graph.references(n), |x| self.graph.is_influential(n, x)))
                .unwrap_or_default(),
            unresolved: rows.unresolved.get(&p.paper_id).cloned().unwrap_or_default(),
            cited_by: node
                .map(|n| self.links(self.graph.cited_by(n), |x| self.graph.is_influential(x, n)))
                .unwrap_or_default(),
            places: self.places.of(&p.paper_id),
            standing: self.standing(&p.paper_id),
            summary,
            summary_source,
            local_pdf: pdf
                .and_then(|p| p.file.clone())
                .filter(|f| f.starts_with(ATTACHMENTS_DIR)),
            bibtex,
            in_library: self.library.contains(&p.paper_id),
            merged: self.graph.merged_into(&p.paper_id).to_vec(),
            // Not part of the inputs: the date changes only when the text does.
            updated: String::new(),
        };
        let inputs = inputs_hash(&input);
        let key = NoteKey::paper(p.paper_id.as_str());
        let entry = input.citekey.clone().zip(input.bibtex.clone());
        let known = rows.known.get(&p.paper_id);
        if let Some(known) = known.filter(|k| still(k, path, &inputs)) {
            return Some((Work::Unchanged(NoteOutcome::unchanged(key, path.clone(), known)), entry));
        }
        input.updated.clone_from(&self.today);
        let mut job = NoteJob {
            key,
            path: path.clone(),
            fresh: paper::paper_fresh(&input),
            owned: if input.standing.is_some() {
                paper::PAPER_KEYS
            } else {
                paper::keys_without_standing()
            },
            identity: ("s2_id", p.paper_id.clone()),
            inputs,
            known: known.cloned(),
            new_text: None,
        };
        // A note never written (or whose record is gone) is most likely missing: its
        // text is made here, on a builder thread, rather than by the writer.
        if job.known.is_none() {
            job.prepare_new(&self.today);
        }
        Some((Work::Write(job), entry))
    }
}

/// The rows of one chunk of papers that their notes read, by paper id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rows<'a> {
    /// Where each paper's note is.
    pub paths: &'a HashMap<String, String>,
    /// What each paper's note last matched (inputs hash and file stamp).
    pub known: &'a HashMap<String, Known>,
    /// Newest summaries.
    pub summaries: &'a HashMap<String, SummaryRow>,
    /// PDF states.
    pub pdfs: &'a HashMap<String, PdfRow>,
    /// References S2 could not resolve.
    pub unresolved: &'a HashMap<String, Vec<UnresolvedRef>>,
}

/// A note to write, or one left alone unbuilt.
#[derive(Debug)]
pub(super) enum Work {
    /// Built: merge it into the file.
    Write(NoteJob),
    /// Its inputs did not change: nothing to build, read or write.
    Unchanged(NoteOutcome),
}

/// What a BibTeX entry is made from.
/// A paper's BibTeX entry: (citekey, entry text).
pub(super) type BibEntry = (String, String);

pub(super) fn bib_input<'a>(
    p: &'a StoredPaper,
    authors: &'a [String],
    types: &'a [String],
    url: &'a str,
) -> bib::BibInput<'a> {
    bib::BibInput {
        title: &p.title,
        authors,
        year: p.year,
        venue: p.venue.as_deref(),
        journal: p.journal.as_deref(),
        volume: p.journal_volume.as_deref(),
        pages: p.journal_pages.as_deref(),
        doi: p.doi.as_deref(),
        arxiv: p.arxiv.as_deref(),
        url: Some(url),
        publication_types: types,
    }
}
