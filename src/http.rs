//! The HTTP client refnet calls APIs with: one user agent (so API operators can tell who
//! is calling) and timeouts, set in one place.

use std::time::Duration;

/// refnet's user agent.
pub const USER_AGENT: &str = concat!("refnet/", env!("CARGO_PKG_VERSION"), " (citation vault builder)");

/// The HTTP client for API calls.
pub fn api_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?)
}
