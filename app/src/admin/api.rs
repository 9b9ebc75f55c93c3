//! Admin server functions: each starts with `require_admin()`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// (ssr) What the admin server functions read from the server's contexts.
#[cfg(feature = "ssr")]
struct Ctx {
    db: crate::db::Db,
    clock: crate::clock::Clock,
}

#[cfg(feature = "ssr")]
impl Ctx {
    fn get() -> Result<Ctx, AppError> {
        use crate::request::expect;
        Ok(Ctx {
            db: expect()?,
            clock: expect()?,
        })
    }
}
#[cfg(feature = "ssr")]
use surrealdb::types::SurrealValue;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(SurrealValue))]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(SurrealValue))]
pub struct OutboxItem {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub created_at: i64,
    /// stored (no SMTP server), pending, sending, sent or failed.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

/// Admin. People on this installation, newest first, optionally matching a search.
#[server(endpoint = "admin/users")]
pub async fn admin_users(search: String) -> Result<Vec<UserSummary>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    super::service::list_users(&ctx.db, &search).await
}

/// Admin. Makes an account a user or an admin.
#[server(endpoint = "admin/set_role")]
pub async fn admin_set_role(user_id: String, role: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_admin()?;
    super::service::set_role(&ctx.db, &me.user_id, &user_id, &role, ctx.clock.now()).await
}

/// Admin. Disables (signing it out everywhere) or enables an account.
#[server(endpoint = "admin/set_disabled")]
pub async fn admin_set_disabled(user_id: String, disabled: bool) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_admin()?;
    super::service::set_disabled(&ctx.db, &me.user_id, &user_id, disabled, ctx.clock.now()).await
}

/// Admin. The newest security events, optionally of one kind.
#[server(endpoint = "admin/audit")]
pub async fn admin_audit(kind: String) -> Result<Vec<AuditEntry>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    super::service::audit_log(&ctx.db, &kind).await
}

/// Admin. The newest e-mails and their delivery state.
#[server(endpoint = "admin/outbox")]
pub async fn admin_outbox() -> Result<Vec<OutboxItem>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    crate::mail::outbox::list(&ctx.db, 100).await
}

/// Signed in, verified, nobody is admin yet (a fresh install), and the setup token from the
/// server's data directory: become the admin.
#[server(endpoint = "admin/claim")]
pub async fn claim_admin(token: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_caller()?;
    crate::ratelimit::hit(
        &ctx.db,
        &crate::ratelimit::ADMIN_SETUP_PER_IP,
        &crate::request::client_ip(),
        ctx.clock.now(),
    )
    .await?;
    super::service::claim_first_admin(&ctx.db, &me.user_id, &token, ctx.clock.now()).await?;
    leptos_axum::redirect("/admin");
    Ok(())
}
