//! The notes refnet writes, one module per kind: [`paper`], [`author`], [`index`] (one per
//! crawl), [`cluster`] (one per cluster of a crawl) and [`news`] (one per refresh that found something). Each turns gathered data
//! into a [`Fresh`](crate::vault::merge::Fresh) rendering, pure, so layouts are
//! snapshot-tested without I/O; the shared pieces (lists of links, template output) are
//! here.

pub mod author;
pub mod cluster;
pub mod index;
pub mod news;
pub mod paper;
pub mod summary;

use std::borrow::Cow;

use askama::Template;

use crate::render::formats::escape::{body_link, md_inline};
use crate::vault::NoteName;

/// Most entries listed in References or Cited by; the rest is counted.
pub const MAX_LISTED: usize = 500;

/// A paper at the other end of an edge (or in a list).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkItem {
    /// Its S2 id.
    pub paper_id: String,
    /// Its note, when it has one.
    pub note: Option<NoteName>,
    /// "Author et al. Year", when its authors are known.
    pub cite: Option<String>,
    /// Its title.
    pub title: String,
    /// Its year.
    pub year: Option<i64>,
    /// S2 calls this citation influential.
    pub influential: bool,
}

impl LinkItem {
    /// The link as a list line reads it.
    pub fn view(&self) -> LinkView<'_> {
        LinkView {
            paper_id: &self.paper_id,
            note: self.note.as_ref(),
            cite: self.cite.as_deref().map(Cow::Borrowed),
            title: Cow::Borrowed(&self.title),
            year: self.year,
            influential: self.influential,
        }
    }
}

/// A link borrowed from where its parts are kept: what a paper note's References and
/// Cited by lists are made of (a paper note links about thirty papers, and copying each
/// one's id, title and note name was a third of building it at 100,000 papers).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkView<'a> {
    /// Its S2 id.
    pub paper_id: &'a str,
    /// Its note, when it has one.
    pub note: Option<&'a NoteName>,
    /// "Author et al. Year", when it has a note and its authors are known (the line
    /// shows it only as the link's text).
    pub cite: Option<Cow<'a, str>>,
    /// Its title.
    pub title: Cow<'a, str>,
    /// Its year.
    pub year: Option<i64>,
    /// S2 calls this citation influential.
    pub influential: bool,
}

impl LinkView<'_> {
    /// Lists order: papers with notes first, then newest first, then by title.
    pub fn list_order(&self, other: &Self) -> std::cmp::Ordering {
        other
            .note
            .is_some()
            .cmp(&self.note.is_some())
            .then_with(|| other.year.cmp(&self.year))
            .then_with(|| self.title.cmp(&other.title))
            .then_with(|| self.paper_id.cmp(other.paper_id))
    }
}

/// A heading and a bulleted list (References, Cited by, an author's papers, …).
#[derive(Template)]
#[template(path = "list.md", escape = "none")]
pub struct ListTemplate<'a> {
    /// The heading.
    pub heading: &'a str,
    /// What to say when the list is empty.
    pub empty: &'a str,
    /// Entries, already escaped.
    pub items: Vec<String>,
    /// Entries not shown.
    pub hidden: usize,
}

/// The S2 page of a paper.
pub fn s2_url(paper_id: &str) -> String {
    format!("{S2_PAPER_URL}{paper_id}")
}

/// Where a paper's page on Semantic Scholar is, but for its id.
const S2_PAPER_URL: &str = "https://www.semanticscholar.org/paper/";

/// A heading and a list of links, at most [`MAX_LISTED`] shown.
pub fn links_region(heading: &str, empty: &str, items: &[LinkItem]) -> String {
    let shown: Vec<String> = items.iter().take(MAX_LISTED).map(link_line).collect();
    list_region(heading, empty, shown, items.len().saturating_sub(MAX_LISTED))
}

/// A heading and every entry of a paper's list: its links (at most [`MAX_LISTED`]), the
/// entries S2 could not resolve (plain, marked "not in Semantic Scholar"), and a last
/// line for the rest, so that the list accounts for all `total` entries S2 counts.
pub fn full_list_region(
    heading: &str,
    empty: &str,
    items: &[LinkView<'_>],
    unresolved: &[crate::store::UnresolvedRef],
    total: Option<i64>,
) -> String {
    let room = MAX_LISTED.saturating_sub(items.len().min(MAX_LISTED));
    let mut shown: Vec<String> = items.iter().take(MAX_LISTED).map(view_line).collect();
    shown.extend(unresolved.iter().take(room).map(unresolved_line));
    let listed = items.len() + unresolved.len();
    let counted = total.and_then(|t| usize::try_from(t).ok()).unwrap_or(0);
    let hidden = counted.max(listed) - shown.len();
    list_region(heading, empty, shown, hidden)
}

/// A reference S2 could not resolve: its title and year as cited, plainly.
pub fn unresolved_line(r: &crate::store::UnresolvedRef) -> String {
    let year = r.year.map(|y| format!(" ({y})")).unwrap_or_default();
    format!("{}{year} · _not in Semantic Scholar_", md_inline(&r.title))
}

/// A heading and a list of already-escaped entries.
pub fn list_region(heading: &str, empty: &str, items: Vec<String>, hidden: usize) -> String {
    finish(
        ListTemplate {
            heading,
            empty,
            items,
            hidden,
        }
        .render(),
    )
}

/// One list entry: a wikilink to the paper's note, or its title with an S2 link; an
/// influential citation says so.
pub fn link_line(item: &LinkItem) -> String {
    view_line(&item.view())
}

/// [`link_line`] of a borrowed link.
pub fn view_line(item: &LinkView<'_>) -> String {
    // Two million of these in a 100,000-paper render: built in one string.
    let title = md_inline(&item.title);
    let mut line = match item.note {
        Some(note) => {
            let mut line = body_link(note.as_str(), item.cite.as_deref().unwrap_or(&item.title));
            line.reserve(title.len() + 24);
            line.push_str(" — ");
            line.push_str(&title);
            line
        }
        None => {
            let mut line = title;
            if let Some(y) = item.year {
                use std::fmt::Write as _;
                let _ = write!(line, " ({y})");
            }
            line.push_str(" · [S2](");
            line.push_str(S2_PAPER_URL);
            line.push_str(item.paper_id);
            line.push(')');
            line
        }
    };
    if item.influential {
        line.push_str(" · influential");
    }
    line
}

/// A rendered template as region content: ends in exactly one newline. Rendering our
/// own templates only fails on a formatter error, which cannot happen writing to a String.
pub(crate) fn finish(rendered: askama::Result<String>) -> String {
    let text = rendered.unwrap_or_default();
    format!("{}\n", text.trim_end())
}
