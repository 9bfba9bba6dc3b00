//! The graph analysis as stored: computed once per changed graph, cluster ids and a
//! user's label that survive a re-analysis that adds papers, and a crawl of a
//! planted-community corpus end to end; and papers read back with every stored value.

use std::collections::HashMap;
use std::sync::Arc;

use refnet::crawl::CrawlRequest;
use refnet::graph::CrawlGraph;
use refnet::graph::analysis::{TextsFrom, refresh, refresh_by_node};
use refnet::graph::labels::Texts;
use refnet::ids::PaperId;
use refnet::queue::run_prefix;
use refnet::render::render_crawl;
use refnet::store::{Db, Direction, FetchedBatch, NewCrawl, NewSeed, PaperRecord, Store, StoredPaper};
use refnet::testkit::{Planted, adjusted_rand_index};

use super::support::{Backend, PgDatabase, TestApp};

/// A store holding every planted paper, and a crawl seeded with the planted seed whose
/// members are the seed and the first `first` other papers.
async fn planted_store(store: &Store, p: &Planted, first: usize) -> i64 {
    let n = p.corpus.len();
    for start in (0..n).step_by(200) {
        store
            .record_batch(0, 0, &p.corpus.stored_batch(start..(start + 200).min(n)), 1_763_769_600)
            .await
            .expect("store papers");
    }
    let seed = p.corpus.paper(p.seed).id.clone();
    let crawl = store
        .begin_run(
            &NewCrawl {
                seeds: vec![NewSeed {
                    paper_id: seed.parse().expect("seed id"),
                    input: seed.clone(),
                    priority: 5,
                }],
                seed_input: seed,
                depth: 2,
                direction: Direction::Both,
                max_papers: 0,
                summarize: false,
            },
            0,
            1_763_769_600,
        )
        .await
        .expect("crawl");
    add_members(store, p, crawl.crawl_id, 1, 0..first).await;
    crawl.crawl_id
}

async fn add_members(store: &Store, p: &Planted, crawl_id: i64, depth: i64, range: std::ops::Range<usize>) {
    let members: Vec<(String, i64)> = range
        .filter(|&i| i != p.seed)
        .map(|i| (p.corpus.paper(i).id.clone(), 5))
        .collect();
    store
        .add_level(crawl_id, 1, depth, &members, &[])
        .await
        .expect("members");
}

/// Runs one statement the store has no method for (as an earlier version wrote).
async fn execute(store: &Store, sql: String) {
    match store.db() {
        Db::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.map(|_| ()),
    }
    .expect("a statement");
}

/// Each paper's similar list as the store holds it: (paper id, text).
async fn similar_texts(store: &Store, crawl_id: i64) -> Vec<(String, String)> {
    let sql = "SELECT paper_id, similar_papers FROM analysis_papers WHERE crawl_id = $1 ORDER BY paper_id";
    match store.db() {
        Db::Sqlite(pool) => sqlx::query_as(sql).bind(crawl_id).fetch_all(pool).await,
        Db::Postgres(pool) => sqlx::query_as(sql).bind(crawl_id).fetch_all(pool).await,
    }
    .expect("similar lists")
}

async fn open(backend: Backend, dir: &std::path::Path) -> (Store, Option<PgDatabase>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.join("a.sqlite").display());
            (Store::open(&url).await.expect("store"), None)
        }
        Backend::Postgres => {
            let db = PgDatabase::create().await;
            (Store::open(db.url()).await.expect("store"), Some(db))
        }
    }
}

crate::both_backends!(
    an_unchanged_graph_is_not_analysed_again_and_ids_and_a_user_label_survive_new_papers,
    |backend| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _pg) = open(backend, dir.path()).await;
        let p = Planted::new(4, 50, 8, 0.85, 21);
        let crawl_id = planted_store(&store, &p, 170).await;
        assert!(store.analysis(crawl_id).await.expect("read").is_none());

        let g = Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
        let fresh = refresh_by_node(&store, crawl_id, &g, &g.pagerank().into(), TextsFrom::Store)
            .await
            .expect("analysis");
        let first = fresh.analysis;
        assert_eq!(first.runs, 1);
        assert!(!first.clusters.is_empty());
        // The similar papers by node, computed now, are the stored lists by paper id.
        let by_node = fresh.similar_by_node.expect("computed now: by node too");
        assert_eq!(by_node.len(), g.member_ids().len());
        let named: HashMap<String, Vec<(String, f64)>> = (0u32..)
            .zip(&by_node)
            .filter(|(_, list)| !list.is_empty())
            .map(|(i, list)| {
                let list = list.iter().map(|&(b, s)| (g.id(b).to_owned(), s)).collect();
                (g.id(i).to_owned(), list)
            })
            .collect();
        let stored: HashMap<String, Vec<(String, f64)>> = first
            .similar
            .iter()
            .map(|(id, list)| (id.clone(), list.iter().map(|(b, s)| (b.to_string(), *s)).collect()))
            .collect();
        assert!(!named.is_empty());
        assert_eq!(named, stored);
        let g = Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
        let unchanged = refresh_by_node(&store, crawl_id, &g, &g.pagerank().into(), TextsFrom::Store)
            .await
            .expect("analysis");
        assert!(unchanged.similar_by_node.is_none(), "read back: by paper id only");
        let again = unchanged.analysis;
        assert_eq!(again.runs, 1, "the same graph is not analysed again");
        assert_eq!(again, first);
        assert_eq!(store.analysis(crawl_id).await.expect("read"), Some(first.clone()));
        // Similar lists are stored by position among the rows; those an earlier version
        // stored as JSON of paper ids read back the same.
        let by_position = similar_texts(&store, crawl_id).await;
        assert!(by_position.iter().any(|(_, t)| t.starts_with('#')), "{by_position:?}");
        assert!(by_position.iter().all(|(_, t)| t.starts_with('#') || t == "[]"));
        for (id, list) in &first.similar {
            let json: Vec<(&str, f64)> = list.iter().map(|(b, s)| (&**b, *s)).collect();
            let json = serde_json::to_string(&json).expect("json");
            // Hex ids and numbers: nothing to quote.
            execute(
                &store,
                format!(
                    "UPDATE analysis_papers SET similar_papers = '{json}' WHERE crawl_id = {crawl_id} AND paper_id = '{id}'"
                ),
            )
            .await;
        }
        assert!(
            similar_texts(&store, crawl_id)
                .await
                .iter()
                .all(|(_, t)| t.starts_with('['))
        );
        assert_eq!(store.analysis(crawl_id).await.expect("read"), Some(first.clone()));

        // The user names the seed's cluster; a refresh adds the remaining papers.
        let seed = p.corpus.paper(p.seed).id.clone();
        let seed_cluster = first.papers[&seed].cluster_id.expect("the seed is clustered");
        assert!(
            store
                .set_cluster_label(crawl_id, seed_cluster, Some("My field"))
                .await
                .expect("rename")
        );
        assert!(!store.set_cluster_label(crawl_id, 999, Some("x")).await.expect("rename"));
        let ids_before: HashMap<String, Option<i64>> =
            first.papers.iter().map(|(id, a)| (id.clone(), a.cluster_id)).collect();
        add_members(&store, &p, crawl_id, 2, 170..p.corpus.len()).await;
        let g = Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
        assert!(g.member_ids().len() > first.papers.len());
        let second = refresh(&store, crawl_id, &g, &g.pagerank().into())
            .await
            .expect("analysis");
        assert_eq!(second.runs, 2);
        assert_eq!(
            second.papers[&seed].cluster_id,
            Some(seed_cluster),
            "the seed's cluster kept its id"
        );
        assert_eq!(second.label_of(&seed), Some("My field"));
        // Most papers keep their cluster id.
        let kept = ids_before
            .iter()
            .filter(|(id, c)| c.is_some() && second.papers[id.as_str()].cluster_id == **c)
            .count();
        let clustered = ids_before.values().filter(|c| c.is_some()).count();
        assert!(
            kept * 10 >= clustered * 8,
            "{kept} of {clustered} kept their cluster id"
        );
        // New clusters never take an old cluster's id unless they continue it.
        assert!(second.next_cluster_id >= first.next_cluster_id);

        assert!(
            store
                .set_cluster_label(crawl_id, seed_cluster, None)
                .await
                .expect("reset")
        );
        let reset = store.analysis(crawl_id).await.expect("read").expect("stored");
        let c = reset.cluster(seed_cluster).expect("cluster");
        assert_eq!(
            (c.label.as_str(), c.user_label.as_deref()),
            (c.computed_label.as_str(), None)
        );
        store.close().await;
    }
);

/// How a caller of [`refresh_by_node`] answers when the analysis asks for the texts.
#[derive(Clone, Copy)]
enum Answer {
    /// With the texts, as the analysis would read them.
    Texts,
    /// With no text for any paper.
    Empty,
    /// By dropping its end.
    GiveUp,
}

/// A fresh store holding the planted crawl, analysed once with the texts handed over as
/// `answer` says (and once more, unchanged, when they are not asked for): the analysis,
/// its time zeroed.
async fn analysed_handing_texts(backend: Backend, p: &Planted, answer: Answer) -> refnet::store::CrawlAnalysis {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _pg) = open(backend, dir.path()).await;
    let crawl_id = planted_store(&store, p, p.corpus.len()).await;
    let g = Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
    let mut analysis = None;
    let mut asked = Vec::new();
    for _ in 0..2 {
        let (from, wanted, give) = TextsFrom::caller();
        let answering = async {
            let wanted = wanted.await.ok();
            let mut texts = Texts::new(g.member_ids().len());
            if let Answer::Texts = answer {
                for (id, title, abstract_text) in store.paper_texts(g.member_ids()).await.expect("texts") {
                    texts.read_row(&g, &id, &title, abstract_text.as_deref());
                }
            }
            if wanted == Some(true) && !matches!(answer, Answer::GiveUp) {
                give.send(texts).expect("the analysis waits for them");
            }
            wanted
        };
        let pagerank: Arc<[f64]> = g.pagerank().into();
        let (refreshed, wanted) = tokio::join!(refresh_by_node(&store, crawl_id, &g, &pagerank, from), answering);
        analysis = Some(refreshed.expect("analysis").analysis);
        asked.push(wanted);
    }
    // The second refresh found the graph unchanged: it said so (rather than letting the
    // caller wait until it was done) and did not ask.
    assert_eq!(asked, [Some(true), Some(false)]);
    let mut analysis = analysis.expect("analysed");
    assert_eq!(analysis.runs, 1);
    analysis.analysed_at = 0;
    analysis
}

crate::both_backends!(
    texts_handed_over_by_the_caller_are_those_analysed_and_a_caller_that_gives_up_leaves_them_read,
    |backend| async move {
        let p = Planted::new(3, 30, 6, 0.85, 8);
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _pg) = open(backend, dir.path()).await;
        let crawl_id = planted_store(&store, &p, p.corpus.len()).await;
        let g = Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
        let mut read = refresh(&store, crawl_id, &g, &g.pagerank().into())
            .await
            .expect("analysis");
        read.analysed_at = 0;
        assert!(!read.clusters.is_empty() && read.clusters.iter().all(|c| !c.terms.is_empty()));

        let handed = analysed_handing_texts(backend, &p, Answer::Texts).await;
        assert_eq!(handed, read, "the texts handed over are the texts read");
        let left = analysed_handing_texts(backend, &p, Answer::GiveUp).await;
        assert_eq!(left, read, "a caller that gives up leaves them to be read");
        // Clusters labelled from no texts at all: the texts handed over are the ones used.
        let empty = analysed_handing_texts(backend, &p, Answer::Empty).await;
        assert!(
            empty.clusters.iter().all(|c| c.terms.is_empty()),
            "{:?}",
            empty.clusters
        );
        assert_eq!(empty.papers, read.papers);
    }
);

crate::both_backends!(
    a_changed_title_or_abstract_is_analysed_again_with_or_without_a_stored_text_hash,
    |backend| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _pg) = open(backend, dir.path()).await;
        let p = Planted::new(3, 30, 6, 0.85, 4);
        let crawl_id = planted_store(&store, &p, p.corpus.len()).await;
        // One analysis of the crawl as stored now: how many runs it has had.
        let runs = async || {
            let graph = Arc::new(CrawlGraph::load(&store, crawl_id).await.expect("graph"));
            refresh(&store, crawl_id, &graph, &graph.pagerank().into())
                .await
                .expect("analysis")
                .runs
        };
        // Rows stored before refnet kept text hashes have none (NULL): forget them all.
        let forget = async || execute(&store, "UPDATE papers SET text_hash = NULL".to_owned()).await;
        assert_eq!(runs().await, 1);

        // The same paper fetched again in the same second with another title: only the
        // text differs, and the analysis runs again.
        let i = (0..p.corpus.len()).find(|&i| i != p.seed).expect("a paper");
        let mut batch = p.corpus.stored_batch(i..i + 1);
        batch.papers[0].title = format!("{} revisited", batch.papers[0].title);
        store.record_batch(0, 0, &batch, 1_763_769_600).await.expect("store");
        assert_eq!(runs().await, 2, "a changed title is analysed again");
        assert_eq!(runs().await, 2);

        // Rows stored before hashes were (NULL) are hashed from their texts: the same
        // texts are the same fingerprint, a changed abstract is not.
        forget().await;
        assert_eq!(runs().await, 2, "the texts did not change");
        let mut batch = p.corpus.stored_batch(i..i + 1);
        batch.papers[0].title = format!("{} revisited", batch.papers[0].title);
        batch.papers[0].abstract_text = Some("Another abstract altogether.".to_owned());
        store.record_batch(0, 0, &batch, 1_763_769_600).await.expect("store");
        forget().await;
        assert_eq!(runs().await, 3, "a changed abstract is analysed again");
    }
);

crate::both_backends!(
    a_crawl_of_planted_communities_is_analysed_once_and_recovers_them,
    |backend| async move {
        let p = Planted::new(4, 40, 8, 0.9, 8);
        let seed = p.corpus.paper(p.seed).id.clone();
        let dup = p.corpus.paper(p.near_duplicate).id.clone();
        let planted = p.community_of();
        // The planted seed, and the first paper of each other community (cited by most of
        // it): a crawl of the whole field, not of one community and its edges.
        let mut seeds: Vec<PaperId> = vec![seed.parse().expect("id")];
        seeds.extend((1..4).map(|c| p.corpus.paper(c).id.parse().expect("id")));
        let app = TestApp::new(backend, p.corpus.clone()).await;
        let request = CrawlRequest {
            seeds,
            summarize: false,
            ..CrawlRequest::of(seed.parse().expect("id"), 2, Direction::Both)
        };
        let crawl = app.start(&request).await;
        app.drain(&run_prefix(crawl.crawl_id, crawl.run)).await;

        let a = app
            .ctx
            .store
            .analysis(crawl.crawl_id)
            .await
            .expect("read")
            .expect("render analysed the crawl");
        assert_eq!(a.runs, 1);
        assert_eq!(a.papers[&seed].similarity, 1.0);
        assert_eq!(
            &*a.similar[&seed][0].0,
            dup.as_str(),
            "the near-duplicate is the most similar paper"
        );
        let ids: Vec<&String> = a.papers.keys().collect();
        let truth: Vec<usize> = ids.iter().map(|id| planted[*id]).collect();
        let found: Vec<usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| a.papers[*id].cluster_id.map_or(10_000 + i, |c| c as usize))
            .collect();
        let ari = adjusted_rand_index(&truth, &found);
        assert!(
            ids.len() * 10 >= p.corpus.len() * 8,
            "{} of {} crawled",
            ids.len(),
            p.corpus.len()
        );
        assert!(ari >= 0.8, "ARI {ari:.3} over {} crawled papers", ids.len());
        let c = &a.clusters[0];
        assert_eq!(c.members.len() as i64, c.size);
        assert_eq!(c.top_paper.as_ref(), c.members.first());
        assert!(c.neighbours.iter().all(|n| a.cluster(*n).is_some()));
        assert!(!a.prior.is_empty());

        render_crawl(&app.ctx, crawl.crawl_id).await.expect("render again");
        let again = app
            .ctx
            .store
            .analysis(crawl.crawl_id)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(again.runs, 1, "an unchanged crawl's render does not analyse it again");
    }
);

crate::both_backends!(
    a_paper_reads_back_with_every_value_it_was_stored_with,
    |backend| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _pg) = open(backend, dir.path()).await;
        let full = PaperRecord {
            paper_id: refnet::testkit::fake_id("full"),
            corpus_id: Some(9_007_199_254_740_993),
            doi: Some("10.1/x\"y".to_owned()),
            arxiv: Some("1706.03762".to_owned()),
            external_ids: r#"{"DOI":"10.1/x\"y"}"#.to_owned(),
            title: "Quotes \" and \\ back, a\ttab,\na line, Ünïcödé — 中文 \u{1}".to_owned(),
            abstract_text: Some("An abstract with [[brackets]] and \u{7f}.".to_owned()),
            tldr: Some("Short.".to_owned()),
            venue: Some("NeurIPS".to_owned()),
            year: Some(2017),
            publication_date: Some("2017-06-12".to_owned()),
            journal: Some("J".to_owned()),
            journal_volume: Some("30".to_owned()),
            journal_pages: Some("1-11".to_owned()),
            citation_count: Some(100_000),
            reference_count: Some(40),
            influential_citation_count: Some(0),
            fields_of_study: vec!["Computer Science".to_owned()],
            publication_types: vec!["JournalArticle".to_owned()],
            pdf_url: Some("https://example.org/a.pdf".to_owned()),
            is_open_access: Some(true),
            references_truncated: true,
            citations_truncated: false,
            authors: Vec::new(),
        };
        let closed = PaperRecord {
            paper_id: refnet::testkit::fake_id("closed"),
            title: "Closed".to_owned(),
            external_ids: "{}".to_owned(),
            is_open_access: Some(false),
            citations_truncated: true,
            ..PaperRecord::default()
        };
        let bare = PaperRecord {
            paper_id: refnet::testkit::fake_id("bare"),
            external_ids: "{}".to_owned(),
            ..PaperRecord::default()
        };
        let batch = FetchedBatch {
            papers: vec![full.clone(), closed.clone(), bare.clone()],
            ..FetchedBatch::default()
        };
        store.record_batch(0, 0, &batch, 1_763_769_600).await.expect("store");

        let ids: Vec<String> = batch.papers.iter().map(|p| p.paper_id.clone()).collect();
        let read = store.papers(&ids).await.expect("read");
        let by_id: HashMap<&str, &StoredPaper> = read.iter().map(|p| (p.paper_id.as_str(), p)).collect();
        assert_eq!(by_id.len(), 3, "{read:?}");
        for stored in &batch.papers {
            let got = by_id[stored.paper_id.as_str()];
            let values = (
                (got.corpus_id, &got.doi, &got.arxiv, &got.external_ids, &got.title),
                (
                    &got.abstract_text,
                    &got.tldr,
                    &got.venue,
                    got.year,
                    &got.publication_date,
                ),
                (&got.journal, &got.journal_volume, &got.journal_pages),
                (got.citation_count, got.reference_count, got.influential_citation_count),
                (got.fields(), got.types(), &got.pdf_url),
                (got.is_open_access, got.references_truncated, got.citations_truncated),
            );
            let expected = (
                (
                    stored.corpus_id,
                    &stored.doi,
                    &stored.arxiv,
                    &stored.external_ids,
                    &stored.title,
                ),
                (
                    &stored.abstract_text,
                    &stored.tldr,
                    &stored.venue,
                    stored.year,
                    &stored.publication_date,
                ),
                (&stored.journal, &stored.journal_volume, &stored.journal_pages),
                (
                    stored.citation_count,
                    stored.reference_count,
                    stored.influential_citation_count,
                ),
                (
                    stored.fields_of_study.clone(),
                    stored.publication_types.clone(),
                    &stored.pdf_url,
                ),
                (
                    stored.is_open_access,
                    stored.references_truncated,
                    stored.citations_truncated,
                ),
            );
            assert_eq!(values, expected, "{}", stored.paper_id);
            assert_eq!(got.fetched_at, Some(1_763_769_600));
            let from_s2 = stored.abstract_text.as_ref().map(|_| "semantic_scholar");
            assert_eq!(got.abstract_source.as_deref(), from_s2);
            assert_eq!((&got.pdf_source, &got.venue_source), (&None, &None));
        }
        assert!(store.papers(&[]).await.expect("none").is_empty());
        store.close().await;
    }
);
