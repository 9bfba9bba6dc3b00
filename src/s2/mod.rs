//! Semantic Scholar Graph API client.
//!
//! Requests are the scarce resource (a key starts at one request per second across all
//! endpoints, and 429s arrive without `Retry-After`, even under the limit), so:
//! - every request of the process waits on one governor limiter (`REFNET_S2_RPS`);
//! - 429, 5xx, timeouts and dropped connections are retried with exponential backoff and
//!   jitter, honouring `Retry-After` if one ever comes; 400/404 are never retried;
//! - one request, retries and waits included, gives up after `s2.give_up_secs` (an API
//!   that accepts connections and never answers ends the run in bounded time), and the
//!   request waiting longest is shown on the progress line (`send`);
//! - papers are fetched with `POST /paper/batch` (≤ 500 ids, `null` for unknown ids); a
//!   batch the API refuses as too large (the 10 MB cap) is split in halves and retried;
//! - `/references` and `/citations` are paged (limit ≤ 1000) only up to what the API can
//!   reach (1,000 references, 10,000 citations); a longer list is reported as truncated.

pub mod model;
mod send;

use std::sync::Arc;
use std::time::Duration;

use governor::DefaultDirectRateLimiter;
use tracing::debug;

use crate::metrics::Counters;
use crate::retry::Backoff;
use crate::secret::Secret;
use crate::settings::S2Settings;
use model::{EdgePage, Paper, PaperRef};
pub use send::Waiting;

/// How far `/references` can be paged: the API returns nothing past offset 1000.
pub const REFERENCES_REACH: u64 = 1_000;
/// How far `/citations` can be paged: offset + limit must stay below 10,000.
pub const CITATIONS_REACH: u64 = 9_999;
/// The most entries the API nests per paper in a batch answer.
pub const NESTED_CAP: usize = 1_000;
/// Largest page of `/references` and `/citations`.
const PAGE_LIMIT: u64 = 1_000;

/// A failed call to Semantic Scholar, after any retries. Messages never contain the key.
#[derive(Debug, thiserror::Error)]
pub enum S2Error {
    /// 404.
    #[error("{0} was not found on Semantic Scholar")]
    NotFound(String),
    /// 400 (not retried).
    #[error("Semantic Scholar refused the request for {what}: {message}")]
    BadRequest {
        /// What was asked for.
        what: String,
        /// The API's `error` text.
        message: String,
    },
    /// 403.
    #[error("the S2 API key was refused (403 {0}): check S2_API_KEY, or unset it to use the shared pool")]
    KeyRefused(String),
    /// 403 without a key.
    #[error("Semantic Scholar answered 403 Forbidden ({0}) to an unauthenticated request: set S2_API_KEY")]
    Forbidden(String),
    /// Still throttled after every retry.
    #[error(
        "Semantic Scholar still answered 429 Too Many Requests after {attempts} attempts: lower REFNET_S2_RPS, set S2_API_KEY, or try again later"
    )]
    RateLimited {
        /// Attempts made.
        attempts: u32,
    },
    /// A 5xx (or other unexpected status) after every retry.
    #[error("Semantic Scholar answered {status} after {attempts} attempts for {what}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// What was asked for.
        what: String,
        /// The API's message.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No answer within `s2.give_up_secs`, retries and waits included (a hung API).
    #[error(
        "Semantic Scholar gave no answer for {what} within {secs} s ({reason}): check the network or REFNET_S2_URL, or raise s2.give_up_secs"
    )]
    GaveUp {
        /// What was asked for.
        what: String,
        /// The give-up bound, in seconds.
        secs: u64,
        /// Why the last attempt failed.
        reason: String,
    },
    /// No answer at all after every retry.
    #[error(
        "cannot reach Semantic Scholar at {base} after {attempts} attempts ({reason}): check the network or REFNET_S2_URL"
    )]
    Unreachable {
        /// The configured base URL.
        base: String,
        /// Why the last attempt failed.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An answer that is not what the API documents.
    #[error("unreadable answer from Semantic Scholar for {what}: {reason}")]
    Decode {
        /// What was asked for.
        what: String,
        /// Why it could not be read.
        reason: String,
    },
}

impl S2Error {
    /// Whether trying again later could help (the API or network was unwell), as opposed
    /// to a request that will always fail. A request that used up `s2.give_up_secs` is
    /// not: that bound is the user's, and the run ends on it (to be resumed by hand).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Unreachable { .. }
        )
    }
}

/// One entry of a batch answer, in request order.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchItem {
    /// The paper's record.
    Found(Box<Paper>),
    /// `null`: S2 does not know this id.
    Missing,
    /// A record refnet could not read; the reason is kept for the crawl's report.
    Malformed(String),
}

/// One edge from a paged list: the other paper and whether S2 marks the edge influential.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The paper at the other end.
    pub paper: PaperRef,
    /// S2's influential-citation flag.
    pub is_influential: Option<bool>,
}

/// A paged list of references or citations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeList {
    /// Entries in API order, including unresolved ones (`paper_id: None`).
    pub edges: Vec<Edge>,
    /// The list goes on past what the API lets anyone reach.
    pub truncated: bool,
}

/// Which list of a paper to page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// What the paper cites.
    References,
    /// What cites the paper.
    Citations,
}

impl EdgeKind {
    fn path(self) -> &'static str {
        match self {
            Self::References => "references",
            Self::Citations => "citations",
        }
    }

    /// How far this list can be paged.
    pub fn reach(self) -> u64 {
        match self {
            Self::References => REFERENCES_REACH,
            Self::Citations => CITATIONS_REACH,
        }
    }
}

/// The Semantic Scholar client. Cheap to clone; clones share the limiter.
#[derive(Clone)]
pub struct S2Client {
    http: reqwest::Client,
    base: String,
    key: Option<Secret>,
    limiter: Arc<DefaultDirectRateLimiter>,
    backoff: Backoff,
    max_retries: u32,
    timeout: Duration,
    give_up_after: Duration,
    counters: Arc<Counters>,
    in_flight: Arc<send::InFlight>,
}

impl std::fmt::Debug for S2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S2Client")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl S2Client {
    /// A client for the configured API, sharing `http` and reporting into `counters`.
    pub fn new(settings: &S2Settings, http: reqwest::Client, counters: Arc<Counters>) -> Self {
        Self {
            http,
            base: settings.url.as_str().trim_end_matches('/').to_owned(),
            key: settings.api_key.clone(),
            limiter: Arc::new(crate::retry::limiter(settings.rps)),
            backoff: Backoff {
                base: settings.retry_base,
                max: settings.retry_max,
            },
            max_retries: settings.max_retries,
            timeout: settings.timeout,
            give_up_after: settings.give_up_after,
            counters,
            in_flight: Arc::default(),
        }
    }

    /// `POST /paper/batch`: one item per id, in request order. Batches larger than 500
    /// are sent in several calls; a batch refused as too large is split and retried.
    pub async fn batch(&self, ids: &[String], fields: &str) -> Result<Vec<BatchItem>, S2Error> {
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            items.extend(self.batch_splitting(chunk, fields).await?);
        }
        Ok(items)
    }

    async fn batch_splitting(&self, ids: &[String], fields: &str) -> Result<Vec<BatchItem>, S2Error> {
        match self.batch_once(ids, fields).await {
            Err(S2Error::BadRequest { message, .. }) if ids.len() > 1 && !is_field_error(&message) => {
                // The API refuses answers over 10 MB with a 400; halves are smaller.
                debug!(ids = ids.len(), %message, "batch refused, splitting");
                let (left, right) = ids.split_at(ids.len() / 2);
                let mut items = Box::pin(self.batch_splitting(left, fields)).await?;
                items.extend(Box::pin(self.batch_splitting(right, fields)).await?);
                Ok(items)
            }
            other => other,
        }
    }

    async fn batch_once(&self, ids: &[String], fields: &str) -> Result<Vec<BatchItem>, S2Error> {
        let what = format!("a batch of {} papers", ids.len());
        let url = format!("{}/paper/batch", self.base);
        let body = serde_json::json!({ "ids": ids });
        let bytes = self
            .send(&what, || self.http.post(&url).query(&[("fields", fields)]).json(&body))
            .await?;
        let values: Vec<serde_json::Value> = serde_json::from_slice(&bytes).map_err(|e| S2Error::Decode {
            what: what.clone(),
            reason: format!("not a JSON list ({e})"),
        })?;
        if values.len() != ids.len() {
            return Err(S2Error::Decode {
                what,
                reason: format!("{} entries for {} ids", values.len(), ids.len()),
            });
        }
        Ok(values.into_iter().map(batch_item).collect())
    }

    /// Pages a paper's references or citations from `start` until the list ends or the
    /// API's reach is met (then `truncated` is set).
    pub async fn edges(&self, paper_id: &str, kind: EdgeKind, start: u64) -> Result<EdgeList, S2Error> {
        let fields = "paperId,title,year,citationCount,isInfluential";
        let url = format!("{}/paper/{}/{}", self.base, paper_id, kind.path());
        let mut list = EdgeList::default();
        let mut offset = start;
        loop {
            let limit = PAGE_LIMIT.min(kind.reach().saturating_sub(offset));
            if limit == 0 {
                list.truncated = true;
                return Ok(list);
            }
            let what = format!("{} of {paper_id} from {offset}", kind.path());
            let bytes = self
                .send(&what, || {
                    self.http.get(&url).query(&[
                        ("offset", offset.to_string()),
                        ("limit", limit.to_string()),
                        ("fields", fields.to_owned()),
                    ])
                })
                .await?;
            let page: EdgePage = serde_json::from_slice(&bytes).map_err(|e| S2Error::Decode {
                what: what.clone(),
                reason: e.to_string(),
            })?;
            let got = page.data.len() as u64;
            list.edges.extend(page.data.into_iter().filter_map(|item| {
                let paper = match kind {
                    EdgeKind::References => item.cited_paper,
                    EdgeKind::Citations => item.citing_paper,
                }?;
                Some(Edge {
                    paper,
                    is_influential: item.is_influential,
                })
            }));
            match page.next {
                // A `next` that does not move forward would loop forever.
                Some(next) if next > offset && got > 0 => offset = next,
                _ => return Ok(list),
            }
        }
    }
}

/// A 400 about the `fields` parameter would come back for every half: don't split it.
fn is_field_error(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("unrecognized") || lower.contains("unsupported field") || lower.contains("invalid field")
}

fn batch_item(value: serde_json::Value) -> BatchItem {
    if value.is_null() {
        return BatchItem::Missing;
    }
    match serde_json::from_value::<Paper>(value) {
        Ok(paper) if paper.paper_id.as_deref().is_some_and(is_sha) => BatchItem::Found(Box::new(paper)),
        Ok(_) => BatchItem::Malformed("record without a valid paperId".to_owned()),
        Err(e) => BatchItem::Malformed(format!("unreadable record: {e}")),
    }
}

/// A 40-hex S2 paper id.
pub fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_items_tell_null_from_malformed_from_found() {
        assert_eq!(batch_item(serde_json::Value::Null), BatchItem::Missing);
        let sha = "649def34f8be52c8b66281af98ae884c09aef38b";
        match batch_item(serde_json::json!({"paperId": sha, "title": "T"})) {
            BatchItem::Found(p) => assert_eq!(p.title.as_deref(), Some("T")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            batch_item(serde_json::json!({"paperId": sha, "year": "nineteen"})),
            BatchItem::Malformed(_)
        ));
        assert!(matches!(
            batch_item(serde_json::json!({"title": "no id"})),
            BatchItem::Malformed(_)
        ));
        assert!(matches!(batch_item(serde_json::json!([1, 2])), BatchItem::Malformed(_)));
    }

    #[test]
    fn field_errors_are_not_split() {
        assert!(is_field_error("Unrecognized or unsupported fields: [unknown]"));
        assert!(!is_field_error(
            "Response would exceed maximum size. Please reduce the number of ids or fields."
        ));
    }
}
