//! Whole entries and files: field order, the type rules end to end on real S2 records,
//! and that any input gives an entry biblatex accepts structurally.

use proptest::prelude::*;

use super::kind::EntryKind;
use super::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn entry(types: &[&str], build: impl FnOnce(&mut BibInput<'_>)) -> String {
    let types = strings(types);
    let authors = strings(&["Ashish Vaswani", "Noam Shazeer"]);
    let mut input = BibInput {
        title: "Attention Is All You Need",
        authors: &authors,
        year: Some(2017),
        publication_types: &types,
        ..BibInput::default()
    };
    build(&mut input);
    bibtex_entry("key", &input)
}

/// The value of `field` in an entry, if present.
fn field<'e>(entry: &'e str, field: &str) -> Option<&'e str> {
    let prefix = format!("  {field} = {{");
    entry.lines().find_map(|l| {
        l.strip_prefix(prefix.as_str())
            .map(|rest| rest.trim_end_matches(',').strip_suffix('}').unwrap_or(rest))
    })
}

fn head(e: &str) -> &str {
    e.lines().next().unwrap_or_default()
}

#[test]
fn a_full_entry_has_its_fields_in_order() {
    let types = strings(&["JournalArticle"]);
    let authors = strings(&["Ashish Vaswani", "Noam Shazeer"]);
    let input = BibInput {
        title: "Attention Is All You Need",
        authors: &authors,
        year: Some(2017),
        venue: Some("Neural Information Processing Systems"),
        journal: Some("Advances in Neural Information Processing Systems"),
        volume: Some("30"),
        pages: Some("5998-6008"),
        doi: Some("10.5555/3295222.3295349"),
        arxiv: Some("1706.03762"),
        url: Some("https://arxiv.org/abs/1706.03762"),
        publication_types: &types,
    };
    assert_eq!(
        bibtex_entry("vaswaniAttentionAllYou2017", &input),
        "@article{vaswaniAttentionAllYou2017,\n  \
         title = {Attention Is All You Need},\n  \
         author = {Vaswani, Ashish and Shazeer, Noam},\n  \
         year = {2017},\n  \
         journal = {Advances in Neural Information Processing Systems},\n  \
         volume = {30},\n  \
         pages = {5998--6008},\n  \
         doi = {10.5555/3295222.3295349},\n  \
         url = {https://arxiv.org/abs/1706.03762},\n  \
         eprint = {1706.03762},\n  \
         archivePrefix = {arXiv}\n\
         }\n"
    );
}

#[test]
fn turing_1950_is_an_article_in_mind() {
    // The record in the shared S2 fixtures (Paper.json): venue "The Philosophy of
    // Artificial Intelligence", journal {name: "Mind", volume: "LIX", pages: "433-460"}.
    let e = entry(&["JournalArticle", "Review"], |i| {
        i.title = "Computing Machinery and Intelligence";
        i.year = Some(1950);
        i.venue = Some("The Philosophy of Artificial Intelligence");
        i.journal = Some("Mind");
        i.volume = Some("LIX");
        i.pages = Some("433-460");
    });
    assert_eq!(head(&e), "@article{key,");
    assert_eq!(field(&e, "journal"), Some("Mind"));
    assert_eq!(field(&e, "volume"), Some("59"));
    assert_eq!(field(&e, "pages"), Some("433--460"));
}

#[test]
fn a_preprint_is_misc_with_its_eprint_and_nothing_a_misc_cannot_carry() {
    let e = entry(&["JournalArticle"], |i| {
        i.journal = Some("ArXiv");
        i.volume = Some("abs/1706.03762");
        i.pages = Some("1-10");
        i.venue = Some("arXiv.org");
        i.arxiv = Some("1706.03762");
    });
    assert_eq!(head(&e), "@misc{key,");
    assert_eq!(field(&e, "eprint"), Some("1706.03762"));
    assert_eq!(field(&e, "archivePrefix"), Some("arXiv"));
    for absent in ["journal", "volume", "pages", "booktitle", "howpublished", "eprinttype"] {
        assert_eq!(field(&e, absent), None, "{absent} in {e}");
    }
}

#[test]
fn a_conference_paper_has_a_booktitle_and_its_eprint() {
    let e = entry(&["JournalArticle", "Conference"], |i| {
        i.journal = Some("ArXiv");
        i.venue = Some("Neural Information Processing Systems");
        i.arxiv = Some("1706.03762");
    });
    assert_eq!(head(&e), "@inproceedings{key,");
    assert_eq!(field(&e, "booktitle"), Some("Neural Information Processing Systems"));
    assert_eq!(field(&e, "journal"), None);
    assert_eq!(field(&e, "eprint"), Some("1706.03762"));
}

#[test]
fn an_article_without_authors_falls_back_to_misc() {
    let e = entry(&["JournalArticle"], |i| {
        i.authors = &[];
        i.journal = Some("Nature");
        i.volume = Some("3");
    });
    assert_eq!(head(&e), "@misc{key,");
    assert_eq!(field(&e, "howpublished"), Some("Nature"));
    assert_eq!(field(&e, "volume"), None);
}

#[test]
fn an_empty_input_still_makes_a_valid_entry() {
    assert_eq!(
        bibtex_entry("anon", &BibInput::default()),
        "@misc{anon,\n  title = {Untitled},\n  date = {XXXX}\n}\n"
    );
    let blank = entry(&[], |i| {
        i.title = "  ";
        i.venue = Some(" ");
        i.doi = Some(" {} ");
        i.arxiv = Some(" ");
    });
    assert_eq!(field(&blank, "title"), Some("Untitled"));
    assert_eq!(field(&blank, "doi"), None);
    assert_eq!(field(&blank, "eprint"), None);
}

#[test]
fn titles_have_their_whitespace_collapsed() {
    let e = entry(&[], |i| i.title = "  Computing\n  Machinery\tand   Intelligence ");
    assert_eq!(field(&e, "title"), Some("Computing Machinery and Intelligence"));
}

#[test]
fn brace_balance_is_counted_like_bibtex() {
    assert!(braces_balanced("{a {b} c}"));
    assert!(braces_balanced(""));
    assert!(!braces_balanced("}{"));
    // BibTeX counts escaped braces too.
    assert!(braces_balanced("{a \\}"));
    assert!(!braces_balanced("{a \\}}"));
    assert!(!braces_balanced("{"));
}

#[test]
fn bib_files_are_sorted_and_deterministic() {
    let entries = vec![
        ("beta".to_owned(), "@misc{beta\n}\n".to_owned()),
        ("Alpha".to_owned(), "@misc{Alpha\n}".to_owned()),
        ("alpha".to_owned(), "@misc{alpha\n}\n".to_owned()),
        ("Gamma".to_owned(), "@misc{Gamma\n}\n".to_owned()),
    ];
    let file = bib_file(&entries);
    assert_eq!(
        file,
        format!("{BIB_HEADER}\n@misc{{Alpha\n}}\n\n@misc{{alpha\n}}\n\n@misc{{beta\n}}\n\n@misc{{Gamma\n}}\n")
    );
    let mut reversed = entries.clone();
    reversed.reverse();
    assert_eq!(bib_file(&reversed), file);
    assert!(file.starts_with("% ") && file.lines().next().is_some_and(|l| l.contains("refnet")));
    assert_eq!(bib_file(&[]), BIB_HEADER);
}

/// Arbitrary text, or text made mostly of the characters BibTeX cares about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 {}%&#$_^~\\\\\n\t\r,\u{7}\u{85}\u{2028}éÜ-]{0,40}",
        Just("ArXiv".to_owned()),
        Just("Proceedings of the IEEE Conference".to_owned()),
        Just("LIX".to_owned()),
    ]
}

/// Checks an entry as biblatex's data model would: a head line with a known type and the
/// key, one `name = {value}` field per line with balanced braces and no unescaped `%`
/// outside doi and url, each field allowed for the type, and the type's required fields.
fn check_entry(entry: &str, key: &str) -> Result<(), TestCaseError> {
    prop_assert!(entry.ends_with("}\n"), "{entry}");
    prop_assert!(braces_balanced(entry), "{entry}");
    let lines: Vec<&str> = entry.lines().collect();
    prop_assert!(lines.len() >= 3, "{entry}");
    let kind = [
        EntryKind::Article,
        EntryKind::InProceedings,
        EntryKind::Book,
        EntryKind::Misc,
    ]
    .into_iter()
    .find(|k| lines[0] == format!("@{}{{{key},", k.name()));
    let Some(kind) = kind else {
        return Err(TestCaseError::fail(format!("unknown head: {entry}")));
    };
    prop_assert_eq!(lines[lines.len() - 1], "}");
    let mut names = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        let (name, value) = line.split_once(" = ").unwrap_or(("", ""));
        let name = name.trim_start();
        prop_assert!(line.starts_with("  ") && !name.is_empty(), "{entry}");
        let value = value.strip_suffix(',').unwrap_or(value);
        prop_assert!(value.starts_with('{') && value.ends_with('}'), "{entry}");
        prop_assert!(braces_balanced(value), "{line}");
        prop_assert!(value.len() > 2, "empty {name}: {entry}");
        if name != "doi" && name != "url" {
            let chars: Vec<char> = value.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                prop_assert!(*c != '%' || (i > 0 && chars[i - 1] == '\\'), "{line}");
            }
        }
        if name == "volume" {
            prop_assert!(value[1..value.len() - 1].parse::<u32>().is_ok(), "{line}");
        }
        names.push(name);
    }
    let allowed: &[&str] = match kind {
        EntryKind::Article => &["journal", "volume", "pages"],
        EntryKind::InProceedings => &["booktitle", "volume", "pages"],
        EntryKind::Book => &[],
        EntryKind::Misc => &["howpublished"],
    };
    let common = [
        "title",
        "author",
        "year",
        "date",
        "doi",
        "url",
        "eprint",
        "archivePrefix",
    ];
    for name in &names {
        prop_assert!(common.contains(name) || allowed.contains(name), "{name} in {entry}");
    }
    prop_assert!(names.contains(&"title"), "{entry}");
    prop_assert!(names.contains(&"year") != names.contains(&"date"), "{entry}");
    for required in kind.required() {
        prop_assert!(names.contains(required), "{required} missing: {entry}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_input_gives_an_entry_biblatex_accepts(
        title in text(),
        authors in proptest::collection::vec(text(), 0..4),
        venue in proptest::option::of(text()),
        journal in proptest::option::of(text()),
        volume in proptest::option::of(text()),
        doi in proptest::option::of(text()),
        url in proptest::option::of(text()),
        arxiv in proptest::option::of(text()),
        pages in proptest::option::of(text()),
        kinds in proptest::collection::vec(
            prop_oneof![Just("Conference"), Just("JournalArticle"), Just("Review"), Just("Book"), Just("Dataset")],
            0..3,
        ),
        year in any::<Option<i64>>(),
    ) {
        let types: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        let key = base_citekey(authors.first().map(String::as_str), &title, year);
        let input = BibInput {
            title: &title,
            authors: &authors,
            year,
            venue: venue.as_deref(),
            journal: journal.as_deref(),
            volume: volume.as_deref(),
            pages: pages.as_deref(),
            doi: doi.as_deref(),
            arxiv: arxiv.as_deref(),
            url: url.as_deref(),
            publication_types: &types,
        };
        let entry = bibtex_entry(&key, &input);
        check_entry(&entry, &key)?;
    }
}
