//! Answering, skipping and retrying a question.

use super::super::types::*;
use super::*;
use surrealdb::types::SurrealValue;

use crate::db::Db;
use crate::feedback::evaluator::Evaluator;
use crate::feedback::{engine, DeliveryStats, EvalRequest, Evaluation};
use crate::AppError;

/// Evaluates with the hosted engine only when the person allowed it (the first interview asks;
/// until they answer, their answers stay on this server).
pub(super) async fn evaluate(
    db: &Db,
    uid: &str,
    ev: &Evaluator,
    item: &ItemRow,
    answer: &str,
    delivery: Option<DeliveryStats>,
    now: i64,
) -> Evaluation {
    let allow = ev.hosted.is_some()
        && crate::billing::service::allows_hosted(&ev.payments, db, uid, now).await
        && matches!(
            crate::policy::service::choice(db, uid, crate::policy::ConsentKind::HostedAi).await,
            Ok(Some(true))
        );
    ev.evaluate(
        &EvalRequest {
            question: item.text.clone(),
            kind: item.kind,
            key_points: item.key_points.clone(),
            answer: answer.to_string(),
            delivery,
        },
        allow,
    )
    .await
}

/// The item the person may act on now, or a clear 400 when the interview is over or the
/// question is not the current one.
const FINISHED: &str = "This interview is finished. Start a new one to practise again.";
const ANSWERED: &str =
    "This question is already answered. Choose \"Try again\" to answer it afresh.";

/// Where question `position` of `uid`'s interview `id` stands while it can still be answered:
/// 404 when there is none of theirs, 400 when it is answered or the interview is finished. One
/// small read: voice asks it for every uploaded segment.
pub(crate) async fn open_status(
    db: &Db,
    uid: &str,
    id: &str,
    position: u32,
) -> Result<ItemStatus, AppError> {
    #[derive(Debug, SurrealValue)]
    struct Row {
        status: ItemStatus,
        interview_status: InterviewStatus,
    }
    check_id(id)?;
    let mut r = db
        .query(concat!(
            "SELECT status, interview.status AS interview_status FROM ONLY interview_item WHERE ",
            crate::of_interview!(),
            " AND position = $pos LIMIT 1"
        ))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .bind(("pos", position as i64))
        .await?
        .check()?;
    let row: Option<Row> = r.take(0)?;
    let row = row.ok_or(AppError::NotFound)?;
    if row.interview_status == InterviewStatus::Finished {
        return Err(AppError::BadRequest(FINISHED.into()));
    }
    if row.status.done() {
        return Err(AppError::BadRequest(ANSWERED.into()));
    }
    Ok(row.status)
}

pub(crate) async fn current_item(
    db: &Db,
    uid: &str,
    id: &str,
    position: u32,
) -> Result<ItemRow, AppError> {
    let (iv, items) = load(db, uid, id).await?;
    if iv.status == InterviewStatus::Finished {
        return Err(AppError::BadRequest(FINISHED.into()));
    }
    let item = items
        .into_iter()
        .find(|i| i.position == position as i64)
        .ok_or(AppError::NotFound)?;
    if item.status.done() {
        return Err(AppError::BadRequest(ANSWERED.into()));
    }
    Ok(item)
}

/// Stores an answer (or a follow-up's answer). A thin first answer gets one follow-up
/// question; otherwise the answer is evaluated. `delivery`: what the audio of a spoken
/// answer told us.
#[allow(clippy::too_many_arguments)]
pub async fn answer(
    db: &Db,
    ev: &Evaluator,
    uid: &str,
    id: &str,
    position: u32,
    text: &str,
    delivery: Option<DeliveryStats>,
    now: i64,
) -> Result<AnswerOutcome, AppError> {
    let text = super::super::validate::validate_answer(text)?;
    let item = current_item(db, uid, id, position).await?;
    let kind = item.kind;
    let status = item.status;
    if status == ItemStatus::Pending {
        if let Some(thin) = engine::thin_answer(kind, &text) {
            let question = engine::follow_up_question(thin, kind);
            update_item(
                db,
                uid,
                id,
                position,
                item.status,
                ItemStatus::FollowUp,
                Some(text),
                Some(question.clone()),
                None,
                None,
                None,
            )
            .await?;
            return Ok(AnswerOutcome::FollowUp(question));
        }
        let eval = evaluate(db, uid, ev, &item, &text, delivery.clone(), now).await;
        let score = eval.scores.overall;
        update_item(
            db,
            uid,
            id,
            position,
            item.status,
            ItemStatus::Answered,
            Some(text),
            None,
            None,
            Some(eval),
            Some(now),
        )
        .await?;
        Ok(AnswerOutcome::Evaluated(score))
    } else {
        // The answer to the follow-up: judged together with the first answer (and, when the
        // follow-up was typed after a spoken first answer, with that answer's delivery).
        let first = item.answer.clone().unwrap_or_default();
        let delivery = match delivery {
            Some(d) => Some(d),
            None => crate::voice::service::delivery_for(db, &spoken(uid, id, position)).await?,
        };
        let eval = evaluate(
            db,
            uid,
            ev,
            &item,
            &format!("{first}\n\n{text}"),
            delivery,
            now,
        )
        .await;
        let score = eval.scores.overall;
        update_item(
            db,
            uid,
            id,
            position,
            item.status,
            ItemStatus::Answered,
            Some(first),
            item.follow_up.clone(),
            Some(text),
            Some(eval),
            Some(now),
        )
        .await?;
        Ok(AnswerOutcome::Evaluated(score))
    }
}

/// Skips the current question; skipping a follow-up evaluates the first answer alone.
pub async fn skip(
    db: &Db,
    ev: &Evaluator,
    uid: &str,
    id: &str,
    position: u32,
    now: i64,
) -> Result<(), AppError> {
    let item = current_item(db, uid, id, position).await?;
    if item.status == ItemStatus::FollowUp {
        let first = item.answer.clone().unwrap_or_default();
        // A spoken first answer keeps its delivery score.
        let delivery = crate::voice::service::delivery_for(db, &spoken(uid, id, position)).await?;
        let eval = evaluate(db, uid, ev, &item, &first, delivery, now).await;
        update_item(
            db,
            uid,
            id,
            position,
            item.status,
            ItemStatus::Answered,
            Some(first),
            item.follow_up.clone(),
            None,
            Some(eval),
            Some(now),
        )
        .await
    } else {
        update_item(
            db,
            uid,
            id,
            position,
            item.status,
            ItemStatus::Skipped,
            None,
            None,
            None,
            None,
            Some(now),
        )
        .await
    }
}

/// The first (spoken) answer to question `position` of `uid`'s interview `id`.
pub(super) fn spoken(uid: &str, id: &str, position: u32) -> crate::voice::AnswerRef {
    crate::voice::AnswerRef {
        user: uid.to_string(),
        interview: id.to_string(),
        position,
        part: crate::voice::model::Part::Answer,
    }
}

/// Clears an answered or skipped question so it can be answered afresh.
pub async fn retry(db: &Db, uid: &str, id: &str, position: u32) -> Result<(), AppError> {
    let (iv, items) = load(db, uid, id).await?;
    if iv.status == InterviewStatus::Finished {
        return Err(AppError::BadRequest(
            "This interview is finished. Start a new one to practise again.".into(),
        ));
    }
    let item = items
        .into_iter()
        .find(|i| i.position == position as i64)
        .ok_or(AppError::NotFound)?;
    if !item.status.done() {
        return Err(AppError::BadRequest(
            "This question has not been answered yet.".into(),
        ));
    }
    // The earlier answer's recordings go with it (first: a new recording must not meet them).
    crate::voice::service::delete_for_item(db, uid, id, position).await?;
    crate::video::service::delete_for_item(db, uid, id, position).await?;
    db.query(
        concat!("UPDATE interview_item SET status = $pending, answer = NONE, follow_up = NONE, follow_up_answer = NONE, evaluation = NONE,
             answered_at = NONE, attempts = attempts + 1
         WHERE ", crate::of_interview!(), " AND position = $pos;"),
    )
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("pos", position as i64))
    .bind(("pending", ItemStatus::Pending))
    .await?
    .check()?;
    Ok(())
}

/// Writes an item's new state, only if it is still in the state it was read in (so two
/// tabs submitting at once cannot both win).
#[allow(clippy::too_many_arguments)]
pub(super) async fn update_item(
    db: &Db,
    uid: &str,
    id: &str,
    position: u32,
    was: ItemStatus,
    status: ItemStatus,
    answer: Option<String>,
    follow_up: Option<String>,
    follow_up_answer: Option<String>,
    eval: Option<Evaluation>,
    at: Option<i64>,
) -> Result<(), AppError> {
    let eval_json = eval
        .map(|e| crate::db::encode("evaluation", &e))
        .transpose()?;
    let mut r = db
        .query(
            concat!("UPDATE interview_item SET status = $status, answer = $answer, follow_up = $fu, follow_up_answer = $fua, evaluation = $eval,
                 answered_at = $at, attempts = IF $status = $answered THEN attempts + 1 ELSE attempts END
             WHERE ", crate::of_interview!(), " AND position = $pos AND status = $was
             RETURN VALUE position"),
        )
        .bind(("status", status))
        .bind(("answer", answer))
        .bind(("fu", follow_up))
        .bind(("fua", follow_up_answer))
        .bind(("eval", eval_json))
        .bind(("at", at))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .bind(("pos", position as i64))
        .bind(("was", was))
        .bind(("answered", ItemStatus::Answered))
        .await?
        .check()?;
    // Answers are also handed in by the transcription workers, not only by a request of the
    // person's: the pages' reads of them are forgotten here.
    crate::memo::forget(uid);
    let changed: Vec<i64> = r.take(0)?;
    if changed.is_empty() {
        return Err(AppError::BadRequest(
            "This question changed in another window. Reload the page to see where you are.".into(),
        ));
    }
    Ok(())
}
