//! The paper note: what it shows, from stored data to a [`Fresh`] rendering (pure, so
//! the layout is snapshot-tested without I/O). Region bodies come from askama templates
//! in `templates/`; every untrusted string is escaped before it reaches them.

use askama::Template;

pub use super::summary::{NO_TEXT, summary_region};
use super::{LinkItem, LinkView, finish, full_list_region, s2_url};
use crate::render::formats::base::STATUS_KEY;
use crate::render::formats::escape::{body_link, md_inline, md_lines, md_url, property_link, property_text};
use crate::render::formats::person::short_cite;
use crate::render::formats::venue;
use crate::store::StoredPaper;
use crate::vault::NoteName;
use crate::vault::frontmatter::FrontmatterBuilder;
use crate::vault::merge::Fresh;

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
    "merged_s2_ids",
    "url",
    "pdf",
    "abstract_source",
    "citation_count",
    "influential_citation_count",
    "reference_count",
    "in_crawl_citations",
    "pagerank",
    "similarity",
    "cluster",
    "fields_of_study",
    "tags",
    "in_library",
    "summary_source",
    "refnet_updated",
];

/// An author as a paper note names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthorLink {
    /// The name as S2 gives it.
    pub name: String,
    /// S2's author id, when S2 has one.
    pub author_id: Option<String>,
    /// The author's note, when they have one.
    pub note: Option<NoteName>,
}

/// The paper's place in one crawl.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// A score as a note shows it (similarity, PageRank); hashed by its bits for the
/// note's inputs hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl std::hash::Hash for Score {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

/// A paper's standing in the crawl whose analysis its note shows (the lowest-numbered
/// crawl it belongs to, so two crawls never take turns rewriting it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Standing {
    /// Its cluster's label and note (`None`: unclustered).
    pub cluster: Option<(String, Option<NoteName>)>,
    /// Similarity to the crawl's seed(s), 0–1.
    pub similarity: Score,
    /// PageRank in the crawl's graph.
    pub pagerank: Score,
    /// Papers of the crawl citing it.
    pub in_crawl_citations: i64,
    /// The crawl's papers most similar to it, best first, with the score.
    pub similar: Vec<(LinkItem, Score)>,
}

/// The frontmatter keys that come from the crawl's analysis: left as they are in a note
/// rendered without a standing (for another crawl).
pub const STANDING_KEYS: &[&str] = &["in_crawl_citations", "pagerank", "similarity", "cluster"];

/// The keys refnet owns in a note rendered without a standing: all but [`STANDING_KEYS`].
pub fn keys_without_standing() -> &'static [&'static str] {
    static KEYS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        PAPER_KEYS
            .iter()
            .filter(|k| !STANDING_KEYS.contains(k))
            .copied()
            .collect()
    });
    KEYS.as_slice()
}

/// Everything a paper note shows.
#[derive(Debug, Clone, Hash)]
pub struct PaperInput<'a> {
    /// The paper.
    pub paper: &'a StoredPaper,
    /// Authors in order.
    pub authors: Vec<AuthorLink>,
    /// Frozen citekey.
    pub citekey: Option<String>,
    /// What it cites.
    pub references: Vec<LinkView<'a>>,
    /// The references S2 could not resolve to a paper.
    pub unresolved: Vec<crate::store::UnresolvedRef>,
    /// What cites it.
    pub cited_by: Vec<LinkView<'a>>,
    /// Its place in each crawl it belongs to.
    pub places: Vec<CrawlPlace>,
    /// What the crawl's analysis says of it (`None`: another crawl's render says it).
    pub standing: Option<Standing>,
    /// Summary as Markdown lines, already escaped (empty: none yet).
    pub summary: Vec<String>,
    /// Where the summary's text came from (`pdf`, `abstract`, `tldr`; `title` when there
    /// is nothing else).
    pub summary_source: Option<String>,
    /// The PDF kept in the vault's attachments (`--save-pdfs`), vault-relative.
    pub local_pdf: Option<String>,
    /// The BibTeX entry.
    pub bibtex: Option<String>,
    /// The paper is in the user's own library (a seed from their BibTeX, CSL-JSON or RIS).
    pub in_library: bool,
    /// S2 ids of other records of this work folded into this note (a preprint).
    pub merged: Vec<String>,
    /// Value of `refnet_updated` (`YYYY-MM-DD`).
    pub updated: String,
}

/// S2's count, or the entries the note lists when those are more (a note that merges a
/// preprint lists the references of both): the count never disagrees with the list.
fn at_least(count: Option<i64>, listed: usize) -> Option<i64> {
    count.map(|c| c.max(i64::try_from(listed).unwrap_or(i64::MAX)))
}

#[derive(Template)]
#[template(path = "paper_header.md", escape = "none")]
struct HeaderTemplate<'a> {
    title: &'a str,
    byline: &'a str,
    authors: &'a str,
    links: &'a str,
    tldr: Option<String>,
    abstract_lines: Vec<String>,
    /// The abstract came from OpenAlex (Semantic Scholar had none).
    from_openalex: bool,
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
    // Property values are one line and never links (titles from S2 can hold line breaks).
    let title = property_text(&p.display_title());
    let names: Vec<String> = input.authors.iter().map(|a| a.name.clone()).collect();
    let cite = short_cite(&names, p.year);
    let mut tags = vec!["paper".to_owned()];
    if input.in_library {
        tags.push("library".to_owned());
    }
    tags.extend(p.fields().iter().filter_map(|f| field_tag(f)));
    tags.dedup();
    let mut aliases = vec![title.clone()];
    if let Some(key) = &input.citekey {
        aliases.push(format!("@{key}"));
    }
    aliases.push(property_text(&cite));
    let author_values: Vec<String> = input
        .authors
        .iter()
        .map(|a| match &a.note {
            Some(note) => property_link(note.as_str(), &a.name),
            None => property_text(&a.name),
        })
        .collect();
    let fields: Vec<String> = p.fields().iter().map(|f| property_text(f)).collect();
    // The journal's or proceedings' name when there is one, as in the BibTeX entry.
    let shown_venue = venue::shown(p.journal.as_deref(), p.venue.as_deref());
    let doi_url = p.doi.as_ref().map(|d| format!("https://doi.org/{d}"));
    let arxiv_url = p.arxiv.as_ref().map(|a| format!("https://arxiv.org/abs/{a}"));

    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(&title))
        .list("aliases", &aliases)
        .text("citekey", input.citekey.as_deref())
        .list_or_empty("authors", &author_values)
        .number_or_null("year", p.year)
        .date("date", p.publication_date.as_deref())
        .text_or_null("venue", shown_venue.map(property_text).as_deref())
        .text_or_null("doi", p.doi.as_deref())
        .text_or_null("arxiv", p.arxiv.as_deref())
        .text("s2_id", Some(&p.paper_id))
        .list("merged_s2_ids", &input.merged)
        .text("url", Some(&s2_url(&p.paper_id)))
        .text("pdf", p.pdf_url.as_deref())
        .text("abstract_source", p.abstract_source.as_deref())
        .number_or_null("citation_count", at_least(p.citation_count, input.cited_by.len()))
        .number("influential_citation_count", p.influential_citation_count)
        .number_or_null(
            "reference_count",
            at_least(p.reference_count, input.references.len() + input.unresolved.len()),
        );
    if let Some(s) = &input.standing {
        fm.number("in_crawl_citations", Some(s.in_crawl_citations))
            .decimal("pagerank", Some(s.pagerank.0), 8)
            .decimal("similarity", Some(s.similarity.0), 3)
            .text_or_null(
                "cluster",
                s.cluster.as_ref().map(|(label, _)| property_text(label)).as_deref(),
            );
    }
    fm.list("fields_of_study", &fields)
        .list("tags", &tags)
        .boolean("in_library", input.in_library)
        .text("summary_source", input.summary_source.as_deref())
        .date("refnet_updated", Some(&input.updated))
        // The user's: created empty with the note, never written again (not in PAPER_KEYS).
        .text_or_null(STATUS_KEY, None);

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
    if let Some(venue) = shown_venue {
        byline.push(md_inline(venue));
    }
    let header = HeaderTemplate {
        title: &md_inline(&p.display_title()),
        byline: &byline.join(" · "),
        authors: &author_line(&input.authors),
        links: &links.join(" · "),
        tldr: p.tldr.as_deref().map(md_inline).filter(|t| !t.is_empty()),
        abstract_lines: p.abstract_text.as_deref().map(md_lines).unwrap_or_default(),
        from_openalex: p.abstract_source.as_deref() == Some("openalex"),
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
            full_list_region(
                "References",
                "No references known.",
                &input.references,
                &input.unresolved,
                p.reference_count,
            ),
        ),
        (
            "cited_by".to_owned(),
            full_list_region(
                "Cited by",
                "No citing papers known.",
                &input.cited_by,
                &[],
                p.citation_count,
            ),
        ),
        ("crawl".to_owned(), finish(crawl.render())),
    ];
    if let Some(s) = &input.standing {
        regions.insert(2, ("similar".to_owned(), similar_region(s)));
    }
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

/// Similar papers listed in a note at most.
pub const SIMILAR_LISTED: usize = 8;

/// The "Similar papers" list: the crawl's papers sharing the most references and citers
/// with this one, and its cluster.
fn similar_region(s: &Standing) -> String {
    let mut items: Vec<String> = s
        .similar
        .iter()
        .take(SIMILAR_LISTED)
        .map(|(item, score)| format!("{} · similarity {:.2}", super::link_line(item), score.0))
        .collect();
    if let Some((label, note)) = &s.cluster {
        let cluster = match note {
            Some(note) => body_link(note.as_str(), label),
            None => md_inline(label),
        };
        items.push(format!("Cluster: {cluster}"));
    }
    super::list_region(
        "Similar papers",
        "No paper of the crawl shares references or citing papers with this one.",
        items,
        0,
    )
}

/// A code fence longer than any run of backticks in the text, so the text cannot close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// Authors listed in a note's header at most (the frontmatter has them all).
const AUTHORS_SHOWN: usize = 12;

/// The header's authors: a link to each one's note, else to their Semantic Scholar page,
/// else the name alone.
fn author_line(authors: &[AuthorLink]) -> String {
    let mut shown: Vec<String> = authors
        .iter()
        .take(AUTHORS_SHOWN)
        .map(|a| match (&a.note, &a.author_id) {
            (Some(note), _) => body_link(note.as_str(), &a.name),
            (None, Some(id)) => match md_url(&format!("https://www.semanticscholar.org/author/{id}")) {
                Some(url) => format!("[{}]({url})", md_inline(&a.name)),
                None => md_inline(&a.name),
            },
            (None, None) => md_inline(&a.name),
        })
        .collect();
    if authors.len() > AUTHORS_SHOWN {
        shown.push(format!("and {} more", authors.len() - AUTHORS_SHOWN));
    }
    shown.join(", ")
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
