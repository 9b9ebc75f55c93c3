//! Voice answers: the browser's detector sends only speech segments (16 kHz mono WAV) to
//! `api::upload_segment`; the server keeps them, transcribes them off the request path and,
//! once an answer is handed in and transcribed, evaluates it with its speech analytics.
//!
//! Shared: `model` (limits, what server fns take and return), `pages` (the recorder panel),
//! `api` (server fns). Server only: `service` (queries), `transcribe` (engines and workers),
//! `whisper` (embedded Whisper: model files, decoding) on `whisper_net` (the network).

mod api;
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
