//! (ssr) The answer desk interview practice gives voice answers (see `voice::AnswerDesk`):
//! which part of a question is open, and handing a transcript in as the answer.

use std::sync::Arc;

use crate::db::Db;
use crate::feedback::{evaluator::Evaluator, DeliveryStats};
use crate::voice::{model::Part, AnswerDesk, AnswerRef, BoxFuture};
use crate::AppError;

use super::types::ItemStatus;

pub struct Desk {
    pub evaluator: Arc<Evaluator>,
}

impl AnswerDesk for Desk {
    fn open_part<'a>(
        &'a self,
        db: &'a Db,
        user: &'a str,
        interview: &'a str,
        position: u32,
    ) -> BoxFuture<'a, Result<Part, AppError>> {
        Box::pin(async move {
            let status = super::service::open_status(db, user, interview, position).await?;
            Ok(match status {
                ItemStatus::FollowUp => Part::FollowUp,
                _ => Part::Answer,
            })
        })
    }

    fn check_answer(&self, text: &str) -> Result<String, AppError> {
        super::validate::validate_answer(text)
    }

    fn hand_in<'a>(
        &'a self,
        db: &'a Db,
        answer: &'a AnswerRef,
        text: &'a str,
        delivery: Option<DeliveryStats>,
        now: i64,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(async move {
            super::service::answer(
                db,
                &self.evaluator,
                &answer.user,
                &answer.interview,
                answer.position,
                text,
                delivery,
                now,
            )
            .await
            .map(|_| ())
        })
    }
}
