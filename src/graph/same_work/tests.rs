use super::*;

fn paper(id: &str, title: &str, author: &str, year: i64) -> IdentityRow {
    IdentityRow {
        paper_id: id.to_owned(),
        doi: None,
        arxiv: None,
        external_ids: "{}".to_owned(),
        title: title.to_owned(),
        year: Some(year),
        journal: None,
        venue: None,
        publication_types: "[]".to_owned(),
        citation_count: Some(1),
        first_author: Some(author.to_owned()),
    }
}

fn published(mut p: IdentityRow, journal: &str, doi: &str) -> IdentityRow {
    p.journal = Some(journal.to_owned());
    p.doi = Some(doi.to_owned());
    p.publication_types = "[\"JournalArticle\"]".to_owned();
    p
}

fn preprint(mut p: IdentityRow, arxiv: &str) -> IdentityRow {
    p.venue = Some("arXiv.org".to_owned());
    p.arxiv = Some(arxiv.to_owned());
    p.doi = Some(format!("10.48550/arxiv.{arxiv}"));
    p
}

fn pairs(found: &[SameWork]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = found.iter().map(|f| (f.merged.as_str(), f.kept.as_str())).collect();
    out.sort_unstable();
    out
}

/// A preprint, its publication, and another author's paper of the same title.
fn residual_learning() -> Vec<IdentityRow> {
    vec![
        preprint(
            paper(
                "pre",
                "Deep Residual Learning for Image Recognition",
                "Kaiming He",
                2015,
            ),
            "1512.03385",
        ),
        published(
            paper("pub", "Deep residual learning for image recognition.", "K. He", 2016),
            "CVPR",
            "10.1109/cvpr.2016.90",
        ),
        paper(
            "other",
            "Deep Residual Learning for Image Recognition",
            "Someone Else",
            2016,
        ),
    ]
}

#[test]
fn a_preprint_folds_into_its_published_version_by_title_author_and_year() {
    let papers = residual_learning();
    let found = find(&papers, &HashSet::new());
    assert_eq!(pairs(&found), vec![("pre", "pub")]);
    assert_eq!(found[0].reason, "same title, first author and year");
}

#[test]
fn shared_ids_merge_whatever_the_titles_say() {
    let mut a = published(
        paper("a", "Attention Is All You Need", "Ashish Vaswani", 2017),
        "NeurIPS",
        "10.5555/3295222",
    );
    a.arxiv = Some("1706.03762".to_owned());
    let b = preprint(
        paper("b", "Attention is all you need (v5)", "A. Vaswani", 2017),
        "1706.03762",
    );
    let found = find(&[b, a], &HashSet::new());
    assert_eq!(pairs(&found), vec![("b", "a")]);
    assert_eq!(found[0].reason, "shared arXiv id 1706.03762");
}

#[test]
fn short_generic_titles_far_years_and_two_publishers_never_merge() {
    let papers = vec![
        paper("i1", "Introduction", "Jane Smith", 2001),
        paper("i2", "Introduction", "Jane Smith", 2001),
        paper("r1", "Reply to the comments", "Jane Smith", 2003),
        paper("r2", "Reply to the comments", "Jane Smith", 2003),
        paper(
            "old",
            "A Theory of Everything Interesting in Graphs",
            "Jane Smith",
            2001,
        ),
        paper(
            "new",
            "A Theory of Everything Interesting in Graphs",
            "Jane Smith",
            2009,
        ),
        published(
            paper("conf", "Learning to Rank Papers by Citations", "Lee Park", 2019),
            "ICML",
            "10.1/icml",
        ),
        published(
            paper("jour", "Learning to Rank Papers by Citations", "Lee Park", 2020),
            "JMLR",
            "10.2/jmlr",
        ),
    ];
    assert!(
        find(&papers, &HashSet::new()).is_empty(),
        "{:?}",
        find(&papers, &HashSet::new())
    );
}

#[test]
fn an_unmerged_pair_stays_apart() {
    let papers = vec![
        preprint(
            paper("pre", "Graph Attention Networks for Citation Data", "Petar V", 2017),
            "1710.10903",
        ),
        published(
            paper("pub", "Graph Attention Networks for Citation Data", "Petar V", 2018),
            "ICLR",
            "10.1/iclr",
        ),
    ];
    assert_eq!(find(&papers, &HashSet::new()).len(), 1);
    let refused = HashSet::from([("pre".to_owned(), "pub".to_owned())]);
    assert!(find(&papers, &refused).is_empty());
}

#[test]
fn chains_resolve_to_their_end_and_cycles_to_one_paper() {
    let chain = resolve(&[("a".into(), "b".into()), ("b".into(), "c".into())]);
    assert_eq!(chain.get("a").map(String::as_str), Some("c"));
    assert_eq!(chain.get("b").map(String::as_str), Some("c"));
    let cycle = resolve(&[("x".into(), "y".into()), ("y".into(), "x".into())]);
    assert_eq!(cycle.get("y").map(String::as_str), Some("x"));
    assert!(!cycle.contains_key("x"));
}

fn keys(p: &IdentityRow) -> IdentityKeys {
    IdentityKeys {
        paper_id: p.paper_id.clone(),
        doi: p.doi.clone(),
        arxiv: p.arxiv.clone(),
        external_ids: p.external_ids.clone(),
        title: p.title.clone(),
    }
}

#[test]
fn only_papers_sharing_an_id_or_a_title_are_candidates_and_they_find_what_all_find() {
    let mut pubmed = paper("pm2", "Another Title Entirely About Proteins", "Ann Lee", 2010);
    pubmed.external_ids = r#"{"PubMed": "123"}"#.to_owned();
    let [pre, publication, other] = <[IdentityRow; 3]>::try_from(residual_learning()).expect("three papers");
    let mut pm1 = paper("pm1", "Proteins and Their Folding in Water", "Ann Lee", 2010);
    pm1.external_ids = r#"{"PubMed": "123"}"#.to_owned();
    let mut arx = paper("arx", "Whatever the Title Says Here Today", "Bo Li", 2020);
    arx.arxiv = Some("1512.03385".to_owned());
    let papers = vec![
        paper("alone", "A Lonely Paper on Something Unrelated", "Zed Zee", 2001),
        pre,
        pm1,
        publication,
        paper("i1", "Introduction", "Jane Smith", 2001),
        paper("i2", "Introduction", "Jane Smith", 2001),
        other,
        pubmed,
        arx,
    ];
    let all: Vec<IdentityKeys> = papers.iter().map(keys).collect();
    let chosen = candidates(&all);
    let ids: Vec<&str> = chosen.iter().map(|&i| papers[i].paper_id.as_str()).collect();
    // Shared title (three of them), shared PubMed id, shared arXiv id; not the lone
    // paper, nor generic titles however often they recur.
    assert_eq!(ids, ["pre", "pm1", "pub", "other", "pm2", "arx"]);
    let subset: Vec<IdentityRow> = chosen.iter().map(|&i| papers[i].clone()).collect();
    let (whole, part) = (find(&papers, &HashSet::new()), find(&subset, &HashSet::new()));
    assert_eq!(part, whole);
    assert_eq!(pairs(&whole), [("arx", "pub"), ("pm2", "pm1"), ("pre", "pub")]);
}
