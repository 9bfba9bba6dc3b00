//! `refnet export`: every member and in-crawl citation in each format, well-formed XML,
//! files networkx reads; bad input exits 2 with one line and leaves nothing behind.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use quick_xml::events::Event;
use refnet::store::Store;
use refnet::testkit::{FakeS2, Planted};

/// The binary with a clean environment, in `dir`.
async fn refnet(dir: &Path, s2_url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_refnet"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("REFNET_S2_URL", s2_url)
        .env("REFNET_S2_RPS", "1000")
        .current_dir(dir)
        .args(args)
        .output()
        .await
        .expect("run refnet")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A vault with one crawl of a planted corpus: (fake, dir, members, in-crawl edges).
async fn crawled() -> (FakeS2, tempfile::TempDir, BTreeSet<String>, BTreeSet<(String, String)>) {
    let p = Planted::new(3, 20, 6, 0.9, 4);
    let seed = p.corpus.paper(p.seed).id.clone();
    let fake = FakeS2::start(p.corpus).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = refnet(
        dir.path(),
        &fake.url,
        &["crawl", &seed, "--depth", "2", "--direction", "both", "--no-summarize"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let url = format!("sqlite://{}", dir.path().join("vault/.refnet/refnet.sqlite").display());
    let store = Store::open(&url).await.expect("store");
    let members: BTreeSet<String> = store
        .fetched_members(1)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.0)
        .collect();
    let ids: Vec<String> = members.iter().cloned().collect();
    let edges = store
        .edges_touching(&ids)
        .await
        .expect("edges")
        .into_iter()
        .filter(|e| members.contains(&e.citing) && members.contains(&e.cited) && e.citing != e.cited)
        .map(|e| (e.citing, e.cited))
        .collect();
    store.close().await;
    (fake, dir, members, edges)
}

/// Parses XML to the end (an error fails the test) and returns the ids of `node_tag`
/// elements and the (source, target) of `edge_tag` elements.
fn parse_xml(text: &str, node_tag: &[u8], edge_tag: &[u8]) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    let mut depth = 0i64;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| -> String {
            e.try_get_attribute(name)
                .expect("attribute")
                .map(|a| a.unescape_value().expect("escaped").into_owned())
                .unwrap_or_default()
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                if e.name().as_ref() == node_tag {
                    nodes.insert(attr(e, b"id"));
                } else if e.name().as_ref() == edge_tag {
                    edges.insert((attr(e, b"source"), attr(e, b"target")));
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                t.decode().expect("UTF-8 text");
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element closed");
    (nodes, edges)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_holds_every_member_and_in_crawl_citation() {
    let (fake, dir, members, edges) = crawled().await;
    assert!(
        members.len() > 20 && edges.len() > 20,
        "{} {}",
        members.len(),
        edges.len()
    );
    for (format, file) in [
        ("graphml", "g.graphml"),
        ("gexf", "g.gexf"),
        ("json", "g.json"),
        ("csv", "g.csv"),
    ] {
        let out = refnet(
            dir.path(),
            &fake.url,
            &["export", "--crawl", "1", "--format", format, "--output", file],
        )
        .await;
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let text = std::fs::read_to_string(dir.path().join(file)).expect("exported file");
        let (nodes, links): (BTreeSet<String>, BTreeSet<(String, String)>) = match format {
            "graphml" => parse_xml(&text, b"node", b"edge"),
            "gexf" => parse_xml(&text, b"node", b"edge"),
            "json" => {
                let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
                let nodes = doc["nodes"].as_array().expect("nodes");
                assert!(nodes.iter().all(|n| n["similarity"].is_f64() && n["pagerank"].is_f64()));
                assert!(
                    nodes.iter().any(|n| n["cluster"].is_string()),
                    "clustered papers name their cluster"
                );
                (
                    nodes.iter().map(|n| n["id"].as_str().expect("id").to_owned()).collect(),
                    doc["links"]
                        .as_array()
                        .expect("links")
                        .iter()
                        .map(|l| {
                            (
                                l["source"].as_str().expect("s").to_owned(),
                                l["target"].as_str().expect("t").to_owned(),
                            )
                        })
                        .collect(),
                )
            }
            _ => {
                let edges_text = std::fs::read_to_string(dir.path().join("g.edges.csv")).expect("edges file");
                assert!(text.starts_with("id,title,year,citation_count,cluster,cluster_id,similarity,pagerank"));
                let rows = text.lines().count() - 1;
                assert_eq!(rows, members.len(), "one row per member (titles have no line breaks)");
                (
                    text.lines()
                        .skip(1)
                        .map(|l| l.split(',').next().expect("id").to_owned())
                        .collect(),
                    edges_text
                        .lines()
                        .skip(1)
                        .map(|l| {
                            let (a, b) = l.split_once(',').expect("two columns");
                            (a.to_owned(), b.to_owned())
                        })
                        .collect(),
                )
            }
        };
        assert_eq!(nodes, members, "{format}: every member once");
        assert_eq!(links, edges, "{format}: every in-crawl citation");
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    networkx_reads(dir.path(), members.len(), edges.len());
}

/// networkx reads each file with the counts refnet wrote (skipped without networkx).
fn networkx_reads(dir: &Path, nodes: usize, edges: usize) {
    let script = "import sys, json, networkx as nx\n\
        d = sys.argv[1]\n\
        g = [nx.read_graphml(d + '/g.graphml'), nx.read_gexf(d + '/g.gexf'),\n\
             nx.node_link_graph(json.load(open(d + '/g.json')), edges='links')]\n\
        print(' '.join(f'{x.number_of_nodes()},{x.number_of_edges()}' for x in g))\n";
    let probe = std::process::Command::new("python3")
        .args(["-c", "import networkx"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        refnet::testkit::skip_group(
            "networkx export check",
            "python3 with networkx is not installed (pip install networkx)",
            "REFNET_TEST_REQUIRE_NETWORKX",
        );
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["-c", script, &dir.display().to_string()])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = format!("{nodes},{edges}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        [want.as_str(); 3].join(" ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_exports_exit_2_with_one_line_and_leave_nothing_behind() {
    let (fake, dir, _, _) = crawled().await;
    std::fs::write(dir.path().join("kept.graphml"), "the user's file").expect("write");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--crawl", "1", "--format", "dot", "--output", "kept.graphml"],
            "graphml, gexf, csv, json",
        ),
        (
            &["--crawl", "1", "--format", "gexf", "--output", "no/such/dir/g.gexf"],
            "no/such/dir",
        ),
        (
            &["--crawl", "42", "--format", "graphml", "--output", "kept.graphml"],
            "refnet crawls",
        ),
        (&["--crawl", "1", "--format", "csv", "--output", "."], "folder"),
    ];
    for (args, names) in cases {
        let mut all = vec!["export"];
        all.extend(args);
        let out = refnet(dir.path(), &fake.url, &all).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("kept.graphml")).expect("kept"),
        "the user's file"
    );
    assert!(!dir.path().join("no").exists() && !dir.path().join("..edges.csv").exists());
    let stray: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp") || n.ends_with(".csv") || n.ends_with(".gexf"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_folder_exits_2_and_writes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let (fake, dir, _, _) = crawled().await;
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    if std::fs::write(locked.join("probe"), "x").is_ok() {
        // Running as root: permissions do not stop writes; nothing to test here.
        let _ = std::fs::remove_file(locked.join("probe"));
        refnet::testkit::skip_group(
            "unwritable-folder export check",
            "running as root",
            "REFNET_TEST_REQUIRE_NONROOT",
        );
        return;
    }
    let out = refnet(
        dir.path(),
        &fake.url,
        &[
            "export",
            "--crawl",
            "1",
            "--format",
            "json",
            "--output",
            "locked/g.json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("locked/g.json"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&locked).expect("dir").count(), 0);
}
