//! One settings struct, layered: defaults → `refnet.toml` → environment → flags.
//!
//! Loading is a pure function of its sources (a file, an environment snapshot, the
//! flags), so tests build settings without touching the process environment. Every bad
//! value is refused with one line that names the key and says what would be accepted.
//! Env names are a contract (see DESIGN.md); `refnet.example.toml` documents every key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::secret::Secret;

/// The default S2 Graph API base.
pub const DEFAULT_S2_URL: &str = "https://api.semanticscholar.org/graph/v1";

/// Everything refnet can be configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Obsidian vault refnet writes into.
    pub vault: PathBuf,
    /// `postgres://…` or `sqlite://…`; `None` = SQLite under `<vault>/.refnet/`.
    pub database_url: Option<Secret>,
    /// Semantic Scholar client.
    pub s2: S2Settings,
    /// Optional OpenAI-compatible summarizer.
    pub llm: LlmSettings,
    /// PDF download and extraction.
    pub pdf: PdfSettings,
    /// Job queues.
    pub queue: QueueSettings,
    /// The `serve` process.
    pub serve: ServeSettings,
}

/// Semantic Scholar client settings.
#[derive(Debug, Clone)]
pub struct S2Settings {
    /// API base, without a trailing slash.
    pub url: Url,
    /// Sent as `x-api-key` when set.
    pub api_key: Option<Secret>,
    /// Requests per second across the whole process.
    pub rps: f64,
    /// Retries after the first attempt on 429, 5xx and timeouts.
    pub max_retries: u32,
    /// First backoff; doubles each retry (with jitter), capped at `retry_max`.
    pub retry_base: Duration,
    /// Longest backoff between two attempts.
    pub retry_max: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Papers per batch call (the API takes at most 500).
    pub batch_size: usize,
    /// A stored paper younger than this is not fetched again by a crawl.
    pub fresh_for: Duration,
}

/// OpenAI-compatible chat-completions summarizer settings.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// Base URL ending in `/v1`; `None` = the built-in extractive summarizer.
    pub url: Option<Url>,
    /// Model name sent with each request.
    pub model: Option<String>,
    /// Bearer key (`REFNET_LLM_API_KEY`, else `OPENAI_API_KEY`).
    pub api_key: Option<Secret>,
    /// Requests per minute.
    pub requests_per_minute: u32,
    /// Tokens per minute (prompt + completion, estimated).
    pub tokens_per_minute: u32,
    /// The model's context window in tokens.
    pub context_tokens: usize,
    /// Retries on 429/5xx/timeouts.
    pub max_retries: u32,
    /// First backoff.
    pub retry_base: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

/// PDF download and extraction settings.
#[derive(Debug, Clone)]
pub struct PdfSettings {
    /// Allow PDF hosts on loopback, private and link-local addresses.
    pub allow_private_hosts: bool,
    /// Largest PDF downloaded, enforced while streaming.
    pub max_bytes: u64,
    /// Timeout of the whole download.
    pub timeout: Duration,
    /// Keep PDFs in the vault's attachments and link them from notes.
    pub save_pdfs: bool,
    /// Time limit of one extraction.
    pub extract_timeout: Duration,
    /// Address-space limit of the extraction process.
    pub extract_memory_bytes: u64,
    /// Hosts (`host` or `host:port`) allowed even on private addresses: for a lab's own
    /// mirror, or a test's fake server.
    pub allow_hosts: Vec<String>,
    /// The program that extracts PDF text in a child process (`<it> pdf-text --json`);
    /// `None` = the running `refnet` binary, or in-process extraction when there is none.
    pub extractor: Option<PathBuf>,
}

/// Job queue settings (apalis).
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// Worker heartbeat interval.
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs are taken back.
    pub missed_heartbeats: usize,
    /// How often an idle worker looks for jobs.
    pub poll: Duration,
    /// Attempts before a job is dead, per stage: crawl, summarize, render.
    pub max_attempts: StageNumbers,
    /// Jobs run at once per stage in one process.
    pub concurrency: StageNumbers,
    /// First durable retry delay (doubles per attempt, with jitter).
    pub retry_base: Duration,
    /// Longest durable retry delay.
    pub retry_max: Duration,
    /// Finished and dead jobs older than this are pruned.
    pub retention: Duration,
    /// How long a stopping worker waits for running jobs before releasing them.
    pub shutdown_grace: Duration,
}

/// A number per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageNumbers {
    /// The crawl stage.
    pub crawl: usize,
    /// The summarize stage.
    pub summarize: usize,
    /// The render stage.
    pub render: usize,
}

/// `refnet serve` settings.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// HTTP listen address.
    pub bind: SocketAddr,
    /// Bearer token for the API; required when `bind` is not loopback.
    pub api_token: Option<Secret>,
    /// Cron expression (seconds field first, or classic 5 fields) of the refresh.
    pub refresh_cron: String,
}

impl QueueSettings {
    /// How long a worker may go without a heartbeat before it counts as gone.
    pub fn liveness(&self) -> Duration {
        (self.heartbeat * self.missed_heartbeats.max(1) as u32).max(Duration::from_secs(1))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            vault: PathBuf::from("./vault"),
            database_url: None,
            s2: S2Settings {
                url: Url::parse(DEFAULT_S2_URL).expect("constant url parses"),
                api_key: None,
                rps: 1.0,
                max_retries: 6,
                retry_base: Duration::from_secs(1),
                retry_max: Duration::from_secs(60),
                timeout: Duration::from_secs(60),
                batch_size: 500,
                fresh_for: Duration::from_secs(30 * 86_400),
            },
            llm: LlmSettings {
                url: None,
                model: None,
                api_key: None,
                requests_per_minute: 60,
                tokens_per_minute: 200_000,
                context_tokens: 8_192,
                max_retries: 4,
                retry_base: Duration::from_secs(2),
                timeout: Duration::from_secs(120),
            },
            pdf: PdfSettings {
                allow_private_hosts: false,
                max_bytes: 50 * 1024 * 1024,
                timeout: Duration::from_secs(60),
                save_pdfs: false,
                extract_timeout: Duration::from_secs(60),
                extract_memory_bytes: 2 * 1024 * 1024 * 1024,
                allow_hosts: Vec::new(),
                extractor: None,
            },
            queue: QueueSettings {
                heartbeat: Duration::from_secs(10),
                missed_heartbeats: 3,
                poll: Duration::from_millis(500),
                max_attempts: StageNumbers {
                    crawl: 5,
                    summarize: 3,
                    render: 5,
                },
                concurrency: StageNumbers {
                    crawl: 1,
                    summarize: 2,
                    render: 1,
                },
                retry_base: Duration::from_secs(5),
                retry_max: Duration::from_secs(600),
                retention: Duration::from_secs(7 * 86_400),
                shutdown_grace: Duration::from_secs(20),
            },
            serve: ServeSettings {
                bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
                api_token: None,
                refresh_cron: "0 0 3 * * *".to_owned(),
            },
        }
    }
}

/// A setting that cannot be used, in one line naming the key and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--vault`.
    pub vault: Option<PathBuf>,
    /// `--save-pdfs`.
    pub save_pdfs: bool,
    /// `--bind`.
    pub bind: Option<SocketAddr>,
}

/// Where settings come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--config`, else `REFNET_CONFIG`, else `./refnet.toml` when present.
    pub file: Option<PathBuf>,
    /// Whether the file was named explicitly (then it must exist).
    pub file_required: bool,
    /// A snapshot of the environment.
    pub env: HashMap<String, String>,
    /// Flags.
    pub flags: Overrides,
}

impl Sources {
    /// Sources of a real run: the process environment and the usual file lookup.
    pub fn from_process(config_flag: Option<PathBuf>, flags: Overrides) -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        let named = config_flag.or_else(|| env.get("REFNET_CONFIG").map(PathBuf::from));
        let file_required = named.is_some();
        let file = named.or_else(|| {
            let local = PathBuf::from("refnet.toml");
            local.is_file().then_some(local)
        });
        Self {
            file,
            file_required,
            env,
            flags,
        }
    }
}

impl Settings {
    /// Builds settings from defaults, the file, the environment and the flags, in that order.
    pub fn load(sources: &Sources) -> Result<Self, SettingsError> {
        let mut settings = Self::default();
        if let Some(path) = &sources.file {
            match std::fs::read_to_string(path) {
                Ok(text) => file::apply(&mut settings, &text, path)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !sources.file_required => {}
                Err(e) => {
                    return Err(SettingsError(format!(
                        "cannot read config file {}: {e}; fix the path given by --config or REFNET_CONFIG",
                        path.display()
                    )));
                }
            }
        }
        env::apply(&mut settings, &sources.env)?;
        let flags = &sources.flags;
        if let Some(vault) = &flags.vault {
            settings.vault = vault.clone();
        }
        if flags.save_pdfs {
            settings.pdf.save_pdfs = true;
        }
        if let Some(bind) = flags.bind {
            settings.serve.bind = bind;
        }
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let bad = |msg: String| Err(SettingsError(msg));
        if !(self.s2.rps > 0.0 && self.s2.rps <= 1000.0) {
            return bad(format!(
                "S2 requests per second {} is out of range: set REFNET_S2_RPS (or s2.rps) to a number above 0, e.g. 1",
                self.s2.rps
            ));
        }
        if !(1..=500).contains(&self.s2.batch_size) {
            return bad(format!(
                "s2.batch_size {} is out of range: the API takes 1 to 500 ids per batch",
                self.s2.batch_size
            ));
        }
        if let Some(url) = &self.llm.url
            && !url.path().trim_end_matches('/').ends_with("/v1")
        {
            return bad(format!(
                "REFNET_LLM_URL {url} does not end in /v1: give the OpenAI-compatible base, e.g. http://localhost:11434/v1"
            ));
        }
        if self.llm.url.is_some() && self.llm.model.is_none() {
            return bad("REFNET_LLM_URL is set but no model is: set REFNET_LLM_MODEL (or llm.model)".to_owned());
        }
        if self.vault.as_os_str().is_empty() {
            return bad("the vault path is empty: pass --vault DIR or set REFNET_VAULT".to_owned());
        }
        Ok(())
    }

    /// The database URL to use: `DATABASE_URL`, else SQLite under the vault.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}", self.default_sqlite_path().display()),
        }
    }

    /// `<vault>/.refnet/refnet.sqlite`.
    pub fn default_sqlite_path(&self) -> PathBuf {
        self.state_dir().join("refnet.sqlite")
    }

    /// `<vault>/.refnet`: refnet's own state, outside the notes.
    pub fn state_dir(&self) -> PathBuf {
        self.vault.join(".refnet")
    }
}

fn parse_value<T: std::str::FromStr>(key: &str, raw: &str, expected: &str) -> Result<T, SettingsError> {
    raw.trim()
        .parse()
        .map_err(|_| SettingsError(format!("{key}={raw:?} is not valid: expected {expected}")))
}

fn parse_bool(key: &str, raw: &str) -> Result<bool, SettingsError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(SettingsError(format!(
            "{key}={raw:?} is not valid: expected 1 or 0 (true/false)"
        ))),
    }
}

fn parse_url(key: &str, raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        SettingsError(format!(
            "{key}={raw:?} is not a URL ({e}): expected e.g. https://host/path"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SettingsError(format!("{key}={raw:?} is not an http(s) URL")));
    }
    Ok(url)
}

mod env {
    //! The environment layer. Each variable is read here and nowhere else.
    use super::*;

    pub(super) fn apply(s: &mut Settings, env: &HashMap<String, String>) -> Result<(), SettingsError> {
        let get = |k: &str| env.get(k).map(String::as_str).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("REFNET_VAULT") {
            s.vault = PathBuf::from(v);
        }
        if let Some(v) = get("DATABASE_URL") {
            s.database_url = Some(Secret::new(v.trim()));
        }
        if let Some(v) = get("REFNET_S2_URL") {
            s.s2.url = parse_url("REFNET_S2_URL", v)?;
        }
        if let Some(v) = get("S2_API_KEY") {
            s.s2.api_key = Some(Secret::new(v.trim()));
        }
        if let Some(v) = get("REFNET_S2_RPS") {
            s.s2.rps = parse_value("REFNET_S2_RPS", v, "requests per second, e.g. 1")?;
        }
        if let Some(v) = get("REFNET_S2_RETRIES") {
            s.s2.max_retries = parse_value("REFNET_S2_RETRIES", v, "a whole number, e.g. 6")?;
        }
        if let Some(v) = get("REFNET_S2_RETRY_BASE_MS") {
            let ms: u64 = parse_value("REFNET_S2_RETRY_BASE_MS", v, "milliseconds, e.g. 1000")?;
            s.s2.retry_base = Duration::from_millis(ms);
        }
        if let Some(v) = get("REFNET_FRESH_DAYS") {
            let days: u64 = parse_value("REFNET_FRESH_DAYS", v, "whole days, e.g. 30")?;
            s.s2.fresh_for = Duration::from_secs(days * 86_400);
        }
        if let Some(v) = get("REFNET_LLM_URL") {
            s.llm.url = Some(parse_url("REFNET_LLM_URL", v)?);
        }
        if let Some(v) = get("REFNET_LLM_MODEL") {
            s.llm.model = Some(v.trim().to_owned());
        }
        if let Some(v) = get("REFNET_LLM_API_KEY").or_else(|| get("OPENAI_API_KEY")) {
            s.llm.api_key = Some(Secret::new(v.trim()));
        }
        if let Some(v) = get("REFNET_LLM_RPM") {
            s.llm.requests_per_minute = parse_value("REFNET_LLM_RPM", v, "requests per minute, e.g. 60")?;
        }
        if let Some(v) = get("REFNET_LLM_TPM") {
            s.llm.tokens_per_minute = parse_value("REFNET_LLM_TPM", v, "tokens per minute, e.g. 200000")?;
        }
        if let Some(v) = get("REFNET_LLM_CONTEXT_TOKENS") {
            s.llm.context_tokens = parse_value("REFNET_LLM_CONTEXT_TOKENS", v, "tokens, e.g. 8192")?;
        }
        if let Some(v) = get("REFNET_ALLOW_PRIVATE_HOSTS") {
            s.pdf.allow_private_hosts = parse_bool("REFNET_ALLOW_PRIVATE_HOSTS", v)?;
        }
        if let Some(v) = get("REFNET_PDF_MAX_MB") {
            let mb: u64 = parse_value("REFNET_PDF_MAX_MB", v, "megabytes, e.g. 50")?;
            s.pdf.max_bytes = mb * 1024 * 1024;
        }
        if let Some(v) = get("REFNET_REFRESH_CRON") {
            s.serve.refresh_cron = v.trim().to_owned();
        }
        if let Some(v) = get("REFNET_BIND") {
            s.serve.bind = parse_value("REFNET_BIND", v, "ADDR:PORT, e.g. 127.0.0.1:8080")?;
        }
        if let Some(v) = get("REFNET_API_TOKEN") {
            s.serve.api_token = Some(Secret::new(v.trim()));
        }
        if let Some(v) = get("REFNET_HEARTBEAT_SECS") {
            let secs: u64 = parse_value("REFNET_HEARTBEAT_SECS", v, "seconds, e.g. 10")?;
            s.queue.heartbeat = Duration::from_secs(secs.max(1));
        }
        Ok(())
    }
}

mod file {
    //! The `refnet.toml` layer. Unknown keys are refused so a typo never goes unnoticed.
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct File {
        vault: Option<PathBuf>,
        database_url: Option<Secret>,
        #[serde(default)]
        s2: S2,
        #[serde(default)]
        llm: Llm,
        #[serde(default)]
        pdf: Pdf,
        #[serde(default)]
        queue: Queue,
        #[serde(default)]
        serve: Serve,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct S2 {
        url: Option<String>,
        api_key: Option<Secret>,
        rps: Option<f64>,
        max_retries: Option<u32>,
        retry_base_ms: Option<u64>,
        timeout_secs: Option<u64>,
        batch_size: Option<usize>,
        fresh_days: Option<u64>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Llm {
        url: Option<String>,
        model: Option<String>,
        api_key: Option<Secret>,
        requests_per_minute: Option<u32>,
        tokens_per_minute: Option<u32>,
        context_tokens: Option<usize>,
        max_retries: Option<u32>,
        timeout_secs: Option<u64>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Pdf {
        allow_private_hosts: Option<bool>,
        max_mb: Option<u64>,
        timeout_secs: Option<u64>,
        save_pdfs: Option<bool>,
        extract_timeout_secs: Option<u64>,
        extract_memory_mb: Option<u64>,
        allow_hosts: Option<Vec<String>>,
        extractor: Option<PathBuf>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Queue {
        heartbeat_secs: Option<u64>,
        missed_heartbeats: Option<usize>,
        poll_ms: Option<u64>,
        max_attempts: Option<Stages>,
        concurrency: Option<Stages>,
        retry_base_secs: Option<u64>,
        retry_max_secs: Option<u64>,
        retention_days: Option<u64>,
        shutdown_grace_secs: Option<u64>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Stages {
        crawl: Option<usize>,
        summarize: Option<usize>,
        render: Option<usize>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Serve {
        bind: Option<String>,
        api_token: Option<Secret>,
        refresh_cron: Option<String>,
    }

    fn secs(v: Option<u64>, target: &mut Duration) {
        if let Some(v) = v {
            *target = Duration::from_secs(v);
        }
    }

    fn set<T>(v: Option<T>, target: &mut T) {
        if let Some(v) = v {
            *target = v;
        }
    }

    fn stages(v: Option<Stages>, target: &mut StageNumbers) {
        if let Some(v) = v {
            set(v.crawl, &mut target.crawl);
            set(v.summarize, &mut target.summarize);
            set(v.render, &mut target.render);
        }
    }

    pub(super) fn apply(s: &mut Settings, text: &str, path: &Path) -> Result<(), SettingsError> {
        let f: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
                .map(|n| format!(" (line {n})"))
                .unwrap_or_default();
            SettingsError(format!(
                "config file {}{line}: {}; see refnet.example.toml for the keys",
                path.display(),
                e.message().trim()
            ))
        })?;
        set(f.vault, &mut s.vault);
        if f.database_url.is_some() {
            s.database_url = f.database_url;
        }
        if let Some(url) = f.s2.url {
            s.s2.url = parse_url("s2.url", &url)?;
        }
        if f.s2.api_key.is_some() {
            s.s2.api_key = f.s2.api_key;
        }
        set(f.s2.rps, &mut s.s2.rps);
        set(f.s2.max_retries, &mut s.s2.max_retries);
        if let Some(ms) = f.s2.retry_base_ms {
            s.s2.retry_base = Duration::from_millis(ms);
        }
        secs(f.s2.timeout_secs, &mut s.s2.timeout);
        set(f.s2.batch_size, &mut s.s2.batch_size);
        secs(f.s2.fresh_days.map(|d| d * 86_400), &mut s.s2.fresh_for);
        if let Some(url) = f.llm.url {
            s.llm.url = Some(parse_url("llm.url", &url)?);
        }
        if f.llm.model.is_some() {
            s.llm.model = f.llm.model;
        }
        if f.llm.api_key.is_some() {
            s.llm.api_key = f.llm.api_key;
        }
        set(f.llm.requests_per_minute, &mut s.llm.requests_per_minute);
        set(f.llm.tokens_per_minute, &mut s.llm.tokens_per_minute);
        set(f.llm.context_tokens, &mut s.llm.context_tokens);
        set(f.llm.max_retries, &mut s.llm.max_retries);
        secs(f.llm.timeout_secs, &mut s.llm.timeout);
        set(f.pdf.allow_private_hosts, &mut s.pdf.allow_private_hosts);
        if let Some(mb) = f.pdf.max_mb {
            s.pdf.max_bytes = mb * 1024 * 1024;
        }
        secs(f.pdf.timeout_secs, &mut s.pdf.timeout);
        set(f.pdf.save_pdfs, &mut s.pdf.save_pdfs);
        secs(f.pdf.extract_timeout_secs, &mut s.pdf.extract_timeout);
        if let Some(mb) = f.pdf.extract_memory_mb {
            s.pdf.extract_memory_bytes = mb * 1024 * 1024;
        }
        set(f.pdf.allow_hosts, &mut s.pdf.allow_hosts);
        if f.pdf.extractor.is_some() {
            s.pdf.extractor = f.pdf.extractor;
        }
        secs(f.queue.heartbeat_secs, &mut s.queue.heartbeat);
        set(f.queue.missed_heartbeats, &mut s.queue.missed_heartbeats);
        if let Some(ms) = f.queue.poll_ms {
            s.queue.poll = Duration::from_millis(ms.max(10));
        }
        stages(f.queue.max_attempts, &mut s.queue.max_attempts);
        stages(f.queue.concurrency, &mut s.queue.concurrency);
        secs(f.queue.retry_base_secs, &mut s.queue.retry_base);
        secs(f.queue.retry_max_secs, &mut s.queue.retry_max);
        secs(f.queue.retention_days.map(|d| d * 86_400), &mut s.queue.retention);
        secs(f.queue.shutdown_grace_secs, &mut s.queue.shutdown_grace);
        if let Some(bind) = f.serve.bind {
            s.serve.bind = parse_value("serve.bind", &bind, "ADDR:PORT, e.g. 127.0.0.1:8080")?;
        }
        if f.serve.api_token.is_some() {
            s.serve.api_token = f.serve.api_token;
        }
        set(f.serve.refresh_cron, &mut s.serve.refresh_cron);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn load_with(file: Option<&str>, env_pairs: &[(&str, &str)], flags: Overrides) -> Result<Settings, SettingsError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("refnet.toml");
        if let Some(text) = file {
            std::fs::write(&path, text).expect("write");
        }
        Settings::load(&Sources {
            file: file.map(|_| path),
            file_required: false,
            env: env(env_pairs),
            flags,
        })
    }

    #[test]
    fn flags_beat_env_which_beats_the_file_which_beats_defaults() {
        let file = "vault = \"from-file\"\n[s2]\nrps = 3\nbatch_size = 100\n";
        let s = load_with(Some(file), &[], Overrides::default()).expect("loads");
        assert_eq!(s.vault, PathBuf::from("from-file"));
        assert_eq!(s.s2.rps, 3.0);
        assert_eq!(s.s2.batch_size, 100);

        let s = load_with(
            Some(file),
            &[("REFNET_VAULT", "from-env"), ("REFNET_S2_RPS", "0.5")],
            Overrides::default(),
        )
        .expect("loads");
        assert_eq!(s.vault, PathBuf::from("from-env"));
        assert_eq!(s.s2.rps, 0.5);

        let flags = Overrides {
            vault: Some(PathBuf::from("from-flag")),
            ..Overrides::default()
        };
        let s = load_with(Some(file), &[("REFNET_VAULT", "from-env")], flags).expect("loads");
        assert_eq!(s.vault, PathBuf::from("from-flag"));
    }

    #[test]
    fn bad_values_name_the_key_and_the_fix() {
        let err = load_with(None, &[("REFNET_S2_RPS", "fast")], Overrides::default()).expect_err("refused");
        assert!(
            err.0.contains("REFNET_S2_RPS") && err.0.contains("requests per second"),
            "{err}"
        );
        let err = load_with(None, &[("REFNET_S2_RPS", "0")], Overrides::default()).expect_err("refused");
        assert!(err.0.contains("REFNET_S2_RPS"), "{err}");
        let err = load_with(
            None,
            &[("REFNET_LLM_URL", "http://localhost:11434"), ("REFNET_LLM_MODEL", "m")],
            Overrides::default(),
        )
        .expect_err("refused");
        assert!(err.0.contains("/v1"), "{err}");
        let err = load_with(Some("[s2]\nrsp = 2\n"), &[], Overrides::default()).expect_err("refused");
        assert!(err.0.contains("line 2") && err.0.contains("rsp"), "{err}");
        assert!(!err.0.contains('\n'), "one line: {err}");
    }

    #[test]
    fn secrets_from_any_layer_stay_out_of_debug_output() {
        let s = load_with(
            Some("[llm]\napi_key = \"file-key-123\"\n"),
            &[
                ("S2_API_KEY", "env-key-456"),
                ("DATABASE_URL", "postgres://u:pw789@h/db"),
            ],
            Overrides::default(),
        )
        .expect("loads");
        let debug = format!("{s:?}");
        for secret in ["file-key-123", "env-key-456", "pw789"] {
            assert!(!debug.contains(secret), "{secret} leaked");
        }
        assert_eq!(s.s2.api_key.as_ref().map(Secret::expose), Some("env-key-456"));
    }

    #[test]
    fn the_example_file_is_valid_and_matches_the_defaults() {
        let text = include_str!("../refnet.example.toml");
        let s = load_with(Some(text), &[], Overrides::default()).expect("refnet.example.toml loads");
        let d = Settings::default();
        assert_eq!(s.vault, d.vault);
        assert_eq!(s.s2.url, d.s2.url);
        assert_eq!(
            (s.s2.rps, s.s2.max_retries, s.s2.batch_size),
            (d.s2.rps, d.s2.max_retries, d.s2.batch_size)
        );
        assert_eq!(
            (s.s2.retry_base, s.s2.timeout, s.s2.fresh_for),
            (d.s2.retry_base, d.s2.timeout, d.s2.fresh_for)
        );
        assert_eq!(
            (s.queue.heartbeat, s.queue.poll, s.queue.retention),
            (d.queue.heartbeat, d.queue.poll, d.queue.retention)
        );
        assert_eq!(
            (s.queue.max_attempts, s.queue.concurrency),
            (d.queue.max_attempts, d.queue.concurrency)
        );
        assert_eq!(
            (s.queue.retry_base, s.queue.retry_max, s.queue.shutdown_grace),
            (d.queue.retry_base, d.queue.retry_max, d.queue.shutdown_grace)
        );
        assert_eq!(
            (
                s.llm.url,
                s.llm.model,
                s.llm.requests_per_minute,
                s.llm.tokens_per_minute
            ),
            (
                d.llm.url,
                d.llm.model,
                d.llm.requests_per_minute,
                d.llm.tokens_per_minute
            )
        );
        assert_eq!(
            (s.llm.context_tokens, s.llm.max_retries, s.llm.timeout),
            (d.llm.context_tokens, d.llm.max_retries, d.llm.timeout)
        );
        assert_eq!(
            (
                s.pdf.allow_private_hosts,
                s.pdf.max_bytes,
                s.pdf.timeout,
                s.pdf.save_pdfs
            ),
            (
                d.pdf.allow_private_hosts,
                d.pdf.max_bytes,
                d.pdf.timeout,
                d.pdf.save_pdfs
            )
        );
        assert_eq!(
            (
                s.pdf.extract_timeout,
                s.pdf.extract_memory_bytes,
                s.pdf.allow_hosts,
                s.pdf.extractor
            ),
            (
                d.pdf.extract_timeout,
                d.pdf.extract_memory_bytes,
                d.pdf.allow_hosts,
                d.pdf.extractor
            )
        );
        assert_eq!(
            (s.serve.bind, s.serve.refresh_cron),
            (d.serve.bind, d.serve.refresh_cron)
        );
    }

    #[test]
    fn the_example_file_names_every_key() {
        let text = include_str!("../refnet.example.toml");
        // (section, key); commented-out keys count: they are documented, just not set.
        let mut section = String::new();
        let mut documented: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_owned();
            } else if let Some((key, _)) = line.trim_start_matches(['#', ' ']).split_once(" = ") {
                documented.push((section.clone(), key.trim().to_owned()));
            }
        }
        // The keys the file layer reads: the fields of its structs, by section.
        let source = include_str!("settings.rs");
        let file_layer = &source[source.find("mod file {").expect("file layer")..];
        let file_layer = &file_layer[..file_layer.find("fn secs(").expect("end of the file structs")];
        let mut section = String::new();
        let mut checked = 0;
        for line in file_layer.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("struct ").and_then(|l| l.strip_suffix(" {")) {
                section = if name == "File" {
                    String::new()
                } else {
                    name.to_lowercase()
                };
                continue;
            }
            let Some((key, ty)) = line.split_once(": ") else {
                continue;
            };
            if !ty.starts_with("Option<") || section == "stages" {
                continue;
            }
            checked += 1;
            assert!(
                documented.contains(&(section.clone(), key.to_owned())),
                "refnet.example.toml does not document `{key}` in [{section}]"
            );
        }
        assert!(checked > 30, "read only {checked} keys from the file layer");
    }

    #[test]
    fn openai_api_key_is_the_fallback_llm_key() {
        let s = load_with(None, &[("OPENAI_API_KEY", "sk-1")], Overrides::default()).expect("loads");
        assert_eq!(s.llm.api_key.as_ref().map(Secret::expose), Some("sk-1"));
        let s = load_with(
            None,
            &[("OPENAI_API_KEY", "sk-1"), ("REFNET_LLM_API_KEY", "sk-2")],
            Overrides::default(),
        )
        .expect("loads");
        assert_eq!(s.llm.api_key.as_ref().map(Secret::expose), Some("sk-2"));
    }
}
