//! Test modules; `support` holds the shared test context.

pub mod support;

mod cli;
mod crawl;
mod s2_client;
