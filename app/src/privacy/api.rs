//! Server functions of data rights. Each checks its caller; deletion needs a code e-mailed
//! for that purpose and, when the account has one, its password.

use leptos::prelude::*;

use crate::AppError;

/// (ssr) What the data-rights server functions read: the signed-in caller (or 401), the
/// database and the time.
#[cfg(feature = "ssr")]
struct Ctx {
    uid: String,
    db: crate::db::Db,
    now: i64,
}

#[cfg(feature = "ssr")]
impl Ctx {
    fn get() -> Result<Ctx, AppError> {
        use crate::request::expect;
        let caller = crate::auth::require_caller()?;
        let clock: crate::clock::Clock = expect()?;
        Ok(Ctx {
            uid: caller.user_id,
            db: expect()?,
            now: clock.now(),
        })
    }
}

/// Signed in. E-mails a code that confirms deleting the account.
#[server(endpoint = "privacy/start_deletion")]
pub async fn start_account_deletion() -> Result<(), AppError> {
    use crate::auth::{otp::OtpPurpose, service};
    use crate::request::expect;
    let Ctx { uid, db, now } = Ctx::get()?;
    let auth: crate::auth::AuthState = expect()?;
    let mailer: crate::mail::Mailer = expect()?;
    crate::ratelimit::hit(&db, &crate::ratelimit::CODE_SEND_PER_ACCOUNT, &uid, now).await?;
    let user = service::user_by_id(&db, &uid)
        .await?
        .ok_or(AppError::Unauthorized)?;
    service::issue_code(
        &db,
        &auth.keys,
        &mailer,
        &user.id,
        &user.email,
        service::greeting(&user),
        OtpPurpose::DeleteAccount,
        service::Delivery::Send,
        now,
    )
    .await
}

/// Signed in. Deletes the account and everything in it, at once: with the code from the
/// e-mail and, when the account has a password, the password. Signs this browser out.
#[server(endpoint = "privacy/delete_account")]
pub async fn delete_my_account(code: String, password: Option<String>) -> Result<(), AppError> {
    use crate::auth::{otp::OtpPurpose, service};
    use crate::request::expect;
    let Ctx { uid, db, now } = Ctx::get()?;
    let auth: crate::auth::AuthState = expect()?;
    let mailer: crate::mail::Mailer = expect()?;
    crate::ratelimit::hit(
        &db,
        &crate::ratelimit::CODE_CHECK_PER_IP,
        &crate::request::client_ip(),
        now,
    )
    .await?;
    let user = service::user_by_id(&db, &uid)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let has_password = user.password_hash != "!";
    let password = password.filter(|p| !p.is_empty());
    if has_password && password.is_none() {
        return Err(AppError::BadRequest(
            "Enter your current password to delete your account.".into(),
        ));
    }
    service::check_code(
        &db,
        &auth.keys,
        &user.id,
        OtpPurpose::DeleteAccount,
        &code,
        now,
    )
    .await?;
    if has_password
        && !service::verify_password(
            password.unwrap_or_default(),
            Some(user.password_hash.clone()),
        )
        .await
    {
        return Err(AppError::BadRequest(
            "That password is not right, so nothing was deleted. The code is used up: ask for a new one and try again.".into(),
        ));
    }
    super::service::delete_account(
        &db,
        Some(&mailer),
        &user.id,
        super::service::DeletedBy::Owner,
        now,
    )
    .await?;
    crate::blob::reap_now(&db).await;
    crate::auth::clear_session_cookies()?;
    leptos_axum::redirect("/?deleted=1");
    Ok(())
}

/// Signed in. The caller's latest data export, if any.
#[server(endpoint = "privacy/export_status")]
pub async fn export_status() -> Result<Option<super::model::ExportView>, AppError> {
    let Ctx { uid, db, now } = Ctx::get()?;
    Ok(super::export::latest(&db, &uid).await?.map(|j| j.view(now)))
}

/// Signed in. Starts gathering everything the caller has into a ZIP (one at a time).
#[server(endpoint = "privacy/request_export")]
pub async fn request_export() -> Result<super::model::ExportView, AppError> {
    let Ctx { uid, db, now } = Ctx::get()?;
    let exports: super::export::Exports = crate::request::expect()?;
    crate::ratelimit::hit(&db, &EXPORTS, &uid, now).await?;
    let job = super::export::request(&db, &uid, now).await?;
    exports.wake.notify_one();
    Ok(job.view(now))
}

/// Exports a person may ask for per day (each gathers everything; a few retries are plenty).
#[cfg(feature = "ssr")]
pub const EXPORTS: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "data_export_account",
    max: 10,
    window_secs: 24 * 3600,
};

/// Public: the privacy notice of this installation, as published at start, as HTML (its page
/// shows it as it is).
#[server(endpoint = "privacy/notice")]
pub async fn privacy_notice() -> Result<String, AppError> {
    let p: std::sync::Arc<crate::policy::Published> = crate::request::expect()?;
    Ok(p.privacy_html.clone())
}

/// Public: the terms of use of this installation, as HTML.
#[server(endpoint = "privacy/terms")]
pub async fn terms_of_use() -> Result<String, AppError> {
    let p: std::sync::Arc<crate::policy::Published> = crate::request::expect()?;
    Ok(p.terms_html.clone())
}
