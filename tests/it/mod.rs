//! Test modules; `support` holds the shared test context.

pub(crate) mod support;

mod analysis;
mod bibliography;
mod cli;
mod crawl;
mod export;
mod layout;
mod metrics;
mod notes;
mod offline_summaries;
mod pdf_fixtures;
mod reading;
mod runs;
mod s2_client;
mod seeds;
mod service;
mod summarize;
mod vault;
