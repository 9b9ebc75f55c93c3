//! One-time codes: issuing (stored as an HMAC, e-mailed) and checking (each try counted first).

use surrealdb::types::SurrealValue;

use super::super::otp::{self, OtpCheck, OtpPurpose, OtpState};
use super::*;
use crate::{
    db::Db,
    mail::{Mailer, Message},
    AppError,
};

/// Whether a new code is e-mailed, or only stored (the address belongs to another account, and
/// the answer must not say so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Send,
    StoreOnly,
}

/// Makes a new code for a purpose, bound to the address it goes to, and e-mails it. In the
/// same transaction: older codes for the purpose die, and for a change of address the pending
/// address becomes `sent_to` (so the pending address and its one live code always agree).
#[allow(clippy::too_many_arguments)]
pub async fn issue_code(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    user_id: &str,
    sent_to: &str,
    name: Option<&str>,
    purpose: OtpPurpose,
    delivery: Delivery,
    now: i64,
) -> Result<(), AppError> {
    // The cooldown holds only while the last code still works: after it was used, locked by
    // wrong tries, or expired, a new one goes out at once (the send limits still cap them).
    let mut r = db
        .query("SELECT VALUE created_at FROM otp WHERE user = type::record('user', $uid) AND purpose = $purpose
                AND used = false AND attempts < $max AND expires_at > $now ORDER BY created_at DESC LIMIT 1")
        .bind(("uid", user_id.to_string()))
        .bind(("purpose", purpose.as_str()))
        .bind(("max", otp::OTP_MAX_ATTEMPTS as i64))
        .bind(("now", now))
        .await?
        .check()?;
    let last: Option<i64> = r.take(0)?;
    otp::resend_allowed(last, now).map_err(|wait| AppError::RateLimited(wait as u64))?;
    let code = otp::generate_code();
    let hash = otp::code_hash(&keys.otp_key, user_id, purpose, sent_to, &code);
    let state = OtpState::new(hash, now);
    // Behind the account's fence: no code outlives an account deleted meanwhile.
    crate::db::write(|| db.query(crate::fenced!(
        "DELETE otp WHERE user = type::record('user', $uid) AND purpose = $purpose;
         CREATE otp SET user = type::record('user', $uid), purpose = $purpose, hash = $hash, sent_to = $to, created_at = $now,
             expires_at = $expires, attempts = 0, used = false;
         IF $purpose = 'change_email' { UPDATE type::record('user', $uid) SET pending_email = $to };",
    ))
    .bind(("uid", user_id.to_string()))
    .bind(("purpose", purpose.as_str()))
    .bind(("hash", state.hash.clone()))
    .bind(("to", sent_to.to_string()))
    .bind(("now", now))
    .bind(("expires", state.expires_at)))
    .await?;
    if delivery == Delivery::Send {
        mailer
            .enqueue(
                db,
                sent_to,
                &Message::code(&mailer.product, name, purpose.mail_phrase(), &code),
                now,
            )
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct OtpRow {
    pub(super) id: String,
    pub(super) hash: String,
    pub(super) sent_to: Option<String>,
    pub(super) created_at: i64,
    pub(super) expires_at: i64,
    pub(super) attempts: i64,
    pub(super) used: bool,
}

/// Checks a code typed by the person. Every try is counted first, atomically and only while
/// the code is live; only a counted try is compared. A code works once. Returns the address
/// the code was sent to.
pub async fn check_code(
    db: &Db,
    keys: &AuthKeys,
    user_id: &str,
    purpose: OtpPurpose,
    input: &str,
    now: i64,
) -> Result<String, AppError> {
    let Some(code) = otp::normalize_input(input) else {
        return Err(bad("Enter the 6-digit code from the e-mail."));
    };
    let mut r = db
        .query("SELECT record::id(id) AS id, hash, sent_to, created_at, expires_at, attempts, used FROM otp WHERE user = type::record('user', $uid) AND purpose = $purpose ORDER BY created_at DESC LIMIT 1")
        .bind(("uid", user_id.to_string()))
        .bind(("purpose", purpose.as_str()))
        .await?
        .check()?;
    let Some(row): Option<OtpRow> = r.take(0)? else {
        return Err(bad(OtpCheck::Expired.message()));
    };
    let state = OtpState {
        hash: row.hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
        attempts: row.attempts as u32,
        used: row.used,
    };
    if let Err(why) = otp::usable(&state, now) {
        return Err(bad(why.message()));
    }
    // Count the try; a try that cannot be counted (the code was used, locked or expired by a
    // parallel request) is not compared at all.
    let counted: Vec<i64> = update_otp(
        db,
        "UPDATE type::record('otp', $id) SET attempts += 1 WHERE used = false AND attempts < $max AND expires_at > $now RETURN VALUE attempts",
        &row.id,
        now,
    )
    .await?;
    let Some(&attempts_after) = counted.first() else {
        return Err(bad(OtpCheck::Locked.message()));
    };
    let Some(sent_to) = row.sent_to else {
        return Err(bad(OtpCheck::Expired.message()));
    };
    let candidate = otp::code_hash(&keys.otp_key, user_id, purpose, &sent_to, &code);
    match otp::after_counted_try(&state.hash, &candidate, attempts_after as u32) {
        OtpCheck::Accepted => {
            let used: Vec<String> = update_otp(db, "UPDATE type::record('otp', $id) SET used = true WHERE used = false RETURN VALUE record::id(id)", &row.id, now).await?;
            if used.is_empty() {
                // Another request used this code at the same moment.
                return Err(bad(OtpCheck::AlreadyUsed.message()));
            }
            Ok(sent_to)
        }
        outcome => {
            audit(db, "otp_failure", Some(user_id), purpose.as_str(), now).await?;
            Err(bad(outcome.message()))
        }
    }
}

/// A conditional update of one code, run again when it met a concurrent one (the loser then
/// sees the winner's count).
pub(super) async fn update_otp<T: SurrealValue>(
    db: &Db,
    sql: &'static str,
    id: &str,
    now: i64,
) -> Result<Vec<T>, AppError> {
    let answered = crate::db::retry_conflicts(|| async move {
        db.query(sql)
            .bind(("id", id.to_string()))
            .bind(("max", otp::OTP_MAX_ATTEMPTS as i64))
            .bind(("now", now))
            .await
            .and_then(|r| r.check())
    })
    .await?;
    match answered {
        Some(mut r) => Ok(r.take(0)?),
        None => Err(AppError::RateLimited(1)),
    }
}

/// The one answer to every failed code in the flows anyone can reach without signing in
/// (confirming an address, resetting a password): it never tells whether the address has an
/// account, is confirmed, or has a code, nor how many tries are left.
pub const PUBLIC_CODE_FAILED: &str =
    "That code did not work. Check the newest e-mail from us, or ask for a new code.";
