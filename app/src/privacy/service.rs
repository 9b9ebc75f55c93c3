//! (ssr) Deleting an account: one transaction that runs every owner's part, then a last e-mail
//! to the address (erased once sent) and an audit entry that names nobody.

use crate::db::Db;
use crate::mail::{Mailer, Message};
use crate::AppError;

/// Every table owner's part of deleting an account, in order (accounts last: the account row
/// goes when nothing refers to it). A feature that keeps personal data adds its part here.
pub const PARTS: &[&str] = &[
    super::export::ERASE_USER,
    crate::voice::service::ERASE_USER,
    crate::interview::service::ERASE_USER,
    crate::mail::outbox::ERASE_USER,
    crate::contact::service::ERASE_USER,
    crate::ratelimit::ERASE_USER,
    crate::auth::service::ERASE_USER,
];

/// Who asked for the deletion (for the audit entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletedBy {
    Owner,
    Operator,
}

/// A stable name for a deleted account in the audit log: not its id, not its address.
pub fn pseudonym(uid: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("viva-erased:{uid}").as_bytes());
    format!(
        "erased-{}",
        h.iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Deletes the account `uid` and everything that belongs to it or names it, at once. With a
/// mailer, a last e-mail tells the address (its outbox row is erased once sent).
pub async fn delete_account(
    db: &Db,
    mailer: Option<&Mailer>,
    uid: &str,
    by: DeletedBy,
    now: i64,
) -> Result<(), AppError> {
    let user = crate::auth::service::user_by_id(db, uid)
        .await?
        .ok_or(AppError::NotFound)?;
    let pseudonym = pseudonym(uid);
    let sql = format!(
        "BEGIN TRANSACTION;\nLET $user = type::record('user', $uid);\n{}\nCOMMIT TRANSACTION;",
        PARTS.join("\n")
    );
    db.query(sql)
        .bind(("uid", uid.to_string()))
        .bind(("email", user.email.clone()))
        .bind(("pseudonym", pseudonym.clone()))
        .await?
        .check()?;
    let who = match by {
        DeletedBy::Owner => "by its owner",
        DeletedBy::Operator => "by an operator",
    };
    crate::db::erasure_pending(db, now).await?;
    crate::auth::service::audit(
        db,
        "account_deleted",
        None,
        &format!("{pseudonym} {who}"),
        now,
    )
    .await?;
    tracing::info!(account = %pseudonym, "account deleted {who}");
    if let Some(m) = mailer {
        m.enqueue_erased_when_sent(db, &user.email, &Message::account_deleted(&m.product), now)
            .await?;
    }
    Ok(())
}

/// `viva admin delete-user EMAIL`: the same deletion, found by address.
pub async fn delete_by_email(
    db: &Db,
    mailer: Option<&Mailer>,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = crate::address::normalize_email(email)?;
    let user = crate::auth::service::user_by_email(db, &email)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("No account has the address {email}.")))?;
    delete_account(db, mailer, &user.id, DeletedBy::Operator, now).await
}

/// How often a node offers to run the data-rights sweep (dropping expired recordings and
/// exports); one node at a time runs it, under a lease of the same length.
pub const SWEEP_EVERY_SECS: i64 = 600;

/// Drops recordings past their time and expired exports, if this node (`holder`) holds the
/// sweep's lease. Returns whether it ran.
pub async fn sweep(db: &Db, holder: &str, now: i64) -> Result<bool, AppError> {
    if !crate::db::take_lease(db, "data-rights-sweep", holder, now, SWEEP_EVERY_SECS).await? {
        return Ok(false);
    }
    let dropped = crate::voice::service::sweep(db, now).await?;
    if dropped > 0 {
        tracing::info!(segments = dropped, "recordings past their time deleted");
    }
    super::export::sweep(db, now).await?;
    Ok(true)
}

/// Starts this node's export worker: it claims waiting exports (woken by `wake`, or every
/// `export::POLL`) and builds them one at a time.
pub fn spawn_export_worker(
    db: Db,
    clock: crate::clock::Clock,
    product: String,
    wake: std::sync::Arc<tokio::sync::Notify>,
) {
    tokio::spawn(async move {
        loop {
            match super::export::run_one(&db, &product, clock.now()).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "export worker"),
            }
            let _ = tokio::time::timeout(super::export::POLL, wake.notified()).await;
        }
    });
}
