//! Server functions of accounts: each checks its caller, validates, calls the service.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
#[cfg(feature = "ssr")]
use surrealdb::types::SurrealValue;

/// (ssr) What the account server functions read from the server's contexts.
#[cfg(feature = "ssr")]
struct Ctx {
    db: crate::db::Db,
    clock: crate::clock::Clock,
    keys: super::service::AuthKeys,
    mailer: crate::mail::Mailer,
    site: crate::request::Site,
}

#[cfg(feature = "ssr")]
impl Ctx {
    fn get() -> Result<Ctx, AppError> {
        use crate::request::expect;
        Ok(Ctx {
            db: expect()?,
            clock: expect()?,
            keys: expect::<super::AuthState>()?.keys,
            mailer: expect()?,
            site: expect()?,
        })
    }

    fn cookie_mode(&self) -> super::tokens::CookieMode {
        super::cookie_mode(&self.site)
    }
}

/// The sign-up form as the browser sends it (checkboxes are present or absent).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignUpForm {
    pub name: String,
    pub email: String,
    pub password: String,
    pub job_role: String,
    pub experience: String,
    pub age_confirmed: Option<String>,
    pub accept_terms: Option<String>,
    pub referral_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(SurrealValue))]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: super::Role,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub kind: String,
    /// The account concerned, when there is one.
    pub email: Option<String>,
    pub detail: String,
    pub at: i64,
}

/// What the signed-in person sees of their own account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyAccount {
    pub name: String,
    pub email: String,
    pub role: super::Role,
    pub email_verified: bool,
    /// True on a fresh install until someone is admin: the dashboard offers the role.
    pub admin_offer: bool,
    /// The privacy notice or terms changed since this person accepted them.
    pub policies_pending: bool,
    /// This installation sells plans (the menu links to Plans and billing).
    pub billing: bool,
}

/// What sign-up asked, as the account page shows it for correcting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub name: String,
    pub job_role: String,
    /// An experience slug (see [`super::Experience`]).
    pub experience: String,
}

/// One of the account's active sessions, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    /// e.g. "Firefox on Linux".
    pub browser: String,
    pub created_at: i64,
    pub last_used_at: i64,
    /// The session of the browser asking.
    pub current: bool,
}

/// Where to go after signing in: a path on this site, never another site ("//evil", "/\\evil").
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control)
                && p.len() <= 200 =>
        {
            p.to_string()
        }
        _ => "/dashboard".into(),
    }
}

/// Keeps an e-mail address intact in a query string.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn set_cookies(values: &[String]) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        for v in values {
            if let Ok(v) = http::HeaderValue::from_str(v) {
                res.append_header(http::header::SET_COOKIE, v);
            }
        }
    }
}

#[cfg(feature = "ssr")]
fn user_agent() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// Answers that must not reveal whether an address has an account take at least this long,
/// so their timing says nothing either (argon2 and e-mail work stay under it).
#[cfg(feature = "ssr")]
pub const EQUAL_TIME_MS: u64 = 300;

/// Runs `f`, then waits until at least [`EQUAL_TIME_MS`] have passed since `started`.
#[cfg(feature = "ssr")]
async fn equal_time<T>(started: std::time::Instant, result: T) -> T {
    let floor = std::time::Duration::from_millis(EQUAL_TIME_MS);
    if let Some(rest) = floor.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    result
}

#[cfg(feature = "ssr")]
async fn limit(l: &crate::ratelimit::Limit, key: &str) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    crate::ratelimit::hit(&ctx.db, l, key, ctx.clock.now()).await
}

/// The rate-limit key of an address: the same for every way of writing it.
#[cfg(feature = "ssr")]
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Public. Creates the account (or, for a taken address, tells its owner) and sends a code.
#[server(endpoint = "auth/sign_up")]
pub async fn sign_up(form: SignUpForm) -> Result<(), AppError> {
    use super::service::{self, Experience, SignUpInput};
    let ctx = Ctx::get()?;
    let started = std::time::Instant::now();
    limit(
        &crate::ratelimit::SIGN_UP_PER_IP,
        &crate::request::client_ip(),
    )
    .await?;
    let Ok(experience) = form.experience.parse::<Experience>() else {
        return Err(AppError::BadRequest(
            "Choose your experience level from the list.".into(),
        ));
    };
    let email = form.email.trim().to_lowercase();
    let input = SignUpInput {
        email: email.clone(),
        password: form.password,
        name: form.name,
        job_role: form.job_role,
        experience,
        age_confirmed: form.age_confirmed.is_some(),
        accept_terms: form.accept_terms.is_some(),
        referral_code: form.referral_code,
    };
    equal_time(
        started,
        service::sign_up(&ctx.db, &ctx.keys, &ctx.mailer, input, ctx.clock.now()).await,
    )
    .await?;
    leptos_axum::redirect(&format!("/verify?email={}", url_encode(&email)));
    Ok(())
}

/// Public. Confirms the address with the e-mailed code.
#[server(endpoint = "auth/verify_email")]
pub async fn verify_email(email: String, code: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let started = std::time::Instant::now();
    limit(
        &crate::ratelimit::CODE_CHECK_PER_IP,
        &crate::request::client_ip(),
    )
    .await?;
    let now = ctx.clock.now();
    equal_time(
        started,
        super::service::verify_email(&ctx.db, &ctx.keys, &email, &code, now).await,
    )
    .await?;
    // The code proved the address and the password was just chosen: signed in at once.
    sign_in_after_code(&ctx, &email, "email code", now).await?;
    leptos_axum::redirect("/dashboard?welcome=1");
    Ok(())
}

/// (ssr) Starts a session for the account at `email` after a code sent there was entered
/// (confirming the address, or resetting the password), and sets its cookies. A disabled
/// account gets none.
#[cfg(feature = "ssr")]
async fn sign_in_after_code(ctx: &Ctx, email: &str, how: &str, now: i64) -> Result<(), AppError> {
    let email = crate::address::normalize_email(email)?;
    let Some(user) = super::service::user_by_email(&ctx.db, &email).await? else {
        return Ok(());
    };
    if user.disabled {
        return Ok(());
    }
    let tokens =
        super::service::start_session(&ctx.db, &ctx.keys, &user, &user_agent(), how, now).await?;
    set_cookies(&super::session::set_cookies(ctx.cookie_mode(), &tokens));
    Ok(())
}

/// Public. Sends a new verification code; answers the same whether or not the address has
/// an unverified account.
#[server(endpoint = "auth/resend_code")]
pub async fn resend_code(email: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let started = std::time::Instant::now();
    if !code_budget(&email).await? {
        return equal_time(started, Ok(())).await;
    }
    equal_time(
        started,
        super::service::resend_verification(
            &ctx.db,
            &ctx.keys,
            &ctx.mailer,
            &email,
            ctx.clock.now(),
        )
        .await,
    )
    .await
}

/// The e-mail budget of the public code forms: per client address (429 when spent), per
/// requester and address (429), and per address from everyone (`false`: answer as if sent,
/// send nothing — someone else spent it, and the answer must not say whose address it is).
#[cfg(feature = "ssr")]
async fn code_budget(email: &str) -> Result<bool, AppError> {
    let ctx = Ctx::get()?;
    let ip = crate::request::client_ip();
    let address = email_key(email);
    limit(&crate::ratelimit::CODE_SEND_PER_IP, &ip).await?;
    limit(
        &crate::ratelimit::CODE_SEND_PER_REQUESTER,
        &format!("{address}|{ip}"),
    )
    .await?;
    crate::ratelimit::allowed(
        &ctx.db,
        &crate::ratelimit::CODE_SEND_PER_ADDRESS,
        &address,
        ctx.clock.now(),
    )
    .await
}

/// Public. Signs in and sets the session cookies.
#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    limit(
        &crate::ratelimit::SIGN_IN_PER_IP,
        &crate::request::client_ip(),
    )
    .await?;
    limit(&crate::ratelimit::SIGN_IN_PER_ACCOUNT, &email_key(&email)).await?;
    let tokens = super::service::sign_in(
        &ctx.db,
        &ctx.keys,
        &email,
        &password,
        &user_agent(),
        ctx.clock.now(),
    )
    .await?;
    set_cookies(&super::session::set_cookies(ctx.cookie_mode(), &tokens));
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Signed in. The details sign-up asked for, to correct them.
#[server(endpoint = "auth/details")]
pub async fn my_details() -> Result<AccountDetails, AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    let user = super::service::user_by_id(&ctx.db, &c.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let work = super::service::work_info(&ctx.db, &c.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(AccountDetails {
        name: user.name,
        job_role: work.job_role,
        experience: work.experience,
    })
}

/// Signed in. Corrects the name, the job being prepared for and the experience level.
#[server(endpoint = "auth/update_details")]
pub async fn update_my_details(
    name: String,
    job_role: String,
    experience: String,
) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    super::service::update_details(
        &ctx.db,
        &c.user_id,
        &name,
        &job_role,
        &experience,
        ctx.clock.now(),
    )
    .await
}

/// (ssr) Expires this browser's session cookies (after sign-out, or when the account is gone).
#[cfg(feature = "ssr")]
pub fn clear_session_cookies() -> Result<(), AppError> {
    let site: crate::request::Site = crate::request::expect()?;
    set_cookies(&super::session::clear_cookies(super::cookie_mode(&site)));
    Ok(())
}

/// Signed in. Ends this session.
#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    if let Some(c) = super::caller() {
        super::service::revoke_session(&ctx.db, &c.session_id).await?;
        super::service::audit(&ctx.db, "sign_out", Some(&c.user_id), "", ctx.clock.now()).await?;
    }
    set_cookies(&super::session::clear_cookies(ctx.cookie_mode()));
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Signed in. Ends every session of the account, on every device.
#[server(endpoint = "auth/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    super::service::revoke_all_sessions(&ctx.db, &c.user_id).await?;
    super::service::audit(
        &ctx.db,
        "sign_out_everywhere",
        Some(&c.user_id),
        "",
        ctx.clock.now(),
    )
    .await?;
    set_cookies(&super::session::clear_cookies(ctx.cookie_mode()));
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Anyone: the signed-in person's own account, or None.
#[server(endpoint = "auth/me")]
pub async fn me() -> Result<Option<MyAccount>, AppError> {
    let ctx = Ctx::get()?;
    match super::caller() {
        Some(c) => {
            let mut me =
                crate::memo::read(&c.user_id, crate::memo::Read::Me, ctx.clock.now(), || {
                    super::service::me(&ctx.db, &c.user_id)
                })
                .await?;
            if let Some(m) = me.as_mut() {
                m.admin_offer = m.email_verified
                    && !super::people::has_admin_lately(&ctx.db, ctx.clock.now()).await?;
                m.policies_pending =
                    super::service::policies_pending(&ctx.db, &c, ctx.clock.now()).await?;
                m.billing =
                    leptos::prelude::use_context::<std::sync::Arc<crate::policy::Installation>>()
                        .is_some_and(|i| !i.payments.is_empty());
            }
            Ok(me)
        }
        None => Ok(None),
    }
}

/// Public. E-mails a code to reset the password; the same answer for any address.
#[server(endpoint = "auth/request_reset")]
pub async fn request_reset(email: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let started = std::time::Instant::now();
    if !code_budget(&email).await? {
        return equal_time(started, Ok(())).await;
    }
    equal_time(
        started,
        super::account::request_password_reset(
            &ctx.db,
            &ctx.keys,
            &ctx.mailer,
            &email,
            ctx.clock.now(),
        )
        .await,
    )
    .await
}

/// Public. Sets a new password with the e-mailed code; every session ends.
#[server(endpoint = "auth/reset_password")]
pub async fn reset_password(email: String, code: String, password: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let started = std::time::Instant::now();
    limit(
        &crate::ratelimit::CODE_CHECK_PER_IP,
        &crate::request::client_ip(),
    )
    .await?;
    equal_time(
        started,
        super::account::reset_password(
            &ctx.db,
            &ctx.keys,
            &ctx.mailer,
            &email,
            &code,
            &password,
            ctx.clock.now(),
        )
        .await,
    )
    .await?;
    // Every other session ended with the reset; this browser proved the address and chose
    // the new password, so it is signed in.
    sign_in_after_code(&ctx, &email, "password reset", ctx.clock.now()).await?;
    leptos_axum::redirect("/dashboard?reset=1");
    Ok(())
}

/// Signed in. Checks the current password and e-mails a code to change it.
#[server(endpoint = "auth/start_password_change")]
pub async fn start_password_change(current_password: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    limit(&crate::ratelimit::CODE_SEND_PER_ACCOUNT, &c.user_id).await?;
    super::account::start_password_change(
        &ctx.db,
        &ctx.keys,
        &ctx.mailer,
        &c.user_id,
        &current_password,
        ctx.clock.now(),
    )
    .await
}

/// Signed in. Sets the new password with the code; every session ends (sign in again).
#[server(endpoint = "auth/finish_password_change")]
pub async fn finish_password_change(code: String, new_password: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    limit(
        &crate::ratelimit::CODE_CHECK_PER_IP,
        &crate::request::client_ip(),
    )
    .await?;
    super::account::finish_password_change(
        &ctx.db,
        &ctx.keys,
        &ctx.mailer,
        &c.user_id,
        &code,
        &new_password,
        ctx.clock.now(),
    )
    .await?;
    set_cookies(&super::session::clear_cookies(ctx.cookie_mode()));
    leptos_axum::redirect("/signin?changed=1");
    Ok(())
}

/// Signed in. Checks the current password and e-mails a code to the new address.
#[server(endpoint = "auth/start_email_change")]
pub async fn start_email_change(
    current_password: String,
    new_email: String,
) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    limit(&crate::ratelimit::CODE_SEND_PER_ACCOUNT, &c.user_id).await?;
    super::account::start_email_change(
        &ctx.db,
        &ctx.keys,
        &ctx.mailer,
        &c.user_id,
        &current_password,
        &new_email,
        ctx.clock.now(),
    )
    .await
}

/// Signed in. Confirms the new address with its code; returns it.
#[server(endpoint = "auth/finish_email_change")]
pub async fn finish_email_change(code: String) -> Result<String, AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    limit(
        &crate::ratelimit::CODE_CHECK_PER_IP,
        &crate::request::client_ip(),
    )
    .await?;
    super::account::finish_email_change(
        &ctx.db,
        &ctx.keys,
        &ctx.mailer,
        &c.user_id,
        &c.session_id,
        &code,
        ctx.clock.now(),
    )
    .await
}

/// Signed in. The account's active sessions.
#[server(endpoint = "auth/sessions")]
pub async fn sessions() -> Result<Vec<SessionInfo>, AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    super::account::list_sessions(&ctx.db, &c.user_id, &c.session_id).await
}

/// Signed in. Ends one of the account's own sessions.
#[server(endpoint = "auth/revoke_session")]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let c = super::require_caller()?;
    super::account::revoke_own_session(&ctx.db, &c.user_id, &id, ctx.clock.now()).await
}

/// A sign-in provider button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderButton {
    pub id: String,
    pub label: String,
}

/// Public. The configured sign-in providers (none unless the operator set some up).
#[server(endpoint = "auth/providers")]
pub async fn providers() -> Result<Vec<ProviderButton>, AppError> {
    let auth: super::AuthState = crate::request::expect()?;
    Ok(auth
        .oidc
        .iter()
        .map(|p| ProviderButton {
            id: p.id.clone(),
            label: p.label.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(super::safe_next(Some("/admin/audit")), "/admin/audit");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "/a\nb",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/dashboard", "{bad:?}");
        }
        assert_eq!(super::safe_next(None), "/dashboard");
    }

    #[test]
    fn addresses_survive_the_query_string() {
        assert_eq!(
            super::url_encode("ada+cv@example.org"),
            "ada%2Bcv%40example.org"
        );
    }
}

/// Signed in, verified, nobody is admin yet (a fresh install), and the setup token from the
/// server's data directory: become the admin.
#[server(endpoint = "admin/claim")]
pub async fn claim_admin(token: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = super::require_caller()?;
    crate::ratelimit::hit(
        &ctx.db,
        &crate::ratelimit::ADMIN_SETUP_PER_IP,
        &crate::request::client_ip(),
        ctx.clock.now(),
    )
    .await?;
    super::people::claim_first_admin(&ctx.db, &me.user_id, &token, ctx.clock.now()).await?;
    leptos_axum::redirect("/admin");
    Ok(())
}
