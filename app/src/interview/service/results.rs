//! Finishing, scores, the report and history.

use std::collections::BTreeMap;

use surrealdb::types::SurrealValue;

use super::super::model::*;
use super::super::types::*;
use super::*;
use crate::db::Db;
use crate::feedback::{engine, Evaluation, Scores, DIMENSIONS};
use crate::AppError;

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
        concat!("BEGIN TRANSACTION;
         UPDATE interview_item SET status = $skipped, answered_at = $now
             WHERE ", crate::of_interview!(), " AND status INSIDE [$pending, $follow_up] AND answer = NONE;
         UPDATE type::record('interview', $id) SET status = $finished, finished_at = $now, scores = $scores WHERE user = type::record('user', $uid);
         COMMIT TRANSACTION;"),
    )
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("now", now))
    .bind(("scores", scores))
    .bind(("skipped", ItemStatus::Skipped))
    .bind(("pending", ItemStatus::Pending))
    .bind(("follow_up", ItemStatus::FollowUp))
    .bind(("finished", InterviewStatus::Finished))
    .await?
    .check()?;
    crate::memo::forget(uid);
    // A referral waiting for this person's first interview is rewarded (an interview with no
    // answer does not count).
    if !evals.is_empty() {
        let p = crate::billing::service::Payments::current();
        if let Err(e) =
            crate::billing::service::referrals::on_interview_finished(&p, db, uid, now).await
        {
            tracing::warn!(error = %e, "a referral reward was not given; it is tried again at the next finished interview");
        }
    }
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
    let recordings = crate::voice::service::kept_parts(db, uid, id).await?;
    let videos = crate::video::service::ready(db, uid, id).await?;
    Ok(Report {
        videos,
        recommendations,
        engines,
        finished_at: iv.finished_at,
        scores,
        interview: v,
        speech,
        recordings,
    })
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct HistoryRow {
    pub(super) id: String,
    pub(super) role: String,
    pub(super) created_at: i64,
    pub(super) status: InterviewStatus,
    pub(super) scores: Option<serde_json::Value>,
    pub(super) total: i64,
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct CompetencyRow {
    pub(super) interview: String,
    pub(super) competencies: Vec<String>,
    pub(super) evaluation: Option<serde_json::Value>,
}

/// Every interview (newest first, at most 200) and the competencies, weakest first.
pub async fn history(db: &Db, uid: &str) -> Result<History, AppError> {
    // The answered items are read once, for the competencies and for each interview's count
    // (a count subquery per interview was planned and run up to 200 times per page).
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, role, created_at, status, scores, question_count AS total
                 FROM interview WHERE user = type::record('user', $uid) ORDER BY created_at DESC LIMIT 200;
             SELECT record::id(interview) AS interview, competencies, evaluation FROM interview_item WHERE user = type::record('user', $uid) AND status = $answered;",
        )
        .bind(("uid", uid.to_string()))
        .bind(("answered", ItemStatus::Answered))
        .await?
        .check()?;
    let rows: Vec<HistoryRow> = r.take(0)?;
    let comp_rows: Vec<CompetencyRow> = r.take(1)?;
    let mut answered: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for row in &comp_rows {
        *answered.entry(row.interview.as_str()).or_default() += 1;
    }
    let sessions = rows
        .into_iter()
        .map(|h| -> Result<SessionSummary, AppError> {
            Ok(SessionSummary {
                answered: answered.get(h.id.as_str()).copied().unwrap_or(0),
                id: h.id,
                role: h.role,
                created_at: h.created_at,
                finished: h.status == InterviewStatus::Finished,
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

/// Deletes one of the caller's interviews with its questions and answers; its recordings go
/// with it in the same transaction (the schema's `interview_audio_gone` event). Someone
/// else's interview, or none, is a 404. The next start rewrites an embedded store, so the
/// answers leave its files too.
pub async fn delete(db: &Db, uid: &str, id: &str, now: i64) -> Result<(), AppError> {
    check_id(id)?;
    let mut r = db
        .query(concat!(
            "BEGIN TRANSACTION;
             LET $mine = (SELECT VALUE id FROM ONLY type::record('interview', $id) WHERE user = type::record('user', $uid));
             IF $mine = NONE { THROW 'not found' };
             DELETE interview_item WHERE ",
            crate::of_interview!(),
            ";
             DELETE type::record('interview', $id);
             COMMIT TRANSACTION;"
        ))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?;
    match crate::db::cause(r.take_errors()) {
        None => Ok(crate::db::erasure_pending(db, now).await?),
        Some(e) => match crate::db::classify(&e) {
            crate::db::Fault::Thrown(_) => Err(AppError::NotFound),
            _ => Err(e.into()),
        },
    }
}
