//! Resume checks on PDFs made here with lopdf (text, image-only, password-protected),
//! decompression bombs, a ZIP and other non-PDFs; the extracting child's answers.

use std::io::Write;

use lopdf::{dictionary, Object, Stream};

use super::child::{answer_for, read_answer, Answer, MAX_ANSWER_BYTES};
use super::test_pdf::{bytes, pdf, RESUME};
use super::*;

#[test]
fn a_text_pdf_gives_its_text_and_skills() {
    let text = extract_blocking(&bytes(pdf(RESUME, true))).unwrap();
    assert!(text.contains("Backend Engineer"), "{text}");
    assert!(text.contains("PostgreSQL"), "{text}");
    let skills = crate::interview::skills::extract_skills(&text);
    for s in ["PostgreSQL", "Rust", "Kafka", "Kubernetes"] {
        assert!(
            skills.contains(&s.to_string()),
            "{s} missing from {skills:?}"
        );
    }
}

#[test]
fn an_image_only_pdf_is_called_a_scan() {
    assert_eq!(
        extract_blocking(&bytes(pdf(RESUME, false))),
        Err(ResumeError::NoText)
    );
}

#[test]
fn a_password_protected_pdf_is_refused_with_its_reason() {
    let mut doc = pdf(RESUME, true);
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::string_literal("0123456789abcdef"),
            Object::string_literal("0123456789abcdef"),
        ]),
    );
    let version = lopdf::EncryptionVersion::V1 {
        document: &doc,
        owner_password: "owner-secret",
        user_password: "user-secret",
        permissions: lopdf::Permissions::default(),
    };
    let state = lopdf::EncryptionState::try_from(version).unwrap();
    doc.encrypt(&state).unwrap();
    let b = bytes(doc);
    assert_eq!(extract_blocking(&b), Err(ResumeError::Encrypted));
}

#[test]
fn non_pdfs_are_recognised_by_content_not_name() {
    assert_eq!(check_bytes(b""), Err(ResumeError::Empty));
    assert_eq!(
        check_bytes(b"PK\x03\x04\x14\x00\x00\x00word/document.xml"),
        Err(ResumeError::Zip)
    );
    assert_eq!(
        check_bytes(b"\x89PNG\r\n\x1a\n...."),
        Err(ResumeError::NotPdf)
    );
    assert_eq!(
        check_bytes(b"Just some text pretending to be a resume.pdf"),
        Err(ResumeError::NotPdf)
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(MAX_RESUME_BYTES + 1, b' ');
    assert_eq!(
        check_bytes(&big),
        Err(ResumeError::TooLarge(MAX_RESUME_BYTES + 1))
    );
    assert!(ResumeError::TooLarge(1).to_string().contains("5 MB"));
}

#[test]
fn a_truncated_pdf_is_malformed_not_a_crash() {
    let b = bytes(pdf(RESUME, true));
    let cut = &b[..b.len() / 3];
    assert_eq!(extract_blocking(cut), Err(ResumeError::Malformed));
    assert_eq!(
        extract_blocking(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"),
        Err(ResumeError::Malformed)
    );
}

#[test]
fn a_decompression_bomb_is_stopped_before_parsing() {
    // 80 MB of zeros compresses to about 80 KB.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..80 {
        z.write_all(&zeros).unwrap();
    }
    let packed = z.finish().unwrap();
    assert!(packed.len() < MAX_RESUME_BYTES);
    let mut file = b"%PDF-1.5\n4 0 obj\n<< /Length ".to_vec();
    file.extend_from_slice(
        format!("{} /Filter /FlateDecode >>\nstream\n", packed.len()).as_bytes(),
    );
    file.extend_from_slice(&packed);
    file.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
    assert_eq!(check_unpacked_size(&file), Err(ResumeError::Bomb));
    assert_eq!(extract_blocking(&file), Err(ResumeError::Bomb));
    // An ordinary PDF's streams are counted and pass.
    let normal = bytes(pdf(RESUME, true));
    assert!(check_unpacked_size(&normal).unwrap() < MAX_UNPACKED_BYTES);
}

#[test]
fn text_is_tidied_and_capped() {
    assert_eq!(
        tidy_text("  Priya   Raman \n\n\n\nBackend\tengineer\u{7}\n"),
        "Priya Raman\n\nBackend engineer"
    );
    assert_eq!(
        tidy_text(&"a".repeat(MAX_TEXT_CHARS + 10)).len(),
        MAX_TEXT_CHARS
    );
}

#[tokio::test]
async fn extraction_runs_off_the_async_threads() {
    let text = extract(bytes(pdf(RESUME, true))).await.unwrap();
    assert!(text.contains("Finch Ltd"));
    assert_eq!(
        extract(b"not a pdf".to_vec()).await,
        Err(ResumeError::NotPdf)
    );
}

/// `n` MB of zeros, deflated (zlib).
fn zlib_zeros(mb: usize) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..mb {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// The resume PDF with one more stream, `content` under `filter` (a name or an array).
fn with_stream(filter: Object, content: Vec<u8>) -> Vec<u8> {
    let mut doc = pdf(RESUME, true);
    doc.add_object(
        Stream::new(dictionary! { "Filter" => filter }, content).with_compression(false),
    );
    bytes(doc)
}

#[test]
fn bombs_the_raw_scan_cannot_see_are_counted_as_lopdf_decodes_them() {
    let flate = || Object::Name(b"FlateDecode".to_vec());
    // Deflated twice: the outer layer (what the raw scan inflates) is small.
    let twice = with_stream(Object::Array(vec![flate(), flate()]), zlib(&zlib_zeros(80)));
    // A zlib header that does not start with 0x78: lopdf falls back to raw deflate after it.
    let mut junk_header = zlib_zeros(80);
    junk_header[..2].copy_from_slice(b"  ");
    let junk_header = with_stream(flate(), junk_header);
    for file in [twice, junk_header] {
        assert!(file.len() < 1024 * 1024);
        assert!(
            check_unpacked_size(&file).unwrap() < MAX_UNPACKED_BYTES,
            "the raw scan is not what stops these"
        );
        assert_eq!(extract_blocking(&file), Err(ResumeError::Bomb));
    }
    // An ordinary PDF's streams decode to little and pass.
    let normal = lopdf::Document::load_mem(&bytes(pdf(RESUME, true))).unwrap();
    assert!(check_decoded_size(&normal).unwrap() < 64 * 1024);
}

#[test]
fn the_childs_answer_reaches_the_server_as_it_was_given() {
    use std::os::unix::process::ExitStatusExt;
    let ok = std::process::ExitStatus::from_raw(0);
    let text = match answer_for(&bytes(pdf(RESUME, true))) {
        Answer::Text(t) => t,
        other => panic!("{other:?}"),
    };
    let json = serde_json::to_vec(&Answer::Text(text.clone())).unwrap();
    assert!(
        json.starts_with(br#"{"text":"Priya Raman"#),
        "{}",
        String::from_utf8_lossy(&json)
    );
    assert_eq!(read_answer(&json, ok), Ok(text));
    for e in [
        ResumeError::NoText,
        ResumeError::TooLarge(7),
        ResumeError::Bomb,
    ] {
        let json = serde_json::to_vec(&Answer::Error(e.clone())).unwrap();
        assert_eq!(read_answer(&json, ok), Err(e));
    }
    assert_eq!(
        serde_json::to_string(&answer_for(b"not a pdf")).unwrap(),
        r#"{"error":"NotPdf"}"#
    );
    // Killed by a signal (SIGABRT from a failed allocation, SIGXCPU, SIGKILL): too much to unpack.
    for signal in [6, 9, 24] {
        assert_eq!(
            read_answer(b"", std::process::ExitStatus::from_raw(signal)),
            Err(ResumeError::Bomb)
        );
    }
    // No usable answer: our fault, not the file's.
    assert_eq!(
        read_answer(b"", std::process::ExitStatus::from_raw(3 << 8)),
        Err(ResumeError::Failed)
    );
    assert_eq!(read_answer(b"{\"text\":", ok), Err(ResumeError::Failed));
}

#[test]
fn the_longest_text_fits_in_the_answer_the_server_reads() {
    let worst = tidy_text(&"\"\u{1F600}".repeat(MAX_TEXT_CHARS));
    let json = serde_json::to_vec(&Answer::Text(worst)).unwrap();
    assert!(
        json.len() as u64 <= MAX_ANSWER_BYTES,
        "{} > {MAX_ANSWER_BYTES}",
        json.len()
    );
}
