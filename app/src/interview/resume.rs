//! Resumes: a PDF checked by its content (not its name), guarded against decompression bombs,
//! its text extracted in pure Rust (pdf-extract on lopdf) on a blocking thread with a time
//! limit. Every refusal says what is wrong and what to do.

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
/// How long text extraction may take.
pub const PARSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Extracted text kept (the rest of a very long document is dropped).
pub const MAX_TEXT_CHARS: usize = 50_000;
/// Fewer letters and digits than this: the PDF is treated as a scan with no text layer.
pub const MIN_TEXT_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    #[error("The file is empty. Choose your resume as a PDF file.")]
    Empty,
    #[error("The file is {0} bytes; the limit is 5 MB (5,242,880 bytes). Save a smaller PDF (without large images) and try again.")]
    TooLarge(usize),
    #[error("This file is a ZIP archive (perhaps a Word or OpenDocument file), not a PDF. Save or export your resume as PDF and upload that.")]
    Zip,
    #[error("This file is not a PDF. Save or export your resume as PDF and upload that.")]
    NotPdf,
    #[error("This PDF unpacks to more than 64 MB, which no resume needs; it may be damaged or built to overload servers. Export your resume to PDF again and upload that.")]
    Bomb,
    #[error("This PDF is protected by a password. Save an unprotected copy (print to PDF) and upload that.")]
    Encrypted,
    #[error("This PDF could not be read: it seems damaged. Export your resume to PDF again and upload that.")]
    Malformed,
    #[error("This PDF has no text we can read — it may be a scanned image. Export your resume from your word processor as PDF (with text), or type your skills into your profile.")]
    NoText,
    #[error("Reading this PDF took longer than 10 seconds. Export a simpler PDF and try again.")]
    TooSlow,
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
/// total passes [`MAX_UNPACKED_BYTES`]. Works on the raw bytes, before any PDF parser runs.
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

/// Parses the PDF and returns its text, whitespace tidied. Blocking: call it on a blocking
/// thread (see [`extract`]).
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

/// [`extract_blocking`] on a blocking thread, within [`PARSE_TIMEOUT`]; a parser panic is a
/// malformed file, not a crash.
#[cfg(feature = "ssr")]
pub async fn extract(bytes: Vec<u8>) -> Result<String, ResumeError> {
    let job = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| extract_blocking(&bytes)).unwrap_or(Err(ResumeError::Malformed))
    });
    match tokio::time::timeout(PARSE_TIMEOUT, job).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(ResumeError::Malformed),
        Err(_) => Err(ResumeError::TooSlow),
    }
}

#[cfg(test)]
pub(crate) mod test_pdf;
#[cfg(test)]
mod tests;
