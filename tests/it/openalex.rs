//! OpenAlex as the second source: abstracts, PDFs and venues S2 lacks, batched look-ups
//! by DOI, the run's budget, and a crawl that never fails for OpenAlex.

use std::collections::BTreeMap;

use refnet::crawl::{self, CrawlError, CrawlRequest};
use refnet::ids::PaperId;
use refnet::settings::Settings;
use refnet::store::{CrawlStatus, Direction, now};
use refnet::testkit::{Corpus, FakeOpenAlex, FakeOptions, Mood};
use serde_json::Value;

use super::support::{Backend, TestApp, paper_notes_by_id};
use crate::both_backends;

/// A corpus whose papers with a DOI have no abstract on S2 (as for many publishers),
/// and the OpenAlex works for all of them but `unknown`.
fn field(unknown: usize) -> (Corpus, Vec<Value>) {
    let mut corpus = Corpus::synthetic(60, 3, 5);
    let mut works = Vec::new();
    for i in 0..corpus.len() {
        let Some(doi) = corpus.paper(i).doi.clone() else {
            continue;
        };
        let paper = corpus.paper_mut(i);
        paper.abstract_text = None;
        paper.tldr = None;
        if i != unknown {
            works.push(FakeOpenAlex::work(
                &format!("W{}", 1000 + i),
                &doi,
                Some(&format!("OpenAlex abstract of paper {i}: a study with a result.")),
                Some(&format!("https://oa.example.org/{i}.pdf")),
                Some("Journal of Tests"),
            ));
        }
    }
    (corpus, works)
}

fn on(fake: &FakeOpenAlex) -> impl FnOnce(&mut Settings) + use<> {
    let url = fake.url.clone();
    move |s: &mut Settings| {
        s.openalex.url = url::Url::parse(&url).expect("fake url");
        s.openalex.mailto = Some("tests@example.org".to_owned());
        s.openalex.rps = 100.0;
    }
}

/// Each paper note's frontmatter and text, by S2 id.
fn notes_by_id(app: &TestApp) -> BTreeMap<String, (serde_yaml::Mapping, String)> {
    paper_notes_by_id(&app.vault())
        .into_iter()
        .map(|(id, (_, fm, text))| (id, (fm, text)))
        .collect()
}

fn source(fm: &serde_yaml::Mapping) -> Option<&str> {
    fm.get("abstract_source").and_then(serde_yaml::Value::as_str)
}

both_backends!(
    abstracts_s2_lacks_come_from_openalex_in_batches_and_say_so,
    |backend: Backend| async move {
        let unknown = 57;
        let (corpus, works) = field(unknown);
        let seed = corpus.paper(59).id.clone();
        let fake = FakeOpenAlex::start(works, None).await;
        let app = TestApp::with(backend, corpus.clone(), FakeOptions::default(), on(&fake)).await;
        let crawl = app.crawl(&seed, 2, Direction::References, None).await;
        assert_eq!(crawl.status, CrawlStatus::Done);

        let notes = notes_by_id(&app);
        let mut filled = 0;
        for i in 0..corpus.len() {
            let p = corpus.paper(i);
            let Some((fm, text)) = notes.get(&p.id) else { continue };
            match (&p.doi, i == unknown) {
                (Some(_), false) => {
                    filled += 1;
                    assert_eq!(source(fm), Some("openalex"), "paper {i}");
                    assert!(
                        text.contains("> [!abstract]- Abstract (OpenAlex)"),
                        "paper {i}:\n{text}"
                    );
                    assert!(text.contains(&format!("OpenAlex abstract of paper {i}: a study with a result.")));
                    assert_eq!(
                        fm.get("pdf").and_then(serde_yaml::Value::as_str),
                        Some(format!("https://oa.example.org/{i}.pdf").as_str())
                    );
                }
                (Some(_), true) => assert_eq!(source(fm), None, "OpenAlex has no work for paper {i}"),
                (None, _) => assert_eq!(source(fm), Some("semantic_scholar"), "paper {i}"),
            }
        }
        assert!(filled >= 3, "the crawl reached papers with a DOI ({filled})");

        // Every request a batch of DOIs with only the fields read, and the contact address.
        let queries = fake.queries();
        assert!(!queries.is_empty());
        for q in &queries {
            let filter = q.get("filter").expect("filter");
            let values = filter.strip_prefix("doi:").expect("a DOI filter").split('|').count();
            assert!((1..=100).contains(&values), "{filter}");
            assert!(q.get("select").is_some_and(|s| s.contains("abstract_inverted_index")));
            assert_eq!(q.get("mailto").map(String::as_str), Some("tests@example.org"));
        }
        let counted = app
            .ctx
            .store
            .openalex_requests(crawl.crawl_id, crawl.run)
            .await
            .expect("usage");
        assert_eq!(usize::try_from(counted).expect("count"), fake.request_count());
        // One request per level at most here: each level's papers fit one filter.
        assert!(fake.request_count() <= 3, "{} requests", fake.request_count());

        // Run again: every paper was looked up since the fetch cutoff, found or not.
        let before = fake.request_count();
        let again = app.crawl(&seed, 2, Direction::References, None).await;
        assert_eq!(again.status, CrawlStatus::Done);
        assert_eq!(fake.request_count(), before, "no second look-up");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_openalex_off_no_request_is_made() {
    let (corpus, works) = field(usize::MAX);
    let seed = corpus.paper(59).id.clone();
    let fake = FakeOpenAlex::start(works, None).await;
    let url = fake.url.clone();
    let app = TestApp::with(Backend::Sqlite, corpus, FakeOptions::default(), move |s| {
        s.openalex.url = url::Url::parse(&url).expect("fake url");
    })
    .await;
    assert!(app.ctx.openalex.is_none());
    app.crawl(&seed, 1, Direction::References, None).await;
    assert_eq!(fake.request_count(), 0);
    assert!(notes_by_id(&app).values().all(|(fm, _)| source(fm) != Some("openalex")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_caps_requests_and_pages_are_followed_within_it() {
    let (corpus, works) = field(usize::MAX);
    let seed = corpus.paper(59).id.clone();

    // Pages of one work: every page is a request, followed until the list ends.
    let paged = FakeOpenAlex::start(works.clone(), None).await;
    paged.cap_pages(1);
    let app = TestApp::with(Backend::Sqlite, corpus.clone(), FakeOptions::default(), on(&paged)).await;
    app.crawl(&seed, 2, Direction::References, None).await;
    let with_doi = notes_by_id(&app)
        .values()
        .filter(|(fm, _)| fm.get("doi").and_then(serde_yaml::Value::as_str).is_some())
        .count();
    let filled = notes_by_id(&app)
        .values()
        .filter(|(fm, _)| source(fm) == Some("openalex"))
        .count();
    assert_eq!(filled, with_doi, "every page read");
    assert!(filled > 2, "a level with more works than a page ({filled})");
    assert!(paged.request_count() >= filled, "{} requests", paged.request_count());
    assert!(
        paged
            .queries()
            .iter()
            .skip(1)
            .any(|q| q.get("cursor").is_some_and(|c| c != "*"))
    );

    // A budget of one request: one page of two works, the rest keep S2's data.
    let capped = FakeOpenAlex::start(works, None).await;
    capped.cap_pages(2);
    let tweak = on(&capped);
    let app = TestApp::with(Backend::Sqlite, corpus, FakeOptions::default(), move |s| {
        tweak(s);
        s.openalex.max_requests_per_crawl = 1;
    })
    .await;
    let crawl = app.crawl(&seed, 2, Direction::References, None).await;
    assert_eq!(crawl.status, CrawlStatus::Done);
    assert_eq!(capped.request_count(), 1);
    let filled = notes_by_id(&app)
        .values()
        .filter(|(fm, _)| source(fm) == Some("openalex"))
        .count();
    assert!(filled <= 2, "{filled}");
}

/// A crawl with OpenAlex in `mood`: its status, the requests OpenAlex got, notes filled.
async fn crawl_with_openalex(mood: Mood, key: Option<&str>) -> (CrawlStatus, usize, usize) {
    let (corpus, works) = field(usize::MAX);
    let seed = corpus.paper(59).id.clone();
    let fake = FakeOpenAlex::start(works, key).await;
    fake.set_mood(mood);
    let tweak = on(&fake);
    let app = TestApp::with(Backend::Sqlite, corpus, FakeOptions::default(), move |s| {
        tweak(s);
        s.openalex.api_key = Some(refnet::secret::Secret::new("not-the-key"));
    })
    .await;
    let crawl = app.crawl(&seed, 1, Direction::References, None).await;
    let filled = notes_by_id(&app)
        .values()
        .filter(|(fm, _)| source(fm) == Some("openalex"))
        .count();
    (crawl.status, fake.request_count(), filled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openalex_failing_never_fails_the_crawl() {
    // The day's budget spent (429, no Retry-After): one request, then off.
    assert_eq!(
        crawl_with_openalex(Mood::BudgetSpent, None).await,
        (CrawlStatus::Done, 1, 0)
    );
    // A key OpenAlex refuses: one request, then off.
    assert_eq!(
        crawl_with_openalex(Mood::Fine, Some("the-key")).await,
        (CrawlStatus::Done, 1, 0)
    );
    // Down: the first request and its two retries, then off.
    assert_eq!(crawl_with_openalex(Mood::Down, None).await, (CrawlStatus::Done, 3, 0));
    // Two short 429s (Retry-After: 0) are waited out and the look-up succeeds.
    let (status, requests, filled) = crawl_with_openalex(Mood::Throttled(2), None).await;
    assert_eq!(status, CrawlStatus::Done);
    assert!(requests >= 3 && filled > 0, "{requests} requests, {filled} filled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openalex_work_id_seeds_a_crawl_when_openalex_is_on() {
    let (corpus, works) = field(usize::MAX);
    let target = corpus.paper(57);
    let work_id = "W1057";
    assert!(target.doi.is_some());
    let fake = FakeOpenAlex::start(works, None).await;
    let request = CrawlRequest {
        summarize: false,
        ..CrawlRequest::of(
            format!("https://openalex.org/{work_id}")
                .parse::<PaperId>()
                .expect("id"),
            1,
            Direction::References,
        )
    };
    let cutoff = now() - 3600;

    let app = TestApp::with(Backend::Sqlite, corpus.clone(), FakeOptions::default(), on(&fake)).await;
    let resolved = crawl::resolve_seeds(
        &app.ctx.s2,
        app.ctx.openalex.as_ref(),
        Some(&app.ctx.store),
        &request,
        cutoff,
        500,
    )
    .await
    .expect("resolved through OpenAlex");
    assert_eq!(resolved.ids().first().map(ToString::to_string), Some(target.id.clone()));

    let off = TestApp::new(Backend::Sqlite, corpus).await;
    let err = crawl::resolve_seeds(&off.ctx.s2, None, Some(&off.ctx.store), &request, cutoff, 500)
        .await
        .expect_err("S2 alone cannot");
    assert!(matches!(err, CrawlError::SeedNotInS2(_)), "{err}");
    assert!(err.to_string().contains("REFNET_OPENALEX_MAILTO"), "{err}");
}
