//! Handing a spoken answer in: once every segment is transcribed (or the person typed what
//! they said), the transcript and its speech analytics go to interview practice's desk.

use super::super::transcribe::Transcriber;
use super::super::{AnswerDesk, AnswerRef};
use super::*;
use crate::db::Db;
use crate::AppError;

/// Hands in the spoken answer to the current question once all `count` segments have
/// arrived. With `typed`, that text is the transcript (no transcriber, or the person
/// corrected it); otherwise the answer waits for its transcripts and is evaluated when the
/// last one is done.
pub async fn hand_in(
    db: &Db,
    desk: &dyn AnswerDesk,
    q: Question<'_>,
    count: u32,
    typed: Option<String>,
    transcriber: &Transcriber,
    now: i64,
) -> Result<VoiceStatus, AppError> {
    let transcribes = transcriber.enabled();
    let a = open_answer(db, desk, q).await?;
    let (rows, _) = segments(db, &a).await?;
    if count == 0 && typed.is_none() {
        return Err(bad(
            "No speech was recorded. Record your answer again, or type it.",
        ));
    }
    let arrived = rows.iter().filter(|r| (r.seq as u32) < count).count() as u32;
    if arrived < count {
        return Err(bad(format!("{arrived} of {count} segments have arrived. Wait for the upload to finish, then hand in again.")));
    }
    if let Some(text) = typed {
        let text = desk.check_answer(&text)?;
        complete(db, desk, &a, &rows, &text, now).await?;
    } else {
        let status = if transcribes {
            AnswerStatus::Transcribing
        } else {
            AnswerStatus::NeedsTranscript
        };
        let a = &a;
        crate::db::write(|| {
            on_answer(db, a,
                crate::fenced!("DELETE voice_answer WHERE ", crate::of_interview!(), " AND position = $pos AND part = $part;
                 CREATE voice_answer SET user = type::record('user', $uid), interview = type::record('interview', $id), position = $pos, part = $part,
                     segments = $count, status = $status, transcript = NONE, analytics = NONE, error = NONE, created_at = $now;")
            )
            .bind(("count", count as i64))
            .bind(("status", status))
            .bind(("now", now))
        })
        .await?;
        if transcribes {
            try_complete(db, desk, a, now).await?;
        }
    }
    status(db, desk, q, transcriber).await
}

/// After a transcript arrives: evaluates the handed-in answer if every segment is done.
pub async fn try_complete(
    db: &Db,
    desk: &dyn AnswerDesk,
    a: &AnswerRef,
    now: i64,
) -> Result<(), AppError> {
    let (rows, answer) = segments(db, a).await?;
    let Some(answer) = answer else { return Ok(()) };
    if answer.status != AnswerStatus::Transcribing
        || rows.iter().any(|r| {
            matches!(
                r.status,
                SegmentStatus::Queued | SegmentStatus::Transcribing
            )
        })
    {
        return Ok(());
    }
    // Claim the completion: the worker that transcribed the last segment and the request
    // that handed the answer in may both get here; only one evaluates it.
    let mut r = on_answer(
        db,
        a,
        concat!(
            "UPDATE voice_answer SET status = $completing
             WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part AND status = $transcribing
             RETURN VALUE status"
        ),
    )
    .bind(("completing", AnswerStatus::Completing))
    .bind(("transcribing", AnswerStatus::Transcribing))
    .await?
    .check()?;
    let claimed: Vec<AnswerStatus> = r.take(0)?;
    if claimed.is_empty() {
        return Ok(());
    }
    let text = transcript_of(&rows);
    if rows.iter().any(|r| r.status == SegmentStatus::Failed) || text.trim().is_empty() {
        set_answer(db, a, AnswerStatus::NeedsTranscript, Some("Some of your recording could not be transcribed. Type what you said to hand the answer in.")).await?;
        return Ok(());
    }
    let done = complete(db, desk, a, &rows, &text, now).await;
    if let Err(AppError::BadRequest(msg)) = &done {
        set_answer(db, a, AnswerStatus::NeedsTranscript, Some(msg)).await?;
        return Ok(());
    }
    done
}

pub(super) async fn set_answer(
    db: &Db,
    a: &AnswerRef,
    status: AnswerStatus,
    error: Option<&str>,
) -> Result<(), AppError> {
    on_answer(
        db,
        a,
        concat!(
            "UPDATE voice_answer SET status = $status, error = $error
         WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part"
        ),
    )
    .bind(("status", status))
    .bind(("error", error.map(str::to_string)))
    .await?
    .check()?;
    Ok(())
}

pub(super) async fn complete(
    db: &Db,
    desk: &dyn AnswerDesk,
    a: &AnswerRef,
    rows: &[SegRow],
    text: &str,
    now: i64,
) -> Result<(), AppError> {
    let report = speech_report(
        &rows
            .iter()
            .map(|r| (r.start_s, r.end_s))
            .collect::<Vec<_>>(),
        text,
    );
    let delivery = delivery_of(&report);
    // The analytics are stored first (a thin answer's follow-up, or a skip, reads them), as
    // `completing`; `done` only once the answer is in.
    let analytics = crate::db::encode("speech analytics", &report)?;
    store_analytics(db, a, rows.len(), text, analytics, now).await?;
    if let Err(e) = desk.hand_in(db, a, text, delivery, now).await {
        // Not handed in after all: the person can correct the text and try again.
        let msg = match &e {
            AppError::BadRequest(m) => m.clone(),
            _ => "The answer could not be evaluated just now. Hand it in again.".to_string(),
        };
        set_answer(db, a, AnswerStatus::NeedsTranscript, Some(&msg)).await?;
        return Err(e);
    }
    set_answer(db, a, AnswerStatus::Done, None).await?;
    after_evaluation(db, a).await
}

pub(super) async fn store_analytics(
    db: &Db,
    a: &AnswerRef,
    count: usize,
    text: &str,
    analytics: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    // One transaction: a node that dies between the two statements leaves the answer as it was.
    crate::db::write(|| {
        on_answer(db, a,
            crate::fenced!("DELETE voice_answer WHERE ", crate::of_interview!(), " AND position = $pos AND part = $part;
             CREATE voice_answer SET user = type::record('user', $uid), interview = type::record('interview', $id), position = $pos, part = $part,
                 segments = $count, status = $completing, transcript = $text, analytics = $analytics, error = NONE, created_at = $now;")
        )
        .bind(("count", count as i64))
        .bind(("completing", AnswerStatus::Completing))
        .bind(("text", text.to_string()))
        .bind(("analytics", analytics.clone()))
        .bind(("now", now))
    })
    .await?;
    Ok(())
}

/// An answer still `completing` this long after its evaluation began was being evaluated by a
/// node that died (an evaluation takes seconds): the retention sweep gives it back to its
/// owner, whose page then asks them to hand it in again (the transcript is on the page).
pub const COMPLETING_STUCK_SECS: i64 = 600;

/// The message a released answer shows.
pub const RELEASED_MESSAGE: &str =
    "The answer could not be evaluated just now. Check the transcript and hand it in again.";

/// Gives back every answer left `completing` for [`COMPLETING_STUCK_SECS`]; returns how many.
pub async fn release_stuck(db: &Db, now: i64) -> Result<usize, AppError> {
    let mut r = db
        .query(
            "UPDATE voice_answer SET status = $needs, error = $msg
             WHERE status = $completing AND created_at <= $before RETURN VALUE id",
        )
        .bind(("needs", AnswerStatus::NeedsTranscript))
        .bind(("completing", AnswerStatus::Completing))
        .bind(("msg", RELEASED_MESSAGE))
        .bind(("before", now - COMPLETING_STUCK_SECS))
        .await?
        .check()?;
    let released: Vec<surrealdb::types::RecordId> = r.take(0)?;
    Ok(released.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_left_completing_by_a_dead_node_goes_back_to_its_owner() {
        let (_dir, db) = crate::db::temp().await;
        db.query(
            "CREATE voice_answer SET user = user:u1, interview = interview:i1, position = 0, part = 'answer',
                 segments = 1, status = 'completing', transcript = 'what I said', created_at = 1000;
             CREATE voice_answer SET user = user:u1, interview = interview:i2, position = 0, part = 'answer',
                 segments = 1, status = 'completing', transcript = 'what I said', created_at = 1200;
             CREATE voice_answer SET user = user:u1, interview = interview:i3, position = 0, part = 'answer',
                 segments = 1, status = 'done', transcript = 'what I said', created_at = 0;",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
        let at = 1000 + COMPLETING_STUCK_SECS;
        assert_eq!(
            release_stuck(&db, at - 1).await.unwrap(),
            0,
            "still within its time"
        );
        assert_eq!(release_stuck(&db, at).await.unwrap(), 1);
        use surrealdb::types::SurrealValue;
        #[derive(Debug, PartialEq, SurrealValue)]
        struct Row {
            i: String,
            status: String,
            error: Option<String>,
        }
        let row = |i: &str, status: &str, error: Option<&str>| Row {
            i: i.into(),
            status: status.into(),
            error: error.map(Into::into),
        };
        let mut r = db
            .query("SELECT record::id(interview) AS i, status, error FROM voice_answer ORDER BY i")
            .await
            .unwrap();
        let rows: Vec<Row> = r.take(0).unwrap();
        assert_eq!(
            rows,
            vec![
                row("i1", "needs-transcript", Some(RELEASED_MESSAGE)),
                row("i2", "completing", None),
                row("i3", "done", None),
            ]
        );
    }
}
