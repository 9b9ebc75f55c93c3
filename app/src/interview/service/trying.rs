//! One question to try without an account: a bank question for a role, and its answer scored
//! by the embedded engine. Nothing of the visitor is stored: the question comes from the bank,
//! the answer is evaluated in memory and only sent back (the rate limits count the client's
//! address until their window ends).

use super::bank_sync::candidates;
use crate::db::Db;
use crate::feedback::evaluator::Evaluator;
use crate::feedback::{EvalRequest, Evaluation, Kind};
use crate::interview::types::QuestionToTry;
use crate::AppError;

/// The kinds a first question is drawn from: ones anybody can answer from experience.
const TRY_KINDS: [Kind; 2] = [Kind::Behavioural, Kind::Situational];

/// A question for `role` (its own or a general one), chosen by `pick` (a random number).
pub async fn try_question(db: &Db, role: &str, pick: u64) -> Result<QuestionToTry, AppError> {
    let role = if crate::interview::model::ROLES
        .iter()
        .any(|(s, _)| *s == role)
    {
        role
    } else {
        return Err(AppError::BadRequest(
            "Choose one of the roles in the list.".into(),
        ));
    };
    let mut qs: Vec<_> = candidates(db, role, &TRY_KINDS)
        .await?
        .into_iter()
        .filter(|q| q.difficulty <= 2)
        .collect();
    if qs.is_empty() {
        return Err(AppError::NotFound);
    }
    qs.sort_by(|a, b| a.id.cmp(&b.id));
    let q = qs.swap_remove((pick % qs.len() as u64) as usize);
    Ok(QuestionToTry {
        id: q.id,
        text: q.text,
        kind: q.kind,
    })
}

/// Scores `answer` to bank question `id` with the embedded engine (never a hosted one: the
/// visitor has agreed to nothing), and forgets it.
pub async fn try_answer(
    db: &Db,
    ev: &Evaluator,
    id: &str,
    answer: &str,
) -> Result<Evaluation, AppError> {
    let answer = super::super::validate::validate_answer(answer)?;
    let q = super::bank_sync::by_id(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ev
        .evaluate(
            &EvalRequest {
                question: q.text,
                kind: q.kind,
                key_points: q.key_points,
                answer,
                delivery: None,
            },
            false,
        )
        .await)
}
