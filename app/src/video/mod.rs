//! Video answers: practising on camera. The camera preview and the recorder live in the
//! browser (`public/voice/recorder.js`, camera mode); the microphone still goes through the
//! voice pipeline (speech segments, transcripts, analytics). When the person chose to record
//! (per interview, at setup), each answer is recorded with MediaRecorder and uploaded in
//! chunks (`api::upload_video_chunk`), joined and made seekable when finished
//! (`container`), kept in the blob store for the retention period and played back to its
//! owner alone on the report. Owns `video_choice`, `video_recording` and `video_chunk`.

mod api;
pub mod container;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use pages::VideoReview;
