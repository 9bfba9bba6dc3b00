//! The OpenAlex client: the second source, for what Semantic Scholar lacks (abstracts,
//! open-access PDFs, venues) and for OpenAlex work ids a user pastes.
//!
//! Asked only when a key or contact address is set (`openalex.api_key` /
//! `REFNET_OPENALEX_KEY`, `openalex.mailto`): with neither, no request is ever made. Look-ups
//! are batched (`filter=doi:A|B|…`, up to 100 DOIs a call, `select=` only the fields
//! read), wait on their own limiter (`openalex.rps`), and are retried on 5xx and dropped
//! connections. OpenAlex is never worth failing a crawl for: a 429 (often the daily budget
//! spent), a refused key or an API that stays down turns the client off for a while with
//! one warning, and the crawl goes on with Semantic Scholar's data.

pub mod model;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::DefaultDirectRateLimiter;
use reqwest::StatusCode;
use tracing::{debug, warn};

pub use model::{Work, WorksPage, bare_doi};

use crate::retry::{Backoff, retry_after};
use crate::secret::Secret;
use crate::settings::OpenAlexSettings;

/// Most values one OR filter may hold (OpenAlex's limit).
pub const MAX_FILTER_VALUES: usize = 100;

/// The fields refnet reads.
const SELECT: &str = "id,doi,abstract_inverted_index,best_oa_location,primary_location,ids";

/// Retries of one request after 5xx answers or dropped connections.
const RETRIES: u32 = 2;

/// The longest `Retry-After` waited out in place; a longer one turns the client off.
const SHORT_WAIT: Duration = Duration::from_secs(5);

/// How long the client stays off after OpenAlex stayed down, or said 429 without a wait.
const OFF_WHEN_DOWN: Duration = Duration::from_secs(300);

/// What a request came to, besides works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenAlexError {
    /// The client is off after an earlier failure (until the time has passed).
    #[error("OpenAlex is off for now: {0}")]
    Off(String),
    /// 429: too fast, or the day's budget is spent.
    #[error("OpenAlex answered 429 (too many requests, or the key's daily budget is spent)")]
    Throttled,
    /// 401/403: the key is wrong.
    #[error("OpenAlex refused the key ({0}): check openalex.api_key / REFNET_OPENALEX_KEY")]
    Refused(u16),
    /// Down, unreachable or answering 5xx after retries.
    #[error("OpenAlex is unavailable ({0})")]
    Unavailable(String),
    /// Another 4xx (a filter OpenAlex would not take).
    #[error("OpenAlex rejected the request ({0})")]
    Rejected(u16),
    /// A body that does not parse.
    #[error("OpenAlex sent a body refnet cannot read ({0})")]
    Malformed(String),
}

/// The OpenAlex API, shared by the whole process.
#[derive(Clone)]
pub struct OpenAlexClient {
    http: reqwest::Client,
    base: String,
    key: Option<Secret>,
    mailto: Option<String>,
    limiter: Arc<DefaultDirectRateLimiter>,
    backoff: Backoff,
    /// Until when the client stays off, and why.
    off: Arc<Mutex<Option<(Instant, String)>>>,
}

impl std::fmt::Debug for OpenAlexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAlexClient")
            .field("base", &self.base)
            .field("key", &self.key)
            .field("mailto", &self.mailto)
            .finish_non_exhaustive()
    }
}

impl OpenAlexClient {
    /// The client, or `None` when OpenAlex is off (no key and no contact address).
    pub fn new(settings: &OpenAlexSettings, http: reqwest::Client) -> Option<Self> {
        settings.enabled().then(|| Self {
            http,
            base: settings.url.as_str().trim_end_matches('/').to_owned(),
            key: settings.api_key.clone(),
            mailto: settings.mailto.clone(),
            limiter: Arc::new(crate::retry::limiter(settings.rps)),
            backoff: Backoff {
                base: Duration::from_millis(500),
                max: Duration::from_secs(5),
            },
            off: Arc::default(),
        })
    }

    /// One page of the works with these DOIs (at most [`MAX_FILTER_VALUES`]); `cursor`
    /// `None` asks for the first page. DOIs OpenAlex's filter syntax cannot carry (with
    /// `|`, `,` or `+`) are the caller's to leave out.
    pub async fn works_by_doi(&self, dois: &[String], cursor: Option<&str>) -> Result<WorksPage, OpenAlexError> {
        let filter = format!("doi:{}", dois.join("|"));
        let per_page = MAX_FILTER_VALUES.to_string();
        let mut query: Vec<(&str, &str)> = vec![
            ("filter", filter.as_str()),
            ("select", SELECT),
            ("per-page", per_page.as_str()),
            ("cursor", cursor.unwrap_or("*")),
        ];
        let answer = self.get("/works", &mut query).await?;
        serde_json::from_slice(&answer).map_err(|e| OpenAlexError::Malformed(e.to_string()))
    }

    /// One work by its OpenAlex id (`W…`); `None` when OpenAlex does not know it.
    pub async fn work(&self, id: &str) -> Result<Option<Work>, OpenAlexError> {
        let path = format!(
            "/works/{}",
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        match self.get(&path, &mut vec![("select", SELECT)]).await {
            Ok(body) => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| OpenAlexError::Malformed(e.to_string())),
            Err(OpenAlexError::Rejected(404)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Why the client is off, while it is.
    pub fn off_reason(&self) -> Option<String> {
        let mut off = self.off.lock().ok()?;
        match &*off {
            Some((until, why)) if Instant::now() < *until => Some(why.clone()),
            Some(_) => {
                *off = None;
                None
            }
            None => None,
        }
    }

    /// A GET with the key and contact address, limited, retried, and turning the client
    /// off when OpenAlex will not serve it for a while.
    async fn get<'a>(&'a self, path: &str, query: &mut Vec<(&'a str, &'a str)>) -> Result<bytes::Bytes, OpenAlexError> {
        if let Some(why) = self.off_reason() {
            return Err(OpenAlexError::Off(why));
        }
        if let Some(key) = &self.key {
            query.push(("api_key", key.expose()));
        }
        if let Some(mailto) = &self.mailto {
            query.push(("mailto", mailto.as_str()));
        }
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            self.limiter.until_ready().await;
            let sent = self
                .http
                .get(&url)
                .query(query)
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            let outcome = match sent {
                Ok(response) => self.answer(response).await,
                // Without the URL: it carries the key.
                Err(e) => Err((OpenAlexError::Unavailable(e.without_url().to_string()), None)),
            };
            match outcome {
                Ok(body) => return Ok(body),
                Err((OpenAlexError::Unavailable(why), _)) if attempt < RETRIES => {
                    debug!(%why, attempt, "OpenAlex request failed; retrying");
                    tokio::time::sleep(self.backoff.delay(attempt)).await;
                }
                Err((OpenAlexError::Throttled, Some(wait))) if attempt < RETRIES && wait <= SHORT_WAIT => {
                    tokio::time::sleep(wait).await;
                }
                Err((e, wait)) => {
                    self.turn_off(&e, wait);
                    return Err(e);
                }
            }
            attempt += 1;
        }
    }

    /// A response's body, or its failure with any `Retry-After`.
    async fn answer(&self, response: reqwest::Response) -> Result<bytes::Bytes, (OpenAlexError, Option<Duration>)> {
        let status = response.status();
        if status.is_success() {
            return response
                .bytes()
                .await
                .map_err(|e| (OpenAlexError::Unavailable(e.without_url().to_string()), None));
        }
        let code = status.as_u16();
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => (OpenAlexError::Throttled, retry_after(response.headers())),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => (OpenAlexError::Refused(code), None),
            s if s.is_server_error() => (OpenAlexError::Unavailable(format!("HTTP {code}")), None),
            _ => (OpenAlexError::Rejected(code), None),
        })
    }

    /// Turns the client off after a failure that asking again soon would repeat, with one
    /// warning.
    fn turn_off(&self, error: &OpenAlexError, wait: Option<Duration>) {
        let span = match error {
            OpenAlexError::Throttled => wait.unwrap_or(OFF_WHEN_DOWN).max(SHORT_WAIT),
            OpenAlexError::Unavailable(_) => OFF_WHEN_DOWN,
            // A wrong key stays wrong for this process.
            OpenAlexError::Refused(_) => Duration::from_secs(24 * 3600),
            OpenAlexError::Off(_) | OpenAlexError::Rejected(_) | OpenAlexError::Malformed(_) => return,
        };
        warn!(error = %error, off_for_secs = span.as_secs(), "OpenAlex is off for now; notes keep Semantic Scholar's data");
        if let Ok(mut off) = self.off.lock() {
            *off = Some((Instant::now() + span, error.to_string()));
        }
    }
}

/// Whether OpenAlex's filter syntax can carry this DOI as one OR value.
pub fn filterable(doi: &str) -> bool {
    !doi.is_empty() && !doi.contains(['|', ',', '+', '&', '#']) && doi.starts_with("10.")
}
