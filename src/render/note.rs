//! The paper note: what it shows, from stored data to a [`Fresh`] rendering (pure, so
//! the layout is snapshot-tested without I/O). Region bodies come from askama templates
//! in `templates/`; every untrusted string is escaped before it reaches them.

use askama::Template;

use super::escape::{link_display, md_inline, md_lines, md_url};
use super::merge::{Fresh, FrontmatterBuilder};
use super::names::NoteName;
use super::people::short_cite;
use crate::store::StoredPaper;

/// Frontmatter keys refnet owns in paper notes; every other key is the user's.
pub const PAPER_KEYS: &[&str] = &[
    "title",
    "aliases",
    "authors",
    "year",
    "date",
    "venue",
    "doi",
    "arxiv",
    "s2_id",
    "url",
    "pdf",
    "citation_count",
    "influential_citation_count",
    "reference_count",
    "fields_of_study",
    "tags",
    "refnet_updated",
];

/// Keys merged as a union with what the user added.
pub const UNION_KEYS: &[&str] = &["tags", "aliases"];

/// Most entries listed in References or Cited by; the rest is counted.
pub const MAX_LISTED: usize = 500;

/// A paper at the other end of an edge.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// Everything a paper note shows.
#[derive(Debug, Clone)]
pub struct PaperInput<'a> {
    /// The paper.
    pub paper: &'a StoredPaper,
    /// Author names in order.
    pub authors: Vec<String>,
    /// What it cites.
    pub references: Vec<LinkItem>,
    /// What cites it.
    pub cited_by: Vec<LinkItem>,
    /// Summary text, as Markdown lines already escaped, when there is one.
    pub summary: Vec<String>,
    /// Value of `refnet_updated` (`YYYY-MM-DD`).
    pub updated: String,
}

#[derive(Template)]
#[template(path = "paper_header.md", escape = "none")]
struct HeaderTemplate<'a> {
    title: &'a str,
    byline: &'a str,
    links: &'a str,
    tldr: Option<String>,
    abstract_lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "paper_links.md", escape = "none")]
struct LinksTemplate<'a> {
    heading: &'a str,
    empty: &'a str,
    items: Vec<String>,
    hidden: usize,
}

#[derive(Template)]
#[template(path = "paper_summary.md", escape = "none")]
struct SummaryTemplate<'a> {
    lines: &'a [String],
}

/// The S2 page of a paper.
pub fn s2_url(paper_id: &str) -> String {
    format!("https://www.semanticscholar.org/paper/{paper_id}")
}

/// A tag from a field of study: `Computer Science` → `field/computer-science`.
pub fn field_tag(field: &str) -> Option<String> {
    let mut slug = String::new();
    for c in field.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            slug.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '/') && !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    (slug.chars().any(|c| !c.is_ascii_digit()) && !slug.is_empty()).then(|| format!("field/{slug}"))
}

/// Renders a paper note.
pub fn paper_fresh(input: &PaperInput<'_>) -> Fresh {
    let p = input.paper;
    let title = display_title(p);
    let cite = short_cite(&input.authors, p.year);
    let mut tags = vec!["paper".to_owned()];
    tags.extend(p.fields().iter().filter_map(|f| field_tag(f)));
    tags.dedup();
    let doi_url = p.doi.as_ref().map(|d| format!("https://doi.org/{d}"));
    let arxiv_url = p.arxiv.as_ref().map(|a| format!("https://arxiv.org/abs/{a}"));

    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(&title))
        .list("aliases", &[title.clone(), cite.clone()])
        .list_or_empty("authors", &input.authors)
        .number_or_null("year", p.year)
        .date("date", p.publication_date.as_deref())
        .text_or_null("venue", p.venue.as_deref().or(p.journal.as_deref()))
        .text_or_null("doi", p.doi.as_deref())
        .text_or_null("arxiv", p.arxiv.as_deref())
        .text("s2_id", Some(&p.paper_id))
        .text("url", Some(&s2_url(&p.paper_id)))
        .text("pdf", p.pdf_url.as_deref())
        .number_or_null("citation_count", p.citation_count)
        .number("influential_citation_count", p.influential_citation_count)
        .number_or_null("reference_count", p.reference_count)
        .list("fields_of_study", &p.fields())
        .list("tags", &tags)
        .date("refnet_updated", Some(&input.updated));

    let mut links = Vec::new();
    for (label, url) in [
        ("DOI", doi_url),
        ("arXiv", arxiv_url),
        ("PDF", p.pdf_url.clone()),
        ("Semantic Scholar", Some(s2_url(&p.paper_id))),
    ] {
        if let Some(url) = url.as_deref().and_then(md_url) {
            links.push(format!("[{label}]({url})"));
        }
    }
    let mut byline = vec![md_inline(&cite)];
    if let Some(venue) = p.venue.as_deref().or(p.journal.as_deref()) {
        byline.push(md_inline(venue));
    }
    let header = HeaderTemplate {
        title: &md_inline(&title),
        byline: &byline.join(" · "),
        links: &links.join(" · "),
        tldr: p.tldr.as_deref().map(md_inline).filter(|t| !t.is_empty()),
        abstract_lines: p.abstract_text.as_deref().map(md_lines).unwrap_or_default(),
    };
    let summary = SummaryTemplate { lines: &input.summary };
    let references = links_region("References", "No references known.", &input.references);
    let cited_by = links_region("Cited by", "No citing papers known.", &input.cited_by);

    Fresh {
        frontmatter: fm.build(),
        regions: vec![
            ("header".to_owned(), finish(header.render())),
            ("summary".to_owned(), finish(summary.render())),
            ("references".to_owned(), references),
            ("cited_by".to_owned(), cited_by),
        ],
        tail: "## Notes\n\n".to_owned(),
    }
}

fn links_region(heading: &str, empty: &str, items: &[LinkItem]) -> String {
    let shown: Vec<String> = items.iter().take(MAX_LISTED).map(link_line).collect();
    finish(
        LinksTemplate {
            heading,
            empty,
            hidden: items.len().saturating_sub(MAX_LISTED),
            items: shown,
        }
        .render(),
    )
}

/// One list entry: a wikilink to the paper's note, or its title with an S2 link.
fn link_line(item: &LinkItem) -> String {
    let title = md_inline(&item.title);
    match &item.note {
        Some(note) => {
            let display = link_display(item.cite.as_deref().unwrap_or(&item.title));
            format!("[[{note}|{display}]] — {title}")
        }
        None => {
            let year = item.year.map(|y| format!(" ({y})")).unwrap_or_default();
            format!("{title}{year} · [S2]({})", s2_url(&item.paper_id))
        }
    }
}

/// The title to show: S2's, or a stand-in naming the id.
pub fn display_title(p: &StoredPaper) -> String {
    let t = p.title.trim();
    if t.is_empty() {
        format!("Untitled paper {}", &p.paper_id)
    } else {
        t.to_owned()
    }
}

/// A rendered template as region content: ends in exactly one newline. Rendering our
/// own templates only fails on a formatter error, which cannot happen writing to a String.
pub(crate) fn finish(rendered: askama::Result<String>) -> String {
    let text = rendered.unwrap_or_default();
    format!("{}\n", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_become_nested_tags() {
        assert_eq!(field_tag("Computer Science").as_deref(), Some("field/computer-science"));
        assert_eq!(
            field_tag("Agricultural and Food Sciences").as_deref(),
            Some("field/agricultural-and-food-sciences")
        );
        assert_eq!(field_tag("1984"), None);
        assert_eq!(field_tag("  "), None);
        assert_eq!(field_tag("Art & Design!").as_deref(), Some("field/art-design"));
    }
}
