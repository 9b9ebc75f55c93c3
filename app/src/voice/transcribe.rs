//! Transcription behind one interface, off the request path: a bounded pool of workers takes
//! queued segments from the database (with a lease, so several app nodes can share one
//! database), transcribes them and, when an answer's last segment is done, hands the answer
//! to the evaluator.
//!
//! Engines: Whisper in-process (`whisper.rs`, the default once `viva models fetch` has run),
//! any OpenAI-compatible `/v1/audio/transcriptions` (OpenAI, Groq, self-hosted Whisper
//! servers) and Gemini `generateContent` with the audio inline. Without an engine,
//! segments are kept as `untranscribed` and the person types what they said.

use std::{sync::Arc, time::Duration};

use base64::Engine as _;
use serde_json::{json, Value};
use surrealdb::types::SurrealValue;
use tokio::sync::Notify;

use super::model::{AnswerStatus, Part, SegmentStatus};
use super::AnswerDesk;
use crate::feedback::hosted::{Hosted, Protocol};
use crate::{clock::Clock, db::is_conflict, db::Db, AppError};

/// Workers per app node (each runs one transcription at a time).
pub const WORKERS: usize = 2;
/// A claimed segment not finished within this many seconds is taken up again.
pub const LEASE_SECS: i64 = 300;
/// Attempts per segment before it is marked failed.
pub const ATTEMPTS: i64 = 3;
/// How often idle workers look for work (they are also woken on upload and hand-in).
pub const POLL: Duration = Duration::from_secs(2);

/// Who turns speech into text.
#[derive(Clone, Debug)]
pub enum Transcriber {
    /// No engine: the audio is kept and the person types the transcript.
    None,
    /// A hosted service, with Whisper here (when its model is present) for the people who
    /// chose to keep their answers on this server.
    Hosted(Hosted, Option<Arc<super::whisper::Whisper>>),
    /// Whisper in-process (candle), from a Hugging Face layout folder.
    Local(Arc<super::whisper::Whisper>),
}

/// The engine for one person: a hosted one only when they allowed it (their latest
/// `hosted_ai` consent), else Whisper here when its model is present, else nobody (they type).
pub async fn for_person(db: &Db, uid: &str, t: &Transcriber) -> Result<Transcriber, AppError> {
    let Transcriber::Hosted(_, fallback) = t else {
        return Ok(t.clone());
    };
    let allowed = crate::policy::service::choice(db, uid, crate::policy::ConsentKind::HostedAi)
        .await?
        == Some(true);
    Ok(if allowed {
        t.clone()
    } else {
        match fallback {
            Some(w) => Transcriber::Local(w.clone()),
            None => Transcriber::None,
        }
    })
}

impl Transcriber {
    pub fn enabled(&self) -> bool {
        !matches!(self, Transcriber::None)
    }

    /// How the page names it.
    pub fn name(&self) -> Option<String> {
        match self {
            Transcriber::None => None,
            Transcriber::Hosted(h, _) => Some(match h.protocol {
                Protocol::OpenAi => format!("OpenAI-compatible transcription: {}", h.model),
                Protocol::Gemini => format!("Gemini transcription: {}", h.model),
            }),
            Transcriber::Local(w) => Some(w.name.clone()),
        }
    }

    /// Texts of several segments of one answer, in order. Embedded Whisper lays them into
    /// shared 30-second windows (one encoder pass for many short segments); a hosted service
    /// gets one request per segment.
    pub async fn transcribe_many(&self, wavs: Vec<Vec<u8>>) -> Vec<Result<String, String>> {
        match self {
            Transcriber::None => wavs
                .iter()
                .map(|_| Err("no transcriber is configured".into()))
                .collect(),
            Transcriber::Hosted(h, _) => {
                let mut out = Vec::with_capacity(wavs.len());
                for wav in &wavs {
                    out.push(hosted(h, wav).await);
                }
                out
            }
            Transcriber::Local(w) => {
                let (w, n) = (w.clone(), wavs.len());
                let run = tokio::task::spawn_blocking(move || {
                    let decoded: Vec<Result<Vec<f32>, String>> = wavs
                        .iter()
                        .map(|b| {
                            voice::wav::decode(b)
                                .map(|a| a.samples)
                                .map_err(|e| e.to_string())
                        })
                        .collect();
                    let good: Vec<&[f32]> = decoded
                        .iter()
                        .filter_map(|d| d.as_ref().ok().map(Vec::as_slice))
                        .collect();
                    let mut texts = w
                        .transcribe_many(&good)
                        .map_err(|e| e.to_string())?
                        .into_iter();
                    Ok::<_, String>(
                        decoded
                            .iter()
                            .map(|d| match d {
                                Ok(_) => Ok(texts.next().unwrap_or_default()),
                                Err(e) => Err(e.clone()),
                            })
                            .collect::<Vec<_>>(),
                    )
                })
                .await
                .map_err(|e| format!("the transcription task failed: {e}"))
                .and_then(|r| r);
                match run {
                    Ok(texts) => texts,
                    Err(e) => vec![Err(e); n],
                }
            }
        }
    }
}

fn multipart(boundary: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    let (name, filename, bytes) = file;
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: audio/wav\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

async fn hosted(h: &Hosted, wav: &[u8]) -> Result<String, String> {
    use crate::outbound::Attempt;
    let client = crate::outbound::client()?;
    crate::outbound::with_retries(|| async {
        let req = match h.protocol {
            Protocol::OpenAi => {
                let boundary = format!("viva{:016x}", rand::random::<u64>());
                let body = multipart(
                    &boundary,
                    &[("model", &h.model), ("response_format", "json")],
                    ("file", "segment.wav", wav),
                );
                let mut r = client
                    .post(format!(
                        "{}/audio/transcriptions",
                        h.base_url.trim_end_matches('/')
                    ))
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body);
                if let Some(k) = &h.api_key {
                    r = r.bearer_auth(k.expose());
                }
                r
            }
            Protocol::Gemini => {
                let body = json!({
                    "contents": [{ "parts": [
                        { "text": "Transcribe this interview answer verbatim, including fillers such as um and uh. Reply with the transcript only." },
                        { "inline_data": { "mime_type": "audio/wav", "data": base64::engine::general_purpose::STANDARD.encode(wav) } }
                    ]}]
                });
                let mut r = client
                    .post(format!(
                        "{}/v1beta/models/{}:generateContent",
                        h.base_url.trim_end_matches('/'),
                        h.model
                    ))
                    .header("content-type", "application/json")
                    .body(body.to_string());
                if let Some(k) = &h.api_key {
                    r = r.header("x-goog-api-key", k.expose());
                }
                r
            }
        };
        let res = match req.timeout(h.timeout).send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry(if e.is_timeout() {
                    "the transcription service did not answer in time".into()
                } else {
                    format!("could not reach the transcription service: {e}")
                });
            }
        };
        let status = res.status();
        if status.is_redirection() {
            return Attempt::Fail(format!(
                "the transcription service {}",
                crate::outbound::redirect_refused(&res, "--stt-url")
            ));
        }
        let body = res.text().await.unwrap_or_default();
        if status.is_server_error() || status.as_u16() == 429 {
            return Attempt::Retry(format!("the transcription service answered {status}"));
        }
        if !status.is_success() {
            return Attempt::Fail(format!(
                "the transcription service refused the request ({status})"
            ));
        }
        let Ok(v) = serde_json::from_str::<Value>(&body) else {
            return Attempt::Fail(
                "the transcription service sent something that is not JSON".into(),
            );
        };
        let text = match h.protocol {
            Protocol::OpenAi => v["text"].as_str().map(str::to_string),
            Protocol::Gemini => v["candidates"][0]["content"]["parts"]
                .as_array()
                .map(|parts| {
                    parts
                        .iter()
                        .filter_map(|p| p["text"].as_str())
                        .collect::<Vec<_>>()
                        .join("")
                }),
        };
        match text {
            Some(t) => Attempt::Done(t.trim().to_string()),
            None => Attempt::Fail("the transcription service's reply has no transcript".into()),
        }
    })
    .await
}

#[derive(Debug, Clone, SurrealValue)]
struct Due {
    id: String,
    uid: String,
    interview: String,
    position: i64,
    part: Part,
    attempts: i64,
    secs: f64,
    seq: i64,
}

#[derive(Debug, Clone, SurrealValue)]
struct Claimed {
    seq: i64,
    audio_key: Option<String>,
}

/// Runs a write, again after a short pause when it met a concurrent one (a worker's result
/// must land, or its segments would wait out their lease).
async fn with_retries<R>(query: impl Fn() -> R) -> Result<(), AppError>
where
    R: std::future::IntoFuture<Output = Result<surrealdb::IndexedResults, surrealdb::Error>>,
{
    let query = &query;
    match crate::db::retry_conflicts(|| async move { query().await.and_then(|r| r.check()) })
        .await?
    {
        Some(_) => Ok(()),
        None => Err(AppError::internal(
            "transcription write",
            "still meeting concurrent writes after every retry",
        )),
    }
}

/// Most audio a worker takes from one answer at once (four 30-second windows).
pub const BATCH_SECS: f64 = 120.0;
/// How long a segment may wait for more of its answer to arrive before it is transcribed.
pub const GATHER_SECS: i64 = 8;
/// Queued speech of one answer that is transcribed without waiting (most of a window).
pub const GATHER_SPEECH_SECS: f64 = 20.0;

/// The workers: started once per app node.
#[derive(Clone)]
pub struct Workers {
    pub wake: Arc<Notify>,
}

impl Workers {
    pub fn spawn(
        db: Db,
        blobs: crate::blob::Blobs,
        transcriber: Arc<Transcriber>,
        desk: Arc<dyn AnswerDesk>,
        clock: Clock,
        tasks: &mut tokio::task::JoinSet<()>,
    ) -> Workers {
        let wake = Arc::new(Notify::new());
        if transcriber.enabled() {
            for _ in 0..WORKERS {
                let (db, blobs, t, desk, clock, wake) = (
                    db.clone(),
                    blobs.clone(),
                    transcriber.clone(),
                    desk.clone(),
                    clock.clone(),
                    wake.clone(),
                );
                tasks.spawn(async move {
                    loop {
                        match work_once(&db, &blobs, &t, desk.as_ref(), &clock).await {
                            Ok(true) => continue,
                            Ok(false) => {}
                            Err(e) => tracing::warn!(error = %e, "transcription worker"),
                        }
                        tokio::select! {
                            _ = wake.notified() => {}
                            _ = tokio::time::sleep(POLL) => {}
                        }
                    }
                });
            }
        }
        Workers { wake }
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct Waiting {
    interview: String,
    position: i64,
    part: Part,
    since: i64,
    secs: f64,
}

#[derive(Debug, Clone, SurrealValue, PartialEq)]
struct AnswerKey {
    interview: String,
    position: i64,
    part: Part,
}

/// Whether an answer's queued segments are worth a transcription pass now: it was handed in
/// (someone waits for it), or enough speech has gathered to fill most of a window, or its
/// oldest segment has waited [`GATHER_SECS`] for company.
pub fn ready(handed_in: bool, waiting_since: i64, queued_secs: f64, now: i64) -> bool {
    handed_in || queued_secs >= GATHER_SPEECH_SECS || now - waiting_since >= GATHER_SECS
}

/// Transcribes the due segments of one answer, together: one 30-second Whisper window costs
/// about the same for 3 s of speech as for 25 s, so segments that arrive while someone speaks
/// wait up to [`GATHER_SECS`] for others of the same answer (and a hand-in takes what is left
/// at once). False when nothing was ready.
pub async fn work_once(
    db: &Db,
    blobs: &crate::blob::Blobs,
    t: &Transcriber,
    desk: &dyn AnswerDesk,
    clock: &Clock,
) -> Result<bool, AppError> {
    let now = clock.now();
    const DUE: &str = "status = $queued OR (status = $transcribing AND lease_until <= $now)";
    const FIELDS: &str = "record::id(id) AS id, record::id(user) AS uid, record::id(interview) AS interview, position, part, attempts, secs, seq";
    // Queued segments and those whose lease ran out, each an index range (segment_queue);
    // then the answers someone handed in and waits for.
    let mut r = db
        .query(
            "SELECT record::id(interview) AS interview, position, part, math::min(created_at) AS since, math::sum(secs) AS secs
             FROM voice_segment WHERE status = $queued GROUP BY interview, position, part;
             SELECT record::id(interview) AS interview, position, part, math::min(created_at) AS since, math::sum(secs) AS secs
             FROM voice_segment WHERE status = $transcribing AND lease_until <= $now GROUP BY interview, position, part;
             SELECT record::id(interview) AS interview, position, part FROM voice_answer WHERE status = $handed_in;",
        )
        .bind(("queued", SegmentStatus::Queued))
        .bind(("transcribing", SegmentStatus::Transcribing))
        .bind(("handed_in", AnswerStatus::Transcribing))
        .bind(("now", now))
        .await?
        .check()?;
    let queued: Vec<Waiting> = r.take(0)?;
    let expired: Vec<Waiting> = r.take(1)?;
    let handed_in: Vec<AnswerKey> = r.take(2)?;
    let mut waiting: Vec<Waiting> = Vec::new();
    for w in queued.into_iter().chain(expired) {
        match waiting
            .iter_mut()
            .find(|x| x.interview == w.interview && x.position == w.position && x.part == w.part)
        {
            Some(x) => {
                x.since = x.since.min(w.since);
                x.secs += w.secs;
            }
            None => waiting.push(w),
        }
    }
    waiting.sort_by_key(|w| w.since);
    for first in waiting {
        let key = AnswerKey {
            interview: first.interview.clone(),
            position: first.position,
            part: first.part,
        };
        if !ready(handed_in.contains(&key), first.since, first.secs, now) {
            continue;
        }
        let mut r = db
            .query(format!(
                "SELECT {FIELDS} FROM voice_segment
                 WHERE interview = type::record('interview', $interview) AND position = $position AND part = $part AND ({DUE}) ORDER BY seq"
            ))
            .bind(("interview", first.interview.clone()))
            .bind(("position", first.position))
            .bind(("part", first.part))
            .bind(("queued", SegmentStatus::Queued))
            .bind(("transcribing", SegmentStatus::Transcribing))
            .bind(("now", now))
            .await?
            .check()?;
        let mut due: Vec<Due> = r.take(0)?;
        let mut total = 0.0;
        due.retain(|d| {
            total += d.secs;
            total <= BATCH_SECS || total == d.secs
        });
        // Claim them in one statement: two workers that reach the same answer at once do not
        // split it (the store refuses the second writer, which moves on to other work).
        let seqs: Vec<i64> = due.iter().map(|d| d.seq).collect();
        // The lease's end is also this claim's token: a worker whose lease ran out (it was
        // paused, or its node seemed dead) writes nothing over the one that took its segments.
        let lease = now + LEASE_SECS;
        let claim = db
            .query(format!(
                "UPDATE voice_segment SET status = $transcribing, lease_until = $lease, attempts = attempts + 1
                 WHERE interview = type::record('interview', $interview) AND position = $position AND part = $part AND seq IN $seqs AND ({DUE})
                 RETURN seq, audio_key"
            ))
            .bind(("interview", first.interview.clone()))
            .bind(("position", first.position))
            .bind(("part", first.part))
            .bind(("seqs", seqs))
            .bind(("queued", SegmentStatus::Queued))
            .bind(("transcribing", SegmentStatus::Transcribing))
            .bind(("now", now))
            .bind(("lease", lease))
            .await
            .and_then(|r| r.check());
        let mut claimed: Vec<Claimed> = match claim {
            Ok(mut r) => r.take(0)?,
            Err(e) if is_conflict(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        claimed.sort_by_key(|c| c.seq);
        let mine: Vec<Due> = due
            .into_iter()
            .filter(|d| claimed.iter().any(|c| c.seq == d.seq))
            .collect();
        if mine.is_empty() {
            continue;
        }
        // The audio from the blob store (a missing one transcribes as nothing and fails).
        let mut audio: Vec<Vec<u8>> = Vec::with_capacity(claimed.len());
        for c in &claimed {
            audio.push(match &c.audio_key {
                Some(k) => blobs.get(k).await?.unwrap_or_default(),
                None => Vec::new(),
            });
        }
        let started = std::time::Instant::now();
        let bytes: usize = audio.iter().map(Vec::len).sum();
        // Whoever chose to keep their answers on this server (or has not chosen) is transcribed
        // here, or types what they said when no model is here.
        let mine_t = for_person(db, &mine[0].uid, t).await?;
        let t = &mine_t;
        let results = t.transcribe_many(audio).await;
        // Nobody here to transcribe (the person keeps answers on this server and no Whisper
        // model is present): at once to "type what you said", not after retries.
        let final_now = matches!(t, Transcriber::None);
        tracing::info!(interview = %first.interview, segments = mine.len(), bytes, ms = started.elapsed().as_millis() as u64, "segments transcribed");
        let mut settled = false;
        for (d, result) in mine.iter().zip(results) {
            let (status, text, error) = match result {
                Ok(text) => (SegmentStatus::Done, Some(text), None),
                Err(e) if d.attempts + 1 < ATTEMPTS && !final_now => {
                    tracing::warn!(segment = %d.id, error = %e, "transcription failed; will retry");
                    (SegmentStatus::Queued, None, Some(e))
                }
                Err(e) => {
                    tracing::warn!(segment = %d.id, error = %e, "transcription failed");
                    (SegmentStatus::Failed, None, Some(e))
                }
            };
            settled |= status != SegmentStatus::Queued;
            let (id, text, error) = (d.id.clone(), text.clone(), error.clone());
            with_retries(|| {
                db.query("UPDATE type::record('voice_segment', $id) SET status = $status, transcript = $text, error = $error, lease_until = 0,
                        transcribed_at = IF $status = 'done' THEN $now ELSE NONE END
                        WHERE status = $transcribing AND lease_until = $lease")
                    .bind(("id", id.clone()))
                    .bind(("transcribing", SegmentStatus::Transcribing))
                    .bind(("lease", lease))
                    .bind(("now", now))
                    .bind(("status", status))
                    .bind(("text", text.clone()))
                    .bind(("error", error.clone()))
            })
            .await?;
        }
        if settled {
            let answer = super::AnswerRef {
                user: mine[0].uid.clone(),
                interview: first.interview.clone(),
                position: first.position as u32,
                part: first.part,
            };
            super::service::try_complete(db, desk, &answer, clock.now()).await?;
        }
        return Ok(true);
    }
    Ok(false)
}

/// The longest spoken answer a visitor may try without an account, in seconds of speech.
pub const TRY_MAX_SECS: f64 = 120.0;
/// Its largest upload: one 16 kHz mono 16-bit WAV of [`TRY_MAX_SECS`], with room for the
/// multipart envelope.
pub const TRY_UPLOAD_BYTES: usize = 44 + (TRY_MAX_SECS as usize) * 32_000 + 8 * 1024;

/// Transcribes one WAV on this server, now, keeping nothing: for a question tried without an
/// account. Only Whisper here (a visitor agreed to no outside service); without it, a 400
/// that says to type instead.
pub async fn transcribe_here(t: &Transcriber, wav: Vec<u8>) -> Result<String, AppError> {
    let local = match t {
        Transcriber::Local(w) | Transcriber::Hosted(_, Some(w)) => Transcriber::Local(w.clone()),
        _ => {
            return Err(AppError::BadRequest(
                "Spoken answers cannot be transcribed on this site. Type your answer instead."
                    .into(),
            ))
        }
    };
    let audio = voice::wav::decode(&wav).map_err(|e| {
        AppError::BadRequest(format!(
            "The recording is not a WAV file Viva can read: {e}."
        ))
    })?;
    let secs = audio.samples.len() as f64 / audio.rate.max(1) as f64;
    if secs > TRY_MAX_SECS {
        return Err(AppError::BadRequest(format!(
            "The recording is {secs:.0} s of speech; answers you try here can be at most {TRY_MAX_SECS:.0} s."
        )));
    }
    let mut out = local.transcribe_many(vec![wav]).await;
    match out.pop() {
        Some(Ok(text)) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Some(Ok(_)) => Err(AppError::BadRequest(
            "No words were recognised. Speak a little closer to the microphone, or type your answer.".into(),
        )),
        Some(Err(e)) => Err(AppError::internal("transcribing a tried answer", e)),
        None => Err(AppError::internal("transcribing a tried answer", "no result")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_wait_for_company_unless_someone_waits_for_them() {
        let now = 1_000;
        // Just arrived, a few seconds of speech, not handed in: wait.
        assert!(!ready(false, now - 1, 3.0, now));
        assert!(!ready(
            false,
            now - GATHER_SECS + 1,
            GATHER_SPEECH_SECS - 0.1,
            now
        ));
        // Handed in, or waited long enough, or enough to fill most of a window: go.
        assert!(ready(true, now, 1.0, now));
        assert!(ready(false, now - GATHER_SECS, 1.0, now));
        assert!(ready(false, now, GATHER_SPEECH_SECS, now));
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed_so_the_key_and_the_audio_go_nowhere_else() {
        use crate::feedback::hosted::tests::{serve, Answer};
        for protocol in [Protocol::OpenAi, Protocol::Gemini] {
            let elsewhere = serve(vec![Answer::Json(200, r#"{"text":"hello"}"#.into())]).await;
            let local = serve(vec![Answer::Redirect(
                307,
                format!("{}/v1/audio/transcriptions", elsewhere.url),
            )])
            .await;
            let h = Hosted {
                protocol,
                base_url: local.url.clone(),
                api_key: Some("sk-test".into()),
                model: "m".into(),
                timeout: Duration::from_secs(5),
            };
            let res = hosted(&h, &voice::wav::encode_i16(16_000, &[0; 160])).await;
            let reached = elsewhere.seen.lock().unwrap().clone();
            assert!(
                !reached
                    .iter()
                    .any(|(_, head, _)| head.contains("authorization:")
                        || head.contains("x-goog-api-key:")),
                "{protocol:?}: the key was sent to the redirect's target: {reached:?}"
            );
            assert!(
                reached.is_empty(),
                "{protocol:?}: the redirect was followed"
            );
            let err = res.unwrap_err();
            assert!(
                err.starts_with("the transcription service answered with a redirect (HTTP 307")
                    && err.contains("Set --stt-url"),
                "{err}"
            );
            assert_eq!(
                local.seen.lock().unwrap().len(),
                1,
                "a redirect is not retried"
            );
        }
    }

    #[test]
    fn the_multipart_body_carries_the_fields_and_the_file() {
        let body = multipart(
            "b0",
            &[("model", "whisper-1")],
            ("file", "segment.wav", b"RIFFdata"),
        );
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(
            "--b0\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
        ));
        assert!(text.contains("name=\"file\"; filename=\"segment.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFdata\r\n--b0--\r\n"));
    }
}
