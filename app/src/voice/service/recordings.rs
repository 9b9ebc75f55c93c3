//! Recordings: the person decides. Not kept (the default): a segment's audio is dropped as
//! soon as its answer is evaluated (the transcript, timings and analytics stay), or a day
//! after it was recorded when the answer is never handed in. Kept: the audio stays for the
//! retention period and plays back in the report. The sweeper drops what has run out.

use surrealdb::types::SurrealValue;

use super::super::model::*;
use super::super::AnswerRef;
use super::*;
use crate::db::Db;
use crate::AppError;

/// The segments whose audio is still needed: waiting for (or under) transcription.
const STILL_NEEDED: &str = "status IN ['queued', 'transcribing']";

/// Whether `uid` keeps recordings, with the operator's retention period.
pub async fn policy(db: &Db, uid: &str, retention_days: u32) -> Result<RecordingPolicy, AppError> {
    let mut r = db
        .query("SELECT VALUE keep_recordings FROM type::record('voice_setting', $uid)")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let keep: Vec<bool> = r.take(0)?;
    Ok(RecordingPolicy {
        keep: keep.first().copied().unwrap_or(false),
        retention_days,
    })
}

/// Sets whether `uid` keeps recordings. Turning it off deletes every recording kept so far
/// (only audio still waiting for its transcript stays, until its answer is evaluated);
/// turning it on keeps what is recorded from now on. Returns how many segments lost their audio.
pub async fn set_keep(db: &Db, uid: &str, keep: bool, now: i64) -> Result<u64, AppError> {
    // Behind the account's fence: no setting outlives an account deleted meanwhile.
    let sql = format!(
        "BEGIN TRANSACTION;\n{}
             UPSERT type::record('voice_setting', $uid) SET user = type::record('user', $uid), keep_recordings = $keep, updated_at = $now;
             IF $keep {{ 0 }} ELSE {{
                 array::len(UPDATE voice_segment SET audio_key = NONE, audio_until = NONE
                     WHERE user = type::record('user', $uid) AND audio_key != NONE AND !({STILL_NEEDED}) RETURN VALUE id)
             }};
             COMMIT TRANSACTION;",
        crate::account_fence!()
    );
    let mut r = crate::db::write(|| {
        db.query(sql.as_str())
            .bind(("uid", uid.to_string()))
            .bind(("keep", keep))
            .bind(("now", now))
    })
    .await?;
    // Results: BEGIN (0), the fence's IF (1) and UPSERT (2), UPSERT (3), IF (4).
    let dropped: Option<i64> = r.take(4)?;
    Ok(dropped.unwrap_or(0) as u64)
}

/// After an answer is evaluated: drops its audio unless its owner keeps recordings.
pub async fn after_evaluation(db: &Db, a: &AnswerRef) -> Result<(), AppError> {
    on_answer(
        db,
        a,
        concat!(
            "IF (SELECT VALUE keep_recordings FROM type::record('voice_setting', $uid))[0] != true {
                 UPDATE voice_segment SET audio_key = NONE, audio_until = NONE
                     WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part AND audio_key != NONE;
             };"
        ),
    )
    .await?
    .check()?;
    Ok(())
}

/// Drops the audio whose time has come (kept recordings past their retention, recordings of
/// answers never handed in). Returns how many segments lost their audio.
pub async fn sweep(db: &Db, now: i64) -> Result<u64, AppError> {
    let mut r = db
        .query(format!(
            "UPDATE voice_segment SET audio_key = NONE, audio_until = NONE
                 WHERE audio_until != NONE AND audio_until <= $now AND !({STILL_NEEDED}) RETURN VALUE id"
        ))
        .bind(("now", now))
        .await?
        .check()?;
    let gone: Vec<surrealdb::types::RecordId> = r.take(0)?;
    Ok(gone.len() as u64)
}

/// The parts of questions of the caller's interview `id` whose recording is kept.
pub async fn kept_parts(db: &Db, uid: &str, id: &str) -> Result<Vec<(u32, Part)>, AppError> {
    #[derive(Debug, Clone, SurrealValue)]
    struct Row {
        position: i64,
        part: Part,
    }
    check_id(id)?;
    let mut r = db
        .query(concat!(
            "SELECT position, part FROM voice_segment WHERE ",
            crate::of_interview!(),
            " AND audio_key != NONE GROUP BY position, part"
        ))
        .bind(("id", id.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<Row> = r.take(0)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.position as u32, r.part))
        .collect())
}

/// The kept recording of one part of a question of `uid`'s interview, as one WAV file (its
/// segments' speech one after another), or `None` when nothing of it is kept (or it is
/// someone else's).
pub async fn recording(
    db: &Db,
    blobs: &crate::blob::Blobs,
    uid: &str,
    id: &str,
    position: u32,
    part: Part,
) -> Result<Option<Vec<u8>>, AppError> {
    check_id(id)?;
    let a = AnswerRef {
        user: uid.to_string(),
        interview: id.to_string(),
        position,
        part,
    };
    let mut r = on_answer(
        db,
        &a,
        concat!(
            "SELECT VALUE audio_key FROM voice_segment WHERE ",
            crate::of_interview!(),
            " AND position = $pos AND part = $part AND audio_key != NONE ORDER BY seq"
        ),
    )
    .await?
    .check()?;
    let keys: Vec<String> = r.take(0)?;
    let mut files = Vec::with_capacity(keys.len());
    for k in &keys {
        // One dropped meanwhile is left out.
        if let Some(f) = blobs.get(k).await? {
            files.push(f);
        }
    }
    Ok(join_wavs(files.iter().map(Vec::as_slice)))
}

/// Segment files (plain 16 kHz mono 16-bit WAV, as stored) joined under one header.
pub fn join_wavs<'a>(files: impl Iterator<Item = &'a [u8]> + Clone) -> Option<Vec<u8>> {
    let header = voice::wav::HEADER_LEN;
    let len: usize = files.clone().map(|f| f.len().saturating_sub(header)).sum();
    if len == 0 {
        return None;
    }
    let mut out = voice::wav::header_i16(SEGMENT_RATE, len);
    out.reserve(len);
    for f in files {
        out.extend_from_slice(f.get(header..).unwrap_or_default());
    }
    Some(out)
}

/// One kept segment of someone's, for their export.
#[derive(Debug, Clone, SurrealValue)]
pub struct KeptSegment {
    pub id: String,
    pub interview: String,
    pub position: i64,
    pub part: Part,
    pub seq: i64,
    pub created_at: i64,
}

/// Every segment of `uid` whose audio is kept, oldest interview first.
pub async fn kept_segments(db: &Db, uid: &str) -> Result<Vec<KeptSegment>, AppError> {
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, record::id(interview) AS interview, position, part, seq, created_at
                 FROM voice_segment WHERE user = type::record('user', $uid) AND audio_key != NONE
                 ORDER BY created_at, interview, position, part, seq",
        )
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

/// The audio of one of `uid`'s segments (one at a time, so an export never holds them all).
pub async fn segment_audio(
    db: &Db,
    blobs: &crate::blob::Blobs,
    uid: &str,
    segment: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    check_id(segment)?;
    let mut r = db
        .query("SELECT VALUE audio_key FROM type::record('voice_segment', $sid) WHERE user = type::record('user', $uid)")
        .bind(("sid", segment.to_string()))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let key: Vec<Option<String>> = r.take(0)?;
    match key.into_iter().flatten().next() {
        Some(k) => blobs.get(&k).await,
        None => Ok(None),
    }
}

/// Moves audio still stored in the database (from before the blob store) to the blob store,
/// a few rows at a time; run once at start, before the workers. Returns how many moved.
pub async fn move_audio_to_blobs(db: &Db, blobs: &crate::blob::Blobs) -> Result<u64, AppError> {
    #[derive(Debug, Clone, SurrealValue)]
    struct Old {
        id: String,
        uid: String,
        audio: surrealdb::types::Bytes,
    }
    let mut moved = 0;
    loop {
        let mut r = db
            .query("SELECT record::id(id) AS id, record::id(user) AS uid, audio FROM voice_segment WHERE audio != NONE LIMIT 20")
            .await?
            .check()?;
        let rows: Vec<Old> = r.take(0)?;
        if rows.is_empty() {
            return Ok(moved);
        }
        for o in rows {
            let key = audio_key(&o.uid, &o.id);
            blobs.put(&key, o.audio.to_vec()).await?;
            db.query(
                "UPDATE type::record('voice_segment', $sid) SET audio_key = $key, audio = NONE",
            )
            .bind(("sid", o.id))
            .bind(("key", key))
            .await?
            .check()?;
            moved += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Audio stored in the database by an earlier version moves to the blob store, once, and
    /// plays back as before.
    #[tokio::test]
    async fn audio_kept_in_the_database_moves_to_the_blob_store() {
        let (_dir, db) = crate::db::temp().await;
        let blobs = crate::blob::for_tests();
        let wav = voice::wav::encode_i16(SEGMENT_RATE, &[5, 6, 7]);
        db.query(
            "CREATE user:ann SET email = 'ann@example.org', name = 'Ann', password_hash = '!', role = 'user', job_role = 'Nurse',
                 experience = 'mid', email_verified = true, disabled = false, terms_version = '1', terms_accepted_at = 0,
                 age_confirmed_at = 0, created_at = 0;
             CREATE interview:ivaaaaaaaaaaaaaaaaaa SET user = user:ann, role = 'nurse', kinds = [], difficulty = 1, mode = 'voice', focus = [],
                 status = 'finished', question_count = 1, created_at = 0;
             FOR $seq IN [0, 1] {
                 CREATE voice_segment SET user = user:ann, interview = interview:ivaaaaaaaaaaaaaaaaaa, position = 0, part = 'answer', seq = $seq,
                     start_s = $seq, end_s = $seq + 0.5, secs = 0.5, audio = $audio, audio_until = 9999999999, bytes = 50,
                     status = 'done', attempts = 1, lease_until = 0, created_at = 1;
             };",
        )
        .bind(("audio", surrealdb::types::Bytes::from(wav.clone())))
        .await
        .unwrap()
        .check()
        .unwrap();
        assert_eq!(move_audio_to_blobs(&db, &blobs).await.unwrap(), 2);
        assert_eq!(move_audio_to_blobs(&db, &blobs).await.unwrap(), 0, "once");
        let joined = recording(&db, &blobs, "ann", "ivaaaaaaaaaaaaaaaaaa", 0, Part::Answer)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            voice::wav::to_i16(&voice::wav::decode(&joined).unwrap().samples),
            vec![5, 6, 7, 5, 6, 7]
        );
        let mut r = db
            .query("RETURN count(SELECT id FROM voice_segment WHERE audio != NONE)")
            .await
            .unwrap();
        assert_eq!(r.take::<Option<i64>>(0).unwrap(), Some(0));
    }

    #[test]
    fn joined_segments_are_one_wav_of_all_their_samples() {
        let a = voice::wav::encode_i16(SEGMENT_RATE, &[1, 2, 3]);
        let b = voice::wav::encode_i16(SEGMENT_RATE, &[4, 5]);
        let joined = join_wavs([a.as_slice(), b.as_slice()].into_iter()).unwrap();
        let audio = voice::wav::decode(&joined).unwrap();
        assert_eq!(audio.rate, SEGMENT_RATE);
        assert_eq!(voice::wav::to_i16(&audio.samples), vec![1, 2, 3, 4, 5]);
        assert_eq!(join_wavs(std::iter::empty::<&[u8]>()), None);
    }
}
