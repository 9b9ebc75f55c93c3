//! Voice answers on the server: storing the segments the browser uploads (each once, only
//! into its owner's current question), where an answer stands, and handing it in: once every
//! segment is transcribed (or the person typed what they said), the transcript and its speech
//! analytics go to the evaluator like a typed answer.

use surrealdb::types::SurrealValue;

use super::model::*;
use super::transcribe::Transcriber;
use super::{AnswerDesk, AnswerRef};
use crate::db::Db;
use crate::feedback::DeliveryStats;
use crate::ids::check_id;
use crate::AppError;

/// A query about one part (answer or follow-up) of one answer in someone's interview, with
/// `$id`, `$uid`, `$pos` and `$part` bound.
fn on_answer<'d>(
    db: &'d Db,
    a: &AnswerRef,
    sql: &'d str,
) -> surrealdb::method::Query<'d, surrealdb::engine::any::Any> {
    db.query(sql)
        .bind(("id", a.interview.clone()))
        .bind(("uid", a.user.clone()))
        .bind(("pos", a.position as i64))
        .bind(("part", a.part))
}

fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

/// The part of question `position` of the caller's interview `id` a recording answers now
/// (interview practice decides: someone else's interview is a 404, an answered question a 400).
async fn open_answer(
    db: &Db,
    desk: &dyn AnswerDesk,
    uid: &str,
    id: &str,
    position: u32,
) -> Result<AnswerRef, AppError> {
    check_id(id)?;
    let part = desk.open_part(db, uid, id, position).await?;
    Ok(AnswerRef {
        user: uid.to_string(),
        interview: id.to_string(),
        position,
        part,
    })
}

/// Checks a segment file: a 16 kHz mono 16-bit WAV of at most 60 s, mostly audio. Returns
/// its length in seconds and the file to store: the audio under a fresh header, any other
/// chunk dropped.
pub fn check_segment(wav: &[u8]) -> Result<(f64, Vec<u8>), AppError> {
    if wav.is_empty() {
        return Err(bad("The audio segment is empty."));
    }
    if wav.len() > MAX_SEGMENT_BYTES {
        return Err(bad(format!("The audio segment is {} bytes; the limit is {MAX_SEGMENT_BYTES} (60 s of 16 kHz audio).", wav.len())));
    }
    let (info, plain) = voice::wav::canonical(wav)
        .map_err(|e| bad(format!("The audio segment is not usable: {e}.")))?;
    if info.rate != SEGMENT_RATE || info.channels != 1 || info.bits != 16 || info.float {
        return Err(bad(format!(
            "The audio segment is {} Hz, {} channel(s), {}-bit{}; send 16000 Hz mono 16-bit PCM WAV.",
            info.rate,
            info.channels,
            info.bits,
            if info.float { " float" } else { "" }
        )));
    }
    let secs = info.duration();
    if info.frames == 0 {
        return Err(bad("The audio segment holds no samples."));
    }
    let audio = plain.len() - voice::wav::HEADER_LEN;
    if wav.len() - audio > MAX_SEGMENT_OVERHEAD
        && (audio as f64) < MIN_AUDIO_SHARE * wav.len() as f64
    {
        return Err(bad(format!(
            "Only {audio} of the audio segment's {} bytes are audio; send a plain WAV file (a 44-byte header and the samples, no other chunks).",
            wav.len()
        )));
    }
    if secs > MAX_SEGMENT_SECS {
        return Err(bad(format!(
            "The audio segment lasts {secs:.1} s; the limit is {MAX_SEGMENT_SECS:.0} s."
        )));
    }
    Ok((secs, plain))
}

#[derive(Debug, Clone, SurrealValue)]
struct PartTotals {
    n: i64,
    secs: f64,
}

/// Stores one uploaded segment. A segment that already arrived is acknowledged without being
/// stored again; nothing is stored for a refused one.
pub async fn upload(
    db: &Db,
    desk: &dyn AnswerDesk,
    uid: &str,
    id: &str,
    position: u32,
    segment: Segment,
    transcribes: bool,
    now: i64,
) -> Result<SegmentAck, AppError> {
    let Segment {
        seq,
        start,
        end,
        wav,
    } = segment;
    let a = open_answer(db, desk, uid, id, position).await?;
    if seq >= MAX_SEGMENTS_PER_ANSWER {
        return Err(bad(format!(
            "An answer holds at most {MAX_SEGMENTS_PER_ANSWER} segments."
        )));
    }
    if !(start.is_finite()
        && end.is_finite()
        && start >= 0.0
        && end > start
        && end - start <= MAX_SEGMENT_SECS + 1.0)
    {
        return Err(bad("The segment's start and end times are not valid (seconds, start before end, at most 60 s apart)."));
    }
    let (secs, wav) = check_segment(&wav)?;
    let mut r = on_answer(db, &a,
        "SELECT count() AS n, <float> math::sum(secs) AS secs FROM voice_segment
             WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part GROUP ALL;
         SELECT VALUE seq FROM voice_segment
             WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part AND seq = $seq;
         SELECT VALUE status FROM voice_answer
             WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part;"
    )
    .bind(("seq", seq as i64))
    .await?
    .check()?;
    let totals: Option<PartTotals> = r.take(0)?;
    let existing: Vec<i64> = r.take(1)?;
    let handed_in: Vec<AnswerStatus> = r.take(2)?;
    if !existing.is_empty() {
        return Ok(SegmentAck {
            seq,
            duplicate: true,
        });
    }
    if !handed_in.is_empty() {
        return Err(bad(
            "This answer has already been handed in; its recording is closed.",
        ));
    }
    let totals = totals.unwrap_or(PartTotals { n: 0, secs: 0.0 });
    if totals.secs + secs > MAX_SPEECH_SECS_PER_ANSWER {
        return Err(bad(format!(
            "An answer holds at most {:.0} minutes of speech.",
            MAX_SPEECH_SECS_PER_ANSWER / 60.0
        )));
    }
    let bytes = wav.len() as i64;
    let res = on_answer(db, &a,
        "CREATE voice_segment SET user = type::record('user', $uid), interview = type::record('interview', $id), position = $pos,
             part = $part, seq = $seq, start_s = $start, end_s = $end, secs = $secs, audio = $audio, bytes = $bytes,
             status = $status, transcript = NONE, error = NONE, attempts = 0, lease_until = 0, created_at = $now"
    )
    .bind(("seq", seq as i64))
    .bind(("start", start))
    .bind(("end", end))
    .bind(("secs", secs))
    .bind(("audio", surrealdb::types::Bytes::from(wav)))
    .bind(("bytes", bytes))
    .bind((
        "status",
        if transcribes {
            SegmentStatus::Queued
        } else {
            SegmentStatus::Untranscribed
        },
    ))
    .bind(("now", now))
    .await?
    .check();
    match res {
        Ok(_) => Ok(SegmentAck {
            seq,
            duplicate: false,
        }),
        // Two copies racing: the unique index let one in; the other is a duplicate.
        Err(e) if crate::db::classify(&e) == crate::db::Fault::Duplicate("segment_key") => {
            Ok(SegmentAck {
                seq,
                duplicate: true,
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct SegRow {
    seq: i64,
    start_s: f64,
    end_s: f64,
    status: SegmentStatus,
    transcript: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
struct AnswerRow {
    status: AnswerStatus,
    error: Option<String>,
}

async fn segments(db: &Db, a: &AnswerRef) -> Result<(Vec<SegRow>, Option<AnswerRow>), AppError> {
    let mut r = on_answer(db, &a,
            "SELECT seq, start_s, end_s, status, transcript FROM voice_segment
                 WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part ORDER BY seq;
             SELECT status, error FROM ONLY voice_answer
                 WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part LIMIT 1;"
        )
        .await?
        .check()?;
    Ok((r.take(0)?, r.take(1)?))
}

fn transcript_of(rows: &[SegRow]) -> String {
    rows.iter()
        .filter_map(|r| r.transcript.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the current question's spoken answer stands.
pub async fn status(
    db: &Db,
    desk: &dyn AnswerDesk,
    uid: &str,
    id: &str,
    position: u32,
    transcriber: &Transcriber,
) -> Result<VoiceStatus, AppError> {
    let a = match open_answer(db, desk, uid, id, position).await {
        Ok(a) => a,
        // Answered (perhaps just now, by the transcription worker): nothing left to record.
        Err(AppError::BadRequest(_)) => {
            return Ok(VoiceStatus {
                part: None,
                answer: Some(AnswerStatus::Done),
                transcriber: transcriber.name(),
                ..Default::default()
            })
        }
        Err(e) => return Err(e),
    };
    let (rows, answer) = segments(db, &a).await?;
    Ok(VoiceStatus {
        part: Some(a.part),
        transcript: transcript_of(&rows),
        segments: rows
            .iter()
            .map(|r| SegmentView {
                seq: r.seq as u32,
                start: r.start_s,
                end: r.end_s,
                status: r.status,
            })
            .collect(),
        answer: answer.as_ref().map(|a| a.status),
        error: answer.and_then(|a| a.error),
        transcriber: transcriber.name(),
    })
}

/// Hands in the spoken answer to the current question once all `count` segments have
/// arrived. With `typed`, that text is the transcript (no transcriber, or the person
/// corrected it); otherwise the answer waits for its transcripts and is evaluated when the
/// last one is done.
#[allow(clippy::too_many_arguments)]
pub async fn hand_in(
    db: &Db,
    desk: &dyn AnswerDesk,
    uid: &str,
    id: &str,
    position: u32,
    count: u32,
    typed: Option<String>,
    transcriber: &Transcriber,
    now: i64,
) -> Result<VoiceStatus, AppError> {
    let transcribes = transcriber.enabled();
    let a = open_answer(db, desk, uid, id, position).await?;
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
        on_answer(db, &a,
            "BEGIN TRANSACTION;
             DELETE voice_answer WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part;
             CREATE voice_answer SET user = type::record('user', $uid), interview = type::record('interview', $id), position = $pos, part = $part,
                 segments = $count, status = $status, transcript = NONE, analytics = NONE, error = NONE, created_at = $now;
             COMMIT TRANSACTION;"
        )
        .bind(("count", count as i64))
        .bind(("status", status))
        .bind(("now", now))
        .await?
        .check()?;
        if transcribes {
            try_complete(db, desk, &a, now).await?;
        }
    }
    status(db, desk, uid, id, position, transcriber).await
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
    let mut r = on_answer(db, &a,
            "UPDATE voice_answer SET status = $completing
             WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part AND status = $transcribing
             RETURN VALUE status"
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

async fn set_answer(
    db: &Db,
    a: &AnswerRef,
    status: AnswerStatus,
    error: Option<&str>,
) -> Result<(), AppError> {
    on_answer(db, &a,
        "UPDATE voice_answer SET status = $status, error = $error
         WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part"
    )
    .bind(("status", status))
    .bind(("error", error.map(str::to_string)))
    .await?
    .check()?;
    Ok(())
}

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

fn delivery_of(report: &SpeechReport) -> Option<DeliveryStats> {
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
    let mut r = on_answer(db, &a,
            "SELECT VALUE analytics FROM voice_answer WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid)
                 AND position = $pos AND part = $part AND analytics != NONE"
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

async fn complete(
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
    set_answer(db, a, AnswerStatus::Done, None).await
}

async fn store_analytics(
    db: &Db,
    a: &AnswerRef,
    count: usize,
    text: &str,
    analytics: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    on_answer(db, &a,
        "DELETE voice_answer WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos AND part = $part;
         CREATE voice_answer SET user = type::record('user', $uid), interview = type::record('interview', $id), position = $pos, part = $part,
             segments = $count, status = $completing, transcript = $text, analytics = $analytics, error = NONE, created_at = $now;"
    )
    .bind(("count", count as i64))
    .bind(("completing", AnswerStatus::Completing))
    .bind(("text", text.to_string()))
    .bind(("analytics", analytics))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(())
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
        .query("SELECT position, part, analytics FROM voice_answer WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND status = $done ORDER BY position")
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

/// Deletes a question's recordings (its answer is being answered afresh).
pub async fn delete_for_item(db: &Db, uid: &str, id: &str, position: u32) -> Result<(), AppError> {
    db.query(
        "DELETE voice_segment WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos;
         DELETE voice_answer WHERE interview = type::record('interview', $id) AND user = type::record('user', $uid) AND position = $pos;",
    )
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("pos", position as i64))
    .await?
    .check()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_files_are_checked_for_format_length_and_size() {
        let ok = voice::wav::encode_i16(16_000, &vec![100i16; 16_000]);
        let (secs, stored) = check_segment(&ok).unwrap();
        assert!((secs - 1.0).abs() < 1e-9);
        assert_eq!(stored, ok);
        let msg = |r: Result<(f64, Vec<u8>), AppError>| match r {
            Err(AppError::BadRequest(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(msg(check_segment(&[])).contains("empty"));
        assert!(msg(check_segment(b"PK\x03\x04 a zip")).contains("not a WAV"));
        assert!(
            msg(check_segment(&voice::wav::encode_i16(48_000, &[0; 480])))
                .contains("send 16000 Hz mono")
        );
        assert!(msg(check_segment(&voice::wav::encode_i16(16_000, &[]))).contains("no samples"));
        let long = voice::wav::encode_i16(16_000, &vec![0i16; 16_000 * 61]);
        assert!(msg(check_segment(&long)).contains("the limit is 1921024"));
        let mut lying = voice::wav::encode_i16(16_000, &vec![0i16; 16_000 * 30]);
        lying[24..28].copy_from_slice(&8_000u32.to_le_bytes()); // 30 s of samples claiming 8 kHz = 60 s, and the wrong rate
        assert!(msg(check_segment(&lying)).contains("8000 Hz"));
        // Mostly padding: refused. A little metadata is fine, and is not kept.
        let with_chunk = |junk: usize, samples: usize| {
            let plain = voice::wav::encode_i16(16_000, &vec![7i16; samples]);
            let mut w = plain[..36].to_vec();
            w.extend_from_slice(b"junk");
            w.extend_from_slice(&(junk as u32).to_le_bytes());
            w.resize(w.len() + junk, 0);
            w.extend_from_slice(&plain[36..]);
            (w, plain)
        };
        assert!(msg(check_segment(&with_chunk(1_900_000, 1).0))
            .contains("Only 2 of the audio segment's 1900054 bytes are audio"));
        assert!(msg(check_segment(&with_chunk(4_000, 16_000).0)).contains("are audio"));
        let (w, plain) = with_chunk(600, 160);
        assert_eq!(check_segment(&w).unwrap().1, plain);
    }

    #[test]
    fn the_timeline_of_a_restarted_recording_keeps_increasing() {
        let r = speech_report(
            &[(0.5, 3.0), (4.0, 6.0), (0.4, 2.0)],
            "one two three four five six",
        );
        assert_eq!(r.segments, vec![(0.5, 3.0), (4.0, 6.0), (7.0, 8.6)]);
        assert_eq!(r.pauses.len(), 2);
        assert!((r.speaking_secs - 6.1).abs() < 1e-9);
        assert_eq!(r.words_per_minute.round(), (6.0 * 60.0 / 6.1f64).round());
    }
}
