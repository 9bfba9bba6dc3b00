//! Test modules; `support` holds the shared test context.

pub(crate) mod support;

mod bibliography;
mod cli;
mod crawl;
mod layout;
mod metrics;
mod notes;
mod offline_summaries;
mod pdf_fixtures;
mod runs;
mod s2_client;
mod seeds;
mod service;
mod summarize;
mod vault;
