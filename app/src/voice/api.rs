//! Server functions of voice answers. Each checks its caller; the service only touches the
//! caller's own interview (someone else's answers 404).

use leptos::prelude::*;

use super::model::*;
use crate::AppError;

#[cfg(feature = "ssr")]
struct Ctx {
    db: crate::db::Db,
    clock: crate::clock::Clock,
    voice: super::VoiceState,
}

/// (ssr) What the voice server functions read from the server's contexts, and the
/// signed-in caller's id (or 401).
#[cfg(feature = "ssr")]
fn ctx_and_user() -> Result<(Ctx, String), AppError> {
    use crate::request::expect;
    let caller = crate::auth::require_caller()?;
    let ctx = Ctx {
        db: expect()?,
        clock: expect()?,
        voice: expect()?,
    };
    Ok((ctx, caller.user_id))
}

/// Receives one speech segment (multipart: `interview`, `position`, `seq`, `start`, `end`
/// and the WAV file `audio`). Idempotent: the same (interview, question, seq) twice is
/// acknowledged once stored.
#[server(endpoint = "voice/segment", input = server_fn::codec::MultipartFormData)]
pub async fn upload_segment(data: server_fn::codec::MultipartData) -> Result<SegmentAck, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &SEGMENT_UPLOADS, &uid, ctx.clock.now()).await?;
    let parts = crate::request::read_multipart(
        data,
        &crate::request::UploadRules {
            fields: &["interview", "position", "seq", "start", "end", "audio"],
            max_field_bytes: MAX_SEGMENT_BYTES,
            not_multipart: "Send the segment as a multipart form upload.",
            unreadable_hint: "",
            too_large: &|_| format!("The audio segment is larger than {MAX_SEGMENT_BYTES} bytes (60 s of 16 kHz audio)."),
        },
    )
    .await?;
    let mut form = crate::request::Form::new(parts, &["audio"]);
    let audio = form.file("audio")?;
    let (id, position, seq, start, end) = (
        form.text("interview")?,
        form.whole("position")?,
        form.whole("seq")?,
        form.number("start")?,
        form.number("end")?,
    );
    let ack = super::service::upload(
        &ctx.db,
        ctx.voice.desk.as_ref(),
        super::service::Keeping {
            blobs: &ctx.voice.blobs,
            retention_days: ctx.voice.retention_days,
        },
        Question {
            user: &uid,
            interview: &id,
            position,
        },
        Segment {
            seq,
            start,
            end,
            wav: audio,
        },
        super::transcribe::for_person(&ctx.db, &uid, &ctx.voice.transcriber)
            .await?
            .enabled(),
        ctx.clock.now(),
    )
    .await?;
    if !ack.duplicate {
        ctx.voice.wake.notify_one();
    }
    Ok(ack)
}

/// Where the spoken answer to question `position` stands.
#[server(endpoint = "voice/status")]
pub async fn get_voice_status(id: String, position: u32) -> Result<VoiceStatus, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::status(
        &ctx.db,
        ctx.voice.desk.as_ref(),
        Question {
            user: &uid,
            interview: &id,
            position,
        },
        &super::transcribe::for_person(&ctx.db, &uid, &ctx.voice.transcriber).await?,
    )
    .await
}

/// Hands in the spoken answer once its `count` segments have arrived; `transcript` is what
/// the person typed when there is no transcriber (or to correct it).
#[server(endpoint = "voice/hand_in")]
pub async fn hand_in_voice(
    id: String,
    position: u32,
    count: u32,
    transcript: Option<String>,
) -> Result<VoiceStatus, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &crate::ratelimit::ANSWERS, &uid, ctx.clock.now()).await?;
    let typed = transcript.filter(|t| !t.trim().is_empty());
    let status = super::service::hand_in(
        &ctx.db,
        ctx.voice.desk.as_ref(),
        Question {
            user: &uid,
            interview: &id,
            position,
        },
        count,
        typed,
        &super::transcribe::for_person(&ctx.db, &uid, &ctx.voice.transcriber).await?,
        ctx.clock.now(),
    )
    .await?;
    // Segments that were gathering for a shared transcription pass go now (a worker busy at
    // this moment finds the permit `notify_one` leaves).
    ctx.voice.wake.notify_waiters();
    ctx.voice.wake.notify_one();
    Ok(status)
}

/// Signed in. Whether the caller's recordings are kept, and for how long.
#[server(endpoint = "voice/recording_policy")]
pub async fn get_recording_policy() -> Result<RecordingPolicy, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::memo::read(
        &uid,
        crate::memo::Read::RecordingPolicy,
        ctx.clock.now(),
        || super::service::policy(&ctx.db, &uid, ctx.voice.retention_days),
    )
    .await
}

/// Signed in. Keep recordings (from now on) or not (deleting every recording kept so far).
#[server(endpoint = "voice/keep_recordings")]
pub async fn set_keep_recordings(keep: bool) -> Result<RecordingPolicy, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    let now = ctx.clock.now();
    let dropped = super::service::set_keep(&ctx.db, &uid, keep, now).await?;
    // The choice joins the person's consent log (shown on /account, in the export).
    crate::policy::service::record(
        &ctx.db,
        crate::account_fence!(),
        &uid,
        crate::policy::ConsentKind::Recordings,
        Some(format!("{} days", ctx.voice.retention_days)),
        keep,
        now,
    )
    .await?;
    if dropped > 0 {
        tracing::info!(
            segments = dropped,
            "recordings deleted: their owner stopped keeping them"
        );
    }
    super::service::policy(&ctx.db, &uid, ctx.voice.retention_days).await
}

/// Uploads per account per hour (a 15-question interview of long answers stays well inside).
#[cfg(feature = "ssr")]
pub const SEGMENT_UPLOADS: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "voice_segment_account",
    max: 1200,
    window_secs: 3600,
};
