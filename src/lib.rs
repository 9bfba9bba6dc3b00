//! refnet turns a research paper into a living Obsidian vault of its citation
//! neighbourhood.
//!
//! # Layout
//!
//! Data flows seed → crawl → store → graph → summarize → render → vault; each stage is a
//! job type on its own queue (see ARCHITECTURE.md for the picture). The stages, in order:
//!
//! - [`crawl`]: seed ids → papers, authors and edges in the store, a level at a time, by
//!   priority and within a budget; one `crawl` job per level.
//! - [`graph`]: a crawl's citation graph and what is computed from it (PageRank, in-crawl
//!   citations, similarity to the seeds, prior and derivative works, clusters with lasting
//!   ids and labels; the analysis stored once per changed graph), and its export files.
//! - [`summarize`]: a paper's best text (open-access PDF behind SSRF guards, isolated
//!   extraction; else abstract or TLDR) → a cached summary, by an LLM or offline.
//! - [`render`]: the store's view of a crawl → notes, maps, index and bibliography.
//! - [`refresh`]: refreshing crawls by hand or on a schedule (once per occurrence across
//!   replicas), and what's-new notes.
//!
//! What the stages stand on:
//!
//! - [`ids`]: paper ids in every form a user pastes (S2's forms, DOI/arXiv/S2/PubMed/PMC/
//!   OpenAlex links), parsed once; a "did you mean" for near misses.
//! - [`library`]: seeds from a reference library (BibTeX, CSL-JSON, RIS): its entries and
//!   the ids in each.
//! - [`s2`]: the Semantic Scholar client (rate limit, retries, batching, paging).
//! - [`openalex`]: the second source, optional: batched DOI look-ups for abstracts, PDFs
//!   and venues S2 lacks, and OpenAlex work ids; off for a while, never fatal, when it fails.
//! - [`store`]: SQLite/Postgres storage of papers, edges, crawls, summaries, note state
//!   and the queue's tables; the only place with SQL.
//! - [`vault`]: the vault on disk, below summarize and render: safe note names, folders,
//!   frontmatter, merging into existing notes, atomic writes.
//! - [`stage`]: the pipeline's stages and their queue names.
//! - [`queue`]: the job types on the `crawl`, `summarize` and `render` queues, their keys,
//!   and enqueueing; below the stages, so each can enqueue.
//! - [`worker`]: the handler of each job type (load, call the stage, enqueue what comes
//!   next) and the supervised apalis workers that run them.
//! - [`context`]: what every stage shares, built once per process.
//! - [`settings`]: one settings struct, layered defaults → `refnet.toml` → env → flags.
//! - [`http`], [`retry`], [`metrics`], [`secret`], [`hex`]: the API client setup, backoff
//!   timing, counters, secrets that never print, hex of digests.
//! - [`memory`]: jemalloc as the allocator on Linux (a render's many short-lived strings
//!   around a large working set), freed pages given back between phases.
//!
//! The edges of the program:
//!
//! - [`cli`]: the command line (the binary is a thin wrapper around it).
//! - [`serve`]: the HTTP API, `/metrics`, the probes and the dashboard of `refnet serve`
//!   (and a worker's `--metrics-bind`), behind sessions, security headers and JSON errors.
//! - [`testkit`] (feature `testkit`, and unit tests): fake outside services on loopback,
//!   synthetic corpora, checkers used by tests and benchmarks.

pub mod cli;
pub mod context;
pub mod crawl;
pub mod graph;
pub mod hex;
pub mod http;
pub mod ids;
pub mod library;
pub mod memory;
pub mod metrics;
pub mod openalex;
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
pub mod worker;
