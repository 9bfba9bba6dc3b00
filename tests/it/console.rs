//! The operations console: its pages with a crawl running and with dead jobs, its JSON
//! API (jobs, delete, pause and resume, workers, cancel, series), a paused queue whose
//! jobs wait until it is resumed, a cancelled crawl that stays cancelled with its jobs
//! gone, and the queue samples behind the charts.

use std::time::Duration;

use refnet::queue::{CrawlJob, enqueue, run_prefix};
use refnet::stage::Stage;
use refnet::store::{CrawlStatus, Db, Direction, JobFilter, JobState};
use refnet::worker::{StageWorkers, run_workers};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::service::{api_server, client, json_of, small_corpus};
use super::support::{Backend, TestApp};
use crate::both_backends;

async fn page(http: &reqwest::Client, url: &str) -> (u16, String) {
    let response = http.get(url).send().await.expect("get");
    (response.status().as_u16(), response.text().await.expect("text"))
}

/// Makes every job of the run whose key starts with `prefix` dead, with `error`.
pub(super) async fn kill_jobs(app: &TestApp, prefix: &str, error: &str) -> u64 {
    let result = format!("{{\"Err\":{}}}", json!(error));
    let pattern = format!("{prefix}%");
    match app.ctx.store.db() {
        Db::Sqlite(pool) => sqlx::query(
            "UPDATE Jobs SET status = 'Failed', attempts = max_attempts, last_result = $1, \
             done_at = strftime('%s', 'now') WHERE idempotency_key LIKE $2",
        )
        .bind(result)
        .bind(pattern)
        .execute(pool)
        .await
        .expect("update")
        .rows_affected(),
        Db::Postgres(pool) => sqlx::query(
            "UPDATE apalis.jobs SET status = 'Failed', attempts = max_attempts, last_result = $1::jsonb, \
             done_at = now() WHERE idempotency_key LIKE $2",
        )
        .bind(result)
        .bind(pattern)
        .execute(pool)
        .await
        .expect("update")
        .rows_affected(),
    }
}

both_backends!(
    console_pages_and_their_api_show_a_running_crawl_and_its_dead_jobs,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let (base, stop) = api_server(&app, None).await;
        let http = client();
        let response = http
            .post(format!("{base}/api/crawls"))
            .header("content-type", "application/json")
            .body(json!({"seed": seed, "depth": 1}).to_string())
            .send()
            .await
            .expect("post");
        assert_eq!(response.status().as_u16(), 201);

        // Running: its page, the job list and the workers page load.
        let (status, crawl) = page(&http, &format!("{base}/crawls/1")).await;
        assert_eq!(status, 200, "{crawl}");
        for needle in [
            "Crawl 1",
            "data-stage=\"crawl\"",
            "data-stage=\"render\"",
            "class=\"cancel\"",
            &seed,
        ] {
            assert!(crawl.contains(needle), "{needle}: {crawl}");
        }
        let (status, jobs) = page(&http, &format!("{base}/jobs?queue=crawl&state=pending")).await;
        assert_eq!(status, 200);
        assert!(jobs.contains("data-state=\"pending\""), "{jobs}");
        assert!(jobs.contains("level 0"), "{jobs}");
        let (status, workers) = page(&http, &format!("{base}/workers")).await;
        assert_eq!(status, 200);
        assert!(workers.contains("No worker has heartbeated"), "{workers}");
        let (status, home) = page(&http, &format!("{base}/")).await;
        assert_eq!(status, 200);
        assert!(home.contains("href=\"/crawls/1\""), "the crawl links its page: {home}");
        assert!(home.contains("id=\"charts\""), "{home}");
        let response = http.get(format!("{base}/jobs?queue=nope")).send().await.expect("get");
        assert_eq!(response.status().as_u16(), 303, "a bad filter goes back with a notice");

        // Its level job dies: the crawl's page and the lists show it with its error.
        assert_eq!(
            kill_jobs(&app, &run_prefix(1, 1), "S2 answered 500 for ARXIV:x").await,
            1
        );
        let (_, crawl) = page(&http, &format!("{base}/crawls/1")).await;
        assert!(crawl.contains("S2 answered 500 for ARXIV:x"), "{crawl}");
        let (_, dead) = page(&http, &format!("{base}/jobs?state=dead")).await;
        assert!(
            dead.contains("class=\"retry\"") && dead.contains("class=\"delete\""),
            "{dead}"
        );
        let (status, listed) = json_of(
            http.get(format!("{base}/api/jobs?state=dead"))
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(listed["total"], 1, "{listed}");
        let job = &listed["jobs"][0];
        assert_eq!(job["error"], "S2 answered 500 for ARXIV:x", "{listed}");
        assert_eq!(
            (job["queue"].clone(), job["crawl_id"].clone()),
            (json!("crawl"), json!(1))
        );
        let id = job["id"].as_str().expect("id").to_owned();
        let (status, of_crawl) =
            json_of(http.get(format!("{base}/api/crawls/1/jobs")).send().await.expect("get")).await;
        assert_eq!((status, of_crawl["total"].clone()), (200, json!(1)), "{of_crawl}");
        let (status, _) = json_of(http.get(format!("{base}/api/crawls/9/jobs")).send().await.expect("get")).await;
        assert_eq!(status, 404);
        let (status, bad) = json_of(
            http.get(format!("{base}/api/jobs?state=zombie"))
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!((status, bad["field"].clone()), (400, json!("state")));

        // Retry from the list comes back to it, and the job waits again.
        let response = http
            .post(format!("{base}/jobs/{id}/retry"))
            .form(&[("back", "/jobs?state=dead")])
            .send()
            .await
            .expect("post");
        assert_eq!(response.status().as_u16(), 303);
        let location = response.headers()["location"].to_str().expect("location").to_owned();
        assert!(location.starts_with("/jobs?state=dead&notice="), "{location}");
        let pending = JobFilter {
            states: vec![JobState::Pending],
            ..JobFilter::default()
        };
        assert_eq!(app.ctx.store.list_jobs(&pending, 10, 0).await.expect("list").1, 1);

        // Delete: only a failed job, once.
        let (status, _) = json_of(
            http.delete(format!("{base}/api/jobs/{id}"))
                .send()
                .await
                .expect("delete"),
        )
        .await;
        assert_eq!(status, 404, "a waiting job is not deleted");
        kill_jobs(&app, &run_prefix(1, 1), "again").await;
        let (status, deleted) = json_of(
            http.delete(format!("{base}/api/jobs/{id}"))
                .send()
                .await
                .expect("delete"),
        )
        .await;
        assert_eq!((status, deleted["deleted"].clone()), (200, json!(id)));
        let (status, _) = json_of(
            http.delete(format!("{base}/api/jobs/{id}"))
                .send()
                .await
                .expect("delete"),
        )
        .await;
        assert_eq!(status, 404);

        // Pause and resume over the API; an unknown queue is a 404 naming the queues.
        let (status, paused) = json_of(
            http.post(format!("{base}/api/queues/summarize/pause"))
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            (paused["paused"].clone(), paused["changed"].clone()),
            (json!(true), json!(true))
        );
        let (_, queues) = json_of(http.get(format!("{base}/api/queues")).send().await.expect("get")).await;
        let flags: Vec<(String, bool)> = queues["queues"]
            .as_array()
            .expect("list")
            .iter()
            .map(|q| {
                (
                    q["queue"].as_str().unwrap_or("").to_owned(),
                    q["paused"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("crawl".to_owned(), false),
                ("summarize".to_owned(), true),
                ("render".to_owned(), false)
            ]
        );
        let (_, home) = page(&http, &format!("{base}/")).await;
        assert!(home.contains("class=\"resume\""), "{home}");
        let (status, _) = json_of(
            http.post(format!("{base}/api/queues/summarize/resume"))
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(app.ctx.store.paused_queues().await.expect("paused").is_empty());
        let (status, unknown) = json_of(
            http.post(format!("{base}/api/queues/nope/pause"))
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 404);
        let message = unknown["error"].as_str().unwrap_or_default();
        assert!(message.contains("crawl, summarize and render"), "{unknown}");
        let (status, workers) = json_of(http.get(format!("{base}/api/workers")).send().await.expect("get")).await;
        assert_eq!((status, workers["workers"].clone()), (200, json!([])));

        // Cancel: 200 with the crawl, then 409; an unknown crawl is 404.
        let (status, cancelled) = json_of(
            http.delete(format!("{base}/api/crawls/1"))
                .send()
                .await
                .expect("delete"),
        )
        .await;
        assert_eq!(
            (status, cancelled["status"].clone()),
            (200, json!("cancelled")),
            "{cancelled}"
        );
        let (status, _) = json_of(
            http.delete(format!("{base}/api/crawls/1"))
                .send()
                .await
                .expect("delete"),
        )
        .await;
        assert_eq!(status, 409);
        let (status, _) = json_of(
            http.delete(format!("{base}/api/crawls/99"))
                .send()
                .await
                .expect("delete"),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = json_of(
            http.get(format!("{base}/api/metrics/series?since=yesterday"))
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!(status, 400);
        stop.cancel();
    }
);

/// Runs every stage's workers in the background until the token is cancelled.
fn workers(app: &TestApp) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let shutdown = CancellationToken::new();
    let stages = Stage::ALL
        .iter()
        .map(|&stage| StageWorkers { stage, concurrency: 2 })
        .collect();
    let handle = tokio::spawn(run_workers(app.ctx.clone(), stages, shutdown.clone()));
    (shutdown, handle)
}

async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_mins(2);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen in 2 min");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_backends!(
    a_paused_queue_keeps_its_jobs_until_it_is_resumed,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let store = &app.ctx.store;
        // The workers run first: pausing stops the running crawl worker.
        let (shutdown, handle) = workers(&app);
        until("every stage's worker heartbeats", async || {
            let seen = store.workers_seen(0).await.expect("workers");
            Stage::ALL.iter().all(|s| seen.iter().any(|w| w.queue == s.queue()))
        })
        .await;
        assert!(store.pause_queue("crawl", 0).await.expect("pause"));
        assert!(!store.pause_queue("crawl", 0).await.expect("pause"), "already paused");
        // Its workers look every poll (clamped to 1–2 s): give them time to stop.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let crawl = app.begin(&seed, 1, Direction::References, None).await;
        let prefix = run_prefix(crawl.crawl_id, crawl.run);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let progress = store.run_progress(&prefix).await.expect("progress");
        let crawl_queue = progress.iter().find(|d| d.queue == "crawl").expect("crawl queue");
        assert_eq!((crawl_queue.pending, crawl_queue.done), (1, 0), "{progress:?}");
        let waiting = store.crawl(crawl.crawl_id).await.expect("crawl").expect("exists");
        assert_eq!(waiting.status, CrawlStatus::Running);

        assert!(store.resume_queue("crawl").await.expect("resume"));
        until("the crawl finishes after the resume", async || {
            store.live_jobs(&prefix).await.expect("live") == 0
        })
        .await;
        shutdown.cancel();
        handle.await.expect("workers stop");
        let done = store.crawl(crawl.crawl_id).await.expect("crawl").expect("exists");
        assert_eq!(done.status, CrawlStatus::Done, "{done:?}");
        assert!(!app.paper_notes().is_empty());
    }
);

both_backends!(
    a_cancelled_crawl_ends_cancelled_with_its_jobs_gone,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let store = &app.ctx.store;
        let crawl = app.begin(&seed, 2, Direction::Both, None).await;
        let prefix = run_prefix(crawl.crawl_id, crawl.run);
        let outcome = refnet::crawl::cancel(&app.ctx, crawl.crawl_id).await.expect("cancel");
        let refnet::crawl::Cancel::Cancelled {
            crawl: cancelled,
            removed,
        } = outcome
        else {
            panic!("cancelled: {outcome:?}");
        };
        assert_eq!((cancelled.status, removed), (CrawlStatus::Cancelled, 1));
        assert_eq!(store.live_jobs(&prefix).await.expect("live"), 0, "its jobs are gone");
        // A job that was running when it was cancelled queues the next level: it does
        // nothing, and the crawl stays cancelled.
        let job = CrawlJob {
            crawl_id: crawl.crawl_id,
            run: crawl.run,
            depth: 1,
        };
        enqueue(&app.ctx, &[job]).await.expect("enqueue");
        app.drain(&prefix).await;
        let after = store.crawl(crawl.crawl_id).await.expect("crawl").expect("exists");
        assert_eq!(after.status, CrawlStatus::Cancelled, "{after:?}");
        assert!(app.paper_notes().is_empty(), "nothing was rendered");
        assert!(matches!(
            refnet::crawl::cancel(&app.ctx, crawl.crawl_id).await.expect("cancel"),
            refnet::crawl::Cancel::NotRunning(_)
        ));
        // A refresh starts a new run, which runs.
        let started = refnet::refresh::refresh_crawl(&app.ctx, crawl.crawl_id, "command")
            .await
            .expect("refresh");
        let refnet::refresh::RefreshStart::Started { run, .. } = started else {
            panic!("the refresh started: {started:?}");
        };
        app.drain(&run_prefix(crawl.crawl_id, run)).await;
        let refreshed = store.crawl(crawl.crawl_id).await.expect("crawl").expect("exists");
        assert_eq!(refreshed.status, CrawlStatus::Done, "{refreshed:?}");
    }
);

both_backends!(
    the_series_endpoint_returns_queue_samples_after_a_crawl,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        app.crawl(&seed, 1, Direction::References, None).await;
        // Two instants around now: the one the last jobs finished before, and the next.
        let now = refnet::store::now();
        let stored = refnet::serve::sampler::sample_once(&app.ctx, now)
            .await
            .expect("sample");
        assert_eq!(stored, 3, "one row per queue");
        let again = refnet::serve::sampler::sample_once(&app.ctx, now)
            .await
            .expect("sample");
        assert_eq!(again, 0, "an instant is stored once, whoever samples it");
        refnet::serve::sampler::sample_once(&app.ctx, now + refnet::serve::sampler::INTERVAL_SECS)
            .await
            .expect("sample");

        let stored = app.ctx.store.queue_samples(now - 60, 100).await.expect("samples");
        assert_eq!(stored.len(), 6, "two instants of three queues: {stored:?}");
        let (base, stop) = api_server(&app, None).await;
        let http = client();
        let (status, series) = json_of(
            http.get(format!("{base}/api/metrics/series?since={}", now - 60))
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!(status, 200, "{series}");
        let samples = series["samples"].as_array().expect("samples");
        assert_eq!(samples.len(), 6, "{series}");
        let done: i64 = samples.iter().filter_map(|s| s["done"].as_i64()).sum();
        assert!(done >= 1, "the crawl's last jobs are counted: {series}");
        let (_, home) = page(&http, &format!("{base}/")).await;
        assert!(home.contains("<polyline"), "the charts draw the samples: {home}");
        let (_, later) = json_of(
            http.get(format!("{base}/api/metrics/series?since={}", now + 3600))
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!(later["samples"], json!([]));
        assert_eq!(app.ctx.store.prune_samples(now + 3600).await.expect("prune"), 6);
        stop.cancel();
    }
);

#[tokio::test]
async fn refnet_jobs_pause_and_resume_a_queue_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s2 = "http://127.0.0.1:9/graph/v1";
    // The vault's store, as a first crawl leaves it.
    let db = dir.path().join("vault/.refnet/refnet.sqlite");
    refnet::store::Store::open(&format!("sqlite://{}", db.display()))
        .await
        .expect("store")
        .close()
        .await;
    let json_of = |out: &std::process::Output| -> Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", super::cli::stderr(out)))
    };
    let paused = super::cli::run(dir.path(), s2, &["jobs", "--json", "pause", "summarize"]).await;
    assert_eq!(paused.status.code(), Some(0), "{}", super::cli::stderr(&paused));
    assert_eq!(
        json_of(&paused),
        json!({"queue": "summarize", "paused": true, "changed": true})
    );
    let again = super::cli::run(dir.path(), s2, &["jobs", "pause", "summarize"]).await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("already paused"));
    let unknown = super::cli::run(dir.path(), s2, &["jobs", "pause", "summaries"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(super::cli::stderr(&unknown).contains("crawl, summarize or render"));
    let resumed = super::cli::run(dir.path(), s2, &["jobs", "--json", "resume", "summarize"]).await;
    assert_eq!(
        json_of(&resumed),
        json!({"queue": "summarize", "paused": false, "changed": true})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_connection_released_inside_a_transaction_is_closed_not_reused() {
    if super::support::pg_admin_url().is_none() {
        return;
    }
    let db = super::support::PgDatabase::create().await;
    let store = refnet::store::Store::open(db.url()).await.expect("store");
    let Db::Postgres(pool) = store.db() else {
        unreachable!("a Postgres store")
    };
    // What a cancelled `begin()` leaves: BEGIN sent, no rollback queued.
    {
        let mut conn = pool.acquire().await.expect("connection");
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await.expect("begin");
    }
    let in_transaction = async || -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(pool)
        .await
        .expect("count")
    };
    until("the stray transaction's connection closes", async || {
        in_transaction().await == 0
    })
    .await;
    // Every write through the pool is committed: none is left uncommitted holding a
    // lock that the next write of the same row would wait on forever.
    let writes = async {
        for i in 0..20 {
            let queue = if i % 2 == 0 { "crawl" } else { "render" };
            store.pause_queue(queue, i).await.expect("pause");
            store.resume_queue(queue).await.expect("resume");
        }
        store.pause_queue("summarize", 1).await.expect("pause")
    };
    let paused = tokio::time::timeout(Duration::from_secs(30), writes)
        .await
        .expect("no write waits on a stray transaction");
    assert!(paused);
    let other = refnet::store::Store::connect(db.url()).await.expect("second pool");
    let paused = other.paused_queues().await.expect("paused");
    assert_eq!(paused, [("summarize".to_owned(), 1)]);
}
