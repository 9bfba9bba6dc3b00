//! The console's pages beyond `/`: a crawl's own page (`/crawls/{id}`), the job lists
//! (`/jobs?queue=&state=&page=`) and the workers (`/workers`), server-rendered without
//! scripts, and the buttons they post (cancel, delete, pause, resume). Each button comes
//! back to the page it was pressed on (a `back` field) with a notice.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::api::unavailable;
use super::console_api::{self, JobsQuery};
use super::page::{html, short};
use super::views::{self, CrawlView, JobPage, JobView, StageView, WorkerView, human_secs};
use crate::crawl::{self, Cancel};
use crate::stage::Stage;
use crate::store::JobState;

/// Back to a console page with a notice. `to` is a path on this site (anything else
/// goes to `/`).
pub(super) fn back_to(to: &str, notice: &str) -> Response {
    let safe = to.starts_with('/') && !to.starts_with("//") && !to.contains('\\');
    let (path, fragment) = if safe { (to, "") } else { ("/", "#notice") };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k != "notice")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.push(("notice".to_owned(), notice.to_owned()));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let fragment = if fragment.is_empty() { "#notice" } else { fragment };
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("{path}?{query}{fragment}"))],
    )
        .into_response()
}

/// The `back` field of a posted form (`/` when absent).
pub(super) fn back_field(body: &Bytes) -> String {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "back")
        .map_or_else(|| "/".to_owned(), |(_, v)| v.into_owned())
}

/// A job's row on a page.
struct JobLine {
    id: String,
    queue: String,
    state: String,
    crawl: Option<i64>,
    key: String,
    subject: String,
    papers: String,
    attempts: String,
    error: String,
    run_time: String,
    retryable: bool,
    deletable: bool,
}

impl From<JobView> for JobLine {
    fn from(j: JobView) -> Self {
        Self {
            attempts: format!("{} / {}", j.attempts, j.max_attempts),
            error: j.error.as_deref().map(|e| short(e, 300)).unwrap_or_default(),
            run_time: j.run_seconds.map(human_secs).unwrap_or_default(),
            papers: j.papers.join(" · "),
            state: j.state.to_string(),
            crawl: j.crawl_id,
            id: j.id,
            queue: j.queue,
            key: j.key,
            subject: j.subject,
            retryable: j.retryable,
            deletable: j.deletable,
        }
    }
}

#[derive(Template)]
#[template(path = "crawl.html")]
struct CrawlPage {
    id: i64,
    seed: String,
    status: String,
    error: String,
    run: i64,
    members: i64,
    cancellable: bool,
    notice: Option<String>,
    stages: Vec<StageLine>,
    top: Vec<(i64, String, String)>,
    failures: Vec<JobLine>,
    /// This page's path, for the buttons to come back to.
    here: String,
}

struct StageLine {
    stage: &'static str,
    done: i64,
    total: i64,
    unit: &'static str,
    percent: i64,
    rate: String,
    eta: String,
    left: i64,
    dead: i64,
}

impl From<StageView> for StageLine {
    fn from(s: StageView) -> Self {
        Self {
            stage: s.stage,
            done: s.done,
            total: s.total,
            unit: s.unit,
            percent: s.percent,
            rate: format!("{:.1} jobs/min", s.jobs_per_minute),
            eta: s.eta_seconds.map_or_else(|| "—".to_owned(), human_secs),
            left: s.jobs_left,
            dead: s.counts.dead,
        }
    }
}

/// The query of a page: a notice to show.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn crawl_page(view: CrawlView, notice: Option<String>) -> CrawlPage {
    let text = |key: &str| view.crawl[key].as_str().unwrap_or_default().to_owned();
    let number = |key: &str| view.crawl[key].as_i64().unwrap_or_default();
    CrawlPage {
        here: format!("/crawls/{}", number("id")),
        id: number("id"),
        seed: text("seed"),
        status: text("status"),
        error: text("error"),
        run: number("run"),
        members: view.crawl["papers"]["members"].as_i64().unwrap_or_default(),
        cancellable: view.cancellable,
        notice,
        stages: view.stages.into_iter().map(StageLine::from).collect(),
        top: view
            .top_papers
            .into_iter()
            .map(|p| {
                let year = p.year.map(|y| y.to_string()).unwrap_or_default();
                (p.rank, p.title, year)
            })
            .collect(),
        failures: view.failures.into_iter().map(JobLine::from).collect(),
    }
}

/// `GET /crawls/{id}`.
pub async fn crawl(State(state): State<AppState>, Path(raw): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let id = match console_api::crawl_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match views::crawl_view(&state.ctx, id).await {
        Ok(Some(view)) => html(StatusCode::OK, crawl_page(view, q.notice).render()),
        Ok(None) => back_to("/", &format!("There is no crawl {id}.")),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `POST /crawls/{id}/cancel`.
pub async fn cancel(State(state): State<AppState>, Path(raw): Path<String>, body: Bytes) -> Response {
    let to = back_field(&body);
    let Ok(id) = console_api::crawl_id(&raw) else {
        return back_to(&to, &format!("There is no crawl {raw}."));
    };
    match crawl::cancel(&state.ctx, id).await {
        Ok(Cancel::Cancelled { removed, .. }) => {
            back_to(&to, &format!("Crawl {id} cancelled; {removed} waiting jobs removed."))
        }
        Ok(Cancel::NotRunning(c)) => back_to(&to, &format!("Crawl {id} is not running (it is {}).", c.status)),
        Ok(Cancel::Missing) => back_to(&to, &format!("There is no crawl {id}.")),
        Err(e) => back_to(&to, &unavailable(&e).message),
    }
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    notice: Option<String>,
    queue: String,
    state: String,
    queues: Vec<&'static str>,
    states: Vec<&'static str>,
    jobs: Vec<JobLine>,
    total: i64,
    page: i64,
    pages: i64,
    /// This page's own path and query, for the buttons to come back to.
    here: String,
    prev: Option<String>,
    next: Option<String>,
}

fn jobs_link(queue: &str, state: &str, page: i64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    if !queue.is_empty() {
        s.append_pair("queue", queue);
    }
    if !state.is_empty() {
        s.append_pair("state", state);
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    let query = s.finish();
    if query.is_empty() {
        "/jobs".to_owned()
    } else {
        format!("/jobs?{query}")
    }
}

fn jobs_page(found: JobPage, queue: String, state: String, notice: Option<String>) -> JobsPage {
    let (page, pages) = (found.page, found.pages);
    JobsPage {
        here: jobs_link(&queue, &state, page),
        prev: (page > 1).then(|| jobs_link(&queue, &state, page - 1)),
        next: (page < pages).then(|| jobs_link(&queue, &state, page + 1)),
        notice,
        queues: Stage::ALL.iter().map(|s| s.queue()).collect(),
        states: JobState::ALL.iter().map(|s| s.as_str()).collect(),
        jobs: found.jobs.into_iter().map(JobLine::from).collect(),
        total: found.total,
        page,
        pages,
        queue,
        state,
    }
}

/// `GET /jobs?queue=&state=&page=`.
pub async fn jobs(State(state): State<AppState>, Query(query): Query<JobsQuery>) -> Response {
    let (filter, page) = match query.parse() {
        Ok(p) => p,
        Err(e) => return back_to("/jobs", &e.message),
    };
    let queue = filter.queue.clone().unwrap_or_default();
    let st = filter.states.first().map(|s| s.as_str().to_owned()).unwrap_or_default();
    match views::job_page(&state.ctx, &filter, page).await {
        Ok(found) => html(StatusCode::OK, jobs_page(found, queue, st, query.notice).render()),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// `POST /jobs/{id}/delete`.
pub async fn delete_job(State(state): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let to = back_field(&body);
    match state.ctx.store.delete_failed_job(&id).await {
        Ok(true) => back_to(&to, "Job deleted."),
        Ok(false) => back_to(&to, "That job is not failed any more: not deleted."),
        Err(e) => back_to(&to, &unavailable(&e).message),
    }
}

/// `POST /jobs/delete-dead`.
pub async fn delete_dead(State(state): State<AppState>, body: Bytes) -> Response {
    let to = back_field(&body);
    match state.ctx.store.delete_dead_jobs().await {
        Ok(n) => back_to(
            &to,
            &format!("{n} dead {} deleted.", if n == 1 { "job" } else { "jobs" }),
        ),
        Err(e) => back_to(&to, &unavailable(&e).message),
    }
}

/// `POST /queues/{q}/pause`.
pub async fn pause(State(state): State<AppState>, Path(queue): Path<String>, body: Bytes) -> Response {
    let to = back_field(&body);
    match console_api::set_paused(&state, &queue, true).await {
        Ok(_) => back_to(
            &to,
            &format!("Queue {queue} paused: its jobs wait until it is resumed."),
        ),
        Err(e) => back_to(&to, &e.message),
    }
}

/// `POST /queues/{q}/resume`.
pub async fn resume(State(state): State<AppState>, Path(queue): Path<String>, body: Bytes) -> Response {
    let to = back_field(&body);
    match console_api::set_paused(&state, &queue, false).await {
        Ok(_) => back_to(&to, &format!("Queue {queue} resumed.")),
        Err(e) => back_to(&to, &e.message),
    }
}

#[derive(Template)]
#[template(path = "workers.html")]
struct WorkersPage {
    workers: Vec<WorkerLine>,
    paused: Vec<String>,
}

struct WorkerLine {
    id: String,
    queue: String,
    host: String,
    pid: String,
    concurrency: String,
    heartbeat: String,
    up: String,
    jobs: String,
}

impl From<WorkerView> for WorkerLine {
    fn from(w: WorkerView) -> Self {
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
        Self {
            host: or_dash(w.host),
            pid: or_dash(w.pid.map(|p| p.to_string())),
            concurrency: or_dash(w.concurrency.map(|c| c.to_string())),
            heartbeat: format!("{} ago", human_secs(w.heartbeat_age_seconds)),
            up: or_dash(w.up_seconds.map(human_secs)),
            jobs: if w.current_jobs.is_empty() {
                "idle".to_owned()
            } else {
                w.current_jobs.join(", ")
            },
            id: w.id,
            queue: w.queue,
        }
    }
}

/// `GET /workers`.
pub async fn workers(State(state): State<AppState>) -> Response {
    let gathered = async {
        let workers = views::worker_views(&state.ctx).await?;
        let paused = state.ctx.store.paused_queues().await?;
        Ok::<_, crate::store::StoreError>((workers, paused))
    };
    match gathered.await {
        Ok((workers, paused)) => html(
            StatusCode::OK,
            WorkersPage {
                workers: workers.into_iter().map(WorkerLine::from).collect(),
                paused: paused.into_iter().map(|(q, _)| q).collect(),
            }
            .render(),
        ),
        Err(e) => unavailable(&e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_come_back_only_to_this_site_with_their_notice() {
        let location = |r: Response| r.headers()[header::LOCATION].to_str().unwrap_or_default().to_owned();
        assert_eq!(
            location(back_to("/jobs?state=dead&notice=old", "Done.")),
            "/jobs?state=dead&notice=Done.#notice"
        );
        assert!(location(back_to("//evil.example/", "x")).starts_with("/?notice=x"));
        assert!(location(back_to("https://evil.example/", "x")).starts_with("/?notice=x"));
        assert_eq!(back_field(&Bytes::from_static(b"back=%2Fcrawls%2F3")), "/crawls/3");
        assert_eq!(back_field(&Bytes::new()), "/");
        assert_eq!(jobs_link("crawl", "", 2), "/jobs?queue=crawl&page=2");
        assert_eq!(jobs_link("", "", 1), "/jobs");
    }
}
