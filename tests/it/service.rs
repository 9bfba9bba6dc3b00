//! The service: refreshes and their what's-new notes, one refresh per scheduled
//! occurrence however many schedulers fire, worker processes sharing a queue (no job run
//! twice, a killed worker's job run again). The HTTP side (`serve_http`) uses the
//! process helpers here.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use refnet::queue::{SummarizeJob, enqueue, run_prefix};
use refnet::refresh::{self, Fired, RefreshStart, Schedule};
use refnet::serve::{self, AppState};
use refnet::store::{Db, Direction, Store};
use refnet::testkit::{Corpus, FakeLlm, LlmOptions};

use super::support::{Backend, TestApp, frontmatter, wikilinks};
use crate::both_backends;

/// A seed citing three papers, and cited by two.
pub(super) fn small_corpus() -> (Corpus, String) {
    let mut c = Corpus::new();
    let a = c.add("svc-a", "Recurrent Networks Revisited", 2014, &[]);
    let b = c.add("svc-b", "Sequence Models at Scale", 2015, &[a]);
    let d = c.add("svc-d", "Attention Mechanisms Explained", 2016, &[a]);
    let seed = c.add("svc-seed", "A Seed Paper on Attention", 2017, &[a, b, d]);
    c.add("svc-c1", "A First Follow-up", 2018, &[seed]);
    c.add("svc-c2", "A Second Follow-up", 2019, &[seed, b]);
    let id = c.paper(seed).id.clone();
    (c, id)
}

pub(super) fn database_url(app: &TestApp) -> String {
    app.ctx
        .settings
        .database_url
        .as_ref()
        .map(|u| u.expose().to_owned())
        .expect("the test app has a database url")
}

/// Every `.md` file under a vault folder, as (file stem, text).
pub(super) fn notes_in(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".md")?.to_owned();
            Some((stem, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    out.sort();
    out
}

both_backends!(
    a_refresh_adds_new_citing_papers_and_writes_a_whats_new_note,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::Both, None).await;
        let before: Vec<String> = notes_in(&app.vault().join("refnet/papers"))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(before.len(), 6, "{before:?}");

        // Two new papers cite the seed; an old one gains citations from outside.
        app.s2.with_corpus(|c| {
            let seed_idx = c.resolve(&seed).expect("seed");
            let a = c.resolve(&refnet::testkit::fake_id("svc-a")).expect("a");
            c.add("svc-new1", "A Fresh Take on Attention", 2026, &[seed_idx]);
            c.add("svc-new2", "Attention, Once More", 2026, &[seed_idx, a]);
            c.paper_mut(a).extra_citation_count += 40;
        });
        let started = refresh::refresh_crawl(&app.ctx, crawl.crawl_id, "command")
            .await
            .expect("refresh");
        let RefreshStart::Started { run, .. } = started else {
            panic!("the refresh started: {started:?}");
        };
        app.drain(&run_prefix(crawl.crawl_id, run)).await;

        let after = notes_in(&app.vault().join("refnet/papers"));
        let names: Vec<&str> = after.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(after.len(), 8, "{names:?}");
        assert!(names.contains(&"A Fresh Take on Attention"), "{names:?}");
        assert!(names.iter().any(|n| n.contains("Once More")), "{names:?}");

        let news = notes_in(&app.vault().join("refnet/news"));
        assert_eq!(news.len(), 1, "one what's-new note: {news:?}");
        let (news_name, news_text) = &news[0];
        let fm = frontmatter(news_text);
        assert_eq!(
            fm.get("new_papers").and_then(serde_yaml::Value::as_i64),
            Some(2),
            "{news_text}"
        );
        assert_eq!(
            fm.get("cited_more").and_then(serde_yaml::Value::as_i64),
            Some(2),
            "the seed and paper a: {news_text}"
        );
        let links = wikilinks(news_text);
        assert!(links.iter().any(|l| l == "A Fresh Take on Attention"), "{links:?}");
        assert!(
            links.iter().any(|l| l == "Recurrent Networks Revisited"),
            "cited more: {links:?}"
        );
        let index = notes_in(&app.vault().join("refnet/crawls"));
        assert_eq!(index.len(), 1);
        assert!(
            wikilinks(&index[0].1).contains(news_name),
            "the index links the news: {}",
            index[0].1
        );

        // A refresh that finds nothing new writes no second note, and rewrites nothing.
        let unchanged = notes_in(&app.vault().join("refnet/papers"));
        let again = refresh::refresh_crawl(&app.ctx, crawl.crawl_id, "command")
            .await
            .expect("refresh");
        let RefreshStart::Started { run, .. } = again else {
            panic!("the second refresh started: {again:?}");
        };
        app.drain(&run_prefix(crawl.crawl_id, run)).await;
        assert_eq!(notes_in(&app.vault().join("refnet/news")).len(), 1);
        assert_eq!(notes_in(&app.vault().join("refnet/papers")), unchanged);
    }
);

both_backends!(
    two_schedulers_firing_for_one_occurrence_refresh_once,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        // A second process: its own connection pool on the same database.
        let other_store = Store::open(&database_url(&app)).await.expect("second store");
        let other = refnet::context::Context::new(app.ctx.settings.clone(), other_store).expect("second context");
        let schedule = Schedule::parse("0 0 3 * * *").expect("schedule");
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T03:00:00.250Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let skewed = at + chrono::Duration::milliseconds(1700);

        let (a, b) = tokio::join!(
            refresh::fire(&app.ctx, &schedule, "replica-a", at),
            refresh::fire(&other, &schedule, "replica-b", skewed)
        );
        let outcomes = [a.expect("fire a"), b.expect("fire b")];
        let ran: Vec<&Fired> = outcomes.iter().filter(|f| matches!(f, Fired::Ran(_))).collect();
        assert_eq!(ran.len(), 1, "exactly one replica refreshes: {outcomes:?}");
        let refreshed = app.ctx.store.crawl(crawl.crawl_id).await.expect("read").expect("crawl");
        assert_eq!(refreshed.run, crawl.run + 1, "one new run, not two");
        assert_eq!(
            app.ctx
                .store
                .refreshes_of(crawl.crawl_id)
                .await
                .expect("refreshes")
                .len(),
            1
        );

        // The next night is a new occurrence.
        app.drain(&run_prefix(crawl.crawl_id, refreshed.run)).await;
        let next = refresh::fire(&other, &schedule, "replica-b", at + chrono::Duration::days(1))
            .await
            .expect("fire");
        assert!(matches!(next, Fired::Ran(ref s) if s.len() == 1), "{next:?}");
        other.store.close().await;
    }
);

/// A `refnet` child process with a clean environment, killed if the test ends early.
pub(super) fn refnet_process(dir: &Path, env: &[(&str, String)], args: &[&str]) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_HEARTBEAT_SECS", "1")
        .env("REFNET_S2_RPS", "1000")
        .env("REFNET_LLM_RPM", "6000")
        .env("REFNET_LOG", "info,sqlx=warn")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd.spawn().expect("spawn refnet")
}

/// Sends SIGTERM and waits: the exit code.
#[expect(unsafe_code, reason = "kill has no safe wrapper in std")]
pub(super) async fn terminate(child: tokio::process::Child) -> (Option<i32>, String) {
    if let Some(pid) = child.id() {
        // SAFETY: kill only sends a signal to a process this test started.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
    let out = tokio::time::timeout(Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("the process stops within its grace period")
        .expect("wait");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The environment of a worker process on the test's database, vault and fakes.
pub(super) fn worker_env(app: &TestApp, llm: &FakeLlm) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url(app)),
        ("REFNET_VAULT", app.vault().display().to_string()),
        ("REFNET_S2_URL", app.ctx.settings.s2.url.to_string()),
        ("REFNET_LLM_URL", llm.url.clone()),
        ("REFNET_LLM_MODEL", "fake-model".to_owned()),
    ]
}

/// Enqueues summary jobs of two papers each for every member of the crawl (small batches,
/// so that several workers share them); returns their paper ids.
pub(super) async fn enqueue_summaries(app: &TestApp, crawl_id: i64, run: i64) -> Vec<String> {
    let members = app.ctx.store.members(crawl_id).await.expect("members");
    let ids: Vec<String> = members.into_iter().map(|m| m.paper_id).collect();
    let jobs = SummarizeJob::batches(crawl_id, run, 1, ids.clone(), 2);
    enqueue(&app.ctx, &jobs).await.expect("enqueue summaries");
    ids
}

pub(super) async fn wait_drained(app: &TestApp, prefix: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while app.ctx.store.live_jobs(prefix).await.expect("live jobs") > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs under {prefix} did not drain"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Summary rows per paper.
pub(super) async fn summary_rows(store: &Store, paper: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM summaries WHERE paper_id = $1";
    match store.db() {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(paper.to_owned()).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(paper.to_owned()).fetch_one(pool).await,
    }
    .expect("count summaries")
}

/// Distinct workers that finished jobs of a queue.
pub(super) async fn finishers(store: &Store, queue: &str) -> i64 {
    let sql =
        |table: &str| format!("SELECT COUNT(DISTINCT lock_by) FROM {table} WHERE job_type = $1 AND status = 'Done'");
    match store.db() {
        Db::Sqlite(pool) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql("Jobs")))
                .bind(queue.to_owned())
                .fetch_one(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql("apalis.jobs")))
                .bind(queue.to_owned())
                .fetch_one(pool)
                .await
        }
    }
    .expect("count finishers")
}

both_backends!(
    two_worker_processes_share_a_queue_and_run_no_job_twice,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(40, 12, 5);
        let seed = corpus.paper(39).id.clone();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        let llm = FakeLlm::start(LlmOptions {
            latency: Duration::from_millis(150),
            ..LlmOptions::default()
        })
        .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let env = worker_env(&app, &llm);
        let args = ["worker", "--stage", "summarize", "--concurrency", "2"];
        let a = refnet_process(dir.path(), &env, &args);
        let b = refnet_process(dir.path(), &env, &args);
        let papers = enqueue_summaries(&app, crawl.crawl_id, crawl.run).await;
        assert!(papers.len() >= 10, "{}", papers.len());

        wait_drained(
            &app,
            &format!("{}summarize:", run_prefix(crawl.crawl_id, crawl.run)),
            Duration::from_secs(90),
        )
        .await;
        let (code_a, err_a) = terminate(a).await;
        let (code_b, err_b) = terminate(b).await;
        assert_eq!(code_a, Some(0), "{err_a}");
        assert_eq!(code_b, Some(0), "{err_b}");

        let calls = llm.calls();
        for paper in &papers {
            let title = app.ctx.store.papers(std::slice::from_ref(paper)).await.expect("paper")[0]
                .title
                .clone();
            let asked = calls.iter().filter(|c| c.prompt.contains(&title)).count();
            assert_eq!(asked, 1, "{title} was summarized {asked} times");
            assert_eq!(summary_rows(&app.ctx.store, paper).await, 1, "{title}");
        }
        assert_eq!(
            finishers(&app.ctx.store, "summarize").await,
            2,
            "both processes did jobs"
        );
    }
);

both_backends!(
    a_job_whose_worker_is_killed_runs_again_and_nothing_doubles,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(12, 3, 9);
        let seed = corpus.paper(11).id.clone();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        // The LLM hangs: the first worker dies holding its job.
        let llm = FakeLlm::start(LlmOptions {
            latency: Duration::from_mins(2),
            ..LlmOptions::default()
        })
        .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let env = worker_env(&app, &llm);
        let args = ["worker", "--stage", "summarize", "--concurrency", "1"];
        let mut doomed = refnet_process(dir.path(), &env, &args);
        let papers = enqueue_summaries(&app, crawl.crawl_id, crawl.run).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while llm.calls().is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the first worker never started a job"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        doomed.start_kill().expect("SIGKILL");
        let status = doomed.wait().await.expect("wait");
        assert_eq!(status.code(), None, "killed by a signal");
        let held = llm.calls()[0].prompt.clone();

        llm.set_latency(Duration::ZERO);
        let rescuer = refnet_process(dir.path(), &env, &args);
        wait_drained(
            &app,
            &format!("{}summarize:", run_prefix(crawl.crawl_id, crawl.run)),
            Duration::from_secs(90),
        )
        .await;
        let (code, err) = terminate(rescuer).await;
        assert_eq!(code, Some(0), "{err}");

        let calls = llm.calls();
        assert_eq!(
            calls.iter().filter(|c| c.prompt == held).count(),
            2,
            "the held job ran again"
        );
        for paper in &papers {
            assert_eq!(summary_rows(&app.ctx.store, paper).await, 1, "one summary for {paper}");
        }
        assert!(app.ctx.store.dead_jobs(None, 10).await.expect("dead").is_empty());
    }
);

/// Serves the API of `app` on 127.0.0.1, port 0.
/// An HTTP client for the API tests: redirects are answers to look at, not to follow.
pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A response's status and JSON body (`null` when the body is not JSON).
pub(super) async fn json_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response
        .json::<serde_json::Value>()
        .await
        .unwrap_or(serde_json::Value::Null);
    (status, body)
}

pub(super) async fn api_server(app: &TestApp, token: Option<&str>) -> (String, tokio_util::sync::CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = serve::router(AppState::new(app.ctx.clone(), token.map(refnet::secret::Secret::new)));
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(serve::run(listener, router, stop.clone()));
    (format!("http://{addr}"), stop)
}
