//! Storing uploaded segments (each once, only into its owner's open question) and where an
//! answer's recording stands.

use surrealdb::types::SurrealValue;

use super::super::model::*;
use super::super::transcribe::Transcriber;
use super::super::{AnswerDesk, AnswerRef};
use super::*;
use crate::db::Db;
use crate::AppError;

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
pub(super) struct PartTotals {
    pub(super) n: i64,
    pub(super) secs: f64,
}

/// Where segments are kept: the blob store for their audio, and how long a kept recording stays.
#[derive(Clone, Copy)]
pub struct Keeping<'a> {
    pub blobs: &'a crate::blob::Blobs,
    pub retention_days: u32,
}

/// The blob key of a segment's audio.
pub fn audio_key(uid: &str, segment: &str) -> String {
    format!("voice/{uid}/{segment}.wav")
}

/// Stores one uploaded segment (its audio in the blob store, its row in the database). A
/// segment that already arrived is acknowledged without being stored again; nothing is stored
/// for a refused one.
pub async fn upload(
    db: &Db,
    desk: &dyn AnswerDesk,
    keeping: Keeping<'_>,
    q: Question<'_>,
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
    let a = open_answer(db, desk, q).await?;
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
    let mut r = on_answer(
        db,
        &a,
        concat!(
            "SELECT count() AS n, <float> math::sum(secs) AS secs FROM voice_segment
             WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part GROUP ALL;
         SELECT VALUE seq FROM voice_segment
             WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part AND seq = $seq;
         SELECT VALUE status FROM voice_answer
             WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part;"
        ),
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
    // The plan's spoken minutes (nothing when billing is off): spent before storing, given
    // back if the segment is not stored.
    let spoken = secs.ceil() as i64;
    let pay = crate::billing::service::Payments::current();
    crate::billing::service::spend(
        &pay,
        db,
        q.user,
        crate::billing::Meter::SpokenSeconds,
        spoken,
        now,
    )
    .await?;
    let stored = store(
        db,
        keeping,
        &a,
        Segment {
            seq,
            start,
            end,
            wav,
        },
        secs,
        transcribes,
        now,
    )
    .await;
    // Not stored (or stored by a twin): what it spent goes back.
    if !matches!(
        stored,
        Ok(SegmentAck {
            duplicate: false,
            ..
        })
    ) {
        let _ = crate::billing::service::give_back(
            &pay,
            db,
            q.user,
            crate::billing::Meter::SpokenSeconds,
            spoken,
            now,
        )
        .await;
    }
    stored
}

/// Stores a checked segment of `a`: its audio in the blob store first, under a fresh key (a row
/// never names a blob that is not there), then its row; if the row is not made, the blob goes.
async fn store(
    db: &Db,
    keeping: Keeping<'_>,
    a: &AnswerRef,
    segment: Segment,
    secs: f64,
    transcribes: bool,
    now: i64,
) -> Result<SegmentAck, AppError> {
    let Segment {
        seq,
        start,
        end,
        wav,
    } = segment;
    let keep = policy(db, &a.user, keeping.retention_days).await?;
    let bytes = wav.len() as i64;
    let sid = crate::ids::new_id();
    let key = audio_key(&a.user, &sid);
    keeping.blobs.put(&key, wav).await?;
    // Behind the account's fence: a deletion running meanwhile sees this row or refuses it.
    let sql = crate::fenced!(
        "CREATE type::record('voice_segment', $sid) SET user = type::record('user', $uid), interview = type::record('interview', $id), position = $pos,
             part = $part, seq = $seq, start_s = $start, end_s = $end, secs = $secs, audio_key = $key, audio_until = $until, bytes = $bytes,
             status = $status, transcript = NONE, error = NONE, attempts = 0, lease_until = 0, created_at = $now;",
    );
    let status = if transcribes {
        SegmentStatus::Queued
    } else {
        SegmentStatus::Untranscribed
    };
    let until = keep.audio_until(now);
    let res = crate::db::transact(|| {
        on_answer(db, a, sql)
            .bind(("sid", sid.clone()))
            .bind(("key", key.clone()))
            .bind(("seq", seq as i64))
            .bind(("start", start))
            .bind(("end", end))
            .bind(("secs", secs))
            .bind(("bytes", bytes))
            .bind(("until", until))
            .bind(("status", status))
            .bind(("now", now))
    })
    .await;
    if !matches!(res, Ok(Some(_))) {
        let _ = keeping.blobs.delete(&key).await;
    }
    match res {
        Ok(Some(_)) => Ok(SegmentAck {
            seq,
            duplicate: false,
        }),
        // Still meeting the person's other writes after every try: refused, sent again later.
        Ok(None) => Err(AppError::RateLimited(1)),
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
pub(super) struct SegRow {
    pub(super) seq: i64,
    pub(super) start_s: f64,
    pub(super) end_s: f64,
    pub(super) status: SegmentStatus,
    pub(super) transcript: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct AnswerRow {
    pub(super) status: AnswerStatus,
    pub(super) error: Option<String>,
}

pub(super) async fn segments(
    db: &Db,
    a: &AnswerRef,
) -> Result<(Vec<SegRow>, Option<AnswerRow>), AppError> {
    let mut r = on_answer(
        db,
        a,
        concat!(
            "SELECT seq, start_s, end_s, status, transcript FROM voice_segment
                 WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part ORDER BY seq;
             SELECT status, error FROM ONLY voice_answer
                 WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part LIMIT 1;"
        ),
    )
    .await?
    .check()?;
    Ok((r.take(0)?, r.take(1)?))
}

pub(super) fn transcript_of(rows: &[SegRow]) -> String {
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
    q: Question<'_>,
    transcriber: &Transcriber,
) -> Result<VoiceStatus, AppError> {
    let a = match open_answer(db, desk, q).await {
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

/// Deletes a question's recordings (its answer is being answered afresh).
pub async fn delete_for_item(db: &Db, uid: &str, id: &str, position: u32) -> Result<(), AppError> {
    db.query(concat!(
        "DELETE voice_segment WHERE ",
        crate::of_interview!(),
        " AND position = $pos;
         DELETE voice_answer WHERE ",
        crate::of_interview!(),
        " AND position = $pos;"
    ))
    .bind(("id", id.to_string()))
    .bind(("uid", uid.to_string()))
    .bind(("pos", position as i64))
    .await?
    .check()?;
    Ok(())
}
