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
mod trying;

pub use answering::*;
pub use bank_sync::*;
pub use profile::*;
pub use reading::*;
pub use results::*;
pub use start::*;
pub use trying::*;

use surrealdb::types::SurrealValue;

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

/// For the operator's insights: interviews started or finished since `since`.
#[derive(Debug, Clone, SurrealValue)]
pub struct InterviewActivity {
    pub uid: String,
    pub at: i64,
    pub finished_at: Option<i64>,
    pub mode: String,
    pub role: String,
    pub score: Option<i64>,
}

/// For the operator's insights: answers given since `since`, with their length in words.
#[derive(Debug, Clone, SurrealValue)]
pub struct AnswerActivity {
    pub uid: String,
    pub at: i64,
    pub words: i64,
}

/// The interviews and answers since `since`, for aggregate counts only.
pub async fn activity_since(
    db: &crate::db::Db,
    since: i64,
) -> Result<(Vec<InterviewActivity>, Vec<AnswerActivity>), crate::AppError> {
    let mut r = db
        .query(
            "SELECT record::id(user) AS uid, created_at AS at, finished_at, mode, role, scores.overall AS score
                FROM interview WHERE created_at >= $since OR finished_at >= $since;
             SELECT record::id(user) AS uid, answered_at AS at, array::len(string::words(answer ?? '')) AS words
                FROM interview_item WHERE answered_at >= $since;",
        )
        .bind(("since", since))
        .await?
        .check()?;
    Ok((r.take(0)?, r.take(1)?))
}
