//! The one context every stage receives: settings, store, HTTP client, API clients and
//! counters, built once per process. No globals.

use std::sync::Arc;

use crate::http::api_client;
use crate::metrics::Counters;
use crate::openalex::OpenAlexClient;
use crate::s2::S2Client;
use crate::settings::Settings;
use crate::store::Store;
use crate::summarize::extractive::Extractive;
use crate::summarize::fetch::PdfFetcher;
use crate::summarize::llm::LlmSummarizer;
use crate::summarize::summary::Summarizer;
use crate::summarize::{Deps, Extractor};

/// What the stages share.
#[derive(Debug)]
pub struct Context {
    /// The settings the process started with.
    pub settings: Settings,
    /// The database.
    pub store: Store,
    /// Semantic Scholar.
    pub s2: S2Client,
    /// OpenAlex, when it is on (a key or a contact address is set).
    pub openalex: Option<OpenAlexClient>,
    /// The HTTP client for APIs (timeouts and user agent set).
    pub http: reqwest::Client,
    /// Process-wide counters.
    pub counters: Arc<Counters>,
    /// The LLM when one is configured, else the extractive summarizer.
    pub summarizer: Arc<dyn Summarizer>,
    /// Downloads PDFs behind SSRF guards.
    pub pdf_fetcher: PdfFetcher,
    /// How PDF text is extracted.
    pub extractor: Extractor,
}

impl Context {
    /// Builds the context around an open store.
    pub fn new(settings: Settings, store: Store) -> anyhow::Result<Arc<Self>> {
        let counters = Arc::new(Counters::default());
        let s2 = S2Client::new(&settings.s2, api_client()?, counters.clone());
        Self::with_parts(settings, store, s2, counters)
    }

    /// Builds the context around parts made earlier (the CLI resolves the seed before the
    /// store exists, with the same client and counters).
    pub fn with_parts(
        settings: Settings,
        store: Store,
        s2: S2Client,
        counters: Arc<Counters>,
    ) -> anyhow::Result<Arc<Self>> {
        let http = api_client()?;
        let summarizer: Arc<dyn Summarizer> = match LlmSummarizer::new(&settings.llm, http.clone(), counters.clone()) {
            Some(llm) => Arc::new(llm),
            None => Arc::new(Extractive),
        };
        let extractor = match &settings.pdf.extractor {
            Some(exe) => Extractor::Child(exe.clone()),
            None => Extractor::InProcess,
        };
        Ok(Arc::new(Self {
            openalex: OpenAlexClient::new(&settings.openalex, http.clone()),
            pdf_fetcher: PdfFetcher::new(&settings.pdf)?,
            extractor,
            summarizer,
            settings,
            store,
            s2,
            http,
            counters,
        }))
    }

    /// What the summarize stage works with.
    pub fn summarize_deps(&self) -> Deps<'_> {
        Deps {
            store: &self.store,
            settings: &self.settings,
            counters: &self.counters,
            summarizer: &self.summarizer,
            pdf_fetcher: &self.pdf_fetcher,
            extractor: &self.extractor,
        }
    }
}
