//! What a summary is, and the seam between the two ways of making one: an LLM behind an
//! OpenAI-compatible API, or the built-in extractive summarizer (the offline default).

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

/// A summary's fixed structure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// One sentence.
    pub tldr: String,
    /// The problem the paper addresses.
    pub problem: String,
    /// How it addresses it.
    pub method: String,
    /// What it finds.
    pub results: String,
    /// What it does not do, or does not show.
    pub limitations: String,
}

impl Summary {
    /// Whether there is nothing in it.
    pub fn is_empty(&self) -> bool {
        [
            &self.tldr,
            &self.problem,
            &self.method,
            &self.results,
            &self.limitations,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// Where the summarized text came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The open-access PDF's full text.
    Pdf,
    /// The abstract.
    Abstract,
    /// S2's one-sentence TLDR.
    Tldr,
}

impl Source {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Abstract => "abstract",
            Self::Tldr => "tldr",
        }
    }

    /// How a note names it.
    pub fn describe(name: &str) -> &'static str {
        match name {
            "pdf" => "the open-access PDF's full text",
            "abstract" => "the abstract",
            "tldr" => "Semantic Scholar's TLDR",
            "title" => "the title only",
            _ => "an unknown source",
        }
    }
}

/// What to summarize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The paper's title.
    pub title: &'a str,
    /// The text.
    pub text: &'a str,
    /// Where the text came from.
    pub source: Source,
}

/// Why no summary was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummarizeError {
    /// The LLM refused the key: a configuration error; the stage pauses.
    #[error("{0}")]
    Unauthorized(String),
    /// The stage is paused by an earlier configuration error.
    #[error("summaries are paused: {0}")]
    Paused(String),
    /// The LLM is unreachable or unwell: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// This input cannot be summarized.
    #[error("{0}")]
    Failed(String),
}

/// A boxed future, so summarizers can be chosen at run time.
pub type SummaryFuture<'a> = Pin<Box<dyn Future<Output = Result<Summary, SummarizeError>> + Send + 'a>>;

/// A way of summarizing papers.
pub trait Summarizer: Send + Sync + std::fmt::Debug {
    /// The model name summaries are cached under.
    fn model(&self) -> &str;
    /// The prompt version summaries are cached under.
    fn prompt_version(&self) -> &str;
    /// Summarizes one paper's text.
    fn summarize<'a>(&'a self, request: Request<'a>) -> SummaryFuture<'a>;
    /// Whether [`Summarizer::summarize_here`] answers: the summarizer needs no I/O and no
    /// rate limit (the extractive one), so a batch of papers is summarized in one go.
    fn is_local(&self) -> bool {
        false
    }
    /// Summarizes on the calling thread when the summarizer [is local](Summarizer::is_local);
    /// `None` otherwise (an LLM is awaited through [`Summarizer::summarize`]).
    fn summarize_here(&self, _request: Request<'_>) -> Option<Summary> {
        None
    }
}
