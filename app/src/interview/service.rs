//! Interviews on the server: the bank in the database, profiles, planning and storing an
//! interview, answers with follow-ups and evaluation, reports and history. Every function
//! takes the caller's user id and only ever touches that user's records.

use std::collections::{BTreeMap, HashSet};

use surrealdb::types::SurrealValue;

use super::bank::{self, Question};
use super::model::*;
use super::plan::{plan, PlanInput, Planned};
use super::types::*;
use crate::db::Db;
use crate::feedback::evaluator::Evaluator;
use crate::feedback::{engine, DeliveryStats, EvalRequest, Evaluation, Scores, DIMENSIONS};
use crate::AppError;

// ---------------------------------------------------------------------------------------
// The bank

#[derive(Debug, Clone, SurrealValue)]
struct BankRow {
    id: String,
    text: String,
    roles: Vec<String>,
    kind: Kind,
    difficulty: i64,
    competencies: Vec<String>,
    key_points: Vec<String>,
}

/// Loads the embedded bank into the database when its content changed since the last load
/// (or was never loaded): upserts every question and retires those no longer in the files.
/// Returns how many questions it wrote (0 when nothing changed).
pub async fn sync_bank(db: &Db, now: i64) -> Result<usize, AppError> {
    let fingerprint = bank::fingerprint();
    let mut r = db
        .query("SELECT VALUE fingerprint FROM ONLY bank_state:main")
        .await?
        .check()?;
    let stored: Option<String> = r.take(0)?;
    if stored.as_deref() == Some(fingerprint.as_str()) {
        return Ok(0);
    }
    let questions = bank::load().map_err(|e| AppError::internal("question bank", e))?;
    let rows: Vec<BankRow> = questions
        .iter()
        .map(|q| BankRow {
            id: q.id.clone(),
            text: q.text.clone(),
            roles: q.roles.clone(),
            kind: q.kind,
            difficulty: q.difficulty as i64,
            competencies: q.competencies.clone(),
            key_points: q.key_points.clone(),
        })
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let n = rows.len();
    db.query(
        "BEGIN TRANSACTION;
         FOR $q IN $rows {
             UPSERT type::record('question', $q.id) SET text = $q.text, roles = $q.roles, kind = $q.kind,
                 difficulty = $q.difficulty, competencies = $q.competencies, key_points = $q.key_points, retired = false;
         };
         UPDATE question SET retired = true WHERE record::id(id) NOTINSIDE $ids;
         UPSERT bank_state:main SET fingerprint = $fp, questions = $n, loaded_at = $now;
         COMMIT TRANSACTION;",
    )
    .bind(("rows", rows))
    .bind(("ids", ids))
    .bind(("fp", fingerprint))
    .bind(("n", n as i64))
    .bind(("now", now))
    .await?
    .check()?;
    tracing::info!(questions = n, "loaded the question bank");
    Ok(n)
}

/// Live questions for a role (its own and general ones) of the given kinds.
async fn candidates(db: &Db, role: &str, kinds: &[Kind]) -> Result<Vec<Question>, AppError> {
    let kinds: Vec<Kind> = if kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        kinds.to_vec()
    };
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, text, roles, kind, difficulty, competencies, key_points FROM question
             WHERE retired = false AND kind INSIDE $kinds AND roles CONTAINSANY $roles",
        )
        .bind(("kinds", kinds))
        .bind(("roles", vec![role.to_string(), "general".to_string()]))
        .await?
        .check()?;
    let rows: Vec<BankRow> = r.take(0)?;
    Ok(rows
        .into_iter()
        .filter_map(|b| {
            Some(Question {
                kind: b.kind,
                id: b.id,
                text: b.text,
                roles: b.roles,
                difficulty: b.difficulty as u8,
                competencies: b.competencies,
                key_points: b.key_points,
            })
        })
        .collect())
}

#[cfg(test)]
pub async fn bank_size(db: &Db) -> Result<i64, AppError> {
    let mut r = db
        .query("RETURN count(SELECT id FROM question WHERE retired = false)")
        .await?
        .check()?;
    Ok(r.take::<Option<i64>>(0)?.unwrap_or(0))
}

// ---------------------------------------------------------------------------------------
// Profiles

#[derive(Debug, Clone, SurrealValue)]
struct ProfileRow {
    background: Option<String>,
    target_roles: Option<Vec<String>>,
    target_companies: Option<Vec<String>>,
    skills: Option<Vec<String>>,
    resume: Option<ResumeRow>,
}

#[derive(Debug, Clone, SurrealValue)]
struct ResumeRow {
    file_name: String,
    bytes: i64,
    uploaded_at: i64,
    characters: i64,
    skills: Vec<String>,
}

pub async fn load_profile(db: &Db, uid: &str) -> Result<Profile, AppError> {
    let mut r = db
        .query(
            "LET $p = (SELECT * FROM profile WHERE user = type::record('user', $uid) LIMIT 1)[0];
             LET $r = (SELECT file_name, bytes, uploaded_at, string::len(text) AS characters, skills FROM resume WHERE user = type::record('user', $uid) LIMIT 1)[0];
             RETURN { background: $p.background, target_roles: $p.target_roles, target_companies: $p.target_companies,
                    skills: $p.skills, resume: $r };",
        )
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let row: Option<ProfileRow> = r.take(2)?;
    let row = row.ok_or_else(|| AppError::internal("profile", "no row"))?;
    let work = crate::auth::service::work_info(db, uid)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Profile {
        background: row.background.unwrap_or_default(),
        target_roles: row.target_roles.unwrap_or_default(),
        target_companies: row.target_companies.unwrap_or_default(),
        skills: row.skills.unwrap_or_default(),
        job_title: work.job_role,
        experience: work.experience,
        resume: row.resume.map(|r| ResumeInfo {
            file_name: r.file_name,
            bytes: r.bytes as u64,
            uploaded_at: r.uploaded_at,
            characters: r.characters as u64,
            skills: r.skills,
        }),
    })
}

/// Reads a resume PDF, keeps its text and the skills found in it (adding them to the
/// profile's skills), replacing any earlier resume. Nothing is stored when the PDF is refused.
pub async fn save_resume(
    db: &Db,
    uid: &str,
    file_name: &str,
    bytes: Vec<u8>,
    now: i64,
) -> Result<ResumeInfo, AppError> {
    let size = bytes.len() as i64;
    use super::resume::{ResumeError, BUSY_RETRY_SECS};
    let text = super::resume::extract(bytes).await.map_err(|e| match e {
        ResumeError::Busy => AppError::RateLimited(BUSY_RETRY_SECS),
        // The detail was logged where it happened.
        ResumeError::Failed => AppError::Internal,
        e => AppError::BadRequest(e.to_string()),
    })?;
    let found = super::skills::extract_skills(&text);
    let profile = load_profile(db, uid).await?;
    let mut skills = profile.skills.clone();
    for s in &found {
        if !skills.iter().any(|k| k.eq_ignore_ascii_case(s)) && skills.len() < MAX_LIST_ITEMS {
            skills.push(s.clone());
        }
    }
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(120)
        .collect();
    let name = if name.trim().is_empty() {
        "resume.pdf".to_string()
    } else {
        name
    };
    db.query(
        "BEGIN TRANSACTION;
         UPSERT type::record('resume', $uid) SET user = type::record('user', $uid), file_name = $name, bytes = $size, text = $text,
             skills = $found, uploaded_at = $now;
         UPSERT type::record('profile', $uid) SET user = type::record('user', $uid), background = $bg, target_roles = $roles,
             target_companies = $companies, skills = $skills, updated_at = $now;
         COMMIT TRANSACTION;",
    )
    .bind(("uid", uid.to_string()))
    .bind(("name", name.clone()))
    .bind(("size", size))
    .bind(("text", text.clone()))
    .bind(("found", found.clone()))
    .bind(("now", now))
    .bind(("bg", profile.background))
    .bind(("roles", profile.target_roles))
    .bind(("companies", profile.target_companies))
    .bind(("skills", skills))
    .await?
    .check()?;
    Ok(ResumeInfo {
        file_name: name,
        bytes: size as u64,
        uploaded_at: now,
        characters: text.chars().count() as u64,
        skills: found,
    })
}

/// Deletes the resume's record (its text and skills list). Skills already copied into the
/// profile stay there until the person edits them.
pub async fn delete_resume(db: &Db, uid: &str) -> Result<(), AppError> {
    db.query("DELETE type::record('resume', $uid)")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(())
}

pub async fn save_profile(db: &Db, uid: &str, form: ProfileForm, now: i64) -> Result<(), AppError> {
    let (background, roles, companies, skills) = super::validate::validate_profile(form)?;
    db.query(
        "UPSERT type::record('profile', $uid) SET user = type::record('user', $uid), background = $bg, target_roles = $roles,
             target_companies = $companies, skills = $skills, updated_at = $now",
    )
    .bind(("uid", uid.to_string()))
    .bind(("bg", background))
    .bind(("roles", roles))
    .bind(("companies", companies))
    .bind(("skills", skills))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Starting an interview

/// The quota hook: one check before an interview starts. Billing fills it in; unlimited now.
pub async fn check_quota(_db: &Db, _uid: &str) -> Result<(), AppError> {
    Ok(())
}

async fn require_verified(db: &Db, uid: &str) -> Result<(), AppError> {
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
struct NewItem {
    position: i64,
    bank_id: Option<String>,
    text: String,
    kind: Kind,
    competencies: Vec<String>,
    key_points: Vec<String>,
    personalised: bool,
}

/// Plans and stores a new interview; returns its id.
pub async fn start(db: &Db, uid: &str, setup: Setup, now: i64) -> Result<String, AppError> {
    require_verified(db, uid).await?;
    check_quota(db, uid).await?;
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
        for s in super::skills::extract_skills(jd) {
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
            text: p.text,
            kind: p.kind,
            competencies: p.competencies,
            key_points: p.key_points,
            personalised: p.personalised,
        })
        .collect();
    let n = items.len() as i64;
    db.query(
        "BEGIN TRANSACTION;
         CREATE type::record('interview', $id) SET user = type::record('user', $uid), role = $role, kinds = $kinds, difficulty = $difficulty,
             company = $company, job_description = $jd, mode = $mode, timer_secs = $timer, focus = $focus, status = 'active',
             question_count = $n, created_at = $now, finished_at = NONE, scores = NONE;
         FOR $it IN $items {
             CREATE interview_item SET interview = type::record('interview', $id), user = type::record('user', $uid), position = $it.position,
                 bank_id = $it.bank_id, text = $it.text, kind = $it.kind, competencies = $it.competencies, key_points = $it.key_points,
                 personalised = $it.personalised, status = 'pending', attempts = 0;
         };
         COMMIT TRANSACTION;",
    )
    .bind(("id", id.clone()))
    .bind(("uid", uid.to_string()))
    .bind(("role", setup.role))
    .bind(("kinds", setup.kinds.clone()))
    .bind(("difficulty", setup.difficulty as i64))
    .bind(("company", setup.company))
    .bind(("jd", setup.job_description))
    .bind(("mode", setup.mode))
    .bind(("timer", setup.timer_secs.map(|t| t as i64)))
    .bind(("focus", setup.focus))
    .bind(("n", n))
    .bind(("now", now))
    .bind(("items", items))
    .await?
    .check()?;
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
    };
    start(db, uid, setup, now).await
}

pub(crate) use crate::ids::{check_id, new_id};

// ---------------------------------------------------------------------------------------
// Reading an interview

#[derive(Debug, Clone, SurrealValue)]
struct InterviewRow {
    id: String,
    role: String,
    company: Option<String>,
    mode: AnswerMode,
    timer_secs: Option<i64>,
    status: InterviewStatus,
    created_at: i64,
    finished_at: Option<i64>,
    scores: Option<serde_json::Value>,
}

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct ItemRow {
    position: i64,
    text: String,
    kind: Kind,
    competencies: Vec<String>,
    key_points: Vec<String>,
    personalised: bool,
    pub(crate) status: ItemStatus,
    answer: Option<String>,
    follow_up: Option<String>,
    follow_up_answer: Option<String>,
    attempts: i64,
    evaluation: Option<serde_json::Value>,
}

async fn load(db: &Db, uid: &str, id: &str) -> Result<(InterviewRow, Vec<ItemRow>), AppError> {
    check_id(id)?;
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, role, company, mode, timer_secs, status, created_at, finished_at, scores
                 FROM ONLY type::record('interview', $id) WHERE user = type::record('user', $uid);
             SELECT position, text, kind, competencies, key_points, personalised, status, answer, follow_up, follow_up_answer, attempts, evaluation
                 FROM interview_item WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) ORDER BY position;",
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

fn view(iv: &InterviewRow, items: &[ItemRow]) -> Result<InterviewView, AppError> {
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
    })
}

pub async fn get(db: &Db, uid: &str, id: &str) -> Result<InterviewView, AppError> {
    let (iv, items) = load(db, uid, id).await?;
    view(&iv, &items)
}

// ---------------------------------------------------------------------------------------
// Answering

async fn evaluate(
    ev: &Evaluator,
    item: &ItemRow,
    answer: &str,
    delivery: Option<DeliveryStats>,
) -> Evaluation {
    ev.evaluate(&EvalRequest {
        question: item.text.clone(),
        kind: item.kind,
        key_points: item.key_points.clone(),
        answer: answer.to_string(),
        delivery,
    })
    .await
}

/// The item the person may act on now, or a clear 400 when the interview is over or the
/// question is not the current one.
pub(crate) async fn current_item(
    db: &Db,
    uid: &str,
    id: &str,
    position: u32,
) -> Result<ItemRow, AppError> {
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
    if item.status.done() {
        return Err(AppError::BadRequest(
            "This question is already answered. Choose \"Try again\" to answer it afresh.".into(),
        ));
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
    let text = super::validate::validate_answer(text)?;
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
        let eval = evaluate(ev, &item, &text, delivery.clone()).await;
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
        let eval = evaluate(ev, &item, &format!("{first}\n\n{text}"), delivery).await;
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
        let eval = evaluate(ev, &item, &first, delivery).await;
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
fn spoken(uid: &str, id: &str, position: u32) -> crate::voice::AnswerRef {
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
    db.query(
        "UPDATE interview_item SET status = 'pending', answer = NONE, follow_up = NONE, follow_up_answer = NONE, evaluation = NONE,
             answered_at = NONE, attempts = attempts + 1
         WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos;",
    )
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("pos", position as i64))
    .await?
    .check()?;
    Ok(())
}

/// Writes an item's new state, only if it is still in the state it was read in (so two
/// tabs submitting at once cannot both win).
#[allow(clippy::too_many_arguments)]
async fn update_item(
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
            "UPDATE interview_item SET status = $status, answer = $answer, follow_up = $fu, follow_up_answer = $fua, evaluation = $eval,
                 answered_at = $at, attempts = IF $status = 'answered' THEN attempts + 1 ELSE attempts END
             WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND status = $was
             RETURN VALUE position",
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
        .await?
        .check()?;
    let changed: Vec<i64> = r.take(0)?;
    if changed.is_empty() {
        return Err(AppError::BadRequest(
            "This question changed in another window. Reload the page to see where you are.".into(),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Finishing, reports and history

/// Averages per dimension over the evaluated answers.
pub fn session_scores(evals: &[&Evaluation]) -> Option<Scores> {
    if evals.is_empty() {
        return None;
    }
    let avg = |f: &dyn Fn(&Scores) -> Option<u8>| -> Option<u8> {
        let v: Vec<u32> = evals
            .iter()
            .filter_map(|e| f(&e.scores))
            .map(u32::from)
            .collect();
        (!v.is_empty()).then(|| (v.iter().sum::<u32>() as f32 / v.len() as f32).round() as u8)
    };
    Some(Scores {
        relevance: avg(&|s| Some(s.relevance))?,
        structure: avg(&|s| Some(s.structure))?,
        specificity: avg(&|s| Some(s.specificity))?,
        clarity: avg(&|s| Some(s.clarity))?,
        completeness: avg(&|s| Some(s.completeness))?,
        delivery: avg(&|s| s.delivery),
        overall: avg(&|s| Some(s.overall))?,
    })
}

/// Ends the interview (questions not reached count as skipped) and stores its scores.
pub async fn finish(db: &Db, uid: &str, id: &str, now: i64) -> Result<(), AppError> {
    let (iv, items) = load(db, uid, id).await?;
    if iv.status == InterviewStatus::Finished {
        return Ok(());
    }
    let v = view(&iv, &items)?;
    let evals: Vec<&Evaluation> = v
        .items
        .iter()
        .filter_map(|i| i.evaluation.as_ref())
        .collect();
    let scores = session_scores(&evals)
        .map(|s| crate::db::encode("scores", &s))
        .transpose()?;
    db.query(
        "BEGIN TRANSACTION;
         UPDATE interview_item SET status = 'skipped', answered_at = $now
             WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND status INSIDE ['pending', 'follow-up'] AND answer = NONE;
         UPDATE type::record('interview', $id) SET status = 'finished', finished_at = $now, scores = $scores WHERE user = type::record('user', $uid);
         COMMIT TRANSACTION;",
    )
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("now", now))
    .bind(("scores", scores))
    .await?
    .check()?;
    Ok(())
}

/// Session-level recommendations from the weakest dimensions and the missed key points.
pub fn recommendations(v: &InterviewView, scores: &Scores) -> Vec<String> {
    let mut out = Vec::new();
    use crate::feedback::Dimension;
    let mut dims: Vec<(Dimension, u8)> = DIMENSIONS
        .iter()
        .filter_map(|&d| scores.get(d).map(|s| (d, s)))
        .collect();
    dims.sort_by_key(|d| d.1);
    for &(d, s) in dims.iter().take(2).filter(|d| d.1 < 75) {
        let tip = match d {
            Dimension::Relevance => "restate the question in your first sentence and answer it before adding context".to_string(),
            Dimension::Structure => "shape behavioural answers as situation, task, action, result — and always say how it ended".into(),
            Dimension::Specificity => "bring numbers, names of tools and concrete outcomes; prepare five achievements with a figure each".into(),
            Dimension::Clarity => "use short sentences and replace fillers with a brief pause".into(),
            Dimension::Completeness => "before answering, list the three or four points the interviewer is probably looking for".into(),
            Dimension::Delivery => format!("practise out loud at {} words a minute", voice::analytics::pace_band_text()),
        };
        out.push(format!(
            "{} was your weakest area ({s}/100): {tip}.",
            d.label()
        ));
    }
    let skipped = v
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Skipped)
        .count();
    if skipped > 0 {
        out.push(format!("You skipped {skipped} question{}. Practise them again: skipping is fine in practice, not in the real interview.", if skipped == 1 { "" } else { "s" }));
    }
    let follow_ups = v.items.iter().filter(|i| i.follow_up.is_some()).count();
    if follow_ups > 0 {
        out.push(format!("{follow_ups} answer{} needed a follow-up question. Aim to give the full story the first time.", if follow_ups == 1 { "" } else { "s" }));
    }
    if out.is_empty() {
        out.push(
            "A strong session. Raise the difficulty or try a different question type next time."
                .into(),
        );
    }
    out
}

pub async fn report(db: &Db, uid: &str, id: &str) -> Result<Report, AppError> {
    let (iv, items) = load(db, uid, id).await?;
    let v = view(&iv, &items)?;
    let evals: Vec<&Evaluation> = v
        .items
        .iter()
        .filter_map(|i| i.evaluation.as_ref())
        .collect();
    let scores = match iv.scores.clone() {
        Some(s) => crate::db::decode("scores", s)?,
        None => session_scores(&evals).unwrap_or_default(),
    };
    let mut engines: Vec<String> = evals.iter().map(|e| e.engine.clone()).collect();
    engines.sort();
    engines.dedup();
    if engines.is_empty() {
        engines.push(engine::ENGINE_NAME.into());
    }
    let recommendations = if evals.is_empty() {
        vec![
            "No answers were evaluated. Start a new interview and answer at least one question."
                .into(),
        ]
    } else {
        recommendations(&v, &scores)
    };
    let speech = crate::voice::service::reports(db, uid, id).await?;
    Ok(Report {
        recommendations,
        engines,
        finished_at: iv.finished_at,
        scores,
        interview: v,
        speech,
    })
}

#[derive(Debug, Clone, SurrealValue)]
struct HistoryRow {
    id: String,
    role: String,
    created_at: i64,
    status: InterviewStatus,
    scores: Option<serde_json::Value>,
    answered: i64,
    total: i64,
}

#[derive(Debug, Clone, SurrealValue)]
struct CompetencyRow {
    competencies: Vec<String>,
    evaluation: Option<serde_json::Value>,
}

/// Every interview (newest first, at most 200) and the competencies, weakest first.
pub async fn history(db: &Db, uid: &str) -> Result<History, AppError> {
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, role, created_at, status, scores,
                    count(SELECT id FROM interview_item WHERE interview = $parent.id AND status = 'answered') AS answered,
                    question_count AS total
                 FROM interview WHERE user = type::record('user', $uid) ORDER BY created_at DESC LIMIT 200;
             SELECT competencies, evaluation FROM interview_item WHERE user = type::record('user', $uid) AND status = 'answered';",
        )
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<HistoryRow> = r.take(0)?;
    let comp_rows: Vec<CompetencyRow> = r.take(1)?;
    let sessions = rows
        .into_iter()
        .map(|h| -> Result<SessionSummary, AppError> {
            Ok(SessionSummary {
                id: h.id,
                role: h.role,
                created_at: h.created_at,
                finished: h.status == InterviewStatus::Finished,
                answered: h.answered as u32,
                total: h.total as u32,
                scores: h
                    .scores
                    .map(|s| crate::db::decode("scores", s))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let mut acc: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for row in comp_rows {
        let Some(e) = row
            .evaluation
            .map(|e| crate::db::decode::<Evaluation>("evaluation", e))
            .transpose()?
        else {
            continue;
        };
        for c in row.competencies {
            let entry = acc.entry(c).or_default();
            entry.0 += e.scores.overall as u32;
            entry.1 += 1;
        }
    }
    let mut competencies: Vec<CompetencyScore> = acc
        .into_iter()
        .map(|(slug, (sum, n))| CompetencyScore {
            label: competency_label(&slug),
            average: (sum as f32 / n as f32).round() as u8,
            answers: n,
            slug,
        })
        .collect();
    competencies.sort_by(|a, b| a.average.cmp(&b.average).then(a.slug.cmp(&b.slug)));
    Ok(History {
        sessions,
        competencies,
    })
}

#[cfg(test)]
mod tests;
