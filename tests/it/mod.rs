//! Test modules; `support` holds the shared test context.

pub mod support;

mod cli;
mod crawl;
mod notes;
mod s2_client;
mod vault;
