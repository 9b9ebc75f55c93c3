//! Interview practice: profile, question bank, planning an interview, running it question by
//! question with follow-ups, the report, and history with progress.
//!
//! Shared by browser and server: `model` (roles, kinds, limits), `types` (what server fns
//! take and return), `validate`, `skills`, the pages and `api` (server fns). Server only:
//! `bank` (the embedded data files), `plan` (choosing questions), `service` (queries, one file
//! per concern), `resume` and `desk` (the answer desk voice answers are handed in at). Owns
//! `question`, `bank_state`, `profile`, `resume`, `interview` and `interview_item`.

mod api;
#[cfg(any(feature = "ssr", test))]
pub mod bank;
#[cfg(feature = "ssr")]
pub mod desk;
pub mod model;
mod pages;
#[cfg(any(feature = "ssr", test))]
pub mod plan;
#[cfg(feature = "ssr")]
pub mod resume;
#[cfg(feature = "ssr")]
pub mod service;
pub mod skills;
pub mod types;
pub mod validate;

pub use api::*;
pub use pages::{
    HistoryPage, InterviewPage, PracticePage, ProfilePage, ReportPage, TriedAnswerOffer, TryLive,
    TryLoader, TryPanel, TRIED_ANSWER_KEY,
};
