//! Named limits of voice answers and the types their server functions exchange.

use serde::{Deserialize, Serialize};

/// Segments are 16 kHz, mono, 16-bit PCM WAV.
pub const SEGMENT_RATE: u32 = 16_000;
/// Longest segment (the browser splits longer speech at a quiet point after 20 s).
pub const MAX_SEGMENT_SECS: f64 = 60.0;
/// Largest segment file: 60 s of audio plus room for the header.
pub const MAX_SEGMENT_BYTES: usize = 2 * SEGMENT_RATE as usize * 60 + 1024;
/// A segment file is its audio and little else: the rest (header, metadata chunks) may take
/// at most this share of the file or `MAX_SEGMENT_OVERHEAD` bytes, whichever is more. Only
/// the audio is stored; this stops uploads that are mostly padding.
pub const MIN_AUDIO_SHARE: f64 = 0.9;
pub const MAX_SEGMENT_OVERHEAD: usize = 1024;
/// Largest upload request (the segment and its form fields).
pub const UPLOAD_BODY_BYTES: usize = MAX_SEGMENT_BYTES + 8 * 1024;
/// Segments and seconds of speech one answer (or one follow-up answer) may hold.
pub const MAX_SEGMENTS_PER_ANSWER: u32 = 400;
pub const MAX_SPEECH_SECS_PER_ANSWER: f64 = 900.0;
/// Where the browser posts segments (multipart: interview, position, seq, start, end, audio).
pub const UPLOAD_PATH: &str = "/api/voice/segment";

/// Recordings kept by choice are deleted this many days after they were made, unless the
/// operator sets `--recording-retention-days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The longest retention an operator may set (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// Recordings not kept: the audio of an answer that is never handed in (an interview left
/// half-way) is deleted this long after it was recorded. Handed-in answers lose theirs at once.
pub const UNKEPT_AUDIO_SECS: i64 = 24 * 3600;
/// Where a kept recording plays from: `/recordings/{interview}/{position}/{part}`.
pub const RECORDING_PATH: &str = "/recordings";

/// Whether a person's recordings are kept, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingPolicy {
    pub keep: bool,
    pub retention_days: u32,
}

impl RecordingPolicy {
    /// What happens to a recording, in one sentence (the recorder and the settings say it).
    pub fn describe(&self) -> String {
        if self.keep {
            format!("Your recordings are kept for {} days so you can play them back in your reports, then deleted.", self.retention_days)
        } else {
            "Your recordings are deleted as soon as each answer is transcribed and scored; the transcript and speech figures stay.".to_string()
        }
    }

    /// Until when (s) a segment recorded at `now` keeps its audio at the latest.
    pub fn audio_until(&self, now: i64) -> i64 {
        if self.keep {
            now + self.retention_days as i64 * 86_400
        } else {
            now + UNKEPT_AUDIO_SECS
        }
    }

    /// Where the kept recording of one part of one question plays from.
    pub fn playback_url(interview: &str, position: u32, part: Part) -> String {
        format!("{RECORDING_PATH}/{interview}/{position}/{}", part.as_str())
    }
}

crate::slug_enum! {
    /// Which part of a question a recording answers.
    pub enum Part {
        Answer = "answer",
        FollowUp = "follow-up",
    }
}

crate::slug_enum! {
    /// Where one stored segment stands.
    pub enum SegmentStatus {
        /// Waiting for a transcription worker.
        Queued = "queued",
        /// A worker holds it (under a lease).
        Transcribing = "transcribing",
        Done = "done",
        /// Every attempt failed; the person types what they said.
        Failed = "failed",
        /// Kept without a transcriber: the person types what they said.
        Untranscribed = "untranscribed",
    }
}

crate::slug_enum! {
    /// Where a handed-in spoken answer stands.
    pub enum AnswerStatus {
        /// Waiting for its segments' transcripts.
        Transcribing = "transcribing",
        /// Being evaluated.
        Completing = "completing",
        /// The person must type (or correct) the transcript.
        NeedsTranscript = "needs-transcript",
        Done = "done",
        Failed = "failed",
    }
}

/// (ssr) A question of someone's interview: whose, which interview, which position.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug)]
pub struct Question<'a> {
    pub user: &'a str,
    pub interview: &'a str,
    pub position: u32,
}

/// (ssr) One uploaded speech segment: its number in the answer, its place on the recording's
/// timeline (s), and the WAV file.
#[cfg(feature = "ssr")]
pub struct Segment {
    pub seq: u32,
    pub start: f64,
    pub end: f64,
    pub wav: Vec<u8>,
}

/// The server's answer to an uploaded segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentAck {
    pub seq: u32,
    /// True when this segment had already arrived (nothing was stored twice).
    pub duplicate: bool,
}

/// One stored segment, as the recorder shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentView {
    pub seq: u32,
    pub start: f64,
    pub end: f64,
    pub status: SegmentStatus,
}

/// Where the spoken answer to the current question stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct VoiceStatus {
    /// Which part of the question the segments belong to (none: the question is answered).
    pub part: Option<Part>,
    pub segments: Vec<SegmentView>,
    /// The handed-in answer, if it was handed in.
    pub answer: Option<AnswerStatus>,
    /// Who transcribes (`None`: nobody; the person types what they said).
    pub transcriber: Option<String>,
    /// What was said so far (the segments transcribed, in order).
    pub transcript: String,
    pub error: Option<String>,
}

/// Speech analytics of a spoken answer, for the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct SpeechReport {
    pub speaking_secs: f64,
    pub words_per_minute: f64,
    /// Speech and pauses on the answer's timeline (s).
    pub segments: Vec<(f64, f64)>,
    pub pauses: Vec<(f64, f64)>,
    pub long_pauses: u32,
    pub longest_pause_secs: f64,
    pub total_pause_secs: f64,
    pub transcript: String,
    /// Fillers in `transcript`: byte ranges and their text.
    pub fillers: Vec<(usize, usize, String)>,
}
