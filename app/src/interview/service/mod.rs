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

/// The part of a person's data export that interview practice owns: the profile, the resume
/// text, every interview with its questions, answers, scores and feedback.
pub const EXPORT_USER: &[(&str, &str)] = &[
    ("profile", "(SELECT background, target_roles, target_companies, skills, updated_at FROM ONLY type::record('profile', $uid))"),
    ("resume", "(SELECT file_name, bytes, text, skills, uploaded_at FROM ONLY type::record('resume', $uid))"),
    ("interviews", "(SELECT record::id(id) AS id, role, kinds, difficulty, company, job_description, mode, timer_secs, focus,
        status, question_count, created_at, finished_at, scores,
        (SELECT position, text, kind, competencies, status, answer, follow_up, follow_up_answer, attempts, evaluation, answered_at
            FROM interview_item WHERE interview = $parent.id ORDER BY position) AS questions
        FROM interview WHERE user = $user ORDER BY created_at)"),
];

#[cfg(test)]
mod tests;
