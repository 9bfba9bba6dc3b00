//! refnet's benchmarks, one binary: `cargo bench --bench bench -- <name>`.
//!
//! - `crawl`: a depth-2 crawl of a 20,000-paper synthetic corpus through a fake S2
//!   limited to 1 request/second, by the real `refnet` binary; then the same crawl again.
//!
//! Results are printed as Markdown rows for BENCHMARKS.md. Everything runs on 127.0.0.1.

use std::path::Path;
use std::time::{Duration, Instant};

use refnet::testkit::{Corpus, FakeOptions, FakeS2};

#[tokio::main]
async fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let all = which.is_empty();
    if all || which.iter().any(|w| w == "crawl") {
        crawl().await;
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

async fn run_refnet(dir: &Path, url: &str, args: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_S2_URL", url)
        .env("REFNET_S2_RPS", "1")
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
