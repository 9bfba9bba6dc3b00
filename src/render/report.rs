//! What a render did, file by file and folder by folder, and recording it: which notes
//! now hold what their inputs make (so the next render leaves them alone unread), where
//! moved notes are, and the warnings a user must see.

use std::collections::BTreeMap;

use tracing::warn;

use super::RenderError;
use super::naming::Names;
use crate::context::Context;
use crate::store::{NoteRecord, now};
pub use crate::vault::write::FileFate;
use crate::vault::write::{Known, NoteOutcome, Outcome};

/// What became of the files of one folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FolderCounts {
    /// Files created.
    pub created: usize,
    /// Files whose text changed.
    pub updated: usize,
    /// Files left as they were: nothing to change.
    pub unchanged: usize,
    /// Files left alone because refnet cannot merge into them.
    pub skipped: usize,
    /// Files that could not be written.
    pub failed: usize,
}

/// What a render did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderReport {
    /// Counts per folder (vault-relative, `/` separators; `""` for the vault's root).
    pub folders: BTreeMap<String, FolderCounts>,
    /// Files left alone because they could not be read as notes (path, reason).
    pub skipped: Vec<(String, String)>,
    /// Files that could not be written (path, reason).
    pub failed: Vec<(String, String)>,
    /// Notes whose markers are broken: frontmatter updated only (path, problem).
    pub broken: Vec<(String, String)>,
    /// Files left holding what this render made of them (created, updated or unchanged).
    pub current: Vec<String>,
    /// Whether the render stopped early: nothing its notes are made from changed since the
    /// last complete render, and no file it left was touched.
    pub nothing_changed: bool,
}

impl RenderReport {
    /// Counts one file.
    pub fn count(&mut self, path: &str, fate: FileFate) {
        let folder = path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        let counts = self.folders.entry(folder.to_owned()).or_default();
        if matches!(fate, FileFate::Created | FileFate::Updated | FileFate::Unchanged) {
            self.current.push(path.to_owned());
        }
        match fate {
            FileFate::Created => counts.created += 1,
            FileFate::Updated => counts.updated += 1,
            FileFate::Unchanged => counts.unchanged += 1,
            FileFate::Skipped => counts.skipped += 1,
            FileFate::Failed => counts.failed += 1,
        }
    }

    /// Counts of every folder together.
    pub fn total(&self) -> FolderCounts {
        self.folders.values().fold(FolderCounts::default(), |mut t, c| {
            t.created += c.created;
            t.updated += c.updated;
            t.unchanged += c.unchanged;
            t.skipped += c.skipped;
            t.failed += c.failed;
            t
        })
    }

    /// Files considered.
    pub fn files(&self) -> usize {
        let t = self.total();
        t.created + t.updated + t.unchanged + t.skipped + t.failed
    }

    /// Files written (created or changed).
    pub fn written(&self) -> usize {
        let t = self.total();
        t.created + t.updated
    }

    /// Files left as they were.
    pub fn unchanged(&self) -> usize {
        self.total().unchanged
    }

    /// Adds another report's counts to this one.
    pub fn absorb(&mut self, other: RenderReport) {
        for (folder, c) in other.folders {
            let mine = self.folders.entry(folder).or_default();
            mine.created += c.created;
            mine.updated += c.updated;
            mine.unchanged += c.unchanged;
            mine.skipped += c.skipped;
            mine.failed += c.failed;
        }
        self.skipped.extend(other.skipped);
        self.failed.extend(other.failed);
        self.broken.extend(other.broken);
        self.current.extend(other.current);
    }
}

/// Counts what happened to each note, warns about the ones left alone or not written,
/// and records in the store where notes are and which now match their inputs.
pub(super) async fn record(
    ctx: &Context,
    names: &mut Names,
    outcomes: Vec<NoteOutcome>,
) -> Result<RenderReport, RenderError> {
    let mut report = RenderReport::default();
    let mut records = Vec::new();
    for o in outcomes {
        let (moved, known) = match names.row(&o.key) {
            Some(row) => (row.path() != o.path, row.known()),
            None => (false, None),
        };
        if moved {
            names.set_path(&o.key, &o.path);
        }
        let now_known = match (&o.stamp, o.is_current()) {
            (Some(stamp), true) => Some(Known {
                inputs: o.inputs.clone(),
                stamp: stamp.clone(),
            }),
            _ => None,
        };
        let content_hash = match &o.outcome {
            Outcome::Created(hash) | Outcome::Updated(hash) => Some(hash.clone()),
            Outcome::Broken { written, .. } => written.clone(),
            _ => None,
        };
        let fate = match o.outcome {
            Outcome::Created(_) => FileFate::Created,
            Outcome::Updated(_) => FileFate::Updated,
            Outcome::Unchanged => FileFate::Unchanged,
            Outcome::Skipped(reason) => {
                warn!(path = o.path, %reason, "note left alone");
                report.skipped.push((o.path.clone(), reason));
                FileFate::Skipped
            }
            Outcome::Failed(reason) => {
                warn!(path = o.path, %reason, "note not written");
                report.failed.push((o.path.clone(), reason));
                FileFate::Failed
            }
            Outcome::Broken { problem, written } => {
                warn!(path = o.path, %problem, "note markers are broken: only its frontmatter was updated; fix the markers to get its sections updated");
                report.broken.push((o.path.clone(), problem));
                if written.is_some() {
                    FileFate::Updated
                } else {
                    FileFate::Unchanged
                }
            }
        };
        report.count(&o.path, fate);
        ctx.counters.file(&o.path, fate);
        if content_hash.is_some() || moved || now_known != known {
            records.push(NoteRecord {
                key: o.key,
                path: o.path,
                content_hash,
                known: now_known,
            });
        }
    }
    ctx.store.record_notes(&records, now()).await?;
    Ok(report)
}
