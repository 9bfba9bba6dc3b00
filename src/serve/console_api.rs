//! The console's JSON API: jobs by queue, state and crawl (paged), deleting failed jobs,
//! pausing and resuming queues, the live workers, cancelling a crawl, and the queue
//! time series. Errors are JSON like the rest of the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::api::{crawl_json, error, unavailable};
use super::failure::{ApiError, bad};
use super::views::{self, queue_named};
use crate::crawl::{self, Cancel};
use crate::queue::run_prefix;
use crate::store::{JobFilter, JobState, now};

/// The query of the job lists (`/jobs`, `/api/jobs`, `/api/crawls/{id}/jobs`).
#[derive(Debug, Default, Deserialize)]
pub struct JobsQuery {
    /// A queue's name.
    pub queue: Option<String>,
    /// A state's name.
    pub state: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
    /// A notice to show (pages only).
    pub notice: Option<String>,
}

impl JobsQuery {
    /// The filter and page it asks for, or what is wrong with it.
    pub fn parse(&self) -> Result<(JobFilter, i64), ApiError> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let queue = match given(&self.queue) {
            Some(q) => Some(queue_named(&q)?.queue().to_owned()),
            None => None,
        };
        let states = match given(&self.state) {
            Some(s) => vec![s.parse::<JobState>().map_err(|e| bad("state", e))?],
            None => Vec::new(),
        };
        let page = match given(&self.page) {
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| bad("page", format!("page {p:?} is not a page number: use 1, 2, …")))?,
            None => 1,
        };
        Ok((
            JobFilter {
                queue,
                states,
                key_prefix: None,
            },
            page,
        ))
    }
}

/// A crawl id in a path.
pub fn crawl_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        bad(
            "id",
            format!("crawl id {raw:?} is not a number: see /api/crawls for the ids"),
        )
    })
}

fn no_crawl(id: i64) -> Response {
    error(
        StatusCode::NOT_FOUND,
        Some("id"),
        &format!("no crawl {id}: see /api/crawls for the ids"),
    )
}

/// `GET /api/jobs?queue=&state=&page=`.
pub async fn list_jobs(State(state): State<AppState>, Query(query): Query<JobsQuery>) -> Response {
    let (filter, page) = match query.parse() {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match views::job_page(&state.ctx, &filter, page).await {
        Ok(page) => Json(page).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `GET /api/crawls/{id}/jobs?queue=&state=&page=`: the jobs of the crawl's current run.
pub async fn crawl_jobs(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<JobsQuery>,
) -> Response {
    let id = match crawl_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let (mut filter, page) = match query.parse() {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let crawl = match state.ctx.store.crawl(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return no_crawl(id),
        Err(e) => return unavailable(&e).into_response(),
    };
    filter.key_prefix = Some(run_prefix(id, crawl.run));
    match views::job_page(&state.ctx, &filter, page).await {
        Ok(page) => {
            let mut body = json!(page);
            body["crawl"] = json!(id);
            body["run"] = json!(crawl.run);
            Json(body).into_response()
        }
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `DELETE /api/jobs/{id}`: deletes a dead (or failed, retrying) job.
pub async fn delete_job(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.ctx.store.delete_failed_job(&id).await {
        Ok(true) => Json(json!({ "deleted": id })).into_response(),
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            Some("id"),
            &format!("no failed job {id}: only dead or retrying jobs can be deleted (see /api/jobs?state=dead)"),
        ),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `DELETE /api/jobs/dead`: deletes every dead job.
pub async fn delete_dead(State(state): State<AppState>) -> Response {
    match state.ctx.store.delete_dead_jobs().await {
        Ok(n) => Json(json!({ "deleted": n })).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// Pauses or resumes a queue: the JSON answer, or the error.
pub async fn set_paused(state: &AppState, raw: &str, pause: bool) -> Result<serde_json::Value, ApiError> {
    let stage = queue_named(raw)?;
    let store = &state.ctx.store;
    let changed = if pause {
        store.pause_queue(stage.queue(), now()).await
    } else {
        store.resume_queue(stage.queue()).await
    }
    .map_err(|e| unavailable(&e))?;
    Ok(json!({ "queue": stage.queue(), "paused": pause, "changed": changed }))
}

/// `POST /api/queues/{q}/pause`.
pub async fn pause(State(state): State<AppState>, Path(queue): Path<String>) -> Response {
    match set_paused(&state, &queue, true).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /api/queues/{q}/resume`.
pub async fn resume(State(state): State<AppState>, Path(queue): Path<String>) -> Response {
    match set_paused(&state, &queue, false).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/workers`.
pub async fn workers(State(state): State<AppState>) -> Response {
    match views::worker_views(&state.ctx).await {
        Ok(workers) => Json(json!({ "workers": workers })).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `DELETE /api/crawls/{id}`: cancels a running crawl. 200 with the crawl, 404 for an
/// unknown crawl, 409 when its run already ended.
pub async fn cancel(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    let id = match crawl_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match crawl::cancel(&state.ctx, id).await {
        Ok(Cancel::Cancelled { crawl, removed }) => {
            let mut body = crawl_json(&crawl);
            body["removed_jobs"] = json!(removed);
            Json(body).into_response()
        }
        Ok(Cancel::NotRunning(crawl)) => error(
            StatusCode::CONFLICT,
            Some("id"),
            &format!("crawl {id} is not running (it is {}): nothing to cancel", crawl.status),
        ),
        Ok(Cancel::Missing) => no_crawl(id),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// The query of `/api/metrics/series`.
#[derive(Debug, Default, Deserialize)]
pub struct SeriesQuery {
    /// Unix seconds; the last hour when absent.
    pub since: Option<String>,
}

/// Samples returned at most (three queues, a day at five seconds).
const SERIES_LIMIT: i64 = 3 * 17_280;

/// `GET /api/metrics/series?since=`: the queue samples since then, oldest first.
pub async fn series(State(state): State<AppState>, Query(query): Query<SeriesQuery>) -> Response {
    let since = match query.since.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => now() - 3600,
        Some(raw) => match raw.parse::<i64>() {
            Ok(s) if s >= 0 => s,
            _ => {
                return bad(
                    "since",
                    format!("since {raw:?} is not a time: give unix seconds, e.g. {}", now() - 3600),
                )
                .into_response();
            }
        },
    };
    match state.ctx.store.queue_samples(since, SERIES_LIMIT).await {
        Ok(samples) => Json(json!({
            "since": since,
            "interval_seconds": super::sampler::INTERVAL_SECS,
            "samples": samples,
        }))
        .into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}
