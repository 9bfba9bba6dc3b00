//! Text extraction from downloaded PDFs, with a verdict on whether the text is worth summarizing.
//!
//! In: the bytes of a downloaded file ([`extract_blocking`]), or its path and [`Limits`]
//! ([`extract_isolated`]). Out: the [`Extracted`] text with the [`Quality`] metrics it was
//! judged by, or a [`Rejection`], one short line saying why the file gives no usable text. A bad
//! PDF is a value, never a panic or an `Err` that stops the caller.
//!
//! Real-world PDFs are hostile (scans, encryption, damaged or cut-off files, odd fonts), so the
//! pipeline is defensive at every step:
//!
//! 1. sniff the `%PDF-` header;
//! 2. load with lopdf, which transparently decrypts files whose user password is empty;
//! 3. rewrite the `'` and `"` text operators, which pdf-extract silently ignores;
//! 4. extract text page by page with pdf-extract, each page shielded against panics;
//! 5. [`normalize`] and [`judge()`] the text, telling image-only scans apart from other failures.
//!
//! [`extract_isolated`] runs the same pipeline in a child process under a time and memory limit,
//! because some PDFs make the parsers loop or allocate without bound.
//!
//! One file per job: `load.rs` (steps 1–4, the lopdf and pdf-extract workarounds), `clean.rs`
//! (normalizing the text), `judge.rs` (the verdict and its thresholds), `isolate.rs` (the child
//! process and its one-line JSON protocol). This file holds the types and runs the steps.

mod clean;
mod isolate;
mod judge;
mod load;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use clean::normalize;
pub use isolate::{extract_isolated, run_child_main};
pub use judge::judge;

/// Rejection details are meant for logs and reports: one short line.
const MAX_DETAIL_CHARS: usize = 100;

/// A page with fewer non-whitespace characters than this "has no text layer" when it also shows
/// an image: scans often carry a short stamp ("Downloaded from …", a page number) as real text,
/// while a page of running text has well over 1,000 characters (the fixtures average 1,950–3,550
/// per page).
const MAX_IMAGE_PAGE_CHARS: usize = 100;

/// Why extracted text was rejected.
///
/// `Display` is one short lowercase line, suitable for logs and the report of a failed paper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Rejection {
    /// No `%PDF-` header in the first 1024 bytes (typically an HTML landing page).
    #[error("not a pdf: no %PDF- header in the first 1024 bytes")]
    NotPdf,
    /// Encrypted, and the empty user password does not open it.
    #[error("encrypted: the empty user password does not open it")]
    Encrypted,
    /// The file could not be parsed or its content could not be read.
    #[error("damaged pdf: {0}")]
    Damaged(String),
    /// The file ends before its `%%EOF` marker, e.g. after an interrupted download.
    #[error("truncated pdf: the file ends before %%EOF")]
    Truncated,
    /// Scanned pages without a text layer.
    #[error("image-only scan: {pages} pages with images and no text layer")]
    ImageOnly {
        /// Pages that show an image but carry (almost) no text.
        pages: usize,
    },
    /// Text is present but its words run together (spaces lost in extraction).
    #[error("glued words: too few spaces between words")]
    Glued,
    /// Too little text for the number of pages.
    #[error("too little text: {chars} characters on {pages} pages")]
    TooLittleText {
        /// Non-whitespace characters in the whole text.
        chars: usize,
        /// Pages in the document.
        pages: usize,
    },
    /// Text that does not look like language (symbol soup from undecodable fonts).
    #[error("junk text: {0}")]
    Junk(String),
    /// The isolated extractor ran out of time.
    #[error("timed out")]
    Timeout,
    /// The isolated extractor died or reported nothing usable.
    #[error("extractor crashed: {0}")]
    Crashed(String),
}

/// Metrics used to judge extracted text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Pages in the document.
    pub pages: usize,
    /// Non-whitespace characters in the text.
    pub chars: usize,
    /// `chars` divided by `pages` (a document without pages counts as one page).
    pub chars_per_page: f64,
    /// Mean characters per whitespace-separated token.
    pub mean_word_len: f64,
    /// Share of tokens that are words once surrounding punctuation is stripped: letters only,
    /// with hyphens or apostrophes only between letters.
    pub wordlike_share: f64,
}

/// Normalized text of a PDF that passed [`judge()`], with its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// The normalized text; pages are separated by a blank line.
    pub text: String,
    /// The metrics the text was judged by.
    pub quality: Quality,
}

/// Limits for [`extract_isolated`].
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time after which the child is killed.
    pub timeout: Duration,
    /// Address-space limit of the child (`RLIMIT_AS`), rounded up to whole MiB; 0 means no limit.
    pub max_memory_bytes: u64,
}

/// Extracts the text of a PDF held in memory and judges it, in the current thread.
///
/// Never panics: lopdf and pdf-extract panic on some malformed input, and such a panic becomes
/// [`Rejection::Damaged`] (the default panic hook still prints it to stderr). It can, however,
/// take unbounded time or memory on hostile input; use [`extract_isolated`] for untrusted files.
pub fn extract_blocking(bytes: &[u8]) -> Result<Extracted, Rejection> {
    if !load::has_pdf_header(bytes) {
        return Err(Rejection::NotPdf);
    }
    shielded(|| extract_document(bytes))
        .unwrap_or_else(|panic| Err(Rejection::Damaged(short_detail(&format!("parser panicked: {panic}")))))
}

fn extract_document(bytes: &[u8]) -> Result<Extracted, Rejection> {
    let mut doc = load::load_document(bytes)?;
    load::expand_quote_operators(&mut doc);
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(Rejection::Damaged("no pages".into()));
    }
    let texts: Vec<load::PageText> = pages.keys().map(|&number| load::read_page(&doc, number)).collect();
    judge::check_unreadable_pages(&texts)?;
    // Unreadable pages (a minority by now) contribute nothing, not even to the image count.
    let texts: Vec<Option<String>> = texts
        .into_iter()
        .map(|text| text.ok().map(|text| normalize(&text)))
        .collect();
    let image_pages = pages
        .values()
        .zip(&texts)
        .filter(|&(&id, text)| {
            text.as_deref()
                .is_some_and(|text| non_whitespace_chars(text) < MAX_IMAGE_PAGE_CHARS)
                && load::page_has_image(&doc, id)
        })
        .count();
    let texts: Vec<String> = texts.into_iter().flatten().filter(|text| !text.is_empty()).collect();
    judge::assess(texts.join("\n\n"), pages.len(), image_pages)
}

/// Runs `f`, turning a panic into its (shortened) message.
pub(super) fn shielded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(std::string::ToString::to_string)
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        short_detail(&message)
    })
}

/// First line of `message`, without control characters, at most [`MAX_DETAIL_CHARS`] long.
fn short_detail(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    let mut detail: String = line
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DETAIL_CHARS)
        .collect();
    if line.chars().count() > MAX_DETAIL_CHARS {
        detail.push('…');
    }
    detail
}

fn non_whitespace_chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::pdf::{ShowLine, image_pdf, lines_document, save};
    use crate::testkit::text::{PROSE, prose, word_f1};

    #[test]
    fn extracts_text_of_a_helvetica_page() {
        let pdf = save(lines_document(&PROSE, ShowLine::NextLineThenTj));
        let extracted = extract_blocking(&pdf).expect("text is accepted");
        assert!(
            extracted.text.contains("The quick brown fox jumps"),
            "{}",
            extracted.text
        );
        assert!(word_f1(&extracted.text, &prose()) > 0.95, "{}", extracted.text);
        assert_eq!(extracted.quality.pages, 1);
    }

    #[test]
    fn image_only_page_is_rejected_as_image_only() {
        assert_eq!(extract_blocking(&image_pdf()), Err(Rejection::ImageOnly { pages: 1 }));
    }

    #[test]
    fn rejection_messages_are_short_lowercase_lines() {
        let long = "x".repeat(500);
        let rejections = [
            Rejection::NotPdf,
            Rejection::Encrypted,
            Rejection::Damaged(short_detail(&format!("{long}\nsecond line"))),
            Rejection::Truncated,
            Rejection::ImageOnly { pages: 2 },
            Rejection::Glued,
            Rejection::TooLittleText { chars: 3, pages: 1 },
            Rejection::Junk("only 3% of tokens look like words".into()),
            Rejection::Timeout,
            Rejection::Crashed("killed by signal 9".into()),
        ];
        for rejection in rejections {
            let message = rejection.to_string();
            assert!(!message.contains('\n') && message.chars().count() < 120, "{message}");
            assert!(message.starts_with(|c: char| c.is_ascii_lowercase()), "{message}");
        }
    }
}
