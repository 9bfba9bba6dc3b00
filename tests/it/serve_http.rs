//! `refnet serve` over HTTP: the API and its token, `/metrics` as Prometheus text,
//! `refnet serve` end to end with its dashboard in headless Chromium, and serve riding
//! out Postgres going away. One file over 500 lines: each test drives a real serve
//! process through the same start, request and stop helpers.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use refnet::queue::{enqueue, run_prefix};
use refnet::store::Direction;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::metrics::{assert_prometheus_text, sample};
use super::service::*;
use super::support::{Backend, TestApp};
use crate::both_backends;

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

        // No worker is running: alive, but not ready, and says why.
        let (status, health) = json_of(http.get(format!("{base}/healthz")).send().await.expect("get")).await;
        assert_eq!(status, 200, "{health}");
        assert_eq!(health["database"], "ok");
        let (status, ready) = json_of(http.get(format!("{base}/readyz")).send().await.expect("get")).await;
        assert_eq!(status, 503, "{ready}");
        assert!(
            ready["problems"][0]
                .as_str()
                .is_some_and(|p| p.contains("no crawl worker")),
            "{ready}"
        );

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_form_takes_several_seeds_one_per_line() {
    let (corpus, seed) = small_corpus();
    let other = corpus.paper(0).id.clone();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let (base, stop) = api_server(&app, None).await;
    let http = client();
    let response = http
        .post(format!("{base}/crawls"))
        .form(&[
            ("seed", format!("{seed}\r\n\r\n  {other}  \r\n")),
            ("depth", "0".to_owned()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(location.contains("started"), "{location}");
    let crawls = app.ctx.store.crawls().await.expect("crawls");
    assert_eq!(crawls.len(), 1, "one crawl of both seeds");
    let seeds: Vec<String> = crawls[0].seeds.iter().map(ToString::to_string).collect();
    assert_eq!(seeds, vec![seed, other]);
    stop.cancel();
}
