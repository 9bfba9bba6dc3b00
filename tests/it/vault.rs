//! The vault a crawl leaves: every kind of note, links that resolve, a valid canvas, a
//! bibliography — and the user's own writing surviving re-renders.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use refnet::render::render_crawl;
use refnet::store::Direction;
use refnet::testkit::Corpus;
use refnet::testkit::canvas::validate;

use super::support::{Backend, TestApp, frontmatter, markdown, wikilinks};
use crate::both_backends;

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn small_corpus() -> (Corpus, String) {
    let corpus = Corpus::synthetic(120, 5, 31);
    let seed = corpus.paper(119).id.clone();
    (corpus, seed)
}

both_backends!(
    a_crawl_leaves_papers_authors_an_index_a_canvas_and_a_bibliography,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 2, Direction::References, None).await;
        let vault = app.vault();

        let notes = markdown(&vault.join("refnet"));
        let names: HashSet<String> = notes.iter().map(|(p, _)| stem(p)).collect();
        let papers = notes
            .iter()
            .filter(|(p, _)| p.starts_with(vault.join("refnet/papers")))
            .count();
        let authors = notes
            .iter()
            .filter(|(p, _)| p.starts_with(vault.join("refnet/authors")))
            .count();
        let stats = app.ctx.store.crawl_stats(crawl.crawl_id).await.expect("stats");
        assert_eq!(papers as i64, stats.members);
        assert!(authors > 0);
        let index: Vec<_> = notes
            .iter()
            .filter(|(p, _)| p.starts_with(vault.join("refnet/crawls")))
            .collect();
        assert_eq!(index.len(), 1);
        let index_fm = frontmatter(&index[0].1);
        assert_eq!(
            index_fm.get("refnet_crawl").and_then(serde_yaml::Value::as_i64),
            Some(crawl.crawl_id)
        );
        assert_eq!(
            index_fm.get("papers").and_then(serde_yaml::Value::as_i64),
            Some(stats.members)
        );

        for (path, text) in &notes {
            let fm = frontmatter(text);
            for target in wikilinks(text) {
                let resolves = names.contains(&target) || vault.join(&target).exists();
                assert!(resolves, "{} links to {target}, which does not exist", path.display());
            }
            // Links in properties (authors, seed) resolve too.
            for value in fm.values() {
                let strings: Vec<&str> = match value {
                    serde_yaml::Value::String(s) => vec![s.as_str()],
                    serde_yaml::Value::Sequence(seq) => seq.iter().filter_map(|v| v.as_str()).collect(),
                    _ => Vec::new(),
                };
                for s in strings.into_iter().filter(|s| s.starts_with("[[")) {
                    let target = s
                        .trim_start_matches("[[")
                        .trim_end_matches("]]")
                        .split('|')
                        .next()
                        .unwrap_or("");
                    assert!(
                        names.contains(target),
                        "{}: property link {s} does not resolve",
                        path.display()
                    );
                }
            }
        }
        let paper_note = notes
            .iter()
            .find(|(p, _)| p.starts_with(vault.join("refnet/papers")))
            .expect("a paper note");
        let fm = frontmatter(&paper_note.1);
        let citekey = fm.get("citekey").and_then(|v| v.as_str()).expect("citekey").to_owned();
        let aliases = fm.get("aliases").and_then(|v| v.as_sequence()).expect("aliases");
        assert!(aliases.iter().any(|a| a.as_str() == Some(&format!("@{citekey}"))));
        assert!(paper_note.1.contains("## In the crawl") && paper_note.1.contains("PageRank #"));
        assert!(paper_note.1.contains("```bibtex"));

        let maps: Vec<_> = std::fs::read_dir(vault.join("refnet/maps"))
            .expect("maps")
            .flatten()
            .collect();
        assert_eq!(maps.len(), 1);
        let canvas = std::fs::read_to_string(maps[0].path()).expect("canvas");
        assert_eq!(validate(&canvas), Vec::<String>::new());
        let nodes = serde_json::from_str::<serde_json::Value>(&canvas).expect("json")["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter(|n| n["type"] == "file")
            .count();
        assert_eq!(nodes as i64, stats.members);

        let bib = std::fs::read_to_string(vault.join("refnet/references.bib")).expect("bib");
        let keys: Vec<&str> = bib
            .lines()
            .filter(|l| l.starts_with('@'))
            .filter_map(|l| l.split('{').nth(1))
            .map(|k| k.trim_end_matches(','))
            .collect();
        assert_eq!(keys.len(), papers);
        let mut sorted = keys.clone();
        sorted.sort_by_key(|k| k.to_lowercase());
        assert_eq!(keys, sorted, "sorted by citekey");
        assert!(keys.contains(&citekey.as_str()));

        assert!(vault.join(".obsidian/graph.json").is_file() && vault.join(".obsidian/types.json").is_file());
    }
);

both_backends!(
    user_edits_outside_the_regions_survive_three_re_renders,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        let vault = app.vault();
        let seed_note = markdown(&vault.join("refnet/papers"))
            .into_iter()
            .find(|(_, t)| t.contains(&format!("s2_id: \"{seed}\"")))
            .expect("seed note");
        let edited = seed_note
            .1
            .replacen("---\n", "---\nmy_rating: 5\n", 1)
            .replace("  - \"paper\"\n", "  - \"paper\"\n  - \"to-read\"\n")
            .replace(
                "%% refnet:begin summary %%",
                "I wrote this between regions.\n\n%% refnet:begin summary %%",
            )
            .replace(
                "## Notes\n\n",
                "## Notes\n\nMy thoughts, with a [[Link I made]] and `code`.\n\n## My own section\n- a list\n",
            );
        std::fs::write(&seed_note.0, &edited).expect("user edit");
        let canvas_path = std::fs::read_dir(vault.join("refnet/maps"))
            .expect("maps")
            .flatten()
            .next()
            .expect("canvas")
            .path();
        let mut canvas: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&canvas_path).expect("read")).expect("json");
        let seed_node = canvas["nodes"]
            .as_array_mut()
            .expect("nodes")
            .iter_mut()
            .find(|n| {
                n["file"].as_str().is_some_and(|f| {
                    f == seed_note
                        .0
                        .strip_prefix(&vault)
                        .expect("in vault")
                        .to_str()
                        .expect("utf8")
                })
            })
            .expect("seed node");
        seed_node["x"] = serde_json::json!(-4321);
        canvas["nodes"].as_array_mut().expect("nodes").push(serde_json::json!({"id": "mine", "type": "text", "text": "my card", "x": 0, "y": 900, "width": 200, "height": 80}));
        std::fs::write(&canvas_path, serde_json::to_string_pretty(&canvas).expect("json")).expect("user canvas edit");

        for round in 0..3 {
            // The data changes between renders, so refnet's regions do change.
            app.s2.with_corpus(|c| {
                let idx = c.resolve(&seed).expect("seed");
                c.paper_mut(idx).title = format!("Seed title, revision {round}");
            });
            app.refetch(crawl.crawl_id).await;
            let text = std::fs::read_to_string(&seed_note.0).expect("the note is where it was");
            for kept in [
                "my_rating: 5\n",
                "  - \"to-read\"\n",
                "I wrote this between regions.\n\n%% refnet:begin summary %%",
                "## Notes\n\nMy thoughts, with a [[Link I made]] and `code`.\n\n## My own section\n- a list\n",
            ] {
                assert!(text.contains(kept), "round {round}: lost {kept:?}\n{text}");
            }
            assert!(
                text.contains(&format!("# Seed title, revision {round}")),
                "round {round}: regions are updated"
            );
            let canvas = std::fs::read_to_string(&canvas_path).expect("canvas");
            assert!(
                canvas.contains("-4321") && canvas.contains("my card"),
                "round {round}: canvas edits kept"
            );
            assert!(validate(&canvas).is_empty());
        }
    }
);

both_backends!(
    a_renamed_and_moved_note_is_updated_where_it_is,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        let vault = app.vault();
        let (path, _) = markdown(&vault.join("refnet/papers"))
            .into_iter()
            .find(|(_, t)| t.contains(&format!("s2_id: \"{seed}\"")))
            .expect("seed note");
        let moved = vault.join("My reading/Seed paper, my name for it.md");
        std::fs::create_dir_all(moved.parent().expect("parent")).expect("mkdir");
        std::fs::rename(&path, &moved).expect("move");
        app.s2.with_corpus(|c| {
            let idx = c.resolve(&seed).expect("seed");
            c.paper_mut(idx).title = "A new title from S2".to_owned();
        });

        app.refetch(crawl.crawl_id).await;

        assert!(!path.exists(), "no new note at the old path");
        let text = std::fs::read_to_string(&moved).expect("moved note");
        assert!(text.contains("title: \"A new title from S2\""), "{text}");
        // Other notes' links follow the new name.
        let linked = markdown(&vault.join("refnet"))
            .iter()
            .any(|(_, t)| wikilinks(t).iter().any(|l| l == "Seed paper, my name for it"));
        assert!(linked, "links point at the renamed note");
    }
);

both_backends!(
    broken_markers_and_unreadable_notes_are_left_alone_with_a_warning,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        let notes = markdown(&app.vault().join("refnet/papers"));
        let (broken_path, broken_text) = &notes[0];
        let body_cut = broken_text.replace("%% refnet:end references %%\n", "");
        std::fs::write(broken_path, &body_cut).expect("break markers");
        let (binary_path, _) = &notes[1];
        std::fs::write(binary_path, [0xff, 0xfe, 0x00, 0x81]).expect("not utf-8");

        let report = render_crawl(&app.ctx, crawl.crawl_id).await.expect("render");

        assert_eq!(report.broken.len(), 1, "{report:?}");
        assert!(report.broken[0].0.ends_with(&format!("{}.md", stem(broken_path))));
        let after = std::fs::read_to_string(broken_path).expect("read");
        let body_of = |t: &str| t.split_once("\n---\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        assert_eq!(body_of(&after), body_of(&body_cut), "the body is untouched");
        assert_eq!(
            std::fs::read(binary_path).expect("read"),
            vec![0xff, 0xfe, 0x00, 0x81],
            "never overwritten"
        );
        assert_eq!(report.skipped.len(), 1, "{report:?}");
    }
);

both_backends!(an_unchanged_re_render_writes_no_file, |backend: Backend| async move {
    let (corpus, seed) = small_corpus();
    let app = TestApp::new(backend, corpus).await;
    let crawl = app.crawl(&seed, 2, Direction::References, None).await;
    let before: Vec<(PathBuf, std::time::SystemTime)> = markdown(&app.vault())
        .into_iter()
        .map(|(p, _)| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).expect("mtime");
            (p, modified)
        })
        .collect();

    let report = render_crawl(&app.ctx, crawl.crawl_id).await.expect("render");

    assert_eq!(report.written(), 0, "{report:?}");
    assert_eq!(report.unchanged(), report.files());
    for (path, modified) in before {
        assert_eq!(
            std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime"),
            modified,
            "{}",
            path.display()
        );
    }
});

#[tokio::test]
async fn inside_an_existing_vault_notes_are_written_without_a_nested_obsidian_folder() {
    let (corpus, seed) = small_corpus();
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        let outer = s.vault.clone();
        std::fs::create_dir_all(outer.join(".obsidian")).expect("outer vault");
        std::fs::write(outer.join(".obsidian/app.json"), "{}").expect("settings");
        s.vault = outer.join("Research/refnet-output");
    })
    .await;
    app.crawl(&seed, 1, Direction::References, None).await;
    let vault = app.vault();
    assert!(vault.join("refnet/papers").is_dir());
    assert!(!vault.join(".obsidian").exists(), "no vault inside a vault");
    let outer = vault.parent().and_then(Path::parent).expect("outer");
    assert_eq!(
        std::fs::read_to_string(outer.join(".obsidian/app.json")).expect("read"),
        "{}",
        "the outer settings are untouched"
    );
}

#[tokio::test]
async fn an_existing_obsidian_folder_is_never_touched() {
    let (corpus, seed) = small_corpus();
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        std::fs::create_dir_all(s.vault.join(".obsidian")).expect("existing vault");
        std::fs::write(s.vault.join(".obsidian/graph.json"), "{\"mine\": 1}").expect("settings");
    })
    .await;
    app.crawl(&seed, 1, Direction::References, None).await;
    assert_eq!(
        std::fs::read_to_string(app.vault().join(".obsidian/graph.json")).expect("read"),
        "{\"mine\": 1}"
    );
    assert!(!app.vault().join(".obsidian/types.json").exists());
}

#[tokio::test]
async fn a_vault_path_that_cannot_be_a_folder_fails_before_writing() {
    let (corpus, _) = small_corpus();
    let app = TestApp::with(Backend::Sqlite, corpus, Default::default(), |s| {
        std::fs::create_dir_all(&s.vault).expect("dir");
        std::fs::write(s.vault.join("a-file"), "x").expect("file");
        s.vault = s.vault.join("a-file/vault");
    })
    .await;
    let crawl = app
        .begin(
            &app.s2.with_corpus(|c| c.paper(0).id.clone()),
            0,
            Direction::References,
            None,
        )
        .await;
    let err = render_crawl(&app.ctx, crawl.crawl_id).await.expect_err("not a folder");
    assert!(err.to_string().contains("cannot write into the vault folder"), "{err}");
    assert!(!err.is_transient());
}

both_backends!(
    the_bibliography_holds_every_note_of_every_crawl_as_the_note_shows_it,
    |backend: Backend| async move {
        let (corpus, seed) = small_corpus();
        let other = corpus.paper(60).id.clone();
        let app = TestApp::new(backend, corpus).await;
        app.crawl(&seed, 1, Direction::References, None).await;
        // The second crawl's render writes the bibliography: its own papers' entries come
        // from the notes it just built, the first crawl's from the store.
        app.crawl(&other, 1, Direction::References, None).await;
        let vault = app.vault();
        let bib = std::fs::read_to_string(vault.join("refnet/references.bib")).expect("bib");
        let notes = markdown(&vault.join("refnet/papers"));
        assert!(notes.len() >= 8, "two crawls' papers: {}", notes.len());
        for (path, text) in &notes {
            let block = text
                .split_once("```bibtex\n")
                .and_then(|(_, rest)| rest.split_once("\n```"))
                .map_or_else(|| panic!("{} has no BibTeX block", path.display()), |(entry, _)| entry);
            assert!(
                bib.contains(block),
                "{}'s entry is not in references.bib:\n{block}",
                path.display()
            );
        }
        assert_eq!(bib.lines().filter(|l| l.starts_with('@')).count(), notes.len());
    }
);

both_backends!(
    a_paper_in_two_crawls_shows_its_place_in_each_whichever_crawl_was_rendered_last,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        let shared = corpus.add("place-shared", "A Paper Both Crawls Reach", 2014, &[]);
        let only_first = corpus.add("place-first", "Only the First Crawl's", 2015, &[shared]);
        let first_seed = corpus.add("place-seed-1", "The First Seed", 2017, &[shared, only_first]);
        let second_seed = corpus.add("place-seed-2", "The Second Seed", 2018, &[shared]);
        let ids: Vec<String> = [shared, first_seed, second_seed]
            .iter()
            .map(|&i| corpus.paper(i).id.clone())
            .collect();
        let app = TestApp::new(backend, corpus).await;
        let first = app.crawl(&ids[1], 1, Direction::References, None).await;
        let second = app.crawl(&ids[2], 1, Direction::References, None).await;
        let store = &app.ctx.store;
        let sizes: std::collections::HashMap<i64, i64> =
            store.metric_sizes().await.expect("sizes").into_iter().collect();
        // Its place in each crawl, as the store keeps them, in the order of the crawls.
        let rows = store.metrics_of(&ids[..1]).await.expect("metrics");
        assert_eq!(
            rows.iter().map(|r| r.crawl_id).collect::<Vec<_>>(),
            vec![first.crawl_id, second.crawl_id]
        );
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    ": depth {} · cited by {} and citing {} papers of the crawl · PageRank #{} of {}",
                    r.depth, r.cited_in_crawl, r.cites_in_crawl, r.pagerank_rank, sizes[&r.crawl_id]
                )
            })
            .collect();
        assert_ne!(lines[0], lines[1], "the two places differ (2 citing it of 3, 1 of 2)");
        let note = |app: &TestApp| {
            crate::it::support::paper_notes_by_id(&app.vault())
                .remove(&ids[0])
                .map(|(_, _, text)| text)
                .expect("the shared paper has a note")
        };
        // Rendered last by the second crawl: its own place computed, the first's read.
        let after_second = note(&app);
        let at = |text: &str, line: &str| text.find(line).unwrap_or_else(|| panic!("no `{line}` in:\n{text}"));
        assert!(
            at(&after_second, &lines[0]) < at(&after_second, &lines[1]),
            "{after_second}"
        );
        // Rendered again by the first crawl, its own place computed and the second's
        // read: the same places.
        let places = |text: &str| {
            let at = text.find("## In the crawl").expect("a crawl section");
            text[at..].split("%% refnet:end").next().unwrap_or_default().to_owned()
        };
        render_crawl(&app.ctx, first.crawl_id)
            .await
            .expect("render the first crawl");
        assert_eq!(places(&note(&app)), places(&after_second));
    }
);

both_backends!(
    a_crawls_metrics_read_back_are_those_stored_to_the_bit,
    |backend: Backend| async move {
        // A render shows the metrics of the crawl it renders as it computed them, and
        // those of other crawls as stored: the two must agree, PageRank to the bit.
        let (corpus, seed) = small_corpus();
        let app = TestApp::new(backend, corpus).await;
        let crawl = app.crawl(&seed, 1, Direction::References, None).await;
        let store = &app.ctx.store;
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let rows: Vec<refnet::store::MetricRow> = (0..2000)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mantissas of every kind, magnitudes from 1e-12 to 1.
                let mantissa = state & ((1 << 52) - 1);
                let exponent = 1023 - 1 - (state >> 52) % 40;
                refnet::store::MetricRow {
                    crawl_id: crawl.crawl_id,
                    paper_id: format!("bits-{i:04}"),
                    depth: 1,
                    cited_in_crawl: 0,
                    cites_in_crawl: 0,
                    pagerank: f64::from_bits((exponent << 52) | mantissa),
                    pagerank_rank: i + 1,
                }
            })
            .collect();
        store.save_metrics(crawl.crawl_id, &rows).await.expect("save");
        let ids: Vec<String> = rows.iter().map(|r| r.paper_id.clone()).collect();
        let mut back = store.metrics_of(&ids).await.expect("read");
        back.sort_by(|a, b| a.paper_id.cmp(&b.paper_id));
        assert_eq!(back.len(), rows.len());
        for (wrote, read) in rows.iter().zip(&back) {
            assert_eq!(
                (read.pagerank.to_bits(), &read.paper_id),
                (wrote.pagerank.to_bits(), &wrote.paper_id),
                "{} was stored as {:e}, read back as {:e}",
                wrote.paper_id,
                wrote.pagerank,
                read.pagerank
            );
        }
    }
);
