//! Frontmatter key order is a pure function of what refnet writes and what the user
//! added: never of which keys a note happened to get first (a DOI known later, a summary
//! made after the first render).

use refnet::vault::frontmatter::FrontmatterBuilder;
use refnet::vault::merge::{Fresh, Merged, compose, merge};

const OWNED: &[&str] = &["title", "doi", "year", "tags"];
const UNION: &[&str] = &["tags"];

fn fresh(doi: Option<&str>) -> Fresh {
    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some("T"))
        .text("doi", doi)
        .number("year", Some(2017))
        .list("tags", &["paper".to_owned()]);
    Fresh {
        frontmatter: fm.build(),
        regions: vec![("header".to_owned(), "# T\n".to_owned())],
        tail: "## Notes\n\n".to_owned(),
    }
}

/// `compose(fresh)` with a key of the user's after the title and a tag of theirs.
fn with_users_keys(text: &str) -> String {
    text.replace("title: \"T\"\n", "title: \"T\"\nmine: 1\n")
        .replace("  - \"paper\"\n", "  - \"paper\"\n  - my-tag\n")
}

#[test]
fn a_key_refnet_learns_later_goes_where_it_would_have_been_from_the_start() {
    let early = with_users_keys(&compose(&fresh(None)));

    let Merged::Changed(later) = merge(&early, &fresh(Some("10.1/x")), OWNED, UNION) else {
        panic!("the DOI changes the note")
    };

    assert_eq!(later, with_users_keys(&compose(&fresh(Some("10.1/x")))));
    assert_eq!(merge(&later, &fresh(Some("10.1/x")), OWNED, UNION), Merged::Unchanged);
}

#[test]
fn refnet_keys_out_of_order_are_put_back_and_the_users_keys_travel_with_theirs() {
    let direct = with_users_keys(&compose(&fresh(Some("10.1/x"))));
    // The DOI after the year (as an older refnet appended it), the user's key still after
    // the title.
    let shuffled = direct
        .replace("doi: \"10.1/x\"\n", "")
        .replace("year: 2017\n", "year: 2017\ndoi: \"10.1/x\"\n");
    assert_ne!(shuffled, direct);

    assert_eq!(
        merge(&shuffled, &fresh(Some("10.1/x")), OWNED, UNION),
        Merged::Changed(direct)
    );
}

#[test]
fn a_users_key_first_in_the_frontmatter_stays_first() {
    let text = compose(&fresh(None)).replacen("---\n", "---\nrating: 5\n", 1);

    let Merged::Changed(merged) = merge(&text, &fresh(Some("10.1/x")), OWNED, UNION) else {
        panic!("the DOI changes the note")
    };

    assert!(
        merged.starts_with("---\nrating: 5\ntitle: \"T\"\ndoi: \"10.1/x\"\nyear: 2017\n"),
        "{merged}"
    );
}
