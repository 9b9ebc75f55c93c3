//! Voice answers on the server, one file per concern: `segments` (storing what the browser
//! uploads, each once, only into its owner's open question; where a recording stands),
//! `hand_in` (once every segment is transcribed, or the person typed what they said, the
//! transcript and its speech analytics go to interview practice's desk), `analytics`,
//! `recordings` (kept or dropped as the person chose; playback; the retention sweep).

use super::model::*;
use super::{AnswerDesk, AnswerRef};
use crate::db::Db;
use crate::ids::check_id;
use crate::AppError;

mod analytics;
mod hand_in;
mod recordings;
mod segments;

pub use analytics::*;
pub use hand_in::*;
pub use recordings::*;
pub use segments::*;

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
    q: Question<'_>,
) -> Result<AnswerRef, AppError> {
    let (uid, id, position) = (q.user, q.interview, q.position);
    check_id(id)?;
    let part = desk.open_part(db, uid, id, position).await?;
    Ok(AnswerRef {
        user: uid.to_string(),
        interview: id.to_string(),
        position,
        part,
    })
}

/// The part of deleting an account that voice owns: every segment (with its audio) and
/// every spoken answer, and the recordings setting.
pub const ERASE_USER: &str =
    "DELETE voice_segment WHERE user = $user; DELETE voice_answer WHERE user = $user;
    DELETE voice_setting WHERE user = $user;";

/// The part of a person's data export that voice owns: spoken answers (transcripts and speech
/// analytics), every segment's timing and transcript (and whether its recording is kept), and
/// the recordings setting. The recordings themselves go in as WAV files.
pub const EXPORT_USER: &[(&str, &str)] = &[
    ("recording_setting", "(SELECT keep_recordings, updated_at FROM ONLY type::record('voice_setting', $uid))"),
    ("spoken_answers", "(SELECT record::id(interview) AS interview, position, part, status, transcript, analytics, created_at
        FROM voice_answer WHERE user = $user ORDER BY created_at, interview, position, part)"),
    ("speech_segments", "(SELECT record::id(interview) AS interview, position, part, seq, start_s, end_s, secs, status, transcript,
        audio_key != NONE AS recording_kept, audio_until AS recording_deleted_by, created_at
        FROM voice_segment WHERE user = $user ORDER BY created_at, interview, position, part, seq)"),
];

/// For the operator's insights: seconds each segment transcribed since `since` waited between
/// arriving and its transcript.
pub async fn queue_times_since(db: &Db, since: i64) -> Result<Vec<f64>, AppError> {
    let mut r = db
        .query("SELECT VALUE transcribed_at - created_at FROM voice_segment WHERE transcribed_at >= $since")
        .bind(("since", since))
        .await?
        .check()?;
    let v: Vec<i64> = r.take(0)?;
    Ok(v.into_iter().map(|s| s as f64).collect())
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
