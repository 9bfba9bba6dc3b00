//! A fake Semantic Scholar on 127.0.0.1 over a synthetic corpus, to try refnet without
//! the network:
//!
//! ```text
//! cargo run --features testkit --example fake_s2 -- --papers 2000 --refs 12
//! REFNET_S2_URL=<printed url> refnet crawl <printed seed> --depth 2
//! ```

use refnet::testkit::{Corpus, FakeOptions, FakeS2};

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let papers = arg("--papers", 2000.0) as usize;
    let refs = arg("--refs", 12.0) as usize;
    let rps = arg("--rps", 0.0);
    let corpus = Corpus::synthetic(papers.max(1), refs, 42);
    let seed = corpus.paper(corpus.len() - 1).clone();
    let options = FakeOptions {
        rate_limit: (rps > 0.0).then_some(rps),
        ..FakeOptions::default()
    };
    let fake = FakeS2::start_with(corpus, options).await;
    println!("REFNET_S2_URL={}", fake.url);
    println!(
        "seed: {}{}",
        seed.id,
        seed.arxiv.map(|a| format!("  (or ARXIV:{a})")).unwrap_or_default()
    );
    let _ = tokio::signal::ctrl_c().await;
    println!("{} requests served", fake.request_count());
}
