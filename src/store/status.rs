//! The stored enumerations (a crawl's direction and status, a PDF's status): each read
//! back through `TryFrom<String>`, so a value refnet never writes is a decode error that
//! names it ([`StoreError::Corrupt`](super::StoreError::Corrupt)), never a silent default.

use std::fmt;
use std::str::FromStr;

/// Reads a text column straight into an enum through its `TryFrom<String>`, on either
/// backend, so a value refnet never writes is a decode error naming it
/// ([`StoreError::Corrupt`]), never a default.
macro_rules! stored_enum {
    ($ty:ty) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(<$ty>::try_from(text)?)
            }
        }
    };
}
pub(crate) use stored_enum;

/// A stored value that is not one refnet writes (a damaged database, or one written by a
/// newer refnet): read back as an error, never as a default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {what} {value:?} is not one refnet writes (a damaged database, or one from a newer refnet)")]
pub struct CorruptValue {
    /// What the value is.
    pub what: &'static str,
    /// The value as stored.
    pub value: String,
}

/// Which way a crawl grows from each paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// What the paper cites (the default).
    References,
    /// What cites the paper.
    Citations,
    /// Both.
    Both,
}

impl Direction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::References => "references",
            Self::Citations => "citations",
            Self::Both => "both",
        }
    }

    /// Whether the crawl follows references.
    pub fn follows_references(self) -> bool {
        matches!(self, Self::References | Self::Both)
    }

    /// Whether the crawl follows citations.
    pub fn follows_citations(self) -> bool {
        matches!(self, Self::Citations | Self::Both)
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "references" | "refs" => Ok(Self::References),
            "citations" | "cites" => Ok(Self::Citations),
            "both" => Ok(Self::Both),
            _ => Err(format!("unknown direction {s:?}: use references, citations or both")),
        }
    }
}

impl TryFrom<String> for Direction {
    type Error = CorruptValue;

    /// A stored direction: only the names refnet writes.
    fn try_from(stored: String) -> Result<Self, Self::Error> {
        [Self::References, Self::Citations, Self::Both]
            .into_iter()
            .find(|d| d.as_str() == stored)
            .ok_or(CorruptValue {
                what: "crawl direction",
                value: stored,
            })
    }
}

/// Where a crawl's current run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrawlStatus {
    /// Its jobs are queued or running.
    Running,
    /// Finished: fetched, summarized and rendered.
    Done,
    /// Finished, but some of its jobs died (a summary given up, say): see the dead jobs.
    DoneWithFailures,
    /// Stopped by an error (kept in the crawl's `error`).
    Failed,
    /// Stopped by an operator: its waiting jobs were removed, running ones do nothing.
    Cancelled,
}

impl CrawlStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::DoneWithFailures => "done_with_failures",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl CrawlStatus {
    /// Whether the run is over (however it ended).
    pub fn is_over(self) -> bool {
        !matches!(self, Self::Running)
    }
}

impl fmt::Display for CrawlStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DoneWithFailures => "done with failures",
            other => other.as_str(),
        })
    }
}

impl TryFrom<String> for CrawlStatus {
    type Error = CorruptValue;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        [
            Self::Running,
            Self::Done,
            Self::DoneWithFailures,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == stored)
        .ok_or(CorruptValue {
            what: "crawl status",
            value: stored,
        })
    }
}

/// What became of a paper's PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PdfStatus {
    /// Its text was extracted and is usable.
    Text,
    /// A PDF came, without usable text (image-only, garbled, damaged, too slow).
    Rejected,
    /// No PDF came (refused address, HTTP error, not a PDF, too large).
    Failed,
}

impl PdfStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for PdfStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for PdfStatus {
    type Error = CorruptValue;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        [Self::Text, Self::Rejected, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == stored)
            .ok_or(CorruptValue {
                what: "PDF status",
                value: stored,
            })
    }
}

stored_enum!(Direction);
stored_enum!(CrawlStatus);
stored_enum!(PdfStatus);
stored_enum!(crate::ids::S2Id);
