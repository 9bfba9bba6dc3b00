//! A render with nothing to do stops early (SQLite), and anything it would have done —
//! a store write, a user's edit, a deleted note, another crawl's names, other settings —
//! makes it render whole.

use std::path::Path;

use refnet::ids::S2Id;
use refnet::render::{RenderReport, render_crawl};
use refnet::store::Direction;
use refnet::testkit::Corpus;

use super::support::{Backend, TestApp, frontmatter};
use crate::both_backends;

async fn render(app: &TestApp, crawl_id: i64) -> RenderReport {
    render_crawl(&app.ctx, crawl_id).await.expect("render")
}

/// A crawl of a small corpus, rendered twice: the second render is whole, and writes
/// nothing (the crawl's own render ran before the run was marked done).
async fn settled(backend: Backend) -> (TestApp, i64) {
    let corpus = Corpus::synthetic(80, 5, 7);
    let seed = corpus.paper(79).id.clone();
    let app = TestApp::new(backend, corpus).await;
    let crawl = app.crawl(&seed, 2, Direction::References, None).await;
    let again = render(&app, crawl.crawl_id).await;
    assert_eq!(again.written(), 0, "nothing changed since the crawl's render");
    (app, crawl.crawl_id)
}

fn a_paper_note(vault: &Path) -> std::path::PathBuf {
    let mut notes: Vec<_> = std::fs::read_dir(vault.join("refnet/papers"))
        .expect("papers folder")
        .map(|e| e.expect("entry").path())
        .collect();
    notes.sort();
    notes.into_iter().next().expect("a paper note")
}

/// A write to what notes are made from: a note's paper put in the library. Returns the note.
async fn library_write(app: &TestApp) -> std::path::PathBuf {
    let note = a_paper_note(&app.vault());
    app.ctx
        .store
        .mark_library(&[paper_of(&note)], 1)
        .await
        .expect("library");
    note
}

/// The paper of a note, by its `s2_id`.
fn paper_of(note: &Path) -> S2Id {
    frontmatter(&std::fs::read_to_string(note).expect("note"))
        .get("s2_id")
        .and_then(serde_yaml::Value::as_str)
        .expect("s2_id")
        .parse()
        .expect("an S2 id")
}

both_backends!(
    an_unchanged_crawl_is_not_rendered_again,
    |backend: Backend| async move {
        let (app, crawl_id) = settled(backend).await;
        let first = render(&app, crawl_id).await;
        let second = render(&app, crawl_id).await;
        assert_eq!(second.written(), 0);
        assert_eq!(second.files(), first.files(), "every file is counted, unchanged");
        assert_eq!(second.folders, first.folders);
        match backend {
            // SQLite counts the writes to what notes are made from: nothing to do.
            Backend::Sqlite => assert!(second.nothing_changed, "the second render stops early"),
            // PostgreSQL keeps no count: every render is whole.
            Backend::Postgres => assert!(!second.nothing_changed && !first.nothing_changed),
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_write_makes_the_next_render_whole() {
    let (app, crawl_id) = settled(Backend::Sqlite).await;
    assert!(render(&app, crawl_id).await.nothing_changed);
    let note = library_write(&app).await;

    let report = render(&app, crawl_id).await;
    assert!(!report.nothing_changed);
    assert_eq!(report.written(), 1, "the one note that changed");
    let fm = frontmatter(&std::fs::read_to_string(&note).expect("note"));
    assert_eq!(fm.get("in_library").and_then(serde_yaml::Value::as_bool), Some(true));
    assert!(render(&app, crawl_id).await.nothing_changed, "and then nothing again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_or_deleted_note_makes_the_next_render_whole() {
    let (app, crawl_id) = settled(Backend::Sqlite).await;
    assert!(render(&app, crawl_id).await.nothing_changed);

    // The user's own writing: the render reads the note, keeps it, writes nothing.
    let note = a_paper_note(&app.vault());
    let mut text = std::fs::read_to_string(&note).expect("note");
    text.push_str("\nMy own thoughts.\n");
    std::fs::write(&note, &text).expect("edit");
    let report = render(&app, crawl_id).await;
    assert!(!report.nothing_changed);
    assert_eq!(report.written(), 0);
    assert!(
        std::fs::read_to_string(&note)
            .expect("note")
            .contains("My own thoughts.")
    );
    assert!(render(&app, crawl_id).await.nothing_changed);

    // A deleted note is written again.
    std::fs::remove_file(&note).expect("delete");
    let report = render(&app, crawl_id).await;
    assert!(!report.nothing_changed);
    assert_eq!(report.total().created, 1);
    assert!(note.exists());

    // The bibliography is checked as the notes are.
    let bib = app.vault().join("refnet/references.bib");
    let kept = std::fs::read_to_string(&bib).expect("bib");
    std::fs::write(&bib, "").expect("empty the bibliography");
    let report = render(&app, crawl_id).await;
    assert!(!report.nothing_changed);
    assert_eq!(std::fs::read_to_string(&bib).expect("bib"), kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_crawls_new_notes_make_the_next_render_whole() {
    let (app, crawl_id) = settled(Backend::Sqlite).await;
    assert!(render(&app, crawl_id).await.nothing_changed);
    // A second crawl from a paper the first did not reach names notes of its own: the
    // first crawl's notes may link to them now.
    let corpus = Corpus::synthetic(80, 5, 7);
    let other = corpus.paper(3).id.clone();
    let before = app.paper_notes().len();
    app.crawl(&other, 1, Direction::Citations, None).await;
    assert!(app.paper_notes().len() > before, "the second crawl named new notes");
    assert!(!render(&app, crawl_id).await.nothing_changed);
    assert!(render(&app, crawl_id).await.nothing_changed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_settings_make_the_next_render_whole() {
    let (app, crawl_id) = settled(Backend::Sqlite).await;
    assert!(render(&app, crawl_id).await.nothing_changed);
    let mut settings = app.ctx.settings.clone();
    settings.notes.map_papers = 3;
    let ctx = refnet::context::Context::new(settings, app.ctx.store.clone()).expect("context");
    let report = render_crawl(&ctx, crawl_id).await.expect("render");
    assert!(!report.nothing_changed);
    assert_eq!(report.written(), 1, "the map, now of 3 papers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_made_once_are_the_users_and_never_make_a_render_whole() {
    let (app, crawl_id) = settled(Backend::Sqlite).await;
    // Obsidian rewrites its graph settings as the user changes them; the Bases file is
    // the user's to edit once written. Both are made again by a whole render…
    let graph = app.vault().join(".obsidian/graph.json");
    let base = app.vault().join("refnet/Papers.base");
    std::fs::remove_file(&base).expect("remove the base");
    std::fs::remove_dir_all(app.vault().join(".obsidian")).expect("remove .obsidian");
    library_write(&app).await;
    let whole = render(&app, crawl_id).await;
    assert!(!whole.nothing_changed);
    assert!(graph.exists() && base.exists(), "made again");

    // …and are no part of what the next render checks.
    std::fs::write(&graph, "{\"showTags\": true}\n").expect("edit graph.json");
    let mut views = std::fs::read_to_string(&base).expect("base");
    views.push_str("# mine\n");
    std::fs::write(&base, &views).expect("edit the base");
    let report = render(&app, crawl_id).await;
    assert!(report.nothing_changed);
    assert_eq!(report.written(), 0);
    assert_eq!(
        std::fs::read_to_string(&graph).expect("graph"),
        "{\"showTags\": true}\n"
    );
    assert_eq!(std::fs::read_to_string(&base).expect("base"), views);
}
