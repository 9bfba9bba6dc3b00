//! The command line when what surrounds it fails: an output whose reader left or that is
//! full, an API that accepts connections and never answers, Ctrl-C while it waits, one
//! paper's list that S2 will not page.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use refnet::store::{CrawlStatus, Direction, Store};
use refnet::testkit::{Corpus, FakeOptions, FakePaper, FakeS2, Scripted, fake_id};
use tokio::io::AsyncBufReadExt;

use super::cli::{fake_seed, refnet, stderr};
use super::support::{Backend, TestApp};

/// Far longer than any of these runs takes: reaching it means a hang.
const HANG: Duration = Duration::from_secs(120);

/// A fake S2 slow enough that log lines keep coming after the reader has left.
async fn slow_fake() -> FakeS2 {
    let options = FakeOptions {
        latency: Duration::from_millis(30),
        ..FakeOptions::default()
    };
    FakeS2::start_with(Corpus::synthetic(120, 5, 3), options).await
}

/// The statuses of the crawls the command line left in `dir`'s vault.
async fn crawl_statuses(dir: &Path) -> Vec<CrawlStatus> {
    let url = format!("sqlite://{}", dir.join("vault/.refnet/refnet.sqlite").display());
    let store = Store::open(&url).await.expect("open the CLI's store");
    let statuses = store.crawls().await.expect("crawls").iter().map(|c| c.status).collect();
    store.close().await;
    statuses
}

/// Reads the first line of `reader`, then closes it (as `head -1` does).
async fn first_line_then_close(reader: std::io::PipeReader) -> String {
    let read = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = BufReader::new(reader).read_line(&mut line);
        line
    });
    tokio::time::timeout(HANG, read)
        .await
        .expect("a first line")
        .expect("read")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verbose_crawl_piped_into_head_finishes_whether_logs_are_text_or_json() {
    for json in [false, true] {
        let fake = slow_fake().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (reader, writer) = std::io::pipe().expect("pipe");
        let mut cmd = refnet(dir.path(), &fake.url);
        cmd.args(["-vv", "crawl", &fake_seed(&fake), "--depth", "2", "--no-summarize"])
            .stdout(writer.try_clone().expect("dup"))
            .stderr(writer);
        if json {
            cmd.env("REFNET_LOG_FORMAT", "json");
        }
        let mut child = cmd.spawn().expect("spawn");
        drop(cmd);

        let first = first_line_then_close(reader).await;
        let status = tokio::time::timeout(HANG, child.wait())
            .await
            .expect("exits once its reader has gone, without hanging")
            .expect("wait");

        assert!(!first.is_empty());
        assert_eq!(status.code(), Some(0), "json logs: {json}");
        assert_eq!(
            crawl_statuses(dir.path()).await,
            [CrawlStatus::Done],
            "json logs: {json}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verbose_crawl_with_stderr_on_a_full_disk_finishes_and_prints_its_summary() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full here");
        return;
    };
    let fake = slow_fake().await;
    let dir = tempfile::tempdir().expect("tempdir");

    let out = tokio::time::timeout(
        HANG,
        refnet(dir.path(), &fake.url)
            .args(["-vv", "crawl", &fake_seed(&fake), "--depth", "2", "--no-summarize"])
            .stderr(full)
            .output(),
    )
    .await
    .expect("no hang")
    .expect("run");

    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("crawled "));
    assert_eq!(crawl_statuses(dir.path()).await, [CrawlStatus::Done]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_working_and_stops_cleanly_after_the_reader_of_its_logs_leaves() {
    let fake = slow_fake().await;
    let seed = fake_seed(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let (reader, writer) = std::io::pipe().expect("pipe");
    let mut cmd = refnet(dir.path(), &fake.url);
    cmd.args(["-v", "serve", "--bind", "127.0.0.1:0"])
        .env("REFNET_HEARTBEAT_SECS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(writer);
    let mut server = cmd.spawn().expect("spawn");
    drop(cmd);
    let (first, mut lines) = first_line(&mut server).await;
    let base = first
        .strip_prefix("serving on ")
        .expect("the address")
        .trim_end_matches('/')
        .to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    first_line_then_close(reader).await;

    let http = reqwest::Client::new();
    let posted = http
        .post(format!("{base}/api/crawls"))
        .json(&serde_json::json!({"seed": seed, "depth": 2, "summarize": false}))
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status().as_u16(), 201);
    let deadline = tokio::time::Instant::now() + HANG;
    loop {
        let crawl: serde_json::Value = http
            .get(format!("{base}/api/crawls/1"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        if crawl["status"] == "done" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crawl did not finish: {crawl}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    signal(&server, libc::SIGTERM);
    let status = tokio::time::timeout(HANG, server.wait())
        .await
        .expect("stops")
        .expect("wait");

    assert_eq!(status.code(), Some(0), "not a panic (101)");
}

/// Sends `sig` to a process this test started.
#[expect(unsafe_code, reason = "kill has no safe wrapper in std")]
fn signal(child: &tokio::process::Child, sig: libc::c_int) {
    let pid = child.id().expect("running");
    // SAFETY: kill only sends a signal to the process this test started.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// The first line a started command prints on its (piped) stdout, and the rest of it.
async fn first_line(
    child: &mut tokio::process::Child,
) -> (
    String,
    tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) {
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(HANG, lines.next_line())
        .await
        .expect("it starts and prints a line")
        .expect("read")
        .expect("a line");
    (first, lines)
}

/// A server that accepts connections and never answers; counts the connections.
async fn hung_api() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/graph/v1", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_api_ends_the_run_within_the_give_up_bound_with_what_to_do() {
    let (url, accepted) = hung_api().await;
    let dir = tempfile::tempdir().expect("tempdir");

    let out = tokio::time::timeout(
        HANG,
        refnet(dir.path(), &url)
            .env("REFNET_S2_GIVE_UP_SECS", "2")
            .env("REFNET_S2_RETRIES", "20")
            .env("REFNET_S2_RETRY_BASE_MS", "100")
            .args(["crawl", "ARXIV:1706.03762"])
            .output(),
    )
    .await
    .expect("gives up instead of waiting out every attempt's 60 s timeout")
    .expect("run");

    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("within 2 s") && err.contains("s2.give_up_secs"), "{err}");
    assert!(accepted.load(Ordering::SeqCst) >= 1);
    assert!(!err.contains("panicked"), "{err}");
}

/// Sends SIGINT to `child` and waits: its output, or a failed test if it does not stop
/// within a loose bound.
async fn interrupt(child: tokio::process::Child) -> std::process::Output {
    signal(&child, libc::SIGINT);
    tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("Ctrl-C ends the command at once, not after the request's timeout")
        .expect("wait")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_stopped_the_moment_it_says_it_runs_stops_cleanly() {
    let (url, _) = hung_api().await;
    let commands: [&[&str]; 2] = [
        &["serve", "--bind", "127.0.0.1:0", "--no-workers"],
        &["worker", "--stage", "render"],
    ];
    for args in commands {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = refnet(dir.path(), &url)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (first, _rest) = first_line(&mut child).await;
        let (code, stderr) = super::service::terminate(child).await;

        // Killed by the signal itself, it would have no exit code.
        assert_eq!(code, Some(0), "{args:?} after {first:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_the_seed_lookup_hangs_exits_130_at_once() {
    let (url, accepted) = hung_api().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let child = refnet(dir.path(), &url)
        .args(["crawl", "ARXIV:1706.03762"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = tokio::time::Instant::now() + HANG;
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no request came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let out = interrupt(child).await;

    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_a_level_waits_on_a_hung_api_exits_130_at_once() {
    let fake = FakeS2::start(Corpus::synthetic(40, 3, 7)).await;
    let seed = fake_seed(&fake);
    // The seed's lookup is answered; every request after it hangs.
    fake.script([Scripted::Pass]);
    fake.script((0..20).map(|_| Scripted::Delay(Duration::from_secs(600))));
    let dir = tempfile::tempdir().expect("tempdir");
    let child = refnet(dir.path(), &fake.url)
        .args(["crawl", &seed, "--no-summarize"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = tokio::time::Instant::now() + HANG;
    while fake.request_count() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the level never asked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let out = interrupt(child).await;

    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("run the same command again"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_says_it_is_waiting_and_retrying_then_gives_up_on_time() {
    let (url, _) = hung_api().await;
    let mut settings = refnet::settings::Settings::default();
    settings.s2.url = url::Url::parse(&url).expect("url");
    settings.s2.rps = 1000.0;
    settings.s2.max_retries = 50;
    settings.s2.retry_base = Duration::from_millis(20);
    settings.s2.retry_max = Duration::from_millis(50);
    settings.s2.timeout = Duration::from_millis(300);
    settings.s2.give_up_after = Duration::from_secs(3);
    let client = refnet::s2::S2Client::new(
        &settings.s2,
        refnet::http::api_client().expect("client"),
        Arc::default(),
    );
    let asking = tokio::spawn({
        let client = client.clone();
        async move { client.batch(&[fake_id("x")], "title").await }
    });

    let deadline = tokio::time::Instant::now() + HANG;
    let waiting = loop {
        if let Some(w) = client.waiting(Duration::ZERO).filter(|w| w.retries >= 2) {
            break w;
        }
        assert!(tokio::time::Instant::now() < deadline, "never retried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let result = tokio::time::timeout(HANG, asking)
        .await
        .expect("gives up")
        .expect("task");

    assert!(
        waiting.describe().starts_with("waiting for Semantic Scholar (retry "),
        "{}",
        waiting.describe()
    );
    match result {
        Err(refnet::s2::S2Error::GaveUp { secs, .. }) => assert_eq!(secs, 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.waiting(Duration::ZERO), None, "an ended request is not shown");
}

/// (A list answered 404 is `crawl::a_list_s2_will_not_page_is_marked_cut_…`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_page_with_an_unreadable_body_is_recorded_as_cut_and_the_crawl_finishes() {
    let mut corpus = Corpus::synthetic(30, 0, 1);
    let garbled = corpus.push(FakePaper {
        id: fake_id("garbled"),
        title: "Its list is unreadable".to_owned(),
        references: (0..5).map(Some).collect(),
        null_nested_references: true,
        unreadable_lists: true,
        ..FakePaper::default()
    });
    let fine = corpus.push(FakePaper {
        id: fake_id("fine"),
        title: "Paged fine".to_owned(),
        references: (5..12).map(Some).collect(),
        null_nested_references: true,
        ..FakePaper::default()
    });
    let seed = corpus.add("seed", "Seed", 2022, &[garbled, fine]);
    let seed_id = corpus.paper(seed).id.clone();
    let app = TestApp::new(Backend::Sqlite, corpus).await;

    let crawl = app.crawl(&seed_id, 2, Direction::References, None).await;

    let stored = app.ctx.store.crawl(crawl.crawl_id).await.expect("read").expect("crawl");
    assert_eq!(stored.status, CrawlStatus::Done, "{:?}", stored.error);
    let papers = app
        .ctx
        .store
        .papers(&[fake_id("garbled"), fake_id("fine")])
        .await
        .expect("papers");
    assert_eq!(papers.len(), 2);
    for p in &papers {
        assert_eq!(
            p.references_truncated,
            p.paper_id == fake_id("garbled"),
            "{}",
            p.paper_id
        );
    }
    let edges = app.ctx.store.edges_touching(&[fake_id("fine")]).await.expect("edges");
    assert_eq!(edges.iter().filter(|e| e.citing == fake_id("fine")).count(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_the_progress_line_says_it_waits_and_retries_until_it_gives_up() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: no `script` (util-linux) to give refnet a terminal");
        return;
    }
    let fake = FakeS2::start(Corpus::synthetic(40, 3, 7)).await;
    let seed = fake_seed(&fake);
    // The seed's lookup is answered; the level's requests hang.
    fake.script([Scripted::Pass]);
    fake.script((0..50).map(|_| Scripted::Delay(Duration::from_secs(600))));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("refnet.toml"), "[s2]\ntimeout_secs = 1\n").expect("config");
    let line = format!("'{}' crawl {seed} --no-summarize", env!("CARGO_BIN_EXE_refnet"));
    // `script` runs the command on a pseudo-terminal, where the progress line shows.
    let mut child = tokio::process::Command::new("/usr/bin/script")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("TERM", "xterm")
        .env("REFNET_S2_URL", &fake.url)
        .env("REFNET_S2_RPS", "1000")
        .env("REFNET_S2_RETRIES", "50")
        .env("REFNET_S2_RETRY_BASE_MS", "100")
        .env("REFNET_S2_GIVE_UP_SECS", "8")
        .args(["-qefc", &line, "/dev/null"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn script");
    let mut screen = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let waited = tokio::time::timeout(HANG, async {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 4096];
        loop {
            let n = screen.read(&mut buf).await.expect("read the terminal");
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    let status = tokio::time::timeout(HANG, child.wait())
        .await
        .expect("exits")
        .expect("wait");

    waited.expect("the run ends by itself within the give-up bound");
    let shown = String::from_utf8_lossy(&seen);
    assert!(shown.contains("waiting for Semantic Scholar (retry "), "{shown}");
    assert!(shown.contains("within 8 s"), "{shown}");
    assert_eq!(status.code(), Some(1), "{shown}");
}
