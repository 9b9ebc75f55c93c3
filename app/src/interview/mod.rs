//! Interview practice: profile, question bank, planning an interview, running it question by
//! question with follow-ups, the report, and history with progress.

#[cfg(any(feature = "ssr", test))]
pub mod bank;
pub mod model;
#[cfg(any(feature = "ssr", test))]
pub mod plan;
pub mod skills;
pub mod types;
pub mod validate;
