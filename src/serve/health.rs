//! The probes. `serve`'s `/healthz` is liveness: the process answers and reaches the
//! database; workers being down does not make it unhealthy (restarting serve would not
//! bring them back). `/readyz` is readiness: also a live worker on every queue, so work
//! submitted now will be done. A worker process's own `/healthz` (`refnet worker
//! --metrics-bind`) reports that replica alone: each of its stage workers running and
//! heartbeating, so one wedged replica fails its own probe.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;
use super::api::{live_workers, liveness_window};
use crate::context::Context;
use crate::stage::Stage;
use crate::store::WorkerSeen;

/// How long a probe waits for the database.
const DB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Whether the database answers in time, and the live workers when it does.
async fn database(ctx: &Context) -> Result<Vec<WorkerSeen>, String> {
    // A probe must answer quickly: a database that does not answer in time is down.
    let check = async {
        ctx.store.ping().await?;
        live_workers(ctx).await
    };
    match tokio::time::timeout(DB_TIMEOUT, check).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", DB_TIMEOUT.as_secs())),
    }
}

/// The probe's answer: 200 without problems, else 503 listing them.
fn answer(database: bool, workers: Value, problems: Vec<String>) -> Response {
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if problems.is_empty() { "ok" } else { "unhealthy" },
        "database": if database { "ok" } else { "unreachable" },
        "workers": workers,
        "problems": problems,
    });
    (status, Json(body)).into_response()
}

/// Live workers per queue, every queue listed.
fn per_queue(workers: &[WorkerSeen]) -> Map<String, Value> {
    Stage::ALL
        .iter()
        .map(|s| {
            let n = workers.iter().filter(|w| w.queue == s.queue()).count();
            (s.queue().to_owned(), json!(n))
        })
        .collect()
}

/// `GET /healthz` of serve: 200 when the database answers; the workers are reported.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match database(&state.ctx).await {
        Ok(workers) => answer(true, Value::Object(per_queue(&workers)), Vec::new()),
        Err(e) => answer(false, json!({}), vec![format!("database: {e}")]),
    }
}

/// `GET /readyz` of serve: the database answers and every queue has a live worker.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let ctx = &state.ctx;
    let workers = match database(ctx).await {
        Ok(workers) => workers,
        Err(e) => return answer(false, json!({}), vec![format!("database: {e}")]),
    };
    let counts = per_queue(&workers);
    let problems = counts
        .iter()
        .filter(|(_, n)| n.as_u64() == Some(0))
        .map(|(queue, _)| {
            format!(
                "no {queue} worker heartbeat in the last {} s: start `refnet worker --stage {queue}` or `refnet serve`",
                liveness_window(ctx)
            )
        })
        .collect();
    answer(true, Value::Object(counts), problems)
}

/// `GET /healthz` of a worker process: each of its stage workers runs (is not restarting
/// after a failure) and heartbeated within the liveness window.
pub async fn worker_healthz(State(state): State<AppState>) -> Response {
    let ctx = &state.ctx;
    let slots = ctx.counters.roster.slots();
    let live = database(ctx).await;
    let mut problems = Vec::new();
    if let Err(e) = &live {
        problems.push(format!("database: {e}"));
    }
    if slots.is_empty() {
        problems.push("no stage worker has started in this process yet".to_owned());
    }
    let seen = live.as_deref().unwrap_or_default();
    let workers: Vec<Value> = slots
        .iter()
        .map(|(queue, name)| {
            let beat = name
                .as_deref()
                .and_then(|n| seen.iter().find(|w| w.id == n))
                .map(|w| w.last_seen);
            match (name, beat) {
                (None, _) => problems.push(format!("the {queue} worker is restarting after a failure")),
                (Some(n), None) if live.is_ok() => problems.push(format!(
                    "the {queue} worker {n} has not heartbeated in the last {} s",
                    liveness_window(ctx)
                )),
                _ => {}
            }
            json!({ "queue": queue, "name": name, "last_seen": beat })
        })
        .collect();
    answer(live.is_ok(), Value::Array(workers), problems)
}
