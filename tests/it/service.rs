//! The service: refreshes and their what's-new notes, one refresh per scheduled
//! occurrence however many schedulers fire, worker processes sharing a queue (no job run
//! twice, a killed worker's job run again), the HTTP API and its token, `/metrics` as
//! Prometheus text, `refnet serve` end to end with its dashboard in headless Chromium, and
//! serve riding out Postgres going away.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use refnet::queue::{SummarizeJob, enqueue, run_prefix};
use refnet::refresh::{self, Fired, RefreshStart, Schedule};
use refnet::serve::{self, AppState};
use refnet::store::{Db, Direction, Store};
use refnet::testkit::{Corpus, FakeLlm, LlmOptions};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::metrics::{assert_prometheus_text, sample};
use super::support::{Backend, TestApp, frontmatter, wikilinks};
use crate::both_backends;

/// A seed citing three papers, and cited by two.
fn small_corpus() -> (Corpus, String) {
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

fn database_url(app: &TestApp) -> String {
    app.ctx
        .settings
        .database_url
        .as_ref()
        .map(|u| u.expose().to_owned())
        .expect("the test app has a database url")
}

/// Every `.md` file under a vault folder, as (file stem, text).
fn notes_in(dir: &Path) -> Vec<(String, String)> {
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
fn refnet_process(dir: &Path, env: &[(&str, String)], args: &[&str]) -> tokio::process::Child {
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
async fn terminate(child: tokio::process::Child) -> (Option<i32>, String) {
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
fn worker_env(app: &TestApp, llm: &FakeLlm) -> Vec<(&'static str, String)> {
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
async fn enqueue_summaries(app: &TestApp, crawl_id: i64, run: i64) -> Vec<String> {
    let members = app.ctx.store.members(crawl_id).await.expect("members");
    let ids: Vec<String> = members.into_iter().map(|m| m.paper_id).collect();
    let jobs = SummarizeJob::batches(crawl_id, run, 1, ids.clone(), 2);
    enqueue(&app.ctx, &jobs).await.expect("enqueue summaries");
    ids
}

async fn wait_drained(app: &TestApp, prefix: &str, within: Duration) {
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
async fn summary_rows(store: &Store, paper: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM summaries WHERE paper_id = $1";
    match store.db() {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(paper.to_owned()).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(paper.to_owned()).fetch_one(pool).await,
    }
    .expect("count summaries")
}

/// Distinct workers that finished jobs of a queue.
async fn finishers(store: &Store, queue: &str) -> i64 {
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
pub(super) async fn api_server(app: &TestApp, token: Option<&str>) -> (String, tokio_util::sync::CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = serve::router(AppState {
        ctx: app.ctx.clone(),
        token: token.map(refnet::secret::Secret::new),
    });
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(serve::run(listener, router, stop.clone()));
    (format!("http://{addr}"), stop)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

both_backends!(
    the_api_answers_with_status_codes_and_json_errors_naming_the_field,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let (base, stop) = api_server(&app, None).await;
        let http = client();
        let post = |body: Value| {
            http.post(format!("{base}/api/crawls"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
        };

        let (status, body) = json_of(http.get(format!("{base}/api/crawls")).send().await.expect("get")).await;
        assert_eq!((status, body), (200, json!({"crawls": []})));

        for (body, field) in [
            (json!({"depth": 1}), "seed"),
            (json!({"seed": 7}), "seed"),
            (json!({"seed": "not an id"}), "seed"),
            (json!({"seed": seed, "depth": 11}), "depth"),
            (json!({"seed": seed, "depth": -1}), "depth"),
            (json!({"seed": seed, "direction": "sideways"}), "direction"),
            (json!({"seed": seed, "max_papers": 0}), "max_papers"),
            (json!({"seed": seed, "colour": "blue"}), "colour"),
        ] {
            let (status, answer) = json_of(post(body.clone()).await.expect("post")).await;
            assert_eq!(status, 400, "{body} → {answer}");
            assert_eq!(answer["field"], field, "{body} → {answer}");
            assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
        let (status, _) = json_of(
            http.post(format!("{base}/api/crawls"))
                .body("{\"seed\": \"x\"")
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 415, "JSON must say so");
        let (status, _) = json_of(
            http.post(format!("{base}/api/crawls"))
                .header("content-type", "application/json")
                .body("{\"seed\":")
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 400);
        let (status, answer) = json_of(post(json!({"seed": "ARXIV:9999.99999"})).await.expect("post")).await;
        assert_eq!((status, answer["field"].clone()), (422, json!("seed")), "{answer}");

        let response = post(json!({"seed": seed, "depth": 1})).await.expect("post");
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(response.headers()["location"], "/api/crawls/1");
        let (_, created) = json_of(response).await;
        assert_eq!(created["id"], 1);

        let (status, crawl) = json_of(http.get(format!("{base}/api/crawls/1")).send().await.expect("get")).await;
        assert_eq!(status, 200);
        assert_eq!(crawl["stages"]["crawl"]["pending"], 1, "{crawl}");
        assert_eq!(crawl["status"], "running");
        let (status, again) = json_of(post(json!({"seed": seed, "depth": 1})).await.expect("post")).await;
        assert_eq!(
            (status, again["id"].clone()),
            (200, json!(1)),
            "already running: {again}"
        );

        let (status, answer) = json_of(http.get(format!("{base}/api/crawls/99")).send().await.expect("get")).await;
        assert_eq!((status, answer["field"].clone()), (404, json!("id")));
        let (status, answer) = json_of(http.get(format!("{base}/api/crawls/abc")).send().await.expect("get")).await;
        assert_eq!((status, answer["field"].clone()), (400, json!("id")));
        let (status, _) = json_of(
            http.post(format!("{base}/api/jobs/nope/retry"))
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 404);
        let (status, answer) = json_of(http.get(format!("{base}/nowhere")).send().await.expect("get")).await;
        assert_eq!(status, 404);
        assert!(answer["error"].is_string());
        let (status, queues) = json_of(http.get(format!("{base}/api/queues")).send().await.expect("get")).await;
        assert_eq!(status, 200);
        let names: Vec<&str> = queues["queues"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|q| q["queue"].as_str())
            .collect();
        assert_eq!(names, ["crawl", "summarize", "render"]);

        // No worker is running: not healthy, and says why.
        let (status, health) = json_of(http.get(format!("{base}/healthz")).send().await.expect("get")).await;
        assert_eq!(status, 503, "{health}");
        assert_eq!(health["database"], "ok");

        // Run the crawl; a dead job can be retried over the API.
        app.drain(&run_prefix(1, 1)).await;
        let (_, crawl) = json_of(http.get(format!("{base}/api/crawls/1")).send().await.expect("get")).await;
        assert_eq!(crawl["status"], "done", "{crawl}");
        assert!(crawl["papers"]["members"].as_i64() >= Some(4), "{crawl}");

        // Requests for another host name, and posts from another site, are refused.
        let (status, _) = json_of(
            http.get(format!("{base}/api/crawls"))
                .header("host", "rebound.example:8080")
                .send()
                .await
                .expect("get"),
        )
        .await;
        assert_eq!(status, 421);
        let (status, _) = json_of(
            http.post(format!("{base}/api/refresh"))
                .header("origin", "https://evil.example")
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 403);
        let (status, refreshed) = json_of(
            http.post(format!("{base}/api/refresh"))
                .header("content-type", "application/json")
                .body("{\"crawl\": 1}")
                .send()
                .await
                .expect("post"),
        )
        .await;
        assert_eq!(status, 202, "{refreshed}");
        assert_eq!(refreshed["refreshes"][0]["outcome"], "started");
        stop.cancel();
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_everything_but_healthz_and_logs_browsers_in() {
    let (corpus, _) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let (base, stop) = api_server(&app, Some("t0ps3cret")).await;
    let http = client();

    let response = http.get(format!("{base}/api/crawls")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let response = http
        .get(format!("{base}/api/crawls"))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 401);
    let response = http
        .get(format!("{base}/api/crawls"))
        .bearer_auth("t0ps3cret")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        http.get(format!("{base}/metrics"))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16(),
        401
    );
    assert_ne!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16(),
        401,
        "health checks need no token"
    );
    // A token means any host name may be served.
    let response = http
        .get(format!("{base}/api/crawls"))
        .header("host", "refnet.lab.example")
        .bearer_auth("t0ps3cret")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 200);

    // Browsers: the page sends them to the login form; the token buys a cookie.
    let response = http.get(format!("{base}/")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login");
    let response = http
        .post(format!("{base}/login"))
        .form(&[("token", "guess")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 401);
    let response = http
        .post(format!("{base}/login"))
        .form(&[("token", "t0ps3cret")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 303);
    let cookie = response.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("t0ps3cret"), "the cookie is not the token: {cookie}");
    let session = cookie.split(';').next().expect("pair").to_owned();
    let response = http
        .get(format!("{base}/"))
        .header("cookie", session)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.expect("page");
    assert!(page.contains("Start a crawl"), "{page}");
    stop.cancel();
}

/// Headless Chromium's DOM of a page, or `None` when Chromium is not installed.
async fn chromium_dom(url: &str) -> Option<String> {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })?;
    let profile = tempfile::tempdir().expect("profile dir");
    let out = tokio::time::timeout(
        Duration::from_mins(1),
        tokio::process::Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--dump-dom", url])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("chromium answers within a minute")
    .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Starts `refnet serve` on 127.0.0.1, port 0: the process and its base URL, read from
/// the first line it prints.
async fn start_serve(dir: &Path, env: &[(&str, String)]) -> (tokio::process::Child, String) {
    let mut server = refnet_process(dir, env, &["serve", "--bind", "127.0.0.1:0"]);
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve starts")
        .expect("read")
        .expect("a line");
    let base = first.strip_prefix("serving on ").map_or_else(
        || panic!("unexpected first line {first:?}"),
        |u| u.trim_end_matches('/').to_owned(),
    );
    // Keep reading, so that anything serve prints later has somewhere to go.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (server, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refnet_serve_takes_a_crawl_over_http_shows_it_and_refreshes_on_schedule() {
    let (corpus, seed) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = vec![
        ("DATABASE_URL", database_url(&app)),
        ("REFNET_VAULT", app.vault().display().to_string()),
        ("REFNET_S2_URL", app.ctx.settings.s2.url.to_string()),
        ("REFNET_REFRESH_CRON", "*/3 * * * * *".to_owned()),
    ];
    let (server, base) = start_serve(dir.path(), &env).await;
    let http = client();

    let response = http
        .post(format!("{base}/api/crawls"))
        .header("content-type", "application/json")
        .body(json!({"seed": seed, "depth": 1, "direction": "both"}).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 201);
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    loop {
        let (_, crawl) = json_of(http.get(format!("{base}/api/crawls/1")).send().await.expect("get")).await;
        let stages_done = ["crawl", "summarize", "render"].iter().all(|s| {
            let st = &crawl["stages"][s];
            st["pending"] == 0 && st["running"] == 0 && st["done"].as_i64() > Some(0)
        });
        if crawl["status"] == "done" && stages_done
            || !crawl["refreshes"].as_array().is_none_or(std::vec::Vec::is_empty)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crawl did not finish: {crawl}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (status, health) = json_of(http.get(format!("{base}/healthz")).send().await.expect("get")).await;
    assert_eq!(status, 200, "{health}");
    let metrics = http.get(format!("{base}/metrics")).send().await.expect("get");
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        metrics.headers()
    );
    let text = metrics.text().await.expect("metrics");
    assert_prometheus_text(&text);
    assert!(
        sample(&text, "refnet_queue_jobs{queue=\"crawl\",state=\"done\"}") >= Some(2.0),
        "{text}"
    );
    assert!(
        sample(&text, "refnet_jobs_total{queue=\"crawl\",outcome=\"done\"}") >= Some(2.0),
        "{text}"
    );
    assert!(sample(&text, "refnet_s2_requests_total") >= Some(1.0), "{text}");
    assert!(sample(&text, "refnet_workers{queue=\"render\"}") >= Some(1.0), "{text}");
    for queue in ["crawl", "summarize", "render"] {
        let series = format!("refnet_queue_oldest_pending_seconds{{queue=\"{queue}\"}}");
        assert!(sample(&text, &series) >= Some(0.0), "{series}: {text}");
    }

    // The schedule fires every three seconds: a refresh comes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, crawl) = json_of(http.get(format!("{base}/api/crawls/1")).send().await.expect("get")).await;
        if crawl["refreshes"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["trigger"] == "schedule"))
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no scheduled refresh: {crawl}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    match chromium_dom(&format!("{base}/")).await {
        Some(dom) => {
            assert!(
                dom.contains("<tr class=\"crawl\" data-id=\"1\">"),
                "the crawl is on the dashboard: {dom}"
            );
            assert!(dom.contains(&seed), "{dom}");
            assert!(dom.contains("data-queue=\"summarize\""), "{dom}");
        }
        None => refnet::testkit::skip_group(
            "dashboard test in Chromium",
            "no chromium on PATH (.ci/run installs it)",
            "REFNET_TEST_REQUIRE_CHROMIUM",
        ),
    }

    let (code, err) = terminate(server).await;
    assert_eq!(code, Some(0), "{err}");
    let index = notes_in(&app.vault().join("refnet/crawls"));
    assert_eq!(index.len(), 1, "the crawl wrote its notes");
}

/// A TCP forwarder on 127.0.0.1 in front of the test Postgres that can be cut (every
/// connection dropped, new ones closed at once) and restored: Postgres going away.
struct CutProxy {
    addr: std::net::SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    async fn start(target: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let accept = {
            let (up, links) = (up.clone(), links.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        continue; // dropped: the connection closes at once
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.lock().expect("links").push(link);
                }
            })
        };
        Self {
            addr,
            up,
            links,
            accept,
        }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

async fn healthz_until(http: &reqwest::Client, base: &str, want: u16, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (status, health) = json_of(http.get(format!("{base}/healthz")).send().await.expect("get")).await;
        if status == want {
            return health;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz did not answer {want} within {within:?}: {status} {health}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_fails_healthz_and_the_work_resumes_when_it_returns() {
    if super::support::pg_admin_url().is_none() {
        return;
    }
    let (corpus, seed) = small_corpus();
    let app = TestApp::new(Backend::Postgres, corpus).await;
    let mut direct = url::Url::parse(&database_url(&app)).expect("url");
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], direct.port().unwrap_or(5432)));
    let proxy = CutProxy::start(target).await;
    direct.set_port(Some(proxy.addr.port())).expect("port");
    let dir = tempfile::tempdir().expect("tempdir");
    let env = vec![
        ("DATABASE_URL", direct.to_string()),
        ("REFNET_VAULT", app.vault().display().to_string()),
        ("REFNET_S2_URL", app.ctx.settings.s2.url.to_string()),
    ];
    let (mut server, base) = start_serve(dir.path(), &env).await;
    let http = client();
    healthz_until(&http, &base, 200, Duration::from_secs(30)).await;

    // Postgres goes away: the probe says so, quickly, and serve keeps running.
    proxy.cut();
    let started = tokio::time::Instant::now();
    let health = healthz_until(&http, &base, 503, Duration::from_secs(20)).await;
    assert_eq!(health["database"], "unreachable", "{health}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    // A crawl is queued meanwhile (through the database directly), and time passes.
    let crawl = app.begin(&seed, 1, Direction::References, None).await;
    enqueue(
        &app.ctx,
        &[refnet::queue::CrawlJob {
            crawl_id: crawl.crawl_id,
            run: crawl.run,
            depth: 0,
        }],
    )
    .await
    .expect("enqueue");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        server.try_wait().expect("try_wait").is_none(),
        "serve exited while the database was away"
    );
    assert!(
        app.paper_notes().is_empty(),
        "nothing could be rendered without the database"
    );

    // It comes back: the workers reconnect and the queued crawl runs to its notes.
    proxy.restore();
    healthz_until(&http, &base, 200, Duration::from_mins(1)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while app
        .ctx
        .store
        .live_jobs(&run_prefix(crawl.crawl_id, crawl.run))
        .await
        .expect("live")
        > 0
        || app.paper_notes().len() < 4
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crawl queued while Postgres was away did not finish after it returned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let done = app
        .ctx
        .store
        .crawl(crawl.crawl_id)
        .await
        .expect("crawl")
        .expect("exists");
    assert_eq!(done.status, refnet::store::CrawlStatus::Done, "{done:?}");
    assert!(app.ctx.store.dead_jobs(None, 10).await.expect("dead").is_empty());
    let (code, err) = terminate(server).await;
    assert_eq!(code, Some(0), "{err}");
}
