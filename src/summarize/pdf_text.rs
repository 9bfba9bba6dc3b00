//! Text extraction from downloaded PDFs, with a verdict on whether the text is worth summarizing.
//!
//! Real-world PDFs are hostile (scans, encryption, damaged or cut-off files, odd fonts), so the
//! pipeline is defensive at every step:
//!
//! 1. sniff the `%PDF-` header;
//! 2. load with lopdf, which transparently decrypts files whose user password is empty;
//! 3. rewrite the `'` and `"` text operators, which pdf-extract silently ignores;
//! 4. extract text page by page with pdf-extract, each page shielded against panics;
//! 5. [`normalize`] and [`judge`] the text, telling image-only scans apart from other failures.
//!
//! [`extract_isolated`] runs the same pipeline in a child process under a time and memory limit,
//! because some PDFs make the parsers loop or allocate without bound.

use std::collections::HashMap;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId};
use pdf_extract::PlainTextOutput;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// How far into the file the `%PDF-` header may start: readers (and lopdf) tolerate leading junk
/// such as an HTTP preamble, and 1024 bytes is the limit Acrobat documents for it.
const HEADER_WINDOW: usize = 1024;

/// How far from the end `%%EOF` is looked for. lopdf itself only searches the last 512 bytes; a
/// larger window keeps trailing junk after a complete file from being mistaken for truncation.
const EOF_WINDOW: usize = 1024;

/// Rejection details are meant for logs and reports: one short line.
const MAX_DETAIL_CHARS: usize = 100;

/// A page with fewer non-whitespace characters than this "has no text layer" when it also shows
/// an image: scans often carry a short stamp ("Downloaded from …", a page number) as real text,
/// while a page of running text has well over 1,000 characters (the fixtures average 1,950–3,550
/// per page).
const MAX_IMAGE_PAGE_CHARS: usize = 100;

/// Form XObjects can nest; scanners wrap the page image in at most one or two of them.
const MAX_FORM_DEPTH: usize = 4;

/// Page trees are shallow (a handful of levels even for thousands of pages); the bound only
/// protects against `/Parent` cycles.
const MAX_PAGE_TREE_DEPTH: usize = 32;

/// Below this many non-whitespace characters (about 70 words, shorter than an abstract) there is
/// nothing worth summarizing, whatever the page count.
const MIN_CHARS: usize = 400;

/// The fixtures with text average 2,480–3,560 non-whitespace characters per page, 1,950 for the
/// sparsest (17, a scanned page with OCR layer and formulas). Below 200 per page most pages have
/// no text layer, so a summary would be built on a fragment.
const MIN_CHARS_PER_PAGE: f64 = 200.0;

/// Mean characters per whitespace-separated token. Prose averages 5–6 (punctuation included):
/// pdf-extract's text of the fixtures measures 4.6–6.0, pdftotext's 4.9–6.0. Glued words measure
/// far above: lopdf's own `extract_text` on fixtures 07, 09 and 14 gives 281, 18 and 147. 10
/// leaves room for formula- and URL-heavy text while catching text with half its spaces lost.
const MAX_MEAN_WORD_LEN: f64 = 10.0;

/// Share of tokens that are plain words (letters only, apart from inner hyphens and apostrophes,
/// and surrounding punctuation). The fixture papers measure 0.89–0.94; the OCR layer of the
/// formula-heavy scan 17 only 0.51 (0.47 in pdftotext's text), yet it is usable text. Symbol soup
/// from fonts without a usable encoding, or binary decoded as text, measures far lower.
const MIN_WORDLIKE_SHARE: f64 = 0.4;

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

/// Normalized text of a PDF that passed [`judge`], with its metrics.
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

/// One line of child output, the protocol between [`run_child_main`] and [`extract_isolated`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChildReport {
    Ok(Extracted),
    Rejected(Rejection),
}

/// Text of one page, or why pdf-extract could not read it.
type PageText = Result<String, String>;

/// Extracts the text of a PDF held in memory and judges it, in the current thread.
///
/// Never panics: lopdf and pdf-extract panic on some malformed input, and such a panic becomes
/// [`Rejection::Damaged`] (the default panic hook still prints it to stderr). It can, however,
/// take unbounded time or memory on hostile input; use [`extract_isolated`] for untrusted files.
pub fn extract_blocking(bytes: &[u8]) -> Result<Extracted, Rejection> {
    if !has_pdf_header(bytes) {
        return Err(Rejection::NotPdf);
    }
    shielded(|| extract_document(bytes))
        .unwrap_or_else(|panic| Err(Rejection::Damaged(short_detail(&format!("parser panicked: {panic}")))))
}

fn extract_document(bytes: &[u8]) -> Result<Extracted, Rejection> {
    let mut doc = load_document(bytes)?;
    expand_quote_operators(&mut doc);
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(Rejection::Damaged("no pages".into()));
    }
    let texts: Vec<PageText> = pages.keys().map(|&number| read_page(&doc, number)).collect();
    check_unreadable_pages(&texts)?;
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
                && page_has_image(&doc, id)
        })
        .count();
    let texts: Vec<String> = texts.into_iter().flatten().filter(|text| !text.is_empty()).collect();
    assess(texts.join("\n\n"), pages.len(), image_pages)
}

fn has_pdf_header(bytes: &[u8]) -> bool {
    contains(&bytes[..bytes.len().min(HEADER_WINDOW)], b"%PDF-")
}

fn has_eof_marker(bytes: &[u8]) -> bool {
    contains(&bytes[bytes.len().saturating_sub(EOF_WINDOW)..], b"%%EOF")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Loads the document and makes sure it is decrypted.
fn load_document(bytes: &[u8]) -> Result<Document, Rejection> {
    let mut doc = Document::load_mem(bytes).map_err(|error| load_failure(bytes, &error))?;
    // lopdf decrypts with the empty user password while loading; a document that still carries
    // its /Encrypt entry needs a password we do not have.
    if doc.is_encrypted() {
        doc.decrypt("").map_err(|_| Rejection::Encrypted)?;
    }
    Ok(doc)
}

fn load_failure(bytes: &[u8], error: &lopdf::Error) -> Rejection {
    use lopdf::Error as E;
    match error {
        // A file cut short loses its trailer first, so any load error is explained by that.
        _ if !has_eof_marker(bytes) => Rejection::Truncated,
        E::Decryption(_) | E::InvalidPassword | E::UnsupportedSecurityHandler(_) => Rejection::Encrypted,
        other => Rejection::Damaged(short_detail(&other.to_string())),
    }
}

/// pdf-extract ignores the `'` and `"` text operators (PDF 32000-1 §9.4.3: next line, then show
/// text), which some generators (Ghostscript, a2ps) use for most lines of a page. Rewriting them
/// into the equivalent `Tw`/`Tc`/`T*`/`Tj` keeps those lines.
fn expand_quote_operators(doc: &mut Document) {
    for page_id in doc.get_pages().into_values() {
        if let Some(content) = content_without_quote_operators(doc, page_id) {
            // If the page cannot be changed we only lose the quoted lines, as before.
            let _ = doc.change_page_content(page_id, content);
        }
    }
}

/// The page content with quote operators expanded, or `None` if there is nothing to rewrite.
fn content_without_quote_operators(doc: &Document, page_id: ObjectId) -> Option<Vec<u8>> {
    let raw = doc.get_page_content(page_id).ok()?;
    if !may_contain_quote_operator(&raw) {
        return None;
    }
    let content = Content::decode(&raw).ok()?;
    let operations = &content.operations;
    // Inline images do not survive decode + encode reliably; losing the image data could break
    // parsing of everything after it.
    if operations.iter().any(|op| op.operator == "BI") || !operations.iter().any(is_quote_operator) {
        return None;
    }
    let operations: Vec<Operation> = content.operations.into_iter().flat_map(expand_quote_operator).collect();
    Content { operations }.encode().ok()
}

/// Cheap pre-filter: a quote operator always follows its string operand, `(…)'` or `<…>"`,
/// so other pages (most of them) are not decoded twice.
fn may_contain_quote_operator(content: &[u8]) -> bool {
    let mut after_string = false;
    for &byte in content {
        match byte {
            b'\'' | b'"' if after_string => return true,
            b')' | b'>' => after_string = true,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => after_string = false,
        }
    }
    false
}

fn is_quote_operator(op: &Operation) -> bool {
    op.operator == "'" || op.operator == "\""
}

fn expand_quote_operator(op: Operation) -> Vec<Operation> {
    let next_line = || Operation::new("T*", vec![]);
    match (op.operator.as_str(), op.operands.as_slice()) {
        ("'", [text]) => vec![next_line(), Operation::new("Tj", vec![text.clone()])],
        ("\"", [word_spacing, char_spacing, text]) => vec![
            Operation::new("Tw", vec![word_spacing.clone()]),
            Operation::new("Tc", vec![char_spacing.clone()]),
            next_line(),
            Operation::new("Tj", vec![text.clone()]),
        ],
        _ => vec![op],
    }
}

/// Extracts one page; pages are isolated so that one bad page does not cost the whole paper.
fn read_page(doc: &Document, number: u32) -> PageText {
    let extract = || {
        let mut text = String::new();
        pdf_extract::output_doc_page(doc, &mut PlainTextOutput::new(&mut text), number)
            .map(|()| text)
            .map_err(|error| format!("page {number}: {}", short_detail(&error.to_string())))
    };
    shielded(extract).unwrap_or_else(|panic| Err(format!("page {number}: extractor panicked: {panic}")))
}

/// Rejects the document when most of its pages could not be read: what is left would be a
/// fragment. A minority of bad pages (a broken figure page) only costs those pages.
fn check_unreadable_pages(texts: &[PageText]) -> Result<(), Rejection> {
    let failures: Vec<&String> = texts.iter().filter_map(|text| text.as_ref().err()).collect();
    match failures.first() {
        Some(first) if failures.len() * 2 > texts.len() => Err(Rejection::Damaged(short_detail(&format!(
            "{} of {} pages unreadable, {first}",
            failures.len(),
            texts.len()
        )))),
        _ => Ok(()),
    }
}

/// Whether the page shows an image XObject (directly or inside a Form XObject) or an inline image.
fn page_has_image(doc: &Document, page_id: ObjectId) -> bool {
    let in_resources =
        inherited_resources(doc, page_id).is_some_and(|resources| resources_have_image(doc, resources, MAX_FORM_DEPTH));
    // Decoding content is only needed for the rare page without an image XObject; lopdf's
    // inline-image parser can panic on malformed images, which just means "no image".
    in_resources
        || shielded(|| doc.get_and_decode_page_content(page_id))
            .ok()
            .and_then(Result::ok)
            .is_some_and(|content| content.operations.iter().any(|op| op.operator == "BI"))
}

/// The page's `/Resources`, which may be inherited from any ancestor in the page tree.
fn inherited_resources(doc: &Document, page_id: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page_id).ok()?;
    for _ in 0..MAX_PAGE_TREE_DEPTH {
        if let Ok(resources) = node.get(b"Resources") {
            return resolve_dict(doc, resources);
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn resources_have_image(doc: &Document, resources: &Dictionary, depth: usize) -> bool {
    let Some(xobjects) = resources.get(b"XObject").ok().and_then(|obj| resolve_dict(doc, obj)) else {
        return false;
    };
    xobjects.iter().any(|(_, xobject)| {
        let Ok((_, Object::Stream(stream))) = doc.dereference(xobject) else {
            return false;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => true,
            Ok(b"Form") if depth > 0 => stream
                .dict
                .get(b"Resources")
                .ok()
                .and_then(|obj| resolve_dict(doc, obj))
                .is_some_and(|inner| resources_have_image(doc, inner, depth - 1)),
            _ => false,
        }
    })
}

fn resolve_dict<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(object).ok()?.1.as_dict().ok()
}

/// Final verdict on a document's text. Image-only pages explain missing text better than the
/// generic rejections, so they take precedence: when they are the majority, or when the text
/// is too thin anyway.
fn assess(text: String, pages: usize, image_pages: usize) -> Result<Extracted, Rejection> {
    if image_pages * 2 > pages {
        return Err(Rejection::ImageOnly { pages: image_pages });
    }
    match judge(&text, pages) {
        Ok(quality) => Ok(Extracted { text, quality }),
        Err(Rejection::TooLittleText { .. }) if image_pages > 0 => Err(Rejection::ImageOnly { pages: image_pages }),
        Err(rejection) => Err(rejection),
    }
}

/// Runs `f`, turning a panic into its (shortened) message.
fn shielded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
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

/// Cleans extracted text.
///
/// - NFC-composes, and expands the ligatures U+FB00–U+FB06 (ff, fi, fl, ffi, ffl, ſt, st) by
///   their compatibility decomposition; other compatibility characters are kept;
/// - joins words hyphenated across a line end (`"exam-\nple is"` → `"example\nis"`) when the
///   next line starts with a lowercase letter; hyphens inside a line are kept;
/// - drops control characters other than `\n` and `\t`, private-use characters (U+E000–U+F8FF,
///   planes 15 and 16) and U+FFFD; drops soft hyphens inside lines;
/// - collapses runs of spaces, trims spaces at line ends, keeps at most two blank lines in a
///   row, and trims blank lines at both ends of the text.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line = String::new();
    let mut blank_lines = 0;
    for raw_line in text.split('\n') {
        clean_line(raw_line, &mut line);
        if line.is_empty() {
            blank_lines += 1;
        } else {
            push_line(&mut out, &line, blank_lines);
            blank_lines = 0;
        }
    }
    out
}

/// Writes the cleaned `raw` line into `line` (see [`normalize`]).
fn clean_line(raw: &str, line: &mut String) {
    line.clear();
    let mut pending_space = false;
    let mut trailing_soft_hyphen = false;
    for c in raw.nfc() {
        if c == ' ' {
            pending_space = true;
            continue;
        }
        if is_dropped(c) {
            continue;
        }
        trailing_soft_hyphen = c == '\u{AD}';
        if trailing_soft_hyphen {
            continue;
        }
        if pending_space && !line.is_empty() {
            line.push(' ');
        }
        pending_space = false;
        if ('\u{FB00}'..='\u{FB06}').contains(&c) {
            unicode_normalization::char::decompose_compatible(c, |part| line.push(part));
        } else {
            line.push(c);
        }
    }
    // A soft hyphen only shows (as a hyphen) where the line breaks.
    if trailing_soft_hyphen && !pending_space {
        line.push('-');
    }
}

fn is_dropped(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{F0000}'
}

/// Appends a non-empty cleaned line, joining a word hyphenated across the line break.
fn push_line(out: &mut String, line: &str, blank_lines: usize) {
    if out.is_empty() {
        out.push_str(line);
        return;
    }
    if blank_lines == 0 && ends_with_hyphenated_word(out) && line.starts_with(char::is_lowercase) {
        out.pop();
        // The rest of the word moves up; the line break moves to after it.
        match line.split_once(' ') {
            Some((word_end, rest)) => {
                out.push_str(word_end);
                out.push('\n');
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
        return;
    }
    // Keep at most two blank lines in a row.
    for _ in 0..=blank_lines.min(2) {
        out.push('\n');
    }
    out.push_str(line);
}

/// Whether `text` ends with a letter followed by a hyphen (U+002D or U+2010).
fn ends_with_hyphenated_word(text: &str) -> bool {
    let mut tail = text.chars().rev();
    matches!(tail.next(), Some('-' | '\u{2010}')) && tail.next().is_some_and(char::is_alphabetic)
}

/// Measures normalized `text` from a document of `pages` pages and rejects text that is not
/// worth summarizing.
///
/// In order: [`Rejection::TooLittleText`] below 400 non-whitespace characters in total or 200
/// per page; [`Rejection::Glued`] when tokens average more than 10 characters;
/// [`Rejection::Junk`] when fewer than 40% of the tokens look like words. The constants in this
/// module document how these thresholds relate to the fixture measurements.
pub fn judge(text: &str, pages: usize) -> Result<Quality, Rejection> {
    let quality = measure(text, pages);
    if quality.chars < MIN_CHARS || quality.chars_per_page < MIN_CHARS_PER_PAGE {
        return Err(Rejection::TooLittleText {
            chars: quality.chars,
            pages,
        });
    }
    if quality.mean_word_len > MAX_MEAN_WORD_LEN {
        return Err(Rejection::Glued);
    }
    if quality.wordlike_share < MIN_WORDLIKE_SHARE {
        return Err(Rejection::Junk(format!(
            "only {:.0}% of tokens look like words",
            quality.wordlike_share * 100.0
        )));
    }
    Ok(quality)
}

fn measure(text: &str, pages: usize) -> Quality {
    let (mut tokens, mut chars, mut wordlike) = (0usize, 0usize, 0usize);
    for token in text.split_whitespace() {
        tokens += 1;
        chars += token.chars().count();
        wordlike += usize::from(is_wordlike(token));
    }
    Quality {
        pages,
        chars,
        chars_per_page: chars as f64 / pages.max(1) as f64,
        mean_word_len: ratio(chars, tokens),
        wordlike_share: ratio(wordlike, tokens),
    }
}

/// `part / whole`, or 0 for an empty whole (keeps metrics finite, hence serializable).
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// A token that is a word once surrounding punctuation is stripped: letters, with hyphens or
/// apostrophes only between letters ("state-of-the-art", "don't").
fn is_wordlike(token: &str) -> bool {
    let core = token.trim_matches(|c: char| !c.is_alphanumeric());
    !core.is_empty()
        && core
            .split(['-', '\'', '’'])
            .all(|part| !part.is_empty() && part.chars().all(char::is_alphabetic))
}

fn non_whitespace_chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Word-level F1 of `candidate` against `reference`: both are [`normalize`]d, lowercased and
/// split on non-alphanumeric characters, then compared as bags of words. Two empty texts score 1.
pub fn word_f1(candidate: &str, reference: &str) -> f64 {
    let (candidate, reference) = (word_bag(candidate), word_bag(reference));
    let (candidate_total, reference_total): (usize, usize) = (candidate.values().sum(), reference.values().sum());
    if candidate_total == 0 && reference_total == 0 {
        return 1.0;
    }
    let overlap: usize = candidate
        .iter()
        .map(|(word, &count)| count.min(reference.get(word).copied().unwrap_or(0)))
        .sum();
    if overlap == 0 {
        return 0.0;
    }
    let precision = overlap as f64 / candidate_total as f64;
    let recall = overlap as f64 / reference_total as f64;
    2.0 * precision * recall / (precision + recall)
}

fn word_bag(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for word in normalize(text).to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() {
            *bag.entry(word.to_owned()).or_insert(0) += 1;
        }
    }
    bag
}

/// Extracts the PDF at `path` in a child process, `exe pdf-text --json --max-memory-mb N path`,
/// where `exe` is the project's own binary (its `pdf-text` subcommand calls [`run_child_main`]).
///
/// The child is killed when `limits.timeout` elapses ([`Rejection::Timeout`]) or when this future
/// is dropped. A child that dies by a signal (e.g. out of memory), cannot be started, or prints
/// no parseable report yields [`Rejection::Crashed`].
pub async fn extract_isolated(exe: &Path, path: &Path, limits: &Limits) -> Result<Extracted, Rejection> {
    let child = tokio::process::Command::new(exe)
        .arg("pdf-text")
        .arg("--json")
        .arg("--max-memory-mb")
        .arg(limits.max_memory_bytes.div_ceil(1 << 20).to_string())
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| Rejection::Crashed(short_detail(&format!("cannot start extractor: {error}"))))?;
    // On timeout the child is dropped along with the future, and kill_on_drop kills it.
    let output = tokio::time::timeout(limits.timeout, child.wait_with_output())
        .await
        .map_err(|_| Rejection::Timeout)?
        .map_err(|error| Rejection::Crashed(short_detail(&format!("waiting for extractor: {error}"))))?;
    if let Some(signal) = killing_signal(output.status) {
        return Err(Rejection::Crashed(format!("killed by signal {signal}")));
    }
    match parse_report(&output.stdout) {
        Some(ChildReport::Ok(extracted)) => Ok(extracted),
        Some(ChildReport::Rejected(rejection)) => Err(rejection),
        None => Err(Rejection::Crashed(no_report_reason(output.status, &output.stderr))),
    }
}

#[cfg(unix)]
fn killing_signal(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[cfg(not(unix))]
fn killing_signal(_status: ExitStatus) -> Option<i32> {
    None
}

/// The report is the last non-empty line, in case a library prints to stdout before it.
fn parse_report(stdout: &[u8]) -> Option<ChildReport> {
    let stdout = String::from_utf8_lossy(stdout);
    let line = stdout.lines().rev().find(|line| !line.trim().is_empty())?;
    serde_json::from_str(line).ok()
}

/// Exit status plus the last line of stderr, where a panic or abort message ends up.
fn no_report_reason(status: ExitStatus, stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    match stderr.lines().rev().find(|line| !line.trim().is_empty()) {
        Some(last) => short_detail(&format!("no report, {status}: {last}")),
        None => format!("no report, {status}"),
    }
}

/// Body of the child process started by [`extract_isolated`] (`refnet pdf-text`).
///
/// Limits its own address space to `max_memory_bytes` (`RLIMIT_AS`; 0 = no limit; failure to set
/// it is ignored), reads the file at `path` and runs [`extract_blocking`]. With `json`, prints
/// one line, `{"ok": Extracted}` or `{"rejected": Rejection}`, to stdout; without, prints the
/// text to stdout, or `rejected: <reason>` to stderr. A file that cannot be read is reported as
/// [`Rejection::Damaged`]. Returns the process exit code: 0 when text was extracted, 1 when it
/// was rejected.
///
/// Call it before starting threads or an async runtime: `RLIMIT_AS` counts reserved address
/// space, which every thread stack and malloc arena inflates.
pub fn run_child_main(path: &Path, max_memory_bytes: u64, json: bool) -> i32 {
    limit_address_space(max_memory_bytes);
    let result = std::fs::read(path)
        .map_err(|error| Rejection::Damaged(short_detail(&format!("cannot read file: {error}"))))
        .and_then(|bytes| extract_blocking(&bytes));
    let code = i32::from(result.is_err());
    // Write errors (a parent that went away) leave nothing to report to.
    let _ = if json {
        print_report(result)
    } else {
        print_plain(result)
    };
    code
}

fn print_report(result: Result<Extracted, Rejection>) -> std::io::Result<()> {
    let report = match result {
        Ok(extracted) => ChildReport::Ok(extracted),
        Err(rejection) => ChildReport::Rejected(rejection),
    };
    let line = serde_json::to_string(&report).map_err(std::io::Error::other)?;
    writeln!(std::io::stdout().lock(), "{line}")
}

fn print_plain(result: Result<Extracted, Rejection>) -> std::io::Result<()> {
    match result {
        Ok(extracted) => writeln!(std::io::stdout().lock(), "{}", extracted.text),
        Err(rejection) => writeln!(std::io::stderr().lock(), "rejected: {rejection}"),
    }
}

#[cfg(unix)]
fn limit_address_space(max_bytes: u64) {
    if max_bytes == 0 {
        return;
    }
    let bytes = libc::rlim_t::try_from(max_bytes).unwrap_or(libc::RLIM_INFINITY);
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit only reads the struct we pass; failure (e.g. a lower hard limit already
    // in place) leaves the current limits, which is acceptable.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &limit);
    }
}

#[cfg(not(unix))]
fn limit_address_space(_max_bytes: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{EncryptionState, EncryptionVersion, Permissions, Stream, dictionary};

    /// About 700 non-whitespace characters of prose: enough to pass `judge` on one page.
    const PROSE: [&str; 12] = [
        "Citation graphs connect every paper to the work it builds on,",
        "and reading that neighbourhood is how researchers find context.",
        "We crawl the graph around a seed paper and download the open",
        "access versions of its references and citations where they exist.",
        "Each document is converted to plain text and summarized so that",
        "the reader can decide quickly which papers deserve a closer look.",
        "Extraction has to cope with scanned pages, encrypted files and",
        "downloads that stopped halfway, without stopping the whole crawl.",
        "Text that is glued together or made of symbols is rejected early",
        "because a summary of garbage wastes time and misleads the reader.",
        "The quick brown fox jumps over the lazy dog near the river bank",
        "while the summarizer waits patiently for the next clean document.",
    ];

    fn prose() -> String {
        PROSE.join("\n")
    }

    /// A one-page document; `resources` may add objects (e.g. image streams) to the document.
    fn one_page_document(operations: Vec<Operation>, resources: impl FnOnce(&mut Document) -> Dictionary) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let content = Content { operations }.encode().expect("encode content");
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let resources = resources(&mut doc);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        let pages = dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 };
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        doc
    }

    /// A page showing [`PROSE`] in Helvetica, one line per `Tj`, or per `'` with `quote_lines`.
    fn text_document(quote_lines: bool) -> Document {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![72.into(), 770.into()]),
        ];
        for line in PROSE {
            let text = Object::string_literal(line);
            if quote_lines {
                operations.push(Operation::new("'", vec![text]));
            } else {
                operations.push(Operation::new("T*", vec![]));
                operations.push(Operation::new("Tj", vec![text]));
            }
        }
        operations.push(Operation::new("ET", vec![]));
        one_page_document(operations, |_| {
            let font = dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" };
            dictionary! { "Font" => dictionary! { "F1" => font } }
        })
    }

    /// A page that only paints a (1×1 grey) image XObject, like a scan without OCR.
    fn image_document() -> Document {
        let operations = vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![500.into(), 0.into(), 0.into(), 700.into(), 50.into(), 70.into()],
            ),
            Operation::new("Do", vec!["Im0".into()]),
            Operation::new("Q", vec![]),
        ];
        one_page_document(operations, |doc| {
            let image = Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Image",
                    "Width" => 1,
                    "Height" => 1,
                    "ColorSpace" => "DeviceGray",
                    "BitsPerComponent" => 8,
                },
                vec![128],
            );
            let image_id = doc.add_object(image);
            dictionary! { "XObject" => dictionary! { "Im0" => image_id } }
        })
    }

    fn save(mut doc: Document) -> Vec<u8> {
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).expect("save pdf");
        bytes
    }

    /// RC4 128-bit encryption, as in fixture 19, with the given user password.
    fn encrypted(mut doc: Document, user_password: &str) -> Vec<u8> {
        let id = Object::string_literal("0123456789abcdef");
        doc.trailer.set("ID", vec![id.clone(), id]);
        let version = EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: Permissions::all(),
        };
        let state = EncryptionState::try_from(version).expect("encryption state");
        doc.encrypt(&state).expect("encrypt");
        save(doc)
    }

    #[test]
    fn extracts_text_of_a_helvetica_page() {
        let extracted = extract_blocking(&save(text_document(false))).expect("text is accepted");
        assert!(
            extracted.text.contains("The quick brown fox jumps"),
            "{}",
            extracted.text
        );
        assert!(word_f1(&extracted.text, &prose()) > 0.95, "{}", extracted.text);
        assert_eq!(extracted.quality.pages, 1);
    }

    #[test]
    fn keeps_lines_shown_with_quote_operators() {
        let extracted = extract_blocking(&save(text_document(true))).expect("text is accepted");
        assert!(word_f1(&extracted.text, &prose()) > 0.95, "{}", extracted.text);
    }

    #[test]
    fn image_only_page_is_rejected_as_image_only() {
        assert_eq!(
            extract_blocking(&save(image_document())),
            Err(Rejection::ImageOnly { pages: 1 })
        );
    }

    #[test]
    fn bytes_without_pdf_header_are_not_pdf() {
        assert_eq!(extract_blocking(b""), Err(Rejection::NotPdf));
        assert_eq!(
            extract_blocking(b"<!DOCTYPE html><html>Access denied</html>"),
            Err(Rejection::NotPdf)
        );
        let mut late_header = vec![b' '; HEADER_WINDOW];
        late_header.extend(save(text_document(false)));
        assert_eq!(extract_blocking(&late_header), Err(Rejection::NotPdf));
    }

    #[test]
    fn header_after_a_little_junk_is_accepted() {
        let mut bytes = b"HTTP junk\n".to_vec();
        bytes.extend(save(text_document(false)));
        assert!(extract_blocking(&bytes).is_ok());
    }

    #[test]
    fn half_a_pdf_is_truncated() {
        let bytes = save(text_document(false));
        assert_eq!(extract_blocking(&bytes[..bytes.len() / 2]), Err(Rejection::Truncated));
    }

    #[test]
    fn unreadable_cross_reference_is_damaged() {
        let bytes = b"%PDF-1.5\n1 0 obj\n<< >>\nendobj\nstartxref\n999999\n%%EOF\n";
        assert!(matches!(extract_blocking(bytes), Err(Rejection::Damaged(_))));
    }

    #[test]
    fn extractor_panic_becomes_damaged() {
        // pdf-extract panics (`expect("MediaBox")`) on a page without a MediaBox.
        let mut doc = text_document(false);
        let page_id = *doc.get_pages().values().next().expect("one page");
        doc.get_dictionary_mut(page_id).expect("page").remove(b"MediaBox");
        match extract_blocking(&save(doc)) {
            Err(Rejection::Damaged(detail)) => assert!(detail.contains("panicked"), "{detail}"),
            other => panic!("expected Damaged, got {other:?}"),
        }
    }

    #[test]
    fn encrypted_with_a_user_password_is_rejected() {
        assert_eq!(
            extract_blocking(&encrypted(text_document(false), "secret")),
            Err(Rejection::Encrypted)
        );
    }

    #[test]
    fn encrypted_with_empty_user_password_is_decrypted() {
        let extracted = extract_blocking(&encrypted(text_document(false), "")).expect("decrypted");
        assert!(word_f1(&extracted.text, &prose()) > 0.95, "{}", extracted.text);
    }

    #[test]
    fn judge_accepts_prose() {
        let quality = judge(&prose(), 1).expect("prose is accepted");
        assert_eq!(quality.pages, 1);
        assert_eq!(quality.chars, prose().chars().filter(|c| !c.is_whitespace()).count());
        assert!((4.0..7.0).contains(&quality.mean_word_len), "{quality:?}");
        assert!(quality.wordlike_share > 0.9, "{quality:?}");
    }

    #[test]
    fn judge_rejects_glued_words() {
        assert_eq!(judge(&prose().replace(' ', ""), 1), Err(Rejection::Glued));
    }

    #[test]
    fn judge_rejects_too_little_text() {
        let chars = prose().chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(judge(&prose(), 10), Err(Rejection::TooLittleText { chars, pages: 10 }));
        assert_eq!(
            judge("Title only", 1),
            Err(Rejection::TooLittleText { chars: 9, pages: 1 })
        );
    }

    #[test]
    fn judge_rejects_symbol_soup() {
        let soup = "§¶ 12 %% #3 4.5 @@ ∑∂ (7) == +1 <> ".repeat(30);
        assert!(matches!(judge(&soup, 1), Err(Rejection::Junk(_))));
    }

    #[test]
    fn normalize_expands_ligatures() {
        assert_eq!(
            normalize("\u{FB01}nd \u{FB00} \u{FB02} \u{FB03} \u{FB04} \u{FB05} \u{FB06}"),
            "find ff fl ffi ffl st st"
        );
    }

    #[test]
    fn normalize_composes_accents() {
        assert_eq!(normalize("Moun\u{69}e\u{301}"), "Mouni\u{E9}");
    }

    #[test]
    fn normalize_joins_words_hyphenated_at_line_end() {
        assert_eq!(normalize("an exam-\nple of it\nnext"), "an example\nof it\nnext");
        assert_eq!(normalize("one exam-\nple"), "one example");
        assert_eq!(normalize("soft exam\u{AD}\nple here"), "soft example\nhere");
    }

    #[test]
    fn normalize_keeps_real_hyphens() {
        assert_eq!(normalize("a well-known fact"), "a well-known fact");
        assert_eq!(normalize("Smith-\nJones"), "Smith-\nJones");
        assert_eq!(normalize("pages 10-\n20"), "pages 10-\n20");
        assert_eq!(normalize("ends with exam-\n\nple"), "ends with exam-\n\nple");
        assert_eq!(normalize("mid\u{AD}word"), "midword");
    }

    #[test]
    fn normalize_drops_control_and_private_use_characters() {
        let dirty = "a\u{0}b\u{7}c\r\u{C}d\u{E000}e\u{F8FF}f\u{FFFD}g\u{F0000}h\u{10FFFD}i\tj";
        assert_eq!(normalize(dirty), "abcdefghi\tj");
    }

    #[test]
    fn normalize_collapses_spaces_and_blank_lines() {
        assert_eq!(normalize("\n\n  a   b  \n\n\n\n\n c\n \n d \n\n"), "a b\n\n\nc\n\nd");
    }

    #[test]
    fn word_f1_of_identical_texts_is_one() {
        assert_eq!(word_f1("The cat sat, on the mat.", "the CAT sat on\nthe mat"), 1.0);
        assert_eq!(word_f1("", ""), 1.0);
    }

    #[test]
    fn word_f1_of_disjoint_texts_is_zero() {
        assert_eq!(word_f1("alpha beta", "gamma delta"), 0.0);
        assert_eq!(word_f1("", "gamma delta"), 0.0);
    }

    #[test]
    fn word_f1_of_partial_overlap_counts_words_as_a_bag() {
        assert_eq!(word_f1("a b c d", "a b x y"), 0.5);
        // precision 2/3, recall 1: the repeated "a" only matches once.
        let f1 = word_f1("a a b", "a b");
        assert!((f1 - 0.8).abs() < 1e-12, "{f1}");
    }

    #[test]
    fn word_f1_sees_through_ligatures_and_hyphenation() {
        assert_eq!(word_f1("e\u{FB03}cient exam-\nple", "efficient example"), 1.0);
    }

    #[test]
    fn child_report_is_one_tagged_json_line() {
        let report = ChildReport::Rejected(Rejection::ImageOnly { pages: 2 });
        let line = serde_json::to_string(&report).expect("serialize");
        assert_eq!(line, r#"{"rejected":{"ImageOnly":{"pages":2}}}"#);
        let stdout = format!("library noise\n{line}\n\n");
        assert!(matches!(
            parse_report(stdout.as_bytes()),
            Some(ChildReport::Rejected(Rejection::ImageOnly { pages: 2 }))
        ));
        assert!(parse_report(b"{\"ok\": 3}\n").is_none());
        assert!(parse_report(b"").is_none());
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

    /// An executable shell script standing in for a misbehaving extractor.
    #[cfg(unix)]
    fn fake_extractor(script: &str) -> tempfile::TempPath {
        use std::os::unix::fs::PermissionsExt;
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        write!(file, "#!/bin/sh\n{script}\n").expect("write script");
        let path = file.into_temp_path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[cfg(unix)]
    async fn run_fake_extractor(script: &str) -> Result<Extracted, Rejection> {
        let exe = fake_extractor(script);
        let limits = Limits {
            timeout: Duration::from_secs(20),
            max_memory_bytes: 0,
        };
        extract_isolated(&exe, Path::new("paper.pdf"), &limits).await
    }

    /// One test rather than three: a script written while another test thread forks can be
    /// inherited open for writing, and exec then fails with "text file busy".
    #[cfg(unix)]
    #[tokio::test]
    async fn misbehaving_children_are_reported() {
        let killed = run_fake_extractor("kill -9 $$").await;
        assert_eq!(killed, Err(Rejection::Crashed("killed by signal 9".into())));

        let silent = run_fake_extractor("echo 'thread main panicked at oops' >&2; exit 101").await;
        match silent {
            Err(Rejection::Crashed(reason)) => {
                assert!(reason.contains("panicked at oops"), "{reason}")
            }
            other => panic!("expected Crashed, got {other:?}"),
        }

        let rejected = run_fake_extractor(r#"echo '{"rejected":"Encrypted"}'; exit 1"#).await;
        assert_eq!(rejected, Err(Rejection::Encrypted));
    }
}
