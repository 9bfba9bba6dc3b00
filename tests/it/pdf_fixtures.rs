//! PDF text extraction on real-world files from `../shared/fixtures/pdf` (see its SOURCES.md).
//!
//! The fixtures stay outside the repository (publisher terms), so every test skips when the
//! folder is absent. Quality is measured as word-level F1 against pdftotext's output in
//! `reference/default`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use refnet::summarize::pdf::{Limits, Rejection, extract_blocking, extract_isolated, judge};
use refnet::testkit::text::word_f1;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/pdf");

/// Born-digital papers, the ones whose extraction quality matters most.
const TEXT_PAPERS: [&str; 6] = ["01", "03", "07", "09", "12", "14"];

/// The fixture folder, or `None` (after saying so) when it is not checked out beside us.
fn fixture_dir() -> Option<&'static Path> {
    let dir = Path::new(FIXTURES);
    if dir.is_dir() {
        Some(dir)
    } else {
        refnet::testkit::skip_group(
            "tests on ../shared/fixtures/pdf",
            "the folder is not beside the checkout",
            "REFNET_TEST_REQUIRE_FIXTURES",
        );
        None
    }
}

/// The PDF whose name starts with `number` and an underscore, e.g. `"07"`.
fn fixture(dir: &Path, number: &str) -> PathBuf {
    all_fixtures(dir)
        .into_iter()
        .find(|path| file_stem(path).starts_with(&format!("{number}_")))
        .unwrap_or_else(|| panic!("no fixture {number}_*.pdf in {}", dir.display()))
}

fn all_fixtures(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).expect("read fixture folder");
    let mut pdfs: Vec<PathBuf> = entries
        .map(|entry| entry.expect("read fixture folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pdf"))
        .collect();
    pdfs.sort();
    pdfs
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn reference_text(dir: &Path, pdf: &Path) -> String {
    let reference = dir.join("reference/default").join(format!("{}.txt", file_stem(pdf)));
    std::fs::read_to_string(&reference).unwrap_or_else(|e| panic!("read {}: {e}", reference.display()))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn text_papers_match_pdftotext() {
    let Some(dir) = fixture_dir() else { return };
    let mut scores: Vec<f64> = TEXT_PAPERS
        .iter()
        .map(|number| {
            let pdf = fixture(dir, number);
            let extracted = extract_blocking(&read(&pdf))
                .unwrap_or_else(|rejection| panic!("{}: rejected: {rejection}", file_stem(&pdf)));
            let f1 = word_f1(&extracted.text, &reference_text(dir, &pdf));
            eprintln!("{}: word F1 {f1:.4}", file_stem(&pdf));
            f1
        })
        .collect();
    scores.sort_by(f64::total_cmp);
    let median = f64::midpoint(scores[2], scores[3]);
    eprintln!("median word F1 {median:.4}");
    assert!(median >= 0.9, "median word F1 {median:.4} < 0.9: {scores:?}");
}

#[test]
fn every_fixture_is_extracted_or_rejected_without_panic() {
    let Some(dir) = fixture_dir() else { return };
    let pdfs = all_fixtures(dir);
    assert!(pdfs.len() >= 11, "expected the 11 fixtures 01–21, found {}", pdfs.len());
    for pdf in pdfs {
        let name = file_stem(&pdf);
        let bytes = read(&pdf);
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| extract_blocking(&bytes)))
            .unwrap_or_else(|_| panic!("{name}: extract_blocking panicked"));
        match &result {
            Ok(extracted) => {
                let rejudged = judge(&extracted.text, extracted.quality.pages);
                assert_eq!(
                    rejudged.as_ref(),
                    Ok(&extracted.quality),
                    "{name}: Ok text must pass judge"
                );
                eprintln!("{name}: ok, {:?} in {:?}", extracted.quality, started.elapsed());
            }
            Err(rejection) => eprintln!("{name}: {rejection} in {:?}", started.elapsed()),
        }
        check_expected_outcome(dir, &pdf, &result);
    }
}

/// The outcomes SOURCES.md prescribes for the problem files.
fn check_expected_outcome(dir: &Path, pdf: &Path, result: &Result<refnet::summarize::pdf::Extracted, Rejection>) {
    let name = file_stem(pdf);
    match &name[..2] {
        "18" => assert!(matches!(result, Err(Rejection::ImageOnly { .. })), "{name}: {result:?}"),
        "19" => assert!(
            matches!(result, Ok(_) | Err(Rejection::Encrypted)),
            "{name}: {result:?}"
        ),
        "20" => match result {
            Ok(extracted) => {
                let f1 = word_f1(&extracted.text, &reference_text(dir, pdf));
                assert!(f1 >= 0.5, "{name}: word F1 {f1:.3} < 0.5");
            }
            Err(rejection) => assert!(matches!(rejection, Rejection::Damaged(_)), "{name}: {rejection}"),
        },
        "21" => assert!(
            matches!(result, Err(Rejection::Truncated | Rejection::Damaged(_))),
            "{name}: {result:?}"
        ),
        _ => {}
    }
}

#[tokio::test]
async fn isolated_extraction_matches_in_process_extraction() {
    let Some(dir) = fixture_dir() else { return };
    let pdf = fixture(dir, "07");
    let exe = Path::new(env!("CARGO_BIN_EXE_refnet"));
    let limits = Limits {
        timeout: Duration::from_mins(1),
        max_memory_bytes: 2 << 30,
    };
    let isolated = extract_isolated(exe, &pdf, &limits).await.expect("isolated extraction");
    let in_process = extract_blocking(&read(&pdf)).expect("in-process extraction");
    assert_eq!(isolated.text, in_process.text);
    assert_eq!(isolated.quality.pages, in_process.quality.pages);
    assert_eq!(isolated.quality.chars, in_process.quality.chars);
}

#[tokio::test]
async fn isolated_extraction_times_out() {
    let Some(dir) = fixture_dir() else { return };
    let pdf = fixture(dir, "07");
    let exe = Path::new(env!("CARGO_BIN_EXE_refnet"));
    let limits = Limits {
        timeout: Duration::from_millis(1),
        max_memory_bytes: 2 << 30,
    };
    assert_eq!(extract_isolated(exe, &pdf, &limits).await, Err(Rejection::Timeout));
}

#[tokio::test]
async fn isolated_extraction_reports_rejections() {
    let Some(dir) = fixture_dir() else { return };
    let pdf = fixture(dir, "21");
    let exe = Path::new(env!("CARGO_BIN_EXE_refnet"));
    let limits = Limits {
        timeout: Duration::from_mins(1),
        max_memory_bytes: 2 << 30,
    };
    assert_eq!(extract_isolated(exe, &pdf, &limits).await, Err(Rejection::Truncated));
}
