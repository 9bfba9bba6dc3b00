//! A fake OpenAlex on 127.0.0.1: `/works?filter=doi:A|B` with `select`, `per-page` and
//! cursor paging, `/works/{id}`, abstracts as inverted indexes, and scripted failures
//! (429s, a key it refuses, an API that is down). It logs every request's query.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// How the fake misbehaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mood {
    /// Answers.
    #[default]
    Fine,
    /// The next `n` requests answer 429 (with `Retry-After: 0`), then it answers again.
    Throttled(usize),
    /// Every request answers 429 with no `Retry-After` (a spent daily budget).
    BudgetSpent,
    /// Every request answers 503.
    Down,
}

#[derive(Default)]
struct Shared {
    works: Vec<Value>,
    mood: Mutex<Mood>,
    key: Option<String>,
    log: Mutex<Vec<HashMap<String, String>>>,
    requests: AtomicUsize,
    /// Most works a page holds whatever `per-page` asks (0: no cap), to make paging happen.
    page_cap: AtomicUsize,
}

/// A running fake OpenAlex.
pub struct FakeOpenAlex {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Shared>,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeOpenAlex {
    /// Serves `works` (OpenAlex work objects); with `key`, requests without that
    /// `api_key` get 401.
    pub async fn start(works: Vec<Value>, key: Option<&str>) -> Self {
        let shared = Arc::new(Shared {
            works,
            key: key.map(ToOwned::to_owned),
            ..Shared::default()
        });
        let app = axum::Router::new()
            .route("/works", get(list))
            .route("/works/{id}", get(one))
            .with_state(shared.clone());
        let (addr, server) = super::serve_loopback(app).await;
        Self {
            url: format!("http://{addr}"),
            shared,
            _server: server,
        }
    }

    /// A work object as OpenAlex sends it, its abstract as an inverted index.
    pub fn work(id: &str, doi: &str, abstract_text: Option<&str>, pdf: Option<&str>, venue: Option<&str>) -> Value {
        let index = abstract_text.map(|text| {
            let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
            for (i, word) in text.split_whitespace().enumerate() {
                index.entry(word).or_default().push(i);
            }
            index
        });
        json!({
            "id": format!("https://openalex.org/{id}"),
            "doi": format!("https://doi.org/{doi}"),
            "title": format!("Work {id}"),
            "abstract_inverted_index": index,
            "best_oa_location": pdf.map(|p| json!({"pdf_url": p, "landing_page_url": p})),
            "primary_location": venue.map(|v| json!({"source": {"display_name": v, "type": "journal"}})),
            "ids": {"openalex": format!("https://openalex.org/{id}")},
            "cited_by_count": 7,
        })
    }

    /// Sets how it answers from now on.
    pub fn set_mood(&self, mood: Mood) {
        if let Ok(mut m) = self.shared.mood.lock() {
            *m = mood;
        }
    }

    /// Caps a page at `n` works whatever `per-page` asks, so lists come in several pages.
    pub fn cap_pages(&self, n: usize) {
        self.shared.page_cap.store(n, Ordering::SeqCst);
    }

    /// Requests received (answered or refused).
    pub fn request_count(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The query parameters of every request, in order.
    pub fn queries(&self) -> Vec<HashMap<String, String>> {
        self.shared.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message, "message": message}))).into_response()
}

/// Logs the request and answers the scripted failure, if any.
fn gate(shared: &Shared, query: &HashMap<String, String>) -> Option<Response> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut log) = shared.log.lock() {
        log.push(query.clone());
    }
    if let Some(key) = &shared.key
        && query.get("api_key") != Some(key)
    {
        return Some(error(StatusCode::UNAUTHORIZED, "invalid api key"));
    }
    let mut mood = shared.mood.lock().ok()?;
    match &mut *mood {
        Mood::Fine => None,
        Mood::Throttled(0) => {
            *mood = Mood::Fine;
            None
        }
        Mood::Throttled(n) => {
            *n -= 1;
            Some((StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "slow down").into_response())
        }
        Mood::BudgetSpent => Some(error(StatusCode::TOO_MANY_REQUESTS, "daily budget exceeded")),
        Mood::Down => Some(error(StatusCode::SERVICE_UNAVAILABLE, "down")),
    }
}

fn bare(doi: &str) -> String {
    crate::openalex::bare_doi(doi)
}

/// Keeps only the `select`ed top-level fields.
fn selected(work: &Value, select: Option<&String>) -> Value {
    let (Some(select), Some(object)) = (select, work.as_object()) else {
        return work.clone();
    };
    let fields: Vec<&str> = select.split(',').map(str::trim).collect();
    Value::Object(
        object
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

async fn list(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = gate(&shared, &query) {
        return refused;
    }
    let Some(dois) = query.get("filter").and_then(|f| f.strip_prefix("doi:")) else {
        return error(StatusCode::BAD_REQUEST, "this fake only filters by doi:");
    };
    let wanted: Vec<String> = dois.split('|').map(bare).collect();
    if wanted.len() > 100 {
        return error(StatusCode::BAD_REQUEST, "too many values in an OR filter (max 100)");
    }
    let per_page: usize = match query.get("per-page").map(|p| p.parse()) {
        None => 25,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => return error(StatusCode::BAD_REQUEST, "per-page must be 1 to 100"),
    };
    let per_page = match shared.page_cap.load(Ordering::SeqCst) {
        0 => per_page,
        cap => per_page.min(cap),
    };
    let offset: usize = match query.get("cursor").map(String::as_str) {
        None | Some("*") => 0,
        Some(c) => match c.strip_prefix("at-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return error(StatusCode::BAD_REQUEST, "bad cursor"),
        },
    };
    let matching: Vec<&Value> = shared
        .works
        .iter()
        .filter(|w| w["doi"].as_str().is_some_and(|d| wanted.contains(&bare(d))))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(per_page)
        .map(|w| selected(w, query.get("select")))
        .collect();
    let next = (offset + per_page < matching.len()).then(|| format!("at-{}", offset + per_page));
    Json(json!({
        "meta": {"count": matching.len(), "per_page": per_page, "next_cursor": next},
        "results": page,
    }))
    .into_response()
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &query) {
        return refused;
    }
    let found = shared.works.iter().find(|w| {
        w["id"]
            .as_str()
            .is_some_and(|full| full.rsplit('/').next() == Some(id.as_str()))
    });
    match found {
        Some(work) => Json(selected(work, query.get("select"))).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such work"),
    }
}
