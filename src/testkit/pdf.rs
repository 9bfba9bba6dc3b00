//! Small PDFs made on the spot (lopdf): text pages in Helvetica, and an image-only "scan".
//! The real-paper fixtures live in `../shared/fixtures/pdf`; these need nothing outside.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

/// Lines per page and characters per line of [`text_pdf`].
const LINES_PER_PAGE: usize = 48;
const CHARS_PER_LINE: usize = 90;

/// A PDF whose pages show `text`, wrapped at word boundaries.
pub fn text_pdf(text: &str) -> Vec<u8> {
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
                ops.push(Operation::new("T*", vec![]));
                ops.push(Operation::new("Tj", vec![Object::string_literal(line.as_str())]));
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

fn document(pages: Vec<Vec<Operation>>, resources: impl Fn(&mut Document) -> Dictionary) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let resources = resources(&mut doc);
    let resources_id = doc.add_object(resources);
    let mut kids = Vec::new();
    for operations in pages {
        let content = Content { operations }.encode().unwrap_or_default();
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
    let mut bytes = Vec::new();
    let _ = doc.save_to(&mut bytes);
    bytes
}
