//! refnet's benchmarks, one binary: `cargo bench --bench bench -- <name>`. Over 500 lines
//! as one job: the benches share their child-process, memory and timing helpers here.
//!
//! - `crawl`: a depth-2 crawl of a 20,000-paper synthetic corpus through a fake S2
//!   limited to 1 request/second, by the real `refnet` binary, with `--no-summarize` and
//!   as by default; then the same crawl again.
//!
//! - `render`: 10,000 and 100,000 synthetic papers (with authors and edges) stored as one
//!   crawl, rendered by `refnet render` into an empty vault, then again unchanged, beside
//!   `cp -r` of the same files (`render 10000` for one size).
//!
//! - `extract`: `refnet pdf-text --json` on each PDF of `../shared/fixtures/pdf` (or
//!   `$REFNET_SHARED/fixtures/pdf`), one child process per file as the summarize stage
//!   runs it: pages per second and each child's peak memory.
//!
//! - `extractive`: extractive summaries per second, on abstracts and on full texts
//!   (`extractive/mod.rs`).
//!
//! - `summarize`: a depth-1 crawl whose papers are summarized through a fake LLM that
//!   allows 60 requests a minute, with refnet's limit set to the same; then the crawl again.
//!
//! - `queue`: no-op jobs per second through refnet's queue (apalis with refnet's workers)
//!   on SQLite and on Postgres (when one answers on 127.0.0.1:5432, or at
//!   `REFNET_BENCH_DATABASE_URL`), with 1 and 2 workers, beside a plain claim-and-ack loop
//!   on the same database (`FOR UPDATE SKIP LOCKED` on Postgres): the floor.
//!
//! - `serve`: papers per minute end to end through `refnet serve`: a crawl posted to its
//!   API, crawled from a fake S2, summarized and rendered by its workers.
//!
//! - `analysis`: the graph analysis (similarity, clusters, prior/derivative works) of
//!   10,000 and 100,000 stored papers in a child process (time per phase, peak memory),
//!   the unchanged graph's skipped re-analysis, and ARI on planted communities.
//!
//! - `sources`: requests of a 5-seed crawl against the same seeds crawled one by one, and
//!   OpenAlex requests per paper it filled (`bench/sources.rs`).
//!
//! Results are printed as Markdown rows for BENCHMARKS.md. Everything runs on 127.0.0.1.

mod extractive;

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "bench/analysis.rs"]
mod analysis;
#[path = "bench/sources.rs"]
mod sources;

use refnet::testkit::pg::ScratchDb;
use refnet::testkit::{Corpus, FakeLlm, FakeOptions, FakeS2, LlmOptions};

#[tokio::main]
async fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if let [child, url, crawl] = which.as_slice()
        && child == "analysis-child"
    {
        analysis::child(url, crawl.parse().expect("crawl id")).await;
        return;
    }
    let all = which.is_empty();
    if all || which.iter().any(|w| w == "crawl") {
        crawl().await;
    }
    if all || which.iter().any(|w| w == "extract") {
        extract();
    }
    if all || which.iter().any(|w| w == "extractive") {
        extractive::extractive();
    }
    if all || which.iter().any(|w| w == "summarize") {
        summarize().await;
    }
    if all || which.iter().any(|w| w == "queue") {
        queue().await;
    }
    if all || which.iter().any(|w| w == "serve") {
        serve().await;
    }
    if all || which.iter().any(|w| w == "sources") {
        sources::sources().await;
    }
    if all || which.iter().any(|w| w == "analysis") {
        let sizes: Vec<usize> = which.iter().filter_map(|w| w.parse().ok()).collect();
        for n in if sizes.is_empty() { vec![10_000, 100_000] } else { sizes } {
            analysis::analysis(n).await;
        }
        analysis::planted_ari();
    }
    if all || which.iter().any(|w| w == "render") {
        let sizes: Vec<usize> = which.iter().filter_map(|w| w.parse().ok()).collect();
        for n in if sizes.is_empty() { vec![10_000, 100_000] } else { sizes } {
            render(n).await;
        }
    }
}

/// Peak resident memory of the largest child process waited for so far, in MiB.
#[expect(unsafe_code, reason = "getrusage has no safe wrapper")]
fn children_peak_mib() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &raw mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    usage.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
}

/// Writes every dirty page back (`sync`), untimed, so that a timed step does not share
/// the disk and the CPU with the writeback of the step before.
fn settle_disk() {
    let synced = std::process::Command::new("sync").status().expect("run sync");
    assert!(synced.success(), "sync failed");
}

/// Bytes and files under `dir`.
fn tree_size(dir: &Path) -> (u64, usize) {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                bytes += meta.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

async fn render(n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pristine = dir.path().join("pristine.sqlite");
    let (_, crawl_id, edges, filled) = analysis::stored_crawl(dir.path(), n).await;

    // Three rounds, each: a fresh vault from a copy of the pristine store, rendered, then
    // `cp -r` of the notes it wrote. Nothing is deleted until the end: ext4 is slow to
    // create files among inodes freed in the last minutes, which would skew either side.
    let id = crawl_id.to_string();
    let mut renders = Vec::new();
    let mut copies = Vec::new();
    let mut notes = 0;
    let mut size = (0, 0);
    let mut unchanged = (Duration::ZERO, String::new());
    for round in 0..3 {
        let home = dir.path().join(format!("round{round}"));
        std::fs::create_dir_all(home.join("vault/.refnet")).expect("mkdir");
        std::fs::copy(&pristine, home.join("vault/.refnet/refnet.sqlite")).expect("copy store");
        // Each timed step starts with nothing of the step before still being written back:
        // the store's copy (430 MB at 100,000 papers) or the last round's files.
        settle_disk();
        let (elapsed, out) = run_refnet(&home, "http://127.0.0.1:9/unused", &["render", "--crawl", &id]).await;
        renders.push(elapsed);
        notes = out.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
        size = tree_size(&home.join("vault/refnet"));
        settle_disk();
        let started = Instant::now();
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(home.join("vault/refnet"))
            .arg(home.join("copy"))
            .status()
            .expect("cp");
        assert!(status.success());
        copies.push(started.elapsed());
        if round == 2 {
            unchanged = run_refnet(&home, "http://127.0.0.1:9/unused", &["render", "--crawl", &id]).await;
        }
    }
    let peak = children_peak_mib();
    renders.sort();
    copies.sort();
    let (render, cp) = (renders[1], copies[1]);
    println!(
        "## render: {n} papers, {edges} citation edges (store filled in {:.1} s)",
        filled.as_secs_f64()
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| notes rendered (papers, authors, index) | {notes} | |");
    println!(
        "| files written, first render | {} ({:.1} MiB) | |",
        size.1,
        size.0 as f64 / 1048576.0
    );
    println!(
        "| wall time, render into an empty vault (median of 3: {:.2} / {:.2} / {:.2} s) | {:.2} s | |",
        renders[0].as_secs_f64(),
        renders[1].as_secs_f64(),
        renders[2].as_secs_f64(),
        render.as_secs_f64()
    );
    println!("| notes per second | {:.0} | |", notes as f64 / render.as_secs_f64());
    println!(
        "| `cp -r` of the same files (median of 3: {:.2} / {:.2} / {:.2} s) | {:.2} s | |",
        copies[0].as_secs_f64(),
        copies[1].as_secs_f64(),
        copies[2].as_secs_f64(),
        cp.as_secs_f64()
    );
    println!(
        "| render ÷ `cp -r` | {:.2} | ≤ 3 |",
        render.as_secs_f64() / cp.as_secs_f64()
    );
    println!("| peak memory of `refnet` (largest child so far) | {peak:.1} MiB | |");
    println!(
        "| unchanged re-render: {} | {:.2} s | 0 written |",
        unchanged.1.trim(),
        unchanged.0.as_secs_f64()
    );
    println!(
        "| unchanged re-render ÷ `cp -r` | {:.3} | ≤ 0.5 |",
        unchanged.0.as_secs_f64() / cp.as_secs_f64()
    );
    if std::env::var_os("REFNET_BENCH_KEEP").is_some() {
        eprintln!("kept {}", dir.keep().display());
    }
}

async fn run_refnet(dir: &Path, url: &str, args: &[&str]) -> (Duration, String) {
    run_refnet_with(dir, url, &[], args).await
}

async fn run_refnet_with(dir: &Path, url: &str, env: &[(&str, &str)], args: &[&str]) -> (Duration, String) {
    let log_to = std::env::var_os("REFNET_BENCH_LOG");
    let started = Instant::now();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_S2_URL", url)
        .env("REFNET_S2_RPS", "1")
        .envs(env.iter().copied())
        // `REFNET_BENCH_LOG=<file>`: each child's log (at `REFNET_LOG`, else debug; JSON
        // lines with times) is appended to the file, to see where a run's time goes.
        .envs(log_to.iter().flat_map(|_| {
            let level = std::env::var("REFNET_LOG").unwrap_or_else(|_| "refnet=debug".into());
            [("REFNET_LOG", level), ("REFNET_LOG_FORMAT", "json".into())]
        }))
        .current_dir(dir)
        .args(args)
        .output()
        .await
        .expect("run refnet");
    let elapsed = started.elapsed();
    if let Some(file) = log_to {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .expect("open the bench log");
        writeln!(f, "=== refnet {} ({:.2} s)", args.join(" "), elapsed.as_secs_f64()).expect("write the bench log");
        f.write_all(&out.stderr).expect("write the bench log");
    }
    assert!(
        out.status.success(),
        "refnet failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The synthetic corpus the crawl and serve benches share (20,000 papers, a seed with
/// over a thousand in reach at depth 2) behind a fake S2 answering `rps` requests/s:
/// (the fake, the seed's id, papers in the corpus, papers in reach at depth 2).
async fn depth2_corpus(rps: f64) -> (FakeS2, String, usize, usize) {
    let papers = 20_000;
    let corpus = Corpus::synthetic(papers, 40, 2026);
    let seed = corpus.len() - 1;
    let reach = corpus.reachable(seed, 2).len();
    let seed_id = corpus.paper(seed).id.clone();
    let options = FakeOptions {
        rate_limit: Some(rps),
        ..FakeOptions::default()
    };
    (FakeS2::start_with(corpus, options).await, seed_id, papers, reach)
}

async fn crawl() {
    let (fake, seed_id, papers, reach) = depth2_corpus(1.0).await;
    println!("## crawl: {papers} papers in the corpus, {reach} in reach at depth 2, fake S2 at 1 request/s");
    let mut kept = Vec::new();
    for (label, extra) in [
        ("the crawl stage alone (`--no-summarize`)", Some("--no-summarize")),
        ("as by default (then summaries in jobs of 100 papers, extractive)", None),
    ] {
        let mut args = vec!["crawl", seed_id.as_str(), "--depth", "2"];
        args.extend(extra);
        kept.extend(crawl_variant(&fake, label, &args, reach).await);
    }
}

/// Three first runs of `args`, each into an empty vault (the median is reported), then the
/// same again in the last vault; returns the vaults' folders, for the caller to delete.
async fn crawl_variant(fake: &FakeS2, label: &str, args: &[&str], reach: usize) -> Vec<tempfile::TempDir> {
    let mut firsts = Vec::new();
    let mut stdout = String::new();
    // Every vault is kept until the end: ext4 is slow to create files among inodes freed
    // in the last minutes, which would slow the next run's notes (see BENCHMARKS.md).
    let mut dirs = Vec::new();
    let mut first_requests = 0;
    let throttled_before = fake.requests().iter().filter(|r| r.status == 429).count();
    for _ in 0..3 {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = fake.request_count();
        let (elapsed, out) = run_refnet(dir.path(), &fake.url, args).await;
        dirs.push(dir);
        first_requests = fake.request_count() - before;
        firsts.push(elapsed);
        stdout = out;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    firsts.sort();
    let first = firsts[1];
    let throttled = fake.requests().iter().filter(|r| r.status == 429).count() - throttled_before;
    let peak = children_peak_mib();
    let before = fake.request_count();
    let last = dirs.last().expect("three runs").path();
    let (second, _) = run_refnet(last, &fake.url, args).await;
    let second_requests = fake.request_count() - before;
    let crawled: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("papers"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("papers line in the summary");
    assert_eq!(crawled, reach, "every reachable paper was crawled");
    let floor = first_requests as f64 / 1.0;
    println!("### {label}: `refnet {}`", args.join(" "));
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| papers crawled | {crawled} | ≥ 1,000 |");
    println!("| S2 requests (each first run) | {first_requests} ({throttled} answered 429 in all runs) | |");
    println!(
        "| requests per crawled paper | {:.4} | ≤ 0.01 |",
        first_requests as f64 / crawled as f64
    );
    println!(
        "| wall time, first run (median of 3; min {:.2}, max {:.2}) | {:.2} s | |",
        firsts[0].as_secs_f64(),
        firsts[2].as_secs_f64(),
        first.as_secs_f64()
    );
    println!("| rate-limit floor (requests ÷ rate) | {floor:.2} s | |");
    println!("| wall time ÷ floor | {:.2} | ≤ 1.2 |", first.as_secs_f64() / floor);
    println!("| requests on a second run | {second_requests} | ≤ 2 |");
    println!("| wall time, second run | {:.2} s | |", second.as_secs_f64());
    println!("| peak memory of `refnet` (largest child so far) | {peak:.1} MiB | |");
    dirs
}

/// The fixture PDFs, or `None` (with a message) when `../shared` is not beside the checkout.
fn fixture_pdfs() -> Option<Vec<std::path::PathBuf>> {
    let shared = std::env::var("REFNET_SHARED").unwrap_or_else(|_| "../shared".to_owned());
    let dir = Path::new(&shared).join("fixtures/pdf");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "## extract: skipped, no fixture PDFs at {} (set REFNET_SHARED)",
            dir.display()
        );
        return None;
    };
    let mut pdfs: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    pdfs.sort();
    Some(pdfs)
}

/// Runs `refnet pdf-text --json` on one file: (wall time, peak memory in MiB, the report).
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its own resource usage"
)]
#[expect(unsafe_code, reason = "wait4 has no safe wrapper")]
fn pdf_text_child(pdf: &Path) -> (Duration, f64, serde_json::Value) {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
        .args(["pdf-text", "--json"])
        .arg(pdf)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn refnet pdf-text");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("stdout");
    let mut report = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut report).expect("read report");
    // wait4 rather than Child::wait: it gives this child's own resource usage.
    let mut status = 0;
    // SAFETY: wait4 writes only into the two out-parameters it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    assert_eq!(rc, pid, "wait4");
    let elapsed = started.elapsed();
    let status = std::process::ExitStatus::from_raw(status);
    let report = serde_json::from_str(report.trim())
        .unwrap_or_else(|_| serde_json::json!({"rejected": format!("no report ({status})")}));
    (elapsed, usage.ru_maxrss as f64 / 1024.0, report)
}

fn extract() {
    let Some(pdfs) = fixture_pdfs() else { return };
    println!(
        "## extract: {} fixture PDFs, one `refnet pdf-text --json` child each",
        pdfs.len()
    );
    println!("| file | verdict | pages | time (median of 3) | pages/s | peak memory |");
    println!("|---|---|---|---|---|---|");
    let (mut pages_total, mut time_total, mut peak) = (0u64, Duration::ZERO, 0f64);
    for pdf in &pdfs {
        let mut runs: Vec<(Duration, f64, serde_json::Value)> = (0..3).map(|_| pdf_text_child(pdf)).collect();
        runs.sort_by_key(|r| r.0);
        let (elapsed, mib, report) = runs.swap_remove(1);
        peak = peak.max(mib);
        let name = pdf
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (verdict, pages) = if let Some(ok) = report.get("ok") {
            ("text".to_owned(), ok["quality"]["pages"].as_u64().unwrap_or(0))
        } else {
            let why = report.get("rejected").map(|r| match r {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
                other => other.to_string(),
            });
            (format!("rejected: {}", why.unwrap_or_default()), 0)
        };
        let rate = if pages > 0 {
            pages_total += pages;
            time_total += elapsed;
            format!("{:.1}", pages as f64 / elapsed.as_secs_f64())
        } else {
            "—".to_owned()
        };
        println!(
            "| {name} | {verdict} | {pages} | {:.3} s | {rate} | {mib:.1} MiB |",
            elapsed.as_secs_f64()
        );
    }
    println!(
        "| **all PDFs with text** | | {pages_total} | {:.3} s | {:.1} | {peak:.1} MiB (largest) |",
        time_total.as_secs_f64(),
        pages_total as f64 / time_total.as_secs_f64()
    );
}

async fn summarize() {
    let corpus = Corpus::synthetic(3_000, 120, 11);
    let seed = corpus.len() - 1;
    let members = corpus.reachable(seed, 1).len();
    let seed_id = corpus.paper(seed).id.clone();
    let s2 = FakeS2::start(corpus).await;
    let llm = FakeLlm::start(LlmOptions {
        rpm_limit: Some(60),
        latency: Duration::from_millis(300),
        ..LlmOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("REFNET_LLM_URL", llm.url.as_str()),
        ("REFNET_LLM_MODEL", "bench-model"),
        ("REFNET_LLM_RPM", "60"),
    ];
    let args = ["crawl", seed_id.as_str(), "--depth", "1"];
    let (first, _) = run_refnet_with(dir.path(), &s2.url, &env, &args).await;
    let calls = llm.calls();
    let answered: Vec<_> = calls.iter().filter(|c| c.status == 200).collect();
    let throttled = calls.iter().filter(|c| c.status == 429).count();
    let span = match (answered.first(), answered.last()) {
        (Some(a), Some(b)) if answered.len() > 1 => b.at.checked_sub(a.at).unwrap(),
        _ => Duration::ZERO,
    };
    let per_minute = (answered.len() - 1) as f64 * 60.0 / span.as_secs_f64();
    let filled = std::fs::read_dir(dir.path().join("vault/refnet/papers"))
        .expect("papers folder")
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path())
                .is_ok_and(|t| t.contains("## Summary") && !t.contains("_No summary yet._"))
        })
        .count();
    let before = calls.len();
    let (second, _) = run_refnet_with(dir.path(), &s2.url, &env, &args).await;
    let second_calls = llm.calls().len() - before;
    println!("## summarize: depth-1 crawl of {members} papers (abstracts), fake LLM allowing 60 requests/minute");
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| notes with a filled Summary | {filled} of {members} | |");
    println!("| LLM calls answered (429s) | {} ({throttled}) | |", answered.len());
    println!(
        "| summaries per minute, first to last call ({:.1} s) | {per_minute:.1} | ≥ 54 (0.9 × 60) |",
        span.as_secs_f64()
    );
    println!("| wall time of the crawl | {:.1} s | |", first.as_secs_f64());
    println!("| LLM calls on a second run | {second_calls} | 0 |");
    println!("| wall time of the second run | {:.1} s | |", second.as_secs_f64());
}

/// A job that does nothing, on a queue of its own.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct NoopJob {
    n: u64,
}

impl refnet::queue::Job for NoopJob {
    const STAGE: refnet::stage::Stage = refnet::stage::Stage::Render;

    fn queue_name() -> &'static str {
        "bench-noop"
    }

    fn key(&self) -> String {
        format!("bench:noop:{}", self.n)
    }
}

impl refnet::worker::Handler for NoopJob {
    async fn run(&self, _: &std::sync::Arc<refnet::context::Context>) -> Result<(), refnet::worker::JobError> {
        Ok(())
    }
}

/// A Postgres server for the bench: `REFNET_BENCH_DATABASE_URL`, else the local default,
/// when it answers on loopback.
fn bench_pg_admin() -> Option<String> {
    let url = std::env::var("REFNET_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    refnet::testkit::pg::loopback_server(&url)
}

/// A fresh database: its url, and for Postgres a guard that drops it.
async fn fresh_database(kind: &str, dir: &Path, label: &str) -> (String, Option<ScratchDb>) {
    if kind == "SQLite" {
        return (
            format!("sqlite://{}", dir.join(format!("{label}.sqlite")).display()),
            None,
        );
    }
    let db = ScratchDb::create(&bench_pg_admin().expect("Postgres"), "refnet_bench").await;
    (db.url.clone(), Some(db))
}

/// No-op jobs per second through refnet's queue with `workers` workers of `concurrency`.
async fn noop_throughput(kind: &str, jobs: u64, workers: usize, concurrency: usize) -> f64 {
    use refnet::worker::supervise;
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, guard) = fresh_database(kind, dir.path(), "queue").await;
    let store = refnet::store::Store::open(&url).await.expect("store");
    let settings = refnet::settings::Settings {
        vault: dir.path().join("vault"),
        database_url: Some(refnet::secret::Secret::new(url.clone())),
        ..refnet::settings::Settings::default()
    };
    let ctx = refnet::context::Context::new(settings, store).expect("context");
    let all: Vec<NoopJob> = (0..jobs).map(|n| NoopJob { n }).collect();
    for chunk in all.chunks(500) {
        refnet::queue::enqueue(&ctx, chunk).await.expect("enqueue");
    }
    let shutdown = tokio_util::sync::CancellationToken::new();
    let started = Instant::now();
    let running: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(supervise::<NoopJob>(ctx.clone(), concurrency, shutdown.clone())))
        .collect();
    while ctx.store.live_jobs("bench:noop:").await.expect("live") > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    for r in running {
        let _ = r.await;
    }
    ctx.store.close().await;
    drop(guard);
    jobs as f64 / elapsed.as_secs_f64()
}

/// Creates the `floor` table on `$pool` with `$schema`, fills it with `$jobs` rows by
/// `$fill`, then times `$tasks` loops that each claim one row with `$claim` and mark it
/// done, until none is left.
macro_rules! claim_and_ack {
    ($pool:expr, $tasks:expr, $jobs:expr, $schema:expr, $fill:expr, $claim:expr) => {{
        for statement in $schema {
            sqlx::query(statement).execute(&$pool).await.expect("schema");
        }
        sqlx::query($fill)
            .bind($jobs as i64)
            .execute(&$pool)
            .await
            .expect("rows");
        let started = Instant::now();
        let loops: Vec<_> = (0..$tasks)
            .map(|_| {
                let pool = $pool.clone();
                tokio::spawn(async move {
                    loop {
                        let claimed: Option<i64> =
                            sqlx::query_scalar($claim).fetch_optional(&pool).await.expect("claim");
                        let Some(id) = claimed else { break };
                        sqlx::query("UPDATE floor SET status = 'done' WHERE id = $1")
                            .bind(id)
                            .execute(&pool)
                            .await
                            .expect("ack");
                    }
                })
            })
            .collect();
        for l in loops {
            let _ = l.await;
        }
        let elapsed = started.elapsed();
        $pool.close().await;
        elapsed
    }};
}

/// The floor: `tasks` loops that claim one row and mark it done, with nothing else.
async fn floor_throughput(kind: &str, jobs: u64, tasks: usize) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, guard) = fresh_database(kind, dir.path(), "floor").await;
    let elapsed = if kind == "SQLite" {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("url")
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30));
        let pool = refnet::store::pool_options::<sqlx::Sqlite>()
            .max_connections(tasks as u32 + 1)
            .connect_with(options)
            .await
            .expect("sqlite");
        claim_and_ack!(
            pool,
            tasks,
            jobs,
            ["CREATE TABLE floor (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'pending')"],
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO floor (id) SELECT i FROM n",
            "UPDATE floor SET status = 'running' WHERE id = \
             (SELECT id FROM floor WHERE status = 'pending' ORDER BY id LIMIT 1) RETURNING id"
        )
    } else {
        let pool = refnet::store::pool_options::<sqlx::Postgres>()
            .max_connections(tasks as u32 + 1)
            .connect(&url)
            .await
            .expect("pg");
        claim_and_ack!(
            pool,
            tasks,
            jobs,
            [
                "CREATE TABLE floor (id BIGSERIAL PRIMARY KEY, status TEXT NOT NULL DEFAULT 'pending')",
                "CREATE INDEX floor_pending ON floor (id) WHERE status = 'pending'",
            ],
            "INSERT INTO floor (status) SELECT 'pending' FROM generate_series(1, $1)",
            "UPDATE floor SET status = 'running' WHERE id = (SELECT id FROM floor \
             WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
        )
    };
    drop(guard);
    jobs as f64 / elapsed.as_secs_f64()
}

async fn queue() {
    let jobs = 3_000;
    let mut kinds = vec!["SQLite"];
    if bench_pg_admin().is_some() {
        kinds.push("Postgres");
    } else {
        println!("(Postgres skipped: nothing answers on 127.0.0.1:5432; set REFNET_BENCH_DATABASE_URL)");
    }
    println!("## queue: {jobs} no-op jobs, median of 3 runs each");
    println!("| database | workers × jobs at once | refnet's queue | claim-and-ack loop (floor) | queue ÷ floor |");
    println!("|---|---|---|---|---|");
    for kind in kinds {
        for (workers, concurrency) in [(1, 1), (1, 4), (2, 4)] {
            let mut queue_runs = Vec::new();
            let mut floor_runs = Vec::new();
            for _ in 0..3 {
                queue_runs.push(noop_throughput(kind, jobs, workers, concurrency).await);
                floor_runs.push(floor_throughput(kind, jobs, workers * concurrency).await);
            }
            queue_runs.sort_by(f64::total_cmp);
            floor_runs.sort_by(f64::total_cmp);
            let (q, f) = (queue_runs[1], floor_runs[1]);
            println!(
                "| {kind} | {workers} × {concurrency} | {q:.0} jobs/s | {f:.0} jobs/s ({} loops) | {:.2} |",
                workers * concurrency,
                q / f
            );
        }
    }
}

#[expect(unsafe_code, reason = "kill has no safe wrapper in std")]
async fn serve() {
    let (fake, seed_id, papers, reach) = depth2_corpus(10.0).await;
    let mut kinds = vec!["SQLite"];
    if bench_pg_admin().is_some() {
        kinds.push("Postgres");
    }
    println!(
        "## serve: a depth-2 crawl of {reach} papers (of {papers}) posted to `refnet serve` (fake S2 at 10 requests/s, extractive summaries)"
    );
    println!("| database | wall time, POST to every stage drained | papers per minute | S2 requests |");
    println!("|---|---|---|---|");
    for kind in kinds {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, guard) = fresh_database(kind, dir.path(), "serve").await;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("DATABASE_URL", &url)
            .env("REFNET_VAULT", dir.path().join("vault"))
            .env("REFNET_S2_URL", &fake.url)
            .env("REFNET_S2_RPS", "10")
            .env("REFNET_LOG", "warn")
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn refnet serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let first = lines.next_line().await.expect("read").expect("a line");
        let base = first
            .strip_prefix("serving on ")
            .expect("serving line")
            .trim_end_matches('/')
            .to_owned();
        let http = reqwest::Client::new();
        let before = fake.request_count();
        let started = Instant::now();
        let created: serde_json::Value = http
            .post(format!("{base}/api/crawls"))
            .header("content-type", "application/json")
            .body(serde_json::json!({"seed": seed_id, "depth": 2}).to_string())
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        let id = created["id"].as_i64().expect("crawl id");
        // A run that does not end within this is reported as such, with where it stood.
        let deadline = started + Duration::from_secs(300);
        let members = loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let crawl: serde_json::Value = http
                .get(format!("{base}/api/crawls/{id}"))
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            let drained = ["crawl", "summarize", "render"].iter().all(|s| {
                let st = &crawl["stages"][s];
                st["pending"] == 0 && st["running"] == 0 && st["scheduled"] == 0 && st["retrying"] == 0
            });
            // One render per run, after its summaries.
            let render_done = crawl["stages"]["render"]["done"].as_i64().unwrap_or(0) >= 1;
            if crawl["status"] == "done" && drained && render_done {
                break Some(crawl["papers"]["members"].as_i64().unwrap_or(0));
            }
            if Instant::now() > deadline {
                println!("| {kind} | not done after 300 s: {crawl} | | |");
                break None;
            }
        };
        let Some(members) = members else {
            continue;
        };
        let elapsed = started.elapsed();
        let requests = fake.request_count() - before;
        println!(
            "| {kind} | {:.1} s | {:.0} | {requests} |",
            elapsed.as_secs_f64(),
            members as f64 * 60.0 / elapsed.as_secs_f64()
        );
        // SAFETY: kill only signals the child this bench started.
        if let Some(pid) = child.id() {
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
        let _ = child.wait().await;
        drop(guard);
    }
}
