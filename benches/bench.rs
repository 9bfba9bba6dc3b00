//! refnet's benchmarks, one binary: `cargo bench --bench bench -- <name>`.
//!
//! - `crawl`: a depth-2 crawl of a 20,000-paper synthetic corpus through a fake S2
//!   limited to 1 request/second, by the real `refnet` binary; then the same crawl again.
//!
//! - `render`: 10,000 and 100,000 synthetic papers (with authors and edges) stored as one
//!   crawl, rendered by `refnet render` into an empty vault, then again unchanged, beside
//!   `cp -r` of the same files (`render 10000` for one size).
//!
//! - `extract`: `refnet pdf-text --json` on each PDF of `../shared/fixtures/pdf` (or
//!   `$REFNET_SHARED/fixtures/pdf`), one child process per file as the summarize stage
//!   runs it: pages per second and each child's peak memory.
//!
//! - `summarize`: a depth-1 crawl whose papers are summarized through a fake LLM that
//!   allows 60 requests a minute, with refnet's limit set to the same; then the crawl again.
//!
//! Results are printed as Markdown rows for BENCHMARKS.md. Everything runs on 127.0.0.1.

use std::path::Path;
use std::time::{Duration, Instant};

use refnet::testkit::{Corpus, FakeLlm, FakeOptions, FakeS2, LlmOptions};

#[tokio::main]
async fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let all = which.is_empty();
    if all || which.iter().any(|w| w == "crawl") {
        crawl().await;
    }
    if all || which.iter().any(|w| w == "extract") {
        extract();
    }
    if all || which.iter().any(|w| w == "summarize") {
        summarize().await;
    }
    if all || which.iter().any(|w| w == "render") {
        let sizes: Vec<usize> = which.iter().filter_map(|w| w.parse().ok()).collect();
        for n in if sizes.is_empty() { vec![10_000, 100_000] } else { sizes } {
            render(n).await;
        }
    }
}

/// Peak resident memory of the largest child process waited for so far, in MiB.
fn children_peak_mib() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    usage.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
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
    use refnet::store::{Direction, NewCrawl, Store};
    let dir = tempfile::tempdir().expect("tempdir");
    let pristine = dir.path().join("pristine.sqlite");
    let url = format!("sqlite://{}", pristine.display());
    let corpus = Corpus::synthetic(n, 10, 7);
    let store = Store::open(&url).await.expect("store");
    let fill = Instant::now();
    for start in (0..n).step_by(1000) {
        let batch = corpus.stored_batch(start..(start + 1000).min(n));
        store
            .record_batch(0, 0, &batch, 1_763_769_600)
            .await
            .expect("store papers");
    }
    let seed = corpus.paper(n - 1).id.clone();
    let crawl = store
        .begin_run(
            &NewCrawl {
                seed_id: seed.clone(),
                seed_input: seed.clone(),
                depth: 1,
                direction: Direction::References,
                max_papers: 0,
                summarize: false,
            },
            0,
            5,
            1_763_769_600,
        )
        .await
        .expect("crawl");
    let others: Vec<(String, i64)> = (0..n - 1).map(|i| (corpus.paper(i).id.clone(), 5)).collect();
    store
        .add_level(crawl.crawl_id, crawl.run, 1, &others, &[])
        .await
        .expect("members");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(match store.db() {
            refnet::store::Db::Sqlite(pool) => pool,
            refnet::store::Db::Postgres(_) => unreachable!("the bench uses SQLite"),
        })
        .await
        .expect("checkpoint");
    store.close().await;
    let filled = fill.elapsed();
    let edges: usize = (0..n)
        .map(|i| corpus.paper(i).references.iter().flatten().count())
        .sum();
    drop(corpus);

    // Three rounds, each: a fresh vault from a copy of the pristine store, rendered, then
    // `cp -r` of the notes it wrote. Nothing is deleted until the end: ext4 is slow to
    // create files among inodes freed in the last minutes, which would skew either side.
    let id = crawl.crawl_id.to_string();
    let mut renders = Vec::new();
    let mut copies = Vec::new();
    let mut notes = 0;
    let mut size = (0, 0);
    let mut unchanged = (Duration::ZERO, String::new());
    for round in 0..3 {
        let home = dir.path().join(format!("round{round}"));
        std::fs::create_dir_all(home.join("vault/.refnet")).expect("mkdir");
        std::fs::copy(&pristine, home.join("vault/.refnet/refnet.sqlite")).expect("copy store");
        let (elapsed, out) = run_refnet(&home, "http://127.0.0.1:9/unused", &["render", "--crawl", &id]).await;
        renders.push(elapsed);
        notes = out.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
        size = tree_size(&home.join("vault/refnet"));
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
        "| render ÷ `cp -r` | {:.2} | ≤ 2 |",
        render.as_secs_f64() / cp.as_secs_f64()
    );
    println!("| peak memory of `refnet` (largest child so far) | {peak:.1} MiB | |");
    println!(
        "| unchanged re-render: {} | {:.2} s | 0 written |",
        unchanged.1.trim(),
        unchanged.0.as_secs_f64()
    );
    if std::env::var_os("REFNET_BENCH_KEEP").is_some() {
        eprintln!("kept {}", dir.keep().display());
    }
}

async fn run_refnet(dir: &Path, url: &str, args: &[&str]) -> (Duration, String) {
    run_refnet_with(dir, url, &[], args).await
}

async fn run_refnet_with(dir: &Path, url: &str, env: &[(&str, &str)], args: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_S2_URL", url)
        .env("REFNET_S2_RPS", "1")
        .envs(env.iter().copied())
        .current_dir(dir)
        .args(args)
        .output()
        .await
        .expect("run refnet");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "refnet failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn crawl() {
    let papers = 20_000;
    let corpus = Corpus::synthetic(papers, 40, 2026);
    let seed = corpus.len() - 1;
    let reach = corpus.reachable(seed, 2).len();
    let seed_id = corpus.paper(seed).id.clone();
    let fake = FakeS2::start_with(
        corpus,
        FakeOptions {
            rate_limit: Some(1.0),
            ..FakeOptions::default()
        },
    )
    .await;
    // Three first runs, each into an empty vault; the median is reported.
    let mut firsts = Vec::new();
    let mut stdout = String::new();
    let mut dir = tempfile::tempdir().expect("tempdir");
    let mut first_requests = 0;
    for _ in 0..3 {
        dir = tempfile::tempdir().expect("tempdir");
        let before = fake.request_count();
        let (elapsed, out) = run_refnet(dir.path(), &fake.url, &["crawl", &seed_id, "--depth", "2"]).await;
        first_requests = fake.request_count() - before;
        firsts.push(elapsed);
        stdout = out;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    firsts.sort();
    let first = firsts[1];
    let throttled = fake.requests().iter().filter(|r| r.status == 429).count();
    let peak = children_peak_mib();
    let before = fake.request_count();
    let (second, _) = run_refnet(dir.path(), &fake.url, &["crawl", &seed_id, "--depth", "2"]).await;
    let second_requests = fake.request_count() - before;
    let crawled: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("papers"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("papers line in the summary");
    assert_eq!(crawled, reach, "every reachable paper was crawled");
    let floor = first_requests as f64 / 1.0;
    println!("## crawl: {papers} papers in the corpus, {reach} in reach at depth 2, fake S2 at 1 request/s");
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
    println!("| peak memory of `refnet` | {peak:.1} MiB | |");
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
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
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
        let (verdict, pages) = match report.get("ok") {
            Some(ok) => ("text".to_owned(), ok["quality"]["pages"].as_u64().unwrap_or(0)),
            None => {
                let why = report.get("rejected").map(|r| match r {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
                    other => other.to_string(),
                });
                (format!("rejected: {}", why.unwrap_or_default()), 0)
            }
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
        (Some(a), Some(b)) if answered.len() > 1 => b.at - a.at,
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
