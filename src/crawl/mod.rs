//! The crawl stage: from a seed to the papers, authors and edges of its neighbourhood.
//!
//! A crawl is fetched level by level. Level 0 is the seed; level d+1 is what level-d
//! papers cite (`references`), what cites them (`citations`), or both. One `crawl` job
//! carries one level (see `queue`): it fetches the level's papers that are not fresh in
//! the store with batch calls (metadata plus nested `references.paperId` in one call, up
//! to 500 papers), pages `/references` and `/citations` only where a nested list was cut,
//! then ranks the next level's candidates and applies the budget. Every step is written
//! before the next starts and is derived from the store alone, so a level that is run
//! again (after a crash, a kill -9, a retry) repeats no request that already succeeded and
//! ends with the same papers and edges.

mod fill;
pub mod priority;
mod seeds;
mod start;

pub use seeds::{CrawlRequest, ResolvedSeeds, resolve_seeds};
pub use start::{Cancel, IfRunning, Run, Start, cancel, is_running, run_cancelled, start};

use std::collections::BTreeMap;

use crate::context::Context;

use crate::s2::model::{Paper, PaperRef};
use crate::s2::{BatchItem, EdgeKind, NESTED_CAP, S2Client, S2Error};
use crate::store::{EdgeRow, PaperRecord, StoreError, now};
use crate::store::{FetchedBatch, StubRecord, UnresolvedRef};

/// What a crawl failed on.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// No seed is known to S2 (the ids as given).
    #[error("{} not found on Semantic Scholar: check the id (try its DOI or ARXIV: form)", not_found(.0))]
    SeedNotFound(Vec<String>),
    /// The seed's record could not be read.
    #[error("Semantic Scholar's record for {id} is unusable ({reason})")]
    SeedUnusable {
        /// The seed as typed.
        id: String,
        /// Why.
        reason: String,
    },
    /// The seed is an id only OpenAlex can resolve.
    #[error(transparent)]
    SeedNotInS2(#[from] crate::ids::NotInS2),
    /// The API failed.
    #[error(transparent)]
    Api(#[from] S2Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The crawl is gone from the store.
    #[error("crawl {0} no longer exists")]
    Gone(i64),
}

impl CrawlError {
    /// Whether running the job again later could succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(e) => e.is_transient(),
            Self::Store(_) => true,
            _ => false,
        }
    }
}

/// "paper X was" / "none of the seeds X, Y, Z was".
fn not_found(ids: &[String]) -> String {
    match ids {
        [one] => format!("paper {one} was"),
        many => {
            let shown: Vec<&str> = many.iter().take(5).map(String::as_str).collect();
            let more = many.len().saturating_sub(shown.len());
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("none of the seeds ({}{tail}) was", shown.join(", "))
        }
    }
}

/// Deepest crawl accepted: every level multiplies the papers.
pub const MAX_DEPTH: u32 = 10;

/// A crawl request that cannot be crawled: the field, and why (starting with the value,
/// ending with the fix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct BadRequest {
    /// The field, as the API names it (`depth`, `max_papers`).
    pub field: &'static str,
    /// Why, e.g. "11 is too deep: use 0 to 10 …".
    pub reason: String,
}

/// Where a level job leaves the crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelOutcome {
    /// The next level is ready to fetch.
    Next(i64),
    /// This was the last level.
    Finished,
    /// The job belongs to an older run of the crawl; nothing was done.
    Superseded,
}

/// The `fields` of a batch call. References are always asked for (the crawl's edges
/// come from them); citations only when the crawl follows them from this level.
pub fn batch_fields(with_citations: bool) -> String {
    let mut fields = String::from(
        "paperId,corpusId,externalIds,title,abstract,venue,year,publicationDate,journal,\
         citationCount,referenceCount,influentialCitationCount,isOpenAccess,openAccessPdf,\
         fieldsOfStudy,s2FieldsOfStudy,publicationTypes,authors,tldr,\
         references.paperId,references.title,references.year,references.citationCount",
    );
    if with_citations {
        fields.push_str(",citations.paperId,citations.title,citations.year,citations.citationCount");
    }
    fields
}

/// The fetch cutoff of a run starting at `now`: papers fetched before it are fetched again.
pub fn fresh_cutoff_at(now: i64, settings: &crate::settings::Settings) -> i64 {
    now - settings.s2.fresh_for.as_secs() as i64
}

/// What [`run_level`] calls with the ids of members it has stored.
pub type Stored<'a> = dyn FnMut(Vec<String>) -> futures::future::BoxFuture<'a, Result<(), CrawlError>> + Send + 'a;

/// Runs one level of a crawl: fetch what is not fresh, then admit the next level.
/// `stored` is called with the ids of each batch of members as soon as it is stored, then
/// once with all the level's members (those that were fresh already included), so the
/// caller can start work on them while the crawl goes on.
pub async fn run_level(
    ctx: &Context,
    crawl_id: i64,
    run: i64,
    depth: i64,
    stored: &mut Stored<'_>,
) -> Result<LevelOutcome, CrawlError> {
    let store = &ctx.store;
    let crawl = store.crawl(crawl_id).await?.ok_or(CrawlError::Gone(crawl_id))?;
    if crawl.run != run {
        return Ok(LevelOutcome::Superseded);
    }
    let direction = crawl.direction;
    let expand = depth < crawl.depth;
    let with_citations = direction.follows_citations() && expand;
    let todo = store.members_to_fetch(&crawl, depth, with_citations).await?;
    let fields = batch_fields(with_citations);
    for chunk in todo.chunks(ctx.settings.s2.batch_size) {
        let batch = fetch_batch(&ctx.s2, chunk, &fields, with_citations).await?;
        ctx.counters.papers_fetched.inc_by(batch.papers.len() as u64);
        store.record_batch(crawl_id, run, &batch, now()).await?;
        fill::from_openalex(ctx, &crawl, chunk).await?;
        stored(chunk.to_vec()).await?;
    }
    if !todo.is_empty() {
        store.refresh_statistics().await?;
    }
    let level = store.level_members(crawl_id, depth).await?;
    // The seeds and papers that were fresh already (those above are checked: no request).
    fill::from_openalex(ctx, &crawl, &level).await?;
    stored(level).await?;
    if !expand {
        return Ok(LevelOutcome::Finished);
    }
    let candidates = store.candidates(crawl_id, depth, direction).await?;
    let room = if crawl.max_papers > 0 {
        let members = store.member_count(crawl_id).await?;
        Some(usize::try_from(crawl.max_papers - members).unwrap_or(0))
    } else {
        None
    };
    let selection = priority::select(&candidates, room);
    store
        .add_level(crawl_id, run, depth + 1, &selection.admitted, &selection.left_out)
        .await?;
    Ok(LevelOutcome::Next(depth + 1))
}

/// One batch call (plus pages for cut lists), turned into rows to store.
async fn fetch_batch(
    s2: &S2Client,
    ids: &[String],
    fields: &str,
    with_citations: bool,
) -> Result<FetchedBatch, CrawlError> {
    let items = s2.batch(ids, fields).await?;
    let mut batch = FetchedBatch::default();
    for (id, item) in ids.iter().zip(items) {
        match item {
            BatchItem::Found(paper) if paper.paper_id.as_deref() == Some(id.as_str()) => {
                absorb(s2, &mut batch, id, *paper, with_citations).await?;
            }
            BatchItem::Found(paper) => batch.missing.push((
                id.clone(),
                format!("S2 answered with another id ({})", paper.paper_id.unwrap_or_default()),
            )),
            BatchItem::Missing => batch
                .missing
                .push((id.clone(), "not found on Semantic Scholar".to_owned())),
            BatchItem::Malformed(reason) => batch.missing.push((id.clone(), reason)),
        }
    }
    Ok(batch)
}

/// Adds one paper's record, its listed neighbours and edges to `batch`, paging a list
/// only where the nested one was cut or absent.
pub(super) async fn absorb(
    s2: &S2Client,
    batch: &mut FetchedBatch,
    id: &str,
    mut paper: Paper,
    with_citations: bool,
) -> Result<(), CrawlError> {
    let mut record = to_record(&paper);
    let reference_count = paper.reference_count.unwrap_or(0);
    let mut unresolved = Vec::new();
    match paper.references.take() {
        Some(refs) => {
            // The nested list and `/references` stop at the same 1,000: nothing more can
            // be fetched, so a longer list is only recorded as cut.
            record.references_truncated = refs.len() >= NESTED_CAP && reference_count > refs.len() as i64;
            unresolved.extend(unresolved_of(&refs));
            add_neighbours(batch, id, refs, EdgeKind::References, None);
        }
        None if reference_count > 0 => match page(s2, id, EdgeKind::References, 0).await? {
            Some(list) => {
                record.references_truncated = list.truncated;
                let refs: Vec<PaperRef> = list.edges.iter().map(|e| e.paper.clone()).collect();
                unresolved.extend(unresolved_of(&refs));
                add_edge_list(batch, id, list.edges, EdgeKind::References);
            }
            None => record.references_truncated = true,
        },
        None => {}
    }
    batch.unresolved.push((id.to_owned(), unresolved));
    if with_citations {
        let citation_count = paper.citation_count.unwrap_or(0);
        match paper.citations.take() {
            Some(cits) if cits.len() >= NESTED_CAP && citation_count > cits.len() as i64 => {
                let start = cits.len() as u64;
                add_neighbours(batch, id, cits, EdgeKind::Citations, None);
                match page(s2, id, EdgeKind::Citations, start).await? {
                    Some(rest) => {
                        record.citations_truncated = rest.truncated;
                        add_edge_list(batch, id, rest.edges, EdgeKind::Citations);
                    }
                    None => record.citations_truncated = true,
                }
            }
            Some(cits) => add_neighbours(batch, id, cits, EdgeKind::Citations, None),
            None if citation_count > 0 => match page(s2, id, EdgeKind::Citations, 0).await? {
                Some(list) => {
                    record.citations_truncated = list.truncated;
                    add_edge_list(batch, id, list.edges, EdgeKind::Citations);
                }
                None => record.citations_truncated = true,
            },
            None => {}
        }
        batch.citations_listed.push(id.to_owned());
    }
    batch.papers.push(record);
    Ok(())
}

/// Pages one paper's references or citations. A page S2 will not give for this paper (a
/// 404, a body that does not parse) costs this paper its list, marked as cut, not the
/// level: `None`, with a warning. A passing failure (429s, 5xx, timeouts past the
/// retries) is the level's error, to try again later.
async fn page(s2: &S2Client, id: &str, kind: EdgeKind, start: u64) -> Result<Option<crate::s2::EdgeList>, CrawlError> {
    match s2.edges(id, kind, start).await {
        Ok(list) => Ok(Some(list)),
        Err(e) if e.is_transient() => Err(e.into()),
        Err(e) => {
            tracing::warn!(paper_id = id, error = %e, "a list Semantic Scholar would not page is recorded as cut");
            Ok(None)
        }
    }
}

/// The references of a list that S2 could not resolve to a paper, with what it says of
/// them (entries without even a title say nothing worth listing).
fn unresolved_of(refs: &[PaperRef]) -> Vec<UnresolvedRef> {
    refs.iter()
        .filter(|r| !r.paper_id.as_deref().is_some_and(crate::s2::is_sha))
        .filter_map(|r| {
            let title = r.title.as_deref()?.split_whitespace().collect::<Vec<_>>().join(" ");
            (!title.is_empty()).then_some(UnresolvedRef { title, year: r.year })
        })
        .collect()
}

fn add_edge_list(batch: &mut FetchedBatch, id: &str, edges: Vec<crate::s2::Edge>, kind: EdgeKind) {
    for edge in edges {
        add_neighbours(batch, id, vec![edge.paper], kind, edge.is_influential);
    }
}

/// Stubs for the listed papers that S2 resolved, and an edge to (or from) each.
fn add_neighbours(batch: &mut FetchedBatch, id: &str, list: Vec<PaperRef>, kind: EdgeKind, influential: Option<bool>) {
    for other in list {
        let Some(other_id) = other.paper_id.filter(|o| crate::s2::is_sha(o) && o != id) else {
            continue; // unresolved entries have no id to link to
        };
        let (citing, cited) = match kind {
            EdgeKind::References => (id.to_owned(), other_id.clone()),
            EdgeKind::Citations => (other_id.clone(), id.to_owned()),
        };
        batch.edges.push(EdgeRow {
            citing,
            cited,
            is_influential: influential,
        });
        batch.stubs.push(StubRecord {
            paper_id: other_id,
            title: other.title,
            year: other.year,
            citation_count: other.citation_count,
        });
    }
}

/// The storable form of an S2 record.
pub fn to_record(p: &Paper) -> PaperRecord {
    let mut fields: Vec<String> = p.fields_of_study.clone().unwrap_or_default();
    for f in p.s2_fields_of_study.iter().flatten() {
        if let Some(cat) = &f.category
            && !fields.contains(cat)
        {
            fields.push(cat.clone());
        }
    }
    let external_ids = p
        .external_ids
        .as_ref()
        .map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "{}".to_owned()))
        .unwrap_or_else(|| "{}".to_owned());
    let clean = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    PaperRecord {
        paper_id: p.paper_id.clone().unwrap_or_default(),
        corpus_id: p
            .corpus_id
            .or_else(|| p.external_id("CorpusId").and_then(|c| c.parse().ok())),
        doi: p.external_id("DOI").map(|d| d.to_lowercase()),
        arxiv: p
            .external_id("ArXiv")
            .map(|a| crate::ids::strip_arxiv_version(&a).to_owned()),
        external_ids,
        title: p.title.clone().unwrap_or_default().trim().to_owned(),
        abstract_text: clean(&p.abstract_text),
        tldr: p.tldr.as_ref().and_then(|t| clean(&t.text)),
        venue: clean(&p.venue),
        year: p.year,
        publication_date: clean(&p.publication_date),
        journal: p.journal.as_ref().and_then(|j| clean(&j.name)),
        journal_volume: p.journal.as_ref().and_then(|j| clean(&j.volume)),
        journal_pages: p.journal.as_ref().and_then(|j| clean(&j.pages)),
        citation_count: p.citation_count,
        reference_count: p.reference_count,
        influential_citation_count: p.influential_citation_count,
        fields_of_study: fields,
        publication_types: p.publication_types.clone().unwrap_or_default(),
        pdf_url: p.open_access_pdf.as_ref().and_then(|o| clean(&o.url)),
        is_open_access: p.is_open_access,
        references_truncated: false,
        citations_truncated: false,
        authors: p
            .authors
            .iter()
            .flatten()
            .filter_map(|a| {
                let name = a.name.as_deref()?.trim();
                (!name.is_empty()).then(|| (a.author_id.clone(), name.to_owned()))
            })
            .collect(),
    }
}

/// Members grouped by depth, for reports.
pub fn by_depth(members: &[crate::store::MemberInfo]) -> BTreeMap<i64, usize> {
    let mut out = BTreeMap::new();
    for m in members {
        *out.entry(m.depth).or_insert(0) += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_take_ids_fields_and_authors_from_the_s2_shape() {
        let p: Paper = serde_json::from_value(serde_json::json!({
            "paperId": "649def34f8be52c8b66281af98ae884c09aef38b",
            "externalIds": {"DOI": "10.18653/V1/N18-3011", "ArXiv": "1805.02262v1", "CorpusId": 19170988},
            "title": "  Construction of the Literature Graph  ",
            "abstract": "   ",
            "fieldsOfStudy": ["Computer Science"],
            "s2FieldsOfStudy": [{"category": "Computer Science", "source": "external"}, {"category": "Medicine", "source": "s2-fos-model"}],
            "authors": [{"authorId": "1741101", "name": "Waleed Ammar"}, {"authorId": null, "name": "  "}, {"authorId": null, "name": "Anon"}],
            "openAccessPdf": {"url": "", "status": null},
            "tldr": {"model": "tldr@v2", "text": "A graph."}
        }))
        .expect("parses");
        let r = to_record(&p);
        assert_eq!(r.doi.as_deref(), Some("10.18653/v1/n18-3011"));
        assert_eq!(r.arxiv.as_deref(), Some("1805.02262"));
        assert_eq!(r.corpus_id, Some(19170988));
        assert_eq!(r.title, "Construction of the Literature Graph");
        assert_eq!(r.abstract_text, None);
        assert_eq!(r.fields_of_study, vec!["Computer Science", "Medicine"]);
        assert_eq!(
            r.authors,
            vec![
                (Some("1741101".to_owned()), "Waleed Ammar".to_owned()),
                (None, "Anon".to_owned())
            ]
        );
        assert_eq!(r.pdf_url, None);
        assert_eq!(r.tldr.as_deref(), Some("A graph."));
    }

    #[test]
    fn neighbours_skip_unresolved_and_self_references() {
        let mut batch = FetchedBatch::default();
        let me = "a".repeat(40);
        let other = "b".repeat(40);
        let list = vec![
            PaperRef {
                paper_id: None,
                title: Some("unresolved".into()),
                ..Default::default()
            },
            PaperRef {
                paper_id: Some(me.clone()),
                ..Default::default()
            },
            PaperRef {
                paper_id: Some("not-a-sha".into()),
                ..Default::default()
            },
            PaperRef {
                paper_id: Some(other.clone()),
                title: Some("B".into()),
                year: Some(2020),
                citation_count: Some(3),
            },
        ];
        add_neighbours(&mut batch, &me, list.clone(), EdgeKind::References, None);
        add_neighbours(&mut batch, &me, list, EdgeKind::Citations, Some(true));
        assert_eq!(
            batch.edges,
            vec![
                EdgeRow {
                    citing: me.clone(),
                    cited: other.clone(),
                    is_influential: None
                },
                EdgeRow {
                    citing: other.clone(),
                    cited: me.clone(),
                    is_influential: Some(true)
                },
            ]
        );
        assert_eq!(batch.stubs.len(), 2);
        assert_eq!(batch.stubs[0].title.as_deref(), Some("B"));
    }
}
