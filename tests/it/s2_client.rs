//! The S2 client against the fake: retries with exact request counts, errors that never
//! retry, the key, splitting refused batches, and recorded API answers.

use std::sync::Arc;
use std::time::Duration;

use refnet::metrics::Counters;
use refnet::s2::{BatchItem, EdgeKind, S2Client, S2Error};
use refnet::secret::Secret;
use refnet::settings::Settings;
use refnet::testkit::{Corpus, FakeOptions, FakeS2, Scripted};
use serde_json::json;

use super::support::{shared_fixtures, test_settings};

fn client_for(url: &str, tweak: impl FnOnce(&mut Settings)) -> (S2Client, Arc<Counters>) {
    let dir = std::env::temp_dir();
    let mut s = test_settings(&dir, url, "sqlite://unused");
    s.s2.timeout = Duration::from_millis(500);
    tweak(&mut s);
    let counters = Arc::new(Counters::default());
    let client = S2Client::new(&s.s2, refnet::http::api_client().expect("client"), counters.clone());
    (client, counters)
}

fn ids(corpus: &Corpus, n: usize) -> Vec<String> {
    (0..n).map(|i| corpus.paper(i).id.clone()).collect()
}

#[tokio::test]
async fn two_429s_then_success_costs_exactly_three_requests() {
    let corpus = Corpus::synthetic(5, 1, 1);
    let want = ids(&corpus, 5);
    let fake = FakeS2::start(corpus).await;
    let (client, counters) = client_for(&fake.url, |_| {});
    let throttled = json!({"message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits.", "code": "429"});
    fake.script([
        Scripted::Status(429, throttled.clone()),
        Scripted::Status(429, throttled),
    ]);

    let items = client
        .batch(&want, "paperId,title")
        .await
        .expect("succeeds on the third try");

    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| matches!(i, BatchItem::Found(_))));
    assert_eq!(fake.request_count(), 3);
    assert_eq!(counters.s2_requests.get(), 3);
    assert_eq!(counters.s2_throttled.get(), 2);
}

#[tokio::test]
async fn a_5xx_storm_gives_up_after_the_retries_with_a_clear_error() {
    let corpus = Corpus::synthetic(2, 0, 1);
    let want = ids(&corpus, 2);
    let fake = FakeS2::start(corpus).await;
    let (client, _) = client_for(&fake.url, |s| s.s2.max_retries = 2);
    fake.script((0..3).map(|_| Scripted::Status(504, json!({"message": "Endpoint request timed out"}))));

    let err = client.batch(&want, "title").await.expect_err("gives up");

    assert_eq!(fake.request_count(), 3, "one try and two retries");
    assert!(
        matches!(
            err,
            S2Error::Server {
                status: 504,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Endpoint request timed out"));
    assert!(err.is_transient());
}

#[tokio::test]
async fn bad_requests_and_not_found_are_never_retried() {
    let corpus = Corpus::synthetic(2, 0, 1);
    let want = ids(&corpus, 1);
    let fake = FakeS2::start(corpus).await;
    let (client, _) = client_for(&fake.url, |_| {});

    let err = client.batch(&want, "title,unknown").await.expect_err("unknown field");
    assert!(matches!(err, S2Error::BadRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("unknown"), "{err}");
    assert_eq!(fake.request_count(), 1, "a field error is neither retried nor split");

    let err = client
        .edges(&"f".repeat(40), EdgeKind::References, 0)
        .await
        .expect_err("no such paper");
    assert!(matches!(err, S2Error::NotFound(_)), "{err:?}");
    assert_eq!(fake.request_count(), 2);
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_refused_key_is_named_and_never_printed() {
    let corpus = Corpus::synthetic(1, 0, 1);
    let want = ids(&corpus, 1);
    let fake = FakeS2::start_with(
        corpus,
        FakeOptions {
            api_key: Some("the-right-key".to_owned()),
            ..FakeOptions::default()
        },
    )
    .await;
    let (client, _) = client_for(&fake.url, |s| s.s2.api_key = Some(Secret::new("sk-wrong-secret-123")));

    let err = client.batch(&want, "title").await.expect_err("refused");

    assert!(err.to_string().contains("the S2 API key was refused"), "{err}");
    for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains("sk-wrong-secret-123"), "secret leaked: {shown}");
    }
    assert_eq!(fake.request_count(), 1);

    let (good, _) = client_for(&fake.url, |s| s.s2.api_key = Some(Secret::new("the-right-key")));
    assert!(good.batch(&want, "title").await.is_ok());
}

#[tokio::test]
async fn timeouts_are_retried_and_retry_after_is_honoured() {
    let corpus = Corpus::synthetic(1, 0, 1);
    let want = ids(&corpus, 1);
    let fake = FakeS2::start(corpus).await;
    let (client, counters) = client_for(&fake.url, |_| {});
    fake.script([Scripted::Delay(Duration::from_secs(2)), Scripted::RetryAfter(1)]);

    let started = std::time::Instant::now();
    client.batch(&want, "title").await.expect("third attempt answers");

    assert_eq!(fake.request_count(), 3);
    assert_eq!(counters.s2_failures.get(), 1, "the timeout");
    assert_eq!(counters.s2_throttled.get(), 1);
    // The only wait long enough to notice is the one Retry-After asked for.
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn an_unreachable_api_fails_with_the_url_to_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener); // nothing listens there now
    let url = format!("http://127.0.0.1:{port}/graph/v1");
    let (client, counters) = client_for(&url, |s| s.s2.max_retries = 2);

    let err = client.batch(&["a".repeat(40)], "title").await.expect_err("unreachable");

    assert!(matches!(err, S2Error::Unreachable { attempts: 3, .. }), "{err:?}");
    assert!(
        err.to_string().contains(&url) && err.to_string().contains("REFNET_S2_URL"),
        "{err}"
    );
    assert_eq!(counters.s2_requests.get(), 3);
}

#[tokio::test]
async fn batches_over_the_size_cap_are_split_until_they_fit() {
    let corpus = Corpus::synthetic(16, 3, 2);
    let want = ids(&corpus, 16);
    // Measure the records as the fake sends them, then cap answers at four records.
    let open = FakeS2::start(corpus.clone()).await;
    let sizes: Vec<usize> = reqwest::Client::new()
        .post(format!("{}/paper/batch?fields=paperId,title,abstract", open.url))
        .json(&json!({"ids": want}))
        .send()
        .await
        .expect("send")
        .json::<Vec<serde_json::Value>>()
        .await
        .expect("json")
        .iter()
        .map(|v| serde_json::to_vec(v).expect("json").len())
        .collect();
    let cap = 4 * sizes.iter().max().expect("sizes") + 8;
    assert!(
        8 * sizes.iter().min().expect("sizes") > cap,
        "eight records must not fit"
    );
    let fake = FakeS2::start_with(
        corpus,
        FakeOptions {
            max_response_bytes: cap,
            ..FakeOptions::default()
        },
    )
    .await;
    let (client, _) = client_for(&fake.url, |_| {});

    let items = client
        .batch(&want, "paperId,title,abstract")
        .await
        .expect("split until it fits");

    assert_eq!(items.len(), 16);
    for (item, id) in items.iter().zip(&want) {
        match item {
            BatchItem::Found(p) => assert_eq!(p.paper_id.as_ref(), Some(id), "order is kept"),
            other => panic!("{other:?}"),
        }
    }
    let log = fake.requests();
    // 16 refused, 8 refused, 4 + 4 fit, 8 refused, 4 + 4 fit.
    let sizes: Vec<(usize, u16)> = log.iter().map(|r| (r.ids.len(), r.status)).collect();
    assert_eq!(
        sizes,
        vec![(16, 400), (8, 400), (4, 200), (4, 200), (8, 400), (4, 200), (4, 200)]
    );
}

/// Answers recorded from the live API (../shared/fixtures/s2), served by the fake.
mod recorded {
    use super::*;

    fn cassette(name: &str) -> Option<Vec<(u16, serde_json::Value)>> {
        let dir = shared_fixtures("s2/tests/data")?;
        let text = std::fs::read_to_string(dir.join(name)).expect("read cassette");
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("cassette yaml");
        let interactions = doc.get("interactions")?.as_sequence()?.clone();
        Some(
            interactions
                .iter()
                .map(|i| {
                    let status = i["response"]["status"]["code"].as_u64().unwrap_or(0) as u16;
                    let body = i["response"]["body"]["string"].as_str().unwrap_or("null");
                    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn a_recorded_batch_with_an_unknown_id_gives_null_for_that_id() {
        let Some(answers) = cassette("test_get_papers_return_not_found.yaml") else {
            return;
        };
        let (status, body) = answers[0].clone();
        assert_eq!(status, 200);
        let n = body.as_array().expect("list").len();
        let fake = FakeS2::start(Corpus::new()).await;
        fake.script([Scripted::Status(200, body.clone())]);
        let (client, _) = client_for(&fake.url, |_| {});
        let asked: Vec<String> = (0..n).map(|i| format!("CorpusId:{i}")).collect();

        let items = client.batch(&asked, "title").await.expect("parses");

        let missing = items.iter().filter(|i| matches!(i, BatchItem::Missing)).count();
        let found = items.iter().filter(|i| matches!(i, BatchItem::Found(_))).count();
        assert_eq!(
            missing,
            body.as_array().expect("list").iter().filter(|v| v.is_null()).count()
        );
        assert_eq!(found + missing, n);
        assert!(missing >= 1);
    }

    #[tokio::test]
    async fn recorded_reference_pages_are_followed_until_next_is_absent() {
        let Some(answers) = cassette("test_get_paper_references.yaml") else {
            return;
        };
        let fake = FakeS2::start(Corpus::new()).await;
        let expected: usize = answers
            .iter()
            .map(|(_, b)| b["data"].as_array().map_or(0, Vec::len))
            .sum();
        let unresolved: usize = answers
            .iter()
            .flat_map(|(_, b)| b["data"].as_array().cloned().unwrap_or_default())
            .filter(|d| d["citedPaper"]["paperId"].is_null())
            .count();
        fake.script(answers.into_iter().map(|(s, b)| Scripted::Status(s, b)));
        let (client, _) = client_for(&fake.url, |_| {});

        let list = client
            .edges(&"a".repeat(40), EdgeKind::References, 0)
            .await
            .expect("pages");

        assert_eq!(fake.request_count(), 2);
        assert_eq!(list.edges.len(), expected);
        assert_eq!(
            list.edges.iter().filter(|e| e.paper.paper_id.is_none()).count(),
            unresolved
        );
        assert!(!list.truncated);
    }

    #[tokio::test]
    async fn recorded_error_bodies_become_clear_errors() {
        let Some(forbidden) = cassette("test_debug.yaml") else {
            return;
        };
        let Some(not_found) = cassette("test_not_found.yaml") else {
            return;
        };
        let fake = FakeS2::start(Corpus::new()).await;
        fake.script([
            Scripted::Status(forbidden[0].0, forbidden[0].1.clone()),
            Scripted::Status(not_found[0].0, not_found[0].1.clone()),
        ]);
        let (client, _) = client_for(&fake.url, |s| s.s2.api_key = Some(Secret::new("fake-key")));

        let err = client.batch(&["x".repeat(40)], "title").await.expect_err("403");
        assert!(matches!(err, S2Error::KeyRefused(ref m) if m == "Forbidden"), "{err:?}");
        let err = client
            .edges(&"x".repeat(40), EdgeKind::Citations, 0)
            .await
            .expect_err("404");
        assert!(matches!(err, S2Error::NotFound(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_full_recorded_paper_with_null_references_stores_its_resolved_edges() {
        let Some(dir) = shared_fixtures("s2/tests/data") else {
            return;
        };
        let body: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("Paper.json")).expect("read")).expect("json");
        let paper: refnet::s2::model::Paper = serde_json::from_value(body.clone()).expect("the full record parses");
        let record = refnet::crawl::to_record(&paper);
        assert_eq!(record.title, "Computing Machinery and Intelligence");
        assert!(record.authors.iter().any(|(_, n)| n.contains("Turing")));
        let refs = paper.references.expect("references");
        let resolved = refs.iter().filter(|r| r.paper_id.is_some()).count();
        assert_eq!(
            refs.len() - resolved,
            6,
            "SOURCES.md: 6 of 14 references are unresolved"
        );
        let nulls = serde_json::from_str::<refnet::s2::model::Paper>(
            &std::fs::read_to_string(dir.join("PaperWithNullValues.json")).expect("read"),
        )
        .expect("a record with null lists parses");
        assert!(nulls.references.is_none() && nulls.authors.is_none());
    }
}
