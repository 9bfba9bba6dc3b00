//! Author notes: one per author with an S2 id, listing their papers that have notes in
//! the vault, newest first.

use askama::Template;

use crate::render::formats::escape::{md_inline, md_url};
use crate::render::notes::{LinkItem, finish, links_region};
use crate::vault::frontmatter::FrontmatterBuilder;
use crate::vault::merge::Fresh;

/// Frontmatter keys refnet owns in author notes.
pub const AUTHOR_KEYS: &[&str] = &[
    "name",
    "aliases",
    "s2_author_id",
    "url",
    "paper_count",
    "tags",
    "refnet_updated",
];

/// Everything an author note shows.
#[derive(Debug, Clone)]
pub struct AuthorInput {
    /// S2 author id.
    pub author_id: String,
    /// Name as S2 gives it.
    pub name: String,
    /// Their papers that have notes.
    pub papers: Vec<LinkItem>,
    /// Value of `refnet_updated`.
    pub updated: String,
}

#[derive(Template)]
#[template(path = "author_header.md", escape = "none")]
struct HeaderTemplate<'a> {
    name: &'a str,
    links: &'a str,
    count: usize,
}

/// The S2 page of an author.
pub fn author_url(author_id: &str) -> String {
    format!("https://www.semanticscholar.org/author/{author_id}")
}

/// Renders an author note.
pub fn author_fresh(input: &AuthorInput) -> Fresh {
    let url = author_url(&input.author_id);
    let mut papers = input.papers.clone();
    papers.sort_by(|a, b| {
        b.year
            .cmp(&a.year)
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.paper_id.cmp(&b.paper_id))
    });
    let name = crate::render::formats::escape::property_text(&input.name);
    let mut fm = FrontmatterBuilder::default();
    fm.text("name", Some(&name))
        .list("aliases", std::slice::from_ref(&name))
        .text("s2_author_id", Some(&input.author_id))
        .text("url", Some(&url))
        .number("paper_count", Some(papers.len() as i64))
        .list("tags", &["author".to_owned()])
        .date("refnet_updated", Some(&input.updated));
    let links = md_url(&url)
        .map(|u| format!("[Semantic Scholar]({u})"))
        .unwrap_or_default();
    let header = HeaderTemplate {
        name: &md_inline(&input.name),
        links: &links,
        count: papers.len(),
    };
    Fresh {
        frontmatter: fm.build(),
        regions: vec![
            ("header".to_owned(), finish(header.render())),
            (
                "papers".to_owned(),
                links_region("Papers", "No papers in this vault.", &papers),
            ),
        ],
        tail: "## Notes\n\n".to_owned(),
    }
}
