//! What a resume upload is checked for before and while it is parsed: its size, what the
//! bytes are, and what its compressed streams unpack to (the decompression-bomb guards).
//! Needs only lopdf, flate2, serde and thiserror, so fuzz/ compiles this file as it is.

use std::io::Read;

/// Named limits of a resume upload.
pub const MAX_RESUME_BYTES: usize = 5 * 1024 * 1024;
/// What all of a PDF's compressed streams may unpack to, together.
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// Why a resume was refused. Crosses from the extracting child to the server as JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ResumeError {
    #[error("The file is empty. Choose your resume as a PDF file.")]
    Empty,
    #[error("The file is {0} bytes; the limit is 5 MB (5,242,880 bytes). Save a smaller PDF (without large images) and try again.")]
    TooLarge(usize),
    #[error("This file is a ZIP archive (perhaps a Word or OpenDocument file), not a PDF. Save or export your resume as PDF and upload that.")]
    Zip,
    #[error("This file is not a PDF. Save or export your resume as PDF and upload that.")]
    NotPdf,
    /// Its streams unpack past [`MAX_UNPACKED_BYTES`], or reading it ran out of the memory or
    /// CPU time the extracting process may use.
    #[error("This PDF unpacks to more than the 64 MB Viva reads for a resume; no resume needs that much, so it may be damaged or built to overload servers. Export your resume to PDF again (or print it to PDF) and upload that.")]
    Bomb,
    #[error("This PDF is protected by a password. Save an unprotected copy (print to PDF) and upload that.")]
    Encrypted,
    #[error("This PDF could not be read: it seems damaged. Export your resume to PDF again and upload that.")]
    Malformed,
    #[error("This PDF has no text we can read — it may be a scanned image. Export your resume from your word processor as PDF (with text), or type your skills into your profile.")]
    NoText,
    #[error("Reading this PDF took longer than 10 seconds. Export a simpler PDF and try again.")]
    TooSlow,
    /// Every extraction slot stayed taken for [`super::EXTRACTION_QUEUE_WAIT`].
    #[error("Viva is busy reading other resumes. Try again in a minute.")]
    Busy,
    /// The extracting process could not be run or gave no answer; the detail is logged.
    #[error(
        "Something went wrong on our side while reading this PDF. Please try again in a moment."
    )]
    Failed,
}

/// The checks that need no parsing: size and what the bytes are.
pub fn check_bytes(bytes: &[u8]) -> Result<(), ResumeError> {
    if bytes.is_empty() {
        return Err(ResumeError::Empty);
    }
    if bytes.len() > MAX_RESUME_BYTES {
        return Err(ResumeError::TooLarge(bytes.len()));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Err(ResumeError::Zip);
    }
    // The header may follow a little junk (the PDF spec tolerates up to 1 KB of it).
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(ResumeError::NotPdf);
    }
    Ok(())
}

/// Adds up what every zlib-compressed stream of the file unpacks to, stopping as soon as the
/// total passes [`MAX_UNPACKED_BYTES`]. Works on the raw bytes, before any PDF parser runs, so
/// a plain bomb is refused early; it sees only streams that start with a zlib header, one layer
/// deep. [`check_decoded_size`] counts the rest, and the child's limits bound everything.
pub fn check_unpacked_size(bytes: &[u8]) -> Result<u64, ResumeError> {
    let mut total: u64 = 0;
    let mut i = 0;
    while let Some(p) = find(&bytes[i..], b"stream") {
        let mut start = i + p + 6;
        // "endstream" also contains "stream": skip it.
        if i + p >= 3 && &bytes[i + p - 3..i + p] == b"end" {
            i = start;
            continue;
        }
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(&bytes[start..], b"endstream")
            .map(|e| start + e)
            .unwrap_or(bytes.len());
        let data = &bytes[start..end];
        if data.first() == Some(&0x78) {
            let budget = MAX_UNPACKED_BYTES - total;
            let mut dec = flate2::read::ZlibDecoder::new(data).take(budget + 1);
            let n = std::io::copy(&mut dec, &mut std::io::sink()).unwrap_or(0);
            total += n;
            if total > MAX_UNPACKED_BYTES {
                return Err(ResumeError::Bomb);
            }
        }
        i = end.max(start);
        if i >= bytes.len() {
            break;
        }
    }
    Ok(total)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Adds up what the document's filtered streams decode to through lopdf's own decoders (the
/// ones pdf-extract reads them with: Flate whatever its header, LZW, ASCII85, and any chain of
/// them), refusing as soon as the total passes [`MAX_UNPACKED_BYTES`]. Each stream is decoded
/// whole, so this runs only where memory is capped (the extracting child).
pub fn check_decoded_size(doc: &lopdf::Document) -> Result<u64, ResumeError> {
    let mut total: u64 = 0;
    for object in doc.objects.values() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        match stream.filters() {
            Ok(filters) if !filters.is_empty() => {}
            _ => continue,
        }
        // A filter lopdf can't decode (an image's DCT, say) is never unpacked by pdf-extract either.
        total += stream.decompressed_content().map_or(0, |d| d.len() as u64);
        if total > MAX_UNPACKED_BYTES {
            return Err(ResumeError::Bomb);
        }
    }
    Ok(total)
}

/// Checks the bytes ([`check_bytes`], [`check_unpacked_size`]), parses them with lopdf
/// (decrypting a file with an empty user password) and checks what its streams decode to
/// ([`check_decoded_size`]): everything [`super::extract_blocking`] does before pdf-extract
/// reads the text.
pub fn load(bytes: &[u8]) -> Result<lopdf::Document, ResumeError> {
    check_bytes(bytes)?;
    check_unpacked_size(bytes)?;
    let mut doc = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => ResumeError::Encrypted,
        _ => ResumeError::Malformed,
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(ResumeError::Encrypted);
    }
    check_decoded_size(&doc)?;
    Ok(doc)
}
