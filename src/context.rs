//! The one context every stage receives: settings, store, HTTP client, API clients and
//! counters, built once per process. No globals.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Counters;
use crate::s2::S2Client;
use crate::settings::Settings;
use crate::store::Store;

/// What the stages share.
#[derive(Debug)]
pub struct Context {
    /// The settings the process started with.
    pub settings: Settings,
    /// The database.
    pub store: Store,
    /// Semantic Scholar.
    pub s2: S2Client,
    /// The HTTP client for APIs (timeouts and user agent set).
    pub http: reqwest::Client,
    /// Process-wide counters.
    pub counters: Arc<Counters>,
}

/// refnet's user agent, so API operators can tell who is calling.
pub const USER_AGENT: &str = concat!("refnet/", env!("CARGO_PKG_VERSION"), " (citation vault builder)");

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
        Ok(Arc::new(Self {
            settings,
            store,
            s2,
            http: api_client()?,
            counters,
        }))
    }
}

/// The HTTP client for API calls.
pub fn api_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?)
}
