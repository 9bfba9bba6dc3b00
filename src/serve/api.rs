//! The JSON API and `/metrics` (the probes are in `health`). Every failure is JSON:
//! `{"error": "…"}`, with `"field"` naming the part of the request at fault.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::failure::bad;
pub use super::failure::{ApiError, error, unavailable};
use super::submit::{Submitted, crawl_request, submit};
use super::{AppState, prometheus};
use crate::context::Context;
use crate::queue::run_prefix;
use crate::refresh::{self, RefreshStart};
use crate::stage::Stage;
use crate::store::{Crawl, QueueDepth, StoreError, WorkerSeen, now};

/// Unknown paths.
pub async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        None,
        "no such page: the API is /api/crawls, /api/crawls/{id}, /api/queues, /api/jobs, /api/workers, /api/metrics/series, /metrics, /healthz",
    )
}

/// A time as RFC 3339, for JSON.
fn time(unix: i64) -> Value {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

/// A crawl as the API shows it (also `refnet crawls --json`).
pub fn crawl_json(c: &Crawl) -> Value {
    json!({
        "id": c.crawl_id,
        "seed": c.seed_input,
        "seeds": c.seeds,
        "depth": c.depth,
        "direction": c.direction,
        "max_papers": (c.max_papers > 0).then_some(c.max_papers),
        "summarize": c.summarize,
        "run": c.run,
        "status": c.status,
        "error": c.error,
        "created_at": time(c.created_at),
        "run_started_at": time(c.run_started_at),
        "finished_at": c.finished_at.map(time),
        "url": format!("/api/crawls/{}", c.crawl_id),
    })
}

/// Depths of every stage's queue, zeros included, in pipeline order.
pub fn every_queue(depths: Vec<QueueDepth>) -> Vec<QueueDepth> {
    Stage::ALL
        .iter()
        .map(|stage| {
            depths
                .iter()
                .find(|d| d.queue == stage.queue())
                .cloned()
                .unwrap_or_else(|| QueueDepth {
                    queue: stage.queue().to_owned(),
                    ..QueueDepth::default()
                })
        })
        .collect()
}

/// `POST /api/crawls`.
pub async fn create_crawl(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json_body {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send the crawl as JSON with `Content-Type: application/json`",
        );
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                None,
                &format!("the body is not JSON ({e}): send {{\"seed\": \"ARXIV:1706.03762\", \"depth\": 1}}"),
            );
        }
    };
    let Value::Object(fields) = value else {
        return error(
            StatusCode::BAD_REQUEST,
            None,
            "the body must be a JSON object: {\"seed\": \"ARXIV:1706.03762\", \"depth\": 1}",
        );
    };
    let request = match crawl_request(&fields) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match submit(&state.ctx, &request).await {
        Ok(Submitted::Started(c)) => (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/api/crawls/{}", c.crawl_id))],
            Json(json!({ "id": c.crawl_id, "run": c.run, "status": c.status, "url": format!("/api/crawls/{}", c.crawl_id) })),
        )
            .into_response(),
        Ok(Submitted::AlreadyRunning(c)) => (
            StatusCode::OK,
            Json(json!({ "id": c.crawl_id, "run": c.run, "status": c.status, "url": format!("/api/crawls/{}", c.crawl_id) })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/crawls`.
pub async fn list_crawls(State(state): State<AppState>) -> Response {
    match state.ctx.store.crawls().await {
        Ok(crawls) => Json(json!({ "crawls": crawls.iter().map(crawl_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

fn crawl_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        bad(
            "id",
            format!("crawl id {raw:?} is not a number: see /api/crawls for the ids"),
        )
    })
}

/// `GET /api/crawls/{id}`: the crawl and its current run's progress per stage.
pub async fn get_crawl(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    let id = match crawl_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match crawl_progress(&state.ctx, id).await {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            Some("id"),
            &format!("no crawl {id}: see /api/crawls for the ids"),
        ),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// A crawl with its counts and its current run's jobs per stage.
pub async fn crawl_progress(ctx: &Context, id: i64) -> Result<Option<Value>, StoreError> {
    let store = &ctx.store;
    let Some(c) = store.crawl(id).await? else {
        return Ok(None);
    };
    let stats = store.crawl_stats(id).await?;
    let stages = every_queue(store.run_progress(&run_prefix(id, c.run)).await?);
    let refreshes = store.refreshes_of(id).await?;
    let mut body = crawl_json(&c);
    body["papers"] = json!({
        "members": stats.members,
        "missing": stats.missing,
        "edges": stats.edges,
        "left_out": stats.left_out,
        "truncated": stats.truncated,
    });
    body["stages"] = Value::Object(
        stages
            .into_iter()
            .map(|d| {
                let counts = json!({
                    "pending": d.pending,
                    "scheduled": d.scheduled,
                    "running": d.running,
                    "retrying": d.retrying,
                    "dead": d.dead,
                    "done": d.done,
                });
                (d.queue, counts)
            })
            .collect(),
    );
    body["refreshes"] = json!(
        refreshes
            .iter()
            .map(|r| json!({ "run": r.run, "trigger": r.trigger, "started_at": time(r.started_at) }))
            .collect::<Vec<_>>()
    );
    Ok(Some(body))
}

/// `GET /api/queues`.
pub async fn queues(State(state): State<AppState>) -> Response {
    let found = async {
        let depths = every_queue(state.ctx.store.queue_depths().await?);
        let paused = state.ctx.store.paused_queues().await?;
        Ok::<_, StoreError>((depths, paused))
    };
    match found.await {
        Ok((depths, paused)) => {
            let queues: Vec<Value> = depths
                .into_iter()
                .map(|d| {
                    let is_paused = paused.iter().any(|(q, _)| *q == d.queue);
                    let mut v = json!(d);
                    v["paused"] = json!(is_paused);
                    v
                })
                .collect();
            Json(json!({ "queues": queues })).into_response()
        }
        Err(e) => unavailable(&e).into_response(),
    }
}

/// Dead jobs listed at most.
pub const DEAD_LISTED: i64 = 100;

/// `GET /api/jobs/dead`.
pub async fn dead_jobs(State(state): State<AppState>) -> Response {
    match state.ctx.store.dead_jobs(None, DEAD_LISTED).await {
        Ok(jobs) => Json(json!({ "jobs": jobs })).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `POST /api/jobs/{id}/retry`.
pub async fn retry_job(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.ctx.store.retry_dead(Some(&id)).await {
        Ok(0) => error(
            StatusCode::NOT_FOUND,
            Some("id"),
            &format!("no dead job {id}: see /api/jobs/dead"),
        ),
        Ok(_) => Json(json!({ "retried": id })).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `POST /api/refresh` with `{"crawl": id}` for one crawl, or no body for all.
pub async fn refresh(State(state): State<AppState>, body: Bytes) -> Response {
    let crawl = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(fields)) => {
                if let Some(unknown) = fields.keys().find(|k| k.as_str() != "crawl") {
                    return bad(unknown, format!("unknown field {unknown:?}: use crawl")).into_response();
                }
                match fields.get("crawl") {
                    None | Some(Value::Null) => None,
                    Some(v) => match v.as_i64() {
                        Some(id) => Some(id),
                        None => return bad("crawl", format!("crawl must be a crawl id, not {v}")).into_response(),
                    },
                }
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    None,
                    "the body must be empty (all crawls) or {\"crawl\": ID}",
                );
            }
        }
    };
    let result = match crawl {
        Some(id) => refresh::refresh_crawl(&state.ctx, id, "api").await.map(|r| vec![r]),
        None => refresh::refresh_all(&state.ctx, "api").await,
    };
    match result {
        Ok(started) if matches!(started.as_slice(), [RefreshStart::Missing { .. }]) => error(
            StatusCode::NOT_FOUND,
            Some("crawl"),
            &format!("no crawl {}: see /api/crawls for the ids", crawl.unwrap_or_default()),
        ),
        Ok(started) => (StatusCode::ACCEPTED, Json(json!({ "refreshes": started }))).into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// How long a worker may go without a heartbeat before it counts as gone, in seconds.
pub(crate) fn liveness_window(ctx: &Context) -> i64 {
    ctx.settings.queue.liveness().as_secs() as i64
}

/// Workers seen within the liveness window.
pub async fn live_workers(ctx: &Context) -> Result<Vec<WorkerSeen>, StoreError> {
    ctx.store.workers_seen(now() - liveness_window(ctx)).await
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let ctx = &state.ctx;
    let cluster = async {
        Ok::<_, StoreError>(prometheus::ClusterState {
            depths: every_queue(ctx.store.queue_depths().await?),
            oldest: ctx.store.oldest_pending(now()).await?,
            workers: live_workers(ctx).await?,
        })
    };
    match cluster.await {
        Ok(cluster) => (
            [(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)],
            prometheus::render(&ctx.counters, &cluster),
        )
            .into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}
