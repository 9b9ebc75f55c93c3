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

use crate::feedback::evaluator::Evaluator;
use crate::feedback::hosted::{Hosted, Protocol};
use crate::{clock::Clock, db::Db, AppError};

/// Workers per app node (each runs one transcription at a time).
pub const WORKERS: usize = 2;
/// A claimed segment not finished within this many seconds is taken up again.
pub const LEASE_SECS: i64 = 300;
/// Attempts per segment before it is marked failed.
pub const ATTEMPTS: i64 = 3;
/// How often idle workers look for work (they are also woken on upload).
pub const POLL: Duration = Duration::from_secs(5);

/// Who turns speech into text.
#[derive(Clone, Debug)]
pub enum Transcriber {
    /// No engine: the audio is kept and the person types the transcript.
    None,
    Hosted(Hosted),
    /// Whisper in-process (candle), from a Hugging Face layout folder.
    Local(Arc<super::whisper::Whisper>),
}

impl Transcriber {
    pub fn enabled(&self) -> bool {
        !matches!(self, Transcriber::None)
    }

    /// How the page names it.
    pub fn name(&self) -> Option<String> {
        match self {
            Transcriber::None => None,
            Transcriber::Hosted(h) => Some(match h.protocol {
                Protocol::OpenAi => format!("OpenAI-compatible transcription: {}", h.model),
                Protocol::Gemini => format!("Gemini transcription: {}", h.model),
            }),
            Transcriber::Local(w) => Some(w.name.clone()),
        }
    }

    /// Text of one 16 kHz WAV segment.
    pub async fn transcribe(&self, wav: &[u8]) -> Result<String, String> {
        match self {
            Transcriber::None => Err("no transcriber is configured".into()),
            Transcriber::Hosted(h) => hosted(h, wav).await,
            Transcriber::Local(w) => {
                let (w, wav) = (w.clone(), wav.to_vec());
                tokio::task::spawn_blocking(move || {
                    let audio = voice::wav::decode(&wav).map_err(|e| e.to_string())?;
                    w.transcribe(&audio.samples).map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| format!("the transcription task failed: {e}"))?
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
    let client = reqwest::Client::builder().timeout(h.timeout).build().map_err(|e| e.to_string())?;
    let mut last = String::new();
    for attempt in 0..crate::feedback::hosted::HOSTED_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(crate::feedback::hosted::HOSTED_BACKOFF * 2u32.pow(attempt - 1)).await;
        }
        let req = match h.protocol {
            Protocol::OpenAi => {
                let boundary = format!("viva{:016x}", rand::random::<u64>());
                let body = multipart(&boundary, &[("model", &h.model), ("response_format", "json")], ("file", "segment.wav", wav));
                let mut r = client
                    .post(format!("{}/audio/transcriptions", h.base_url.trim_end_matches('/')))
                    .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                    .body(body);
                if let Some(k) = &h.api_key {
                    r = r.bearer_auth(k);
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
                let mut r = client.post(format!("{}/v1beta/models/{}:generateContent", h.base_url.trim_end_matches('/'), h.model)).header("content-type", "application/json").body(body.to_string());
                if let Some(k) = &h.api_key {
                    r = r.header("x-goog-api-key", k);
                }
                r
            }
        };
        let res = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                last = if e.is_timeout() { "the transcription service did not answer in time".into() } else { format!("could not reach the transcription service: {e}") };
                continue;
            }
        };
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if status.is_server_error() || status.as_u16() == 429 {
            last = format!("the transcription service answered {status}");
            continue;
        }
        if !status.is_success() {
            return Err(format!("the transcription service refused the request ({status})"));
        }
        let v: Value = serde_json::from_str(&body).map_err(|_| "the transcription service sent something that is not JSON".to_string())?;
        let text = match h.protocol {
            Protocol::OpenAi => v["text"].as_str().map(str::to_string),
            Protocol::Gemini => v["candidates"][0]["content"]["parts"]
                .as_array()
                .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join("")),
        };
        return text.map(|t| t.trim().to_string()).ok_or_else(|| "the transcription service's reply has no transcript".to_string());
    }
    Err(last)
}

#[derive(Debug, Clone, SurrealValue)]
struct Due {
    id: String,
    uid: String,
    interview: String,
    position: i64,
    part: String,
    attempts: i64,
}

/// The workers: started once per app node.
#[derive(Clone)]
pub struct Workers {
    pub wake: Arc<Notify>,
}

impl Workers {
    pub fn spawn(db: Db, transcriber: Arc<Transcriber>, evaluator: Arc<Evaluator>, clock: Clock) -> Workers {
        let wake = Arc::new(Notify::new());
        if transcriber.enabled() {
            for _ in 0..WORKERS {
                let (db, t, ev, clock, wake) = (db.clone(), transcriber.clone(), evaluator.clone(), clock.clone(), wake.clone());
                tokio::spawn(async move {
                    loop {
                        match work_once(&db, &t, &ev, &clock).await {
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

/// Transcribes one due segment; false when there was none.
pub async fn work_once(db: &Db, t: &Transcriber, ev: &Evaluator, clock: &Clock) -> Result<bool, AppError> {
    let now = clock.now();
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, record::id(user) AS uid, record::id(interview) AS interview, position, part, attempts FROM voice_segment
             WHERE status = 'queued' OR (status = 'transcribing' AND lease_until <= $now) ORDER BY created_at LIMIT 5",
        )
        .bind(("now", now))
        .await?
        .check()?;
    let due: Vec<Due> = r.take(0)?;
    for d in due {
        let mut r = db
            .query(
                "UPDATE type::record('voice_segment', $id) SET status = 'transcribing', lease_until = $lease, attempts = attempts + 1
                 WHERE status = 'queued' OR (status = 'transcribing' AND lease_until <= $now) RETURN VALUE audio",
            )
            .bind(("id", d.id.clone()))
            .bind(("now", now))
            .bind(("lease", now + LEASE_SECS))
            .await?
            .check()?;
        let claimed: Vec<surrealdb::types::Bytes> = r.take(0)?;
        let Some(audio) = claimed.into_iter().next() else { continue };
        let started = std::time::Instant::now();
        let result = t.transcribe(&audio).await;
        tracing::info!(segment = %d.id, bytes = audio.len(), ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "segment transcribed");
        let (status, text, error) = match result {
            Ok(text) => ("done", Some(text), None),
            Err(e) if d.attempts + 1 < ATTEMPTS => {
                tracing::warn!(segment = %d.id, error = %e, "transcription failed; will retry");
                ("queued", None, Some(e))
            }
            Err(e) => {
                tracing::warn!(segment = %d.id, error = %e, "transcription failed");
                ("failed", None, Some(e))
            }
        };
        db.query("UPDATE type::record('voice_segment', $id) SET status = $status, transcript = $text, error = $error, lease_until = 0")
            .bind(("id", d.id.clone()))
            .bind(("status", status))
            .bind(("text", text))
            .bind(("error", error))
            .await?
            .check()?;
        if status != "queued" {
            super::service::try_complete(db, ev, &d.uid, &d.interview, d.position as u32, &d.part, clock.now()).await?;
        }
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multipart_body_carries_the_fields_and_the_file() {
        let body = multipart("b0", &[("model", "whisper-1")], ("file", "segment.wav", b"RIFFdata"));
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--b0\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"));
        assert!(text.contains("name=\"file\"; filename=\"segment.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFdata\r\n--b0--\r\n"));
    }
}
