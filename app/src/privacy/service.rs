//! (ssr) Deleting an account: one transaction that runs every owner's part, then a last e-mail
//! to the address (erased once sent) and an audit entry that names nobody.

use crate::db::Db;
use crate::mail::{Mailer, Message};
use crate::AppError;

/// Every table owner's part of deleting an account, in order (accounts last: the account row
/// goes when nothing refers to it). A feature that keeps personal data adds its part here.
pub const PARTS: &[&str] = &[
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
