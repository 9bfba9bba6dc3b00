//! The defaults, in one place; `refnet.example.toml` shows the same values (a test checks).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::*;

/// The default OpenAlex API base.
pub(super) const DEFAULT_OPENALEX_URL: &str = "https://api.openalex.org";

const DAY: Duration = Duration::from_secs(86_400);

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
                give_up_after: Duration::from_secs(300),
                batch_size: 500,
                fresh_for: 30 * DAY,
            },
            openalex: OpenAlexSettings {
                url: Url::parse(DEFAULT_OPENALEX_URL).expect("constant url parses"),
                api_key: None,
                mailto: None,
                rps: 10.0,
                max_requests_per_crawl: 200,
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
            summarize: SummarizeSettings { batch_size: 100 },
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
            notes: VaultSettings {
                author_notes: AuthorNotes::Shared,
                map_papers: 100,
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
                retention: 7 * DAY,
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
