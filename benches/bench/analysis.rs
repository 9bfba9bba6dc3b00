//! `analysis`: the graph analysis of 10,000 and 100,000 stored papers (10 references a
//! paper, as the render bench), each size in a child process of this binary that reports
//! its own phases and peak memory (`VmHWM`); then the adjusted Rand index of the
//! clusters found in planted-community corpora.

use std::path::Path;
use std::time::{Duration, Instant};

use refnet::graph::analyse::{NEIGHBOURS, analyse};
use refnet::graph::analysis::refresh;
use refnet::graph::labels::Texts;
use refnet::graph::{CrawlGraph, clusters, labels, similarity, works};
use refnet::store::{Direction, NewCrawl, NewSeed, Store};
use refnet::testkit::{Corpus, Planted, adjusted_rand_index};

/// A SQLite store under `dir` holding `n` synthetic papers (10 references each) as one
/// crawl: (its URL, the crawl's id, citation edges, time to fill).
pub(crate) async fn stored_crawl(dir: &Path, n: usize) -> (String, i64, usize, Duration) {
    let pristine = dir.join("pristine.sqlite");
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
                seeds: vec![NewSeed {
                    paper_id: seed.parse().expect("seed id"),
                    input: seed.clone(),
                    priority: 5,
                }],
                seed_input: seed.clone(),
                depth: 1,
                direction: Direction::References,
                max_papers: 0,
                summarize: false,
            },
            0,
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
    let edges = (0..n)
        .map(|i| corpus.paper(i).references.iter().flatten().count())
        .sum();
    (url, crawl.crawl_id, edges, fill.elapsed())
}

/// This process's peak resident memory so far, in MiB: `VmHWM`, the high-water mark of
/// its own address space. (`getrusage`'s `ru_maxrss` is no good here: a child started by
/// `posix_spawn` (vfork, then exec) starts with its parent's peak, and the parent has just
/// filled the store.)
fn own_peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kb = line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?;
                kb.trim().parse::<f64>().ok()
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The child: loads the graph, analyses it through `refresh` (stored), refreshes again
/// unchanged, then times the pure analysis alone; prints one JSON line.
pub(crate) async fn child(url: &str, crawl_id: i64) {
    let store = Store::open(url).await.expect("store");
    let started = Instant::now();
    let graph = std::sync::Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
    let load = started.elapsed();
    let peak_load = own_peak_mib();
    let started = Instant::now();
    // The render holds one analysis at a time: so does the bench. PageRank is part of
    // the analysis timed (the render computes it once for the metrics and the analysis).
    let pagerank: std::sync::Arc<[f64]> = graph.pagerank().into();
    let runs = refresh(&store, crawl_id, &graph, &pagerank)
        .await
        .expect("analysis")
        .runs;
    let full = started.elapsed();
    let peak_full = own_peak_mib();
    let started = Instant::now();
    let second = refresh(&store, crawl_id, &graph, &pagerank).await.expect("analysis");
    let unchanged = started.elapsed();
    assert_eq!(second.runs, runs, "an unchanged graph is not analysed again");
    drop(second);
    let peak_refresh = own_peak_mib().max(peak_full);
    // What the unchanged refresh reads: the members' text hashes summed, then the stored
    // analysis.
    let started = Instant::now();
    let (sums, unhashed) = store.text_hash_sums(graph.member_ids()).await.expect("text hashes");
    let read_texts = started.elapsed();
    let read = sums.count as usize + unhashed.len();
    let started = Instant::now();
    let stored = store.analysis(crawl_id).await.expect("analysis");
    let read_stored = started.elapsed();
    assert!(read > 0 && stored.is_some());
    drop(stored);
    let members = graph.member_ids().to_vec();
    let mut texts = Texts::new(members.len());
    for (id, title, abstract_text) in store.paper_texts(&members).await.expect("texts") {
        if let Some(i) = graph.node(&id) {
            texts.set(i as usize, &title, abstract_text.as_deref());
        }
    }
    let started = Instant::now();
    let seed = graph.node(&members[0]).into_iter().collect::<Vec<_>>();
    let found = analyse(&graph, &seed, &texts, &graph.pagerank());
    let compute = started.elapsed();
    let (clusters, unclustered) = (
        found.clusters.len(),
        found.cluster_of.iter().filter(|c| c.is_none()).count(),
    );
    drop(found);
    let phases = phases(&graph, &seed, &texts);
    let line = serde_json::json!({
        "phases": phases,
        "load": load.as_secs_f64(),
        "full": full.as_secs_f64(),
        "unchanged": unchanged.as_secs_f64(),
        "read_texts": read_texts.as_secs_f64(),
        "read_stored": read_stored.as_secs_f64(),
        "compute": compute.as_secs_f64(),
        "peak_load": peak_load,
        "peak_refresh": peak_refresh,
        "peak": own_peak_mib().max(peak_refresh),
        "runs": runs,
        "clusters": clusters,
        "unclustered": unclustered,
    });
    println!("{line}");
}

/// The analysis's phases one by one (as `analyse` runs them), in seconds.
fn phases(g: &CrawlGraph, seeds: &[u32], texts: &Texts) -> serde_json::Value {
    let mut took = serde_json::Map::new();
    let mut time = |name: &str, started: Instant| {
        took.insert(name.to_owned(), serde_json::json!(started.elapsed().as_secs_f64()));
    };
    let started = Instant::now();
    let _rank = g.pagerank();
    time("pagerank", started);
    let started = Instant::now();
    let _sim = similarity::to_seeds(g, seeds);
    time("to seeds", started);
    let started = Instant::now();
    let similar = similarity::top_k(g, similarity::TOP_K);
    time("top-10", started);
    let started = Instant::now();
    let w = clusters::weighted(g, &similar);
    time("weighted graph", started);
    let started = Instant::now();
    let comm = clusters::louvain(&w);
    time("louvain", started);
    let (groups, _) = clusters::clusters(g, &similar);
    let started = Instant::now();
    let _terms = labels::distinctive(texts, &groups);
    time("labels", started);
    let mut of = vec![None; g.member_ids().len()];
    for (c, members) in groups.iter().enumerate() {
        for &m in members {
            of[m as usize] = Some(c);
        }
    }
    let started = Instant::now();
    let _near = clusters::neighbours(&w, &of, groups.len(), NEIGHBOURS);
    time("neighbours", started);
    let started = Instant::now();
    let _works = (works::prior(g), works::derivative(g));
    time("works", started);
    drop(comm);
    serde_json::Value::Object(took)
}

/// The analysis at `n` papers, measured in a child process.
pub(crate) async fn analysis(n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, crawl_id, edges, filled) = stored_crawl(dir.path(), n).await;
    let out = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["analysis-child", &url, &crawl_id.to_string()])
        .output()
        .await
        .expect("run the child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the child's report");
    let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "## analysis: {n} papers, {edges} citation edges (store filled in {:.1} s)",
        filled.as_secs_f64()
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| graph read from the store | {:.2} s | |", f("load"));
    println!(
        "| analysis alone (similarity, top-10, works, Louvain, labels) | {:.2} s | ≤ 5 s at 100,000 |",
        f("compute")
    );
    println!(
        "| first `refresh` (texts read, analysed, stored) | {:.2} s | |",
        f("full")
    );
    println!(
        "| `refresh` of the unchanged graph (fingerprint only; runs stays {}) | {:.2} s | skipped |",
        r["runs"],
        f("unchanged")
    );
    println!(
        "| of which: text hashes summed / the stored analysis read | {:.2} / {:.2} s | |",
        f("read_texts"),
        f("read_stored")
    );
    let phases: Vec<String> = r["phases"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {:.2}", v.as_f64().unwrap_or(f64::NAN)))
                .collect()
        })
        .unwrap_or_default();
    println!("| analysis phases, s | {} | |", phases.join(", "));
    println!(
        "| clusters (unclustered papers) | {} ({}) | |",
        r["clusters"], r["unclustered"]
    );
    println!(
        "| peak memory: after reading the graph / after both `refresh`es / with the bench's own extra analyses | {:.0} / {:.0} / {:.0} MiB | ≤ 300 MiB at 100,000 |",
        f("peak_load"),
        f("peak_refresh"),
        f("peak")
    );
}

/// ARI of the clusters found in planted-community corpora.
pub(crate) fn planted_ari() {
    println!("## analysis: clusters against planted communities");
    println!("| communities × papers, references each, share cited inside | clusters found | ARI | target |");
    println!("|---|---|---|---|");
    for (c, per, refs, inside) in [
        (5, 60, 10, 0.85),
        (8, 500, 10, 0.85),
        (8, 500, 10, 0.7),
        (8, 2000, 10, 0.8),
    ] {
        let p = Planted::new(c, per, refs, inside, 11);
        let g = p.graph();
        let texts = p.texts(&g);
        let seed = g.node(&p.corpus.paper(p.seed).id).into_iter().collect::<Vec<_>>();
        let a = analyse(&g, &seed, &texts, &g.pagerank());
        let planted = p.community_of();
        let truth: Vec<usize> = g.member_ids().iter().map(|id| planted[id]).collect();
        let found: Vec<usize> = (0..truth.len())
            .map(|i| a.cluster_of[i].unwrap_or(1_000_000 + i))
            .collect();
        println!(
            "| {c} × {per}, {refs}, {inside} | {} | {:.3} | ≥ 0.8 |",
            a.clusters.len(),
            adjusted_rand_index(&truth, &found)
        );
    }
}
