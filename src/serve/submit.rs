//! Reading a crawl request (the API's JSON, the dashboard's form) and starting it: the
//! fields and their errors, seed resolution, and `crawl::start`.

use std::str::FromStr;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::failure::{ApiError, bad, failure, unavailable};
use crate::context::Context;
use crate::crawl::{self, CrawlError, CrawlRequest};
use crate::ids::PaperId;
use crate::store::{Crawl, Direction, now};

/// The fields `POST /api/crawls` takes.
const CRAWL_FIELDS: &str = "seed, depth, direction, max_papers, summarize";

/// Reads a crawl request from a JSON object; the error names the field.
pub fn crawl_request(body: &Map<String, Value>) -> Result<CrawlRequest, ApiError> {
    if let Some(unknown) = body
        .keys()
        .find(|k| !["seed", "depth", "direction", "max_papers", "summarize"].contains(&k.as_str()))
    {
        return Err(bad(unknown, format!("unknown field {unknown:?}: use {CRAWL_FIELDS}")));
    }
    let seeds = match body.get("seed") {
        Some(Value::String(s)) => vec![PaperId::from_str(s).map_err(|e| bad("seed", e))?],
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_SEEDS => list
            .iter()
            .map(|v| match v {
                Value::String(s) => PaperId::from_str(s).map_err(|e| bad("seed", e)),
                _ => Err(bad("seed", "every seed must be a string, e.g. \"ARXIV:1706.03762\"")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Array(list)) if list.len() > MAX_SEEDS => {
            return Err(bad(
                "seed",
                format!(
                    "{} seeds are too many for one crawl: give at most {MAX_SEEDS}",
                    list.len()
                ),
            ));
        }
        Some(_) => {
            return Err(bad(
                "seed",
                "seed must be a paper id or a list of them, e.g. \"ARXIV:1706.03762\"",
            ));
        }
        None => {
            return Err(bad(
                "seed",
                "seed is missing: give a paper id, e.g. \"ARXIV:1706.03762\"",
            ));
        }
    };
    let whole = |field: &str, v: &Value| -> Result<u32, ApiError> {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad(field, format!("{field} must be a whole number ≥ 0, not {v}")))
    };
    let depth = match body.get("depth") {
        None | Some(Value::Null) => 1,
        Some(v) => whole("depth", v)?,
    };
    let direction = match body.get("direction") {
        None | Some(Value::Null) => Direction::References,
        Some(Value::String(s)) => Direction::from_str(s).map_err(|e| bad("direction", e))?,
        Some(v) => return Err(bad("direction", format!("direction must be a string, not {v}"))),
    };
    let max_papers = match body.get("max_papers") {
        None | Some(Value::Null) => None,
        Some(v) => Some(whole("max_papers", v)?),
    };
    let summarize = match body.get("summarize") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => return Err(bad("summarize", format!("summarize must be true or false, not {v}"))),
    };
    let request = CrawlRequest {
        seeds,
        label: None,
        from_library: false,
        depth,
        direction,
        max_papers,
        summarize,
    };
    request.check().map_err(|e| bad(e.field, e))?;
    Ok(request)
}

/// What starting a crawl did.
pub enum Submitted {
    /// A new run began.
    Started(Crawl),
    /// The same crawl is still running.
    AlreadyRunning(Crawl),
}

/// Most seeds one crawl takes through the API (a library's worth).
const MAX_SEEDS: usize = 1000;

/// Starts a crawl (or finds it running): resolve the seeds, begin a run, enqueue its
/// first level. Shared by the API and the dashboard.
pub async fn submit(ctx: &Context, request: &CrawlRequest) -> Result<Submitted, ApiError> {
    let cutoff = crawl::fresh_cutoff_at(now(), &ctx.settings);
    let resolved = crawl::resolve_seeds(
        &ctx.s2,
        ctx.openalex.as_ref(),
        Some(&ctx.store),
        request,
        cutoff,
        ctx.settings.s2.batch_size,
    )
    .await
    .map_err(|e| match e {
        CrawlError::SeedNotFound(_) | CrawlError::SeedUnusable { .. } | CrawlError::SeedNotInS2(_) => {
            failure(StatusCode::UNPROCESSABLE_ENTITY, Some("seed"), &e.to_string())
        }
        CrawlError::Store(e) => unavailable(&e),
        other => failure(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            &format!("cannot reach Semantic Scholar to resolve the seed ({other}); try again later"),
        ),
    })?;
    let run = crawl::Run::Request {
        request,
        seeds: &resolved,
    };
    match crawl::start(ctx, run, crawl::IfRunning::Join).await {
        Ok(crawl::Start::Started(c)) => Ok(Submitted::Started(c)),
        Ok(crawl::Start::AlreadyRunning(c)) => Ok(Submitted::AlreadyRunning(c)),
        Err(CrawlError::Store(e)) => Err(unavailable(&e)),
        Err(other) => Err(failure(StatusCode::SERVICE_UNAVAILABLE, None, &other.to_string())),
    }
}
