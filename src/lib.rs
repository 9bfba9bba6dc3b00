//! refnet turns a research paper into a living Obsidian vault of its citation
//! neighbourhood.
//!
//! # Layout
//!
//! - [`ids`]: paper ids in every form Semantic Scholar accepts, parsed once.
//! - [`settings`]: one settings struct, layered defaults → `refnet.toml` → env → flags.
//! - [`s2`]: the Semantic Scholar client (rate limit, retries, batching, paging).
//! - [`store`]: SQLite/Postgres storage of papers, edges, crawls and note state; the
//!   only place with SQL.
//! - [`crawl`]: the crawl stage (a level at a time, priority and budget).
//! - [`queue`]: job types on the `crawl`, `summarize` and `render` queues (apalis), supervised workers.
//! - [`summarize`]: the summarize stage (PDF download behind SSRF guards, isolated text
//!   extraction, an LLM or the offline extractive summarizer, a cache).
//! - [`render`]: the render stage (safe names, escaping, merging into existing notes).
//! - [`refresh`]: refreshing crawls by hand or on a schedule (once per occurrence across
//!   replicas), and what's-new notes.
//! - [`serve`]: the HTTP API, `/metrics`, `/healthz` and the dashboard of `refnet serve`.
//! - [`cli`]: the command line (the binary is a thin wrapper around it).
//! - [`context`]: what every stage shares, built once per process.
//! - [`retry`], [`metrics`], [`secret`]: backoff timing, counters, secrets that never print.
//!
//! Data flows seed id → crawl (papers and edges in the store) → summarize → render
//! (notes in the vault); each stage is a job type on its own queue.

pub mod cli;
pub mod context;
pub mod crawl;
pub mod graph;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod queue;
pub mod refresh;
pub mod render;
pub mod retry;
pub mod s2;
pub mod secret;
pub mod serve;
pub mod settings;
pub mod stage;
pub mod store;
pub mod summarize;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod vault;
