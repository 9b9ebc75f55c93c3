use leptos::prelude::*;

use super::{ContactInput, Ticket};
use crate::AppError;

/// Public: anyone may write, within the contact limits; a signed-in person's message is linked
/// to their account. The operator is told by e-mail when an operator address is set.
#[server(endpoint = "contact")]
pub async fn send_contact_message(input: ContactInput) -> Result<(), AppError> {
    use crate::request::expect;
    let db: crate::db::Db = expect()?;
    let clock: crate::clock::Clock = expect()?;
    let now = clock.now();
    let mut input = super::validate(input)?;
    let caller = crate::auth::caller();
    // A signed-in person writes from their account's address (replies go there, and the
    // conversation is theirs), whatever the form said.
    if let Some(c) = &caller {
        if let Some(u) = crate::auth::service::user_by_id(&db, &c.user_id).await? {
            input.email = u.email;
        }
    }
    let from = format!("{} <{}>", input.name, input.email);
    let message = input.message.clone();
    super::service::store(
        &db,
        input,
        caller.as_ref().map(|c| c.user_id.as_str()),
        &crate::request::client_ip(),
        now,
    )
    .await?;
    let inst: std::sync::Arc<crate::policy::Installation> = expect()?;
    if let Some(to) = &inst.operator.email {
        let mailer: crate::mail::Mailer = expect()?;
        let msg = crate::mail::Message::support_new(
            &inst.product_name,
            &from,
            &message,
            &format!("{}/admin/support", inst.public_url),
        );
        mailer.enqueue(&db, to, &msg, now).await?;
    }
    Ok(())
}

/// The conversations the caller started, with the replies; `None` when nobody is signed in
/// (the contact page is public).
#[server(endpoint = "contact/mine")]
pub async fn my_messages() -> Result<Option<Vec<Ticket>>, AppError> {
    let Some(caller) = crate::auth::caller() else {
        return Ok(None);
    };
    let db: crate::db::Db = crate::request::expect()?;
    Ok(Some(
        super::service::of_account(&db, &caller.user_id).await?,
    ))
}

/// Signed in. Adds the caller's reply to one of their conversations (another person's is a
/// 404), which opens it again.
#[server(endpoint = "contact/follow_up")]
pub async fn follow_up(id: String, body: String) -> Result<(), AppError> {
    use crate::request::expect;
    let caller = crate::auth::require_caller()?;
    let db: crate::db::Db = expect()?;
    let clock: crate::clock::Clock = expect()?;
    let now = clock.now();
    let body = super::validate_reply(&body)?;
    let ticket = super::service::get(&db, &id, Some(&caller.user_id))
        .await?
        .ok_or(AppError::NotFound)?;
    crate::ratelimit::hit(
        &db,
        &super::service::CONTACT_PER_ACCOUNT,
        &caller.user_id,
        now,
    )
    .await?;
    super::service::reply(&db, &ticket.id, &ticket.name, &body, false, now).await
}
