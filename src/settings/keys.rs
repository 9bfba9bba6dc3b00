//! Every key refnet reads, declared once: its `refnet.toml` path, its environment
//! variables, what it expects (for the error text) and where it goes in [`Settings`].
//!
//! Both layers apply keys through this table, so a key added here is read from the file
//! and the environment alike; tests check each one is documented in
//! `refnet.example.toml` and each variable in README.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;

use url::Url;

use super::value::{Raw, Setting, days, megabytes, millis, secs};
use super::{AuthorNotes, Settings};
use crate::secret::Secret;

/// One key.
pub(super) struct Key {
    /// Dotted path in `refnet.toml`, e.g. `s2.rps`.
    pub path: &'static str,
    /// Environment variables, in order of precedence (the first one set wins).
    pub env: Vec<&'static str>,
    /// What a valid value looks like, e.g. "requests per second, e.g. 1".
    pub expected: &'static str,
    /// Whether an error may quote the value.
    pub quotable: bool,
    apply: Box<Apply>,
}

/// Reads a value and stores it; `None` = not valid.
type Apply = dyn Fn(&mut Settings, Raw<'_>) -> Option<()> + Send + Sync;

impl Key {
    /// Reads `raw` and stores it; `None` = not valid (the caller says where it came from).
    pub(crate) fn apply(&self, settings: &mut Settings, raw: Raw<'_>) -> Option<()> {
        (self.apply)(settings, raw)
    }

    /// Also read from environment variable `name`.
    fn env(mut self, name: &'static str) -> Self {
        self.env.push(name);
        self
    }
}

/// Declares a key read as a `T` and stored by `set`.
fn key<T: Setting + 'static>(
    path: &'static str,
    expected: &'static str,
    set: impl Fn(&mut Settings, T) + Send + Sync + 'static,
) -> Key {
    Key {
        path,
        env: Vec::new(),
        expected,
        quotable: T::QUOTABLE,
        apply: Box::new(move |settings, raw| T::read(raw).map(|value| set(settings, value))),
    }
}

/// Every key, in the order of `refnet.example.toml`.
pub(super) fn all() -> &'static [Key] {
    static KEYS: LazyLock<Vec<Key>> = LazyLock::new(declare);
    &KEYS
}

/// The key at `path`.
pub(super) fn find(path: &str) -> Option<&'static Key> {
    all().iter().find(|key| key.path == path)
}

/// Whether `path` is a table of keys (`s2`, `queue.max_attempts`).
pub(super) fn is_table(path: &str) -> bool {
    all()
        .iter()
        .any(|key| key.path.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
}

const WHOLE: &str = "a whole number, e.g. 3";
const SECONDS: &str = "whole seconds, e.g. 60";
const FLAG: &str = "true or false (1 or 0 in the environment)";
const PATH: &str = "a directory path, e.g. ./vault";
const SECRET: &str = "the key as given to you";

/// The table. One key a line (two when long): path, expected value, where it goes, then
/// its environment variables.
#[rustfmt::skip]
fn declare() -> Vec<Key> {
    vec![
        key("database_url", "a postgres:// or sqlite:// URL", |s, v: Secret| s.database_url = Some(v))
            .env("DATABASE_URL"),
        // `vault = "DIR"` is the short form of `[vault] path = "DIR"`.
        key("vault", PATH, |s, v: PathBuf| s.vault = v),
        key("vault.path", PATH, |s, v: PathBuf| s.vault = v).env("REFNET_VAULT"),
        key("vault.author_notes", "shared, all or none", |s, v: AuthorNotes| s.notes.author_notes = v),
        key("vault.map_papers", "papers, e.g. 100", |s, v: usize| s.notes.map_papers = v),

        key("s2.url", "an http(s) URL, e.g. https://api.semanticscholar.org/graph/v1", |s, v: Url| s.s2.url = v)
            .env("REFNET_S2_URL"),
        key("s2.api_key", SECRET, |s, v: Secret| s.s2.api_key = Some(v)).env("S2_API_KEY"),
        key("s2.rps", "requests per second, e.g. 1", |s, v: f64| s.s2.rps = v).env("REFNET_S2_RPS"),
        key("s2.max_retries", "a whole number, e.g. 6", |s, v: u32| s.s2.max_retries = v).env("REFNET_S2_RETRIES"),
        key("s2.retry_base_ms", "milliseconds, e.g. 1000", |s, v: u64| s.s2.retry_base = millis(v))
            .env("REFNET_S2_RETRY_BASE_MS"),
        key("s2.timeout_secs", SECONDS, |s, v: u64| s.s2.timeout = secs(v)),
        key("s2.give_up_secs", "whole seconds, e.g. 300", |s, v: u64| s.s2.give_up_after = secs(v))
            .env("REFNET_S2_GIVE_UP_SECS"),
        key("s2.batch_size", "papers per batch, 1 to 500", |s, v: usize| s.s2.batch_size = v),
        key("s2.fresh_days", "whole days, e.g. 30", |s, v: u64| s.s2.fresh_for = days(v)).env("REFNET_FRESH_DAYS"),

        key("openalex.url", "an http(s) URL, e.g. https://api.openalex.org", |s, v: Url| s.openalex.url = v)
            .env("REFNET_OPENALEX_URL"),
        key("openalex.api_key", SECRET, |s, v: Secret| s.openalex.api_key = Some(v)).env("REFNET_OPENALEX_KEY"),
        key("openalex.mailto", "an email address, e.g. you@example.org", |s, v: String| s.openalex.mailto = Some(v))
            .env("REFNET_OPENALEX_MAILTO"),
        key("openalex.rps", "requests per second, e.g. 10", |s, v: f64| s.openalex.rps = v),
        key("openalex.max_requests_per_crawl", "requests, e.g. 200",
            |s, v: u32| s.openalex.max_requests_per_crawl = v),

        key("queue.heartbeat_secs", "seconds, e.g. 10", |s, v: u64| s.queue.heartbeat = secs(v.max(1)))
            .env("REFNET_HEARTBEAT_SECS"),
        key("queue.missed_heartbeats", WHOLE, |s, v: usize| s.queue.missed_heartbeats = v),
        key("queue.poll_ms", "milliseconds, e.g. 500", |s, v: u64| s.queue.poll = millis(v.max(10))),
        key("queue.max_attempts.crawl", WHOLE, |s, v: usize| s.queue.max_attempts.crawl = v),
        key("queue.max_attempts.summarize", WHOLE, |s, v: usize| s.queue.max_attempts.summarize = v),
        key("queue.max_attempts.render", WHOLE, |s, v: usize| s.queue.max_attempts.render = v),
        key("queue.concurrency.crawl", WHOLE, |s, v: usize| s.queue.concurrency.crawl = v),
        key("queue.concurrency.summarize", WHOLE, |s, v: usize| s.queue.concurrency.summarize = v),
        key("queue.concurrency.render", WHOLE, |s, v: usize| s.queue.concurrency.render = v),
        key("queue.retry_base_secs", SECONDS, |s, v: u64| s.queue.retry_base = secs(v)),
        key("queue.retry_max_secs", SECONDS, |s, v: u64| s.queue.retry_max = secs(v)),
        key("queue.retention_days", "whole days, e.g. 7", |s, v: u64| s.queue.retention = days(v)),
        key("queue.shutdown_grace_secs", SECONDS, |s, v: u64| s.queue.shutdown_grace = secs(v)),

        key("llm.url", "an http(s) URL ending in /v1, e.g. http://localhost:11434/v1", |s, v: Url| s.llm.url = Some(v))
            .env("REFNET_LLM_URL"),
        key("llm.model", "a model name, e.g. llama3.1:8b", |s, v: String| s.llm.model = Some(v))
            .env("REFNET_LLM_MODEL"),
        key("llm.api_key", SECRET, |s, v: Secret| s.llm.api_key = Some(v))
            .env("REFNET_LLM_API_KEY").env("OPENAI_API_KEY"),
        key("llm.requests_per_minute", "requests per minute, e.g. 60", |s, v: u32| s.llm.requests_per_minute = v)
            .env("REFNET_LLM_RPM"),
        key("llm.tokens_per_minute", "tokens per minute, e.g. 200000", |s, v: u32| s.llm.tokens_per_minute = v)
            .env("REFNET_LLM_TPM"),
        key("llm.context_tokens", "tokens, e.g. 8192", |s, v: usize| s.llm.context_tokens = v)
            .env("REFNET_LLM_CONTEXT_TOKENS"),
        key("llm.max_retries", "a whole number, e.g. 4", |s, v: u32| s.llm.max_retries = v),
        key("llm.timeout_secs", SECONDS, |s, v: u64| s.llm.timeout = secs(v)),

        key("summarize.batch_size", "papers per job, 1 to 1000", |s, v: usize| s.summarize.batch_size = v)
            .env("REFNET_SUMMARY_BATCH"),

        key("pdf.allow_private_hosts", FLAG, |s, v: bool| s.pdf.allow_private_hosts = v)
            .env("REFNET_ALLOW_PRIVATE_HOSTS"),
        key("pdf.allow_hosts", "a list of hosts, e.g. [\"mirror.lab\"]", |s, v: Vec<String>| s.pdf.allow_hosts = v),
        key("pdf.max_mb", "megabytes, e.g. 50", |s, v: u64| s.pdf.max_bytes = megabytes(v)).env("REFNET_PDF_MAX_MB"),
        key("pdf.timeout_secs", SECONDS, |s, v: u64| s.pdf.timeout = secs(v)),
        key("pdf.save_pdfs", FLAG, |s, v: bool| s.pdf.save_pdfs = v),
        key("pdf.extract_timeout_secs", SECONDS, |s, v: u64| s.pdf.extract_timeout = secs(v)),
        key("pdf.extract_memory_mb", "megabytes, e.g. 2048", |s, v: u64| s.pdf.extract_memory_bytes = megabytes(v)),
        key("pdf.extractor", "a program path, e.g. /usr/local/bin/refnet", |s, v: PathBuf| s.pdf.extractor = Some(v)),

        key("serve.bind", "ADDR:PORT, e.g. 127.0.0.1:8080", |s, v: SocketAddr| s.serve.bind = v).env("REFNET_BIND"),
        key("serve.api_token", "a long random string", |s, v: Secret| s.serve.api_token = Some(v))
            .env("REFNET_API_TOKEN"),
        key("serve.refresh_cron", "a cron expression, e.g. 0 0 3 * * *", |s, v: String| s.serve.refresh_cron = v)
            .env("REFNET_REFRESH_CRON"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_every_variable_is_declared_once() {
        let mut paths: Vec<&str> = all().iter().map(|k| k.path).collect();
        let mut vars: Vec<&str> = all().iter().flat_map(|k| k.env.iter().copied()).collect();
        let (n_paths, n_vars) = (paths.len(), vars.len());
        paths.sort_unstable();
        paths.dedup();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(
            (paths.len(), vars.len()),
            (n_paths, n_vars),
            "a key or a variable is declared twice"
        );
    }

    #[test]
    fn tables_are_told_from_keys() {
        assert!(is_table("s2") && is_table("queue.max_attempts") && is_table("vault"));
        assert!(!is_table("s2.rps") && !is_table("s") && !is_table("queue.max"));
        assert!(find("vault").is_some() && find("s2").is_none());
    }

    #[test]
    fn secrets_are_never_quoted() {
        for path in [
            "database_url",
            "s2.api_key",
            "openalex.api_key",
            "llm.api_key",
            "serve.api_token",
        ] {
            assert!(!find(path).expect("declared").quotable, "{path}");
        }
    }
}
