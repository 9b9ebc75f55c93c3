//! Resumes: a PDF checked by its content (not its name), its text extracted in pure Rust
//! (pdf-extract on lopdf). The parsing runs in a child process (`viva internal extract-pdf`,
//! see [`child`]) with its own memory and CPU limits, a deadline and a cap on how many run at
//! once, so a decompression bomb or a PDF that takes forever costs the server nothing it can't
//! spare. Every refusal says what is wrong and what to do.

use std::io::Read;
use std::time::Duration;

/// Named limits of a resume upload.
pub const MAX_RESUME_BYTES: usize = 5 * 1024 * 1024;
/// The server function that receives resumes, and the request size it may take (the file
/// plus the multipart envelope).
pub const UPLOAD_PATH: &str = "/api/interview/resume";
pub const UPLOAD_BODY_BYTES: usize = MAX_RESUME_BYTES + 64 * 1024;
/// What all of a PDF's compressed streams may unpack to, together.
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// How long text extraction may take; then its process is killed.
pub const PARSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Extractions running at once (each may use up to [`child::MAX_CHILD_MEMORY`]), and how
/// long an upload waits for a turn before it is told to try again.
pub const MAX_CONCURRENT_EXTRACTIONS: usize = 2;
pub const EXTRACTION_QUEUE_WAIT: Duration = Duration::from_secs(5);
/// What a busy server asks the uploader to wait, in seconds.
pub const BUSY_RETRY_SECS: u64 = 60;
/// Extracted text kept (the rest of a very long document is dropped).
pub const MAX_TEXT_CHARS: usize = 50_000;
/// Fewer letters and digits than this: the PDF is treated as a scan with no text layer.
pub const MIN_TEXT_CHARS: usize = 80;

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
    /// Every extraction slot stayed taken for [`EXTRACTION_QUEUE_WAIT`].
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

/// Parses the PDF and returns its text, whitespace tidied. Blocking, and bounded only by the
/// process it runs in: the server calls it in the extracting child (see [`extract`]).
pub fn extract_blocking(bytes: &[u8]) -> Result<String, ResumeError> {
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
    drop(doc);
    let text = pdf_extract::extract_text_from_mem(bytes).map_err(|_| ResumeError::Malformed)?;
    let tidy = tidy_text(&text);
    if tidy.chars().filter(|c| c.is_alphanumeric()).count() < MIN_TEXT_CHARS {
        return Err(ResumeError::NoText);
    }
    Ok(tidy)
}

/// Collapses runs of spaces, keeps paragraph breaks, drops control characters, and cuts the
/// text at [`MAX_TEXT_CHARS`].
pub fn tidy_text(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let l: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let l: String = l.chars().filter(|c| !c.is_control()).collect();
        if l.is_empty() {
            if !out.ends_with("\n\n") && !out.is_empty() {
                out.push('\n');
            }
        } else {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out.trim().chars().take(MAX_TEXT_CHARS).collect()
}

/// Extraction slots; see [`MAX_CONCURRENT_EXTRACTIONS`].
static EXTRACTIONS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(MAX_CONCURRENT_EXTRACTIONS);

/// The text of a resume PDF: checked here, then read by [`extract_blocking`] in a child process
/// with capped memory and CPU, killed at [`PARSE_TIMEOUT`]; at most
/// [`MAX_CONCURRENT_EXTRACTIONS`] at once, and [`ResumeError::Busy`] after waiting
/// [`EXTRACTION_QUEUE_WAIT`] for a turn.
pub async fn extract(bytes: Vec<u8>) -> Result<String, ResumeError> {
    check_bytes(&bytes)?;
    let Ok(Ok(_turn)) = tokio::time::timeout(EXTRACTION_QUEUE_WAIT, EXTRACTIONS.acquire()).await
    else {
        return Err(ResumeError::Busy);
    };
    run(bytes).await
}

#[cfg(not(test))]
async fn run(bytes: Vec<u8>) -> Result<String, ResumeError> {
    child::run(bytes, PARSE_TIMEOUT).await
}

/// This crate's unit tests have no `viva` binary to start, so there the same work runs on a
/// blocking thread; the child is tested through the binary (server/tests/resume.rs).
#[cfg(test)]
async fn run(bytes: Vec<u8>) -> Result<String, ResumeError> {
    let job = tokio::task::spawn_blocking(move || child::answer_for(&bytes));
    match tokio::time::timeout(PARSE_TIMEOUT, job).await {
        Ok(Ok(child::Answer::Text(text))) => Ok(text),
        Ok(Ok(child::Answer::Error(e))) => Err(e),
        Ok(Err(_)) => Err(ResumeError::Malformed),
        Err(_) => Err(ResumeError::TooSlow),
    }
}

pub mod child;

#[cfg(test)]
pub(crate) mod test_pdf;
#[cfg(test)]
mod tests;
