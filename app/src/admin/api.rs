//! Admin server functions: each starts with `require_admin()`.

use leptos::prelude::*;

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

pub use crate::auth::{AuditEntry, UserSummary};
pub use crate::mail::OutboxItem;

/// Admin. People on this installation, newest first, optionally matching a search.
#[server(endpoint = "admin/users")]
pub async fn admin_users(search: String) -> Result<Vec<UserSummary>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    crate::auth::people::list_users(&ctx.db, &search).await
}

/// Admin. Makes an account a user or an admin.
#[server(endpoint = "admin/set_role")]
pub async fn admin_set_role(user_id: String, role: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_admin()?;
    crate::auth::people::set_role(&ctx.db, &me.user_id, &user_id, &role, ctx.clock.now()).await
}

/// Admin. Disables (signing it out everywhere) or enables an account.
#[server(endpoint = "admin/set_disabled")]
pub async fn admin_set_disabled(user_id: String, disabled: bool) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_admin()?;
    crate::auth::people::set_disabled(&ctx.db, &me.user_id, &user_id, disabled, ctx.clock.now())
        .await
}

/// Admin. Deletes an account and everything in it, as its owner can on /account/delete: the
/// same deletion, confirmed by typing the account's e-mail address. Not one's own account
/// (that goes through the owner's page, with a code).
#[server(endpoint = "admin/delete_user")]
pub async fn admin_delete_user(user_id: String, confirm: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_admin()?;
    let mailer: crate::mail::Mailer = crate::request::expect()?;
    if me.user_id == user_id {
        return Err(AppError::BadRequest(
            "Delete your own account from Your data, with a code we e-mail you.".into(),
        ));
    }
    let user = crate::auth::service::user_by_id(&ctx.db, &user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !confirm.trim().eq_ignore_ascii_case(&user.email) {
        return Err(AppError::BadRequest(format!(
            "Type the account's e-mail address ({}) to confirm; nothing was deleted.",
            user.email
        )));
    }
    crate::privacy::service::delete_account(
        &ctx.db,
        Some(&mailer),
        &user.id,
        crate::privacy::service::DeletedBy::Operator,
        ctx.clock.now(),
    )
    .await?;
    crate::blob::reap_now(&ctx.db).await;
    Ok(())
}

/// Admin. The newest security events, optionally of one kind.
#[server(endpoint = "admin/audit")]
pub async fn admin_audit(kind: String) -> Result<Vec<AuditEntry>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    crate::auth::people::audit_log(&ctx.db, &kind).await
}

/// Admin. The newest e-mails and their delivery state.
#[server(endpoint = "admin/outbox")]
pub async fn admin_outbox() -> Result<Vec<OutboxItem>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    crate::mail::outbox::list(&ctx.db, 100).await
}

pub use crate::contact::{Ticket, TicketStatus};

/// Admin. Support conversations, those waiting longest first; `status` empty for all.
#[server(endpoint = "admin/support")]
pub async fn admin_tickets(status: String) -> Result<Vec<Ticket>, AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    let status = match status.as_str() {
        "" | "all" => None,
        s => Some(s.parse::<TicketStatus>().map_err(|e| {
            AppError::BadRequest(format!("{e}: choose open, answered, closed or all."))
        })?),
    };
    crate::contact::service::list(&ctx.db, status).await
}

/// Admin. Answers a conversation: the reply is kept in the thread and e-mailed to the person.
#[server(endpoint = "admin/support_reply")]
pub async fn admin_reply(id: String, body: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    let me = crate::auth::require_admin()?;
    let body = crate::contact::validate_reply(&body)?;
    let now = ctx.clock.now();
    let ticket = crate::contact::service::get(&ctx.db, &id, None)
        .await?
        .ok_or(AppError::NotFound)?;
    let author = crate::auth::service::user_by_id(&ctx.db, &me.user_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_else(|| "Support".into());
    crate::contact::service::reply(&ctx.db, &ticket.id, &author, &body, true, now).await?;
    let inst: std::sync::Arc<crate::policy::Installation> = crate::request::expect()?;
    let mailer: crate::mail::Mailer = crate::request::expect()?;
    let link = if ticket.from_account {
        format!("{}/contact", inst.public_url)
    } else {
        format!(
            "{}/contact (write again from there to continue the conversation)",
            inst.public_url
        )
    };
    let msg = crate::mail::Message::support_reply(&inst.product_name, &ticket.name, &body, &link);
    mailer.enqueue(&ctx.db, &ticket.email, &msg, now).await
}

/// Admin. Closes or reopens a conversation.
#[server(endpoint = "admin/support_status")]
pub async fn admin_ticket_status(id: String, status: String) -> Result<(), AppError> {
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    let status: TicketStatus = status
        .parse()
        .map_err(|e| AppError::BadRequest(format!("{e}: choose open, answered or closed.")))?;
    let ticket = crate::contact::service::get(&ctx.db, &id, None)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::contact::service::set_status(&ctx.db, &ticket.id, status, ctx.clock.now()).await
}

pub use super::insights::Insights;

/// Admin. Aggregate figures of the last `days` days (7, 30 or 90).
#[server(endpoint = "admin/insights")]
pub async fn admin_insights(days: u32) -> Result<Insights, AppError> {
    use super::insights::{aggregate, Answered, SignUp, Started, PERIODS};
    let ctx = Ctx::get()?;
    crate::auth::require_admin()?;
    if !PERIODS.contains(&days) {
        return Err(AppError::BadRequest(format!(
            "Choose a period of {} days.",
            PERIODS.map(|p| p.to_string()).join(", ")
        )));
    }
    let now = ctx.clock.now();
    let since = (now.div_euclid(86_400) - days as i64 + 1) * 86_400;
    let sign_ups: Vec<SignUp> = crate::auth::people::sign_ups_since(&ctx.db, since)
        .await?
        .into_iter()
        .map(|(uid, at, verified)| SignUp { uid, at, verified })
        .collect();
    let (interviews, answers) = crate::interview::service::activity_since(&ctx.db, since).await?;
    let started: Vec<Started> = interviews
        .into_iter()
        .map(|i| Started {
            uid: i.uid,
            at: i.at,
            finished_at: i.finished_at,
            mode: i.mode,
            role: i.role,
            score: i.score.map(|s| s.clamp(0, 100) as u32),
        })
        .collect();
    let answered: Vec<Answered> = answers
        .into_iter()
        .map(|a| Answered {
            uid: a.uid,
            at: a.at,
            words: a.words.max(0) as u32,
        })
        .collect();
    let queue = crate::voice::service::queue_times_since(&ctx.db, since).await?;
    Ok(aggregate(days, now, &sign_ups, &started, &answered, queue))
}
