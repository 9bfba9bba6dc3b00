//! Which authors get a note (`vault.author_notes`): by default those with two papers in
//! the vault; switching the setting removes the author notes refnet made that nobody
//! edited and keeps the edited ones.

use refnet::context::Context;
use refnet::render::render_crawl;
use refnet::settings::AuthorNotes;
use refnet::store::Direction;
use refnet::testkit::{Corpus, FakePaper, fake_id};

use super::support::{Backend, TestApp, frontmatter, markdown};
use crate::both_backends;

fn paper(label: &str, authors: &[&str], references: &[usize]) -> FakePaper {
    FakePaper {
        id: fake_id(label),
        corpus_id: 70_000 + label.len() as i64,
        title: format!("Paper {label}"),
        year: Some(2020),
        authors: authors
            .iter()
            .map(|a| (Some(format!("id-{a}")), format!("{a} Author")))
            .collect(),
        references: references.iter().copied().map(Some).collect(),
        ..FakePaper::default()
    }
}

/// The author ids with a note in the vault.
fn author_notes(app: &TestApp) -> Vec<String> {
    let mut ids: Vec<String> = markdown(&app.vault().join("refnet/authors"))
        .iter()
        .filter_map(|(_, t)| frontmatter(t).get("s2_author_id")?.as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

async fn render_with(app: &TestApp, crawl_id: i64, mode: AuthorNotes) {
    let mut settings = app.ctx.settings.clone();
    settings.notes.author_notes = mode;
    let ctx = Context::new(settings, app.ctx.store.clone()).expect("context");
    render_crawl(&ctx, crawl_id).await.expect("render");
}

both_backends!(
    author_notes_follow_the_setting_and_edited_ones_stay,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        // Shared wrote two papers of the crawl; Solo and Edited one each.
        let a = corpus.push(paper("a", &["Shared", "Solo"], &[]));
        let b = corpus.push(paper("b", &["Shared", "Edited"], &[]));
        let seed = corpus.push(paper("seed", &["Lead"], &[a, b]));
        let seed_id = corpus.paper(seed).id.clone();
        let app = TestApp::new(backend, corpus).await;

        let crawl = app.crawl(&seed_id, 1, Direction::References, None).await;
        assert_eq!(
            author_notes(&app),
            vec!["id-Shared"],
            "by default: two papers in the vault"
        );
        let seed_note = markdown(&app.vault().join("refnet/papers"))
            .into_iter()
            .find(|(_, t)| frontmatter(t)["s2_id"].as_str() == Some(seed_id.as_str()))
            .expect("seed note");
        assert!(
            seed_note
                .1
                .contains("[Lead Author](https://www.semanticscholar.org/author/id-Lead)"),
            "an author without a note links to Semantic Scholar"
        );

        render_with(&app, crawl.crawl_id, AuthorNotes::All).await;
        assert_eq!(author_notes(&app), vec!["id-Edited", "id-Lead", "id-Shared", "id-Solo"]);
        // The user writes in one of them.
        let (edited, text) = markdown(&app.vault().join("refnet/authors"))
            .into_iter()
            .find(|(_, t)| t.contains("id-Edited"))
            .expect("Edited's note");
        std::fs::write(&edited, format!("{text}\nMet her at a workshop.\n")).expect("edit");

        render_with(&app, crawl.crawl_id, AuthorNotes::Shared).await;
        assert_eq!(
            author_notes(&app),
            vec!["id-Edited", "id-Shared"],
            "the unedited single-paper notes go, the edited one stays"
        );
        assert!(
            std::fs::read_to_string(&edited)
                .expect("kept")
                .contains("Met her at a workshop.")
        );

        render_with(&app, crawl.crawl_id, AuthorNotes::None).await;
        assert_eq!(
            author_notes(&app),
            vec!["id-Edited"],
            "none: only what the user wrote in stays"
        );
    }
);

both_backends!(
    an_author_note_lists_the_authors_papers_of_every_crawl,
    |backend: Backend| async move {
        let mut corpus = Corpus::new();
        // Shared wrote one paper reached by each of two crawls; Both wrote a and b.
        let a = corpus.push(paper("a", &["Shared", "Both"], &[]));
        let b = corpus.push(paper("b", &["Both"], &[]));
        let c = corpus.push(paper("c", &["Shared"], &[]));
        let first = corpus.push(paper("first", &["Lead"], &[a, b]));
        let second = corpus.push(paper("second", &["Other"], &[c]));
        let (first, second) = (corpus.paper(first).id.clone(), corpus.paper(second).id.clone());
        let app = TestApp::new(backend, corpus).await;
        let listed = |app: &TestApp, author: &str| -> Vec<String> {
            let (_, text) = markdown(&app.vault().join("refnet/authors"))
                .into_iter()
                .find(|(_, t)| frontmatter(t)["s2_author_id"].as_str() == Some(author))
                .unwrap_or_else(|| panic!("{author}'s note"));
            ["Paper a", "Paper b", "Paper c"]
                .into_iter()
                .filter(|title| text.contains(title))
                .map(str::to_owned)
                .collect()
        };

        // One crawl in the vault: its papers are every paper note there is.
        app.crawl(&first, 1, Direction::References, None).await;
        assert_eq!(author_notes(&app), vec!["id-Both"]);
        assert_eq!(listed(&app, "id-Both"), vec!["Paper a", "Paper b"]);

        // A second crawl reaches Shared's other paper: the note lists the first crawl's too.
        app.crawl(&second, 1, Direction::References, None).await;
        assert_eq!(author_notes(&app), vec!["id-Both", "id-Shared"]);
        assert_eq!(listed(&app, "id-Shared"), vec!["Paper a", "Paper c"]);
    }
);
