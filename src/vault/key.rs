//! Which note a note is: the key refnet files each note under in its note state, stable
//! whatever the note's name or place (`paper:<s2 id>`, `author:<s2 author id>`,
//! `index:<crawl>`, `news:<crawl>:<run>`, `cluster:<crawl>:<cluster>`).

use std::fmt;
use std::str::FromStr;

/// The identity of a note refnet manages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoteKey {
    /// A paper's note, by S2 paper id.
    Paper(String),
    /// An author's note, by S2 author id.
    Author(String),
    /// A crawl's index note.
    Index(i64),
    /// The what's-new note of one refresh run of a crawl.
    News {
        /// The crawl.
        crawl: i64,
        /// The refresh's run.
        run: i64,
    },
    /// The note of one cluster of a crawl.
    Cluster {
        /// The crawl.
        crawl: i64,
        /// The cluster's id within the crawl.
        cluster: i64,
    },
}

impl NoteKey {
    /// A paper's note.
    pub fn paper(id: impl Into<String>) -> Self {
        Self::Paper(id.into())
    }

    /// An author's note.
    pub fn author(id: impl Into<String>) -> Self {
        Self::Author(id.into())
    }

    /// The paper id, for a paper's note.
    pub fn as_paper(&self) -> Option<&str> {
        match self {
            Self::Paper(id) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for NoteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Paper(id) => write!(f, "paper:{id}"),
            Self::Author(id) => write!(f, "author:{id}"),
            Self::Index(crawl) => write!(f, "index:{crawl}"),
            Self::News { crawl, run } => write!(f, "news:{crawl}:{run}"),
            Self::Cluster { crawl, cluster } => write!(f, "cluster:{crawl}:{cluster}"),
        }
    }
}

/// A stored key refnet does not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a note key refnet writes")]
pub struct BadNoteKey(String);

impl FromStr for NoteKey {
    type Err = BadNoteKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadNoteKey(s.to_owned());
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "paper" if !rest.is_empty() => Ok(Self::Paper(rest.to_owned())),
            "author" if !rest.is_empty() => Ok(Self::Author(rest.to_owned())),
            "index" => rest.parse().map(Self::Index).map_err(|_| bad()),
            "news" => {
                let (crawl, run) = rest.split_once(':').ok_or_else(bad)?;
                Ok(Self::News {
                    crawl: crawl.parse().map_err(|_| bad())?,
                    run: run.parse().map_err(|_| bad())?,
                })
            }
            "cluster" => {
                let (crawl, cluster) = rest.split_once(':').ok_or_else(bad)?;
                Ok(Self::Cluster {
                    crawl: crawl.parse().map_err(|_| bad())?,
                    cluster: cluster.parse().map_err(|_| bad())?,
                })
            }
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for NoteKey {
    type Error = BadNoteKey;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        stored.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_written_and_others_are_refused() {
        for key in [
            NoteKey::paper("649def34f8be52c8b66281af98ae884c09aef38b"),
            NoteKey::author("1741101"),
            NoteKey::Index(7),
            NoteKey::News { crawl: 7, run: 3 },
            NoteKey::Cluster { crawl: 7, cluster: 0 },
        ] {
            assert_eq!(key.to_string().parse::<NoteKey>(), Ok(key));
        }
        assert_eq!(NoteKey::Index(2).to_string(), "index:2");
        for bad in [
            "",
            "paper:",
            "index:x",
            "news:1",
            "news:1:x",
            "map:1",
            "paper",
            "cluster:1",
            "cluster:1:x",
        ] {
            assert!(bad.parse::<NoteKey>().is_err(), "{bad}");
        }
    }
}
