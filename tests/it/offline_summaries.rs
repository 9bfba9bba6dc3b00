//! Offline (extractive) summaries worth reading: never the title, labelled with what the
//! text really was, S2's TLDR shown once, a PDF quoted from the sections that say what the
//! paper does, a paper with no text at all saying so, and a batch of papers summarized
//! together.

use std::sync::Arc;

use refnet::render::notes::paper::NO_TEXT;
use refnet::store::Direction;
use refnet::summarize::batch::summarize_local;
use refnet::summarize::summary::{Source, Summarizer, Summary};
use refnet::summarize::{Deps, Outcome, extractive, offline_text};
use refnet::testkit::pdf::text_pdf;
use refnet::testkit::{Corpus, FakeWeb};
use serde_json::Value;

use super::support::{Backend, TestApp, TestSummarizer, frontmatter, shared_fixtures};
use crate::both_backends;

/// Lowercase words of letters and digits, one space apart.
fn plain(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether some sentence of `part` is the title, or the title with a few words around it.
fn quotes_title(part: &str, title: &str) -> bool {
    let title = plain(title);
    !title.is_empty()
        && part.split_inclusive(['.', '?', '!']).any(|sentence| {
            let sentence = plain(sentence);
            sentence == title || (sentence.contains(&title) && sentence.len() <= title.len() + 25)
        })
}

fn parts(s: &Summary) -> [&str; 5] {
    [&s.tldr, &s.problem, &s.method, &s.results, &s.limitations]
}

/// Papers as S2 recorded them: Turing's paper, its citing and cited papers, an author's papers.
fn recorded_papers(dir: &std::path::Path) -> Vec<Value> {
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let paper = read("Paper.json");
    let author = read("Author.json");
    let mut out = vec![paper.clone()];
    for list in [&paper["citations"], &paper["references"], &author["papers"]] {
        out.extend(list.as_array().into_iter().flatten().cloned());
    }
    out
}

#[test]
fn the_extractive_tldr_is_never_the_title_on_recorded_s2_papers() {
    let Some(dir) = shared_fixtures("s2/tests/data") else {
        return;
    };
    let (mut summarized, mut restating) = (0, 0);
    for record in recorded_papers(&dir) {
        let Some(title) = record["title"].as_str() else {
            continue;
        };
        let Some((source, text)) = offline_text(record["abstract"].as_str(), record["tldr"]["text"].as_str()) else {
            continue;
        };
        // As S2 gives it, and as the summarizer was fed before (the title first): some
        // abstracts open with their title too.
        for text in [text.to_owned(), format!("{title}\n\n{text}")] {
            let s = extractive::summarize(title, &text, source);
            for part in parts(&s) {
                assert!(!quotes_title(part, title), "{title:?} quoted: {s:?}");
            }
            summarized += usize::from(!s.tldr.is_empty());
        }
        restating += usize::from(quotes_title(text, title));
    }
    assert!(summarized > 1_200, "most recorded papers get a TL;DR: {summarized}");
    println!("{restating} recorded abstracts restate their title");
}

#[test]
fn the_offline_text_is_what_the_label_says() {
    let long = "word ".repeat(50);
    let cases = [
        (
            Some(long.as_str()),
            Some("A TLDR."),
            Some((Source::Abstract, long.as_str())),
        ),
        (
            Some("A short abstract."),
            None,
            Some((Source::Abstract, "A short abstract.")),
        ),
        (
            Some("A short abstract."),
            Some("A TLDR."),
            Some((Source::Tldr, "A TLDR.")),
        ),
        (None, Some("A TLDR."), Some((Source::Tldr, "A TLDR."))),
        (Some("  "), Some(" \n"), None),
        (None, None, None),
    ];
    for (abstract_text, tldr, expected) in cases {
        assert_eq!(
            offline_text(abstract_text, tldr),
            expected,
            "{abstract_text:?} {tldr:?}"
        );
    }
}

/// The full text of the seed's PDF: its front matter, sections, acknowledgements and
/// references; only the marked sentences may be quoted.
fn full_text() -> (String, Vec<&'static str>, Vec<&'static str>) {
    let quotable = vec![
        "Training large language models is costly and hard to reproduce for most research groups.",
        "We propose Quill, a method based on sparse adapters that cuts the training cost of language models.",
        "Experiments show that Quill improves accuracy by 4% over dense baselines on three benchmarks.",
        "In this paper we introduce sparse adapters, which train a small share of the weights.",
        "Quill shows that sparse adapters make training affordable without losing accuracy.",
        "Quill does not yet handle multilingual data, which we leave to future work.",
    ];
    let never = vec![
        "We thank the reviewers, whose comments helped us improve the accuracy of our experiments and results.",
        "We propose the Transformer, which outperforms all baselines by 2 BLEU.",
        "This work is licensed under a Creative Commons Attribution 4.0 International Licence, which we improve.",
        "Our experiments show that Quill outperforms every baseline with a significant improvement in accuracy.",
    ];
    let text = format!(
        "Quill Sparse Adapters for Cheap Training\n\nAda Lovelace and Charles Babbage\n\n\
         Department of Computing, University of Somewhere, ada@example.org\n\nAbstract\n\n{} {} {}\n\n\
         1 Introduction\n\nLanguage models have grown a thousandfold in five years, and so has their cost. {}\n\n{}\n\n\
         2 Experiments\n\n{}\n\n3 Conclusion\n\n{} {}\n\nAcknowledgements\n\n{}\n\nReferences\n\n\
         [1] Ashish Vaswani and others. {} In Advances in Neural Information Processing Systems, 2017.\n\n",
        quotable[0],
        quotable[1],
        quotable[2],
        quotable[3],
        never[2],
        never[3],
        quotable[4],
        quotable[5],
        never[0],
        never[1],
    );
    (text, quotable, never)
}

both_backends!(
    notes_label_their_summary_by_its_text_show_s2s_tldr_once_and_say_when_there_is_no_text,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(40, 6, 77);
        let seed_idx = 39;
        let refs: Vec<usize> = corpus.paper(seed_idx).references.iter().flatten().copied().collect();
        assert!(refs.len() >= 5, "{refs:?}");
        let web = FakeWeb::start().await;
        let (pdf_text, quotable, never) = full_text();
        let pdf_url = web.pdf("quill.pdf", text_pdf(&pdf_text));
        let app = TestApp::with(backend, corpus, Default::default(), |s| {
            s.pdf.allow_hosts = vec![web.host.clone()];
        })
        .await;
        let tldr = "We propose a simple method for topic twelve that improves results on three benchmarks.";
        // (paper, abstract, TLDR, the label its note shows)
        let cases: [(usize, Option<&str>, Option<&str>, &str); 5] = [
            (refs[0], None, None, "abstract"),
            (refs[1], Some("A short abstract of a short paper."), None, "abstract"),
            (refs[2], Some("A short abstract of a short paper."), Some(tldr), "tldr"),
            (refs[3], Some(""), Some(tldr), "tldr"),
            (refs[4], Some(""), None, "title"),
        ];
        let ids: Vec<String> = app.s2.with_corpus(|c| {
            for &(idx, abstract_text, tldr, _) in &cases {
                let paper = c.paper_mut(idx);
                if let Some(a) = abstract_text {
                    paper.abstract_text = (!a.is_empty()).then(|| a.to_owned());
                }
                paper.tldr = tldr.map(str::to_owned);
            }
            c.paper_mut(seed_idx).pdf_url = Some(pdf_url.clone());
            c.paper_mut(seed_idx).title = "Quill Sparse Adapters for Cheap Training".to_owned();
            cases.iter().map(|&(idx, ..)| c.paper(idx).id.clone()).collect()
        });
        let seed = app.s2.with_corpus(|c| c.paper(seed_idx).id.clone());

        let crawl = app.crawl_with(&seed, 1, Direction::References, None, true).await;

        let note_of = |id: &str| {
            app.paper_notes()
                .into_iter()
                .map(|(_, text)| text)
                .find(|t| t.contains(&format!("s2_id: \"{id}\"")))
                .expect("the paper has a note")
        };
        for (id, &(_, _, tldr, label)) in ids.iter().zip(&cases) {
            let note = note_of(id);
            let shown = frontmatter(&note)
                .get("summary_source")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            assert_eq!(shown.as_deref(), Some(label), "{note}");
            assert!(!note.contains("_No summary yet._"), "{note}");
            if label == "title" {
                assert!(note.contains(NO_TEXT), "{note}");
            } else {
                let describe = Source::describe(label);
                assert!(
                    note.contains(&format!("_Summarized from {describe} by refnet-extractive")),
                    "{note}"
                );
            }
            if let Some(tldr) = tldr {
                assert_eq!(note.matches(tldr).count(), 1, "S2's TLDR once: {note}");
                assert_eq!(note.matches("TL;DR").count(), 1, "one TL;DR, S2's: {note}");
            }
        }
        let note = note_of(&seed);
        assert_eq!(
            frontmatter(&note).get("summary_source").and_then(|v| v.as_str()),
            Some("pdf"),
            "{note}"
        );
        let summary = note
            .split("%% refnet:begin summary %%")
            .nth(1)
            .and_then(|s| s.split("%% refnet:end summary %%").next())
            .expect("a summary region");
        assert!(summary.contains(quotable[1]), "{summary}");
        for sentence in never {
            assert!(!summary.contains(sentence), "{sentence:?} quoted: {summary}");
        }
        assert!(
            !summary.contains("Quill Sparse Adapters for Cheap Training"),
            "{summary}"
        );

        // A second run finds every summary current: the PDF's included.
        let written = app.ctx.counters.summaries_written.get();
        app.refetch(crawl.crawl_id).await;
        app.crawl_with(&seed, 1, Direction::References, None, true).await;
        assert_eq!(app.ctx.counters.summaries_written.get(), written);
    }
);

/// Whether a line is the heading of a reference list ("References", "6. REFERENCES").
fn is_references_heading(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let name = match words.as_slice() {
        [name] => name,
        [number, name] if number.trim_end_matches('.').chars().all(|c| c.is_ascii_digit()) => name,
        _ => return false,
    };
    ["References", "REFERENCES", "Bibliography", "BIBLIOGRAPHY"].contains(name)
}

#[test]
fn fixture_pdfs_are_quoted_from_before_their_references_and_never_from_boilerplate() {
    let Some(dir) = shared_fixtures("pdf") else { return };
    for (file, title) in [
        (
            "01_acl2020_s2orc_latex2col.pdf",
            "S2ORC: The Semantic Scholar Open Research Corpus",
        ),
        (
            "03_arxiv2206.10883_multilexsum_latex1col.pdf",
            "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits at Multiple Granularities",
        ),
        (
            "07_osdi2004_mapreduce_ghostscript.pdf",
            "MapReduce: Simplified Data Processing on Large Clusters",
        ),
        (
            "09_dutot_bicriteria_dvips_type3.pdf",
            "Bi-criteria Algorithm for Scheduling Jobs on Cluster Platforms",
        ),
        (
            "12_word2010_antons_mobile_feedback.pdf",
            "Did You Notice? Neuronal Processing of Multimodal Mobile Phone Feedback",
        ),
        (
            "14_plosone2018_wheat_pdflib.pdf",
            "Comparative physiological and metabolomics analysis of wheat (Triticum aestivum L.) following \
             post-anthesis heat stress",
        ),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let text = refnet::summarize::pdf::extract_blocking(&bytes)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .text;
        let lines: Vec<&str> = text.lines().collect();
        let end = lines
            .iter()
            .position(|l| is_references_heading(l))
            .unwrap_or_else(|| panic!("{file}: no reference list"));
        let before = lines[..end].join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
        let s = extractive::summarize(title, &text, Source::Pdf);
        assert!(!s.tldr.is_empty(), "{file}: {s:#?}");
        for part in parts(&s) {
            assert!(!quotes_title(part, title), "{file}: {s:#?}");
            for piece in part.split(". ") {
                assert!(before.contains(piece), "{file}: {piece:?} is not before the references");
            }
            for mark in ["@", "©", "http", "[Analysis of Algorithms"] {
                assert!(!part.contains(mark), "{file}: {part:?}");
            }
        }
    }
}

both_backends!(
    a_batch_summarizes_what_needs_no_network_together_and_hands_back_the_rest,
    |backend: Backend| async move {
        let mut corpus = Corpus::synthetic(12, 3, 5);
        let members = corpus.reachable(11, 1);
        let id = |i: usize, c: &Corpus| c.paper(members[i]).id.clone();
        let (seed, bare, with_pdf, poison) = (id(0, &corpus), id(1, &corpus), id(2, &corpus), id(3, &corpus));
        let paper = corpus.paper_mut(members[1]);
        (paper.abstract_text, paper.tldr) = (None, None);
        // Never fetched: the batch leaves it to the per-paper path.
        corpus.paper_mut(members[2]).pdf_url = Some("http://127.0.0.1:9/paper.pdf".to_owned());
        corpus.paper_mut(members[3]).abstract_text = Some("POISON. A text that breaks the summarizer.".into());
        let app = TestApp::new(backend, corpus).await;
        app.crawl(&seed, 1, Direction::References, None).await;

        let summarizer: Arc<dyn Summarizer> = Arc::new(TestSummarizer { local: true });
        let deps = Deps {
            summarizer: &summarizer,
            ..app.ctx.summarize_deps()
        };
        let unknown = "f".repeat(40);
        let ids = vec![
            seed.clone(),
            bare.clone(),
            with_pdf.clone(),
            poison.clone(),
            unknown.clone(),
        ];
        let first = summarize_local(deps, &ids).await.expect("a batch");
        let mut rest = first.rest.clone();
        rest.sort();
        let mut expected_rest = vec![with_pdf.clone(), unknown.clone()];
        expected_rest.sort();
        assert_eq!(rest, expected_rest);
        let mut done = first.done.clone();
        done.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected = vec![
            (seed.clone(), Outcome::Written("abstract")),
            (bare.clone(), Outcome::NoText),
        ];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(done, expected);
        assert_eq!(first.failed.len(), 1, "{:?}", first.failed);
        assert_eq!(first.failed[0].0, poison);
        assert!(first.failed[0].1.contains("cannot take"), "{:?}", first.failed);
        let stored = app
            .ctx
            .store
            .summary_hashes(&ids, TestSummarizer::MODEL, "1")
            .await
            .expect("keys");
        assert_eq!(stored.iter().map(|(id, _)| id).collect::<Vec<_>>(), vec![&seed]);

        // Again: the stored summary is found, nothing is made twice.
        let again = summarize_local(deps, &ids).await.expect("a batch");
        assert!(
            again.done.contains(&(seed.clone(), Outcome::Cached("abstract"))),
            "{:?}",
            again.done
        );
        assert_eq!(app.ctx.counters.summaries_written.get(), 1);

        // A summarizer that is not local gets every paper back, untouched.
        let extractive_deps = app.ctx.summarize_deps();
        assert!(extractive_deps.summarizer.is_local());
        let llm: Arc<dyn Summarizer> = Arc::new(TestSummarizer { local: false });
        let remote = summarize_local(
            Deps {
                summarizer: &llm,
                ..deps
            },
            &ids,
        )
        .await
        .expect("a batch");
        assert_eq!(remote.rest, ids);
        assert!(remote.done.is_empty() && remote.failed.is_empty());
    }
);
