//! Two processes rendering one vault at once (a `refresh` while `serve` renders, two
//! `refnet render`s): neither warns, no note is lost or cut short.

use super::cli::{fake_seed, run, stderr};
use refnet::testkit::{Corpus, FakeS2};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_renders_of_one_vault_at_once_neither_warn_nor_lose_or_cut_a_note() {
    let fake = FakeS2::start(Corpus::synthetic(150, 6, 11)).await;
    let seed = fake_seed(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let crawl = run(
        dir.path(),
        &fake.url,
        &["crawl", &seed, "--depth", "2", "--no-summarize"],
    )
    .await;
    assert_eq!(crawl.status.code(), Some(0), "{}", stderr(&crawl));
    let papers = dir.path().join("vault/refnet/papers");
    let written: Vec<_> = std::fs::read_dir(&papers).expect("notes").flatten().collect();
    assert!(written.len() > 20, "enough notes to overlap: {}", written.len());
    // Every note must be written again: half gone, half edited outside refnet's text.
    for (i, entry) in written.iter().enumerate() {
        if i % 2 == 0 {
            std::fs::remove_file(entry.path()).expect("remove");
        } else {
            let text = std::fs::read_to_string(entry.path()).expect("read");
            std::fs::write(entry.path(), text.replace("refnet_updated: ", "refnet_updated: 1")).expect("edit");
        }
    }

    let (a, b) = tokio::join!(
        run(dir.path(), &fake.url, &["render"]),
        run(dir.path(), &fake.url, &["render"])
    );

    for out in [&a, &b] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert_eq!(stderr(out), "", "no warning");
    }
    let after: Vec<_> = std::fs::read_dir(&papers).expect("notes").flatten().collect();
    assert_eq!(after.len(), written.len(), "no note lost, no temporary file left");
    let again = run(dir.path(), &fake.url, &["render"]).await;
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains(" 0 created, 0 updated") && said.contains(" 0 failed"),
        "a third render finds every note whole and current: {said}"
    );
}
