//! Administration pages: people and roles, the security audit log, the e-mail outbox, the
//! support desk. No tables of its own: it calls `auth::people`, `mail::outbox` and `contact`. Every server function here
//! requires an admin, checked on the server.

mod api;
pub mod billing;
pub mod insights;
mod pages;

pub use api::*;
pub use billing::AdminBillingPage;
pub use pages::{
    AdminAuditPage, AdminInsightsPage, AdminOutboxPage, AdminSupportPage, AdminUsersPage,
};

/// Named limit: announcement e-mails are spread so that at most this many fall due a minute.
pub const ANNOUNCE_PER_MINUTE: usize = 60;

/// Queues an e-mail to every confirmed, enabled account saying the privacy notice or terms
/// changed (`viva admin announce-policy-change`), spread over time through the outbox at
/// [`ANNOUNCE_PER_MINUTE`]. Returns how many were queued.
#[cfg(feature = "ssr")]
pub async fn announce_policy_change(
    db: &crate::db::Db,
    mailer: &crate::mail::Mailer,
    product: &str,
    public_url: &str,
    now: i64,
) -> Result<usize, crate::AppError> {
    let people = crate::auth::people::mailing_list(db).await?;
    let links = format!("{public_url}/privacy and {public_url}/terms");
    for (i, (email, name)) in people.iter().enumerate() {
        let msg = crate::mail::Message::policy_changed(
            product,
            name,
            "the privacy notice and the terms of use",
            &links,
        );
        let due = now + (i / ANNOUNCE_PER_MINUTE) as i64 * 60;
        mailer.enqueue_at(db, email, &msg, now, due).await?;
    }
    Ok(people.len())
}
