//! Test kit (feature `testkit`, and always in the crate's own unit tests): fake outside
//! services on 127.0.0.1, port 0, a synthetic corpus, small PDFs and sample text, shared by
//! the unit and integration tests, the benchmark and demos. Nothing here ever talks to a
//! non-loopback address.

pub mod canvas;
pub mod corpus;
pub mod fake_llm;
pub mod fake_openalex;
pub mod fake_s2;
pub mod fake_web;
pub mod pdf;
pub mod pg;
pub mod planted;
pub mod text;

use std::net::SocketAddr;

pub use corpus::{Corpus, FakePaper, fake_id};
pub use fake_llm::{FakeLlm, LlmCall, LlmOptions};
pub use fake_openalex::{FakeOpenAlex, Mood};
pub use fake_s2::{FakeOptions, FakeS2, Logged, Scripted};
pub use fake_web::{FakeWeb, Route};
pub use planted::{Planted, adjusted_rand_index};

/// Says, once per group and where `cargo test` shows it (straight to stderr, not through
/// the test harness's capture), that a group of tests is skipped and why. When the
/// environment variable `require` is `1` (CI sets it), the group is required instead and
/// this panics with the same words.
pub fn skip_group(group: &str, why: &str, require: &str) {
    use std::io::Write;
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    assert!(
        std::env::var(require).as_deref() != Ok("1"),
        "{require}=1 but the {group} cannot run: {why}"
    );
    let mut said = SAID.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.iter().any(|g| g == group) {
        said.push(group.to_owned());
        let _ = writeln!(std::io::stderr(), "refnet tests: skipping the {group}: {why}");
    }
}

/// Serves an axum app on 127.0.0.1 with a port the OS picks.
pub async fn serve_loopback(app: axum::Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0 for a fake server");
    let addr = listener.local_addr().expect("local address of a bound listener");
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, handle)
}
