//! Writing notes: find each note where it is now (the user may have moved it), merge
//! the fresh rendering into it, and write it only when its text changes. Blocking file
//! work, run off the async runtime by the caller.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::inputs::inputs_hash;
use super::merge::{self, Fresh, Merged, frontmatter_value};
use super::{Creation, Existing, NoteKey, Vault};

/// One note to write.
#[derive(Debug, Clone)]
pub struct NoteJob {
    /// Which note.
    pub key: NoteKey,
    /// Where the store last saw it (vault-relative).
    pub path: String,
    /// The fresh rendering.
    pub fresh: Fresh,
    /// Frontmatter keys refnet owns in this kind of note.
    pub owned: &'static [&'static str],
    /// The frontmatter key and value that identify the note if the user moved it.
    pub identity: (&'static str, String),
    /// A hash of what the note is made from (see [`inputs_hash`]).
    pub inputs: String,
    /// What was recorded when the note last matched its inputs: when it is `inputs`
    /// and the file's stamp has not moved, the note is left alone without being read.
    pub known: Option<Known>,
    /// The note's whole text and its hash, made ahead (see [`NoteJob::prepare_new`]) for
    /// a note that is not there yet: the writer then only writes it.
    pub new_text: Option<(String, String)>,
}

/// A note's inputs hash and its file's stamp ([`Vault::stamp`]) when it last held what
/// those inputs make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The inputs hash.
    pub inputs: String,
    /// The file's size and modification time then.
    pub stamp: String,
}

impl Known {
    /// Whether a note made from `inputs` at `path` is still what was written: same
    /// inputs, and a file nobody touched since (a stat, no read).
    pub fn still(&self, vault: &Vault, path: &str, inputs: &str) -> bool {
        self.inputs == inputs && vault.stamp(path).as_deref() == Some(self.stamp.as_str())
    }
}

impl NoteJob {
    /// A job whose inputs are its fresh rendering itself (for notes cheap to build): the
    /// note is read only when the rendering differs from the one last written.
    pub fn from_fresh(
        key: NoteKey,
        path: String,
        fresh: Fresh,
        owned: &'static [&'static str],
        identity: (&'static str, String),
        known: Option<Known>,
    ) -> Self {
        // The date is not an input: it changes only when the text does.
        let inputs = inputs_hash(&Undated(&fresh));
        Self {
            key,
            path,
            fresh,
            owned,
            identity,
            inputs,
            known,
            new_text: None,
        }
    }

    /// Makes the text the note gets if its file is missing, with `today` as its date,
    /// and that text's hash: work the threads that build notes can take off the one
    /// that writes them. A note whose file turns out to exist is merged as ever.
    pub fn prepare_new(&mut self, today: &str) {
        let text = compose_with_date(&self.fresh, today);
        let text_hash = hash(&text);
        self.new_text = Some((text, text_hash));
    }
}

/// What happened to one note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created; the hash of the text written.
    Created(String),
    /// Changed; the hash of the text written.
    Updated(String),
    /// Nothing changed.
    Unchanged,
    /// Left alone because it is not a note refnet can merge into (not UTF-8, too large,
    /// not a file, appeared while refnet wrote it): why.
    Skipped(String),
    /// Writing it failed (permissions, a full disk…): why. The run reports it as failed.
    Failed(String),
    /// Markers are broken: frontmatter only (hash when written), and the problem.
    Broken {
        /// What is wrong.
        problem: String,
        /// Hash of the text written, if the frontmatter changed.
        written: Option<String>,
    },
}

/// What a file came to, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFate {
    /// Created.
    Created,
    /// Changed.
    Updated,
    /// Left as it was.
    Unchanged,
    /// Left alone: not something refnet can merge into.
    Skipped,
    /// Writing it failed.
    Failed,
}

impl FileFate {
    /// How a summary names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

/// Keys merged as a union with what the user added, in every kind of note.
pub const UNION_KEYS: &[&str] = &["tags", "aliases"];

/// What became of one note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteOutcome {
    /// Which note.
    pub key: NoteKey,
    /// Where it is now, vault-relative.
    pub path: String,
    /// What happened.
    pub outcome: Outcome,
    /// Its inputs hash, to record when the note now matches it.
    pub inputs: String,
    /// The file's stamp after this render, when the note matches its inputs.
    pub stamp: Option<String>,
}

impl NoteOutcome {
    /// A note left alone without being built or read: its inputs have not changed, nor
    /// has its file.
    pub fn unchanged(key: NoteKey, path: String, known: &Known) -> Self {
        Self {
            key,
            path,
            outcome: Outcome::Unchanged,
            inputs: known.inputs.clone(),
            stamp: Some(known.stamp.clone()),
        }
    }

    /// Whether the note now holds what its inputs make (so its inputs hash can be kept).
    pub fn is_current(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Created(_) | Outcome::Updated(_) | Outcome::Unchanged
        )
    }
}

/// Writes the notes; `today` fills `refnet_updated` for notes whose text changes, and
/// `moved` (from [`find_moved`]) says where missing notes went.
pub fn write_notes(vault: &Vault, jobs: &[NoteJob], today: &str, moved: &Moved) -> Vec<NoteOutcome> {
    jobs.iter()
        .map(|job| {
            let path = locate(vault, job, moved);
            if let Some(known) = job.known.as_ref().filter(|k| k.still(vault, &path, &job.inputs)) {
                return NoteOutcome::unchanged(job.key.clone(), path, known);
            }
            let (written, stamp) = write_one(vault, &path, job, today);
            let mut outcome = NoteOutcome {
                key: job.key.clone(),
                outcome: written,
                inputs: job.inputs.clone(),
                stamp: None,
                path,
            };
            if outcome.is_current() {
                outcome.stamp = stamp.or_else(|| vault.stamp(&outcome.path));
            }
            outcome
        })
        .collect()
}

/// Where notes the user moved or renamed are now, as `identity key:value` → path.
pub type Moved = HashMap<String, String>;

/// Frontmatter keys that identify each kind of note.
const IDENTITY_KEYS: [&str; 5] = ["s2_id", "s2_author_id", "refnet_crawl", "refnet_news", "refnet_cluster"];

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

/// What became of one note, with the stamp of a file created (taken from the file
/// written, before anyone else could reach it).
///
/// A note the store has no record of (most likely missing) is created without looking
/// first, where creating can never replace a file ([`Vault::create_linked`]); only when
/// one is there after all (or that way is not there) is the path read, as for any note.
/// A look per note cost a stat each, 0.4 s of CPU at 100,000 notes.
fn write_one(vault: &Vault, path: &str, job: &NoteJob, today: &str) -> (Outcome, Option<String>) {
    let mut made = None;
    if job.known.is_none() {
        let (text, text_hash) = new_text(job, today);
        if let Some(Creation::Created(stamp)) = vault.create_linked(path, &text) {
            return (Outcome::Created(text_hash), stamp);
        }
        // Kept for the file found missing after all (where that way is not there).
        made = Some((text, text_hash));
    }
    write_read_first(vault, path, job, today, made)
}

/// The text of a note whose file is missing, and its hash: made ahead, or now.
fn new_text<'j>(job: &'j NoteJob, today: &str) -> (std::borrow::Cow<'j, str>, String) {
    match &job.new_text {
        Some((text, text_hash)) => (text.as_str().into(), text_hash.clone()),
        None => {
            let text = compose_with_date(&job.fresh, today);
            let text_hash = hash(&text);
            (text.into(), text_hash)
        }
    }
}

/// [`write_one`], the path read before anything is written; `made` is the text of a
/// missing file and its hash, when made already.
fn write_read_first(
    vault: &Vault,
    path: &str,
    job: &NoteJob,
    today: &str,
    made: Option<(std::borrow::Cow<'_, str>, String)>,
) -> (Outcome, Option<String>) {
    let result = match vault.read(path) {
        Existing::Unreadable(reason) => return (Outcome::Skipped(reason), None),
        Existing::Missing => {
            let (text, text_hash) = made.unwrap_or_else(|| new_text(job, today));
            match vault.create(path, &text) {
                Ok(Creation::Created(stamp)) => return (Outcome::Created(text_hash), stamp),
                // Someone wrote it meanwhile: merge into theirs, as into any note.
                Ok(Creation::Existed) if matches!(vault.read(path), Existing::Text(_)) => {
                    return write_read_first(vault, path, job, today, None);
                }
                Ok(Creation::Existed) => Ok(Outcome::Skipped("it appeared while refnet wrote it".to_owned())),
                Err(e) => Err(e),
            }
        }
        Existing::Text(old) => {
            // Merge with the old date first: if nothing else changed, nothing is written.
            let previous = frontmatter_value(&old, "refnet_updated").unwrap_or_else(|| today.to_owned());
            let merge_on = |date: &str| {
                let entry = date_entry(date);
                merge::merge_dated(&old, &job.fresh, Some((DATE_KEY, &entry)), job.owned, UNION_KEYS)
            };
            match merge_on(&previous) {
                Merged::Unchanged => Ok(Outcome::Unchanged),
                Merged::Changed(_) | Merged::BrokenMarkers { .. } => match merge_on(today) {
                    Merged::Unchanged => Ok(Outcome::Unchanged),
                    Merged::Changed(text) => vault.write(path, &text).map(|()| Outcome::Updated(hash(&text))),
                    Merged::BrokenMarkers { text, problem } if text != old => {
                        vault.write(path, &text).map(|()| Outcome::Broken {
                            problem,
                            written: Some(hash(&text)),
                        })
                    }
                    Merged::BrokenMarkers { problem, .. } => Ok(Outcome::Broken { problem, written: None }),
                },
            }
        }
    };
    (result.unwrap_or_else(|e| Outcome::Failed(e.to_string())), None)
}

/// Writes a whole file refnet owns (a canvas, the bibliography) when its text changes,
/// and says what became of it.
pub fn write_if_changed(vault: &Vault, path: &str, text: &str) -> Result<FileFate, super::VaultError> {
    write_parts_if_changed(vault, path, &[text])
}

/// [`write_if_changed`] for a text given in parts, never joined in memory: a vault's
/// bibliography outgrows any note (about 300 bytes a paper, 30 MB at 100,000).
pub fn write_parts_if_changed(vault: &Vault, path: &str, parts: &[&str]) -> Result<FileFate, super::VaultError> {
    let bytes: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    // Compared byte for byte, whatever the size.
    if vault.same_parts(path, &bytes) {
        return Ok(FileFate::Unchanged);
    }
    let existed = vault.exists(path);
    vault.write_parts(path, &bytes)?;
    Ok(if existed { FileFate::Updated } else { FileFate::Created })
}

/// The frontmatter key of the date a note was last written.
const DATE_KEY: &str = "refnet_updated";

/// `fresh` with its `refnet_updated` set to `date` (what the dated compose and merge
/// stand for, without the copy; the tests compare them with it).
#[cfg(test)]
fn with_date(fresh: &Fresh, date: &str) -> Fresh {
    let mut out = fresh.clone();
    for (key, entry) in &mut out.frontmatter {
        if key == DATE_KEY {
            *entry = date_entry(date);
        }
    }
    out
}

/// The note's text as created on `date`.
fn compose_with_date(fresh: &Fresh, date: &str) -> String {
    merge::compose_dated(fresh, Some((DATE_KEY, &date_entry(date))))
}

fn date_entry(date: &str) -> String {
    format!("{DATE_KEY}: {date}\n")
}

/// A rendering hashed as [`with_date`] of it with an empty date would hash, without
/// copying it: `String`, `&str` and tuples of them hash alike, so the hash is the same.
struct Undated<'a>(&'a Fresh);

impl std::hash::Hash for Undated<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let empty = date_entry("");
        let frontmatter: Vec<(&str, &str)> = (self.0.frontmatter.iter())
            .map(|(key, entry)| {
                (
                    key.as_str(),
                    if key == DATE_KEY {
                        empty.as_str()
                    } else {
                        entry.as_str()
                    },
                )
            })
            .collect();
        frontmatter.hash(state);
        self.0.regions.hash(state);
        self.0.tail.hash(state);
    }
}

/// Hex SHA-256 of a text.
pub fn hash(text: &str) -> String {
    crate::hex::hex(&Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Fresh {
        Fresh {
            frontmatter: vec![
                ("title".into(), "title: A\n".into()),
                (DATE_KEY.into(), format!("{DATE_KEY}: 2026-01-02\n")),
                ("year".into(), "year: 2020\n".into()),
            ],
            regions: vec![("links".into(), "- [[B]]\n".into())],
            tail: "## Notes\n".into(),
        }
    }

    #[test]
    fn the_undated_hash_is_the_hash_of_the_rendering_with_an_empty_date() {
        let f = fresh();
        assert_eq!(inputs_hash(&Undated(&f)), inputs_hash(&with_date(&f, "")));
        let mut other = f.clone();
        other.frontmatter[2].1 = "year: 2021\n".into();
        assert_ne!(inputs_hash(&Undated(&f)), inputs_hash(&Undated(&other)));
        let mut redated = f.clone();
        redated.frontmatter[1].1 = format!("{DATE_KEY}: 2027-01-01\n");
        assert_eq!(inputs_hash(&Undated(&f)), inputs_hash(&Undated(&redated)));
    }

    #[test]
    fn a_note_composed_with_a_date_is_the_dated_rendering_composed() {
        let f = fresh();
        let text = compose_with_date(&f, "2030-05-06");
        assert_eq!(text, merge::compose(&with_date(&f, "2030-05-06")));
        assert!(text.contains("refnet_updated: 2030-05-06\n"), "{text}");
        assert!(!text.contains("2026-01-02"), "{text}");
    }

    #[test]
    fn a_note_merged_with_a_date_is_the_dated_rendering_merged() {
        let f = fresh();
        let owned = ["title", DATE_KEY, "year"];
        let old = "---\ntitle: Old\nmine: kept\nrefnet_updated: 2025-01-01\n---\n%% refnet:begin links %%\n- [[A]]\n%% refnet:end links %%\n\nMy own words.\n";
        let entry = date_entry("2030-05-06");
        let dated = merge::merge_dated(old, &f, Some((DATE_KEY, &entry)), &owned, UNION_KEYS);
        let copied = merge::merge(old, &with_date(&f, "2030-05-06"), &owned, UNION_KEYS);
        assert_eq!(dated, copied);
        let Merged::Changed(text) = dated else {
            panic!("the note changed: {dated:?}")
        };
        assert!(
            text.contains("refnet_updated: 2030-05-06\n") && text.contains("mine: kept\n"),
            "{text}"
        );
        assert!(text.contains("My own words.") && !text.contains("2026-01-02"), "{text}");
    }

    /// A note the store has no record of is created as made (ahead or by the writer)
    /// when its file is indeed missing, and merged into (the user's words kept) when a
    /// file is there after all.
    #[test]
    fn a_note_never_recorded_is_created_or_merged_into_what_is_there() {
        for ahead in [true, false] {
            let dir = tempfile::tempdir().expect("temp dir");
            let vault = Vault::open(dir.path()).expect("vault");
            let job = |path: &str| {
                let mut job = NoteJob::from_fresh(
                    NoteKey::paper(path),
                    path.to_owned(),
                    fresh(),
                    &["title", DATE_KEY, "year"],
                    ("s2_id", path.to_owned()),
                    None,
                );
                if ahead {
                    job.prepare_new("2030-05-06");
                }
                job
            };
            let mine = "---\ntitle: Old\nmine: kept\n---\nMy own words.\n";
            vault.write("refnet/papers/Theirs.md", mine).expect("the user's note");
            let jobs = [job("refnet/papers/New.md"), job("refnet/papers/Theirs.md")];
            let out = write_notes(&vault, &jobs, "2030-05-06", &Moved::new());
            let made = compose_with_date(&fresh(), "2030-05-06");
            assert_eq!(out[0].outcome, Outcome::Created(hash(&made)), "ahead: {ahead}");
            assert!(out[0].stamp.is_some());
            let written = std::fs::read_to_string(dir.path().join("refnet/papers/New.md")).expect("created");
            assert_eq!(written, made);
            let merged = std::fs::read_to_string(dir.path().join("refnet/papers/Theirs.md")).expect("still there");
            assert!(matches!(out[1].outcome, Outcome::Updated(_)), "{:?}", out[1].outcome);
            assert!(
                merged.contains("mine: kept\n") && merged.contains("My own words."),
                "{merged}"
            );
            assert!(merged.contains("title: A\n"), "{merged}");
        }
    }
}
