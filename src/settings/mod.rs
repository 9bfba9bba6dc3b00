//! One settings struct, layered: defaults → `refnet.toml` → environment → flags.
//!
//! Loading is a pure function of its sources (a file, an environment snapshot, the
//! flags), so tests build settings without touching the process environment. Every bad
//! value is refused with one line that names the key and says what would be accepted.
//! Env names are a contract (see DESIGN.md); `refnet.example.toml` documents every key.
//!
//! Layout:
//! - `sections.rs`: the parts of [`Settings`], one per `refnet.toml` table.
//! - `defaults.rs`: the default values.
//! - `keys.rs`: every key declared once (file path, env variables, expected value, target).
//! - `value.rs`: reading one value from env text or a TOML value.
//! - `layers.rs`: the file and environment layers, both applying keys through `keys.rs`.
//! - here: [`Settings::load`] and the checks on the result.

mod defaults;
mod keys;
mod layers;
mod sections;
mod value;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Secret;

pub use sections::{
    AuthorNotes, LlmSettings, OpenAlexSettings, PdfSettings, QueueSettings, S2Settings, ServeSettings, StageNumbers,
    SummarizeSettings, VaultSettings,
};

/// The default S2 Graph API base.
pub const DEFAULT_S2_URL: &str = "https://api.semanticscholar.org/graph/v1";

/// Everything refnet can be configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The Obsidian vault refnet writes into.
    pub vault: PathBuf,
    /// `postgres://…` or `sqlite://…`; `None` = SQLite under `<vault>/.refnet/`.
    pub database_url: Option<Secret>,
    /// Semantic Scholar client.
    pub s2: S2Settings,
    /// OpenAlex client (the second source).
    pub openalex: OpenAlexSettings,
    /// Optional OpenAI-compatible summarizer.
    pub llm: LlmSettings,
    /// The summarize stage.
    pub summarize: SummarizeSettings,
    /// PDF download and extraction.
    pub pdf: PdfSettings,
    /// What the vault holds besides paper notes (`[vault]`, beside its path).
    pub notes: VaultSettings,
    /// Job queues.
    pub queue: QueueSettings,
    /// The `serve` process.
    pub serve: ServeSettings,
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
                Ok(text) => layers::apply_file(&mut settings, &text, path)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !sources.file_required => {}
                Err(e) => {
                    return Err(SettingsError(format!(
                        "cannot read config file {}: {e}; fix the path given by --config or REFNET_CONFIG",
                        path.display()
                    )));
                }
            }
        }
        layers::apply_env(&mut settings, &sources.env)?;
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

    /// Checks what one value alone cannot: ranges, and keys that go together.
    fn validate(&self) -> Result<(), SettingsError> {
        let bad = |msg: String| Err(SettingsError(msg));
        let (s2, openalex) = (&self.s2, &self.openalex);
        if !(s2.rps > 0.0 && s2.rps <= 1000.0) {
            return bad(format!(
                "S2 requests per second {} is out of range: set REFNET_S2_RPS (or s2.rps) to a number above 0, e.g. 1",
                s2.rps
            ));
        }
        if !(1..=500).contains(&s2.batch_size) {
            return bad(format!(
                "s2.batch_size {} is out of range: the API takes 1 to 500 ids per batch",
                s2.batch_size
            ));
        }
        if s2.give_up_after < Duration::from_secs(1) {
            return bad(
                "s2.give_up_secs 0 is out of range: set REFNET_S2_GIVE_UP_SECS (or s2.give_up_secs) to 1 or more, e.g. 300"
                    .to_owned(),
            );
        }
        if !(openalex.rps > 0.0 && openalex.rps <= 100.0) {
            return bad(format!(
                "openalex.rps {} is out of range: OpenAlex allows above 0 and up to 100 requests per second, e.g. 10",
                openalex.rps
            ));
        }
        if openalex.max_requests_per_crawl == 0 {
            return bad(
                "openalex.max_requests_per_crawl 0 is out of range: set 1 or more, e.g. 200 (to turn OpenAlex \
                 off, unset openalex.api_key and openalex.mailto)"
                    .to_owned(),
            );
        }
        if let Some(mailto) = &openalex.mailto
            && !is_email_address(mailto)
        {
            return bad(format!(
                "openalex.mailto {mailto:?} is not an email address: set REFNET_OPENALEX_MAILTO (or openalex.mailto) \
                 to yours, e.g. you@example.org"
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
        if !(1..=1000).contains(&self.summarize.batch_size) {
            return bad(format!(
                "summarize.batch_size {} is out of range: set REFNET_SUMMARY_BATCH (or summarize.batch_size) to 1 to \
                 1000 papers per job, e.g. 100",
                self.summarize.batch_size
            ));
        }
        if self.notes.map_papers == 0 {
            return bad(
                "vault.map_papers 0 is out of range: set 1 or more papers for a crawl's map, e.g. 100".to_owned(),
            );
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

/// `local@domain`, both parts non-empty, no spaces: enough to catch a value in the wrong key.
fn is_email_address(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace))
}

#[cfg(test)]
mod tests;
