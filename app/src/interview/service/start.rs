//! Starting an interview: checks, planning, storing its questions.

use std::collections::HashSet;

use surrealdb::types::SurrealValue;

use super::super::model::*;
use super::super::plan::{plan, PlanInput, Planned};
use super::super::types::*;
use super::*;
use crate::db::Db;
use crate::AppError;

/// Spends one interview of the person's plan (402 naming the limit when none is left; nothing
/// when billing is off). Given back if the interview is not stored.
pub async fn check_quota(db: &Db, uid: &str, now: i64) -> Result<(), AppError> {
    let p = crate::billing::service::Payments::current();
    crate::billing::service::spend(&p, db, uid, crate::billing::Meter::Interviews, 1, now).await
}

async fn give_back(db: &Db, uid: &str, now: i64) {
    let p = crate::billing::service::Payments::current();
    if let Err(e) =
        crate::billing::service::give_back(&p, db, uid, crate::billing::Meter::Interviews, 1, now)
            .await
    {
        tracing::warn!(error = %e, "an interview's quota could not be given back");
    }
}

pub(super) async fn require_verified(db: &Db, uid: &str) -> Result<(), AppError> {
    match crate::auth::service::work_info(db, uid)
        .await?
        .map(|w| w.email_verified)
    {
        Some(true) => Ok(()),
        Some(false) => Err(AppError::BadRequest("Confirm your e-mail address before starting an interview: enter the code we sent you on the confirmation page.".into())),
        None => Err(AppError::Unauthorized),
    }
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct NewItem {
    pub(super) position: i64,
    pub(super) bank_id: Option<String>,
    pub(super) text: String,
    pub(super) kind: Kind,
    pub(super) competencies: Vec<String>,
    pub(super) key_points: Vec<String>,
    pub(super) personalised: bool,
}

/// Plans and stores a new interview; returns its id.
pub async fn start(db: &Db, uid: &str, setup: Setup, now: i64) -> Result<String, AppError> {
    require_verified(db, uid).await?;
    check_quota(db, uid, now).await?;
    match plan_and_store(db, uid, setup, now).await {
        Ok(id) => Ok(id),
        Err(e) => {
            give_back(db, uid, now).await;
            Err(e)
        }
    }
}

async fn plan_and_store(db: &Db, uid: &str, setup: Setup, now: i64) -> Result<String, AppError> {
    let profile = load_profile(db, uid).await?;
    let bank = candidates(db, &setup.role, &setup.kinds).await?;
    if bank.is_empty() {
        return Err(AppError::internal(
            "interview start",
            "the question bank is empty",
        ));
    }
    // Recently asked bank questions.
    let mut r = db
        .query("SELECT VALUE bank_id FROM interview_item WHERE user = type::record('user', $uid) AND bank_id != NONE AND interview.created_at > $since")
        .bind(("uid", uid.to_string()))
        .bind(("since", now - RECENT_DAYS * 86_400))
        .await?
        .check()?;
    let recent: HashSet<String> = r
        .take::<Vec<Option<String>>>(0)?
        .into_iter()
        .flatten()
        .collect();

    // Skills: what the person listed, then what the job description names.
    let mut skills = profile.skills.clone();
    if let Some(jd) = &setup.job_description {
        for s in super::super::skills::extract_skills(jd) {
            if !skills.iter().any(|k| k.eq_ignore_ascii_case(&s)) {
                skills.insert(0, s);
            }
        }
    }
    let id = new_id();
    let seed = id
        .bytes()
        .fold(now as u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let planned = plan(
        &bank,
        &PlanInput {
            role: setup.role.clone(),
            kinds: setup.kinds.clone(),
            difficulty: setup.difficulty,
            count: setup.count as usize,
            company: setup.company.clone(),
            job_description: setup.job_description.clone(),
            skills,
            focus: setup.focus.clone(),
            recent,
            seed,
        },
    );
    let items: Vec<NewItem> = planned
        .into_iter()
        .enumerate()
        .map(|(i, p): (usize, Planned)| NewItem {
            position: i as i64,
            bank_id: p.bank_id,
            // A question without key points gets those of what it asks (shown in the report
            // like the bank's, and what its answer is measured against).
            key_points: if p.key_points.is_empty() {
                crate::feedback::intent::derive_key_points(&p.text, p.kind)
            } else {
                p.key_points
            },
            text: p.text,
            kind: p.kind,
            competencies: p.competencies,
            personalised: p.personalised,
        })
        .collect();
    let video = (setup.mode == AnswerMode::Video).then_some(setup.record_video);
    store_interview(db, uid, &id, setup, items, now).await?;
    if let Some(record) = video {
        crate::video::service::choose(db, uid, &id, record, now).await?;
    }
    Ok(id)
}

/// Stores a new interview `id` of `setup` with its planned items, in one transaction.
async fn store_interview(
    db: &Db,
    uid: &str,
    id: &str,
    setup: Setup,
    items: Vec<NewItem>,
    now: i64,
) -> Result<(), AppError> {
    let n = items.len() as i64;
    // Behind the account's fence: a deletion running meanwhile sees the interview or refuses it.
    crate::db::write(|| db.query(crate::fenced!(
        "CREATE type::record('interview', $id) SET user = type::record('user', $uid), role = $role, kinds = $kinds, difficulty = $difficulty,
             company = $company, job_description = $jd, mode = $mode, timer_secs = $timer, focus = $focus, status = $active,
             question_count = $n, created_at = $now, finished_at = NONE, scores = NONE;
         FOR $it IN $items {
             CREATE interview_item SET interview = type::record('interview', $id), user = type::record('user', $uid), position = $it.position,
                 bank_id = $it.bank_id, text = $it.text, kind = $it.kind, competencies = $it.competencies, key_points = $it.key_points,
                 personalised = $it.personalised, status = $pending, attempts = 0;
         };",
    ))
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("role", setup.role.clone()))
    .bind(("kinds", setup.kinds.clone()))
    .bind(("difficulty", setup.difficulty as i64))
    .bind(("company", setup.company.clone()))
    .bind(("jd", setup.job_description.clone()))
    .bind(("mode", setup.mode))
    .bind(("timer", setup.timer_secs.map(|t| t as i64)))
    .bind(("focus", setup.focus.clone()))
    .bind(("n", n))
    .bind(("now", now))
    .bind(("items", items.clone()))
    .bind(("active", InterviewStatus::Active))
    .bind(("pending", ItemStatus::Pending)))
    .await?;
    Ok(())
}

/// Keeps the answer someone tried before signing up, when they ask: a one-question interview
/// of that bank question, answered (and evaluated) now. Returns its id; the interview page
/// goes on from there (a follow-up, or the report).
pub async fn keep_tried(
    db: &Db,
    ev: &crate::feedback::evaluator::Evaluator,
    uid: &str,
    bank_id: &str,
    answer: &str,
    now: i64,
) -> Result<String, AppError> {
    require_verified(db, uid).await?;
    let text = super::super::validate::validate_answer(answer)?;
    let q = super::bank_sync::by_id(db, bank_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = q
        .roles
        .iter()
        .find(|r| r.as_str() != "general")
        .cloned()
        .unwrap_or_else(|| "general".into());
    let setup = Setup {
        role,
        kinds: vec![q.kind],
        difficulty: q.difficulty,
        count: 1,
        company: None,
        job_description: None,
        mode: AnswerMode::Text,
        timer_secs: None,
        focus: Vec::new(),
        record_video: false,
    };
    let item = NewItem {
        position: 0,
        bank_id: Some(q.id),
        key_points: q.key_points,
        text: q.text,
        kind: q.kind,
        competencies: q.competencies,
        personalised: false,
    };
    let id = new_id();
    check_quota(db, uid, now).await?;
    if let Err(e) = store_interview(db, uid, &id, setup, vec![item], now).await {
        give_back(db, uid, now).await;
        return Err(e);
    }
    if let AnswerOutcome::Evaluated(_) =
        super::answer(db, ev, uid, &id, 0, &text, None, now).await?
    {
        super::finish(db, uid, &id, now).await?;
    }
    Ok(id)
}

/// A quick warm-up: three easy-to-medium questions for the person's role, no setup.
pub async fn warm_up(db: &Db, uid: &str, now: i64) -> Result<String, AppError> {
    let profile = load_profile(db, uid).await?;
    let role = profile
        .target_roles
        .first()
        .cloned()
        .unwrap_or_else(|| role_from_job_title(&profile.job_title).to_string());
    let setup = Setup {
        role,
        kinds: vec![Kind::Behavioural, Kind::Situational, Kind::CultureFit],
        difficulty: 1,
        count: WARMUP_QUESTIONS,
        company: None,
        job_description: None,
        mode: AnswerMode::Text,
        timer_secs: None,
        focus: Vec::new(),
        record_video: false,
    };
    start(db, uid, setup, now).await
}

pub(crate) use crate::ids::{check_id, new_id};
