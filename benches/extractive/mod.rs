//! `extractive`: the built-in summarizer's speed, on its own (no store, no queue): the
//! 3,000 abstracts of a synthetic corpus, the abstracts S2 recorded in
//! `../shared/fixtures/s2` (or `$REFNET_SHARED/fixtures/s2`), and the full texts of the
//! fixture PDFs (their `pdftotext` references), as the summarize stage gives them to it.

use std::path::Path;
use std::time::Instant;

use refnet::summarize::extractive;
use refnet::summarize::summary::Source;
use refnet::testkit::Corpus;

/// Summaries per second of `texts` (title, text), at least `min_runs` passes.
fn rate(texts: &[(String, String)], source: Source, min_runs: usize) -> (usize, f64) {
    let started = Instant::now();
    let mut made = 0;
    for _ in 0..min_runs {
        for (title, text) in texts {
            std::hint::black_box(extractive::summarize(title, text, source));
            made += 1;
        }
    }
    (made, made as f64 / started.elapsed().as_secs_f64())
}

fn recorded_abstracts(shared: &Path) -> Vec<(String, String)> {
    let dir = shared.join("fixtures/s2/tests/data");
    let read = |name: &str| -> serde_json::Value {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    };
    let (paper, author) = (read("Paper.json"), read("Author.json"));
    [&paper["citations"], &paper["references"], &author["papers"]]
        .into_iter()
        .flat_map(|list| list.as_array().cloned().unwrap_or_default())
        .filter_map(|p| Some((p["title"].as_str()?.to_owned(), p["abstract"].as_str()?.to_owned())))
        .collect()
}

fn full_texts(shared: &Path) -> Vec<(String, String)> {
    let dir = shared.join("fixtures/pdf/reference/default");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            // The title is the first line of text; good enough to score by.
            let title = text.lines().find(|l| !l.trim().is_empty())?.trim().to_owned();
            (text.len() > 2_000).then_some((title, text))
        })
        .collect()
}

pub(crate) fn extractive() {
    let shared = std::env::var("REFNET_SHARED").unwrap_or_else(|_| "../shared".to_owned());
    let shared = Path::new(&shared);
    let corpus = Corpus::synthetic(3_000, 0, 1);
    let synthetic: Vec<(String, String)> = (0..corpus.len())
        .map(|i| {
            let p = corpus.paper(i);
            (p.title.clone(), p.abstract_text.clone().unwrap_or_default())
        })
        .collect();
    println!("## extractive: the built-in summarizer alone, one thread");
    println!("| texts | summaries | summaries/second |");
    println!("|---|---|---|");
    let rows = [
        ("synthetic abstracts", synthetic, Source::Abstract, 3),
        (
            "abstracts recorded from S2",
            recorded_abstracts(shared),
            Source::Abstract,
            3,
        ),
        (
            "fixture PDFs' full texts (pdftotext)",
            full_texts(shared),
            Source::Pdf,
            5,
        ),
    ];
    for (label, texts, source, runs) in rows {
        if texts.is_empty() {
            println!("| {label} | skipped: not found under {} | |", shared.display());
            continue;
        }
        let (made, per_second) = rate(&texts, source, runs);
        println!(
            "| {label} ({} texts × {runs}) | {made} | {per_second:.0} |",
            texts.len()
        );
    }
}
