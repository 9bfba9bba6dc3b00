//! A fake Semantic Scholar Graph API on 127.0.0.1, port 0, over a [`Corpus`]. It keeps
//! the real API's shapes and limits: batch answers in request order with `null` for
//! unknown ids and at most 500 ids, nested lists capped at 1000, a response-size cap
//! answered with a 400, `/references` empty past offset 1000, `/citations` refusing
//! offset + limit ≥ 10,000, unknown fields refused, `x-api-key` checked, an optional
//! request-rate limit answered with 429s (without `Retry-After`, as S2 does), and a
//! script of forced answers for retry tests. Every request is logged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::corpus::Corpus;
use super::serve_loopback;
use shapes::{bad_request, edge_page, paper_json, parse_fields, query_param};

mod shapes;

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// `POST /paper/batch`, `GET /paper/<id>/references`, …
    pub route: String,
    /// Ids in a batch body.
    pub ids: Vec<String>,
    /// Query string.
    pub query: String,
    /// Status answered.
    pub status: u16,
}

/// A forced answer, consumed by the next request.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// Answer with this status and JSON body.
    Status(u16, Value),
    /// Answer 429 with a `Retry-After` header (seconds).
    RetryAfter(u64),
    /// Wait this long before answering normally (to trip client timeouts).
    Delay(Duration),
    /// Answer normally (to let some requests through before a forced answer).
    Pass,
}

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// Required `x-api-key`, if any (others get 403).
    pub api_key: Option<String>,
    /// Requests per second allowed; faster requests get 429.
    pub rate_limit: Option<f64>,
    /// Largest response body; larger batch answers are refused with a 400.
    pub max_response_bytes: usize,
    /// A delay added to every answer.
    pub latency: Duration,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            api_key: None,
            rate_limit: None,
            max_response_bytes: 10 * 1024 * 1024,
            latency: Duration::ZERO,
        }
    }
}

struct Inner {
    corpus: Corpus,
    log: Vec<Logged>,
    script: VecDeque<Scripted>,
    last_request: Option<Instant>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    options: FakeOptions,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running fake S2.
pub struct FakeS2 {
    /// Base URL, like `http://127.0.0.1:PORT/graph/v1`.
    pub url: String,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeS2 {
    /// Serves `corpus` with default options.
    pub async fn start(corpus: Corpus) -> Self {
        Self::start_with(corpus, FakeOptions::default()).await
    }

    /// Serves `corpus` with `options`.
    pub async fn start_with(corpus: Corpus, options: FakeOptions) -> Self {
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                corpus,
                log: Vec::new(),
                script: VecDeque::new(),
                last_request: None,
            })),
            options,
        };
        let app = axum::Router::new()
            .route("/graph/v1/paper/batch", post(batch))
            .route("/graph/v1/paper/{*rest}", get(paper_get))
            .with_state(shared.clone());
        let (addr, server) = serve_loopback(app).await;
        Self {
            url: format!("http://{addr}/graph/v1"),
            shared,
            _server: server,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.shared.lock().log.clone()
    }

    /// Number of requests so far.
    pub fn request_count(&self) -> usize {
        self.shared.lock().log.len()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Forces the next answers.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.shared.lock().script.extend(answers);
    }

    /// Changes the corpus (e.g. new citing papers for a refresh).
    pub fn with_corpus<T>(&self, f: impl FnOnce(&mut Corpus) -> T) -> T {
        f(&mut self.shared.lock().corpus)
    }
}

/// What to do before answering: a scripted answer, a throttle, or go ahead.
enum Gate {
    Answer(Response),
    Proceed(Option<Duration>),
}

fn gate(shared: &Shared, headers: &HeaderMap, route: &str, ids: &[String], query: &str) -> Gate {
    let mut inner = shared.lock();
    let log = |status: u16, inner: &mut Inner| {
        inner.log.push(Logged {
            route: route.to_owned(),
            ids: ids.to_vec(),
            query: query.to_owned(),
            status,
        });
    };
    let now = Instant::now();
    let too_fast = match (shared.options.rate_limit, inner.last_request) {
        (Some(rps), Some(last)) => now.duration_since(last) < Duration::from_secs_f64(1.0 / rps).mul_f64(0.95),
        _ => false,
    };
    inner.last_request = Some(now);
    if let Some(scripted) = inner.script.pop_front() {
        match scripted {
            Scripted::Status(status, body) => {
                log(status, &mut inner);
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Gate::Answer((code, Json(body)).into_response());
            }
            Scripted::RetryAfter(secs) => {
                log(429, &mut inner);
                return Gate::Answer(
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", secs.to_string())],
                        Json(json!({"message": "Too Many Requests"})),
                    )
                        .into_response(),
                );
            }
            Scripted::Delay(d) => {
                log(200, &mut inner);
                return Gate::Proceed(Some(d));
            }
            Scripted::Pass => {}
        }
    }
    if let Some(expected) = &shared.options.api_key
        && headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
    {
        log(403, &mut inner);
        return Gate::Answer((StatusCode::FORBIDDEN, Json(json!({"message": "Forbidden"}))).into_response());
    }
    if too_fast {
        log(429, &mut inner);
        return Gate::Answer(
            (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits.", "code": "429"})),
            )
                .into_response(),
        );
    }
    log(200, &mut inner);
    Gate::Proceed(None)
}

async fn batch(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let query = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let ids: Vec<String> = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("ids").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    match gate(&shared, &headers, "POST /paper/batch", &ids, &query) {
        Gate::Answer(r) => return r,
        Gate::Proceed(delay) => pause(delay.unwrap_or(shared.options.latency)).await,
    }
    if ids.len() > 500 {
        return bad_request("Too many ids in request, must be <= 500");
    }
    let fields = match parse_fields(&query_param(&query, "fields").unwrap_or_default()) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    let answer: Vec<Value> = {
        let inner = shared.lock();
        ids.iter()
            .map(|id| match inner.corpus.resolve(id) {
                Some(idx) if inner.corpus.paper(idx).hidden => Value::Null,
                Some(idx) if inner.corpus.paper(idx).malformed => {
                    json!({"paperId": inner.corpus.paper(idx).id, "year": "nineteen-ninety", "authors": "nobody"})
                }
                Some(idx) => paper_json(&inner.corpus, idx, &fields),
                None => Value::Null,
            })
            .collect()
    };
    let body = serde_json::to_vec(&answer).unwrap_or_default();
    if body.len() > shared.options.max_response_bytes {
        if let Some(last) = shared.lock().log.last_mut() {
            last.status = 400;
        }
        return bad_request("Response would exceed maximum size. Please reduce the number of ids or fields.");
    }
    ([("content-type", "application/json")], body).into_response()
}

async fn paper_get(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(rest): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let query = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let (id, list) = match rest.rsplit_once('/') {
        Some((id, "references")) => (id.to_owned(), Some("references")),
        Some((id, "citations")) => (id.to_owned(), Some("citations")),
        _ => (rest.clone(), None),
    };
    let route = match list {
        Some(l) => format!("GET /paper/{id}/{l}"),
        None => format!("GET /paper/{id}"),
    };
    match gate(&shared, &headers, &route, &[], &query) {
        Gate::Answer(r) => return r,
        Gate::Proceed(delay) => pause(delay.unwrap_or(shared.options.latency)).await,
    }
    let inner = shared.lock();
    let Some(idx) = inner.corpus.resolve(&id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("Paper with id {id} not found")})),
        )
            .into_response();
    };
    match list {
        None => match parse_fields(&query_param(&query, "fields").unwrap_or_else(|| "paperId,title".to_owned())) {
            Ok(fields) => Json(paper_json(&inner.corpus, idx, &fields)).into_response(),
            Err(e) => bad_request(&e),
        },
        Some(_) if inner.corpus.paper(idx).unpageable => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("Paper with id {id} not found")})),
        )
            .into_response(),
        Some(_) if inner.corpus.paper(idx).unreadable_lists => (
            [("content-type", "application/json")],
            "{\"offset\": 0, \"data\": [{\"citedPa",
        )
            .into_response(),
        Some(kind) => edge_page(&inner.corpus, idx, kind, &query),
    }
}

async fn pause(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}
