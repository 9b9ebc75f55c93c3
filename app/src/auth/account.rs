//! Account upkeep: password reset by e-mailed code, changing password or e-mail (current
//! password and a code), the list of active sessions with revoke.

use surrealdb::types::SurrealValue;

use super::api::SessionInfo;
use super::otp::OtpPurpose;
use super::password;
use super::service::{
    audit, bad, check_code, greeting, hash_password, issue_code, normalize_email,
    revoke_all_sessions, user_by_email, user_by_id, verify_password, AuthKeys, Delivery,
    PUBLIC_CODE_FAILED,
};
use crate::{
    db::Db,
    mail::{Mailer, Message},
    AppError,
};

/// Starts a reset: e-mails a code when the address has an account. The answer is the same
/// whether or not it has one.
pub async fn request_password_reset(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = normalize_email(email)?;
    if let Some(u) = user_by_email(db, &email).await? {
        if !u.disabled {
            match issue_code(
                db,
                keys,
                mailer,
                &u.id,
                &email,
                greeting(&u),
                OtpPurpose::ResetPassword,
                Delivery::Send,
                now,
            )
            .await
            {
                Ok(()) | Err(AppError::RateLimited(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Completes a reset with the code; every session of the account ends. One path for every
/// address: the new password is judged the same way for all (without the account's name), and
/// every failed code reads the same, so nothing tells whether the address has an account.
pub async fn reset_password(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    email: &str,
    code: &str,
    new_password: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = normalize_email(email)?;
    if super::otp::normalize_input(code).is_none() {
        return Err(bad("Enter the 6-digit code from the e-mail."));
    }
    password::check_policy(new_password, &[&email]).map_err(bad)?;
    let Some(user) = user_by_email(db, &email).await? else {
        return Err(bad(PUBLIC_CODE_FAILED));
    };
    match check_code(db, keys, &user.id, OtpPurpose::ResetPassword, code, now).await {
        Ok(sent_to) if sent_to == email => {}
        Ok(_) | Err(AppError::BadRequest(_)) => return Err(bad(PUBLIC_CODE_FAILED)),
        Err(e) => return Err(e),
    }
    let hash = hash_password(new_password.to_string()).await?;
    // A reset also proves the address: the code arrived there.
    db.query("UPDATE type::record('user', $id) SET password_hash = $h, email_verified = true")
        .bind(("id", user.id.clone()))
        .bind(("h", hash))
        .await?
        .check()?;
    revoke_all_sessions(db, &user.id).await?;
    audit(
        db,
        "password_reset",
        Some(&user.id),
        "every session ended",
        now,
    )
    .await?;
    mailer
        .enqueue(
            db,
            &email,
            &Message::password_changed(&mailer.product, Some(&user.name)),
            now,
        )
        .await
}

/// Checks the current password of a signed-in account (sensitive changes ask for it).
async fn confirm_password(
    db: &Db,
    user_id: &str,
    current: &str,
    now: i64,
) -> Result<super::service::UserRow, AppError> {
    let user = user_by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !verify_password(current.to_string(), Some(user.password_hash.clone())).await {
        audit(db, "password_confirm_failure", Some(user_id), "", now).await?;
        return Err(bad("Your current password is not right."));
    }
    Ok(user)
}

/// Step 1 of a change of password: the current password, then a code to the address.
pub async fn start_password_change(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    user_id: &str,
    current: &str,
    now: i64,
) -> Result<(), AppError> {
    let user = confirm_password(db, user_id, current, now).await?;
    issue_code(
        db,
        keys,
        mailer,
        &user.id,
        &user.email,
        greeting(&user),
        OtpPurpose::ChangePassword,
        Delivery::Send,
        now,
    )
    .await
}

/// Step 2: the code and the new password. Other sessions end; this one is ended too and the
/// person signs in again with the new password.
pub async fn finish_password_change(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    user_id: &str,
    code: &str,
    new_password: &str,
    now: i64,
) -> Result<(), AppError> {
    let user = user_by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    password::check_policy(new_password, &[&user.email, &user.name]).map_err(bad)?;
    if check_code(db, keys, &user.id, OtpPurpose::ChangePassword, code, now).await? != user.email {
        return Err(bad(
            "Your e-mail address changed since the code was sent. Start again.",
        ));
    }
    let hash = hash_password(new_password.to_string()).await?;
    db.query("UPDATE type::record('user', $id) SET password_hash = $h")
        .bind(("id", user.id.clone()))
        .bind(("h", hash))
        .await?
        .check()?;
    revoke_all_sessions(db, &user.id).await?;
    audit(
        db,
        "password_changed",
        Some(&user.id),
        "every session ended",
        now,
    )
    .await?;
    mailer
        .enqueue(
            db,
            &user.email,
            &Message::password_changed(&mailer.product, greeting(&user)),
            now,
        )
        .await
}

/// Step 1 of a change of e-mail: the current password; the code goes to the NEW address,
/// which proves it belongs to the person. The code is bound to that address, and the pending
/// address changes only together with its code (so an earlier code can never confirm a later
/// address). A taken address gets the same answer (its code is stored, never sent).
pub async fn start_email_change(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    user_id: &str,
    current: &str,
    new_email: &str,
    now: i64,
) -> Result<(), AppError> {
    let new_email = normalize_email(new_email)?;
    let user = confirm_password(db, user_id, current, now).await?;
    if new_email == user.email {
        return Err(bad("That is already your e-mail address."));
    }
    let delivery = if user_by_email(db, &new_email).await?.is_some() {
        Delivery::StoreOnly
    } else {
        Delivery::Send
    };
    // Mail to an address not yet proved carries no name typed by the account's owner.
    issue_code(
        db,
        keys,
        mailer,
        &user.id,
        &new_email,
        None,
        OtpPurpose::ChangeEmail,
        delivery,
        now,
    )
    .await
}

/// Step 2: the code from the new address. The address the code was sent to becomes the
/// account's; every other session of the account ends; the old address is told.
pub async fn finish_email_change(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    user_id: &str,
    session_id: &str,
    code: &str,
    now: i64,
) -> Result<String, AppError> {
    let user = user_by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let new_email = check_code(db, keys, &user.id, OtpPurpose::ChangeEmail, code, now).await?;
    let mut r = db
        .query(
            "BEGIN TRANSACTION;
             LET $changed = (UPDATE type::record('user', $id) SET email = $e, pending_email = NONE, email_verified = true
                 WHERE pending_email = $e RETURN VALUE record::id(id));
             IF array::len($changed) = 0 { THROW 'not pending' };
             UPDATE session SET revoked = true WHERE user = type::record('user', $id) AND record::id(id) != $sid;
             COMMIT TRANSACTION;",
        )
        .bind(("id", user.id.clone()))
        .bind(("e", new_email.clone()))
        .bind(("sid", session_id.to_string()))
        .await?;
    if let Some(e) = crate::db::cause(r.take_errors()) {
        return Err(match crate::db::classify(&e) {
            crate::db::Fault::Thrown(_) => {
                bad("Start again: enter your new address and your password.")
            }
            crate::db::Fault::Duplicate("user_email") => {
                bad("That address now belongs to another account.")
            }
            _ => e.into(),
        });
    }
    // The other sessions just ended: this node stops believing them at once.
    super::service::forget_sessions(&user.id);
    audit(
        db,
        "email_changed",
        Some(&user.id),
        "other sessions ended",
        now,
    )
    .await?;
    let notice = Message::new_notice(&mailer.product, greeting(&user), &new_email);
    mailer.enqueue(db, &user.email, &notice, now).await?;
    Ok(new_email)
}

#[derive(Debug, SurrealValue)]
struct SessionRow {
    id: String,
    user_agent: String,
    created_at: i64,
    last_used_at: i64,
}

/// A short description of a browser from its User-Agent, e.g. "Firefox on Linux".
pub fn describe_user_agent(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "A browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        ""
    };
    if os.is_empty() {
        browser.to_string()
    } else {
        format!("{browser} on {os}")
    }
}

/// The account's live sessions, newest use first.
pub async fn list_sessions(
    db: &Db,
    user_id: &str,
    current_session: &str,
) -> Result<Vec<SessionInfo>, AppError> {
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, user_agent, created_at, last_used_at FROM session
             WHERE user = type::record('user', $uid) AND revoked = false ORDER BY last_used_at DESC LIMIT 50",
        )
        .bind(("uid", user_id.to_string()))
        .await?
        .check()?;
    let rows: Vec<SessionRow> = r.take(0)?;
    Ok(rows
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == current_session,
            browser: describe_user_agent(&s.user_agent),
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
        })
        .collect())
}

/// Ends one of the account's own sessions (never another account's).
pub async fn revoke_own_session(
    db: &Db,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut r = db
        .query("UPDATE type::record('session', $sid) SET revoked = true WHERE user = type::record('user', $uid) RETURN VALUE record::id(id)")
        .bind(("sid", session_id.to_string()))
        .bind(("uid", user_id.to_string()))
        .await?
        .check()?;
    let done: Vec<String> = r.take(0)?;
    if done.is_empty() {
        return Err(AppError::NotFound);
    }
    super::service::forget_sessions(user_id);
    audit(db, "session_revoked", Some(user_id), session_id, now).await
}

#[cfg(test)]
mod tests {
    use super::describe_user_agent;

    #[test]
    fn browsers_are_named_plainly() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(describe_user_agent(chrome), "Chrome on Linux");
        let ff = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0";
        assert_eq!(describe_user_agent(ff), "Firefox on Windows");
        assert_eq!(describe_user_agent("curl/8.0"), "A browser");
    }
}
