//! Filling what Semantic Scholar left empty (abstract, open-access PDF, venue) from
//! OpenAlex, right after a batch of papers is stored and before any summary of them is
//! queued. One request carries up to 100 DOIs; each counts against the run's budget
//! (`openalex.max_requests_per_crawl`). A paper is looked up once per fetch cutoff, found
//! or not. OpenAlex failing never fails the level: the papers keep S2's data.

use std::collections::HashMap;

use tracing::{debug, info, warn};

use super::CrawlError;
use crate::context::Context;
use crate::openalex::{MAX_FILTER_VALUES, OpenAlexClient, OpenAlexError, Work, filterable};
use crate::store::{Crawl, OpenAlexFill, OpenAlexWanted, now};

/// Most pages read for one request's DOIs (a DOI OpenAlex holds several works for).
const MAX_PAGES: usize = 5;

/// Looks the papers among `ids` that lack something up in OpenAlex and stores what it has.
pub(super) async fn from_openalex(ctx: &Context, crawl: &Crawl, ids: &[String]) -> Result<(), CrawlError> {
    let Some(client) = &ctx.openalex else {
        return Ok(());
    };
    if client.off_reason().is_some() {
        return Ok(());
    }
    let wanted = ctx.store.openalex_wanted(ids, crawl.fetch_cutoff).await?;
    let by_doi: Vec<(String, &OpenAlexWanted)> = wanted
        .iter()
        .filter_map(|w| lookup_doi(w).map(|doi| (doi, w)))
        .filter(|(doi, _)| filterable(doi))
        .collect();
    let budget = i64::from(ctx.settings.openalex.max_requests_per_crawl);
    for chunk in by_doi.chunks(MAX_FILTER_VALUES) {
        let dois: Vec<String> = chunk.iter().map(|(doi, _)| doi.clone()).collect();
        let works = match works_for(ctx, client, crawl, budget, &dois).await? {
            Ok(works) => works,
            Err(Stop::Budget) => {
                info!(
                    crawl_id = crawl.crawl_id,
                    budget, "OpenAlex budget of this crawl run spent; the other papers keep Semantic Scholar's data"
                );
                return Ok(());
            }
            Err(Stop::Failed(e)) => {
                if matches!(e, OpenAlexError::Rejected(_) | OpenAlexError::Malformed(_)) {
                    warn!(error = %e, "OpenAlex look-up failed; these papers keep Semantic Scholar's data");
                }
                return Ok(());
            }
        };
        let fills: Vec<OpenAlexFill> = chunk
            .iter()
            .map(|(doi, w)| fill_of(&w.paper_id, works.get(doi)))
            .collect();
        let found = fills.iter().filter(|f| f.work_id.is_some()).count();
        debug!(asked = fills.len(), found, "OpenAlex look-up");
        ctx.store.record_openalex(&fills, now()).await?;
    }
    Ok(())
}

/// Why a look-up stopped.
enum Stop {
    /// The run's budget is spent.
    Budget,
    /// OpenAlex failed (the client has warned and turned itself off where it should).
    Failed(OpenAlexError),
}

/// The works with these DOIs, by bare DOI, every page counted against the budget.
async fn works_for(
    ctx: &Context,
    client: &OpenAlexClient,
    crawl: &Crawl,
    budget: i64,
    dois: &[String],
) -> Result<Result<HashMap<String, Work>, Stop>, CrawlError> {
    let mut works: HashMap<String, Work> = HashMap::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        if !ctx
            .store
            .take_openalex_request(crawl.crawl_id, crawl.run, budget)
            .await?
        {
            return Ok(Err(Stop::Budget));
        }
        let page = match client.works_by_doi(dois, cursor.as_deref()).await {
            Ok(page) => page,
            Err(e) => return Ok(Err(Stop::Failed(e))),
        };
        let last = page.results.is_empty();
        for work in page.results {
            if let Some(doi) = work.bare_doi() {
                // The first answer for a DOI wins (OpenAlex sorts by relevance).
                works.entry(doi).or_insert(work);
            }
        }
        cursor = page.meta.next_cursor;
        if last || cursor.is_none() {
            break;
        }
    }
    Ok(Ok(works))
}

/// The DOI a paper is looked up by: S2's, else arXiv's own DOI for an arXiv paper.
fn lookup_doi(w: &OpenAlexWanted) -> Option<String> {
    match (&w.doi, &w.arxiv) {
        (Some(doi), _) => Some(doi.to_lowercase()),
        (None, Some(arxiv)) => Some(format!("10.48550/arxiv.{}", arxiv.to_lowercase())),
        (None, None) => None,
    }
}

/// What one paper gets from its work (nothing, when OpenAlex has none).
fn fill_of(paper_id: &str, work: Option<&Work>) -> OpenAlexFill {
    let Some(work) = work else {
        return OpenAlexFill {
            paper_id: paper_id.to_owned(),
            ..OpenAlexFill::default()
        };
    };
    OpenAlexFill {
        paper_id: paper_id.to_owned(),
        work_id: work.short_id().map(ToOwned::to_owned),
        abstract_text: work.abstract_text(),
        pdf_url: work.pdf_url(),
        venue: work.venue(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arxiv_papers_without_a_doi_are_looked_up_by_arxivs_own_doi() {
        let w = |doi: Option<&str>, arxiv: Option<&str>| OpenAlexWanted {
            paper_id: "p".to_owned(),
            doi: doi.map(ToOwned::to_owned),
            arxiv: arxiv.map(ToOwned::to_owned),
        };
        assert_eq!(
            lookup_doi(&w(Some("10.1/X"), Some("1706.03762"))).as_deref(),
            Some("10.1/x")
        );
        assert_eq!(
            lookup_doi(&w(None, Some("1706.03762"))).as_deref(),
            Some("10.48550/arxiv.1706.03762")
        );
        assert_eq!(lookup_doi(&w(None, None)), None);
        assert!(!filterable("10.1/a|b") && !filterable("10.1/a,b") && filterable("10.1/a.b"));
    }

    #[test]
    fn a_doi_openalex_does_not_know_is_recorded_as_checked_with_nothing() {
        let fill = fill_of("p1", None);
        assert_eq!((fill.work_id, fill.abstract_text, fill.pdf_url), (None, None, None));
    }
}
