//! Note layouts: snapshots of each kind of note (and a canvas), and property tests that
//! any title, abstract or author name gives frontmatter that parses back to the same
//! values and links that resolve.

use proptest::prelude::*;
use refnet::render::naming::paper_candidates;
use refnet::render::notes::author::{AuthorInput, author_fresh};
use refnet::render::notes::index::{IndexAnalysis, IndexInput, index_fresh};
use refnet::render::notes::paper::{AuthorLink, CrawlPlace, PaperInput, Score, Standing, paper_fresh};
use refnet::render::notes::{LinkItem, link_line};
use refnet::store::{Crawl, CrawlStats, StoredPaper};
use refnet::vault::NoteName;
use refnet::vault::merge::compose;

use super::support::{body, frontmatter, wikilinks};

fn paper(id: &str, title: &str) -> StoredPaper {
    StoredPaper {
        paper_id: id.to_owned(),
        corpus_id: Some(13756489),
        doi: Some("10.48550/arxiv.1706.03762".to_owned()),
        arxiv: Some("1706.03762".to_owned()),
        external_ids: "{}".to_owned(),
        title: title.to_owned(),
        abstract_text: Some("The dominant sequence transduction models are based on complex recurrent or convolutional neural networks.\n\nWe propose the Transformer.".to_owned()),
        tldr: Some("A new simple network architecture, the Transformer, based solely on attention mechanisms.".to_owned()),
        venue: Some("Neural Information Processing Systems".to_owned()),
        year: Some(2017),
        publication_date: Some("2017-06-12".to_owned()),
        journal: None,
        journal_volume: None,
        journal_pages: Some("5998-6008".to_owned()),
        citation_count: Some(120000),
        reference_count: Some(41),
        influential_citation_count: Some(15000),
        fields_of_study: "[\"Computer Science\"]".to_owned(),
        publication_types: "[\"JournalArticle\", \"Conference\"]".to_owned(),
        pdf_url: Some("https://arxiv.org/pdf/1706.03762".to_owned()),
        is_open_access: Some(true),
        references_truncated: false,
        citations_truncated: false,
        fetched_at: Some(1_700_000_000),
        citations_fetched_at: None,
        abstract_source: Some("semantic_scholar".to_owned()),
        pdf_source: None,
        venue_source: None,
    }
}

fn item(id: &str, note: Option<&str>, cite: &str, title: &str, year: i64) -> LinkItem {
    LinkItem {
        paper_id: id.to_owned(),
        note: note.map(NoteName::from_title),
        cite: Some(cite.to_owned()),
        title: title.to_owned(),
        year: Some(year),
        influential: false,
    }
}

fn vaswani() -> (StoredPaper, Vec<AuthorLink>) {
    let p = paper(&"2".repeat(40), "Attention Is All You Need");
    let authors = vec![
        AuthorLink {
            name: "Ashish Vaswani".to_owned(),
            author_id: Some("40348417".to_owned()),
            note: Some(NoteName::from_title("Ashish Vaswani")),
        },
        AuthorLink {
            name: "Noam Shazeer".to_owned(),
            author_id: Some("1846258".to_owned()),
            note: Some(NoteName::from_title("Noam Shazeer (1846258)")),
        },
        AuthorLink {
            name: "Niki Parmar".to_owned(),
            author_id: Some("3877127".to_owned()),
            note: None,
        },
    ];
    (p, authors)
}

#[test]
fn a_paper_note_snapshot() {
    let (p, authors) = vaswani();
    let references = [
        item(
            &"a".repeat(40),
            Some("Neural Machine Translation by Jointly Learning to Align and Translate"),
            "Bahdanau et al. 2014",
            "Neural Machine Translation by Jointly Learning to Align and Translate",
            2014,
        ),
        LinkItem {
            influential: true,
            ..item(&"b".repeat(40), None, "", "Long Short-Term Memory", 1997)
        },
    ];
    let cited_by = [item(
        &"c".repeat(40),
        Some("BERT Pre-training of Deep Bidirectional Transformers"),
        "Devlin et al. 2019",
        "BERT: Pre-training of Deep Bidirectional Transformers",
        2019,
    )];
    let input = PaperInput {
        paper: &p,
        authors,
        citekey: Some("vaswaniAttentionAllYou2017".to_owned()),
        references: references.iter().map(LinkItem::view).collect(),
        unresolved: vec![refnet::store::UnresolvedRef {
            title: "A Neural Probabilistic Language Model".to_owned(),
            year: Some(2003),
        }],
        cited_by: cited_by.iter().map(LinkItem::view).collect(),
        places: vec![CrawlPlace {
            index: Some(NoteName::from_title("Crawl 1 of Attention Is All You Need")),
            label: "Crawl 1 of Attention Is All You Need".to_owned(),
            depth: 0,
            cited: 0,
            cites: 2,
            rank: 3,
            of: 4,
        }],
        standing: Some(Standing {
            cluster: Some((
                "attention · translation".to_owned(),
                Some(NoteName::from_title("attention · translation")),
            )),
            similarity: Score(1.0),
            pagerank: Score(0.12345678),
            in_crawl_citations: 0,
            similar: vec![(
                item(
                    &"c".repeat(40),
                    Some("BERT Pre-training of Deep Bidirectional Transformers"),
                    "Devlin et al. 2019",
                    "BERT: Pre-training of Deep Bidirectional Transformers",
                    2019,
                ),
                Score(0.4217),
            )],
        }),
        summary: Vec::new(),
        summary_source: None,
        local_pdf: None,
        bibtex: Some(
            "@inproceedings{vaswaniAttentionAllYou2017,\n  title = {Attention Is All You Need},\n}\n".to_owned(),
        ),
        in_library: true,
        merged: Vec::new(),
        updated: "2026-11-22".to_owned(),
    };
    insta::assert_snapshot!("paper_note", compose(&paper_fresh(&input)));
}

#[test]
fn an_author_note_snapshot() {
    let input = AuthorInput {
        author_id: "40348417".to_owned(),
        name: "Ashish Vaswani".to_owned(),
        papers: vec![
            item(
                &"2".repeat(40),
                Some("Attention Is All You Need"),
                "Vaswani et al. 2017",
                "Attention Is All You Need",
                2017,
            ),
            item(
                &"3".repeat(40),
                Some("Tensor2Tensor for Neural Machine Translation"),
                "Vaswani et al. 2018",
                "Tensor2Tensor for Neural Machine Translation",
                2018,
            ),
        ],
        updated: "2026-11-22".to_owned(),
    };
    insta::assert_snapshot!("author_note", compose(&author_fresh(&input)));
}

#[test]
fn an_index_note_snapshot() {
    let crawl = Crawl {
        crawl_id: 1,
        seed_key: "2".repeat(40),
        seeds: vec!["2".repeat(40).parse().expect("id")],
        seed_input: "ARXIV:1706.03762".to_owned(),
        depth: 2,
        direction: refnet::store::Direction::References,
        max_papers: 0,
        summarize: true,
        run: 1,
        status: refnet::store::CrawlStatus::Done,
        fetch_cutoff: 0,
        error: None,
        created_at: 1_763_769_600,
        fetched_run: Some(1),
        run_started_at: 1_763_769_600,
        finished_at: Some(1_763_769_660),
    };
    let attention = item(
        &"2".repeat(40),
        Some("Attention Is All You Need"),
        "Vaswani et al. 2017",
        "Attention Is All You Need",
        2017,
    );
    let lstm = item(
        &"b".repeat(40),
        Some("Long Short-Term Memory"),
        "Hochreiter and Schmidhuber 1997",
        "Long Short-Term Memory",
        1997,
    );
    let input = IndexInput {
        crawl: &crawl,
        seed_title: "Attention Is All You Need".to_owned(),
        seed_note: Some(NoteName::from_title("Attention Is All You Need")),
        stats: CrawlStats {
            members: 3,
            missing: 0,
            edges: 2,
            left_out: 5,
            truncated: 1,
        },
        by_depth: vec![(0, 1), (1, 2)],
        most_cited: vec![(lstm.clone(), 2)],
        central: vec![(lstm.clone(), 1), (attention.clone(), 2)],
        analysis: Some(IndexAnalysis {
            similar_to_seed: vec![(lstm.clone(), 0.5)],
            prior: vec![(lstm.clone(), 2)],
            derivative: vec![(attention.clone(), 2)],
            clusters: vec![(
                Some(NoteName::from_title("attention · translation")),
                "attention · translation".to_owned(),
                3,
                Some(attention),
            )],
        }),
        news: vec![NoteName::from_title(
            "New in Crawl 1 of Attention Is All You Need on 2026-11-22",
        )],
        refreshed: Some("2026-11-22".to_owned()),
        canvas: "refnet/maps/Crawl 1 of Attention Is All You Need.canvas".to_owned(),
        bibliography: "refnet/references.bib".to_owned(),
        updated: "2026-11-22".to_owned(),
    };
    insta::assert_snapshot!("index_note", compose(&index_fresh(&input)));
}

#[test]
fn a_cluster_note_snapshot() {
    use refnet::render::notes::cluster::{ClusterInput, cluster_fresh};
    let lstm = item(
        &"b".repeat(40),
        Some("Long Short-Term Memory"),
        "Hochreiter and Schmidhuber 1997",
        "Long Short-Term Memory",
        1997,
    );
    let (p, _) = vaswani();
    let attention = item(
        &p.paper_id,
        Some("Attention Is All You Need"),
        "Vaswani et al. 2017",
        "Attention Is All You Need",
        2017,
    );
    let input = ClusterInput {
        crawl_id: 1,
        cluster_id: 4,
        label: "attention · translation".to_owned(),
        terms: vec!["attention".to_owned(), "translation".to_owned()],
        index: (
            Some(NoteName::from_title("Crawl 1 of Attention Is All You Need")),
            "Crawl 1 of Attention Is All You Need".to_owned(),
        ),
        members: vec![
            (
                attention,
                Some("The Transformer: attention only, no recurrence.".to_owned()),
            ),
            (lstm.clone(), None),
        ],
        member_count: 2,
        prior: vec![(lstm, 2)],
        neighbours: vec![(
            Some(NoteName::from_title("recurrent · memory")),
            "recurrent · memory".to_owned(),
            3,
        )],
        updated: "2026-11-22".to_owned(),
    };
    let text = compose(&cluster_fresh(&input));
    let fm = frontmatter(&text);
    assert_eq!(fm["label"].as_str(), Some("attention · translation"));
    assert_eq!(fm["refnet_cluster"].as_str(), Some("1/4"));
    assert_eq!(fm["papers"].as_i64(), Some(2));
    insta::assert_snapshot!("cluster_note", text);
}

#[test]
fn a_canvas_snapshot() {
    use refnet::render::formats::canvas::{MapInput, MapPaper, layout, merge};
    use refnet::testkit::canvas::validate;
    let papers = ["seed", "left", "right", "far"]
        .iter()
        .enumerate()
        .map(|(i, name)| MapPaper {
            paper_id: format!("{i:040x}"),
            file: format!("refnet/papers/{name}.md"),
            depth: [0, 1, 1, 2][i],
            weight: [0.4, 0.3, 0.2, 0.1][i],
            cluster: None,
            similarity: 0.0,
        })
        .collect();
    let edges = vec![
        (format!("{:040x}", 0), format!("{:040x}", 1)),
        (format!("{:040x}", 1), format!("{:040x}", 3)),
    ];
    let text = merge(
        None,
        &layout(&MapInput {
            papers,
            edges,
            max_nodes: 100,
            clusters: Vec::new(),
        }),
    )
    .expect("merges");
    assert!(validate(&text).is_empty(), "{:?}", validate(&text));
    insta::assert_snapshot!("canvas", text);
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        Just("CON: <% tp.file.title %> [[Link]] #tag %% hidden %% ../../etc\n---\nkey: value".to_owned()),
        Just("\"quoted\" 'single' & <b>html</b> | pipe ^ caret ~ tilde".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_title_abstract_and_author_give_frontmatter_that_parses_back(
        title in arb_text(),
        abstract_text in arb_text(),
        author in arb_text(),
    ) {
        let mut p = paper(&"9".repeat(40), &title);
        p.abstract_text = Some(abstract_text.clone());
        let input = PaperInput {
            paper: &p,
            authors: vec![AuthorLink { name: author.clone(), author_id: None, note: None }],
            standing: None,
            citekey: None,
            references: Vec::new(),
            unresolved: Vec::new(),
            cited_by: Vec::new(),
            places: Vec::new(),
            summary: Vec::new(),
            summary_source: None,
            local_pdf: None,
            bibtex: None,
            in_library: false,
            merged: Vec::new(),
            updated: "2026-11-22".to_owned(),
        };
        let text = compose(&paper_fresh(&input));
        let fm = frontmatter(&text);
        // Properties are one line: whitespace runs collapse to a space; `[[`/`]]` never
        // survive (checked below), other text is kept as it is.
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let shown_title = if title.trim().is_empty() { format!("Untitled paper {}", "9".repeat(40)) } else { one_line(&title) };
        let fm_title = fm.get("title").and_then(|v| v.as_str()).expect("title");
        let authors: Vec<&str> = fm.get("authors").and_then(|v| v.as_sequence()).expect("authors").iter().filter_map(|v| v.as_str()).collect();
        prop_assert_eq!(authors.len(), 1);
        for (shown, given) in [(fm_title, shown_title.as_str()), (authors[0], one_line(&author).as_str())] {
            prop_assert!(!shown.contains("[[") && !shown.contains("]]") && !shown.contains('\n'), "{:?}", shown);
            if !given.contains("[[") && !given.contains("]]") {
                prop_assert_eq!(shown, given);
            }
        }
        prop_assert!(!text.contains("<%"));
        prop_assert!(wikilinks(&text).is_empty(), "no link appears from untrusted text: {:?}", wikilinks(&text));
        let rest = body(&text);
        for marker in ["%% refnet:begin header %%", "%% refnet:end header %%", "%% refnet:end cited_by %%"] {
            prop_assert_eq!(rest.matches(marker).count(), 1, "{} in {}", marker, rest);
        }
    }

    #[test]
    fn links_to_papers_resolve_to_their_own_notes_even_with_shared_titles(titles in proptest::collection::vec(arb_text(), 1..20)) {
        let mut taken = std::collections::HashSet::new();
        let mut notes = std::collections::HashMap::new();
        for (i, title) in titles.iter().enumerate() {
            let id = format!("{i:040x}");
            let name = paper_candidates(title, Some(2001), None, &id).into_iter().find(|c| taken.insert(c.key())).expect("a free name");
            notes.insert(name.as_str().to_owned(), id.clone());
            let line = link_line(&LinkItem { paper_id: id.clone(), note: Some(name.clone()), cite: Some(title.clone()), title: title.clone(), year: Some(2001), influential: false });
            let targets = wikilinks(&format!("---\n---\n{line}"));
            prop_assert_eq!(targets.len(), 1, "{}", line);
            prop_assert_eq!(notes.get(&targets[0]), Some(&id));
        }
    }
}
