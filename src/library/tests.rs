//! Libraries as Zotero, Better BibTeX, Mendeley and Google Scholar write them, and
//! broken ones.

use super::*;

fn ok(file: &str, text: &str) -> Library {
    parse(file, text).unwrap_or_else(|e| panic!("{e}"))
}

/// (name, line, ids as shown) of each entry.
fn summary(library: &Library) -> Vec<(String, usize, Vec<String>)> {
    library
        .entries
        .iter()
        .map(|e| (e.name.clone(), e.line, e.ids.iter().map(ToString::to_string).collect()))
        .collect()
}

fn row(name: &str, line: usize, ids: &[&str]) -> (String, usize, Vec<String>) {
    (name.to_owned(), line, ids.iter().map(|s| (*s).to_owned()).collect())
}

const BETTER_BIBTEX: &str = r#"% Better BibTeX export
@comment{jabref-meta: databaseType:biblatex;}
@string{ mind = "Mind" }
@preamble{ "\newcommand{\noop}[1]{}" }

@article{turingComputingMachineryIntelligence1950,
  title = {Computing {{Machinery}} and {{Intelligence}}},
  author = {Turing, A. M.},
  date = {1950},
  journaltitle = mind # { (new series)},
  volume = {LIX},
  number = {236},
  pages = {433--460},
  doi = {10.1093/mind/LIX.236.433},
  url = {https://academic.oup.com/mind/article/LIX/236/433/986238},
}

@online{vaswaniAttentionAllYou2017,
  title = {Attention {{Is All You Need}}},
  author = {Vaswani, Ashish and Shazeer, Noam},
  date = {2017-06-12},
  eprint = {1706.03762},
  eprinttype = {arxiv},
  eprintclass = {cs},
  url = {http://arxiv.org/abs/1706.03762},
  pubstate = {prepublished}
}

@article{smith2009,
  title = "A {PubMed} Study by M{\"u}ller",
  author = "Smith, J.",
  journal = {J. Med.},
  pmid = {19872477},
  pmcid = {PMC2323736},
  year = 2009
}

@book{knuthArtComputerProgramming1997,
  title = {The {{Art}} of {{Computer Programming}}},
  author = {Knuth, Donald E.},
  year = {1997},
}

@misc{scholarGoogle, title={Deep residual learning}, journal={arXiv preprint arXiv:1512.03385}, year={2015}}
"#;

#[test]
fn a_better_bibtex_export_gives_every_entry_with_its_ids() {
    let library = ok("refs.bib", BETTER_BIBTEX);
    assert_eq!(library.format, Format::Bibtex);
    assert_eq!(
        summary(&library),
        [
            row(
                "turingComputingMachineryIntelligence1950",
                6,
                &[
                    "DOI:10.1093/mind/LIX.236.433",
                    "URL:https://academic.oup.com/mind/article/LIX/236/433/986238"
                ]
            ),
            row("vaswaniAttentionAllYou2017", 18, &["ARXIV:1706.03762"]),
            row("smith2009", 29, &["PMID:19872477", "PMCID:2323736"]),
            row("knuthArtComputerProgramming1997", 38, &[]),
            row("scholarGoogle", 44, &["ARXIV:1512.03385"]),
        ]
    );
    let titles: Vec<Option<&str>> = library.entries.iter().map(|e| e.title.as_deref()).collect();
    assert_eq!(
        titles,
        [
            Some("Computing Machinery and Intelligence"),
            Some("Attention Is All You Need"),
            Some("A PubMed Study by Müller"),
            Some("The Art of Computer Programming"),
            Some("Deep residual learning"),
        ]
    );
    let unresolvable: Vec<&str> = library.unresolvable().map(|e| e.name.as_str()).collect();
    assert_eq!(unresolvable, ["knuthArtComputerProgramming1997"]);
    assert_eq!(library.resolvable().count(), 4);
    assert_eq!(
        library.entries[0].best_id().map(ToString::to_string).as_deref(),
        Some("DOI:10.1093/mind/LIX.236.433")
    );
}

#[test]
fn zotero_bibtex_quirks_are_read() {
    // Zotero's own BibTeX export: arXiv id in note, escaped underscores in DOIs,
    // parenthesised entries, `@` in free text, comments inside an entry.
    let text = "Some text with an email a@b.org.\n\
        @article(under, title = {x}, doi = {10.1000/a\\_b}, % the DOI\n  year = {2020})\n\
        @misc{zotero,\n  title = {Attention Is All You Need},\n  note = {arXiv: 1706.03762},\n  \
        url = {http://arxiv.org/abs/1706.03762v5}\n}\n\
        @article{empty}\n";
    assert_eq!(
        summary(&ok("z.bib", text)),
        [
            row("under", 2, &["DOI:10.1000/a_b"]),
            row("zotero", 4, &["ARXIV:1706.03762"]),
            row("empty", 9, &[]),
        ]
    );
}

#[test]
fn a_zotero_csl_json_export_gives_every_item_with_its_ids() {
    let text = r#"[
  {"id": "http://zotero.org/users/local/x/items/ABCD1234", "type": "article-journal",
   "title": "Computing Machinery and Intelligence", "container-title": "Mind",
   "DOI": "10.1093/mind/LIX.236.433", "issued": {"date-parts": [[1950]]}},
  {
    "id": "vaswaniAttentionAllYou2017",
    "type": "article",
    "title": "Attention Is All You Need",
    "number": "arXiv:1706.03762",
    "publisher": "arXiv",
    "URL": "http://arxiv.org/abs/1706.03762",
    "note": "arXiv:1706.03762 [cs]"
  },
  {"id": "smith2009", "type": "article-journal", "title": "A PubMed study",
   "PMID": "19872477", "PMCID": "PMC2323736"},
  {"id": 7, "type": "book", "title": "The Art of\n Computer Programming"},
  {"id": "s2", "type": "webpage", "title": "S2 page",
   "URL": "https://www.semanticscholar.org/paper/Attention/204e3073870fae3d05bcbc2f6a8e263d9b72e776"}
]"#;
    let library = ok("refs.json", text);
    assert_eq!(library.format, Format::CslJson);
    assert_eq!(
        summary(&library),
        [
            row(
                "Computing Machinery and Intelligence",
                2,
                &["DOI:10.1093/mind/LIX.236.433"]
            ),
            row("vaswaniAttentionAllYou2017", 5, &["ARXIV:1706.03762"]),
            row("smith2009", 14, &["PMID:19872477", "PMCID:2323736"]),
            row("The Art of Computer Programming", 16, &[]),
            row("s2", 17, &["204e3073870fae3d05bcbc2f6a8e263d9b72e776"]),
        ]
    );
}

#[test]
fn a_zotero_ris_export_gives_every_record_with_its_ids() {
    let text = "TY  - JOUR\r\nTI  - Computing Machinery and Intelligence\r\nAU  - Turing, A. M.\r\n\
        T2  - Mind\r\nDO  - 10.1093/mind/LIX.236.433\r\nUR  - https://doi.org/10.1093/mind/LIX.236.433\r\n\
        ER  - \r\n\r\n\
        TY  - PREPRINT\nT1  - Attention Is All You Need\nAN  - arXiv:1706.03762\n\
        UR  - http://arxiv.org/abs/1706.03762\nN1  - arXiv:1706.03762 [cs]\nER  - \n\n\
        TY  - BOOK\nID  - knuth97\nTI  - The Art of Computer\n  Programming\nER  -\n\
        TY  - JOUR\nTI  - PubMed record\nAN  - PMID:19872477\nUR  - https://pmc.ncbi.nlm.nih.gov/articles/PMC2323736/\n";
    let library = ok("refs.ris", text);
    assert_eq!(library.format, Format::Ris);
    assert_eq!(
        summary(&library),
        [
            row(
                "Computing Machinery and Intelligence",
                1,
                &["DOI:10.1093/mind/LIX.236.433"]
            ),
            row("Attention Is All You Need", 9, &["ARXIV:1706.03762"]),
            row("knuth97", 16, &[]),
            row("PubMed record", 21, &["PMID:19872477", "PMCID:2323736"]),
        ]
    );
    assert_eq!(
        library.entries[2].title.as_deref(),
        Some("The Art of Computer Programming")
    );
}

/// The error a library gives, as text.
fn error(file: &str, text: &str) -> String {
    parse(file, text).expect_err(file).to_string()
}

#[test]
fn files_that_are_no_library_are_named_with_what_was_found() {
    let e = error("notes.txt", "\n\nAttention Is All You Need\n10.1000/182\n");
    assert!(
        e.starts_with("notes.txt:3: not a BibTeX, CSL-JSON or RIS library"),
        "{e}"
    );
    assert!(e.contains("\"Attention Is All You Need\""), "{e}");
    let e = error("page.bib", "<!DOCTYPE html><html></html>");
    assert!(e.starts_with("page.bib:1:") && e.contains("HTML"), "{e}");
    let e = error("empty.bib", "   \n");
    assert!(e.contains("empty.bib") && e.contains("empty file"), "{e}");
    let e = error("data.json", r#"[{"name": "x"}]"#);
    assert!(
        e.starts_with("data.json:1: CSL-JSON syntax error") && e.contains("is this CSL-JSON"),
        "{e}"
    );
}

#[test]
fn syntax_errors_name_their_line() {
    let cases = [
        // An unclosed brace, found where the next entry starts.
        (
            "@article{a,\n  title = {Open {brace},\n  year = {2020}\n}\n\n@article{b,\n title = {x}}\n",
            2,
            "not closed before the next entry (line 6)",
        ),
        (
            "@article{a,\n  title = {Open {brace,\n  year = {2020}\n}\n\n@article{b,\n title = {x}}\n",
            2,
            "never closed",
        ),
        ("@article{a,\n  title = {x},\n  year = {2020}\n", 1, "not closed"),
        ("@article{a,\n  title {x}\n}\n", 2, "expected '='"),
        ("@article{a,\n  title = {x}\n  year = {1}\n}\n", 3, "expected ','"),
        ("@article{a,\n  title = \"x}\"\n}\n", 2, "without a matching"),
        ("@article{a,\n  title = ,\n}\n", 2, "no value"),
    ];
    for (text, line, what) in cases {
        let e = error("refs.bib", text);
        assert!(e.starts_with(&format!("refs.bib:{line}: BibTeX syntax error")), "{e}");
        assert!(e.contains(what), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    let e = error("refs.json", "[\n  {\"id\": \"a\",\n   \"DOI\": \"10.1/x\"\n  \n");
    assert!(
        e.starts_with("refs.json:3: CSL-JSON syntax error") && e.contains("ends early"),
        "{e}"
    );
    let e = error("refs.json", "[\n {\"id\": \"a\" \"DOI\": \"10.1/x\"}]");
    assert!(
        e.starts_with("refs.json:2: CSL-JSON syntax error") && e.contains("column"),
        "{e}"
    );
    let e = error("refs.json", "[1]");
    assert!(e.contains("a number, not a JSON object"), "{e}");
    let e = error("refs.ris", "Provider: x\nTY  - JOUR\nER  - \nTI  - Stray\n");
    assert!(e.starts_with("refs.ris:4: RIS syntax error") && e.contains("TI"), "{e}");
}

#[test]
fn a_library_without_entries_or_ids_is_refused() {
    let e = error("refs.bib", "% nothing here\n@comment{x}\n@string{a = {b}}\n");
    assert_eq!(
        e,
        "refs.bib: no entries in this BibTeX file (3 lines): export at least one item"
    );
    let e = error("refs.json", "[]");
    assert!(e.contains("no entries in this CSL-JSON file"), "{e}");
    let no_ids = "@book{a, title = {A}}\n@book{b, title = {B}}\n@book{c, title = {C}}\n@book{d, title = {D}}\n";
    let e = error("refs.bib", no_ids);
    assert_eq!(
        e,
        "refs.bib: none of its 4 entries has a DOI, arXiv id, PMID, PMCID or link (a (line 1), b (line 2), \
         c (line 3), …): export the library with those fields"
    );
    let e = error(
        "refs.ris",
        "TY  - BOOK\nTI  - Untitled work\nER  - \nTY  - BOOK\nER  - \n",
    );
    assert!(e.contains("Untitled work (line 1), entry 2 (line 4)"), "{e}");
}

#[test]
fn refnets_own_bibliography_reads_back_as_a_library() {
    use crate::render::formats::bib::{BibInput, bib_file, bibtex_entry};
    let authors = vec!["Alan Turing".to_owned()];
    let types = vec!["JournalArticle".to_owned()];
    let turing = bibtex_entry(
        "turing1950",
        &BibInput {
            title: "Computing Machinery and {Intelligence} 100%",
            authors: &authors,
            year: Some(1950),
            journal: Some("Mind"),
            doi: Some("10.1093/mind/LIX.236.433"),
            url: Some("https://www.semanticscholar.org/paper/204e3073870fae3d05bcbc2f6a8e263d9b72e776"),
            publication_types: &types,
            ..BibInput::default()
        },
    );
    let preprint = bibtex_entry(
        "preprint",
        &BibInput {
            title: "A_Preprint",
            arxiv: Some("2106.15928"),
            ..BibInput::default()
        },
    );
    let file = bib_file(&[("turing1950".to_owned(), turing), ("preprint".to_owned(), preprint)]);
    let library = ok("references.bib", &file);
    assert_eq!(
        summary(&library),
        [
            row("preprint", 3, &["ARXIV:2106.15928"]),
            row(
                "turing1950",
                10,
                &[
                    "DOI:10.1093/mind/LIX.236.433",
                    "204e3073870fae3d05bcbc2f6a8e263d9b72e776"
                ]
            ),
        ]
    );
    assert_eq!(library.entries[0].title.as_deref(), Some("A_Preprint"));
    assert_eq!(
        library.entries[1].title.as_deref(),
        Some("Computing Machinery and {Intelligence} 100%")
    );
}

mod any_text {
    use proptest::prelude::*;

    /// Text made mostly of what the three formats care about.
    fn library_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "(@[a-z]{0,8}[{(]|[a-z]{1,6} = |[{}\"#%,=\\\\@\\[\\]:]|TY  - |ER  - |\n|10\\.1/x|arXiv:1706\\.03762|[ a-zA-Z0-9]{1,5}){0,40}",
        ]
    }

    proptest! {
        #[test]
        fn any_text_gives_a_library_or_a_one_line_error(text in library_text()) {
            match super::parse("f.bib", &text) {
                Ok(library) => {
                    prop_assert!(!library.entries.is_empty());
                    prop_assert!(library.resolvable().count() > 0);
                    for e in &library.entries {
                        prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1));
                        prop_assert!(!e.name.is_empty());
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(message.starts_with("f.bib"), "{}", message);
                    prop_assert!(!message.contains('\n'), "{}", message);
                }
            }
        }
    }
}
