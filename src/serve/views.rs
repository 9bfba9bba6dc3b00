//! What the console's pages and their JSON twins show, gathered once from the store:
//! jobs with their papers' titles and errors, a crawl's stages with progress, rate and
//! ETA, its top papers and failures, and the live workers with what they run.

use std::collections::HashMap;

use serde::Serialize;

use super::api;
use super::failure::{ApiError, failure};
use crate::context::Context;
use crate::queue::jobs::{CrawlJob, RenderJob, SummarizeJob};
use crate::queue::run_prefix;
use crate::stage::Stage;
use crate::store::{Crawl, JobFilter, JobRow, JobState, StoreError, error_text, now};

/// Jobs on one page of `/jobs`.
pub const PAGE_SIZE: i64 = 50;
/// Minutes over which a stage's rate is measured.
const RATE_MINUTES: i64 = 5;

/// A queue named in a request: one of the stages' queues, or a 404 naming them.
pub fn queue_named(raw: &str) -> Result<Stage, ApiError> {
    Stage::ALL.into_iter().find(|s| s.queue() == raw).ok_or_else(|| {
        failure(
            axum::http::StatusCode::NOT_FOUND,
            Some("queue"),
            &format!("no queue {raw:?}: the queues are crawl, summarize and render"),
        )
    })
}

/// One job as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// Task id.
    pub id: String,
    /// Queue.
    pub queue: String,
    /// Its state.
    pub state: JobState,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Its key (crawl, run and item).
    pub key: String,
    /// The crawl it belongs to.
    pub crawl_id: Option<i64>,
    /// What it works on, for people: a level, papers' titles, a render.
    pub subject: String,
    /// The titles of the papers it is about (summaries), at most a few.
    pub papers: Vec<String>,
    /// The last error, for failed jobs.
    pub error: Option<String>,
    /// Seconds it ran (or has been running).
    pub run_seconds: Option<i64>,
    /// The worker holding it.
    pub worker: Option<String>,
    /// Whether it may be retried (dead).
    pub retryable: bool,
    /// Whether it may be deleted (dead, or failed and waiting for a retry).
    pub deletable: bool,
}

/// The crawl id in a job key (`c12r3:…`).
fn crawl_of(key: &str) -> Option<i64> {
    key.strip_prefix('c')?.split_once('r')?.0.parse().ok()
}

/// Titles of papers shown per job at most.
const TITLES_PER_JOB: usize = 3;

/// Job rows as views, with titles looked up in one query.
pub async fn job_views(ctx: &Context, rows: Vec<JobRow>) -> Result<Vec<JobView>, StoreError> {
    let at = now();
    let papers_of = |row: &JobRow| -> Vec<String> {
        (row.queue == Stage::Summarize.queue())
            .then(|| serde_json::from_slice::<SummarizeJob>(&row.args).ok())
            .flatten()
            .map(|j| j.papers)
            .unwrap_or_default()
    };
    let ids: Vec<String> = rows
        .iter()
        .flat_map(|r| papers_of(r).into_iter().take(TITLES_PER_JOB))
        .collect();
    let titles: HashMap<String, String> = ctx
        .store
        .paper_titles(&ids)
        .await?
        .into_iter()
        .map(|(id, title, _)| (id, title))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let state = row.state(at);
            let papers = papers_of(&row);
            let shown: Vec<String> = papers
                .iter()
                .take(TITLES_PER_JOB)
                .map(|id| titles.get(id).cloned().unwrap_or_else(|| id.clone()))
                .collect();
            let subject = if row.queue == Stage::Crawl.queue() {
                serde_json::from_slice::<CrawlJob>(&row.args)
                    .map(|j| format!("level {}", j.depth))
                    .unwrap_or_default()
            } else if row.queue == Stage::Render.queue() {
                serde_json::from_slice::<RenderJob>(&row.args)
                    .map(|j| format!("render ({})", j.reason))
                    .unwrap_or_default()
            } else {
                match papers.len() {
                    0 => String::new(),
                    1 => "1 paper".to_owned(),
                    n => format!("{n} papers"),
                }
            };
            let failed = matches!(row.status.as_str(), "Failed" | "Killed");
            let run_seconds = match (state, row.lock_at, row.done_at) {
                (JobState::Running, Some(lock), _) => Some(at - lock),
                (_, Some(lock), Some(done)) if done >= lock => Some(done - lock),
                _ => None,
            };
            JobView {
                crawl_id: row.key.as_deref().and_then(crawl_of),
                key: row.key.clone().unwrap_or_default(),
                error: if failed {
                    row.last_result.as_deref().and_then(error_text)
                } else {
                    None
                },
                retryable: state == JobState::Dead,
                deletable: failed,
                worker: if state == JobState::Running {
                    row.lock_by.clone()
                } else {
                    None
                },
                id: row.id,
                queue: row.queue,
                state,
                attempts: row.attempts,
                max_attempts: row.max_attempts,
                subject,
                papers: shown,
                run_seconds,
            }
        })
        .collect())
}

/// One page of jobs: the views, how many match, and the page's number (1-based).
#[derive(Debug, Clone, Serialize)]
pub struct JobPage {
    /// The jobs.
    pub jobs: Vec<JobView>,
    /// Jobs matching the filter.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Pages in all.
    pub pages: i64,
}

/// A page of jobs matching `filter`.
pub async fn job_page(ctx: &Context, filter: &JobFilter, page: i64) -> Result<JobPage, StoreError> {
    let page = page.max(1);
    let (rows, total) = ctx.store.list_jobs(filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    Ok(JobPage {
        jobs: job_views(ctx, rows).await?,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
    })
}

/// One stage of a crawl's run.
#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    /// The stage's queue.
    pub stage: &'static str,
    /// Items done (papers fetched, summaries settled, renders done).
    pub done: i64,
    /// Items in all (never fewer than done).
    pub total: i64,
    /// What the items are.
    pub unit: &'static str,
    /// 0–100.
    pub percent: i64,
    /// Jobs finished per minute over the last minutes.
    pub jobs_per_minute: f64,
    /// Jobs still to run.
    pub jobs_left: i64,
    /// Seconds until its jobs are done at that rate, when there is a rate.
    pub eta_seconds: Option<i64>,
    /// Jobs of this run in each state.
    pub counts: crate::store::QueueDepth,
}

/// A paper among a crawl's most central.
#[derive(Debug, Clone, Serialize)]
pub struct TopPaper {
    /// Rank by PageRank, 1 = most central.
    pub rank: i64,
    /// Its id.
    pub paper_id: String,
    /// Its title (the id when unknown).
    pub title: String,
    /// Its year.
    pub year: Option<i64>,
}

/// Everything `/crawls/{id}` shows.
#[derive(Debug, Clone, Serialize)]
pub struct CrawlView {
    /// The crawl as the API shows it.
    pub crawl: serde_json::Value,
    /// Its current run's stages.
    pub stages: Vec<StageView>,
    /// Its most central papers.
    pub top_papers: Vec<TopPaper>,
    /// Its run's dead and retrying jobs.
    pub failures: Vec<JobView>,
    /// Whether it can be cancelled (it is running).
    pub cancellable: bool,
}

/// Papers shown as a crawl's top papers.
const TOP_PAPERS: i64 = 10;

fn stage_view(
    stage: Stage,
    done: i64,
    total: i64,
    unit: &'static str,
    d: crate::store::QueueDepth,
    finished: i64,
) -> StageView {
    let total = total.max(done).max(0);
    let done = done.clamp(0, total);
    let jobs_left = d.pending + d.scheduled + d.running + d.retrying;
    let per_minute = finished as f64 / RATE_MINUTES as f64;
    StageView {
        stage: stage.queue(),
        done,
        total,
        unit,
        percent: if total == 0 { 0 } else { done * 100 / total },
        jobs_per_minute: (per_minute * 10.0).round() / 10.0,
        jobs_left,
        eta_seconds: (per_minute > 0.0 && jobs_left > 0).then(|| (jobs_left as f64 / per_minute * 60.0).round() as i64),
        counts: d,
    }
}

/// A crawl's page, `None` when there is no such crawl.
pub async fn crawl_view(ctx: &Context, id: i64) -> Result<Option<CrawlView>, StoreError> {
    let store = &ctx.store;
    let Some(crawl): Option<Crawl> = store.crawl(id).await? else {
        return Ok(None);
    };
    let prefix = run_prefix(id, crawl.run);
    let stats = store.crawl_stats(id).await?;
    let depths = api::every_queue(store.run_progress(&prefix).await?);
    let finished = store.finished_since(&prefix, now() - RATE_MINUTES * 60).await?;
    let finished_of = |q: &str| finished.iter().find(|(name, _)| name == q).map_or(0, |(_, n)| *n);
    let fetched = store.fetched_members(id).await?.len() as i64;
    let summaries = store.summary_progress(id, crawl.run).await?;
    let papers = stats.members - stats.missing;
    let [crawl_d, summarize_d, render_d] = [depths[0].clone(), depths[1].clone(), depths[2].clone()];
    let render_done = render_d.done;
    let render_all =
        render_d.done + render_d.pending + render_d.scheduled + render_d.running + render_d.retrying + render_d.dead;
    let stages = vec![
        stage_view(
            Stage::Crawl,
            fetched,
            papers,
            "papers fetched",
            crawl_d,
            finished_of("crawl"),
        ),
        stage_view(
            Stage::Summarize,
            summaries.settled,
            summaries.queued.min(papers.max(summaries.settled)),
            "summaries settled",
            summarize_d,
            finished_of("summarize"),
        ),
        stage_view(
            Stage::Render,
            render_done,
            render_all,
            "renders",
            render_d,
            finished_of("render"),
        ),
    ];
    let top: Vec<TopPaper> = store
        .top_papers(id, TOP_PAPERS)
        .await?
        .into_iter()
        .map(|(paper_id, title, year, rank)| TopPaper {
            rank,
            title: title.unwrap_or_else(|| paper_id.clone()),
            paper_id,
            year,
        })
        .collect();
    let filter = JobFilter {
        queue: None,
        states: vec![JobState::Dead, JobState::Retrying],
        key_prefix: Some(prefix),
    };
    let (rows, _) = store.list_jobs(&filter, api::DEAD_LISTED, 0).await?;
    let mut body = api::crawl_progress(ctx, id)
        .await?
        .unwrap_or_else(|| api::crawl_json(&crawl));
    body["url"] = serde_json::json!(format!("/api/crawls/{id}"));
    Ok(Some(CrawlView {
        crawl: body,
        stages,
        top_papers: top,
        failures: job_views(ctx, rows).await?,
        cancellable: crawl.status == crate::store::CrawlStatus::Running,
    }))
}

/// A live worker as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerView {
    /// Its name.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// Host, pid and concurrency, when it recorded them.
    pub host: Option<String>,
    /// Its process id.
    pub pid: Option<i64>,
    /// Jobs at once.
    pub concurrency: Option<i64>,
    /// Seconds since its last heartbeat.
    pub heartbeat_age_seconds: i64,
    /// Seconds since it started.
    pub up_seconds: Option<i64>,
    /// Keys of the jobs it holds.
    pub current_jobs: Vec<String>,
}

/// Workers seen within the liveness window.
pub async fn worker_views(ctx: &Context) -> Result<Vec<WorkerView>, StoreError> {
    let at = now();
    let since = at - ctx.settings.queue.liveness().as_secs() as i64;
    let workers = ctx.store.workers_detail(since).await?;
    let held = ctx.store.held_jobs().await?;
    Ok(workers
        .into_iter()
        .map(|w| WorkerView {
            current_jobs: held
                .iter()
                .filter(|(by, _, _)| *by == w.id)
                .map(|(_, id, key)| key.clone().unwrap_or_else(|| id.clone()))
                .collect(),
            heartbeat_age_seconds: (at - w.last_seen).max(0),
            up_seconds: w.started_at.map(|s| (at - s).max(0)),
            id: w.id,
            queue: w.queue,
            host: w.host,
            pid: w.pid,
            concurrency: w.concurrency,
        })
        .collect())
}

/// A duration for people: `42 s`, `3 min`, `2 h 5 min`.
pub fn human_secs(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_crawl_and_durations_read_well() {
        assert_eq!(crawl_of("c12r3:crawl:0"), Some(12));
        assert_eq!(crawl_of("nonsense"), None);
        assert_eq!(human_secs(42), "42 s");
        assert_eq!(human_secs(185), "3 min");
        assert_eq!(human_secs(7500), "2 h 5 min");
    }

    #[test]
    fn progress_never_passes_its_total_and_eta_follows_the_rate() {
        let depth = crate::store::QueueDepth {
            queue: "crawl".to_owned(),
            pending: 4,
            ..Default::default()
        };
        let v = stage_view(Stage::Crawl, 12, 10, "papers", depth.clone(), 10);
        assert_eq!((v.done, v.total, v.percent), (12, 12, 100));
        assert_eq!(v.jobs_per_minute, 2.0);
        assert_eq!(v.eta_seconds, Some(120));
        let idle = stage_view(Stage::Crawl, 0, 0, "papers", depth, 0);
        assert_eq!((idle.percent, idle.eta_seconds), (0, None));
    }
}
