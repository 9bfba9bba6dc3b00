//! Small PDFs made on the spot (lopdf): text pages in Helvetica, an image-only "scan", and
//! encrypted copies. The real-paper fixtures live in `../shared/fixtures/pdf`; these need
//! nothing outside.
//!
//! One builder serves the integration tests, which want bytes ([`text_pdf`], [`image_pdf`]),
//! and the unit tests of `summarize::pdf`, which want the [`Document`] to damage or encrypt
//! before saving it ([`lines_document`], [`image_document`], [`save`], [`encrypted_pdf`]).

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream, dictionary};

/// Lines per page and characters per line of [`text_pdf`].
const LINES_PER_PAGE: usize = 48;
const CHARS_PER_LINE: usize = 90;

/// How [`lines_document`] shows each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowLine {
    /// `T*` (next line), then `Tj` (show text): what most generators write.
    NextLineThenTj,
    /// `'` (next line and show text), which Ghostscript and a2ps use for most lines.
    Quote,
}

/// A PDF whose pages show `text`, wrapped at word boundaries; paragraphs are separated by a
/// blank line.
pub fn text_pdf(text: &str) -> Vec<u8> {
    save(lines_document(&wrap(text), ShowLine::NextLineThenTj))
}

/// A document whose pages show `lines` as they are, 48 to a page, in 10-point Helvetica.
pub fn lines_document(lines: &[impl AsRef<str>], show: ShowLine) -> Document {
    let pages: Vec<Vec<Operation>> = lines
        .chunks(LINES_PER_PAGE)
        .map(|page| {
            let mut ops = vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 10.into()]),
                Operation::new("TL", vec![14.into()]),
                Operation::new("Td", vec![50.into(), 790.into()]),
            ];
            for line in page {
                let text = Object::string_literal(line.as_ref());
                match show {
                    ShowLine::NextLineThenTj => {
                        ops.push(Operation::new("T*", vec![]));
                        ops.push(Operation::new("Tj", vec![text]));
                    }
                    ShowLine::Quote => ops.push(Operation::new("'", vec![text])),
                }
            }
            ops.push(Operation::new("ET", vec![]));
            ops
        })
        .collect();
    document(pages, |_| {
        let font = dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" };
        dictionary! { "Font" => dictionary! { "F1" => font } }
    })
}

/// A one-page PDF that only paints an image, like a scan without a text layer.
pub fn image_pdf() -> Vec<u8> {
    save(image_document())
}

/// The document of [`image_pdf`]: one page that paints a 1×1 grey image XObject.
pub fn image_document() -> Document {
    let ops = vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![500.into(), 0.into(), 0.into(), 700.into(), 50.into(), 70.into()],
        ),
        Operation::new("Do", vec!["Im0".into()]),
        Operation::new("Q", vec![]),
    ];
    document(vec![ops], |doc| {
        let image = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
            },
            vec![128],
        );
        let id = doc.add_object(image);
        dictionary! { "XObject" => dictionary! { "Im0" => id } }
    })
}

/// The bytes of `doc`.
pub fn save(mut doc: Document) -> Vec<u8> {
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("saving a PDF to memory");
    bytes
}

/// The bytes of `doc` encrypted with RC4, 128-bit (as real fixture 19 is), opened by
/// `user_password`; an empty password opens it without asking.
pub fn encrypted_pdf(mut doc: Document, user_password: &str) -> Vec<u8> {
    let id = Object::string_literal("0123456789abcdef");
    doc.trailer.set("ID", vec![id.clone(), id]);
    let version = EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version).expect("RC4 encryption state");
    doc.encrypt(&state).expect("encrypting a PDF");
    save(doc)
}

/// `text` cut into lines of at most [`CHARS_PER_LINE`] characters at word boundaries, with an
/// empty line after each paragraph.
fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if line.len() + word.len() + 1 > CHARS_PER_LINE && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
        lines.push(String::new());
    }
    lines
}

/// A document of one page per entry of `pages` (its content operations) and the same
/// `resources` on every page; `resources` may add objects (e.g. image streams) to the document.
fn document(pages: Vec<Vec<Operation>>, resources: impl FnOnce(&mut Document) -> Dictionary) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let resources = resources(&mut doc);
    let resources_id = doc.add_object(resources);
    let mut kids = Vec::new();
    for operations in pages {
        let content = Content { operations }.encode().expect("encoding page content");
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc
}
