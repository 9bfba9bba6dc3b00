//! The `refnet` binary: exit codes, one-line errors, nothing written on bad input, and a
//! crawl killed with SIGKILL that resumes to the same graph.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use refnet::store::{Direction, Store};
use refnet::testkit::{Corpus, FakeOptions, FakeS2};

use super::support::{Backend, TestApp, graph};

/// The binary with a clean environment: only what the test sets.
pub(super) fn refnet(dir: &Path, s2_url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_S2_URL", s2_url)
        .env("REFNET_S2_RPS", "1000")
        .env("REFNET_S2_RETRIES", "1")
        .env("REFNET_S2_RETRY_BASE_MS", "1")
        .current_dir(dir)
        .kill_on_drop(true);
    cmd
}

pub(super) async fn run(dir: &Path, s2_url: &str, args: &[&str]) -> Output {
    refnet(dir, s2_url).args(args).output().await.expect("run refnet")
}

pub(super) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_malformed_id_exits_2_naming_the_accepted_forms_and_writes_nothing() {
    let fake = FakeS2::start(Corpus::synthetic(3, 1, 1)).await;
    let dir = tempfile::tempdir().expect("tempdir");

    let out = run(dir.path(), &fake.url, &["crawl", "attention-is-all-you-need"]).await;

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("attention-is-all-you-need") && err.contains("ARXIV:1706.03762"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!dir.path().join("vault").exists());
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn an_unknown_seed_exits_2_as_not_found_and_creates_no_vault() {
    let fake = FakeS2::start(Corpus::synthetic(3, 1, 1)).await;
    let dir = tempfile::tempdir().expect("tempdir");

    let out = run(dir.path(), &fake.url, &["crawl", "ARXIV:9999.99999"]).await;

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ARXIV:9999.99999 was not found"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("vault").exists());
}

#[tokio::test]
async fn a_vault_path_that_is_a_file_exits_2_before_any_request() {
    let fake = FakeS2::start(Corpus::synthetic(3, 1, 1)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");

    let out = run(
        dir.path(),
        &fake.url,
        &["crawl", &fake_seed(&fake), "--vault", "notes.txt"],
    )
    .await;

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("notes.txt is a file"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).expect("read"),
        "mine"
    );
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn bad_settings_exit_2_naming_the_variable() {
    let fake = FakeS2::start(Corpus::synthetic(3, 1, 1)).await;
    let dir = tempfile::tempdir().expect("tempdir");

    let out = refnet(dir.path(), &fake.url)
        .env("REFNET_S2_RPS", "lots")
        .args(["crawl", &fake_seed(&fake)])
        .output()
        .await
        .expect("run");

    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("REFNET_S2_RPS"), "{}", stderr(&out));
}

#[tokio::test]
async fn an_unreachable_api_exits_1_with_what_to_check() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/graph/v1",
        closed.local_addr().expect("addr").port()
    );
    drop(closed);
    let dir = tempfile::tempdir().expect("tempdir");

    let out = run(dir.path(), &url, &["crawl", "ARXIV:1706.03762"]).await;

    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot reach Semantic Scholar") && err.contains("REFNET_S2_URL"),
        "{err}"
    );
    assert!(!dir.path().join("vault").exists(), "nothing written");
}

pub(super) fn fake_seed(fake: &FakeS2) -> String {
    fake.with_corpus(|c| c.paper(c.len() - 1).id.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_killed_with_sigkill_resumes_to_the_graph_of_an_uninterrupted_one() {
    let corpus = Corpus::synthetic(400, 9, 17);
    let seed = corpus.paper(399).id.clone();
    let reference = TestApp::new(Backend::Sqlite, corpus.clone()).await;
    let done = reference.crawl(&seed, 2, Direction::References, None).await;
    let expected = graph(&reference.ctx.store, done.crawl_id).await;

    let fake = FakeS2::start_with(
        corpus,
        FakeOptions {
            latency: Duration::from_millis(150),
            ..FakeOptions::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("refnet.toml"), "[s2]\nbatch_size = 4\n").expect("config");
    let mut child = refnet(dir.path(), &fake.url)
        .args(["crawl", &seed, "--depth", "2"])
        .spawn()
        .expect("spawn");
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    while fake.request_count() < 6 {
        assert!(tokio::time::Instant::now() < deadline, "the crawl never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("wait");
    assert!(!status.success(), "killed before it finished");
    let before_resume = fake.request_count();

    let out = run(dir.path(), &fake.url, &["crawl", &seed, "--depth", "2"]).await;

    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("run 2"), "{stdout}");
    let store = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("vault/.refnet/refnet.sqlite").display()
    ))
    .await
    .expect("open the CLI's store");
    let crawl_id = store.crawls().await.expect("crawls")[0].crawl_id;
    assert_eq!(graph(&store, crawl_id).await, expected);
    let total = fake.request_count();
    let fetched: Vec<String> = fake.requests().iter().flat_map(|r| r.ids.clone()).collect();
    let unique: BTreeSet<&String> = fetched.iter().collect();
    // At most the one batch in flight at the kill is asked for twice.
    assert!(
        fetched.len() - unique.len() <= 4,
        "{} ids asked twice",
        fetched.len() - unique.len()
    );
    assert!(total > before_resume);
    let notes = std::fs::read_dir(dir.path().join("vault/refnet/papers"))
        .expect("notes")
        .count();
    assert_eq!(notes, expected.0.len());

    let again = run(dir.path(), &fake.url, &["crawl", &seed, "--depth", "2"]).await;
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        fake.request_count(),
        total,
        "a finished crawl run again makes no request"
    );
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("0 created, 0 updated"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_crawl_says_no_warning_and_leaves_no_worker_live() {
    let fake = FakeS2::start_with(Corpus::synthetic(120, 6, 5), FakeOptions::default()).await;
    let seed = fake_seed(&fake);
    let dir = tempfile::tempdir().expect("tempdir");

    for _ in 0..2 {
        let out = run(dir.path(), &fake.url, &["crawl", &seed, "--depth", "1"]).await;

        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // Each stage's worker leaves the registry as it stops, though its finished jobs
        // name it.
        assert!(!stderr(&out).contains("WARN"), "{}", stderr(&out));
    }
    let store = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("vault/.refnet/refnet.sqlite").display()
    ))
    .await
    .expect("open the CLI's store");
    let live = store.workers_seen(refnet::store::now() - 3600).await.expect("workers");
    assert_eq!(live, vec![], "no stopped worker counts as live");
    let (_, jobs) = store.list_jobs(&Default::default(), 10, 0).await.expect("jobs");
    assert!(jobs > 0, "the runs' finished jobs are kept");
}

#[tokio::test]
async fn summarize_makes_what_a_crawl_without_summaries_left_out_and_then_finds_it_cached() {
    let fake = FakeS2::start_with(Corpus::synthetic(60, 4, 9), FakeOptions::default()).await;
    let seed = fake_seed(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &fake.url,
        &["crawl", &seed, "--depth", "1", "--no-summarize"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let papers = std::fs::read_dir(dir.path().join("vault/refnet/papers"))
        .expect("the papers folder")
        .count();
    assert!(papers > 1, "{papers} paper notes");

    let first = run(dir.path(), &fake.url, &["summarize"]).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let said = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        said.contains(&format!(
            "summarized {papers} papers: {papers} new, 0 already cached, 0 without any text, 0 failed"
        )),
        "{said}"
    );
    let again = run(dir.path(), &fake.url, &["summarize"]).await;
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        said.contains(&format!("summarized {papers} papers: 0 new, {papers} already cached")),
        "{said}"
    );
    for note in std::fs::read_dir(dir.path().join("vault/refnet/papers")).expect("papers") {
        let text = std::fs::read_to_string(note.expect("an entry").path()).expect("a note");
        assert!(
            text.contains("_Summarized from the abstract by refnet-extractive"),
            "{text}"
        );
    }
}
