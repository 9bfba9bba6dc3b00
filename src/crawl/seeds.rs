//! Seeds: what a user asks to crawl (one paper or several, typed or from their library),
//! and resolving them to S2 ids — from the store when they are there and fresh, else with
//! batch calls that also bring their records. Seeds S2 does not know are reported, and
//! the crawl goes on from the others.

use super::{BadRequest, CrawlError, MAX_DEPTH, absorb, batch_fields, priority};
use crate::ids::{BadS2Id, NotInS2, PaperId, S2Id};
use crate::openalex::OpenAlexClient;
use crate::s2::{BatchItem, S2Client};
use crate::store::{Direction, FetchedBatch, NewSeed, Store};

/// What a user asks to crawl.
#[derive(Debug, Clone)]
pub struct CrawlRequest {
    /// The seeds, in the order given (levels count from the nearest).
    pub seeds: Vec<PaperId>,
    /// How the crawl names its seeds, when not by their ids (`library.bib`).
    pub label: Option<String>,
    /// The seeds are the user's own library: their notes say so.
    pub from_library: bool,
    /// Levels beyond the seed.
    pub depth: u32,
    /// Which way to grow.
    pub direction: Direction,
    /// Most papers in the crawl.
    pub max_papers: Option<u32>,
    /// Summarize the crawl's papers.
    pub summarize: bool,
}

impl CrawlRequest {
    /// A request for one seed, with no budget, summaries on.
    pub fn of(seed: PaperId, depth: u32, direction: Direction) -> Self {
        Self {
            seeds: vec![seed],
            label: None,
            from_library: false,
            depth,
            direction,
            max_papers: None,
            summarize: true,
        }
    }

    /// How the crawl names its seeds: the label, else the ids as given.
    pub fn seed_label(&self) -> String {
        match &self.label {
            Some(label) => label.clone(),
            None => self.seeds.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
        }
    }

    /// Checks the numbers before anything is fetched or written.
    pub fn check(&self) -> Result<(), BadRequest> {
        if self.seeds.is_empty() {
            return Err(BadRequest {
                field: "seed",
                reason: "is missing: give at least one paper id".to_owned(),
            });
        }
        if self.depth > MAX_DEPTH {
            return Err(BadRequest {
                field: "depth",
                reason: format!(
                    "{} is too deep: use 0 to {MAX_DEPTH} (every level multiplies the papers; a budget caps them)",
                    self.depth
                ),
            });
        }
        if self.max_papers == Some(0) {
            return Err(BadRequest {
                field: "max_papers",
                reason: "0 leaves nothing to crawl: give at least 1".to_owned(),
            });
        }
        Ok(())
    }
}

/// Seeds resolved to their S2 ids, with the records that had to be fetched.
#[derive(Debug, Clone)]
pub struct ResolvedSeeds {
    /// The seeds S2 knows, in the order given (one per paper).
    pub found: Vec<NewSeed>,
    /// The seeds it does not know, or whose record is unusable: (as given, why).
    pub missing: Vec<(String, String)>,
    /// The fetched records to store (for seeds that were not fresh in the store).
    pub fetched: Option<FetchedBatch>,
    /// The fetch cutoff the seeds were resolved against, and the run starts with.
    pub cutoff: i64,
}

impl ResolvedSeeds {
    /// The S2 ids of the seeds found.
    pub fn ids(&self) -> Vec<S2Id> {
        self.found.iter().map(|s| s.paper_id.clone()).collect()
    }
}

/// An OpenAlex work id in the form S2 can look the same paper up by (its DOI or PubMed
/// id), when OpenAlex is on and knows the work.
async fn through_openalex(
    openalex: Option<&OpenAlexClient>,
    seed: &PaperId,
    not_in_s2: NotInS2,
) -> Result<String, CrawlError> {
    let Some(client) = openalex else {
        return Err(not_in_s2.into());
    };
    let PaperId::OpenAlex(work_id) = seed else {
        return Err(not_in_s2.into());
    };
    match client.work(work_id).await {
        Ok(Some(work)) => work.s2_lookup().ok_or_else(|| CrawlError::SeedUnusable {
            id: seed.to_string(),
            reason: "OpenAlex knows no DOI or PubMed id for it, so Semantic Scholar cannot look it up".to_owned(),
        }),
        Ok(None) => Err(CrawlError::SeedNotFound(vec![seed.to_string()])),
        Err(e) => Err(CrawlError::SeedUnusable {
            id: seed.to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Resolves the seeds: each from the store when it is there and fresh (no request), the
/// others with batch calls that also bring their full records. Seeds S2 does not know
/// are listed in `missing`; none found at all is [`CrawlError::SeedNotFound`].
pub async fn resolve_seeds(
    s2: &S2Client,
    openalex: Option<&OpenAlexClient>,
    store: Option<&Store>,
    req: &CrawlRequest,
    cutoff: i64,
    batch_size: usize,
) -> Result<ResolvedSeeds, CrawlError> {
    let mut found: Vec<(usize, NewSeed)> = Vec::new();
    let mut missing: Vec<(String, String)> = Vec::new();
    let mut to_fetch: Vec<(usize, &PaperId, String)> = Vec::new();
    for (position, seed) in req.seeds.iter().enumerate() {
        if let Some(store) = store
            && let Some(id) = store.find_paper_by(seed).await?
            && let Some(paper) = store.papers(&[id.to_string()]).await?.pop()
            && paper.fetched_at.is_some_and(|t| t >= cutoff)
            && (!req.direction.follows_citations() || paper.citations_fetched_at.is_some_and(|t| t >= cutoff))
        {
            found.push((
                position,
                NewSeed {
                    paper_id: id,
                    input: seed.to_string(),
                    priority: priority::priority(paper.citation_count, paper.year),
                },
            ));
            continue;
        }
        match seed.api_form() {
            Ok(api) => to_fetch.push((position, seed, api)),
            Err(e) => match through_openalex(openalex, seed, e).await {
                Ok(api) => to_fetch.push((position, seed, api)),
                Err(e) if req.seeds.len() == 1 => return Err(e),
                Err(e) => missing.push((seed.to_string(), e.to_string())),
            },
        }
    }
    let with_citations = req.direction.follows_citations() && req.depth > 0;
    let mut batch = FetchedBatch::default();
    for chunk in to_fetch.chunks(batch_size.clamp(1, 500)) {
        let ids: Vec<String> = chunk.iter().map(|(_, _, api)| api.clone()).collect();
        let items = s2.batch(&ids, &batch_fields(with_citations)).await?;
        for ((position, seed, _), item) in chunk.iter().zip(items) {
            let paper = match item {
                BatchItem::Found(paper) => *paper,
                BatchItem::Malformed(reason) => {
                    if req.seeds.len() == 1 {
                        return Err(CrawlError::SeedUnusable {
                            id: seed.to_string(),
                            reason,
                        });
                    }
                    missing.push((seed.to_string(), format!("its record is unusable ({reason})")));
                    continue;
                }
                BatchItem::Missing => {
                    missing.push((seed.to_string(), "not found on Semantic Scholar".to_owned()));
                    continue;
                }
            };
            let parsed: Option<Result<S2Id, BadS2Id>> = paper.paper_id.as_deref().map(str::parse);
            let paper_id = match parsed {
                Some(Ok(id)) => id,
                Some(Err(e)) => {
                    missing.push((seed.to_string(), e.to_string()));
                    continue;
                }
                None => {
                    missing.push((seed.to_string(), "not found on Semantic Scholar".to_owned()));
                    continue;
                }
            };
            let priority = priority::priority(paper.citation_count, paper.year);
            absorb(s2, &mut batch, paper_id.as_str(), paper, with_citations).await?;
            found.push((
                *position,
                NewSeed {
                    paper_id,
                    input: seed.to_string(),
                    priority,
                },
            ));
        }
    }
    found.sort_by_key(|(position, _)| *position);
    let mut seen = std::collections::HashSet::new();
    let found: Vec<NewSeed> = found
        .into_iter()
        .map(|(_, seed)| seed)
        .filter(|seed| seen.insert(seed.paper_id.clone()))
        .collect();
    if found.is_empty() {
        return Err(CrawlError::SeedNotFound(
            req.seeds.iter().map(ToString::to_string).collect(),
        ));
    }
    Ok(ResolvedSeeds {
        found,
        missing,
        fetched: (!batch.papers.is_empty()).then_some(batch),
        cutoff,
    })
}
