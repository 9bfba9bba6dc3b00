//! The summarize stage against a fake PDF host and a fake LLM, all on 127.0.0.1: sources,
//! the cache, every LLM failure mode, SSRF refusals (counted as connections never made),
//! and the fixture PDFs that are broken on purpose. One file over 500 lines: every test
//! stands on the same fake PDF host, fake LLM and seed set up here.

use std::time::Duration;

use refnet::metrics::LlmError;
use refnet::settings::Settings;
use refnet::store::Direction;
use refnet::summarize::fetch::{FetchError, PdfFetcher};
use refnet::summarize::{Outcome, summarize_paper};
use refnet::testkit::pdf::{image_pdf, text_pdf};
use refnet::testkit::{Corpus, FakeLlm, FakeWeb, LlmOptions, Route};
use serde_json::json;

use super::support::{Backend, TestApp, frontmatter, shared_fixtures};
use crate::both_backends;

fn small() -> (Corpus, String) {
    let corpus = Corpus::synthetic(40, 4, 77);
    let seed = corpus.paper(39).id.clone();
    (corpus, seed)
}

fn note_of(app: &TestApp, paper_id: &str) -> String {
    app.paper_notes()
        .into_iter()
        .map(|(_, text)| text)
        .find(|t| t.contains(&format!("s2_id: \"{paper_id}\"")))
        .expect("the paper has a note")
}

fn paper_text() -> String {
    let mut text = String::from(
        "Abstract. Training large language models is costly and hard to reproduce. We propose Quill, a method \
         based on sparse adapters that cuts training cost. Experiments show that Quill improves accuracy by 4% \
         over dense baselines. However, Quill does not handle multilingual data, which we leave to future work.\n\n",
    );
    for i in 0..60 {
        text.push_str(&format!(
            "Section {i}. The adapters are trained on shard {i} with a learning rate schedule that warms up slowly. \
             We report results on the held out set after every epoch and compare them with the baseline.\n\n"
        ));
    }
    text
}

both_backends!(
    a_crawl_fills_summary_regions_extractively_when_no_llm_is_configured,
    |backend: Backend| async move {
        let (corpus, seed) = small();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl_with(&seed, 1, Direction::References, None, true).await;

        let members = app.ctx.store.members(crawl.crawl_id).await.expect("members");
        for m in &members {
            let note = note_of(&app, &m.paper_id);
            assert!(!note.contains("_No summary yet._"), "{note}");
            assert!(note.contains("**Method.** We propose method"), "{note}");
            assert!(
                note.contains("_Summarized from the abstract by refnet-extractive"),
                "{note}"
            );
            assert_eq!(
                frontmatter(&note).get("summary_source").and_then(|v| v.as_str()),
                Some("abstract")
            );
        }
        assert_eq!(app.ctx.counters.summaries_written.get(), members.len() as u64);
    }
);

both_backends!(
    a_configured_llm_summarizes_each_paper_once_and_a_rerun_calls_it_never,
    |backend: Backend| async move {
        let (corpus, seed) = small();
        let llm = FakeLlm::start(LlmOptions {
            key: Some("sk-test".to_owned()),
            ..LlmOptions::default()
        })
        .await;
        let app = TestApp::with(backend, corpus, Default::default(), |s| configure_llm(s, &llm.url)).await;

        let crawl = app.crawl_with(&seed, 1, Direction::References, None, true).await;
        let members = app.ctx.store.members(crawl.crawl_id).await.expect("members").len();
        assert_eq!(llm.answered(), members, "{:?}", llm.calls());
        assert!(llm.calls().iter().all(|c| c.model == "fake-model"));
        assert!(note_of(&app, &seed).contains("> In short:"));

        app.refetch(crawl.crawl_id).await;
        let run = app
            .ctx
            .store
            .crawl(crawl.crawl_id)
            .await
            .expect("crawl")
            .expect("exists")
            .run;
        app.crawl_with(&seed, 1, Direction::References, None, true).await;
        assert!(run >= 2);
        assert_eq!(llm.calls().len(), members, "the cache answers the same inputs");
    }
);

fn configure_llm(s: &mut Settings, url: &str) {
    s.llm.url = Some(url::Url::parse(url).expect("url"));
    s.llm.model = Some("fake-model".to_owned());
    s.llm.api_key = Some(refnet::secret::Secret::new("sk-test"));
    s.llm.requests_per_minute = 6000;
    s.llm.max_retries = 3;
}

async fn one_paper_app(llm: &FakeLlm, options: impl FnOnce(&mut Settings)) -> (TestApp, String) {
    let (corpus, seed) = small();
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        configure_llm(s, &llm.url);
        options(s);
    })
    .await;
    app.begin(&seed, 0, Direction::References, None).await;
    (app, seed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_and_failing_llm_calls_are_retried_then_succeed() {
    let llm = FakeLlm::start(LlmOptions::default()).await;
    let (app, seed) = one_paper_app(&llm, |_| {}).await;
    llm.script([
        (
            429,
            json!({"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}),
        ),
        (500, json!({"error": {"message": "overloaded"}})),
        (503, json!({"error": {"message": "overloaded"}})),
    ]);

    let outcome = summarize_paper(app.ctx.summarize_deps(), &seed, false)
        .await
        .expect("summarized");

    assert_eq!(outcome, Outcome::Written("abstract"));
    assert_eq!(llm.calls().len(), 4);
    let counters = &app.ctx.counters;
    assert_eq!(counters.llm_throttled.get(), 1);
    assert_eq!(counters.llm_errors(LlmError::Throttled).get(), 1);
    assert_eq!(counters.llm_errors(LlmError::Server).get(), 2);
    assert_eq!(counters.llm_errors(LlmError::Timeout).get(), 0);
    // The fake's `usage`: a token per four characters of prompt, 100 for the answer.
    let answered: Vec<_> = llm.calls().into_iter().filter(|c| c.status == 200).collect();
    assert_eq!(answered.len(), 1);
    assert_eq!(counters.llm_prompt_tokens.get(), (answered[0].prompt_chars / 4) as u64);
    assert_eq!(counters.llm_completion_tokens.get(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_llm_that_does_not_answer_in_time_counts_timeouts_and_no_tokens() {
    let llm = FakeLlm::start(LlmOptions {
        latency: Duration::from_secs(5),
        ..LlmOptions::default()
    })
    .await;
    let (app, seed) = one_paper_app(&llm, |s| {
        s.llm.timeout = Duration::from_millis(200);
        s.llm.max_retries = 1;
    })
    .await;

    let _ = summarize_paper(app.ctx.summarize_deps(), &seed, false).await;

    let counters = &app.ctx.counters;
    assert_eq!(counters.llm_calls.get(), 2);
    assert_eq!(counters.llm_errors(LlmError::Timeout).get(), 2);
    assert_eq!(counters.llm_errors(LlmError::Transport).get(), 0);
    assert_eq!(counters.llm_prompt_tokens.get(), 0);
    assert_eq!(counters.llm_completion_tokens.get(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_429_is_honoured() {
    let llm = FakeLlm::start(LlmOptions {
        rpm_limit: Some(1),
        window: Duration::from_secs(2),
        ..LlmOptions::default()
    })
    .await;
    let (app, seed) = one_paper_app(&llm, |_| {}).await;
    summarize_paper(app.ctx.summarize_deps(), &seed, false)
        .await
        .expect("the first call fits the limit");
    let other = app.s2.with_corpus(|c| c.paper(38).id.clone());
    app.begin(&other, 0, Direction::References, None).await;

    summarize_paper(app.ctx.summarize_deps(), &other, false)
        .await
        .expect("the retry after the wait succeeds");

    let calls = llm.calls();
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![200, 429, 200]);
    // The fake asked for the rest of its 2 s window; the client waited that long, not
    // its own (much shorter) backoff.
    assert!(
        calls[2].at.checked_sub(calls[1].at).unwrap() >= Duration::from_millis(900),
        "{calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_pauses_summaries_with_one_clear_error_and_no_more_calls() {
    let llm = FakeLlm::start(LlmOptions {
        key: Some("the-real-key".to_owned()),
        ..LlmOptions::default()
    })
    .await;
    let (corpus, seed) = small();
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        configure_llm(s, &llm.url);
    })
    .await;

    let crawl = app.crawl_with(&seed, 1, Direction::References, None, true).await;

    // Calls already in flight when the first 401 came back (one per summarize job running
    // at once) are refused too; after that the stage is paused and calls nothing.
    let refused = llm.calls().len();
    assert!((1..=2).contains(&refused), "{:?}", llm.calls());
    assert!(llm.calls().iter().all(|c| c.status == 401));
    assert_eq!(
        app.ctx.counters.llm_errors(LlmError::Client).get(),
        refused as u64,
        "every refusal is counted as a 4xx"
    );
    assert_eq!(crawl.status, refnet::store::CrawlStatus::Done, "the crawl goes on");
    let notes = app.paper_notes();
    let members = app.ctx.store.members(crawl.crawl_id).await.expect("members").len();
    assert_eq!(notes.len(), members, "the notes are rendered without summaries");
    assert!(notes.iter().all(|(_, t)| t.contains("_No summary yet._")));
    let err = summarize_paper(app.ctx.summarize_deps(), &seed, true)
        .await
        .expect_err("paused");
    assert!(err.to_string().contains("REFNET_LLM_API_KEY"), "{err}");
    assert!(!err.to_string().contains("sk-test"), "the key is never shown");
    assert_eq!(llm.calls().len(), refused);
}

/// Gives the fake S2's record of `seed` an open-access PDF at `url`.
fn give_pdf(app: &TestApp, seed: &str, url: &str) {
    app.s2.with_corpus(|c| {
        let idx = c.resolve(seed).expect("seed");
        c.paper_mut(idx).pdf_url = Some(url.to_owned());
    });
}

/// A started seed whose open-access PDF holds the long test text, summarized through
/// `llm` with `context_tokens` configured: the app, the seed, and the PDF's host (kept
/// alive by the caller).
async fn long_pdf_paper(llm: &FakeLlm, context_tokens: usize) -> (TestApp, String, FakeWeb) {
    let web = FakeWeb::start().await;
    let pdf_url = web.pdf("paper.pdf", text_pdf(&paper_text()));
    let (corpus, seed) = small();
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        configure_llm(s, &llm.url);
        s.llm.context_tokens = context_tokens;
        s.pdf.allow_hosts = vec![web.host.clone()];
    })
    .await;
    give_pdf(&app, &seed, &pdf_url);
    app.begin(&seed, 0, Direction::References, None).await;
    (app, seed, web)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_too_small_makes_smaller_chunks_and_every_prompt_fits() {
    let llm = FakeLlm::start(LlmOptions {
        context_tokens: Some(1_500),
        ..LlmOptions::default()
    })
    .await;
    // The setting overstates the model's real window.
    let (app, seed, _web) = long_pdf_paper(&llm, 8_192).await;

    let outcome = summarize_paper(app.ctx.summarize_deps(), &seed, false)
        .await
        .expect("summarized");

    assert_eq!(outcome, Outcome::Written("pdf"));
    let calls = llm.calls();
    assert!(
        calls.iter().any(|c| c.status == 400),
        "the first try was too long: {calls:?}"
    );
    assert!(
        calls.iter().filter(|c| c.map).count() >= 2,
        "the text was summarized in parts"
    );
    for call in calls.iter().filter(|c| c.status == 200) {
        assert!(
            call.prompt_chars / 4 <= 1_500,
            "a prompt of {} chars was sent",
            call.prompt_chars
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_stay_within_the_configured_context() {
    let llm = FakeLlm::start(LlmOptions {
        context_tokens: Some(2_000),
        ..LlmOptions::default()
    })
    .await;
    let (app, seed, _web) = long_pdf_paper(&llm, 2_000).await;

    summarize_paper(app.ctx.summarize_deps(), &seed, false)
        .await
        .expect("summarized");

    let calls = llm.calls();
    assert!(calls.len() > 2, "a long text takes several calls: {calls:?}");
    assert!(
        calls.iter().all(|c| c.status == 200),
        "no call exceeded the window: {calls:?}"
    );
}

both_backends!(
    an_open_access_pdf_is_downloaded_read_and_summarized_and_kept,
    |backend: Backend| async move {
        let web = FakeWeb::start().await;
        let pdf_url = web.pdf("quill.pdf", text_pdf(&paper_text()));
        let (corpus, seed) = small();
        let app = TestApp::with(backend, corpus, Default::default(), |s| {
            s.pdf.allow_hosts = vec![web.host.clone()];
            s.pdf.save_pdfs = true;
        })
        .await;
        give_pdf(&app, &seed, &pdf_url);

        let crawl = app.crawl_with(&seed, 1, Direction::References, None, true).await;

        let note = note_of(&app, &seed);
        assert!(
            note.contains("_Summarized from the open-access PDF's full text"),
            "{note}"
        );
        assert!(note.contains("Quill"), "{note}");
        assert_eq!(
            frontmatter(&note).get("summary_source").and_then(|v| v.as_str()),
            Some("pdf")
        );
        let state = app.ctx.store.pdf_state(&seed).await.expect("state").expect("recorded");
        assert_eq!(state.status, refnet::store::PdfStatus::Text);
        let kept = state.file.expect("kept");
        assert!(kept.starts_with("refnet/attachments/") && app.vault().join(&kept).is_file());
        assert!(note.contains("|PDF in the vault]]"), "the note links the kept PDF");
        let connections = web.connections();

        app.refetch(crawl.crawl_id).await;
        let summarized = app.ctx.counters.summaries_written.get();
        app.crawl_with(&seed, 1, Direction::References, None, true).await;
        assert_eq!(web.connections(), connections, "the kept PDF is not downloaded again");
        assert_eq!(
            app.ctx.counters.summaries_written.get(),
            summarized,
            "nothing is summarized twice"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_pdfs_fall_back_to_the_abstract_and_the_note_says_why() {
    let web = FakeWeb::start().await;
    let (corpus, seed) = small();
    let cases = [
        (
            "scan.pdf",
            Route::File {
                content_type: "application/pdf".to_owned(),
                body: image_pdf(),
            },
            "image-only",
        ),
        (
            "landing",
            Route::File {
                content_type: "text/html".to_owned(),
                body: b"<html>Buy this paper</html>".to_vec(),
            },
            "web page",
        ),
        ("gone.pdf", Route::Status(404), "answered 404"),
        (
            "junk.pdf",
            Route::File {
                content_type: "application/octet-stream".to_owned(),
                body: b"PK\x03\x04 a zip".to_vec(),
            },
            "not a PDF",
        ),
    ];
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        s.pdf.allow_hosts = vec![web.host.clone()];
    })
    .await;
    for (i, (path, route, expected)) in cases.into_iter().enumerate() {
        let url = web.route(path, route);
        let id = app.s2.with_corpus(|c| {
            let idx = c.len() - 1 - i;
            c.paper_mut(idx).pdf_url = Some(url.clone());
            c.paper(idx).id.clone()
        });
        app.begin(&id, 0, Direction::References, None).await;
        let outcome = summarize_paper(app.ctx.summarize_deps(), &id, false)
            .await
            .expect("summarized");
        assert_eq!(outcome, Outcome::Written("abstract"), "{path}");
        let state = app.ctx.store.pdf_state(&id).await.expect("state").expect("recorded");
        assert!(
            state.reason.as_deref().unwrap_or("").contains(expected),
            "{path}: {state:?}"
        );
    }
    let _ = seed;
}

fn fetcher(tweak: impl FnOnce(&mut Settings)) -> PdfFetcher {
    let mut s = Settings::default();
    s.pdf.timeout = Duration::from_secs(3);
    s.pdf.max_bytes = 1024 * 1024;
    tweak(&mut s);
    PdfFetcher::new(&s.pdf).expect("fetcher")
}

#[tokio::test]
async fn loopback_and_private_pdf_urls_are_refused_before_any_connection() {
    let web = FakeWeb::start().await;
    let url = web.pdf("x.pdf", text_pdf("hello"));
    let fetch = fetcher(|_| {});
    for refused in [
        url.clone(),
        url.replace("127.0.0.1", "localhost"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]/x.pdf".to_owned(),
        "http://10.0.0.7/x.pdf".to_owned(),
        "file:///etc/passwd".to_owned(),
        "ftp://example.org/x.pdf".to_owned(),
    ] {
        let err = fetch.fetch(&refused).await.expect_err(&refused);
        assert!(matches!(err, FetchError::Refused { .. }), "{refused}: {err}");
    }
    assert_eq!(web.connections(), 0, "no connection was attempted");
    let allowed = fetcher(|s| s.pdf.allow_private_hosts = true);
    assert!(
        allowed.fetch(&url).await.is_ok(),
        "REFNET_ALLOW_PRIVATE_HOSTS=1 allows them"
    );
    assert_eq!(web.connections(), 1);
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused_before_connecting_to_it() {
    let front = FakeWeb::start().await;
    let inside = FakeWeb::start().await;
    let target = inside.pdf("secret.pdf", text_pdf("internal"));
    let start = front.route("paper.pdf", Route::Redirect(target));
    let fetch = fetcher(|s| s.pdf.allow_hosts = vec![front.host.clone()]);

    let err = fetch.fetch(&start).await.expect_err("refused");

    assert!(matches!(err, FetchError::Refused { .. }), "{err}");
    assert_eq!(front.connections(), 1);
    assert_eq!(inside.connections(), 0, "the redirect target was never contacted");
}

#[tokio::test]
async fn redirects_sizes_landing_pages_and_slow_hosts_have_limits() {
    let web = FakeWeb::start().await;
    for i in 0..7 {
        web.route(
            &format!("hop{i}"),
            Route::Redirect(format!("{}/hop{}", web.base, i + 1)),
        );
    }
    web.pdf("hop7", text_pdf("finally"));
    let five = web.route("r0", Route::Redirect(format!("{}/hop3", web.base)));
    let fetch = fetcher(|s| s.pdf.allow_hosts = vec![web.host.clone()]);
    assert!(fetch.fetch(&five).await.is_ok(), "five redirects are followed");
    let err = fetch
        .fetch(&format!("{}/hop0", web.base))
        .await
        .expect_err("seven are too many");
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");

    let endless = web.route("endless.pdf", Route::Endless);
    assert!(matches!(fetch.fetch(&endless).await, Err(FetchError::TooLarge { .. })));
    let html = web.route(
        "page",
        Route::File {
            content_type: "text/html; charset=utf-8".to_owned(),
            body: b"<html></html>".to_vec(),
        },
    );
    assert!(matches!(fetch.fetch(&html).await, Err(FetchError::LandingPage { .. })));
    let sneaky = web.route(
        "sneaky.pdf",
        Route::File {
            content_type: "application/pdf".to_owned(),
            body: b"<!DOCTYPE html><html>".to_vec(),
        },
    );
    assert!(matches!(
        fetch.fetch(&sneaky).await,
        Err(FetchError::LandingPage { .. })
    ));
    let slow = web.route(
        "slow.pdf",
        Route::Slow(Duration::from_secs(10), Box::new(Route::Status(200))),
    );
    let quick = fetcher(|s| {
        s.pdf.allow_hosts = vec![web.host.clone()];
        s.pdf.timeout = Duration::from_millis(300);
    });
    assert!(matches!(quick.fetch(&slow).await, Err(FetchError::Timeout { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_pdf_ends_in_a_summary_or_a_recorded_reason() {
    let Some(dir) = shared_fixtures("pdf") else { return };
    let web = FakeWeb::start().await;
    let corpus = Corpus::synthetic(30, 2, 5);
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        s.pdf.allow_hosts = vec![web.host.clone()];
    })
    .await;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().expect("name").to_string_lossy().into_owned();
        let url = web.pdf(&name, std::fs::read(file).expect("read fixture"));
        let id = app.s2.with_corpus(|c| {
            c.paper_mut(i).pdf_url = Some(url.clone());
            c.paper(i).id.clone()
        });
        app.begin(&id, 0, Direction::References, None).await;
        let outcome = summarize_paper(app.ctx.summarize_deps(), &id, false)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let state = app.ctx.store.pdf_state(&id).await.expect("state").expect("recorded");
        match outcome {
            Outcome::Written("pdf") => assert_eq!(state.status, refnet::store::PdfStatus::Text, "{name}"),
            Outcome::Written("abstract") => assert!(state.reason.is_some(), "{name}: a reason is recorded"),
            other => panic!("{name}: {other:?}"),
        }
        if name.starts_with("18_") {
            assert!(
                state.reason.as_deref().unwrap_or("").contains("image-only"),
                "{name}: {state:?}"
            );
        }
        if name.starts_with("21_") {
            assert_eq!(
                state.status,
                refnet::store::PdfStatus::Rejected,
                "{name}: a cut-off download is not used"
            );
        }
    }
}

#[tokio::test]
async fn pdf_text_prints_the_text_or_why_it_was_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.pdf");
    std::fs::write(&good, text_pdf(&paper_text())).expect("write");
    let scan = dir.path().join("scan.pdf");
    std::fs::write(&scan, image_pdf()).expect("write");
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
            .arg("pdf-text")
            .arg(file)
            .output()
            .expect("run")
    };

    let out = run(&good);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("We propose Quill"), "{text}");

    let out = run(&scan);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("image-only"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}
