//! The paper note: what it shows, from stored data to a [`Fresh`] rendering (pure, so
//! the layout is snapshot-tested without I/O). Region bodies come from askama templates
//! in `templates/`; every untrusted string is escaped before it reaches them.

use askama::Template;

use super::escape::{body_link, md_inline, md_lines, md_url, property_link};
use super::merge::{Fresh, FrontmatterBuilder};
use super::names::NoteName;
use super::people::short_cite;
use crate::store::StoredPaper;

/// Frontmatter keys refnet owns in paper notes; every other key is the user's.
pub const PAPER_KEYS: &[&str] = &[
    "title",
    "aliases",
    "citekey",
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
    "summary_source",
    "refnet_updated",
];

/// Most entries listed in References or Cited by; the rest is counted.
pub const MAX_LISTED: usize = 500;

/// A paper at the other end of an edge (or in a list).
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

/// An author as a paper note names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorLink {
    /// The name as S2 gives it.
    pub name: String,
    /// The author's note, when they have one.
    pub note: Option<NoteName>,
}

/// The paper's place in one crawl.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlPlace {
    /// The crawl's index note.
    pub index: Option<NoteName>,
    /// How to name the crawl ("crawl 3 of Attention Is All You Need").
    pub label: String,
    /// Level in the crawl.
    pub depth: i64,
    /// Members citing the paper.
    pub cited: i64,
    /// Members the paper cites.
    pub cites: i64,
    /// PageRank position, 1 = most central.
    pub rank: i64,
    /// Papers in the crawl.
    pub of: i64,
}

/// Everything a paper note shows.
#[derive(Debug, Clone)]
pub struct PaperInput<'a> {
    /// The paper.
    pub paper: &'a StoredPaper,
    /// Authors in order.
    pub authors: Vec<AuthorLink>,
    /// Frozen citekey.
    pub citekey: Option<String>,
    /// What it cites.
    pub references: Vec<LinkItem>,
    /// What cites it.
    pub cited_by: Vec<LinkItem>,
    /// Its place in each crawl it belongs to.
    pub places: Vec<CrawlPlace>,
    /// Summary as Markdown lines, already escaped (empty: none yet).
    pub summary: Vec<String>,
    /// Where the summary's text came from (`pdf`, `abstract`, `tldr`).
    pub summary_source: Option<String>,
    /// The PDF kept in the vault's attachments (`--save-pdfs`), vault-relative.
    pub local_pdf: Option<String>,
    /// The BibTeX entry.
    pub bibtex: Option<String>,
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

#[derive(Template)]
#[template(path = "paper_summary.md", escape = "none")]
struct SummaryTemplate<'a> {
    lines: &'a [String],
}

#[derive(Template)]
#[template(path = "paper_crawl.md", escape = "none")]
struct CrawlTemplate {
    places: Vec<String>,
}

#[derive(Template)]
#[template(path = "paper_bibtex.md", escape = "none")]
struct BibtexTemplate<'a> {
    fence: String,
    entry: &'a str,
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
    let names: Vec<String> = input.authors.iter().map(|a| a.name.clone()).collect();
    let cite = short_cite(&names, p.year);
    let mut tags = vec!["paper".to_owned()];
    tags.extend(p.fields().iter().filter_map(|f| field_tag(f)));
    tags.dedup();
    let mut aliases = vec![title.clone()];
    if let Some(key) = &input.citekey {
        aliases.push(format!("@{key}"));
    }
    aliases.push(cite.clone());
    let author_values: Vec<String> = input
        .authors
        .iter()
        .map(|a| match &a.note {
            Some(note) => property_link(note.as_str(), &a.name),
            None => a.name.clone(),
        })
        .collect();
    let doi_url = p.doi.as_ref().map(|d| format!("https://doi.org/{d}"));
    let arxiv_url = p.arxiv.as_ref().map(|a| format!("https://arxiv.org/abs/{a}"));

    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(&title))
        .list("aliases", &aliases)
        .text("citekey", input.citekey.as_deref())
        .list_or_empty("authors", &author_values)
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
        .text("summary_source", input.summary_source.as_deref())
        .date("refnet_updated", Some(&input.updated));

    let mut links = Vec::new();
    if let Some(file) = &input.local_pdf {
        links.push(format!(
            "[[{}|PDF in the vault]]",
            file.replace(['[', ']', '|', '#', '^'], "")
        ));
    }
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
    let crawl = CrawlTemplate {
        places: input.places.iter().map(place_line).collect(),
    };
    let mut regions = vec![
        ("header".to_owned(), finish(header.render())),
        ("summary".to_owned(), finish(summary.render())),
        (
            "references".to_owned(),
            links_region("References", "No references known.", &input.references),
        ),
        (
            "cited_by".to_owned(),
            links_region("Cited by", "No citing papers known.", &input.cited_by),
        ),
        ("crawl".to_owned(), finish(crawl.render())),
    ];
    if let Some(entry) = &input.bibtex {
        let bib = BibtexTemplate {
            fence: fence_for(entry),
            entry: entry.trim_end(),
        };
        regions.push(("bibtex".to_owned(), finish(bib.render())));
    }
    Fresh {
        frontmatter: fm.build(),
        regions,
        tail: "## Notes\n\n".to_owned(),
    }
}

/// A code fence longer than any run of backticks in the text, so the text cannot close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

fn place_line(place: &CrawlPlace) -> String {
    let crawl = match &place.index {
        Some(note) => body_link(note.as_str(), &place.label),
        None => md_inline(&place.label),
    };
    format!(
        "{crawl}: depth {} · cited by {} and citing {} papers of the crawl · PageRank #{} of {}",
        place.depth, place.cited, place.cites, place.rank, place.of
    )
}

/// A heading and a list of links, at most [`MAX_LISTED`] shown.
pub fn links_region(heading: &str, empty: &str, items: &[LinkItem]) -> String {
    let shown: Vec<String> = items.iter().take(MAX_LISTED).map(link_line).collect();
    list_region(heading, empty, shown, items.len().saturating_sub(MAX_LISTED))
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

/// One list entry: a wikilink to the paper's note, or its title with an S2 link.
pub fn link_line(item: &LinkItem) -> String {
    let title = md_inline(&item.title);
    match &item.note {
        Some(note) => format!(
            "{} — {title}",
            body_link(note.as_str(), item.cite.as_deref().unwrap_or(&item.title))
        ),
        None => {
            let year = item.year.map(|y| format!(" ({y})")).unwrap_or_default();
            format!("{title}{year} · [S2]({})", s2_url(&item.paper_id))
        }
    }
}

/// The title to show: S2's, or a stand-in naming the id.
pub fn display_title(p: &StoredPaper) -> String {
    title_or_id(&p.title, &p.paper_id)
}

/// A title, or a stand-in naming the id when there is none.
pub fn title_or_id(title: &str, paper_id: &str) -> String {
    let t = title.trim();
    if t.is_empty() {
        format!("Untitled paper {paper_id}")
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

    #[test]
    fn fences_outgrow_any_backticks_in_the_entry() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
