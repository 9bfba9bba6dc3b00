//! The files around the paper notes besides author notes: the crawl's index note, its
//! what's-new notes, its JSON Canvas map, and the vault's bibliography.

use std::collections::{BTreeMap, HashMap, HashSet};

use tracing::warn;

use super::{CHUNK, FileFate, RenderError, RenderReport, blocking, write_jobs};
use crate::context::Context;
use crate::render::bib_spool::BibSpool;
use crate::render::book::{PaperBook, bib_input};
use crate::render::formats::{bib, canvas};
use crate::render::naming::{self, Names, Wanted};
use crate::render::notes::LinkItem;
use crate::render::notes::{self, index, news};
use crate::render::people::Authors;
use crate::store::{Crawl, CrawlStats, CrawlStatus, MetricRow, NewsRow, RefreshRow, Store, StoreError};
use crate::vault::folders::{BIB_PATH, MAPS_DIR, NEWS_DIR};
use crate::vault::write::{self, NoteJob};
use crate::vault::{self, NoteKey, Vault, VaultError};

/// What a crawl's index note says of the crawl, besides its papers' links.
pub(super) struct Index<'a> {
    /// The crawl.
    pub crawl: &'a Crawl,
    /// Its seeds' title.
    pub seed_title: &'a str,
    /// Its counts.
    pub stats: CrawlStats,
    /// Its members' metrics.
    pub metrics: &'a [MetricRow],
}

/// The crawl's index note.
pub(super) async fn render_index(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    index: Index<'_>,
    book: &PaperBook,
    today: &str,
) -> Result<RenderReport, RenderError> {
    let Index {
        crawl,
        seed_title,
        stats,
        metrics,
    } = index;
    let key = NoteKey::Index(crawl.crawl_id);
    let Some(row) = names.row(&key) else {
        return Ok(RenderReport::default());
    };
    let mut by_depth: BTreeMap<i64, usize> = BTreeMap::new();
    for m in metrics {
        *by_depth.entry(m.depth).or_insert(0) += 1;
    }
    let mut most_cited: Vec<&MetricRow> = metrics.iter().filter(|m| m.cited_in_crawl > 0).collect();
    most_cited.sort_by(|a, b| {
        b.cited_in_crawl
            .cmp(&a.cited_in_crawl)
            .then_with(|| a.paper_id.cmp(&b.paper_id))
    });
    let mut central: Vec<&MetricRow> = metrics.iter().collect();
    central.sort_by_key(|m| m.pagerank_rank);
    let input = index::IndexInput {
        crawl,
        seed_title: seed_title.to_owned(),
        seed_note: crawl.seed().and_then(|s| names.name(&NoteKey::paper(s.as_str()))),
        stats,
        by_depth: by_depth.into_iter().collect(),
        most_cited: most_cited
            .iter()
            .take(index::TOP)
            .map(|m| (book.link(&m.paper_id), m.cited_in_crawl))
            .collect(),
        central: central
            .iter()
            .take(index::TOP)
            .map(|m| (book.link(&m.paper_id), m.pagerank_rank))
            .collect(),
        analysis: index_analysis(crawl, book),
        news: names
            .news_notes(crawl.crawl_id)
            .into_iter()
            .map(|(_, name)| name)
            .collect(),
        refreshed: ctx
            .store
            .refreshes_of(crawl.crawl_id)
            .await?
            .first()
            .map(|r| index::date(r.started_at)),
        canvas: map_path(names, crawl.crawl_id),
        bibliography: BIB_PATH.to_owned(),
        updated: today.to_owned(),
    };
    let job = NoteJob::from_fresh(
        key,
        row.path().to_owned(),
        index::index_fresh(&input),
        index::INDEX_KEYS,
        ("refnet_crawl", crawl.crawl_id.to_string()),
        row.known(),
    );
    write_jobs(ctx, vault, names, vec![job], today).await
}

/// What the index shows of the crawl's analysis: the top of each ranking.
fn index_analysis(crawl: &Crawl, book: &PaperBook) -> Option<index::IndexAnalysis> {
    let (_, a) = book.analysis.as_ref()?;
    let seeds: HashSet<&str> = crawl.seeds.iter().map(crate::ids::S2Id::as_str).collect();
    let mut similar: Vec<(&String, f64)> = a
        .papers
        .iter()
        .filter(|(id, p)| p.similarity > 0.0 && !seeds.contains(id.as_str()))
        .map(|(id, p)| (id, p.similarity))
        .collect();
    similar.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    let ranked = |list: &[(String, f64)]| -> Vec<(LinkItem, i64)> {
        list.iter()
            .take(index::TOP)
            .map(|(id, n)| (book.link(id), n.round() as i64))
            .collect()
    };
    Some(index::IndexAnalysis {
        similar_to_seed: similar
            .into_iter()
            .take(index::TOP)
            .map(|(id, s)| (book.link(id), s))
            .collect(),
        prior: ranked(&a.prior),
        derivative: ranked(&a.derivative),
        clusters: a
            .clusters
            .iter()
            .map(|c| {
                (
                    book.cluster_notes.get(&c.id).cloned(),
                    c.label.clone(),
                    c.size,
                    c.top_paper.as_deref().map(|t| book.link(t)),
                )
            })
            .collect(),
    })
}

/// A refresh that brought something, for its what's-new note.
#[derive(Debug)]
pub(super) struct NewsPlan {
    /// The note's key, `news:<crawl>:<run>`.
    pub key: NoteKey,
    /// The refresh.
    pub refresh: RefreshRow,
    /// What it brought.
    pub rows: Vec<NewsRow>,
    /// The title of the crawl's index note.
    pub index_title: String,
}

impl NewsPlan {
    /// The plan for the crawl's current run, if it is a refresh with news that has
    /// fetched all its levels.
    pub(crate) async fn of(store: &Store, crawl: &Crawl, seed_title: &str) -> Result<Option<Self>, StoreError> {
        if !crawl.fetched() || crawl.status == CrawlStatus::Failed {
            return Ok(None);
        }
        let Some(refresh) = store.refresh(crawl.crawl_id, crawl.run).await? else {
            return Ok(None);
        };
        let rows = store.news(crawl.crawl_id, crawl.run).await?;
        if !news::is_news(&rows) {
            return Ok(None);
        }
        Ok(Some(Self {
            key: NoteKey::News {
                crawl: crawl.crawl_id,
                run: crawl.run,
            },
            refresh,
            rows,
            index_title: index::index_title(crawl.crawl_id, seed_title),
        }))
    }

    /// The names the note may take.
    pub(crate) fn wanted(&self) -> Wanted<'static> {
        let title = news::news_title(&self.index_title, &index::date(self.refresh.started_at));
        Wanted {
            key: self.key.clone(),
            folder: NEWS_DIR,
            candidates: naming::news_candidates(&title, self.refresh.crawl_id, self.refresh.run).into(),
        }
    }
}

/// The what's-new note of a refresh.
pub(super) async fn render_news(
    ctx: &Context,
    vault: &Vault,
    names: &mut Names,
    plan: &NewsPlan,
    book: &PaperBook,
    today: &str,
) -> Result<RenderReport, RenderError> {
    let Some(row) = names.row(&plan.key) else {
        return Ok(RenderReport::default());
    };
    let (crawl_id, run) = (plan.refresh.crawl_id, plan.refresh.run);
    let input = news::NewsInput {
        crawl_id,
        run,
        index: (names.name(&NoteKey::Index(crawl_id)), plan.index_title.clone()),
        refreshed: index::date(plan.refresh.started_at),
        since: plan.refresh.previous_at.map(index::date),
        items: plan
            .rows
            .iter()
            .map(|r| news::NewsItem {
                link: book.link(&r.paper_id),
                row: r.clone(),
                similarity: book
                    .analysis
                    .as_ref()
                    .and_then(|(_, a)| a.papers.get(&r.paper_id))
                    .map(|p| p.similarity),
            })
            .collect(),
        updated: today.to_owned(),
    };
    let job = NoteJob::from_fresh(
        plan.key.clone(),
        row.path().to_owned(),
        news::news_fresh(&input),
        news::NEWS_KEYS,
        ("refnet_news", news::news_identity(crawl_id, run)),
        row.known(),
    );
    write_jobs(ctx, vault, names, vec![job], today).await
}

/// The canvas of a crawl sits beside its index note's name, in the maps folder.
fn map_path(names: &Names, crawl_id: i64) -> String {
    let base = names
        .name(&NoteKey::Index(crawl_id))
        .map(|n| n.to_string())
        .unwrap_or_else(|| format!("Crawl {crawl_id}"));
    format!("{MAPS_DIR}/{base}.canvas")
}

/// The crawl's JSON Canvas map, merged into the existing one.
pub(super) async fn render_map(
    vault: &Vault,
    names: &Names,
    crawl: &Crawl,
    book: &PaperBook,
    metrics: &[MetricRow],
    max_nodes: usize,
) -> Result<RenderReport, RenderError> {
    let graph = &book.graph;
    let analysis = book.analysis.as_ref().map(|(_, a)| a);
    let paper_of = |id: &str| analysis.and_then(|a| a.papers.get(id));
    // The map's papers are chosen from borrowed candidates; only those shown are copied.
    let candidates: Vec<canvas::MapCandidate<'_>> = metrics
        .iter()
        .filter_map(|m| {
            let row = names.row(&NoteKey::paper(m.paper_id.as_str()))?;
            Some(canvas::MapCandidate {
                paper_id: &m.paper_id,
                file: row.path(),
                depth: m.depth.max(0) as u32,
                weight: m.pagerank,
                similarity: paper_of(&m.paper_id).map_or(0.0, |p| p.similarity),
            })
        })
        .collect();
    let clusters: Vec<(i64, String)> = analysis
        .map(|a| a.clusters.iter().map(|c| (c.id, c.label.clone())).collect())
        .unwrap_or_default();
    let shown = canvas::shown_of(&candidates, !clusters.is_empty(), max_nodes);
    let papers: Vec<canvas::MapPaper> = candidates
        .iter()
        .filter(|c| shown.contains(c.paper_id))
        .map(|c| canvas::MapPaper {
            paper_id: c.paper_id.to_owned(),
            file: c.file.to_owned(),
            depth: c.depth,
            weight: c.weight,
            cluster: paper_of(c.paper_id).and_then(|p| p.cluster_id),
            similarity: c.similarity,
        })
        .collect();
    drop(candidates);
    let mut input = canvas::MapInput {
        papers,
        edges: Vec::new(),
        max_nodes,
        clusters,
    };
    // Only the papers on the map and the edges between them are handed to the layout:
    // the others are never copied, nor sorted a second time.
    input.edges = graph
        .member_edges()
        .filter(|&(a, b)| shown.contains(graph.id(a)) && shown.contains(graph.id(b)))
        .map(|(a, b)| (graph.id(a).to_owned(), graph.id(b).to_owned()))
        .collect();
    // By cluster when the analysis found any; else rings by depth.
    let fresh = if input.clusters.is_empty() {
        canvas::layout(&input)
    } else {
        canvas::layout_by_cluster(&input)
    };
    let path = map_path(names, crawl.crawl_id);
    let outcome = blocking(vault, move |v| -> Result<Option<FileFate>, VaultError> {
        let existing = match v.read(&path) {
            vault::Existing::Text(t) => Some(t),
            vault::Existing::Missing => None,
            vault::Existing::Unreadable(_) => return Ok(None),
        };
        match canvas::merge(existing.as_deref(), &fresh) {
            Ok(text) => write::write_if_changed(v, &path, &text).map(Some),
            Err(_) => Ok(None),
        }
    })
    .await??;
    let mut report = RenderReport::default();
    let path = map_path(names, crawl.crawl_id);
    match outcome {
        Some(fate) => report.count(&path, fate),
        None => {
            warn!(path, "the crawl's map is not a readable canvas: left alone");
            report.count(&path, FileFate::Skipped);
            report
                .skipped
                .push((path, "not a readable JSON Canvas file".to_owned()));
        }
    }
    Ok(report)
}

/// `refnet/references.bib`: every paper with a note, sorted by citekey; `known` holds the
/// entries the paper notes just built (by paper id), the rest are read from the store.
pub(super) async fn render_bibliography(
    ctx: &Context,
    vault: &Vault,
    mut known: BibSpool,
) -> Result<RenderReport, RenderError> {
    let store = &ctx.store;
    let ids = store.noted_paper_ids().await?;
    let mut entries = Vec::with_capacity(ids.len());
    let mut unbuilt = Vec::new();
    for id in ids {
        match known.take(&id)? {
            Some(entry) => entries.push(entry),
            None => unbuilt.push(id),
        }
    }
    drop(known);
    let ids = unbuilt;
    let keys: HashMap<String, String> = store.citekeys(&ids).await?.into_iter().collect();
    for chunk in ids.chunks(CHUNK) {
        let papers = store.papers(chunk).await?;
        let authors = Authors::load(store, chunk).await?;
        for p in &papers {
            let Some(key) = keys.get(&p.paper_id) else { continue };
            let names: Vec<String> = authors.of(&p.paper_id).map(|(_, n)| n.to_owned()).collect();
            let types = p.types();
            let url = notes::s2_url(&p.paper_id);
            entries.push((key.clone(), bib::bibtex_entry(key, &bib_input(p, &names, &types, &url))));
        }
    }
    let fate = blocking(vault, move |v| {
        write::write_parts_if_changed(v, BIB_PATH, &bib::bib_parts(&entries))
    })
    .await??;
    let mut report = RenderReport::default();
    report.count(BIB_PATH, fate);
    Ok(report)
}
