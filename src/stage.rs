//! The pipeline's stages, each with its own queue: the one vocabulary shared by the
//! queue, the workers, the metrics and the command line.

use std::fmt;

use crate::settings::QueueSettings;

/// A pipeline stage, with its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Fetch papers from Semantic Scholar.
    Crawl,
    /// PDF → text → summary.
    Summarize,
    /// Write notes into the vault.
    Render,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 3] = [Stage::Crawl, Stage::Summarize, Stage::Render];

    /// The queue's name. Set explicitly: apalis would otherwise use the Rust type name,
    /// and renaming a type would orphan its queued jobs.
    pub fn queue(self) -> &'static str {
        match self {
            Self::Crawl => "crawl",
            Self::Summarize => "summarize",
            Self::Render => "render",
        }
    }

    /// Attempts before a job of this stage is dead.
    pub fn max_attempts(self, queue: &QueueSettings) -> usize {
        let n = &queue.max_attempts;
        match self {
            Self::Crawl => n.crawl,
            Self::Summarize => n.summarize,
            Self::Render => n.render,
        }
        .max(1)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.queue())
    }
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "crawl" => Ok(Self::Crawl),
            "summarize" => Ok(Self::Summarize),
            "render" => Ok(Self::Render),
            _ => Err(format!("unknown stage {s:?}: use crawl, summarize or render")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_are_the_queue_names() {
        for stage in Stage::ALL {
            assert_eq!(stage.queue().parse::<Stage>(), Ok(stage));
        }
        assert!("crawler".parse::<Stage>().is_err());
    }
}
