//! What to read, through the binary: a crawl of a planted-community field writes paper
//! notes with their cluster and similarity, a note per cluster, the index's rankings, the
//! Bases file, a map by cluster, and an export; a cluster the user renames keeps its name.

use std::path::Path;

use refnet::testkit::{FakeS2, Planted};

use super::cli::{run, stderr};
use super::support::{body, frontmatter, markdown};

fn notes_in(vault: &Path, folder: &str) -> Vec<(std::path::PathBuf, String)> {
    markdown(&vault.join(folder))
}

#[tokio::test]
async fn a_crawl_of_a_field_writes_what_to_read_and_keeps_a_renamed_cluster() {
    let p = Planted::new(3, 24, 6, 0.9, 11);
    let seed = p.corpus.paper(p.seed).id.clone();
    let fake = FakeS2::start(p.corpus.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");

    let out = run(
        dir.path(),
        &fake.url,
        &["crawl", &seed, "--depth", "2", "--direction", "both"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Paper notes: every one has its similarity (a number) and, when clustered, its cluster.
    let papers = notes_in(&vault, "refnet/papers");
    assert!(papers.len() >= 30, "{} paper notes", papers.len());
    let mut clustered = 0;
    for (path, text) in &papers {
        let fm = frontmatter(text);
        let similarity = fm["similarity"]
            .as_f64()
            .unwrap_or_else(|| panic!("{path:?}: similarity"));
        assert!((0.0..=1.0).contains(&similarity), "{path:?}: {similarity}");
        assert!(fm["pagerank"].as_f64().is_some(), "{path:?}: pagerank");
        assert!(fm["in_crawl_citations"].as_i64().is_some(), "{path:?}");
        if fm.get("cluster").and_then(|c| c.as_str()).is_some() {
            clustered += 1;
            assert!(body(text).contains("## Similar papers"), "{path:?}");
        }
    }
    assert!(
        clustered * 10 >= papers.len() * 8,
        "{clustered} of {} clustered",
        papers.len()
    );
    let seed_note = papers
        .iter()
        .find(|(_, t)| frontmatter(t)["s2_id"].as_str() == Some(seed.as_str()))
        .expect("the seed's note");
    assert_eq!(frontmatter(&seed_note.1)["similarity"].as_f64(), Some(1.0));

    // A note per cluster, named by its label, listing its papers.
    let clusters = notes_in(&vault, "refnet/clusters");
    assert!(clusters.len() >= 2, "{} cluster notes", clusters.len());
    for (path, text) in &clusters {
        let fm = frontmatter(text);
        let label = fm["label"].as_str().expect("label");
        let members = papers
            .iter()
            .filter(|(_, t)| frontmatter(t).get("cluster").and_then(|c| c.as_str()) == Some(label))
            .count();
        assert_eq!(fm["papers"].as_i64(), Some(members as i64), "{path:?}");
        assert!(body(text).contains("## Papers") && body(text).contains("## Prior works"));
    }

    // The index's rankings, and its count of the citations the notes link: as many as
    // the papers' in-crawl citations.
    let index = &notes_in(&vault, "refnet/crawls")[0].1;
    let cited: i64 = papers
        .iter()
        .map(|(_, t)| frontmatter(t)["in_crawl_citations"].as_i64().unwrap_or(0))
        .sum();
    assert!(cited > 0);
    assert_eq!(frontmatter(index)["citations"].as_i64(), Some(cited));
    for section in [
        "## Most similar to the seed",
        "## Prior works",
        "## Derivative works",
        "## Clusters",
    ] {
        assert!(index.contains(section), "index lacks {section}");
    }

    // The Bases file, and a map by cluster within the cap.
    let base = std::fs::read_to_string(vault.join("refnet/Papers.base")).expect("Papers.base");
    let base: serde_yaml::Value = serde_yaml::from_str(&base).expect("YAML");
    assert!(base["views"].as_sequence().is_some_and(|v| v.len() >= 4));
    let maps = std::fs::read_dir(vault.join("refnet/maps"))
        .expect("maps")
        .flatten()
        .count();
    assert_eq!(maps, 1);
    let map_path = std::fs::read_dir(vault.join("refnet/maps"))
        .expect("maps")
        .flatten()
        .next()
        .expect("a map")
        .path();
    let map_text = std::fs::read_to_string(&map_path).expect("canvas");
    assert!(refnet::testkit::canvas::validate(&map_text).is_empty());
    let map: serde_json::Value = serde_json::from_str(&map_text).expect("json");
    let nodes = map["nodes"].as_array().expect("nodes");
    assert!(
        nodes.iter().filter(|n| n["type"] == "group").count() >= 2,
        "one group per cluster"
    );
    assert!(
        nodes.iter().filter(|n| n["type"] == "file").count() <= 100,
        "capped by vault.map_papers"
    );

    // An export networkx can read (well-formed GraphML with every member).
    let out_path = dir.path().join("field.graphml");
    let out = run(
        dir.path(),
        &fake.url,
        &[
            "export",
            "--crawl",
            "1",
            "--format",
            "graphml",
            "--output",
            out_path.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let graphml = std::fs::read_to_string(&out_path).expect("graphml");
    assert_eq!(graphml.matches("<node ").count(), papers.len());

    // The user renames a cluster in its note: every member's note follows after a re-run.
    let (path, text) = &clusters[0];
    let old = frontmatter(text)["label"].as_str().expect("label").to_owned();
    std::fs::write(
        path,
        text.replacen(&format!("label: \"{old}\""), "label: \"My topic\"", 1),
    )
    .expect("rename");
    let out = run(dir.path(), &fake.url, &["render"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let renamed = notes_in(&vault, "refnet/papers")
        .iter()
        .filter(|(_, t)| frontmatter(t).get("cluster").and_then(|c| c.as_str()) == Some("My topic"))
        .count();
    let before = papers
        .iter()
        .filter(|(_, t)| frontmatter(t).get("cluster").and_then(|c| c.as_str()) == Some(old.as_str()))
        .count();
    assert_eq!(renamed, before, "every member of {old:?} now says My topic");
    assert!(before > 0);

    // Clusters that vanish (here: the stored analysis's ids moved, as when a refresh
    // regroups the papers) lose their notes, unless the user edited one: that one stays.
    let before: Vec<std::path::PathBuf> = notes_in(&vault, "refnet/clusters")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let edited = before.last().expect("cluster notes").clone();
    let mine = std::fs::read_to_string(&edited).expect("read") + "\nMy own thoughts on this group.\n";
    std::fs::write(&edited, &mine).expect("edit");
    let store = refnet::store::Store::open(&format!("sqlite://{}", vault.join(".refnet/refnet.sqlite").display()))
        .await
        .expect("the vault's store");
    let refnet::store::Db::Sqlite(pool) = store.db() else {
        panic!("SQLite")
    };
    for table in ["analysis_clusters", "analysis_papers"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET cluster_id = cluster_id + 1000"
        )))
        .execute(pool)
        .await
        .expect("move cluster ids");
    }
    store.close().await;
    let out = run(dir.path(), &fake.url, &["render"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after: Vec<std::path::PathBuf> = notes_in(&vault, "refnet/clusters")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    for old_note in &before {
        assert_eq!(old_note.exists(), *old_note == edited, "{}", old_note.display());
    }
    assert_eq!(
        std::fs::read_to_string(&edited).expect("kept"),
        mine,
        "the user's note is left as it is"
    );
    assert_eq!(
        after.len(),
        before.len() + 1,
        "a note per live cluster, and the user's edited one"
    );
}
