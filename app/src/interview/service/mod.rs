//! Interviews on the server: the bank in the database, profiles, planning and storing an
//! interview, answers with follow-ups and evaluation, reports and history. Every function
//! takes the caller's user id and only ever touches that user's records.
//!
//! One file per concern: `bank_sync`, `profile`, `start`, `reading`, `answering`, `results`.

mod answering;
mod bank_sync;
mod profile;
mod reading;
mod results;
mod start;

pub use answering::*;
pub use bank_sync::*;
pub use profile::*;
pub use reading::*;
pub use results::*;
pub use start::*;

/// The part of deleting an account that interview practice owns: interviews with their
/// questions and answers, the profile and the resume text.
pub const ERASE_USER: &str =
    "DELETE interview_item WHERE user = $user; DELETE interview WHERE user = $user;
     DELETE profile WHERE user = $user; DELETE resume WHERE user = $user;";

#[cfg(test)]
mod tests;
