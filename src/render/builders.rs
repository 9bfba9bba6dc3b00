//! A chunk of notes built on two threads while a third writes them: what paper notes and
//! author notes share. Building (templates, hashes, link lists) is CPU work and the
//! slower half; writing is mostly kernel time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Mutex, PoisonError};

use super::RenderError;
use super::book::Work;
use crate::vault::Vault;
use crate::vault::write::{self, Moved, NoteOutcome};

/// Notes handed from a builder to the writer at a time: a hand-off per note cost two
/// context switches each.
const HANDOFF: usize = 32;

/// Threads building notes while one writes them: the machines refnet runs on have two
/// cores or more, and building is the slower half.
const BUILDERS: usize = 2;

/// Builds the notes of `items` with `build` (`None`: the item has no note) and writes
/// them; gives back each note's outcome and what else `build` made of each item (a
/// paper's BibTeX entry, say), in no particular order. One thread writes while the others
/// build (threads creating files in the same folder only queue for its lock); a builder
/// with nothing left to build helps write what is still queued, so the chunk does not
/// end on the writer alone.
pub(super) fn build_and_write<T: Sync, E: Send>(
    vault: &Vault,
    items: &[T],
    today: &str,
    moved: &Moved,
    build: impl Fn(&T) -> Option<(Work, Option<E>)> + Sync,
) -> Result<(Vec<NoteOutcome>, Vec<E>), RenderError> {
    let next = AtomicUsize::new(0);
    let (built, works) = std::sync::mpsc::sync_channel::<Vec<Work>>(4);
    let works = Mutex::new(works);
    let write = || write_queued(vault, &works, today, moved);
    std::thread::scope(|scope| {
        let builders: Vec<_> = (0..BUILDERS)
            .map(|_| {
                let (built, next, build, write) = (built.clone(), &next, &build, &write);
                scope.spawn(move || {
                    let extras = build_part(items, next, build, &built);
                    // Done building: this builder's sender goes, and it writes with the
                    // writer until the queue is empty and the last sender gone.
                    drop(built);
                    (write(), extras)
                })
            })
            .collect();
        drop(built);
        let mut out = write();
        // A builder that panicked is a bug: the render fails (and is retried, then dead
        // with this reason) rather than reporting its notes as written.
        let mut extras = Vec::new();
        for builder in builders {
            let (written, made) = builder
                .join()
                .map_err(|_| RenderError::Worker("a render thread panicked".to_owned()))?;
            out.extend(written);
            extras.extend(made);
        }
        Ok((out, extras))
    })
}

/// Writes the notes queued in `works` until it is empty and no builder is left.
fn write_queued(vault: &Vault, works: &Mutex<Receiver<Vec<Work>>>, today: &str, moved: &Moved) -> Vec<NoteOutcome> {
    let mut out = Vec::new();
    loop {
        // The lock is held only to take a batch (a poisoned lock still holds the queue).
        let batch = works.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(batch) = batch else { return out };
        for work in batch {
            match work {
                Work::Write(job) => out.extend(write::write_notes(vault, std::slice::from_ref(&job), today, moved)),
                Work::Unchanged(outcome) => out.push(outcome),
            }
        }
    }
}

/// Builds notes of `items` until none is left, taking them a hand-off at a time from
/// `next` (shared with the other builders, so none idles while another still has a long
/// part), and handing them to the writer; gives back what else was made of them.
fn build_part<T, E>(
    items: &[T],
    next: &AtomicUsize,
    build: &impl Fn(&T) -> Option<(Work, Option<E>)>,
    built: &SyncSender<Vec<Work>>,
) -> Vec<E> {
    let mut extras = Vec::new();
    loop {
        let start = next.fetch_add(HANDOFF, Ordering::Relaxed);
        let Some(part) = items.get(start..items.len().min(start + HANDOFF)) else {
            return extras;
        };
        let mut batch = Vec::with_capacity(part.len());
        for item in part {
            let Some((work, extra)) = build(item) else {
                continue;
            };
            extras.extend(extra);
            batch.push(work);
        }
        if !batch.is_empty() && built.send(batch).is_err() {
            return extras;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::NoteKey;
    use crate::vault::merge::Fresh;
    use crate::vault::write::{NoteJob, Outcome};

    /// Item `i`'s note: a line of text at its own path.
    fn job(i: usize) -> NoteJob {
        let path = format!("refnet/papers/N{i}.md");
        let fresh = Fresh {
            frontmatter: vec![("title".into(), format!("title: N{i}\n"))],
            regions: vec![("links".into(), format!("- [[N{}]]\n", i + 1))],
            tail: String::new(),
        };
        NoteJob::from_fresh(
            NoteKey::paper(path.as_str()),
            path.clone(),
            fresh,
            &["title"],
            ("s2_id", path),
            None,
        )
    }

    /// Far more notes than one hand-off, some without a note, some left as they were:
    /// every note is written once (by whichever thread), every outcome comes back once,
    /// and so does everything else made of an item.
    #[test]
    fn every_note_is_written_once_and_every_outcome_comes_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = Vault::open(dir.path()).expect("vault");
        let items: Vec<usize> = (0..HANDOFF * BUILDERS * 9 + 5).collect();
        let left = |i: usize| i.is_multiple_of(5);
        let (outcomes, mut extras) = build_and_write(&vault, &items, "2030-01-02", &Moved::new(), |&i| {
            if i % 7 == 3 {
                return None;
            }
            let work = if left(i) {
                Work::Unchanged(NoteOutcome {
                    key: NoteKey::paper(format!("left{i}").as_str()),
                    path: format!("refnet/papers/L{i}.md"),
                    outcome: Outcome::Unchanged,
                    inputs: String::new(),
                    stamp: None,
                })
            } else {
                Work::Write(job(i))
            };
            Some((work, Some(i)))
        })
        .expect("built and written");
        let noted: Vec<usize> = items.iter().copied().filter(|i| i % 7 != 3).collect();
        extras.sort_unstable();
        assert_eq!(extras, noted);
        assert_eq!(outcomes.len(), noted.len(), "one outcome per note");
        let mut paths: Vec<&str> = outcomes.iter().map(|o| o.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), outcomes.len(), "no note came back twice");
        for o in &outcomes {
            let i: usize = o
                .path
                .trim_start_matches("refnet/papers/")
                .trim_start_matches(['N', 'L'])
                .trim_end_matches(".md")
                .parse()
                .expect("an item's path");
            if left(i) {
                assert_eq!(o.outcome, Outcome::Unchanged);
                assert!(!dir.path().join(&o.path).exists(), "a note left alone is not written");
            } else {
                assert!(matches!(o.outcome, Outcome::Created(_)), "{:?}", o.outcome);
                let text = std::fs::read_to_string(dir.path().join(&o.path)).expect("written");
                assert!(text.contains(&format!("title: N{i}\n")), "{text}");
            }
        }
        let files = std::fs::read_dir(dir.path().join("refnet/papers"))
            .expect("folder")
            .count();
        assert_eq!(files, noted.iter().filter(|&&i| !left(i)).count());
    }
}
