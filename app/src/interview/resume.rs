//! Resumes: a PDF checked by its content (not its name), its text extracted in pure Rust
//! (pdf-extract on lopdf). The parsing runs in a child process (`viva internal extract-pdf`,
//! see [`child`]) with its own memory and CPU limits, a deadline and a cap on how many run at
//! once, so a decompression bomb or a PDF that takes forever costs the server nothing it can't
//! spare. Every refusal says what is wrong and what to do.

use std::time::Duration;

/// The checks of a file before and while it is parsed: its own file, which needs nothing but
/// lopdf and flate2, so the fuzz targets (fuzz/) compile the very same code.
mod check;
pub use check::{
    check_bytes, check_decoded_size, check_unpacked_size, load, ResumeError, MAX_RESUME_BYTES,
    MAX_UNPACKED_BYTES,
};

// Named limits of a resume upload (its size limits are in check.rs, with the checks).
/// The server function that receives resumes, and the request size it may take (the file
/// plus the multipart envelope).
pub const UPLOAD_PATH: &str = "/api/interview/resume";
pub const UPLOAD_BODY_BYTES: usize = MAX_RESUME_BYTES + 64 * 1024;
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

/// Parses the PDF and returns its text, whitespace tidied. Blocking, and bounded only by the
/// process it runs in: the server calls it in the extracting child (see [`extract`]).
pub fn extract_blocking(bytes: &[u8]) -> Result<String, ResumeError> {
    drop(load(bytes)?);
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
/// blocking thread; the child is tested through the binary (server/tests/integration/resume.rs).
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
