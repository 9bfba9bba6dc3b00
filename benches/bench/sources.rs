//! `sources`: what several seeds and the second source cost in requests. A 5-seed depth-1
//! crawl against the same 5 seeds crawled one after the other (in one store, as a user
//! would), and each alone in a store of its own; then OpenAlex requests per paper it
//! filled, on a corpus whose papers with a DOI have no abstract on S2. Counts, not times:
//! they do not depend on the build profile or the machine.

use refnet::testkit::{Corpus, FakeOpenAlex, FakeS2};

use super::run_refnet_with;

/// Requests are what is measured: the fake S2 answers as fast as it can.
const FAST: [(&str, &str); 1] = [("REFNET_S2_RPS", "1000")];

pub(super) async fn sources() {
    let corpus = Corpus::synthetic(20_000, 40, 2026);
    let seeds: Vec<String> = (0..5)
        .map(|k| corpus.paper(corpus.len() - 1 - 37 * k).id.clone())
        .collect();
    let fake = FakeS2::start(corpus.clone()).await;
    println!("## sources: 5 seeds, depth 1, a 20,000-paper synthetic corpus");
    println!("| crawl | S2 requests | papers |");
    println!("|---|---|---|");

    let dir = tempfile::tempdir().expect("tempdir");
    let before = fake.request_count();
    let mut args = vec!["crawl"];
    args.extend(seeds.iter().map(String::as_str));
    args.extend(["--depth", "1", "--no-summarize"]);
    let (_, out) = run_refnet_with(dir.path(), &fake.url, &FAST, &args).await;
    println!(
        "| `refnet crawl A B C D E --depth 1` (one crawl) | {} | {} |",
        fake.request_count() - before,
        papers(&out)
    );

    let shared = tempfile::tempdir().expect("tempdir");
    let (requests, total) = singles(&fake, &seeds, Some(shared.path())).await;
    println!("| 5 single crawls, one after the other, one store | {requests} | {total} (summed) |");
    let (requests, total) = singles(&fake, &seeds, None).await;
    println!("| 5 single crawls, each in a store of its own | {requests} | {total} (summed) |");

    openalex_per_paper().await;
}

/// Each seed crawled alone, one after the other, in `dir` (else each in a new folder):
/// the S2 requests made and the papers crawled, summed.
async fn singles(fake: &FakeS2, seeds: &[String], dir: Option<&std::path::Path>) -> (usize, usize) {
    let before = fake.request_count();
    let mut total = 0;
    for seed in seeds {
        let own = tempfile::tempdir().expect("tempdir");
        let at = dir.unwrap_or(own.path());
        let (_, out) = run_refnet_with(at, &fake.url, &FAST, &["crawl", seed, "--depth", "1", "--no-summarize"]).await;
        total += papers(&out);
    }
    (fake.request_count() - before, total)
}

/// OpenAlex requests per paper filled, on a depth-2 crawl.
async fn openalex_per_paper() {
    let mut corpus = Corpus::synthetic(5_000, 20, 7);
    let mut works = Vec::new();
    for i in 0..corpus.len() {
        let Some(doi) = corpus.paper(i).doi.clone() else {
            continue;
        };
        corpus.paper_mut(i).abstract_text = None;
        works.push(FakeOpenAlex::work(
            &format!("W{i}"),
            &doi,
            Some("An abstract only OpenAlex has."),
            None,
            None,
        ));
    }
    let seed = corpus.paper(corpus.len() - 1).id.clone();
    let fake = FakeS2::start(corpus).await;
    let openalex = FakeOpenAlex::start(works, None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("REFNET_S2_RPS", "1000"),
        ("REFNET_OPENALEX_URL", openalex.url.as_str()),
        ("REFNET_OPENALEX_MAILTO", "bench@example.org"),
    ];
    let (_, out) = run_refnet_with(
        dir.path(),
        &fake.url,
        &env,
        &["crawl", &seed, "--depth", "2", "--no-summarize"],
    )
    .await;
    let filled = std::fs::read_dir(dir.path().join("vault/refnet/papers"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("abstract_source: \"openalex\"")))
        .count();
    let requests = openalex.request_count();
    println!();
    println!("| OpenAlex, depth-2 crawl ({} papers) | value |", papers(&out));
    println!("|---|---|");
    println!("| papers whose abstract came from OpenAlex | {filled} |");
    println!("| OpenAlex requests | {requests} |");
    println!(
        "| requests per paper filled | {:.3} |",
        requests as f64 / filled.max(1) as f64
    );
}

/// The `papers N` line of a crawl's summary.
fn papers(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("papers"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
