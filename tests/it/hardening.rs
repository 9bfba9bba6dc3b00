//! What an operator meets at the edges of `refnet serve` and `refnet worker`: sessions
//! that logout revokes, a login that cannot be guessed at speed, security headers on
//! every answer, error bodies that are JSON and short whatever was sent, probes that
//! tell liveness from readiness, workers that leave the registry when they stop, and
//! database pools without the maintenance task that can spin a core forever.

use std::time::Duration;

use refnet::store::now;
use refnet::worker::{StageWorkers, run_workers};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::metrics::parse_exposition;
use super::service::{api_server, client, database_url, refnet_process, small_corpus, terminate};
use super::support::{Backend, TestApp};
use crate::both_backends;

const TOKEN: &str = "t0ps3cret-hardening";

/// Logs in with `token`: the status and the `name=value` of the session cookie.
async fn login(http: &reqwest::Client, base: &str, token: &str, headers: &[(&str, &str)]) -> (u16, Option<String>) {
    let mut request = http.post(format!("{base}/login")).form(&[("token", token)]);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.expect("post /login");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), cookie)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("name=value").to_owned()
}

async fn get_with_cookie(http: &reqwest::Client, url: &str, cookie: &str) -> reqwest::Response {
    http.get(url).header("cookie", cookie).send().await.expect("get")
}

both_backends!(
    logging_out_revokes_the_session_so_its_cookie_gets_the_login_page,
    |backend: Backend| async move {
        let (corpus, _) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let (base, stop) = api_server(&app, Some(TOKEN)).await;
        let http = client();

        let (status, set) = login(&http, &base, TOKEN, &[]).await;
        assert_eq!(status, 303);
        let set = set.expect("a session cookie");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        assert!(!set.contains("Secure"), "plain http: {set}");
        assert!(!set.contains(TOKEN));
        let cookie = pair(&set);
        let (_, second) = login(&http, &base, TOKEN, &[]).await;
        assert_ne!(
            pair(&second.expect("cookie")),
            cookie,
            "each login is a new random session"
        );
        assert_eq!(
            get_with_cookie(&http, &format!("{base}/"), &cookie)
                .await
                .status()
                .as_u16(),
            200
        );
        let api = get_with_cookie(&http, &format!("{base}/api/crawls"), &cookie).await;
        assert_eq!(api.status().as_u16(), 200);

        let response = http
            .post(format!("{base}/logout"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("logout");
        assert_eq!(response.status().as_u16(), 303);
        let cleared = response.headers()["set-cookie"].to_str().expect("cookie").to_owned();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");

        // The old cookie, replayed: the page sends to the login form, the API says 401.
        let page = get_with_cookie(&http, &format!("{base}/"), &cookie).await;
        assert_eq!(page.status().as_u16(), 303);
        assert_eq!(page.headers()["location"], "/login");
        let login_page = http.get(format!("{base}/login")).send().await.expect("get");
        assert!(login_page.text().await.expect("page").contains("name=\"token\""));
        let api = get_with_cookie(&http, &format!("{base}/api/crawls"), &cookie).await;
        assert_eq!(api.status().as_u16(), 401);
        let body: Value = api.json().await.expect("json");
        assert!(body["error"].is_string(), "{body}");
        // A made-up session id is no better.
        let forged = format!("refnet_session={}", "ab".repeat(32));
        assert_eq!(
            get_with_cookie(&http, &format!("{base}/api/crawls"), &forged)
                .await
                .status()
                .as_u16(),
            401
        );
        // Behind an https proxy the cookie is Secure.
        let (_, set) = login(&http, &base, TOKEN, &[("x-forwarded-proto", "https")]).await;
        assert!(set.expect("cookie").ends_with("; Secure"));
        stop.cancel();
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_limited_per_client_with_retry_after() {
    let (corpus, _) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let (base, stop) = api_server(&app, Some(TOKEN)).await;
    let http = client();
    for attempt in 1..=5 {
        let (status, cookie) = login(&http, &base, "guess", &[]).await;
        assert_eq!(status, 401, "attempt {attempt}");
        assert!(cookie.is_none());
    }
    let response = http
        .post(format!("{base}/login"))
        .form(&[("token", "guess")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(response.text().await.expect("page").contains("Too many attempts"));
    // While limited, even the right token waits: no guess is checked.
    let (status, cookie) = login(&http, &base, TOKEN, &[]).await;
    assert_eq!(status, 429);
    assert!(cookie.is_none());
    // The API's bearer token is not a login: it still works.
    let api = http
        .get(format!("{base}/api/crawls"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(api.status().as_u16(), 200);
    stop.cancel();
}

fn assert_security_headers(what: &str, headers: &HeaderMap) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(get("x-frame-options"), "DENY", "{what}: {headers:?}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    let csp = get("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("script-src"), "no script exceptions: {csp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_security_headers() {
    let (corpus, _) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let http = client();
    for token in [None, Some(TOKEN)] {
        let (base, stop) = api_server(&app, token).await;
        for path in [
            "/",
            "/login",
            "/api/crawls",
            "/api/queues",
            "/healthz",
            "/readyz",
            "/metrics",
            "/nowhere",
        ] {
            let response = http.get(format!("{base}{path}")).send().await.expect("get");
            assert_security_headers(&format!("GET {path} (token {token:?})"), response.headers());
        }
        let response = http
            .post(format!("{base}/login"))
            .form(&[("token", "guess")])
            .send()
            .await
            .expect("post");
        assert_security_headers("POST /login", response.headers());
        stop.cancel();
    }
}

/// Sends `request`; checks the answer is `status`, JSON `{"error": …}` and short.
async fn assert_json_error(what: &str, request: reqwest::RequestBuilder, status: u16) -> Value {
    let response = request.send().await.expect(what);
    assert_eq!(response.status().as_u16(), status, "{what}");
    let kind = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(kind.starts_with("application/json"), "{what}: {kind}");
    let text = response.text().await.expect("body");
    assert!(text.len() < 2_000, "{what}: a {} byte error", text.len());
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_body_is_json_and_bounded_whatever_was_sent() {
    let (corpus, _) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let (base, stop) = api_server(&app, None).await;
    let http = client();
    let json_post = |path: &str, body: String| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body)
    };

    let huge = "x".repeat(100_000);
    let body = assert_json_error(
        "100 KB seed",
        json_post("/api/crawls", json!({ "seed": huge }).to_string()),
        400,
    )
    .await;
    assert_eq!(body["field"], "seed");
    assert!(body["error"].as_str().is_some_and(|e| e.contains('…')), "{body}");
    let body = assert_json_error(
        "100 KB field name",
        json_post("/api/crawls", json!({ huge.clone(): 1 }).to_string()),
        400,
    )
    .await;
    assert!(body["field"].as_str().is_some_and(|f| f.len() < 300), "{body}");
    assert_json_error(
        "100 KB of seeds",
        json_post(
            "/api/crawls",
            json!({ "seed": [huge.clone(), huge.clone()] }).to_string(),
        ),
        400,
    )
    .await;
    assert_json_error(
        "100 KB refresh id",
        json_post("/api/refresh", json!({ "crawl": huge }).to_string()),
        400,
    )
    .await;
    assert_json_error("broken JSON", json_post("/api/crawls", "{\"seed\":".to_owned()), 400).await;
    let body = assert_json_error("1.2 MB body", json_post("/api/crawls", "x".repeat(1_200_000)), 413).await;
    assert!(body["error"].as_str().is_some_and(|e| e.contains("KiB")), "{body}");
    assert_json_error(
        "form without a seed",
        http.post(format!("{base}/crawls")).form(&[("depth", "1")]),
        422,
    )
    .await;
    // The dashboard's form answers with a notice on the page, as short.
    let response = http
        .post(format!("{base}/crawls"))
        .form(&[("seed", huge.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().expect("ascii");
    assert!(
        location.starts_with("/?notice=") && location.len() < 3_000,
        "{}",
        location.len()
    );
    assert_json_error("bad path id", http.post(format!("{base}/crawls/abc/refresh")), 400).await;
    let long = "y".repeat(10_000);
    assert_json_error("API path id", http.get(format!("{base}/api/crawls/{long}")), 400).await;
    assert_json_error("unknown path", http.get(format!("{base}/{long}")), 404).await;
    assert_json_error("dead job id", http.post(format!("{base}/api/jobs/{long}/retry")), 404).await;
    let body = assert_json_error("wrong method", http.delete(format!("{base}/api/queues")), 405).await;
    assert!(body["error"].as_str().is_some_and(|e| e.contains("DELETE")), "{body}");
    let response = http.get(format!("{base}/logout")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST", "Allow survives the rewrite");
    assert_json_error("no JSON type", http.post(format!("{base}/api/crawls")).body("{}"), 415).await;
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_is_alive_without_workers_and_ready_only_with_them() {
    let (corpus, _) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let (base, stop) = api_server(&app, Some(TOKEN)).await;
    let http = client();
    let health: Value = {
        let response = http.get(format!("{base}/healthz")).send().await.expect("get");
        assert_eq!(response.status().as_u16(), 200, "liveness does not need workers");
        response.json().await.expect("json")
    };
    assert_eq!(health["workers"], json!({"crawl": 0, "summarize": 0, "render": 0}));
    let response = http.get(format!("{base}/readyz")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 503, "probes need no token");
    let ready: Value = response.json().await.expect("json");
    assert_eq!(ready["problems"].as_array().map(Vec::len), Some(3), "{ready}");

    let shutdown = tokio_util::sync::CancellationToken::new();
    let stages = refnet::stage::Stage::ALL
        .iter()
        .map(|&stage| StageWorkers { stage, concurrency: 1 })
        .collect();
    let workers = tokio::spawn(run_workers(app.ctx.clone(), stages, shutdown.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = http.get(format!("{base}/readyz")).send().await.expect("get");
        if response.status().as_u16() == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{:?}", response.text().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    workers.await.expect("workers stop");
    // They stopped cleanly: gone from the registry at once, so not ready any more.
    let response = http.get(format!("{base}/readyz")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 503);
    stop.cancel();
}

/// A `refnet worker` process with `--metrics-bind` on port 0: the process and its base URL.
async fn start_worker(app: &TestApp, dir: &std::path::Path) -> (tokio::process::Child, String) {
    let env = vec![
        ("DATABASE_URL", database_url(app)),
        ("REFNET_VAULT", app.vault().display().to_string()),
        ("REFNET_S2_URL", app.ctx.settings.s2.url.to_string()),
    ];
    let args = [
        "worker",
        "--stage",
        "crawl",
        "--stage",
        "render",
        "--metrics-bind",
        "127.0.0.1:0",
    ];
    let mut worker = refnet_process(dir, &env, &args);
    let mut lines = BufReader::new(worker.stdout.take().expect("stdout")).lines();
    let base = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the worker starts")
            .expect("read")
            .expect("a line");
        if let Some(url) = line.strip_prefix("metrics on ") {
            break url.trim_end_matches("/metrics").to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (worker, base)
}

both_backends!(
    a_worker_reports_its_own_health_and_leaves_the_registry_when_stopped,
    |backend: Backend| async move {
        let (corpus, _) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (worker, base) = start_worker(&app, dir.path()).await;
        let http = client();

        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let health = loop {
            let response = http.get(format!("{base}/healthz")).send().await.expect("get");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            if status == 200 {
                break body;
            }
            assert!(tokio::time::Instant::now() < deadline, "never healthy: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let queues: Vec<&str> = health["workers"]
            .as_array()
            .expect("its workers")
            .iter()
            .filter_map(|w| w["queue"].as_str())
            .collect();
        assert_eq!(queues.len(), 2, "{health}");
        assert!(queues.contains(&"crawl") && queues.contains(&"render"), "{health}");
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        let samples = parse_exposition(&text);
        for name in [
            "refnet_build_info",
            "refnet_queue_oldest_pending_seconds",
            "refnet_llm_errors_total",
            "refnet_llm_tokens_total",
            "refnet_workers",
        ] {
            assert!(samples.iter().any(|s| s.name == name), "{name}: {text}");
        }
        let window = app.ctx.settings.queue.liveness().as_secs() as i64;
        let seen = app.ctx.store.workers_seen(now() - window).await.expect("workers");
        assert_eq!(seen.len(), 2, "{seen:?}");

        let (code, err) = terminate(worker).await;
        assert_eq!(code, Some(0), "{err}");
        let seen = app.ctx.store.workers_seen(now() - window).await.expect("workers");
        assert!(seen.is_empty(), "a cleanly stopped worker is gone at once: {seen:?}");
    }
);

// sqlx 0.9.0's pool maintenance sweep can loop 2^64 times without yielding (see
// `refnet::store::pool_options`); it once held a test's runtime at shutdown for minutes.
// It only runs where a pool has an idle timeout, a maximum lifetime or a minimum size.
both_backends!(no_pool_runs_the_maintenance_sweep, |backend| async move {
    let app = TestApp::new(backend, small_corpus().0).await;
    let limits = match app.ctx.store.db() {
        refnet::store::Db::Sqlite(pool) => {
            let o = pool.options();
            (o.get_idle_timeout(), o.get_max_lifetime(), o.get_min_connections())
        }
        refnet::store::Db::Postgres(pool) => {
            let o = pool.options();
            (o.get_idle_timeout(), o.get_max_lifetime(), o.get_min_connections())
        }
    };
    assert_eq!(limits, (None, None, 0));
});
