//! The dashboard: one server-rendered page (no scripts, no outside assets) with the
//! crawls and their progress, the queues, and the dead jobs with retry buttons, plus a
//! form to start a crawl. Its buttons post forms and come back to the page with a notice.

use askama::Template;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::page::{html, short};
use super::session::{self, SESSION_SECONDS, over_https, same, set_cookie};
use super::submit::{self, Submitted};
use super::{AppState, console};
use super::{api, charts, sampler};
use crate::context::Context;
use crate::queue::run_prefix;
use crate::refresh::{self, RefreshStart};
use crate::stage::Stage;
use crate::store::{Db, QueueDepth, StoreError};

/// One crawl's row.
struct CrawlRow {
    id: i64,
    seed: String,
    status: String,
    error: Option<String>,
    run: i64,
    depth: i64,
    direction: String,
    members: i64,
    edges: i64,
    /// Per stage, "done / all" of this run's jobs (and dead ones).
    stages: [String; 3],
    started: String,
}

/// One queue's row.
struct QueueRow {
    queue: String,
    pending: i64,
    scheduled: i64,
    running: i64,
    retrying: i64,
    dead: i64,
    done: i64,
    workers: usize,
    paused: bool,
}

/// One dead job's row.
struct DeadRow {
    id: String,
    queue: String,
    key: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    version: &'static str,
    database: &'static str,
    workers_line: String,
    auth: bool,
    notice: Option<String>,
    crawls: Vec<CrawlRow>,
    queues: Vec<QueueRow>,
    dead: Vec<DeadRow>,
    /// Inline SVG charts (built from numbers and queue names only).
    charts: Vec<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    failed: bool,
    /// Seconds to wait, when the client has used its attempts.
    wait: Option<u64>,
}

fn stage_cell(d: &QueueDepth) -> String {
    let all = d.pending + d.scheduled + d.running + d.retrying + d.dead + d.done;
    match (all, d.dead) {
        (0, _) => "—".to_owned(),
        (_, 0) => format!("{} / {all}", d.done),
        (_, dead) => format!("{} / {all}, {dead} dead", d.done),
    }
}

/// The charts on `/` cover the last hour.
const CHART_SECONDS: i64 = 3600;
/// At most this many samples are drawn (three queues, an hour at five seconds).
const CHART_SAMPLES: i64 = 3 * 720;

async fn gather(ctx: &Context, notice: Option<String>, auth: bool) -> Result<Page, StoreError> {
    let store = &ctx.store;
    let workers = api::live_workers(ctx).await?;
    let mut crawls = Vec::new();
    for c in store.crawls().await? {
        let stats = store.crawl_stats(c.crawl_id).await?;
        let progress = api::every_queue(store.run_progress(&run_prefix(c.crawl_id, c.run)).await?);
        let started = chrono::DateTime::from_timestamp(c.run_started_at, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        crawls.push(CrawlRow {
            id: c.crawl_id,
            seed: c.seed_input.clone(),
            status: c.status.to_string(),
            error: c.error.as_deref().map(|e| short(e, 200)),
            run: c.run,
            depth: c.depth,
            direction: c.direction.to_string(),
            members: stats.members,
            edges: stats.edges,
            stages: [
                stage_cell(&progress[0]),
                stage_cell(&progress[1]),
                stage_cell(&progress[2]),
            ],
            started,
        });
    }
    let paused = store.paused_queues().await?;
    let queues = api::every_queue(store.queue_depths().await?)
        .into_iter()
        .map(|d| QueueRow {
            workers: workers.iter().filter(|w| w.queue == d.queue).count(),
            paused: paused.iter().any(|(q, _)| *q == d.queue),
            queue: d.queue,
            pending: d.pending,
            scheduled: d.scheduled,
            running: d.running,
            retrying: d.retrying,
            dead: d.dead,
            done: d.done,
        })
        .collect();
    let dead = store
        .dead_jobs(None, api::DEAD_LISTED)
        .await?
        .into_iter()
        .map(|j| DeadRow {
            id: j.id,
            queue: j.queue,
            key: j.key.unwrap_or_default(),
            attempts: j.attempts,
            error: short(j.last_result.as_deref().unwrap_or(""), 300),
        })
        .collect();
    let samples = store
        .queue_samples(crate::store::now() - CHART_SECONDS, CHART_SAMPLES)
        .await?;
    let names: Vec<&str> = Stage::ALL.iter().map(|s| s.queue()).collect();
    let charts = charts::charts(&samples, &names, sampler::INTERVAL_SECS);
    let workers_line = {
        let per: Vec<String> = Stage::ALL
            .iter()
            .map(|s| {
                let n = workers.iter().filter(|w| w.queue == s.queue()).count();
                format!("{n} {}", s.queue())
            })
            .collect();
        format!("workers: {}", per.join(", "))
    };
    Ok(Page {
        version: env!("CARGO_PKG_VERSION"),
        database: match store.db() {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "Postgres",
        },
        workers_line,
        auth,
        notice,
        crawls,
        queues,
        dead,
        charts,
    })
}

/// The query of `/`.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
}

/// `GET /`.
pub async fn page(State(state): State<AppState>, Query(query): Query<PageQuery>) -> Response {
    match gather(&state.ctx, query.notice, state.token.is_some()).await {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => api::unavailable(&e).into_response(),
    }
}

/// Back to the page with a notice.
fn back(notice: &str) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("notice", notice)
        .finish();
    (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/?{query}#notice"))]).into_response()
}

/// The crawl form.
#[derive(Debug, Deserialize)]
pub struct CrawlForm {
    seed: String,
    #[serde(default)]
    depth: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    max_papers: String,
    #[serde(default)]
    summarize: String,
}

/// The form's fields as the API's JSON, so both are checked by the same code.
fn form_fields(form: &CrawlForm) -> Map<String, Value> {
    let number = |text: &str| -> Value {
        let text = text.trim();
        if text.is_empty() {
            Value::Null
        } else {
            text.parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.to_owned()))
        }
    };
    let mut fields = Map::new();
    // One seed per line of the textarea: one id as a string, several as a list (as the
    // API takes them).
    let seeds: Vec<Value> = form
        .seed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Value::String(l.to_owned()))
        .collect();
    let seed = match <[Value; 1]>::try_from(seeds) {
        Ok([one]) => one,
        Err(several) if several.is_empty() => Value::String(String::new()),
        Err(several) => Value::Array(several),
    };
    fields.insert("seed".to_owned(), seed);
    fields.insert("depth".to_owned(), number(&form.depth));
    if !form.direction.trim().is_empty() {
        fields.insert("direction".to_owned(), Value::String(form.direction.trim().to_owned()));
    }
    fields.insert("max_papers".to_owned(), number(&form.max_papers));
    fields.insert("summarize".to_owned(), Value::Bool(form.summarize.trim() != "false"));
    fields
}

/// `POST /crawls`.
pub async fn start_crawl(State(state): State<AppState>, Form(form): Form<CrawlForm>) -> Response {
    let request = match submit::crawl_request(&form_fields(&form)) {
        Ok(r) => r,
        Err(e) => return back(&e.message),
    };
    match submit::submit(&state.ctx, &request).await {
        Ok(Submitted::Started(c)) => back(&format!(
            "Crawl {} of {} started (run {}).",
            c.crawl_id, c.seed_input, c.run
        )),
        Ok(Submitted::AlreadyRunning(c)) => {
            back(&format!("Crawl {} of {} is already running.", c.crawl_id, c.seed_input))
        }
        Err(e) => back(&e.message),
    }
}

/// `POST /crawls/{id}/refresh`.
pub async fn refresh(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match refresh::refresh_crawl(&state.ctx, id, "api").await {
        Ok(RefreshStart::Started { run, .. }) => back(&format!("Refresh of crawl {id} started (run {run}).")),
        Ok(RefreshStart::Busy { run, .. }) => back(&format!(
            "Crawl {id} is still running (run {run}); refresh it when it is done."
        )),
        Ok(RefreshStart::Missing { .. }) => back(&format!("There is no crawl {id}.")),
        Err(e) => back(&api::unavailable(&e).message),
    }
}

/// `POST /jobs/{id}/retry` (a `back` field names the console page to return to).
pub async fn retry(State(state): State<AppState>, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    let to = console::back_field(&body);
    match state.ctx.store.retry_dead(Some(&id)).await {
        Ok(0) => console::back_to(&to, "That job is not dead any more."),
        Ok(_) => console::back_to(&to, "Job queued again."),
        Err(e) => console::back_to(&to, &api::unavailable(&e).message),
    }
}

/// `POST /jobs/retry-all`.
pub async fn retry_all(State(state): State<AppState>) -> Response {
    match state.ctx.store.retry_dead(None).await {
        Ok(n) => back(&format!(
            "{n} dead {} queued again.",
            if n == 1 { "job" } else { "jobs" }
        )),
        Err(e) => back(&api::unavailable(&e).message),
    }
}

/// `GET /login`.
pub async fn login_page(State(state): State<AppState>) -> Response {
    if state.token.is_none() {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    }
    html(
        StatusCode::OK,
        Login {
            failed: false,
            wait: None,
        }
        .render(),
    )
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /login`: the token for a session (a random id in an HttpOnly, SameSite=Strict
/// cookie; see `session`). Each client address has a few tries a minute.
pub async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let Some(token) = &state.token else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    };
    if let Some(Extension(ConnectInfo(peer))) = peer
        && let Err(wait) = state.logins.attempt(peer.ip())
    {
        let seconds = wait.as_secs() + 1;
        let page = Login {
            failed: true,
            wait: Some(seconds),
        };
        let mut response = html(StatusCode::TOO_MANY_REQUESTS, page.render());
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        return response;
    }
    if !same(form.token.trim(), token.expose()) {
        let page = Login {
            failed: true,
            wait: None,
        };
        return html(StatusCode::UNAUTHORIZED, page.render());
    }
    let id = match session::begin(&state, token).await {
        Ok(id) => id,
        Err(e) => {
            return api::error(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                &format!("cannot log in now: {e}"),
            );
        }
    };
    let cookie = set_cookie(&id, SESSION_SECONDS, over_https(&headers));
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, "/".to_owned())],
    )
        .into_response()
}

/// `POST /logout`: ends the session (its cookie lets nobody in again) and clears it.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = session::end(&state, &headers).await {
        return api::unavailable(&e).into_response();
    }
    let cookie = set_cookie("", 0, over_https(&headers));
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, "/login".to_owned())],
    )
        .into_response()
}
