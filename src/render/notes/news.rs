//! The what's-new note of a refresh: the papers it added to the crawl, the papers cited
//! more than before, and the other counts that moved. One note per refresh that brought
//! anything, linked from the crawl's index.

use crate::render::formats::escape::{body_link, md_inline, property_link, property_text};
use crate::render::notes::{LinkItem, finish, link_line, list_region};
use crate::store::NewsRow;
use crate::vault::NoteName;
use crate::vault::frontmatter::FrontmatterBuilder;
use crate::vault::merge::Fresh;

/// Frontmatter keys refnet owns in what's-new notes.
pub const NEWS_KEYS: &[&str] = &[
    "title",
    "aliases",
    "refnet_news",
    "crawl",
    "refreshed",
    "since",
    "new_papers",
    "cited_more",
    "tags",
    "refnet_updated",
];

/// A paper of the news, with what moved.
#[derive(Debug, Clone)]
pub struct NewsItem {
    /// The paper.
    pub link: LinkItem,
    /// What the store says moved.
    pub row: NewsRow,
    /// Its similarity to the crawl's seeds, from the crawl's analysis (0–1).
    pub similarity: Option<f64>,
}

/// Everything a what's-new note shows.
#[derive(Debug, Clone)]
pub struct NewsInput {
    /// The crawl.
    pub crawl_id: i64,
    /// The refresh's run.
    pub run: i64,
    /// The crawl's index note and its title.
    pub index: (Option<NoteName>, String),
    /// When the refresh began (a date).
    pub refreshed: String,
    /// When the run before it finished (a date).
    pub since: Option<String>,
    /// Every paper that is new or moved.
    pub items: Vec<NewsItem>,
    /// Value of `refnet_updated`.
    pub updated: String,
}

/// The title of a refresh's note.
pub fn news_title(index_title: &str, refreshed: &str) -> String {
    format!("New in {index_title} on {refreshed}")
}

/// Whether a refresh brought anything worth a note.
pub fn is_news(rows: &[NewsRow]) -> bool {
    !rows.is_empty()
}

/// The frontmatter value that finds the note again if the user moves it.
pub fn news_identity(crawl_id: i64, run: i64) -> String {
    format!("{crawl_id}:{run}")
}

fn signed(delta: i64) -> String {
    if delta >= 0 {
        format!("+{delta}")
    } else {
        delta.to_string()
    }
}

/// Renders a what's-new note.
pub fn news_fresh(input: &NewsInput) -> Fresh {
    let title = news_title(&input.index.1, &input.refreshed);
    let mut added: Vec<&NewsItem> = input.items.iter().filter(|i| i.row.added).collect();
    // The new papers most like the crawl's seeds first: what to read of the news.
    added.sort_by(|a, b| {
        let s = |i: &NewsItem| i.similarity.unwrap_or(0.0);
        s(b).total_cmp(&s(a))
            .then_with(|| b.link.year.cmp(&a.link.year))
            .then_with(|| a.link.title.cmp(&b.link.title))
    });
    let delta = |i: &NewsItem| match (i.row.citations_before, i.row.citations_now) {
        (Some(before), Some(now)) => now - before,
        _ => 0,
    };
    let mut cited_more: Vec<&NewsItem> = input.items.iter().filter(|i| !i.row.added && delta(i) > 0).collect();
    cited_more.sort_by(|a, b| delta(b).cmp(&delta(a)).then_with(|| a.link.title.cmp(&b.link.title)));
    let mut moved: Vec<(&NewsItem, String)> = input
        .items
        .iter()
        .filter(|i| !i.row.added)
        .filter_map(|i| {
            let mut parts = Vec::new();
            let d = delta(i);
            if d < 0 {
                parts.push(format!(
                    "citations {} ({})",
                    i.row.citations_now.unwrap_or(0),
                    signed(d)
                ));
            }
            if let (Some(before), Some(now)) = (i.row.influential_before, i.row.influential_now)
                && before != now
            {
                parts.push(format!("influential citations {now} ({})", signed(now - before)));
            }
            if let (Some(before), Some(now)) = (i.row.references_before, i.row.references_now)
                && before != now
            {
                parts.push(format!("references {now} ({})", signed(now - before)));
            }
            (!parts.is_empty()).then(|| (i, parts.join(", ")))
        })
        .collect();
    moved.sort_by(|a, b| a.0.link.title.cmp(&b.0.link.title));

    let index_link = match &input.index.0 {
        Some(note) => property_link(note.as_str(), &input.index.1),
        None => property_text(&input.index.1),
    };
    let title_value = property_text(&title);
    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(&title_value))
        .list("aliases", std::slice::from_ref(&title_value))
        .text("refnet_news", Some(&news_identity(input.crawl_id, input.run)))
        .text("crawl", Some(&index_link))
        .date("refreshed", Some(&input.refreshed))
        .date("since", input.since.as_deref())
        .number("new_papers", Some(added.len() as i64))
        .number("cited_more", Some(cited_more.len() as i64))
        .list("tags", &["refnet/news".to_owned()])
        .date("refnet_updated", Some(&input.updated));

    let crawl = match &input.index.0 {
        Some(note) => body_link(note.as_str(), &input.index.1),
        None => md_inline(&input.index.1),
    };
    let since = input
        .since
        .as_deref()
        .map(|d| format!(" since {d}"))
        .unwrap_or_default();
    let header = format!(
        "# {}\n\n> [!info] Refresh of {crawl} on {}{since}: {} new {}, {} cited more, {} with other counts that moved.\n",
        md_inline(&title),
        input.refreshed,
        added.len(),
        if added.len() == 1 { "paper" } else { "papers" },
        cited_more.len(),
        moved.len()
    );
    let added_lines: Vec<String> = added
        .iter()
        .map(|i| match i.similarity.filter(|s| *s > 0.0) {
            Some(s) => format!("{} · similarity {s:.2}", link_line(&i.link)),
            None => link_line(&i.link),
        })
        .collect();
    let cited_lines: Vec<String> = cited_more
        .iter()
        .map(|i| {
            format!(
                "{} · {} citations ({})",
                link_line(&i.link),
                i.row.citations_now.unwrap_or(0),
                signed(delta(i))
            )
        })
        .collect();
    let moved_lines: Vec<String> = moved
        .iter()
        .map(|(i, what)| format!("{} · {what}", link_line(&i.link)))
        .collect();
    Fresh {
        frontmatter: fm.build(),
        regions: vec![
            ("header".to_owned(), finish(Ok(header))),
            (
                "added".to_owned(),
                list_region("New papers", "No new papers.", added_lines, 0),
            ),
            (
                "cited_more".to_owned(),
                list_region(
                    "Cited more (fastest rising first)",
                    "No paper gained citations.",
                    cited_lines,
                    0,
                ),
            ),
            (
                "moved".to_owned(),
                list_region("Other counts that moved", "Nothing else moved.", moved_lines, 0),
            ),
        ],
        tail: "## Notes\n\n".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, added: bool, before: Option<i64>, now: Option<i64>) -> NewsItem {
        NewsItem {
            link: LinkItem {
                paper_id: id.to_owned(),
                note: Some(NoteName::from_title(&format!("Paper {id}"))),
                cite: Some(format!("Author {id}")),
                title: format!("Paper {id}"),
                year: Some(2020),
                influential: false,
            },
            row: NewsRow {
                paper_id: id.to_owned(),
                added,
                citations_before: before,
                citations_now: now,
                influential_before: Some(1),
                influential_now: Some(1),
                references_before: Some(10),
                references_now: Some(if id == "r" { 12 } else { 10 }),
            },
            similarity: None,
        }
    }

    #[test]
    fn new_papers_most_like_the_seeds_come_first_and_the_fastest_rising_lead_cited_more() {
        let similar = |id: &str, s: Option<f64>| NewsItem {
            similarity: s,
            ..item(id, true, None, Some(0))
        };
        let input = NewsInput {
            crawl_id: 1,
            run: 2,
            index: (None, "Crawl 1 of Seed".to_owned()),
            refreshed: "2026-11-22".to_owned(),
            since: None,
            items: vec![
                similar("far", Some(0.05)),
                similar("near", Some(0.8)),
                similar("unknown", None),
                similar("mid", Some(0.3)),
                item("slow", false, Some(10), Some(11)),
                item("fast", false, Some(10), Some(40)),
            ],
            updated: "2026-11-22".to_owned(),
        };
        let fresh = news_fresh(&input);
        let added = &fresh.regions.iter().find(|(n, _)| n == "added").expect("added").1;
        let at = |s: &str| added.find(s).unwrap_or_else(|| panic!("{s} in {added}"));
        assert!(at("Paper near") < at("Paper mid") && at("Paper mid") < at("Paper far"));
        assert!(at("Paper far") < at("Paper unknown"), "no similarity known: last");
        assert!(added.contains("similarity 0.80"), "{added}");
        let cited = &fresh.regions.iter().find(|(n, _)| n == "cited_more").expect("cited").1;
        assert!(cited.find("Paper fast") < cited.find("Paper slow"), "{cited}");
    }

    #[test]
    fn news_sorts_papers_into_new_cited_more_and_moved() {
        let input = NewsInput {
            crawl_id: 1,
            run: 3,
            index: (
                Some(NoteName::from_title("Crawl 1 of Seed")),
                "Crawl 1 of Seed".to_owned(),
            ),
            refreshed: "2026-11-22".to_owned(),
            since: Some("2026-11-21".to_owned()),
            items: vec![
                item("n", true, None, Some(0)),
                item("c", false, Some(4), Some(9)),
                item("d", false, Some(9), Some(7)),
                item("r", false, Some(5), Some(5)),
            ],
            updated: "2026-11-22".to_owned(),
        };
        let fresh = news_fresh(&input);
        let region = |name: &str| {
            fresh
                .regions
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c.clone())
                .unwrap_or_default()
        };
        assert!(region("added").contains("[[Paper n|Author n]]"), "{}", region("added"));
        assert!(
            region("cited_more").contains("9 citations (+5)"),
            "{}",
            region("cited_more")
        );
        assert!(!region("cited_more").contains("Paper d"));
        assert!(region("moved").contains("citations 7 (-2)"), "{}", region("moved"));
        assert!(region("moved").contains("references 12 (+2)"), "{}", region("moved"));
        assert!(region("header").contains("1 new paper, 1 cited more, 2 with other counts"));
        let fm: String = fresh.frontmatter.iter().map(|(_, e)| e.as_str()).collect();
        assert!(fm.contains("refnet_news: \"1:3\""), "{fm}");
        assert!(fm.contains("new_papers: 1"), "{fm}");
    }
}
