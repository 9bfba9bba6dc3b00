//! Writing notes: find each note where it is now (the user may have moved it), merge
//! the fresh rendering into it, and write it only when its text changes. Blocking file
//! work, run off the async runtime by the caller.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::merge::{self, Fresh, Merged, compose, frontmatter_value};
use super::{Existing, Vault};

/// One note to write.
#[derive(Debug, Clone)]
pub struct NoteJob {
    /// `paper:<id>`, `author:<id>`, `index:<crawl>`.
    pub key: String,
    /// Where the store last saw it (vault-relative).
    pub path: String,
    /// The fresh rendering.
    pub fresh: Fresh,
    /// Frontmatter keys refnet owns in this kind of note.
    pub owned: &'static [&'static str],
    /// The frontmatter key and value that identify the note if the user moved it.
    pub identity: (&'static str, String),
}

/// What happened to one note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created or changed; the hash of the text written.
    Written(String),
    /// Nothing changed.
    Unchanged,
    /// Left alone (not UTF-8, too large, unreadable, or the write failed): why.
    Skipped(String),
    /// Markers are broken: frontmatter only (hash when written), and the problem.
    Broken {
        /// What is wrong.
        problem: String,
        /// Hash of the text written, if the frontmatter changed.
        written: Option<String>,
    },
}

/// Keys merged as a union with what the user added, in every kind of note.
pub const UNION_KEYS: &[&str] = &["tags", "aliases"];

/// What became of one note: (key, path now, outcome).
pub type NoteOutcome = (String, String, Outcome);

/// Writes the notes; `today` fills `refnet_updated` for notes whose text changes, and
/// `moved` (from [`find_moved`]) says where missing notes went. Returns (key, path now,
/// outcome) per note.
pub fn write_notes(vault: &Vault, jobs: &[NoteJob], today: &str, moved: &Moved) -> Vec<NoteOutcome> {
    jobs.iter()
        .map(|job| {
            let path = locate(vault, job, moved);
            let outcome = write_one(vault, &path, job, today);
            (job.key.clone(), path, outcome)
        })
        .collect()
}

/// Where notes the user moved or renamed are now, as `identity key:value` → path.
pub type Moved = HashMap<String, String>;

/// Frontmatter keys that identify each kind of note.
const IDENTITY_KEYS: [&str; 4] = ["s2_id", "s2_author_id", "refnet_crawl", "refnet_news"];

/// Finds notes refnet wrote before (`paths`) that are no longer where it wrote them, by
/// scanning the vault's frontmatter once — and only if one is missing, so a render of an
/// untouched vault reads no note twice.
pub fn find_moved(vault: &Vault, paths: &[String]) -> Moved {
    let missing = paths.iter().any(|p| !vault.path_of(p).is_some_and(|p| p.exists()));
    if missing {
        vault.notes_by_identity(&IDENTITY_KEYS)
    } else {
        Moved::new()
    }
}

/// Where a note is now: its recorded path, or wherever the user moved it.
fn locate(vault: &Vault, job: &NoteJob, moved: &Moved) -> String {
    // Nothing moved (the usual case): no need to look.
    if moved.is_empty() || vault.path_of(&job.path).is_some_and(|p| p.exists()) {
        return job.path.clone();
    }
    let (key, value) = &job.identity;
    moved
        .get(&format!("{key}:{value}"))
        .cloned()
        .unwrap_or_else(|| job.path.clone())
}

fn write_one(vault: &Vault, path: &str, job: &NoteJob, today: &str) -> Outcome {
    let result = match vault.read(path) {
        Existing::Unreadable(reason) => return Outcome::Skipped(reason),
        Existing::Missing => {
            let text = compose(&with_date(&job.fresh, today));
            match vault.create(path, &text) {
                Ok(true) => Ok(Outcome::Written(hash(&text))),
                // Someone wrote it meanwhile: merge into theirs, as into any note.
                Ok(false) if matches!(vault.read(path), Existing::Text(_)) => {
                    return write_one(vault, path, job, today);
                }
                Ok(false) => Ok(Outcome::Skipped("it appeared while refnet wrote it".to_owned())),
                Err(e) => Err(e),
            }
        }
        Existing::Text(old) => {
            // Merge with the old date first: if nothing else changed, nothing is written.
            let previous = frontmatter_value(&old, "refnet_updated").unwrap_or_else(|| today.to_owned());
            match merge::merge(&old, &with_date(&job.fresh, &previous), job.owned, UNION_KEYS) {
                Merged::Unchanged => Ok(Outcome::Unchanged),
                Merged::Changed(_) | Merged::BrokenMarkers { .. } => {
                    match merge::merge(&old, &with_date(&job.fresh, today), job.owned, UNION_KEYS) {
                        Merged::Unchanged => Ok(Outcome::Unchanged),
                        Merged::Changed(text) => vault.write(path, &text).map(|()| Outcome::Written(hash(&text))),
                        Merged::BrokenMarkers { text, problem } if text != old => {
                            vault.write(path, &text).map(|()| Outcome::Broken {
                                problem,
                                written: Some(hash(&text)),
                            })
                        }
                        Merged::BrokenMarkers { problem, .. } => Ok(Outcome::Broken { problem, written: None }),
                    }
                }
            }
        }
    };
    result.unwrap_or_else(|e| Outcome::Skipped(e.to_string()))
}

/// Writes a whole file refnet owns (a canvas, the bibliography) when its text changes.
/// Returns whether it was written.
pub fn write_if_changed(vault: &Vault, path: &str, text: &str) -> Result<bool, super::VaultError> {
    // Compared byte for byte, whatever the size: a vault's bibliography outgrows any
    // note (about 300 bytes a paper).
    if vault.same_content(path, text.as_bytes()) {
        return Ok(false);
    }
    vault.write(path, text)?;
    Ok(true)
}

/// `fresh` with its `refnet_updated` set to `date`.
fn with_date(fresh: &Fresh, date: &str) -> Fresh {
    let mut out = fresh.clone();
    for (key, entry) in &mut out.frontmatter {
        if key == "refnet_updated" {
            *entry = format!("refnet_updated: {date}\n");
        }
    }
    out
}

/// Hex SHA-256 of a text.
pub fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
