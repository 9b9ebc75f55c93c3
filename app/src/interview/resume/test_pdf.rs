//! PDFs for tests, made with lopdf: text, or the same lines drawn as bars (a "scan").

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

/// A one-page PDF; each line is drawn as text (or, with `text = false`, as a grey bar).
pub fn pdf(lines: &[&str], text: bool) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut ops = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let y = 750 - 18 * i as i64;
        if text {
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("Tf", vec!["F1".into(), 11.into()]));
            ops.push(Operation::new("Td", vec![60.into(), y.into()]));
            ops.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
            ops.push(Operation::new("ET", vec![]));
        } else {
            ops.push(Operation::new(
                "re",
                vec![
                    60.into(),
                    y.into(),
                    (line.len() as i64 * 5).into(),
                    10.into(),
                ],
            ));
            ops.push(Operation::new("f", vec![]));
        }
    }
    let content = Content { operations: ops };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(
        dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content_id },
    );
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! {
        "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1, "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    }));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc
}

pub fn bytes(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

pub const RESUME: &[&str] = &[
    "Priya Raman - Backend Engineer",
    "Experience: 6 years building payment APIs in Rust and Python at Finch Ltd.",
    "Skills: PostgreSQL, Kafka, Docker, Kubernetes, AWS, system design.",
    "Led the migration of the ledger service to PostgreSQL, cutting p99 latency by 40%.",
];
