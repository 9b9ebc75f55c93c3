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

/// Signed in. What the setup form on /practice starts with.
#[server(endpoint = "interview/practice_defaults")]
pub async fn get_practice_defaults() -> Result<PracticeDefaults, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::memo::read(
        &uid,
        crate::memo::Read::PracticeDefaults,
        ctx.clock.now(),
        || super::service::practice_defaults(&ctx.db, &uid),
    )
    .await
}

/// Signed in. /practice's content: its warm-up line and the setup form's fields as HTML, made
/// from the practice defaults and whether the caller keeps recordings (the camera box's default).
#[server(endpoint = "interview/practice_setup")]
pub async fn get_practice_setup() -> Result<PracticeSetup, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::memo::read(
        &uid,
        crate::memo::Read::PracticeSetup,
        ctx.clock.now(),
        || async {
            let defaults = get_practice_defaults().await?;
            // Recording on camera follows the account's recordings setting unless changed there.
            let (keep, keep_days) = match crate::voice::get_recording_policy().await {
                Ok(r) => (r.keep, r.retention_days),
                Err(_) => (false, crate::voice::model::DEFAULT_RETENTION_DAYS),
            };
            Ok(super::pages::practice_setup(defaults, keep, keep_days))
        },
    )
    .await
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
    super::service::retry(&ctx.db, &uid, &id, position).await?;
    crate::blob::reap_now(&ctx.db).await;
    Ok(())
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

/// The report page's content: the report made into HTML here or, when it has video answers
/// (their timelines run in the browser), the report itself. `get_report` is the report as data.
#[server(endpoint = "interview/report_page")]
pub async fn get_report_page(id: String) -> Result<ReportContent, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    let report = super::service::report(&ctx.db, &uid, &id).await?;
    Ok(super::pages::report_content(report))
}

/// Deletes one of the caller's interviews (with its answers and recordings), then back to
/// the history.
#[server(endpoint = "interview/delete")]
pub async fn delete_interview(id: String) -> Result<(), AppError> {
    let (ctx, uid) = ctx_and_user()?;
    super::service::delete(&ctx.db, &uid, &id, ctx.clock.now()).await?;
    crate::blob::reap_now(&ctx.db).await;
    redirect_to("/history?deleted=1");
    Ok(())
}

#[server(endpoint = "interview/history")]
pub async fn get_history() -> Result<History, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::memo::read(&uid, crate::memo::Read::History, ctx.clock.now(), || {
        super::service::history(&ctx.db, &uid)
    })
    .await
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

/// Named limits of trying a question without an account: answers scored per client address,
/// and from everyone, per hour.
#[cfg(feature = "ssr")]
pub const TRY_PER_IP: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "try_ip",
    max: 20,
    window_secs: 3600,
};
#[cfg(feature = "ssr")]
pub const TRY_ALL: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "try_all",
    max: 600,
    window_secs: 3600,
};

/// (ssr) 404 with a reason when the operator turned trying off (`--no-try`).
#[cfg(feature = "ssr")]
fn try_enabled() -> Result<(), AppError> {
    let inst: std::sync::Arc<crate::policy::Installation> = crate::request::expect()?;
    if inst.try_enabled {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "Trying a question without an account is turned off on this site. Create an account to practise.".into(),
        ))
    }
}

/// Public. A question to try for `role`, without an account.
#[server(endpoint = "try/question")]
pub async fn try_question(role: String) -> Result<QuestionToTry, AppError> {
    try_enabled()?;
    let db: crate::db::Db = crate::request::expect()?;
    super::service::try_question(&db, &role, rand::random()).await
}

/// Public. Scores an answer to a try-it question with the embedded engine and keeps nothing.
#[server(endpoint = "try/answer")]
pub async fn try_answer(
    id: String,
    answer: String,
) -> Result<crate::feedback::Evaluation, AppError> {
    use crate::request::expect;
    try_enabled()?;
    let db: crate::db::Db = expect()?;
    let clock: crate::clock::Clock = expect()?;
    let evaluator: std::sync::Arc<crate::feedback::evaluator::Evaluator> = expect()?;
    let now = clock.now();
    crate::ratelimit::hit(&db, &TRY_PER_IP, &crate::request::client_ip(), now).await?;
    crate::ratelimit::hit(&db, &TRY_ALL, "all", now).await?;
    super::service::try_answer(&db, &evaluator, &id, &answer).await
}

/// The address of the spoken try-it upload (a multipart route of its own, with its limit).
pub const TRY_UPLOAD_PATH: &str = "/api/try/transcribe";

/// Spoken answers transcribed per client address per hour, without an account.
#[cfg(feature = "ssr")]
pub const TRY_SPOKEN_PER_IP: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "try_spoken_ip",
    max: 10,
    window_secs: 3600,
};

/// Public. Transcribes a spoken answer to a tried question (multipart: the WAV file `audio`)
/// with Whisper on this server, and keeps nothing: the text comes back to be checked and
/// scored.
#[server(endpoint = "try/transcribe", input = server_fn::codec::MultipartFormData)]
pub async fn try_transcribe(data: server_fn::codec::MultipartData) -> Result<String, AppError> {
    use crate::request::expect;
    use crate::voice::transcribe::{transcribe_here, TRY_UPLOAD_BYTES};
    try_enabled()?;
    let db: crate::db::Db = expect()?;
    let clock: crate::clock::Clock = expect()?;
    let voice: crate::voice::VoiceState = expect()?;
    let now = clock.now();
    crate::ratelimit::hit(&db, &TRY_SPOKEN_PER_IP, &crate::request::client_ip(), now).await?;
    crate::ratelimit::hit(&db, &TRY_ALL, "all", now).await?;
    let parts = crate::request::read_multipart(
        data,
        &crate::request::UploadRules {
            fields: &["audio"],
            max_field_bytes: TRY_UPLOAD_BYTES,
            not_multipart: "Send the recording as a multipart form upload.",
            unreadable_hint: "",
            too_large: &|_| {
                format!(
                    "The recording is too long: answers you try here can be at most {:.0} s of speech.",
                    crate::voice::transcribe::TRY_MAX_SECS
                )
            },
        },
    )
    .await?;
    let wav = parts
        .into_iter()
        .find(|f| f.name == "audio")
        .map(|f| f.bytes)
        .ok_or_else(|| AppError::BadRequest("The upload has no \"audio\" file.".into()))?;
    transcribe_here(&voice.transcriber, wav).await
}

/// Signed in. Keeps the answer the person tried before signing up (they asked, on the
/// practice page): a one-question interview of it, evaluated now. Returns its id.
#[server(endpoint = "try/keep")]
pub async fn keep_tried_answer(id: String, answer: String) -> Result<String, AppError> {
    let (ctx, uid) = ctx_and_user()?;
    crate::ratelimit::hit(&ctx.db, &INTERVIEW_STARTS, &uid, ctx.clock.now()).await?;
    super::service::keep_tried(&ctx.db, &ctx.evaluator, &uid, &id, &answer, ctx.clock.now()).await
}
