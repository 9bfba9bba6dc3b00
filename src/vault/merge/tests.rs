//! Tests of the parent module.

use super::*;
use crate::vault::frontmatter::FrontmatterBuilder;

#[test]
fn a_region_the_note_predates_goes_in_after_the_one_before_it() {
    let fresh = |regions: &[(&str, &str)]| Fresh {
        frontmatter: vec![("title".to_owned(), "title: \"T\"\n".to_owned())],
        regions: regions.iter().map(|(n, c)| (n.to_string(), c.to_string())).collect(),
        tail: "## Notes\n\n".to_owned(),
    };
    let old = compose(&fresh(&[("header", "# T\n"), ("levels", "- one\n")]));
    let user = format!("{old}my own words\n");
    let trimmed = fresh(&[("header", "# T\n"), ("central", "- x\n"), ("levels", "- one\n")]);
    assert!(
        !matches!(merge(&user, &trimmed, &["title"], &[]), Merged::Changed(t) if t.contains("central")),
        "a region the user deleted stays deleted"
    );
    let newer = fresh(&[("header", "# T\n"), ("news", "- fresh\n"), ("levels", "- one\n")]);
    let Merged::Changed(text) = merge(&user, &newer, &["title"], &[]) else {
        panic!("the new region changes the note");
    };
    assert_eq!(text, format!("{}my own words\n", compose(&newer)));
    assert_eq!(
        merge(&text, &newer, &["title"], &[]),
        Merged::Unchanged,
        "and only once"
    );
}

const OWNED: &[&str] = &["title", "tags", "aliases", "year", "doi"];
const UNION: &[&str] = &["tags", "aliases"];

fn fresh(title: &str, summary: &str) -> Fresh {
    let mut fm = FrontmatterBuilder::default();
    fm.text("title", Some(title))
        .number("year", Some(2017))
        .list("tags", &["paper".to_owned(), "field/cs".to_owned()])
        .list("aliases", &[title.to_owned()]);
    Fresh {
        frontmatter: fm.build(),
        regions: vec![
            ("header".to_owned(), format!("# {title}\n")),
            ("summary".to_owned(), format!("{summary}\n")),
        ],
        tail: "## Notes\n\n".to_owned(),
    }
}

#[test]
fn a_new_note_is_composed_in_order() {
    let text = compose(&fresh("T", "S"));
    assert_eq!(
        text,
        "---\ntitle: \"T\"\nyear: 2017\ntags:\n  - \"paper\"\n  - \"field/cs\"\naliases:\n  - \"T\"\n---\n\
             %% refnet:begin header %%\n# T\n%% refnet:end header %%\n\n\
             %% refnet:begin summary %%\nS\n%% refnet:end summary %%\n\n## Notes\n\n"
    );
    assert_eq!(merge(&text, &fresh("T", "S"), OWNED, UNION), Merged::Unchanged);
}

#[test]
fn user_text_keys_and_tags_survive_while_regions_update() {
    let original = compose(&fresh("T", "old summary"));
    let edited = original
        .replace("year: 2017\n", "year: 2017\nrating: 5 # mine\n")
        .replace("  - \"field/cs\"\n", "  - \"field/cs\"\n  - my-tag\n")
        .replace(
            "## Notes\n\n",
            "## Notes\n\nMy own thoughts.\n\n## Extra section\n- [[Link]]\n",
        )
        .replace(
            "%% refnet:begin summary %%",
            "Between regions I wrote this.\n%% refnet:begin summary %%",
        );
    let Merged::Changed(merged) = merge(&edited, &fresh("T2", "new summary"), OWNED, UNION) else {
        panic!("expected a change")
    };
    for kept in [
        "rating: 5 # mine\n",
        "  - my-tag\n",
        "My own thoughts.\n\n## Extra section\n- [[Link]]\n",
        "Between regions I wrote this.\n",
    ] {
        assert!(merged.contains(kept), "lost {kept:?} in\n{merged}");
    }
    assert!(merged.contains("title: \"T2\"\n"));
    assert!(merged.contains("new summary\n") && !merged.contains("old summary"));
    assert!(
        merged.contains("  - \"T2\"\n") && merged.contains("  - \"T\"\n"),
        "aliases are a union"
    );
    assert_eq!(
        merge(&merged, &fresh("T2", "new summary"), OWNED, UNION),
        Merged::Unchanged
    );
}

#[test]
fn flow_style_tags_are_merged_by_value() {
    let note = "---\ntitle: \"T\"\ntags: [mine, \"paper\"]\n---\nbody\n";
    let Merged::Changed(merged) = merge(note, &fresh("T", "s"), OWNED, UNION) else {
        panic!()
    };
    assert!(
        merged.contains("tags:\n  - \"mine\"\n  - \"paper\"\n  - \"field/cs\"\n"),
        "{merged}"
    );
    assert!(merged.ends_with("body\n"), "a body without regions is left alone");
}

#[test]
fn owned_keys_that_disappear_are_removed_and_others_kept() {
    let note = "---\ntitle: \"T\"\ndoi: \"10.1/x\"\nmine: 1\n---\n";
    let Merged::Changed(merged) = merge(note, &fresh("T", "s"), OWNED, UNION) else {
        panic!()
    };
    assert!(!merged.contains("doi"), "{merged}");
    assert!(merged.contains("mine: 1\n"));
}

#[test]
fn broken_markers_update_frontmatter_only() {
    for broken in [
        "%% refnet:begin header %%\nx\n",
        "x\n%% refnet:end header %%\n",
        "%% refnet:begin header %%\n%% refnet:begin summary %%\n",
        "%% refnet:begin header %%\n%% refnet:end header %%\n%% refnet:begin header %%\n%% refnet:end header %%\n",
    ] {
        let note = format!("---\ntitle: \"old\"\n---\n{broken}");
        match merge(&note, &fresh("new", "s"), OWNED, UNION) {
            Merged::BrokenMarkers { text, .. } => {
                assert!(text.contains("title: \"new\""));
                assert!(text.ends_with(broken), "body untouched: {text}");
            }
            other => panic!("{broken:?}: {other:?}"),
        }
    }
}

#[test]
fn crlf_notes_keep_their_line_endings_outside_regions() {
    let note = "---\r\ntitle: \"T\"\r\n---\r\nmine\r\n%% refnet:begin header %%\r\nold\r\n%% refnet:end header %%\r\n";
    let Merged::Changed(merged) = merge(note, &fresh("T", "s"), OWNED, UNION) else {
        panic!()
    };
    assert!(
        merged.contains("mine\r\n%% refnet:begin header %%\r\n# T\n%% refnet:end header %%\r\n"),
        "{merged:?}"
    );
}

#[test]
fn scalar_values_are_read_back() {
    let note = "---\ns2_id: \"abc\"\nplain: x # c\n---\n";
    assert_eq!(frontmatter_value(note, "s2_id").as_deref(), Some("abc"));
    assert_eq!(frontmatter_value(note, "plain").as_deref(), Some("x"));
    assert_eq!(frontmatter_value(note, "none"), None);
    assert_eq!(frontmatter_value("no frontmatter", "s2_id"), None);
}

#[test]
fn a_key_refnet_does_not_own_is_written_with_the_note_and_never_again() {
    let mut with_status = fresh("T", "S");
    with_status
        .frontmatter
        .push(("status".to_owned(), "status:\n".to_owned()));
    let created = compose(&with_status);
    assert!(created.contains("\nstatus:\n"), "{created}");
    // The user fills it in: refnet leaves their value.
    let reading = created.replace("\nstatus:\n", "\nstatus: \"reading\"\n");
    assert_eq!(merge(&reading, &with_status, OWNED, UNION), Merged::Unchanged);
    // The user removes it: refnet does not bring it back.
    let removed = created.replace("\nstatus:\n", "\n");
    assert_eq!(merge(&removed, &with_status, OWNED, UNION), Merged::Unchanged);
}
