//! Server functions of interview practice: each checks its caller (signed in; the service
//! only touches the caller's own records), validates, and calls the service.

use leptos::prelude::*;

use super::types::*;
use crate::AppError;

#[cfg(feature = "ssr")]
struct Ctx {
    db: crate::db::Db,
    clock: crate::clock::Clock,
    evaluator: std::sync::Arc<crate::feedback::evaluator::Evaluator>,
}

/// (ssr) What the interview server functions read from the server's contexts, and the
/// signed-in caller's id (or 401).
#[cfg(feature = "ssr")]
fn ctx_and_user() -> Result<(Ctx, String), AppError> {
    use crate::request::expect;
    let caller = crate::auth::require_caller()?;
    let ctx = Ctx {
        db: expect()?,
        clock: expect()?,
        evaluator: expect()?,
    };
    Ok((ctx, caller.user_id))
}

/// Sends the browser to `path` after a form post that worked without JavaScript.
#[cfg(feature = "ssr")]
fn redirect_to(path: &str) {
    leptos_axum::redirect(path);
}

#[server(endpoint = "interview/profile")]
pub async fn get_profile() -> Result<Profile, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::load_profile(&ctx.db, &uid).await
}

#[server(endpoint = "interview/save_profile")]
pub async fn save_profile(form: ProfileForm) -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::save_profile(&ctx.db, &uid, form, ctx.clock.now()).await
}

/// Receives a resume PDF (multipart field `resume`), reads its text and skills, and keeps
/// them in place of any earlier resume.
#[server(endpoint = "interview/resume", input = server_fn::codec::MultipartFormData)]
pub async fn upload_resume(data: server_fn::codec::MultipartData) -> Result<ResumeInfo, AppError> {
    use super::resume::{ResumeError, MAX_RESUME_BYTES};
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &RESUME_UPLOADS, &uid, ctx.clock.now()).await?;
    let fields = crate::request::read_multipart(
        data,
        &crate::request::UploadRules {
            fields: &["resume"],
            max_field_bytes: MAX_RESUME_BYTES,
            not_multipart: "Send the resume as a multipart form upload.",
            unreadable_hint: "Try again with a PDF of at most 5 MB.",
            too_large: &|n| ResumeError::TooLarge(n).to_string(),
        },
    )
    .await?;
    let file = fields
        .into_iter()
        .last()
        .ok_or_else(|| AppError::BadRequest("Choose your resume (a PDF file) to upload.".into()))?;
    let name = file.file_name.unwrap_or_else(|| "resume.pdf".into());
    let bytes = file.bytes;
    let info = super::service::save_resume(&ctx.db, &uid, &name, bytes, ctx.clock.now()).await?;
    Ok(info)
}

#[server(endpoint = "interview/delete_resume")]
pub async fn delete_resume() -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::delete_resume(&ctx.db, &uid).await
}

/// Plans a new interview and goes to it.
#[server(endpoint = "interview/start")]
pub async fn start_interview(setup: SetupForm) -> Result<String, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    let setup = super::validate::validate_setup(setup)?;
    crate::ratelimit::hit(&ctx.db, &INTERVIEW_STARTS, &uid, ctx.clock.now()).await?;
    let id = super::service::start(&ctx.db, &uid, setup, ctx.clock.now()).await?;
    redirect_to(&format!("/interview/{id}"));
    Ok(id)
}

/// Three easy questions for the person's role, no setup.
#[server(endpoint = "interview/warm_up")]
pub async fn quick_warm_up() -> Result<String, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &INTERVIEW_STARTS, &uid, ctx.clock.now()).await?;
    let id = super::service::warm_up(&ctx.db, &uid, ctx.clock.now()).await?;
    redirect_to(&format!("/interview/{id}"));
    Ok(id)
}

#[server(endpoint = "interview/get")]
pub async fn get_interview(id: String) -> Result<InterviewView, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::get(&ctx.db, &uid, &id).await
}

#[server(endpoint = "interview/answer")]
pub async fn submit_answer(
    id: String,
    position: u32,
    answer: String,
) -> Result<AnswerOutcome, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &crate::ratelimit::ANSWERS, &uid, ctx.clock.now()).await?;
    super::service::answer(
        &ctx.db,
        &ctx.evaluator,
        &uid,
        &id,
        position,
        &answer,
        None,
        ctx.clock.now(),
    )
    .await
}

#[server(endpoint = "interview/skip")]
pub async fn skip_question(id: String, position: u32) -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::skip(
        &ctx.db,
        &ctx.evaluator,
        &uid,
        &id,
        position,
        ctx.clock.now(),
    )
    .await
}

#[server(endpoint = "interview/retry")]
pub async fn retry_question(id: String, position: u32) -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::retry(&ctx.db, &uid, &id, position).await
}

/// Ends the interview and goes to its report.
#[server(endpoint = "interview/finish")]
pub async fn finish_interview(id: String) -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::finish(&ctx.db, &uid, &id, ctx.clock.now()).await?;
    redirect_to(&format!("/interview/{id}/report"));
    Ok(())
}

#[server(endpoint = "interview/report")]
pub async fn get_report(id: String) -> Result<Report, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::report(&ctx.db, &uid, &id).await
}

/// Deletes one of the caller's interviews (with its answers and recordings), then back to
/// the history.
#[server(endpoint = "interview/delete")]
pub async fn delete_interview(id: String) -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::delete(&ctx.db, &uid, &id, ctx.clock.now()).await?;
    redirect_to("/history?deleted=1");
    Ok(())
}

#[server(endpoint = "interview/history")]
pub async fn get_history() -> Result<History, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::history(&ctx.db, &uid).await
}

/// Who evaluates answers on this installation (public: the privacy page says it).
#[server(endpoint = "interview/engine")]
pub async fn evaluation_engine() -> Result<EngineInfo, AppError> {
    let evaluator: std::sync::Arc<crate::feedback::evaluator::Evaluator> =
        crate::request::expect()?;
    Ok(EngineInfo {
        name: evaluator.name(),
        hosted_host: evaluator.hosted.as_ref().map(|h| h.host()),
    })
}

/// Named limits per account: interviews started (each plans and stores up to 15 questions),
/// and answers submitted (each is evaluated on the server).
#[cfg(feature = "ssr")]
pub const INTERVIEW_STARTS: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "interview_start_account",
    max: 30,
    window_secs: 3600,
};
#[cfg(feature = "ssr")]
pub const RESUME_UPLOADS: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "resume_upload_account",
    max: 20,
    window_secs: 3600,
};
