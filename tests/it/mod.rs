//! Test modules; `support` holds the shared test context.

pub(crate) mod support;

mod analysis;
mod authors;
mod bibliography;
mod cli;
mod cli_faults;
mod console;
mod console_browser;
mod crawl;
mod dead_jobs;
mod export;
mod frontmatter_order;
mod hardening;
mod layout;
mod metrics;
mod notes;
mod offline_summaries;
mod openalex;
mod pdf_fixtures;
mod reading;
mod render_skip;
mod runs;
mod s2_client;
mod same_work;
mod scripting;
mod seeds;
mod serve_http;
mod service;
mod summarize;
mod two_renderers;
mod vault;
