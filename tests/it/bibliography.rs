//! The bibliography and properties a crawl leaves, on S2 records of every kind: entry
//! types from what is known, the journal's name as venue, one-line titles without links,
//! and (when the `biber` binary is installed, as in CI) 0 warnings from biber's
//! data-model check on the generated `references.bib`.

use std::path::Path;
use std::process::Command;

use refnet::store::Direction;
use refnet::testkit::Corpus;
use serde_json::{Value, json};

use super::support::{Backend, TestApp, frontmatter};

/// A corpus whose seed cites one paper of each kind S2 records.
fn varied_corpus() -> (Corpus, String) {
    let mut corpus = Corpus::new();
    let mut kinds: Vec<usize> = Vec::new();
    let mut add = |corpus: &mut Corpus, label: &str, title: &str, record: Value| {
        let i = corpus.add(label, title, 2017, &[]);
        if let Value::Object(map) = record {
            corpus.paper_mut(i).record = map;
        }
        kinds.push(i);
        i
    };
    // Turing 1950 as S2 records it (shared fixtures, Paper.json).
    add(
        &mut corpus,
        "turing",
        "Computing Machinery\n  and Intelligence",
        json!({"venue": "The Philosophy of Artificial Intelligence", "year": 1950,
               "journal": {"name": "Mind", "pages": "433-460", "volume": "LIX"},
               "publicationTypes": ["JournalArticle", "Review"]}),
    );
    // A conference paper S2 also lists under "ArXiv".
    add(
        &mut corpus,
        "vaswani",
        "Attention Is All You Need",
        json!({"venue": "Neural Information Processing Systems",
               "journal": {"name": "ArXiv", "volume": "abs/1706.03762"},
               "publicationTypes": ["JournalArticle", "Conference"],
               "externalIds": {"ArXiv": "1706.03762", "CorpusId": 13756489}}),
    );
    // A preprint known only by its arXiv id.
    add(
        &mut corpus,
        "preprint",
        "A Preprint Nobody Published",
        json!({"venue": "arXiv.org", "journal": {"name": "ArXiv", "volume": "abs/2106.15928", "pages": "1-9"},
               "publicationTypes": null, "externalIds": {"ArXiv": "2106.15928", "CorpusId": 1}}),
    );
    // Proceedings known by their name only.
    add(
        &mut corpus,
        "naacl",
        "Pre-training in Proceedings",
        json!({"venue": "North American Chapter of the Association for Computational Linguistics",
               "journal": {"name": "Proceedings of the 2019 Conference of the North American Chapter", "pages": "4171-4186"},
               "publicationTypes": null}),
    );
    // A journal without publication types.
    add(
        &mut corpus,
        "nature",
        "Deep Learning",
        json!({"venue": "Nature", "journal": {"name": "Nature", "volume": "521", "pages": "436-444"},
               "publicationTypes": null}),
    );
    add(
        &mut corpus,
        "book",
        "A Book",
        json!({"venue": "", "journal": null, "publicationTypes": ["Book"]}),
    );
    add(
        &mut corpus,
        "data",
        "A Dataset",
        json!({"venue": "", "journal": null, "publicationTypes": ["Dataset"]}),
    );
    add(
        &mut corpus,
        "review",
        "A Review Known by Its Venue",
        json!({"venue": "Annual Review of Testing", "journal": null, "publicationTypes": ["Review"]}),
    );
    add(
        &mut corpus,
        "workshop",
        "A Workshop Paper",
        json!({"venue": "Workshop on Fakes", "journal": {"name": "Workshop on Fakes", "volume": "x.3"},
               "publicationTypes": ["Conference"]}),
    );
    let anonymous = add(
        &mut corpus,
        "anonymous",
        "Nobody Wrote This",
        json!({"venue": "Science", "journal": {"name": "Science", "volume": "3"}, "publicationTypes": ["JournalArticle"],
               "year": null}),
    );
    corpus.paper_mut(anonymous).authors.clear();
    add(
        &mut corpus,
        "hostile",
        "Q&A on $x_i$: 50% of [[Other Note]] {braces",
        json!({"journal": {"name": "J. [[Odd]] \\ Names", "volume": "7"}, "publicationTypes": ["JournalArticle"]}),
    );
    let seed = corpus.add("seed", "The Seed", 2020, &kinds);
    let seed_id = corpus.paper(seed).id.clone();
    (corpus, seed_id)
}

/// The entries of a `.bib` file, each as its text.
fn entries(bib: &str) -> Vec<&str> {
    bib.split("\n@").skip(1).collect()
}

/// The entry with `title = {…needle…}`.
fn entry_titled<'b>(bib: &'b str, needle: &str) -> &'b str {
    entries(bib)
        .into_iter()
        .find(|e| e.lines().any(|l| l.starts_with("  title = {") && l.contains(needle)))
        .unwrap_or_else(|| panic!("no entry titled {needle}:\n{bib}"))
}

fn field<'e>(entry: &'e str, name: &str) -> Option<&'e str> {
    let prefix = format!("  {name} = {{");
    entry.lines().find_map(|l| {
        l.strip_prefix(prefix.as_str())
            .map(|rest| rest.trim_end_matches(',').strip_suffix('}').unwrap_or(rest))
    })
}

#[tokio::test]
async fn entry_types_venues_and_titles_follow_what_is_known() {
    let (corpus, seed) = varied_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    app.crawl(&seed, 1, Direction::References, None).await;
    let bib = std::fs::read_to_string(app.vault().join("refnet/references.bib")).expect("bib");
    assert_eq!(entries(&bib).len(), 12, "{bib}");

    let turing = entry_titled(&bib, "Computing Machinery and Intelligence");
    assert!(turing.starts_with("article{"), "{turing}");
    assert_eq!(field(turing, "journal"), Some("Mind"));
    assert_eq!(field(turing, "volume"), Some("59"));
    assert_eq!(field(turing, "pages"), Some("433--460"));
    let vaswani = entry_titled(&bib, "Attention");
    assert!(vaswani.starts_with("inproceedings{"), "{vaswani}");
    assert_eq!(
        field(vaswani, "booktitle"),
        Some("Neural Information Processing Systems")
    );
    assert_eq!(field(vaswani, "eprint"), Some("1706.03762"));
    let preprint = entry_titled(&bib, "Preprint");
    assert!(preprint.starts_with("misc{"), "{preprint}");
    assert_eq!(field(preprint, "eprint"), Some("2106.15928"));
    assert_eq!(field(preprint, "archivePrefix"), Some("arXiv"));
    for absent in ["volume", "pages", "journal"] {
        assert_eq!(field(preprint, absent), None, "{preprint}");
    }
    assert!(entry_titled(&bib, "in Proceedings").starts_with("inproceedings{"));
    assert!(entry_titled(&bib, "Workshop Paper").starts_with("inproceedings{"));
    assert_eq!(field(entry_titled(&bib, "Deep Learning"), "journal"), Some("Nature"));
    assert_eq!(
        field(entry_titled(&bib, "Review Known"), "journal"),
        Some("Annual Review of Testing")
    );
    assert!(entry_titled(&bib, "A Book").starts_with("book{"));
    assert!(entry_titled(&bib, "A Dataset").starts_with("misc{"));
    let anonymous = entry_titled(&bib, "Nobody");
    assert!(anonymous.starts_with("misc{"), "{anonymous}");
    assert_eq!(field(anonymous, "date"), Some("XXXX"));

    // The notes say the same: the journal's name as venue, one-line titles, no links.
    let notes = app.paper_notes();
    let (_, turing_note) = notes
        .iter()
        .find(|(name, _)| name == "Computing Machinery and Intelligence")
        .expect("Turing's note, named from the one-line title");
    let fm = frontmatter(turing_note);
    assert_eq!(fm.get("venue").and_then(|v| v.as_str()), Some("Mind"));
    assert_eq!(
        fm.get("title").and_then(|v| v.as_str()),
        Some("Computing Machinery and Intelligence")
    );
    let (_, hostile) = notes
        .iter()
        .find(|(_, text)| {
            frontmatter(text)
                .get("title")
                .and_then(|v| v.as_str())
                .is_some_and(|t| t.starts_with("Q&A on"))
        })
        .expect("the hostile note");
    let fm = frontmatter(hostile);
    for key in ["title", "venue"] {
        let value = fm.get(key).and_then(|v| v.as_str()).expect(key);
        assert!(!value.contains("[[") && !value.contains("]]"), "{key}: {value}");
    }

    validate_with_biber(&bib);
}

/// Runs `biber --tool --validate-datamodel` on the file and asserts it warns about
/// nothing; skipped (with a line saying so) when biber is not installed.
fn validate_with_biber(bib: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("references.bib"), bib).expect("write bib");
    let output = match Command::new("biber")
        .args(["--tool", "--validate-datamodel", "references.bib"])
        .current_dir(dir.path())
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped biber's data-model check: biber is not installed (apt-get install biber)");
            return;
        }
        Err(e) => panic!("running biber: {e}"),
    };
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "biber failed:\n{log}");
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    assert!(
        complaints.is_empty(),
        "biber complains:\n{}\n{bib}",
        complaints.join("\n")
    );
    assert!(
        Path::new(&dir.path().join("references_bibertool.bib")).is_file(),
        "{log}"
    );
}
