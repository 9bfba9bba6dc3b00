//! One note per work: a preprint and its published version that S2 holds as two papers
//! become one note with the edges of both; a merge can be undone from the command line.

use refnet::testkit::{Corpus, FakeS2};
use serde_json::json;

use super::cli::{run, stderr};
use super::support::paper_notes_by_id;

/// Planted pairs: (published, preprint) twice, plus two different works titled
/// "Introduction" by one author in one year that must stay apart.
struct Field {
    corpus: Corpus,
    seed: usize,
    title_pair: (usize, usize),
    doi_pair: (usize, usize),
    introductions: (usize, usize),
    cites_published: usize,
    cites_preprint: usize,
}

fn field() -> Field {
    let mut c = Corpus::new();
    let base = c.add("base", "Foundations of Citation Graph Analysis", 2010, &[]);
    let published = c.add(
        "pub",
        "Attention Mechanisms for Reading Scientific Papers",
        2018,
        &[base],
    );
    let preprint = c.add(
        "pre",
        "Attention mechanisms for reading scientific papers.",
        2017,
        &[base],
    );
    for (i, first) in [(published, "Maria Garcia"), (preprint, "M. Garcia")] {
        c.paper_mut(i).authors = vec![(Some(format!("garcia-{i}")), first.to_owned())];
    }
    let p = c.paper_mut(published);
    p.doi = Some("10.1000/jrt.2018.1".to_owned());
    p.record.insert(
        "journal".into(),
        json!({"name": "Journal of Reading Tests", "volume": "3"}),
    );
    p.record.insert("publicationTypes".into(), json!(["JournalArticle"]));
    let p = c.paper_mut(preprint);
    p.arxiv = Some("1701.00001".to_owned());
    p.venue = Some("arXiv.org".to_owned());
    // Two records S2 keeps apart although they share a DOI.
    let doi_a = c.add("gnn-a", "Graph Neural Networks for Bibliometrics", 2020, &[base]);
    let doi_b = c.add("gnn-b", "GNNs for bibliometrics (extended abstract)", 2020, &[base]);
    for i in [doi_a, doi_b] {
        c.paper_mut(i).doi = Some("10.1000/gnn.7".to_owned());
    }
    c.paper_mut(doi_a)
        .record
        .insert("journal".into(), json!({"name": "Scientometrics"}));
    let intro_a = c.add("intro-a", "Introduction", 2015, &[base]);
    let intro_b = c.add("intro-b", "Introduction", 2015, &[base]);
    for i in [intro_a, intro_b] {
        c.paper_mut(i).authors = vec![(Some("smith".to_owned()), "Jane Smith".to_owned())];
    }
    let cites_published = c.add("reader-1", "Reading With Attention in Practice", 2019, &[published]);
    let cites_preprint = c.add("reader-2", "Early Notes on Attention for Reading", 2017, &[preprint]);
    let seed = c.add(
        "seed",
        "A Survey of Reading Machines",
        2021,
        &[
            published,
            preprint,
            doi_a,
            doi_b,
            intro_a,
            intro_b,
            cites_published,
            cites_preprint,
        ],
    );
    Field {
        corpus: c,
        seed,
        title_pair: (published, preprint),
        doi_pair: (doi_a, doi_b),
        introductions: (intro_a, intro_b),
        cites_published,
        cites_preprint,
    }
}

/// The text of one refnet region of a note.
fn region<'a>(text: &'a str, name: &str) -> &'a str {
    let begin = format!("%% refnet:begin {name} %%");
    let end = format!("%% refnet:end {name} %%");
    let start = text.find(&begin).unwrap_or_else(|| panic!("region {name} in:\n{text}"));
    let stop = text[start..].find(&end).map_or(text.len(), |e| start + e);
    &text[start..stop]
}

fn merged_ids(fm: &serde_yaml::Mapping) -> Vec<String> {
    fm.get("merged_s2_ids")
        .and_then(serde_yaml::Value::as_sequence)
        .map(|s| s.iter().filter_map(|v| v.as_str().map(ToOwned::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preprint_and_its_publication_are_one_note_until_unmerged() {
    let f = field();
    let id = |i: usize| f.corpus.paper(i).id.clone();
    let fake = FakeS2::start(f.corpus.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &fake.url,
        &["crawl", &id(f.seed), "--depth", "2", "--no-summarize"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let vault = dir.path().join("vault");

    let by_id = paper_notes_by_id(&vault);
    let (published, preprint) = f.title_pair;
    assert!(by_id.contains_key(&id(published)), "the published version has the note");
    assert!(!by_id.contains_key(&id(preprint)), "the preprint has none of its own");
    let (stem, fm, text) = &by_id[&id(published)];
    assert_eq!(merged_ids(fm), vec![id(preprint)]);
    // The edges of both: each reader cites one record, the note lists both readers.
    for reader in [f.cites_published, f.cites_preprint] {
        let (reader_stem, _, _) = &by_id[&id(reader)];
        let cited_by = region(text, "cited_by");
        assert!(
            cited_by.contains(&format!("[[{reader_stem}")),
            "{reader_stem} in Cited by of {stem}:\n{text}"
        );
    }
    assert!(
        text.contains("@article{"),
        "the BibTeX entry is the published one:\n{text}"
    );
    assert!(text.contains("Journal of Reading Tests"));

    // Shared DOI: one note, the journal's record kept.
    let (a, b) = f.doi_pair;
    assert!(by_id.contains_key(&id(a)) && !by_id.contains_key(&id(b)));
    assert_eq!(merged_ids(&by_id[&id(a)].1), vec![id(b)]);
    // Same title, author and year but too generic a title: two works, two notes.
    let (i1, i2) = f.introductions;
    assert!(by_id.contains_key(&id(i1)) && by_id.contains_key(&id(i2)));

    let listed = run(dir.path(), &fake.url, &["papers", "merges", "--json"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let merges: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(merges["merges"].as_array().map(Vec::len), Some(2), "{merges}");

    // Undo the title merge: two notes again, each with its own reader; for good.
    let undone = run(dir.path(), &fake.url, &["papers", "unmerge", &id(preprint)]).await;
    assert!(undone.status.success(), "{}", stderr(&undone));
    let rendered = run(dir.path(), &fake.url, &["render"]).await;
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let by_id = paper_notes_by_id(&vault);
    let (_, fm, published_text) = &by_id[&id(published)];
    assert!(merged_ids(fm).is_empty());
    let (_, _, preprint_text) = by_id.get(&id(preprint)).expect("the preprint's note is back");
    let stem_of = |i: usize| by_id[&id(i)].0.clone();
    let (published_cited_by, preprint_cited_by) =
        (region(published_text, "cited_by"), region(preprint_text, "cited_by"));
    assert!(published_cited_by.contains(&format!("[[{}", stem_of(f.cites_published))));
    assert!(!published_cited_by.contains(&format!("[[{}", stem_of(f.cites_preprint))));
    assert!(preprint_cited_by.contains(&format!("[[{}", stem_of(f.cites_preprint))));

    // Unmerging what is not merged is a usage error.
    let again = run(dir.path(), &fake.url, &["papers", "unmerge", &id(preprint)]).await;
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("is not merged"), "{}", stderr(&again));
}
