//! The test context: a fresh database (SQLite file or a new Postgres database), a fake
//! S2 on 127.0.0.1, a temporary vault, and `drain()` to run the queues until empty.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use refnet::context::Context;
use refnet::crawl::{self, CrawlRequest};
use refnet::ids::PaperId;
use refnet::queue::{CrawlJob, enqueue, run_prefix};
use refnet::settings::Settings;
use refnet::stage::Stage;
use refnet::store::{Crawl, Direction, Store, now};
use refnet::summarize::extractive;
use refnet::summarize::summary::{Request, Summarizer, Summary, SummaryFuture};
use refnet::testkit::{Corpus, FakeOptions, FakeS2};
use refnet::worker::{StageWorkers, run_workers};
use tokio_util::sync::CancellationToken;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both_backends!(name, |backend| async move { … })`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::it::support::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::it::support::pg_admin_url().is_none() {
                    return;
                }
                ($body)($crate::it::support::Backend::Postgres).await
            }
        }
    };
}

/// The Postgres server tests create their databases on (see
/// [`refnet::testkit::pg::test_server`]); `None` skips the Postgres variants.
pub(crate) fn pg_admin_url() -> Option<String> {
    refnet::testkit::pg::test_server()
}

/// A database of its own for one test, dropped afterwards.
pub(crate) struct PgDatabase(refnet::testkit::pg::ScratchDb);

impl PgDatabase {
    pub(crate) async fn create() -> Self {
        let admin = pg_admin_url().expect("Postgres configured");
        Self(refnet::testkit::pg::ScratchDb::create(&admin, "refnet_t").await)
    }

    pub(crate) fn url(&self) -> &str {
        &self.0.url
    }
}

/// Settings pointing at test services: fast retries, fast polling, loopback only.
pub(crate) fn test_settings(dir: &Path, s2_url: &str, database_url: &str) -> Settings {
    let mut s = Settings {
        vault: dir.join("vault"),
        database_url: Some(refnet::secret::Secret::new(database_url)),
        ..Settings::default()
    };
    s.s2.url = url::Url::parse(s2_url).expect("fake url");
    s.s2.rps = 1000.0;
    s.s2.max_retries = 3;
    s.s2.retry_base = Duration::from_millis(1);
    s.s2.retry_max = Duration::from_millis(5);
    s.s2.timeout = Duration::from_secs(5);
    s.queue.poll = Duration::from_millis(20);
    s.queue.heartbeat = Duration::from_secs(1);
    s.queue.retry_base = Duration::from_secs(1);
    s.queue.retry_max = Duration::from_secs(1);
    s.queue.shutdown_grace = Duration::from_secs(5);
    // PDFs are read by the refnet binary in a child process, as in production.
    s.pdf.extractor = Some(PathBuf::from(env!("CARGO_BIN_EXE_refnet")));
    s.pdf.timeout = Duration::from_secs(5);
    s.llm.retry_base = Duration::from_millis(5);
    s.llm.timeout = Duration::from_secs(5);
    s
}

/// One test's world.
pub(crate) struct TestApp {
    pub ctx: Arc<Context>,
    pub s2: FakeS2,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl TestApp {
    pub(crate) async fn new(backend: Backend, corpus: Corpus) -> Self {
        Self::with(backend, corpus, FakeOptions::default(), |_| {}).await
    }

    /// With fake options and a settings tweak.
    pub(crate) async fn with(
        backend: Backend,
        corpus: Corpus,
        options: FakeOptions,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let s2 = FakeS2::start_with(corpus, options).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("refnet.sqlite").display()), None),
            Backend::Postgres => {
                let db = PgDatabase::create().await;
                (db.url().to_owned(), Some(db))
            }
        };
        let mut settings = test_settings(dir.path(), &s2.url, &url);
        tweak(&mut settings);
        let store = Store::open(&url).await.expect("open the test store");
        let ctx = Context::new(settings, store).expect("context");
        Self {
            ctx,
            s2,
            _dir: dir,
            _pg: pg,
        }
    }

    pub(crate) fn vault(&self) -> PathBuf {
        self.ctx.settings.vault.clone()
    }

    /// Starts a crawl run and drains every queue; returns the crawl as stored after.
    pub(crate) async fn crawl(&self, seed: &str, depth: u32, direction: Direction, max_papers: Option<u32>) -> Crawl {
        self.crawl_with(seed, depth, direction, max_papers, false).await
    }

    /// Like [`TestApp::crawl`], summarizing the papers when `summarize` is set.
    pub(crate) async fn crawl_with(
        &self,
        seed: &str,
        depth: u32,
        direction: Direction,
        max_papers: Option<u32>,
        summarize: bool,
    ) -> Crawl {
        let crawl = self.begin_with(seed, depth, direction, max_papers, summarize).await;
        self.drain(&run_prefix(crawl.crawl_id, crawl.run)).await;
        self.ctx
            .store
            .crawl(crawl.crawl_id)
            .await
            .expect("read crawl")
            .expect("crawl exists")
    }

    /// Starts a run of an existing crawl that fetches every paper again (as a refresh
    /// does), and drains the queues.
    pub(crate) async fn refetch(&self, crawl_id: i64) -> Crawl {
        let crawl = self
            .ctx
            .store
            .begin_refresh(crawl_id, now() + 1, now())
            .await
            .expect("begin refresh")
            .expect("crawl exists");
        enqueue(
            &self.ctx,
            &[CrawlJob {
                crawl_id,
                run: crawl.run,
                depth: 0,
            }],
        )
        .await
        .expect("enqueue");
        self.drain(&run_prefix(crawl_id, crawl.run)).await;
        self.ctx
            .store
            .crawl(crawl_id)
            .await
            .expect("read crawl")
            .expect("crawl exists")
    }

    /// Resolves the seed and starts a run, without running any job.
    pub(crate) async fn begin(&self, seed: &str, depth: u32, direction: Direction, max_papers: Option<u32>) -> Crawl {
        self.begin_with(seed, depth, direction, max_papers, false).await
    }

    pub(crate) async fn begin_with(
        &self,
        seed: &str,
        depth: u32,
        direction: Direction,
        max_papers: Option<u32>,
        summarize: bool,
    ) -> Crawl {
        let request = CrawlRequest {
            max_papers,
            summarize,
            ..CrawlRequest::of(seed.parse::<PaperId>().expect("seed id"), depth, direction)
        };
        self.start(&request).await
    }

    /// Starts a run of the crawl a request names, as the command line does.
    pub(crate) async fn start(&self, request: &CrawlRequest) -> Crawl {
        let cutoff = crawl::fresh_cutoff_at(now(), &self.ctx.settings);
        let resolved = crawl::resolve_seeds(
            &self.ctx.s2,
            self.ctx.openalex.as_ref(),
            Some(&self.ctx.store),
            request,
            cutoff,
            500,
        )
        .await
        .expect("resolve seeds");
        let run = crawl::Run::Request {
            request,
            seeds: &resolved,
        };
        // Started as the command line does: a run that takes over from any before it,
        // its first level queued (tests that drive levels by hand leave it there).
        crawl::start(&self.ctx, run, crawl::IfRunning::Supersede)
            .await
            .expect("start")
            .crawl()
            .clone()
    }

    /// Runs the stage workers until no job whose key starts with `prefix` is left.
    pub(crate) async fn drain(&self, prefix: &str) {
        let shutdown = CancellationToken::new();
        let stages = Stage::ALL
            .iter()
            .map(|&stage| StageWorkers { stage, concurrency: 2 })
            .collect();
        let workers = tokio::spawn(run_workers(self.ctx.clone(), stages, shutdown.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_mins(2);
        loop {
            tokio::time::sleep(Duration::from_millis(30)).await;
            if self.ctx.store.live_jobs(prefix).await.expect("live jobs") == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "jobs under {prefix} did not drain in 120 s"
            );
        }
        shutdown.cancel();
        workers.await.expect("workers stop");
    }

    /// Every note file under `refnet/papers`, as (name without .md, text).
    pub(crate) fn paper_notes(&self) -> Vec<(String, String)> {
        let dir = self.vault().join("refnet/papers");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".md") {
                out.push((
                    stem.to_owned(),
                    std::fs::read_to_string(entry.path()).expect("read note"),
                ));
            }
        }
        out.sort();
        out
    }
}

/// Every paper note of a vault by its `s2_id`: (file stem, frontmatter, text).
pub(crate) fn paper_notes_by_id(
    vault: &Path,
) -> std::collections::BTreeMap<String, (String, serde_yaml::Mapping, String)> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(vault.join("refnet/papers"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".md") else { continue };
        let text = std::fs::read_to_string(entry.path()).expect("read note");
        let fm = frontmatter(&text);
        let id = fm
            .get("s2_id")
            .and_then(serde_yaml::Value::as_str)
            .expect("s2_id")
            .to_owned();
        out.insert(id, (stem.to_owned(), fm, text));
    }
    out
}

/// The frontmatter of a note, parsed by a YAML library.
pub(crate) fn frontmatter(text: &str) -> serde_yaml::Mapping {
    let rest = text.strip_prefix("---\n").expect("frontmatter at byte 0");
    let end = rest.find("\n---\n").expect("closing fence");
    serde_yaml::from_str(&rest[..=end]).unwrap_or_else(|e| panic!("frontmatter does not parse: {e}\n{text}"))
}

/// The body of a note (after the frontmatter).
pub(crate) fn body(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, body)| body)
}

/// The body of a note without its fenced code blocks (where Obsidian sees no links).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in body(text).lines() {
        let trimmed = line.trim_start();
        let ticks: String = trimmed.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(open) if ticks.len() >= open.len() && trimmed.trim_end() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Wikilink targets (`[[Target|…]]` or `[[Target]]`) in a note's body, outside code blocks.
pub(crate) fn wikilinks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let prose = prose(text);
    let mut rest = prose.as_str();
    while let Some(start) = rest.find("[[") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("]]") else { break };
        let inner = &after[..end];
        out.push(inner.split('|').next().unwrap_or(inner).to_owned());
        rest = &after[end + 2..];
    }
    out
}

/// `../shared/fixtures/<sub>` beside the checkout, or `None` (with a message) when absent.
pub(crate) fn shared_fixtures(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        refnet::testkit::skip_group(
            &format!("tests on ../shared/fixtures/{sub}"),
            "the folder is not beside the checkout",
            "REFNET_TEST_REQUIRE_FIXTURES",
        );
        None
    }
}

/// Member ids of a crawl and the edges among them, as stored.
pub(crate) async fn graph(store: &Store, crawl_id: i64) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let members: BTreeSet<String> = store
        .members(crawl_id)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.paper_id)
        .collect();
    let ids: Vec<String> = members.iter().cloned().collect();
    let edges = store
        .edges_touching(&ids)
        .await
        .expect("edges")
        .into_iter()
        .filter(|e| members.contains(&e.citing) && members.contains(&e.cited))
        .map(|e| (e.citing, e.cited))
        .collect();
    (members, edges)
}

/// A [`refnet::crawl::run_level`] follow-up that does nothing with the stored ids.
pub(crate) fn ignore_stored<'a>()
-> impl FnMut(Vec<String>) -> futures::future::BoxFuture<'a, Result<(), refnet::crawl::CrawlError>> + Send {
    |_| Box::pin(async { Ok(()) })
}

/// Every `.md` file under `dir`, as (path, text).
pub(crate) fn markdown(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push((path.clone(), std::fs::read_to_string(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// A summarizer for tests: extractive summaries under a model of its own, made a batch at
/// a time when `local`, else paper by paper as an LLM's are; a text holding "POISON"
/// makes it panic.
#[derive(Debug)]
pub(crate) struct TestSummarizer {
    pub(crate) local: bool,
}

impl TestSummarizer {
    /// The model its summaries are cached under.
    pub(crate) const MODEL: &'static str = "test-summarizer";

    fn made(request: Request<'_>) -> Summary {
        assert!(!request.text.contains("POISON"), "a text this summarizer cannot take");
        extractive::summarize(request.title, request.text, request.source)
    }
}

impl Summarizer for TestSummarizer {
    fn model(&self) -> &'static str {
        Self::MODEL
    }

    fn prompt_version(&self) -> &'static str {
        "1"
    }

    fn summarize<'a>(&'a self, request: Request<'a>) -> SummaryFuture<'a> {
        let summary = Self::made(request);
        Box::pin(async move { Ok(summary) })
    }

    fn is_local(&self) -> bool {
        self.local
    }

    fn summarize_here(&self, request: Request<'_>) -> Option<Summary> {
        self.local.then(|| Self::made(request))
    }
}
