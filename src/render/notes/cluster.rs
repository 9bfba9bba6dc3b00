//! A note per cluster of a crawl (`refnet/clusters/<label>.md`): its papers by rank with
//! their TL;DR, the works its papers cite most (its prior works), and the clusters it is
//! most linked to. The label is the user's to change: refnet writes `label` when it
//! creates the note and reads it back after (see `render::clusters`), so a renamed
//! cluster keeps its name in every paper note.

use crate::render::formats::escape::{body_link, md_inline, property_link, property_text};
use crate::render::notes::{LinkItem, link_line, list_region};
use crate::vault::NoteName;
use crate::vault::frontmatter::FrontmatterBuilder;
use crate::vault::merge::Fresh;

/// Frontmatter keys refnet owns in cluster notes (`label` is written once, then the user's).
pub const CLUSTER_KEYS: &[&str] = &[
    "title",
    "aliases",
    "refnet_cluster",
    "crawl",
    "papers",
    "terms",
    "tags",
    "refnet_updated",
];

/// The frontmatter key holding the cluster's name: written when the note is created,
/// read back after.
pub const LABEL_KEY: &str = "label";

/// Papers a cluster note lists at most; the rest are counted.
pub const MEMBERS_LISTED: usize = 100;

/// Everything a cluster note shows.
#[derive(Debug, Clone)]
pub struct ClusterInput {
    /// The crawl.
    pub crawl_id: i64,
    /// The cluster's id within the crawl (stable across runs).
    pub cluster_id: i64,
    /// Its label (the user's, when they renamed it).
    pub label: String,
    /// Its most distinctive terms.
    pub terms: Vec<String>,
    /// The crawl's index note and title.
    pub index: (Option<NoteName>, String),
    /// Its first papers by rank (the note lists [`MEMBERS_LISTED`]; more are not
    /// read), with a one-line TL;DR when there is one.
    pub members: Vec<(LinkItem, Option<String>)>,
    /// How many papers it has.
    pub member_count: usize,
    /// Works its papers cite most: (work, how many of its papers cite it).
    pub prior: Vec<(LinkItem, i64)>,
    /// Clusters it is most linked to: (note, label, citations between the two).
    pub neighbours: Vec<(Option<NoteName>, String, i64)>,
    /// Value of `refnet_updated`.
    pub updated: String,
}

/// The value of `refnet_cluster`, which identifies a cluster note wherever it moves.
pub fn cluster_identity(crawl_id: i64, cluster_id: i64) -> String {
    format!("{crawl_id}/{cluster_id}")
}

/// Renders a cluster note.
pub fn cluster_fresh(input: &ClusterInput) -> Fresh {
    let label = property_text(&input.label);
    let (index_note, index_title) = &input.index;
    let crawl_value = match index_note {
        Some(note) => property_link(note.as_str(), index_title),
        None => property_text(index_title),
    };
    let terms: Vec<String> = input.terms.iter().map(|t| property_text(t)).collect();
    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(&label))
        .list("aliases", std::slice::from_ref(&label))
        .text(LABEL_KEY, Some(&label))
        .text(
            "refnet_cluster",
            Some(&cluster_identity(input.crawl_id, input.cluster_id)),
        )
        .text("crawl", Some(&crawl_value))
        .number("papers", Some(input.member_count as i64))
        .list("terms", &terms)
        .list("tags", &["refnet/cluster".to_owned()])
        .date("refnet_updated", Some(&input.updated));

    let crawl = match index_note {
        Some(note) => body_link(note.as_str(), index_title),
        None => md_inline(index_title),
    };
    let summary = format!(
        "# {}\n\nA cluster of {} papers in {crawl}{}.\n",
        md_inline(&input.label),
        input.member_count,
        if input.terms.is_empty() {
            String::new()
        } else {
            format!(", about {}", md_inline(&input.terms.join(", ")))
        }
    );
    let members_shown = input.members.len().min(MEMBERS_LISTED);
    let members: Vec<String> = input
        .members
        .iter()
        .take(MEMBERS_LISTED)
        .map(|(item, tldr)| match tldr {
            Some(t) if !t.trim().is_empty() => format!("{} — {}", link_line(item), md_inline(t)),
            _ => link_line(item),
        })
        .collect();
    let prior: Vec<String> = input
        .prior
        .iter()
        .map(|(item, n)| format!("{} · cited by {n} of its papers", link_line(item)))
        .collect();
    let neighbours: Vec<String> = input
        .neighbours
        .iter()
        .map(|(note, label, n)| {
            let link = match note {
                Some(note) => body_link(note.as_str(), label),
                None => md_inline(label),
            };
            format!("{link} · {n} citations between them")
        })
        .collect();
    Fresh {
        frontmatter: fm.build(),
        regions: vec![
            ("header".to_owned(), summary),
            (
                "papers".to_owned(),
                list_region(
                    "Papers",
                    "No papers.",
                    members,
                    input.member_count.saturating_sub(members_shown),
                ),
            ),
            (
                "prior".to_owned(),
                list_region("Prior works", "Its papers cite nothing in common.", prior, 0),
            ),
            (
                "neighbours".to_owned(),
                list_region(
                    "Neighbouring clusters",
                    "No citations to other clusters.",
                    neighbours,
                    0,
                ),
            ),
        ],
        tail: "## Notes\n\n".to_owned(),
    }
}
