//! The crawl spine against a fake S2: batching, paging, truncation, budget, resume, and
//! the notes it renders — on SQLite and on Postgres. Just over 500 lines: one stage's
//! tests on one shared corpus builder.

use std::collections::{BTreeSet, HashMap, HashSet};

use refnet::crawl::{self, priority::priority};
use refnet::store::Direction;
use refnet::testkit::{Corpus, FakeOptions, FakePaper, Scripted, fake_id};

use super::support::{Backend, TestApp, body, frontmatter, graph, ignore_stored, wikilinks};
use crate::both_backends;

fn batch_calls(app: &TestApp) -> Vec<usize> {
    app.s2
        .requests()
        .iter()
        .filter(|r| r.route == "POST /paper/batch")
        .map(|r| r.ids.len())
        .collect()
}

both_backends!(
    depth_two_costs_one_batch_call_per_level,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(400, 8, 7);
        let seed = 399;
        let expected: BTreeSet<String> = corpus
            .reachable(seed, 2)
            .into_iter()
            .map(|i| corpus.paper(i).id.clone())
            .collect();
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl(&seed_id, 2, Direction::References, None).await;

        assert_eq!(crawl.status, refnet::store::CrawlStatus::Done);
        let (members, edges) = graph(&app.ctx.store, crawl.crawl_id).await;
        assert_eq!(members, expected);
        // Seed (resolving it brings its record), level 1, level 2: nothing else.
        assert_eq!(batch_calls(&app).len(), 3, "{:?}", app.s2.requests());
        assert_eq!(app.s2.request_count(), 3);
        let expected_edges: BTreeSet<(String, String)> = app.s2.with_corpus(|c| {
            (0..c.len())
                .flat_map(|i| {
                    c.paper(i)
                        .references
                        .iter()
                        .flatten()
                        .map(move |r| (i, *r))
                        .collect::<Vec<_>>()
                })
                .map(|(a, b)| (c.paper(a).id.clone(), c.paper(b).id.clone()))
                .filter(|(a, b)| members.contains(a) && members.contains(b))
                .collect()
        });
        assert_eq!(edges, expected_edges);
    }
);

both_backends!(
    small_batches_split_a_level_into_ceil_n_over_size_calls,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(300, 6, 3);
        let seed_id = corpus.paper(299).id.clone();
        let level2 = corpus.reachable(299, 2).len() - 1 - 6;
        let app = TestApp::with(backend, corpus, FakeOptions::default(), |s| s.s2.batch_size = 5).await;

        app.crawl(&seed_id, 2, Direction::References, None).await;

        let calls = batch_calls(&app);
        let expected = 1 + 6usize.div_ceil(5) + level2.div_ceil(5);
        assert_eq!(calls.len(), expected, "{calls:?}");
        assert!(calls.iter().all(|&n| n <= 5));
    }
);

both_backends!(
    a_second_run_makes_no_requests_and_writes_no_notes,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(200, 5, 11);
        let seed_arxiv = format!(
            "ARXIV:{}",
            corpus.paper(199).arxiv.clone().expect("odd papers have arXiv ids")
        );
        let app = TestApp::new(backend, corpus).await;

        let first = app.crawl(&seed_arxiv, 2, Direction::References, None).await;
        let written = app.ctx.counters.notes_written.get();
        assert!(written > 0);
        let notes_before = app.paper_notes();
        app.s2.clear_log();

        let second = app.crawl(&seed_arxiv, 2, Direction::References, None).await;

        assert_eq!(
            second.crawl_id, first.crawl_id,
            "the same parameters name the same crawl"
        );
        assert_eq!(second.run, first.run + 1);
        assert_eq!(app.s2.request_count(), 0, "{:?}", app.s2.requests());
        assert_eq!(app.ctx.counters.notes_written.get(), written, "no note rewritten");
        assert_eq!(app.paper_notes(), notes_before);
    }
);

both_backends!(
    the_budget_leaves_out_the_lowest_priority_papers_and_counts_them,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(500, 10, 5);
        let seed = 499;
        let reachable = corpus.reachable(seed, 2);
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;
        let max = 40u32;

        let crawl = app.crawl(&seed_id, 2, Direction::References, Some(max)).await;

        let stats = app.ctx.store.crawl_stats(crawl.crawl_id).await.expect("stats");
        assert_eq!(stats.members, i64::from(max));
        assert_eq!(stats.left_out, reachable.len() as i64 - i64::from(max));
        let members = app.ctx.store.members(crawl.crawl_id).await.expect("members");
        let admitted_min = members
            .iter()
            .filter(|m| m.depth == 2)
            .map(|m| m.priority)
            .min()
            .expect("some level 2");
        let member_ids: HashSet<String> = members.iter().map(|m| m.paper_id.clone()).collect();
        let left_out_max = app.s2.with_corpus(|c| {
            reachable
                .iter()
                .map(|&i| {
                    (
                        c.paper(i).id.clone(),
                        priority(Some(c.citation_count(i)), c.paper(i).year),
                    )
                })
                .filter(|(id, _)| !member_ids.contains(id))
                .map(|(_, p)| p)
                .max()
                .expect("some left out")
        });
        assert!(
            admitted_min >= left_out_max,
            "admitted {admitted_min} < left out {left_out_max}"
        );
        // Shallow levels come first: the seed and all of level 1 are in.
        assert_eq!(members.iter().filter(|m| m.depth <= 1).count(), 11);
    }
);

both_backends!(
    an_interrupted_level_resumes_to_the_same_papers_and_edges,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(300, 7, 21);
        let seed_id = corpus.paper(299).id.clone();
        let reference = TestApp::new(backend, corpus.clone()).await;
        let done = reference.crawl(&seed_id, 2, Direction::References, None).await;
        let expected = graph(&reference.ctx.store, done.crawl_id).await;

        let app = TestApp::with(backend, corpus, FakeOptions::default(), |s| {
            s.s2.batch_size = 4;
            s.s2.max_retries = 0;
        })
        .await;
        let crawl = app.begin(&seed_id, 2, Direction::References, None).await;
        assert_eq!(
            crawl::run_level(&app.ctx, crawl.crawl_id, crawl.run, 0, &mut ignore_stored())
                .await
                .expect("level 0"),
            crawl::LevelOutcome::Next(1)
        );
        assert_eq!(
            crawl::run_level(&app.ctx, crawl.crawl_id, crawl.run, 1, &mut ignore_stored())
                .await
                .expect("level 1"),
            crawl::LevelOutcome::Next(2)
        );
        // Level 2 dies after two of its batches (the API goes away mid-level).
        app.s2.script([
            Scripted::Pass,
            Scripted::Pass,
            Scripted::Status(503, serde_json::json!({"message": "down"})),
        ]);
        let err = crawl::run_level(&app.ctx, crawl.crawl_id, crawl.run, 2, &mut ignore_stored())
            .await
            .expect_err("API down");
        assert!(err.is_transient(), "{err}");
        let fetched_before = app.s2.requests().iter().filter(|r| r.status == 200).count();

        // Started again: a new run of the same crawl, through the queues.
        app.s2.clear_log();
        let again = app.crawl(&seed_id, 2, Direction::References, None).await;

        assert_eq!(again.crawl_id, crawl.crawl_id);
        assert_eq!(graph(&app.ctx.store, again.crawl_id).await, expected);
        let refetched: Vec<String> = app.s2.requests().iter().flat_map(|r| r.ids.clone()).collect();
        let unique: HashSet<&String> = refetched.iter().collect();
        assert_eq!(unique.len(), refetched.len(), "no paper fetched twice on resume");
        assert!(fetched_before >= 4, "the interrupted run had stored some batches");
        let level2_total = expected.0.len() - 1 - 7;
        assert_eq!(
            refetched.len(),
            level2_total - 2 * 4,
            "only what the interrupted level had not stored"
        );
    }
);

both_backends!(
    papers_s2_cannot_give_are_recorded_and_the_crawl_goes_on,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        let a = corpus.add("a", "Alpha", 2010, &[]);
        let lost = corpus.push(FakePaper {
            hidden: true,
            ..corpus_paper("lost", "Lost paper")
        });
        let broken = corpus.push(FakePaper {
            malformed: true,
            ..corpus_paper("broken", "Broken record")
        });
        let seed = corpus.add("seed", "Seed", 2020, &[a, lost, broken]);
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl(&seed_id, 1, Direction::References, None).await;

        assert_eq!(crawl.status, refnet::store::CrawlStatus::Done);
        let members = app.ctx.store.members(crawl.crawl_id).await.expect("members");
        let missing: HashMap<String, String> = members
            .iter()
            .filter_map(|m| Some((m.paper_id.clone(), m.missing.clone()?)))
            .collect();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing[&fake_id("lost")].contains("not found"));
        assert!(missing[&fake_id("broken")].contains("unreadable"));
        let notes = app.paper_notes();
        assert_eq!(notes.len(), 2, "seed and Alpha get notes; missing papers do not");
    }
);

fn corpus_paper(label: &str, title: &str) -> FakePaper {
    FakePaper {
        id: fake_id(label),
        corpus_id: 90_000 + label.len() as i64,
        title: title.to_owned(),
        year: Some(2001),
        ..FakePaper::default()
    }
}

both_backends!(
    lists_past_the_api_reach_are_paged_or_marked_truncated,
    |backend: Backend| async move {
        let mut corpus = Corpus::synthetic(1300, 0, 1);
        // A paper citing 1200 others: the nested list stops at 1000, and so does /references.
        let long_refs = corpus.push(FakePaper {
            references: (0..1200).map(Some).collect(),
            ..corpus_paper("long", "Long list")
        });
        // A paper whose nested references come back null: paged from /references.
        let mut paged = corpus_paper("paged", "Paged list");
        paged.references = (0..30).map(Some).collect();
        paged.null_nested_references = true;
        let paged = corpus.push(paged);
        let seed = corpus.add("seed", "Seed", 2021, &[long_refs, paged]);
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl(&seed_id, 1, Direction::References, None).await;

        let papers = app
            .ctx
            .store
            .papers(&[fake_id("long"), fake_id("paged")])
            .await
            .expect("papers");
        let by_id: HashMap<&str, _> = papers.iter().map(|p| (p.paper_id.as_str(), p)).collect();
        assert!(by_id[fake_id("long").as_str()].references_truncated);
        assert!(!by_id[fake_id("paged").as_str()].references_truncated);
        let pages: Vec<_> = app
            .s2
            .requests()
            .into_iter()
            .filter(|r| r.route.ends_with("/references"))
            .collect();
        assert_eq!(pages.len(), 1, "only the null list is paged: {pages:?}");
        assert!(pages[0].route.contains(&fake_id("paged")));
        let edges = app
            .ctx
            .store
            .edges_touching(&[fake_id("paged"), fake_id("long")])
            .await
            .expect("edges");
        assert_eq!(edges.iter().filter(|e| e.citing == fake_id("paged")).count(), 30);
        assert_eq!(edges.iter().filter(|e| e.citing == fake_id("long")).count(), 1000);
        assert_eq!(
            app.ctx
                .store
                .crawl_stats(crawl.crawl_id)
                .await
                .expect("stats")
                .truncated,
            1
        );
    }
);

both_backends!(
    citations_past_the_nested_cap_are_paged_up_to_the_ten_thousand_reach,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        let popular = corpus.add("popular", "Popular", 2000, &[]);
        let viral = corpus.add("viral", "Viral", 2001, &[]);
        for i in 0..2500 {
            corpus.add(&format!("c{i}"), &format!("Citer {i}"), 2010, &[popular]);
        }
        for i in 0..10_050 {
            corpus.add(&format!("v{i}"), &format!("Viral citer {i}"), 2012, &[viral]);
        }
        let app = TestApp::new(backend, corpus).await;

        app.crawl(&fake_id("popular"), 1, Direction::Citations, Some(1)).await;
        let pages: Vec<String> = app
            .s2
            .requests()
            .into_iter()
            .filter(|r| r.route.ends_with("/citations"))
            .map(|r| r.query)
            .collect();
        assert_eq!(pages.len(), 2, "nested 1000, then offsets 1000 and 2000: {pages:?}");
        assert!(pages[0].contains("offset=1000") && pages[1].contains("offset=2000"));
        let edges = app
            .ctx
            .store
            .edges_touching(&[fake_id("popular")])
            .await
            .expect("edges");
        assert_eq!(edges.len(), 2500);
        let popular_row = app.ctx.store.papers(&[fake_id("popular")]).await.expect("paper");
        assert!(!popular_row[0].citations_truncated);

        app.s2.clear_log();
        app.crawl(&fake_id("viral"), 1, Direction::Citations, Some(1)).await;
        let pages: Vec<String> = app
            .s2
            .requests()
            .into_iter()
            .filter(|r| r.route.ends_with("/citations"))
            .map(|r| r.query)
            .collect();
        assert_eq!(pages.len(), 9, "offsets 1000..9000: {pages:?}");
        assert!(
            pages.last().expect("pages").contains("limit=999"),
            "offset + limit stays below 10000"
        );
        let viral_row = app.ctx.store.papers(&[fake_id("viral")]).await.expect("paper");
        assert!(viral_row[0].citations_truncated);
        let edges = app.ctx.store.edges_touching(&[fake_id("viral")]).await.expect("edges");
        assert_eq!(edges.len(), 9_999);
        let _ = popular;
    }
);

both_backends!(
    every_paper_gets_a_note_whose_frontmatter_parses_and_links_resolve,
    |backend: Backend| async move {
        let mut corpus = Corpus::synthetic(150, 6, 9);
        // Two papers with the same title, and hostile titles.
        let twin_a = corpus.add("twin-a", "Deep Learning", 2015, &[]);
        let twin_b = corpus.add("twin-b", "deep learning", 2016, &[]);
        let hostile = corpus.add(
            "hostile",
            "CON: <% tp.file %> [[Link]] # 100%% \"quoted\"\nnew line",
            2019,
            &[],
        );
        let dotted = corpus.add("dotted", "../../etc/passwd", 2018, &[]);
        let seed = corpus.add("seed", "Seed", 2022, &[149, 148, twin_a, twin_b, hostile, dotted]);
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl(&seed_id, 2, Direction::References, None).await;

        let members = app.ctx.store.members(crawl.crawl_id).await.expect("members");
        let notes = app.paper_notes();
        assert_eq!(notes.len(), members.len());
        let names: HashSet<String> = notes.iter().map(|(n, _)| n.clone()).collect();
        let lower: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len(), "names unique case-insensitively");
        let all_notes: HashSet<String> = ["refnet/papers", "refnet/authors", "refnet/crawls", "refnet/clusters"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(app.vault().join(dir)).into_iter().flatten().flatten())
            .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".md").map(str::to_owned))
            .collect();
        let mut ids = HashSet::new();
        for (name, text) in &notes {
            let fm = frontmatter(text);
            let s2_id = fm.get("s2_id").and_then(|v| v.as_str()).expect("s2_id").to_owned();
            assert!(ids.insert(s2_id.clone()), "one note per paper");
            let title = fm.get("title").and_then(|v| v.as_str()).expect("title");
            let aliases = fm.get("aliases").and_then(|v| v.as_sequence()).expect("aliases");
            assert!(
                aliases.iter().any(|a| a.as_str() == Some(title)),
                "the full title is an alias of {name}"
            );
            for key in [
                "authors",
                "year",
                "venue",
                "s2_id",
                "citation_count",
                "reference_count",
                "tags",
            ] {
                assert!(fm.contains_key(key), "{key} missing in {name}");
            }
            for target in wikilinks(text) {
                assert!(
                    all_notes.contains(&target),
                    "{name} links to {target}, which has no note"
                );
            }
            assert!(!text.contains("<%"), "no Templater tag in {name}");
        }
        let hostile_note = notes
            .iter()
            .find(|(_, t)| t.contains(&fake_id("hostile")))
            .expect("hostile note");
        // One line, and no link: `[[`/`]]` shrink to single brackets in properties.
        assert_eq!(
            frontmatter(&hostile_note.1).get("title").and_then(|v| v.as_str()),
            Some("CON: <% tp.file %> [Link] # 100%% \"quoted\" new line")
        );
        assert!(!hostile_note.0.contains(['<', ':', '[', '#', '"', '\n']));
        assert!(names.iter().all(|n| !n.contains('/') && !n.starts_with('.')));
        // The seed links to its references that have notes.
        let seed_note = notes
            .iter()
            .find(|(_, t)| t.contains(&format!("s2_id: \"{seed_id}\"")))
            .expect("seed note");
        assert!(wikilinks(&seed_note.1).len() >= 6, "{}", seed_note.1);
    }
);

both_backends!(
    a_list_s2_will_not_page_is_marked_cut_and_the_crawl_finishes,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        let a = corpus.add("a", "Alpha", 2010, &[]);
        // S2 lists this paper but answers 404 when its references are paged.
        let b = corpus.push(FakePaper {
            references: vec![Some(a)],
            null_nested_references: true,
            unpageable: true,
            ..corpus_paper("b", "Beyond reach")
        });
        let seed = corpus.add("seed", "Seed", 2020, &[a, b]);
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl(&seed_id, 1, Direction::References, None).await;

        assert_eq!(crawl.status, refnet::store::CrawlStatus::Done);
        let paged: Vec<_> = app
            .s2
            .requests()
            .into_iter()
            .filter(|r| r.route.ends_with("/references"))
            .collect();
        assert_eq!(paged.len(), 1, "{paged:?}");
        let papers = app.ctx.store.papers(&[fake_id("b")]).await.expect("papers");
        assert!(
            papers[0].references_truncated,
            "the list it could not page is marked cut"
        );
        let stats = app.ctx.store.crawl_stats(crawl.crawl_id).await.expect("stats");
        assert_eq!(stats.truncated, 1);
        assert_eq!(app.paper_notes().len(), 3, "every paper still gets its note");
    }
);

both_backends!(
    references_s2_cannot_resolve_are_listed_in_the_note,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        let a = corpus.add("a", "Alpha", 2010, &[]);
        let seed = corpus.push(FakePaper {
            references: vec![Some(a), None],
            ..corpus_paper("seed", "Seed with an unknown reference")
        });
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        app.crawl(&seed_id, 1, Direction::References, None).await;

        let stored = app
            .ctx
            .store
            .unresolved_references(std::slice::from_ref(&seed_id))
            .await
            .expect("unresolved");
        assert_eq!(stored.get(&seed_id).map(Vec::len), Some(1), "{stored:?}");
        let notes = app.paper_notes();
        let (_, seed_note) = notes
            .iter()
            .find(|(_, text)| frontmatter(text)["s2_id"].as_str() == Some(seed_id.as_str()))
            .expect("the seed's note");
        let references = body(seed_note)
            .split("## References")
            .nth(1)
            .expect("a References section");
        assert!(references.contains("[[Alpha"), "{references}");
        assert!(
            references.contains("An unresolved reference · _not in Semantic Scholar_"),
            "{references}"
        );
    }
);
