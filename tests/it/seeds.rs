//! Several seeds in one crawl, seeds from a library file, seeds S2 does not know.

use std::collections::BTreeMap;

use refnet::crawl::{self, CrawlError, CrawlRequest};
use refnet::ids::PaperId;
use refnet::store::{Direction, now};
use refnet::testkit::{Corpus, FakeS2};

use super::support::{Backend, TestApp, frontmatter, markdown};
use crate::both_backends;

/// Member → level of a finished crawl.
async fn levels(app: &TestApp, crawl_id: i64) -> BTreeMap<String, i64> {
    app.ctx
        .store
        .members(crawl_id)
        .await
        .expect("members")
        .into_iter()
        .map(|m| (m.paper_id, m.depth))
        .collect()
}

fn request(seeds: &[&str], depth: u32) -> CrawlRequest {
    CrawlRequest {
        seeds: seeds.iter().map(|s| s.parse::<PaperId>().expect("id")).collect(),
        summarize: false,
        ..CrawlRequest::of(seeds[0].parse().expect("id"), depth, Direction::References)
    }
}

both_backends!(
    several_seeds_crawl_the_union_of_their_closures_with_levels_from_the_nearest,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(300, 4, 17);
        let seeds: Vec<String> = [299, 250, 180].iter().map(|&i| corpus.paper(i).id.clone()).collect();
        let seed_refs: Vec<&str> = seeds.iter().map(String::as_str).collect();

        // Each seed alone, each in a store of its own: the requests they cost, the levels.
        let mut expected: BTreeMap<String, i64> = BTreeMap::new();
        let mut single_requests = 0;
        for seed in &seeds {
            let alone = TestApp::new(backend, corpus.clone()).await;
            let crawl = alone.crawl(seed, 2, Direction::References, None).await;
            single_requests += alone.s2.request_count();
            for (paper, depth) in levels(&alone, crawl.crawl_id).await {
                let level = expected.entry(paper).or_insert(depth);
                *level = (*level).min(depth);
            }
        }

        let app = TestApp::new(backend, corpus).await;
        let started = app.start(&request(&seed_refs, 2)).await;
        app.drain(&refnet::queue::run_prefix(started.crawl_id, started.run))
            .await;
        let together = levels(&app, started.crawl_id).await;
        assert_eq!(
            together, expected,
            "the union of the closures, levels from the nearest seed"
        );
        let crawl = app
            .ctx
            .store
            .crawl(started.crawl_id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(crawl.seeds.len(), 3);
        assert_eq!(crawl.seeds[0].as_str(), seeds[0], "seeds keep their order");
        assert!(
            app.s2.request_count() < single_requests,
            "one crawl of three seeds shares its batches: {} requests against {single_requests}",
            app.s2.request_count()
        );

        // The same seeds in another order name the same crawl.
        let mut reversed = seed_refs.clone();
        reversed.reverse();
        let again = app.start(&request(&reversed, 2)).await;
        assert_eq!(again.crawl_id, started.crawl_id);
    }
);

#[tokio::test]
async fn seeds_s2_does_not_know_are_left_out_and_none_known_is_an_error() {
    let corpus = Corpus::synthetic(30, 2, 4);
    let known = corpus.paper(29).id.clone();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let cutoff = crawl::fresh_cutoff_at(now(), &app.ctx.settings);

    let some = request(&[&known, "ARXIV:9999.99999"], 1);
    let resolved = crawl::resolve_seeds(
        &app.ctx.s2,
        app.ctx.openalex.as_ref(),
        Some(&app.ctx.store),
        &some,
        cutoff,
        500,
    )
    .await
    .expect("one seed is enough");
    assert_eq!(resolved.found.len(), 1);
    assert_eq!(resolved.missing.len(), 1);
    assert!(resolved.missing[0].0.contains("9999.99999"), "{:?}", resolved.missing);

    let none = request(&["ARXIV:9999.99999", "ARXIV:9999.99998"], 1);
    let err = crawl::resolve_seeds(
        &app.ctx.s2,
        app.ctx.openalex.as_ref(),
        Some(&app.ctx.store),
        &none,
        cutoff,
        500,
    )
    .await
    .expect_err("no seed is known");
    assert!(
        matches!(err, CrawlError::SeedNotFound(ref ids) if ids.len() == 2),
        "{err}"
    );
    assert!(err.to_string().contains("none of the seeds"), "{err}");
}

/// The binary, run on a fake S2 with a clean environment.
async fn refnet(dir: &std::path::Path, fake: &FakeS2, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_S2_URL", &fake.url)
        .env("REFNET_S2_RPS", "1000")
        .env("REFNET_S2_RETRIES", "1")
        .current_dir(dir)
        .args(args)
        .output()
        .await
        .expect("run refnet")
}

#[tokio::test]
async fn the_command_line_takes_several_ids_and_a_library_file() {
    let corpus = Corpus::synthetic(60, 3, 8);
    // Papers with DOIs (every third) and arXiv ids (odd ones) in a Zotero-style export.
    let (a, b) = (corpus.paper(57).clone(), corpus.paper(59).clone());
    let doi = a.doi.clone().expect("a DOI");
    let arxiv = b.arxiv.clone().expect("an arXiv id");
    let fake = FakeS2::start(corpus.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bib = format!(
        "@article{{first2020,\n  title = {{{}}},\n  doi = {{{doi}}},\n}}\n\n\
         @misc{{second2021,\n  title = {{{}}},\n  eprint = {{{arxiv}}},\n  archiveprefix = {{arXiv}},\n}}\n\n\
         @book{{nothing2019,\n  title = {{A Book Without Any Identifier}},\n}}\n",
        a.title, b.title
    );
    std::fs::write(dir.path().join("library.bib"), bib).expect("write the library");

    let out = refnet(
        dir.path(),
        &fake,
        &["crawl", "--from", "library.bib", "--depth", "1", "--no-summarize"],
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("nothing2019"), "the entry without an id is named: {err}");
    let notes = markdown(&dir.path().join("vault/refnet/papers"));
    let in_library: Vec<String> = notes
        .iter()
        .map(|(_, t)| frontmatter(t))
        .filter(|fm| fm.get("in_library").and_then(serde_yaml::Value::as_bool) == Some(true))
        .filter_map(|fm| fm.get("title").and_then(|v| v.as_str()).map(str::to_owned))
        .collect();
    let mut expected = vec![a.title.clone(), b.title.clone()];
    expected.sort();
    let mut found = in_library.clone();
    found.sort();
    assert_eq!(found, expected, "the library's papers are marked");
    assert!(notes.len() > 2, "their references were crawled too");

    // Several ids on the command line, one of them unknown: the others are crawled.
    let c = corpus.paper(40).id.clone();
    let out = refnet(
        dir.path(),
        &fake,
        &["crawl", &c, "ARXIV:9999.99999", "--depth", "1", "--no-summarize"],
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("9999.99999"), "the missing seed is named: {err}");

    // Not a library: exit 2 naming the file, nothing fetched.
    std::fs::write(dir.path().join("notes.txt"), "just some text\nand more\n").expect("write");
    let before = fake.request_count();
    let out = refnet(dir.path(), &fake, &["crawl", "--from", "notes.txt"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert_eq!(fake.request_count(), before);

    // No seed at all: exit 2 saying what to give.
    let out = refnet(dir.path(), &fake, &["crawl"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}
