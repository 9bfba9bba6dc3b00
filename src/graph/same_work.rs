//! One note per work: finding the papers S2 holds twice (a preprint and its published
//! version, with different paper ids), and which of each group the vault shows.
//!
//! Two papers are one work when they share a DOI, an arXiv id or a PubMed id, or else
//! when their normalised titles and first authors' surnames are equal and their years
//! at most two apart — for titles long enough to name one work and not a recurring
//! kind of piece ("Introduction", "Reply to the comments" never merge), and never when both carry different publishers' DOIs (a
//! conference paper and its journal version are two entries). The paper kept is the
//! published one (a journal or proceedings, a publisher's DOI), then the more cited. Pure:
//! the render stage stores what it finds; a user can undo a merge (`refnet papers unmerge`),
//! after which the pair is never merged again.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::store::{IdentityKeys, IdentityRow};

/// Shortest title (in normalised characters and words) matched on its own.
const MIN_TITLE_CHARS: usize = 20;
const MIN_TITLE_WORDS: usize = 4;
/// Title openings of short pieces that recur under one title (replies, corrections,
/// front matter): never matched by title.
const GENERIC_OPENINGS: &[&str] = &[
    "reply",
    "response to",
    "comment on",
    "comments on",
    "correction",
    "erratum",
    "corrigendum",
    "retraction",
    "editorial",
    "introduction",
    "preface",
    "foreword",
    "book review",
    "review of",
    "letter",
    "in memoriam",
    "obituary",
    "discussion",
    "author index",
    "contents",
];
/// Most years apart a preprint and its publication may be.
const MAX_YEARS_APART: i64 = 2;

/// DOI prefixes of preprint servers (arXiv, bioRxiv/medRxiv, SSRN, Research Square,
/// ChemRxiv, OSF, Preprints.org, TechRxiv).
const PREPRINT_DOIS: &[&str] = &[
    "10.48550/",
    "10.1101/",
    "10.2139/ssrn",
    "10.21203/rs.",
    "10.26434/chemrxiv",
    "10.31219/osf",
    "10.20944/preprints",
    "10.36227/techrxiv",
];

/// Venue names of preprint servers.
const PREPRINT_VENUES: &[&str] = &[
    "arxiv",
    "biorxiv",
    "medrxiv",
    "ssrn",
    "research square",
    "chemrxiv",
    "osf preprints",
    "techrxiv",
    "preprints",
];

/// A merge found: `merged` folds into `kept`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameWork {
    /// The paper without a note of its own.
    pub merged: String,
    /// The paper whose note shows both.
    pub kept: String,
    /// Why, for the user (`shared DOI 10.…`, `same title, first author and year`).
    pub reason: String,
}

/// The papers among `keys` that may be one work with another (their indexes, in
/// order): those sharing an external id or a distinctive title with another. [`find`]
/// over only these, in the same order, finds what it finds over all (the others join
/// nothing), so only these need reading in full.
pub fn candidates(keys: &[IdentityKeys]) -> Vec<usize> {
    let mut first_with: HashMap<String, usize> = HashMap::with_capacity(keys.len() * 2);
    let mut shared = vec![false; keys.len()];
    for (i, k) in keys.iter().enumerate() {
        let title = distinctive_title(&k.title).map(|t| format!("title {t}"));
        for key in id_keys(k.doi.as_deref(), k.arxiv.as_deref(), &k.external_ids)
            .into_iter()
            .chain(title)
        {
            match first_with.get(&key) {
                Some(&first) => {
                    shared[first] = true;
                    shared[i] = true;
                }
                None => {
                    first_with.insert(key, i);
                }
            }
        }
    }
    (0..keys.len()).filter(|&i| shared[i]).collect()
}

/// The merges among `papers`: none with a refused pair (given as (smaller, larger)).
pub fn find<S: std::hash::BuildHasher>(
    papers: &[IdentityRow],
    refused: &HashSet<(String, String), S>,
) -> Vec<SameWork> {
    let mut sets = Sets::new(papers.len());
    let mut reason_of: HashMap<usize, String> = HashMap::new();
    let is_refused = |a: usize, b: usize| {
        let (x, y) = (&papers[a].paper_id, &papers[b].paper_id);
        let pair = if x < y {
            (x.clone(), y.clone())
        } else {
            (y.clone(), x.clone())
        };
        refused.contains(&pair)
    };
    let mut join = |sets: &mut Sets, a: usize, b: usize, why: String| {
        if a != b && !is_refused(a, b) && sets.union(a, b) {
            reason_of.entry(a).or_insert_with(|| why.clone());
            reason_of.entry(b).or_insert(why);
        }
    };

    // Shared external ids.
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in papers.iter().enumerate() {
        for key in id_keys(p.doi.as_deref(), p.arxiv.as_deref(), &p.external_ids) {
            by_id.entry(key).or_default().push(i);
        }
    }
    for (key, group) in &by_id {
        for &other in &group[1..] {
            join(&mut sets, group[0], other, format!("shared {key}"));
        }
    }

    // Same distinctive title, first author and (nearly) year.
    let mut by_title: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, p) in papers.iter().enumerate() {
        if let (Some(title), Some(author)) = (distinctive_title(&p.title), p.first_author.as_deref().and_then(surname))
        {
            by_title.entry((title, author)).or_default().push(i);
        }
    }
    for group in by_title.values() {
        for (n, &a) in group.iter().enumerate() {
            for &b in &group[n + 1..] {
                let (pa, pb) = (&papers[a], &papers[b]);
                let near = match (pa.year, pb.year) {
                    (Some(x), Some(y)) => (x - y).abs() <= MAX_YEARS_APART,
                    _ => false,
                };
                if near && !two_publishers(pa, pb) {
                    join(&mut sets, a, b, "same title, first author and year".to_owned());
                }
            }
        }
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..papers.len() {
        groups.entry(sets.root(i)).or_default().push(i);
    }
    let mut out = Vec::new();
    for members in groups.values().filter(|g| g.len() > 1) {
        let Some(&kept) = members.iter().max_by(|&&a, &&b| {
            let (pa, pb) = (&papers[a], &papers[b]);
            (
                published_score(pa),
                pa.citation_count.unwrap_or(0),
                std::cmp::Reverse(&pa.paper_id),
            )
                .cmp(&(
                    published_score(pb),
                    pb.citation_count.unwrap_or(0),
                    std::cmp::Reverse(&pb.paper_id),
                ))
        }) else {
            continue;
        };
        for &m in members.iter().filter(|&&m| m != kept && !is_refused(m, kept)) {
            out.push(SameWork {
                merged: papers[m].paper_id.clone(),
                kept: papers[kept].paper_id.clone(),
                reason: reason_of.get(&m).cloned().unwrap_or_default(),
            });
        }
    }
    out
}

/// The external ids two records of one work share.
fn id_keys(doi: Option<&str>, arxiv: Option<&str>, external_ids: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(doi) = doi.filter(|d| !d.is_empty()) {
        keys.push(format!("DOI {}", doi.to_lowercase()));
    }
    if let Some(arxiv) = arxiv.filter(|a| !a.is_empty()) {
        keys.push(format!("arXiv id {}", arxiv.to_lowercase()));
    }
    if let Ok(serde_json::Value::Object(ids)) = serde_json::from_str::<serde_json::Value>(external_ids)
        && let Some(pmid) = ids.get("PubMed")
    {
        let pmid = pmid.as_str().map(ToOwned::to_owned).unwrap_or_else(|| pmid.to_string());
        if !pmid.is_empty() && pmid != "null" {
            keys.push(format!("PubMed id {pmid}"));
        }
    }
    keys
}

/// Lower-case ASCII words of a title, when it is long enough to name one work.
fn distinctive_title(title: &str) -> Option<String> {
    let words = normalise(title);
    let count = words.split(' ').filter(|w| !w.is_empty()).count();
    let generic = GENERIC_OPENINGS.iter().any(|g| words.starts_with(g));
    (words.len() >= MIN_TITLE_CHARS && count >= MIN_TITLE_WORDS && !generic).then_some(words)
}

/// The last word of a name, normalised (`Ashish Vaswani` → `vaswani`).
fn surname(name: &str) -> Option<String> {
    normalise(name)
        .rsplit(' ')
        .next()
        .filter(|s| !s.is_empty())
        .map(ToOwned::to_owned)
}

fn normalise(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let kept: String = ascii
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_preprint_doi(doi: &str) -> bool {
    PREPRINT_DOIS.iter().any(|p| doi.starts_with(p))
}

fn is_preprint_venue(venue: &str) -> bool {
    let v = venue.to_lowercase();
    PREPRINT_VENUES.iter().any(|p| v.contains(p))
}

/// Both carry a publisher's DOI, and they differ: two published entries.
fn two_publishers(a: &IdentityRow, b: &IdentityRow) -> bool {
    match (a.doi.as_deref(), b.doi.as_deref()) {
        (Some(x), Some(y)) => x != y && !is_preprint_doi(x) && !is_preprint_doi(y),
        _ => false,
    }
}

/// How clearly a record is the published version.
fn published_score(p: &IdentityRow) -> i32 {
    let mut score = 0;
    if p.journal
        .as_deref()
        .is_some_and(|j| !j.trim().is_empty() && !is_preprint_venue(j))
    {
        score += 4;
    }
    if p.publication_types.contains("JournalArticle") || p.publication_types.contains("Conference") {
        score += 2;
    }
    if p.doi.as_deref().is_some_and(|d| !is_preprint_doi(d)) {
        score += 2;
    }
    if p.venue.as_deref().is_some_and(is_preprint_venue) {
        score -= 3;
    }
    score
}

/// Union-find over indexes.
struct Sets(Vec<usize>);

impl Sets {
    fn new(n: usize) -> Self {
        Self((0..n).collect())
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    /// Joins the sets of `a` and `b`; `false` when they were one already.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return false;
        }
        self.0[ra.max(rb)] = ra.min(rb);
        true
    }
}

/// Each merged paper's kept paper, following chains (a kept paper later merged itself)
/// to their end; a cycle (never written, but a store is outside input) is cut.
pub fn resolve(merges: &[(String, String)]) -> HashMap<String, String> {
    let direct: HashMap<&str, &str> = merges.iter().map(|(m, k)| (m.as_str(), k.as_str())).collect();
    let mut out = HashMap::with_capacity(direct.len());
    for &start in direct.keys() {
        let mut at = start;
        let mut seen = HashSet::from([start]);
        while let Some(&next) = direct.get(at) {
            if !seen.insert(next) {
                // A cycle: its smallest id stands for all of it.
                at = seen.iter().min().copied().unwrap_or(start);
                break;
            }
            at = next;
        }
        if at != start {
            out.insert(start.to_owned(), at.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests;
