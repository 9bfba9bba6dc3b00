//! A crawl run from start to end: summaries queued only where they are not current, in
//! batches; one render after them; the status honest until then; a later crawl updating
//! an earlier crawl's notes; superseded work doing nothing; two summary jobs at once on
//! SQLite's small pool never waiting for a connection.

use std::path::PathBuf;
use std::time::Duration;

use refnet::queue::jobs::RenderJob;
use refnet::queue::{enqueue, run_prefix};
use refnet::stage::Stage;
use refnet::store::{CrawlStatus, Db, Direction, JobFilter, Store};
use refnet::testkit::Corpus;
use refnet::worker::{Handler, StageWorkers, run_workers};
use tokio_util::sync::CancellationToken;

use super::support::{Backend, TestApp, TestSummarizer, frontmatter, markdown, wikilinks};
use crate::both_backends;

/// Jobs ever queued (in any state) under a key prefix.
async fn jobs_under(store: &Store, prefix: &str) -> i64 {
    let pattern = format!("{prefix}%");
    match store.db() {
        Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM Jobs WHERE idempotency_key LIKE $1")
                .bind(pattern)
                .fetch_one(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM apalis.jobs WHERE idempotency_key LIKE $1")
                .bind(pattern)
                .fetch_one(pool)
                .await
        }
    }
    .expect("count jobs")
}

/// Every note file with its modification time.
fn stamps(app: &TestApp) -> Vec<(PathBuf, std::time::SystemTime)> {
    markdown(&app.vault())
        .into_iter()
        .map(|(p, _)| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).expect("mtime");
            (p, modified)
        })
        .collect()
}

both_backends!(
    a_second_run_of_a_finished_crawl_queues_no_summary_and_writes_no_file,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(80, 5, 11);
        let seed = corpus.paper(79).id.clone();
        let app = TestApp::with(backend, corpus, Default::default(), |s| s.summarize.batch_size = 7).await;
        let first = app.crawl_with(&seed, 2, Direction::References, None, true).await;
        assert_eq!(first.status, CrawlStatus::Done);
        let members = app.ctx.store.members(first.crawl_id).await.expect("members").len() as i64;
        let batches = jobs_under(
            &app.ctx.store,
            &format!("{}summarize:", run_prefix(first.crawl_id, first.run)),
        )
        .await;
        assert!(batches >= 1, "the first run summarizes");
        assert!(
            batches <= (members + 6) / 7 + 3,
            "{batches} summary jobs for {members} papers in batches of 7"
        );
        let renders = jobs_under(
            &app.ctx.store,
            &format!("{}render:", run_prefix(first.crawl_id, first.run)),
        )
        .await;
        assert_eq!(renders, 1, "one render per run");
        let before = stamps(&app);

        let second = app.crawl_with(&seed, 2, Direction::References, None, true).await;
        assert_eq!(second.run, first.run + 1);
        assert_eq!(second.status, CrawlStatus::Done);
        let prefix = run_prefix(second.crawl_id, second.run);
        assert_eq!(
            jobs_under(&app.ctx.store, &format!("{prefix}summarize:")).await,
            0,
            "every summary is current"
        );
        assert_eq!(jobs_under(&app.ctx.store, &format!("{prefix}render:")).await, 1);
        assert_eq!(stamps(&app), before, "no note was written");
        let progress = app
            .ctx
            .store
            .summary_progress(second.crawl_id, second.run)
            .await
            .expect("progress");
        assert_eq!(progress.queued, 0, "{progress:?}");
    }
);

both_backends!(
    a_crawl_stays_running_while_its_summaries_wait,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(40, 4, 3);
        let seed = corpus.paper(39).id.clone();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.begin_with(&seed, 1, Direction::References, None, true).await;
        let prefix = run_prefix(crawl.crawl_id, crawl.run);

        // Only the crawl stage works: the levels are fetched, the summaries wait.
        let shutdown = CancellationToken::new();
        let crawler = StageWorkers {
            stage: Stage::Crawl,
            concurrency: 1,
        };
        let workers = tokio::spawn(run_workers(app.ctx.clone(), vec![crawler], shutdown.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
        while app.ctx.store.live_jobs(&format!("{prefix}crawl:")).await.expect("live") > 0 {
            assert!(tokio::time::Instant::now() < deadline, "the crawl stage did not finish");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        shutdown.cancel();
        workers.await.expect("workers stop");

        let fetched = app.ctx.store.crawl(crawl.crawl_id).await.expect("read").expect("there");
        assert!(fetched.fetched(), "every level is fetched");
        assert_eq!(fetched.status, CrawlStatus::Running, "summaries are still to come");
        assert!(
            app.ctx
                .store
                .live_jobs(&format!("{prefix}summarize:"))
                .await
                .expect("live")
                > 0
        );
        assert_eq!(
            app.ctx
                .store
                .live_jobs(&format!("{prefix}render:"))
                .await
                .expect("live"),
            0,
            "no render before the summaries"
        );

        app.drain(&prefix).await;
        let done = app.ctx.store.crawl(crawl.crawl_id).await.expect("read").expect("there");
        assert_eq!(done.status, CrawlStatus::Done);
        let progress = app
            .ctx
            .store
            .summary_progress(crawl.crawl_id, crawl.run)
            .await
            .expect("progress");
        assert!(
            progress.queued > 0 && progress.settled == progress.queued,
            "{progress:?}"
        );
    }
);

both_backends!(
    a_later_crawl_updates_the_cited_by_of_an_earlier_crawls_notes,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        let x = corpus.add("x", "An earlier foundation", 2001, &[]);
        let y = corpus.add("y", "A later paper that builds on it", 2020, &[x]);
        let (x_id, y_id) = (corpus.paper(x).id.clone(), corpus.paper(y).id.clone());
        let app = TestApp::new(backend, corpus).await;
        app.crawl(&x_id, 0, Direction::References, None).await;
        let note_of = |title: &str| {
            markdown(&app.vault().join("refnet/papers"))
                .into_iter()
                .find(|(_, t)| frontmatter(t).get("title").and_then(|v| v.as_str()) == Some(title))
                .map(|(_, t)| t)
                .expect("a note with that title")
        };
        let cited_by = |text: &str| -> Vec<String> {
            let section = text.split("## Cited by").nth(1).unwrap_or_default();
            let section = section.split("%% refnet:end").next().unwrap_or_default();
            wikilinks(section)
        };
        assert!(cited_by(&note_of("An earlier foundation")).is_empty());

        // A crawl of the later paper alone: the earlier one is not a member of it.
        let later = app.crawl(&y_id, 0, Direction::References, None).await;
        let members: Vec<String> = app
            .ctx
            .store
            .members(later.crawl_id)
            .await
            .expect("members")
            .into_iter()
            .map(|m| m.paper_id)
            .collect();
        assert_eq!(members, [y_id]);
        let links = cited_by(&note_of("An earlier foundation"));
        assert_eq!(links.len(), 1, "the earlier note lists its new citing paper: {links:?}");
        assert!(links[0].contains("A later paper"), "{links:?}");
    }
);

both_backends!(
    render_jobs_of_a_superseded_run_do_nothing,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(20, 3, 5);
        let seed = corpus.paper(19).id.clone();
        let app = TestApp::new(backend, corpus).await;
        let old = app.begin(&seed, 1, Direction::References, None).await;
        let new = app.begin(&seed, 1, Direction::References, None).await;
        assert_eq!(new.run, old.run + 1);

        let stale = RenderJob::new(old.crawl_id, old.run, RenderJob::RUN);
        enqueue(&app.ctx, std::slice::from_ref(&stale)).await.expect("enqueue");
        stale
            .run(&app.ctx)
            .await
            .expect("a superseded render succeeds at doing nothing");
        assert!(markdown(&app.vault()).is_empty(), "no note was written");
        let crawl = app.ctx.store.crawl(old.crawl_id).await.expect("read").expect("there");
        assert_eq!(
            crawl.status,
            CrawlStatus::Running,
            "the old run's render does not end the new run"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_summary_jobs_at_once_on_sqlite_never_wait_for_a_connection() {
    // Papers summarized one by one, two jobs at once, on SQLite's pool of four
    // connections: a job that settled while its other papers' futures sat unpolled,
    // holding connections, waited 30 s for one and failed that attempt.
    let corpus = Corpus::synthetic(2_000, 20, 7);
    let seed = corpus.paper(1_999).id.clone();
    let mut app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        s.summarize.batch_size = 60;
    })
    .await;
    std::sync::Arc::get_mut(&mut app.ctx)
        .expect("the app's only handle")
        .summarizer = std::sync::Arc::new(TestSummarizer { local: false });

    let crawl = app.crawl_with(&seed, 2, Direction::References, None, true).await;

    let members = app.ctx.store.members(crawl.crawl_id).await.expect("members").len();
    let filter = JobFilter {
        queue: Some("summarize".to_owned()),
        ..Default::default()
    };
    let (jobs, total) = app.ctx.store.list_jobs(&filter, 1_000, 0).await.expect("jobs");
    assert!(total >= 4, "{total} summarize jobs for {members} papers");
    for job in &jobs {
        assert_eq!(
            job.attempts, 1,
            "a summarize job needed another attempt: {:?}",
            job.last_result
        );
    }
    assert_eq!(app.ctx.counters.summaries_written.get(), members as u64);
}
