//! Speech analytics: the report of a spoken answer and the delivery figures the evaluator uses.

use surrealdb::types::SurrealValue;

use super::super::AnswerRef;
use super::*;
use crate::db::Db;
use crate::feedback::DeliveryStats;
use crate::ids::check_id;
use crate::AppError;

/// The speech analytics of an answer from its segments' timing and its transcript.
pub fn speech_report(rows: &[(f64, f64)], transcript: &str) -> SpeechReport {
    // Segments of a recording that was restarted (after a reload) start again at 0; keep
    // the timeline increasing by placing such a segment one second after the previous one.
    let mut timeline: Vec<(f64, f64)> = Vec::with_capacity(rows.len());
    let mut offset = 0.0;
    for &(s, e) in rows {
        if let Some(&(_, last_end)) = timeline.last() {
            if s + offset < last_end {
                offset = last_end + 1.0 - s;
            }
        }
        timeline.push((s + offset, e + offset));
    }
    let a = voice::analytics::analyse(&timeline, transcript);
    SpeechReport {
        speaking_secs: a.speaking_secs,
        words_per_minute: a.words_per_minute,
        segments: timeline,
        pauses: a.pauses.iter().map(|p| (p.start, p.end)).collect(),
        long_pauses: a.long_pauses() as u32,
        longest_pause_secs: a.longest_pause_secs(),
        total_pause_secs: a.total_pause_secs(),
        transcript: transcript.to_string(),
        fillers: a
            .fillers
            .iter()
            .map(|f| (f.start, f.end, f.text.clone()))
            .collect(),
    }
}

pub(super) fn delivery_of(report: &SpeechReport) -> Option<DeliveryStats> {
    (report.speaking_secs > 0.0).then_some(DeliveryStats {
        speaking_secs: report.speaking_secs as f32,
        words_per_minute: report.words_per_minute as f32,
        pauses_over_2_5s: report.long_pauses,
        longest_pause_secs: report.longest_pause_secs as f32,
        fillers: report.fillers.len() as u32,
    })
}

/// The delivery figures of a handed-in spoken answer (`part`), if it was spoken.
pub async fn delivery_for(db: &Db, a: &AnswerRef) -> Result<Option<DeliveryStats>, AppError> {
    let mut r = on_answer(
        db,
        a,
        concat!(
            "SELECT VALUE analytics FROM voice_answer WHERE ",
            crate::of_interview!(),
            "
                 AND position = $pos AND part = $part AND analytics != NONE"
        ),
    )
    .await?
    .check()?;
    let rows: Vec<Option<serde_json::Value>> = r.take(0)?;
    let report = rows
        .into_iter()
        .flatten()
        .next()
        .map(|a| crate::db::decode::<SpeechReport>("speech analytics", a))
        .transpose()?;
    Ok(report.as_ref().and_then(delivery_of))
}

/// Speech reports of an interview's spoken answers, by (position, part).
pub async fn reports(
    db: &Db,
    uid: &str,
    id: &str,
) -> Result<Vec<(u32, Part, SpeechReport)>, AppError> {
    #[derive(Debug, Clone, SurrealValue)]
    struct Row {
        position: i64,
        part: Part,
        analytics: Option<serde_json::Value>,
    }
    check_id(id)?;
    let mut r = db
        .query(concat!(
            "SELECT position, part, analytics FROM voice_answer WHERE ",
            crate::of_interview!(),
            " AND status = $done ORDER BY position"
        ))
        .bind(("done", AnswerStatus::Done))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<Row> = r.take(0)?;
    rows.into_iter()
        .filter_map(|r| {
            let a = r.analytics?;
            Some(
                crate::db::decode::<SpeechReport>("speech analytics", a)
                    .map(|report| (r.position as u32, r.part, report)),
            )
        })
        .collect()
}
