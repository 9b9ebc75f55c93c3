//! Voice answers: the browser's detector sends only speech segments (16 kHz mono WAV) to
//! `api::upload_segment`; the server keeps them, transcribes them off the request path and,
//! once an answer is handed in and transcribed, hands the transcript and its speech analytics
//! to interview practice through [`AnswerDesk`] (voice never reads interview tables). Owns
//! `voice_segment`, `voice_answer` and `voice_setting` (whether a person keeps recordings).
//!
//! Shared: `model` (limits, what server fns take and return), `pages` (the recorder panel),
//! `api` (server fns). Server only: `service` (queries), `transcribe` (engines and workers),
//! `whisper` (embedded Whisper: model files, decoding) on `whisper_net` (the network).

mod api;

/// The IndexedDB database where the recorder keeps segments not yet delivered
/// (`public/voice/recorder.js`; the privacy notice lists it).
pub const QUEUE_DATABASE: &str = "viva-voice";
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod transcribe;
#[cfg(feature = "ssr")]
pub mod whisper;
#[cfg(feature = "ssr")]
mod whisper_net;

pub use api::*;
pub use pages::{SpeechView, VoiceRecorder};

#[cfg(feature = "ssr")]
pub use desk::{AnswerDesk, AnswerRef, BoxFuture, VoiceState};

#[cfg(feature = "ssr")]
mod desk {
    use std::sync::Arc;

    use super::model::Part;
    use crate::db::Db;
    use crate::feedback::DeliveryStats;
    use crate::AppError;

    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

    /// One part of one question of someone's interview: what a recording belongs to.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct AnswerRef {
        pub user: String,
        pub interview: String,
        pub position: u32,
        pub part: Part,
    }

    /// Questions and answers belong to interview practice, which sits above voice: it gives
    /// voice this desk (wired by the server crate) to ask which part of a question a recording
    /// answers and to hand a transcript in. Voice never reads interview tables itself.
    pub trait AnswerDesk: Send + Sync {
        /// The part of question `position` of `user`'s interview `interview` that is open for
        /// an answer: 404 when there is no such question of theirs, 400 when it is answered or
        /// the interview is finished.
        fn open_part<'a>(
            &'a self,
            db: &'a Db,
            user: &'a str,
            interview: &'a str,
            position: u32,
        ) -> BoxFuture<'a, Result<Part, AppError>>;

        /// The text as an answer would be stored (trimmed), or why it cannot be one.
        fn check_answer(&self, text: &str) -> Result<String, AppError>;

        /// Hands the transcript in as the answer, with what the audio told of its delivery.
        fn hand_in<'a>(
            &'a self,
            db: &'a Db,
            answer: &'a AnswerRef,
            text: &'a str,
            delivery: Option<DeliveryStats>,
            now: i64,
        ) -> BoxFuture<'a, Result<(), AppError>>;
    }

    /// What voice answers need from the server, provided as one Leptos context.
    #[derive(Clone)]
    pub struct VoiceState {
        /// Who transcribes spoken answers (possibly nobody).
        pub transcriber: Arc<super::transcribe::Transcriber>,
        /// Wakes the transcription workers when a segment arrives.
        pub wake: Arc<tokio::sync::Notify>,
        pub desk: Arc<dyn AnswerDesk>,
        /// Where recordings are kept.
        pub blobs: crate::blob::Blobs,
        /// Days a recording is kept when its owner keeps recordings (`--recording-retention-days`).
        pub retention_days: u32,
    }
}
