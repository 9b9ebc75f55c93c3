//! Reading an interview as its owner sees it.

use surrealdb::types::SurrealValue;

use super::super::model::*;
use super::super::types::*;
use super::*;
use crate::db::Db;
use crate::AppError;

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct InterviewRow {
    pub(super) id: String,
    pub(super) role: String,
    pub(super) company: Option<String>,
    pub(super) mode: AnswerMode,
    pub(super) timer_secs: Option<i64>,
    pub(super) status: InterviewStatus,
    pub(super) created_at: i64,
    pub(super) finished_at: Option<i64>,
    pub(super) scores: Option<serde_json::Value>,
}

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct ItemRow {
    pub(super) position: i64,
    pub(super) text: String,
    pub(super) kind: Kind,
    pub(super) competencies: Vec<String>,
    pub(super) key_points: Vec<String>,
    pub(super) personalised: bool,
    pub(crate) status: ItemStatus,
    pub(super) answer: Option<String>,
    pub(super) follow_up: Option<String>,
    pub(super) follow_up_answer: Option<String>,
    pub(super) attempts: i64,
    pub(super) evaluation: Option<serde_json::Value>,
}

pub(super) async fn load(
    db: &Db,
    uid: &str,
    id: &str,
) -> Result<(InterviewRow, Vec<ItemRow>), AppError> {
    check_id(id)?;
    let mut r = db
        .query(
            concat!("SELECT record::id(id) AS id, role, company, mode, timer_secs, status, created_at, finished_at, scores
                 FROM ONLY type::record('interview', $id) WHERE user = type::record('user', $uid);
             SELECT position, text, kind, competencies, key_points, personalised, status, answer, follow_up, follow_up_answer, attempts, evaluation
                 FROM interview_item WHERE ", crate::of_interview!(), " ORDER BY position;"),
        )
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    // Someone else's interview and no interview look the same: 404.
    let iv: Option<InterviewRow> = r.take(0)?;
    let iv = iv.ok_or(AppError::NotFound)?;
    let items: Vec<ItemRow> = r.take(1)?;
    Ok((iv, items))
}

pub(super) fn view(iv: &InterviewRow, items: &[ItemRow]) -> Result<InterviewView, AppError> {
    let items: Vec<Item> = items
        .iter()
        .map(|it| -> Result<Item, AppError> {
            Ok(Item {
                position: it.position as u32,
                text: it.text.clone(),
                kind: it.kind,
                competencies: it.competencies.clone(),
                personalised: it.personalised,
                status: it.status,
                answer: it.answer.clone(),
                follow_up: it.follow_up.clone(),
                follow_up_answer: it.follow_up_answer.clone(),
                attempts: it.attempts as u32,
                evaluation: it
                    .evaluation
                    .clone()
                    .map(|e| crate::db::decode("evaluation", e))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let finished = iv.status == InterviewStatus::Finished;
    let current = if finished {
        None
    } else {
        items.iter().find(|i| !i.status.done()).map(|i| i.position)
    };
    Ok(InterviewView {
        id: iv.id.clone(),
        role: iv.role.clone(),
        company: iv.company.clone(),
        mode: iv.mode,
        timer_secs: iv.timer_secs.map(|t| t as u32),
        finished,
        created_at: iv.created_at,
        items,
        current,
        record_video: false,
    })
}

pub async fn get(db: &Db, uid: &str, id: &str) -> Result<InterviewView, AppError> {
    let (iv, items) = load(db, uid, id).await?;
    let mut v = view(&iv, &items)?;
    if v.mode == AnswerMode::Video {
        v.record_video = crate::video::service::records(db, uid, id).await?;
    }
    Ok(v)
}
