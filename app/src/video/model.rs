//! Named limits of video answers and the types their server functions exchange.

use serde::{Deserialize, Serialize};

pub use crate::voice::model::Part;

/// Largest chunk the browser sends (it records in 1-second slices of well under 1 MB; the
/// first slice carries the file's header too).
pub const MAX_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Largest chunk upload request (the chunk and its form fields).
pub const CHUNK_BODY_BYTES: usize = MAX_CHUNK_BYTES + 8 * 1024;
/// Chunks one recording may have (1-second slices: a quarter of an hour, and room to spare).
pub const MAX_CHUNKS: u32 = 1800;
/// Longest video answer, as long as the longest spoken answer.
pub const MAX_SECS: f64 = crate::voice::model::MAX_SPEECH_SECS_PER_ANSWER;
/// Most bytes one video answer may hold (15 minutes at the recorder's ~0.7 Mbit/s is ~80 MB).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// A take's name: the browser picks it when recording starts (letters, digits, '-').
pub const MAX_TAKE_CHARS: usize = 40;
/// A recording never finished (the page was closed for good) goes after this long.
pub const ABANDONED_SECS: i64 = 24 * 3600;
/// Where the browser posts chunks (multipart: interview, position, part, take, seq, chunk).
pub const CHUNK_PATH: &str = "/api/video/chunk";
/// Where a finished recording plays from: `/videos/{interview}/{position}/{part}`.
pub const PLAYBACK_PATH: &str = "/videos";

/// Where a finished recording plays from.
pub fn playback_url(interview: &str, position: u32, part: Part) -> String {
    format!("{PLAYBACK_PATH}/{interview}/{position}/{}", part.as_str())
}

crate::slug_enum! {
    /// Where one video recording stands.
    pub enum VideoStatus {
        /// Chunks are arriving.
        Uploading = "uploading",
        /// Being joined and made seekable.
        Processing = "processing",
        Ready = "ready",
        /// Refused when finished (cut short, not a video…); the message says why.
        Failed = "failed",
    }
}

/// The server's answer to an uploaded chunk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkAck {
    pub seq: u32,
    /// True when this chunk had already arrived (nothing was stored twice).
    pub duplicate: bool,
    /// Chunks and bytes of this take stored so far.
    pub chunks: u32,
    pub bytes: u64,
}

/// One video recording, as the recorder and the report show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VideoView {
    pub position: u32,
    pub part: Part,
    pub status: VideoStatus,
    pub chunks: u32,
    pub bytes: u64,
    pub duration_secs: Option<f64>,
    /// "video/webm" or "video/mp4" once the first chunk arrived.
    pub mime: Option<String>,
    pub error: Option<String>,
    /// Until when (s) it is kept.
    pub keep_until: i64,
}

/// Whether a take name is one the browser would pick.
pub fn take_ok(take: &str) -> bool {
    !take.is_empty()
        && take.len() <= MAX_TAKE_CHARS
        && take.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_are_short_plain_names() {
        assert!(take_ok("k3j-20261202"));
        assert!(!take_ok(""));
        assert!(!take_ok("../etc"));
        assert!(!take_ok(&"a".repeat(MAX_TAKE_CHARS + 1)));
        assert_eq!(
            playback_url("abc", 2, Part::FollowUp),
            "/videos/abc/2/follow-up"
        );
    }
}
