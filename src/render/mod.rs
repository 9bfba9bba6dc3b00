//! The render stage: the store's view of a crawl → notes in the vault.
//!
//! One `render` job renders a whole crawl: a note per paper in `refnet/papers/`, with
//! wikilinks between papers that have notes. Names are assigned once (safe, unique
//! vault-wide, case-insensitively) and frozen in the store; a note the user moved is found
//! again by its `s2_id`. Existing notes are merged, never replaced (see [`merge`]), and a
//! note whose text would not change is not written. File work runs off the async runtime.

pub mod escape;
pub mod merge;
pub mod names;
pub mod note;
pub mod people;
pub mod vault;

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use crate::context::Context;
use crate::store::{EdgeRow, NoteClaim, NoteRow, StoreError, StoredPaper, now};
use merge::{Fresh, Merged, compose, frontmatter_value};
use names::NoteName;
use note::{LinkItem, PAPER_KEYS, PaperInput, UNION_KEYS};
use vault::{Existing, Vault, VaultError};

/// Where paper notes go.
pub const PAPERS_DIR: &str = "refnet/papers";

/// What a render failed on.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The vault cannot be used.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The crawl is gone.
    #[error("crawl {0} does not exist: list crawls with `refnet crawls`")]
    NoCrawl(i64),
    /// The file worker died.
    #[error("rendering stopped unexpectedly: {0}")]
    Worker(String),
}

impl RenderError {
    /// Whether trying again later could help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Worker(_))
    }
}

/// What a render did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderReport {
    /// Notes considered.
    pub notes: usize,
    /// Files written (created or changed).
    pub written: usize,
    /// Files left alone because nothing changed.
    pub unchanged: usize,
    /// Notes left alone because they could not be read (path, reason).
    pub skipped: Vec<(String, String)>,
    /// Notes whose markers are broken: frontmatter updated only (path, problem).
    pub broken: Vec<(String, String)>,
}

/// One note to write: its key, where it goes, and its fresh rendering.
struct Job {
    key: String,
    path: String,
    fresh: Fresh,
}

enum Outcome {
    Written(String),
    Unchanged,
    Skipped(String),
    Broken { problem: String, written: Option<String> },
}

/// Renders every note of a crawl.
pub async fn render_crawl(ctx: &Context, crawl_id: i64) -> Result<RenderReport, RenderError> {
    let store = &ctx.store;
    let started = std::time::Instant::now();
    let vault = Vault::open(&ctx.settings.vault)?;
    store.crawl(crawl_id).await?.ok_or(RenderError::NoCrawl(crawl_id))?;
    let members: Vec<String> = store
        .members(crawl_id)
        .await?
        .into_iter()
        .filter(|m| m.missing.is_none())
        .map(|m| m.paper_id)
        .collect();
    let papers: BTreeMap<String, StoredPaper> = store
        .papers(&members)
        .await?
        .into_iter()
        .filter(|p| p.fetched_at.is_some())
        .map(|p| (p.paper_id.clone(), p))
        .collect();
    let members: Vec<String> = members.into_iter().filter(|id| papers.contains_key(id)).collect();

    let mut authors: HashMap<String, Vec<String>> = HashMap::new();
    for (paper, _, name) in store.authors_of(&members).await? {
        authors.entry(paper).or_default().push(name);
    }
    let mut note_rows: HashMap<String, NoteRow> = store
        .notes()
        .await?
        .into_iter()
        .map(|n| (n.note_key.clone(), n))
        .collect();
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: members loaded");
    assign_names(ctx, &vault, &members, &papers, &authors, &mut note_rows).await?;
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: names assigned");
    let noted: HashMap<String, NoteName> = note_rows
        .values()
        .filter_map(|row| {
            let id = row.note_key.strip_prefix("paper:")?;
            let name = row.path.rsplit('/').next()?.strip_suffix(".md")?;
            Some((id.to_owned(), NoteName::from_stored(name)?))
        })
        .collect();

    let edges = store.edges_touching(&members).await?;
    let member_set: HashSet<&str> = members.iter().map(String::as_str).collect();
    let neighbour_ids: Vec<String> = edges
        .iter()
        .flat_map(|e| [&e.citing, &e.cited])
        .filter(|id| !member_set.contains(id.as_str()))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Title and year of every paper a list can show: members from their records,
    // neighbours (often thousands, mostly stubs) with a light query.
    let mut titles: HashMap<String, (String, Option<i64>)> = papers
        .values()
        .map(|p| (p.paper_id.clone(), (note::display_title(p), p.year)))
        .collect();
    for (id, title, year) in store.paper_titles(&neighbour_ids).await? {
        let title = if title.trim().is_empty() {
            format!("Untitled paper {id}")
        } else {
            title
        };
        titles.insert(id, (title, year));
    }
    let noted_neighbours: Vec<String> = neighbour_ids
        .iter()
        .filter(|id| noted.contains_key(*id))
        .cloned()
        .collect();
    for (paper, _, name) in store.authors_of(&noted_neighbours).await? {
        authors.entry(paper).or_default().push(name);
    }

    debug!(crawl_id, elapsed = ?started.elapsed(), "render: links loaded");
    let today = chrono::Utc::now().date_naive().to_string();
    let link = |id: &str| -> Option<LinkItem> {
        let (title, year) = titles.get(id)?;
        Some(LinkItem {
            paper_id: id.to_owned(),
            note: noted.get(id).cloned(),
            cite: authors.get(id).map(|a| people::short_cite(a, *year)),
            title: title.clone(),
            year: *year,
        })
    };
    let (refs_of, cited_by_of) = adjacency(&edges);
    let mut jobs = Vec::with_capacity(members.len());
    for id in &members {
        let Some(row) = note_rows.get(&format!("paper:{id}")) else {
            continue;
        };
        let paper = &papers[id];
        let mut references: Vec<LinkItem> = refs_of
            .get(id.as_str())
            .into_iter()
            .flatten()
            .filter_map(|o| link(o))
            .collect();
        let mut cited_by: Vec<LinkItem> = cited_by_of
            .get(id.as_str())
            .into_iter()
            .flatten()
            .filter_map(|o| link(o))
            .collect();
        sort_links(&mut references);
        sort_links(&mut cited_by);
        let input = PaperInput {
            paper,
            authors: authors.get(id).cloned().unwrap_or_default(),
            references,
            cited_by,
            summary: Vec::new(),
            updated: today.clone(),
        };
        jobs.push(Job {
            key: row.note_key.clone(),
            path: row.path.clone(),
            fresh: note::paper_fresh(&input),
        });
    }
    debug!(crawl_id, elapsed = ?started.elapsed(), "render: notes built");
    write_notes(ctx, vault, jobs, today).await
}

/// Gives every member without a note a safe, unique name, claimed in the store.
async fn assign_names(
    ctx: &Context,
    vault: &Vault,
    members: &[String],
    papers: &BTreeMap<String, StoredPaper>,
    authors: &HashMap<String, Vec<String>>,
    note_rows: &mut HashMap<String, NoteRow>,
) -> Result<(), RenderError> {
    let missing: Vec<&String> = members
        .iter()
        .filter(|id| !note_rows.contains_key(&format!("paper:{id}")))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // Names of files refnet does not manage are the user's: never take them.
    let ours: HashSet<String> = note_rows.values().map(|r| r.name_key.clone()).collect();
    let vault_ = vault.clone();
    let on_disk = tokio::task::spawn_blocking(move || vault_.basenames())
        .await
        .map_err(|e| RenderError::Worker(e.to_string()))?;
    let users: HashSet<String> = on_disk.difference(&ours).cloned().collect();
    let wanted: Vec<NoteClaim> = missing
        .iter()
        .map(|id| {
            let names = authors.get(id.as_str()).map(Vec::as_slice).unwrap_or_default();
            NoteClaim {
                note_key: format!("paper:{id}"),
                candidates: name_candidates(&papers[id.as_str()], names)
                    .into_iter()
                    .filter(|c| !users.contains(&c.key()))
                    .map(|c| (format!("{PAPERS_DIR}/{c}.md"), c.key()))
                    .collect(),
            }
        })
        .collect();
    for row in ctx.store.claim_notes(&wanted, now()).await? {
        note_rows.insert(row.note_key.clone(), row);
    }
    Ok(())
}

/// Names to try, in order: the title, then with the year, then with a short id.
fn name_candidates(paper: &StoredPaper, authors: &[String]) -> Vec<NoteName> {
    let base = NoteName::from_title(&note::display_title(paper));
    let mut out = vec![base.clone()];
    if let Some(year) = paper.year {
        out.push(base.with_suffix(&year.to_string()));
        if let Some(first) = authors.first() {
            out.push(base.with_suffix(&format!("{} {year}", people::surname(first))));
        }
    }
    let short = &paper.paper_id[..paper.paper_id.len().min(8)];
    out.push(base.with_suffix(short));
    out.push(base.with_suffix(&paper.paper_id));
    out
}

/// Neighbours per paper.
type Neighbours<'a> = HashMap<&'a str, Vec<&'a str>>;

/// Outgoing and incoming neighbours per paper.
fn adjacency(edges: &[EdgeRow]) -> (Neighbours<'_>, Neighbours<'_>) {
    let mut refs: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut cited_by: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in edges {
        refs.entry(&e.citing).or_default().push(&e.cited);
        cited_by.entry(&e.cited).or_default().push(&e.citing);
    }
    (refs, cited_by)
}

/// Papers with notes first, then newest first, then by title.
fn sort_links(items: &mut [LinkItem]) {
    items.sort_by(|a, b| {
        b.note
            .is_some()
            .cmp(&a.note.is_some())
            .then_with(|| b.year.cmp(&a.year))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.paper_id.cmp(&b.paper_id))
    });
}

/// Merges and writes the notes off the runtime, then records what was written.
async fn write_notes(ctx: &Context, vault: Vault, jobs: Vec<Job>, today: String) -> Result<RenderReport, RenderError> {
    let vault_ = vault.clone();
    let outcomes = tokio::task::spawn_blocking(move || {
        let mut moved: Option<HashMap<String, String>> = None;
        jobs.into_iter()
            .map(|job| {
                let path = locate(&vault_, &job, &mut moved);
                let outcome = write_one(&vault_, &path, &job.fresh, &today);
                (job.key, path, outcome)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| RenderError::Worker(e.to_string()))?;
    debug!(files = outcomes.len(), "render: files merged and written");

    let mut report = RenderReport::default();
    let mut written = Vec::new();
    for (key, path, outcome) in outcomes {
        report.notes += 1;
        match outcome {
            Outcome::Written(text) => {
                report.written += 1;
                ctx.counters.notes_written.inc();
                written.push((key, path, hash(&text)));
            }
            Outcome::Unchanged => {
                report.unchanged += 1;
                ctx.counters.notes_unchanged.inc();
            }
            Outcome::Skipped(reason) => {
                warn!(path, %reason, "note left alone");
                report.skipped.push((path, reason));
            }
            Outcome::Broken { problem, written: text } => {
                warn!(path, %problem, "note markers are broken: only its frontmatter was updated; fix the markers to get its sections updated");
                if let Some(text) = text {
                    report.written += 1;
                    ctx.counters.notes_written.inc();
                    written.push((key, path.clone(), hash(&text)));
                }
                report.broken.push((path, problem));
            }
        }
    }
    ctx.store.record_notes(&written, now()).await?;
    Ok(report)
}

/// Where a note is now: its recorded path, or wherever the user moved it (found by
/// `s2_id`, scanning the vault once per render and only if some note went missing).
fn locate(vault: &Vault, job: &Job, moved: &mut Option<HashMap<String, String>>) -> String {
    if vault.path_of(&job.path).is_some_and(|p| p.exists()) {
        return job.path.clone();
    }
    let Some(s2_id) = job.key.strip_prefix("paper:") else {
        return job.path.clone();
    };
    let found = moved.get_or_insert_with(|| vault.notes_by_s2_id());
    found.get(s2_id).cloned().unwrap_or_else(|| job.path.clone())
}

fn write_one(vault: &Vault, path: &str, fresh: &Fresh, today: &str) -> Outcome {
    let result = match vault.read(path) {
        Existing::Unreadable(reason) => return Outcome::Skipped(reason),
        Existing::Missing => {
            let text = compose(&with_date(fresh, today));
            vault.write(path, &text).map(|()| Outcome::Written(text))
        }
        Existing::Text(old) => {
            // Merge with the old date first: if nothing else changed, nothing is written.
            let previous = frontmatter_value(&old, "refnet_updated").unwrap_or_else(|| today.to_owned());
            match merge::merge(&old, &with_date(fresh, &previous), PAPER_KEYS, UNION_KEYS) {
                Merged::Unchanged => Ok(Outcome::Unchanged),
                Merged::Changed(_) | Merged::BrokenMarkers { .. } => {
                    match merge::merge(&old, &with_date(fresh, today), PAPER_KEYS, UNION_KEYS) {
                        Merged::Unchanged => Ok(Outcome::Unchanged),
                        Merged::Changed(text) => vault.write(path, &text).map(|()| Outcome::Written(text)),
                        Merged::BrokenMarkers { text, problem } if text != old => {
                            vault.write(path, &text).map(|()| Outcome::Broken {
                                problem,
                                written: Some(text),
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

fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
