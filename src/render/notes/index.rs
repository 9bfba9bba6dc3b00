//! The index note of a crawl: seed, parameters, dates, sizes, and its most important
//! papers by citations within the crawl and by PageRank, with links to the map and the
//! bibliography.

use askama::Template;

use crate::render::formats::escape::{body_link, md_inline, property_link, property_text};
use crate::render::notes::{LinkItem, finish, link_line, list_region};
use crate::store::{Crawl, CrawlStats};
use crate::vault::NoteName;
use crate::vault::frontmatter::FrontmatterBuilder;
use crate::vault::merge::Fresh;

/// Frontmatter keys refnet owns in index notes.
pub const INDEX_KEYS: &[&str] = &[
    "title",
    "aliases",
    "refnet_crawl",
    "seed",
    "depth",
    "direction",
    "max_papers",
    "papers",
    "citations",
    "left_out",
    "truncated",
    "created",
    "crawled",
    "refreshed",
    "tags",
    "refnet_updated",
];

/// How many papers each ranking lists.
pub const TOP: usize = 20;

/// How many what's-new notes the index links.
const NEWS_LISTED: usize = 10;

/// Everything an index note shows.
#[derive(Debug, Clone)]
pub struct IndexInput<'a> {
    /// The crawl.
    pub crawl: &'a Crawl,
    /// The seed's title.
    pub seed_title: String,
    /// The seed's note.
    pub seed_note: Option<NoteName>,
    /// Counts.
    pub stats: CrawlStats,
    /// Papers per depth.
    pub by_depth: Vec<(i64, usize)>,
    /// Most cited within the crawl: (paper, citations from members).
    pub most_cited: Vec<(LinkItem, i64)>,
    /// Most central by PageRank: (paper, rank).
    pub central: Vec<(LinkItem, i64)>,
    /// What the crawl's analysis found (`None`: not analysed).
    pub analysis: Option<IndexAnalysis>,
    /// The crawl's what's-new notes, newest first.
    pub news: Vec<NoteName>,
    /// When it was last refreshed (a date), if ever.
    pub refreshed: Option<String>,
    /// Vault path of the crawl's canvas.
    pub canvas: String,
    /// Vault path of the bibliography.
    pub bibliography: String,
    /// Value of `refnet_updated`.
    pub updated: String,
}

/// The index's view of the crawl's analysis.
#[derive(Debug, Clone, Default)]
pub struct IndexAnalysis {
    /// Papers most similar to the seed(s), with the score (seeds left out).
    pub similar_to_seed: Vec<(LinkItem, f64)>,
    /// Prior works: papers the crawl's papers cite most, with how many cite each.
    pub prior: Vec<(LinkItem, i64)>,
    /// Derivative works: papers citing the most of the crawl's papers, with how many.
    pub derivative: Vec<(LinkItem, i64)>,
    /// Clusters, largest first: (note, label, papers, top paper).
    pub clusters: Vec<(Option<NoteName>, String, i64, Option<LinkItem>)>,
}

/// The index's regions of the analysis.
fn analysis_regions(a: &IndexAnalysis) -> Vec<(String, String)> {
    let similar: Vec<String> = a
        .similar_to_seed
        .iter()
        .map(|(item, s)| format!("{} · similarity {s:.2}", link_line(item)))
        .collect();
    let prior: Vec<String> = a
        .prior
        .iter()
        .map(|(item, n)| format!("{} · cited by {n} papers of the crawl", link_line(item)))
        .collect();
    let derivative: Vec<String> = a
        .derivative
        .iter()
        .map(|(item, n)| format!("{} · cites {n} papers of the crawl", link_line(item)))
        .collect();
    let clusters: Vec<String> = a
        .clusters
        .iter()
        .map(|(note, label, size, top)| {
            let name = match note {
                Some(note) => body_link(note.as_str(), label),
                None => md_inline(label),
            };
            let top = top
                .as_ref()
                .map(|t| format!(" · led by {}", link_line(t)))
                .unwrap_or_default();
            format!("{name} · {size} papers{top}")
        })
        .collect();
    vec![
        (
            "similar_to_seed".to_owned(),
            list_region(
                "Most similar to the seed",
                "No paper shares references or citing papers with the seed.",
                similar,
                0,
            ),
        ),
        (
            "prior".to_owned(),
            list_region("Prior works", "The crawl's papers cite nothing in common.", prior, 0),
        ),
        (
            "derivative".to_owned(),
            list_region(
                "Derivative works",
                "No paper cites more than one of the crawl's papers.",
                derivative,
                0,
            ),
        ),
        (
            "clusters".to_owned(),
            list_region(
                "Clusters",
                "Too few links between papers to find clusters.",
                clusters,
                0,
            ),
        ),
    ]
}

#[derive(Template)]
#[template(path = "index_header.md", escape = "none")]
struct HeaderTemplate<'a> {
    title: &'a str,
    summary: &'a str,
    links: &'a str,
}

#[derive(Template)]
#[template(path = "index_levels.md", escape = "none")]
struct LevelsTemplate {
    lines: Vec<String>,
}

/// The title of a crawl's index note.
/// How a crawl is named by its seeds: the first seed's title, and how many others.
pub fn seeds_title(first: &str, seeds: usize) -> String {
    match seeds {
        0 | 1 => first.to_owned(),
        2 => format!("{first} and 1 more"),
        n => format!("{first} and {} more", n - 1),
    }
}

/// The title of a crawl's index note.
pub fn index_title(crawl_id: i64, seed_title: &str) -> String {
    format!("Crawl {crawl_id} of {seed_title}")
}

pub fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.date_naive().to_string())
        .unwrap_or_default()
}

/// Renders an index note.
pub fn index_fresh(input: &IndexInput<'_>) -> Fresh {
    let c = input.crawl;
    let title = index_title(c.crawl_id, &input.seed_title);
    let seed_value = match &input.seed_note {
        Some(note) => property_link(note.as_str(), &input.seed_title),
        None => property_text(&input.seed_title),
    };
    let title_value = property_text(&title);
    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(&title_value))
        .list("aliases", std::slice::from_ref(&title_value))
        .number("refnet_crawl", Some(c.crawl_id))
        .text("seed", Some(&seed_value))
        .number("depth", Some(c.depth))
        .text("direction", Some(c.direction.as_str()))
        .number("max_papers", (c.max_papers > 0).then_some(c.max_papers))
        .number("papers", Some(input.stats.members))
        .number("citations", Some(input.stats.edges))
        .number("left_out", Some(input.stats.left_out))
        .number("truncated", Some(input.stats.truncated))
        .date("created", Some(&date(c.created_at)))
        .date("crawled", c.finished_at.map(date).as_deref())
        .date("refreshed", input.refreshed.as_deref())
        .list("tags", &["refnet/index".to_owned()])
        .date("refnet_updated", Some(&input.updated));

    let seed = match &input.seed_note {
        Some(note) => body_link(note.as_str(), &input.seed_title),
        None => md_inline(&input.seed_title),
    };
    let summary = format!(
        "Seed {seed} · depth {} · {} · {} papers · {} citations between them",
        c.depth, c.direction, input.stats.members, input.stats.edges
    );
    let links = format!(
        "[[{}|Citation map]] · Bibliography: `{}`",
        input.canvas,
        input.bibliography.replace('`', "")
    );
    let header = HeaderTemplate {
        title: &md_inline(&title),
        summary: &summary,
        links: &links,
    };
    let most_cited: Vec<String> = input
        .most_cited
        .iter()
        .map(|(item, n)| format!("{} · cited by {n} in the crawl", link_line(item)))
        .collect();
    let central: Vec<String> = input
        .central
        .iter()
        .map(|(item, rank)| format!("rank {rank} · {}", link_line(item)))
        .collect();
    let mut levels: Vec<String> = input
        .by_depth
        .iter()
        .map(|(d, n)| format!("depth {d}: {n} {}", if *n == 1 { "paper" } else { "papers" }))
        .collect();
    levels.push(format!("left out by the budget: {}", input.stats.left_out));
    levels.push(format!("not found on Semantic Scholar: {}", input.stats.missing));
    levels.push(format!(
        "reference or citation lists cut by the API: {}",
        input.stats.truncated
    ));
    let mut news: Vec<String> = input
        .news
        .iter()
        .take(NEWS_LISTED)
        .map(|note| body_link(note.as_str(), note.as_str()))
        .collect();
    if input.news.len() > NEWS_LISTED {
        news.push(format!(
            "…and {} older, in `refnet/news`",
            input.news.len() - NEWS_LISTED
        ));
    }
    let news_empty = match &input.refreshed {
        Some(date) => format!("Nothing new since the crawl; last refreshed {date}."),
        None => "Not refreshed yet: `refnet refresh`, or `refnet serve` nightly.".to_owned(),
    };
    let mut regions = vec![
        ("header".to_owned(), finish(header.render())),
        ("news".to_owned(), list_region("What's new", &news_empty, news, 0)),
        (
            "most_cited".to_owned(),
            list_region(
                "Most cited within the crawl",
                "No citations between papers of the crawl.",
                most_cited,
                0,
            ),
        ),
        (
            "central".to_owned(),
            list_region("Most central (PageRank)", "No papers yet.", central, 0),
        ),
        ("levels".to_owned(), finish(LevelsTemplate { lines: levels }.render())),
    ];
    if let Some(a) = &input.analysis {
        // After What's new: what to read first.
        for (i, region) in analysis_regions(a).into_iter().enumerate() {
            regions.insert(2 + i, region);
        }
    }
    Fresh {
        frontmatter: fm.build(),
        regions,
        tail: "## Notes\n\n".to_owned(),
    }
}
