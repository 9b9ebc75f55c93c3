//! Server functions of video answers. Each checks its caller; the service touches only the
//! caller's own interviews (someone else's is a 404).

use leptos::prelude::*;

use super::model::*;
use crate::AppError;

#[cfg(feature = "ssr")]
struct Ctx {
    db: crate::db::Db,
    clock: crate::clock::Clock,
    voice: crate::voice::VoiceState,
    payments: crate::billing::service::Payments,
}

#[cfg(feature = "ssr")]
impl Ctx {
    fn upload(&self) -> super::service::Upload<'_> {
        super::service::Upload {
            db: &self.db,
            blobs: &self.voice.blobs,
            desk: self.voice.desk.as_ref(),
            payments: &self.payments,
            retention_days: self.voice.retention_days,
            now: self.clock.now(),
        }
    }
}

/// (ssr) The contexts, and the signed-in caller's id (or 401).
#[cfg(feature = "ssr")]
fn ctx_and_user() -> Result<(Ctx, String), AppError> {
    use crate::request::expect;
    let caller = crate::auth::require_caller()?;
    let ctx = Ctx {
        db: expect()?,
        clock: expect()?,
        voice: expect()?,
        payments: crate::billing::service::Payments::current(),
    };
    Ok((ctx, caller.user_id))
}

#[cfg(feature = "ssr")]
fn part_of(s: &str) -> Result<Part, AppError> {
    s.parse::<Part>()
        .map_err(|_| AppError::BadRequest("\"part\" must be answer or follow-up.".into()))
}

/// Receives one chunk of a video answer (multipart: `interview`, `position`, `part`, `take`,
/// `seq` and the file `chunk`). Idempotent: the same (take, seq) twice is stored once.
#[server(endpoint = "video/chunk", input = server_fn::codec::MultipartFormData)]
pub async fn upload_video_chunk(
    data: server_fn::codec::MultipartData,
) -> Result<ChunkAck, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &CHUNK_UPLOADS, &uid, ctx.clock.now()).await?;
    let parts = crate::request::read_multipart(
        data,
        &crate::request::UploadRules {
            fields: &["interview", "position", "part", "take", "seq", "chunk"],
            max_field_bytes: MAX_CHUNK_BYTES,
            not_multipart: "Send the chunk as a multipart form upload.",
            unreadable_hint: "",
            too_large: &|_| format!("The video chunk is larger than {MAX_CHUNK_BYTES} bytes."),
        },
    )
    .await?;
    let mut form = crate::request::Form::new(parts, &["chunk"]);
    let chunk = form.file("chunk")?;
    let (id, take, part) = (
        form.text("interview")?,
        form.text("take")?,
        part_of(&form.text("part")?)?,
    );
    let take = super::service::Take {
        user: &uid,
        interview: &id,
        position: form.whole("position")?,
        part,
        take: &take,
    };
    super::service::chunk(&ctx.upload(), take, form.whole("seq")?, chunk).await
}

/// Finishes a video answer once its `count` chunks (`bytes` in all) have arrived: it is joined,
/// made seekable and kept, or refused with the reason.
#[server(endpoint = "video/finish")]
pub async fn finish_video(
    id: String,
    position: u32,
    part: String,
    take: String,
    count: u32,
    bytes: u64,
) -> Result<VideoView, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &crate::ratelimit::ANSWERS, &uid, ctx.clock.now()).await?;
    let take = super::service::Take {
        user: &uid,
        interview: &id,
        position,
        part: part_of(&part)?,
        take: &take,
    };
    super::service::finish(&ctx.upload(), take, count, bytes).await
}

/// Where the latest video of one part of question `position` stands (`None`: none recorded).
#[server(endpoint = "video/status")]
pub async fn video_status(
    id: String,
    position: u32,
    part: String,
) -> Result<Option<VideoView>, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::status(
        &ctx.db,
        ctx.voice.desk.as_ref(),
        &uid,
        &id,
        position,
        part_of(&part)?,
    )
    .await
}

/// Chunk uploads per account per hour (a long interview on camera stays well inside).
#[cfg(feature = "ssr")]
pub const CHUNK_UPLOADS: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "video_chunk_account",
    max: 7200,
    window_secs: 3600,
};
