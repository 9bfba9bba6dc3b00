//! Loading a PDF with lopdf, and the workarounds that make lopdf and pdf-extract cope with
//! real-world files: the header and `%%EOF` sniffing that tells "not a PDF" and "cut short"
//! apart from other damage, decryption with the empty user password, the rewrite of the `'` and
//! `"` text operators, page-by-page extraction shielded against panics, and the image test
//! that tells scans apart.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId};
use pdf_extract::PlainTextOutput;

use super::{Rejection, shielded, short_detail};

/// How far into the file the `%PDF-` header may start: readers (and lopdf) tolerate leading junk
/// such as an HTTP preamble, and 1024 bytes is the limit Acrobat documents for it.
const HEADER_WINDOW: usize = 1024;

/// How far from the end `%%EOF` is looked for. lopdf itself only searches the last 512 bytes; a
/// larger window keeps trailing junk after a complete file from being mistaken for truncation.
const EOF_WINDOW: usize = 1024;

/// Form XObjects can nest; scanners wrap the page image in at most one or two of them.
const MAX_FORM_DEPTH: usize = 4;

/// Page trees are shallow (a handful of levels even for thousands of pages); the bound only
/// protects against `/Parent` cycles.
const MAX_PAGE_TREE_DEPTH: usize = 32;

/// Text of one page, or why pdf-extract could not read it.
pub(super) type PageText = Result<String, String>;

pub(super) fn has_pdf_header(bytes: &[u8]) -> bool {
    contains(&bytes[..bytes.len().min(HEADER_WINDOW)], b"%PDF-")
}

fn has_eof_marker(bytes: &[u8]) -> bool {
    contains(&bytes[bytes.len().saturating_sub(EOF_WINDOW)..], b"%%EOF")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Loads the document and makes sure it is decrypted.
pub(super) fn load_document(bytes: &[u8]) -> Result<Document, Rejection> {
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
pub(super) fn expand_quote_operators(doc: &mut Document) {
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
pub(super) fn read_page(doc: &Document, number: u32) -> PageText {
    let extract = || {
        let mut text = String::new();
        pdf_extract::output_doc_page(doc, &mut PlainTextOutput::new(&mut text), number)
            .map(|()| text)
            .map_err(|error| format!("page {number}: {}", short_detail(&error.to_string())))
    };
    shielded(extract).unwrap_or_else(|panic| Err(format!("page {number}: extractor panicked: {panic}")))
}

/// Whether the page shows an image XObject (directly or inside a Form XObject) or an inline image.
pub(super) fn page_has_image(doc: &Document, page_id: ObjectId) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::pdf::extract_blocking;
    use crate::testkit::pdf::{ShowLine, encrypted_pdf, lines_document, save};
    use crate::testkit::text::{PROSE, prose, word_f1};

    /// One page of [`PROSE`], each line shown with `T*` and `Tj`.
    fn prose_document() -> Document {
        lines_document(&PROSE, ShowLine::NextLineThenTj)
    }

    #[test]
    fn keeps_lines_shown_with_quote_operators() {
        let pdf = save(lines_document(&PROSE, ShowLine::Quote));
        let extracted = extract_blocking(&pdf).expect("text is accepted");
        assert!(word_f1(&extracted.text, &prose()) > 0.95, "{}", extracted.text);
    }

    #[test]
    fn bytes_without_pdf_header_are_not_pdf() {
        assert_eq!(extract_blocking(b""), Err(Rejection::NotPdf));
        assert_eq!(
            extract_blocking(b"<!DOCTYPE html><html>Access denied</html>"),
            Err(Rejection::NotPdf)
        );
        let mut late_header = vec![b' '; HEADER_WINDOW];
        late_header.extend(save(prose_document()));
        assert_eq!(extract_blocking(&late_header), Err(Rejection::NotPdf));
    }

    #[test]
    fn header_after_a_little_junk_is_accepted() {
        let mut bytes = b"HTTP junk\n".to_vec();
        bytes.extend(save(prose_document()));
        assert!(extract_blocking(&bytes).is_ok());
    }

    #[test]
    fn half_a_pdf_is_truncated() {
        let bytes = save(prose_document());
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
        let mut doc = prose_document();
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
            extract_blocking(&encrypted_pdf(prose_document(), "secret")),
            Err(Rejection::Encrypted)
        );
    }

    #[test]
    fn encrypted_with_empty_user_password_is_decrypted() {
        let extracted = extract_blocking(&encrypted_pdf(prose_document(), "")).expect("decrypted");
        assert!(word_f1(&extracted.text, &prose()) > 0.95, "{}", extracted.text);
    }
}
